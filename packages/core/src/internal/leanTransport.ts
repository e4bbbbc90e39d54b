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

/** The `fetch` transport (`init` is spread under the method, headers and signal). */
export const fetchTransport = (fetchFn: typeof globalThis.fetch, init: RequestInit | undefined): Transport => ({
  get: (url, headers, ok, fail) => {
    const controller = new AbortController()
    fetchFn(url, { ...init, method: "GET", headers, signal: controller.signal })
      .then((response) =>
        response.text().then((text) =>
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
})

interface NodeModules {
  readonly http: typeof Http
  readonly https: typeof Https
}

/** Node's `http` and `https` modules, or `undefined` outside Node (or on a Node without `getBuiltinModule`). */
const nodeModules = (): NodeModules | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  if (typeof proc?.getBuiltinModule !== "function") return undefined
  const http = proc.getBuiltinModule("node:http") as typeof Http | undefined
  const https = proc.getBuiltinModule("node:https") as typeof Https | undefined
  return http !== undefined && https !== undefined ? { http, https } : undefined
}

/** An error for an answer that ended before its body did. */
const cutShort = (): Error => new Error("the connection closed before the response ended")

/**
 * The `node` transport, or `undefined` where Node's `http` is not available. Connections are kept alive
 * in the transport's own agents (one for `http:`, one for `https:`), which `close` destroys.
 */
export const nodeTransport = (): Transport | undefined => {
  const modules = nodeModules()
  if (modules === undefined) return undefined
  let httpAgent: Http.Agent | undefined
  let httpsAgent: Https.Agent | undefined
  const agentFor = (secure: boolean): Http.Agent =>
    secure
      ? (httpsAgent ??= new modules.https.Agent({ keepAlive: true }))
      : (httpAgent ??= new modules.http.Agent({ keepAlive: true }))
  return {
    get: (url, headers, ok, fail) => {
      let done = false
      const finish = (then: () => void) => {
        if (done) return
        done = true
        then()
      }
      let request: Http.ClientRequest
      try {
        const secure = url.startsWith("https:")
        request = (secure ? modules.https : modules.http).request(url, { method: "GET", headers, agent: agentFor(secure) })
      } catch (cause) {
        // a URL Node refuses (the endpoint itself is checked before any request)
        queueMicrotask(() => finish(() => fail(cause)))
        return () => {
          done = true
        }
      }
      request.on("response", (response) => {
        let text = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => (text += chunk))
        response.on("end", () =>
          finish(() =>
            ok({
              status: response.statusCode ?? 0,
              text,
              headers: () => {
                const out: Record<string, string> = {}
                for (const [name, value] of Object.entries(response.headers)) {
                  if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value
                }
                return out
              }
            })
          )
        )
        response.on("aborted", () => finish(() => fail(cutShort())))
        response.on("error", (cause) => finish(() => fail(cause)))
      })
      request.on("error", (cause) => finish(() => fail(cause)))
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
