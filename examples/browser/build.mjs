// Bundles main.ts for browsers into dist/main.js (esbuild, platform "browser": no Node built-ins allowed).
import * as esbuild from "esbuild"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const dir = path.dirname(fileURLToPath(import.meta.url))

/** Builds the page's script; resolves with esbuild's metafile. */
export const build = () =>
  esbuild.build({
    entryPoints: [path.join(dir, "main.ts")],
    outfile: path.join(dir, "dist/main.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: true,
    metafile: true,
    // Results.save's fallback loads Node's fs lazily, only when a file is written (never in a page)
    external: ["node:fs/promises", "node:path"],
    logLevel: "warning"
  })

if (process.argv[1] === fileURLToPath(import.meta.url)) await build()
