/**
 * `Workflows` against a hostile loopback server (the emulator's workflow routes always answer well and at
 * their own pace): garbage, wrong-typed and heartbeat frames between events, stray events a proxy injects
 * (they swallow no real event), a malformed frame with a bogus id before a cut (it does not move the
 * resume cursor), a connection cut mid-event
 * and resumed from the cursor on the wire (`?after=` and `Last-Event-ID`), a server that goes silent
 * mid-stream, resumes refused with HTML 502s, thousands of events in one write, an interrupted consumer,
 * and GETs answered with HTML 503s (retried a bounded number of times, then a typed error).
 */
import { SogniConfig, SogniRest } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { ServerResponse } from "node:http"
import { cutAfter, dribble, eventually, type HostileHttp, makeHostileHttp } from "../../chat/test/util/HostileHttp.js"
import * as Workflows from "../src/Workflows.js"

const API_KEY = "sk-live-hostile-workflows-0123456789"

const workflowsOn = (url: string, options: Workflows.Options = {}) =>
  Workflows.make({ reconnectDelay: "5 millis", maxReconnectDelay: "20 millis", ...options }).pipe(
    Effect.provide(
      SogniRest.layerFetch.pipe(
        Layer.provideMerge(SogniConfig.layer({
          appId: "workflows-hostile-tests",
          apiKey: Redacted.make(API_KEY),
          restEndpoint: url,
          socketEndpoint: "ws://socket.test:9000",
          restRetries: 3,
          restRetryBase: "5 millis",
          restRetryCap: "20 millis"
        }))
      )
    )
  )

const event = (n: number, status = "running", type = "step_started") =>
  `id: ${n}\nevent: ${type}\ndata: ${JSON.stringify({ id: String(n), sequence: n, workflowId: "wf_1", type, status })}\n\n`
const last = (n: number) => event(n, "completed", "workflow_completed")

const sse = (res: ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" })
const streams = (server: HostileHttp) => server.requests.filter((r) => r.path.endsWith("/events/stream"))
/** Answers a workflow record read: wf_1, running (for tests where only the event stream misbehaves). */
const runningRecord = (res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify({ status: "success", data: { workflow: { workflowId: "wf_1", status: "running" } } }))
}
const ids = (events: Chunk.Chunk<{ readonly id: string }>) => Chunk.toReadonlyArray(events).map((e) => e.id)

const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("Workflows against a hostile server", () => {
  it.scopedLive("garbage, wrong-typed and heartbeat frames between events are skipped; every event arrives once", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        res.write(": keepalive\n\n")
        res.write(event(1))
        res.write("data: {\"id\": \"2\", \"sequence\": 2, \"type\n\n") // cut JSON
        res.write("data: <html>Bad Gateway</html>\n\n")
        res.write(`data: ${JSON.stringify({ id: "x", sequence: "two", type: 5 })}\n\n`)
        res.write(`data: ${JSON.stringify([1, 2, 3])}\n\n`)
        res.write("event: step_started\n\n") // no data at all
        res.write(event(2))
        res.end(last(3))
      }
      const workflows = yield* workflowsOn(server.url)
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), ["1", "2", "3"])
      assert.strictEqual(logs.lines.filter((l) => l.includes("skipped a malformed event frame")).length, 4, logs.lines.join("\n"))
      assert.strictEqual(streams(server).length, 1)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("stray events a proxy injects (a high sequence, a data id, no id: line or type) swallow nothing: all 15 arrive", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let body = ""
        for (let n = 1; n <= 15; n++) {
          body += n === 15 ? last(15) : event(n)
          if (n === 1) body += `event: workflow_progress\ndata: ${JSON.stringify({ sequence: 99, status: "running" })}\n\n`
          if (n === 2) body += `data: ${JSON.stringify({ id: 5 })}\n\n`
          // decodes, and has an id: line, but its sequence is not its id
          if (n === 3) body += `id: 50\nevent: step_started\ndata: ${JSON.stringify({ sequence: 99, type: "step_started" })}\n\n`
        }
        res.end(body)
      }
      const workflows = yield* workflowsOn(server.url)
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), Array.from({ length: 15 }, (_, i) => String(i + 1)))
      const skipped = logs.lines.filter((l) => l.includes("skipped a malformed event frame"))
      assert.strictEqual(skipped.length, 3, logs.lines.join("\n"))
      assert.include(skipped[2], "its id: 50 is not its sequence 99")
      assert.strictEqual(streams(server).length, 1)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("a malformed frame with a bogus id: 999 before a cut: the resume asks for after the last real event, all arrive", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (req, res) => {
        sse(res)
        if (streams(server).length === 1) {
          res.write(event(1) + event(2) + event(3) + "id: 999\nevent: workflow_progress\ndata: not json\n\n", () =>
            setTimeout(() => res.socket?.destroy(), 20))
          return
        }
        const after = Number(new URLSearchParams(req.query).get("after"))
        let body = ""
        for (let n = after + 1; n <= 9; n++) body += n === 9 ? last(9) : event(n)
        res.end(body)
      }
      const workflows = yield* workflowsOn(server.url)
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
      assert.strictEqual(Chunk.unsafeLast(events).status, "completed")
      const [, second] = streams(server)
      assert.strictEqual(second!.query, "after=3")
      assert.strictEqual(second!.headers["last-event-id"], "3")
    }))

  it.scopedLive("a server that sends no id: lines: every event arrives, and a cut resumes from the last sequence", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const bare = (n: number) => event(n, n === 6 ? "completed" : "running", n === 6 ? "workflow_completed" : "step_started")
        .replace(`id: ${n}\n`, "")
      server.handle = (req, res) => {
        sse(res)
        if (streams(server).length === 1) {
          res.write(bare(1) + bare(2) + bare(3), () => setTimeout(() => res.socket?.destroy(), 20))
          return
        }
        const after = Number(new URLSearchParams(req.query).get("after"))
        let body = ""
        for (let n = after + 1; n <= 6; n++) body += bare(n)
        res.end(body)
      }
      const workflows = yield* workflowsOn(server.url)
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), ["1", "2", "3", "4", "5", "6"])
      const [, second] = streams(server)
      assert.strictEqual(second!.query, "after=3")
      assert.strictEqual(second!.headers["last-event-id"], "3")
    }))

  it.scopedLive("a connection cut mid-event resumes on the wire from the last delivered id: ?after= and Last-Event-ID", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (req, res) => {
        sse(res)
        if (streams(server).length === 1) {
          res.write(event(1) + event(2))
          // half of event 3, then the socket is destroyed
          res.write(event(3).slice(0, 20), () => setTimeout(() => res.socket?.destroy(), 20))
          return
        }
        const after = Number(req.headers["last-event-id"])
        let body = ""
        // the server replays one event before the cursor: the client drops it
        for (let n = after; n <= 4; n++) body += n === 4 ? last(4) : event(n)
        res.end(body)
      }
      const workflows = yield* workflowsOn(server.url)
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), ["1", "2", "3", "4"])
      const [first, second] = streams(server)
      assert.strictEqual(first!.headers["last-event-id"], undefined)
      assert.strictEqual(second!.headers["last-event-id"], "2")
      assert.strictEqual(second!.query, "after=2")
    }))

  it.scopedLive("a server that goes silent mid-stream is dropped after idleTimeout and resumed from the cursor", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        if (streams(server).length === 1) return void res.write(event(1)) // and then nothing, ever
        res.end(last(2))
      }
      const workflows = yield* workflowsOn(server.url, { idleTimeout: "300 millis" })
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), ["1", "2"])
      assert.strictEqual(streams(server)[1]!.headers["last-event-id"], "1")
      assert.isTrue(yield* eventually(() => streams(server)[0]!.closed), "the silent connection was closed")
    }))

  it.scopedLive("a server that keeps refusing the resume with HTML 502s: a typed WorkflowStreamError naming the last id, bounded", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        if (streams(server).length === 1) {
          sse(res)
          res.write(event(1))
          return void res.write(event(2), () => setTimeout(() => res.socket?.destroy(), 20))
        }
        res.writeHead(502, { "content-type": "text/html" })
        res.end("<html><body><h1>502 Bad Gateway</h1></body></html>")
      }
      const workflows = yield* workflowsOn(server.url, { maxReconnects: 3 })
      const seen: Array<string> = []
      const error = yield* Effect.flip(Stream.runForEach(workflows.streamEvents("wf_1"), (e) => Effect.sync(() => void seen.push(e.id))))
      assert.deepStrictEqual(seen, ["1", "2"])
      assert.strictEqual(error._tag, "WorkflowStreamError", String(error))
      assert.strictEqual((error as { lastEventId?: string }).lastEventId, "2")
      assert.isAtMost(streams(server).length, 1 + 4)
    }))

  it.scopedLive("a burst: 5,000 events in one write arrive whole and in order", () =>
    Effect.gen(function*() {
      const n = 5_000
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let body = ""
        for (let i = 1; i < n; i++) body += event(i)
        res.end(body + last(n))
      }
      const workflows = yield* workflowsOn(server.url)
      const events = yield* Stream.runCollect(workflows.streamEvents("wf_1"))
      assert.deepStrictEqual(ids(events), Array.from({ length: n }, (_, i) => String(i + 1)))
    }), 60_000)

  it.scopedLive("interrupting the consumer closes the connection and opens no other", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let n = 0
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(event(++n))), 20)
      }
      const workflows = yield* workflowsOn(server.url)
      let seen = 0
      const fiber = yield* Effect.fork(Stream.runForEach(workflows.streamEvents("wf_1"), () => Effect.sync(() => void seen++)))
      assert.isTrue(yield* eventually(() => seen >= 3))
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* eventually(() => streams(server)[0]!.closed), "the stream's connection was closed")
      yield* Effect.sleep("100 millis")
      assert.strictEqual(streams(server).length, 1)
    }))

  it.scopedLive("a GET answered with HTML 503s is retried a bounded number of times, then a typed error with the status; a POST is sent once", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        res.writeHead(503, { "content-type": "text/html" })
        res.end("<html><body>Service Unavailable</body></html>")
      }
      const workflows = yield* workflowsOn(server.url)
      const getError = yield* Effect.flip(workflows.get("wf_1"))
      assert.strictEqual((getError as { status?: number }).status, 503, String(getError))
      assert.strictEqual(server.requests.length, 4)
      const cancelError = yield* Effect.flip(workflows.cancel("wf_1"))
      assert.strictEqual((cancelError as { status?: number }).status, 503, String(cancelError))
      assert.strictEqual(server.requests.length, 5)
      for (const e of [getError, cancelError]) assert.notInclude(JSON.stringify(e) + String(e), API_KEY)
    }))

  it.scopedLive("a status this SDK does not know yet (an open string, workflows.md §5) loses neither the event nor the record", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (req, res) => {
        if (req.path.endsWith("/events/stream")) {
          sse(res)
          res.end(event(1) + event(2, "paused_for_review", "workflow_paused") + last(3))
        } else {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify({
            status: "success",
            data: { workflow: { workflowId: "wf_1", status: "paused_for_review", events: [{ id: "2", sequence: 2, type: "workflow_paused", status: "paused_for_review" }] } }
          }))
        }
      }
      const workflows = yield* workflowsOn(server.url)
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(workflows.streamEvents("wf_1")))
      assert.deepStrictEqual(events.map((e) => [e.id, e.status]), [["1", "running"], ["2", "paused_for_review"], ["3", "completed"]])
      const record = yield* workflows.get("wf_1")
      assert.strictEqual(record.status, "paused_for_review")
      assert.strictEqual(record.events?.[0]?.status, "paused_for_review")
    }))

  it.scopedLive("a flood of malformed frames: a few warnings, then their count in one line; every event arrives", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (_req, res) => {
        sse(res)
        let garbage = ""
        for (let i = 0; i < 5_000; i++) garbage += `data: {"broken ${i}\n\n`
        res.end(event(1) + garbage + last(2))
      }
      const workflows = yield* workflowsOn(server.url)
      assert.deepStrictEqual(ids(yield* Stream.runCollect(workflows.streamEvents("wf_1"))), ["1", "2"])
      const warned = logs.lines.filter((l) => l.includes("skipped a malformed event frame")).length
      assert.isAtLeast(warned, 1)
      assert.isAtMost(warned, 10)
      const summary = logs.lines.find((l) => /skipped \d+ more malformed event frames/.test(l))
      assert.isDefined(summary, logs.lines.slice(0, 20).join("\n"))
      assert.strictEqual(Number(/skipped (\d+) more/.exec(summary!)![1]) + warned, 5_000)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  describe("an event stream answered 200 with something other than events", () => {
    it.scopedLive("a JSON error body (the platform's refusal shape): WorkflowApiError at once, no reconnect", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (req, res) => {
          if (!req.path.endsWith("/events/stream")) return runningRecord(res)
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify({ status: "error", message: "workflow wf_1 is not yours", errorCode: 4031 }))
        }
        const workflows = yield* workflowsOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(workflows.streamEvents("wf_1")).pipe(Effect.timeout("20 seconds")))
        assert.strictEqual(error._tag, "WorkflowApiError", String(error))
        const e = error as Extract<typeof error, { _tag: "WorkflowApiError" }>
        assert.deepStrictEqual([e.status, e.errorCode, e.message, e.operation], [200, 4031, "workflow wf_1 is not yours", "GET /v1/creative-agent/workflows/:id/events/stream"])
        assert.strictEqual(server.requests.length, 1, "not retried, no record read")
      }))

    it.scopedLive("a JSON body in pieces over a connection that never ends: the error it says (or a decode error) at once, not at idleTimeout", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // each cut inside a string: after a `}`, and between an escaping backslash and its quote
        const refusal = JSON.stringify({ status: "error", message: "workflow } \"wf_1\" is not yours", errorCode: 4031 })
        const notAnError = JSON.stringify({ workflow: { id: "wf_1", note: "a } and a \"quote\"" } })
        const answers = [
          { contentType: "application/json", parts: cutAfter(refusal, "workflow }", "\\") },
          { contentType: undefined, parts: cutAfter(notAnError, "a }", "\\") }
        ]
        for (const { parts } of answers) assert.strictEqual(parts.length, 3)
        server.handle = (req, res) => {
          if (!req.path.endsWith("/events/stream")) return runningRecord(res)
          const { contentType, parts } = answers[streams(server).length - 1]!
          res.writeHead(200, contentType === undefined ? {} : { "content-type": contentType })
          dribble(res, parts)
        }
        // an idle timeout far past the test's own, and reconnects to spare: only the body's end could have
        // ended the wait before
        const workflows = yield* workflowsOn(server.url, { idleTimeout: "1 hour", maxReconnects: 50 })
        const first = yield* Effect.flip(Stream.runCollect(workflows.streamEvents("wf_1")))
        assert.strictEqual(first._tag, "WorkflowApiError", String(first))
        const e = first as Extract<typeof first, { _tag: "WorkflowApiError" }>
        assert.deepStrictEqual([e.status, e.errorCode, e.message], [200, 4031, "workflow } \"wf_1\" is not yours"])
        const second = yield* Effect.flip(Stream.runCollect(workflows.streamEvents("wf_1")))
        assert.strictEqual(second._tag, "SogniDecodeError", String(second))
        assert.include(second.message, "not an error body")
        assert.strictEqual(server.requests.length, 2, "neither was resumed, no record read")
        assert.isTrue(yield* eventually(() => streams(server).every((r) => r.closed)), "both connections were closed")
      }), 20_000)

    it.scopedLive("an HTML page served again on every reconnect (a proxy's maintenance page): SogniDecodeError naming its content type, at once", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        // the record answers well (the workflow is running): only the stream is behind the proxy's page
        server.handle = (req, res) => {
          if (!req.path.endsWith("/events/stream")) return runningRecord(res)
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
          res.end("<html>\n\n<body>\n\nmaintenance\n\n</body>\n\n</html>\n\n")
        }
        const workflows = yield* workflowsOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(workflows.streamEvents("wf_1")).pipe(Effect.timeout("20 seconds")))
        assert.strictEqual(error._tag, "SogniDecodeError", String(error))
        assert.include(error.message, "text/html")
        assert.strictEqual(server.requests.length, 1, "not retried, no record read")
        assert.isTrue(yield* eventually(() => streams(server)[0]!.closed))
      }))

    it.scopedLive("JSON that is not an error body, with no content type: SogniDecodeError at once", () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        server.handle = (req, res) => {
          if (!req.path.endsWith("/events/stream")) return runningRecord(res)
          res.writeHead(200)
          res.end(JSON.stringify({ workflow: { id: "wf_1", status: "running" } }))
        }
        const workflows = yield* workflowsOn(server.url)
        const error = yield* Effect.flip(Stream.runCollect(workflows.streamEvents("wf_1")).pipe(Effect.timeout("20 seconds")))
        assert.strictEqual(error._tag, "SogniDecodeError", String(error))
        assert.include(error.message, "not an error body")
        assert.strictEqual(server.requests.length, 1, "not retried, no record read")
      }))
  })
})
