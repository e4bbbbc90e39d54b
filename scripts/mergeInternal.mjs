// Merges a package's compiled internal modules into the public module that owns them, so that a Node
// user who imports the package without a bundler loads fewer files: `node scripts/mergeInternal.mjs
// packages/core/dist`, run by `scripts/build.mjs` on the packages listed there after `tsc`.
//
// Why: installed (packed tarball, plain `npm`, `node`), Node's ESM loader pays per module file (resolve,
// stat, read, compile, link: about 1 ms each here) and per bare specifier (`effect/Effect` from a file of
// ours walks up `node_modules` and scans effect's 179-key `exports` map, ~0.1 ms each); nothing is
// tree-shaken either way. A minimal image program loads 49 of core's and media's files; many are
// `src/internal/` modules that only one public module reaches.
//
// What: public modules are the files at the root of `dist/` (the package's `exports`: `./*`;
// `./internal/*` is closed). An internal module is *owned* by a public module when every static import
// chain that reaches it from a public module, a dynamic `import()` target or a shared internal module
// starts at that one module (and passes only through internal modules owned by it). Owned modules are
// bundled into their owner's file (esbuild, ESM, nothing minified, every package and every other kept
// file left as an import); the rest stay files of their own: the public modules, every target of a
// dynamic `import()` (loaded on first use: merging it would load it at import), and internal modules
// reached from two owners or more (merged twice they would exist twice). So every module's code still
// exists once, loads when it loaded before, and no module moves behind or out of a dynamic import: the
// change is the file layout of `dist/` only. Declarations (`.d.ts`) are left as `tsc` wrote them.
import { build } from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"

const walk = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".js") ? [path.join(dir, e.name)] : []
  )

/** The static and dynamic imports of each `.js` file under `dist` (absolute paths; packages left out). */
const importGraph = async (dist, files) => {
  const { metafile } = await build({
    entryPoints: files,
    absWorkingDir: dist,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    packages: "external",
    outdir: path.join(dist, ".graph"),
    logLevel: "silent"
  })
  const graph = new Map(files.map((f) => [f, { static: [], dynamic: [] }]))
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    const from = path.resolve(dist, input)
    if (!graph.has(from)) continue
    for (const i of imports) {
      if (i.external) continue
      const to = path.resolve(dist, i.path)
      if (!graph.has(to)) continue
      graph.get(from)[i.kind === "dynamic-import" ? "dynamic" : "static"].push(to)
    }
  }
  return graph
}

/**
 * The files that stay (`roots`) and the owner of every merged one: public modules and dynamic-import
 * targets are roots; an internal module reached from more than one root (or from none) becomes a root, until
 * nothing changes.
 */
const ownership = (dist, graph) => {
  const roots = new Set()
  for (const [file, { dynamic }] of graph) {
    if (path.dirname(file) === dist) roots.add(file)
    for (const d of dynamic) roots.add(d)
  }
  for (;;) {
    const owners = new Map()
    for (const root of roots) {
      const seen = new Set([root])
      const queue = [...graph.get(root).static]
      while (queue.length > 0) {
        const f = queue.pop()
        if (seen.has(f) || roots.has(f)) continue
        seen.add(f)
        if (!owners.has(f)) owners.set(f, new Set())
        owners.get(f).add(root)
        queue.push(...graph.get(f).static)
      }
    }
    const isShared = (f) => !roots.has(f) && (owners.get(f)?.size ?? 0) !== 1
    const shared = [...graph.keys()].filter(isShared)
    if (shared.length === 0) return { roots, ownerOf: (f) => (roots.has(f) ? f : [...owners.get(f)][0]) }
    // only the topmost shared modules become roots: a module below one of them may turn out to be its alone
    const below = new Set(shared.flatMap((f) => graph.get(f).static))
    for (const f of shared) if (!below.has(f)) roots.add(f)
    if (shared.every((f) => below.has(f))) for (const f of shared) roots.add(f)
  }
}

export const mergeInternal = async (distArg) => {
  const dist = path.resolve(distArg)
  const files = walk(dist)
  const graph = await importGraph(dist, files)
  const { roots, ownerOf } = ownership(dist, graph)
  const out = fs.mkdtempSync(path.join(dist, "..", ".merge-"))
  try {
    await build({
      entryPoints: [...roots],
      absWorkingDir: dist,
      outbase: dist,
      outdir: out,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20.10",
      packages: "external",
      sourcemap: true,
      logLevel: "warning",
      plugins: [{
        name: "keep-roots",
        setup(b) {
          // an import of a kept file from any module merged into `owner` stays an import, relative to the owner's file
          b.onResolve({ filter: /^\./ }, (args) => {
            const target = path.resolve(args.resolveDir, args.path)
            if (!roots.has(target) || args.kind === "entry-point") return undefined
            const owner = ownerOf(args.importer)
            if (target === owner) return undefined
            let spec = path.relative(path.dirname(owner), target).split(path.sep).join("/")
            if (!spec.startsWith(".")) spec = `./${spec}`
            return { path: spec, external: true }
          })
        }
      }]
    })
    for (const f of files) {
      fs.rmSync(f)
      fs.rmSync(`${f}.map`, { force: true })
    }
    fs.cpSync(out, dist, { recursive: true })
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
  return { files: files.length, kept: roots.size }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  for (const dist of process.argv.slice(2)) {
    const { files, kept } = await mergeInternal(dist)
    if (!process.env.BUILD_QUIET) process.stdout.write(`${dist}: ${files} module files -> ${kept}\n`)
  }
}
