/**
 * Video price adjustments that depend on the inputs rather than the canvas (media.md §12.1, rest.md
 * §4): the Seedance video-input band, Seedance reference images, MiniMax H3 r2v reference-video seconds
 * and FlashVSR's source geometry. The estimate route reads them from its query (`hasVideoInput`,
 * `referenceImageCount`, `referenceVideoCount`, `referenceVideoDurationSeconds`, `sourceWidth`,
 * `sourceHeight`); admission derives the same facts from the job request and its uploads, so a quote and
 * the charge of the job it quotes agree.
 *
 * The rates are the emulator's own (the real price table is not public):
 * - Seedance with a video input bills at {@link SEEDANCE_VIDEO_INPUT_FACTOR} times its text/image rate;
 *   each reference image adds {@link SEEDANCE_REFERENCE_IMAGE_STEP} of the base price (up to 9 images).
 * - MiniMax H3 r2v bills its reference-video seconds at the output's per-second rate.
 * - FlashVSR bills the delivered canvas: the source scaled so its short edge meets the target.
 *
 * @internal
 */
import type { CatalogModel } from "./catalog.js"

/** Seedance's video-input band, relative to its text/image rate. @internal */
export const SEEDANCE_VIDEO_INPUT_FACTOR = 1.5
/** What each Seedance reference image adds, as a share of the base price. @internal */
export const SEEDANCE_REFERENCE_IMAGE_STEP = 0.05
const MAX_PRICED_REFERENCE_IMAGES = 9
const H3_FPS = 24

/** The input facts a video price depends on. @internal */
export interface VideoInputs {
  readonly hasVideoInput: boolean
  readonly referenceImageCount: number
  readonly referenceVideoCount: number
  readonly referenceVideoDurationSeconds: number
}

/** No inputs beyond the prompt. @internal */
export const noInputs: VideoInputs = {
  hasVideoInput: false,
  referenceImageCount: 0,
  referenceVideoCount: 0,
  referenceVideoDurationSeconds: 0
}

const isH3Reference = (model: CatalogModel) => model.family === "h3" && model.workflow === "r2v"

/**
 * The factor on the canvas price of one output: 1 for models whose price ignores these inputs.
 *
 * @internal
 */
export const inputFactor = (model: CatalogModel, inputs: VideoInputs, frames: number): number => {
  if (model.family === "seedance") {
    const band = inputs.hasVideoInput ? SEEDANCE_VIDEO_INPUT_FACTOR : 1
    const images = Math.min(MAX_PRICED_REFERENCE_IMAGES, inputs.referenceImageCount)
    return band * (1 + SEEDANCE_REFERENCE_IMAGE_STEP * images)
  }
  if (isH3Reference(model) && inputs.referenceVideoDurationSeconds > 0) {
    const outputSeconds = Math.max(1, frames) / H3_FPS
    return 1 + inputs.referenceVideoDurationSeconds / outputSeconds
  }
  return 1
}

/**
 * FlashVSR's delivered canvas for a source of `source` pixels upscaled to `target` on its short edge,
 * or the rule it breaks (the limits admission applies to the uploaded file).
 *
 * @internal
 */
export const flashVsrCanvas = (
  target: number,
  source: { readonly width: number; readonly height: number }
): { readonly width: number; readonly height: number } | string => {
  const short = Math.min(source.width, source.height)
  if (short > 768) return `sourceWidth/sourceHeight: the FlashVSR source must be at most 768 px on its short edge (got ${source.width}x${source.height})`
  if (target > 2 * short) {
    return `sourceWidth/sourceHeight: FlashVSR upscales at most 2×, ${target}p needs a source of at least ${target / 2} px on its short edge (got ${source.width}x${source.height})`
  }
  const scale = target / short
  const even = (n: number) => Math.round(n / 2) * 2
  return { width: even(source.width * scale), height: even(source.height * scale) }
}

/** What the estimate route takes from its query. @internal */
export interface EstimateExtras {
  readonly inputs: VideoInputs
  /** The canvas to bill, when the source geometry changes it (FlashVSR). */
  readonly canvas: { readonly width: number; readonly height: number } | undefined
  /** The query fields echoed into the quote's `request`. */
  readonly meta: Readonly<Record<string, unknown>>
}

const count = (query: URLSearchParams, name: string): number | string | undefined => {
  const raw = query.get(name)
  if (raw === null || raw === "") return undefined
  const n = Number(raw)
  return Number.isInteger(n) && n >= 0 ? n : `${name} must be a non-negative integer (got ${raw})`
}

/**
 * Reads the estimate-only query fields, or the first rule one breaks (a 400 message naming the field).
 *
 * @internal
 */
export const estimateExtras = (
  model: CatalogModel,
  query: URLSearchParams,
  canvas: { readonly width: number; readonly height: number }
): EstimateExtras | string => {
  const flag = query.get("hasVideoInput")
  if (flag !== null && flag !== "1" && flag !== "0" && flag !== "true" && flag !== "false") {
    return `hasVideoInput must be 1 or 0 (got ${flag})`
  }
  const images = count(query, "referenceImageCount")
  if (typeof images === "string") return images
  const videos = count(query, "referenceVideoCount")
  if (typeof videos === "string") return videos
  const rawSeconds = query.get("referenceVideoDurationSeconds")
  let seconds = 0
  if (rawSeconds !== null && rawSeconds !== "") {
    seconds = Number(rawSeconds)
    if (!Number.isFinite(seconds) || seconds < 0) {
      return `referenceVideoDurationSeconds must be a non-negative number (got ${rawSeconds})`
    }
    if (isH3Reference(model) && seconds > 15) {
      return `referenceVideoDurationSeconds: MiniMax H3 r2v reference videos last at most 15 s in all (got ${seconds})`
    }
  }
  const rawWidth = query.get("sourceWidth")
  const rawHeight = query.get("sourceHeight")
  let billed: EstimateExtras["canvas"]
  if (rawWidth !== null || rawHeight !== null) {
    const width = Number(rawWidth)
    const height = Number(rawHeight)
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      return `sourceWidth and sourceHeight must be positive integers given together (got ${rawWidth}x${rawHeight})`
    }
    if (model.family === "flashvsr") {
      const target = Math.min(canvas.width, canvas.height)
      if (target !== 1080 && target !== 1440) {
        return `width/height: the FlashVSR target is the short edge, 1080 or 1440 (got ${canvas.width}x${canvas.height})`
      }
      const out = flashVsrCanvas(target, { width, height })
      if (typeof out === "string") return out
      billed = out
    }
  }
  const hasVideoInput = flag === "1" || flag === "true"
  const inputs: VideoInputs = {
    hasVideoInput,
    referenceImageCount: images ?? 0,
    referenceVideoCount: videos ?? 0,
    referenceVideoDurationSeconds: seconds
  }
  return {
    inputs,
    canvas: billed,
    meta: {
      hasVideoInput,
      ...(images !== undefined ? { referenceImageCount: images } : {}),
      ...(videos !== undefined ? { referenceVideoCount: videos } : {}),
      ...(seconds > 0 ? { referenceVideoDurationSeconds: seconds } : {}),
      ...(billed !== undefined ? { sourceWidth: Number(rawWidth), sourceHeight: Number(rawHeight), outputWidth: billed.width, outputHeight: billed.height } : {})
    }
  }
}

const truthy = (keyFrame: Readonly<Record<string, unknown>>, key: string) => keyFrame[key] === true
const listLength = (keyFrame: Readonly<Record<string, unknown>>, key: string) => {
  const v = keyFrame[key]
  return Array.isArray(v) ? v.length : 0
}

/**
 * The same facts from an admitted job request's keyframe (its upload flags, URL lists and duration
 * hints), so the charge follows the quote's rules.
 *
 * @internal
 */
export const jobInputs = (keyFrame: Readonly<Record<string, unknown>>): VideoInputs => {
  const numberedVideos = [1, 2, 3].filter((i) => truthy(keyFrame, `hasReferenceVideo${i}`))
  const videoUrls = listLength(keyFrame, "referenceVideoURLs")
  const contextImages = Array.from({ length: 16 }, (_, i) => truthy(keyFrame, `hasContextImage${i + 1}`)).filter(Boolean).length
  let seconds = 0
  for (const i of numberedVideos) {
    const v = keyFrame[`referenceVideo${i}DurationSeconds`]
    if (typeof v === "number" && Number.isFinite(v) && v > 0) seconds += v
  }
  return {
    hasVideoInput: truthy(keyFrame, "hasReferenceVideo") || numberedVideos.length > 0 || videoUrls > 0,
    referenceImageCount: (truthy(keyFrame, "hasReferenceImage") ? 1 : 0) + (truthy(keyFrame, "hasReferenceImageEnd") ? 1 : 0) +
      contextImages + listLength(keyFrame, "referenceImageURLs"),
    referenceVideoCount: (truthy(keyFrame, "hasReferenceVideo") ? 1 : 0) + numberedVideos.length + videoUrls,
    referenceVideoDurationSeconds: seconds
  }
}
