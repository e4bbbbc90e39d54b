/**
 * Accumulates the `jobTokens` frames of one job exactly as the official client does (chat.md §3.2, §4):
 *
 * - `content` deltas concatenate (absent or `null` counts as `""`);
 * - the last non-empty `role`, `finishReason` and `usage` win (defaults `"assistant"`, `"stop"`, zeros);
 * - tool-call deltas are keyed by `index`: the first delta of an index creates the call, a non-empty `id`
 *   or `function.name` replaces the current one (names are never concatenated), non-empty `arguments`
 *   fragments are appended, the wire `type` is ignored (always `"function"`); the calls come out sorted by
 *   `index`.
 *
 * `llmJobResult` (not `finishReason`) ends a job; its `usage`, when present, replaces the last token usage.
 *
 * @example
 * ```ts
 * import { ChunkAccumulator } from "@effect-sogni/chat"
 *
 * const acc = [
 *   { jobID: "J", role: "assistant", tool_calls: [{ index: 0, id: "call_1", function: { name: "get_weather", arguments: "" } }] },
 *   { jobID: "J", tool_calls: [{ index: 0, function: { arguments: "{\"location\":\"Austin\"}" } }] },
 *   { jobID: "J", finishReason: "tool_calls" }
 * ].reduce(ChunkAccumulator.step, ChunkAccumulator.empty)
 * ChunkAccumulator.toolCalls(acc) // [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"location\":\"Austin\"}" } }]
 * ```
 *
 * @since 0.1.0
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import { type TokenUsage, zeroUsage } from "./ChatChunk.js"
import type { ToolCall } from "./ChatRequest.js"

/** @since 0.1.0 */
export interface Accumulator {
  readonly content: string
  readonly role: string | undefined
  readonly finishReason: string | undefined
  readonly usage: TokenUsage | undefined
  /** Calls by `index`. */
  readonly calls: ReadonlyMap<number, ToolCall>
}

/** @since 0.1.0 */
export const empty: Accumulator = {
  content: "",
  role: undefined,
  finishReason: undefined,
  usage: undefined,
  calls: new Map()
}

const nonEmpty = (s: string | null | undefined): s is string => typeof s === "string" && s.length > 0

/**
 * Applies tool-call deltas to the calls so far.
 *
 * @since 0.1.0
 */
export const applyToolDeltas = (
  calls: ReadonlyMap<number, ToolCall>,
  deltas: ReadonlyArray<Protocol.ToolCallDelta>
): ReadonlyMap<number, ToolCall> => {
  if (deltas.length === 0) return calls
  const next = new Map(calls)
  for (const d of deltas) {
    const current = next.get(d.index) ?? {
      id: d.id ?? "",
      type: "function" as const,
      function: { name: d.function?.name ?? "", arguments: "" }
    }
    next.set(d.index, {
      id: nonEmpty(d.id) ? d.id : current.id,
      type: "function",
      function: {
        name: nonEmpty(d.function?.name) ? d.function.name : current.function.name,
        arguments: nonEmpty(d.function?.arguments) ? current.function.arguments + d.function.arguments : current.function.arguments
      }
    })
  }
  return next
}

/**
 * Folds one `jobTokens` payload in.
 *
 * @since 0.1.0
 */
export const step = (acc: Accumulator, tokens: Omit<Protocol.JobTokens, "jobID">): Accumulator => ({
  content: nonEmpty(tokens.content) ? acc.content + tokens.content : acc.content,
  role: nonEmpty(tokens.role) ? tokens.role : acc.role,
  finishReason: nonEmpty(tokens.finishReason) ? tokens.finishReason : acc.finishReason,
  usage: tokens.usage ?? acc.usage,
  calls: tokens.tool_calls === undefined ? acc.calls : applyToolDeltas(acc.calls, tokens.tool_calls)
})

/**
 * {@link step} without the `content` concatenation (the text is left as it was), for callers that
 * hand the text on as it arrives and need only the role, finish reason, usage and tool calls: a long
 * stream then holds no second copy of its text. Returns `acc` itself when the payload changes nothing.
 *
 * @since 0.1.0
 */
export const stepMeta = (acc: Accumulator, tokens: Omit<Protocol.JobTokens, "jobID">): Accumulator => {
  const role = nonEmpty(tokens.role) && tokens.role !== acc.role ? tokens.role : acc.role
  const finishReason = nonEmpty(tokens.finishReason) ? tokens.finishReason : acc.finishReason
  const usage = tokens.usage ?? acc.usage
  const calls = tokens.tool_calls === undefined ? acc.calls : applyToolDeltas(acc.calls, tokens.tool_calls)
  if (role === acc.role && finishReason === acc.finishReason && usage === acc.usage && calls === acc.calls) return acc
  return { content: acc.content, role, finishReason, usage, calls }
}

/** The accumulated calls sorted by `index`. @since 0.1.0 */
export const toolCalls = (acc: Accumulator): ReadonlyArray<ToolCall> =>
  [...acc.calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c)

/** The outcome fields once `llmJobResult` arrived. @since 0.1.0 */
export interface Result {
  readonly content: string
  readonly role: string
  readonly finishReason: string
  readonly usage: TokenUsage
  readonly toolCalls: ReadonlyArray<ToolCall>
}

/**
 * The result fields with the documented defaults; `resultUsage` (from `llmJobResult`) replaces the token
 * usage when present.
 *
 * @since 0.1.0
 */
export const result = (acc: Accumulator, resultUsage?: TokenUsage | undefined): Result => ({
  content: acc.content,
  role: acc.role ?? "assistant",
  finishReason: acc.finishReason ?? "stop",
  usage: resultUsage ?? acc.usage ?? zeroUsage,
  toolCalls: toolCalls(acc)
})
