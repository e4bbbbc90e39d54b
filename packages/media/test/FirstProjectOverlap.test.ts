/**
 * The first project's round trips overlap, over real loopback sockets: the model catalog and tiers are
 * read together, and `create`/`run` open the socket while the model is described, not after. A hostile
 * server of the test's own (`hostileServer.ts`) forwards REST to an emulator but holds one answer back
 * until the request that must overlap it has arrived: done one after the other, the held answer would
 * never come (the hold then answers 503 and the test fails on that error, not on a hang). Also what
 * must not connect: `prepare` alone, and parameters that do not decode. And the service's first handshake
 * schedules no after-reconnect lookup for a project not written yet (there was no earlier connection
 * for its frames to die with).
 */
import { assert, describe, it } from "@effect/vitest"
import { SogniError, SogniSocket, SubscriptionRefs } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Http from "node:http"
import { Media, Models, Projects } from "../src/index.js"
import { connectMedia, image } from "./hostileMedia.js"
import { type HostileServer, makeHostileServer, until } from "./hostileServer.js"

const catalogPath = "/api/v1/models/list"
const tiersPath = "/api/v2/models/tiers"

/**
 * A REST answer that waits (polling every 5 ms, at most 5 s) until `ready` holds, then forwards the request
 * to `target` and writes its answer; a 503 when `ready` never held.
 */
const heldUntil = (ready: () => boolean, target: string, path: string) => (res: Http.ServerResponse) => {
  const started = performance.now()
  const tick = () => {
    if (!ready()) {
      if (performance.now() - started > 5_000) {
        res.writeHead(503, { "content-type": "application/json" })
        res.end(JSON.stringify({ status: "error", message: `held ${path}: what it waited for never came` }))
        return
      }
      setTimeout(tick, 5)
      return
    }
    fetch(new URL(path, target), { headers: { "api-key": Emulator.DEFAULT_API_KEY } }).then(async (r) => {
      res.writeHead(r.status, { "content-type": "application/json" })
      res.end(Buffer.from(await r.arrayBuffer()))
    }, () => res.destroy())
  }
  tick()
}

/** The hostile server in front of a fresh emulator, and media built over it (no REST retries). */
const setup = Effect.gen(function*() {
  const emulator = yield* Emulator.make({ port: 0, speed: 1e6 })
  const server = yield* makeHostileServer()
  server.proxyTo = emulator.url
  const ctx = yield* Layer.build(Media.layer({
    appId: `overlap-${crypto.randomUUID()}`,
    apiKey: Redacted.make(emulator.apiKey),
    restEndpoint: server.url,
    socketEndpoint: server.wsUrl,
    restRetries: 0
  }))
  return {
    emulator,
    server,
    models: Context.get(ctx, Models.Models),
    projects: Context.get(ctx, Projects.Projects),
    socket: Context.get(ctx, SogniSocket.SogniSocket)
  }
})

const seen = (server: HostileServer, path: string) => () => server.restCalls.includes(`GET ${path}`)

/** Lets a few turns of the event loop pass (a connection asked for on a later turn would have begun). */
const turns = Effect.promise(() =>
  new Promise<void>((resolve) => setImmediate(() => setImmediate(() => setTimeout(resolve, 0))))
)

const params = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a lighthouse", numberOfMedia: 1 } as const

describe("the first project's round trips overlap", () => {
  it.scopedLive("describe reads the catalog and the tiers together: a catalog answer held until the tiers' request came is read", () =>
    Effect.gen(function*() {
      const { emulator, models, server } = yield* setup
      server.rest = (method, path) =>
        method === "GET" && path === catalogPath ? heldUntil(seen(server, tiersPath), emulator.url, catalogPath) : undefined
      const model = yield* models.describe("flux1-schnell-fp8")
      assert.strictEqual(model.id, "flux1-schnell-fp8")
      assert.strictEqual(model.media, "image")
      assert.includeMembers(server.restCalls, [`GET ${catalogPath}`, `GET ${tiersPath}`])
    }))

  it.scopedLive("describe: the catalog's verdict comes first (an unknown model while the tiers fail; a failed catalog while the tiers answer)", () =>
    Effect.gen(function*() {
      const { models, server } = yield* setup
      server.rest = (method, path) =>
        method === "GET" && path === tiersPath ? { status: 500, body: { status: "error", message: "tiers down" } } : undefined
      const unknown = yield* Effect.either(models.describe("no-such-model"))
      assert(Either.isLeft(unknown))
      assert(unknown.left._tag === "SogniInvalidRequest")
      assert.deepStrictEqual([unknown.left.field, unknown.left.rule], ["modelId", "unknown-model"])
      // the tiers' failure is the answer for a model the catalog knows
      const known = yield* Effect.either(models.describe("flux1-schnell-fp8"))
      assert(Either.isLeft(known))
      assert.strictEqual(known.left._tag, "SogniApiError")
      assert.match(known.left.message, /tiers down|500/)

      const fresh = yield* setup
      fresh.server.rest = (method, path) =>
        method === "GET" && path === catalogPath ? { status: 500, body: { status: "error", message: "catalog down" } } : undefined
      const failed = yield* Effect.either(fresh.models.describe("flux1-schnell-fp8"))
      assert(Either.isLeft(failed))
      assert.strictEqual(failed.left._tag, "SogniApiError")
      assert.match(failed.left.message, /catalog down|500/)
      assert.isTrue(SogniError.isSogniError(failed.left))
    }))

  it.scopedLive("create opens the socket while the model is described: a catalog answer held until the socket connected is read, and the request goes out", () =>
    Effect.gen(function*() {
      const { emulator, projects, server } = yield* setup
      server.rest = (method, path) =>
        method === "GET" && path === catalogPath ? heldUntil(() => server.connections.length > 0, emulator.url, catalogPath) : undefined
      const project = yield* projects.create(params)
      yield* until(
        () => server.connections.some((c) => c.received.some((f) => f.type === "jobRequest")),
        "the request on the socket"
      )
      assert.strictEqual(server.connections.length, 1)
      assert.strictEqual(
        (server.connections[0]!.received.find((f) => f.type === "jobRequest")!.payload as { readonly jobID: string }).jobID
          .toUpperCase(),
        project.id
      )
    }))

  it.scopedLive("prepare alone never connects; nor does a create whose parameters do not decode", () =>
    Effect.gen(function*() {
      const { projects, server, socket } = yield* setup
      const prepared = yield* projects.prepare(params)
      assert.strictEqual(prepared.request.numberOfImages, 1)
      const refused = yield* Effect.either(projects.create({ type: "image", modelId: "flux1-schnell-fp8", numberOfMedia: -1 }))
      assert(Either.isLeft(refused))
      assert.strictEqual(refused.left._tag, "SogniInvalidRequest")
      yield* turns
      assert.strictEqual(server.connections.length, 0)
      assert.strictEqual((yield* SubscriptionRefs.get(socket.status))._tag, "Idle")
    }))

  it.scopedLive("the first handshake schedules no after-reconnect lookup for a project not yet written: its only lookup is the idle deadline's", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      // the project is admitted, then nothing more is heard of it; every lookup of it answers 404
      server.onFrame = (c, frame) => {
        if (frame.type === "jobRequest") {
          c.send("jobState", { type: "queued", jobID: (frame.payload as { readonly jobID: string }).jobID, queuePosition: 1 })
        }
      }
      const lookups = () => server.restCalls.filter((call) => call.startsWith("GET /v2/projects/")).length
      // an after-reconnect check would come at 50 ms, long before the idle deadline's lookup at 1 s
      const { projects } = yield* connectMedia(server, { reconnectCheck: "50 millis", idleTimeout: "1 second" }, { restRetries: 0 })
      const outcome = yield* Effect.either(projects.run(image(1)))
      assert(Either.isLeft(outcome))
      assert.strictEqual(server.connections.length, 1)
      assert.strictEqual(lookups(), 1, server.restCalls.join(", "))
    }), { timeout: 30_000 })
})
