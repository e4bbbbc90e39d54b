/**
 * Durable chat runs on the wire as the server sends them (chat.md §15): the run event and the run
 * record. Re-exported by `Protocol`; the emulator encodes with these, the SDK's `ChatRuns` module
 * decodes a tolerant superset.
 *
 * @internal
 */
import * as Lazy from "../../Lazy.js"
import * as Schema from "effect/Schema"
import { TokenType } from "./billing.js"
import { DurableRunStatus, durableRunTerminalStatuses } from "./runStatus.js"

const Json = /* @__PURE__ */ Lazy.schema(() => Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/** Run statuses (protocol `enums/chat-run-status.json`). @since 0.2.0 */
export const ChatRunStatus = DurableRunStatus
/** @since 0.2.0 */
export type ChatRunStatus = DurableRunStatus

/** Statuses a run never leaves. @since 0.2.0 */
export const chatRunTerminalStatuses: ReadonlySet<ChatRunStatus> = durableRunTerminalStatuses

/** Event types that end a run (chat.md §15.3). @since 0.2.0 */
export const chatRunTerminalEvents: ReadonlySet<string> = new Set([
  "run_completed",
  "run_failed",
  "run_cancelled",
  "run_partial_failure"
])

/** One run event: `sequence` 1, 2, 3… per run, `at` an ISO time. @since 0.2.0 */
export const ChatRunEvent = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    sequence: Schema.Int,
    type: Schema.String,
    at: Schema.String,
    payload: Json
  })
)
/** @since 0.2.0 */
export type ChatRunEvent = typeof ChatRunEvent.Type

/** The media a run has seen (inner keys camelCase). @since 0.2.0 */
export const ChatRunMediaContext = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    images: Schema.Array(Schema.String),
    videos: Schema.Array(Schema.String),
    audio: Schema.Array(Schema.String),
    uploadedImages: Schema.optional(Schema.Array(Schema.String)),
    uploadedVideos: Schema.optional(Schema.Array(Schema.String)),
    uploadedAudio: Schema.optional(Schema.Array(Schema.String))
  })
)
/** @since 0.2.0 */
export type ChatRunMediaContext = typeof ChatRunMediaContext.Type

/** When a run was created, last changed and ended. @since 0.2.0 */
export const ChatRunTimestamps = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    createdAt: Schema.String,
    updatedAt: Schema.String,
    completedAt: Schema.optional(Schema.String)
  })
)

/** The run record (chat.md §15.2). @since 0.2.0 */
export const ChatRunRecord = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    runId: Schema.String,
    status: ChatRunStatus,
    schemaVersion: Schema.String,
    scope: Schema.Struct({
      ownerWalletAddress: Schema.String,
      tokenType: TokenType,
      appSource: Schema.optional(Schema.String)
    }),
    request: Schema.Struct({
      sessionId: Schema.optional(Schema.String),
      clientMessageId: Schema.optional(Schema.String),
      model: Schema.String,
      messages: Schema.Unknown,
      tools: Schema.optional(Schema.Unknown),
      runtimeConfig: Schema.optional(Json),
      maxEstimatedCapacityUnits: Schema.optional(Schema.Number)
    }),
    messages: Schema.Array(Json),
    toolCalls: Schema.Array(Json),
    toolResults: Schema.Array(Json),
    mediaContext: ChatRunMediaContext,
    artifacts: Schema.Array(Json),
    events: Schema.Array(ChatRunEvent),
    finalResponse: Schema.optional(Json),
    waiting: Schema.optional(Json),
    billingPreview: Schema.optional(Json),
    billingPreviews: Schema.optional(Schema.Array(Json)),
    failureReason: Schema.optional(Schema.String),
    cancellationReason: Schema.optional(Schema.String),
    timestamps: ChatRunTimestamps
  })
)
/** @since 0.2.0 */
export type ChatRunRecord = typeof ChatRunRecord.Type
