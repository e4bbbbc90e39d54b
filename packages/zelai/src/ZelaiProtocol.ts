/**
 * The ZelAI WebSocket protocol (`/ws/generation`): the envelope, the request option tables with their
 * ranges, the result payloads, and the pure checks that refuse a bad request before anything is sent.
 *
 * Every frame is one JSON object `{ type, requestId?, data? }` in a text frame. Where the seed document
 * and the live server disagree, the decoders accept both shapes:
 *
 * - a `generation_complete` without `data.result` is read as if `data` itself were the result (the seed's
 *   flat `{ imageId, url }` example);
 * - `rateLimits` is read as an array of any length, looked up by `operation` (4 entries in v1.7, 6 in v1.12);
 * - `usage.summary` fields are all optional (1.7 renamed them);
 * - `progress` is optional and clamped to 0–100.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { ZelaiProtocol } from "@effect-sogni/zelai"
 *
 * const checked = ZelaiProtocol.validateImage({ prompt: "a lighthouse", seed: 3_000_000_000 })
 * // Left(SogniInvalidRequest { field: "seed", rule: "range", … })
 * ```
 *
 * @since 0.2.0
 */
import { SogniError } from "@effect-sogni/core"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseIssues from "@effect-sogni/core/ParseIssues"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** The API key prefix every ZelAI key carries. @since 0.2.0 */
export const KEY_PREFIX = "zelai_pk_"

/** The path of the generation socket under the base URL. @since 0.2.0 */
export const SOCKET_PATH = "/ws/generation"

/** The official SDK's REST base (the socket URL is derived from it). @since 0.2.0 */
export const DEFAULT_BASE_URL = "https://api.zelstudio.com:800"

/** Style presets (wire ids). @since 0.2.0 */
export const STYLES = [
  "raw",
  "realistic",
  "text",
  "ciniji",
  "portrait",
  "cine",
  "sport",
  "fashion",
  "niji",
  "anime",
  "manga",
  "watercolor",
  "comicbook",
  "paint"
] as const

/** @since 0.2.0 */
export type Style = typeof STYLES[number]

/** Format presets and the size each one renders at. @since 0.2.0 */
export const FORMATS = {
  portrait: { width: 768, height: 1344 },
  landscape: { width: 1344, height: 768 },
  profile: { width: 1024, height: 1024 },
  story: { width: 720, height: 1280 },
  post: { width: 1152, height: 896 },
  smartphone: { width: 640, height: 1344 },
  banner: { width: 1472, height: 448 }
} as const

/** @since 0.2.0 */
export type Format = keyof typeof FORMATS

/** The ranges of the option tables, written once (zelai.md §6). @since 0.2.0 */
export const LIMITS = {
  seed: { min: 0, max: 2_000_000_000 },
  size: { min: 320, max: 1344 },
  videoDuration: { min: 1, max: 10 },
  videoFps: { min: 8, max: 60 },
  upscaleFactors: [2, 3, 4] as const,
  usageDays: { min: 1, max: 365 },
  /** `llm.maxPromptLength` as the docs show it; the client's bound is configurable. */
  maxPromptLength: 90_000,
  /** A request id stays ASCII and at most this long (A27). */
  requestIdLength: 64
} as const

/** Size used when neither a format nor a width/height is given (undocumented; the emulator's choice). @since 0.2.0 */
export const DEFAULT_SIZE = { width: 1024, height: 1024 } as const

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** Text-to-image options (§6.1). @since 0.2.0 */
export interface ImageRequest {
  readonly prompt: string
  readonly style?: Style | undefined
  readonly format?: Format | undefined
  readonly negativePrompt?: string | undefined
  readonly seed?: number | undefined
  readonly width?: number | undefined
  readonly height?: number | undefined
}

/** Image edit options (§6.2): `imageId` is image 1, `imageId2` switches to dual-image editing. @since 0.2.0 */
export interface EditRequest {
  readonly imageId: string
  readonly imageId2?: string | undefined
  readonly prompt: string
  readonly negativePrompt?: string | undefined
  readonly seed?: number | undefined
  readonly width?: number | undefined
  readonly height?: number | undefined
  /** Pad instead of stretching when resizing. */
  readonly resizePad?: boolean | undefined
}

/** Video-from-image options (§6.3). @since 0.2.0 */
export interface VideoRequest {
  readonly imageId: string
  /** Motion description (1.8+). */
  readonly prompt?: string | undefined
  /** Seconds, 1–10 (fractions accepted). */
  readonly duration?: number | undefined
  readonly fps?: number | undefined
}

/** Upscale options (§6.5). @since 0.2.0 */
export interface UpscaleRequest {
  readonly imageId: string
  readonly factor?: 2 | 3 | 4 | undefined
  readonly seed?: number | undefined
}

/** LLM options (§6.4). `jsonFormat`/`jsonTemplate` are refused on streams. @since 0.2.0 */
export interface LlmRequest {
  readonly prompt: string
  readonly system?: string | undefined
  /** Prior turns, oldest first, as plain strings (`"User: …"`, `"Assistant: …"`). */
  readonly memory?: ReadonlyArray<string> | undefined
  readonly jsonFormat?: boolean | undefined
  /** Wanted JSON keys and a plain-language description of each. */
  readonly jsonTemplate?: Readonly<Record<string, string>> | undefined
  readonly useRandomSeed?: boolean | undefined
  readonly useMarkdown?: boolean | undefined
  /** A CDN image for vision analysis. */
  readonly imageId?: string | undefined
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const invalid = (field: string, rule: string, message: string) =>
  Either.left(new SogniError.SogniInvalidRequest({ field, rule, message }))

type Check = Either.Either<void, SogniError.SogniInvalidRequest>
const ok: Check = Either.void

const first = (...checks: ReadonlyArray<() => Check>): Check => {
  for (const check of checks) {
    const r = check()
    if (Either.isLeft(r)) return r
  }
  return ok
}

const text = (field: string, value: unknown, required: boolean, maxLength?: number): Check => {
  if (value === undefined) return required ? invalid(field, "required", `${field} is required`) : ok
  if (typeof value !== "string") return invalid(field, "type", `${field} must be a string`)
  if (required && value.trim().length === 0) return invalid(field, "non-empty", `${field} must not be empty`)
  if (maxLength !== undefined && value.length > maxLength) {
    return invalid(field, "max-length", `${field} is ${value.length} characters; the limit is ${maxLength}`)
  }
  return ok
}

const intRange = (field: string, value: unknown, min: number, max: number): Check => {
  if (value === undefined) return ok
  if (typeof value !== "number" || !Number.isInteger(value)) return invalid(field, "integer", `${field} must be an integer`)
  if (value < min || value > max) return invalid(field, "range", `${field} must be between ${min} and ${max} (got ${value})`)
  return ok
}

const numRange = (field: string, value: unknown, min: number, max: number): Check => {
  if (value === undefined) return ok
  if (typeof value !== "number" || !Number.isFinite(value)) return invalid(field, "number", `${field} must be a finite number`)
  if (value < min || value > max) return invalid(field, "range", `${field} must be between ${min} and ${max} (got ${value})`)
  return ok
}

const oneOf = (field: string, value: unknown, allowed: ReadonlyArray<unknown>): Check =>
  value === undefined || allowed.includes(value)
    ? ok
    : invalid(field, "one-of", `${field} must be one of ${allowed.join(", ")} (got ${String(value)})`)

const bool = (field: string, value: unknown): Check =>
  value === undefined || typeof value === "boolean" ? ok : invalid(field, "type", `${field} must be a boolean`)

const size = (r: { readonly width?: unknown; readonly height?: unknown }): Check =>
  first(
    () => intRange("width", r.width, LIMITS.size.min, LIMITS.size.max),
    () => intRange("height", r.height, LIMITS.size.min, LIMITS.size.max)
  )

/** Checks text-to-image options. @since 0.2.0 */
export const validateImage = (r: ImageRequest): Check =>
  first(
    () => text("prompt", r.prompt, true),
    () => oneOf("style", r.style, STYLES),
    () => oneOf("format", r.format, Object.keys(FORMATS)),
    () => text("negativePrompt", r.negativePrompt, false),
    () => intRange("seed", r.seed, LIMITS.seed.min, LIMITS.seed.max),
    () => size(r)
  )

/** Checks image-edit options. @since 0.2.0 */
export const validateEdit = (r: EditRequest): Check =>
  first(
    () => text("imageId", r.imageId, true),
    () => text("imageId2", r.imageId2, false),
    () => text("prompt", r.prompt, true),
    () => text("negativePrompt", r.negativePrompt, false),
    () => intRange("seed", r.seed, LIMITS.seed.min, LIMITS.seed.max),
    () => size(r),
    () => bool("resizePad", r.resizePad)
  )

/** Checks video options. @since 0.2.0 */
export const validateVideo = (r: VideoRequest): Check =>
  first(
    () => text("imageId", r.imageId, true),
    () => text("prompt", r.prompt, false),
    () => numRange("duration", r.duration, LIMITS.videoDuration.min, LIMITS.videoDuration.max),
    () => intRange("fps", r.fps, LIMITS.videoFps.min, LIMITS.videoFps.max)
  )

/** Checks upscale options. @since 0.2.0 */
export const validateUpscale = (r: UpscaleRequest): Check =>
  first(
    () => text("imageId", r.imageId, true),
    () => oneOf("factor", r.factor, LIMITS.upscaleFactors),
    () => intRange("seed", r.seed, LIMITS.seed.min, LIMITS.seed.max)
  )

/** Checks LLM options; `stream` refuses `jsonFormat`/`jsonTemplate` (A16). @since 0.2.0 */
export const validateLlm = (r: LlmRequest, options: { readonly stream: boolean; readonly maxPromptLength: number }): Check =>
  first(
    () => text("prompt", r.prompt, true, options.maxPromptLength),
    () => text("system", r.system, false),
    () =>
      r.memory === undefined || (Array.isArray(r.memory) && r.memory.every((m) => typeof m === "string"))
        ? ok
        : invalid("memory", "type", "memory must be an array of strings"),
    () => bool("jsonFormat", r.jsonFormat),
    () =>
      r.jsonTemplate === undefined ||
        (typeof r.jsonTemplate === "object" && r.jsonTemplate !== null &&
          Object.values(r.jsonTemplate).every((v) => typeof v === "string"))
        ? ok
        : invalid("jsonTemplate", "type", "jsonTemplate must map each key to a string description"),
    () =>
      options.stream && (r.jsonFormat === true || r.jsonTemplate !== undefined)
        ? invalid(
          r.jsonFormat === true ? "jsonFormat" : "jsonTemplate",
          "not-with-streaming",
          "structured (JSON) output cannot be streamed on ZelAI; use the non-streaming call"
        )
        : ok,
    () => text("imageId", r.imageId, false)
  )

/** Checks the `days` of a usage query. @since 0.2.0 */
export const validateDays = (days: number): Check => intRange("days", days, LIMITS.usageDays.min, LIMITS.usageDays.max)

/**
 * Strips `undefined` members so the wire object carries only what was set.
 *
 * @since 0.2.0
 */
export const compact = <A extends object>(a: A): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v
  return out
}

// ---------------------------------------------------------------------------------------------
// Server frames
// ---------------------------------------------------------------------------------------------

/** The envelope of every frame. @since 0.2.0 */
export const Envelope = Schema.Struct({
  type: Schema.String,
  requestId: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Unknown)
})

/** @since 0.2.0 */
export type Envelope = typeof Envelope.Type

/** `error.data`. @since 0.2.0 */
export const ErrorData = Schema.Struct({
  code: Schema.optionalWith(Schema.String, { default: () => "UNKNOWN_ERROR" }),
  message: Schema.optionalWith(Schema.String, { default: () => "" }),
  details: Schema.optional(Schema.Unknown),
  retryAfter: Schema.optional(Schema.Number)
})

/** @since 0.2.0 */
export type ErrorData = typeof ErrorData.Type

/** `progress.data`. @since 0.2.0 */
export const ProgressData = Schema.Struct({
  progress: Schema.Number,
  status: Schema.optional(Schema.String)
})

/** `llm_chunk.data`. @since 0.2.0 */
export const LlmChunkData = Schema.Struct({ chunk: Schema.String })

/** The result of an image, edit or upscale. @since 0.2.0 */
export const ImageResult = Schema.Struct({
  imageId: Schema.String,
  width: Schema.optional(Schema.Number),
  height: Schema.optional(Schema.Number),
  seed: Schema.optional(Schema.Number),
  url: Schema.optional(Schema.String)
})

/** @since 0.2.0 */
export type ImageResult = typeof ImageResult.Type

/** The result of a video. @since 0.2.0 */
export const VideoResult = Schema.Struct({
  videoId: Schema.String,
  duration: Schema.optional(Schema.Number),
  fps: Schema.optional(Schema.Number),
  seed: Schema.optional(Schema.Number),
  url: Schema.optional(Schema.String)
})

/** @since 0.2.0 */
export type VideoResult = typeof VideoResult.Type

/** The result of an LLM call: the full text, the parsed JSON when asked for, token counts. @since 0.2.0 */
export const LlmResult = Schema.Struct({
  text: Schema.optionalWith(Schema.String, { default: () => "" }),
  json: Schema.optional(Schema.Unknown),
  tokensUsed: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  promptTokens: Schema.optional(Schema.Number),
  completionTokens: Schema.optional(Schema.Number)
})

/** @since 0.2.0 */
export type LlmResult = typeof LlmResult.Type

const Counters = Schema.Struct({
  requestsPer15Min: Schema.optional(Schema.Number),
  requestsPerDay: Schema.optional(Schema.Number),
  tokensPer15Min: Schema.optional(Schema.Number),
  tokensPerDay: Schema.optional(Schema.Number),
  maxPromptLength: Schema.optional(Schema.Number)
})

const ResetAt = Schema.Struct({
  window15Min: Schema.optional(Schema.String),
  daily: Schema.optional(Schema.String)
})

/** `settings_response.data.settings` (§9.1). @since 0.2.0 */
export const Settings = Schema.Struct({
  status: Schema.String,
  rateLimits: Schema.Record({ key: Schema.String, value: Counters }),
  currentUsage: Schema.optional(Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      current: Schema.optional(Counters),
      remaining: Schema.optional(Counters),
      resetAt: Schema.optional(ResetAt)
    })
  })),
  lastUsedAt: Schema.optional(Schema.String)
})

/** @since 0.2.0 */
export type Settings = typeof Settings.Type

const ByOperation = Schema.Record({ key: Schema.String, value: Schema.Number })

/** `settings_response.data.usage` (§9.2). @since 0.2.0 */
export const Usage = Schema.Struct({
  period: Schema.Struct({ start: Schema.String, end: Schema.String, days: Schema.Number }),
  summary: Schema.Struct({
    total: Schema.optionalWith(Schema.Number, { default: () => 0 }),
    byOperation: Schema.optionalWith(ByOperation, { default: () => ({}) }),
    totalTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
    successRate: Schema.optional(Schema.Number)
  }),
  daily: Schema.optionalWith(
    Schema.Array(Schema.Struct({
      date: Schema.String,
      total: Schema.Number,
      byOperation: Schema.optional(ByOperation),
      tokens: Schema.optional(Schema.Number)
    })),
    { default: () => [] }
  )
})

/** @since 0.2.0 */
export type Usage = typeof Usage.Type

/** One entry of `settings_response.data.rateLimits` (§9.3). @since 0.2.0 */
export const RateLimit = Schema.Struct({
  operation: Schema.String,
  allowed: Schema.Boolean,
  remaining15min: Schema.optional(Schema.Number),
  remainingDaily: Schema.optional(Schema.Number),
  current: Schema.optional(Counters),
  limit: Schema.optional(Counters),
  resetAt: Schema.optional(ResetAt)
})

/** @since 0.2.0 */
export type RateLimit = typeof RateLimit.Type

/** The rate-limit entries, any length (A21). @since 0.2.0 */
export const RateLimits = Schema.Array(RateLimit)

/**
 * A decoded server frame, or why it was skipped.
 *
 * @since 0.2.0
 */
export type ServerFrame =
  | { readonly _tag: "AuthSuccess" }
  | { readonly _tag: "Pong" }
  | { readonly _tag: "Progress"; readonly requestId: string; readonly progress: number; readonly status: string | undefined }
  | { readonly _tag: "LlmChunk"; readonly requestId: string; readonly chunk: string }
  | { readonly _tag: "Complete"; readonly requestId: string; readonly result: unknown }
  | { readonly _tag: "SettingsResponse"; readonly requestId: string; readonly data: Readonly<Record<string, unknown>> }
  | { readonly _tag: "Error"; readonly requestId: string | undefined; readonly error: ErrorData }
  | { readonly _tag: "Unknown"; readonly type: string; readonly requestId: string | undefined }
  | { readonly _tag: "Skip"; readonly reason: string }

const decodeEnvelope = Schema.decodeUnknownEither(Schema.parseJson(Envelope))
const decodeError = Schema.decodeUnknownEither(ErrorData)
const decodeProgress = Schema.decodeUnknownEither(ProgressData)
const decodeChunk = Schema.decodeUnknownEither(LlmChunkData)

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const describe = (e: ParseResult.ParseError) => ParseIssues.format(e.issue).slice(0, 300)

/**
 * Decodes one text frame. Never fails: a frame that is not JSON, lacks its `type`, or carries a payload
 * of the wrong shape comes back as `Skip` with the reason (to be logged and dropped).
 *
 * @since 0.2.0
 */
export const decodeServerFrame = (raw: string): ServerFrame => {
  const env = decodeEnvelope(raw)
  if (Either.isLeft(env)) return { _tag: "Skip", reason: `not a frame: ${describe(env.left)}` }
  const { data, requestId, type } = env.right
  const needId = (): string | undefined => requestId
  switch (type) {
    case "auth_success":
      return { _tag: "AuthSuccess" }
    case "pong":
      return { _tag: "Pong" }
    case "error": {
      const e = decodeError(data ?? {})
      return Either.isLeft(e)
        ? { _tag: "Skip", reason: `error frame without code/message: ${describe(e.left)}` }
        : { _tag: "Error", requestId, error: e.right }
    }
    case "progress": {
      const id = needId()
      if (id === undefined) return { _tag: "Skip", reason: "progress without requestId" }
      const p = decodeProgress(data)
      if (Either.isLeft(p)) return { _tag: "Skip", reason: `progress: ${describe(p.left)}` }
      const clamped = Math.max(0, Math.min(100, p.right.progress))
      return { _tag: "Progress", requestId: id, progress: clamped, status: p.right.status }
    }
    case "llm_chunk": {
      const id = needId()
      if (id === undefined) return { _tag: "Skip", reason: "llm_chunk without requestId" }
      const c = decodeChunk(data)
      if (Either.isLeft(c)) return { _tag: "Skip", reason: `llm_chunk: ${describe(c.left)}` }
      return { _tag: "LlmChunk", requestId: id, chunk: c.right.chunk }
    }
    case "generation_complete": {
      const id = needId()
      if (id === undefined) return { _tag: "Skip", reason: "generation_complete without requestId" }
      if (!isRecord(data)) return { _tag: "Skip", reason: "generation_complete without data" }
      // A2: `data.result` (SDK, live tests), else the flat `data` of the seed's example
      return { _tag: "Complete", requestId: id, result: isRecord(data.result) ? data.result : data }
    }
    case "settings_response": {
      const id = needId()
      if (id === undefined) return { _tag: "Skip", reason: "settings_response without requestId" }
      if (!isRecord(data)) return { _tag: "Skip", reason: "settings_response without data" }
      return { _tag: "SettingsResponse", requestId: id, data }
    }
    default:
      return { _tag: "Unknown", type, requestId }
  }
}

/**
 * Decodes a result payload with `schema`, as a typed failure naming the frame when it does not fit.
 *
 * @since 0.2.0
 */
export const decodeResult = <A, I>(
  schema: Schema.Schema<A, I>,
  what: string,
  value: unknown
): Either.Either<A, SogniError.SogniDecodeError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema)(value),
    (e) => new SogniError.SogniDecodeError({ reason: "Payload", message: `${what}: ${describe(e)}` })
  )

/**
 * The socket URL for a base URL: scheme swapped (`http`→`ws`, `https`→`wss`), path `/ws/generation`
 * appended (A1). `None` when the base is not an http(s) or ws(s) URL.
 *
 * @since 0.2.0
 */
export const socketUrl = (baseUrl: string): Option.Option<string> => {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return Option.none()
  }
  const scheme = url.protocol === "https:" || url.protocol === "wss:"
    ? "wss:"
    : url.protocol === "http:" || url.protocol === "ws:"
    ? "ws:"
    : undefined
  if (scheme === undefined) return Option.none()
  const path = url.pathname.replace(/\/+$/, "")
  return Option.some(`${scheme}//${url.host}${path}${SOCKET_PATH}`)
}

/**
 * The CDN URL of a generated file (`GET <base>/api/v1/cdn/<id>.<ext>`, bearer key).
 *
 * @since 0.2.0
 */
export const cdnUrl = (baseUrl: string, id: string, extension: string): string =>
  `${baseUrl.replace(/\/+$/, "")}/api/v1/cdn/${encodeURIComponent(id)}.${extension}`
