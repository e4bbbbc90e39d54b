/**
 * A hostile Sogni server on a loopback port, for tests that need what the emulator will not do: frames
 * out of order, for unknown jobs, with wrong types or absurd values, floods written in one turn,
 * handshakes that forget projects, cancels swallowed by a dying socket. One `node:http` server answers
 * the REST calls a test scripts (`rest`; 404 otherwise, or the proxy) and upgrades `/` to a WebSocket
 * (`ws`, without a server of its own): frames a test writes in one turn go out together, and `drop`
 * destroys the TCP connection without a close frame.
 */
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type * as Net from "node:net"
import WS, { WebSocketServer } from "ws"
// the handshake payload with empty recovery lists, as core's scripted socket server sends it
import { authenticatedPayload } from "../../core/test/util/ScriptedServer.js"

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
  /** Closes the WebSocket with a close frame carrying `code` (e.g. 4021: the key refused). */
  readonly close: (code: number, reason?: string) => void
}

/** What a REST route answers: a status and a JSON body. */
export interface RestAnswer {
  readonly status: number
  readonly body: unknown
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers?: Readonly<Record<string, string>> | undefined
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
   * → never; `"drop"` → the connection destroyed once the request's body arrived; a function → it writes
   * the response itself (e.g. headers, then a byte now and then).
   */
  rest: (method: string, path: string) => RestAnswer | "hang" | "drop" | ((res: Http.ServerResponse) => void) | undefined
  /** REST requests received, as `METHOD path`. */
  readonly restCalls: Array<string>
  /** Where requests `rest` does not answer are forwarded (e.g. an emulator's URL); 404 when unset. */
  proxyTo: string | undefined
}

/** Starts the server; it closes (every socket destroyed) with the scope. */
export function makeHostileServer(): Effect.Effect<HostileServer, never, Scope.Scope> {
  return Effect.acquireRelease(
    Effect.async<{ server: HostileServer; http: Http.Server; wss: WebSocketServer; sockets: Set<Net.Socket> }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const wss = new WebSocketServer({ noServer: true })
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
          if (typeof answer === "function") return answer(res)
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
          const { body, headers, status } = answer ?? { status: 404, body: { status: "error", message: "not found" }, headers: undefined }
          res.writeHead(status, { "content-type": "application/json", ...headers })
          res.end(JSON.stringify(body))
        })
      })
      http.on("connection", (s) => {
        sockets.add(s)
        s.on("close", () => sockets.delete(s))
      })
      http.on("upgrade", (req, socket, head) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          const conn: HostileConnection = {
            index: server.connections.length,
            received: [],
            closed: false,
            send: (type, payload) => conn.sendRaw(Protocol.encodeFrame(type, payload)),
            sendRaw: (text) => {
              if (!conn.closed && ws.readyState === WS.OPEN) ws.send(text)
            },
            authenticate: (extra) => conn.send("authenticated", authenticatedPayload(extra)),
            drop: () => {
              conn.closed = true
              ws.terminate()
            },
            close: (code, reason) => {
              conn.closed = true
              ws.close(code, reason)
            }
          }
          ws.on("message", (data: Buffer) => {
            const env = Protocol.decodeEnvelope(data.toString("utf8"))
            if (env._tag !== "Right") return
            conn.received.push(env.right)
            server.onFrame(conn, env.right)
          })
          ws.on("close", () => {
            conn.closed = true
          })
          ws.on("error", () => {})
          server.connections.push(conn)
          server.onConnection(conn)
        })
      })
      http.listen(0, "127.0.0.1", () => {
        const address = http.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        ;(server as { url: string }).url = `http://127.0.0.1:${port}`
        ;(server as { wsUrl: string }).wsUrl = `ws://127.0.0.1:${port}`
        resume(Effect.succeed({ server, http, wss, sockets }))
      })
    }),
    ({ http, sockets, wss }) =>
      Effect.async<void>((resume) => {
        for (const s of sockets) s.destroy()
        wss.close()
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

/** Whether any connection of `server` received a client frame matching `predicate`. */
export function receivedAny(
  server: HostileServer,
  predicate: (frame: { readonly type: string; readonly payload: unknown }) => boolean
): boolean {
  return server.connections.some((c) => c.received.some(predicate))
}

/** A REST route answering the result/preview URL mints with `${prefix}-1.png`, `${prefix}-2.png`, … */
export function mintRoute(prefix: string): HostileServer["rest"] {
  let minted = 0
  return (method, path) =>
    method === "GET" && path === "/v1/image/downloadUrl"
      ? { status: 200, body: { status: "success", data: { downloadUrl: `${prefix}-${++minted}.png` } } }
      : undefined
}

/**
 * Plays one job per project id in one go on `conn`: every job started, then `steps` progress frames
 * interleaved (step s of every project, then step s + 1 …), then each job's result (`resultUrl(id)`) and
 * its completion.
 */
export function playInterleaved(
  conn: HostileConnection,
  ids: ReadonlyArray<string>,
  steps: number,
  resultUrl: (id: string) => string
): void {
  const imgId = (id: string) => `${id.slice(0, 8)}-J`
  for (const id of ids) conn.send("jobState", { type: "jobStarted", jobID: id, imgID: imgId(id), jobIndex: 0 })
  for (let s = 1; s <= steps; s++) {
    for (const id of ids) conn.send("jobProgress", { jobID: id, imgID: imgId(id), step: s, stepCount: steps })
  }
  for (const id of ids) {
    conn.send("jobResult", { jobID: id, imgID: imgId(id), jobIndex: 0, resultUrl: resultUrl(id) })
    conn.send("jobState", { type: "jobCompleted", jobID: id })
  }
}
