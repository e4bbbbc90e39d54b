/**
 * The `@effect/ai` provider against the emulator's mock LLM over real sockets: `generateText`,
 * `streamText` (incremental text deltas), `generateObject` with a Schema, reasoning, and a `Toolkit`
 * tool call round trip (the model calls the tool, `@effect/ai` runs the handler, the result goes back
 * and the model answers from it), streaming too.
 */
import { Sogni } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import * as AiTool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { AiLanguageModel, Chat } from "../src/index.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"

let apps = 0

/** LanguageModel over chat over core, connected to the emulator. */
const languageModel = (config?: AiLanguageModel.ConfigService) =>
  Layer.unwrapEffect(
    Effect.map(Emulator.Emulator, (emulator) =>
      AiLanguageModel.layer({ model, config }).pipe(
        Layer.provide(Chat.layer()),
        Layer.provide(
          Sogni.layer({
            appId: `ai-language-model-${++apps}`,
            apiKey: Redacted.make(emulator.apiKey),
            restEndpoint: emulator.url,
            socketEndpoint: emulator.wsUrl
          })
        )
      ))
  )

const emulatorTest = (
  name: string,
  body: () => Effect.Effect<void, unknown, LanguageModel.LanguageModel | Scope.Scope>,
  config?: AiLanguageModel.ConfigService
) =>
  it.scopedLive(
    name,
    () =>
      Effect.scoped(body()).pipe(
        Effect.provide(languageModel(config)),
        Effect.provide(Emulator.layer({ port: 0, speed: 4 }))
      ),
    30_000
  )

const GetWeather = AiTool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { location: Schema.String },
  success: Schema.Struct({ location: Schema.String, tempC: Schema.Number, sky: Schema.String })
})

const WeatherKit = Toolkit.make(GetWeather)

const weatherHandlers = WeatherKit.toLayer({
  get_weather: ({ location }) => Effect.succeed({ location, tempC: 31, sky: "sunny" })
})

describe("AiLanguageModel against the emulator", () => {
  emulatorTest("generateText answers with text, finish reason, usage and the Sogni job id", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "Say hello to the otters" })
      assert.match(response.text, /^You said: "Say hello to the otters"\./)
      assert.strictEqual(response.finishReason, "stop")
      assert.isAbove(response.usage.outputTokens ?? 0, 0)
      assert.isAbove(response.usage.inputTokens ?? 0, 0)
      const meta = response.content.find((p) => p.type === "response-metadata")
      assert.match(Option.getOrElse(meta?.id ?? Option.none(), () => ""), /^[0-9A-F-]{36}$/i)
      assert.deepStrictEqual(meta?.modelId, Option.some(model))
      assert.lengthOf(response.toolCalls, 0)
    }))

  emulatorTest("streamText emits text deltas as they arrive, in one text block, then finish", () =>
    Effect.gen(function*() {
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Stream me a sentence" })))
      const types = parts.map((p) => p.type)
      const deltas = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : []))
      assert.isAbove(deltas.length, 3)
      assert.strictEqual(types.filter((t) => t === "text-start").length, 1)
      assert.isBelow(types.indexOf("text-start"), types.indexOf("text-delta"))
      assert.isBelow(types.lastIndexOf("text-delta"), types.indexOf("text-end"))
      assert.strictEqual(types.at(-1), "finish")
      const whole = yield* LanguageModel.generateText({ prompt: "Stream me a sentence" })
      assert.strictEqual(deltas.join(""), whole.text)
    }))

  emulatorTest("interrupting streamText after the first delta ends the stream", () =>
    Effect.gen(function*() {
      const first = yield* LanguageModel.streamText({ prompt: "a long one [[long]]" }).pipe(
        Stream.filter((p) => p.type === "text-delta"),
        Stream.take(1),
        Stream.runCollect
      )
      assert.strictEqual(Chunk.size(first), 1)
    }))

  emulatorTest("generateObject decodes the answer with the Schema", () =>
    Effect.gen(function*() {
      const City = Schema.Struct({ city: Schema.String, population: Schema.Number, coastal: Schema.Boolean })
      const response = yield* LanguageModel.generateObject({
        prompt: "Describe the city \"Lisbon\" as JSON",
        schema: City,
        objectName: "city"
      })
      assert.strictEqual(response.value.city, "Lisbon")
      assert.isNumber(response.value.population)
      assert.isBoolean(response.value.coastal)
    }))

  emulatorTest(
    "thinking comes back as reasoning parts, apart from the text",
    () =>
      Effect.gen(function*() {
        const response = yield* LanguageModel.generateText({ prompt: "Think first" })
        assert.include(response.reasoningText ?? "", "I will answer briefly")
        assert.notInclude(response.text, "<think>")
        const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Think first" })))
        const types = parts.map((p) => p.type)
        assert.isBelow(types.indexOf("reasoning-start"), types.indexOf("reasoning-end"))
        assert.isBelow(types.indexOf("reasoning-end"), types.indexOf("text-start"))
      }),
    { think: true }
  )

  emulatorTest("a Toolkit tool call round trip: call, handler, result, answer", () =>
    Effect.gen(function*() {
      const prompt = Prompt.make("Call get_weather for \"Austin, TX\"")
      const first = yield* LanguageModel.generateText({ prompt, toolkit: WeatherKit })
      assert.strictEqual(first.finishReason, "tool-calls")
      assert.lengthOf(first.toolCalls, 1)
      const call = first.toolCalls[0]!
      assert.strictEqual(call.name, "get_weather")
      assert.deepStrictEqual(call.params, { location: "Austin, TX" })
      assert.lengthOf(first.toolResults, 1)
      assert.deepStrictEqual(first.toolResults[0]!.result, { location: "Austin, TX", tempC: 31, sky: "sunny" })
      assert.strictEqual(first.toolResults[0]!.id, call.id)

      const second = yield* LanguageModel.generateText({
        prompt: Prompt.merge(prompt, Prompt.fromResponseParts(first.content)),
        toolkit: WeatherKit
      })
      assert.strictEqual(second.finishReason, "stop")
      assert.lengthOf(second.toolCalls, 0)
      assert.include(second.text, "The get_weather result is:")
      assert.include(second.text, "\"tempC\":31")
    }).pipe(Effect.provide(weatherHandlers)))

  emulatorTest("streamText with a Toolkit streams the parameters, then the call and its result", () =>
    Effect.gen(function*() {
      const parts = Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          LanguageModel.streamText({ prompt: "Call get_weather for \"Oslo\"", toolkit: WeatherKit })
        )
      )
      const types = parts.map((p) => p.type)
      assert.isBelow(types.indexOf("tool-params-start"), types.indexOf("tool-params-delta"))
      assert.isBelow(types.indexOf("tool-params-end"), types.indexOf("tool-call"))
      const params = parts.flatMap((p) => (p.type === "tool-params-delta" ? [p.delta] : [])).join("")
      assert.deepStrictEqual(JSON.parse(params), { location: "Oslo" })
      const result = parts.find((p) => p.type === "tool-result")
      assert.deepStrictEqual(result?.type === "tool-result" ? result.result : undefined, { location: "Oslo", tempC: 31, sky: "sunny" })
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.type === "finish" ? finish.reason : undefined, "tool-calls")
    }).pipe(Effect.provide(weatherHandlers)))

  emulatorTest("toolChoice none keeps the model from calling tools", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({
        prompt: "Call get_weather for \"Austin, TX\"",
        toolkit: WeatherKit,
        toolChoice: "none"
      })
      assert.lengthOf(response.toolCalls, 0)
      assert.strictEqual(response.finishReason, "stop")
    }).pipe(Effect.provide(weatherHandlers)))

  emulatorTest("Sogni failures surface as AiError with the Sogni error as cause", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "please fail [[fail]]" }))
      assert.strictEqual(error._tag, "UnknownError")
      if (error._tag === "UnknownError") {
        assert.strictEqual((error.cause as { _tag?: string })._tag, "SogniChatJobError")
      }
    }))

  // the emulator's [[drop]] cuts the socket mid-reply and the job resumes after the reconnect: the reply
  // may have a hole (chat.md §3.3, §7)
  emulatorTest("a reply that crossed a reconnect: the finish part carries the gap; asking for tools, it runs none and fails", () =>
    Effect.gen(function*() {
      const text = yield* LanguageModel.generateText({ prompt: "[[drop]] Say hello to the otters" })
      assert.match(text.text, /^You said: "Say hello to the otters"\./)
      const finish = text.content.find((p) => p.type === "finish")
      const gap = finish?.metadata?.["sogni"]?.["gap"] as { readonly reason: string; readonly drops: number } | undefined
      assert.deepStrictEqual([gap?.reason, gap?.drops], ["Reconnected", 1])
      const clean = yield* LanguageModel.generateText({ prompt: "Say hello to the otters" })
      assert.isUndefined(clean.content.find((p) => p.type === "finish")?.metadata?.["sogni"])

      let ran = 0
      const counted = WeatherKit.toLayer({
        get_weather: ({ location }) => Effect.sync(() => ({ location, tempC: ++ran, sky: "sunny" }))
      })
      const error = yield* Effect.flip(
        LanguageModel.generateText({ prompt: "[[drop]] Call get_weather for \"Austin, TX\"", toolkit: WeatherKit }).pipe(
          Effect.provide(counted)
        )
      )
      assert.strictEqual(error._tag, "UnknownError")
      const cause = (error as { readonly cause?: { readonly _tag?: string; readonly reason?: string } }).cause
      assert.deepStrictEqual([cause?._tag, cause?.reason], ["SogniChatJobError", "ReplyGap"])
      // streaming too: the parameters may stream, but no tool-call part and no handler
      const streamed: Array<string> = []
      const streamError = yield* Effect.flip(
        LanguageModel.streamText({ prompt: "[[drop]] Call get_weather for \"Oslo\"", toolkit: WeatherKit }).pipe(
          Stream.runForEach((p) => Effect.sync(() => void streamed.push(p.type))),
          Effect.provide(counted)
        )
      )
      assert.deepStrictEqual(
        [streamError._tag, (streamError as { readonly cause?: { readonly reason?: string } }).cause?.reason],
        ["UnknownError", "ReplyGap"]
      )
      assert.notInclude(streamed, "tool-call")
      assert.notInclude(streamed, "tool-result")
      assert.strictEqual(ran, 0)
    }))
})
