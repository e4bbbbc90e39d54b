/**
 * The SDK packages' sources read time and randomness only through Effect's `Clock` and `Random` (so
 * tests can drive them with `TestClock` / `TestRandom`), and buffer nothing without a bound (every
 * queue has a capacity and a written overflow policy).
 *
 * The scan reads `packages/<pkg>/src/**\/*.ts` of the SDK packages, comments stripped, and fails with
 * one line per offence: `path:line  rule  source`. `pending` lists offences known in files that other
 * work owns, each to be removed from the list when its file is fixed: an entry that no longer matches
 * fails too, so the list only shrinks.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const sdkPackages = ["core", "media", "chat", "workflows", "client", "zelai", "sage"] as const

interface Rule {
  readonly name: string
  readonly pattern: RegExp
  readonly instead: string
}

const rules: ReadonlyArray<Rule> = [
  { name: "Date.now", pattern: /\bDate\.now\s*\(/, instead: "Clock.currentTimeMillis (or the clock's unsafeCurrentTimeMillis)" },
  { name: "Math.random", pattern: /\bMath\.random\s*\(/, instead: "Random (effect/Random)" },
  {
    name: "unbounded queue",
    pattern: /\b(?:Queue|MutableQueue|PubSub|TQueue|TPubSub)\.unbounded\b|\bbufferSize\s*:\s*"unbounded"|\bMailbox\.make\s*\(\s*\)/,
    instead: "a bounded buffer with a written overflow policy"
  }
]

/**
 * Offences in files other work owns, as `path: { rule: count }` (issue 12 item 4). Remove an entry with
 * the fix of its file.
 */
const pending: Readonly<Record<string, Readonly<Record<string, number>>>> = {
}

/** Source with comments blanked out (line numbers kept); `//` right after `:` or a quote is kept (URLs). */
const withoutComments = (source: string): string =>
  source
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1")

const sourceFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : []
  })

interface Offence {
  readonly file: string
  readonly line: number
  readonly rule: string
  readonly text: string
}

const scan = (): ReadonlyArray<Offence> =>
  sdkPackages.flatMap((pkg) =>
    sourceFiles(join(root, "packages", pkg, "src")).flatMap((path) => {
      const file = relative(root, path).split("\\").join("/")
      const original = readFileSync(path, "utf8").split("\n")
      return withoutComments(readFileSync(path, "utf8")).split("\n").flatMap((line, i) =>
        rules.filter((rule) => rule.pattern.test(line)).map((rule) => ({
          file,
          line: i + 1,
          rule: rule.name,
          text: original[i]!.trim()
        }))
      )
    })
  )

describe("SDK sources", () => {
  it("the scanner sees through comments but not through code", () => {
    const cleaned = withoutComments([
      "/** uses Date.now() in a doc */",
      "const a = Date.now() // and Math.random() here",
      "const url = \"http://x\" // Queue.unbounded",
      "const q = Queue.unbounded<number>()"
    ].join("\n")).split("\n")
    const hits = cleaned.map((line) => rules.filter((r) => r.pattern.test(line)).map((r) => r.name))
    expect(hits).toEqual([[], ["Date.now"], [], ["unbounded queue"]])
  })

  it("read time and randomness through Clock and Random, and bound every queue", () => {
    const offences = scan()
    const counts = new Map<string, number>()
    for (const o of offences) counts.set(`${o.file} ${o.rule}`, (counts.get(`${o.file} ${o.rule}`) ?? 0) + 1)
    const expected = (file: string, rule: string) => pending[file]?.[rule] ?? 0
    const report: Array<string> = []
    for (const o of offences) {
      if (counts.get(`${o.file} ${o.rule}`) === expected(o.file, o.rule)) continue
      const instead = rules.find((r) => r.name === o.rule)!.instead
      report.push(`${o.file}:${o.line}  ${o.rule} (use ${instead})  ${o.text}`)
    }
    for (const [file, byRule] of Object.entries(pending)) {
      for (const [rule, count] of Object.entries(byRule)) {
        const found = counts.get(`${file} ${rule}`) ?? 0
        if (found < count) {
          report.push(`${file}  ${rule}: listed as pending ${count}×, found ${found}×; update the pending list`)
        }
      }
    }
    expect(report, report.join("\n")).toEqual([])
  })
})
