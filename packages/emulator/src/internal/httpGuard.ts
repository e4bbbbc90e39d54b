/**
 * The HTTP server's front door: every request body is read here, before routing, within a size cap and a
 * time limit, so no route can be made to buffer hundreds of megabytes or wait forever for bytes a client
 * promised and never sent.
 *
 * - A `content-length` above the cap is answered `413` at once, without reading the body.
 * - A chunked body is counted as it arrives; past the cap it is answered `413` and reading stops.
 * - A body not complete within the time limit is answered `408`.
 * - Both answers are the JSON error envelope with `connection: close`; the connection then closes after a
 *   short linger (the rest of the body is drained, never buffered).
 * - A complete body is handed to the router as a fresh `IncomingMessage` holding exactly its bytes.
 *
 * @internal
 */
import * as Http from "node:http"

/** The limits of {@link guardRequests}. @internal */
export interface BodyLimits {
  /** Largest body of any route but the upload routes, in bytes. */
  readonly maxBodyBytes: number
  /** Largest body of the upload routes (`/_uploads/…`, `/_assets/…`), in bytes. */
  readonly maxUploadBytes: number
  /** How long a client has to send a whole body, from the request's headers on. */
  readonly bodyTimeoutMillis: number
}

const UPLOAD_PREFIXES = ["/_uploads/", "/_assets/"]

const capOf = (limits: BodyLimits, url: string | undefined): number => {
  const path = (url ?? "/").split("?")[0]!
  return UPLOAD_PREFIXES.some((p) => path.startsWith(p)) ? limits.maxUploadBytes : limits.maxBodyBytes
}

const refuse = (
  request: Http.IncomingMessage,
  response: Http.ServerResponse,
  status: 408 | 413,
  message: string
) => {
  if (response.headersSent) {
    request.socket.destroy()
    return
  }
  const body = JSON.stringify({ status: "error", message, errorCode: status })
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    connection: "close"
  })
  // A lingering close: half-close after the answer and drop the connection once the client hangs up or
  // after LINGER_MILLIS. Destroying at once, with unread body bytes in the kernel, would answer with a
  // TCP reset that discards the answer before the client reads it. Node's server calls `destroySoon`
  // after a `connection: close` answer; here it only half-closes.
  const socket = request.socket
  socket.destroySoon = () => {
    socket.end()
  }
  setTimeout(() => socket.destroy(), LINGER_MILLIS).unref()
  response.end(body)
}

/** How long a refused connection may linger (draining, not buffering) before it is dropped. */
const LINGER_MILLIS = 2_000

/**
 * Wraps a request listener: requests without a body pass straight through; bodies are read within the
 * limits and replayed to `next`.
 *
 * @internal
 */
export const guardRequests = (
  limits: BodyLimits,
  next: (request: Http.IncomingMessage, response: Http.ServerResponse) => void
) =>
(request: Http.IncomingMessage, response: Http.ServerResponse): void => {
  const declared = request.headers["content-length"]
  const chunked = request.headers["transfer-encoding"] !== undefined
  const length = declared === undefined ? 0 : Number(declared)
  if (!chunked && length === 0) return next(request, response)
  const cap = capOf(limits, request.url)
  if (Number.isFinite(length) && length > cap) {
    return refuse(request, response, 413, `The request body is limited to ${cap} bytes (content-length ${length})`)
  }
  const chunks: Array<Buffer> = []
  let received = 0
  let settled = false
  const settle = () => {
    settled = true
    clearTimeout(timer)
    request.off("data", onData)
    request.off("end", onEnd)
  }
  const timer = setTimeout(() => {
    if (settled) return
    settle()
    refuse(
      request,
      response,
      408,
      `The request body was not complete within ${limits.bodyTimeoutMillis} ms (${received} bytes received)`
    )
  }, limits.bodyTimeoutMillis)
  const onData = (chunk: Buffer) => {
    if (settled) return
    received += chunk.length
    if (received > cap) {
      settle()
      chunks.length = 0
      refuse(request, response, 413, `The request body is limited to ${cap} bytes`)
      return
    }
    chunks.push(chunk)
  }
  const onEnd = () => {
    if (settled) return
    settle()
    const replay = new Http.IncomingMessage(request.socket)
    replay.method = request.method
    replay.url = request.url
    replay.headers = request.headers
    replay.rawHeaders = request.rawHeaders
    replay.httpVersion = request.httpVersion
    replay.httpVersionMajor = request.httpVersionMajor
    replay.httpVersionMinor = request.httpVersionMinor
    replay.complete = true
    if (received > 0) replay.push(Buffer.concat(chunks, received))
    replay.push(null)
    next(replay, response)
  }
  request.on("data", onData)
  request.on("end", onEnd)
  request.once("error", () => {
    if (settled) return
    settle()
    request.socket.destroy()
  })
  response.once("close", () => {
    if (!settled) settle()
  })
}
