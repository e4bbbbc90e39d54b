import { assert, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Supervisor from "effect/Supervisor"
import * as TestClock from "effect/TestClock"
import * as net from "node:net"
import { SogniConfig, SogniError, SogniSocket, SubscriptionRefs } from "../src/index.js"
import type { SogniSettingsInput } from "../src/SogniConfig.js"
import { eventually, makeScriptedServer, realSleep, type ScriptedServer } from "./util/ScriptedServer.js"

const API_KEY = "test-key-123"

/** Builds a socket service in the current scope, with a credential source that records invalidations. */
const openSocket = (url: string, overrides: SogniSettingsInput = {}, options?: Parameters<typeof SogniSocket.make>[0]) =>
  Effect.gen(function*() {
    const invalidated = yield* Ref.make<Array<string>>([])
    const credentials = Layer.succeed(SogniSocket.SocketCredentials, {
      headers: Effect.succeed({ "api-key": Redacted.make(API_KEY) }),
      invalidate: (e) => Ref.update(invalidated, (xs) => [...xs, e.reason])
    })
    const config = SogniConfig.layer({ appId: "test-app", socketEndpoint: url, ...overrides })
    const socket = yield* SogniSocket.make(options).pipe(
      Effect.provide(Layer.merge(config, credentials))
    )
    return { socket, invalidated }
  })

const statusTag = (socket: SogniSocket.SogniSocketService) => Effect.map(SubscriptionRef.get(socket.status), (s) => s._tag)

/** Polls the status (in real time) until it has the given tag. */
const awaitStatus = (
  socket: SogniSocket.SogniSocketService,
  tag: SogniSocket.ConnectionStatus["_tag"],
  attempt?: number
) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      const s = yield* SubscriptionRef.get(socket.status)
      if (s._tag === tag && (attempt === undefined || (s._tag === "Reconnecting" && s.attempt === attempt))) return s
      yield* realSleep(5)
    }
    return yield* Effect.dieMessage(`status never became ${tag}`)
  })

describe("classifyClose", () => {
  it("maps every code class as the protocol says", () => {
    expect(SogniSocket.classifyClose(1000)._tag).toBe("Normal")
    for (const code of [1001, 1005, 1006, 1011, 1012, 1013, 1002, 3000, 3999]) {
      expect(SogniSocket.classifyClose(code)._tag).toBe("Reconnect")
    }
    expect(SogniSocket.classifyClose(4015)._tag).toBe("Replaced")
    expect(SogniSocket.classifyClose(4010)).toEqual({ _tag: "AuthFailed", reason: "AppIdBlocked" })
    expect(SogniSocket.classifyClose(4021)).toEqual({ _tag: "AuthFailed", reason: "InvalidCredentials" })
    expect(SogniSocket.classifyClose(4000)).toEqual({ _tag: "AuthFailed", reason: "Rejected" })
    expect(SogniSocket.classifyClose(4999)).toEqual({ _tag: "AuthFailed", reason: "Rejected" })
    expect(SogniSocket.classifyClose(undefined)).toEqual({ _tag: "AuthFailed", reason: "Rejected" })
  })

  it("clears the credential only for a close that refuses it (4021), not for 4010, an unknown 4xxx or no code", () => {
    const refuses = (code: number | undefined) => {
      const action = SogniSocket.classifyClose(code)
      return action._tag === "AuthFailed" && SogniSocket.closeRefusesCredential(action.reason)
    }
    expect(refuses(4021)).toBe(true)
    for (const code of [4010, 4000, 4003, 4099, 4999, undefined, 0, 4015, 1000, 1006]) expect(refuses(code)).toBe(false)
  })
})

describe("SogniSocket handshake", () => {
  it.scopedLive("connects with the documented query parameters and the api-key header", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url, { appSource: "tests", socketEventSubscriptions: { appAlert: true } })
      const auth = yield* socket.awaitAuthenticated
      assert.strictEqual(auth.username, "pixelfox")
      const conn = server.connections[0]!
      assert.strictEqual(conn.headers["api-key"], API_KEY)
      assert.strictEqual(conn.url.pathname, "/")
      assert.strictEqual(conn.url.searchParams.get("appId"), "test-app")
      assert.strictEqual(conn.url.searchParams.get("appSource"), "tests")
      assert.strictEqual(conn.url.searchParams.get("clientType"), "artist")
      assert.strictEqual(conn.url.searchParams.get("forceWorkerId"), "fast")
      assert.match(conn.url.searchParams.get("clientName")!, /^Sogni\/3\.0\.0 /)
      assert.deepStrictEqual(JSON.parse(conn.url.searchParams.get("socketEventSubscriptions")!), { appAlert: true })
    }))

  it.scopedLive("holds sends until authenticated arrives", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => setTimeout(() => c.authenticate(), 300))
      const { socket } = yield* openSocket(server.url)
      const started = Date.now()
      yield* socket.send({ type: "changeNetwork", payload: "relaxed" })
      const conn = server.connections[0]!
      yield* eventually(() => conn.received.length === 1, 5000, "the frame")
      assert.isDefined(conn.authenticatedAt)
      assert.isAtLeast(conn.received[0]!.at, conn.authenticatedAt!)
      assert.isAtLeast(Date.now() - started, 250)
      assert.deepStrictEqual(conn.received[0]!.payload, "relaxed")
    }))

  it.scopedLive("sends anyway after the authenticated fallback when the server never authenticates", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer(() => {})
      const { socket } = yield* openSocket(server.url, { authenticatedFallback: "200 millis" })
      const started = Date.now()
      yield* socket.send({ type: "llmJobCancel", payload: { jobID: "ABC" } })
      const elapsed = Date.now() - started
      yield* eventually(() => server.connections[0]?.received.length === 1, 5000, "the frame")
      assert.isAtLeast(elapsed, 180)
      assert.strictEqual(yield* statusTag(socket), "Open")
    }))

  it.scopedLive("a send times out with a typed error when no socket can be had", () =>
    Effect.gen(function*() {
      const { socket } = yield* openSocket("ws://127.0.0.1:1", { sendTimeout: "300 millis" })
      const result = yield* Effect.either(socket.send({ type: "changeNetwork", payload: "fast" }))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "SogniTransportError")
        assert.strictEqual((result.left as { reason: string }).reason, "Timeout")
      }
    }))

  it.scopedLive("refuses a payload that does not match its schema, naming it, without sending", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      yield* socket.awaitAuthenticated
      const result = yield* Effect.either(
        socket.send({ type: "changeNetwork", payload: "warp" as unknown as "fast" })
      )
      assert.isTrue(Either.isLeft(result) && result.left.message.includes("changeNetwork"))
      yield* realSleep(50)
      assert.strictEqual(server.connections[0]!.received.length, 0)
    }))
})

describe("SogniSocket keepalive", () => {
  it.scopedLive("sends protocol ping frames on the keepalive period", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url, { keepAlive: "50 millis" })
      yield* socket.awaitAuthenticated
      let pings = 0
      server.connections[0]!.ws.on("ping", () => pings++)
      yield* eventually(() => pings >= 3, 5000, "three pings")
      assert.isAtLeast(pings, 3)
    }))
})

describe("SogniSocket events", () => {
  it.scopedLive("skips malformed frames and keeps the connection", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      const events = yield* socket.subscribe(["balanceUpdate", "swarmModels"])
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      conn.sendRaw("this is not json")
      conn.sendRaw(JSON.stringify({ type: "swarmModels" }))
      conn.sendRaw(JSON.stringify({ type: "swarmModels", data: "!!!" }))
      conn.send("someFutureEvent", { a: 1 })
      conn.send("swarmModels", { "flux1-schnell-fp8": "many" })
      conn.send("swarmModels", { "flux1-schnell-fp8": 3 })
      const first = yield* Queue.take(events)
      assert.deepStrictEqual(first, { type: "swarmModels", payload: { "flux1-schnell-fp8": 3 } })
      assert.strictEqual(yield* statusTag(socket), "Authenticated")
      assert.isFalse(conn.closed)
    }))

  it.scopedLive("a subscription ends with its scope: its queue is shut down and no longer fed; the other subscribers go on", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      const inner = yield* Scope.make()
      const ended = yield* socket.subscribe(["toastMessage"]).pipe(Scope.extend(inner))
      const kept = yield* socket.subscribe(["toastMessage"])
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      conn.send("toastMessage", { type: "info", message: "one" })
      assert.strictEqual((yield* Queue.take(ended)).type, "toastMessage")
      assert.strictEqual((yield* Queue.take(kept)).type, "toastMessage")
      yield* Scope.close(inner, Exit.void)
      assert.isTrue(yield* Queue.isShutdown(ended))
      conn.send("toastMessage", { type: "info", message: "two" })
      const next = yield* Queue.take(kept)
      assert.deepStrictEqual(next.payload, { type: "info", message: "two" })
      assert.strictEqual(yield* statusTag(socket), "Authenticated")
    }))

  it.scopedLive("routes job events to their route only, upper-casing ids", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      const all = yield* socket.subscribe()
      const route = yield* socket.route("aaaa-1111")
      yield* socket.awaitAuthenticated
      assert.strictEqual((yield* Queue.take(all)).type, "authenticated")
      const conn = server.connections[0]!
      conn.send("jobProgress", { jobID: "aaaa-1111", imgID: "j1", step: 1, stepCount: 4 })
      conn.send("jobProgress", { jobID: "BBBB-2222", imgID: "j2", step: 1, stepCount: 4 })
      const routed = yield* Queue.take(route)
      assert.deepStrictEqual(routed.payload, { jobID: "AAAA-1111", imgID: "J1", step: 1, stepCount: 4 })
      const unrouted = yield* Queue.take(all)
      assert.strictEqual((unrouted.payload as { jobID: string }).jobID, "BBBB-2222")
      assert.strictEqual(yield* Queue.size(all), 0)
    }))

  it.scopedLive("a queued route holds at most eventBufferCapacity events: the oldest are dropped for the newest", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url, { eventBufferCapacity: 3 })
      const route = yield* socket.route("cccc-3333")
      const last = yield* socket.subscribe(["toastMessage"])
      yield* socket.awaitAuthenticated
      const conn = server.connections[0]!
      for (let step = 1; step <= 5; step++) conn.send("jobProgress", { jobID: "cccc-3333", imgID: "j1", step, stepCount: 5 })
      conn.send("jobResult", { jobID: "cccc-3333", imgID: "j1", performedSteps: 5 })
      // frames are handled in order: once this one arrived, every routed frame before it has been offered
      conn.send("toastMessage", { type: "info", message: "marker" })
      yield* Queue.take(last)
      const held = yield* Queue.takeAll(route)
      const seen = [...held].map((e) => (e.type === "jobProgress" ? `progress ${(e.payload as { step: number }).step}` : e.type))
      assert.deepStrictEqual(seen, ["progress 4", "progress 5", "jobResult"])
    }))
})

describe("SogniSocket reconnects (TestClock)", () => {
  const recoverable = [1001, 1011, 1012, 1013, 3000]

  for (const code of recoverable) {
    it.scoped(`close ${code}: reconnects after ~1 s (jitter ±20 %) and not before`, () =>
      Effect.gen(function*() {
        const server = yield* makeScriptedServer((c) => {
          c.authenticate()
          if (server_.connections.length === 1) setTimeout(() => c.ws.close(code), 20)
        })
        const server_ = server
        const { socket } = yield* openSocket(server.url)
        yield* socket.connect
        yield* eventually(() => server.connections.length === 1, 5000, "first connection")
        const status = yield* awaitStatus(socket, "Reconnecting")
        assert(status._tag === "Reconnecting")
        const delay = Duration.toMillis(status.delay)
        assert.isAtLeast(delay, 800)
        assert.isAtMost(delay, 1200)
        assert.strictEqual(status.closeCode, code)
        yield* TestClock.adjust(Duration.millis(delay - 1))
        yield* realSleep(50)
        assert.strictEqual(server.connections.length, 1)
        yield* TestClock.adjust(Duration.millis(1))
        yield* eventually(() => server.connections.length === 2, 5000, "the reconnect")
        yield* awaitStatus(socket, "Authenticated")
      }))
  }

  it.scoped("sends made at different times each give up sendTimeout after they were made; one the caller left is dropped", () =>
    Effect.gen(function*() {
      // a host that refuses connections: nothing can be sent, every send waits for its deadline
      const { socket } = yield* openSocket("ws://127.0.0.1:1", { sendTimeout: "400 millis" })
      const send = Effect.either(socket.send({ type: "changeNetwork", payload: "fast" }))
      const first = yield* Effect.fork(send)
      const left = yield* Effect.fork(send)
      yield* realSleep(20)
      yield* TestClock.adjust(Duration.millis(200))
      yield* Fiber.interrupt(left)
      const second = yield* Effect.fork(send)
      yield* realSleep(20)
      yield* TestClock.adjust(Duration.millis(199))
      yield* realSleep(20)
      assert.isTrue(Option.isNone(yield* Fiber.poll(first)))
      yield* TestClock.adjust(Duration.millis(1))
      const a = yield* Fiber.join(first)
      assert.isTrue(Either.isLeft(a) && a.left._tag === "SogniTransportError" && (a.left as { reason: string }).reason === "Timeout")
      assert.isTrue(Either.isLeft(a) && a.left.message.includes("changeNetwork"))
      // the second, made 200 ms later, still waits until its own deadline
      yield* realSleep(20)
      assert.isTrue(Option.isNone(yield* Fiber.poll(second)))
      yield* TestClock.adjust(Duration.millis(199))
      yield* realSleep(20)
      assert.isTrue(Option.isNone(yield* Fiber.poll(second)))
      yield* TestClock.adjust(Duration.millis(1))
      const b = yield* Fiber.join(second)
      assert.isTrue(Either.isLeft(b) && (b.left as { reason: string }).reason === "Timeout")
    }))

  it.scopedLive("sends held before authenticated: a full outbox makes callers wait for room, an interrupted send (queued or waiting for room) is never written, the rest go out in order", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer(() => {})
      const { socket } = yield* openSocket(server.url, {
        sendQueueCapacity: 2,
        authenticatedFallback: "30 seconds",
        sendTimeout: "30 seconds"
      })
      const send = (jobID: string) => Effect.fork(socket.send({ type: "llmJobCancel", payload: { jobID } }))
      const fibers = new Map<string, Fiber.RuntimeFiber<void, unknown>>()
      for (const id of ["A", "B", "C", "D", "E", "F"]) {
        fibers.set(id, yield* send(id))
        yield* realSleep(5)
      }
      yield* eventually(() => server.connections.length === 1, 5000, "the connection")
      // "A" and "B" fill the outbox; "C".."F" wait for room (job IDs go out upper-cased)
      for (const id of fibers.keys()) assert.isTrue(Option.isNone(yield* Fiber.poll(fibers.get(id)!)), id)
      yield* Fiber.interrupt(fibers.get("A")!) // queued
      yield* Fiber.interrupt(fibers.get("D")!) // waiting for room
      server.connections[0]!.authenticate()
      for (const id of ["B", "C", "E", "F"]) {
        const exit = yield* Fiber.await(fibers.get(id)!)
        assert.isTrue(Exit.isSuccess(exit), id)
      }
      yield* eventually(() => server.connections[0]!.received.length >= 4, 5000, "four frames")
      yield* realSleep(50)
      const ids = server.connections[0]!.received.map((f) => (f.payload as { jobID: string }).jobID)
      assert.deepStrictEqual(ids, ["B", "C", "E", "F"])
    }))

  it.scopedLive("an authenticated socket writes sends in the order they were made, whether on the caller's turn or through the outbox after a drop", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      yield* socket.awaitAuthenticated
      const send = (jobID: string) => socket.send({ type: "llmJobCancel", payload: { jobID } })
      // 300 concurrent sends on a connected socket
      const first = Array.from({ length: 300 }, (_, i) => `A${i}`)
      yield* Effect.forEach(first, send, { concurrency: "unbounded", discard: true })
      yield* eventually(() => server.connections[0]!.received.length >= 300, 5000, "300 frames")
      const ids = (n: number) => server.connections[n]!.received.map((f) => (f.payload as { jobID: string }).jobID)
      assert.deepStrictEqual(ids(0), first)
      // the server drops the connection: the next sends wait in the outbox and go out first, in order,
      // then the ones made once the new connection is up
      server.connections[0]!.ws.terminate()
      yield* awaitStatus(socket, "Reconnecting")
      const held = Array.from({ length: 50 }, (_, i) => `B${i}`)
      const heldFiber = yield* Effect.fork(Effect.forEach(held, send, { concurrency: "unbounded", discard: true }))
      yield* awaitStatus(socket, "Authenticated")
      const after = Array.from({ length: 50 }, (_, i) => `C${i}`)
      yield* Effect.forEach(after, send, { concurrency: "unbounded", discard: true })
      yield* Fiber.join(heldFiber)
      yield* eventually(() => server.connections[1]?.received.length === 100, 5000, "100 frames on the new connection")
      assert.deepStrictEqual(ids(1), [...held, ...after])
    }))

  it.scoped("an abnormal drop (1006, no close frame) reconnects", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        c.authenticate()
        if (server.connections.length === 1) setTimeout(() => c.ws.terminate(), 20)
      })
      const { socket } = yield* openSocket(server.url)
      yield* socket.connect
      const status = yield* awaitStatus(socket, "Reconnecting")
      assert(status._tag === "Reconnecting" && status.closeCode === 1006)
      yield* TestClock.adjust(status.delay)
      yield* eventually(() => server.connections.length === 2, 5000, "the reconnect")
    }))

  // without a `reconnectSchedule` the delays are stepped by hand; given one (here the default schedule
  // itself, as a Schedule) they come from stepping the schedule: the same delays either way
  it.scoped.each([
    ["the defaults", undefined],
    ["defaultReconnectSchedule given as reconnectSchedule", {
      reconnectSchedule: SogniSocket.defaultReconnectSchedule({
        reconnectBase: Duration.seconds(1),
        reconnectCap: Duration.seconds(15),
        reconnectJitter: 0.2
      })
    }]
  ] as const)("backs off exponentially while the host refuses connections: ~1, 2, 4, 8, 15, 15 s (%s)", ([, options]) =>
    Effect.gen(function*() {
      const { socket } = yield* openSocket("ws://127.0.0.1:1", {}, options)
      yield* socket.connect
      const expected = [1000, 2000, 4000, 8000, 15000, 15000]
      for (let i = 0; i < expected.length; i++) {
        const status = yield* awaitStatus(socket, "Reconnecting", i + 1)
        assert(status._tag === "Reconnecting")
        const delay = Duration.toMillis(status.delay)
        assert.isAtLeast(delay, expected[i]! * 0.8 - 1)
        assert.isAtMost(delay, expected[i]! * 1.2 + 1)
        // nothing happens one millisecond early
        yield* TestClock.adjust(Duration.millis(delay - 1))
        yield* realSleep(20)
        const still = yield* SubscriptionRef.get(socket.status)
        assert(still._tag === "Reconnecting" && still.attempt === i + 1)
        yield* TestClock.adjust(Duration.millis(1))
      }
    }))

  it.scoped("close 1000 does not reconnect; the next send reopens the socket", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        c.authenticate()
        if (server.connections.length === 1) setTimeout(() => c.ws.close(1000), 20)
      })
      const { socket } = yield* openSocket(server.url)
      yield* socket.connect
      yield* eventually(() => server.connections[0]?.closed === true, 5000, "close")
      yield* awaitStatus(socket, "Idle")
      yield* TestClock.adjust("60 seconds")
      yield* realSleep(50)
      assert.strictEqual(server.connections.length, 1)
      yield* socket.send({ type: "changeNetwork", payload: "fast" })
      assert.strictEqual(server.connections.length, 2)
      yield* eventually(() => server.connections[1]!.received.length === 1, 5000, "the frame")
    }))

  const terminal: Array<[number, string, string]> = [
    [4015, "SogniConnectionReplacedError", "ConnectionReplaced"],
    [4021, "SogniAuthenticationError", "InvalidCredentials"],
    [4010, "SogniAuthenticationError", "AppIdBlocked"],
    [4003, "SogniAuthenticationError", "Rejected"]
  ]
  for (const [code, tag, reason] of terminal) {
    it.scoped(`close ${code} is terminal (${reason}) and fails pending sends`, () =>
      Effect.gen(function*() {
        const server = yield* makeScriptedServer((c) => setTimeout(() => c.ws.close(code, "policy"), 20))
        const { invalidated, socket } = yield* openSocket(server.url)
        const pending = yield* Effect.fork(socket.send({ type: "changeNetwork", payload: "fast" }))
        const status = yield* awaitStatus(socket, "Closed")
        assert(status._tag === "Closed" && Option.isSome(status.error))
        const error = (status as { error: Option.Some<{ _tag: string; reason: string; message: string }> }).error.value
        assert.strictEqual(error._tag, tag)
        assert.strictEqual(error.reason, reason)
        const exit = yield* Fiber.await(pending)
        assert.isTrue(Exit.isFailure(exit))
        yield* TestClock.adjust("5 minutes")
        yield* realSleep(50)
        assert.strictEqual(server.connections.length, 1)
        // only 4021 refuses the credential itself and clears it; 4015 (another connection owns the appId),
        // 4010 (the appId is blocked) and an unknown 4xxx keep it
        assert.deepStrictEqual(yield* Ref.get(invalidated), code === 4021 ? [reason] : [])
        // a refusal's error names the close's code and reason
        if (code !== 4015) assert.include(error.message, `${code} (policy)`)
        const late = yield* Effect.either(socket.send({ type: "changeNetwork", payload: "fast" }))
        assert.isTrue(Either.isLeft(late) && late.left._tag === tag)
      }))
  }
})

describe("SogniSocket across reconnects", () => {
  it.scopedLive("keeps sends made during a gap and delivers them after the next authenticated", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        if (server.connections.length === 1) {
          c.authenticate()
          setTimeout(() => c.ws.terminate(), 30)
        } else {
          setTimeout(() => c.authenticate(), 100)
        }
      })
      const { socket } = yield* openSocket(server.url, { reconnectBase: "50 millis" })
      yield* socket.awaitAuthenticated
      yield* awaitStatus(socket, "Reconnecting")
      yield* socket.send({ type: "llmJobCancel", payload: { jobID: "GAP-1" } })
      const second = server.connections[1]!
      yield* eventually(() => second.received.length === 1, 5000, "the frame")
      assert.isAtLeast(second.received[0]!.at, second.authenticatedAt!)
    }))

  it.scopedLive("events and routes outlive reconnects; the latest authenticated snapshot is kept", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        c.authenticate({ clientSID: server.connections.length })
        if (server.connections.length === 1) setTimeout(() => c.ws.close(1012), 20)
        else c.send("jobResult", { jobID: "p-1", imgID: "j-1", lastSeed: "7" })
      })
      const { socket } = yield* openSocket(server.url, { reconnectBase: "20 millis" })
      const route = yield* socket.route("P-1")
      yield* socket.connect
      const event = yield* Queue.take(route)
      assert.strictEqual(event.type, "jobResult")
      const auth = yield* SubscriptionRef.get(socket.authenticated)
      assert.strictEqual(Option.getOrThrow(auth).clientSID, 2)
    }))

  it.scopedLive("re-applies the server's event-subscription snapshot and the network on reconnect", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        c.authenticate()
        c.ws.on("message", (data) => {
          const env = JSON.parse(data.toString()) as { type: string }
          if (env.type === "setSocketEventSubscriptions") {
            c.send("socketEventSubscriptionsUpdated", { socketEventSubscriptions: { modelAvailability: false } })
          }
          if (env.type === "changeNetwork") c.send("changeNetwork", { network: "relaxed" })
        })
      })
      const { socket } = yield* openSocket(server.url, { reconnectBase: "20 millis" })
      const flags = yield* socket.setEventSubscriptions({ subscriptions: { modelAvailability: false } })
      assert.deepStrictEqual(flags, { modelAvailability: false })
      assert.strictEqual(yield* socket.switchNetwork("relaxed"), "relaxed")
      server.connections[0]!.ws.close(1001)
      yield* eventually(() => server.connections.length === 2, 5000, "reconnect")
      const url = server.connections[1]!.url
      assert.deepStrictEqual(JSON.parse(url.searchParams.get("socketEventSubscriptions")!), { modelAvailability: false })
      assert.strictEqual(url.searchParams.get("forceWorkerId"), "")
    }))
})

describe("SogniSocket resources", () => {
  it.scopedLive("100 scoped clients opened and closed leave no socket, timer or fiber behind", () =>
    Effect.gen(function*() {
      const server: ScriptedServer = yield* makeScriptedServer()
      const resourceCount = () =>
        process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "TCPSocketWrap").length
      const baseline = resourceCount()
      const supervisor = yield* Supervisor.track
      yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) =>
          Effect.scoped(
            Effect.gen(function*() {
              const { socket } = yield* openSocket(server.url, { appId: `app-${i}` })
              yield* socket.awaitAuthenticated
              yield* socket.events.pipe(Stream.take(0), Stream.runDrain)
            })
          ),
        { concurrency: 10 }
      ).pipe(Effect.supervised(supervisor))
      assert.strictEqual(server.connections.length, 100)
      yield* eventually(() => server.connections.every((c) => c.closed), 5000, "all server sides closed")
      yield* eventually(() => resourceCount() <= baseline, 5000, "sockets and timers released")
      const live = yield* supervisor.value
      assert.strictEqual(live.length, 0)
    }))

  it.scopedLive("disconnect closes with 1000; the next send opens a new socket", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const { socket } = yield* openSocket(server.url)
      yield* socket.awaitAuthenticated
      const codes: Array<number> = []
      server.connections[0]!.ws.on("close", (code) => codes.push(code))
      yield* socket.disconnect
      yield* awaitStatus(socket, "Idle")
      assert.deepStrictEqual(codes, [1000])
      yield* socket.send({ type: "changeNetwork", payload: "relaxed" })
      yield* eventually(() => server.connections[1]?.received.length === 1, 5000, "the frame on a new socket")
    }))

  it.scopedLive("disconnect during an opening that fails returns (no socket to close) instead of waiting forever", () =>
    Effect.gen(function*() {
      // a server that accepts the TCP connection, never answers the upgrade, and drops it after 150 ms
      const server = net.createServer((c) => {
        setTimeout(() => c.destroy(), 150)
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () => Effect.sync(() => server.close())
      )
      const port = (server.address() as net.AddressInfo).port
      const { socket } = yield* openSocket(`ws://127.0.0.1:${port}`)
      yield* socket.connect
      yield* awaitStatus(socket, "Connecting")
      const disconnecting = yield* Effect.fork(socket.disconnect)
      // the open fails (the peer hangs up), the loop goes on to reconnect, and the disconnect is done
      yield* awaitStatus(socket, "Reconnecting")
      const done = yield* Fiber.join(disconnecting).pipe(Effect.timeout(Duration.seconds(5)), Effect.option)
      assert.isTrue(Option.isSome(done), "disconnect returned once the opening attempt ended")
    }))

  it.scopedLive("closing the scope closes the socket with 1000", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const scope = yield* Scope.make()
      const { socket } = yield* openSocket(server.url).pipe(Scope.extend(scope))
      yield* socket.awaitAuthenticated
      const codes: Array<number> = []
      server.connections[0]!.ws.on("close", (code) => codes.push(code))
      yield* Scope.close(scope, Exit.void)
      yield* eventually(() => codes.length === 1, 5000, "close")
      assert.deepStrictEqual(codes, [1000])
    }))

  it.scopedLive("a wait for authenticated when the service shuts down, and one made after, fail with Closed instead of spinning until authenticateTimeout", () =>
    Effect.gen(function*() {
      // a server that never authenticates: the wait is still waiting when the scope closes
      const server = yield* makeScriptedServer(() => {})
      const scope = yield* Scope.make()
      const { socket } = yield* openSocket(server.url, { authenticateTimeout: "1 hour" }).pipe(Scope.extend(scope))
      const waiting = yield* Effect.fork(socket.awaitAuthenticated)
      yield* awaitStatus(socket, "Open")
      yield* Scope.close(scope, Exit.void)
      const during = yield* Effect.flip(Fiber.join(waiting))
      assert.instanceOf(during, SogniError.SogniTransportError)
      assert.strictEqual((during as SogniError.SogniTransportError).reason, "Closed")
      assert.include(during.message, "shut down")
      const after = yield* Effect.flip(socket.awaitAuthenticated)
      assert.instanceOf(after, SogniError.SogniTransportError)
      assert.strictEqual((after as SogniError.SogniTransportError).reason, "Closed")
    }))

  it.scopedLive("sends held for the handshake go out on its turn, before the frames that came with it are read (a ping right behind it is answered after)", () =>
    Effect.gen(function*() {
      // what the server hears, in order: each client text frame's type, and each pong
      const heard: Array<string> = []
      const server = yield* makeScriptedServer((c) => {
        c.ws.on("pong", () => heard.push("pong"))
        c.ws.on("message", (data: Buffer) => heard.push(String(JSON.parse(data.toString("utf8")).type)))
        // the handshake and a ping in one write: the client reads both in one go
        const tcp = (c.ws as unknown as { readonly _socket: import("node:net").Socket })._socket
        tcp.cork()
        c.authenticate()
        c.ws.ping()
        process.nextTick(() => tcp.uncork())
      })
      const { socket } = yield* openSocket(server.url)
      // made before any connection: it opens one and waits for the handshake in the outbox
      const sending = yield* Effect.fork(socket.send({ type: "llmJobCancel", payload: { jobID: "held" } }))
      yield* Fiber.join(sending)
      yield* eventually(() => heard.includes("pong"), 5000, "the pong")
      assert.deepStrictEqual(heard.slice(0, 2), ["llmJobCancel", "pong"])
      assert.strictEqual(server.connections.length, 1)
    }))

  it.scopedLive("a send waiting in the outbox after an authenticated socket dropped fails with Closed when the service shuts down", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer()
      const scope = yield* Scope.make()
      const { socket } = yield* openSocket(server.url, { reconnectBase: "1 hour", sendTimeout: "1 hour" }).pipe(
        Scope.extend(scope)
      )
      yield* socket.awaitAuthenticated
      // the connection that authenticated is gone and the next one is an hour away: the send waits
      server.connections[0]!.ws.terminate()
      yield* awaitStatus(socket, "Reconnecting")
      const waiting = yield* Effect.fork(socket.send({ type: "llmJobCancel", payload: { jobID: "W" } }))
      yield* realSleep(20)
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)), "the send waits for the next connection")
      yield* Scope.close(scope, Exit.void)
      const failed = yield* Effect.flip(Fiber.join(waiting))
      assert.instanceOf(failed, SogniError.SogniTransportError)
      assert.strictEqual((failed as SogniError.SogniTransportError).reason, "Closed")
      assert.include(failed.message, "shut down")
      assert.strictEqual(server.connections.length, 1)
    }))
})

describe("SogniSocket after an end for good", () => {
  for (const code of [4015, 4010, 4021]) {
    it.scopedLive(`after close ${code}, reopen returns the status to Idle; nothing opens until the next send, which opens a fresh connection`, () =>
      Effect.gen(function*() {
        // the first connection is closed with the code; later ones are authenticated and kept
        const server = yield* makeScriptedServer((c) => {
          if (server.connections.length === 1) setTimeout(() => c.ws.close(code, "policy"), 20)
          else c.authenticate()
        })
        const { socket } = yield* openSocket(server.url)
        yield* socket.connect
        yield* awaitStatus(socket, "Closed")
        assert.deepStrictEqual(yield* socket.lastClose, Option.some({ code, reason: "policy" }))
        assert.isTrue(yield* socket.reopen)
        assert.strictEqual(yield* statusTag(socket), "Idle")
        // a second call finds no end to forget
        assert.isFalse(yield* socket.reopen)
        yield* realSleep(100)
        assert.strictEqual(server.connections.length, 1, "reopen opens nothing by itself")
        yield* socket.send({ type: "changeNetwork", payload: "relaxed" })
        yield* eventually(() => server.connections[1]?.received.length === 1, 5000, "the frame on a fresh connection")
        assert.strictEqual(yield* statusTag(socket), "Authenticated")
        assert.isFalse(yield* socket.reopen, "a live connection is no end to forget")
      }))
  }

  it.scopedLive("a reopen made by a watcher of the status as soon as it reads Closed: the send pending at the close fails with it, the next one goes out on a fresh connection", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        if (server.connections.length === 1) setTimeout(() => c.ws.close(4015, "another"), 20)
        else c.authenticate()
      })
      const { socket } = yield* openSocket(server.url)
      const reopened: Array<boolean> = []
      yield* Effect.forkScoped(SubscriptionRefs.forEachChange(socket.status, (s) =>
        s._tag === "Closed" ? Effect.map(socket.reopen, (r) => void reopened.push(r)) : Effect.void))
      const pending = yield* Effect.fork(socket.send({ type: "changeNetwork", payload: "fast" }))
      const exit = yield* Fiber.await(pending)
      assert.isTrue(Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.exists((e) => e._tag === "SogniConnectionReplacedError")))
      yield* eventually(() => reopened.length === 1, 5000, "the watcher's reopen")
      assert.deepStrictEqual(reopened, [true])
      yield* socket.send({ type: "changeNetwork", payload: "relaxed" })
      yield* eventually(() => server.connections[1]?.received.length === 1, 5000, "the frame on a fresh connection")
    }))

  it.scopedLive("awaitTerminal completes with an end that a reopen forgot before the waiter ran again", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => {
        if (server.connections.length === 1) setTimeout(() => c.ws.close(4015, "another"), 20)
        else c.authenticate()
      })
      const { socket } = yield* openSocket(server.url)
      // the waiter runs on a scheduler of its own, stepped by hand: it is resumed only after the reopen
      const scheduler = new Scheduler.ControlledScheduler()
      const waiter = Effect.runFork(Effect.withScheduler(socket.awaitTerminal, scheduler), { scheduler })
      scheduler.step()
      assert.isNull(waiter.unsafePoll(), "waiting while the connection may still come")
      yield* socket.connect
      yield* awaitStatus(socket, "Closed")
      assert.isTrue(yield* socket.reopen)
      assert.isNull(waiter.unsafePoll(), "not resumed yet")
      scheduler.step()
      const exit = waiter.unsafePoll()
      assert(exit !== null && Exit.isSuccess(exit), "completed")
      assert.strictEqual(exit.value._tag, "SogniConnectionReplacedError")
      // a waiter started after the reopen waits for the next end
      const next = yield* Effect.fork(socket.awaitTerminal)
      yield* realSleep(50)
      assert.isNull(next.unsafePoll())
      yield* Fiber.interrupt(next)
    }))

  it.scopedLive("reopen before a connection ever ended, and once the service shut down, returns false", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer((c) => setTimeout(() => c.ws.close(4015, "another"), 20))
      const scope = yield* Scope.make()
      const { socket } = yield* openSocket(server.url).pipe(Scope.extend(scope))
      assert.isFalse(yield* socket.reopen)
      yield* socket.connect
      yield* awaitStatus(socket, "Closed")
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* socket.reopen)
      const status = yield* SubscriptionRef.get(socket.status)
      assert(status._tag === "Closed" && Option.isSome(status.error), "still ended")
    }))

  it.scopedLive("lastClose: the close frame's code and reason as they came; 1006 and no text after a drop without one; the client's own close as echoed", () =>
    Effect.gen(function*() {
      // 1: closed by the server with 1000 and a reason; 2: dropped without a close frame; 3: kept
      const server = yield* makeScriptedServer((c) => {
        c.authenticate()
        const n = server.connections.length
        if (n === 1) setTimeout(() => c.ws.close(1000, "maintenance"), 20)
        if (n === 2) setTimeout(() => c.ws.terminate(), 20)
      })
      const { socket } = yield* openSocket(server.url, { reconnectBase: Duration.millis(10), reconnectJitter: 0 })
      assert.isTrue(Option.isNone(yield* socket.lastClose))
      yield* socket.connect
      yield* eventually(() => server.connections[0]?.closed === true, 5000, "the server's close")
      yield* awaitStatus(socket, "Idle")
      assert.deepStrictEqual(yield* socket.lastClose, Option.some({ code: 1000, reason: "maintenance" }))
      yield* socket.connect
      yield* eventually(() => server.connections.length === 3, 5000, "the reconnection after the drop")
      yield* awaitStatus(socket, "Authenticated")
      assert.deepStrictEqual(yield* socket.lastClose, Option.some({ code: 1006, reason: "" }))
      yield* socket.disconnect
      yield* awaitStatus(socket, "Idle")
      assert.deepStrictEqual(yield* socket.lastClose, Option.some({ code: 1000, reason: "Client disconnected" }))
    }))
})
