/**
 * The chat-stream workload, shared by the parent (which hosts the emulator) and the three contenders
 * (children). Plain data only: the floor imports it too.
 */

export interface ChatPlan {
  /** Completion tokens of the reply: one `jobTokens` frame each. */
  readonly tokens: number
  readonly model: string
  /** The user message; `[[long]]` makes the mock LLM answer with `tokens` word tokens. */
  readonly prompt: string
}

export const defaultPlan: ChatPlan = {
  tokens: 100_000,
  model: "qwen3.6-35b-a3b-gguf-iq4xs",
  prompt: "[[long]] write the longest essay you can"
}

/** What a contender process receives (argv[2], as JSON). */
export interface ContenderArgs {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string
  readonly apiKey: string
  /** Distinct per run: the emulator allows one live connection per appId. */
  readonly appId: string
  readonly plan: ChatPlan
}

/** What every contender reports in `detail`, so the parent can check they all saw the same reply. */
export interface ChatDetail {
  /** Text deltas (one per content token). */
  readonly deltas: number
  /** Characters of reply text. */
  readonly chars: number
  readonly completionTokens: number
}
