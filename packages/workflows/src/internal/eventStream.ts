/**
 * `Workflows.streamEvents` on core's resumable SSE reader (`Sse.resumable`): the workflows-specific parts
 * only. The cursor is the last delivered frame id (sent back as `?after=` + `Last-Event-ID`, workflows.md
 * §8.4); replays are recognised by the event's `sequence`; the stream ends on a terminal `status`. Only a
 * real event moves the cursor ({@link problemOf}: it carries a `sequence` that is an integer ≥ 0 and a
 * `type`, consistent with its `id:` line when it has one and with this workflow); any other frame (a proxy's
 * injected junk, a stray frame with a bogus `id:`) is logged and skipped and moves nothing; a clean close that delivered nothing ends it when the record says the workflow is over. A 200
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
import * as Schema from "effect/Schema"
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
 * What a streamed event's `data` must carry beside the rest of {@link Workflow.WorkflowEvent} (workflows.md
 * §7, the protocol's workflow-event schema): `sequence`, an integer ≥ 0, and a type (`type` or `event`).
 * Other fields are kept for the event's own decoding.
 */
const Carried = Schema.Struct(
  { sequence: Schema.NonNegativeInt, type: Schema.optional(Schema.String), event: Schema.optional(Schema.String) },
  { key: Schema.String, value: Schema.Unknown }
).pipe(Schema.filter((wire) => wire.type !== undefined || wire.event !== undefined || "an event has a type"))

/** A streamed event: {@link Carried}, then decoded as a {@link Workflow.WorkflowEvent}. */
const StreamedEvent = Schema.compose(Carried, Workflow.WorkflowEvent, { strict: false })

/**
 * Why a decoded frame is not a real event of workflow `workflowId` (`undefined`: it is). A real event
 * (workflows.md §8.3) has a `sequence`; its `id:` line is the cursor it is resumed from (without one, the
 * sequence is, and a `data.id` must be that sequence); a decimal `id:` is its `sequence`;
 * its `data.id`, when it has one, is its `id:`; an `event:` line, when there is one, names its type; its
 * `workflowId`, when it has one, is this workflow.
 *
 * @internal
 */
export const problemOf = (
  workflowId: string,
  event: Workflow.WorkflowEvent,
  frame: Sse.Frame
): string | undefined => {
  const sequence = event.sequence
  if (sequence === undefined) return "it has no sequence"
  // no id: line (the official client reads such events too; it cannot resume them): the cursor is the sequence
  if (frame.id === undefined || frame.id === "") {
    return event.id !== String(sequence) ? `its data id ${event.id} is not its sequence ${sequence}` : undefined
  }
  const id = numeric(frame.id)
  if (id !== undefined && id !== sequence) return `its id: ${frame.id} is not its sequence ${sequence}`
  // the decoded id is data.id, or the sequence when data has none
  if (event.id !== frame.id && event.id !== String(sequence)) return `its data id ${event.id} is not its id: ${frame.id}`
  if (frame.event !== undefined && frame.event !== "" && frame.event !== event.type) {
    return `its event: ${frame.event} is not its type ${event.type}`
  }
  if (event.workflowId !== undefined && event.workflowId !== workflowId) {
    return `it belongs to workflow ${event.workflowId}`
  }
  return undefined
}

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
  return Sse.resumable<Workflow.WorkflowEvent, Schema.Schema.Encoded<typeof StreamedEvent>, Cursor, E | E2, WorkflowStreamError, never>({
    label: `workflow ${workflowId}`,
    cursor: { id: options.after, sequence: numeric(options.after) ?? -1 },
    open: (cursor) => options.open(cursor.id),
    schema: StreamedEvent,
    check: (event, frame) => problemOf(workflowId, event, frame),
    // checked: the event has a sequence; a frame without an id: line resumes from it
    advance: (cursor, event, frame) =>
      event.sequence === undefined || event.sequence <= cursor.sequence
        ? Option.none()
        : Option.some({ id: frame.id === undefined || frame.id === "" ? String(event.sequence) : frame.id, sequence: event.sequence }),
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
