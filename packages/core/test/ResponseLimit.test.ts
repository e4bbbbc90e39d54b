/**
 * `maxResponseBytes` against a hostile server on a loopback port: a body that never ends (the server keeps
 * writing until the client goes away), a `content-length` far above the limit, and a server-sent event that
 * never ends. Each fails with `SogniDecodeError` reason `TooLarge` naming the setting, without a retry, and
 * the server sees its socket closed (the client stopped reading instead of buffering what it was sent). A
 * body of exactly the limit is still read. Checked on LeanRest over Node's http and over fetch, on
 * SogniRest (JSON and bytes), and on `Sse.frames` / `Sse.resumable`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as LeanRest from "../src/LeanRest.js"
import { RetryPolicy, SogniConfig, SogniError, SogniRest, Sse } from "../src/index.js"

const LIMIT = 256 * 1024
/** `maxDownloadBytes` in these tests: whole downloads (`getBytes`) may be larger than an answer. */
const DOWNLOAD_LIMIT = 4 * LIMIT
/** The length of the URL in the `/exact` route's envelope (the envelope is exactly {@link LIMIT} bytes). */
const EXACT_URL = LIMIT - `{"status":"success","data":{"downloadUrl":""}}`.length
/** The most a hostile route writes before it gives up (the test's own bound; far above the limit). */
const SERVER_CAP = 512 * 1024 * 1024

interface Hostile {
  readonly url: string
  /** Requests seen, by path. */
  readonly hits: (path: string) => number
  /** Resolves when the response to the first request on `path` is closed (by the client or by its end). */
  readonly closed: (path: string) => Effect.Effect<{ readonly bytesWritten: number; readonly finished: boolean }>
}

/** Writes `chunk` forever (up to {@link SERVER_CAP}), honouring back-pressure, until the socket closes. */
const pour = (res: ServerResponse, chunk: Buffer, written: { n: number }) => {
  const more = () => {
    while (!res.destroyed && written.n < SERVER_CAP) {
      written.n += chunk.length
      if (!res.write(chunk)) return void res.once("drain", more)
    }
    if (!res.destroyed) res.end()
  }
  more()
}

/** A server whose routes misbehave as a hostile one would; closed with the scope. */
const hostile = Effect.acquireRelease(
  Effect.async<{ readonly hostile: Hostile; readonly close: () => Promise<void> }>((resume) => {
    const hits = new Map<string, number>()
    const closes = new Map<string, Deferred.Deferred<{ readonly bytesWritten: number; readonly finished: boolean }>>()
    const closeOf = (path: string) => {
      let d = closes.get(path)
      if (d === undefined) {
        d = Deferred.unsafeMake(undefined as never)
        closes.set(path, d)
      }
      return d
    }
    const kib = Buffer.alloc(64 * 1024, "x")
    const server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0]!
      hits.set(path, (hits.get(path) ?? 0) + 1)
      const written = { n: 0 }
      res.on("close", () =>
        Deferred.unsafeDone(closeOf(path), Effect.succeed({ bytesWritten: written.n, finished: res.writableFinished })))
      switch (path) {
        case "/endless": {
          // a JSON body that opens and never closes
          res.writeHead(200, { "content-type": "application/json" })
          written.n += 30
          res.write(`{"status":"success","data":"`)
          return pour(res, kib, written)
        }
        case "/declared": {
          // claims a gigabyte, sends a little, and waits
          res.writeHead(200, { "content-type": "application/json", "content-length": String(1024 * 1024 * 1024) })
          written.n += 1024
          res.write(Buffer.alloc(1024, " "))
          return
        }
        case "/error-endless": {
          // an error status whose body never ends
          res.writeHead(500, { "content-type": "text/plain" })
          return pour(res, kib, written)
        }
        case "/download": {
          // a result of three times the answer limit, under the download limit, chunked
          res.writeHead(200, { "content-type": "application/octet-stream" })
          for (let i = 0; i < 3 * LIMIT; i += kib.length) res.write(kib)
          written.n = 3 * LIMIT
          return void res.end()
        }
        case "/download-error": {
          // an error page for a download that never ends
          res.writeHead(403, { "content-type": "text/plain" })
          return pour(res, kib, written)
        }
        case "/exact": {
          // exactly LIMIT bytes of envelope, chunked (no content-length), in small writes
          const head = `{"status":"success","data":{"downloadUrl":"`
          const tail = `"}}`
          const body = Buffer.from(head + "u".repeat(LIMIT - head.length - tail.length) + tail)
          res.writeHead(200, { "content-type": "application/json" })
          for (let at = 0; at < body.length; at += 10_000) res.write(body.subarray(at, at + 10_000))
          written.n = body.length
          return void res.end()
        }
        case "/sse-endless": {
          // one good event, then an event whose data line never ends
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(`id: 1\ndata: {"sequence":1,"type":"hello"}\n\n: ping\n\ndata: {"sequence":2,"type":"`)
          return pour(res, kib, written)
        }
        case "/sse-lines": {
          // an event of endless short data lines: every line ends, the event never does
          res.writeHead(200, { "content-type": "text/event-stream" })
          return pour(res, Buffer.from("data: x\n".repeat(8 * 1024)), written)
        }
        case "/sse-exact": {
          // many events, each under the limit, adding up to far more than the limit
          res.writeHead(200, { "content-type": "text/event-stream" })
          const event = `data: {"sequence":0,"type":"${"t".repeat(LIMIT / 2)}"}\n\n`
          for (let i = 0; i < 8; i++) res.write(event)
          written.n = event.length * 8
          return void res.end()
        }
        default:
          res.writeHead(404).end()
      }
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({
        hostile: {
          url: `http://127.0.0.1:${port}`,
          hits: (path) => hits.get(path) ?? 0,
          closed: (path) =>
            Deferred.await(closeOf(path)).pipe(
              Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`${path}: the server's socket stayed open`) }),
              Effect.orDie
            )
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      }))
    })
  }),
  ({ close }) => Effect.promise(close)
).pipe(Effect.map(({ hostile }) => hostile))

const config = (restEndpoint: string) =>
  SogniConfig.layer({
    apiKey: Redacted.make("sk-live-limit-0123456789"),
    restEndpoint,
    socketEndpoint: "ws://socket.test:9000",
    maxResponseBytes: LIMIT,
    maxDownloadBytes: DOWNLOAD_LIMIT,
    restRetries: 3,
    restRetryBase: "1 millis",
    restRetryCap: "5 millis"
  })

/** SogniRest (with its auth) over the real global fetch. */
const restLayer = (url: string) =>
  SogniRest.layerWithAuth.pipe(Layer.provide(FetchHttpClient.layer), Layer.provideMerge(config(url)))

const Body = Schema.Struct({ downloadUrl: Schema.String })

/** One lean GET of `path`, its result. */
const leanGet = (lean: LeanRest.LeanRestService, path: string) =>
  Effect.async<Either.Either<{ readonly downloadUrl: string }, SogniRest.RestError>>((resume) => {
    lean.get(path, {}, LeanRest.decoder(Body), (r) => resume(Effect.succeed(r)))
  })

/** LeanRest over Node's own http (no fetch in the context) or over the global fetch. */
const withLean = <A, E>(url: string, via: "node" | "fetch", body: (lean: LeanRest.LeanRestService) => Effect.Effect<A, E>) =>
  Effect.flatMap(LeanRest.make, body).pipe(
    Effect.provide(
      via === "node" ? restLayer(url) : Layer.merge(restLayer(url), Layer.succeed(FetchHttpClient.Fetch, globalThis.fetch))
    ),
    Effect.scoped
  )

const assertTooLarge = (error: unknown, setting = "maxResponseBytes", limit = LIMIT) => {
  assert.instanceOf(error, SogniError.SogniDecodeError)
  const e = error as SogniError.SogniDecodeError
  assert.strictEqual(e.reason, "TooLarge")
  assert.include(e.message, `${setting} (${limit} bytes)`)
  assert.isFalse(RetryPolicy.isRetryable(e))
}

const leftOf = <A, E>(result: Either.Either<A, E>): E => {
  if (Either.isRight(result)) assert.fail("expected a failure")
  return (result as Either.Left<E, A>).left
}

describe.each(["node", "fetch"] as const)("LeanRest over %s against a hostile server", (via) => {
  it.scopedLive("a body that never ends fails TooLarge, once, and the server sees its socket closed", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const result = yield* withLean(h.url, via, (lean) => leanGet(lean, "/endless"))
      assertTooLarge(leftOf(result))
      const closed = yield* h.closed("/endless")
      assert.isFalse(closed.finished)
      assert.isBelow(closed.bytesWritten, SERVER_CAP)
      assert.strictEqual(h.hits("/endless"), 1) // not retried
    }))

  it.scopedLive("a content-length far above the limit fails TooLarge before the body is read", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const result = yield* withLean(h.url, via, (lean) => leanGet(lean, "/declared"))
      assertTooLarge(leftOf(result))
      const closed = yield* h.closed("/declared")
      assert.isFalse(closed.finished)
      assert.strictEqual(h.hits("/declared"), 1)
    }))

  it.scopedLive("an error status with an endless body fails TooLarge too", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const result = yield* withLean(h.url, via, (lean) => leanGet(lean, "/error-endless"))
      assertTooLarge(leftOf(result))
      assert.isFalse((yield* h.closed("/error-endless")).finished)
    }))

  it.scopedLive("a body of exactly the limit is read; other requests of the service are unaffected", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const [exact, endless, again] = yield* withLean(h.url, via, (lean) =>
        Effect.all([leanGet(lean, "/exact"), leanGet(lean, "/endless"), leanGet(lean, "/exact")], { concurrency: "unbounded" }))
      assert.isTrue(Either.isRight(exact))
      assert.strictEqual(Either.getOrThrow(exact).downloadUrl.length, EXACT_URL)
      assertTooLarge(leftOf(endless))
      assert.deepStrictEqual(again, exact)
    }))
})

describe("SogniRest against a hostile server", () => {
  it.scopedLive("a JSON body that never ends fails TooLarge, not retried, and the server sees its socket closed", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const error = yield* Effect.flip(
        Effect.flatMap(SogniRest.SogniRest, (rest) => rest.get("rest", "/endless", Schema.Unknown)).pipe(
          Effect.provide(restLayer(h.url))
        )
      )
      assertTooLarge(error)
      assert.isFalse((yield* h.closed("/endless")).finished)
      assert.strictEqual(h.hits("/endless"), 1)
    }))

  it.scopedLive("a content-length far above the limit fails TooLarge before the body is read", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const error = yield* Effect.flip(
        Effect.flatMap(SogniRest.SogniRest, (rest) => rest.get("rest", "/declared", Schema.Unknown)).pipe(
          Effect.provide(restLayer(h.url))
        )
      )
      assertTooLarge(error)
      assert.isFalse((yield* h.closed("/declared")).finished)
    }))

  it.scopedLive("getBytes of an endless download and an error status with an endless body fail TooLarge", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const [bytes, status] = yield* Effect.flatMap(SogniRest.SogniRest, (rest) =>
        Effect.all([
          Effect.flip(rest.getBytes(`${h.url}/endless?sig=secret`)),
          Effect.flip(rest.get("rest", "/error-endless", Schema.Unknown))
        ], { concurrency: "unbounded" })).pipe(Effect.provide(restLayer(h.url)))
      // a download is bounded by maxDownloadBytes, not by the answer limit
      assertTooLarge(bytes, "maxDownloadBytes", DOWNLOAD_LIMIT)
      assert.notInclude(bytes.message, "secret")
      assertTooLarge(status)
      assert.isFalse((yield* h.closed("/endless")).finished)
      assert.isFalse((yield* h.closed("/error-endless")).finished)
    }))

  it.scopedLive("getBytes reads a result larger than maxResponseBytes whole; a download's endless error page stops at maxResponseBytes", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const [bytes, page, own] = yield* Effect.flatMap(SogniRest.SogniRest, (rest) =>
        Effect.all([
          rest.getBytes(`${h.url}/download?sig=secret`),
          Effect.flip(rest.getBytes(`${h.url}/download-error?sig=secret`)),
          // a caller's own bound wins, and the error names it
          Effect.flip(rest.getBytes(`${h.url}/endless?sig=secret`, { maxBytes: LIMIT / 2 }))
        ], { concurrency: "unbounded" })).pipe(Effect.provide(restLayer(h.url)))
      assert.strictEqual(bytes.length, 3 * LIMIT)
      assertTooLarge(page)
      assert.isFalse((yield* h.closed("/download-error")).finished)
      assertTooLarge(own, "maxBytes", LIMIT / 2)
    }))

  it.scopedLive("a body of exactly the limit is read", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const body = yield* Effect.flatMap(SogniRest.SogniRest, (rest) => rest.get("rest", "/exact", Body)).pipe(
        Effect.provide(restLayer(h.url))
      )
      assert.strictEqual(body.downloadUrl.length, EXACT_URL)
    }))
})

describe("Sse against a hostile server", () => {
  const framesOf = (url: string, path: string) =>
    Effect.flatMap(SogniRest.SogniRest, (rest) =>
      Effect.gen(function*() {
        const seen: Array<Sse.Frame> = []
        const error = yield* Effect.flip(
          Stream.runForEach(Sse.frames(rest.stream("rest", path, { retry: false }), LIMIT), (frame) =>
            Effect.sync(() => void seen.push(frame)))
        )
        return { seen, error }
      })).pipe(Effect.provide(restLayer(url)))

  it.scopedLive("an event that never ends fails TooLarge after the events before it, and the connection is dropped", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const { error, seen } = yield* framesOf(h.url, "/sse-endless")
      assertTooLarge(error)
      assert.deepStrictEqual(seen.filter((f) => f.data !== undefined).map((f) => f.data), [`{"sequence":1,"type":"hello"}`])
      assert.isFalse((yield* h.closed("/sse-endless")).finished)
    }))

  it.scopedLive("an event of endless complete lines is one event too large", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const { error, seen } = yield* framesOf(h.url, "/sse-lines")
      assertTooLarge(error)
      assert.deepStrictEqual(seen, [])
      assert.isFalse((yield* h.closed("/sse-lines")).finished)
    }))

  it.scopedLive("events under the limit add up to any size", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const frames = yield* Effect.flatMap(SogniRest.SogniRest, (rest) =>
        Stream.runCollect(Sse.frames(rest.stream("rest", "/sse-exact", { retry: false }), LIMIT))).pipe(
          Effect.provide(restLayer(h.url))
        )
      assert.strictEqual(frames.length, 8)
    }))

  it.scopedLive("a stream's onHeaders sees the success answer's headers once, before its first byte; none for an error answer", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const log: Array<string> = []
      const onHeaders = (headers: Readonly<Record<string, string>>) =>
        Effect.sync(() => void log.push(`headers ${headers["content-type"]}`))
      const failed = yield* Effect.flatMap(SogniRest.SogniRest, (rest) =>
        Effect.gen(function*() {
          yield* Stream.runForEach(
            rest.stream("rest", "/sse-exact", { retry: false, onHeaders }),
            () => Effect.sync(() => void (log.at(-1) !== "bytes" && log.push("bytes")))
          )
          return yield* Effect.flip(Stream.runDrain(rest.stream("rest", "/error-endless", { retry: false, onHeaders })))
        })).pipe(Effect.provide(restLayer(h.url)))
      assert.deepStrictEqual(log, ["headers text/event-stream", "bytes"])
      assert.strictEqual(failed._tag, "SogniDecodeError")
    }))

  it.scopedLive("Sse.resumable gives up at once on an event that never ends (no reconnect into it)", () =>
    Effect.gen(function*() {
      const h = yield* hostile
      const Event = Schema.Struct({ sequence: Schema.Int, type: Schema.String })
      const delivered: Array<number> = []
      const outcome = yield* Effect.flatMap(SogniRest.SogniRest, (rest) =>
        Effect.flip(Stream.runForEach(
          Sse.resumable({
            label: "hostile",
            cursor: 0,
            open: () => rest.stream("rest", "/sse-endless", { retry: false }),
            schema: Event,
            advance: (after, event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
            isTerminal: () => false,
            giveUp: (exhausted) => exhausted,
            settings: Sse.settings({ ...RetryPolicy.defaults, retries: 5, base: Duration.millis(1), cap: Duration.millis(2) }, {
              maxEventBytes: LIMIT
            })
          }),
          (event) => Effect.sync(() => void delivered.push(event.sequence))
        ))).pipe(Effect.provide(restLayer(h.url)))
      assert.deepStrictEqual(delivered, [1])
      assert.isFalse(SogniError.isSogniError(outcome))
      const exhausted = outcome as Sse.Exhausted<number, SogniRest.RestError>
      assert.deepStrictEqual(exhausted.cause, { _tag: "Dropped", kind: "TooLarge" })
      assert.strictEqual(exhausted.cursor, 1)
      assert.include(exhausted.message, "maxResponseBytes")
      assert.strictEqual(h.hits("/sse-endless"), 1)
      assert.isFalse((yield* h.closed("/sse-endless")).finished)
    }))
})
