/**
 * The emulator's model catalog: the models it advertises, their tiers (media.md §11.1), size presets
 * (§11.3), worker counts per network and the emulator's price list.
 *
 * @internal
 */
import type { Protocol } from "@effect-sogni/core"

/** Model families with their own request rules (media.md §10.2.1, §10.3). @internal */
export type Family =
  | "flux"
  | "zimage"
  | "wan"
  | "ltx"
  | "seedance"
  | "happyhorse"
  | "wan3"
  | "h3"
  | "flashvsr"
  | "acestep"
  | "image-edit"
  | "image-upscale"
  | "vendor-image"

/** Video workflows (media.md §10.2.1, §10.2.3). @internal */
export type Workflow =
  | "t2v"
  | "i2v"
  | "a2v"
  | "ia2v"
  | "v2v"
  | "flf2v"
  | "flfa2v"
  | "r2v"
  | "upscale"
  | "s2v"
  | "animate-move"
  | "animate-replace"

/** A catalog entry plus what the simulation needs to know about it. */
export interface CatalogModel {
  readonly id: string
  readonly name: string
  readonly SID: number
  readonly tier: string
  readonly media: "image" | "video" | "audio"
  readonly family: Family
  /** Video workflow from the id (media.md §10.2.1); `t2v` for text-only models. */
  readonly workflow?: Workflow | undefined
  /** Rendered by an external vendor: Spark only, no worker steps, a hosted `resultUrl` (media.md §8.1). */
  readonly vendor: boolean
  /** ComfyUI model class named in `initiatingModel.preparation`. */
  readonly modelClass: string
  /** Worker counts per network; absent = not served there. */
  readonly workers: { readonly fast: number; readonly relaxed?: number }
  /** Native square size of image models when the request names no size. */
  readonly defaultSize: number
  readonly defaultSteps: number
  /** Highest step count admitted (the tier's `steps.max`). */
  readonly maxSteps: number
  /** Spark per output at the model's defaults (size, steps, frames or duration). */
  readonly sparkPerMedia: number
  /** Image models: the custom-size bounds (each side); 256..2560 when absent. */
  readonly sizeBounds?: { readonly min: number; readonly max: number } | undefined
  /** Image models: how many context images (`contextImages`) the model reads; 0 when absent. */
  readonly maxContextImages?: number | undefined
  /** Image models that transform a `startingImage` and cannot run without one. */
  readonly needsStartingImage?: boolean | undefined
}

/** The first models of the catalog (their tiers are shared, below); the rest come from the tables further down. */
const coreModels: ReadonlyArray<CatalogModel> = [
  {
    id: "flux1-schnell-fp8",
    name: "Flux.1 Schnell",
    SID: 101,
    tier: "flux",
    media: "image",
    family: "flux",
    vendor: false,
    modelClass: "Flux",
    workers: { fast: 14, relaxed: 9 },
    defaultSize: 1024,
    defaultSteps: 4,
    maxSteps: 8,
    sparkPerMedia: 0.6
  },
  {
    id: "z_image_turbo_bf16",
    name: "Z-Image Turbo",
    SID: 102,
    tier: "z_image_turbo",
    media: "image",
    family: "zimage",
    vendor: false,
    modelClass: "ZImage",
    workers: { fast: 31, relaxed: 4 },
    defaultSize: 1024,
    defaultSteps: 8,
    maxSteps: 16,
    sparkPerMedia: 0.8
  },
  {
    id: "wan_v2.2-14b-fp8_t2v_lightx2v",
    name: "WAN 2.2 14B Text-to-Video (LightX2V)",
    SID: 201,
    tier: "wan22_t2v_lightx2v",
    media: "video",
    family: "wan",
    workflow: "t2v",
    vendor: false,
    modelClass: "WAN21",
    workers: { fast: 5 },
    defaultSize: 640,
    defaultSteps: 4,
    maxSteps: 8,
    sparkPerMedia: 12
  },
  {
    id: "wan_v2.2-14b-fp8_i2v_lightx2v",
    name: "WAN 2.2 14B Image-to-Video (LightX2V)",
    SID: 203,
    tier: "wan22_i2v_lightx2v",
    media: "video",
    family: "wan",
    workflow: "i2v",
    vendor: false,
    modelClass: "WAN21",
    workers: { fast: 4 },
    defaultSize: 640,
    defaultSteps: 4,
    maxSteps: 8,
    sparkPerMedia: 12
  },
  {
    id: "ltx23-22b-fp8_t2v_distilled",
    name: "LTX 2.3 22B Text-to-Video (Distilled)",
    SID: 202,
    tier: "ltx23_t2v_distilled",
    media: "video",
    family: "ltx",
    workflow: "t2v",
    vendor: false,
    modelClass: "LTXAV",
    workers: { fast: 6 },
    defaultSize: 768,
    defaultSteps: 8,
    maxSteps: 16,
    sparkPerMedia: 15
  },
  {
    id: "ltx23-22b-fp8_i2v_distilled",
    name: "LTX 2.3 22B Image-to-Video (Distilled)",
    SID: 204,
    tier: "ltx23_i2v_distilled",
    media: "video",
    family: "ltx",
    workflow: "i2v",
    vendor: false,
    modelClass: "LTXAV",
    workers: { fast: 6 },
    defaultSize: 768,
    defaultSteps: 8,
    maxSteps: 16,
    sparkPerMedia: 15
  },
  {
    id: "seedance-2-0",
    name: "Seedance 2.0",
    SID: 251,
    tier: "seedance_2_0",
    media: "video",
    family: "seedance",
    workflow: "t2v",
    vendor: true,
    modelClass: "Seedance",
    workers: { fast: 1 },
    defaultSize: 1280,
    defaultSteps: 1,
    maxSteps: 1,
    sparkPerMedia: 40
  },
  ...(["a2v", "ia2v", "v2v"] as const).map((workflow, i): CatalogModel => ({
    id: `ltx23-22b-fp8_${workflow}_distilled`,
    name: `LTX 2.3 22B ${{ a2v: "Audio", ia2v: "Image+Audio", v2v: "Video ControlNet" }[workflow]}-to-Video (Distilled)`,
    SID: 205 + i,
    tier: "ltx23_distilled",
    media: "video",
    family: "ltx",
    workflow,
    vendor: false,
    modelClass: "LTXAV",
    workers: { fast: 3 },
    defaultSize: 768,
    defaultSteps: 8,
    maxSteps: 16,
    sparkPerMedia: 15
  })),
  ...([
    ["minimax-h3-fl2va-fp8_t2v_turbo", "t2v", "Text-to-Video Turbo", 4],
    ["minimax-h3-fl2va-fp8_i2v_turbo", "i2v", "Image-to-Video Turbo", 4],
    ["minimax-h3-fl2va-fp8_flf2v", "flf2v", "First/Last Frame", 20],
    ["minimax-h3-ref2va-fp8_r2v_turbo", "r2v", "Reference-to-Video Turbo", 4],
    ["minimax-h3-fastvideo-int8_a2v_turbo", "a2v", "FastH3 Audio-to-Video Turbo", 4],
    ["minimax-h3-fastvideo-int8_ia2v_turbo_2stage", "ia2v", "FastH3 Image+Audio-to-Video Turbo (2-stage)", 4]
  ] as const).map(([id, workflow, label, steps], i): CatalogModel => ({
    id,
    name: `MiniMax H3 ${label}`,
    SID: 261 + i,
    tier: `h3_${steps}`,
    media: "video",
    family: "h3",
    workflow,
    vendor: false,
    modelClass: "MiniMaxH3",
    workers: { fast: 3 },
    defaultSize: 672,
    defaultSteps: steps,
    maxSteps: steps,
    sparkPerMedia: steps === 20 ? 30 : 18
  })),
  ...(["t2v", "i2v", "r2v"] as const).map((workflow, i): CatalogModel => ({
    id: `happyhorse-1.1-${workflow}`,
    name: `HappyHorse 1.1 ${workflow.toUpperCase()}`,
    SID: 271 + i,
    tier: "happyhorse_1_1",
    media: "video",
    family: "happyhorse",
    workflow,
    vendor: true,
    modelClass: "HappyHorse",
    workers: { fast: 1 },
    defaultSize: 1280,
    defaultSteps: 1,
    maxSteps: 1,
    sparkPerMedia: 30
  })),
  ...([["wan3.0-video", "Wan 3.0"], ["wan3.0-spicy-video", "Wan 3.0 Enhanced"]] as const).map(([id, name], i): CatalogModel => ({
    id,
    name,
    SID: 281 + i,
    tier: "wan3_0",
    media: "video",
    family: "wan3",
    workflow: "t2v",
    vendor: true,
    modelClass: "Wan3",
    workers: { fast: 1 },
    defaultSize: 1280,
    defaultSteps: 1,
    maxSteps: 1,
    sparkPerMedia: 35
  })),
  {
    id: "flashvsr_v1.1_tiny_long_bf16",
    name: "FlashVSR 1.1 Video Upscaler",
    SID: 291,
    tier: "flashvsr_v1_1",
    media: "video",
    family: "flashvsr",
    workflow: "upscale",
    vendor: false,
    modelClass: "FlashVSR",
    workers: { fast: 2 },
    defaultSize: 1080,
    defaultSteps: 1,
    maxSteps: 1,
    sparkPerMedia: 8
  },
  {
    id: "ace_step_1.5_turbo",
    name: "ACE-Step 1.5 Turbo",
    SID: 301,
    tier: "ace_step_15_turbo",
    media: "audio",
    family: "acestep",
    vendor: false,
    modelClass: "ACEStep15",
    workers: { fast: 4 },
    defaultSize: 0,
    defaultSteps: 8,
    maxSteps: 16,
    sparkPerMedia: 2
  }
]

const legacySamplers = ["Euler", "Euler a", "DPM++ 2M", "DPM++ 2M SDE", "DPM++ SDE", "Heun", "LMS", "UniPC"]
const legacySchedulers = ["Simple", "Normal", "Karras", "Exponential", "SGM Uniform", "Beta"]
const comfySamplers = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "res_multistep", "uni_pc"]
const comfySchedulers = ["simple", "normal", "karras", "exponential", "sgm_uniform", "beta", "linear_quadratic"]

/** A numeric tier range (media.md §11.1). @internal */
export interface Range {
  readonly min: number
  readonly max: number
  readonly default: number
  readonly decimals?: number
}

/** A string choice of a tier. @internal */
export interface Choice {
  readonly allowed: ReadonlyArray<string | number>
  readonly default: string | number
}

const wanTier = (): Record<string, unknown> => ({
  type: "video",
  benchmark: { sec: 60, secCN: 0, secMaxPreviews: 0 },
  width: { min: 480, max: 1280, default: 832 },
  height: { min: 480, max: 1280, default: 480 },
  steps: { min: 2, max: 8, default: 4 },
  guidance: { min: 1, max: 5, default: 1, decimals: 1 },
  fps: { allowed: [16, 32], default: 16 },
  frames: { min: 17, max: 161, default: 81 },
  comfySampler: { allowed: comfySamplers, default: "euler" },
  comfyScheduler: { allowed: comfySchedulers, default: "simple" },
  shift: { min: 1, max: 8, default: 5, decimals: 1 }
})

const ltxTier = (): Record<string, unknown> => ({
  type: "video",
  benchmark: { sec: 45, secCN: 0, secMaxPreviews: 0 },
  width: { min: 480, max: 1920, default: 1280 },
  height: { min: 480, max: 1920, default: 720 },
  steps: { min: 4, max: 16, default: 8 },
  guidance: { min: 1, max: 5, default: 1, decimals: 1 },
  fps: { allowed: [8, 12, 15, 16, 24, 25, 30, 48, 50, 60], default: 24 },
  frames: { min: 9, max: 1201, default: 121 },
  comfySampler: { allowed: comfySamplers, default: "euler" },
  comfyScheduler: { allowed: comfySchedulers, default: "simple" }
})

/** MiniMax H3 (media.md §10.2.4): fixed 24 fps, fixed steps, a 32-px grid and a pixel budget. */
const h3Tier = (steps: number): Record<string, unknown> => ({
  type: "video",
  benchmark: { sec: steps === 20 ? 120 : 50, secCN: 0, secMaxPreviews: 0 },
  width: { min: 256, max: 1344, default: 672, step: 32 },
  height: { min: 256, max: 1344, default: 384, step: 32 },
  maxPixels: H3_MAX_PIXELS,
  steps: { min: steps, max: steps, default: steps },
  guidance: { min: 1, max: 1, default: 1 },
  fps: { allowed: [24], default: 24 },
  frames: { min: 124, max: 362, default: 124 }
})

/** The tier of a vendor video model: 480..1920 sides (1280×720 default), one frame rate, a frame range. */
const vendorVideoTier = (
  benchmarkSec: number,
  fps: number,
  [min, max, def]: readonly [number, number, number]
): Record<string, unknown> => ({
  type: "video",
  benchmark: { sec: benchmarkSec, secCN: 0, secMaxPreviews: 0 },
  width: { min: 480, max: 1920, default: 1280 },
  height: { min: 480, max: 1920, default: 720 },
  fps: { allowed: [fps], default: fps },
  frames: { min, max, default: def }
})

/** Largest MiniMax H3 canvas in pixels (media.md §10.2.4). @internal */
export const H3_MAX_PIXELS = 1_032_192

const TIERS: Record<string, Record<string, unknown>> = {
  flux: {
    benchmark: { sec: 1.2, secCN: 0, secMaxPreviews: 0.4 },
    steps: { min: 1, max: 8, default: 4 },
    guidance: { min: 0, max: 5, default: 1, decimals: 1 },
    sampler: { allowed: legacySamplers, default: "Euler" },
    scheduler: { allowed: legacySchedulers, default: "Simple" }
  },
  z_image_turbo: {
    type: "image",
    benchmark: { sec: 1.6, secCN: 0, secMaxPreviews: 0.4 },
    steps: { min: 1, max: 16, default: 8 },
    guidance: { min: 0, max: 5, default: 1, decimals: 1 },
    comfySampler: { allowed: comfySamplers, default: "res_multistep" },
    comfyScheduler: { allowed: comfySchedulers, default: "simple" },
    defaultSize: 1024
  },
  wan22_t2v_lightx2v: wanTier(),
  wan22_i2v_lightx2v: wanTier(),
  ltx23_t2v_distilled: ltxTier(),
  ltx23_i2v_distilled: ltxTier(),
  ltx23_distilled: ltxTier(),
  h3_4: h3Tier(4),
  h3_20: h3Tier(20),
  happyhorse_1_1: vendorVideoTier(80, 24, [73, 361, 121]),
  wan3_0: vendorVideoTier(100, 30, [61, 901, 151]),
  flashvsr_v1_1: {
    type: "video",
    task: "video-upscale",
    benchmark: { sec: 30, secCN: 0, secMaxPreviews: 0 },
    width: { min: 480, max: 2560, default: 1920 },
    height: { min: 480, max: 2560, default: 1080 },
    steps: { min: 1, max: 1, default: 1 },
    frames: { min: 1, max: 1800, default: 121 },
    outputResolutions: [1080, 1440],
    preservesSourceTiming: true,
    requiresReferenceVideo: true
  },
  seedance_2_0: vendorVideoTier(90, 24, [97, 361, 121]),
  ace_step_15_turbo: {
    type: "audio",
    benchmark: { sec: 8, secCN: 0, secMaxPreviews: 0 },
    steps: { min: 4, max: 16, default: 8 },
    duration: { min: 10, max: 600, default: 30 },
    bpm: { min: 30, max: 300, default: 120 },
    timesignature: { allowed: ["2", "3", "4", "6"], default: "4" },
    language: { allowed: ["en", "es", "fr", "de", "ja", "zh", "unknown"], default: "en" },
    keyscale: { allowed: ["C major", "A minor", "G major", "E minor", "D major", "B minor"], default: "C major" },
    composerMode: { default: true },
    promptStrength: { min: 0, max: 10, default: 2, decimals: 1 },
    creativity: { min: 0, max: 2, default: 0.85, decimals: 2 },
    shift: { min: 1, max: 5, default: 3, decimals: 1 },
    comfySampler: { allowed: comfySamplers, default: "euler" },
    comfyScheduler: { allowed: comfySchedulers, default: "simple" }
  }
}

// ---------------------------------------------------------------------------------------------
// The rest of the catalog: every model the official client's own code names (its model-id tables,
// per-model limits and the examples' model menus), each with its own tier. Numbers are the client's:
// step, guidance and size limits and defaults; prices are the emulator's, in the same pricing class as
// the family's other members (a 30-step base model costs about four times its 8-step turbo sibling).
// ---------------------------------------------------------------------------------------------

/** `[min, max, default]` of a numeric control. */
type Triple = readonly [number, number, number]

const range = ([min, max, value]: Triple, decimals?: number): Range =>
  decimals === undefined ? { min, max, default: value } : { min, max, default: value, decimals }

/** Comfy samplers and schedulers of the newer checkpoints (LTX 2.5 adds `manual_sigmas`). */
const comfySamplersWide = [...comfySamplers, "euler_ancestral_cfg_pp", "dpmpp_3m_sde", "ddim", "lcm"]
const comfySchedulersWide = [...comfySchedulers, "manual_sigmas"]

interface ImageSpec {
  readonly id: string
  readonly name: string
  readonly family: Family
  readonly steps: Triple
  readonly guidance?: Triple | undefined
  readonly sampler: string
  readonly workers: number
  readonly spark: number
  readonly vendor?: boolean
  readonly sizeBounds?: { readonly min: number; readonly max: number }
  readonly maxContextImages?: number
  readonly needsStartingImage?: boolean
  readonly modelClass: string
}

const IMAGE_SPECS: ReadonlyArray<ImageSpec> = [
  { id: "krea2_turbo_fp8_scaled", name: "Krea 2 Turbo", family: "zimage", steps: [4, 12, 8], guidance: [0.6, 1.6, 1], sampler: "euler", workers: 22, spark: 0.8, modelClass: "Krea2" },
  { id: "z_image_bf16", name: "Z-Image", family: "zimage", steps: [20, 50, 25], guidance: [1, 7, 4], sampler: "res_multistep", workers: 9, spark: 2.4, modelClass: "ZImage" },
  { id: "chroma-v.46-flash_fp8", name: "Chroma v.46 Flash", family: "zimage", steps: [10, 20, 10], guidance: [1, 2.5, 1], sampler: "euler", workers: 6, spark: 1, modelClass: "Chroma" },
  { id: "chroma-v48-detail-svd_fp8", name: "Chroma v48 Detail SVD", family: "zimage", steps: [20, 40, 25], guidance: [3, 8, 5], sampler: "euler", workers: 4, spark: 2.4, modelClass: "Chroma" },
  { id: "chroma1-hd_fp8_scaled", name: "Chroma1 HD", family: "zimage", steps: [20, 50, 26], guidance: [1, 8, 3.8], sampler: "euler", workers: 5, spark: 2.5, modelClass: "Chroma" },
  { id: "qwen_image_2512_fp8_lightning", name: "Qwen Image 2512 Lightning", family: "zimage", steps: [4, 8, 4], guidance: [0.6, 1.6, 1], sampler: "euler", workers: 8, spark: 0.9, modelClass: "QwenImage" },
  { id: "qwen_image_2512_fp8", name: "Qwen Image 2512", family: "zimage", steps: [20, 50, 25], guidance: [3, 6, 4], sampler: "euler", workers: 5, spark: 3, modelClass: "QwenImage" },
  { id: "dark_beast_z_image_turbo_v9_bf16", name: "Dark Beast Z-Image Turbo v9", family: "zimage", steps: [4, 12, 8], guidance: [1, 1, 1], sampler: "res_multistep", workers: 6, spark: 0.8, modelClass: "ZImage" },
  { id: "dark_beast_krea2_fp8", name: "Dark Beast Krea 2", family: "zimage", steps: [8, 20, 16], guidance: [1, 1, 1], sampler: "euler", workers: 5, spark: 1.6, modelClass: "Krea2" },
  { id: "one_obsession_v22_fp16", name: "One Obsession v2.2", family: "zimage", steps: [20, 35, 28], guidance: [3, 10, 6], sampler: "euler", workers: 4, spark: 1.4, modelClass: "SDXL" },
  { id: "qwen_image_edit_2511_fp8_lightning", name: "Qwen Image Edit 2511 Lightning", family: "image-edit", steps: [4, 8, 4], guidance: [0.6, 1.6, 1], sampler: "euler", workers: 10, spark: 1.2, maxContextImages: 3, modelClass: "QwenImageEdit" },
  { id: "qwen_image_edit_2511_fp8", name: "Qwen Image Edit 2511", family: "image-edit", steps: [20, 50, 20], guidance: [2.5, 5, 4], sampler: "euler", workers: 4, spark: 3.5, maxContextImages: 3, modelClass: "QwenImageEdit" },
  { id: "krea2_identity_edit_v1_2", name: "Krea 2 Identity Edit 1.2", family: "image-edit", steps: [8, 12, 10], guidance: [0.6, 1.6, 1], sampler: "euler", workers: 4, spark: 1.4, sizeBounds: { min: 512, max: 2048 }, maxContextImages: 2, modelClass: "Krea2" },
  { id: "dark_beast_krea2_identity_edit_v1_2", name: "Dark Beast Krea 2 Identity Edit 1.2", family: "image-edit", steps: [8, 12, 10], guidance: [0.6, 1.6, 1], sampler: "euler", workers: 3, spark: 1.4, sizeBounds: { min: 512, max: 2048 }, maxContextImages: 2, modelClass: "Krea2" },
  // Deterministic super-resolution of a starting image: one fixed step, no guidance, up to a 16K edge.
  { id: "rtx_vsr_pro", name: "RTX Video Super Resolution Pro", family: "image-upscale", steps: [1, 1, 1], sampler: "euler", workers: 6, spark: 0.5, sizeBounds: { min: 512, max: 15360 }, needsStartingImage: true, modelClass: "RTXVSR" },
  // OpenAI's image models, rendered by the vendor (Spark only); edits read up to 16 context images.
  ...([["gpt-image-2", "GPT Image 2"], ["gpt-image-2.5-sunburst", "GPT Image 2.5 Sunburst"], ["gpt-image-2.5-flare", "GPT Image 2.5 Flare"]] as const)
    .map(([id, name]): ImageSpec => ({ id, name, family: "vendor-image", steps: [1, 1, 1], sampler: "euler", workers: 1, spark: 6, vendor: true, sizeBounds: { min: 256, max: 3840 }, maxContextImages: 16, modelClass: "GptImage" }))
]

interface VideoSpec {
  readonly id: string
  readonly name: string
  readonly family: Family
  readonly workflow: Workflow
  readonly steps: Triple
  readonly guidance: Triple
  readonly width: Triple
  readonly height: Triple
  readonly frames: Triple
  readonly fps: ReadonlyArray<number>
  readonly fpsDefault: number
  readonly sampler: string
  readonly scheduler: string
  readonly workers: number
  readonly spark: number
  readonly modelClass: string
}

const WAN_FPS = [16, 32]
const LTX_FPS = [8, 12, 15, 16, 24, 25, 30, 48, 50, 60]

const wanSpec = (id: string, name: string, workflow: Workflow, steps: Triple, guidance: Triple, longForm: boolean, sampler: string): VideoSpec => ({
  id,
  name,
  family: "wan",
  workflow,
  steps,
  guidance,
  // Sound-to-video and animate default to 832x480 and run up to 20 s (321 frames at 16 fps).
  width: longForm ? [480, 1536, 832] : [480, 1536, 640],
  height: longForm ? [480, 1536, 480] : [480, 1536, 640],
  frames: longForm ? [17, 321, 81] : [17, 161, 81],
  fps: WAN_FPS,
  fpsDefault: 16,
  sampler,
  scheduler: "simple",
  workers: 3,
  spark: steps[2] > 8 ? 40 : 12,
  modelClass: "WAN21"
})

const LTX_WORKFLOW_LABEL: Readonly<Record<string, string>> = {
  t2v: "Text-to-Video",
  i2v: "Image-to-Video",
  a2v: "Audio-to-Video",
  ia2v: "Image+Audio-to-Video",
  v2v: "Video-to-Video (ControlNet)"
}

const ltxSpec = (
  id: string,
  name: string,
  workflow: Workflow,
  steps: Triple,
  guidance: Triple,
  sampler: string,
  scheduler: string
): VideoSpec => ({
  id,
  name: `${name} ${LTX_WORKFLOW_LABEL[workflow] ?? workflow}`,
  family: "ltx",
  workflow,
  steps,
  guidance,
  width: [640, 3840, 1920],
  height: [640, 3840, 1088],
  frames: [25, 505, 97],
  fps: LTX_FPS,
  fpsDefault: workflow === "v2v" && id.startsWith("ltx23-") ? 25 : 24,
  sampler,
  scheduler,
  workers: 3,
  spark: steps[2] >= 15 ? 45 : 15,
  modelClass: "LTXAV"
})

const LTX_FLOWS = ["t2v", "i2v", "a2v", "ia2v", "v2v"] as const

const VIDEO_SPECS: ReadonlyArray<VideoSpec> = [
  wanSpec("wan_v2.2-14b-fp8_t2v", "WAN 2.2 14B Text-to-Video", "t2v", [20, 40, 20], [1.5, 8, 3.5], false, "euler"),
  wanSpec("wan_v2.2-14b-fp8_i2v", "WAN 2.2 14B Image-to-Video", "i2v", [20, 40, 20], [1.5, 8, 4], false, "euler"),
  wanSpec("wan_v2.2-14b-fp8_s2v_lightx2v", "WAN 2.2 14B Sound-to-Video (LightX2V)", "s2v", [4, 8, 4], [0.7, 1.6, 1], true, "uni_pc"),
  wanSpec("wan_v2.2-14b-fp8_s2v", "WAN 2.2 14B Sound-to-Video", "s2v", [20, 40, 20], [1.5, 8, 6], true, "uni_pc"),
  wanSpec("wan_v2.2-14b-fp8_animate-move_lightx2v", "WAN 2.2 14B Animate Move (LightX2V)", "animate-move", [4, 8, 6], [0.7, 1.6, 1], true, "euler"),
  wanSpec("wan_v2.2-14b-fp8_animate-replace_lightx2v", "WAN 2.2 14B Animate Replace (LightX2V)", "animate-replace", [4, 8, 6], [0.7, 1.6, 1], true, "euler"),
  // LTX 2.3 dev checkpoints (the distilled ones are above).
  ...LTX_FLOWS.map((flow) =>
    ltxSpec(`ltx23-22b-fp8_${flow}_dev`, "LTX 2.3 22B Dev", flow, flow === "v2v" ? [10, 50, 30] : [15, 50, 30], flow === "v2v" ? [1, 7, 3] : [1, 10, 3], "euler", flow === "v2v" ? "simple" : "normal")
  ),
  ltxSpec("ltx23-22b-10eros-v1.4-fp8mixed_i2v", "LTX 2.3 22B 10Eros 1.4", "i2v", [9, 9, 9], [1, 1, 1], "euler_ancestral", "manual_sigmas"),
  // LTX 2.5: a fixed 8-step distilled checkpoint and a dev checkpoint with a speed LoRA.
  ...LTX_FLOWS.flatMap((flow) => [
    ltxSpec(`ltx25-22b-int8_${flow}_distilled`, "LTX 2.5 22B INT8 Distilled", flow, [8, 8, 8], [1, 2, 1], "euler_ancestral", "manual_sigmas"),
    ltxSpec(`ltx25-22b-int8_${flow}_dev`, "LTX 2.5 22B INT8 Dev", flow, [15, 50, 30], [2, 7, 3], "euler_ancestral", "manual_sigmas")
  ]),
  // LTX 2 ids the server still accepts (it maps them onto LTX 2.3).
  ...LTX_FLOWS.flatMap((flow) => [
    ltxSpec(`ltx2-19b-fp8_${flow}_distilled`, "LTX 2 19B Distilled", flow, [4, 12, 8], [1, 2, 1], "euler", "normal"),
    ltxSpec(`ltx2-19b-fp8_${flow}`, "LTX 2 19B", flow, [15, 50, 30], [1, 10, 3], "euler", "normal")
  ])
]

/** MiniMax H3 ids beyond the six above: standard (20 steps), balanced (8) and the other turbo paths (4). */
const H3_MORE: ReadonlyArray<readonly [string, Workflow, string]> = [
  ["minimax-h3-fl2va-fp8_t2v", "t2v", "Text-to-Video"],
  ["minimax-h3-fl2va-fp8_i2v", "i2v", "Image-to-Video"],
  ["minimax-h3-ref2va-fp8_r2v", "r2v", "Reference-to-Video"],
  ["minimax-h3-ref2va-fp8_r2v_2stage", "r2v", "Reference-to-Video (2-stage)"],
  ["minimax-h3-fl2va-fp8_flf2v_turbo", "flf2v", "First/Last Frame Turbo"],
  ["minimax-h3-fastvideo-int8_t2v_turbo", "t2v", "FastH3 Text-to-Video Turbo"],
  ["minimax-h3-fastvideo-int8_i2v_turbo", "i2v", "FastH3 Image-to-Video Turbo"],
  ["minimax-h3-fastvideo-int8_flf2v_turbo", "flf2v", "FastH3 First/Last Frame Turbo"],
  ["minimax-h3-fastvideo-int8_t2v_turbo_2stage", "t2v", "FastH3 Text-to-Video Turbo (2-stage)"],
  ["minimax-h3-fastvideo-int8_i2v_turbo_2stage", "i2v", "FastH3 Image-to-Video Turbo (2-stage)"],
  ["minimax-h3-fastvideo-int8_flf2v_turbo_2stage", "flf2v", "FastH3 First/Last Frame Turbo (2-stage)"],
  ["minimax-h3-fastvideo-int8_ia2v_turbo", "ia2v", "FastH3 Image+Audio-to-Video Turbo"],
  ["minimax-h3-fastvideo-int8_flfa2v_turbo", "flfa2v", "FastH3 First/Last Frame+Audio Turbo"],
  ["minimax-h3-fastvideo-int8_flfa2v_turbo_2stage", "flfa2v", "FastH3 First/Last Frame+Audio Turbo (2-stage)"],
  ["minimax-h3-fastvideo-int8_a2v_turbo_2stage", "a2v", "FastH3 Audio-to-Video Turbo (2-stage)"],
  ["minimax-h3-fl2va-fp8_t2v_balanced", "t2v", "Text-to-Video Balanced"],
  ["minimax-h3-fl2va-fp8_i2v_balanced", "i2v", "Image-to-Video Balanced"],
  ["minimax-h3-fl2va-fp8_flf2v_balanced", "flf2v", "First/Last Frame Balanced"],
  ["minimax-h3-ref2va-fp8_r2v_balanced", "r2v", "Reference-to-Video Balanced"],
  ["minimax-h3-ref2va-fp8_r2v_balanced_2stage", "r2v", "Reference-to-Video Balanced (2-stage)"]
]

/** Fixed MiniMax H3 step count of an id: turbo 4, balanced 8, standard 20. @internal */
export const h3Steps = (id: string): number => (id.includes("_turbo") ? 4 : id.includes("_balanced") ? 8 : 20)

/** Seedance generations: Mini (and the retired Fast id) cap at 720p; 2.5 runs up to 30 s below 1080p... */
const SEEDANCE_MORE: ReadonlyArray<readonly [string, string, number, number, number]> = [
  // id, name, longest side, most frames (24 fps), Spark per default clip
  ["seedance-2-0-mini", "Seedance 2.0 Mini", 1280, 361, 18],
  ["seedance-2-0-fast", "Seedance 2.0 Fast", 1280, 361, 22],
  ["seedance-2-5", "Seedance 2.5", 1920, 721, 45]
]

/** ACE-Step checkpoints beyond the turbo one: XL turbo, and the SFT models (CFG, many more steps). */
const AUDIO_MORE: ReadonlyArray<readonly [string, string, Triple, number]> = [
  ["ace_step_1.5_xl_turbo", "ACE-Step 1.5 XL Turbo", [4, 16, 8], 3],
  ["ace_step_1.5_sft", "ACE-Step 1.5 SFT", [10, 200, 50], 8],
  ["ace_step_1.5_xl_sft", "ACE-Step 1.5 XL SFT", [10, 200, 50], 10]
]

const imageTierOf = (spec: ImageSpec): Record<string, unknown> => ({
  type: "image",
  benchmark: { sec: Math.max(1, spec.steps[2] * 0.2), secCN: 0, secMaxPreviews: 0.4 },
  steps: range(spec.steps),
  ...(spec.guidance === undefined ? {} : { guidance: range(spec.guidance, 1) }),
  comfySampler: { allowed: comfySamplers, default: spec.sampler },
  comfyScheduler: { allowed: comfySchedulers, default: "simple" },
  defaultSize: 1024,
  ...(spec.maxContextImages === undefined ? {} : { maxContextImages: spec.maxContextImages })
})

const videoTierOf = (spec: VideoSpec): Record<string, unknown> => ({
  type: "video",
  benchmark: { sec: 20 + spec.steps[2] * 4, secCN: 0, secMaxPreviews: 0 },
  width: range(spec.width),
  height: range(spec.height),
  steps: range(spec.steps),
  guidance: range(spec.guidance, 1),
  fps: { allowed: spec.fps, default: spec.fpsDefault },
  frames: range(spec.frames),
  comfySampler: { allowed: comfySamplersWide, default: spec.sampler },
  comfyScheduler: { allowed: comfySchedulersWide, default: spec.scheduler }
})

const extraModels: Array<CatalogModel> = []
const extraTiers: Record<string, Record<string, unknown>> = {}

IMAGE_SPECS.forEach((spec, i) => {
  extraModels.push({
    id: spec.id,
    name: spec.name,
    SID: 111 + i,
    tier: spec.id,
    media: "image",
    family: spec.family,
    vendor: spec.vendor === true,
    modelClass: spec.modelClass,
    workers: spec.vendor === true ? { fast: spec.workers } : { fast: spec.workers, relaxed: Math.ceil(spec.workers / 3) },
    defaultSize: 1024,
    defaultSteps: spec.steps[2],
    maxSteps: spec.steps[1],
    sparkPerMedia: spec.spark,
    sizeBounds: spec.sizeBounds,
    maxContextImages: spec.maxContextImages,
    needsStartingImage: spec.needsStartingImage
  })
  extraTiers[spec.id] = imageTierOf(spec)
})

VIDEO_SPECS.forEach((spec, i) => {
  extraModels.push({
    id: spec.id,
    name: spec.name,
    SID: 401 + i,
    tier: spec.id,
    media: "video",
    family: spec.family,
    workflow: spec.workflow,
    vendor: false,
    modelClass: spec.modelClass,
    workers: { fast: spec.workers },
    defaultSize: spec.width[2],
    defaultSteps: spec.steps[2],
    maxSteps: spec.steps[1],
    sparkPerMedia: spec.spark
  })
  extraTiers[spec.id] = videoTierOf(spec)
})

H3_MORE.forEach(([id, workflow, label], i) => {
  const steps = h3Steps(id)
  const tier = `h3_${steps}`
  extraModels.push({
    id,
    name: `MiniMax H3 ${label}`,
    SID: 461 + i,
    tier,
    media: "video",
    family: "h3",
    workflow,
    vendor: false,
    modelClass: "MiniMaxH3",
    workers: { fast: 2 },
    defaultSize: 672,
    defaultSteps: steps,
    maxSteps: steps,
    sparkPerMedia: steps === 20 ? 30 : steps === 8 ? 24 : 18
  })
  extraTiers[tier] ??= h3Tier(steps)
})

SEEDANCE_MORE.forEach(([id, name, side, maxFrames, spark], i) => {
  extraModels.push({
    id,
    name,
    SID: 491 + i,
    tier: id,
    media: "video",
    family: "seedance",
    workflow: "t2v",
    vendor: true,
    modelClass: "Seedance",
    workers: { fast: 1 },
    defaultSize: 1280,
    defaultSteps: 1,
    maxSteps: 1,
    sparkPerMedia: spark
  })
  extraTiers[id] = {
    type: "video",
    benchmark: { sec: 90, secCN: 0, secMaxPreviews: 0 },
    width: { min: 480, max: side, default: 1280 },
    height: { min: 480, max: side, default: 720 },
    fps: { allowed: [24], default: 24 },
    frames: { min: 97, max: maxFrames, default: 121 }
  }
})

AUDIO_MORE.forEach(([id, name, steps, spark], i) => {
  extraModels.push({
    id,
    name,
    SID: 311 + i,
    tier: id,
    media: "audio",
    family: "acestep",
    vendor: false,
    modelClass: "ACEStep15",
    workers: { fast: 3 },
    defaultSize: 0,
    defaultSteps: steps[2],
    maxSteps: steps[1],
    sparkPerMedia: spark
  })
  extraTiers[id] = {
    ...TIERS["ace_step_15_turbo"],
    benchmark: { sec: 4 + steps[2], secCN: 0, secMaxPreviews: 0 },
    steps: range(steps),
    // The SFT checkpoints take CFG guidance and sample with er_sde on a linear-quadratic schedule.
    ...(steps[2] > 16
      ? {
        guidance: { min: 1, max: 15, default: 7, decimals: 1 },
        comfySampler: { allowed: [...comfySamplers, "er_sde"], default: "er_sde" },
        comfyScheduler: { allowed: comfySchedulers, default: "linear_quadratic" }
      }
      : {})
  }
})

Object.assign(TIERS, extraTiers)

/** Every model the emulator knows. @internal */
export const models: ReadonlyArray<CatalogModel> = [...coreModels, ...extraModels]

const byId = new Map(models.map((m) => [m.id, m] as const))

/** O(1) lookup by model id. @internal */
export const findModel = (id: string): CatalogModel | undefined => byId.get(id)

/** `GET /api/v1/models/list` body. @internal */
export const modelList = (): Protocol.ModelListEntry[] =>
  models.map(({ SID, id, media, name, tier }) => ({ id, name, SID, tier, media }))

/** `swarmModels` payload for a network. @internal */
export const swarmModels = (network: Protocol.Network): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const m of models) {
    const n = m.workers[network]
    if (n !== undefined && n > 0) out[m.id] = n
  }
  return out
}

/** `GET /api/v1/status/network/{network}/models` body: worker counts keyed by model SID. @internal */
export const statusByNetwork = (network: Protocol.Network): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const m of models) {
    const n = m.workers[network]
    if (n !== undefined && n > 0) out[String(m.SID)] = n
  }
  return out
}


/** `GET /api/v2/models/tiers` body (media.md §11.1). @internal */
export const tiers = (): Record<string, Record<string, unknown>> => TIERS

const rangeIn = (tierTable: Readonly<Record<string, Record<string, unknown>>>, model: CatalogModel, key: string) => {
  const value = tierTable[model.tier]?.[key]
  return typeof value === "object" && value !== null && "min" in value ? (value as Range) : undefined
}

/** A numeric range of a model's tier in the built-in catalog, if it has one. @internal */
export const tierRange = (model: CatalogModel, key: string): Range | undefined => rangeIn(TIERS, model, key)

/** A choice of a model's tier, if it has one. @internal */
export const tierChoice = (model: CatalogModel, key: string): Choice | undefined => {
  const value = TIERS[model.tier]?.[key]
  return typeof value === "object" && value !== null && "allowed" in value ? (value as Choice) : undefined
}

/** One size preset (media.md §11.3). @internal */
export interface SizePreset {
  readonly label: string
  readonly id: string
  readonly width: number
  readonly height: number
  readonly ratio: string
  readonly aspect: string
}

const preset = (id: string, label: string, width: number, height: number, ratio: string): SizePreset => ({
  label,
  id,
  width,
  height,
  ratio,
  aspect: (width / height).toFixed(2)
})

/** The preset list every image model shares. @internal */
export const sizePresets: ReadonlyArray<SizePreset> = [
  preset("square", "Square", 512, 512, "1:1"),
  preset("square_hd", "Square HD", 1024, 1024, "1:1"),
  preset("portrait_7_9", "Portrait 7:9", 896, 1152, "7:9"),
  preset("portrait_13_19", "Portrait 13:19", 832, 1216, "13:19"),
  preset("portrait_4_7", "Portrait 4:7", 768, 1344, "4:7"),
  preset("portrait_5_12", "Portrait 5:12", 640, 1536, "5:12"),
  preset("landscape_9_7", "Landscape 9:7", 1152, 896, "9:7"),
  preset("landscape_19_13", "Landscape 19:13", 1216, 832, "19:13"),
  preset("landscape_7_4", "Landscape 7:4", 1344, 768, "7:4"),
  preset("landscape_12_5", "Landscape 12:5", 1536, 640, "12:5")
]

const presetById = new Map(sizePresets.map((p) => [p.id, p] as const))

/** O(1) preset lookup. @internal */
export const findPreset = (id: string): SizePreset | undefined => presetById.get(id)

/** What a quote depends on (the request's effective parameters). @internal */
export interface CostInput {
  readonly count: number
  readonly steps: number
  /** Image or video size in pixels. */
  readonly width: number
  readonly height: number
  /** Video: generated frames. */
  readonly frames?: number | undefined
  /** Audio: seconds. */
  readonly duration?: number | undefined
}

/** Network price factor: relaxed renders cost half. @internal */
export const networkMultiplier = (network: "fast" | "relaxed"): number => (network === "relaxed" ? 0.5 : 1)

const round4 = (n: number) => Math.round(n * 10_000) / 10_000

/**
 * Spark one output costs on the fast network. Images scale with steps and megapixels; worker videos with
 * steps, pixels and frames; vendor videos with seconds; audio with steps and seconds.
 *
 * @internal
 */
export const mediaCost = (model: CatalogModel, input: Omit<CostInput, "count">): number => {
  const stepFactor = model.vendor ? 1 : input.steps / model.defaultSteps
  switch (model.media) {
    case "image": {
      const pixels = (input.width * input.height) / (1024 * 1024)
      return round4(model.sparkPerMedia * stepFactor * Math.max(0.25, pixels))
    }
    case "video": {
      const width = tierRange(model, "width")?.default ?? 1280
      const height = tierRange(model, "height")?.default ?? 720
      const frames = tierRange(model, "frames")?.default ?? 121
      const pixels = (input.width * input.height) / (width * height)
      const length = (input.frames ?? frames) / frames
      return round4(model.sparkPerMedia * stepFactor * (model.vendor ? 1 : Math.max(0.25, pixels)) * length)
    }
    case "audio": {
      const duration = tierRange(model, "duration")?.default ?? 30
      return round4(model.sparkPerMedia * stepFactor * ((input.duration ?? duration) / duration))
    }
  }
}

/** Spark a whole project costs on a network. @internal */
export const projectCost = (model: CatalogModel, input: CostInput, network: "fast" | "relaxed" = "fast"): number =>
  round4(mediaCost(model, input) * input.count * networkMultiplier(network))

/** SOGNI costs twice the Spark amount (the token trades at half a Spark). @internal */
export const tokenMultiplier = (tokenType: "spark" | "sogni"): number => (tokenType === "sogni" ? 2 : 1)

// ---------------------------------------------------------------------------------------------
// One emulator's catalog
// ---------------------------------------------------------------------------------------------

/**
 * Changes to the built-in catalog for one emulator (benchmarks raise limits this way).
 *
 * @internal
 */
export interface CatalogOverrides {
  /**
   * Media models by id. `maxSteps` raises (or lowers) the highest step count admitted; the model's tier
   * then serves the same `steps.max` from `/api/v2/models/tiers`, so clients that validate against the
   * tiers agree.
   */
  readonly models?: Readonly<Record<string, { readonly maxSteps?: number | undefined }>> | undefined
  /** LLM models by id. `maxOutputTokens` sets the output-token ceiling (`maxOutputTokens.max`). */
  readonly llmModels?: Readonly<Record<string, { readonly maxOutputTokens?: number | undefined }>> | undefined
}

/** An LLM model as `swarmLLMModels` describes it (LLMModelInfo form, chat.md §9). @internal */
export type LLMModelInfo = { readonly workers: number; readonly [k: string]: unknown }

/** The models one emulator serves. @internal */
export interface Catalog {
  readonly findModel: (id: string) => CatalogModel | undefined
  /** The `GET /api/v2/models/tiers` body. */
  readonly tiers: Readonly<Record<string, Record<string, unknown>>>
  /** A numeric range of a model's tier, if it has one. */
  readonly tierRange: (model: CatalogModel, key: string) => Range | undefined
  /** The LLM models by id. */
  readonly llmModels: Readonly<Record<string, LLMModelInfo>>
}

/** Problems of a {@link CatalogOverrides} value (unknown ids, limits that are not positive integers). @internal */
export const catalogOverrideProblems = (
  overrides: CatalogOverrides | undefined,
  llmModels: Readonly<Record<string, LLMModelInfo>>
): Array<string> => {
  const problems: Array<string> = []
  const positive = (what: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      problems.push(`${what} must be a positive integer (got ${value})`)
    }
  }
  for (const [id, change] of Object.entries(overrides?.models ?? {})) {
    const model = byId.get(id)
    if (model === undefined) problems.push(`catalog.models.${id} names no model of the catalog`)
    else if (model.vendor && change.maxSteps !== undefined) problems.push(`catalog.models.${id} is a vendor model without steps`)
    positive(`catalog.models.${id}.maxSteps`, change.maxSteps)
  }
  for (const [id, change] of Object.entries(overrides?.llmModels ?? {})) {
    if (!(id in llmModels)) problems.push(`catalog.llmModels.${id} names no LLM model of the catalog`)
    positive(`catalog.llmModels.${id}.maxOutputTokens`, change.maxOutputTokens)
  }
  return problems
}

/**
 * The built-in catalog with `overrides` applied. The built-in tables are never changed: overridden
 * models, tiers and LLM entries are copies owned by this catalog.
 *
 * @internal
 */
export const makeCatalog = (
  overrides: CatalogOverrides | undefined,
  llmModels: Readonly<Record<string, LLMModelInfo>>
): Catalog => {
  const ownModels = new Map(byId)
  const ownTiers: Record<string, Record<string, unknown>> = { ...TIERS }
  for (const [id, change] of Object.entries(overrides?.models ?? {})) {
    const model = byId.get(id)
    if (model === undefined || change.maxSteps === undefined) continue
    ownModels.set(id, { ...model, maxSteps: change.maxSteps })
    const tier = ownTiers[model.tier]
    const steps = tier?.["steps"]
    if (tier !== undefined && typeof steps === "object" && steps !== null) {
      ownTiers[model.tier] = { ...tier, steps: { ...steps, max: change.maxSteps } }
    }
  }
  const ownLlm: Record<string, LLMModelInfo> = { ...llmModels }
  for (const [id, change] of Object.entries(overrides?.llmModels ?? {})) {
    const info = llmModels[id]
    const limits = info?.["maxOutputTokens"]
    if (info === undefined || change.maxOutputTokens === undefined || typeof limits !== "object" || limits === null) continue
    ownLlm[id] = { ...info, maxOutputTokens: { ...limits, max: change.maxOutputTokens } }
  }
  return {
    findModel: (id) => ownModels.get(id),
    tiers: ownTiers,
    tierRange: (model, key) => rangeIn(ownTiers, model, key),
    llmModels: ownLlm
  }
}
