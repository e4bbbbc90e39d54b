/**
 * `sogni.chat` against the emulator's mock LLM over real loopback sockets: non-streaming and
 * streaming completions, tool auto-execution with and without streaming, failures as ChatJobError,
 * validation before sending, and abort / early break cancelling the job upstream.
 */
import { afterAll, assert, beforeAll, describe, expectTypeOf, it } from "@effect/vitest"
import {
  type ChatCompletionParams,
  type ChatCompletionResult,
  type ChatCompletionChunk,
  ChatStream,
  isAbortError,
  isChatJobError,
  isDisposedError,
  isInvalidRequestError,
  isRetryableChatError,
  isTransportError,
  SogniClient,
  SogniTools,
  type ToolCall
} from "../src/index.js"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type EmulatorTap, makeEmulatorTap } from "../../chat/test/util/EmulatorTap.js"
import { endpoints, recordingLogger, type RunningEmulator, startEmulator } from "./emulator.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const withClient = async <A>(appId: string, body: (sogni: SogniClient) => Promise<A>): Promise<A> => {
  const sogni = await SogniClient.createInstance({ appId, logLevel: "error", ...endpoints(emulator) })
  try {
    return await body(sogni)
  } finally {
    await sogni.dispose()
  }
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
  }
}

/** A recording proxy in front of the emulator's socket (the chat package's test tap): what went on the wire. */
const withTap = async <A>(body: (tap: EmulatorTap) => Promise<A>): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const tap = await Effect.runPromise(Scope.extend(makeEmulatorTap(emulator.wsUrl), scope))
    return await body(tap)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

describe("chat", () => {
  it("estimateCost quotes the emulator's estimate endpoint with the official client's token counts", async () => {
    await withClient("client-chat-estimate", async (sogni) => {
      await sogni.chat.waitForModels()
      const messages = [{ role: "user" as const, content: "How many legs does a heron have?" }]
      const byDefault = await sogni.chat.estimateCost({ model: MODEL, messages, tokenType: "spark" })
      assert.strictEqual(byDefault.inputTokens, Math.ceil(JSON.stringify(messages).length / 4))
      assert.strictEqual(byDefault.outputTokens, 4096, "the model's default output limit")
      assert.isAbove(byDefault.costInSpark, 0)
      const thinking = await sogni.chat.estimateCost({ model: MODEL, messages, think: true, taskProfile: "reasoning", tokenType: "spark" })
      assert.strictEqual(thinking.outputTokens, 16384, "the thinking limit for reasoning")
      assert.isAbove(thinking.costInToken, byDefault.costInToken)
      const bounded = await sogni.chat.estimateCost({ model: MODEL, messages, max_tokens: 300, tokenType: "spark" })
      assert.strictEqual(bounded.outputTokens, 300)
      const refused = await sogni.chat.estimateCost({ model: MODEL, messages: [], tokenType: "spark" }).then(
        () => undefined,
        (e: unknown) => e
      )
      assert.isTrue(isInvalidRequestError(refused), String(refused))
    })
  })

  it("waitForModels, then a non-streaming completion with usage, cost and worker", async () => {
    await withClient("client-chat-1", async (sogni) => {
      const models = await sogni.chat.waitForModels()
      assert.isAbove(models[MODEL]!.workers, 0)
      assert.strictEqual(sogni.chat.models[MODEL]!.workers, models[MODEL]!.workers)
      const result = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello emulator" }],
        max_tokens: 200,
        tokenType: "spark"
      })
      assert.include(result.content, "Hello emulator")
      assert.strictEqual(result.finishReason, "stop")
      assert.strictEqual(result.role, "assistant")
      assert.isAbove(result.usage.completion_tokens, 0)
      assert.isAbove(result.timeTaken, 0)
      assert.isString(result.workerName)
      assert.isAbove(Number(result.cost?.costInSpark), 0)
      assert.match(result.jobID, /^[0-9A-F-]{36}$/)
      // with `stream` only known at run time the answer is typed as either shape (checked by tsc)
      const dynamic: ChatCompletionParams = { model: MODEL, messages: [{ role: "user", content: "either" }], stream: Math.random() > 2 }
      const either = await sogni.chat.completions.create(dynamic)
      expectTypeOf(either).toEqualTypeOf<ChatStream | ChatCompletionResult>()
      assert.isFalse(either instanceof ChatStream)
      assert.include((either as ChatCompletionResult).content, "either")
    })
  })

  it("waitForModels rejects with a TransportError (Timeout) when no LLM model shows up in time", async () => {
    const control = emulator.service.control
    // every server frame (the LLM model list included) is held back for 3 s
    await Effect.runPromise(control.delayFrames(3000))
    try {
      await withClient("client-chat-models-timeout", async (sogni) => {
        const started = Date.now()
        const error = await sogni.chat.waitForModels(300).catch((e) => e)
        assert.isTrue(isTransportError(error), String(error))
        assert.strictEqual(error.reason, "Timeout")
        assert.isBelow(Date.now() - started, 2500)
        assert.deepStrictEqual(sogni.chat.models, {})
        await Effect.runPromise(control.clearFaults)
        const models = await sogni.chat.waitForModels()
        assert.isAbove(models[MODEL]!.workers, 0)
      })
    } finally {
      await Effect.runPromise(control.clearFaults)
    }
  })

  it("stream: true yields chunks (think text included, as the official client) and a final result", async () => {
    await withClient("client-chat-2", async (sogni) => {
      const stream: ChatStream = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Stream to me" }],
        stream: true,
        think: true
      })
      const chunks: Array<ChatCompletionChunk> = []
      for await (const chunk of stream) chunks.push(chunk)
      const text = chunks.map((c) => c.content).join("")
      assert.isAbove(chunks.length, 3)
      assert.match(text, /^<think>/)
      assert.include(text, "Stream to me")
      assert.strictEqual(stream.content, text)
      assert.strictEqual(stream.finalResult?.content, text)
      assert.strictEqual(stream.finalResult?.finishReason, "stop")
      assert.strictEqual(chunks.at(-1)?.finishReason, "stop")
      assert.strictEqual(stream.jobID, stream.finalResult?.jobID)
    })
  })

  it("autoExecuteTools runs onToolCall and answers from its result, with toolHistory", async () => {
    await withClient("client-chat-3", async (sogni) => {
      const calls: Array<ToolCall> = []
      const progress: Array<string> = []
      const result = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Call get_weather for \"Austin, TX\"" }],
        tools: [weatherTool],
        tool_choice: "auto",
        autoExecuteTools: true,
        onToolCall: async (call) => {
          calls.push(call)
          return JSON.stringify({ temperature: "31 °C", sky: "sunny" })
        },
        onToolProgress: (_call, p) => progress.push(p.status)
      })
      assert.strictEqual(calls.length, 1)
      assert.deepStrictEqual(JSON.parse(calls[0]!.function.arguments), { location: "Austin, TX" })
      assert.include(result.content, "31 °C")
      assert.strictEqual(result.finishReason, "stop")
      assert.strictEqual(result.toolHistory?.length, 1)
      assert.strictEqual(result.toolHistory![0]!.toolResults[0]!.toolName, "get_weather")
      assert.isTrue(result.toolHistory![0]!.toolResults[0]!.success)
      assert.deepStrictEqual(progress, ["processing", "completed"])
    })
  })

  it("autoExecuteTools also while streaming: tool call and result pieces, then the answer", async () => {
    await withClient("client-chat-4", async (sogni) => {
      const stream = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Call get_weather for \"Paris\"" }],
        tools: [weatherTool],
        stream: true,
        autoExecuteTools: true,
        onToolCall: async () => "{\"temperature\":\"12 °C\"}"
      })
      const kinds: Array<string> = []
      for await (const chunk of stream) {
        if (chunk.toolCall !== undefined) kinds.push(`call:${chunk.toolCall.function.name}`)
        else if (chunk.toolResult !== undefined) kinds.push(`result:${chunk.toolResult.success}`)
      }
      assert.deepStrictEqual(kinds, ["call:get_weather", "result:true"])
      assert.include(stream.finalResult!.content, "12 °C")
      assert.strictEqual(stream.finalResult!.toolHistory?.length, 1)
    })
  })

  it("autoExecuteTools runs a Sogni platform tool (generate_image) as a media project of this client", async () => {
    await withClient("client-chat-platform", async (sogni) => {
      const calls: Array<string> = []
      const result = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Please generate_image of \"a red fox in the snow\" and call get_weather for \"Oslo\" [[minimal]]" }],
        tools: [SogniTools.generateImage, weatherTool],
        tokenType: "spark",
        autoExecuteTools: true,
        onToolCall: async (call) => {
          calls.push(call.function.name)
          return "{\"temperature\":\"-3 °C\"}"
        }
      })
      // the custom tool went to onToolCall, the platform tool did not
      assert.deepStrictEqual(calls, ["get_weather"])
      const results = result.toolHistory![0]!.toolResults
      const image = results.find((r) => r.toolName === "generate_image")!
      assert.isTrue(image.success, image.content)
      const output = JSON.parse(image.content) as { success: boolean; media_type: string; urls: Array<string> }
      assert.strictEqual(output.media_type, "image")
      const png = new Uint8Array(await (await fetch(output.urls[0]!)).arrayBuffer())
      assert.deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47])
      assert.include(result.content, output.urls[0]!)
      // the media's URLs are on the result too, as the official client reports them; none for onToolCall's
      assert.deepStrictEqual(image.resultUrls, output.urls)
      assert.deepStrictEqual(results.find((r) => r.toolName === "get_weather")!.resultUrls, [])
    })
  })

  it("a streamed platform tool result carries the media's resultUrls", async () => {
    await withClient("client-chat-platform-stream", async (sogni) => {
      const stream = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Please generate_image of \"a lighthouse at dusk\" [[minimal]]" }],
        tools: [SogniTools.generateImage],
        tokenType: "spark",
        stream: true,
        autoExecuteTools: true
      })
      const streamed: Array<ReadonlyArray<string>> = []
      for await (const chunk of stream) {
        if (chunk.toolResult !== undefined) streamed.push(chunk.toolResult.resultUrls)
      }
      const entry = stream.finalResult!.toolHistory![0]!.toolResults[0]!
      assert.isTrue(entry.success, entry.content)
      const output = JSON.parse(entry.content) as { urls: Array<string> }
      assert.strictEqual(output.urls.length, 1)
      assert.deepStrictEqual(streamed, [output.urls])
      assert.deepStrictEqual(entry.resultUrls, output.urls)
      const png = new Uint8Array(await (await fetch(entry.resultUrls[0]!)).arrayBuffer())
      assert.deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47])
    })
  })

  it("a tool handler that throws goes back to the model as a failed result", async () => {
    await withClient("client-chat-5", async (sogni) => {
      const result = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Call get_weather for \"Oslo\"" }],
        tools: [weatherTool],
        autoExecuteTools: true,
        onToolCall: async () => {
          throw new Error("weather service down")
        }
      })
      const entry = result.toolHistory![0]!.toolResults[0]!
      assert.isFalse(entry.success)
      assert.include(entry.error!, "weather service down")
      assert.include(result.content, "weather service down")
    })
  })

  it("a failing job rejects with ChatJobError carrying errorType; stream failures surface from the loop", async () => {
    await withClient("client-chat-6", async (sogni) => {
      const error = await sogni.chat.completions
        .create({ model: MODEL, messages: [{ role: "user", content: "[[fail]] please" }] })
        .catch((e) => e)
      assert.isTrue(isChatJobError(error))
      assert.strictEqual(error.name, "ChatJobError")
      assert.strictEqual(error.errorType, "worker_error")
      assert.match(error.jobID, /^[0-9A-F-]{36}$/)
      assert.isFalse(isRetryableChatError(error))
      const stream = await sogni.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "[[fail]] streaming" }],
        stream: true
      })
      const streamed = await (async () => {
        for await (const _ of stream) {
          // consume
        }
      })().catch((e) => e)
      assert.isTrue(isChatJobError(streamed))
    })
  })

  it("invalid requests reject before anything is sent, streaming or not", async () => {
    await withClient("client-chat-7", async (sogni) => {
      const bad = { model: MODEL, messages: [{ role: "user" as const, content: "hi" }], temperature: 5 }
      const a = await sogni.chat.completions.create(bad).catch((e) => e)
      assert.isTrue(isInvalidRequestError(a))
      assert.strictEqual(a.field, "temperature")
      const b = await sogni.chat.completions.create({ ...bad, stream: true }).catch((e) => e)
      assert.isTrue(isInvalidRequestError(b))
      assert.strictEqual(b.field, "temperature")
    })
  })

  it("aborting a completion or breaking out of a stream cancels the job upstream (llmJobCancel on the wire)", async () => {
    await withTap(async (tap) => {
      const sogni = await SogniClient.createInstance({
        appId: "client-chat-8",
        logLevel: "error",
        ...endpoints(emulator),
        socketEndpoint: tap.url
      })
      try {
        const controller = new AbortController()
        const pending = sogni.chat.completions.create(
          { model: MODEL, messages: [{ role: "user", content: "[[slow]] [[long]] go on" }] },
          { signal: controller.signal }
        )
        setTimeout(() => controller.abort(), 400)
        const error = await pending.catch((e) => e)
        assert.isTrue(isAbortError(error))
        const stream = await sogni.chat.completions.create({
          model: MODEL,
          messages: [{ role: "user", content: "[[slow]] [[long]] and on" }],
          stream: true
        })
        let n = 0
        for await (const _ of stream) {
          if (++n === 3) break
        }
        assert.strictEqual(n, 3)
        const deadline = Date.now() + 5000
        while (tap.cancels.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        // a stream abandoned without break: dispose releases it, which cancels its job too
        const abandoned = await sogni.chat.completions.create({
          model: MODEL,
          messages: [{ role: "user", content: "[[slow]] [[long]] forgotten" }],
          stream: true
        })
        const it = abandoned[Symbol.asyncIterator]()
        await it.next()
        await sogni.dispose()
        while (tap.cancels.length < 3 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 50))
        assert.strictEqual(tap.requests.length, 3)
        assert.deepStrictEqual(
          [...tap.cancels].map((id) => id.toUpperCase()).sort(),
          tap.requests.map((r) => String(r.jobID).toUpperCase()).sort()
        )
      } finally {
        await sogni.dispose()
      }
    })
  })

  it("dispose() during a pending next() settles the iterator and cancels the job upstream", async () => {
    await withTap(async (tap) => {
      const sogni = await SogniClient.createInstance({
        appId: "client-chat-dispose",
        logLevel: "error",
        ...endpoints(emulator),
        socketEndpoint: tap.url
      })
      try {
        const stream = await sogni.chat.completions.create({
          model: MODEL,
          messages: [{ role: "user", content: "[[slow]] [[long]] until disposed" }],
          stream: true
        })
        const it = stream[Symbol.asyncIterator]()
        const first = await it.next()
        assert.isFalse(first.done)
        // pull until a next() is left waiting on the wire
        const waiting = Symbol("waiting")
        let next = it.next()
        while ((await Promise.race([next, new Promise((r) => setTimeout(() => r(waiting), 30))])) !== waiting) {
          next = it.next()
        }
        const pending = next.then(
          (r) => ({ settled: "value" as const, done: r.done === true }),
          (e: unknown) => ({ settled: "error" as const, disposed: isDisposedError(e) })
        )
        await sogni.dispose()
        const outcome = await Promise.race([
          pending,
          new Promise<{ settled: "hung" }>((r) => setTimeout(() => r({ settled: "hung" }), 5000))
        ])
        assert.notStrictEqual(outcome.settled, "hung")
        if (outcome.settled === "error") assert.isTrue(outcome.disposed)
        // later calls end the loop
        assert.isTrue((await it.next().catch((e: unknown) => ({ done: isDisposedError(e) }))).done)
        const deadline = Date.now() + 5000
        while (tap.cancels.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        assert.strictEqual(tap.requests.length, 1)
        assert.deepStrictEqual(
          [...tap.cancels].map((id) => id.toUpperCase()),
          [String(tap.requests[0]!.jobID).toUpperCase()]
        )
      } finally {
        await sogni.dispose()
      }
    })
  })

  // the server buffers nothing for a dropped socket and token frames carry no sequence (chat.md §3.3,
  // §7): a reply that went on after a reconnect may have a hole, and the result says so
  it("a streamed reply that crosses a dropped connection: finalResult.gap and one warning through the client's logger; none without a drop", async () => {
    const long = await startEmulator({ llmLongTokens: 400 })
    const { lines, logger } = recordingLogger()
    const appId = "client-chat-gap"
    const sogni = await SogniClient.createInstance({ appId, logLevel: "warn", logger, ...endpoints(long) })
    try {
      const params = { model: MODEL, messages: [{ role: "user" as const, content: "[[long]] tell me everything" }], max_tokens: 2000 }
      const stream = await sogni.chat.completions.create({ ...params, stream: true })
      let texts = 0
      for await (const chunk of stream) {
        // a proxy cutting the socket (1006) after two pieces of text
        if (chunk.content.length > 0 && ++texts === 2) {
          await Effect.runPromise(long.service.control.dropConnection({ appId, abnormal: true }))
        }
      }
      const result = stream.finalResult
      assert.isNotNull(result)
      assert.strictEqual(result!.finishReason, "stop")
      const gap = result!.gap
      assert.isDefined(gap)
      assert.deepStrictEqual([gap!.reason, gap!.drops, gap!.completionTokens], ["Reconnected", 1, result!.usage.completion_tokens])
      assert.isAtMost(gap!.tokenFrames, result!.usage.completion_tokens)
      for (let i = 0; i < 100 && !lines.some((l) => l.includes(result!.jobID)); i++) await new Promise((r) => setTimeout(r, 20))
      const warnings = lines.filter((l) => l.includes(result!.jobID))
      assert.strictEqual(warnings.length, 1, lines.join("\n"))
      assert.match(warnings[0]!, /^warn .*crossed a reconnect.*may have a hole/)
      assert.notInclude(lines.join("\n"), long.apiKey)

      const clean = await sogni.chat.completions.create(params)
      assert.isFalse("gap" in clean)
      assert.strictEqual(clean.usage.completion_tokens, result!.usage.completion_tokens)
      assert.isFalse(lines.some((l) => l.includes(clean.jobID)))
    } finally {
      await sogni.dispose()
      await long.stop()
    }
  }, 30_000)
})
