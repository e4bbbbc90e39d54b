/**
 * Opens the socket's WebSocket: `ws` in Node (upgrade headers carry the credential), the global
 * `WebSocket` in a browser, where no upgrade header can be set. There the JWT of a username/password
 * login travels as the `authorization` cookie the server reads on the upgrade (socket.md §3.2); an API
 * key has no browser form (§3.1), so opening fails with a message that says so.
 *
 * `ws` is loaded with a dynamic import when the first socket is about to open (`load`), not when this
 * module is: its top-level code requires Node's `http`, `https`, `net`, `tls`, `crypto` and `zlib`, about
 * 1 MB of heap and several milliseconds that a program which never opens a socket (REST only: hosted
 * chat, workflows) would otherwise pay at import. A page never loads it; a browser bundle resolves
 * `ws` to its browser stub, which is bundled but never loaded.
 *
 * In Node the data frames a reader takes through `onFrame` are read past `ws`'s frame parser
 * (`readDataFrames`): for a stream of small frames (a model's tokens, progress) that parser costs more per
 * frame than decoding the frame does (new `Buffer`s for each frame's header and payload, a `Writable` pass
 * and two emits per message). `ws` still does everything else: the upgrade, sending, pings and pongs, the
 * close handshake, fragmented messages, and every check and error of a frame it is handed (each frame that
 * is not a whole, final, unmasked text or binary frame is). This relies on one private field of `ws`'s
 * WebSocket, `_receiver` (the `Writable` that `ws` writes each socket read to; its `write`, `writable` and
 * `writableLength` are used): where it is missing, frames go through `ws` as before, and a test fails.
 *
 * @internal
 */
import type WS from "ws"

interface BrowserGlobals {
  readonly WebSocket?: typeof globalThis.WebSocket
  readonly document?: { cookie: string }
}

/** True in a browser page (a global `WebSocket` and a `document`); Node's global WebSocket is not used. */
export function inBrowser(): boolean {
  const g = globalThis as BrowserGlobals
  return typeof g.WebSocket === "function" && g.document !== undefined
}

/** `ws`'s WebSocket class, once `load` has brought it in (Node only). */
let NodeWebSocket: typeof WS | undefined
/** The one dynamic import of `ws`, shared by concurrent first connections. */
let loading: Promise<void> | undefined

/**
 * Brings in `ws` before the first socket opens in Node: a promise that settles when `open` can be
 * called, or `undefined` when nothing is left to load (already loaded, or in a page, which uses the
 * browser's WebSocket). A failed import (the dependency missing) rejects, and the next call tries again.
 *
 * @internal
 */
export function load(): Promise<void> | undefined {
  if (NodeWebSocket !== undefined || inBrowser()) return undefined
  loading ??= import("ws").then(
    (module) => {
      NodeWebSocket = module.default
    },
    (error: unknown) => {
      loading = undefined
      throw error
    }
  )
  return loading
}

/** The cookie attributes for the socket host: `.sogni.ai` hosts share the cookie across subdomains. */
function cookieScope(url: string): string {
  const host = new URL(url).hostname
  return host === "sogni.ai" || host.endsWith(".sogni.ai") ? "; domain=.sogni.ai; Secure" : ""
}

/**
 * What the Node transport adds: the inbound frame bound (`ws` closes with 1009 above it; a browser has
 * no such setting), a callback for every protocol ping or pong heard (liveness), and `onFrame`, the
 * reader's frame callback (see `lightMessageEvents`).
 *
 * @internal
 */
export interface OpenOptions {
  readonly maxPayload?: number | undefined
  readonly onHeard?: (() => void) | undefined
  /**
   * Each frame's data (text as a string, binary as bytes), called by `ws`'s own `message` emit while the
   * reader's message listener is registered, in place of that listener: no event object, and none of the
   * reader's per-message work. Ignored in a browser, whose frames reach the listener as events.
   */
  readonly onFrame?: ((data: string | Uint8Array) => void) | undefined
  /** Read coalescing (see `coalesceReads`), in milliseconds; 0 or absent reads every segment at once. */
  readonly readCoalesceMillis?: number | undefined
}

/**
 * A read this large is a backlog: the reader is already behind or the server writes in bulk, and each
 * read already carries many frames, so it never starts a coalescing pause.
 */
const BULK_READ_BYTES = 16 * 1024

/** The libuv stream handle of a Node TCP socket, as `net` itself drives it. */
interface TcpHandle {
  reading?: boolean
  readonly readStart: () => number
  readonly readStop: () => number
}

type TcpSocket = { readonly _handle?: TcpHandle | null }

/**
 * A paused Node socket keeps reading: a libuv read and a `Buffer` per TCP segment until its buffer reaches
 * the high-water mark, then one `data` per segment when it resumes, so pausing alone saves no read. A
 * coalescing pause stops the handle too, so that what arrives meanwhile stays in the kernel and comes as
 * one read when the pause ends. No public API does this: `net.Socket#pause` stops the handle only for a
 * socket made with `onread` (not the one `ws` gets from the HTTP upgrade), and the stream's own
 * read-ahead starts a handle again as soon as `net` marks it as not reading. So the handle's `reading`
 * stays true while it is stopped here (`net` neither restarts it nor tries to), and only this pause's
 * resume starts it again, unless `net` stopped it itself meanwhile (its own back-pressure, `reading`
 * false: then `net` starts it when its buffer drains). The handle, when stopped here; `undefined` when
 * it was not reading, or is not such a handle (then the pause is a stream pause only, as before).
 */
function stopHandle(tcp: TcpSocket): TcpHandle | undefined {
  const handle = tcp._handle
  if (
    handle === undefined || handle === null || handle.reading !== true || typeof handle.readStop !== "function" ||
    typeof handle.readStart !== "function"
  ) return undefined
  // `reading` stays true: net's stream would otherwise start the handle again on its next read-ahead
  handle.readStop()
  return handle
}

/**
 * Read coalescing (Node). A server that streams many small frames (progress events, one LLM token per
 * frame) sends each as its own TCP segment; read one by one, each costs a read, a buffer and a pass of
 * `ws`'s parser, which in a fast stream is more than decoding the frame. So when a small read follows
 * the previous one within `millis`, the socket is paused (`ws`'s own `pause`, which keeps its
 * back-pressure) for `millis` and the frames that arrive meanwhile are read together when it resumes.
 * Only a fast stream is ever paused: a frame after a quiet spell is read at once, and a frame waits at
 * most `millis` longer than it would have. Large reads never pause (see {@link BULK_READ_BYTES}).
 * The pause's timer is cleared when the TCP socket closes.
 */
function coalesceReads(
  socket: WS,
  tcp: NodeJS.ReadableStream & NodeJS.EventEmitter & { readonly readableLength: number },
  millis: number
): void {
  let lastRead = Number.NEGATIVE_INFINITY
  let timer: ReturnType<typeof setTimeout> | undefined
  // the libuv handle, when this pause stopped it (see `stopHandle`)
  let stopped: TcpHandle | undefined
  // bytes the stream's buffer held when the last pause ended: they come out first, and are no new read
  let buffered = 0
  const resume = () => {
    timer = undefined
    lastRead = performance.now()
    buffered = tcp.readableLength
    if (stopped !== undefined) {
      const handle = stopped
      stopped = undefined
      // `reading` still true: net did not stop the handle itself meanwhile (back-pressure), so it is ours to start
      if (handle === (tcp as TcpSocket)._handle && handle.reading === true) handle.readStart()
    }
    socket.resume()
  }
  const onData = (chunk: Uint8Array) => {
    const now = performance.now()
    // a chunk that comes out of the stream's buffer as it resumes (others still wait behind it) is not a
    // new read: pausing on it would let one buffered segment through per pause while the socket, its
    // buffer full, stops reading and the server's frames pile up in the kernel. Nor is the last of them:
    // a TLS socket's read hands on one record at a time, the rest of the read going to the buffer while
    // paused, and a pause on the last would stop the handle again before it read anything
    const fromBuffer = buffered > 0
    if (fromBuffer) buffered = Math.max(0, buffered - chunk.length)
    if (
      timer === undefined && !fromBuffer && chunk.length < BULK_READ_BYTES && now - lastRead < millis &&
      tcp.readableLength === 0
    ) {
      socket.pause()
      stopped = stopHandle(tcp as TcpSocket)
      timer = setTimeout(resume, millis)
    }
    lastRead = now
  }
  tcp.on("data", onData)
  tcp.once("close", () => {
    tcp.removeListener("data", onData)
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  })
}

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
 *
 * With `onFrame`, registering a plain-function message listener (the reader's) connects `onFrame` to
 * `ws`'s `message` emit instead, and removing it disconnects it: frames reach `onFrame` exactly while
 * the reader listens (from its start until it sees `close` or `error`, as before), with no event and no
 * call of the listener (whose browser path reads `Blob` frames, which `ws` never gives).
 */
function lightMessageEvents(socket: WS, onFrame: OpenOptions["onFrame"], reader: { on: boolean }): WS {
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
    const wrapper = onFrame !== undefined
      ? (data: WS.RawData, isBinary: boolean) => onFrame(isBinary ? data as Uint8Array : data.toString())
      : (data: WS.RawData, isBinary: boolean) => {
        const event: LightMessageEvent = { type: "message", data: isBinary ? data : data.toString(), target: socket }
        f.call(socket, event)
      }
    wrappers.set(f, wrapper)
    socket.on("message", wrapper)
    reader.on = onFrame !== undefined
  }
  target.removeEventListener = (type, listener) => {
    const wrapper = type === "message" ? wrappers.get(listener as MessageListener) : undefined
    if (wrapper === undefined) return remove(type, listener)
    wrappers.delete(listener as MessageListener)
    socket.off("message", wrapper)
    reader.on = false
  }
  return socket
}

/** `ws`'s own inbound frame bound when none is given (100 MiB). */
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024

/** What `ws`'s receiver (private to `ws`: `socket._receiver`, a `Writable` of the socket's reads) shows here. */
interface WsReceiver {
  write: (chunk: unknown, ...rest: Array<unknown>) => boolean
  readonly writable: boolean
  readonly writableLength: number
}

/**
 * Data frames read from the socket's reads (Node, with `onFrame`), without `ws`'s frame parser. `ws` hands
 * each read to its receiver (`_receiver.write`), whose parser costs more per small frame than decoding the
 * frame does: it cuts each frame's header and payload into new `Buffer`s, passes every read through
 * `Writable`, and emits each message through two emitters. A stream of small frames (a model's tokens) is
 * mostly that. So the receiver's `write` is wrapped: a read is walked frame by frame, and each frame that
 * `ws` would emit as a whole message at once (final, text or binary, unmasked, no extension bits, complete
 * in the read, not above `maxPayload`; text in valid UTF-8) goes to `deliver` as `ws` would give it (text as
 * a string, binary as a `Buffer` over the read's bytes); every other frame, byte for byte and in order, goes
 * to the receiver (control frames, fragments, a frame split across reads: what `ws` owes a reply, an error
 * or a close to), which parses it as before. Frame boundaries are tracked across reads: a frame the
 * receiver holds part of gets the rest of its bytes first, and a header split across reads waits (a few
 * bytes) for the next one.
 *
 * `deliver` returns false when nobody reads (the frame then goes to `ws`, which emits it as before). The
 * wrap stands aside for good, handing the receiver everything, once the socket is no longer open (a close
 * frame came or was sent, or the receiver failed) or the receiver holds writes of its own; so it changes
 * no close, error or ordering of `ws`'s. Where `ws` does not look as expected, nothing is wrapped.
 *
 * @internal
 */
export function readDataFrames(socket: WS, deliver: (data: string | Uint8Array) => boolean, maxPayload: number): void {
  const receiver = (socket as unknown as { readonly _receiver?: WsReceiver })._receiver
  if (receiver === undefined || typeof receiver.write !== "function") return
  const write = receiver.write
  // bytes the receiver still needs to finish the frame it holds part of
  let owed = 0
  // the start of a frame whose header has not all come yet
  let carry: Buffer | undefined
  // a fragmented message is under way: its frames (and any new data frame, an error) are the receiver's
  let fragmented = false
  let aside = false
  const toReceiver = (bytes: Buffer): boolean => write.call(receiver, bytes)
  const read = (data: Buffer): boolean => {
    let chunk = data
    let at = 0
    let result = true
    if (owed > 0) {
      if (chunk.length <= owed) {
        owed -= chunk.length
        return toReceiver(chunk)
      }
      result = toReceiver(chunk.subarray(0, owed))
      at = owed
      owed = 0
    }
    if (carry !== undefined) {
      chunk = Buffer.concat([carry, at === 0 ? chunk : chunk.subarray(at)])
      carry = undefined
      at = 0
    }
    const end = chunk.length
    while (at < end) {
      // the receiver ended (a close frame) or failed on a frame of this read: like `ws`, which stops reading
      // there and stops handing it reads, nothing more is read
      if (!receiver.writable) {
        aside = true
        return false
      }
      if (socket.readyState !== 1 || receiver.writableLength > 0) {
        aside = true
        return toReceiver(at === 0 ? chunk : chunk.subarray(at))
      }
      const available = end - at
      let header = 2
      let length = available >= 2 ? chunk[at + 1]! & 0x7f : 0
      if (length === 126) header = 4
      else if (length === 127) header = 10
      const masked = available >= 2 && (chunk[at + 1]! & 0x80) !== 0
      if (masked) header += 4
      if (available < header) {
        carry = Buffer.from(chunk.subarray(at))
        return result
      }
      if (length === 127) length = chunk.readUInt32BE(at + 2) * 0x1_0000_0000 + chunk.readUInt32BE(at + 6)
      else if (length === 126) length = chunk.readUInt16BE(at + 2)
      const first = chunk[at]!
      const frameEnd = at + header + length
      // a final text or binary frame, no extension bits, unmasked, whole in this read
      if (
        (first === 0x81 || first === 0x82) && !masked && !fragmented && frameEnd <= end &&
        (maxPayload <= 0 || length <= maxPayload)
      ) {
        if (first === 0x82) {
          if (deliver(chunk.subarray(at + header, frameEnd))) {
            at = frameEnd
            continue
          }
        } else {
          const text = chunk.toString("utf8", at + header, frameEnd)
          // the decoder turns invalid UTF-8 into U+FFFD: such a frame goes to `ws`, which checks it
          if (text.indexOf("\uFFFD") < 0 && deliver(text)) {
            at = frameEnd
            continue
          }
        }
      }
      const opcode = first & 0x0f
      if (opcode === 1 || opcode === 2) fragmented = (first & 0x80) === 0
      else if (opcode === 0 && (first & 0x80) !== 0) fragmented = false
      if (frameEnd <= end) {
        result = toReceiver(chunk.subarray(at, frameEnd))
        at = frameEnd
        continue
      }
      owed = frameEnd - end
      return toReceiver(at === 0 ? chunk : chunk.subarray(at))
    }
    return result
  }
  receiver.write = function(this: WsReceiver, chunk: unknown, ...rest: Array<unknown>) {
    if (aside || rest.length > 0 || !Buffer.isBuffer(chunk)) return write.call(this, chunk, ...rest)
    return read(chunk)
  }
}

/**
 * A WebSocket to `url` carrying `headers` (plain values): `api-key` or `authorization`. In Node, message
 * listeners get a light event, or their frames go to `options.onFrame` (see `lightMessageEvents`), and
 * `load` must have settled first (opening before it throws, a defect of the caller).
 *
 * @internal
 */
export function open(
  url: string,
  headers: Readonly<Record<string, string>>,
  options: OpenOptions = {}
): globalThis.WebSocket {
  if (!inBrowser()) {
    if (NodeWebSocket === undefined) throw new Error("ws is not loaded yet: await WebSocketTransport.load() before opening")
    const socket = new NodeWebSocket(url, {
      headers,
      perMessageDeflate: false,
      ...(options.maxPayload !== undefined ? { maxPayload: options.maxPayload } : {})
    })
    const coalesce = options.readCoalesceMillis ?? 0
    // the TCP socket comes with `upgrade`; its reads are watched from `open`, once `ws` listens to it: a
    // `data` listener added before that would set it flowing and take the bytes that came with the
    // upgrade response (frames a server sends at once) before `ws` could read them
    if (coalesce > 0) {
      socket.once("upgrade", (response) => {
        socket.once("open", () => coalesceReads(socket, response.socket, coalesce))
      })
    }
    if (options.onHeard !== undefined) {
      socket.on("pong", options.onHeard)
      socket.on("ping", options.onHeard)
    }
    // whether the reader's frame callback is connected (see `lightMessageEvents`)
    const reader = { on: false }
    const onFrame = options.onFrame
    if (onFrame !== undefined) {
      // frames go straight to `onFrame` while the reader listens and is the only message listener
      const deliver = (data: string | Uint8Array): boolean => {
        if (!reader.on || socket.listenerCount("message") !== 1) return false
        onFrame(data)
        return true
      }
      // `ws`'s receiver exists from `open` (made with the socket, before any frame is read); it keeps the
      // bound's 32-bit integer part (`| 0`: 2^32 + 1000 bounds at 1000, NaN or 2^32 not at all), and so does this
      const bound = (options.maxPayload ?? DEFAULT_MAX_PAYLOAD) | 0
      socket.once("open", () => readDataFrames(socket, deliver, bound))
    }
    return lightMessageEvents(socket, onFrame, reader) as unknown as globalThis.WebSocket
  }
  const g = globalThis as BrowserGlobals
  const token = headers["authorization"] ?? headers["Authorization"]
  if (token === undefined && (headers["api-key"] !== undefined)) {
    throw new Error(
      "An API key cannot authenticate a browser WebSocket (browsers send no upgrade headers): log in with username and password"
    )
  }
  if (token !== undefined) {
    g.document!.cookie = `authorization=${token}; path=/; max-age=86400; SameSite=Strict${cookieScope(url)}`
  }
  const socket = new g.WebSocket!(url)
  // binary frames as bytes on the message's own turn, not as `Blob`s read later (the order is kept)
  socket.binaryType = "arraybuffer"
  return socket
}

/** True when the socket can send protocol pings (`ws`), so silence can be told from an idle line. */
export function canPing(socket: globalThis.WebSocket): boolean {
  return typeof (socket as unknown as { readonly ping?: unknown }).ping === "function"
}

/** Drops the connection at once: `terminate` on `ws` (no closing handshake), `close` in a browser. */
export function terminate(socket: globalThis.WebSocket): void {
  const s = socket as unknown as { readonly terminate?: () => void; readonly close: () => void }
  if (typeof s.terminate === "function") s.terminate()
  else s.close()
}

/** A protocol ping where the socket can send one (`ws`); browsers answer pings but cannot send them. */
export function ping(socket: globalThis.WebSocket): void {
  const s = socket as unknown as { readonly readyState: number; readonly ping?: () => void }
  if (s.readyState === 1 && typeof s.ping === "function") s.ping()
}
