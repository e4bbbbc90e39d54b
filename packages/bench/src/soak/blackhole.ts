/**
 * Black-holed connections: the socket host accepts and then says nothing. Three servers: a TCP listener
 * that never answers the upgrade, a WebSocket server that upgrades and never authenticates, and one that
 * authenticates and then goes silent (it answers no ping). Against each, a media project and a chat
 * completion run (REST stays on a real emulator); the figure is the seconds until a typed error (or a
 * result), capped at `timeout`.
 */
import { Sogni } from "@effect-sogni/core"
import { Chat } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { Media, Projects } from "@effect-sogni/media"
import { Protocol } from "@effect-sogni/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Net from "node:net"
import { WebSocketServer } from "ws"
import type { Check, Row, ScenarioReport } from "./report.js"

export interface BlackholeOptions {
  readonly timeout: Duration.DurationInput
}

interface Hole {
  readonly name: string
  readonly url: string
  readonly close: () => Promise<void>
}

const tcpSilent = () =>
  new Promise<Hole>((resolve) => {
    const sockets = new Set<Net.Socket>()
    const server = Net.createServer((s) => {
      sockets.add(s)
      s.on("error", () => {})
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      resolve({
        name: "TCP accepted, no upgrade answer",
        url: `ws://127.0.0.1:${port}`,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy()
          server.close(() => done())
        })
      })
    })
  })

const wsSilent = (authenticate: boolean) =>
  new Promise<Hole>((resolve) => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: false })
    wss.on("connection", (ws) => {
      ws.on("error", () => {})
      if (authenticate) {
        ws.send(Protocol.encodeFrame("authenticated", {
          id: "soak-hole",
          clientType: "artist",
          username: "soak",
          address: "0x8Fa3C1d2E4b5A6978c0D1e2F3a4B5c6D7e8F9a0B",
          activeProjects: [],
          unclaimedCompletedProjects: [],
          activeLLMJobIDs: []
        }))
      }
    })
    wss.on("listening", () => {
      const port = (wss.address() as Net.AddressInfo).port
      resolve({
        name: authenticate ? "authenticated, then silent (no pong)" : "WebSocket open, never authenticated",
        url: `ws://127.0.0.1:${port}`,
        close: () => new Promise((done) => {
          for (const c of wss.clients) c.terminate()
          wss.close(() => done())
        })
      })
    })
  })

/** Seconds until `effect` ends, or `undefined` past the cap; plus how it ended. */
const timed = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>, cap: Duration.Duration) =>
  Effect.gen(function*() {
    const start = performance.now()
    // disconnected: an interruption that never completes (a known defect) must not hold the figure up
    const exit = yield* effect.pipe(Effect.disconnect, Effect.timeout(cap), Effect.exit)
    const seconds = ((performance.now() - start) / 1000).toFixed(1)
    if (exit._tag === "Success") return { seconds, ended: "result (recovered)", ok: true }
    const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (failure?._tag === "TimeoutException") return { seconds: `>${Duration.toSeconds(cap)}`, ended: "nothing (hung)", ok: false }
    if (failure !== undefined) {
      const message = String((failure as { readonly message?: unknown }).message ?? "").slice(0, 70)
      return { seconds, ended: `typed ${failure._tag}: ${message}`, ok: true }
    }
    return { seconds, ended: `defect/interrupt`, ok: false }
  })

export const blackholeScenario = (options: BlackholeOptions): Effect.Effect<ScenarioReport> =>
  Effect.scoped(Effect.gen(function*() {
    const cap = Duration.decode(options.timeout)
    const emulator = yield* Emulator.make({ port: 0, speed: 10 })
    const holes = yield* Effect.acquireRelease(
      Effect.promise(() => Promise.all([tcpSilent(), wsSilent(false), wsSilent(true)])),
      (hs) => Effect.promise(() => Promise.all(hs.map((h) => h.close())))
    )
    const settings = (hole: Hole, app: string) => ({
      appId: `soak-hole-${app}`,
      apiKey: Redacted.make(emulator.apiKey),
      restEndpoint: emulator.url,
      socketEndpoint: hole.url,
      network: "fast" as const
    })
    const cases = holes.flatMap((hole, i) => [
      {
        hole,
        what: "media project",
        run: Effect.flatMap(Projects.Projects, (p) =>
          p.run({
            type: "image",
            modelId: "flux1-schnell-fp8",
            positivePrompt: "x",
            steps: 2,
            guidance: 1,
            numberOfMedia: 1,
            tokenType: "spark",
            network: "fast"
          })).pipe(Effect.provide(Media.layer(settings(hole, `media-${i}`))))
      },
      {
        hole,
        what: "chat completion",
        run: Effect.flatMap(Chat.Chat, (c) =>
          c.complete({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "hi" }] })).pipe(
            Effect.provide(Chat.layer().pipe(Layer.provideMerge(Sogni.layer(settings(hole, `chat-${i}`)))))
          )
      }
    ])
    const results = yield* Effect.forEach(
      cases,
      (c) => timed(c.run as Effect.Effect<unknown, { readonly _tag: string }>, cap),
      { concurrency: "unbounded" }
    )
    const rows: Array<Row> = cases.map((c, i) => [c.hole.name, c.what, results[i]!.seconds, results[i]!.ended])
    const checks: Array<Check> = cases.map((c, i) => ({
      name: `${c.hole.name} / ${c.what}: ends within ${Duration.format(cap)}`,
      ok: results[i]!.ok,
      detail: `${results[i]!.seconds} s, ${results[i]!.ended}`
    }))
    return {
      title: `black-holed socket host (cap ${Duration.format(cap)})`,
      header: ["server", "call", "seconds", "ended with"],
      rows,
      checks
    }
  }))
