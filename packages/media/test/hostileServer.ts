/**
 * A hostile Sogni server on a loopback port, for tests that need what the emulator will not do: frames
 * out of order, for unknown jobs, with wrong types or absurd values, floods written in one turn,
 * handshakes that forget projects, cancels swallowed by a dying socket. One `node:http` server answers
 * the REST calls a test scripts (`rest`; 404 otherwise) and upgrades `/` to a WebSocket spoken by hand
 * (RFC 6455, the subset a client uses: unfragmented text and binary frames, ping, close), so that the
 * test controls every byte and every moment.
 */
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type * as Net from "node:net"

/** One client connection as the server sees it. */
export interface HostileConnection {
  readonly index: number
  /** Decoded client frames, in arrival order. */
  readonly received: Array<{ readonly type: string; readonly payload: unknown }>
  closed: boolean
  /** Writes one frame `{type, data}` as the server would. */
  readonly send: (type: string, payload: unknown) => void
  /** Writes any text as one frame. */
  readonly sendRaw: (text: string) => void
  /** Writes the `authenticated` handshake with the given recovery lists. */
  readonly authenticate: (extra?: Record<string, unknown>) => void
  /** Destroys the TCP connection without a close frame (the client sees 1006). */
  readonly drop: () => void
}

/** What a REST route answers: a status and a JSON body. */
export interface RestAnswer {
  readonly status: number
  readonly body: unknown
}

export interface HostileServer {
  readonly url: string
  readonly wsUrl: string
  readonly connections: Array<HostileConnection>
  /** Called with each new connection (default: authenticate with empty lists). */
  onConnection: (c: HostileConnection) => void
  /** Called with each client frame after it was recorded. */
  onFrame: (c: HostileConnection, frame: { readonly type: string; readonly payload: unknown }) => void
  /**
   * Answers a REST request by method and path (query excluded); undefined → 404 (or the proxy); `"hang"`
   * → never; `"drop"` → the connection destroyed once the request's body arrived.
   */
  rest: (method: string, path: string) => RestAnswer | "hang" | "drop" | undefined
  /** REST requests received, as `METHOD path`. */
  readonly restCalls: Array<string>
  /** Where requests `rest` does not answer are forwarded (e.g. an emulator's URL); 404 when unset. */
  proxyTo: string | undefined
}

/** The handshake payload with empty recovery lists, plus `extra`. */
export function authenticatedPayload(extra: Record<string, unknown> = {}) {
  return {
    id: "hostile-1",
    clientType: "artist",
    username: "pixelfox",
    address: "0x8Fa3C1d2E4b5A6978c0D1e2F3a4B5c6D7e8F9a0B",
    activeProjects: [],
    unclaimedCompletedProjects: [],
    activeLLMJobIDs: [],
    ...extra
  }
}

function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length])
  if (length < 65536) {
    const h = Buffer.alloc(4)
    h[0] = 0x80 | opcode
    h[1] = 126
    h.writeUInt16BE(length, 2)
    return h
  }
  const h = Buffer.alloc(10)
  h[0] = 0x80 | opcode
  h[1] = 127
  h.writeBigUInt64BE(BigInt(length), 2)
  return h
}

/** Reads complete client frames from `buffer`; returns the rest. */
function readFrames(
  buffer: Buffer,
  onFrame: (opcode: number, payload: Buffer) => void
): Buffer {
  let offset = 0
  for (;;) {
    if (buffer.length - offset < 2) break
    const b0 = buffer[offset]!
    const b1 = buffer[offset + 1]!
    let length = b1 & 0x7f
    let at = offset + 2
    if (length === 126) {
      if (buffer.length - at < 2) break
      length = buffer.readUInt16BE(at)
      at += 2
    } else if (length === 127) {
      if (buffer.length - at < 8) break
      length = Number(buffer.readBigUInt64BE(at))
      at += 8
    }
    const masked = (b1 & 0x80) !== 0
    const maskAt = at
    if (masked) at += 4
    if (buffer.length - at < length) break
    const payload = Buffer.from(buffer.subarray(at, at + length))
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ buffer[maskAt + (i % 4)]!
    onFrame(b0 & 0x0f, payload)
    offset = at + length
  }
  return buffer.subarray(offset)
}

/** Starts the server; it closes (every socket destroyed) with the scope. */
export function makeHostileServer(): Effect.Effect<HostileServer, never, Scope.Scope> {
  return Effect.acquireRelease(
    Effect.async<{ server: HostileServer; http: Http.Server; sockets: Set<Net.Socket> }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const server: HostileServer = {
        url: "",
        wsUrl: "",
        connections: [],
        onConnection: (c) => c.authenticate(),
        onFrame: () => {},
        rest: () => undefined,
        restCalls: [],
        proxyTo: undefined
      }
      const http = Http.createServer((req, res) => {
        const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname
        server.restCalls.push(`${req.method} ${path}`)
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const answer = server.rest(req.method ?? "GET", path)
          if (answer === "hang") return
          if (answer === "drop") return void req.socket.destroy()
          if (answer === undefined && server.proxyTo !== undefined) {
            const headers = new Headers()
            for (const [k, v] of Object.entries(req.headers)) {
              if (typeof v === "string" && k !== "host" && k !== "connection" && k !== "content-length") headers.set(k, v)
            }
            const body = chunks.length > 0 ? new Uint8Array(Buffer.concat(chunks)) : null
            fetch(new URL(req.url ?? "/", server.proxyTo), { method: req.method ?? "GET", headers, body })
              .then(async (r) => {
                const type = r.headers.get("content-type")
                res.writeHead(r.status, type !== null ? { "content-type": type } : {})
                res.end(Buffer.from(await r.arrayBuffer()))
              }, () => res.destroy())
            return
          }
          const { body, status } = answer ?? { status: 404, body: { status: "error", message: "not found" } }
          res.writeHead(status, { "content-type": "application/json" })
          res.end(JSON.stringify(body))
        })
      })
      http.on("connection", (s) => {
        sockets.add(s)
        s.on("close", () => sockets.delete(s))
      })
      http.on("upgrade", (req, socket) => {
        const key = req.headers["sec-websocket-key"]
        if (typeof key !== "string") return socket.destroy()
        const accept = Crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64")
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`
        )
        const write = (opcode: number, payload: Buffer) => {
          if (!conn.closed && socket.writable) socket.write(Buffer.concat([frameHeader(opcode, payload.length), payload]))
        }
        const conn: HostileConnection = {
          index: server.connections.length,
          received: [],
          closed: false,
          send: (type, payload) => write(0x1, Buffer.from(Protocol.encodeFrame(type, payload))),
          sendRaw: (text) => write(0x1, Buffer.from(text)),
          authenticate: (extra) => conn.send("authenticated", authenticatedPayload(extra)),
          drop: () => {
            conn.closed = true
            socket.destroy()
          }
        }
        let pending: Buffer = Buffer.alloc(0)
        socket.on("data", (chunk: Buffer) => {
          pending = readFrames(Buffer.concat([pending, chunk]), (opcode, payload) => {
            if (opcode === 0x9) return write(0xa, payload) // ping → pong
            if (opcode === 0x8) {
              write(0x8, payload.subarray(0, 2))
              conn.closed = true
              socket.end()
              return
            }
            if (opcode !== 0x1 && opcode !== 0x2) return
            const env = Protocol.decodeEnvelope(payload.toString("utf8"))
            if (env._tag !== "Right") return
            conn.received.push(env.right)
            server.onFrame(conn, env.right)
          })
        })
        socket.on("close", () => {
          conn.closed = true
        })
        socket.on("error", () => {})
        server.connections.push(conn)
        server.onConnection(conn)
      })
      http.listen(0, "127.0.0.1", () => {
        const address = http.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        ;(server as { url: string }).url = `http://127.0.0.1:${port}`
        ;(server as { wsUrl: string }).wsUrl = `ws://127.0.0.1:${port}`
        resume(Effect.succeed({ server, http, sockets }))
      })
    }),
    ({ http, sockets }) =>
      Effect.async<void>((resume) => {
        for (const s of sockets) s.destroy()
        http.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ server }) => server))
}

/** Waits in real time until `predicate` holds (the test's own timeout bounds it). */
export function until(predicate: () => boolean, what = "condition"): Effect.Effect<void> {
  return Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const started = performance.now()
        const tick = () => {
          if (predicate()) return resolve()
          if (performance.now() - started > 20_000) return reject(new Error(`timed out waiting for ${what}`))
          setTimeout(tick, 5)
        }
        tick()
      })
  )
}
