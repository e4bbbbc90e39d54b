/**
 * The emulator's HTTP front door over real loopback sockets (raw TCP where the client must misbehave):
 * body size caps (declared and chunked), the body-read timeout, the control RPC's credential and its
 * answer to malformed bodies, and redacted credential headers in the server spans.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import * as Net from "node:net"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorControl from "../src/EmulatorControl.js"

interface RawResponse {
  readonly status: number
  readonly headers: string
  readonly body: string
  /** Body bytes the client had written when the answer's first byte arrived. */
  readonly sentBeforeAnswer: number
}

/**
 * Writes `head`, then `chunks` (one every `intervalMs`, until the server answers or closes), and
 * collects the raw HTTP answer. Never waits longer than `timeoutMs`.
 */
const rawExchange = (
  port: number,
  head: string,
  options: { readonly chunks?: () => Buffer | undefined; readonly intervalMs?: number; readonly timeoutMs?: number } = {}
) =>
  Effect.async<RawResponse, Error>((resume) => {
    const socket = Net.connect(port, "127.0.0.1")
    let answer = ""
    let sent = 0
    let sentAtAnswer = -1
    let done = false
    const finish = (result: Effect.Effect<RawResponse, Error>) => {
      if (done) return
      done = true
      clearInterval(pump)
      clearTimeout(deadline)
      socket.destroy()
      resume(result)
    }
    const parse = () => {
      const split = answer.indexOf("\r\n\r\n")
      if (split < 0) return finish(Effect.fail(new Error(`no HTTP answer (got ${JSON.stringify(answer.slice(0, 80))})`)))
      const headers = answer.slice(0, split)
      finish(Effect.succeed({
        status: Number(headers.split(" ")[1]),
        headers: headers.toLowerCase(),
        body: answer.slice(split + 4),
        sentBeforeAnswer: sentAtAnswer
      }))
    }
    socket.on("data", (d) => {
      if (sentAtAnswer < 0) sentAtAnswer = sent
      answer += d.toString("latin1")
    })
    socket.on("end", parse)
    socket.on("close", parse)
    socket.on("error", () => parse())
    socket.write(head)
    const pump = setInterval(() => {
      if (done || sentAtAnswer >= 0 || socket.destroyed) return
      const chunk = options.chunks?.()
      if (chunk === undefined) return
      sent += chunk.length
      socket.write(chunk)
    }, options.intervalMs ?? 5)
    const deadline = setTimeout(
      () => finish(Effect.fail(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`))),
      options.timeoutMs ?? 10_000
    )
    return Effect.sync(() => finish(Effect.fail(new Error("interrupted"))))
  })

const withEmulator = <A, E>(
  options: Emulator.Options,
  body: (emulator: Emulator.Service) => Effect.Effect<A, E>
) => Effect.scoped(Effect.flatMap(Emulator.make({ port: 0, ...options }), body))

const post = (emulator: Emulator.Service, path: string, body: string, headers: Record<string, string> = {}) =>
  Effect.promise(() =>
    fetch(`${emulator.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
  )

describe("emulator HTTP hardening", () => {
  it.live("a declared body above the cap is answered 413 with a JSON envelope before any of it is read", () =>
    withEmulator({}, (emulator) =>
      Effect.gen(function*() {
        const mib = Buffer.alloc(1024 * 1024, 0x61)
        let left = 200
        const answer = yield* rawExchange(
          emulator.port,
          "POST /v1/account/nonce HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 209715200\r\n\r\n",
          { chunks: () => (left-- > 0 ? mib : undefined) }
        )
        assert.strictEqual(answer.status, 413)
        assert.include(answer.headers, "connection: close")
        const envelope = JSON.parse(answer.body)
        assert.strictEqual(envelope.status, "error")
        assert.strictEqual(envelope.errorCode, 413)
        assert.match(envelope.message, /limited to 16777216 bytes/)
        // answered on the headers: at most what the kernel buffers was written, never the 200 MB
        assert.isBelow(answer.sentBeforeAnswer, 16 * 1024 * 1024)
      })))

  it.live("a chunked body is cut at the cap with 413 and reading stops", () =>
    withEmulator({ maxBodyBytes: 64 * 1024 }, (emulator) =>
      Effect.gen(function*() {
        const piece = Buffer.alloc(16 * 1024, 0x62)
        const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")])
        let left = 10_000
        const answer = yield* rawExchange(
          emulator.port,
          "POST /v1/account/nonce HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
          { chunks: () => (left-- > 0 ? chunk : undefined), intervalMs: 2 }
        )
        assert.strictEqual(answer.status, 413)
        assert.strictEqual(JSON.parse(answer.body).errorCode, 413)
        // stopped soon after the cap: the client was still sending when the answer came
        assert.isAbove(left, 9_000)
        // a body within the cap still reaches its route
        const fine = yield* post(emulator, "/v1/account/nonce", JSON.stringify({ walletAddress: emulator.accounts[0]!.walletAddress }))
        assert.strictEqual(fine.status, 200)
      })))

  it.live("a content-length promising more than arrives is answered 408 after the body timeout", () =>
    withEmulator({ bodyTimeoutMillis: 300 }, (emulator) =>
      Effect.gen(function*() {
        const answer = yield* rawExchange(
          emulator.port,
          "POST /v1/account/nonce HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"wallet",
          { timeoutMs: 5_000 }
        )
        assert.strictEqual(answer.status, 408)
        const envelope = JSON.parse(answer.body)
        assert.strictEqual(envelope.errorCode, 408)
        assert.match(envelope.message, /not complete within 300 ms/)
      })))

  it.live("uploads keep their own, larger cap; other routes the general one", () =>
    withEmulator({ maxBodyBytes: 1024, maxUploadBytes: 4096 }, (emulator) =>
      Effect.gen(function*() {
        const big = JSON.stringify({ walletAddress: "x".repeat(2000) })
        assert.strictEqual((yield* post(emulator, "/v1/account/nonce", big)).status, 413)
        // 2 KB on an upload path passes the front door and reaches the route (which refuses the bad signature)
        const upload = yield* Effect.promise(() =>
          fetch(`${emulator.url}/_uploads/P1/referenceImage?sig=bad`, { method: "PUT", body: "y".repeat(2000) })
        )
        assert.notStrictEqual(upload.status, 413)
        const tooBig = yield* Effect.promise(() =>
          fetch(`${emulator.url}/_uploads/P1/referenceImage?sig=bad`, { method: "PUT", body: "y".repeat(5000) })
        )
        assert.strictEqual(tooBig.status, 413)
      })))

  it.live("the control RPC needs the API key and answers malformed bodies 400", () =>
    withEmulator({}, (emulator) =>
      Effect.gen(function*() {
        const clear = JSON.stringify({ _tag: "Request", id: "1", tag: "ClearFaults", payload: {}, headers: [] })
        const anonymous = yield* post(emulator, EmulatorControl.RPC_PATH, clear)
        assert.strictEqual(anonymous.status, 401)
        const wrongKey = yield* post(emulator, EmulatorControl.RPC_PATH, clear, { "api-key": "nope" })
        assert.strictEqual(wrongKey.status, 401)
        for (const malformed of ["", "not json", "{\"a\":1}", "[1,2]", `${clear}\n{oops`]) {
          const answer = yield* post(emulator, EmulatorControl.RPC_PATH, malformed, { "api-key": emulator.apiKey })
          assert.strictEqual(answer.status, 400, `body ${JSON.stringify(malformed)}`)
          const envelope = (yield* Effect.promise(() => answer.json())) as { status: string; message: string }
          assert.strictEqual(envelope.status, "error")
          assert.match(envelope.message, /Malformed RPC body/)
        }
        const keyed = yield* post(emulator, EmulatorControl.RPC_PATH, clear, { "api-key": emulator.apiKey })
        assert.strictEqual(keyed.status, 200)
        // the typed client sends the key
        const control = yield* EmulatorControl.client(emulator.url, emulator.apiKey)
        assert.deepStrictEqual(yield* control.ListConnections(), [])
        const anonymousClient = yield* EmulatorControl.client(emulator.url, "nope")
        assert.isTrue((yield* Effect.either(control.ClearFaults()))._tag === "Right")
        const refused = yield* Effect.flip(anonymousClient.ClearFaults())
        assert.strictEqual(refused._tag, "RpcClientError")
      }).pipe(Effect.scoped)))

  it.live("server spans carry request headers with api-key, authorization and cookies redacted", () => {
    const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown> }> = []
    let id = 0
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind) => {
        const attributes = new Map<string, unknown>()
        spans.push({ name, attributes })
        return {
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
      },
      context: (f) => f()
    })
    const secret = "sogni-secret-key-7f3a"
    return withEmulator({ apiKeys: [secret] }, (emulator) =>
      Effect.gen(function*() {
        const answer = yield* Effect.promise(() =>
          fetch(`${emulator.url}/v4/account/balance`, {
            headers: { "api-key": secret, authorization: `Bearer ${secret}`, cookie: `authorization=${secret}` }
          })
        )
        assert.strictEqual(answer.status, 200)
        const server = spans.find((s) => s.attributes.get("url.path") === "/v4/account/balance")
        assert.isDefined(server)
        assert.strictEqual(String(server!.attributes.get("http.request.header.api-key")), "<redacted>")
        assert.strictEqual(String(server!.attributes.get("http.request.header.authorization")), "<redacted>")
        assert.strictEqual(String(server!.attributes.get("http.request.header.cookie")), "<redacted>")
        for (const s of spans) for (const v of s.attributes.values()) assert.notInclude(String(v), secret)
      })).pipe(Effect.withTracer(tracer))
  })
})
