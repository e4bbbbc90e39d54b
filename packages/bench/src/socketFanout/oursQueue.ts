/**
 * Contender "ours-queue": `SogniSocket` with one `route(projectId)` per project and one consumer fiber
 * per project draining its queue (counting events, tracking the last step per job in a Map): the queue
 * and fiber wake-up per event that `routeWith` (contender "ours") avoids.
 *
 * argv: <json ContenderArgs>
 */
import { type Protocol, SogniConfig, SogniSocket } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
// loaded before the meter's baseline, as the floor loads it (see ours.ts)
import "ws"
import { makeMeter, report } from "../child.js"
import {
  type ContenderArgs,
  framesPerProject,
  projectId,
  sentinelType,
  totalFrames,
  triggerPayload,
  triggerType
} from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs

interface ProjectTally {
  readonly events: number
  readonly lastStep: ReadonlyMap<string, number>
}

/** What any project consumer does at least: count, keep the last step per job, stop at jobCompleted. */
const consume = (queue: Queue.Dequeue<Protocol.ServerEvent>): Effect.Effect<ProjectTally> =>
  Effect.gen(function*() {
    const lastStep = new Map<string, number>()
    let events = 0
    while (true) {
      const event = yield* Queue.take(queue)
      events++
      if (event.type === "jobProgress") {
        const { imgID, step } = event.payload
        if (imgID !== undefined && step !== undefined) lastStep.set(imgID, step)
      } else if (event.type === "jobState" && event.payload.type === "jobCompleted") {
        return { events, lastStep }
      }
    }
  })

const program = Effect.gen(function*() {
  const socket = yield* SogniSocket.make()
  // the service exists but has not connected yet (it connects on demand)
  const meter = makeMeter()
  yield* socket.awaitAuthenticated
  meter.start()

  const sentinel = yield* socket.subscribe([sentinelType])
  const consumers = yield* Effect.forEach(
    Array.from({ length: args.plan.projects }, (_, p) => projectId(p)),
    (id) => Effect.flatMap(socket.route(id), (queue) => Effect.fork(consume(queue)))
  )
  yield* socket.send({ type: triggerType, payload: triggerPayload })
  const tallies = yield* Fiber.join(Fiber.all(consumers))
  yield* Queue.take(sentinel)

  const events = tallies.reduce((n, t) => n + t.events, 0)
  const m = meter.stop("ours-queue", events)

  const expectedJobs = args.plan.projects * args.plan.jobsPerProject
  const finishedJobs = tallies.reduce(
    (n, t) => n + [...t.lastStep.values()].filter((s) => s === args.plan.steps).length,
    0
  )
  const short = tallies.filter((t) => t.events !== framesPerProject(args.plan)).length
  if (events !== totalFrames(args.plan) || finishedJobs !== expectedJobs || short > 0) {
    return yield* Effect.die(
      new Error(
        `ours-queue: ${events}/${totalFrames(args.plan)} events, ${finishedJobs}/${expectedJobs} jobs at the last step, ` +
          `${short} projects short`
      )
    )
  }
  report(m)
})

const layer = Layer.provideMerge(
  SogniSocket.layerCredentialsApiKey,
  SogniConfig.layer({ appId: "bench-ours-queue", socketEndpoint: args.url, apiKey: Redacted.make("bench") })
)

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer))).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
