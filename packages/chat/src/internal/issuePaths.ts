/**
 * A schema failure by path and kind only, walked without recursion. Effect's formatters describe the
 * offending value in full and recurse over it, so a hostile answer nested a few thousand levels deep
 * overflows the stack while its error is being described (a defect instead of the decode error); and a
 * chat answer can echo the prompt, so no value appears at all. Core keeps the same walk for its own REST
 * decoding, behind its `internal/` boundary.
 *
 * @internal
 */
import type * as ParseResult from "effect/ParseResult"

/** How many failures a message lists before it says how many more there were. */
const shown = 8

/**
 * `path: Kind` for the first few failures of `root` in document order (`(root)` for the top), joined by
 * `; `, then how many more there were.
 *
 * @internal
 */
export const issuePaths = (root: ParseResult.ParseIssue): string => {
  const parts: Array<string> = []
  let total = 0
  const stack: Array<{ readonly issue: ParseResult.ParseIssue; readonly path: ReadonlyArray<PropertyKey> }> = [{ issue: root, path: [] }]
  while (stack.length > 0) {
    const { issue, path } = stack.pop()!
    switch (issue._tag) {
      case "Pointer":
        stack.push({ issue: issue.issue, path: [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path as PropertyKey])] })
        break
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
        if (parts.length < shown) parts.push(`${path.length === 0 ? "(root)" : path.map(String).join(".")}: ${issue._tag}`)
    }
  }
  return parts.join("; ") + (total > parts.length ? `; and ${total - parts.length} more` : "")
}
