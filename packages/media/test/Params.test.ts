import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Params from "../src/Params.js"

const image = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a cat" } as const
const video = { type: "video", modelId: "ltx23-22b-fp8_t2v_distilled", positivePrompt: "waves" } as const
const audio = { type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "lofi" } as const

const rejects = (input: unknown, field: string, rule: string) => {
  const r = Params.decode(input)
  assert.isTrue(Either.isLeft(r), `expected ${field}/${rule} to be refused`)
  if (Either.isLeft(r)) {
    assert.strictEqual(r.left._tag, "SogniInvalidRequest")
    assert.strictEqual(r.left.field, field)
    assert.strictEqual(r.left.rule, rule)
    assert.include(r.left.message, field)
  }
}

describe("Params.decode: accepting", () => {
  it("decodes image, video and audio params with media as bytes or true", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47])
    const i = Params.decode({
      ...image,
      numberOfMedia: 2,
      startingImage: png,
      startingImageStrength: 0.7,
      contextImages: [true, new Uint8Array([1])],
      controlNet: { name: "canny", image: true, strength: 0.8, mode: "cn_priority", guidanceStart: 0, guidanceEnd: 1 },
      seed: 4_294_967_295,
      loras: ["a"],
      loraStrengths: [-0.5],
      sam3Prompt: { points: [{ x: 0.1, y: 0.2, label: "positive" }] },
      worldGenerationReceipt: { stage: "transition", firstFrameSha256: "A".repeat(64), lastFrameSha256: "b".repeat(64) }
    })
    assert.isTrue(Either.isRight(i))
    const v = Params.decode({
      ...video,
      duration: 5,
      fps: 24,
      referenceAudio: true,
      referenceImageUrls: ["https://x/y.png"],
      controlNet: { name: "pose" },
      seed: -1
    })
    assert.isTrue(Either.isRight(v))
    const a = Params.decode({ ...audio, duration: 30, bpm: 120, timesignature: "4", outputFormat: "flac", referenceAudio: true })
    assert.isTrue(Either.isRight(a))
    if (Either.isRight(a)) assert.strictEqual(a.right.type, "audio")
  })

  it.prop("any uint32 seed is accepted", [FastCheck.integer({ min: 0, max: 4_294_967_295 })], ([seed]) => {
    assert.isTrue(Either.isRight(Params.decode({ ...image, seed })))
  })
})

describe("Params.decode: refusing with field and rule", () => {
  it("keys named like Object.prototype members are unknown fields, never a crash; non-objects fail typed", () => {
    for (const key of ["toString", "constructor", "valueOf", "hasOwnProperty", "isPrototypeOf", "__defineGetter__"]) {
      rejects({ ...image, [key]: 1 }, key, "unknown-field")
    }
    rejects(JSON.parse(`{"type":"image","modelId":"m","__proto__":{"x":1}}`), "__proto__", "unknown-field")
    rejects({ ...video, smartDuration: true }, "smartDuration", "retired")
    for (const input of [null, undefined, "image", 7, true, []]) rejects(input, "params", "type")
  })

  it("counts and text lengths have platform bounds", () => {
    rejects({ ...image, numberOfMedia: Params.limits.maxNumberOfMedia + 1 }, "numberOfMedia", "range")
    rejects({ ...audio, numberOfMedia: 1e9 }, "numberOfMedia", "range")
    assert.isTrue(Either.isRight(Params.decode({ ...image, numberOfMedia: Params.limits.maxNumberOfMedia })))
    const long = "x".repeat(Params.limits.maxPromptLength + 1)
    rejects({ ...image, positivePrompt: long }, "positivePrompt", "max-length")
    rejects({ ...video, stylePrompt: long }, "stylePrompt", "max-length")
    rejects({ ...audio, lyrics: long }, "lyrics", "max-length")
    assert.isTrue(Either.isRight(Params.decode({ ...image, positivePrompt: long.slice(1) })))
  })

  it("static ranges name the dotted field", () => {
    rejects({ ...image, startingImageStrength: 1.5 }, "startingImageStrength", "range")
    rejects({ ...image, controlNet: { name: "canny", strength: 2 } }, "controlNet.strength", "range")
    rejects({ ...image, controlNet: { name: "canny", guidanceEnd: -0.1 } }, "controlNet.guidanceEnd", "range")
    rejects({ ...image, numberOfMedia: 0 }, "numberOfMedia", "range")
    rejects({ ...image, numberOfPreviews: -1 }, "numberOfPreviews", "range")
    rejects({ ...image, gptImageOutputCompression: 101 }, "gptImageOutputCompression", "range")
    rejects({ ...image, textureSize: 512 }, "textureSize", "range")
    rejects({ ...image, sam3Prompt: { points: [{ x: 2, y: 0, label: "positive" }] } }, "sam3Prompt.points[0].x", "range")
    rejects({ ...video, teacacheThreshold: 1.1 }, "teacacheThreshold", "range")
    rejects({ ...video, audioIdentityStrength: 11 }, "audioIdentityStrength", "range")
    rejects({ ...video, duration: 0 }, "duration", "range")
    rejects({ ...video, seed: -2 }, "seed", "range")
    rejects({ ...audio, creativity: 3 }, "creativity", "range")
    rejects({ ...audio, promptStrength: -1 }, "promptStrength", "range")
  })

  it("seed is a uint32 integer", () => {
    rejects({ ...image, seed: 4_294_967_296 }, "seed", "range")
    rejects({ ...image, seed: -1 }, "seed", "range")
    rejects({ ...image, seed: 1.5 }, "seed", "integer")
    rejects({ ...image, steps: Number.NaN }, "steps", "type")
  })

  it("literal choices report allowed-values", () => {
    rejects({ ...image, outputFormat: "gif" }, "outputFormat", "allowed-values")
    rejects({ ...image, gptImageQuality: "auto" }, "gptImageQuality", "allowed-values")
    rejects({ ...image, controlNet: { name: "pose" } }, "controlNet.name", "allowed-values")
    rejects({ ...video, controlNet: { name: "openpose" } }, "controlNet.name", "allowed-values")
    rejects({ ...video, outputFormat: "webm" }, "outputFormat", "allowed-values")
    rejects({ ...video, ratio: "21:9" }, "ratio", "allowed-values")
    rejects({ ...video, upscaleResolution: 720 }, "upscaleResolution", "allowed-values")
    rejects({ ...audio, outputFormat: "ogg" }, "outputFormat", "allowed-values")
    rejects({ ...image, tokenType: "eth" }, "tokenType", "allowed-values")
    rejects({ ...image, type: "gif" }, "type", "allowed-values")
  })

  it("media inputs are bytes or true, at any depth", () => {
    rejects({ ...image, startingImage: "file.png" }, "startingImage", "type")
    rejects({ ...image, startingImage: false }, "startingImage", "type")
    rejects({ ...image, contextImages: [true, 3] }, "contextImages[1]", "type")
    rejects({ ...image, controlNet: { name: "canny", image: "x" } }, "controlNet.image", "type")
  })

  it("counts, required keys, formats", () => {
    rejects({ ...image, loras: Array.from({ length: 9 }, (_, i) => `l${i}`) }, "loras", "max-count")
    rejects({ ...image, sam3Prompt: { boxes: Array.from({ length: 17 }, () => ({ x0: 0, y0: 0, x1: 1, y1: 1 })) } }, "sam3Prompt.boxes", "max-count")
    rejects({ type: "image" }, "modelId", "required")
    rejects({ ...image, modelId: "  " }, "modelId", "required")
    rejects({ ...video, referenceImageUrls: [""] }, "referenceImageUrls[0]", "required")
    rejects({ ...image, worldGenerationReceipt: { stage: "target_still", sourceImageSha256: "xyz", selectionHash: "0".repeat(64) } }, "worldGenerationReceipt.sourceImageSha256", "format")
  })

  it("unknown keys are refused; retired ones say so", () => {
    rejects({ ...image, numberOfImages: 2 }, "numberOfImages", "unknown-field")
    rejects({ ...video, outputScale: 2 }, "outputScale", "retired")
    rejects({ ...video, smartDuration: true }, "smartDuration", "retired")
    rejects({ ...audio, referenceVideo: true }, "referenceVideo", "unknown-field")
  })
})
