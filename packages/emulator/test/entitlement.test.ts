/**
 * The configured subscription entitlement (the `subscriptionEntitlement` option, the control API's
 * `SetEntitlement`) over a raw socket and REST: the `authenticated` frame carries it, the REST status
 * answers it mapped, a push reaches the account's sockets as `subscriptionEntitlementUpdated`; the request
 * counter (`RequestCount`); a close frame without a status code (`DropConnection.withoutCode`).
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorControl from "../src/EmulatorControl.js"
import { connect, emulatorTest, http, json } from "./helpers.js"

const periodStart = Date.UTC(2026, 11, 1)
const periodEnd = Date.UTC(2027, 0, 1)

const unlimited = {
  active: true,
  trialing: false,
  trialCapped: false,
  subscription: {
    provider: "stripe",
    tier: "unlimited",
    term: "monthly",
    status: "active",
    periodStart,
    periodEnd,
    graceEnd: null,
    trialEnd: null,
    version: "3",
    cancelAtPeriodEnd: false
  }
} as const

const status = (emulator: Emulator.Service) =>
  Effect.flatMap(http(`${emulator.url}/v1/subscriptions/status`, { headers: { "api-key": emulator.apiKey } }), json)

describe("configured subscription entitlement", () => {
  emulatorTest("without one, the handshake carries none and the REST status is the account's plan (none)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "entitlement-none" })
      const auth = yield* client.next("authenticated")
      assert.isFalse("subscriptionEntitlement" in auth)
      assert.deepStrictEqual((yield* status(emulator)).data.subscription, { active: false, status: "none" })
    }))

  emulatorTest(
    "the option: the handshake carries it as sent, the REST status answers it mapped",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "entitlement-option" })
        const auth = yield* client.next("authenticated")
        assert.deepStrictEqual((auth as { subscriptionEntitlement?: unknown }).subscriptionEntitlement, unlimited)
        assert.deepStrictEqual((yield* status(emulator)).data.subscription, {
          active: true,
          status: "active",
          tier: "unlimited",
          term: "monthly",
          provider: "stripe",
          currentPeriodStart: new Date(periodStart).toISOString(),
          currentPeriodEnd: new Date(periodEnd).toISOString(),
          cancelAtPeriodEnd: false
        })
      }),
    { subscriptionEntitlement: unlimited }
  )

  emulatorTest("SetEntitlement pushes subscriptionEntitlementUpdated to the account's sockets and later handshakes carry it", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const first = yield* connect(emulator, { appId: "entitlement-push-1" })
      yield* first.next("authenticated")
      const grace = {
        ...unlimited,
        subscription: { ...unlimited.subscription, status: "grace" as const, graceEnd: periodEnd + 86_400_000, version: "4" }
      }
      const { pushed } = yield* emulator.control.setEntitlement({ entitlement: grace })
      assert.strictEqual(pushed, 1)
      assert.deepStrictEqual(yield* first.next("subscriptionEntitlementUpdated"), grace)
      const second = yield* connect(emulator, { appId: "entitlement-push-2" })
      const secondAuth: { subscriptionEntitlement?: unknown } = yield* second.next("authenticated")
      assert.deepStrictEqual(secondAuth.subscriptionEntitlement, grace)
      assert.strictEqual((yield* status(emulator)).data.subscription.status, "grace_period")
      // without push: the next handshake only
      const { pushed: none } = yield* emulator.control.setEntitlement({ entitlement: unlimited, push: false })
      assert.strictEqual(none, 0)
      // over the RPC group too; an unknown account is refused
      const rpc = yield* EmulatorControl.client(emulator.url, emulator.apiKey)
      const failed = yield* Effect.flip(rpc.SetEntitlement({ username: "nobody", entitlement: unlimited }))
      assert.strictEqual((failed as EmulatorControl.EmulatorControlError).reason, "UnknownAccount")
      const viaRpc = yield* rpc.SetEntitlement({ entitlement: { ...unlimited, subscription: null } })
      assert.strictEqual(viaRpc.pushed, 2)
      assert.deepStrictEqual(yield* second.next("subscriptionEntitlementUpdated"), { ...unlimited, subscription: null })
    }))

  emulatorTest("RequestCount counts the requests of a path", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const before = (yield* emulator.control.requestCount("/v1/subscriptions/status")).count
      yield* status(emulator)
      yield* status(emulator)
      // a refused request counts too
      yield* http(`${emulator.url}/v1/subscriptions/status?x=1`, { headers: {} })
      assert.strictEqual((yield* emulator.control.requestCount("/v1/subscriptions/status")).count, before + 3)
      const rpc = yield* EmulatorControl.client(emulator.url, emulator.apiKey)
      assert.strictEqual((yield* rpc.RequestCount({ path: "/v1/subscriptions/status" })).count, before + 3)
      assert.strictEqual((yield* emulator.control.requestCount("/never/asked")).count, 0)
    }))

  emulatorTest("DropConnection withoutCode closes with a close frame that has no status code (1005)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "close-without-code" })
      yield* client.next("authenticated")
      const { dropped } = yield* emulator.control.dropConnection({ appId: "close-without-code", withoutCode: true })
      assert.strictEqual(dropped, 1)
      const closed = yield* Effect.promise(() => client.closed)
      assert.strictEqual(closed.code, 1005)
    }))

  emulatorTest("an option that is not an entitlement is refused at start", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Emulator.make({ subscriptionEntitlement: { active: "yes" } as never })))
      assert.isTrue(exit._tag === "Failure")
      assert.match(String(exit._tag === "Failure" ? exit.cause : ""), /subscriptionEntitlement is not an entitlement/)
    }))
})
