/**
 * A recording WebSocket proxy in front of the emulator: every connection is piped both ways to the
 * emulator's socket host (same path, query and credentials), and the client's `llmJobRequest` and
 * `llmJobCancel` payloads are recorded, and the type of every frame the emulator sent about a job, so
 * emulator-backed chat tests can assert what went on the wire.
 * An abnormal close upstream (the emulator's `[[drop]]`) is passed on as an abnormal close.
 */
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import WS, { type RawData, WebSocketServer } from "ws"

export interface EmulatorTap {
  readonly url: string
  readonly requests: Array<Record<string, any>>
  readonly cancels: Array<string>
  /** The frame types the emulator sent, by the (upper-case) job they name. */
  readonly jobFrames: Map<string, Array<string>>
  /** Connections made through the tap so far. */
  readonly connections: () => number
}

const FORWARDED = ["api-key", "authorization", "cookie"]

export const makeEmulatorTap = (target: string): Effect.Effect<EmulatorTap, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<EmulatorTap & { readonly wss: WebSocketServer; readonly sockets: Set<WS> }>((resume) => {
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
      const sockets = new Set<WS>()
      let count = 0
      const tap = {
        wss,
        sockets,
        url: "",
        requests: [] as Array<Record<string, any>>,
        cancels: [] as Array<string>,
        jobFrames: new Map<string, Array<string>>(),
        connections: () => count
      }
      wss.on("connection", (client, request) => {
        count += 1
        const headers: Record<string, string> = {}
        for (const name of FORWARDED) {
          const value = request.headers[name]
          if (typeof value === "string") headers[name] = value
        }
        const upstream = new WS(`${target}${request.url ?? "/"}`, { headers })
        sockets.add(client)
        sockets.add(upstream)
        const pending: Array<{ data: RawData; binary: boolean }> = []
        client.on("error", () => {})
        upstream.on("error", () => {})
        upstream.on("open", () => {
          for (const p of pending) upstream.send(p.data as Buffer, { binary: p.binary })
          pending.length = 0
        })
        client.on("message", (data, binary) => {
          const env = Protocol.decodeEnvelope((data as Buffer).toString())
          if (env._tag === "Right") {
            const { payload, type } = env.right as { type: string; payload: Record<string, any> }
            if (type === "llmJobRequest") tap.requests.push(payload)
            else if (type === "llmJobCancel") tap.cancels.push(payload.jobID)
          }
          if (upstream.readyState === WS.OPEN) upstream.send(data as Buffer, { binary })
          else pending.push({ data, binary })
        })
        upstream.on("message", (data, binary) => {
          const env = Protocol.decodeEnvelope((data as Buffer).toString())
          if (env._tag === "Right") {
            const jobID = (env.right.payload as { jobID?: unknown }).jobID
            if (typeof jobID === "string") {
              const seen = tap.jobFrames.get(jobID) ?? []
              seen.push(env.right.type)
              tap.jobFrames.set(jobID, seen)
            }
          }
          if (client.readyState === WS.OPEN) client.send(data as Buffer, { binary })
        })
        upstream.on("close", (code, reason) => {
          if (code === 1005 || code === 1006 || code < 1000) client.terminate()
          else if (client.readyState === WS.OPEN) client.close(code, reason)
        })
        client.on("close", () => {
          if (upstream.readyState === WS.OPEN || upstream.readyState === WS.CONNECTING) upstream.terminate()
        })
      })
      wss.on("listening", () => {
        const address = wss.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        tap.url = `ws://127.0.0.1:${port}`
        resume(Effect.succeed(tap))
      })
    }),
    (tap) =>
      Effect.async<void>((resume) => {
        for (const s of tap.sockets) s.terminate()
        tap.wss.close(() => resume(Effect.void))
      })
  )
