/**
 * Bundle-size figures of the minimal image programs (`programs/*.ts`): esbuild (bundle, minify, Node
 * platform, ESM, one file, tree-shaken) and gzip level 9 of the result. Deterministic for fixed sources
 * and dependencies, which is why `test/bundleSize.test.ts` can hold them to `bundle-budget.json`.
 *
 * What the program loads is what it imports statically: a module the SDK reaches only through a dynamic
 * `import()` (the tool manifest, argument schemas and ajv behind the first platform-tool call, the plan
 * checker behind the first inline workflow start, the wallet crypto behind the first password login)
 * is loaded only when that call runs, which a minimal image program never does. Such imports are kept
 * out of the program's bundle (left as `import()` of their specifier) and each target is bundled on its
 * own and reported as `lazy`, so nothing the program could load goes unmeasured.
 *
 * A dynamic import that the program's own `main` does run is no such module: `ws`, which core loads
 * with the first socket connection, is loaded by every image program (each connects). Those stay in
 * the program's bundle (esbuild inlines them, still evaluated only when the `import()` runs), so its
 * bytes count them while its cold import does not evaluate them (see `loadedByMain`, which
 * `test/bundleSize.test.ts` checks by running both SDK programs against the emulator: `loadedAtRun.ts`).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build, type OnResolveArgs, type Plugin, type PluginBuild } from "esbuild"

/**
 * The programs measured, by contender name: the official client, the Effect API, the adapter, and the
 * floor (the libraries the SDK is built on, without it: what neither SDK program can go below).
 */
export const programs = {
  official: new URL("./programs/official.ts", import.meta.url),
  floor: new URL("./programs/floor.ts", import.meta.url),
  effect: new URL("./programs/effect.ts", import.meta.url),
  adapter: new URL("./programs/adapter.ts", import.meta.url)
} as const
export type Program = keyof typeof programs

/**
 * The dynamic `import()` specifiers each program's `main` runs (it connects a socket: core, and the
 * floor program, load `ws` then). They are kept in the program's bundle and its bytes, not reported as lazy.
 */
export const loadedByMain: Readonly<Record<Program, ReadonlyArray<string>>> = {
  official: [],
  floor: ["ws"],
  effect: ["ws"],
  adapter: ["ws"]
}

/** A module the program reaches only through a dynamic `import()`, bundled on its own. */
export interface LazyModule {
  /** The `import()` specifier, and the file that holds it. */
  readonly specifier: string
  readonly importer: string
  readonly bytes: number
  readonly gzipBytes: number
}

export interface BundleFigures {
  readonly program: Program
  /** Minified bytes of what the program loads (its static imports). */
  readonly bytes: number
  /** Gzip (level 9) of the minified bytes. */
  readonly gzipBytes: number
  /** The dynamic imports left out of the bundle, each bundled on its own (loaded on first use only). */
  readonly lazy: ReadonlyArray<LazyModule>
  /** The bundle on disk (for the cold-import runs), when `outDir` was given. */
  readonly file?: string
  /** Whether the program's bundle holds `text` (to check that a heavy module stayed out). */
  readonly contains: (text: string) => boolean
}

/**
 * The repository's root: esbuild names each module of an unminified bundle (its `// path` comment line)
 * relative to its working directory, so the analysis tools and tests that read those names
 * (`packages/core/src/…`) see the same ones whether they run from the root or from `packages/bench`.
 */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))

const common = {
  absWorkingDir: repoRoot,
  bundle: true,
  minify: true,
  platform: "node",
  target: "node20",
  format: "esm",
  write: false,
  logLevel: "silent",
  legalComments: "none",
  // CommonJS dependencies bundled into ESM may call `require` for Node built-ins
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" }
} as const

/**
 * The file a dynamic `import()` resolves to, for an `onResolve` callback: `undefined` for any other kind
 * of import, for the plugin's own nested resolution (`marker`), and for Node built-ins and packages the
 * bundle leaves external anyway.
 */
export const resolveDynamicImport = async (b: PluginBuild, args: OnResolveArgs, marker: string): Promise<string | undefined> => {
  if (args.kind !== "dynamic-import" || args.pluginData === marker) return undefined
  const resolved = await b.resolve(args.path, {
    kind: args.kind,
    importer: args.importer,
    resolveDir: args.resolveDir,
    pluginData: marker
  })
  return resolved.errors.length > 0 || resolved.external ? undefined : resolved.path
}

/** Leaves every dynamic `import()` of a module out of the bundle, recording what it resolves to. */
const lazyImports = (
  found: Map<string, { readonly specifier: string; readonly importer: string }>,
  kept: ReadonlyArray<string>
): Plugin => ({
  name: "lazy-imports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (kept.includes(args.path)) return undefined
      const path = await resolveDynamicImport(b, args, "lazy-imports")
      if (path === undefined) return undefined
      found.set(path, { specifier: args.path, importer: args.importer })
      return { path: args.path, external: true }
    })
  }
})

/**
 * For the start-up analysis tools (`analyze.ts`, `coverage.ts`, `decompose.ts`), which bundle a program the
 * way it loads: every dynamic `import()` left out (external), except those the program's `main` runs
 * (`loadedByMain`: in its bundle, not evaluated at import).
 */
export const dynamicImportsExternal = (program: Program): Plugin => ({
  name: "dynamic-imports-external",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === "dynamic-import" && !loadedByMain[program].includes(args.path) ? { path: args.path, external: true } : undefined)
  }
})

/**
 * `program` bundled as it loads (see {@link dynamicImportsExternal}), not minified, so that esbuild's
 * `// path` comment line opens each module's code: the text the analysis tools cut by module.
 */
export const unminifiedBundle = async (program: Program): Promise<string> => {
  const result = await build({
    ...common,
    minify: false,
    entryPoints: [fileURLToPath(programs[program])],
    plugins: [dynamicImportsExternal(program)]
  })
  return result.outputFiles[0]!.text
}

const gzipSize = (code: Uint8Array): number => gzipSync(code, { level: 9 }).length

/**
 * Bundles `program` (minified); writes it to `outDir/<program>.mjs` when `outDir` is given. With
 * `{ lazySizes: false }` the modules left to dynamic imports are not bundled on their own (`lazy` is empty):
 * the program's bundle is the same, in a fraction of the time (the first-image test runs the programs and
 * needs no sizes).
 */
export const bundle = async (program: Program, outDir?: string, options: { readonly lazySizes?: boolean } = {}): Promise<BundleFigures> => {
  const found = new Map<string, { readonly specifier: string; readonly importer: string }>()
  const result = await build({ ...common, entryPoints: [fileURLToPath(programs[program])], plugins: [lazyImports(found, loadedByMain[program])] })
  const code = result.outputFiles[0]!.contents
  const lazy: Array<LazyModule> = []
  for (const [path, { importer, specifier }] of options.lazySizes === false ? [] : found) {
    const part = await build({ ...common, entryPoints: [path] })
    const partCode = part.outputFiles[0]!.contents
    lazy.push({ specifier, importer, bytes: partCode.length, gzipBytes: gzipSize(partCode) })
  }
  let file: string | undefined
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true })
    file = join(outDir, `${program}.mjs`)
    writeFileSync(file, code)
  }
  const text = result.outputFiles[0]!.text
  return {
    program,
    bytes: code.length,
    gzipBytes: gzipSize(code),
    lazy,
    ...(file !== undefined ? { file } : {}),
    contains: (needle) => text.includes(needle)
  }
}
