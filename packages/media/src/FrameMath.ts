/**
 * Video model families, workflows and frame math (media.md §1, §10.2.1, §10.2.2).
 *
 * The official client computes `frames` from `duration` before a video request is sent, with a rule
 * per family: WAN 2.2 always generates at 16 fps (`round(d·16)+1`), LTX 2.x snaps `round(d·fps)+1`
 * to `8n+1`, vendor models use their fixed rate plus one, MiniMax H3 lives on a `124 + 17k` grid and
 * FlashVSR keeps the source frame count. This module reproduces those rules exactly (JavaScript
 * `Math.round`, halves rounded up) together with the family/workflow detection from model ids and the
 * per-family duration and fps limits the client enforces.
 *
 * @example
 * ```ts
 * import * as FrameMath from "@effect-sogni/media/FrameMath"
 *
 * FrameMath.framesFor("ltx23-22b-fp8_t2v_distilled", 5, 24) // 121
 * FrameMath.framesFor("wan_v2.2-14b-fp8_t2v_lightx2v", 5)   // 81
 * FrameMath.videoWorkflow("minimax-h3-fastvideo-int8_flfa2v_turbo") // Option.some("flfa2v")
 * ```
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"

// ---------------------------------------------------------------------------------------------
// Model ids
// ---------------------------------------------------------------------------------------------

const LTX_WORKFLOWS = ["t2v", "i2v", "a2v", "ia2v", "v2v"] as const
const LTX_IDS: ReadonlySet<string> = new Set([
  ...LTX_WORKFLOWS.flatMap(function(w) {
    return [
      `ltx2-19b-fp8_${w}`,
      `ltx2-19b-fp8_${w}_distilled`,
      `ltx23-22b-fp8_${w}_distilled`,
      `ltx23-22b-fp8_${w}_dev`,
      `ltx25-22b-int8_${w}_distilled`,
      `ltx25-22b-int8_${w}_dev`
    ]
  }),
  "ltx23-22b-10eros-v1.4-fp8mixed_i2v"
])
const WAN_IDS: ReadonlySet<string> = new Set([
  "wan_v2.2-14b-fp8_t2v",
  "wan_v2.2-14b-fp8_i2v",
  "wan_v2.2-14b-fp8_t2v_lightx2v",
  "wan_v2.2-14b-fp8_i2v_lightx2v",
  "wan_v2.2-14b-fp8_s2v_lightx2v",
  // the full-step sound-to-video checkpoint: WAN 2.2's 16 fps frame math, like its LightX2V sibling
  "wan_v2.2-14b-fp8_s2v",
  "wan_v2.2-14b-fp8_animate-move_lightx2v",
  "wan_v2.2-14b-fp8_animate-replace_lightx2v"
])
const SEEDANCE_IDS: ReadonlySet<string> = new Set(["seedance-2-0", "seedance-2-0-mini", "seedance-2-0-fast", "seedance-2-5"])
const HAPPYHORSE_IDS: ReadonlySet<string> = new Set(["happyhorse-1.1-t2v", "happyhorse-1.1-i2v", "happyhorse-1.1-r2v"])
const WAN3_IDS: ReadonlySet<string> = new Set(["wan3.0-video", "wan3.0-spicy-video"])
const H3_IDS: ReadonlySet<string> = new Set([
  "minimax-h3-fl2va-fp8_t2v",
  "minimax-h3-fl2va-fp8_i2v",
  "minimax-h3-fl2va-fp8_flf2v",
  "minimax-h3-ref2va-fp8_r2v",
  "minimax-h3-fl2va-fp8_t2v_turbo",
  "minimax-h3-fl2va-fp8_i2v_turbo",
  "minimax-h3-fl2va-fp8_flf2v_turbo",
  "minimax-h3-fastvideo-int8_t2v_turbo",
  "minimax-h3-fastvideo-int8_i2v_turbo",
  "minimax-h3-fastvideo-int8_flf2v_turbo",
  "minimax-h3-fastvideo-int8_t2v_turbo_2stage",
  "minimax-h3-fastvideo-int8_i2v_turbo_2stage",
  "minimax-h3-fastvideo-int8_flf2v_turbo_2stage",
  "minimax-h3-fastvideo-int8_ia2v_turbo",
  "minimax-h3-fastvideo-int8_flfa2v_turbo",
  "minimax-h3-fastvideo-int8_a2v_turbo",
  "minimax-h3-fastvideo-int8_ia2v_turbo_2stage",
  "minimax-h3-fastvideo-int8_flfa2v_turbo_2stage",
  "minimax-h3-fastvideo-int8_a2v_turbo_2stage",
  "minimax-h3-ref2va-fp8_r2v_turbo",
  "minimax-h3-fl2va-fp8_t2v_balanced",
  "minimax-h3-fl2va-fp8_i2v_balanced",
  "minimax-h3-fl2va-fp8_flf2v_balanced",
  "minimax-h3-ref2va-fp8_r2v_balanced",
  "minimax-h3-ref2va-fp8_r2v_2stage",
  "minimax-h3-ref2va-fp8_r2v_balanced_2stage"
])
const FLASHVSR_ID = "flashvsr_v1.1_tiny_long_bf16"

/** Every video model id the official client knows (media.md §10.2.1). @since 0.1.0 */
export const videoModelIds: ReadonlyArray<string> = [
  ...WAN_IDS,
  ...LTX_IDS,
  ...SEEDANCE_IDS,
  ...HAPPYHORSE_IDS,
  ...WAN3_IDS,
  ...H3_IDS,
  FLASHVSR_ID
]

/**
 * A video model family: how it counts frames, which fps it accepts, where it runs.
 *
 * @since 0.1.0
 */
export type VideoFamily = "wan22" | "ltx2" | "seedance" | "happyhorse" | "wan3" | "minimax-h3" | "flashvsr"

/**
 * A video workflow, which decides the required / optional / forbidden input assets (media.md §10.2.3).
 *
 * @since 0.1.0
 */
export type VideoWorkflow =
  | "upscale"
  | "t2v"
  | "i2v"
  | "flf2v"
  | "s2v"
  | "ia2v"
  | "flfa2v"
  | "a2v"
  | "v2v"
  | "r2v"
  | "animate-move"
  | "animate-replace"

/**
 * The family of a video model id; none for ids that are not video models.
 *
 * @since 0.1.0
 */
export function videoFamily(modelId: string): Option.Option<VideoFamily> {
  return modelId === FLASHVSR_ID
    ? Option.some("flashvsr")
    : WAN_IDS.has(modelId)
    ? Option.some("wan22")
    : LTX_IDS.has(modelId)
    ? Option.some("ltx2")
    : SEEDANCE_IDS.has(modelId)
    ? Option.some("seedance")
    : HAPPYHORSE_IDS.has(modelId)
    ? Option.some("happyhorse")
    : WAN3_IDS.has(modelId)
    ? Option.some("wan3")
    : H3_IDS.has(modelId)
    ? Option.some("minimax-h3")
    : Option.none()
}

/** @since 0.1.0 */
export function isVideoModel(modelId: string): boolean {
  return Option.isSome(videoFamily(modelId))
}

/** Seedance, HappyHorse and Wan 3: rendered by a third party, Spark-only. @since 0.1.0 */
export function isVendorVideoModel(modelId: string): boolean {
  return SEEDANCE_IDS.has(modelId) || HAPPYHORSE_IDS.has(modelId) || WAN3_IDS.has(modelId)
}

/** @since 0.1.0 */
export function isSeedance25(modelId: string): boolean {
  return modelId === "seedance-2-5"
}

/** Wan 3.0 Enhanced (`wan3.0-spicy-video`). @since 0.1.0 */
export function isWan3Enhanced(modelId: string): boolean {
  return modelId === "wan3.0-spicy-video"
}

/** WAN 2.2 animate-move / animate-replace. @since 0.1.0 */
export function isWanAnimate(modelId: string): boolean {
  return modelId === "wan_v2.2-14b-fp8_animate-move_lightx2v" || modelId === "wan_v2.2-14b-fp8_animate-replace_lightx2v"
}

/** MiniMax H3 4-step Turbo ids (FL2VA, FastH3 incl. two-stage and audio guide, Ref2VA Turbo). @since 0.1.0 */
export function isH3Turbo(modelId: string): boolean {
  return /^minimax-h3-fl2va-fp8_(?:t2v|i2v|flf2v)_turbo$/.test(modelId) ||
    /^minimax-h3-fastvideo-int8_(?:t2v|i2v|flf2v)_turbo(?:_2stage(?:_720p)?)?$/.test(modelId) ||
    /^minimax-h3-fastvideo-int8_(?:ia2v|flfa2v|a2v)_turbo(?:_2stage)?$/.test(modelId) ||
    modelId === "minimax-h3-ref2va-fp8_r2v_turbo"
}

/** MiniMax H3 8-step Balanced ids. @since 0.1.0 */
export function isH3Balanced(modelId: string): boolean {
  return /^minimax-h3-fl2va-fp8_(?:t2v|i2v|flf2v)_balanced$/.test(modelId) ||
    modelId === "minimax-h3-ref2va-fp8_r2v_balanced" ||
    modelId === "minimax-h3-ref2va-fp8_r2v_balanced_2stage"
}

/** MiniMax H3 FastH3 audio-guide ids (`…_{ia2v,flfa2v,a2v}_turbo[_2stage]`). @since 0.1.0 */
export function isH3AudioGuide(modelId: string): boolean {
  return /^minimax-h3-fastvideo-int8_(?:ia2v|flfa2v|a2v)_turbo(?:_2stage)?$/.test(modelId)
}

/** The fixed step count of a MiniMax H3 id: Turbo 4, Balanced 8, standard 20. @since 0.1.0 */
export function h3Steps(modelId: string): number {
  return (isH3Turbo(modelId) ? 4 : isH3Balanced(modelId) ? 8 : 20)
}

/**
 * The workflow of a video model id, detected from its suffix the way the official client does:
 * FlashVSR → `upscale`; Wan 3 → `t2v` (one id, inputs choose the operation); HappyHorse `-r2v`/`-i2v`/
 * `-t2v`; H3 `_r2v`, `_flfa2v`, `_ia2v`, `_a2v`, `_flf2v`, `_i2v`, `_t2v` in that order; others `_i2v`,
 * `_t2v`, then `_v2v`/`_ia2v` (LTX, Seedance), `_a2v` (LTX) and WAN `_s2v`/`_animate-move`/
 * `_animate-replace`.
 *
 * @since 0.1.0
 */
export function videoWorkflow(modelId: string): Option.Option<VideoWorkflow> {
  const family = videoFamily(modelId)
  if (Option.isNone(family)) return Option.none()
  const has = (s: string) => modelId.includes(s)
  const pick = (...pairs: ReadonlyArray<readonly [string, VideoWorkflow]>): Option.Option<VideoWorkflow> => {
    const hit = pairs.find(([suffix]) => has(suffix))
    return hit === undefined ? Option.none() : Option.some(hit[1])
  }
  switch (family.value) {
    case "flashvsr":
      return Option.some("upscale")
    case "wan3":
      return Option.some("t2v")
    case "happyhorse":
      return pick(["-r2v", "r2v"], ["-i2v", "i2v"], ["-t2v", "t2v"])
    case "minimax-h3":
      return pick(
        ["_r2v", "r2v"],
        ["_flfa2v", "flfa2v"],
        ["_ia2v", "ia2v"],
        ["_a2v", "a2v"],
        ["_flf2v", "flf2v"],
        ["_i2v", "i2v"],
        ["_t2v", "t2v"]
      )
    case "ltx2":
      return pick(["_i2v", "i2v"], ["_t2v", "t2v"], ["_v2v", "v2v"], ["_ia2v", "ia2v"], ["_a2v", "a2v"])
    case "seedance":
      return pick(["_i2v", "i2v"], ["_t2v", "t2v"], ["_v2v", "v2v"], ["_ia2v", "ia2v"])
    case "wan22":
      return pick(
        ["_i2v", "i2v"],
        ["_t2v", "t2v"],
        ["_s2v", "s2v"],
        ["_animate-move", "animate-move"],
        ["_animate-replace", "animate-replace"]
      )
  }
}

/** MiniMax H3 r2v (Ref2VA): the one video workflow with multi-file reference sets. @since 0.1.0 */
export function isH3Reference(modelId: string): boolean {
  return H3_IDS.has(modelId) && Option.getOrUndefined(videoWorkflow(modelId)) === "r2v"
}

// ---------------------------------------------------------------------------------------------
// Media type by id (media.md §1 fallback rules)
// ---------------------------------------------------------------------------------------------

/** Catalog media kinds. @since 0.1.0 */
export type MediaKind = "image" | "video" | "audio" | "model"

/** ACE-Step and MiniMax Music 3 (the official client's `isAudioModel`). @since 0.1.0 */
export function isAudioModel(modelId: string): boolean {
  return modelId.startsWith("ace_step") || modelId === "minimax_music3"
}

/**
 * The media kind of a model id when the catalog is not at hand (media.md §1): Pixal3D ids → `model`,
 * video ids → `video`, ACE-Step / MiniMax Music → `audio`, everything else `image`.
 *
 * @since 0.1.0
 */
export function mediaKindFromId(modelId: string): MediaKind {
  return modelId.startsWith("pixal3d_") ? "model" : isVideoModel(modelId) ? "video" : isAudioModel(modelId) ? "audio" : "image"
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/** LTX 2.x frame step: frames are `8n + 1`. @since 0.1.0 */
export const LTX_FRAME_STEP = 8
/** MiniMax H3 grid: `124 + 17k`, 124–362, fixed 24 fps. @since 0.1.0 */
export const H3 = {
  fps: 24,
  baseFrames: 124,
  frameStep: 17,
  minFrames: 124,
  maxFrames: 362,
  minDuration: 124 / 24,
  maxDuration: 362 / 24,
  dimensionStep: 32,
  maxDimension: 1344,
  maxPixels: 1_032_192
} as const

/** WAN 2.2: always 16 fps generation, `round(d·16) + 1`. @since 0.1.0 */
export function wanFrames(duration: number): number {
  return Math.round(duration * 16) + 1
}

/** LTX 2.x: `round(d·fps) + 1`, snapped to `8n + 1` (JS rounding). @since 0.1.0 */
export function ltxFrames(duration: number, fps: number): number {
  const frames = Math.round(duration * fps) + 1
  return Math.round((frames - 1) / LTX_FRAME_STEP) * LTX_FRAME_STEP + 1
}

/** MiniMax H3: `r = round(d·24)`, `k = clamp(round((r−124)/17), 0, 14)`, `124 + 17k`. @since 0.1.0 */
export function h3Frames(duration: number): number {
  const requested = Math.round(duration * H3.fps)
  const maxStep = (H3.maxFrames - H3.baseFrames) / H3.frameStep
  const step = Math.min(maxStep, Math.max(0, Math.round((requested - H3.baseFrames) / H3.frameStep)))
  return H3.baseFrames + step * H3.frameStep
}

/**
 * The smallest H3 grid frame count that covers an audio clip of `seconds` (clamped to 124–362); none
 * for a non-positive or non-finite duration.
 *
 * @since 0.1.0
 */
export function h3FramesForAudio(seconds: number): Option.Option<number> {
  if (!Number.isFinite(seconds) || seconds <= 0) return Option.none()
  const needed = Math.ceil(seconds * H3.fps - 1e-6)
  const steps = Math.max(0, Math.ceil((needed - H3.baseFrames) / H3.frameStep))
  return Option.some(Math.min(H3.maxFrames, H3.baseFrames + steps * H3.frameStep))
}

/** Whether `frames` is on the MiniMax H3 grid. @since 0.1.0 */
export function isOnH3Grid(frames: number): boolean {
  return Number.isInteger(frames) && frames >= H3.minFrames && frames <= H3.maxFrames &&
    (frames - H3.baseFrames) % H3.frameStep === 0
}

/**
 * Frames for `duration` seconds on `modelId`, exactly as the official client's `calculateVideoFrames`:
 * FlashVSR `round(d·fps)`; WAN 2.2 `round(d·16)+1`; MiniMax H3 on its grid; LTX 2.x snapped to `8n+1`;
 * everything else (Seedance, HappyHorse, Wan 3) `round(d·fps)+1`. `fps` defaults to the value the
 * client uses when the caller gives none: 30 for Wan 3, else 24.
 *
 * @since 0.1.0
 */
export function framesFor(modelId: string, duration: number, fps?: number): number {
  const rate = fps ?? (WAN3_IDS.has(modelId) ? 30 : 24)
  const family = Option.getOrUndefined(videoFamily(modelId))
  switch (family) {
    case "flashvsr":
      return Math.round(duration * rate)
    case "wan22":
      return wanFrames(duration)
    case "minimax-h3":
      return h3Frames(duration)
    case "ltx2":
      return ltxFrames(duration, rate)
    default:
      return Math.round(duration * rate) + 1
  }
}

// ---------------------------------------------------------------------------------------------
// Duration and fps limits
// ---------------------------------------------------------------------------------------------

/** An inclusive numeric range; `max` is `Infinity` when unbounded. @since 0.1.0 */
export interface Range {
  readonly min: number
  readonly max: number
}

/**
 * The duration range (seconds) the official client accepts for a video model: WAN 2.2 1–10
 * (animate 1–20), LTX 2.x 1–20, Seedance 4–15 (2.5: 4–30), HappyHorse 3–15, Wan 3 2–30, MiniMax H3
 * 124/24–362/24, FlashVSR ≥ 1/fps with no maximum. None for non-video ids.
 *
 * @since 0.1.0
 */
export function durationRange(modelId: string, fps?: number): Option.Option<Range> {
  return Option.map(videoFamily(modelId), (family): Range => {
    switch (family) {
      case "flashvsr":
        return { min: 1 / (fps ?? 24), max: Infinity }
      case "minimax-h3":
        return { min: H3.minDuration, max: H3.maxDuration }
      case "wan3":
        return { min: 2, max: 30 }
      case "happyhorse":
        return { min: 3, max: 15 }
      case "seedance":
        return { min: 4, max: isSeedance25(modelId) ? 30 : 15 }
      case "ltx2":
        return { min: 1, max: 20 }
      case "wan22":
        return { min: 1, max: isWanAnimate(modelId) ? 20 : 10 }
    }
  })
}

/**
 * What a family accepts as `fps`: a fixed set of values or a range.
 *
 * @since 0.1.0
 */
export type FpsRule =
  | { readonly _tag: "OneOf"; readonly values: ReadonlyArray<number> }
  | { readonly _tag: "Range"; readonly min: number; readonly max: number }

/**
 * The fps rule of a video model: WAN 2.2 16 or 32; LTX 2.x 1–60; Seedance, HappyHorse, MiniMax H3
 * exactly 24; Wan 3 exactly 30; FlashVSR the source rate, 1–60.
 *
 * @since 0.1.0
 */
export function fpsRule(modelId: string): Option.Option<FpsRule> {
  return Option.map(videoFamily(modelId), (family): FpsRule => {
    switch (family) {
      case "wan22":
        return { _tag: "OneOf", values: [16, 32] }
      case "seedance":
      case "happyhorse":
      case "minimax-h3":
        return { _tag: "OneOf", values: [24] }
      case "wan3":
        return { _tag: "OneOf", values: [30] }
      case "ltx2":
      case "flashvsr":
        return { _tag: "Range", min: 1, max: 60 }
    }
  })
}

/**
 * The `fps` the official client puts on the wire when the caller gives none: 30 for Wan 3, 24 for
 * Seedance, HappyHorse and MiniMax H3, none otherwise (server default).
 *
 * @since 0.1.0
 */
export function wireDefaultFps(modelId: string): Option.Option<number> {
  return WAN3_IDS.has(modelId)
    ? Option.some(30)
    : isVendorVideoModel(modelId) || H3_IDS.has(modelId)
    ? Option.some(24)
    : Option.none()
}
