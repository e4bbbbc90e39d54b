/**
 * How a minimal image program's cold import splits between compiling its bundle and running its top
 * level: `npx tsx packages/bench/src/startup/compileSplit.ts [programs]` (all four by default, comma
 * separated otherwise; `SPLIT_RUNS` fresh processes each, default 15, alternating).
 *
 * Each run is a fresh `node --experimental-vm-modules` that reads the minified bundle (`bundle.ts`), then
 * measures its own CPU time (user + system) across `new vm.SourceTextModule(source)` (V8 parses the whole
 * one-module bundle: the top-level code compiled, every function body pre-parsed), linking (Node
 * built-ins only) and `evaluate()` (the top-level code run, with the lazy compilation of every function it
 * calls). The bench's cold-import figure is Node's start-up plus these two and the loader's own work.
 *
 * Compiling an ESM bundle costs about its bytes: the four programs' compile figures follow their
 * minified sizes except the official client's, whose bundle is mostly CommonJS modules wrapped in
 * functions (pre-parsed only) and long literals; so code that a program never runs still costs its
 * import, which is what `coverage.ts` finds.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { median } from "../Benchmark.js"
import { bundle, type Program, programs } from "./bundle.js"

// the measuring process: CPU across compile, link and evaluate of the file named by argv[1]
const splitScript = `
import vm from "node:vm"
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"
const file = process.argv[1]
const source = readFileSync(file, "utf8")
const url = pathToFileURL(file).href
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000 }
const c0 = cpu()
const module = new vm.SourceTextModule(source, { identifier: url, initializeImportMeta: (meta) => { meta.url = url }, importModuleDynamically: (s) => import(s) })
const c1 = cpu()
await module.link(async (specifier) => {
  const ns = await import(specifier)
  const keys = Object.keys(ns)
  return new vm.SyntheticModule(keys, function() { for (const k of keys) this.setExport(k, ns[k]) })
})
const c2 = cpu()
await module.evaluate()
const c3 = cpu()
process.stdout.write(JSON.stringify({ compile: c1 - c0, link: c2 - c1, evaluate: c3 - c2 }))
`

/** One module's CPU split, in milliseconds (see the module note). */
export interface Split {
  readonly compile: number
  readonly link: number
  readonly evaluate: number
}

/**
 * Compiles, links and evaluates the one-module bundle `file` in a fresh `node` (`vm.SourceTextModule`) and
 * returns the CPU each step took; also used by `decompose.ts`.
 */
export const splitRun = (file: string): Split => {
  const out = spawnSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", "--input-type=module", "-e", splitScript, file])
  if (out.status !== 0) throw new Error(`${file}: ${out.stderr.toString()}`)
  return JSON.parse(out.stdout.toString()) as Split
}

const main = async () => {
  const chosen = (process.argv[2] ?? Object.keys(programs).join(",")).split(",") as Array<Program>
  for (const p of chosen) if (!(p in programs)) throw new Error(`unknown program ${p}; one of ${Object.keys(programs).join(", ")}`)
  const runs = Number(process.env.SPLIT_RUNS ?? 15)
  const dir = mkdtempSync(join(tmpdir(), "effect-sogni-split-"))
  try {
    const files = new Map<Program, { readonly file: string; readonly bytes: number }>()
    for (const p of chosen) {
      const figures = await bundle(p, dir)
      files.set(p, { file: figures.file!, bytes: figures.bytes })
    }
    const samples = new Map(chosen.map((p) => [p, { compile: [] as Array<number>, evaluate: [] as Array<number> }]))
    for (let i = 0; i < runs; i++) {
      for (const p of i % 2 === 0 ? chosen : [...chosen].reverse()) {
        const figures = splitRun(files.get(p)!.file)
        samples.get(p)!.compile.push(figures.compile)
        samples.get(p)!.evaluate.push(figures.evaluate)
      }
    }
    console.log(`\ncompile / evaluate CPU of each program's minified bundle (medians of ${runs} fresh processes)\n`)
    console.log("  program   min KB  compile ms  evaluate ms")
    for (const p of chosen) {
      const s = samples.get(p)!
      console.log(
        `  ${p.padEnd(8)}  ${(files.get(p)!.bytes / 1024).toFixed(0).padStart(6)}  ${median(s.compile).toFixed(1).padStart(10)}  ${
          median(s.evaluate).toFixed(1).padStart(11)
        }`
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// run as a script; imported by `decompose.ts` for `splitRun` alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
