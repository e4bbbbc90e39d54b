/**
 * What a minimal image program's SDK modules cost in the cold import, split by what V8 does with them:
 * `npx tsx packages/bench/src/startup/decompose.ts [program]` (`effect` by default; `adapter`;
 * `DECOMPOSE_RUNS` cold imports of each variant, default 21, alternating; `DECOMPOSE_SELECT` a regular
 * expression over the bundle's module paths, default every `@effect-sogni/*` module; `DECOMPOSE_SPLIT=1`
 * also compiles and evaluates each variant in a fresh process, as `compileSplit.ts` does, and prints the
 * CPU of those two steps beside the cold-import figure: the cold import's steps are each a few
 * milliseconds in a ~130 ms process, the split's have less noise around them; `DECOMPOSE_KEEP=1` keeps the
 * variants' bundles, for other measures of the same files).
 *
 * The program is bundled as the bench loads it (its static imports; dynamic imports outside except those its
 * `main` runs), then four variants of the one-module bundle are minified as `bundle.ts` minifies and imported
 * by the bench's own cold-import run (`benchmarks/startup.ts`: a fresh `node`, CPU since process start):
 *
 * - `whole`: the bundle as it is (the bench's figure, within noise);
 * - `cut`: the selected modules removed: the libraries alone;
 * - `pre-parsed`: each selected module inside a function that is never called, so V8 reads and pre-parses
 *   its bytes (every function body is only pre-parsed in any case) and compiles none of it;
 * - `compiled`: each selected module inside `if (globalThis.__never) { ... }`: compiled as part of the
 *   bundle's top level, as in `whole`, but not run;
 * - `floor`: the floor program's bundle (`programs/floor.ts`), for `cut - floor`: what the libraries cost
 *   beyond the floor's (the modules of `effect` that only the SDK's code reaches: PubSub and Queue under
 *   `SubscriptionRef` and the socket's `subscribe`, Stream's merge channels under `SubscriptionRef.changes`,
 *   Schedule, Config, ...), as far as the floor's own program (a tagged error and a struct built at import)
 *   costs what the SDK program's `main` does.
 *
 * `pre-parsed - cut` is what reading and pre-parsing the modules' bytes costs, `compiled - pre-parsed` what
 * compiling their top level adds (the top-level code to bytecode, a function object's metadata for every
 * function declared at a module's top level), `whole - compiled` what running their top level costs (with
 * the library functions it calls, compiled on their first call, and the garbage it leaves).
 *
 * Only a selection that nothing else in the bundle reads at the top level can be cut or wrapped: the SDK as a
 * whole can (only the program's `main` uses it), one module of it usually cannot, and a variant whose import
 * throws is reported as such. Found with it (2026-12-05, effect program, load ~1.5, 21 runs): whole 88.3 ms,
 * cut 80.3, pre-parsed 82.4, compiled 86.0: the SDK's ~125 KB minified cost ~8 ms, of which ~2 to read and
 * pre-parse, ~3.6 to compile their top level and ~2.3 to run it (another run, 15 runs at load 2.6: 3.3, 2.0
 * and 2.2 of 7.6; the split moves by about a millisecond between runs).
 *
 * What made the top-level compile step costly (found 2026-12-05): arrow functions. V8 pre-parses the body
 * of a `function` met while compiling a module's top level, but it parses an arrow function there in
 * full (syntax tree and scopes built, then dropped: the arrow is compiled again on its first call); only
 * at a classic script's top level is an arrow pre-parsed. The SDK wrote nearly all of its top-level
 * functions as `export const f = (..) => ..` and its lazy schemas as `Lazy.schema(() => Schema.Struct(..))`:
 * 107 KB of the 235 KB of its modules in the effect program were such arrows (`eagerArrows.ts` lists
 * them), parsed in full at every import. Evidence: 500 synthetic top-level functions of 200 bytes cost a
 * cold import 3.8 ms as arrows, 1.7-2.1 as `function` declarations or expressions (41 runs; +900 page
 * faults against +150: the parser's memory); compiled in one process (`vm.SourceTextModule`, fastest of
 * 60, the variants' order rotated), the effect bundle took 13.5 ms, 12.2 with the SDK's top-level arrows
 * rewritten as `function`s, 10.9 with every library's too, 11.6 with the SDK wrapped in a never-called
 * function and 9.6 without the SDK (so the arrows were ~1.3 ms of the SDK's ~1.9 ms of top-level
 * compile there). The classes, `Context.Tag`s, tables and the ~100 `Lazy.schema` stand-ins are not it:
 * the SDK's top level runs in ~1.1 ms all told (timing marks between modules, young generation enlarged
 * so that no scavenge falls inside; Protocol 0.21, Projects 0.14, SogniConfig 0.10, SogniError 0.09, the
 * rest below 0.08 each), and it calls 52 functions at import (0.5 ms of lazy compiling, V8's function
 * events). With the arrows of core's and media's modules rewritten as `function`s
 * (`test/eagerArrows.test.ts` keeps them so), 31 runs each at load ~4, alternating with the previous
 * commit: whole 83.6 / 83.8 -> 81.6 / 81.9 ms, the top-level compile step 2.0 / 2.7 -> 0.8 / 0.3 ms (the
 * bench, `BENCH_COLD_RUNS=11`, six alternating pairs at load 4-7: effect over the floor +4..+7 -> +1..+4
 * ms, adapter +4..+9 -> +3..+5; bundles +0.5 KB gzip). What remains is reading and pre-parsing the bytes
 * (~2 ms; `coverage.ts`: 80 KB of the 240 are never called, spread thin over the modules) and running the
 * top level (~1.1 ms, plus its share of the import's two scavenges, which every program has). The
 * libraries hold ~300 KB of such arrows themselves (effect's `Schema`, `ParseResult` and `SchemaAST`
 * ~70 KB of them; an image program's `main` uses `Schema`, so it cannot be left to a dynamic import).
 *
 * Page faults of the same variants (2026-12-06, s36, `DECOMPOSE_KEEP=1`, the kept files imported with
 * `process.resourceUsage().minorPageFault` read after the import, 15 runs, after the s36 cuts): floor
 * ~4700, cut ~4970, pre-parsed ~5100, compiled ~5270, whole ~5300 (the official client ~4780). The
 * libraries beyond the floor's (~38 KB minified: queue, channel merging, more of Schema and Effect's core)
 * cost the most pages, then compiling the SDK's top level, then reading its bytes; running it little. On
 * this 2-core box the SDK programs' `sys` time is ~2-3 ms over the official client's while their `user`
 * time is below it: the remaining gap is memory touched during parsing more than code run (callgrind
 * counts ~7 % fewer instructions than the official client's import; see `analyze.ts`).
 *
 * This tool replaces `sdkCompile.ts`, which measured the same split by compiling in one process
 * (`vm.SourceTextModule`) rather than in cold imports.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { transform } from "esbuild"
import { median } from "../Benchmark.js"
import { coldImport } from "../benchmarks/startup.js"
import { bundle, type Program, programs, unminifiedBundle } from "./bundle.js"
import { splitRun } from "./compileSplit.js"

const program = (process.argv[2] ?? "effect") as Program
if (!(program in programs)) throw new Error(`unknown program ${program}; one of ${Object.keys(programs).join(", ")}`)
const runs = Number(process.env.DECOMPOSE_RUNS ?? 21)
const selected = new RegExp(process.env.DECOMPOSE_SELECT ?? "(?:^|/)packages/(?:core|media|client|chat|workflows)/src/")
const split = process.env.DECOMPOSE_SPLIT === "1"

/** A module of the bundle: its path (as esbuild's comment names it) and its code. */
interface Region {
  readonly path: string
  readonly code: string
}

const regionsOf = (text: string): Array<Region> => {
  const regions: Array<Region> = []
  let path = "(prelude)"
  let lines: Array<string> = []
  for (const line of text.split("\n")) {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(line)
    if (m === null) {
      lines.push(line)
      continue
    }
    regions.push({ path, code: lines.join("\n") })
    path = m[1]!
    lines = []
  }
  regions.push({ path, code: lines.join("\n") })
  return regions
}

const main = async () => {
  // minified below, variant by variant
  const text = await unminifiedBundle(program)
  const regions = regionsOf(text)
  const chosen = regions.filter((r) => selected.test(r.path))
  if (chosen.length === 0) throw new Error(`no module of the ${program} bundle matches ${selected}`)
  // inside a function or a block a module's `export` clause (the entry's only) cannot stand; the selection
  // holds no entry, whose `main` is what reads the SDK
  const body = (r: Region) => r.code.replace(/^export /gm, "")
  const variants: ReadonlyArray<readonly [string, string]> = [
    ["whole", text],
    ["cut", regions.map((r) => (selected.test(r.path) ? "" : r.code)).join("\n")],
    ["pre-parsed", regions.map((r, i) => (selected.test(r.path) ? `function __unused${i}(){\n${body(r)}\n}` : r.code)).join("\n")],
    ["compiled", regions.map((r) => (selected.test(r.path) ? `if(globalThis.__never){\n${body(r)}\n}` : r.code)).join("\n")]
  ]
  const dir = mkdtempSync(join(tmpdir(), "effect-sogni-decompose-"))
  try {
    const files: Array<string> = []
    for (const [name, source] of variants) {
      // what `bundle.ts` asks of esbuild, without tree shaking: the variants differ only where they say
      const minified = await transform(source, { minify: true, format: "esm", target: "node20", legalComments: "none", treeShaking: false })
      const file = join(dir, `${program}-${name}.mjs`)
      writeFileSync(file, minified.code)
      files.push(file)
    }
    // the floor program as the bench bundles it: the same libraries without the SDK (see programs/floor.ts)
    const names = [...variants.map(([name]) => name), "floor"]
    files.push((await bundle("floor", dir)).file!)
    const samples = names.map(() => [] as Array<number>)
    const splits = names.map(() => ({ compile: [] as Array<number>, evaluate: [] as Array<number> }))
    const failed = new Map<string, string>()
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? names.map((_, j) => j) : names.map((_, j) => names.length - 1 - j)
      for (const j of order) {
        if (failed.has(names[j]!)) continue
        try {
          samples[j]!.push((await coldImport(files[j]!, i)).cpuMs)
          if (split) {
            const s = splitRun(files[j]!)
            splits[j]!.compile.push(s.compile)
            splits[j]!.evaluate.push(s.evaluate)
          }
        } catch (error) {
          failed.set(names[j]!, String(error))
        }
      }
    }
    const bytes = chosen.reduce((a, r) => a + r.code.length, 0)
    console.log(
      `\n${program}: ${chosen.length} modules selected (${(bytes / 1024).toFixed(0)} KB unminified), ` +
        `cold import CPU, medians of ${runs}, load average ${loadavg()[0]!.toFixed(1)}`
    )
    const figure = new Map<string, number>()
    names.forEach((name, j) => {
      if (failed.has(name)) return console.log(`  ${name.padEnd(11)} import failed: ${failed.get(name)!.split("\n")[0]}`)
      figure.set(name, median(samples[j]!))
      const vm = split
        ? `   compile ${median(splits[j]!.compile).toFixed(1).padStart(5)} ms, evaluate ${median(splits[j]!.evaluate).toFixed(1).padStart(5)} ms`
        : ""
      console.log(`  ${name.padEnd(11)} ${figure.get(name)!.toFixed(1).padStart(6)} ms${vm}`)
    })
    const step = (label: string, a: string, b: string) => {
      if (figure.has(a) && figure.has(b)) console.log(`  ${label}: ${(figure.get(a)! - figure.get(b)!).toFixed(1)} ms`)
    }
    console.log("")
    step("the selection in all (whole - cut)", "whole", "cut")
    step("reading and pre-parsing its bytes (pre-parsed - cut)", "pre-parsed", "cut")
    step("compiling its top level (compiled - pre-parsed)", "compiled", "pre-parsed")
    step("running its top level (whole - compiled)", "whole", "compiled")
    step("the libraries' part beyond the floor program (cut - floor; meaningful when the selection is the whole SDK)", "cut", "floor")
  } finally {
    if (process.env.DECOMPOSE_KEEP === "1") console.log(`\n(the variants' bundles kept in ${dir})`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

await main()
