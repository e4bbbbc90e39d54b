/**
 * A scripted WebSocket server on 127.0.0.1:0 speaking a JSON `{ type, requestId?, data? }` protocol
 * (ZelAI's), for tests that need a server the emulator will not be: one that pours a long answer in one
 * burst, echoes secrets back, authenticates and then never answers, or cuts the socket mid-answer. It
 * records every client frame, answers `ping` with `pong` unless `onPing` is replaced, `auth` with `auth_success` unless `onAuth` is
 * replaced, and hands every other frame to `onFrame`. (It lives here because this package has `ws` as a
 * dev dependency; the zelai tests import it.)
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AddressInfo } from "node:net"
import type WS from "ws"
import { WebSocketServer } from "ws"

export interface Received {
  readonly type: string
  readonly requestId?: string
  readonly data?: any
}

export interface HostileWs {
  /** The server's base URL as `http://127.0.0.1:<port>` (clients swap the scheme). */
  readonly url: string
  readonly received: Array<Received>
  readonly sockets: Array<WS>
  onFrame: (ws: WS, frame: Received) => void
  onAuth: (ws: WS, frame: Received) => void
  /** Answers a JSON `ping` (default: with a `pong`). */
  onPing: (ws: WS) => void
}

export const hostileWs: Effect.Effect<HostileWs, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<HostileWs & { readonly wss: WebSocketServer }>((resume) => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    const state: HostileWs & { readonly wss: WebSocketServer } = {
      wss,
      url: "",
      received: [],
      sockets: [],
      onFrame: () => {},
      onAuth: (ws) => ws.send(JSON.stringify({ type: "auth_success" })),
      onPing: (ws) => ws.send(JSON.stringify({ type: "pong" }))
    }
    wss.on("connection", (ws) => {
      state.sockets.push(ws)
      ws.on("message", (raw) => {
        const frame = JSON.parse(String(raw)) as Received
        state.received.push(frame)
        if (frame.type === "auth") state.onAuth(ws, frame)
        else if (frame.type === "ping") state.onPing(ws)
        else state.onFrame(ws, frame)
      })
    })
    wss.on("listening", () => {
      const { port } = wss.address() as AddressInfo
      resume(Effect.succeed(Object.assign(state, { url: `http://127.0.0.1:${port}` })))
    })
  }),
  ({ wss }) =>
    Effect.async<void>((resume) => {
      for (const ws of wss.clients) ws.terminate()
      wss.close(() => resume(Effect.void))
    })
)
