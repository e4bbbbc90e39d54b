/**
 * The transports under `LeanRest`: one `GET` with callbacks, abortable.
 *
 * - `node`: Node's own `http`/`https` with a keep-alive agent per service (reached through
 *   `process.getBuiltinModule`, so nothing Node-only is imported where there is no Node). A request costs
 *   a fraction of a `fetch` (no WHATWG streams, `Request`/`Response`/`Headers` objects or `AbortSignal`
 *   per request): about a third of the CPU for small JSON answers over a kept-alive connection.
 * - `fetch`: the given `fetch` and `RequestInit` (a caller's `FetchHttpClient.Fetch`, or the global one
 *   where Node's modules are not available).
 *
 * @internal
 */
import type * as Http from "node:http"
import type * as Https from "node:https"

/** An answer: status, body text, and the response headers (lower-case names) when the caller asks. */
export interface Answer {
  readonly status: number
  readonly text: string
  readonly headers: () => Record<string, string>
}

/** A transport: starts one `GET`, calls exactly one of `ok`/`fail` unless aborted first; returns the abort. */
export interface Transport {
  readonly get: (
    url: string,
    headers: Record<string, string>,
    ok: (answer: Answer) => void,
    fail: (cause: unknown) => void
  ) => () => void
  /** Releases what the transport keeps between requests (idle connections); requests still running are aborted by their own abort. */
  readonly close: () => void
}

/**
 * A response body that went past the transport's byte limit (read no further; the request is aborted).
 * `declared`: the limit was known to be exceeded from `content-length` before any byte was read.
 */
export class TooLarge {
  readonly _tag = "TooLarge"
  constructor(readonly limit: number, readonly declared: boolean) {}
}

/** The `content-length` of an answer as a number, when it is one (digits, surrounding blanks allowed). */
export function declaredLength(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

/**
 * The `fetch` transport (`init` is spread under the method, headers and signal). The body is read as a
 * stream with a running count: past `maxBytes` (or with a `content-length` above it) the read is
 * cancelled and the request aborted, and `fail` gets a {@link TooLarge}.
 */
export function fetchTransport(
  fetchFn: typeof globalThis.fetch,
  init: RequestInit | undefined,
  maxBytes: number
): Transport {
  return {
    get: (url, headers, ok, fail) => {
      const controller = new AbortController()
      const readBody = (response: Response): Promise<string> => {
        const declared = declaredLength(response.headers.get("content-length"))
        if (declared !== undefined && declared > maxBytes) {
          controller.abort()
          return Promise.reject(new TooLarge(maxBytes, true))
        }
        if (response.body === null) return Promise.resolve("")
        const reader = response.body.getReader()
        const chunks: Array<Uint8Array> = []
        let total = 0
        const next = (): Promise<string> =>
          reader.read().then(({ done, value }) => {
            if (done) {
              const bytes = chunks.length === 1 ? chunks[0]! : concatBytes(chunks, total)
              return new TextDecoder().decode(bytes)
            }
            total += value.byteLength
            if (total > maxBytes) {
              // drop what was read and stop the download (the connection is not kept)
              chunks.length = 0
              reader.cancel().then(undefined, () => {})
              controller.abort()
              throw new TooLarge(maxBytes, false)
            }
            chunks.push(value)
            return next()
          })
        return next()
      }
      fetchFn(url, { ...init, method: "GET", headers, signal: controller.signal })
        .then((response) =>
          readBody(response).then((text) =>
            ok({
              status: response.status,
              text,
              headers: () => {
                const out: Record<string, string> = {}
                response.headers.forEach((value, name) => (out[name] = value))
                return out
              }
            })
          )
        )
        .then(undefined, fail)
      return () => controller.abort()
    },
    close: () => {}
  }
}

/** The chunks of a body, `total` bytes in all, as one array (the one copy a bounded read makes). */
export function concatBytes(chunks: ReadonlyArray<Uint8Array>, total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

interface NodeModules {
  readonly http: typeof Http
  readonly https: typeof Https
}

/** Node's `http` and `https` modules, or `undefined` outside Node (or on a Node without `getBuiltinModule`). */
function nodeModules(): NodeModules | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  if (typeof proc?.getBuiltinModule !== "function") return undefined
  const http = proc.getBuiltinModule("node:http") as typeof Http | undefined
  const https = proc.getBuiltinModule("node:https") as typeof Https | undefined
  return http !== undefined && https !== undefined ? { http, https } : undefined
}

/** An error for an answer that ended before its body did. */
function cutShort(): Error {
  return new Error("the connection closed before the response ended")
}

/** Where requests to one origin go, parsed once: `http.request` options without a URL parse per request. */
interface Origin {
  readonly secure: boolean
  readonly hostname: string
  readonly port: number
  /** The `Host` header (`URL.host`: the port only when it is not the scheme's default). */
  readonly host: string
}

/**
 * The origin part of an absolute `http(s)` URL and where its path starts, or `undefined` for a URL this
 * shortcut leaves to Node's own parser (no path after the host, credentials in the authority).
 */
export function splitOrigin(url: string): { readonly origin: string; readonly pathStart: number } | undefined {
  const authority = url.startsWith("http://") ? 7 : url.startsWith("https://") ? 8 : -1
  if (authority < 0) return undefined
  const pathStart = url.indexOf("/", authority)
  if (pathStart < 0) return undefined
  const origin = url.slice(0, pathStart)
  if (origin.includes("@") || origin.includes("?") || origin.includes("#")) return undefined
  return { origin, pathStart }
}

function isIpLiteral(hostname: string): boolean {
  return hostname.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)
}

export function parseOrigin(origin: string): Origin | undefined {
  try {
    const u = new URL(origin)
    const secure = u.protocol === "https:"
    // `URL.hostname` keeps the brackets of an IPv6 literal; `http.request` wants the bare address
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname
    return { secure, hostname, port: u.port === "" ? (secure ? 443 : 80) : Number(u.port), host: u.host }
  } catch {
    return undefined
  }
}

/**
 * The `node` transport, or `undefined` where Node's `http` is not available. Connections are kept alive
 * in the transport's own agents (one for `http:`, one for `https:`), which `close` destroys.
 *
 * Per request it avoids what Node would redo for every call with the same origin: the origin is parsed
 * once (later requests pass `http.request` options, not a URL string), and the headers go as one flat
 * list with `Host` included (Node writes them as given, after checking each, instead of storing each
 * through `setHeader` first). The body is read as bytes and decoded once at the end; past `maxBytes` (or
 * with a `content-length` above it) the request is destroyed and `fail` gets a {@link TooLarge}.
 */
export function nodeTransport(maxBytes: number): Transport | undefined {
  const modules = nodeModules()
  if (modules === undefined) return undefined
  let httpAgent: Http.Agent | undefined
  let httpsAgent: Https.Agent | undefined
  const agentFor = (secure: boolean): Http.Agent =>
    secure
      ? (httpsAgent ??= new modules.https.Agent({ keepAlive: true }))
      : (httpAgent ??= new modules.http.Agent({ keepAlive: true }))
  // the few origins a service talks to (`undefined`: not parseable here, Node parses the URL)
  const origins = new Map<string, Origin | undefined>()
  const open = (url: string, headers: Record<string, string>): Http.ClientRequest => {
    const split = splitOrigin(url)
    let origin: Origin | undefined
    if (split !== undefined) {
      if (origins.has(split.origin)) origin = origins.get(split.origin)
      else {
        origin = parseOrigin(split.origin)
        if (origins.size < 64) origins.set(split.origin, origin)
      }
    }
    if (split === undefined || origin === undefined) {
      const secure = url.startsWith("https:")
      return (secure ? modules.https : modules.http).request(url, { method: "GET", headers, agent: agentFor(secure) })
    }
    const flat: Array<string> = ["host", origin.host]
    for (const name in headers) {
      if (name.toLowerCase() === "host") continue
      flat.push(name, headers[name]!)
    }
    return (origin.secure ? modules.https : modules.http).request({
      protocol: origin.secure ? "https:" : "http:",
      hostname: origin.hostname,
      port: origin.port,
      path: url.slice(split.pathStart),
      method: "GET",
      headers: flat,
      agent: agentFor(origin.secure),
      // TLS: the name sent and checked is the host's, as with a URL (never an IP literal: SNI has none)
      ...(origin.secure && !isIpLiteral(origin.hostname) ? { servername: origin.hostname } : {})
    } as Http.RequestOptions)
  }
  return {
    get: (url, headers, ok, fail) => {
      let done = false
      let request: Http.ClientRequest
      try {
        request = open(url, headers)
      } catch (cause) {
        // a URL Node refuses (the endpoint itself is checked before any request)
        queueMicrotask(() => {
          if (done) return
          done = true
          fail(cause)
        })
        return () => {
          done = true
        }
      }
      request.on("response", (response) => {
        const tooLarge = (declared: boolean) => {
          done = true
          body = undefined
          more = undefined
          // the connection goes with the request: the rest of the body is never read
          request.destroy()
          fail(new TooLarge(maxBytes, declared))
        }
        // small JSON answers: usually one chunk, decoded once at the end
        let body: Buffer | undefined
        let more: Array<Buffer> | undefined
        let total = 0
        const declared = declaredLength(response.headers["content-length"])
        if (declared !== undefined && declared > maxBytes) {
          if (!done) tooLarge(true)
          return
        }
        response.on("data", (chunk: Buffer) => {
          if (done) return
          total += chunk.length
          if (total > maxBytes) return tooLarge(false)
          if (body === undefined) body = chunk
          else (more ??= [body]).push(chunk)
        })
        response.on("end", () => {
          if (done) return
          done = true
          const bytes = more !== undefined ? Buffer.concat(more) : body
          ok({
            status: response.statusCode ?? 0,
            text: bytes === undefined ? "" : bytes.toString("utf8"),
            headers: () => {
              const out: Record<string, string> = {}
              for (const [name, value] of Object.entries(response.headers)) {
                if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value
              }
              return out
            }
          })
        })
        response.on("aborted", () => {
          if (done) return
          done = true
          fail(cutShort())
        })
        response.on("error", (cause) => {
          if (done) return
          done = true
          fail(cause)
        })
      })
      request.on("error", (cause) => {
        if (done) return
        done = true
        fail(cause)
      })
      request.end()
      return () => {
        done = true
        request.destroy()
      }
    },
    close: () => {
      httpAgent?.destroy()
      httpsAgent?.destroy()
    }
  }
}
