/**
 * `SogniSocketService.watch`'s stream: a latest-event ref's values until the connection ends for good.
 * Merging the two streams brings Effect's channel merge machinery (and the `Schedule` code under its
 * `mergeAll`), which no other part of the socket uses, so `SogniSocket` loads this module with the first
 * `watch` that runs; a program that never watches never loads it.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import type { SogniError } from "../SogniError.js"
import type { ConnectionStatus } from "../SogniSocket.js"

/**
 * Fails with the terminal error once the connection ends for good; ends on a plain shutdown.
 */
function terminalFailure(status: SubscriptionRef.SubscriptionRef<ConnectionStatus>): Stream.Stream<never, SogniError> {
  return status.changes.pipe(
    Stream.filter(function(s) {
      return s._tag === "Closed"
    }),
    Stream.take(1),
    Stream.flatMap(function(s) {
      return s._tag === "Closed" && s.error._tag === "Some" ? Stream.fail(s.error.value) : Stream.empty
    })
  )
}

/** The values of `ref` as they come, until the connection ends (see `SogniSocketService.watch`). */
export function watch<A>(
  ref: SubscriptionRef.SubscriptionRef<Option.Option<A>>,
  status: SubscriptionRef.SubscriptionRef<ConnectionStatus>,
  ensureWanted: Effect.Effect<unknown>
): Stream.Stream<A, SogniError> {
  return Stream.merge(
    Stream.filterMap(ref.changes, function(o) {
      return o
    }),
    terminalFailure(status),
    { haltStrategy: "either" }
  ).pipe(Stream.onStart(ensureWanted))
}
