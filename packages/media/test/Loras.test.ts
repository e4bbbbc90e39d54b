/**
 * The LoRA catalog and personal LoRAs against the emulator over loopback, and `Loras.check` against the
 * catalog the emulator serves.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Sogni } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Loras } from "../src/index.js"

const lorasOn = (emulator: Emulator.Service) =>
  Layer.build(
    Loras.layer.pipe(
      Layer.provide(
        Sogni.layer({
          appId: `loras-${crypto.randomUUID()}`,
          apiKey: Redacted.make(emulator.apiKey),
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl
        })
      )
    )
  ).pipe(Effect.map((ctx) => Context.get(ctx, Loras.Loras)))

const failure = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.either(effect), (r) => {
    assert.isTrue(Either.isLeft(r), "expected a failure")
    return (r as Either.Left<E, A>).left
  })

describe("Loras over the emulator", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("the catalog lists ids, models and strength ranges, filtered by model", () =>
      Effect.gen(function*() {
        const loras = yield* lorasOn(yield* Emulator.Emulator)
        const all = yield* loras.catalog()
        assert.isAbove(all.loras.length, 1)
        assert.deepStrictEqual([...all.models], [...all.models].sort())
        for (const l of all.loras) {
          assert.isAtMost(l.ui.min, l.ui.default)
          assert.isAtLeast(l.ui.max, l.ui.default)
          for (const m of l.modelIds) assert.include(all.models, m)
        }
        const model = all.models[0]!
        const some = yield* loras.catalog({ modelId: model })
        assert.isAbove(some.loras.length, 0)
        assert.isTrue(some.loras.every((l) => l.modelIds.includes(model)))
        assert.deepStrictEqual(some.models, all.models)
        assert.deepStrictEqual((yield* loras.catalog({ modelId: "no-such-model" })).loras, [])
      }))

    it.scoped("check accepts a valid selection and names the offending position otherwise", () =>
      Effect.gen(function*() {
        const loras = yield* lorasOn(yield* Emulator.Emulator)
        const catalog = yield* loras.catalog()
        const entry = catalog.loras[0]!
        const model = entry.modelIds[0]!
        yield* Loras.check(catalog, model, [entry.loraId], [entry.ui.default])
        const other = catalog.loras.find((l) => !l.modelIds.includes(model))!
        const tooStrong = yield* failure(Loras.check(catalog, model, [entry.loraId], [entry.ui.max + 1]))
        assert.strictEqual(tooStrong.field, "loraStrengths[0]")
        const unknown = yield* failure(Loras.check(catalog, model, [entry.loraId, "nope"]))
        assert.strictEqual(unknown.field, "loras[1]")
        const wrongModel = yield* failure(Loras.check(catalog, model, [other.loraId]))
        assert.strictEqual(wrongModel.field, "loras[0]")
        assert.include(wrongModel.rule, model)
        const many = Array.from({ length: catalog.constraints.maxPerRequest + 1 }, () => entry.loraId)
        assert.strictEqual((yield* failure(Loras.check(catalog, model, many))).field, "loras")
        // personal ids are left to the server, within the general range
        yield* Loras.check(catalog, model, ["personal-abc"], [catalog.constraints.maxStrength])
      }))

    it.scoped("personal LoRAs: import, read, list as catalog rows, remove", () =>
      Effect.gen(function*() {
        const loras = yield* lorasOn(yield* Emulator.Emulator)
        const before = yield* loras.personal
        assert.isAbove(before.limits.entries, 0)
        const model = before.models[0]!
        const imported = yield* loras.importPersonal({
          url: "https://huggingface.co/someone/style-lora",
          name: "My style",
          modelId: model,
          rightsConfirmed: true
        })
        assert.isTrue(imported.id.startsWith("personal-"))
        assert.strictEqual(imported.status, "ready")
        assert.deepStrictEqual(yield* loras.personalLora(imported.id), imported)
        assert.include((yield* loras.personal).loras.map((l) => l.id), imported.id)
        const rows = yield* loras.personalCatalog
        assert.include(rows.map((r) => r.loraId), imported.id)

        yield* loras.removePersonal(imported.id)
        assert.notInclude((yield* loras.personal).loras.map((l) => l.id), imported.id)
        const gone = yield* failure(loras.personalLora(imported.id))
        assert.strictEqual(gone._tag, "SogniApiError")
      }))

    it.scoped("bad imports fail with typed errors: locally for the rights and URL, on the server for the model", () =>
      Effect.gen(function*() {
        const loras = yield* lorasOn(yield* Emulator.Emulator)
        const base = { url: "https://example.test/l", name: "x", modelId: "flux1-schnell-fp8", rightsConfirmed: true }
        const rights = yield* failure(loras.importPersonal({ ...base, rightsConfirmed: false }))
        assert.strictEqual(rights._tag, "SogniInvalidRequest")
        if (rights._tag === "SogniInvalidRequest") assert.strictEqual(rights.field, "rightsConfirmed")
        const url = yield* failure(loras.importPersonal({ ...base, url: "ftp://x" }))
        if (url._tag === "SogniInvalidRequest") assert.strictEqual(url.field, "url")
        else assert.fail(`expected SogniInvalidRequest, got ${url._tag}`)
        const model = yield* failure(loras.importPersonal({ ...base, modelId: "ace_step_1.5_turbo" }))
        assert.strictEqual(model._tag, "SogniApiError")
        assert.include(model.message, "does not accept LoRAs")
      }))
  })
})
