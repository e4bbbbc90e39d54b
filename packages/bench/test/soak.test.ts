/**
 * A small, fast slice of `pnpm soak`: the same scenarios with small counts, asserting every figure the
 * soak promises (nothing lost, duplicated, hung or out of order; no crash; typed errors before anything
 * is sent). The full run with its figures is `pnpm soak`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { invalidScenario } from "../src/soak/invalid.js"
import { malformedScenario } from "../src/soak/malformed.js"
import { projectsScenario } from "../src/soak/projects.js"
import { format, type ScenarioReport } from "../src/soak/report.js"
import { streamsScenario } from "../src/soak/streams.js"

const assertHeld = (report: ScenarioReport) => {
  const failed = report.checks.filter((c) => !c.ok)
  assert.deepStrictEqual(failed.map((c) => `${c.name}: ${c.detail}`), [], format(report))
  assert.isAbove(report.checks.length, 0)
}

describe("soak slice", () => {
  it.live("30 image projects per API under faults: none lost, duplicated or hung; [[fail]] ones fail", () =>
    Effect.map(
      projectsScenario({ projects: 30, concurrency: 15, projectDeadline: "60 seconds", speed: 20, seed: 3, faultEvery: "200 millis" }),
      assertHeld
    ), 240_000)

  it.live("2,000 malformed frames interleaved with valid events: no crash, every valid event in order", () =>
    Effect.map(
      Effect.promise(() => malformedScenario({ frames: 2_000, validEvery: 10, seed: 3, timeoutMs: 90_000 })),
      assertHeld
    ), 120_000)

  it.live("workflow and chat-run SSE streams cut 10 times each: nothing missing, duplicated or out of order", () =>
    Effect.map(streamsScenario({ cuts: 10, seed: 3, speed: 20, streamTimeout: "60 seconds" }), assertHeld), 180_000)

  it.live("invalid inputs fail typed before any work frame or writing request", () =>
    Effect.map(invalidScenario, assertHeld), 180_000)
})
