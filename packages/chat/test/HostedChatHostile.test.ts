/**
 * Hosted chat against a hostile loopback server (the emulator always answers well and at its own pace):
 * garbage and wrong-typed chunks between good ones, a stream kept open after `[DONE]`, a server that goes
 * silent mid-stream, a connection cut mid-stream, thousands of chunks in one write, an interrupted
 * consumer, HTML error bodies, a server that echoes the API key back, and one that ignores `stream: true`
 * (a whole JSON completion, or a body of another type). Each case checks what the
 * consumer gets (typed errors, every accepted chunk, in order) and that the client let go of the socket.
 */
import { SogniConfig, SogniError, SogniRest } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { ServerResponse } from "node:http"
import { HostedChat, HostedChatError } from "../src/index.js"
import { cutAfter, dribble, eventually, makeHostileHttp } from "./util/HostileHttp.js"

const API_KEY = "sk-live-hostile-chat-0123456789abcdef"
const request = { model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user" as const, content: "hi" }] }

const hostedOn = (url: string, settings: { readonly maxResponseBytes?: number } = {}) =>
  Effect.map(
    Layer.build(
      HostedChat.layer.pipe(
        Layer.provideMerge(SogniRest.layerFetch),
        Layer.provideMerge(SogniConfig.layer({
          appId: "hostile-chat-tests",
          apiKey: Redacted.make(API_KEY),
          restEndpoint: url,
          socketEndpoint: "ws://socket.test:9000",
          restRetryBase: "1 millis",
          restRetryCap: "5 millis",
          ...settings
        }))
      )
    ),
    (ctx) => Context.get(ctx, HostedChat.HostedChat)
  )

const chunk = (content: string) => `data: ${JSON.stringify({ id: "c1", choices: [{ index: 0, delta: { content } }] })}\n\n`
const finishing = `data: ${
  JSON.stringify({
    id: "c1",
    choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }
  })
}\n\n`

const sse = (res: ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" })

/** Log lines, rendered, at every level. */
const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const textOf = (chunks: Chunk.Chunk<HostedChat.HostedChunk>) =>
  Chunk.toReadonlyArray(chunks).map((c) => (c._tag === "TextDelta" ? c.text : "")).join("")

describe("hosted chat against a hostile server", () => {
  it.scopedLive("garbage, truncated JSON and wrong-typed chunks are logged and skipped; the stream goes on to [DONE]", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("one "))
        res.write("data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"tru\n\n") // cut JSON
        res.write("data: not json at all\n\n")
        res.write(`data: ${JSON.stringify({ id: 7, choices: "none" })}\n\n`) // wrong types
        res.write(`data: ${JSON.stringify([1, 2, 3])}\n\n`)
        res.write("event: weird\ndata: \u0000\u0001\n\n")
        res.write(chunk("two"))
        res.write(finishing)
        res.end("data: [DONE]\n\n")
      }
      const hosted = yield* hostedOn(server.url)
      const chunks = yield* Stream.runCollect(hosted.stream(request))
      assert.strictEqual(textOf(chunks), "one two")
      const last = Chunk.unsafeLast(chunks)
      assert.strictEqual(last._tag, "Finish")
      assert.strictEqual(logs.lines.filter((l) => l.includes("skipped a malformed hosted chat chunk")).length, 5)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("a server that keeps the connection open after [DONE]: the stream ends at [DONE] and lets go of the socket", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("all "))
        res.write(chunk("done"))
        res.write(finishing)
        res.write("data: [DONE]\n\n")
        // and then nothing, without ending the response
      }
      const hosted = yield* hostedOn(server.url)
      const chunks = yield* Stream.runCollect(hosted.stream(request)).pipe(Effect.timeout("10 seconds"))
      assert.strictEqual(textOf(chunks), "all done")
      assert.strictEqual(Chunk.unsafeLast(chunks)._tag, "Finish")
      assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
    }))

  it.scopedLive("a server that goes silent mid-stream: a typed Timeout after idleTimeout, the text before it kept, the socket released", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("before "))
        res.write(chunk("silence"))
      }
      const hosted = yield* hostedOn(server.url)
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(
          hosted.stream(request, { idleTimeout: "300 millis" }),
          (c) => Effect.sync(() => void (c._tag === "TextDelta" && texts.push(c.text)))
        ).pipe(Effect.timeout("10 seconds"))
      )
      assert.instanceOf(error, SogniError.SogniTransportError)
      assert.strictEqual((error as SogniError.SogniTransportError).reason, "Timeout")
      assert.include(error.message, "hosted chat stream")
      assert.strictEqual(texts.join(""), "before silence")
      assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
    }))

  it.scopedLive("heartbeat comments closer together than idleTimeout keep a slow answer alive", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("slow "))
        let beats = 0
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer)
          if (++beats < 8) return void res.write(": keepalive\n\n")
          clearInterval(timer)
          res.write(chunk("answer"))
          res.write(finishing)
          res.end("data: [DONE]\n\n")
        }, 50)
      }
      const hosted = yield* hostedOn(server.url)
      const chunks = yield* Stream.runCollect(hosted.stream(request, { idleTimeout: "250 millis" }))
      assert.strictEqual(textOf(chunks), "slow answer")
      assert.strictEqual(Chunk.unsafeLast(chunks)._tag, "Finish")
    }))

  it.scopedLive("a connection cut mid-stream: a typed transport error after the text that came", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("half "))
        res.write(chunk("an answer"), () => setTimeout(() => res.socket?.destroy(), 20))
      }
      const hosted = yield* hostedOn(server.url)
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(hosted.stream(request), (c) => Effect.sync(() => void (c._tag === "TextDelta" && texts.push(c.text))))
      )
      assert.instanceOf(error, SogniError.SogniTransportError)
      assert.strictEqual(texts.join(""), "half an answer")
      assert.strictEqual(server.requests.length, 1, "a POST is not sent again")
    }))

  it.scopedLive("a burst: 20,000 chunks in one write come out whole and in order", () =>
    Effect.gen(function*() {
      const n = 20_000
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let body = ""
        for (let i = 0; i < n; i++) body += chunk(`${i},`)
        res.end(body + finishing + "data: [DONE]\n\n")
      }
      const hosted = yield* hostedOn(server.url)
      const chunks = yield* Stream.runCollect(hosted.stream(request))
      const numbers = textOf(chunks).split(",").filter((s) => s !== "").map(Number)
      assert.strictEqual(numbers.length, n)
      assert.isTrue(numbers.every((v, i) => v === i), "in order, none lost")
      assert.strictEqual(Chunk.unsafeLast(chunks)._tag, "Finish")
    }))

  it.scopedLive("creative workflows a chunk reports come out after its tool results and before its usage", () =>
    Effect.gen(function*() {
      const workflow = { workflowId: "wf_9", status: "queued", streamUrl: "/v1/creative-agent/workflows/wf_9/events/stream" }
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("started "))
        res.write(`data: ${
          JSON.stringify({
            id: "c1",
            choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
            sogni_tool_results: [{ tool: "compose_workflow", status: "completed" }],
            creative_workflows: [workflow],
            usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }
          })
        }\n\n`)
        res.end("data: [DONE]\n\n")
      }
      const hosted = yield* hostedOn(server.url)
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      assert.deepStrictEqual(chunks.map((c) => c._tag), ["TextDelta", "SogniToolResult", "SogniCreativeWorkflow", "Usage", "Finish"])
      assert.deepStrictEqual(chunks.flatMap((c) => c._tag === "SogniCreativeWorkflow" ? [c.workflow] : []), [workflow])
    }))

  it.scopedLive("a chunk whose creative_workflows is null is still a chunk: its text comes out, no workflow", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(chunk("kept "))
        res.write(`data: ${
          JSON.stringify({ id: "c1", choices: [{ index: 0, delta: { content: "too" } }], usage: null, creative_workflows: null })
        }\n\n`)
        res.write(finishing)
        res.end("data: [DONE]\n\n")
      }
      const hosted = yield* hostedOn(server.url)
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      assert.strictEqual(textOf(Chunk.unsafeFromArray(chunks)), "kept too")
      assert.deepStrictEqual(chunks.map((c) => c._tag), ["TextDelta", "TextDelta", "Usage", "Finish"])
    }))

  it.scopedLive("optional fields sent as null read as absent: complete() and the stream keep the answer", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const workflow = { workflowId: "wf_1", status: "queued", url: null, eventsUrl: null, streamUrl: null }
      server.handle = (req, res) => {
        if (JSON.parse(req.body).stream === true) {
          sse(res)
          res.write(chunk("streamed"))
          res.write(`data: ${
            JSON.stringify({
              id: "c1",
              choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
              sogni_tool_results: null,
              creative_workflows: [workflow],
              usage: null
            })
          }\n\n`)
          return void res.end("data: [DONE]\n\n")
        }
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({
          id: "cmpl-1",
          object: "chat.completion",
          created: 1_700_000_000,
          model: request.model,
          choices: [{ index: 0, message: { role: "assistant", content: "answered" }, finish_reason: "stop" }],
          usage: null,
          sogni_tool_results: null,
          creative_workflows: [workflow, { workflowId: "wf_2", status: "running" }]
        }))
      }
      const hosted = yield* hostedOn(server.url)
      const result = yield* hosted.complete(request)
      assert.strictEqual(result.text, "answered")
      assert.deepStrictEqual(result.creativeWorkflows, [{ workflowId: "wf_1", status: "queued" }, { workflowId: "wf_2", status: "running" }])
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      assert.strictEqual(textOf(Chunk.unsafeFromArray(chunks)), "streamed")
      assert.deepStrictEqual(chunks.map((c) => c._tag), ["TextDelta", "SogniCreativeWorkflow", "Finish"])
      assert.deepStrictEqual(chunks.flatMap((c) => c._tag === "SogniCreativeWorkflow" ? [c.workflow] : []), [{ workflowId: "wf_1", status: "queued" }])
    }))

  it.scopedLive("interrupting the consumer mid-stream closes the request on the wire", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(chunk("tick "))), 20)
      }
      const hosted = yield* hostedOn(server.url)
      let seen = 0
      const fiber = yield* Effect.fork(Stream.runForEach(hosted.stream(request), () => Effect.sync(() => void seen++)))
      assert.isTrue(yield* eventually(() => seen >= 3))
      yield* Fiber.interrupt(fiber)
      // (the socket that carried the request; node's fetch may hold a spare connection of its own for a while)
      assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scopedLive("error answers with HTML bodies are typed API errors with the status; a POST is never repeated", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const statuses = [502, 429, 503]
      server.handle = (_req, res) => {
        const status = statuses[(server.requests.length - 1) % statuses.length]!
        res.writeHead(status, { "content-type": "text/html", ...(status === 429 ? { "retry-after": "1" } : {}) })
        res.end(`<html><body><h1>${status}</h1>upstream says no</body></html>`)
      }
      const hosted = yield* hostedOn(server.url)
      for (const status of statuses) {
        const before = server.requests.length
        const completeError = yield* Effect.flip(hosted.complete(request))
        assert.instanceOf(completeError, SogniError.SogniApiError, String(completeError))
        assert.strictEqual((completeError as SogniError.SogniApiError).status, status)
        assert.strictEqual(server.requests.length, before + 1)
        statuses.push(statuses.shift()!)
      }
      for (const status of [502, 429, 503]) {
        server.handle = (_req, res) => {
          res.writeHead(status, { "content-type": "text/html" })
          res.end(`<html>${status}</html>`)
        }
        const before = server.requests.length
        const streamError = yield* Effect.flip(Stream.runDrain(hosted.stream(request)))
        assert.instanceOf(streamError, SogniError.SogniApiError, String(streamError))
        assert.strictEqual((streamError as SogniError.SogniApiError).status, status)
        assert.strictEqual(server.requests.length, before + 1)
      }
    }))

  it.scopedLive("the API key stays out of errors and logs, even when the server echoes it back", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const answers = [400, 500, 200]
      server.handle = (req, res) => {
        const echoed = JSON.stringify(req.headers)
        const status = answers[(server.requests.length - 1) % answers.length]!
        if (status === 200) {
          sse(res)
          res.end(`data: {"broken ${echoed}\n\n`)
        } else {
          res.writeHead(status, { "content-type": "application/json" })
          res.end(JSON.stringify({ error: { message: `refused ${echoed}`, type: "invalid_request", code: status } }))
        }
      }
      const hosted = yield* hostedOn(server.url)
      const errors: Array<unknown> = [
        yield* Effect.flip(hosted.complete(request)),
        yield* Effect.flip(Stream.runDrain(hosted.stream(request))),
        yield* Effect.flip(Stream.runDrain(hosted.stream(request)))
      ]
      assert.strictEqual(server.requests.length, 3)
      assert.isTrue(server.requests.every((r) => JSON.stringify(r.headers).includes(API_KEY)), "the key went out")
      for (const error of errors) {
        assert.notInclude(String(error), API_KEY)
        assert.notInclude(JSON.stringify(error), API_KEY)
        assert.notInclude(Cause.pretty(Cause.fail(error)), API_KEY)
      }
      for (const line of logs.lines) assert.notInclude(line, API_KEY)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("a flood of malformed chunks: a few warnings, then their count in one line; the answer is whole", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let garbage = ""
        for (let i = 0; i < 5_000; i++) garbage += `data: {"broken ${i}\n\n`
        res.write(chunk("still "))
        res.write(garbage)
        res.write(chunk("here"))
        res.write(finishing)
        res.end("data: [DONE]\n\n")
      }
      const hosted = yield* hostedOn(server.url)
      assert.strictEqual(textOf(yield* Stream.runCollect(hosted.stream(request))), "still here")
      const warned = logs.lines.filter((l) => l.includes("skipped a malformed hosted chat chunk")).length
      assert.isAtLeast(warned, 1)
      assert.isAtMost(warned, 10)
      const summary = logs.lines.find((l) => /skipped \d+ more malformed hosted chat chunks/.test(l))
      assert.isDefined(summary, logs.lines.slice(0, 20).join("\n"))
      assert.strictEqual(Number(/skipped (\d+) more/.exec(summary!)![1]) + warned, 5_000)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  describe("a 200 whose body is an error", () => {
    // the OpenAI envelope, the flat chat body, and the platform's envelope, each with the error it must be
    const refusals = [
      {
        body: { error: { message: "plan required", type: "subscription_unavailable", code: "4078" } },
        error: "subscription_unavailable",
        errorCode: "4078",
        message: "plan required"
      },
      {
        body: { error: "insufficient_balance", error_code: "4024", error_message: "Not enough spark tokens" },
        error: "insufficient_balance",
        errorCode: "4024",
        message: "Not enough spark tokens"
      },
      { body: { status: "error", message: "model unavailable", errorCode: 4004 }, error: "error", errorCode: "4004", message: "model unavailable" },
      // the OpenAI envelope without a message: its type (or code) says what went wrong
      { body: { error: { type: "server_error", code: 503 } }, error: "server_error", errorCode: "503", message: "server_error" },
      { body: { error: { code: "rate_limited" } }, error: "error", errorCode: "rate_limited", message: "error rate_limited" }
    ] as const

    const expectRefusal = (failure: unknown, expected: (typeof refusals)[number]) => {
      assert.instanceOf(failure, HostedChatError.SogniHostedChatError, String(failure))
      const e = failure as HostedChatError.SogniHostedChatError
      assert.deepStrictEqual([e.status, e.error, e.errorCode, e.message], [200, expected.error, expected.errorCode, expected.message])
      assert.isFalse(e.isRetryable)
    }

    // a server answering every request 200 with the JSON body `answer.body` holds at the time
    const answeringJson = Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const answer: { body: unknown } = { body: undefined }
      server.handle = (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(answer.body))
      }
      return { server, answer, hosted: yield* hostedOn(server.url) }
    })

    it.scopedLive("complete and stream (one JSON answer) fail with SogniHostedChatError, not a decode error", () =>
      Effect.gen(function*() {
        const { answer, hosted, server } = yield* answeringJson
        for (const refusal of refusals) {
          answer.body = refusal.body
          expectRefusal(yield* Effect.flip(hosted.complete(request)), refusal)
          expectRefusal(yield* Effect.flip(Stream.runCollect(hosted.stream(request))), refusal)
        }
        assert.strictEqual(server.requests.length, refusals.length * 2, "a POST is never repeated")
      }))

    it.scopedLive("stream: an error body sent in pieces over a connection that never ends fails at once, not at idleTimeout", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // cut inside the message, after a `}` and between an escaping backslash and its quote
        const text = JSON.stringify({ error: { message: "plan } required \"pro\"", type: "subscription_unavailable", code: "4078" } })
        const parts = cutAfter(text, "plan }", "\\")
        assert.strictEqual(parts.join(""), text)
        assert.strictEqual(parts.length, 3)
        for (const contentType of ["application/json", undefined]) {
          server.handle = (_req, res) => {
            res.writeHead(200, contentType === undefined ? {} : { "content-type": contentType })
            dribble(res, parts)
          }
          const hosted = yield* hostedOn(server.url)
          // an idle timeout far past the test's own: only the body's end could have ended the wait before
          const error = yield* Effect.flip(Stream.runCollect(hosted.stream(request, { idleTimeout: "1 hour" })))
          assert.instanceOf(error, HostedChatError.SogniHostedChatError, String(error))
          const e = error as HostedChatError.SogniHostedChatError
          assert.deepStrictEqual([e.status, e.error, e.errorCode, e.message], [200, "subscription_unavailable", "4078", "plan } required \"pro\""])
          assert.isTrue(yield* eventually(() => server.requests.at(-1)!.closed), "the request's connection was closed")
        }
        assert.strictEqual(server.requests.length, 2, "a POST is never repeated")
      }), 20_000)

    it.scopedLive("executeTool too: SogniHostedChatError, sent once", () =>
      Effect.gen(function*() {
        const { answer, hosted, server } = yield* answeringJson
        for (const refusal of refusals) {
          answer.body = refusal.body
          expectRefusal(yield* Effect.flip(hosted.executeTool("my_tool", { topic: "rain" })), refusal)
        }
        assert.strictEqual(server.requests.length, refusals.length, "a POST is never repeated")
      }))

    it.scopedLive("an error event mid-stream ends it with SogniHostedChatError after the text before it; the socket released", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        let body: unknown
        server.handle = (_req, res) => {
          sse(res)
          res.write(chunk("partial "))
          res.write(`data: ${JSON.stringify(body)}\n\n`)
          // the server keeps the stream open: the error must end it, not a timeout
        }
        const hosted = yield* hostedOn(server.url)
        for (const [i, refusal] of refusals.entries()) {
          body = refusal.body
          const seen: Array<HostedChat.HostedChunk> = []
          const failure = yield* Effect.flip(
            Stream.runForEach(hosted.stream(request), (c) => Effect.sync(() => void seen.push(c))).pipe(Effect.timeout("10 seconds"))
          )
          expectRefusal(failure, refusal)
          assert.strictEqual(textOf(Chunk.unsafeFromArray(seen)), "partial ")
          assert.isTrue(yield* eventually(() => server.requests[i]!.closed), "the request's connection was closed")
        }
      }))
  })

  describe("a server that ignores stream: true", () => {
    const completion = {
      id: "cmpl-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: request.model,
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: "<think>plan it</think>A lighthouse.",
          tool_calls: [
            { id: "call-1", type: "function" as const, function: { name: "generate_image", arguments: "{\"prompt\":\"a lighthouse\"}" } },
            { id: "call-2", type: "function" as const, function: { name: "describe", arguments: "{}" } }
          ]
        },
        finish_reason: "tool_calls"
      }],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      sogni_tool_results: [{ tool: "generate_image", status: "completed" }],
      creative_workflows: [
        { workflowId: "wf_1", status: "queued", url: "/v1/creative-agent/workflows/wf_1", eventsUrl: "/v1/creative-agent/workflows/wf_1/events" },
        { workflowId: "wf_2", status: "running" }
      ]
    }

    for (const contentType of ["application/json; charset=utf-8", undefined]) {
      it.scopedLive(`one JSON completion (${contentType ?? "no content type"}) comes out as the stream's chunks, then Finish`, () =>
        Effect.gen(function*() {
          const server = yield* makeHostileHttp
          server.handle = (_req, res) => {
            res.writeHead(200, contentType === undefined ? {} : { "content-type": contentType })
            // white space first, in reads of its own: the kind of a body without a content type waits for its first byte past it
            const text = JSON.stringify(completion)
            res.write("\n", () => setTimeout(() => res.write(" ", () => setTimeout(() => res.end(text), 20)), 20))
          }
          const hosted = yield* hostedOn(server.url)
          const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)).pipe(Effect.timeout("10 seconds")))
          assert.strictEqual(JSON.parse(server.requests[0]!.body).stream, true)
          assert.deepStrictEqual(chunks.map((c) => c._tag), [
            "ReasoningDelta",
            "TextDelta",
            "ToolCallDelta",
            "ToolCallDelta",
            "SogniToolResult",
            "SogniCreativeWorkflow",
            "SogniCreativeWorkflow",
            "Usage",
            "Finish"
          ])
          assert.deepStrictEqual(chunks.flatMap((c) => c._tag === "SogniCreativeWorkflow" ? [c.workflow] : []), completion.creative_workflows)
          assert.deepStrictEqual(chunks.flatMap((c) => c._tag === "ReasoningDelta" ? [c.text] : []), ["plan it"])
          assert.strictEqual(textOf(Chunk.unsafeFromArray(chunks)), "A lighthouse.")
          const deltas = chunks.flatMap((c) => c._tag === "ToolCallDelta" ? [c] : [])
          assert.deepStrictEqual(deltas.map((d) => [d.index, d.id, d.name, d.arguments]), [
            [0, "call-1", "generate_image", "{\"prompt\":\"a lighthouse\"}"],
            [1, "call-2", "describe", "{}"]
          ])
          const result = chunks.find((c) => c._tag === "SogniToolResult")
          assert.deepStrictEqual(result?._tag === "SogniToolResult" ? result.result : undefined, completion.sogni_tool_results[0])
          const finish = chunks.at(-1)!
          assert.isTrue(finish._tag === "Finish")
          if (finish._tag === "Finish") {
            assert.strictEqual(finish.jobID, "cmpl-1")
            assert.strictEqual(finish.role, "assistant")
            assert.strictEqual(finish.finishReason, "tool_calls")
            assert.deepStrictEqual(finish.usage, completion.usage)
            assert.deepStrictEqual(finish.toolCalls, completion.choices[0]!.message.tool_calls)
          }
          // the body was read to its end: the connection may stay in the pool (keep-alive), so it is not checked
        }))
    }

    it.scopedLive("one JSON completion in pieces over a connection that never ends: its chunks and Finish at once, the connection released", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // a `}` and an escaped quote in the text, the body cut right after each
        const answer = { ...completion, choices: [{ ...completion.choices[0]!, message: { role: "assistant", content: "A {lighthouse} \"lit\"." } }] }
        const parts = cutAfter(JSON.stringify(answer), "{lighthouse}", "\\")
        assert.strictEqual(parts.length, 3)
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          dribble(res, parts)
        }
        const hosted = yield* hostedOn(server.url)
        // an idle timeout far past the test's own: only the body's end could have ended the wait before
        const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request, { idleTimeout: "1 hour" })))
        assert.strictEqual(textOf(Chunk.unsafeFromArray(chunks)), "A {lighthouse} \"lit\".")
        assert.strictEqual(chunks.filter((c) => c._tag === "SogniCreativeWorkflow").length, 2)
        const finish = chunks.at(-1)!
        assert.strictEqual(finish._tag, "Finish")
        if (finish._tag === "Finish") assert.deepStrictEqual([finish.jobID, finish.finishReason], ["cmpl-1", "tool_calls"])
        assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
        assert.strictEqual(server.requests.length, 1)
      }), 20_000)

    it.scopedLive("a JSON completion that never becomes whole on a connection held open: a typed Timeout at idleTimeout, the socket released", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // cut inside the content, after a `}`: the brackets seen so far do not close the value
        const [head] = cutAfter(JSON.stringify({ ...completion, choices: [{ index: 0, message: { role: "assistant", content: "a {b} c" } }] }), "{b}")
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          dribble(res, [head!])
        }
        const hosted = yield* hostedOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(hosted.stream(request, { idleTimeout: "300 millis" })))
        assert.instanceOf(error, SogniError.SogniTransportError, String(error))
        assert.strictEqual((error as SogniError.SogniTransportError).reason, "Timeout")
        assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
        assert.strictEqual(server.requests.length, 1, "a POST is never repeated")
      }), 20_000)

    it.scopedLive("one JSON completion without a content type, opened with a byte order mark: still the completion's chunks", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          res.writeHead(200, {})
          res.end(`\uFEFF${JSON.stringify(completion)}`)
        }
        const hosted = yield* hostedOn(server.url)
        const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)).pipe(Effect.timeout("10 seconds")))
        assert.strictEqual(textOf(Chunk.unsafeFromArray(chunks)), "A lighthouse.")
        assert.strictEqual(chunks.filter((c) => c._tag === "SogniCreativeWorkflow").length, 2)
        assert.strictEqual(chunks.at(-1)?._tag, "Finish")
      }))

    it.scopedLive("a body that is neither events nor JSON: a typed error naming its content type, the socket released", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
          // a page that never ends: the client must not wait for it
          res.write("<html><body>maintenance")
        }
        const hosted = yield* hostedOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(hosted.stream(request)).pipe(Effect.timeout("10 seconds")))
        assert.instanceOf(error, SogniError.SogniDecodeError, String(error))
        assert.strictEqual((error as SogniError.SogniDecodeError).reason, "Body")
        assert.include(error.message, "text/html")
        assert.include(error.message, "text/event-stream")
        assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
        assert.strictEqual(server.requests.length, 1, "a POST is never repeated")
      }))

    it.scopedLive("a completion nested thousands of levels deep where a message belongs: a typed decode error, not a crash", () =>
      Effect.gen(function*() {
        let deep = "\"secret prompt\""
        for (let i = 0; i < 5_000; i++) deep = `[${deep}]`
        const body = `{"id":"x","created":1,"model":"m","choices":[{"message":${deep}}]}`
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(body)
        }
        const hosted = yield* hostedOn(server.url)
        const calls: ReadonlyArray<Effect.Effect<unknown, HostedChat.HostedChatError>> = [hosted.complete(request), Stream.runCollect(hosted.stream(request))]
        for (const call of calls) {
          const exit = yield* Effect.exit(call)
          assert.isTrue(exit._tag === "Failure" && Cause.isFailType(exit.cause), `a typed failure, not a defect: ${String(exit)}`.slice(0, 300))
          const error = yield* Effect.flip(call)
          assert.instanceOf(error, SogniError.SogniDecodeError)
          assert.include(error.message, "choices.0.message")
          assert.notInclude(error.message, "secret prompt")
        }
      }))

    it.scopedLive("a JSON answer that is not a completion, not JSON, or too large: typed decode errors, no excerpt of the body", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        const bodies = [
          JSON.stringify({ id: "x", created: 1, model: "m", choices: "none", note: "secret prompt" }),
          "{\"id\": \"cut secret prompt",
          JSON.stringify({ ...completion, padding: "p".repeat(64 * 1024) })
        ]
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(bodies[server.requests.length - 1])
        }
        const hosted = yield* hostedOn(server.url, { maxResponseBytes: 16 * 1024 })
        const errors: Array<SogniError.SogniDecodeError> = []
        for (let i = 0; i < bodies.length; i++) {
          const error = yield* Effect.flip(Stream.runCollect(hosted.stream(request)))
          assert.instanceOf(error, SogniError.SogniDecodeError, String(error))
          errors.push(error as SogniError.SogniDecodeError)
        }
        assert.deepStrictEqual(errors.map((e) => e.reason), ["Body", "Body", "TooLarge"])
        assert.include(errors[0]!.message, "choices")
        assert.include(errors[1]!.message, "not JSON")
        assert.include(errors[2]!.message, String(16 * 1024))
        for (const e of errors) assert.notInclude(e.message, "secret prompt")
        // the bodies read whole may stay pooled (keep-alive); the one cut short at the bound is closed
        assert.isTrue(yield* eventually(() => server.requests[2]!.closed), "the too large answer's connection was closed")
      }))
  })
})
