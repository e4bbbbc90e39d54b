/**
 * Bounded descriptions of schema parse failures, for data that came from outside: a server's frames and
 * REST answers, a model's answers, a caller's untyped input.
 *
 * Effect's own formatters (`TreeFormatter`, `ArrayFormatter`, and `ParseError#message`, which uses the
 * first) print the offending value in full and recurse over it, so a value nested a few thousand levels
 * deep overflows the stack while its error is being *described*: a `RangeError` defect where a typed
 * decode error belonged. This module walks the issue tree with an explicit stack, keeps only the first few
 * failures, and describes a value by its kind (plus a short excerpt of a primitive) without ever looking
 * inside it. One walk ({@link leaves}), three renderings:
 *
 * - {@link format}: `path: expected X, got Y` with short excerpts of primitive values;
 * - {@link formatPaths}: `path: Kind` with no values of the data at all, for bodies that may hold secrets
 *   or echo a prompt;
 * - {@link message}: the rule of one failure as effect's `ArrayFormatter` words it (a schema's `message`
 *   annotation when it has one), for errors that name a field and its rule.
 *
 * @example
 * ```ts
 * import { ParseIssues } from "@effect-sogni/core"
 * import * as Either from "effect/Either"
 * import * as Schema from "effect/Schema"
 *
 * const decoded = Schema.decodeUnknownEither(Schema.Struct({ a: Schema.Number }))({ a: "x" })
 * if (Either.isLeft(decoded)) {
 *   ParseIssues.format(decoded.left.issue) // 'a: expected number, got a string ("x")'
 *   ParseIssues.formatPaths(decoded.left.issue) // "a: Type"
 * }
 * ```
 *
 * @since 0.2.0
 */
import * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

/** How many failures a rendering lists before it says how many more there were. */
const maxLeaves = 8
/** Longest excerpt of a primitive value, and of an expected type, in a message. */
const maxExcerpt = 60
/** Longest rule message kept from a schema's own wording. */
const maxMessage = 200

function clip(s: string, n: number): string {
  return (s.length <= n ? s : `${s.slice(0, n)}…`)
}

/**
 * A failure at the bottom of an issue tree, and the path of keys and indexes that leads to it.
 *
 * @since 0.2.0
 */
export interface Leaf {
  readonly path: ReadonlyArray<PropertyKey>
  readonly issue: ParseResult.Type | ParseResult.Missing | ParseResult.Unexpected | ParseResult.Forbidden
  /**
   * Set when this one failure stands for a union of literals the value matched none of (a field that must
   * be one of 12 strings fails once, not 12 times): every literal of the union, in order. `issue` is then
   * the first literal's failure.
   */
  readonly allowed?: ReadonlyArray<AST.LiteralValue> | undefined
}

/** A literal member's failure with no wording of its own: what a union of literals folds into one. */
function isPlainLiteralFailure(issue: ParseResult.ParseIssue): issue is ParseResult.Type {
  return issue._tag === "Type" && AST.isLiteral(issue.ast) && issue.message === undefined && annotated(issue) === undefined
}

/**
 * The first `limit` failures of an issue tree in document order, and how many there were in all. A union
 * of literals the value matched none of is one failure (its {@link Leaf.allowed} lists them), not one
 * per literal. The walk uses an explicit stack: its depth costs heap, never call stack.
 *
 * @since 0.2.0
 */
export function leaves(
  root: ParseResult.ParseIssue,
  limit: number = maxLeaves
): { readonly leaves: ReadonlyArray<Leaf>; readonly total: number } {
  const found: Array<Leaf> = []
  let total = 0
  // an issue still to walk; one with `allowed` is a folded union of literals, a leaf already
  const stack: Array<{
    readonly issue: ParseResult.ParseIssue
    readonly path: ReadonlyArray<PropertyKey>
    readonly allowed?: ReadonlyArray<AST.LiteralValue>
  }> = [{ issue: root, path: [] }]
  while (stack.length > 0) {
    const next = stack.pop()!
    const { issue, path } = next
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
        // a union's literals the value matched none of: one failure naming them all, in the first one's place
        const literals = AST.isUnion(issue.ast) ? children.filter(isPlainLiteralFailure) : []
        for (let i = children.length - 1; i >= 0; i--) {
          const child = children[i]!
          if (literals.length < 2 || !literals.includes(child as ParseResult.Type)) stack.push({ issue: child, path })
          else if (child === literals[0]) stack.push({ issue: child, path, allowed: literals.map((l) => (l.ast as AST.Literal).literal) })
        }
        break
      }
      default:
        total++
        if (found.length < limit) found.push(next as Leaf)
    }
  }
  return { leaves: found, total }
}

/** How many allowed values a message lists before it says how many there are in all. */
const maxAllowed = 10

/** A union's literals for a message: `"a", "b", "c"`, the first ten, then `… (12 in all)`. */
function allowedText(allowed: ReadonlyArray<AST.LiteralValue>): string {
  return allowed.slice(0, maxAllowed).map((v) => typeof v === "string" ? clip(JSON.stringify(v), maxExcerpt) : String(v)).join(", ") +
    (allowed.length > maxAllowed ? `, … (${allowed.length} in all)` : "")
}

/**
 * A short description of a value that never looks inside a container: `a number (3)`,
 * `a string ("abc")`, `an array of 12`, `an object`, `null`.
 *
 * @since 0.2.0
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

/**
 * A path as dotted text: `a.b.0`, `(root)` for the top. A key the data chose (a record's) can be of any
 * length: each is cut to a short excerpt.
 *
 * @since 0.2.0
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0
    ? "(root)"
    : path.map((k) => clip(typeof k === "symbol" ? k.toString() : String(k), maxExcerpt)).join(".")
}

function expectedText(ast: AST.AST): string {
  try {
    return clip(String(ast), maxExcerpt)
  } catch {
    return "a different shape"
  }
}

function more(shown: number, total: number): string {
  return (total > shown ? `; and ${total - shown} more` : "")
}

/**
 * `path: expected X, got Y` for the first few failures, joined by `; `, then how many more there were.
 * Primitive values appear as short excerpts, containers only by kind and size; a failure its schema words
 * (a `message` annotation, a transformation's own message) reads `path: <that message>`; a union of
 * literals the value matched none of reads `path: expected one of "a", "b", got …` (the first ten, then
 * how many in all).
 *
 * @since 0.2.0
 */
export function format(root: ParseResult.ParseIssue): string {
  const { leaves: shown, total } = leaves(root)
  const parts = shown.map(({ allowed, issue, path }) => {
    const at = formatPath(path)
    // Missing, Unexpected, Forbidden: `is missing`, …
    if (issue._tag !== "Type") return `${at}: is ${issue._tag.toLowerCase()}`
    // the schema's own wording first, as effect's formatters put it (a refinement's `message`); a folded
    // union of literals has none
    const worded = annotated(issue) ?? issue.message
    return worded !== undefined
      ? `${at}: ${clip(worded, maxMessage)}`
      : `${at}: expected ${allowed !== undefined ? `one of ${allowedText(allowed)}` : expectedText(issue.ast)}, got ${
        describeValue(issue.actual)
      }`
  })
  return parts.join("; ") + more(shown.length, total)
}

/**
 * `path: Kind` (`Type`, `Missing`, `Unexpected`, `Forbidden`) for the first few failures, joined by `; `,
 * then how many more there were: no value of the data appears at all. A union of literals the value
 * matched none of is one entry naming what the schema allows (`kind: Type (one of "a", "b", …)`: the
 * schema's values, never the data's).
 *
 * @since 0.2.0
 */
export function formatPaths(root: ParseResult.ParseIssue): string {
  const { leaves: shown, total } = leaves(root)
  return shown.map(({ allowed, issue, path }) =>
    `${formatPath(path)}: ${issue._tag}${allowed !== undefined ? ` (one of ${allowedText(allowed)})` : ""}`
  ).join("; ") + more(shown.length, total)
}

/**
 * The `message` annotation of an issue's schema, when it words this failure (a string, not an effect). As
 * in effect's formatters, a composite, a `From` refinement or a non-transforming transformation defers to
 * the failure inside it unless its annotation says `override`.
 */
function annotated(issue: ParseResult.ParseIssue): string | undefined {
  if (issue._tag === "Pointer" || issue._tag === "Unexpected" || issue._tag === "Missing") return undefined
  const annotation = AST.getMessageAnnotation(issue.ast)
  if (annotation._tag === "None") return undefined
  const worded = annotation.value(issue)
  const text = typeof worded === "string"
    ? { message: worded, override: false }
    : typeof worded === "object" && worded !== null && "message" in worded && typeof worded.message === "string"
    ? { message: worded.message, override: worded.override === true }
    : undefined
  if (text === undefined) return undefined
  const defers = issue._tag === "Composite" || (issue._tag === "Refinement" && issue.kind === "From") ||
    (issue._tag === "Transformation" && issue.kind !== "Transformation")
  return defers && !text.override ? undefined : text.message
}

/**
 * The rule one failure breaks, worded as effect's `ArrayFormatter` words it: the schema's `message`
 * annotation where there is one (`must be between 1 and 10, got 12`), `is missing`, `is unexpected`, or
 * `Expected X, actual Y`, where Y is {@link describeValue} when the value is a container (effect would
 * print it whole). `issue` may be any node: the walk goes down from it, taking the first branch of a
 * composite, until a schema words the failure or a leaf does.
 *
 * @since 0.2.0
 */
export function message(issue: ParseResult.ParseIssue): string {
  let at = issue
  for (;;) {
    const own = annotated(at)
    if (own !== undefined) return clip(own, maxMessage)
    switch (at._tag) {
      case "Pointer":
      case "Refinement":
      case "Transformation":
        at = at.issue
        continue
      case "Composite": {
        const first = Array.isArray(at.issues) ? (at.issues as ReadonlyArray<ParseResult.ParseIssue>)[0] : at.issues as ParseResult.ParseIssue
        if (first === undefined) return `Expected ${expectedText(at.ast)}, actual ${describeValue(at.actual)}`
        at = first
        continue
      }
      case "Missing":
        return clip(ParseResult.ArrayFormatter.formatIssueSync(at)[0]?.message ?? "is missing", maxMessage)
      case "Unexpected":
        return clip(at.message ?? "is unexpected", maxMessage)
      case "Forbidden":
        return clip(at.message ?? "is forbidden", maxMessage)
      case "Type": {
        if (at.message !== undefined) return clip(at.message, maxMessage)
        const actual = at.actual
        // A primitive cannot recurse: effect's own wording (title annotations, refinement descriptions) is safe.
        if (actual === null || (typeof actual !== "object" && typeof actual !== "function")) {
          return clip(ParseResult.ArrayFormatter.formatIssueSync(at)[0]?.message ?? "is invalid", maxMessage)
        }
        return `Expected ${expectedText(at.ast)}, actual ${describeValue(actual)}`
      }
    }
  }
}
