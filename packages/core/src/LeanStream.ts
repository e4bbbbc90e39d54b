/**
 * `Stream.unwrap`, `Stream.unwrapScoped` and `Stream.concat(Stream.succeed(a), stream)` written on
 * `effect/Channel`'s own primitives, for the SDK's modules that a minimal program loads.
 *
 * `effect/Stream`'s `unwrap` and `unwrapScoped` flatten a one-element stream of streams (`Stream.flatten`),
 * and `Stream.flatMap` carries its concurrent branch in its code: channel merging (`Channel.mergeAllWith`,
 * its single-producer input and merge strategies) and, through it, `effect/Schedule`'s combinators.
 * `Stream.concat` is `Channel.zipRight`, whose `concurrent` option reaches the same merging
 * (`Channel.mergeWith`). A program that never merges streams (an image program) still loaded and parsed
 * that code at import because these constructors referenced it. The functions here build the same
 * streams from the channel primitives (`Channel.unwrap`, `Channel.unwrapScoped`: a `flatMap` and a
 * `concatAllWith`; `Channel.flatMap` to sequence two channels, as `zipRight` does without `concurrent`):
 * the same elements in the same chunks and order, the same errors, and `unwrapScoped`'s scope closed
 * when the stream ends.
 *
 * @example
 * ```ts
 * import * as LeanStream from "@effect-sogni/core/LeanStream"
 * import * as Effect from "effect/Effect"
 * import * as Queue from "effect/Queue"
 * import * as Stream from "effect/Stream"
 *
 * // a queue made for each run of the stream, shut down when the run ends
 * const numbers = LeanStream.unwrapScoped(Effect.map(
 *   Effect.acquireRelease(Queue.unbounded<number>(), Queue.shutdown),
 *   (queue) => LeanStream.startWith(0, Stream.fromQueue(queue))
 * ))
 * ```
 *
 * @since 0.2.0
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * The stream an effect produces, as `Stream.unwrap` (without `Stream.flatten`).
 *
 * @since 0.2.0
 */
export function unwrap<A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>
): Stream.Stream<A, E | E2, R | R2> {
  return Stream.fromChannel(Channel.unwrap(Effect.map(effect, Stream.toChannel)))
}

/**
 * The stream a scoped effect produces, its scope closed when the stream ends, as `Stream.unwrapScoped`
 * (without `Stream.flatten`).
 *
 * @since 0.2.0
 */
export function unwrapScoped<A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>
): Stream.Stream<A, E | E2, Exclude<R, Scope.Scope> | R2> {
  return Stream.fromChannel(Channel.unwrapScoped(Effect.map(effect, Stream.toChannel)))
}

/**
 * `first` in a chunk of its own, then `rest`, as `Stream.concat(Stream.succeed(first), rest)` (without
 * `Channel.zipRight`'s concurrent branch).
 *
 * @since 0.2.0
 */
export function startWith<A, E, R>(first: A, rest: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> {
  return Stream.fromChannel(Channel.flatMap(Channel.write(Chunk.of(first)), function() {
    return Stream.toChannel(rest)
  }))
}
