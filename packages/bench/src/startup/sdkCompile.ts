/**
 * What compiling the SDK's own modules costs inside a minimal image program's bundle, and how much of it
 * the program's run could ever save: `npx tsx packages/bench/src/startup/sdkCompile.ts [program]`
 * (`effect` by default; `adapter`; `SDK_COMPILE_RUNS` compiles of each variant, default 31, interleaved).
 *
 * The program is bundled as the bench loads it (its static imports; dynamic imports outside except those its
 * `main` runs), identifiers and syntax minified but one module per run of lines, so that each module's code
 * can be cut out or wrapped. Three variants of the one-module bundle are compiled in this process
 * (`vm.SourceTextModule`: parsing and the top-level compile, nothing run; a fresh source text each time,
 * so V8's compilation cache never answers; CPU time of this process, medians):
 *
 * - `whole`: the bundle as it is;
 * - `sdk removed`: every `@effect-sogni/*` module cut out (the libraries alone: what the SDK adds is the
 *   difference, compiled the way the bench's cold import compiles it);
 * - `sdk wrapped`: every SDK module put inside a function that is never called, so V8 only pre-parses it
 *   (scans its syntax and scopes) instead of compiling its top level to bytecode.
 *
 * `whole - sdk removed` is the SDK's compile cost; `sdk wrapped - sdk removed` is what its bytes cost
 * merely to pre-parse (every function body is pre-parsed only, called or not); the rest is its top-level
 * code, compiled eagerly. Code the program never calls costs about its share of the pre-parse figure
 * (`coverage.ts` finds it): that bounds what moving it behind an `import()` can save.
 */
import { fileURLToPath } from "node:url"
import vm from "node:vm"
import { build, type Plugin } from "esbuild"
import { median } from "../Benchmark.js"
import { loadedByMain, type Program, programs } from "./bundle.js"

const program = (process.argv[2] ?? "effect") as Program
if (!(program in programs)) throw new Error(`unknown program ${program}; one of ${Object.keys(programs).join(", ")}`)
const runs = Number(process.env.SDK_COMPILE_RUNS ?? 31)

if (typeof (vm as { SourceTextModule?: unknown }).SourceTextModule !== "function") {
  // re-run under the flag that exposes vm.SourceTextModule
  const { spawnSync } = await import("node:child_process")
  const out = spawnSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit"
  })
  process.exit(out.status ?? 1)
}

const external = (p: Program): Plugin => ({
  name: "dynamic-imports-external",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === "dynamic-import" && !loadedByMain[p].includes(args.path) ? { path: args.path, external: true } : undefined)
  }
})

/** A module of the bundle: its path (as esbuild's comment names it) and its code. */
interface Region {
  readonly path: string
  readonly code: string
}

const isSdk = (path: string) => !path.includes("node_modules/") && /(?:^|\/)(?:packages\/)?(?:core|media|client|chat|workflows)\/src\//.test(path)

const main = async () => {
  const result = await build({
    entryPoints: [fileURLToPath(programs[program])],
    bundle: true,
    minifyIdentifiers: true,
    minifySyntax: true,
    platform: "node",
    target: "node20",
    format: "esm",
    write: false,
    logLevel: "silent",
    plugins: [external(program)]
  })
  const text = result.outputFiles[0]!.text
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
  const sdk = regions.filter((r) => isSdk(r.path))
  const variants: ReadonlyArray<readonly [string, string]> = [
    ["whole", text],
    ["sdk removed", regions.filter((r) => !isSdk(r.path)).map((r) => r.code).join("\n")],
    // an `export` cannot stand inside a function: the SDK modules export nothing in a bundle but the entry's
    ["sdk wrapped", regions.map((r, i) => (isSdk(r.path) ? `function __sdk${i}(){\n${r.code.replace(/^export /gm, "")}\n}` : r.code)).join("\n")]
  ]
  let fresh = 0
  // CPU time (user + system) of this process, as compileSplit.ts reads it: other processes on the machine
  // slow the wall clock, not this figure
  const cpu = () => {
    const c = process.cpuUsage()
    return (c.user + c.system) / 1000
  }
  const compile = (source: string): number => {
    const t0 = cpu()
    new vm.SourceTextModule(`${source}\n//${fresh++}`)
    return cpu() - t0
  }
  const samples = variants.map(() => [] as Array<number>)
  for (let i = 0; i < runs; i++) variants.forEach(([, source], j) => samples[j]!.push(compile(source)))
  const [whole, removed, wrapped] = samples.map((s) => median(s)) as [number, number, number]
  const sdkBytes = sdk.reduce((a, r) => a + r.code.length, 0)
  console.log(`\n${program}: ${(text.length / 1024).toFixed(0)} KB bundled (identifiers and syntax minified), ${sdk.length} SDK modules ${(sdkBytes / 1024).toFixed(0)} KB`)
  console.log(`compile (medians of ${runs}): whole ${whole.toFixed(2)} ms, SDK removed ${removed.toFixed(2)} ms, SDK only pre-parsed ${wrapped.toFixed(2)} ms`)
  console.log(`the SDK's modules: ${(whole - removed).toFixed(2)} ms, of which pre-parsing their bytes ${(wrapped - removed).toFixed(2)} ms (${((wrapped - removed) / (sdkBytes / 1024)).toFixed(4)} ms/KB) and compiling their top level ${(whole - wrapped).toFixed(2)} ms`)
}

await main()
