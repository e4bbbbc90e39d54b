/**
 * `pnpm bench`: runs every benchmark module in order, then repeats their `RESULT` lines together.
 *
 * Select some with arguments or `BENCH_ONLY` (comma-separated names), e.g.
 * `pnpm bench socket-fanout`. `BENCH_REPS` overrides the repetitions per contender.
 *
 * To add a benchmark: write `src/benchmarks/<name>.ts` exporting a {@link Benchmark} and list it below.
 */
import { type Benchmark, youngGeneration } from "./Benchmark.js"
import { chatStream } from "./benchmarks/chatStream.js"
import { mediaFanout } from "./benchmarks/mediaFanout.js"
import { socketFanout } from "./benchmarks/socketFanout.js"
import { startup } from "./benchmarks/startup.js"

const benchmarks: ReadonlyArray<Benchmark> = [
  socketFanout,
  mediaFanout,
  chatStream,
  startup
]

const only = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? "").split(",")]
  .map((s) => s.trim())
  .filter((s) => s.length > 0)
const selected = only.length === 0 ? benchmarks : benchmarks.filter((b) => only.includes(b.name))
if (selected.length === 0) {
  console.error(`no benchmark named ${only.join(", ")}; have: ${benchmarks.map((b) => b.name).join(", ")}`)
  process.exit(2)
}

console.log(`V8 young generation: ${youngGeneration.label}`)
const results: Array<string> = []
let failed = false
const started = performance.now()
for (const b of selected) {
  console.log(`\n== ${b.name}: ${b.description}`)
  try {
    results.push(...(await b.run()))
  } catch (error) {
    failed = true
    console.error(`${b.name} failed:`, error)
  }
}
console.log(`\n== results (${((performance.now() - started) / 1000).toFixed(1)} s; ${youngGeneration.label})`)
for (const line of results) console.log(line)
if (failed) process.exitCode = 1
