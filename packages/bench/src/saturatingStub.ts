/**
 * What the two saturating stubs (`mediaFanout/saturatingHost.ts`, `chatStream/saturatingHost.ts`) share:
 * the write pace, the frame recorder's decoding, the REST proxy to the emulator, listening on a loopback
 * port and closing everything. Each stub keeps its own recording and reply order.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { request as httpRequest } from "node:http"
import type { Socket } from "node:net"
import { Protocol } from "@effect-sogni/core"
import type WS from "ws"
import type { WebSocketServer } from "ws"

/** Frames written per event-loop turn (corked together). */
export const BURST = 100
/** Wait for the socket's `drain` once more than this is queued. */
export const HIGH_WATER = 1 << 20
/** How long a recording connection listens after `authenticated` for the rest of the greeting. */
export const GREETING_MS = 400

/** A recorded frame: its type and its payload's JSON text. */
export interface Recorded {
  readonly type: string
  readonly text: string
}

/** A server frame as recorded, or `undefined` for one that is not an envelope. */
export const decodeRecorded = (data: WS.RawData): Recorded | undefined => {
  const envelope = Protocol.decodeEnvelope(data as Buffer)
  if (envelope._tag === "Left") return undefined
  return { type: envelope.right.type, text: JSON.stringify(envelope.right.payload) }
}

/** The TCP socket under a `ws` connection (`ws` has no public cork; this is the one field needed). */
export const tcpOf = (ws: WS): Socket => (ws as unknown as { _socket: Socket })._socket

/** A request handler that forwards every request to `upstream` and pipes its answer back (502 when it fails). */
export const proxyTo = (upstream: URL) => (req: IncomingMessage, res: ServerResponse): void => {
  const forward = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    }
  )
  forward.on("error", () => {
    res.writeHead(502)
    res.end()
  })
  req.pipe(forward)
}

/** Listens on a free loopback port; resolves with it. */
export const listenLoopback = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

/** Terminates every socket connection, then closes the socket and HTTP servers. */
export const closeAll = (server: Server, wss: WebSocketServer): Promise<void> =>
  new Promise<void>((done) => {
    for (const client of wss.clients) client.terminate()
    wss.close(() => server.close(() => done()))
    server.closeAllConnections()
  })
