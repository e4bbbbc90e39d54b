/**
 * Serves the browser example and forwards every other request (REST and the WebSocket upgrade) to the
 * platform, so page, REST and socket share one origin: the session cookie of a browser socket reaches
 * the upgrade and REST needs no CORS. `npx tsx examples/browser/server.ts` starts it with an embedded
 * emulator and prints the page's URL.
 */
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const dir = path.dirname(fileURLToPath(import.meta.url))
const pages: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dist/main.js": { file: "dist/main.js", type: "text/javascript; charset=utf-8" },
  "/dist/main.js.map": { file: "dist/main.js.map", type: "application/json" }
}

export interface PageServer {
  readonly url: string
  readonly close: () => Promise<void>
}

/** Serves the page on 127.0.0.1 (a free port) in front of the platform at `upstream` (`http://host:port`). */
export const serve = (upstream: string): Promise<PageServer> => {
  const target = new URL(upstream)
  const sockets = new Set<net.Socket>()
  const server = http.createServer((request, response) => {
    const page = pages[new URL(request.url ?? "/", "http://x").pathname]
    if (page !== undefined) {
      response.writeHead(200, { "content-type": page.type, "cache-control": "no-store" })
      fs.createReadStream(path.join(dir, page.file)).pipe(response)
      return
    }
    const forward = http.request({
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: target.host }
    }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    forward.on("error", () => response.destroy())
    request.pipe(forward)
  })
  // the WebSocket upgrade: replay the request line and headers upstream, then splice the two sockets
  server.on("upgrade", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const upstreamSocket = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`]
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        const name = request.rawHeaders[i]!
        lines.push(`${name}: ${name.toLowerCase() === "host" ? target.host : request.rawHeaders[i + 1]}`)
      }
      upstreamSocket.write(lines.join("\r\n") + "\r\n\r\n")
      if (head.length > 0) upstreamSocket.write(head)
      client.pipe(upstreamSocket).pipe(client)
    })
    for (const s of [client, upstreamSocket]) {
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
      s.on("error", () => {
        client.destroy()
        upstreamSocket.destroy()
      })
    }
  })
  server.on("connection", (s) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          })
      })
    })
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  Effect.gen(function*() {
    const emulator = yield* Emulator.make({ port: 0 })
    const page = yield* Effect.acquireRelease(Effect.promise(() => serve(emulator.url)), (p) => Effect.promise(p.close))
    yield* Effect.log(`open ${page.url}/ (emulator at ${emulator.url}; build the page first: node examples/browser/build.mjs)`)
    yield* Effect.never
  }).pipe(Effect.scoped, Effect.runPromise)
}
