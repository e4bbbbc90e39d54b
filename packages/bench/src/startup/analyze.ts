/**
 * Where a minimal image program's start-up goes: `npx tsx packages/bench/src/startup/analyze.ts [program]`
 * (`effect` by default; `adapter`, `official`, `floor`).
 *
 * - bundle: minified bytes per package (esbuild metafile), and each library module the program pulls
 *   beyond the floor program (`programs/floor.ts`: Effect, `fetch`, `ws` without the SDK),
 *   with the SDK module that imports it (why it is there);
 * - import: the program bundled without minifying, each module's top-level code timed (a mark is put
 *   where esbuild starts each module, and the time to the next mark is that module's); medians of
 *   `ANALYZE_RUNS` fresh processes (default 5). Module code runs in bundle order, so a module that
 *   first touches a shared library also pays for that library's first use (JIT warm-up);
 * - allocation: the same marks reading the heap instead of the clock, in a process whose young generation
 *   is large enough that nothing is collected during the import (so a module's figure is everything its
 *   top-level code allocated, garbage included: with the bench's 16 MB semi-spaces, those pages count in
 *   the RSS the cold-import figure reports). A `Schema.TaggedError` class, for one, allocates ~70 KB.
 *   The figures step by ~256 KB wherever V8 grows a space (a large object such as an internal table,
 *   a fresh old-space area for bytecode): such a step lands on whichever module runs at that moment
 *   and moves when the bundle changes (SogniSocket.ts once showed 259 KB, Sniff.ts 255 KB, where marks
 *   between their statements find about 10 KB each); read a lone ~256 KB module figure as that, not as the
 *   module's own allocation.
 *
 * - statements (with `ANALYZE_STATEMENTS=<regular expression over module paths>`, e.g. `Protocol` or
 *   `@effect-sogni`): the same marks between the top-level statements of the matching modules (function
 *   declarations and imports left out: they run nothing), time and allocation per statement, in processes
 *   with 64 MB semi-spaces so that no scavenge falls inside a statement; the costliest statements are
 *   printed with their opening text. What a module's figure is made of: a table built at import, a closure
 *   made per entry, the first call of a library function (compiled then);
 *
 * - dump (with `ANALYZE_DUMP=<file>`): every module's top-level ms and allocation written as JSON, to
 *   compare two programs module by module (the libraries' modules too, which the tables leave out).
 *
 * Found with it (2026-12-06, s36): beside the floor, the effect program's library modules ran ~1.3 ms and
 * ~440 KB more top-level code (pubsub, queue, schedule, FiberSet, config, and more of Schema's declarations).
 * The SDK's `SubscriptionRef`s brought PubSub, and its default reconnect `Schedule` and media's ETA ticker
 * (`Schedule.spaced`) the schedule combinators: core now builds its refs with `SubscriptionRefs`, steps the
 * default reconnect delays itself, the ticker is a sleep loop, and SogniSocket's `watch` (never run by an
 * image program) loads its `Stream.merge` on first use (effect -12.0 KB minified, adapter -11.5 KB). What
 * stays: the channel merge code (`Stream.unwrapScoped` reaches it through `Stream.flatten`) and the retry
 * policy's `Schedule` (loading it with the first retry saved 2 KB but made that retry wait for an import in
 * real time, which a TestClock-driven test caught). Cold-import instruction counts (callgrind, ASLR off,
 * fixed seeds: deterministic, unlike the CPU time on this shared box) then read floor 711 M, effect
 * 751 -> 747 M, adapter 759 -> 756 M, official 804 M: the SDK programs execute ~7 % fewer instructions
 * than the official client's import and still spend about as much CPU, so what remains of the gap is less
 * code run than memory (page faults: effect ~5350 per import against the official client's ~4800, most of
 * them while parsing; `sys` time ~2-3 ms more).
 *
 * Found with it (2026-12-06, s37): the library modules beyond the floor's were mostly code a constructor
 * references and the program never runs. `Stream.unwrap`/`unwrapScoped` flatten through `Stream.flatMap`,
 * whose concurrent branch holds Effect's channel merging and, through it, `effect/Schedule`'s combinators
 * (`Stream.concat` reaches the same merging through `Channel.zipRight`); the SDK now builds those streams
 * with core `LeanStream` (the channel primitives) and steps the REST retry policy by hand: effect -29 KB
 * minified, and its bundle holds none of Effect's stream runners (the floor's `Stream.runDrain` does). The
 * adapter's client ran `Stream.runForEach` over its refs' changes, keeping the channel executor; core
 * `SubscriptionRefs.forEachChange` reads the refs' change queues instead: adapter -31 KB minified in all.
 * Beyond the floor's, the effect program now loads ~13 KB minified of library modules (queue 5.5, config,
 * FiberSet, base64), which its run uses. callgrind: effect 753 -> 745 M instructions, adapter 762 -> 753 M
 * (official 804 M); minor page faults effect ~5370 -> ~5220, adapter ~5510 -> ~5320 (official ~4740, floor
 * ~4600). `bench startup` (bundled only), five runs each alternating with the previous main, load 3-7:
 * import CPU ×official effect 1.01 -> 1.00, adapter 1.04 -> 1.00 (medians); over the floor effect +10 -> +8
 * ms, adapter +13 -> +11. What remains is the SDK's own code (~130 KB minified; `coverage.ts`: ~90 KB of its
 * 264 KB unminified never called by an image run, spread over Protocol's frame schemas, the project actor,
 * the socket and Projects, none of it a module of its own) and its page faults while parsing. Installed,
 * the effect program loads two module files more (core `LeanStream.js`, `effect/Channel.js`: 525 -> 527).
 *
 * Dynamic imports stay out, as in `bundle.ts` (those the program's `main` runs, such as `ws`, stay in,
 * unevaluated at import). For a CPU profile of the same import, run the printed bundle under
 * `node --cpu-prof`. `compileSplit.ts` splits the cold import between compiling the bundle (which
 * costs about its bytes, run or not) and running its top level; `coverage.ts` finds the code the
 * program's run never calls.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build, type Metafile } from "esbuild"
import ts from "typescript"
import { median } from "../Benchmark.js"
import { dynamicImportsExternal, type Program, programs } from "./bundle.js"

const program = (process.argv[2] ?? "effect") as Program
if (!(program in programs)) throw new Error(`unknown program ${program}; one of ${Object.keys(programs).join(", ")}`)
const runs = Number(process.env.ANALYZE_RUNS ?? 5)

const options = (p: Program, minify: boolean) => ({
  entryPoints: [fileURLToPath(programs[p])],
  bundle: true,
  minify,
  platform: "node" as const,
  target: "node20",
  format: "esm" as const,
  write: false,
  metafile: true,
  logLevel: "silent" as const,
  plugins: [dynamicImportsExternal(p)],
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" }
})

/** `effect/dist/esm/Stream.js`, `@effect-sogni/core/src/Protocol.ts`: the path from the package on. */
const short = (path: string): string =>
  path.includes("node_modules/")
    ? path.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, "")
    : path.replace(/^(?:\.\.\/)*(?:packages\/)?/, "@effect-sogni/")
const packageOf = (path: string): string => {
  const parts = short(path).split("/")
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!
}
const isSdk = (path: string) => short(path).startsWith("@effect-sogni/")

const bytesByInput = (meta: Metafile): Map<string, number> => {
  const out = Object.values(meta.outputs)[0]!
  return new Map(Object.entries(out.inputs).map(([k, v]) => [k, v.bytesInOutput]))
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`

const main = async () => {
  const [minified, floor] = await Promise.all([build(options(program, true)), build(options("floor", true))])
  const bytes = bytesByInput(minified.metafile!)
  const floorInputs = new Set(bytesByInput(floor.metafile!).keys())
  const byPackage = new Map<string, number>()
  for (const [input, n] of bytes) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + n)
  console.log(`\n${program}: ${kb(minified.outputFiles![0]!.contents.length)} minified; by package:`)
  for (const [p, n] of [...byPackage].sort((a, b) => b[1] - a[1])) console.log(`  ${kb(n).padStart(9)}  ${p}`)

  // who imports each library module the floor does not have: the nearest SDK module up the import graph
  const importers = new Map<string, Array<string>>()
  for (const [input, { imports }] of Object.entries(minified.metafile!.inputs)) {
    // modules esbuild parsed but left out (tree-shaken) import nothing into the program
    if ((bytes.get(input) ?? 0) === 0) continue
    for (const i of imports) importers.set(i.path, [...(importers.get(i.path) ?? []), input])
  }
  const sdkImporters = (input: string): Array<string> => {
    const found = new Set<string>()
    const seen = new Set<string>([input])
    let frontier = [input]
    while (frontier.length > 0 && found.size === 0) {
      const next: Array<string> = []
      for (const f of frontier) {
        for (const by of importers.get(f) ?? []) {
          if (seen.has(by)) continue
          seen.add(by)
          if (isSdk(by)) found.add(short(by))
          else next.push(by)
        }
      }
      frontier = next
    }
    return [...found]
  }
  const extra = [...bytes].filter(([input, n]) => !floorInputs.has(input) && !isSdk(input) && n > 0).sort((a, b) => b[1] - a[1])
  console.log(`\nlibrary modules beyond the floor (${kb(extra.reduce((a, [, n]) => a + n, 0))}), imported by:`)
  for (const [input, n] of extra.slice(0, 25)) {
    console.log(`  ${kb(n).padStart(9)}  ${short(input)}  <- ${sdkImporters(input).slice(0, 3).join(", ") || "?"}`)
  }

  // top-level evaluation time per module, from marks at esbuild's module boundaries
  const plain = await build({ ...options(program, false), metafile: false })
  const lines = plain.outputFiles![0]!.text.split("\n")
  /** The bundle with a mark at every module boundary; `probe` is the figure a mark records. */
  const markedWith = (probe: string): string => {
    const marked: Array<string> = []
    for (const line of lines) {
      marked.push(line)
      const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(line)
      if (m) marked.push(`globalThis.__mark(${JSON.stringify(m[1])});`)
    }
    marked.splice(1, 0, `globalThis.__marks=[];globalThis.__mark=(n)=>globalThis.__marks.push([n,${probe}]);`)
    marked.push(`globalThis.__mark("(end)");`)
    return marked.join("\n")
  }
  /**
   * The bundle with a mark before every top-level statement of the modules whose path matches `select`
   * (other than function declarations and imports) and at every module boundary (labelled `""` there,
   * so that a module's last statement ends where the next module starts).
   */
  const statementsMarkedWith = (probe: string, select: RegExp): string => {
    const text = lines.join("\n")
    const source = ts.createSourceFile("bundle.mjs", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
    const boundaries = [...text.matchAll(/^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/gm)].map((m) => ({ at: m.index, module: m[1]! }))
    const moduleAt = (at: number): string => {
      let module = "(prelude)"
      for (const b of boundaries) {
        if (b.at > at) break
        module = b.module
      }
      return module
    }
    const marks: Array<readonly [number, string]> = boundaries.map((b) => [b.at, ""] as const)
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) || ts.isFunctionDeclaration(statement)) continue
      const at = statement.getStart(source)
      const module = moduleAt(at)
      // esbuild's own helpers open the bundle, before the first module
      if (module === "(prelude)" || !select.test(short(module))) continue
      marks.push([at, `${short(module)}: ${text.slice(at, at + 70).replace(/\s+/g, " ")}`])
    }
    let out = text
    for (const [at, label] of marks.sort((a, b) => b[0] - a[0])) {
      out = `${out.slice(0, at)}globalThis.__mark(${JSON.stringify(label)});\n${out.slice(at)}`
    }
    return `globalThis.__marks=[];globalThis.__mark=(n)=>globalThis.__marks.push([n,${probe}]);\n${out}`
  }
  const dir = mkdtempSync(join(tmpdir(), "effect-sogni-analyze-"))
  /** Per-module differences between consecutive marks, `runs` fresh processes, medians. */
  const perModule = (file: string, flags: ReadonlyArray<string>): Array<readonly [string, number]> => {
    const reader =
      `await import(${JSON.stringify(file)});const m=globalThis.__marks,o={};` +
      `for(let i=0;i<m.length-1;i++)o[m[i][0]]=(o[m[i][0]]??0)+m[i+1][1]-m[i][1];process.stdout.write(JSON.stringify(o))`
    const samples = new Map<string, Array<number>>()
    for (let r = 0; r < runs; r++) {
      const figures = JSON.parse(execFileSync(process.execPath, [...flags, "--input-type=module", "-e", reader]).toString()) as Record<string, number>
      for (const [k, v] of Object.entries(figures)) samples.set(k, [...(samples.get(k) ?? []), v])
    }
    return [...samples].map(([k, v]) => [k, median(v)] as const)
  }
  try {
    const file = join(dir, `${program}.mjs`)
    writeFileSync(file, markedWith("performance.now()"))
    const heapFile = join(dir, `${program}.heap.mjs`)
    writeFileSync(heapFile, markedWith("process.memoryUsage().heapUsed"))
    writeFileSync(join(dir, `${program}.plain.mjs`), plain.outputFiles![0]!.text)
    const ms = perModule(file, [])
    const perPackage = new Map<string, number>()
    for (const [k, v] of ms) perPackage.set(packageOf(k), (perPackage.get(packageOf(k)) ?? 0) + v)
    const total = ms.reduce((a, [, v]) => a + v, 0)
    console.log(`\nimport: top-level code ${total.toFixed(1)} ms (median of ${runs}; unminified), by package:`)
    for (const [p, v] of [...perPackage].sort((a, b) => b[1] - a[1])) console.log(`  ${v.toFixed(1).padStart(7)} ms  ${p}`)
    console.log(`\nSDK modules (top-level ms):`)
    for (const [k, v] of ms.filter(([k]) => isSdk(k)).sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      console.log(`  ${v.toFixed(2).padStart(7)}  ${short(k)}`)
    }

    const bytes = perModule(heapFile, ["--min-semi-space-size=64", "--max-semi-space-size=64"])
    if (process.env.ANALYZE_DUMP !== undefined) {
      writeFileSync(process.env.ANALYZE_DUMP, JSON.stringify({ ms: ms.map(([k, v]) => [short(k), v]), bytes: bytes.map(([k, v]) => [short(k), v]) }))
    }
    const heapPerPackage = new Map<string, number>()
    for (const [k, v] of bytes) heapPerPackage.set(packageOf(k), (heapPerPackage.get(packageOf(k)) ?? 0) + v)
    const heapTotal = bytes.reduce((a, [, v]) => a + v, 0)
    console.log(`\nimport: top-level allocation ${kb(heapTotal)} (median of ${runs}; nothing collected), by package:`)
    for (const [p, v] of [...heapPerPackage].sort((a, b) => b[1] - a[1])) console.log(`  ${kb(v).padStart(9)}  ${p}`)
    console.log(`\nSDK modules (top-level allocation):`)
    for (const [k, v] of bytes.filter(([k]) => isSdk(k)).sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      console.log(`  ${kb(v).padStart(9)}  ${short(k)}`)
    }
    const select = process.env.ANALYZE_STATEMENTS
    if (select !== undefined) {
      const pattern = new RegExp(select)
      const flags = ["--min-semi-space-size=64", "--max-semi-space-size=64"]
      const timeFile = join(dir, `${program}.statements.mjs`)
      writeFileSync(timeFile, statementsMarkedWith("performance.now()", pattern))
      const allocFile = join(dir, `${program}.statements.heap.mjs`)
      writeFileSync(allocFile, statementsMarkedWith("process.memoryUsage().heapUsed", pattern))
      const time = perModule(timeFile, flags).filter(([k]) => k !== "")
      const alloc = new Map(perModule(allocFile, flags))
      const top = Number(process.env.ANALYZE_TOP ?? 25)
      console.log(
        `\nstatements of modules matching ${select}: ${time.length}, top level ${time.reduce((a, [, v]) => a + v, 0).toFixed(2)} ms, ` +
          `${kb([...alloc].filter(([k]) => k !== "").reduce((a, [, v]) => a + v, 0))} (medians of ${runs}; 64 MB semi-spaces; the marks' own allocation included)`
      )
      console.log(`     ms   allocated  statement`)
      for (const [k, v] of time.sort((a, b) => b[1] - a[1]).slice(0, top)) {
        console.log(`  ${v.toFixed(3).padStart(5)}  ${kb(alloc.get(k) ?? 0).padStart(10)}  ${k}`)
      }
    }
    console.log(`\n(the unminified bundle for node --cpu-prof: rerun with ANALYZE_KEEP=1 to keep ${dir})`)
  } finally {
    if (process.env.ANALYZE_KEEP !== "1") rmSync(dir, { recursive: true, force: true })
  }
}

await main()
