/**
 * Rate-limited warnings for skipped malformed frames: the one limiter behind the socket, the SSE event
 * reader, hosted chat streams and ZelAI's connection.
 *
 * A malformed server frame is logged and skipped, never fatal; but a server pouring garbage must not pour
 * log lines too. A limiter lets `limit` warnings through per window and counts the rest; the count is logged
 * in one line (the caller's `summary`) when the next window starts, when the caller calls {@link
 * SkipWarnings.flush} (its reader, stream or connection ends), and, given a `flushIn` scope, by a flush
 * forked at the end of the window in which the first warning was suppressed, so that the count is
 * reported even when no further bad frame arrives.
 *
 * Without a `window` the window never ends: the first `limit` skips of a stream are warned, the rest
 * counted until its end (`flush`).
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { SkipWarnings } from "@effect-sogni/core"
 *
 * const reader = <A>(lines: Stream.Stream<string>, parse: (line: string) => A | undefined) =>
 *   Stream.unwrap(Effect.map(
 *     SkipWarnings.make<string>({
 *       limit: 5,
 *       warning: (line) => Effect.logWarning(`skipped a malformed line (${line.slice(0, 40)})`),
 *       summary: (count) => Effect.logWarning(`skipped ${count} more malformed lines (warnings suppressed)`)
 *     }),
 *     (skips) =>
 *       lines.pipe(
 *         Stream.mapEffect((line) => {
 *           const parsed = parse(line)
 *           return parsed === undefined ? Effect.as(skips.report(line), []) : Effect.succeed([parsed])
 *         }),
 *         Stream.flattenIterables,
 *         Stream.ensuring(skips.flush)
 *       )
 *   ))
 * ```
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/**
 * How a limiter warns and counts.
 *
 * @since 0.2.0
 */
export interface Options<A> {
  /** Warnings per window, at most; further skips in the window are counted. */
  readonly limit: number
  /** The window's length; omitted, the window never ends (a limit per stream or reader). */
  readonly window?: Duration.DurationInput | undefined
  /** The warning for one skip that is within the limit. */
  readonly warning: (skip: A) => Effect.Effect<void>
  /** The one line for `count` (at least 1) suppressed warnings. */
  readonly summary: (count: number) => Effect.Effect<void>
  /**
   * With a window: the scope in which the first suppressed skip of a window forks a flush at the window's
   * end (interrupted when the scope closes). Omitted, the count waits for the next window or `flush`.
   */
  readonly flushIn?: Scope.Scope | undefined
}

/**
 * A limiter: report each skip through it, and flush it when the reader, stream or connection ends.
 *
 * @since 0.2.0
 */
export interface SkipWarnings<A> {
  /** Warns about one skip, or counts it when the window's limit is reached (logging an earlier window's count first). */
  readonly report: (skip: A) => Effect.Effect<void>
  /** Logs the count of suppressed warnings, if there are any, and starts the count again. */
  readonly flush: Effect.Effect<void>
}

/**
 * A new limiter, with its own window and count.
 *
 * @since 0.2.0
 */
export function make<A>(options: Options<A>): Effect.Effect<SkipWarnings<A>> {
  return Effect.sync(() => unsafeMake(options))
}

/**
 * A new limiter, made synchronously (for a caller that allocates its state outside an effect, as in
 * `Stream.suspend`).
 *
 * @since 0.2.0
 */
export function unsafeMake<A>(options: Options<A>): SkipWarnings<A> {
  const { flushIn, limit, summary, warning } = options
  // without a window, the first skip opens one that never ends (`now - windowStart` stays finite)
  const windowMillis = options.window === undefined
    ? Number.POSITIVE_INFINITY
    : Duration.toMillis(Duration.decode(options.window))
  let windowStart = Number.NEGATIVE_INFINITY
  let warned = 0
  let suppressed = 0

  const flush = Effect.suspend(() => {
    if (suppressed === 0) return Effect.void
    const count = suppressed
    suppressed = 0
    return summary(count)
  })

  const report = (skip: A): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      let previous: Effect.Effect<void> = Effect.void
      if (now - windowStart >= windowMillis) {
        previous = flush
        windowStart = now
        warned = 0
      }
      if (warned < limit) {
        warned++
        return Effect.zipRight(previous, warning(skip))
      }
      // the first suppressed skip of a window schedules the count for the window's end
      if (++suppressed > 1 || flushIn === undefined || windowMillis === Number.POSITIVE_INFINITY) return previous
      const windowEnd = Duration.millis(Math.max(0, windowStart + windowMillis - now))
      return Effect.zipRight(previous, Effect.asVoid(Effect.forkIn(Effect.delay(flush, windowEnd), flushIn)))
    })

  return { report, flush }
}
