/**
 * The resumable SSE reader behind `Workflows.streamEvents`: one connection after another, each resuming
 * after the last delivered id (`?after=` + `Last-Event-ID`), until the workflow's terminal event.
 *
 * @internal
 */
import * as Sse from "@effect/experimental/Sse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Workflow from "../Workflow.js"
import { type WorkflowError, WorkflowStreamError } from "../WorkflowError.js"

/** Reconnection settings. @internal */
export interface ResumeOptions {
  /** Consecutive failed connections (no new event in between) before giving up. */
  readonly maxReconnects: number
  /** First reconnect delay; doubles per consecutive failure up to `maxDelay`. */
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  /** A connection that sends nothing at all (not even a heartbeat) for this long is dropped and resumed. */
  readonly idleTimeout: Duration.Duration
}

/** Why one connection ended without the terminal event. */
class Interrupted {
  readonly _tag = "Interrupted"
  constructor(readonly cause: unknown, readonly idle: boolean) {}
}

// compiled on first use, not at import
let decodeEventCompiled: ReturnType<typeof makeDecodeEvent> | undefined
const makeDecodeEvent = () => Schema.decodeUnknownEither(Schema.parseJson(Workflow.WorkflowEvent))
const decodeEvent = (u: unknown) => (decodeEventCompiled ??= makeDecodeEvent())(u)

/** Whether an error of one connection is worth a reconnect. */
const resumable = (error: WorkflowError): boolean => {
  switch (error._tag) {
    case "SogniTransportError":
      return true
    case "WorkflowApiError":
      return error.isRetryable
    default:
      return false
  }
}

/**
 * Events of one workflow, resuming after drops.
 *
 * @internal
 */
export const resumableEvents = (options: {
  readonly workflowId: string
  readonly after: string | undefined
  readonly resume: ResumeOptions
  /** Opens one SSE connection from a cursor. */
  readonly open: (cursor: string | undefined) => Stream.Stream<Uint8Array, WorkflowError>
  /** Reads the record's status (used when a connection closes cleanly without a terminal event). */
  readonly status: Effect.Effect<string | undefined, WorkflowError>
}): Stream.Stream<Workflow.WorkflowEvent, WorkflowError> =>
  Stream.suspend(() => {
    const { resume, workflowId } = options
    let cursor = options.after
    let lastSequence = cursor !== undefined && /^\d+$/.test(cursor) ? Number(cursor) : -1
    let finished = false

    /** One connection: parsed, decoded, deduplicated events; ends after the terminal event. */
    const connection = (): Stream.Stream<Workflow.WorkflowEvent, WorkflowError | Interrupted> =>
      Stream.suspend(() => {
        let delivered = 0
        const parsed: Array<Sse.Event> = []
        const parser = Sse.makeParser((event) => {
          if (event._tag === "Event") parsed.push(event)
        })
        const frames = options.open(cursor).pipe(
          Stream.timeoutFail(() => new Interrupted("idle", true), resume.idleTimeout),
          Stream.decodeText(),
          Stream.mapConcatEffect((text) =>
            Effect.suspend(() => {
              const error = parser.feed(text)
              const out = parsed.splice(0, parsed.length)
              return error === undefined ? Effect.succeed(out) : Effect.fail(new Interrupted(error, false))
            })
          )
        )
        const events = frames.pipe(
          Stream.mapConcatEffect((frame) => {
            const decoded = decodeEvent(frame.data)
            if (Either.isLeft(decoded)) {
              if (frame.id !== undefined) cursor = frame.id
              return Effect.as(
                Effect.logWarning(`workflow ${workflowId}: skipped a malformed event frame (id ${frame.id ?? "none"})`),
                []
              )
            }
            const event = decoded.right
            const id = frame.id ?? event.id
            const sequence = event.sequence ?? (/^\d+$/.test(id) ? Number(id) : undefined)
            if (sequence !== undefined && sequence <= lastSequence) return Effect.succeed([])
            if (sequence !== undefined) lastSequence = sequence
            if (id !== "") cursor = id
            delivered++
            if (Workflow.isTerminal(event.status)) finished = true
            return Effect.succeed([event])
          }),
          Stream.takeUntil(() => finished)
        )
        // A clean close before the terminal event: resume, unless the workflow is over and nothing was missed.
        const afterClose = Stream.unwrap(Effect.suspend(() => {
          if (finished) return Effect.succeed(Stream.empty)
          if (delivered > 0) return Effect.succeed(Stream.fail(new Interrupted("closed", false)))
          return Effect.map(options.status, (status) =>
            Workflow.isTerminal(status) ? Stream.empty : Stream.fail(new Interrupted("closed", false)))
        }))
        return Stream.concat(events, afterClose)
      })

    const loop = (failures: number): Stream.Stream<Workflow.WorkflowEvent, WorkflowError> => {
      const before = lastSequence
      const beforeCursor = cursor
      return connection().pipe(
        Stream.catchAll((error) => {
          const progressed = lastSequence !== before || cursor !== beforeCursor
          const attempt = progressed ? 1 : failures + 1
          const giveUp = (message: string, cause: unknown, idle = false) =>
            Stream.fail(
              new WorkflowStreamError({
                reason: idle ? "Idle" : "Exhausted",
                workflowId,
                ...(cursor !== undefined ? { lastEventId: cursor } : {}),
                message,
                cause
              })
            )
          if (!(error instanceof Interrupted) && !resumable(error)) return Stream.fail(error)
          if (attempt > resume.maxReconnects) {
            const idle = error instanceof Interrupted && error.idle
            return giveUp(
              `workflow ${workflowId}: the event stream dropped ${attempt} times in a row without a new event`,
              error instanceof Interrupted ? error.cause : error,
              idle
            )
          }
          const delay = Duration.min(
            Duration.times(resume.baseDelay, 2 ** (attempt - 1)),
            resume.maxDelay
          )
          return Stream.fromEffect(
            Effect.logDebug(`workflow ${workflowId}: event stream dropped; resuming after ${cursor ?? "the start"}`).pipe(
              // ±20 % jitter from Effect's Random service, so tests can fix it
              Effect.zipRight(Effect.flatMap(Random.nextRange(0.8, 1.2), (factor) => Effect.sleep(Duration.times(delay, factor))))
            )
          ).pipe(Stream.drain, Stream.concat(Stream.suspend(() => loop(attempt))))
        })
      )
    }

    return loop(0)
  })
