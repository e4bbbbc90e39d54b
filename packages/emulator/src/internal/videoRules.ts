/**
 * Server-side admission rules of video `jobRequest`s, per family (media.md §10.2): frame math and frame
 * rates (§10.2.2), the assets each workflow requires, accepts or forbids (§10.2.3), MiniMax H3's fixed
 * rules (§10.2.4), the other parameter ranges (§10.2.5), LTX v2v ControlNet (§10.2.6), vendor URL
 * references (Seedance, HappyHorse, Wan 3) and FlashVSR's source limits (§9.3). A refusal is a message
 * naming the field and the rule.
 *
 * @internal
 */
import { type CatalogModel, H3_MAX_PIXELS, tierRange, type Workflow } from "./catalog.js"
import { probeMp4 } from "./mp4probe.js"
import type { VideoPlan } from "./state.js"
import type { Upload } from "./uploads.js"

/** An admitted video: what is generated, what is billed and what is delivered. @internal */
export interface PlannedVideo {
  readonly video: VideoPlan
  /** The requested canvas (what estimates and charges use). */
  readonly width: number
  readonly height: number
  /** The delivered canvas (2× for H3 two-stage ids, the upscaled size for FlashVSR). */
  readonly outputWidth: number
  readonly outputHeight: number
}

type KeyFrame = Readonly<Record<string, unknown>>

class Refused {
  constructor(readonly message: string) {}
}
const refuse = (message: string): never => {
  throw new Refused(message)
}

const present = (keyFrame: KeyFrame, key: string) => keyFrame[key] !== undefined && keyFrame[key] !== null

const numberOf = (keyFrame: KeyFrame, key: string): number | undefined => {
  const v = keyFrame[key]
  if (v === undefined || v === null) return undefined
  if (typeof v === "number" && Number.isFinite(v)) return v
  if (typeof v === "string" && v.trim().length > 0 && Number.isFinite(Number(v))) return Number(v)
  return refuse(`keyFrames[0].${key} must be a number (got ${JSON.stringify(v)}).`)
}

const inRange = (keyFrame: KeyFrame, key: string, min: number, max: number) => {
  const v = numberOf(keyFrame, key)
  if (v !== undefined && (v < min || v > max)) refuse(`keyFrames[0].${key} must be in ${min}..${max} (got ${v}).`)
  return v
}

const oneOf = (keyFrame: KeyFrame, key: string, allowed: ReadonlyArray<string | number>) => {
  const v = keyFrame[key]
  if (v !== undefined && v !== null && !allowed.includes(v as string | number)) {
    refuse(`keyFrames[0].${key} must be one of ${allowed.join(", ")} (got ${JSON.stringify(v)}).`)
  }
  return v
}

const flag = (keyFrame: KeyFrame, key: string) => keyFrame[key] === true

const urlsOf = (keyFrame: KeyFrame, key: string): ReadonlyArray<string> => {
  const v = keyFrame[key]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.some((u) => typeof u !== "string" || u.length === 0)) {
    return refuse(`keyFrames[0].${key} must be an array of non-empty URL strings.`)
  }
  return v as ReadonlyArray<string>
}

const requireHttps = (key: string, url: string) => {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || parsed.protocol !== "https:") refuse(`keyFrames[0].${key}: references must be https URLs (got ${url}).`)
}

/** The assets a request carries, from its flags and URL references. */
interface Assets {
  readonly image: boolean
  readonly imageEnd: boolean
  readonly audio: boolean
  readonly identity: boolean
  readonly video: boolean
  readonly mask: boolean
  readonly imageUrls: ReadonlyArray<string>
  readonly videoUrls: ReadonlyArray<string>
  readonly audioUrls: ReadonlyArray<string>
}

const assetsOf = (keyFrame: KeyFrame): Assets => ({
  image: flag(keyFrame, "hasReferenceImage"),
  imageEnd: flag(keyFrame, "hasReferenceImageEnd"),
  audio: flag(keyFrame, "hasReferenceAudio") || [1, 2, 3].some((i) => flag(keyFrame, `hasReferenceAudio${i}`)),
  identity: flag(keyFrame, "hasReferenceAudioIdentity"),
  video: flag(keyFrame, "hasReferenceVideo") || [1, 2, 3].some((i) => flag(keyFrame, `hasReferenceVideo${i}`)),
  mask: flag(keyFrame, "hasReferenceMask"),
  imageUrls: urlsOf(keyFrame, "referenceImageURLs"),
  videoUrls: urlsOf(keyFrame, "referenceVideoURLs"),
  audioUrls: urlsOf(keyFrame, "referenceAudioURLs")
})

type Rule = "R" | "O" | "F"
type AssetName = "referenceImage" | "referenceImageEnd" | "referenceAudio" | "referenceAudioIdentity" | "referenceVideo" | "referenceMask"

/** media.md §10.2.3, for worker families (vendor families check their own references below). */
const ASSET_TABLE: Readonly<Record<Exclude<Workflow, "t2v" | "i2v">, Readonly<Record<AssetName, Rule>>>> = {
  flf2v: { referenceImage: "R", referenceImageEnd: "R", referenceAudio: "F", referenceAudioIdentity: "F", referenceVideo: "F", referenceMask: "F" },
  flfa2v: { referenceImage: "R", referenceImageEnd: "R", referenceAudio: "R", referenceAudioIdentity: "F", referenceVideo: "F", referenceMask: "F" },
  ia2v: { referenceImage: "R", referenceImageEnd: "F", referenceAudio: "R", referenceAudioIdentity: "F", referenceVideo: "F", referenceMask: "F" },
  a2v: { referenceImage: "F", referenceImageEnd: "F", referenceAudio: "R", referenceAudioIdentity: "F", referenceVideo: "F", referenceMask: "F" },
  v2v: { referenceImage: "O", referenceImageEnd: "F", referenceAudio: "F", referenceAudioIdentity: "O", referenceVideo: "R", referenceMask: "O" },
  r2v: { referenceImage: "O", referenceImageEnd: "F", referenceAudio: "O", referenceAudioIdentity: "F", referenceVideo: "O", referenceMask: "F" },
  upscale: { referenceImage: "F", referenceImageEnd: "F", referenceAudio: "F", referenceAudioIdentity: "F", referenceVideo: "R", referenceMask: "F" },
  // WAN 2.2 sound-to-video: a portrait and the sound that drives it.
  s2v: { referenceImage: "R", referenceImageEnd: "F", referenceAudio: "R", referenceAudioIdentity: "F", referenceVideo: "F", referenceMask: "F" },
  // WAN 2.2 animate: a character image and the motion video it follows (move) or is placed into (replace).
  "animate-move": { referenceImage: "R", referenceImageEnd: "F", referenceAudio: "F", referenceAudioIdentity: "F", referenceVideo: "R", referenceMask: "F" },
  "animate-replace": { referenceImage: "R", referenceImageEnd: "F", referenceAudio: "F", referenceAudioIdentity: "F", referenceVideo: "R", referenceMask: "F" }
}

const WORKFLOW_NAME: Readonly<Record<Workflow, string>> = {
  t2v: "text-to-video",
  i2v: "image-to-video",
  a2v: "audio-to-video",
  ia2v: "image+audio-to-video",
  v2v: "video-to-video (ControlNet)",
  flf2v: "first/last-frame-to-video",
  flfa2v: "first/last-frame+audio-to-video",
  r2v: "reference-to-video",
  upscale: "video upscale",
  s2v: "sound-to-video",
  "animate-move": "animate (move)",
  "animate-replace": "animate (replace)"
}

const checkAssets = (model: CatalogModel, workflow: Workflow, a: Assets) => {
  const has: Readonly<Record<AssetName, boolean>> = {
    referenceImage: a.image,
    referenceImageEnd: a.imageEnd,
    referenceAudio: a.audio,
    referenceAudioIdentity: a.identity,
    referenceVideo: a.video,
    referenceMask: a.mask
  }
  const what = `${model.id} is ${WORKFLOW_NAME[workflow]}`
  if (workflow === "t2v") {
    if (a.image || a.imageEnd) refuse(`${what}: reference images are not accepted (use the i2v model).`)
    for (const name of ["referenceAudio", "referenceVideo", "referenceMask"] as const) {
      if (has[name]) refuse(`${what}: ${name} is not accepted.`)
    }
    return
  }
  if (workflow === "i2v") {
    if (!a.image && !a.imageEnd) refuse(`${what}: it needs a referenceImage or referenceImageEnd upload.`)
    for (const name of ["referenceAudio", "referenceVideo", "referenceMask"] as const) {
      if (has[name]) refuse(`${what}: ${name} is not accepted.`)
    }
    if (model.family === "h3" && a.identity) refuse(`${what}: MiniMax H3 takes no referenceAudioIdentity.`)
    return
  }
  const table = ASSET_TABLE[workflow]
  for (const [name, rule] of Object.entries(table) as ReadonlyArray<[AssetName, Rule]>) {
    if (rule === "R" && !has[name]) refuse(`${what}: it requires a ${name} upload.`)
    if (rule === "F" && has[name]) refuse(`${what}: ${name} is not accepted.`)
  }
}

const URL_FAMILIES = new Set(["seedance", "happyhorse", "wan3"])

/** Frames from a duration per family (media.md §10.2.2). */
const framesFromDuration = (model: CatalogModel, duration: number, fps: number): number => {
  switch (model.family) {
    case "wan":
      return Math.round(duration * 16) + 1
    case "ltx": {
      const f = Math.round(duration * fps) + 1
      return 8 * Math.round((f - 1) / 8) + 1
    }
    case "h3": {
      const r = Math.round(duration * 24)
      return 124 + 17 * Math.min(14, Math.max(0, Math.round((r - 124) / 17)))
    }
    case "flashvsr":
      return Math.round(duration * fps)
    default:
      return Math.round(duration * fps) + 1
  }
}

const FAMILY_FPS: Readonly<Record<string, number>> = { wan: 16, ltx: 24, seedance: 24, happyhorse: 24, wan3: 30, h3: 24 }

const H3_AUDIO_GUIDE = /^minimax-h3-fastvideo-int8_(?:ia2v|flfa2v|a2v)_turbo(?:_2stage)?$/
const CONTROL_NETS = ["canny", "pose", "depth", "detailer", "outpaint", "inpaint"]
const WAN3_RATIOS = ["adaptive", "16:9", "4:3", "1:1", "3:4", "9:16"]

/** H3 r2v reference sets (media.md §9.3): ≤ 9 images, ≤ 3 videos (2–15 s, ≤ 15 s in all), ≤ 3 audios, ≤ 12 files. */
const checkH3References = (keyFrame: KeyFrame) => {
  const images = (flag(keyFrame, "hasReferenceImage") ? 1 : 0) +
    Array.from({ length: 16 }, (_, i) => flag(keyFrame, `hasContextImage${i + 1}`)).filter(Boolean).length
  const videos = [1, 2, 3].filter((i) => flag(keyFrame, `hasReferenceVideo${i}`))
  const audios = [1, 2, 3].filter((i) => flag(keyFrame, `hasReferenceAudio${i}`)).length
  if (flag(keyFrame, "hasReferenceVideo") || flag(keyFrame, "hasReferenceAudio")) {
    refuse("MiniMax H3 r2v references go to the numbered slots (hasReferenceVideo1..3, hasReferenceAudio1..3).")
  }
  if (images > 9) refuse(`MiniMax H3 r2v takes at most 9 reference images (got ${images}).`)
  if (images + videos.length + audios > 12) refuse(`MiniMax H3 r2v takes at most 12 reference files (got ${images + videos.length + audios}).`)
  if (images + videos.length === 0) refuse("MiniMax H3 r2v needs at least one visual reference (an image or a video).")
  let total = 0
  for (const i of videos) {
    const seconds = inRange(keyFrame, `referenceVideo${i}DurationSeconds`, 2, 15)
    total += seconds ?? 0
  }
  if (total > 15) refuse(`MiniMax H3 r2v reference videos last at most 15 s in all (got ${total} s).`)
}

/** Vendor reference rules (media.md §10.2.3). */
const checkVendorReferences = (model: CatalogModel, keyFrame: KeyFrame, a: Assets) => {
  for (const [key, urls] of [["referenceImageURLs", a.imageUrls], ["referenceVideoURLs", a.videoUrls], ["referenceAudioURLs", a.audioUrls]] as const) {
    for (const url of urls) requireHttps(key, url)
  }
  if (model.family === "happyhorse") {
    if (a.video || a.videoUrls.length > 0 || a.audio || a.audioUrls.length > 0 || a.imageEnd) {
      refuse(`${model.id} takes image references only (no video, audio or end frame).`)
    }
    const images = a.imageUrls.length + (a.image ? 1 : 0)
    if (model.workflow === "t2v" && images > 0) refuse(`${model.id} is text-to-video: no reference images.`)
    if (model.workflow === "i2v" && images !== 1) refuse(`${model.id} needs exactly 1 reference image (got ${images}).`)
    if (model.workflow === "r2v" && (images < 1 || images > 9)) refuse(`${model.id} needs 1–9 reference images (got ${images}).`)
    return
  }
  if (model.family === "wan3") {
    const enhanced = model.id === "wan3.0-spicy-video"
    if (a.imageUrls.length > 10) refuse(`Wan 3 takes at most 10 reference image URLs (got ${a.imageUrls.length}).`)
    if (a.videoUrls.length > 5) refuse(`Wan 3 takes at most 5 reference videos (got ${a.videoUrls.length}).`)
    if (a.audioUrls.length > 5) refuse(`Wan 3 takes at most 5 reference audios (got ${a.audioUrls.length}).`)
    if (a.identity || a.mask) refuse("Wan 3 takes no referenceAudioIdentity and no referenceMask.")
    if (present(keyFrame, "smartDuration")) refuse("keyFrames[0].smartDuration is retired on Wan 3.")
    oneOf(keyFrame, "ratio", WAN3_RATIOS)
    inRange(keyFrame, "seed", 0, 2_147_483_647)
    const file = keyFrame["referenceFileURL"]
    const link = keyFrame["referenceLinkURL"]
    if (present(keyFrame, "referenceFileURL") && present(keyFrame, "referenceLinkURL")) {
      refuse("Wan 3 takes one of referenceFileURL and referenceLinkURL, not both.")
    }
    for (const [key, value] of [["referenceFileURL", file], ["referenceLinkURL", link]] as const) {
      if (value === undefined || value === null) continue
      if (enhanced) refuse(`Wan 3.0 Enhanced does not accept ${key}.`)
      requireHttps(key, String(value))
    }
    const anchors = a.image || a.imageEnd
    if (anchors && a.imageUrls.length + a.videoUrls.length + a.audioUrls.length > 0) {
      refuse("Wan 3 frame anchors (referenceImage/referenceImageEnd) cannot be combined with loose URL references.")
    }
    if (!enhanced && a.imageEnd && !a.image) refuse("Wan 3 needs a start frame (referenceImage) with an end frame.")
  }
}

/** LTX v2v ControlNet (media.md §10.2.6). */
const checkControlNet = (model: CatalogModel, workflow: Workflow, keyFrame: KeyFrame, a: Assets) => {
  const raw = keyFrame["currentControlNetsJob"]
  if (workflow !== "v2v") {
    if (raw !== undefined && raw !== null) refuse(`keyFrames[0].currentControlNetsJob is for LTX v2v only, not ${model.id}.`)
    return
  }
  // The docs do not say v2v must carry a ControlNet, so a plain video-to-video request is admitted.
  if (raw === undefined || raw === null) {
    if (a.mask) refuse("referenceMask is only used by the inpaint ControlNet.")
    return
  }
  if (!Array.isArray(raw) || raw.length !== 1 || typeof raw[0] !== "object" || raw[0] === null) {
    return refuse(`keyFrames[0].currentControlNetsJob must be [{name, controlStrength?}] for ${model.id}.`)
  }
  const cn = raw[0] as Record<string, unknown>
  oneOf(cn, "name", CONTROL_NETS)
  if (typeof cn["name"] !== "string") refuse(`currentControlNetsJob[0].name must be one of ${CONTROL_NETS.join(", ")}.`)
  const strength = cn["controlStrength"]
  if (strength !== undefined && (typeof strength !== "number" || strength < 0 || strength > 1)) {
    refuse(`currentControlNetsJob[0].controlStrength must be in 0..1 (got ${JSON.stringify(strength)}).`)
  }
  const name = cn["name"] as string
  if (name === "inpaint" && !a.mask) refuse("The inpaint ControlNet needs a referenceMask upload.")
  if (name !== "inpaint" && a.mask) refuse(`referenceMask is only used by the inpaint ControlNet (got ${name}).`)
  if (name === "pose" && !a.image) refuse("The pose ControlNet needs a referenceImage upload.")
  if ((name === "inpaint" || name === "outpaint") && model.id.endsWith("_distilled") && !model.id.startsWith("ltx25-")) {
    refuse(`The ${name} ControlNet runs on distilled models only on LTX 2.5; use an LTX 2.5 or dev model instead of ${model.id}.`)
  }
}

/** MiniMax H3 (media.md §10.2.4). */
const checkH3 = (model: CatalogModel, keyFrame: KeyFrame, width: number, height: number, frames: number, fps: number) => {
  if (fps !== 24) refuse(`MiniMax H3 fps is fixed at 24 (got ${fps}).`)
  if (frames < 124 || frames > 362 || (frames - 124) % 17 !== 0) {
    refuse(`MiniMax H3 frames must be on the grid 124 + 17k (124..362); got ${frames}.`)
  }
  if (width % 32 !== 0 || height % 32 !== 0) refuse(`MiniMax H3 width and height must be multiples of 32 (got ${width}x${height}).`)
  if (width * height > H3_MAX_PIXELS) refuse(`MiniMax H3 canvas ${width}x${height} exceeds ${H3_MAX_PIXELS} pixels.`)
  const steps = numberOf(keyFrame, "steps")
  if (steps !== undefined && steps !== model.defaultSteps) refuse(`${model.id} runs a fixed ${model.defaultSteps} steps (got ${steps}).`)
  const guidance = numberOf(keyFrame, "guidanceScale")
  if (guidance !== undefined && guidance !== 1) refuse(`MiniMax H3 guidance is fixed at 1 (got ${guidance}).`)
  if (typeof keyFrame["negativePrompt"] === "string" && keyFrame["negativePrompt"].length > 0) {
    refuse("MiniMax H3 takes no negativePrompt.")
  }
  if (present(keyFrame, "audioDuration")) refuse("keyFrames[0].audioDuration is not accepted by MiniMax H3.")
  if (H3_AUDIO_GUIDE.test(model.id)) {
    if (keyFrame["generateAudio"] === false) refuse(`${model.id} is audio-guided: generateAudio:false is not accepted.`)
    inRange(keyFrame, "audioStart", 0, Number.MAX_SAFE_INTEGER)
    if (Array.isArray(keyFrame["loras"]) && keyFrame["loras"].length > 0) refuse(`${model.id} takes no LoRAs.`)
  } else if (present(keyFrame, "audioStart")) {
    refuse(`keyFrames[0].audioStart is only accepted by the audio-guided MiniMax H3 ids, not ${model.id}.`)
  }
  if (model.workflow === "r2v") checkH3References(keyFrame)
}

/** FlashVSR (media.md §3.5, §9.3, §10.2.5): returns the delivered canvas. */
const checkFlashVsr = (
  keyFrame: KeyFrame,
  count: number,
  source: Upload | undefined
): { readonly width: number; readonly height: number; readonly fps: number | undefined; readonly frames: number | undefined } => {
  if (count !== 1) refuse(`FlashVSR renders exactly one output (numberOfImages 1, got ${count}).`)
  for (const key of ["positivePrompt", "negativePrompt", "stylePrompt"]) {
    const v = keyFrame[key]
    if (typeof v === "string" && v.trim().length > 0) refuse(`FlashVSR is promptless: keyFrames[0].${key} must be empty.`)
  }
  for (const key of ["loras", "currentControlNetsJob"]) {
    const v = keyFrame[key]
    if (Array.isArray(v) && v.length > 0) refuse(`FlashVSR takes no generation controls (keyFrames[0].${key}).`)
  }
  const steps = numberOf(keyFrame, "steps")
  if (steps !== undefined && steps !== 1) refuse(`FlashVSR runs one step (got ${steps}).`)
  inRange(keyFrame, "seed", -1, 4_294_967_295)
  oneOf(keyFrame, "detailPreference", ["stable", "sharper"])
  oneOf(keyFrame, "processingSpeed", ["stable", "faster"])
  const requested = keyFrame["upscaleResolution"]
  const width = numberOf(keyFrame, "width")
  const height = numberOf(keyFrame, "height")
  let target: number
  if (requested !== undefined && requested !== null) {
    if (requested !== 1080 && requested !== 1440) refuse(`keyFrames[0].upscaleResolution must be 1080 or 1440 (got ${JSON.stringify(requested)}).`)
    target = requested as number
  } else if (width !== undefined && height !== undefined && (Math.min(width, height) === 1080 || Math.min(width, height) === 1440)) {
    target = Math.min(width, height)
  } else {
    return refuse("FlashVSR needs upscaleResolution 1080 or 1440 (or width/height whose short edge is one of them).")
  }
  const probe = source === undefined ? undefined : probeMp4(source.bytes)
  if (source !== undefined && probe === undefined) refuse("The FlashVSR source video has no readable video track.")
  if (probe === undefined) return { width: Math.round((target * 16) / 9), height: target, fps: undefined, frames: undefined }
  const short = Math.min(probe.width, probe.height)
  if (short > 768) refuse(`The FlashVSR source must be at most 768 px on its short edge (got ${probe.width}x${probe.height}).`)
  if (target > 2 * short) {
    refuse(`FlashVSR upscales at most 2×: ${target}p needs a source of at least ${target / 2} px on its short edge (got ${probe.width}x${probe.height}).`)
  }
  if (probe.fps < 1 - 1e-6 || probe.fps > 60 + 1e-6) refuse(`The FlashVSR source must run at 1–60 fps (got ${probe.fps.toFixed(2)}).`)
  const scale = target / short
  const even = (n: number) => Math.round(n / 2) * 2
  return {
    width: even(probe.width * scale),
    height: even(probe.height * scale),
    fps: Math.round(probe.fps * 1000) / 1000,
    frames: probe.frames
  }
}

/**
 * Checks a video keyframe the way the server does and returns the planned video, or a refusal message.
 *
 * @internal
 */
export const planVideo = (
  model: CatalogModel,
  keyFrame: KeyFrame,
  count: number,
  uploads: ReadonlyMap<string, Upload> | undefined
): PlannedVideo | string => {
  try {
    return planOrThrow(model, keyFrame, count, uploads)
  } catch (error) {
    if (error instanceof Refused) return error.message
    throw error
  }
}

const planOrThrow = (
  model: CatalogModel,
  keyFrame: KeyFrame,
  count: number,
  uploads: ReadonlyMap<string, Upload> | undefined
): PlannedVideo => {
  const workflow: Workflow = model.workflow ?? "t2v"
  const assets = assetsOf(keyFrame)
  if (present(keyFrame, "outputScale")) refuse("keyFrames[0].outputScale is retired and not accepted.")
  if (present(keyFrame, "sam2Coordinates") && workflow !== "animate-replace") refuse(`keyFrames[0].sam2Coordinates is for WAN animate-replace only, not ${model.id}.`)
  if (!URL_FAMILIES.has(model.family) && assets.imageUrls.length + assets.videoUrls.length + assets.audioUrls.length > 0) {
    refuse(`${model.id} does not take URL references (referenceImageURLs/referenceVideoURLs/referenceAudioURLs); upload the files.`)
  }
  inRange(keyFrame, "shift", 1, 8)
  inRange(keyFrame, "teacacheThreshold", 0, 1)
  inRange(keyFrame, "firstFrameStrength", 0, 1)
  inRange(keyFrame, "lastFrameStrength", 0, 1)
  inRange(keyFrame, "detailerStrength", 0, 1)
  inRange(keyFrame, "identityGuidanceScale", 0, 10)
  oneOf(keyFrame, "outpaintPosition", ["center", "top", "bottom", "left", "right"])

  const rawWidth = numberOf(keyFrame, "width")
  const rawHeight = numberOf(keyFrame, "height")
  if ((rawWidth === undefined) !== (rawHeight === undefined)) refuse("Video width and height must be given together.")
  let flash: ReturnType<typeof checkFlashVsr> | undefined
  if (model.family === "flashvsr") {
    flash = checkFlashVsr(keyFrame, count, uploads?.get("referenceVideo"))
  }
  const widthRange = tierRange(model, "width")!
  const heightRange = tierRange(model, "height")!
  const width = rawWidth ?? (flash?.width ?? widthRange.default)
  const height = rawHeight ?? (flash?.height ?? heightRange.default)
  if (model.family !== "flashvsr") {
    for (const [name, value, range] of [["width", width, widthRange], ["height", height, heightRange]] as const) {
      if (!Number.isInteger(value) || value < range.min || value > range.max) {
        refuse(`Video ${name} must be an integer in ${range.min}..${range.max} for ${model.id} (got ${value}).`)
      }
    }
  }
  const rawFps = numberOf(keyFrame, "fps")
  const fps = rawFps ?? flash?.fps ?? FAMILY_FPS[model.family] ?? 24
  const rawDuration = numberOf(keyFrame, "duration")
  let frames = numberOf(keyFrame, "frames")
  if (frames === undefined && rawDuration !== undefined) frames = framesFromDuration(model, rawDuration, fps)
  frames ??= flash?.frames ?? tierRange(model, "frames")?.default ?? 81
  if (!Number.isInteger(frames) || frames < 1) refuse(`frames must be a positive integer (got ${frames}).`)

  switch (model.family) {
    case "wan": {
      if (fps !== 16 && fps !== 32) refuse(`WAN 2.2 fps must be 16 or 32 (got ${fps}).`)
      const most = tierRange(model, "frames")?.max ?? 161
      if (frames < 17 || frames > most) {
        refuse(`WAN 2.2 frames must be in 17..${most} (1–${(most - 1) / 16} s at 16 fps, plus one) for ${model.id}; got ${frames}.`)
      }
      break
    }
    case "ltx": {
      if (!Number.isInteger(fps) || fps < 1 || fps > 60) refuse(`LTX fps must be an integer in 1..60 (got ${fps}).`)
      if ((frames - 1) % 8 !== 0) refuse(`LTX frames must be 8n+1 (got ${frames}).`)
      const seconds = (frames - 1) / fps
      if (seconds < 1 - 1e-9 || seconds > 20 + 1e-9) {
        refuse(`LTX videos last 1–20 s; ${frames} frames at ${fps} fps is ${seconds.toFixed(2)} s.`)
      }
      const frameRange = tierRange(model, "frames")
      if (frameRange !== undefined && (frames < frameRange.min || frames > frameRange.max)) {
        refuse(`LTX frames must be in ${frameRange.min}..${frameRange.max} for ${model.id} (got ${frames}).`)
      }
      break
    }
    case "seedance": {
      if (fps !== 24) refuse(`Seedance fps is fixed at 24 (got ${fps}).`)
      const most = tierRange(model, "frames")?.max ?? 361
      if (frames < 97 || frames > most) {
        refuse(`Seedance frames must be in 97..${most} (4–${Math.round((most - 1) / 24)} s at 24 fps) for ${model.id}; got ${frames}.`)
      }
      break
    }
    case "happyhorse": {
      if (fps !== 24) refuse(`HappyHorse fps is fixed at 24 (got ${fps}).`)
      if (frames < 73 || frames > 361) refuse(`HappyHorse frames must be in 73..361 (3–15 s at 24 fps); got ${frames}.`)
      break
    }
    case "wan3": {
      if (fps !== 30) refuse(`Wan 3 fps is fixed at 30 (got ${fps}).`)
      if (frames < 61 || frames > 901) refuse(`Wan 3 frames must be in 61..901 (2–30 s at 30 fps); got ${frames}.`)
      break
    }
    case "h3": {
      checkH3(model, keyFrame, width, height, frames, fps)
      break
    }
    case "flashvsr": {
      if (fps < 1 || fps > 60) refuse(`FlashVSR fps follows the source: 1..60 (got ${fps}).`)
      break
    }
    default:
      refuse(`${model.id} is not a video model the emulator can plan.`)
  }

  if (model.vendor) {
    checkVendorReferences(model, keyFrame, assets)
    if (model.family === "seedance" && model.workflow === "i2v" && !assets.image && !assets.imageEnd && assets.imageUrls.length === 0) {
      refuse(`${model.id} is image-to-video: it needs a referenceImage or referenceImageEnd upload.`)
    }
  } else {
    checkAssets(model, workflow, assets)
  }
  checkControlNet(model, workflow, keyFrame, assets)

  const outputFrames = model.family === "wan" && fps === 32 ? 2 * frames - 1 : frames
  const twoStage = model.family === "h3" && model.id.includes("_2stage")
  const outputWidth = flash !== undefined ? flash.width : twoStage ? 2 * width : width
  const outputHeight = flash !== undefined ? flash.height : twoStage ? 2 * height : height
  return { video: { frames, fps, outputFrames }, width, height, outputWidth, outputHeight }
}
