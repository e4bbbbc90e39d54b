/**
 * `JobRequestBuilder` without the video, audio and special-image-model rule sets: everything but its
 * synchronous `validate` and `build`, which bind those rules statically (the public module re-exports
 * this one and adds them). A module that takes the rules as an argument (`buildWith`, `validateWith`,
 * with `needsKindChecks` and `Projects`' dynamically imported `kindChecks`) can import this one, so that a
 * program run without a bundler (Node's loader loads every module a module imports, nothing is
 * tree-shaken) does not load the rule sets until a project needs them.
 *
 * @internal
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import type { SogniInvalidRequest } from "@effect-sogni/core/SogniError"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as FrameMath from "../FrameMath.js"
import type * as Params from "../Params.js"
import * as Sniff from "../Sniff.js"
import type { ContentTypeOf } from "./assembleKinds.js"
import type { Check, ModelDescriptor as Descriptor, ModelOptions as Options } from "./validateCommon.js"
import { checkChoice, first, h3Slots, has, inRange, invalid, readTier, videoContextSlots, wireChoice } from "./validateCommon.js"
import {
  checkContextImages,
  checkSize,
  GPT_MASK_DATA_URI,
  GPT_MASK_MAX_BASE64,
  isComfyModel,
  isGptImage,
  isPixal3d,
  isSegmentation,
  needsModelRules,
  ORBIT_VIEWS,
  PIXAL3D_MULTIVIEW_ID
} from "./validateImage.js"

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * A catalog entry: `{ id, media }` from `GET /api/v1/models/list` and the raw tier object of that
 * model from `GET /api/v2/models/tiers`.
 *
 * @since 0.1.0
 */
export type ModelDescriptor = Descriptor

/**
 * The controls a model offers, read from its raw tier (sampler / scheduler aliases already applied).
 *
 * @since 0.1.0
 */
export type ModelOptions = Options

/**
 * What {@link build} needs besides the parameters.
 *
 * @since 0.1.0
 */
export interface BuildContext {
  /** The project id (`jobID`), an upper-case UUID minted before uploading (see `Protocol.makeId`). */
  readonly projectId: string
  readonly model: ModelDescriptor
  /** The connection's app source, used when the params carry none. */
  readonly appSource?: string
  /**
   * Content types of uploaded assets by {@link Upload.key}. For bytes they override the sniffed type;
   * for an asset passed as `true` they are the only source of its `…ContentType` annotation.
   */
  readonly uploadedContentTypes?: Readonly<Record<string, string>>
}

/**
 * One input file to upload before the request is sent (media.md §9.1–§9.2).
 *
 * @since 0.1.0
 */
export interface Upload {
  /** Unique name of the asset in this project (`startingImage`, `contextImage2`, `referenceAudioIdentity`, `referenceVideo1`). */
  readonly key: string
  /** The upload `type` (`startingImage`, `cnImage`, `contextImage3`, `referenceAudio`, `referenceVideo`, …). */
  readonly slot: string
  /** `image` → `GET /v1/image/uploadUrl`, `media` → `GET /v1/media/uploadUrl`. */
  readonly endpoint: "image" | "media"
  /** `id` query of a media upload (MiniMax H3 r2v `referenceAudio1..3` / `referenceVideo1..3`). */
  readonly id?: string
  readonly bytes: Uint8Array
  /** Sniffed content type (media.md §9.4); none → no `Content-Type` header and no `contentType` query. */
  readonly contentType: Option.Option<string>
}

// ---------------------------------------------------------------------------------------------
// Model options and defaults
// ---------------------------------------------------------------------------------------------

/**
 * Reads a model's raw tier the way the official client does (legacy image, Comfy image, video or audio
 * tier, detected structurally). Fails with `unsupported-tier` for a tier of another kind.
 *
 * @since 0.1.0
 */
export function optionsFor(model: ModelDescriptor): Either.Either<ModelOptions, SogniInvalidRequest> {
  const options = readTier(model.tier)
  return options === undefined
    ? Either.left(invalid("modelId", "unsupported-tier", `The tier of ${model.id} is of an unsupported kind`))
    : Either.right(options)
}

/**
 * The server-side defaults a model advertises, plus the output format the request defaults to.
 *
 * @since 0.1.0
 */
export interface ModelDefaults {
  readonly steps: Option.Option<number>
  readonly guidance: Option.Option<number>
  readonly sampler: Option.Option<string>
  readonly scheduler: Option.Option<string>
  readonly fps: Option.Option<number>
  readonly outputFormat: string
}

/**
 * Defaults of a model from its tier (steps, guidance, sampler / scheduler aliases, fps) and its
 * default output format (`png`, `mp4`, `mp3`; `glb` for Pixal3D).
 *
 * @since 0.1.0
 */
export function defaultsFor(model: ModelDescriptor): Either.Either<ModelDefaults, SogniInvalidRequest> {
  return Either.map(optionsFor(model), (o) => ({
    steps: Option.fromNullable(o.steps?.default),
    guidance: Option.fromNullable(o.guidance?.default),
    sampler: Option.fromNullable(o.sampler.default),
    scheduler: Option.fromNullable(o.scheduler.default),
    fps: o.fps?.default !== undefined ? Option.some(o.fps.default) : FrameMath.wireDefaultFps(model.id),
    outputFormat: isPixal3d(model.id) ? "glb" : o.kind === "audio" ? "mp3" : o.kind === "video" ? "mp4" : "png"
  }))
}

// ---------------------------------------------------------------------------------------------
// Normalization (the official client's create() step 1)
// ---------------------------------------------------------------------------------------------

/**
 * The client-side normalization of `projects.create()` (media.md §2 step 1): segmentation models get 1
 * output, 0 previews and `png`; Pixal3D 0 previews; a GPT Image mask given as a PNG data URI in
 * `gptImageMaskUrl` becomes `gptImageMask` bytes (to upload). Other params are returned unchanged.
 *
 * @since 0.1.0
 */
export function normalize(params: Params.ProjectParams): Params.ProjectParams {
  if (params.type !== "image") return params
  let p: Params.ImageParams = params
  if (isSegmentation(p.modelId)) p = { ...p, numberOfMedia: 1, numberOfPreviews: 0, outputFormat: "png" }
  if (isPixal3d(p.modelId)) p = { ...p, numberOfPreviews: 0 }
  const maskUrl = p.gptImageMaskUrl
  if (isGptImage(p.modelId) && maskUrl?.startsWith("data:") && p.gptImageMask === undefined) {
    const match = GPT_MASK_DATA_URI.exec(maskUrl)
    const bytes = match !== null && match[1]!.length < GPT_MASK_MAX_BASE64
      ? Either.getRight(Encoding.decodeBase64(match[1]!))
      : Option.none()
    if (Option.isSome(bytes)) {
      const { gptImageMaskUrl: _dropped, ...rest } = p
      p = { ...rest, gptImageMask: bytes.value }
    }
  }
  return p
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function expectedType(media: ModelDescriptor["media"]): Params.ProjectParams["type"] {
  return media === "video" ? "video" : media === "audio" ? "audio" : "image"
}

function checkModel(p: Params.ProjectParams, model: ModelDescriptor, options: ModelOptions): Check {
  return first(
    () =>
      p.modelId === model.id
        ? undefined
        : invalid("modelId", "model-mismatch", `modelId ${p.modelId} does not match the model descriptor ${model.id}`),
    () =>
      p.type === options.kind && p.type === expectedType(model.media)
        ? undefined
        : invalid("type", "model-type", `Invalid model type. ${model.id} does not support ${p.type} generation`),
    () =>
      p.network === "relaxed" && (p.type !== "image" || isGptImage(p.modelId))
        ? invalid("network", "allowed-values", `${p.type === "image" ? "External-vendor models" : `${p.type} projects`} run on the fast network only`)
        : undefined,
    () =>
      p.tokenType === "sogni" && (isGptImage(p.modelId) || FrameMath.isVendorVideoModel(p.modelId))
        ? invalid("tokenType", "allowed-values", `${p.modelId} is an external-vendor model and is paid with spark only`)
        : undefined,
    () =>
      (p.loraStrengths?.length ?? 0) > (p.loras?.length ?? 0)
        ? invalid("loraStrengths", "max-count", "loraStrengths has more entries than loras")
        : undefined
  )
}

function checkTierCommon(p: Params.ProjectParams, options: ModelOptions): Check {
  return first(
    () => inRange("steps", p.steps, options.steps),
    () => inRange("guidance", p.guidance, options.guidance),
    () => checkChoice("sampler", p.sampler, options.sampler),
    () => checkChoice("scheduler", p.scheduler, options.scheduler),
    () => (p.type === "image" ? checkChoice("vae", p.vae, options.vae) : undefined)
  )
}

/**
 * The video and audio rule sets, and the rules of the special image models (SAM 3, BiRefNet, Pixal3D,
 * GPT Image). They are a parameter of {@link buildWith} so that `Projects.prepare` can load them on the
 * first project that needs them ({@link needsKindChecks}): a program that renders other image models
 * never carries them.
 *
 * @internal
 */
export interface KindChecks {
  /** Every image rule, the special models' included. */
  readonly validateImage: (p: Params.ImageParams) => Check
  /** Adds the SAM 3, BiRefNet and Pixal3D fields to an image project's keyframe. */
  readonly applyImageModel: (kf: Record<string, unknown>, p: Params.ImageParams) => void
  /** Adds the GPT Image fields to an image project's keyframe. */
  readonly applyGptImage: (kf: Record<string, unknown>, p: Params.ImageParams) => void
  readonly validateVideo: (p: Params.VideoParams, options: ModelOptions) => Check
  readonly validateAudio: (p: Params.AudioParams, options: ModelOptions) => Check
  /** Fills a video project's keyframe. */
  readonly applyVideo: (kf: Record<string, unknown>, p: Params.VideoParams, options: ModelOptions) => void
  /** Fills an audio project's keyframe. */
  readonly applyAudio: (kf: Record<string, unknown>, p: Params.AudioParams, options: ModelOptions) => void
  /** Adds the `…ContentType` annotations of a video project's assets. */
  readonly annotateVideo: (kf: Record<string, unknown>, p: Params.VideoParams, ct: ContentTypeOf) => void
}

/**
 * Whether building `params` needs the {@link KindChecks}: a video or audio project, or an image project
 * of a special model (or carrying a field only those take).
 *
 * @internal
 */
export function needsKindChecks(params: Params.ProjectParams): boolean {
  return params.type !== "image" || needsModelRules(params)
}

/**
 * The options a raw tier reads as, read once per tier object: a build asks twice (validation, then the
 * request), and the catalog's tiers stay the same objects until the catalog is read again. Only what
 * read successfully is kept (a refusal names its model, and models share tiers). The builder only reads
 * them; `optionsFor` itself still answers a fresh value for callers that hand it out.
 */
const tierOptions = new WeakMap<object, Either.Either<ModelOptions, SogniInvalidRequest>>()
function builderOptions(model: ModelDescriptor): Either.Either<ModelOptions, SogniInvalidRequest> {
  const tier: unknown = model.tier
  if (typeof tier !== "object" || tier === null) return optionsFor(model)
  const known = tierOptions.get(tier)
  if (known !== undefined) return known
  const read = optionsFor(model)
  if (Either.isRight(read)) tierOptions.set(tier, read)
  return read
}

function checkSpecific(p: Params.ProjectParams, options: ModelOptions, kinds: KindChecks | undefined): Check {
  if (kinds !== undefined) {
    if (p.type === "image") return kinds.validateImage(p)
    return p.type === "video" ? kinds.validateVideo(p, options) : kinds.validateAudio(p, options)
  }
  // without the special-model rules, which would find nothing to check here
  if (p.type === "image" && !needsModelRules(p)) return first(() => checkContextImages(p), () => checkSize(p))
  // only reachable through buildWith called without the rules a project needs
  return p.type === "image"
    ? invalid("modelId", "model-type", `the rules of ${p.modelId} were not loaded`)
    : invalid("type", "model-type", `the ${p.type} rules were not loaded`)
}

/**
 * {@link JobRequestBuilder.validate} with the video, audio and special-model rules given by the caller
 * (`undefined` for a project that does not need them, see {@link needsKindChecks}).
 *
 * @internal
 */
export function validateWith(
  params: Params.ProjectParams,
  model: ModelDescriptor,
  kinds: KindChecks | undefined
): Either.Either<Params.ProjectParams, SogniInvalidRequest> {
  return Either.flatMap(builderOptions(model), (options) => {
    const p = normalize(params)
    const failure = first(
      () => checkModel(p, model, options),
      () => checkSpecific(p, options, kinds),
      () => checkTierCommon(p, options)
    )
    return failure === undefined ? Either.right(p) : Either.left(failure)
  })
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

/** The legacy keyframe template (required by Mac workers, per the official client). */
function keyframeTemplate(): Record<string, unknown> {
  return {
    stepsIsEnabled: true,
    siRotation: 0,
    siDragOffsetIsEnabled: true,
    strength: 0.5,
    siZoomScaleIsEnabled: true,
    isEnabled: true,
    processing: "CPU, GPU",
    useLastImageAsGuideImageInAnimation: true,
    guidanceScaleIsEnabled: true,
    siImageBackgroundColor: "black",
    cnDragOffset: [0, 0],
    scheduler: null,
    timeStepSpacing: null,
    steps: 20,
    cnRotation: 0,
    guidanceScale: 7.5,
    siZoomScale: 1,
    modelID: "",
    cnRotationIsEnabled: true,
    negativePrompt: "",
    startingImageZoomPanIsOn: false,
    seed: undefined,
    siRotationIsEnabled: true,
    cnImageBackgroundColor: "clear",
    strengthIsEnabled: true,
    siDragOffset: [0, 0],
    useLastImageAsCNImageInAnimation: false,
    positivePrompt: "",
    controlNetZoomPanIsOn: false,
    cnZoomScaleIsEnabled: true,
    currentControlNets: null,
    stylePrompt: "",
    cnDragOffsetIsEnabled: true,
    frameIndex: 0,
    startingImage: null,
    cnZoomScale: 1
  }
}

/** The legacy request template (the keyframe is replaced). */
function requestTemplate(): Record<string, unknown> {
  return {
    selectedUpscalingModel: "OFF",
    cnVideoFramesSketch: [],
    cnVideoFramesSegmentedSubject: [],
    cnVideoFramesFace: [],
    doCanvasBlending: false,
    animationIsOn: false,
    cnVideoFramesBoth: [],
    cnVideoFramesDepth: [],
    keyFrames: [],
    previews: 5,
    frameRate: 24,
    generatedVideoSeconds: 10,
    canvasIsOn: false,
    cnVideoFrames: [],
    disableSafety: false,
    cnVideoFramesSegmentedBackground: [],
    cnVideoFramesSegmented: [],
    numberOfImages: 1,
    cnVideoFramesPose: [],
    jobID: "",
    siVideoFrames: []
  }
}

/**
 * The request as the wire carries it: keys whose value is undefined dropped, key order kept (exactly what
 * `JSON.stringify` sends, so a resend writes the same bytes). Done as one JSON round trip rather than a
 * copy key by key: `JSON.parse` builds objects with a shared shape and in-object fields, where a copy made
 * by computed-key stores turns the ~60-key keyframe into a hash-table object (about 5.4 KB per request kept
 * by its actor for a resend, against 1.3 KB this way). The request carries no bytes (uploads are separate),
 * only JSON values.
 */
function toWire(request: Record<string, unknown>): Protocol.JobRequest {
  return JSON.parse(JSON.stringify(request)) as Protocol.JobRequest
}

function normalizeReceipt(r: Params.WorldGenerationReceipt): Record<string, string> {
  return r.stage === "target_still"
    ? { stage: r.stage, sourceImageSha256: r.sourceImageSha256.toLowerCase(), selectionHash: r.selectionHash.toLowerCase() }
    : { stage: r.stage, firstFrameSha256: r.firstFrameSha256.toLowerCase(), lastFrameSha256: r.lastFrameSha256.toLowerCase() }
}

const controlModes = { balanced: 0, prompt_priority: 1, cn_priority: 2 } as const

function imageControlNet(cn: Params.ControlNet): Record<string, unknown> {
  const out: Record<string, unknown> = { name: cn.name, cnImageState: "original", hasImage: has(cn.image) }
  if (cn.strength !== undefined) out.controlStrength = cn.strength
  if (cn.mode) out.controlMode = controlModes[cn.mode]
  if (cn.guidanceStart !== undefined) out.controlGuidanceStart = cn.guidanceStart
  if (cn.guidanceEnd !== undefined) out.controlGuidanceEnd = cn.guidanceEnd
  return out
}

function applyImage(
  kf: Record<string, unknown>,
  p: Params.ImageParams,
  options: ModelOptions,
  // present for a project of a special model: validation refused one built without its rules
  kinds: KindChecks | undefined
): void {
  kf.sizePreset = p.sizePreset
  const contextImages = p.contextImages ?? []
  for (let i = 1; i <= 16; i++) kf[`hasContextImage${i}`] = has(contextImages[i - 1])
  if (isComfyModel(p.modelId)) {
    kf.comfySampler = wireChoice(p.sampler, options.sampler)
    kf.comfyScheduler = wireChoice(p.scheduler, options.scheduler)
    kf.vae = wireChoice(p.vae, options.vae)
  } else {
    // Legacy (Forge/Mac) models: the sampler travels as `scheduler`, the scheduler as `timeStepSpacing`.
    kf.scheduler = wireChoice(p.sampler, options.sampler)
    kf.timeStepSpacing = wireChoice(p.scheduler, options.scheduler)
  }
  if (has(p.startingImage)) {
    kf.hasStartingImage = true
    kf.strengthIsEnabled = true
    kf.strength = 1 - (Number(p.startingImageStrength) || 0.5)
  }
  kinds?.applyImageModel(kf, p)
  if (p.controlNet) kf.currentControlNetsJob = [imageControlNet(p.controlNet)]
  const preset = p.width && p.height && !p.sizePreset ? "custom" : p.sizePreset
  kf.sizePreset = preset
  if (preset === "custom" && p.width && p.height) {
    kf.width = p.width
    kf.height = p.height
  }
  kinds?.applyGptImage(kf, p)
}


function contentTypeResolver(uploaded: Readonly<Record<string, string>>): ContentTypeOf {
  // own keys only: a caller's record must not answer through Object.prototype
  const declared = (key: string) => (Object.hasOwn(uploaded, key) ? uploaded[key] : undefined)
  return (key, media) =>
    media === undefined
      ? undefined
      : media === true
      ? declared(key)
      : declared(key) ?? Option.getOrUndefined(Sniff.sniff(media))
}

function assemble(
  p: Params.ProjectParams,
  context: BuildContext,
  options: ModelOptions,
  // present for a project that needs them: validation refused one built without its rules
  kinds: KindChecks | undefined
): Protocol.JobRequest {
  const vendorOrH3Video = p.type === "video" &&
    (FrameMath.isVendorVideoModel(p.modelId) ||
      Option.getOrUndefined(FrameMath.videoFamily(p.modelId)) === "minimax-h3")
  // the templates are filled in place rather than spread into a new literal: a spread copy that then
  // gains ~20 more keys costs ~25 KB of allocation per request, this ~2 KB (same keys, same order)
  const kf = keyframeTemplate()
  kf.steps = p.steps
  kf.guidanceScale = p.guidance
  kf.modelID = p.modelId
  kf.seed = p.seed
  kf.positivePrompt = p.positivePrompt
  if (p.type === "image" || (p.type === "video" && !vendorOrH3Video)) {
    if (p.negativePrompt) kf.negativePrompt = p.negativePrompt
  }
  if (p.stylePrompt) kf.stylePrompt = p.stylePrompt
  if (p.loras && p.loras.length > 0) kf.loras = [...p.loras]
  if (p.loraStrengths && p.loraStrengths.length > 0) kf.loraStrengths = [...p.loraStrengths]
  if (p.worldGenerationReceipt) kf.worldGenerationReceipt = normalizeReceipt(p.worldGenerationReceipt)
  if (p.type === "audio" || vendorOrH3Video) delete kf.negativePrompt

  const ct = contentTypeResolver(context.uploadedContentTypes ?? {})
  switch (p.type) {
    case "image":
      applyImage(kf, p, options, kinds)
      break
    case "video":
      kinds!.applyVideo(kf, p, options)
      kinds!.annotateVideo(kf, p, ct)
      break
    case "audio": {
      kinds!.applyAudio(kf, p, options)
      const value = ct("referenceAudio", p.referenceAudio)
      if (value !== undefined) kf.referenceAudioContentType = value
      break
    }
  }

  const segmentation = isSegmentation(p.modelId)
  const pixal = isPixal3d(p.modelId)
  const request = requestTemplate()
  request.keyFrames = [kf]
  request.previews = segmentation || pixal ? 0 : p.type === "image" ? p.numberOfPreviews || 0 : 0
  request.numberOfImages = segmentation ? 1 : p.numberOfMedia || 1
  request.jobID = context.projectId
  request.disableSafety = !!p.disableNSFWFilter
  request.tokenType = p.tokenType
  request.billingMode = p.billingMode
  request.outputFormat = pixal
    ? "glb"
    : segmentation
    ? "png"
    : p.outputFormat || (p.type === "audio" ? "mp3" : p.type === "video" ? "mp4" : "png")
  if (p.network) request.network = p.network
  const appSource = p.appSource || context.appSource
  if (appSource) request.appSource = appSource
  return toWire(request)
}

/**
 * {@link build} with the video, audio and special-model rules given by the caller (`undefined` for a
 * project that does not need them, see {@link needsKindChecks}; a video or audio project then fails with
 * `type` / `model-type`, an image project of a special model with `modelId` / `model-type`).
 *
 * @internal
 */
export function buildWith(
  params: Params.ProjectParams,
  context: BuildContext,
  kinds: KindChecks | undefined
): Either.Either<Protocol.JobRequest, SogniInvalidRequest> {
  return Either.flatMap(validateWith(params, context.model, kinds), (p) =>
    Either.map(builderOptions(context.model), (options) => assemble(p, context, options, kinds)))
}

// ---------------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------------

function upload(
  key: string,
  slot: string,
  endpoint: "image" | "media",
  media: Params.MediaInput | undefined,
  id?: string
): ReadonlyArray<Upload> {
  return media === undefined || media === true
    ? []
    : [{ key, slot, endpoint, ...(id !== undefined ? { id } : {}), bytes: media, contentType: Sniff.sniff(media) }]
}

/**
 * The input files of a project as sequential batches: the uploads of one batch may run in parallel,
 * batches run one after another (media.md §9.1–§9.2). Image: GPT mask, starting image, ControlNet
 * image, context images (parallel), Pixal3D orbit views (parallel). Video: reference image, H3 r2v
 * context images (parallel), end frame, reference audio, audio identity, reference video, H3 r2v
 * reference audios + videos (parallel), inpaint mask. Audio: voice-clone sample. Assets given as `true`
 * are skipped (already uploaded).
 *
 * @since 0.1.0
 */
export function uploadPlan(params: Params.ProjectParams): ReadonlyArray<ReadonlyArray<Upload>> {
  const p = normalize(params)
  const batches: Array<ReadonlyArray<Upload>> = []
  const push = (...batch: ReadonlyArray<ReadonlyArray<Upload>>) => {
    const flat = batch.flat()
    if (flat.length > 0) batches.push(flat)
  }
  switch (p.type) {
    case "image": {
      push(upload("referenceMask", "referenceMask", "image", p.gptImageMask))
      push(upload("startingImage", "startingImage", "image", p.startingImage))
      push(upload("cnImage", "cnImage", "image", p.controlNet?.image))
      push(...(p.contextImages ?? []).map((m, i) => upload(`contextImage${i + 1}`, `contextImage${i + 1}`, "image", m)))
      if (p.modelId === PIXAL3D_MULTIVIEW_ID) {
        push(...ORBIT_VIEWS.map(([view, slot]) => upload(`contextImage${slot}`, `contextImage${slot}`, "image", p[view])))
      }
      break
    }
    case "video": {
      const h3Reference = FrameMath.isH3Reference(p.modelId)
      push(upload("referenceImage", "referenceImage", "image", p.referenceImage))
      push(...videoContextSlots(p).map(({ media, slot }) => upload(`contextImage${slot}`, `contextImage${slot}`, "image", media)))
      push(upload("referenceImageEnd", "referenceImageEnd", "image", p.referenceImageEnd))
      if (!h3Reference) push(upload("referenceAudio", "referenceAudio", "media", p.referenceAudio))
      push(upload("referenceAudioIdentity", "referenceAudio", "media", p.referenceAudioIdentity))
      if (!h3Reference) push(upload("referenceVideo", "referenceVideo", "media", p.referenceVideo))
      if (h3Reference) {
        push(
          ...h3Slots(p.referenceAudio, p.referenceAudios).map(({ media, slot }) =>
            upload(`referenceAudio${slot}`, "referenceAudio", "media", media, `referenceAudio${slot}`)
          ),
          ...h3Slots(p.referenceVideo, p.referenceVideos).map(({ media, slot }) =>
            upload(`referenceVideo${slot}`, "referenceVideo", "media", media, `referenceVideo${slot}`)
          )
        )
      }
      if (p.controlNet?.name === "inpaint") push(upload("referenceMask", "referenceMask", "image", p.referenceMask))
      break
    }
    case "audio":
      push(upload("referenceAudio", "referenceAudio", "media", p.referenceAudio))
      break
  }
  return batches
}

/**
 * Every input file of a project, in upload order (the flattening of {@link uploadPlan}).
 *
 * @since 0.1.0
 */
export function uploadsFor(params: Params.ProjectParams): ReadonlyArray<Upload> {
  return uploadPlan(params).flat()
}
