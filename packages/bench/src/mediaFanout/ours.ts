/**
 * Contender "ours": `@effect-sogni/media`'s `Projects` service (`Media.layer`: core's socket and REST plus media), driven
 * as the official and adapter contenders drive theirs: 200 `projects.run` calls with the same parameters as their
 * `projects.create` (each validated and built into its request by the SDK), run concurrently; each run folds its
 * project's frames on the socket's own turn and mints the 4 result URLs over REST. Done when every run returned
 * 4 results with URLs.
 *
 * The heap is watched from before the layer is built (as the others watch it from before `createInstance`), and
 * the CPU window opens once the socket is authenticated and the models are known and the model's options read
 * (as theirs opens after `waitForModels` and `getModelOptions`).
 *
 * argv: <json ContenderArgs>
 */
import { SogniSocket } from "@effect-sogni/core"
import { Media, Models, Projects } from "@effect-sogni/media"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
// loaded before the meter's baseline, as the official client's static import of `ws` (through isomorphic-ws)
// loads it before its own: core imports `ws` only when the first socket opens, which would otherwise put
// the module (and the Node modules it requires: http, https, net, tls, crypto, zlib) in this contender's
// heap window and not in the official client's (the same fix as socket-fanout's contenders)
import "ws"
import { makeMeter, report } from "../child.js"
import { type ContenderArgs, promptOf } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args

const params = (p: number): Projects.Input => ({
  type: "image",
  modelId: plan.modelId,
  positivePrompt: promptOf(p),
  numberOfMedia: plan.imagesPerProject,
  steps: plan.steps,
  guidance: 1,
  seed: 1000 + p,
  tokenType: "spark",
  network: "fast"
})

const program = (meter: ReturnType<typeof makeMeter>) => Effect.gen(function*() {
  const projects = yield* Projects.Projects
  const models = yield* Models.Models
  const socket = yield* SogniSocket.SogniSocket
  yield* socket.awaitAuthenticated
  yield* models.waitForModels()
  yield* models.options(plan.modelId)
  meter.start()

  const results = yield* Effect.forEach(
    Array.from({ length: plan.projects }, (_, p) => params(p)),
    (input) => projects.run(input),
    { concurrency: "unbounded" }
  )
  const m = meter.stop("ours", plan.projects)

  const short = results.filter((r) =>
    r.length !== plan.imagesPerProject || r.some((j) => j.url === undefined || !j.url.startsWith(args.url))
  ).length
  if (short > 0) {
    return yield* Effect.die(new Error(`ours: ${short} projects without ${plan.imagesPerProject} results with URLs`))
  }
  report(m)
})

// core (settings, REST, socket) and media (models, projects, results), as an application composes them
const layer = Media.layer({
  appId: args.appId,
  apiKey: Redacted.make(args.apiKey),
  restEndpoint: args.url,
  socketEndpoint: args.wsUrl,
  network: "fast"
})

// the meter (its baseline and heap watch) before the layer is built
Effect.runPromise(Effect.suspend(() => program(makeMeter()).pipe(Effect.provide(layer)))).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
