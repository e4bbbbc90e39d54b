/**
 * The Sogni platform tool catalog, read from `@sogni-ai/sogni-protocol` 1.0.0-alpha.45 (tools.md §1–§5).
 *
 * Nothing here re-types the protocol's schemas: the OpenAI tool manifests (`manifests/openai-tools.json`,
 * the 30 hosted creative tools; `manifests/app-tools.json`, the 10 chat-app tools) and the per-tool
 * argument schemas (`schemas/tools/<name>.schema.json`) are loaded from the package as JSON. On top of them this module applies the official client's local
 * patches (tools.md §1.2: extra MiniMax H3 `videoModel` selectors, canonical `generate_music` model ids),
 * accepting both vocabularies, and offers an argument validator (ajv, JSON Schema 2020-12) with the
 * client's semantics (tools.md §5):
 *
 * - a required argument counts as missing when it is absent, `null`, `""` or `[]` (`{}` is present);
 * - `null` optional arguments count as absent and are dropped from the validated value;
 * - the `enum` of a property named `model` is a hint, not a rule, except for `generate_music`;
 * - `pattern`s are anchored (`^(?:p)$`);
 * - unknown arguments are refused (the standalone schema files set `additionalProperties: false`).
 *
 * A refusal is a {@link PlatformToolArgumentError} naming the tool, the first offending field (a dotted
 * path such as `loras[0]`) and the rule it broke, with every issue in `issues`.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { PlatformTools } from "@effect-sogni/core"
 *
 * const checked = PlatformTools.validateEither("generate_image", { prompt: "a red fox", numberOfVariations: 40 })
 * // Left(PlatformToolArgumentError { tool: "generate_image", field: "numberOfVariations", rule: "maximum" })
 * const tools = PlatformTools.manifest // send these as `tools` on a chat request
 * ```
 *
 * @since 0.1.0
 */
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js"
import { Ajv2020 } from "ajv/dist/2020.js"
import type { SchemaValidateFunction } from "ajv/dist/types/index.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
// Static imports (not `require`), so bundlers include the protocol artifacts and the validator.
import audioModelsFile from "@sogni-ai/sogni-protocol/catalogs/audio-models.json" with { type: "json" }
import { isObject, JsonObject, type JsonSchemaObject, patchSchema } from "./internal/toolManifest.js"
import { toolSchemaFiles } from "./internal/toolSchemas.js"
import { isSchemaToolName, type SchemaToolName } from "./PlatformToolNames.js"

/** The tool names and their predicates (the light part of this module). @since 0.1.0 */
export * from "./PlatformToolNames.js"

/** The tools' model selector tables (plain data, like the names). @since 0.2.0 */
export * from "./PlatformToolModels.js"

/** The manifests (the tool definitions a chat request sends) and the protocol versions. @since 0.1.0 */
export * from "./PlatformToolManifest.js"

// ---------------------------------------------------------------------------------------------------
// Argument schemas

const schemaCache = new Map<string, JsonSchemaObject>()

/**
 * The standalone JSON Schema (`schemas/tools/<name>.schema.json`) of a tool's arguments, client patches
 * applied. Stricter than the manifest's `parameters`: unknown arguments are refused.
 *
 * @since 0.1.0
 */
export const argumentsSchema = (name: SchemaToolName): JsonSchemaObject => {
  let schema = schemaCache.get(name)
  if (schema === undefined) {
    const raw = Schema.decodeUnknownSync(JsonObject)(toolSchemaFiles[name])
    schema = patchSchema(name, raw)
    schemaCache.set(name, schema)
  }
  return schema
}

// ---------------------------------------------------------------------------------------------------
// Validation

/**
 * One broken rule: `field` is a dotted path into the arguments (`""` for the whole object), `rule` the
 * JSON Schema keyword (`type`, `required`, `maximum`, `enum`, `additionalProperties`…).
 *
 * @since 0.1.0
 */
export class PlatformToolIssue extends Schema.Class<PlatformToolIssue>("@effect-sogni/core/PlatformToolIssue")({
  field: Schema.String,
  rule: Schema.String,
  message: Schema.String
}) {}

/** @since 0.1.0 */
export const PlatformToolErrorTypeId: unique symbol = Symbol.for("@effect-sogni/core/PlatformToolArgumentError")

/** @since 0.1.0 */
export type PlatformToolErrorTypeId = typeof PlatformToolErrorTypeId

/**
 * Arguments refused before a platform tool runs.
 *
 * - `UnknownTool`: not a tool of the catalog (`field` is `""`, `rule` is `"name"`);
 * - `NotAnObject`: the arguments are not a JSON object (`rule` is `"type"`);
 * - `InvalidArguments`: one or more schema rules broken; `field`/`rule` name the first, `issues` all.
 *
 * `message` reads like the official client's (`Invalid generate_image arguments: Missing required
 * argument "prompt"`), so it can go back to the model as is. Never retryable with the same arguments.
 *
 * @since 0.1.0
 */
export class PlatformToolArgumentError extends Schema.TaggedError<PlatformToolArgumentError>(
  "@effect-sogni/core/PlatformToolArgumentError"
)("PlatformToolArgumentError", {
  reason: Schema.Literal("UnknownTool", "NotAnObject", "InvalidArguments"),
  tool: Schema.String,
  field: Schema.String,
  rule: Schema.String,
  issues: Schema.Array(PlatformToolIssue),
  message: Schema.String
}) {
  /** @since 0.1.0 */
  readonly [PlatformToolErrorTypeId]: PlatformToolErrorTypeId = PlatformToolErrorTypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/** @since 0.1.0 */
export const isPlatformToolArgumentError = (u: unknown): u is PlatformToolArgumentError =>
  Predicate.hasProperty(u, PlatformToolErrorTypeId)

/** The keyword that replaces `required` so `null`, `""` and `[]` count as missing (tools.md §5). */
const USABLE_REQUIRED = "sogniRequired"

const isMissing = (value: unknown): boolean =>
  value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)

const usableRequired: SchemaValidateFunction = Object.assign(
  (names: ReadonlyArray<string>, data: Record<string, unknown>): boolean => {
    const missing = names.filter((name) => isMissing(data[name]))
    usableRequired.errors = missing.map((name) => ({
      keyword: USABLE_REQUIRED,
      params: { missingProperty: name },
      message: `must have required property '${name}'`
    }))
    return missing.length === 0
  },
  { errors: [] as Array<Partial<ErrorObject>> }
)

const makeAjv = (): Ajv2020 => {
  // made on first validation, so a program that never validates tool arguments never compiles a schema
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false })
  ajv.addKeyword({ keyword: "schemaVersion", schemaType: "string" })
  ajv.addKeyword({ keyword: USABLE_REQUIRED, type: "object", schemaType: "array", errors: true, validate: usableRequired })
  return ajv
}

const SUBSCHEMA_MAPS = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"] as const
const SUBSCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"] as const
const SUBSCHEMA_SINGLE = ["items", "additionalProperties", "not", "if", "then", "else", "contains"] as const

/**
 * Rewrites an arguments schema into the one the validator compiles: `required` → the usable-required
 * keyword, anchored `pattern`s, and (except for `generate_music`) no `enum` on a top-level `model`.
 */
const validationSchema = (tool: string, schema: JsonSchemaObject): JsonSchemaObject => {
  const go = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(go)
    if (!isObject(node)) return node
    const out: Record<string, unknown> = { ...node }
    if (Array.isArray(node.required)) {
      delete out.required
      out[USABLE_REQUIRED] = node.required
    }
    if (typeof node.pattern === "string") out.pattern = `^(?:${node.pattern})$`
    for (const key of SUBSCHEMA_MAPS) {
      const map = node[key]
      if (isObject(map)) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, go(v)]))
    }
    for (const key of SUBSCHEMA_LISTS) {
      if (Array.isArray(node[key])) out[key] = (node[key] as Array<unknown>).map(go)
    }
    for (const key of SUBSCHEMA_SINGLE) {
      if (key in node) out[key] = go(node[key])
    }
    return out
  }
  const rewritten = go(schema) as Record<string, unknown>
  const properties = rewritten.properties
  if (tool !== "generate_music" && isObject(properties) && isObject(properties.model)) {
    const { enum: _hint, ...model } = properties.model
    rewritten.properties = { ...properties, model }
  }
  // `$id` is dropped so the per-tool validators never collide in ajv's registry
  const { $id: _id, ...rest } = rewritten
  return rest
}

let ajvInstance: Ajv2020 | undefined
const validators = new Map<string, ValidateFunction>()

const validatorOf = (name: SchemaToolName): ValidateFunction => {
  let validate = validators.get(name)
  if (validate === undefined) {
    ajvInstance ??= makeAjv()
    validate = ajvInstance.compile(validationSchema(name, argumentsSchema(name)))
    validators.set(name, validate)
  }
  return validate
}

/** `/loras/0/name` → `loras[0].name`. */
const fieldOf = (instancePath: string, child?: string): string => {
  const segments = instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
  if (child !== undefined) segments.push(child)
  let out = ""
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : out.length === 0 ? s : `.${s}`
  return out
}

const quote = (values: ReadonlyArray<unknown>): string => values.map((v) => JSON.stringify(v)).join(", ")

const issueOf = (e: ErrorObject): PlatformToolIssue => {
  const params = e.params as Record<string, unknown>
  const at = (field: string, rule: string, message: string) => new PlatformToolIssue({ field, rule, message })
  const field = fieldOf(e.instancePath)
  switch (e.keyword) {
    case USABLE_REQUIRED:
    case "required": {
      const name = fieldOf(e.instancePath, String(params.missingProperty))
      return at(name, "required", `Missing required argument "${name}"`)
    }
    case "additionalProperties": {
      const name = fieldOf(e.instancePath, String(params.additionalProperty))
      return at(name, "additionalProperties", `Unknown argument "${name}"`)
    }
    case "type":
      return at(field, "type", `Argument "${field}" must be ${String(params.type).split(",").join(" or ")}`)
    case "enum":
      return at(field, "enum", `Argument "${field}" must be one of ${quote(params.allowedValues as Array<unknown>)}`)
    case "const":
      return at(field, "const", `Argument "${field}" must be ${JSON.stringify(params.allowedValue)}`)
    case "minimum":
      return at(field, "minimum", `Argument "${field}" must be at least ${String(params.limit)}`)
    case "maximum":
      return at(field, "maximum", `Argument "${field}" must be at most ${String(params.limit)}`)
    case "exclusiveMinimum":
      return at(field, "exclusiveMinimum", `Argument "${field}" must be greater than ${String(params.limit)}`)
    case "exclusiveMaximum":
      return at(field, "exclusiveMaximum", `Argument "${field}" must be less than ${String(params.limit)}`)
    case "minLength":
    case "maxLength": {
      const n = Number(params.limit)
      const bound = e.keyword === "minLength" ? "at least" : "at most"
      return at(field, e.keyword, `Argument "${field}" must contain ${bound} ${n} character${n === 1 ? "" : "s"}`)
    }
    case "minItems":
    case "maxItems": {
      const n = Number(params.limit)
      const bound = e.keyword === "minItems" ? "at least" : "at most"
      return at(field, e.keyword, `Argument "${field}" must contain ${bound} ${n} item${n === 1 ? "" : "s"}`)
    }
    case "pattern":
      return at(field, "pattern", `Argument "${field}" must match pattern ${JSON.stringify(params.pattern)}`)
    case "oneOf":
      return at(field, "oneOf", `Argument "${field}" must match exactly one allowed schema`)
    case "anyOf":
      return at(field, "anyOf", `Argument "${field}" must match at least one allowed schema`)
    default:
      return at(field, e.keyword, `Argument "${field}" ${e.message ?? `breaks rule ${e.keyword}`}`)
  }
}

/** Drops `null`-valued object properties at every depth (they count as absent, tools.md §5). */
const withoutNulls = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (!isObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = withoutNulls(v)
  return out
}

const refuse = (
  tool: string,
  reason: PlatformToolArgumentError["reason"],
  issues: ReadonlyArray<PlatformToolIssue>,
  message: string
): PlatformToolArgumentError =>
  new PlatformToolArgumentError({
    reason,
    tool,
    field: issues[0]?.field ?? "",
    rule: issues[0]?.rule ?? "",
    issues,
    message
  })

/**
 * Validates a tool's (parsed) arguments. Returns the arguments without their `null` entries, or the
 * refusal. Accepts the 30 hosted tools and the 3 chat-local ones.
 *
 * @since 0.1.0
 */
export const validateEither = (
  name: string,
  args: unknown
): Either.Either<Record<string, unknown>, PlatformToolArgumentError> => {
  if (!isSchemaToolName(name)) {
    const issue = new PlatformToolIssue({ field: "", rule: "name", message: `Unknown hosted Sogni tool "${name}"` })
    return Either.left(refuse(name, "UnknownTool", [issue], issue.message))
  }
  if (!isObject(args)) {
    const issue = new PlatformToolIssue({ field: "", rule: "type", message: "Tool arguments must be a JSON object" })
    return Either.left(refuse(name, "NotAnObject", [issue], `Invalid ${name} arguments: ${issue.message}`))
  }
  const cleaned = withoutNulls(args) as Record<string, unknown>
  const validate = validatorOf(name as SchemaToolName)
  if (validate(cleaned)) return Either.right(cleaned)
  const seen = new Set<string>()
  const issues: Array<PlatformToolIssue> = []
  for (const e of validate.errors ?? []) {
    const issue = issueOf(e)
    if (seen.has(issue.message)) continue
    seen.add(issue.message)
    issues.push(issue)
  }
  return Either.left(
    refuse(name, "InvalidArguments", issues, `Invalid ${name} arguments: ${issues.map((i) => i.message).join("; ")}`)
  )
}

/**
 * {@link validateEither} as an Effect.
 *
 * @since 0.1.0
 */
export const validate = (
  name: string,
  args: unknown
): Effect.Effect<Record<string, unknown>, PlatformToolArgumentError> => Either.match(validateEither(name, args), {
  onLeft: Effect.fail,
  onRight: Effect.succeed
})

// ---------------------------------------------------------------------------------------------------
// Catalogs

const AudioCatalogFile = Schema.Struct({
  default: Schema.String,
  models: Schema.Record({ key: Schema.String, value: Schema.Struct({ id: Schema.String }) })
})

const audioCatalog = Schema.decodeUnknownSync(AudioCatalogFile)(audioModelsFile as unknown)

/**
 * The protocol's music model selectors (`catalogs/audio-models.json`: `turbo`, `sft`, `music3`) → model
 * ids; `generate_music` accepts these next to the canonical ids.
 *
 * @since 0.1.0
 */
export const musicModelSelectors: ReadonlyMap<string, string> = new Map(
  Object.entries(audioCatalog.models).map(([selector, model]) => [selector, model.id])
)

/**
 * The model id of the catalog's default music selector.
 *
 * @since 0.1.0
 */
export const defaultMusicModel: string = audioCatalog.models[audioCatalog.default]?.id ?? "ace_step_1.5_turbo"
