/**
 * Failed downloads of signed result URLs: the errors name the URL without its query, so the signature never
 * reaches a message, `toString` or JSON. Against the emulator (for the REST layer) and a local HTTP server that
 * breaks a download off, over real loopback sockets.
 */
import { NodeContext } from "@effect/platform-node"
import { assert, describe, layer } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Media, Results } from "../src/index.js"
import type * as ProjectState from "../src/ProjectState.js"

const SECRET = "X-Amz-Signature=deadbeefcafe0123456789"
const QUERY = `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE&${SECRET}`

const result = (url: string): ProjectState.JobResult => ({
  jobIndex: 0,
  imgID: "job-1",
  url,
  urlExpiresAt: undefined,
  seed: undefined,
  outputFormat: "png",
  nsfwWithheld: false,
  nsfwDetected: false,
  workerName: undefined
})

const connect = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const ctx = yield* Layer.build(
    Media.layer({
      appId: `results-${crypto.randomUUID()}`,
      apiKey: Redacted.make(emulator.apiKey),
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl
    })
  )
  return Context.get(ctx, Results.Results)
})

/** A server that sends headers and a few bytes, then destroys the connection. */
const breakingServer = Effect.acquireRelease(
  Effect.async<Http.Server>((resume) => {
    const server = Http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "image/png", "content-length": "100000" })
      res.write(new Uint8Array(64))
      setTimeout(() => res.destroy(), 20)
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
)

/** A port nothing listens on (bound, then released). */
const closedPort = Effect.async<number>((resume) => {
  const server = Http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const assertNoSecret = (error: unknown, base: string) => {
  const e = error as { message: string; toString(): string; _tag: string }
  for (const text of [e.message, String(e), JSON.stringify(e)]) {
    assert.notInclude(text, "deadbeef")
    assert.notInclude(text, "X-Amz")
    assert.notInclude(text, "?")
  }
  const url = (error as { url?: string }).url
  if (url !== undefined) assert.strictEqual(url, base)
  else assert.include(e.message, base)
}

describe("Results: failed downloads keep signed URLs out of errors", () => {
  layer(Layer.merge(Emulator.layer({ port: 0 }), NodeContext.layer), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("a refused connection fails stream, download and save without the query", () =>
      Effect.gen(function*() {
        const results = yield* connect
        const port = yield* closedPort
        const base = `http://127.0.0.1:${port}/results/job-1.png`
        const r = result(`${base}${QUERY}`)
        const streamed = yield* Effect.either(Stream.runDrain(results.stream(r)))
        assert.isTrue(Either.isLeft(streamed))
        if (Either.isLeft(streamed)) {
          assert.strictEqual(streamed.left._tag, "SogniTransportError")
          assertNoSecret(streamed.left, base)
        }
        const downloaded = yield* Effect.either(results.download(r))
        assert.isTrue(Either.isLeft(downloaded))
        if (Either.isLeft(downloaded)) assertNoSecret(downloaded.left, base)
        const saved = yield* Effect.either(results.save(r, "/tmp/never-written.png"))
        assert.isTrue(Either.isLeft(saved))
        if (Either.isLeft(saved)) assertNoSecret(saved.left, base)
      }))

    it.scoped("a download broken off mid-body fails without the query", () =>
      Effect.gen(function*() {
        const results = yield* connect
        const server = yield* breakingServer
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/results/job-1.png`
        const streamed = yield* Effect.either(Stream.runDrain(results.stream(result(`${base}${QUERY}`))))
        assert.isTrue(Either.isLeft(streamed))
        if (Either.isLeft(streamed)) {
          assert.strictEqual(streamed.left._tag, "SogniTransportError")
          assert.include(streamed.left.message, "broke off")
          assertNoSecret(streamed.left, base)
        }
      }))

    it.scoped("a refused signature (HTTP error) names the URL without its query", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const results = yield* connect
        const base = `${emulator.url}/no/such/result.png`
        const streamed = yield* Effect.either(Stream.runDrain(results.stream(result(`${base}${QUERY}`))))
        assert.isTrue(Either.isLeft(streamed))
        if (Either.isLeft(streamed)) {
          assert.strictEqual(streamed.left._tag, "SogniApiError")
          assertNoSecret(streamed.left, base)
        }
      }))
  })
})
