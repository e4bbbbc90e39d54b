/**
 * Errors of `@effect-sogni/media`. Transport, REST and validation failures keep core's classes
 * (`SogniError`); what belongs to a project's outcome is a {@link SogniProjectError}.
 *
 * @since 0.1.0
 */
import * as Lazy from "@effect-sogni/core/Lazy"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/** @since 0.1.0 */
export const TypeId: unique symbol = Symbol.for("@effect-sogni/media/MediaError")

/** @since 0.1.0 */
export type TypeId = typeof TypeId

/**
 * A project did not end with results.
 *
 * - `Failed`: the network (or a local watchdog, code 0) failed it; `code`/`originalCode` as the protocol
 *   reports them (media.md §15). Local ones: `projectLost` (the server has no record of it after a
 *   reconnect) and `connectionClosed` (the socket ended for good, reconnects given up, say: no frame of
 *   the project can arrive any more, and a lookup did not show it finished; when the end refused the
 *   credential or the app, 4021, 4010 or another 4xxx, the project fails with that
 *   `SogniAuthenticationError` instead).
 * - `Canceled`: it was canceled (by this client or another).
 * - `CancelRejected`: the server refused to cancel (a paid vendor job past its cancel point); the
 *   project keeps running.
 * - `CancelTimeout`: no confirmation within the bound; the project may still be running.
 * - `Timeout`: the project outlived its overall deadline, or went silent past its idle deadline and the
 *   REST lookup could not show it alive or finished (`originalCode` `projectTimeout` / `idleTimeout`); a
 *   cancel was sent.
 *
 * @since 0.1.0
 */
export class SogniProjectError extends Lazy.schemaClass(function() {
  // built on first use: a project that completes never constructs one
  return Schema.TaggedError<SogniProjectError>("@effect-sogni/media/SogniProjectError")(
    "SogniProjectError",
    {
      reason: Schema.Literal("Failed", "Canceled", "CancelRejected", "CancelTimeout", "Timeout"),
      projectId: Schema.String,
      code: Schema.optional(Schema.Number),
      originalCode: Schema.optional(Schema.String),
      message: Schema.String
    }
  )
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** Failures the server marks as transient (restart, worker loss) may succeed when submitted again. @since 0.1.0 */
  get isRetryable(): boolean {
    return this.reason === "Failed" && (this.code === 5001 || this.code === 5002 || this.code === 5003 || this.code === 1001)
  }
  /** @since 0.1.0 */
  get retryAfter(): Option.Option<Duration.Duration> {
    return Option.none()
  }
}

/** @since 0.1.0 */
export function isSogniProjectError(u: unknown): u is SogniProjectError {
  return Predicate.hasProperty(u, TypeId)
}
