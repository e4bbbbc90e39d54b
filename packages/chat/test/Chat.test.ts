import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ChatChunk as ChatChunkCtor } from "../src/ChatChunk.js"
import { Chat, type ChatChunk, type ChatRequest, Tool } from "../src/index.js"
import { frames as fixtureFrames } from "./util/fixtures.js"
import { chatFor, eventually, lastMessage, type LLMRequest, type LLMServer, makeLLMServer, textFrames, toolCallFrames } from "./util/LLMServer.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"
const ask = (content: string, extra: Partial<ChatRequest.ChatRequest> = {}): ChatRequest.ChatRequest => ({
  model,
  messages: [{ role: "user", content }],
  ...extra
})


/** Fixture frames without the jobID (the server fills in the request's). */
const fixtureReplay = (name: string) =>
  fixtureFrames(name).map(({ frame, payload: { jobID: _, ...payload } }) => ({ frame, payload }))

const getWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: Schema.Struct({ location: Schema.String, unit: Schema.optional(Schema.Literal("C", "F")) }),
  handler: ({ location }) => Effect.succeed({ location, tempF: 91, sky: "clear" })
})

/** Round 1 calls the tool named in the question (fixture frames for get_weather); once tool results are in, answer with them. */
const toolScript = (server: LLMServer, calls?: (r: LLMRequest) => Parameters<typeof toolCallFrames>[0]) => (r: LLMRequest) => {
  if (lastMessage(r).role === "tool") {
    const results = r.payload.messages.filter((m: any) => m.role === "tool").map((m: any) => m.content)
    return server.play(r, textFrames(["Tool said: ", results.join(" | ")]))
  }
  return calls === undefined ? server.play(r, fixtureReplay("chat-jobTokens-sequence.json")) : server.play(r, toolCallFrames(calls(r)))
}

const tags = (chunks: ReadonlyArray<{ readonly _tag: string }>) => chunks.map((c) => c._tag)

describe("Chat over a socket", () => {
  it.scopedLive("streams text chunks and a Finish carrying usage and cost; job states when asked for", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, fixtureReplay("chat-streaming-text-sequence.json"), 5)
      const chat = yield* chatFor(server)
      const withStates = Chunk.toArray(yield* Stream.runCollect(chat.stream(ask("Weather?"), { jobStates: true })))
      assert.deepStrictEqual(tags(withStates), ["JobState", "JobState", "TextDelta", "TextDelta", "TextDelta", "Finish"])
      const queued = withStates[0] as Extract<ChatChunk.ChatChunk, { _tag: "JobState" }>
      assert.deepStrictEqual([queued.state, queued.queuePosition, queued.estimatedCost], ["queued", 1, "0.0498"])
      const chunks = Chunk.toArray(yield* Stream.runCollect(chat.stream(ask("Weather?"))))
      // the last token frame carries the finish reason and usage: the Finish reports them
      assert.deepStrictEqual(tags(chunks), ["TextDelta", "TextDelta", "TextDelta", "Finish"])
      assert.deepStrictEqual((chunks.at(-1) as Extract<ChatChunk.ChatChunk, { _tag: "Finish" }>).usage, {
        prompt_tokens: 260,
        completion_tokens: 11,
        total_tokens: 271
      })
      assert.strictEqual(chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join(""), "It's 91°F and clear in Austin.")
      const finish = chunks.at(-1) as Extract<ChatChunk.ChatChunk, { _tag: "Finish" }>
      assert.deepStrictEqual([finish.finishReason, finish.workerName, finish.timeTaken], ["stop", "worker-beta", 0.41])
      const request = server.requests[1]!
      assert.strictEqual(request.stream, true)
      assert.strictEqual(request.jobID, request.jobID.toUpperCase())
      assert.strictEqual(finish.jobID, request.jobID)
    }))

  it.scopedLive("completes without streaming: same frames, folded, and no stream flag on the wire", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(["Hel", "lo", "!"]))
      const chat = yield* chatFor(server)
      const c = yield* chat.complete(ask("Hi", { temperature: 0.2, tokenType: "spark" }))
      assert.deepStrictEqual([c.text, c.reasoning, c.finishReason, c.role], ["Hello!", "", "stop", "assistant"])
      assert.deepStrictEqual(c.usage, { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 })
      assert.strictEqual(c.cost?.costInSpark, "0.02")
      assert.isFalse("stream" in server.requests[0]!)
      assert.strictEqual(server.requests[0]!.temperature, 0.2)
      assert.strictEqual(server.requests[0]!.tokenType, "spark")
    }))

  it.scopedLive("splits <think> reasoning cut across tokens, and asks for thinking with chat_template_kwargs", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(["<thi", "nk>\nThe user greets", " me.</th", "ink>\n\nHello", " there"]))
      const chat = yield* chatFor(server)
      const chunks = Chunk.toArray(yield* Stream.runCollect(chat.stream(ask("Hi", { think: true }))))
      const reasoning = chunks.flatMap((c) => (c._tag === "ReasoningDelta" ? [c.text] : [])).join("")
      const text = chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")
      assert.deepStrictEqual([reasoning, text], ["The user greets me.", "Hello there"])
      assert.deepStrictEqual(server.requests[0]!.chat_template_kwargs, { enable_thinking: true })
      const c = yield* chat.complete(ask("Hi"), { splitThinking: false })
      assert.strictEqual(c.text, "<think>\nThe user greets me.</think>\n\nHello there")
    }))

  it.scopedLive("resolves a 2-round tool call without streaming (fixture round 1, tool messages in round 2)", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = toolScript(server)
      const chat = yield* chatFor(server)
      const result = yield* chat.completeWithTools(ask("What's the weather in Austin right now?"), Tool.toolkit(getWeather))
      assert.strictEqual(result.text, "Tool said: {\"location\":\"Austin, TX\",\"tempF\":91,\"sky\":\"clear\"}")
      assert.strictEqual(server.requests.length, 2)
      const [first, second] = server.requests as [Record<string, any>, Record<string, any>]
      assert.strictEqual(first.stream, false)
      assert.deepStrictEqual(first.tools, [getWeather.definition])
      assert.deepStrictEqual(second.tools, first.tools)
      assert.notStrictEqual(second.jobID, first.jobID)
      assert.deepStrictEqual(second.messages.slice(1), [
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_wx1", type: "function", function: { name: "get_weather", arguments: "{\"location\": \"Austin, TX\", \"unit\": \"F\"}" } }]
        },
        { role: "tool", content: "{\"location\":\"Austin, TX\",\"tempF\":91,\"sky\":\"clear\"}", tool_call_id: "call_wx1", name: "get_weather" }
      ])
      assert.strictEqual(result.rounds.length, 1)
      assert.strictEqual(result.rounds[0]!.completion.finishReason, "tool_calls")
      assert.deepStrictEqual(result.messages.map((m) => m.role), ["user", "assistant", "tool", "assistant"])
    }))

  it.scopedLive("resolves tools while streaming: round-1 chunks, ToolCall, ToolResult, then round-2 text", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = toolScript(server, () => [
        { id: "call_a", name: "get_weather", args: ["{\"location\":", "\"Austin\"}"] },
        { id: "call_b", name: "get_weather", args: ["{\"location\":\"Paris\",\"unit\":\"C\"}"] }
      ])
      const chat = yield* chatFor(server)
      const chunks = Chunk.toArray(yield* Stream.runCollect(chat.streamWithTools(ask("Austin and Paris?"), Tool.toolkit(getWeather))))
      const t = tags(chunks)
      const firstCall = t.indexOf("ToolCall")
      assert.isTrue(t.indexOf("Finish") < firstCall)
      assert.deepStrictEqual(t.slice(firstCall, firstCall + 4), ["ToolCall", "ToolCall", "ToolResult", "ToolResult"])
      assert.strictEqual(t.filter((x) => x === "Finish").length, 2)
      assert.strictEqual(t.at(-1), "Finish")
      const results = chunks.filter((c): c is Extract<typeof c, { _tag: "ToolResult" }> => c._tag === "ToolResult")
      assert.deepStrictEqual(results.map((r) => r.toolCallId).sort(), ["call_a", "call_b"])
      assert.isTrue(server.requests.every((r) => r.stream === true))
      // one tool message per call, in index order
      assert.deepStrictEqual(server.requests[1]!.messages.slice(2).map((m: any) => m.tool_call_id), ["call_a", "call_b"])
    }))

  it.scopedLive("a failing handler goes back to the model as an error result, or fails the run when asked", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = toolScript(server)
      const chat = yield* chatFor(server)
      const broken = Tool.make("get_weather", {
        parameters: Schema.Struct({ location: Schema.String, unit: Schema.optional(Schema.String) }),
        handler: () => Effect.fail("weather service unavailable")
      })
      const returned = yield* chat.completeWithTools(ask("Weather?"), Tool.toolkit(broken))
      const toolMessage = server.requests[1]!.messages.at(-1)
      assert.deepStrictEqual(JSON.parse(toolMessage.content), { success: false, error: "get_weather failed: weather service unavailable" })
      assert.strictEqual(returned.rounds[0]!.toolResults[0]!.error?.reason, "HandlerFailed")
      const failed = yield* Effect.flip(chat.completeWithTools(ask("Weather?"), Tool.toolkit(broken), { onHandlerError: "fail" }))
      assert.strictEqual(failed._tag, "SogniToolCallError")
      assert(failed._tag === "SogniToolCallError")
      assert.deepStrictEqual([failed.reason, failed.toolName, failed.toolCallId, failed.cause], ["HandlerFailed", "get_weather", "call_wx1", "weather service unavailable"])
      assert.strictEqual(server.requests.length, 3)
    }))

  it.scopedLive("unknown tools and invalid arguments are typed errors returned to the model", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = toolScript(server, () => [
        { id: "call_x", name: "launch_rocket", args: ["{}"] },
        { id: "call_y", name: "get_weather", args: ["{\"location\":", " 42}"] }
      ])
      const chat = yield* chatFor(server)
      const result = yield* chat.completeWithTools(ask("Do things"), Tool.toolkit(getWeather))
      const errors = result.rounds[0]!.toolResults.map((r) => [r.toolCallId, r.error?._tag, r.error?.reason])
      assert.sameDeepMembers(errors, [["call_x", "SogniToolCallError", "UnknownTool"], ["call_y", "SogniToolCallError", "InvalidArguments"]])
      const toolMessages = server.requests[1]!.messages.filter((m: any) => m.role === "tool")
      assert.deepStrictEqual(toolMessages.map((m: any) => JSON.parse(m.content).success), [false, false])
      assert.match(JSON.parse(toolMessages[1].content).error, /Invalid get_weather arguments/)
    }))

  it.scopedLive("gives up after maxToolRounds when the model keeps calling tools", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, toolCallFrames([{ id: `call_${server.requests.length}`, name: "get_weather", args: ["{\"location\":\"X\"}"] }]))
      const chat = yield* chatFor(server)
      let ran = 0
      const counted = Tool.make("get_weather", {
        description: "Current weather for a city",
        parameters: Schema.Struct({ location: Schema.String }),
        handler: ({ location }) => Effect.sync(() => ({ location, run: ++ran }))
      })
      // like the official client: maxToolRounds model calls, the tools of each (the last included) run, then it fails
      for (const maxToolRounds of [1, 2]) {
        const before = server.requests.length
        ran = 0
        const events: Array<string> = []
        const error = yield* Effect.flip(
          chat.streamWithTools(ask("Loop"), Tool.toolkit(counted), { maxToolRounds }).pipe(
            Stream.runForEach((c) => Effect.sync(() => events.push(c._tag)))
          )
        )
        assert(error._tag === "SogniToolCallError")
        assert.strictEqual(error.reason, "MaxRoundsExceeded")
        assert.strictEqual(server.requests.length - before, maxToolRounds)
        assert.strictEqual(ran, maxToolRounds)
        assert.strictEqual(events.filter((t) => t === "ToolResult").length, maxToolRounds)
      }
      const error = yield* Effect.flip(chat.completeWithTools(ask("Loop"), Tool.toolkit(getWeather), { maxToolRounds: 2 }))
      assert(error._tag === "SogniToolCallError")
      assert.strictEqual(error.reason, "MaxRoundsExceeded")
    }))

  it.scopedLive("maxToolRounds below 1 is refused before anything is sent", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(["never"]))
      const chat = yield* chatFor(server)
      for (const maxToolRounds of [0, -1, 1.5]) {
        const error = yield* Effect.flip(chat.completeWithTools(ask("Loop"), Tool.toolkit(getWeather), { maxToolRounds }))
        assert(error._tag === "SogniInvalidRequest")
        assert.strictEqual(error.field, "maxToolRounds")
        assert.strictEqual(error.rule, "minimum")
      }
      assert.strictEqual(server.requests.length, 0)
    }))

  it.scopedLive("without a model list, the first request waits a bounded time, then goes out without max_tokens", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(["ok"]))
      const chat = yield* chatFor(server, { modelCatalogWait: "300 millis" })
      const started = Date.now()
      yield* chat.complete(ask("Hi"))
      assert.isAtLeast(Date.now() - started, 280)
      assert.isFalse("max_tokens" in server.requests[0]!)
      assert.isTrue(Option.isNone(yield* chat.modelInfo(model)))
      // waited once: the next request does not wait again
      const again = Date.now()
      yield* chat.complete(ask("Hi", { maxTokens: 100_000 }))
      assert.isBelow(Date.now() - again, 280)
      assert.strictEqual(server.requests[1]!.max_tokens, 100_000)
    }))

  it.effect("a chunk stream that ends without Finish folds into a typed Incomplete job error", () =>
    Effect.gen(function*() {
      const chunks = Stream.make<Array<ChatChunk.ChatChunk>>(
        ChatChunkCtor.JobState({ jobID: "JOB1", state: "jobStarted", queuePosition: undefined, workerName: undefined, modelId: model, estimatedCost: undefined }),
        ChatChunkCtor.TextDelta({ text: "half an ans" })
      )
      const error = yield* Effect.flip(Chat.foldCompletion(chunks))
      assert.strictEqual(error._tag, "SogniChatJobError")
      assert.strictEqual(error.reason, "Incomplete")
      assert.strictEqual(error.jobID, "JOB1")
      assert.strictEqual(error.error, "incomplete_stream")
      assert.isFalse(error.isRetryable)
      const none = yield* Effect.flip(Chat.foldCompletion(Stream.empty))
      assert.strictEqual(none.jobID, "unknown")
    }))

  const City = Schema.Struct({ city: Schema.String, population: Schema.Number }).annotations({ identifier: "City" })

  it.scopedLive("structured output: sends a strict json_schema response format and decodes the answer", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(["{\"city\": \"Aus", "tin\", \"population\": 974447}"]))
      const chat = yield* chatFor(server)
      const result = yield* chat.completeObject(ask("A city?"), City)
      assert.deepStrictEqual(result.value, { city: "Austin", population: 974447 })
      const format = server.requests[0]!.response_format
      assert.deepStrictEqual(format, { type: "json_schema", json_schema: { name: "City", schema: Tool.jsonSchemaOf(City), strict: true } })
    }))

  it.scopedLive("structured output: a non-JSON or mismatching answer is a typed error carrying the raw text", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      const answers = [["Sure! Austin."], ["{\"city\": \"Austin\"}"]]
      server.script = (r) => server.play(r, textFrames(answers[server.requests.length - 1]!))
      const chat = yield* chatFor(server)
      const notJson = yield* Effect.flip(chat.completeObject(ask("A city?"), City))
      assert(notJson._tag === "SogniChatOutputError")
      assert.deepStrictEqual([notJson.reason, notJson.rawText], ["InvalidJson", "Sure! Austin."])
      const mismatch = yield* Effect.flip(chat.completeObject(ask("A city?"), City))
      assert(mismatch._tag === "SogniChatOutputError")
      assert.deepStrictEqual([mismatch.reason, mismatch.rawText], ["SchemaMismatch", "{\"city\": \"Austin\"}"])
      assert.match(mismatch.message, /population/)
    }))

  it.scopedLive("a model answer nested 5,000 levels deep: typed errors (SchemaMismatch, InvalidArguments), not a stack overflow", () =>
    Effect.gen(function*() {
      let deep = "\"Austin\""
      for (let i = 0; i < 5_000; i++) deep = `[${deep}]`
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames([`{"city": ${deep}, "population": 1}`]))
      const chat = yield* chatFor(server)
      const mismatch = yield* Effect.flip(chat.completeObject(ask("A city?"), City))
      assert(mismatch._tag === "SogniChatOutputError")
      assert.strictEqual(mismatch.reason, "SchemaMismatch")
      assert.match(mismatch.message, /^city: expected string, got an array of 1$/)

      const tools = yield* makeLLMServer
      tools.script = toolScript(tools, () => [{ id: "call_deep", name: "get_weather", args: [`{"location": ${deep}}`] }])
      const toolChat = yield* chatFor(tools)
      const result = yield* toolChat.completeWithTools(ask("Weather?"), Tool.toolkit(getWeather))
      const deepResult = result.rounds[0]!.toolResults[0]!
      assert.deepStrictEqual([deepResult.toolCallId, deepResult.error?.reason], ["call_deep", "InvalidArguments"])
      const sent = JSON.parse(tools.requests[1]!.messages.filter((m: any) => m.role === "tool")[0].content)
      assert.strictEqual(sent.success, false)
      assert.match(sent.error, /location: expected string, got an array of 1/)
    }))

  it.scopedLive("llmJobError fails with a typed error carrying its fields", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) =>
        server.play(r, [
          { frame: "jobTokens", payload: { content: "partial", role: "assistant" } },
          {
            frame: "llmJobError",
            payload: {
              error: "subscription_unavailable",
              error_code: "4081",
              error_message: "Upgrade to use this feature",
              subscriptionLimit: true,
              requiredPlans: ["unlimited_pro"],
              feature: "long_context",
              limitation: "Long context needs Unlimited Pro."
            }
          }
        ])
      const chat = yield* chatFor(server)
      const error = yield* Effect.flip(chat.complete(ask("Hi")))
      assert(error._tag === "SogniChatJobError")
      assert.deepStrictEqual(
        [error.reason, error.error, error.errorCode, error.message, error.subscriptionLimit, error.requiredPlans, error.feature, error.jobID],
        ["JobFailed", "subscription_unavailable", "4081", "Upgrade to use this feature", true, ["unlimited_pro"], "long_context", server.requests[0]!.jobID]
      )
      assert.deepStrictEqual([error.isRetryable, error.subscriptionErrorCode._tag], [false, "Some"])
      assert.deepStrictEqual(server.cancels, [])
    }))

  it.scopedLive("an idle job fails with IdleTimeout and is cancelled upstream", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, [{ frame: "jobTokens", payload: { content: "Hel" } }], 50)
      const chat = yield* chatFor(server, { idleTimeout: "300 millis" })
      const started = Date.now()
      const error = yield* Effect.flip(chat.complete(ask("Hi")))
      assert(error._tag === "SogniChatJobError")
      assert.deepStrictEqual([error.reason, error.error, error.isRetryable], ["IdleTimeout", "idle_timeout", true])
      // the token at 50 ms reset the clock: the timeout fired about 300 ms after it
      assert.isAtLeast(Date.now() - started, 330)
      yield* eventually(() => server.cancels.length === 1, 2_000, "llmJobCancel")
      assert.deepStrictEqual(server.cancels, [server.requests[0]!.jobID])
    }))

  it.scopedLive("frames closer together than idleTimeout keep a job alive for longer than idleTimeout", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      // ten tokens 80 ms apart (then the result): 800 ms in all, never 250 ms without a frame
      server.script = (r) => server.play(r, textFrames(Array.from({ length: 10 }, (_, i) => `t${i} `)), 80)
      const chat = yield* chatFor(server, { idleTimeout: "250 millis" })
      const started = Date.now()
      const completion = yield* chat.complete(ask("Hi"))
      assert.strictEqual(completion.text, Array.from({ length: 10 }, (_, i) => `t${i} `).join(""))
      assert.isAtLeast(Date.now() - started, 500)
      assert.deepStrictEqual(server.cancels, [])
    }))

  it.scopedLive("interrupting a stream sends llmJobCancel and releases the route", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(Array.from({ length: 200 }, (_, i) => `t${i} `)), 10)
      const chat = yield* chatFor(server)
      // stopping early (take) and interrupting a fiber both cancel upstream
      const firstTwo = yield* Stream.runCollect(chat.stream(ask("Go")).pipe(Stream.filter((c) => c._tag === "TextDelta"), Stream.take(2)))
      assert.strictEqual(Chunk.size(firstTwo), 2)
      yield* eventually(() => server.cancels.length === 1, 2_000, "first llmJobCancel")
      const fiber = yield* Effect.fork(chat.complete(ask("Go")))
      yield* eventually(() => server.requests.length === 2, 2_000, "second request")
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => server.cancels.length === 2, 2_000, "second llmJobCancel")
      assert.deepStrictEqual(server.cancels, server.requests.map((r) => r.jobID))
      // the routes are gone: a later job with a fresh id works normally
      server.script = (r) => server.play(r, textFrames(["ok"]))
      assert.strictEqual((yield* chat.complete(ask("Again"))).text, "ok")
    }))

  it.scopedLive("a reconnect whose authenticated frame lacks the job fails it with transport_lost (retryable)", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.authenticated = () => ({ activeLLMJobIDs: [] })
      server.script = (r) => {
        server.play(r, [{ frame: "jobTokens", payload: { content: "Hel", role: "assistant" } }])
        setTimeout(() => r.conn.ws.terminate(), 30)
      }
      const chat = yield* chatFor(server, { idleTimeout: "10 seconds" })
      const started = Date.now()
      const error = yield* Effect.flip(chat.complete(ask("Hi")))
      assert(error._tag === "SogniChatJobError")
      assert.deepStrictEqual([error.reason, error.error, error.isRetryable], ["TransportLost", "transport_lost", true])
      assert.isBelow(Date.now() - started, 5_000)
      assert.strictEqual(server.connections.length, 2)
    }))

  it.scopedLive("a reconnect that lists the job in activeLLMJobIDs keeps streaming to the end", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      let job: LLMRequest | undefined
      server.authenticated = (i) => (i === 0 ? { activeLLMJobIDs: [] } : { activeLLMJobIDs: [job!.jobID.toLowerCase()] })
      server.script = (r) => {
        job = r
        server.play(r, [{ frame: "jobTokens", payload: { content: "Hel", role: "assistant" } }])
        setTimeout(() => r.conn.ws.terminate(), 30)
      }
      const chat = yield* chatFor(server)
      const fiber = yield* Effect.fork(chat.complete(ask("Hi")))
      yield* eventually(() => server.connections.length === 2, 3_000, "reconnect")
      yield* Effect.sleep("50 millis")
      server.play({ ...job!, conn: server.connections[1]! }, textFrames(["lo"]).slice(2))
      const c = yield* Fiber.join(fiber)
      assert.strictEqual(c.text, "Hello")
      // it crossed a reconnect: marked, with what arrived against what the server counted
      assert(c.gap !== undefined)
      assert.deepStrictEqual({ ...c.gap, firstDropAt: 0 }, { reason: "Reconnected", drops: 1, firstDropAt: 0, tokenFrames: 2, completionTokens: 1 })
    }))

  it.scopedLive("a tool round whose reply crossed a reconnect runs none of its tools: the loop fails with a retryable ReplyGap", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      let job: LLMRequest | undefined
      server.authenticated = (i) => (i === 0 ? { activeLLMJobIDs: [] } : { activeLLMJobIDs: [job!.jobID.toLowerCase()] })
      const frames = toolCallFrames([{ id: "call_1", name: "get_weather", args: ["{\"location\":", " \"Austin\"}"] }])
      server.script = (r) => {
        job = r
        // the call's head, then the socket goes; the arguments and the result come on the new connection
        server.play(r, frames.slice(0, 1))
        setTimeout(() => r.conn.ws.terminate(), 30)
      }
      let ran = 0
      const counted = Tool.make("get_weather", {
        parameters: Schema.Struct({ location: Schema.String }),
        handler: ({ location }) => Effect.sync(() => ({ location, n: ++ran }))
      })
      const chat = yield* chatFor(server)
      const fiber = yield* Effect.fork(Effect.flip(chat.completeWithTools(ask("Weather in Austin?"), Tool.toolkit(counted))))
      yield* eventually(() => server.connections.length === 2, 3_000, "reconnect")
      yield* Effect.sleep("50 millis")
      server.play({ ...job!, conn: server.connections[1]! }, frames.slice(1))
      const error = yield* Fiber.join(fiber)
      assert(error._tag === "SogniChatJobError")
      assert.deepStrictEqual([error.reason, error.error, error.isRetryable, error.jobID], ["ReplyGap", "reply_gap", true, job!.jobID])
      assert.match(error.message, /tools were not run/)
      assert.strictEqual(ran, 0)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scopedLive("without activeLLMJobIDs after a reconnect, a job that shows no frame within the grace is lost", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => {
        server.play(r, [{ frame: "jobTokens", payload: { content: "Hel", role: "assistant" } }])
        setTimeout(() => r.conn.ws.terminate(), 30)
      }
      const chat = yield* chatFor(server, { recoveryGrace: "200 millis" })
      const error = yield* Effect.flip(chat.complete(ask("Hi")))
      assert(error._tag === "SogniChatJobError")
      assert.strictEqual(error.reason, "TransportLost")
      assert.strictEqual(server.connections.length, 2)
    }))

  it.scopedLive("a connection that ends for good (4015: appId connected elsewhere) fails the job at once", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => setTimeout(() => r.conn.ws.close(4015, "replaced"), 20)
      const chat = yield* chatFor(server)
      const error = yield* Effect.flip(chat.complete(ask("Hi")))
      assert(error._tag === "SogniChatJobError")
      assert.strictEqual(error.reason, "TransportLost")
      assert.match(error.message, /ended for good/)
    }))

  it.scopedLive("concurrent jobs on one socket each get only their own frames", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames([`echo `, String(lastMessage(r).content)]), 3)
      const chat = yield* chatFor(server)
      const answers = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => `q${i}`),
        (q) => Effect.map(chat.complete(ask(q)), (c) => c.text),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(answers, Array.from({ length: 8 }, (_, i) => `echo q${i}`))
    }))

  it.scopedLive("invalid input is refused with field and rule before anything is sent", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      const chat = yield* chatFor(server)
      const error = yield* Effect.flip(chat.complete(ask("Hi", { topP: 3 })))
      assert(error._tag === "SogniInvalidRequest")
      assert.deepStrictEqual([error.field, error.rule], ["topP", "maximum"])
      assert.strictEqual(server.requests.length, 0)
    }))
})
