/**
 * `sogni.stats`: the platform's leaderboards, over core's `Stats`.
 *
 * @since 0.1.0
 */
import * as Stats from "@effect-sogni/core/Stats"
import type { SogniRest } from "@effect-sogni/core"
import { Emitter } from "./internal/emitter.js"
import type { CallOptions, Runner } from "./internal/runner.js"

/** A leaderboard query (the official `LeaderboardParams`). @since 0.1.0 */
export type LeaderboardParams = Stats.LeaderboardParams
/** The leaderboards the platform keeps. @since 0.1.0 */
export type LeaderboardType = Stats.LeaderboardType

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
  /** @internal */
  constructor(private readonly runner: Runner<SogniRest.SogniRest>) {
    super()
  }

  /**
   * One page of a leaderboard. A query the platform would refuse (an unknown `type`, a `page` below 1…)
   * rejects with an `InvalidRequestError` naming the field.
   */
  async leaderboard(params: LeaderboardParams, options?: CallOptions): Promise<Array<LeaderboardItem>> {
    return [...await this.runner.run(Stats.leaderboard(params), options?.signal)]
  }
}
