/**
 * Subscriptions against the emulator over loopback: the REST calls, the Stripe links (refused for API
 * keys, as on the platform), the checkout and cancel standing in for Stripe's pages, and the two account
 * pushes as typed Streams.
 */
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Sogni, SogniSocket, Subscriptions } from "../src/index.js"

/** A fresh emulator and a client on it, signed in with the key or with a login session. */
const setup = (credential: "apiKey" | "login") =>
  Effect.gen(function*() {
    const emulator = yield* Layer.build(Emulator.layer({ port: 0, speed: 4 })).pipe(
      Effect.map((ctx) => Context.get(ctx, Emulator.Emulator))
    )
    const base = {
      appId: `subs-${crypto.randomUUID()}`,
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl
    }
    const ctx = yield* Layer.build(
      Subscriptions.layer.pipe(
        Layer.provideMerge(
          Sogni.layer(
            credential === "apiKey"
              ? { ...base, apiKey: Redacted.make(emulator.apiKey) }
              : { ...base, username: Emulator.DEFAULT_USERNAME, password: Redacted.make(Emulator.DEFAULT_PASSWORD) }
          )
        )
      )
    )
    return {
      emulator,
      subs: Context.get(ctx, Subscriptions.Subscriptions),
      socket: Context.get(ctx, SogniSocket.SogniSocket)
    }
  })

/** Opens a link the emulator handed out, as a browser would (no credentials). */
const open = (url: string, method: "GET" | "POST" = "GET") =>
  Effect.promise(() => fetch(url, { method }).then(async (r) => ({ status: r.status, body: await r.json() })))

describe("Subscriptions over the emulator", () => {
  it.scopedLive("a new account: no plan, eligible for a trial, nothing used; the plans are public", () =>
    Effect.gen(function*() {
      const { subs } = yield* setup("apiKey")
      const { subscription } = yield* subs.status
      assert.strictEqual(subscription.active, false)
      assert.strictEqual(subscription.status, "none")
      assert.deepStrictEqual(yield* subs.trialEligibility, { eligible: true, reasonCode: null })
      const usage = yield* subs.usage
      assert.strictEqual(usage.periodJobs, 0)
      assert.strictEqual(usage.periodRenderSpark, 0)
      const plans = yield* subs.plans
      assert.deepStrictEqual(
        plans.map((p) => `${p.planId}/${p.term}`).sort(),
        ["unlimited/annual", "unlimited/monthly", "unlimited_pro/annual", "unlimited_pro/monthly"]
      )
      for (const p of plans) assert.isAbove(p.priceUsd, 0)
    }))

  it.scopedLive("checkout and portal refuse an API key with a typed 403", () =>
    Effect.gen(function*() {
      const { subs } = yield* setup("apiKey")
      for (const call of [subs.checkout({ planId: "unlimited", term: "monthly" }), subs.portal]) {
        const result = yield* Effect.either(call)
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "SogniApiError")
          assert.include(result.left.message, "login session")
        }
      }
    }))

  it.scopedLive("a bad plan fails locally, naming the field", () =>
    Effect.gen(function*() {
      const { subs } = yield* setup("apiKey")
      const result = yield* Effect.either(
        subs.checkout({ planId: "gold" as unknown as Subscriptions.PlanId, term: "monthly" })
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "SogniInvalidRequest")
        if (result.left._tag === "SogniInvalidRequest") assert.strictEqual(result.left.field, "checkout.planId")
      }
    }))

  it.scopedLive("a trial checkout: the entitlement push arrives, status and usage follow, the trial is spent", () =>
    Effect.gen(function*() {
      const { socket, subs } = yield* setup("login")
      yield* socket.awaitAuthenticated
      const pushes = yield* subs.entitlementUpdates.pipe(Stream.take(2), Stream.runCollect, Effect.fork)
      // let the subscriber attach before the checkout completes
      yield* Effect.sleep("100 millis")
      const link = yield* subs.checkout({ planId: "unlimited_pro", term: "monthly", startTrial: true })
      const paid = yield* open(link.url)
      assert.strictEqual(paid.status, 200)

      const { subscription } = yield* subs.status
      assert.strictEqual(subscription.status, "trialing")
      assert.strictEqual(subscription.tier, "unlimited_pro")
      assert.isTrue(subscription.active)
      const usage = yield* subs.usage
      assert.isString(usage.trialEndsAt)
      assert.isAbove(usage.trialCreditsLimit ?? 0, 0)
      assert.deepStrictEqual(yield* subs.trialEligibility, { eligible: false, reasonCode: "already_subscribed" })

      // cancel in the portal: still active until the period ends
      const portal = yield* subs.portal
      const cancelled = yield* open(`${portal.url}/cancel`, "POST")
      assert.strictEqual(cancelled.status, 200)
      assert.strictEqual((yield* subs.status).subscription.status, "cancel_at_period_end")

      const [started, ended] = Chunk.toReadonlyArray(yield* Fiber.join(pushes).pipe(Effect.timeout("20 seconds")))
      assert.isTrue(started!.trialing)
      assert.strictEqual(started!.subscription?.status, "trialing")
      assert.strictEqual(Subscriptions.statusOfEntitlement(started!), "trialing")
      assert.strictEqual(ended!.subscription?.status, "cancelled")
      assert.strictEqual(Subscriptions.statusOfEntitlement(ended!), "cancel_at_period_end")
      assert.isAbove(Number(ended!.subscription?.version), Number(started!.subscription?.version))
    }))

  it.scopedLive("limitNotices opts the connection in and delivers the typed notice", () =>
    Effect.gen(function*() {
      const { emulator, socket, subs } = yield* setup("apiKey")
      yield* socket.awaitAuthenticated
      const fiber = yield* subs.limitNotices.pipe(Stream.runHead, Effect.fork)
      // the emulator shows the connection opted in once the stream has started
      yield* emulator.control.listConnections.pipe(
        Effect.repeat({
          until: (cs) => cs.some((c) => c.subscriptions["subscriptionLimitNotice"] === true),
          schedule: Schedule.spaced("50 millis")
        }),
        Effect.timeout("20 seconds")
      )
      const sent = yield* Effect.promise(() =>
        fetch(`${emulator.url}/_emulator/subscriptions/limit-notice`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            reason: "fair_use",
            severity: "warning",
            code: "FAST_RENDERING_PAUSED",
            message: "Fast rendering is paused until the period resets",
            requiredPlans: ["unlimited_pro"]
          })
        }).then((r) => r.json())
      )
      assert.strictEqual(sent.data.sent, 1)
      const notice = yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds"))
      assert.isTrue(Option.isSome(notice))
      if (Option.isSome(notice)) {
        assert.strictEqual(notice.value.code, "FAST_RENDERING_PAUSED")
        assert.strictEqual(notice.value.severity, "warning")
        assert.deepStrictEqual(notice.value.requiredPlans, ["unlimited_pro"])
        assert.isNull(notice.value.currentPlan)
      }
    }))

  it.scopedLive("without the opt-in the emulator sends no notice", () =>
    Effect.gen(function*() {
      const { emulator, socket } = yield* setup("apiKey")
      yield* socket.awaitAuthenticated
      const sent = yield* Effect.promise(() =>
        fetch(`${emulator.url}/_emulator/subscriptions/limit-notice`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ reason: "r", severity: "info", code: "C", message: "m" })
        }).then((r) => r.json())
      )
      assert.strictEqual(sent.data.sent, 0)
    }))
})
