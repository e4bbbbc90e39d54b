/**
 * Audio-project rules (media.md §10.3): ACE-Step 1.5, MiniMax Music 3 and qwen3 TTS. The tier's ranges
 * and lists win; the documented per-family values apply when the tier declares nothing.
 *
 * @internal
 */
import type { AudioParams } from "../Params.js"
import type { Bounds, Check, ModelOptions, TierChoice } from "./validateCommon.js"
import { first, forbid, inRange, invalid, need, oneOf } from "./validateCommon.js"

/** @internal */
export type AudioFamily = "ace-step" | "minimax-music" | "tts" | "other"

/** @internal */
export const audioFamily = (modelId: string): AudioFamily =>
  modelId.startsWith("ace_step")
    ? "ace-step"
    : modelId === "minimax_music3"
    ? "minimax-music"
    : modelId.startsWith("qwen3_tts_")
    ? "tts"
    : "other"

interface Defaults {
  readonly duration?: Bounds
  readonly bpm?: Bounds | "none"
  readonly timesignature?: ReadonlyArray<string> | "none"
  readonly shift?: Bounds | "none"
  readonly steps?: Bounds
  readonly guidance?: Bounds | "none"
  readonly promptStrength?: Bounds
  readonly creativity?: Bounds | "none"
}

const documented = (modelId: string): Defaults => {
  switch (audioFamily(modelId)) {
    case "ace-step": {
      const turbo = modelId.includes("turbo")
      return {
        duration: { min: 10, max: 600 },
        bpm: { min: 30, max: 300 },
        timesignature: ["2", "3", "4", "6"],
        shift: { min: 1, max: 6 },
        steps: turbo ? { min: 4, max: 16 } : { min: 10, max: 200 },
        guidance: turbo ? "none" : { min: 1, max: 15 },
        promptStrength: { min: 0, max: 10 },
        creativity: { min: 0, max: 2 }
      }
    }
    case "minimax-music":
      return {
        duration: { min: 10, max: 300 },
        bpm: "none",
        timesignature: "none",
        shift: "none",
        steps: { min: 10, max: 100 },
        guidance: { min: 1, max: 5 },
        promptStrength: { min: 0, max: 10 }
      }
    case "tts":
      return { bpm: "none", timesignature: "none", shift: "none", creativity: "none" }
    case "other":
      return {}
  }
}

const rangeOrNone = (
  field: string,
  value: number | undefined,
  tier: Bounds | undefined,
  fallback: Bounds | "none" | undefined,
  modelId: string
): Check => {
  if (value === undefined) return undefined
  if (tier !== undefined) return inRange(field, value, tier)
  if (fallback === "none") return invalid(field, "forbidden", `${modelId} has no ${field} control`)
  return inRange(field, value, fallback)
}

const choiceOrNone = (
  field: string,
  value: string | undefined,
  tier: TierChoice | undefined,
  fallback: ReadonlyArray<string> | "none" | undefined,
  modelId: string
): Check => {
  if (value === undefined) return undefined
  if (tier !== undefined && tier.allowed.length > 0) return oneOf(field, value, tier.allowed)
  if (fallback === "none") return invalid(field, "forbidden", `${modelId} has no ${field} control`)
  return fallback === undefined ? undefined : oneOf(field, value, fallback)
}

/** Key names like `C major`, `F# minor`, `B♭ major`. @internal */
export const KEYSCALE = /^[A-G](?:#|b|♯|♭)?\s+(?:major|minor)$/i

/** Every audio-specific rule (tier-wide steps/guidance/sampler are checked by the caller). @internal */
export const validateAudio = (p: AudioParams, options: ModelOptions): Check => {
  const d = documented(p.modelId)
  const id = p.modelId
  const family = audioFamily(id)
  return first(
    () => inRange("duration", p.duration, options.duration ?? d.duration, "Audio duration"),
    () => rangeOrNone("bpm", p.bpm, options.bpm, d.bpm, id),
    () => choiceOrNone("timesignature", p.timesignature, options.timesignature, d.timesignature, id),
    () => choiceOrNone("language", p.language, options.language, undefined, id),
    () =>
      options.keyscale !== undefined && options.keyscale.allowed.length > 0
        ? oneOf("keyscale", p.keyscale, options.keyscale.allowed)
        : p.keyscale !== undefined && family === "ace-step" && !KEYSCALE.test(p.keyscale.trim())
        ? invalid("keyscale", "format", `keyscale must look like "C major" or "A minor", got ${JSON.stringify(p.keyscale)}`)
        : undefined,
    () => rangeOrNone("shift", p.shift, options.shift, d.shift, id),
    () => rangeOrNone("promptStrength", p.promptStrength, options.promptStrength, d.promptStrength, id),
    () => rangeOrNone("creativity", p.creativity, options.creativity, d.creativity, id),
    () => (options.steps === undefined ? inRange("steps", p.steps, d.steps) : undefined),
    () => (options.guidance === undefined ? rangeOrNone("guidance", p.guidance, undefined, d.guidance, id) : undefined),
    () => choiceOrNone("speaker", p.speaker, options.speaker, undefined, id),
    () => need("instruct", !(options.instruct?.required ?? false) || (p.instruct ?? "").trim().length > 0, `${id} requires instruct`),
    () =>
      p.instruct !== undefined && options.instruct?.maxLength !== undefined && p.instruct.length > options.instruct.maxLength
        ? invalid("instruct", "max-length", `instruct must be at most ${options.instruct.maxLength} characters`)
        : undefined,
    () =>
      p.referenceText !== undefined && options.referenceText?.maxLength !== undefined &&
        p.referenceText.length > options.referenceText.maxLength
        ? invalid("referenceText", "max-length", `referenceText must be at most ${options.referenceText.maxLength} characters`)
        : undefined,
    () => need("referenceAudio", !options.requiresReferenceAudio || p.referenceAudio !== undefined, `${id} requires referenceAudio (voice clone sample)`),
    () =>
      forbid("referenceAudio", p.referenceAudio !== undefined && !options.acceptsReferenceAudio, `${id} does not accept referenceAudio`)
  )
}
