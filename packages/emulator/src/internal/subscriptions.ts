/**
 * Plan subscriptions (rest.md §3.5, socket.md §15). Every account starts without a plan and eligible for
 * one trial. `POST /v1/iap/stripe/subscribe` answers a checkout link on the emulator itself
 * (`/_checkout/{token}`); opening that link stands in for paying on Stripe: the plan starts (trialing when
 * a trial was asked for and the account is still eligible, active otherwise) and a
 * `subscriptionEntitlementUpdated` push reaches every socket of the account. The portal link
 * (`/_portal/{token}`) shows the plan; `POST` to its `/cancel` stands in for cancelling there. Stripe
 * calls refuse API keys (rest.md §3.2), as the platform does.
 *
 * `POST /_emulator/subscriptions/limit-notice` (emulator-only) sends a `subscriptionLimitNotice` to the
 * account's sockets that opted in, as the platform does when a plan's fair-use limit is reached.
 *
 * A configured entitlement (the `subscriptionEntitlement` option, or the control API's `SetEntitlement`
 * for one account) stands in for the plan: the `authenticated` frame carries it as
 * `subscriptionEntitlement` (socket.md §5.1; without one configured the frame carries none and clients
 * read `GET /v1/subscriptions/status`), that REST status answers it mapped as the platform maps it, and
 * `SetEntitlement` pushes it as `subscriptionEntitlementUpdated`. A checkout or a cancel replaces it with
 * the plan it makes.
 *
 * @internal
 */
import type { Protocol } from "@effect-sogni/core"
import * as Subscriptions from "@effect-sogni/core/Subscriptions"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { withAccount as guarded } from "./http/guard.js"
import { errorResponse, type Handler, ok, schemaBody } from "./http/response.js"
import { type AccountState, entryOf, sendTo, type World } from "./state.js"
import { randomHex } from "./tokens.js"

/** The plans on offer (`GET /v1/subscriptions/plans`). @internal */
export const PLANS = [
  { planId: "unlimited", tier: "unlimited", term: "monthly", interval: "month", priceUsd: 20, displayName: "Unlimited" },
  { planId: "unlimited", tier: "unlimited", term: "annual", interval: "year", priceUsd: 200, displayName: "Unlimited" },
  {
    planId: "unlimited_pro",
    tier: "unlimited_pro",
    term: "monthly",
    interval: "month",
    priceUsd: 50,
    displayName: "Unlimited Pro"
  },
  {
    planId: "unlimited_pro",
    tier: "unlimited_pro",
    term: "annual",
    interval: "year",
    priceUsd: 500,
    displayName: "Unlimited Pro"
  }
].map((p) => ({ ...p, vendorDiscountBps: 0 }))

const DAY = 24 * 60 * 60_000
const TRIAL_MILLIS = 7 * DAY
/** Spark a trial may render before it is capped. @internal */
export const TRIAL_CREDITS = 500

interface Plan {
  readonly tier: string
  readonly term: "monthly" | "annual"
  status: "trialing" | "active" | "cancelled"
  readonly periodStart: number
  readonly periodEnd: number
  readonly trialEnd: number | null
  cancelAtPeriodEnd: boolean
}

interface Billing {
  plan: Plan | undefined
  trialUsed: boolean
  version: number
  /** The configured entitlement, as sent (its `version` too); it stands in for `plan` while set. */
  configured: Subscriptions.Entitlement | undefined
}

interface Checkout {
  readonly username: string
  readonly tier: string
  readonly term: "monthly" | "annual"
  readonly startTrial: boolean
}

/** Billing of one emulator: per-account plans, open checkouts and portal sessions. @internal */
export interface SubscriptionState {
  readonly billing: Map<string, Billing>
  readonly checkouts: Map<string, Checkout>
  readonly portals: Map<string, string>
  /** Every account's entitlement until one is set for it (the `subscriptionEntitlement` option). */
  readonly initial: Subscriptions.Entitlement | undefined
  /** Whether `authenticated` frames carry the account's entitlement (once one was configured). */
  inHandshake: boolean
}

/** No plans, checkouts or portals yet; every account's entitlement `initial`, when given. @internal */
export const makeSubscriptionState = (initial?: Subscriptions.Entitlement | undefined): SubscriptionState => ({
  billing: new Map(),
  checkouts: new Map(),
  portals: new Map(),
  initial,
  inHandshake: initial !== undefined
})

const stateOf = (world: World): SubscriptionState => world.subscriptions

const billingOf = (world: World, username: string): Billing =>
  entryOf(
    world.subscriptions.billing,
    username,
    () => ({ plan: undefined, trialUsed: false, version: 0, configured: world.subscriptions.initial })
  )

const iso = (millis: number) => new Date(millis).toISOString()

const isActive = (plan: Plan, now: number) => plan.periodEnd > now

/**
 * A configured entitlement as the REST status (rest.md §3.5): its status mapped as the platform maps the
 * socket's (core `Subscriptions.statusOfEntitlement`), its times as ISO text.
 */
const statusOfConfigured = (e: Subscriptions.Entitlement) => {
  const plan = e.subscription
  if (plan === null) return { active: false, status: "none" }
  return {
    active: e.active,
    status: Subscriptions.statusOfEntitlement(e),
    tier: plan.tier,
    term: plan.term,
    provider: plan.provider,
    ...(plan.periodStart !== null ? { currentPeriodStart: iso(plan.periodStart) } : {}),
    ...(plan.periodEnd !== null ? { currentPeriodEnd: iso(plan.periodEnd) } : {}),
    ...(plan.cancelAtPeriodEnd !== undefined ? { cancelAtPeriodEnd: plan.cancelAtPeriodEnd } : {})
  }
}

/** The REST status of an account (rest.md §3.5). @internal */
export const statusOf = (world: World, account: AccountState) => {
  const { configured, plan } = billingOf(world, account.username)
  if (configured !== undefined) return statusOfConfigured(configured)
  const now = Date.now()
  if (plan === undefined) return { active: false, status: "none" }
  const active = isActive(plan, now)
  const status = !active
    ? plan.status === "cancelled" ? "canceled" : "expired"
    : plan.status === "cancelled"
    ? "cancel_at_period_end"
    : plan.status
  return {
    active,
    status,
    tier: plan.tier,
    term: plan.term,
    provider: "stripe",
    currentPeriodStart: iso(plan.periodStart),
    currentPeriodEnd: iso(plan.periodEnd),
    cancelAtPeriodEnd: plan.cancelAtPeriodEnd
  }
}

const usageOf = (world: World, account: AccountState) => {
  const { plan } = billingOf(world, account.username)
  const since = plan?.periodStart ?? 0
  let periodRenderSpark = 0
  let periodJobs = 0
  for (const project of world.projects.values()) {
    if (project.account !== account || project.createTime < since) continue
    if (project.tokenType === "spark") periodRenderSpark += project.costActual
    periodJobs += project.jobs.filter((j) => j.status === "jobCompleted").length
  }
  const trialing = plan?.status === "trialing"
  return {
    periodRenderSpark: Math.round(periodRenderSpark * 10_000) / 10_000,
    periodJobs,
    ...(trialing && plan.trialEnd !== null
      ? {
        trialEndsAt: iso(plan.trialEnd),
        trialCreditsLimit: TRIAL_CREDITS,
        trialCreditsUsed: Math.min(TRIAL_CREDITS, Math.round(periodRenderSpark * 10_000) / 10_000)
      }
      : {})
  }
}

/** The `subscriptionEntitlementUpdated` payload of an account (socket.md §15). @internal */
export const entitlementOf = (world: World, account: AccountState): Record<string, unknown> => {
  const b = billingOf(world, account.username)
  if (b.configured !== undefined) return { ...b.configured }
  const plan = b.plan
  if (plan === undefined) return { active: false, trialing: false, trialCapped: false, subscription: null }
  const active = isActive(plan, Date.now())
  return {
    active,
    trialing: active && plan.status === "trialing",
    trialCapped: plan.status === "trialing" && usageOf(world, account).periodRenderSpark >= TRIAL_CREDITS,
    subscription: {
      provider: "stripe",
      tier: plan.tier,
      term: plan.term,
      status: plan.status,
      periodStart: plan.periodStart,
      periodEnd: plan.periodEnd,
      graceEnd: null,
      trialEnd: plan.trialEnd,
      version: String(b.version),
      cancelAtPeriodEnd: plan.cancelAtPeriodEnd
    }
  }
}

const pushToAccount = (world: World, account: AccountState, event: Protocol.ServerEvent) => {
  let sent = 0
  for (const conn of world.connections.values()) {
    if (conn.account === account && sendTo(conn, event)) sent++
  }
  return sent
}

const pushEntitlement = (world: World, account: AccountState) => {
  const b = billingOf(world, account.username)
  // the plan a checkout or a cancel made replaces a configured entitlement
  b.configured = undefined
  b.version += 1
  pushToAccount(world, account, { type: "subscriptionEntitlementUpdated", payload: entitlementOf(world, account) })
}

/**
 * The `subscriptionEntitlement` of an account's `authenticated` frame: its entitlement once one was
 * configured (the option, `SetEntitlement`), else none (clients then read the REST status). @internal
 */
export const handshakeEntitlementOf = (world: World, account: AccountState): Record<string, unknown> | undefined =>
  world.subscriptions.inHandshake ? entitlementOf(world, account) : undefined

/**
 * Sets an account's entitlement (as given, its `version` too): from now on its `authenticated` frames
 * carry it and its REST status answers it; with `push`, it goes at once to the account's sockets as
 * `subscriptionEntitlementUpdated`. Returns how many sockets it was pushed to. @internal
 */
export const setEntitlement = (world: World, account: AccountState, entitlement: Subscriptions.Entitlement, push: boolean): number => {
  billingOf(world, account.username).configured = entitlement
  world.subscriptions.inHandshake = true
  return push ? pushToAccount(world, account, { type: "subscriptionEntitlementUpdated", payload: { ...entitlement } }) : 0
}

/** Runs `f` for the caller's account; `session` refuses API keys with 403 (Stripe calls). */
const withAccount = (
  world: World,
  f: (
    account: AccountState,
    request: HttpServerRequest.HttpServerRequest
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>,
  options: { readonly session?: boolean } = {}
): Handler =>
  guarded(world, (account, request) =>
    options.session === true && request.headers["api-key"] !== undefined
      ? Effect.succeed(errorResponse(403, "This action needs a login session; API keys are not accepted"))
      : f(account, request))

const CheckoutBody = Schema.Struct({
  planId: Schema.Literal("unlimited", "unlimited_pro"),
  term: Schema.Literal("monthly", "annual"),
  redirectType: Schema.optional(Schema.Literal("web", "app", "dashboard", "photobooth", "chat")),
  appSource: Schema.optional(Schema.String),
  startTrial: Schema.optional(Schema.Boolean),
  deviceId: Schema.optional(Schema.String)
})

const LimitNoticeBody = Schema.Struct({
  username: Schema.optional(Schema.String),
  reason: Schema.String,
  severity: Schema.Literal("info", "warning", "error"),
  code: Schema.String,
  message: Schema.String,
  requiredPlans: Schema.optional(Schema.Array(Schema.Literal("unlimited", "unlimited_pro")))
})

const decodeBody = <A, I>(schema: Schema.Schema<A, I>) => schemaBody(schema)

/** The subscription routes. @internal */
export const subscriptionsRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v1/subscriptions/status",
      withAccount(world, (account) => Effect.succeed(ok({ subscription: statusOf(world, account) })))
    ),
    HttpRouter.get(
      "/v1/subscriptions/usage",
      withAccount(world, (account) => Effect.succeed(ok({ usage: usageOf(world, account) })))
    ),
    HttpRouter.get(
      "/v1/subscriptions/trial-eligibility",
      withAccount(world, (account) => {
        const b = billingOf(world, account.username)
        const reasonCode = b.plan !== undefined && isActive(b.plan, Date.now())
          ? "already_subscribed"
          : b.trialUsed
          ? "trial_already_used"
          : null
        return Effect.succeed(ok({ eligible: reasonCode === null, reasonCode }))
      })
    ),
    HttpRouter.get("/v1/subscriptions/plans", Effect.succeed(ok({ plans: PLANS }))),
    HttpRouter.post(
      "/v1/iap/stripe/subscribe",
      withAccount(world, (account) =>
        Effect.matchEffect(decodeBody(CheckoutBody), {
          onFailure: Effect.succeed,
          onSuccess: (body) =>
            Effect.sync(() => {
              const b = billingOf(world, account.username)
              if (b.plan !== undefined && isActive(b.plan, Date.now()) && b.plan.status !== "cancelled") {
                return errorResponse(409, "The account already has an active subscription; use the billing portal")
              }
              const token = randomHex(16)
              stateOf(world).checkouts.set(token, {
                username: account.username,
                tier: body.planId,
                term: body.term,
                startTrial: body.startTrial === true
              })
              return ok({ url: `${world.baseUrl}/_checkout/${token}` })
            })
        }), { session: true })
    ),
    HttpRouter.post(
      "/v1/subscriptions/stripe/portal",
      withAccount(world, (account) =>
        Effect.sync(() => {
          const token = randomHex(16)
          stateOf(world).portals.set(token, account.username)
          return ok({ url: `${world.baseUrl}/_portal/${token}` })
        }), { session: true })
    ),
    // Emulator-only pages standing in for Stripe
    HttpRouter.get(
      "/_checkout/:token",
      Effect.map(HttpRouter.params, (p) => {
        const state = stateOf(world)
        const checkout = state.checkouts.get(p["token"] ?? "")
        const account = checkout === undefined ? undefined : world.accountsByUsername.get(checkout.username)
        if (checkout === undefined || account === undefined) return errorResponse(404, "No such checkout")
        state.checkouts.delete(p["token"] ?? "")
        const b = billingOf(world, account.username)
        const now = Date.now()
        const trial = checkout.startTrial && !b.trialUsed
        if (trial) b.trialUsed = true
        const length = trial ? TRIAL_MILLIS : checkout.term === "annual" ? 365 * DAY : 30 * DAY
        b.plan = {
          tier: checkout.tier,
          term: checkout.term,
          status: trial ? "trialing" : "active",
          periodStart: now,
          periodEnd: now + length,
          trialEnd: trial ? now + TRIAL_MILLIS : null,
          cancelAtPeriodEnd: false
        }
        pushEntitlement(world, account)
        return ok({ subscription: statusOf(world, account) })
      })
    ),
    HttpRouter.get(
      "/_portal/:token",
      Effect.map(HttpRouter.params, (p) => {
        const account = world.accountsByUsername.get(stateOf(world).portals.get(p["token"] ?? "") ?? "")
        return account === undefined
          ? errorResponse(404, "No such portal session")
          : ok({ subscription: statusOf(world, account) })
      })
    ),
    HttpRouter.post(
      "/_portal/:token/cancel",
      Effect.map(HttpRouter.params, (p) => {
        const account = world.accountsByUsername.get(stateOf(world).portals.get(p["token"] ?? "") ?? "")
        if (account === undefined) return errorResponse(404, "No such portal session")
        const plan = billingOf(world, account.username).plan
        if (plan === undefined) return errorResponse(409, "No subscription to cancel")
        plan.status = "cancelled"
        plan.cancelAtPeriodEnd = true
        pushEntitlement(world, account)
        return ok({ subscription: statusOf(world, account) })
      })
    ),
    HttpRouter.post(
      "/_emulator/subscriptions/limit-notice",
      Effect.matchEffect(decodeBody(LimitNoticeBody), {
        onFailure: Effect.succeed,
        onSuccess: ({ username, ...notice }) =>
          Effect.sync(() => {
            const account = username === undefined ? world.accounts[0] : world.accountsByUsername.get(username)
            if (account === undefined) return errorResponse(404, `No emulator account named ${username}`)
            const b = billingOf(world, account.username)
            const sent = pushToAccount(world, account, {
              type: "subscriptionLimitNotice",
              payload: {
                version: String(b.version),
                ...notice,
                currentPlan: b.plan?.tier ?? null,
                subscriptionTier: b.plan?.tier ?? null
              }
            })
            return ok({ sent })
          })
      })
    )
  )
