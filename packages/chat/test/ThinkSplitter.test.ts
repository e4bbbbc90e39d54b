import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { ThinkSplitter } from "../src/index.js"

/** Feeds `text` cut at the given points and concatenates the outputs. */
const splitInPieces = (text: string, cuts: ReadonlyArray<number>) => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  let state = ThinkSplitter.initial
  let reasoning = ""
  let content = ""
  let from = 0
  for (const p of [...points, text.length]) {
    const out = ThinkSplitter.push(state, text.slice(from, p))
    state = out.state
    reasoning += out.reasoning
    content += out.content
    from = p
  }
  const end = ThinkSplitter.flush(state)
  return { reasoning: reasoning + end.reasoning, content: content + end.content }
}

/** An independent reference: regex over the whole text, each segment after a tag left-trimmed. */
const reference = (text: string) => {
  let reasoning = ""
  let content = ""
  let mode: "content" | "reasoning" = "content"
  let rest = text
  let afterTag = false
  while (rest.length > 0) {
    const tag = mode === "content" ? "<think>" : "</think>"
    const at = rest.indexOf(tag)
    let segment = at < 0 ? rest : rest.slice(0, at)
    if (afterTag) segment = segment.replace(/^\s+/, "")
    if (mode === "content") content += segment
    else reasoning += segment
    if (at < 0) break
    rest = rest.slice(at + tag.length)
    mode = mode === "content" ? "reasoning" : "content"
    afterTag = true
  }
  return { reasoning, content }
}

// texts rich in tag fragments, so that cuts land inside tags
const piece = FastCheck.constantFrom("<think>", "</think>", "<", "</", "<th", "think>", ">", "\n", " ", "a", "b", "é", "<thinking>", "x</thin")
const text = FastCheck.oneof(FastCheck.array(piece, { maxLength: 30 }).map((ps) => ps.join("")), FastCheck.string({ maxLength: 60 }))

describe("ThinkSplitter", () => {
  it("splits a leading think block and trims the whitespace after the tags", () => {
    assert.deepStrictEqual(ThinkSplitter.split("<think>\nI should greet.\n</think>\n\nHello!"), {
      reasoning: "I should greet.\n",
      content: "Hello!"
    })
  })

  it("passes text without tags through unchanged, including lone '<' characters", () => {
    assert.deepStrictEqual(ThinkSplitter.split("a < b and <thin ice"), { reasoning: "", content: "a < b and <thin ice" })
  })

  it("holds back a partial tag until the next delta decides it", () => {
    const a = ThinkSplitter.push(ThinkSplitter.initial, "Hi <thi")
    assert.strictEqual(a.content, "Hi ")
    const b = ThinkSplitter.push(a.state, "nk>plan</thi")
    assert.deepStrictEqual([b.reasoning, b.content], ["plan", ""])
    const c = ThinkSplitter.push(b.state, "nk> there")
    assert.deepStrictEqual([c.reasoning, c.content], ["", "there"])
  })

  it("treats an unterminated block as reasoning to the end", () => {
    assert.deepStrictEqual(ThinkSplitter.split("<think>still going</thi"), { reasoning: "still going</thi", content: "" })
  })

  it.prop("any chunking yields the same reasoning and content", [text, FastCheck.array(FastCheck.nat(), { maxLength: 12 })], ([t, cuts]) => {
    assert.deepStrictEqual(splitInPieces(t, cuts), ThinkSplitter.split(t))
  })

  it.prop("the one-shot split agrees with an independent reference", [text], ([t]) => {
    assert.deepStrictEqual(ThinkSplitter.split(t), reference(t))
  })

  it.prop("without tags nothing is reasoning and the text is unchanged", [FastCheck.string().filter((s) => !s.includes("<think>"))], ([t]) => {
    assert.deepStrictEqual(ThinkSplitter.split(t), { reasoning: "", content: t })
  })
})
