/**
 * The parent-side harness shared by every benchmark module: the module shape `main.ts` runs, child
 * process spawning (one contender per process, so CPU and heap figures belong to it alone), and
 * small statistics / formatting helpers.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
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

/** The repository root (where `tsx` is installed), so children resolve `--import tsx` from it. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

/**
 * Runs `script` (a TypeScript file, through tsx) in a fresh `node --expose-gc` process and returns the
 * measurement it reported. Its stderr is passed through; a non-zero exit, a missing report or
 * `timeoutMs` elapsing rejects.
 */
export const runChild = (
  script: URL,
  args: ReadonlyArray<string>,
  options: { readonly timeoutMs?: number } = {}
): Promise<Measurement> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--expose-gc", fileURLToPath(script), ...args],
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

export const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1)

/** A plain left/right-aligned text table. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}
