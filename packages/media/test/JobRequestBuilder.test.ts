import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { SogniInvalidRequest } from "@effect-sogni/core/SogniError"
import * as JobRequestBuilder from "../src/JobRequestBuilder.js"
import { kindChecks } from "../src/internal/kindChecks.js"
import type * as Params from "../src/Params.js"

// ---------------------------------------------------------------------------------------------
// Fixtures: tiers (shapes of media.md §11.1 / the emulator catalog) and media bytes
// ---------------------------------------------------------------------------------------------

const benchmark = { sec: 1, secCN: 0, secMaxPreviews: 0 }
const tiers = {
  legacy: {
    benchmark,
    steps: { min: 1, max: 8, default: 4 },
    guidance: { min: 0, max: 5, default: 1, decimals: 1 },
    sampler: { allowed: ["Euler", "Euler a", "DPM++ 2M"], default: "Euler" },
    scheduler: { allowed: ["Simple", "Karras"], default: "Simple" }
  },
  comfyImage: {
    type: "image",
    benchmark,
    steps: { min: 1, max: 16, default: 8 },
    guidance: { min: 0, max: 5, default: 1, decimals: 1 },
    comfySampler: { allowed: ["euler", "res_multistep"], default: "res_multistep" },
    comfyScheduler: { allowed: ["simple", "beta"], default: "simple" },
    vae: { allowed: ["ae.safetensors", "flux_vae.safetensors"], default: "ae.safetensors" },
    defaultSize: 1024
  },
  plainImage: { type: "image", benchmark, steps: { min: 1, max: 50, default: 1 } },
  ltx: {
    type: "video",
    benchmark,
    width: { min: 480, max: 1920, default: 768 },
    height: { min: 480, max: 1920, default: 768 },
    steps: { min: 4, max: 16, default: 8 },
    guidance: { min: 1, max: 5, default: 1, decimals: 1 },
    fps: { allowed: [24, 25, 30, 48, 50, 60], default: 24 },
    comfySampler: { allowed: ["euler", "uni_pc"], default: "euler" },
    comfyScheduler: { allowed: ["simple"], default: "simple" }
  },
  wan: {
    type: "video",
    benchmark,
    width: { min: 480, max: 1280, default: 640 },
    height: { min: 480, max: 1280, default: 640 },
    steps: { min: 2, max: 8, default: 4 },
    fps: { allowed: [16, 32], default: 16 },
    frames: { min: 17, max: 321, default: 81 },
    comfySampler: { allowed: ["euler"], default: "euler" },
    comfyScheduler: { allowed: ["simple"], default: "simple" },
    shift: { min: 1, max: 10, default: 5, decimals: 1 }
  },
  video: { type: "video", benchmark, width: { min: 32, max: 3840, default: 1280 }, height: { min: 32, max: 3840, default: 720 } },
  ace: {
    type: "audio",
    benchmark,
    steps: { min: 4, max: 16, default: 8 },
    duration: { min: 10, max: 240, default: 30 },
    bpm: { min: 40, max: 200, default: 120 },
    timesignature: { allowed: ["2", "3", "4", "6"], default: "4" },
    language: { allowed: ["en", "es", "fr"], default: "en" },
    keyscale: { allowed: ["C major", "A minor"], default: "C major" },
    composerMode: { default: false },
    guidance: { min: 1, max: 10, default: 4, decimals: 1 },
    comfySampler: { allowed: ["euler"], default: "euler" },
    comfyScheduler: { allowed: ["simple"], default: "simple" }
  },
  music: { type: "audio", benchmark, steps: { min: 10, max: 100, default: 30 }, duration: { min: 10, max: 300, default: 60 } },
  tts: {
    type: "audio",
    benchmark,
    steps: { min: 1, max: 1, default: 1 },
    speaker: { allowed: ["serena", "ryan"], default: "serena" },
    instruct: { maxLength: 40, required: true },
    referenceText: { maxLength: 20 },
    acceptInputAudio: true
  }
} as const

type TierName = keyof typeof tiers
const model = (id: string, tier: TierName, media: JobRequestBuilder.ModelDescriptor["media"]): JobRequestBuilder.ModelDescriptor => ({
  id,
  media,
  tier: tiers[tier]
})

const tierFor = (p: Params.ProjectParams): TierName => {
  const id = p.modelId
  if (p.type === "audio") return id.startsWith("ace_step") ? "ace" : id === "minimax_music3" ? "music" : "tts"
  if (p.type === "video") return id.startsWith("ltx") ? "ltx" : id.startsWith("wan_") ? "wan" : "video"
  if (id.startsWith("z_image") || id.startsWith("qwen_image")) return "comfyImage"
  if (id === "flux1-schnell-fp8" || id.startsWith("sd")) return "legacy"
  return "plainImage"
}
const descriptorFor = (p: Params.ProjectParams) =>
  model(p.modelId, tierFor(p), p.type === "image" && p.modelId.startsWith("pixal3d_") ? "model" : p.type)

const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...be32(13), ...ascii("IHDR"), ...be32(64), ...be32(64)])
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, ...ascii("JFIF"), 0, 1, 1, 0])
const WAV = Buffer.from([...ascii("RIFF"), ...be32(36), ...ascii("WAVE"), ...ascii("fmt ")])
const MP3 = Buffer.from([...ascii("ID3"), 4, 0, 0, 0, 0, 0, 0])
const MP4 = Buffer.from([...be32(24), ...ascii("ftyp"), ...ascii("isom"), ...be32(512)])
const MOV = Buffer.from([...be32(20), ...ascii("ftyp"), ...ascii("qt  "), ...be32(0)])

const P = "3F2B8C1E-7A4D-4E2B-9C61-0D5E8A7B4C21"

const build = (p: Params.ProjectParams, extra: Partial<JobRequestBuilder.BuildContext> = {}) =>
  JobRequestBuilder.build(p, { projectId: P, model: descriptorFor(p), ...extra })

const keyframe = (p: Params.ProjectParams, extra: Partial<JobRequestBuilder.BuildContext> = {}) => {
  const r = build(p, extra)
  if (Either.isLeft(r)) assert.fail(`unexpected ${r.left.field}/${r.left.rule}: ${r.left.message}`)
  return r.right.keyFrames[0]!
}

const rejects = (p: Params.ProjectParams, field: string, rule: string, descriptor = descriptorFor(p)) => {
  const r = JobRequestBuilder.validate(p, descriptor)
  assert.isTrue(Either.isLeft(r), `expected ${field}/${rule} to be refused`)
  if (Either.isLeft(r)) {
    assert.strictEqual(r.left._tag, "SogniInvalidRequest")
    assert.deepStrictEqual([r.left.field, r.left.rule], [field, rule], r.left.message)
  }
}
const accepts = (p: Params.ProjectParams, descriptor = descriptorFor(p)) => {
  const r = JobRequestBuilder.validate(p, descriptor)
  if (Either.isLeft(r)) assert.fail(`unexpected ${r.left.field}/${r.left.rule}: ${r.left.message}`)
}

// ---------------------------------------------------------------------------------------------
// The official client, for differential checks
// ---------------------------------------------------------------------------------------------

const require = createRequire(import.meta.url)
const clientDist = path.dirname(require.resolve("@sogni-ai/sogni-client"))
type Loose = Record<string, unknown>
const official: {
  create: (id: string, params: Loose, options: Loose) => Loose
  mapTier: (tier: Loose) => Loose
  annotateVideo: (request: Loose, params: Loose) => void
  annotateAudio: (request: Loose, params: Loose) => void
} = (() => {
  const load = (p: string) => require(path.join(clientDist, p))
  const message = load("Projects/createJobRequestMessage.js")
  const options = load("Projects/types/ModelOptions.js")
  const raw = load("Projects/types/ModelTiersRaw.js")
  const projects = load("Projects/index.js").default.prototype
  return {
    create: message.default,
    mapTier: (t) =>
      raw.isImageTier(t)
        ? options.mapImageTier(t)
        : raw.isVideoTier(t)
        ? options.mapVideoTier(t)
        : raw.isComfyImageTier(t)
        ? options.mapComfyImageTier(t)
        : options.mapAudioTier(t),
    annotateVideo: (r, p) => projects._annotateVideoAssetContentTypes.call({}, r, p),
    annotateAudio: (r, p) => projects._annotateAudioAssetContentTypes.call({}, r, p)
  }
})()

/** What `projects.create()` of the official client would put on the wire (after its normalization). */
const officialWire = (params: Params.ProjectParams, appSource?: string): string => {
  const p = JobRequestBuilder.normalize(params) as unknown as Loose
  const request = official.create(P, { ...p, appSource: (p.appSource as string | undefined) || appSource }, official.mapTier(tiers[tierFor(params)] as unknown as Loose))
  if (params.type === "video") official.annotateVideo(request, p)
  if (params.type === "audio") official.annotateAudio(request, p)
  return JSON.stringify(request)
}

const ourWire = (params: Params.ProjectParams, appSource?: string): string => {
  const r = build(params, appSource === undefined ? {} : { appSource })
  if (Either.isLeft(r)) assert.fail(`unexpected ${r.left.field}/${r.left.rule}: ${r.left.message}`)
  return JSON.stringify(r.right)
}

// ---------------------------------------------------------------------------------------------
// Golden
// ---------------------------------------------------------------------------------------------

describe("JobRequestBuilder: golden fixture 04 (2-image Flux project, recorded from the official client)", () => {
  const fixture = JSON.parse(
    fs.readFileSync(new URL("../../../fixtures/protocol/04-jobRequest-image.json", import.meta.url), "utf8")
  ) as { payload: Record<string, unknown> & { jobID: string } }
  const params: Params.ProjectParams = {
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a lighthouse on a basalt cliff at dawn, volumetric fog",
    numberOfMedia: 2,
    steps: 4,
    guidance: 1,
    seed: 1234567,
    sizePreset: "square_hd",
    tokenType: "spark",
    network: "fast",
    appSource: "my-app"
  }

  it("deep-equals the fixture payload (jobID aside)", () => {
    const r = JobRequestBuilder.build(params, { projectId: "ANY-ID", model: model("flux1-schnell-fp8", "legacy", "image") })
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) {
      const { jobID: ours, ...rest } = r.right
      const { jobID: _theirs, ...expected } = fixture.payload
      assert.strictEqual(ours, "ANY-ID")
      assert.deepStrictEqual(rest, expected)
    }
  })

  it("serializes to the fixture's exact bytes (key order included) with the fixture's id", () => {
    const ours = build(params, { projectId: fixture.payload.jobID })
    assert.strictEqual(JSON.stringify(Either.getOrThrow(ours)), JSON.stringify(fixture.payload))
  })

  it("appSource falls back to the connection's", () => {
    const { appSource: _, ...withoutApp } = params
    const r = JobRequestBuilder.build(withoutApp, { projectId: P, model: model("flux1-schnell-fp8", "legacy", "image"), appSource: "conn-app" })
    assert.strictEqual(Either.getOrThrow(r).appSource, "conn-app")
  })
})

// ---------------------------------------------------------------------------------------------
// Differential against the official client's createJobRequestMessage
// ---------------------------------------------------------------------------------------------

const differentialCases: ReadonlyArray<readonly [string, Params.ProjectParams]> = [
  ["legacy image with sampler aliases, img2img 0.7, previews, LoRAs", {
    type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "p", negativePrompt: "n", stylePrompt: "s",
    numberOfMedia: 3, numberOfPreviews: 2, sampler: "euler_a", scheduler: "karras", startingImage: PNG,
    startingImageStrength: 0.7, loras: ["a", "b"], loraStrengths: [0.5, -1], disableNSFWFilter: true, billingMode: "tokens"
  }],
  ["comfy image custom size, vae, context images, ControlNet", {
    type: "image", modelId: "z_image_turbo_bf16", positivePrompt: "p", width: 2560, height: 1440, sampler: "euler",
    scheduler: "beta", vae: "flux_vae.safetensors", contextImages: [PNG, true],
    controlNet: { name: "depth", image: JPEG, strength: 0.6, mode: "prompt_priority", guidanceStart: 0.1, guidanceEnd: 0.9 },
    worldGenerationReceipt: { stage: "target_still", sourceImageSha256: "AB".repeat(32), selectionHash: "cd".repeat(32) }
  }],
  ["image startingImage with strength 0 (counts as 0.5)", {
    type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "p", startingImage: true, startingImageStrength: 0
  }],
  ["GPT Image 2.5 options and mask", {
    type: "image", modelId: "gpt-image-2.5-flare", positivePrompt: "p", contextImages: [PNG, PNG, PNG],
    gptImageMask: PNG, gptImageQuality: "xhigh", gptImageBackground: "transparent", outputFormat: "webp",
    gptImageOutputCompression: 80, width: 3840, height: 2160
  }],
  ["SAM 3 segmentation (normalized to 1 png, 0 previews)", {
    type: "image", modelId: "sam3_image_segment_bf16", positivePrompt: "", numberOfMedia: 4, numberOfPreviews: 3,
    startingImage: PNG, sam3Prompt: { text: "  the dog  ", boxes: [{ x0: 0, y0: 0, x1: 0.5, y1: 0.5 }], maxInstances: 3 }
  }],
  ["BiRefNet", { type: "image", modelId: "birefnet_image_background_removal_fp16", startingImage: PNG, applyMask: true }],
  ["Pixal3D multi-view", {
    type: "image", modelId: "pixal3d_multiview_int8_i23d", startingImage: PNG, leftViewImage: PNG, rightViewImage: true,
    textureSize: 2048, shapeResolution: 1536, numberOfPreviews: 2
  }],
  ["LTX i2v 5 s@24 1280×720, both frames (media.md §3.7)", {
    type: "video", modelId: "ltx23-22b-fp8_i2v_distilled", positivePrompt: "p", negativePrompt: "n", numberOfMedia: 2,
    duration: 5, fps: 24, width: 1280, height: 720, referenceImage: PNG, referenceImageEnd: PNG,
    firstFrameStrength: 0.6, lastFrameStrength: 0.4, referenceAudioIdentity: WAV, audioIdentityStrength: 4
  }],
  ["LTX v2v inpaint", {
    type: "video", modelId: "ltx25-22b-int8_v2v_distilled", positivePrompt: "p", referenceVideo: MP4, referenceMask: PNG,
    controlNet: { name: "inpaint", strength: 0.85 }, detailerStrength: 0.5, outpaintPosition: "top", duration: 4, fps: 25,
    sampler: "uni_pc", scheduler: "simple"
  }],
  ["LTX a2v with deprecated frames and no duration", {
    type: "video", modelId: "ltx23-22b-fp8_a2v_dev", positivePrompt: "p", referenceAudio: MP3, frames: 97, audioStart: 2, audioDuration: 10
  }],
  ["WAN s2v", {
    type: "video", modelId: "wan_v2.2-14b-fp8_s2v_lightx2v", positivePrompt: "p", referenceImage: JPEG, referenceAudio: WAV,
    duration: 5, fps: 32, shift: 8, teacacheThreshold: 0.2, trimEndFrame: true
  }],
  ["WAN animate-replace with sam2 coordinates", {
    type: "video", modelId: "wan_v2.2-14b-fp8_animate-replace_lightx2v", positivePrompt: "p", referenceImage: PNG,
    referenceVideo: MOV, videoStart: 1.5, duration: 12, sam2Coordinates: [{ x: 10, y: 20 }, { x: 30, y: 40 }]
  }],
  ["Seedance 2.5 reference task with URLs", {
    type: "video", modelId: "seedance-2-5", positivePrompt: "p", negativePrompt: "dropped", seedanceTaskType: "reference",
    referenceImageUrls: ["https://cdn.example/a.png"], referenceAudio: MP3, duration: 20, outputFormat: "mov", returnLastFrame: true,
    generateAudio: false
  }],
  ["HappyHorse r2v", {
    type: "video", modelId: "happyhorse-1.1-r2v", positivePrompt: "p", referenceImage: PNG,
    referenceImageUrls: ["https://x.example/1.png"], duration: 3
  }],
  ["Wan 3 with a document reference", {
    type: "video", modelId: "wan3.0-video", positivePrompt: "p", referenceFileUrl: "https://x.example/doc.pdf",
    promptExtend: true, watermark: false, ratio: "16:9", seed: 2147483647, duration: 2.5
  }],
  ["MiniMax H3 r2v reference sets", {
    type: "video", modelId: "minimax-h3-ref2va-fp8_r2v_turbo", positivePrompt: "p", referenceImage: PNG,
    contextImages: [PNG, true], referenceAudio: WAV, referenceAudios: [MP3], referenceVideo: MP4, referenceVideos: [true],
    referenceVideoDurations: [3, 4], duration: 6, steps: 4, guidance: 1, width: 960, height: 544
  }],
  ["MiniMax H3 FastH3 audio guide", {
    type: "video", modelId: "minimax-h3-fastvideo-int8_ia2v_turbo_2stage", positivePrompt: "p", referenceImage: PNG,
    referenceAudio: WAV, audioStart: 1, frames: 158
  }],
  ["FlashVSR with source timing", {
    type: "video", modelId: "flashvsr_v1.1_tiny_long_bf16", positivePrompt: "", referenceVideo: MP4, numberOfMedia: 1,
    width: 1920, height: 1080, fps: 30, duration: 2, detailPreference: "sharper"
  }],
  ["FlashVSR with frames winning over duration", {
    type: "video", modelId: "flashvsr_v1.1_tiny_long_bf16", referenceVideo: true, numberOfMedia: 1,
    upscaleResolution: 1440, frames: 90, duration: 4, fps: 24, seed: -1
  }],
  ["ACE-Step song", {
    type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "p", negativePrompt: "dropped", duration: 60, bpm: 90,
    timesignature: "3", language: "es", lyrics: "la la", keyscale: "A minor", composerMode: true, promptStrength: 2,
    creativity: 0.5, shift: 3, steps: 8, guidance: 4, sampler: "euler", outputFormat: "wav"
  }],
  ["MiniMax Music", { type: "audio", modelId: "minimax_music3", positivePrompt: "p", duration: 120, promptStrength: 1.7 }],
  ["qwen3 TTS voice clone", {
    type: "audio", modelId: "qwen3_tts_base", positivePrompt: "hello", speaker: "ryan", instruct: "calm",
    referenceText: "hi there", referenceAudio: WAV, sampler: "euler"
  }]
]

describe("JobRequestBuilder: identical to the official client's request", () => {
  for (const [name, params] of differentialCases) {
    it(name, () => {
      assert.strictEqual(ourWire(params, "conn-app"), officialWire(params, "conn-app"))
    })
  }

  const ltxArb = FastCheck.record({
    modelId: FastCheck.constantFrom("ltx23-22b-fp8_t2v_distilled", "ltx2-19b-fp8_t2v", "ltx25-22b-int8_t2v_dev"),
    duration: FastCheck.integer({ min: 1000, max: 20000 }).map((ms) => ms / 1000),
    fps: FastCheck.constantFrom(24, 25, 30, 48, 50, 60),
    seed: FastCheck.integer({ min: 0, max: 4_294_967_295 }),
    steps: FastCheck.integer({ min: 4, max: 16 }),
    negativePrompt: FastCheck.constantFrom("", "blur")
  }).map((r): Params.ProjectParams => ({ type: "video", positivePrompt: "x", ...r }))
  const wanArb = FastCheck.record({
    modelId: FastCheck.constantFrom("wan_v2.2-14b-fp8_t2v", "wan_v2.2-14b-fp8_t2v_lightx2v"),
    duration: FastCheck.integer({ min: 1000, max: 10000 }).map((ms) => ms / 1000),
    fps: FastCheck.constantFrom(16, 32),
    width: FastCheck.integer({ min: 480, max: 1280 }),
    height: FastCheck.integer({ min: 480, max: 1280 })
  }).map((r): Params.ProjectParams => ({ type: "video", positivePrompt: "x", ...r }))
  const vendorArb = FastCheck.record({
    modelId: FastCheck.constantFrom("seedance-2-0", "seedance-2-5", "happyhorse-1.1-t2v", "wan3.0-spicy-video", "minimax-h3-fl2va-fp8_t2v"),
    duration: FastCheck.integer({ min: 5200, max: 15000 }).map((ms) => ms / 1000)
  }).map((r): Params.ProjectParams => ({ type: "video", positivePrompt: "x", ...r }))
  const imageArb = FastCheck.record({
    modelId: FastCheck.constantFrom("flux1-schnell-fp8", "z_image_turbo_bf16", "qwen_image_2512_fp8"),
    strength: FastCheck.option(FastCheck.integer({ min: 0, max: 1000 }).map((n) => n / 1000), { nil: undefined }),
    width: FastCheck.integer({ min: 256, max: 2048 }),
    height: FastCheck.integer({ min: 256, max: 2048 }),
    previews: FastCheck.integer({ min: 0, max: 4 }),
    contextImages: FastCheck.integer({ min: 0, max: 3 })
  }).map((r): Params.ProjectParams => ({
    type: "image",
    modelId: r.modelId,
    positivePrompt: "x",
    width: r.width,
    height: r.height,
    numberOfPreviews: r.previews,
    contextImages: Array.from({ length: r.contextImages }, () => true as const),
    ...(r.strength !== undefined ? { startingImage: PNG, startingImageStrength: r.strength } : {})
  }))

  const i2vArb = FastCheck.record({
    modelId: FastCheck.constantFrom("ltx23-22b-fp8_i2v_distilled", "wan_v2.2-14b-fp8_i2v_lightx2v", "minimax-h3-fl2va-fp8_i2v_turbo"),
    start: FastCheck.constantFrom<Params.MediaInput | undefined>(PNG, JPEG, true, undefined),
    end: FastCheck.constantFrom<Params.MediaInput | undefined>(PNG, true, undefined)
  }).filter((r) => r.start !== undefined || r.end !== undefined).map((r): Params.ProjectParams => ({
    type: "video",
    modelId: r.modelId,
    positivePrompt: "x",
    ...(r.start !== undefined ? { referenceImage: r.start } : {}),
    ...(r.end !== undefined ? { referenceImageEnd: r.end } : {})
  }))
  const audioArb = FastCheck.record({
    duration: FastCheck.integer({ min: 10, max: 240 }),
    bpm: FastCheck.integer({ min: 40, max: 200 }),
    timesignature: FastCheck.constantFrom("2", "3", "4", "6"),
    steps: FastCheck.integer({ min: 4, max: 16 }),
    lyrics: FastCheck.option(FastCheck.string(), { nil: undefined }),
    outputFormat: FastCheck.constantFrom("mp3" as const, "flac" as const, "wav" as const)
  }).map((r): Params.ProjectParams => {
    const { lyrics, ...rest } = r
    return { type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "x", ...rest, ...(lyrics !== undefined ? { lyrics } : {}) }
  })

  it.prop("random valid params are accepted and produce the official bytes", [FastCheck.oneof(ltxArb, wanArb, vendorArb, imageArb, i2vArb, audioArb)], ([params]) => {
    assert.strictEqual(ourWire(params), officialWire(params))
  }, { fastCheck: { numRuns: 300 } })
})

// ---------------------------------------------------------------------------------------------
// Mapping details
// ---------------------------------------------------------------------------------------------

describe("JobRequestBuilder: mapping (media.md §3)", () => {
  it("inverted starting-image strength keeps the float noise", () => {
    const kf = keyframe({ type: "image", modelId: "flux1-schnell-fp8", startingImage: true, startingImageStrength: 0.7 })
    assert.strictEqual(kf.strength, 1 - 0.7)
    assert.notStrictEqual(kf.strength, 0.3)
    assert.strictEqual(kf.hasStartingImage, true)
  })

  it("legacy models put the sampler in `scheduler` and the scheduler in `timeStepSpacing`", () => {
    const kf = keyframe({ type: "image", modelId: "flux1-schnell-fp8", sampler: "dpmpp_2m", scheduler: "simple" })
    assert.strictEqual(kf.scheduler, "dpmpp_2m")
    assert.strictEqual(kf.timeStepSpacing, "simple")
    assert.isFalse("comfySampler" in kf)
  })

  it("Comfy models use comfySampler/comfyScheduler/vae, null when unset", () => {
    const kf = keyframe({ type: "image", modelId: "z_image_turbo_bf16", sampler: "euler" })
    assert.deepStrictEqual([kf.comfySampler, kf.comfyScheduler, kf.vae], ["euler", null, null])
  })

  it("custom size: sizePreset becomes custom; 16 context flags", () => {
    const kf = keyframe({ type: "image", modelId: "flux1-schnell-fp8", width: 768, height: 1344, contextImages: [true, PNG] })
    assert.deepStrictEqual([kf.sizePreset, kf.width, kf.height], ["custom", 768, 1344])
    const flags = Array.from({ length: 16 }, (_, i) => kf[`hasContextImage${i + 1}`])
    assert.deepStrictEqual(flags, [true, true, ...Array.from({ length: 14 }, () => false)])
  })

  it("unset values are absent, not undefined", () => {
    const kf = keyframe({ type: "image", modelId: "flux1-schnell-fp8" })
    for (const key of ["steps", "guidanceScale", "seed", "positivePrompt", "sizePreset", "loras"]) assert.isFalse(key in kf, key)
    const r = Either.getOrThrow(build({ type: "image", modelId: "flux1-schnell-fp8" }))
    for (const key of ["tokenType", "billingMode", "network", "appSource"]) assert.isFalse(key in r, key)
  })

  it("output format and previews defaults per media type", () => {
    const video = Either.getOrThrow(build({ type: "video", modelId: "ltx23-22b-fp8_t2v_distilled", positivePrompt: "x" }))
    assert.deepStrictEqual([video.outputFormat, video.previews], ["mp4", 0])
    const audio = Either.getOrThrow(build({ type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "x" }))
    assert.deepStrictEqual([audio.outputFormat, audio.previews], ["mp3", 0])
    const pixal = Either.getOrThrow(build({ type: "image", modelId: "pixal3d_int8_i23d", startingImage: true }))
    assert.deepStrictEqual([pixal.outputFormat, pixal.previews], ["glb", 0])
  })

  it("negativePrompt is removed for audio, vendor video and H3", () => {
    assert.isFalse("negativePrompt" in keyframe({ type: "audio", modelId: "ace_step_1.5_turbo", negativePrompt: "x" }))
    assert.isFalse("negativePrompt" in keyframe({ type: "video", modelId: "seedance-2-0", negativePrompt: "x" }))
    assert.isFalse("negativePrompt" in keyframe({ type: "video", modelId: "minimax-h3-fl2va-fp8_t2v" }))
    assert.strictEqual(keyframe({ type: "video", modelId: "ltx2-19b-fp8_t2v", negativePrompt: "x" }).negativePrompt, "x")
  })

  it("fps defaults per family and frames from duration", () => {
    assert.deepStrictEqual(pick(keyframe({ type: "video", modelId: "wan3.0-video", positivePrompt: "x", duration: 5 }), "fps", "frames"), [30, 151])
    assert.deepStrictEqual(pick(keyframe({ type: "video", modelId: "happyhorse-1.1-t2v", duration: 5 }), "fps", "frames"), [24, 121])
    assert.deepStrictEqual(pick(keyframe({ type: "video", modelId: "minimax-h3-fl2va-fp8_t2v", duration: 6 }), "fps", "frames"), [24, 141])
    assert.deepStrictEqual(pick(keyframe({ type: "video", modelId: "wan_v2.2-14b-fp8_t2v", duration: 5 }), "fps", "frames"), [undefined, 81])
  })

  it("content types come from sniffing, or from uploadedContentTypes", () => {
    const params: Params.ProjectParams = { type: "video", modelId: "ltx23-22b-fp8_ia2v_distilled", referenceImage: JPEG, referenceAudio: true }
    const sniffed = keyframe(params)
    assert.deepStrictEqual(pick(sniffed, "referenceImageContentType", "referenceAudioContentType"), ["image/jpeg", undefined])
    const given = keyframe(params, { uploadedContentTypes: { referenceImage: "image/webp", referenceAudio: "audio/flac" } })
    assert.deepStrictEqual(pick(given, "referenceImageContentType", "referenceAudioContentType"), ["image/webp", "audio/flac"])
  })

  it("a GPT Image mask data URI becomes an upload", () => {
    const uri = `data:image/png;base64,${PNG.toString("base64")}`
    const params: Params.ProjectParams = { type: "image", modelId: "gpt-image-2", contextImages: [PNG], gptImageMaskUrl: uri }
    const kf = keyframe(params)
    assert.deepStrictEqual(pick(kf, "hasReferenceMask", "referenceMaskContentType", "gptImageMaskUrl"), [true, "image/png", undefined])
    const first = JobRequestBuilder.uploadsFor(params)[0]!
    assert.deepStrictEqual([first.key, first.slot, first.endpoint, [...first.bytes]], ["referenceMask", "referenceMask", "image", [...PNG]])
  })
})

const pick = (o: Record<string, unknown>, ...keys: ReadonlyArray<string>) => keys.map((k) => o[k])

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const img = (modelId: string, extra: Partial<Params.ImageParams> = {}): Params.ImageParams => ({ type: "image", modelId, positivePrompt: "x", ...extra })
const vid = (modelId: string, extra: Partial<Params.VideoParams> = {}): Params.VideoParams => ({ type: "video", modelId, positivePrompt: "x", ...extra })
const aud = (modelId: string, extra: Partial<Params.AudioParams> = {}): Params.AudioParams => ({ type: "audio", modelId, positivePrompt: "x", ...extra })

describe("JobRequestBuilder.validate: model and tier", () => {
  it("model id and type must match the catalog entry", () => {
    rejects(img("flux1-schnell-fp8"), "modelId", "model-mismatch", model("other", "legacy", "image"))
    rejects(vid("ltx2-19b-fp8_t2v"), "type", "model-type", model("ltx2-19b-fp8_t2v", "legacy", "image"))
    rejects(img("x"), "modelId", "unsupported-tier", { id: "x", media: "image", tier: { type: "llm" } })
    accepts(img("flux1-schnell-fp8"))
  })

  it("a tier object models share: its options serve every build alike, and a refused tier names each model", () => {
    const refused = { type: "llm" }
    for (const id of ["first-model", "second-model"]) {
      const r = JobRequestBuilder.build(img(id), { projectId: P, model: { id, media: "image", tier: refused } })
      assert.isTrue(Either.isLeft(r) && r.left.rule === "unsupported-tier" && r.left.message.includes(id), id)
    }
    const params = img("flux1-schnell-fp8", { steps: 6, sampler: "dpmpp_2m" })
    const shared = model("flux1-schnell-fp8", "legacy", "image")
    const once = JobRequestBuilder.build(params, { projectId: P, model: shared })
    const twice = JobRequestBuilder.build(params, { projectId: P, model: shared })
    const fresh = JobRequestBuilder.build(params, { projectId: P, model: { ...shared, tier: structuredClone(shared.tier) } })
    assert.isTrue(Either.isRight(once))
    assert.deepStrictEqual(twice, once)
    assert.deepStrictEqual(fresh, once)
  })

  it("sampler/scheduler/vae must be in the tier's allowed list (aliases)", () => {
    rejects(img("flux1-schnell-fp8", { sampler: "Euler" }), "sampler", "allowed-values")
    rejects(img("flux1-schnell-fp8", { scheduler: "beta" }), "scheduler", "allowed-values")
    rejects(img("z_image_turbo_bf16", { vae: "other.safetensors" }), "vae", "allowed-values")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { sampler: "dpmpp_2m" }), "sampler", "allowed-values")
    accepts(img("flux1-schnell-fp8", { sampler: "dpmpp_2m", scheduler: "karras" }))
    // A model offering no choice drops the value instead of refusing it.
    const kf = keyframe(img("gpt-image-2", { sampler: "anything" }))
    assert.isNull(kf.comfySampler ?? kf.scheduler)
  })

  it("steps and guidance within the tier's ranges", () => {
    rejects(img("flux1-schnell-fp8", { steps: 9 }), "steps", "range")
    rejects(img("z_image_turbo_bf16", { guidance: 5.5 }), "guidance", "range")
    accepts(img("flux1-schnell-fp8", { steps: 8, guidance: 5 }))
  })

  it("vendor models are spark-only and fast-only; video is fast-only", () => {
    rejects(img("gpt-image-2", { tokenType: "sogni" }), "tokenType", "allowed-values")
    rejects(vid("seedance-2-0", { tokenType: "sogni" }), "tokenType", "allowed-values")
    rejects(vid("ltx2-19b-fp8_t2v", { network: "relaxed" }), "network", "allowed-values")
    accepts(img("flux1-schnell-fp8", { network: "relaxed", tokenType: "sogni" }))
  })

  it("loraStrengths cannot outnumber loras", () => {
    rejects(img("flux1-schnell-fp8", { loras: ["a"], loraStrengths: [1, 1] }), "loraStrengths", "max-count")
    accepts(img("flux1-schnell-fp8", { loras: ["a", "b"], loraStrengths: [1] }))
  })
})

describe("JobRequestBuilder.validate: image rules (media.md §10.1)", () => {
  it("custom sizes: bounds per model, both sides, only with custom", () => {
    rejects(img("flux1-schnell-fp8", { width: 2560, height: 1024 }), "width", "range")
    rejects(img("flux1-schnell-fp8", { width: 1024, height: 128 }), "height", "range")
    rejects(img("krea2_identity_edit_v1_2", { width: 300, height: 1024 }), "width", "range")
    rejects(img("flux1-schnell-fp8", { width: 1024 }), "height", "required")
    rejects(img("flux1-schnell-fp8", { sizePreset: "custom" }), "width", "required")
    rejects(img("flux1-schnell-fp8", { sizePreset: "square_hd", width: 512, height: 512 }), "width", "forbidden")
    accepts(img("z_image_turbo_bf16", { width: 2560, height: 2560 }))
    accepts(img("gpt-image-2", { width: 3840, height: 256 }))
    accepts(img("rtx_vsr_pro", { sizePreset: "custom", width: 15360, height: 8640 }))
  })

  it("context-image limits per model", () => {
    rejects(img("flux1-schnell-fp8", { contextImages: [true, true, true, true] }), "contextImages", "max-count")
    rejects(img("flux1-kontext-dev", { contextImages: [true, true, true] }), "contextImages", "max-count")
    rejects(img("gpt-image-2", { contextImages: Array.from({ length: 17 }, () => true as const) }), "contextImages", "max-count")
    rejects(img("pixal3d_int8_i23d", { startingImage: true, contextImages: [true] }), "contextImages", "forbidden", model("pixal3d_int8_i23d", "plainImage", "model"))
    accepts(img("gpt-image-2", { contextImages: Array.from({ length: 16 }, () => true as const) }))
    accepts(img("qwen_image_edit_2511_fp8", { contextImages: [true, true, true] }))
  })

  it("GPT Image options", () => {
    rejects(img("gpt-image-2", { gptImageQuality: "max" }), "gptImageQuality", "allowed-values")
    rejects(img("gpt-image-2", { gptImageBackground: "transparent" }), "gptImageBackground", "allowed-values")
    rejects(img("gpt-image-2.5-sunburst", { gptImageBackground: "transparent", outputFormat: "jpg" }), "gptImageBackground", "forbidden")
    rejects(img("gpt-image-2", { gptImageOutputCompression: 50 }), "gptImageOutputCompression", "forbidden")
    rejects(img("gpt-image-2", { gptImageMask: true }), "contextImages", "required")
    rejects(img("gpt-image-2", { contextImages: [true], gptImageMask: true, gptImageMaskUrl: "https://x/m.png" }), "gptImageMaskUrl", "exclusive")
    rejects(img("gpt-image-2", { contextImages: [true], gptImageMaskUrl: "data:image/jpeg;base64,AAAA" }), "gptImageMaskUrl", "format")
    rejects(img("flux1-schnell-fp8", { gptImageQuality: "low" }), "gptImageQuality", "forbidden")
    rejects(img("flux1-schnell-fp8", { gptImageMask: true }), "gptImageMask", "forbidden")
    accepts(img("gpt-image-2.5-sunburst", { gptImageQuality: "max", gptImageBackground: "transparent", outputFormat: "webp", gptImageOutputCompression: 0 }))
  })

  it("SAM 3 prompt rules", () => {
    const sam = (sam3Prompt: Params.Sam3Prompt | undefined) =>
      img("sam3_image_segment_bf16", { startingImage: true, ...(sam3Prompt !== undefined ? { sam3Prompt } : {}) })
    rejects(img("sam3_image_segment_bf16", { sam3Prompt: { text: "dog" } }), "startingImage", "required")
    rejects(sam(undefined), "sam3Prompt", "required")
    rejects(sam({}), "sam3Prompt", "required")
    rejects(sam({ text: "   " }), "sam3Prompt.text", "range")
    rejects(sam({ text: "dog", points: [{ x: 0, y: 0, label: "positive" }] }), "sam3Prompt.text", "exclusive")
    rejects(sam({ points: [{ x: 0, y: 0, label: "positive" }], boxes: [{ x0: 0, y0: 0, x1: 1, y1: 1 }, { x0: 0, y0: 0, x1: 1, y1: 1 }] }), "sam3Prompt.boxes", "max-count")
    rejects(sam({ points: [{ x: 0, y: 0, label: "positive" }], boxes: [{ x0: 0, y0: 0, x1: 1, y1: 1, label: "negative" }] }), "sam3Prompt.boxes", "forbidden")
    rejects(sam({ boxes: [{ x0: 0.5, y0: 0, x1: 0.5, y1: 1 }] }), "sam3Prompt.boxes[0]", "range")
    rejects(sam({ text: "dog", multimask: true }), "sam3Prompt.points", "required")
    rejects(img("flux1-schnell-fp8", { sam3Prompt: { text: "dog" } }), "sam3Prompt", "forbidden")
    accepts(sam({ points: [{ x: 0.2, y: 0.3, label: "negative" }], boxes: [{ x0: 0, y0: 0, x1: 1, y1: 1 }], multimask: false }))
  })

  it("BiRefNet and Pixal3D rules", () => {
    rejects(img("birefnet_image_background_removal_fp16"), "startingImage", "required")
    rejects(img("flux1-schnell-fp8", { applyMask: true }), "applyMask", "forbidden")
    const single = "pixal3d_int8_i23d"
    const multi = "pixal3d_multiview_int8_i23d"
    rejects(img(multi), "startingImage", "required", model(multi, "plainImage", "model"))
    rejects(img(single, { startingImage: true, leftViewImage: true }), "leftViewImage", "forbidden", model(single, "plainImage", "model"))
    rejects(img(multi, { startingImage: true, templateVariant: "i23d-birefnet" }), "templateVariant", "forbidden", model(multi, "plainImage", "model"))
    rejects(img(single, { startingImage: true }), "type", "model-type", model(single, "plainImage", "video"))
    rejects(img("flux1-schnell-fp8", { textureSize: 2048 }), "textureSize", "forbidden")
    accepts(img(single, { startingImage: true, templateVariant: "i23d-birefnet", meshTargetFaces: 5000 }), model(single, "plainImage", "model"))
    accepts(img("birefnet_image_background_removal_fp16", { startingImage: true, applyMask: false }))
  })
})

describe("JobRequestBuilder.validate: video assets per workflow (media.md §10.2.3)", () => {
  const table: ReadonlyArray<readonly [string, Partial<Params.VideoParams>, string, string]> = [
    ["ltx23-22b-fp8_t2v_distilled", { referenceImage: true }, "referenceImage", "forbidden"],
    ["ltx23-22b-fp8_i2v_distilled", {}, "referenceImage", "required"],
    ["ltx23-22b-fp8_i2v_distilled", { referenceImage: true, referenceVideo: true }, "referenceVideo", "forbidden"],
    ["minimax-h3-fl2va-fp8_flf2v", { referenceImage: true }, "referenceImageEnd", "required"],
    ["minimax-h3-fastvideo-int8_flfa2v_turbo", { referenceImage: true, referenceImageEnd: true }, "referenceAudio", "required"],
    ["minimax-h3-fl2va-fp8_i2v", { referenceImage: true, referenceAudioIdentity: true }, "referenceAudioIdentity", "forbidden"],
    ["wan_v2.2-14b-fp8_s2v_lightx2v", { referenceImage: true }, "referenceAudio", "required"],
    ["ltx23-22b-fp8_ia2v_distilled", { referenceImage: true, referenceAudio: true, referenceImageEnd: true }, "referenceImageEnd", "forbidden"],
    ["ltx23-22b-fp8_a2v_distilled", { referenceAudio: true, referenceImage: true }, "referenceImage", "forbidden"],
    ["ltx25-22b-int8_v2v_distilled", {}, "referenceVideo", "required"],
    ["wan_v2.2-14b-fp8_animate-move_lightx2v", { referenceImage: true }, "referenceVideo", "required"],
    ["flashvsr_v1.1_tiny_long_bf16", { referenceImage: true, referenceVideo: true, upscaleResolution: 1080 }, "referenceImage", "forbidden"]
  ]
  for (const [modelId, extra, field, rule] of table) {
    it(`${modelId}: ${field} ${rule}`, () => rejects(vid(modelId, extra), field, rule))
  }

  it("accepts each workflow with its required assets", () => {
    accepts(vid("ltx23-22b-fp8_t2v_distilled", { referenceAudioIdentity: true }))
    accepts(vid("ltx23-22b-fp8_i2v_distilled", { referenceImageEnd: true }))
    accepts(vid("minimax-h3-fl2va-fp8_flf2v", { referenceImage: true, referenceImageEnd: true }))
    accepts(vid("minimax-h3-fastvideo-int8_a2v_turbo", { referenceAudio: true }))
    accepts(vid("wan_v2.2-14b-fp8_animate-replace_lightx2v", { referenceImage: true, referenceVideo: true, sam2Coordinates: [{ x: 1, y: 2 }] }))
    accepts(vid("ltx25-22b-int8_v2v_dev", { referenceVideo: true, referenceImage: true, controlNet: { name: "pose" } }))
  })

  it("sam2Coordinates only for animate-replace; URL refs only for vendor families", () => {
    rejects(vid("wan_v2.2-14b-fp8_animate-move_lightx2v", { referenceImage: true, referenceVideo: true, sam2Coordinates: [] }), "sam2Coordinates", "forbidden")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { referenceImageUrls: ["https://x/a.png"] }), "referenceImageUrls", "forbidden")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceImage: true, referenceVideoUrls: ["https://x/a.mp4"] }), "referenceVideoUrls", "forbidden")
  })

  it("video ControlNet: LTX v2v only, inpaint needs a mask, a mask needs inpaint", () => {
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { controlNet: { name: "canny" } }), "controlNet", "forbidden")
    rejects(vid("ltx25-22b-int8_v2v_distilled", { referenceVideo: true, controlNet: { name: "inpaint" } }), "referenceMask", "required")
    rejects(vid("ltx25-22b-int8_v2v_distilled", { referenceVideo: true, referenceMask: true, controlNet: { name: "canny" } }), "referenceMask", "forbidden")
    accepts(vid("ltx25-22b-int8_v2v_distilled", { referenceVideo: true, referenceMask: true, controlNet: { name: "inpaint", strength: 0.85 } }))
  })

  it("contextImages / referenceVideos / referenceAudios belong to H3 r2v", () => {
    rejects(vid("ltx23-22b-fp8_i2v_distilled", { referenceImage: true, contextImages: [true] }), "contextImages", "forbidden")
    rejects(vid("seedance-2-0", { referenceVideos: [true] }), "referenceVideos", "forbidden")
    rejects(vid("wan_v2.2-14b-fp8_t2v", { referenceAudios: [true] }), "referenceAudios", "forbidden")
  })
})

describe("JobRequestBuilder.validate: vendor references (media.md §10.2.3)", () => {
  it("Seedance limits, task types, HTTPS-only URLs", () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://cdn.example/${i}.png`)
    rejects(vid("seedance-2-0", { referenceImageUrls: ["http://cdn.example/a.png"] }), "referenceImageUrls[0]", "https-only")
    rejects(vid("seedance-2-0", { referenceImageUrls: ["https://cdn.example/a.png", " "] }), "referenceImageUrls[1]", "required")
    rejects(vid("seedance-2-0", { referenceImageUrls: urls(10) }), "referenceImageUrls", "max-count")
    rejects(vid("seedance-2-0", { referenceImage: true, referenceImageUrls: urls(8), referenceVideoUrls: urls(3), referenceAudioUrls: urls(1) }), "referenceImageUrls", "max-count")
    rejects(vid("seedance-2-0", { referenceAudioUrls: urls(1) }), "referenceImage", "required")
    rejects(vid("seedance-2-0", { seedanceTaskType: "reference" }), "seedanceTaskType", "forbidden")
    rejects(vid("seedance-2-5", { referenceImageUrls: urls(1) }), "seedanceTaskType", "required")
    rejects(vid("seedance-2-5", { referenceImage: true, seedanceTaskType: "reference" }), "seedanceTaskType", "exclusive")
    rejects(vid("seedance-2-5", { seedanceTaskType: "edit", referenceImageUrls: urls(1) }), "referenceVideo", "required")
    rejects(vid("seedance-2-0", { outputFormat: "mov" }), "outputFormat", "allowed-values")
    rejects(vid("seedance-2-0", { returnLastFrame: true }), "returnLastFrame", "forbidden")
    rejects(vid("seedance-2-0", { fps: 30 }), "fps", "fixed")
    accepts(vid("seedance-2-5", { referenceImageUrls: urls(30), seedanceTaskType: "reference", outputFormat: "mov", returnLastFrame: true }))
    accepts(vid("seedance-2-0", { referenceImage: true, referenceImageEnd: true, duration: 15 }))
  })

  it("HappyHorse image-only counts", () => {
    rejects(vid("happyhorse-1.1-i2v"), "referenceImage", "required")
    rejects(vid("happyhorse-1.1-i2v", { referenceImage: true, referenceImageUrls: ["https://x/a.png"] }), "referenceImageUrls", "max-count")
    rejects(vid("happyhorse-1.1-r2v"), "referenceImageUrls", "min-count")
    rejects(vid("happyhorse-1.1-r2v", { referenceImageUrls: Array.from({ length: 10 }, () => "https://x/a.png") }), "referenceImageUrls", "max-count")
    rejects(vid("happyhorse-1.1-t2v", { referenceImage: true }), "referenceImage", "forbidden")
    rejects(vid("happyhorse-1.1-r2v", { referenceImage: true, referenceVideo: true }), "referenceVideo", "forbidden")
    rejects(vid("happyhorse-1.1-i2v", { referenceImage: true, referenceImageEnd: true }), "referenceImageEnd", "forbidden")
    accepts(vid("happyhorse-1.1-i2v", { referenceImageUrls: ["https://x/a.png"], duration: 3 }))
  })

  it("Wan 3 rules", () => {
    rejects(vid("wan3.0-video", { referenceFileUrl: "http://x/doc.pdf" }), "referenceFileUrl", "https-only")
    rejects(vid("wan3.0-video", { referenceFileUrl: "https://x/a", referenceLinkUrl: "https://x/b" }), "referenceLinkUrl", "exclusive")
    rejects(vid("wan3.0-spicy-video", { referenceLinkUrl: "https://x/b" }), "referenceLinkUrl", "forbidden")
    rejects(vid("wan3.0-spicy-video", { watermark: true }), "watermark", "forbidden")
    rejects(vid("wan3.0-video", { referenceImageEnd: true }), "referenceImage", "required")
    rejects(vid("wan3.0-video", { referenceImage: true, referenceVideoUrls: ["https://x/v.mp4"] }), "referenceImage", "exclusive")
    rejects(vid("wan3.0-video", { referenceImageUrls: Array.from({ length: 11 }, () => "https://x/a.png") }), "referenceImageUrls", "max-count")
    rejects(vid("wan3.0-video", { seed: 2147483648 }), "seed", "range")
    rejects(vid("wan3.0-video", { fps: 24 }), "fps", "fixed")
    rejects(vid("wan3.0-video", { referenceMask: true }), "referenceMask", "forbidden")
    rejects({ type: "video", modelId: "wan3.0-video", positivePrompt: " " }, "positivePrompt", "required")
    accepts(vid("wan3.0-spicy-video", { referenceImageEnd: true, duration: 30 }))
  })

  it("MiniMax H3 r2v reference sets", () => {
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceAudio: true }), "referenceImage", "required")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceImage: true, contextImages: Array.from({ length: 9 }, () => true as const) }), "contextImages", "max-count")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceVideo: true, referenceVideos: [true, true, true] }), "referenceVideos", "max-count")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceImage: true, referenceAudios: [true, true, true, true] }), "referenceAudios", "max-count")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { contextImages: Array.from({ length: 9 }, () => true as const), referenceAudio: true, referenceAudios: [true, true], referenceVideo: true }), "contextImages", "max-count")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceVideo: true, referenceVideoDurations: [3, 4] }), "referenceVideoDurations", "count")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceVideo: true, referenceVideos: [true], referenceVideoDurations: [10, 10] }), "referenceVideoDurations", "range")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceVideo: true, referenceVideoDurations: [1] }), "referenceVideoDurations[0]", "range")
    rejects(vid("minimax-h3-ref2va-fp8_r2v", { referenceImage: true, referenceImageEnd: true }), "referenceImageEnd", "forbidden")
    accepts(vid("minimax-h3-ref2va-fp8_r2v", { contextImages: Array.from({ length: 9 }, () => true as const), referenceAudio: true, referenceVideo: true, referenceVideoDurations: [15] }))
  })
})

describe("JobRequestBuilder.validate: MiniMax H3 fixed rules (media.md §10.2.4)", () => {
  const h3 = "minimax-h3-fl2va-fp8_t2v"
  it("refuses off-grid or non-fixed values", () => {
    rejects(vid(h3, { fps: 30 }), "fps", "fixed")
    rejects(vid(h3, { steps: 8 }), "steps", "fixed")
    rejects(vid("minimax-h3-fl2va-fp8_t2v_turbo", { steps: 20 }), "steps", "fixed")
    rejects(vid(h3, { guidance: 2 }), "guidance", "fixed")
    rejects(vid(h3, { negativePrompt: "blur" }), "negativePrompt", "forbidden")
    rejects(vid(h3, { frames: 125 }), "frames", "grid")
    rejects(vid(h3, { width: 1000, height: 544 }), "width", "grid")
    rejects(vid(h3, { width: 1344, height: 1344 }), "width", "grid")
    rejects(vid(h3, { width: 960 }), "height", "required")
    rejects(vid(h3, { audioDuration: 5 }), "audioDuration", "forbidden")
    rejects(vid(h3, { audioStart: 1 }), "audioStart", "forbidden")
    rejects(vid(h3, { duration: 5 }), "duration", "range")
    rejects(vid("minimax-h3-fastvideo-int8_a2v_turbo", { referenceAudio: true, generateAudio: false }), "generateAudio", "forbidden")
    rejects(vid("minimax-h3-fastvideo-int8_a2v_turbo", { referenceAudio: true, loras: ["l"] }), "loras", "forbidden")
  })

  it("accepts the fixed values", () => {
    accepts(vid(h3, { fps: 24, steps: 20, guidance: 1, frames: 362, width: 1344, height: 768, duration: 15 }))
    accepts(vid("minimax-h3-fastvideo-int8_a2v_turbo", { referenceAudio: true, audioStart: 0, steps: 4 }))
  })
})

describe("JobRequestBuilder.validate: timing, sizes, FlashVSR (media.md §10.2.2, §10.2.5)", () => {
  it("duration per family", () => {
    rejects(vid("wan_v2.2-14b-fp8_t2v", { duration: 11 }), "duration", "range")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { duration: 0.5 }), "duration", "range")
    rejects(vid("seedance-2-0", { duration: 16 }), "duration", "range")
    rejects(vid("happyhorse-1.1-t2v", { duration: 2 }), "duration", "range")
    accepts(vid("wan_v2.2-14b-fp8_animate-move_lightx2v", { referenceImage: true, referenceVideo: true, duration: 20 }))
    accepts(vid("seedance-2-5", { duration: 30 }))
  })

  it("fps per family and per tier", () => {
    rejects(vid("wan_v2.2-14b-fp8_t2v", { fps: 24 }), "fps", "allowed-values")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { fps: 61 }), "fps", "range")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { fps: 20 }), "fps", "allowed-values")
    accepts(vid("ltx23-22b-fp8_t2v_distilled", { fps: 25, duration: 4 }))
  })

  it("computed frames must fit the tier's frame range", () => {
    const wanShort = { ...tiers.wan, frames: { min: 17, max: 161 } }
    rejects(vid("wan_v2.2-14b-fp8_animate-move_lightx2v", { referenceImage: true, referenceVideo: true, duration: 15 }), "duration", "range", {
      id: "wan_v2.2-14b-fp8_animate-move_lightx2v",
      media: "video",
      tier: wanShort
    })
  })

  it("sizes: ≥ 480, both sides, tier bounds and pixel budget", () => {
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { width: 320, height: 480 }), "width", "range")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { width: 640 }), "height", "required")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { width: 1280, height: 2048 }), "height", "range")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { width: 1920, height: 1920 }), "width", "range", {
      id: "ltx23-22b-fp8_t2v_distilled",
      media: "video",
      tier: { ...tiers.ltx, maxPixels: 1920 * 1088 }
    })
    accepts(vid("ltx23-22b-fp8_t2v_distilled", { width: 1920, height: 1080 }))
  })

  it("shift and seed", () => {
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { shift: 9 }), "shift", "range")
    rejects(vid("wan_v2.2-14b-fp8_t2v", { shift: 11 }), "shift", "range")
    rejects(vid("ltx23-22b-fp8_t2v_distilled", { seed: -1 }), "seed", "forbidden")
    accepts(vid("wan_v2.2-14b-fp8_t2v", { shift: 10 }))
  })

  it("FlashVSR rules", () => {
    const f = (extra: Partial<Params.VideoParams>) => vid("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", referenceVideo: true, ...extra })
    rejects(f({}), "upscaleResolution", "required")
    rejects(f({ width: 1280, height: 720 }), "upscaleResolution", "allowed-values")
    rejects(f({ upscaleResolution: 1080, duration: 4 }), "fps", "required")
    rejects(f({ upscaleResolution: 1080, fps: 90 }), "fps", "range")
    rejects(f({ upscaleResolution: 1080, positivePrompt: "sharper" }), "positivePrompt", "forbidden")
    rejects(f({ upscaleResolution: 1080, teacacheThreshold: 0.1 }), "teacacheThreshold", "forbidden")
    rejects(f({ upscaleResolution: 1080, generateAudio: false }), "generateAudio", "forbidden")
    rejects(f({ upscaleResolution: 1080, numberOfMedia: 2 }), "numberOfMedia", "max-count")
    rejects(vid("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", upscaleResolution: 1440 }), "referenceVideo", "required")
    accepts(f({ upscaleResolution: 1440, seed: -1, frames: 300, duration: 100 }))
    accepts(f({ width: 1920, height: 1080, fps: 30, duration: 40 }))
  })
})

describe("JobRequestBuilder.validate: audio (media.md §10.3)", () => {
  it("ranges from the tier, else the documented ones", () => {
    rejects(aud("ace_step_1.5_turbo", { duration: 300 }), "duration", "range")
    rejects(aud("ace_step_1.5_turbo", { bpm: 250 }), "bpm", "range")
    rejects(aud("ace_step_1.5_turbo", { timesignature: "5" }), "timesignature", "allowed-values")
    rejects(aud("ace_step_1.5_turbo", { keyscale: "D major" }), "keyscale", "allowed-values")
    rejects(aud("ace_step_1.5_turbo", { language: "de" }), "language", "allowed-values")
    rejects(aud("ace_step_1.5_turbo", { steps: 20 }), "steps", "range")
    rejects(aud("minimax_music3", { duration: 301 }), "duration", "range")
    rejects(aud("minimax_music3", { guidance: 6 }), "guidance", "range")
    rejects(aud("minimax_music3", { bpm: 120 }), "bpm", "forbidden")
    rejects(aud("minimax_music3", { timesignature: "4" }), "timesignature", "forbidden")
    accepts(aud("ace_step_1.5_turbo", { duration: 240, bpm: 40, timesignature: "6", keyscale: "A minor", language: "fr", steps: 16 }))
    accepts(aud("minimax_music3", { duration: 300, guidance: 5, steps: 100, promptStrength: 10 }))
  })

  it("documented ranges apply when the tier declares nothing", () => {
    const bare = (id: string) => ({ id, media: "audio" as const, tier: { type: "audio", benchmark, steps: { min: 1, max: 500 } } })
    rejects(aud("ace_step_1.5_sft", { duration: 601 }), "duration", "range", bare("ace_step_1.5_sft"))
    rejects(aud("ace_step_1.5_sft", { bpm: 20 }), "bpm", "range", bare("ace_step_1.5_sft"))
    rejects(aud("ace_step_1.5_turbo", { guidance: 3 }), "guidance", "forbidden", bare("ace_step_1.5_turbo"))
    rejects(aud("ace_step_1.5_sft", { keyscale: "H major" }), "keyscale", "format", bare("ace_step_1.5_sft"))
    accepts(aud("ace_step_1.5_sft", { duration: 600, bpm: 300, guidance: 15, keyscale: "F# minor", shift: 6 }), bare("ace_step_1.5_sft"))
  })

  it("speech models: speaker list, instruct, reference text and audio", () => {
    rejects(aud("qwen3_tts_voice_design", { instruct: "x", speaker: "vivian" }), "speaker", "allowed-values")
    rejects(aud("qwen3_tts_voice_design"), "instruct", "required")
    rejects(aud("qwen3_tts_voice_design", { instruct: "x".repeat(41) }), "instruct", "max-length")
    rejects(aud("qwen3_tts_voice_design", { instruct: "x", referenceText: "y".repeat(21) }), "referenceText", "max-length")
    rejects(aud("qwen3_tts_voice_design", { instruct: "x", bpm: 120 }), "bpm", "forbidden")
    rejects(aud("ace_step_1.5_turbo", { referenceAudio: true }), "referenceAudio", "forbidden")
    rejects(aud("qwen3_tts_clone", { instruct: "x" }), "referenceAudio", "required", {
      id: "qwen3_tts_clone",
      media: "audio",
      tier: { ...tiers.tts, requiresReferenceAudio: true }
    })
    accepts(aud("qwen3_tts_voice_design", { instruct: "warm", speaker: "serena", referenceAudio: true, referenceText: "hello" }))
  })
})

// ---------------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------------

describe("JobRequestBuilder.uploadPlan (media.md §9.1–§9.2)", () => {
  const describeBatches = (p: Params.ProjectParams) =>
    JobRequestBuilder.uploadPlan(p).map((batch) => batch.map((u) => `${u.endpoint}:${u.slot}${u.id ? `#${u.id}` : ""}`))

  it("image: mask, starting image, ControlNet, then context images in parallel; `true` skipped", () => {
    const p = img("gpt-image-2", { gptImageMask: PNG, startingImage: JPEG, controlNet: { name: "canny", image: PNG }, contextImages: [PNG, true, PNG] })
    assert.deepStrictEqual(describeBatches(p), [
      ["image:referenceMask"],
      ["image:startingImage"],
      ["image:cnImage"],
      ["image:contextImage1", "image:contextImage3"]
    ])
    const uploads = JobRequestBuilder.uploadsFor(p)
    assert.deepStrictEqual(uploads.map((u) => Option.getOrUndefined(u.contentType)), ["image/png", "image/jpeg", "image/png", "image/png", "image/png"])
  })

  it("Pixal3D orbit views go to contextImage1/2/3", () => {
    const p = img("pixal3d_multiview_int8_i23d", { startingImage: PNG, backViewImage: PNG, rightViewImage: PNG })
    assert.deepStrictEqual(describeBatches(p), [["image:startingImage"], ["image:contextImage2", "image:contextImage3"]])
  })

  it("video: one by one in the client's order; identity shares the referenceAudio slot", () => {
    const p = vid("ltx25-22b-int8_v2v_distilled", {
      referenceImage: PNG, referenceAudioIdentity: WAV, referenceVideo: MP4, referenceMask: PNG, controlNet: { name: "inpaint" }
    })
    assert.deepStrictEqual(describeBatches(p), [
      ["image:referenceImage"],
      ["media:referenceAudio"],
      ["media:referenceVideo"],
      ["image:referenceMask"]
    ])
    assert.deepStrictEqual(JobRequestBuilder.uploadsFor(p).map((u) => u.key), ["referenceImage", "referenceAudioIdentity", "referenceVideo", "referenceMask"])
  })

  it("H3 r2v: context images offset past referenceImage; audio/video sets numbered and parallel", () => {
    const p = vid("minimax-h3-ref2va-fp8_r2v", {
      referenceImage: PNG, contextImages: [PNG, PNG], referenceAudio: WAV, referenceAudios: [MP3], referenceVideo: true, referenceVideos: [MP4]
    })
    assert.deepStrictEqual(describeBatches(p), [
      ["image:referenceImage"],
      ["image:contextImage2", "image:contextImage3"],
      ["media:referenceAudio#referenceAudio1", "media:referenceAudio#referenceAudio2", "media:referenceVideo#referenceVideo2"]
    ])
    const kf = keyframe(p)
    assert.deepStrictEqual(
      pick(kf, "hasContextImage2", "hasContextImage3", "hasReferenceAudio1", "hasReferenceAudio2", "hasReferenceVideo1", "hasReferenceVideo2"),
      [true, true, true, true, true, true]
    )
    assert.deepStrictEqual(
      pick(kf, "referenceAudio1ContentType", "referenceAudio2ContentType", "referenceVideo1ContentType", "referenceVideo2ContentType"),
      ["audio/wav", "audio/mpeg", undefined, "video/mp4"]
    )
  })

  it("audio: the voice sample; nothing when already uploaded", () => {
    assert.deepStrictEqual(describeBatches(aud("qwen3_tts_base", { referenceAudio: WAV })), [["media:referenceAudio"]])
    assert.deepStrictEqual(describeBatches(aud("qwen3_tts_base", { referenceAudio: true })), [])
  })
})

describe("JobRequestBuilder: defaults and options", () => {
  it("reads tier defaults with aliases", () => {
    const d = Either.getOrThrow(JobRequestBuilder.defaultsFor(model("flux1-schnell-fp8", "legacy", "image")))
    assert.deepStrictEqual(
      [d.steps, d.guidance, d.sampler, d.scheduler, d.outputFormat],
      [Option.some(4), Option.some(1), Option.some("euler"), Option.some("simple"), "png"]
    )
    const v = Either.getOrThrow(JobRequestBuilder.defaultsFor(model("ltx23-22b-fp8_t2v_distilled", "ltx", "video")))
    assert.deepStrictEqual([v.fps, v.outputFormat], [Option.some(24), "mp4"])
    const o = Either.getOrThrow(JobRequestBuilder.optionsFor(model("z_image_turbo_bf16", "comfyImage", "image")))
    assert.deepStrictEqual([o.kind, o.comfyImageTier, o.guidance?.step], ["image", true, 0.1])
  })
})

// Projects.prepare passes the video and audio rules it loaded on first use (undefined for an image project)
describe("JobRequestBuilder.buildWith: the rules of a project kind given by the caller", () => {
  const context = (p: Params.ProjectParams) => ({ projectId: P, model: descriptorFor(p) })
  // stand-in rules: the video one refuses everything, the audio one accepts everything
  const kinds: JobRequestBuilder.KindChecks = {
    ...kindChecks,
    validateVideo: () => new SogniInvalidRequest({ field: "positivePrompt", rule: "stand-in", message: "video rules ran" }),
    validateAudio: () => undefined
  }
  it("builds an image project without the video and audio rules, as build does", () => {
    const p: Params.ImageParams = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a kite", steps: 4 }
    assert.deepStrictEqual(JobRequestBuilder.buildWith(p, context(p), undefined), build(p))
  })
  it("checks video and audio projects with the given rules", () => {
    const audio = aud("ace_step_1.5_turbo", { keyscale: "A minor" })
    assert.deepStrictEqual(JobRequestBuilder.buildWith(audio, context(audio), kinds), build(audio))
    const video = vid("wan_v2.2-14b-fp8_t2v")
    const refused = JobRequestBuilder.buildWith(video, context(video), kinds)
    assert.isTrue(Either.isLeft(refused) && refused.left.rule === "stand-in")
  })
  it("builds the special image models (SAM 3, BiRefNet, Pixal3D, GPT Image) with the given rules, as build does", () => {
    const special: ReadonlyArray<Params.ImageParams> = [
      img("sam3_image_segment_bf16", { startingImage: PNG, sam3Prompt: { points: [{ x: 0.2, y: 0.4, label: "positive" }] } }),
      img("birefnet_image_background_removal_fp16", { startingImage: PNG, applyMask: false }),
      img("pixal3d_multiview_int8_i23d", { startingImage: PNG, backViewImage: PNG, meshTargetFaces: 20000 }),
      img("gpt-image-2.5-sunburst", { contextImages: [PNG], gptImageMask: PNG, gptImageQuality: "max" })
    ]
    for (const p of special) {
      assert.isTrue(JobRequestBuilder.needsKindChecks(p), p.modelId)
      const built = JobRequestBuilder.buildWith(p, context(p), kindChecks)
      assert.isTrue(Either.isRight(built), p.modelId)
      assert.deepStrictEqual(built, build(p))
    }
    // a special model's refusal with the given rules is the one validate gives
    const missing = img("sam3_image_segment_bf16", { startingImage: PNG })
    assert.deepStrictEqual(JobRequestBuilder.buildWith(missing, context(missing), kindChecks), build(missing))
  })
  it("needs no rules for an image project of another model that carries none of the special fields", () => {
    assert.isFalse(JobRequestBuilder.needsKindChecks(img("flux1-schnell-fp8", { width: 1024, height: 768, contextImages: [PNG] })))
    // one of their fields on another model needs them: they are what refuses it
    const stray = img("flux1-schnell-fp8", { gptImageQuality: "low" })
    assert.isTrue(JobRequestBuilder.needsKindChecks(stray))
    const refused = JobRequestBuilder.buildWith(stray, context(stray), kindChecks)
    assert.isTrue(Either.isLeft(refused) && refused.left.field === "gptImageQuality" && refused.left.rule === "forbidden")
    // the rules every image model meets still run without them
    const tooMany = img("flux1-schnell-fp8", { contextImages: [PNG, PNG, PNG, PNG] })
    assert.deepStrictEqual(JobRequestBuilder.buildWith(tooMany, context(tooMany), undefined), build(tooMany))
    const size = img("flux1-schnell-fp8", { width: 4096, height: 1024 })
    assert.deepStrictEqual(JobRequestBuilder.buildWith(size, context(size), undefined), build(size))
  })
  it("refuses an image project of a special model, or with one of their fields, whose rules were not given", () => {
    for (const p of [img("gpt-image-2", { contextImages: [PNG] }), img("flux1-schnell-fp8", { applyMask: true })]) {
      const r = JobRequestBuilder.buildWith(p, context(p), undefined)
      assert.isTrue(Either.isLeft(r))
      if (Either.isLeft(r)) assert.deepStrictEqual([r.left._tag, r.left.field, r.left.rule], ["SogniInvalidRequest", "modelId", "model-type"])
    }
  })
  it("refuses a video or audio project whose rules were not given, naming the type", () => {
    for (const p of [vid("wan_v2.2-14b-fp8_t2v"), aud("ace_step_1.5_turbo")]) {
      const r = JobRequestBuilder.buildWith(p, context(p), undefined)
      assert.isTrue(Either.isLeft(r))
      if (Either.isLeft(r)) assert.deepStrictEqual([r.left._tag, r.left.field, r.left.rule], ["SogniInvalidRequest", "type", "model-type"])
    }
  })
})
