/**
 * The error of the Sage client: everything the Sage server (or the client's own queue) refused, as one
 * tagged class with a `reason`, the HTTP status when there was one, and the server's `error_code`
 * (S2 servers send `LLM_…` codes) when present. Transport failures and timeouts stay core's
 * `SogniTransportError`, refused input core's `SogniInvalidRequest`, unreadable bodies core's
 * `SogniDecodeError`, and a feature the platform lacks core's `SogniUnsupported`.
 *
 * - `BadRequest` (400), `NotFound` (404), `Unavailable` (503: the provider is off or unreachable),
 *   `ServerError` (other 5xx), `Other` (any other failing status or `success: false` on a 2xx);
 * - `GenerationFailed`: an error event inside a stream (`{error, done: true}`, `event: "error"`);
 * - `EmptyResponse`: a 200 whose answer is empty (Sage returns `""` when the provider call failed);
 * - `Incomplete`: a stream closed without any `done` event;
 * - `QueueFull`: the client's own request queue was full; `QueueTimeout`: no slot within `queueTimeout`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SageClient } from "@effect-sogni/sage"
 *
 * const answer = SageClient.generate({ model: "qwen2.5:7b", prompt: "Name a colour" }).pipe(
 *   Effect.catchTag("SageError", (e) =>
 *     e.errorCode === "LLM_PROVIDER_UNAVAILABLE" ? Effect.succeed({ text: "(offline)" }) : Effect.fail(e))
 * )
 * ```
 *
 * @since 0.2.0
 */
import type { SogniError } from "@effect-sogni/core"
import type * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/** @since 0.2.0 */
export const TypeId: unique symbol = Symbol.for("@effect-sogni/sage/SageError")

/** @since 0.2.0 */
export type TypeId = typeof TypeId

/**
 * A failure reported by the Sage server or the client's queue.
 *
 * @since 0.2.0
 */
export class SageError extends Schema.TaggedError<SageError>("@effect-sogni/sage/SageError")("SageError", {
  reason: Schema.Literal(
    "BadRequest",
    "NotFound",
    "Unavailable",
    "ServerError",
    "Other",
    "GenerationFailed",
    "EmptyResponse",
    "Incomplete",
    "QueueFull",
    "QueueTimeout"
  ),
  /** The route, e.g. `/sage_llm/generate_stream`. */
  route: Schema.String,
  message: Schema.String,
  /** HTTP status (from the response, else the body's `status`). */
  status: Schema.optional(Schema.Number),
  /** The server's `error_code` (S2: `LLM_VALIDATION_ERROR`, `LLM_PROVIDER_UNAVAILABLE`, …). */
  errorCode: Schema.optional(Schema.String),
  /** Provider and operation named by an S2 error body. */
  provider: Schema.optional(Schema.String),
  operation: Schema.optional(Schema.String)
}) {
  /** @since 0.2.0 */
  readonly [TypeId]: TypeId = TypeId
  /**
   * Whether the same request may succeed later: 408, 429 and 5xx answers, an unavailable provider and a
   * full or slow queue. Generations are POSTs and are never retried by the client itself.
   *
   * @since 0.2.0
   */
  get isRetryable(): boolean {
    if (this.reason === "QueueFull" || this.reason === "QueueTimeout" || this.reason === "Unavailable") return true
    const s = this.status
    return s !== undefined && (s === 408 || s === 429 || s >= 500)
  }
  /** @since 0.2.0 */
  get retryAfter(): Option.Option<Duration.Duration> {
    return Option.none()
  }
}

/** True for a {@link SageError}. @since 0.2.0 */
export const isSageError = (u: unknown): u is SageError => Predicate.hasProperty(u, TypeId)

/**
 * Maps an HTTP status to a reason.
 *
 * @since 0.2.0
 */
export const reasonFromStatus = (status: number): SageError["reason"] => {
  if (status === 400 || status === 422) return "BadRequest"
  if (status === 404) return "NotFound"
  if (status === 503) return "Unavailable"
  if (status >= 500) return "ServerError"
  return "Other"
}

/**
 * Everything a Sage client call can fail with.
 *
 * @since 0.2.0
 */
export type SageClientError =
  | SageError
  | SogniError.SogniTransportError
  | SogniError.SogniDecodeError
  | SogniError.SogniInvalidRequest
