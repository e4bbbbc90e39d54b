/**
 * `SubscriptionRef`s without Effect's `PubSub`: the ones the SDK's services expose (core's socket
 * `status`, `authenticated`, `network` and latest-event refs, the auth session, the account balance, the
 * LLM list; media's available models).
 *
 * Effect's `SubscriptionRef.make` publishes every write to an unbounded `PubSub`, so a program that never
 * reads a ref's `changes` still loads `PubSub` and the channel code under `Stream.fromPubSub` (~13 KB
 * minified in the image programs, read and pre-parsed at every import). Here each `changes` stream, while
 * it runs, holds a `Queue` of its own in a plain set of subscribers, and a write offers the new value to
 * each: the same stream (the current value, then every later one, in order, none repeated: reading the
 * value and subscribing happen under the same one-permit semaphore as every write), built from `Queue`
 * and `Stream.fromQueue`, which core's socket loads anyway.
 *
 * Each stream's queue holds {@link changesCapacity} values. Overflow policy: sliding. A consumer that falls
 * that many writes behind loses the oldest of the values it has not read yet, never the latest: a ref is a
 * state, and its newest value is what a late reader needs (Effect's own `SubscriptionRef` buffers without
 * bound, which this SDK allows no queue to do).
 *
 * The value is a real `SubscriptionRef` for every function of Effect's `SubscriptionRef`, `SynchronizedRef`,
 * `Ref`, `Subscribable` and `Readable` modules: they read its `ref` and `semaphore` and call its `modify`,
 * `modifyEffect` and `changes`, and `SubscriptionRef.set` publishes through its `pubsub`, whose only use
 * there is `publish` (here an object with that one method, offering to the subscribers).
 *
 * @example
 * ```ts
 * import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
 * import * as Effect from "effect/Effect"
 * import * as SubscriptionRef from "effect/SubscriptionRef"
 *
 * const program = Effect.gen(function*() {
 *   const ref = yield* SubscriptionRefs.make(0)
 *   yield* SubscriptionRef.set(ref, 1) // Effect's own functions work on it
 *   return yield* SubscriptionRefs.get(ref)
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Queue from "effect/Queue"
import * as Readable from "effect/Readable"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Subscribable from "effect/Subscribable"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Lazy from "./Lazy.js"
import * as LeanStream from "./LeanStream.js"

// the type ids' values are variance markers that nothing reads; Effect's own are `{ _A: (_) => _ }`
const variance = { _A: identity }
function identity<A>(a: A): A {
  return a
}
// `effect/SubscriptionRef`'s type id (the same `Symbol.for` key), declared here: importing it from that
// module keeps Effect's own implementation, with its `PubSub`, in a bundle (a class esbuild cannot drop)
const SubscriptionRefTypeId: typeof SubscriptionRef.SubscriptionRefTypeId = Symbol.for("effect/SubscriptionRef") as never

/**
 * The values a `changes` stream holds for its consumer (see the module note: beyond it the oldest unread
 * one is dropped).
 *
 * @since 0.2.0
 */
export const changesCapacity = 1024

class LightSubscriptionRef<in out A> extends Effectable.Class<A> implements SubscriptionRef.SubscriptionRef<A> {
  readonly [Readable.TypeId]: Readable.TypeId = Readable.TypeId
  readonly [Subscribable.TypeId]: Subscribable.TypeId = Subscribable.TypeId
  readonly [Ref.RefTypeId] = variance as never
  readonly [SynchronizedRef.SynchronizedRefTypeId] = variance as never
  readonly [SubscriptionRefTypeId] = variance as never
  readonly get: Effect.Effect<A>
  /** The running `changes` streams' queues. */
  readonly subscribers = new Set<Queue.Queue<A>>()
  /** What Effect's `SubscriptionRef.set` publishes through (inside `semaphore`, after setting `ref`). */
  readonly pubsub: { readonly publish: (value: A) => Effect.Effect<boolean> }

  constructor(readonly ref: Ref.Ref<A>, readonly semaphore: Effect.Semaphore) {
    super()
    this.get = Ref.get(ref)
    const subscribers = this.subscribers
    this.pubsub = {
      publish(value) {
        // `Queue.offer` (not `unsafeOffer`, which refuses a full queue's newest value): a full sliding
        // queue drops its oldest value for this one, at once
        return Effect.as(
          Effect.forEach(subscribers, function(queue) {
            return Queue.offer(queue, value)
          }, { discard: true }),
          true
        )
      }
    }
  }

  commit(): Effect.Effect<A> {
    return this.get
  }

  /**
   * The value now and a queue of every later write, subscribed under the semaphore (so none is missed or
   * repeated); the queue leaves the subscribers when the scope closes.
   */
  subscribe(): Effect.Effect<readonly [A, Queue.Dequeue<A>], never, Scope.Scope> {
    const self = this
    return self.semaphore.withPermits(1)(Effect.gen(function*() {
      const queue = yield* Effect.acquireRelease(
        Effect.tap(Queue.sliding<A>(changesCapacity), function(queue) {
          self.subscribers.add(queue)
        }),
        function(queue) {
          self.subscribers.delete(queue)
          return Queue.shutdown(queue)
        }
      )
      return [yield* Ref.get(self.ref), queue] as const
    }))
  }

  get changes(): Stream.Stream<A> {
    return LeanStream.unwrapScoped(Effect.map(this.subscribe(), function([current, queue]) {
      return LeanStream.startWith(current, Stream.fromQueue(queue))
    }))
  }

  modify<B>(f: (a: A) => readonly [B, A]): Effect.Effect<B> {
    return this.modifyEffect(function(a) {
      return Effect.succeed(f(a))
    })
  }

  modifyEffect<B, E, R>(f: (a: A) => Effect.Effect<readonly [B, A], E, R>): Effect.Effect<B, E, R> {
    const self = this
    return self.semaphore.withPermits(1)(
      Effect.flatMap(Effect.flatMap(Ref.get(self.ref), f), function([b, a]) {
        return Effect.as(Effect.zipRight(Ref.set(self.ref, a), self.pubsub.publish(a)), b)
      })
    )
  }
}

/**
 * A `SubscriptionRef` holding `value` (see the module note): Effect's `SubscriptionRef.make` without the
 * `PubSub`. Synchronous, so a service can build its refs without an effect.
 *
 * @since 0.2.0
 */
export function unsafeMake<A>(value: A): SubscriptionRef.SubscriptionRef<A> {
  return new LightSubscriptionRef(Ref.unsafeMake(value), Effect.unsafeMakeSemaphore(1))
}

/** {@link unsafeMake} as an effect, in place of `SubscriptionRef.make`. @since 0.2.0 */
export function make<A>(value: A): Effect.Effect<SubscriptionRef.SubscriptionRef<A>> {
  return Effect.sync(function() {
    return unsafeMake(value)
  })
}

/**
 * Runs `f` on the ref's value now, then on every later write, in order, one at a time, for as long as it
 * runs (it never ends by itself: interrupt it): `Stream.runForEach(self.changes, f)` without a stream. A
 * watcher that only reacts to changes needs no stream executor (Effect's channel executor, sinks and pull
 * machinery, ~15 KB minified that a program loads at import when any of its modules runs a stream).
 *
 * The values are those of `changes`: for this module's refs, read from the same queue the same way
 * (taken in batches of up to 4096, as `Stream.fromQueue` takes them, so the overflow policy drops the
 * same values), with a failure of `f` ending the run with that failure. Another `SubscriptionRef` (Effect's
 * own) is run through its `changes` stream, with the stream code loaded on first use.
 *
 * @example
 * ```ts
 * import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.gen(function*() {
 *   const ref = yield* SubscriptionRefs.make(0)
 *   yield* Effect.forkScoped(SubscriptionRefs.forEachChange(ref, (n) => Effect.log(`now ${n}`)))
 *   yield* SubscriptionRefs.set(ref, 1)
 * })
 * ```
 *
 * @since 0.2.0
 */
export function forEachChange<A, E, R>(
  self: SubscriptionRef.SubscriptionRef<A>,
  f: (a: A) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, E, R> {
  if (!(self instanceof LightSubscriptionRef)) {
    return Effect.flatMap(loadChangesForEach, function(m) {
      return m.runForEach(self.changes, f)
    })
  }
  const ref = self as LightSubscriptionRef<A>
  return Effect.scoped(Effect.flatMap(ref.subscribe(), function([current, queue]) {
    return Effect.zipRight(
      f(current),
      Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, fromQueueChunk), function(values) {
        return Effect.forEach(values, f, { discard: true })
      }))
    )
  }))
}

// `Stream.fromQueue`'s default `maxChunkSize`
const fromQueueChunk = 4096

const loadChangesForEach = /* @__PURE__ */ Lazy.loadOnce(function() {
  return import("./internal/changesForEach.js")
})

/** The ref's value (`SubscriptionRef.get`). @since 0.2.0 */
export function get<A>(self: SubscriptionRef.SubscriptionRef<A>): Effect.Effect<A> {
  return self.get
}

/** Sets the value and hands it to every running `changes` stream (`SubscriptionRef.set`). @since 0.2.0 */
export function set<A>(self: SubscriptionRef.SubscriptionRef<A>, value: A): Effect.Effect<void> {
  return self.modify(function() {
    return [undefined, value] as const
  })
}

/** Updates the value with `f` (`SubscriptionRef.update`). @since 0.2.0 */
export function update<A>(self: SubscriptionRef.SubscriptionRef<A>, f: (a: A) => A): Effect.Effect<void> {
  return self.modify(function(a) {
    return [undefined, f(a)] as const
  })
}

/** Updates the value with `f` and returns the new value (`SubscriptionRef.updateAndGet`). @since 0.2.0 */
export function updateAndGet<A>(self: SubscriptionRef.SubscriptionRef<A>, f: (a: A) => A): Effect.Effect<A> {
  return self.modify(function(a) {
    const next = f(a)
    return [next, next] as const
  })
}
