/**
 * The socket's transport choice: `ws` with upgrade headers in Node; in a page (a global WebSocket and a
 * document) the browser's WebSocket, with a login token as the `authorization` cookie and an API key
 * refused with a message that says why. The page is simulated with stand-in globals.
 */
import { assert, describe, it, vi } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import WS, { WebSocketServer } from "ws"
import * as WebSocketTransport from "../src/internal/webSocketTransport.js"

class FakeBrowserSocket {
  static opened: Array<string> = []
  readyState = 1
  constructor(readonly url: string) {
    FakeBrowserSocket.opened.push(url)
  }
}

const inFakePage = <A>(f: (document: { cookie: string }) => A): A => {
  const g = globalThis as Record<string, unknown>
  const saved = { WebSocket: g.WebSocket, document: g.document }
  const document = { cookie: "" }
  g.WebSocket = FakeBrowserSocket
  g.document = document
  try {
    return f(document)
  } finally {
    g.WebSocket = saved.WebSocket
    if (saved.document === undefined) delete g.document
    else g.document = saved.document
  }
}

describe("WebSocketTransport", () => {
  it("uses ws in Node, loaded on demand, even where Node has a global WebSocket", async () => {
    // a fresh copy of the module, as a program has it at import: ws not loaded yet
    vi.resetModules()
    const transport = await import("../src/internal/webSocketTransport.js")
    assert.isFalse(transport.inBrowser())
    assert.throws(() => transport.open("ws://127.0.0.1:9/", { "api-key": "k" }), /ws is not loaded yet/)
    // concurrent first loads share one import; once loaded there is nothing left to wait for
    const first = transport.load()
    assert.isDefined(first)
    assert.strictEqual(transport.load(), first)
    await first
    assert.isUndefined(transport.load())
    const socket = transport.open("ws://127.0.0.1:9/", { "api-key": "k" })
    assert.instanceOf(socket, WS)
    ;(socket as unknown as WS).on("error", () => {})
    socket.close()
  })

  it("a failed load of ws rejects, and the next load tries again", async () => {
    vi.resetModules()
    vi.doMock("ws", () => {
      throw new Error("ws is not installed")
    })
    try {
      const transport = await import("../src/internal/webSocketTransport.js")
      const failed = transport.load()
      assert.isDefined(failed)
      const error = await failed!.then(() => undefined, (e: unknown) => e)
      // vitest wraps what the mock factory threw; the import's own failure is its cause
      assert.instanceOf(error, Error)
      assert.match(String((error as Error).cause), /ws is not installed/)
      vi.doUnmock("ws")
      const retried = transport.load()
      assert.isDefined(retried)
      assert.notStrictEqual(retried, failed)
      await retried
      assert.isUndefined(transport.load())
    } finally {
      vi.doUnmock("ws")
    }
  })

  it("in a page: the browser's WebSocket, the token as the authorization cookie", () =>
    inFakePage((document) => {
      assert.isTrue(WebSocketTransport.inBrowser())
      // a page uses its own WebSocket: nothing to load
      assert.isUndefined(WebSocketTransport.load())
      const socket = WebSocketTransport.open("ws://127.0.0.1:8787/?appId=a", { authorization: "h.p.s" })
      assert.instanceOf(socket, FakeBrowserSocket)
      assert.strictEqual(FakeBrowserSocket.opened.at(-1), "ws://127.0.0.1:8787/?appId=a")
      assert.strictEqual(document.cookie, "authorization=h.p.s; path=/; max-age=86400; SameSite=Strict")
      WebSocketTransport.open("wss://socket.sogni.ai/", { authorization: "t" })
      assert.match(document.cookie, /; domain=\.sogni\.ai; Secure$/)
    }))

  it("in a page: an API key is refused with the reason", () =>
    inFakePage(() => {
      assert.throws(() => WebSocketTransport.open("ws://127.0.0.1:8787/", { "api-key": "k" }), /browsers send no upgrade headers/)
    }))

  it("pings only sockets that can send one", () => {
    let pings = 0
    WebSocketTransport.ping({ readyState: 1, ping: () => pings++ } as unknown as globalThis.WebSocket)
    WebSocketTransport.ping({ readyState: 0, ping: () => pings++ } as unknown as globalThis.WebSocket)
    WebSocketTransport.ping({ readyState: 1 } as unknown as globalThis.WebSocket)
    assert.strictEqual(pings, 1)
  })

  it("message listeners get the frame's data (text as a string, binary as bytes) until removed, over a real socket", async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    await new Promise<void>((resolve) => server.once("listening", () => resolve()))
    const peer = new Promise<WS>((resolve) => server.once("connection", resolve))
    await WebSocketTransport.load()
    const socket = WebSocketTransport.open(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, {})
    try {
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve(), { once: true })
        socket.addEventListener("error", () => reject(new Error("the socket did not open")), { once: true })
      })
      const seen: Array<unknown> = []
      const viaObject: Array<unknown> = []
      const shapes: Array<boolean> = []
      // a plain object, not ws's MessageEvent (built per frame with symbol-keyed fields)
      const listener = (event: { readonly data: unknown }) => {
        shapes.push(Object.getPrototypeOf(event) === Object.prototype)
        seen.push(event.data)
      }
      socket.addEventListener("message", listener)
      // a second registration of the same listener is ignored, as with any EventTarget
      socket.addEventListener("message", listener)
      // an object listener is ws's own path: it gets ws's MessageEvent
      socket.addEventListener("message", { handleEvent: (event: MessageEvent) => viaObject.push(event.data) })
      const server1 = await peer
      const next = () => new Promise<void>((resolve) => socket.addEventListener("message", () => resolve(), { once: true }))
      let arrived = next()
      server1.send("héllo")
      await arrived
      arrived = next()
      server1.send(Buffer.from([1, 2, 3]))
      await arrived
      socket.removeEventListener("message", listener)
      arrived = next()
      server1.send("after")
      await arrived
      assert.strictEqual(seen.length, 2)
      assert.deepStrictEqual(shapes, [true, true])
      assert.strictEqual(seen[0], "héllo")
      assert.isTrue(Buffer.isBuffer(seen[1]))
      assert.deepStrictEqual([...(seen[1] as Buffer)], [1, 2, 3])
      assert.deepStrictEqual(viaObject.slice(0, 1), ["héllo"])
      assert.strictEqual(viaObject.at(-1), "after")
    } finally {
      socket.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it("with onFrame, frames go to onFrame (not the reader's listener) exactly while that listener is registered, over a real socket", async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    await new Promise<void>((resolve) => server.once("listening", () => resolve()))
    const peer = new Promise<WS>((resolve) => server.once("connection", resolve))
    await WebSocketTransport.load()
    const frames: Array<string | Uint8Array> = []
    const socket = WebSocketTransport.open(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, {}, {
      onFrame: (data) => void frames.push(data)
    })
    try {
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve(), { once: true })
        socket.addEventListener("error", () => reject(new Error("the socket did not open")), { once: true })
      })
      const server1 = await peer
      const next = () => new Promise<void>((resolve) => socket.addEventListener("message", () => resolve(), { once: true }))
      // no reader yet: a frame now reaches no frame callback
      let arrived = next()
      server1.send("early")
      await arrived
      const called: Array<unknown> = []
      const reader = (event: { readonly data: unknown }) => void called.push(event.data)
      socket.addEventListener("message", reader)
      arrived = next()
      server1.send("héllo")
      await arrived
      arrived = next()
      server1.send(Buffer.from([1, 2, 3]))
      await arrived
      socket.removeEventListener("message", reader)
      arrived = next()
      server1.send("after")
      await arrived
      assert.deepStrictEqual(called, [])
      assert.strictEqual(frames.length, 2)
      assert.strictEqual(frames[0], "héllo")
      assert.isTrue(Buffer.isBuffer(frames[1]))
      assert.deepStrictEqual([...(frames[1] as Buffer)], [1, 2, 3])
    } finally {
      socket.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

// --- data frames read past ws's parser ---------------------------------------------------------

/** A WebSocket frame as a server writes it (unmasked unless `mask`), in its shortest length form. */
const frameBytes = (
  first: number,
  payload: string | ReadonlyArray<number> | Buffer,
  options: { readonly mask?: boolean } = {}
): Buffer => {
  const data = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload as ReadonlyArray<number>)
  const n = data.length
  const maskBit = options.mask === true ? 0x80 : 0
  const head = n < 126
    ? Buffer.from([first, maskBit | n])
    : n < 65536
    ? Buffer.from([first, maskBit | 126, n >> 8, n & 0xff])
    : Buffer.concat([Buffer.from([first, maskBit | 127, 0, 0, 0, 0]), Buffer.from([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])])
  if (options.mask !== true) return Buffer.concat([head, data])
  const key = Buffer.from([1, 2, 3, 4])
  return Buffer.concat([head, key, Buffer.from(data.map((b, i) => b ^ key[i % 4]!))])
}
const text = (s: string) => frameBytes(0x81, s)
const close1000 = frameBytes(0x88, [0x03, 0xe8])

/** A loopback server that answers the upgrade by hand and then writes `pieces` raw, one read apart. */
const rawServer = async (pieces: ReadonlyArray<Buffer>, withUpgrade = 0) => {
  const server = createServer()
  server.on("upgrade", (request, socket: Socket) => {
    socket.setNoDelay(true)
    socket.on("error", () => {})
    // the client's frames (masked, short: pongs and its close) are read and dropped; its close frame is
    // answered by ending the connection
    let heard = Buffer.alloc(0)
    socket.on("data", (data: Buffer) => {
      heard = Buffer.concat([heard, data])
      while (heard.length >= 6 && heard.length >= 6 + (heard[1]! & 0x7f)) {
        if ((heard[0]! & 0x0f) === 0x08) return void socket.end()
        heard = heard.subarray(6 + (heard[1]! & 0x7f))
      }
    })
    const accept = createHash("sha1")
      .update(`${request.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest("base64")
    const response = Buffer.from(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`
    )
    // the first `withUpgrade` pieces go in the same write as the upgrade response
    socket.write(Buffer.concat([response, ...pieces.slice(0, withUpgrade)]))
    void (async () => {
      for (const piece of pieces.slice(withUpgrade)) {
        await new Promise((resolve) => setTimeout(resolve, 2))
        if (socket.destroyed) return
        socket.write(piece)
      }
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

interface Outcome {
  readonly messages: Array<string | Array<number>>
  readonly errors: Array<string>
  readonly closeCode: number
}

/**
 * What a client makes of `pieces`: with `onFrame` (frames read past ws's parser while the reader listens)
 * or without (ws's parser, through a plain message listener): every message, ws's errors, the close code.
 */
const receive = async (
  pieces: ReadonlyArray<Buffer>,
  fast: boolean,
  withUpgrade = 0,
  maxPayload = 1 << 20
): Promise<Outcome> => {
  const server = await rawServer(pieces, withUpgrade)
  await WebSocketTransport.load()
  const messages: Array<string | Array<number>> = []
  const record = (data: unknown) => void messages.push(typeof data === "string" ? data : [...(data as Uint8Array)])
  const socket = WebSocketTransport.open(server.url, {}, fast ? { onFrame: record, maxPayload } : { maxPayload })
  const errors: Array<string> = []
  ;(socket as unknown as WS).on("error", (error: Error & { code?: string }) => void errors.push(error.code ?? error.message))
  socket.addEventListener("message", fast ? () => {} : (event: { readonly data: unknown }) => record(event.data))
  try {
    const closeCode = await new Promise<number>((resolve) =>
      socket.addEventListener("close", (event) => resolve(event.code), { once: true })
    )
    return { messages, errors, closeCode }
  } finally {
    await server.close()
  }
}

/** `bytes` cut at `cuts` (offsets, any order). */
const cut = (bytes: Buffer, cuts: ReadonlyArray<number>): Array<Buffer> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Buffer> = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p))
    from = p
  }
  return out
}

describe("WebSocketTransport: data frames read past ws's parser (onFrame)", () => {
  // every kind of frame a server may send, in each length form: text (UTF-8 of every width, a real U+FFFD,
  // empty), binary, pings and a pong, a message fragmented around a ping, then a close
  const stream = Buffer.concat([
    text("a"),
    frameBytes(0x82, [1, 2, 3]),
    text("x".repeat(200)),
    text("é€😀 ".repeat(30)),
    frameBytes(0x89, "p"),
    text("y".repeat(70_000)),
    frameBytes(0x01, "frag"),
    frameBytes(0x89, "in between"),
    frameBytes(0x00, "ment"),
    frameBytes(0x80, "ed"),
    text("\uFFFD is a character too"),
    frameBytes(0x82, []),
    frameBytes(0x8a, "unasked pong"),
    text(""),
    frameBytes(0x02, [9]),
    frameBytes(0x80, [8]),
    text("last"),
    close1000
  ])
  const expected: Outcome = {
    messages: [
      "a",
      [1, 2, 3],
      "x".repeat(200),
      "é€😀 ".repeat(30),
      "y".repeat(70_000),
      "fragmented",
      "\uFFFD is a character too",
      [],
      "",
      [9, 8],
      "last"
    ],
    errors: [],
    closeCode: 1000
  }

  it("a stream of every kind of frame, cut into reads anywhere, reads as ws reads it", async () => {
    // one read, every header split across two reads, and random cuts
    assert.deepStrictEqual(await receive([stream], true), expected)
    assert.deepStrictEqual(await receive([stream], false), expected)
    assert.deepStrictEqual(await receive(cut(stream, [1, 3, 4, 5, 7, 9, 11, 13, 300, 70_000, 70_010]), true), expected)
    await FastCheck.assert(
      FastCheck.asyncProperty(FastCheck.array(FastCheck.nat(), { minLength: 1, maxLength: 12 }), async (cuts) => {
        assert.deepStrictEqual(await receive(cut(stream, cuts), true), expected)
      }),
      { numRuns: 8 }
    )
  })

  it("with the installed ws, the frames really go past its parser: ws emits none of a burst of small frames as a message", async () => {
    // `ws` emits a message for each frame its own parser reads; a frame read past it is never emitted. A
    // `ws` whose receiver (`_receiver`) is not what `readDataFrames` expects would emit them all: this fails
    const pieces = [Buffer.concat([
      ...Array.from({ length: 500 }, (_, i) => text(`token ${i}`)),
      ...Array.from({ length: 500 }, (_, i) => frameBytes(0x82, [i & 0xff])),
      close1000
    ])]
    const server = await rawServer(pieces)
    await WebSocketTransport.load()
    const frames: Array<unknown> = []
    const socket = WebSocketTransport.open(server.url, {}, { onFrame: (data) => void frames.push(data) })
    const ws = socket as unknown as WS
    let emitted = 0
    const emit = ws.emit.bind(ws)
    ws.emit = ((event: string, ...args: Array<unknown>) => {
      if (event === "message") emitted++
      return emit(event, ...args)
    }) as WS["emit"]
    socket.addEventListener("message", () => {})
    try {
      await new Promise<void>((resolve) => socket.addEventListener("close", () => resolve(), { once: true }))
      assert.strictEqual(frames.length, 1000)
      assert.strictEqual(frames[0], "token 0")
      assert.deepStrictEqual([...(frames[999] as Uint8Array)], [499 & 0xff])
      // a frame that a read cut in two is ws's to read: a handful at most, never the stream
      assert.isAtMost(emitted, 10)
    } finally {
      await server.close()
    }
  })

  it("frames that come with the upgrade response are read", async () => {
    const pieces = [text("with the upgrade"), frameBytes(0x82, [7]), text("after"), close1000]
    assert.deepStrictEqual(await receive(pieces, true, 2), {
      messages: ["with the upgrade", [7], "after"],
      errors: [],
      closeCode: 1000
    })
  })

  it("what ws refuses it still refuses, and nothing after it is handed on: invalid UTF-8, a masked frame, extension bits, a data frame inside a fragmented message, a frame above maxPayload", async () => {
    const cases: ReadonlyArray<ReadonlyArray<Buffer>> = [
      [text("ok"), frameBytes(0x81, [0x68, 0xff, 0xfe]), text("after")],
      [text("ok"), frameBytes(0x81, "masked", { mask: true }), text("after")],
      [text("ok"), frameBytes(0xc1, "rsv1"), text("after")],
      [text("ok"), frameBytes(0x01, "frag"), text("inside"), text("after")],
      [text("ok"), text("z".repeat((1 << 20) + 1)), text("after")]
    ]
    for (const pieces of cases) {
      const together = [Buffer.concat(pieces)]
      const reference = await receive(together, false)
      assert.deepStrictEqual(reference.messages, ["ok"])
      assert.strictEqual(reference.errors.length, 1)
      assert.deepStrictEqual(await receive(together, true), reference)
      assert.deepStrictEqual(await receive(pieces, true), reference)
    }
  })

  it("maxPayload is the bound ws's receiver keeps (its 32-bit integer part): a bound of 2^32 + 1000 refuses a 2000-byte frame as ws does", async () => {
    const pieces = [text("ok"), text("z".repeat(2_000)), text("after"), close1000]
    for (const maxPayload of [2 ** 32 + 1_000, 2 ** 33 + 1_000.5]) {
      const reference = await receive([Buffer.concat(pieces)], false, 0, maxPayload)
      assert.deepStrictEqual(reference.messages, ["ok"])
      assert.deepStrictEqual(reference.errors, ["WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"])
      assert.deepStrictEqual(await receive([Buffer.concat(pieces)], true, 0, maxPayload), reference)
    }
    // a bound ws reads as none (0, negative, NaN, or 2^32 itself) refuses nothing, read past ws's parser or not
    for (const maxPayload of [0, -1, Number.NaN, 2 ** 32]) {
      const unbounded: Outcome = { messages: ["ok", "z".repeat(2_000), "after"], errors: [], closeCode: 1000 }
      const all = [Buffer.concat(pieces)]
      assert.deepStrictEqual(await receive(all, false, 0, maxPayload), unbounded)
      assert.deepStrictEqual(await receive(all, true, 0, maxPayload), unbounded)
    }
  })

  it("frames after a close frame are not handed on", async () => {
    const pieces = [text("ok"), close1000, text("after the close")]
    const expectedClose: Outcome = { messages: ["ok"], errors: [], closeCode: 1000 }
    assert.deepStrictEqual(await receive([Buffer.concat(pieces)], true), expectedClose)
    assert.deepStrictEqual(await receive([Buffer.concat(pieces)], false), expectedClose)
  })
})

describe("WebSocketTransport.readDataFrames (the frame walk, against a stand-in receiver)", () => {
  type Frame = { readonly bytes: Buffer; readonly simple: boolean; readonly data: string | ReadonlyArray<number> }
  // the frames a walk meets: whole text and binary frames (which it reads itself), and what it leaves to
  // ws: control frames, fragments, masked frames (ws refuses those; the stand-in takes whatever it gets)
  const frameArb: FastCheck.Arbitrary<Frame> = FastCheck.oneof(
    FastCheck.string({ maxLength: 300 }).map((s) => ({ bytes: text(s), simple: true, data: s })),
    FastCheck.oneof(FastCheck.constant(130), FastCheck.constant(66_000)).chain((n) =>
      FastCheck.constant({ bytes: text("w".repeat(n)), simple: true, data: "w".repeat(n) })
    ),
    FastCheck.array(FastCheck.nat(255), { maxLength: 40 }).map((b) => ({ bytes: frameBytes(0x82, b), simple: true, data: b })),
    FastCheck.constantFrom(0x89, 0x8a, 0x01, 0x00, 0x80, 0x02).chain((first) =>
      FastCheck.string({ maxLength: 20 }).map((s) => ({ bytes: frameBytes(first, s), simple: false, data: s }))
    ),
    FastCheck.string({ maxLength: 20 }).map((s) => ({ bytes: frameBytes(0x81, s, { mask: true }), simple: false, data: s }))
  )

  it("every frame goes, once and in order, either to deliver (whole text and binary frames) or byte for byte to ws's receiver; only frames cut by a read go to ws besides those it must parse", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(frameArb, { minLength: 1, maxLength: 12 }),
        FastCheck.array(FastCheck.nat(), { maxLength: 10 }),
        (frames, cuts) => {
          const log: Array<{ readonly fast: string | ReadonlyArray<number> } | { readonly ws: Buffer }> = []
          const receiver = {
            writable: true,
            writableLength: 0,
            write: (chunk: Buffer) => {
              log.push({ ws: Buffer.from(chunk) })
              return true
            }
          }
          const socket = { readyState: 1, _receiver: receiver } as unknown as WS
          WebSocketTransport.readDataFrames(socket, (data) => {
            log.push({ fast: typeof data === "string" ? data : [...data] })
            return true
          }, 1 << 20)
          const all = Buffer.concat(frames.map((f) => f.bytes))
          const pieces = cut(all, cuts)
          for (const piece of pieces) receiver.write(piece)
          // replay: fast deliveries as they are, ws's bytes parsed back into frames where they complete
          const seen: Array<{ readonly fast: string | ReadonlyArray<number> } | { readonly ws: Buffer }> = []
          let pending = Buffer.alloc(0)
          let next = 0
          for (const entry of log) {
            if ("fast" in entry) {
              assert.strictEqual(pending.length, 0, "a frame was delivered while ws held part of an earlier one")
              seen.push(entry)
              next++
              continue
            }
            pending = Buffer.concat([pending, entry.ws])
            while (next < frames.length && pending.length >= frames[next]!.bytes.length) {
              const frame = frames[next]!
              assert.isTrue(pending.subarray(0, frame.bytes.length).equals(frame.bytes), `ws got other bytes than frame ${next}`)
              seen.push({ ws: frame.bytes })
              pending = pending.subarray(frame.bytes.length)
              next++
            }
          }
          assert.strictEqual(pending.length, 0)
          assert.strictEqual(seen.length, frames.length)
          // a whole text or binary frame is a message of its own unless a fragmented one is under way (the
          // WebSocket rule: a data frame without FIN starts one, a continuation with FIN ends it)
          let fragmented = false
          const own = frames.map((frame) => {
            const first = frame.bytes[0]!
            const alone = frame.simple && !fragmented
            const opcode = first & 0x0f
            if (opcode === 1 || opcode === 2) fragmented = (first & 0x80) === 0
            else if (opcode === 0 && (first & 0x80) !== 0) fragmented = false
            return alone
          })
          let toWs = 0
          frames.forEach((frame, i) => {
            const entry = seen[i]!
            if ("fast" in entry) {
              assert.isTrue(own[i])
              assert.deepStrictEqual(entry.fast, typeof frame.data === "string" ? frame.data : [...frame.data])
            } else if (own[i]) toWs++
          })
          // a whole text or binary frame goes to ws only when a read ends inside it
          assert.isAtMost(toWs, pieces.length - 1)
        }
      ),
      { numRuns: 300 }
    )
  })
})
