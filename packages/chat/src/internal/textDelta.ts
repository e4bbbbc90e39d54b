/**
 * The hot path's text elements: a `TextDelta` or `ReasoningDelta` built the way `ChatChunk`'s
 * constructors build it (the same prototype, `Data`'s structural one, with own `text` then `_tag`), so
 * it is the same value for `Equal`, `Hash`, `_tag` checks and JSON, but made by a plain constructor
 * function: one allocation per token, with no argument object for `Data`'s constructor to copy from,
 * and sized for its two fields. (`Object.create(prototype)` gives an object room for four in-object
 * fields, 56 bytes; the constructor's instances shrink to their two, 40 bytes, once V8 has seen a few.)
 * A long reply makes one per token, and a stream consumer may hold them across a young-generation
 * collection, so the bytes per element count twice: allocated, and sometimes promoted.
 *
 * @internal
 */
import { ChatChunk } from "../ChatChunk.js"

/** The tags of the text elements. @internal */
export type TextTag = "TextDelta" | "ReasoningDelta"

interface TextElement {
  text: string
  _tag: TextTag
}

// one constructor for both tags: their instances share one hidden class (the order of the fields is
// the one `Data` gives them)
function TextElement(this: TextElement, tag: TextTag, text: string) {
  this.text = text
  this._tag = tag
}
TextElement.prototype = Object.getPrototypeOf(ChatChunk.TextDelta({ text: "" })) as object

const make = TextElement as unknown as new(tag: TextTag, text: string) => ChatChunk

/**
 * `ChatChunk.TextDelta({ text })` (or `ReasoningDelta`) as one small allocation.
 *
 * @internal
 */
export const textDelta = (tag: TextTag, text: string): ChatChunk => new make(tag, text)
