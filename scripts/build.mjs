// `pnpm build`: compiles the Effect packages in one TypeScript pass (one type-check instead of five) into
// packages/<name>/dist (ESM JavaScript, declarations, source maps), then the adapter's bundles
// (packages/client/scripts/build.mjs; `--js` skips its declaration bundle).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, ".build/tsc")
const packages = ["core", "media", "chat", "workflows", "emulator"]
const quiet = process.env.BUILD_QUIET ? "pipe" : "inherit"

fs.rmSync(out, { recursive: true, force: true })
execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], {
  cwd: root,
  stdio: quiet
})
for (const name of packages) {
  const dist = path.join(root, "packages", name, "dist")
  fs.rmSync(dist, { recursive: true, force: true })
  fs.renameSync(path.join(out, name, "src"), dist)
}
fs.chmodSync(path.join(root, "packages/emulator/dist/bin.js"), 0o755)
fs.rmSync(out, { recursive: true, force: true })
execFileSync(process.execPath, [path.join(root, "packages/client/scripts/build.mjs"), ...process.argv.slice(2)], {
  cwd: path.join(root, "packages/client"),
  stdio: quiet
})
