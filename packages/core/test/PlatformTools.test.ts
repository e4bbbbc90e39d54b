import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { createRequire } from "node:module"
import { PlatformTools } from "../src/index.js"

const requireJson = createRequire(import.meta.url)
const toolNames = requireJson("@sogni-ai/sogni-protocol/enums/tool-names.json") as Record<string, Array<string>>
const rawManifest = requireJson("@sogni-ai/sogni-protocol/manifests/openai-tools.json") as {
  tools: Array<{ function: { name: string; parameters: Record<string, unknown> } }>
}

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** The smallest instance a schema accepts: only required properties, each at its lower bound. */
const minimal = (schema: unknown): unknown => {
  if (!isObject(schema)) return "x"
  if (Array.isArray(schema.enum)) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case "object": {
      const props = isObject(schema.properties) ? schema.properties : {}
      const required = Array.isArray(schema.required) ? (schema.required as Array<string>) : []
      return Object.fromEntries(required.map((name) => [name, minimal(props[name])]))
    }
    case "array":
      return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, () => minimal(schema.items))
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1
    case "boolean":
      return true
    default:
      return "x".repeat(Math.max(1, Number(schema.minLength ?? 1)))
  }
}

const schemaTools = [...PlatformTools.hostedToolNames, ...PlatformTools.chatLocalToolNames]

const propsOf = (name: PlatformTools.SchemaToolName): Json => {
  const p = PlatformTools.argumentsSchema(name).properties
  return isObject(p) ? p : {}
}

const requiredOf = (name: PlatformTools.SchemaToolName): Array<string> => {
  const r = PlatformTools.argumentsSchema(name).required
  return Array.isArray(r) ? (r as Array<string>) : []
}

const refusal = (name: string, args: unknown): PlatformTools.PlatformToolArgumentError => {
  const result = PlatformTools.validateEither(name, args)
  if (Either.isRight(result)) assert.fail(`${name} accepted ${JSON.stringify(args)}`)
  return result.left
}

describe("PlatformTools catalog", () => {
  it("the installed protocol package matches this SDK (no drift: names, patchable enums)", () => {
    // importing never throws on drift; this is where a protocol update that breaks the invariants shows
    assert.deepStrictEqual(PlatformTools.protocolDrift, [])
  })

  it("has the 30 hosted tools of the protocol package, in the manifest and the name enums", () => {
    assert.strictEqual(PlatformTools.manifest.length, 30)
    assert.deepStrictEqual([...PlatformTools.hostedToolNames].sort(), [...toolNames.hosted!].sort())
    assert.deepStrictEqual([...PlatformTools.appToolNames].sort(), [...toolNames.app!].sort())
    assert.deepStrictEqual([...PlatformTools.chatLocalToolNames].sort(), [...toolNames.chatLocal!].sort())
    assert.deepStrictEqual(
      PlatformTools.manifest.map((t) => t.function.name).sort(),
      [...PlatformTools.hostedToolNames].sort()
    )
    assert.strictEqual(PlatformTools.manifestVersion, "2026-08-24.1")
    assert.strictEqual(PlatformTools.protocolVersion.split(".")[0], "7")
  })

  it("has an argument schema for every manifest tool, with the same properties and required list", () => {
    for (const t of PlatformTools.manifest) {
      const name = t.function.name as PlatformTools.HostedToolName
      const schema = PlatformTools.argumentsSchema(name)
      assert.strictEqual(schema.additionalProperties, false, name)
      assert.deepStrictEqual(Object.keys(propsOf(name)).sort(), Object.keys(t.function.parameters.properties as Json).sort(), name)
      assert.deepStrictEqual(requiredOf(name), (t.function.parameters.required as Array<string> | undefined) ?? [], name)
    }
  })

  it("applies the client's enum patches while keeping the protocol's values", () => {
    const enumOf = (name: PlatformTools.HostedToolName, prop: string) =>
      ((PlatformTools.tool(name).function.parameters.properties as Json)[prop] as { enum: Array<string> }).enum
    const rawEnum = (name: string, prop: string) =>
      ((rawManifest.tools.find((t) => t.function.name === name)!.function.parameters.properties as Json)[prop] as {
        enum: Array<string>
      }).enum
    for (const patch of PlatformTools.enumPatches) {
      const patched = enumOf(patch.tool, patch.property)
      for (const v of [...rawEnum(patch.tool, patch.property), ...patch.values]) assert.include(patched, v)
      const schemaEnum = (propsOf(patch.tool)[patch.property] as { enum: Array<string> }).enum
      assert.deepStrictEqual(schemaEnum, patched)
    }
    assert.include(enumOf("generate_video", "videoModel"), "minimax-h3-fasth3-turbo-2stage")
    assert.include(enumOf("generate_music", "model"), "ace_step_1.5_xl_turbo")
    assert.include(enumOf("generate_music", "model"), "turbo")
  })

  it("derives the durable workflow step tools: the protocol's step enum, without composition tools", () => {
    const run = requireJson("@sogni-ai/sogni-protocol/schemas/workflows/durable-workflow-run.schema.json") as {
      properties: { steps: { items: { properties: { toolName: { enum: Array<string> } } } } }
    }
    const protocolSteps = run.properties.steps.items.properties.toolName.enum
    assert.sameMembers([...PlatformTools.stepToolNames], protocolSteps)
    assert.strictEqual(new Set(PlatformTools.stepToolNames).size, PlatformTools.stepToolNames.length)
    for (const name of PlatformTools.compositionToolNames) assert.isFalse(PlatformTools.isStepToolName(name), name)
    for (const name of PlatformTools.appToolNames) assert.isTrue(PlatformTools.isStepToolName(name), name)
    assert.isFalse(PlatformTools.isStepToolName(42))
  })

  it("hands out manifest entries by name", () => {
    const picked = PlatformTools.tools("generate_image", "generate_music")
    assert.deepStrictEqual(picked.map((t) => t.function.name), ["generate_image", "generate_music"])
    assert.isTrue(PlatformTools.isHostedToolName("stitch_video"))
    assert.isFalse(PlatformTools.isHostedToolName("analyze_image"))
    assert.isTrue(PlatformTools.isClientExecutableToolName("video_to_video"))
    assert.isFalse(PlatformTools.isClientExecutableToolName("stitch_video"))
  })
})

describe("PlatformTools app manifest and model selectors", () => {
  it("carries the 10 app tools of the protocol's app manifest", () => {
    const raw = requireJson("@sogni-ai/sogni-protocol/manifests/app-tools.json") as {
      tools: Array<{ function: { name: string; description: string; parameters: Record<string, unknown> } }>
    }
    assert.sameMembers(PlatformTools.appManifest.map((t) => t.function.name), [...PlatformTools.appToolNames])
    for (const t of raw.tools) {
      const ours = PlatformTools.appManifest.find((a) => a.function.name === t.function.name)!
      assert.deepStrictEqual(ours.function, t.function, t.function.name)
    }
  })

  it("has a model for every selector the manifest offers (reference-to-video aside)", () => {
    const enumOf = (tool: PlatformTools.HostedToolName, property: string): Array<string> =>
      (PlatformTools.tool(tool).function.parameters.properties as Record<string, { enum: Array<string> }>)[property]!.enum
    const covered = (tables: ReadonlyArray<PlatformTools.ModelSelectors>, selectors: ReadonlyArray<string>) => {
      for (const s of selectors) assert.isTrue(tables.some((t) => t[s] !== undefined), s)
    }
    covered([PlatformTools.imageModelSelectors], enumOf("generate_image", "model"))
    covered([PlatformTools.editModelSelectors], enumOf("edit_image", "model"))
    covered(
      [PlatformTools.textToVideoSelectors, PlatformTools.imageToVideoSelectors],
      enumOf("generate_video", "videoModel").filter((s) => !s.includes("r2v"))
    )
    covered([PlatformTools.soundToVideoSelectors], enumOf("sound_to_video", "videoModel"))
    covered([PlatformTools.videoToVideoSelectors], enumOf("video_to_video", "videoModel"))
  })

  it("resolves selectors loosely and takes anything else as a model id", () => {
    assert.strictEqual(
      PlatformTools.resolveModelSelector(PlatformTools.textToVideoSelectors, "LTX23"),
      "ltx23-22b-fp8_t2v_distilled"
    )
    assert.strictEqual(
      PlatformTools.resolveModelSelector(PlatformTools.imageToVideoSelectors, "ltx23"),
      "ltx23-22b-fp8_i2v_distilled"
    )
    assert.strictEqual(PlatformTools.resolveModelSelector(PlatformTools.imageModelSelectors, " Z_Turbo "), "z_image_turbo_bf16")
    assert.strictEqual(PlatformTools.resolveModelSelector(PlatformTools.imageModelSelectors, "ChatGPT"), "gpt-image-2")
    assert.strictEqual(
      PlatformTools.resolveModelSelector(PlatformTools.imageModelSelectors, " my_model_fp8 "),
      "my_model_fp8"
    )
    assert.isUndefined(PlatformTools.resolveModelSelector(PlatformTools.imageModelSelectors, "  "))
    assert.isUndefined(PlatformTools.resolveModelSelector(PlatformTools.imageModelSelectors, 42))
  })

  it("names a model by the protocol's selector before the client's alias", () => {
    assert.deepStrictEqual(
      PlatformTools.selectorsOf(PlatformTools.textToVideoSelectors, "minimax-h3-fl2va-fp8_t2v_turbo"),
      ["minimax-h3-t2v-turbo", "minimax-h3-turbo"]
    )
    assert.deepStrictEqual(PlatformTools.selectorsOf(PlatformTools.textToVideoSelectors, "no-such-model"), [])
  })
})

describe("PlatformTools.validate", () => {
  it("accepts the minimal valid arguments of every tool", () => {
    for (const name of schemaTools) {
      const args = minimal(PlatformTools.argumentsSchema(name))
      const result = PlatformTools.validateEither(name, args)
      assert.isTrue(Either.isRight(result), `${name}: ${Either.isLeft(result) ? result.left.message : ""}`)
    }
  })

  it("refuses an extra property in every tool, naming it", () => {
    for (const name of schemaTools) {
      const args = { ...(minimal(PlatformTools.argumentsSchema(name)) as Json), not_a_field: 1 }
      const e = refusal(name, args)
      assert.strictEqual(e.reason, "InvalidArguments")
      assert.strictEqual(e.tool, name)
      assert.strictEqual(e.field, "not_a_field")
      assert.strictEqual(e.rule, "additionalProperties")
    }
  })

  it("refuses every missing required argument, naming it; null, \"\" and [] count as missing", () => {
    let checked = 0
    for (const name of schemaTools) {
      const base = minimal(PlatformTools.argumentsSchema(name)) as Json
      for (const required of requiredOf(name)) {
        for (const missing of [undefined, null, "", []]) {
          const args = { ...base }
          if (missing === undefined) delete args[required]
          else args[required] = missing
          const e = refusal(name, args)
          const issue = e.issues.find((i) => i.field === required && i.rule === "required")
          assert.isDefined(issue, `${name}.${required} = ${JSON.stringify(missing)}: ${e.message}`)
                    assert.strictEqual(issue!.message, `Missing required argument "${required}"`)
          checked++
        }
      }
    }
    assert.isAbove(checked, 100)
  })

  it("refuses a wrong type in every typed property of every tool, naming the field and the rule", () => {
    let checked = 0
    for (const name of schemaTools) {
      const base = minimal(PlatformTools.argumentsSchema(name)) as Json
      for (const [prop, schema] of Object.entries(propsOf(name))) {
        if (!isObject(schema) || schema.type === undefined) continue
        const types = Array.isArray(schema.type) ? schema.type : [schema.type]
        const wrong = types.includes("string") ? { nested: true } : "not the right type"
        const e = refusal(name, { ...base, [prop]: wrong })
        assert.strictEqual(e.field, prop, `${name}.${prop}: ${e.message}`)
        assert.strictEqual(e.rule, "type")
        assert.match(e.message, new RegExp(`^Invalid ${name} arguments: Argument "${prop}" must be `))
        checked++
      }
    }
    assert.isAbove(checked, 250)
  })

  it("names nested fields with a path", () => {
    const e = refusal("overlay_video", { overlays: [{ kind: "text", position: "center" }, { kind: "sticker" }] })
    assert.deepStrictEqual(
      e.issues.map((i) => `${i.field}:${i.rule}`).sort(),
      ["overlays[1].kind:enum", "overlays[1].position:required"]
    )
    const t = refusal("stitch_video", { videoIndices: [0, 1], transition: { type: "fade", durationSeconds: 9 } })
    assert.strictEqual(t.field, "transition.durationSeconds")
    assert.strictEqual(t.rule, "maximum")
    assert.strictEqual(t.message, "Invalid stitch_video arguments: Argument \"transition.durationSeconds\" must be at most 2")
  })

  it("reports every broken rule in one error", () => {
    const e = refusal("generate_image", { prompt: "a fox", numberOfVariations: 0, outputFormat: "gif", seed: 1.5 })
    assert.deepStrictEqual(
      e.issues.map((i) => `${i.field}:${i.rule}`).sort(),
      ["numberOfVariations:minimum", "outputFormat:enum", "seed:type"]
    )
    assert.include(e.message, "Argument \"numberOfVariations\" must be at least 1")
    assert.include(e.message, "Argument \"seed\" must be integer")
  })

  it("treats model enums as hints except for generate_music, which accepts both vocabularies", () => {
    assert.isTrue(Either.isRight(PlatformTools.validateEither("generate_image", { prompt: "x", model: "some-new-model" })))
    assert.isTrue(Either.isRight(PlatformTools.validateEither("edit_image", { prompt: "x", model: "flux-next" })))
    for (const model of ["turbo", "sft", "music3", "ace_step_1.5_xl_turbo", "minimax_music3"]) {
      assert.isTrue(Either.isRight(PlatformTools.validateEither("generate_music", { prompt: "x", model })), model)
    }
    const e = refusal("generate_music", { prompt: "x", model: "dance-o-matic" })
    assert.strictEqual(e.field, "model")
    assert.strictEqual(e.rule, "enum")
    // other enums stay enforced
    assert.strictEqual(refusal("generate_video", { prompt: "x", videoModel: "veo9" }).field, "videoModel")
    assert.isTrue(Either.isRight(PlatformTools.validateEither("generate_video", { prompt: "x", videoModel: "minimax-h3-balanced" })))
  })

  it("drops null optional arguments", () => {
    const result = PlatformTools.validateEither("generate_image", { prompt: "a fox", negativePrompt: null, seed: 3 })
    assert.deepStrictEqual(result, Either.right({ prompt: "a fox", seed: 3 }))
  })

  it("refuses unknown tools and non-object arguments", () => {
    const unknown = refusal("summon_dragon", {})
    assert.strictEqual(unknown.reason, "UnknownTool")
    assert.strictEqual(unknown.message, "Unknown hosted Sogni tool \"summon_dragon\"")
    assert.strictEqual(refusal("analyze_image", { query: "x" }).reason, "UnknownTool")
    for (const bad of [null, [], "prompt", 3]) {
      const e = refusal("generate_image", bad)
      assert.strictEqual(e.reason, "NotAnObject")
      assert.strictEqual(e.rule, "type")
      assert.isFalse(e.isRetryable)
      assert.isTrue(PlatformTools.isPlatformToolArgumentError(e))
    }
  })

  it.effect("fails the Effect with the tagged error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(PlatformTools.validate("generate_video", { prompt: "x", duration: 31 }))
      assert.strictEqual(error._tag, "PlatformToolArgumentError")
      assert.strictEqual(error.field, "duration")
      assert.strictEqual(error.rule, "maximum")
      const ok = yield* PlatformTools.validate("generate_video", { prompt: "x", duration: 30 })
      assert.deepStrictEqual(ok, { prompt: "x", duration: 30 })
    }))

  it.prop(
    "accepts generate_image arguments within the schema",
    {
      prompt: FastCheck.string({ minLength: 1 }),
      n: FastCheck.integer({ min: 1, max: 16 }),
      seed: FastCheck.integer(),
      format: FastCheck.constantFrom("png", "jpg", "jpeg", "webp"),
      compression: FastCheck.integer({ min: 0, max: 100 }),
      loras: FastCheck.array(FastCheck.string({ minLength: 1 }), { minLength: 1, maxLength: 8 })
    },
    ({ compression, format, loras, n, prompt, seed }) => {
      const args = { prompt, numberOfVariations: n, seed, outputFormat: format, gptImageOutputCompression: compression, loras }
      assert.deepStrictEqual(PlatformTools.validateEither("generate_image", args), Either.right(args))
    }
  )

  it.prop(
    "refuses out-of-range numbers, naming the field and the bound",
    {
      duration: FastCheck.oneof(
        FastCheck.double({ max: 1.99, noNaN: true, noDefaultInfinity: true }),
        FastCheck.double({ min: 30.01, noNaN: true, noDefaultInfinity: true })
      )
    },
    ({ duration }) => {
      const e = refusal("generate_video", { prompt: "a clip", duration })
      assert.strictEqual(e.field, "duration")
      assert.strictEqual(e.rule, duration < 2 ? "minimum" : "maximum")
    }
  )

  it("refuses infinite numbers as not numbers JSON can carry, naming the field", () => {
    for (const duration of [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      const e = refusal("generate_video", { prompt: "a clip", duration })
      assert.strictEqual(e.field, "duration")
      assert.strictEqual(e.rule, "type")
    }
  })
})
