/**
 * Success answers that say they failed. Hosted chat's REST calls and chat runs' calls decode their 2xx
 * bodies with a schema made by {@link orRefused}: a body that is an error (a chat error shape or the
 * platform's `{status: "error"}`, as `HostedChatError.fromSuccessBody` reads them) and not what the call's
 * own schema expects decodes to a {@link Refused} holding its `SogniHostedChatError`; any other body that
 * fails the schema stays the call's decode error (paths and all) as before. {@link unrefused} then
 * fails with the error or hands the decoded answer on.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { fromSuccessBody, type SogniHostedChatError } from "../HostedChatError.js"

/** A success answer whose body is an error: the error it says. @internal */
export class Refused {
  constructor(readonly error: SogniHostedChatError) {}
}

/**
 * `schema`, or, for a body that fails it, an error body as {@link Refused} (as `HostedChat.complete`
 * reads a completion first): answers that decode pay nothing more. Decoding only: answers are never sent.
 *
 * @internal
 */
export const orRefused = <A, I>(schema: Schema.Schema<A, I>): Schema.Schema<A | Refused, unknown> =>
  Schema.transformOrFail(Schema.Unknown, Schema.declare((_: unknown): _ is A | Refused => true), {
    strict: true,
    decode: (body) => {
      const decoded = ParseResult.decodeUnknownEither(schema)(body)
      if (Either.isRight(decoded)) return ParseResult.succeed(decoded.right)
      const error = fromSuccessBody(200, body)
      return error === undefined ? ParseResult.fail(decoded.left) : ParseResult.succeed(new Refused(error))
    },
    encode: (answer, _, ast) => ParseResult.fail(new ParseResult.Forbidden(ast, answer, "an answer is never sent"))
  })

/** The answer, or the failure its error body says. @internal */
export const unrefused = <A>(answer: A | Refused): Effect.Effect<A, SogniHostedChatError> =>
  answer instanceof Refused ? Effect.fail(answer.error) : Effect.succeed(answer)
