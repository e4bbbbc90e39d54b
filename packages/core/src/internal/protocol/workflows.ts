/**
 * Durable creative workflows on the wire as the server sends them (workflows.md §5–§8): the event, the
 * artifact, the step and the `CreativeWorkflowRecord`. Re-exported by `Protocol`; the emulator encodes
 * with these, the SDK's `Workflow` module decodes a tolerant superset.
 *
 * @internal
 */
import * as Lazy from "../../Lazy.js"
import * as Schema from "effect/Schema"
import { TokenType } from "./billing.js"
import { DurableRunStatus, durableRunTerminalStatuses } from "./runStatus.js"

const Json = /* @__PURE__ */ Lazy.schema(() => Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/** Workflow statuses (workflows.md §6): the durable-run statuses. @since 0.2.0 */
export const CreativeWorkflowStatus = DurableRunStatus
/** @since 0.2.0 */
export type CreativeWorkflowStatus = DurableRunStatus

/** Statuses a workflow never leaves. @since 0.2.0 */
export const creativeWorkflowTerminalStatuses: ReadonlySet<CreativeWorkflowStatus> = durableRunTerminalStatuses

/**
 * Dependency transforms: what value a dependency injects into its `targetArgument` (workflows.md §4).
 *
 * @since 0.2.0
 */
export const creativeWorkflowTransforms = [
  "artifact_url",
  "artifact_data_uri",
  "image_url",
  "video_url",
  "audio_url",
  "image_index",
  "video_index",
  "audio_index",
  "subtitle_cues",
  "subtitle_srt",
  "overlay_items",
  "asset_ref"
] as const

/** Step statuses inside a record. @since 0.2.0 */
export const CreativeWorkflowStepStatus = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Literal(
    "queued",
    "running",
    "completed",
    "failed",
    "waiting_for_user",
    "cancelled"
  )
)
/** @since 0.2.0 */
export type CreativeWorkflowStepStatus = typeof CreativeWorkflowStepStatus.Type

/**
 * One recorded workflow event. `id` is the decimal `sequence` (1, 2, 3…), `event` repeats `type`, and
 * `status` is the workflow's status when the event was recorded.
 *
 * @since 0.2.0
 */
export const CreativeWorkflowEvent = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    sequence: Schema.Int,
    workflowId: Schema.String,
    type: Schema.String,
    event: Schema.String,
    status: CreativeWorkflowStatus,
    timestamp: Schema.String,
    message: Schema.optional(Schema.String),
    data: Schema.optional(Json)
  })
)
/** @since 0.2.0 */
export type CreativeWorkflowEvent = typeof CreativeWorkflowEvent.Type

/** What an artifact is. @since 0.2.0 */
export const CreativeWorkflowArtifactKind = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("image", "video", "audio", "model", "json", "text"))
/** @since 0.2.0 */
export type CreativeWorkflowArtifactKind = typeof CreativeWorkflowArtifactKind.Type

/**
 * A produced artifact (workflows.md §10) in both vocabularies: the protocol's `kind`/`durationSeconds`
 * and the SDK's `type`/`mediaType`/`duration`.
 *
 * @since 0.2.0
 */
export const CreativeWorkflowArtifact = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    kind: CreativeWorkflowArtifactKind,
    type: CreativeWorkflowArtifactKind,
    mediaType: CreativeWorkflowArtifactKind,
    url: Schema.String,
    mimeType: Schema.String,
    width: Schema.optional(Schema.Number),
    height: Schema.optional(Schema.Number),
    durationSeconds: Schema.optional(Schema.Number),
    duration: Schema.optional(Schema.Number),
    toolName: Schema.String,
    stepId: Schema.String
  })
)
/** @since 0.2.0 */
export type CreativeWorkflowArtifact = typeof CreativeWorkflowArtifact.Type

/** A dependency of a step on an earlier one (or on `$input_media`), as planned. @since 0.2.0 */
export const CreativeWorkflowDependency = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    sourceStepId: Schema.String,
    targetArgument: Schema.String,
    transform: Schema.String,
    sourceArtifactId: Schema.optional(Schema.String),
    sourceArtifactIndex: Schema.optional(Schema.Int),
    mediaType: Schema.optional(Schema.Literal("image", "video", "audio")),
    required: Schema.optional(Schema.Boolean)
  })
)
/** @since 0.2.0 */
export type CreativeWorkflowDependency = typeof CreativeWorkflowDependency.Type

/** Why a step or a workflow failed. @since 0.2.0 */
export const CreativeWorkflowError = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    code: Schema.String,
    message: Schema.String,
    classification: Schema.String,
    retryable: Schema.Boolean,
    stepId: Schema.optional(Schema.String),
    toolName: Schema.optional(Schema.String)
  })
)
/** @since 0.2.0 */
export type CreativeWorkflowError = typeof CreativeWorkflowError.Type

/** One step inside a record. @since 0.2.0 */
export const CreativeWorkflowStep = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    sequence: Schema.Int,
    toolName: Schema.String,
    status: CreativeWorkflowStepStatus,
    arguments: Json,
    dependsOn: Schema.optional(Schema.Array(CreativeWorkflowDependency)),
    resolvedArguments: Schema.optional(Json),
    seed: Schema.optional(Schema.Number),
    artifacts: Schema.Array(CreativeWorkflowArtifact),
    projectId: Schema.optional(Schema.String),
    error: Schema.optional(CreativeWorkflowError),
    startedAt: Schema.optional(Schema.String),
    endedAt: Schema.optional(Schema.String)
  })
)
/** @since 0.2.0 */
export type CreativeWorkflowStep = typeof CreativeWorkflowStep.Type

/** The `CreativeWorkflowRecord` (workflows.md §5). @since 0.2.0 */
export const CreativeWorkflowRecord = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    workflowId: Schema.String,
    status: CreativeWorkflowStatus,
    title: Schema.optional(Schema.String),
    safeContentFilter: Schema.Boolean,
    waitingReason: Schema.optional(Schema.String),
    awaitingCostApproval: Schema.Boolean,
    input: Schema.Unknown,
    templateId: Schema.optional(Schema.String),
    inputs: Schema.optional(Schema.Unknown),
    clonedFromRunId: Schema.optional(Schema.String),
    steps: Schema.Array(CreativeWorkflowStep),
    events: Schema.Array(CreativeWorkflowEvent),
    artifacts: Schema.Array(CreativeWorkflowArtifact),
    tokenType: TokenType,
    billingMode: Schema.optional(Schema.String),
    appSource: Schema.optional(Schema.String),
    billingPreview: Schema.Struct({
      estimatedCapacityUnits: Schema.Number,
      maxEstimatedCapacityUnits: Schema.optional(Schema.Number),
      tokenType: TokenType
    }),
    recovery: Schema.Struct({ resumeCount: Schema.Int }),
    error: Schema.optional(CreativeWorkflowError),
    createTime: Schema.Number,
    updateTime: Schema.Number,
    createdAt: Schema.String,
    updatedAt: Schema.String,
    completedAt: Schema.optional(Schema.String)
  })
)
/** @since 0.2.0 */
export type CreativeWorkflowRecord = typeof CreativeWorkflowRecord.Type
