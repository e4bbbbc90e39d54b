import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "tsup"

/**
 * The workspace packages export TypeScript sources and are not published, so they are bundled into
 * the client (`noExternal`), and so are effect and @effect/platform (`bundled` below); the other npm
 * dependencies stay external (listed in `dependencies`). The ESM build is split: every dynamic
 * `import()` of the sources (the API groups loaded on first call, the tool validator, the wallet crypto)
 * is a chunk of its own, read when first called; `scripts/build.mjs` then merges what `index.js` imports
 * statically into it (one file to load at import). The CommonJS
 * build is the same split ESM with the ESM-only `@noble/*` packages bundled as well (so `require()` works
 * on every Node ≥ 20), which `scripts/build.mjs` merges the same way and writes as `.cjs` files.
 * Declarations are bundled once (rollup-plugin-dts through tsup) into `index.d.ts`: `@internal`
 * members are stripped, and the workspace modules the public types alias are inlined (`inlinedTypes`
 * below), so they reference no workspace package. `scripts/build.mjs` drops those modules' own module
 * docs and copies the result to `index.d.cts` for `require` users.
 */
const dir = path.dirname(fileURLToPath(import.meta.url))
/** `js` (bundles only), `dts` (declarations only) or anything else (both); set by scripts/build.mjs. */
const mode = process.env.CLIENT_BUILD_MODE
// the protocol package's JSON (tool manifest and schemas) is inlined: an external JSON import would lose
// its `with { type: "json" }` attribute in the bundle, which Node's ESM loader requires
const workspace = [/^@effect-sogni\//, /^@sogni-ai\/sogni-protocol\//]
// effect and @effect/platform are bundled too (tree-shaken): the adapter's API is promises and plain
// objects, so it shares no Effect value with the program, while installed as packages they cost a Node
// program ~0.5 ms of module loading per file (`effect/Schema` alone reaches ~420 files, fast-check's
// included): importing the adapter took 1.9x the official client's CPU that way, 0.5x bundled
// (2026-12-05, packed tarballs installed with npm, 15 fresh-node imports)
const bundled = [...workspace, /^effect($|\/)/, /^@effect\/platform($|\/)/]
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

/**
 * Workspace modules of plain TypeScript types that the adapter's public types alias (`ChatMessage` is
 * the chat package's, …): their declarations are inlined into `index.d.ts` (TypeScript `paths` point the
 * declarations build at their sources, which makes them internal to the bundle), so a change there
 * reaches the adapter's types without a copy, and the published declarations still import nothing
 * unpublished. Every other workspace import stays external and, referenced by no public declaration, is
 * dropped (Build.test.ts asserts none is left).
 */
const inlinedTypes = ["core/Attribution", "core/Stats", "chat/ChatRequest", "chat/ChatChunk", "media/ProjectSync"]

const dts = {
  entry: { index: path.join(dir, "src/index.ts") },
  only: mode === "dts",
  compilerOptions: {
    composite: false,
    declarationMap: false,
    stripInternal: true,
    rootDir: path.join(dir, ".."),
    paths: Object.fromEntries(inlinedTypes.map((m) => {
      const [pkg, file] = m.split("/")
      return [`@effect-sogni/${m}`, [path.join(dir, `../${pkg}/src/${file}.ts`)]]
    }))
  }
}

export default defineConfig([
  {
    ...common,
    format: ["esm"],
    splitting: true,
    noExternal: bundled,
    ...(mode === "js" ? {} : { dts })
  },
  ...(mode === "dts" ? [] : [{
    // the CommonJS build's input: split ESM as above, with the ESM-only `@noble/*` packages bundled too
    // (so that `require()` works on every Node ≥ 20); scripts/build.mjs turns it into dist/*.cjs
    ...common,
    format: ["esm" as const],
    splitting: true,
    outDir: path.join(dir, "dist-cjs-input"),
    noExternal: [...bundled, /^@noble\//]
  }])
])
