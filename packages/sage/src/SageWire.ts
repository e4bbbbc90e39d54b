/**
 * The Sage Utils LLM wire (sage-llm.md Part A) as pure functions: request validation and the request
 * body, tolerant readers of response bodies, and the stream-event machine.
 *
 * Three contracts exist (§A.0): the handed document (D), the server when it was written (S1) and the
 * server now (S2). Requests carry both what D documents (`system`, top-level sampling) and what the
 * servers read (`system_prompt`, `options{}`); unknown keys are ignored by every server, so this is
 * harmless. Responses are read tolerantly:
 *
 * - bodies: `data`-wrapped (S1/S2) or flat (D); failure = HTTP ≥ 400 or `success === false` (or a
 *   top-level `error` without `success: true`); `error_code`, `provider`, `operation` when present;
 * - provider keys: S2's `ollama_rest` / `lmstudio_rest` are read as `ollama` / `lmstudio`;
 * - stream events: text from `chunk`, else `token`; a `done` without `full_response` (S1 Ollama sends
 *   one before Sage's own final event) does not end the stream — the answer is the final
 *   `full_response`, else the concatenated text when the stream closes; `{error, done: true}` or
 *   `event: "error"` is a terminal failure; other `event`s (S2 progress) are progress, never text.
 *
 * @example
 * ```ts
 * import { SageWire } from "@effect-sogni/sage"
 *
 * SageWire.parseEvent({ chunk: "Fog", done: false })          // [TextDelta "Fog"]
 * SageWire.parseEvent({ token: "Fog" })                        // [TextDelta "Fog"] (D)
 * SageWire.parseEvent({ chunk: "", done: true, full_response: "Fog rolls in." })
 * ```
 *
 * @since 0.2.0
 */
import { SogniError } from "@effect-sogni/core"
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import { reasonFromStatus, SageError } from "./SageError.js"

type Json = Record<string, unknown>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

// ---------------------------------------------------------------------------------------------------
// Requests

/**
 * Provider keys a request may name: `ollama` and `lmstudio` (every server), `ollama_rest` and
 * `lmstudio_rest` (S2 only).
 *
 * @since 0.2.0
 */
export type Provider = "ollama" | "lmstudio" | "ollama_rest" | "lmstudio_rest"

/** @since 0.2.0 */
export const providers: ReadonlyArray<Provider> = ["ollama", "lmstudio", "ollama_rest", "lmstudio_rest"]

/** S2 reasoning levels (LM Studio `reasoning`, Ollama `think`). @since 0.2.0 */
export type ReasoningLevel = "off" | "low" | "medium" | "high" | "on"

/**
 * A text generation.
 *
 * @since 0.2.0
 */
export interface GenerateRequest {
  /** Defaults to the client's `provider` (default `ollama`). */
  readonly provider?: Provider | undefined
  /** The exact name from `/models` (Ollama names are tagged: `llama3.2:latest`). */
  readonly model: string
  readonly prompt: string
  /** System text (sent as `system_prompt` and `system`). */
  readonly system?: string | undefined
  /** 0–2. */
  readonly temperature?: number | undefined
  /** A positive integer (sent as `max_tokens` and Ollama's `num_predict`). */
  readonly maxTokens?: number | undefined
  /** 0–1. */
  readonly topP?: number | undefined
  /** An integer ≥ 0. */
  readonly topK?: number | undefined
  /** 0–1. */
  readonly minP?: number | undefined
  /** > 0. */
  readonly repeatPenalty?: number | undefined
  /** −2–2. */
  readonly presencePenalty?: number | undefined
  /** −2–2. */
  readonly frequencyPenalty?: number | undefined
  /** An integer. */
  readonly seed?: number | undefined
  /** Stop sequences (honoured where the provider reads `options.stop`). */
  readonly stop?: ReadonlyArray<string> | undefined
  /** S2: context window to load the model with (a positive integer). */
  readonly contextLength?: number | undefined
  /** S2: reasoning level. */
  readonly reasoning?: ReasoningLevel | undefined
  /** Extra provider options, sent inside `options` (the typed fields above win). */
  readonly options?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A generation with images: data URLs (`data:image/<jpeg|png|webp|gif>;base64,…`), at most
 * {@link imageLimits}.
 *
 * @since 0.2.0
 */
export interface VisionRequest extends GenerateRequest {
  readonly images: ReadonlyArray<string>
}

/**
 * The documented image limits (D), checked before sending: formats, count and decoded size.
 *
 * @since 0.2.0
 */
export const imageLimits = {
  formats: ["jpeg", "png", "webp", "gif"] as ReadonlyArray<string>,
  maxCount: 10,
  maxBytes: 10 * 1024 * 1024
} as const

/** How images travel: raw base64 (what S1 needs and S2 accepts) or the data URL (what D documents). @since 0.2.0 */
export type ImageEncoding = "base64" | "dataUrl"

type Check = Either.Either<void, SogniError.SogniInvalidRequest>
const ok: Check = Either.void
const fail = (field: string, rule: string, message: string): Check =>
  Either.left(new SogniError.SogniInvalidRequest({ field, rule, message }))

const checkNumber = (
  field: string,
  value: unknown,
  rule: { readonly min?: number; readonly max?: number; readonly exclusiveMin?: number; readonly integer?: boolean }
): Check => {
  if (value === undefined) return ok
  if (typeof value !== "number" || !Number.isFinite(value)) return fail(field, "finite", `${field} must be a finite number`)
  if (rule.integer === true && !Number.isInteger(value)) return fail(field, "integer", `${field} must be an integer`)
  if (rule.min !== undefined && value < rule.min) return fail(field, "minimum", `${field} must be at least ${rule.min}`)
  if (rule.exclusiveMin !== undefined && value <= rule.exclusiveMin) {
    return fail(field, "minimum", `${field} must be greater than ${rule.exclusiveMin}`)
  }
  if (rule.max !== undefined && value > rule.max) return fail(field, "maximum", `${field} must be at most ${rule.max}`)
  return ok
}

const DATA_URL = /^data:image\/([a-z0-9.+-]+);base64,(.*)$/is
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Decoded size of base64 text without decoding it. */
const decodedBytes = (b64: string) => Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0)

/**
 * Checks one image: a base64 data URL of a documented format, at most `maxBytes` once decoded.
 *
 * @since 0.2.0
 */
export const validateImage = (image: unknown, field: string): Check => {
  if (typeof image !== "string") return fail(field, "type", `${field} must be a data URL string`)
  const m = DATA_URL.exec(image)
  if (m === null) return fail(field, "data-url", `${field} must be a data URL (data:image/<format>;base64,…)`)
  const format = m[1]!.toLowerCase() === "jpg" ? "jpeg" : m[1]!.toLowerCase()
  if (!imageLimits.formats.includes(format)) {
    return fail(field, "format", `${field} must be one of ${imageLimits.formats.join(", ")} (got image/${m[1]})`)
  }
  const b64 = m[2]!.replace(/\s+/g, "")
  if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) return fail(field, "base64", `${field} is not valid base64`)
  if (decodedBytes(b64) > imageLimits.maxBytes) {
    return fail(field, "max-bytes", `${field} must be at most ${imageLimits.maxBytes} bytes once decoded`)
  }
  return ok
}

/**
 * Validates a request before anything is sent: the first problem as a `SogniInvalidRequest` naming the
 * field and the rule.
 *
 * @since 0.2.0
 */
export const validate = (request: GenerateRequest | VisionRequest, vision: boolean): Check => {
  const checks: Array<() => Check> = [
    () => typeof request.model === "string" && request.model.trim().length > 0 ? ok : fail("model", "required", "model must be a non-empty string"),
    () => typeof request.prompt === "string" && request.prompt.trim().length > 0 ? ok : fail("prompt", "required", "prompt must be a non-empty string"),
    () => request.provider === undefined || providers.includes(request.provider)
      ? ok
      : fail("provider", "allowed-values", `provider must be one of ${providers.join(", ")}`),
    () => request.system === undefined || typeof request.system === "string" ? ok : fail("system", "type", "system must be a string"),
    () => checkNumber("temperature", request.temperature, { min: 0, max: 2 }),
    () => checkNumber("maxTokens", request.maxTokens, { min: 1, integer: true }),
    () => checkNumber("topP", request.topP, { min: 0, max: 1 }),
    () => checkNumber("topK", request.topK, { min: 0, integer: true }),
    () => checkNumber("minP", request.minP, { min: 0, max: 1 }),
    () => checkNumber("repeatPenalty", request.repeatPenalty, { exclusiveMin: 0 }),
    () => checkNumber("presencePenalty", request.presencePenalty, { min: -2, max: 2 }),
    () => checkNumber("frequencyPenalty", request.frequencyPenalty, { min: -2, max: 2 }),
    () => checkNumber("seed", request.seed, { integer: true }),
    () => checkNumber("contextLength", request.contextLength, { min: 1, integer: true }),
    () => request.reasoning === undefined || ["off", "low", "medium", "high", "on"].includes(request.reasoning)
      ? ok
      : fail("reasoning", "allowed-values", "reasoning must be off, low, medium, high or on"),
    () => request.stop === undefined || (Array.isArray(request.stop) && request.stop.every((s) => typeof s === "string"))
      ? ok
      : fail("stop", "type", "stop must be an array of strings")
  ]
  if (vision) {
    const images = (request as VisionRequest).images
    checks.push(() => {
      if (!Array.isArray(images) || images.length === 0) return fail("images", "required", "images must be a non-empty array")
      if (images.length > imageLimits.maxCount) {
        return fail("images", "max-count", `at most ${imageLimits.maxCount} images may be sent (got ${images.length})`)
      }
      for (let i = 0; i < images.length; i++) {
        const c = validateImage(images[i], `images[${i}]`)
        if (Either.isLeft(c)) return c
      }
      return ok
    })
  }
  for (const check of checks) {
    const c = check()
    if (Either.isLeft(c)) return c
  }
  return ok
}

const defined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

/** The raw base64 of a data URL. */
const base64Of = (dataUrl: string) => DATA_URL.exec(dataUrl)?.[2]?.replace(/\s+/g, "") ?? dataUrl

/**
 * The JSON body of a (validated) request: `system_prompt` and `system`, sampling inside `options`
 * (with Ollama's `num_predict` next to `max_tokens`) and mirrored at the top level, images in the
 * chosen encoding.
 *
 * @since 0.2.0
 */
export const body = (
  request: GenerateRequest | VisionRequest,
  defaults: { readonly provider: Provider; readonly images: ImageEncoding }
): Json => {
  const sampling = defined({
    temperature: request.temperature,
    top_p: request.topP,
    top_k: request.topK,
    min_p: request.minP,
    repeat_penalty: request.repeatPenalty,
    presence_penalty: request.presencePenalty,
    frequency_penalty: request.frequencyPenalty,
    max_tokens: request.maxTokens,
    seed: request.seed
  })
  const options = defined({
    ...request.options,
    ...sampling,
    num_predict: request.maxTokens,
    stop: request.stop,
    num_ctx: request.contextLength
  })
  const images = "images" in request && Array.isArray(request.images)
    ? request.images.map((i) => (defaults.images === "base64" ? base64Of(i) : i))
    : undefined
  return defined({
    provider: request.provider ?? defaults.provider,
    model: request.model,
    prompt: request.prompt,
    system_prompt: request.system,
    system: request.system,
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...sampling,
    context_length: request.contextLength,
    reasoning: request.reasoning,
    images
  })
}

/**
 * A data URL of some bytes (a convenience for vision requests).
 *
 * @since 0.2.0
 */
export const dataUrl = (bytes: Uint8Array, mediaType: "image/jpeg" | "image/png" | "image/webp" | "image/gif"): string =>
  `data:${mediaType};base64,${Encoding.encodeBase64(bytes)}`

// ---------------------------------------------------------------------------------------------------
// Responses

/** S2's `*_rest` keys as the S1 names. @since 0.2.0 */
export const normalizeProvider = (key: string): string => key.replace(/_rest$/, "")

/** The fields of a success body: its `data` when wrapped (S1/S2), else the body itself (D). @since 0.2.0 */
export const unwrap = (body: unknown): Json => (isRecord(body) ? (isRecord(body.data) ? body.data : body) : {})

const str = (u: unknown): string | undefined => (typeof u === "string" && u.length > 0 ? u : undefined)

/**
 * The failure a response carries, if any: HTTP status ≥ 400, `success === false`, or a top-level
 * `error` without `success: true`. The status comes from HTTP, else the body's `status` (D).
 *
 * @since 0.2.0
 */
export const failureOf = (route: string, httpStatus: number, body: unknown): SageError | undefined => {
  const record = isRecord(body) ? body : undefined
  const failed = httpStatus >= 400 || record?.success === false ||
    (record !== undefined && record.success !== true && record.error !== undefined && record.error !== null)
  if (!failed) return undefined
  const bodyStatus = typeof record?.status === "number" ? record.status : undefined
  const status = httpStatus >= 400 ? httpStatus : bodyStatus ?? httpStatus
  const nested = isRecord(record?.error) ? record.error : undefined
  const message = str(record?.error) ?? str(nested?.message) ?? str(record?.message) ?? `HTTP ${status}`
  const code = str(record?.error_code) ?? (nested?.code !== undefined && nested.code !== null ? String(nested.code) : undefined)
  return new SageError({
    reason: status >= 400 ? reasonFromStatus(status) : "Other",
    route,
    message,
    status,
    ...(code !== undefined ? { errorCode: code } : {}),
    ...(str(record?.provider) !== undefined ? { provider: str(record?.provider)! } : {}),
    ...(str(record?.operation) !== undefined ? { operation: str(record?.operation)! } : {})
  })
}

/** One provider's availability. @since 0.2.0 */
export interface ProviderStatus {
  readonly available: boolean
  readonly enabled: boolean
  readonly url?: string | undefined
}

/** `/status`: availability per provider (keys normalised, S2's `openai` and `native` kept). @since 0.2.0 */
export interface Status {
  readonly providers: Readonly<Record<string, ProviderStatus>>
}

/** @since 0.2.0 */
export const readStatus = (body: unknown): Status => {
  const fields = unwrap(body)
  const out: Record<string, ProviderStatus> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (!isRecord(value) || (typeof value.available !== "boolean" && typeof value.enabled !== "boolean")) continue
    out[normalizeProvider(key)] = {
      available: value.available === true,
      enabled: value.enabled !== false,
      ...(typeof value.url === "string" ? { url: value.url } : {})
    }
  }
  return { providers: out }
}

/** What S2 knows of a model (every field optional: S1 and D send none). @since 0.2.0 */
export interface ModelCapabilities {
  readonly vision?: boolean | undefined
  readonly toolUse?: boolean | undefined
  readonly reasoning?: boolean | undefined
  readonly maxOutputTokens?: number | undefined
  readonly contextWindow?: number | undefined
}

/** `/models` or `/vision_models`: model names per provider (keys normalised). @since 0.2.0 */
export interface ModelList {
  readonly models: Readonly<Record<string, ReadonlyArray<string>>>
  readonly capabilities: Readonly<Record<string, Readonly<Record<string, ModelCapabilities>>>>
}

const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)
const bool = (u: unknown): boolean | undefined => (typeof u === "boolean" ? u : undefined)

/** @since 0.2.0 */
export const readModels = (body: unknown): ModelList => {
  const fields = unwrap(body)
  const models: Record<string, ReadonlyArray<string>> = {}
  const lists = isRecord(fields.models) ? fields.models : {}
  for (const [key, value] of Object.entries(lists)) {
    if (!Array.isArray(value)) continue
    // placeholders like "(Ollama not available)" are not models
    models[normalizeProvider(key)] = value.filter((m): m is string => typeof m === "string" && m.length > 0 && !m.startsWith("("))
  }
  const capabilities: Record<string, Record<string, ModelCapabilities>> = {}
  const caps = isRecord(fields.capabilities) ? fields.capabilities : {}
  for (const [key, perModel] of Object.entries(caps)) {
    if (!isRecord(perModel)) continue
    const out: Record<string, ModelCapabilities> = {}
    for (const [model, c] of Object.entries(perModel)) {
      if (!isRecord(c)) continue
      out[model] = defined({
        vision: bool(c.vision),
        toolUse: bool(c.tool_use),
        reasoning: bool(c.reasoning),
        maxOutputTokens: num(c.max_output_tokens),
        contextWindow: num(c.context_window)
      }) as ModelCapabilities
    }
    capabilities[normalizeProvider(key)] = out
  }
  return { models, capabilities }
}

/**
 * `/prompts`: an open record (D documents `system` + `templates`, the servers answer `base` + `extra` +
 * `length`).
 *
 * @since 0.2.0
 */
export interface Prompts {
  readonly prompts: Readonly<Record<string, unknown>>
}

/** @since 0.2.0 */
export const readPrompts = (body: unknown): Prompts => {
  const fields = unwrap(body)
  return { prompts: isRecord(fields.prompts) ? fields.prompts : {} }
}

/** A non-streaming answer. @since 0.2.0 */
export interface GenerateResult {
  readonly text: string
  /** The provider as the server understood it (normalised). */
  readonly provider: string | undefined
  readonly model: string | undefined
}

/** @since 0.2.0 */
export const readGenerate = (body: unknown): GenerateResult => {
  const fields = unwrap(body)
  const text = typeof fields.response === "string" ? fields.response : ""
  return {
    text,
    provider: typeof fields.provider === "string" ? normalizeProvider(fields.provider) : undefined,
    model: typeof fields.model === "string" ? fields.model : undefined
  }
}

// ---------------------------------------------------------------------------------------------------
// Stream events

/**
 * What one SSE `data` payload says.
 *
 * @since 0.2.0
 */
export type WireEvent = Data.TaggedEnum<{
  Text: { readonly text: string }
  Progress: { readonly event: string; readonly progress: number | undefined }
  /** `done: true` without an error; `fullResponse` when the event carries one. */
  Done: { readonly fullResponse: string | undefined }
  Error: {
    readonly message: string
    readonly errorCode: string | undefined
    readonly provider: string | undefined
    readonly operation: string | undefined
  }
}>

/** @since 0.2.0 */
export const WireEvent = Data.taggedEnum<WireEvent>()

/**
 * Reads one event payload (already JSON-parsed); a payload that says nothing known gives `[]`.
 *
 * @since 0.2.0
 */
export const parseEvent = (payload: unknown): ReadonlyArray<WireEvent> => {
  if (!isRecord(payload)) return []
  const errorValue = payload.error
  if ((errorValue !== undefined && errorValue !== null && errorValue !== false && errorValue !== "") || payload.event === "error") {
    const nested = isRecord(errorValue) ? errorValue : undefined
    return [WireEvent.Error({
      message: str(errorValue) ?? str(nested?.message) ?? "the generation failed",
      errorCode: str(payload.error_code),
      provider: str(payload.provider),
      operation: str(payload.operation)
    })]
  }
  const out: Array<WireEvent> = []
  const text = typeof payload.chunk === "string" ? payload.chunk : typeof payload.token === "string" ? payload.token : ""
  if (text.length > 0) out.push(WireEvent.Text({ text }))
  else if (typeof payload.event === "string" && payload.done !== true) {
    out.push(WireEvent.Progress({ event: payload.event, progress: num(payload.progress) }))
  }
  if (payload.done === true) {
    out.push(WireEvent.Done({ fullResponse: typeof payload.full_response === "string" ? payload.full_response : undefined }))
  }
  return out
}

/**
 * What a generation stream emits: text pieces, optional progress (S2 LM Studio model loading), and
 * one final `Done` with the answer (`full_response`, else the concatenated pieces).
 *
 * @since 0.2.0
 */
export type SageStreamEvent = Data.TaggedEnum<{
  TextDelta: { readonly text: string }
  Progress: { readonly event: string; readonly progress: number | undefined }
  Done: { readonly text: string }
}>

/** @since 0.2.0 */
export const SageStreamEvent = Data.taggedEnum<SageStreamEvent>()

/** The state of {@link step}. @since 0.2.0 */
export interface StreamState {
  readonly text: string
  /** A `done` without `full_response` was seen: the stream ends at close or at the next final event. */
  readonly sawDone: boolean
}

/** @since 0.2.0 */
export const initialState: StreamState = { text: "", sawDone: false }

/** One step's outcome: events to emit, and how the stream ends (if it does). @since 0.2.0 */
export interface Step {
  readonly state: StreamState
  readonly emit: ReadonlyArray<SageStreamEvent>
  readonly end?: { readonly _tag: "Done"; readonly text: string } | { readonly _tag: "Error"; readonly error: SageError }
}

/**
 * The stream machine: feed each wire event, then `"Close"` when the body ends. Pure.
 *
 * @since 0.2.0
 */
export const step = (
  route: string,
  state: StreamState,
  input: WireEvent | "Close",
  emptyResponse: "fail" | "allow"
): Step => {
  const finish = (text: string): Step =>
    emptyResponse === "fail" && text.trim().length === 0
      ? {
        state,
        emit: [],
        end: {
          _tag: "Error",
          error: new SageError({ reason: "EmptyResponse", route, message: "the server answered with an empty response (the provider call probably failed)" })
        }
      }
      : { state, emit: [SageStreamEvent.Done({ text })], end: { _tag: "Done", text } }
  if (input === "Close") {
    if (state.sawDone) return finish(state.text)
    return {
      state,
      emit: [],
      end: { _tag: "Error", error: new SageError({ reason: "Incomplete", route, message: "the event stream closed before its final event" }) }
    }
  }
  switch (input._tag) {
    case "Text":
      return { state: { ...state, text: state.text + input.text }, emit: [SageStreamEvent.TextDelta({ text: input.text })] }
    case "Progress":
      return { state, emit: [SageStreamEvent.Progress({ event: input.event, progress: input.progress })] }
    case "Done":
      return input.fullResponse === undefined
        ? { state: { ...state, sawDone: true }, emit: [] }
        // the cleaned full_response is the answer; an empty one next to streamed text is not
        : finish(input.fullResponse.length > 0 ? input.fullResponse : state.text)
    case "Error":
      return {
        state,
        emit: [],
        end: {
          _tag: "Error",
          error: new SageError({
            reason: "GenerationFailed",
            route,
            message: input.message,
            ...(input.errorCode !== undefined ? { errorCode: input.errorCode } : {}),
            ...(input.provider !== undefined ? { provider: input.provider } : {}),
            ...(input.operation !== undefined ? { operation: input.operation } : {})
          })
        }
      }
  }
}
