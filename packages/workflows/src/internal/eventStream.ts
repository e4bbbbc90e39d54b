/**
 * `Workflows.streamEvents` on core's resumable SSE reader (`Sse.resumable`): the workflows-specific parts
 * only. The cursor is the last delivered frame id (sent back as `?after=` + `Last-Event-ID`, workflows.md
 * §8.4); replays are recognised by the event's `sequence` (or a numeric id); the stream ends on a terminal
 * `status`; a clean close that delivered nothing ends it when the record says the workflow is over. A 200
 * that is not events (the platform's JSON refusal, a proxy's HTML page) is not resumed: `Workflows` opens
 * each connection through core's `AnswerKind.eventsOnly`, and {@link refusalOf} reads the refusal.
 *
 * @internal
 */
import * as RetryPolicy from "@effect-sogni/core/RetryPolicy"
import * as Sse from "@effect-sogni/core/Sse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import * as Workflow from "../Workflow.js"
import { WorkflowApiError, WorkflowStreamError } from "../WorkflowError.js"

/** Reconnection settings. @internal */
export interface ResumeOptions {
  /** Drops in a row before giving up; a connection that heard any frame (a heartbeat too) counts as the first. */
  readonly maxReconnects: number
  /** First reconnect delay; doubles per drop in a row up to `maxDelay`, back to this after any frame. */
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  /** A connection that sends nothing at all (not even a heartbeat) for this long is dropped and resumed. */
  readonly idleTimeout: Duration.Duration
  /** Drops that keep coming without a new event fail the stream after this long (default `Sse.defaults`). */
  readonly reconnectWindow?: Duration.Duration | undefined
  /** Largest single event (core's `maxResponseBytes`; default `Sse.defaults`). */
  readonly maxEventBytes?: number | undefined
}

/** The reader's position: the id to send back and the highest sequence delivered. */
interface Cursor {
  readonly id: string | undefined
  readonly sequence: number
}

const numeric = (id: string | undefined): number | undefined => (id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined)

/**
 * Events of one workflow, resuming after drops.
 *
 * @internal
 */
export const resumableEvents = <E, E2>(options: {
  readonly workflowId: string
  readonly after: string | undefined
  readonly resume: ResumeOptions
  /** Opens one SSE connection from a cursor (a single attempt). */
  readonly open: (cursor: string | undefined) => Stream.Stream<Uint8Array, E>
  /** Reads the record's status (used when a connection closes cleanly without a terminal event). */
  readonly status: Effect.Effect<string | undefined, E2>
}): Stream.Stream<Workflow.WorkflowEvent, E | E2 | WorkflowStreamError> => {
  const { resume, workflowId } = options
  return Sse.resumable<Workflow.WorkflowEvent, Schema.Schema.Encoded<typeof Workflow.WorkflowEvent>, Cursor, E | E2, WorkflowStreamError, never>({
    label: `workflow ${workflowId}`,
    cursor: { id: options.after, sequence: numeric(options.after) ?? -1 },
    open: (cursor) => options.open(cursor.id),
    schema: Workflow.WorkflowEvent,
    advance: (cursor, event, frame) => {
      const id = frame.id ?? (event.id === undefined ? "" : String(event.id))
      const sequence = event.sequence ?? numeric(id)
      if (sequence !== undefined && sequence <= cursor.sequence) return Option.none()
      return Option.some({ id: id !== "" ? id : cursor.id, sequence: sequence ?? cursor.sequence })
    },
    skip: (cursor, frame) => (frame.id !== undefined ? { ...cursor, id: frame.id } : cursor),
    isTerminal: (event) => Workflow.isTerminal(event.status),
    // a clean close that delivered events resumes; one that delivered nothing asks the record
    onCleanClose: (delivered) =>
      delivered > 0 ? Effect.succeed(false) : Effect.map(options.status, Workflow.isTerminal),
    giveUp: (exhausted) =>
      new WorkflowStreamError({
        reason: exhausted.reason,
        workflowId,
        ...(exhausted.cursor.id !== undefined ? { lastEventId: exhausted.cursor.id } : {}),
        message: exhausted.message,
        cause: exhausted.cause
      }),
    settings: {
      policy: { ...RetryPolicy.defaults, retries: resume.maxReconnects, base: resume.baseDelay, cap: resume.maxDelay },
      idleTimeout: resume.idleTimeout,
      reconnectWindow: resume.reconnectWindow ?? Sse.defaults.reconnectWindow,
      ...(resume.maxEventBytes !== undefined ? { maxEventBytes: resume.maxEventBytes } : {})
    }
  })
}

/**
 * The platform's refusal (`{status: "error", message, errorCode?, retryAfter?, details?}`, workflows.md
 * §13) in a 200 answer that should have been events, as the {@link WorkflowApiError} a non-2xx answer
 * with the same body would be (its `reason` read from the status: `Other`); `undefined` for any other
 * JSON.
 *
 * @internal
 */
export const refusalOf = (json: unknown, operation: string): WorkflowApiError | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const body = json as Readonly<Record<string, unknown>>
  if (body.status !== "error") return undefined
  const retryAfter = body.retryAfter
  return new WorkflowApiError({
    reason: "Other",
    status: 200,
    errorCode: typeof body.errorCode === "number" ? body.errorCode : 200,
    message: typeof body.message === "string" && body.message !== "" ? body.message : "the server answered with an error",
    operation,
    ...(typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0
      ? { retryAfterMillis: Math.round(retryAfter * 1000) }
      : {}),
    ...(body.details !== undefined ? { details: body.details } : {})
  })
}
