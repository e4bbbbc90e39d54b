import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { SkipWarnings } from "../src/index.js"

// every warning and count line a limiter logs, in order
const recording = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).join(" "))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const options = {
  limit: 2,
  warning: (n: number) => Effect.logWarning(`skipped frame ${n}`),
  summary: (count: number) => Effect.logWarning(`skipped ${count} more`)
}

const reportAll = (skips: SkipWarnings.SkipWarnings<number>, from: number, to: number) =>
  Effect.forEach(Array.from({ length: to - from + 1 }, (_, i) => from + i), skips.report, { discard: true })

describe("SkipWarnings", () => {
  it.effect("per stream (no window): the first `limit` warned, the rest counted in one line at flush", () => {
    const log = recording()
    return Effect.gen(function*() {
      const skips = yield* SkipWarnings.make(options)
      yield* reportAll(skips, 1, 7)
      // time passing ends no window: nothing more is logged before the flush
      yield* TestClock.adjust(Duration.hours(1))
      yield* skips.report(8)
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2"])
      yield* skips.flush
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2", "skipped 6 more"])
      // a second flush has nothing to report; the window stays spent
      yield* skips.flush
      yield* skips.report(9)
      yield* skips.flush
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2", "skipped 6 more", "skipped 1 more"])
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("a flush with nothing suppressed logs nothing", () => {
    const log = recording()
    return Effect.gen(function*() {
      const skips = SkipWarnings.unsafeMake(options)
      yield* skips.flush
      yield* reportAll(skips, 1, 2)
      yield* skips.flush
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2"])
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("windowed: the count is logged when the next window starts, whose skips are warned again", () => {
    const log = recording()
    return Effect.gen(function*() {
      const skips = yield* SkipWarnings.make({ ...options, window: Duration.seconds(10) })
      yield* reportAll(skips, 1, 5)
      yield* TestClock.adjust(Duration.millis(9_999))
      yield* skips.report(6)
      // still the first window: no count yet (no flush was scheduled without a scope)
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2"])
      yield* TestClock.adjust(Duration.millis(1))
      yield* reportAll(skips, 7, 9)
      assert.deepStrictEqual(log.lines, [
        "skipped frame 1",
        "skipped frame 2",
        "skipped 4 more",
        "skipped frame 7",
        "skipped frame 8"
      ])
      // the explicit flush (the connection ends) reports the second window's count
      yield* skips.flush
      assert.strictEqual(log.lines.at(-1), "skipped 1 more")
      assert.strictEqual(log.lines.length, 6)
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("windowed with a scope: the count is logged at the window's end without a further skip", () => {
    const log = recording()
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const skips = yield* SkipWarnings.make({ ...options, window: Duration.seconds(10), flushIn: scope })
      yield* TestClock.adjust(Duration.seconds(3))
      yield* reportAll(skips, 1, 2)
      yield* TestClock.adjust(Duration.seconds(4))
      // the first suppressed skip (7 s after the window opened at 3 s) schedules the count for 13 s
      yield* reportAll(skips, 3, 6)
      // the scheduled flush's fiber starts its sleep
      yield* Effect.yieldNow()
      yield* TestClock.adjust(Duration.millis(5_999))
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2"])
      yield* TestClock.adjust(Duration.millis(1))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2", "skipped 4 more"])
      // the next window starts afresh: two warnings, and its own scheduled count
      yield* reportAll(skips, 7, 9)
      yield* Effect.yieldNow()
      yield* TestClock.adjust(Duration.seconds(10))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(log.lines, [
        "skipped frame 1",
        "skipped frame 2",
        "skipped 4 more",
        "skipped frame 7",
        "skipped frame 8",
        "skipped 1 more"
      ])
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("windowed with a scope: closing the scope interrupts the scheduled flush (the caller flushes)", () => {
    const log = recording()
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const skips = yield* SkipWarnings.make({ ...options, window: Duration.seconds(10), flushIn: scope })
      yield* reportAll(skips, 1, 4)
      yield* Effect.yieldNow()
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust(Duration.seconds(20))
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2"])
      yield* skips.flush
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2", "skipped 2 more"])
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("an explicit flush before the window's end leaves the scheduled flush nothing to log", () => {
    const log = recording()
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const skips = yield* SkipWarnings.make({ ...options, window: Duration.seconds(10), flushIn: scope })
      yield* reportAll(skips, 1, 3)
      yield* Effect.yieldNow()
      yield* skips.flush
      yield* TestClock.adjust(Duration.seconds(10))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(log.lines, ["skipped frame 1", "skipped frame 2", "skipped 1 more"])
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("reports from concurrent fibers are all counted", () => {
    const log = recording()
    return Effect.gen(function*() {
      const skips = SkipWarnings.unsafeMake(options)
      const fibers = yield* Effect.forEach([0, 1, 2, 3], (k) => Effect.fork(reportAll(skips, k * 10 + 1, k * 10 + 10)))
      yield* Fiber.joinAll(fibers)
      yield* skips.flush
      assert.strictEqual(log.lines.length, 3)
      assert.strictEqual(log.lines[2], "skipped 38 more")
    }).pipe(Effect.provide(log.layer))
  })
})
