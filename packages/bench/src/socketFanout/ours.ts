/**
 * Contender "ours": `SogniSocket` with one synchronous `routeWith(projectId, onEvent)` per project (the
 * way the media package consumes project frames): each event is folded on the socket's own turn by a
 * plain reducer (count events, keep the last step per job in a Map) and a per-project Deferred
 * completes at `jobCompleted`. No queue and no fiber wake-up per event.
 *
 * argv: <json ContenderArgs>
 */
import { SogniConfig, SogniSocket } from "@effect-sogni/core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
// loaded before the meter's baseline, as the floor's static import loads it before its own: core imports
// `ws` only when the first socket opens, which would otherwise put the module (and the Node modules it
// requires) in this contender's retained and end figures and not in the floor's
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
  events: number
  readonly lastStep: Map<string, number>
  readonly done: Deferred.Deferred<void>
}

const program = Effect.gen(function*() {
  const socket = yield* SogniSocket.make()
  // the service exists but has not connected yet (it connects on demand)
  const meter = makeMeter()
  yield* socket.awaitAuthenticated
  meter.start()

  const sentinel = yield* socket.subscribe([sentinelType])
  const tallies = yield* Effect.forEach(
    Array.from({ length: args.plan.projects }, (_, p) => projectId(p)),
    (id) =>
      Effect.gen(function*() {
        const tally: ProjectTally = { events: 0, lastStep: new Map(), done: yield* Deferred.make<void>() }
        yield* socket.routeWith(id, (event) => {
          tally.events++
          if (event.type === "jobProgress") {
            const { imgID, step } = event.payload
            if (imgID !== undefined && step !== undefined) tally.lastStep.set(imgID, step)
          } else if (event.type === "jobState" && event.payload.type === "jobCompleted") {
            Deferred.unsafeDone(tally.done, Exit.void)
          }
        })
        return tally
      })
  )
  yield* socket.send({ type: triggerType, payload: triggerPayload })
  yield* Effect.forEach(tallies, (t) => Deferred.await(t.done), { discard: true })
  yield* Queue.take(sentinel)

  const events = tallies.reduce((n, t) => n + t.events, 0)
  const m = meter.stop("ours", events)

  const expectedJobs = args.plan.projects * args.plan.jobsPerProject
  const finishedJobs = tallies.reduce(
    (n, t) => n + [...t.lastStep.values()].filter((s) => s === args.plan.steps).length,
    0
  )
  const short = tallies.filter((t) => t.events !== framesPerProject(args.plan)).length
  if (events !== totalFrames(args.plan) || finishedJobs !== expectedJobs || short > 0) {
    return yield* Effect.die(
      new Error(
        `ours: ${events}/${totalFrames(args.plan)} events, ${finishedJobs}/${expectedJobs} jobs at the last step, ` +
          `${short} projects short`
      )
    )
  }
  report(m)
})

const layer = Layer.provideMerge(
  SogniSocket.layerCredentialsApiKey,
  SogniConfig.layer({ appId: "bench-ours", socketEndpoint: args.url, apiKey: Redacted.make("bench") })
)

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer))).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
