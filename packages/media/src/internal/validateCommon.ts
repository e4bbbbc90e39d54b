/**
 * Shared validation helpers, the model descriptor and the reading of raw model tiers (media.md §11).
 *
 * Validators return the first failure as a `SogniInvalidRequest`, or `undefined` when the request is
 * fine; the public module wraps that in an `Either`.
 *
 * @internal
 */
import { SogniInvalidRequest } from "@effect-sogni/core/SogniError"
import type { MediaInput, VideoParams } from "../Params.js"

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

/** A validation outcome: the first failure, or `undefined`. @internal */
export type Check = SogniInvalidRequest | undefined

/** @internal */
export function invalid(field: string, rule: string, message: string): SogniInvalidRequest {
  return new SogniInvalidRequest({ field, rule, message })
}

/** Runs checks in order and returns the first failure. @internal */
export function first(...checks: ReadonlyArray<() => Check>): Check {
  for (const check of checks) {
    const failure = check()
    if (failure !== undefined) return failure
  }
  return undefined
}

/** An inclusive range; `max` may be `Infinity`. @internal */
export interface Bounds {
  readonly min: number
  readonly max: number
}

function fmt(n: number): string {
  return (Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000))
}

/** `value` within `bounds` (no-op when either is absent). @internal */
export function inRange(field: string, value: number | undefined, bounds: Bounds | undefined, what = field): Check {
  if (value === undefined || bounds === undefined) return undefined
  if (value < bounds.min || value > bounds.max) {
    const range = bounds.max === Infinity ? `at least ${fmt(bounds.min)}` : `between ${fmt(bounds.min)} and ${fmt(bounds.max)}`
    return invalid(field, "range", `${what} must be ${range}, got ${value}`)
  }
  return undefined
}

/** `value` one of `allowed` (no-op when absent). @internal */
export function oneOf<A extends string | number>(
  field: string,
  value: A | undefined,
  allowed: ReadonlyArray<A>,
  rule = "allowed-values"
): Check {
  return value === undefined || allowed.includes(value)
    ? undefined
    : invalid(field, rule, `${field} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}`)
}

/** Fails with `forbidden` when `present`. @internal */
export function forbid(field: string, present: boolean, message: string): Check {
  return present ? invalid(field, "forbidden", message) : undefined
}

/** Fails with `required` when not `present`. @internal */
export function need(field: string, present: boolean, message: string): Check {
  return present ? undefined : invalid(field, "required", message)
}

/** Fails with `max-count` when `count > max`. @internal */
export function atMost(field: string, count: number, max: number, message: string): Check {
  return count > max ? invalid(field, "max-count", message) : undefined
}

/** A parseable `https:` URL. @internal */
export function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value.trim()).protocol === "https:"
  } catch {
    return false
  }
}

/** Every URL of a list (or a single URL) is `https:`. @internal */
export function httpsOnly(field: string, urls: ReadonlyArray<string> | string | undefined): Check {
  if (urls === undefined) return undefined
  const list = typeof urls === "string" ? [urls] : urls
  const bad = list.findIndex((url) => !isHttpsUrl(url))
  if (bad < 0) return undefined
  const at = typeof urls === "string" ? field : `${field}[${bad}]`
  return list[bad]!.trim().length === 0
    ? invalid(at, "required", `${at} must be a non-empty URL`)
    : invalid(at, "https-only", `${at} must be a public HTTPS URL`)
}

/** Present in the request: bytes or `true`. @internal */
export function has(media: unknown): boolean {
  return media !== undefined && media !== false && media !== null
}

// ---------------------------------------------------------------------------------------------
// Model descriptor and tiers
// ---------------------------------------------------------------------------------------------

/**
 * A catalog entry: the model id, its media kind (`GET /api/v1/models/list`) and its raw tier
 * (`GET /api/v2/models/tiers`, media.md §11.1).
 *
 * @internal
 */
export interface ModelDescriptor {
  readonly id: string
  readonly media: "image" | "video" | "audio" | "model"
  readonly tier: Readonly<Record<string, unknown>>
}

/** A numeric tier range: `step` is `10^-decimals`, else `step`, else 1. @internal */
export interface TierRange {
  readonly min: number
  readonly max: number
  readonly step: number
  readonly default?: number
}

/** A string choice with its allowed values (already converted to aliases). @internal */
export interface TierChoice {
  readonly allowed: ReadonlyArray<string>
  readonly default: string | null
}

/** Controls a model offers, read from its tier (the official client's `ModelOptions`). @internal */
export interface ModelOptions {
  readonly kind: "image" | "video" | "audio"
  /** Comfy image tier (`type: "image"`) rather than a legacy one (no `type`). */
  readonly comfyImageTier: boolean
  readonly steps?: TierRange
  readonly guidance?: TierRange
  readonly sampler: TierChoice
  readonly scheduler: TierChoice
  readonly vae?: TierChoice
  readonly width?: TierRange
  readonly height?: TierRange
  readonly maxPixels?: number
  readonly fps?: { readonly allowed: ReadonlyArray<number>; readonly default?: number }
  readonly frames?: TierRange
  readonly shift?: TierRange
  readonly duration?: TierRange
  readonly bpm?: TierRange
  readonly timesignature?: TierChoice
  readonly language?: TierChoice
  readonly keyscale?: TierChoice
  readonly speaker?: TierChoice
  readonly promptStrength?: TierRange
  readonly creativity?: TierRange
  readonly composerMode?: { readonly default: boolean }
  readonly instruct?: { readonly maxLength?: number; readonly required: boolean }
  readonly referenceText?: { readonly maxLength?: number }
  readonly acceptsReferenceAudio: boolean
  readonly requiresReferenceAudio: boolean
  readonly task?: string
}

const samplerAliases: Readonly<Record<string, string>> = {
  Euler: "euler",
  "Euler a": "euler_a",
  "Euler Ancestral": "euler_ancestral",
  Heun: "heun",
  "DPM++ 2M": "dpmpp_2m",
  "DPM++ 2M SDE": "dpmpp_2m_sde",
  "DPM++ SDE": "dpmpp_sde",
  "DPM++ 3M SDE": "dpmpp_3m_sde",
  UniPC: "uni_pc",
  "LCM (Latent Consistency Model)": "lcm",
  LMS: "lms",
  "DPM 2": "dpm_2",
  "DPM 2 Ancestral": "dpm_2_ancestral",
  "DPM Fast": "dpm_fast",
  "DPM Adaptive": "dpm_adaptive",
  "DPM++ 2S Ancestral": "dpmpp_2s_ancestral",
  DDPM: "ddpm",
  "Discrete Flow Sampler (SD3)": "dfs_sd3",
  "Discrete Flow Scheduler (SD3)": "dfs_sd3",
  "DPM Solver Multistep (DPM-Solver++)": "dpm_pp",
  "PNDM (Pseudo-linear multi-step)": "pndm_plms"
}

const schedulerAliases: Readonly<Record<string, string>> = {
  Simple: "simple",
  Normal: "normal",
  Karras: "karras",
  Exponential: "exponential",
  "SGM Uniform": "sgm_uniform",
  "DDIM Uniform": "ddim_uniform",
  Beta: "beta",
  "Linear Quadratic": "linear_quadratic",
  "KL Optimal": "kl_optimal",
  DDIM: "ddim",
  Leading: "leading",
  Linear: "linear"
}

/** A sampler display name as its alias (media.md §11.2); unknown names pass through. @internal */
export function samplerAlias(value: string): string {
  return samplerAliases[value] ?? value
}
/** A scheduler display name as its alias (media.md §11.2); unknown names pass through. @internal */
export function schedulerAlias(value: string): string {
  return schedulerAliases[value] ?? value
}

function isRecord(u: unknown): u is Readonly<Record<string, unknown>> {
  return typeof u === "object" && u !== null && !Array.isArray(u)
}

function readRange(u: unknown): TierRange | undefined {
  if (!isRecord(u) || typeof u.min !== "number" || typeof u.max !== "number") return undefined
  const step = typeof u.decimals === "number" && u.decimals > 0
    ? Math.pow(10, -u.decimals)
    : typeof u.step === "number" && u.step > 0
    ? u.step
    : 1
  return typeof u.default === "number" ? { min: u.min, max: u.max, step, default: u.default } : { min: u.min, max: u.max, step }
}

const noChoice: TierChoice = { allowed: [], default: null }

function readChoice(u: unknown, alias: (s: string) => string = (s) => s): TierChoice | undefined {
  if (!isRecord(u) || !Array.isArray(u.allowed)) return undefined
  const allowed = u.allowed.filter((a): a is string => typeof a === "string").map(alias)
  return { allowed, default: typeof u.default === "string" ? alias(u.default) : null }
}

/**
 * Reads a raw tier the way the official client's `getModelOptions` does: no `type` key → legacy image
 * tier (`sampler`/`scheduler`), `type: "image"` → Comfy image tier (`comfySampler`/`comfyScheduler`/
 * `vae`), `"video"`, `"audio"`. Undefined for an unknown tier kind.
 *
 * @internal
 */
export function readTier(tier: Readonly<Record<string, unknown>>): ModelOptions | undefined {
  if (!isRecord(tier)) return undefined
  const type = tier.type
  const kind = !Object.prototype.hasOwnProperty.call(tier, "type")
    ? "image"
    : type === "image" || type === "video" || type === "audio"
    ? type
    : undefined
  if (kind === undefined) return undefined
  const legacy = kind === "image" && type === undefined
  const sampler = readChoice(legacy ? tier.sampler : tier.comfySampler, samplerAlias) ?? noChoice
  const scheduler = readChoice(legacy ? tier.scheduler : tier.comfyScheduler, schedulerAlias) ?? noChoice
  const fpsRaw = tier.fps
  const fps = isRecord(fpsRaw) && Array.isArray(fpsRaw.allowed)
    ? {
      allowed: fpsRaw.allowed.filter((n): n is number => typeof n === "number"),
      ...(typeof fpsRaw.default === "number" ? { default: fpsRaw.default } : {})
    }
    : undefined
  const instructRaw = tier.instruct
  const referenceTextRaw = tier.referenceText
  const composerRaw = tier.composerMode
  const out: { -readonly [K in keyof ModelOptions]: ModelOptions[K] } = {
    kind,
    comfyImageTier: kind === "image" && !legacy,
    sampler,
    scheduler,
    acceptsReferenceAudio: tier.acceptInputAudio === true || tier.requiresReferenceAudio === true,
    requiresReferenceAudio: tier.requiresReferenceAudio === true
  }
  const set = <K extends keyof ModelOptions>(key: K, value: ModelOptions[K] | undefined) => {
    if (value !== undefined) out[key] = value
  }
  set("steps", readRange(tier.steps))
  set("guidance", readRange(tier.guidance))
  if (kind === "image" && !legacy) set("vae", readChoice(tier.vae))
  set("width", readRange(tier.width))
  set("height", readRange(tier.height))
  set("maxPixels", typeof tier.maxPixels === "number" ? tier.maxPixels : undefined)
  set("fps", fps)
  set("frames", readRange(tier.frames))
  set("shift", readRange(tier.shift))
  set("duration", readRange(tier.duration))
  set("bpm", readRange(tier.bpm))
  set("timesignature", readChoice(tier.timesignature))
  set("language", readChoice(tier.language))
  set("keyscale", readChoice(tier.keyscale))
  set("speaker", readChoice(tier.speaker))
  set("promptStrength", readRange(tier.promptStrength))
  set("creativity", readRange(tier.creativity))
  set("task", typeof tier.task === "string" ? tier.task : undefined)
  if (isRecord(composerRaw) && typeof composerRaw.default === "boolean") set("composerMode", { default: composerRaw.default })
  if (isRecord(instructRaw)) {
    set("instruct", {
      ...(typeof instructRaw.maxLength === "number" ? { maxLength: instructRaw.maxLength } : {}),
      required: instructRaw.required === true
    })
  }
  if (isRecord(referenceTextRaw)) {
    set("referenceText", typeof referenceTextRaw.maxLength === "number" ? { maxLength: referenceTextRaw.maxLength } : {})
  }
  return out
}

/**
 * A sampler/scheduler/VAE value against the tier's allowed list: a model offering no choice drops the
 * value (`null` on the wire), an unset value is `null`, anything else must be listed.
 *
 * @internal
 */
export function checkChoice(field: string, value: string | undefined, choice: TierChoice | undefined): Check {
  return choice === undefined || choice.allowed.length === 0 || !value
    ? undefined
    : choice.allowed.includes(value)
    ? undefined
    : invalid(field, "allowed-values", `Invalid ${field} ${value}. Must be one of "${choice.allowed.join("\", \"")}".`)
}

/** The value placed on the wire for a sampler-like choice (media.md §11.2). @internal */
export function wireChoice(value: string | undefined, choice: TierChoice | undefined): string | null {
  return choice === undefined || choice.allowed.length === 0 || !value ? null : value
}

/** The H3 r2v reference videos / audios in slot order (`referenceVideo1..3`). @internal */
export function h3Slots(single: MediaInput | undefined, more: ReadonlyArray<MediaInput> | undefined) {
  return [single, ...(more ?? [])].filter((m): m is MediaInput => has(m)).map((media, i) => ({ slot: i + 1, media }))
}

/** `contextImages` of an H3 r2v request on their `contextImage<n>` slots (offset past referenceImage). @internal */
export function videoContextSlots(p: VideoParams) {
  const offset = has(p.referenceImage) ? 1 : 0
  return (p.contextImages ?? []).map((media, i) => ({ slot: offset + i + 1, media }))
}
