/**
 * Builds `dist/` before the tests that run the examples with plain `node` (a fresh clone has none).
 * The JavaScript bundles only (esbuild, a couple of seconds); declarations are built and checked by
 * `test/Build.test.ts`, so their slower type-checked build runs alongside the other tests. Skipped when
 * the bundles are newer than every source file they contain.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "..")
const sources = ["../client/src", "../core/src", "../media/src", "../chat/src"].map((d) => path.resolve(root, d))

const newest = (dir: string): number => {
  let max = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    max = Math.max(max, entry.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs)
  }
  return max
}

export const buildJs = () => {
  const outputs = ["dist/index.js", "dist/index.cjs"].map((f) => path.join(root, f))
  const sourceTime = Math.max(...sources.filter((d) => fs.existsSync(d)).map(newest), fs.statSync(path.join(root, "tsup.config.ts")).mtimeMs)
  const fresh = outputs.every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs > sourceTime)
  if (fresh) return
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs"), "--js"], {
    cwd: root,
    stdio: "pipe",
    env: { ...process.env, BUILD_QUIET: "1" }
  })
}

export default function setup() {
  buildJs()
}
