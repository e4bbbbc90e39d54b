import { describe, expect, it } from "@effect/vitest"
import type { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as ProjectSync from "../src/ProjectSync.js"

const recovered = (id: string, fields: Partial<Protocol.RecoveredProject> = {}): Protocol.RecoveredProject => ({
  id,
  status: "progress",
  model: { id: "flux1-schnell-fp8", type: "image" },
  imageCount: 1,
  stepCount: 4,
  createTime: 1,
  updateTime: 2,
  ...fields
})

const now = 100_000

describe("ProjectSync.reconcile", () => {
  it("sorts tracked and untracked projects by the list that names them, as the official client does", () => {
    const plan = ProjectSync.reconcile(
      {
        activeProjects: [recovered("A"), recovered("x-other"), recovered("LLM", { jobType: "llm" }), recovered("a")],
        unclaimedCompletedProjects: [recovered("B", { status: "completed" }), recovered("X-OTHER"), recovered("done-away", { status: "completed" })]
      },
      [
        { id: "A", finished: false, createdAt: 0 },
        { id: "b", finished: false, createdAt: 0 },
        { id: "OLD", finished: false, createdAt: now - 6_000 },
        { id: "NEW", finished: false, createdAt: now - 1_000 },
        { id: "ENDED", finished: true, createdAt: 0 }
      ],
      { now }
    )
    expect(plan.active).toEqual(["A"])
    // the tracked id is reported as the client knows it; ids compare case-insensitively
    expect(plan.completed).toEqual(["b"])
    expect(plan.missing).toEqual(["OLD"])
    expect(plan.deferred).toEqual(["NEW"])
    // LLM jobs are skipped; a repeated id (any case, any list) is counted once, where it first appears
    expect(plan.untrackedActive.map((p) => p.id)).toEqual(["x-other"])
    expect(plan.untrackedCompleted.map((p) => p.id)).toEqual(["done-away"])
  })

  it("a project already ended locally is never reported, listed or not", () => {
    const plan = ProjectSync.reconcile(
      { activeProjects: [recovered("E")], unclaimedCompletedProjects: [] },
      [{ id: "E", finished: true, createdAt: 0 }, { id: "F", finished: true, createdAt: 0 }],
      { now }
    )
    expect([plan.active, plan.completed, plan.missing, plan.deferred, plan.untrackedActive]).toEqual([[], [], [], [], []])
  })

  it("every unfinished tracked project lands in exactly one of active, completed, missing, deferred (property)", () => {
    const id = FastCheck.constantFrom("P1", "p1", "P2", "P3", "P4")
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(id, { maxLength: 4 }),
        FastCheck.array(id, { maxLength: 4 }),
        FastCheck.uniqueArray(FastCheck.record({ id, finished: FastCheck.boolean(), createdAt: FastCheck.integer({ min: 0, max: now }) }), {
          selector: (t) => t.id.toUpperCase()
        }),
        (active, done, tracked) => {
          const plan = ProjectSync.reconcile(
            { activeProjects: active.map((p) => recovered(p)), unclaimedCompletedProjects: done.map((p) => recovered(p)) },
            tracked,
            { now }
          )
          const reported = [...plan.active, ...plan.completed, ...plan.missing, ...plan.deferred]
          const unfinished = tracked.filter((t) => !t.finished).map((t) => t.id)
          return reported.length === unfinished.length && unfinished.every((t) => reported.includes(t))
        }
      )
    )
  })
})

describe("ProjectSync.strictly", () => {
  it("keeps entries with the guaranteed fields and skips the others", async () => {
    const kept = await Effect.runPromise(
      ProjectSync.strictly([
        recovered("OK", { workerJobs: [{ id: "OK", imgID: "J1", status: "jobProgress", performedSteps: 2 }] }),
        { id: "NO-MODEL", status: "progress" },
        recovered("BAD-STATUS", { status: "sideways" }),
        recovered("BAD-JOB", { workerJobs: [{ status: "jobProgress" }] })
      ])
    )
    expect(kept.map((p) => p.id)).toEqual(["OK"])
    expect(kept[0]!.workerJobs?.[0]?.imgID).toBe("J1")
    expect(kept[0]!.model.id).toBe("flux1-schnell-fp8")
  })

  it("answers an empty snapshot list at once: synchronously, without loading the record schemas", () => {
    // a dynamic import on this path would make runSync fail (an asynchronous step)
    expect(Effect.runSync(ProjectSync.strictly([]))).toEqual([])
  })

  it("the record side loads on first use: a lookup schema decodes through the re-exported stand-in", async () => {
    const kept = await Effect.runPromise(ProjectSync.strictly([recovered("R")]))
    expect(kept.map((p) => p.id)).toEqual(["R"])
    expect(Schema.decodeUnknownSync(ProjectSync.LookupStatus)("queued")).toBe("queued")
    expect(ProjectSync.workerJobStatuses).toContain("jobCompleted")
    expect(ProjectSync.defaultResolveOptions.attempts).toBe(4)
  })
})
