/**
 * The rules of the special image models (media.md §10.1): SAM 3 and BiRefNet segmentation, Pixal3D
 * reconstruction and GPT Image (masks, quality, background, compression), with the keyframe fields they
 * add. They travel with the video and audio rule sets (`internal/kindChecks.ts`), which `Projects.prepare`
 * loads for a project that needs them (`needsModelRules` in `internal/validateImage.ts`), so a program
 * that renders other image models never carries them; `JobRequestBuilder.validate` and `build` still
 * have them for direct callers.
 *
 * @internal
 */
import type { ImageParams, Sam3Prompt } from "../Params.js"
import type { Check } from "./validateCommon.js"
import { atMost, first, forbid, has, invalid, need, oneOf } from "./validateCommon.js"
import {
  BIREFNET_ID,
  checkContextImages,
  checkSize,
  GPT_MASK_DATA_URI,
  GPT_MASK_MAX_BASE64,
  isGptImage,
  isPixal3d,
  ORBIT_VIEWS,
  PIXAL3D_ID,
  PIXAL3D_MULTIVIEW_ID,
  SAM3_ID
} from "./validateImage.js"

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const checkPixal3dContext = (p: ImageParams): Check =>
  (p.contextImages?.length ?? 0) > 0 && isPixal3d(p.modelId)
    ? invalid(
      "contextImages",
      "forbidden",
      p.modelId === PIXAL3D_MULTIVIEW_ID
        ? `${PIXAL3D_MULTIVIEW_ID} takes its orbit views as leftViewImage, backViewImage and rightViewImage, not contextImages`
        : `${PIXAL3D_ID} reconstructs from startingImage alone and does not support contextImages`
    )
    : undefined

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
    () => checkPixal3dContext(p) ?? checkContextImages(p),
    () => checkUtilityModels(p),
    () => checkSize(p),
    () => checkGptImage(p)
  )

// ---------------------------------------------------------------------------------------------
// Keyframe
// ---------------------------------------------------------------------------------------------

const normalizeSam3 = (prompt: Sam3Prompt): Record<string, unknown> => {
  const points = (prompt.points ?? []).map((pt) => ({ x: pt.x, y: pt.y, label: pt.label }))
  const boxes = (prompt.boxes ?? []).map((b) => ({ x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1, label: b.label ?? "positive" }))
  const text = prompt.text?.trim()
  return {
    points,
    boxes,
    ...(text ? { text } : {}),
    threshold: prompt.threshold ?? 0.5,
    ...(points.length > 0 ? { multimask: prompt.multimask ?? true } : {}),
    applyMask: prompt.applyMask === true,
    ...(prompt.maxInstances === undefined ? {} : { maxInstances: prompt.maxInstances })
  }
}

/** The SAM 3, BiRefNet and Pixal3D keyframe fields (after the starting image's). @internal */
export const applyImageModel = (kf: Record<string, unknown>, p: ImageParams): void => {
  if (p.modelId === SAM3_ID && p.sam3Prompt !== undefined) kf.sam3Prompt = normalizeSam3(p.sam3Prompt)
  if (p.modelId === BIREFNET_ID) kf.applyMask = p.applyMask === true
  if (p.modelId === PIXAL3D_MULTIVIEW_ID) {
    for (const [view, slot] of ORBIT_VIEWS) if (has(p[view])) kf[`hasContextImage${slot}`] = true
  }
  if (p.templateVariant !== undefined) kf.templateVariant = p.templateVariant
  for (const key of ["textureSize", "meshTargetFaces", "normalMapSize", "ambientOcclusionSize", "shapeResolution"] as const) {
    if (p[key] !== undefined) kf[key] = p[key]
  }
}

/** The GPT Image keyframe fields (after the size's). @internal */
export const applyGptImage = (kf: Record<string, unknown>, p: ImageParams): void => {
  if (has(p.gptImageMask)) {
    kf.hasReferenceMask = true
    kf.referenceMaskContentType = "image/png"
  }
  if (p.gptImageMaskUrl !== undefined) kf.gptImageMaskUrl = p.gptImageMaskUrl
  if (p.gptImageQuality !== undefined) kf.gptImageQuality = p.gptImageQuality
  if (p.gptImageBackground !== undefined) kf.gptImageBackground = p.gptImageBackground
  if (p.gptImageOutputCompression !== undefined) kf.gptImageOutputCompression = p.gptImageOutputCompression
}
