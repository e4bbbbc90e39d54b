/**
 * Plan subscriptions (rest.md §3.5, socket.md §15): the account's status, usage and trial eligibility,
 * the public plan list, Stripe checkout and portal links, and the two account pushes as typed Streams:
 * `subscriptionEntitlementUpdated` (the plan changed) and `subscriptionLimitNotice` (why fast rendering
 * paused, which plans would lift a limit).
 *
 * `subscriptionLimitNotice` is opt-in on the socket: {@link SubscriptionsService.limitNotices} turns it on
 * for the connection when it starts. A push that does not match its schema is logged and skipped.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Subscriptions } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const subs = yield* Subscriptions.Subscriptions
 *   const { subscription } = yield* subs.status
 *   yield* Effect.log(`plan ${subscription.tier ?? "none"} is ${subscription.status}`)
 *   yield* subs.limitNotices.pipe(Stream.runForEach((n) => Effect.log(n.message)))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseIssues from "./ParseIssues.js"
import type * as ParseResult from "effect/ParseResult"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { SogniError } from "./SogniError.js"
import { SogniInvalidRequest } from "./SogniError.js"
import { type RestError, SogniRest } from "./SogniRest.js"
import { SogniSocket } from "./SogniSocket.js"

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

/** Subscription status values of the REST status call. @since 0.1.0 */
export const StatusValue = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal(
    "none",
    "trialing",
    "active",
    "grace_period",
    "past_due",
    "paused",
    "cancel_at_period_end",
    "canceled",
    "expired",
    "refunded"
  )
})
/** @since 0.1.0 */
export type StatusValue = typeof StatusValue.Type

/** Plan ids. @since 0.1.0 */
export const PlanId = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal("unlimited", "unlimited_pro")
})
/** @since 0.1.0 */
export type PlanId = typeof PlanId.Type

/** Billing terms. @since 0.1.0 */
export const Term = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal("monthly", "annual")
})
/** @since 0.1.0 */
export type Term = typeof Term.Type

/** Fair-use state of a plan (the push form: times are epoch ms). @since 0.1.0 */
export const FairUse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      limited: Schema.Boolean,
      usageSpark: Schema.optional(Schema.Number),
      usageUsd: Schema.optional(Schema.Number),
      planPriceUsd: Schema.optional(Schema.Number),
      resetAt: Schema.optional(Schema.Number),
      fastRenderingPaused: Schema.optional(Schema.Boolean),
      relaxedUnrestricted: Schema.optional(Schema.Boolean),
      upgradeAvailable: Schema.optional(Schema.Boolean)
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type FairUse = typeof FairUse.Type

/** `GET /v1/subscriptions/status`: the account's subscription (times are ISO strings). @since 0.1.0 */
export const SubscriptionInfo = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      active: Schema.Boolean,
      status: StatusValue,
      tier: Schema.optional(Schema.String),
      term: Schema.optional(Schema.String),
      provider: Schema.optional(Schema.String),
      currentPeriodStart: Schema.optional(Schema.String),
      currentPeriodEnd: Schema.optional(Schema.String),
      cancelAtPeriodEnd: Schema.optional(Schema.Boolean),
      scheduledTier: Schema.optional(Schema.NullOr(Schema.String)),
      scheduledTerm: Schema.optional(Schema.NullOr(Schema.String)),
      scheduledChangeAt: Schema.optional(Schema.NullOr(Schema.String)),
      paymentPending: Schema.optional(Schema.Boolean),
      frontierDiscountBps: Schema.optional(Schema.Number)
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type SubscriptionInfo = typeof SubscriptionInfo.Type

/** @since 0.1.0 */
export const StatusResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ subscription: SubscriptionInfo })
})
/** @since 0.1.0 */
export type StatusResponse = typeof StatusResponse.Type

/** `GET /v1/subscriptions/usage`. @since 0.1.0 */
export const Usage = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    periodRenderSpark: Schema.Number,
    periodJobs: Schema.Number,
    trialEndsAt: Schema.optional(Schema.NullOr(Schema.String)),
    trialCreditsLimit: Schema.optional(Schema.NullOr(Schema.Number)),
    trialCreditsUsed: Schema.optional(Schema.NullOr(Schema.Number))
  })
})
/** @since 0.1.0 */
export type Usage = typeof Usage.Type

/** @since 0.1.0 */
export const UsageResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ usage: Usage })
})

/** `GET /v1/subscriptions/trial-eligibility`. @since 0.1.0 */
export const TrialEligibility = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ eligible: Schema.Boolean, reasonCode: Schema.NullOr(Schema.String) })
})
/** @since 0.1.0 */
export type TrialEligibility = typeof TrialEligibility.Type

/** One plan of `GET /v1/subscriptions/plans`. @since 0.1.0 */
export const Plan = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    planId: PlanId,
    tier: Schema.String,
    term: Term,
    interval: Schema.Literal("month", "year"),
    priceUsd: Schema.Number,
    displayName: Schema.String,
    google: Schema.optional(Schema.Struct({ productId: Schema.String })),
    vendorDiscountBps: Schema.Number
  })
})
/** @since 0.1.0 */
export type Plan = typeof Plan.Type

/** @since 0.1.0 */
export const PlansResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ plans: Schema.Array(Plan) })
})

/** Where the checkout page sends the user back to. @since 0.1.0 */
export const RedirectType = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal("web", "app", "dashboard", "photobooth", "chat")
})
/** @since 0.1.0 */
export type RedirectType = typeof RedirectType.Type

/** `POST /v1/iap/stripe/subscribe` body. @since 0.1.0 */
export const CheckoutRequest = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    planId: PlanId,
    term: Term,
    redirectType: Schema.optional(RedirectType),
    appSource: Schema.optional(Schema.String),
    startTrial: Schema.optional(Schema.Boolean),
    deviceId: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export type CheckoutRequest = typeof CheckoutRequest.Type

/** A page to send the user to (checkout or billing portal). @since 0.1.0 */
export const Link = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ url: Schema.String, message: Schema.optional(Schema.String) })
})
/** @since 0.1.0 */
export type Link = typeof Link.Type

/** Entitlement status values of the socket push (socket.md §15). @since 0.1.0 */
export const EntitlementStatus = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal(
    "trialing",
    "active",
    "grace",
    "cancelled",
    "expired",
    "revoked",
    "needs_reconciliation"
  )
})

/** The plan inside an entitlement push (times are epoch ms, `version` a numeric string). @since 0.1.0 */
export const EntitlementPlan = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      provider: Schema.String,
      tier: Schema.String,
      term: Schema.String,
      status: EntitlementStatus,
      periodStart: Schema.NullOr(Schema.Number),
      periodEnd: Schema.NullOr(Schema.Number),
      graceEnd: Schema.NullOr(Schema.Number),
      trialEnd: Schema.NullOr(Schema.Number),
      version: Schema.String,
      cancelAtPeriodEnd: Schema.optional(Schema.Boolean),
      scheduledTier: Schema.optional(Schema.NullOr(Schema.String)),
      scheduledTerm: Schema.optional(Schema.NullOr(Schema.String)),
      scheduledChangeAt: Schema.optional(Schema.NullOr(Schema.Number)),
      paymentPending: Schema.optional(Schema.Boolean),
      fairUse: Schema.optional(Schema.NullOr(FairUse))
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})

/** `subscriptionEntitlementUpdated` (also `authenticated.subscriptionEntitlement`). @since 0.1.0 */
export const Entitlement = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      active: Schema.Boolean,
      trialing: Schema.Boolean,
      trialCapped: Schema.Boolean,
      subscription: Schema.NullOr(EntitlementPlan),
      freeSparkLocked: Schema.optional(Schema.Boolean),
      freeSparkUnlockPath: Schema.optional(Schema.NullOr(Schema.String))
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type Entitlement = typeof Entitlement.Type

/** `subscriptionLimitNotice`: a plan limit was hit (opt-in push). @since 0.1.0 */
export const LimitNotice = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      version: Schema.Union(Schema.String, Schema.Number),
      reason: Schema.String,
      severity: Schema.Literal("info", "warning", "error"),
      code: Schema.String,
      message: Schema.String,
      currentPlan: Schema.optional(Schema.NullOr(Schema.String)),
      subscriptionTier: Schema.optional(Schema.NullOr(Schema.String)),
      fairUse: Schema.optional(Schema.NullOr(FairUse)),
      requiredPlans: Schema.optional(Schema.Array(PlanId))
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type LimitNotice = typeof LimitNotice.Type

/**
 * The REST status an entitlement push stands for, by the mapping the official client uses: grace →
 * `grace_period`, cancelled → `cancel_at_period_end` while still active else `canceled`, revoked →
 * `canceled`, needs_reconciliation → `past_due`; no plan → `none`.
 *
 * @since 0.1.0
 */
export function statusOfEntitlement(e: Entitlement): StatusValue {
  const plan = e.subscription
  if (plan === null) return "none"
  switch (plan.status) {
    case "trialing":
    case "active":
    case "expired":
      return plan.status
    case "grace":
      return "grace_period"
    case "cancelled":
      return e.active ? "cancel_at_period_end" : "canceled"
    case "revoked":
      return "canceled"
    case "needs_reconciliation":
      return "past_due"
  }
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export interface SubscriptionsService {
  /** `GET /v1/subscriptions/status`. */
  readonly status: Effect.Effect<StatusResponse, RestError>
  /** `GET /v1/subscriptions/usage`: this period's renders and trial credits. */
  readonly usage: Effect.Effect<Usage, RestError>
  /** `GET /v1/subscriptions/trial-eligibility`. */
  readonly trialEligibility: Effect.Effect<TrialEligibility, RestError>
  /** `GET /v1/subscriptions/plans` (public: no credential is sent). */
  readonly plans: Effect.Effect<ReadonlyArray<Plan>, RestError>
  /**
   * `POST /v1/iap/stripe/subscribe`: a checkout page for a plan. A bad plan or term fails with
   * `SogniInvalidRequest` before anything is sent. The platform refuses API keys here (a login session
   * is needed).
   */
  readonly checkout: (request: CheckoutRequest) => Effect.Effect<Link, RestError>
  /** `POST /v1/subscriptions/stripe/portal`: the billing portal page (login sessions only). */
  readonly portal: Effect.Effect<Link, RestError>
  /** Every `subscriptionEntitlementUpdated` push from now on, across reconnects. */
  readonly entitlementUpdates: Stream.Stream<Entitlement>
  /**
   * Every `subscriptionLimitNotice` push from now on. Starting it opts the connection into the event
   * (it is off by default) and waits for the server's confirmation, so it can fail with a socket error.
   */
  readonly limitNotices: Stream.Stream<LimitNotice, SogniError>
}

/** @since 0.1.0 */
export class Subscriptions extends Context.Tag("@effect-sogni/core/Subscriptions")<
  Subscriptions,
  SubscriptionsService
>() {}

/**
 * Decodes pushes of one type with `schema`; a payload that does not match is logged and skipped.
 *
 * @internal
 */
export const decodedPushes = <A, I>(
  source: Stream.Stream<{ readonly type: string; readonly payload: unknown }>,
  schema: Schema.Schema<A, I>
): Stream.Stream<A> => {
  const decode = Schema.decodeUnknownEither(schema)
  return Stream.mapEffect(source, (event) => {
    const decoded = decode(event.payload)
    return Either.isRight(decoded)
      ? Effect.succeed(Option.some(decoded.right))
      : Effect.as(
        Effect.logWarning(`skipped a malformed ${event.type} push`, ParseIssues.format(decoded.left.issue)),
        Option.none<A>()
      )
  }).pipe(Stream.filterMap((a) => a))
}

/**
 * A `SogniInvalidRequest` for the first issue of a validation: `field` is the issue's path under
 * `prefix`, `rule` its message.
 *
 * @internal
 */
export const invalidRequest = (prefix: string, error: ParseResult.ParseError): SogniInvalidRequest => {
  const issue = ParseIssues.leaves(error.issue, 1).leaves[0]
  const field = issue === undefined || issue.path.length === 0 ? prefix : `${prefix}.${issue.path.map(String).join(".")}`
  const rule = issue === undefined ? "is invalid" : ParseIssues.message(issue.issue)
  return new SogniInvalidRequest({ field, rule, message: `${field}: ${rule}` })
}

/** @since 0.1.0 */
export const make = /* @__PURE__ */ Effect.gen(function*() {
  const rest = yield* SogniRest
  const socket = yield* SogniSocket
  const validateCheckout = Schema.validateEither(CheckoutRequest)

  return {
    status: rest.get("rest", "/v1/subscriptions/status", StatusResponse).pipe(
      Effect.withSpan("Subscriptions.status")
    ),
    usage: rest.get("rest", "/v1/subscriptions/usage", UsageResponse).pipe(
      Effect.map((r) => r.usage),
      Effect.withSpan("Subscriptions.usage")
    ),
    trialEligibility: rest.get("rest", "/v1/subscriptions/trial-eligibility", TrialEligibility).pipe(
      Effect.withSpan("Subscriptions.trialEligibility")
    ),
    plans: rest.get("rest", "/v1/subscriptions/plans", PlansResponse, { auth: false }).pipe(
      Effect.map((r) => r.plans),
      Effect.withSpan("Subscriptions.plans")
    ),
    checkout: (request) =>
      Either.match(validateCheckout(request), {
        onLeft: (error) => Effect.fail(invalidRequest("checkout", error)),
        onRight: (body) =>
          rest.post("rest", "/v1/iap/stripe/subscribe", { redirectType: "web", ...body }, Link)
      }).pipe(Effect.withSpan("Subscriptions.checkout")),
    portal: rest.post("rest", "/v1/subscriptions/stripe/portal", {}, Link).pipe(
      Effect.withSpan("Subscriptions.portal")
    ),
    entitlementUpdates: decodedPushes(socket.eventsOf("subscriptionEntitlementUpdated"), Entitlement),
    limitNotices: Stream.unwrapScoped(
      Effect.gen(function*() {
        // listen first, then opt in, so a notice sent right after the confirmation is not missed
        const queue = yield* socket.subscribe(["subscriptionLimitNotice"])
        yield* socket.setEventSubscriptions({ subscriptions: { subscriptionLimitNotice: true } })
        return decodedPushes(Stream.fromQueue(queue), LimitNotice)
      })
    )
  } satisfies SubscriptionsService
})

/** @since 0.1.0 */
export const layer: Layer.Layer<Subscriptions, never, SogniRest | SogniSocket> = /* @__PURE__ */ Layer.effect(Subscriptions, make)
