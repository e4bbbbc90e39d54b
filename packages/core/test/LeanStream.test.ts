import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as LeanStream from "../src/LeanStream.js"

/** The chunks a stream emits, as arrays (chunk boundaries are part of what must not change). */
const chunksOf = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.map(Stream.runCollect(Stream.chunks(stream)), (chunks) => Chunk.toArray(chunks).map(Chunk.toArray))

describe("LeanStream", () => {
  it.effect("unwrap: the produced stream's elements in the same chunks as Stream.unwrap", () =>
    Effect.gen(function*() {
      const inner = Stream.fromChunks(Chunk.make(1, 2), Chunk.make(3), Chunk.make(4, 5, 6))
      const lean = yield* chunksOf(LeanStream.unwrap(Effect.succeed(inner)))
      const effects = yield* chunksOf(Stream.unwrap(Effect.succeed(inner)))
      assert.deepStrictEqual(lean, [[1, 2], [3], [4, 5, 6]])
      assert.deepStrictEqual(lean, effects)
    }))

  it.effect("unwrap: the effect's failure and the inner stream's failure are the stream's failure", () =>
    Effect.gen(function*() {
      const outer = yield* Effect.exit(Stream.runCollect(LeanStream.unwrap(Effect.as(Effect.fail("outer"), Stream.make(1)))))
      assert.deepStrictEqual(outer, Exit.fail("outer"))
      const inner = yield* Effect.exit(
        Stream.runCollect(LeanStream.unwrap(Effect.succeed(Stream.concat(Stream.make(1), Stream.fail("inner")))))
      )
      assert.deepStrictEqual(inner, Exit.fail("inner"))
    }))

  it.effect("unwrap: the effect runs once per run of the stream, when it starts", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const stream = LeanStream.unwrap(Effect.map(Ref.updateAndGet(runs, (n) => n + 1), (n) => Stream.make(n)))
      assert.strictEqual(yield* Ref.get(runs), 0)
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(stream)), [1])
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(stream)), [2])
    }))

  it.effect("unwrapScoped: the scope stays open while the stream runs and closes when it ends", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const note = (line: string) => Ref.update(log, (lines) => [...lines, line])
      const stream = LeanStream.unwrapScoped(Effect.as(
        Effect.acquireRelease(note("acquire"), () => note("release")),
        Stream.make(1, 2, 3).pipe(Stream.tap((n) => note(`emit ${n}`)))
      ))
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(stream)), [1, 2, 3])
      assert.deepStrictEqual(yield* Ref.get(log), ["acquire", "emit 1", "emit 2", "emit 3", "release"])
    }))

  it.effect("unwrapScoped: the scope closes when the consumer stops early and when the stream fails", () =>
    Effect.gen(function*() {
      const released = yield* Ref.make(0)
      const acquired = Effect.acquireRelease(Effect.void, () => Ref.update(released, (n) => n + 1))
      const early = LeanStream.unwrapScoped(Effect.as(acquired, Stream.iterate(1, (n) => n + 1)))
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(Stream.take(early, 2))), [1, 2])
      assert.strictEqual(yield* Ref.get(released), 1)
      const failing = LeanStream.unwrapScoped(Effect.as(acquired, Stream.fail("boom")))
      assert.deepStrictEqual(yield* Effect.exit(Stream.runDrain(failing)), Exit.fail("boom"))
      assert.strictEqual(yield* Ref.get(released), 2)
    }))

  it.effect("startWith: the first value in a chunk of its own, then the rest's chunks, as Stream.concat", () =>
    Effect.gen(function*() {
      const rest = Stream.fromChunks(Chunk.make("b", "c"), Chunk.make("d"))
      const lean = yield* chunksOf(LeanStream.startWith("a", rest))
      const effects = yield* chunksOf(Stream.concat(Stream.succeed("a"), rest))
      assert.deepStrictEqual(lean, [["a"], ["b", "c"], ["d"]])
      assert.deepStrictEqual(lean, effects)
      assert.deepStrictEqual(
        yield* Effect.exit(Stream.runCollect(LeanStream.startWith(0, Stream.fail("rest")))),
        Exit.fail("rest")
      )
    }))
})
