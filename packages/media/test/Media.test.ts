/**
 * The composed media layer against the emulator: parameters validated and built, models and estimates,
 * and results downloaded as bytes, as a stream and to a file.
 */
import * as NodeFs from "node:fs/promises"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import { Emulator, Samples } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Media, Models, Projects, Results } from "../src/index.js"

const connect = (
  emulator: Emulator.Service,
  appId = `media-${crypto.randomUUID()}`,
  more: Partial<Parameters<typeof Media.layer>[0]> = {}
) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl,
        ...more
      })
    ),
    (ctx) => ({
      appId,
      projects: Context.get(ctx, Projects.Projects),
      models: Context.get(ctx, Models.Models),
      results: Context.get(ctx, Results.Results)
    })
  )

const PNG = [0x89, 0x50, 0x4e, 0x47]

describe("media layer against the emulator", () => {
  layer(Layer.merge(Emulator.layer({ port: 0, speed: 4 }), NodeContext.layer), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("run(params): typed parameters are validated, built and rendered", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, results } = yield* connect(emulator)
        const done = yield* projects.run({
          type: "image",
          modelId: "flux1-schnell-fp8",
          positivePrompt: "a red kite over dunes",
          numberOfMedia: 2,
          steps: 4,
          guidance: 1,
          seed: 99,
          width: 512,
          height: 384
        })
        assert.strictEqual(done.length, 2)
        const bytes = yield* results.download(done[0]!)
        assert.deepStrictEqual([...bytes.slice(0, 4)], PNG)
        // the PNG really is 512×384 (IHDR width/height, big-endian)
        const view = new DataView(bytes.buffer, bytes.byteOffset)
        assert.deepStrictEqual([view.getUint32(16), view.getUint32(20)], [512, 384])
      }))

    it.scoped("invalid parameters fail with a typed error naming the field and rule; nothing is sent", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { appId, projects } = yield* connect(emulator)
        const cases: Array<[unknown, string, string]> = [
          [{ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "x", steps: 500 }, "steps", "range"],
          [{ type: "image", modelId: "no-such-model", positivePrompt: "x" }, "modelId", "unknown-model"],
          [{ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "x", seed: -3 }, "seed", ""],
          [{ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "x", startingImageStrength: 2, startingImage: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }, "startingImageStrength", ""]
        ]
        for (const [params, field, rule] of cases) {
          const result = yield* Effect.either(projects.create(params as Projects.Input))
          assert.isTrue(Either.isLeft(result), `expected a failure for ${field}`)
          if (Either.isLeft(result)) {
            assert.strictEqual(result.left._tag, "SogniInvalidRequest")
            const e = result.left as { field: string; rule: string }
            assert.strictEqual(e.field, field)
            if (rule !== "") assert.strictEqual(e.rule, rule)
          }
        }
        assert.deepStrictEqual(yield* emulator.control.listProjects(appId), [])
      }))

    // the video and audio rule sets load on the first video or audio project (image programs leave them out)
    it.scoped("prepare: video and audio projects are checked by their own rules, loaded on first use", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { appId, projects } = yield* connect(emulator)
        const cases: Array<[unknown, string, string, RegExp]> = [
          [{ type: "video", modelId: "minimax-h3-fl2va-fp8_t2v_turbo", positivePrompt: "waves", fps: 30 }, "fps", "fixed", /MiniMax H3 fps is fixed at 24/],
          [{ type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "a waltz", keyscale: "Z major" }, "keyscale", "", /keyscale/]
        ]
        for (const [params, field, rule, message] of cases) {
          const result = yield* Effect.either(projects.prepare(params))
          assert.isTrue(Either.isLeft(result), `expected a failure for ${field}`)
          if (Either.isLeft(result)) {
            assert.strictEqual(result.left._tag, "SogniInvalidRequest", result.left.message)
            const e = result.left as { field: string; rule: string; message: string }
            assert.strictEqual(e.field, field, e.message)
            if (rule !== "") assert.strictEqual(e.rule, rule, e.message)
            assert.match(e.message, message)
          }
        }
        const video = yield* projects.prepare({ type: "video", modelId: "minimax-h3-fl2va-fp8_t2v_turbo", positivePrompt: "waves", fps: 24 })
        assert.strictEqual(video.kind, "video")
        const audio = yield* projects.prepare({ type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "a waltz", keyscale: "A minor" })
        assert.strictEqual(audio.kind, "audio")
        assert.deepStrictEqual(yield* emulator.control.listProjects(appId), [])
      }))

    it.scoped("hostile and oversized input fails typed before anything is uploaded or sent", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { appId, projects } = yield* connect(emulator)
        const base = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "x", steps: 4 }
        const garbage = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff)
        const cases: Array<[unknown, string, string]> = [
          [null, "params", "type"],
          ["a fox", "params", "type"],
          [42, "params", "type"],
          [{ ...base, toString: 1 }, "toString", "unknown-field"],
          [{ ...base, constructor: "x" }, "constructor", "unknown-field"],
          [{ ...base, hasOwnProperty: true }, "hasOwnProperty", "unknown-field"],
          [JSON.parse(`{"type":"image","modelId":"flux1-schnell-fp8","positivePrompt":"x","__proto__":{"steps":1}}`), "__proto__", "unknown-field"],
          [{ ...base, outputScale: 2 }, "outputScale", "retired"],
          [{ ...base, numberOfMedia: 17 }, "numberOfMedia", "range"],
          [{ ...base, numberOfMedia: 1e9 }, "numberOfMedia", "range"],
          [{ ...base, sizePreset: "no_such_preset" }, "sizePreset", "allowed-values"],
          [{ ...base, positivePrompt: "a".repeat(10 * 1024 * 1024) }, "positivePrompt", "max-length"],
          [{ ...base, negativePrompt: "b".repeat(20_001) }, "negativePrompt", "max-length"],
          [{ ...base, startingImage: garbage }, "startingImage", "format"],
          [
            { type: "video", modelId: "wan_v2.2-14b-fp8_i2v_lightx2v", positivePrompt: "waves", duration: 2, referenceImage: garbage },
            "referenceImage",
            "format"
          ],
          [
            { type: "video", modelId: "wan_v2.2-14b-fp8_i2v_lightx2v", positivePrompt: "waves", duration: 2, referenceImage: Samples.wav({ seconds: 1 }) },
            "referenceImage",
            "format"
          ]
        ]
        for (const [params, field, rule] of cases) {
          const result = yield* Effect.either(projects.create(params as Projects.Input))
          assert.isTrue(Either.isLeft(result), `expected a failure for ${field}/${rule}`)
          if (Either.isLeft(result)) {
            assert.strictEqual(result.left._tag, "SogniInvalidRequest", `${field}: ${result.left.message}`)
            const e = result.left as { field: string; rule: string; message: string }
            assert.strictEqual(e.field, field, e.message)
            assert.strictEqual(e.rule, rule, e.message)
            assert.isString(e.message)
          }
        }
        // the valid neighbours still pass: a preset the model offers and the largest count
        const ok = yield* projects.prepare({ ...base, sizePreset: "square_hd", numberOfMedia: 16 })
        assert.strictEqual(ok.numberOfMedia, 16)
        assert.deepStrictEqual(yield* emulator.control.listProjects(appId), [])
      }))

    it.scoped("waitForModels: callers waiting before the first push all get it; later calls answer the current list; availableChanges starts with it", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { models } = yield* connect(emulator)
        // three waits started before the socket connects (each connects or joins the connection)
        const waits = yield* Effect.all([models.waitForModels(), models.waitForModels(), models.waitForModels()], {
          concurrency: "unbounded"
        })
        assert.isAbove(waits[0].length, 0)
        assert.deepStrictEqual(waits[1], waits[0])
        assert.deepStrictEqual(waits[2], waits[0])
        // known now: answered from the current list, the same one availableChanges emits first
        const again = yield* models.waitForModels()
        assert.deepStrictEqual(again, waits[0])
        const first = yield* Stream.runHead(models.availableChanges)
        assert.deepStrictEqual(first._tag === "Some" ? first.value : [], waits[0])
      }))

    it.scoped("models: availability pushed by the socket, options from the tier, presets, estimates", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { models } = yield* connect(emulator)
        const available = yield* models.waitForModels()
        const flux = available.find((m) => m.id === "flux1-schnell-fp8")
        assert.isDefined(flux)
        assert.strictEqual(flux!.media, "image")
        assert.isAbove(flux!.workerCount, 0)
        const options = yield* models.options("flux1-schnell-fp8")
        assert.isDefined(options)
        const presets = yield* models.sizePresets("flux1-schnell-fp8")
        assert.isTrue(presets.some((p) => p.id === "square_hd" && p.width === 1024))
        const two = yield* models.estimate({ type: "image", modelId: "flux1-schnell-fp8", numberOfMedia: 2, steps: 4, positivePrompt: "x" })
        const four = yield* models.estimate({ type: "image", modelId: "flux1-schnell-fp8", numberOfMedia: 4, steps: 4, positivePrompt: "x" })
        assert.isAbove(Number(four.token), Number(two.token))
        const unknown = yield* Effect.either(models.describe("nope"))
        assert.isTrue(Either.isLeft(unknown) && unknown.left._tag === "SogniInvalidRequest")
      }))

    it.scoped("models: describe reuses the descriptor it built for describeReuse (no cache reads per project), then reads the caches again", () =>
      Effect.gen(function*() {
        const { models } = yield* connect(yield* Emulator.Emulator)
        const first = yield* models.describe("flux1-schnell-fp8")
        const again = yield* models.describe("flux1-schnell-fp8")
        assert.strictEqual(again, first, "a describe within the window is the same descriptor")
        // an unknown model is never remembered: it fails every time
        for (let i = 0; i < 2; i++) {
          const unknown = yield* Effect.either(models.describe("nope"))
          assert.isTrue(Either.isLeft(unknown) && unknown.left._tag === "SogniInvalidRequest")
        }
        yield* Effect.sleep(Duration.sum(Models.defaults.describeReuse, Duration.millis(50)))
        const later = yield* models.describe("flux1-schnell-fp8")
        assert.notStrictEqual(later, first, "past the window the caches are read again")
        assert.deepStrictEqual(later, first)
      }))

    it.scoped("models: a failed catalog read fails that call once (no second read on top of the REST retries); the next call reads again", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { models } = yield* connect(emulator, undefined, { restRetries: 0 })
        // the socket is not connected yet (nothing asked for it), so nothing else reads the catalog
        yield* emulator.control.failRest({ count: 1, status: 503, pathPrefix: "/api/v1/models/list" })
        const first = yield* Effect.either(models.describe("flux1-schnell-fp8"))
        assert.isTrue(Either.isLeft(first), "the failed read must fail the call, not be read again at once")
        if (Either.isLeft(first)) assert.strictEqual(first.left._tag, "SogniApiError")
        // the failure was not cached
        const second = yield* models.describe("flux1-schnell-fp8")
        assert.strictEqual(second.media, "image")
      }).pipe(Effect.ensuring(Effect.flatMap(Emulator.Emulator, (e) => e.control.clearFaults))))

    // the preset cache (effect/Cache) is built on the first lookup, after its module loads
    it.scoped("models: size presets are cached once loaded; a failed lookup is not kept", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { models } = yield* connect(emulator, undefined, { restRetries: 0 })
        yield* emulator.control.failRest({ count: 1, status: 503, pathPrefix: "/api/v1/size-presets" })
        const first = yield* Effect.either(models.sizePresets("flux1-schnell-fp8", "fast"))
        assert.isTrue(Either.isLeft(first) && first.left._tag === "SogniApiError", "the first lookup meets the fault")
        const second = yield* models.sizePresets("flux1-schnell-fp8", "fast")
        assert.isTrue(second.some((p) => p.id === "square_hd"))
        // a read now would fail: the answer must come from the cache
        yield* emulator.control.failRest({ count: 1, status: 503, pathPrefix: "/api/v1/size-presets" })
        const third = yield* models.sizePresets("flux1-schnell-fp8", "fast")
        assert.deepStrictEqual(third, second)
      }).pipe(Effect.ensuring(Effect.flatMap(Emulator.Emulator, (e) => e.control.clearFaults))))

    it.scoped("results: stream and save write the same bytes as download", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const fs = yield* FileSystem.FileSystem
        const { projects, results } = yield* connect(emulator)
        const [result] = yield* projects.run({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a teapot", steps: 4 })
        const bytes = yield* results.download(result!)
        const chunks = yield* Stream.runCollect(results.stream(result!))
        const streamed = Chunk.toReadonlyArray(chunks).reduce((n, c) => n + c.length, 0)
        assert.strictEqual(streamed, bytes.length)
        const dir = yield* fs.makeTempDirectoryScoped()
        const written = yield* results.save(result!, `${dir}/teapot.png`)
        assert.strictEqual(written, bytes.length)
        assert.deepStrictEqual(yield* fs.readFile(`${dir}/teapot.png`), bytes)
      }))
  })
})

describe("media layer alone (no platform layer), as the README's snippet runs it", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("Results.save writes the file with nothing but Media.layer, creating missing directories", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, results } = yield* connect(emulator)
        const [result] = yield* projects.run({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a kettle", steps: 4 })
        const bytes = yield* results.download(result!)
        const dir = yield* Effect.acquireRelease(
          Effect.promise(() => NodeFs.mkdtemp(NodePath.join(NodeOs.tmpdir(), "media-save-"))),
          (d) => Effect.promise(() => NodeFs.rm(d, { recursive: true, force: true }))
        )
        const file = NodePath.join(dir, "out", "nested", "kettle.png")
        const written = yield* results.save(result!, file)
        assert.strictEqual(written, bytes.length)
        assert.deepStrictEqual(new Uint8Array(yield* Effect.promise(() => NodeFs.readFile(file))), bytes)
        // a result without a URL fails typed and leaves no file behind
        const withheld = { ...result!, url: undefined, nsfwWithheld: true }
        const refused = yield* Effect.flip(results.save(withheld, NodePath.join(dir, "withheld.png")))
        assert.strictEqual(refused._tag, "SogniInvalidRequest")
        assert.isFalse(yield* Effect.promise(() => NodeFs.access(NodePath.join(dir, "withheld.png")).then(() => true, () => false)))
      }))
  })
})
