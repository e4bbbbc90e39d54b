/**
 * The status vocabulary durable chat runs and durable workflows share (protocol
 * `enums/chat-run-status.json`, workflows.md §6).
 *
 * @internal
 */
import * as Lazy from "../../Lazy.js"
import * as Schema from "effect/Schema"

/** A durable run's status. @since 0.2.0 */
export const DurableRunStatus = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Literal(
    "queued",
    "running",
    "waiting_for_user",
    "completed",
    "partial_failure",
    "failed",
    "cancelled"
  )
)
/** @since 0.2.0 */
export type DurableRunStatus = typeof DurableRunStatus.Type

/** Statuses a durable run never leaves. @since 0.2.0 */
export const durableRunTerminalStatuses: ReadonlySet<DurableRunStatus> = new Set([
  "completed",
  "partial_failure",
  "failed",
  "cancelled"
])
