import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import { toInvalidRequest } from "../src/internal/paramsRules.js"
import * as Params from "../src/Params.js"
import { decodePlainImage, plainImageFields } from "../src/internal/plainImage.js"

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

describe("Params.decode: the known-keys fast path", () => {
  // the reference: one strict decode (unknown keys refused at every depth), first failure mapped
  const strict = Schema.decodeUnknownEither(Params.ProjectParams, { onExcessProperty: "error", errors: "first" })
  const reference = (input: unknown) => Either.mapLeft(strict(input), (e) => toInvalidRequest(e))

  const sameAsReference = (input: unknown) => {
    const got = Params.decode(input)
    const want = reference(input)
    if (Either.isRight(want)) {
      assert.isTrue(Either.isRight(got), `expected ${JSON.stringify(input)} to decode`)
      if (Either.isRight(got)) {
        assert.deepStrictEqual(got.right, want.right)
        // the same keys in the same order (a request built from it keeps that order on the wire)
        assert.deepStrictEqual(Reflect.ownKeys(got.right), Reflect.ownKeys(want.right))
      }
    } else {
      assert.isTrue(Either.isLeft(got), `expected ${JSON.stringify(input)} to be refused`)
      if (Either.isLeft(got)) {
        assert.deepStrictEqual([got.left.field, got.left.rule, got.left.message], [
          want.left.field,
          want.left.rule,
          want.left.message
        ])
      }
    }
  }

  it("unknown keys inside nested objects are still refused", () => {
    rejects({ ...image, controlNet: { name: "canny", strenght: 0.5 } }, "controlNet.strenght", "unknown-field")
    rejects({ ...image, sam3Prompt: { points: [{ x: 0, y: 0, label: "positive", z: 1 }] } }, "sam3Prompt.points[0].z", "unknown-field")
    rejects({ ...video, sam2Coordinates: [{ x: 1, y: 2, t: 0 }] }, "sam2Coordinates[0].t", "unknown-field")
    rejects(
      { ...image, worldGenerationReceipt: { stage: "transition", firstFrameSha256: "a".repeat(64), lastFrameSha256: "b".repeat(64), extra: 1 } },
      "worldGenerationReceipt.extra",
      "unknown-field"
    )
    // a symbol key is an own key the schema does not declare
    assert.isTrue(Either.isLeft(Params.decode({ ...image, [Symbol("k")]: 1 })))
    // an inherited `type` is not the input's own
    rejects(Object.assign(Object.create({ type: "image" }), { modelId: "m" }), "type", "required")
  })

  const keys = [
    "type", "modelId", "numberOfMedia", "positivePrompt", "negativePrompt", "steps", "guidance", "seed", "network",
    "tokenType", "startingImage", "startingImageStrength", "contextImages", "controlNet", "sam3Prompt", "duration",
    "fps", "referenceAudio", "sam2Coordinates", "bpm", "lyrics", "outputFormat", "worldGenerationReceipt", "loras",
    "numberOfImages", "outputScale", "bogus"
  ]
  const value = FastCheck.oneof(
    FastCheck.constantFrom("image", "video", "audio", "flux1-schnell-fp8", "", "fast", "spark", "png", "canny"),
    FastCheck.integer({ min: -2, max: 5000 }),
    FastCheck.double(),
    FastCheck.boolean(),
    FastCheck.constant(null),
    FastCheck.constant(new Uint8Array([1, 2])),
    FastCheck.array(FastCheck.oneof(FastCheck.constant(true), FastCheck.string(), FastCheck.record({ x: FastCheck.double(), y: FastCheck.double() })), { maxLength: 3 }),
    FastCheck.record({ name: FastCheck.constantFrom("canny", "pose", "x"), strength: FastCheck.double({ min: -1, max: 2 }) }, { requiredKeys: ["name"] }),
    FastCheck.dictionary(FastCheck.constantFrom("name", "x", "y", "label", "stage", "points"), FastCheck.constantFrom(0, 0.5, "canny", "positive", []))
  )
  const base = FastCheck.record({
    type: FastCheck.constantFrom("image", "video", "audio", "text"),
    modelId: FastCheck.constantFrom("m", " ")
  })

  it.prop(
    "gives the strict decoder's value or first failure for any input",
    [base, FastCheck.dictionary(FastCheck.constantFrom(...keys), value, { maxKeys: 6 }), FastCheck.constantFrom(...keys), value],
    ([b, extra, key, v]) => {
      sameAsReference({ ...b, ...extra })
      sameAsReference({ ...extra, ...b })
      // one key at a time, so a late field's failure is not hidden behind an earlier one
      sameAsReference({ ...b, [key]: v })
    },
    { fastCheck: { numRuns: 1000 } }
  )

  // inputs of plain values only (what the plain pass decodes without the schema's parser), undefined included
  const plainKeys = [
    "numberOfMedia", "positivePrompt", "negativePrompt", "stylePrompt", "steps", "guidance", "seed", "network",
    "tokenType", "billingMode", "disableNSFWFilter", "appSource", "numberOfPreviews", "startingImageStrength",
    "sampler", "scheduler", "sizePreset", "width", "height", "outputFormat", "gptImageQuality", "textureSize",
    "duration", "frames", "fps", "shift", "ratio", "upscaleResolution", "bpm", "composerMode", "promptStrength",
    "creativity", "speaker", "lyrics"
  ]
  const plainValue = FastCheck.oneof(
    FastCheck.constantFrom("image", "video", "audio", "", " ", "fast", "relaxed", "spark", "sogni", "auto", "png", "mp4", "mp3", "16:9", "hd"),
    FastCheck.string({ maxLength: 8 }),
    FastCheck.integer({ min: -2, max: 5000 }),
    FastCheck.constantFrom(0, 1, 16, 17, 1080, 1440, 4_294_967_295, 4_294_967_296, 0.5, -0.5, Number.NaN, Infinity, -Infinity),
    FastCheck.double(),
    FastCheck.boolean(),
    FastCheck.constant(undefined)
  )

  it.prop(
    "plain values: the strict decoder's value (same keys, same order) or first failure",
    [base, FastCheck.dictionary(FastCheck.constantFrom(...plainKeys), plainValue, { maxKeys: 8 })],
    ([b, extra]) => {
      sameAsReference({ ...b, ...extra })
      sameAsReference({ ...extra, ...b })
      const { modelId: _m, ...noModel } = b
      sameAsReference({ ...noModel, ...extra })
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it("a typical image request decodes to a fresh object of the schema's keys in the schema's order", () => {
    const input = { seed: 7, positivePrompt: "a cat", steps: 4, type: "image", network: "fast", modelId: "m", guidance: undefined }
    const r = Params.decode(input)
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) {
      assert.notStrictEqual<unknown>(r.right, input)
      assert.deepStrictEqual(Reflect.ownKeys(r.right), ["type", "modelId", "positivePrompt", "steps", "guidance", "network", "seed"])
    }
  })
})

describe("Params.decode: the plain image path (no schema built)", () => {
  const strict = Schema.decodeUnknownEither(Params.ProjectParams, { onExcessProperty: "error", errors: "first" })
  const imageFields = (Params.ImageParams.ast as SchemaAST.TypeLiteral).propertySignatures.map((ps) => ps.name)

  /** The plain path's answer must be the strict decoder's value (same keys, same order) whenever it gives one. */
  const agrees = (input: object) => {
    const fast = decodePlainImage(input)
    const want = strict(input)
    if (fast === undefined) return Either.isRight(want)
    assert.isTrue(Either.isRight(want), `the plain path accepted ${String(JSON.stringify(input))}, the schema refuses it`)
    if (Either.isRight(want)) {
      assert.deepStrictEqual(fast, want.right)
      assert.deepStrictEqual(Reflect.ownKeys(fast), Reflect.ownKeys(want.right))
      assert.notStrictEqual<unknown>(fast, input)
    }
    return false
  }

  it("its fields are image fields, in the schema's order, and its prompt limit is the schema's", () => {
    const positions = plainImageFields.map((name) => imageFields.indexOf(name))
    assert.isFalse(positions.includes(-1))
    assert.deepStrictEqual(positions, [...positions].sort((a, b) => a - b))
    assert.isDefined(decodePlainImage({ ...image, positivePrompt: "x".repeat(Params.limits.maxPromptLength) }))
    assert.isUndefined(decodePlainImage({ ...image, positivePrompt: "x".repeat(Params.limits.maxPromptLength + 1) }))
  })

  // values at and around each rule's edges, of every plain type, and some that are not plain
  const edgeValues: ReadonlyArray<unknown> = [
    undefined, null, true, false, "", " ", "x", "image", "video", "flux1-schnell-fp8", "fast", "relaxed", "sogni",
    "spark", "auto", "subscription", "tokens", "png", "jpg", "webp", "gif", "low", "hd", "xhigh", "max", "opaque",
    "transparent", "i23d-birefnet", "custom", -1, 0, 0.5, 1, 1.5, 2, 16, 17, 100, 101, 255, 256, 511, 512, 1023, 1024,
    1536, 1537, 2048, 2049, 4096, 4097, 4999, 5000, 700_000, 700_001, 4_294_967_295, 4_294_967_296,
    Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity, -Infinity, -0, 1e-9,
    new Uint8Array([1]), [], {}
  ]

  it("each field, each edge value: the schema's value whenever the plain path gives one, and one whenever the schema accepts", () => {
    for (const name of plainImageFields) {
      for (const v of edgeValues) {
        const input = { ...image, [name]: v }
        const schemaOnly = agrees(input)
        // (another `type` is another schema's: left to it)
        if (input.type === "image") {
          assert.isFalse(schemaOnly, `the schema accepts ${name}: ${String(v)}, the plain path does not`)
        } else assert.isUndefined(decodePlainImage(input))
        // absent required keys are left to the schema
        if (name === "type" || name === "modelId") {
          const { [name]: _, ...without } = image
          assert.isUndefined(decodePlainImage(without))
        }
      }
    }
  })

  it("keys it does not know, media, nested values and non-image types are left to the schema", () => {
    const left = [
      { ...image, startingImage: true },
      { ...image, startingImage: new Uint8Array([1]) },
      { ...image, controlNet: { name: "canny" } },
      { ...image, loras: ["a"] },
      { ...image, contextImages: [] },
      { ...image, bogus: 1 },
      { ...image, outputScale: 2 },
      { ...image, [Symbol("k")]: 1 },
      Object.defineProperty({ ...image }, "hidden", { value: 1, enumerable: false }),
      Object.assign(Object.create({ type: "image" }), { modelId: "m" }),
      { ...video },
      { ...audio }
    ]
    for (const input of left) assert.isUndefined(decodePlainImage(input))
    // what the bench and most programs send
    const typical = { type: "image", modelId: "m", positivePrompt: "p", numberOfMedia: 4, steps: 50, guidance: 1, seed: 1000, tokenType: "spark", network: "fast" }
    assert.isDefined(decodePlainImage(typical))
    assert.isTrue(Either.isRight(Params.decode(typical)))
  })

  const plainValue = FastCheck.oneof(
    FastCheck.constantFrom(...edgeValues),
    FastCheck.string({ maxLength: 6 }),
    FastCheck.integer({ min: -3, max: 5000 }),
    FastCheck.double(),
    FastCheck.boolean()
  )

  it.prop(
    "any mix of its fields: the plain path gives the schema's value, or leaves to the schema only what it refuses",
    [FastCheck.dictionary(FastCheck.constantFrom(...plainImageFields, "startingImage", "bogus"), plainValue, { maxKeys: 8 })],
    ([extra]) => {
      for (const input of [{ ...image, ...extra }, { ...extra, ...image }, { type: "image", ...extra }]) {
        const schemaOnly = agrees(input)
        const keysAllPlain = Reflect.ownKeys(input).every((k) => typeof k === "string" && plainImageFields.includes(k))
        // on image inputs of its own keys, it accepts exactly what the schema accepts
        if (keysAllPlain && input.type === "image") assert.isFalse(schemaOnly, `the schema accepts ${JSON.stringify(input)}, the plain path does not`)
        // and decode's answer is the schema's either way
        const got = Params.decode(input)
        const want = strict(input)
        assert.strictEqual(Either.isRight(got), Either.isRight(want))
      }
    },
    { fastCheck: { numRuns: 2000 } }
  )
})
