/**
 * The scanner that tells when a JSON answer's bytes hold one whole value (`internal/jsonEnd`), and
 * `AnswerKind.jsonText` on it: a body whose value is whole is decided without waiting for the end of a
 * response that never ends. Property: any JSON value, serialized (compact or indented, with white space
 * and a byte order mark before it) and split at random points, is whole at its last byte and at no byte
 * before it; a number or literal only once a byte that cannot continue it follows.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Stream from "effect/Stream"
import { JsonEnd } from "../src/internal/jsonEnd.js"
import { AnswerKind, SogniError } from "../src/index.js"

const encode = (text: string) => new TextEncoder().encode(text)

/** Feeds `text` one byte at a time: the number of bytes after which the scanner first said whole (`undefined`: never). */
const wholeAfter = (text: string | Uint8Array): number | undefined => {
  const bytes = typeof text === "string" ? encode(text) : text
  const end = new JsonEnd()
  for (let i = 0; i < bytes.length; i++) if (end.push(bytes.subarray(i, i + 1))) return i + 1
  return undefined
}

/** `bytes` cut at the given offsets (any order, repeats and out-of-range ones ignored). */
const cut = (bytes: Uint8Array, at: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(at.filter((n) => n > 0 && n < bytes.length))].sort((a, b) => a - b)
  const parts: Array<Uint8Array> = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(from, p))
    from = p
  }
  return parts
}

// strings full of what a naive scanner trips on: brackets, quotes, backslashes, multi-byte characters
const trickyString = FastCheck.string({
  unit: FastCheck.constantFrom("\"", "\\", "{", "}", "[", "]", ",", ":", "a", " ", "\n", "é", "€", "😀", "\u0000", "/"),
  maxLength: 12
})
const { value: jsonValue } = FastCheck.letrec((tie) => ({
  value: FastCheck.oneof(
    { depthSize: "small", withCrossShrink: true },
    FastCheck.constantFrom(null, true, false),
    FastCheck.integer({ min: -1_000_000, max: 1_000_000 }),
    FastCheck.double({ noNaN: true, noDefaultInfinity: true }),
    trickyString,
    FastCheck.array(tie("value"), { maxLength: 5 }),
    FastCheck.dictionary(trickyString, tie("value"), { maxKeys: 5 })
  )
}))
const lead = FastCheck.constantFrom("", " ", "\r\n\t ", "\uFEFF", "\uFEFF\n")

const isScalar = (value: unknown) => value === null || typeof value === "number" || typeof value === "boolean"

describe("JsonEnd (where a JSON value ends)", () => {
  it("an object is whole at the brace that closes it, not at braces, brackets or escaped quotes in its strings", () => {
    const text = "{\"message\":\"a } and a ] and a \\\" and a \\\\\",\"nested\":[{\"x\":\"{[\"}],\"n\":-1.5e3}"
    assert.deepStrictEqual(JSON.parse(text).message, "a } and a ] and a \" and a \\")
    assert.strictEqual(wholeAfter(text), encode(text).length)
    assert.strictEqual(wholeAfter(`\uFEFF \n${text}\n\n{`), encode(`\uFEFF \n${text}`).length)
  })

  it("a string is whole at its closing quote: a quote after an even run of backslashes closes, after an odd one does not", () => {
    assert.strictEqual(wholeAfter("\"ab\\\\\" tail"), 6)
    assert.strictEqual(wholeAfter("\"ab\\\\\\\" tail"), undefined)
    assert.strictEqual(wholeAfter("[\"\\\\\"]"), 6)
    assert.strictEqual(wholeAfter("[\"\\\"]"), undefined)
  })

  it("a number or literal is whole only at a byte that cannot continue it", () => {
    assert.strictEqual(wholeAfter("42"), undefined)
    assert.strictEqual(wholeAfter("-4.2e1"), undefined)
    assert.strictEqual(wholeAfter("true"), undefined)
    assert.strictEqual(wholeAfter("42\n"), 3)
    assert.strictEqual(wholeAfter("null,"), 5)
    assert.strictEqual(wholeAfter("  false]"), 8)
  })

  it("white space and a byte order mark alone are not a value; once whole it stays whole", () => {
    assert.strictEqual(wholeAfter(" \r\n\t\uFEFF"), undefined)
    assert.strictEqual(wholeAfter(""), undefined)
    const end = new JsonEnd()
    assert.isFalse(end.push(encode("{\"a\":")))
    assert.isTrue(end.push(encode("1} garbage {")))
    assert.isTrue(end.push(encode("[[[")))
    assert.isTrue(end.whole)
  })

  it("a body that is not JSON is never called whole before its brackets close (the parser refuses what is)", () => {
    assert.strictEqual(wholeAfter("{\"a\":[1,2"), undefined)
    assert.strictEqual(wholeAfter("{]"), 2)
    assert.strictEqual(wholeAfter("<html>\n"), 7)
  })

  it.prop(
    "any JSON value, split anywhere: whole at its last byte and at none before",
    [jsonValue, FastCheck.boolean(), lead, FastCheck.array(FastCheck.nat(), { maxLength: 8 })],
    ([value, indented, before, at]) => {
      const serialized = before + JSON.stringify(value, null, indented ? 2 : undefined)
      // a number or literal is whole once something that cannot continue it follows
      const text = isScalar(value) ? `${serialized}\n` : serialized
      const bytes = encode(text)
      assert.strictEqual(wholeAfter(bytes), bytes.length, text)
      const end = new JsonEnd()
      const parts = cut(bytes, at.map((n) => n % (bytes.length + 1)))
      parts.forEach((part, i) => assert.strictEqual(end.push(part), i === parts.length - 1, `part ${i} of ${JSON.stringify(text)}`))
      // without the byte that ends it, a number or literal is never whole
      if (isScalar(value)) assert.strictEqual(wholeAfter(serialized), undefined)
    }
  )
})

describe("AnswerKind.jsonText", () => {
  /** Parts, then a body that never ends. */
  const endless = (...parts: ReadonlyArray<string>) =>
    Stream.concat(Stream.fromIterable(parts.map(encode)), Stream.never)

  it.effect("reads a value split across reads and does not wait for a body that never ends", () =>
    Effect.gen(function*() {
      const text = yield* AnswerKind.jsonText(
        endless("\uFEFF {\"error\":{\"message\":\"no } here \\\"", "quoted\\\"\"", ",\"code\":\"4040\"}", "\n}"),
        1_000,
        "the answer",
        "GET /x"
      )
      assert.deepStrictEqual(JSON.parse(text), { error: { message: "no } here \"quoted\"", code: "4040" } })
    }))

  it.effect("the text is all that was read, bytes after the value in the same read too", () =>
    Effect.gen(function*() {
      const text = yield* AnswerKind.jsonText(endless("{\"a\":1} x", "never read"), 1_000, "the answer", "GET /x")
      assert.strictEqual(text, "{\"a\":1} x")
    }))

  it.effect("a body that ends before its value is whole is read to its end", () =>
    Effect.gen(function*() {
      const text = yield* AnswerKind.jsonText(Stream.fromIterable(["{\"a\":", "[1"].map(encode)), 1_000, "the answer", "GET /x")
      assert.strictEqual(text, "{\"a\":[1")
    }))

  it.effect("a value that never becomes whole is bounded by maxBytes: TooLarge naming what and the bound", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        AnswerKind.jsonText(Stream.concat(Stream.make(encode("{\"a\":\"")), Stream.repeatValue(encode("}]".repeat(32)))), 1_000, "the answer of GET /x", "GET /x")
      )
      assert.instanceOf(error, SogniError.SogniDecodeError)
      assert.deepStrictEqual([error.reason, error.source], ["TooLarge", "GET /x"])
      assert.include(error.message, "the answer of GET /x")
      assert.include(error.message, "1000")
    }))
})
