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
import { createHash } from "node:crypto"
import * as Net from "node:net"
import type { Socket as NetSocket } from "node:net"
import WS from "ws"
import * as WebSocketConnection from "../src/WebSocketConnection.js"
import { eventually, makeScriptedServer } from "./util/ScriptedServer.js"

// listens on a loopback port in the current scope (its port); on release destroys `sockets` and closes
const listenLoopback = (server: Net.Server, sockets: Iterable<NetSocket>) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as Net.AddressInfo).port))
      )
    ),
    () =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy()
          server.close(() => resolve())
        })
      )
  )

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
      const port = yield* listenLoopback(silent, held)
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

  describe("read coalescing", () => {
    // a connection with 2 ms read coalescing, its frames collected in arrival order
    const openCoalescing = (url: string) =>
      Effect.gen(function*() {
        const frames: Array<string | Uint8Array> = []
        const connection = yield* WebSocketConnection.open({
          url,
          connectTimeout: Duration.seconds(5),
          readCoalesce: Duration.millis(2),
          onFrame: (data) => frames.push(data)
        })
        return { connection, frames }
      })

    // records the pauses the transport makes (`ws`'s own `pause`, which coalescing uses) while `f` runs:
    // for each, the bytes the TCP socket still held unread by `ws`
    const recordingPauses = <A, E, R>(f: (pauses: () => ReadonlyArray<number>) => Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const original = WS.prototype.pause
          const held: Array<number> = []
          WS.prototype.pause = function(this: WS) {
            held.push((this as unknown as { readonly _socket: { readonly readableLength: number } })._socket.readableLength)
            return original.call(this)
          }
          return { original, pauses: () => held }
        }),
        ({ pauses }) => f(pauses),
        ({ original }) => Effect.sync(() => {
          WS.prototype.pause = original
        })
      )

    // a server that streams `n` small frames, each its own write (its own TCP segment: `ws` sets no-delay),
    // ten per turn, then one more after a quiet spell
    const streamingServer = (n: number) =>
      makeScriptedServer((c) => {
        let i = 0
        const burst = () => {
          for (let k = 0; k < 10 && i < n; k++) c.ws.send(`frame ${i++}`)
          if (i < n) setImmediate(burst)
          else setTimeout(() => c.ws.send("after the quiet spell"), 50)
        }
        burst()
      })

    const expected = (n: number) => [...Array.from({ length: n }, (_, i) => `frame ${i}`), "after the quiet spell"]

    it.scopedLive("a fast stream of small frames is read in paused batches, each pause after the last one's segments are handed on, every frame in order", () =>
      recordingPauses((pauses) =>
        Effect.gen(function*() {
          const n = 3_000
          const server = yield* streamingServer(n)
          const { frames } = yield* openCoalescing(server.url)
          yield* eventually(() => frames.length === n + 1, 10_000, "every frame")
          assert.deepStrictEqual(frames, expected(n))
          // reading did pause (the stream came faster than a read per 2 ms), and resumed every time
          assert.isAbove(pauses().length, 0)
          // each pause started only once what came during the last one was handed on: pausing on the first of
          // the segments a resume hands on would let one through per pause while the rest wait, the socket
          // stops reading at its high-water mark, and the server's frames pile up unread
          assert.deepStrictEqual(pauses().filter((bytes) => bytes > 0), [])
        })
      ))

    it.scopedLive("without it (the default) the same stream is read as it comes, never paused", () =>
      recordingPauses((pauses) =>
        Effect.gen(function*() {
          const n = 3_000
          const server = yield* streamingServer(n)
          const frames: Array<string | Uint8Array> = []
          yield* WebSocketConnection.open({
            url: server.url,
            connectTimeout: Duration.seconds(5),
            onFrame: (data) => frames.push(data)
          })
          yield* eventually(() => frames.length === n + 1, 10_000, "every frame")
          assert.deepStrictEqual(frames, expected(n))
          assert.strictEqual(pauses().length, 0)
        })
      ))

    // an unmasked server text frame (payloads under 126 bytes)
    const textFrame = (text: string) => Buffer.concat([Buffer.from([0x81, Buffer.byteLength(text)]), Buffer.from(text)])

    // a raw TCP server that answers the upgrade itself: `upgraded` gets the 101 response's bytes and the socket,
    // and writes them as it likes
    const rawServer = (upgraded: (response: Buffer, socket: NetSocket) => void) =>
      Effect.gen(function*() {
        const sockets = new Set<NetSocket>()
        const raw = Net.createServer((socket) => {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          socket.on("error", () => {})
          socket.once("data", (request) => {
            const key = /sec-websocket-key: *(\S+)/i.exec(request.toString("latin1"))?.[1] ?? ""
            const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64")
            upgraded(
              Buffer.from(
                `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`
              ),
              socket
            )
          })
        })
        return `ws://127.0.0.1:${yield* listenLoopback(raw, sockets)}/`
      })

    it.scopedLive("frames that come in the same packet as the upgrade response are handed on", () =>
      Effect.gen(function*() {
        // the 101 response and five frames in one write, so the client's HTTP parser hands the frames over as
        // the upgrade's leftover bytes
        const url = yield* rawServer((response, socket) => {
          socket.write(Buffer.concat([response, ...["one", "two", "three", "four", "five"].map(textFrame)]))
        })
        const { frames } = yield* openCoalescing(url)
        yield* eventually(() => frames.length === 5, 5_000, "the five frames")
        assert.deepStrictEqual(frames, ["one", "two", "three", "four", "five"])
      }))

    // the handshake first, then `script` writes bytes as it likes (no-delay: each write is its own segment)
    const scriptedRawServer = (script: (socket: NetSocket) => void) =>
      rawServer((response, socket) => {
        socket.setNoDelay(true)
        socket.write(response, () => script(socket))
      })

    // writes `bytes` in pieces of `size` bytes, `perTurn` pieces a turn (each its own write: no-delay sends
    // each as its own segment), then calls `then`
    const writeInPieces = (socket: NetSocket, bytes: Buffer, size: number, perTurn: number, then: () => void) => {
      let at = 0
      const turn = () => {
        if (socket.destroyed) return
        for (let k = 0; k < perTurn && at < bytes.length; k++, at += size) socket.write(bytes.subarray(at, at + size))
        if (at < bytes.length) setImmediate(turn)
        else then()
      }
      turn()
    }

    const texts = (n: number) => Array.from({ length: n }, (_, i) => `frame ${i}`)

    it.scopedLive("frames cut into one-byte segments arrive whole and in order through the pauses", () =>
      recordingPauses((pauses) => Effect.gen(function*() {
        const sent = texts(400)
        const url = yield* scriptedRawServer((socket) =>
          writeInPieces(socket, Buffer.concat(sent.map(textFrame)), 1, 8, () => socket.write(textFrame("last")))
        )
        const { connection, frames } = yield* openCoalescing(url)
        yield* eventually(() => frames.length === sent.length + 1, 20_000, "every frame")
        assert.deepStrictEqual(frames, [...sent, "last"])
        connection.terminate()
        assert.isAbove(pauses().length, 0)
        yield* connection.ended
      })))

    // a raw server streaming `sent` ten frames a write, four writes a turn, then doing `end` to its socket
    const fastStreamThen = (sent: ReadonlyArray<string>, end: (socket: NetSocket) => void) =>
      scriptedRawServer((socket) =>
        writeInPieces(socket, Buffer.concat(sent.map(textFrame)), 10 * textFrame("frame 1000").length, 4, () => end(socket))
      )

    it.scopedLive("a peer that half-closes right after a fast stream: every frame is handed on, then the connection ends", () =>
      Effect.gen(function*() {
        const sent = texts(2_000)
        // the FIN at once after the last write: it comes while the reader is paused
        const url = yield* fastStreamThen(sent, (socket) => socket.end())
        const { connection, frames } = yield* openCoalescing(url)
        const ended = yield* connection.ended.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "stalled" }))
        assert.deepStrictEqual(frames, sent)
        assert.deepStrictEqual(ended._tag === "Closed" ? ended.code : ended._tag, 1006)
      }))

    it.scopedLive("a server that closes right after a fast stream: every frame is handed on, then its close code", () =>
      Effect.gen(function*() {
        const n = 2_000
        // the close frame follows the last burst at once: it is read during or right after a pause
        const server = yield* makeScriptedServer((c) => {
          let i = 0
          const burst = () => {
            for (let k = 0; k < 10 && i < n; k++) c.ws.send(`frame ${i++}`)
            if (i < n) setImmediate(burst)
            else c.ws.close(4002, "all sent")
          }
          burst()
        })
        const { connection, frames } = yield* openCoalescing(server.url)
        const ended = yield* connection.ended.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "stalled" }))
        assert.deepStrictEqual(frames, texts(n))
        assert.deepStrictEqual(ended, { _tag: "Closed", code: 4002, reason: "all sent" })
      }))

    it.scopedLive("a peer that resets the connection during a fast stream: the connection ends, what came is in order", () =>
      Effect.gen(function*() {
        const sent = texts(2_000)
        const url = yield* fastStreamThen(sent, (socket) => socket.resetAndDestroy())
        const { connection, frames } = yield* openCoalescing(url)
        yield* connection.ended.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "stalled" }))
        // a reset may drop what the kernel still held; what was handed on is the stream's beginning, in order
        assert.deepStrictEqual(frames, sent.slice(0, frames.length))
      }))

    it.scopedLive("closing the scope mid-stream, during pauses, closes with 1000 and hands nothing more on", () =>
      Effect.gen(function*() {
        const codes: Array<number> = []
        let stop = false
        const server = yield* makeScriptedServer((c) => {
          c.ws.on("close", (code) => {
            codes.push(code)
            stop = true
          })
          const burst = () => {
            if (stop || c.ws.readyState !== WS.OPEN) return
            for (let k = 0; k < 10; k++) c.ws.send("tick")
            setImmediate(burst)
          }
          burst()
        })
        const frames: Array<string | Uint8Array> = []
        const scope = yield* Scope.make()
        const connection = yield* WebSocketConnection.open({
          url: server.url,
          connectTimeout: Duration.seconds(5),
          readCoalesce: Duration.millis(2),
          onFrame: (data) => frames.push(data)
        }).pipe(Scope.extend(scope))
        yield* eventually(() => frames.length >= 500, 10_000, "the stream to flow")
        yield* Scope.close(scope, Exit.void)
        const handed = frames.length
        yield* eventually(() => codes.length === 1, 5_000, "the server to see the close")
        assert.deepStrictEqual(codes, [1000])
        assert.deepStrictEqual(yield* connection.ended, { _tag: "Closed", code: 1000, reason: "" })
        assert.strictEqual(frames.length, handed)
      }))
  })
})
