/**
 * The main job: start the embedded emulator, connect through core, print the model catalog and the
 * balance, run a 2-image project over core's raw socket events, and save the PNGs under `./out/`.
 *
 * Run it with `pnpm demo`. Set `SOGNI_DEMO_SPEED` to slow the emulator down (default 0.1: about a quarter
 * of a second per diffusion step, so the progress is visible).
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Protocol, Sogni, SogniAccount, SogniRest, SogniSocket } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"

const speed = Number(process.env.SOGNI_DEMO_SPEED ?? "0.1")
const prompts = "a lighthouse on a basalt cliff at dawn, volumetric fog"

const bar = (percent: number) => {
  const filled = Math.round(percent / 5)
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}] ${String(percent).padStart(3)}%`
}

/** The raw `jobRequest` for a Flux image project (the media package will build these from typed params). */
const imageRequest = (jobID: string, count: number, seed: number): Protocol.JobRequest => ({
  jobID,
  numberOfImages: count,
  previews: 0,
  outputFormat: "png",
  disableSafety: false,
  tokenType: "spark",
  keyFrames: [{
    modelID: "flux1-schnell-fp8",
    positivePrompt: prompts,
    negativePrompt: "",
    stylePrompt: "",
    steps: 4,
    guidanceScale: 1,
    seed,
    sizePreset: "custom",
    width: 768,
    height: 512
  }]
})

const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const socket = yield* SogniSocket.SogniSocket
  const rest = yield* SogniRest.SogniRest
  const account = yield* SogniAccount.SogniAccount

  const hello = yield* socket.awaitAuthenticated
  yield* Console.log(`connected as ${hello.username} (${hello.address})`)

  const models = yield* rest.get("socket", "/api/v1/models/list", Protocol.ModelList)
  yield* Console.log(`\nmodels (${models.length}):`)
  for (const m of models) yield* Console.log(`  ${m.id.padEnd(36)} ${m.media.padEnd(6)} ${m.name}`)

  const before = yield* account.refreshBalance
  yield* Console.log(`\nbalance: spark ${before.spark.net}, sogni ${before.sogni.net}`)

  // one project, two images, followed over the project's route
  const jobID = Protocol.makeId()
  const urls = yield* Effect.scoped(
    Effect.gen(function*() {
      const events = yield* socket.route(jobID)
      yield* socket.send({ type: "jobRequest", payload: imageRequest(jobID, 2, 1234567) })
      yield* Console.log(`\nproject ${jobID}: 2 images`)
      const progress = new Map<string, number>()
      const results: Array<{ imgID: string }> = []
      const isTty = process.stdout.isTTY === true
      let lastLine = ""
      while (true) {
        const event = yield* Queue.take(events)
        if (event.type === "jobProgress" && event.payload.imgID !== undefined) {
          const { imgID, step = 0, stepCount = 1 } = event.payload
          progress.set(imgID, Math.round((step / Math.max(1, stepCount)) * 100))
        } else if (event.type === "jobResult") {
          progress.set(event.payload.imgID, 100)
          results.push({ imgID: event.payload.imgID })
        } else if (event.type === "jobState" && event.payload.type === "queued") {
          yield* Console.log(`  queued (position ${event.payload.queuePosition ?? "?"})`)
        } else if (event.type === "jobError") {
          return yield* Effect.fail(new Error(`job failed: ${event.payload.error_message ?? event.payload.error}`))
        } else if (event.type === "jobState" && event.payload.type === "jobCompleted") {
          break
        }
        const overall = Math.round([...progress.values()].reduce((a, b) => a + b, 0) / 2)
        const line = `  ${bar(overall)}`
        if (line !== lastLine) {
          if (isTty) process.stdout.write(`\r${line}`)
          else yield* Console.log(line)
          lastLine = line
        }
      }
      if (isTty) process.stdout.write("\n")
      return yield* Effect.forEach(results, ({ imgID }) =>
        rest.get("rest", "/v1/image/downloadUrl", Protocol.DownloadUrl, {
          query: { jobId: jobID, imageId: imgID, type: "complete", contentType: "image/png" }
        }).pipe(Effect.map((r) => ({ imgID, url: r.downloadUrl }))))
    })
  )

  const outDir = path.resolve("out")
  yield* fs.makeDirectory(outDir, { recursive: true })
  yield* Console.log("\nresults:")
  let index = 0
  for (const { url } of urls) {
    const bytes = yield* rest.getBytes(url)
    const file = path.join(outDir, `demo-image-${++index}.png`)
    yield* fs.writeFile(file, bytes)
    yield* Console.log(`  ${file}  ${(bytes.length / 1024).toFixed(1)} KiB`)
  }

  const after = yield* account.refreshBalance
  const spent = Number(before.spark.net) - Number(after.spark.net)
  yield* Console.log(`\nbalance: spark ${after.spark.net} (spent ${spent.toFixed(4)})`)
})

const main = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* Console.log(`emulator at ${emulator.url}`)
  yield* program.pipe(
    Effect.provide(Sogni.layer({
      appId: "effect-sogni-demo",
      apiKey: Redacted.make(emulator.apiKey),
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl
    }))
  )
})

main.pipe(
  Effect.provide(Layer.mergeAll(Emulator.layer({ speed }), NodeContext.layer)),
  NodeRuntime.runMain
)
