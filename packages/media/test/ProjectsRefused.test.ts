/**
 * A refused credential on the project path, over real loopback sockets: the project's outcome is the
 * `SogniAuthenticationError` of the refusal (as every other waiter's), not a generic `SogniProjectError`.
 * The key refused by the emulator (4021) and an `appId` blocked by a hostile server (4010), for
 * `Projects.run` and for `submit` then `Project.await`; the failure's data still names the refusal, with the
 * error as its `cause`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Media, Projects } from "../src/index.js"
import { connectMedia } from "./hostileMedia.js"
import { makeHostileServer } from "./hostileServer.js"
import { imageProject } from "./imageProject.js"

const image = () => imageProject(1, "a refused key", 4, 7)

/** Runs one project with `run` and one with `submit` + `await`; returns both failures and the second's state. */
const runBoth = (projects: Projects.ProjectsService) =>
  Effect.gen(function*() {
    const ran = yield* Effect.flip(projects.run(image()))
    const project = yield* projects.submit(image())
    const awaited = yield* Effect.flip(project.await)
    const state = yield* project.state
    return { ran, awaited, state }
  })

describe("Projects: a refused credential is the project's outcome", () => {
  it.scopedLive("the emulator refuses the key (4021): run and await fail with the SogniAuthenticationError", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const ctx = yield* Layer.build(
        Media.layer({
          appId: `refused-${crypto.randomUUID()}`,
          apiKey: Redacted.make("not-the-emulator-key"),
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl
        })
      )
      const projects = Context.get(ctx, Projects.Projects)
      const { ran, awaited, state } = yield* runBoth(projects)
      for (const error of [ran, awaited]) {
        assert(error._tag === "SogniAuthenticationError", `unexpected ${error._tag}: ${error.message}`)
        assert.strictEqual(error.reason, "InvalidCredentials")
        assert.strictEqual(error.closeCode, 4021)
      }
      // the project ended failed; its error data names the refusal and carries it as the cause
      assert.strictEqual(state.status, "failed")
      assert.strictEqual(state.error?.code, 0)
      assert.include(state.error?.message, "4021")
      assert.strictEqual(state.error?.cause?._tag, "SogniAuthenticationError")
      assert.deepStrictEqual(yield* projects.active, [])
    }).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 }))), { timeout: 30_000 })

  it.scopedLive("the server blocks the appId (4010): run and await fail with the SogniAuthenticationError", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileServer()
      server.onConnection = (c) => c.close(4010, "app blocked")
      const { projects } = yield* connectMedia(server)
      const { ran, awaited, state } = yield* runBoth(projects)
      for (const error of [ran, awaited]) {
        assert(error._tag === "SogniAuthenticationError", `unexpected ${error._tag}: ${error.message}`)
        assert.strictEqual(error.reason, "AppIdBlocked")
        assert.strictEqual(error.closeCode, 4010)
      }
      assert.strictEqual(state.status, "failed")
      assert.strictEqual(state.error?.cause?._tag, "SogniAuthenticationError")
      // no jobRequest reached the server: the refusal came first
      assert.isFalse(server.connections.some((c) => c.received.some((f) => f.type === "jobRequest")))
    }), { timeout: 30_000 })
})
