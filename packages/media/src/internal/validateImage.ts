/**
 * Image-project rules every image model meets (media.md §10.1): custom sizes and context-image limits,
 * plus the model ids and predicates of the special models. The rules of SAM 3, BiRefNet, Pixal3D and GPT
 * Image are in `internal/imageModelRules.ts`, loaded with the video and audio rules
 * (`internal/kindChecks.ts`) only by a project that needs them ({@link needsModelRules}).
 *
 * @internal
 */
import type { ImageParams } from "../Params.js"
import type { Check } from "./validateCommon.js"
import { atMost, first, forbid, inRange, need } from "./validateCommon.js"

// ---------------------------------------------------------------------------------------------
// Model ids
// ---------------------------------------------------------------------------------------------

/** @internal */
export const SAM3_ID = "sam3_image_segment_bf16"
/** @internal */
export const BIREFNET_ID = "birefnet_image_background_removal_fp16"
/** @internal */
export const PIXAL3D_ID = "pixal3d_int8_i23d"
/** @internal */
export const PIXAL3D_MULTIVIEW_ID = "pixal3d_multiview_int8_i23d"

const GPT_IMAGE_IDS: ReadonlySet<string> = new Set(["gpt-image-2", "gpt-image-2.5-sunburst", "gpt-image-2.5-flare"])
const EXTENDED_SIZE_IDS: ReadonlySet<string> = new Set([
  "z_image_bf16",
  "z_image_turbo_bf16",
  "krea2_turbo_fp8_scaled",
  "qwen_image_edit_2511_fp8",
  "qwen_image_edit_2511_fp8_lightning",
  "qwen_image_2512_fp8",
  "qwen_image_2512_fp8_lightning"
])
const KREA_IDENTITY_IDS: ReadonlySet<string> = new Set(["krea2_identity_edit_v1_2", "dark_beast_krea2_identity_edit_v1_2"])
const QWEN_IMAGE_IDS: ReadonlySet<string> = new Set([
  "qwen_image_2512_fp8",
  "qwen_image_2512_fp8_lightning",
  "qwen_image_edit_2511_fp8",
  "qwen_image_edit_2511_fp8_lightning"
])
const COMFY_PREFIXES = [
  "z_image_",
  "dark_beast_z_image_",
  "krea2_",
  "dark_beast_krea2_",
  "qwen_image_",
  "rtx_vsr_",
  "flashvsr_",
  "wan_",
  "ace_step",
  "minimax_music3",
  "qwen3_tts_"
]

/** GPT Image 2 / 2.5 (vendor, Spark-only). @internal */
export function isGptImage(modelId: string): boolean {
  return GPT_IMAGE_IDS.has(modelId)
}
/** SAM 3 and BiRefNet. @internal */
export function isSegmentation(modelId: string): boolean {
  return modelId === SAM3_ID || modelId === BIREFNET_ID
}
/** Either Pixal3D id. @internal */
export function isPixal3d(modelId: string): boolean {
  return modelId === PIXAL3D_ID || modelId === PIXAL3D_MULTIVIEW_ID
}
/** Models whose sampler fields are `comfySampler`/`comfyScheduler`/`vae` (media.md §3.4). @internal */
export function isComfyModel(modelId: string): boolean {
  return COMFY_PREFIXES.some((p) => modelId.startsWith(p))
}

/** Pixal3D orbit views and their `contextImage` slots. @internal */
export const ORBIT_VIEWS = [["leftViewImage", 1], ["backViewImage", 2], ["rightViewImage", 3]] as const

/** Custom width/height bounds per model (media.md §10.1). @internal */
export function customSizeBounds(modelId: string): { readonly min: number; readonly max: number } {
  return modelId === "rtx_vsr_pro"
    ? { min: 512, max: 15360 }
    : KREA_IDENTITY_IDS.has(modelId)
    ? { min: 512, max: 2048 }
    : isGptImage(modelId)
    ? { min: 256, max: 3840 }
    : EXTENDED_SIZE_IDS.has(modelId)
    ? { min: 256, max: 2560 }
    : { min: 256, max: 2048 }
}

/** Context-image limit per model (media.md §9.3). @internal */
export function maxContextImages(modelId: string): number {
  return isGptImage(modelId)
    ? 16
    : QWEN_IMAGE_IDS.has(modelId)
    ? 3
    : KREA_IDENTITY_IDS.has(modelId) || modelId.includes("kontext")
    ? 2
    : 3
}

/** The GPT Image mask data-URI form the official client converts to an upload. @internal */
export const GPT_MASK_DATA_URI = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/
/** Base64 length of 50 MB. @internal */
export const GPT_MASK_MAX_BASE64 = Math.ceil((50 * 1024 * 1024 * 4) / 3)

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/** Custom width/height rules (media.md §10.1). @internal */
export function checkSize(p: ImageParams): Check {
  const custom = p.sizePreset === undefined || p.sizePreset === "custom"
  const bounds = customSizeBounds(p.modelId)
  return first(
    () =>
      p.sizePreset === "custom"
        ? first(
          () => need("width", p.width !== undefined, "sizePreset custom requires width and height"),
          () => need("height", p.height !== undefined, "sizePreset custom requires width and height")
        )
        : undefined,
    () => need("height", p.width === undefined || p.height !== undefined, "width and height must be given together"),
    () => need("width", p.height === undefined || p.width !== undefined, "width and height must be given together"),
    () =>
      forbid(
        "width",
        !custom && p.width !== undefined,
        `width/height apply only to a custom size; remove them or drop sizePreset ${p.sizePreset}`
      ),
    () => inRange("width", p.width, bounds, "Width"),
    () => inRange("height", p.height, bounds, "Height")
  )
}

/** The context-image count limit of the model (Pixal3D's refusal of any is among the special-model rules). @internal */
export function checkContextImages(p: ImageParams): Check {
  const count = p.contextImages?.length ?? 0
  if (count === 0) return undefined
  const max = maxContextImages(p.modelId)
  return atMost("contextImages", count, max, `Up to ${max} context images are supported for ${p.modelId}`)
}

/** The params fields only the special models (SAM 3, BiRefNet, Pixal3D, GPT Image) take. */
const SPECIAL_FIELDS = [
  "sam3Prompt",
  "applyMask",
  "leftViewImage",
  "backViewImage",
  "rightViewImage",
  "templateVariant",
  "textureSize",
  "meshTargetFaces",
  "normalMapSize",
  "ambientOcclusionSize",
  "shapeResolution",
  "gptImageMask",
  "gptImageMaskUrl",
  "gptImageQuality",
  "gptImageBackground",
  "gptImageOutputCompression"
] as const

/**
 * Whether an image project needs the special-model rules (`internal/imageModelRules.ts`): its model is
 * SAM 3, BiRefNet, Pixal3D or GPT Image, or it carries a field only those take (which they refuse on any
 * other model). For every other project those rules find nothing to check or to add to the keyframe.
 *
 * @internal
 */
export function needsModelRules(p: ImageParams): boolean {
  return isSegmentation(p.modelId) || isPixal3d(p.modelId) || isGptImage(p.modelId) || SPECIAL_FIELDS.some((key) => p[key] !== undefined)
}
