/**
 * Hosted platform tools (tools.md §2–§4, §7): the tool definitions the server injects for a
 * `sogni_tools` surface (core's `PlatformTools` manifests), argument checks, and
 * server-side execution against a per-request (or per-run) media context. Generation tools run real
 * emulated media projects (the same admission and simulation as a socket `jobRequest`), so a
 * `generate_image` call ends with signed `/_media` URLs that download real PNGs.
 *
 * @internal
 */
import { PlatformTools, Protocol } from "@effect-sogni/core"
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type { WebSocket } from "ws"
import { planRequest } from "./admission.js"
import { findModel, projectCost } from "./catalog.js"
import { hash32 } from "./llmSchema.js"
import { mintMediaUrl } from "./media.js"
import { admitProject, cancelProject } from "./simulation.js"
import { type AccountState, type Connection, type Outgoing, type TokenType, type World } from "./state.js"

// ---------------------------------------------------------------------------------------------------
// Manifests

/** An OpenAI function tool definition. @internal */
export interface ToolDefinition {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description?: string
    readonly parameters: Record<string, unknown>
  }
}

/** The hosted tools, then the app tools: core's manifests (the protocol's, client patches applied). */
const allTools: ReadonlyArray<ToolDefinition> = [...PlatformTools.manifest, ...PlatformTools.appManifest]

const toolsByName: ReadonlyMap<string, ToolDefinition> = new Map(allTools.map((t) => [t.function.name, t]))

/** App tools every surface carries (the rest of the app tools are agent-only). */
const ANALYSIS_TOOLS: ReadonlySet<string> = new Set(["analyze_image", "analyze_video", "extract_metadata"])

/** Tools that only the `creative-agent` surface carries: the app tools but analysis, and workflow composition. */
const AGENT_ONLY: ReadonlySet<string> = new Set([
  ...PlatformTools.appToolNames.filter((name) => !ANALYSIS_TOOLS.has(name)),
  "compose_workflow",
  "compose_workflow_template"
])

/** A `sogni_tools` value, normalised. @internal */
export type Surface = "creative-tools" | "creative-agent" | "none"

/**
 * Reads `sogni_tools`: omitted/`true`/`"creative-tools"`/`"rich"` → creative tools, `"creative-agent"`,
 * `false` → none; anything else is a problem message.
 *
 * @internal
 */
export const surfaceOf = (value: unknown): Surface | { readonly problem: string } => {
  if (value === undefined || value === null || value === true || value === "creative-tools" || value === "rich") {
    return "creative-tools"
  }
  if (value === "creative-agent") return "creative-agent"
  if (value === false) return "none"
  return { problem: `sogni_tools must be true, false, "creative-tools" or "creative-agent" (got ${JSON.stringify(value)})` }
}

/** The tools a surface injects (tools.md §4). @internal */
export const surfaceTools = (surface: Surface): ReadonlyArray<ToolDefinition> => {
  if (surface === "none") return []
  return surface === "creative-agent" ? allTools : allTools.filter((t) => !AGENT_ONLY.has(t.function.name))
}

/** Every hosted or app tool by name. @internal */
export const toolDefinition = (name: string): ToolDefinition | undefined => toolsByName.get(name)

/** Tools `/v1/creative-agent/tools/execute` runs (chat.md §13.1). @internal */
export const DIRECT_TOOLS: ReadonlySet<string> = new Set(PlatformTools.compositionToolNames)

/**
 * The definition the mock model sees for an injected tool: only its required parameters, so that the
 * deterministic argument generator fills what the tool needs and nothing that would point at media
 * the conversation does not have.
 *
 * @internal
 */
export const minimalDefinition = (tool: ToolDefinition): ToolDefinition => {
  const params = tool.function.parameters
  const required = Array.isArray(params.required) ? (params.required as ReadonlyArray<string>) : []
  const properties = (params.properties ?? {}) as Record<string, unknown>
  return {
    type: "function",
    function: {
      name: tool.function.name,
      parameters: {
        type: "object",
        properties: Object.fromEntries(required.filter((k) => k in properties).map((k) => [k, properties[k]])),
        required
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Argument checks

const typeOk = (type: unknown, value: unknown): boolean => {
  const types = Array.isArray(type) ? type : [type]
  return types.some((t) => {
    switch (t) {
      case "string":
        return typeof value === "string"
      case "number":
        return typeof value === "number" && Number.isFinite(value)
      case "integer":
        return typeof value === "number" && Number.isInteger(value)
      case "boolean":
        return typeof value === "boolean"
      case "array":
        return Array.isArray(value)
      case "object":
        return typeof value === "object" && value !== null && !Array.isArray(value)
      case "null":
        return value === null
      default:
        return true
    }
  })
}

/**
 * Arguments of a platform tool the caller declared under its own schema, in the platform's vocabulary:
 * snake_case keys become the platform's camelCase ones (`number_of_variations` → `numberOfVariations`),
 * a video tool's `model` becomes `videoModel`, and keys the platform tool does not take are set aside
 * (returned in `ignored`) rather than failing the call.
 *
 * @internal
 */
export const platformArguments = (
  name: string,
  args: unknown
): { readonly args: unknown; readonly ignored: ReadonlyArray<string> } => {
  const tool = toolDefinition(name)
  if (tool === undefined || typeof args !== "object" || args === null || Array.isArray(args)) return { args, ignored: [] }
  const properties = (tool.function.parameters.properties ?? {}) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const ignored: string[] = []
  for (const [key, value] of Object.entries(args as Record<string, unknown>)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    const target = key in properties
      ? key
      : camel in properties
      ? camel
      : key === "model" && "videoModel" in properties
      ? "videoModel"
      : undefined
    const schema = target === undefined ? undefined : properties[target] as { enum?: ReadonlyArray<unknown> } | undefined
    if (target === undefined) {
      ignored.push(key)
    } else if (Array.isArray(schema?.enum) && !schema.enum.includes(value)) {
      // A canonical model id where the platform takes a selector: the selector that routes to it.
      const choices = schema.enum
      const selector = typeof value === "string"
        ? PlatformTools.selectorsOf({ ...IMAGE_MODELS, ...VIDEO_MODELS, ...MUSIC_MODELS }, value).find((s) => choices.includes(s))
        : undefined
      if (selector !== undefined) out[target] = selector
      else ignored.push(key)
    } else {
      out[target] = value
    }
  }
  return { args: out, ignored }
}

/** How the platform checks one of its legacy arguments. */
type LegacyRule = "url" | "urls" | "number" | "integer"

/**
 * The legacy argument names the platform still reads for its partner-video tools, next to the schema's
 * own (tools.md §2, "Argument-name mismatch"; the official client's `workflow_partner_seedance_video.mjs`
 * example sends exactly these as durable workflow step arguments): inline media as http(s) URLs instead
 * of indices, frame and voice-identity strengths, `fps`, `seed`, and sizes on the tools whose schema has
 * none. The schema files forbid unknown keys, but the manifest's generation tools do not, which is how
 * the platform accepts these.
 */
const LEGACY_ARGUMENTS: Readonly<Record<string, Readonly<Record<string, LegacyRule>>>> = {
  generate_video: {
    reference_image_url: "url",
    reference_image_end_url: "url",
    reference_image_urls: "urls",
    reference_video_urls: "urls",
    reference_audio_urls: "urls",
    reference_audio_identity_url: "url",
    audio_identity_strength: "number",
    first_frame_strength: "number",
    last_frame_strength: "number",
    fps: "number",
    seed: "integer"
  },
  sound_to_video: {
    reference_audio_url: "url",
    reference_audio_urls: "urls",
    reference_image_url: "url",
    reference_image_end_url: "url",
    reference_image_urls: "urls",
    reference_video_urls: "urls",
    width: "number",
    height: "number",
    seed: "integer"
  },
  video_to_video: {
    reference_video_url: "url",
    reference_video_urls: "urls",
    reference_image_url: "url",
    reference_image_urls: "urls",
    reference_audio_urls: "urls",
    reference_audio_identity_url: "url",
    audio_identity_strength: "number",
    video_start: "number",
    detailer_strength: "number",
    width: "number",
    height: "number",
    seed: "integer"
  }
}

/** Whether a tool takes `name` as one of the platform's legacy arguments. @internal */
export const isLegacyArgument = (tool: string, name: string): boolean => LEGACY_ARGUMENTS[tool]?.[name] !== undefined

const isHttpUrl = (v: unknown): boolean => typeof v === "string" && /^https?:\/\/\S+$/i.test(v)

const legacyProblem = (key: string, rule: LegacyRule, value: unknown): string | undefined => {
  switch (rule) {
    case "url":
      return isHttpUrl(value) ? undefined : `Argument "${key}" must be an http(s) URL`
    case "urls":
      return Array.isArray(value) && value.length > 0 && value.every(isHttpUrl)
        ? undefined
        : `Argument "${key}" must be a non-empty array of http(s) URLs`
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : `Argument "${key}" must be number`
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? undefined : `Argument "${key}" must be integer`
  }
}

/**
 * A step's (or call's) arguments split the way the platform reads them: `args` in the tool schema's own
 * vocabulary, `legacy` the legacy arguments it also accepts ({@link LEGACY_ARGUMENTS}) and `problems`
 * with those (in the validator's wording).
 *
 * For the partner-video tools, a snake_case spelling of a schema argument (`expand_prompt`,
 * `number_of_variations`, `generate_audio`, `control_mode`, `audio_start`) is read as the camelCase one
 * (camelCase wins when both are set), and `model` as `videoModel`: a selector as is, a canonical model id
 * (`seedance-2-0`) as the selector that routes to it, any other string kept as a legacy model id. Every
 * other tool, and every name neither form knows, passes through unchanged, so the schema check still
 * refuses an unknown argument.
 *
 * @internal
 */
export const platformForm = (
  name: string,
  args: Record<string, unknown>
): {
  readonly args: Record<string, unknown>
  readonly legacy: Record<string, unknown>
  readonly problems: ReadonlyArray<{ readonly field: string; readonly message: string }>
} => {
  const rules = LEGACY_ARGUMENTS[name]
  if (rules === undefined || !PlatformTools.isHostedToolName(name)) return { args, legacy: {}, problems: [] }
  const properties = (PlatformTools.argumentsSchema(name)["properties"] ?? {}) as Record<string, { enum?: ReadonlyArray<unknown> }>
  const out: Record<string, unknown> = {}
  const legacy: Record<string, unknown> = {}
  const problems: Array<{ field: string; message: string }> = []
  for (const [key, value] of Object.entries(args)) {
    if (key in properties) {
      out[key] = value
      continue
    }
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    if (camel !== key && camel in properties) {
      if (!(camel in args)) out[camel] = value
      continue
    }
    if (key === "model" && "videoModel" in properties && !("videoModel" in args)) {
      const choices = properties.videoModel?.enum ?? []
      const selector = choices.includes(value)
        ? value
        : typeof value === "string"
        ? PlatformTools.selectorsOf(VIDEO_MODELS, value).find((s) => choices.includes(s))
        : undefined
      if (selector !== undefined) out.videoModel = selector
      else if (typeof value === "string" && value.length > 0) legacy.model = value
      else problems.push({ field: key, message: `Argument "${key}" must be string` })
      continue
    }
    const rule = rules[key]
    if (rule === undefined) {
      out[key] = value
      continue
    }
    if (value === null || value === undefined) continue
    const problem = legacyProblem(key, rule, value)
    if (problem !== undefined) problems.push({ field: key, message: problem })
    else legacy[key] = value
  }
  return { args: out, legacy, problems }
}

/**
 * Checks tool arguments. The 30 hosted tools go through core's `PlatformTools` validator (the
 * protocol's JSON Schemas with tools.md §5 semantics, shared with the SDK); the app tools, which ship
 * no schema files, are checked against their manifest entry: an object, required arguments present
 * (`undefined`, `null`, `""` and `[]` count as missing) and top-level types. Returns the problems in
 * the client validator's wording.
 *
 * @internal
 */
export const checkArguments = (name: string, args: unknown): ReadonlyArray<string> => {
  if (PlatformTools.isHostedToolName(name)) {
    return Either.match(PlatformTools.validateEither(name, args), {
      onLeft: (e) => e.issues.map((i) => i.message),
      onRight: () => []
    })
  }
  const tool = toolDefinition(name)
  if (tool === undefined) return [`Unknown hosted Sogni tool "${name}"`]
  if (typeof args !== "object" || args === null || Array.isArray(args)) return ["Tool arguments must be a JSON object"]
  const record = args as Record<string, unknown>
  const params = tool.function.parameters
  const properties = (params.properties ?? {}) as Record<string, Record<string, unknown>>
  const problems: string[] = []
  for (const key of (params.required ?? []) as ReadonlyArray<string>) {
    const v = record[key]
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)) {
      problems.push(`Missing required argument "${key}"`)
    }
  }
  for (const [key, value] of Object.entries(record)) {
    const schema = properties[key]
    if (schema === undefined || value === undefined || value === null) continue
    if (schema.type !== undefined && !typeOk(schema.type, value)) {
      problems.push(`Argument "${key}" must be of type ${JSON.stringify(schema.type)}`)
    } else if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      problems.push(`Argument "${key}" must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`)
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------------
// Media context

/** One media item of a context. @internal */
export interface MediaItem {
  readonly url: string
  readonly prompt?: string | undefined
  readonly model?: string | undefined
}

/** Generated media numbered by creation order, uploads by negative index (chat.md §13). @internal */
export interface MediaContext {
  readonly images: Array<string>
  readonly videos: Array<string>
  readonly audio: Array<string>
  readonly uploadedImages: Array<string>
  readonly uploadedVideos: Array<string>
  readonly uploadedAudio: Array<string>
  /** Prompt and model of each generated URL (for analysis tools). */
  readonly details: Map<string, MediaItem>
}

/** @internal */
export const emptyMediaContext = (): MediaContext => ({
  images: [],
  videos: [],
  audio: [],
  uploadedImages: [],
  uploadedVideos: [],
  uploadedAudio: [],
  details: new Map()
})

/** The wire form of a context (inner keys camelCase). @internal */
export const mediaContextJson = (ctx: MediaContext) => ({
  images: [...ctx.images],
  videos: [...ctx.videos],
  audio: [...ctx.audio],
  ...(ctx.uploadedImages.length > 0 ? { uploadedImages: [...ctx.uploadedImages] } : {}),
  ...(ctx.uploadedVideos.length > 0 ? { uploadedVideos: [...ctx.uploadedVideos] } : {}),
  ...(ctx.uploadedAudio.length > 0 ? { uploadedAudio: [...ctx.uploadedAudio] } : {})
})

type MediaKind = "image" | "video" | "audio"

const lists = (ctx: MediaContext, kind: MediaKind) =>
  kind === "image"
    ? { generated: ctx.images, uploaded: ctx.uploadedImages }
    : kind === "video"
    ? { generated: ctx.videos, uploaded: ctx.uploadedVideos }
    : { generated: ctx.audio, uploaded: ctx.uploadedAudio }

/** Resolves an index: ≥ 0 generated, < 0 uploads (−1 first). A problem message when it names nothing. @internal */
export const resolveIndex = (ctx: MediaContext, kind: MediaKind, index: number): string | { readonly problem: string } => {
  const { generated, uploaded } = lists(ctx, kind)
  const url = index >= 0 ? generated[index] : uploaded[-index - 1]
  return url ?? {
    problem: `${kind} index ${index} names nothing (${generated.length} generated, ${uploaded.length} uploaded)`
  }
}

/** Adds request-level `media_references` (`{url, type}`) as uploads. @internal */
export const addReferences = (ctx: MediaContext, refs: ReadonlyArray<unknown>): ReadonlyArray<string> => {
  const problems: string[] = []
  refs.forEach((ref, i) => {
    const r = (typeof ref === "object" && ref !== null ? ref : {}) as Record<string, unknown>
    const url = r.url
    const type = typeof r.type === "string" ? r.type.toLowerCase() : ""
    if (typeof url !== "string" || url.length === 0) {
      problems.push(`media_references[${i}].url must be a non-empty string`)
      return
    }
    const kind: MediaKind | undefined = type.startsWith("image")
      ? "image"
      : type.startsWith("video")
      ? "video"
      : type.startsWith("audio")
      ? "audio"
      : undefined
    if (kind === undefined) problems.push(`media_references[${i}].type must be image, video or audio`)
    else lists(ctx, kind).uploaded.push(url)
  })
  return problems
}

// ---------------------------------------------------------------------------------------------------
// Execution

/** What one tool call produced. @internal */
export interface ToolOutcome {
  readonly ok: boolean
  /** The result object (`{success, …}`). */
  readonly result: Record<string, unknown>
  /** One line for events and summaries. */
  readonly summary: string
  /** Tokens spent on media. */
  readonly cost: number
  readonly mediaType?: MediaKind | undefined
  readonly urls: ReadonlyArray<string>
}

const failure = (message: string, errorType = "PARAMETER_INVALID"): ToolOutcome => ({
  ok: false,
  result: { success: false, error: message, error_type: errorType },
  summary: message,
  cost: 0,
  urls: []
})

/** Who runs a tool. @internal */
export interface Caller {
  readonly account: AccountState
  readonly tokenType: TokenType
  readonly appSource: string | undefined
}

/**
 * A connection that is closed from birth and registered nowhere: projects admitted through it run the
 * ordinary simulation, but no frame is ever queued for it (`sendTo` skips closed connections) and
 * `sendToApp` finds no socket for its appId. Server-side tool execution has no client socket to talk to.
 */
const headlessConnection = (world: World, caller: Caller, outbox: Queue.Queue<Outgoing>, inbox: Queue.Queue<Uint8Array>): Connection => ({
  id: `hosted-${Protocol.makeId()}`,
  appId: `hosted-tools-${Protocol.makeId()}`,
  account: caller.account,
  // never touched: a closed connection's socket is not written to, and the appId is never registered
  ws: undefined as unknown as WebSocket,
  connectedAt: Date.now(),
  appSource: caller.appSource,
  clientSID: world.serial,
  network: "fast",
  subscriptions: new Map(),
  outbox,
  inbox,
  fiber: undefined,
  closed: true
})

/**
 * The selectors the media tools take (core's tables), plus the emulator's own Flux names for the image
 * model its catalog serves first.
 */
const IMAGE_MODELS: PlatformTools.ModelSelectors = {
  ...PlatformTools.imageModelSelectors,
  flux: "flux1-schnell-fp8",
  "flux-schnell": "flux1-schnell-fp8"
}

const VIDEO_MODELS: PlatformTools.ModelSelectors = PlatformTools.textToVideoSelectors

const MUSIC_MODELS: PlatformTools.ModelSelectors = Object.fromEntries(PlatformTools.musicModelSelectors)

/** Shortest and longest clip (seconds) per video family, so a tool call's duration lands in range. */
const VIDEO_SECONDS: Readonly<Record<string, readonly [number, number]>> = {
  wan: [1, 10],
  ltx: [1, 20],
  seedance: [4, 15],
  happyhorse: [3, 15],
  wan3: [2, 30],
  h3: [5.2, 15]
}

const selected = (selector: unknown, table: PlatformTools.ModelSelectors, media: string, fallback: string) => {
  const id = PlatformTools.resolveModelSelector(table, selector)
  return id !== undefined && findModel(id)?.media === media ? id : fallback
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined)

interface MediaPlan {
  readonly kind: MediaKind
  readonly request: Protocol.JobRequest
}

const mediaPlan = (name: string, args: Record<string, unknown>, caller: Caller): MediaPlan | { readonly problem: string } | undefined => {
  const prompt = str(args.prompt) ?? ""
  const seed = num(args.seed) ?? hash32(`${name}|${prompt}`)
  const count = Math.max(1, Math.min(16, Math.floor(num(args.numberOfVariations) ?? 1)))
  const base = { jobID: Protocol.makeId(), numberOfImages: count, previews: 0, tokenType: caller.tokenType, network: "fast" as const }
  /** The keyframe fields every media tool sends: model, prompts and seed. */
  const prompted = (modelID: string) => ({ modelID, positivePrompt: prompt, negativePrompt: str(args.negativePrompt) ?? "", seed })
  switch (name) {
    case "generate_image": {
      const modelId = selected(args.model, IMAGE_MODELS, "image", "z_image_turbo_bf16")
      const width = num(args.width)
      const height = num(args.height)
      const format = str(args.outputFormat)
      return {
        kind: "image",
        request: {
          ...base,
          keyFrames: [{
            ...prompted(modelId),
            ...(num(args.guidance) !== undefined ? { guidanceScale: num(args.guidance) } : {}),
            sizePreset: width !== undefined && height !== undefined ? "custom" : "square",
            ...(width !== undefined && height !== undefined ? { width, height } : {})
          }],
          outputFormat: format === "jpeg" ? "jpg" : format ?? "png"
        }
      }
    }
    case "generate_video": {
      const modelId = selected(args.videoModel, VIDEO_MODELS, "video", "ltx23-22b-fp8_t2v_distilled")
      const [shortest, longest] = VIDEO_SECONDS[findModel(modelId)?.family ?? "ltx"] ?? [1, 20]
      const duration = Math.max(shortest, Math.min(longest, num(args.duration) ?? 5))
      return {
        kind: "video",
        request: {
          ...base,
          keyFrames: [{ ...prompted(modelId), duration }],
          outputFormat: "mp4"
        }
      }
    }
    case "generate_music": {
      const duration = Math.max(10, Math.min(120, num(args.duration) ?? 30))
      return {
        kind: "audio",
        request: {
          ...base,
          keyFrames: [{
            modelID: selected(args.model, MUSIC_MODELS, "audio", "ace_step_1.5_turbo"),
            positivePrompt: prompt,
            seed,
            duration,
            bpm: num(args.bpm) ?? 100,
            timesignature: String(num(args.timesig) ?? 4)
          }],
          outputFormat: "mp3"
        }
      }
    }
    default:
      return undefined
  }
}

/** The capacity units (tokens) a media tool call would cost, or 0 for text tools. @internal */
export const estimateToolCost = (world: World, caller: Caller, name: string, args: Record<string, unknown>): number => {
  const plan = mediaPlan(name, args, caller)
  if (plan === undefined || "problem" in plan) return 0
  const accepted = planRequest(world, caller.account, "fast", plan.request)
  if (accepted._tag === "Refusal") return 0
  return Math.round(projectCost(accepted.model, { count: accepted.count, steps: accepted.stepCount, width: accepted.width, height: accepted.height, frames: accepted.video?.frames, duration: accepted.audio?.duration }) * 10_000) / 10_000
}

const runMedia = (world: World, caller: Caller, name: string, plan: MediaPlan, ctx: MediaContext): Effect.Effect<ToolOutcome> =>
  Effect.gen(function*() {
    const refusal = planRequest(world, caller.account, "fast", plan.request)
    if (refusal._tag === "Refusal") {
      return failure(refusal.message, refusal.code === 4024 ? "COST_LIMIT_EXCEEDED" : "PARAMETER_INVALID")
    }
    const outbox = yield* Queue.unbounded<Outgoing>()
    const inbox = yield* Queue.unbounded<Uint8Array>()
    const conn = headlessConnection(world, caller, outbox, inbox)
    yield* admitProject(world, conn, plan.request)
    const id = plan.request.jobID.toUpperCase()
    const project = world.projects.get(id)
    if (project === undefined) return failure(`the ${plan.kind} project was not admitted`, "UNKNOWN_ERROR")
    // Interrupting the caller (a cancelled run, a closed request) cancels the render like a client
    // cancel would: jobs stopped, reservation released, completed jobs charged.
    yield* Effect.onInterrupt(
      project.fiber === undefined ? Effect.void : Fiber.await(project.fiber),
      () => cancelProject(world, conn, id)
    )
    const done = project.jobs.filter((j) => j.status === "jobCompleted")
    if (done.length === 0) {
      return failure(`every ${plan.kind} job of ${name} failed (${project.reason ?? "error"})`, "GPU_WORKER_FAILED")
    }
    const urls = done.map((j) => mintMediaUrl(world, id, j.imgID, project.outputFormat, "complete"))
    const list = lists(ctx, plan.kind).generated
    const startIndex = list.length
    for (const url of urls) {
      list.push(url)
      ctx.details.set(url, { url, prompt: project.prompt, model: project.model.id })
    }
    const indices = urls.map((_, i) => startIndex + i)
    return {
      ok: true,
      result: {
        success: true,
        media_type: plan.kind,
        urls,
        model: project.model.id,
        prompt: project.prompt,
        startIndex,
        indices,
        projectId: id
      },
      summary: `${urls.length} ${plan.kind}${urls.length === 1 ? "" : "s"} generated with ${project.model.id}`,
      cost: project.costActual,
      mediaType: plan.kind,
      urls
    }
  })

const words = (text: string, n: number) => text.split(/\s+/).filter((w) => w.length > 0).slice(0, n).join(" ")

const composed = (name: string, args: Record<string, unknown>): Record<string, unknown> | undefined => {
  const brief = str(args.brief) ?? str(args.prompt) ?? ""
  const h = hash32(`${name}|${brief}`)
  switch (name) {
    case "enhance_prompt":
      return {
        prompt: `${brief}, ${["golden hour light", "soft overcast light", "crisp studio light"][h % 3]}, detailed textures, balanced composition`,
        target_output: args.target_output,
        destination_model: args.destination_model
      }
    case "compose_script": {
      const scenes = Math.max(1, Math.min(12, Math.floor(num(args.scene_count) ?? 3)))
      const seconds = num(args.duration_seconds) ?? scenes * 5
      return {
        title: words(brief, 6),
        script_type: args.script_type ?? "video_prompt",
        scenes: Array.from({ length: scenes }, (_, i) => ({
          index: i,
          duration_seconds: Math.round((seconds / scenes) * 10) / 10,
          description: `Scene ${i + 1}: ${brief}`
        }))
      }
    }
    case "compose_lyrics":
      return {
        lyrics: `[Verse]\n${words(brief, 8)}\n[Chorus]\n${words(brief, 4)}, ${words(brief, 4)}`,
        music_prompt: str(args.music_prompt) ?? `${["pop", "folk", "synthwave"][h % 3]}, ${90 + (h % 40)} bpm`,
        language: args.language ?? "en"
      }
    case "compose_instrumental":
      return {
        structure: ["intro", "theme", "bridge", "theme", "outro"],
        music_prompt: str(args.music_prompt) ?? `instrumental, ${words(brief, 6)}`
      }
    case "compose_workflow":
    case "compose_workflow_template": {
      const scenes = Math.max(1, Math.min(6, Math.floor(num(args.scene_count) ?? 2)))
      const steps = Array.from({ length: scenes }, (_, i) => ({
        id: `scene_${i + 1}`,
        tool: "generate_image",
        arguments: { prompt: `${brief} — scene ${i + 1}` }
      }))
      const units = scenes * 0.8
      const budget = num(args.max_estimated_capacity_units)
      const plan = { steps, estimated_capacity_units: units, fits_budget: budget === undefined || units <= budget }
      return name === "compose_workflow" ? plan : {
        template_draft: {
          name: args.name,
          description: str(args.description) ?? brief,
          inputs: Array.isArray(args.inputs) ? args.inputs : []
        },
        plan
      }
    }
    default:
      return undefined
  }
}

const analysis = (name: string, args: Record<string, unknown>, ctx: MediaContext): ToolOutcome | undefined => {
  const pick = (kind: MediaKind, key: string): string | { readonly problem: string } =>
    resolveIndex(ctx, kind, num(args[key]) ?? (lists(ctx, kind).generated.length > 0 ? lists(ctx, kind).generated.length - 1 : -1))
  const describe = (kind: MediaKind, key: string, answer: (item: MediaItem | undefined) => string): ToolOutcome => {
    const url = pick(kind, key)
    if (typeof url !== "string") return failure(url.problem, "ASSET_NOT_FOUND")
    const item = ctx.details.get(url)
    const text = answer(item)
    return { ok: true, result: { success: true, answer: text, url }, summary: text, cost: 0, urls: [] }
  }
  switch (name) {
    case "analyze_image":
      return describe("image", "sourceImageIndex", (item) =>
        item === undefined ? `An uploaded image; the question was: ${String(args.query)}` : `A ${item.model} image of "${item.prompt}".`)
    case "analyze_video":
      return describe("video", "sourceVideoIndex", (item) =>
        item === undefined ? `An uploaded video; the question was: ${String(args.query)}` : `A ${item.model} video of "${item.prompt}".`)
    case "extract_metadata": {
      const kind: MediaKind = args.mediaType === "video" ? "video" : args.mediaType === "audio" ? "audio" : "image"
      const key = kind === "image" ? "sourceImageIndex" : kind === "video" ? "sourceVideoIndex" : "audioSourceIndex"
      return describe(kind, key, (item) => JSON.stringify({ mediaType: kind, model: item?.model ?? null, prompt: item?.prompt ?? null }))
    }
    default:
      return undefined
  }
}

/**
 * Executes one hosted tool call with validated arguments: media tools render through the simulation
 * and append their URLs to `ctx`; composition and analysis tools answer deterministically; other
 * tools (stitching, upscaling, app tools that need the chat app) fail with `MODEL_UNAVAILABLE`.
 *
 * @internal
 */
export const executeTool = (
  world: World,
  caller: Caller,
  name: string,
  args: unknown,
  ctx: MediaContext
): Effect.Effect<ToolOutcome> =>
  Effect.suspend(() => {
    const problems = checkArguments(name, args)
    if (problems.length > 0) return Effect.succeed(failure(`Invalid ${name} arguments: ${problems.join("; ")}`))
    const record = args as Record<string, unknown>
    const plan = mediaPlan(name, record, caller)
    if (plan !== undefined) return "problem" in plan ? Effect.succeed(failure(plan.problem)) : runMedia(world, caller, name, plan, ctx)
    const text = composed(name, record)
    if (text !== undefined) {
      return Effect.succeed({
        ok: true,
        result: { success: true, ...text },
        summary: `${name} composed`,
        cost: 0,
        urls: []
      })
    }
    const analysed = analysis(name, record, ctx)
    if (analysed !== undefined) return Effect.succeed(analysed)
    return Effect.succeed(failure(`${name} is not executed by the emulator`, "MODEL_UNAVAILABLE"))
  })
