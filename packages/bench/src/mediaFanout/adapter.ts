/**
 * Contender "adapter": `@effect-sogni/client` (the promise adapter over the Effect services), driven
 * exactly as the official contender drives `@sogni-ai/sogni-client`: `projects.create` × 200 and
 * `waitForCompletion()` on each (which resolves with the minted result URLs). The window opens once the
 * client is connected, has its models and warmed the model options, as for the official client.
 *
 * argv: <json ContenderArgs>
 */
// the package exports only its built `dist/`; the bench runs its sources (as it does media's and chat's)
import { SogniClient } from "../../../client/src/index.js"
// loaded before the meter's baseline, as the official client's static import of `ws` (through isomorphic-ws)
// loads it before its own: core imports `ws` only when the first socket opens, which would otherwise put
// the module (and the Node modules it requires: http, https, net, tls, crypto, zlib) in this contender's
// heap window and not in the official client's (the same fix as socket-fanout's contenders)
import "ws"
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
    network: "fast"
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
  const m = meter.stop("adapter", plan.projects)

  const short = urls.filter((u) => u.length !== plan.imagesPerProject || u.some((url) => !url.startsWith(args.url)))
    .length
  const badSteps = projects.filter((project) => project.jobs.some((job) => job.step !== plan.steps)).length
  await client.dispose()
  if (short > 0 || badSteps > 0) {
    throw new Error(
      `adapter: ${short} projects without ${plan.imagesPerProject} URLs, ${badSteps} with jobs short of step ${plan.steps}`
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
