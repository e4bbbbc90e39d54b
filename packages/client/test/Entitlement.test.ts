/**
 * `currentAccount.subscription` from the socket, against the official client on the same emulator: the
 * emulator's `subscriptionEntitlement` option puts the entitlement in the `authenticated` frame, its
 * control API's `SetEntitlement` pushes a new one as `subscriptionEntitlementUpdated`. Both clients take
 * the handshake's snapshot without asking `GET /v1/subscriptions/status` (counted by the emulator), map it
 * alike, apply a newer push, drop an older one, and take the snapshot again from a reconnection's
 * handshake. Without the field, both read the REST status once per connection.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"
import { bothClients, settle, until } from "./parity.js"

const periodStart = Date.UTC(2026, 11, 1)
const periodEnd = Date.UTC(2027, 0, 1)
const graceEnd = Date.UTC(2027, 0, 8)

const plan = {
  provider: "stripe",
  tier: "unlimited",
  term: "monthly",
  status: "active" as const,
  periodStart,
  periodEnd,
  graceEnd: null,
  trialEnd: null,
  version: "3",
  cancelAtPeriodEnd: false
}
const unlimited = { active: true, trialing: false, trialCapped: false, subscription: plan }
const grace = { ...unlimited, subscription: { ...plan, status: "grace" as const, graceEnd, version: "4" } }
const staleCancelled = { ...unlimited, active: false, subscription: { ...plan, status: "cancelled" as const, version: "2" } }

let configured: RunningEmulator
let plain: RunningEmulator
beforeAll(async () => {
  configured = await startEmulator({ subscriptionEntitlement: unlimited })
  plain = await startEmulator()
})
afterAll(async () => {
  await configured?.stop()
  await plain?.stop()
})

interface AnyClient {
  readonly apiClient: { on(event: string, f: () => void): unknown }
  readonly account: {
    readonly currentAccount: {
      readonly subscription?: Record<string, unknown> | undefined
      readonly isUnlimited: boolean
      on(event: "updated", f: (keys: Array<string>) => void): unknown
    }
  }
  readonly projects: { waitForModels(): Promise<unknown> }
  dispose(): Promise<void> | void
}

const statusReads = async (emulator: RunningEmulator) =>
  (await Effect.runPromise(emulator.service.control.requestCount("/v1/subscriptions/status"))).count

describe("the subscription from the socket", () => {
  it("the handshake's entitlement, then a newer push, an older one dropped, and a reconnection: no REST status read, as the official client", async () => {
    const seen: Record<string, Record<string, unknown>> = {}
    for (const [label, make] of bothClients) {
      // every client starts from the same configured entitlement (the previous one's pushes replaced it)
      await Effect.runPromise(configured.service.control.setEntitlement({ entitlement: unlimited, push: false }))
      const appId = `entitlement-${label}`
      const before = await statusReads(configured)
      const sogni = (await make({ appId, logLevel: "silent", network: "fast", ...endpoints(configured) })) as AnyClient
      try {
        const account = sogni.account.currentAccount
        const updates: Array<string> = []
        account.on("updated", (keys) => {
          if (keys.includes("subscription")) updates.push(String(account.subscription?.["status"]))
        })
        await sogni.projects.waitForModels()
        await until(() => account.subscription !== undefined, `${label}: the handshake's subscription`)
        await settle()
        const handshake = { ...account.subscription, isUnlimited: account.isUnlimited }

        // a newer entitlement pushed: applied
        await Effect.runPromise(configured.service.control.setEntitlement({ entitlement: grace }))
        await until(() => account.subscription?.["status"] === "grace_period", `${label}: the pushed grace period`)
        const pushed = { ...account.subscription }

        // an older version pushed after it: dropped
        await Effect.runPromise(configured.service.control.setEntitlement({ entitlement: staleCancelled }))
        await settle()
        const afterStale = { ...account.subscription }

        // a reconnection's handshake carries the (configured) entitlement again
        await Effect.runPromise(configured.service.control.setEntitlement({ entitlement: grace, push: false }))
        let reconnected = false
        sogni.apiClient.on("connected", () => (reconnected = true))
        await Effect.runPromise(configured.service.control.dropConnection({ appId, code: 1001 }))
        await until(() => reconnected, `${label}: the reconnection`, 10_000)
        await settle()

        seen[label] = {
          handshake,
          pushed,
          afterStale,
          afterReconnect: { ...account.subscription },
          // after the handshake's (whose update may come before a listener could be added): the pushed
          // one only (neither the older push nor the reconnection's same snapshot is a change)
          updates: updates.filter((status, i) => !(i === 0 && status === "active")),
          statusReads: (await statusReads(configured)) - before
        }
      } finally {
        await sogni.dispose()
      }
    }
    const adapter = seen["adapter"]!
    assert.deepStrictEqual(adapter["handshake"], {
      active: true,
      status: "active",
      tier: "unlimited",
      term: "monthly",
      provider: "stripe",
      currentPeriodStart: new Date(periodStart).toISOString(),
      currentPeriodEnd: new Date(periodEnd).toISOString(),
      cancelAtPeriodEnd: false,
      capabilities: { unlimited: true },
      isUnlimited: true
    })
    // during grace the period ends when the grace does
    assert.strictEqual((adapter["pushed"] as Record<string, unknown>)["currentPeriodEnd"], new Date(graceEnd).toISOString())
    assert.deepStrictEqual(adapter["afterStale"], adapter["pushed"])
    assert.deepStrictEqual(adapter["afterReconnect"], adapter["pushed"])
    assert.deepStrictEqual(adapter["updates"], ["grace_period"])
    assert.strictEqual(adapter["statusReads"], 0, "no GET /v1/subscriptions/status when the handshake carries the entitlement")
    assert.deepStrictEqual(adapter, seen["official"])
  })

  it("without the field, each connection reads GET /v1/subscriptions/status once, as the official client", async () => {
    const seen: Record<string, unknown> = {}
    for (const [label, make] of bothClients) {
      const appId = `entitlement-rest-${label}`
      const before = await statusReads(plain)
      const sogni = (await make({ appId, logLevel: "silent", network: "fast", ...endpoints(plain) })) as AnyClient
      try {
        const account = sogni.account.currentAccount
        await sogni.projects.waitForModels()
        await until(() => account.subscription !== undefined, `${label}: the REST subscription`)
        await settle()
        seen[label] = { subscription: account.subscription, statusReads: (await statusReads(plain)) - before }
      } finally {
        await sogni.dispose()
      }
    }
    assert.deepStrictEqual(seen["official"], { subscription: { active: false, status: "none" }, statusReads: 1 })
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })
})
