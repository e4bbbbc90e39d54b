/**
 * The arrow functions a minimal image program's bundle holds at a module's top level, which V8 parses in
 * full when it compiles the bundle: `npx tsx packages/bench/src/startup/eagerArrows.ts [program]`
 * (`effect` by default; `adapter`), per module (the SDK's, then the libraries' in sum), the largest first.
 *
 * V8 compiles the one-module bundle's top level at import and pre-parses the body of every `function` in
 * it (a quick syntax check; the body is parsed again when first called). An arrow function is pre-parsed
 * only at a classic script's top level: at an ES module's top level, and inside any code being compiled,
 * it is parsed in full (its syntax tree built, its scopes resolved) and the tree is then thrown away, the
 * arrow being compiled on its first call like any function. So `export const f = (a) => { ... }`,
 * `Lazy.schema(() => Schema.Struct({ ... }))` or `dual(2, (self, f) => ...)` written at a module's top
 * level costs its whole text at import, in parsing and in the parser's memory, where
 * `export function f(a) { ... }` or `Lazy.schema(function() { ... })` costs a pre-parse
 * (`decompose.ts` has the figures). An arrow inside a `function` (or a method, or an arrow already
 * counted) is pre-parsed with it and is not reported.
 *
 * Reported: arrows at a module's top level outside any `function`, method or accessor, with their bytes
 * (the `function`s nested in them left out: those are pre-parsed anyway), including arrows in a class's
 * `extends` clause. Arrows in class bodies are left out (a field initialiser's arrow usually needs the
 * instance's `this`). `test/eagerArrows.test.ts` holds the SDK modules that the image programs load to none.
 */
import { pathToFileURL } from "node:url"
import ts from "typescript"
import { type Program, programs, unminifiedBundle } from "./bundle.js"

/** An arrow function at a module's top level of a bundle, parsed in full when the bundle is compiled. */
export interface EagerArrow {
  /** The module's path, as esbuild's `// path` comment names it. */
  readonly module: string
  /** The variable it initialises (or is nested in the initialiser of), when there is one. */
  readonly name: string | undefined
  /** 1-based line in the bundle. */
  readonly line: number
  /** Its bytes in the unminified bundle, less those of the `function`s nested in it. */
  readonly bytes: number
}

const lazyParsed = (n: ts.Node): boolean =>
  ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n) || ts.isGetAccessor(n) ||
  ts.isSetAccessor(n) || ts.isConstructorDeclaration(n)

/** The top-level arrows of `text` (an unminified bundle from `unminifiedBundle`), in the order they appear. */
export const eagerArrows = (text: string): ReadonlyArray<EagerArrow> => {
  const starts: Array<{ readonly at: number; readonly module: string }> = [{ at: 0, module: "(prelude)" }]
  let at = 0
  for (const line of text.split("\n")) {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(line)
    if (m !== null) starts.push({ at, module: m[1]! })
    at += line.length + 1
  }
  const moduleAt = (pos: number): string => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]!.at <= pos) lo = mid
      else hi = mid - 1
    }
    return starts[lo]!.module
  }
  const source = ts.createSourceFile("bundle.mjs", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const nestedFunctionBytes = (arrow: ts.Node): number => {
    let bytes = 0
    const visit = (n: ts.Node): void => {
      if (lazyParsed(n)) bytes += n.end - n.getStart(source)
      else ts.forEachChild(n, visit)
    }
    ts.forEachChild(arrow, visit)
    return bytes
  }
  const nameOf = (n: ts.Node): string | undefined => {
    for (let p: ts.Node | undefined = n.parent; p !== undefined; p = p.parent) {
      if (ts.isVariableDeclaration(p) || ts.isClassDeclaration(p)) return p.name?.getText(source)
    }
    return undefined
  }
  const found: Array<EagerArrow> = []
  const visit = (n: ts.Node): void => {
    if (lazyParsed(n)) return
    if (ts.isClassLike(n)) {
      for (const clause of n.heritageClauses ?? []) visit(clause)
      return
    }
    if (ts.isArrowFunction(n)) {
      const start = n.getStart(source)
      found.push({
        module: moduleAt(start),
        name: nameOf(n),
        line: source.getLineAndCharacterOfPosition(start).line + 1,
        bytes: n.end - start - nestedFunctionBytes(n)
      })
      return
    }
    ts.forEachChild(n, visit)
  }
  ts.forEachChild(source, visit)
  return found
}

const main = async () => {
  const program = (process.argv[2] ?? "effect") as Program
  if (!(program in programs)) throw new Error(`unknown program ${program}; one of ${Object.keys(programs).join(", ")}`)
  const arrows = eagerArrows(await unminifiedBundle(program))
  const sdk = /(?:^|\/)packages\/[^/]+\/src\//
  const byModule = new Map<string, { count: number; bytes: number }>()
  for (const a of arrows) {
    const key = sdk.test(a.module) ? a.module : "(libraries)"
    const m = byModule.get(key) ?? { count: 0, bytes: 0 }
    m.count++
    m.bytes += a.bytes
    byModule.set(key, m)
  }
  console.log(`\n${program}: arrow functions at a module's top level (parsed in full at import), KB unminified\n`)
  for (const [module, m] of [...byModule].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${(m.bytes / 1024).toFixed(1).padStart(6)}  ${String(m.count).padStart(5)}  ${module}`)
  }
}

// run as a script; imported by the test for `eagerArrows` alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
