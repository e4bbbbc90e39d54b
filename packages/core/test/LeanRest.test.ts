/**
 * LeanRest: the lean GET path keeps SogniRest's semantics (credential headers, envelope decoding, the
 * retry policy, the request timeout, typed errors, 401 invalidation), over a fetch given through
 * `FetchHttpClient.Fetch`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as LeanRest from "../src/LeanRest.js"
import { SogniAuth, SogniConfig, SogniRest } from "../src/index.js"

const API_KEY = "sk-live-lean-0123456789-SECRET"

interface Seen {
  readonly url: string
  readonly headers: Record<string, string>
}

/** A fetch that answers from `replies` in order (the last one repeats) and records each request. */
const fakeFetch = (replies: ReadonlyArray<(signal: AbortSignal) => Promise<Response>>) => {
  const seen: Array<Seen> = []
  const fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {}
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v))
    seen.push({ url: String(input), headers })
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)]!
    return reply(init!.signal!)
  }) as typeof globalThis.fetch
  return { seen, fetch }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } }))

const config = (settings: SogniConfig.SogniSettingsInput = {}) =>
  SogniConfig.layer({
    apiKey: Redacted.make(API_KEY),
    restEndpoint: "http://rest.test",
    socketEndpoint: "ws://socket.test:9000",
    restRetries: 2,
    restRetryBase: "1 millis",
    restRetryCap: "5 millis",
    ...settings
  })

const layer = (settings: SogniConfig.SogniSettingsInput = {}) =>
  SogniRest.layerWithAuth.pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.die("no HttpClient call expected")))),
    Layer.provideMerge(config(settings))
  )

/** The same GET through SogniRest over `FetchHttpClient` with the same fetch: its failure. */
const viaSogniRest = (fetch: typeof globalThis.fetch, settings?: SogniConfig.SogniSettingsInput) =>
  Effect.flip(
    Effect.flatMap(SogniRest.SogniRest, (rest) =>
      rest.get("rest", "/v1/image/downloadUrl", Body, { query: { jobId: "P", imageId: "I", type: "complete" } })).pipe(
        Effect.provide(
          SogniRest.layerWithAuth.pipe(
            Layer.provide(FetchHttpClient.layer),
            Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)),
            Layer.provide(config(settings))
          )
        )
      )
  )

const Body = Schema.Struct({ downloadUrl: Schema.String })

/** One lean GET as an effect (the test's own bridge from the callback). */
const getOnce = (fetch: typeof globalThis.fetch, settings?: SogniConfig.SogniSettingsInput) =>
  Effect.gen(function*() {
    const lean = yield* LeanRest.make
    return yield* Effect.async<Either.Either<{ readonly downloadUrl: string }, SogniRest.RestError>>((resume) => {
      lean.get("/v1/image/downloadUrl", { jobId: "P", imageId: "I", type: "complete" }, LeanRest.decoder(Body), (r) =>
        resume(Effect.succeed(r)))
    })
  }).pipe(Effect.provideService(FetchHttpClient.Fetch, fetch), Effect.provide(layer(settings)), Effect.scoped)

describe("LeanRest", () => {
  it.live("reads the envelope's data with the credential header and the query", () =>
    Effect.gen(function*() {
      const f = fakeFetch([json(200, { status: "success", data: { downloadUrl: "https://m/1.png" } })])
      const result = yield* getOnce(f.fetch)
      assert.deepStrictEqual(result, Either.right({ downloadUrl: "https://m/1.png" }))
      assert.strictEqual(f.seen[0]!.url, "http://rest.test/v1/image/downloadUrl?jobId=P&imageId=I&type=complete")
      assert.strictEqual(f.seen[0]!.headers["api-key"], API_KEY)
    }))

  it.live("retries a 503 under the policy, then succeeds", () =>
    Effect.gen(function*() {
      const f = fakeFetch([
        json(503, { status: "error", message: "busy" }),
        json(200, { status: "success", data: { downloadUrl: "https://m/2.png" } })
      ])
      const result = yield* getOnce(f.fetch)
      assert.deepStrictEqual(result, Either.right({ downloadUrl: "https://m/2.png" }))
      assert.strictEqual(f.seen.length, 2)
    }))

  it.live("gives up after the policy's retries with the API error", () =>
    Effect.gen(function*() {
      const f = fakeFetch([json(503, { status: "error", message: "busy", errorCode: 123 })])
      const result = yield* getOnce(f.fetch)
      assert.strictEqual(f.seen.length, 3) // the first attempt and restRetries: 2
      assert.isTrue(Either.isLeft(result))
      const error = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)!
      assert.strictEqual(error._tag, "SogniApiError")
      assert.strictEqual((error as { status?: number }).status, 503)
      assert.strictEqual(error.message, "busy")
    }))

  it.live("does not retry a 404, and a 401 fails with an authentication error and clears the credential", () =>
    Effect.gen(function*() {
      const notFound = fakeFetch([json(404, { status: "error", message: "no such job" })])
      const missing = yield* getOnce(notFound.fetch)
      assert.strictEqual(notFound.seen.length, 1)
      assert.strictEqual(Either.isLeft(missing) && missing.left._tag, "SogniApiError")

      const refused = fakeFetch([json(401, { status: "error", message: "bad key" })])
      const state = yield* Effect.gen(function*() {
        const lean = yield* LeanRest.make
        const auth = yield* SogniAuth.SogniAuth
        const result = yield* Effect.async<Either.Either<{ readonly downloadUrl: string }, SogniRest.RestError>>((resume) => {
          lean.get("/v1/image/downloadUrl", {}, LeanRest.decoder(Body), (r) => resume(Effect.succeed(r)))
        })
        // the invalidation runs in its own fiber: wait for it
        yield* Effect.sleep("20 millis")
        return { result, state: yield* auth.state }
      }).pipe(Effect.provideService(FetchHttpClient.Fetch, refused.fetch), Effect.provide(layer()), Effect.scoped)
      assert.strictEqual(Either.isLeft(state.result) && state.result.left._tag, "SogniAuthenticationError")
      assert.strictEqual(refused.seen.length, 1)
      assert.strictEqual(state.state._tag, "Unauthenticated")
    }))

  it.live("a host that never answers fails with a Timeout transport error within requestTimeout", () =>
    Effect.gen(function*() {
      const f = fakeFetch([(signal) =>
        new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))))
      ])
      const result = yield* getOnce(f.fetch, { requestTimeout: "30 millis", restRetries: 0 })
      assert.isTrue(Either.isLeft(result))
      const error = Either.isLeft(result) ? result.left : undefined
      assert.strictEqual(error?._tag, "SogniTransportError")
      assert.strictEqual((error as { reason?: string }).reason, "Timeout")
      assert.notInclude(error!.message, API_KEY)
    }))

  it.live("a body that is not the expected shape is a decode error naming the path, never the values", () =>
    Effect.gen(function*() {
      const f = fakeFetch([json(200, { status: "success", data: { downloadUrl: 42, secret: API_KEY } })])
      const result = yield* getOnce(f.fetch)
      assert.isTrue(Either.isLeft(result))
      const error = Either.isLeft(result) ? result.left : undefined
      assert.strictEqual(error?._tag, "SogniDecodeError")
      assert.include(error!.message, "downloadUrl")
      assert.notInclude(error!.message, API_KEY)
      const notJson = fakeFetch([() => Promise.resolve(new Response("<html>oops</html>", { status: 200 }))])
      const second = yield* getOnce(notJson.fetch)
      assert.strictEqual(Either.isLeft(second) && second.left._tag, "SogniDecodeError")
    }))

  it.live("the same answers fail the same way on the lean path and on SogniRest (one set of helpers words them)", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string, (signal: AbortSignal) => Promise<Response>, string]> = [
        ["not JSON", () => Promise.resolve(new Response("<html>oops</html>", { status: 200 })), "SogniDecodeError"],
        ["not an envelope", json(200, [1, 2]), "SogniDecodeError"],
        ["envelope status", json(200, { status: "pending", data: {} }), "SogniDecodeError"],
        ["data shape", json(200, { status: "success", data: { downloadUrl: 7 } }), "SogniDecodeError"],
        ["refused", () => Promise.reject(new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") })), "SogniTransportError"],
        ["API error", json(404, { status: "error", message: "no such job", errorCode: 44 }), "SogniApiError"],
        ["timeout", (signal) => new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))), "SogniTransportError"]
      ]
      const settings = { requestTimeout: "40 millis", restRetries: 0 } as const
      for (const [name, reply, tag] of cases) {
        const lean = yield* getOnce(fakeFetch([reply]).fetch, settings)
        const viaRest = yield* viaSogniRest(fakeFetch([reply]).fetch, settings)
        assert(Either.isLeft(lean), name)
        assert.strictEqual(lean.left._tag, tag, name)
        assert.strictEqual(viaRest._tag, tag, name)
        assert.strictEqual(lean.left.message, viaRest.message, name)
        assert.notInclude(lean.left.message, API_KEY, name)
      }
    }))

  it.live("a refused connection is a transport error after the policy's retries", () =>
    Effect.gen(function*() {
      const f = fakeFetch([() => Promise.reject(new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") }))])
      const result = yield* getOnce(f.fetch)
      assert.strictEqual(f.seen.length, 3)
      const error = Either.isLeft(result) ? result.left : undefined
      assert.strictEqual(error?._tag, "SogniTransportError")
      assert.include(error!.message, "ECONNREFUSED")
    }))
})
