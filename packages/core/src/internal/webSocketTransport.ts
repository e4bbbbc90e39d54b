/**
 * Opens the socket's WebSocket: in Node the SDK's own client on Node's modules (`nodeWebSocket.ts`; upgrade
 * headers carry the credential), or `ws` on a Node without `process.getBuiltinModule` (before 20.16),
 * loaded by {@link load} before the first connection; in a browser the global `WebSocket`, where no
 * upgrade header can be set. There the JWT of a username/password login travels as the `authorization`
 * cookie the server reads on the upgrade (socket.md §3.2); an API key has no browser form (§3.1), so
 * opening fails with a message that says so.
 *
 * A browser bundle resolves `ws` (behind a dynamic import) to its browser stub, which is never called.
 *
 * @internal
 */
import { NodeWebSocket, nodeBuiltins } from "./nodeWebSocket.js"

interface BrowserGlobals {
  readonly WebSocket?: typeof globalThis.WebSocket
  readonly document?: { cookie: string }
}

/** True in a browser page (a global `WebSocket` and a `document`); Node's global WebSocket is not used. */
export const inBrowser = (): boolean => {
  const g = globalThis as BrowserGlobals
  return typeof g.WebSocket === "function" && g.document !== undefined
}

/** The cookie attributes for the socket host: `.sogni.ai` hosts share the cookie across subdomains. */
const cookieScope = (url: string): string => {
  const host = new URL(url).hostname
  return host === "sogni.ai" || host.endsWith(".sogni.ai") ? "; domain=.sogni.ai; Secure" : ""
}

/**
 * What the Node transport adds: the inbound frame bound (closed with 1009 above it; a browser has no
 * such setting) and a callback for every protocol ping or pong heard (liveness).
 *
 * @internal
 */
export interface OpenOptions {
  readonly maxPayload?: number | undefined
  readonly onHeard?: (() => void) | undefined
}

/** `ws`'s transport, once {@link load} brought it (a Node without `getBuiltinModule` only). */
let legacy: typeof import("./wsTransport.js") | undefined

/**
 * What must load before {@link open} can be called: `ws`, on a Node without `process.getBuiltinModule`;
 * `undefined` when nothing (a browser, or a Node with it: the usual case, which loads nothing).
 *
 * @internal
 */
export const load = (): Promise<void> | undefined => {
  if (inBrowser() || legacy !== undefined || nodeBuiltins() !== undefined) return undefined
  return import("./wsTransport.js").then((m) => {
    legacy = m
  })
}

/**
 * A WebSocket to `url` carrying `headers` (plain values): `api-key` or `authorization`. In Node, message
 * listeners get a light event (`{ type, data, target }`, not a `MessageEvent`).
 *
 * @internal
 */
export const open = (
  url: string,
  headers: Readonly<Record<string, string>>,
  options: OpenOptions = {}
): globalThis.WebSocket => {
  if (!inBrowser()) {
    const node = nodeBuiltins()
    if (node !== undefined) return new NodeWebSocket(url, headers, options, node) as unknown as globalThis.WebSocket
    if (legacy === undefined) throw new Error("WebSocketTransport.open: ws was not loaded (call load() first)")
    return legacy.open(url, headers, options)
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
  return new g.WebSocket!(url)
}

/** True when the socket can send protocol pings (Node's), so silence can be told from an idle line. */
export const canPing = (socket: globalThis.WebSocket): boolean =>
  typeof (socket as unknown as { readonly ping?: unknown }).ping === "function"

/** Drops the connection at once: `terminate` in Node (no closing handshake), `close` in a browser. */
export const terminate = (socket: globalThis.WebSocket): void => {
  const s = socket as unknown as { readonly terminate?: () => void; readonly close: () => void }
  if (typeof s.terminate === "function") s.terminate()
  else s.close()
}

/** A protocol ping where the socket can send one (Node's); browsers answer pings but cannot send them. */
export const ping = (socket: globalThis.WebSocket): void => {
  const s = socket as unknown as { readonly readyState: number; readonly ping?: () => void }
  if (s.readyState === 1 && typeof s.ping === "function") s.ping()
}
