/**
 * Hostile-network probes of the media path (round 34), over real loopback sockets (`hostileServer.ts`):
 * drops at the worst moments (during the result URL mint, during re-authentication after a reconnect),
 * slow-loris REST answers, and interruptions of `Projects.run` / `events` at each point, after which no
 * socket, timer or fiber of the SDK is left.
 */
import { assert, describe, it } from "@effect/vitest"
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Supervisor from "effect/Supervisor"
import type * as Http from "node:http"
import type { Projects } from "../src/index.js"
import type { ProjectState } from "../src/index.js"
import { connectMedia, finishedRecord, hosted, image, jobIdOf, type Settings } from "./hostileMedia.js"
import { type HostileServer, makeHostileServer, receivedAny, until } from "./hostileServer.js"

const connect = (server: HostileServer, options: Projects.ProjectsOptions = {}, settings: Settings = {}) =>
  connectMedia(server, options, settings)

const connectIn = (scope: Scope.Scope, server: HostileServer, options: Projects.ProjectsOptions = {}, settings: Settings = {}) =>
  connectMedia(server, options, settings, scope)

/** Sockets and timers alive in this process (the hostile server's own included). */
const resourceCount = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "TCPSocketWrap").length

/**
 * The resource count once the previous test's sockets finished closing (they close asynchronously after
 * its scope ended, and would otherwise leave the baseline high enough to hide a leak of this test).
 */
const settledBaseline = Effect.promise(() =>
  new Promise<number>((resolve) => {
    let last = resourceCount()
    let calm = 0
    const tick = () => {
      const now = resourceCount()
      calm = now === last ? calm + 1 : 0
      last = now
      if (calm >= 5 || !process.getActiveResourcesInfo().includes("TCPSocketWrap")) return resolve(now)
      setTimeout(tick, 20)
    }
    tick()
  })
)

/** A response that sends its headers, then one byte of `body` every `everyMillis`, until the client goes away. */
const trickle = (status: number, body: string, everyMillis: number) => (res: Http.ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) })
  res.flushHeaders()
  let at = 0
  const timer = setInterval(() => {
    if (res.destroyed || at >= body.length) return void clearInterval(timer)
    res.write(body[at++]!)
  }, everyMillis)
  res.on("close", () => clearInterval(timer))
}

describe("Projects: drops at the worst moments", () => {
  it.scopedLive("a result URL mint answered 429 with Retry-After, then left hanging: the project still ends once, with its result", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { lines, projects } = yield* connect(server, {}, { requestTimeout: "400 millis", restRetries: 2 })
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      let mints = 0
      server.rest = (method, path) => {
        if (method !== "GET" || path !== "/v1/image/downloadUrl") return undefined
        mints++
        return mints === 1
          ? { status: 429, body: { status: "error", message: "slow down", errorCode: 429 }, headers: { "retry-after": "1" } }
          : "hang"
      }
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobState", { type: "jobCompleted", jobID: id })
      }
      const project = yield* projects.submit(prepared)
      const seen: Array<ProjectState.ProjectEvent> = []
      project.listen((e) => seen.push(e))
      const results = yield* project.await
      assert.deepStrictEqual(results.map((r) => [r.imgID, r.url]), [["A", undefined]])
      assert.strictEqual(seen.filter((e) => e._tag === "Completed").length, 1)
      assert.strictEqual(seen.filter((e) => e._tag === "JobCompleted").length, 1)
      assert.strictEqual(mints, 3)
      assert.isTrue(lines.some((l) => /result URL for job A could not be minted/.test(l.message)), lines.map((l) => l.message).join("\n"))
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  it.scopedLive("the reconnect's handshake is cut twice before it completes: the third lists the project finished; it completes once", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      server.rest = (method, path) =>
        method === "GET" && path === "/v1/image/downloadUrl"
          ? { status: 200, body: { status: "success", data: { downloadUrl: "https://signed.example.test/a.png" } } }
          : undefined
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const finished = finishedRecord(id)
      server.onConnection = (c) => {
        if (c.index === 0) return c.authenticate()
        // the re-authentication of connections 1 and 2 is cut: one before the handshake, one right after
        // the client's first frame
        if (c.index === 1) return void setTimeout(() => c.drop(), 10)
        if (c.index === 2) return void setTimeout(() => c.drop(), 30)
        c.authenticate({ unclaimedCompletedProjects: [finished] })
      }
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest" || c.index !== 0) return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        setTimeout(() => c.drop(), 20)
      }
      const project = yield* projects.submit(prepared)
      const seen: Array<ProjectState.ProjectEvent> = []
      project.listen((e) => seen.push(e))
      const results = yield* project.await
      assert.deepStrictEqual(results.map((r) => r.imgID), ["A"])
      assert.isAtLeast(server.connections.length, 4)
      assert.strictEqual(seen.filter((e) => e._tag === "Completed").length, 1)
      // never sent twice: the finished record ended it
      const requests = server.connections.flatMap((c) => c.received.filter((f) => f.type === "jobRequest"))
      assert.strictEqual(requests.length, 1)
    }), { timeout: 30_000 })

  it.scopedLive("frames for another project id and a jobResult before its job started: skipped or absorbed, the project completes once", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const stranger = Protocol.makeId().toUpperCase()
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        c.send("jobResult", { jobID: stranger, imgID: "Z", jobIndex: 0, resultUrl: hosted("z") })
        c.send("jobState", { type: "jobCompleted", jobID: stranger })
        c.send("jobState", { type: "jobError", jobID: stranger, error: 1, error_message: "not yours" })
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobProgress", { jobID: id, imgID: "A", step: Number.MAX_SAFE_INTEGER, stepCount: 1e300 })
        c.send("jobState", { type: "jobCompleted", jobID: id })
        c.send("jobState", { type: "jobCompleted", jobID: id })
      }
      const events = yield* Stream.runCollect(projects.events(prepared))
      const tags = Array.from(events, (e) => e._tag)
      assert.strictEqual(tags.filter((t) => t === "Completed").length, 1)
      assert.strictEqual(tags.at(-1), "Completed")
      const done = Array.from(events).find((e) => e._tag === "Completed")
      assert.deepStrictEqual(done?._tag === "Completed" ? done.results.map((r) => r.url) : [], [hosted("a")])
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })
})

describe("Projects: a connection that ends for good mid-project", () => {
  // the project in flight fails with the end's own error, as a send the end refused does (round 40: it was a
  // `SogniProjectError` naming the error, whose data did not carry it)
  for (const [code, reason] of [[4021, "InvalidCredentials"], [4010, "AppIdBlocked"], [4099, "Rejected"]] as const) {
    it.scopedLive(`the reconnect is refused (${code}): the project fails at once with the refusal's SogniAuthenticationError (not at the idle deadline)`, () =>
      Effect.gen(function*() {
        const server = yield* makeHostileServer()
        // the idle deadline far beyond the test's: only the terminal close can end the project in time
        const { projects } = yield* connect(server, { idleTimeout: "10 minutes" })
        const prepared = image(1)
        const id = prepared.request.jobID.toUpperCase()
        server.onConnection = (c) => {
          if (c.index === 0) c.authenticate()
          else setTimeout(() => c.close(code, "refused by policy"), 10)
        }
        server.onFrame = (c, frame) => {
          if (frame.type !== "jobRequest") return
          c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
          setTimeout(() => c.drop(), 20)
        }
        const project = yield* projects.submit(prepared)
        const error = yield* Effect.flip(project.await)
        assert(error._tag === "SogniAuthenticationError", `unexpected ${error._tag}: ${error.message}`)
        assert.strictEqual(error.reason, reason)
        assert.strictEqual(error.closeCode, code)
        // the close's code and reason, as the server sent them
        assert.include(error.message, `${code} (refused by policy)`)
        // failed by the end (its send had gone out), its data naming the end and carrying it
        const state = yield* project.state
        assert.strictEqual(state.status, "failed")
        assert.strictEqual(state.error?.code, 0)
        assert.strictEqual(state.error?.originalCode, "connectionClosed")
        assert.include(state.error?.message, "SogniAuthenticationError")
        assert.strictEqual(state.error?.cause, error)
        assert.strictEqual(server.connections.length, 2)
        assert.deepStrictEqual(yield* projects.active, [])
      }), { timeout: 30_000 })
  }
})

describe("Projects: a connection that ends for good after the results", () => {
  const signed = (imgID: string) => `https://signed.example.test/${imgID}.png`
  // the server closes with `code` right after the last result of a 2-image project, before its end marker;
  // the results carry no URL, so they are minted after the close
  for (const code of [4010, 4015, 4021, 4099] as const) {
    it.scopedLive(`every result arrived, then close ${code} before the end marker: the project completes with its results`, () =>
      Effect.gen(function*() {
        const server = yield* makeHostileServer()
        const { lines, projects } = yield* connect(server, { idleTimeout: "10 minutes" })
        const prepared = image(2)
        const id = prepared.request.jobID.toUpperCase()
        server.rest = (method, path) =>
          method === "GET" && path === "/v1/image/downloadUrl"
            ? { status: 200, body: { status: "success", data: { downloadUrl: signed("minted") } } }
            : undefined
        server.onFrame = (c, frame) => {
          if (frame.type !== "jobRequest") return
          for (const [jobIndex, imgID] of ["A", "B"].entries()) {
            c.send("jobState", { type: "jobStarted", jobID: id, imgID, jobIndex })
            c.send("jobResult", { jobID: id, imgID, jobIndex })
          }
          c.close(code, "closed by the hostile server")
        }
        const results = yield* projects.run(prepared)
        assert.deepStrictEqual(results.map((r) => r.imgID), ["A", "B"])
        // 4010 blocks this appId, 4015 hands it to another connection, 4099 says nothing about the key: it is
        // kept and the URLs are minted. 4021
        // refuses the key itself: it is cleared, and a mint that had not read it yet is refused locally, its
        // URL unknown (the result still stands; `Results.url` mints it once a credential is set again)
        if (code === 4021) {
          for (const r of results) assert.include([undefined, signed("minted")], r.url)
        } else {
          assert.deepStrictEqual(results.map((r) => r.url), [signed("minted"), signed("minted")])
        }
        assert.strictEqual(lines.some((l) => l.message === "sogni: credentials cleared"), code === 4021)
        assert.deepStrictEqual(yield* projects.active, [])
      }), { timeout: 30_000 })
  }

  it.scopedLive("the server finished the project while the socket was down, the reconnect is refused (4010): the lookup finds it finished, it completes", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server, { idleTimeout: "10 minutes" })
      const prepared = image(2)
      const id = prepared.request.jobID.toUpperCase()
      server.rest = (method, path) =>
        method === "GET" && path === `/v2/projects/${id}`
          ? { status: 200, body: { status: "success", data: { project: finishedRecord(id, ["A", "B"]) } } }
          : method === "GET" && path === "/v1/image/downloadUrl"
          ? { status: 200, body: { status: "success", data: { downloadUrl: signed("late") } } }
          : undefined
      server.onConnection = (c) => {
        if (c.index === 0) c.authenticate()
        else setTimeout(() => c.close(4010, "app blocked"), 10)
      }
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1 })
        setTimeout(() => c.drop(), 20)
      }
      const results = yield* projects.run(prepared)
      assert.deepStrictEqual(results.map((r) => [r.imgID, r.url]), [["A", signed("late")], ["B", signed("late")]])
      assert.strictEqual(server.connections.length, 2)
      assert.include(server.restCalls, `GET /v2/projects/${id}`)
    }), { timeout: 30_000 })
})

describe("REST: slow-loris answers", () => {
  for (const path of ["/v1/image/downloadUrl"] as const) {
    it.scopedLive(`headers, then a byte a second on ${path}: bounded by requestTimeout, a typed Timeout naming the request`, () =>
      Effect.gen(function*() {
        const server = yield* makeHostileServer()
        const { lines, projects } = yield* connect(server, {}, { requestTimeout: "500 millis", restRetries: 0 })
        const prepared = image(1)
        const id = prepared.request.jobID.toUpperCase()
        server.rest = (method, p) =>
          method === "GET" && p === path
            ? trickle(200, JSON.stringify({ status: "success", data: { downloadUrl: hosted("late") } }), 1000)
            : undefined
        server.onFrame = (c, frame) => {
          if (frame.type !== "jobRequest") return
          c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
          c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0 })
          c.send("jobState", { type: "jobCompleted", jobID: id })
        }
        const results = yield* projects.run(prepared)
        assert.deepStrictEqual(results.map((r) => r.url), [undefined])
        const line = lines.find((l) => /could not be minted/.test(l.message))?.message
        assert.isDefined(line, lines.map((l) => l.message).join("\n"))
        assert.match(line!, /GET .*\/v1\/image\/downloadUrl.*no response within/)
      }), { timeout: 30_000 })
  }
})

describe("REST: slow-loris answers on the account and catalog reads", () => {
  const reads = [
    ["the model catalog", "/api/v1/models/list"],
    ["the balance", "/v4/account/balance"],
    ["an image estimate", "/api/v2/job/estimate/"]
  ] as const
  for (const [what, prefix] of reads) {
    it.scopedLive(`${what}: headers, then a byte a second: a typed Timeout naming the request within requestTimeout`, () =>
      Effect.gen(function*() {
        const server = yield* makeHostileServer()
        const { account, models } = yield* connect(server, {}, { requestTimeout: "500 millis", restRetries: 0 })
        server.rest = (method, path) =>
          method === "GET" && path.startsWith(prefix) ? trickle(200, JSON.stringify({ status: "success", data: {} }), 1000) : undefined
        const read: Effect.Effect<unknown, { readonly _tag: string; readonly message: string }> = what === "the model catalog"
          ? models.catalog
          : what === "the balance"
          ? account.refreshBalance
          : models.estimate({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "probe", numberOfMedia: 1, steps: 4 })
        const error = yield* Effect.flip(read)
        assert.strictEqual(error._tag, "SogniTransportError", error.message)
        assert.strictEqual((error as { readonly reason?: string }).reason, "Timeout")
        assert.match(error.message, new RegExp(`GET \\S*${prefix.replace(/\//g, "\\/")}\\S* ?.*no response within 500ms`))
        assert.strictEqual(server.restCalls.filter((c) => c.startsWith(`GET ${prefix}`)).length, 1)
      }), { timeout: 30_000 })
  }
})

describe("Projects: drops between the end and the result", () => {
  it.scopedLive("the socket drops after the project's jobCompleted and before its jobResult: the lookup's record brings the result; reported once", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const finished = finishedRecord(id)
      server.rest = (method, path) =>
        method === "GET" && path === `/v2/projects/${id}`
          ? { status: 200, body: { status: "success", data: { project: finished } } }
          : method === "GET" && path === "/v1/image/downloadUrl"
          ? { status: 200, body: { status: "success", data: { downloadUrl: "https://signed.example.test/a.png" } } }
          : undefined
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest" || c.index > 0) return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobState", { type: "jobCompleted", jobID: id })
        // the jobResult never comes on this connection, and the next handshake lists nothing
        setTimeout(() => c.drop(), 20)
      }
      const events = yield* Stream.runCollect(projects.events(prepared))
      const tags = Array.from(events, (e) => e._tag)
      assert.strictEqual(tags.filter((t) => t === "Completed").length, 1, tags.join(","))
      assert.strictEqual(tags.filter((t) => t === "JobCompleted").length, 1, tags.join(","))
      const done = Array.from(events).find((e) => e._tag === "Completed")
      assert.deepStrictEqual(done?._tag === "Completed" ? done.results.map((r) => [r.imgID, r.url]) : [], [["A", "https://signed.example.test/a.png"]])
      const requests = server.connections.flatMap((c) => c.received.filter((f) => f.type === "jobRequest"))
      assert.strictEqual(requests.length, 1)
    }), { timeout: 30_000 })

  it.scopedLive("run interrupted while the socket is down and re-authentication never completes: it returns, and nothing is left once the service closes", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const baseline = yield* settledBaseline
      const supervisor = yield* Supervisor.track
      const scope = yield* Scope.make()
      const { projects } = yield* connectIn(scope, server, { interruptCancelTimeout: "500 millis" }, { requestTimeout: "10 minutes" })
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      // later connections are accepted and never authenticated (no handshake, nothing answered)
      server.onConnection = (c) => {
        if (c.index === 0) c.authenticate()
      }
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest" || c.index > 0) return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        setTimeout(() => c.drop(), 20)
      }
      const fiber = yield* Effect.fork(Effect.supervised(Effect.asVoid(projects.run(prepared)), supervisor))
      yield* until(() => server.connections.length >= 2, "the reconnect")
      // returns within interruptCancelTimeout; the project stays tracked so that its cancel is sent on the
      // next connection that authenticates (none will)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit), `exit: ${String(exit)}`)
      assert.deepStrictEqual(yield* projects.active, [id])
      yield* Scope.close(scope, Exit.void)
      yield* until(() => server.connections.every((c) => c.closed), "the server's sides closed")
      yield* until(() => resourceCount() <= baseline, `sockets and timers back to ${baseline}`)
      assert.deepStrictEqual((yield* supervisor.value).map((f) => f.id().id), [])
    }), { timeout: 30_000 })
})

describe("Projects: interrupted at each point, nothing left behind", () => {
  type Point = "before the server acks the request" | "while the result URL mint hangs" | "on a server gone silent mid-project"
  const points: ReadonlyArray<Point> = [
    "before the server acks the request",
    "while the result URL mint hangs",
    "on a server gone silent mid-project"
  ]
  for (const point of points) {
    for (const via of ["run", "events"] as const) {
      it.scopedLive(`${via} interrupted ${point}: the server sees the cancel; no socket, timer or fiber is left once the service closes`, () =>
        Effect.gen(function*() {
          const server = yield* makeHostileServer()
          const baseline = yield* settledBaseline
          const supervisor = yield* Supervisor.track
          const scope = yield* Scope.make()
          const { projects } = yield* connectIn(scope, server, { interruptCancelTimeout: "2 seconds" }, { requestTimeout: "10 minutes" })
          const prepared = image(1)
          const id = prepared.request.jobID.toUpperCase()
          let reached = false
          server.rest = (method, path) => (method === "GET" && path === "/v1/image/downloadUrl" ? "hang" : undefined)
          server.onFrame = (c, frame) => {
            if (frame.type === "jobError" && jobIdOf(frame.payload) === id) {
              // the cancel is confirmed as the platform does
              c.send("artistCancelConfirmation", { jobID: id, didCancel: true })
            }
            if (frame.type !== "jobRequest") return
            if (point === "before the server acks the request") return void (reached = true)
            c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
            if (point === "while the result URL mint hangs") c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0 })
            reached = true
          }
          const work = via === "run"
            ? Effect.asVoid(projects.run(prepared))
            : Stream.runDrain(projects.events(prepared))
          const fiber = yield* Effect.fork(Effect.supervised(work, supervisor))
          yield* until(() => reached, "the point")
          if (point === "while the result URL mint hangs") yield* until(() => server.restCalls.includes("GET /v1/image/downloadUrl"), "the mint")
          const exit = yield* Fiber.interrupt(fiber)
          assert.isTrue(Exit.isInterrupted(exit), `exit: ${String(exit)}`)
          yield* until(() => receivedAny(server, (f) => f.type === "jobError" && jobIdOf(f.payload) === id), "the cancel")
          assert.deepStrictEqual(yield* projects.active, [])
          yield* Scope.close(scope, Exit.void)
          yield* until(() => server.connections.every((c) => c.closed), "the server's sides closed")
          yield* until(() => resourceCount() <= baseline, `sockets and timers back to ${baseline} (now ${resourceCount()}: ${process.getActiveResourcesInfo().join(",")})`)
          const live = yield* supervisor.value
          assert.deepStrictEqual(live.map((f) => f.id().id), [])
        }), { timeout: 30_000 })
    }
  }
})
