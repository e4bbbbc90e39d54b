/**
 * Projects against a hostile server of the test's own (`hostileServer.ts`, real loopback sockets): frames
 * out of order, for unknown jobs, duplicated, wrong-typed or absurd; floods written in one turn; a
 * handshake that forgets a project; a cancel swallowed by a dying socket. What the emulator, at its own
 * pace and by the book, never sends.
 */
import { assert, describe, it } from "@effect/vitest"
import { Protocol } from "@effect-sogni/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { Projects } from "../src/index.js"
import { ProjectState } from "../src/index.js"
import { connectMedia, hosted, image, jobIdOf, type Settings } from "./hostileMedia.js"
import { type HostileServer, makeHostileServer, mintRoute, playInterleaved, receivedAny, until } from "./hostileServer.js"

const connect = (server: HostileServer, options: Projects.ProjectsOptions = {}, settings: Settings = {}) =>
  connectMedia(server, options, settings)

/** The connection that received the project's request. */
const requestedOn = (server: HostileServer, id: string) =>
  Effect.map(
    until(() => receivedAny(server, (f) => f.type === "jobRequest" && jobIdOf(f.payload) === id), "the request"),
    () => server.connections.find((c) => c.received.some((f) => f.type === "jobRequest" && jobIdOf(f.payload) === id))!
  )

/**
 * A project of `count` images submitted on a fresh hostile server (in the test's scope), its events
 * collected as they come, and the connection that received its request.
 */
const liveProject = (count: number) =>
  Effect.gen(function*() {
    const server = yield* makeHostileServer()
    const { lines, projects } = yield* connect(server)
    const prepared = image(count)
    const id = prepared.request.jobID.toUpperCase()
    const project = yield* projects.submit(prepared)
    const seen: Array<ProjectState.ProjectEvent> = []
    project.listen((e) => seen.push(e))
    const conn = yield* requestedOn(server, id)
    return { server, lines, projects, id, project, seen, conn }
  })

describe("Projects against a hostile server", () => {
  it.scopedLive("garbage, wrong-typed and out-of-order frames of a live project are skipped or absorbed; it completes with its results", () =>
    Effect.gen(function*() {
      const { conn, id, lines, project, projects, seen, server } = yield* liveProject(2)
      const raw = (type: string, json: string) =>
        conn.sendRaw(`{"type":${JSON.stringify(type)},"data":"${Protocol.base64OfText(json)}"}`)
      // a queue estimate far beyond any date, then progress before the job started, with absurd numbers
      conn.send("jobState", { type: "queued", jobID: id, queuePosition: 2, estimatedStartSeconds: 1e308 })
      conn.send("jobState", { type: "queued", jobID: id, queuePosition: 1, estimatedStartSeconds: -30 })
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
        if (e._tag === "Queued") assert.isUndefined(e.estimatedStartSeconds)
        if (e._tag === "JobEta") assert.isTrue(Number.isFinite(e.etaSeconds) && e.etaSeconds >= 0, `eta ${e.etaSeconds}`)
      }
      // each skipped frame was logged, and the socket stayed up
      assert.isAtLeast(lines.filter((l) => /malformed|skipp|invalid/i.test(l.message)).length, 1)
      assert.strictEqual(server.connections.length, 1)
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  it.scopedLive("absurd numbers (jobIndex -1, step 1e308, stepCount 0, ETAs of 1e308, a flood of negative steps) never reach an event; each is logged naming its field and rule, within a bound; nothing accepted is lost", () =>
    Effect.gen(function*() {
      const { conn, id, lines, project, projects, seen, server } = yield* liveProject(2)
      conn.send("jobState", { type: "queued", jobID: id, queuePosition: -1, estimatedStartSeconds: 1e308 })
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: -1 })
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1 })
      conn.send("jobProgress", { jobID: id, imgID: "A", step: 1e308, stepCount: 4 })
      conn.send("jobProgress", { jobID: id, imgID: "A", step: 2, stepCount: 0 })
      conn.send("jobProgress", { jobID: id, imgID: "A", step: 3, stepCount: 4, etaSeconds: 1e308, etaMin: -1, etaMax: 1e308 })
      conn.send("jobProgress", { jobID: id, imgID: "A", step: 9, stepCount: 4 })
      conn.send("jobETA", { jobID: id, imgID: "A", etaSeconds: 1e308 })
      // 1e309 is Infinity once parsed: the nearest a JSON frame comes to NaN
      conn.sendRaw(Protocol.encodeFrame("jobProgress", { jobID: id, imgID: "B", progress: 7 }).replace(
        Protocol.base64OfText(JSON.stringify({ jobID: id, imgID: "B", progress: 7 })),
        Protocol.base64OfText(`{"jobID":"${id}","imgID":"B","progress":1e309}`)
      ))
      conn.send("jobRetry", { jobID: id, imgID: "B", jobIndex: 1, attempt: -1, maxAttempts: 3 })
      for (let i = 0; i < 2500; i++) conn.send("jobProgress", { jobID: id, imgID: "B", step: -1 - i, stepCount: 4 })
      conn.send("jobProgress", { jobID: id, imgID: "B", step: 2, stepCount: 4 })
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      conn.send("jobResult", { jobID: id, imgID: "B", jobIndex: -1, resultUrl: hosted("b") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      const results = yield* project.await
      // nothing accepted is lost: both results, each in its slot
      assert.deepStrictEqual(results.map((r) => [r.jobIndex, r.imgID, r.url]), [[0, "A", hosted("a")], [1, "B", hosted("b")]])
      const count = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n >= 0)
      const eta = (n: number | undefined) => n === undefined || (n >= 0 && n <= ProjectState.maxEtaSeconds)
      for (const e of seen) {
        if (e._tag === "Queued") assert.isTrue(count(e.position) && eta(e.estimatedStartSeconds), JSON.stringify(e))
        if (e._tag === "JobStarted" || e._tag === "JobInitiating") assert.isTrue(count(e.jobIndex), JSON.stringify(e))
        if (e._tag === "JobProgress") {
          assert.isTrue(count(e.jobIndex) && count(e.stepCount) && e.step >= 0 && e.step <= e.stepCount, JSON.stringify(e))
          assert.isTrue(eta(e.etaSeconds) && eta(e.etaMin) && eta(e.etaMax), JSON.stringify(e))
        }
        if (e._tag === "JobEta") assert.isTrue(eta(e.etaSeconds), JSON.stringify(e))
        if (e._tag === "JobRetrying") assert.fail(`a retry with attempt -1 was applied: ${JSON.stringify(e)}`)
      }
      // the step count 0 (not known) kept 4; the step above it was clamped
      const stepsOfA = seen.flatMap((e) => (e._tag === "JobProgress" && e.imgID === "A" ? [[e.step, e.stepCount]] : []))
      assert.deepStrictEqual(stepsOfA, [[2, 4], [3, 4], [4, 4]])
      // the first few logged one by one, naming the frame, the field and the rule; then a count, not a line each
      const malformed = lines.filter((l) => l.message.includes(`project ${id}:`) && /malformed/.test(l.message))
      const text = malformed.map((l) => l.message).join("\n")
      assert.include(text, `ignored a malformed field of a jobState frame: queuePosition -1 is not ${ProjectState.frameRules.count}`)
      assert.include(text, `skipped a malformed jobState frame: jobIndex -1 is not ${ProjectState.frameRules.count}`)
      assert.include(text, `skipped a malformed jobProgress frame: step 1e+308 is not ${ProjectState.frameRules.step}`)
      // 2511 malformed fields (11 above, 2500 in the flood): 5 lines, one at the 1000th and the 2000th, and the
      // count at the end
      assert.strictEqual(malformed.length, 5 + 2 + 1, text)
      assert.match(text, /2511 malformed frame fields in all \(2506 of them not logged one by one\)/)
      assert.isTrue(malformed.every((l) => l.level === "WARN"))
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

  it.scopedLive("a project the server forgot across a reconnect fails typed (projectLost), and one it never read is sent again and completes", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server, { reconnectCheck: "200 millis" })
      const admitted = image(1)
      const unread = image(1)
      const admittedId = admitted.request.jobID.toUpperCase()
      const unreadId = unread.request.jobID.toUpperCase()
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        const id = jobIdOf(frame.payload)
        if (c.index === 0 && id === admittedId) c.send("jobState", { type: "queued", jobID: id, queuePosition: 1 })
        if (c.index > 0 && id === unreadId) {
          c.send("jobState", { type: "jobStarted", jobID: id, imgID: "U", jobIndex: 0 })
          c.send("jobResult", { jobID: id, imgID: "U", jobIndex: 0, resultUrl: hosted("u") })
          c.send("jobState", { type: "jobCompleted", jobID: id })
        }
      }
      const lost = yield* Effect.fork(projects.run(admitted))
      yield* until(() => server.connections[0]?.received.some((f) => jobIdOf(f.payload) === admittedId) === true, "the first request")
      // the second request is written, then the socket dies before the server acknowledged (or read) it
      const resent = yield* Effect.fork(projects.run(unread))
      yield* until(() => server.connections[0]!.received.some((f) => jobIdOf(f.payload) === unreadId), "the second request")
      server.connections[0]!.drop()
      // the next handshake lists nothing and the REST lookups answer 404
      const outcome = yield* Effect.either(lost.await.pipe(Effect.flatten))
      assert.isTrue(Either.isLeft(outcome))
      if (Either.isLeft(outcome)) {
        const error = outcome.left
        assert(error._tag === "SogniProjectError", `unexpected ${error._tag}: ${error.message}`)
        assert.strictEqual(error.originalCode, "projectLost")
      }
      const results = yield* resent.await.pipe(Effect.flatten)
      assert.deepStrictEqual(results.map((r) => r.url), [hosted("u")])
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  it.scopedLive("a burst: 40 projects × 300 progress frames written in one turn arrive in order; every project completes", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const count = 40
      const steps = 300
      const prepared = Array.from({ length: count }, () => image(1, steps))
      const ids = prepared.map((p) => p.request.jobID.toUpperCase())
      const handles = yield* Effect.forEach(prepared, (p) => projects.submit(p))
      const stepsSeen = new Map<string, Array<number>>()
      for (const h of handles) {
        const seen: Array<number> = []
        stepsSeen.set(h.id, seen)
        h.listen((e) => {
          if (e._tag === "JobProgress") seen.push(e.step)
        })
      }
      yield* until(() => server.connections[0]?.received.filter((f) => f.type === "jobRequest").length === count, "the requests")
      const conn = server.connections[0]!
      playInterleaved(conn, ids, steps, hosted)
      const results = yield* Effect.forEach(handles, (h) => h.await)
      assert.deepStrictEqual(results.map((r) => r.map((x) => x.url)), ids.map((id) => [hosted(id)]))
      for (const h of handles) {
        const seen = stepsSeen.get(h.id)!
        assert.deepStrictEqual(seen, Array.from({ length: steps }, (_, i) => i + 1), `steps of ${h.id}`)
      }
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  it.scopedLive("a burst of progress before the first subscriber does not push the project's lifecycle events out of the held backlog", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(2, 3000)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      yield* until(() => server.connections[0]?.received.some((f) => f.type === "jobRequest") === true, "the request")
      const conn = server.connections[0]!
      conn.send("jobState", { type: "queued", jobID: id, queuePosition: 3 })
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1 })
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      for (let s = 1; s <= 2000; s++) conn.send("jobProgress", { jobID: id, imgID: "B", step: s, stepCount: 3000 })
      yield* project.state.pipe(
        Effect.flatMap((st) => (st.jobs[1]?.step === 2000 ? Effect.void : Effect.fail("not yet" as const))),
        Effect.retry(Schedule.spaced("10 millis"))
      )
      // the first subscriber comes late: it must still see what happened to the project so far
      const seen: Array<ProjectState.ProjectEvent> = []
      project.listen((e) => seen.push(e))
      conn.send("jobResult", { jobID: id, imgID: "B", jobIndex: 1, resultUrl: hosted("b") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      yield* project.await
      const lifecycle = seen.filter((e) => e._tag !== "JobProgress" && e._tag !== "Progress").map((e) =>
        e._tag === "JobCompleted" ? `${e._tag}:${e.result.imgID}` : e._tag === "JobStarted" ? `${e._tag}:${e.imgID}` : e._tag
      )
      assert.deepStrictEqual(lifecycle, ["Queued", "JobStarted:A", "JobStarted:B", "JobCompleted:A", "JobCompleted:B", "Completed"])
      // the newest progress is held, not the oldest
      const steps = seen.flatMap((e) => (e._tag === "JobProgress" ? [e.step] : []))
      assert.strictEqual(steps.at(-1), 2000)
    }), { timeout: 30_000 })

  it.scopedLive("a flood of jobETA frames for a subscriber that does not pull is held within the buffer's capacity, lifecycle kept", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      yield* until(() => server.connections[0]?.received.some((f) => f.type === "jobRequest") === true, "the request")
      const conn = server.connections[0]!
      const pull = yield* Stream.toPull(project.events)
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
      yield* pull // subscribed; from now on nothing is pulled while the flood arrives
      for (let i = 0; i < 5000; i++) conn.send("jobETA", { jobID: id, imgID: "A", etaSeconds: 5000 - i })
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      yield* project.await
      const held = Chunk.toReadonlyArray(yield* pull)
      assert.isAtMost(held.length, 1024 + 8)
      assert.deepStrictEqual(held.filter((e) => e._tag === "JobCompleted" || e._tag === "Completed").map((e) => e._tag), ["JobCompleted", "Completed"])
      const etas = held.flatMap((e) => (e._tag === "JobEta" ? [e.etaSeconds] : []))
      assert.strictEqual(etas.at(-1), 1) // the newest kept
    }), { timeout: 30_000 })

  it.scopedLive("a flood of jobRetry frames with rising attempts for a subscriber that does not pull stays bounded: the newest retry kept, lifecycle in order", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      const conn = yield* requestedOn(server, id)
      const pull = yield* Stream.toPull(project.events)
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
      const first = Chunk.toReadonlyArray(yield* pull) // subscribed; from now on nothing is pulled while the flood arrives
      // every notice names the attempt after the last one counted: each is a new retry (20,000 of them)
      for (let attempt = 1; attempt <= 20_000; attempt++) {
        conn.send("jobRetry", { jobID: id, imgID: "A", jobIndex: 0, attempt, maxAttempts: 3, error: "workerDisconnected", error_message: "gone" })
      }
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w2" })
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      assert.deepStrictEqual((yield* project.await).map((r) => r.url), [hosted("a")])
      assert.strictEqual((yield* project.state).jobs[0]!.attempt, 20_001)
      const held = Chunk.toReadonlyArray(yield* pull)
      assert.isAtMost(held.length, 1024 + 8)
      const lifecycle = [...first, ...held].filter((e) => e._tag !== "Progress" && e._tag !== "JobProgress" && e._tag !== "JobRetrying")
        .map((e) => (e._tag === "JobStarted" ? `${e._tag}:${e.workerName}` : e._tag))
      assert.deepStrictEqual(lifecycle, ["JobStarted:w1", "JobStarted:w2", "JobCompleted", "Completed"])
      // the retries delivered are in the order they happened, the newest among them, all before the restart
      const retries = held.flatMap((e) => (e._tag === "JobRetrying" ? [e.attempt] : []))
      assert.isAbove(retries.length, 0)
      assert.strictEqual(retries.at(-1), 20_001)
      for (let i = 1; i < retries.length; i++) assert.isAbove(retries[i]!, retries[i - 1]!)
      const tags = held.map((e) => e._tag)
      assert.isBelow(tags.lastIndexOf("JobRetrying"), tags.indexOf("JobStarted"))
    }), { timeout: 60_000 })

  it.scopedLive("a flood of jobRetry frames before the first subscriber: the held backlog keeps the job's start and its newest retry", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      const conn = yield* requestedOn(server, id)
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
      for (let attempt = 1; attempt <= 20_000; attempt++) {
        conn.send("jobRetry", { jobID: id, imgID: "A", jobIndex: 0, attempt, maxAttempts: 3, error: "workerDisconnected", error_message: "gone" })
      }
      yield* project.state.pipe(
        Effect.flatMap((st) => (st.jobs[0]?.attempt === 20_001 ? Effect.void : Effect.fail("not yet" as const))),
        Effect.retry(Schedule.spaced("10 millis"))
      )
      // the first subscriber comes late: it must still see the job start and where its retries stand
      const seen: Array<ProjectState.ProjectEvent> = []
      project.listen((e) => seen.push(e))
      assert.isAtMost(seen.length, 1024)
      assert.deepStrictEqual(seen[0]?._tag, "JobStarted")
      const retries = seen.flatMap((e) => (e._tag === "JobRetrying" ? [e.attempt] : []))
      assert.strictEqual(retries.at(-1), 20_001)
      for (let i = 1; i < retries.length; i++) assert.isAbove(retries[i]!, retries[i - 1]!)
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      yield* project.await
      assert.strictEqual(seen.at(-1)?._tag, "Completed")
    }), { timeout: 60_000 })

  it.scopedLive("a server that goes silent mid-project, socket and REST lookups alike: the project fails Timeout, nothing hangs", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server, { idleTimeout: "300 millis" }, { requestTimeout: "400 millis", restRetries: 0 })
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      server.rest = () => "hang"
      server.onFrame = (c, frame) => {
        if (frame.type === "jobRequest") c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        // from then on: nothing (no progress, no answer to anything, the lookups never answered)
      }
      const outcome = yield* Effect.either(projects.run(prepared))
      assert.isTrue(Either.isLeft(outcome))
      if (Either.isLeft(outcome)) {
        const error = outcome.left
        assert(error._tag === "SogniProjectError", `unexpected ${error._tag}: ${error.message}`)
        assert.strictEqual(error.reason, "Timeout")
        assert.strictEqual(error.originalCode, "idleTimeout")
      }
      // the server was told (the official client's watchdog sends the cancel too)
      yield* until(() => receivedAny(server, (f) => f.type === "jobError" && jobIdOf(f.payload) === id), "the cancel")
      assert.deepStrictEqual(yield* projects.active, [])
      // one unanswered lookup is the verdict: the expiry does not ask a silent host a second time
      assert.strictEqual(server.restCalls.filter((c) => c === `GET /v2/projects/${id}`).length, 1)
    }), { timeout: 30_000 })

  it.scopedLive("a flood of preview frames (hasImage on every progress) mints one preview at a time per job, the latest last", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      let minted = 0
      server.rest = (method, path) =>
        method === "GET" && path === "/v1/image/downloadUrl"
          ? { status: 200, body: { status: "success", data: { downloadUrl: `https://cdn.example.test/preview-${++minted}.png` } } }
          : undefined
      const prepared = image(1, 1000)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      const previews: Array<string> = []
      project.listen((e) => {
        if (e._tag === "Preview") previews.push(e.url)
      })
      yield* until(() => server.connections[0]?.received.some((f) => f.type === "jobRequest") === true, "the request")
      const conn = server.connections[0]!
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
      for (let s = 1; s <= 500; s++) conn.send("jobProgress", { jobID: id, imgID: "A", step: s, stepCount: 1000, hasImage: true })
      yield* until(() => previews.length > 0 && previews.at(-1) === `https://cdn.example.test/preview-${minted}.png`, "the last preview")
      // the frames arrived in a few reads: far fewer mints than frames, none of them concurrent for the job
      assert.isAtMost(minted, 50, `${minted} preview mints for 500 frames`)
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      yield* project.await
    }), { timeout: 30_000 })

  const withUpload = (prepared: Projects.Prepared): Projects.Prepared => ({
    ...prepared,
    uploads: [[{ slot: "startingImage", endpoint: "image", bytes: new Uint8Array(64 * 1024).fill(7), contentType: "image/png" }]]
  })

  it.scopedLive("an upload whose connection drops mid-transfer fails the project typed; its request is never sent", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server, {}, { restRetries: 1 })
      server.rest = (method, path) =>
        method === "GET" && path === "/v1/image/uploadUrl"
          ? { status: 200, body: { status: "success", data: { uploadUrl: `${server.url}/signed-upload` } } }
          : method === "PUT" && path === "/signed-upload"
          ? "drop"
          : undefined
      const prepared = withUpload(image(1))
      const outcome = yield* Effect.either(projects.run(prepared))
      assert.isTrue(Either.isLeft(outcome))
      if (Either.isLeft(outcome)) {
        const error = outcome.left
        assert(error._tag === "SogniProjectError", `unexpected ${error._tag}: ${error.message}`)
        assert.strictEqual(error.reason, "Failed")
        assert.match(error.message, /could not be uploaded/)
      }
      assert.isTrue(server.restCalls.includes("PUT /signed-upload"))
      assert.isFalse(receivedAny(server, (f) => f.type === "jobRequest"))
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  it.scopedLive("interrupting a project while its upload hangs releases it at once: no cancel for a request the server never had", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { lines, projects } = yield* connect(server)
      server.rest = (method, path) =>
        method === "GET" && path === "/v1/image/uploadUrl"
          ? { status: 200, body: { status: "success", data: { uploadUrl: `${server.url}/signed-upload` } } }
          : method === "PUT" && path === "/signed-upload"
          ? "hang"
          : undefined
      const prepared = withUpload(image(1))
      const id = prepared.request.jobID.toUpperCase()
      const fiber = yield* Effect.fork(Stream.runDrain(projects.events(prepared)))
      yield* until(() => server.restCalls.includes("PUT /signed-upload"), "the upload")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* projects.active, [])
      // nothing about the project went out: neither its request nor a cancel the server could not answer
      assert.isFalse(receivedAny(server, (f) => jobIdOf(f.payload) === id))
      assert.isFalse(lines.some((l) => /did not complete/.test(l.message)), lines.map((l) => l.message).join("\n"))
    }), { timeout: 30_000 })

  it.scopedLive("cancel() while the uploads run cancels at once, locally: the project ends Canceled and its request is never sent", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      server.rest = (method, path) =>
        method === "GET" && path === "/v1/image/uploadUrl"
          ? { status: 200, body: { status: "success", data: { uploadUrl: `${server.url}/signed-upload` } } }
          : method === "PUT" && path === "/signed-upload"
          ? "hang"
          : undefined
      const prepared = withUpload(image(1))
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      yield* until(() => server.restCalls.includes("PUT /signed-upload"), "the upload")
      yield* project.cancel
      const outcome = yield* Effect.either(project.await)
      assert.isTrue(Either.isLeft(outcome) && outcome.left.reason === "Canceled")
      assert.strictEqual((yield* project.state).status, "canceled")
      assert.deepStrictEqual(yield* projects.active, [])
      assert.isFalse(receivedAny(server, (f) => jobIdOf(f.payload) === id))
    }), { timeout: 30_000 })

  it.scopedLive("the socket drops between the jobs' results and the end: the handshake's finished record ends it; results whose URLs were being minted keep them", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      server.rest = mintRoute("https://signed.example.test/result")
      const prepared = image(2)
      const id = prepared.request.jobID.toUpperCase()
      const finished = {
        id,
        status: "completed",
        imageCount: 2,
        stepCount: 4,
        completedWorkerJobs: [
          { id: "A", imgID: "A", status: "jobCompleted", performedSteps: 4, jobIndex: 0 },
          { id: "B", imgID: "B", status: "jobCompleted", performedSteps: 4, jobIndex: 1 }
        ]
      }
      server.onConnection = (c) => c.authenticate(c.index === 0 ? {} : { unclaimedCompletedProjects: [finished] })
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1 })
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobResult", { jobID: id, imgID: "B", jobIndex: 1 })
        // the end marker never comes: the socket dies first
        setTimeout(() => c.drop(), 20)
      }
      const results = yield* projects.run(prepared)
      assert.deepStrictEqual(results.map((r) => r.imgID), ["A", "B"])
      assert.isTrue(results.every((r) => typeof r.url === "string" && r.url.startsWith("https://signed.example.test/")))
      assert.strictEqual(server.connections.length, 2)
    }), { timeout: 30_000 })

  it.scopedLive("the socket drops after every result arrived and the server forgot the project: the results are kept, not failed as lost", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(2)
      const id = prepared.request.jobID.toUpperCase()
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest" || c.index > 0) return
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1 })
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
        c.send("jobResult", { jobID: id, imgID: "B", jobIndex: 1, resultUrl: hosted("b") })
        setTimeout(() => c.drop(), 20)
      }
      // the next handshake lists nothing and GET /v2/projects/{id} answers 404
      const outcome = yield* Effect.either(projects.run(prepared))
      assert.isTrue(Either.isRight(outcome), Either.isLeft(outcome) ? outcome.left.message : "")
      if (Either.isRight(outcome)) assert.deepStrictEqual(outcome.right.map((r) => r.url), [hosted("a"), hosted("b")])
    }), { timeout: 30_000 })

  it.scopedLive("a handshake whose recovery lists hold malformed entries still authenticates; the good entries are adopted, the rest skipped", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const adoptedId = Protocol.makeId().toUpperCase()
      server.onConnection = (c) =>
        c.authenticate({
          activeProjects: [
            { nonsense: true },
            { id: 42, status: "progress" },
            { id: adoptedId, status: "progress", imageCount: 1, stepCount: 4, workerJobs: [{ id: "R", imgID: "R", status: "jobStarted", jobIndex: 0 }] }
          ],
          unclaimedCompletedProjects: [null, "x"]
        })
      const { lines, projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
        c.send("jobState", { type: "jobCompleted", jobID: id })
      }
      const results = yield* projects.run(prepared)
      assert.deepStrictEqual(results.map((r) => r.url), [hosted("a")])
      const adopted = yield* projects.get(adoptedId)
      assert.isTrue(adopted._tag === "Some", `adopted: ${lines.map((l) => l.message).join("\n")}`)
    }), { timeout: 30_000 })

  it.scopedLive("a server that repeats its handshake 300 times on one socket: one post-reconnect lookup per project, not one per frame", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server, { reconnectCheck: "300 millis" })
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const running = { id, status: "progress", imageCount: 1, stepCount: 4, workerJobs: [{ id: "A", imgID: "A", status: "jobStarted", jobIndex: 0 }] }
      server.rest = (method, path) =>
        method === "GET" && path === `/v2/projects/${id}` ? { status: 200, body: { status: "success", data: { project: running } } } : undefined
      const project = yield* projects.submit(prepared)
      yield* until(() => server.connections[0]?.received.some((f) => f.type === "jobRequest") === true, "the request")
      const conn = server.connections[0]!
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
      for (let i = 0; i < 300; i++) conn.authenticate({ activeProjects: [running] })
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 4_000)))
      const lookups = server.restCalls.filter((c) => c === `GET /v2/projects/${id}`).length
      assert.isAtMost(lookups, 3, `${lookups} lookups`)
      conn.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      assert.deepStrictEqual((yield* project.await).map((r) => r.url), [hosted("a")])
    }), { timeout: 30_000 })

  it.scopedLive("a duplicated jobRetry frame counts one retry: one JobRetrying event, the job on its second attempt", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects } = yield* connect(server)
      const prepared = image(1)
      const id = prepared.request.jobID.toUpperCase()
      const project = yield* projects.submit(prepared)
      const seen: Array<ProjectState.ProjectEvent> = []
      project.listen((e) => seen.push(e))
      const conn = yield* requestedOn(server, id)
      const retry = { jobID: id, imgID: "A", jobIndex: 0, attempt: 1, maxAttempts: 3, error: "workerDisconnected", error_message: "gone" }
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
      conn.send("jobRetry", retry)
      conn.send("jobRetry", retry)
      conn.send("jobState", { type: "jobStarted", jobID: id, imgID: "A2", jobIndex: 0, workerName: "w2" })
      conn.send("jobResult", { jobID: id, imgID: "A2", jobIndex: 0, resultUrl: hosted("a2") })
      conn.send("jobState", { type: "jobCompleted", jobID: id })
      assert.deepStrictEqual((yield* project.await).map((r) => r.url), [hosted("a2")])
      const retries = seen.flatMap((e) => (e._tag === "JobRetrying" ? [e.attempt] : []))
      assert.deepStrictEqual(retries, [2])
      assert.strictEqual((yield* project.state).jobs[0]!.attempt, 2)
    }), { timeout: 30_000 })
})
