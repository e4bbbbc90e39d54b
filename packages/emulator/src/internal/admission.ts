/**
 * Admission of a `jobRequest`: everything the server checks before it accepts a project (model,
 * network, media type, counts, tier ranges, per-family video and audio rules, uploaded assets, balance),
 * and the effective parameters of an accepted one. A refusal carries the numeric code and message of
 * the project-level `jobError` to send.
 *
 * @internal
 */
import type { Protocol } from "@effect-sogni/core"
import { inputFactor, jobInputs } from "./videoPricing.js"
import {
  type CatalogModel,
  findPreset,
  projectCost,
  tierChoice,
  tierRange,
  tokenMultiplier
} from "./catalog.js"
import type { AccountState, AudioPlan, TokenType, VideoPlan, World } from "./state.js"
import { flaggedSlots } from "./uploads.js"
import { planVideo } from "./videoRules.js"

/** Numeric codes of project-level refusals. @internal */
export const ErrorCodes = {
  invalidRequest: 4000,
  unknownModel: 4004,
  modelUnavailable: 4007,
  insufficientBalance: 4024
} as const

/** A refused request. @internal */
export interface Refusal {
  readonly _tag: "Refusal"
  readonly code: number
  readonly message: string
}

/** An accepted request's effective parameters. @internal */
export interface Plan {
  readonly _tag: "Plan"
  readonly model: CatalogModel
  readonly network: Protocol.Network
  readonly tokenType: TokenType
  readonly count: number
  readonly stepCount: number
  readonly width: number
  readonly height: number
  readonly sizePreset: string | undefined
  readonly outputFormat: string
  readonly video: VideoPlan | undefined
  readonly audio: AudioPlan | undefined
  /** Upload slots the request references. */
  readonly assets: ReadonlyArray<string>
  /** Tokens per output (token type and network applied). */
  readonly perMedia: number
  /** Tokens for the whole project. */
  readonly cost: number
}

const refusal = (code: number, message: string): Refusal => ({ _tag: "Refusal", code, message })
const invalid = (message: string): Refusal => refusal(ErrorCodes.invalidRequest, message)

/** A finite number field of a request record, if present. @internal */
export const numberField = (record: Readonly<Record<string, unknown>>, key: string): number | undefined => {
  const v = record[key]
  return typeof v === "number" && Number.isFinite(v) ? v : undefined
}
/** A string field of a request record, if present. @internal */
export const stringField = (record: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const v = record[key]
  return typeof v === "string" ? v : undefined
}

/** A keyframe number that is absent, or a finite number; anything else is a refusal. */
const optionalNumber = (keyFrame: Readonly<Record<string, unknown>>, key: string): number | undefined | Refusal => {
  const v = keyFrame[key]
  if (v === undefined || v === null) return undefined
  if (typeof v === "number" && Number.isFinite(v)) return v
  if (typeof v === "string" && v.trim().length > 0 && Number.isFinite(Number(v))) return Number(v)
  return invalid(`keyFrames[0].${key} must be a number (got ${JSON.stringify(v)}).`)
}

const isRefusal = (value: unknown): value is Refusal =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "Refusal"

/** Resolves the output size of an image request (media.md §3.4, §11.3). @internal */
export const resolveSize = (
  keyFrame: Readonly<Record<string, unknown>>,
  model: CatalogModel
): { readonly width: number; readonly height: number; readonly sizePreset: string | undefined } | string => {
  const presetId = stringField(keyFrame, "sizePreset")
  const width = numberField(keyFrame, "width")
  const height = numberField(keyFrame, "height")
  if (presetId !== undefined && presetId !== "custom") {
    const preset = findPreset(presetId)
    if (preset === undefined) return `Unknown size preset "${presetId}".`
    return { width: preset.width, height: preset.height, sizePreset: preset.id }
  }
  if (width !== undefined && height !== undefined) {
    const { max, min } = model.sizeBounds ?? { min: 256, max: 2560 }
    if (width < min || height < min || width > max || height > max) {
      return `Custom size ${width}x${height} is outside ${min}..${max} for ${model.id}.`
    }
    return { width: Math.round(width), height: Math.round(height), sizePreset: "custom" }
  }
  if (presetId === "custom") return "sizePreset \"custom\" needs both width and height."
  const side = model.defaultSize || 1024
  return { width: side, height: side, sizePreset: undefined }
}

const FORMAT_MEDIA: Readonly<Record<string, "image" | "video" | "audio">> = {
  png: "image",
  jpg: "image",
  jpeg: "image",
  webp: "image",
  mp4: "video",
  mov: "video",
  mp3: "audio",
  wav: "audio",
  flac: "audio"
}

const VIDEO_ONLY = ["fps", "frames"]
const AUDIO_ONLY = ["bpm", "lyrics", "timesignature", "keyscale"]

/** Checks that the request asks for the model's kind of media (media.md §1, §3.2). */
const checkMediaType = (
  model: CatalogModel,
  keyFrame: Readonly<Record<string, unknown>>,
  outputFormat: string | undefined
): Refusal | undefined => {
  if (outputFormat !== undefined) {
    const media = FORMAT_MEDIA[outputFormat.toLowerCase()]
    if (media === undefined) return invalid(`Unknown outputFormat "${outputFormat}".`)
    if (media !== model.media) {
      return invalid(
        `Model ${model.id} makes ${model.media}, but outputFormat "${outputFormat}" asks for ${media}.`
      )
    }
  }
  if (model.media !== "video") {
    const field = VIDEO_ONLY.find((k) => keyFrame[k] !== undefined && keyFrame[k] !== null)
    if (field !== undefined) {
      return invalid(`keyFrames[0].${field} is a video parameter, but ${model.id} is an ${model.media} model.`)
    }
  }
  if (model.media !== "audio") {
    const field = AUDIO_ONLY.find((k) => keyFrame[k] !== undefined && keyFrame[k] !== null)
    if (field !== undefined) {
      return invalid(`keyFrames[0].${field} is an audio parameter, but ${model.id} is a ${model.media} model.`)
    }
  }
  return undefined
}

/** Audio rules (media.md §10.3). */
const planAudio = (model: CatalogModel, keyFrame: Readonly<Record<string, unknown>>): AudioPlan | Refusal => {
  const durationRange = tierRange(model, "duration")!
  const bpmRange = tierRange(model, "bpm")!
  const rawDuration = optionalNumber(keyFrame, "duration")
  if (isRefusal(rawDuration)) return rawDuration
  const duration = rawDuration ?? durationRange.default
  if (duration < durationRange.min || duration > durationRange.max) {
    return invalid(`Audio duration must be ${durationRange.min}–${durationRange.max} s for ${model.id} (got ${duration}).`)
  }
  const rawBpm = optionalNumber(keyFrame, "bpm")
  if (isRefusal(rawBpm)) return rawBpm
  const bpm = rawBpm ?? bpmRange.default
  if (bpm < bpmRange.min || bpm > bpmRange.max) {
    return invalid(`bpm must be in ${bpmRange.min}..${bpmRange.max} (got ${bpm}).`)
  }
  const signature = keyFrame["timesignature"]
  const allowed = tierChoice(model, "timesignature")!
  const signatureText = signature === undefined || signature === null ? String(allowed.default) : String(signature)
  if (!allowed.allowed.map(String).includes(signatureText)) {
    return invalid(`timesignature must be one of ${allowed.allowed.join(", ")} (got ${JSON.stringify(signature)}).`)
  }
  return { duration, bpm, beatsPerBar: signatureText === "6" ? 6 : Number(signatureText) }
}

/** Context images and starting images of image models (edit models read up to `maxContextImages`). */
const checkImageInputs = (model: CatalogModel, keyFrame: Readonly<Record<string, unknown>>): Refusal | undefined => {
  const context = Array.from({ length: 16 }, (_, i) => keyFrame[`hasContextImage${i + 1}`] === true).filter(Boolean).length
  // Models that declare no context-image budget keep the earlier behaviour (uploads accepted, unused).
  const most = model.maxContextImages
  if (most !== undefined && context > most) return invalid(`${model.id} reads at most ${most} context images (got ${context}).`)
  if (model.needsStartingImage === true && keyFrame["hasStartingImage"] !== true) {
    return invalid(`${model.id} transforms a starting image: keyFrames[0].hasStartingImage must be set and the image uploaded.`)
  }
  return undefined
}

const OUTPUT_FORMATS: Readonly<Record<string, ReadonlyArray<string>>> = {
  image: ["png", "jpg", "jpeg", "webp"],
  video: ["mp4"],
  audio: ["mp3", "wav", "flac"]
}
const DEFAULT_FORMAT: Readonly<Record<string, string>> = { image: "png", video: "mp4", audio: "mp3" }

/**
 * Checks a `jobRequest` the way the server does and returns its plan, or the refusal to send.
 *
 * @internal
 */
export const planRequest = (
  world: World,
  account: AccountState,
  connectionNetwork: Protocol.Network,
  request: Protocol.JobRequest
): Plan | Refusal => {
  const id = request.jobID.toUpperCase()
  const keyFrame = request.keyFrames[0]
  if (keyFrame === undefined) return invalid("jobRequest has no keyFrames.")
  const modelId = stringField(keyFrame, "modelID")
  if (modelId === undefined || modelId.length === 0) return invalid("keyFrames[0].modelID is missing.")
  const model = world.catalog.findModel(modelId)
  if (model === undefined) return refusal(ErrorCodes.unknownModel, `Model ${modelId} is not available.`)
  const count = request.numberOfImages
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    return invalid(`numberOfImages must be an integer in 1..16 (got ${count}).`)
  }
  const previews = request.previews ?? 0
  if (!Number.isInteger(previews) || previews < 0) {
    return invalid(`previews must be a non-negative integer (got ${previews}).`)
  }
  const network = request.network ?? connectionNetwork
  if (model.media !== "image" && network === "relaxed") {
    return refusal(
      ErrorCodes.modelUnavailable,
      `${model.media === "video" ? "Video" : "Audio"} model ${modelId} runs on the fast network only; the relaxed network renders images.`
    )
  }
  if ((model.workers[network] ?? 0) === 0) {
    return refusal(ErrorCodes.modelUnavailable, `Model ${modelId} is not served on the ${network} network.`)
  }
  const mismatch = checkMediaType(model, keyFrame, request.outputFormat)
  if (mismatch !== undefined) return mismatch
  const outputFormat = (request.outputFormat ?? DEFAULT_FORMAT[model.media]!).toLowerCase()
  if (!OUTPUT_FORMATS[model.media]!.includes(outputFormat)) {
    return invalid(
      `outputFormat "${outputFormat}" is not available for ${model.id}; use ${OUTPUT_FORMATS[model.media]!.join(", ")}.`
    )
  }
  const tokenType: TokenType = request.tokenType ?? "sogni"
  if (model.vendor && tokenType !== "spark") {
    return invalid(`${model.id} is an external-vendor model billed in Spark only (tokenType "spark").`)
  }
  const rawSteps = optionalNumber(keyFrame, "steps")
  if (isRefusal(rawSteps)) return rawSteps
  let stepCount = model.defaultSteps
  if (!model.vendor) {
    const tier = world.catalog.tierRange(model, "steps")!
    // The catalog keeps maxSteps and the tier maximum equal (the `catalog` option changes both).
    const range = { ...tier, max: Math.max(tier.max, model.maxSteps) }
    if (rawSteps !== undefined && (!Number.isInteger(rawSteps) || rawSteps < range.min || rawSteps > range.max)) {
      return invalid(`steps must be an integer in ${range.min}..${range.max} for ${model.id} (got ${rawSteps}).`)
    }
    stepCount = rawSteps ?? range.default
  }

  let width = 0
  let height = 0
  let billedWidth: number | undefined
  let billedHeight: number | undefined
  let sizePreset: string | undefined
  let video: VideoPlan | undefined
  let audio: AudioPlan | undefined
  switch (model.media) {
    case "image": {
      const size = resolveSize(keyFrame, model)
      if (typeof size === "string") return invalid(size)
      ;({ height, sizePreset, width } = size)
      const images = checkImageInputs(model, keyFrame)
      if (images !== undefined) return images
      break
    }
    case "video": {
      const planned = planVideo(model, keyFrame, count, world.uploads.get(id))
      if (typeof planned === "string") return invalid(planned)
      video = planned.video
      // Renders are delivered at the output canvas; quotes and charges use the requested one.
      ;({ outputHeight: height, outputWidth: width } = planned)
      // FlashVSR bills the delivered canvas (its source scaled to the target), like its quote
      billedWidth = model.family === "flashvsr" ? planned.outputWidth : planned.width
      billedHeight = model.family === "flashvsr" ? planned.outputHeight : planned.height
      break
    }
    case "audio": {
      const planned = planAudio(model, keyFrame)
      if (isRefusal(planned)) return planned
      audio = planned
      break
    }
  }

  const uploads = world.uploads.get(id)
  const assets: string[] = []
  for (const { flag, slot } of flaggedSlots(keyFrame)) {
    const upload = uploads?.get(slot)
    if (upload === undefined || upload.owner !== account.username) {
      const endpoint = slot.startsWith("referenceAudio") || slot.startsWith("referenceVideo")
        ? "GET /v1/media/uploadUrl"
        : "GET /v1/image/uploadUrl"
      return invalid(
        `Missing upload: keyFrames[0].${flag} is set but no ${slot} was uploaded for project ${id} (${endpoint}, then PUT the bytes before sending jobRequest).`
      )
    }
    assets.push(slot)
  }

  const factor = video !== undefined ? inputFactor(model, jobInputs(keyFrame), video.frames) : 1
  const spark = Math.round(projectCost(model, {
    count: 1,
    steps: stepCount,
    width: billedWidth ?? width,
    height: billedHeight ?? height,
    frames: video?.frames,
    duration: audio?.duration
  }, network) * factor * 10_000) / 10_000
  const perMedia = spark * tokenMultiplier(tokenType)
  const cost = Math.round(perMedia * count * 10_000) / 10_000
  const balance = account.balances[tokenType]
  const available = balance.settled + balance.credit - balance.debit
  if (available < cost) {
    return refusal(
      ErrorCodes.insufficientBalance,
      `Insufficient ${tokenType} balance: the project costs ${cost} and ${Math.round(available * 10_000) / 10_000} is available.`
    )
  }
  return {
    _tag: "Plan",
    model,
    network,
    tokenType,
    count,
    stepCount,
    width,
    height,
    sizePreset,
    outputFormat,
    video,
    audio,
    assets,
    perMedia,
    cost
  }
}
