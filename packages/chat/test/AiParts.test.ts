/**
 * The pure chunk → `@effect/ai` stream part mapping behind `AiLanguageModel.streamText`: for any
 * interleaving of text, reasoning and tool-call deltas, the parts carry exactly the text, reasoning
 * and argument fragments, in well-formed blocks.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import type * as Response from "@effect/ai/Response"
import { ChatChunk, zeroUsage } from "../src/ChatChunk.js"
import { finishReason, initialState, step, type StreamState } from "../src/internal/aiParts.js"

const model = "m"

type Piece =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "reasoning"; readonly text: string }
  | { readonly kind: "tool"; readonly index: number; readonly fragment: string }

const piece: FastCheck.Arbitrary<Piece> = FastCheck.oneof(
  FastCheck.record({ kind: FastCheck.constant("text" as const), text: FastCheck.string({ minLength: 1, maxLength: 6 }) }),
  FastCheck.record({ kind: FastCheck.constant("reasoning" as const), text: FastCheck.string({ minLength: 1, maxLength: 6 }) }),
  FastCheck.record({
    kind: FastCheck.constant("tool" as const),
    index: FastCheck.integer({ min: 0, max: 2 }),
    fragment: FastCheck.string({ maxLength: 5 })
  })
)

const run = (pieces: ReadonlyArray<Piece>) => {
  const seen = new Set<number>()
  const chunks: Array<ChatChunk> = [
    ChatChunk.JobState({ jobID: "J", state: "queued", queuePosition: 0, workerName: undefined, modelId: undefined, estimatedCost: undefined }),
    ...pieces.map((p): ChatChunk => {
      if (p.kind === "text") return ChatChunk.TextDelta({ text: p.text })
      if (p.kind === "reasoning") return ChatChunk.ReasoningDelta({ text: p.text })
      const first = !seen.has(p.index)
      seen.add(p.index)
      return ChatChunk.ToolCallDelta({
        index: p.index,
        id: first ? `call_${p.index}` : undefined,
        name: first ? `tool_${p.index}` : undefined,
        arguments: p.fragment
      })
    }),
    ChatChunk.Finish({
      jobID: "J",
      role: "assistant",
      finishReason: "tool_calls",
      usage: zeroUsage,
      timeTaken: 0,
      workerName: undefined,
      cost: undefined,
      toolCalls: []
    })
  ]
  let state: StreamState = initialState
  const parts: Array<Response.StreamPartEncoded> = []
  for (const c of chunks) {
    const [next, out] = step(model, state, c)
    state = next
    parts.push(...out)
  }
  return { parts, state }
}

describe("AiLanguageModel stream parts", () => {
  it.prop("carry every text, reasoning and argument fragment, in well-formed blocks", [FastCheck.array(piece, { maxLength: 40 })], ([pieces]) => {
    const { parts, state } = run(pieces)
    assert.strictEqual(parts[0]?.type, "response-metadata")
    assert.strictEqual(state.open, undefined)
    assert.strictEqual(state.params.size, 0)

    const deltas = (type: "text-delta" | "reasoning-delta") =>
      parts.flatMap((p) => (p.type === type ? [p.delta] : [])).join("")
    assert.strictEqual(deltas("text-delta"), pieces.flatMap((p) => (p.kind === "text" ? [p.text] : [])).join(""))
    assert.strictEqual(deltas("reasoning-delta"), pieces.flatMap((p) => (p.kind === "reasoning" ? [p.text] : [])).join(""))

    // text/reasoning blocks never overlap; every delta is inside the block it names
    let open: string | undefined
    for (const p of parts) {
      if (p.type === "text-start" || p.type === "reasoning-start") {
        assert.isUndefined(open)
        open = p.id
      } else if (p.type === "text-end" || p.type === "reasoning-end") {
        assert.strictEqual(p.id, open)
        open = undefined
      } else if (p.type === "text-delta" || p.type === "reasoning-delta") {
        assert.strictEqual(p.id, open)
      } else if (p.type.startsWith("tool-params")) {
        assert.isUndefined(open)
      }
    }
    assert.isUndefined(open)

    // one start per tool call, its deltas after it and the end after them, arguments intact
    for (const index of new Set(pieces.flatMap((p) => (p.kind === "tool" ? [p.index] : [])))) {
      const id = `call_${index}`
      const at = (type: string) => parts.flatMap((p, i) => (p.type === type && "id" in p && p.id === id ? [i] : []))
      const starts = at("tool-params-start")
      const ends = at("tool-params-end")
      assert.lengthOf(starts, 1)
      assert.lengthOf(ends, 1)
      for (const i of at("tool-params-delta")) {
        assert.isAbove(i, starts[0]!)
        assert.isBelow(i, ends[0]!)
      }
      const args = parts.flatMap((p) => (p.type === "tool-params-delta" && p.id === id ? [p.delta] : [])).join("")
      assert.strictEqual(args, pieces.flatMap((p) => (p.kind === "tool" && p.index === index ? [p.fragment] : [])).join(""))
    }
  })

  it("maps Sogni finish reasons", () => {
    assert.deepStrictEqual(
      ["stop", "length", "tool_calls", "content_filter", "whatever"].map(finishReason),
      ["stop", "length", "tool-calls", "content-filter", "other"]
    )
  })
})
