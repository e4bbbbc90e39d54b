/**
 * What a ZelAI call can fail with.
 *
 * Besides core's errors (a refused key is a `SogniAuthenticationError`, bad options a `SogniInvalidRequest`
 * naming `field` and `rule`, a broken socket a `SogniTransportError`), two are ZelAI's own:
 *
 * - {@link ZelaiRequestError}: the server answered a request with `error` — its `code`, the `requestId`,
 *   and for `RATE_LIMIT_EXCEEDED` / `CONCURRENT_LIMIT_EXCEEDED` the delay to wait (`retryAfter`, `resetAt`);
 * - {@link ZelaiConnectionLost}: the socket died while a generation was running and its answer never
 *   came on the next one. The request is **not** sent again (that would run and bill it twice); the error
 *   carries its `requestId` and says it may have been billed.
 *
 * Both carry core's error marker, so core's one retry policy (`RetryPolicy.retry`) reads their
 * `isRetryable` and `retryAfter`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ZelaiError } from "@effect-sogni/zelai"
 *
 * const explain = (e: ZelaiError.ZelaiError) =>
 *   e._tag === "ZelaiRequestError" && e.reason === "RateLimited" ? Effect.log(`wait ${e.retryAfterMillis} ms`) : Effect.fail(e)
 * ```
 *
 * @since 0.2.0
 */
import { SogniError } from "@effect-sogni/core"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * The server's answer was `error` for a request.
 *
 * Reasons, from the wire `code`: `RateLimited` (`RATE_LIMIT_EXCEEDED`), `ConcurrentLimit`
 * (`CONCURRENT_LIMIT_EXCEEDED`), `InvalidRequest` (`INVALID_REQUEST`), `NotFound` (`RESOURCE_NOT_FOUND`),
 * `GenerationFailed` (`GENERATION_FAILED`), `Internal` (`INTERNAL_ERROR`), `AuthRequired`
 * (`AUTH_REQUIRED`), `Timeout` (no answer within the configured bound; a `cancel` was sent), `Overflow`
 * (`CLIENT_BUFFER_FULL`: the consumer fell `frameBufferCapacity` frames behind a stream; a `cancel` was
 * sent) and `Unknown` (any other code, kept in `code`). A refusal before sending because `maxInFlight`
 * requests are already running is `ConcurrentLimit` with code `CLIENT_MAX_IN_FLIGHT`.
 *
 * @since 0.2.0
 */
export class ZelaiRequestError extends Schema.TaggedError<ZelaiRequestError>("@effect-sogni/zelai/ZelaiRequestError")(
  "ZelaiRequestError",
  {
    reason: Schema.Literal(
      "RateLimited",
      "ConcurrentLimit",
      "InvalidRequest",
      "NotFound",
      "GenerationFailed",
      "Internal",
      "AuthRequired",
      "Timeout",
      "Overflow",
      "Unknown"
    ),
    code: Schema.String,
    requestId: Schema.optional(Schema.String),
    operation: Schema.String,
    message: Schema.String,
    /** How long the server asked to wait (from `retryAfter` seconds or `resetAt`). */
    retryAfterMillis: Schema.optional(Schema.Number),
    /** When the exhausted window resets (ISO-8601), when the server said. */
    resetAt: Schema.optional(Schema.String),
    details: Schema.optional(Schema.Unknown)
  }
) {
  /** @since 0.2.0 */
  readonly [SogniError.TypeId]: SogniError.TypeId = SogniError.TypeId
  /** Rate and concurrency refusals, failed generations and server errors may succeed later. @since 0.2.0 */
  get isRetryable(): boolean {
    return this.reason === "RateLimited" || this.reason === "ConcurrentLimit" || this.reason === "GenerationFailed" ||
      this.reason === "Internal"
  }
  /** @since 0.2.0 */
  get retryAfter(): Option.Option<Duration.Duration> {
    return this.retryAfterMillis === undefined ? Option.none() : Option.some(Duration.millis(this.retryAfterMillis))
  }
}

/**
 * The socket closed while the request was in flight and no answer for it came on the next socket within
 * the resume grace. It was not sent again: the server may have run it, so it **may have been billed**.
 *
 * @since 0.2.0
 */
export class ZelaiConnectionLost extends SogniError.neverRetried(Schema.TaggedError<ZelaiConnectionLost>("@effect-sogni/zelai/ZelaiConnectionLost")(
  "ZelaiConnectionLost",
  {
    requestId: Schema.String,
    operation: Schema.String,
    mayHaveBeenBilled: Schema.Boolean,
    closeCode: Schema.optional(Schema.Number),
    message: Schema.String
  }
)) {
  /** @since 0.2.0 */
  readonly [SogniError.TypeId]: SogniError.TypeId = SogniError.TypeId
}

/**
 * Everything a ZelAI call can fail with.
 *
 * @since 0.2.0
 */
export type ZelaiError = ZelaiRequestError | ZelaiConnectionLost | SogniError.SogniError

const reasons: Readonly<Record<string, ZelaiRequestError["reason"]>> = {
  RATE_LIMIT_EXCEEDED: "RateLimited",
  CONCURRENT_LIMIT_EXCEEDED: "ConcurrentLimit",
  INVALID_REQUEST: "InvalidRequest",
  RESOURCE_NOT_FOUND: "NotFound",
  GENERATION_FAILED: "GenerationFailed",
  INTERNAL_ERROR: "Internal",
  AUTH_REQUIRED: "AuthRequired"
}

/**
 * The reason for a wire error code.
 *
 * @since 0.2.0
 */
export const reasonOf = (code: string): ZelaiRequestError["reason"] => reasons[code] ?? "Unknown"

const record = (u: unknown): Readonly<Record<string, unknown>> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? u as Readonly<Record<string, unknown>> : undefined

/**
 * The delay a refusal asks for: `retryAfter` (seconds) in `data` or `details`, else `resetAt`
 * (`details.resetAt`, a string or `{ window15Min }`) relative to `nowMillis`.
 *
 * @since 0.2.0
 */
export const waitOf = (
  error: { readonly retryAfter?: number | undefined; readonly details?: unknown },
  nowMillis: number
): { readonly retryAfterMillis: number | undefined; readonly resetAt: string | undefined } => {
  const details = record(error.details)
  const seconds = error.retryAfter ?? (typeof details?.retryAfter === "number" ? details.retryAfter : undefined)
  const rawReset = details?.resetAt
  const resetAt = typeof rawReset === "string"
    ? rawReset
    : typeof record(rawReset)?.window15Min === "string"
    ? record(rawReset)!.window15Min as string
    : undefined
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) {
    return { retryAfterMillis: Math.round(seconds * 1000), resetAt }
  }
  if (resetAt !== undefined) {
    const at = Date.parse(resetAt)
    if (!Number.isNaN(at)) return { retryAfterMillis: Math.max(0, at - nowMillis), resetAt }
  }
  return { retryAfterMillis: undefined, resetAt }
}
