/**
 * The published shape of the package: the declarations build (bundled by tsup's rollup-plugin-dts),
 * reference no unpublished workspace package, and type-check code written against them from ESM and
 * from CommonJS (declarations-check/). The JavaScript bundles are built by the global setup and run
 * by Examples.test.ts and Compare.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const tsc = path.resolve(root, "../../node_modules/typescript/bin/tsc")

const run = promisify(execFile)

describe("build", () => {
  it("emits ESM, CJS and self-contained declarations that type-check a consumer", async () => {
    // asynchronously: the worker must keep answering vitest while the type-checked build runs
    await run(process.execPath, [path.join(root, "scripts/build.mjs"), "--dts"], {
      cwd: root,
      env: { ...process.env, BUILD_QUIET: "1" }
    })
    for (const f of ["index.js", "index.cjs", "index.d.ts", "index.d.cts"]) {
      assert.isTrue(fs.existsSync(path.join(root, "dist", f)), `dist/${f}`)
    }
    const dts = fs.readFileSync(path.join(root, "dist/index.d.ts"), "utf8")
    assert.notMatch(dts, /from ['"]@effect-sogni\//)
    assert.notMatch(dts, /from ['"]effect/)
    assert.include(dts, "declare class SogniClient")
    // the bundles import only published packages
    const esm = fs.readFileSync(path.join(root, "dist/index.js"), "utf8")
    const cjs = fs.readFileSync(path.join(root, "dist/index.cjs"), "utf8")
    assert.notMatch(esm, /from ['"]@effect-sogni\//)
    assert.notMatch(cjs, /require\(['"]@effect-sogni\//)
    assert.notMatch(cjs, /require\(['"]@noble\//)
    await run(process.execPath, [tsc, "-p", path.join(root, "declarations-check/tsconfig.json")], { cwd: root })
  }, 180_000)

  it("the ESM bundle is one self-contained file at import; what it loads on first use is separate", () => {
    // what `import { SogniClient } from "@effect-sogni/client"` reads: index.js and the chunks it
    // imports statically, transitively (dynamic `import()`s are read on first use)
    const read = new Set<string>()
    const bare = new Set<string>()
    const visit = (file: string) => {
      if (read.has(file)) return
      read.add(file)
      const code = fs.readFileSync(path.join(root, "dist", file), "utf8")
      for (const m of code.matchAll(/^(?:import|export)\b[^'"]*?(?:from\s*)?['"]([^'"]+)['"]/gm)) {
        const specifier = m[1]!
        if (specifier.startsWith("./")) visit(specifier.slice(2))
        else bare.add(specifier)
      }
    }
    visit("index.js")
    // what index.js imports statically is merged into it (scripts/build.mjs): one file to load
    assert.deepStrictEqual([...read], ["index.js"])
    // effect and @effect/platform are bundled: the adapter shares no Effect value with the program
    assert.deepStrictEqual([...bare].filter((s) => /^(effect|@effect\/)/.test(s)), [])
    // neither the argument validator (ajv, the 33 argument schemas) nor the wallet crypto at import
    assert.deepStrictEqual([...bare].filter((s) => /^(ajv|@noble\/)/.test(s)), [])
    const text = [...read].map((f) => fs.readFileSync(path.join(root, "dist", f), "utf8")).join("\n")
    assert.notInclude(text, "sogniRequired")
    assert.include(text, "generate_image", "the tool manifest (SogniTools) is loaded at import, as the official client does")
    // the parts behind dynamic imports stay files of their own
    const lazy = [...text.matchAll(/import\(\s*['"]\.\/([^'"]+)['"]\s*\)/g)].map((m) => m[1]!)
    assert.isAbove(lazy.length, 10)
    for (const f of lazy) assert.isTrue(fs.existsSync(path.join(root, "dist", f)), f)

    // the CommonJS build likewise: index.cjs requires no file of its own except on first use (inside a
    // `.then`), and no package but ajv (on first use too) and the built-ins; @noble is bundled in
    const cjs = fs.readFileSync(path.join(root, "dist/index.cjs"), "utf8")
    const required = [...cjs.matchAll(/(return )?require\(['"]([^'"]+)['"]\)/g)]
    assert.deepStrictEqual(required.filter((m) => m[2]!.startsWith("./") && m[1] === undefined).map((m) => m[2]), [])
    assert.deepStrictEqual(
      [...new Set(required.map((m) => m[2]!).filter((r) => !r.startsWith("./") && !r.startsWith("node:")))].filter((r) =>
        /^(effect|@effect\/|@noble\/)/.test(r)
      ),
      []
    )
    for (const m of required.filter((m) => m[2]!.startsWith("./"))) assert.isTrue(fs.existsSync(path.join(root, "dist", m[2]!)), m[2])

    // the source maps reach the TypeScript sources and carry this SDK's text, not the bundled libraries'
    for (const f of ["index.js.map", "index.cjs.map"]) {
      const map = JSON.parse(fs.readFileSync(path.join(root, "dist", f), "utf8")) as { sources: Array<string>; sourcesContent: Array<string | null> }
      const own = map.sources.flatMap((source, i) => (/\/src\/.*\.ts$/.test(source) && !source.includes("node_modules/") ? [i] : []))
      assert.isAbove(own.length, 50, f)
      for (const i of own) assert.isString(map.sourcesContent[i], map.sources[i])
      map.sources.forEach((source, i) => {
        if (source.includes("node_modules/")) assert.isNull(map.sourcesContent[i], source)
      })
    }
  })
})
