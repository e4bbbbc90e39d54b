/**
 * Test helpers: a raw `ws` client that decodes every server frame with core's schemas and lets a test
 * wait for the next frame of a kind, plus small HTTP and PNG utilities.
 */
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import { WebSocket } from "ws"
import { it } from "@effect/vitest"
import * as EmulatorModule from "../src/Emulator.js"
import type * as Emulator from "../src/Emulator.js"

/** One received frame. */
export interface Received {
  readonly binary: boolean
  readonly raw: string
  readonly decoded: Either.Either<Protocol.ServerEvent, Protocol.FrameSkip>
  readonly at: number
}

/** A raw protocol client. */
export interface RawClient {
  readonly ws: WebSocket
  readonly received: Array<Received>
  /** Decoded events in arrival order. */
  readonly events: () => ReadonlyArray<Protocol.ServerEvent>
  /** The first not-yet-taken event of `type` matching `where`; waits up to `timeoutMs`. */
  readonly next: <K extends Protocol.ServerEventType>(
    type: K,
    where?: (payload: Protocol.ServerEventPayloads[K]) => boolean,
    timeoutMs?: number
  ) => Effect.Effect<Protocol.ServerEventPayloads[K]>
  readonly send: (type: string, payload: unknown) => void
  readonly sendText: (text: string) => void
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>
  /** Whether the WebSocket upgrade succeeded (the socket opened). */
  readonly opened: () => boolean
}

/** Connection options. */
export interface ConnectOptions {
  readonly appId: string
  readonly headers?: Record<string, string>
  readonly query?: Record<string, string>
  readonly network?: "fast" | "relaxed"
}

/**
 * Opens a raw WebSocket to the emulator (api-key header with the emulator's key unless `headers` is
 * given). Resolves once the socket is open; terminated when the scope closes.
 */
export const connect = (
  emulator: Emulator.Service,
  options: ConnectOptions
): Effect.Effect<RawClient, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => {
      const query = new URLSearchParams({
        appId: options.appId,
        clientName: "Sogni/3.0.0 (emulator-tests) 0.0.0",
        clientType: "artist",
        forceWorkerId: (options.network ?? "fast") === "fast" ? "fast" : "",
        ...options.query
      })
      const ws = new WebSocket(`${emulator.wsUrl}/?${query.toString()}`, {
        headers: options.headers ?? { "api-key": emulator.apiKey }
      })
      const received: Received[] = []
      let opened = false
      ws.once("open", () => {
        opened = true
      })
      const taken = new Set<number>()
      const waiters = new Set<() => void>()
      ws.on("message", (data, isBinary) => {
        const raw = Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8")
        received.push({ binary: isBinary, raw, decoded: Protocol.decodeServerFrame(raw), at: Date.now() })
        for (const w of [...waiters]) w()
      })
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.on("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") }))
      )
      ws.on("error", () => {})
      const find = <K extends Protocol.ServerEventType>(
        type: K,
        where: ((payload: Protocol.ServerEventPayloads[K]) => boolean) | undefined
      ) => {
        for (let i = 0; i < received.length; i++) {
          if (taken.has(i)) continue
          const d = received[i]!.decoded
          if (Either.isRight(d) && d.right.type === type) {
            const payload = d.right.payload as Protocol.ServerEventPayloads[K]
            if (where === undefined || where(payload)) {
              taken.add(i)
              return { found: payload }
            }
          }
        }
        return undefined
      }
      const client: RawClient = {
        ws,
        received,
        events: () => received.flatMap((r) => (Either.isRight(r.decoded) ? [r.decoded.right] : [])),
        next: (type, where, timeoutMs = 5000) =>
          Effect.promise(() =>
            new Promise((resolve, reject) => {
              const hit = find(type, where)
              if (hit !== undefined) return resolve(hit.found)
              const timer = setTimeout(() => {
                waiters.delete(check)
                reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}`))
              }, timeoutMs)
              const check = () => {
                const h = find(type, where)
                if (h !== undefined) {
                  clearTimeout(timer)
                  waiters.delete(check)
                  resolve(h.found)
                }
              }
              waiters.add(check)
            })
          ),
        send: (type, payload) => ws.send(Protocol.encodeFrame(type, payload)),
        sendText: (text) => ws.send(text),
        closed,
        opened: () => opened
      }
      return new Promise<RawClient>((resolve) => {
        ws.once("open", () => resolve(client))
        ws.once("close", () => resolve(client))
      })
    }),
    (client) => Effect.sync(() => client.ws.terminate())
  )

/** A minimal image `jobRequest` (the official client's template trimmed to what matters). */
export const imageRequest = (options: {
  readonly jobID?: string
  readonly prompt: string
  readonly count?: number
  readonly steps?: number
  readonly modelId?: string
  readonly sizePreset?: string
  readonly width?: number
  readonly height?: number
  readonly seed?: number
  readonly tokenType?: "spark" | "sogni"
  readonly outputFormat?: string
}) => ({
  jobID: options.jobID ?? Protocol.makeId(),
  keyFrames: [{
    modelID: options.modelId ?? "flux1-schnell-fp8",
    positivePrompt: options.prompt,
    negativePrompt: "",
    steps: options.steps ?? 4,
    guidanceScale: 1,
    seed: options.seed ?? 1234567,
    sizePreset: options.sizePreset ?? (options.width !== undefined ? "custom" : "square"),
    ...(options.width !== undefined ? { width: options.width, height: options.height } : {})
  }],
  numberOfImages: options.count ?? 2,
  previews: 0,
  outputFormat: options.outputFormat ?? "png",
  tokenType: options.tokenType ?? "spark",
  network: "fast"
})

/** fetch as an Effect (dies on network errors). */
export const http = (url: string, init?: RequestInit) => Effect.promise(() => fetch(url, init))

/** JSON body of a fetch response. */
export const json = (response: Response) => Effect.promise(() => response.json() as Promise<any>)

/** Bytes of a fetch response. */
export const bytes = (response: Response) =>
  Effect.promise(async () => new Uint8Array(await response.arrayBuffer()))

/** PNG signature check and IHDR dimensions. */
export const pngInfo = (data: Uint8Array): { readonly isPng: boolean; readonly width: number; readonly height: number } => {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  const isPng = signature.every((b, i) => data[i] === b)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return { isPng, width: isPng ? view.getUint32(16) : 0, height: isPng ? view.getUint32(20) : 0 }
}

/** Sleep in real time. */
export const sleep = (millis: number) => Effect.promise(() => new Promise((r) => setTimeout(r, millis)))

/**
 * A live test against a fresh emulator (port 0, fast speed by default). The test's own resources
 * (sockets, clients) are released before the emulator shuts down.
 */
export const emulatorTest = (
  name: string,
  body: () => Effect.Effect<void, unknown, Emulator.Emulator | Scope.Scope>,
  options: Emulator.Options = {},
  timeout?: number
) =>
  it.scopedLive(
    name,
    () => Effect.scoped(body()).pipe(Effect.provide(EmulatorModule.layer({ port: 0, speed: 2, ...options }))),
    timeout
  )
