/**
 * The socket's transport on a Node without `process.getBuiltinModule` (before 20.16): `ws`, loaded with a
 * dynamic import by `webSocketTransport.load` before the first connection. It behaves as `nodeWebSocket.ts`
 * does where the socket looks (light message events, the frame bound, pings and pongs heard).
 *
 * @internal
 */
import WS from "ws"
import type { OpenOptions } from "./webSocketTransport.js"

/** A `message` listener as the socket's reader registers it. */
type MessageListener = (event: { readonly data: unknown }) => void

/** What a light message event carries: the fields a reader of a WHATWG `MessageEvent` reads. */
interface LightMessageEvent {
  readonly type: "message"
  readonly data: unknown
  readonly target: WS
}

/**
 * `ws`'s own `addEventListener("message")` builds a `MessageEvent` (an `Event` subclass with symbol-keyed
 * fields, and its options object) for every frame before it calls the listener; the socket's reader only
 * reads `data`. Here a plain-function message listener gets `{ type, data, target }` instead, with `data`
 * as `ws` would give it (text decoded to a string, binary as `binaryType` says): one small object per
 * frame. Other listeners (an object with `handleEvent`, `once`, other event types) go to `ws` unchanged.
 */
export const lightMessageEvents = (socket: WS): WS => {
  const wrappers = new Map<MessageListener, (data: WS.RawData, isBinary: boolean) => void>()
  const add = socket.addEventListener.bind(socket) as (type: string, listener: unknown, options?: unknown) => void
  const remove = socket.removeEventListener.bind(socket) as (type: string, listener: unknown) => void
  const target = socket as unknown as {
    addEventListener: (type: string, listener: unknown, options?: { readonly once?: boolean }) => void
    removeEventListener: (type: string, listener: unknown) => void
  }
  target.addEventListener = (type, listener, options) => {
    if (type !== "message" || typeof listener !== "function" || options?.once === true) return add(type, listener, options)
    const f = listener as MessageListener
    if (wrappers.has(f)) return
    const wrapper = (data: WS.RawData, isBinary: boolean) => {
      const event: LightMessageEvent = { type: "message", data: isBinary ? data : data.toString(), target: socket }
      f.call(socket, event)
    }
    wrappers.set(f, wrapper)
    socket.on("message", wrapper)
  }
  target.removeEventListener = (type, listener) => {
    const wrapper = type === "message" ? wrappers.get(listener as MessageListener) : undefined
    if (wrapper === undefined) return remove(type, listener)
    wrappers.delete(listener as MessageListener)
    socket.off("message", wrapper)
  }
  return socket
}

/** A `ws` socket to `url` with `headers`, no compression, the frame bound and the liveness callback. */
export const open = (url: string, headers: Readonly<Record<string, string>>, options: OpenOptions): globalThis.WebSocket => {
  const socket = new WS(url, {
    headers,
    perMessageDeflate: false,
    ...(options.maxPayload !== undefined ? { maxPayload: options.maxPayload } : {})
  })
  if (options.onHeard !== undefined) {
    socket.on("pong", options.onHeard)
    socket.on("ping", options.onHeard)
  }
  return lightMessageEvents(socket) as unknown as globalThis.WebSocket
}
