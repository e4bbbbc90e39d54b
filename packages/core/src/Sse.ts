/**
 * Server-sent events: an incremental frame parser and the one resumable event reader of the SDK.
 *
 * {@link resumable} reads an event log over SSE (chat runs, chat.md §15.3; workflows, workflows.md §8) and
 * survives dropped connections: it opens a connection from a cursor (the caller turns it into
 * `Last-Event-ID` or `?after=`), decodes each frame's `data` with a `Schema` and an optional `check` (a
 * malformed frame is logged and skipped, never fatal and never moving the cursor: a warning for each of
 * the first five, then their count in one line at the end), drops events it already delivered, and ends
 * after the terminal event. When a connection breaks
 * (reset, retryable status, silence beyond `idleTimeout`, a clean close before the terminal event) it
 * waits as core's {@link RetryPolicy} says and opens the next one from the cursor.
 *
 * The reconnect budget:
 *
 * - a connection on which any frame was heard, a heartbeat included, proved the server reachable: the
 *   backoff starts again from `base`;
 * - more than `retries` drops in a row end the stream, where a connection on which a frame was heard
 *   starts the count again at 1 (so `retries ≥ 1` never gives up on connections that hear something);
 * - drops that keep coming without a new event end the stream once they have gone on for `reconnectWindow`
 *   (a server that answers with a heartbeat and hangs up, forever, is given up on after that long).
 *
 * @example
 * ```ts
 * import { Option, Schema, Stream } from "effect"
 * import { RetryPolicy, Sse, SogniRest } from "@effect-sogni/core"
 *
 * const Event = Schema.Struct({ sequence: Schema.Int, type: Schema.String })
 * const events = (rest: SogniRest.SogniRestService, runId: string) =>
 *   Sse.resumable({
 *     label: `run ${runId}`,
 *     cursor: 0,
 *     open: (after) => rest.stream("rest", `/v1/chat/runs/${runId}/events/stream`, {
 *       headers: after > 0 ? { "last-event-id": String(after) } : {},
 *       retry: false
 *     }),
 *     schema: Event,
 *     advance: (after, event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
 *     isTerminal: (event) => event.type === "run_completed",
 *     giveUp: (exhausted) => exhausted.cause,
 *     settings: Sse.settings(RetryPolicy.defaults)
 *   })
 * ```
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as RetryPolicy from "./RetryPolicy.js"
import * as SkipWarnings from "./SkipWarnings.js"
import { SogniDecodeError } from "./SogniError.js"

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/**
 * One block of an event stream (the lines up to a blank line). A block with no `id`, `event` or `data`
 * line (comments only: a heartbeat) has all three `undefined`.
 *
 * @since 0.2.0
 */
export interface Frame {
  /** The last `id:` line's value. */
  readonly id: string | undefined
  /** The `event:` line's value (`undefined` when absent; the SSE default name is `message`). */
  readonly event: string | undefined
  /** The `data:` lines joined with `\n`; `undefined` when there were none. */
  readonly data: string | undefined
  /** The block's first line is a comment (`:`…). */
  readonly leadingComment: boolean
}

/**
 * Whether a frame carries nothing but comments (or unknown fields): a heartbeat.
 *
 * @since 0.2.0
 */
export const isHeartbeat = (frame: Frame): boolean =>
  frame.id === undefined && frame.event === undefined && frame.data === undefined

/**
 * An incremental parser: feed it text in pieces of any size, get the frames completed so far. Lines end
 * with `\n`, `\r\n` or `\r` (a `\r\n` split between two pieces counts once); a leading BOM is
 * dropped; one space after a field's colon is removed; `retry` and unknown fields are ignored. A block that
 * was not closed by a blank line is never emitted: a cut connection cannot produce a truncated event.
 *
 * @since 0.2.0
 */
export interface Parser {
  readonly feed: (text: string) => Array<Frame>
  /**
   * Whether the event being read grew past `maxEventChars` (the parser then holds nothing more of it and
   * reads no further: every later `feed` returns no frame). Checked on every piece and every line, so the
   * parser never holds more than `maxEventChars` plus the piece it is given.
   */
  readonly overflowed: () => boolean
}

/**
 * The largest event {@link frames} reads by default: 32 MiB (core's `maxResponseBytes` default).
 *
 * @since 0.2.0
 */
export const defaultMaxEventBytes = 32 * 1024 * 1024

/**
 * Makes a {@link Parser}. `maxEventChars` bounds one event (its lines up to the blank line, counted in
 * characters of decoded text, so never more than that many bytes of UTF-8); default unbounded.
 *
 * @since 0.2.0
 */
export const makeParser = (maxEventChars: number = Number.POSITIVE_INFINITY): Parser => {
  /**
   * The unfinished line: the pieces of it read so far (joined once, when its line end arrives, so a long
   * line costs its length once and is never rescanned).
   */
  let partial: Array<string> = []
  let partialChars = 0
  /** Characters of the current event's finished lines, line ends included (reset at each blank line). */
  let blockChars = 0
  let overflow = false
  let skipLf = false
  let started = false
  let id: string | undefined
  let event: string | undefined
  let data: Array<string> | undefined
  let lines = 0
  let leadingComment = false

  const line = (text: string, out: Array<Frame>) => {
    if (text === "") {
      blockChars = 0
      if (lines > 0) {
        out.push({ id, event, data: data === undefined ? undefined : data.join("\n"), leadingComment })
      }
      id = undefined
      event = undefined
      data = undefined
      lines = 0
      leadingComment = false
      return
    }
    if (lines === 0) leadingComment = text.startsWith(":")
    lines++
    if (text.startsWith(":")) return
    const colon = text.indexOf(":")
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? "" : text.slice(colon + 1)
    if (value.startsWith(" ")) value = value.slice(1)
    switch (field) {
      case "id":
        if (!value.includes("\u0000")) id = value
        return
      case "event":
        event = value
        return
      case "data":
        if (data === undefined) data = [value]
        else data.push(value)
        return
      default:
        return
    }
  }

  /** Releases what is held of the event past the limit; the parser reads no further. */
  const overflowed = () => {
    overflow = true
    partial = []
    partialChars = 0
    data = undefined
  }

  return {
    overflowed: () => overflow,
    feed: (piece) => {
      if (overflow || piece.length === 0) return []
      let text = piece
      if (!started) {
        started = true
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      }
      const out: Array<Frame> = []
      let at = 0
      if (skipLf) {
        // the previous piece ended with "\r": a "\n" starting this one belongs to it
        if (text.charCodeAt(0) === 10) at = 1
        skipLf = false
      }
      // the next "\n" and "\r" at or after `at` (-1: none in this piece); each is searched again only once passed
      let lf = text.indexOf("\n", at)
      let cr = text.indexOf("\r", at)
      while (lf !== -1 || cr !== -1) {
        const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr)
        let lineText = text.slice(at, end)
        if (partialChars > 0) {
          partial.push(lineText)
          lineText = partial.join("")
          partial = []
          partialChars = 0
        }
        if (lineText !== "") {
          // the event's lines so far, each with its line end (the blank line that ends it is not counted)
          blockChars += lineText.length + 1
          if (blockChars > maxEventChars) {
            overflowed()
            return out
          }
        }
        line(lineText, out)
        if (end === cr && cr + 1 === lf) {
          at = lf + 1
        } else if (end === cr && cr + 1 === text.length) {
          skipLf = true
          at = text.length
        } else {
          at = end + 1
        }
        if (lf !== -1 && lf < at) lf = text.indexOf("\n", at)
        if (cr !== -1 && cr < at) cr = text.indexOf("\r", at)
      }
      if (at < text.length) {
        partial.push(at === 0 ? text : text.slice(at))
        partialChars += text.length - at
        // an event that never ends: release what was held of it and read no further
        if (blockChars + partialChars > maxEventChars) overflowed()
      }
      return out
    }
  }
}

/**
 * The frames of a byte stream (UTF-8). One event larger than `maxEventBytes` (default
 * {@link defaultMaxEventBytes}; pass core's `maxResponseBytes`) fails the stream with `SogniDecodeError`
 * reason `TooLarge` and stops reading it, which releases the connection; the frames before it are delivered.
 *
 * @since 0.2.0
 */
export const frames = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  maxEventBytes: number = defaultMaxEventBytes
): Stream.Stream<Frame, E | SogniDecodeError, R> =>
  Stream.suspend(() => {
    const parser = makeParser(maxEventBytes)
    return bytes.pipe(
      Stream.decodeText(),
      // the frames completed in the read that overflowed come first, then the mark that stops the read
      Stream.mapConcat((text): Array<Frame | typeof overflowMark> => {
        const out: Array<Frame | typeof overflowMark> = parser.feed(text)
        if (parser.overflowed()) out.push(overflowMark)
        return out
      }),
      Stream.takeWhile((item): item is Frame => item !== overflowMark),
      Stream.concat(Stream.suspend(() => parser.overflowed() ? Stream.fail(eventTooLarge(maxEventBytes)) : Stream.empty))
    )
  })

/** Ends {@link frames}' read at the event past the limit (the frames before it in the same read are kept). */
const overflowMark: unique symbol = Symbol("effect-sogni/Sse/overflow")

/** An event past the limit (never retried: a reconnect would read it again). */
const eventTooLarge = (limit: number): SogniDecodeError =>
  new SogniDecodeError({
    reason: "TooLarge",
    message: `a server-sent event is larger than maxResponseBytes (${limit} bytes)`,
    source: "event stream"
  })

const isTooLarge = (u: unknown): u is SogniDecodeError =>
  u instanceof SogniDecodeError && u.reason === "TooLarge"

// ---------------------------------------------------------------------------------------------
// The resumable reader
// ---------------------------------------------------------------------------------------------

/**
 * How a connection ended without an error of its own: closed by the server before the terminal event,
 * silent for longer than `idleTimeout`, or dropped for an event larger than `maxEventBytes` (`TooLarge`:
 * never resumed, handed to `giveUp` at once with a message naming the limit).
 *
 * @since 0.2.0
 */
export interface Dropped {
  readonly _tag: "Dropped"
  readonly kind: "Closed" | "Idle" | "TooLarge"
}

/**
 * What {@link ResumableOptions.giveUp} is told when the reader stops trying.
 *
 * @since 0.2.0
 */
export interface Exhausted<C, E> {
  /** `Idle` when the last connection was dropped for silence. */
  readonly reason: "Exhausted" | "Idle"
  /** The last failure: the connection's error or how it dropped. */
  readonly cause: E | Dropped
  /** The cursor after the last delivered event (resume from it later). */
  readonly cursor: C
  /** A sentence for the error message. */
  readonly message: string
}

/**
 * Reconnection settings of {@link resumable}.
 *
 * @since 0.2.0
 */
export interface Settings {
  /** Backoff (`base`, `cap`, `jitter`) and `retries`: connections in a row that heard nothing before giving up. */
  readonly policy: RetryPolicy.Options
  /** A connection that hears nothing (not even a heartbeat) for this long is dropped and resumed. */
  readonly idleTimeout: Duration.Duration
  /** Drops that keep coming without a new event are given up on after this long. */
  readonly reconnectWindow: Duration.Duration
  /** Largest single event (default {@link defaultMaxEventBytes}); a larger one ends the stream with `SogniDecodeError` `TooLarge`. */
  readonly maxEventBytes?: number | undefined
}

/**
 * Defaults of {@link Settings} beside the retry policy: `idleTimeout` 60 s (heartbeats come every ~15 s),
 * `reconnectWindow` 10 minutes.
 *
 * @since 0.2.0
 */
export const defaults = {
  idleTimeout: Duration.seconds(60),
  reconnectWindow: Duration.minutes(10)
} as const

/**
 * {@link Settings} from a retry policy, with the {@link defaults} for the rest.
 *
 * @since 0.2.0
 */
export const settings = (
  policy: RetryPolicy.Options,
  overrides: {
    readonly idleTimeout?: Duration.DurationInput | undefined
    readonly reconnectWindow?: Duration.DurationInput | undefined
    readonly maxEventBytes?: number | undefined
  } = {}
): Settings => ({
  policy,
  idleTimeout: Duration.decode(overrides.idleTimeout ?? defaults.idleTimeout),
  reconnectWindow: Duration.decode(overrides.reconnectWindow ?? defaults.reconnectWindow),
  maxEventBytes: overrides.maxEventBytes ?? defaultMaxEventBytes
})

/**
 * Options of {@link resumable}.
 *
 * @since 0.2.0
 */
export interface ResumableOptions<A, I, C, E, E2, R> {
  /** Names the stream in log lines. */
  readonly label: string
  /** Where to start (the caller's resume point, or "from the beginning"). */
  readonly cursor: C
  /** Opens one connection from a cursor: the response body's bytes (a single attempt; the reader retries). */
  readonly open: (cursor: C) => Stream.Stream<Uint8Array, E, R>
  /** Decodes a frame's JSON `data`. */
  readonly schema: Schema.Schema<A, I, never>
  /** Frames to decode (default: those with `data`); the others only prove the connection alive. */
  readonly accept?: ((frame: Frame) => boolean) | undefined
  /**
   * Why a decoded event is not a real one of this log (`undefined`: it is), e.g. its sequence and the
   * frame's `id:` disagree. Such a frame is logged and skipped like one whose `data` does not decode. A
   * skipped frame never moves the cursor: it is not handed to `advance`.
   */
  readonly check?: ((event: A, frame: Frame) => string | undefined) | undefined
  /** The cursor after `event`, or `None` when `event` was already delivered (a replay). */
  readonly advance: (cursor: C, event: A, frame: Frame) => Option.Option<C>
  /** Whether `event` is the last one. */
  readonly isTerminal: (event: A) => boolean
  /**
   * A connection closed cleanly before the terminal event: `true` ends the stream (the log is complete),
   * `false` resumes. Default: resume.
   */
  readonly onCleanClose?: ((delivered: number) => Effect.Effect<boolean, E, R>) | undefined
  /** Which errors of a connection are worth a reconnect (default `RetryPolicy.isRetryable`). */
  readonly retryable?: ((error: E) => boolean) | undefined
  /** The error the stream fails with when the reader gives up. */
  readonly giveUp: (exhausted: Exhausted<C, E>) => E2
  readonly settings: Settings
}

const dropped = (kind: Dropped["kind"]): Dropped => ({ _tag: "Dropped", kind })

const isDropped = (u: unknown): u is Dropped =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "Dropped"

/**
 * The events of a resumable SSE log, each exactly once and in order, ending after the terminal event.
 * Errors that are not worth a reconnect pass through at once. Interrupting the stream closes the open
 * connection.
 *
 * @since 0.2.0
 */
export const resumable = <A, I, C, E, E2, R>(
  options: ResumableOptions<A, I, C, E, E2, R>
): Stream.Stream<A, E | E2, R> =>
  Stream.suspend(() => {
    const { policy } = options.settings
    const decode = Schema.decodeUnknownEither(Schema.parseJson(options.schema))
    const accept = options.accept ?? ((frame: Frame) => frame.data !== undefined)
    const retryable = options.retryable ?? RetryPolicy.isRetryable
    let cursor = options.cursor
    let finished = false
    /** Drops in a row, counted from the last connection on which a frame was heard (which counts as 1). */
    let streak = 0
    /** When the current run of drops without a new event began. */
    let dropsSince: number | undefined
    let heard = false
    // malformed frames: a warning for each of the first few; the rest are counted and reported once, at the end
    const skips = SkipWarnings.unsafeMake<{ readonly frame: Frame; readonly reason: string }>({
      limit: skipWarningLimit,
      warning: ({ frame, reason }) =>
        Effect.logWarning(
          `sogni: ${options.label}: skipped a malformed event frame (id ${frame.id ?? "none"}): ${reason}`
        ),
      summary: (count) =>
        Effect.logWarning(`sogni: ${options.label}: skipped ${count} more malformed event frames (warnings suppressed)`)
    })

    const onFrame = (frame: Frame): Effect.Effect<ReadonlyArray<A>> => {
      heard = true
      if (finished || !accept(frame)) return Effect.succeed([])
      const decoded = decode(frame.data ?? "")
      if (Either.isLeft(decoded)) return Effect.as(skips.report({ frame, reason: "its data is not an event" }), [])
      const problem = options.check?.(decoded.right, frame)
      if (problem !== undefined) return Effect.as(skips.report({ frame, reason: problem }), [])
      const next = options.advance(cursor, decoded.right, frame)
      if (Option.isNone(next)) return Effect.succeed([])
      cursor = next.value
      dropsSince = undefined
      if (options.isTerminal(decoded.right)) finished = true
      return Effect.succeed([decoded.right])
    }

    const connection = (): Stream.Stream<A, E | Dropped | SogniDecodeError, R> =>
      Stream.suspend(() => {
        heard = false
        let delivered = 0
        const events = frames(
          options.open(cursor).pipe(
            Stream.timeoutFail((): E | Dropped => dropped("Idle"), options.settings.idleTimeout)
          ),
          options.settings.maxEventBytes ?? defaultMaxEventBytes
        ).pipe(
          Stream.mapConcatEffect(onFrame),
          Stream.tap(() => Effect.sync(() => delivered++)),
          Stream.takeUntil(() => finished)
        )
        const afterClose = Stream.unwrap(Effect.suspend(() => {
          if (finished) return Effect.succeed(Stream.empty)
          const ended = options.onCleanClose === undefined ? Effect.succeed(false) : options.onCleanClose(delivered)
          return Effect.map(ended, (done) => (done ? Stream.empty : Stream.fail(dropped("Closed"))))
        }))
        return Stream.concat(events, afterClose)
      })

    const loop = (): Stream.Stream<A, E | E2, R> =>
      connection().pipe(
        Stream.catchAll((error) => {
          // an event past the limit would be read again from the same cursor: never resumed
          if (isTooLarge(error)) {
            return Stream.fail(options.giveUp({
              reason: "Exhausted",
              cause: dropped("TooLarge"),
              cursor,
              message: `${options.label}: ${error.message}`
            }))
          }
          if (!isDropped(error) && !retryable(error)) return Stream.fail(error)
          return Stream.unwrap(Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            streak = heard ? 1 : streak + 1
            dropsSince = dropsSince ?? now
            const giveUp = (message: string) =>
              Stream.fail(options.giveUp({
                reason: isDropped(error) && error.kind === "Idle" ? "Idle" : "Exhausted",
                cause: error,
                cursor,
                message: `${options.label}: ${message}`
              }))
            if (streak > policy.retries) {
              return giveUp(`the event stream dropped ${streak} times in a row without a single frame`)
            }
            const window = options.settings.reconnectWindow
            if (now - dropsSince >= Duration.toMillis(window)) {
              return giveUp(`the event stream kept dropping for ${Duration.format(window)} without a new event`)
            }
            const delay = RetryPolicy.delayFor(error, streak - 1, policy, yield* Random.next)
            yield* Effect.logDebug(`sogni: ${options.label}: event stream dropped; resuming in ${Duration.format(delay)}`)
            yield* Effect.sleep(delay)
            return loop()
          }))
        })
      )

    return Stream.ensuring(loop(), skips.flush)
  })

/** Warnings about malformed frames per reader, at most (the rest are counted in one line at its end). */
const skipWarningLimit = 5
