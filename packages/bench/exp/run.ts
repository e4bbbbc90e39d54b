import { build } from "esbuild"
import { coldImport } from "../src/benchmarks/startup.js"
import { bundle, programs } from "../src/startup/bundle.js"
import { mkdirSync } from "node:fs"
const names = process.argv.slice(2)
mkdirSync("/tmp/exp", { recursive: true })
const files: Record<string, string> = {}
for (const n of names) {
  if (n in programs) { const b = await bundle(n as any, "/tmp/exp"); files[n] = b.file!; console.log(n, b.bytes); continue }
  const src = n.startsWith("/") ? n : new URL(`./${n}.ts`, import.meta.url).pathname
  const out = `/tmp/exp/${n.replace(/\W/g, "_")}.mjs`
  const r = await build({ entryPoints: [src], bundle: true, minify: true, platform: "node", target: "node20", format: "esm", outfile: out, logLevel: "silent", legalComments: "none", external: ["ws"], metafile: true })
  files[n] = out
  console.log(n, Object.values(r.metafile.outputs)[0]!.bytes)
}
const runs = Number(process.env.RUNS ?? 21)
const res: Record<string, number[]> = {}
for (let i = 0; i < runs; i++) for (const n of i % 2 ? [...names].reverse() : names) (res[n] ??= []).push((await coldImport(files[n]!, i)).cpuMs)
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
for (const n of names) console.log(n, med(res[n]!).toFixed(1))
