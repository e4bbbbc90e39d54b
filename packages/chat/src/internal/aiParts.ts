/**
 * The pure mapping from Sogni chat chunks to `@effect/ai` response parts (used by `AiLanguageModel`).
 *
 * @internal
 */
import type * as Response from "@effect/ai/Response"
import type { ChatChunk, TokenUsage } from "../ChatChunk.js"
import type * as ChatRequest from "../ChatRequest.js"

/** @internal */
export const finishReason = (reason: string): Response.FinishPartEncoded["reason"] => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    case "content_filter":
      return "content-filter"
    default:
      return "other"
  }
}

/** @internal */
export const usageOf = (usage: TokenUsage): Response.FinishPartEncoded["usage"] => ({
  inputTokens: usage.prompt_tokens,
  outputTokens: usage.completion_tokens,
  totalTokens: usage.total_tokens
})

/** @internal */
export interface StreamState {
  readonly open: "text" | "reasoning" | undefined
  readonly block: number
  readonly metadata: boolean
  /** Tool calls whose parameters are streaming, by delta index → part id. */
  readonly params: ReadonlyMap<number, string>
}

/** @internal */
export const initialState: StreamState = { open: undefined, block: 0, metadata: false, params: new Map() }

const close = (s: StreamState): [StreamState, Array<Response.StreamPartEncoded>] =>
  s.open === undefined
    ? [s, []]
    : [{ ...s, open: undefined }, [{ type: s.open === "text" ? "text-end" : "reasoning-end", id: `${s.open}-${s.block}` }]]

const openBlock = (s: StreamState, kind: "text" | "reasoning"): [StreamState, Array<Response.StreamPartEncoded>] => {
  if (s.open === kind) return [s, []]
  const [closed, ended] = close(s)
  const block = closed.block + 1
  return [
    { ...closed, open: kind, block },
    [...ended, { type: kind === "text" ? "text-start" : "reasoning-start", id: `${kind}-${block}` }]
  ]
}

/**
 * One chat chunk → the stream parts it stands for (pure; tool calls are parsed at `Finish`).
 *
 * @internal
 */
export const step = (
  model: string,
  s: StreamState,
  chunk: ChatChunk
): [StreamState, Array<Response.StreamPartEncoded>, ReadonlyArray<ChatRequest.ToolCall>] => {
  switch (chunk._tag) {
    case "JobState":
      return s.metadata
        ? [s, [], []]
        : [{ ...s, metadata: true }, [{ type: "response-metadata", id: chunk.jobID, modelId: model }], []]
    case "TextDelta":
    case "ReasoningDelta": {
      const kind = chunk._tag === "TextDelta" ? "text" : "reasoning"
      const [next, parts] = openBlock(s, kind)
      const id = `${kind}-${next.block}`
      return [next, [...parts, { type: kind === "text" ? "text-delta" : "reasoning-delta", id, delta: chunk.text }], []]
    }
    case "ToolCallDelta": {
      const [closed, parts] = close(s)
      const known = closed.params.get(chunk.index)
      if (known === undefined) {
        const id = chunk.id ?? `tool-${chunk.index}`
        const params = new Map(closed.params).set(chunk.index, id)
        const start: Response.StreamPartEncoded = { type: "tool-params-start", id, name: chunk.name ?? "" }
        const delta: Array<Response.StreamPartEncoded> = chunk.arguments.length > 0
          ? [{ type: "tool-params-delta", id, delta: chunk.arguments }]
          : []
        return [{ ...closed, params }, [...parts, start, ...delta], []]
      }
      return [
        closed,
        chunk.arguments.length > 0 ? [...parts, { type: "tool-params-delta", id: known, delta: chunk.arguments }] : parts,
        []
      ]
    }
    case "Usage":
      return [s, [], []]
    case "Finish": {
      const [closed, parts] = close(s)
      const ends = [...closed.params.values()].map((id): Response.StreamPartEncoded => ({ type: "tool-params-end", id }))
      return [{ ...closed, params: new Map() }, [...parts, ...ends], chunk.toolCalls]
    }
  }
}

