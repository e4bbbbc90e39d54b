/**
 * The parent-side harness shared by every benchmark module: the module shape `main.ts` runs, child
 * process spawning (one contender per process, so CPU and heap figures belong to it alone), and
 * small statistics / formatting helpers.
 */
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { type Measurement, REPORT_PREFIX } from "./child.js"

/**
 * One benchmark. `run` prints whatever human-readable table it likes and resolves with its
 * `RESULT <name> ...` lines, which `main.ts` repeats together at the end of the run.
 */
export interface Benchmark {
  readonly name: string
  readonly description: string
  readonly run: () => Promise<ReadonlyArray<string>>
}

/** The repository root (where `tsx` is installed): children start there, and resolve `--import tsx` from it with `BENCH_TSX=1`. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

/**
 * The V8 young-generation settings every child runs with, chosen once per `pnpm bench`.
 *
 * V8 sizes the young generation per process: it grows while much survives (loading Effect or the
 * official client) and does not shrink back while the process is busy, so a plain-`ws` floor keeps
 * a 1–3 MB semi-space while the other contenders open their window with a 16 MB one, and the sampled
 * heap peak (which includes the garbage between two scavenges) differs by about that much for
 * reasons that have nothing to do with retention. Fixing `--min-semi-space-size` and
 * `--max-semi-space-size` to the same N for every child gives every contender the same garbage
 * allowance. `BENCH_SEMI_SPACE_MB=<N>` (default 16, what the larger processes reach on their own)
 * picks N; `BENCH_SEMI_SPACE_MB=off` leaves V8's per-process sizing alone.
 */
export const youngGeneration: { readonly flags: ReadonlyArray<string>; readonly label: string } = (() => {
  const raw = (process.env.BENCH_SEMI_SPACE_MB ?? "16").trim()
  if (raw === "off") {
    return { flags: [], label: "V8's default young generation, sized per process (BENCH_SEMI_SPACE_MB=off)" }
  }
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new Error(`BENCH_SEMI_SPACE_MB: expected an integer number of MB in 1..1024 or "off", got ${JSON.stringify(raw)}`)
  }
  const flags = [`--min-semi-space-size=${n}`, `--max-semi-space-size=${n}`]
  return { flags, label: `every contender runs with ${flags.join(" ")}` }
})()

/**
 * `BENCH_NODE_FLAGS="<flags>"`: extra Node / V8 flags for every child (split on spaces), for diagnosis
 * (`--trace-pretenuring`, `--no-allocation-site-pretenuring`, ...); unset in a measured run.
 */
const extraNodeFlags: ReadonlyArray<string> = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter((f) => f.length > 0)

/**
 * How a contender's TypeScript becomes the JavaScript its child runs. By default each contender script is
 * bundled once per `pnpm bench` with esbuild (ESM for Node 20, not minified, no `keepNames`) into
 * `packages/bench/.build/`, and the child runs the bundle with plain `node`: every contender (the SDK, the
 * adapter, the official client, the floors) then runs as the plain JavaScript a user's build gives it.
 * Running through tsx instead wraps every named inner function in a `__name(...)` call (esbuild's
 * `keepNames`), which costs the SDK's closure-heavy code CPU and heap inside the measured window that
 * the official client's shipped JavaScript does not pay. `BENCH_TSX=1` runs the sources through tsx as
 * before (for a profile with source line numbers).
 */
const viaTsx = process.env.BENCH_TSX === "1"
const bundles = new Map<string, Promise<string>>()
const built: Array<string> = []
const removeBundles = () => {
  for (const file of built) rmSync(file, { force: true })
}

const bundleOf = (script: URL): Promise<string> => {
  const source = fileURLToPath(script)
  let pending = bundles.get(source)
  if (pending === undefined) {
    const name = source.slice(repoRoot.length).replace(/[^A-Za-z0-9]+/g, "-").replace(/-ts$/, "")
    const tag = createHash("sha1").update(`${source}:${process.pid}`).digest("hex").slice(0, 8)
    const outfile = fileURLToPath(new URL(`../.build/${name}-${tag}.mjs`, import.meta.url))
    pending = build({
      entryPoints: [source],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "warning",
      // ws's optional native helpers: required inside try/catch, absent here
      external: ["bufferutil", "utf-8-validate"],
      // CommonJS dependencies bundled into ESM still call `require` for Node built-ins
      banner: { js: "import{createRequire as __bench_cr}from'node:module';const require=__bench_cr(import.meta.url);" }
    }).then(() => {
      // this run's bundles go when the run ends (the name carries the pid: runs side by side keep apart)
      if (bundles.size === 1) process.once("exit", () => removeBundles())
      built.push(outfile)
      return outfile
    })
    bundles.set(source, pending)
  }
  return pending
}

/**
 * Runs `script` (a TypeScript file, bundled by {@link bundleOf}, or through tsx with `BENCH_TSX=1`) in a
 * fresh `node --expose-gc` process with the
 * {@link youngGeneration} flags and returns the measurement it reported. Its stderr is passed
 * through; a non-zero exit, a missing report or `timeoutMs` elapsing rejects.
 */
export const runChild = (
  script: URL,
  args: ReadonlyArray<string>,
  options: { readonly timeoutMs?: number } = {}
): Promise<Measurement> =>
  (viaTsx ? Promise.resolve(fileURLToPath(script)) : bundleOf(script)).then((entry) => spawnChild(script, entry, args, options))

const spawnChild = (
  script: URL,
  entry: string,
  args: ReadonlyArray<string>,
  options: { readonly timeoutMs?: number }
): Promise<Measurement> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(viaTsx ? ["--import", "tsx"] : []), "--expose-gc", ...youngGeneration.flags, ...extraNodeFlags, entry, ...args],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } }
    )
    let stdout = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk
    })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${fileURLToPath(script)} ${args.join(" ")}: timed out after ${options.timeoutMs} ms`))
    }, options.timeoutMs ?? 60_000)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").reverse().find((l) => l.startsWith(REPORT_PREFIX))
      if (code !== 0 || line === undefined) {
        return reject(
          new Error(
            `${fileURLToPath(script)} ${args.join(" ")} exited with ${code ?? signal}` +
              (line === undefined ? " without a report" : "") +
              `\n${stdout.slice(-2000)}`
          )
        )
      }
      resolve(JSON.parse(line.slice(REPORT_PREFIX.length)) as Measurement)
    })
  })

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** `12 Scavenge, 1 MarkSweepCompact`-style counts of the collections a child reported. */
export const gcSummary = (gcs: Readonly<Record<string, number>>): string =>
  Object.entries(gcs).map(([type, n]) => `${n} ${type}`).join(", ") || "none"

/** The legend printed under every table that has both heap figures. */
export const heapLegend = (): string =>
  `heap = peak heapUsed − post-GC baseline (V8's figure right before each GC, or a 10 ms sample if larger; ` +
  `includes young-generation garbage;\n  "sampled" = the 10 ms samples alone); ` +
  `retained = peak heapUsed right after a GC − baseline\n  (live objects plus promoted garbage awaiting a ` +
  `mark-compact); end = heapUsed after a full GC once the window closed − baseline.\n  V8 young generation: ${youngGeneration.label}.`

export const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1)

/** A plain left/right-aligned text table. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** One contender's measurements reduced to medians (and the CPU spread), with the source's CPU. */
export interface Summary {
  readonly cpuMs: number
  readonly cpuMin: number
  readonly cpuMax: number
  readonly heapBytes: number
  readonly sampledHeapBytes: number
  readonly retainedBytes: number
  readonly endBytes: number
  readonly baselineBytes: number
  readonly wallMs: number
  readonly serverMs: number
}

/** Medians over a contender's runs; `serverCpuMs` is what the shared source spent during each run. */
export const summarize = (runs: ReadonlyArray<Measurement>, serverCpuMs: ReadonlyArray<number>): Summary => ({
  cpuMs: median(runs.map((r) => r.cpuMs)),
  cpuMin: Math.min(...runs.map((r) => r.cpuMs)),
  cpuMax: Math.max(...runs.map((r) => r.cpuMs)),
  heapBytes: median(runs.map((r) => r.heapBytes)),
  sampledHeapBytes: median(runs.map((r) => r.sampledHeapBytes)),
  retainedBytes: median(runs.map((r) => r.retainedBytes)),
  endBytes: median(runs.map((r) => r.endBytes)),
  baselineBytes: median(runs.map((r) => r.baselineHeapBytes)),
  wallMs: median(runs.map((r) => r.wallMs)),
  serverMs: median(serverCpuMs)
})

/** A table row for `s`, with CPU, heap and retained ratios against `floor`. */
export const summaryRow = (label: string, s: Summary, floor: Summary): ReadonlyArray<string> => [
  label,
  s.cpuMs.toFixed(0),
  `${s.cpuMin.toFixed(0)}–${s.cpuMax.toFixed(0)}`,
  (s.cpuMs / floor.cpuMs).toFixed(2),
  mb(s.heapBytes),
  (s.heapBytes / floor.heapBytes).toFixed(2),
  mb(s.retainedBytes),
  (s.retainedBytes / floor.retainedBytes).toFixed(2),
  mb(s.endBytes),
  mb(s.baselineBytes),
  s.wallMs.toFixed(0),
  s.serverMs.toFixed(0)
]

/** The progress line printed after each contender run of an emulator-backed benchmark. */
export const runLine = (i: number, repetitions: number, contender: string, m: Measurement, serverCpuMs: number): string =>
  `  [${i + 1}/${repetitions}] ${contender.padEnd(8)} cpu ${m.cpuMs.toFixed(0).padStart(5)} ms  ` +
  `heap ${mb(m.heapBytes).padStart(6)} MB (sampled ${mb(m.sampledHeapBytes).padStart(5)})  retained ${mb(m.retainedBytes).padStart(6)} MB  ` +
  `end ${mb(m.endBytes).padStart(5)} MB  ` +
  `gc ${gcSummary(m.gcs)}  wall ${m.wallMs.toFixed(0).padStart(6)} ms  ` +
  `loop busy ${(m.busy * 100).toFixed(0).padStart(3)}%  ` +
  `(emulator cpu ${serverCpuMs.toFixed(0)} ms)`
