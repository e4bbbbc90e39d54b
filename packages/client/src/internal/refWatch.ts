/**
 * The client's watchers of the values its services keep (`SubscriptionRef`s: the socket's status, the
 * account's balance) without a `Stream`: the image program runs no stream at all otherwise, and the
 * first one pays for the channel executor's code (compiled on first use) and a fiber, executor and
 * closures per stream: measured, the two watchers as `Stream.runForEach(ref.changes, …)` cost the cold
 * first image ~20 ms of CPU (2026-12-06, `pnpm bench startup`, adapter 277 ms against the Effect API's
 * 229 ms).
 *
 * The refs of core (`@effect-sogni/core/SubscriptionRefs`) hand each write to the queues in their
 * `subscribers` set, which is what their `changes` stream reads: a watcher registers a queue of its own
 * there, under the ref's semaphore (as `changes` does, so the current value and every later write
 * arrive in order, none repeated) and takes from it in a loop. Any other `SubscriptionRef` is watched
 * through its `changes` stream, as before.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"

/**
 * The values a watcher's queue holds: as core's `changes` streams (`SubscriptionRefs.changesCapacity`),
 * sliding: a watcher that falls that far behind loses the oldest unread values, never the latest.
 */
const capacity = 1024

/**
 * A ref of core's `SubscriptionRefs`: its writes offered to the queues of `subscribers`, under
 * `semaphore`, after setting `ref` (Effect's `SubscriptionRef` has the last two too, marked internal).
 */
interface LightRef<A> extends SubscriptionRef.SubscriptionRef<A> {
  readonly subscribers: Set<Queue.Queue<A>>
  readonly ref: Ref.Ref<A>
  readonly semaphore: Effect.Semaphore
}

function isLight<A>(ref: SubscriptionRef.SubscriptionRef<A>): ref is LightRef<A> {
  const r = ref as Partial<Record<"subscribers" | "ref" | "semaphore", unknown>>
  return r.subscribers instanceof Set && r.ref !== undefined && r.semaphore !== undefined
}

/**
 * Calls `f` with the ref's value now, then with every value written to it, in order, for as long as the
 * scope lasts (a fiber forked in it; its queue leaves the ref when the scope closes). What `f` returns
 * runs before the next value is taken.
 *
 * @internal
 */
export function watchRef<A>(
  ref: SubscriptionRef.SubscriptionRef<A>,
  f: (a: A) => Effect.Effect<void>
): Effect.Effect<void, never, Scope.Scope> {
  if (!isLight(ref)) return Effect.asVoid(Effect.forkScoped(Stream.runForEach(ref.changes, f)))
  // a queue of this watcher's in the ref's subscribers, and the value at hand, under the ref's permit
  const subscribe: Effect.Effect<readonly [Queue.Queue<A>, A], never, Scope.Scope> = ref.semaphore.withPermits(1)(
    Effect.flatMap(
      Effect.acquireRelease(
        Effect.map(Queue.sliding<A>(capacity), (queue) => {
          ref.subscribers.add(queue)
          return queue
        }),
        (queue) => {
          ref.subscribers.delete(queue)
          return Queue.shutdown(queue)
        }
      ),
      (queue) => Effect.map(Ref.get(ref.ref), (current) => [queue, current] as const)
    )
  )
  return Effect.asVoid(Effect.forkScoped(Effect.scoped(Effect.flatMap(
    subscribe,
    // what waits is taken at once (as `changes`'s `Stream.fromQueue` pulls it), then handed to `f` in order
    ([queue, current]) =>
      Effect.zipRight(
        f(current),
        Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, capacity), (values) => Effect.forEach(values, f, { discard: true })))
      )
  ))))
}
