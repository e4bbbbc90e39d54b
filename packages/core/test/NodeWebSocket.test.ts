/**
 * The SDK's WebSocket client for Node (internal/nodeWebSocket.ts) over real loopback sockets: against `ws`'s
 * server (interoperation: messages both ways, fragments, pings, the closing handshake, the payload bound)
 * and against a raw HTTP server that writes exact bytes (refused upgrades, bad accept keys, frames a
 * client must refuse). The socket's own suites (SogniSocket*.test.ts) run on it too.
 */
import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"
import WS, { WebSocketServer } from "ws"
import { NodeWebSocket, nodeBuiltins } from "../src/internal/nodeWebSocket.js"
import * as WsTransport from "../src/internal/wsTransport.js"

interface Seen {
  readonly events: Array<string>
  readonly messages: Array<unknown>
  readonly errors: Array<string>
  readonly closed: Promise<{ readonly code: number; readonly reason: string; readonly wasClean: boolean }>
  readonly opened: Promise<void>
}

/** Records what a socket emits. */
const watch = (socket: NodeWebSocket): Seen => {
  const events: Array<string> = []
  const messages: Array<unknown> = []
  const errors: Array<string> = []
  const opened = new Promise<void>((resolve) => socket.addEventListener("open", () => resolve(), { once: true }))
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
    socket.addEventListener("close", (e) => {
      events.push("close")
      resolve(e as { code: number; reason: string; wasClean: boolean })
    })
  )
  socket.addEventListener("open", () => events.push("open"))
  socket.addEventListener("message", (e) => messages.push((e as { data: unknown }).data))
  socket.addEventListener("error", (e) => {
    events.push("error")
    errors.push((e as { message: string }).message)
  })
  return { events, messages, errors, closed, opened }
}

const connect = (url: string, options: { maxPayload?: number; onHeard?: () => void } = {}, headers: Record<string, string> = {}) =>
  new NodeWebSocket(url, headers, options, nodeBuiltins()!)

/** A `ws` server on a loopback port; resolves its connections in order. */
const wsServer = async () => {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
  await new Promise<void>((resolve) => server.once("listening", () => resolve()))
  const peers: Array<{ ws: WS; headers: Http.IncomingHttpHeaders }> = []
  const waiting: Array<(p: { ws: WS; headers: Http.IncomingHttpHeaders }) => void> = []
  server.on("connection", (ws, req) => {
    const peer = { ws, headers: req.headers }
    const w = waiting.shift()
    if (w !== undefined) w(peer)
    else peers.push(peer)
  })
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/path?x=1`,
    next: () => new Promise<{ ws: WS; headers: Http.IncomingHttpHeaders }>((resolve) => {
      const p = peers.shift()
      if (p !== undefined) resolve(p)
      else waiting.push(resolve)
    }),
    close: () => new Promise<void>((resolve) => {
      for (const c of server.clients) c.terminate()
      server.close(() => resolve())
    })
  }
}

/** An HTTP server whose upgrade handler gets the raw socket (to write exact bytes). */
const rawServer = async (onUpgrade: (req: Http.IncomingMessage, socket: Duplex) => void) => {
  const server = Http.createServer((_req, res) => res.end())
  const sockets = new Set<Duplex>()
  server.on("upgrade", (req, socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    onUpgrade(req, socket)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

const acceptOf = (key: string) => createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64")

/** Completes the upgrade on a raw socket. */
const accept = (req: Http.IncomingMessage, socket: Duplex, accepted = acceptOf(String(req.headers["sec-websocket-key"]))) =>
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accepted}\r\n\r\n`
  )

/** An unmasked server frame. */
const frame = (first: number, payload: Uint8Array, masked = false): Buffer => {
  const head = payload.length < 126 ? [first, payload.length | (masked ? 0x80 : 0)] : [first, 126 | (masked ? 0x80 : 0), payload.length >> 8, payload.length & 0xff]
  return Buffer.concat([Buffer.from(head), masked ? Buffer.from([0, 0, 0, 0]) : Buffer.alloc(0), payload])
}

describe("NodeWebSocket against ws's server", () => {
  it("sends its upgrade headers; text and binary messages both ways; a clean close with the code", async () => {
    const server = await wsServer()
    try {
      const socket = connect(server.url, {}, { "api-key": "k-1" })
      const seen = watch(socket)
      assert.strictEqual(socket.readyState, 0)
      assert.throws(() => socket.send("early"), /not open/)
      const peer = await server.next()
      await seen.opened
      assert.strictEqual(socket.readyState, 1)
      assert.strictEqual(peer.headers["api-key"], "k-1")
      const got: Array<{ data: string; binary: boolean }> = []
      const arrived = new Promise<void>((resolve) =>
        peer.ws.on("message", (data, binary) => {
          got.push({ data: data.toString(), binary })
          if (got.length === 4) resolve()
        })
      )
      socket.send("héllo")
      socket.send(new Uint8Array([104, 105]))
      socket.send("x".repeat(300))
      socket.send("y".repeat(70_000))
      await arrived
      assert.deepStrictEqual(got.map((g) => g.binary), [false, true, false, false])
      assert.deepStrictEqual(got.map((g) => g.data.length), [5, 2, 300, 70_000])
      assert.strictEqual(got[0]!.data, "héllo")
      peer.ws.send("text ✓")
      peer.ws.send(Buffer.from([1, 2, 3]))
      peer.ws.send("z".repeat(100_000))
      await new Promise<void>((resolve) => {
        const check = () => (seen.messages.length >= 3 ? resolve() : setTimeout(check, 5))
        check()
      })
      assert.strictEqual(seen.messages[0], "text ✓")
      assert.isTrue(Buffer.isBuffer(seen.messages[1]))
      assert.deepStrictEqual([...(seen.messages[1] as Buffer)], [1, 2, 3])
      assert.strictEqual((seen.messages[2] as string).length, 100_000)
      const serverSaw = new Promise<number>((resolve) => peer.ws.on("close", (code) => resolve(code)))
      socket.close(4001, "bye")
      assert.strictEqual(socket.readyState, 2)
      assert.strictEqual(await serverSaw, 4001)
      const closed = await seen.closed
      assert.deepStrictEqual(closed, { ...closed, code: 4001, reason: "bye", wasClean: true })
      assert.strictEqual(socket.readyState, 3)
      assert.deepStrictEqual(seen.events, ["open", "close"])
    } finally {
      await server.close()
    }
  })

  it("the server's close: echoed, then close with its code and reason", async () => {
    const server = await wsServer()
    try {
      const socket = connect(server.url)
      const seen = watch(socket)
      const peer = await server.next()
      await seen.opened
      peer.ws.close(4321, "go away")
      const closed = await seen.closed
      assert.strictEqual(closed.code, 4321)
      assert.strictEqual(closed.reason, "go away")
      assert.isTrue(closed.wasClean)
      assert.deepStrictEqual(seen.errors, [])
    } finally {
      await server.close()
    }
  })

  it("answers pings, sends its own, and reports every ping and pong heard", async () => {
    const server = await wsServer()
    try {
      let heard = 0
      const socket = connect(server.url, { onHeard: () => heard++ })
      const seen = watch(socket)
      const peer = await server.next()
      await seen.opened
      const pong = new Promise<string>((resolve) => peer.ws.once("pong", (data) => resolve(data.toString())))
      peer.ws.ping("abc")
      assert.strictEqual(await pong, "abc")
      const ping = new Promise<void>((resolve) => peer.ws.once("ping", () => resolve()))
      socket.ping()
      await ping
      await new Promise((resolve) => setTimeout(resolve, 20))
      assert.strictEqual(heard, 2, "the server's ping and its pong to ours")
      socket.close()
      await seen.closed
    } finally {
      await server.close()
    }
  })

  it("a message above maxPayload: error, close 1009 to the server, nothing delivered; a smaller one is", async () => {
    const server = await wsServer()
    try {
      const socket = connect(server.url, { maxPayload: 1000 })
      const seen = watch(socket)
      const peer = await server.next()
      await seen.opened
      peer.ws.send("a".repeat(1000))
      const serverSaw = new Promise<number>((resolve) => peer.ws.on("close", (code) => resolve(code)))
      peer.ws.send("b".repeat(1001))
      assert.strictEqual(await serverSaw, 1009)
      const closed = await seen.closed
      assert.strictEqual(closed.code, 1006)
      assert.deepStrictEqual(seen.messages, ["a".repeat(1000)])
      assert.deepStrictEqual(seen.errors, ["Max payload size exceeded"])
      assert.deepStrictEqual(seen.events, ["open", "error", "close"])
    } finally {
      await server.close()
    }
  })

  it("terminate drops the line: close 1006 without a handshake", async () => {
    const server = await wsServer()
    try {
      const socket = connect(server.url)
      const seen = watch(socket)
      const peer = await server.next()
      await seen.opened
      const serverSaw = new Promise<number>((resolve) => peer.ws.on("close", (code) => resolve(code)))
      socket.terminate()
      assert.strictEqual((await seen.closed).code, 1006)
      assert.strictEqual(await serverSaw, 1006)
    } finally {
      await server.close()
    }
  })

  it("listeners: once, a second registration ignored, removal, handleEvent objects", async () => {
    const server = await wsServer()
    try {
      const socket = connect(server.url)
      const seen = watch(socket)
      const peer = await server.next()
      await seen.opened
      const counts = { plain: 0, once: 0, object: 0 }
      const plain = () => counts.plain++
      socket.addEventListener("message", plain)
      socket.addEventListener("message", plain)
      socket.addEventListener("message", () => counts.once++, { once: true })
      socket.addEventListener("message", { handleEvent: () => counts.object++ })
      peer.ws.send("1")
      peer.ws.send("2")
      await new Promise<void>((resolve) => {
        const check = () => (seen.messages.length >= 2 ? resolve() : setTimeout(check, 5))
        check()
      })
      socket.removeEventListener("message", plain)
      peer.ws.send("3")
      await new Promise<void>((resolve) => {
        const check = () => (seen.messages.length >= 3 ? resolve() : setTimeout(check, 5))
        check()
      })
      assert.deepStrictEqual(counts, { plain: 2, once: 1, object: 3 })
      socket.close()
      await seen.closed
    } finally {
      await server.close()
    }
  })

  it("ws's transport (a Node without getBuiltinModule) gives the same light message events", async () => {
    const server = await wsServer()
    try {
      const socket = WsTransport.open(server.url, {}, { maxPayload: 1000 })
      assert.instanceOf(socket, WS)
      const peer = await server.next()
      await new Promise<void>((resolve) =>
        socket.readyState === 1 ? resolve() : socket.addEventListener("open", () => resolve(), { once: true })
      )
      const got = new Promise<{ data: unknown; plain: boolean }>((resolve) =>
        socket.addEventListener("message", (event) =>
          resolve({ data: event.data, plain: Object.getPrototypeOf(event) === Object.prototype }))
      )
      peer.ws.send("hi")
      assert.deepStrictEqual(await got, { data: "hi", plain: true })
      socket.close()
    } finally {
      await server.close()
    }
  })
})

describe("NodeWebSocket against a raw server", () => {
  it("a refused upgrade: error 'Unexpected server response: 401', then close 1006", async () => {
    const server = await rawServer((_req, socket) =>
      socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"))
    try {
      const seen = watch(connect(server.url))
      const closed = await seen.closed
      assert.strictEqual(closed.code, 1006)
      assert.deepStrictEqual(seen.errors, ["Unexpected server response: 401"])
      assert.deepStrictEqual(seen.events, ["error", "close"])
    } finally {
      await server.close()
    }
  })

  it("a wrong Sec-WebSocket-Accept is refused before open", async () => {
    const server = await rawServer((req, socket) => accept(req, socket, "bm90IHRoZSBrZXk="))
    try {
      const seen = watch(connect(server.url))
      await seen.closed
      assert.deepStrictEqual(seen.errors, ["Invalid Sec-WebSocket-Accept header"])
      assert.deepStrictEqual(seen.events, ["error", "close"])
    } finally {
      await server.close()
    }
  })

  it("a connection refused: error, then close 1006", async () => {
    const server = await rawServer(() => {})
    const url = server.url
    await server.close()
    const seen = watch(connect(url))
    assert.strictEqual((await seen.closed).code, 1006)
    assert.strictEqual(seen.events.join(","), "error,close")
    assert.match(seen.errors[0]!, /ECONNREFUSED/)
  })

  it("close() before the upgrade abandons it: error, then close 1006", async () => {
    const server = await rawServer(() => {})
    try {
      const socket = connect(server.url)
      const seen = watch(socket)
      socket.close(1000)
      assert.strictEqual((await seen.closed).code, 1006)
      assert.deepStrictEqual(seen.errors, ["WebSocket was closed before the connection was established"])
    } finally {
      await server.close()
    }
  })

  it("frames sent with the upgrade answer, fragments and bytes split anywhere are read whole", async () => {
    const server = await rawServer((req, socket) => {
      const bytes = Buffer.concat([
        frame(0x81, Buffer.from("first")),
        // a text message in three fragments with a ping between them
        frame(0x01, Buffer.from("frag")),
        frame(0x89, Buffer.from("p")),
        frame(0x00, Buffer.from("men")),
        frame(0x80, Buffer.from("ted ✓")),
        frame(0x82, Buffer.alloc(300, 7))
      ])
      // the first frame travels with the 101 answer; the rest one byte at a time
      const head = frame(0x81, Buffer.from("with-upgrade"))
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${
              acceptOf(String(req.headers["sec-websocket-key"]))
            }\r\n\r\n`
          ),
          head
        ])
      )
      let i = 0
      const drip = () => {
        if (i < bytes.length) {
          socket.write(bytes.subarray(i, i + 1))
          i++
          setImmediate(drip)
        }
      }
      drip()
    })
    try {
      let heard = 0
      const socket = connect(server.url, { onHeard: () => heard++ })
      const seen = watch(socket)
      await new Promise<void>((resolve) => {
        const check = () => (seen.messages.length >= 4 ? resolve() : setTimeout(check, 5))
        check()
      })
      assert.deepStrictEqual(seen.messages.slice(0, 3), ["with-upgrade", "first", "fragmented ✓"])
      assert.deepStrictEqual([...(seen.messages[3] as Buffer)], Array(300).fill(7))
      assert.strictEqual(heard, 1)
      assert.deepStrictEqual(seen.events, ["open"])
      socket.terminate()
      await seen.closed
    } finally {
      await server.close()
    }
  })

  const refused = (name: string, bytes: Buffer, code: number, message: RegExp) =>
    it(`refuses ${name}: error, then a close frame ${code}`, async () => {
      let closeFrame: Promise<Buffer> | undefined
      const server = await rawServer((req, socket) => {
        closeFrame = new Promise((resolve) => socket.on("data", (d: Buffer) => resolve(d)))
        accept(req, socket)
        socket.write(bytes)
      })
      try {
        const socket = connect(server.url)
        const seen = watch(socket)
        await seen.opened
        const sent = await new Promise<Buffer>((resolve) => {
          const check = () => (closeFrame !== undefined ? resolve(closeFrame) : setTimeout(check, 5))
          check()
        })
        // a masked close frame from the client: opcode 8, the code after the 4 mask bytes
        assert.strictEqual(sent[0], 0x88)
        const mask = sent.subarray(2, 6)
        assert.strictEqual(((sent[6]! ^ mask[0]!) << 8) | (sent[7]! ^ mask[1]!), code)
        assert.match(seen.errors[0] ?? "", message)
        assert.deepStrictEqual(seen.messages, [])
        socket.terminate()
        await seen.closed
      } finally {
        await server.close()
      }
    })

  refused("a masked frame", frame(0x81, Buffer.from("hi"), true), 1002, /MASK must be clear/)
  refused("reserved bits", frame(0xc1, Buffer.from("hi")), 1002, /RSV1, RSV2 and RSV3 must be clear/)
  refused("an unknown opcode", frame(0x83, Buffer.from("hi")), 1002, /invalid opcode 3/)
  refused("a continuation without a message", frame(0x80, Buffer.from("hi")), 1002, /invalid opcode 0/)
  refused("a fragmented control frame", frame(0x09, Buffer.from("hi")), 1002, /FIN must be set/)
  refused("text that is not UTF-8", frame(0x81, Buffer.from([0xc3, 0x28])), 1007, /invalid UTF-8/)
  refused("a close frame with an invalid code", frame(0x88, Buffer.from([0x03, 0xed])), 1002, /invalid status code 1005/)
})
