/**
 * The main job: start the embedded emulator, connect, show the models and the balance, then generate
 * two images, a short video and an audio clip through the media API, each with a live progress bar,
 * save them under `./out/` and print a summary of files, sizes and cost. Then the chat part
 * (`demo-chat.ts`): a streamed answer and a turn calling a local tool and `generate_image`. Then the
 * ZelAI part (`demo-zelai.ts`): an image, its 2× upscale and a streamed chat through the same services.
 * Last, the Sage part (`demo-sage.ts`): a local model's streamed answer through the same chat service.
 *
 * Run it with `pnpm demo`. `SOGNI_DEMO_SPEED` slows the emulator down or speeds it up (default 0.15).
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { SogniAccount, SogniSocket } from "@effect-sogni/core"
import { Chat } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { Media, Models, Projects, type ProjectState, Results } from "@effect-sogni/media"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { runChatDemo } from "./demo-chat.js"
import { runSageDemo } from "./demo-sage.js"
import { runWorkflowDemo } from "./demo-workflow.js"
import { runZelaiDemo } from "./demo-zelai.js"

const speed = Number(process.env.SOGNI_DEMO_SPEED ?? "0.15")

interface Job {
  readonly label: string
  readonly params: Projects.Input
  readonly extension: string
}

const jobs: ReadonlyArray<Job> = [
  {
    label: "images",
    extension: "png",
    params: {
      type: "image",
      tokenType: "spark",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "a lighthouse on a basalt cliff at dawn, volumetric fog",
      numberOfMedia: 2,
      steps: 4,
      guidance: 1,
      seed: 1234567,
      width: 768,
      height: 512
    }
  },
  {
    label: "video",
    extension: "mp4",
    params: {
      type: "video",
      tokenType: "spark",
      network: "fast",
      modelId: "wan_v2.2-14b-fp8_t2v_lightx2v",
      positivePrompt: "ocean waves rolling in at sunset",
      numberOfMedia: 1,
      duration: 2,
      fps: 16
    }
  },
  {
    label: "audio",
    extension: "mp3",
    params: {
      type: "audio",
      tokenType: "spark",
      modelId: "ace_step_1.5_turbo",
      positivePrompt: "a calm lo-fi piano loop",
      numberOfMedia: 1,
      duration: 10,
      bpm: 90,
      outputFormat: "mp3"
    }
  }
]

// --- progress display: one line per project, redrawn in place on a terminal -------------------

const isTty = process.stdout.isTTY === true
const lines = new Map<string, string>()
const order: Array<string> = []
let drawn = 0

const bar = (percent: number) => {
  const filled = Math.round(percent / 5)
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}] ${String(percent).padStart(3)}%`
}

const show = (label: string, text: string) =>
  Effect.sync(() => {
    if (!lines.has(label)) order.push(label)
    if (lines.get(label) === text) return
    lines.set(label, text)
    if (!isTty) {
      process.stdout.write(`  ${label.padEnd(7)} ${text}\n`)
      return
    }
    if (drawn > 0) process.stdout.write(`\x1b[${drawn}A`)
    for (const l of order) process.stdout.write(`\x1b[2K  ${l.padEnd(7)} ${lines.get(l)}\n`)
    drawn = order.length
  })

const describe = (event: ProjectState.ProjectEvent, last: number): [string, number] | undefined => {
  switch (event._tag) {
    case "Queued":
      return [`${bar(last)} queued`, last]
    case "Progress":
      // on a pipe, only every quarter, so logs stay short
      return isTty || event.percent % 25 === 0 || event.percent === 100 ? [bar(event.percent), event.percent] : undefined
    case "JobRetrying":
      return [`${bar(last)} retrying on another worker`, last]
    case "Completed":
      return [`${bar(100)} done`, 100]
    case "Failed":
      return [`failed: ${event.error.message}`, last]
    case "Canceled":
      return ["canceled", last]
    default:
      return undefined
  }
}

// --- the job ------------------------------------------------------------------------------------

const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const socket = yield* SogniSocket.SogniSocket
  const account = yield* SogniAccount.SogniAccount
  const models = yield* Models.Models
  const projects = yield* Projects.Projects
  const results = yield* Results.Results

  const hello = yield* socket.awaitAuthenticated
  yield* Console.log(`connected as ${hello.username}`)
  const available = yield* models.waitForModels()
  yield* Console.log(`\nmodels online:`)
  for (const m of available) yield* Console.log(`  ${m.id.padEnd(34)} ${m.media.padEnd(6)} ${String(m.workerCount).padStart(3)} workers`)

  const before = yield* account.refreshBalance
  yield* Console.log(`\nbalance: ${before.spark.net} spark`)

  const quotes = yield* Effect.forEach(jobs, (job) => models.estimate(job.params as never))
  yield* Console.log(`estimated: ${quotes.map((q, i) => `${jobs[i]!.label} ${Number(q.spark ?? q.token).toFixed(3)}`).join(", ")} spark\n`)

  const outDir = path.resolve("out")
  yield* fs.makeDirectory(outDir, { recursive: true })

  // all three projects at once, each followed by its own event stream
  const finished = yield* Effect.forEach(
    jobs,
    (job) =>
      Effect.gen(function*() {
        let last = 0
        let done: ReadonlyArray<ProjectState.JobResult> = []
        yield* show(job.label, `${bar(0)} submitting`)
        yield* projects.events(job.params).pipe(
          Stream.runForEach((event) => {
            if (event._tag === "Completed") done = event.results
            const line = describe(event, last)
            if (line === undefined) return Effect.void
            last = line[1]
            return show(job.label, line[0])
          })
        )
        return { job, results: done }
      }),
    { concurrency: "unbounded" }
  )

  const saved: Array<{ file: string; bytes: number }> = []
  for (const { job, results: rs } of finished) {
    let n = 0
    for (const r of rs) {
      const file = path.join(outDir, `demo-${job.label}-${++n}.${r.outputFormat ?? job.extension}`)
      saved.push({ file, bytes: yield* results.save(r, file) })
    }
  }

  const after = yield* account.refreshBalance
  yield* Console.log("\nsaved:")
  for (const { bytes, file } of saved) {
    yield* Console.log(`  ${path.relative(process.cwd(), file).padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`)
  }
  const spent = Number(before.spark.net) - Number(after.spark.net)
  const estimated = quotes.reduce((sum, q) => sum + Number(q.spark ?? q.token), 0)
  yield* Console.log(`\ncost: ${spent.toFixed(3)} spark (estimated ${estimated.toFixed(3)}); balance now ${after.spark.net} spark`)
})

const main = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* Console.log(`emulator at ${emulator.url}`)
  yield* Effect.andThen(program, runChatDemo).pipe(
    Effect.provide(
      Chat.layer().pipe(Layer.provideMerge(Media.layer({
        appId: "effect-sogni-demo",
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })))
    )
  )
  yield* runWorkflowDemo
  yield* runZelaiDemo
  // the same chat service on a local model through the Sage LLM routes of the same emulator
  yield* runSageDemo(`${emulator.url}/api`)
})

main.pipe(
  Effect.provide(Layer.mergeAll(Emulator.layer({ speed }), NodeContext.layer)),
  NodeRuntime.runMain
)
