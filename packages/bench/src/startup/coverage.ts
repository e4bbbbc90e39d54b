/**
 * Which of a minimal image program's bundled code its run never executes:
 * `npx tsx packages/bench/src/startup/coverage.ts [program]` (`effect` by default; `adapter`).
 *
 * The program is bundled without minifying, as `analyze.ts` does (dynamic imports outside, except those
 * its `main` runs), and run against an emulator in a fresh `node` with V8's precise coverage on: once
 * importing only, once importing and running `main`. Every function the run never called is code the
 * cold import parses (V8 pre-parses every function body of the one-module bundle) for nothing; the
 * figures are those functions' bytes (outermost uncalled function only), per source module, beside the
 * module's bytes in the bundle. A module whose bytes are mostly never called is a candidate to load on
 * first use; code called at run time but not at import is not (the program runs it, so moving it behind
 * an `import()` would leave the figures while still being loaded: see `loadedAtRun.ts`).
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type Program, programs, unminifiedBundle } from "./bundle.js"

const program = (process.argv[2] ?? "effect") as Program
if (!(program in programs)) throw new Error(`unknown program ${program}; one of ${Object.keys(programs).join(", ")}`)

interface FunctionCoverage {
  readonly functionName: string
  readonly ranges: ReadonlyArray<{ readonly startOffset: number; readonly endOffset: number; readonly count: number }>
}

const short = (path: string): string =>
  path.includes("node_modules/")
    ? path.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, "")
    : path.replace(/^(?:\.\.\/)*(?:packages\/)?/, "@effect-sogni/")

const main = async () => {
  const text = await unminifiedBundle(program)
  // module boundaries: esbuild opens each module's code with a `// path` line
  const starts: Array<readonly [number, string]> = [[0, "(bundle)"]]
  for (const m of text.matchAll(/^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/gm)) starts.push([m.index, short(m[1]!)])
  const moduleAt = (offset: number): string => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]![0] <= offset) lo = mid
      else hi = mid - 1
    }
    return starts[lo]![1]
  }
  const moduleBytes = new Map<string, number>()
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? starts[i + 1]![0] : text.length
    moduleBytes.set(starts[i]![1], (moduleBytes.get(starts[i]![1]) ?? 0) + end - starts[i]![0])
  }

  const dir = mkdtempSync(join(tmpdir(), "effect-sogni-coverage-"))
  const scope = Effect.runSync(Scope.make())
  try {
    const file = join(dir, `${program}.mjs`)
    writeFileSync(file, text)
    const emulator = await Effect.runPromise(Emulator.make({ port: 0 }).pipe(Scope.extend(scope)))
    const options = { appId: "startup-coverage", apiKey: emulator.apiKey, restEndpoint: emulator.url, socketEndpoint: emulator.wsUrl }
    const detail = process.env.COVERAGE_MODULE
    const functions: Array<readonly [string, string, number]> = []
    /** Uncalled bytes per module after importing the bundle (and running `main` when `run`). */
    const uncalled = async (run: boolean): Promise<Map<string, number>> => {
      const out = join(dir, run ? "run" : "import")
      const script = `const m = await import(process.argv[1]);${run ? "await m.main(JSON.parse(process.argv[2]));" : ""}process.exit(0)`
      // the emulator runs in this process: the child must not block it
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, ["--input-type=module", "-e", script, pathToFileURL(file).href, JSON.stringify(options)], {
          env: { ...process.env, NODE_V8_COVERAGE: out },
          timeout: 120_000
        }, (error) => (error ? reject(error) : resolve()))
      })
      const url = pathToFileURL(file).href
      const found = new Map<string, number>()
      for (const f of readdirSync(out)) {
        const report = JSON.parse(readFileSync(join(out, f), "utf8")) as {
          readonly result: ReadonlyArray<{ readonly url: string; readonly functions: ReadonlyArray<FunctionCoverage> }>
        }
        const script = report.result.find((s) => s.url === url)
        if (script === undefined) continue
        // outermost functions never called (a nested uncalled function lies inside one already counted)
        const dead = script.functions
          .map((fn) => fn.ranges[0]!)
          .filter((r) => r.count === 0)
          .sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset)
        let covered = -1
        for (const r of dead) {
          if (r.startOffset < covered) continue
          covered = r.endOffset
          const m = moduleAt(r.startOffset)
          found.set(m, (found.get(m) ?? 0) + r.endOffset - r.startOffset)
          if (run && detail !== undefined && m.includes(detail)) {
            const head = text.slice(Math.max(0, r.startOffset - 40), r.startOffset + 60).replace(/\s+/g, " ")
            functions.push([m, head, r.endOffset - r.startOffset])
          }
        }
      }
      return found
    }
    const atImport = await uncalled(false)
    const atRun = await uncalled(true)
    const kb = (n: number) => (n / 1024).toFixed(1).padStart(7)
    const rows = [...moduleBytes].map(([m, bytes]) => ({ m, bytes, imp: atImport.get(m) ?? 0, run: atRun.get(m) ?? 0 }))
    const sum = (f: (r: (typeof rows)[number]) => number, filter = (_: string) => true) =>
      rows.filter((r) => filter(r.m)).reduce((a, r) => a + f(r), 0)
    const sdk = (m: string) => m.startsWith("@effect-sogni/")
    console.log(`\n${program}: ${kb(text.length)} KB unminified; never called by the import: ${kb(sum((r) => r.imp))} KB, by import + main: ${kb(sum((r) => r.run))} KB`)
    console.log(`SDK modules: ${kb(sum((r) => r.bytes, sdk))} KB, never called by import + main: ${kb(sum((r) => r.run, sdk))} KB`)
    console.log(`\n  module KB  uncalled at run KB  module`)
    for (const r of rows.filter((r) => r.run > 0).sort((a, b) => b.run - a.run).slice(0, Number(process.env.COVERAGE_TOP ?? 60))) {
      console.log(`  ${kb(r.bytes)}  ${kb(r.run)}  ${r.m}`)
    }
    if (detail !== undefined) {
      console.log(`\nuncalled functions of modules matching ${detail} (bytes, the code around their start):`)
      for (const [m, head, n] of functions.sort((a, b) => b[2] - a[2])) console.log(`  ${String(n).padStart(6)}  ${m}  ${head}`)
    }
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    if (process.env.COVERAGE_KEEP !== "1") rmSync(dir, { recursive: true, force: true })
  }
}

await main()
