/**
 * Platform statistics: the leaderboards (`GET /v1/leaderboard/`, rest.md §6), ranked by what artists
 * rendered or workers served, per day or over the account's lifetime.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Stats } from "@effect-sogni/core"
 *
 * const top = Stats.leaderboard({ type: "projectCompleteArtist", period: "lifetime", limit: 10 })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import { SogniInvalidRequest } from "./SogniError.js"
import { type RestError, SogniRest } from "./SogniRest.js"

/**
 * The leaderboards the platform keeps, as a plain list (the promise client's declarations inline the
 * types of this module without Effect's).
 *
 * @since 0.1.0
 */
export const leaderboardTypes = [
  "renderUSDCompleteWorker",
  "renderUSDCompleteArtist",
  "renderSecCompleteWorker",
  "renderSecCompleteArtist",
  "renderTokenCompleteWorker",
  "renderTokenCompleteWorker2",
  "renderTokenCompleteArtist",
  "renderTokenCompleteArtist2",
  "jobCompleteWorker",
  "jobCompleteArtist",
  "projectCompleteArtist",
  "uloginWorker",
  "uloginArtist",
  "tokenVolume",
  "referral"
] as const

// a name of its own: `LeaderboardType` is also the schema, which the client's declarations cannot carry
type Board = (typeof leaderboardTypes)[number]

/** @since 0.1.0 */
export type LeaderboardType = Board

/** The leaderboards the platform keeps. @since 0.1.0 */
export const LeaderboardType: Schema.Literal<typeof leaderboardTypes> = /* @__PURE__ */ Lazy.schema(() => Schema.Literal(...leaderboardTypes))

/**
 * A leaderboard query: `period` `day` (the UTC day of `date`, epoch ms, today by default) or `lifetime`;
 * `page` counts from 1.
 *
 * @since 0.1.0
 */
export interface LeaderboardParams {
  readonly type: Board
  readonly period: "day" | "lifetime"
  readonly username?: string | undefined
  readonly network?: "fast" | "relaxed" | "all" | undefined
  readonly page?: number | undefined
  readonly limit?: number | undefined
  readonly date?: number | undefined
  readonly address?: string | undefined
}

/** One row of a leaderboard; `value` is a decimal string. @since 0.1.0 */
export const LeaderboardItem = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    rank: Schema.Number,
    username: Schema.String,
    address: Schema.String,
    country: Schema.String,
    value: Schema.String,
    role: Schema.String
  })
)
/** @since 0.1.0 */
export type LeaderboardItem = typeof LeaderboardItem.Type

const invalid = (field: string, rule: string, message: string) => new SogniInvalidRequest({ field, rule, message })

const check = (p: LeaderboardParams): SogniInvalidRequest | undefined => {
  if (typeof p !== "object" || p === null) return invalid("params", "type", "leaderboard needs { type, period }")
  const types: ReadonlyArray<string> = LeaderboardType.literals
  if (!types.includes(p.type)) return invalid("type", "one-of", `type must be one of ${types.join(", ")}`)
  if (p.period !== "day" && p.period !== "lifetime") return invalid("period", "one-of", "period must be day or lifetime")
  if (p.network !== undefined && !["fast", "relaxed", "all"].includes(p.network)) {
    return invalid("network", "one-of", "network must be fast, relaxed or all")
  }
  if (p.page !== undefined && !(Number.isInteger(p.page) && p.page >= 1)) return invalid("page", "positive-integer", "page must be an integer from 1")
  if (p.limit !== undefined && !(Number.isInteger(p.limit) && p.limit >= 1)) {
    return invalid("limit", "positive-integer", "limit must be a positive integer")
  }
  if (p.date !== undefined && !Number.isFinite(p.date)) return invalid("date", "epoch-ms", "date must be epoch milliseconds")
  return undefined
}

/**
 * One page of a leaderboard.
 *
 * @since 0.1.0
 */
export const leaderboard = (
  params: LeaderboardParams
): Effect.Effect<ReadonlyArray<LeaderboardItem>, RestError, SogniRest> => {
  const problem = check(params)
  if (problem !== undefined) return Effect.fail(problem)
  return Effect.flatMap(SogniRest, (rest) =>
    rest.get("rest", "/v1/leaderboard/", Schema.Array(LeaderboardItem), {
      query: {
        type: params.type,
        period: params.period,
        username: params.username,
        network: params.network,
        page: params.page,
        limit: params.limit,
        date: params.date,
        address: params.address
      }
    })).pipe(Effect.withSpan("Stats.leaderboard", { attributes: { type: params.type, period: params.period } }))
}
