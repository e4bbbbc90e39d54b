/**
 * The minimal image programs as a Node user runs them: the packages installed with `npm` from their packed
 * tarballs, the program a plain ESM file importing them by name, `node` loading it without a bundler.
 *
 * `startup`'s bundled figures measure one minified, tree-shaken file per program. Installed, Node's ESM
 * loader resolves, reads and compiles every module file the program reaches (a fixed cost per file, on top
 * of the bytes), and nothing is tree-shaken: a module imported for one export loads everything it imports.
 * That is the start-up a user of the published packages pays, and it is what `installProjects` sets up
 * once per run:
 *
 * - builds the workspace (`scripts/build.mjs`, as `pnpm build`), packs the `@effect-sogni/*` packages the
 *   programs import and their workspace dependencies in one recursive `pnpm pack` (workspace versions and
 *   `publishConfig` applied, as on publish; the same approach as `packages/e2e/test/globalSetup.ts`);
 * - installs the tarballs with plain `npm` into an empty project in the system temp folder (outside the
 *   workspace, so nothing resolves from our `node_modules`), beside every other package a program imports
 *   at the version `packages/bench/package.json` pins (the official client, `effect`, `@effect/platform`,
 *   `ws`), and each packed package's peer dependencies at the version it pins for its own tests;
 * - writes each program (`programs/*.ts`) into it as plain ESM JavaScript: esbuild's `transform` of the
 *   program's source (types stripped, nothing bundled), with the one import of a workspace source path
 *   (the adapter program's `../../../../client/src/index.js`) rewritten to the package name a user
 *   imports (`@effect-sogni/client`); see `installedProgram`.
 *
 * `countModules` counts the module files a program loads (in a separate process, with a loader hook
 * registered through `module.register`, never in a timed run).
 */
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { transform } from "esbuild"
import { repoRoot } from "../Benchmark.js"
import { type Program, programs } from "./bundle.js"

const run = promisify(execFile)

/** The workspace package scope: an import of `@effect-sogni/<folder>` is the package in `packages/<folder>`. */
const scope = "@effect-sogni/"

/** A program written for the installed project: its JavaScript and the bare specifiers it imports. */
export interface InstalledProgram {
  readonly code: string
  /** Every specifier the program imports (static and dynamic), each a package name or a `node:` built-in. */
  readonly imports: ReadonlyArray<string>
}

/** The import specifiers of esbuild's output: `from "x"`, `import "x"` and `import("x")`. */
const specifiers = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"([^"]+)"/g

/**
 * A workspace source path a program imports (relative to its file) as the name a user imports it by:
 * `packages/<folder>/src/index.js` is `@effect-sogni/<folder>`, `packages/<folder>/src/<Module>.js` is
 * `@effect-sogni/<folder>/<Module>`. Anything else relative has no installed equivalent.
 */
const packageSpecifier = (program: Program, specifier: string): string => {
  const target = path.relative(path.join(repoRoot, "packages"), path.resolve(path.dirname(fileURLToPath(programs[program])), specifier))
  const match = /^([a-z0-9-]+)[\\/]src[\\/]([A-Za-z0-9]+)\.js$/.exec(target)
  if (match === null) throw new Error(`programs/${program}.ts imports ${specifier}, which is no workspace package's source module`)
  return match[2] === "index" ? `${scope}${match[1]}` : `${scope}${match[1]}/${match[2]}`
}

/**
 * `programs/<program>.ts` as the plain ESM JavaScript a user writes against the installed packages:
 * esbuild's `transform` (types and type-only imports dropped, nothing bundled, nothing minified), every
 * relative import rewritten by `packageSpecifier`. The program itself is unchanged, so its source stays
 * the one definition of what the bundled and the installed figures measure.
 */
export const installedProgram = async (program: Program): Promise<InstalledProgram> => {
  const file = fileURLToPath(programs[program])
  const { code } = await transform(fs.readFileSync(file, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcefile: file
  })
  const imports: Array<string> = []
  const rewritten = code.replace(specifiers, (_, keyword: string, specifier: string) => {
    const installed = specifier.startsWith(".") ? packageSpecifier(program, specifier) : specifier
    imports.push(installed)
    return `${keyword}"${installed}"`
  })
  return { code: rewritten, imports }
}

/** The package a bare specifier names (`effect/Effect` is `effect`, `@effect/platform/HttpClient` is `@effect/platform`). */
export const packageOf = (specifier: string): string => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/")

interface Manifest {
  readonly name: string
  readonly version: string
  readonly dependencies?: Readonly<Record<string, string>>
  readonly devDependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
}

const manifest = (folder: string): Manifest =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, "packages", folder, "package.json"), "utf8")) as Manifest

/** What `installProjects` installs: the workspace packages to pack (folder names) and `name@version` of the rest. */
export interface InstallPlan {
  readonly packed: ReadonlyArray<string>
  readonly registry: ReadonlyArray<string>
}

/**
 * The packages the programs need, from the specifiers they import: each `@effect-sogni/*` package with its
 * workspace dependencies (packed); every other package at the version `packages/bench/package.json` pins; the
 * packed packages' peer dependencies not already there at the bench's version, or else the one the package
 * pins for its own tests (its devDependencies), or else its peer range.
 */
export const installPlan = (imports: ReadonlyArray<string>): InstallPlan => {
  const bench = manifest("bench").dependencies ?? {}
  const packed = new Set<string>()
  const wanted = new Map<string, string>()
  const pin = (name: string, version: string | undefined, why: string) => {
    if (version === undefined) throw new Error(`${why} ${name}, which packages/bench/package.json does not pin`)
    if (!wanted.has(name)) wanted.set(name, version)
  }
  const pack = (folder: string) => {
    if (packed.has(folder)) return
    const m = manifest(folder)
    if (m.name !== `${scope}${folder}`) throw new Error(`packages/${folder} is ${m.name}, not ${scope}${folder}`)
    packed.add(folder)
    for (const [name, version] of Object.entries(m.dependencies ?? {})) {
      if (version.startsWith("workspace:")) pack(name.slice(scope.length))
    }
  }
  const names = new Set(imports.filter((s) => !s.startsWith("node:")).map(packageOf))
  for (const name of names) if (name.startsWith(scope)) pack(name.slice(scope.length))
  for (const name of names) if (!name.startsWith(scope)) pin(name, bench[name], "a program imports")
  for (const folder of packed) {
    const m = manifest(folder)
    for (const [name, range] of Object.entries(m.peerDependencies ?? {})) {
      pin(name, bench[name] ?? m.devDependencies?.[name] ?? range, `${m.name} has the peer dependency`)
    }
  }
  return { packed: [...packed].sort(), registry: [...wanted].map(([name, version]) => `${name}@${version}`).sort() }
}

/** The installed project: each program's file in it, and how it was set up. */
export interface InstalledProjects {
  /** The project (package.json, node_modules, the programs as `<program>.mjs`). */
  readonly dir: string
  readonly files: Readonly<Record<Program, string>>
  readonly plan: InstallPlan
  /** Seconds each phase took (build, pack, npm install). */
  readonly timings: Readonly<Record<string, number>>
  /** Removes the temp folder (project and tarballs). */
  readonly remove: () => void
}

/** The output of a failed child process (`execFile`'s error), for the message saying why the installed figures are missing. */
const failure = (step: string, error: unknown): Error => {
  const e = error as { readonly message?: string; readonly stdout?: string; readonly stderr?: string }
  const output = `${e.stderr ?? ""}${e.stdout ?? ""}`.trim().split("\n").slice(-12).join("\n")
  return new Error(`${step} failed: ${e.message?.split("\n")[0] ?? String(error)}${output.length > 0 ? `\n${output}` : ""}`)
}

/**
 * Builds, packs and installs what `order`'s programs import into a new project in the system temp folder
 * and writes the programs into it (see the module note). Rejects, with the failing step and the tail of
 * its output, when the build, the pack or the install fails (e.g. no network and a cold npm cache); the
 * temp folder is removed then.
 */
export const installProjects = async (order: ReadonlyArray<Program>): Promise<InstalledProjects> => {
  const sources = {} as Record<Program, InstalledProgram>
  for (const p of order) sources[p] = await installedProgram(p)
  const plan = installPlan(order.flatMap((p) => sources[p].imports))
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-sogni-startup-installed-"))
  const remove = () => fs.rmSync(work, { recursive: true, force: true })
  const timings: Record<string, number> = {}
  const env = { ...process.env, BUILD_QUIET: "1", CI: "true" }
  const step = async (name: string, f: () => Promise<unknown>) => {
    const start = performance.now()
    try {
      await f()
    } catch (error) {
      throw failure(name, error)
    }
    timings[name] = Math.round((performance.now() - start) / 100) / 10
  }
  try {
    await step("build", () => run(process.execPath, [path.join(repoRoot, "scripts/build.mjs")], { cwd: repoRoot, env, maxBuffer: 64 << 20 }))
    const tarballs = path.join(work, "tarballs")
    fs.mkdirSync(tarballs)
    await step("pack", () =>
      run("npx", [
        "--yes",
        "pnpm@12.21.0",
        "-r",
        ...plan.packed.flatMap((folder) => ["--filter", `./packages/${folder}`]),
        "pack",
        "--pack-destination",
        tarballs
      ], { cwd: repoRoot, env, maxBuffer: 64 << 20 }))
    const packs = plan.packed.map((folder) => {
      const file = path.join(tarballs, `effect-sogni-${folder}-${manifest(folder).version}.tgz`)
      if (!fs.existsSync(file)) throw new Error(`pnpm pack wrote no ${file}`)
      return file
    })
    const dir = path.join(work, "app")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }, null, 2))
    await step("npm install", () =>
      run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...packs, ...plan.registry], {
        cwd: dir,
        env,
        maxBuffer: 64 << 20
      }))
    const files = {} as Record<Program, string>
    for (const p of order) {
      files[p] = path.join(dir, `${p}.mjs`)
      fs.writeFileSync(files[p], sources[p].code)
    }
    return { dir, files, plan, timings, remove }
  } catch (error) {
    remove()
    throw error
  }
}

/**
 * The loader hook `countModules` registers (a `data:` module, run on the loader's own thread): each
 * `file:` module it loads, written to file descriptor 3 (shared by the process's threads) as one line.
 */
const countingHooks = `
import { writeSync } from "node:fs"
export async function load(url, context, next) {
  if (url.startsWith("file:")) writeSync(3, url + "\\n")
  return next(url, context)
}
`

/**
 * The counting process's script: registers `countingHooks`, imports the program (argv[1]), then adds the
 * CommonJS modules, which Node's `require` loads without the ESM hooks (a CommonJS package's own
 * `require`s), from `require.cache`.
 */
const counter = `
import { register, createRequire } from "node:module"
import { writeSync } from "node:fs"
import { pathToFileURL } from "node:url"
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(countingHooks)}))
await import(pathToFileURL(process.argv[1]).href)
for (const file of Object.keys(createRequire(import.meta.url).cache)) writeSync(3, pathToFileURL(file).href + "\\n")
`

/** The module files a program loads: how many, and how many per package (`.` for the program's own file). */
export interface ModuleCount {
  readonly total: number
  readonly byPackage: ReadonlyArray<readonly [name: string, files: number]>
}

/** The package a module file belongs to: the name after its last `node_modules/`, or `.` outside any. */
const packageOfFile = (url: string): string => {
  const at = url.lastIndexOf("/node_modules/")
  return at < 0 ? "." : packageOf(url.slice(at + "/node_modules/".length))
}

/**
 * Counts the module files (ES modules and CommonJS, each file once) that importing `file` loads, in a fresh
 * `node` with a loader hook registered through `module.register` (see `counter`); the hooks slow loading
 * down, so this never runs inside a timed run.
 */
export const countModules = (file: string): Promise<ModuleCount> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", counter, file], {
      stdio: ["ignore", "ignore", "pipe", "pipe"]
    })
    let loaded = ""
    let errors = ""
    const hooked = child.stdio[3] as Readable
    hooked.setEncoding("utf8")
    hooked.on("data", (chunk: string) => {
      loaded += chunk
    })
    child.stderr!.setEncoding("utf8")
    child.stderr!.on("data", (chunk: string) => {
      errors += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`counting the modules of ${file} exited with ${code}: ${errors.trim()}`))
      const urls = new Set(loaded.split("\n").filter((line) => line.startsWith("file:")))
      const byPackage = new Map<string, number>()
      for (const url of urls) byPackage.set(packageOfFile(url), (byPackage.get(packageOfFile(url)) ?? 0) + 1)
      resolve({ total: urls.size, byPackage: [...byPackage].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])) })
    })
  })
