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

/** Video workflows (media.md §10.2.1, §10.2.3). @internal */
export type Workflow = "t2v" | "i2v" | "a2v" | "ia2v" | "v2v" | "flf2v" | "flfa2v" | "r2v" | "upscale"

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
}

/** Every model the emulator knows. @internal */
export const models: ReadonlyArray<CatalogModel> = [
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
  happyhorse_1_1: {
    type: "video",
    benchmark: { sec: 80, secCN: 0, secMaxPreviews: 0 },
    width: { min: 480, max: 1920, default: 1280 },
    height: { min: 480, max: 1920, default: 720 },
    fps: { allowed: [24], default: 24 },
    frames: { min: 73, max: 361, default: 121 }
  },
  wan3_0: {
    type: "video",
    benchmark: { sec: 100, secCN: 0, secMaxPreviews: 0 },
    width: { min: 480, max: 1920, default: 1280 },
    height: { min: 480, max: 1920, default: 720 },
    fps: { allowed: [30], default: 30 },
    frames: { min: 61, max: 901, default: 151 }
  },
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
  seedance_2_0: {
    type: "video",
    benchmark: { sec: 90, secCN: 0, secMaxPreviews: 0 },
    width: { min: 480, max: 1920, default: 1280 },
    height: { min: 480, max: 1920, default: 720 },
    fps: { allowed: [24], default: 24 },
    frames: { min: 97, max: 361, default: 121 }
  },
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

/** `GET /api/v2/models/tiers` body (media.md §11.1). @internal */
export const tiers = (): Record<string, Record<string, unknown>> => TIERS

/** A numeric range of a model's tier, if it has one. @internal */
export const tierRange = (model: CatalogModel, key: string): Range | undefined => {
  const value = TIERS[model.tier]?.[key]
  return typeof value === "object" && value !== null && "min" in value ? (value as Range) : undefined
}

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
