import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { RetryPolicy, SogniConfig, SogniError, SogniRest } from "../src/index.js"
// SogniRest loads its exchange with the first request (a real module load, which no TestClock step
// covers); loaded here, so every test's first attempt starts when its fiber runs
import "../src/internal/restExchange.js"

// ---------------------------------------------------------------------------------------------
// A fake HttpClient: answers from a script and counts attempts
// ---------------------------------------------------------------------------------------------

type Answer =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | "transport-error"
  | "hang"

interface Recorder {
  attempts: number
  readonly requests: Array<HttpClientRequest.HttpClientRequest>
}

const fakeClient = (script: (attempt: number, request: HttpClientRequest.HttpClientRequest) => Answer) => {
  const recorder: Recorder = { attempts: 0, requests: [] }
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      recorder.attempts++
      recorder.requests.push(request)
      const answer = script(recorder.attempts, request)
      if (answer === "hang") return Effect.never
      if (answer === "transport-error") {
        return Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("ECONNRESET") })
        )
      }
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          request,
          new Response(answer.body ?? `{"status":"success","data":{"ok":true}}`, {
            status: answer.status,
            ...(answer.headers ? { headers: answer.headers } : {})
          })
        )
      )
    })
  )
  return { recorder, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const restLayer = (client: Layer.Layer<HttpClient.HttpClient>, settings: SogniConfig.SogniSettingsInput = {}) =>
  SogniRest.layerWithAuth.pipe(
    Layer.provide(client),
    Layer.provide(
      SogniConfig.layer({
        apiKey: Redacted.make("test-key"),
        restEndpoint: "http://rest.test",
        socketEndpoint: "ws://socket.test",
        restRetries: 4,
        restRetryBase: "100 millis",
        restRetryCap: "10 seconds",
        ...settings
      })
    )
  )

const Ok = Schema.Struct({ ok: Schema.Boolean })
const noJitter = { retry: { jitter: 0 } } as const

/** Forks a GET, and returns a probe of the attempt count after the clock moves. */
const forkGet = (options: SogniRest.RequestOptions = noJitter) =>
  Effect.flatMap(SogniRest.SogniRest, (rest) => Effect.fork(rest.get("rest", "/v1/thing", Ok, options)))

/** Lets forked fibers run, including real promise/IO callbacks (response bodies are read asynchronously). */
const settle = Effect.repeatN(
  Effect.zipRight(Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))), Effect.yieldNow()),
  10
)

/** Moves the clock by `ms` and lets the fiber run. */
const advance = (ms: number) => Effect.zipRight(TestClock.adjust(Duration.millis(ms)), settle)

describe("RetryPolicy with SogniRest", () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    it.effect(`retries ${status} with exponential delays 100, 200, 400, 800 ms`, () => {
      const { layer, recorder } = fakeClient(() => ({ status, body: "" }))
      return Effect.gen(function*() {
        const fiber = yield* forkGet()
        yield* settle
        assert.strictEqual(recorder.attempts, 1)
        yield* advance(99)
        assert.strictEqual(recorder.attempts, 1)
        yield* advance(1)
        assert.strictEqual(recorder.attempts, 2)
        yield* advance(199)
        assert.strictEqual(recorder.attempts, 2)
        yield* advance(1)
        assert.strictEqual(recorder.attempts, 3)
        yield* advance(400)
        assert.strictEqual(recorder.attempts, 4)
        yield* advance(799)
        assert.strictEqual(recorder.attempts, 4)
        yield* advance(1)
        assert.strictEqual(recorder.attempts, 5)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(error._tag, "SogniApiError")
        if (error._tag === "SogniApiError") assert.strictEqual(error.status, status)
        // no fifth retry
        yield* advance(60_000)
        assert.strictEqual(recorder.attempts, 5)
      }).pipe(Effect.provide(restLayer(layer)))
    })
  }

  for (const status of [400, 401, 403, 404, 409, 422]) {
    it.effect(`does not retry ${status}`, () => {
      const { layer, recorder } = fakeClient(() => ({ status, body: `{"status":"error","message":"no"}` }))
      return Effect.gen(function*() {
        const fiber = yield* forkGet()
        yield* advance(60_000)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(recorder.attempts, 1)
      }).pipe(Effect.provide(restLayer(layer)))
    })
  }

  it.effect("the delays cap at restRetryCap", () => {
    const { layer, recorder } = fakeClient(() => ({ status: 500 }))
    return Effect.gen(function*() {
      yield* forkGet()
      yield* settle
      yield* advance(100) // 2
      yield* advance(200) // 3
      assert.strictEqual(recorder.attempts, 3)
      yield* advance(249)
      assert.strictEqual(recorder.attempts, 3)
      yield* advance(1) // capped at 250 instead of 400
      assert.strictEqual(recorder.attempts, 4)
      yield* advance(250)
      assert.strictEqual(recorder.attempts, 5)
    }).pipe(Effect.provide(restLayer(layer, { restRetryCap: "250 millis" })))
  })

  it.effect("succeeds once a retry succeeds", () => {
    const { layer, recorder } = fakeClient((n) => (n < 3 ? { status: 503 } : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(100)
      yield* advance(200)
      const value = yield* Fiber.join(fiber)
      assert.deepStrictEqual(value, { ok: true })
      assert.strictEqual(recorder.attempts, 3)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("restRetries bounds the retries", () => {
    const { layer, recorder } = fakeClient(() => ({ status: 503 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(100)
      yield* advance(60_000)
      yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(recorder.attempts, 2)
    }).pipe(Effect.provide(restLayer(layer, { restRetries: 1 })))
  })

  it.effect("retries transport errors of idempotent requests", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? "transport-error" : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* settle
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(100)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { ok: true })
      assert.strictEqual(recorder.attempts, 2)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("a request that gets no answer times out and is retried", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? "hang" : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(999)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1) // timeout
      yield* advance(100) // backoff
      assert.strictEqual(recorder.attempts, 2)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { ok: true })
    }).pipe(Effect.provide(restLayer(layer, { requestTimeout: "1 second" })))
  })

  it.effect("no retry for a failure later than restRetryWindow after the first attempt began", () => {
    const { layer, recorder } = fakeClient(() => "hang")
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(1000) // attempt 1 times out at 1.0 s: inside the window, retried after 100 ms
      yield* advance(100)
      assert.strictEqual(recorder.attempts, 2)
      yield* advance(1000) // attempt 2 times out at 2.1 s: still inside, retried after 200 ms
      yield* advance(200)
      assert.strictEqual(recorder.attempts, 3)
      yield* advance(1000) // attempt 3 times out at 3.3 s: past the window, so it is the last one
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "SogniTransportError")
      if (error._tag === "SogniTransportError") assert.strictEqual(error.reason, "Timeout")
      yield* advance(60_000)
      assert.strictEqual(recorder.attempts, 3)
    }).pipe(Effect.provide(restLayer(layer, { requestTimeout: "1 second", restRetryWindow: "2500 millis" })))
  })

  it.effect("with the default window, a host that never answers costs one requestTimeout, not five", () => {
    const { layer, recorder } = fakeClient(() => "hang")
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(30_000)
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "SogniTransportError")
      assert.strictEqual(recorder.attempts, 1)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("a timeout fails with SogniTransportError Timeout", () => {
    const { layer } = fakeClient(() => "hang")
    return Effect.gen(function*() {
      const fiber = yield* forkGet({ retry: false })
      yield* advance(1000)
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "SogniTransportError")
      if (error._tag === "SogniTransportError") assert.strictEqual(error.reason, "Timeout")
    }).pipe(Effect.provide(restLayer(layer, { requestTimeout: "1 second" })))
  })

  it.effect("POST is not retried, neither on 503 nor on transport errors", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 503 } : "transport-error"))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const a = yield* Effect.fork(rest.post("rest", "/v1/thing", { a: 1 }, Ok))
      yield* advance(60_000)
      assert.strictEqual((yield* Effect.flip(Fiber.join(a)))._tag, "SogniApiError")
      const b = yield* Effect.fork(rest.post("rest", "/v1/thing", { a: 1 }, Ok))
      yield* advance(60_000)
      assert.strictEqual((yield* Effect.flip(Fiber.join(b)))._tag, "SogniTransportError")
      assert.strictEqual(recorder.attempts, 2)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("POST with an idempotency key is retried and sends the key", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 503 } : { status: 200 }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const fiber = yield* Effect.fork(
        rest.post("rest", "/v1/thing", { a: 1 }, Ok, { idempotencyKey: "key-1", retry: { jitter: 0 } })
      )
      yield* advance(100)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { ok: true })
      assert.strictEqual(recorder.attempts, 2)
      for (const r of recorder.requests) assert.strictEqual(r.headers["idempotency-key"], "key-1")
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("PUT and DELETE are retried", () => {
    const { layer, recorder } = fakeClient((n) => (n % 2 === 1 ? { status: 502 } : { status: 200 }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const put = yield* Effect.fork(rest.put("rest", "/v1/thing", { a: 1 }, Ok, noJitter))
      yield* advance(100)
      yield* Fiber.join(put)
      const del = yield* Effect.fork(rest.delete("rest", "/v1/thing", Ok, noJitter))
      yield* advance(100)
      yield* Fiber.join(del)
      assert.strictEqual(recorder.attempts, 4)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("honours Retry-After in seconds", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 429, headers: { "retry-after": "3" } } : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(2999)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1)
      assert.strictEqual(recorder.attempts, 2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("honours Retry-After as an HTTP-date", () => {
    // the TestClock starts at the epoch
    const date = new Date(5_000).toUTCString()
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 503, headers: { "retry-after": date } } : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(4999)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1)
      assert.strictEqual(recorder.attempts, 2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("honours retry-after-ms over Retry-After", () => {
    const { layer, recorder } = fakeClient((n) =>
      n === 1 ? { status: 429, headers: { "retry-after-ms": "250", "retry-after": "9" } } : { status: 200 }
    )
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(249)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1)
      assert.strictEqual(recorder.attempts, 2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("prefers the body's retryAfter over the headers and exposes it on the error", () => {
    const { layer, recorder } = fakeClient(() => ({
      status: 429,
      headers: { "retry-after": "9", "content-type": "application/json" },
      body: `{"status":"error","message":"slow down","errorCode":429,"retryAfter":2}`
    }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(1999)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1)
      assert.strictEqual(recorder.attempts, 2)
      yield* advance(60_000)
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.instanceOf(error, SogniError.SogniApiError)
      if (error._tag === "SogniApiError") {
        assert.strictEqual(error.reason, "RateLimited")
        assert.strictEqual(error.retryAfterMillis, 2000)
        assert.deepStrictEqual(error.retryAfter, Option.some(Duration.millis(2000)))
      }
    }).pipe(Effect.provide(restLayer(layer, { restRetries: 1 })))
  })

  it.effect("caps a server-requested delay at retryAfterCap (60 s)", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 503, headers: { "retry-after": "3600" } } : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(59_999)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1)
      assert.strictEqual(recorder.attempts, 2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(restLayer(layer)))
  })

  it.effect("retryAfterCap is configurable", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 503, headers: { "retry-after": "30" } } : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet()
      yield* advance(4_999)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1)
      assert.strictEqual(recorder.attempts, 2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(restLayer(layer, { retryAfterCap: "5 seconds" })))
  })

  it.effect("jitter keeps each backoff within [1 - j, 1 + j] of the nominal delay", () => {
    const { layer, recorder } = fakeClient((n) => (n === 1 ? { status: 500 } : { status: 200 }))
    return Effect.gen(function*() {
      const fiber = yield* forkGet({ retry: { jitter: 0.5, base: Duration.seconds(1) } })
      yield* advance(499)
      assert.strictEqual(recorder.attempts, 1)
      yield* advance(1001)
      assert.strictEqual(recorder.attempts, 2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(restLayer(layer)))
  })
})

describe("RetryPolicy functions", () => {
  it("parses Retry-After values", () => {
    assert.deepStrictEqual(RetryPolicy.parseRetryAfter("7", 0), Option.some(Duration.millis(7000)))
    assert.deepStrictEqual(
      RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2015, 9, 21, 7, 27, 30)),
      Option.some(Duration.millis(30_000))
    )
    // a date in the past means "now"
    assert.deepStrictEqual(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2016, 0, 1)), Option.some(Duration.zero))
    assert.isTrue(Option.isNone(RetryPolicy.parseRetryAfter("soon", 0)))
    assert.isTrue(Option.isNone(RetryPolicy.parseRetryAfter("-5", 0)))
  })

  it("takes the body first, then retry-after-ms, then Retry-After", () => {
    const now = 0
    assert.deepStrictEqual(
      RetryPolicy.requestedDelayOf({ bodyRetryAfter: 1, headers: { "retry-after-ms": "5", "retry-after": "9" } }, now),
      Option.some(Duration.millis(1000))
    )
    assert.deepStrictEqual(
      RetryPolicy.requestedDelayOf({ headers: { "Retry-After-Ms": "5", "retry-after": "9" } }, now),
      Option.some(Duration.millis(5))
    )
    assert.deepStrictEqual(RetryPolicy.requestedDelayOf({ headers: { "Retry-After": "9" } }, now), Option.some(Duration.millis(9000)))
    assert.isTrue(Option.isNone(RetryPolicy.requestedDelayOf({ headers: {} }, now)))
  })

  it("classifies methods, statuses and errors", () => {
    for (const m of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "get"]) assert.isTrue(RetryPolicy.isIdempotent(m))
    assert.isFalse(RetryPolicy.isIdempotent("POST"))
    assert.isFalse(RetryPolicy.isIdempotent("PATCH"))
    assert.isTrue(RetryPolicy.isIdempotent("POST", "k"))
    for (const s of [408, 429, 500, 502, 503, 504, 599]) assert.isTrue(RetryPolicy.isRetryableStatus(s))
    for (const s of [200, 400, 401, 403, 404, 409, 423]) assert.isFalse(RetryPolicy.isRetryableStatus(s))
    assert.isTrue(RetryPolicy.isRetryable(new SogniError.SogniTransportError({ reason: "Connect", message: "x" })))
    assert.isFalse(RetryPolicy.isRetryable(new SogniError.SogniAuthenticationError({ reason: "InvalidCredentials", message: "x" })))
    assert.isFalse(RetryPolicy.isRetryable(new Error("plain")))
  })

  it("computes capped exponential delays and caps server delays", () => {
    const options = { ...RetryPolicy.defaults, base: Duration.millis(100), cap: Duration.millis(1000), jitter: 0 }
    const delays = [0, 1, 2, 3, 4, 5].map((n) => Duration.toMillis(RetryPolicy.delayFor(undefined, n, options, 0.5)))
    assert.deepStrictEqual(delays, [100, 200, 400, 800, 1000, 1000])
    const asked = new SogniError.SogniApiError({
      reason: "RateLimited",
      status: 429,
      message: "x",
      method: "GET",
      url: "u",
      retryAfterMillis: 120_000
    })
    assert.strictEqual(Duration.toMillis(RetryPolicy.delayFor(asked, 0, options, 0.99)), 60_000)
  })

  // the exported schedule and `retry` (which steps the same policy by hand) make the same decisions
  const drivers = [
    ["the exported schedule can drive any effect", (self, options) => Effect.retry(self, RetryPolicy.schedule(options))],
    ["retry makes the schedule's decisions on any effect", (self, options) => RetryPolicy.retry(self, options)]
  ] as const satisfies ReadonlyArray<
    readonly [string, <A, E>(self: Effect.Effect<A, E>, options: RetryPolicy.Options) => Effect.Effect<A, E>]
  >
  for (const [name, drive] of drivers) it.effect(name, () =>
    Effect.gen(function*() {
      let runs = 0
      const failing = Effect.suspend(() => {
        runs++
        return Effect.fail(new SogniError.SogniTransportError({ reason: "Connect", message: "down" }))
      })
      const options = { ...RetryPolicy.defaults, retries: 2, base: Duration.seconds(1), jitter: 0 }
      const fiber = yield* Effect.fork(drive(failing, options))
      yield* settle
      assert.strictEqual(runs, 1)
      yield* advance(1000)
      assert.strictEqual(runs, 2)
      yield* advance(2000)
      assert.strictEqual(runs, 3)
      yield* Effect.flip(Fiber.join(fiber))
      // non-retryable errors stop at once
      let other = 0
      yield* Effect.flip(
        drive(
          Effect.suspend(() => {
            other++
            return Effect.fail(new SogniError.SogniDecodeError({ reason: "Body", message: "bad" }))
          }),
          options
        )
      )
      assert.strictEqual(other, 1)
    }))
})
