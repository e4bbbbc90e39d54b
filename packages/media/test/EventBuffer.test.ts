import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { EventBuffer } from "../src/internal/eventBuffer.js"
import { ProjectEvent } from "../src/ProjectState.js"

const progress = (imgID: string, step: number) =>
  ProjectEvent.JobProgress({ projectId: "P", jobIndex: 0, imgID, step, stepCount: 50, percent: step * 2, etaSeconds: undefined })
const started = (imgID: string) => ProjectEvent.JobStarted({ projectId: "P", jobIndex: 0, imgID, workerName: undefined })

describe("EventBuffer", () => {
  it("keeps at most `capacity` events by dropping the oldest JobProgress, counting the drops", () => {
    const b = new EventBuffer(3)
    b.offer(started("A"))
    b.offer(progress("A", 1))
    b.offer(progress("A", 2))
    b.offer(progress("A", 3))
    b.offer(progress("A", 4))
    expect(b.size).toBe(3)
    expect(b.dropped).toBe(2)
    expect(Chunk.toReadonlyArray(b.takeAll())).toEqual([started("A"), progress("A", 3), progress("A", 4)])
    expect(b.size).toBe(0)
  })

  it("never drops a lifecycle event: with no JobProgress waiting it grows past capacity", () => {
    const b = new EventBuffer(2)
    for (const id of ["A", "B", "C", "D"]) b.offer(started(id))
    expect(b.size).toBe(4)
    expect(b.dropped).toBe(0)
  })

  it("a pulled stream gets every event in order in batches, then ends once ended and drained", () =>
    Effect.runPromise(Effect.gen(function*() {
      const b = new EventBuffer(1024)
      const fiber = yield* Effect.fork(Stream.runCollect(Stream.repeatEffectChunkOption(b.pull)))
      yield* Effect.yieldNow()
      b.offer(started("A"))
      for (let s = 1; s <= 10; s++) b.offer(progress("A", s))
      yield* Effect.yieldNow()
      b.offer(started("B"))
      b.end()
      b.offer(started("C")) // after the end: ignored
      const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(got).toEqual([started("A"), ...Array.from({ length: 10 }, (_, i) => progress("A", i + 1)), started("B")])
    })))

  it("interrupting a waiting consumer leaves the buffer usable (no stale waiter)", () =>
    Effect.runPromise(Effect.gen(function*() {
      const b = new EventBuffer(8)
      const fiber = yield* Effect.fork(b.pull)
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      b.offer(started("A"))
      expect(Chunk.toReadonlyArray(yield* b.pull)).toEqual([started("A")])
    })))
})
