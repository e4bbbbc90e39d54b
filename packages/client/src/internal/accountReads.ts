/**
 * The account reads the official client makes by itself, here over core's lean `GET` (`LeanRest`, the
 * path a minimal image program already uses for its result URLs), so that they load no code of their
 * own (no extras group, no REST exchange, no `HttpClient`):
 *
 * - the account record (`GET /v1/account/me`) after each credential update: an API key at
 *   `createInstance`, a login, a signup, stored tokens, each token refresh of a login session. Its
 *   e-mail becomes `currentAccount.email`.
 * - the subscription at each connection: the `authenticated` frame's entitlement snapshot, else
 *   `GET /v1/subscriptions/status`.
 *
 * Neither delays anything: a failure (an error answer, a body that is not the record, no answer before
 * `requestTimeout`) is logged as a warning and leaves the fields as they were; the official client's
 * failed `me()` is an unhandled rejection. Subscription snapshots go through one gate, as in the official
 * client: an older `version` than the one applied is dropped, and so is a REST answer whose request
 * started before a socket snapshot was applied.
 *
 * The snapshot mappings (`snapshotOfEntitlement`, `snapshotOfStatus`) are the official client's, with the
 * capabilities, fair-use state and grace-period end it exposes.
 *
 * @internal
 */
import * as LeanRest from "@effect-sogni/core/LeanRest"
import * as SogniAccount from "@effect-sogni/core/SogniAccount"
import * as Subscriptions from "@effect-sogni/core/Subscriptions"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { RestError } from "@effect-sogni/core/SogniRest"
import type { AccountApi } from "../AccountApi.js"
import type { SubscriptionEntitlementSnapshot, SubscriptionFairUseState } from "../types.js"
import { defined } from "./defined.js"

// -------------------------------------------------------------------------------------------------
// Snapshots, as the official client maps them
// -------------------------------------------------------------------------------------------------

/** An entitlement time (epoch milliseconds) as ISO text; nothing for an absent or zero one (as the official `x ? … : {}`). */
function isoOf(millis: number | null | undefined): string | undefined {
  return typeof millis === "number" && Number.isFinite(millis) && millis !== 0 ? new Date(millis).toISOString() : undefined
}

/** A text field the official client copies only when it is non-empty. */
function nonEmpty(s: string | null | undefined): string | undefined {
  return typeof s === "string" && s !== "" ? s : undefined
}

/**
 * A snapshot's `version` as a number (a numeric string or a number), as the official
 * `parseSubscriptionVersion`; `undefined` without one.
 */
export function versionOf(u: unknown): number | undefined {
  if (typeof u === "number" && Number.isFinite(u)) return u
  if (typeof u === "string" && u.trim() !== "") {
    const n = Number(u)
    if (Number.isFinite(n)) return n
  }
  return undefined
}

/**
 * An entitlement (`subscriptionEntitlementUpdated`, `authenticated.subscriptionEntitlement`) as the
 * official snapshot (`Account.mapSocketSubscriptionEntitlement`): no plan reads `{active: false, status:
 * "none"}`; during grace `currentPeriodEnd` is the grace period's end (`graceEnd`, else the period's);
 * `fairUse` only while limited with its reset still ahead (`now`), its `resetAt` as ISO text;
 * `capabilities` as sent, else `{unlimited: true}` for an active Unlimited plan, else `{}`.
 */
export function snapshotOfEntitlement(e: Subscriptions.Entitlement, now: number): SubscriptionEntitlementSnapshot {
  const plan = e.subscription
  if (plan === null) return { active: false, status: "none" }
  const status = Subscriptions.statusOfEntitlement(e)
  const fairUse = plan.fairUse
  const periodEnd = status === "grace_period" && typeof plan.graceEnd === "number" && plan.graceEnd !== 0
    ? plan.graceEnd
    : plan.periodEnd
  return defined({
    active: e.active,
    status,
    tier: nonEmpty(plan.tier),
    term: nonEmpty(plan.term),
    provider: nonEmpty(plan.provider),
    currentPeriodStart: isoOf(plan.periodStart),
    currentPeriodEnd: isoOf(periodEnd),
    cancelAtPeriodEnd: plan.cancelAtPeriodEnd ?? (plan.status === "cancelled" ? true : undefined),
    scheduledTier: nonEmpty(plan.scheduledTier),
    scheduledTerm: nonEmpty(plan.scheduledTerm),
    scheduledChangeAt: isoOf(plan.scheduledChangeAt),
    paymentPending: plan.paymentPending === true ? true : undefined,
    fairUse: fairUse?.limited === true && typeof fairUse.resetAt === "number" && fairUse.resetAt > now
      ? { ...fairUse, resetAt: new Date(fairUse.resetAt).toISOString() } as unknown as SubscriptionFairUseState
      : undefined,
    // as sent (the official client does not check it either)
    capabilities: (plan["capabilities"] as Readonly<Record<string, boolean>> | null | undefined) ??
      (e.active && (plan.tier === "unlimited" || plan.tier === "unlimited_pro") ? { unlimited: true } : {})
  })
}

/**
 * The REST status record (`GET /v1/subscriptions/status`) as the snapshot: the record as it came (a
 * copy), as the official client hands it on, with the fields the schema leaves open (`capabilities`,
 * `fairUse`, `version`, …).
 */
export function snapshotOfStatus(s: Subscriptions.SubscriptionInfo): SubscriptionEntitlementSnapshot {
  return { ...s } as SubscriptionEntitlementSnapshot
}

// -------------------------------------------------------------------------------------------------
// The gate every subscription snapshot goes through
// -------------------------------------------------------------------------------------------------

/**
 * Applies a subscription snapshot as the official `applySubscriptionSnapshot`: one older than the version
 * applied is dropped; a REST one without a version is dropped when a socket snapshot was applied since its
 * request started (`socketWritesAtStart`). Returns whether it was applied.
 */
export function applySubscription(
  api: AccountApi,
  subscription: SubscriptionEntitlementSnapshot,
  source: "socket" | "rest",
  version: number | undefined,
  socketWritesAtStart?: number
): boolean {
  const gate = api._subscriptionGate
  if (version !== undefined && gate.version !== undefined && version < gate.version) return false
  if (source === "rest" && version === undefined && socketWritesAtStart !== undefined && socketWritesAtStart !== gate.socketWrites) {
    return false
  }
  if (version !== undefined) gate.version = version
  if (source === "socket") gate.socketWrites += 1
  api._update({ subscription })
  return true
}

// -------------------------------------------------------------------------------------------------
// Decoding
// -------------------------------------------------------------------------------------------------

let entitlementDecoder: LeanRest.Decoder<Subscriptions.Entitlement> | undefined
let meDecoder: LeanRest.Decoder<SogniAccount.MeData> | undefined
let statusDecoder: LeanRest.Decoder<Subscriptions.StatusResponse> | undefined

/**
 * Logs a warning with the client's logger (nothing once the client is disposed); a REST failure's message
 * names the request (`GET <url>: …`). The account's fields stay as they were.
 */
function warn(api: AccountApi, message: string, cause: unknown): void {
  if (!api._runner.disposed) api._runner.runUngated(Effect.logWarning(message, cause)).catch(() => undefined)
}

/**
 * An entitlement (a `subscriptionEntitlementUpdated` push, or the `authenticated` frame's snapshot) as
 * `currentAccount.subscription` and its free-Spark state (`now`: the time a fair-use reset is compared
 * with). Returns whether it was one: a payload that is not is logged (the push skipped).
 */
export function applyEntitlement(api: AccountApi, payload: unknown, what: string, now: number): boolean {
  const decoded = (entitlementDecoder ??= LeanRest.decoder(Subscriptions.Entitlement))(payload)
  if (Either.isLeft(decoded)) {
    warn(api, `skipped a malformed ${what}`, decoded.left)
    return false
  }
  const e = decoded.right
  if (e.freeSparkLocked !== undefined) {
    api._update({
      freeSparkLocked: e.freeSparkLocked,
      freeSparkUnlockPath: e.freeSparkUnlockPath === "trial" || e.freeSparkUnlockPath === "purchase" ? e.freeSparkUnlockPath : undefined
    })
  }
  applySubscription(api, snapshotOfEntitlement(e, now), "socket", versionOf(e.subscription?.version))
  return true
}

// -------------------------------------------------------------------------------------------------
// The reads
// -------------------------------------------------------------------------------------------------

/**
 * The account reads in flight, over core's lean `GET`: {@link abortAll} aborts them (the credential was
 * cleared: a logout gives up the reads it made, so that none holds the process up to `requestTimeout`
 * against a server that does not answer, and none writes a signed-out account's fields).
 */
export class BackgroundReads {
  private readonly running = new Set<() => void>()
  constructor(private readonly lean: LeanRest.LeanRestService) {}

  /** `GET`s `path` of the REST host; `done` is called unless the read is aborted first. */
  get<A>(path: string, decode: LeanRest.Decoder<A>, done: (result: Either.Either<A, RestError>) => void): void {
    const running = this.running
    let abort: (() => void) | undefined
    let finished = false
    abort = this.lean.get(path, {}, decode, (result) => {
      finished = true
      if (abort !== undefined) running.delete(abort)
      done(result)
    })
    if (!finished) running.add(abort)
  }

  /** Aborts every read in flight: none of their callbacks runs. */
  abortAll(): void {
    if (this.running.size === 0) return
    const all = [...this.running]
    this.running.clear()
    for (const abort of all) abort()
  }
}

/**
 * `GET /v1/account/me` in the background: its username, e-mail and wallet become `currentAccount`'s.
 * A failure is logged and leaves them as they were.
 */
export function readIdentity(api: AccountApi, reads: BackgroundReads): void {
  reads.get("/v1/account/me", (meDecoder ??= LeanRest.decoder(SogniAccount.MeData)), (result) => {
    if (Either.isLeft(result)) return warn(api, "sogni: GET /v1/account/me failed", result.left)
    const me = result.right
    api._update({ username: me.username, email: me.currentEmail === "" ? undefined : me.currentEmail, walletAddress: me.walletAddress })
  })
}

/**
 * The subscription at a connection, as the official client reads it: the `authenticated` frame's
 * entitlement snapshot; without one (or with one that does not decode, logged), `GET
 * /v1/subscriptions/status` in the background. A failure is logged and leaves it as it was.
 */
export function readSubscription(api: AccountApi, reads: BackgroundReads, entitlement: unknown, now: number): void {
  if (entitlement !== undefined && entitlement !== null && applyEntitlement(api, entitlement, "authenticated.subscriptionEntitlement", now)) return
  const socketWrites = api._subscriptionGate.socketWrites
  reads.get("/v1/subscriptions/status", (statusDecoder ??= LeanRest.decoder(Subscriptions.StatusResponse)), (result) => {
    if (Either.isLeft(result)) {
      return warn(api, "sogni: GET /v1/subscriptions/status failed", result.left)
    }
    const s = result.right.subscription
    applySubscription(api, snapshotOfStatus(s), "rest", versionOf(s["version"]), socketWrites)
  })
}
