/**
 * The Sage Utils LLM routes (sage-llm.md Part A) on the emulator's port, under both prefixes ComfyUI
 * registers (`/sage_llm/...` and `/api/sage_llm/...`): status, models, vision models, prompts, and the
 * four generation routes answered by two deterministic mock providers (`ollama`, `lmstudio`) whose text
 * comes from the socket mock LLM's planner (`planReply`). Bodies and stream events take the room's
 * shape (D, S1 or S2); generations run one at a time behind the room's gate; a stream the client closes
 * early is recorded as a disconnect.
 *
 * Prompt directives: `[[slow]]` (250 ms between events), `[[fail]]` (the generation fails half-way: an
 * error event, or HTTP 500 on the non-streaming routes) and `[[empty]]` (the provider "fails silently":
 * HTTP 200 with an empty `response`, or a final event with an empty `full_response`) and `[[drop]]` (a
 * stream ends half-way without any final event).
 *
 * @internal
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { planReply } from "../llm.js"
import { enterGate, type SageMode, type SageProviderName, type SageRoom } from "./room.js"

type Json = Record<string, unknown>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const PREFIX = /^\/(?:api\/)?sage_llm(\/.*)?$/

/** The Sage route of a path (`/status`, `/generate`…), or `undefined` when the path is not Sage's. @internal */
export const sageRouteOf = (path: string): string | undefined => {
  const m = PREFIX.exec(path)
  return m === null ? undefined : m[1] ?? "/"
}

// ---------------------------------------------------------------------------------------------------
// Envelopes (sage-llm.md §A.2)

const success = (room: SageRoom, fields: Json) =>
  HttpServerResponse.unsafeJson(room.mode === "D" ? { success: true, ...fields } : { success: true, data: fields })

interface Failure {
  readonly status: number
  readonly error: string
  /** S2 `error_code`. */
  readonly code: string
  readonly provider?: string | undefined
  readonly operation?: string | undefined
}

const failureBody = (mode: SageMode, f: Failure): Json =>
  mode === "D"
    ? { success: false, error: f.error, status: f.status }
    : mode === "S1"
    ? { success: false, error: f.error }
    : {
      success: false,
      error: f.error,
      error_code: f.code,
      ...(f.provider !== undefined ? { provider: f.provider } : {}),
      ...(f.operation !== undefined ? { operation: f.operation } : {})
    }

const failure = (room: SageRoom, f: Failure) => HttpServerResponse.unsafeJson(failureBody(room.mode, f), { status: f.status })

/** The terminal error event of a stream, in the room's shape (§A.5). */
const errorEvent = (mode: SageMode, f: Failure): Json =>
  mode === "D"
    ? { error: f.error, done: true }
    : mode === "S1"
    ? { chunk: "", done: true, error: f.error }
    : {
      error: f.error,
      error_code: f.code,
      done: true,
      ...(f.provider !== undefined ? { provider: f.provider } : {}),
      ...(f.operation !== undefined ? { operation: f.operation } : {})
    }

// ---------------------------------------------------------------------------------------------------
// Listing routes

const canonical = (room: SageRoom, name: SageProviderName) => (room.mode === "S2" ? `${name}_rest` : name)

const NAMES: ReadonlyArray<SageProviderName> = ["ollama", "lmstudio"]

const status = (room: SageRoom) => {
  const entries: Json = {}
  for (const name of NAMES) {
    const p = room.providers[name]
    entries[canonical(room, name)] = { available: p.enabled && p.available, enabled: p.enabled }
  }
  if (room.mode === "S2") {
    entries.openai = { available: false, enabled: false }
    entries.native = { available: false, enabled: true }
  }
  return success(room, entries)
}

const listed = (room: SageRoom, name: SageProviderName, vision: boolean): ReadonlyArray<string> => {
  const p = room.providers[name]
  if (!p.enabled || !p.available) return []
  return vision ? p.visionModels : p.models
}

const models = (room: SageRoom, vision: boolean) => {
  const lists: Json = {}
  const flags: Json = {}
  const capabilities: Json = {}
  for (const name of NAMES) {
    const key = canonical(room, name)
    const names = listed(room, name, vision)
    lists[key] = names
    flags[`${key}_available`] = names.length > 0
    capabilities[key] = Object.fromEntries(names.map((model) => {
      const seeing = room.providers[name].visionModels.includes(model)
      return [model, {
        name: model,
        provider: key,
        vision: seeing,
        tool_use: false,
        reasoning: false,
        thinking: false,
        max_input_tokens: null,
        max_output_tokens: 4096,
        context_window: 32768,
        supported_modalities: seeing ? ["text", "image"] : ["text"],
        metadata: {},
        last_updated: "2026-01-01T00:00:00Z",
        confidence: "api"
      }]
    }))
  }
  switch (room.mode) {
    case "D":
      return success(room, { models: lists })
    case "S1":
      return success(room, { models: lists, status: flags })
    case "S2":
      return success(room, {
        models: { ...lists, openai: [], native: [] },
        capabilities,
        tool_models: Object.fromEntries(Object.keys(lists).map((k) => [k, []])),
        reasoning_models: Object.fromEntries(Object.keys(lists).map((k) => [k, []])),
        status: { ...flags, openai_available: false, native_available: false }
      })
  }
}

const prompts = (room: SageRoom) =>
  room.mode === "D"
    ? success(room, {
      prompts: {
        system: {
          default: "You help people write prompts for image models.",
          creative: "You write vivid, painterly scene descriptions."
        },
        templates: { enhance: "Add lighting and texture details to: {prompt}", expand: "Turn this idea into a full scene: {prompt}" }
      }
    })
    : success(room, {
      prompts: {
        base: {
          short_caption: { name: "Short Caption", category: "description", input_type: "image", prompt: "Caption the picture in one line." },
          tag_list: { name: "Tag List", category: "description", input_type: "text", prompt: "List comma-separated tags for the scene." }
        },
        extra: {
          lighting: { name: "Lighting", category: "style", type: "boolean", default: true, prompt: "Mention the light." }
        },
        length: ["any", "short", "medium-length", "long"]
      }
    })

// ---------------------------------------------------------------------------------------------------
// Generation

interface Generation {
  readonly route: string
  readonly stream: boolean
  readonly vision: boolean
  readonly provider: SageProviderName
  readonly providerKey: string
  readonly model: string
  readonly prompt: string
  readonly system: string
  readonly sampling: Json
  readonly images: ReadonlyArray<string>
}

const SAMPLING = ["temperature", "top_p", "top_k", "max_tokens", "num_predict", "presence_penalty", "frequency_penalty", "seed"]

const providerOf = (mode: SageMode, raw: string): SageProviderName | "other" | undefined => {
  const key = raw.trim().toLowerCase()
  if (key === "ollama" || key === "lmstudio") return key
  if (mode === "S2") {
    if (key === "ollama_rest") return "ollama"
    if (key === "lmstudio_rest") return "lmstudio"
    if (key === "openai" || key === "native") return "other"
  }
  return undefined
}

const DATA_URL = /^data:image\/(jpeg|png|webp|gif);base64,([A-Za-z0-9+/]*={0,2})$/
const RAW_BASE64 = /^[A-Za-z0-9+/\s]*={0,2}$/
/** The documented limits (D only). */
const DOC_LIMITS = { count: 10, bytes: 10 * 1024 * 1024 }

const imageProblem = (mode: SageMode, images: ReadonlyArray<string>): string | undefined => {
  if (mode === "D") {
    if (images.length > DOC_LIMITS.count) return `Invalid image format: at most ${DOC_LIMITS.count} images`
    for (const image of images) {
      const m = DATA_URL.exec(image)
      if (m === null) return "Invalid image format: expected data:image/(jpeg|png|webp|gif);base64,…"
      if (Math.floor((m[2]!.length * 3) / 4) > DOC_LIMITS.bytes) return "Invalid image format: larger than 10 MB"
    }
    return undefined
  }
  for (const image of images) {
    if (image.startsWith("data:")) {
      if (mode === "S1") return "Failed to generate response: the image is not raw base64 (a data: URL was sent)"
      if (DATA_URL.exec(image) === null) return "Image payload is not valid base64 data."
    } else if (!RAW_BASE64.test(image) || image.length === 0) {
      return mode === "S1" ? "Failed to generate response: the image is not valid base64" : "Image payload is not valid base64 data."
    }
  }
  return undefined
}

/** Reads and checks a generation body: the generation, or the failure to answer with. */
const readGeneration = (
  room: SageRoom,
  route: string,
  body: Json,
  vision: boolean,
  stream: boolean
): Generation | Failure => {
  const operation = route.slice(1)
  const missing = ["provider", "model", "prompt"].filter((k) => typeof body[k] !== "string" || (body[k] as string).length === 0)
  if (missing.length > 0) {
    return { status: 400, code: "LLM_VALIDATION_ERROR", error: `Missing required fields: ${missing.join(", ")}`, operation }
  }
  const rawProvider = body.provider as string
  const provider = providerOf(room.mode, rawProvider)
  if (provider === undefined) {
    return {
      status: 400,
      code: "LLM_VALIDATION_ERROR",
      error: room.mode === "S2"
        ? `Invalid provider: ${rawProvider}. Must be 'lmstudio', 'ollama', 'openai', or 'native'`
        : `Invalid provider: ${rawProvider}. Must be 'ollama' or 'lmstudio'`,
      operation
    }
  }
  if (provider === "other") {
    return { status: 503, code: "LLM_PROVIDER_UNAVAILABLE", error: `Provider ${rawProvider} is not available`, provider: rawProvider, operation }
  }
  const images = body.images
  if (vision && (!Array.isArray(images) || images.length === 0 || !images.every((i) => typeof i === "string"))) {
    return { status: 400, code: "LLM_VALIDATION_ERROR", error: "Images must be a non-empty array", operation }
  }
  const options = isRecord(body.options) ? body.options : {}
  const sampling: Json = {}
  for (const k of SAMPLING) {
    const v = options[k] ?? body[k]
    if (v !== undefined) sampling[k] = v
  }
  const system = typeof body.system_prompt === "string" ? body.system_prompt : typeof body.system === "string" ? body.system : ""
  return {
    route,
    stream,
    vision,
    provider,
    providerKey: canonical(room, provider),
    model: body.model as string,
    prompt: body.prompt as string,
    system,
    sampling,
    images: vision ? (images as ReadonlyArray<string>) : []
  }
}

/** What the provider can refuse once the request is valid (answered as JSON, or as an error event). */
const providerProblem = (room: SageRoom, g: Generation): Failure | undefined => {
  const p = room.providers[g.provider]
  const operation = g.route.slice(1)
  const label = g.provider === "ollama" ? "Ollama" : "LM Studio"
  if (!p.enabled || !p.available) {
    return {
      status: 503,
      code: "LLM_PROVIDER_UNAVAILABLE",
      error: room.mode === "S2" ? `Provider ${g.providerKey} is not available` : `${label} is not available`,
      provider: g.providerKey,
      operation
    }
  }
  if (!p.models.includes(g.model)) {
    return {
      status: 400,
      code: "LLM_VALIDATION_ERROR",
      error: `Model '${g.model}' is not available. Available models: [${p.models.map((m) => `'${m}'`).join(", ")}]`,
      provider: g.providerKey,
      operation
    }
  }
  if (g.vision && !p.visionModels.includes(g.model)) {
    return {
      status: 400,
      code: "LLM_MODEL_CAPABILITY_ERROR",
      error: `Model '${g.model}' does not support vision input`,
      provider: g.providerKey,
      operation
    }
  }
  const bad = g.vision ? imageProblem(room.mode, g.images) : undefined
  if (bad !== undefined) {
    return {
      status: room.mode === "S1" ? 500 : 400,
      code: "LLM_VALIDATION_ERROR",
      error: bad,
      provider: g.providerKey,
      operation
    }
  }
  return undefined
}

/** The mock answer: text pieces, the cleaned full text, and the directives. */
const answerOf = (g: Generation) => {
  const empty = /\[\[\s*empty\s*\]\]/i.test(g.prompt)
  const prompt = g.prompt.replace(/\[\[\s*empty\s*\]\]/gi, "").trim()
  const content = g.images.length === 0
    ? prompt
    : [{ type: "text", text: prompt }, ...g.images.map(() => ({ type: "image_url", image_url: { url: "(image)" } }))]
  const { directives, plan } = planReply({}, [
    ...(g.system.length > 0 ? [{ role: "system", content: g.system }] : []),
    { role: "user", content }
  ])
  let pieces = plan._tag === "Text" ? [...plan.chunks] : []
  const limitRaw = g.sampling.num_predict ?? g.sampling.max_tokens
  const limit = typeof limitRaw === "number" && limitRaw >= 1 ? Math.floor(limitRaw) : undefined
  if (limit !== undefined && pieces.length > limit) pieces = pieces.slice(0, limit)
  if (empty) pieces = []
  return { pieces, full: pieces.join("").trim(), slow: directives.slow, fail: directives.fail, drop: directives.drop }
}

const encoder = new TextEncoder()
const frame = (event: Json) => encoder.encode(`data: ${JSON.stringify(event)}\n\n`)

const SSE_HEADERS = { "cache-control": "no-cache" }

const delayOf = (room: SageRoom, slow: boolean) => Math.max(0, Math.round((slow ? 250 : room.tokenMillis) / room.speed))

/** The text events of an answer in the room's shape (S1 LM Studio re-slices the whole answer in 5s). */
const textEvents = (room: SageRoom, g: Generation, pieces: ReadonlyArray<string>): Array<Json> => {
  if (room.mode === "D") return pieces.map((token) => ({ token }))
  const slices = room.mode === "S1" && g.provider === "lmstudio"
    ? (pieces.join("").match(/[\s\S]{1,5}/g) ?? [])
    : pieces
  return slices.map((chunk) => ({ chunk, done: false }))
}

const generationFailed = (g: Generation): Failure => ({
  status: 500,
  code: "LLM_GENERATION_ERROR",
  error: "Failed to generate response: [[fail]] directive: the provider failed mid-generation",
  provider: g.providerKey,
  operation: g.route.slice(1)
})

const streamBody = (room: SageRoom, g: Generation) =>
  Stream.unwrapScoped(Effect.gen(function*() {
    let finished = false
    let chunksSent = 0
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (!finished) {
          room.disconnects.push({ route: g.route, provider: g.providerKey, model: g.model, prompt: g.prompt, chunksSent })
        }
      })
    )
    yield* enterGate(room)
    const refused = providerProblem(room, g)
    if (refused !== undefined) {
      finished = true
      room.stats.finished++
      return Stream.make(frame(errorEvent(room.mode, refused)))
    }
    const answer = answerOf(g)
    const delay = delayOf(room, answer.slow)
    const texts = textEvents(room, g, answer.pieces)
    const failAt = answer.fail || answer.drop ? Math.max(1, Math.floor(texts.length / 2)) : undefined
    const events: Array<{ readonly event: Json; readonly text: boolean }> = []
    if (room.mode === "S2" && g.provider === "lmstudio") {
      events.push(
        { event: { chunk: "", done: false, event: "model_load.start", event_data: {}, progress: 0 }, text: false },
        { event: { chunk: "", done: false, event: "model_load.progress", event_data: {}, progress: 0.5 }, text: false },
        { event: { chunk: "", done: false, event: "model_load.end", event_data: {}, progress: 1, load_time_seconds: 0.1 }, text: false }
      )
    }
    for (let i = 0; i < texts.length; i++) {
      events.push({ event: texts[i]!, text: true })
      if (failAt !== undefined && i + 1 === failAt) break
    }
    if (answer.drop) {
      // the server ends the response half-way without a final event (a crashed handler)
    } else if (failAt !== undefined) {
      events.push({ event: errorEvent(room.mode, generationFailed(g)), text: false })
    } else {
      // S1's Ollama path forwards Ollama's own final record first (the "double done", §A.5 rule 1)
      if (room.mode === "S1" && g.provider === "ollama") events.push({ event: { chunk: "", done: true }, text: false })
      events.push({
        event: room.mode === "D" ? { done: true, full_response: answer.full } : { chunk: "", done: true, full_response: answer.full },
        text: false
      })
    }
    return Stream.fromIterable(events.map((e, i) => ({ ...e, i }))).pipe(
      Stream.mapEffect(({ event, i, text }) =>
        Effect.as(
          Effect.zipRight(
            i === 0 ? Effect.void : Effect.sleep(delay),
            Effect.sync(() => {
              if (text) chunksSent++
              if (i === events.length - 1) {
                finished = true
                room.stats.finished++
              }
            })
          ),
          frame(event)
        )
      )
    )
  }))

const generate = (room: SageRoom, g: Generation) =>
  Effect.scoped(Effect.gen(function*() {
    yield* enterGate(room)
    const refused = providerProblem(room, g)
    if (refused !== undefined) {
      room.stats.finished++
      return failure(room, refused)
    }
    const answer = answerOf(g)
    yield* Effect.sleep(delayOf(room, answer.slow) * Math.max(1, answer.pieces.length))
    room.stats.finished++
    if (answer.fail) return failure(room, generationFailed(g))
    return success(room, { response: answer.full, provider: g.providerKey, model: g.model })
  }))

const GENERATION_ROUTES: Readonly<Record<string, { readonly stream: boolean; readonly vision: boolean }>> = {
  "/generate": { stream: false, vision: false },
  "/generate_stream": { stream: true, vision: false },
  "/vision_generate": { stream: false, vision: true },
  "/vision_generate_stream": { stream: true, vision: true }
}

const generation = (room: SageRoom, route: string, request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const kind = GENERATION_ROUTES[route]!
    const body = yield* Effect.either(request.json)
    if (body._tag === "Left" || !isRecord(body.right)) {
      // a JSON decode error is a ValueError (400) on /generate, an escaping exception (500) on the stream routes
      return failure(room, {
        status: kind.stream ? 500 : 400,
        code: kind.stream ? "LLM_STREAM_INIT_ERROR" : "LLM_VALIDATION_ERROR",
        error: kind.stream ? "Failed to initialize streaming: the body is not a JSON object" : "The body is not a JSON object"
      })
    }
    const read = readGeneration(room, route, body.right, kind.vision, kind.stream)
    if (!("route" in read)) return failure(room, read)
    room.requests.push({
      route,
      provider: read.providerKey,
      model: read.model,
      prompt: read.prompt,
      system: read.system,
      sampling: read.sampling,
      images: read.images.length,
      body: body.right
    })
    return kind.stream
      ? HttpServerResponse.stream(streamBody(room, read), { contentType: "text/event-stream", headers: SSE_HEADERS })
      : yield* generate(room, read)
  })

/**
 * The Sage routes as an HTTP app (both prefixes); other paths are not its concern.
 *
 * @internal
 */
export const sageApp = (room: SageRoom): HttpApp.Default<never, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const route = sageRouteOf(new URL(request.url, "http://emulator.invalid").pathname) ?? "/"
    const method = request.method
    if (method === "GET") {
      switch (route) {
        case "/status":
          return status(room)
        case "/models":
          return models(room, false)
        case "/vision_models":
          return models(room, true)
        case "/prompts":
          return prompts(room)
      }
    }
    if (method === "POST" && route in GENERATION_ROUTES) return yield* generation(room, route, request)
    return failure(room, { status: 404, code: "LLM_NOT_FOUND", error: `No Sage route ${method} ${route}` })
  })

/**
 * `app` with the Sage routes in front: a path under `/sage_llm` or `/api/sage_llm` goes to Sage,
 * everything else to `app`.
 *
 * @internal
 */
export const withSage = <E, R>(
  room: SageRoom,
  app: HttpApp.Default<E, R>
): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    sageRouteOf(new URL(request.url, "http://emulator.invalid").pathname) === undefined ? app : sageApp(room))
