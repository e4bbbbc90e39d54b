/**
 * Fidelity check: the official `@sogni-ai/sogni-client` (5.54.0) against the emulator, with an API key:
 * connect, models, balance, a 2-image project whose URLs download as PNGs, cancellation, failure, a
 * worker retry and dropped sockets (by directive and by the control API).
 */
import { SogniClient } from "@sogni-ai/sogni-client"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { bytes, emulatorTest, http, pngInfo } from "./helpers.js"

type Project = Awaited<ReturnType<SogniClient["projects"]["create"]>>

/** An official client connected to the emulator; disposed with the scope. */
const officialClient = (appId: string) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    return yield* Effect.acquireRelease(
      Effect.promise(() =>
        SogniClient.createInstance({
          appId,
          apiKey: emulator.apiKey,
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl,
          network: "fast",
          logLevel: "error"
        })
      ),
      (client) => Effect.sync(() => client.dispose())
    )
  })

const createImages = (client: SogniClient, prompt: string, numberOfMedia = 2) =>
  Effect.promise(() =>
    client.projects.create({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: prompt,
      numberOfMedia,
      steps: 4,
      sizePreset: "square",
      tokenType: "spark"
    })
  )

/** The outcome of `waitForCompletion()` as data. */
const outcome = (project: Project) =>
  Effect.promise(() =>
    project.waitForCompletion().then(
      (urls) => ({ ok: true as const, urls }),
      (error: unknown) => ({ ok: false as const, error: error as { code?: number; message?: string } })
    )
  )

const firstProgress = (project: Project) =>
  Effect.promise(() => new Promise<void>((resolve) => project.once("progress", () => resolve())))

describe("official client", () => {
  emulatorTest("connects with an API key, sees models and balance, completes a 2-image project", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-1")
      const models = yield* Effect.promise(() => client.projects.waitForModels())
      const flux = models.find((m) => m.id === "flux1-schnell-fp8")
      assert.isDefined(flux)
      assert.strictEqual(flux!.name, "Flux.1 Schnell")
      const account = client.account.currentAccount
      assert.strictEqual(account.username, "pixelfox")
      const before = Number(account.balance.spark.net)
      assert.strictEqual(before, 1000)
      const project = yield* createImages(client, "a lighthouse on a basalt cliff at dawn")
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      const urls = result.ok ? result.urls : []
      assert.strictEqual(urls.length, 2)
      for (const url of urls) {
        const response = yield* http(url)
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(pngInfo(yield* bytes(response)), { isPng: true, width: 512, height: 512 })
      }
      // balanceUpdate follows settlement.
      for (let i = 0; i < 50 && Number(client.account.currentAccount.balance.spark.net) === before; i++) {
        yield* Effect.sleep(20)
      }
      assert.isBelow(Number(client.account.currentAccount.balance.spark.net), before)
    }))

  emulatorTest("cancels a running project", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-cancel")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[slow]] a long night")
      yield* firstProgress(project)
      yield* Effect.promise(() => project.cancel())
      const result = yield* outcome(project)
      assert.isFalse(result.ok)
      assert.strictEqual(project.status, "canceled")
      assert.strictEqual((yield* emulator.control.getProject(project.id)).status, "cancelled")
    }))

  emulatorTest("sees a project fail with [[fail]]", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-fail")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[fail]] never renders")
      const result = yield* outcome(project)
      assert.isFalse(result.ok)
      assert.strictEqual(project.status, "failed")
    }))

  emulatorTest("survives a worker retry with [[retry]]", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-retry")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[retry]] stubborn mountains")
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      assert.strictEqual(result.ok ? result.urls.length : 0, 2)
      assert.strictEqual(project.jobs.length, 2)
      const info = yield* emulator.control.getProject(project.id)
      assert.deepStrictEqual(info.jobs.map((j) => j.attempt), [2, 2])
    }))

  emulatorTest("survives a dropped socket with [[drop]]", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-drop")
      yield* Effect.promise(() => client.projects.waitForModels())
      const [before] = yield* emulator.control.listConnections
      const project = yield* createImages(client, "[[drop]] a windy ridge")
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      assert.strictEqual(result.ok ? result.urls.length : 0, 2)
      for (const url of result.ok ? result.urls : []) assert.isTrue(pngInfo(yield* bytes(yield* http(url))).isPng)
      const [after] = yield* emulator.control.listConnections
      assert.notStrictEqual(after?.connectionId, before?.connectionId, "the client reconnected")
    }))

  emulatorTest("recovers in-flight work after the control API drops the socket", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-control-drop")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[slow]] a patient harbour")
      yield* firstProgress(project)
      const { dropped } = yield* emulator.control.dropConnection({ appId: "official-control-drop", abnormal: true })
      assert.strictEqual(dropped, 1)
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      assert.strictEqual(result.ok ? result.urls.length : 0, 2)
      assert.strictEqual(project.jobs.length, 2)
    }))
})
