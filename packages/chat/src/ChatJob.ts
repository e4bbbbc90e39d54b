/**
 * One chat job as a pure state machine: server events in, {@link ChatChunk}s and at most one ending out.
 *
 * `transition(state, event)` folds `jobState`, `jobTokens`, `llmJobResult` and `llmJobError` frames
 * (chat.md §3) through the {@link ChunkAccumulator} and, when thinking is split, the
 * {@link ThinkSplitter}; `feed(state, event, emit)` is the same fold handing each chunk to `emit` (what the
 * socket's turn runs: nothing allocated per frame but the chunks). The effectful shell (`Chat`) only
 * routes frames here and forwards what comes out; it never interprets a frame itself. After the ending every input is ignored (frames after the
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
import { ChatChunk, type ReplyGap } from "./ChatChunk.js"
import { SogniChatJobError } from "./ChatError.js"
import * as ChunkAccumulator from "./ChunkAccumulator.js"
import { textDelta } from "./internal/textDelta.js"
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
  /** Whether `jobState` frames come out as `JobState` chunks (else they only update `workerName`). */
  readonly jobStates: boolean
  readonly ended: boolean
  /** How the job ended, once it did. */
  readonly ending: Ending | undefined
  /**
   * Set by the shell ({@link withGap}) when the socket dropped while the job was unfinished; the `Finish`
   * carries it, with the server's `completion_tokens` filled in.
   */
  readonly gap?: ReplyGap | undefined
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

/**
 * Options of a job's machine.
 *
 * - `splitThinking`: `<think>` text becomes `ReasoningDelta`s;
 * - `jobStates` (default `false`): each `jobState` frame also comes out as a `JobState` chunk. Off, the
 *   stream holds what the model produced (text, reasoning, tool-call deltas, mid-stream usage) and its
 *   `Finish`, one element per `jobTokens` frame as the official client yields them.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly splitThinking: boolean
  readonly jobStates?: boolean | undefined
}

/** @since 0.1.0 */
export const initial = (jobID: string, options: Options): State => ({
  jobID: jobID.toUpperCase(),
  acc: ChunkAccumulator.empty,
  splitter: options.splitThinking ? ThinkSplitter.initial : undefined,
  workerName: undefined,
  jobStates: options.jobStates === true,
  ended: false,
  ending: undefined
})

// `ChatChunk.X` is a proxy property that builds a new constructor on every read: read each one once
const ToolCallDelta = ChatChunk.ToolCallDelta
const Usage = ChatChunk.Usage
const JobState = ChatChunk.JobState
const Finish = ChatChunk.Finish

const textChunks = (
  emit: (chunk: ChatChunk) => void,
  emitText: (text: string) => void,
  reasoning: string,
  content: string
) => {
  if (reasoning.length > 0) emit(textDelta("ReasoningDelta", reasoning))
  if (content.length > 0) emitText(content)
}

// `emitText` when none is given: a helper of its own, so that `feed` itself creates no closure (a closure
// over `emit` would make every call of `feed` allocate a context for it, one per token, used or not)
const textsAsChunks = (emit: (chunk: ChatChunk) => void) => (t: string) => emit(textDelta("TextDelta", t))

const nonEmpty = (s: string | null | undefined): s is string => typeof s === "string" && s.length > 0

const completed: Ending = { _tag: "Completed" }

/**
 * Marks the job's reply as crossing a reconnect ({@link ReplyGap}): what the socket's side knows
 * (drops, when, the token frames that arrived). The `Finish` of the job carries it, with the server's
 * reported `completion_tokens` added. Calling it again replaces the counts.
 *
 * @since 0.3.0
 */
export const withGap = (
  state: State,
  gap: { readonly drops: number; readonly firstDropAt: number; readonly tokenFrames: number }
): State =>
  state.ended ? state : {
    ...state,
    gap: {
      reason: "Reconnected",
      drops: gap.drops,
      firstDropAt: gap.firstDropAt,
      tokenFrames: gap.tokenFrames,
      completionTokens: undefined
    }
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

/**
 * Folds one server event routed to this job, handing each chunk to `emit` as it is made, and returns the
 * next state (`ended` and `ending` set by the event that ended the job; later events return the state
 * as it is). The hot path of a stream (one `jobTokens` frame per token) allocates the chunk and nothing
 * else unless something but text changed: no array, no step object per frame.
 *
 * Usage: a `jobTokens` frame's `usage` comes out as a `Usage` chunk, except on the frame that carries the
 * `finishReason` (the last of the reply): its usage is reported by the `Finish` that follows (which
 * takes `llmJobResult.usage`, else the last token usage), so the end of a reply is one element, as the
 * official client's last chunk carries the finish reason and the usage.
 *
 * `emitText`, when given, receives the text of each `TextDelta` instead of `emit` receiving the chunk:
 * a buffer that holds text until its consumer pulls can keep the string alone and build the
 * `TextDelta` then (the same element, in the same place among the others).
 *
 * @since 0.3.0
 */
export const feed = (
  state: State,
  event: Protocol.ServerEvent,
  emit: (chunk: ChatChunk) => void,
  emitText?: ((text: string) => void) | undefined
): State => {
  if (state.ended) return state
  const text = emitText ?? textsAsChunks(emit)
  switch (event.type) {
    case "jobState": {
      const p = event.payload as {
        readonly type: string
        readonly queuePosition?: number
        readonly workerName?: string
        readonly modelId?: string
        readonly estimatedCost?: string
      }
      if (state.jobStates) {
        emit(JobState({
          jobID: state.jobID,
          state: p.type,
          queuePosition: p.queuePosition,
          workerName: p.workerName,
          modelId: p.modelId,
          estimatedCost: p.estimatedCost
        }))
      }
      return p.workerName !== undefined ? { ...state, workerName: p.workerName } : state
    }
    case "jobTokens": {
      const t = event.payload
      let splitter = state.splitter
      const content = t.content
      if (content !== undefined && content !== null && content.length > 0) {
        if (splitter === undefined) {
          text(content)
        } else if (splitter.pending.length === 0 && !splitter.trimLeading && content.indexOf("<") < 0) {
          // ThinkSplitter.push's own shortcut, without its output object: no tag can start here
          if (splitter.mode === "content") text(content)
          else emit(textDelta("ReasoningDelta", content))
        } else {
          const out = ThinkSplitter.push(splitter, content)
          splitter = out.state
          textChunks(emit, text, out.reasoning, out.content)
        }
      }
      if (t.tool_calls !== undefined) {
        for (const d of t.tool_calls) {
          emit(ToolCallDelta({
            index: d.index,
            id: d.id,
            name: d.function?.name,
            arguments: d.function?.arguments ?? ""
          }))
        }
      }
      if (t.usage !== undefined && !nonEmpty(t.finishReason)) emit(Usage({ usage: t.usage }))
      const acc = ChunkAccumulator.stepMeta(state.acc, t)
      return acc === state.acc && splitter === state.splitter ? state : { ...state, acc, splitter }
    }
    case "llmJobResult": {
      const r = event.payload
      if (state.splitter !== undefined) {
        const out = ThinkSplitter.flush(state.splitter)
        textChunks(emit, text, out.reasoning, out.content)
      }
      const result = ChunkAccumulator.result(state.acc, r.usage)
      const reported = r.usage ?? state.acc.usage
      const gap = state.gap === undefined ? undefined : { ...state.gap, completionTokens: reported?.completion_tokens }
      emit(Finish({
        jobID: state.jobID,
        role: result.role,
        finishReason: result.finishReason,
        usage: result.usage,
        timeTaken: r.timeTaken ?? 0,
        workerName: r.workerName ?? state.workerName,
        cost: r.cost,
        toolCalls: result.toolCalls,
        ...(gap !== undefined ? { gap } : {})
      }))
      return gap === undefined ? { ...state, ended: true, ending: completed } : { ...state, ended: true, ending: completed, gap }
    }
    case "llmJobError":
      return { ...state, ended: true, ending: { _tag: "Failed", error: jobError(event.payload, state.jobID) } }
    default:
      return state
  }
}

/**
 * Folds one server event routed to this job: {@link feed} with the chunks collected in an array.
 *
 * @since 0.1.0
 */
export const transition = (state: State, event: Protocol.ServerEvent): Step => {
  const chunks: Array<ChatChunk> = []
  const next = feed(state, event, (chunk) => {
    chunks.push(chunk)
  })
  return { state: next, chunks, ending: next.ending !== state.ending ? next.ending : undefined }
}
