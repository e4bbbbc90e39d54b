/**
 * Schema building blocks whose failures carry a machine rule id, and the mapping from a Schema parse
 * error to a `SogniInvalidRequest { field, rule, message }`.
 *
 * @internal
 */
import { SogniInvalidRequest } from "@effect-sogni/core/SogniError"
import * as ParseIssues from "@effect-sogni/core/ParseIssues"
import * as ParseResult from "effect/ParseResult"
import * as Lazy from "@effect-sogni/core/Lazy"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/** Annotation key holding the rule id of a filter. @internal */
export const RuleId: unique symbol = Symbol.for("@effect-sogni/media/Params/Rule")

const rule = (id: string, message: (actual: unknown) => string) => ({
  [RuleId]: id,
  message: (issue: ParseResult.ParseIssue) => message(issue.actual)
})

const show = (u: unknown): string => (typeof u === "number" || typeof u === "boolean" ? String(u) : JSON.stringify(u))

/** A finite number. @internal */
export const FiniteNumber = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n), rule("type", (a) => `must be a finite number, got ${show(a)}`))
  )
)

/** A safe integer. @internal */
export const Int = /* @__PURE__ */ Lazy.schema(() =>
  FiniteNumber.pipe(
    Schema.filter((n) => Number.isSafeInteger(n), rule("integer", (a) => `must be an integer, got ${show(a)}`))
  )
)

/** A number within `[min, max]`. @internal */
export const between = (min: number, max: number) =>
  FiniteNumber.pipe(
    Schema.filter((n) => n >= min && n <= max, rule("range", (a) => `must be between ${min} and ${max}, got ${show(a)}`))
  )

/** An integer within `[min, max]`. @internal */
export const intBetween = (min: number, max: number) =>
  Int.pipe(
    Schema.filter((n) => n >= min && n <= max, rule("range", (a) => `must be between ${min} and ${max}, got ${show(a)}`))
  )

/** A number ≥ `min`. @internal */
export const atLeast = (min: number) =>
  FiniteNumber.pipe(Schema.filter((n) => n >= min, rule("range", (a) => `must be at least ${min}, got ${show(a)}`)))

/** A number > 0. @internal */
export const Positive = /* @__PURE__ */ Lazy.schema(() =>
  FiniteNumber.pipe(
    Schema.filter((n) => n > 0, rule("range", (a) => `must be greater than 0, got ${show(a)}`))
  )
)

/** An integer ≥ `min`. @internal */
export const intAtLeast = (min: number) =>
  Int.pipe(Schema.filter((n) => n >= min, rule("range", (a) => `must be at least ${min}, got ${show(a)}`)))

/** A string with visible content. @internal */
export const NonBlank = /* @__PURE__ */ Lazy.schema(() =>
  Schema.String.pipe(
    Schema.filter((s) => s.trim().length > 0, rule("required", () => "must not be empty"))
  )
)

/** An array of at most `n` items. @internal */
export const upTo = <S extends Schema.Schema.Any>(item: S, n: number) =>
  Schema.Array(item).pipe(
    Schema.filter(
      (a) => a.length <= n,
      rule("max-count", (a) => `must have at most ${n} entries, got ${Array.isArray(a) ? a.length : "?"}`)
    )
  )

/** A 64-digit hex SHA-256 digest. @internal */
export const Sha256 = /* @__PURE__ */ Lazy.schema(() =>
  Schema.String.pipe(
    Schema.filter((s) => /^[a-f0-9]{64}$/i.test(s), rule("format", () => "must be a SHA-256 hex digest"))
  )
)

/**
 * Keys that were removed from the protocol and are refused with rule `retired`. A `Map`, not an object
 * literal: a caller's key such as `toString`, `constructor` or `__proto__` must not find an inherited entry.
 *
 * @internal
 */
export const retiredKeys: ReadonlyMap<string, string> = new Map([
  ["outputScale", "outputScale is no longer supported; for MiniMax H3 1080p or 2K output use the _2stage model ids."],
  ["smartDuration", "Wan 3 smartDuration has been retired; send an explicit duration between 2 and 30 seconds."]
])

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, key) =>
      typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`,
    ""
  )

const isLiteralChoice = (ast: AST.AST): boolean =>
  AST.isLiteral(ast) || (AST.isUnion(ast) && ast.types.every((t) => AST.isLiteral(t)))

interface Leaf {
  readonly path: ReadonlyArray<PropertyKey>
  readonly rule: string
  readonly issue: ParseResult.ParseIssue
}

const isIssueList = (
  issues: ParseResult.SingleOrNonEmpty<ParseResult.ParseIssue>
): issues is readonly [ParseResult.ParseIssue, ...Array<ParseResult.ParseIssue>] => Array.isArray(issues)

const leafOf = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>): Leaf => {
  switch (issue._tag) {
    case "Pointer":
      return leafOf(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])])
    case "Composite": {
      const issues: ReadonlyArray<ParseResult.ParseIssue> = isIssueList(issue.issues) ? issue.issues : [issue.issues]
      // A value matching no member of a union of plain types (literals, bytes | true): report the union.
      if (AST.isUnion(issue.ast) && issues.every((i) => i._tag === "Type")) {
        const rule = isLiteralChoice(issue.ast) ? "allowed-values" : "type"
        return { path, rule, issue: new ParseResult.Type(issue.ast, issue.actual) }
      }
      return leafOf(issues[0]!, path)
    }
    case "Transformation":
      return leafOf(issue.issue, path)
    case "Refinement": {
      if (issue.kind === "From") return leafOf(issue.issue, path)
      const id = issue.ast.annotations[RuleId]
      return { path, rule: typeof id === "string" ? id : "invalid", issue }
    }
    case "Missing":
      return { path, rule: "required", issue }
    case "Unexpected": {
      const key = path[path.length - 1]
      return { path, rule: typeof key === "string" && retiredKeys.has(key) ? "retired" : "unknown-field", issue }
    }
    case "Forbidden":
      return { path, rule: "forbidden", issue }
    case "Type":
      return { path, rule: isLiteralChoice(issue.ast) ? "allowed-values" : "type", issue }
  }
}

/**
 * The first issue of a parse error as a `SogniInvalidRequest`: `field` is the dotted path
 * (`controlNet.strength`, `contextImages[2]`), `rule` the filter's rule id (`range`, `integer`,
 * `max-count`, …), `required` for a missing key, `allowed-values` for a value outside a literal set,
 * `unknown-field` / `retired` for keys the schema does not know.
 *
 * @internal
 */
export const toInvalidRequest = (error: ParseResult.ParseError, root = "params"): SogniInvalidRequest => {
  const leaf = leafOf(error.issue, [])
  const field = leaf.path.length === 0 ? root : formatPath(leaf.path)
  const key = leaf.path[leaf.path.length - 1]
  const retired = typeof key === "string" ? retiredKeys.get(key) : undefined
  if (leaf.rule === "retired" && retired !== undefined) {
    return new SogniInvalidRequest({ field, rule: leaf.rule, message: retired })
  }
  let detail: string
  if (leaf.rule === "unknown-field") detail = "is not a known parameter"
  else if (leaf.rule === "required") detail = "is required"
  else detail = ParseIssues.message(leaf.issue)
  return new SogniInvalidRequest({ field, rule: leaf.rule, message: `${field} ${detail}` })
}
