/**
 * Rewards and transaction history against the emulator over loopback: claiming credits the balance
 * (REST and the `balanceUpdate` push), a spent reward cannot be claimed again, and the claim shows in the
 * transaction list.
 */
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Rewards, Sogni, SogniAccount, SogniSocket } from "../src/index.js"

describe("Rewards over the emulator", () => {
  it.scopedLive("claim a reward: balance credited and pushed, not claimable twice, listed as a credit", () =>
    Effect.gen(function*() {
      const emulator = yield* Layer.build(Emulator.layer({ port: 0, speed: 4 })).pipe(
        Effect.map((ctx) => Context.get(ctx, Emulator.Emulator))
      )
      const ctx = yield* Layer.build(
        Rewards.layer.pipe(
          Layer.provideMerge(
            Sogni.layer({
              appId: `rewards-${crypto.randomUUID()}`,
              apiKey: Redacted.make(emulator.apiKey),
              restEndpoint: emulator.url,
              socketEndpoint: emulator.wsUrl
            })
          )
        )
      )
      const rewards = Context.get(ctx, Rewards.Rewards)
      const account = Context.get(ctx, SogniAccount.SogniAccount)
      const socket = Context.get(ctx, SogniSocket.SogniSocket)
      const hello = yield* socket.awaitAuthenticated
      const before = Number((yield* account.refreshBalance).spark.net)

      const list = yield* rewards.list()
      const welcome = list.find((r) => r.id === "welcome")!
      assert.strictEqual(welcome.canClaim, 1)
      assert.strictEqual(welcome.claimResetFrequencySec, -1)

      yield* rewards.claim(["welcome"])
      // the push reaches the live balance
      const pushed = yield* account.balanceChanges.pipe(
        Stream.filter((b) => Number(b.spark.net) === before + Number(welcome.amount)),
        Stream.runHead,
        Effect.timeout("20 seconds")
      )
      assert.isTrue(pushed._tag === "Some")
      assert.strictEqual(Number((yield* account.refreshBalance).spark.net), before + Number(welcome.amount))

      const after = (yield* rewards.list()).find((r) => r.id === "welcome")!
      assert.strictEqual(after.claimed, 1)
      assert.strictEqual(after.canClaim, 0)
      assert.strictEqual(after.cantClaimReason, "already_claimed")
      const again = yield* Effect.either(rewards.claim(["welcome"]))
      assert.isTrue(Either.isLeft(again) && again.left._tag === "SogniApiError")
      const none = yield* Effect.either(rewards.claim([]))
      assert.isTrue(Either.isLeft(none) && none.left._tag === "SogniInvalidRequest")

      const page = yield* rewards.transactions({ address: hello.address!, limit: 10 })
      assert.strictEqual(page.transactions.length, 1)
      const tx = page.transactions[0]!
      assert.strictEqual(tx.type, "credit")
      assert.strictEqual(tx.amount, Number(welcome.amount))
      assert.strictEqual(page.next, 1)
      const bad = yield* Effect.either(rewards.transactions({ address: hello.address!, limit: 0 }))
      assert.isTrue(Either.isLeft(bad) && bad.left._tag === "SogniInvalidRequest")
    }))
})
