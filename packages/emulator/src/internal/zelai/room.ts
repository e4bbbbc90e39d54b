/**
 * The ZelAI room of the emulator: the `/ws/generation` socket (auth first, requests multiplexed by
 * `requestId`, JSON ping/pong, cancel), real image and video results with progress, the deterministic mock
 * LLM (streamed or not, JSON output), a ledger behind settings, usage and rate limits, refusals by prompt
 * directive, a billing record, fault control, and the CDN downloads (`GET /api/v1/cdn/<id>.<ext>`).
 *
 * Prompt directives (removed from the prompt before rendering):
 *
 * - `[[rate-limit]]` / `[[rate-limit xN]]`: answer `RATE_LIMIT_EXCEEDED` (always / the first N times this
 *   exact prompt is sent by the key), with `details.retryAfter` = `refusalRetryAfterSeconds`;
 * - `[[concurrent-limit]]` / `[[concurrent-limit xN]]`: the same with `CONCURRENT_LIMIT_EXCEEDED`;
 * - `[[fail]]`: the job runs, then fails with `GENERATION_FAILED` (not billed);
 * - `[[slow]]`: ten times slower.
 *
 * A job keeps running when its socket drops (it is billed when it finishes); its answer then goes to the
 * key's newest authenticated socket, if any — unless `onDisconnect` is `"cancel"`, which stops it unbilled.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Http from "node:http"
import type { WebSocket } from "ws"
import { encodePixels, hashString, renderPixels } from "../landscape.js"
import { planReply } from "../llm.js"
import { simMillis, type World } from "../state.js"
import { encodeVideo } from "../video.js"
import * as Ledger from "./ledger.js"

/** The dev key the emulator accepts when none is configured. @internal */
export const DEFAULT_ZELAI_KEY = "zelai_pk_emulator_dev_0000"

/** Options of the ZelAI room. @since 0.2.0 */
export interface ZelaiOptions {
  /** Accepted keys (default `["zelai_pk_emulator_dev_0000"]`). */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** Per-operation limits (default: the documented v1.12 values). */
  readonly limits?: Partial<Record<Ledger.Operation, Ledger.Limit>> | undefined
  /** `retryAfter` (seconds) of directive refusals and concurrency refusals (default 1). */
  readonly refusalRetryAfterSeconds?: number | undefined
  /** What happens to a running job when its socket drops (default `"continue"`). */
  readonly onDisconnect?: "continue" | "cancel" | undefined
  /** Close the socket with 1008 after `AUTH_ERROR` (default true, A9). */
  readonly closeAfterAuthError?: boolean | undefined
}

/** One billed generation. @since 0.2.0 */
export interface ZelaiBilling {
  readonly requestId: string
  readonly operation: string
  readonly prompt: string
}

/** Malformed frames the control can push. @since 0.2.0 */
export type ZelaiMalformedKind = "notJson" | "noType" | "badProgress" | "unknownType"

/**
 * The ZelAI side's control and inspection, in process.
 *
 * @since 0.2.0
 */
export interface ZelaiControl {
  /** `ws://127.0.0.1:PORT` base; the socket is `<wsBase>/ws/generation`. The REST base is the emulator's `url`. */
  readonly apiKey: string
  /** Every generation billed so far, in order. */
  readonly billed: () => ReadonlyArray<ZelaiBilling>
  /** Every client frame received (`type`, `requestId`, `data` — the key of `auth` replaced), in order. */
  readonly received: () => ReadonlyArray<{ readonly type: string; readonly requestId: string | undefined; readonly data: unknown }>
  /** Jobs running now. */
  readonly running: () => number
  /** Jobs stopped by a `cancel` (or a disconnect with `onDisconnect: "cancel"`). */
  readonly cancelled: () => ReadonlyArray<string>
  /** Authenticated sockets open now. */
  readonly connections: () => number
  /** Closes every ZelAI socket: `abnormal` terminates without a close frame (1006), else closes with `code`. */
  readonly dropConnections: (options?: { readonly abnormal?: boolean; readonly code?: number }) => number
  /** Delays every frame the room sends by `millis` (0 turns it off). */
  readonly delayFrames: (millis: number) => void
  /** Answers the next `count` generate requests with `error{code}` (after admission, before any work). */
  readonly failNext: (options: { readonly count: number; readonly code: string; readonly message?: string; readonly details?: unknown }) => void
  /** Sends a malformed frame to every authenticated socket; returns how many got it. */
  readonly sendMalformed: (kind: ZelaiMalformedKind) => number
}

interface Conn {
  readonly ws: WebSocket
  key: string | undefined
  readonly openedAt: number
}

interface Job {
  readonly requestId: string
  readonly key: string
  readonly op: Ledger.Operation
  readonly operation: string
  conn: Conn
  fiber: Fiber.RuntimeFiber<void, never> | undefined
  done: boolean
}

interface Stored {
  readonly kind: "image" | "video"
  readonly prompt: string
  readonly seed: number
  readonly width: number
  readonly height: number
  readonly frames?: number | undefined
  readonly fps?: number | undefined
  readonly tint?: readonly [number, number, number] | undefined
}

const DIRECTIVE = /\[\[\s*(rate-limit|concurrent-limit|fail|slow)(?:\s+x(\d+))?\s*\]\]/gi

const parseDirectives = (prompt: string) => {
  const found = new Map<string, number | undefined>()
  const clean = prompt.replace(DIRECTIVE, (_, name: string, count: string | undefined) => {
    found.set(name.toLowerCase(), count === undefined ? undefined : Number(count))
    return ""
  }).replace(/\s{2,}/g, " ").trim()
  return { clean, found }
}

const STYLES = new Set([
  "raw", "realistic", "text", "ciniji", "portrait", "cine", "sport", "fashion", "niji", "anime", "manga", "watercolor",
  "comicbook", "paint"
])
const FORMATS: Readonly<Record<string, readonly [number, number]>> = {
  portrait: [768, 1344],
  landscape: [1344, 768],
  profile: [1024, 1024],
  story: [720, 1280],
  post: [1152, 896],
  smartphone: [640, 1344],
  banner: [1472, 448]
}

/** Timings at speed 1, in milliseconds (divided by the speed). */
const TIMING = { imageStep: 40, videoStep: 60, upscaleStep: 50, llmFirst: 30, llmToken: 12, steps: 5 } as const

type Problem = { readonly code: string; readonly message: string }

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v)

const checkRange = (data: Record<string, unknown>, field: string, min: number, max: number, integer = true): Problem | undefined => {
  const v = data[field]
  if (v === undefined) return undefined
  if (typeof v !== "number" || (integer && !Number.isInteger(v)) || v < min || v > max) {
    return { code: "INVALID_REQUEST", message: `${field} must be between ${min} and ${max}` }
  }
  return undefined
}

/** @internal */
export interface ZelaiRoom {
  readonly control: ZelaiControl
  readonly accept: (ws: WebSocket) => void
  /** Serves `GET /api/v1/cdn/<id>.<ext>`; false when the path is not the CDN's. */
  readonly serveHttp: (request: Http.IncomingMessage, response: Http.ServerResponse) => boolean
}

/** @internal */
export const makeRoom = (world: World, options: ZelaiOptions = {}): ZelaiRoom => {
  const keys = new Set(options.apiKeys !== undefined && options.apiKeys.length > 0 ? options.apiKeys : [DEFAULT_ZELAI_KEY])
  const limits: Record<Ledger.Operation, Ledger.Limit> = { ...Ledger.DEFAULT_LIMITS, ...options.limits }
  const retryAfter = options.refusalRetryAfterSeconds ?? 1
  const onDisconnect = options.onDisconnect ?? "continue"
  const closeAfterAuthError = options.closeAfterAuthError ?? true
  const ledgers = new Map<string, Ledger.KeyLedger>()
  const ledgerOf = (key: string) => {
    let l = ledgers.get(key)
    if (l === undefined) ledgers.set(key, l = Ledger.makeKeyLedger())
    return l
  }
  const conns = new Set<Conn>()
  const jobs = new Map<string, Job>()
  const store = new Map<string, Stored>()
  const billed: ZelaiBilling[] = []
  const received: Array<{ type: string; requestId: string | undefined; data: unknown }> = []
  const cancelled: string[] = []
  const directiveUses = new Map<string, number>()
  const faults = { delayMillis: 0, fail: [] as Array<{ remaining: number; code: string; message: string; details: unknown }> }
  let serial = 0

  const newId = (kind: string, seed: string) => {
    const h = (hashString(`${kind}|${seed}|${++serial}`) >>> 0).toString(16).padStart(8, "0")
    const s = (serial >>> 0).toString(16).padStart(12, "0")
    return `${h}-${s.slice(0, 4)}-4${s.slice(4, 7)}-a${s.slice(7, 10)}-${s.slice(10)}${h.slice(0, 10)}`
  }

  const send = (conn: Conn, frame: unknown) => {
    const text = JSON.stringify(frame)
    const write = () => {
      if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(text)
    }
    if (faults.delayMillis > 0) setTimeout(write, faults.delayMillis)
    else write()
  }

  /** Where a job's frames go: its socket, or (after a drop) the key's newest authenticated one. */
  const target = (job: Job): Conn | undefined => {
    if (conns.has(job.conn) && job.conn.ws.readyState === job.conn.ws.OPEN) return job.conn
    let newest: Conn | undefined
    for (const c of conns) if (c.key === job.key && c.ws.readyState === c.ws.OPEN && (newest === undefined || c.openedAt >= newest.openedAt)) newest = c
    if (newest !== undefined) job.conn = newest
    return newest
  }

  const emit = (job: Job, type: string, data?: unknown) =>
    Effect.sync(() => {
      if (job.done && type !== "generation_complete" && type !== "error") return
      const conn = target(job)
      if (conn !== undefined) send(conn, data === undefined ? { type, requestId: job.requestId } : { type, requestId: job.requestId, data })
    })

  const finish = (job: Job, ok: boolean, tokens: number, bill?: { readonly prompt: string }) => {
    if (job.done) return
    job.done = true
    jobs.delete(job.requestId)
    Ledger.end(ledgerOf(job.key), job.op, ok, tokens, Date.now())
    if (ok && bill !== undefined) billed.push({ requestId: job.requestId, operation: job.operation, prompt: bill.prompt })
  }

  const error = (conn: Conn, requestId: string | undefined, code: string, message: string, details?: unknown) =>
    send(conn, {
      type: "error",
      ...(requestId !== undefined ? { requestId } : {}),
      data: { code, message, ...(details !== undefined ? { details } : {}) }
    })

  const sleep = (millis: number, slow: boolean) => Effect.sleep(simMillis(world, slow ? millis * 10 : millis))

  const progress = (job: Job, step: number, slow: boolean) =>
    Effect.gen(function*() {
      for (let i = 0; i <= TIMING.steps; i++) {
        yield* emit(job, "progress", { progress: Math.round((i * 100) / TIMING.steps), status: "generating" })
        if (i < TIMING.steps) yield* sleep(step, slow)
      }
    })

  const fail = (job: Job, code: string, message: string) =>
    Effect.suspend(() => {
      finish(job, false, 0)
      return emit(job, "error", { code, message })
    })

  // --- generations -----------------------------------------------------------------------------

  const runMedia = (job: Job, step: number, slow: boolean, failing: boolean, stored: Stored, result: Record<string, unknown>) =>
    Effect.gen(function*() {
      yield* progress(job, step, slow)
      if (failing) return yield* fail(job, "GENERATION_FAILED", "The generation failed (emulator [[fail]] directive)")
      const id = newId(stored.kind, stored.prompt)
      store.set(id, stored)
      finish(job, true, 0, { prompt: stored.prompt })
      yield* emit(job, "generation_complete", { result: { ...(stored.kind === "video" ? { videoId: id } : { imageId: id }), ...result } })
    })

  const runLlm = (job: Job, data: Record<string, unknown>, prompt: string, stream: boolean) =>
    Effect.gen(function*() {
      const memory = Array.isArray(data.memory) ? data.memory.filter((m): m is string => typeof m === "string") : []
      const messages: Array<Record<string, unknown>> = []
      if (typeof data.system === "string") messages.push({ role: "system", content: data.system })
      for (const m of memory) {
        const assistant = /^assistant:/i.test(m)
        messages.push({ role: assistant ? "assistant" : "user", content: m.replace(/^(user|assistant):\s*/i, "") })
      }
      const content = typeof data.imageId === "string"
        ? [{ type: "text", text: prompt }, { type: "image_url", image_url: { url: `cdn:${data.imageId}` } }]
        : prompt
      messages.push({ role: "user", content })
      const template = data.jsonTemplate as Record<string, string> | undefined
      const json = data.jsonFormat === true || template !== undefined
      const request: Record<string, unknown> = {}
      if (json) {
        request.response_format = template === undefined
          ? { type: "json_object" }
          : { type: "json_schema", json_schema: { schema: templateSchema(template) } }
      }
      const { directives, plan } = planReply(request, messages)
      const chunks = plan._tag === "Text" ? plan.chunks : []
      const text = chunks.join("")
      const promptTokens = Math.max(1, Math.ceil(messages.reduce((n, m) => n + JSON.stringify(m.content).length, 0) / 4))
      yield* sleep(TIMING.llmFirst, directives.slow)
      if (stream) {
        for (const chunk of chunks) {
          yield* emit(job, "llm_chunk", { chunk })
          yield* sleep(TIMING.llmToken, directives.slow)
        }
      } else {
        yield* sleep(TIMING.llmToken * chunks.length, directives.slow)
      }
      if (directives.fail) return yield* fail(job, "GENERATION_FAILED", "The model failed (emulator [[fail]] directive)")
      const completionTokens = chunks.length
      finish(job, true, promptTokens + completionTokens, { prompt })
      let parsed: unknown
      if (json) {
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = undefined
        }
      }
      yield* emit(job, "generation_complete", {
        result: {
          text,
          ...(parsed !== undefined ? { json: parsed } : {}),
          tokensUsed: promptTokens + completionTokens,
          promptTokens,
          completionTokens
        }
      })
    })

  // --- requests --------------------------------------------------------------------------------

  const opOf: Readonly<Record<string, Ledger.Operation>> = {
    generate_image: "image",
    generate_upscale: "image",
    generate_video: "video",
    generate_llm: "llm"
  }

  const startJob = (conn: Conn, type: string, requestId: string, data: Record<string, unknown>) => {
    const key = conn.key!
    const op = opOf[type]!
    const rawPrompt = typeof data.prompt === "string" ? data.prompt : ""
    const { clean, found } = parseDirectives(rawPrompt)
    const problem = validate(type, data, clean)
    if (problem !== undefined) return error(conn, requestId, problem.code, problem.message)
    if (jobs.has(requestId)) return error(conn, requestId, "INVALID_REQUEST", `requestId ${requestId} is already running`)
    for (const name of ["rate-limit", "concurrent-limit"] as const) {
      if (!found.has(name)) continue
      const limit = found.get(name)
      const useKey = `${key}|${name}|${rawPrompt}`
      const used = directiveUses.get(useKey) ?? 0
      directiveUses.set(useKey, used + 1)
      if (limit === undefined || used < limit) {
        const now = Date.now()
        return name === "rate-limit"
          ? error(conn, requestId, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded. Please try again later.", {
            operation: op,
            retryAfter: retryAfter,
            resetAt: new Date(now + retryAfter * 1000).toISOString()
          })
          : error(conn, requestId, "CONCURRENT_LIMIT_EXCEEDED", `Too many simultaneous ${op} operations`, {
            operation: op,
            retryAfter: retryAfter
          })
      }
    }
    const ledger = ledgerOf(key)
    const refusal = Ledger.admit(ledger, limits, op, Date.now(), retryAfter)
    if (refusal !== undefined) return error(conn, requestId, refusal.code, refusal.message, refusal.details)
    const injected = faults.fail[0]
    if (injected !== undefined) {
      if (--injected.remaining <= 0) faults.fail.shift()
      return error(conn, requestId, injected.code, injected.message, injected.details)
    }
    for (const field of ["imageId", "imageId2"] as const) {
      const id = data[field]
      if (typeof id === "string" && !store.has(id)) {
        return error(conn, requestId, "RESOURCE_NOT_FOUND", `${field} ${id} was not found`)
      }
    }
    Ledger.start(ledger, op, Date.now())
    const job: Job = { requestId, key, op, operation: type.replace(/^generate_/, ""), conn, fiber: undefined, done: false }
    jobs.set(requestId, job)
    const slow = found.has("slow")
    const failing = found.has("fail")
    let work: Effect.Effect<void>
    const seed = isInt(data.seed) ? data.seed : hashString(clean) % 2_000_000_000
    if (type === "generate_image") {
      const source = typeof data.imageId === "string" ? store.get(data.imageId) : undefined
      const preset = typeof data.format === "string" ? FORMATS[data.format] : undefined
      const width = isInt(data.width) ? data.width : source?.width ?? preset?.[0] ?? 1024
      const height = isInt(data.height) ? data.height : source?.height ?? preset?.[1] ?? 1024
      const second = typeof data.imageId2 === "string" ? store.get(data.imageId2) : undefined
      const stored: Stored = {
        kind: "image",
        prompt: clean,
        seed,
        width,
        height,
        tint: source === undefined ? undefined : tintOf(source, second)
      }
      work = runMedia(job, TIMING.imageStep, slow, failing, stored, { width, height, seed })
    } else if (type === "generate_upscale") {
      const source = store.get(data.imageId as string)!
      const factor = isInt(data.factor) ? data.factor : 2
      const stored: Stored = { ...source, seed: isInt(data.seed) ? data.seed : source.seed, width: source.width * factor, height: source.height * factor }
      work = runMedia(job, TIMING.upscaleStep, slow, failing, stored, { width: stored.width, height: stored.height, seed: stored.seed })
    } else if (type === "generate_video") {
      const source = store.get(data.imageId as string)!
      const duration = typeof data.duration === "number" ? data.duration : 5
      const fps = isInt(data.fps) ? data.fps : 16
      const stored: Stored = {
        kind: "video",
        prompt: clean.length > 0 ? `${source.prompt} ${clean}` : source.prompt,
        seed: source.seed,
        width: source.width,
        height: source.height,
        frames: Math.max(1, Math.round(duration * fps)),
        fps,
        tint: source.tint
      }
      work = runMedia(job, TIMING.videoStep, slow, failing, stored, { duration, fps, seed: source.seed })
    } else {
      if (data.stream === true && (data.jsonFormat === true || data.jsonTemplate !== undefined)) {
        finish(job, false, 0)
        return error(conn, requestId, "INVALID_REQUEST", "jsonFormat cannot be combined with stream")
      }
      const llmPrompt = rawPrompt.replace(/\[\[\s*(rate-limit|concurrent-limit)(?:\s+x\d+)?\s*\]\]/gi, "").trim()
      work = runLlm(job, data, llmPrompt, data.stream === true)
    }
    job.fiber = world.run(
      work.pipe(Effect.onInterrupt(() => Effect.sync(() => finish(job, false, 0))))
    )
  }

  const cancel = (requestId: string) => {
    const job = jobs.get(requestId)
    if (job === undefined) return
    cancelled.push(requestId)
    finish(job, false, 0)
    if (job.fiber !== undefined) world.run(Fiber.interrupt(job.fiber))
  }

  const onMessage = (conn: Conn, raw: string) => {
    let frame: unknown
    try {
      frame = JSON.parse(raw)
    } catch {
      return error(conn, undefined, "INVALID_REQUEST", "Malformed JSON")
    }
    if (typeof frame !== "object" || frame === null || typeof (frame as { type?: unknown }).type !== "string") {
      return error(conn, undefined, "INVALID_REQUEST", "Missing message type")
    }
    const { data, requestId, type } = frame as { type: string; requestId?: unknown; data?: unknown }
    const id = typeof requestId === "string" ? requestId : undefined
    received.push({ type, requestId: id, data: type === "auth" ? { apiKey: "<redacted>" } : data })
    if (type === "auth") {
      const apiKey = (data as { apiKey?: unknown } | undefined)?.apiKey
      if (typeof apiKey === "string" && keys.has(apiKey)) {
        conn.key = apiKey
        return send(conn, { type: "auth_success", data: { message: "Authenticated successfully" } })
      }
      error(conn, undefined, "AUTH_ERROR", "Invalid API key")
      if (closeAfterAuthError) setTimeout(() => conn.ws.close(1008, "Authentication failed"), 10)
      return
    }
    if (type === "ping") return send(conn, { type: "pong" })
    if (conn.key === undefined) return error(conn, id, "AUTH_REQUIRED", "Authenticate first")
    if (type === "cancel") return id === undefined ? undefined : cancel(id)
    const body = typeof data === "object" && data !== null && !Array.isArray(data) ? data as Record<string, unknown> : {}
    if (id === undefined) return error(conn, undefined, "INVALID_REQUEST", "requestId is required")
    const now = Date.now()
    const ledger = ledgerOf(conn.key)
    switch (type) {
      case "generate_image":
      case "generate_video":
      case "generate_upscale":
      case "generate_llm":
        return startJob(conn, type, id, body)
      case "get_settings":
        return send(conn, { type: "settings_response", requestId: id, data: { settings: Ledger.settingsOf(ledger, limits, now) } })
      case "get_usage": {
        const days = body.days ?? 30
        if (!isInt(days) || days < 1 || days > 365) return error(conn, id, "INVALID_REQUEST", "days must be between 1 and 365")
        return send(conn, { type: "settings_response", requestId: id, data: { usage: Ledger.usageOf(ledger, days, now) } })
      }
      case "get_rate_limits":
        return send(conn, {
          type: "settings_response",
          requestId: id,
          data: { rateLimits: Ledger.rateLimitsOf(ledger, limits, now, retryAfter) }
        })
      default:
        return error(conn, id, "INVALID_REQUEST", `Unknown message type ${type}`)
    }
  }

  const accept = (ws: WebSocket) => {
    const conn: Conn = { ws, key: undefined, openedAt: Date.now() + (serial++) / 1e6 }
    conns.add(conn)
    ws.on("message", (raw, isBinary) => {
      if (isBinary) return error(conn, undefined, "INVALID_REQUEST", "Binary frames are not supported")
      onMessage(conn, raw.toString())
    })
    ws.on("close", () => {
      conns.delete(conn)
      if (onDisconnect === "cancel") {
        for (const job of [...jobs.values()]) if (job.conn === conn) cancel(job.requestId)
      }
    })
  }

  // --- CDN --------------------------------------------------------------------------------------

  const serveHttp = (request: Http.IncomingMessage, response: Http.ServerResponse): boolean => {
    const path = new URL(request.url ?? "/", "http://emulator.invalid").pathname
    const match = /^\/api\/v1\/cdn\/([^/]+)\.(png|jpg|mp4)$/.exec(path)
    if (match === null || request.method !== "GET") return false
    const auth = request.headers.authorization
    const key = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined
    if (key === undefined || !keys.has(key)) {
      response.writeHead(401, { "content-type": "application/json" })
      response.end(JSON.stringify({ success: false, error: { code: "INVALID_API_KEY", message: "Invalid API key" } }))
      return true
    }
    const stored = store.get(decodeURIComponent(match[1]!))
    if (stored === undefined || (stored.kind === "video") !== (match[2] === "mp4")) {
      response.writeHead(404, { "content-type": "application/json" })
      response.end(JSON.stringify({ success: false, error: { code: "RESOURCE_NOT_FOUND", message: "Not found" } }))
      return true
    }
    Ledger.start(ledgerOf(key), "cdn", Date.now())
    Ledger.end(ledgerOf(key), "cdn", true, 0, Date.now())
    if (stored.kind === "video") {
      const bytes = encodeVideo({
        prompt: stored.prompt,
        seed: stored.seed,
        width: stored.width,
        height: stored.height,
        frames: stored.frames ?? 80,
        fps: stored.fps ?? 16,
        tint: stored.tint === undefined ? undefined : { rgb: stored.tint, amount: 0.3 }
      })
      response.writeHead(200, { "content-type": "video/mp4", "content-length": String(bytes.length) })
      response.end(Buffer.from(bytes))
      return true
    }
    const pixels = renderPixels(
      {
        prompt: stored.prompt,
        seed: stored.seed,
        width: stored.width,
        height: stored.height,
        tint: stored.tint === undefined ? undefined : { rgb: stored.tint, amount: 0.3 }
      },
      Math.max(stored.width, stored.height)
    )
    const image = encodePixels(pixels, match[2] === "jpg" ? "jpg" : "png")
    response.writeHead(200, { "content-type": image.contentType, "content-length": String(image.bytes.length) })
    response.end(image.bytes)
    return true
  }

  // --- control ----------------------------------------------------------------------------------

  const control: ZelaiControl = {
    apiKey: [...keys][0]!,
    billed: () => [...billed],
    received: () => [...received],
    running: () => jobs.size,
    cancelled: () => [...cancelled],
    connections: () => [...conns].filter((c) => c.key !== undefined).length,
    dropConnections: (opts = {}) => {
      const all = [...conns]
      for (const c of all) {
        if (opts.abnormal === true) c.ws.terminate()
        else c.ws.close(opts.code ?? 1011, "Closed by the emulator control API")
      }
      return all.length
    },
    delayFrames: (millis) => {
      faults.delayMillis = Math.max(0, millis)
    },
    failNext: ({ code, count, details, message }) => {
      faults.fail.push({ remaining: count, code, message: message ?? `Injected ${code}`, details })
    },
    sendMalformed: (kind) => {
      const text = kind === "notJson"
        ? "{ this is not json"
        : kind === "noType"
        ? JSON.stringify({ requestId: "req_none", data: {} })
        : kind === "badProgress"
        ? JSON.stringify({ type: "progress", requestId: "req_none", data: { progress: "half" } })
        : JSON.stringify({ type: "emulator_unknown_frame", data: {} })
      let sent = 0
      for (const c of conns) {
        if (c.key !== undefined && c.ws.readyState === c.ws.OPEN) {
          c.ws.send(text)
          sent++
        }
      }
      return sent
    }
  }

  return { control, accept, serveHttp }
}

/** A JSON schema for a `jsonTemplate`: every key required; a description naming a type gets that type. */
const templateSchema = (template: Readonly<Record<string, string>>) => ({
  type: "object",
  properties: Object.fromEntries(
    Object.entries(template).map(([k, description]) => {
      const t = /^\s*(integer|number|boolean|string)\b/i.exec(description)?.[1]?.toLowerCase() ?? "string"
      return [k, { type: t, description }]
    })
  ),
  required: Object.keys(template)
})

const tintOf = (source: Stored, second: Stored | undefined): readonly [number, number, number] => {
  const h = hashString(`${source.prompt}|${source.seed}|${second?.prompt ?? ""}`)
  return [h & 255, (h >>> 8) & 255, (h >>> 16) & 255]
}

const validate = (type: string, data: Record<string, unknown>, prompt: string): Problem | undefined => {
  const need = (field: string) =>
    typeof data[field] === "string" && (data[field] as string).trim().length > 0
      ? undefined
      : { code: "INVALID_REQUEST", message: `${field} is required` }
  switch (type) {
    case "generate_image": {
      if (prompt.length === 0) return { code: "INVALID_REQUEST", message: "prompt is required" }
      if (data.style !== undefined && !(typeof data.style === "string" && STYLES.has(data.style))) {
        return { code: "INVALID_REQUEST", message: `Unknown style ${String(data.style)}` }
      }
      if (data.format !== undefined && !(typeof data.format === "string" && data.format in FORMATS)) {
        return { code: "INVALID_REQUEST", message: `Unknown format ${String(data.format)}` }
      }
      return checkRange(data, "seed", 0, 2_000_000_000) ?? checkRange(data, "width", 320, 1344) ??
        checkRange(data, "height", 320, 1344)
    }
    case "generate_video":
      return need("imageId") ?? checkRange(data, "duration", 1, 10, false) ?? checkRange(data, "fps", 8, 60)
    case "generate_upscale":
      return need("imageId") ??
        (data.factor !== undefined && ![2, 3, 4].includes(data.factor as number)
          ? { code: "INVALID_REQUEST", message: "factor must be 2, 3 or 4" }
          : undefined) ??
        checkRange(data, "seed", 0, 2_000_000_000)
    case "generate_llm":
      return prompt.length === 0
        ? { code: "INVALID_REQUEST", message: "prompt is required" }
        : prompt.length > 90_000
        ? { code: "INVALID_REQUEST", message: "prompt exceeds maxPromptLength" }
        : undefined
    default:
      return undefined
  }
}
