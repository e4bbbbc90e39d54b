/**
 * Bundles: programs bundled by esbuild (from the workspace sources) into one file, copied alone into an
 * empty temporary folder (no node_modules anywhere above it) and run with node. The image program runs
 * against the emulator over loopback; the tools program needs the manifest, schemas and ajv inside the
 * bundle. A program that never touches tools carries none of the tool catalog.
 */
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { runNode } from "../../e2e/test/emulator.js"

const here = path.dirname(fileURLToPath(import.meta.url))

/** Bundles `entry` (ESM for Node, everything inlined) into a fresh empty folder; returns the folder. */
const bundle = async (entry: string): Promise<{ readonly dir: string; readonly code: string }> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-sogni-bundle-"))
  const outfile = path.join(dir, "program.mjs")
  await esbuild.build({
    entryPoints: [path.join(here, "../bundle", entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    // ws's optional native speed-ups, loaded in a try/catch
    external: ["bufferutil", "utf-8-validate"],
    // CommonJS dependencies (ws) require Node built-ins; give the ESM bundle a require
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
  })
  return { dir, code: fs.readFileSync(outfile, "utf8") }
}

/** A string only the protocol package's tool manifest contains. */
const manifestMarker = (): string => {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(here, "../../core/node_modules/@sogni-ai/sogni-protocol/manifests/openai-tools.json"), "utf8")
  ) as { tools: Array<{ function: { description: string } }> }
  return manifest.tools[0]!.function.description.slice(0, 60)
}

describe("bundled programs", () => {
  it.scopedLive("a minimal image program runs from an empty folder and carries no tool catalog", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ port: 0, speed: 10 })
      const { code, dir } = yield* Effect.acquireRelease(
        Effect.promise(() => bundle("image-program.ts")),
        ({ dir }) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      )
      assert.deepStrictEqual(fs.readdirSync(dir), ["program.mjs"])
      assert.notInclude(code, manifestMarker(), "the tool manifest is left out of a program without tools")
      const outcome = yield* Effect.promise(() =>
        runNode(dir, "program.mjs", {
          SOGNI_API_KEY: emulator.apiKey,
          SOGNI_REST_ENDPOINT: emulator.url,
          SOGNI_SOCKET_ENDPOINT: emulator.wsUrl
        })
      )
      assert.strictEqual(outcome.code, 0, outcome.stderr)
      const result = outcome.result as { images: number; url: string | null }
      assert.strictEqual(result.images, 1)
      assert.match(result.url ?? "", /^http:\/\/127\.0\.0\.1:/)
    }), 120_000)

  it.live("the tool catalog and the argument validator work from a bundle alone", () =>
    Effect.gen(function*() {
      const { code, dir } = yield* Effect.promise(() => bundle("tools-program.ts"))
      try {
        assert.include(code, manifestMarker())
        const outcome = yield* Effect.promise(() => runNode(dir, "program.mjs", {}))
        assert.strictEqual(outcome.code, 0, outcome.stderr)
        const result = outcome.result as { tools: number; version: string; refused: Array<string>; accepted: boolean }
        assert.isAbove(result.tools, 20)
        assert.isString(result.version)
        assert.include(result.refused, "width/type")
        assert.isTrue(result.accepted)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }), 120_000)
})
