/**
 * Saved uploads through the media API against the emulator over real loopback sockets: the explicit
 * library (save, reuse by hash, list, bind as a project's reference, remove), the automatic path of
 * `savedUploads: true`, and the fallback to per-project uploads when the server has no library.
 */
import { assert, describe, layer } from "@effect/vitest"
import { SogniError } from "@effect-sogni/core"
import { Emulator, Samples } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Media, Projects, SavedUploads } from "../src/index.js"

const connect = (emulator: Emulator.Service, options: Projects.ProjectsOptions = {}) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId: `saved-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      }, options)
    ),
    (ctx) => ({ projects: Context.get(ctx, Projects.Projects), saved: Context.get(ctx, SavedUploads.SavedUploads) })
  )

const i2v = (referenceImage: Uint8Array | true) => ({
  type: "video" as const,
  network: "fast" as const,
  modelId: "wan_v2.2-14b-fp8_i2v_lightx2v",
  positivePrompt: "the poppies sway in the wind",
  numberOfMedia: 1,
  duration: 1,
  fps: 16,
  referenceImage,
  tokenType: "spark" as const
})

/** The bytes the emulator holds in a project's upload slot. */
const slotBytes = (emulator: Emulator.Service, projectId: string, slot: string) =>
  Effect.promise(async () => {
    const minted = await fetch(`${emulator.url}/v1/image/downloadUrl?jobId=${projectId}&imageId=X&type=${slot}`, {
      headers: { "api-key": emulator.apiKey }
    }).then((r) => r.json() as Promise<{ data: { downloadUrl: string } }>)
    return new Uint8Array(await (await fetch(minted.data.downloadUrl)).arrayBuffer())
  })

describe("saved uploads, library on", () => {
  layer(Emulator.layer({ port: 0, speed: 4, savedUploads: true }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("save, reuse by hash, list, use as a project's reference image, remove", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, saved } = yield* connect(emulator)
        assert.isTrue(yield* saved.enabled)
        const png = Samples.png({ width: 320, height: 192, prompt: "poppies" })
        const asset = yield* saved.save(png, { name: "poppies.png" })
        assert.deepStrictEqual([asset.state, asset.bytes, asset.contentType, asset.name], ["ready", png.length, "image/png", "poppies.png"])
        const again = yield* saved.save(png, { name: "same bytes" })
        assert.strictEqual(again.id, asset.id, "the library reuses a file it already holds")
        const library = yield* saved.list
        assert.deepStrictEqual(library.assets.map((a) => a.id), [asset.id])
        assert.isAbove(library.limits.entries, 0)

        const prepared = yield* projects.prepare(i2v(true))
        assert.isUndefined(prepared.uploads?.flat().find((u) => u.slot === "referenceImage"), "true means nothing to upload")
        yield* saved.bind(asset.id, { projectId: prepared.request.jobID, type: "referenceImage" })
        const [result] = yield* projects.run(prepared)
        assert.isString(result!.url)
        assert.deepStrictEqual(yield* slotBytes(emulator, prepared.request.jobID, "referenceImage"), new Uint8Array(png))

        yield* saved.remove(asset.id)
        assert.strictEqual((yield* saved.list).assets.length, 0)
        const refused = yield* Effect.flip(saved.save(new TextEncoder().encode("plain text, not media")))
        assert(refused._tag === "SogniInvalidRequest")
        assert.strictEqual(refused.field, "contentType")
        const unbound = yield* Effect.flip(saved.bind("asset-missing", { projectId: prepared.request.jobID, type: "referenceImage" }))
        assert(unbound instanceof SogniError.SogniApiError)
        assert.strictEqual(unbound.status, 404)
      }))

    it.scoped("savedUploads: true sends project inputs through the library, once per file", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, saved } = yield* connect(emulator, { savedUploads: true })
        const before = (yield* saved.list).assets.length
        const png = Samples.png({ width: 320, height: 192, prompt: "a lighthouse in fog" })
        const first = yield* projects.create(i2v(png))
        yield* first.await
        const second = yield* projects.create(i2v(png))
        yield* second.await
        const library = (yield* saved.list).assets
        assert.strictEqual(library.length, before + 1, "saved once, bound twice")
        assert.strictEqual(library[library.length - 1]!.bytes, png.length)
        for (const id of [first.id, second.id]) {
          assert.deepStrictEqual(yield* slotBytes(emulator, id, "referenceImage"), new Uint8Array(png))
        }
      }))
  })
})

describe("saved uploads, library off", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("savedUploads: true falls back to per-project uploads; explicit saves fail with the server's 404", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, saved } = yield* connect(emulator, { savedUploads: true })
        assert.isFalse(yield* saved.enabled)
        const png = Samples.png({ width: 320, height: 192, prompt: "dunes" })
        const project = yield* projects.create(i2v(png))
        const results = yield* project.await
        assert.strictEqual(results.length, 1)
        assert.deepStrictEqual(yield* slotBytes(emulator, project.id, "referenceImage"), new Uint8Array(png))
        const error = yield* Effect.flip(saved.save(png))
        assert(error instanceof SogniError.SogniApiError)
        assert.strictEqual(error.status, 404)
      }))
  })
})
