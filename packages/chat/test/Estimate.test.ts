/**
 * `Chat.estimate` against the emulator over real loopback sockets (chat.md §11): the token counts the
 * quote assumes (a quarter of the messages' JSON, images as `[image]`; `maxTokens`, else the model's
 * advertised default), the amounts the network returns for them, and a bad request refused before
 * anything is sent.
 */
import { Sogni, SogniRest } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Chat, type ChatRequest } from "../src/index.js"
import { dataUri, png } from "./util/fixtures.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"

const services = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  return yield* Layer.build(
    Chat.layer().pipe(
      Layer.provideMerge(
        Sogni.layer({
          appId: `chat-estimate-${crypto.randomUUID()}`,
          apiKey: Redacted.make(emulator.apiKey),
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl
        })
      )
    )
  )
})

describe("Chat.estimate", () => {
  it("counts input tokens from the messages' JSON, with image data as [image]", () => {
    const text: ReadonlyArray<ChatRequest.ChatMessage> = [{ role: "user", content: "How tall is Mont Blanc?" }]
    assert.strictEqual(Chat.estimatedInputTokens(text), Math.ceil(JSON.stringify(text).length / 4))
    const big = dataUri("image/png", png(64, 64))
    const vision: ReadonlyArray<ChatRequest.ChatMessage> = [{
      role: "user",
      content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: big, detail: "low" } }]
    }]
    const shown = [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: "[image]", detail: "low" } }] }]
    assert.strictEqual(Chat.estimatedInputTokens(vision), Math.ceil(JSON.stringify(shown).length / 4))
  })

  it("output budget: maxTokens, then the thinking default for hard tasks, then the default, then 4096", () => {
    const limits = { default: 2048, thinkingComplexDefault: 16384 }
    assert.strictEqual(Chat.estimatedOutputTokens({ maxTokens: 100 }, limits), 100)
    assert.strictEqual(Chat.estimatedOutputTokens({ think: true, taskProfile: "coding" }, limits), 16384)
    assert.strictEqual(Chat.estimatedOutputTokens({ think: true, taskProfile: "general" }, limits), 2048)
    assert.strictEqual(Chat.estimatedOutputTokens({}, undefined), 4096)
  })

  it.scopedLive("quotes a request at the network's rates; a bad request is refused before sending", () =>
    Effect.scoped(Effect.gen(function*() {
      const ctx = yield* services
      const chat = Context.get(ctx, Chat.Chat)
      const rest = Context.get(ctx, SogniRest.SogniRest)
      const request: ChatRequest.ChatRequest = {
        model,
        messages: [{ role: "user", content: "Name three rivers in France." }],
        maxTokens: 300,
        tokenType: "spark"
      }
      const quote = yield* Chat.estimate(request).pipe(Effect.provide(ctx))
      const inputTokens = Chat.estimatedInputTokens(request.messages)
      assert.strictEqual(quote.inputTokens, inputTokens)
      assert.strictEqual(quote.outputTokens, 300)
      assert.isAbove(quote.costInSpark, 0)
      assert.strictEqual(quote.costInToken, quote.costInSpark)
      // the same path, asked directly, gives the same amounts
      const direct = yield* rest.get(
        "socket",
        `/api/v1/job-llm/estimate/spark/${model}/${inputTokens}/300`,
        Schema.Struct({ quote: Schema.Struct({ costInSpark: Schema.Number }) }),
        { body: "raw" }
      )
      assert.strictEqual(direct.quote.costInSpark, quote.costInSpark)

      // without maxTokens: the model's advertised default output budget
      const info = Option.getOrThrow(yield* chat.modelInfo(model))
      const byDefault = yield* Chat.estimate({ ...request, maxTokens: undefined }).pipe(Effect.provide(ctx))
      assert.strictEqual(byDefault.outputTokens, info.maxOutputTokens!.default)

      const refused = yield* Effect.either(Chat.estimate({ ...request, messages: [] }).pipe(Effect.provide(ctx)))
      assert(Either.isLeft(refused))
      assert.strictEqual(refused.left._tag, "SogniInvalidRequest")
    })).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 }))), 30_000)
})
