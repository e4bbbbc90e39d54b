/**
 * LeanRest over Node's own http (no `FetchHttpClient.Fetch` in the context), against a real HTTP server on
 * a loopback port: credential header and query, kept-alive connections, the retry policy, the request
 * timeout (the request is abandoned on the wire), a caller's abort (likewise), an answer cut short, a refused connection, and every
 * connection released when the service's scope closes.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import * as LeanTransport from "../src/internal/leanTransport.js"
import * as LeanRest from "../src/LeanRest.js"
import { SogniConfig, SogniRest } from "../src/index.js"

const API_KEY = "sk-live-lean-node-0123456789-SECRET"

interface Host {
  readonly url: string
  /** requests seen, in order: path with query, and the credential header. */
  readonly seen: Array<{ readonly url: string; readonly apiKey: string | undefined }>
  /** connections accepted so far, and those still open. */
  readonly accepted: () => number
  readonly open: () => number
  /** requests whose client went away before an answer. */
  readonly abandoned: () => number
}

/** A loopback HTTP server answering with `handle` (nth request, 0-based), closed with the scope. */
const host = (handle: (n: number, req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly host: Host; readonly close: () => Promise<void> }>((resume) => {
      const seen: Array<{ readonly url: string; readonly apiKey: string | undefined }> = []
      const sockets = new Set<Socket>()
      let accepted = 0
      let abandoned = 0
      const server = createServer((req, res) => {
        const n = seen.length
        seen.push({ url: req.url ?? "", apiKey: req.headers["api-key"] as string | undefined })
        res.on("close", () => {
          if (!res.writableFinished) abandoned++
        })
        handle(n, req, res)
      })
      server.on("connection", (socket: Socket) => {
        accepted++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          host: {
            url: `http://127.0.0.1:${port}`,
            seen,
            accepted: () => accepted,
            open: () => sockets.size,
            abandoned: () => abandoned
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
  ).pipe(Effect.map(({ host }) => host))

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

const layer = (restEndpoint: string, settings: SogniConfig.SogniSettingsInput = {}) =>
  SogniRest.layerWithAuth.pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.die("no HttpClient call expected")))),
    Layer.provideMerge(
      SogniConfig.layer({
        apiKey: Redacted.make(API_KEY),
        restEndpoint,
        socketEndpoint: "ws://socket.test:9000",
        restRetries: 2,
        restRetryBase: "1 millis",
        restRetryCap: "5 millis",
        ...settings
      })
    )
  )

const Body = Schema.Struct({ downloadUrl: Schema.String })

/** One lean GET as an effect, on a service built by the caller. */
const getWith = (lean: LeanRest.LeanRestService, imageId: string) =>
  Effect.async<Either.Either<{ readonly downloadUrl: string }, SogniRest.RestError>>((resume) => {
    lean.get("/v1/image/downloadUrl", { jobId: "P", imageId, type: "complete" }, LeanRest.decoder(Body), (r) =>
      resume(Effect.succeed(r)))
  })

/** Runs `body` with a service over Node's http pointed at `url`, in a scope of its own. */
const withLean = <A, E>(
  url: string,
  body: (lean: LeanRest.LeanRestService) => Effect.Effect<A, E>,
  settings?: SogniConfig.SogniSettingsInput
) => Effect.flatMap(LeanRest.make, body).pipe(Effect.provide(layer(url, settings)), Effect.scoped)

const errorOf = <A>(result: Either.Either<A, SogniRest.RestError>) => Either.isLeft(result) ? result.left : undefined

describe("LeanRest over Node's http", () => {
  it.scopedLive("reads the envelope's data with the credential header and keeps one connection alive across requests", () =>
    Effect.gen(function*() {
      const h = yield* host((n, _req, res) => json(res, 200, { status: "success", data: { downloadUrl: `https://m/${n}.png` } }))
      const results = yield* withLean(h.url, (lean) =>
        Effect.gen(function*() {
          const out = []
          for (let i = 0; i < 3; i++) out.push(yield* getWith(lean, `I${i}`))
          return out
        }))
      assert.deepStrictEqual(results, [0, 1, 2].map((n) => Either.right({ downloadUrl: `https://m/${n}.png` })))
      assert.deepStrictEqual(h.seen.map((s) => s.url), [0, 1, 2].map((n) => `/v1/image/downloadUrl?jobId=P&imageId=I${n}&type=complete`))
      assert.isTrue(h.seen.every((s) => s.apiKey === API_KEY))
      assert.strictEqual(h.accepted(), 1)
    }))

  it.scopedLive("sends the Host header of the endpoint and keeps the endpoint's own path in front of the request's", () =>
    Effect.gen(function*() {
      const hosts: Array<string | undefined> = []
      const h = yield* host((n, req, res) => {
        hosts.push(req.headers.host)
        json(res, 200, { status: "success", data: { downloadUrl: `https://m/${n}.png` } })
      })
      const results = yield* withLean(`${h.url}/base`, (lean) =>
        Effect.gen(function*() {
          const out = []
          for (let i = 0; i < 2; i++) out.push(yield* getWith(lean, `I${i}`))
          return out
        }))
      assert.deepStrictEqual(results, [0, 1].map((n) => Either.right({ downloadUrl: `https://m/${n}.png` })))
      assert.deepStrictEqual(h.seen.map((s) => s.url), [0, 1].map((n) => `/base/v1/image/downloadUrl?jobId=P&imageId=I${n}&type=complete`))
      assert.deepStrictEqual(hosts, [h.url.slice("http://".length), h.url.slice("http://".length)])
    }))

  it.scopedLive("reads the socket host's bare JSON (no envelope) from its HTTP base, with the credential header", () =>
    Effect.gen(function*() {
      const h = yield* host((_n, _req, res) => json(res, 200, [{ id: "flux1-schnell-fp8", tier: "t1" }]))
      const wsUrl = h.url.replace("http://", "ws://")
      const result = yield* withLean(
        "http://rest.invalid:1",
        (lean) =>
          Effect.async<Either.Either<ReadonlyArray<{ readonly id: string }>, SogniRest.RestError>>((resume) => {
            lean.getFrom("socket", "/api/v1/models/list", undefined, LeanRest.decoder(Schema.Array(Schema.Struct({ id: Schema.String }))), (r) =>
              resume(Effect.succeed(r)))
          }),
        { socketEndpoint: wsUrl }
      )
      assert.deepStrictEqual(result, Either.right([{ id: "flux1-schnell-fp8" }]))
      assert.deepStrictEqual(h.seen.map((s) => [s.url, s.apiKey]), [["/api/v1/models/list", API_KEY]])
    }))

  it("parses an origin once for request options, and leaves URLs with credentials or without a path to Node", () => {
    assert.deepStrictEqual(LeanTransport.splitOrigin("http://127.0.0.1:8080/v1/x?a=1"), { origin: "http://127.0.0.1:8080", pathStart: 21 })
    assert.isUndefined(LeanTransport.splitOrigin("http://user:pw@host.test/v1/x"))
    assert.isUndefined(LeanTransport.splitOrigin("http://host.test?x=/y"))
    assert.isUndefined(LeanTransport.splitOrigin("ftp://host.test/x"))
    assert.deepStrictEqual(LeanTransport.parseOrigin("https://api.example.test"), {
      secure: true,
      hostname: "api.example.test",
      port: 443,
      host: "api.example.test"
    })
    assert.deepStrictEqual(LeanTransport.parseOrigin("http://[::1]:3000"), { secure: false, hostname: "::1", port: 3000, host: "[::1]:3000" })
  })

  it.scopedLive("closing the service's scope closes its kept-alive connections", () =>
    Effect.gen(function*() {
      const h = yield* host((_n, _req, res) => json(res, 200, { status: "success", data: { downloadUrl: "https://m/x.png" } }))
      yield* withLean(h.url, (lean) =>
        Effect.gen(function*() {
          yield* getWith(lean, "A")
          assert.strictEqual(h.open(), 1)
        }))
      // the server sees the close shortly after the scope ended
      for (let i = 0; i < 100 && h.open() > 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(h.open(), 0)
    }))

  it.scopedLive("services made over one settings share their kept-alive connections; the last to close releases them", () =>
    Effect.gen(function*() {
      const h = yield* host((n, _req, res) => json(res, 200, { status: "success", data: { downloadUrl: `https://m/${n}.png` } }))
      const [first, second] = yield* Effect.gen(function*() {
        const settings = yield* SogniConfig.SogniConfig
        const firstScope = yield* Scope.make()
        const first = yield* LeanRest.make.pipe(Scope.extend(firstScope))
        const second = yield* LeanRest.make
        assert.deepStrictEqual(yield* getWith(first, "A"), Either.right({ downloadUrl: "https://m/0.png" }))
        // the second service's request goes over the connection the first one's left open
        assert.deepStrictEqual(yield* getWith(second, "B"), Either.right({ downloadUrl: "https://m/1.png" }))
        assert.strictEqual(h.accepted(), 1)
        // the first service's end leaves the connection to the second
        yield* Scope.close(firstScope, Exit.void)
        assert.deepStrictEqual(yield* getWith(second, "C"), Either.right({ downloadUrl: "https://m/2.png" }))
        assert.strictEqual(h.accepted(), 1)
        assert.strictEqual(h.open(), 1)
        // a service over other settings (a copy with the same values) has connections of its own
        const other = yield* LeanRest.make.pipe(Effect.provideService(SogniConfig.SogniConfig, { ...settings }))
        assert.deepStrictEqual(yield* getWith(other, "D"), Either.right({ downloadUrl: "https://m/3.png" }))
        assert.strictEqual(h.accepted(), 2)
        return [first, second] as const
      }).pipe(Effect.provide(layer(h.url)), Effect.scoped)
      assert.notStrictEqual(first, second)
      // the last services' scope ended: the server sees every connection closed shortly after
      for (let i = 0; i < 100 && h.open() > 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(h.open(), 0)
    }))

  it.scopedLive("closing the scope while a request hangs aborts it and clears its deadline: no socket or timer is left", () =>
    Effect.gen(function*() {
      const h = yield* host(() => {}) // headers never come
      // the deadlines armed meanwhile (10 minutes: none but the request's), until cleared
      const armed = new Set<unknown>()
      const { clearTimeout: clear, setTimeout: set } = globalThis
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: Array<unknown>) => {
            const timer = set(fn, ms, ...args)
            if (ms === 600_000) armed.add(timer)
            return timer
          }) as typeof globalThis.setTimeout
          globalThis.clearTimeout = ((timer: Parameters<typeof clear>[0]) => {
            armed.delete(timer)
            clear(timer)
          }) as typeof globalThis.clearTimeout
        }),
        () =>
          Effect.sync(() => {
            globalThis.setTimeout = set
            globalThis.clearTimeout = clear
          })
      )
      const answers: Array<unknown> = []
      yield* withLean(h.url, (lean) =>
        Effect.gen(function*() {
          lean.get("/v1/image/downloadUrl", { jobId: "P", imageId: "A", type: "complete" }, LeanRest.decoder(Body), (r) => answers.push(r))
          for (let i = 0; i < 500 && h.seen.length === 0; i++) yield* Effect.sleep("10 millis")
          assert.strictEqual(h.seen.length, 1)
          assert.strictEqual(armed.size, 1)
        }), { requestTimeout: "10 minutes" })
      // the request's deadline went with it (before: its timer stayed armed, holding the process up to
      // requestTimeout after the service closed), and the server sees the request abandoned
      assert.strictEqual(armed.size, 0)
      for (let i = 0; i < 500 && h.abandoned() === 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(h.abandoned(), 1)
      // an aborted request answers nobody: the closed service's caller is not called back
      assert.deepStrictEqual(answers, [])
    }))

  it.scopedLive("retries a 503 under the policy and reads an error body and its headers when it gives up", () =>
    Effect.gen(function*() {
      const h = yield* host((n, _req, res) =>
        n < 1
          ? json(res, 503, { status: "error", message: "busy" })
          : n === 1
          ? json(res, 200, { status: "success", data: { downloadUrl: "https://m/ok.png" } })
          : json(res, 429, { status: "error", message: "slow down", errorCode: 7 }, { "retry-after": "0" })
      )
      const [ok, limited] = yield* withLean(h.url, (lean) =>
        Effect.all([getWith(lean, "A"), getWith(lean, "B")]), { restRetries: 1 })
      assert.deepStrictEqual(ok, Either.right({ downloadUrl: "https://m/ok.png" }))
      const error = errorOf(limited)
      assert.strictEqual(error?._tag, "SogniApiError")
      assert.strictEqual((error as { status?: number }).status, 429)
      assert.strictEqual(error!.message, "slow down")
      assert.strictEqual(h.seen.length, 4) // 503 then 200; 429 twice (restRetries: 1)
    }))

  it.scopedLive("a host that never answers fails with a Timeout within requestTimeout and the request is dropped on the wire", () =>
    Effect.gen(function*() {
      const h = yield* host(() => {}) // never answers
      const result = yield* withLean(h.url, (lean) => getWith(lean, "A"), { requestTimeout: "50 millis", restRetries: 0 })
      const error = errorOf(result)
      assert.strictEqual(error?._tag, "SogniTransportError")
      assert.strictEqual((error as { reason?: string }).reason, "Timeout")
      assert.notInclude(error!.message, API_KEY)
      for (let i = 0; i < 100 && h.abandoned() === 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(h.abandoned(), 1)
    }))

  it.scopedLive("a request its caller aborts is dropped on the wire and answers nobody, on its first attempt and in a retry", () =>
    Effect.gen(function*() {
      // the first request hangs; the second gets a 503 and its retry hangs; the third is answered
      const h = yield* host((n, _req, res) => {
        if (n === 1) return json(res, 503, { status: "error", message: "busy" })
        if (n === 3) return json(res, 200, { status: "success", data: { downloadUrl: "https://m/after.png" } })
      })
      const answers: Array<unknown> = []
      const after = yield* withLean(h.url, (lean) =>
        Effect.gen(function*() {
          const abortFirst = lean.get("/v1/image/downloadUrl", { jobId: "P", imageId: "A", type: "complete" }, LeanRest.decoder(Body), (r) => answers.push(r))
          for (let i = 0; i < 500 && h.seen.length < 1; i++) yield* Effect.sleep("10 millis")
          abortFirst()
          for (let i = 0; i < 500 && h.abandoned() < 1; i++) yield* Effect.sleep("10 millis")
          assert.strictEqual(h.abandoned(), 1)
          const abortSecond = lean.get("/v1/image/downloadUrl", { jobId: "P", imageId: "B", type: "complete" }, LeanRest.decoder(Body), (r) => answers.push(r))
          // the 503, then its retry in flight
          for (let i = 0; i < 500 && h.seen.length < 3; i++) yield* Effect.sleep("10 millis")
          abortSecond()
          for (let i = 0; i < 500 && h.abandoned() < 2; i++) yield* Effect.sleep("10 millis")
          assert.strictEqual(h.abandoned(), 2)
          // a second abort does nothing; the service still answers later requests
          abortSecond()
          return yield* getWith(lean, "C")
        }), { requestTimeout: "10 minutes", restRetries: 1 })
      assert.deepStrictEqual(after, Either.right({ downloadUrl: "https://m/after.png" }))
      assert.deepStrictEqual(answers, [])
      assert.deepStrictEqual(h.seen.map((s) => s.url.slice(s.url.indexOf("imageId="))), [
        "imageId=A&type=complete",
        "imageId=B&type=complete",
        "imageId=B&type=complete",
        "imageId=C&type=complete"
      ])
    }))

  it.scopedLive("an answer cut short is a transport error, retried under the policy", () =>
    Effect.gen(function*() {
      const h = yield* host((n, _req, res) => {
        if (n > 0) return json(res, 200, { status: "success", data: { downloadUrl: "https://m/again.png" } })
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" })
        res.write("{\"status\":\"succ")
        setTimeout(() => res.destroy(), 10)
      })
      const result = yield* withLean(h.url, (lean) => getWith(lean, "A"))
      assert.deepStrictEqual(result, Either.right({ downloadUrl: "https://m/again.png" }))
      assert.strictEqual(h.seen.length, 2)
    }))

  it.live("a refused connection is a transport error after the policy's retries", () =>
    Effect.gen(function*() {
      // a port that was just free: listen, note it, close
      const h = yield* Effect.scoped(host(() => {}))
      const result = yield* withLean(h.url, (lean) => getWith(lean, "A"))
      const error = errorOf(result)
      assert.strictEqual(error?._tag, "SogniTransportError")
      assert.include(error!.message, "ECONNREFUSED")
      assert.notInclude(error!.message, API_KEY)
    }))
})
