/**
 * The socket's transport choice: `ws` with upgrade headers in Node; in a page (a global WebSocket and a
 * document) the browser's WebSocket, with a login token as the `authorization` cookie and an API key
 * refused with a message that says why. The page is simulated with stand-in globals.
 */
import { assert, describe, it } from "@effect/vitest"
import WS from "ws"
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
  it("uses ws in Node, even where Node has a global WebSocket", () => {
    assert.isFalse(WebSocketTransport.inBrowser())
    const socket = WebSocketTransport.open("ws://127.0.0.1:9/", { "api-key": "k" })
    assert.instanceOf(socket, WS)
    ;(socket as unknown as WS).on("error", () => {})
    socket.close()
  })

  it("in a page: the browser's WebSocket, the token as the authorization cookie", () =>
    inFakePage((document) => {
      assert.isTrue(WebSocketTransport.inBrowser())
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
})
