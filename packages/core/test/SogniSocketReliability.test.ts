/**
 * The socket attacked as a hostile or silent server would (issue 10): deeply nested frames, oversized
 * frames, floods of malformed frames, black-holed connections, servers that accept and say nothing,
 * and a refused key. Every case runs over real loopback sockets against a scripted `ws` server.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Net from "node:net"
import type { Socket as NetSocket } from "node:net"
import { Protocol, SogniConfig, SogniSocket } from "../src/index.js"
import * as ParseIssues from "../src/ParseIssues.js"
import { formatIssues } from "../src/internal/restClient.js"
import type { SogniSettingsInput } from "../src/SogniConfig.js"
import { eventually, makeScriptedServer, realSleep, type ServerConnection } from "./util/ScriptedServer.js"

interface LogLine {
  readonly level: string
  readonly message: string
}

/** A socket service on `url` whose log lines (all levels) land in the returned array. */
const openSocket = (url: string, overrides: SogniSettingsInput = {}) =>
  Effect.gen(function*() {
    const lines: Array<LogLine> = []
    const capture = Logger.make(({ logLevel, message }) => {
      lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
    })
    const credentials = Layer.succeed(SogniSocket.SocketCredentials, {
      headers: Effect.succeed({ "api-key": Redacted.make("test-key-123") }),
      invalidate: () => Effect.void
    })
    const socket = yield* SogniSocket.make().pipe(
      Effect.provide(Layer.merge(SogniConfig.layer({ appId: "reliability", socketEndpoint: url, ...overrides }), credentials)),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
    return { socket, lines }
  })

/** The JSON text of an array nested `depth` levels deep around a number (no recursion to build it). */
const nestedJson = (depth: number): string => "[".repeat(depth) + "1" + "]".repeat(depth)

/** A frame whose payload is `template` with `$` replaced by a `depth`-deep array. */
const deepFrame = (type: string, template: string, depth: number): string =>
  `{"type":${JSON.stringify(type)},"data":"${
    Protocol.base64OfText(template.replace("$", nestedJson(depth)))
  }"}`

/** The first element of a stream, if any. */
const firstOf = <A, E>(s: Stream.Stream<A, E>) => Stream.runHead(Stream.take(s, 1))

/** Stops the server side of a connection from reading: pings go unanswered, nothing comes back. */
const blackHole = (c: ServerConnection) => {
  ;(c.ws as unknown as { _socket: NetSocket })._socket.pause()
}

describe("hostile frames", () => {
  it("a payload nested 3,000 (and 100,000) levels deep is skipped with a short message, not thrown", () => {
    const cases: Array<[string, string]> = [
      ["swarmModels", `{"a":$}`],
      ["balanceUpdate", `$`],
      ["jobProgress", `{"jobID":"J","step":$}`],
      ["jobResult", `{"jobID":"J","imgID":"I","nsfwSources":$}`],
      ["authenticated", `{"id":$}`]
    ]
    for (const depth of [3_000, 100_000]) {
      for (const [type, template] of cases) {
        const result = Protocol.decodeServerFrameRaw(deepFrame(type, template, depth))
        assert.isTrue(Protocol.isFrameSkip(result), `${type} at depth ${depth}`)
        if (Protocol.isFrameSkip(result)) {
          assert.strictEqual(result.reason, "InvalidPayload")
          assert.isBelow(result.message.length, 2_000)
        }
      }
    }
  })

  it("parse messages name the path and the expected type, and describe values only by kind", () => {
    const schema = Schema.Struct({ a: Schema.Number, b: Schema.Array(Schema.String) })
    const error = Schema.decodeUnknownEither(schema, { errors: "all" })({
      a: JSON.parse(nestedJson(5_000)),
      b: ["x", 3]
    })
    assert.isTrue(Either.isLeft(error))
    if (Either.isLeft(error)) {
      const message = Protocol.decodeServerFrameRaw(deepFrame("swarmModels", `{"m":$}`, 5_000))
      assert.isTrue(Protocol.isFrameSkip(message) && message.message.includes("m: expected number, got an array of 1"))
      // REST bodies: path and kind only, never a value
      assert.strictEqual(formatIssues(error.left), "a: Type; b.1: Type")
      assert.strictEqual(
        ParseIssues.format(error.left.issue),
        "a: expected number, got an array of 1; b.1: expected string, got a number (3)"
      )
    }
  })

  it.scopedLive("a 3,000-deep frame is skipped and the socket delivers the 100 valid events after it", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      const events = yield* socket.subscribe(["balanceUpdate"])
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      conn.sendRaw(deepFrame("balanceUpdate", "$", 3_000))
      conn.sendRaw(deepFrame("swarmModels", `{"deep":$}`, 3_000))
      for (let i = 0; i < 100; i++) {
        conn.send("balanceUpdate", {
          sogni: { settled: String(i), credit: "0", debit: "0", net: String(i) },
          spark: { settled: "0", credit: "0", debit: "0", net: "0" }
        })
      }
      for (let i = 0; i < 100; i++) {
        const event = yield* Queue.take(events)
        assert.strictEqual(event.type === "balanceUpdate" && event.payload.sogni.net, String(i))
      }
      assert.strictEqual((yield* SubscriptionRef.get(socket.status))._tag, "Authenticated")
      assert.isFalse(conn.closed)
    }))

  it.scopedLive("a route that throws costs its event, not the connection", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { lines, socket } = yield* openSocket(server.url)
      yield* socket.routeWith("BAD-1", () => {
        throw new Error("route exploded")
      })
      const good = yield* socket.route("GOOD-1")
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      conn.send("jobProgress", { jobID: "BAD-1", step: 1, stepCount: 4 })
      conn.send("jobProgress", { jobID: "GOOD-1", step: 1, stepCount: 4 })
      const event = yield* Queue.take(good)
      assert.strictEqual(event.type, "jobProgress")
      yield* eventually(() => lines.some((l) => l.message.includes("skipped a server frame (Exception)")), 5000, "the log")
      assert.isFalse(conn.closed)
    }))

  it.scopedLive("claimRoute hands a job's events over until released; a later claim of the id is not undone by the earlier release", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      const progress = yield* socket.subscribe(["jobProgress"])
      const first: Array<number> = []
      const second: Array<number> = []
      const stepOf = (e: Protocol.ServerEvent) => (e.type === "jobProgress" ? e.payload.step ?? -1 : -1)
      // claimed in lower case: routes are case-insensitive
      const releaseFirst = socket.claimRoute("job-1", (e) => void first.push(stepOf(e)))
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      conn.send("jobProgress", { jobID: "JOB-1", step: 1, stepCount: 4 })
      yield* eventually(() => first.length === 1, 5000, "the routed event")
      // routed events reach only their route
      conn.send("jobProgress", { jobID: "OTHER", step: 9, stepCount: 9 })
      assert.strictEqual(stepOf(yield* Queue.take(progress)), 9)
      releaseFirst()
      conn.send("jobProgress", { jobID: "JOB-1", step: 2, stepCount: 4 })
      assert.strictEqual(stepOf(yield* Queue.take(progress)), 2)
      const releaseSecond = socket.claimRoute("JOB-1", (e) => void second.push(stepOf(e)))
      releaseFirst()
      conn.send("jobProgress", { jobID: "JOB-1", step: 3, stepCount: 4 })
      yield* eventually(() => second.length === 1, 5000, "the second claim's event")
      releaseSecond()
      conn.send("jobProgress", { jobID: "JOB-1", step: 4, stepCount: 4 })
      assert.strictEqual(stepOf(yield* Queue.take(progress)), 4)
      assert.deepStrictEqual(first, [1])
      assert.deepStrictEqual(second, [3])
    }))

  it.scopedLive("routes find ids as the server wrote them (any case, runs of one id and alternation); every consumer sees upper-case ids", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      const progress = yield* socket.subscribe(["jobProgress"])
      const seen: Record<string, Array<string>> = { a: [], b: [], c: [] }
      const record = (name: string) => (e: Protocol.ServerEvent) => {
        const p = e.payload as { jobID: string; imgID?: string; step?: number }
        seen[name]!.push(`${p.jobID}/${p.imgID ?? "-"}/${p.step}`)
      }
      // the socket remembers the last route it used: runs of one id, alternation and release must not confuse it
      socket.claimRoute("ab-0001", record("a"))
      const releaseC = socket.claimRoute("CD-0001", record("c"))
      socket.claimRoute("EF-9", record("b"))
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      const steps: Array<[string, string | undefined]> = [
        ["ab-0001", "img-x"],
        ["AB-0001", undefined],
        ["ab-0001", "IMG-Y"],
        ["cd-0001", "img-z"],
        ["ef-9", undefined],
        ["Ab-0001", undefined],
        ["zz-0001", "img-w"]
      ]
      steps.forEach(([jobID, imgID], i) =>
        conn.send("jobProgress", { jobID, ...(imgID !== undefined ? { imgID } : {}), step: i + 1, stepCount: 9 })
      )
      const unrouted = yield* Queue.take(progress)
      assert.deepStrictEqual(unrouted.payload, { jobID: "ZZ-0001", imgID: "IMG-W", step: 7, stepCount: 9 })
      assert.deepStrictEqual(seen, {
        a: ["AB-0001/IMG-X/1", "AB-0001/-/2", "AB-0001/IMG-Y/3", "AB-0001/-/6"],
        b: ["EF-9/-/5"],
        c: ["CD-0001/IMG-Z/4"]
      })
      // released, its frames go to the subscribers; the other id with the same ending keeps its route
      releaseC()
      conn.send("jobProgress", { jobID: "cd-0001", step: 8, stepCount: 9 })
      conn.send("jobProgress", { jobID: "AB-0001", step: 9, stepCount: 9 })
      assert.deepStrictEqual((yield* Queue.take(progress)).payload, { jobID: "CD-0001", step: 8, stepCount: 9 })
      yield* eventually(() => seen.a!.length === 5, 5000, "the last routed event")
      assert.strictEqual(seen.a!.at(-1), "AB-0001/-/9")
      assert.strictEqual(seen.c!.length, 1)
    }))

  for (const shape of ["one frame", "fragments", "a header declaring 100 MB"] as const) {
    it.scopedLive(`a message above maxFrameBytes sent as ${shape} drops the connection (1009) instead of being read or held; it reconnects`, () =>
      Effect.gen(function*() {
        let firstCloseCode: number | undefined
        const server = yield* makeScriptedServer((c) => {
          c.authenticate()
          if (server_.connections.length === 1) {
            c.ws.on("close", (code) => (firstCloseCode = code))
            setTimeout(() => {
              if (shape === "one frame") {
                c.send("swarmModels", { huge: 1, filler: "x".repeat(1_000_000) } as never)
              } else if (shape === "fragments") {
                // 40 fragments of 16 KB (640 KB in all) of one text message; each alone is under the bound
                for (let i = 0; i < 40; i++) c.ws.send("x".repeat(16 * 1024), { fin: false, binary: false })
                c.ws.send("x", { fin: true, binary: false })
              } else {
                // a final text frame whose 64-bit length says 100 MB, then a few bytes and silence
                const header = Buffer.alloc(10)
                header[0] = 0x81
                header[1] = 127
                header.writeUInt32BE(0, 2)
                header.writeUInt32BE(100 * 1024 * 1024, 6)
                ;(c.ws as unknown as { _socket: NetSocket })._socket.write(Buffer.concat([header, Buffer.from("{\"type\":")]))
              }
            }, 20)
          } else {
            setTimeout(() => c.send("swarmModels", { small: 1 }), 20)
          }
        })
        const server_ = server
        const { socket } = yield* openSocket(server.url, { maxFrameBytes: 64 * 1024, reconnectBase: "20 millis" })
        const models = yield* socket.subscribe(["swarmModels"])
        yield* socket.awaitAuthenticated
        const first = yield* Queue.take(models)
        assert.deepStrictEqual(first.payload, { small: 1 })
        assert.strictEqual(server.connections.length, 2)
        assert.strictEqual(firstCloseCode, 1009)
      }), { timeout: 20_000 })
  }

  it.scopedLive("malformed-frame warnings are rate limited, then counted in one line", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { lines, socket } = yield* openSocket(server.url, {
        decodeWarningLimit: 3,
        decodeWarningInterval: "300 millis"
      })
      const models = yield* socket.subscribe(["swarmModels"])
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      for (let i = 0; i < 50; i++) conn.sendRaw(`not json ${i}`)
      conn.send("swarmModels", { after: 1 })
      assert.deepStrictEqual((yield* Queue.take(models)).payload, { after: 1 })
      yield* eventually(() => lines.some((l) => l.message.includes("skipped 47 malformed frames")), 5000, "the summary")
      assert.strictEqual(lines.filter((l) => l.message.includes("skipped a server frame")).length, 3)
      // a new interval warns again
      conn.sendRaw("not json again")
      yield* eventually(
        () => lines.filter((l) => l.message.includes("skipped a server frame")).length === 4,
        5000,
        "a warning in the next interval"
      )
    }))
})

describe("bounded waits", () => {
  it.scopedLive("a black-holed connection (no frame, no pong) is dropped within the liveness window and replaced", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        c.authenticate()
        if (server_.connections.length === 1) setTimeout(() => blackHole(c), 30)
      })
      const server_ = server
      const { lines, socket } = yield* openSocket(server.url, {
        keepAlive: "100 millis",
        livenessTimeout: "400 millis",
        reconnectBase: "20 millis"
      })
      yield* socket.awaitAuthenticated
      yield* eventually(() => server.connections.length === 2, 10_000, "a second connection")
      yield* socket.send({ type: "changeNetwork", payload: "relaxed" })
      // on a loaded machine a later connection may replace the second one: any replacement will do
      yield* eventually(
        () => server.connections.slice(1).some((c) => c.received.length === 1),
        5000,
        "the frame on a new connection"
      )
      assert.strictEqual(server.connections[0]!.received.length, 0)
      assert.isTrue(lines.some((l) => l.message.includes("no frame or pong from the server")))
    }))

  it.scopedLive("a send never 'succeeds' into a socket that has never answered; it fails with a typed timeout", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => blackHole(c))
      const { socket } = yield* openSocket(server.url, {
        authenticatedFallback: "100 millis",
        sendTimeout: "800 millis",
        keepAlive: "50 millis",
        livenessTimeout: "200 millis"
      })
      const result = yield* Effect.either(socket.send({ type: "changeNetwork", payload: "fast" }))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "SogniTransportError")
        assert.strictEqual((result.left as { reason: string }).reason, "Timeout")
      }
    }))

  it.scopedLive("awaitAuthenticated fails with a typed timeout when the server accepts and says nothing", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer(() => {})
      const { socket } = yield* openSocket(server.url, { authenticateTimeout: "300 millis" })
      const result = yield* Effect.either(socket.awaitAuthenticated.pipe(Effect.timeout("20 seconds")))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "SogniTransportError")
        const error = result.left as { reason: string; message: string; cause?: { message: string } }
        assert.strictEqual(error.reason, "Timeout")
        assert.include(error.cause?.message ?? "", "sent no authenticated")
      }
    }))

  it.scopedLive("a host that accepts TCP and never answers the upgrade: each open fails at connectTimeout and is closed; waiters fail typed", () =>
    Effect.gen(function*() {
      // a raw TCP listener: the upgrade request is read and never answered
      const accepted: Array<NetSocket> = []
      const closed: Array<NetSocket> = []
      const server = yield* Effect.acquireRelease(
        Effect.async<Net.Server>((resume) => {
          const srv = Net.createServer((c) => {
            accepted.push(c)
            c.on("error", () => {})
            c.resume() // read (and ignore) the upgrade request, so that the client's FIN is seen
            c.on("close", () => closed.push(c))
          })
          srv.listen(0, "127.0.0.1", () => resume(Effect.succeed(srv)))
        }),
        (srv) =>
          Effect.async<void>((resume) => {
            for (const c of accepted) c.destroy()
            srv.close(() => resume(Effect.void))
          })
      )
      const port = (server.address() as Net.AddressInfo).port
      const { lines, socket } = yield* openSocket(`ws://127.0.0.1:${port}`, {
        connectTimeout: "300 millis",
        reconnectBase: "20 millis",
        reconnectCap: "50 millis",
        authenticateTimeout: "2 seconds",
        sendTimeout: "2 seconds"
      })
      const [auth, send] = yield* Effect.all([
        Effect.either(socket.awaitAuthenticated),
        Effect.either(socket.send({ type: "changeNetwork", payload: "fast" }))
      ], { concurrency: 2 }).pipe(Effect.timeout("20 seconds"))
      for (const error of [Either.getLeft(auth), Either.getLeft(send)]) {
        assert.isTrue(Option.isSome(error), "the wait must fail")
        if (Option.isSome(error)) {
          assert.strictEqual(error.value._tag, "SogniTransportError")
          assert.strictEqual((error.value as { reason: string }).reason, "Timeout")
        }
      }
      // every open was given up at connectTimeout (the log says so) and reconnected
      assert.isAtLeast(accepted.length, 2)
      assert.isTrue(lines.some((l) => /reconnect attempt \d+ in .*opening timed out/.test(l.message)))
      // and the client closed each abandoned TCP connection itself (all but a last one still opening)
      yield* eventually(() => closed.length >= accepted.length - 1, 5000, "the client closing its abandoned connections")
    }))

  it.scopedLive("awaitAuthenticated with no host: a typed timeout carrying the last cause; attempts logged at Info", () =>
    Effect.gen(function*() {
      const { lines, socket } = yield* openSocket("ws://127.0.0.1:1", {
        authenticateTimeout: "500 millis",
        reconnectBase: "50 millis"
      })
      const result = yield* Effect.either(socket.awaitAuthenticated.pipe(Effect.timeout("20 seconds")))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        const error = result.left as { _tag: string; reason: string; message: string; cause?: { message: string } }
        assert.strictEqual(error._tag, "SogniTransportError")
        assert.strictEqual(error.reason, "Timeout")
        assert.match(error.cause?.message ?? "", /could not open the socket|the connection broke/)
        assert.include(error.message, "last:")
      }
      const attempts = lines.filter((l) => l.level === "INFO" && /reconnect attempt \d+ in \d/.test(l.message))
      assert.isAtLeast(attempts.length, 1)
      assert.match(attempts[0]!.message, /reconnect attempt 1 in /)
    }))

  it.scopedLive("switchNetwork and setEventSubscriptions fail with a typed timeout when the server never confirms", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url, { confirmTimeout: "300 millis" })
      yield* socket.awaitAuthenticated
      for (
        const wait of [
          Effect.asVoid(socket.switchNetwork("relaxed")),
          Effect.asVoid(socket.setEventSubscriptions({ subscribe: "appAlert" }))
        ]
      ) {
        const result = yield* Effect.either(Effect.timeout(wait, "20 seconds"))
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "SogniTransportError")
          assert.strictEqual((result.left as { reason: string }).reason, "Timeout")
        }
      }
      // the frames did go out: it is the confirmation that never came
      yield* eventually(() => server.connections[0]!.received.length === 2, 5000, "both frames")
    }))
})

describe("current values", () => {
  it.scopedLive("watch starts with the value that arrived before anyone asked (the handshake's model list)", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        c.authenticate()
        c.send("swarmModels", { "flux1-schnell-fp8": 3 })
      })
      const { socket } = yield* openSocket(server.url)
      yield* socket.awaitAuthenticated
      // the list has arrived and been published before anyone watches
      yield* realSleep(100)
      assert.deepStrictEqual(yield* SubscriptionRef.get(socket.latest.swarmModels), Option.some({ "flux1-schnell-fp8": 3 }))
      const first = yield* firstOf(socket.watch("swarmModels")).pipe(Effect.timeout("10 seconds"))
      assert.deepStrictEqual(first, Option.some({ "flux1-schnell-fp8": 3 }))
      // and a watcher sees the current value, then each new one
      const seen = yield* firstOf(socket.watch("swarmModels").pipe(Stream.drop(1))).pipe(
        Effect.timeout("10 seconds"),
        Effect.fork
      )
      yield* realSleep(50)
      server.connections[0]!.send("swarmModels", { "flux1-schnell-fp8": 5 })
      assert.deepStrictEqual(yield* Fiber.join(seen), Option.some({ "flux1-schnell-fp8": 5 }))
      assert.deepStrictEqual(yield* SubscriptionRef.get(socket.latest.swarmModels), Option.some({ "flux1-schnell-fp8": 5 }))
    }))

  it.scopedLive("awaitTerminal waits through a recoverable drop and completes with the error of a refused reconnect (4021); opens nothing", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        if (server_.connections.length === 1) {
          c.authenticate()
          setTimeout(() => (c.ws as unknown as { _socket: NetSocket })._socket.destroy(), 30)
        } else {
          c.ws.close(4021, "Authentication failed")
        }
      })
      const server_ = server
      const { socket } = yield* openSocket(server.url, { reconnectBase: "20 millis" })
      const waiting = yield* Effect.fork(socket.awaitTerminal)
      // nothing was opened by the wait itself
      yield* Effect.sleep("50 millis")
      assert.strictEqual(server.connections.length, 0)
      yield* socket.awaitAuthenticated
      const error = yield* Fiber.join(waiting)
      assert.strictEqual(error._tag, "SogniAuthenticationError")
      assert.strictEqual((error as { reason: string }).reason, "InvalidCredentials")
      assert.strictEqual(server.connections.length, 2)
      // once ended, at once
      assert.strictEqual((yield* socket.awaitTerminal)._tag, "SogniAuthenticationError")
    }))

  it.scopedLive("watch fails at once with the terminal error when the key is refused (4021)", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => c.ws.close(4021, "Authentication failed"))
      const { socket } = yield* openSocket(server.url, { authenticateTimeout: "60 seconds" })
      const watched = yield* Effect.either(firstOf(socket.watch("swarmModels")).pipe(Effect.timeout("20 seconds")))
      assert.isTrue(Either.isLeft(watched))
      if (Either.isLeft(watched)) {
        assert.strictEqual(watched.left._tag, "SogniAuthenticationError")
        assert.strictEqual((watched.left as { reason: string }).reason, "InvalidCredentials")
      }
      const auth = yield* Effect.either(socket.awaitAuthenticated)
      assert.isTrue(Either.isLeft(auth) && auth.left._tag === "SogniAuthenticationError")
    }))
})
