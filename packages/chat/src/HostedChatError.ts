/**
 * The error of hosted REST chat and chat runs when the server answers with a chat error body
 * (chat.md §13): the OpenAI envelope `{error: {message, type, code, subscription?}}` or the flat
 * `{error, error_code, error_message}`. Other non-2xx answers keep core's classes (`SogniApiError`
 * with `errorCode`, `retryAfter` and `details`; `SogniAuthenticationError` for 401). A success answer
 * (and a hosted stream's event) whose body is one of those shapes, or the platform's
 * `{status: "error", message, errorCode}`, is the same error ({@link fromSuccessBody}), never a decode error.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HostedChat } from "@effect-sogni/chat"
 *
 * const answer = HostedChat.complete({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "Hi" }] }).pipe(
 *   Effect.catchTag("SogniHostedChatError", (e) => Effect.succeed(`refused (${e.status} ${e.error}): ${e.message}`))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { subscriptionErrorCodeOf, TypeId } from "./ChatError.js"

/**
 * A refused hosted chat request.
 *
 * @since 0.1.0
 */
export class SogniHostedChatError extends SogniError.retriedByStatus(Schema.TaggedError<SogniHostedChatError>(
  "@effect-sogni/chat/SogniHostedChatError"
)("SogniHostedChatError", {
  /** The HTTP status. */
  status: Schema.Number,
  /** Machine tag: the envelope's `type` or the flat body's `error` (e.g. `subscription_unavailable`). */
  error: Schema.String,
  /** `code` / `error_code` as text (e.g. `"4078"`). */
  errorCode: Schema.optional(Schema.String),
  message: Schema.String,
  subscriptionLimit: Schema.optional(Schema.Boolean),
  requiredPlans: Schema.optional(Schema.Array(Schema.String)),
  feature: Schema.optional(Schema.String),
  limitation: Schema.optional(Schema.String),
  /** From the body's `retryAfter` or the `Retry-After` header. */
  retryAfterMillis: Schema.optional(Schema.Number)
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: typeof TypeId = TypeId
  /** The subscription error code 4078–4081 as a number, when the error is one. @since 0.1.0 */
  get subscriptionErrorCode(): Option.Option<number> {
    return subscriptionErrorCodeOf(this.errorCode)
  }
}

/**
 * Everything a hosted chat or chat run call can fail with.
 *
 * @since 0.2.0
 */
export type HostedError = SogniError.SogniError | SogniHostedChatError

type Json = Readonly<Record<string, unknown>>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const text = (u: unknown): string | undefined => (typeof u === "string" && u.length > 0 ? u : undefined)

/** The fields every reading of an error body shares: the HTTP status and the server's retry advice. */
interface Answered {
  readonly status: number
  readonly retryAfterMillis?: number | undefined
}

/** The chat error shapes of chat.md §13, from any answer: the OpenAI envelope, then the flat body. */
const chatErrorOf = (body: Json, answered: Answered): SogniHostedChatError | undefined => {
  const common = {
    status: answered.status,
    ...(answered.retryAfterMillis !== undefined ? { retryAfterMillis: answered.retryAfterMillis } : {})
  }
  const nested = body.error
  const code = isRecord(nested) && nested.code !== undefined && nested.code !== null ? String(nested.code) : undefined
  // the envelope says what went wrong with a message, a type or a code (some servers send no message)
  if (isRecord(nested) && (typeof nested.message === "string" || text(nested.type) !== undefined || code !== undefined)) {
    const sub = isRecord(nested.subscription) ? nested.subscription : {}
    return new SogniHostedChatError({
      ...common,
      error: text(nested.type) ?? "error",
      ...(code !== undefined ? { errorCode: code } : {}),
      message: typeof nested.message === "string" ? nested.message : text(nested.type) ?? `error ${code}`,
      ...(typeof sub.subscriptionLimit === "boolean" ? { subscriptionLimit: sub.subscriptionLimit } : {}),
      ...(Array.isArray(sub.requiredPlans) ? { requiredPlans: sub.requiredPlans.map(String) } : {}),
      ...(typeof sub.feature === "string" ? { feature: sub.feature } : {}),
      ...(typeof sub.limitation === "string" ? { limitation: sub.limitation } : {})
    })
  }
  if (typeof nested === "string" && (body.error_code !== undefined || body.error_message !== undefined)) {
    return new SogniHostedChatError({
      ...common,
      error: nested,
      ...(body.error_code !== undefined && body.error_code !== null ? { errorCode: String(body.error_code) } : {}),
      message: text(body.error_message) ?? nested
    })
  }
  return undefined
}

/**
 * Reads core's `SogniApiError` as a chat error when its body is one of the chat error shapes (chat.md §13):
 * the OpenAI envelope `{error: {message, type, code, subscription?}}` (a message, a type or a code
 * says it is one) or the flat
 * `{error, error_code, error_message}`. Any other error is returned unchanged.
 *
 * @since 0.2.0
 */
export const fromApiError = <E>(error: E): E | SogniHostedChatError => {
  if (!(error instanceof SogniError.SogniApiError) || !isRecord(error.body)) return error
  return chatErrorOf(error.body, error) ?? error
}

/**
 * A successful (2xx) answer whose JSON body is an error, as the same `SogniHostedChatError` a refusal
 * gives (`status` is the answer's, e.g. 200): the two chat error shapes {@link fromApiError} reads, and
 * the platform's `{status: "error", message, errorCode?}` (its `errorCode` becomes `errorCode`; `error` is
 * `"error"`, the body has no tag). `undefined` for any other body. A hosted answer that is an error is
 * never a completion, so this is asked before a body is read as one.
 *
 * @since 0.2.0
 */
export const fromSuccessBody = (status: number, body: unknown): SogniHostedChatError | undefined => {
  if (!isRecord(body)) return undefined
  const chat = chatErrorOf(body, { status })
  if (chat !== undefined) return chat
  if (body.status !== "error") return undefined
  const code = body.errorCode ?? body.error_code
  return new SogniHostedChatError({
    status,
    error: text(body.error) ?? "error",
    ...(typeof code === "string" || typeof code === "number" ? { errorCode: String(code) } : {}),
    message: text(body.message) ?? text(body.error_message) ?? "the server answered with an error"
  })
}
