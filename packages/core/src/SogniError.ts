/**
 * The error union of `@effect-sogni/core`.
 *
 * Every failure that crosses core's boundary (socket, REST, decoding, authentication, local validation)
 * is one of the tagged classes below. Each carries a `reason` that callers can match on, and two
 * decision helpers used by core's single retry policy:
 *
 * - `isRetryable` — whether trying the same request again may succeed;
 * - `retryAfter` — the delay the server asked for, when it asked for one.
 *
 * Secrets never appear in these errors: request descriptions carry only the method and the URL
 * (whose query never holds credentials in this protocol).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SogniError } from "@effect-sogni/core"
 *
 * const program = Effect.catchTag(someCall, "SogniApiError", (e) =>
 *   e.reason === "RateLimited" ? Effect.log(`wait ${e.retryAfterMillis} ms`) : Effect.fail(e))
 * ```
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Lazy from "./Lazy.js"

/** @since 0.1.0 */
export const TypeId: unique symbol = Symbol.for("@effect-sogni/core/SogniError")

/** @since 0.1.0 */
export type TypeId = typeof TypeId

/**
 * True for every error of this union.
 *
 * @since 0.1.0
 */
export function isSogniError(u: unknown): u is SogniError {
  return Predicate.hasProperty(u, TypeId)
}

/**
 * HTTP statuses that say "try again": 408, 429 and every 5xx. The one rule behind `isRetryable` of every
 * API error class of the SDK (this one, chat's `SogniHostedChatError`, workflows' `WorkflowApiError`).
 *
 * @since 0.2.0
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599)
}

/**
 * A server-requested delay in milliseconds as the `retryAfter` of an error.
 *
 * @since 0.2.0
 */
export function retryAfterOf(millis: number | undefined): Option.Option<Duration.Duration> {
  return millis === undefined ? Option.none() : Option.some(Duration.millis(millis))
}

// ---------------------------------------------------------------------------------------------
// Retry advice, written once
// ---------------------------------------------------------------------------------------------
//
// Every error class of the SDK answers core's retry policy with `isRetryable` and `retryAfter`. The
// mixins below are the one home of those getters (and of a constant `reason`): an error class extends
// one of them applied to its `Schema.TaggedError` base, e.g.
// `class E extends SogniError.neverRetried(Lazy.schemaClass(() => Schema.TaggedError<E>()("E", {...})))
// {}`. The getters live on the prototype, so they stay out of the error's fields, its equality and its
// JSON. The `Schema.TaggedError` base itself is built on first use (`Lazy.schemaClass`): declaring one
// builds its struct, type and encoded sides and several annotated copies (~60 KB each), and a run that
// succeeds constructs none of these errors.

/**
 * The constructor an advice mixin extends. `any[]` is the one parameter list TypeScript accepts for a
 * mixin's base; the resulting class keeps the base's own constructor signature.
 *
 * @since 0.2.0
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorConstructor<A = object> = new(...args: Array<any>) => A

function fixedAdvice(retryable: boolean) {
  return <C extends ErrorConstructor>(Base: C) =>
    class extends Base {
      /** The class's fixed answer: whether trying the same request again may succeed. @since 0.1.0 */
      get isRetryable(): boolean {
        return retryable
      }
      /** No delay was asked for. @since 0.1.0 */
      get retryAfter(): Option.Option<Duration.Duration> {
        return Option.none()
      }
    }
}

/**
 * `isRetryable` false and no `retryAfter`: the same request would fail the same way.
 *
 * @since 0.2.0
 */
export const neverRetried = fixedAdvice(false)

/**
 * `isRetryable` true and no `retryAfter`: trying again may succeed, and no delay was asked for.
 *
 * @since 0.2.0
 */
export const alwaysRetried = fixedAdvice(true)

/**
 * The advice of an HTTP answer: `isRetryable` from its `status` ({@link isRetryableStatus}) and
 * `retryAfter` from its `retryAfterMillis` ({@link retryAfterOf}). Used by every API error class
 * (`SogniApiError`, workflows' `WorkflowApiError`, chat's `SogniHostedChatError`).
 *
 * @since 0.2.0
 */
export function retriedByStatus<
  C extends ErrorConstructor<{ readonly status: number; readonly retryAfterMillis?: number | undefined }>
>(Base: C) {
  return class extends Base {
    /** Statuses that say "try again": 408, 429 and 5xx ({@link isRetryableStatus}). @since 0.1.0 */
    get isRetryable(): boolean {
      return isRetryableStatus(this.status)
    }
    /** The delay the server asked for, when it asked for one. @since 0.1.0 */
    get retryAfter(): Option.Option<Duration.Duration> {
      return retryAfterOf(this.retryAfterMillis)
    }
  }
}

/**
 * {@link neverRetried} with a constant `reason`, for error classes that have a single one (refused input,
 * an unsupported feature, a replaced connection).
 *
 * @since 0.2.0
 */
export function refusedAs<const R extends string>(reason: R) {
  return <C extends ErrorConstructor>(Base: C) =>
    class extends neverRetried(Base) {
      /** The one reason of this class. @since 0.1.0 */
      get reason(): R {
        return reason
      }
    }
}

/** Adds the union's brand ({@link TypeId}), which {@link isSogniError} checks. */
function branded<C extends ErrorConstructor>(Base: C) {
  return class extends Base {
    /** @since 0.1.0 */
    readonly [TypeId]: TypeId = TypeId
  }
}

/**
 * The connection to a host failed or broke: refused, reset, timed out, closed abnormally.
 * Always retryable.
 *
 * @since 0.1.0
 */
export class SogniTransportError extends alwaysRetried(Lazy.schemaClass(function() {
  return Schema.TaggedError<SogniTransportError>(
    "@effect-sogni/core/SogniTransportError"
  )("SogniTransportError", {
    reason: Schema.Literal("Connect", "Closed", "Timeout", "Write", "Http"),
    message: Schema.String,
    closeCode: Schema.optional(Schema.Number),
    cause: Schema.optional(Schema.Defect)
  })
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Credentials were refused or can no longer be used.
 *
 * - `InvalidCredentials`: the server refused the key or token (HTTP 401, socket close 4021).
 * - `AppIdBlocked`: the socket was closed with 4010.
 * - `SessionExpired`: a token refresh failed; log in again.
 * - `NotAuthenticated`: an operation needs credentials and none are configured.
 * - `Rejected`: any other terminal 4xxx socket close.
 *
 * @since 0.1.0
 */
export class SogniAuthenticationError extends neverRetried(Lazy.schemaClass(function() {
  return Schema.TaggedError<SogniAuthenticationError>(
    "@effect-sogni/core/SogniAuthenticationError"
  )("SogniAuthenticationError", {
    reason: Schema.Literal("InvalidCredentials", "AppIdBlocked", "SessionExpired", "NotAuthenticated", "Rejected"),
    message: Schema.String,
    closeCode: Schema.optional(Schema.Number)
  })
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Another connection claimed this `appId` (socket close 4015). Reconnecting would only evict the
 * other one, so the socket stops; build a client with another `appId` to go on.
 *
 * @since 0.1.0
 */
export class SogniConnectionReplacedError extends refusedAs("ConnectionReplaced")(Lazy.schemaClass(function() {
  return Schema.TaggedError<SogniConnectionReplacedError>(
    "@effect-sogni/core/SogniConnectionReplacedError"
  )("SogniConnectionReplacedError", {
    appId: Schema.String,
    message: Schema.String
  })
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The server answered with an error status (REST host or socket host).
 *
 * @since 0.1.0
 */
export class SogniApiError extends retriedByStatus(Lazy.schemaClass(function() {
  return Schema.TaggedError<SogniApiError>("@effect-sogni/core/SogniApiError")(
    "SogniApiError",
    {
      reason: Schema.Literal(
        "BadRequest",
        "Forbidden",
        "NotFound",
        "Conflict",
        "RateLimited",
        "ServerError",
        "Unavailable",
        "Timeout",
        "Other"
      ),
      status: Schema.Number,
      errorCode: Schema.optional(Schema.Number),
      message: Schema.String,
      method: Schema.String,
      url: Schema.String,
      retryAfterMillis: Schema.optional(Schema.Number),
      details: Schema.optional(Schema.Unknown),
      /** The error body when it was a JSON object (surfaces with their own error shapes read it: chat.md §13). */
      body: Schema.optional(Schema.Unknown)
    }
  )
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A response or frame did not have the documented shape (`Frame`, `Payload`, `Body`), or a response body
 * or server-sent event was larger than `maxResponseBytes` allows (`TooLarge`; never retried: a retry
 * would read it again).
 *
 * @since 0.1.0
 */
export class SogniDecodeError extends neverRetried(Lazy.schemaClass(function() {
  return Schema.TaggedError<SogniDecodeError>("@effect-sogni/core/SogniDecodeError")(
    "SogniDecodeError",
    {
      reason: Schema.Literal("Frame", "Payload", "Body", "TooLarge"),
      message: Schema.String,
      source: Schema.optional(Schema.String)
    }
  )
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Input was refused before anything was sent. `field` names the offending field (a dotted path) and
 * `rule` the rule it broke.
 *
 * @since 0.1.0
 */
export class SogniInvalidRequest extends refusedAs("InvalidRequest")(Lazy.schemaClass(function() {
  return Schema.TaggedError<SogniInvalidRequest>(
    "@effect-sogni/core/SogniInvalidRequest"
  )("SogniInvalidRequest", {
    field: Schema.String,
    rule: Schema.String,
    message: Schema.String
  })
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A feature the provided platform does not offer (tool calling on Sage, audio on ZelAI…), refused before
 * anything was sent. `feature` names the feature and `provider` the platform.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SogniError } from "@effect-sogni/core"
 *
 * const refused = Effect.fail(new SogniError.SogniUnsupported({ feature: "tools", provider: "sage", message: "Sage has no tool calling" }))
 * ```
 *
 * @since 0.2.0
 */
// Building a `Schema.TaggedError` class allocates ~70 KB and takes a fraction of a millisecond at import.
// Media, image-only programs never refuse a feature, so this class is written to be dropped by bundlers
// when nothing references it: its base is made by calls marked pure, and its brand comes from a mixin
// (a computed-key field in the class body itself would count as a side effect).
export class SogniUnsupported extends /* @__PURE__ */ branded(
  /* @__PURE__ */ refusedAs("Unsupported")(
    /* @__PURE__ */ Lazy.schemaClass(function() {
      return Schema.TaggedError<SogniUnsupported>("@effect-sogni/core/SogniUnsupported")("SogniUnsupported", {
        feature: Schema.String,
        provider: Schema.String,
        message: Schema.String
      })
    })
  )
) {}

/**
 * Everything core can fail with.
 *
 * @since 0.1.0
 */
export type SogniError =
  | SogniTransportError
  | SogniAuthenticationError
  | SogniConnectionReplacedError
  | SogniApiError
  | SogniDecodeError
  | SogniInvalidRequest
  | SogniUnsupported

/**
 * Maps an HTTP status to the `reason` of a {@link SogniApiError}.
 *
 * @since 0.1.0
 */
export function apiReasonFromStatus(status: number): SogniApiError["reason"] {
  if (status === 400 || status === 422) return "BadRequest"
  if (status === 403) return "Forbidden"
  if (status === 404) return "NotFound"
  if (status === 408) return "Timeout"
  if (status === 409 || status === 423) return "Conflict"
  if (status === 429) return "RateLimited"
  if (status === 503) return "Unavailable"
  if (status >= 500) return "ServerError"
  return "Other"
}
