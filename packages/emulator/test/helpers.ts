import { SogniClient } from "@sogni-ai/sogni-client"
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

/** One ISO-BMFF box: type, payload bounds and (for containers) children. */
export interface Box {
  readonly type: string
  readonly start: number
  readonly end: number
  readonly children: ReadonlyArray<Box>
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl", "dinf", "edts"])

/** Parses the boxes of an MP4 file (descending into the usual containers and `stsd`'s sample entry). */
export const mp4Boxes = (data: Uint8Array, from = 0, to = data.length): ReadonlyArray<Box> => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const out: Box[] = []
  let at = from
  while (at + 8 <= to) {
    const size = view.getUint32(at)
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8))
    if (size < 8 || at + size > to) throw new Error(`bad box ${type} of size ${size} at ${at}`)
    const start = at + 8
    const end = at + size
    let children: ReadonlyArray<Box> = []
    if (CONTAINERS.has(type)) children = mp4Boxes(data, start, end)
    else if (type === "stsd") children = mp4Boxes(data, start + 8, end)
    else if (type === "avc1") children = mp4Boxes(data, start + 78, end)
    out.push({ type, start, end, children })
    at = end
  }
  if (at !== to) throw new Error(`trailing bytes after the last box (${to - at})`)
  return out
}

/** The first box at a `/`-separated path. */
export const findBox = (boxes: ReadonlyArray<Box>, path: string): Box | undefined => {
  const [head, ...rest] = path.split("/")
  const box = boxes.find((b) => b.type === head)
  return box === undefined || rest.length === 0 ? box : findBox(box.children, rest.join("/"))
}

/** What the MP4 tests check. */
export const mp4Info = (data: Uint8Array) => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const boxes = mp4Boxes(data)
  const box = (path: string) => {
    const b = findBox(boxes, path)
    if (b === undefined) throw new Error(`no ${path} box`)
    return b
  }
  const ftyp = box("ftyp")
  const mvhd = box("moov/mvhd")
  const tkhd = box("moov/trak/tkhd")
  const mdhd = box("moov/trak/mdia/mdhd")
  const stbl = "moov/trak/mdia/minf/stbl"
  const avc1 = box(`${stbl}/stsd/avc1`)
  const avcC = box(`${stbl}/stsd/avc1/avcC`)
  const stsz = box(`${stbl}/stsz`)
  const stss = box(`${stbl}/stss`)
  const stco = box(`${stbl}/stco`)
  const mdat = box("mdat")
  const sampleCount = view.getUint32(stsz.start + 8)
  let sampleBytes = 0
  for (let i = 0; i < sampleCount; i++) sampleBytes += view.getUint32(stsz.start + 12 + i * 4)
  return {
    topLevel: boxes.map((b) => b.type),
    majorBrand: String.fromCharCode(...data.subarray(ftyp.start, ftyp.start + 4)),
    mvhdTimescale: view.getUint32(mvhd.start + 12),
    mvhdDuration: view.getUint32(mvhd.start + 16),
    tkhdDuration: view.getUint32(tkhd.start + 20),
    width: view.getUint32(tkhd.start + 76) / 65536,
    height: view.getUint32(tkhd.start + 80) / 65536,
    mdhdTimescale: view.getUint32(mdhd.start + 12),
    mdhdDuration: view.getUint32(mdhd.start + 16),
    avc1Width: view.getUint16(avc1.start + 24),
    avc1Height: view.getUint16(avc1.start + 26),
    avcProfile: data[avcC.start + 1]!,
    sampleCount,
    syncSamples: view.getUint32(stss.start + 4),
    chunkOffset: view.getUint32(stco.start + 8),
    mdatStart: mdat.start,
    mdatSize: mdat.end - mdat.start,
    sampleBytes
  }
}

/** WAV header fields. */
export const wavInfo = (data: Uint8Array) => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const text = (at: number) => String.fromCharCode(...data.subarray(at, at + 4))
  return {
    riff: text(0),
    wave: text(8),
    fmt: text(12),
    format: view.getUint16(20, true),
    channels: view.getUint16(22, true),
    sampleRate: view.getUint32(24, true),
    bitsPerSample: view.getUint16(34, true),
    data: text(36),
    dataBytes: view.getUint32(40, true),
    riffSize: view.getUint32(4, true),
    fileSize: data.length
  }
}

const MP3_BITRATES: Record<"1" | "2", ReadonlyArray<number>> = {
  "1": [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  "2": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
}
const MP3_RATES: Record<number, ReadonlyArray<number>> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000]
}

/** Walks MPEG audio Layer III frames from the start: frame count, sample rate and total duration. */
export const mp3Info = (data: Uint8Array) => {
  let at = 0
  let frames = 0
  let samples = 0
  let sampleRate = 0
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff || (data[at + 1]! & 0xe0) !== 0xe0) break
    const version = (data[at + 1]! >> 3) & 3 // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    const layer = (data[at + 1]! >> 1) & 3 // 1 = Layer III
    if (version === 1 || layer !== 1) break
    const bitrate = MP3_BITRATES[version === 3 ? "1" : "2"][data[at + 2]! >> 4]!
    sampleRate = MP3_RATES[version]![(data[at + 2]! >> 2) & 3]!
    const padding = (data[at + 2]! >> 1) & 1
    const perFrame = version === 3 ? 1152 : 576
    const length = Math.floor((perFrame / 8) * bitrate * 1000 / sampleRate) + padding
    if (bitrate === 0 || length < 4) break
    frames++
    samples += perFrame
    at += length
  }
  return { frames, sampleRate, duration: sampleRate > 0 ? samples / sampleRate : 0, consumed: at, size: data.length }
}

/** FLAC marker and STREAMINFO fields. */
export const flacInfo = (data: Uint8Array) => {
  const marker = String.fromCharCode(...data.subarray(0, 4))
  const b = (i: number) => data[8 + i]!
  const sampleRate = (b(10) << 12) | (b(11) << 4) | (b(12) >> 4)
  const channels = ((b(12) >> 1) & 7) + 1
  const bitsPerSample = (((b(12) & 1) << 4) | (b(13) >> 4)) + 1
  const totalSamples = (b(13) & 0xf) * 2 ** 32 + ((b(14) << 24) >>> 0) + (b(15) << 16) + (b(16) << 8) + b(17)
  return { marker, sampleRate, channels, bitsPerSample, totalSamples }
}

/** The official `@sogni-ai/sogni-client` connected to the emulator with its API key; disposed with the scope. */
export const officialClient = (appId: string) =>
  Effect.gen(function*() {
    const emulator = yield* EmulatorModule.Emulator
    return yield* Effect.acquireRelease(
      Effect.promise(() =>
        SogniClient.createInstance({
          appId,
          apiKey: emulator.apiKey,
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl,
          network: "fast",
          logLevel: "error"
        })
      ),
      (client) => Effect.sync(() => client.dispose())
    )
  })
