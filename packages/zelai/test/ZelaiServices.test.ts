/**
 * The neutral services on ZelAI beyond the shared program: `@effect/ai`'s LanguageModel through the Chat
 * layer, refusals of what ZelAI lacks (before anything is sent), error mapping, and `Generation` with
 * references, upscale, video and several outputs. Plus the pure mappings.
 */
import { AiLanguageModel, Chat } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { Generation, type ProjectState } from "@effect-sogni/media"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiTool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ZelaiChat, ZelaiClient, ZelaiGeneration } from "../src/index.js"

const services = (emulator: Emulator.Service) =>
  Effect.map(
    Layer.build(
      Layer.mergeAll(
        ZelaiGeneration.layer,
        ZelaiChat.layer,
        AiLanguageModel.layer({ model: "zelai-default" }).pipe(Layer.provide(ZelaiChat.layer))
      ).pipe(Layer.provideMerge(ZelaiClient.layer({ apiKey: Redacted.make(emulator.zelai.apiKey), baseUrl: emulator.url })))
    ),
    (ctx) => ({
      generation: Context.get(ctx, Generation.Generation),
      chat: Context.get(ctx, Chat.Chat),
      lm: Context.get(ctx, LanguageModel.LanguageModel),
      zelai: Context.get(ctx, ZelaiClient.ZelaiClient)
    })
  )

const zelaiTest = (name: string, body: (emulator: Emulator.Service) => Effect.Effect<void, unknown, Scope.Scope>) =>
  it.scopedLive(name, () =>
    Effect.flatMap(Emulator.Emulator, (emulator) => Effect.scoped(body(emulator))).pipe(
      Effect.provide(Emulator.layer({ port: 0, speed: 4, zelai: { refusalRetryAfterSeconds: 0.2 } }))
    ), 30_000)

const run = (stream: Stream.Stream<ProjectState.ProjectEvent, unknown>) => Effect.map(Stream.runCollect(stream), Chunk.toArray)

const resultsOf = (events: ReadonlyArray<ProjectState.ProjectEvent>) => {
  const last = events[events.length - 1]!
  assert(last._tag === "Completed", `ended with ${last._tag}`)
  return last.results
}

const GetWeather = AiTool.make("get_weather", { parameters: { location: Schema.String }, success: Schema.String })

describe("ZelAI behind the neutral services", () => {
  zelaiTest("@effect/ai LanguageModel runs on ZelAI through the Chat layer; tools are refused before sending", (emulator) =>
    Effect.gen(function*() {
      const { lm } = yield* services(emulator)
      const text = yield* lm.generateText({ prompt: "Say hello to the otters" })
      assert.match(text.text, /^You said: "Say hello to the otters"\./)
      assert.strictEqual(text.finishReason, "stop")
      const parts = Chunk.toArray(yield* Stream.runCollect(lm.streamText({ prompt: "Stream me a sentence" })))
      const deltas = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : []))
      assert.isAbove(deltas.length, 3)
      assert.strictEqual(parts[parts.length - 1]!.type, "finish")
      const City = Schema.Struct({ city: Schema.String, population: Schema.Number, coastal: Schema.Boolean })
      const object = yield* lm.generateObject({ prompt: "Describe the city \"Lisbon\" as JSON", schema: City, objectName: "city" })
      assert.strictEqual(object.value.city, "Lisbon")
      assert.isNumber(object.value.population)
      assert.isBoolean(object.value.coastal)

      const before = emulator.zelai.received().length
      const refused = yield* Effect.flip(
        lm.generateText({ prompt: "What is the weather in Lisbon?", toolkit: Toolkit.make(GetWeather) }).pipe(
          Effect.provide(Toolkit.make(GetWeather).toLayer({ get_weather: () => Effect.succeed("sunny") }))
        )
      )
      assert.strictEqual(refused._tag, "UnknownError")
      const cause = (refused as { cause?: unknown }).cause as { _tag?: string; feature?: string; provider?: string }
      assert.deepStrictEqual([cause._tag, cause.feature, cause.provider], ["SogniUnsupported", "tools", "zelai"])
      assert.strictEqual(emulator.zelai.received().length, before)
    }))

  zelaiTest("Chat on ZelAI: what ZelAI lacks is SogniUnsupported before sending; refusals map to typed chat errors", (emulator) =>
    Effect.gen(function*() {
      const { chat } = yield* services(emulator)
      const ask = (content: string) => ({ model: "m", messages: [{ role: "user" as const, content }] })
      const cases = [
        Stream.runDrain(chat.stream({ ...ask("hi"), maxTokens: 10 })),
        Stream.runDrain(chat.stream({ ...ask("hi"), think: true })),
        Stream.runDrain(chat.stream({ ...ask("hi"), responseFormat: { type: "json_object" } })),
        chat.complete({
          model: "m",
          messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }]
        }),
        Effect.asVoid(chat.completeWithTools(ask("hi"), [] as never))
      ]
      for (const effect of cases) {
        const error = yield* Effect.flip(effect as Effect.Effect<unknown, unknown>)
        assert.strictEqual((error as { _tag: string })._tag, "SogniUnsupported")
        assert.strictEqual((error as { provider: string }).provider, "zelai")
      }
      assert.strictEqual(emulator.zelai.received().length, 0)

      const limited = yield* Effect.flip(chat.complete(ask("[[rate-limit]] hello")))
      assert(limited._tag === "SogniApiError")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.retryAfterMillis, 200)
      assert.isTrue(limited.isRetryable)
      assert.strictEqual((limited.details as { code: string }).code, "RATE_LIMIT_EXCEEDED")

      // memory and system go out as ZelAI fields; vision through a ZelAI CDN image
      const { zelai } = yield* services(emulator)
      const image = yield* Stream.runLast(zelai.image({ prompt: "a cat", width: 320, height: 320 }))
      const imageId = image._tag === "Some" && image.value._tag === "Completed" ? image.value.result.imageId : ""
      const seen = yield* chat.complete({
        model: "m",
        messages: [
          { role: "system", content: "Be brief" },
          { role: "user", content: "hello" },
          { role: "assistant", content: "hi" },
          { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: `zelai:${imageId}` } }] }
        ]
      })
      assert.include(seen.text, "I see 1 image")
    }))

  zelaiTest("Generation on ZelAI: count, edit from an earlier result, upscale, video; refusals before sending", (emulator) =>
    Effect.gen(function*() {
      const { generation } = yield* services(emulator)
      const two = resultsOf(yield* run(generation.generate({ type: "image", prompt: "a red boat", size: { width: 320, height: 320 }, seed: 5, count: 2 })))
      assert.deepStrictEqual(two.map((r) => [r.jobIndex, r.seed]), [[0, 5], [1, 6]])
      const edited = resultsOf(yield* run(generation.generate({
        type: "image",
        prompt: "make it night",
        referenceImages: [Generation.fromResult(two[0]!), Generation.fromResult(two[1]!)]
      })))
      assert.strictEqual(edited.length, 1)
      const up = resultsOf(yield* run(generation.generate({ type: "upscale", scale: 3, referenceImages: [Generation.fromResult(two[0]!)] })))
      const bytes = yield* generation.download(up[0]!)
      const view = new DataView(bytes.buffer, bytes.byteOffset)
      assert.deepStrictEqual([view.getUint32(16), view.getUint32(20)], [960, 960])
      const video = resultsOf(yield* run(generation.generate({ type: "video", prompt: "waves", duration: 1, referenceImages: [Generation.fromResult(two[0]!)] })))
      assert.strictEqual(video[0]!.outputFormat, "mp4")
      const mp4 = yield* generation.download(video[0]!)
      assert.strictEqual(new TextDecoder().decode(mp4.slice(4, 8)), "ftyp")

      const sentBefore = emulator.zelai.received().length
      const refusals: ReadonlyArray<[Generation.GenerationRequest, string]> = [
        [{ type: "image", prompt: "x", referenceImages: [Generation.bytes(new Uint8Array([1, 2]))] }, "reference image bytes"],
        [{ type: "video", prompt: "x" }, "text-to-video"],
        [{ type: "upscale", scale: 8, referenceImages: [Generation.fromResult(two[0]!)] }, "upscale ×8"]
      ]
      for (const [request, feature] of refusals) {
        const error = yield* Effect.flip(Stream.runDrain(generation.generate(request)))
        assert(error._tag === "SogniUnsupported")
        assert.deepStrictEqual([error.feature, error.provider], [feature, "zelai"])
      }
      const invalid = yield* Effect.flip(Stream.runDrain(generation.generate({ type: "image", prompt: "x", count: 0 })))
      assert.deepInclude(invalid as object, { field: "count", rule: "range" })
      assert.strictEqual(emulator.zelai.received().length, sentBefore)

      // a server refusal ends the project with Failed, carrying the wire code
      const failed = yield* run(generation.generate({ type: "image", prompt: "[[rate-limit]] a dog" }))
      const last = failed[failed.length - 1]!
      assert(last._tag === "Failed")
      assert.strictEqual(last.error.originalCode, "RATE_LIMIT_EXCEEDED")
    }))

  it("Sogni's Generation refuses upscale, and maps the neutral request to its own parameters", () => {
    const refused = Generation.toSogniParams({ type: "upscale", referenceImages: [] }, [])
    assert(Either.isLeft(refused))
    assert.deepStrictEqual([refused.left.feature, refused.left.provider], ["upscale", "sogni"])
    const params = Generation.toSogniParams(
      { type: "image", prompt: "a fox", negativePrompt: "blur", size: { width: 640, height: 480 }, seed: 3, count: 2 },
      [new Uint8Array([1])]
    )
    assert(Either.isRight(params))
    assert.deepInclude(params.right as object, {
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a fox",
      negativePrompt: "blur",
      numberOfMedia: 2,
      seed: 3,
      width: 640,
      height: 480
    })
    const video = Generation.toSogniParams({ type: "video", prompt: "waves", duration: 2 }, [])
    assert(Either.isRight(video))
    assert.strictEqual((video.right as { modelId: string }).modelId, "wan_v2.2-14b-fp8_t2v_lightx2v")
  })

  it("the chat mapping: system, memory, JSON template from a schema", () => {
    const mapped = ZelaiChat.toLlmRequest({
      model: "m",
      messages: [
        { role: "system", content: "Be brief" },
        { role: "user", content: "hello" },
        { role: "assistant", content: "hi there" },
        { role: "user", content: "and now?" }
      ],
      responseFormat: {
        type: "json_schema",
        json_schema: { name: "x", schema: { type: "object", properties: { n: { type: "integer", description: "a count" }, tags: { type: "array", items: { type: "string" } } } } }
      }
    }, { stream: false })
    assert(Either.isRight(mapped))
    assert.deepStrictEqual(mapped.right, {
      prompt: "and now?",
      system: "Be brief",
      memory: ["User: hello", "Assistant: hi there"],
      jsonFormat: true,
      jsonTemplate: { n: "integer: a count", tags: "array of string: tags" }
    })
    const noUser = ZelaiChat.toLlmRequest({ model: "m", messages: [{ role: "assistant", content: "x" }] }, { stream: true })
    assert(Either.isLeft(noUser))
    assert.deepInclude(noUser.left as object, { field: "messages", rule: "last-user" })
  })
})
