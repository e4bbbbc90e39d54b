import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as SubscriptionRefs from "../src/SubscriptionRefs.js"

describe("SubscriptionRefs", () => {
  it.effect("is a SubscriptionRef for Effect's own functions: get, set, update, modify, modifyEffect, yield", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRefs.make(1)
      assert.isTrue(SubscriptionRef.SubscriptionRefTypeId in ref)
      assert.isTrue(Ref.RefTypeId in ref)
      assert.strictEqual(yield* SubscriptionRef.get(ref), 1)
      yield* SubscriptionRef.set(ref, 2)
      assert.strictEqual(yield* Ref.get(ref), 2)
      yield* SubscriptionRef.update(ref, (n) => n * 10)
      assert.strictEqual(yield* ref, 20)
      assert.strictEqual(yield* SubscriptionRef.modify(ref, (n) => [`was ${n}`, n + 1] as const), "was 20")
      assert.strictEqual(
        yield* SynchronizedRef.modifyEffect(ref, (n) => Effect.succeed([n * 2, n * 2] as const)),
        42
      )
      assert.strictEqual(yield* SubscriptionRefs.updateAndGet(ref, (n) => n + 1), 43)
      yield* SubscriptionRefs.update(ref, (n) => n - 3)
      yield* SubscriptionRefs.set(ref, (yield* SubscriptionRefs.get(ref)) + 1)
      assert.strictEqual(yield* SubscriptionRefs.get(ref), 41)
    }))

  it.effect("changes: the current value, then every later write in order, whichever module wrote it", () =>
    Effect.gen(function*() {
      const ref = SubscriptionRefs.unsafeMake("a")
      const seen = yield* Deferred.make<void>()
      const fiber = yield* ref.changes.pipe(
        Stream.tap((s) => s === "a" ? Deferred.succeed(seen, undefined) : Effect.void),
        Stream.take(5),
        Stream.runCollect,
        Effect.fork
      )
      yield* Deferred.await(seen)
      yield* SubscriptionRef.set(ref, "b")
      yield* SubscriptionRefs.set(ref, "c")
      yield* SubscriptionRef.update(ref, (s) => s + "!")
      yield* SynchronizedRef.updateEffect(ref, (s) => Effect.succeed(s + "?"))
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), ["a", "b", "c", "c!", "c!?"])
    }))

  it.effect("each running changes stream sees every write; an ended one no longer holds a subscriber", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRefs.make(0)
      const ready = yield* Deferred.make<void>()
      const one = yield* ref.changes.pipe(Stream.take(1), Stream.runCollect)
      assert.deepStrictEqual(Chunk.toReadonlyArray(one), [0])
      const two = yield* ref.changes.pipe(
        Stream.tap(() => Deferred.succeed(ready, undefined)),
        Stream.take(3),
        Stream.runCollect,
        Effect.fork
      )
      yield* Deferred.await(ready)
      // many writers at once: the stream sees the writes in the order they were made, none lost
      yield* Effect.forEach([1, 2], (n) => SubscriptionRef.set(ref, n), { concurrency: "unbounded" })
      const got = Chunk.toReadonlyArray(yield* Fiber.join(two))
      assert.strictEqual(got[0], 0)
      assert.sameMembers(got.slice(1), [1, 2])
      assert.strictEqual(got[2], yield* SubscriptionRef.get(ref))
      // both streams have ended: their queues left the subscriber set
      assert.strictEqual((ref as unknown as { readonly subscribers: ReadonlySet<unknown> }).subscribers.size, 0)
    }))

  it.effect("a consumer more than changesCapacity writes behind loses the oldest unread values, never the latest", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRefs.make(0)
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const total = SubscriptionRefs.changesCapacity + 10
      const fiber = yield* ref.changes.pipe(
        // the consumer stalls on the first value while every write is made
        Stream.tap((n) => n === 0 ? Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(release)) : Effect.void),
        Stream.takeUntil((n) => n === total),
        Stream.runCollect,
        Effect.fork
      )
      yield* Deferred.await(started)
      for (let i = 1; i <= total; i++) yield* SubscriptionRef.set(ref, i)
      yield* Deferred.succeed(release, undefined)
      const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      // the first value, then the newest `changesCapacity` writes in order
      assert.deepStrictEqual(got, [0, ...Array.from({ length: SubscriptionRefs.changesCapacity }, (_, i) => total - SubscriptionRefs.changesCapacity + 1 + i)])
    }))

  it.effect("a stream that starts after writes begins at the latest value", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRefs.make(0)
      for (let i = 1; i <= 100; i++) yield* SubscriptionRef.set(ref, i)
      const first = yield* ref.changes.pipe(Stream.take(1), Stream.runCollect)
      assert.deepStrictEqual(Chunk.toReadonlyArray(first), [100])
    }))

  describe("forEachChange", () => {
    /** Runs `forEachChange` on `ref`, collecting values until `count` were seen; the values, in order. */
    const collect = <A>(ref: SubscriptionRef.SubscriptionRef<A>, count: number, writes: Effect.Effect<void>) =>
      Effect.gen(function*() {
        const seen: Array<A> = []
        const started = yield* Deferred.make<void>()
        const done = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(SubscriptionRefs.forEachChange(ref, (a) =>
          Effect.suspend(() => {
            seen.push(a)
            return Effect.zipRight(
              Deferred.succeed(started, undefined),
              seen.length === count ? Deferred.succeed(done, undefined) : Effect.void
            )
          })))
        yield* Deferred.await(started)
        yield* writes
        yield* Deferred.await(done)
        yield* Fiber.interrupt(fiber)
        return seen
      })

    it.effect("runs f on the current value, then on every later write in order, as changes streams them", () =>
      Effect.gen(function*() {
        const ref = SubscriptionRefs.unsafeMake("a")
        const writes = Effect.gen(function*() {
          yield* SubscriptionRef.set(ref, "b")
          yield* SubscriptionRefs.set(ref, "c")
          yield* SubscriptionRef.update(ref, (s) => s + "!")
          yield* SynchronizedRef.updateEffect(ref, (s) => Effect.succeed(s + "?"))
        })
        assert.deepStrictEqual(yield* collect(ref, 5, writes), ["a", "b", "c", "c!", "c!?"])
        // interrupted: its queue left the subscriber set
        assert.strictEqual((ref as unknown as { readonly subscribers: ReadonlySet<unknown> }).subscribers.size, 0)
      }))

    it.effect("runs Effect's own SubscriptionRef through its changes stream, with the same values", () =>
      Effect.gen(function*() {
        const ref = yield* SubscriptionRef.make(0)
        const writes = Effect.forEach([1, 2, 3], (n) => SubscriptionRef.set(ref, n), { discard: true })
        assert.deepStrictEqual(yield* collect(ref, 4, writes), [0, 1, 2, 3])
      }))

    it.effect("a failure of f ends the run with that failure and releases the subscription", () =>
      Effect.gen(function*() {
        const ref = yield* SubscriptionRefs.make(0)
        const fiber = yield* Effect.fork(SubscriptionRefs.forEachChange(ref, (n) => n === 2 ? Effect.fail(`saw ${n}`) : Effect.void))
        yield* SubscriptionRefs.set(ref, 1)
        yield* SubscriptionRefs.set(ref, 2)
        assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.fail("saw 2"))
        assert.strictEqual((ref as unknown as { readonly subscribers: ReadonlySet<unknown> }).subscribers.size, 0)
      }))

    it.effect("a consumer more than changesCapacity writes behind loses the same values as a changes stream", () =>
      Effect.gen(function*() {
        const ref = yield* SubscriptionRefs.make(0)
        const started = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const finished = yield* Deferred.make<void>()
        const total = SubscriptionRefs.changesCapacity + 10
        const seen: Array<number> = []
        const fiber = yield* Effect.fork(SubscriptionRefs.forEachChange(ref, (n) =>
          Effect.zipRight(
            Effect.sync(() => seen.push(n)),
            n === 0
              ? Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(release))
              : n === total
              ? Deferred.succeed(finished, undefined)
              : Effect.void
          )))
        yield* Deferred.await(started)
        for (let i = 1; i <= total; i++) yield* SubscriptionRef.set(ref, i)
        yield* Deferred.succeed(release, undefined)
        yield* Deferred.await(finished)
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(seen, [0, ...Array.from({ length: SubscriptionRefs.changesCapacity }, (_, i) => total - SubscriptionRefs.changesCapacity + 1 + i)])
      }))
  })
})
