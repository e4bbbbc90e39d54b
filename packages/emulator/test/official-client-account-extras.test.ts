/**
 * The official client, unchanged, against the emulator's subscription, LoRA, announcement and reward
 * routes.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { emulatorTest, officialClient } from "./helpers.js"

describe("official client: account extras", () => {
  emulatorTest("subscriptions, LoRA catalog, personal LoRAs, announcements and rewards", () =>
    Effect.gen(function*() {
      const client = yield* officialClient(`extras-${crypto.randomUUID()}`)
      const status = yield* Effect.promise(() => client.account.getSubscriptionStatus())
      assert.strictEqual(status.active, false)
      assert.strictEqual(status.status, "none")
      const usage = yield* Effect.promise(() => client.account.getSubscriptionUsage())
      assert.strictEqual(usage.periodJobs, 0)
      const trial = yield* Effect.promise(() => client.account.getTrialEligibility())
      assert.strictEqual(trial.eligible, true)
      const plans = yield* Effect.promise(() => client.account.getSubscriptionPlans())
      assert.strictEqual(plans.length, 4)

      const catalog = yield* Effect.promise(() => client.projects.availableLoras({ modelId: "flux1-schnell-fp8" }))
      assert.isAbove(catalog.loras.length, 0)
      assert.isTrue(catalog.loras.every((l) => l.modelIds.includes("flux1-schnell-fp8")))
      assert.strictEqual(catalog.constraints.maxPerRequest, 4)
      assert.isTrue(yield* Effect.promise(() => client.projects.supportsLoras("z_image_turbo_bf16")))
      const library = yield* Effect.promise(() => client.projects.personalLoras.list())
      assert.deepStrictEqual(library.loras, [])

      const emulator = yield* Emulator.Emulator
      yield* Effect.promise(() =>
        fetch(`${emulator.url}/_emulator/announcements`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: "a1", kind: "banner", severity: "info", title: "Hello", bodyMarkdown: "x" })
        })
      )
      const live = yield* Effect.promise(() => client.announcements.active())
      assert.deepStrictEqual(live.map((a) => a.id), ["a1"])
      yield* Effect.promise(() => client.announcements.dismiss("a1"))
      assert.deepStrictEqual(yield* Effect.promise(() => client.announcements.active()), [])

      const rewards = yield* Effect.promise(() => client.account.rewards())
      assert.include(rewards.map((r) => r.id), "welcome")
      yield* Effect.promise(() => client.account.claimRewards(["welcome"]))
      const after = yield* Effect.promise(() => client.account.rewards())
      assert.isFalse(after.find((r) => r.id === "welcome")!.canClaim)
    }))
})
