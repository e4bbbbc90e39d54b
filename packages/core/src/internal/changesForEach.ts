/**
 * `Stream.runForEach`, loaded by `SubscriptionRefs.forEachChange` for a `SubscriptionRef` that is not one
 * of core's (whose `changes` it reads from the ref's own queue, without a stream).
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** `Stream.runForEach(stream, f)`. @internal */
export function runForEach<A, E, R, E2, R2>(
  stream: Stream.Stream<A, E, R>,
  f: (a: A) => Effect.Effect<unknown, E2, R2>
): Effect.Effect<void, E | E2, R | R2> {
  return Stream.runForEach(stream, f)
}
