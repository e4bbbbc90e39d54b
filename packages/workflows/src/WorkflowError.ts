/**
 * The errors of `@effect-sogni/workflows`.
 *
 * - {@link WorkflowInvalidRequest}: refused locally, nothing was sent (a plan step's tool arguments, a
 *   dependency, both/neither of plan and template, a `data:` media reference…). `stepId` and `field` name
 *   the offending place, `rule` the broken rule.
 * - {@link WorkflowApiError}: the server answered with the error envelope of workflows.md §13
 *   (`{status:"error", message, errorCode, retryAfter?, details?}`); `reason` classifies the status
 *   (`TooManyActiveWorkflows` for the 409 capacity cap, `CostCeilingExceeded` for a plan above
 *   `maxEstimatedCapacityUnits`…).
 * - {@link WorkflowStreamError}: an event stream could not be resumed (reconnect budget spent, idle).
 * - core's transport, decoding and authentication errors pass through unchanged.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workflows } from "@effect-sogni/workflows"
 *
 * const program = Effect.flatMap(Workflows.Workflows, (workflows) => workflows.start({ input: plan })).pipe(
 *   Effect.catchTag("WorkflowApiError", (e) =>
 *     e.reason === "TooManyActiveWorkflows" ? Effect.log(`busy: ${e.message}`) : Effect.fail(e))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/** @since 0.1.0 */
export const TypeId: unique symbol = Symbol.for("@effect-sogni/workflows/WorkflowError")

/** @since 0.1.0 */
export type TypeId = typeof TypeId

/**
 * True for the errors defined in this module.
 *
 * @since 0.1.0
 */
export const isWorkflowError = (u: unknown): u is WorkflowInvalidRequest | WorkflowApiError | WorkflowStreamError =>
  Predicate.hasProperty(u, TypeId)

/**
 * A request refused before anything was sent.
 *
 * @since 0.1.0
 */
export class WorkflowInvalidRequest extends SogniError.refusedAs("InvalidRequest")(Schema.TaggedError<WorkflowInvalidRequest>(
  "@effect-sogni/workflows/WorkflowInvalidRequest"
)("WorkflowInvalidRequest", {
  /** The plan step at fault, when the problem is inside a step. */
  stepId: Schema.optional(Schema.String),
  /** A dotted path (`input.steps[1].arguments.duration`, `mediaReferences[0].url`…). */
  field: Schema.String,
  /** The rule it broke (`required`, `maximum`, `unknownStep`, `exactlyOne`…). */
  rule: Schema.String,
  message: Schema.String
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Why the server refused a workflow call.
 *
 * @since 0.1.0
 */
export const ApiReason = Schema.Literal(
  "InvalidRequest",
  "CostCeilingExceeded",
  "InsufficientCredit",
  "Forbidden",
  "NotFound",
  "TooManyActiveWorkflows",
  "Conflict",
  "RateLimited",
  "Unavailable",
  "ServerError",
  "Other"
)

/** @since 0.1.0 */
export type ApiReason = typeof ApiReason.Type

/**
 * The server's error envelope (workflows.md §13), classified.
 *
 * @since 0.1.0
 */
export class WorkflowApiError extends SogniError.retriedByStatus(Schema.TaggedError<WorkflowApiError>("@effect-sogni/workflows/WorkflowApiError")(
  "WorkflowApiError",
  {
    reason: ApiReason,
    /** HTTP status. */
    status: Schema.Number,
    /** The body's numeric `errorCode` (the HTTP status when absent). */
    errorCode: Schema.Number,
    message: Schema.String,
    /** Which call (method and path). */
    operation: Schema.String,
    retryAfterMillis: Schema.optional(Schema.Number),
    details: Schema.optional(Schema.Unknown)
  }
)) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * An event stream gave up: `Exhausted` after too many drops in a row without a single frame, or drops
 * that went on for the reconnect window without a new event; `Idle` when the last connection was dropped
 * because the server sent nothing (not even a heartbeat) for the idle timeout.
 *
 * @since 0.1.0
 */
export class WorkflowStreamError extends SogniError.alwaysRetried(Schema.TaggedError<WorkflowStreamError>(
  "@effect-sogni/workflows/WorkflowStreamError"
)("WorkflowStreamError", {
  reason: Schema.Literal("Exhausted", "Idle"),
  workflowId: Schema.String,
  /** The id of the last event delivered (resume from it with `streamEvents(id, { after })`). */
  lastEventId: Schema.optional(Schema.String),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Everything a workflows call can fail with.
 *
 * @since 0.1.0
 */
export type WorkflowError =
  | WorkflowInvalidRequest
  | WorkflowApiError
  | WorkflowStreamError
  | SogniError.SogniTransportError
  | SogniError.SogniDecodeError
  | SogniError.SogniAuthenticationError
  | SogniError.SogniInvalidRequest

const looksLikeCapacity = (message: string, details: unknown): boolean => {
  if (/active workflow|too many active|capacity/i.test(message)) return true
  if (typeof details !== "object" || details === null) return false
  return Object.keys(details).some((k) => /active/i.test(k))
}

/**
 * Classifies core's `SogniApiError` for a workflows call.
 *
 * @since 0.1.0
 */
export const fromApiError = (error: SogniError.SogniApiError, operation: string): WorkflowApiError => {
  const { details, message, status } = error
  return new WorkflowApiError({
    reason: workflowReason(error),
    status,
    errorCode: error.errorCode ?? status,
    message,
    operation,
    ...(error.retryAfterMillis !== undefined ? { retryAfterMillis: error.retryAfterMillis } : {}),
    ...(details !== undefined ? { details } : {})
  })
}

/** Core's reasons in this module's words (the workflow-specific ones are decided first). */
const fromCoreReason: { readonly [K in SogniError.SogniApiError["reason"]]: ApiReason } = {
  BadRequest: "InvalidRequest",
  Forbidden: "Forbidden",
  NotFound: "NotFound",
  Conflict: "Conflict",
  RateLimited: "RateLimited",
  ServerError: "ServerError",
  Unavailable: "Unavailable",
  Timeout: "Other",
  Other: "Other"
}

const workflowReason = ({ details, message, reason, status }: SogniError.SogniApiError): ApiReason => {
  if ((status === 400 || status === 422) && /capacity units|ceiling/i.test(message)) return "CostCeilingExceeded"
  if (status === 402) return "InsufficientCredit"
  if (status === 409 && looksLikeCapacity(message, details)) return "TooManyActiveWorkflows"
  return fromCoreReason[reason]
}
