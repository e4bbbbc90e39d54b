/**
 * Projects against a hostile server of the test's own (`hostileServer.ts`, real loopback sockets): frames
 * out of order, for unknown jobs, duplicated, wrong-typed or absurd; floods written in one turn; a
 * handshake that forgets a project; a cancel swallowed by a dying socket. What the emulator, at its own
 * pace and by the book, never sends.
 */
import { assert, describe, it } from "@effect/vitest"
import { Protocol } from "@effect-sogni/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import { Media, Projects } from "../src/index.js"
import type { ProjectState } from "../src/index.js"
import { type HostileServer, makeHostileServer, until } from "./hostileServer.js"

interface LogLine {
  readonly level: string
  readonly message: string
}

/** Media over the hostile server; every log line (all levels) lands in `lines`. */
const connect = (server: HostileServer, options: Projects.ProjectsOptions = {}) =>
  Effect.gen(function*() {
    const lines: Array<LogLine> = []
    const capture = Logger.make(({ logLevel, message }) => {
      lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
    })
    const ctx = yield* Layer.build(
      Media.layer({
        appId: `hostile-${crypto.randomUUID()}`,
        apiKey: Redacted.make("hostile-key-123"),
        restEndpoint: server.url,
        socketEndpoint: server.wsUrl,
        reconnectBase: "50 millis"
      }, options).pipe(
        Layer.provide(Logger.replace(Logger.defaultLogger, capture)),
        Layer.provide(Logger.minimumLogLevel(LogLevel.All))
      )
    )
    return { projects: Context.get(ctx, Projects.Projects), lines }
  })

const image = (count: number, steps = 4): Projects.Prepared => ({
  request: {
    jobID: Protocol.makeId(),
    numberOfImages: count,
    previews: 0,
    outputFormat: "png",
    tokenType: "spark",
    keyFrames: [{ modelID: "flux1-schnell-fp8", positivePrompt: "hostile", steps, guidanceScale: 1, seed: 11 }]
  },
  numberOfMedia: count,
  steps,
  kind: "image",
  outputFormat: "png"
})

/** The connection that received the project's request. */
const requestedOn = (server: HostileServer, id: string) =>
  Effect.map(
    until(() => server.connections.some((c) => c.received.some((f) => f.type === "jobRequest" && jobIdOf(f.payload) === id)), "the request"),
    () => server.connections.find((c) => c.received.some((f) => f.type === "jobRequest" && jobIdOf(f.payload) === id))!
  )

const jobIdOf = (payload: unknown): string | undefined =>
  typeof payload === "object" && payload !== null && typeof (payload as { jobID?: unknown }).jobID === "string"
    ? (payload as { jobID: string }).jobID.toUpperCase()
    : undefined

const hosted = (name: string) => `https://cdn.example.test/${name}.png`

describe("Projects against a hostile server", () => {
  it.scopedLive("garbage, wrong-typed and out-of-order frames of a live project are skipped or absorbed; it completes with its results", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { lines, projects } = yield* connect(server)
      const prepared = image(2)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      const seen: Array<ProjectState.ProjectEvent> = []
      project.listen((e) => seen.push(e))
      const conn = yield* requestedOn(server, id)
      const raw = (type: string, json: string) =>
        conn.sendRaw(`{"type":${JSON.stringify(type)},"data":"${Protocol.base64OfText(json)}"}`)
      // progress before the job started, with absurd numbers
      conn.send("jobProgress", { jobID: id, imgID: "A", step: 1, stepCount: 4 })
      conn.send("jobProgress", { jobID: id, imgID: "A", progress: -5 })
      conn.send("jobProgress", { jobID: id, imgID: "A", step: -3, stepCount: -1, etaSeconds: -7 })
      conn.send("jobETA", { jobID: id, imgID: "A", etaSeconds: -10 })
      conn.send("jobETA", { jobID: id, imgID: "A", etaSeconds: 1e308 })
      // wrong types, broken envelopes, unknown types
      raw("jobProgress", `{"jobID":"${id}","imgID":"A","step":"three"}`)
      raw("jobResult", `{"jobID":"${id}","imgID":7}`)
      raw("jobState", `{"type":"jobStarted","jobID":"${id}","imgID":"B","jobIndex":"one"}`)
      raw("jobProgress", `{"jobID":"${id}",`)
      conn.sendRaw(`{"type":"jobProgress","data":"%%%not base64%%%"}`)
      conn.sendRaw(`not a frame at all`)
      conn.send("noSuchEvent", { jobID: id })
      // the start after the progress, then the second job
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1, workerName: "w2" })
      conn.send("jobProgress", { jobID: id, imgID: "B", step: 2, stepCount: 4 })
      // a huge (1 MB) but valid result, then its duplicate
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a"), padding: "x".repeat(1_000_000) })
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a-again") })
      // a completion marker before the second job's result: the project waits for it
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      yield* until(() => seen.some((e) => e._tag === "JobCompleted"), "the first result")
      assert.strictEqual((yield* project.state).status, "processing")
      conn.send("jobResult", { jobID: id, imgID: "B", jobIndex: 1, resultUrl: hosted("b") })
      const results = yield* project.await
      assert.deepStrictEqual(results.map((r) => [r.jobIndex, r.url]), [[0, hosted("a")], [1, hosted("b")]])
      const state = yield* project.state
      assert.strictEqual(state.jobs.length, 2)
      assert.strictEqual(state.percent, 100)
      // reported progress stays within 0–100 and never goes down, whatever the server said
      let last = 0
      for (const e of seen) {
        if (e._tag !== "Progress") continue
        assert.isTrue(Number.isFinite(e.percent) && e.percent >= last && e.percent <= 100, `progress ${e.percent} after ${last}`)
        last = e.percent
      }
      for (const e of seen) {
        if (e._tag === "JobProgress") {
          assert.isTrue(e.percent >= 0 && e.percent <= 100 && e.step >= 0, `job progress ${e.percent} at step ${e.step}`)
          assert.isTrue(e.etaSeconds === undefined || e.etaSeconds >= 0, `job progress eta ${e.etaSeconds}`)
        }
        if (e._tag === "JobEta") assert.isTrue(Number.isFinite(e.etaSeconds) && e.etaSeconds >= 0, `eta ${e.etaSeconds}`)
      }
      // each skipped frame was logged, and the socket stayed up
      assert.isAtLeast(lines.filter((l) => /malformed|skipp|invalid/i.test(l.message)).length, 1)
      assert.strictEqual(server.connections.length, 1)
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  for (const via of ["handshake", "lookup"] as const) {
  it.scopedLive(`a cancel swallowed by a dying socket is sent again on the next connection when the ${via} shows the project running`, () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server, { cancelTimeout: "8 seconds" })
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const running = {
        id,
        status: "progress",
        imageCount: 1,
        stepCount: 4,
        workerJobs: [{ id: "A", imgID: "A", status: "jobStarted", performedSteps: 1, jobIndex: 0 }]
      }
      server.onConnection = (c) => c.authenticate(c.index === 0 || via === "lookup" ? {} : { activeProjects: [running] })
      server.rest = (method, path) =>
        method === "GET" && path === `/v2/projects/${id}` && via === "lookup" ? { status: 200, body: { status: "success", data: { project: running } } } : undefined
      server.onFrame = (c, frame) => {
        if (frame.type === "jobRequest") {
          c.send("jobState", { type: "queued", jobID: id, queuePosition: 1 })
          c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
          c.send("jobProgress", { jobID: id, imgID: "A", step: 1, stepCount: 4 })
        }
        if (frame.type === "jobError" && jobIdOf(frame.payload) === id) {
          // the first connection dies with the cancel unread; a later one confirms it
          if (c.index === 0) c.drop()
          else c.send("artistCancelConfirmation", { jobID: id, didCancel: true })
        }
      }
      const project = yield* projects.submit(prepared)
      yield* until(() => server.connections[0]!.received.some((f) => f.type === "jobRequest"), "the request")
      yield* until(() => server.connections.length > 0 && server.connections[0]!.received.length > 0, "frames")
      const canceled = yield* Effect.either(project.cancel)
      assert.isTrue(Either.isRight(canceled), Either.isLeft(canceled) ? `cancel failed: ${canceled.left.message}` : "")
      assert.strictEqual((yield* project.state).status, "canceled")
      assert.isTrue(server.connections.length >= 2)
      assert.isTrue(server.connections[1]!.received.some((f) => f.type === "jobError" && jobIdOf(f.payload) === id))
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })
  }
})
