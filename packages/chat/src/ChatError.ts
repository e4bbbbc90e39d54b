/**
 * Errors of `@effect-sogni/chat`. Transport, REST and input validation keep core's classes
 * (`SogniError`, with `SogniInvalidRequest { field, rule }` for refused input); what belongs to a chat
 * job, a tool call or a structured answer is one of the tagged classes below.
 *
 * - {@link SogniChatJobError}: the job did not finish (`llmJobError` from the network, the transport
 *   lost it, no frame within the idle timeout).
 * - {@link SogniToolCallError}: a tool call could not be resolved (unknown tool, invalid arguments, a
 *   failing handler) or the tool loop ran out of rounds. The first three normally go back to the model
 *   as an error result; they only fail a stream when asked to.
 * - {@link SogniChatOutputError}: a structured answer was not JSON or did not match its schema; it
 *   carries the raw text.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chat } from "@effect-sogni/chat"
 *
 * const answer = Chat.complete({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "Hi" }] }).pipe(
 *   Effect.retry({ times: 2, while: (e) => e._tag === "SogniChatJobError" && e.isRetryable })
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/** @since 0.1.0 */
export const TypeId: unique symbol = Symbol.for("@effect-sogni/chat/ChatError")

/** @since 0.1.0 */
export type TypeId = typeof TypeId

/**
 * A wire `error_code` as a subscription error code (4078–4081), when it is one: the `subscriptionErrorCode`
 * of {@link SogniChatJobError} and `SogniHostedChatError`.
 *
 * @since 0.2.0
 */
export const subscriptionErrorCodeOf = (errorCode: string | undefined): Option.Option<number> => {
  const code = Number(errorCode)
  return code >= 4078 && code <= 4081 ? Option.some(code) : Option.none()
}

/** Wire error tags that say "submit the same request again" (chat.md §3.4). @since 0.1.0 */
export const retryableErrorTags: ReadonlySet<string> = new Set([
  "server_restarting",
  "transport_lost",
  "idle_timeout",
  "reply_gap"
])

/**
 * A chat job ended without a result.
 *
 * - `JobFailed`: the network sent `llmJobError`; `error`, `errorCode`, `message` and the subscription
 *   fields are the frame's (chat.md §3.4).
 * - `TransportLost`: the socket reconnected and the server no longer knows the job (`error` is
 *   `transport_lost`, chat.md §7), or the connection ended for good. Retryable.
 * - `IdleTimeout`: no frame for the job within the idle timeout (`error` is `idle_timeout`); the job was
 *   cancelled upstream. Retryable.
 * - `Incomplete`: the chunk stream ended without its `Finish` (`error` is `incomplete_stream`): a completion
 *   or a tool run has no final answer to return. `jobID` is `"unknown"` when no chunk named the job.
 * - `BufferOverflow`: the stream's consumer fell so far behind that even merging the waiting text could
 *   not keep the job's buffer within twice `streamBufferSize` chunks (`error` is `buffer_overflow`; see
 *   `Chat.ChatOptions.streamBufferSize`); the job was cancelled upstream.
 * - `ReplyGap`: the reply crossed a reconnect, so it may have a hole (`error` is `reply_gap`; see
 *   `ChatChunk.ReplyGap`), and either the call asked to fail such a job (`onReplyGap: "fail"`: the job
 *   fails when the drop is noticed and is cancelled upstream) or it was a tool round, whose calls are
 *   never run with arguments that may have a hole (the tool loop fails instead). Retryable.
 *
 * @since 0.1.0
 */
export class SogniChatJobError extends Schema.TaggedError<SogniChatJobError>("@effect-sogni/chat/SogniChatJobError")(
  "SogniChatJobError",
  {
    reason: Schema.Literal("JobFailed", "TransportLost", "IdleTimeout", "Incomplete", "BufferOverflow", "ReplyGap"),
    jobID: Schema.String,
    /**
     * Machine tag: the wire `error` (e.g. `insufficient_balance`), or `transport_lost` / `idle_timeout` /
     * `reply_gap`.
     */
    error: Schema.String,
    /** Wire `error_code` (e.g. `"4078"`). */
    errorCode: Schema.optional(Schema.String),
    message: Schema.String,
    workerName: Schema.optional(Schema.String),
    subscriptionLimit: Schema.optional(Schema.Boolean),
    requiredPlans: Schema.optional(Schema.Array(Schema.String)),
    feature: Schema.optional(Schema.String),
    limitation: Schema.optional(Schema.String)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /**
   * `server_restarting`, `transport_lost`, `idle_timeout` and `reply_gap` may succeed when submitted again.
   * @since 0.1.0
   */
  get isRetryable(): boolean {
    return retryableErrorTags.has(this.error)
  }
  /** @since 0.1.0 */
  get retryAfter(): Option.Option<Duration.Duration> {
    return Option.none()
  }
  /** The subscription error code 4078–4081 as a number, when the error is one. @since 0.1.0 */
  get subscriptionErrorCode(): Option.Option<number> {
    return subscriptionErrorCodeOf(this.errorCode)
  }
}

/**
 * A tool call could not be resolved, or the tool loop gave up.
 *
 * - `UnknownTool`: the model called a function that is not in the toolkit.
 * - `InvalidArguments`: the arguments are not a JSON object or do not decode with the tool's schema.
 * - `HandlerFailed`: the handler failed; `cause` holds its error.
 * - `MaxRoundsExceeded`: the model still asked for tools after `maxToolRounds` rounds.
 *
 * The first three are sent back to the model as the call's result (`{"success":false,"error":…}`);
 * `HandlerFailed` fails the run instead when `onHandlerError` is `"fail"`.
 *
 * @since 0.1.0
 */
export class SogniToolCallError extends SogniError.neverRetried(Schema.TaggedError<SogniToolCallError>("@effect-sogni/chat/SogniToolCallError")(
  "SogniToolCallError",
  {
    reason: Schema.Literal("UnknownTool", "InvalidArguments", "HandlerFailed", "MaxRoundsExceeded"),
    toolName: Schema.optional(Schema.String),
    toolCallId: Schema.optional(Schema.String),
    message: Schema.String,
    cause: Schema.optional(Schema.Unknown)
  }
)) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A structured answer could not be used: `InvalidJson` (not JSON) or `SchemaMismatch` (JSON that does
 * not decode with the requested schema). `rawText` is the model's answer as received. Retryable: sampling
 * may produce a valid answer next time.
 *
 * @since 0.1.0
 */
export class SogniChatOutputError extends SogniError.alwaysRetried(Schema.TaggedError<SogniChatOutputError>(
  "@effect-sogni/chat/SogniChatOutputError"
)("SogniChatOutputError", {
  reason: Schema.Literal("InvalidJson", "SchemaMismatch"),
  jobID: Schema.String,
  rawText: Schema.String,
  message: Schema.String
})) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * True for the errors defined by this package.
 *
 * @since 0.1.0
 */
export const isChatPackageError = (u: unknown): u is SogniChatJobError | SogniToolCallError | SogniChatOutputError =>
  Predicate.hasProperty(u, TypeId)

/**
 * What a chat stream or completion can fail with: core's errors (transport, invalid input) and job
 * failures.
 *
 * @since 0.1.0
 */
export type ChatError = SogniError.SogniError | SogniChatJobError
