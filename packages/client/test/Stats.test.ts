/**
 * `sogni.stats.leaderboard` next to the official client (5.54.0), both against one emulator over real
 * loopback sockets, after projects have run: the same rows on both, ranked by what the account rendered
 * (artists) or what the simulated workers served, per day or lifetime, paged; bad queries refused.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { Emulator } from "@effect-sogni/emulator"
import { isInvalidRequestError, SogniClient } from "../src/index.js"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

describe("stats.leaderboard, adapter and official client side by side", () => {
  it("ranks the emulator's finished projects the same on both clients", async () => {
    const config = { network: "fast" as const, logLevel: "error" as const, ...endpoints(emulator) }
    const adapter = await SogniClient.createInstance({ appId: `stats-adapter-${Date.now()}`, ...config })
    const official = await OfficialClient.createInstance({ appId: `stats-official-${Date.now()}`, ...config } as never)
    try {
      await adapter.projects.waitForModels()
      const project = await adapter.projects.create({
        type: "image",
        modelId: "flux1-schnell-fp8",
        positivePrompt: "a brass compass",
        numberOfMedia: 2,
        steps: 4,
        tokenType: "spark"
      })
      await project.waitForCompletion()

      const queries = [
        { type: "projectCompleteArtist", period: "lifetime" },
        { type: "jobCompleteArtist", period: "day" },
        { type: "renderTokenCompleteArtist", period: "lifetime", network: "fast" },
        { type: "renderSecCompleteArtist", period: "lifetime" },
        { type: "jobCompleteWorker", period: "lifetime", limit: 1 },
        { type: "jobCompleteArtist", period: "lifetime", network: "relaxed" },
        { type: "jobCompleteArtist", period: "day", date: Date.now() - 3 * 24 * 3600_000 },
        { type: "uloginArtist", period: "lifetime" }
      ] as const
      const results = []
      for (const query of queries) {
        const ours = await adapter.stats.leaderboard(query)
        const theirs = await official.stats.leaderboard(query as never)
        assert.deepStrictEqual(ours, theirs, JSON.stringify(query))
        results.push(ours)
      }
      const [projects, jobsToday, tokens, seconds, workers, relaxed, longAgo, logins] = results
      const me = projects!.find((r) => r.username === Emulator.DEFAULT_USERNAME)
      assert.isDefined(me, "the account is ranked")
      assert.isAtLeast(Number(me!.value), 1)
      assert.strictEqual(me!.role, "artist")
      assert.isAtLeast(Number(jobsToday!.find((r) => r.username === Emulator.DEFAULT_USERNAME)?.value), 2, "two renders today")
      assert.isAbove(Number(tokens![0]!.value), 0)
      assert.isAbove(Number(seconds![0]!.value), 0)
      assert.strictEqual(workers!.length, 1, "limit pages the ranking")
      assert.strictEqual(workers![0]!.role, "worker")
      assert.deepStrictEqual([relaxed, longAgo, logins], [[], [], []])
      const ranks = projects!.map((r) => r.rank)
      assert.deepStrictEqual(ranks, ranks.map((_, i) => i + 1))

      const bad = await adapter.stats.leaderboard({ type: "fastest" as never, period: "day" }).catch((e: unknown) => e)
      assert.isTrue(isInvalidRequestError(bad))
      assert.strictEqual((bad as { field?: unknown }).field, "type")
      const theirBad = await official.stats.leaderboard({ type: "fastest", period: "day" } as never).catch((e: unknown) => e)
      assert.strictEqual((theirBad as { status?: unknown }).status, 400)
      const badPage = await adapter.stats.leaderboard({ type: "jobCompleteArtist", period: "day", page: 0 }).catch((e: unknown) => e)
      assert.strictEqual((badPage as { field?: unknown }).field, "page")
    } finally {
      await adapter.dispose()
      official.dispose()
    }
  }, 60_000)
})
