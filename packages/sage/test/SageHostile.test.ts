/**
 * The Sage client against a hostile loopback server (the emulator's Sage routes always answer well):
 * garbage and wrong-typed payloads between good events, an event that never ends, a JSON answer far
 * larger than any listing, a server that goes silent or cuts the connection mid-stream, thousands of
 * events in one write, 10,000 malformed events (a bounded number of log lines), and error answers with
 * HTML bodies on the retried listing routes.
 */
import { SogniError } from "@effect-sogni/core"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import type { ServerResponse } from "node:http"
import { eventually, makeHostileHttp, pour } from "../../chat/test/util/HostileHttp.js"
import { SageClient, type SageWire } from "../src/index.js"

const LIMIT = 64 * 1024

const clientOn = (url: string, options: SageClient.SageClientOptions = {}) =>
  SageClient.make({ baseUrl: `${url}/api`, retry: false, ...options }).pipe(Effect.provide(FetchHttpClient.layer))

const sse = (res: ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" })
const piece = (chunk: string) => `data: ${JSON.stringify({ chunk, done: false })}\n\n`
const done = (full: string) => `data: ${JSON.stringify({ chunk: "", done: true, full_response: full })}\n\n`

const textOf = (events: Chunk.Chunk<SageWire.SageStreamEvent>) =>
  Chunk.toReadonlyArray(events).flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")

const request = { model: "qwen2.5:7b", prompt: "hi" }

describe("SageClient against a hostile server", () => {
  it.scopedLive("garbage, cut and wrong-typed payloads between good events are skipped; the stream goes on to its end", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(piece("one "))
        res.write("data: {\"chunk\": \"cut\n\n")
        res.write("data: <html>oops</html>\n\n")
        res.write(`data: ${JSON.stringify({ chunk: 42, done: "no" })}\n\n`)
        res.write(`data: ${JSON.stringify([1, 2])}\n\n`)
        res.write("data: null\n\n")
        res.write(piece("two"))
        res.end(done("one two"))
      }
      const client = yield* clientOn(server.url)
      const events = yield* Stream.runCollect(client.generateStream(request))
      assert.strictEqual(textOf(events), "one two")
      assert.strictEqual(Chunk.unsafeLast(events)._tag, "Done")
    }))

  it.scopedLive("an event that never ends fails with TooLarge at maxResponseBytes and lets go of the connection", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(piece("before "))
        res.write("data: {\"chunk\": \"")
        pour(res, Buffer.alloc(16 * 1024, "x"), 32 * 1024 * 1024)
      }
      const client = yield* clientOn(server.url, { maxResponseBytes: LIMIT, idleTimeout: "20 seconds" })
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(client.generateStream(request), (e) => Effect.sync(() => void (e._tag === "TextDelta" && texts.push(e.text))))
      )
      assert.instanceOf(error, SogniError.SogniDecodeError, String(error).slice(0, 300))
      assert.strictEqual((error as SogniError.SogniDecodeError).reason, "TooLarge")
      assert.include(error.message, String(LIMIT))
      assert.deepStrictEqual(texts, ["before "])
      assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
      assert.deepStrictEqual(yield* client.queue, { running: 0, waiting: 0 })
    }), 30_000)

  it.scopedLive("a JSON answer larger than maxResponseBytes fails with TooLarge, declared or not", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const huge = JSON.stringify({ success: true, data: { models: { ollama: ["m".repeat(LIMIT * 4)] } } })
      server.handle = (req, res) => {
        if (req.path.endsWith("/models")) {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(huge)
        } else {
          // no content-length: chunked, and endless
          res.writeHead(200, { "content-type": "application/json" })
          res.write("{\"success\": true, \"data\": {\"response\": \"")
          pour(res, Buffer.alloc(16 * 1024, "y"), 32 * 1024 * 1024)
        }
      }
      const client = yield* clientOn(server.url, { maxResponseBytes: LIMIT, generateTimeout: "20 seconds" })
      for (const call of [Effect.asVoid(client.models()), Effect.asVoid(client.generate(request))]) {
        const error = yield* Effect.flip(call)
        assert.instanceOf(error, SogniError.SogniDecodeError, String(error).slice(0, 300))
        assert.strictEqual((error as SogniError.SogniDecodeError).reason, "TooLarge")
        assert.include(error.message, String(LIMIT))
      }
      assert.isTrue(yield* eventually(() => server.requests.every((r) => r.closed)), "every connection was closed")
    }), 30_000)

  it.scopedLive("a server that goes silent mid-stream: a typed Timeout after idleTimeout, the text before it kept", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(piece("then "))
        res.write(piece("nothing"))
      }
      const client = yield* clientOn(server.url, { idleTimeout: "300 millis" })
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(client.generateStream(request), (e) => Effect.sync(() => void (e._tag === "TextDelta" && texts.push(e.text))))
      )
      assert.isTrue(error._tag === "SogniTransportError" && error.reason === "Timeout", String(error))
      assert.strictEqual(texts.join(""), "then nothing")
      assert.isTrue(yield* eventually(() => server.requests[0]!.closed), "the request's connection was closed")
      assert.deepStrictEqual(yield* client.queue, { running: 0, waiting: 0 })
    }))

  it.scopedLive("a connection cut mid-stream: a typed error after the text that came, the slot given back", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(piece("half "), () => res.write(piece("way"), () => setTimeout(() => res.socket?.destroy(), 20)))
      }
      const client = yield* clientOn(server.url)
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(client.generateStream(request), (e) => Effect.sync(() => void (e._tag === "TextDelta" && texts.push(e.text))))
      )
      assert.isTrue(error._tag === "SogniTransportError" || (error._tag === "SageError" && error.reason === "Incomplete"), String(error))
      assert.strictEqual(texts.join(""), "half way")
      assert.strictEqual(server.requests.length, 1, "a generation is never sent again")
      assert.deepStrictEqual(yield* client.queue, { running: 0, waiting: 0 })
    }))

  it.scopedLive("a burst: 20,000 events in one write come out whole and in order", () =>
    Effect.gen(function*() {
      const n = 20_000
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let body = ""
        for (let i = 0; i < n; i++) body += piece(`${i},`)
        res.end(body + done(""))
      }
      const client = yield* clientOn(server.url, { emptyResponse: "allow" })
      const events = yield* Stream.runCollect(client.generateStream(request))
      const numbers = textOf(events).split(",").filter((s) => s !== "").map(Number)
      assert.strictEqual(numbers.length, n)
      assert.isTrue(numbers.every((v, i) => v === i), "in order, none lost")
    }))

  it.scopedLive("10,000 malformed events: five warnings, then their count in one line; the good events around them arrive", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) =>
      void lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
    )
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        const garbage = (n: number, tag: string) => {
          let body = ""
          for (let i = 0; i < n; i++) body += i % 2 === 0 ? `data: {"chunk": "${tag}${i}\n\n` : `data: <${tag}${i}>\n\n`
          return body
        }
        res.write(piece("first "))
        res.write(garbage(5_000, "a"))
        res.write(piece("middle "))
        res.write(garbage(5_000, "b"))
        res.end(piece("last") + done("first middle last"))
      }
      const client = yield* clientOn(server.url)
      const events = yield* Stream.runCollect(client.generateStream(request))
      assert.strictEqual(textOf(events), "first middle last")
      assert.strictEqual(Chunk.unsafeLast(events)._tag, "Done")
      const skipped = lines.filter((l) => l.includes("malformed"))
      assert.deepStrictEqual(skipped, [
        ...Array.from({ length: 5 }, () => "WARN Sage: skipped a malformed event on /sage_llm/generate_stream"),
        "WARN Sage: skipped 9995 more malformed events on /sage_llm/generate_stream (warnings suppressed)"
      ])
      // every level was captured: no debug line per event either
      assert.isBelow(lines.length, 20, lines.slice(0, 30).join("\n"))
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("listing routes answered with HTML 502s are retried a bounded number of times, then a typed error with the status", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        res.writeHead(502, { "content-type": "text/html" })
        res.end("<html><body>Bad Gateway</body></html>")
      }
      const client = yield* clientOn(server.url, { retry: { retries: 3, base: Duration.millis(5), cap: Duration.millis(20), jitter: 0 } })
      const error = yield* Effect.flip(client.status)
      assert.isTrue(error._tag === "SageError" && error.status === 502, String(error))
      assert.include(error.message, "Bad Gateway")
      assert.strictEqual(server.requests.length, 4)
    }))
})
