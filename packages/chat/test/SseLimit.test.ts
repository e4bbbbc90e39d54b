/**
 * Hosted chat's stream and a chat run's event stream read their server-sent events under the user's
 * `maxResponseBytes` (core's `Sse` bound), against a hostile loopback server whose second event never
 * ends: both fail with `SogniDecodeError` `TooLarge` naming the configured limit, after what came before.
 */
import { SogniConfig, SogniError, SogniRest } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { ChatRuns, HostedChat } from "../src/index.js"

/** Far below the 32 MiB default, so only the configured value can stop the stream this early. */
const LIMIT = 64 * 1024
/** The server's own bound on what it pours (the client must stop long before). */
const SERVER_CAP = 256 * 1024 * 1024

const pour = (res: ServerResponse, chunk: Buffer) => {
  let written = 0
  const more = () => {
    while (!res.destroyed && written < SERVER_CAP) {
      written += chunk.length
      if (!res.write(chunk)) return void res.once("drain", more)
    }
    if (!res.destroyed) res.end()
  }
  more()
}

const hostile = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly close: () => Promise<void> }>((resume) => {
    const server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0]!
      res.writeHead(200, { "content-type": "text/event-stream" })
      if (path === "/v1/chat/completions") {
        // one well-formed chunk, then a data line that never ends
        res.write(`data: {"id":"c1","choices":[{"delta":{"content":"hi"}}]}\n\ndata: {"id":"c1","choices":[{"delta":{"content":"`)
      } else {
        // a run's event log: one event, then one that never ends
        res.write(`id: 1\ndata: {"sequence":1,"type":"run_started","at":"2026-12-03T18:00:00Z"}\n\ndata: {"sequence":2,"type":"`)
      }
      pour(res, Buffer.alloc(16 * 1024, "x"))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      }))
    })
  }),
  ({ close }) => Effect.promise(close)
)

const services = (url: string) =>
  Effect.map(
    Layer.build(
      Layer.mergeAll(HostedChat.layer, ChatRuns.layer).pipe(
        Layer.provideMerge(SogniRest.layerFetch),
        Layer.provideMerge(SogniConfig.layer({
          appId: "sse-limit-tests",
          apiKey: Redacted.make("sk-live-sse-limit-0123456789"),
          restEndpoint: url,
          socketEndpoint: "ws://socket.test:9000",
          maxResponseBytes: LIMIT,
          restRetryBase: "1 millis",
          restRetryCap: "5 millis"
        }))
      )
    ),
    (ctx) => ({ hosted: Context.get(ctx, HostedChat.HostedChat), runs: Context.get(ctx, ChatRuns.ChatRuns) })
  )

const assertTooLarge = (error: unknown) => {
  assert.instanceOf(error, SogniError.SogniDecodeError)
  const e = error as SogniError.SogniDecodeError
  assert.strictEqual(e.reason, "TooLarge")
  assert.include(e.message, String(LIMIT))
}

describe("server-sent events under the configured maxResponseBytes", () => {
  it.scopedLive("hosted chat: the text before the endless event arrives, then TooLarge", () =>
    Effect.gen(function*() {
      const server = yield* hostile
      const { hosted } = yield* services(server.url)
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(
          hosted.stream({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "hi" }] }),
          (chunk) => Effect.sync(() => void (chunk._tag === "TextDelta" && texts.push(chunk.text)))
        )
      )
      assertTooLarge(error)
      assert.deepStrictEqual(texts, ["hi"])
    }), 30_000)

  it.scopedLive("a chat run's events: the first event arrives, then TooLarge without reconnecting", () =>
    Effect.gen(function*() {
      const server = yield* hostile
      const { runs } = yield* services(server.url)
      const types: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(runs.events("r1"), (event) => Effect.sync(() => void types.push(event.type)))
      )
      assertTooLarge(error)
      assert.deepStrictEqual(types, ["run_started"])
    }), 30_000)
})
