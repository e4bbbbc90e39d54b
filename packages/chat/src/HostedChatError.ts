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
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { TypeId } from "./ChatError.js"

/**
 * A refused hosted chat request.
 *
 * @since 0.1.0
 */
export class SogniHostedChatError extends Schema.TaggedError<SogniHostedChatError>(
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
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: typeof TypeId = TypeId
  /** 408, 429 and 5xx may succeed when sent again. @since 0.1.0 */
  get isRetryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500
  }
  /** @since 0.1.0 */
  get retryAfter(): Option.Option<Duration.Duration> {
    return this.retryAfterMillis === undefined ? Option.none() : Option.some(Duration.millis(this.retryAfterMillis))
  }
  /** The subscription error code 4078–4081 as a number, when the error is one. @since 0.1.0 */
  get subscriptionErrorCode(): Option.Option<number> {
    const code = Number(this.errorCode)
    return code >= 4078 && code <= 4081 ? Option.some(code) : Option.none()
  }
}
