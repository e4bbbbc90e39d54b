/**
 * Video-project rules (media.md §10.2): assets per workflow, vendor reference limits, MiniMax H3 fixed
 * rules, FlashVSR, frames / fps / duration, sizes and ControlNet.
 *
 * @internal
 */
import * as Option from "effect/Option"
import * as FrameMath from "../FrameMath.js"
import type { VideoParams } from "../Params.js"
import type { Check, ModelOptions } from "./validateCommon.js"
import { atMost, first, forbid, h3Slots, has, httpsOnly, inRange, invalid, isHttpsUrl, need, oneOf } from "./validateCommon.js"

type Requirement = "required" | "optional" | "forbidden"
/** The single-file assets the workflow table speaks about. @internal */
export type VideoAsset =
  | "referenceImage"
  | "referenceImageEnd"
  | "referenceAudio"
  | "referenceAudioIdentity"
  | "referenceVideo"
  | "referenceMask"
type Table = { readonly [K in VideoAsset]: Requirement }

function row(i: Requirement, e: Requirement, a: Requirement, id: Requirement, v: Requirement, m: Requirement): Table {
  return {
    referenceImage: i,
    referenceImageEnd: e,
    referenceAudio: a,
    referenceAudioIdentity: id,
    referenceVideo: v,
    referenceMask: m
  }
}
const R = "required", O = "optional", F = "forbidden"

/** Assets per workflow (media.md §10.2.3). @internal */
export const WORKFLOW_ASSETS: { readonly [K in FrameMath.VideoWorkflow]: Table } = {
  upscale: row(F, F, F, F, R, F),
  t2v: row(F, F, F, O, F, F),
  i2v: row(O, O, F, O, F, F),
  flf2v: row(R, R, F, F, F, F),
  flfa2v: row(R, R, R, F, F, F),
  s2v: row(R, F, R, F, F, F),
  ia2v: row(R, F, R, F, F, F),
  a2v: row(F, F, R, F, F, F),
  "animate-move": row(R, F, F, F, R, F),
  "animate-replace": row(R, F, F, F, R, F),
  v2v: row(O, F, F, O, R, O),
  r2v: row(O, F, F, F, F, F)
}
const H3_R2V_ASSETS = row(O, F, O, F, O, F)
const H3_I2V_ASSETS = row(O, O, F, F, F, F)

/** The asset table of a concrete model id (H3 r2v and i2v differ from the generic rows). @internal */
export function assetRequirements(modelId: string): Table | undefined {
  const workflow = Option.getOrUndefined(FrameMath.videoWorkflow(modelId))
  if (workflow === undefined) return undefined
  const h3 = Option.getOrUndefined(FrameMath.videoFamily(modelId)) === "minimax-h3"
  if (h3 && workflow === "r2v") return H3_R2V_ASSETS
  if (h3 && workflow === "i2v") return H3_I2V_ASSETS
  return WORKFLOW_ASSETS[workflow]
}

function urls(list: ReadonlyArray<string> | undefined): number {
  return list?.filter((u) => u.trim().length > 0).length ?? 0
}

const SEEDANCE_LIMITS: Readonly<Record<string, { images: number; videos: number; audios: number; assets: number }>> = {
  "seedance-2-0": { images: 9, videos: 3, audios: 3, assets: 12 },
  "seedance-2-0-mini": { images: 9, videos: 3, audios: 3, assets: 12 },
  "seedance-2-0-fast": { images: 9, videos: 3, audios: 3, assets: 12 },
  "seedance-2-5": { images: 30, videos: 10, audios: 10, assets: 50 }
}

function checkUrlsHttps(p: VideoParams): Check {
  return first(
    () => httpsOnly("referenceImageUrls", p.referenceImageUrls),
    () => httpsOnly("referenceVideoUrls", p.referenceVideoUrls),
    () => httpsOnly("referenceAudioUrls", p.referenceAudioUrls)
  )
}

function checkSeedance(p: VideoParams): Check {
  const is25 = FrameMath.isSeedance25(p.modelId)
  const task = p.seedanceTaskType
  const hasFrames = has(p.referenceImage) || has(p.referenceImageEnd)
  const hasRefVideo = has(p.referenceVideo) || urls(p.referenceVideoUrls) > 0
  const loose = urls(p.referenceImageUrls) > 0 || hasRefVideo || has(p.referenceAudio) || urls(p.referenceAudioUrls) > 0
  const limits = SEEDANCE_LIMITS[p.modelId]!
  const images = (has(p.referenceImage) ? 1 : 0) + (has(p.referenceImageEnd) ? 1 : 0) + urls(p.referenceImageUrls)
  const videos = (has(p.referenceVideo) ? 1 : 0) + urls(p.referenceVideoUrls)
  const audios = (has(p.referenceAudio) || has(p.referenceAudioIdentity) ? 1 : 0) + urls(p.referenceAudioUrls)
  return first(
    () => forbid("seedanceTaskType", task !== undefined && !is25, "seedanceTaskType is supported only by Seedance 2.5"),
    () => (is25 ? need("seedanceTaskType", task !== undefined || !loose, "Seedance 2.5 loose-reference requests require seedanceTaskType") : undefined),
    () =>
      is25 && task !== undefined && hasFrames
        ? invalid("seedanceTaskType", "exclusive", "seedanceTaskType is for loose-reference, edit or extend requests; omit it with first/last-frame anchors")
        : undefined,
    () =>
      is25 && (task === "edit" || task === "extend")
        ? need("referenceVideo", hasRefVideo, `Seedance 2.5 ${task} requires at least one reference video`)
        : undefined,
    () =>
      is25 && task === "reference"
        ? need("referenceImageUrls", loose, "Seedance 2.5 reference requires at least one loose image, video, or audio reference")
        : undefined,
    () => checkUrlsHttps(p),
    () => atMost("referenceImageUrls", images, limits.images, `${p.modelId} supports at most ${limits.images} image assets`),
    () => atMost("referenceVideoUrls", videos, limits.videos, `${p.modelId} supports at most ${limits.videos} video assets`),
    () => atMost("referenceAudioUrls", audios, limits.audios, `${p.modelId} supports at most ${limits.audios} audio assets`),
    () => atMost("referenceImageUrls", images + videos + audios, limits.assets, `${p.modelId} supports at most ${limits.assets} total asset files`),
    () =>
      !is25 && audios > 0 && images === 0 && videos === 0
        ? invalid("referenceImage", "required", "Seedance audio references require at least one image or video reference")
        : undefined
  )
}

function checkHappyHorse(p: VideoParams): Check {
  const workflow = Option.getOrUndefined(FrameMath.videoWorkflow(p.modelId))
  const images = (has(p.referenceImage) ? 1 : 0) + urls(p.referenceImageUrls)
  return first(
    () => checkUrlsHttps(p),
    () => forbid("referenceVideo", has(p.referenceVideo), "HappyHorse models do not support reference video assets"),
    () => forbid("referenceVideoUrls", urls(p.referenceVideoUrls) > 0, "HappyHorse models do not support reference video assets"),
    () => forbid("referenceAudio", has(p.referenceAudio), "HappyHorse models do not support reference audio assets"),
    () => forbid("referenceAudioIdentity", has(p.referenceAudioIdentity), "HappyHorse models do not support reference audio assets"),
    () => forbid("referenceAudioUrls", urls(p.referenceAudioUrls) > 0, "HappyHorse models do not support reference audio assets"),
    () => forbid("referenceImageEnd", has(p.referenceImageEnd), "HappyHorse models do not support a separate end-frame image"),
    () => {
      if (workflow === "i2v") {
        return images === 0
          ? invalid("referenceImage", "required", "HappyHorse i2v requires exactly one first-frame reference image")
          : atMost("referenceImageUrls", images, 1, "HappyHorse i2v requires exactly one first-frame reference image")
      }
      if (workflow === "r2v") {
        return images === 0
          ? invalid("referenceImageUrls", "min-count", "HappyHorse r2v requires between 1 and 9 reference images")
          : atMost("referenceImageUrls", images, 9, "HappyHorse r2v requires between 1 and 9 reference images")
      }
      return first(
        () => forbid("referenceImage", has(p.referenceImage), "HappyHorse t2v does not support reference images"),
        () => forbid("referenceImageUrls", images > 0, "HappyHorse t2v does not support reference images")
      )
    }
  )
}

function checkWan3(p: VideoParams): Check {
  const enhanced = FrameMath.isWan3Enhanced(p.modelId)
  const looseImages = urls(p.referenceImageUrls)
  const videos = (has(p.referenceVideo) ? 1 : 0) + urls(p.referenceVideoUrls)
  const audios = (has(p.referenceAudio) ? 1 : 0) + urls(p.referenceAudioUrls)
  const anchors = has(p.referenceImage) || has(p.referenceImageEnd)
  const documents = Boolean(p.referenceFileUrl) || Boolean(p.referenceLinkUrl)
  const loose = looseImages > 0 || videos > 0 || audios > 0 || documents
  return first(
    () => checkUrlsHttps(p),
    () =>
      p.referenceFileUrl !== undefined && !isHttpsUrl(p.referenceFileUrl)
        ? invalid("referenceFileUrl", "https-only", "referenceFileUrl must be a valid public HTTPS URL")
        : undefined,
    () =>
      p.referenceLinkUrl !== undefined && !isHttpsUrl(p.referenceLinkUrl)
        ? invalid("referenceLinkUrl", "https-only", "referenceLinkUrl must be a valid public HTTPS URL")
        : undefined,
    () =>
      p.referenceFileUrl && p.referenceLinkUrl
        ? invalid("referenceLinkUrl", "exclusive", "Wan 3 accepts either one reference file or one reference link, not both")
        : undefined,
    () => forbid(p.referenceFileUrl ? "referenceFileUrl" : "referenceLinkUrl", enhanced && documents, "Wan 3.0 Enhanced does not accept document or webpage references"),
    () => forbid("watermark", enhanced && p.watermark !== undefined, "Wan 3.0 Enhanced does not expose a watermark option"),
    () => forbid("referenceAudioIdentity", has(p.referenceAudioIdentity), "Wan 3 does not support audio-identity inputs"),
    () => forbid("referenceMask", has(p.referenceMask), "Wan 3 does not support mask inputs"),
    () => inRange("seed", p.seed, { min: 0, max: 2_147_483_647 }, "Wan 3 seed"),
    () =>
      !enhanced
        ? need("referenceImage", !has(p.referenceImageEnd) || has(p.referenceImage), "Wan 3 last-frame generation requires a first-frame referenceImage")
        : undefined,
    () =>
      anchors && loose
        ? invalid("referenceImage", "exclusive", "Wan 3 first/last-frame anchors cannot be combined with loose media, file, or link references")
        : undefined,
    () => atMost("referenceImageUrls", looseImages, 10, "Wan 3 supports at most 10 reference images"),
    () => atMost("referenceVideoUrls", videos, 5, "Wan 3 supports at most 5 reference videos"),
    () => atMost("referenceAudioUrls", audios, 5, "Wan 3 supports at most 5 reference audio clips"),
    () =>
      need(
        "positivePrompt",
        (p.positivePrompt ?? "").trim().length > 0 || anchors || loose,
        "Wan 3 requires a prompt or at least one media, file, or link input"
      )
  )
}

function checkH3References(p: VideoParams): Check {
  const videos = h3Slots(p.referenceVideo, p.referenceVideos)
  const audios = h3Slots(p.referenceAudio, p.referenceAudios)
  const images = (has(p.referenceImage) ? 1 : 0) + (p.contextImages?.length ?? 0)
  const durations = p.referenceVideoDurations
  return first(
    () => {
      for (const key of ["referenceImageUrls", "referenceVideoUrls", "referenceAudioUrls"] as const) {
        if (p[key] !== undefined) {
          return invalid(key, "forbidden", `MiniMax H3 r2v does not accept ${key}; upload the files instead`)
        }
      }
      return undefined
    },
    () => {
      if (durations === undefined) return undefined
      if (durations.length !== videos.length) {
        return invalid(
          "referenceVideoDurations",
          "count",
          `referenceVideoDurations must contain one entry per reference video (expected ${videos.length})`
        )
      }
      const eps = 0.05
      const bad = durations.findIndex((d) => d < 2 - eps || d > 15 + eps)
      if (bad >= 0) {
        return invalid(`referenceVideoDurations[${bad}]`, "range", `referenceVideoDurations[${bad}] must be between 2 and 15 seconds`)
      }
      const total = durations.reduce((a, b) => a + b, 0)
      return total > 15 + eps
        ? invalid("referenceVideoDurations", "range", `MiniMax H3 r2v reference videos may total at most 15 seconds (got ${total})`)
        : undefined
    },
    () => atMost("contextImages", images, 9, `MiniMax H3 r2v supports at most 9 uploaded reference images (got ${images})`),
    () => atMost("referenceVideos", videos.length, 3, `MiniMax H3 r2v supports at most 3 uploaded reference videos (got ${videos.length})`),
    () => atMost("referenceAudios", audios.length, 3, `MiniMax H3 r2v supports at most 3 uploaded reference audios (got ${audios.length})`),
    () =>
      atMost(
        "contextImages",
        images + videos.length + audios.length,
        12,
        `MiniMax H3 r2v supports at most 12 reference files in total (got ${images + videos.length + audios.length})`
      ),
    () =>
      need(
        "referenceImage",
        images + videos.length >= 1,
        "MiniMax H3 r2v needs at least one uploaded visual reference (referenceImage/contextImages or referenceVideo/referenceVideos)"
      )
  )
}

function checkAssetTable(p: VideoParams): Check {
  const workflow = Option.getOrUndefined(FrameMath.videoWorkflow(p.modelId))
  const table = assetRequirements(p.modelId)
  if (workflow === undefined || table === undefined) return undefined
  return first(
    () =>
      workflow === "i2v"
        ? need(
          "referenceImage",
          has(p.referenceImage) || has(p.referenceImageEnd),
          "i2v workflow requires at least one of referenceImage or referenceImageEnd"
        )
        : undefined,
    () => {
      for (const asset of Object.keys(table) as ReadonlyArray<VideoAsset>) {
        const present = has(p[asset])
        if (table[asset] === "required" && !present) {
          return invalid(asset, "required", `${workflow} workflow requires ${asset}`)
        }
        if (table[asset] === "forbidden" && present) {
          return invalid(asset, "forbidden", `${workflow} workflow does not support ${asset}`)
        }
      }
      return undefined
    }
  )
}

function checkFlashVsr(p: VideoParams): Check {
  const resolution = p.upscaleResolution ?? (p.width !== undefined && p.height !== undefined ? Math.min(p.width, p.height) : undefined)
  return first(
    () =>
      resolution === undefined
        ? invalid("upscaleResolution", "required", "Choose upscaleResolution 1080 or 1440 for video upscaling")
        : oneOf("upscaleResolution", resolution, [1080, 1440]),
    () => need("fps", p.frames !== undefined || p.duration === undefined || p.fps !== undefined, "A FlashVSR duration needs the source's exact fps (or give frames)"),
    () => inRange("fps", p.fps, { min: 1, max: 60 }, "FlashVSR source fps"),
    () => forbid("positivePrompt", (p.positivePrompt ?? "").trim().length > 0, "FlashVSR is promptless"),
    () => forbid("negativePrompt", (p.negativePrompt ?? "").trim().length > 0, "FlashVSR is promptless"),
    () => {
      const controls: ReadonlyArray<readonly [string, boolean]> = [
        ["teacacheThreshold", p.teacacheThreshold !== undefined],
        ["trimEndFrame", p.trimEndFrame === true],
        ["controlNet", p.controlNet !== undefined],
        ["videoStart", p.videoStart !== undefined],
        ["referenceVideoUrls", urls(p.referenceVideoUrls) > 0],
        ["referenceImageUrls", urls(p.referenceImageUrls) > 0],
        ["referenceAudioUrls", urls(p.referenceAudioUrls) > 0],
        ["referenceFileUrl", Boolean(p.referenceFileUrl)],
        ["referenceLinkUrl", Boolean(p.referenceLinkUrl)],
        ["generateAudio", p.generateAudio === false]
      ]
      const hit = controls.find(([, present]) => present)
      return hit === undefined
        ? undefined
        : invalid(hit[0], "forbidden", "Video upscaling preserves the complete source video and its audio; generation controls are unsupported")
    },
    () => atMost("numberOfMedia", p.numberOfMedia ?? 1, 1, "Upscale one source video per project")
  )
}

function checkH3(p: VideoParams): Check {
  const steps = FrameMath.h3Steps(p.modelId)
  const audioGuide = FrameMath.isH3AudioGuide(p.modelId)
  const { width, height } = p
  return first(
    () => (p.fps !== undefined && p.fps !== 24 ? invalid("fps", "fixed", "MiniMax H3 fps is fixed at 24") : undefined),
    () => (p.steps !== undefined && p.steps !== steps ? invalid("steps", "fixed", `MiniMax H3 steps are fixed at ${steps} for ${p.modelId}`) : undefined),
    () => (p.guidance !== undefined && p.guidance !== 1 ? invalid("guidance", "fixed", "MiniMax H3 guidance is fixed at 1") : undefined),
    () => forbid("negativePrompt", (p.negativePrompt ?? "").trim().length > 0, "MiniMax H3 has no negative prompt; put exclusions in positivePrompt"),
    () =>
      p.frames !== undefined && !FrameMath.isOnH3Grid(p.frames)
        ? invalid("frames", "grid", "MiniMax H3 frames must be 124 + n*17 in the inclusive range 124-362")
        : undefined,
    () =>
      width !== undefined && height !== undefined &&
        (width % 32 !== 0 || height % 32 !== 0 || width < 32 || height < 32 || width > 1344 || height > 1344 ||
          width * height > FrameMath.H3.maxPixels)
        ? invalid("width", "grid", "MiniMax H3 dimensions must use a 32px grid, stay at or below 1344px per axis, and fit within 1,032,192 pixels")
        : undefined,
    () => forbid("audioDuration", p.audioDuration !== undefined, "MiniMax H3 has no audioDuration input; set duration or frames"),
    () =>
      audioGuide
        ? first(
          () => forbid("generateAudio", p.generateAudio === false, "MiniMax H3 audio-guide output always carries the uploaded audio"),
          () => forbid("loras", (p.loras?.length ?? 0) > 0, "MiniMax H3 audio-guide workflows do not support LoRAs"),
          () => forbid("loraStrengths", (p.loraStrengths?.length ?? 0) > 0, "MiniMax H3 audio-guide workflows do not support LoRAs")
        )
        : forbid("audioStart", p.audioStart !== undefined, "audioStart is supported only by the MiniMax H3 FastH3 audio-guide workflows")
  )
}

/** The frame count the request will carry, when it carries one. @internal */
export function effectiveFrames(p: VideoParams): number | undefined {
  const family = Option.getOrUndefined(FrameMath.videoFamily(p.modelId))
  if (p.duration !== undefined && !(family === "flashvsr" && p.frames !== undefined)) {
    return FrameMath.framesFor(p.modelId, p.duration, p.fps)
  }
  return p.frames
}

function checkTiming(p: VideoParams, options: ModelOptions): Check {
  const family = Option.getOrUndefined(FrameMath.videoFamily(p.modelId))!
  const rule = Option.getOrUndefined(FrameMath.fpsRule(p.modelId))
  const durationRange = Option.getOrUndefined(FrameMath.durationRange(p.modelId, p.fps))
  return first(
    () => {
      if (p.fps === undefined || rule === undefined) return undefined
      if (rule._tag === "Range") return inRange("fps", p.fps, rule)
      return rule.values.length === 1
        ? p.fps === rule.values[0] ? undefined : invalid("fps", "fixed", `${p.modelId} fps is fixed at ${rule.values[0]}`)
        : oneOf("fps", p.fps, rule.values)
    },
    () => (family === "flashvsr" || options.fps === undefined || options.fps.allowed.length === 0 ? undefined : oneOf("fps", p.fps, options.fps.allowed)),
    () => (family === "flashvsr" && p.frames !== undefined ? undefined : inRange("duration", p.duration, durationRange, "Video duration")),
    () => {
      if (family === "flashvsr" || options.frames === undefined) return undefined
      const frames = effectiveFrames(p)
      return inRange(p.duration !== undefined ? "duration" : "frames", frames, options.frames, `Frame count (${frames})`)
    }
  )
}

function checkSize(p: VideoParams, options: ModelOptions): Check {
  const family = Option.getOrUndefined(FrameMath.videoFamily(p.modelId))
  const { width, height } = p
  return first(
    () => need("height", width === undefined || height !== undefined, "width and height must be given together"),
    () => need("width", height === undefined || width !== undefined, "width and height must be given together"),
    () => (family === "minimax-h3" ? undefined : inRange("width", width, { min: 480, max: Infinity }, "Video width")),
    () => (family === "minimax-h3" ? undefined : inRange("height", height, { min: 480, max: Infinity }, "Video height")),
    () => (family === "flashvsr" ? undefined : inRange("width", width, options.width, "Video width")),
    () => (family === "flashvsr" ? undefined : inRange("height", height, options.height, "Video height")),
    () =>
      family !== "flashvsr" && options.maxPixels !== undefined && width !== undefined && height !== undefined &&
        width * height > options.maxPixels
        ? invalid("width", "range", `width × height must be at most ${options.maxPixels} pixels, got ${width * height}`)
        : undefined
  )
}

function checkControls(p: VideoParams, options: ModelOptions): Check {
  const workflow = Option.getOrUndefined(FrameMath.videoWorkflow(p.modelId))
  const family = Option.getOrUndefined(FrameMath.videoFamily(p.modelId))
  return first(
    () => inRange("shift", p.shift, options.shift ?? { min: 1, max: 8 }),
    () =>
      family === "flashvsr"
        ? undefined
        : forbid("controlNet", p.controlNet !== undefined && !(family === "ltx2" && workflow === "v2v"), "Video controlNet is supported only by LTX v2v workflows"),
    () => need("referenceMask", p.controlNet?.name !== "inpaint" || has(p.referenceMask), "controlNet inpaint requires referenceMask"),
    () => forbid("referenceMask", has(p.referenceMask) && p.controlNet?.name !== "inpaint", "referenceMask is used only with controlNet inpaint"),
    () => forbid("sam2Coordinates", p.sam2Coordinates !== undefined && workflow !== "animate-replace", "sam2Coordinates is only supported for animate-replace workflows"),
    () => forbid("seed", p.seed === -1 && family !== "flashvsr", "seed −1 (random) is accepted only by FlashVSR; omit seed for a random one")
  )
}

/** Every video-specific rule. @internal */
export function validateVideo(p: VideoParams, options: ModelOptions): Check {
  const family = Option.getOrUndefined(FrameMath.videoFamily(p.modelId))
  if (family === undefined) {
    return invalid("modelId", "model-type", `${p.modelId} is not a known video model; video generation is only supported for video models`)
  }
  const h3Reference = FrameMath.isH3Reference(p.modelId)
  return first(
    () => oneOf("outputFormat", p.outputFormat, FrameMath.isSeedance25(p.modelId) ? ["mp4", "mov"] : ["mp4"]),
    () => forbid("returnLastFrame", p.returnLastFrame === true && !FrameMath.isSeedance25(p.modelId), "Last-frame export is supported only by Seedance 2.5"),
    () => forbid("contextImages", p.contextImages !== undefined && !h3Reference, "contextImages is supported only by the MiniMax H3 r2v workflow"),
    () => forbid("referenceVideos", p.referenceVideos !== undefined && !h3Reference, "referenceVideos is supported only by the MiniMax H3 r2v workflow"),
    () => forbid("referenceAudios", p.referenceAudios !== undefined && !h3Reference, "referenceAudios is supported only by the MiniMax H3 r2v workflow"),
    () => forbid("referenceVideoDurations", p.referenceVideoDurations !== undefined && !h3Reference, "referenceVideoDurations is supported only by the MiniMax H3 r2v workflow"),
    () => {
      switch (family) {
        case "happyhorse":
          return checkHappyHorse(p)
        case "wan3":
          return checkWan3(p)
        case "seedance":
          return checkSeedance(p)
        default: {
          const urlField = (["referenceImageUrls", "referenceVideoUrls", "referenceAudioUrls", "referenceFileUrl", "referenceLinkUrl"] as const)
            .find((k) => p[k] !== undefined)
          return first(
            () => (h3Reference ? checkH3References(p) : undefined),
            () =>
              urlField !== undefined && !h3Reference
                ? invalid(urlField, "forbidden", "External reference URLs are supported only by Seedance, HappyHorse, and Wan 3 models")
                : undefined,
            () => checkAssetTable(p)
          )
        }
      }
    },
    () => (family === "flashvsr" ? checkFlashVsr(p) : undefined),
    () => (family === "minimax-h3" ? checkH3(p) : undefined),
    () => checkTiming(p, options),
    () => checkSize(p, options),
    () => checkControls(p, options)
  )
}
