/**
 * Account extras (rest.md §3.3): rewards the account can claim, claiming them, and the account's
 * transaction history.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Rewards } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const rewards = yield* Rewards.Rewards
 *   const claimable = (yield* rewards.list()).filter((r) => r.canClaim === 1)
 *   yield* rewards.claim(claimable.map((r) => r.id))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import { SogniInvalidRequest } from "./SogniError.js"
import { type RestError, SogniRest } from "./SogniRest.js"

/** One reward of `GET /v4/account/rewards`. @since 0.1.0 */
export const Reward = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct(
    {
      id: Schema.String,
      type: Schema.Literal("instant", "conditioned"),
      title: Schema.String,
      description: Schema.String,
      amount: Schema.Union(Schema.String, Schema.Number),
      tokenType: Schema.String,
      claimed: Schema.Literal(0, 1),
      canClaim: Schema.Literal(0, 1),
      cantClaimReason: Schema.optional(
        Schema.NullOr(Schema.Literal("already_claimed", "requires_verification", "over_free_cap"))
      ),
      lastClaimTimestamp: Schema.Number,
      claimResetFrequencySec: Schema.Number
    },
    { key: Schema.String, value: Schema.Unknown }
  )
)
/** @since 0.1.0 */
export type Reward = typeof Reward.Type

/** One entry of `GET /v1/transactions/list` (times epoch ms). @since 0.1.0 */
export const Transaction = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct(
    {
      id: Schema.String,
      status: Schema.String,
      role: Schema.Literal("artist", "worker"),
      amount: Schema.Number,
      description: Schema.String,
      source: Schema.String,
      type: Schema.String,
      tokenType: Schema.String,
      createTime: Schema.Number,
      endTime: Schema.optional(Schema.NullOr(Schema.Number)),
      paymentModel: Schema.optional(Schema.String)
    },
    { key: Schema.String, value: Schema.Unknown }
  )
)
/** @since 0.1.0 */
export type Transaction = typeof Transaction.Type

/** A page of transactions; `next` is the offset of the following page. @since 0.1.0 */
export const TransactionPage = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ transactions: Schema.Array(Transaction), next: Schema.Number }))
/** @since 0.1.0 */
export type TransactionPage = typeof TransactionPage.Type

/** @since 0.1.0 */
export interface RewardsService {
  /** `GET /v4/account/rewards`. */
  readonly list: (options?: { readonly provider?: string | undefined }) => Effect.Effect<ReadonlyArray<Reward>, RestError>
  /** `POST /v3/account/reward/claim`: claims rewards by id (at least one). */
  readonly claim: (
    ids: ReadonlyArray<string>,
    options?: { readonly provider?: string | undefined; readonly turnstileToken?: string | undefined }
  ) => Effect.Effect<void, RestError>
  /** `GET /v1/transactions/list`: one page of the account's completed transactions. */
  readonly transactions: (options: {
    readonly address: string
    readonly limit?: number | undefined
    readonly offset?: number | undefined
  }) => Effect.Effect<TransactionPage, RestError>
}

/** @since 0.1.0 */
export class Rewards extends Context.Tag("@effect-sogni/core/Rewards")<Rewards, RewardsService>() {}

const invalid = (field: string, rule: string) => new SogniInvalidRequest({ field, rule, message: `${field}: ${rule}` })

/** @since 0.1.0 */
export const make = Effect.map(SogniRest, (rest): RewardsService => ({
  list: (options = {}) =>
    rest.get("rest", "/v4/account/rewards", Schema.Struct({ rewards: Schema.Array(Reward) }), {
      query: { provider: options.provider }
    }).pipe(Effect.map((r) => r.rewards), Effect.withSpan("Rewards.list")),
  claim: (ids, options = {}) =>
    (ids.length === 0 || ids.some((id) => id.trim().length === 0)
      ? Effect.fail(invalid("claims", "at least one non-empty reward id"))
      : rest.post(
        "rest",
        "/v3/account/reward/claim",
        { claims: ids, provider: options.provider ?? "base", turnstileToken: options.turnstileToken },
        Schema.Unknown
      )).pipe(Effect.asVoid, Effect.withSpan("Rewards.claim")),
  transactions: (options) => {
    const limit = options.limit ?? 50
    return (!Number.isInteger(limit) || limit < 1 || limit > 1000
      ? Effect.fail(invalid("limit", "an integer in 1..1000"))
      : rest.get("rest", "/v1/transactions/list", TransactionPage, {
        query: { status: "completed", address: options.address, limit, offset: options.offset }
      })).pipe(Effect.withSpan("Rewards.transactions"))
  }
}))

/** @since 0.1.0 */
export const layer: Layer.Layer<Rewards, never, SogniRest> = Layer.effect(Rewards, make)
