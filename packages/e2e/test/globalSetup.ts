/**
 * Once per test run: builds every package (`scripts/build.mjs`), packs each with `pnpm pack`, installs the
 * tarballs with plain `npm` into an empty project in the system temp folder (outside the workspace, so
 * nothing resolves from our node_modules), writes the programs and the README snippets into it and
 * compiles them with a plain strict tsconfig. The tests read the outcome through `inject("e2e")`.
 *
 * npm runs with `--prefer-offline`: with a warm npm cache the install needs no network.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import type { TestProject } from "vitest/node"
import * as Snippets from "./snippets.js"

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")

/** The packages a user installs. */
export const published = ["core", "media", "chat", "workflows", "zelai", "sage", "emulator", "client"] as const

export interface E2eContext {
  /** The user's project (package.json, node_modules, src/, out/). */
  readonly app: string
  /** The tarballs, by package folder name. */
  readonly tarballs: Readonly<Record<string, string>>
  /** The user's TypeScript compile of src/ (programs and snippets): exit code and output. */
  readonly tsc: { readonly code: number; readonly output: string }
  /** The same sources type-checked under each of {@link tsconfigVariants} (no emit), by variant name. */
  readonly variants: Readonly<Record<string, { readonly code: number; readonly output: string }>>
  readonly snippets: ReadonlyArray<Snippets.Snippet>
  /** Seconds each setup phase took. */
  readonly timings: Readonly<Record<string, number>>
}

declare module "vitest" {
  export interface ProvidedContext {
    readonly e2e: E2eContext
  }
}

/** A plain strict tsconfig, as `tsc --init --strict` users have it (no skipLibCheck). */
export const userTsconfig = {
  compilerOptions: {
    strict: true,
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    outDir: "out",
    rootDir: "src",
    types: ["node"]
  },
  include: ["src"]
}

/**
 * Other settings users compile with, each checked against the packed declarations (no skipLibCheck in
 * any): the strictest optional-property and index rules; a bundler project; and the Node 10 resolution
 * (`moduleResolution: "node"`) that ignores `exports` (the packages' `typesVersions` serve it).
 */
export const tsconfigVariants: Readonly<Record<string, Record<string, unknown>>> = {
  "nodenext-exact": { exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noImplicitOverride: true },
  "bundler-exact": { module: "ESNext", moduleResolution: "Bundler", exactOptionalPropertyTypes: true },
  "node10": { module: "ESNext", moduleResolution: "Node" }
}

const tsc = (app: string, project: string) =>
  run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: app, maxBuffer: 64 << 20 }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : 1,
      output: `${error.stdout ?? ""}${error.stderr ?? ""}`
    })
  )

const timed = async <A>(timings: Record<string, number>, name: string, f: () => Promise<A>): Promise<A> => {
  const start = Date.now()
  try {
    return await f()
  } finally {
    timings[name] = Math.round((Date.now() - start) / 100) / 10
  }
}

export default async function setup(project: TestProject) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-sogni-e2e-"))
  const timings: Record<string, number> = {}
  const env = { ...process.env, BUILD_QUIET: "1", CI: "true" }

  await timed(timings, "build", () => run(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, env, maxBuffer: 64 << 20 }))

  const packs = path.join(work, "tarballs")
  fs.mkdirSync(packs)
  const tarballs: Record<string, string> = {}
  await timed(timings, "pack", async () => {
    // one recursive pack of the published packages (workspace: versions and publishConfig applied)
    await run("npx", [
      "--yes",
      "pnpm@12.21.0",
      "-r",
      ...published.flatMap((name) => ["--filter", `./packages/${name}`]),
      "pack",
      "--pack-destination",
      packs
    ], { cwd: root, env, maxBuffer: 64 << 20 })
    for (const name of published) {
      const file = path.join(packs, `effect-sogni-${name}-${JSON.parse(fs.readFileSync(path.join(root, "packages", name, "package.json"), "utf8")).version}.tgz`)
      if (!fs.existsSync(file)) throw new Error(`pnpm pack wrote no ${file}`)
      tarballs[name] = file
    }
  })

  const app = path.join(work, "app")
  fs.mkdirSync(path.join(app, "src", "snippets"), { recursive: true })
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }, null, 2))
  await timed(timings, "npm install", () =>
    run("npm", [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...published.map((name) => tarballs[name]!),
      "@types/node@^20"
    ], { cwd: app, env, maxBuffer: 64 << 20 }))

  fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify(userTsconfig, null, 2))
  for (const file of fs.readdirSync(path.join(here, "../programs"))) {
    fs.copyFileSync(path.join(here, "../programs", file), path.join(app, "src", file))
  }
  const snippets = Snippets.all(root)
  for (const s of snippets) {
    fs.writeFileSync(path.join(app, "src", "snippets", s.file), `// ${s.source}:${s.line}\n${s.code}`)
  }
  for (const [name, options] of Object.entries(tsconfigVariants)) {
    fs.writeFileSync(
      path.join(app, `tsconfig.${name}.json`),
      JSON.stringify({ ...userTsconfig, compilerOptions: { ...userTsconfig.compilerOptions, ...options, noEmit: true } }, null, 2)
    )
  }
  const [compiled, ...checked] = await timed(timings, "tsc", () =>
    Promise.all([
      tsc(app, app),
      ...Object.keys(tsconfigVariants).map((name) => tsc(app, path.join(app, `tsconfig.${name}.json`)))
    ]))
  const variants = Object.fromEntries(Object.keys(tsconfigVariants).map((name, i) => [name, checked[i]!]))
  // the .mjs/.cjs programs are not compiled: copy them next to the compiled ones
  for (const file of fs.readdirSync(path.join(app, "src")).filter((f) => /\.(mjs|cjs)$/.test(f))) {
    fs.mkdirSync(path.join(app, "out"), { recursive: true })
    fs.copyFileSync(path.join(app, "src", file), path.join(app, "out", file))
  }

  project.provide("e2e", { app, tarballs, tsc: compiled!, variants, snippets, timings })
  return () => fs.rmSync(work, { recursive: true, force: true })
}
