/**
 * A scripted HTTP server on 127.0.0.1:0 for tests that need a server the emulator will not be: one that
 * sends garbage between good events, goes silent mid-stream, keeps a finished stream open, cuts the
 * connection, pours thousands of events in one write, answers errors with HTML, or sends a JSON body and
 * never ends the response. Every request goes to a replaceable `handle`; the server records each request
 * (method, path, headers, body) and when its connection closed, so a test can check that the client let go
 * of the socket.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface Recorded {
  readonly method: string
  readonly path: string
  /** The query string without its `?` (empty when there was none). */
  readonly query: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
  /** Set when the request's connection closed (the client let go, or the server cut it). */
  closed: boolean
}

export interface HostileHttp {
  readonly url: string
  readonly requests: Array<Recorded>
  /** The script: called once per request, after its body was read. */
  handle: (req: Recorded, res: ServerResponse) => void
}

/** Writes `chunk` until the client stops reading or `cap` bytes went out. */
export const pour = (res: ServerResponse, chunk: Buffer, cap: number) => {
  let written = 0
  const more = () => {
    while (!res.destroyed && written < cap) {
      written += chunk.length
      if (!res.write(chunk)) return void res.once("drain", more)
    }
    if (!res.destroyed) res.end()
  }
  more()
}

/**
 * Writes `parts` one at a time (each after the one before went out, `gapMs` apart, so that each arrives in
 * a read of its own) and never ends the response: a server, or a proxy holding keep-alive, that keeps the
 * connection open after its body.
 */
export const dribble = (res: ServerResponse, parts: ReadonlyArray<string>, gapMs = 20) => {
  const next = (i: number) => {
    if (i < parts.length && !res.destroyed) res.write(parts[i], () => setTimeout(() => next(i + 1), gapMs))
  }
  next(0)
}

/**
 * `text` cut right after the first occurrence of each of `after`, in order (each searched for past the cut
 * before): `cutAfter(json, "}", "\\")` cuts after a `}` inside a string and between an escaping backslash
 * and the quote it escapes.
 */
export const cutAfter = (text: string, ...after: ReadonlyArray<string>): Array<string> => {
  const parts: Array<string> = []
  let from = 0
  for (const marker of after) {
    const at = text.indexOf(marker, from)
    if (at < 0) throw new Error(`cutAfter: ${JSON.stringify(marker)} is not in the text past ${from}`)
    parts.push(text.slice(from, at + marker.length))
    from = at + marker.length
  }
  parts.push(text.slice(from))
  return parts
}

export const makeHostileHttp: Effect.Effect<HostileHttp, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<HostileHttp & { readonly close: () => Promise<void> }>((resume) => {
    const state: HostileHttp & { readonly close: () => Promise<void> } = {
      url: "",
      requests: [],
      handle: (_req, res) => {
        res.writeHead(500)
        res.end()
      },
      close: () =>
        new Promise<void>((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
    }
    const server = createServer((req, res) => {
      const parts: Array<Buffer> = []
      req.on("data", (b: Buffer) => parts.push(b))
      req.on("end", () => {
        const recorded: Recorded = {
          method: req.method ?? "GET",
          path: (req.url ?? "").split("?")[0]!,
          query: (req.url ?? "").split("?")[1] ?? "",
          headers: req.headers,
          body: Buffer.concat(parts).toString("utf8"),
          closed: false
        }
        state.requests.push(recorded)
        req.socket.once("close", () => (recorded.closed = true))
        state.handle(recorded, res)
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed(Object.assign(state, { url: `http://127.0.0.1:${port}` })))
    })
  }),
  (server) => Effect.promise(server.close)
)

/** Waits (polling every 10 ms, at most `ms`) until `check` holds; returns whether it did. */
export const eventually = (check: () => boolean, ms = 5_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let waited = 0; waited < ms; waited += 10) {
      if (check()) return true
      yield* Effect.sleep("10 millis")
    }
    return check()
  })
