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
const retrying = (imgID: string, attempt: number) =>
  ProjectEvent.JobRetrying({ projectId: "P", jobIndex: 0, imgID, attempt, maxAttempts: 3, reason: { code: 0, message: "gone" } })
const queued = (position: number) => ProjectEvent.Queued({ projectId: "P", position, estimatedStartSeconds: undefined })
const completed = (imgID: string) =>
  ProjectEvent.JobCompleted({
    projectId: "P",
    result: { jobIndex: 0, imgID, url: undefined, urlExpiresAt: undefined, seed: undefined, outputFormat: "png", nsfwWithheld: false, nsfwDetected: false, workerName: undefined }
  })

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

  it("never drops a once-per-job event: JobCompleted of distinct jobs past capacity are all kept", () => {
    const b = new EventBuffer(2)
    for (const id of ["A", "B", "C", "D"]) b.offer(completed(id))
    expect(b.size).toBe(4)
    expect(b.dropped).toBe(0)
  })

  it("20,000 JobRetrying of one job with rising attempts: bounded, the newest kept, order and the start kept", () => {
    const b = new EventBuffer(1024)
    b.offer(started("A"))
    let peak = 0
    for (let attempt = 2; attempt <= 20_001; attempt++) {
      b.offer(retrying("A", attempt))
      peak = Math.max(peak, b.size)
    }
    b.offer(completed("A"))
    expect(peak).toBeLessThanOrEqual(1024)
    const got = Chunk.toReadonlyArray(b.takeAll())
    expect(got[0]).toEqual(started("A"))
    expect(got.at(-1)).toEqual(completed("A"))
    const attempts = got.flatMap((e) => (e._tag === "JobRetrying" ? [e.attempt] : []))
    expect(attempts.at(-1)).toBe(20_001)
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!).toBeGreaterThan(attempts[i - 1]!)
    expect(b.dropped + got.length).toBe(20_002)
  })

  it("a queue position the server moves back and forth without end stays bounded, the newest position kept", () => {
    const b = new EventBuffer(64)
    for (let i = 0; i < 10_000; i++) b.offer(queued(i % 2))
    expect(b.size).toBeLessThanOrEqual(64)
    const got = Chunk.toReadonlyArray(b.takeAll())
    expect(got.at(-1)).toEqual(queued(1))
  })

  it("job events under ever new imgIDs (no two of the same job) stay bounded too, the newest kept", () => {
    const b = new EventBuffer(64)
    b.offer(completed("DONE"))
    for (let i = 0; i < 10_000; i++) {
      b.offer(started(`A${i}`))
      b.offer(retrying(`A${i}`, 2))
      expect(b.size).toBeLessThanOrEqual(64)
    }
    const got = Chunk.toReadonlyArray(b.takeAll())
    expect(got[0]).toEqual(completed("DONE"))
    expect(got.slice(-2)).toEqual([started("A9999"), retrying("A9999", 2)])
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
