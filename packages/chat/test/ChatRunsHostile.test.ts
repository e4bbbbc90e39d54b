/**
 * A chat run's event stream against a hostile loopback server: garbage, wrong-typed, comment-led and
 * `run_status` frames between events; a cut mid-event resumed with `Last-Event-ID` (a replayed event
 * dropped); silence mid-stream dropped at `idleTimeout` and resumed; thousands of events in one write.
 */
import { SogniConfig, SogniRest } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { ServerResponse } from "node:http"
import { ChatRuns } from "../src/index.js"
import { eventually, type HostileHttp, makeHostileHttp } from "./util/HostileHttp.js"

const runsOn = (url: string) =>
  Effect.map(
    Layer.build(
      ChatRuns.layer.pipe(
        Layer.provideMerge(SogniRest.layerFetch),
        Layer.provideMerge(SogniConfig.layer({
          appId: "chat-runs-hostile-tests",
          apiKey: Redacted.make("sk-live-hostile-runs-0123456789"),
          restEndpoint: url,
          socketEndpoint: "ws://socket.test:9000",
          restRetryBase: "5 millis",
          restRetryCap: "20 millis"
        }))
      )
    ),
    (ctx) => Context.get(ctx, ChatRuns.ChatRuns)
  )

const event = (n: number, type = "message_delta") =>
  `id: ${n}\nevent: ${type}\ndata: ${JSON.stringify({ sequence: n, type, at: "2026-12-05T06:00:00Z", payload: { n } })}\n\n`
const sse = (res: ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" })
const streams = (server: HostileHttp) => server.requests.filter((r) => r.path.endsWith("/events/stream"))
const sequences = (events: Chunk.Chunk<ChatRuns.ChatRunEvent>) => Chunk.toReadonlyArray(events).map((e) => e.sequence)

describe("chat run events against a hostile server", () => {
  it.scopedLive("garbage, wrong-typed, comment-led and run_status frames are passed over; every event once, in order", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(event(1, "run_started"))
        res.write("data: {\"sequence\": 2, \"ty\n\n")
        res.write(`data: ${JSON.stringify({ sequence: "two", type: 2 })}\n\n`)
        res.write(": heartbeat\ndata: {\"sequence\": 99, \"type\": \"x\", \"at\": \"now\"}\n\n")
        res.write(`event: run_status\ndata: ${JSON.stringify({ sequence: 98, type: "run_status", at: "now" })}\n\n`)
        res.write(event(2))
        res.end(event(3, "run_completed"))
      }
      const runs = yield* runsOn(server.url)
      assert.deepStrictEqual(sequences(yield* Stream.runCollect(runs.events("run_1"))), [1, 2, 3])
    }))

  it.scopedLive("a cut mid-event resumes with Last-Event-ID; silence mid-stream is dropped at idleTimeout and resumed", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (req, res) => {
        sse(res)
        const n = streams(server).length
        if (n === 1) return void res.write(event(1, "run_started") + event(2).slice(0, 30), () => setTimeout(() => res.socket?.destroy(), 20))
        if (n === 2) return void res.write(event(1) + event(2)) // a replay of 1, then silence
        const after = Number(req.headers["last-event-id"])
        res.end(event(after) + event(after + 1) + event(after + 2, "run_completed"))
      }
      const runs = yield* runsOn(server.url)
      const events = yield* Stream.runCollect(runs.events("run_1", { idleTimeout: "300 millis" }))
      assert.deepStrictEqual(sequences(events), [1, 2, 3, 4])
      assert.deepStrictEqual(streams(server).map((r) => r.headers["last-event-id"]), [undefined, "1", "2"])
      assert.isTrue(yield* eventually(() => streams(server)[1]!.closed), "the silent connection was closed")
    }))

  it.scopedLive("a burst: 5,000 events in one write arrive whole and in order", () =>
    Effect.gen(function*() {
      const n = 5_000
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let body = ""
        for (let i = 1; i < n; i++) body += event(i)
        res.end(body + event(n, "run_completed"))
      }
      const runs = yield* runsOn(server.url)
      const events = yield* Stream.runCollect(runs.events("run_1"))
      assert.deepStrictEqual(sequences(events), Array.from({ length: n }, (_, i) => i + 1))
    }), 60_000)
})
