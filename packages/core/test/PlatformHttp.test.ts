/**
 * PlatformHttp: the platform's tags by key are the platform's tags, and `fetchLayer`'s client (the platform
 * fetch client built on the first request) sends, fails and reads `Fetch`/`RequestInit` as
 * `FetchHttpClient.layer` does, over a real loopback server.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PlatformHttp from "../src/PlatformHttp.js"

/** A loopback server answering `GET /status/<n>` with status n and a JSON body naming the request. */
const server = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly server: Server; readonly seen: Array<IncomingMessage> }>((resume) => {
    const seen: Array<IncomingMessage> = []
    const s = createServer((req, res) => {
      seen.push(req)
      const status = Number(/^\/status\/(\d+)/.exec(req.url ?? "")?.[1] ?? 200)
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify({ method: req.method, url: req.url, marker: req.headers["x-marker"] ?? null }))
    })
    s.listen(0, "127.0.0.1", () => resume(Effect.succeed({ url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s, seen })))
  }),
  ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
)

const lazyClient = Effect.provide(PlatformHttp.HttpClient, PlatformHttp.fetchLayer)

describe("PlatformHttp", () => {
  it("its tags are the platform's: a service provided under one is found under the other", () => {
    assert.strictEqual(PlatformHttp.HttpClient.key, HttpClient.HttpClient.key)
    assert.strictEqual(PlatformHttp.Fetch.key, FetchHttpClient.Fetch.key)
    assert.strictEqual(PlatformHttp.RequestInit.key, FetchHttpClient.RequestInit.key)
    const client = HttpClient.make(() => Effect.die("unused"))
    const fetch = (() => Promise.reject(new Error("unused"))) as unknown as typeof globalThis.fetch
    const context = Context.make(HttpClient.HttpClient, client).pipe(Context.add(FetchHttpClient.Fetch, fetch))
    assert.strictEqual(Context.get(context, PlatformHttp.HttpClient), client)
    assert.strictEqual(Context.get(context, PlatformHttp.Fetch), fetch)
  })

  it.scopedLive("fetchLayer's client sends GET/POST and execute like the platform's fetch client", () =>
    Effect.gen(function*() {
      const { url, seen } = yield* server
      const client = yield* lazyClient
      assert.strictEqual((client as unknown as Record<symbol, unknown>)[HttpClient.TypeId], HttpClient.TypeId)
      const got = yield* Effect.flatMap(client.get(`${url}/status/200?a=1`), (r) => r.json)
      assert.deepStrictEqual(got, { method: "GET", url: "/status/200?a=1", marker: null })
      const posted = yield* Effect.flatMap(client.post(`${url}/post`, { headers: { "x-marker": "m" } }), (r) => r.json)
      assert.deepStrictEqual(posted, { method: "POST", url: "/post", marker: "m" })
      const executed = yield* client.execute(HttpClientRequest.del(`${url}/status/204`))
      assert.strictEqual(executed.status, 204)
      // the platform's combinators accept it
      const failed = yield* Effect.flip(HttpClient.filterStatusOk(client).get(`${url}/status/503`))
      assert.strictEqual(failed._tag, "ResponseError")
      const mapped = yield* Effect.flatMap(
        HttpClient.mapRequest(client, HttpClientRequest.setHeader("x-marker", "mapped")).get(`${url}/status/200`),
        (r) => r.json
      )
      assert.deepStrictEqual(mapped, { method: "GET", url: "/status/200", marker: "mapped" })
      assert.strictEqual(seen.length, 5)
    }))

  it.scopedLive("a refused connection fails with the platform's RequestError", () =>
    Effect.gen(function*() {
      const { server: s, url } = yield* server
      yield* Effect.promise(() => new Promise<void>((resolve) => s.close(() => resolve())))
      const client = yield* lazyClient
      const error = yield* Effect.flip(client.get(`${url}/status/200`))
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual(error.reason, "Transport")
    }))

  it.scopedLive("the Fetch and RequestInit of the context the layer was built in are used, as with FetchHttpClient.layer", () =>
    Effect.gen(function*() {
      const { url } = yield* server
      const calls: Array<string> = []
      const fetch = ((input: string | URL | Request, init?: RequestInit) => {
        calls.push(String(input))
        return globalThis.fetch(input, init)
      }) as typeof globalThis.fetch
      const options = { headers: { "x-marker": "from-init" } }
      const built = Layer.provide(PlatformHttp.fetchLayer, Layer.succeedContext(
        Context.make(FetchHttpClient.Fetch, fetch).pipe(Context.add(FetchHttpClient.RequestInit, options))
      ))
      const client = yield* Effect.provide(PlatformHttp.HttpClient, built)
      const body = yield* Effect.flatMap(client.get(`${url}/status/200`), (r) => r.json)
      assert.deepStrictEqual(body, { method: "GET", url: "/status/200", marker: "from-init" })
      assert.deepStrictEqual(calls, [`${url}/status/200`])
      // and the platform's layer, built the same way, does the same
      const platform = yield* Effect.provide(HttpClient.HttpClient, Layer.provide(FetchHttpClient.layer, Layer.succeedContext(
        Context.make(FetchHttpClient.Fetch, fetch).pipe(Context.add(FetchHttpClient.RequestInit, options))
      )))
      assert.deepStrictEqual(yield* Effect.flatMap(platform.get(`${url}/status/200`), (r) => r.json), body)
      assert.strictEqual(calls.length, 2)
    }))
})
