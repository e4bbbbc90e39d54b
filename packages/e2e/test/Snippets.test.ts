/**
 * Docs that run: every TypeScript block of README.md and packages/<name>/README.md is compiled (in the
 * user's project of the global setup, plain strict tsconfig, packed declarations), and each block not
 * marked `<!-- snippet: compile-only -->` runs against the packed emulator and must exit 0.
 */
import { afterAll, assert, beforeAll, describe, inject, it } from "@effect/vitest"
import { type RunningEmulator, runNode, startEmulator } from "./emulator.js"
import * as Snippets from "./snippets.js"

const e2e = inject("e2e")

describe("snippet extraction", () => {
  it("takes ts blocks, honours compile-only, skips other languages, names README and line", () => {
    const md = [
      "# T",
      "```ts",
      "const a = 1",
      "```",
      "<!-- snippet: compile-only -->",
      "",
      "```typescript",
      "const b = 2",
      "```",
      "```sh",
      "echo no",
      "```"
    ].join("\n")
    assert.deepStrictEqual(Snippets.extract("packages/x/README.md", md), [
      { source: "packages/x/README.md", line: 2, run: true, code: "const a = 1\n", file: "packages-x-readme-L2.ts" },
      { source: "packages/x/README.md", line: 7, run: false, code: "const b = 2\n", file: "packages-x-readme-L7.ts" }
    ])
  })

  it("refuses an unknown marker and an unclosed fence, naming the line", () => {
    assert.throws(() => Snippets.extract("R.md", "<!-- snippet: skip -->\n```ts\nx\n```"), /R\.md:1: unknown snippet marker "skip"/)
    assert.throws(() => Snippets.extract("R.md", "text\n```ts\nx"), /R\.md:2: unclosed code fence/)
  })

  it("finds the READMEs' blocks", () => {
    assert.isAbove(e2e.snippets.length, 0)
    assert.include(e2e.snippets.map((s) => s.source), "README.md")
  })
})

describe("README snippets compile", () => {
  for (const s of e2e.snippets) {
    it(`${s.source}:${s.line}`, () => {
      const errors = e2e.tsc.output.split("\n").filter((l) => l.startsWith(`src/snippets/${s.file}(`))
      // line numbers in the errors are the snippet's line + 1 (the first line names the README)
      assert.deepStrictEqual(errors, [], `${s.source}:${s.line} does not compile:\n${errors.join("\n")}`)
    })
  }
})

describe.concurrent("README snippets run against the emulator", () => {
  let emulator: RunningEmulator
  beforeAll(async () => {
    emulator = await startEmulator(e2e.app, ["--speed", "10"])
  })
  afterAll(() => emulator?.stop())

  for (const s of e2e.snippets.filter((s) => s.run)) {
    it(`${s.source}:${s.line}`, async () => {
      const outcome = await runNode(e2e.app, `out/snippets/${s.file.replace(/\.ts$/, ".js")}`, {
        ...emulator.env,
        SOGNI_APP_ID: `snippet-${s.file}`
      }, 60_000)
      assert.strictEqual(outcome.code, 0, `${s.source}:${s.line} failed:\n${outcome.stdout}\n${outcome.stderr}`)
    })
  }
})
