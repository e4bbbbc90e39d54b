/**
 * Inline workflow plans (workflows.md §3): a small typed builder and the local checks a plan passes
 * before it is sent.
 *
 * The builder tracks the step ids it has seen in its type, so a dependency on a step that does not exist
 * (yet) does not compile. {@link validate} then checks at run time what types cannot: unique ids, tool
 * names allowed as durable steps, dependency shapes, `$input_media` bindings against the request's media
 * references, and every step's tool arguments against the platform tool JSON schemas of
 * `@sogni-ai/sogni-protocol` (via core's `PlatformTools`), with the arguments a dependency fills counted
 * as present. A refusal is a {@link WorkflowInvalidRequest} naming the step, the field and the rule.
 *
 * @example
 * ```ts
 * import { WorkflowPlan } from "@effect-sogni/workflows"
 *
 * const plan = WorkflowPlan.make("Still to clip")
 *   .step("still", "generate_image", { prompt: "a lighthouse at dawn", aspectRatio: "16:9" })
 *   .step("clip", "animate_photo", { prompt: "slow push-in", videoModel: "wan22", duration: 2 }, {
 *     dependsOn: [WorkflowPlan.from("still", { into: "sourceImageIndex", transform: "image_index", mediaType: "image" })]
 *   })
 *   .build()
 * ```
 *
 * @since 0.1.0
 */
import * as PlatformTools from "@effect-sogni/core/PlatformTools"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { pipeArguments, type Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import { WorkflowInvalidRequest } from "./WorkflowError.js"

/**
 * The 34 tools allowed as durable workflow steps (protocol `durable-workflow-run.schema.json`): the 24
 * hosted generation tools and the 10 app tools. Composition tools (`enhance_prompt`, `compose_*`) are not.
 * Derived from core's `PlatformTools`.
 *
 * @since 0.1.0
 */
export const stepToolNames = PlatformTools.stepToolNames

/** @since 0.1.0 */
export type StepToolName = PlatformTools.StepToolName

/** @since 0.1.0 */
export const StepToolName: Schema.Literal<typeof stepToolNames> = Schema.Literal(...stepToolNames)

const appToolSet: ReadonlySet<string> = new Set(PlatformTools.appToolNames)

/**
 * Step tools that are neither a hosted tool with a schema nor an app tool of the installed
 * `@sogni-ai/sogni-protocol` (empty when the package matches; the test suite asserts it). Importing never
 * throws on drift.
 *
 * @since 0.1.0
 */
export const unknownStepTools: ReadonlyArray<StepToolName> = stepToolNames.filter(
  (name) => !PlatformTools.isHostedToolName(name) && !appToolSet.has(name)
)

/**
 * Dependency transforms (what value is injected into `targetArgument`).
 *
 * @since 0.1.0
 */
export const Transform = Schema.Literal(...Protocol.creativeWorkflowTransforms)

/** @since 0.1.0 */
export type Transform = typeof Transform.Type

/** @since 0.1.0 */
export type MediaType = "image" | "video" | "audio"

/**
 * The pseudo step id that binds one of the request's `mediaReferences`.
 *
 * @since 0.1.0
 */
export const INPUT_MEDIA = "$input_media" as const

/**
 * A dependency on the wire (camelCase, sent verbatim).
 *
 * @since 0.1.0
 */
export interface Dependency<Source extends string = string> {
  readonly sourceStepId: Source
  readonly targetArgument: string
  readonly transform: Transform
  readonly sourceArtifactId?: string
  readonly sourceArtifactIndex?: number
  readonly mediaType?: MediaType
  readonly required?: boolean
}

/**
 * A step on the wire.
 *
 * @since 0.1.0
 */
export interface Step {
  readonly id: string
  readonly toolName: StepToolName
  readonly arguments: Readonly<Record<string, unknown>>
  readonly dependsOn?: ReadonlyArray<Dependency>
}

/**
 * An inline plan: the `input` of a start request.
 *
 * @since 0.1.0
 */
export interface Plan {
  readonly title?: string
  readonly steps: ReadonlyArray<Step>
}

/**
 * How a dependency binds its source.
 *
 * @since 0.1.0
 */
export interface Binding {
  /** The argument of the dependent step to fill (`targetArgument`). */
  readonly into: string
  readonly transform: Transform
  readonly mediaType?: MediaType
  /** Which artifact of the source (`sourceArtifactIndex`, default 0). */
  readonly index?: number
  /** A specific artifact id of the source (`sourceArtifactId`). */
  readonly artifactId?: string
  /** Default `true` on the server. */
  readonly required?: boolean
}

const dependency = <S extends string>(sourceStepId: S, binding: Binding): Dependency<S> => ({
  sourceStepId,
  targetArgument: binding.into,
  transform: binding.transform,
  ...(binding.artifactId !== undefined ? { sourceArtifactId: binding.artifactId } : {}),
  ...(binding.index !== undefined ? { sourceArtifactIndex: binding.index } : {}),
  ...(binding.mediaType !== undefined ? { mediaType: binding.mediaType } : {}),
  ...(binding.required !== undefined ? { required: binding.required } : {})
})

/**
 * A dependency on an earlier step's artifact.
 *
 * @since 0.1.0
 */
export const from = <const Id extends string>(stepId: Id, binding: Binding): Dependency<Id> => dependency(stepId, binding)

/**
 * A dependency on one of the request's media references (`sourceStepId: "$input_media"`).
 *
 * @since 0.1.0
 */
export const inputMedia = (binding: Binding): Dependency<typeof INPUT_MEDIA> => dependency(INPUT_MEDIA, binding)

/**
 * A plan under construction; `Ids` are the step ids added so far.
 *
 * @since 0.1.0
 */
export class PlanBuilder<Ids extends string = never> implements Pipeable {
  constructor(readonly title: string | undefined, readonly steps: ReadonlyArray<Step>) {}

  /** Appends a step; its dependencies may only name earlier steps or `$input_media`. */
  step<const Id extends string>(
    id: Id extends Ids ? never : Id,
    toolName: StepToolName,
    args: Readonly<Record<string, unknown>>,
    options?: { readonly dependsOn?: ReadonlyArray<Dependency<Ids | typeof INPUT_MEDIA>> }
  ): PlanBuilder<Ids | Id> {
    const deps = options?.dependsOn
    const step: Step = { id, toolName, arguments: args, ...(deps !== undefined && deps.length > 0 ? { dependsOn: deps } : {}) }
    return new PlanBuilder<Ids | Id>(this.title, [...this.steps, step])
  }

  /** The plan as sent. */
  build(): Plan {
    return { ...(this.title !== undefined ? { title: this.title } : {}), steps: this.steps }
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
}

/**
 * An empty plan.
 *
 * @since 0.1.0
 */
export const make = (title?: string): PlanBuilder<never> => new PlanBuilder<never>(title, [])

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Size limits a plan passes before it is sent. `maxArgumentsLength` bounds the text of one step's
 * arguments (string values and keys, counted in characters, plus a few per number or literal): 1 Mi
 * characters, far above any prompt or caption, so a runaway value fails here instead of being uploaded.
 * `maxArgumentsDepth` bounds how deeply arguments nest (JSON objects and arrays).
 *
 * @since 0.1.0
 */
export const limits = {
  maxArgumentsLength: 1_048_576,
  maxArgumentsDepth: 64
} as const

/**
 * Measures a JSON-like value without recursion: its size in characters (stopping once past `budget`),
 * its depth (stopping once past `maxDepth`), and whether it refers to itself.
 */
const measure = (
  value: unknown,
  budget: number,
  maxDepth: number
): { readonly size: number; readonly depth: number; readonly cyclic: boolean } => {
  let size = 0
  let depth = 0
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [{ value, depth: 0 }]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const item = stack.pop()!
    const v = item.value
    if (typeof v === "string") size += v.length + 2
    else if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return { size, depth, cyclic: true }
      seen.add(v)
      depth = Math.max(depth, item.depth + 1)
      if (depth > maxDepth) return { size, depth, cyclic: false }
      const entries = Array.isArray(v) ? v.map((x) => ["", x] as const) : Object.entries(v)
      for (const [k, x] of entries) {
        size += k.length + 4
        stack.push({ value: x, depth: item.depth + 1 })
      }
    } else size += 8
    if (size > budget) break
  }
  return { size, depth, cyclic: false }
}

const PLACEHOLDER_URL = "https://placeholder.invalid/bound-artifact"

/** A stand-in value of the right shape for an argument a dependency fills. */
const placeholderOf = (transform: Transform, property: unknown): unknown => {
  const schema = isRecord(property) ? property : {}
  const types = Array.isArray(schema["type"]) ? schema["type"] as unknown[] : [schema["type"]]
  const isArray = types.includes("array")
  let scalar: unknown
  switch (transform) {
    case "image_index":
    case "video_index":
    case "audio_index":
      scalar = 0
      break
    case "subtitle_cues":
      return [{ startSeconds: 0, endSeconds: 1, text: "bound" }]
    case "subtitle_srt":
      return "1\n00:00:00,000 --> 00:00:01,000\nbound\n"
    case "overlay_items":
      return [{ kind: "text", text: "bound", position: "bottom" }]
    case "asset_ref":
      scalar = "bound_asset"
      break
    case "artifact_data_uri":
      scalar = "data:image/png;base64,iVBORw0KGgo="
      break
    default:
      scalar = PLACEHOLDER_URL
  }
  return isArray ? [scalar] : scalar
}

/** Transforms whose injected value has a server-defined structure: schema issues on their target are not ours. */
const STRUCTURED: ReadonlySet<Transform> = new Set(["subtitle_cues", "overlay_items", "subtitle_srt", "artifact_data_uri"])

const invalid = (field: string, rule: string, message: string, stepId?: string) =>
  new WorkflowInvalidRequest({ field, rule, message, ...(stepId !== undefined ? { stepId } : {}) })

/**
 * Options of {@link validate}.
 *
 * @since 0.1.0
 */
export interface ValidateOptions {
  /** The request's media references, for `$input_media` bindings. */
  readonly mediaReferences?: ReadonlyArray<Readonly<Record<string, unknown>>> | undefined
}

const checkDependency = (
  dep: unknown,
  at: string,
  stepId: string,
  earlier: ReadonlySet<string>,
  media: ReadonlyArray<Readonly<Record<string, unknown>>>
): Either.Either<Dependency, WorkflowInvalidRequest> => {
  if (!isRecord(dep)) return Either.left(invalid(at, "type", `${at} must be an object`, stepId))
  const source = dep["sourceStepId"]
  if (source === stepId) {
    return Either.left(invalid(`${at}.sourceStepId`, "selfReference", `Step ${stepId} cannot depend on itself`, stepId))
  }
  if (typeof source !== "string" || (source !== INPUT_MEDIA && !earlier.has(source))) {
    return Either.left(invalid(
      `${at}.sourceStepId`,
      "unknownStep",
      `${at}.sourceStepId must name an earlier step or "$input_media" (got ${JSON.stringify(source)})`,
      stepId
    ))
  }
  const target = dep["targetArgument"]
  if (typeof target !== "string" || target.length === 0) {
    return Either.left(invalid(`${at}.targetArgument`, "required", `${at}.targetArgument must be a non-empty string`, stepId))
  }
  const transform = dep["transform"]
  if (!Schema.is(Transform)(transform)) {
    return Either.left(invalid(
      `${at}.transform`,
      "enum",
      `${at}.transform must be one of ${Transform.literals.join(", ")} (got ${JSON.stringify(transform)})`,
      stepId
    ))
  }
  const mediaType = dep["mediaType"]
  if (mediaType !== undefined && mediaType !== "image" && mediaType !== "video" && mediaType !== "audio") {
    return Either.left(invalid(`${at}.mediaType`, "enum", `${at}.mediaType must be image, video or audio`, stepId))
  }
  const index = dep["sourceArtifactIndex"]
  if (index !== undefined && !(typeof index === "number" && Number.isInteger(index) && index >= 0)) {
    return Either.left(invalid(`${at}.sourceArtifactIndex`, "minimum", `${at}.sourceArtifactIndex must be an integer ≥ 0`, stepId))
  }
  if (dep["required"] !== undefined && typeof dep["required"] !== "boolean") {
    return Either.left(invalid(`${at}.required`, "type", `${at}.required must be a boolean`, stepId))
  }
  if (source === INPUT_MEDIA && dep["required"] !== false) {
    const matching = media.filter((m) => mediaType === undefined || m["type"] === mediaType)
    if (matching.length <= (typeof index === "number" ? index : 0)) {
      return Either.left(invalid(
        `${at}.sourceStepId`,
        "inputMedia",
        `${at} binds $input_media ${mediaType ?? "media"} #${typeof index === "number" ? index : 0}, but mediaReferences has ${matching.length} matching entr${matching.length === 1 ? "y" : "ies"}`,
        stepId
      ))
    }
  }
  return Either.right(dep as unknown as Dependency)
}

const checkArguments = (
  toolName: StepToolName,
  args: Readonly<Record<string, unknown>>,
  deps: ReadonlyArray<Dependency>,
  at: string,
  stepId: string
): Either.Either<void, WorkflowInvalidRequest> => {
  if (!PlatformTools.isHostedToolName(toolName)) {
    // App tools ship a manifest but no argument schema: the server checks them.
    return Either.void
  }
  const properties = PlatformTools.argumentsSchema(toolName)["properties"]
  const props = isRecord(properties) ? properties : {}
  const filled: Record<string, unknown> = { ...args }
  const lenient = new Set<string>()
  for (const [j, dep] of deps.entries()) {
    if (!(dep.targetArgument in props)) {
      return Either.left(invalid(
        `${at}.dependsOn[${j}].targetArgument`,
        "unknownArgument",
        `Invalid ${toolName} arguments: "${dep.targetArgument}" is not an argument of ${toolName}`,
        stepId
      ))
    }
    const value = placeholderOf(dep.transform, props[dep.targetArgument])
    const existing = filled[dep.targetArgument]
    filled[dep.targetArgument] = Array.isArray(existing) && Array.isArray(value) ? [...existing, ...value] : value
    if (STRUCTURED.has(dep.transform)) lenient.add(dep.targetArgument)
  }
  const checked = PlatformTools.validateEither(toolName, filled)
  if (Either.isRight(checked)) return Either.void
  const issues = checked.left.issues.filter((i) =>
    ![...lenient].some((t) => i.field === t || i.field.startsWith(`${t}.`) || i.field.startsWith(`${t}[`))
  )
  const first = issues[0]
  if (first === undefined) return Either.void
  return Either.left(invalid(
    first.field === "" ? `${at}.arguments` : `${at}.arguments.${first.field}`,
    first.rule,
    `Step ${stepId}: Invalid ${toolName} arguments: ${issues.map((i) => i.message).join("; ")}`,
    stepId
  ))
}

/**
 * Checks a plan (built or hand-written) the way the server will, without sending anything.
 *
 * @since 0.1.0
 */
export const validateEither = (plan: unknown, options: ValidateOptions = {}): Either.Either<Plan, WorkflowInvalidRequest> => {
  if (!isRecord(plan)) return Either.left(invalid("input", "type", "The plan must be an object"))
  if (plan["title"] !== undefined && typeof plan["title"] !== "string") {
    return Either.left(invalid("input.title", "type", "input.title must be a string"))
  }
  const steps = plan["steps"]
  if (!Array.isArray(steps) || steps.length === 0) {
    return Either.left(invalid("input.steps", "minItems", "A plan needs at least one step"))
  }
  const media = options.mediaReferences ?? []
  const earlier = new Set<string>()
  for (const [i, raw] of steps.entries()) {
    const at = `input.steps[${i}]`
    if (!isRecord(raw)) return Either.left(invalid(at, "type", `${at} must be an object`))
    const id = raw["id"]
    if (typeof id !== "string" || id.length === 0 || id.startsWith("$")) {
      return Either.left(invalid(`${at}.id`, "required", `${at}.id must be a non-empty string not starting with "$"`))
    }
    if (earlier.has(id)) return Either.left(invalid(`${at}.id`, "unique", `Step id "${id}" is used twice`, id))
    const toolName = raw["toolName"]
    if (!PlatformTools.isStepToolName(toolName)) {
      return Either.left(invalid(
        `${at}.toolName`,
        "enum",
        `Step ${id}: ${JSON.stringify(toolName)} cannot run as a durable workflow step`,
        id
      ))
    }
    if ((unknownStepTools as ReadonlyArray<string>).includes(toolName)) {
      return Either.left(invalid(
        `${at}.toolName`,
        "protocol",
        `Step ${id}: ${toolName} is not a tool of the installed @sogni-ai/sogni-protocol`,
        id
      ))
    }
    const args = raw["arguments"] ?? {}
    if (!isRecord(args)) return Either.left(invalid(`${at}.arguments`, "type", `Step ${id}: arguments must be an object`, id))
    const measured = measure(args, limits.maxArgumentsLength, limits.maxArgumentsDepth)
    if (measured.cyclic) {
      return Either.left(invalid(`${at}.arguments`, "json", `Step ${id}: arguments refer to themselves and cannot be sent as JSON`, id))
    }
    if (measured.depth > limits.maxArgumentsDepth) {
      return Either.left(invalid(
        `${at}.arguments`,
        "maxDepth",
        `Step ${id}: arguments nest deeper than ${limits.maxArgumentsDepth} levels`,
        id
      ))
    }
    if (measured.size > limits.maxArgumentsLength) {
      return Either.left(invalid(
        `${at}.arguments`,
        "maxLength",
        `Step ${id}: arguments must be at most ${limits.maxArgumentsLength} characters of text (got more)`,
        id
      ))
    }
    const rawDeps = raw["dependsOn"] ?? []
    if (!Array.isArray(rawDeps)) {
      return Either.left(invalid(`${at}.dependsOn`, "type", `Step ${id}: dependsOn must be an array`, id))
    }
    const deps: Dependency[] = []
    for (const [j, d] of rawDeps.entries()) {
      const checked = checkDependency(d, `${at}.dependsOn[${j}]`, id, earlier, media)
      if (Either.isLeft(checked)) return Either.left(checked.left)
      deps.push(checked.right)
    }
    const argsChecked = checkArguments(toolName as StepToolName, args, deps, at, id)
    if (Either.isLeft(argsChecked)) return Either.left(argsChecked.left)
    earlier.add(id)
  }
  return Either.right(plan as unknown as Plan)
}

/**
 * {@link validateEither} as an Effect.
 *
 * @since 0.1.0
 */
export const validate = (plan: unknown, options?: ValidateOptions): Effect.Effect<Plan, WorkflowInvalidRequest> =>
  Either.match(validateEither(plan, options), { onLeft: Effect.fail, onRight: Effect.succeed })
