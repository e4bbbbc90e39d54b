/**
 * The emulator's "rendered" videos: a slow camera pan across a procedural landscape panorama
 * (palette from the prompt, layout from the seed), as a real MP4 with one H.264 track. Small on
 * purpose: the longest edge is {@link VIDEO_EDGE} pixels whatever size was requested.
 *
 * @internal
 */
import { encodePan, rgbaToYuv } from "./h264.js"
import { renderPixels, type SceneSpec } from "./landscape.js"
import { muxMp4 } from "./mp4.js"

/** Longest edge of emulator videos. @internal */
export const VIDEO_EDGE = 256

/** Widest panorama rendered; longer videos stand still instead of panning. */
const MAX_PANORAMA = 4096

/** Pixels the camera moves per frame. */
const PAN = 2

/** What a video depends on. @internal */
export interface VideoSpec {
  readonly prompt: string
  readonly seed: number
  /** The requested size (only its aspect ratio matters). */
  readonly width: number
  readonly height: number
  /** Output frames and frame rate. */
  readonly frames: number
  readonly fps: number
  readonly tint?: SceneSpec["tint"]
}

/** The size the emulator renders a video at: longest edge 256, width a multiple of 16, height even. @internal */
export const videoFrameSize = (width: number, height: number): { readonly width: number; readonly height: number } => {
  const w = width > 0 ? width : 1
  const h = height > 0 ? height : 1
  if (w >= h) return { width: VIDEO_EDGE, height: Math.max(32, Math.round((VIDEO_EDGE * h) / w / 2) * 2) }
  return { width: Math.max(32, Math.round((VIDEO_EDGE * w) / h / 16) * 16), height: VIDEO_EDGE }
}

/**
 * Renders and encodes a video as MP4 bytes.
 *
 * @internal
 */
export const encodeVideo = (spec: VideoSpec): Uint8Array => {
  const frames = Math.max(1, Math.round(spec.frames))
  const fps = Math.max(1, Math.round(spec.fps))
  const { height, width } = videoFrameSize(spec.width, spec.height)
  const codedHeight = Math.ceil(height / 16) * 16
  const pan = width + PAN * (frames - 1) <= MAX_PANORAMA ? PAN : 0
  const panoramaWidth = width + pan * (frames - 1)
  const pixels = renderPixels(
    { prompt: spec.prompt, seed: spec.seed, width: panoramaWidth, height: codedHeight, tint: spec.tint },
    MAX_PANORAMA
  )
  const panorama = rgbaToYuv(pixels.width, pixels.height, pixels.data)
  const stream = encodePan({ panorama, width, height, frames, fps, pan, gop: Math.max(1, 2 * fps) })
  return muxMp4({ stream, fps })
}
