// Builds dist/: `node scripts/build.mjs` (everything), `--js` (the bundles only), `--dts` (declarations only).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

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
}
execFileSync(process.execPath, [cli, "--config", config], {
  cwd: root,
  stdio: process.env.BUILD_QUIET ? "pipe" : "inherit",
  env: { ...process.env, CLIENT_BUILD_MODE: mode === "--js" ? "js" : mode === "--dts" ? "dts" : "all" }
})
if (mode !== "--js") {
  // the module docs of the workspace modules whose types are inlined (tsup.config.ts) show imports of
  // those unpublished packages (and of Effect): no use to this package's users, so they are left out
  const dts = path.join(root, "dist/index.d.ts")
  const workspaceImport = /from ["'](?:@effect-sogni\/(?!client["'])|effect)/
  const text = fs.readFileSync(dts, "utf8").replace(/\/\*\*[\s\S]*?\*\/\n*/g, (doc) => workspaceImport.test(doc) ? "" : doc)
  fs.writeFileSync(dts, text)
  fs.copyFileSync(dts, path.join(root, "dist/index.d.cts"))
}
