/**
 * An end for good ends the projects made before it, and only those, over real loopback sockets (the hostile
 * server): a program that learns of the end, reopens the socket (`SogniSocket.reopen`) and starts a project
 * before `Projects`' handler of that end has run (the handler is woken after the program's fiber, or waits for
 * its module's dynamic import) must see that project go out on the new connection and complete, neither
 * looked up nor failed by the old end; the project that was in flight at the end fails with the end's
 * `SogniAuthenticationError`, as a refused send does.
 *
 * The first case runs first in this file on purpose: it is the process's first end, so `Projects` still
 * loads `internal/connectionEnded.js` when the waiter of the end reopens and starts its project.
 */
import { assert, describe, it } from "@effect/vitest"
import type { SogniSocket } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import type { Projects } from "../src/index.js"
import { connectMedia, hosted, image, jobIdOf } from "./hostileMedia.js"
import { type HostileConnection, type HostileServer, makeHostileServer, playInterleaved, until } from "./hostileServer.js"

/** Far beyond the test's own timeout: only the end watcher can settle the project in flight. */
const farOff = { idleTimeout: "10 minutes", reconnectCheck: "10 minutes" } as const

/**
 * The server's part: the first project (`inFlight`) is admitted (`jobStarted`) and then stays silent (and
 * `afterStart` runs on its connection); any other project is played to its end with a vendor-hosted result
 * (nothing to mint), but only once the end's lookup of `inFlight` came (held until then): a project made
 * after the end is still unfinished when the end's handler runs, so a handler that took it for one of its
 * own would look it up then.
 */
const script = (server: HostileServer, inFlight: string, afterStart: (c: HostileConnection) => void = () => {}) => {
  const held: Array<readonly [HostileConnection, string]> = []
  let lookedUp = false
  const play = (c: HostileConnection, id: string) => playInterleaved(c, [id], 1, (jobID) => hosted(jobID.slice(0, 8)))
  server.rest = (method, path) => {
    if (method === "GET" && path === `/v2/projects/${inFlight}`) {
      lookedUp = true
      for (const [c, id] of held.splice(0)) play(c, id)
    }
    return undefined // unknown: 404
  }
  server.onFrame = (c, frame) => {
    if (frame.type !== "jobRequest") return
    const id = jobIdOf(frame.payload)
    if (id === undefined) return
    if (id === inFlight) {
      c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0 })
      afterStart(c)
    } else if (lookedUp) {
      play(c, id)
    } else {
      held.push([c, id])
    }
  }
}

/** Waits until the project reported its first job started (the server admitted it). */
const started = (project: Projects.Project) =>
  project.events.pipe(Stream.filter((e) => e._tag === "JobStarted"), Stream.take(1), Stream.runDrain)

/** Reopens the ended socket and starts `prepared` on the same turn; the project, once `submit` returned. */
const reopenAndSubmit = (socket: SogniSocket.SogniSocketService, projects: Projects.ProjectsService, prepared: Projects.Prepared) =>
  Effect.flatMap(socket.reopen, (reopened) => Effect.map(projects.submit(prepared), (project) => ({ reopened, project })))

/** The in-flight project's failure: the end's own typed error, as a refused send's. */
const failedWithRefusal = (project: Projects.Project, code: number) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(project.await)
    assert(error._tag === "SogniAuthenticationError", `unexpected ${error._tag}: ${error.message}`)
    assert.strictEqual(error.closeCode, code)
    const state = yield* project.state
    assert.strictEqual(state.status, "failed")
    assert.strictEqual(state.error?.originalCode, "connectionClosed")
    assert.strictEqual(state.error?.cause, error)
  })

describe("Projects: an end for good and a project started after it", () => {
  it.scopedLive("a waiter of the end reopens and starts a project while the end's handler loads: the project completes; the one in flight fails with the end's error", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects, socket } = yield* connectMedia(server, farOff)
      const before = image(1)
      const after = image(1)
      const beforeId = before.request.jobID.toUpperCase()
      const afterId = after.request.jobID.toUpperCase()
      script(server, beforeId)
      const inFlight = yield* projects.submit(before)
      yield* started(inFlight)
      // woken by the end's status write, after `Projects`' watcher of it (which then waits for its module)
      const waiter = yield* Effect.fork(
        Effect.flatMap(socket.awaitTerminal, (error) =>
          Effect.map(reopenAndSubmit(socket, projects, after), (next) => ({ error, ...next })))
      )
      yield* Effect.yieldNow()
      server.connections[0]!.close(4010, "blocked by the test")
      const { error, project, reopened } = yield* Fiber.join(waiter)
      assert.strictEqual(error._tag, "SogniAuthenticationError")
      assert.isTrue(reopened)
      // the project made after the end went out on the new connection and completed
      const results = yield* project.await
      assert.deepStrictEqual(results.map((r) => r.url), [hosted(afterId.slice(0, 8))])
      // the end looked up the project in flight, never the one made after it
      assert.include(server.restCalls, `GET /v2/projects/${beforeId}`)
      assert.notInclude(server.restCalls, `GET /v2/projects/${afterId}`)
      yield* failedWithRefusal(inFlight, 4010)
      assert.strictEqual(server.connections.length, 2)
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })

  it.scopedLive("the fiber whose send the end refused reopens and starts a project before the end's handler is woken: the project completes", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      const { projects, socket } = yield* connectMedia(server, farOff)
      const before = image(1)
      const refused = image(1)
      const after = image(1)
      const beforeId = before.request.jobID.toUpperCase()
      const refusedId = refused.request.jobID.toUpperCase()
      const afterId = after.request.jobID.toUpperCase()
      // the first connection dies (no close frame) once the first project started; the second is held open,
      // unauthenticated, until the test closes it with 4010; the third is authenticated as usual
      script(server, beforeId, (c) => c.drop())
      server.onConnection = (c) => {
        if (c.index !== 1) c.authenticate()
      }
      const inFlight = yield* projects.submit(before)
      yield* started(inFlight)
      yield* until(() => Effect.runSync(socket.status.get)._tag !== "Authenticated", "the first connection's end seen")
      // a project sent while the socket reconnects: its send waits for a connection and is refused by the
      // end before the status write that wakes `Projects`' watcher; its fiber goes on at once
      const sender = yield* Effect.fork(
        Effect.flatMap(projects.submit(refused), (refusedProject) =>
          Effect.map(reopenAndSubmit(socket, projects, after), (next) => ({ refusedProject, ...next })))
      )
      yield* until(() => server.connections.length === 2, "the second connection")
      yield* until(
        () => Effect.runSync(projects.active).some((id) => id.toUpperCase() === refusedId),
        "the refused project tracked (its send queued)"
      )
      server.connections[1]!.close(4010, "blocked by the test")
      const { project, refusedProject, reopened } = yield* Fiber.join(sender)
      assert.isTrue(reopened)
      // the send the end refused: its project fails with the refusal (round 39's path)
      const refusal = yield* Effect.flip(refusedProject.await)
      assert(refusal._tag === "SogniAuthenticationError", `unexpected ${refusal._tag}: ${refusal.message}`)
      assert.strictEqual(refusal.closeCode, 4010)
      // the project made after the end completed on the third connection
      const results = yield* project.await
      assert.deepStrictEqual(results.map((r) => r.url), [hosted(afterId.slice(0, 8))])
      assert.include(server.restCalls, `GET /v2/projects/${beforeId}`)
      assert.notInclude(server.restCalls, `GET /v2/projects/${afterId}`)
      yield* failedWithRefusal(inFlight, 4010)
      assert.strictEqual(server.connections.length, 3)
      assert.deepStrictEqual(yield* projects.active, [])
    }), { timeout: 30_000 })
})
