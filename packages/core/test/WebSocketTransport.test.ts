/**
 * The socket's transport choice: `ws` with upgrade headers in Node; in a page (a global WebSocket and a
 * document) the browser's WebSocket, with a login token as the `authorization` cookie and an API key
 * refused with a message that says why. The page is simulated with stand-in globals.
 */
import { assert, describe, it, vi } from "@effect/vitest"
import type { AddressInfo } from "node:net"
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
