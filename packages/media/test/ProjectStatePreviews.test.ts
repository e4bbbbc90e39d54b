/**
 * Previews in the pure project machine (media.md §4.1, §8.1): a `jobProgress` with `hasImage: true` asks
 * the shell to mint a preview URL, and the minted URL becomes a `Preview` event for that job — only
 * while the job and the project are live. Properties over random frame sequences that include preview
 * frames and late mints.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Protocol } from "@effect-sogni/core"
import * as FastCheck from "effect/FastCheck"
import * as ProjectState from "../src/ProjectState.js"

const P = "9A1B2C3D-4E5F-4A6B-8C7D-0E1F2A3B4C5D"
const server = (event: Protocol.ServerEvent, now = 1): ProjectState.Input => ({ _tag: "Server", event, now })
const started = (imgID: string, jobIndex: number) =>
  server({ type: "jobState", payload: { type: "jobStarted", jobID: P, imgID, workerName: "w", jobIndex } })
const progress = (imgID: string, step: number, hasImage = false) =>
  server({ type: "jobProgress", payload: { jobID: P, imgID, step, stepCount: 4, ...(hasImage ? { hasImage: true } : {}) } })
const result = (imgID: string) =>
  server({ type: "jobResult", payload: { jobID: P, imgID, performedStepCount: 4, lastSeed: "1", resultUrl: `https://v/${imgID}.png` } })
const previewMinted = (imgID: string, step: number): ProjectState.Input => ({
  _tag: "PreviewMinted",
  imgID,
  url: `https://v/${imgID}.preview-${step}.jpg`,
  now: 2
})
const completed = () => server({ type: "jobState", payload: { type: "jobCompleted", jobID: P } })

describe("ProjectState: previews", () => {
  it("hasImage asks for a preview URL; the minted URL is a Preview event of that job", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 2, steps: 4 }), [
      started("A", 0),
      started("B", 1),
      progress("A", 1, true),
      progress("B", 1),
      progress("B", 3, true)
    ])
    assert.deepStrictEqual(s.commands, [{ _tag: "MintPreview", imgID: "A" }, { _tag: "MintPreview", imgID: "B" }])
    const minted = ProjectState.run(s.state, [previewMinted("B", 3), previewMinted("A", 1)])
    const previews = minted.events.filter((e) => e._tag === "Preview")
    assert.deepStrictEqual(previews.map((p) => p._tag === "Preview" ? [p.imgID, p.jobIndex, p.url] : []), [
      ["B", 1, "https://v/B.preview-3.jpg"],
      ["A", 0, "https://v/A.preview-1.jpg"]
    ])
  })

  it("a preview minted after its job finished, or after the project ended, is dropped", () => {
    const s = ProjectState.run(ProjectState.initial({ id: P, numberOfMedia: 1, steps: 4 }), [
      started("A", 0),
      progress("A", 3, true),
      result("A")
    ])
    const late = ProjectState.run(s.state, [previewMinted("A", 3)])
    assert.deepStrictEqual(late.events.filter((e) => e._tag === "Preview"), [])
    const ended = ProjectState.run(late.state, [completed()])
    assert.strictEqual(ended.state.status, "completed")
    assert.deepStrictEqual(ProjectState.transition(ended.state, previewMinted("A", 3)).events, [])
  })

  it("properties: previews only for live jobs of a live project, and progress stays monotonic in 0–100", () => {
    const imgIds = ["A", "B", "C"]
    const arbInput: FastCheck.Arbitrary<ProjectState.Input> = FastCheck.record({
      imgID: FastCheck.constantFrom(...imgIds),
      jobIndex: FastCheck.nat(2),
      step: FastCheck.integer({ min: 1, max: 4 }),
      kind: FastCheck.nat(6)
    }).map(({ imgID, jobIndex, kind, step }) =>
      kind === 0
        ? started(imgID, jobIndex)
        : kind === 1
        ? progress(imgID, step, true)
        : kind === 2
        ? progress(imgID, step)
        : kind === 3
        ? previewMinted(imgID, step)
        : kind === 4
        ? result(imgID)
        : kind === 5
        ? completed()
        : server({ type: "jobError", payload: { jobID: P, imgID, isFromWorker: true, error: "genfailure", error_message: "x" } })
    )
    FastCheck.assert(
      FastCheck.property(FastCheck.integer({ min: 1, max: 3 }), FastCheck.array(arbInput, { maxLength: 50 }), (n, inputs) => {
        let state = ProjectState.initial({ id: P, numberOfMedia: n, steps: 4 })
        let last = 0
        for (const input of inputs) {
          const before = state
          const step = ProjectState.transition(state, input)
          for (const command of step.commands) {
            if (command._tag !== "MintPreview") continue
            const job = step.state.jobs.find((j) => j.imgID === command.imgID)
            if (job === undefined || ProjectState.isTerminal(job.status)) return false
          }
          for (const event of step.events) {
            if (event._tag === "Preview") {
              if (ProjectState.isTerminal(before.status)) return false
              const job = before.jobs.find((j) => j.imgID === event.imgID)
              if (job === undefined || ProjectState.isTerminal(job.status)) return false
            }
            if (event._tag === "Progress") {
              if (!Number.isFinite(event.percent) || event.percent < last || event.percent > 100) return false
              last = event.percent
            }
          }
          state = step.state
        }
        return true
      }),
      { numRuns: 300 }
    )
  })
})
