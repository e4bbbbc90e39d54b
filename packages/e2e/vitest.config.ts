import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    include: ["test/**/*.test.ts"],
    // builds and packs every package once per run, installs the tarballs with npm into a temporary
    // project outside the workspace and compiles the programs and README snippets there
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
