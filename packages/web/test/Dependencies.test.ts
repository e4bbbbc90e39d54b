/**
 * Each published Effect package declares exactly what its sources import: every `dependencies` and
 * `peerDependencies` entry is imported somewhere in src/ (no unused dependency for users to install),
 * every bare import is declared, and effect / @effect/* are peers only.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const packagesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const published = ["core", "media", "chat", "workflows", "zelai", "sage", "emulator"] as const

const sources = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []
  )

/** `@scope/name/x` → `@scope/name`, `name/x` → `name`. */
const packageOf = (specifier: string): string =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!

// static imports and re-exports, dynamic imports, and require / require.resolve of a created require
const importPattern = /(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']|[rR]equire(?:FromHere)?(?:\.resolve)?\(\s*["'`]([^"'`$]+)/g

/** The bare packages a package's sources import (node: built-ins and its own name left out). */
const importedBy = (name: string): Set<string> => {
  const self = `@effect-sogni/${name}`
  const found = new Set<string>()
  for (const file of sources(path.join(packagesDir, name, "src"))) {
    // drop comments, so JSDoc examples do not count
    const code = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1")
    for (const m of code.matchAll(importPattern)) {
      const specifier = m[1] ?? m[2] ?? m[3]!
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue
      const pkg = packageOf(specifier)
      if (pkg !== self) found.add(pkg)
    }
  }
  return found
}

describe("declared dependencies", () => {
  for (const name of published) {
    it(`${name}: declares exactly what it imports; effect and @effect/* as peers`, () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(packagesDir, name, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>
        peerDependencies?: Record<string, string>
      }
      const deps = Object.keys(manifest.dependencies ?? {})
      const peers = Object.keys(manifest.peerDependencies ?? {})
      const imported = importedBy(name)
      // `@types/x` is what a user's tsc needs for `x`'s types in our published declarations
      const used = (d: string) => imported.has(d) || (d.startsWith("@types/") && imported.has(d.slice("@types/".length)))
      assert.deepStrictEqual([...deps, ...peers].filter((d) => !used(d)).sort(), [], "declared but never imported")
      assert.deepStrictEqual([...imported].filter((i) => !deps.includes(i) && !peers.includes(i)).sort(), [], "imported but not declared")
      assert.deepStrictEqual(deps.filter((d) => d === "effect" || d.startsWith("@effect/")), [], "must be peers")
    })
  }
})
