/**
 * The `Chat` service and the `@effect/ai` `LanguageModel` on Sage, against the emulator over real
 * sockets: one chat program run on Sogni and on Sage by changing only the Layer, the model list in
 * Sogni's shape, features Sage lacks refused before any request, vision, the conversation mapping,
 * errors in the chat union, and interruption.
 */
import { AiLanguageModel, Chat, type ChatChunk, type ChatRequest, Tool } from "@effect-sogni/chat"
import { Sogni } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiTool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { SageChat, SageClient, SageWire } from "../src/index.js"
import { PNG_1X1 } from "./fixtures.js"

/** Sage's chat layer on the emulator's Sage routes. */
const sageLayer = (emulator: Emulator.Service, options?: SageChat.SageChatOptions) =>
  SageChat.layer(options).pipe(Layer.provide(SageClient.layerFetch({ baseUrl: `${emulator.url}/api`, retry: false })))

let apps = 0
/** Sogni's chat layer on the emulator's Supernet. */
const sogniLayer = (emulator: Emulator.Service) =>
  Chat.layer().pipe(
    Layer.provide(
      Sogni.layer({
        appId: `sage-cross-${++apps}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })
    )
  )

const textOf = (chunks: Chunk.Chunk<ChatChunk.ChatChunk>) =>
  Chunk.toReadonlyArray(chunks).flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")

const City = Schema.Struct({ city: Schema.String, country: Schema.String })

/** A program written against `Chat` only: it names its model and nothing of the platform. */
const chatProgram = (model: string) =>
  Effect.gen(function*() {
    const question: ChatRequest.ChatRequest = { model, messages: [{ role: "user", content: "Write one short caption" }] }
    const chunks = yield* Stream.runCollect(Chat.stream(question))
    const finish = Chunk.findLast(chunks, (c) => c._tag === "Finish")
    const completion = yield* Chat.complete(question)
    const object = yield* Effect.either(
      Chat.completeObject({ model, messages: [{ role: "user", content: "Name a city and its country" }] }, City)
    )
    return { streamed: textOf(chunks), finished: Option.isSome(finish), completed: completion.text, object }
  })

describe("the same chat program on Sogni and on Sage", () => {
  it.scopedLive("stream and complete run on both by changing only the Layer; completeObject where supported", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ speed: 4, sage: { tokenMillis: 4 } })
      const onSogni = yield* chatProgram("qwen3.6-35b-a3b-gguf-iq4xs").pipe(Effect.provide(sogniLayer(emulator)))
      const onSage = yield* chatProgram("ollama/qwen2.5:7b").pipe(Effect.provide(sageLayer(emulator)))

      for (const run of [onSogni, onSage]) {
        assert.isTrue(run.finished)
        assert.match(run.streamed, /^You said: "Write one short caption"\./)
        assert.strictEqual(run.completed, run.streamed)
      }
      // the two mock models answer alike, so the programs' results match
      assert.strictEqual(onSage.streamed, onSogni.streamed)
      // structured output: Sogni supports it, Sage refuses it with the typed error
      assert.isTrue(Either.isRight(onSogni.object))
      if (Either.isRight(onSogni.object)) assert.isString(onSogni.object.right.value.city)
      assert.isTrue(Either.isLeft(onSage.object))
      if (Either.isLeft(onSage.object)) {
        assert.strictEqual(onSage.object.left._tag, "SogniUnsupported")
        if (onSage.object.left._tag === "SogniUnsupported") {
          assert.strictEqual(onSage.object.left.feature, "structuredOutput")
          assert.strictEqual(onSage.object.left.provider, "sage")
        }
      }
      // the Sage run sent exactly its two generations (the refused one sent nothing)
      assert.deepStrictEqual(emulator.sage.requests().map((r) => r.route), ["/generate_stream", "/generate_stream"])
    }))

  it.scopedLive("@effect/ai generateText and streamText run on Sage through AiLanguageModel", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ sage: { tokenMillis: 4 } })
      const lm = AiLanguageModel.layer({ model: "lmstudio/qwen2.5-7b-instruct", config: { temperature: 0.3 } }).pipe(
        Layer.provide(sageLayer(emulator))
      )
      const result = yield* Effect.gen(function*() {
        const whole = yield* LanguageModel.generateText({ prompt: "Say hello to the otters" })
        const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Say hello to the otters" })))
        const refused = yield* Effect.flip(LanguageModel.generateText({ prompt: "Weather in Oslo?", toolkit: Kit }))
        return { whole, parts, refused }
      }).pipe(Effect.provide(lm), Effect.provide(KitLayer))
      assert.match(result.whole.text, /^You said: "Say hello to the otters"\./)
      const deltas = result.parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : []))
      assert.strictEqual(deltas.join(""), result.whole.text)
      assert.isTrue(result.parts.some((p) => p.type === "finish"))
      // tools are refused before any request: the error carries SogniUnsupported as its cause
      assert.strictEqual(result.refused._tag, "UnknownError")
      const cause = (result.refused as { readonly cause?: unknown }).cause
      assert.isTrue(typeof cause === "object" && cause !== null && (cause as { _tag?: string })._tag === "SogniUnsupported")
      assert.strictEqual(emulator.sage.requests().length, 2)
      assert.strictEqual(emulator.sage.requests()[0]!.sampling.temperature, 0.3)
    }))
})

const GetWeather = AiTool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { location: Schema.String },
  success: Schema.Struct({ tempC: Schema.Number })
})
const Kit = Toolkit.make(GetWeather)
const KitLayer = Kit.toLayer({ get_weather: () => Effect.succeed({ tempC: 4 }) })

describe("SageChat", () => {
  const run = <A, E>(
    body: (emulator: Emulator.Service) => Effect.Effect<A, E, Chat.Chat>,
    mode: "D" | "S1" | "S2" = "S1",
    options?: SageChat.SageChatOptions
  ) =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ sage: { mode, tokenMillis: 4 } })
      return yield* body(emulator).pipe(Effect.provide(sageLayer(emulator, options)))
    })

  it.scopedLive("models: Sage's lists in Sogni's shape, and modelInfo by id or bare name", () =>
    run(() =>
      Effect.gen(function*() {
        const chat = yield* Chat.Chat
        const info = yield* chat.modelInfo("llava:7b")
        assert.isTrue(Option.isSome(info))
        if (Option.isSome(info)) {
          assert.strictEqual(info.value.id, "ollama/llava:7b")
          assert.strictEqual(info.value.info.vision, true)
        }
        const list = yield* SubscriptionRef.get(chat.models)
        assert.deepStrictEqual(list.map((m) => m.id), [
          "ollama/qwen2.5:7b",
          "ollama/llama3.2:latest",
          "ollama/llava:7b",
          "lmstudio/qwen2.5-7b-instruct",
          "lmstudio/gemma-3-4b-it"
        ])
        assert.isTrue(Option.isNone(yield* chat.modelInfo("lmstudio/nothing-here")))
      })
    ), 20_000)

  it.scopedLive("tools, platform tools and structured output fail with SogniUnsupported before any request", () =>
    run((emulator) =>
      Effect.gen(function*() {
        const noTools: Tool.Toolkit<never> = Tool.toolkit() as Tool.Toolkit<never>
        const base = { model: "qwen2.5:7b", messages: [{ role: "user" as const, content: "Hi" }] }
        const tool: ChatRequest.ToolDefinition = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } }
        const refusals = [
          yield* Effect.flip(Chat.complete({ ...base, tools: [tool] })),
          yield* Effect.flip(Stream.runDrain(Chat.stream({ ...base, sogniTools: "creative-tools" }))),
          yield* Effect.flip(Chat.complete({ ...base, responseFormat: { type: "json_object" } })),
          yield* Effect.flip(Chat.completeWithTools(base, noTools)),
          yield* Effect.flip(Stream.runDrain(Chat.streamWithTools(base, noTools))),
          yield* Effect.flip(Chat.completeObject(base, City))
        ]
        assert.deepStrictEqual(
          refusals.map((e) => (e._tag === "SogniUnsupported" ? e.feature : e._tag)),
          ["tools", "sogniTools", "structuredOutput", "tools", "tools", "structuredOutput"]
        )
        assert.strictEqual(emulator.sage.requests().length, 0)
      })
    ))

  it.scopedLive("a conversation: system messages become the system text, the turns a transcript", () =>
    run((emulator) =>
      Effect.gen(function*() {
        yield* Chat.complete({
          model: "lmstudio/qwen2.5-7b-instruct",
          messages: [
            { role: "system", content: "Be brief." },
            { role: "user", content: "Name a bird" },
            { role: "assistant", content: "Heron." },
            { role: "user", content: "Another one" }
          ],
          maxTokens: 12,
          temperature: 0.2,
          stop: "\n"
        })
        const [record] = emulator.sage.requests()
        assert.strictEqual(record!.provider, "lmstudio")
        assert.strictEqual(record!.model, "qwen2.5-7b-instruct")
        assert.strictEqual(record!.system, "Be brief.")
        assert.strictEqual(record!.prompt, "User: Name a bird\n\nAssistant: Heron.\n\nUser: Another one")
        assert.deepStrictEqual(record!.body.options, { temperature: 0.2, max_tokens: 12, num_predict: 12, stop: ["\n"] })
      })
    ))

  it.scopedLive("an image part sends the request to the vision route; bad images are refused first", () =>
    run((emulator) =>
      Effect.gen(function*() {
        const image = SageWire.dataUrl(PNG_1X1, "image/png")
        const completion = yield* Chat.complete({
          model: "ollama/llava:7b",
          messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: image } }] }]
        })
        assert.match(completion.text, /I see 1 image\./)
        assert.strictEqual(emulator.sage.requests()[0]!.route, "/vision_generate_stream")
        const bad = yield* Effect.flip(Chat.complete({
          model: "ollama/llava:7b",
          messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/bmp;base64,Qk0=" } }] }]
        }))
        assert.strictEqual(bad._tag, "SogniInvalidRequest")
        if (bad._tag === "SogniInvalidRequest") {
          assert.deepStrictEqual([bad.field, bad.rule], ["messages[0].content[0].image_url.url", "format"])
        }
        assert.strictEqual(emulator.sage.requests().length, 1)
        // Sage's formats, not Sogni's: a WebP (and a GIF) data URL is sent
        const webp = yield* Chat.complete({
          model: "lmstudio/gemma-3-4b-it",
          messages: [{
            role: "user",
            content: [
              { type: "text", text: "Compare them" },
              { type: "image_url", image_url: { url: "data:image/webp;base64,UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==" } },
              { type: "image_url", image_url: { url: "data:image/gif;base64,R0lGODlhAQABAAAAACw=" } }
            ]
          }]
        })
        assert.match(webp.text, /I see 2 images\./)
      })
    ))

  it.scopedLive("errors stay in the chat union, with the server's error_code", () =>
    run((emulator) =>
      Effect.gen(function*() {
        const failed = yield* Effect.flip(Chat.complete({ model: "qwen2.5:7b", messages: [{ role: "user", content: "Go [[fail]]" }] }))
        assert.strictEqual(failed._tag, "SogniChatJobError")
        if (failed._tag === "SogniChatJobError") {
          assert.strictEqual(failed.reason, "JobFailed")
          assert.strictEqual(failed.errorCode, "LLM_GENERATION_ERROR")
        }
        const empty = yield* Effect.flip(Chat.complete({ model: "qwen2.5:7b", messages: [{ role: "user", content: "Go [[empty]]" }] }))
        assert.isTrue(empty._tag === "SogniChatJobError" && empty.error === "empty_response")
        const cut = yield* Effect.flip(Chat.complete({ model: "qwen2.5:7b", messages: [{ role: "user", content: "Go [[drop]]" }] }))
        assert.isTrue(cut._tag === "SogniChatJobError" && cut.reason === "Incomplete")
        emulator.sage.setProvider("ollama", { available: false })
        // the stream route refuses with an error event: a job failure carrying the code
        const off = yield* Effect.flip(Chat.complete({ model: "qwen2.5:7b", messages: [{ role: "user", content: "Hi" }] }))
        assert.isTrue(off._tag === "SogniChatJobError" && off.errorCode === "LLM_PROVIDER_UNAVAILABLE")
      })
    , "S2"))

  it.scopedLive("a refused stream request (bad provider) is a SogniApiError with the status", () =>
    run(() =>
      Effect.gen(function*() {
        // S1 does not know S2's provider keys: 400 before the stream starts
        const error = yield* Effect.flip(Chat.complete({ model: "ollama_rest/qwen2.5:7b", messages: [{ role: "user", content: "Hi" }] }))
        assert.strictEqual(error._tag, "SogniApiError")
        if (error._tag === "SogniApiError") assert.strictEqual(error.status, 400)
      })
    ))

  it.scopedLive("<think> blocks are split into reasoning", () =>
    Effect.gen(function*() {
      // the mock providers do not think: a client stand-in streams a reasoning-style answer
      const fake = SageClient.SageClient.of({
        routeBase: "http://fake/sage_llm",
        status: Effect.die("unused"),
        models: () => Effect.succeed({ models: {}, capabilities: {} }),
        visionModels: () => Effect.succeed({ models: {}, capabilities: {} }),
        prompts: Effect.die("unused"),
        generate: () => Effect.die("unused"),
        visionGenerate: () => Effect.die("unused"),
        visionGenerateStream: () => Stream.die("unused"),
        generateStream: () =>
          Stream.make(
            SageWire.SageStreamEvent.TextDelta({ text: "<thi" }),
            SageWire.SageStreamEvent.TextDelta({ text: "nk>plan it</think>\n\nThe" }),
            SageWire.SageStreamEvent.TextDelta({ text: " answer." }),
            SageWire.SageStreamEvent.Done({ text: "The answer." })
          ),
        queue: Effect.succeed({ running: 0, waiting: 0 })
      })
      const completion = yield* Chat.complete({ model: "qwen2.5:7b", messages: [{ role: "user", content: "Think" }] }).pipe(
        Effect.provide(SageChat.layer().pipe(Layer.provide(Layer.succeed(SageClient.SageClient, fake))))
      )
      assert.strictEqual(completion.reasoning, "plan it")
      assert.strictEqual(completion.text, "The answer.")
      assert.strictEqual(completion.workerName, "ollama")
    }))

  it.scopedLive("interrupting a chat stream closes the Sage connection", () =>
    run((emulator) =>
      Effect.gen(function*() {
        const two = yield* Stream.runCollect(
          Chat.stream({ model: "qwen2.5:7b", messages: [{ role: "user", content: "Tell a long tale [[slow]]" }] }).pipe(Stream.take(2))
        )
        assert.strictEqual(two.length, 2)
        for (let i = 0; i < 100 && emulator.sage.disconnects().length === 0; i++) yield* Effect.sleep(20)
        assert.strictEqual(emulator.sage.disconnects().length, 1)
        assert.strictEqual(emulator.sage.disconnects()[0]!.prompt, "Tell a long tale [[slow]]")
      })
    ))
})
