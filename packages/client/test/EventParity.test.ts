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
import * as Effect from "effect/Effect"
import { SogniClient } from "../src/index.js"
import { audioProject, endpoints, type RunningEmulator, startEmulator } from "./emulator.js"
import { type ClientLike, record, shapeOf } from "./eventRecorder.js"

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
 * With several jobs rendering at once, where one job's start lands among the other's progress is the
 * emulator's timing too: those lines join the run (their presence is compared, not their position).
 */
const isParallelJobLine = (line: string) =>
  isProgress(line) || line.startsWith("projects job:started ") || line.startsWith("projects job:initiating ") ||
  line.startsWith("project jobStarted")

/**
 * Folds consecutive repeats into one line, and each run of progress lines into the set of distinct lines
 * it holds (sorted): the names and payload shapes are compared, not the count of frames.
 */
const fold = (lines: ReadonlyArray<string>, inRun: (line: string) => boolean = isProgress): Array<string> => {
  const out: Array<string> = []
  let run: Set<string> | undefined
  const flush = () => {
    if (run !== undefined) out.push(...[...run].sort())
    run = undefined
  }
  for (const line of lines) {
    if (inRun(line)) {
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
 * (or some). The adapter emits it after the last job's `"job"` `completed`. 2, 3, 4 below.
 */
const fixKnownDefects = (source: ReadonlyArray<string>): Array<string> => {
  const lines = source.filter((l) =>
    // 3. a chat job's `queued` and `jobStarted` frames also reach the media projects' handler, which
    //    emits them as a `"project"` `queued` and a `"job"` `started` event of no project (no `jobId`)
    !((l.startsWith("projects project:") || l.startsWith("projects job:")) && !l.includes("jobId:") && !source.some((x) => x.startsWith("project ")))
    // 4. an SSE comment block (`: keep-alive`) is yielded as an event named `message` with `null` data
    && l !== "workflow message null"
  )
  // 2. a project's `completed` is emitted a second time when the client refreshes the finished project
  //    from the REST API, and its `failed` a second time when the server's project-level error follows
  //    the last job's; the adapter emits each once
  const first = (event: string) => lines.findIndex((l) => l.startsWith(`project ${event} `))
  const firstCompleted = first("completed")
  const firstFailed = first("failed")
  const out = lines.filter((l, i) =>
    !(l.startsWith("project completed ") && i > firstCompleted) && !(l.startsWith("project failed ") && i > firstFailed)
  )
  const at = out.findIndex((l) => l.startsWith("projects project:completed"))
  const lastJob = out.map((l) => l.startsWith("projects job:completed")).lastIndexOf(true)
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
  scenario: (client: ClientLike, recorder: ReturnType<typeof record>, appId: string) => Promise<void>,
  inRun: (line: string) => boolean = isProgress
): Promise<{ official: Array<string>; adapter: Array<string> }> => {
  const out: Record<string, Array<string>> = {}
  for (const [label, make] of [["official", official], ["adapter", adapter]] as const) {
    const appId = `parity-${name}-${label}`
    const client = await make({ appId, logLevel: "error", network: "fast", ...endpoints(emulator) })
    try {
      const recorder = record(client)
      await client.projects.waitForModels()
      const timer = setTimeout(() => console.log(label, "still running after 30 s:", recorder.lines), 30_000)
      await scenario(client, recorder, appId).finally(() => clearTimeout(timer))
      // events emitted right after the awaited promise settled (the official client's order)
      await new Promise((r) => setTimeout(r, 50))
      out[label] = fold(recorder.lines, inRun)
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

/**
 * For jobs that render at once, where the interleaving of two jobs' frames is emulator timing: the same
 * set of distinct lines (names and payload shapes), and the same order of the project-level lines.
 */
const expectSameInterleaved = (
  result: { official: Array<string>; adapter: Array<string> },
  mustInclude: ReadonlyArray<string>
) => {
  const distinct = (lines: ReadonlyArray<string>) => [...new Set(lines)].sort()
  // project-level progress follows whichever job's frame arrived last, so how many progress lines a run
  // holds depends on timing (seen 5 vs 6 under load): runs are folded like the job lines
  const projectLevel = (lines: ReadonlyArray<string>) =>
    fold(lines.filter((l) => (l.startsWith("projects project:") || l.startsWith("project ")) && !l.startsWith("project job")))
  assert.deepStrictEqual(distinct(result.adapter), distinct(result.official))
  assert.deepStrictEqual(projectLevel(result.adapter), projectLevel(result.official))
  for (const line of mustInclude) {
    assert.isTrue(result.official.some((l) => l.startsWith(line)), `the scenario produced no "${line}" event`)
  }
}

describe("event parity with the official client", () => {
  it("an image project", async () => {
    const result = await both("image", project({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a lighthouse",
      steps: 4,
      numberOfMedia: 1,
      tokenType: "spark"
    }))
    expectSame(result, ["projects project:queued", "project jobStarted", "projects job:initiating", "projects job:completed", "projects project:completed", "project completed"])
  }, 60_000)

  it("an image project with two results rendering at once", async () => {
    const result = await both("image-2", project({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a lighthouse",
      steps: 4,
      numberOfMedia: 2,
      tokenType: "spark"
    }), isParallelJobLine)
    expectSameInterleaved(result, ["projects project:queued", "projects job:completed", "projects project:completed", "project completed"])
  }, 60_000)

  it("a video project", async () => {
    const result = await both("video", project({
      type: "video",
      modelId: "wan_v2.2-14b-fp8_t2v_lightx2v",
      positivePrompt: "waves on a beach",
      width: 512,
      height: 512,
      fps: 16,
      frames: 17,
      // without it the official client never settles a video project (1 >= undefined is false)
      numberOfMedia: 1,
      tokenType: "spark"
    }))
    expectSame(result, ["projects job:started", "projects job:completed", "project completed"])
  }, 90_000)

  it("an audio project", async () => {
    const result = await both("audio", project(audioProject))
    expectSame(result, ["projects job:started", "projects job:completed", "project completed"])
  }, 90_000)

  it("a project refused for an out-of-range value fails through its events, not by throwing", async () => {
    const result = await both("refused", project({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a lighthouse",
      steps: 999,
      tokenType: "spark"
    }))
    expectSame(result, ["project failed", "projects project:error"])
  }, 60_000)

  it("a project whose every job fails: the job's error, then the project's failure and its error", async () => {
    const result = await both("all-failed", project({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a lighthouse [[fail]]",
      steps: 4,
      numberOfMedia: 1,
      tokenType: "spark"
    }))
    expectSame(result, ["job failed", "project jobFailed", "project failed", "projects job:error", "projects project:error"])
    const tail = result.adapter.filter((l) => /^(project failed|projects job:error|projects project:error)/.test(l))
    assert.deepStrictEqual(tail.map((l) => l.split(" ").slice(0, 2).join(" ")), ["project failed", "projects job:error", "projects project:error"])
  }, 60_000)

  it("a dropped connection that comes back: connecting, connected (disconnected is for terminal outcomes only)", async () => {
    const result = await both("drop", async (_client, recorder, appId) => {
      const from = recorder.lines.length
      await Effect.runPromise(emulator.service.control.dropConnection({ appId, code: 1001, reason: "restart" }))
      for (let i = 0; i < 400 && !recorder.lines.slice(from).some((l) => l.startsWith("apiClient connected")); i++) {
        await new Promise((r) => setTimeout(r, 25))
      }
    })
    const connection = (lines: ReadonlyArray<string>) => lines.filter((l) => l.startsWith("apiClient "))
    assert.deepStrictEqual(connection(result.adapter), connection(result.official))
    assert.deepStrictEqual(connection(result.official).map((l) => l.split(" ")[1]), ["connected", "connecting", "connected"])
  }, 60_000)

  it("a streamed chat completion", async () => {
    const result = await both("chat-stream", async (client) => {
      const stream = await client.chat.completions.create({
        model: "qwen3.6-35b-a3b-gguf-iq4xs",
        messages: [{ role: "user", content: "Write two sentences about lighthouses" }],
        max_tokens: 60,
        tokenType: "spark",
        stream: true
      }) as AsyncIterable<unknown>
      for await (const _chunk of stream) {
        // drain
      }
    })
    expectSame(result, ["chat jobState", "chat token", "chat completed"])
  }, 60_000)

  it("a chat completion that calls a tool", async () => {
    const result = await both("chat-tools", async (client) => {
      await client.chat.completions.create({
        model: "qwen3.6-35b-a3b-gguf-iq4xs",
        messages: [{ role: "user", content: "Use get_weather for Paris" }],
        tools: [{
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather",
            parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
          }
        }],
        tool_choice: "auto",
        tokenType: "spark"
      })
    })
    expectSame(result, ["chat jobState", "chat completed {"])
    assert.isTrue(result.adapter.some((l) => l.startsWith("chat completed") && l.includes("tool_calls:array")), "the tool call is in the result")
  }, 60_000)

  it("a workflow's event stream", async () => {
    const result = await both("workflow", async (client, recorder) => {
      const workflow = await client.workflows.start({
        tokenType: "spark",
        confirmCost: true,
        input: {
          title: "parity",
          steps: [{ id: "keyframe", toolName: "generate_image", arguments: { prompt: "a robot pianist" } }]
        }
      })
      for await (const event of client.workflows.streamEvents(workflow.workflowId)) {
        recorder.lines.push(`workflow ${event.event} ${shapeOf(event.data)}`)
      }
    })
    expectSame(result, ["workflow"])
  }, 90_000)
})
