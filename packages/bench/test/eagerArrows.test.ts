/**
 * The core and media modules that the minimal image programs load, and the client modules that the
 * adapter's program loads, declare no arrow function at their top level: V8 parses those in full when it
 * compiles the bundle at import, where a `function` is only pre-parsed (`src/startup/eagerArrows.ts`;
 * `src/startup/decompose.ts` has the figures). An offence is reported as `module:name (bytes)`; write it
 * as a function declaration or a `function` expression.
 */
import { describe, expect, it } from "vitest"
import { type Program, unminifiedBundle } from "../src/startup/bundle.js"
import { eagerArrows } from "../src/startup/eagerArrows.js"

const sdkModules = /(?:^|\/)packages\/(?:core|media|client)\/src\//

describe("top-level arrow functions (parsed in full at import)", () => {
  for (const program of ["effect", "adapter"] as const satisfies ReadonlyArray<Program>) {
    it(`none in the SDK's modules of the ${program} program`, async () => {
      const text = await unminifiedBundle(program)
      const all = eagerArrows(text)
      // the walk itself works: the libraries' modules have plenty
      expect(all.filter((a) => a.module.includes("node_modules/")).length).toBeGreaterThan(100)
      // and the SDK's modules are named as `sdkModules` expects (esbuild names them relative to its
      // working directory: before bundle.ts fixed it at the repository's root, a run from packages/bench
      // named them `../core/src/…` and this test passed whatever those modules held)
      const named = [...text.matchAll(/^\/\/ (\S+\.ts)$/gm)].filter((m) => sdkModules.test(m[1]!))
      expect(named.length).toBeGreaterThan(20)
      const offences = all.filter((a) => sdkModules.test(a.module))
      expect(offences.map((a) => `${a.module}:${a.name ?? `line ${a.line}`} (${a.bytes} B)`)).toEqual([])
    })
  }
})
