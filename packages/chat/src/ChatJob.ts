/**
 * One chat job as a pure state machine: server events in, {@link ChatChunk}s and at most one ending out.
 *
 * `transition(state, event)` folds `jobState`, `jobTokens`, `llmJobResult` and `llmJobError` frames
 * (chat.md §3) through the {@link ChunkAccumulator} and, when thinking is split, the
 * {@link ThinkSplitter}. The effectful shell (`Chat`) only routes frames here and forwards what comes out;
 * it never interprets a frame itself. After the ending every input is ignored (frames after the
 * terminal one are dropped, as chat.md §3.6 requires).
 *
 * @example
 * ```ts
 * import { ChatJob } from "@effect-sogni/chat"
 *
 * const s0 = ChatJob.initial("J", { splitThinking: true })
 * const { chunks } = ChatJob.transition(s0, { type: "jobTokens", payload: { jobID: "J", content: "Hi" } })
 * // [ChatChunk.TextDelta({ text: "Hi" })]
 * ```
 *
 * @since 0.1.0
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import { ChatChunk } from "./ChatChunk.js"
import { SogniChatJobError } from "./ChatError.js"
import * as ChunkAccumulator from "./ChunkAccumulator.js"
import * as ThinkSplitter from "./ThinkSplitter.js"

/** @since 0.1.0 */
export interface State {
  readonly jobID: string
  /**
   * Role, finish reason, usage and tool calls so far ({@link ChunkAccumulator.stepMeta}); `acc.content`
   * stays empty: the text leaves as chunks, so a long stream is not held a second time here.
   */
  readonly acc: ChunkAccumulator.Accumulator
  /** Absent when thinking is not split (all text is `TextDelta`). */
  readonly splitter: ThinkSplitter.State | undefined
  readonly workerName: string | undefined
  readonly ended: boolean
}

/** How a job ended. @since 0.1.0 */
export type Ending =
  | { readonly _tag: "Completed" }
  | { readonly _tag: "Failed"; readonly error: SogniChatJobError }

/** @since 0.1.0 */
export interface Step {
  readonly state: State
  readonly chunks: ReadonlyArray<ChatChunk>
  readonly ending: Ending | undefined
}

/** @since 0.1.0 */
export const initial = (jobID: string, options: { readonly splitThinking: boolean }): State => ({
  jobID: jobID.toUpperCase(),
  acc: ChunkAccumulator.empty,
  splitter: options.splitThinking ? ThinkSplitter.initial : undefined,
  workerName: undefined,
  ended: false
})

// `ChatChunk.X` is a proxy property that builds a new constructor on every read: read each one once
const TextDelta = ChatChunk.TextDelta
const ReasoningDelta = ChatChunk.ReasoningDelta
const ToolCallDelta = ChatChunk.ToolCallDelta
const Usage = ChatChunk.Usage

const textChunks = (out: Array<ChatChunk>, reasoning: string, content: string) => {
  if (reasoning.length > 0) out.push(ReasoningDelta({ text: reasoning }))
  if (content.length > 0) out.push(TextDelta({ text: content }))
}

/**
 * The error of an `llmJobError` frame.
 *
 * @since 0.1.0
 */
export const jobError = (payload: Protocol.LLMJobError, jobID: string): SogniChatJobError =>
  new SogniChatJobError({
    reason: "JobFailed",
    jobID,
    error: payload.error,
    message: payload.error_message ?? payload.error,
    ...(payload.error_code !== undefined ? { errorCode: payload.error_code } : {}),
    ...(payload.workerName !== undefined ? { workerName: payload.workerName } : {}),
    ...(payload.subscriptionLimit !== undefined ? { subscriptionLimit: payload.subscriptionLimit } : {}),
    ...(payload.requiredPlans !== undefined ? { requiredPlans: payload.requiredPlans } : {}),
    ...(payload.feature !== undefined ? { feature: payload.feature } : {}),
    ...(payload.limitation !== undefined ? { limitation: payload.limitation } : {})
  })

const unchanged = (state: State): Step => ({ state, chunks: [], ending: undefined })

/**
 * Folds one server event routed to this job.
 *
 * @since 0.1.0
 */
export const transition = (state: State, event: Protocol.ServerEvent): Step => {
  if (state.ended) return unchanged(state)
  switch (event.type) {
    case "jobState": {
      const p = event.payload as {
        readonly type: string
        readonly queuePosition?: number
        readonly workerName?: string
        readonly modelId?: string
        readonly estimatedCost?: string
      }
      return {
        state: p.workerName !== undefined ? { ...state, workerName: p.workerName } : state,
        chunks: [ChatChunk.JobState({
          jobID: state.jobID,
          state: p.type,
          queuePosition: p.queuePosition,
          workerName: p.workerName,
          modelId: p.modelId,
          estimatedCost: p.estimatedCost
        })],
        ending: undefined
      }
    }
    case "jobTokens": {
      // the hot path of a stream (one frame per token): no allocation beyond the chunk, its array and
      // the step unless something but text changed
      const t = event.payload
      const chunks: Array<ChatChunk> = []
      let splitter = state.splitter
      const text = t.content
      if (text !== undefined && text !== null && text.length > 0) {
        if (splitter === undefined) {
          chunks.push(TextDelta({ text }))
        } else {
          const out = ThinkSplitter.push(splitter, text)
          splitter = out.state
          textChunks(chunks, out.reasoning, out.content)
        }
      }
      if (t.tool_calls !== undefined) {
        for (const d of t.tool_calls) {
          chunks.push(ToolCallDelta({
            index: d.index,
            id: d.id,
            name: d.function?.name,
            arguments: d.function?.arguments ?? ""
          }))
        }
      }
      if (t.usage !== undefined) chunks.push(Usage({ usage: t.usage }))
      const acc = ChunkAccumulator.stepMeta(state.acc, t)
      const next = acc === state.acc && splitter === state.splitter ? state : { ...state, acc, splitter }
      return { state: next, chunks, ending: undefined }
    }
    case "llmJobResult": {
      const r = event.payload
      const chunks: Array<ChatChunk> = []
      if (state.splitter !== undefined) {
        const out = ThinkSplitter.flush(state.splitter)
        textChunks(chunks, out.reasoning, out.content)
      }
      const result = ChunkAccumulator.result(state.acc, r.usage)
      chunks.push(ChatChunk.Finish({
        jobID: state.jobID,
        role: result.role,
        finishReason: result.finishReason,
        usage: result.usage,
        timeTaken: r.timeTaken ?? 0,
        workerName: r.workerName ?? state.workerName,
        cost: r.cost,
        toolCalls: result.toolCalls
      }))
      return { state: { ...state, ended: true }, chunks, ending: { _tag: "Completed" } }
    }
    case "llmJobError":
      return {
        state: { ...state, ended: true },
        chunks: [],
        ending: { _tag: "Failed", error: jobError(event.payload, state.jobID) }
      }
    default:
      return unchanged(state)
  }
}
