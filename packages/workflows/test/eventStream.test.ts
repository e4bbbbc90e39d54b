/**
 * The resumable reader on its own, against an in-memory SSE source that cuts connections at random byte
 * offsets, splits the bytes into random chunks, re-sends events before the cursor and mixes in heartbeats:
 * every event comes out exactly once, in order, and the reader ends on the terminal status (also
 * `partial_failure`). Also: a source that never gets anywhere fails with `WorkflowStreamError`, and a clean
 * close of a finished workflow ends the stream.
 */
import { SogniError, Sse } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Fs from "node:fs"
import * as EventStream from "../src/internal/eventStream.js"
import * as Workflow from "../src/Workflow.js"
import type { WorkflowError } from "../src/WorkflowError.js"

const resume: EventStream.ResumeOptions = {
  maxReconnects: 1000,
  baseDelay: Duration.millis(0),
  maxDelay: Duration.millis(0),
  idleTimeout: Duration.seconds(5)
}

const frame = (n: number, total: number, terminal: string) => {
  const status = n === total ? terminal : "running"
  const type = n === total ? "workflow_completed" : "step_started"
  return `id: ${n}\nevent: ${type}\ndata: ${JSON.stringify({ id: String(n), sequence: n, type, status })}\n\n`
}

const encoder = new TextEncoder()

/** Splits bytes into chunks at the given cut points (positions modulo the length). */
const chunked = (bytes: Uint8Array, cuts: ReadonlyArray<number>) => {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let at = 0
  for (const p of [...points, bytes.length]) {
    if (p > at) out.push(bytes.subarray(at, p))
    at = Math.max(at, p)
  }
  return out
}

/** The bytes of `text`, then the connection breaks. */
const cutAfter = (text: string): Stream.Stream<Uint8Array, WorkflowError> =>
  Stream.concat(
    Stream.make(encoder.encode(text)),
    Stream.fail(new SogniError.SogniTransportError({ reason: "Closed", message: "cut" }))
  )

describe("resumable event reader", () => {
  it.effect("the reconnect delay is the backoff times a jitter factor drawn from Effect's Random", () =>
    Effect.gen(function*() {
      // Random.fixed([u]) draws u, so nextRange(0.8, 1.2) is 0.8 + 0.4·u
      for (const [u, expected] of [[0, 800], [0.75, 1100]] as const) {
        let connections = 0
        const open = (): Stream.Stream<Uint8Array, WorkflowError> => {
          connections++
          return connections === 1
            ? Stream.fail(new SogniError.SogniTransportError({ reason: "Http", message: "reset" }))
            : Stream.make(encoder.encode(frame(1, 1, "completed")))
        }
        const fiber = yield* EventStream.resumableEvents({
          workflowId: "wf_jitter",
          after: undefined,
          resume: { ...resume, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(10) },
          open,
          status: Effect.succeed("completed")
        }).pipe(Stream.runCollect, Effect.withRandom(Random.fixed([u])), Effect.fork)
        yield* TestClock.adjust(Duration.millis(expected - 1))
        assert.strictEqual(connections, 1, `no reconnect before ${expected} ms`)
        yield* TestClock.adjust(Duration.millis(1))
        const events = yield* Fiber.join(fiber)
        assert.strictEqual(connections, 2)
        assert.strictEqual(Chunk.size(events), 1)
      }
    }))

  it.live.prop(
    "random cuts, chunking, replays and heartbeats: every event exactly once, in order",
    {
      total: FastCheck.integer({ min: 1, max: 40 }),
      drops: FastCheck.array(FastCheck.integer({ min: 0, max: 3000 }), { maxLength: 25 }),
      splits: FastCheck.array(FastCheck.nat(), { maxLength: 12 }),
      replayExtra: FastCheck.boolean(),
      terminal: FastCheck.constantFrom("completed", "partial_failure", "failed", "cancelled")
    },
    ({ drops, replayExtra, splits, terminal, total }) =>
      Effect.gen(function*() {
        const budgets = [...drops]
        let connections = 0
        const open = (cursor: string | undefined): Stream.Stream<Uint8Array, WorkflowError> => {
          connections++
          const from = cursor === undefined ? 1 : Number(cursor) + (replayExtra ? 0 : 1)
          let text = ": keepalive\n\n"
          for (let n = Math.max(1, from); n <= total; n++) text += frame(n, total, terminal) + (n % 3 === 0 ? ": keepalive\n\n" : "")
          let bytes = encoder.encode(text)
          const budget = budgets.shift()
          const cut = budget !== undefined && budget < bytes.length
          if (cut) bytes = bytes.subarray(0, budget)
          const body = Stream.fromIterable(chunked(bytes, splits))
          return cut
            ? Stream.concat(body, Stream.fail(new SogniError.SogniTransportError({ reason: "Http", message: "reset" })))
            : body
        }
        const events = yield* EventStream.resumableEvents({
          workflowId: "wf_prop",
          after: undefined,
          resume,
          open,
          status: Effect.succeed(terminal)
        }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
        assert.deepStrictEqual(events.map((e) => e.id), Array.from({ length: total }, (_, i) => String(i + 1)))
        assert.strictEqual(events.at(-1)!.status, terminal)
        assert.isAtMost(connections, drops.length + 1)
      }),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect("cuts shorter than the next frame are drops without progress: the delay doubles to the cap, and the next new event resets it", () =>
    Effect.gen(function*() {
      // The soak's failure mode: event 2 is a large frame and the next six connections are cut before its end,
      // so nothing new arrives; the seventh connection delivers it. Random.fixed([0.5]) makes the jitter 1.0.
      const big = `id: 2\nevent: artifact_created\ndata: ${
        JSON.stringify({ id: "2", sequence: 2, type: "artifact_created", status: "running", note: "x".repeat(900) })
      }\n\n`
      const body = encoder.encode(`: keepalive\n\n${frame(1, 3, "completed")}${big}${frame(3, 3, "completed")}`)
      const heartbeatAndFirst = `: keepalive\n\n${frame(1, 3, "completed")}`.length
      const opens: Array<number> = []
      const open = (cursor: string | undefined): Stream.Stream<Uint8Array, WorkflowError> =>
        Effect.map(TestClock.currentTimeMillis, (now) => {
          opens.push(now)
          const skip = cursor === undefined ? 0 : heartbeatAndFirst
          const bytes = body.subarray(skip)
          const n = opens.length
          // 1st: heartbeat + event 1, cut inside event 2; 2nd..7th: cut inside event 2; 8th: the rest
          const cut = n === 1 ? heartbeatAndFirst + 40 : n <= 7 ? 13 + 40 * n : bytes.length
          const part = bytes.subarray(0, Math.min(cut, bytes.length))
          return cut >= bytes.length
            ? Stream.make(part)
            : Stream.concat(
              Stream.make(part),
              Stream.fail(new SogniError.SogniTransportError({ reason: "Closed", message: "cut" }))
            )
        }).pipe(Stream.unwrap)
      const fiber = yield* EventStream.resumableEvents({
        workflowId: "wf_cuts",
        after: undefined,
        resume: { ...resume, baseDelay: Duration.millis(100), maxDelay: Duration.millis(1000) },
        open,
        status: Effect.succeed("running")
      }).pipe(Stream.runCollect, Effect.withRandom(Random.fixed([0.5])), Effect.fork)
      yield* TestClock.adjust(Duration.seconds(10))
      const events = yield* Fiber.join(fiber)
      assert.deepStrictEqual(Chunk.toArray(events).map((e) => e.id), ["1", "2", "3"])
      const gaps = opens.slice(1).map((t, i) => t - opens[i]!)
      // after event 1 (progress): 100; then six drops in a row with nothing new: 200, 400, 800, 1000 (cap), 1000, 1000
      assert.deepStrictEqual(gaps, [100, 200, 400, 800, 1000, 1000, 1000])
    }))

  it.effect("the soak's failure: connections cut after a heartbeat keep the stream alive (the backoff stays at the base), however small maxReconnects", () =>
    Effect.gen(function*() {
      // Before the shared reader, only a NEW event renewed the budget: twelve heartbeat-only connections in a
      // row exhausted maxReconnects 2 although the server answered every time.
      const opens: Array<number> = []
      const open = (cursor: string | undefined): Stream.Stream<Uint8Array, WorkflowError> =>
        Effect.map(TestClock.currentTimeMillis, (now) => {
          opens.push(now)
          if (opens.length === 1) return cutAfter(frame(1, 2, "completed"))
          assert.strictEqual(cursor, "1")
          return opens.length <= 12 ? cutAfter(": keepalive\n\n") : Stream.make(encoder.encode(frame(2, 2, "completed")))
        }).pipe(Stream.unwrap)
      const fiber = yield* EventStream.resumableEvents({
        workflowId: "wf_heartbeats",
        after: undefined,
        resume: { ...resume, maxReconnects: 2, baseDelay: Duration.millis(100), maxDelay: Duration.millis(1000) },
        open,
        status: Effect.succeed("running")
      }).pipe(Stream.runCollect, Effect.withRandom(Random.fixed([0.5])), Effect.fork)
      yield* TestClock.adjust(Duration.seconds(5))
      const events = yield* Fiber.join(fiber)
      assert.deepStrictEqual(Chunk.toArray(events).map((e) => e.id), ["1", "2"])
      assert.deepStrictEqual(opens.slice(1).map((t, i) => t - opens[i]!), Array.from({ length: 12 }, () => 100))
    }))

  it.effect("drops after heartbeats are bounded by reconnectWindow: the stream fails Exhausted with the last id", () =>
    Effect.gen(function*() {
      let connections = 0
      const fiber = yield* EventStream.resumableEvents({
        workflowId: "wf_window",
        after: "4",
        resume: { ...resume, maxReconnects: 2, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(1), reconnectWindow: Duration.minutes(1) },
        open: () => {
          connections++
          return cutAfter(": keepalive\n\n")
        },
        status: Effect.succeed("running")
      }).pipe(Stream.runDrain, Effect.flip, Effect.withRandom(Random.fixed([0.5])), Effect.fork)
      yield* TestClock.adjust(Duration.seconds(59))
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust(Duration.seconds(2))
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "WorkflowStreamError")
      assert.deepInclude(error as object, { reason: "Exhausted", lastEventId: "4", workflowId: "wf_window" })
      assert.strictEqual(connections, 61)
    }))

  it.live("gives up with WorkflowStreamError after maxReconnects drops without progress", () =>
    Effect.gen(function*() {
      let connections = 0
      const error = yield* EventStream.resumableEvents({
        workflowId: "wf_dead",
        after: "7",
        resume: { ...resume, maxReconnects: 3 },
        open: () => {
          connections++
          return Stream.fail(new SogniError.SogniTransportError({ reason: "Connect", message: "refused" }))
        },
        status: Effect.succeed("running")
      }).pipe(Stream.runDrain, Effect.flip)
      assert.strictEqual(error._tag, "WorkflowStreamError")
      assert.deepInclude(error as object, { reason: "Exhausted", lastEventId: "7", workflowId: "wf_dead" })
      assert.strictEqual(connections, 4)
    }))

  it.live("a clean close with nothing new ends the stream once the workflow is terminal; non-retryable errors pass through", () =>
    Effect.gen(function*() {
      const events = yield* EventStream.resumableEvents({
        workflowId: "wf_done",
        after: "12",
        resume,
        open: () => Stream.make(encoder.encode(": keepalive\n\n")),
        status: Effect.succeed("partial_failure")
      }).pipe(Stream.runCollect)
      assert.strictEqual(Chunk.size(events), 0)
      const auth = yield* EventStream.resumableEvents({
        workflowId: "wf_auth",
        after: undefined,
        resume,
        open: () => Stream.fail(new SogniError.SogniAuthenticationError({ reason: "InvalidCredentials", message: "401" })),
        status: Effect.succeed("running")
      }).pipe(Stream.runDrain, Effect.flip)
      assert.strictEqual(auth._tag, "SogniAuthenticationError")
    }))

  it.live("a silent connection is dropped after the idle timeout and resumed", () =>
    Effect.gen(function*() {
      let connections = 0
      const events = yield* EventStream.resumableEvents({
        workflowId: "wf_idle",
        after: undefined,
        resume: { ...resume, idleTimeout: Duration.millis(50) },
        open: (cursor) => {
          connections++
          return cursor === undefined
            ? Stream.concat(Stream.make(encoder.encode(frame(1, 2, "completed"))), Stream.never)
            : Stream.make(encoder.encode(frame(2, 2, "completed")))
        },
        status: Effect.succeed("running")
      }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      assert.deepStrictEqual(events.map((e) => e.id), ["1", "2"])
      assert.strictEqual(connections, 2)
    }))

  it.live("interrupting the consumer closes the open connection", () =>
    Effect.gen(function*() {
      let released = 0
      const fiber = yield* EventStream.resumableEvents({
        workflowId: "wf_interrupt",
        after: undefined,
        resume,
        open: () =>
          Stream.concat(Stream.make(encoder.encode(frame(1, 5, "completed"))), Stream.never).pipe(
            Stream.ensuring(Effect.sync(() => released++))
          ),
        status: Effect.succeed("running")
      }).pipe(Stream.runDrain, Effect.fork)
      yield* Effect.sleep("30 millis")
      assert.strictEqual(released, 0)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(released, 1)
    }))

  it.live("a skipped frame never moves the cursor: after a cut the reader resumes from the last real event", () =>
    Effect.gen(function*() {
      const cursors: Array<string | undefined> = []
      // after event 1: junk with a bogus id (not JSON; JSON with no type; a sequence its id: contradicts;
      // another workflow's event), then the connection breaks
      const junk = [
        "id: 999\nevent: workflow_progress\ndata: not json\n\n",
        `id: 998\nevent: workflow_progress\ndata: ${JSON.stringify({ sequence: 998, status: "running" })}\n\n`,
        `id: 997\nevent: step_started\ndata: ${JSON.stringify({ sequence: 2, type: "step_started", status: "running" })}\n\n`,
        `id: 996\nevent: step_started\ndata: ${
          JSON.stringify({ id: "996", sequence: 996, workflowId: "wf_other", type: "step_started", status: "running" })
        }\n\n`
      ].join("")
      const events = yield* EventStream.resumableEvents({
        workflowId: "wf_bad",
        after: undefined,
        resume,
        open: (cursor) => {
          cursors.push(cursor)
          return cursor === undefined
            ? Stream.concat(
              Stream.make(encoder.encode(`${frame(1, 3, "completed")}${junk}`)),
              Stream.fail(new SogniError.SogniTransportError({ reason: "Http", message: "reset" }))
            )
            : Stream.make(encoder.encode(frame(2, 3, "completed") + frame(3, 3, "completed")))
        },
        status: Effect.succeed("running")
      }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      assert.deepStrictEqual(events.map((e) => e.id), ["1", "2", "3"])
      assert.deepStrictEqual(cursors, [undefined, "1"])
    }))

  it.effect("the protocol's transcript (fixtures/workflow-sse-transcript.txt): all seven events, in order, to the terminal one", () =>
    Effect.gen(function*() {
      // the wire bytes of both connections (a copy of the protocol fixture), without the commentary (#) and HTTP (> <) lines
      const wire = Fs.readFileSync(new URL("fixtures/workflow-sse-transcript.txt", import.meta.url), "utf8")
        .split("\n").filter((line) => !/^[#<>]/.test(line)).join("\n")
      const events = yield* EventStream.resumableEvents({
        workflowId: "wf_7f3a9c",
        after: undefined,
        resume,
        open: () => Stream.make(encoder.encode(wire)),
        status: Effect.succeed("cancelled")
      }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      assert.deepStrictEqual(events.map((e) => e.id), ["1", "2", "3", "4", "5", "6", "7"])
      assert.strictEqual(events[6]!.status, "cancelled")
    }))

  it("what a real event carries: a sequence its decimal id: line (when it has one) agrees with, a type its event: line names", () => {
    const event = (data: Record<string, unknown>) => Schema.decodeUnknownSync(Workflow.WorkflowEvent)(data)
    const frameOf = (id: string | undefined, name: string | undefined = "step_started"): Sse.Frame => ({
      id,
      event: name,
      data: "{}",
      leadingComment: false
    })
    const real = { id: "4", sequence: 4, workflowId: "wf_1", type: "step_started", status: "running" }
    assert.isUndefined(EventStream.problemOf("wf_1", event(real), frameOf("4")))
    assert.isUndefined(EventStream.problemOf("wf_1", event({ sequence: 4, type: "step_started" }), frameOf("4", undefined)))
    // an opaque id: is echoed back as it is
    assert.isUndefined(EventStream.problemOf("wf_1", event({ ...real, id: "evt-4" }), frameOf("evt-4")))
    assert.isUndefined(EventStream.problemOf("wf_1", event({ sequence: 4, type: "step_started" }), frameOf("evt-4")))
    // no id: line: read as the official client reads it, resumed from its sequence
    assert.isUndefined(EventStream.problemOf("wf_1", event(real), frameOf(undefined)))
    assert.isUndefined(EventStream.problemOf("wf_1", event({ sequence: 4, type: "step_started" }), frameOf(undefined)))
    assert.include(EventStream.problemOf("wf_1", event({ ...real, id: "9" }), frameOf(undefined)), "data id 9 is not its sequence 4")
    assert.include(EventStream.problemOf("wf_1", event({ ...real, id: undefined }), frameOf("5")), "is not its sequence 4")
    assert.include(EventStream.problemOf("wf_1", event({ ...real, id: "7" }), frameOf("4")), "data id 7")
    assert.include(EventStream.problemOf("wf_1", event(real), frameOf("4", "workflow_progress")), "is not its type")
    assert.include(EventStream.problemOf("wf_1", event({ ...real, workflowId: "wf_2" }), frameOf("4")), "wf_2")
    assert.include(EventStream.problemOf("wf_1", event({ id: "4", type: "step_started" }), frameOf("4")), "no sequence")
  })
})
