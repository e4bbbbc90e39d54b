/**
 * The socket's WebSocket client in Node, on Node's own `http`/`https`, `crypto` and `buffer` modules
 * (reached through `process.getBuiltinModule`, so nothing Node-only is imported where there is no Node):
 * RFC 6455 as the socket speaks it, a client without extensions or subprotocols. It replaces `ws` on the
 * socket's path (a quarter of an image program's minified bytes, and its CommonJS modules run at import);
 * `ws` stays the transport of a Node without `getBuiltinModule` (before 20.16), loaded there on first use.
 *
 * It behaves as `ws` does where the socket and `@effect/platform`'s `Socket` look:
 * - `addEventListener` / `removeEventListener` for `open`, `message`, `error` and `close` (functions or
 *   `handleEvent` objects, `once`); a message event is a plain `{ type, data, target }`, `data` a string
 *   for a text message and a `Buffer` for a binary one;
 * - the upgrade headers are the caller's (the credential); a refused upgrade is an `error` event whose
 *   message reads `Unexpected server response: <status>`, then `close` (1006);
 * - a message above `maxPayload` (total over its fragments) is refused from its header: `error`, and a
 *   close frame 1009 to the server; frames a client must not get (masked, reserved bits or opcodes,
 *   fragmented or long control frames) close with 1002, text that is not UTF-8 with 1007;
 * - pings are answered with pongs; `ping()` sends one; `onHeard` is called for each ping or pong heard;
 * - `close(code, reason)` sends a close frame and waits for the server's (30 s at most, then drops the
 *   line), before the upgrade it aborts the handshake; `terminate()` drops the line at once. `close` is
 *   emitted once the TCP connection is gone, with the server's close code (1005 for none) or 1006.
 *
 * @internal
 */
import type * as NodeBuffer from "node:buffer"
import type * as Crypto from "node:crypto"
import type * as Http from "node:http"
import type * as Https from "node:https"
import type { Duplex } from "node:stream"

type Buf = NodeBuffer.Buffer

/** The Node modules the client runs on. */
interface Builtins {
  readonly http: typeof Http
  readonly https: typeof Https
  readonly crypto: typeof Crypto
  readonly Buffer: typeof NodeBuffer.Buffer
  readonly isUtf8: (input: Uint8Array) => boolean
}

let builtins: Builtins | null | undefined

/** Node's modules, or `undefined` outside Node or on a Node without `process.getBuiltinModule`. */
export const nodeBuiltins = (): Builtins | undefined => {
  if (builtins === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const get = proc?.getBuiltinModule
    if (typeof get !== "function") {
      builtins = null
    } else {
      const buffer = get("node:buffer") as typeof NodeBuffer
      builtins = {
        http: get("node:http") as typeof Http,
        https: get("node:https") as typeof Https,
        crypto: get("node:crypto") as typeof Crypto,
        Buffer: buffer.Buffer,
        isUtf8: buffer.isUtf8
      }
    }
  }
  return builtins ?? undefined
}

/** The GUID of RFC 6455 §1.3, hashed with the key into `Sec-WebSocket-Accept`. */
const acceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/** How long a closing handshake may take before the line is dropped (as `ws`). */
const closeTimeoutMillis = 30_000

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** Options of {@link NodeWebSocket}. */
export interface NodeWebSocketOptions {
  /** Largest inbound message in bytes (0: no bound). */
  readonly maxPayload?: number | undefined
  /** Called for every protocol ping or pong heard from the server. */
  readonly onHeard?: (() => void) | undefined
}

type Handler = ((event: unknown) => void) | { readonly handleEvent: (event: unknown) => void }

interface Registration {
  readonly handler: Handler
  readonly once: boolean
}

/** Whether `code` may travel in a close frame (RFC 6455 §7.4). */
const validCloseCode = (code: number): boolean =>
  (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)

/** A protocol failure of the server's frames: the close code sent and the message of the `error` event. */
class FrameError {
  constructor(readonly code: number, readonly message: string) {}
}

/**
 * A WebSocket client connection (see the module's description).
 *
 * @internal
 */
export class NodeWebSocket {
  static readonly CONNECTING = CONNECTING
  static readonly OPEN = OPEN
  static readonly CLOSING = CLOSING
  static readonly CLOSED = CLOSED
  readonly CONNECTING = CONNECTING
  readonly OPEN = OPEN
  readonly CLOSING = CLOSING
  readonly CLOSED = CLOSED

  readyState = CONNECTING
  /** Binary messages are delivered as `Buffer`s whatever this says (the reader takes any `Uint8Array`). */
  binaryType = "nodebuffer"
  readonly protocol = ""
  readonly extensions = ""

  /** Listeners by event type, each list replaced (never changed in place) so a dispatch may iterate it. */
  private readonly listeners: Record<string, ReadonlyArray<Registration>> = {}
  private request: Http.ClientRequest | undefined
  private socket: Duplex | undefined
  private readonly maxPayload: number
  private readonly onHeard: (() => void) | undefined

  // the reader: bytes received and not yet taken, the frame being read, the message being assembled
  private chunks: Array<Buf> = []
  private buffered = 0
  private reading = true
  /** The payload length of the frame whose header was read, or -1 while a header is awaited. */
  private payloadLength = -1
  private fin = false
  private opcode = 0
  private fragments: Array<Buf> = []
  private fragmentsLength = 0
  private fragmentOpcode = 0

  // the closing handshake
  private closeSent = false
  private closeReceived = false
  private closeCode = 1006
  private closeReason = ""
  private closeTimer: ReturnType<typeof setTimeout> | undefined
  private closeEmitted = false

  /** Random bytes for the frames' masks, taken 4 at a time and refilled when used up. */
  private static maskPool: Buf | undefined
  private static maskOffset = 0

  constructor(
    readonly url: string,
    headers: Readonly<Record<string, string>>,
    options: NodeWebSocketOptions,
    private readonly node: Builtins
  ) {
    this.maxPayload = options.maxPayload ?? 0
    this.onHeard = options.onHeard
    const target = new URL(url)
    const scheme = target.protocol
    if (scheme !== "ws:" && scheme !== "wss:" && scheme !== "http:" && scheme !== "https:") {
      throw new SyntaxError(`The URL's protocol must be one of "ws:", "wss:", "http:" or "https:"; got "${scheme}"`)
    }
    if (target.hash !== "") throw new SyntaxError("The URL contains a fragment identifier")
    const secure = scheme === "wss:" || scheme === "https:"
    const key = node.crypto.randomBytes(16).toString("base64")
    const hostname = target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname
    const request = (secure ? node.https : node.http).request({
      hostname,
      port: target.port === "" ? (secure ? 443 : 80) : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method: "GET",
      // a connection of its own: an upgraded socket never goes back to a pool
      agent: false,
      headers: {
        ...headers,
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": key,
        Connection: "Upgrade",
        Upgrade: "websocket"
      }
    })
    this.request = request
    request.on("response", (response) => {
      response.resume()
      this.abortHandshake(`Unexpected server response: ${response.statusCode}`)
    })
    request.on("error", (error) => {
      if (this.request === undefined) return
      this.request = undefined
      this.fail(error.message, error)
    })
    request.on("upgrade", (response, socket, head) => {
      this.request = undefined
      if (this.readyState !== CONNECTING) {
        socket.destroy()
        return
      }
      const expected = node.crypto.createHash("sha1").update(key + acceptGuid).digest("base64")
      const problem = String(response.headers.upgrade ?? "").toLowerCase() !== "websocket"
        ? "Invalid Upgrade header"
        : response.headers["sec-websocket-accept"] !== expected
        ? "Invalid Sec-WebSocket-Accept header"
        : response.headers["sec-websocket-protocol"] !== undefined
        ? "Server sent a subprotocol but none was requested"
        : response.headers["sec-websocket-extensions"] !== undefined
        ? "Server sent a Sec-WebSocket-Extensions header but no extension was requested"
        : undefined
      if (problem !== undefined) {
        socket.destroy()
        this.fail(problem)
        return
      }
      this.attach(socket, head)
    })
    request.end()
  }

  /** Bytes written and not yet flushed to the network. */
  get bufferedAmount(): number {
    return (this.socket as { readonly writableLength?: number } | undefined)?.writableLength ?? 0
  }

  addEventListener(type: string, handler: Handler, options?: { readonly once?: boolean } | boolean): void {
    const list = this.listeners[type] ?? []
    for (const r of list) if (r.handler === handler) return
    const once = typeof options === "object" && options !== null && options.once === true
    this.listeners[type] = [...list, { handler, once }]
  }

  removeEventListener(type: string, handler: Handler): void {
    const list = this.listeners[type]
    if (list === undefined) return
    const rest = list.filter((r) => r.handler !== handler)
    if (rest.length !== list.length) this.listeners[type] = rest
  }

  /** Sends a text (string) or binary (bytes) message; throws before the connection is open, as `ws` does. */
  send(data: string | Uint8Array | ArrayBuffer): void {
    if (this.readyState === CONNECTING) throw new Error("WebSocket is not open: readyState 0 (CONNECTING)")
    if (this.readyState !== OPEN) return
    if (typeof data === "string") this.writeFrame(0x1, data)
    else this.writeFrame(0x2, data instanceof Uint8Array ? data : new Uint8Array(data))
  }

  /** A protocol ping (the server answers with a pong). */
  ping(): void {
    if (this.readyState === CONNECTING) throw new Error("WebSocket is not open: readyState 0 (CONNECTING)")
    if (this.readyState === OPEN) this.writeFrame(0x9, undefined)
  }

  /** Starts the closing handshake; before the upgrade, abandons it. */
  close(code?: number, reason?: string): void {
    if (this.readyState === CLOSED) return
    if (this.readyState === CONNECTING) {
      this.abortHandshake("WebSocket was closed before the connection was established")
      return
    }
    if (this.readyState === CLOSING) {
      if (this.closeSent && this.closeReceived) this.socket?.end()
      return
    }
    this.readyState = CLOSING
    this.sendClose(code, reason)
    if (this.closeReceived) this.socket?.end()
  }

  /** Drops the connection without a closing handshake. */
  terminate(): void {
    if (this.readyState === CLOSED) return
    if (this.readyState === CONNECTING) {
      this.abortHandshake("WebSocket was closed before the connection was established")
      return
    }
    this.readyState = CLOSING
    this.socket?.destroy()
  }

  // -----------------------------------------------------------------------------------------------

  private dispatch(type: string, event: unknown): void {
    const list = this.listeners[type]
    if (list === undefined) return
    for (const r of list) {
      if (r.once) this.removeEventListener(type, r.handler)
      if (typeof r.handler === "function") r.handler.call(this, event)
      else r.handler.handleEvent(event)
    }
  }

  /** The handshake failed or was abandoned: `error`, then `close` (1006), after the caller's turn. */
  private abortHandshake(message: string): void {
    const request = this.request
    this.request = undefined
    request?.destroy()
    this.fail(message)
  }

  /** `error` then `close`, once, after the current turn (listeners never run inside the caller's call). */
  private fail(message: string, error: Error = new Error(message)): void {
    if (this.readyState === CLOSED || this.closeEmitted) return
    this.readyState = CLOSING
    queueMicrotask(() => {
      this.dispatch("error", { type: "error", message, error, target: this })
      if (this.socket === undefined) this.emitClose()
    })
  }

  private emitClose(): void {
    if (this.closeEmitted) return
    this.closeEmitted = true
    this.readyState = CLOSED
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    this.dispatch("close", {
      type: "close",
      code: this.closeCode,
      reason: this.closeReason,
      wasClean: this.closeSent && this.closeReceived,
      target: this
    })
  }

  private attach(socket: Duplex, head: Buf): void {
    this.socket = socket
    this.readyState = OPEN
    const net = socket as Duplex & { setTimeout?: (ms: number) => void; setNoDelay?: (on: boolean) => void }
    net.setTimeout?.(0)
    net.setNoDelay?.(true)
    if (head.length > 0) socket.unshift(head)
    socket.on("data", (chunk: Buf) => this.onData(chunk))
    socket.on("end", () => {
      this.readyState = CLOSING
      this.reading = false
      socket.end()
    })
    socket.on("close", () => this.emitClose())
    // the line failed (reset, …): it closes, and `close` (1006) follows
    socket.on("error", () => {
      this.readyState = CLOSING
      socket.destroy()
    })
    this.dispatch("open", { type: "open", target: this })
  }

  // --- writing -------------------------------------------------------------------------------------

  private mask(): Buf {
    let pool = NodeWebSocket.maskPool
    if (pool === undefined || NodeWebSocket.maskOffset + 4 > pool.length) {
      pool = NodeWebSocket.maskPool ??= this.node.Buffer.allocUnsafe(8192)
      this.node.crypto.randomFillSync(pool)
      NodeWebSocket.maskOffset = 0
    }
    const offset = NodeWebSocket.maskOffset
    NodeWebSocket.maskOffset = offset + 4
    return pool.subarray(offset, offset + 4)
  }

  /** One masked frame with FIN set, written in one piece. */
  private writeFrame(opcode: number, payload: string | Uint8Array | undefined): void {
    const socket = this.socket
    // the line is ending or gone (the server ended it, or it failed): nothing more can go out
    if (socket === undefined || !socket.writable) return
    const B = this.node.Buffer
    const length = payload === undefined ? 0 : typeof payload === "string" ? B.byteLength(payload) : payload.length
    const head = length < 126 ? 6 : length < 65536 ? 8 : 14
    const frame = B.allocUnsafe(head + length)
    frame[0] = 0x80 | opcode
    if (length < 126) {
      frame[1] = 0x80 | length
    } else if (length < 65536) {
      frame[1] = 0x80 | 126
      frame.writeUInt16BE(length, 2)
    } else {
      frame[1] = 0x80 | 127
      frame.writeUInt32BE(Math.floor(length / 0x100000000), 2)
      frame.writeUInt32BE(length >>> 0, 6)
    }
    const mask = this.mask()
    const m0 = mask[0]!, m1 = mask[1]!, m2 = mask[2]!, m3 = mask[3]!
    frame[head - 4] = m0
    frame[head - 3] = m1
    frame[head - 2] = m2
    frame[head - 1] = m3
    if (typeof payload === "string") frame.write(payload, head, "utf8")
    else if (payload !== undefined) frame.set(payload, head)
    const end = head + length
    let i = head
    for (; i + 3 < end; i += 4) {
      frame[i] ^= m0
      frame[i + 1] ^= m1
      frame[i + 2] ^= m2
      frame[i + 3] ^= m3
    }
    for (; i < end; i++) frame[i] ^= mask[(i - head) & 3]!
    socket.write(frame)
  }

  private sendClose(code: number | undefined, reason: string | undefined): void {
    if (this.closeSent) return
    this.closeSent = true
    if (code === undefined) {
      this.writeFrame(0x8, undefined)
    } else {
      const text = reason ?? ""
      const payload = this.node.Buffer.allocUnsafe(2 + this.node.Buffer.byteLength(text))
      payload.writeUInt16BE(code, 0)
      payload.write(text, 2, "utf8")
      this.writeFrame(0x8, payload)
    }
    // the server has this long to answer before the line is dropped
    this.closeTimer = setTimeout(() => this.socket?.destroy(), closeTimeoutMillis)
  }

  // --- reading -------------------------------------------------------------------------------------

  private onData(chunk: Buf): void {
    if (!this.reading) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
    try {
      this.readFrames()
    } catch (error) {
      if (!(error instanceof FrameError)) throw error
      this.refuse(error)
    }
  }

  /** The byte at `index` of what was received and not yet taken. */
  private byteAt(index: number): number {
    for (const chunk of this.chunks) {
      if (index < chunk.length) return chunk[index]!
      index -= chunk.length
    }
    return 0
  }

  /** Takes `n` bytes from the front of what was received (a view of a chunk when they lie in one). */
  private take(n: number): Buf {
    const first = this.chunks[0]
    this.buffered -= n
    if (first === undefined || n === 0) return this.node.Buffer.alloc(0)
    if (first.length === n) {
      this.chunks.shift()
      return first
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = this.node.Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[0]!
      const part = Math.min(chunk.length, n - filled)
      out.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled)
      filled += part
      if (part === chunk.length) this.chunks.shift()
      else this.chunks[0] = chunk.subarray(part)
    }
    return out
  }

  private readFrames(): void {
    while (this.reading) {
      if (this.payloadLength < 0) {
        if (this.buffered < 2) return
        const b0 = this.byteAt(0)
        const b1 = this.byteAt(1)
        const short = b1 & 0x7f
        const headLength = short === 126 ? 4 : short === 127 ? 10 : 2
        if (this.buffered < headLength) return
        this.readHeader(b0, b1, short)
        this.take(headLength)
      }
      if (this.buffered < this.payloadLength) return
      const payload = this.take(this.payloadLength)
      this.payloadLength = -1
      this.onFrame(payload)
    }
  }

  private readHeader(b0: number, b1: number, short: number): void {
    if ((b0 & 0x70) !== 0) throw new FrameError(1002, "Invalid WebSocket frame: RSV1, RSV2 and RSV3 must be clear")
    if ((b1 & 0x80) !== 0) throw new FrameError(1002, "Invalid WebSocket frame: MASK must be clear")
    const fin = (b0 & 0x80) !== 0
    const opcode = b0 & 0x0f
    let length = short
    if (short === 126) {
      length = (this.byteAt(2) << 8) | this.byteAt(3)
    } else if (short === 127) {
      const high = ((this.byteAt(2) << 24) | (this.byteAt(3) << 16) | (this.byteAt(4) << 8) | this.byteAt(5)) >>> 0
      const low = ((this.byteAt(6) << 24) | (this.byteAt(7) << 16) | (this.byteAt(8) << 8) | this.byteAt(9)) >>> 0
      if (high > 0x1fffff) throw new FrameError(1009, "Unsupported WebSocket frame: payload length > 2^53 - 1")
      length = high * 0x100000000 + low
    }
    if (opcode === 0x0) {
      if (this.fragmentOpcode === 0) throw new FrameError(1002, "Invalid WebSocket frame: invalid opcode 0")
    } else if (opcode === 0x1 || opcode === 0x2) {
      if (this.fragmentOpcode !== 0) throw new FrameError(1002, `Invalid WebSocket frame: invalid opcode ${opcode}`)
    } else if (opcode === 0x8 || opcode === 0x9 || opcode === 0xa) {
      if (!fin) throw new FrameError(1002, "Invalid WebSocket frame: FIN must be set")
      if (length > 125) throw new FrameError(1002, `Invalid WebSocket frame: invalid payload length ${length}`)
      if (opcode === 0x8 && length === 1) throw new FrameError(1002, "Invalid WebSocket frame: invalid payload length 1")
    } else {
      throw new FrameError(1002, `Invalid WebSocket frame: invalid opcode ${opcode}`)
    }
    if (opcode < 0x8 && this.maxPayload > 0 && this.fragmentsLength + length > this.maxPayload) {
      throw new FrameError(1009, "Max payload size exceeded")
    }
    this.fin = fin
    this.opcode = opcode
    this.payloadLength = length
  }

  private onFrame(payload: Buf): void {
    const opcode = this.opcode
    if (opcode < 0x8) {
      if (!this.fin) {
        if (opcode !== 0x0) this.fragmentOpcode = opcode
        this.fragments.push(payload)
        this.fragmentsLength += payload.length
        return
      }
      let kind = opcode
      let data = payload
      if (opcode === 0x0) {
        kind = this.fragmentOpcode
        this.fragments.push(payload)
        data = this.node.Buffer.concat(this.fragments, this.fragmentsLength + payload.length)
        this.fragments = []
        this.fragmentsLength = 0
        this.fragmentOpcode = 0
      }
      if (kind === 0x1) {
        if (!this.node.isUtf8(data)) throw new FrameError(1007, "Invalid WebSocket frame: invalid UTF-8 sequence")
        this.dispatch("message", { type: "message", data: data.toString("utf8"), target: this })
      } else {
        this.dispatch("message", { type: "message", data, target: this })
      }
      return
    }
    if (opcode === 0x8) {
      let code = 1005
      let reason = ""
      if (payload.length >= 2) {
        code = payload.readUInt16BE(0)
        if (!validCloseCode(code)) throw new FrameError(1002, `Invalid WebSocket frame: invalid status code ${code}`)
        const text = payload.subarray(2)
        if (!this.node.isUtf8(text)) throw new FrameError(1007, "Invalid WebSocket frame: invalid UTF-8 sequence")
        reason = text.toString("utf8")
      }
      this.reading = false
      this.closeReceived = true
      this.closeCode = code
      this.closeReason = reason
      if (this.readyState === OPEN) this.readyState = CLOSING
      // answer with the server's code, then end the line once both frames are out
      this.sendClose(code === 1005 ? undefined : code, reason)
      this.socket?.end()
      return
    }
    this.onHeard?.()
    if (opcode === 0x9 && this.readyState === OPEN) this.writeFrame(0xa, payload)
  }

  /** Frames the server must not send: `error`, a close frame with the rule's code, nothing more read. */
  private refuse(problem: FrameError): void {
    this.reading = false
    this.chunks = []
    this.buffered = 0
    this.readyState = CLOSING
    this.dispatch("error", { type: "error", message: problem.message, error: new Error(problem.message), target: this })
    this.sendClose(problem.code, "")
  }
}
