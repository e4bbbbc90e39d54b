/**
 * Contender "ours": `@effect-sogni/media`'s `Projects` service (`Media.layer`: core's socket and REST plus media), running
 * the 200 prepared requests concurrently with `projects.run`; each run folds its project's frames on the
 * socket's own turn and mints the 4 result URLs over REST. Done when every run returned 4 results with
 * URLs.
 *
 * argv: <json ContenderArgs>
 */
import { Protocol, SogniSocket } from "@effect-sogni/core"
import { Media, Projects } from "@effect-sogni/media"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { makeMeter, report } from "../child.js"
import { type ContenderArgs, promptOf } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args

const prepared = (p: number): Projects.Prepared => ({
  request: {
    jobID: Protocol.makeId(),
    numberOfImages: plan.imagesPerProject,
    previews: 0,
    outputFormat: "png",
    tokenType: "spark",
    network: "fast",
    keyFrames: [
      { modelID: plan.modelId, positivePrompt: promptOf(p), steps: plan.steps, guidanceScale: 1, seed: 1000 + p }
    ]
  },
  numberOfMedia: plan.imagesPerProject,
  steps: plan.steps,
  kind: "image",
  outputFormat: "png"
})

const program = Effect.gen(function*() {
  const projects = yield* Projects.Projects
  const socket = yield* SogniSocket.SogniSocket
  // the services exist but the socket has not connected yet (it connects on demand)
  const meter = makeMeter()
  yield* socket.awaitAuthenticated
  meter.start()

  const results = yield* Effect.forEach(
    Array.from({ length: plan.projects }, (_, p) => prepared(p)),
    (request) => projects.run(request),
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

Effect.runPromise(program.pipe(Effect.provide(layer))).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
