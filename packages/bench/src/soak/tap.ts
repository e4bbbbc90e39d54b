/**
 * A counting proxy in front of the emulator, on one loopback port: HTTP requests are forwarded and
 * counted by method, WebSocket connections are piped both ways and the client's frames counted by type.
 * The invalid-input scenario reads the counts to prove nothing reached the server.
 */
import { Protocol } from "@effect-sogni/core"
import * as Http from "node:http"
import WS, { WebSocketServer } from "ws"

export interface Tap {
  readonly url: string
  readonly wsUrl: string
  /** HTTP requests that carry a body (POST, PUT, PATCH, DELETE) forwarded so far. */
  readonly writes: () => number
  /** Client frames by type. */
  readonly frames: Map<string, number>
  /** Client frames that start work: `jobRequest`, `llmJobRequest`. */
  readonly workFrames: () => number
  readonly close: () => Promise<void>
}

const FORWARDED = ["api-key", "authorization", "cookie"]

export const startTap = (target: string): Promise<Tap> =>
  new Promise((resolve) => {
    const upstreamUrl = new URL(target)
    const wsTarget = target.replace(/^http/, "ws")
    let writes = 0
    const frames = new Map<string, number>()
    const sockets = new Set<WS>()
    const server = Http.createServer((req, res) => {
      if (req.method !== "GET" && req.method !== "HEAD") writes++
      const upstream = Http.request(
        { host: upstreamUrl.hostname, port: upstreamUrl.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      upstream.on("error", () => res.destroy())
      req.pipe(upstream)
    })
    const wss = new WebSocketServer({ noServer: true })
    server.on("upgrade", (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (client) => {
        const headers: Record<string, string> = {}
        for (const name of FORWARDED) {
          const value = request.headers[name]
          if (typeof value === "string") headers[name] = value
        }
        const upstream = new WS(`${wsTarget}${request.url ?? "/"}`, { headers })
        sockets.add(client)
        sockets.add(upstream)
        const pending: Array<Buffer> = []
        client.on("error", () => {})
        upstream.on("error", () => {})
        upstream.on("open", () => {
          for (const p of pending) upstream.send(p)
          pending.length = 0
        })
        client.on("message", (data) => {
          const env = Protocol.decodeEnvelope((data as Buffer).toString())
          const type = env._tag === "Right" ? env.right.type : "(undecodable)"
          frames.set(type, (frames.get(type) ?? 0) + 1)
          if (upstream.readyState === WS.OPEN) upstream.send(data as Buffer)
          else pending.push(data as Buffer)
        })
        upstream.on("message", (data) => {
          if (client.readyState === WS.OPEN) client.send(data as Buffer)
        })
        upstream.on("close", (code, reason) => {
          if (code === 1005 || code === 1006 || code < 1000) client.terminate()
          else if (client.readyState === WS.OPEN) client.close(code, reason)
        })
        client.on("close", () => {
          if (upstream.readyState === WS.OPEN || upstream.readyState === WS.CONNECTING) upstream.terminate()
        })
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}`,
        writes: () => writes,
        frames,
        workFrames: () => (frames.get("jobRequest") ?? 0) + (frames.get("llmJobRequest") ?? 0),
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.terminate()
            wss.close()
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
