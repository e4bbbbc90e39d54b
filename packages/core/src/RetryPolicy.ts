/**
 * The one retry policy of the SDK.
 *
 * Every retry of a request to Sogni goes through here; callers above core never stack their own retries on
 * top of it. The rules:
 *
 * - only failures that say "try again" are retried: transport errors ({@link SogniTransportError}) and API
 *   errors with status 408, 429 or 5xx ({@link SogniApiError.isRetryable});
 * - only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) or requests that carry an idempotency key;
 * - the delay the server asked for wins: the error body's `retryAfter` (seconds), else a `retry-after-ms`
 *   header (milliseconds), else `Retry-After` (delta-seconds or an HTTP-date) — all folded into
 *   `SogniApiError.retryAfterMillis` by the REST boundary — capped at `retryAfterCap` (60 s by default);
 * - otherwise exponential backoff `base · 2ⁿ` capped at `cap`, with ± `jitter` (a factor in [0, 1]);
 * - at most `retries` retries after the first attempt, and none for a failure that arrives later than
 *   `window` after the first attempt began (a host that leaves a whole request timeout unanswered is
 *   not asked again and again).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryPolicy, SogniConfig } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const settings = yield* SogniConfig.SogniConfig
 *   const options = RetryPolicy.fromSettings(settings)
 *   return yield* someIdempotentCall.pipe(RetryPolicy.retry(options))
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as SogniConfig from "./SogniConfig.js"
import * as SogniError from "./SogniError.js"
import { isSogniError } from "./SogniError.js"

/**
 * The knobs of the policy.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Retries after the first attempt. */
  readonly retries: number
  /** First backoff delay; doubles each retry. */
  readonly base: Duration.Duration
  /** Largest backoff delay. */
  readonly cap: Duration.Duration
  /** Largest server-requested delay honoured (longer requests wait this long). */
  readonly retryAfterCap: Duration.Duration
  /** Each backoff delay is multiplied by a uniform value in [1 − jitter, 1 + jitter], then capped. */
  readonly jitter: number
  /** Overrides which failures are retried (default {@link isRetryable}). */
  readonly while?: ((error: unknown) => boolean) | undefined
  /**
   * A failure that arrives later than this after the first attempt began is not retried (a wait the
   * server asked for is not counted against it: the decision is taken when the failure arrives).
   * Unbounded when absent.
   */
  readonly window?: Duration.Duration | undefined
}

/**
 * Defaults, from {@link SogniConfig.defaults} plus a jitter of 0.2.
 *
 * @since 0.1.0
 */
export const defaults: Options = {
  retries: SogniConfig.defaults.restRetries,
  base: SogniConfig.defaults.restRetryBase,
  cap: SogniConfig.defaults.restRetryCap,
  retryAfterCap: SogniConfig.defaults.retryAfterCap,
  jitter: 0.2,
  window: SogniConfig.defaults.restRetryWindow
}

/**
 * The policy configured by `SogniConfig` (`restRetries`, `restRetryBase`, `restRetryCap`,
 * `restRetryWindow`, `retryAfterCap`), with optional overrides.
 *
 * @since 0.1.0
 */
export function fromSettings(
  settings: SogniConfig.SogniSettings,
  overrides: Partial<Options> = {}
): Options {
  return {
    retries: settings.restRetries,
    base: settings.restRetryBase,
    cap: settings.restRetryCap,
    retryAfterCap: settings.retryAfterCap,
    jitter: defaults.jitter,
    window: settings.restRetryWindow,
    ...overrides
  }
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])

/**
 * Whether a request may be repeated safely: an idempotent method, or any method with an idempotency key.
 *
 * @since 0.1.0
 */
export function isIdempotent(method: string, idempotencyKey?: string | undefined): boolean {
  return IDEMPOTENT.has(method.toUpperCase()) || (idempotencyKey !== undefined && idempotencyKey !== "")
}

/**
 * HTTP statuses worth retrying: 408, 429 and every 5xx.
 *
 * @since 0.1.0
 */
export const isRetryableStatus: (status: number) => boolean = SogniError.isRetryableStatus

/**
 * Whether a failure is worth retrying: a Sogni error whose `isRetryable` is true (transport errors, API
 * errors with a retryable status).
 *
 * @since 0.1.0
 */
export function isRetryable(error: unknown): boolean {
  return isSogniError(error) && Predicate.hasProperty(error, "isRetryable") && error.isRetryable === true
}

/**
 * The delay a failure asked for (`SogniApiError.retryAfter`), if any.
 *
 * @since 0.1.0
 */
export function requestedDelay(error: unknown): Option.Option<Duration.Duration> {
  if (!isSogniError(error)) return Option.none()
  const after: unknown = (error as { readonly retryAfter?: unknown }).retryAfter
  return Option.isOption(after) ? (after as Option.Option<Duration.Duration>) : Option.none()
}

/**
 * The backoff before retry number `attempt` (0-based), before jitter: `min(cap, base · 2^attempt)`.
 *
 * @since 0.1.0
 */
export function backoff(attempt: number, options: Pick<Options, "base" | "cap">): Duration.Duration {
  const base = Duration.toMillis(options.base)
  const cap = Duration.toMillis(options.cap)
  return Duration.millis(Math.min(cap, base * Math.pow(2, Math.min(attempt, 52))))
}

/**
 * The delay before retry number `attempt` (0-based) after `error`. `random` is a uniform value in [0, 1)
 * used for jitter (ignored for server-requested delays).
 *
 * @since 0.1.0
 */
export function delayFor(error: unknown, attempt: number, options: Options, random: number): Duration.Duration {
  return Option.match(requestedDelay(error), {
    onSome: (asked) => Duration.min(asked, options.retryAfterCap),
    onNone: () => {
      const nominal = Duration.toMillis(backoff(attempt, options))
      const jitter = Math.max(0, Math.min(1, options.jitter))
      const factor = 1 - jitter + 2 * jitter * random
      return Duration.millis(Math.min(Duration.toMillis(options.cap), Math.round(nominal * factor)))
    }
  })
}

/**
 * The delay before retry number `attempt` after `error` ({@link delayFor} with one `Random.next`), logged
 * at debug level: the one step {@link schedule} and {@link retry} share, taken only when the policy goes
 * on, so the log line is true.
 */
function announcedDelay(error: unknown, attempt: number, options: Options): Effect.Effect<Duration.Duration> {
  return Effect.flatMap(Random.next, (random) => {
    const delay = delayFor(error, attempt, options, random)
    return Effect.as(
      Effect.annotateLogs(Effect.logDebug(`sogni: retry ${attempt + 1} in ${Duration.format(delay)}`), { error: describe(error) }),
      delay
    )
  })
}

/**
 * The policy as a `Schedule` whose input is the failure: it continues while the failure is retryable and
 * fewer than `retries` retries were made, waiting {@link delayFor}. Outputs the retry count.
 *
 * It does not know whether the request is idempotent; {@link retry} checks that.
 *
 * @since 0.1.0
 */
export function schedule(options: Options): Schedule.Schedule<number, unknown> {
  const retryable = options.while ?? isRetryable
  return Schedule.identity<unknown>().pipe(
    Schedule.intersect(Schedule.recurs(Math.max(0, options.retries))),
    Schedule.whileInput(retryable),
    // only consulted when the schedule goes on, so the log line is true
    Schedule.addDelayEffect(([error, attempt]) => announcedDelay(error, attempt, options)),
    Schedule.map(([, attempt]) => attempt + 1)
  )
}

/**
 * Retries an effect under the policy. Pass `idempotent: false` for a request that must not be repeated
 * (a POST without idempotency key): it then runs exactly once.
 *
 * @since 0.1.0
 */
export const retry: {
  (options: Options & { readonly idempotent?: boolean | undefined }): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: Options & { readonly idempotent?: boolean | undefined }
  ): Effect.Effect<A, E, R>
} = /* @__PURE__ */ dual(
  2,
  function<A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: Options & { readonly idempotent?: boolean | undefined }
  ): Effect.Effect<A, E, R> {
    return options.idempotent === false || options.retries <= 0
      ? self
      : options.window === undefined
      ? retrying(self, options, 0)
      : Effect.clockWith((clock) => retrying(self, withinWindow(options, clock, clock.unsafeCurrentTimeMillis()), 0))
  })

/**
 * {@link retry}'s loop: what `Effect.retry(self, schedule(options))` does, stepped by hand so that a program
 * that only ever sends (an image program) loads none of `effect/Schedule`'s combinators (~5 KB minified
 * parsed at every import). The same decisions in the same order: a failure is retried while it is
 * retryable and fewer than `retries` retries were made; the delay ({@link delayFor}, one `Random.next`
 * drawn only when retrying, {@link announcedDelay}) is logged at debug level, then slept on the fiber's `Clock` (none for a
 * zero delay, as the schedule driver does); once the policy stops, the last failure is the result.
 */
function retrying<A, E, R>(self: Effect.Effect<A, E, R>, options: Options, attempt: number): Effect.Effect<A, E, R> {
  const retryable = options.while ?? isRetryable
  return Effect.catchAll(self, (error) =>
    attempt >= options.retries || !retryable(error)
      ? Effect.fail(error)
      : Effect.flatMap(announcedDelay(error, attempt, options), (delay) =>
        Duration.toMillis(delay) > 0
          ? Effect.zipRight(Effect.sleep(delay), retrying(self, options, attempt + 1))
          : retrying(self, options, attempt + 1)))
}

/**
 * `options` with its `window` folded into `while`: a failure is retried only if it arrived less than
 * `window` after `startedAt` (milliseconds of `clock`). Used by {@link retry}; a caller that runs the
 * first attempt itself passes when that attempt began.
 *
 * @since 0.1.0
 */
export function withinWindow(
  options: Options,
  clock: Clock.Clock,
  startedAt: number
): Options {
  if (options.window === undefined) return options
  const windowMillis = Duration.toMillis(options.window)
  const retryable = options.while ?? isRetryable
  return {
    ...options,
    window: undefined,
    while: (error) => retryable(error) && clock.unsafeCurrentTimeMillis() - startedAt < windowMillis
  }
}

function describe(error: unknown): string {
  return Predicate.hasProperty(error, "_tag") && Predicate.hasProperty(error, "message")
    ? `${String(error._tag)}: ${String(error.message)}`
    : "unknown failure"
}

// ---------------------------------------------------------------------------------------------
// Server-requested delays
// ---------------------------------------------------------------------------------------------

/**
 * Parses a `Retry-After` value: delta-seconds or an HTTP-date (relative to `nowMillis`; past dates give 0).
 *
 * @since 0.1.0
 */
export function parseRetryAfter(value: string, nowMillis: number): Option.Option<Duration.Duration> {
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Option.some(Duration.millis(Math.round(Number(v) * 1000)))
  if (!/[a-zA-Z]/.test(v)) return Option.none()
  const at = Date.parse(v)
  return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}

/**
 * The delay requested by a response, in priority order: the error body's `retryAfter` (seconds), the
 * `retry-after-ms` header (milliseconds), the `Retry-After` header. Header names are matched
 * case-insensitively. Not capped here (the cap applies when waiting).
 *
 * @since 0.1.0
 */
export function requestedDelayOf(
  input: {
    readonly bodyRetryAfter?: number | undefined
    readonly headers: Readonly<Record<string, string | undefined>>
  },
  nowMillis: number
): Option.Option<Duration.Duration> {
  const body = input.bodyRetryAfter
  if (typeof body === "number" && Number.isFinite(body) && body >= 0) {
    return Option.some(Duration.millis(Math.round(body * 1000)))
  }
  const header = (name: string): string | undefined => {
    for (const [k, v] of Object.entries(input.headers)) if (k.toLowerCase() === name) return v
    return undefined
  }
  const ms = header("retry-after-ms")
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Option.some(Duration.millis(Math.round(Number(ms))))
  const ra = header("retry-after")
  return ra === undefined ? Option.none() : parseRetryAfter(ra, nowMillis)
}
