/**
 * The rules of a server frame's numbers (`ProjectState.frameRules`), as pure tests of the machine: each
 * absurd value is skipped (the frame) or ignored (the field) with a `Malformed` command naming the frame,
 * the field and the rule; no event ever carries one; a step above the known step count is clamped.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Protocol } from "@effect-sogni/core"
import * as FastCheck from "effect/FastCheck"
import * as ProjectState from "../src/ProjectState.js"

const P = "5B1C0E2A-9D4F-4C3B-8A71-2E6F0D9C8B17"
const server = (event: Protocol.ServerEvent, now = 1_000): ProjectState.Input => ({ _tag: "Server", event, now })
const started = (imgID: string, jobIndex: number) =>
  server({ type: "jobState", payload: { type: "jobStarted", jobID: P, imgID, jobIndex } })

/** A project of 2 images of 4 steps whose job A (index 0) has started. */
const running = () => ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 }), [started("A", 0)]).state

const malformed = (step: ProjectState.Step) =>
  step.commands.flatMap((c) => (c._tag === "Malformed" ? [c] : []))

const { count, eta, percent } = ProjectState.frameRules
const absurd = [-1, 1.5, 1e308, Infinity, -Infinity, Number.NaN, 2 ** 53]

describe("ProjectState.frameRules: frames skipped whole", () => {
  const cases: ReadonlyArray<readonly [string, string, string, (v: number) => Protocol.ServerEvent]> = [
    ["jobState", "jobIndex", count, (v) => ({ type: "jobState", payload: { type: "jobStarted", jobID: P, imgID: "B", jobIndex: v } })],
    ["jobState", "jobIndex", count, (v) => ({ type: "jobState", payload: { type: "initiatingModel", jobID: P, imgID: "B", jobIndex: v } })],
    ["jobRetry", "jobIndex", count, (v) => ({ type: "jobRetry", payload: { jobID: P, imgID: "A", jobIndex: v, attempt: 1, maxAttempts: 3 } })],
    ["jobRetry", "attempt", count, (v) => ({ type: "jobRetry", payload: { jobID: P, imgID: "A", jobIndex: 0, attempt: v, maxAttempts: 3 } })],
    ["jobProgress", "step", ProjectState.frameRules.step, (v) => ({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: v, stepCount: 4 } })],
    ["jobProgress", "stepCount", count, (v) => ({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: 1, stepCount: v } })],
    ["jobProgress", "progress", percent, (v) => ({ type: "jobProgress", payload: { jobID: P, imgID: "A", progress: v } })],
    ["jobETA", "etaSeconds", eta, (v) => ({ type: "jobETA", payload: { jobID: P, imgID: "A", etaSeconds: v } })]
  ]
  for (const [frame, field, rule, make] of cases) {
    it(`${frame} with a broken ${field}: skipped, the state untouched, one Malformed naming ${field} and its rule`, () => {
      for (const v of absurd) {
        // 1.5 is a fine step, progress or ETA; 2^53 a fine progress-free ETA is not (a year at most)
        if ((field === "step" || field === "etaSeconds") && v === 1.5) continue
        if (field === "progress" && v === 1.5) continue
        const before = running()
        const frozen = JSON.stringify(before)
        const step = ProjectState.transition(before, server(make(v), 2_000))
        assert.strictEqual(JSON.stringify(step.state), frozen, `${field} ${v}`)
        assert.deepStrictEqual(step.events, [], `${field} ${v}`)
        assert.deepStrictEqual(malformed(step).map((m) => [m.frame, m.field, m.rule, m.skipped]), [[frame, field, rule, true]], `${field} ${v}`)
      }
    })
  }
})

describe("ProjectState.frameRules: fields ignored, the frame kept", () => {
  it("a queued frame's absurd position and start estimate are dropped from its event; the project is queued", () => {
    for (const v of absurd) {
      const step = ProjectState.transition(
        ProjectState.initial({ id: P, numberOfMedia: 1 }),
        server({ type: "jobState", payload: { type: "queued", jobID: P, queuePosition: v, estimatedStartSeconds: v === 1.5 ? -1 : v } })
      )
      assert.strictEqual(step.state.status, "queued")
      const queued = step.events.find((e) => e._tag === "Queued")
      assert(queued?._tag === "Queued")
      assert.isUndefined(queued.position)
      assert.isUndefined(queued.estimatedStartSeconds)
      assert.deepStrictEqual(malformed(step).map((m) => [m.field, m.rule, m.skipped]), [["queuePosition", count, false], ["estimatedStartSeconds", eta, false]])
    }
  })

  it("a progress frame's absurd ETAs are dropped, its step kept; etaMin above etaMax drops both", () => {
    const step = ProjectState.transition(
      running(),
      server({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: 2, stepCount: 4, etaSeconds: 1e308, etaMin: -3, etaMax: 5 } })
    )
    const e = step.events.find((x) => x._tag === "JobProgress")
    assert(e?._tag === "JobProgress")
    assert.deepStrictEqual([e.step, e.etaSeconds, e.etaMin, e.etaMax], [2, undefined, undefined, 5])
    assert.deepStrictEqual(malformed(step).map((m) => [m.field, m.rule]), [["etaSeconds", eta], ["etaMin", eta]])
    const crossed = ProjectState.transition(
      running(),
      server({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: 1, etaMin: 9, etaMax: 3 } })
    )
    const c = crossed.events.find((x) => x._tag === "JobProgress")
    assert(c?._tag === "JobProgress")
    assert.deepStrictEqual([c.step, c.etaMin, c.etaMax], [1, undefined, undefined])
    assert.deepStrictEqual(malformed(crossed).map((m) => [m.field, m.rule]), [["etaMin", ProjectState.frameRules.etaRange]])
  })

  it("a result with an absurd jobIndex, step count and seed still completes its job (matched by imgID)", () => {
    const step = ProjectState.transition(
      running(),
      server({ type: "jobResult", payload: { jobID: P, imgID: "A", jobIndex: -1, performedStepCount: 1e308, lastSeed: "123456789012345678901234567890", resultUrl: "https://v/a" } })
    )
    const done = step.events.find((e) => e._tag === "JobCompleted")
    assert(done?._tag === "JobCompleted")
    assert.deepStrictEqual([done.result.jobIndex, done.result.seed, done.result.url], [0, undefined, "https://v/a"])
    assert.strictEqual(step.state.jobs[0]!.step, 4)
    assert.deepStrictEqual(
      malformed(step).map((m) => [m.field, m.rule, m.skipped]),
      [["jobIndex", count, false], ["lastSeed", ProjectState.frameRules.seed, false], ["performedStepCount", count, false]]
    )
  })

  it("a retry with an absurd maxAttempts is applied without it", () => {
    const step = ProjectState.transition(
      running(),
      server({ type: "jobRetry", payload: { jobID: P, imgID: "A", jobIndex: 0, attempt: 1, maxAttempts: 0 } })
    )
    const retry = step.events.find((e) => e._tag === "JobRetrying")
    assert(retry?._tag === "JobRetrying")
    assert.deepStrictEqual([retry.attempt, retry.maxAttempts], [2, undefined])
    assert.deepStrictEqual(malformed(step).map((m) => [m.field, m.rule]), [["maxAttempts", ProjectState.frameRules.attempts]])
  })
})

describe("ProjectState.frameRules: clamping", () => {
  it("a step above the known step count is clamped to it (and never goes down)", () => {
    const { events, state } = ProjectState.run(running(), [
      server({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: 3, stepCount: 4 } }),
      server({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: 99, stepCount: 4 } }),
      server({ type: "jobProgress", payload: { jobID: P, imgID: "A", step: 1 } })
    ])
    const steps = events.flatMap((e) => (e._tag === "JobProgress" ? [[e.step, e.stepCount]] : []))
    assert.deepStrictEqual(steps, [[3, 4], [4, 4], [4, 4]])
    assert.strictEqual(state.jobs[0]!.step, 4)
  })
})

describe("ProjectState.frameRules: property", () => {
  // any double (NaN, infinities, negatives, huge) or small integer, in any numeric field of any frame
  const arbNumber = FastCheck.oneof(FastCheck.double(), FastCheck.integer({ min: -3, max: 12 }), FastCheck.constantFrom(0, 1, 1e308, 2 ** 53))
  const imgIds = ["A", "B"]
  const arbEvent: FastCheck.Arbitrary<Protocol.ServerEvent> = FastCheck.oneof(
    FastCheck.record({ q: arbNumber, s: arbNumber }).map(({ q, s }) => ({ type: "jobState" as const, payload: { type: "queued" as const, jobID: P, queuePosition: q, estimatedStartSeconds: s } })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), i: arbNumber }).map(({ i, imgID }) => ({ type: "jobState" as const, payload: { type: "jobStarted" as const, jobID: P, imgID, jobIndex: i } })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), a: arbNumber, b: arbNumber, c: arbNumber, d: arbNumber, e: arbNumber, f: arbNumber }).map(({ a, b, c, d, e, f, imgID }) => ({
      type: "jobProgress" as const,
      payload: { jobID: P, imgID, step: a, stepCount: b, ...(c > 50 ? {} : { progress: c }), etaSeconds: d, etaMin: e, etaMax: f }
    })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), s: arbNumber }).map(({ imgID, s }) => ({ type: "jobETA" as const, payload: { jobID: P, imgID, etaSeconds: s } })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), i: arbNumber, a: arbNumber, m: arbNumber }).map(({ a, i, imgID, m }) => ({
      type: "jobRetry" as const,
      payload: { jobID: P, imgID, jobIndex: i, attempt: a, maxAttempts: m }
    })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), i: arbNumber, p: arbNumber }).map(({ i, imgID, p }) => ({
      type: "jobResult" as const,
      payload: { jobID: P, imgID, jobIndex: i, performedStepCount: p, resultUrl: `https://v/${imgID}` }
    }))
  )
  const isCount = (n: unknown) => n === undefined || (Number.isSafeInteger(n) && (n as number) >= 0)
  const isEta = (n: unknown) => n === undefined || (typeof n === "number" && n >= 0 && n <= ProjectState.maxEtaSeconds)

  it("no event carries a number that breaks its rule, and every skipped frame leaves the state as it was", () => {
    FastCheck.assert(FastCheck.property(FastCheck.array(FastCheck.tuple(arbEvent, FastCheck.nat(1000)), { maxLength: 40 }), (frames) => {
      let state = ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 })
      for (const [event, dt] of frames) {
        const before = JSON.stringify(state)
        const step = ProjectState.transition(state, server(event, 1_000 + dt))
        if (malformed(step).some((m) => m.skipped) && JSON.stringify(step.state) !== before) return false
        for (const e of step.events) {
          switch (e._tag) {
            case "Queued":
              if (!isCount(e.position) || !isEta(e.estimatedStartSeconds)) return false
              break
            case "JobInitiating":
            case "JobStarted":
              if (!isCount(e.jobIndex)) return false
              break
            case "JobProgress":
              if (!isCount(e.jobIndex) || !isCount(e.stepCount) || !isEta(e.etaSeconds) || !isEta(e.etaMin) || !isEta(e.etaMax)) return false
              if (!(e.step >= 0 && e.step <= Number.MAX_SAFE_INTEGER) || (e.stepCount > 0 && e.step > e.stepCount)) return false
              if (e.etaMin !== undefined && e.etaMax !== undefined && e.etaMin > e.etaMax) return false
              break
            case "JobEta":
              if (!isCount(e.jobIndex) || !isEta(e.etaSeconds)) return false
              break
            case "JobRetrying":
              if (!isCount(e.jobIndex) || !isCount(e.attempt) || !(e.maxAttempts === undefined || (isCount(e.maxAttempts) && e.maxAttempts >= 1))) return false
              break
            case "JobCompleted":
              if (!isCount(e.result.jobIndex)) return false
              break
            default:
              break
          }
        }
        for (const j of step.state.jobs) if (!isCount(j.jobIndex) || !isCount(j.stepCount) || !(j.step >= 0 && j.step <= Number.MAX_SAFE_INTEGER)) return false
        state = step.state
      }
      return true
    }), { numRuns: 500 })
  })
})
