/**
 * A scripted WebSocket server on a loopback port for socket tests that need exact control over the
 * handshake and close codes (the emulator covers the realistic flows).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { IncomingMessage } from "node:http"
import WS, { WebSocketServer } from "ws"
import { Protocol } from "../../src/index.js"

export interface ServerConnection {
  readonly ws: WS
  readonly url: URL
  readonly headers: IncomingMessage["headers"]
  /** Decoded client frames, in arrival order, each with the time it arrived. */
  readonly received: Array<{ readonly type: string; readonly payload: unknown; readonly at: number }>
  /** When the server sent `authenticated` on this connection (if it did). */
  authenticatedAt: number | undefined
  closed: boolean
  readonly send: (type: string, payload: unknown) => void
  readonly sendRaw: (text: string) => void
  readonly authenticate: (extra?: Record<string, unknown>) => void
}

export interface ScriptedServer {
  readonly port: number
  readonly url: string
  readonly connections: Array<ServerConnection>
  /** What to do with each new connection; replaceable during a test. */
  onConnection: (c: ServerConnection) => void
}

export const authenticatedPayload = (extra: Record<string, unknown> = {}) => ({
  id: "conn-1",
  clientType: "artist",
  username: "pixelfox",
  address: "0x8Fa3C1d2E4b5A6978c0D1e2F3a4B5c6D7e8F9a0B",
  activeProjects: [],
  unclaimedCompletedProjects: [],
  activeLLMJobIDs: [],
  ...extra
})

export const makeScriptedServer = (
  onConnection: (c: ServerConnection) => void = (c) => c.authenticate()
): Effect.Effect<ScriptedServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<ScriptedServer>((resume) => {
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
      const server: ScriptedServer = {
        port: 0,
        url: "",
        connections: [],
        onConnection
      }
      wss.on("connection", (ws, req) => {
        const conn: ServerConnection = {
          ws,
          url: new URL(req.url ?? "/", "http://127.0.0.1"),
          headers: req.headers,
          received: [],
          authenticatedAt: undefined,
          closed: false,
          send: (type, payload) => {
            if (ws.readyState === WS.OPEN) ws.send(Buffer.from(Protocol.encodeFrame(type, payload)))
          },
          sendRaw: (text) => {
            if (ws.readyState === WS.OPEN) ws.send(Buffer.from(text))
          },
          authenticate: (extra) => {
            conn.authenticatedAt = Date.now()
            conn.send("authenticated", authenticatedPayload(extra))
          }
        }
        ws.on("message", (data) => {
          const env = Protocol.decodeEnvelope(data.toString())
          if (env._tag === "Right") conn.received.push({ ...env.right, at: Date.now() })
        })
        ws.on("close", () => {
          conn.closed = true
        })
        server.connections.push(conn)
        server.onConnection(conn)
      })
      wss.on("listening", () => {
        const address = wss.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        ;(server as { port: number }).port = port
        ;(server as { url: string }).url = `ws://127.0.0.1:${port}`
        resume(Effect.succeed(Object.assign(server, { wss })))
      })
    }),
    (server) =>
      Effect.async<void>((resume) => {
        const wss = (server as unknown as { wss: WebSocketServer }).wss
        for (const client of wss.clients) client.terminate()
        wss.close(() => resume(Effect.void))
      })
  )

/** Waits in real time (not the TestClock) until `predicate` holds, or fails after `ms`. */
export const eventually = (predicate: () => boolean, ms = 5_000, what = "condition"): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now()
        const tick = () => {
          if (predicate()) return resolve()
          if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`))
          setTimeout(tick, 5)
        }
        tick()
      })
  )

/** Real-time pause, unaffected by the TestClock. */
export const realSleep = (ms: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))
