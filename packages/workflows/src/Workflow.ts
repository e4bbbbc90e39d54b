/**
 * The shapes a workflows server sends back (workflows.md §5–§12), as Effect Schemas: workflow records,
 * their events and artifacts, templates and replay records. Decoding is tolerant where the protocol is
 * (numbers or ISO strings for timestamps, `type` or `event` for an event's type, both artifact
 * vocabularies) and keeps unknown record keys out of the typed view.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Workflow } from "@effect-sogni/workflows"
 *
 * const event = Schema.decodeUnknownSync(Workflow.WorkflowEvent)({
 *   id: "4", sequence: 4, type: "step_completed", status: "running", data: { stepId: "still" }
 * })
 * Workflow.isTerminal(event.status) // false
 * ```
 *
 * @since 0.1.0
 */
import * as Protocol from "@effect-sogni/core/Protocol"
import * as Schema from "effect/Schema"

/**
 * Workflow statuses (workflows.md §6).
 *
 * @since 0.1.0
 */
export const WorkflowStatus = Protocol.CreativeWorkflowStatus

/** @since 0.1.0 */
export type WorkflowStatus = Protocol.CreativeWorkflowStatus

/**
 * A workflow status as read from the server: one of {@link WorkflowStatus}, or a status this SDK does not
 * know yet, kept as sent (workflows.md §5: the status is an open string, so an event or a record that
 * carries a new one is read, not refused).
 *
 * @since 0.2.0
 */
export type WireWorkflowStatus = WorkflowStatus | (string & {})

/** Any string, typed as {@link WireWorkflowStatus} (the known statuses stay visible to editors). */
const WireWorkflowStatus: Schema.Schema<WireWorkflowStatus, string> = Schema.String

const TERMINAL: ReadonlySet<string> = Protocol.creativeWorkflowTerminalStatuses

/**
 * Whether a status is final: `completed`, `partial_failure`, `failed` or `cancelled`.
 *
 * @since 0.1.0
 */
export const isTerminal = (status: string | undefined): boolean => status !== undefined && TERMINAL.has(status)

/**
 * Why a workflow waits (`waitingReason`).
 *
 * @since 0.1.0
 */
export const WaitingReason = Schema.Literal(
  "ask_clarifying_question",
  "select_media_required",
  "cost_approval_required",
  "cost_reauthorization_required",
  "safety_review_required",
  "workflow_user_input_required",
  "insufficient_credit",
  "permission_required",
  "other"
)

/** @since 0.1.0 */
export type WaitingReason = typeof WaitingReason.Type

/** A timestamp sent as epoch milliseconds or an ISO string. */
const Timestamp = Schema.Union(Schema.Number, Schema.String)

/**
 * A produced artifact (workflows.md §10): the SDK vocabulary (`type`, `mediaType`, `duration`) and the
 * protocol's (`kind`, `durationSeconds`) are both read; `kind` falls back to `type`/`mediaType`.
 *
 * @since 0.1.0
 */
export const Artifact = Schema.transform(
  Schema.Struct({
    id: Schema.optional(Schema.String),
    kind: Schema.optional(Schema.String),
    type: Schema.optional(Schema.String),
    mediaType: Schema.optional(Schema.String),
    url: Schema.optional(Schema.String),
    mimeType: Schema.optional(Schema.String),
    width: Schema.optional(Schema.Number),
    height: Schema.optional(Schema.Number),
    durationSeconds: Schema.optional(Schema.Number),
    duration: Schema.optional(Schema.Number),
    toolName: Schema.optional(Schema.String),
    stepId: Schema.optional(Schema.String)
  }),
  Schema.Struct({
    id: Schema.optional(Schema.String),
    kind: Schema.optional(Schema.String),
    url: Schema.optional(Schema.String),
    mimeType: Schema.optional(Schema.String),
    width: Schema.optional(Schema.Number),
    height: Schema.optional(Schema.Number),
    durationSeconds: Schema.optional(Schema.Number),
    toolName: Schema.optional(Schema.String),
    stepId: Schema.optional(Schema.String)
  }),
  {
    strict: true,
    decode: ({ duration, durationSeconds, kind, mediaType, type, ...rest }) => {
      const k = kind ?? type ?? mediaType
      const d = durationSeconds ?? duration
      return { ...rest, ...(k !== undefined ? { kind: k } : {}), ...(d !== undefined ? { durationSeconds: d } : {}) }
    },
    encode: (a) => a
  }
)

/** @since 0.1.0 */
export type Artifact = typeof Artifact.Type

/**
 * One workflow event. `id` is the value to resume from (`streamEvents(id, { after })`); `status` is the
 * **workflow's** status when the event was recorded.
 *
 * @since 0.1.0
 */
export const WorkflowEvent = Schema.transform(
  Schema.Struct({
    id: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
    sequence: Schema.optional(Schema.Number),
    workflowId: Schema.optional(Schema.String),
    type: Schema.optional(Schema.String),
    event: Schema.optional(Schema.String),
    status: Schema.optional(WireWorkflowStatus),
    message: Schema.optional(Schema.String),
    timestamp: Schema.optional(Timestamp),
    data: Schema.optional(Schema.Unknown)
  }),
  Schema.Struct({
    id: Schema.String,
    sequence: Schema.optional(Schema.Number),
    workflowId: Schema.optional(Schema.String),
    type: Schema.String,
    status: Schema.optional(WireWorkflowStatus),
    message: Schema.optional(Schema.String),
    timestamp: Schema.optional(Timestamp),
    data: Schema.optional(Schema.Unknown)
  }),
  {
    strict: true,
    decode: ({ event, id, sequence, type, ...rest }) => ({
      ...rest,
      id: id !== undefined ? String(id) : sequence !== undefined ? String(sequence) : "",
      ...(sequence !== undefined ? { sequence } : {}),
      type: type ?? event ?? "message"
    }),
    encode: ({ type, ...rest }) => ({ ...rest, type, event: type })
  }
)

/** @since 0.1.0 */
export type WorkflowEvent = typeof WorkflowEvent.Type

/**
 * Per-step state inside a record (the SDK never relies on it; servers may send less).
 *
 * @since 0.1.0
 */
export const WorkflowStep = Schema.Struct({
  id: Schema.String,
  sequence: Schema.optional(Schema.Number),
  toolName: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  seed: Schema.optional(Schema.Number),
  artifacts: Schema.optional(Schema.Array(Artifact)),
  error: Schema.optional(Schema.Unknown)
})

/** @since 0.1.0 */
export type WorkflowStep = typeof WorkflowStep.Type

/**
 * A workflow record (`CreativeWorkflowRecord`, workflows.md §5). Only `workflowId` is required.
 *
 * @since 0.1.0
 */
export const WorkflowRecord = Schema.Struct({
  workflowId: Schema.String,
  status: Schema.optional(WireWorkflowStatus),
  title: Schema.optional(Schema.String),
  safeContentFilter: Schema.optional(Schema.Boolean),
  waitingReason: Schema.optional(Schema.String),
  awaitingCostApproval: Schema.optional(Schema.Boolean),
  input: Schema.optional(Schema.Unknown),
  steps: Schema.optional(Schema.Array(WorkflowStep)),
  events: Schema.optional(Schema.Array(WorkflowEvent)),
  artifacts: Schema.optional(Schema.Array(Artifact)),
  billingPreview: Schema.optional(Schema.Unknown),
  clonedFromRunId: Schema.optional(Schema.String),
  templateId: Schema.optional(Schema.String),
  error: Schema.optional(Schema.Unknown),
  createTime: Schema.optional(Schema.Number),
  updateTime: Schema.optional(Schema.Number),
  createdAt: Schema.optional(Schema.String),
  updatedAt: Schema.optional(Schema.String)
})

/** @since 0.1.0 */
export type WorkflowRecord = typeof WorkflowRecord.Type

/**
 * A saved template (workflows.md §11). Stages stay opaque (`unknown`); the common fields are typed.
 *
 * @since 0.1.0
 */
export const WorkflowTemplate = Schema.Struct(
  {
    id: Schema.String,
    name: Schema.String,
    version: Schema.optional(Schema.String),
    description: Schema.optional(Schema.String),
    category: Schema.optional(Schema.String),
    stability: Schema.optional(Schema.String),
    visibility: Schema.optional(Schema.String),
    inputs: Schema.optional(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
    stages: Schema.optional(Schema.Array(Schema.Unknown)),
    tags: Schema.optional(Schema.Array(Schema.String)),
    createdAt: Schema.optional(Timestamp),
    updatedAt: Schema.optional(Timestamp)
  },
  { key: Schema.String, value: Schema.Unknown }
)

/** @since 0.1.0 */
export type WorkflowTemplate = typeof WorkflowTemplate.Type

/**
 * A replay record as written (its own snake_case field names, sent verbatim; workflows.md §12).
 *
 * @since 0.1.0
 */
export const RunRecord = Schema.Struct(
  {
    run_id: Schema.String,
    schema_version: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
    session_id: Schema.optional(Schema.String),
    account_id: Schema.optional(Schema.String),
    model_id: Schema.optional(Schema.String),
    rounds: Schema.optional(Schema.Array(Schema.Unknown)),
    user_request: Schema.optional(Schema.String),
    final_response: Schema.optional(Schema.Unknown)
  },
  { key: Schema.String, value: Schema.Unknown }
)

/** @since 0.1.0 */
export type RunRecord = typeof RunRecord.Type

/**
 * The answer to a replay write.
 *
 * @since 0.1.0
 */
export const ReplayWriteResult = Schema.Struct({
  runId: Schema.String,
  schemaVersion: Schema.optionalWith(Schema.Union(Schema.Number, Schema.String), { default: () => 0 }),
  redacted: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  createTime: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  updateTime: Schema.optionalWith(Schema.Number, { default: () => 0 })
})

/** @since 0.1.0 */
export type ReplayWriteResult = typeof ReplayWriteResult.Type

/**
 * One entry of the replay list (`rounds` is a count there).
 *
 * @since 0.1.0
 */
export const ReplaySummary = Schema.Struct({
  runId: Schema.String,
  schemaVersion: Schema.optionalWith(Schema.Union(Schema.Number, Schema.String), { default: () => 0 }),
  createTime: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  updateTime: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  userRequest: Schema.optional(Schema.String),
  finalResponse: Schema.optional(Schema.Unknown),
  modelId: Schema.optional(Schema.String),
  rounds: Schema.optionalWith(Schema.Number, { default: () => 0 })
})

/** @since 0.1.0 */
export type ReplaySummary = typeof ReplaySummary.Type
