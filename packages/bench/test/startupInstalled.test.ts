import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { Program } from "../src/startup/bundle.js"
import { countModules, installedProgram, installPlan, packageOf } from "../src/startup/installed.js"

const order = ["official", "floor", "effect", "adapter"] as const satisfies ReadonlyArray<Program>
const bench = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  readonly dependencies: Readonly<Record<string, string>>
}

// the installed start-up figures (benchmarks/startup.ts) import these programs from an npm-installed project
describe("startup programs as installed (startup/installed.ts)", () => {
  it("each program becomes plain ESM importing packages by name, the adapter's import of the client's source rewritten", async () => {
    const imports = {} as Record<Program, ReadonlyArray<string>>
    for (const p of order) {
      const program = await installedProgram(p)
      imports[p] = program.imports
      expect(program.code).toMatch(/export\s*\{\s*main\s*\}/)
      // no TypeScript left and nothing relative: the project holds only the program and node_modules
      expect(program.code).not.toMatch(/ProgramOptions/)
      for (const specifier of program.imports) expect(specifier).not.toMatch(/^\./)
    }
    expect(imports.adapter).toEqual(["@effect-sogni/client"])
    expect(imports.official).toEqual(["@sogni-ai/sogni-client"])
    expect(imports.effect).toContain("@effect-sogni/media/Projects")
    // the floor's dynamic import of ws stays a dynamic import
    expect(imports.floor).toContain("ws")
    expect((await installedProgram("floor")).code).toContain(`import("ws")`)
  })

  it("plans the packed packages with their workspace dependencies and pins everything else at the bench's versions", async () => {
    const imports = (await Promise.all(order.map(installedProgram))).flatMap((p) => p.imports)
    const plan = installPlan(imports)
    // media depends on core in the workspace: packing media alone would leave its dependency unresolvable
    expect(plan.packed).toEqual(expect.arrayContaining(["client", "core", "media"]))
    const registry = new Map(plan.registry.map((spec) => [spec.slice(0, spec.lastIndexOf("@")), spec.slice(spec.lastIndexOf("@") + 1)]))
    for (const name of ["@sogni-ai/sogni-client", "effect", "@effect/platform", "ws"]) {
      expect(registry.get(name), name).toBe(bench.dependencies[name])
    }
    expect([...registry.keys()].some((name) => name.startsWith("@effect-sogni/"))).toBe(false)
  })

  it("refuses a package the bench does not pin", () => {
    expect(() => installPlan(["left-pad"])).toThrow(/left-pad, which packages\/bench\/package.json does not pin/)
  })

  it("names the package of a specifier", () => {
    expect(packageOf("effect/Effect")).toBe("effect")
    expect(packageOf("@effect/platform/HttpClient")).toBe("@effect/platform")
    expect(packageOf("ws")).toBe("ws")
  })

  it("counts every module file an import loads, ES modules and CommonJS, once each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effect-sogni-count-"))
    try {
      mkdirSync(join(dir, "node_modules", "dep"), { recursive: true })
      writeFileSync(join(dir, "node_modules", "dep", "package.json"), JSON.stringify({ name: "dep", main: "index.js" }))
      // a CommonJS package whose own require is invisible to ESM loader hooks
      writeFileSync(join(dir, "node_modules", "dep", "index.js"), `module.exports = require("./inner.js")`)
      writeFileSync(join(dir, "node_modules", "dep", "inner.js"), `module.exports = 1`)
      writeFileSync(join(dir, "a.mjs"), `import "./b.mjs"\nimport dep from "dep"\nimport "./b.mjs"\nexport const main = dep`)
      writeFileSync(join(dir, "b.mjs"), `import "node:fs"\nexport {}`)
      const counted = await countModules(join(dir, "a.mjs"))
      expect(counted.total).toBe(4)
      expect(counted.byPackage).toEqual([[".", 2], ["dep", 2]])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
