/**
 * What a chat stream emits, and the completion a whole stream folds into.
 *
 * A job's stream is, in order: its `JobState`s (pending, queued, assigned, jobStarted) when the call
 * asked for them (`jobStates: true`), then per `jobTokens` frame its `ReasoningDelta` / `TextDelta`
 * (after the `<think>` split), `ToolCallDelta`s (raw, keyed by `index`) and `Usage`, and finally exactly
 * one `Finish` carrying the finish reason, usage, cost, worker and the accumulated tool calls. The frame
 * that carries the finish reason (the reply's last) reports its usage through that `Finish`, not a
 * `Usage` of its own: a reply of N text frames and a closing frame is N `TextDelta`s and a `Finish`,
 * as many elements as the official client's chunks. {@link collect} folds such a stream into a {@link ChatCompletion};
 * `Chat.complete` is exactly that fold.
 *
 * The tool loop adds {@link ToolEvent}s between rounds: each `ToolCall` before its handler runs, each
 * `ToolResult` as it completes.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Chat, ChatChunk } from "@effect-sogni/chat"
 *
 * const printed = Chat.stream({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "Hi" }] }).pipe(
 *   Stream.runForEach((chunk) =>
 *     ChatChunk.ChatChunk.$is("TextDelta")(chunk) ? Effect.sync(() => process.stdout.write(chunk.text)) : Effect.void)
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import * as Data from "effect/Data"
import type { SogniToolCallError } from "./ChatError.js"
import type { ChatMessage, ToolCall } from "./ChatRequest.js"

/** Token counts (wire names). @since 0.1.0 */
export type TokenUsage = Protocol.Usage

/** The settled cost of a job; the amounts are decimal strings (chat.md §3.3). @since 0.1.0 */
export interface LLMJobCost {
  readonly costInUSD?: string | undefined
  readonly costInToken?: string | undefined
  readonly costInSogni?: string | undefined
  readonly costInSpark?: string | undefined
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
}

/**
 * An LLM cost quote (`GET /api/v1/job-llm/estimate/…`, chat.md §11): amounts as numbers, with the
 * token counts the quote assumed.
 *
 * @since 0.1.0
 */
export interface LlmCostEstimate {
  readonly costInUSD: number
  readonly costInSogni: number
  readonly costInSpark: number
  readonly costInToken: number
  readonly inputTokens: number
  readonly outputTokens: number
}

/**
 * A reply that may have a hole: the socket dropped while the job was unfinished and the job carried on
 * after the reconnect (it was listed in `authenticated.activeLLMJobIDs`, or showed a frame within the
 * recovery grace; chat.md §7). The server sends a job's frames to the app's current connection and
 * buffers nothing, and token frames carry no sequence number (chat.md §3.2–§3.3): whatever it sent
 * while the socket was down is gone, and nothing on the wire says how much. The text (or tool-call
 * arguments) may therefore miss a stretch somewhere after the first drop.
 *
 * `tokenFrames` against `completionTokens` is supporting evidence only: a frame may carry several
 * tokens, so a shortfall there neither proves nor rules out a hole; the drop is what marks the reply.
 *
 * @since 0.3.0
 */
export interface ReplyGap {
  /** Why the reply may have a hole: the socket reconnected while the job was unfinished. */
  readonly reason: "Reconnected"
  /** How many times the socket dropped while the job was unfinished (at least 1). */
  readonly drops: number
  /** When the first of those drops was noticed (epoch milliseconds). */
  readonly firstDropAt: number
  /** `jobTokens` frames with text or tool-call data that did arrive. */
  readonly tokenFrames: number
  /** The server's `usage.completion_tokens` for the job, when it reported usage. */
  readonly completionTokens: number | undefined
}

/** @since 0.1.0 */
export const zeroUsage: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }

/**
 * One element of a chat stream.
 *
 * @since 0.1.0
 */
export type ChatChunk = Data.TaggedEnum<{
  /**
   * A lifecycle frame (`pending`, `queued`, `assigned`, `jobStarted`, …), with the quote when queued; only
   * in streams that asked for them (`jobStates: true`).
   */
  JobState: {
    readonly jobID: string
    readonly state: string
    readonly queuePosition: number | undefined
    readonly workerName: string | undefined
    readonly modelId: string | undefined
    readonly estimatedCost: string | undefined
  }
  /** Answer text. */
  TextDelta: { readonly text: string }
  /** Text inside `<think>…</think>`. */
  ReasoningDelta: { readonly text: string }
  /** A raw tool-call delta: `name` is sent whole once, `arguments` fragments concatenate per `index`. */
  ToolCallDelta: {
    readonly index: number
    readonly id: string | undefined
    readonly name: string | undefined
    readonly arguments: string
  }
  /** Usage reported by a `jobTokens` frame before the last (the last one's comes with `Finish`). */
  Usage: { readonly usage: TokenUsage }
  /** The terminal success (`llmJobResult`). */
  Finish: {
    readonly jobID: string
    readonly role: string
    /** Last non-empty `finishReason` of the tokens; `"stop"` when none came. */
    readonly finishReason: string
    readonly usage: TokenUsage
    /** Server-side duration in seconds. */
    readonly timeTaken: number
    readonly workerName: string | undefined
    readonly cost: LLMJobCost | undefined
    /** The accumulated tool calls, by `index`. */
    readonly toolCalls: ReadonlyArray<ToolCall>
    /**
     * Set when the reply crossed a reconnect and may have a hole ({@link ReplyGap}); absent otherwise.
     * Providers without such a transport never set it.
     */
    readonly gap?: ReplyGap | undefined
  }
}>

/** @since 0.1.0 */
export const ChatChunk = Data.taggedEnum<ChatChunk>()

/**
 * What the tool loop adds to a stream.
 *
 * @since 0.1.0
 */
export type ToolEvent = Data.TaggedEnum<{
  /** A complete call the model made in round `round` (0-based), emitted before its handler runs. */
  ToolCall: { readonly round: number; readonly call: ToolCall }
  /**
   * The result sent back to the model. `error` is set when the call failed (unknown tool, invalid
   * arguments, failing handler); `content` is then `{"success":false,"error":…}`.
   */
  ToolResult: {
    readonly round: number
    readonly toolCallId: string
    readonly name: string
    readonly content: string
    readonly error: SogniToolCallError | undefined
  }
}>

/** @since 0.1.0 */
export const ToolEvent = Data.taggedEnum<ToolEvent>()

/** An element of a stream with tools. @since 0.1.0 */
export type ToolStreamChunk = ChatChunk | ToolEvent

/**
 * A finished completion.
 *
 * @since 0.1.0
 */
export interface ChatCompletion {
  readonly jobID: string
  /** The answer, without reasoning. */
  readonly text: string
  /** The `<think>` text, empty when there was none. */
  readonly reasoning: string
  readonly role: string
  readonly finishReason: string
  readonly usage: TokenUsage
  readonly timeTaken: number
  readonly workerName: string | undefined
  readonly cost: LLMJobCost | undefined
  readonly toolCalls: ReadonlyArray<ToolCall>
  /** Set when the reply crossed a reconnect and may have a hole ({@link ReplyGap}); absent otherwise. */
  readonly gap?: ReplyGap | undefined
}

/** A folding state for {@link collect}. @since 0.1.0 */
export interface Collector {
  readonly text: string
  readonly reasoning: string
  readonly finish: Extract<ChatChunk, { readonly _tag: "Finish" }> | undefined
}

/** @since 0.1.0 */
export const emptyCollector: Collector = { text: "", reasoning: "", finish: undefined }

/**
 * Folds one chunk into a collector.
 *
 * @since 0.1.0
 */
export const collect = (c: Collector, chunk: ChatChunk): Collector => {
  switch (chunk._tag) {
    case "TextDelta":
      return { ...c, text: c.text + chunk.text }
    case "ReasoningDelta":
      return { ...c, reasoning: c.reasoning + chunk.text }
    case "Finish":
      return { ...c, finish: chunk }
    default:
      return c
  }
}

/**
 * The completion of a collector that saw its `Finish`.
 *
 * @since 0.1.0
 */
export const toCompletion = (c: Collector): ChatCompletion | undefined =>
  c.finish === undefined ? undefined : {
    jobID: c.finish.jobID,
    text: c.text,
    reasoning: c.reasoning,
    role: c.finish.role,
    finishReason: c.finish.finishReason,
    usage: c.finish.usage,
    timeTaken: c.finish.timeTaken,
    workerName: c.finish.workerName,
    cost: c.finish.cost,
    toolCalls: c.finish.toolCalls,
    ...(c.finish.gap !== undefined ? { gap: c.finish.gap } : {})
  }

/** One tool round of a completion with tools. @since 0.1.0 */
export interface ToolRound {
  readonly round: number
  readonly completion: ChatCompletion
  readonly toolResults: ReadonlyArray<Extract<ToolEvent, { readonly _tag: "ToolResult" }>>
}

/**
 * The outcome of a completion with tools: the final answer, the rounds that called tools, and the whole
 * conversation (the request's messages, every assistant tool-call turn with its tool messages, and the
 * final assistant answer) ready to continue.
 *
 * @since 0.1.0
 */
export interface ToolCompletion extends ChatCompletion {
  readonly rounds: ReadonlyArray<ToolRound>
  readonly messages: ReadonlyArray<ChatMessage>
}
