/**
 * `AnswerKind.kindOf`: the kind of an answer by its content type (any case, with parameters), or without
 * one by its first byte past white space and a leading UTF-8 byte order mark (a JSON body a server opened
 * with a mark is still JSON; the SSE reader drops the mark of an event stream). The streams that ask it are
 * tested over loopback in chat (HostedChatHostile, ChatRunsHostile) and workflows (WorkflowsHostile).
 */
import { assert, describe, it } from "@effect/vitest"
import { AnswerKind } from "../src/index.js"

const bytes = (...parts: ReadonlyArray<string | ReadonlyArray<number>>): Array<Uint8Array> =>
  parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)))

describe("AnswerKind.kindOf", () => {
  it("reads the content type's media type, in any case and with parameters", () => {
    assert.strictEqual(AnswerKind.kindOf("text/event-stream", []), "events")
    assert.strictEqual(AnswerKind.kindOf("Text/Event-Stream; charset=utf-8", []), "events")
    assert.strictEqual(AnswerKind.kindOf("application/json; charset=utf-8", bytes("data: x")), "json")
    assert.strictEqual(AnswerKind.kindOf(" APPLICATION/JSON ", []), "json")
    assert.strictEqual(AnswerKind.kindOf("application/problem+json", []), "json")
    assert.strictEqual(AnswerKind.kindOf("text/html; charset=utf-8", bytes("{")), undefined)
  })

  it("without a content type: the first byte past white space, `{` being JSON", () => {
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes(" \r\n\t", "", "{\"a\":1}")), "json")
    assert.strictEqual(AnswerKind.kindOf("", bytes("\n{}")), "json")
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes("\ndata: {}\n\n")), "events")
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes(": comment\n\n")), "events")
    assert.strictEqual(AnswerKind.kindOf(undefined, []), "events")
  })

  it("without a content type: a leading byte order mark is passed over, even split between reads", () => {
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes("\uFEFF{\"id\":\"c1\"}")), "json")
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes("\uFEFF \n{}")), "json")
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes([0xef], [0xbb, 0xbf], "{}")), "json")
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes("\uFEFFdata: {}\n\n")), "events")
    // a mark broken off is no mark (its first byte leads), and only the body's first bytes can be one
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes([0xef, 0xbb], "{}")), "events")
    assert.strictEqual(AnswerKind.kindOf(undefined, bytes(" \uFEFF{}")), "events")
  })
})
