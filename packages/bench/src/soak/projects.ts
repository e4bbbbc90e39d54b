/**
 * Image projects under faults, through the Effect API (`@effect-sogni/media` Projects) and through the
 * promise adapter (`@effect-sogni/client`), against one embedded emulator each.
 *
 * While the projects run, a fault loop keeps hitting the emulator through its control API: abnormal
 * socket drops, frame delays, duplicated frames and 5xx/429 REST answers. Prompts carry `[[retry]]`,
 * `[[drop]]` or `[[fail]]` directives at random. Every project gets a deadline; past it, it counts as
 * hung (and is abandoned, not awaited).
 */
import { Media, Projects } from "@effect-sogni/media"
import { Emulator } from "@effect-sogni/emulator"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
// the adapter from source, so the figures are those of the code in this checkout (not a stale build)
import { SogniClient } from "../../../client/src/index.js"
import { type Check, equal, makeRandom, type Row, type ScenarioReport, secondsSince, zero } from "./report.js"

export interface ProjectsOptions {
  readonly projects: number
  readonly concurrency: number
  /** Deadline of one project; past it the project counts as hung. */
  readonly projectDeadline: Duration.DurationInput
  readonly speed: number
  readonly seed: number
  /** Mean pause between two injected faults. */
  readonly faultEvery: Duration.DurationInput
}

type Directive = "none" | "retry" | "drop" | "fail"

type Outcome = "ok" | "expectedFailure" | "lost" | "duplicated" | "hung" | "unexpectedSuccess"

interface Tally {
  readonly outcomes: Record<Outcome, number>
  readonly errors: Map<string, number>
  readonly directives: Record<Directive, number>
  readonly faults: Map<string, number>
}

const emptyTally = (): Tally => ({
  outcomes: { ok: 0, expectedFailure: 0, lost: 0, duplicated: 0, hung: 0, unexpectedSuccess: 0 },
  errors: new Map(),
  directives: { none: 0, retry: 0, drop: 0, fail: 0 },
  faults: new Map()
})

/** Counts `key`, with ids replaced so one kind of error is one line. */
const bump = (m: Map<string, number>, key: string) => {
  const general = key.replace(/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g, "<id>")
  m.set(general, (m.get(general) ?? 0) + 1)
}

const IMAGES = 2
const MODEL = "flux1-schnell-fp8"

const directiveOf = (random: () => number): Directive => {
  const r = random()
  return r < 0.05 ? "fail" : r < 0.1 ? "drop" : r < 0.2 ? "retry" : "none"
}

const promptOf = (i: number, d: Directive) => `${d === "none" ? "" : `[[${d}]] `}a lighthouse at dawn, take ${i}`

/** Classifies a finished run from the URLs/job ids it returned. */
const classify = (d: Directive, ids: ReadonlyArray<string>): Outcome => {
  if (d === "fail") return "unexpectedSuccess"
  if (new Set(ids).size !== ids.length || ids.length > IMAGES) return "duplicated"
  return ids.length === IMAGES ? "ok" : "lost"
}

/** The fault loop: runs until interrupted. */
const faultLoop = (control: Emulator.Service["control"], random: () => number, every: Duration.Duration, tally: Tally) =>
  Effect.forever(
    Effect.gen(function*() {
      yield* Effect.sleep(Duration.millis(Math.round(Duration.toMillis(every) * (0.5 + random()))))
      const r = random()
      if (r < 0.2) {
        bump(tally.faults, "socket drop (abnormal)")
        yield* control.dropConnection({ abnormal: true })
      } else if (r < 0.4) {
        bump(tally.faults, "frame delay 0-60 ms")
        yield* control.delayFrames(Math.round(random() * 60))
      } else if (r < 0.6) {
        bump(tally.faults, "duplicated frames (10)")
        yield* control.duplicateFrames(10)
      } else if (r < 0.8) {
        bump(tally.faults, "REST 503 x2")
        yield* control.failRest({ count: 2, status: 503, retryAfterSeconds: 0 })
      } else {
        bump(tally.faults, "REST 429 x2")
        yield* control.failRest({ count: 2, status: 429, retryAfterSeconds: 0 })
      }
    })
  )

const rowsOf = (label: string, tally: Tally, total: number, wall: string): Row => [
  label,
  total,
  tally.outcomes.ok,
  tally.outcomes.expectedFailure,
  tally.outcomes.lost,
  tally.outcomes.duplicated,
  tally.outcomes.hung,
  tally.outcomes.unexpectedSuccess,
  wall
]

const checksOf = (label: string, tally: Tally, total: number): ReadonlyArray<Check> => [
  zero(`${label}: lost`, tally.outcomes.lost),
  zero(`${label}: duplicated`, tally.outcomes.duplicated),
  zero(`${label}: hung`, tally.outcomes.hung),
  equal(`${label}: [[fail]] projects failed`, tally.outcomes.expectedFailure, tally.directives.fail),
  equal(
    `${label}: every project accounted for`,
    Object.values(tally.outcomes).reduce((a, b) => a + b, 0),
    total
  )
]

/** The Effect API run. */
const viaEffect = (emulator: Emulator.Service, options: ProjectsOptions, tally: Tally) =>
  Effect.gen(function*() {
    const random = makeRandom(options.seed)
    const deadline = Duration.decode(options.projectDeadline)
    const projects = yield* Projects.Projects
    yield* Effect.forEach(
      Array.from({ length: options.projects }, (_, i) => i),
      (i) => {
        const d = directiveOf(random)
        tally.directives[d]++
        return projects.run({
          type: "image",
          modelId: MODEL,
          positivePrompt: promptOf(i, d),
          steps: 2,
          guidance: 1,
          numberOfMedia: IMAGES,
          tokenType: "spark",
          network: "fast"
        }).pipe(
          // disconnected: a project whose interruption never returns is abandoned, not awaited
          Effect.disconnect,
          Effect.timeout(deadline),
          Effect.exit,
          Effect.map((exit) => {
            if (Exit.isSuccess(exit)) {
              tally.outcomes[classify(d, exit.value.map((j) => `${j.jobIndex}`))]++
              return
            }
            const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
            if (error !== undefined && error._tag === "TimeoutException") {
              tally.outcomes.hung++
              return
            }
            const tag = error === undefined ? `defect/interrupt` : error._tag
            if (d === "fail") tally.outcomes.expectedFailure++
            else {
              tally.outcomes.lost++
              bump(tally.errors, `${tag}: ${String((error as { message?: unknown } | undefined)?.message ?? "").slice(0, 90)}`)
            }
          })
        )
      },
      { concurrency: options.concurrency, discard: true }
    )
  }).pipe(
    Effect.provide(Media.layer({
      appId: "soak-effect",
      apiKey: Redacted.make(emulator.apiKey),
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl,
      network: "fast",
      reconnectBase: "50 millis",
      reconnectCap: "500 millis",
      restRetryBase: "20 millis",
      restRetryCap: "200 millis"
    }))
  )

/** The adapter run: plain promises, as an application would write it. */
const viaAdapter = (emulator: Emulator.Service, options: ProjectsOptions, tally: Tally) =>
  Effect.promise(async () => {
    const random = makeRandom(options.seed + 1)
    const deadlineMs = Duration.toMillis(Duration.decode(options.projectDeadline))
    const sogni = await SogniClient.createInstance({
      appId: "soak-adapter",
      network: "fast",
      logLevel: "error",
      apiKey: emulator.apiKey,
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl
    })
    const one = async (i: number) => {
      const d = directiveOf(random)
      tally.directives[d]++
      let timer: ReturnType<typeof setTimeout> | undefined
      const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), deadlineMs)))
      const work = (async () => {
        const project = await sogni.projects.create({
          type: "image",
          modelId: MODEL,
          positivePrompt: promptOf(i, d),
          steps: 2,
          guidance: 1,
          numberOfMedia: IMAGES,
          tokenType: "spark",
          network: "fast"
        })
        return await project.waitForCompletion()
      })().then(
        (urls): Outcome => classify(d, [...urls]),
        (error: unknown): Outcome => {
          if (d === "fail") return "expectedFailure"
          const e = error as { name?: string; message?: string }
          bump(tally.errors, `${e?.name ?? "Error"}: ${String(e?.message ?? error).slice(0, 90)}`)
          return "lost"
        }
      )
      const outcome = await Promise.race([work, hung])
      clearTimeout(timer)
      tally.outcomes[outcome]++
    }
    let next = 0
    const worker = async () => {
      while (next < options.projects) await one(next++)
    }
    try {
      await Promise.all(Array.from({ length: options.concurrency }, worker))
    } finally {
      // a hung project must not hang the soak: dispose is bounded too
      await Promise.race([sogni.dispose(), new Promise((r) => setTimeout(r, 10_000))])
    }
  })

const withFaults = <A, E, R>(emulator: Emulator.Service, options: ProjectsOptions, tally: Tally, run: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const faults = yield* Effect.fork(faultLoop(emulator.control, makeRandom(options.seed + 7), Duration.decode(options.faultEvery), tally))
    const result = yield* run
    yield* Fiber.interrupt(faults)
    yield* emulator.control.clearFaults
    return result
  })

/** Runs both halves and reports them as one table. */
export const projectsScenario = (options: ProjectsOptions): Effect.Effect<ScenarioReport> =>
  Effect.gen(function*() {
    const rows: Array<Row> = []
    const checks: Array<Check> = []
    const notes: Array<string> = []
    for (const [label, run] of [["Effect API (media Projects)", viaEffect], ["adapter (@effect-sogni/client)", viaAdapter]] as const) {
      const tally = emptyTally()
      const start = performance.now()
      yield* Effect.scoped(
        Effect.gen(function*() {
          const emulator = yield* Emulator.make({ port: 0, speed: options.speed })
          yield* withFaults(emulator, options, tally, run(emulator, options, tally))
        })
      )
      rows.push(rowsOf(label, tally, options.projects, secondsSince(start)))
      checks.push(...checksOf(label, tally, options.projects))
      notes.push(
        `${label}: directives ${JSON.stringify(tally.directives)}; faults ${JSON.stringify(Object.fromEntries(tally.faults))}`
      )
      for (const [error, n] of [...tally.errors].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
        notes.push(`${label}: lost ×${n} ${error}`)
      }
    }
    return {
      title: `image projects under faults (${options.projects} per API, ${IMAGES} images each, concurrency ${options.concurrency}, deadline ${Duration.format(Duration.decode(options.projectDeadline))})`,
      header: ["API", "projects", "ok", "expected fail", "lost", "duplicated", "hung", "[[fail]] ok", "wall s"],
      rows,
      checks,
      notes
    }
  })
