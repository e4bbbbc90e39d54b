/**
 * The README snippet check: every ```ts block of README.md and packages/<name>/README.md becomes a file of
 * a user's project, compiled under a plain strict tsconfig; the ones meant to run are run against the
 * emulator. An HTML comment on the line before a block says what to do with it:
 *
 * - nothing: compile and run (with SOGNI_API_KEY / SOGNI_REST_ENDPOINT / SOGNI_SOCKET_ENDPOINT set to the
 *   emulator's);
 * - `<!-- snippet: compile-only -->`: compile only (a block that needs something the emulator cannot
 *   give, or that does not end).
 */
import * as fs from "node:fs"
import * as path from "node:path"

/** One fenced TypeScript block. */
export interface Snippet {
  /** The README, relative to the repository root. */
  readonly source: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly run: boolean
  readonly code: string
  /** A file name for the snippet in the user's project (names the README and line). */
  readonly file: string
}

const MARKER = /^<!--\s*snippet:\s*([a-z-]+)\s*-->$/

/** The TypeScript blocks of one Markdown text; an unknown marker is an error naming its line. */
export const extract = (source: string, markdown: string): ReadonlyArray<Snippet> => {
  const lines = markdown.split("\n")
  const out: Array<Snippet> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]!)
    if (open === null) continue
    const start = i
    let end = i + 1
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++
    if (end >= lines.length) throw new Error(`${source}:${start + 1}: unclosed code fence`)
    i = end
    if (open[1] !== "ts" && open[1] !== "typescript") continue
    let previous = start - 1
    while (previous >= 0 && lines[previous]!.trim() === "") previous--
    const marker = previous >= 0 ? MARKER.exec(lines[previous]!.trim()) : null
    if (marker !== null && marker[1] !== "compile-only") {
      throw new Error(`${source}:${previous + 1}: unknown snippet marker "${marker[1]}" (known: compile-only)`)
    }
    const slug = source.replace(/README\.md$/, "readme").replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")
    out.push({
      source,
      line: start + 1,
      run: marker === null,
      code: lines.slice(start + 1, end).join("\n") + "\n",
      file: `${slug}-L${start + 1}.ts`
    })
  }
  return out
}

/** The READMEs the check covers, relative to `root`. */
export const readmes = (root: string): ReadonlyArray<string> => [
  "README.md",
  ...fs.readdirSync(path.join(root, "packages"))
    .filter((name) => fs.existsSync(path.join(root, "packages", name, "README.md")))
    .sort()
    .map((name) => `packages/${name}/README.md`)
]

/** Every snippet of every README under `root`. */
export const all = (root: string): ReadonlyArray<Snippet> =>
  readmes(root).flatMap((source) => extract(source, fs.readFileSync(path.join(root, source), "utf8")))
