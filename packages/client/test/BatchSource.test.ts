/**
 * The adapter's batch source (one fiber per stream, one promise per batch): batches come out as the
 * stream's chunks, nothing is pulled from upstream ahead of the consumer beyond the batch it holds,
 * failures arrive typed, and close, abort and dispose release the stream (its finalizer runs) and
 * settle a waiting pull.
 */
import { SogniError } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { AbortError, DisposedError, InvalidRequestError } from "../src/errors.js"
import { batches } from "../src/internal/batchSource.js"
import { Runner } from "../src/internal/runner.js"

const makeRunner = () => new Runner<never>(ManagedRuntime.make(Layer.empty))

/** A stream of `chunks`, counting the upstream pulls and whether its finalizer ran; never ends when `hang`. */
const counted = (chunks: ReadonlyArray<ReadonlyArray<number>>, hang = false) => {
  const seen = { pulls: 0, released: false }
  let i = 0
  const stream = Stream.repeatEffectChunkOption(
    Effect.suspend(() => {
      seen.pulls++
      if (i < chunks.length) return Effect.succeed(Chunk.fromIterable(chunks[i++]!))
      return hang ? Effect.never : Effect.fail(Option.none())
    })
  ).pipe(Stream.ensuring(Effect.sync(() => (seen.released = true))))
  return { stream, seen }
}

const settle = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))

describe("batchSource", () => {
  it("hands the stream's chunks over as batches, pulling upstream only on demand", async () => {
    const runner = makeRunner()
    const { seen, stream } = counted([[1, 2, 3], [4], [5, 6]])
    const source = batches(runner, stream)
    await settle()
    assert.strictEqual(seen.pulls, 0, "nothing runs before the first pull")
    assert.deepStrictEqual(await source.pull(), [1, 2, 3])
    await settle()
    assert.strictEqual(seen.pulls, 1, "no read-ahead past the batch the consumer holds")
    assert.deepStrictEqual(await source.pull(), [4])
    assert.deepStrictEqual(await source.pull(), [5, 6])
    assert.strictEqual(await source.pull(), undefined)
    assert.strictEqual(await source.pull(), undefined)
    assert.isTrue(seen.released)
    await runner.dispose()
  })

  it("rejects with the stream's failure as a client error, after the batches before it", async () => {
    const runner = makeRunner()
    const stream = Stream.concat(
      Stream.make(1, 2),
      Stream.fail(new SogniError.SogniInvalidRequest({ field: "model", rule: "unknown", message: "no such model" }))
    )
    const source = batches(runner, stream)
    assert.deepStrictEqual(await source.pull(), [1, 2])
    const error = await source.pull().then(() => undefined, (e: unknown) => e)
    assert.instanceOf(error, InvalidRequestError)
    assert.strictEqual((error as InvalidRequestError).message, "no such model")
    await runner.dispose()
  })

  it("close releases the stream and ends a later pull", async () => {
    const runner = makeRunner()
    const { seen, stream } = counted([[1]], true)
    const source = batches(runner, stream)
    assert.deepStrictEqual(await source.pull(), [1])
    await source.close()
    assert.isTrue(seen.released)
    assert.strictEqual(await source.pull(), undefined)
    await runner.dispose()
  })

  it("an abort rejects the waiting pull with AbortError and releases the stream", async () => {
    const runner = makeRunner()
    const controller = new AbortController()
    const { seen, stream } = counted([[1]], true)
    const source = batches(runner, stream, controller.signal)
    assert.deepStrictEqual(await source.pull(), [1])
    const waiting = source.pull().then(() => undefined, (e: unknown) => e)
    await settle()
    controller.abort()
    assert.instanceOf(await waiting, AbortError)
    await settle()
    assert.isTrue(seen.released)
    await runner.dispose()
  })

  it("disposing the client rejects the waiting pull with DisposedError and releases the stream", async () => {
    const runner = makeRunner()
    const { seen, stream } = counted([], true)
    const source = batches(runner, stream)
    const waiting = source.pull().then(() => undefined, (e: unknown) => e)
    await settle()
    await runner.dispose()
    assert.instanceOf(await waiting, DisposedError)
    assert.isTrue(seen.released)
    assert.instanceOf(await source.pull().then(() => undefined, (e: unknown) => e), DisposedError)
  })
})
