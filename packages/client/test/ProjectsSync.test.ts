/**
 * Project reconciliation and lookups next to the official client (5.54.0), both against one emulator over
 * real loopback sockets: `projects.get` / `getStatus` / `resolveMissing` on finished, running and unknown
 * projects; `projects.sync()` on an appId with a running project the client does not track and with
 * projects that finished while nobody was connected (`activeProjectsRecovered`,
 * `completedProjectsRecovered`, `projectsSynced`, each finished project announced once); the automatic
 * reconciliation on the `authenticated` handshake; `account.me()` typed as `MeData`.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import * as Effect from "effect/Effect"
import { isInvalidRequestError, type ProjectSyncResult, SogniClient } from "../src/index.js"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  // slow enough that a short video stays in flight for a few seconds
  emulator = await startEmulator({ speed: 0.5 })
})
afterAll(async () => {
  await emulator?.stop()
})

const unique = (name: string) => `${name}-${Math.round(performance.now() * 1000)}`

const config = (appId: string, extra: Record<string, unknown> = {}) => ({
  appId,
  network: "fast" as const,
  logLevel: "error" as const,
  ...endpoints(emulator),
  ...extra
})

const video = {
  type: "video",
  network: "fast",
  modelId: "wan_v2.2-14b-fp8_t2v_lightx2v",
  positivePrompt: "a lighthouse in fog",
  numberOfMedia: 1,
  duration: 5,
  tokenType: "spark"
} as const

const statusOf = (e: unknown) => (e as { status?: unknown }).status

/** A project the official client starts and leaves mid-render (its socket closed, nothing canceled). */
const abandonedRender = async (appId: string) => {
  const creator = await OfficialClient.createInstance(config(appId) as never)
  await creator.projects.waitForModels()
  const running = await creator.projects.create(video as never)
  await new Promise<void>((resolve) => running.on("progress", () => resolve()))
  creator.dispose()
  return running
}

/** The adapter or the official client on the same settings. */
const clientOf = (which: "adapter" | "official", settings: ReturnType<typeof config>) =>
  which === "adapter" ? SogniClient.createInstance(settings) : OfficialClient.createInstance(settings as never)

const disposeClient = async (client: Awaited<ReturnType<typeof clientOf>>) => {
  if (client instanceof SogniClient) await client.dispose()
  else client.dispose()
}

/** Polls the emulator until the project has ended. */
const untilFinished = async (id: string) => {
  for (let i = 0; i < 600; i++) {
    const info = await Effect.runPromise(emulator.service.control.getProject(id))
    if (info.status === "completed" || info.status === "errored" || info.status === "cancelled") return info
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`project ${id} did not finish`)
}

describe("projects reconciliation and lookups, adapter and official client side by side", () => {
  it("get / getStatus / resolveMissing answer as the official client's", async () => {
    const appId = unique("sync-lookups")
    const official = await OfficialClient.createInstance(config(`${appId}-official`) as never)
    const adapter = await SogniClient.createInstance(config(`${appId}-adapter`))
    try {
      await official.projects.waitForModels()
      const running = await official.projects.create(video as never)
      // before it finishes: no stored record (404 on both), the live lookup reports it
      const early = await Promise.all([
        adapter.projects.get(running.id).catch((e: unknown) => e),
        official.projects.get(running.id).catch((e: unknown) => e)
      ])
      assert.deepStrictEqual(early.map(statusOf), [404, 404])
      const live = await adapter.projects.getStatus(running.id)
      assert.strictEqual(live.id, running.id)
      assert.isFalse(live.finished)
      assert.include(["pending", "queued", "processing"], live.status)
      const [ours, theirs] = await Promise.all([
        adapter.projects.resolveMissing([running.id, "NO-SUCH-PROJECT"], { attempts: 1, delayMs: 0 }),
        official.projects.resolveMissing([running.id, "NO-SUCH-PROJECT"], { attempts: 1, delayMs: 0 })
      ])
      assert.deepStrictEqual(
        Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, v.state])),
        Object.fromEntries(Object.entries(theirs).map(([k, v]) => [k, v.state]))
      )
      assert.strictEqual(ours[running.id]!.state, "active")
      assert.strictEqual(ours["NO-SUCH-PROJECT"]!.state, "lost")

      await running.waitForCompletion()
      const [record, theirRecord] = await Promise.all([adapter.projects.get(running.id), official.projects.get(running.id)])
      assert.deepStrictEqual(JSON.parse(JSON.stringify(record)), JSON.parse(JSON.stringify(theirRecord)))
      assert.strictEqual(record.status, "completed")
      assert.strictEqual(record.completedWorkerJobs.length, 1)
      const [status, theirStatus] = await Promise.all([adapter.projects.getStatus(running.id), official.projects.getStatus(running.id)])
      assert.deepStrictEqual(JSON.parse(JSON.stringify(status)), JSON.parse(JSON.stringify(theirStatus)))
      assert.isTrue(status.finished)
      const finished = await adapter.projects.resolveMissing([running.id], { attempts: 2, delayMs: 10 })
      assert.strictEqual(finished[running.id]!.state, "finished")

      // unknown ids: 404 on both; bad arguments: a typed error naming the field
      const unknown = await Promise.all([
        adapter.projects.getStatus("NO-SUCH-PROJECT").catch((e: unknown) => e),
        official.projects.getStatus("NO-SUCH-PROJECT").catch((e: unknown) => e)
      ])
      assert.deepStrictEqual(unknown.map(statusOf), [404, 404])
      const empty = await adapter.projects.get("").catch((e: unknown) => e)
      assert.isTrue(isInvalidRequestError(empty))
      assert.strictEqual((empty as { field?: unknown }).field, "projectId")
      const badAttempts = await adapter.projects.resolveMissing(["X"], { attempts: 0 }).catch((e: unknown) => e)
      assert.strictEqual((badAttempts as { field?: unknown }).field, "attempts")
      const badIds = await adapter.projects.resolveMissing(["X", 7 as never]).catch((e: unknown) => e)
      assert.strictEqual((badIds as { field?: unknown }).field, "projectIds[1]")
    } finally {
      official.dispose()
      await adapter.dispose()
    }
  }, 90_000)

  it("sync() reports a tracked running project as active, as the official client does", async () => {
    const appId = unique("sync-tracked")
    const official = await OfficialClient.createInstance(config(`${appId}-official`) as never)
    const adapter = await SogniClient.createInstance(config(`${appId}-adapter`))
    try {
      await Promise.all([official.projects.waitForModels(), adapter.projects.waitForModels()])
      const [ours, theirs] = await Promise.all([adapter.projects.create(video), official.projects.create(video as never)])
      const events: Array<ProjectSyncResult> = []
      adapter.projects.on("projectsSynced", (r) => events.push(r))
      const [mine, their] = await Promise.all([adapter.projects.sync(), official.projects.sync()])
      const lists = (r: Pick<ProjectSyncResult, "reason" | "active" | "completed" | "lost" | "unverified" | "recoveredActive" | "recoveredCompleted">) =>
        [r.reason, r.active.length, r.completed, r.lost, r.unverified, r.recoveredActive.length, r.recoveredCompleted.length]
      assert.deepStrictEqual(lists(mine), lists(their))
      assert.deepStrictEqual(mine.active, [ours.id])
      assert.deepStrictEqual(their.active, [theirs.id])
      assert.deepStrictEqual(mine.snapshot.activeProjects.map((p) => p.id), [ours.id])
      assert.strictEqual(mine.snapshot.activeProjects[0]!.model.id, video.modelId)
      assert.deepStrictEqual(events, [mine], "projectsSynced carries the result")
      await Promise.all([ours.waitForCompletion(), theirs.waitForCompletion()])
      const bad = await Promise.resolve().then(() => adapter.projects.sync("sometimes" as never)).catch((e: unknown) => e)
      assert.strictEqual((bad as { field?: unknown }).field, "reason")
    } finally {
      official.dispose()
      await adapter.dispose()
    }
  }, 90_000)

  it("projects of the appId that this client does not track are recovered: running and finished-while-away", async () => {
    for (const which of ["adapter", "official"] as const) {
      const appId = unique(`sync-recover-${which}`)
      // the creator renders, then goes away mid-render
      const running = await abandonedRender(appId)

      // a REST-only client of the same installation sees it in flight
      const client = await clientOf(which, config(appId, { disableSocket: true }))
      const recovered: Array<ReadonlyArray<{ readonly id: string }>> = []
      const completed: Array<ReadonlyArray<{ readonly id: string; readonly resultUrls: ReadonlyArray<string> }>> = []
      const projects = client.projects as unknown as {
        on(event: string, listener: (payload: never) => void): unknown
        sync(): Promise<ProjectSyncResult>
      }
      projects.on("activeProjectsRecovered", (list: ReadonlyArray<{ readonly id: string }>) => recovered.push(list))
      projects.on("completedProjectsRecovered", (list: ReadonlyArray<{ id: string; resultUrls: ReadonlyArray<string> }>) => completed.push(list))
      try {
        const first = await projects.sync()
        assert.deepStrictEqual(first.recoveredActive.map((p) => p.id), [running.id], which)
        assert.deepStrictEqual(recovered.map((l) => l.map((p) => p.id)), [[running.id]], which)

        // it finishes while no socket of the installation is connected: the client reports the project it
        // recovered as completed; a fresh client of the installation recovers it as finished, once
        await untilFinished(running.id)
        const second = await projects.sync()
        assert.deepStrictEqual([second.completed, second.recoveredCompleted], [[running.id], []], which)
        const fresh = await clientOf(which, config(appId, { disableSocket: true }))
        const freshProjects = fresh.projects as unknown as typeof projects
        freshProjects.on("completedProjectsRecovered", (list: ReadonlyArray<{ id: string; resultUrls: ReadonlyArray<string> }>) => completed.push(list))
        try {
          const third = await freshProjects.sync()
          assert.deepStrictEqual(third.recoveredCompleted.map((p) => p.id), [running.id], which)
          assert.strictEqual(third.recoveredCompleted[0]!.resultUrls.length, 1, which)
          assert.deepStrictEqual(completed.map((l) => l.map((p) => p.id)), [[running.id]], which)
          const bytes = new Uint8Array(await (await fetch(third.recoveredCompleted[0]!.resultUrls[0]!)).arrayBuffer())
          assert.deepStrictEqual([...bytes.subarray(4, 8)], [0x66, 0x74, 0x79, 0x70], `${which}: an MP4 (ftyp)`)
          const fourth = await freshProjects.sync()
          assert.deepStrictEqual([fourth.recoveredCompleted, fourth.completed], [[], []], `${which}: announced once per client`)
          assert.strictEqual(completed.length, 1, which)
        } finally {
          await disposeClient(fresh)
        }
      } finally {
        await disposeClient(client)
      }
    }
  }, 120_000)

  it("a project in flight when a new client connects is followed as a Project: progress, results and job events", async () => {
    for (const which of ["adapter", "official"] as const) {
      const appId = unique(`sync-adopt-${which}`)
      // the creator renders, then goes away mid-render (nothing canceled)
      const running = await abandonedRender(appId)

      const client = await clientOf(which, config(appId))
      const projects = client.projects as unknown as {
        on(event: string, listener: (payload: never) => void): unknown
        readonly trackedProjects: ReadonlyArray<{ readonly id: string; waitForCompletion(): Promise<ReadonlyArray<string>> }>
      }
      const jobEvents: Array<string> = []
      projects.on("job", (e: { readonly type: string; readonly projectId: string }) => {
        if (e.projectId === running.id) jobEvents.push(e.type)
      })
      const recovered = new Promise<ReadonlyArray<{ readonly id: string }>>((resolve) =>
        projects.on("activeProjectsRecovered", (list: ReadonlyArray<{ readonly id: string }>) => resolve(list))
      )
      try {
        await client.projects.waitForModels()
        assert.deepStrictEqual((await recovered).map((p) => p.id), [running.id], which)
        const adopted = projects.trackedProjects.find((p) => p.id === running.id)
        assert.isDefined(adopted, `${which}: the recovered project is tracked`)
        const urls = await adopted!.waitForCompletion()
        assert.strictEqual(urls.length, 1, which)
        const bytes = new Uint8Array(await (await fetch(urls[0]!)).arrayBuffer())
        assert.deepStrictEqual([...bytes.subarray(4, 8)], [0x66, 0x74, 0x79, 0x70], `${which}: an MP4 (ftyp)`)
        assert.include(jobEvents, "progress", which)
        assert.strictEqual(jobEvents.at(-1), "completed", which)
      } finally {
        await disposeClient(client)
      }
    }
  }, 120_000)

  it("the authenticated handshake reconciles on its own and announces what finished while away", async () => {
    const seen: Record<string, { readonly reasons: ReadonlyArray<string>; readonly completed: ReadonlyArray<string> }> = {}
    for (const which of ["adapter", "official"] as const) {
      const appId = unique(`sync-auth-${which}`)
      const running = await abandonedRender(appId)
      await untilFinished(running.id)

      const client = await clientOf(which, config(appId))
      const projects = client.projects as unknown as { on(event: string, listener: (payload: never) => void): unknown }
      const reasons: Array<string> = []
      const completed: Array<string> = []
      const synced = new Promise<void>((resolve) =>
        projects.on("projectsSynced", (r: ProjectSyncResult) => {
          reasons.push(r.reason)
          resolve()
        })
      )
      projects.on("completedProjectsRecovered", (list: ReadonlyArray<{ id: string; resultUrls: ReadonlyArray<string> }>) =>
        completed.push(...list.filter((p) => p.resultUrls.length === 1).map((p) => p.id)))
      try {
        await client.projects.waitForModels()
        await synced
        assert.deepStrictEqual(completed, [running.id], which)
        seen[which] = { reasons, completed: completed.map((id) => id === running.id ? "the project" : id) }
      } finally {
        await disposeClient(client)
      }
    }
    assert.deepStrictEqual(seen["adapter"], seen["official"])
    assert.deepStrictEqual(seen["adapter"]!.reasons, ["authenticated"])
  }, 120_000)

  // the adapter answers this one without loading its reconciliation code (client internal/projectsGroup.ts)
  it("the handshake of an appId with nothing in flight or listed reports an empty reconciliation, as the official client's", async () => {
    const results: Record<string, unknown> = {}
    for (const which of ["adapter", "official"] as const) {
      const client = await clientOf(which, config(unique(`sync-empty-${which}`)))
      const projects = client.projects as unknown as { on(event: string, listener: (payload: never) => void): unknown }
      const synced = new Promise<ProjectSyncResult>((resolve) => projects.on("projectsSynced", (r: ProjectSyncResult) => resolve(r)))
      try {
        await client.projects.waitForModels()
        const { snapshot: { serverTime: _t, ...snapshot }, ...rest } = await synced
        results[which] = { ...rest, snapshot }
      } finally {
        await disposeClient(client)
      }
    }
    assert.deepStrictEqual(results["adapter"], results["official"])
    assert.deepStrictEqual(results["adapter"], {
      reason: "authenticated",
      snapshot: { activeProjects: [], unclaimedCompletedProjects: [] },
      active: [],
      completed: [],
      lost: [],
      unverified: [],
      recoveredActive: [],
      recoveredCompleted: []
    })
  }, 60_000)

  it("account.me() is the official MeData", async () => {
    const official = await OfficialClient.createInstance(config(unique("me-official"), { disableSocket: true }) as never)
    const adapter = await SogniClient.createInstance(config(unique("me-adapter"), { disableSocket: true }))
    try {
      const [ours, theirs] = await Promise.all([adapter.account.me(), official.account.me()])
      assert.deepStrictEqual(Object.keys(ours).sort(), Object.keys(theirs).sort())
      for (const key of ["username", "walletAddress", "currentEmail", "discord2FA", "discordLinked", "discordServerMember", "emailVerified"] as const) {
        assert.strictEqual(ours[key], theirs[key], key)
      }
      // text the server sends as null reads as empty text, as the official type promises a string
      for (const key of ["discordUsername", "requestedUpdatedEmail"] as const) {
        assert.strictEqual(ours[key], theirs[key] ?? "", key)
        assert.isString(ours[key])
      }
      assert.strictEqual(adapter.currentAccount.username, ours.username)
      assert.strictEqual(adapter.currentAccount.walletAddress, ours.walletAddress)
      assert.strictEqual(adapter.currentAccount.email, ours.currentEmail)
    } finally {
      official.dispose()
      await adapter.dispose()
    }
  }, 30_000)
})
