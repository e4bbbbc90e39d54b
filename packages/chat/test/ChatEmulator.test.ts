/**
 * The chat service against the emulator's mock LLM (a real Supernet stand-in rather than the scripted
 * `util/LLMServer.ts`): streaming and non-streaming text, thinking, max_tokens, tool rounds, structured
 * output, failure, cancellation, a dropped socket with `activeLLMJobIDs` recovery and concurrent jobs.
 * The scripted server stays for what the emulator cannot produce (exact frame scripts, malformed or
 * missing frames, arbitrary error payloads, custom handshakes).
 */
import { Sogni } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
// The emulator is a sibling workspace package; imported by path (it is not a declared dependency of chat).
import { Emulator } from "@effect-sogni/emulator"
import { Chat, type ChatChunk, type ChatRequest, Tool } from "../src/index.js"
import { dataUri, png } from "./util/fixtures.js"
import { eventually } from "./util/LLMServer.js"
import { makeEmulatorTap } from "./util/EmulatorTap.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"
const ask = (content: string, extra: Partial<ChatRequest.ChatRequest> = {}): ChatRequest.ChatRequest => ({
  model,
  messages: [{ role: "user", content }],
  ...extra
})

let apps = 0

/**
 * Core pointed at the emulator through a recording tap, with the chat service on top (released before
 * the emulator stops). Returns the service and the tap (what the client sent).
 */
const chatFor = (options: Chat.ChatOptions = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const tap = yield* makeEmulatorTap(emulator.wsUrl)
    const appId = `chat-emulator-${++apps}`
    const ctx = yield* Layer.build(
      Chat.layer(options).pipe(
        Layer.provideMerge(
          Sogni.layer({
            appId,
            apiKey: Redacted.make(emulator.apiKey),
            restEndpoint: emulator.url,
            socketEndpoint: tap.url,
            reconnectBase: "20 millis",
            reconnectCap: "50 millis",
            reconnectJitter: 0
          })
        )
      )
    )
    return { chat: Context.get(ctx, Chat.Chat), tap, appId, emulator }
  })

const emulatorTest = (
  name: string,
  body: () => Effect.Effect<void, unknown, Emulator.Emulator | Scope.Scope>,
  timeout?: number
) =>
  it.scopedLive(
    name,
    () => Effect.scoped(body()).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 }))),
    timeout
  )

const tags = (chunks: ReadonlyArray<{ readonly _tag: string }>) => chunks.map((c) => c._tag)
const textOf = (chunks: ReadonlyArray<{ readonly _tag: string }>) =>
  chunks.flatMap((c) => (c._tag === "TextDelta" ? [(c as Extract<ChatChunk.ChatChunk, { _tag: "TextDelta" }>).text] : [])).join("")

const getWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: Schema.Struct({ location: Schema.String, unit: Schema.optional(Schema.Literal("C", "F")) }),
  handler: ({ location }) => Effect.succeed({ location, tempF: 91, sky: "clear" })
})

describe("Chat against the emulator", () => {
  emulatorTest("model limits: maxTokens defaults to the model's, too large is refused before sending, the mock obeys it", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const tooLarge = yield* Effect.flip(chat.complete(ask("Hi", { maxTokens: 40_000 })))
      assert(tooLarge._tag === "SogniInvalidRequest")
      assert.strictEqual(tooLarge.field, "maxTokens")
      assert.strictEqual(tooLarge.rule, "maximum")
      assert.strictEqual(tap.requests.length, 0)
      const info = yield* chat.modelInfo(model)
      assert.isTrue(Option.isSome(info))
      assert.deepStrictEqual(Option.getOrThrow(info).maxOutputTokens, { min: 1, max: 32768, default: 4096, thinkingComplexDefault: 16384 } as never)
      assert.isTrue((yield* SubscriptionRef.get(chat.models)).some((m) => m.id === "qwen3-8b-gguf-q4km"))

      yield* chat.complete(ask("Weather in Austin?"))
      assert.strictEqual(tap.requests[0]!.max_tokens, 4096)
      yield* chat.complete(ask("Weather in Austin?", { model: "qwen3-8b-gguf-q4km" }))
      assert.strictEqual(tap.requests[1]!.max_tokens, 2048)
      const small = yield* Effect.flip(chat.complete(ask("Hi", { model: "qwen3-8b-gguf-q4km", maxTokens: 8193 })))
      assert(small._tag === "SogniInvalidRequest")
      assert.strictEqual(small.field, "maxTokens")
      assert.strictEqual(tap.requests.length, 2)

      // an explicit value within the limit goes out as is and the mock LLM stops there
      const short = yield* chat.complete(ask("Weather in Austin?", { maxTokens: 3 }))
      assert.strictEqual(tap.requests[2]!.max_tokens, 3)
      assert.strictEqual(short.finishReason, "length")
      assert.isAtMost(short.usage.completion_tokens, 3)
    }))

  emulatorTest("bad requests fail typed before anything is sent: not an object, messages not an array, 10 MB of text, an unknown model", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const refusal = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
        Effect.map(Effect.flip(effect), (e) => {
          assert(e._tag === "SogniInvalidRequest", `expected SogniInvalidRequest, got ${e._tag}`)
          const invalid = e as unknown as { readonly field: string; readonly rule: string }
          return [invalid.field, invalid.rule]
        })
      const notObject = null as unknown as ChatRequest.ChatRequest
      const stringMessages = { model, messages: "hi" } as unknown as ChatRequest.ChatRequest
      assert.deepStrictEqual(yield* refusal(chat.complete(notObject)), ["request", "type"])
      assert.deepStrictEqual(yield* refusal(chat.complete(stringMessages)), ["messages", "type"])
      assert.deepStrictEqual(yield* refusal(Stream.runDrain(chat.stream(stringMessages))), ["messages", "type"])
      assert.deepStrictEqual(
        yield* refusal(chat.completeObject(notObject, Schema.Struct({ a: Schema.String }))),
        ["request", "type"]
      )
      assert.deepStrictEqual(
        yield* refusal(chat.completeWithTools(stringMessages, Tool.toolkit(getWeather))),
        ["messages", "type"]
      )
      assert.deepStrictEqual(yield* refusal(chat.complete(ask("x".repeat(10 * 1024 * 1024)))), ["messages", "max-length"])
      assert.deepStrictEqual(yield* refusal(chat.complete(ask("Hi", { model: "no-such-llm" }))), ["model", "unknown"])
      assert.strictEqual(tap.requests.length, 0)
      // the known model still goes out
      yield* chat.complete(ask("Hi"))
      assert.strictEqual(tap.requests.length, 1)
    }))

  emulatorTest("streams one element per token frame: text deltas, then a Finish with the usage, worker, time and cost", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const chunks = Chunk.toArray(yield* Stream.runCollect(chat.stream(ask("Weather in Austin?"))))
      const t = tags(chunks)
      assert.isAbove(t.filter((x) => x === "TextDelta").length, 3)
      // the job's lifecycle is not in the stream unless asked for; the closing frame's usage is the Finish's
      assert.deepStrictEqual([...new Set(t)], ["TextDelta", "Finish"])
      assert.match(textOf(chunks), /^You said: "Weather in Austin\?"\./)
      const finish = chunks.at(-1) as Extract<ChatChunk.ChatChunk, { _tag: "Finish" }>
      assert.strictEqual(finish.finishReason, "stop")
      assert.isAbove(finish.usage.completion_tokens, 0)
      assert.isString(finish.workerName)
      assert.isAbove(finish.timeTaken, 0)
      assert.strictEqual(finish.jobID, finish.jobID.toUpperCase())
      const request = tap.requests[0]!
      assert.strictEqual(request.stream, true)
      assert.strictEqual(request.jobID, request.jobID.toUpperCase())
      assert.strictEqual(finish.jobID, request.jobID)
      // as many elements as the official client yields chunks: one per jobTokens frame
      const sent = tap.jobFrames.get(request.jobID) ?? []
      assert.strictEqual(chunks.length, sent.filter((type) => type === "jobTokens").length)
    }))

  emulatorTest("with jobStates: true, streams the job states first, one per jobState frame", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const chunks = Chunk.toArray(yield* Stream.runCollect(chat.stream(ask("Weather in Austin?"), { jobStates: true })))
      const t = tags(chunks)
      const sent = tap.jobFrames.get(tap.requests[0]!.jobID) ?? []
      const states = sent.filter((type) => type === "jobState").length
      assert.isAbove(states, 0)
      assert.deepStrictEqual(t.slice(0, states), Array.from({ length: states }, () => "JobState"))
      assert.deepStrictEqual([...new Set(t.slice(states))], ["TextDelta", "Finish"])
      const started = chunks.find((c) => c._tag === "JobState" && c.state === "jobStarted") as
        | Extract<ChatChunk.ChatChunk, { _tag: "JobState" }>
        | undefined
      assert.isString(started?.workerName)
      assert.strictEqual(started?.workerName, (chunks.at(-1) as Extract<ChatChunk.ChatChunk, { _tag: "Finish" }>).workerName)
    }))

  emulatorTest("completes without streaming; the same prompt gives the same text; max_tokens stops with length", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const c = yield* chat.complete(ask("Hi", { temperature: 0.2, tokenType: "spark" }))
      assert.match(c.text, /^You said: "Hi"\./)
      assert.deepStrictEqual([c.reasoning, c.finishReason, c.role], ["", "stop", "assistant"])
      assert.isAbove(c.usage.completion_tokens, 0)
      assert.isAbove(Number(c.cost?.costInSpark), 0)
      assert.isFalse("stream" in tap.requests[0]!)
      assert.strictEqual(tap.requests[0]!.temperature, 0.2)
      assert.strictEqual(tap.requests[0]!.tokenType, "spark")
      const again = yield* chat.complete(ask("Hi"))
      assert.strictEqual(again.text, c.text)
      const cut = yield* chat.complete(ask("Hi", { maxTokens: 2 }))
      assert.deepStrictEqual([cut.text, cut.finishReason, cut.usage.completion_tokens], ["You said:", "length", 2])
    }))

  emulatorTest("think: true yields reasoning and text split from the <think> block", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const chunks = Chunk.toArray(yield* Stream.runCollect(chat.stream(ask("Hello", { think: true }))))
      const reasoning = chunks.flatMap((c) => (c._tag === "ReasoningDelta" ? [c.text] : [])).join("")
      assert.include(reasoning, "The user wrote \"Hello\"")
      assert.match(textOf(chunks), /^You said: "Hello"\./)
      assert.deepStrictEqual(tap.requests[0]!.chat_template_kwargs, { enable_thinking: true })
      const raw = yield* chat.complete(ask("Hello", { think: true }), { splitThinking: false })
      assert.match(raw.text, /^<think>[\s\S]*<\/think>\n\nYou said/)
    }))

  emulatorTest("resolves a 2-round tool call without streaming, answering from the tool result", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const result = yield* chat.completeWithTools(
        ask("Use get_weather for \"Austin, TX\""),
        Tool.toolkit(getWeather)
      )
      assert.include(result.text, "{\"location\":\"Austin, TX\",\"tempF\":91,\"sky\":\"clear\"}")
      assert.strictEqual(result.rounds.length, 1)
      assert.strictEqual(result.rounds[0]!.completion.finishReason, "tool_calls")
      assert.deepStrictEqual(result.messages.map((m) => m.role), ["user", "assistant", "tool", "assistant"])
      assert.strictEqual(tap.requests.length, 2)
      const [first, second] = tap.requests as [Record<string, any>, Record<string, any>]
      assert.strictEqual(first.stream, false)
      assert.deepStrictEqual(first.tools, [getWeather.definition])
      assert.deepStrictEqual(second.tools, first.tools)
      assert.notStrictEqual(second.jobID, first.jobID)
      const [assistant, tool] = second.messages.slice(1)
      assert.strictEqual(assistant.content, null)
      assert.strictEqual(assistant.tool_calls.length, 1)
      const call = assistant.tool_calls[0]
      assert.match(call.id, /^call_/)
      assert.deepStrictEqual([call.type, call.function.name], ["function", "get_weather"])
      assert.strictEqual(JSON.parse(call.function.arguments).location, "Austin, TX")
      assert.deepStrictEqual(tool, {
        role: "tool",
        content: "{\"location\":\"Austin, TX\",\"tempF\":91,\"sky\":\"clear\"}",
        tool_call_id: call.id,
        name: "get_weather"
      })
    }))

  emulatorTest("resolves tools while streaming: round-1 Finish, ToolCalls, ToolResults, then round-2 text", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const getTime = Tool.make("get_time", {
        parameters: Schema.Struct({ zone: Schema.String }),
        handler: ({ zone }) => Effect.succeed(`noon in ${zone}`)
      })
      const chunks = Chunk.toArray(
        yield* Stream.runCollect(
          chat.streamWithTools(ask("Call get_weather and get_time for \"Paris\""), Tool.toolkit(getWeather, getTime))
        )
      )
      const t = tags(chunks)
      const firstCall = t.indexOf("ToolCall")
      assert.isTrue(t.indexOf("Finish") < firstCall)
      assert.deepStrictEqual(t.slice(firstCall, firstCall + 4), ["ToolCall", "ToolCall", "ToolResult", "ToolResult"])
      assert.strictEqual(t.filter((x) => x === "Finish").length, 2)
      assert.strictEqual(t.at(-1), "Finish")
      const text = textOf(chunks.slice(firstCall))
      assert.include(text, "Paris")
      assert.include(text, "noon in Paris")
      assert.isTrue(tap.requests.every((r) => r.stream === true))
      // one tool message per call, in index order
      const calls = tap.requests[1]!.messages[1].tool_calls.map((c: any) => c.id)
      assert.strictEqual(calls.length, 2)
      assert.deepStrictEqual(tap.requests[1]!.messages.slice(2).map((m: any) => m.tool_call_id), calls)
    }))

  const City = Schema.Struct({ city: Schema.String, population: Schema.Number }).annotations({ identifier: "City" })

  emulatorTest("structured output: the json_schema answer decodes", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const result = yield* chat.completeObject(ask("A city like \"Austin\"?"), City)
      assert.strictEqual(result.value.city, "Austin")
      assert.isNumber(result.value.population)
      const format = tap.requests[0]!.response_format
      assert.deepStrictEqual(format, { type: "json_schema", json_schema: { name: "City", schema: Tool.jsonSchemaOf(City), strict: true } })
    }))

  emulatorTest("[[fail]] fails with a typed JobFailed error, without cancelling upstream", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const error = yield* Effect.flip(chat.complete(ask("[[fail]] Hi")))
      assert(error._tag === "SogniChatJobError")
      assert.deepStrictEqual([error.reason, error.error], ["JobFailed", "worker_error"])
      assert.isFalse(error.isRetryable)
      assert.strictEqual(error.jobID, tap.requests[0]!.jobID)
      assert.deepStrictEqual(tap.cancels, [])
    }))

  emulatorTest("interrupting a stream cancels the job and a later job works", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const firstTwo = yield* Stream.runCollect(
        chat.stream(ask("[[slow]] Go")).pipe(Stream.filter((c) => c._tag === "TextDelta"), Stream.take(2))
      )
      assert.strictEqual(Chunk.size(firstTwo), 2)
      yield* eventually(() => tap.cancels.length === 1, 2_000, "first llmJobCancel")
      const fiber = yield* Effect.fork(chat.complete(ask("[[slow]] Go")))
      yield* Effect.sleep("200 millis")
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => tap.cancels.length === 2, 2_000, "second llmJobCancel")
      assert.deepStrictEqual(tap.cancels, tap.requests.map((r) => r.jobID))
      assert.match((yield* chat.complete(ask("Again"))).text, /^You said: "Again"\./)
    }))

  emulatorTest("[[drop]]: the job survives a dropped socket through activeLLMJobIDs and completes", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor({ idleTimeout: "10 seconds" })
      const c = yield* chat.complete(ask("[[drop]] keep going"))
      assert.match(c.text, /^You said: "keep going"\./)
      assert.strictEqual(c.finishReason, "stop")
      assert.strictEqual(tap.connections(), 2)
      assert.strictEqual(tap.requests.length, 1)
      // the emulator's [[drop]] waits for the rebind, so nothing is lost here, but nothing on the wire
      // can say so: the reply crossed a reconnect and is marked
      assert.strictEqual(c.gap?.reason, "Reconnected")
      assert.strictEqual(c.gap?.drops, 1)
    }), 20_000)

  emulatorTest("vision: an image part reaches the model as an image_url data URI", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const image = dataUri("image/png", png(16, 16))
      const c = yield* chat.complete({
        model,
        messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: image } }] }]
      })
      assert.match(c.text, /^You said: "What is this\?"\. I see 1 image\./)
      const parts = tap.requests[0]!.messages[0].content
      assert.deepStrictEqual(parts[1], { type: "image_url", image_url: { url: image } })
    }))

  emulatorTest("concurrent jobs on one socket each get only their own text", () =>
    Effect.gen(function*() {
      const { chat, tap } = yield* chatFor()
      const answers = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => `q${i}`),
        (q) => Effect.map(chat.complete(ask(q)), (c) => c.text),
        { concurrency: "unbounded" }
      )
      answers.forEach((a, i) => assert.match(a, new RegExp(`^You said: "q${i}"\\.`)))
      assert.strictEqual(new Set(tap.requests.map((r) => r.jobID)).size, 8)
    }))

  // the job's buffer is bounded (streamBufferSize): a consumer that falls behind gets the same text in
  // fewer, longer deltas, never a shorter answer
  it.scopedLive("a slow consumer of a long reply gets all of its text, merged into fewer deltas", () =>
    Effect.gen(function*() {
      const { chat } = yield* chatFor({ streamBufferSize: 2 })
      const request = ask("[[long]] tell me everything", { maxTokens: 2000 })
      const reference = yield* chat.complete(request)
      let stalled = false
      const chunks = yield* chat.stream(request).pipe(
        Stream.tap((c) =>
          c._tag === "TextDelta" && !stalled ? Effect.zipRight(Effect.sync(() => (stalled = true)), Effect.sleep("300 millis")) : Effect.void
        ),
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )
      const finish = chunks.at(-1)
      assert(finish?._tag === "Finish")
      assert.strictEqual(finish.usage.completion_tokens, 2000)
      assert.strictEqual(textOf(chunks), reference.text)
      const deltas = chunks.filter((c) => c._tag === "TextDelta").length
      assert.isBelow(deltas, 2000, "the tokens that arrived while the consumer slept were merged")
    }).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 12, llmLongTokens: 2000, llmTokensPerTick: 200 }))), 60_000)

  // a reply that crosses a reconnect may have lost tokens (the server buffers nothing, chat.md §3.3/§7):
  // the reply is marked, a warning is logged once, and callers can ask to fail instead
  describe("a reply that crosses a dropped connection", () => {
    const capture = () => {
      const lines: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
    }
    const gapTest = (name: string, body: (lines: Array<string>) => Effect.Effect<void, unknown, Emulator.Emulator | Scope.Scope>) =>
      it.scopedLive(name, () => {
        const logs = capture()
        return Effect.scoped(body(logs.lines)).pipe(
          Effect.provide(Emulator.layer({ port: 0, speed: 4, llmLongTokens: 400 })),
          Effect.provide(logs.layer),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      }, 30_000)
    const request = ask("[[long]] tell me everything", { maxTokens: 2000 })

    /** Streams `request`, closing the app's connection (1006, as a proxy cutting the socket) after two text deltas. */
    const streamDropped = (options?: Chat.CallOptions) =>
      Effect.gen(function*() {
        const { appId, chat, emulator, tap } = yield* chatFor({ idleTimeout: "10 seconds" })
        let texts = 0
        const result = yield* chat.stream(request, options).pipe(
          Stream.tap((c) =>
            c._tag === "TextDelta" && ++texts === 2
              ? Effect.asVoid(emulator.control.dropConnection({ appId, abnormal: true }))
              : Effect.void
          ),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray),
          Effect.either
        )
        return { result, tap, chat }
      })

    gapTest("the Finish and the completion carry a typed gap and one warning is logged; a reply without a drop carries none", (lines) =>
      Effect.gen(function*() {
        const { result, tap, chat } = yield* streamDropped()
        assert(result._tag === "Right", String(result._tag === "Left" ? result.left : ""))
        const chunks = result.right
        const finish = chunks.at(-1)!
        assert(finish._tag === "Finish")
        assert.strictEqual(tap.connections(), 2)
        assert.strictEqual(finish.finishReason, "stop")
        const gap = finish.gap
        assert(gap !== undefined, "the Finish names the gap")
        assert.deepStrictEqual([gap.reason, gap.drops, gap.completionTokens], ["Reconnected", 1, finish.usage.completion_tokens])
        assert.isAtLeast(gap.firstDropAt, 1)
        // evidence only: what arrived is never more than what the server counted
        assert.isAtLeast(gap.tokenFrames, 2)
        assert.isAtMost(gap.tokenFrames, finish.usage.completion_tokens)
        const warnings = lines.filter((l) => l.startsWith("WARN") && l.includes(finish.jobID))
        assert.strictEqual(warnings.length, 1, lines.join("\n"))
        assert.match(warnings[0]!, /crossed a reconnect .*may have a hole \(\d+ token frames arrived, the server counted \d+ completion tokens\)/)
        assert.notInclude(lines.join("\n"), "test-key")

        // the same request with no drop: no gap, no warning
        const clean = yield* chat.complete(request)
        assert.isFalse("gap" in clean)
        assert.strictEqual(clean.usage.completion_tokens, finish.usage.completion_tokens)
        assert.deepStrictEqual(lines.filter((l) => l.startsWith("WARN") && l.includes(clean.jobID)), [])
        // the completion of a dropped reply carries it too
        const folded = yield* Chat.foldCompletion(Stream.fromIterable(chunks))
        assert.deepStrictEqual(folded.gap, gap)
      }))

    gapTest("onReplyGap: \"fail\" fails the job with a retryable ReplyGap when the drop is noticed and cancels it upstream", (lines) =>
      Effect.gen(function*() {
        const { result, tap } = yield* streamDropped({ onReplyGap: "fail" })
        assert(result._tag === "Left")
        const error = result.left
        assert(error._tag === "SogniChatJobError")
        assert.deepStrictEqual([error.reason, error.error, error.isRetryable], ["ReplyGap", "reply_gap", true])
        assert.match(error.message, /onReplyGap: "fail"/)
        yield* eventually(() => tap.cancels.length === 1, 5_000, "llmJobCancel after the reconnect")
        assert.strictEqual(tap.cancels[0], tap.requests[0]!.jobID)
        // the error says it; no warning on top
        assert.strictEqual(lines.filter((l) => l.startsWith("WARN") && l.includes(error.jobID)).length, 0)
      }))
  })
})
