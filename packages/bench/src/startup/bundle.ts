/**
 * Bundle-size figures of the minimal image programs (`programs/*.ts`): esbuild (bundle, minify, Node
 * platform, ESM, no code splitting, so dynamic imports are inlined: everything the program can load is
 * in the one file) and gzip level 9 of the result. Deterministic for fixed sources and dependencies,
 * which is why `test/bundleSize.test.ts` can hold them to `bundle-budget.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build } from "esbuild"

/** The three programs measured, by contender name. */
export const programs = {
  official: new URL("./programs/official.ts", import.meta.url),
  effect: new URL("./programs/effect.ts", import.meta.url),
  adapter: new URL("./programs/adapter.ts", import.meta.url)
} as const
export type Program = keyof typeof programs

export interface BundleFigures {
  readonly program: Program
  /** Minified bytes. */
  readonly bytes: number
  /** Gzip (level 9) of the minified bytes. */
  readonly gzipBytes: number
  /** The bundle on disk (for the cold-import runs), when `outDir` was given. */
  readonly file?: string
}

/** Bundles `program` (minified); writes it to `outDir/<program>.mjs` when `outDir` is given. */
export const bundle = async (program: Program, outDir?: string): Promise<BundleFigures> => {
  const result = await build({
    entryPoints: [fileURLToPath(programs[program])],
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
  })
  const code = result.outputFiles[0]!.contents
  let file: string | undefined
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true })
    file = join(outDir, `${program}.mjs`)
    writeFileSync(file, code)
  }
  return { program, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, ...(file !== undefined ? { file } : {}) }
}
