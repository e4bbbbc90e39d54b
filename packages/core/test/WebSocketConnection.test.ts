/**
 * One connection's lifecycle (`WebSocketConnection.open`) over real loopback sockets against a
 * scripted `ws` server: the open, headers, frames both ways (text and binary), the end as a close
 * (code and reason) or a break at a stage, writes that wait after the end, and the close on release.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Net from "node:net"
import type { Socket as NetSocket } from "node:net"
import * as WebSocketConnection from "../src/WebSocketConnection.js"
import { eventually, makeScriptedServer } from "./util/ScriptedServer.js"

describe("WebSocketConnection", () => {
  it.scopedLive("opens with the headers, carries text and binary frames both ways, and ends with the server's close", () =>
    Effect.gen(function*() {
      const heard: Array<string> = []
      const server = yield* makeScriptedServer((c) => {
        c.ws.on("message", (data) => {
          heard.push(data.toString())
          if (data.toString() === "bye") c.ws.close(4001, "done here")
        })
        c.ws.send("text frame")
        c.ws.send(Buffer.from([1, 2, 3]))
      })
      const frames: Array<string | Uint8Array> = []
      const connection = yield* WebSocketConnection.open({
        url: server.url,
        headers: { "api-key": Redacted.make("k-123") },
        connectTimeout: Duration.seconds(5),
        onFrame: (data) => frames.push(data)
      })
      assert.strictEqual(server.connections[0]!.headers["api-key"], "k-123")
      yield* eventually(() => frames.length === 2, 5_000, "two frames")
      assert.strictEqual(frames[0], "text frame")
      assert.instanceOf(frames[1], Uint8Array)
      assert.deepStrictEqual([...(frames[1] as Uint8Array)], [1, 2, 3])
      assert.isTrue(connection.writeNow("now"))
      yield* connection.write("queued")
      yield* connection.write("bye")
      const ended = yield* connection.ended
      assert.deepStrictEqual(ended, { _tag: "Closed", code: 4001, reason: "done here" })
      assert.deepStrictEqual(heard, ["now", "queued", "bye"])
      // after the end nothing goes into the closed socket: writeNow refuses, a write waits until interrupted
      assert.isFalse(connection.writeNow("late"))
      const late = yield* Effect.fork(connection.write("late"))
      yield* Effect.yieldNow()
      assert.isTrue(Option.isNone(yield* Fiber.poll(late)))
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(late)))
      assert.deepStrictEqual(heard, ["now", "queued", "bye"])
    }))

  it.scopedLive("closing the scope closes with 1000 and stops handing frames on", () =>
    Effect.gen(function*() {
      const codes: Array<number> = []
      const server = yield* makeScriptedServer((c) => {
        c.ws.on("close", (code) => codes.push(code))
      })
      const frames: Array<string | Uint8Array> = []
      const scope = yield* Scope.make()
      const connection = yield* WebSocketConnection.open({
        url: server.url,
        connectTimeout: Duration.seconds(5),
        onFrame: (data) => frames.push(data)
      }).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      // the closing handshake is under way: a frame the server sends meanwhile is not handed on
      server.connections[0]!.ws.send("after release")
      yield* eventually(() => codes.length === 1, 5_000, "the server to see the close")
      assert.deepStrictEqual(codes, [1000])
      assert.deepStrictEqual(yield* connection.ended, { _tag: "Closed", code: 1000, reason: "" })
      assert.deepStrictEqual(frames, [])
    }))

  it.scopedLive("a frame above maxFrameBytes breaks the connection while reading, closed with 1009, and is not handed on", () =>
    Effect.gen(function*() {
      const codes: Array<number> = []
      const server = yield* makeScriptedServer((c) => {
        c.ws.on("close", (code) => codes.push(code))
        c.ws.send("x".repeat(2_000))
      })
      const frames: Array<string | Uint8Array> = []
      const connection = yield* WebSocketConnection.open({
        url: server.url,
        maxFrameBytes: 1_000,
        connectTimeout: Duration.seconds(5),
        onFrame: (data) => frames.push(data)
      })
      const ended = yield* connection.ended
      assert.strictEqual(ended._tag === "Broken" ? ended.stage : ended._tag, "Read")
      assert.match(String((ended as { readonly cause?: { readonly message?: unknown } }).cause?.message), /payload/i)
      yield* eventually(() => codes.length === 1, 5_000, "the server to see the close")
      assert.deepStrictEqual(codes, [1009])
      assert.deepStrictEqual(frames, [])
    }))

  it.scopedLive("a refused connection fails at the Open stage; a host that never answers the upgrade at OpenTimeout", () =>
    Effect.gen(function*() {
      // a port with nothing listening: refused
      const free = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const probe = Net.createServer().listen(0, "127.0.0.1", () => {
            const port = (probe.address() as Net.AddressInfo).port
            probe.close(() => resolve(port))
          })
        })
      )
      const refused = yield* Effect.either(Effect.scoped(WebSocketConnection.open({
        url: `ws://127.0.0.1:${free}/`,
        connectTimeout: Duration.seconds(5),
        onFrame: () => {}
      })))
      assert.isTrue(Either.isLeft(refused))
      const refusal = Either.isLeft(refused) ? refused.left : undefined
      assert.strictEqual(refusal?._tag, "Broken")
      assert.strictEqual(refusal?._tag === "Broken" ? refusal.stage : undefined, "Open")
      assert.isTrue(WebSocketConnection.isEnded(refusal))

      // accepts TCP, never answers the upgrade
      const held: Array<NetSocket> = []
      const closed: Array<NetSocket> = []
      const silent = Net.createServer((socket) => {
        held.push(socket)
        socket.on("error", () => {})
        socket.resume() // read (and ignore) the upgrade request, so that the client's FIN is seen
        socket.on("close", () => closed.push(socket))
      })
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()))),
        () =>
          Effect.promise(() =>
            new Promise<void>((resolve) => {
              for (const s of held) s.destroy()
              silent.close(() => resolve())
            })
          )
      )
      const port = (silent.address() as Net.AddressInfo).port
      const slow = yield* Effect.either(Effect.scoped(WebSocketConnection.open({
        url: `ws://127.0.0.1:${port}/`,
        connectTimeout: Duration.millis(200),
        onFrame: () => {}
      })))
      assert.isTrue(Either.isLeft(slow))
      const timedOut = Either.isLeft(slow) ? slow.left : undefined
      assert.strictEqual(timedOut?._tag === "Broken" ? timedOut.stage : undefined, "OpenTimeout")
      // the abandoned attempt's TCP connection is closed
      yield* eventually(() => held.length === 1 && closed.length === 1, 5_000, "the attempt's socket to close")
    }))

  it.scopedLive("a connection dropped without a close frame ends with 1006", () =>
    Effect.gen(function*() {
      const server = yield* makeScriptedServer(() => {})
      const connection = yield* WebSocketConnection.open({
        url: server.url,
        connectTimeout: Duration.seconds(5),
        onFrame: () => {}
      })
      assert.isTrue(connection.canPing)
      connection.ping()
      server.connections[0]!.ws.terminate()
      const ended = yield* connection.ended
      assert.strictEqual(ended._tag === "Closed" ? ended.code : undefined, 1006)
    }))
})
