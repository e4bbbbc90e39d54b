/**
 * Reads what the server needs from an uploaded MP4/MOV before admitting a video-to-video job (FlashVSR's
 * source limits, media.md §9.3): the first video track's display size (`tkhd`), its frame count
 * (`stsz`) and its duration (`mdhd`), hence its frame rate. Only box headers are walked; sample data is
 * never touched.
 *
 * @internal
 */
import { Sniff } from "@effect-sogni/core"

/** What a source video is, as far as admission cares. @internal */
export interface VideoProbe {
  readonly width: number
  readonly height: number
  readonly frames: number
  readonly seconds: number
  readonly fps: number
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl"])

/**
 * Probes an ISO-BMFF file, or `undefined` when it has no readable video track.
 *
 * @internal
 */
export const probeMp4 = (data: Uint8Array): VideoProbe | undefined => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const type = (at: number) => String.fromCharCode(data[at]!, data[at + 1]!, data[at + 2]!, data[at + 3]!)
  let trak: { width?: number; height?: number; frames?: number; seconds?: number; video?: boolean } | undefined
  let found: VideoProbe | undefined
  const walk = (from: number, to: number): void => {
    for (const { type: name, body, end } of Sniff.isoBoxes(data, from, to)) {
      if (found !== undefined) return
      if (name === "trak") {
        trak = {}
        walk(body, end)
        const t = trak
        if (t.video === true && t.width && t.height && t.frames && t.seconds) {
          found = { width: t.width, height: t.height, frames: t.frames, seconds: t.seconds, fps: t.frames / t.seconds }
        }
        trak = undefined
      } else if (CONTAINERS.has(name)) {
        walk(body, end)
      } else if (trak !== undefined) {
        const version = data[body]!
        if (name === "tkhd" && end >= body + (version === 1 ? 92 : 80)) {
          trak.width = Math.round(view.getUint32(end - 8) / 0x10000)
          trak.height = Math.round(view.getUint32(end - 4) / 0x10000)
        } else if (name === "mdhd") {
          const timescale = version === 1 ? view.getUint32(body + 20) : view.getUint32(body + 12)
          const duration = version === 1 ? Number(view.getBigUint64(body + 24)) : view.getUint32(body + 16)
          if (timescale > 0) trak.seconds = duration / timescale
        } else if (name === "hdlr") {
          trak.video = type(body + 8) === "vide"
        } else if (name === "stsz") {
          trak.frames = view.getUint32(body + 8)
        }
      }
    }
  }
  try {
    walk(0, data.length)
  } catch {
    return undefined
  }
  return found
}
