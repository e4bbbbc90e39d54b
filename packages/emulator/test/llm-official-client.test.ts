/**
 * Fidelity check of the mock LLM with the official `@sogni-ai/sogni-client` (5.54.0):
 * `chat.waitForModels`, `chat.completions.create` non-streaming and `stream: true`, and a tool-calling
 * call with `autoExecuteTools` (two socket jobs) all complete against the emulator.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { emulatorTest, http, json, officialClient } from "./helpers.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"


describe("official client chat", () => {
  emulatorTest("chat.estimateCost quotes the model's output budget, and the completion is charged no more", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-chat-estimate")
      yield* Effect.promise(() => client.chat.waitForModels())
      const messages = [{ role: "user" as const, content: "How many legs does a heron have?" }]
      const inputTokens = Math.ceil(JSON.stringify(messages).length / 4)
      const byDefault = yield* Effect.promise(() => client.chat.estimateCost({ model: MODEL, messages, tokenType: "spark" }))
      assert.strictEqual(byDefault.inputTokens, inputTokens)
      assert.strictEqual(byDefault.outputTokens, 4096, "the model's maxOutputTokens.default")
      const thinking = yield* Effect.promise(() =>
        client.chat.estimateCost({ model: MODEL, messages, think: true, taskProfile: "reasoning", tokenType: "spark" })
      )
      assert.strictEqual(thinking.outputTokens, 16384, "thinkingComplexDefault")
      assert.isAbove(thinking.costInToken, byDefault.costInToken)
      const bounded = yield* Effect.promise(() =>
        client.chat.estimateCost({ model: MODEL, messages, max_tokens: 300, tokenType: "spark" })
      )
      assert.strictEqual(bounded.outputTokens, 300)
      assert.isAbove(bounded.costInSpark, 0)
      assert.isAbove(bounded.costInUSD, 0)

      const before = Number(client.account.currentAccount.balance.spark.net)
      const result = yield* Effect.promise(() =>
        client.chat.completions.create({ model: MODEL, messages, max_tokens: 300, tokenType: "spark" })
      )
      assert.isAtMost(Number(result.cost?.costInSpark), bounded.costInSpark + 1e-6)
      for (let i = 0; i < 100 && Number(client.account.currentAccount.balance.spark.net) === before; i++) yield* Effect.sleep(20)
      assert.isAtMost(before - Number(client.account.currentAccount.balance.spark.net), bounded.costInSpark + 1e-6)

      // Bad segments are refused with the rule; an unknown model is a 404.
      const get = (path: string) => http(`${emulator.url}${path}`, { headers: { "api-key": emulator.apiKey } })
      const unknown = yield* get("/api/v1/job-llm/estimate/spark/no-such-llm/10/100")
      assert.strictEqual(unknown.status, 404)
      const tooLong = yield* get(`/api/v1/job-llm/estimate/spark/${MODEL}/10/999999`)
      assert.strictEqual(tooLong.status, 400)
      assert.match(JSON.stringify(yield* json(tooLong)), /maxOutputTokens must be an integer in 1\.\.32768/)
      // The model seed 000's chat documentation names is served too.
      const older = yield* Effect.promise(() =>
        client.chat.estimateCost({ model: "qwen3.5-35b-a3b-gguf-q4km", messages, tokenType: "spark" })
      )
      assert.strictEqual(older.outputTokens, 4096)
      const noAuth = yield* http(`${emulator.url}/api/v1/job-llm/estimate/spark/${MODEL}/10/100`)
      assert.strictEqual(noAuth.status, 401)
    }))

  emulatorTest("waitForModels, then a non-streaming completion with usage, cost and worker", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-chat-1")
      const models = yield* Effect.promise(() => client.chat.waitForModels())
      assert.isAbove(models[MODEL]!.workers, 0)
      const result = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: MODEL,
          messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello emulator" }],
          max_tokens: 200,
          tokenType: "spark"
        })
      )
      assert.include(result.content, "Hello emulator")
      assert.strictEqual(result.finishReason, "stop")
      assert.strictEqual(result.role, "assistant")
      assert.isAbove(result.usage.completion_tokens, 0)
      assert.isAbove(result.timeTaken, 0)
      assert.isString(result.workerName)
      assert.isAbove(Number(result.cost?.costInSpark), 0)
    }))

  emulatorTest("a streaming completion yields chunks and a final result", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-chat-2")
      yield* Effect.promise(() => client.chat.waitForModels())
      const { chunks, stream } = yield* Effect.promise(async () => {
        const stream = await client.chat.completions.create({
          model: MODEL,
          messages: [{ role: "user", content: "Stream to me" }],
          stream: true,
          think: true
        })
        const chunks: string[] = []
        for await (const chunk of stream) chunks.push(chunk.content)
        return { chunks, stream }
      })
      assert.isAbove(chunks.length, 3)
      const text = chunks.join("")
      assert.match(text, /^<think>/)
      assert.include(text, "Stream to me")
      assert.strictEqual(stream.content, text)
      assert.isNotNull(stream.finalResult)
      assert.strictEqual(stream.finalResult!.finishReason, "stop")
    }))

  emulatorTest("a completion survives [[drop]]: recovered through activeLLMJobIDs after the reconnect", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-chat-drop")
      yield* Effect.promise(() => client.chat.waitForModels())
      const result = yield* Effect.promise(() =>
        client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[[drop]] hold on" }] })
      )
      assert.match(result.content, /^You said: "hold on"\./)
      assert.strictEqual(result.finishReason, "stop")
    }), {}, 30_000)

  emulatorTest("autoExecuteTools runs the called tool and answers from its result", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-chat-3")
      yield* Effect.promise(() => client.chat.waitForModels())
      const calls: Array<{ name: string; arguments: string }> = []
      const result = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: MODEL,
          messages: [{ role: "user", content: "Call get_weather for \"Austin, TX\"" }],
          tools: [{
            type: "function",
            function: {
              name: "get_weather",
              description: "Current weather",
              parameters: {
                type: "object",
                properties: { location: { type: "string" } },
                required: ["location"]
              }
            }
          }],
          tool_choice: "auto",
          autoExecuteTools: true,
          onToolCall: async (toolCall) => {
            calls.push({ name: toolCall.function.name, arguments: toolCall.function.arguments })
            return JSON.stringify({ temperature: "31 °C", sky: "sunny" })
          }
        })
      )
      assert.strictEqual(calls.length, 1)
      assert.strictEqual(calls[0]!.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(calls[0]!.arguments), { location: "Austin, TX" })
      assert.strictEqual(result.finishReason, "stop")
      assert.include(result.content, "31 °C")
      assert.isAtLeast(result.toolHistory?.length ?? 0, 1)
    }))
})
