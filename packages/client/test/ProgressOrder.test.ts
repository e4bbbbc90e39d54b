/**
 * The order of a project's `progress` and its jobs' `progress`, against the official client: each job
 * frame emits the job's progress, then the project's (the official `Project` hears of a job's change
 * after the job's own listeners). The adapter's first project in a process is the one that loads the
 * project events module, while the frames keep coming: this file runs it first, on purpose. Against the
 * emulator over real loopback sockets.
 */
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { SogniClient } from "../src/index.js"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

interface Emitting {
  on(event: string, listener: (data: never) => void): unknown
}

describe("progress order", () => {
  it("job progress, then the project's, frame by frame, as the official client (also for the first project of a process)", async () => {
    const seen: Record<string, Array<string>> = {}
    // the adapter first: its first project loads the events module while the frames arrive
    for (const [label, make] of [
      ["adapter", (c: Record<string, unknown>) => SogniClient.createInstance(c as never)],
      ["official", (c: Record<string, unknown>) => OfficialClient.createInstance(c as never)]
    ] as const) {
      const sogni = await make({ appId: `progress-order-${label}`, logLevel: "silent", network: "fast", ...endpoints(emulator) })
      try {
        await sogni.projects.waitForModels()
        for (const numberOfMedia of [1, 2]) {
          const project = await sogni.projects.create({
            type: "image",
            modelId: "flux1-schnell-fp8",
            positivePrompt: "a fox",
            steps: 8,
            numberOfMedia,
            tokenType: "spark"
          } as never) as unknown as Emitting & { waitForCompletion(): Promise<unknown> }
          const lines: Array<string> = []
          project.on("progress", (p: number) => lines.push(`P${p}`))
          project.on("jobStarted", (job: Emitting & { readonly jobIndex?: number }) =>
            job.on("progress", (p: number) => lines.push(`j${job.jobIndex}:${p}`)))
          await project.waitForCompletion()
          seen[`${label} ${numberOfMedia}`] = lines
        }
      } finally {
        await sogni.dispose()
      }
    }
    // the official order: each job's step, then the project's new percent
    const official = seen["official 1"]!
    const first = official.indexOf("j0:13")
    assert.deepStrictEqual(official.slice(first, first + 4), ["j0:13", "P13", "j0:25", "P25"], official.join(" "))
    for (const n of [1, 2]) assert.deepStrictEqual(seen[`adapter ${n}`], seen[`official ${n}`], `numberOfMedia ${n}`)
  })
})
