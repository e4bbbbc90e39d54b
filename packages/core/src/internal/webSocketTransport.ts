/**
 * Opens the socket's WebSocket: `ws` in Node (upgrade headers carry the credential), the global
 * `WebSocket` in a browser, where no upgrade header can be set. There the JWT of a username/password
 * login travels as the `authorization` cookie the server reads on the upgrade (socket.md §3.2); an API
 * key has no browser form (§3.1), so opening fails with a message that says so.
 *
 * A browser bundle resolves `ws` to its browser stub, which is imported but never called.
 *
 * @internal
 */
import WS from "ws"

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
 * What the Node transport adds: the inbound frame bound (`ws` closes with 1009 above it; a browser has
 * no such setting) and a callback for every protocol ping or pong heard (liveness).
 *
 * @internal
 */
export interface OpenOptions {
  readonly maxPayload?: number | undefined
  readonly onHeard?: (() => void) | undefined
}

/**
 * A WebSocket to `url` carrying `headers` (plain values): `api-key` or `authorization`.
 *
 * @internal
 */
export const open = (
  url: string,
  headers: Readonly<Record<string, string>>,
  options: OpenOptions = {}
): globalThis.WebSocket => {
  if (!inBrowser()) {
    const socket = new WS(url, {
      headers,
      perMessageDeflate: false,
      ...(options.maxPayload !== undefined ? { maxPayload: options.maxPayload } : {})
    })
    if (options.onHeard !== undefined) {
      socket.on("pong", options.onHeard)
      socket.on("ping", options.onHeard)
    }
    return socket as unknown as globalThis.WebSocket
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

/** True when the socket can send protocol pings (`ws`), so silence can be told from an idle line. */
export const canPing = (socket: globalThis.WebSocket): boolean =>
  typeof (socket as unknown as { readonly ping?: unknown }).ping === "function"

/** Drops the connection at once: `terminate` on `ws` (no closing handshake), `close` in a browser. */
export const terminate = (socket: globalThis.WebSocket): void => {
  const s = socket as unknown as { readonly terminate?: () => void; readonly close: () => void }
  if (typeof s.terminate === "function") s.terminate()
  else s.close()
}

/** A protocol ping where the socket can send one (`ws`); browsers answer pings but cannot send them. */
export const ping = (socket: globalThis.WebSocket): void => {
  const s = socket as unknown as { readonly readyState: number; readonly ping?: () => void }
  if (s.readyState === 1 && typeof s.ping === "function") s.ping()
}
