import { build } from "esbuild"
import { fileURLToPath } from "node:url"
import { programs, dynamicImportsExternal } from "../src/startup/bundle.js"
const p = process.argv[2] as keyof typeof programs
const r = await build({ entryPoints: [fileURLToPath(programs[p])], bundle: true, minify: true, platform: "node", target: "node20", format: "esm", write: false, logLevel: "silent", metafile: true, plugins: [dynamicImportsExternal(p)]})
const out = Object.values(r.metafile.outputs)[0]!
const by: Record<string, number> = {}
const rows: Array<[string, number]> = []
for (const [f, v] of Object.entries(out.inputs)) {
  const m = f.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
  const pkg = m ? m[1]! : f.split("/").slice(0, 3).join("/")
  by[pkg] = (by[pkg] ?? 0) + v.bytesInOutput
  rows.push([f.replace(/.*node_modules\//, ""), v.bytesInOutput])
}
console.log(by)
if (process.env.TOP) for (const [f, b] of rows.sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP))) console.log(b, f)
