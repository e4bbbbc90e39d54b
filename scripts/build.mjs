// `pnpm build`: compiles the Effect packages in one TypeScript pass (one type-check instead of five) into
// packages/<name>/dist (ESM JavaScript, declarations, source maps) and, at the same time (the two are
// independent: the adapter bundles the sources), the adapter's bundles (packages/client/scripts/build.mjs;
// `--js` skips its declaration bundle). Each Effect package's internal modules that one public module owns are
// then merged into that module's file (scripts/mergeInternal.mjs: fewer files for Node's loader when a user
// imports the package without a bundler).
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { mergeInternal } from "./mergeInternal.mjs"

const run = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, ".build/tsc")
const packages = ["core", "media", "chat", "workflows", "zelai", "sage", "emulator"]
const echo = ({ stdout, stderr }) => {
  if (!process.env.BUILD_QUIET) process.stdout.write(stdout + stderr)
}

const effectPackages = async () => {
  fs.rmSync(out, { recursive: true, force: true })
  await run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], {
    cwd: root,
    maxBuffer: 64 << 20
  }).then(echo)
  for (const name of packages) {
    const dist = path.join(root, "packages", name, "dist")
    fs.rmSync(dist, { recursive: true, force: true })
    fs.renameSync(path.join(out, name, "src"), dist)
  }
  for (const name of packages) await mergeInternal(path.join(root, "packages", name, "dist"))
  fs.chmodSync(path.join(root, "packages/emulator/dist/bin.js"), 0o755)
  fs.rmSync(out, { recursive: true, force: true })
}

const adapter = () =>
  run(process.execPath, [path.join(root, "packages/client/scripts/build.mjs"), ...process.argv.slice(2)], {
    cwd: path.join(root, "packages/client"),
    env: { ...process.env, BUILD_QUIET: "1" },
    maxBuffer: 64 << 20
  }).then(echo)

try {
  await Promise.all([effectPackages(), adapter()])
} catch (error) {
  process.stderr.write(`${error.stdout ?? ""}${error.stderr ?? ""}\n${error.message}\n`)
  process.exit(1)
}
