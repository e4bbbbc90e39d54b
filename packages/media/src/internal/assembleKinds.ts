/**
 * How a video or an audio project fills its keyframe (the `…ContentType` annotations of video assets
 * included). These travel with the video and audio rule sets (`internal/kindChecks.ts`), which
 * `Projects.prepare` loads on the first video or audio project, so an image-only program never carries
 * them; `JobRequestBuilder.build` still has them for direct callers.
 *
 * @internal
 */
import * as Option from "effect/Option"
import * as FrameMath from "../FrameMath.js"
import type * as Params from "../Params.js"
import type { ModelOptions } from "./validateCommon.js"
import { h3Slots, has, videoContextSlots, wireChoice } from "./validateCommon.js"

/** The content type of an asset, by its upload key (declared by the caller, else sniffed from its bytes). */
export type ContentTypeOf = (key: string, media: Params.MediaInput | undefined) => string | undefined

const nonEmptyUrls = (list: ReadonlyArray<string> | undefined): Array<string> =>
  (list ?? []).filter((u) => u.trim().length > 0)

export const applyVideo = (kf: Record<string, unknown>, p: Params.VideoParams, options: ModelOptions): void => {
  const family = Option.getOrUndefined(FrameMath.videoFamily(p.modelId))
  const h3Reference = FrameMath.isH3Reference(p.modelId)
  if (has(p.referenceImage)) kf.hasReferenceImage = true
  for (const { slot } of videoContextSlots(p)) kf[`hasContextImage${slot}`] = true
  const imageUrls = nonEmptyUrls(p.referenceImageUrls)
  if (imageUrls.length > 0) kf.referenceImageURLs = imageUrls
  if (has(p.referenceImageEnd)) kf.hasReferenceImageEnd = true
  if (h3Reference) {
    for (const { slot } of h3Slots(p.referenceAudio, p.referenceAudios)) kf[`hasReferenceAudio${slot}`] = true
  } else if (has(p.referenceAudio)) {
    kf.hasReferenceAudio = true
  }
  const audioUrls = nonEmptyUrls(p.referenceAudioUrls)
  if (audioUrls.length > 0) kf.referenceAudioURLs = audioUrls
  if (h3Reference) {
    for (const { slot } of h3Slots(p.referenceVideo, p.referenceVideos)) {
      kf[`hasReferenceVideo${slot}`] = true
      const seconds = p.referenceVideoDurations?.[slot - 1]
      if (seconds !== undefined) kf[`referenceVideo${slot}DurationSeconds`] = seconds
    }
  } else if (has(p.referenceVideo)) {
    kf.hasReferenceVideo = true
  }
  if (has(p.referenceMask) && p.controlNet?.name === "inpaint") kf.hasReferenceMask = true
  const videoUrls = nonEmptyUrls(p.referenceVideoUrls)
  if (videoUrls.length > 0) kf.referenceVideoURLs = videoUrls
  if (has(p.referenceAudioIdentity)) kf.hasReferenceAudioIdentity = true
  if (p.generateAudio !== undefined) kf.generateAudio = p.generateAudio
  if (p.referenceFileUrl !== undefined) kf.referenceFileURL = p.referenceFileUrl
  if (p.referenceLinkUrl !== undefined) kf.referenceLinkURL = p.referenceLinkUrl
  if (p.promptExtend !== undefined) kf.promptExtend = p.promptExtend
  if (p.watermark !== undefined) kf.watermark = p.watermark
  if (p.ratio !== undefined) kf.ratio = p.ratio
  if (p.returnLastFrame !== undefined) kf.returnLastFrame = p.returnLastFrame
  if (p.seedanceTaskType !== undefined) kf.seedanceTaskType = p.seedanceTaskType
  if (p.audioIdentityStrength !== undefined) kf.identityGuidanceScale = p.audioIdentityStrength
  const fps = p.fps ?? Option.getOrUndefined(FrameMath.wireDefaultFps(p.modelId))
  if (fps !== undefined) kf.fps = fps
  if (p.frames !== undefined) kf.frames = p.frames
  if (p.duration !== undefined && !(family === "flashvsr" && p.frames !== undefined)) {
    kf.frames = FrameMath.framesFor(p.modelId, p.duration, p.fps)
  }
  if (p.shift !== undefined) kf.shift = p.shift
  if (p.teacacheThreshold !== undefined) kf.teacacheThreshold = p.teacacheThreshold
  if (p.audioStart !== undefined) kf.audioStart = p.audioStart
  if (p.audioDuration !== undefined) kf.audioDuration = p.audioDuration
  if (p.videoStart !== undefined) kf.videoStart = p.videoStart
  if (p.sam2Coordinates !== undefined) kf.sam2Coordinates = JSON.stringify(p.sam2Coordinates)
  if (p.trimEndFrame) kf.trimEndFrame = true
  if (p.firstFrameStrength !== undefined) kf.firstFrameStrength = p.firstFrameStrength
  if (p.lastFrameStrength !== undefined) kf.lastFrameStrength = p.lastFrameStrength
  if (p.controlNet) {
    kf.currentControlNetsJob = [
      p.controlNet.strength !== undefined
        ? { name: p.controlNet.name, controlStrength: p.controlNet.strength }
        : { name: p.controlNet.name }
    ]
  }
  if (p.detailerStrength !== undefined) kf.detailerStrength = p.detailerStrength
  if (p.width && p.height) {
    kf.width = p.width
    kf.height = p.height
  }
  if (p.outpaintPosition !== undefined) kf.outpaintPosition = p.outpaintPosition
  kf.comfySampler = wireChoice(p.sampler, options.sampler)
  kf.comfyScheduler = wireChoice(p.scheduler, options.scheduler)
  if (family === "flashvsr") {
    kf.upscaleResolution = p.upscaleResolution ?? Math.min(Number(p.width), Number(p.height))
    kf.steps = 1
    kf.seed = p.seed ?? 0
    kf.detailPreference = p.detailPreference ?? "stable"
    kf.processingSpeed = p.processingSpeed ?? "stable"
    kf.generateAudio = true
    kf.interpolation = "none"
  }
}

export const applyAudio = (kf: Record<string, unknown>, p: Params.AudioParams, options: ModelOptions): void => {
  for (
    const key of [
      "duration",
      "bpm",
      "timesignature",
      "language",
      "lyrics",
      "keyscale",
      "composerMode",
      "promptStrength",
      "creativity",
      "shift",
      "speaker",
      "instruct",
      "referenceText"
    ] as const
  ) {
    if (p[key] !== undefined) kf[key] = p[key]
  }
  if (has(p.referenceAudio)) kf.hasReferenceAudio = true
  kf.comfySampler = wireChoice(p.sampler, options.sampler)
  kf.comfyScheduler = wireChoice(p.scheduler, options.scheduler)
}

/** `…ContentType` annotations for uploaded video assets (the client annotates bytes only). */
export const annotateVideo = (kf: Record<string, unknown>, p: Params.VideoParams, ct: ContentTypeOf): void => {
  const h3Reference = FrameMath.isH3Reference(p.modelId)
  const set = (field: string, key: string, media: Params.MediaInput | undefined) => {
    const value = ct(key, media)
    if (value !== undefined) kf[field] = value
  }
  set("referenceImageContentType", "referenceImage", p.referenceImage)
  set("referenceImageEndContentType", "referenceImageEnd", p.referenceImageEnd)
  if (!h3Reference) set("referenceAudioContentType", "referenceAudio", p.referenceAudio)
  if (p.referenceAudioIdentity !== undefined) {
    const value = ct("referenceAudioIdentity", p.referenceAudioIdentity)
    if (value !== undefined) {
      kf.referenceAudioIdentityContentType = value
      if (kf.referenceAudioContentType === undefined) kf.referenceAudioContentType = value
    }
  }
  if (!h3Reference) set("referenceVideoContentType", "referenceVideo", p.referenceVideo)
  if (h3Reference) {
    for (const { media, slot } of h3Slots(p.referenceAudio, p.referenceAudios)) {
      set(`referenceAudio${slot}ContentType`, `referenceAudio${slot}`, media)
    }
    for (const { media, slot } of h3Slots(p.referenceVideo, p.referenceVideos)) {
      set(`referenceVideo${slot}ContentType`, `referenceVideo${slot}`, media)
    }
  }
  if (p.controlNet?.name === "inpaint") set("referenceMaskContentType", "referenceMask", p.referenceMask)
}
