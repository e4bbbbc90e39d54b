/**
 * The retries of a REST request whose first attempt failed (`restClient.retryAfterFailure`): core's
 * `RetryPolicy.retry`, a `Schedule` stepped by `Effect.retry`. Loaded with a dynamic `import()` on the first
 * retryable failure, so a program whose requests succeed at once never loads Effect's schedule
 * combinators (`packages/bench/src/startup/analyze.ts`).
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as RetryPolicy from "../RetryPolicy.js"

/** See `restClient.retryAfterFailure`. */
export function retryAfterFailure<A, E, R>(
  first: E,
  again: Effect.Effect<A, E, R>,
  options: RetryPolicy.Options,
  clock: Clock.Clock,
  startedAt: number
): Effect.Effect<A, E, R> {
  let replay = true
  return RetryPolicy.retry(
    Effect.suspend(function() {
      if (!replay) return again
      replay = false
      return Effect.fail(first)
    }),
    RetryPolicy.withinWindow(options, clock, startedAt)
  )
}
