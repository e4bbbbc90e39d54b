/**
 * A TCP proxy in front of the emulator that cuts chat-run event streams at random points: on a
 * connection that carries `GET …/events/stream`, it forwards a random number of response bytes and then
 * destroys both sockets (no FIN to the client's parser, just a reset), for the first `drops` such
 * streams. Everything else passes through untouched. Seeded, so a failing run can be replayed.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as net from "node:net"

export interface DropProxy {
  readonly url: string
  /** How many streams were cut so far. */
  readonly cuts: () => number
  /** How many event-stream requests went through (cut or not). */
  readonly streams: () => number
}

/** A small deterministic PRNG (mulberry32). */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export const makeDropProxy = (
  targetPort: number,
  options: { readonly drops: number; readonly seed: number; readonly minBytes: number; readonly maxBytes: number }
): Effect.Effect<DropProxy, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: net.Server; proxy: DropProxy; sockets: Set<net.Socket> }>((resume) => {
      const random = prng(options.seed)
      let cuts = 0
      let streams = 0
      const sockets = new Set<net.Socket>()
      const server = net.createServer((client) => {
        const upstream = net.connect(targetPort, "127.0.0.1")
        sockets.add(client)
        sockets.add(upstream)
        let budget: number | undefined
        // once a stream is cut nothing more goes to the client: the bytes it got stay a prefix
        let severed = false
        client.on("data", (chunk: Buffer) => {
          const text = chunk.toString("latin1")
          if (/^GET \/v1\/chat\/runs\/[^ ]+\/events\/stream/m.test(text)) {
            streams++
            if (cuts < options.drops) {
              budget = options.minBytes + Math.floor(random() * (options.maxBytes - options.minBytes))
            }
          }
          upstream.write(chunk)
        })
        upstream.on("data", (chunk: Buffer) => {
          if (severed) return
          if (budget === undefined) {
            client.write(chunk)
            return
          }
          if (chunk.length < budget) {
            budget -= chunk.length
            client.write(chunk)
            return
          }
          client.write(chunk.subarray(0, budget))
          budget = undefined
          severed = true
          cuts++
          // let the partial bytes leave, then reset both sides
          setTimeout(() => {
            client.resetAndDestroy()
            upstream.destroy()
          }, 5)
        })
        const close = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
        }
        client.on("error", close)
        upstream.on("error", close)
        client.on("close", close)
        upstream.on("close", close)
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        resume(Effect.succeed({
          server,
          sockets,
          proxy: { url: `http://127.0.0.1:${port}`, cuts: () => cuts, streams: () => streams }
        }))
      })
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const s of sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ proxy }) => proxy))
