/**
 * Real input media for tests, demos and examples that need something to upload (a reference image, a
 * voice or music track, a source video): the emulator's own renderers, at the size asked for. Every
 * file is deterministic in its arguments.
 *
 * @example
 * import { Samples } from "@effect-sogni/emulator"
 *
 * const source = Samples.video({ width: 960, height: 540, frames: 25, fps: 24 }) // MP4 bytes
 * const voice = Samples.wav({ seconds: 4 })                                   // WAV bytes
 *
 * @since 0.1.0
 */
import { encodeWav, synthesize } from "./internal/audio.js"
import { encodePan, rgbaToYuv } from "./internal/h264.js"
import { encodePixels, renderPixels } from "./internal/landscape.js"
import { muxMp4 } from "./internal/mp4.js"

const LARGEST_EDGE = 1920

const checkSize = (name: string, value: number, min: number, max: number) => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Samples: ${name} must be an integer in ${min}..${max} (got ${value}).`)
  }
}

/**
 * A PNG landscape of exactly `width`×`height` (16..1024 each).
 *
 * @since 0.1.0
 */
export const png = (options: { readonly width: number; readonly height: number; readonly prompt?: string; readonly seed?: number }): Uint8Array => {
  checkSize("width", options.width, 16, 1024)
  checkSize("height", options.height, 16, 1024)
  return encodePixels(
    renderPixels({ prompt: options.prompt ?? "a sample landscape", seed: options.seed ?? 1, width: options.width, height: options.height }),
    "png"
  ).bytes
}

/**
 * An H.264 MP4 of exactly `width`×`height` (width a multiple of 16 in 64..1920, height even in 64..1920),
 * `frames` pictures at `fps`: the camera pans across a landscape.
 *
 * @since 0.1.0
 */
export const video = (options: {
  readonly width: number
  readonly height: number
  readonly frames: number
  readonly fps: number
  readonly prompt?: string
  readonly seed?: number
}): Uint8Array => {
  const { fps, frames, height, width } = options
  checkSize("width", width, 64, LARGEST_EDGE)
  checkSize("height", height, 64, LARGEST_EDGE)
  checkSize("frames", frames, 1, 600)
  checkSize("fps", fps, 1, 60)
  if (width % 16 !== 0 || height % 2 !== 0) throw new RangeError("Samples: video width must be a multiple of 16 and height even.")
  const pan = 4
  const codedHeight = Math.ceil(height / 16) * 16
  const pixels = renderPixels(
    { prompt: options.prompt ?? "a sample landscape", seed: options.seed ?? 1, width: width + pan * (frames - 1), height: codedHeight },
    Math.max(width + pan * (frames - 1), codedHeight)
  )
  const stream = encodePan({
    panorama: rgbaToYuv(pixels.width, pixels.height, pixels.data),
    width,
    height,
    frames,
    fps,
    pan,
    gop: Math.max(1, 2 * fps)
  })
  return muxMp4({ stream, fps })
}

/**
 * A mono 16-bit WAV tune of `seconds` (1..60).
 *
 * @since 0.1.0
 */
export const wav = (options: { readonly seconds: number; readonly prompt?: string; readonly seed?: number }): Uint8Array => {
  if (!(options.seconds >= 1 && options.seconds <= 60)) throw new RangeError(`Samples: seconds must be in 1..60 (got ${options.seconds}).`)
  return encodeWav(synthesize({
    prompt: options.prompt ?? "a sample tune",
    seed: options.seed ?? 1,
    duration: options.seconds,
    bpm: 100,
    beatsPerBar: 4
  }))
}
