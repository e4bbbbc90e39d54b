/**
 * Projects under faults, against the emulator over real loopback sockets: frames withheld by the server
 * (`delayFrames`), sockets dropped at chosen moments, a server that stops answering. Each test has its
 * own emulator: the faults are global to an emulator.
 */
import { assert, describe, it } from "@effect/vitest"
import { SogniSocket } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Media, Projects, ProjectState } from "../src/index.js"
import { imageProject } from "./imageProject.js"

const connect = (
  emulator: Emulator.Service,
  options: Projects.ProjectsOptions = {},
  socket: { readonly authenticatedFallback?: Duration.DurationInput } = {}
) => {
  const appId = `faults-${crypto.randomUUID()}`
  return Effect.map(
    Layer.build(
      Media.layer({
        appId,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl,
        reconnectBase: "50 millis",
        ...socket
      }, options)
    ),
    (ctx) => ({ projects: Context.get(ctx, Projects.Projects), socket: Context.get(ctx, SogniSocket.SogniSocket), appId })
  )
}

const image = imageProject

/** Polls the emulator until the project reached `status` (bounded by the test's timeout). */
const untilStatus = (emulator: Emulator.Service, id: string, status: string) =>
  emulator.control.getProject(id).pipe(
    Effect.flatMap((info) => (info.status === status ? Effect.void : Effect.fail("not yet" as const))),
    Effect.retry(Schedule.spaced("25 millis")),
    Effect.orDie
  )

/** The emulator for one test, with every fault cleared when it ends. */
const withEmulator = <A, E, R>(body: (emulator: Emulator.Service) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    return yield* Effect.ensuring(body(emulator), emulator.control.clearFaults)
  }).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 })))

describe("Projects under faults", () => {
  it.scopedLive("frames lost after the server finished: the idle deadline looks the project up and completes it", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { projects } = yield* connect(emulator, { idleTimeout: "400 millis" })
        assert.strictEqual((yield* projects.run(image(1, "warm-up"))).length, 1) // connected and authenticated
        // from now on the server's frames are held for a minute: the client hears nothing of the project
        yield* emulator.control.delayFrames(60_000)
        const prepared = image(2, "an unheard harbour")
        const results = yield* projects.run(prepared)
        assert.deepStrictEqual(results.map((r) => r.jobIndex), [0, 1])
        assert.isTrue(results.every((r) => typeof r.url === "string" && r.url.startsWith(emulator.url)))
        assert.strictEqual((yield* emulator.control.getProject(prepared.request.jobID)).status, "completed")
      })
    ), { timeout: 30_000 })

  it.scopedLive("lost jobRetry frames: the server's record of the new attempts completes the project, no extra jobs", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { appId, projects } = yield* connect(emulator)
        const prepared = image(2, "a stubborn kite [[retry]] [[slow]]", 8)
        const project = yield* projects.submit(prepared)
        // both first attempts are running and known to the client…
        yield* project.events.pipe(Stream.filter((e) => e._tag === "JobStarted"), Stream.take(2), Stream.runDrain)
        // …then every frame is held: the jobRetry notices, the new attempts, the results and the end
        yield* emulator.control.delayFrames(20_000)
        yield* untilStatus(emulator, prepared.request.jobID, "completed")
        const info = yield* emulator.control.getProject(prepared.request.jobID)
        assert.isTrue(info.jobs.every((j) => j.attempt === 2), "every job was retried once")
        // the held frames die with the socket; the next handshake does not list the project (it ended
        // while a socket was attached), so the client reads the server's record of it
        yield* emulator.control.dropConnection({ appId, abnormal: true })
        yield* emulator.control.delayFrames(0)
        const results = yield* project.await
        assert.strictEqual(results.length, 2)
        assert.deepStrictEqual(new Set(results.map((r) => r.imgID)), new Set(info.jobs.map((j) => j.imgID)))
        assert.isTrue(results.every((r) => typeof r.url === "string"))
        assert.strictEqual((yield* project.state).jobs.length, 2)
      })
    ), { timeout: 30_000 })

  it.scopedLive("a project outliving projectTimeout fails with reason Timeout and is canceled upstream", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { projects } = yield* connect(emulator, { projectTimeout: "700 millis" })
        const prepared = image(2, "an endless glacier [[slow]]", 8)
        const outcome = yield* Effect.either(projects.run(prepared))
        assert.isTrue(Either.isLeft(outcome), "the project must not complete")
        if (Either.isLeft(outcome)) {
          const error = outcome.left
          assert(error._tag === "SogniProjectError", `unexpected ${error._tag}: ${error.message}`)
          assert.strictEqual(error.reason, "Timeout")
          assert.strictEqual(error.originalCode, "projectTimeout")
        }
        yield* untilStatus(emulator, prepared.request.jobID, "cancelled")
        assert.deepStrictEqual(yield* projects.active, [])
      })
    ), { timeout: 30_000 })

  it.scopedLive("reconnect: a project the server finished while its frames died is looked up, not resent and failed", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { appId, projects } = yield* connect(emulator)
        assert.strictEqual((yield* projects.run(image(1, "warm-up"))).length, 1)
        // the server takes and finishes the project, but every frame about it waits in the outbox…
        yield* emulator.control.delayFrames(5_000)
        const prepared = image(1, "a quick sketch", 2)
        const project = yield* projects.submit(prepared)
        yield* untilStatus(emulator, prepared.request.jobID, "completed")
        // …and dies with the socket: the next handshake lists nothing (the end was sent to a live socket)
        yield* emulator.control.dropConnection({ appId, abnormal: true })
        yield* emulator.control.clearFaults
        const results = yield* project.await
        assert.strictEqual(results.length, 1)
        assert.isString(results[0]!.url)
        assert.strictEqual((yield* project.state).status, "completed")
      })
    ), { timeout: 30_000 })

  it.scopedLive("reconnect: a project the handshake listed as running, whose end was then lost, ends at reconnectCheck (not the idle deadline)", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        // the idle deadline stays at its 2-minute default: only the post-reconnect check can end it in time
        const { appId, projects } = yield* connect(emulator, { reconnectCheck: "4 seconds" })
        assert.strictEqual((yield* projects.run(image(1, "warm-up"))).length, 1)
        const prepared = image(2, "a lantern in fog [[slow]]", 8)
        const project = yield* projects.submit(prepared)
        yield* project.events.pipe(Stream.filter((e) => e._tag === "JobStarted"), Stream.take(1), Stream.runDrain)
        // the socket dies mid-run; the next handshake lists the project as running…
        const before = (yield* emulator.control.listConnections).filter((c) => c.appId === appId).map((c) => c.connectionId)
        yield* emulator.control.dropConnection({ appId, abnormal: true })
        yield* emulator.control.listConnections.pipe(
          Effect.flatMap((cs) =>
            cs.some((c) => c.appId === appId && !before.includes(c.connectionId)) ? Effect.void : Effect.fail("not yet" as const)
          ),
          Effect.retry(Schedule.spaced("10 millis")),
          Effect.orDie
        )
        yield* Effect.sleep("50 millis") // the handshake is written
        // …and every later frame about it is held: the client never hears the end
        yield* emulator.control.delayFrames(60_000)
        yield* untilStatus(emulator, prepared.request.jobID, "completed")
        const results = yield* project.await
        assert.strictEqual(results.length, 2)
        assert.isTrue(results.every((r) => typeof r.url === "string"))
        assert.strictEqual((yield* project.state).status, "completed")
      })
    ), { timeout: 30_000 })

  it.scopedLive("reconnect: a project written before the handshake was counted, found by the lookup, still ends when its end frames are lost", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        // the socket writes held requests once the server answered a ping, 200 ms into a connection
        // whose `authenticated` has not arrived yet (the soak's race between the writer and the
        // handshake, made deterministic)
        const { appId, projects } = yield* connect(emulator, {}, { authenticatedFallback: "200 millis" })
        assert.strictEqual((yield* projects.run(image(1, "warm-up"))).length, 1)
        // the next handshake is held 1.5 s: the request goes out on the new connection before it
        yield* emulator.control.delayFrames(1_500)
        const before = (yield* emulator.control.listConnections).filter((c) => c.appId === appId).map((c) => c.connectionId)
        yield* emulator.control.dropConnection({ appId, abnormal: true })
        yield* emulator.control.listConnections.pipe(
          Effect.flatMap((cs) =>
            cs.some((c) => c.appId === appId && !before.includes(c.connectionId)) ? Effect.void : Effect.fail("not yet" as const)
          ),
          Effect.retry(Schedule.spaced("10 millis")),
          Effect.orDie
        )
        const prepared = image(2, "a late ferry [[slow]]", 8)
        const project = yield* projects.submit(prepared)
        // the handshake (taken before the request arrived) does not list it: the reconcile looks it
        // up, finds it running and replays the server's record
        yield* project.state.pipe(
          Effect.flatMap((s) => (s.admitted ? Effect.void : Effect.fail("not yet" as const))),
          Effect.retry(Schedule.spaced("25 millis")),
          Effect.orDie
        )
        // from now on nothing reaches the client, and the end dies with the socket; the next handshake
        // does not list the project (it ended while a socket was attached)
        yield* emulator.control.delayFrames(60_000)
        yield* untilStatus(emulator, prepared.request.jobID, "completed")
        yield* emulator.control.dropConnection({ appId, abnormal: true })
        yield* emulator.control.delayFrames(0)
        // the idle deadline stays at its 2-minute default: the reconnect must find the end
        const results = yield* project.await
        assert.strictEqual(results.length, 2)
        assert.isTrue(results.every((r) => typeof r.url === "string"))
        assert.strictEqual((yield* project.state).status, "completed")
      })
    ), { timeout: 30_000 })

  it.scopedLive("reconnect: when the lookup fails and the resend is refused with 'already exists', the project is looked up, not failed", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { appId, projects } = yield* connect(emulator)
        assert.strictEqual((yield* projects.run(image(1, "warm-up"))).length, 1)
        yield* emulator.control.delayFrames(5_000)
        const prepared = image(1, "a second sketch", 2)
        const project = yield* projects.submit(prepared)
        yield* untilStatus(emulator, prepared.request.jobID, "completed")
        // the lookup before the resend is refused (not retried), so the request goes out again
        yield* emulator.control.failRest({ count: 1, status: 400, pathPrefix: "/v2/projects", message: "lookup refused" })
        yield* emulator.control.dropConnection({ appId, abnormal: true })
        yield* emulator.control.delayFrames(0)
        const results = yield* project.await
        assert.strictEqual(results.length, 1)
        assert.isString(results[0]!.url)
      })
    ), { timeout: 30_000 })

  it.scopedLive("interrupting a project on a silent server returns within interruptCancelTimeout", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { projects } = yield* connect(emulator, { interruptCancelTimeout: "300 millis" })
        const prepared = image(2, "a slow river [[slow]]", 8)
        const started = yield* Effect.makeLatch(false)
        const fiber = yield* projects.events(prepared).pipe(
          Stream.tap((e) => (e._tag === "JobStarted" ? started.open : Effect.void)),
          Stream.runDrain,
          Effect.fork
        )
        yield* started.await
        // the server goes silent: no cancel confirmation (nor anything else) will arrive
        yield* emulator.control.delayFrames(120_000)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        // the cancel frame did reach the server (client → server is not delayed)
        yield* untilStatus(emulator, prepared.request.jobID, "cancelled")
      })
    ), { timeout: 30_000 })

  it.scopedLive("interrupting run while it waits cancels the project upstream and releases it; the service runs on", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { projects } = yield* connect(emulator)
        const prepared = image(2, "a slow river [[slow]]", 8)
        const fiber = yield* Effect.fork(projects.run(prepared))
        // the project run tracks, once its request is out and it reports progress
        const project = yield* projects.get(prepared.request.jobID).pipe(
          Effect.flatten,
          Effect.retry(Schedule.spaced("10 millis"))
        )
        yield* project.events.pipe(Stream.filter((e) => e._tag === "JobProgress"), Stream.take(1), Stream.runDrain)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        // the interruption waited for the cancel's confirmation and released the project
        assert.strictEqual((yield* project.state).status, "canceled")
        assert.deepStrictEqual(yield* projects.active, [])
        yield* untilStatus(emulator, prepared.request.jobID, "cancelled")
        // the abandoned wait is inert: a later run on the same service completes
        assert.strictEqual((yield* projects.run(image(1, "a calm lake", 2))).length, 1)
      })
    ), { timeout: 30_000 })

  it.scopedLive("a silent project the server still runs keeps waiting through idle lookups and completes", () =>
    withEmulator((emulator) =>
      Effect.gen(function*() {
        const { projects } = yield* connect(emulator, { idleTimeout: "150 millis" })
        assert.strictEqual((yield* projects.run(image(1, "warm-up"))).length, 1)
        // frames held for 2 s while a [[slow]] project runs longer than several idle periods
        yield* emulator.control.delayFrames(2_000)
        const project = yield* projects.submit(image(1, "a patient heron [[slow]]", 6))
        const results = yield* project.await
        assert.strictEqual(results.length, 1)
        assert.strictEqual((yield* project.state).status, "completed")
        void ProjectState
      })
    ), { timeout: 30_000 })
})

describe("Projects after a reopen", () => {
  // Every end for good is handled, each once: the projects in flight at a second (and third) end, after the
  // socket was reopened, fail at once with that close's typed error (the `SogniAuthenticationError` itself). The emulator runs so slowly (a [[slow]]
  // step takes 12 s) and the idle deadline is so far off that only the end watcher can settle them in time.
  it.scopedLive("4015, reopen, a project, 4010: it fails naming the 4010; reopen, a project, 4021: it fails naming the 4021", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const { appId, projects, socket } = yield* connect(emulator, { idleTimeout: "10 minutes" })
      /** Closes the connection with `code` and waits until the socket took it as an end for good. */
      const endWith = (code: number) =>
        Effect.gen(function*() {
          const ended = yield* Effect.fork(socket.awaitTerminal)
          assert.strictEqual((yield* emulator.control.dropConnection({ appId, code, reason: `closed ${code}` })).dropped, 1)
          return yield* Fiber.join(ended)
        })
      /** A project the server admitted and is still rendering (for minutes at this speed). */
      const running = (prompt: string) =>
        Effect.gen(function*() {
          const prepared = image(1, `${prompt} [[slow]]`, 8)
          const project = yield* projects.submit(prepared)
          yield* emulator.control.getProject(prepared.request.jobID).pipe(
            Effect.retry(Schedule.spaced("25 millis")),
            Effect.orDie
          )
          return { project, id: prepared.request.jobID }
        })
      /**
       * The project's failure: the end's own error, as a refused send's (round 40; it was a `SogniProjectError`
       * naming it), its data naming the end for good that ended it (its error and close code).
       */
      const failedBy = (project: Projects.Project, tag: "SogniAuthenticationError", code: number) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(project.await)
          assert(error._tag === tag, `unexpected ${error._tag}: ${error.message}`)
          assert.strictEqual(error.closeCode, code)
          assert.include(error.message, `${code} (closed ${code})`)
          const state = yield* project.state
          assert.strictEqual(state.status, "failed")
          assert.strictEqual(state.error?.originalCode, "connectionClosed")
          assert.include(state.error?.message, tag)
          assert.include(state.error?.message, `${code} (closed ${code})`)
          assert.strictEqual(state.error?.cause, error)
        })

      // connected, then taken over (4015) with nothing in flight; the program takes its appId back
      yield* socket.connect
      yield* socket.awaitAuthenticated
      assert.strictEqual((yield* endWith(4015))._tag, "SogniConnectionReplacedError")
      assert.isTrue(yield* socket.reopen)

      // a project on the reopened connection, then the app is blocked (4010)
      const first = yield* running("a heron that waits")
      const blocked = yield* endWith(4010)
      assert.strictEqual(blocked._tag, "SogniAuthenticationError")
      yield* failedBy(first.project, "SogniAuthenticationError", 4010)
      assert.notStrictEqual((yield* emulator.control.getProject(first.id)).status, "completed")

      // and once more: reopened, a project, the key refused (4021)
      assert.isTrue(yield* socket.reopen)
      const second = yield* running("a kite that hangs")
      assert.strictEqual((yield* endWith(4021))._tag, "SogniAuthenticationError")
      yield* failedBy(second.project, "SogniAuthenticationError", 4021)
      assert.notStrictEqual((yield* emulator.control.getProject(second.id)).status, "completed")
      assert.deepStrictEqual(yield* projects.active, [])
    }).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 0.05 }))), { timeout: 30_000 })
})
