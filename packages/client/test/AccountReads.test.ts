/**
 * The account reads the client makes by itself, as the official client makes them (client
 * `internal/accountReads.ts`, over core's lean GET): `currentAccount.email` from `GET /v1/account/me`
 * after the API key is set and after each token refresh, `currentAccount.subscription` at each connection
 * (the handshake's entitlement snapshot, else `GET /v1/subscriptions/status`), the snapshots mapped as the
 * official client maps them (capabilities, fair-use state, grace-period end), and a REST host that answers
 * those reads with 500s, garbage or nothing: the connection still succeeds, the fields stay empty, a
 * warning is logged, nothing is left hanging. Everything runs over loopback, against the emulator (behind a
 * recording proxy where a test needs to see or change the REST answers).
 */
import { Emulator } from "@effect-sogni/emulator"
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { ServerResponse } from "node:http"
import { type HostileHttp, makeHostileHttp, type Recorded } from "../../chat/test/util/HostileHttp.js"
import { SogniClient } from "../src/index.js"
import { applyEntitlement } from "../src/internal/accountReads.js"
import { endpoints, recordingLogger, type RunningEmulator, startEmulator } from "./emulator.js"
import { bothClients, until } from "./parity.js"

let emulator: RunningEmulator
beforeAll(async () => {
  // access tokens that live 62 s: two seconds on, they are within core's 60 s refresh margin, so a login
  // session's next REST call refreshes its token (the official client refreshes once the token expired)
  emulator = await startEmulator({ accessTokenTtlSeconds: 62 })
})
afterAll(async () => {
  await emulator?.stop()
})

/**
 * `server` relays every request to the emulator's REST host, except those `override` answers itself
 * (it returns true for them).
 */
const relay = (server: HostileHttp, override: (req: Recorded, res: ServerResponse) => boolean = () => false) => {
  server.handle = (req, res) => {
    if (override(req, res)) return
    const headers: Record<string, string> = {}
    for (const name of ["api-key", "authorization", "content-type", "accept"]) {
      const value = req.headers[name]
      if (typeof value === "string") headers[name] = value
    }
    fetch(`${emulator.url}${req.path}${req.query === "" ? "" : `?${req.query}`}`, {
      method: req.method,
      headers,
      ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: req.body })
    }).then(
      async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer())
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" })
        res.end(body)
      },
      () => {
        res.writeHead(502)
        res.end()
      }
    )
  }
}

const pathsOf = (server: HostileHttp, path: string) => server.requests.filter((r) => r.path === path)

describe("the account reads at connection", () => {
  it("the e-mail and the subscription are read after authentication, as the official client reads them", async () => {
    const seen: Record<string, unknown> = {}
    for (const [label, make] of bothClients) {
      const sogni = await make({ appId: `reads-identity-${label}`, logLevel: "silent", network: "fast", ...endpoints(emulator) })
      try {
        await sogni.projects.waitForModels()
        const account = sogni.account.currentAccount
        // both are read in the background (GET /v1/account/me; the emulator's handshake carries no
        // entitlement snapshot, so GET /v1/subscriptions/status)
        await until(() => account.email !== undefined && account.subscription !== undefined, `${label}: e-mail and subscription`)
        seen[label] = { email: account.email, subscription: account.subscription, username: account.username }
      } finally {
        await sogni.dispose()
      }
    }
    assert.isString((seen["official"] as { email: unknown }).email)
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })

  it.scopedLive("a REST status with capabilities and fair-use state is the subscription as the official client keeps it", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const subscription = {
        active: true,
        status: "active",
        tier: "unlimited",
        term: "monthly",
        provider: "stripe",
        currentPeriodStart: "2026-12-01T00:00:00.000Z",
        currentPeriodEnd: "2027-01-01T00:00:00.000Z",
        cancelAtPeriodEnd: false,
        capabilities: { unlimited: true, fastRendering: false },
        fairUse: {
          limited: true,
          usageSpark: 1200,
          usageUsd: 12,
          planPriceUsd: 10,
          resetAt: "2027-01-01T00:00:00.000Z",
          fastRenderingPaused: true,
          relaxedUnrestricted: true,
          upgradeAvailable: true
        },
        frontierDiscountBps: 500
      }
      relay(server, (req, res) => {
        if (req.path !== "/v1/subscriptions/status") return false
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ status: "success", data: { subscription } }))
        return true
      })
      const seen = yield* Effect.promise(async () => {
        const out: Record<string, unknown> = {}
        for (const [label, make] of bothClients) {
          const sogni = await make({ appId: `reads-status-${label}`, logLevel: "silent", ...endpoints(emulator), restEndpoint: server.url })
          try {
            await until(() => sogni.account.currentAccount.subscription !== undefined, `${label}: the subscription`)
            out[label] = { atConnection: sogni.account.currentAccount.subscription, asked: await sogni.account.getSubscriptionStatus() }
          } finally {
            await sogni.dispose()
          }
        }
        return out
      })
      assert.deepStrictEqual((seen["official"] as { atConnection: unknown }).atConnection, subscription)
      assert.deepStrictEqual(seen["adapter"], seen["official"])
    }))

  it("entitlement snapshots (handshake or push) map as the official client maps them: grace-period end, fair-use state, capabilities", async () => {
    const official = await OfficialClient.createInstance({ appId: "reads-map-official", logLevel: "silent", disableSocket: true, restEndpoint: emulator.url } as never)
    const sogni = await SogniClient.createInstance({ appId: "reads-map-adapter", logLevel: "silent", disableSocket: true, restEndpoint: emulator.url })
    try {
      const day = 86_400_000
      const now = Date.now()
      const plan = {
        provider: "stripe",
        tier: "unlimited",
        term: "monthly",
        status: "active",
        periodStart: now - 10 * day,
        periodEnd: now + 20 * day,
        graceEnd: null,
        trialEnd: null,
        version: "1"
      }
      const payloads: Record<string, unknown> = {
        // during grace the date that matters is the end of the payment retries
        grace: { active: false, trialing: false, trialCapped: false, subscription: { ...plan, status: "grace", graceEnd: now + 3 * day } },
        // older sockets: a cancelled plan implies cancelAtPeriodEnd
        cancelled: { active: true, trialing: false, trialCapped: false, subscription: { ...plan, status: "cancelled" } },
        // no capabilities sent: an active Unlimited plan reads { unlimited: true }; fair use while limited
        fairUse: {
          active: true,
          trialing: false,
          trialCapped: false,
          subscription: {
            ...plan,
            tier: "unlimited_pro",
            scheduledTier: "unlimited",
            scheduledChangeAt: now + 20 * day,
            paymentPending: false,
            fairUse: { limited: true, usageSpark: 900, usageUsd: 9, planPriceUsd: 30, resetAt: now + 5 * day, fastRenderingPaused: true, relaxedUnrestricted: true, upgradeAvailable: false }
          }
        },
        // capabilities as sent; a fair-use reset already past is left out
        capabilities: {
          active: true,
          trialing: true,
          trialCapped: false,
          subscription: {
            ...plan,
            status: "trialing",
            cancelAtPeriodEnd: false,
            capabilities: { unlimited: true, pro: false },
            fairUse: { limited: true, resetAt: now - day }
          }
        },
        none: { active: false, trialing: false, trialCapped: false, subscription: null }
      }
      const mapOfficial = (official.account as unknown as { mapSocketSubscriptionEntitlement: (d: unknown) => unknown }).mapSocketSubscriptionEntitlement
        .bind(official.account)
      for (const [name, payload] of Object.entries(payloads)) {
        assert.isTrue(applyEntitlement(sogni.account, payload, "test snapshot", Date.now()), name)
        assert.deepStrictEqual(sogni.currentAccount.subscription, mapOfficial(payload), name)
      }
      assert.isFalse(sogni.currentAccount.isUnlimited)
    } finally {
      await sogni.dispose()
      official.dispose()
    }
  })

  it("an entitlement older than the one applied is dropped, as the official client's version gate drops it", async () => {
    const sogni = await SogniClient.createInstance({ appId: "reads-version", logLevel: "silent", disableSocket: true, restEndpoint: emulator.url })
    try {
      const at = (version: string, tier: string) => ({
        active: true,
        trialing: false,
        trialCapped: false,
        subscription: { provider: "stripe", tier, term: "monthly", status: "active", periodStart: null, periodEnd: null, graceEnd: null, trialEnd: null, version }
      })
      applyEntitlement(sogni.account, at("5", "unlimited_pro"), "test snapshot", Date.now())
      applyEntitlement(sogni.account, at("3", "unlimited"), "test snapshot", Date.now())
      assert.strictEqual(sogni.currentAccount.subscription?.tier, "unlimited_pro")
      applyEntitlement(sogni.account, at("6", "unlimited"), "test snapshot", Date.now())
      assert.strictEqual(sogni.currentAccount.subscription?.tier, "unlimited")
      // a malformed one is skipped (logged), the subscription kept
      assert.isFalse(applyEntitlement(sogni.account, { active: "yes" }, "test snapshot", Date.now()))
      assert.strictEqual(sogni.currentAccount.subscription?.tier, "unlimited")
    } finally {
      await sogni.dispose()
    }
  })

  it.scopedLive("a token refresh re-reads the account record, as the official client's auth manager update does", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      relay(server)
      const { apiKey: _key, ...rest } = endpoints(emulator)
      const reads = yield* Effect.promise(async () => {
        const sogni = await SogniClient.createInstance({ appId: "reads-refresh", logLevel: "silent", ...rest, restEndpoint: server.url })
        try {
          await sogni.account.login(Emulator.DEFAULT_USERNAME, Emulator.DEFAULT_PASSWORD)
          // the login is a credential update: the account is read
          await until(() => sogni.currentAccount.email !== undefined, `the read after the login: ${server.requests.map((r) => r.path).join(" ")}`)
          const reads = pathsOf(server, "/v1/account/me").length
          const refreshes = pathsOf(server, "/v1/account/refresh-token").length
          // the token (62 s) comes within core's 60 s refresh margin; the next call refreshes it: another read
          await new Promise((r) => setTimeout(r, 2100))
          await sogni.account.refreshBalance()
          await until(() => pathsOf(server, "/v1/account/refresh-token").length === refreshes + 1, "the refresh")
          await until(() => pathsOf(server, "/v1/account/me").length === reads + 1, "the read after the refresh")
          return { email: sogni.currentAccount.email, refreshes: pathsOf(server, "/v1/account/refresh-token").length - refreshes, reads: pathsOf(server, "/v1/account/me").length - reads }
        } finally {
          await sogni.dispose()
        }
      })
      assert.isString(reads.email)
      assert.deepStrictEqual([reads.refreshes, reads.reads], [1, 1])
    }))
})

describe("the account reads against a hostile REST host", () => {
  const hostile: Record<string, (res: ServerResponse) => void> = {
    "a 500": (res) => {
      res.writeHead(500, { "content-type": "application/json" })
      res.end(JSON.stringify({ status: "error", message: "boom", errorCode: 500 }))
    },
    "garbage JSON": (res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end("{\"status\":\"success\",\"data\":{\"username\":")
    },
    "a body of the wrong shape": (res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ status: "success", data: { username: 7, subscription: "none" } }))
    }
  }
  for (const [name, answer] of Object.entries(hostile)) {
    it.scopedLive(`${name}: the connection succeeds, the fields stay empty, a warning is logged, nothing is rejected unhandled`, () =>
      Effect.gen(function*() {
        const server = yield* makeHostileHttp
        relay(server, (req, res) => {
          if (req.path !== "/v1/account/me" && req.path !== "/v1/subscriptions/status") return false
          answer(res)
          return true
        })
        const rejections: Array<unknown> = []
        const onRejection = (reason: unknown) => rejections.push(reason)
        process.on("unhandledRejection", onRejection)
        const { lines, logger } = recordingLogger()
        const outcome = yield* Effect.promise(async () => {
          const sogni = await SogniClient.createInstance({ appId: `reads-hostile-${name}`, logger, logLevel: "warn", ...endpoints(emulator), restEndpoint: server.url })
          try {
            await sogni.projects.waitForModels()
            // a 500 is retried by core's policy first (four retries with backoff)
            await until(
              () => lines.some((l) => /^warn sogni: GET \/v1\/account\/me failed/.test(l)) &&
                lines.some((l) => /^warn sogni: GET \/v1\/subscriptions\/status failed/.test(l)),
              `both failures logged: ${lines.join(" | ")}`,
              20_000
            )
            await new Promise((r) => setTimeout(r, 50))
            return {
              networkStatus: sogni.currentAccount.networkStatus,
              username: sogni.currentAccount.username,
              email: sogni.currentAccount.email,
              subscription: sogni.currentAccount.subscription
            }
          } finally {
            process.off("unhandledRejection", onRejection)
            await sogni.dispose()
          }
        })
        assert.strictEqual(outcome.networkStatus, "connected")
        // what the handshake said is kept
        assert.isString(outcome.username)
        assert.strictEqual(outcome.email, undefined)
        assert.strictEqual(outcome.subscription, undefined)
        assert.deepStrictEqual(rejections, [])
      }))
  }

  it.scopedLive("no answer at all: the connection succeeds, the fields stay empty, dispose lets go of both requests", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      relay(server, (req) => req.path === "/v1/account/me" || req.path === "/v1/subscriptions/status")
      const outcome = yield* Effect.promise(async () => {
        const sogni = await SogniClient.createInstance({ appId: "reads-hang", logLevel: "silent", ...endpoints(emulator), restEndpoint: server.url })
        await sogni.projects.waitForModels()
        await until(
          () => pathsOf(server, "/v1/account/me").length === 1 && pathsOf(server, "/v1/subscriptions/status").length === 1,
          "both reads sent"
        )
        const before = { networkStatus: sogni.currentAccount.networkStatus, email: sogni.currentAccount.email, subscription: sogni.currentAccount.subscription }
        await sogni.dispose()
        return before
      })
      assert.deepStrictEqual(outcome, { networkStatus: "connected", email: undefined, subscription: undefined })
      // the client aborted the requests still waiting (their connections closed)
      yield* Effect.promise(() =>
        until(() => [...pathsOf(server, "/v1/account/me"), ...pathsOf(server, "/v1/subscriptions/status")].every((r) => r.closed), "the requests let go")
      )
    }))
})
