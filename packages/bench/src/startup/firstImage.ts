/**
 * The cold first image: a fresh `node` process imports a minimal image program (`programs/*.ts`, bundled
 * or installed) and runs its `main` (connect, one image project, its URLs) against an emulator in the
 * parent process. The cold import alone (`benchmarks/startup.ts`'s `coldImport`) rewards moving work from
 * the import to the first call; a user waits from `node program.js` to the first image, which this
 * measures, split at the import's end:
 *
 * - wall ms since process start (Node's `performance.now()` origin) at the import's end and at `main`'s
 *   resolved URLs;
 * - the child's own CPU (user + system, `process.cpuUsage()`) at both points;
 * - the child's peak RSS over its life: `VmHWM` of `/proc/self/status` (the high-water mark of the memory
 *   the process has had since its `exec`), where there is one. Not `process.resourceUsage().maxRSS`: on
 *   Linux a child's `ru_maxrss` keeps the high-water mark of the memory it had between `fork` and `exec`,
 *   a copy of its parent's, so every child of a bench process holding 100 MB read 100 MB (found
 *   2026-12-06: all three programs read 103.0 MB in a full `pnpm bench`). `maxRSS` is the fallback where
 *   there is no `/proc` (it is then a ceiling, not the child's own peak).
 *
 * The server is `@effect-sogni/emulator` on loopback in the parent (`startFirstImageServer`) at a speed
 * under which every simulated delay rounds to 0 ms (`speed`), so an image project completes as fast as
 * the emulator computes it: the figure is the client's cost, not the emulator's pacing. The emulator's
 * own CPU runs in the parent, outside the child's CPU figure; its time is inside the child's wall.
 *
 * The floor program (`programs/floor.ts`) is no image program (one REST read and a socket opened, no
 * project), so it has no first image.
 *
 * Every run checks its result in the child (a non-empty array of `http(s)` URLs, else it exits non-zero)
 * and its exit in the parent: a failed run rejects with the program's name and the child's stderr, never
 * a figure of zero. `sameUrlCount` checks that the programs returned as many URLs as each other.
 */
import { spawn } from "node:child_process"
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { Program } from "./bundle.js"
import type { ProgramOptions } from "./programs/options.js"

/** The image programs: every program but the floor, which creates no project. */
export const imagePrograms = ["official", "effect", "adapter"] as const satisfies ReadonlyArray<Program>
export type ImageProgram = typeof imagePrograms[number]

/** One first-image run's figures. */
export interface FirstImage {
  /** Wall ms since process start when the program's import resolved. */
  readonly importMs: number
  /** The child's CPU ms (user + system) when the import resolved. */
  readonly importCpuMs: number
  /** Wall ms since process start when `main` resolved with its URLs. */
  readonly wallMs: number
  /** The child's CPU ms (user + system) when `main` resolved. */
  readonly cpuMs: number
  /** The child's peak resident set over its life, in bytes. */
  readonly peakRssBytes: number
  /** The URLs `main` returned. */
  readonly urls: ReadonlyArray<string>
}

/**
 * Emulator speed of the runs: every simulated delay (queue 40 ms, initiate 30 ms, 25 ms a step at speed 1)
 * is divided by it and rounded, so at 10⁶ each is 0 ms and the project advances as fast as the emulator's
 * fibers run.
 */
export const speed = 1e6

/** The emulator the first-image runs connect to, and the options of run `run` of a program. */
export interface FirstImageServer {
  readonly url: string
  /**
   * The program's options for one run: the emulator's endpoints and API key, an app id of its own (`tag`
   * tells apart series that reuse run numbers, e.g. bundled and installed).
   */
  readonly options: (program: ImageProgram, run: number, tag?: string) => ProgramOptions
  readonly close: () => Promise<void>
}

/**
 * Starts the emulator on a free loopback port at {@link speed}, with an account rich enough for any
 * number of runs (each image project costs Spark).
 */
export const startFirstImageServer = async (): Promise<FirstImageServer> => {
  const scope = Effect.runSync(Scope.make())
  const emulator = await Effect.runPromise(
    Emulator.make({
      port: 0,
      speed,
      accounts: [{ username: Emulator.DEFAULT_USERNAME, password: Emulator.DEFAULT_PASSWORD, spark: 1e12, sogni: 1e12 }]
    }).pipe(Scope.extend(scope))
  )
  return {
    url: emulator.url,
    options: (program, run, tag = "bundled") => ({
      appId: `startup-first-image-${tag}-${program}-${run}`,
      apiKey: emulator.apiKey,
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl
    }),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/**
 * The child's script for run `run`: `process.stdout` opened first and the trailing comment growing by 24
 * characters a run, as the cold import's script (`benchmarks/startup.ts`'s `importer`, which says why),
 * then the import, `main` with the options of argv[2], the figures, and the check of the URLs (after the
 * figures, outside them). It exits as soon as its report is written: a client's sockets closing after
 * `main` resolved are not waited for.
 */
const script = (run: number): string => `
const out = process.stdout
const { pathToFileURL } = await import("node:url")
const program = await import(pathToFileURL(process.argv[1]).href)
const importMs = performance.now()
const importCpu = process.cpuUsage()
const urls = await program.main(JSON.parse(process.argv[2]))
const wallMs = performance.now()
const cpu = process.cpuUsage()
const status = await import("node:fs").then((fs) => fs.readFileSync("/proc/self/status", "utf8"), () => "")
const hwm = /^VmHWM:\\s*(\\d+) kB$/m.exec(status)
const peakRssBytes = (hwm === null ? process.resourceUsage().maxRSS : Number(hwm[1])) * 1024
if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === "string" && /^https?:\\/\\//.test(u))) {
  process.stderr.write("main resolved with no image URLs: " + JSON.stringify(urls) + "\\n")
  process.exit(1)
}
const ms = (c) => (c.user + c.system) / 1000
out.write(JSON.stringify({ importMs, importCpuMs: ms(importCpu), wallMs, cpuMs: ms(cpu), peakRssBytes, urls }), () => process.exit(0))
// layout ${"-".repeat(24 * run)}
`

/**
 * The end of a failed child's stderr for the error message: its last 40 lines, each cut at 400 characters
 * (a stack trace through a minified bundle prints the bundle's line, which can be most of the bundle).
 */
const stderrTail = (err: string): string =>
  err.trim().split("\n").slice(-40).map((line) => line.length > 400 ? `${line.slice(0, 400)}…` : line).join("\n")

/** How long one run may take before it is killed and reported as failed. */
const timeoutMs = 60_000

/**
 * Run `run` of `program`: a fresh `node` (the cold import's flags) importing `file` and running its `main`
 * with `options`. Rejects, naming the program, with the child's stderr when it exits non-zero (`main`
 * rejected, or resolved without URLs), prints no report, or outlives {@link timeoutMs}.
 */
export const firstImage = (program: ImageProgram, file: string, run: number, options: ProgramOptions): Promise<FirstImage> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script(run), file, JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      out += chunk
    })
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      err += chunk
    })
    const failed = (why: string) =>
      new Error(`first image of ${program} (${file}) ${why}${err.trim().length > 0 ? `; its stderr:\n${stderrTail(err)}` : ""}`)
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(failed(`timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(failed(`could not start: ${error.message}`))
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(failed(`exited with ${code ?? signal}`))
      try {
        resolve(JSON.parse(out) as FirstImage)
      } catch {
        reject(failed(`printed no report: ${JSON.stringify(out.slice(0, 200))}`))
      }
    })
  })

/**
 * Checks that every run of every program returned as many URLs as every other (the programs ask for the
 * same image project) and returns that count; throws, naming each program's counts, otherwise.
 */
export const sameUrlCount = (results: Readonly<Partial<Record<ImageProgram, ReadonlyArray<FirstImage>>>>): number => {
  const counts = Object.entries(results).flatMap(([p, rs]) => rs!.map((r) => [p, r.urls.length] as const))
  const expected = counts[0]?.[1]
  const odd = counts.filter(([, n]) => n !== expected)
  if (expected === undefined || odd.length > 0) {
    throw new Error(
      `the first-image programs returned different numbers of URLs: ${counts.map(([p, n]) => `${p} ${n}`).join(", ")}`
    )
  }
  return expected
}
