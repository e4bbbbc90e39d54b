// Builds dist/: `node scripts/build.mjs` (everything), `--js` (the bundles only), `--dts` (declarations only).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { rollup } from "rollup"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const cli = path.join(root, "node_modules/tsup/dist/cli-default.js")
const config = path.join(root, "tsup.config.ts")
const mode = process.argv[2]
// the ESM build's chunks have content-hashed names: clear the previous JavaScript first, so that a
// stale chunk is never packed (the declarations stay when only the JavaScript is rebuilt)
if (mode !== "--dts") {
  const dist = path.join(root, "dist")
  for (const f of fs.existsSync(dist) ? fs.readdirSync(dist) : []) {
    if (!/^index\.d\.c?ts$/.test(f)) fs.rmSync(path.join(dist, f))
  }
  fs.rmSync(path.join(root, "dist-cjs-input"), { recursive: true, force: true })
}
execFileSync(process.execPath, [cli, "--config", config], {
  cwd: root,
  stdio: process.env.BUILD_QUIET ? "pipe" : "inherit",
  env: { ...process.env, CLIENT_BUILD_MODE: mode === "--js" ? "js" : mode === "--dts" ? "dts" : "all" }
})
if (mode !== "--dts") {
  const dist = path.join(root, "dist")
  const cjsInput = path.join(root, "dist-cjs-input")
  await mergeStaticChunks(dist, dist, "es")
  await mergeStaticChunks(cjsInput, dist, "cjs")
  fs.rmSync(cjsInput, { recursive: true })
}
if (mode !== "--js") {
  // the module docs of the workspace modules whose types are inlined (tsup.config.ts) show imports of
  // those unpublished packages (and of Effect): no use to this package's users, so they are left out
  const dts = path.join(root, "dist/index.d.ts")
  const workspaceImport = /from ["'](?:@effect-sogni\/(?!client["'])|effect)/
  const text = fs.readFileSync(dts, "utf8").replace(/\/\*\*[\s\S]*?\*\/\n*/g, (doc) => workspaceImport.test(doc) ? "" : doc)
  fs.writeFileSync(dts, text)
  fs.copyFileSync(dts, path.join(root, "dist/index.d.cts"))
}

/**
 * tsup's (esbuild's) split ESM build gives `index.js` ~50 chunks to import statically: esbuild makes one
 * chunk per set of entry points that share code, and every dynamic `import()` is an entry point. Node's
 * ESM loader costs ~0.5 ms per file, so this pass (rollup over esbuild's output: plain ESM, relative
 * imports only) puts every module `index.js` reaches statically into `index.js` itself and leaves each
 * dynamically imported part in a file of its own, which imports what it shares from `index.js` (one
 * instance of every module either way). Measured (2026-12-05, installed with npm, 21 fresh `node`
 * imports): 135 ms of CPU split, 113-115 merged, the official client 226-228. The input source maps
 * (to the TypeScript sources) are chained into the output's. `input` holds the split build, the result
 * goes to `dist` as `format`: `es` (`.js`, in place) or `cjs` (`.cjs`, from the CommonJS build's input).
 */
async function mergeStaticChunks(input, dist, format) {
  const entry = path.join(input, "index.js")
  const reached = new Set()
  const visit = (file) => {
    if (reached.has(file)) return
    reached.add(file)
    for (const m of fs.readFileSync(file, "utf8").matchAll(/^(?:import|export)\b[^'"]*?(?:from\s*)?['"](\.\/[^'"]+)['"]/gm)) {
      visit(path.join(input, m[1].slice(2)))
    }
  }
  visit(entry)
  const inputs = fs.readdirSync(input).filter((f) => /\.js(\.map)?$/.test(f))
  const bundle = await rollup({
    input: entry,
    // the entry may export what the dynamically imported parts need from it (no facade file)
    preserveEntrySignatures: "allow-extension",
    external: (id) => !id.startsWith(".") && !path.isAbsolute(id),
    plugins: [{
      name: "input-source-maps",
      load(id) {
        const map = `${id}.map`
        return { code: fs.readFileSync(id, "utf8"), map: fs.existsSync(map) ? fs.readFileSync(map, "utf8") : null }
      }
    }],
    onwarn(warning, warn) {
      if (warning.code !== "CIRCULAR_DEPENDENCY") warn(warning)
    }
  })
  // beside dist/, at its depth: the maps' source paths are written relative to the output folder
  const out = path.join(dist, "..", `dist-merged-${format}`)
  fs.rmSync(out, { recursive: true, force: true })
  await bundle.write({
    dir: out,
    format,
    sourcemap: true,
    manualChunks: (id) => (reached.has(id) ? "index" : undefined),
    entryFileNames: format === "cjs" ? "[name].cjs" : "[name].js",
    chunkFileNames: format === "cjs" ? "[name].cjs" : "[name].js",
    ...(format === "cjs" ? { exports: "named", interop: "auto" } : {})
  })
  await bundle.close()
  // the maps keep the text of this SDK's sources but only the paths of its bundled libraries' (effect's
  // own TypeScript would more than double the package's size; stack traces still name file and line)
  for (const f of fs.readdirSync(out).filter((f) => f.endsWith(".map"))) {
    const map = JSON.parse(fs.readFileSync(path.join(out, f), "utf8"))
    map.sourcesContent = map.sources.map((source, i) => (source.includes("node_modules/") ? null : map.sourcesContent?.[i] ?? null))
    fs.writeFileSync(path.join(out, f), JSON.stringify(map))
  }
  for (const f of inputs) fs.rmSync(path.join(input, f))
  for (const f of fs.readdirSync(out)) fs.renameSync(path.join(out, f), path.join(dist, f))
  fs.rmSync(out, { recursive: true })
}
