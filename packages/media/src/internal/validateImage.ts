/**
 * Image-project rules (media.md §10.1): custom sizes, context-image limits, ControlNet, SAM 3, BiRefNet,
 * Pixal3D and GPT Image.
 *
 * @internal
 */
import type { ImageParams, Sam3Prompt } from "../Params.js"
import type { Check } from "./validateCommon.js"
import { atMost, first, forbid, has, inRange, invalid, need, oneOf } from "./validateCommon.js"

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
export const isGptImage = (modelId: string): boolean => GPT_IMAGE_IDS.has(modelId)
/** SAM 3 and BiRefNet. @internal */
export const isSegmentation = (modelId: string): boolean => modelId === SAM3_ID || modelId === BIREFNET_ID
/** Either Pixal3D id. @internal */
export const isPixal3d = (modelId: string): boolean => modelId === PIXAL3D_ID || modelId === PIXAL3D_MULTIVIEW_ID
/** Models whose sampler fields are `comfySampler`/`comfyScheduler`/`vae` (media.md §3.4). @internal */
export const isComfyModel = (modelId: string): boolean => COMFY_PREFIXES.some((p) => modelId.startsWith(p))

/** Pixal3D orbit views and their `contextImage` slots. @internal */
export const ORBIT_VIEWS = [["leftViewImage", 1], ["backViewImage", 2], ["rightViewImage", 3]] as const

/** Custom width/height bounds per model (media.md §10.1). @internal */
export const customSizeBounds = (modelId: string): { readonly min: number; readonly max: number } =>
  modelId === "rtx_vsr_pro"
    ? { min: 512, max: 15360 }
    : KREA_IDENTITY_IDS.has(modelId)
    ? { min: 512, max: 2048 }
    : isGptImage(modelId)
    ? { min: 256, max: 3840 }
    : EXTENDED_SIZE_IDS.has(modelId)
    ? { min: 256, max: 2560 }
    : { min: 256, max: 2048 }

/** Context-image limit per model (media.md §9.3). @internal */
export const maxContextImages = (modelId: string): number =>
  isGptImage(modelId)
    ? 16
    : QWEN_IMAGE_IDS.has(modelId)
    ? 3
    : KREA_IDENTITY_IDS.has(modelId) || modelId.includes("kontext")
    ? 2
    : 3

/** The GPT Image mask data-URI form the official client converts to an upload. @internal */
export const GPT_MASK_DATA_URI = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/
/** Base64 length of 50 MB. @internal */
export const GPT_MASK_MAX_BASE64 = Math.ceil((50 * 1024 * 1024 * 4) / 3)

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const checkSize = (p: ImageParams): Check => {
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

const checkContextImages = (p: ImageParams): Check => {
  const count = p.contextImages?.length ?? 0
  if (count === 0) return undefined
  if (isPixal3d(p.modelId)) {
    return invalid(
      "contextImages",
      "forbidden",
      p.modelId === PIXAL3D_MULTIVIEW_ID
        ? `${PIXAL3D_MULTIVIEW_ID} takes its orbit views as leftViewImage, backViewImage and rightViewImage, not contextImages`
        : `${PIXAL3D_ID} reconstructs from startingImage alone and does not support contextImages`
    )
  }
  const max = maxContextImages(p.modelId)
  return atMost("contextImages", count, max, `Up to ${max} context images are supported for ${p.modelId}`)
}

/** SAM 3 cross-field rules (media.md §10.1.5). @internal */
export const checkSam3Prompt = (prompt: Sam3Prompt): Check => {
  const points = prompt.points ?? []
  const boxes = prompt.boxes ?? []
  const text = prompt.text?.trim()
  return first(
    () => {
      const bad = boxes.findIndex((b) => b.x0 >= b.x1 || b.y0 >= b.y1)
      return bad < 0
        ? undefined
        : invalid(`sam3Prompt.boxes[${bad}]`, "range", `sam3Prompt.boxes[${bad}] must have x0 < x1 and y0 < y1`)
    },
    () =>
      prompt.text !== undefined && (text === undefined || text.length === 0 || text.length > 240)
        ? invalid("sam3Prompt.text", "range", "sam3Prompt.text must contain 1 to 240 characters")
        : undefined,
    () =>
      need(
        "sam3Prompt",
        points.length > 0 || boxes.length > 0 || (text !== undefined && text.length > 0),
        "sam3Prompt requires at least one point, box, or text prompt"
      ),
    () =>
      text !== undefined && points.length > 0
        ? invalid("sam3Prompt.text", "exclusive", "sam3Prompt cannot combine text and point prompts")
        : undefined,
    () =>
      points.length > 0
        ? atMost("sam3Prompt.boxes", boxes.length, 1, "sam3Prompt supports at most one box when point prompts are present")
        : undefined,
    () =>
      forbid(
        "sam3Prompt.boxes",
        points.length > 0 && boxes.some((b) => b.label === "negative"),
        "sam3Prompt negative boxes require a text prompt"
      ),
    () => need("sam3Prompt.points", prompt.multimask !== true || points.length > 0, "sam3Prompt.multimask requires point prompts")
  )
}

const checkUtilityModels = (p: ImageParams): Check => {
  const id = p.modelId
  return first(
    () =>
      id === SAM3_ID
        ? first(
          () => need("startingImage", has(p.startingImage), "SAM3 image segmentation requires startingImage"),
          () => need("sam3Prompt", p.sam3Prompt !== undefined, "SAM3 image segmentation requires sam3Prompt"),
          () => (p.sam3Prompt === undefined ? undefined : checkSam3Prompt(p.sam3Prompt))
        )
        : forbid("sam3Prompt", p.sam3Prompt !== undefined, `sam3Prompt is only supported by ${SAM3_ID}`),
    () =>
      id === BIREFNET_ID
        ? need("startingImage", has(p.startingImage), "BiRefNet background removal requires startingImage")
        : forbid("applyMask", p.applyMask !== undefined, `applyMask is only supported by ${BIREFNET_ID}`),
    () =>
      isPixal3d(id)
        ? need("startingImage", has(p.startingImage), "Pixal3D reconstruction requires startingImage (the front view)")
        : undefined,
    () => {
      for (const [view] of ORBIT_VIEWS) {
        if (p[view] !== undefined && id !== PIXAL3D_MULTIVIEW_ID) {
          return invalid(view, "forbidden", `${view} is only supported by ${PIXAL3D_MULTIVIEW_ID}`)
        }
      }
      return undefined
    },
    () =>
      forbid("templateVariant", p.templateVariant !== undefined && id !== PIXAL3D_ID, `templateVariant is only supported by ${PIXAL3D_ID}`),
    () => {
      for (const key of ["textureSize", "meshTargetFaces", "normalMapSize", "ambientOcclusionSize", "shapeResolution"] as const) {
        if (p[key] !== undefined && !isPixal3d(id)) {
          return invalid(key, "forbidden", `${key} is only supported by ${PIXAL3D_ID} and ${PIXAL3D_MULTIVIEW_ID}`)
        }
      }
      return undefined
    }
  )
}

const checkGptImage = (p: ImageParams): Check => {
  if (!isGptImage(p.modelId)) {
    for (const key of ["gptImageMask", "gptImageMaskUrl", "gptImageQuality", "gptImageBackground", "gptImageOutputCompression"] as const) {
      if (p[key] !== undefined) return invalid(key, "forbidden", `${key} requires a GPT Image model`)
    }
    return undefined
  }
  const is25 = p.modelId !== "gpt-image-2"
  const contextCount = p.contextImages?.length ?? 0
  const maskUrl = p.gptImageMaskUrl
  return first(
    () =>
      p.gptImageMask !== undefined && maskUrl !== undefined
        ? invalid("gptImageMaskUrl", "exclusive", "Provide one GPT Image mask, not both media and URL")
        : undefined,
    () => need("contextImages", p.gptImageMask === undefined || contextCount > 0, "GPT Image mask requires a first reference image"),
    () =>
      maskUrl === undefined
        ? undefined
        : first(
          () => need("gptImageMaskUrl", maskUrl.trim().length > 0, "GPT Image mask requires a mask URL"),
          () => need("contextImages", contextCount > 0, "GPT Image mask requires a first reference image"),
          () =>
            maskUrl.startsWith("data:")
              ? (() => {
                const match = GPT_MASK_DATA_URI.exec(maskUrl)
                return match === null || match[1]!.length >= GPT_MASK_MAX_BASE64
                  ? invalid("gptImageMaskUrl", "format", "GPT Image mask must be a PNG data URI smaller than 50 MB")
                  : undefined
              })()
              : undefined
        ),
    () => oneOf("gptImageQuality", p.gptImageQuality, is25 ? ["low", "medium", "high", "standard", "hd", "xhigh", "max"] : ["low", "medium", "high", "standard", "hd"]),
    () => oneOf("gptImageBackground", p.gptImageBackground, is25 ? ["opaque", "auto", "transparent"] : ["opaque", "auto"]),
    () =>
      forbid(
        "gptImageBackground",
        p.gptImageBackground === "transparent" && p.outputFormat === "jpg",
        "Transparent GPT Image output requires PNG or WebP"
      ),
    () =>
      forbid(
        "gptImageOutputCompression",
        p.gptImageOutputCompression !== undefined && p.outputFormat !== "jpg" && p.outputFormat !== "webp",
        "GPT Image output compression requires outputFormat jpg or webp"
      )
  )
}

/** Every image-specific rule, in the order the official client meets them. @internal */
export const validateImage = (p: ImageParams): Check =>
  first(
    () => checkContextImages(p),
    () => checkUtilityModels(p),
    () => checkSize(p),
    () => checkGptImage(p)
  )
