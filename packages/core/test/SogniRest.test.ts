import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import { Protocol, SogniAuth, SogniConfig, SogniRest } from "../src/index.js"

const API_KEY = "sk-live-0123456789abcdef-SECRET"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Headers.Headers
  readonly body: string | undefined
}

type Reply = { readonly status: number; readonly body?: BodyInit | null; readonly headers?: Record<string, string> }

const fake = (reply: (req: Seen) => Reply) => {
  const seen: Array<Seen> = []
  const client = HttpClient.make((request: HttpClientRequest.HttpClientRequest, url) =>
    Effect.sync(() => {
      const body = request.body._tag === "Uint8Array"
        ? new TextDecoder().decode(request.body.body)
        : undefined
      const s: Seen = { method: request.method, url: url.toString(), headers: request.headers, body }
      seen.push(s)
      const r = reply(s)
      return HttpClientResponse.fromWeb(
        request,
        new Response(r.body ?? null, { status: r.status, ...(r.headers ? { headers: r.headers } : {}) })
      )
    })
  )
  return { seen, client: Layer.succeed(HttpClient.HttpClient, client) }
}

const layerFor = (client: Layer.Layer<HttpClient.HttpClient>, settings: SogniConfig.SogniSettingsInput = {}) =>
  SogniRest.layerWithAuth.pipe(
    Layer.provide(client),
    Layer.provide(
      SogniConfig.layer({
        apiKey: Redacted.make(API_KEY),
        restEndpoint: "http://rest.test",
        socketEndpoint: "ws://socket.test:9000",
        restRetries: 0,
        ...settings
      })
    )
  )

const envelope = (data: unknown) => ({
  status: 200,
  body: JSON.stringify({ status: "success", data }),
  headers: { "content-type": "application/json" }
})

describe("SogniRest requests", () => {
  it.effect("GET on the REST host: envelope decoded, query built, raw api-key header", () => {
    const { client, seen } = fake(() => envelope({ downloadUrl: "http://media.test/x.png" }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const out = yield* rest.get("rest", "/v1/image/downloadUrl", Protocol.DownloadUrl, {
        query: { jobId: "J 1", imageId: "I", type: "complete", contentType: undefined, n: 2, x: null }
      })
      assert.deepStrictEqual(out, { downloadUrl: "http://media.test/x.png" })
      assert.strictEqual(seen[0]!.method, "GET")
      assert.strictEqual(seen[0]!.url, "http://rest.test/v1/image/downloadUrl?jobId=J+1&imageId=I&type=complete&n=2")
      assert.strictEqual(seen[0]!.headers["api-key"], API_KEY)
      assert.isUndefined(seen[0]!.headers["authorization"])
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("socket host: base from the WebSocket endpoint, raw body", () => {
    const { client, seen } = fake(() => ({
      status: 200,
      body: JSON.stringify([{ id: "flux", name: "Flux", SID: 1, tier: "flux", media: "image" }])
    }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const models = yield* rest.get("socket", "/api/v1/models/list", Protocol.ModelList)
      assert.strictEqual(models[0]!.id, "flux")
      assert.strictEqual(seen[0]!.url, "http://socket.test:9000/api/v1/models/list")
      assert.strictEqual(seen[0]!.headers["api-key"], API_KEY)
      assert.strictEqual(rest.baseUrl("socket"), "http://socket.test:9000")
      assert.strictEqual(rest.baseUrl("rest"), "http://rest.test")
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("POST sends JSON ({} by default); DELETE sends no body; auth: false sends no credential", () => {
    const { client, seen } = fake(() => ({ status: 200, body: "" }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      yield* rest.post("rest", "/v1/a", { x: 1, y: undefined }, Schema.Undefined)
      yield* rest.post("rest", "/v1/b", undefined, Schema.Undefined)
      yield* rest.delete("rest", "/v1/c", Schema.Undefined)
      yield* rest.post("rest", "/v1/d", {}, Schema.Undefined, { auth: false })
      assert.strictEqual(seen[0]!.body, `{"x":1}`)
      assert.strictEqual(seen[0]!.headers["content-type"], "application/json")
      assert.strictEqual(seen[1]!.body, "{}")
      assert.strictEqual(seen[2]!.method, "DELETE")
      assert.isUndefined(seen[2]!.body)
      assert.isUndefined(seen[3]!.headers["api-key"])
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("an unserializable body fails as SogniInvalidRequest without a request", () => {
    const { client, seen } = fake(() => ({ status: 200, body: "" }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const error = yield* Effect.flip(rest.post("rest", "/v1/a", cyclic, Schema.Undefined))
      assert.strictEqual(error._tag, "SogniInvalidRequest")
      const big = yield* Effect.flip(rest.post("rest", "/v1/a", { n: 1n }, Schema.Undefined))
      assert.strictEqual(big._tag, "SogniInvalidRequest")
      assert.strictEqual(seen.length, 0)
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("an empty 2xx body decodes as undefined where the schema allows it, else is a decode error", () => {
    const { client } = fake(() => ({ status: 204 }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      assert.isUndefined(yield* rest.post("rest", "/v1/account/logout", {}, Schema.Undefined))
      assert.isUndefined(yield* rest.get("rest", "/v1/x", Schema.UndefinedOr(Schema.String)))
      const error = yield* Effect.flip(rest.get("rest", "/v1/x", Protocol.DownloadUrl))
      assert.strictEqual(error._tag, "SogniDecodeError")
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("bad success bodies are decode errors that never quote values", () => {
    const replies: Array<Reply> = [
      { status: 200, body: "<html>hello</html>" },
      { status: 200, body: `{"status":"error","data":{}}` },
      { status: 200, body: `[1,2]` },
      { status: 200, body: JSON.stringify({ status: "success", data: { token: "eyJSECRETTOKEN", refreshToken: 5 } }) }
    ]
    let i = 0
    const { client } = fake(() => replies[i++]!)
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      for (let n = 0; n < replies.length; n++) {
        const error = yield* Effect.flip(rest.get("rest", "/v1/account/thing", Protocol.RefreshResponse))
        assert.strictEqual(error._tag, "SogniDecodeError")
        if (error._tag === "SogniDecodeError") {
          assert.strictEqual(error.reason, "Body")
          assert.strictEqual(error.source, "GET http://rest.test/v1/account/thing")
        }
        assert.notInclude(String(error), "eyJSECRETTOKEN")
        assert.notInclude(JSON.stringify(error), "eyJSECRETTOKEN")
      }
    }).pipe(Effect.provide(layerFor(client)))
  })
})

describe("SogniRest error bodies (rest.md §2.3)", () => {
  const failWith = (reply: Reply) => {
    const { client } = fake(() => reply)
    return Effect.flatMap(SogniRest.SogniRest, (rest) => Effect.flip(rest.get("rest", "/v1/x", Schema.Unknown))).pipe(
      Effect.provide(layerFor(client))
    )
  }

  it.effect("JSON envelope: message, errorCode, details, retryAfter", () =>
    Effect.gen(function*() {
      const error = yield* failWith({
        status: 402,
        body: JSON.stringify({
          status: "error",
          message: "Insufficient balance",
          errorCode: 123,
          retryAfter: 30,
          details: { need: 5 }
        })
      })
      assert.strictEqual(error._tag, "SogniApiError")
      if (error._tag !== "SogniApiError") return
      assert.strictEqual(error.status, 402)
      assert.strictEqual(error.errorCode, 123)
      assert.strictEqual(error.message, "Insufficient balance")
      assert.deepStrictEqual(error.details, { need: 5 })
      assert.strictEqual(error.retryAfterMillis, 30_000)
      assert.strictEqual(error.method, "GET")
      assert.strictEqual(error.url, "http://rest.test/v1/x")
      assert.strictEqual(error.reason, "Other")
    }))

  it.effect("plain text: trimmed, at most 500 characters, errorCode = status", () =>
    Effect.gen(function*() {
      const error = yield* failWith({ status: 400, body: `   ${"x".repeat(600)}  ` })
      assert.strictEqual(error._tag, "SogniApiError")
      if (error._tag !== "SogniApiError") return
      assert.strictEqual(error.message, "x".repeat(500))
      assert.strictEqual(error.errorCode, 400)
      assert.strictEqual(error.reason, "BadRequest")
      const short = yield* failWith({ status: 404, body: " not here \n" })
      assert.strictEqual(short.message, "not here")
    }))

  it.effect("HTML: status text and the first 200 characters", () =>
    Effect.gen(function*() {
      const html = `<!DOCTYPE html><html><body>${"y".repeat(400)}</body></html>`
      const error = yield* failWith({ status: 502, body: html, headers: { "content-type": "text/html" } })
      assert.strictEqual(error._tag, "SogniApiError")
      if (error._tag !== "SogniApiError") return
      assert.strictEqual(error.message, `Bad Gateway: ${html.slice(0, 200)}`)
      assert.strictEqual(error.errorCode, 502)
      assert.strictEqual(error.reason, "ServerError")
    }))

  it.effect("empty: the status text", () =>
    Effect.gen(function*() {
      const error = yield* failWith({ status: 503 })
      assert.strictEqual(error._tag, "SogniApiError")
      if (error._tag !== "SogniApiError") return
      assert.strictEqual(error.message, "Service Unavailable")
      assert.strictEqual(error.errorCode, 503)
      assert.strictEqual(error.reason, "Unavailable")
      const json = yield* failWith({ status: 409, body: `{"status":"error"}` })
      assert.strictEqual(json.message, "Conflict")
    }))
})

describe("SogniRest 401", () => {
  it.effect("maps to InvalidCredentials and clears the credential", () => {
    const { client, seen } = fake(() => ({ status: 401, body: `{"status":"error","message":"bad key","errorCode":401}` }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const auth = yield* SogniAuth.SogniAuth
      assert.strictEqual((yield* auth.state)._tag, "ApiKey")
      const error = yield* Effect.flip(rest.get("rest", "/v4/account/balance", Protocol.AccountBalance))
      assert.strictEqual(error._tag, "SogniAuthenticationError")
      if (error._tag === "SogniAuthenticationError") {
        assert.strictEqual(error.reason, "InvalidCredentials")
        assert.include(error.message, "bad key")
      }
      assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
      // nothing is sent any more without a credential
      const next = yield* Effect.flip(rest.get("socket", "/api/v1/models/list", Protocol.ModelList))
      assert.strictEqual(next._tag, "SogniAuthenticationError")
      if (next._tag === "SogniAuthenticationError") assert.strictEqual(next.reason, "NotAuthenticated")
      assert.strictEqual(seen.length, 1)
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("on the socket host too", () => {
    const { client } = fake(() => ({ status: 401 }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const auth = yield* SogniAuth.SogniAuth
      const error = yield* Effect.flip(rest.get("socket", "/api/v1/artist/projects/active", Protocol.ActiveProjects))
      assert.strictEqual(error._tag, "SogniAuthenticationError")
      assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("a request sent without credentials clears nothing", () => {
    const { client } = fake(() => ({ status: 401 }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const auth = yield* SogniAuth.SogniAuth
      const error = yield* Effect.flip(rest.get("rest", "/v1/loras/comfy", Schema.Unknown, { auth: false }))
      assert.strictEqual(error._tag, "SogniAuthenticationError")
      assert.strictEqual((yield* auth.state)._tag, "ApiKey")
    }).pipe(Effect.provide(layerFor(client)))
  })
})

describe("SogniRest signed URLs", () => {
  it.effect("getBytes downloads without credentials and keeps the signature out of errors", () => {
    let status = 200
    const { client, seen } = fake(() => ({ status, body: new Uint8Array([1, 2, 3]) }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      const bytes = yield* rest.getBytes("http://media.test/a.png?sig=SIGNATURE123")
      assert.deepStrictEqual(Array.from(bytes), [1, 2, 3])
      assert.isUndefined(seen[0]!.headers["api-key"])
      assert.isUndefined(seen[0]!.headers["authorization"])
      assert.strictEqual(seen[0]!.url, "http://media.test/a.png?sig=SIGNATURE123")
      status = 403
      const error = yield* Effect.flip(rest.getBytes("http://media.test/a.png?sig=SIGNATURE123"))
      assert.strictEqual(error._tag, "SogniApiError")
      if (error._tag === "SogniApiError") assert.strictEqual(error.url, "http://media.test/a.png")
      assert.notInclude(JSON.stringify(error), "SIGNATURE123")
    }).pipe(Effect.provide(layerFor(client)))
  })

  it.effect("putBytes uploads with the content type and no credentials", () => {
    const { client, seen } = fake(() => ({ status: 200 }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      yield* rest.putBytes("http://upload.test/x?sig=abc", new TextEncoder().encode("hello"), { contentType: "image/png" })
      assert.strictEqual(seen[0]!.method, "PUT")
      assert.strictEqual(seen[0]!.body, "hello")
      assert.strictEqual(seen[0]!.headers["content-type"], "image/png")
      assert.isUndefined(seen[0]!.headers["api-key"])
    }).pipe(Effect.provide(layerFor(client)))
  })
})

// ---------------------------------------------------------------------------------------------
// Redaction: logs, errors and spans
// ---------------------------------------------------------------------------------------------

const recordingTracer = () => {
  const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown> }> = []
  let id = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      spans.push({ name, attributes })
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${++id}`,
        traceId: "trace-1",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links: [...links],
        sampled: true,
        kind,
        end: () => undefined,
        attribute: (key, value) => void attributes.set(key, value),
        event: () => undefined,
        addLinks: () => undefined
      }
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

describe("SogniRest redaction", () => {
  it.effect("the API key never reaches logs, errors or span attributes", () => {
    const lines: Array<string> = []
    const capture = Logger.make((options) => {
      lines.push(Logger.logfmtLogger.log(options))
    })
    const { spans, tracer } = recordingTracer()
    const { client } = fake((req) =>
      req.url.includes("/fail")
        ? { status: 500, body: `{"status":"error","message":"boom"}` }
        : envelope({ downloadUrl: "u" })
    )
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      yield* rest.get("rest", "/v1/ok", Protocol.DownloadUrl)
      const failing = yield* Effect.fork(Effect.flip(rest.get("rest", "/v1/fail", Schema.Unknown)))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(failing)
      yield* Effect.logError("request failed", Cause.fail(error))
      yield* Effect.logError(error)
      // retries and failures were logged, so the check below is not vacuous
      assert.isAbove(lines.length, 2)
      assert.isTrue(lines.some((l) => l.includes("/v1/fail")))
      assert.isTrue(lines.some((l) => l.includes("sogni: retry 2 in")))
      for (const l of lines) assert.notInclude(l, API_KEY)
      assert.notInclude(String(error), API_KEY)
      assert.notInclude(JSON.stringify(error), API_KEY)
      assert.notInclude(Cause.pretty(Cause.fail(error)), API_KEY)
      // spans: ours carry method/host/path; the platform's carry the redacted header
      const ours = spans.find((s) => s.name === "SogniRest.GET")
      assert.isDefined(ours)
      assert.strictEqual(ours!.attributes.get("url.path"), "/v1/ok")
      const platform = spans.find((s) => s.attributes.has("http.request.header.api-key"))
      assert.isDefined(platform)
      assert.strictEqual(String(platform!.attributes.get("http.request.header.api-key")), "<redacted>")
      for (const s of spans) for (const v of s.attributes.values()) assert.notInclude(String(v), API_KEY)
    }).pipe(
      Effect.provide(layerFor(client, { restRetries: 2 })),
      Effect.withTracer(tracer),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
  })

  it.effect("signed-URL queries stay out of spans", () => {
    const { spans, tracer } = recordingTracer()
    const { client } = fake(() => ({ status: 200, body: "x" }))
    return Effect.gen(function*() {
      const rest = yield* SogniRest.SogniRest
      yield* rest.getBytes("http://media.test/a.png?X-Amz-Signature=SIG999")
      assert.isTrue(spans.some((s) => s.name === "SogniRest.getBytes"))
      for (const s of spans) for (const v of s.attributes.values()) assert.notInclude(String(v), "SIG999")
    }).pipe(Effect.provide(layerFor(client)), Effect.withTracer(tracer))
  })

  it.effect("Redacted header values print as <redacted>", () =>
    Effect.gen(function*() {
      const auth = yield* SogniAuth.SogniAuth
      const headers = yield* auth.headers
      assert.strictEqual(Redacted.value(headers["api-key"]!), API_KEY)
      assert.notInclude(JSON.stringify(headers), API_KEY)
      assert.notInclude(String(headers["api-key"]), API_KEY)
      assert.isTrue(Option.isNone(yield* auth.tokens))
    }).pipe(Effect.provide(layerFor(fake(() => ({ status: 200 })).client))))
})
