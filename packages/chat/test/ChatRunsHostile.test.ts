/**
 * A chat run's event stream against a hostile loopback server: garbage, wrong-typed, comment-led and
 * `run_status` frames between events (skipped, with a few warnings and then one count); a cut mid-event
 * resumed with `Last-Event-ID` (a replayed event dropped); an event cut before its blank line; a server
 * that ignores `Last-Event-ID`; more drops than `maxReconnects`, each after progress; silence mid-stream
 * dropped at `idleTimeout` and resumed, and a server silent for good (a typed `Timeout`, bounded);
 * thousands of events in one write; an interrupted consumer (the connection closed, none reopened).
 */
import { SogniConfig, SogniError, SogniRest } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Fiber from "effect/Fiber"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { ServerResponse } from "node:http"
import { ChatRuns, HostedChatError } from "../src/index.js"
import { cutAfter, dribble, eventually, type HostileHttp, makeHostileHttp, pour } from "./util/HostileHttp.js"

const runsOn = (url: string, settings: { readonly restRetries?: number; readonly maxResponseBytes?: number } = {}) =>
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
          restRetryCap: "20 millis",
          ...settings
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

/** Log lines, rendered, at every level. */
const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

/** The events after `after` up to `to` (the last one terminal when `terminal`), as one string. */
const replay = (after: number, to: number, terminal = false) => {
  let body = ""
  for (let n = after + 1; n <= to; n++) body += event(n, terminal && n === to ? "run_completed" : "message_delta")
  return body
}

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

  describe("(a) a connection dropped mid-run resumes from the last delivered event: none lost, none twice", () => {
    it.scopedLive("an event whose closing blank line never came is not delivered from the cut; its replay is", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (req, res) => {
          sse(res)
          if (streams(server).length === 1) {
            // event 2 whole but for its blank line: it must not count as delivered
            return void res.write(event(1) + event(2).slice(0, -1), () => setTimeout(() => res.socket?.destroy(), 20))
          }
          res.end(replay(Number(req.headers["last-event-id"]), 4, true))
        }
        const runs = yield* runsOn(server.url)
        assert.deepStrictEqual(sequences(yield* Stream.runCollect(runs.events("run_1"))), [1, 2, 3, 4])
        assert.deepStrictEqual(streams(server).map((r) => r.headers["last-event-id"]), [undefined, "1"])
      }))

    it.scopedLive("a server that ignores Last-Event-ID and replays from the start: the replayed events are dropped", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          sse(res)
          const n = streams(server).length
          // each connection replays everything so far, adds two events, then the server closes it cleanly
          res.end(n < 4 ? replay(0, n * 2) : replay(0, 9, true))
        }
        const runs = yield* runsOn(server.url)
        assert.deepStrictEqual(sequences(yield* Stream.runCollect(runs.events("run_1"))), [1, 2, 3, 4, 5, 6, 7, 8, 9])
        assert.deepStrictEqual(streams(server).map((r) => r.headers["last-event-id"]), [undefined, "2", "4", "6"])
      }))

    it.scopedLive("more drops than maxReconnects, each after new events, still reach the terminal event; a caller's lastEventId goes out first", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (req, res) => {
          sse(res)
          const after = Number(req.headers["last-event-id"])
          if (after >= 12) return void res.end(replay(after, 13, true))
          res.write(replay(after, after + 1), () => setTimeout(() => res.socket?.destroy(), 5))
        }
        const runs = yield* runsOn(server.url)
        const events = yield* Stream.runCollect(runs.events("run_1", { lastEventId: 5, maxReconnects: 2 }))
        assert.deepStrictEqual(sequences(events), [6, 7, 8, 9, 10, 11, 12, 13])
        assert.deepStrictEqual(streams(server).map((r) => r.headers["last-event-id"]), ["5", "6", "7", "8", "9", "10", "11", "12"])
      }))
  })

  describe("(b) a server gone silent: a typed Timeout once the reconnects are spent, never a hang", () => {
    for (const silence of ["after its headers", "before answering at all"] as const) {
      it.scopedLive(`silent ${silence}: SogniTransportError Timeout, every connection closed`, () =>
        Effect.gen(function*() {
          const server = yield* makeHostileHttp
          server.handle = (_req, res) => {
            if (silence === "after its headers") {
              sse(res)
              res.flushHeaders()
            }
          }
          const runs = yield* runsOn(server.url)
          const error = yield* Effect.flip(
            Stream.runCollect(runs.events("run_1", { idleTimeout: "150 millis", maxReconnects: 2 })).pipe(Effect.timeout("20 seconds"))
          )
          assert.instanceOf(error, SogniError.SogniTransportError, String(error))
          assert.strictEqual((error as SogniError.SogniTransportError).reason, "Timeout")
          assert.include(error.message, "run_1")
          assert.strictEqual(streams(server).length, 3, "the first connection and two reconnects")
          assert.isTrue(yield* eventually(() => streams(server).every((r) => r.closed)), "every connection was closed")
        }))
    }

    it.scopedLive("silent after some events: the events that came are delivered, then the typed Timeout", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          sse(res)
          if (streams(server).length === 1) res.write(replay(0, 2))
          else res.flushHeaders()
        }
        const runs = yield* runsOn(server.url)
        const seen: Array<number> = []
        const error = yield* Effect.flip(
          Stream.runForEach(runs.events("run_1", { idleTimeout: "150 millis", maxReconnects: 1 }), (e) => Effect.sync(() => void seen.push(e.sequence)))
            .pipe(Effect.timeout("20 seconds"))
        )
        assert.deepStrictEqual(seen, [1, 2])
        assert.instanceOf(error, SogniError.SogniTransportError, String(error))
        assert.strictEqual((error as SogniError.SogniTransportError).reason, "Timeout")
        // the first connection heard events, so it counts as the first drop of a new streak: one reconnect
        assert.deepStrictEqual(streams(server).map((r) => r.headers["last-event-id"]), [undefined, "2"])
      }))
  })

  it.scopedLive("(c) garbage among events: skipped with SkipWarnings (a few warnings, then one count), every valid event arrives", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let body = ""
        for (let n = 1; n <= 50; n++) {
          body += event(n)
          body += `id: g${n}\ndata: {"sequence": ${n}, "type"\n\n` // cut JSON
          body += `data: ${JSON.stringify({ sequence: String(n), type: 1, at: null })}\n\n` // wrong types
        }
        res.end(body + event(51, "run_completed"))
      }
      const runs = yield* runsOn(server.url)
      assert.deepStrictEqual(sequences(yield* Stream.runCollect(runs.events("run_1"))), Array.from({ length: 51 }, (_, i) => i + 1))
      const warned = logs.lines.filter((l) => l.includes("chat run run_1: skipped a malformed event frame"))
      assert.strictEqual(warned.length, 5, logs.lines.slice(0, 10).join("\n"))
      assert.include(warned[0]!, "(id g1)")
      const summary = logs.lines.find((l) => /chat run run_1: skipped \d+ more malformed event frames/.test(l))
      assert.isDefined(summary, logs.lines.join("\n"))
      assert.strictEqual(Number(/skipped (\d+) more/.exec(summary!)![1]) + warned.length, 100)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("(d) interrupting the consumer closes the connection on the wire and opens no other", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let n = 0
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(event(++n))), 20)
      }
      const runs = yield* runsOn(server.url)
      let seen = 0
      const fiber = yield* Effect.fork(Stream.runForEach(runs.events("run_1"), () => Effect.sync(() => void seen++)))
      assert.isTrue(yield* eventually(() => seen >= 3))
      assert.isFalse(streams(server)[0]!.closed, "open while the consumer reads")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* eventually(() => streams(server)[0]!.closed), "the stream's connection was closed")
      yield* Effect.sleep("200 millis")
      assert.strictEqual(streams(server).length, 1, "no reconnect after the interrupt")
    }))

  describe("an event stream answered with something other than events", () => {
    it.scopedLive("a 404 chat error: SogniHostedChatError at once, no reconnect", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          res.writeHead(404, { "content-type": "application/json" })
          res.end(JSON.stringify({ error: { message: "no such run", type: "not_found", code: "4040" } }))
        }
        const runs = yield* runsOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(runs.events("run_1")))
        assert.instanceOf(error, HostedChatError.SogniHostedChatError, String(error))
        assert.deepStrictEqual([(error as HostedChatError.SogniHostedChatError).status, error.message], [404, "no such run"])
        assert.strictEqual(streams(server).length, 1)
      }))

    it.scopedLive("a 200 whose JSON body is an error: SogniHostedChatError at once, no reconnect", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        const bodies = [
          { status: "error", message: "run run_1 is not yours", errorCode: 4031 },
          { error: "not_found", error_code: "4040", error_message: "no such run" }
        ]
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify(bodies[streams(server).length - 1]))
        }
        const runs = yield* runsOn(server.url)
        const first = yield* Effect.flip(Stream.runCollect(runs.events("run_1")).pipe(Effect.timeout("20 seconds")))
        assert.instanceOf(first, HostedChatError.SogniHostedChatError, String(first))
        const e = first as HostedChatError.SogniHostedChatError
        assert.deepStrictEqual([e.status, e.errorCode, e.message], [200, "4031", "run run_1 is not yours"])
        assert.strictEqual(streams(server).length, 1, "not retried")
        const second = yield* Effect.flip(Stream.runCollect(runs.events("run_1")).pipe(Effect.timeout("20 seconds")))
        assert.instanceOf(second, HostedChatError.SogniHostedChatError, String(second))
        assert.deepStrictEqual([(second as HostedChatError.SogniHostedChatError).error, second.message], ["not_found", "no such run"])
      }))

    it.scopedLive("a 200 JSON body in pieces over a connection that never ends: the error it says (or a decode error) at once, not at idleTimeout", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // each cut inside a string: after a `}`, and between an escaping backslash and its quote
        const refusal = JSON.stringify({ status: "error", message: "run } \"run_1\" is not yours", errorCode: 4031 })
        const notAnError = JSON.stringify({ run: { id: "run_1", note: "a } and a \"quote\"" } })
        const answers = [
          { contentType: "application/json", parts: cutAfter(refusal, "run }", "\\") },
          { contentType: undefined, parts: cutAfter(notAnError, "a }", "\\") }
        ]
        for (const { parts } of answers) assert.strictEqual(parts.length, 3)
        server.handle = (_req, res) => {
          const { contentType, parts } = answers[streams(server).length - 1]!
          res.writeHead(200, contentType === undefined ? {} : { "content-type": contentType })
          dribble(res, parts)
        }
        const runs = yield* runsOn(server.url)
        // an idle timeout far past the test's own, and reconnects to spare: only the body's end could have
        // ended the wait before
        const options = { idleTimeout: "1 hour", maxReconnects: 50 } as const
        const first = yield* Effect.flip(Stream.runCollect(runs.events("run_1", options)))
        assert.instanceOf(first, HostedChatError.SogniHostedChatError, String(first))
        const e = first as HostedChatError.SogniHostedChatError
        assert.deepStrictEqual([e.status, e.errorCode, e.message], [200, "4031", "run } \"run_1\" is not yours"])
        const second = yield* Effect.flip(Stream.runCollect(runs.events("run_1", options)))
        assert.instanceOf(second, SogniError.SogniDecodeError, String(second))
        assert.include(second.message, "not an error body")
        assert.strictEqual(streams(server).length, 2, "neither was resumed")
        assert.isTrue(yield* eventually(() => streams(server).every((r) => r.closed)), "both connections were closed")
      }), 20_000)

    it.scopedLive("a 200 JSON body that never becomes whole stays bounded: resumed at idleTimeout then a typed Timeout; TooLarge past maxResponseBytes", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // a string never closed (the `}` and `]` are inside it), on a connection held open
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          dribble(res, ["{\"status\":\"error\",\"message\":\"cut } here", " ]"])
        }
        const runs = yield* runsOn(server.url)
        const silent = yield* Effect.flip(Stream.runCollect(runs.events("run_1", { idleTimeout: "300 millis", maxReconnects: 1 })))
        assert.instanceOf(silent, SogniError.SogniTransportError, String(silent))
        assert.strictEqual((silent as SogniError.SogniTransportError).reason, "Timeout")
        assert.strictEqual(streams(server).length, 2, "the first connection and one reconnect")
        // an endless string inside JSON: cut at the bound, not resumed
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.write("{\"message\":\"")
          pour(res, Buffer.from("}]".repeat(1024)), 4 * 1024 * 1024)
        }
        const bounded = yield* runsOn(server.url, { maxResponseBytes: 64 * 1024 })
        const large = yield* Effect.flip(Stream.runCollect(bounded.events("run_1", { idleTimeout: "1 hour" })))
        assert.instanceOf(large, SogniError.SogniDecodeError, String(large))
        assert.strictEqual((large as SogniError.SogniDecodeError).reason, "TooLarge")
        assert.strictEqual(streams(server).length, 3, "not resumed")
        assert.isTrue(yield* eventually(() => streams(server).every((r) => r.closed)), "every connection was closed")
      }), 20_000)

    it.scopedLive("a 200 HTML page (a proxy's maintenance page, served again on every reconnect): a typed decode error naming its content type, at once", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (_req, res) => {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
          res.end("<html>\n\n<body>\n\nmaintenance\n\n</body>\n\n</html>\n\n")
        }
        const runs = yield* runsOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(runs.events("run_1")).pipe(Effect.timeout("20 seconds")))
        assert.instanceOf(error, SogniError.SogniDecodeError, String(error))
        assert.include(error.message, "text/html")
        assert.strictEqual(streams(server).length, 1, "not retried")
        assert.isTrue(yield* eventually(() => streams(server)[0]!.closed))
      }))
  })

  it.scopedLive("create, get, cancel and confirmCost answered 200 with an error body: SogniHostedChatError, each sent once", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ status: "error", message: "runs are paused for maintenance", errorCode: 4503 }))
      }
      const runs = yield* runsOn(server.url, { restRetries: 3 })
      const calls: ReadonlyArray<Effect.Effect<unknown, ChatRuns.ChatRunsError>> = [
        runs.create({ messages: [{ role: "user", content: "hi" }] }),
        runs.get("run_1"),
        runs.cancel("run_1"),
        runs.confirmCost("run_1", { toolCallId: "call_1", decision: "cancel" })
      ]
      for (const call of calls) {
        const error = yield* Effect.flip(call)
        assert.instanceOf(error, HostedChatError.SogniHostedChatError, String(error))
        const e = error as HostedChatError.SogniHostedChatError
        assert.deepStrictEqual([e.status, e.errorCode, e.message], [200, "4503", "runs are paused for maintenance"])
      }
      assert.deepStrictEqual(server.requests.map((r) => r.method), ["POST", "GET", "POST", "POST"], "none repeated")
    }))
})
