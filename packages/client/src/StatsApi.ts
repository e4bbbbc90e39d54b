/**
 * `sogni.stats`: the platform's leaderboards, over core's `Stats`.
 *
 * @since 0.1.0
 */
import type * as Stats from "@effect-sogni/core/Stats"
import { Emitter } from "./internal/emitter.js"
import type { Extras } from "./internal/extrasGroup.js"
import type { CallOptions } from "./internal/runner.js"

/** The leaderboards the platform keeps (core's). @since 0.1.0 */
export type LeaderboardType = Stats.LeaderboardParams["type"]

/**
 * A leaderboard query (the official `LeaderboardParams`, core's): `period` `day` (the UTC day of `date`,
 * epoch ms) or `lifetime`; `page` counts from 1.
 *
 * @since 0.1.0
 */
export type LeaderboardParams = Stats.LeaderboardParams

/** One row of a leaderboard (the official `LeaderboardItem`). @since 0.1.0 */
export interface LeaderboardItem {
  readonly rank: number
  readonly username: string
  readonly address: string
  readonly country: string
  readonly value: string
  readonly role: string
}

/**
 * @since 0.1.0
 */
export class StatsApi extends Emitter<Record<never, never>> {
  /** @internal @param extras loads the leaderboard code on the first call */
  constructor(private readonly extras: () => Promise<Extras>) {
    super()
  }

  /**
   * One page of a leaderboard. A query the platform would refuse (an unknown `type`, a `page` below 1…)
   * rejects with an `InvalidRequestError` naming the field.
   */
  async leaderboard(params: LeaderboardParams, options?: CallOptions): Promise<Array<LeaderboardItem>> {
    const x = await this.extras()
    return [...await x.run(x.leaderboard(params), options?.signal)]
  }
}
