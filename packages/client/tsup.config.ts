import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "tsup"

/**
 * The workspace packages export TypeScript sources and are not published, so they are bundled into
 * the client (`noExternal`); npm dependencies stay external (listed in `dependencies`). The CommonJS
 * build also bundles the ESM-only `@noble/*` packages so `require()` works on every Node ≥ 20.
 * Declarations are bundled once (rollup-plugin-dts through tsup) into `index.d.ts`; `@internal`
 * members are stripped, so they reference no workspace package. `scripts/build.mjs` copies them to
 * `index.d.cts` for `require` users.
 */
const dir = path.dirname(fileURLToPath(import.meta.url))
const workspace = [/^@effect-sogni\//]
const common = {
  entry: { index: path.join(dir, "src/index.ts") },
  platform: "node" as const,
  target: "node20",
  outDir: path.join(dir, "dist"),
  sourcemap: true,
  splitting: false,
  treeshake: true,
  tsconfig: path.join(dir, "tsconfig.build.json")
}

export default defineConfig([
  {
    ...common,
    format: ["esm"],
    noExternal: workspace,
    dts: { entry: { index: path.join(dir, "src/index.ts") }, compilerOptions: { composite: false, declarationMap: false, stripInternal: true } }
  },
  {
    ...common,
    format: ["cjs"],
    noExternal: [...workspace, /^@noble\//]
  }
])
