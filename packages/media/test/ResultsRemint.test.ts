/**
 * A result whose URL the REST host failed to mint as it arrived, or whose signed URL expired, is minted again
 * by `Results.url` (and so by `download`, `stream`, `save`): against the emulator over real loopback sockets,
 * with its REST fault on `/v1/image/downloadUrl` while the project ends.
 */
import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Media, Projects, Results } from "../src/index.js"

const connect = (emulator: Emulator.Service) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId: `remint-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })
    ),
    (ctx) => ({ projects: Context.get(ctx, Projects.Projects), results: Context.get(ctx, Results.Results) })
  )

const PNG = [0x89, 0x50, 0x4e, 0x47]
const kite = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a kite", steps: 4, seed: 7 } as const

describe("Results.url mints a result's URL again", () => {
  layer(Layer.merge(Emulator.layer({ port: 0, speed: 4 }), NodeContext.layer), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("a result whose mint failed while the project ended downloads (bytes, stream, file) once the REST host answers", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const fs = yield* FileSystem.FileSystem
        const { projects, results } = yield* connect(emulator)
        // the reference: the same request (same seed) with the REST host up
        const [reference] = yield* projects.run(kite)
        const expected = yield* results.download(reference!)
        assert.deepStrictEqual([...expected.slice(0, 4)], PNG)

        // every mint of the result fails (503, no wait asked: the retries run out) while the project ends
        yield* emulator.control.failRest({ count: 50, status: 503, pathPrefix: "/v1/image/downloadUrl", retryAfterSeconds: 0 })
        const [result] = yield* projects.run(kite).pipe(Effect.ensuring(emulator.control.clearFaults))
        assert.isUndefined(result!.url, "the mint failed: the project completed without a URL")
        assert.isFalse(result!.nsfwWithheld)
        assert.strictEqual(result!.kind, "image")
        assert.isString(result!.projectId)

        const url = yield* results.url(result!)
        assert.match(url, /\/_media\//)
        const bytes = yield* results.download(result!)
        assert.deepStrictEqual(bytes, expected, "the same image as the reference")
        const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(results.stream(result!)))
        assert.strictEqual(streamed.reduce((n, c) => n + c.length, 0), expected.length)
        const dir = yield* fs.makeTempDirectoryScoped()
        assert.strictEqual(yield* results.save(result!, `${dir}/kite.png`), expected.length)
        assert.deepStrictEqual(yield* fs.readFile(`${dir}/kite.png`), expected)
      }))

    it.scoped("audio (wav) is minted again on /v1/media/downloadUrl in its own format", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, results } = yield* connect(emulator)
        const waltz = { type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "a waltz", duration: 10, outputFormat: "wav", seed: 3 } as const
        const [reference] = yield* projects.run(waltz)
        const expected = yield* results.download(reference!)
        assert.strictEqual(new TextDecoder().decode(expected.slice(0, 4)), "RIFF", "a WAV file")

        yield* emulator.control.failRest({ count: 50, status: 503, pathPrefix: "/v1/media/downloadUrl", retryAfterSeconds: 0 })
        const [result] = yield* projects.run(waltz).pipe(Effect.ensuring(emulator.control.clearFaults))
        assert.isUndefined(result!.url)
        assert.strictEqual(result!.kind, "audio")
        assert.deepStrictEqual(yield* results.download(result!), expected)
      }))

    it.scoped("a URL past urlExpiresAt is minted again; one not past it is used as it is", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, results } = yield* connect(emulator)
        const [result] = yield* projects.run({ ...kite, positivePrompt: "a lighthouse" })
        assert.isNumber(result!.urlExpiresAt)
        const expected = yield* results.download(result!)
        // a URL that no longer works (as an expired signature would not): expired, it is replaced by a fresh mint
        const dead = `${emulator.url}/_media/expired-signature.png`
        const expired = { ...result!, url: dead, urlExpiresAt: 0 }
        const minted = yield* results.url(expired)
        assert.notStrictEqual(minted, dead)
        assert.match(minted, /\/_media\//)
        assert.deepStrictEqual(yield* results.download(expired), expected)
        // not expired: the result's own URL, no mint
        const fresh = { ...result!, url: dead, urlExpiresAt: Date.now() + 60_000 }
        assert.strictEqual(yield* results.url(fresh), dead)
        // a vendor's URL (no expiry) is its own too
        assert.strictEqual(yield* results.url({ ...result!, url: dead, urlExpiresAt: undefined }), dead)
      }))

    it.scoped("an expired URL whose mint fails is tried anyway; a withheld result still fails with its message, nothing minted", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, results } = yield* connect(emulator)
        const [result] = yield* projects.run({ ...kite, positivePrompt: "a harbour" })
        const expected = yield* results.download(result!)

        yield* emulator.control.failRest({ count: 50, status: 503, pathPrefix: "/v1/image/downloadUrl", retryAfterSeconds: 0 })
        const stale = { ...result!, urlExpiresAt: 0 }
        const bytes = yield* results.download(stale).pipe(Effect.ensuring(emulator.control.clearFaults))
        assert.deepStrictEqual(bytes, expected, "the old URL still worked")

        const withheld = { ...result!, url: undefined, nsfwWithheld: true }
        const refused = yield* Effect.flip(results.download(withheld))
        assert.strictEqual(refused._tag, "SogniInvalidRequest")
        assert.include(refused.message, "withheld by the safety filter")
        const noUrl = yield* Effect.flip(results.url(withheld))
        assert.deepInclude(noUrl, { field: "result.url", rule: "withheld" })
        // a result made by hand without its project cannot be minted: the clear error as before
        const { kind: _k, projectId: _p, ...bare } = result!
        const missing = yield* Effect.flip(results.url({ ...bare, url: undefined }))
        assert.deepInclude(missing, { field: "result.url", rule: "missing" })
      }))
  })
})
