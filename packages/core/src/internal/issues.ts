/**
 * Bounded, iterative rendering of schema parse issues.
 *
 * Effect's own formatters print the offending value in full and recurse over it, so a hostile payload
 * nested a few thousand levels deep overflows the stack while the error is being *described*. These
 * helpers walk the issue tree with an explicit stack, stop after a fixed number of leaves, and describe
 * a value by its kind (plus a short excerpt for primitives) without ever looking inside it.
 *
 * @internal
 */
import type * as ParseResult from "effect/ParseResult"

/** How many leaf issues a message lists before it says how many more there were. */
const maxLeaves = 8
/** Longest excerpt of a primitive value, and of an expected type, in a message. */
const maxExcerpt = 60

function clip(s: string, n: number) {
  return (s.length <= n ? s : `${s.slice(0, n)}…`)
}

/**
 * A short description of a value that never recurses: `a number (3)`, `a string ("abc")`,
 * `an array of 12`, `an object`, `null`.
 */
export function describeValue(u: unknown): string {
  if (u === null) return "null"
  if (u === undefined) return "undefined"
  if (Array.isArray(u)) return `an array of ${u.length}`
  switch (typeof u) {
    case "string":
      return `a string (${clip(JSON.stringify(u), maxExcerpt)})`
    case "number":
    case "bigint":
    case "boolean":
      return `a ${typeof u} (${clip(String(u), maxExcerpt)})`
    case "object":
      return "an object"
    default:
      return `a ${typeof u}`
  }
}

function pathText(path: ReadonlyArray<PropertyKey>) {
  return path.length === 0 ? "(root)" : path.map((k) => (typeof k === "symbol" ? k.toString() : String(k))).join(".")
}

function expectedText(ast: { toString(): string }): string {
  try {
    return clip(String(ast), maxExcerpt)
  } catch {
    return "a different shape"
  }
}

interface Leaf {
  readonly path: ReadonlyArray<PropertyKey>
  readonly issue: ParseResult.Type | ParseResult.Missing | ParseResult.Unexpected | ParseResult.Forbidden
}

/** The first leaves of an issue tree in document order, and how many there were in all. */
function leavesOf(root: ParseResult.ParseIssue): { readonly leaves: ReadonlyArray<Leaf>; readonly total: number } {
  const leaves: Array<Leaf> = []
  let total = 0
  const stack: Array<{ readonly issue: ParseResult.ParseIssue; readonly path: ReadonlyArray<PropertyKey> }> = [
    { issue: root, path: [] }
  ]
  while (stack.length > 0) {
    const { issue, path } = stack.pop()!
    switch (issue._tag) {
      case "Pointer": {
        const more = Array.isArray(issue.path) ? issue.path : [issue.path as PropertyKey]
        stack.push({ issue: issue.issue, path: [...path, ...more] })
        break
      }
      case "Refinement":
      case "Transformation":
        stack.push({ issue: issue.issue, path })
        break
      case "Composite": {
        const children = Array.isArray(issue.issues)
          ? (issue.issues as ReadonlyArray<ParseResult.ParseIssue>)
          : [issue.issues as ParseResult.ParseIssue]
        for (let i = children.length - 1; i >= 0; i--) stack.push({ issue: children[i]!, path })
        break
      }
      default:
        total++
        if (leaves.length < maxLeaves) leaves.push({ path, issue })
    }
  }
  return { leaves, total }
}

function more(shown: number, total: number) {
  return (total > shown ? `; and ${total - shown} more` : "")
}

/**
 * Describes a parse issue as `path: expected X, got Y` lines joined by `; `, at most a few of them.
 * Primitive values appear as short excerpts, containers only by kind and size.
 */
export function formatIssue(root: ParseResult.ParseIssue): string {
  const { leaves, total } = leavesOf(root)
  const parts = leaves.map(({ issue, path }) => {
    const at = pathText(path)
    switch (issue._tag) {
      case "Missing":
        return `${at}: is missing`
      case "Unexpected":
        return `${at}: is unexpected`
      case "Forbidden":
        return `${at}: is forbidden`
      case "Type":
        return issue.message !== undefined
          ? `${at}: ${clip(issue.message, 200)}`
          : `${at}: expected ${expectedText(issue.ast)}, got ${describeValue(issue.actual)}`
    }
  })
  return parts.join("; ") + more(leaves.length, total)
}

/**
 * Describes a parse issue by path and kind only (no values at all), for bodies that may hold secrets.
 */
export function formatIssuePaths(root: ParseResult.ParseIssue): string {
  const { leaves, total } = leavesOf(root)
  return leaves.map(({ issue, path }) => `${pathText(path)}: ${issue._tag}`).join("; ") + more(leaves.length, total)
}
