/**
 * Project parameters for image, video and audio generation (media.md §10), as Effect Schemas.
 *
 * The field names are the official client's (`modelId`, `positivePrompt`, `numberOfMedia`,
 * `startingImage`, `referenceImage`, `duration`, `fps`, …) so code ports as is. Media inputs are
 * `Uint8Array` bytes (a Node `Buffer` is one) or `true`, meaning "already uploaded for this project
 * id" (media.md §9.2): the flag is sent and nothing is uploaded.
 *
 * The schemas check what does not depend on the model: types, static ranges (`startingImageStrength`
 * 0–1, `controlNet.strength` 0–1, `seed` uint32, …), allowed literals and counts. Rules that depend on
 * the model and its tier (asset requirements per workflow, sampler lists, size bounds, frame grids)
 * live in `JobRequestBuilder.validate`. {@link decode} turns the first schema failure into a
 * `SogniInvalidRequest` naming the field (`controlNet.strength`) and the rule (`range`).
 *
 * @example
 * ```ts
 * import * as Params from "@effect-sogni/media/Params"
 *
 * const params: Params.ProjectParams = {
 *   type: "image",
 *   modelId: "flux1-schnell-fp8",
 *   positivePrompt: "a lighthouse on a basalt cliff at dawn",
 *   numberOfMedia: 2,
 *   steps: 4,
 *   guidance: 1,
 *   sizePreset: "square_hd"
 * }
 *
 * Params.decode({ ...params, startingImageStrength: 2 })
 * // Either.left(SogniInvalidRequest { field: "startingImageStrength", rule: "range", … })
 * ```
 *
 * @since 0.1.0
 */
import { SogniInvalidRequest } from "@effect-sogni/core/SogniError"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Lazy from "@effect-sogni/core/Lazy"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import {
  atLeast,
  between,
  FiniteNumber,
  intAtLeast,
  intBetween,
  NonBlank,
  Positive,
  RuleId,
  Sha256,
  toInvalidRequest,
  upTo
} from "./internal/paramsRules.js"
import { decodePlainImage } from "./internal/plainImage.js"

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/**
 * An input file: raw bytes, or `true` when the asset was already uploaded for this project id.
 *
 * @since 0.1.0
 */
export const MediaInput = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Union(Schema.Uint8ArrayFromSelf, Schema.Literal(true)).annotations({
    identifier: "MediaInput",
    description: "Uint8Array bytes, or true when already uploaded for this project id"
  })
)
/** @since 0.1.0 */
export type MediaInput = typeof MediaInput.Type

/** `sogni` (native token) or `spark` (purchased credits). @since 0.1.0 */
export const TokenType = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("sogni", "spark"))
/** @since 0.1.0 */
export type TokenType = typeof TokenType.Type

/** `auto` (plan first), `subscription` (plan only), `tokens` (never the plan). @since 0.1.0 */
export const BillingMode = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("auto", "subscription", "tokens"))
/** @since 0.1.0 */
export type BillingMode = typeof BillingMode.Type

/** `fast` (GPU servers; required for video) or `relaxed` (Macs; images only). @since 0.1.0 */
export const Network = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("fast", "relaxed"))
/** @since 0.1.0 */
export type Network = typeof Network.Type

/** An unsigned 32-bit seed. @since 0.1.0 */
export const Seed = /* @__PURE__ */ Lazy.schema(() => intBetween(0, 4_294_967_295))

/** Provenance receipt for world-generation requests (hashes lower-cased on the wire). @since 0.1.0 */
export const WorldGenerationReceipt = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Union(
    Schema.Struct({ stage: Schema.Literal("target_still"), sourceImageSha256: Sha256, selectionHash: Sha256 }),
    Schema.Struct({ stage: Schema.Literal("transition"), firstFrameSha256: Sha256, lastFrameSha256: Sha256 })
  )
)
/** @since 0.1.0 */
export type WorldGenerationReceipt = typeof WorldGenerationReceipt.Type

const Unit = /* @__PURE__ */ Lazy.schema(() => between(0, 1))

/**
 * Optional fields of the same type share one property signature, so the decoder is compiled once for all
 * of them (each `Schema.optional` call is its own `T | undefined` union, compiled on its own).
 */
const optional = /* @__PURE__ */ Lazy.memo(() => ({
  String: Schema.optional(Schema.String),
  Boolean: Schema.optional(Schema.Boolean),
  MediaInput: Schema.optional(MediaInput),
  Unit: Schema.optional(Unit),
  Positive: Schema.optional(Positive)
}))

/**
 * Bounds checked before anything is sent.
 *
 * - `maxNumberOfMedia`: outputs per project; the platform caps variations at 16 (media.md §10.1) and
 *   refuses a larger `numberOfImages`.
 * - `maxPromptLength`: characters in a prompt, negative or style prompt, or lyrics. The protocol names no
 *   limit; this one keeps a runaway string (megabytes) from going out in a frame.
 *
 * @since 0.1.0
 */
export const limits = {
  maxNumberOfMedia: 16,
  maxPromptLength: 20_000
} as const

/** Free text up to {@link limits}`.maxPromptLength` characters. */
const PromptText = /* @__PURE__ */ Lazy.schema(() =>
  Schema.String.pipe(
    Schema.filter((s) => s.length <= limits.maxPromptLength, {
      [RuleId]: "max-length",
      message: (issue) =>
        `must be at most ${limits.maxPromptLength} characters, got ${typeof issue.actual === "string" ? issue.actual.length : "?"}`
    })
  )
)

/** Fields every project type shares. */
const common = /* @__PURE__ */ Lazy.memo(() => ({
    /** Model id from the catalog, e.g. `flux1-schnell-fp8`. */
    modelId: NonBlank,
    /** Outputs to render (default 1, at most {@link limits}`.maxNumberOfMedia`). */
    numberOfMedia: Schema.optional(intBetween(1, limits.maxNumberOfMedia)),
    /** The prompt; may be empty (promptless models). Absent from the request when not given. */
    positivePrompt: Schema.optional(PromptText),
    /** Sent only when non-empty; never for audio, vendor video or MiniMax H3. */
    negativePrompt: Schema.optional(PromptText),
    /** Sent only when non-empty. */
    stylePrompt: Schema.optional(PromptText),
    /** Sampling steps (tier range). */
    steps: Schema.optional(intAtLeast(1)),
    /** Guidance scale (tier range). */
    guidance: Schema.optional(atLeast(0)),
    network: Schema.optional(Network),
    tokenType: Schema.optional(TokenType),
    billingMode: Schema.optional(BillingMode),
    /** Ask for the NSFW filter off (`disableSafety`); the server stays authoritative. */
    disableNSFWFilter: optional().Boolean,
    /** Overrides the connection's app source for this project. */
    appSource: optional().String,
    worldGenerationReceipt: Schema.optional(WorldGenerationReceipt),
    /** LoRA ids, in order (≤ 8). */
    loras: Schema.optional(upTo(NonBlank, 8)),
    /** Positional strengths for `loras` (may be negative for bipolar LoRAs). */
    loraStrengths: Schema.optional(upTo(FiniteNumber, 8))
  }))

// ---------------------------------------------------------------------------------------------
// Image
// ---------------------------------------------------------------------------------------------

/** ControlNet types for image models (media.md §10.1.4). @since 0.1.0 */
export const ControlNetName = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Literal(
    "canny",
    "depth",
    "inpaint",
    "instrp2p",
    "lineart",
    "lineartanime",
    "mlsd",
    "normalbae",
    "openpose",
    "scribble",
    "segmentation",
    "shuffle",
    "softedge",
    "tile",
    "instantid"
  )
)
/** @since 0.1.0 */
export type ControlNetName = typeof ControlNetName.Type

/**
 * Image ControlNet: `mode` `balanced` (0), `prompt_priority` (1), `cn_priority` (2); strength and
 * guidance bounds 0–1. The image should match the output size.
 *
 * @since 0.1.0
 */
export const ControlNet = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    name: ControlNetName,
    image: optional().MediaInput,
    strength: optional().Unit,
    mode: Schema.optional(Schema.Literal("balanced", "prompt_priority", "cn_priority")),
    guidanceStart: optional().Unit,
    guidanceEnd: optional().Unit
  })
)
/** @since 0.1.0 */
export type ControlNet = typeof ControlNet.Type

const Sam3Label = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("positive", "negative"))

/** SAM 3 point: normalized coordinates. @since 0.1.0 */
export const Sam3Point = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ x: Unit, y: Unit, label: Sam3Label }))

/** SAM 3 box: normalized corners with `x0 < x1`, `y0 < y1`; label defaults to `positive`. @since 0.1.0 */
export const Sam3Box = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ x0: Unit, y0: Unit, x1: Unit, y1: Unit, label: Schema.optional(Sam3Label) }))

/**
 * SAM 3 segmentation prompt (media.md §10.1.5). Cross-field rules (at least one of points / boxes /
 * text, text and points exclusive, …) are checked by `JobRequestBuilder.validate`.
 *
 * @since 0.1.0
 */
export const Sam3Prompt = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    points: Schema.optional(upTo(Sam3Point, 32)),
    boxes: Schema.optional(upTo(Sam3Box, 16)),
    text: optional().String,
    threshold: optional().Unit,
    multimask: optional().Boolean,
    applyMask: optional().Boolean,
    maxInstances: Schema.optional(intBetween(1, 16))
  })
)
/** @since 0.1.0 */
export type Sam3Prompt = typeof Sam3Prompt.Type

/** GPT Image quality (`xhigh`/`max` on 2.5 only; `auto` is refused). @since 0.1.0 */
export const GptImageQuality = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("low", "medium", "high", "standard", "hd", "xhigh", "max"))

/**
 * Parameters of an image project (media.md §10.1), including GPT Image, ControlNet, SAM 3, BiRefNet and
 * Pixal3D options.
 *
 * @since 0.1.0
 */
export const ImageParams = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    type: Schema.Literal("image"),
    ...common(),
    seed: Schema.optional(Seed),
    /** Preview images per output (cost extra; default 0). */
    numberOfPreviews: Schema.optional(intAtLeast(0)),
    /** Init image (img2img); also the source for SAM 3, BiRefNet and Pixal3D. */
    startingImage: optional().MediaInput,
    /** How much of the starting image to keep, 0–1 (default 0.5; the wire carries `1 − value`). */
    startingImageStrength: optional().Unit,
    /** Reference images (default max 3; GPT Image 16; Qwen 3; Kontext / Krea identity 2). */
    contextImages: Schema.optional(Schema.Array(MediaInput)),
    /** Sampler alias (media.md §11.2), must be in the tier's list. */
    sampler: optional().String,
    /** Scheduler alias (media.md §11.2), must be in the tier's list. */
    scheduler: optional().String,
    /** VAE file (Comfy models offering a choice). */
    vae: optional().String,
    /** Size preset id (`square_hd`, …) or `custom`. */
    sizePreset: Schema.optional(NonBlank),
    /** Custom width (with `height`; bounds per model). */
    width: Schema.optional(intAtLeast(1)),
    /** Custom height (with `width`; bounds per model). */
    height: Schema.optional(intAtLeast(1)),
    controlNet: Schema.optional(ControlNet),
    outputFormat: Schema.optional(Schema.Literal("png", "jpg", "webp")),
    gptImageQuality: Schema.optional(GptImageQuality),
    gptImageBackground: Schema.optional(Schema.Literal("opaque", "auto", "transparent")),
    /** 0–100, only with `jpg`/`webp`. */
    gptImageOutputCompression: Schema.optional(intBetween(0, 100)),
    /** Hosted mask URL, or a PNG data URI (< 50 MB) which is uploaded instead. */
    gptImageMaskUrl: optional().String,
    /** Mask image (GPT Image; needs a first context image). */
    gptImageMask: optional().MediaInput,
    /** SAM 3 only. */
    sam3Prompt: Schema.optional(Sam3Prompt),
    /** BiRefNet only: carry the matte as the source's alpha channel. */
    applyMask: optional().Boolean,
    /** Pixal3D single-view only. */
    templateVariant: Schema.optional(Schema.Literal("i23d-birefnet")),
    textureSize: Schema.optional(intBetween(1024, 4096)),
    meshTargetFaces: Schema.optional(intBetween(5000, 700_000)),
    normalMapSize: Schema.optional(intBetween(512, 2048)),
    ambientOcclusionSize: Schema.optional(intBetween(256, 1024)),
    shapeResolution: Schema.optional(intBetween(1024, 1536)),
    /** Pixal3D multi-view orbit views (slots contextImage1/2/3). */
    leftViewImage: optional().MediaInput,
    backViewImage: optional().MediaInput,
    rightViewImage: optional().MediaInput
  }).annotations({ identifier: "ImageParams" })
)
/** @since 0.1.0 */
export type ImageParams = typeof ImageParams.Type

// ---------------------------------------------------------------------------------------------
// Video
// ---------------------------------------------------------------------------------------------

/** Video control types (LTX v2v, media.md §10.2.6). @since 0.1.0 */
export const VideoControlNetName = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("canny", "pose", "depth", "detailer", "outpaint", "inpaint"))

/** `{name, strength?}` → `currentControlNetsJob: [{name, controlStrength?}]`. @since 0.1.0 */
export const VideoControlNet = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ name: VideoControlNetName, strength: optional().Unit }))
/** @since 0.1.0 */
export type VideoControlNet = typeof VideoControlNet.Type

/** Wan 3 aspect ratio. @since 0.1.0 */
export const Wan3Ratio = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("adaptive", "16:9", "4:3", "1:1", "3:4", "9:16"))

/**
 * Parameters of a video project (media.md §10.2): WAN 2.2, LTX 2.x, Seedance, HappyHorse, Wan 3,
 * MiniMax H3 and FlashVSR.
 *
 * @since 0.1.0
 */
export const VideoParams = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    type: Schema.Literal("video"),
    ...common(),
    /** uint32; FlashVSR also accepts −1 (random), Wan 3 caps at 2147483647. */
    seed: Schema.optional(intBetween(-1, 4_294_967_295)),
    /** Seconds; `frames` is computed from it per family (media.md §10.2.2). */
    duration: optional().Positive,
    /** Deprecated: explicit frame count (overwritten when `duration` is given, except FlashVSR). */
    frames: Schema.optional(intAtLeast(1)),
    /** Frame rate: WAN 16/32, LTX 1–60, Seedance/HappyHorse/H3 24, Wan 3 30. */
    fps: optional().Positive,
    width: Schema.optional(intAtLeast(1)),
    height: Schema.optional(intAtLeast(1)),
    sampler: optional().String,
    scheduler: optional().String,
    /** 1.0–8.0 unless the tier says otherwise. */
    shift: optional().Positive,
    /** 0–1 (0 = off). */
    teacacheThreshold: optional().Unit,
    /** First frame / subject / reference image. */
    referenceImage: optional().MediaInput,
    /** Last frame. */
    referenceImageEnd: optional().MediaInput,
    /** Driving audio (s2v, ia2v, a2v, H3 audio guide; first H3 r2v audio). */
    referenceAudio: optional().MediaInput,
    /** LTX 2.3 ID-LoRA voice identity. */
    referenceAudioIdentity: optional().MediaInput,
    /** 0–10 (default 3), sent as `identityGuidanceScale`. */
    audioIdentityStrength: Schema.optional(between(0, 10)),
    /** Source video (v2v, animate, FlashVSR; first H3 r2v video). */
    referenceVideo: optional().MediaInput,
    /** LTX v2v inpaint mask. */
    referenceMask: optional().MediaInput,
    /** MiniMax H3 r2v extra reference images. */
    contextImages: Schema.optional(Schema.Array(MediaInput)),
    /** MiniMax H3 r2v extra reference audios. */
    referenceAudios: Schema.optional(Schema.Array(MediaInput)),
    /** MiniMax H3 r2v extra reference videos. */
    referenceVideos: Schema.optional(Schema.Array(MediaInput)),
    /** MiniMax H3 r2v duration hints, one per reference video (2–15 s each, ≤ 15 s total). */
    referenceVideoDurations: Schema.optional(Schema.Array(FiniteNumber)),
    /** HTTPS image references (Seedance, HappyHorse, Wan 3). */
    referenceImageUrls: Schema.optional(Schema.Array(NonBlank)),
    /** HTTPS video references (Seedance, Wan 3). */
    referenceVideoUrls: Schema.optional(Schema.Array(NonBlank)),
    /** HTTPS audio references (Seedance, Wan 3). */
    referenceAudioUrls: Schema.optional(Schema.Array(NonBlank)),
    /** Wan 3 document reference (HTTPS; not on Enhanced). */
    referenceFileUrl: optional().String,
    /** Wan 3 web page reference (HTTPS; not on Enhanced). */
    referenceLinkUrl: optional().String,
    promptExtend: optional().Boolean,
    watermark: optional().Boolean,
    generateAudio: optional().Boolean,
    ratio: Schema.optional(Wan3Ratio),
    /** Seedance 2.5 loose-reference mode. */
    seedanceTaskType: Schema.optional(Schema.Literal("reference", "edit", "extend")),
    /** Seconds into the driving audio. */
    audioStart: Schema.optional(atLeast(0)),
    /** Seconds of driving audio (not MiniMax H3). */
    audioDuration: optional().Positive,
    /** Seconds into the source video (animate workflows). */
    videoStart: Schema.optional(atLeast(0)),
    /** LTX 2.3 keyframe strengths, 0–1. */
    firstFrameStrength: optional().Unit,
    lastFrameStrength: optional().Unit,
    /** LTX v2v detailer strength, 0–1. */
    detailerStrength: optional().Unit,
    outpaintPosition: Schema.optional(Schema.Literal("center", "top", "bottom", "left", "right")),
    controlNet: Schema.optional(VideoControlNet),
    /** Subject points for animate-replace (sent as a JSON string). */
    sam2Coordinates: Schema.optional(Schema.Array(Schema.Struct({ x: FiniteNumber, y: FiniteNumber }))),
    /** Drop the last frame (seamless stitching). */
    trimEndFrame: optional().Boolean,
    /** `mp4` (default) or `mov` (Seedance 2.5 only). */
    outputFormat: Schema.optional(Schema.Literal("mp4", "mov")),
    /** Seedance 2.5 only. */
    returnLastFrame: optional().Boolean,
    /** FlashVSR target (else `min(width, height)`). */
    upscaleResolution: Schema.optional(Schema.Literal(1080, 1440)),
    detailPreference: Schema.optional(Schema.Literal("stable", "sharper")),
    processingSpeed: Schema.optional(Schema.Literal("stable", "faster"))
  }).annotations({ identifier: "VideoParams" })
)
/** @since 0.1.0 */
export type VideoParams = typeof VideoParams.Type

// ---------------------------------------------------------------------------------------------
// Audio
// ---------------------------------------------------------------------------------------------

/**
 * Parameters of an audio project (media.md §10.3): ACE-Step 1.5, MiniMax Music 3 and qwen3 TTS.
 *
 * @since 0.1.0
 */
export const AudioParams = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    type: Schema.Literal("audio"),
    ...common(),
    seed: Schema.optional(Seed),
    /** Seconds (ACE-Step 10–600, MiniMax Music 10–300). */
    duration: optional().Positive,
    /** Tempo (ACE-Step 30–300). */
    bpm: optional().Positive,
    /** `"2"`, `"3"`, `"4"` or `"6"` (2/4, 3/4, 4/4, 6/8). */
    timesignature: optional().String,
    /** Lyrics language (`en`, `unknown` = auto, …). */
    language: optional().String,
    /** Omit for instrumental. */
    lyrics: Schema.optional(PromptText),
    /** E.g. `"C major"`, `"A minor"`. */
    keyscale: optional().String,
    composerMode: optional().Boolean,
    /** 0–10. */
    promptStrength: Schema.optional(between(0, 10)),
    /** 0–2. */
    creativity: Schema.optional(between(0, 2)),
    shift: optional().Positive,
    sampler: optional().String,
    scheduler: optional().String,
    outputFormat: Schema.optional(Schema.Literal("mp3", "flac", "wav")),
    /** qwen3 TTS voice. */
    speaker: optional().String,
    /** qwen3 TTS voice design instruction. */
    instruct: optional().String,
    /** qwen3 TTS transcript of `referenceAudio`. */
    referenceText: optional().String,
    /** qwen3 TTS voice clone sample (3–30 s). */
    referenceAudio: optional().MediaInput
  }).annotations({ identifier: "AudioParams" })
)
/** @since 0.1.0 */
export type AudioParams = typeof AudioParams.Type

// ---------------------------------------------------------------------------------------------
// Union and decoding
// ---------------------------------------------------------------------------------------------

/**
 * Any project's parameters, discriminated by `type`.
 *
 * @since 0.1.0
 */
export const ProjectParams = /* @__PURE__ */ Lazy.schema(() => Schema.Union(ImageParams, VideoParams, AudioParams))
/** @since 0.1.0 */
export type ProjectParams = typeof ProjectParams.Type

type Decoder = (u: unknown) => Either.Either<ProjectParams, ParseResult.ParseError>

/** True when `ast` can hold an object whose keys are checked (a struct, possibly inside a union, array or filter). */
const holdsStruct = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "TypeLiteral":
      return true
    case "Union":
      return ast.types.some(holdsStruct)
    case "Refinement":
      return holdsStruct(ast.from)
    case "Transformation":
      return holdsStruct(ast.from) || holdsStruct(ast.to)
    case "TupleType":
      return ast.elements.some((e) => holdsStruct(e.type)) || ast.rest.some((r) => holdsStruct(r.type))
    case "Suspend":
      return true
    default:
      return false
  }
}

/** Per project type: every key it declares, and those whose value is an object with checked keys. */
interface KeySet {
  readonly known: ReadonlySet<PropertyKey>
  readonly nested: ReadonlyArray<PropertyKey>
}

// (a member that is not a plain struct knows no key: its input always takes the strict decoder)
const keySetOf = (ast: AST.AST): KeySet =>
  AST.isTypeLiteral(ast)
    ? {
      known: new Set(ast.propertySignatures.map((ps) => ps.name)),
      nested: ast.propertySignatures.filter((ps) => holdsStruct(ps.type)).map((ps) => ps.name)
    }
    : { known: new Set(), nested: [] }

/**
 * The check of a value whose schema is made of plain pieces only (string, number and boolean keywords,
 * literals, `undefined`, unions of those, and refinements of them): exactly what the schema's parser
 * accepts, without its `Either` per step. Undefined for any other schema (bytes, arrays, structs,
 * transformations): such a value is left to the decoder.
 */
type PlainCheck = (u: unknown) => boolean

const lenientOptions: AST.ParseOptions = { onExcessProperty: "ignore", errors: "first" }

const plainCheckOf = (ast: AST.AST): PlainCheck | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => typeof u === "string"
    case "NumberKeyword":
      return (u) => typeof u === "number"
    case "BooleanKeyword":
      return (u) => typeof u === "boolean"
    case "UndefinedKeyword":
      return (u) => u === undefined
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "Union": {
      const members = ast.types.map(plainCheckOf)
      if (!members.every((m): m is PlainCheck => m !== undefined)) return undefined
      return (u) => members.some((m) => m(u))
    }
    case "Refinement": {
      const from = plainCheckOf(ast.from)
      if (from === undefined) return undefined
      // the refinement's own filter: `Option.none()` when it holds (no allocation on success)
      return (u) => from(u) && ast.filter(u, lenientOptions, ast)._tag === "None"
    }
    default:
      return undefined
  }
}

/** One declared key of a project type, in the schema's order, with its plain check when it has one. */
interface PlainField {
  readonly name: PropertyKey
  readonly optional: boolean
  readonly check: PlainCheck | undefined
}

const plainFieldsOf = (ast: AST.AST): ReadonlyArray<PlainField> =>
  AST.isTypeLiteral(ast)
    ? ast.propertySignatures.map((ps) => ({ name: ps.name, optional: ps.isOptional, check: plainCheckOf(ps.type) }))
    : []

/** What the plain path knows of one project type: its key set and its fields' plain checks. */
interface TypePlan {
  readonly keys: KeySet
  readonly plain: ReadonlyArray<PlainField>
}

const planOf = (ast: AST.AST): TypePlan => ({ keys: keySetOf(ast), plain: plainFieldsOf(ast) })

// each built on the first input of its type, not at import (start-up cost for programs that pass
// prepared requests), nor for the other types (an image program never builds the video and audio schemas)
const imagePlan = /* @__PURE__ */ Lazy.memo(() => planOf(ImageParams.ast))
const videoPlan = /* @__PURE__ */ Lazy.memo(() => planOf(VideoParams.ast))
const audioPlan = /* @__PURE__ */ Lazy.memo(() => planOf(AudioParams.ast))

/** The plan of a record's declared `type` (own key), if it is one of the three. */
const planFor = (record: Record<PropertyKey, unknown>): TypePlan | undefined => {
  if (!Object.hasOwn(record, "type")) return undefined
  const type = record.type
  return type === "image" ? imagePlan() : type === "video" ? videoPlan() : type === "audio" ? audioPlan() : undefined
}

// The schema's decoders, each compiled on its first use: the usual request (plain values, known keys)
// is decoded by `decodePlain` and needs neither. Compiling one builds its parser for the whole
// `ProjectParams` union (every field of the three types, with its refinements), kept for the program's
// life (the two together: ~0.3 MB more left live after a media-fanout run), so a program whose requests
// all take the plain path never pays for them.

/** The reference decoder: unknown keys refused everywhere, first failure reported. */
const strictDecoder = /* @__PURE__ */ Lazy.memo((): Decoder =>
  Schema.decodeUnknownEither(ProjectParams, { onExcessProperty: "error", errors: "first" })
)
/** The same schema without the unknown-key pass (Effect's pass tries each declared key in turn, per input key). */
const lenientDecoder = /* @__PURE__ */ Lazy.memo((): Decoder => Schema.decodeUnknownEither(ProjectParams, lenientOptions))

/**
 * The decoded value of an input that {@link keysAreKnown} passed, when every key it has holds a plain
 * value its schema accepts and no required key is missing: built as the schema's parser builds it (a
 * new object, the present keys in the schema's order, the values as given, `undefined` ones included).
 * Undefined otherwise (a value that is not plain or fails its check, a required key missing): the
 * decoder then gives the value or names the failure. About a twentieth of the decoder's allocations
 * for the usual request (a prompt and a few numbers).
 */
const decodePlain = (input: Record<PropertyKey, unknown>, plan: TypePlan): ProjectParams | undefined => {
  const output: Record<PropertyKey, unknown> = {}
  for (const field of plan.plain) {
    if (!Object.prototype.hasOwnProperty.call(input, field.name)) {
      if (field.optional) continue
      return undefined
    }
    const value = input[field.name]
    if (field.check === undefined || !field.check(value)) return undefined
    output[field.name] = value
  }
  return output as unknown as ProjectParams
}

/**
 * True when the strict decoder's unknown-key pass would find nothing: each own key of `record` is declared
 * for its type (`keys`), and no value that holds a struct (`controlNet`, `sam3Prompt`, …) is present
 * (their keys are left to the strict decoder).
 */
const keysAreKnown = (record: Record<PropertyKey, unknown>, keys: KeySet): boolean => {
  for (const key of Reflect.ownKeys(record)) if (!keys.known.has(key)) return false
  for (const key of keys.nested) if (record[key] !== undefined) return false
  return true
}

/**
 * Decodes with the strict decoder's result: a plain image request by `decodePlainImage`, which accepts a
 * subset of what the schema accepts and builds no schema; otherwise, when {@link keysAreKnown} holds (for
 * a plain record of a known `type`), its unknown-key pass has nothing to refuse and the lenient decoder gives the same value or the
 * same first failure, for a fraction of the allocations (about a dozen failed literal matches per key
 * otherwise).
 */
const decodeEither = (u: unknown): Either.Either<ProjectParams, ParseResult.ParseError> => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return strictDecoder()(u)
  // the usual image request, checked without building the image schema (`internal/plainImage.ts`)
  const image = decodePlainImage(u)
  if (image !== undefined) return Either.right(image)
  const record = u as Record<PropertyKey, unknown>
  const plan = planFor(record)
  if (plan === undefined || !keysAreKnown(record, plan.keys)) return strictDecoder()(u)
  const plain = decodePlain(record, plan)
  return plain !== undefined ? Either.right(plain) : lenientDecoder()(u)
}

/**
 * Decodes untrusted input into {@link ProjectParams}. Unknown keys are refused (`unknown-field`;
 * `retired` for `outputScale` and `smartDuration`); the first failure becomes a `SogniInvalidRequest`
 * whose `field` is the dotted path of the offending value.
 *
 * @since 0.1.0
 */
export const decode = (input: unknown): Either.Either<ProjectParams, SogniInvalidRequest> =>
  Array.isArray(input)
    ? Either.left(new SogniInvalidRequest({ field: "params", rule: "type", message: "params must be an object, got an array" }))
    : Either.mapLeft(decodeEither(input), (error) => toInvalidRequest(error))
