import { assert, describe, it } from "@effect/vitest"
import type { Protocol } from "@effect-sogni/core"
import * as FastCheck from "effect/FastCheck"
import * as ProjectState from "../src/ProjectState.js"

const P = "3F2B8C1E-7A4D-4E2B-9C61-0D5E8A7B4C21"
let clock = 1_000_000
const server = (event: Protocol.ServerEvent): ProjectState.Input => ({ _tag: "Server", event, now: (clock += 100) })
const queued = (position = 1) => server({ type: "jobState", payload: { type: "queued", jobID: P, queuePosition: position } })
const started = (imgID: string, jobIndex?: number) =>
  server({ type: "jobState", payload: { type: "jobStarted", jobID: P, imgID, workerName: "w", ...(jobIndex !== undefined ? { jobIndex } : {}) } })
const initiating = (imgID: string, jobIndex?: number) =>
  server({ type: "jobState", payload: { type: "initiatingModel", jobID: P, imgID, ...(jobIndex !== undefined ? { jobIndex } : {}) } })
const progress = (imgID: string, step: number, stepCount = 4) =>
  server({ type: "jobProgress", payload: { jobID: P, imgID, step, stepCount } })
const result = (imgID: string, extra: Partial<Protocol.JobResult> = {}) =>
  server({ type: "jobResult", payload: { jobID: P, imgID, performedStepCount: 4, lastSeed: "42", ...extra } })
const completed = () => server({ type: "jobState", payload: { type: "jobCompleted", jobID: P } })
const jobError = (imgID: string | undefined, error: string | number = "genfailure") =>
  server({ type: "jobError", payload: { jobID: P, ...(imgID !== undefined ? { imgID } : {}), isFromWorker: true, error, error_message: `boom ${error}` } })
const minted = (imgID: string): ProjectState.Input => ({ _tag: "UrlMinted", imgID, url: `http://x/${imgID}.png`, expiresAt: 1, now: clock })

const tags = (events: ReadonlyArray<ProjectState.ProjectEvent>) => events.map((e) => e._tag)
const percents = (events: ReadonlyArray<ProjectState.ProjectEvent>) =>
  events.flatMap((e) => (e._tag === "Progress" ? [e.percent] : []))

describe("ProjectState: documented sequences", () => {
  it("success with 2 images: progress 13 … 100, URLs minted, completed once", () => {
    const s0 = ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 })
    const inputs = [
      queued(),
      initiating("A", 0), started("A", 0), progress("A", 1), progress("A", 2), progress("A", 3), progress("A", 4), result("A"),
      initiating("B", 1), started("B", 1), progress("B", 1), progress("B", 2), progress("B", 3), progress("B", 4), result("B"),
      completed()
    ]
    const step = ProjectState.run(s0, inputs)
    assert.deepStrictEqual(step.commands, [{ _tag: "MintUrl", imgID: "A" }, { _tag: "MintUrl", imgID: "B" }])
    assert.deepStrictEqual(percents(step.events), [13, 25, 38, 50, 63, 75, 88, 100])
    assert.strictEqual(step.state.status, "processing") // waits for the URLs
    const done = ProjectState.run(step.state, [minted("B"), minted("A")])
    assert.deepStrictEqual(tags(done.events), ["JobCompleted", "JobCompleted", "Completed"])
    const last = done.events[2]!
    assert(last._tag === "Completed")
    assert.deepStrictEqual(last.results.map((r) => [r.imgID, r.url, r.seed]), [
      ["A", "http://x/A.png", 42],
      ["B", "http://x/B.png", 42]
    ])
  })

  it("jobCompleted before the last jobResult still waits for all N jobs", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [
      result("A", { resultUrl: "https://vendor/a.png" }),
      completed()
    ])
    assert.strictEqual(s.state.status, "processing")
    const end = ProjectState.run(s.state, [result("B", { resultUrl: "https://vendor/b.png" })])
    assert.deepStrictEqual(tags(end.events).slice(-1), ["Completed"])
    assert.deepStrictEqual(end.commands, [])
  })

  it("partial failure: the project completes with the successful job only", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [
      started("A", 0), started("B", 1), jobError("B", "workerDisconnected"), result("A"), minted("A"), completed()
    ])
    const done = s.events.find((e) => e._tag === "Completed")
    assert(done?._tag === "Completed")
    assert.strictEqual(done.results.length, 1)
    assert.strictEqual(done.failed, 1)
    const failed = s.events.find((e) => e._tag === "JobFailed")
    assert(failed?._tag === "JobFailed")
    assert.deepStrictEqual(failed.error, { code: 5002, message: "boom workerDisconnected", originalCode: "workerDisconnected" })
  })

  it("total failure: the project fails when the last job fails; a following project error is ignored", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [
      started("A", 0), started("B", 1), jobError("A"), jobError("B", 4024), jobError(undefined, 4024)
    ])
    assert.deepStrictEqual(tags(s.events).filter((t) => t === "Failed"), ["Failed"])
    assert.strictEqual(s.state.status, "failed")
    assert.strictEqual(s.state.error?.code, 4024)
  })

  it("a single-output project fails on its job's error", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 1 }), [started("A", 0), jobError("A", "sensitiveContent")])
    assert.strictEqual(s.state.status, "failed")
    assert.deepStrictEqual(s.state.error, { code: 5000, message: "Sensitive content detected.", originalCode: "sensitiveContent" })
  })

  it("a project-level error before admission fails it directly; 1001 is resubmitted once", () => {
    const refused = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [jobError(undefined, 4024)])
    assert.strictEqual(refused.state.status, "failed")
    const restart = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [jobError(undefined, 1001)])
    assert.strictEqual(restart.state.status, "pending")
    assert.deepStrictEqual(restart.commands, [{ _tag: "Resubmit" }])
    const again = ProjectState.run(restart.state, [jobError(undefined, 1001)])
    assert.strictEqual(again.state.status, "failed")
    assert.strictEqual(again.state.error?.code, 1001)
  })

  it("worker retry keeps the logical job: jobIndex matches, the project keeps N jobs", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 }), [
      started("A", 0), started("B", 1), progress("B", 2),
      server({ type: "jobRetry", payload: { jobID: P, imgID: "B", jobIndex: 1, attempt: 1, maxAttempts: 3, error: "workerCancelled", error_message: "aborted" } }),
      initiating("B2", 1), started("B2", 1), progress("B2", 1), progress("B2", 4),
      result("A"), result("B2"), minted("A"), minted("B2"), completed()
    ])
    assert.strictEqual(s.state.jobs.length, 2)
    assert.deepStrictEqual(s.state.jobs.map((j) => [j.jobIndex, j.imgID]), [[0, "A"], [1, "B2"]])
    assert.strictEqual(s.state.jobs[1]!.attempt, 2)
    assert.include(tags(s.events), "JobRetrying")
    assert.strictEqual(s.state.status, "completed")
  })

  it("a lost jobRetry: the next attempt's index-less frames replace the silent job instead of adding one", () => {
    // A and B run; B's worker fails, and its jobRetry and the new attempt's jobState frames are lost in a drop:
    // the first frame of B2 is a jobProgress without jobIndex
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 }), [
      started("A", 0), started("B", 1), progress("B", 2), progress("A", 1), progress("A", 2),
      progress("B2", 1), progress("A", 3), progress("B2", 2), result("A"), result("B2"), completed(), minted("A"), minted("B2")
    ])
    assert.deepStrictEqual(s.state.jobs.map((j) => [j.jobIndex, j.imgID]), [[0, "A"], [1, "B2"]])
    assert.strictEqual(s.state.status, "completed")
    const done = s.events.find((e) => e._tag === "Completed")
    assert(done?._tag === "Completed")
    assert.deepStrictEqual(done.results.map((r) => r.imgID), ["A", "B2"])
  })

  it("a lost jobRetry seen only in the server's finished snapshot: the stale attempt no longer holds the project", () => {
    // B's retry was lost; B2 then ran and finished while the socket was down
    const live = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 }), [
      started("A", 0), started("B", 1), progress("B", 2), result("A"), minted("A")
    ])
    assert.strictEqual(live.state.status, "processing")
    const snapshot: Protocol.RecoveredProject = {
      id: P,
      status: "completed",
      imageCount: 2,
      stepCount: 4,
      completedWorkerJobs: [
        { imgID: "A", status: "jobCompleted", performedSteps: 4, seedUsed: 42 },
        { imgID: "B2", status: "jobCompleted", performedSteps: 4, seedUsed: 9 }
      ]
    }
    const s = ProjectState.run(live.state, [{ _tag: "Recovered", project: snapshot, active: false, now: clock }, minted("B2")])
    assert.strictEqual(s.state.jobs.length, 2)
    assert.strictEqual(s.state.status, "completed")
    const done = s.events.find((e) => e._tag === "Completed")
    assert(done?._tag === "Completed")
    assert.deepStrictEqual(done.results.map((r) => r.imgID), ["A", "B2"])
  })

  it("a frame for an unknown job when every slot has finished is ignored, not a new job", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 1, steps: 4 }), [
      started("A", 0), result("A", { resultUrl: "https://vendor/a.png" }), progress("Z", 1)
    ])
    assert.strictEqual(s.state.jobs.length, 1)
  })

  it("'already exists' asks for a lookup once instead of failing; a second refusal fails", () => {
    const exists = () => server({ type: "jobError", payload: { jobID: P, isFromWorker: false, error: 4000, error_message: `Project ${P} already exists.` } })
    const first = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 1 }), [exists()])
    assert.strictEqual(first.state.status, "pending")
    assert.deepStrictEqual(first.commands.map((c) => c._tag), ["LookUp"])
    const second = ProjectState.run(first.state, [exists()])
    assert.strictEqual(second.state.status, "failed")
  })

  it("silent reassignment (queued again, new imgID, same jobIndex) reclaims the job", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 1 }), [
      started("A", 0), progress("A", 1), queued(), started("Z", 0), result("Z"), minted("Z"), completed()
    ])
    assert.strictEqual(s.state.jobs.length, 1)
    assert.strictEqual(s.state.status, "completed")
  })

  it("cancel confirmed cancels unfinished jobs and the project; refused cancel keeps it live", () => {
    const rejected = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [
      started("A", 0),
      server({ type: "artistCancelConfirmation", payload: { jobID: P, didCancel: false, error_message: "too late" } })
    ])
    assert.deepStrictEqual(tags(rejected.events).slice(-1), ["CancelRejected"])
    assert.strictEqual(rejected.state.status, "pending")
    const canceled = ProjectState.run(rejected.state, [
      server({ type: "artistCancelConfirmation", payload: { jobID: P, didCancel: true } }),
      result("A")
    ])
    assert.strictEqual(canceled.state.status, "canceled")
    assert.deepStrictEqual(canceled.state.jobs.map((j) => j.status), ["canceled"])
    assert.deepStrictEqual(tags(canceled.events), ["Canceled"])
  })

  it("withheld NSFW results are completed without a URL; vendor URLs are kept", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2 }), [
      result("A", { triggeredNSFWFilter: true }),
      result("B", { resultUrl: "https://cdn.vendor/b.mp4" }),
      completed()
    ])
    assert.deepStrictEqual(s.commands, [])
    const done = s.events.find((e) => e._tag === "Completed")
    assert(done?._tag === "Completed")
    assert.deepStrictEqual(done.results.map((r) => [r.url, r.nsfwWithheld]), [[undefined, true], ["https://cdn.vendor/b.mp4", false]])
  })

  it("ETA-only jobs (external APIs) progress between 1 and 95 on ticks", () => {
    const base = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 1 }), [
      { _tag: "Server", event: { type: "jobState", payload: { type: "jobStarted", jobID: P, imgID: "V", jobIndex: 0 } }, now: 0 },
      { _tag: "Server", event: { type: "jobETA", payload: { jobID: P, imgID: "V", etaSeconds: 10 } }, now: 0 }
    ])
    const mid = ProjectState.transition(base.state, { _tag: "Tick", now: 5_000 })
    assert.deepStrictEqual(percents(mid.events), [50])
    const late = ProjectState.transition(mid.state, { _tag: "Tick", now: 60_000 })
    assert.deepStrictEqual(percents(late.events), [95])
  })

  it("recovery snapshot: finished job minted, in-flight job continues, live frames complete it", () => {
    const snapshot: Protocol.RecoveredProject = {
      id: P.toLowerCase(),
      status: "progress",
      imageCount: 2,
      stepCount: 4,
      workerJobs: [{ imgID: "C4A9", status: "jobProgress", performedSteps: 2, jobIndex: 1 }],
      completedWorkerJobs: [{ imgID: "B7E4", status: "jobCompleted", performedSteps: 4, seedUsed: 7, jobIndex: 0 }]
    }
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 }), [
      { _tag: "Recovered", project: snapshot, active: true, now: 0 },
      progress("C4A9", 4), result("C4A9"), completed(), minted("B7E4"), minted("C4A9")
    ])
    assert.strictEqual(s.state.status, "completed")
    assert.deepStrictEqual(s.commands.map((c) => c._tag), ["MintUrl", "MintUrl"])
    const done = s.events.find((e) => e._tag === "Completed")
    assert(done?._tag === "Completed")
    assert.deepStrictEqual(done.results.map((r) => r.seed), [7, 42])
  })
})

describe("ProjectState: properties", () => {
  const imgIds = ["A", "B", "C", "D", "E"]
  const arbServerEvent: FastCheck.Arbitrary<Protocol.ServerEvent> = FastCheck.oneof(
    FastCheck.record({ position: FastCheck.nat(10) }).map(({ position }) => ({ type: "jobState" as const, payload: { type: "queued" as const, jobID: P, queuePosition: position } })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), jobIndex: FastCheck.option(FastCheck.nat(3), { nil: undefined }), init: FastCheck.boolean() }).map(({ imgID, init, jobIndex }) => ({
      type: "jobState" as const,
      payload: { type: init ? "initiatingModel" as const : "jobStarted" as const, jobID: P, imgID, ...(jobIndex !== undefined ? { jobIndex } : {}) }
    })),
    FastCheck.record({
      imgID: FastCheck.constantFrom(...imgIds),
      step: FastCheck.integer({ min: -5, max: 60 }),
      stepCount: FastCheck.integer({ min: 0, max: 50 }),
      progress: FastCheck.option(FastCheck.oneof(FastCheck.double({ noNaN: false }), FastCheck.integer({ min: -10, max: 200 })), { nil: undefined })
    }).map(({ imgID, progress, step, stepCount }) => ({
      type: "jobProgress" as const,
      payload: { jobID: P, imgID, step, stepCount, ...(progress !== undefined ? { progress } : {}) }
    })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), eta: FastCheck.integer({ min: 0, max: 100 }) }).map(({ eta, imgID }) => ({ type: "jobETA" as const, payload: { jobID: P, imgID, etaSeconds: eta } })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), url: FastCheck.boolean(), canceled: FastCheck.boolean(), nsfw: FastCheck.boolean() }).map(({ canceled, imgID, nsfw, url }) => ({
      type: "jobResult" as const,
      payload: { jobID: P, imgID, userCanceled: canceled, triggeredNSFWFilter: nsfw, ...(url ? { resultUrl: `https://v/${imgID}` } : {}) }
    })),
    FastCheck.record({ imgID: FastCheck.option(FastCheck.constantFrom(...imgIds), { nil: undefined }), code: FastCheck.constantFrom<number | string>(1001, 4024, "genfailure", "workerDisconnected") }).map(({ code, imgID }) => ({
      type: "jobError" as const,
      payload: { jobID: P, ...(imgID !== undefined ? { imgID } : {}), error: code, error_message: "x" }
    })),
    FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), jobIndex: FastCheck.nat(3) }).map(({ imgID, jobIndex }) => ({
      type: "jobRetry" as const,
      payload: { jobID: P, imgID, jobIndex, attempt: 1, maxAttempts: 3 }
    })),
    FastCheck.constant({ type: "jobState" as const, payload: { type: "jobCompleted" as const, jobID: P } }),
    FastCheck.boolean().map((didCancel) => ({ type: "artistCancelConfirmation" as const, payload: { jobID: P, didCancel } }))
  )
  const arbInput: FastCheck.Arbitrary<ProjectState.Input> = FastCheck.oneof(
    { weight: 8, arbitrary: FastCheck.tuple(arbServerEvent, FastCheck.nat(1000)).map(([event, dt]) => ({ _tag: "Server" as const, event, now: dt })) },
    { weight: 2, arbitrary: FastCheck.constantFrom(...imgIds).map((imgID) => ({ _tag: "UrlMinted" as const, imgID, url: "u", expiresAt: undefined, now: 0 })) },
    { weight: 1, arbitrary: FastCheck.nat(100_000).map((now) => ({ _tag: "Tick" as const, now })) }
  )
  const arbRun = FastCheck.tuple(FastCheck.integer({ min: 1, max: 4 }), FastCheck.array(arbInput, { maxLength: 60 }))

  it("terminal states absorb every later input", () => {
    FastCheck.assert(FastCheck.property(arbRun, arbInput, ([n, inputs], extra) => {
      const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: n }), inputs).state
      if (!ProjectState.isTerminal(s.status)) return true
      const next = ProjectState.transition(s, extra)
      return next.state === s && next.events.length === 0 && next.commands.length === 0
    }), { numRuns: 300 })
  })

  it("progress is finite, within 0–100 and never decreases (project and each job)", () => {
    FastCheck.assert(FastCheck.property(arbRun, ([n, inputs]) => {
      let state = ProjectState.initial({ id: P, numberOfMedia: n })
      let last = 0
      const lastJob = new Map<number, number>()
      for (const input of inputs) {
        const step = ProjectState.transition(state, input)
        for (const e of step.events) {
          if (e._tag === "Progress") {
            if (!Number.isFinite(e.percent) || e.percent < 0 || e.percent > 100 || e.percent < last) return false
            last = e.percent
          }
          if (e._tag === "JobProgress") {
            if (!Number.isFinite(e.percent) || e.percent < 0 || e.percent > 100) return false
          }
        }
        step.state.jobs.forEach((j, i) => {
          const before = lastJob.get(i) ?? 0
          if (j.percent < before) throw new Error(`job ${i} went from ${before} to ${j.percent}`)
          lastJob.set(i, j.percent)
        })
        state = step.state
      }
      return Number.isFinite(state.percent) && state.percent >= 0 && state.percent <= 100
    }), { numRuns: 300 })
  })

  it("exactly one terminal event, and only when the status becomes terminal", () => {
    FastCheck.assert(FastCheck.property(arbRun, ([n, inputs]) => {
      const step = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: n }), inputs)
      const terminalEvents = step.events.filter((e) => e._tag === "Completed" || e._tag === "Failed" || e._tag === "Canceled")
      return ProjectState.isTerminal(step.state.status) ? terminalEvents.length === 1 : terminalEvents.length === 0
    }), { numRuns: 300 })
  })

  it("completed projects have at least N finished jobs and every completed result has a URL or was withheld", () => {
    FastCheck.assert(FastCheck.property(arbRun, ([n, inputs]) => {
      const { events, state } = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: n }), inputs)
      if (state.status !== "completed") return true
      const done = events.find((e) => e._tag === "Completed")
      if (done?._tag !== "Completed") return false
      const finished = state.jobs.filter((j) => ProjectState.isTerminal(j.status)).length
      return finished >= n && done.results.every((r) => r.url !== undefined || r.nsfwWithheld)
    }), { numRuns: 300 })
  })

  it("a project never tracks more jobs than it has worker slots", () => {
    FastCheck.assert(FastCheck.property(arbRun, ([n, inputs]) => {
      const { state } = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: n }), inputs)
      return state.jobs.length <= n
    }), { numRuns: 500 })
  })

  it("no job ever leaves a terminal status", () => {
    FastCheck.assert(FastCheck.property(arbRun, ([n, inputs]) => {
      let state = ProjectState.initial({ id: P, numberOfMedia: n })
      for (const input of inputs) {
        const next = ProjectState.transition(state, input).state
        for (let i = 0; i < state.jobs.length; i++) {
          const before = state.jobs[i]!
          const after = next.jobs[i]!
          if (ProjectState.isTerminal(before.status) && before.status !== after.status) return false
        }
        state = next
      }
      return true
    }), { numRuns: 300 })
  })
})

describe("ProjectState: in-place transitions", () => {
  it("transitionInPlace gives the same states, events and commands as the pure transition (quiet: without progress events)", () => {
    const imgIds = ["A", "B", "C"]
    const arbInput: FastCheck.Arbitrary<ProjectState.Input> = FastCheck.oneof(
      FastCheck.record({ imgID: FastCheck.constantFrom(...imgIds), step: FastCheck.nat(8), jobIndex: FastCheck.nat(2) }).chain(({ imgID, jobIndex, step }) =>
        FastCheck.constantFrom<ProjectState.Input>(
          { _tag: "Server", event: { type: "jobState", payload: { type: "jobStarted", jobID: P, imgID, jobIndex } }, now: 1 },
          { _tag: "Server", event: { type: "jobProgress", payload: { jobID: P, imgID, step, stepCount: 8 } }, now: 2 },
          { _tag: "Server", event: { type: "jobResult", payload: { jobID: P, imgID } }, now: 3 },
          { _tag: "Server", event: { type: "jobRetry", payload: { jobID: P, imgID, jobIndex, attempt: 1, maxAttempts: 3 } }, now: 4 },
          { _tag: "Server", event: { type: "jobError", payload: { jobID: P, imgID, error: "genfailure" } }, now: 5 },
          { _tag: "UrlMinted", imgID, url: `u/${imgID}`, expiresAt: 1, now: 6 },
          { _tag: "Server", event: { type: "jobState", payload: { type: "jobCompleted", jobID: P } }, now: 7 },
          { _tag: "Server", event: { type: "jobETA", payload: { jobID: P, imgID, etaSeconds: step } }, now: 8 },
          { _tag: "Tick", now: 5000 + step * 100 },
          { _tag: "Server", event: { type: "jobState", payload: { type: "queued", jobID: P, queuePosition: step } }, now: 9 },
          { _tag: "Server", event: { type: "artistCancelConfirmation", payload: { jobID: P, didCancel: step % 2 === 0 } }, now: 10 },
          { _tag: "Server", event: { type: "jobError", payload: { jobID: P, error: 1001 } }, now: 11 },
          { _tag: "Server", event: { type: "jobResult", payload: { jobID: P, imgID, resultUrl: "https://v/x", userCanceled: step === 0 } }, now: 12 }
        )
      )
    )
    FastCheck.assert(FastCheck.property(FastCheck.integer({ min: 1, max: 3 }), FastCheck.array(arbInput, { maxLength: 40 }), (n, inputs) => {
      let pure = ProjectState.initial({ id: P, numberOfMedia: n, steps: 8 })
      const owned = ProjectState.snapshot(pure)
      // quiet: nobody observes progress; the same states and commands, the events without progress ones
      const quiet = ProjectState.snapshot(pure)
      const progressTags = new Set(["JobProgress", "Progress", "JobEta"])
      for (const input of inputs) {
        const a = ProjectState.transition(pure, input)
        const b = ProjectState.transitionInPlace(owned, input)
        const c = ProjectState.transitionInPlace(quiet, input, true)
        pure = a.state
        if (JSON.stringify(a.events) !== JSON.stringify(b.events)) return false
        if (JSON.stringify(a.commands) !== JSON.stringify(b.commands)) return false
        if (JSON.stringify(a.state) !== JSON.stringify(b.state)) return false
        if (JSON.stringify(a.events.filter((e) => !progressTags.has(e._tag))) !== JSON.stringify(c.events)) return false
        if (JSON.stringify(a.commands) !== JSON.stringify(c.commands)) return false
        if (JSON.stringify(a.state) !== JSON.stringify(c.state)) return false
      }
      return true
    }), { numRuns: 300 })
  })
})

describe("ProjectState.resultsOf", () => {
  const statuses = ["pending", "initiating", "processing", "completed", "failed", "canceled"] as const
  const arbJob = FastCheck.record({
    status: FastCheck.constantFrom(...statuses),
    jobIndex: FastCheck.integer({ min: 0, max: 5 }),
    withResult: FastCheck.boolean(),
    tag: FastCheck.integer()
  }).map(({ jobIndex, status, tag, withResult }): ProjectState.Job => ({
    jobIndex,
    imgID: `img-${tag}`,
    status,
    attempt: 1,
    step: 0,
    stepCount: 4,
    percent: 0,
    workerName: undefined,
    etaSeconds: undefined,
    etaStartedAt: undefined,
    etaAt: undefined,
    awaitingReassignment: false,
    result: withResult
      ? {
        jobIndex,
        imgID: `img-${tag}`,
        url: undefined,
        urlExpiresAt: undefined,
        seed: tag,
        outputFormat: "png",
        nsfwWithheld: false,
        nsfwDetected: false,
        workerName: undefined
      }
      : undefined,
    minting: false,
    error: undefined,
    lastFrameAt: 0
  }))

  it("is the completed jobs' results by jobIndex, ties in job order (the stable sort it replaces)", () => {
    FastCheck.assert(FastCheck.property(FastCheck.array(arbJob, { maxLength: 12 }), (jobs) => {
      const expected = jobs
        .flatMap((j) => (j.status === "completed" && j.result !== undefined ? [j.result] : []))
        .sort((a, b) => a.jobIndex - b.jobIndex)
      const got = ProjectState.resultsOf(jobs)
      assert.strictEqual(got.length, expected.length)
      got.forEach((r, i) => assert.strictEqual(r, expected[i]))
    }), { numRuns: 500 })
  })
})
