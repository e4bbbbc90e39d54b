/**
 * `watchRef`: the client's watchers of its services' refs without a Stream. On a ref of core's
 * `SubscriptionRefs` it sees what the ref's `changes` stream sees (the value at hand, then every write,
 * in order) through a queue of its own, which leaves the ref when the watcher's scope closes; any other
 * `SubscriptionRef` is watched through its `changes` stream.
 */
import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { watchRef } from "../src/internal/refWatch.js"

/**
 * Watches `ref` in a scope of its own; once the watcher saw the value at hand (it is subscribed then),
 * writes `writes` and waits until it saw them all; returns what it saw and the scope.
 */
const watchWrites = <A>(ref: SubscriptionRef.SubscriptionRef<A>, writes: ReadonlyArray<A>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const seen: Array<A> = []
    const first = yield* Deferred.make<void>()
    const all = yield* Deferred.make<void>()
    yield* Scope.extend(
      watchRef(ref, (a) =>
        Effect.suspend(() => {
          seen.push(a)
          return Effect.zipRight(
            Deferred.succeed(first, undefined),
            seen.length === writes.length + 1 ? Deferred.succeed(all, undefined) : Effect.void
          )
        })),
      scope
    )
    yield* Deferred.await(first)
    for (const a of writes) yield* SubscriptionRef.set(ref, a)
    yield* Deferred.await(all)
    return { seen, scope }
  })

describe("watchRef", () => {
  it.effect("on core's refs: the value at hand, then every write in order; its queue leaves the ref with its scope", () =>
    Effect.gen(function*() {
      const ref = SubscriptionRefs.unsafeMake(0)
      const subscribers = (ref as unknown as { readonly subscribers: ReadonlySet<unknown> }).subscribers
      const { scope, seen } = yield* watchWrites(ref, [1, 2, 3])
      assert.deepStrictEqual(seen, [0, 1, 2, 3])
      assert.strictEqual(subscribers.size, 1)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(subscribers.size, 0)
      // a write after the close reaches no one
      yield* SubscriptionRef.set(ref, 4)
      assert.deepStrictEqual(seen, [0, 1, 2, 3])
    }))

  it.effect("on Effect's own SubscriptionRef: the same values, through its changes stream", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRef.make("a")
      const { scope, seen } = yield* watchWrites(ref, ["b", "c"])
      assert.deepStrictEqual(seen, ["a", "b", "c"])
      yield* Scope.close(scope, Exit.void)
    }))
})
