/**
 * What a streamed REST answer is, told before its body is read as events. An event stream answered 200
 * with something else (a server's JSON error body, a proxy's HTML maintenance page served again on every
 * reconnect) would otherwise be read as events that never come, and resumed until the reconnect budget or
 * the idle timeout runs out; {@link eventsOnly} fails such an answer at once instead. Hosted chat (a server
 * that ignores `stream: true` answers with one JSON completion), chat runs' and workflows' event streams
 * all ask.
 *
 * The content type decides (`SogniRest.stream` hands the headers over, through `onHeaders`, before the
 * first byte); without one, the first byte past white space (and a byte order mark) does (`{` is JSON,
 * anything else events).
 *
 * A JSON answer is decided as soon as its bytes hold one whole JSON value ({@link jsonText}), not when the
 * body ends: a server that sends its error body and keeps the connection open (a proxy holding keep-alive,
 * a server that never ends the response) is answered at once, not after an idle timeout and a reconnect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AnswerKind, type SogniRest } from "@effect-sogni/core"
 *
 * const events = (rest: SogniRest.SogniRestService, path: string) => {
 *   let contentType: string | undefined
 *   const bytes = rest.stream("rest", path, {
 *     retry: false,
 *     onHeaders: (headers) => Effect.sync(() => void (contentType = headers["content-type"]))
 *   })
 *   return AnswerKind.eventsOnly(bytes, () => contentType, {
 *     what: `the event stream of ${path}`,
 *     source: `GET ${path}`,
 *     maxBytes: 1_000_000,
 *     onJson: () => undefined // no error shape of its own: a JSON answer is a SogniDecodeError
 *   })
 * }
 * ```
 *
 * @since 0.2.0
 */
import { JsonEnd } from "./internal/jsonEnd.js"
import * as SogniError from "./SogniError.js"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** What an answer is: events, one JSON document, or neither (another content type). @since 0.2.0 */
export type AnswerKind = "events" | "json" | undefined

/** An opened answer: its kind, its content type as sent, and its whole body (the bytes already read first). @since 0.2.0 */
export interface Answer<E> {
  readonly kind: AnswerKind
  readonly contentType: string | undefined
  readonly body: Stream.Stream<Uint8Array, E>
}

/**
 * The kind of an answer by its content type: events (`text/event-stream`), JSON (`application/json` or
 * another `+json` type) or neither (`undefined`). Without a content type, a body whose first byte past
 * white space (and a leading byte order mark) is `{` is JSON and any other is read as events.
 *
 * @since 0.2.0
 */
export function kindOf(contentType: string | undefined, head: ReadonlyArray<Uint8Array>): AnswerKind {
  const media = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase()
  if (media === "text/event-stream") return "events"
  if (media === "application/json" || media.endsWith("+json")) return "json"
  if (media !== "") return undefined
  return leadingByte(head) === 0x7b ? "json" : "events"
}

/** The UTF-8 byte order mark, which a body may open with (the text decoders drop it). */
const bom = [0xef, 0xbb, 0xbf] as const

/**
 * The first byte past a leading byte order mark and white space of a body's first parts (`undefined`: none
 * yet, or only part of a byte order mark).
 */
function leadingByte(head: ReadonlyArray<Uint8Array>): number | undefined {
  // bytes of a byte order mark matched so far (-1: the body does not open with one)
  let marked = 0
  for (const part of head) {
    for (const byte of part) {
      if (marked >= 0 && marked < bom.length) {
        if (byte === bom[marked]) {
          marked++
          continue
        }
        // a mark begun and broken off is no mark: its first byte leads
        if (marked > 0) return bom[0]
        marked = -1
      }
      if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte
    }
  }
  return undefined
}

/**
 * Opens `bytes` (the first read sends the request) and reads as far as its kind needs: with a content type
 * (`contentType()` is set by the caller's `onHeaders`), the first read that brings anything; without one,
 * until the first byte past white space, or the end. The rest of the body is read by whoever reads
 * {@link Answer.body}, within the scope.
 *
 * @since 0.2.0
 */
export function open<E>(
  bytes: Stream.Stream<Uint8Array, E>,
  contentType: () => string | undefined
): Effect.Effect<Answer<E>, E, Scope.Scope> {
  return Effect.gen(function*() {
    const pull = yield* Stream.toPull(bytes)
    const head: Array<Uint8Array> = []
    let ended = false
    while (!ended && (head.length === 0 || (contentType() === undefined && leadingByte(head) === undefined))) {
      const read = yield* Effect.catchAll(pull, Option.match({ onNone: () => Effect.succeed(undefined), onSome: Effect.fail }))
      if (read === undefined) ended = true
      else head.push(...read)
    }
    return {
      kind: kindOf(contentType(), head),
      contentType: contentType(),
      body: ended ? Stream.fromIterable(head) : Stream.concat(Stream.fromIterable(head), Stream.repeatEffectChunkOption(pull))
    }
  })
}

/**
 * A JSON answer as UTF-8 text, read only as far as its value goes: reading stops at the read whose bytes
 * make one whole JSON value (past white space and a byte order mark: an object or array at the bracket
 * that closes it, brackets and escaped quotes inside strings not counted; a string at its closing quote;
 * a number or literal at the first byte that cannot continue it), or at the end of the body. A server
 * that never ends the response is not waited for. The text is everything read, bytes after the value in
 * the same read too (so `{"a":1} x` still fails to parse). At most `maxBytes` are read (past that:
 * `TooLarge` naming `what`, and the read stops, which releases the connection): a body that never makes a
 * whole value fails there, or ends, or is left to the caller's idle timeout.
 *
 * @since 0.2.0
 */
export function jsonText<E>(
  answer: Stream.Stream<Uint8Array, E>,
  maxBytes: number,
  what: string,
  source: string
): Effect.Effect<string, E | SogniError.SogniDecodeError> {
  return Effect.suspend(() => {
    const decoder = new TextDecoder()
    const end = new JsonEnd()
    let text = ""
    let total = 0
    return Stream.runForEachWhile(answer, (part) => {
      total += part.byteLength
      if (total > maxBytes) {
        return Effect.fail(
          new SogniError.SogniDecodeError({
            reason: "TooLarge",
            message: `${what} is larger than maxResponseBytes (${maxBytes} bytes)`,
            source
          })
        )
      }
      text += decoder.decode(part, { stream: true })
      return Effect.succeed(!end.push(part))
    }).pipe(Effect.map(() => text + decoder.decode()))
  })
}

/** A content type for an error message: quoted, at most 100 characters. @since 0.2.0 */
export function quoted(contentType: string | undefined): string {
  return JSON.stringify(String(contentType).slice(0, 100))
}

/**
 * `bytes` (an event stream's answer, opened by the first read) as long as it is events. An answer that is
 * not fails at once, before anything is read as events (a resumable reader does not resume it): JSON is
 * read as far as its value goes ({@link jsonText}, at most `maxBytes`: a server that keeps the connection
 * open after it is not waited for) and parsed, and `onJson` says which error it is (`undefined`: none of
 * the caller's error shapes, a `SogniDecodeError`); any other content type is a `SogniDecodeError` naming
 * it. `contentType()` is the answer's content type, set by the caller's `onHeaders`.
 *
 * @since 0.2.0
 */
export function eventsOnly<E, E2>(
  bytes: Stream.Stream<Uint8Array, E>,
  contentType: () => string | undefined,
  options: {
    /** What was asked for, for messages: `the event stream of run_1`. */
    readonly what: string
    /** The request, for a decode error's `source`: `GET /v1/…/events/stream`. */
    readonly source: string
    /** Most bytes of a JSON answer read. */
    readonly maxBytes: number
    /** The error a JSON answer says it is (`undefined`: not an error body). */
    readonly onJson: (json: unknown) => E2 | undefined
  }
): Stream.Stream<Uint8Array, E | E2 | SogniError.SogniDecodeError> {
  return Stream.unwrapScoped(Effect.gen(function*() {
    const answer = yield* open(bytes, contentType)
    if (answer.kind === "events") return answer.body
    const { source, what } = options
    if (answer.kind === "json") {
      const text = yield* jsonText(answer.body, options.maxBytes, `the answer of ${source}`, source)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      const refused = options.onJson(json)
      if (refused !== undefined) return yield* Effect.fail(refused)
      return yield* new SogniError.SogniDecodeError({
        reason: "Body",
        message: `${what} was answered with JSON that is not an error body, not text/event-stream`,
        source
      })
    }
    return yield* new SogniError.SogniDecodeError({
      reason: "Body",
      message: `${what} was answered with content-type ${quoted(answer.contentType)}, not text/event-stream`,
      source
    })
  }))
}
