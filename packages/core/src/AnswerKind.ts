/**
 * What a streamed REST answer is, told before its body is read as events: hosted chat (a server that
 * ignores `stream: true` answers with one JSON completion) and chat run event streams (a server, or a
 * proxy in front of it, that answers a 200 with a JSON error or an HTML page) both ask. The content type
 * decides (core's `SogniRest.stream` hands the headers over before the first byte); without one, the first
 * byte past white space does (`{` is JSON, anything else events). Also the bounded read of a whole answer
 * that is not events.
 *
 * @internal
 */
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** What an answer is: events, one JSON document, or neither (another content type). @internal */
export type AnswerKind = "events" | "json" | undefined

/** An opened answer: its kind, its content type as sent, and its whole body (the bytes already read first). @internal */
export interface Answer<E> {
  readonly kind: AnswerKind
  readonly contentType: string | undefined
  readonly body: Stream.Stream<Uint8Array, E>
}

/**
 * The kind of an answer by its content type: events (`text/event-stream`), JSON (`application/json` or
 * another `+json` type) or neither (`undefined`). Without a content type, a body whose first byte past
 * white space is `{` is JSON and any other is read as events.
 *
 * @internal
 */
export const kindOf = (contentType: string | undefined, head: ReadonlyArray<Uint8Array>): AnswerKind => {
  const media = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase()
  if (media === "text/event-stream") return "events"
  if (media === "application/json" || media.endsWith("+json")) return "json"
  if (media !== "") return undefined
  return leadingByte(head) === 0x7b ? "json" : "events"
}

/** The first byte past white space of a body's first parts (`undefined`: none yet). */
const leadingByte = (head: ReadonlyArray<Uint8Array>): number | undefined => {
  for (const part of head) {
    for (const byte of part) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte
  }
  return undefined
}

/**
 * Opens `bytes` (the first read sends the request) and reads as far as its kind needs: with a content type
 * (`contentType()` is set by the caller's `onHeaders`), the first read that brings anything; without one,
 * until the first byte past white space, or the end. The rest of the body is read by whoever reads
 * {@link Answer.body}, within the scope.
 *
 * @internal
 */
export const open = <E>(
  bytes: Stream.Stream<Uint8Array, E>,
  contentType: () => string | undefined
): Effect.Effect<Answer<E>, E, Scope.Scope> =>
  Effect.gen(function*() {
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

/**
 * A whole answer as UTF-8 text, reading no more than `maxBytes` of it (past that: `TooLarge` naming
 * `what`, and the read stops, which releases the connection).
 *
 * @internal
 */
export const boundedText = <E>(
  answer: Stream.Stream<Uint8Array, E>,
  maxBytes: number,
  what: string,
  source: string
): Effect.Effect<string, E | SogniError.SogniDecodeError> =>
  Effect.suspend(() => {
    const decoder = new TextDecoder()
    let text = ""
    let total = 0
    return Stream.runForEachChunk(answer, (parts) => {
      for (const part of parts) {
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
      }
      return Effect.void
    }).pipe(Effect.map(() => text + decoder.decode()))
  })

/** A content type for an error message: quoted, at most 100 characters. @internal */
export const quoted = (contentType: string | undefined): string => JSON.stringify(String(contentType).slice(0, 100))
