/**
 * The packed tarballs as a user installs them (plain npm, a temporary project outside the workspace):
 * compiled JavaScript and declarations only, effect and @effect/* as peers (bundled into the adapter), and
 * programs that type-check under a plain strict tsconfig and run against the packed emulator's bin.
 */
import { afterAll, assert, beforeAll, describe, inject, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { type RunningEmulator, runNode, startEmulator } from "./emulator.js"
import { published, tsconfigVariants } from "./globalSetup.js"

const e2e = inject("e2e")
const installed = (name: string) => path.join(e2e.app, "node_modules/@effect-sogni", name)
const manifest = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(installed(name), "package.json"), "utf8")) as Record<string, any>
const files = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]
  )

describe("packed tarballs", () => {
  it("report the setup timings", () => {
    console.log(`e2e setup (s): ${JSON.stringify(e2e.timings)}`)
    assert.hasAllKeys(e2e.timings, ["build", "pack", "npm install", "tsc"])
  })

  for (const name of published) {
    it(`${name}: compiled JavaScript and declarations, no TypeScript sources, no workspace links`, () => {
      const pkg = manifest(name)
      const all = files(installed(name))
      assert.deepStrictEqual(all.filter((f) => /\.ts$/.test(f) && !/\.d\.c?ts$/.test(f)), [], "no .ts sources")
      assert.isTrue(all.some((f) => /^dist\/index\.js$/.test(f)), "dist/index.js")
      assert.isTrue(all.some((f) => /^dist\/index\.d\.ts$/.test(f)), "dist/index.d.ts")
      const text = JSON.stringify(pkg)
      assert.notInclude(text, "workspace:")
      assert.notInclude(text, "./src/")
      for (const dep of Object.keys(pkg.dependencies ?? {})) {
        assert.isFalse(dep === "effect" || dep.startsWith("@effect/"), `${dep} must be a peer dependency`)
      }
      // the adapter bundles effect (its API is promises: it shares no Effect value with the program)
      if (name === "client") assert.notProperty(pkg, "peerDependencies")
      else assert.property(pkg.peerDependencies, "effect")
    })
  }

  it("client: ESM and CommonJS entry points with declarations for both", () => {
    const pkg = manifest("client")
    assert.deepStrictEqual(Object.keys(pkg.exports["."]), ["import", "require"])
    for (const f of ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"]) {
      assert.isTrue(fs.existsSync(path.join(installed("client"), f)), f)
    }
  })

  it("emulator: a JavaScript bin with a node shebang", () => {
    const pkg = manifest("emulator")
    assert.deepStrictEqual(pkg.bin, { "sogni-emulator": "./dist/bin.js" })
    assert.match(fs.readFileSync(path.join(installed("emulator"), "dist/bin.js"), "utf8"), /^#!\/usr\/bin\/env node\n/)
  })

  for (const [name, options] of Object.entries(tsconfigVariants)) {
    it(`the programs and README snippets type-check with ${JSON.stringify(options)} too`, () => {
      const errors = e2e.variants[name]!.output.split("\n").filter((l) => /error TS\d+/.test(l))
      assert.deepStrictEqual(errors, [], e2e.variants[name]!.output)
    })
  }

  it("the programs type-check under a plain strict tsconfig against the packed declarations", () => {
    // the README snippets share the compile; Snippets.test.ts reports their errors
    const errors = e2e.tsc.output.split("\n").filter((l) => /error TS\d+/.test(l) && !l.startsWith("src/snippets/"))
    assert.deepStrictEqual(errors, [], e2e.tsc.output)
  })
})

describe("programs against the packed emulator", () => {
  let emulator: RunningEmulator
  beforeAll(async () => {
    emulator = await startEmulator(e2e.app, ["--speed", "10"])
  })
  afterAll(() => emulator?.stop())

  it("an Effect program: one image and a streamed chat", async () => {
    const outcome = await runNode(e2e.app, "out/effect-program.js", emulator.env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const result = outcome.result as { images: number; bytes: number; textLength: number }
    assert.strictEqual(result.images, 1)
    assert.isAbove(result.bytes, 100)
    assert.isAbove(result.textLength, 0)
  })

  it("the adapter from ESM: models, an image with progress, a streamed chat", async () => {
    const outcome = await runNode(e2e.app, "out/adapter-program.mjs", emulator.env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const result = outcome.result as { models: number; urls: number; progressEvents: number; textLength: number }
    assert.isAbove(result.models, 0)
    assert.strictEqual(result.urls, 1)
    assert.isAbove(result.progressEvents, 0)
    assert.isAbove(result.textLength, 0)
    assert.strictEqual(outcome.stderr, "", "logLevel silent prints nothing")
  })

  it("an Effect program through deep imports (@effect-sogni/media/Projects, …)", async () => {
    const outcome = await runNode(e2e.app, "out/deep-imports.js", emulator.env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.deepStrictEqual(outcome.result, { urls: 1 })
  })

  it("the adapter from CommonJS", async () => {
    const outcome = await runNode(e2e.app, "out/adapter-program.cjs", emulator.env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.deepStrictEqual(outcome.result, { urls: 1 })
  })
})
