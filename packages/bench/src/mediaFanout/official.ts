/**
 * Contender "official": `@sogni-ai/sogni-client` 5.54.0 pointed at the emulator, creating the 200
 * projects concurrently with `projects.create` and waiting on each with `waitForCompletion()` (which
 * resolves with the result URLs the client minted over REST). Done when every project resolved 4 URLs.
 *
 * The window opens once the client is connected and has its models (`waitForModels()`), after one
 * `getModelOptions` call has warmed the model-options cache every `create` reads, so the figure is the
 * steady-state cost of the fan-out, not the catalogue download.
 *
 * argv: <json ContenderArgs>
 */
import { SogniClient } from "@sogni-ai/sogni-client"
import { makeMeter, report } from "../child.js"
import { type ContenderArgs, promptOf } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args

const main = async () => {
  const meter = makeMeter()
  const client = await SogniClient.createInstance({
    appId: args.appId,
    apiKey: args.apiKey,
    restEndpoint: args.url,
    socketEndpoint: args.wsUrl,
    network: "fast",
    logLevel: "error"
  })
  await client.projects.waitForModels()
  await client.projects.getModelOptions(plan.modelId)
  meter.start()

  const projects = await Promise.all(
    Array.from({ length: plan.projects }, (_, p) =>
      client.projects.create({
        type: "image",
        modelId: plan.modelId,
        positivePrompt: promptOf(p),
        numberOfMedia: plan.imagesPerProject,
        steps: plan.steps,
        guidance: 1,
        seed: 1000 + p,
        tokenType: "spark",
        network: "fast"
      }))
  )
  const urls = await Promise.all(projects.map((project) => project.waitForCompletion()))
  const m = meter.stop("official", plan.projects)

  const short = urls.filter((u) => u.length !== plan.imagesPerProject || u.some((url) => !url.startsWith(args.url)))
    .length
  const badSteps = projects.filter((project) => project.jobs.some((job) => job.step !== plan.steps)).length
  client.dispose()
  if (short > 0 || badSteps > 0) {
    throw new Error(
      `official: ${short} projects without ${plan.imagesPerProject} URLs, ${badSteps} with jobs short of step ${plan.steps}`
    )
  }
  report(m)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
