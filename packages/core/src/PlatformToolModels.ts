/**
 * The model selectors of the Sogni platform tools (tools.md §1.2, §2): the short names a tool's `model`
 * or `videoModel` argument takes (`z-turbo`, `ltx23`, `seedance2`…) and the model id each one routes to,
 * the way the official client (v5.54.0) routes them. One table per kind of request: the same selector
 * names another model for text-to-video than for image-to-video (`ltx23`).
 *
 * The protocol's own selectors come first in every table, then the client's additions, so
 * {@link selectorsOf} answers with the protocol's name of a model before an alias. Nothing here loads
 * the tool manifest or a validator: the tables are plain data, re-exported by `PlatformTools`.
 *
 * @example
 * ```ts
 * import * as PlatformToolModels from "@effect-sogni/core/PlatformToolModels"
 *
 * PlatformToolModels.resolveModelSelector(PlatformToolModels.textToVideoSelectors, "LTX23")
 * // "ltx23-22b-fp8_t2v_distilled"
 * PlatformToolModels.resolveModelSelector(PlatformToolModels.imageModelSelectors, "my_own_model")
 * // "my_own_model": not a selector, so taken as a model id
 * ```
 *
 * @since 0.2.0
 */

/** Selector → model id. @since 0.2.0 */
export type ModelSelectors = Readonly<Record<string, string>>

const gptImageAliases = ["gpt", "gpt-image", "gpt-image-2", "gpt-image2", "gptimage2", "gpt-image-2.0", "chatgpt", "openai"]

const gptImage: ModelSelectors = Object.fromEntries(gptImageAliases.map((alias) => [alias, "gpt-image-2"]))

/**
 * `generate_image.model`: the GPT Image aliases, then the protocol's selectors.
 *
 * @since 0.2.0
 */
export const imageModelSelectors: ModelSelectors = {
  ...gptImage,
  "gpt-image-2.5-sunburst": "gpt-image-2.5-sunburst",
  "gpt-image-2.5-flare": "gpt-image-2.5-flare",
  "gpt-image-2.5": "gpt-image-2.5-flare",
  "z-turbo": "z_image_turbo_bf16",
  "z-image": "z_image_bf16",
  "krea-2-turbo": "krea2_turbo_fp8_scaled",
  "dark-beast-krea2": "dark_beast_krea2_fp8",
  "dark-beast-z-turbo": "dark_beast_z_image_turbo_v9_bf16",
  "chroma-v46-flash": "chroma-v.46-flash_fp8",
  "chroma1-hd": "chroma1-hd_fp8_scaled",
  "chroma-detail": "chroma-v48-detail-svd_fp8",
  "pony-v7": "coreml-cyberrealisticPony_v7",
  "qwen-2512": "qwen_image_2512_fp8",
  "qwen-2512-lightning": "qwen_image_2512_fp8_lightning",
  "albedo-xl": "coreml-albedobaseXL_v31Large",
  "animagine-xl": "coreml-animagineXL40_v4Opt",
  "one-obsession-v22": "one_obsession_v22_fp16",
  "anima-pencil-xl": "coreml-animaPencilXL_v500",
  "art-universe-xl": "coreml-artUniverse_sdxlV60",
  "hyphoria-real": "coreml-hyphoriaRealIllu_v05",
  "analog-madness-xl": "coreml-analogMadnessSDXL_xl2",
  "cyberrealistic-xl": "coreml-cyberrealisticXL_v60",
  "real-dream-xl": "coreml-realDream_sdxlPony11",
  "faetastic-xl": "coreml-sdxlFaetastic_v24",
  "zavychroma-xl": "coreml-zavychromaxl_v80",
  "pony-faetality": "coreml-ponyFaetality_v11",
  "dreamshaper-xl": "coreml-DreamShaper-XL1-Alpha2"
}

/**
 * `edit_image.model`.
 *
 * @since 0.2.0
 */
export const editModelSelectors: ModelSelectors = {
  ...gptImage,
  "gpt-image-2.5-sunburst": "gpt-image-2.5-sunburst",
  "gpt-image-2.5-flare": "gpt-image-2.5-flare",
  "qwen-lightning": "qwen_image_edit_2511_fp8_lightning",
  qwen: "qwen_image_edit_2511_fp8",
  "krea-identity-edit": "krea2_identity_edit_v1_2",
  "dark-beast-krea2-identity-edit": "dark_beast_krea2_identity_edit_v1_2"
}

/** Seedance and Wan 3.0 serve every video workflow under one id. */
const oneIdVideo: ModelSelectors = {
  seedance2: "seedance-2-0",
  "seedance2-mini": "seedance-2-0-mini",
  "seedance2-5": "seedance-2-5",
  "wan3.0-video": "wan3.0-video",
  "wan3.0-spicy-video": "wan3.0-spicy-video"
}

/**
 * `generate_video.videoModel` without reference images (text to video); the MiniMax H3 aliases after
 * the protocol's selectors are the client's patch (tools.md §1.2).
 *
 * @since 0.2.0
 */
export const textToVideoSelectors: ModelSelectors = {
  ltx25: "ltx25-22b-int8_t2v_distilled",
  ltx23: "ltx23-22b-fp8_t2v_distilled",
  wan22: "wan_v2.2-14b-fp8_t2v_lightx2v",
  "minimax-h3-t2v": "minimax-h3-fl2va-fp8_t2v",
  "minimax-h3-t2v-turbo": "minimax-h3-fl2va-fp8_t2v_turbo",
  "minimax-h3-fasth3-t2v-turbo": "minimax-h3-fastvideo-int8_t2v_turbo",
  "minimax-h3-fasth3-t2v-turbo-2stage": "minimax-h3-fastvideo-int8_t2v_turbo_2stage",
  "happyhorse-1.1-t2v": "happyhorse-1.1-t2v",
  ...oneIdVideo,
  "minimax-h3-turbo": "minimax-h3-fl2va-fp8_t2v_turbo",
  "minimax-h3-fasth3-turbo": "minimax-h3-fastvideo-int8_t2v_turbo",
  "minimax-h3-fasth3-turbo-2stage": "minimax-h3-fastvideo-int8_t2v_turbo_2stage",
  "minimax-h3-balanced": "minimax-h3-fl2va-fp8_t2v_balanced",
  "minimax-h3-t2v-balanced": "minimax-h3-fl2va-fp8_t2v_balanced"
}

/**
 * `generate_video.videoModel` with one or two reference images (first, last frame).
 *
 * @since 0.2.0
 */
export const imageToVideoSelectors: ModelSelectors = {
  ltx25: "ltx25-22b-int8_i2v_distilled",
  ltx23: "ltx23-22b-fp8_i2v_distilled",
  wan22: "wan_v2.2-14b-fp8_i2v_lightx2v",
  "happyhorse-1.1-i2v": "happyhorse-1.1-i2v",
  ...oneIdVideo,
  "minimax-h3-turbo": "minimax-h3-fl2va-fp8_i2v_turbo",
  "minimax-h3-fasth3-turbo": "minimax-h3-fastvideo-int8_i2v_turbo",
  "minimax-h3-fasth3-turbo-2stage": "minimax-h3-fastvideo-int8_i2v_turbo_2stage",
  "minimax-h3-balanced": "minimax-h3-fl2va-fp8_i2v_balanced"
}

/**
 * `sound_to_video.videoModel`.
 *
 * @since 0.2.0
 */
export const soundToVideoSelectors: ModelSelectors = {
  "wan-s2v": "wan_v2.2-14b-fp8_s2v_lightx2v",
  "ltx25-ia2v": "ltx25-22b-int8_ia2v_distilled",
  "ltx25-a2v": "ltx25-22b-int8_a2v_distilled",
  "ltx23-ia2v": "ltx23-22b-fp8_ia2v_distilled",
  "ltx23-a2v": "ltx23-22b-fp8_a2v_distilled",
  ...oneIdVideo,
  "minimax-h3-fasth3-ia2v-turbo": "minimax-h3-fastvideo-int8_ia2v_turbo",
  "minimax-h3-fasth3-ia2v-turbo-2stage": "minimax-h3-fastvideo-int8_ia2v_turbo_2stage",
  "minimax-h3-fasth3-flfa2v-turbo": "minimax-h3-fastvideo-int8_flfa2v_turbo",
  "minimax-h3-fasth3-flfa2v-turbo-2stage": "minimax-h3-fastvideo-int8_flfa2v_turbo_2stage",
  "minimax-h3-fasth3-a2v-turbo": "minimax-h3-fastvideo-int8_a2v_turbo",
  "minimax-h3-fasth3-a2v-turbo-2stage": "minimax-h3-fastvideo-int8_a2v_turbo_2stage"
}

/**
 * `video_to_video.videoModel`.
 *
 * @since 0.2.0
 */
export const videoToVideoSelectors: ModelSelectors = {
  "ltx25-v2v": "ltx25-22b-int8_v2v_distilled",
  "ltx23-v2v": "ltx23-22b-fp8_v2v_distilled",
  "wan22-animate": "wan_v2.2-14b-fp8_animate-move_lightx2v",
  seedance2: "seedance-2-0",
  "seedance2-mini": "seedance-2-0-mini",
  "seedance2-5": "seedance-2-5"
}

/**
 * How a selector is looked up: trimmed, lower case, runs of `_` and spaces as one `-` (`"Z_Turbo"` →
 * `"z-turbo"`).
 *
 * @since 0.2.0
 */
export const selectorKey = (value: string): string => value.trim().toLowerCase().replace(/[_\s]+/g, "-")

/**
 * The model a tool's `model` argument names: the table's model id for a selector, the (trimmed) value
 * itself otherwise (already a model id); `undefined` when the value is not a non-empty string.
 *
 * @since 0.2.0
 */
export const resolveModelSelector = (table: ModelSelectors, value: unknown): string | undefined => {
  if (typeof value !== "string" || value.trim().length === 0) return undefined
  return table[selectorKey(value)] ?? value.trim()
}

/**
 * Every selector of a table that routes to a model id, in table order (the protocol's names first).
 *
 * @since 0.2.0
 */
export const selectorsOf = (table: ModelSelectors, modelId: string): ReadonlyArray<string> =>
  Object.keys(table).filter((selector) => table[selector] === modelId)
