/**
 * The hot path's text elements (`internal/textDelta.ts`) are the values `ChatChunk`'s constructors make:
 * the same prototype, own keys in the same order, equal and hashed alike, the same JSON, and the tag
 * guards of `ChatChunk` recognise them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Equal from "effect/Equal"
import * as fc from "effect/FastCheck"
import * as Hash from "effect/Hash"
import { ChatChunk } from "../src/ChatChunk.js"
import { textDelta } from "../src/internal/textDelta.js"

describe("textDelta", () => {
  it("is the constructor's value for both tags", () =>
    fc.assert(
      fc.property(fc.constantFrom("TextDelta" as const, "ReasoningDelta" as const), fc.string(), (tag, text) => {
        const made = textDelta(tag, text)
        const reference = tag === "TextDelta" ? ChatChunk.TextDelta({ text }) : ChatChunk.ReasoningDelta({ text })
        assert.strictEqual(Object.getPrototypeOf(made), Object.getPrototypeOf(reference))
        assert.deepStrictEqual(Object.keys(made), Object.keys(reference))
        assert.isTrue(Equal.equals(made, reference))
        assert.isTrue(Equal.equals(reference, made))
        assert.strictEqual(Hash.hash(made), Hash.hash(reference))
        assert.strictEqual(JSON.stringify(made), JSON.stringify(reference))
        assert.strictEqual(String(made), String(reference))
        assert.isTrue(ChatChunk.$is(tag)(made))
        assert.deepStrictEqual(made, reference)
      })
    ))

  it("differs from a value with another tag or text", () => {
    assert.isFalse(Equal.equals(textDelta("TextDelta", "a"), ChatChunk.ReasoningDelta({ text: "a" })))
    assert.isFalse(Equal.equals(textDelta("TextDelta", "a"), ChatChunk.TextDelta({ text: "b" })))
  })
})
