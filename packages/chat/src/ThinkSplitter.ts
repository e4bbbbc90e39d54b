/**
 * Splits `<think>…</think>` reasoning out of streamed model text (chat.md §5).
 *
 * The socket carries no reasoning field: thinking models (Qwen templates with `enable_thinking`) write
 * their reasoning inline, between `<think>` and `</think>`. This splitter is a small pure state machine
 * fed one text delta at a time; tags may be cut anywhere between deltas (a partial tag at the end of a
 * delta is held back until the next one decides it). Whatever the chunking, the concatenated outputs
 * are the same (property-tested).
 *
 * Rules: text inside a `<think>` block is reasoning, everything else is content; an unterminated block
 * is reasoning to the end; whitespace right after a tag (`<think>\n`, `</think>\n\n`) is dropped.
 *
 * @example
 * ```ts
 * import { ThinkSplitter } from "@effect-sogni/chat"
 *
 * let s = ThinkSplitter.initial
 * const a = ThinkSplitter.push(s, "<thi"); s = a.state            // nothing yet: "<thi" may be a tag
 * const b = ThinkSplitter.push(s, "nk>plan</think>\n\nHi"); s = b.state
 * // b.reasoning === "plan", b.content === "Hi"
 * ```
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export const OPEN = "<think>"
/** @since 0.1.0 */
export const CLOSE = "</think>"

/** @since 0.1.0 */
export interface State {
  readonly mode: "content" | "reasoning"
  /** A suffix of the text so far that may be the start of the next tag. */
  readonly pending: string
  /** Drop whitespace until the next non-whitespace character (set after every tag). */
  readonly trimLeading: boolean
}

/** @since 0.1.0 */
export interface Output {
  readonly state: State
  readonly reasoning: string
  readonly content: string
}

/** @since 0.1.0 */
export const initial: State = { mode: "content", pending: "", trimLeading: false }

/** Length of the longest suffix of `s` that is a proper prefix of `tag`. */
const partialTagSuffix = (s: string, tag: string): number => {
  for (let n = Math.min(tag.length - 1, s.length); n > 0; n--) {
    if (s.endsWith(tag.slice(0, n))) return n
  }
  return 0
}

const trimStart = (text: string, trim: boolean): { readonly text: string; readonly trim: boolean } => {
  if (!trim) return { text, trim }
  const out = text.replace(/^\s+/, "")
  return { text: out, trim: out.length === 0 }
}

/**
 * Feeds one delta; returns the reasoning and content it decided, and the next state.
 *
 * @since 0.1.0
 */
export const push = (state: State, delta: string): Output => {
  // most deltas hold no `<` and follow no tag: all of it goes to the current side, the state stays
  if (state.pending.length === 0 && !state.trimLeading && delta.indexOf("<") < 0) {
    return state.mode === "content"
      ? { state, reasoning: "", content: delta }
      : { state, reasoning: delta, content: "" }
  }
  let buf = state.pending + delta
  let mode = state.mode
  let trim = state.trimLeading
  let reasoning = ""
  let content = ""
  const emit = (text: string) => {
    const t = trimStart(text, trim)
    trim = t.trim
    if (mode === "content") content += t.text
    else reasoning += t.text
  }
  while (true) {
    const tag = mode === "content" ? OPEN : CLOSE
    const at = buf.indexOf(tag)
    if (at >= 0) {
      emit(buf.slice(0, at))
      buf = buf.slice(at + tag.length)
      mode = mode === "content" ? "reasoning" : "content"
      trim = true
      continue
    }
    const hold = partialTagSuffix(buf, tag)
    emit(buf.slice(0, buf.length - hold))
    return { state: { mode, pending: buf.slice(buf.length - hold), trimLeading: trim }, reasoning, content }
  }
}

/**
 * Ends the text: a held-back partial tag was text after all.
 *
 * @since 0.1.0
 */
export const flush = (state: State): Output => {
  const t = trimStart(state.pending, state.trimLeading)
  return {
    state: { mode: state.mode, pending: "", trimLeading: t.trim },
    reasoning: state.mode === "reasoning" ? t.text : "",
    content: state.mode === "content" ? t.text : ""
  }
}

/**
 * Splits a whole text at once.
 *
 * @since 0.1.0
 */
export const split = (text: string): { readonly reasoning: string; readonly content: string } => {
  const a = push(initial, text)
  const b = flush(a.state)
  return { reasoning: a.reasoning + b.reasoning, content: a.content + b.content }
}
