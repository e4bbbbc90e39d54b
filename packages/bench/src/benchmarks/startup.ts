/**
 * startup: the minimal image program (`src/startup/programs/*.ts`: connect, one image project, its URLs) on
 * the official client, the Effect API and the promise adapter, beside the floor: the libraries the SDK is
 * built on (Effect, `@effect/platform`'s fetch client and WebSocket, `ws`) loaded without the SDK, so
 * `over floor` (a program's cold-import CPU and RSS minus the floor's) is what the SDK's own modules cost.
 *
 * - bundle: esbuild bundle + minify of what the program loads (its static imports), and its gzip; each
 *   module behind a dynamic `import()` (loaded on first use only) is bundled on its own and printed as
 *   `lazy` (see `startup/bundle.ts`; `test/bundleSize.test.ts` holds the sizes to `bundle-budget.json`);
 * - cold import: a fresh `node` process imports that bundle (the program's `main` is not run) and reports
 *   its wall time since process start, its CPU (user + system) and its RSS right after the import;
 *   `BENCH_COLD_RUNS` runs per program (default 7), alternating, each run in its own memory layout
 *   (see `importer`), medians; the RSS min–max column shows the spread.
 *
 * Targets (issue 15): Effect API and adapter ≤ 1.0× the official client's cold-import CPU and RSS (on the
 * way to 0.5×), bundle (min + gzip) ≤ 0.7× official.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { type Benchmark, median, table } from "../Benchmark.js"
import { bundle, type BundleFigures, type Program } from "../startup/bundle.js"

const runs = Number(process.env.BENCH_COLD_RUNS ?? 7)
const order: ReadonlyArray<Program> = ["official", "floor", "effect", "adapter"]

/** One cold import's figures (see `coldImport`). */
export interface ColdImport {
  readonly wallMs: number
  readonly cpuMs: number
  readonly rssBytes: number
}

/**
 * The script of cold-import run `run` (the same for every program in that run). Its trailing comment
 * grows by 24 characters a run so that the runs sample different memory layouts: the RSS right after
 * the import is bimodal by ~7 MB for reasons unrelated to what a program keeps. V8's parser zone for the
 * one-module bundle (~8-11 MB of malloc'd AST and scopes, freed once it is compiled) stays resident when
 * a small block allocated afterwards (an old-space page's metadata) lands above it at the top of glibc's
 * brk heap; whether it does depends on the byte layout of everything allocated before, the script's
 * text and the environment included (the same bundle flips between 49.5 and 56.9 MB with a comment's
 * length; glibc's in-use bytes are the same 2.5 MB either way, the difference is free memory it holds).
 * With one script every run of a program falls in the same mode, so the median reported one arbitrary
 * layout; the spread (`rss MB min–max`) shows where a program is prone to it.
 *
 * The script opens `process.stdout` (which it reports on) before the import, so every program's figures
 * include Node's set-up of that stream (~3 ms CPU on a pipe: it loads `net` and builds a socket). Opened
 * after the import, as it was, that cost fell inside the figures of the programs whose import reads
 * `process.stdout` (Effect's logger module does, at its top level) and outside the official client's.
 */
const importer = (run: number): string => `
const out = process.stdout
const { pathToFileURL } = await import("node:url")
await import(pathToFileURL(process.argv[1]).href)
const cpu = process.cpuUsage()
const wallMs = performance.now()
out.write(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: process.memoryUsage().rss }))
// layout ${"-".repeat(24 * run)}
`

/** Imports `file` in a fresh `node` with cold-import run `run`'s script (`importer`); also used by `startup/decompose.ts`. */
export const coldImport = (file: string, run: number): Promise<ColdImport> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", importer(run), file], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      out += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`cold import of ${file} exited with ${code}`))
      resolve(JSON.parse(out) as ColdImport)
    })
  })

const kb = (bytes: number): string => (bytes / 1024).toFixed(0)
const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1)
const ratio = (a: number, b: number): string => (a / b).toFixed(2)

export const startup: Benchmark = {
  name: "startup",
  description: `minimal image program: bundle size (esbuild min + gzip) and cold import (${runs} runs, medians)`,
  run: async () => {
    const dir = mkdtempSync(join(tmpdir(), "effect-sogni-startup-"))
    try {
      const sizes = {} as Record<Program, BundleFigures>
      for (const p of order) sizes[p] = await bundle(p, dir)
      const cold = { official: [], floor: [], effect: [], adapter: [] } as Record<Program, Array<ColdImport>>
      for (let i = 0; i < runs; i++) {
        for (const p of i % 2 === 0 ? order : [...order].reverse()) cold[p].push(await coldImport(sizes[p].file!, i))
      }
      const m = (p: Program, k: keyof ColdImport) => median(cold[p].map((c) => c[k]))
      console.log(`\n  load average ${loadavg()[0]!.toFixed(1)}; cold import = a fresh node process importing the minified bundle\n`)
      console.log(
        table(
          ["program", "min KB", "gzip KB", "×official", "import wall ms", "import cpu ms", "×official", "rss MB", "×official", "rss MB min–max"],
          order.map((p) => [
            p,
            kb(sizes[p].bytes),
            kb(sizes[p].gzipBytes),
            ratio(sizes[p].gzipBytes, sizes.official.gzipBytes),
            m(p, "wallMs").toFixed(0),
            m(p, "cpuMs").toFixed(0),
            ratio(m(p, "cpuMs"), m("official", "cpuMs")),
            mb(m(p, "rssBytes")),
            ratio(m(p, "rssBytes"), m("official", "rssBytes")),
            `${mb(Math.min(...cold[p].map((c) => c.rssBytes)))}–${mb(Math.max(...cold[p].map((c) => c.rssBytes)))}`
          ])
        ).replace(/^/gm, "  ")
      )
      for (const p of order) {
        for (const l of sizes[p].lazy) {
          console.log(
            `  ${p}: lazy import("${l.specifier}") from ${l.importer.replace(/^.*?packages\//, "packages/")}: ` +
              `${kb(l.bytes)} KB min, ${kb(l.gzipBytes)} KB gzip (not loaded by this program; not in its figures)`
          )
        }
      }
      for (const p of ["effect", "adapter"] as const) {
        console.log(
          `  ${p} over floor: import cpu +${(m(p, "cpuMs") - m("floor", "cpuMs")).toFixed(0)} ms, ` +
            `rss +${mb(m(p, "rssBytes") - m("floor", "rssBytes"))} MB, ` +
            `gzip +${kb(sizes[p].gzipBytes - sizes.floor.gzipBytes)} KB (the SDK's own modules)`
        )
      }
      const verdict = (value: number, bound: number) => `${value.toFixed(2)} ≤ ${bound.toFixed(2)} ${value <= bound ? "met" : "MISSED"}`
      for (const p of ["effect", "adapter"] as const) {
        console.log(
          `\n  targets (${p}): import cpu ${verdict(m(p, "cpuMs") / m("official", "cpuMs"), 1)}, ` +
            `rss ${verdict(m(p, "rssBytes") / m("official", "rssBytes"), 1)}, ` +
            `bundle gzip ${verdict(sizes[p].gzipBytes / sizes.official.gzipBytes, 0.7)}`
        )
      }
      return [
        `RESULT startup import-cpu effect/official=${ratio(m("effect", "cpuMs"), m("official", "cpuMs"))} ` +
        `adapter/official=${ratio(m("adapter", "cpuMs"), m("official", "cpuMs"))} ` +
        `floor/official=${ratio(m("floor", "cpuMs"), m("official", "cpuMs"))} ` +
        `wall effect/official=${ratio(m("effect", "wallMs"), m("official", "wallMs"))} ` +
        `adapter/official=${ratio(m("adapter", "wallMs"), m("official", "wallMs"))}`,
        `RESULT startup import-rss effect/official=${ratio(m("effect", "rssBytes"), m("official", "rssBytes"))} ` +
        `adapter/official=${ratio(m("adapter", "rssBytes"), m("official", "rssBytes"))} ` +
        `floor/official=${ratio(m("floor", "rssBytes"), m("official", "rssBytes"))}`,
        `RESULT startup bundle-gzip effect/official=${ratio(sizes.effect.gzipBytes, sizes.official.gzipBytes)} ` +
        `adapter/official=${ratio(sizes.adapter.gzipBytes, sizes.official.gzipBytes)} ` +
        `floor/official=${ratio(sizes.floor.gzipBytes, sizes.official.gzipBytes)} ` +
        `(KB official=${kb(sizes.official.gzipBytes)} effect=${kb(sizes.effect.gzipBytes)} adapter=${kb(sizes.adapter.gzipBytes)} ` +
        `floor=${kb(sizes.floor.gzipBytes)})`
      ]
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
