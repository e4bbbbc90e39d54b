/**
 * Core's SSE module: the frame parser gives the same frames however its input is split (property test over
 * random frames, line endings and split points), and the resumable reader, reading through `SogniRest.stream`
 * from a real loopback HTTP server that cuts each connection at an arbitrary byte offset, delivers every
 * event exactly once and in order. Also: heartbeats renew the reconnect budget, a server that keeps
 * hanging up after a heartbeat is given up on after `reconnectWindow`, malformed frames (and frames the
 * caller's `check` rejects) are skipped without moving the cursor, and
 * interrupting the consumer closes the connection on the server side.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { RetryPolicy, SogniConfig, SogniError, SogniRest, Sse } from "../src/index.js"

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

const fieldText = FastCheck.stringMatching(/^[a-z0-9 {}":,é🙂]{0,12}$/)

const frameArb = FastCheck.oneof(
  FastCheck.record({
    id: FastCheck.option(FastCheck.stringMatching(/^[0-9a-z]{1,6}$/), { nil: undefined }),
    event: FastCheck.option(FastCheck.stringMatching(/^[a-z_]{1,10}$/), { nil: undefined }),
    data: FastCheck.array(fieldText, { minLength: 1, maxLength: 3 }),
    comment: FastCheck.boolean()
  }),
  FastCheck.constant("heartbeat" as const)
)

type FrameSpec = typeof frameArb extends FastCheck.Arbitrary<infer T> ? T : never

const render = (spec: FrameSpec, eol: string): string => {
  if (spec === "heartbeat") return `: keepalive${eol}${eol}`
  let out = spec.comment ? `: note${eol}` : ""
  if (spec.id !== undefined) out += `id: ${spec.id}${eol}`
  if (spec.event !== undefined) out += `event:${spec.event}${eol}`
  out += "retry: 1000" + eol
  for (const line of spec.data) out += `data: ${line}${eol}`
  return out + eol
}

const expected = (spec: FrameSpec): Sse.Frame =>
  spec === "heartbeat"
    ? { id: undefined, event: undefined, data: undefined, leadingComment: true }
    : { id: spec.id, event: spec.event, data: spec.data.join("\n"), leadingComment: spec.comment }

const splitAt = (text: string, cuts: ReadonlyArray<number>): Array<string> => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const out: Array<string> = []
  let at = 0
  for (const p of [...points, text.length]) {
    out.push(text.slice(at, p))
    at = p
  }
  return out
}

describe("Sse.makeParser", () => {
  it.prop(
    "random frames, line endings and split points: the frames of the whole text, and no frame from an unfinished block",
    {
      frames: FastCheck.array(frameArb, { maxLength: 12 }),
      eol: FastCheck.constantFrom("\n", "\r\n", "\r"),
      cuts: FastCheck.array(FastCheck.nat(), { maxLength: 20 }),
      tail: FastCheck.stringMatching(/^(data|id): [a-z]{0,5}$/),
      bom: FastCheck.boolean()
    },
    ({ bom, cuts, eol, frames, tail }) => {
      // an unterminated block at the end (a cut connection) must never come out
      const text = (bom ? "\uFEFF" : "") + frames.map((f) => render(f, eol)).join("") + tail
      const parser = Sse.makeParser()
      const out = splitAt(text, cuts).flatMap((piece) => parser.feed(piece))
      assert.deepStrictEqual(out, frames.map(expected))
    },
    { fastCheck: { numRuns: 400 } }
  )

  it.prop(
    "each line with its own line end (LF, CR, CRLF), comments, id, retry, multi-line data: any split gives the frames of the whole text",
    {
      frames: FastCheck.array(frameArb, { maxLength: 10 }),
      eols: FastCheck.array(FastCheck.constantFrom("\n", "\r\n", "\r"), { minLength: 1, maxLength: 16 }),
      cuts: FastCheck.array(FastCheck.nat(), { maxLength: 30 })
    },
    ({ cuts, eols, frames }) => {
      // line k ends with eols[k % eols.length]: LF, CR and CRLF mixed inside one stream (an LF right after a
      // CR would join it into one CRLF line end, so that LF becomes a CRLF)
      let k = 0
      let previous = ""
      const text = frames.map((f) => render(f, "\n")).join("").replace(/\n/g, () => {
        const eol = eols[k++ % eols.length]!
        previous = previous === "\r" && eol === "\n" ? "\r\n" : eol
        return previous
      })
      const whole = Sse.makeParser().feed(text)
      assert.deepStrictEqual(whole, frames.map(expected))
      const parser = Sse.makeParser()
      assert.deepStrictEqual(splitAt(text, cuts).flatMap((piece) => parser.feed(piece)), whole)
      const byChar = Sse.makeParser()
      assert.deepStrictEqual([...text].flatMap((c) => byChar.feed(c)), whole)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("a CRLF split between two pieces ends one line, not two", () => {
    const parser = Sse.makeParser()
    const out = [...parser.feed("id: 7\r"), ...parser.feed("\ndata: a\r"), ...parser.feed("\ndata: b\r\n\r"), ...parser.feed("\n")]
    assert.deepStrictEqual(out, [{ id: "7", event: undefined, data: "a\nb", leadingComment: false }])
  })

  it("an event of exactly maxEventChars is read; one character more overflows", () => {
    // "data: " + 10 characters + "\n" = 17 characters of lines (the blank line that ends it is not counted)
    const event = `data: ${"y".repeat(10)}\n\n`
    assert.deepStrictEqual(Sse.makeParser(17).feed(event).map((f) => f.data), ["y".repeat(10)])
    const small = Sse.makeParser(16)
    assert.deepStrictEqual(small.feed(event), [])
    assert.isTrue(small.overflowed())
    assert.deepStrictEqual(small.feed("data: z\n\n"), [], "nothing is read after an overflow")
  })

  it("an event that never ends overflows after at most maxEventChars plus one piece, as one line or as many", () => {
    const bound = 1024 * 1024
    const size = 64 * 1024
    for (const piece of ["x".repeat(size), `data: ${"x".repeat(size - 7)}\n`]) {
      const parser = Sse.makeParser(bound)
      parser.feed("event: big\ndata: ")
      let fed = 0
      let pieces = 0
      while (!parser.overflowed() && pieces < 1000) {
        assert.deepStrictEqual(parser.feed(piece), [])
        fed += piece.length
        pieces++
      }
      assert.isTrue(parser.overflowed())
      assert.isAtMost(fed, bound + size, `overflowed after ${pieces} pieces`)
      assert.isAbove(fed, bound - size)
    }
  })

  it("a comment inside a block is skipped; a field without colon has an empty value; ids with NUL are ignored", () => {
    const parser = Sse.makeParser()
    const out = parser.feed("id: 1\n: mid\ndata\nid: a\u0000b\n\n")
    assert.deepStrictEqual(out, [{ id: "1", event: undefined, data: "", leadingComment: false }])
    assert.isTrue(Sse.isHeartbeat({ id: undefined, event: undefined, data: undefined, leadingComment: true }))
  })
})

// ---------------------------------------------------------------------------------------------
// The reader over a loopback server
// ---------------------------------------------------------------------------------------------

const Event = Schema.Struct({ sequence: Schema.Int, type: Schema.String })
type Event = typeof Event.Type

interface Log {
  /** The bytes of every event after `cursor`, with heartbeats between. */
  readonly body: (cursor: number) => string
}

const logOf = (total: number, options: { readonly malformedAt?: number } = {}): Log => ({
  body: (cursor) => {
    let text = ": hello\n\n"
    for (let n = cursor + 1; n <= total; n++) {
      const type = n === total ? "done" : "progress"
      const data = n === options.malformedAt ? "{not json" : JSON.stringify({ sequence: n, type, pad: "x".repeat(n % 7 * 10) })
      text += `id: ${n}\nevent: ${type}\ndata: ${data}\n\n`
      if (n % 4 === 0) text += ": keepalive\n\n"
    }
    return text
  }
})

interface Server {
  readonly url: string
  readonly connections: () => number
  readonly cursors: ReadonlyArray<number>
  readonly closedByClient: () => number
}

/**
 * An SSE server on a loopback port. Connection `i` sends `plan(i, cursor)`: the bytes to write and whether
 * to cut the socket after them (else the response ends cleanly, or stays open with `hold`).
 */
const serve = (
  plan: (connection: number, cursor: number) => { readonly text: string; readonly cut: boolean; readonly hold?: boolean }
) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly info: Server }>((resume) => {
      let connections = 0
      let closedByClient = 0
      const cursors: Array<number> = []
      const server = Http.createServer((req, res) => {
        const cursor = Number(req.headers["last-event-id"] ?? 0)
        cursors.push(cursor)
        const { cut, hold, text } = plan(connections++, cursor)
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
        res.flushHeaders()
        req.socket.setNoDelay(true)
        res.on("close", () => {
          if (!res.writableEnded) closedByClient++
        })
        res.write(text, () => {
          if (cut) req.socket.destroy()
          else if (!hold) res.end()
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({
          server,
          info: {
            url: `http://127.0.0.1:${port}`,
            connections: () => connections,
            cursors,
            closedByClient: () => closedByClient
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ info }) => info))

const restLayer = (url: string) =>
  SogniRest.layerFetch.pipe(
    Layer.provide(SogniConfig.layer({ restEndpoint: url, socketEndpoint: "ws://127.0.0.1:9", restRetries: 0 }))
  )

const policy: RetryPolicy.Options = { ...RetryPolicy.defaults, retries: 3, base: Duration.millis(2), cap: Duration.millis(10) }

const read = (options: {
  readonly settings?: Partial<Sse.Settings>
  readonly cursor?: number
  readonly check?: (event: Event, frame: Sse.Frame) => string | undefined
}) =>
  Effect.flatMap(SogniRest.SogniRest, (rest) =>
    Sse.resumable({
      label: "test log",
      cursor: options.cursor ?? 0,
      open: (after) =>
        rest.stream("rest", "/events", {
          auth: false,
          retry: false,
          headers: after > 0 ? { "last-event-id": String(after) } : {}
        }),
      schema: Event,
      check: options.check,
      advance: (after, event: Event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
      isTerminal: (event) => event.type === "done",
      giveUp: (exhausted) =>
        new SogniError.SogniTransportError({ reason: "Closed", message: exhausted.message, cause: exhausted.cause }),
      settings: { ...Sse.settings(policy), ...options.settings }
    }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
  )

const sequences = (events: ReadonlyArray<Event>) => events.map((e) => e.sequence)
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe("Sse.resumable over a loopback server", () => {
  it.live.prop(
    "connections cut at arbitrary byte offsets: every event exactly once, in order, then the end",
    {
      total: FastCheck.integer({ min: 1, max: 30 }),
      cuts: FastCheck.array(FastCheck.integer({ min: 0, max: 1500 }), { maxLength: 8 })
    },
    ({ cuts, total }) =>
      Effect.gen(function*() {
        const log = logOf(total)
        const server = yield* serve((i, cursor) => {
          const text = log.body(cursor)
          const at = cuts[i]
          return at !== undefined && at < text.length ? { text: text.slice(0, at), cut: true } : { text, cut: false }
        })
        // a cut before the first frame hears nothing: allow every cut in a row to be one
        const events = yield* read({ settings: { policy: { ...policy, retries: cuts.length + 1 } } }).pipe(
          Effect.provide(restLayer(server.url))
        )
        assert.deepStrictEqual(sequences(events), oneTo(total))
        assert.isAtMost(server.connections(), cuts.length + 1)
        // every reconnect resumed from the last event delivered before it
        for (const c of server.cursors) assert.isAtMost(c, total)
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 25 } }
  )

  it.live("heartbeats renew the budget: ten connections that each hear only a heartbeat before the cut, with retries 1", () =>
    Effect.gen(function*() {
      const log = logOf(5)
      const server = yield* serve((i, cursor) => (i < 10 ? { text: ": keepalive\n\n", cut: true } : { text: log.body(cursor), cut: false }))
      const events = yield* read({ settings: { policy: { ...policy, retries: 1 } } }).pipe(Effect.provide(restLayer(server.url)))
      assert.deepStrictEqual(sequences(events), oneTo(5))
      assert.strictEqual(server.connections(), 11)
    }).pipe(Effect.scoped))

  it.live("connections that hear nothing at all exhaust the budget: retries + 1 connections, then the giveUp error", () =>
    Effect.gen(function*() {
      const server = yield* serve(() => ({ text: "", cut: true }))
      const error = yield* read({ settings: { policy: { ...policy, retries: 2 } } }).pipe(
        Effect.provide(restLayer(server.url)),
        Effect.flip
      )
      assert.strictEqual(error._tag, "SogniTransportError")
      assert.include(error.message, "dropped 3 times in a row")
      assert.strictEqual(server.connections(), 3)
    }).pipe(Effect.scoped))

  it.live("a malformed event is skipped and a replayed one dropped; a clean close before the end resumes from the cursor", () =>
    Effect.gen(function*() {
      const log = logOf(6, { malformedAt: 3 })
      // first connection: events 1..4 (3 malformed), clean close; second: replays from 2 (a misbehaving server)
      const server = yield* serve((i) =>
        i === 0
          ? { text: log.body(0).split("id: 5")[0]!, cut: false }
          : { text: log.body(1), cut: false }
      )
      const events = yield* read({}).pipe(Effect.provide(restLayer(server.url)))
      assert.deepStrictEqual(sequences(events), [1, 2, 4, 5, 6])
      assert.deepStrictEqual(server.cursors, [0, 4])
    }).pipe(Effect.scoped))

  it.live("a frame check rejects is logged with its reason and skipped, and never moves the cursor", () => {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    return Effect.gen(function*() {
      const log = logOf(4)
      // first connection: event 1, then a frame whose sequence 50 is not its id: 7, then a cut
      const junk = `id: 7\nevent: progress\ndata: ${JSON.stringify({ sequence: 50, type: "progress" })}\n\n`
      const server = yield* serve((i, cursor) =>
        i === 0 ? { text: log.body(0).split("id: 2")[0]! + junk, cut: true } : { text: log.body(cursor), cut: false }
      )
      const events = yield* read({
        check: (event, frame) => (frame.id === String(event.sequence) ? undefined : `id: ${frame.id} is not ${event.sequence}`)
      }).pipe(Effect.provide(restLayer(server.url)))
      assert.deepStrictEqual(sequences(events), oneTo(4))
      assert.deepStrictEqual(server.cursors, [0, 1])
      assert.deepStrictEqual(warnings, ["sogni: test log: skipped a malformed event frame (id 7): id: 7 is not 50"])
    }).pipe(Effect.scoped, Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })

  it.live("interrupting the consumer closes the connection the server holds open", () =>
    Effect.gen(function*() {
      const log = logOf(10)
      const server = yield* serve(() => ({ text: log.body(0).split("id: 3")[0]!, cut: false, hold: true }))
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.flatMap(SogniRest.SogniRest, (rest) =>
        Sse.resumable({
          label: "held",
          cursor: 0,
          open: () => rest.stream("rest", "/events", { auth: false, retry: false }),
          schema: Event,
          advance: (after, event: Event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
          isTerminal: (event) => event.type === "done",
          giveUp: (exhausted) => exhausted.cause,
          settings: Sse.settings(policy)
        }).pipe(Stream.tap(() => Deferred.succeed(started, undefined)), Stream.runDrain)
      ).pipe(Effect.provide(restLayer(server.url)), Effect.fork)
      yield* Deferred.await(started)
      assert.strictEqual(server.closedByClient(), 0)
      yield* Fiber.interrupt(fiber)
      // the close reaches the server through the socket
      yield* Effect.sleep("100 millis").pipe(Effect.repeat({ until: () => server.closedByClient() === 1, times: 50 }))
      assert.strictEqual(server.closedByClient(), 1)
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------
// The budget on the TestClock
// ---------------------------------------------------------------------------------------------

describe("Sse.resumable budget", () => {
  const encoder = new TextEncoder()
  const cutAfter = (text: string): Stream.Stream<Uint8Array, SogniError.SogniTransportError> =>
    Stream.concat(
      Stream.make(encoder.encode(text)),
      Stream.fail(new SogniError.SogniTransportError({ reason: "Closed", message: "cut" }))
    )

  it.effect("a server that answers a heartbeat and hangs up, forever, is given up on after reconnectWindow", () =>
    Effect.gen(function*() {
      let connections = 0
      const fiber = yield* Sse.resumable({
        label: "hangs up",
        cursor: 0,
        open: () => {
          connections++
          return cutAfter(connections === 1 ? `data: ${JSON.stringify({ sequence: 1, type: "progress" })}\n\n` : ": hb\n\n")
        },
        schema: Event,
        advance: (after, event: Event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
        isTerminal: () => false,
        giveUp: (exhausted) => exhausted,
        settings: Sse.settings(
          { ...RetryPolicy.defaults, retries: 2, base: Duration.seconds(1), cap: Duration.seconds(1), jitter: 0 },
          { reconnectWindow: "30 seconds" }
        )
      }).pipe(Stream.runDrain, Effect.flip, Effect.fork)
      yield* TestClock.adjust("29 seconds")
      assert.isNull(fiber.unsafePoll(), "still trying inside the window")
      yield* TestClock.adjust("2 seconds")
      const failure = yield* Fiber.join(fiber)
      if (!("cursor" in failure)) return assert.fail(`expected the giveUp value, got ${failure._tag}`)
      const exhausted = failure
      assert.strictEqual(exhausted.reason, "Exhausted")
      assert.strictEqual(exhausted.cursor, 1)
      assert.include(exhausted.message, "without a new event")
      // one connection per second of the window (the backoff stays at base: each one heard a frame)
      assert.strictEqual(connections, 31)
    }))

  it.effect("a new event ends the run of drops: the window starts again", () =>
    Effect.gen(function*() {
      let connections = 0
      const events = yield* Effect.fork(Sse.resumable({
        label: "slow progress",
        cursor: 0,
        open: (after) => {
          connections++
          // a new event every 20 connections (20 s), 5 events in all: 100 s of drops, window 30 s
          const text = connections % 20 === 0
            ? `data: ${JSON.stringify({ sequence: after + 1, type: after + 1 === 5 ? "done" : "progress" })}\n\n`
            : ": hb\n\n"
          return cutAfter(text)
        },
        schema: Event,
        advance: (after, event: Event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
        isTerminal: (event) => event.type === "done",
        giveUp: (exhausted) => exhausted,
        settings: Sse.settings(
          { ...RetryPolicy.defaults, retries: 1, base: Duration.seconds(1), cap: Duration.seconds(1), jitter: 0 },
          { reconnectWindow: "30 seconds" }
        )
      }).pipe(Stream.runCollect))
      yield* TestClock.adjust("200 seconds")
      const out = Chunk.toReadonlyArray(yield* Fiber.join(events))
      assert.deepStrictEqual(sequences(out), oneTo(5))
    }))
})

describe("Sse.frames past maxEventBytes", () => {
  it.effect("the events completed in the same read as the oversized one are delivered before TooLarge", () =>
    Effect.gen(function*() {
      const seen: Array<string | undefined> = []
      // one read: two whole events, then an event far past the 64-byte limit that never ends
      const read = new TextEncoder().encode(`id: 1\ndata: one\n\nid: 2\ndata: two\n\ndata: ${"x".repeat(200)}`)
      const error = yield* Effect.flip(
        Stream.runForEach(Sse.frames(Stream.make(read), 64), (frame) => Effect.sync(() => void seen.push(frame.data)))
      )
      assert.deepStrictEqual(seen, ["one", "two"])
      assert.instanceOf(error, SogniError.SogniDecodeError)
      assert.strictEqual((error as SogniError.SogniDecodeError).reason, "TooLarge")
    }))

  it.effect("an endless event fails with TooLarge after the source gave at most maxEventBytes plus one read", () =>
    Effect.gen(function*() {
      const bound = 2 * 1024 * 1024
      const read = new TextEncoder().encode("x".repeat(64 * 1024))
      let reads = 0
      // a source that never stops: one event header, then bytes of the same line forever
      const source = Stream.concat(
        Stream.make(new TextEncoder().encode("id: 1\ndata: ")),
        Stream.repeatEffect(Effect.sync(() => {
          reads++
          return read
        }))
      )
      const error = yield* Effect.flip(Stream.runDrain(Sse.frames(source, bound)))
      assert.instanceOf(error, SogniError.SogniDecodeError)
      assert.strictEqual((error as SogniError.SogniDecodeError).reason, "TooLarge")
      assert.isAtMost(reads * read.length, bound + read.length, `${reads} reads`)
      assert.isAbove(reads * read.length, bound - read.length)
    }))

  it.effect("a read that stays under the limit is never failed, and the stream ends with its source", () =>
    Effect.gen(function*() {
      const chunks = ["data: a\n\n", "data: b\n", "\n"].map((s) => new TextEncoder().encode(s))
      const frames = yield* Stream.runCollect(Sse.frames(Stream.fromIterable(chunks), 64))
      assert.deepStrictEqual(Chunk.toReadonlyArray(frames).map((f) => f.data), ["a", "b"])
    }))
})
