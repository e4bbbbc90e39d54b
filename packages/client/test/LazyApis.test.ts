/**
 * `sogni.chat`, `sogni.workflows` and `sogni.replay` load their code and services on the first call
 * (client `internal/lazyApis.ts`, `internal/lazyRuntime.ts`): listeners and the LLM model list work
 * before the load, events reach listeners added before it, the loaded services share the client's
 * connection, a failed load is an `UnexpectedError` tried again on the next call, and `dispose` releases
 * what was loaded and refuses later loads. Against the emulator over real loopback sockets.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import { type ChatCompletionChunk, type ChatCompletionResult, isDisposedError, isInvalidRequestError, isUnexpectedError, SogniClient } from "../src/index.js"
import { LazyRuntimes } from "../src/internal/lazyRuntime.js"
import { Runner } from "../src/internal/runner.js"
import { assertRetryLoggedAtLevel, endpoints, recordingLogger, type RunningEmulator, startEmulator } from "./emulator.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

describe("lazily loaded client groups", () => {
  it("chat: models and listeners before the load; events of the loaded chat reach listeners added before it", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-chat-events", logLevel: "error", ...endpoints(emulator) })
    try {
      const updates: Array<number> = []
      const tokens: Array<ChatCompletionChunk> = []
      const completed: Array<ChatCompletionResult> = []
      sogni.chat.on("modelsUpdated", (models) => updates.push(Object.keys(models).length))
      sogni.chat.on("token", (chunk) => tokens.push(chunk))
      sogni.chat.on("completed", (result) => completed.push(result))
      assert.strictEqual(sogni.chat.listenerCount("token"), 1)
      // the model list the server pushes reaches the facade without loading the chat code
      await sogni.projects.waitForModels()
      const models = await sogni.chat.waitForModels()
      assert.isAbove(Object.keys(models).length, 0)
      assert.deepStrictEqual(Object.keys(sogni.chat.models).sort(), Object.keys(models).sort())

      const result = await sogni.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hello there" }] })
      assert.isAbove(result.content.length, 0)
      assert.strictEqual(completed.length, 1)
      assert.strictEqual(completed[0]!.content, result.content)
      assert.isAbove(tokens.length, 0)
      assert.strictEqual(tokens.map((t) => t.content).join(""), result.content)
      assert.isAbove(updates.length, 0)
    } finally {
      await sogni.dispose()
    }
  })

  it("workflows and replay load together and answer over the client's REST session", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-workflows", logLevel: "error", ...endpoints(emulator) })
    try {
      const [workflows, replay, templates] = await Promise.all([
        sogni.workflows.list({ limit: 5 }),
        sogni.replay.list({ limit: 5 }),
        sogni.workflows.templates.list({ limit: 5 })
      ])
      assert.isArray(workflows)
      assert.isArray(replay.records)
      assert.isArray(templates.templates)
    } finally {
      await sogni.dispose()
    }
  })

  it("after dispose, chat, workflows, replay and their iterators reject with DisposedError, loaded or not", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-dispose", logLevel: "error", ...endpoints(emulator) })
    await sogni.workflows.list({ limit: 1 })
    await sogni.dispose()
    const outcomes = await Promise.all([
      sogni.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] }).then(() => "resolved", (e) => e),
      sogni.chat.estimateCost({ model: MODEL, messages: [{ role: "user", content: "hi" }] }).then(() => "resolved", (e) => e),
      sogni.workflows.get("wf-1").then(() => "resolved", (e) => e),
      sogni.replay.list().then(() => "resolved", (e) => e),
      sogni.chat.runs.streamEvents("run-1").next().then(() => "resolved", (e) => e),
      sogni.workflows.streamEvents("wf-1").next().then(() => "resolved", (e) => e)
    ])
    for (const outcome of outcomes) assert.isTrue(isDisposedError(outcome), String(outcome))
  })

  it("stats, announcements, rewards, LoRAs and wallet checks load as one group on their first calls, then reject after dispose", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-extras", logLevel: "error", ...endpoints(emulator) })
    // first calls from four facades at once, before anything of the group is loaded
    const [leaders, alerts, catalog, check] = await Promise.all([
      sogni.stats.leaderboard({ type: "renderSecCompleteWorker", period: "lifetime" }),
      sogni.announcements.active(),
      sogni.projects.availableLoras(),
      sogni.account.validateUsername("someone-new")
    ])
    assert.isArray(leaders)
    assert.isArray(alerts)
    assert.isArray(catalog.loras)
    assert.strictEqual(check.status, "success")
    // a refusal of the loaded code still arrives as the client's typed error
    const empty = await sogni.announcements.dismiss(" ").then(() => undefined, (e: unknown) => e)
    assert.isTrue(isInvalidRequestError(empty), String(empty))
    await sogni.dispose()
    const outcomes = await Promise.all([
      sogni.stats.leaderboard({ type: "renderSecCompleteWorker", period: "lifetime" }).then(() => "resolved", (e) => e),
      sogni.announcements.active().then(() => "resolved", (e) => e),
      sogni.account.rewards().then(() => "resolved", (e) => e),
      sogni.projects.personalLoras.list().then(() => "resolved", (e) => e)
    ])
    for (const outcome of outcomes) assert.isTrue(isDisposedError(outcome), String(outcome))
  })

  it("a subscription entitlement push reaches currentAccount.subscription", async () => {
    const { apiKey: _key, ...rest } = endpoints(emulator)
    const sogni = await SogniClient.createInstance({ appId: "lazy-entitlement", logLevel: "error", ...rest })
    try {
      await sogni.account.login(Emulator.DEFAULT_USERNAME, Emulator.DEFAULT_PASSWORD)
      await sogni.projects.waitForModels()
      const trialing = new Promise<string | undefined>((resolve) => {
        const onUpdate = () => {
          const status = sogni.currentAccount.subscription?.status
          if (status !== undefined) {
            sogni.currentAccount.off("updated", onUpdate)
            resolve(status)
          }
        }
        sogni.currentAccount.on("updated", onUpdate)
      })
      const link = await sogni.account.createSubscriptionCheckout("unlimited_pro", "monthly", { startTrial: true })
      // paying on the checkout page (as a browser would) makes the server push the new entitlement
      assert.strictEqual((await fetch(link.url)).status, 200)
      assert.strictEqual(await trialing, "trialing")
      assert.strictEqual(sogni.currentAccount.subscription?.tier, "unlimited_pro")
    } finally {
      await sogni.dispose()
    }
  })

  it("model lists: read when asked without a watcher; a listener added later hears the lists set from then on (not the one at hand); dispose ends the watch", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-model-lists", logLevel: "error", ...endpoints(emulator) })
    const runner = sogni._runner
    let watchers: Array<(typeof runner.fibers extends Set<infer F> ? F : never)> = []
    try {
      const available = await sogni.projects.waitForModels()
      const llm = await sogni.chat.waitForModels()
      // nobody listens: no watcher runs, the getters read the lists the services keep
      assert.strictEqual(runner.fibers.size, 0)
      assert.isAbove(available.length, 0)
      assert.strictEqual(sogni.projects.availableModels, available)
      assert.deepStrictEqual(Object.keys(sogni.chat.models).sort(), Object.keys(llm).sort())
      const llmAtHand = sogni.chat.models
      // the same object while the list is unchanged
      assert.strictEqual(sogni.chat.models, llmAtHand)

      const before = new Set(runner.fibers)
      const nextAvailable = new Promise<ReadonlyArray<unknown>>((resolve) => sogni.projects.once("availableModels", resolve))
      const nextLlm = new Promise<object>((resolve) => sogni.chat.once("modelsUpdated", resolve))
      // one watcher per list, from its first listener on
      watchers = [...runner.fibers].filter((f) => !before.has(f))
      assert.strictEqual(watchers.length, 2)
      // switched off and on again, model availability brings both lists anew
      await sogni.setSocketEventSubscriptions({ modelAvailability: false })
      await sogni.setSocketEventSubscriptions({ modelAvailability: true })
      const [pushed, pushedLlm] = await Promise.all([nextAvailable, nextLlm])
      // the lists pushed after the listeners came, not the ones at hand then
      assert.notStrictEqual(pushed, available)
      assert.deepStrictEqual(pushed, available)
      assert.notStrictEqual(pushedLlm, llmAtHand)
      assert.deepStrictEqual(Object.keys(pushedLlm).sort(), Object.keys(llmAtHand).sort())
      assert.strictEqual(sogni.projects.availableModels, pushed)
      assert.strictEqual(sogni.chat.models, pushedLlm)
    } finally {
      await sogni.dispose()
    }
    // the watchers ended with the client
    assert.isTrue(watchers.every((f) => f.unsafePoll() !== null))
  })
})

describe("LazyRuntimes", () => {
  const base = () => new Runner<never>(ManagedRuntime.make(Layer.empty))

  it("a load that fails rejects with an UnexpectedError and is tried again on the next call", async () => {
    const runner = base()
    const lazy = new LazyRuntimes(runner)
    let attempts = 0
    const get = lazy.group(async () => {
      attempts++
      if (attempts === 1) throw new Error("module not found")
      return { layer: Layer.empty, make: (r: Runner<never>) => ({ r }) }
    })
    const first = await get().then(() => undefined, (e: unknown) => e)
    assert.isTrue(isUnexpectedError(first))
    assert.include((first as Error).message, "module not found")
    const second = await get()
    assert.strictEqual(await get(), second)
    assert.strictEqual(attempts, 2)
    await lazy.dispose()
    await runner.dispose()
  })

  it("a group whose layer dies rejects with an UnexpectedError naming the defect", async () => {
    const runner = base()
    const lazy = new LazyRuntimes(runner)
    const get = lazy.group(async () => ({
      layer: Layer.effectDiscard(Effect.dieMessage("layer broke")),
      make: (r: Runner<never>) => r
    }))
    const error = await get().then(() => undefined, (e: unknown) => e)
    assert.isTrue(isUnexpectedError(error))
    assert.include((error as Error).message, "layer broke")
    await lazy.dispose()
    await runner.dispose()
  })

  it("dispose releases a built group's layers and refuses later loads", async () => {
    const runner = base()
    const lazy = new LazyRuntimes(runner)
    let released = 0
    const get = lazy.group(async () => ({
      layer: Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => void released++))),
      make: (r: Runner<never>) => r
    }))
    const group = await get()
    assert.strictEqual(await group.run(Effect.succeed(1)), 1)
    await lazy.dispose()
    assert.strictEqual(released, 1)
    assert.isTrue(group.disposed)
    assert.isTrue(isDisposedError(await get().then(() => undefined, (e: unknown) => e)))
    await runner.dispose()
  })
})

describe("dispose called again", () => {
  it("a second dispose, called while the first runs, resolves only once everything is released", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-dispose-twice", logLevel: "error", ...endpoints(emulator) })
    const runner = sogni._runner
    await sogni.projects.waitForModels()
    // the model-list watchers and a loaded group (its services in a scope of their own)
    sogni.projects.on("availableModels", () => undefined)
    sogni.chat.on("modelsUpdated", () => undefined)
    await sogni.chat.waitForModels()
    await sogni.workflows.list({ limit: 1 })
    const watchers = [...runner.fibers]
    assert.isAbove(watchers.length, 0)
    const first = sogni.dispose()
    await sogni.dispose()
    // the second resolved: the watchers have ended and the client's connection is closed, as after the first
    assert.isTrue(watchers.every((f) => f.unsafePoll() !== null))
    const status = await runner.runtime.runtime().then((rt) => Runtime.runSync(rt, Effect.flatMap(SogniSocket.SogniSocket, (s) => s.status.get)))
    assert.strictEqual(status._tag, "Closed")
    await first
  })

  it("LazyRuntimes: a second dispose resolves once the groups' services are released", async () => {
    const runner = new Runner<never>(ManagedRuntime.make(Layer.empty))
    const lazy = new LazyRuntimes(runner)
    let released = 0
    const get = lazy.group(async () => ({
      layer: Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sleep("20 millis").pipe(Effect.andThen(Effect.sync(() => void released++))))),
      make: (r: Runner<never>) => r
    }))
    await get()
    const first = lazy.dispose()
    await lazy.dispose()
    assert.strictEqual(released, 1)
    await first
    await runner.dispose()
  })
})

describe("a loaded group's logging", () => {
  it("a call of a loaded group logs through the client's logger at the client's level", async () => {
    const run = async (logLevel: "warn" | undefined) => {
      const { lines, logger } = recordingLogger()
      const sogni = await SogniClient.createInstance({
        appId: `lazy-logging-${logLevel ?? "all"}`,
        logger,
        ...(logLevel !== undefined ? { logLevel } : {}),
        ...endpoints(emulator)
      })
      try {
        // the workflows group is loaded first, then its REST call is refused once with a 429, which core
        // retries and logs at debug level from the group's fiber
        await sogni.workflows.list({ limit: 1 })
        await Effect.runPromise(emulator.service.control.failRest({ count: 1, status: 429, pathPrefix: "/v1/creative-agent/workflows", retryAfterSeconds: 0 }))
        await sogni.workflows.list({ limit: 1 })
      } finally {
        await sogni.dispose()
      }
      return lines
    }
    await assertRetryLoggedAtLevel(run)
  })
})

describe("dispose with a loaded group at work", () => {
  it("a chat call and a chat stream in flight, and model watchers started after the load, end with dispose; loads racing it are refused", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-dispose-busy", logLevel: "error", ...endpoints(emulator) })
    const runner = sogni._runner
    await sogni.chat.waitForModels()
    const call = sogni.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[[slow]] [[long]] go on" }] })
    const stream = await sogni.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[[slow]] [[long]] and on" }], stream: true })
    const iterator = stream[Symbol.asyncIterator]()
    await iterator.next()
    // watchers started once the group is loaded
    const before = new Set(runner.fibers)
    sogni.projects.on("availableModels", () => undefined)
    sogni.chat.on("modelsUpdated", () => undefined)
    const watchers = [...runner.fibers].filter((f) => !before.has(f))
    assert.strictEqual(watchers.length, 2)
    // a group loading (workflows) while dispose runs
    const loading = sogni.workflows.list({ limit: 1 }).then(() => "resolved", (e: unknown) => e)
    await sogni.dispose()
    assert.isTrue(isDisposedError(await call.then(() => "resolved", (e: unknown) => e)))
    const rest = await (async () => {
      try {
        for (;;) if ((await iterator.next()).done === true) return "ended"
      } catch (error) {
        return error
      }
    })()
    assert.isTrue(rest === "ended" || isDisposedError(rest), String(rest))
    assert.isTrue(isDisposedError(await loading), String(await loading))
    assert.isTrue(watchers.every((f) => f.unsafePoll() !== null))
    assert.strictEqual(runner.fibers.size, 0)
    // listeners added after dispose start nothing
    sogni.projects.on("availableModels", () => undefined)
    sogni.chat.on("modelsUpdated", () => undefined)
    assert.strictEqual(runner.fibers.size, 0)
  })
})

describe("model-list listeners removed and added again", () => {
  it("a listener removed hears nothing more; one added again hears the lists set after it; one watcher per list throughout", async () => {
    const sogni = await SogniClient.createInstance({ appId: "lazy-model-relisten", logLevel: "error", ...endpoints(emulator) })
    const runner = sogni._runner
    try {
      await sogni.projects.waitForModels()
      await sogni.chat.waitForModels()
      const heard: Array<string> = []
      const first = (list: ReadonlyArray<unknown>) => heard.push(`first ${list.length > 0}`)
      const firstLlm = () => heard.push("firstLlm")
      sogni.projects.on("availableModels", first)
      const offLlm = sogni.chat.on("modelsUpdated", firstLlm)
      const watchers = runner.fibers.size
      assert.strictEqual(watchers, 2)
      sogni.projects.off("availableModels", first)
      offLlm()
      // pushed with nobody listening
      await sogni.setSocketEventSubscriptions({ modelAvailability: false })
      await sogni.setSocketEventSubscriptions({ modelAvailability: true })
      await until(() => sogni.projects.availableModels.length > 0, "the lists pushed again")
      const atHand = sogni.projects.availableModels
      const llmAtHand = sogni.chat.models
      const again = new Promise<ReadonlyArray<unknown>>((resolve) => sogni.projects.once("availableModels", resolve))
      const againLlm = new Promise<object>((resolve) => sogni.chat.once("modelsUpdated", resolve))
      // no second watcher
      assert.strictEqual(runner.fibers.size, watchers)
      await sogni.setSocketEventSubscriptions({ modelAvailability: false })
      await sogni.setSocketEventSubscriptions({ modelAvailability: true })
      const [pushed, pushedLlm] = await Promise.all([again, againLlm])
      assert.notStrictEqual(pushed, atHand)
      assert.notStrictEqual(pushedLlm, llmAtHand)
      assert.deepStrictEqual(heard, [])
    } finally {
      await sogni.dispose()
    }
  })
})

const until = async (check: () => boolean, what: string, ms = 5000) => {
  for (let waited = 0; waited < ms; waited += 25) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe("LazyRuntimes: a group's layer that fails after acquiring", () => {
  it("releases what it acquired, rejects with an UnexpectedError, and builds anew on the next call", async () => {
    const runner = new Runner<never>(ManagedRuntime.make(Layer.empty))
    const lazy = new LazyRuntimes(runner)
    let acquired = 0
    let released = 0
    let fail = true
    const get = lazy.group(async () => ({
      layer: Layer.scopedDiscard(
        Effect.acquireRelease(Effect.sync(() => void acquired++), () => Effect.sync(() => void released++)).pipe(
          Effect.zipRight(Effect.suspend(() => fail ? Effect.dieMessage("second part broke") : Effect.void))
        )
      ),
      make: (r: Runner<never>) => r
    }))
    const error = await get().then(() => undefined, (e: unknown) => e)
    assert.isTrue(isUnexpectedError(error))
    assert.include((error as Error).message, "second part broke")
    assert.deepStrictEqual([acquired, released], [1, 1])
    fail = false
    const group = await get()
    assert.strictEqual(await group.run(Effect.succeed("ok")), "ok")
    assert.deepStrictEqual([acquired, released], [2, 1])
    await lazy.dispose()
    assert.deepStrictEqual([acquired, released], [2, 2])
    await runner.dispose()
  })
})
