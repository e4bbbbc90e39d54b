import { build } from "esbuild"
import { fileURLToPath } from "node:url"
import { programs } from "./src/startup/bundle.ts"
const p = process.argv[2] as keyof typeof programs
const r = await build({ entryPoints: [fileURLToPath(programs[p])], bundle: true, minify: true, platform: "node", target: "node20", format: "esm", write: false, metafile: true, logLevel: "silent",
  plugins: [{ name: "x", setup(b) { b.onResolve({ filter: /.*/ }, (a) => a.kind === "dynamic-import" ? { path: a.path, external: true } : undefined) } }] })
const out = Object.values(r.metafile!.outputs)[0]!
const rows = Object.entries(out.inputs).map(([k, v]) => [k.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, ""), v.bytesInOutput] as const).sort((a, b) => b[1] - a[1])
const filter = process.argv[3]
for (const [k, n] of rows) if (!filter || k.includes(filter)) console.log(String(n).padStart(8), k)
