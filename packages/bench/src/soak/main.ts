/**
 * `pnpm soak`: reliability figures against embedded emulators and raw loopback servers (nothing leaves
 * 127.0.0.1). Not a test: it prints one table per scenario and the promises that held or did not, and
 * exits 1 when any did not. Every scenario has its own time bound and the whole run a hard one, so it
 * always ends.
 *
 *   pnpm soak [--projects 1000] [--concurrency 50] [--frames 100000] [--cuts 100] [--seed 1]
 *             [--blackhole-seconds 60] [--only projects,malformed,streams,invalid,blackhole]
 *             [--total-minutes 9.5]
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { blackholeScenario } from "./blackhole.js"
import { invalidScenario } from "./invalid.js"
import { malformedScenario } from "./malformed.js"
import { projectsScenario } from "./projects.js"
import { format, type ScenarioReport } from "./report.js"
import { streamsScenario } from "./streams.js"

const argv = process.argv.slice(2)
const flag = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const value = Number(argv[i + 1])
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} needs a non-negative number (got ${argv[i + 1]})`)
    process.exit(2)
  }
  return value
}
const only = (() => {
  const i = argv.indexOf("--only")
  return i < 0 ? undefined : new Set((argv[i + 1] ?? "").split(","))
})()

const projects = flag("projects", 1000)
const concurrency = flag("concurrency", 50)
const frames = flag("frames", 100_000)
const cuts = flag("cuts", 100)
const seed = flag("seed", 1)
const blackholeSeconds = flag("blackhole-seconds", 60)
const totalMinutes = flag("total-minutes", 9.5)

// the hard bound on the whole run: whatever hangs, the process ends and says so
const hardStop = setTimeout(() => {
  console.log(`\nsoak: the ${totalMinutes}-minute bound on the whole run was reached; stopping (scenarios still running count as hung)`)
  process.exit(1)
}, totalMinutes * 60_000)
hardStop.unref()

interface Scenario {
  readonly key: string
  readonly bound: Duration.Duration
  readonly run: Effect.Effect<ScenarioReport>
}

const scenarios: ReadonlyArray<Scenario> = [
  {
    key: "projects",
    bound: Duration.seconds(210),
    run: projectsScenario({ projects, concurrency, projectDeadline: "60 seconds", speed: 20, seed, faultEvery: "300 millis" })
  },
  {
    key: "malformed",
    bound: Duration.seconds(150),
    run: Effect.promise(() => malformedScenario({ frames, validEvery: 10, seed, timeoutMs: 140_000 }))
  },
  { key: "streams", bound: Duration.seconds(200), run: streamsScenario({ cuts, seed, speed: 20, streamTimeout: "20 seconds" }) },
  { key: "invalid", bound: Duration.seconds(60), run: invalidScenario },
  {
    key: "blackhole",
    bound: Duration.seconds(blackholeSeconds + 30),
    run: blackholeScenario({ timeout: Duration.seconds(blackholeSeconds) })
  }
]

const program = Effect.gen(function*() {
  const started = performance.now()
  let failed = 0
  for (const s of scenarios) {
    if (only !== undefined && !only.has(s.key)) continue
    const t0 = performance.now()
    const result = yield* s.run.pipe(Effect.disconnect, Effect.timeout(s.bound), Effect.either)
    const seconds = ((performance.now() - t0) / 1000).toFixed(1)
    if (result._tag === "Left") {
      failed++
      console.log(`\n== ${s.key}: did not finish within ${Duration.format(s.bound)} (counts as hung)`)
      continue
    }
    console.log(`\n${format(result.right)}\n   (${seconds} s)`)
    failed += result.right.checks.filter((c) => !c.ok).length
  }
  console.log(`\nsoak: ${failed === 0 ? "every figure held" : `${failed} figure(s) did not hold`} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  return failed
})

Effect.runPromise(program).then(
  (failed) => process.exit(failed === 0 ? 0 : 1),
  (error: unknown) => {
    console.error("soak: the runner itself failed", error)
    process.exit(1)
  }
)
