/**
 * The official client's model-id constants and predicates, answered from the media package's model
 * tables (`FrameMath`), so programs that branch on a model id before creating a project port unchanged.
 *
 * @example
 * ```ts
 * import { isVideoModel } from "@effect-sogni/client"
 *
 * isVideoModel("wan_v2.2-14b-fp8_t2v_lightx2v") // true
 * ```
 *
 * @since 0.1.0
 */
import * as FrameMath from "@effect-sogni/media/FrameMath"
import * as Option from "effect/Option"
import type { InputMedia } from "./types.js"

/** The standalone video upscaler. @since 0.1.0 */
export const FLASHVSR_VIDEO_UPSCALE_MODEL_ID = "flashvsr_v1.1_tiny_long_bf16"
/** Single-image (front view) image-to-3D. @since 0.1.0 */
export const PIXAL3D_IMAGE_TO_3D_MODEL_ID = "pixal3d_int8_i23d"
/** Multi-view image-to-3D (front view plus orbit views). @since 0.1.0 */
export const PIXAL3D_MULTIVIEW_IMAGE_TO_3D_MODEL_ID = "pixal3d_multiview_int8_i23d"
/** SAM 3 image segmentation. @since 0.1.0 */
export const SAM3_IMAGE_SEGMENT_MODEL_ID = "sam3_image_segment_bf16"
/** BiRefNet background removal. @since 0.1.0 */
export const BIREFNET_BACKGROUND_REMOVAL_MODEL_ID = "birefnet_image_background_removal_fp16"
/** MiniMax H3 audio-guided image-to-video. @since 0.1.0 */
export const MINIMAX_H3_FASTH3_IA2V_MODEL_ID = "minimax-h3-fastvideo-int8_ia2v_turbo"
/** MiniMax H3 audio-guided first/last-frame video. @since 0.1.0 */
export const MINIMAX_H3_FASTH3_FLFA2V_MODEL_ID = "minimax-h3-fastvideo-int8_flfa2v_turbo"
/** MiniMax H3 audio-to-video. @since 0.1.0 */
export const MINIMAX_H3_FASTH3_A2V_MODEL_ID = "minimax-h3-fastvideo-int8_a2v_turbo"

/** The `contextImage<slot>` each Pixal3D orbit view travels in. @since 0.1.0 */
export const PIXAL3D_ORBIT_VIEW_SLOTS = { leftViewImage: 1, backViewImage: 2, rightViewImage: 3 } as const
/** @since 0.1.0 */
export type Pixal3dOrbitView = keyof typeof PIXAL3D_ORBIT_VIEW_SLOTS

/** Whether the id is a video model (including the video upscaler). @since 0.1.0 */
export function isVideoModel(modelId: string): boolean {
  return FrameMath.isVideoModel(modelId)
}
/** Whether the id is the standalone video upscaler. @since 0.1.0 */
export function isVideoUpscaleModel(modelId: string): boolean {
  return modelId === FLASHVSR_VIDEO_UPSCALE_MODEL_ID
}
/** Whether the id is an audio model (ACE-Step, MiniMax Music). @since 0.1.0 */
export function isAudioModel(modelId: string): boolean {
  return FrameMath.isAudioModel(modelId)
}
/** Whether the id is one of the Pixal3D image-to-3D workflows. @since 0.1.0 */
export function isPixal3dModel(modelId: string): boolean {
  return modelId === PIXAL3D_IMAGE_TO_3D_MODEL_ID || modelId === PIXAL3D_MULTIVIEW_IMAGE_TO_3D_MODEL_ID
}
/** Whether the id is the Pixal3D workflow that takes orbit views. @since 0.1.0 */
export function isPixal3dMultiViewModel(modelId: string): boolean {
  return modelId === PIXAL3D_MULTIVIEW_IMAGE_TO_3D_MODEL_ID
}
/** Whether the model's result is a downloadable 3D model. @since 0.1.0 */
export function isModelArtifactModel(modelId: string): boolean {
  return FrameMath.mediaKindFromId(modelId) === "model"
}
/** Whether the model segments an image (a mask) rather than generating one. @since 0.1.0 */
export function isSegmentationModel(modelId: string): boolean {
  return modelId === SAM3_IMAGE_SEGMENT_MODEL_ID || modelId === BIREFNET_BACKGROUND_REMOVAL_MODEL_ID
}
/** Whether the model transforms a starting image and cannot run from a prompt alone. @since 0.1.0 */
export function requiresStartingImage(modelId: string): boolean {
  return isSegmentationModel(modelId) || isModelArtifactModel(modelId)
}
/** Whether the id is a MiniMax H3 audio-guided workflow. @since 0.1.0 */
export function isMinimaxH3AudioGuideModel(modelId: string): boolean {
  return FrameMath.isH3AudioGuide(modelId)
}

/**
 * The smallest MiniMax H3 frame count that covers an audio clip of `seconds` (at most 362 frames).
 * Throws a `RangeError` for a duration that is not a finite number above 0, as the official helper does.
 *
 * @since 0.1.0
 */
export function getMinimaxH3FramesForAudioDuration(seconds: number): number {
  return Option.getOrElse(FrameMath.h3FramesForAudio(seconds), () => {
    throw new RangeError("Audio duration must be a finite number of seconds greater than 0.")
  })
}

/** The orbit views given in `params`, each with the upload slot it travels in, in slot order. @since 0.1.0 */
export function getPixal3dOrbitViewSlots(
  params: Partial<Record<Pixal3dOrbitView, InputMedia | undefined>>
): Array<{ view: Pixal3dOrbitView; slot: 1 | 2 | 3; media: Exclude<InputMedia, false> }> {
  return (Object.keys(PIXAL3D_ORBIT_VIEW_SLOTS) as Array<Pixal3dOrbitView>).flatMap((view) => {
    const media = params[view]
    return media === undefined || media === false ? [] : [{ view, slot: PIXAL3D_ORBIT_VIEW_SLOTS[view], media }]
  })
}
