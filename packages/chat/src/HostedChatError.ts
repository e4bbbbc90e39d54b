/**
 * The error of hosted REST chat and chat runs when the server answers with a chat error body
 * (chat.md §13): the OpenAI envelope `{error: {message, type, code, subscription?}}` or the flat
 * `{error, error_code, error_message}`. Other non-2xx answers keep core's classes (`SogniApiError`
 * with `errorCode`, `retryAfter` and `details`; `SogniAuthenticationError` for 401).
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

/**
 * Reads core's `SogniApiError` as a chat error when its body is one of the chat error shapes (chat.md §13):
 * the OpenAI envelope `{error: {message, type, code, subscription?}}` or the flat
 * `{error, error_code, error_message}`. Any other error is returned unchanged.
 *
 * @since 0.2.0
 */
export const fromApiError = <E>(error: E): E | SogniHostedChatError => {
  if (!(error instanceof SogniError.SogniApiError) || !isRecord(error.body)) return error
  const body = error.body
  const common = {
    status: error.status,
    ...(error.retryAfterMillis !== undefined ? { retryAfterMillis: error.retryAfterMillis } : {})
  }
  const nested = body.error
  if (isRecord(nested) && typeof nested.message === "string") {
    const sub = isRecord(nested.subscription) ? nested.subscription : {}
    return new SogniHostedChatError({
      ...common,
      error: text(nested.type) ?? "error",
      ...(nested.code !== undefined && nested.code !== null ? { errorCode: String(nested.code) } : {}),
      message: nested.message,
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
  return error
}
