/**
 * Which dynamic `import()`s a minimal image program's `main` really runs, found by running it.
 *
 * `bundle.ts` counts a program's static imports plus the dynamic imports listed for it in
 * `loadedByMain`, and reports every other dynamic import as `lazy` (outside the figures). That split is
 * only honest if the list is right: code moved behind an `import()` that the program then loads anyway
 * would leave the figures while still being loaded. This module checks the list against a real run:
 *
 * - the program is bundled with esbuild's code splitting, so each dynamic-import target becomes a chunk
 *   of its own, and every chunk opens with a line that records its URL in a global set when it is
 *   evaluated;
 * - a fresh `node` imports the entry chunk, then runs `main` against the given server (an emulator) and
 *   prints the chunks evaluated after the import;
 * - the chunks are mapped back, through esbuild's metafile, to the `import()` specifiers that reach them.
 *
 * `test/bundleSize.test.ts` holds the result equal to `loadedByMain`.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { build, type Plugin } from "esbuild"
import { type Program, programs, resolveDynamicImport } from "./bundle.js"
import type { ProgramOptions } from "./programs/options.js"

const run = promisify(execFile)

/** Records, for every dynamic `import()`, the file it resolves to and the specifier written. */
const dynamicTargets = (targets: Map<string, Set<string>>): Plugin => ({
  name: "dynamic-targets",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      const path = await resolveDynamicImport(b, args, "dynamic-targets")
      if (path === undefined) return undefined
      const specifiers = targets.get(path) ?? new Set<string>()
      specifiers.add(args.path)
      targets.set(path, specifiers)
      return undefined
    })
  }
})

// evaluated first in every chunk: the chunk's URL joins the set the runner reads after `main`
const banner = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" +
  "(globalThis.__startupChunks??=new Set).add(import.meta.url);"

// the runner: import (chunks evaluated then are static), run main, print the chunks evaluated since
const runner = [
  "const [entry, options] = [process.argv[1], JSON.parse(process.argv[2])];",
  "const m = await import(entry);",
  "const before = new Set(globalThis.__startupChunks);",
  "await m.main(options);",
  "const after = [...globalThis.__startupChunks].filter((u) => !before.has(u));",
  "process.stdout.write('LOADED ' + JSON.stringify(after) + '\\n');",
  "process.exit(0);"
].join("\n")

/**
 * The dynamic-import specifiers whose targets `program`'s `main` evaluated when run against `options`'
 * server, sorted. A target reached by more than one specifier reports each of them.
 */
export const dynamicImportsRun = async (program: Program, options: ProgramOptions): Promise<ReadonlyArray<string>> => {
  const dir = mkdtempSync(join(tmpdir(), `startup-run-${program}-`))
  try {
    const targets = new Map<string, Set<string>>()
    const result = await build({
      entryPoints: { main: fileURLToPath(programs[program]) },
      bundle: true,
      splitting: true,
      platform: "node",
      target: "node20",
      format: "esm",
      outdir: dir,
      outExtension: { ".js": ".mjs" },
      write: true,
      metafile: true,
      logLevel: "silent",
      banner: { js: banner },
      plugins: [dynamicTargets(targets)]
    })
    // output chunk (absolute path) -> the source file it is the entry of
    const entryOf = new Map<string, string>()
    for (const [out, meta] of Object.entries(result.metafile.outputs)) {
      if (meta.entryPoint !== undefined) entryOf.set(resolve(out), resolve(meta.entryPoint))
    }
    const { stdout } = await run(
      process.execPath,
      ["--input-type=module", "-e", runner, pathToFileURL(join(dir, "main.mjs")).href, JSON.stringify(options)],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }
    )
    const line = stdout.split("\n").find((l) => l.startsWith("LOADED "))
    if (line === undefined) throw new Error(`${program}: the run printed no LOADED line:\n${stdout}`)
    const loaded = JSON.parse(line.slice("LOADED ".length)) as ReadonlyArray<string>
    const specifiers = new Set<string>()
    for (const url of loaded) {
      const source = entryOf.get(fileURLToPath(url))
      const reached = source === undefined ? undefined : targets.get(source)
      for (const specifier of reached ?? []) specifiers.add(specifier)
    }
    return [...specifiers].sort()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
