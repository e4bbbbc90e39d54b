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
 *   `BENCH_COLD_RUNS` runs per program (default 15: at 7 the medians moved by ±5 % between runs), alternating, each run in its own memory layout
 *   (see `importer`), medians; the RSS min–max column shows the spread;
 * - installed: the same programs as a Node user runs them, from `npm install` of the packed packages and no
 *   bundler (`startup/installed.ts` builds, packs and installs them once per run into a temp project):
 *   the same cold import of each program's module, the same runs, alternating; beside it the number of
 *   module files each program loads (counted once per program in a separate process with a loader hook).
 *   Node's ESM loader pays per module file (resolve, read, compile), which the one-file bundle hides.
 *   `BENCH_STARTUP_INSTALLED=0` skips it; when the build, the pack or the install fails (e.g. no network
 *   and a cold npm cache) it prints why and skips the table, the rest of the benchmark stands;
 * - first image (2026-12-06): the cold import alone rewards moving work from the import to the first call,
 *   while a user waits from `node program.js` to the first image. So each image program (official, Effect
 *   API, adapter: the floor creates no project) is also run whole in a fresh `node` (the cold import's
 *   flags): import, then `main` against the emulator embedded in this process (loopback, every simulated
 *   delay 0 ms, so the figure is the client's cost and not the emulator's pacing). Reported: wall ms since
 *   process start at the import's end and at `main`'s URLs, the child's CPU (user + system) at both, its
 *   peak RSS; `BENCH_FIRST_IMAGE_RUNS` runs (default: the cold import's count), alternating, medians,
 *   ratios to the official client; bundled, and installed when that part runs (see
 *   `startup/firstImage.ts`). The server's CPU is not in the child's CPU, its time is in the wall. Each
 *   run checks its URLs; a failed run fails the benchmark with the child's stderr. No target: issue 15
 *   sets them on the import only.
 *
 * Targets (issue 15): Effect API and adapter ≤ 1.0× the official client's cold-import CPU and RSS (on the
 * way to 0.5×), bundled and installed; bundle (min + gzip) ≤ 0.7× official.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { type Benchmark, median, table } from "../Benchmark.js"
import { bundle, type BundleFigures, type Program } from "../startup/bundle.js"
import {
  type FirstImage,
  firstImage,
  type FirstImageServer,
  type ImageProgram,
  imagePrograms,
  sameUrlCount,
  speed,
  startFirstImageServer
} from "../startup/firstImage.js"
import { countModules, installProjects, type InstalledProjects, type ModuleCount } from "../startup/installed.js"

const runs = Number(process.env.BENCH_COLD_RUNS ?? 15)
const firstImageRuns = ((raw) => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_FIRST_IMAGE_RUNS: expected a positive integer, got ${JSON.stringify(raw)}`)
  return n
})(process.env.BENCH_FIRST_IMAGE_RUNS ?? String(runs))
const order: ReadonlyArray<Program> = ["official", "floor", "effect", "adapter"]
const installedOn = process.env.BENCH_STARTUP_INSTALLED !== "0"

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
/** A difference with its sign, `show` applied to its magnitude. */
const signed = (d: number, show: (n: number) => string): string => `${d < 0 ? "-" : "+"}${show(Math.abs(d))}`

type ColdRuns = Record<Program, Array<ColdImport>>

/** `runs` cold imports of each program's file, the order alternating run by run (as every table here does). */
const coldRuns = async (files: Readonly<Record<Program, string>>): Promise<ColdRuns> => {
  const cold = { official: [], floor: [], effect: [], adapter: [] } as ColdRuns
  for (let i = 0; i < runs; i++) {
    for (const p of i % 2 === 0 ? order : [...order].reverse()) cold[p].push(await coldImport(files[p], i))
  }
  return cold
}

/** The median of one figure of a program's cold imports. */
const medianOf = (cold: ColdRuns) => (p: Program, k: keyof ColdImport): number => median(cold[p].map((c) => c[k]))

/** The cold-import columns of one program's row: wall, CPU and ×official, RSS and ×official, RSS spread. */
const coldColumns = (cold: ColdRuns, p: Program): ReadonlyArray<string> => {
  const m = medianOf(cold)
  return [
    m(p, "wallMs").toFixed(0),
    m(p, "cpuMs").toFixed(0),
    ratio(m(p, "cpuMs"), m("official", "cpuMs")),
    mb(m(p, "rssBytes")),
    ratio(m(p, "rssBytes"), m("official", "rssBytes")),
    `${mb(Math.min(...cold[p].map((c) => c.rssBytes)))}–${mb(Math.max(...cold[p].map((c) => c.rssBytes)))}`
  ]
}
const coldHeaders = ["import wall ms", "import cpu ms", "×official", "rss MB", "×official", "rss MB min–max"]

type FirstImageRuns = Record<ImageProgram, Array<FirstImage>>

/**
 * `firstImageRuns` first images (see `startup/firstImage.ts`) of each image program's file against
 * `server`, the order alternating run by run; every run checked, and the programs' URL counts held equal.
 */
const firstImageSeries = async (
  files: Readonly<Record<ImageProgram, string>>,
  server: FirstImageServer,
  tag: string
): Promise<FirstImageRuns> => {
  const results = { official: [], effect: [], adapter: [] } as FirstImageRuns
  for (let i = 0; i < firstImageRuns; i++) {
    for (const p of i % 2 === 0 ? imagePrograms : [...imagePrograms].reverse()) {
      results[p].push(await firstImage(p, files[p], i, server.options(p, i, tag)))
    }
  }
  sameUrlCount(results)
  return results
}

type FirstImageFigure = "importMs" | "importCpuMs" | "wallMs" | "cpuMs" | "peakRssBytes"

/** The median of one figure of a program's first images. */
const medianOfFirst = (fi: FirstImageRuns) => (p: ImageProgram, k: FirstImageFigure): number => median(fi[p].map((r) => r[k]))

/** The first-image table: the import split, wall and CPU to the URLs, peak RSS, each with its ratio to the official client's. */
const firstImageTable = (fi: FirstImageRuns): string => {
  const m = medianOfFirst(fi)
  return table(
    [
      "program",
      "import wall ms",
      "import cpu ms",
      "image wall ms",
      "×official",
      "image cpu ms",
      "×official",
      "cpu after import",
      "peak rss MB",
      "×official",
      "peak MB min–max"
    ],
    imagePrograms.map((p) => [
      p,
      m(p, "importMs").toFixed(0),
      m(p, "importCpuMs").toFixed(0),
      m(p, "wallMs").toFixed(0),
      ratio(m(p, "wallMs"), m("official", "wallMs")),
      m(p, "cpuMs").toFixed(0),
      ratio(m(p, "cpuMs"), m("official", "cpuMs")),
      median(fi[p].map((r) => r.cpuMs - r.importCpuMs)).toFixed(0),
      mb(m(p, "peakRssBytes")),
      ratio(m(p, "peakRssBytes"), m("official", "peakRssBytes")),
      `${mb(Math.min(...fi[p].map((r) => r.peakRssBytes)))}–${mb(Math.max(...fi[p].map((r) => r.peakRssBytes)))}`
    ])
  ).replace(/^/gm, "  ")
}

/** What the first-image table measures, printed above it. */
const firstImageLegend = (what: string): string =>
  `\n  load average ${loadavg()[0]!.toFixed(1)}; first image = a fresh node process importing ${what} and running its main ` +
  `(connect, one image project, its URLs)\n  against the emulator in this process (loopback, speed ${speed.toExponential()}: ` +
  `every simulated delay 0 ms); ${firstImageRuns} runs, medians; wall since process start.\n  The server's time is included ` +
  `in wall but excluded from cpu (the child's own user + system); peak rss = the child's VmHWM.\n  The floor creates no ` +
  `image project (one REST read, one socket opened): it has no first image\n`

/** The `RESULT startup <label> cpu|wall|rss` lines of a first-image series: the ratios to the official client, then the medians. */
const firstImageResults = (label: string, fi: FirstImageRuns): ReadonlyArray<string> => {
  const m = medianOfFirst(fi)
  const line = (name: string, k: FirstImageFigure, unit: string, show: (n: number) => string) =>
    `RESULT startup ${label} ${name} effect/official=${ratio(m("effect", k), m("official", k))} ` +
    `adapter/official=${ratio(m("adapter", k), m("official", k))} ` +
    `(${unit} ${imagePrograms.map((p) => `${p}=${show(m(p, k))}`).join(" ")})`
  return [
    line("cpu", "cpuMs", "ms", (n) => n.toFixed(0)),
    line("wall", "wallMs", "ms", (n) => n.toFixed(0)),
    line("rss", "peakRssBytes", "peak MB", mb)
  ]
}

/** What the installed part measured: the cold imports, module counts and first images, or why it did not run. */
type Installed =
  | {
    readonly _tag: "Measured"
    readonly cold: ColdRuns
    readonly modules: Record<Program, ModuleCount>
    readonly firstImage: FirstImageRuns
  }
  | { readonly _tag: "Skipped"; readonly reason: string }

/**
 * The installed part (see the module note): install, count each program's module files, then the timed
 * runs, cold imports then first images against `server`. A failed build, pack or install is reported as
 * `Skipped` with its reason (a failed run is not: it fails the benchmark); the temp project is removed
 * either way.
 */
const measureInstalled = async (server: FirstImageServer): Promise<Installed> => {
  if (!installedOn) return { _tag: "Skipped", reason: "BENCH_STARTUP_INSTALLED=0" }
  let project: InstalledProjects
  try {
    project = await installProjects(order)
  } catch (error) {
    return { _tag: "Skipped", reason: error instanceof Error ? error.message : String(error) }
  }
  try {
    console.log(
      `\n  installed: packed ${project.plan.packed.map((f) => `@effect-sogni/${f}`).join(", ")}; from the registry ` +
        `${project.plan.registry.join(", ")} (${Object.entries(project.timings).map(([k, s]) => `${k} ${s} s`).join(", ")})`
    )
    const modules = {} as Record<Program, ModuleCount>
    for (const p of order) modules[p] = await countModules(project.files[p])
    const cold = await coldRuns(project.files)
    return { _tag: "Measured", cold, modules, firstImage: await firstImageSeries(project.files, server, "installed") }
  } finally {
    project.remove()
  }
}

export const startup: Benchmark = {
  name: "startup",
  description: `minimal image program: bundle size (esbuild min + gzip), cold import (${runs} runs, medians) and cold ` +
    `first image against the emulator (${firstImageRuns} runs, medians), bundled and installed`,
  run: async () => {
    const dir = mkdtempSync(join(tmpdir(), "effect-sogni-startup-"))
    let server: FirstImageServer | undefined
    try {
      const sizes = {} as Record<Program, BundleFigures>
      for (const p of order) sizes[p] = await bundle(p, dir)
      const cold = await coldRuns(Object.fromEntries(order.map((p) => [p, sizes[p].file!])) as Record<Program, string>)
      const m = medianOf(cold)
      console.log(`\n  load average ${loadavg()[0]!.toFixed(1)}; cold import = a fresh node process importing the minified bundle\n`)
      console.log(
        table(
          ["program", "min KB", "gzip KB", "×official", ...coldHeaders],
          order.map((p) => [
            p,
            kb(sizes[p].bytes),
            kb(sizes[p].gzipBytes),
            ratio(sizes[p].gzipBytes, sizes.official.gzipBytes),
            ...coldColumns(cold, p)
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
          `  ${p} over floor: import cpu ${signed(m(p, "cpuMs") - m("floor", "cpuMs"), (n) => n.toFixed(0))} ms, ` +
            `rss ${signed(m(p, "rssBytes") - m("floor", "rssBytes"), mb)} MB, ` +
            `gzip ${signed(sizes[p].gzipBytes - sizes.floor.gzipBytes, kb)} KB (the SDK's own modules)`
        )
      }

      server = await startFirstImageServer()
      const first = await firstImageSeries(
        Object.fromEntries(imagePrograms.map((p) => [p, sizes[p].file!])) as Record<ImageProgram, string>,
        server,
        "bundled"
      )
      console.log(firstImageLegend("the minified bundle"))
      console.log(firstImageTable(first))

      const installed = await measureInstalled(server)
      const mi = installed._tag === "Measured" ? medianOf(installed.cold) : undefined
      if (installed._tag === "Measured") {
        console.log(
          `\n  load average ${loadavg()[0]!.toFixed(1)}; installed = a fresh node process importing the program from ` +
            `an npm-installed project (no bundler)\n`
        )
        console.log(
          table(
            ["program", "module files", ...coldHeaders],
            order.map((p) => [p, String(installed.modules[p].total), ...coldColumns(installed.cold, p)])
          ).replace(/^/gm, "  ")
        )
        for (const p of order) {
          console.log(
            `  ${p}: ${installed.modules[p].total} module files (` +
              `${installed.modules[p].byPackage.filter(([name]) => name !== ".").map(([name, n]) => `${name} ${n}`).join(", ")})`
          )
        }
        for (const p of ["effect", "adapter"] as const) {
          console.log(
            `  ${p} over floor (installed): import cpu ${signed(mi!(p, "cpuMs") - mi!("floor", "cpuMs"), (n) => n.toFixed(0))} ms, ` +
              `rss ${signed(mi!(p, "rssBytes") - mi!("floor", "rssBytes"), mb)} MB, ` +
              `module files ${signed(installed.modules[p].total - installed.modules.floor.total, String)}` +
              (p === "adapter" ? " (the adapter's dist bundles effect: its libraries are not loaded as installed packages)" : "")
          )
        }
        console.log(firstImageLegend("the program from the npm-installed project"))
        console.log(firstImageTable(installed.firstImage))
      } else {
        console.log(`\n  installed: skipped (${installed.reason})`)
      }

      const verdict = (value: number, bound: number) => `${value.toFixed(2)} ≤ ${bound.toFixed(2)} ${value <= bound ? "met" : "MISSED"}`
      const both = (p: Program, k: keyof ColdImport) =>
        `bundled ${verdict(m(p, k) / m("official", k), 1)}` +
        (mi === undefined ? ", installed skipped" : `, installed ${verdict(mi(p, k) / mi("official", k), 1)}`)
      for (const p of ["effect", "adapter"] as const) {
        console.log(
          `\n  targets (${p}): import cpu ${both(p, "cpuMs")}; rss ${both(p, "rssBytes")}; ` +
            `bundle gzip ${verdict(sizes[p].gzipBytes / sizes.official.gzipBytes, 0.7)}`
        )
      }
      const installedResults = installed._tag === "Measured" && mi !== undefined
        ? [
          `RESULT startup installed-import-cpu effect/official=${ratio(mi("effect", "cpuMs"), mi("official", "cpuMs"))} ` +
          `adapter/official=${ratio(mi("adapter", "cpuMs"), mi("official", "cpuMs"))} ` +
          `floor/official=${ratio(mi("floor", "cpuMs"), mi("official", "cpuMs"))} ` +
          `wall effect/official=${ratio(mi("effect", "wallMs"), mi("official", "wallMs"))} ` +
          `adapter/official=${ratio(mi("adapter", "wallMs"), mi("official", "wallMs"))}`,
          `RESULT startup installed-import-rss effect/official=${ratio(mi("effect", "rssBytes"), mi("official", "rssBytes"))} ` +
          `adapter/official=${ratio(mi("adapter", "rssBytes"), mi("official", "rssBytes"))} ` +
          `floor/official=${ratio(mi("floor", "rssBytes"), mi("official", "rssBytes"))}`,
          `RESULT startup installed-modules ${order.map((p) => `${p}=${installed.modules[p].total}`).join(" ")}`,
          ...firstImageResults("installed-first-image", installed.firstImage)
        ]
        : []
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
        `floor=${kb(sizes.floor.gzipBytes)})`,
        ...firstImageResults("first-image", first),
        ...installedResults
      ]
    } finally {
      await server?.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
