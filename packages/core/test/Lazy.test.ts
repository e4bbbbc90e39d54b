import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Lazy from "../src/Lazy.js"

describe("Lazy", () => {
  it("memo runs its thunk once, on the first call", () => {
    let runs = 0
    const value = Lazy.memo(() => {
      runs++
      return { n: runs }
    })
    expect(runs).toBe(0)
    const first = value()
    expect(value()).toBe(first)
    expect(runs).toBe(1)
  })

  it("schema builds nothing until read, then once; the stand-in decodes, nests, pipes and annotates as the schema", () => {
    let builds = 0
    const Point = Lazy.schema(() => {
      builds++
      return Schema.Struct({ x: Schema.Number, y: Schema.Number })
    })
    const Line = Lazy.schema(() => Schema.Struct({ from: Point, to: Point }))
    expect(builds).toBe(0)

    expect(Schema.decodeUnknownSync(Line)({ from: { x: 0, y: 1 }, to: { x: 2, y: 3 } })).toEqual({ from: { x: 0, y: 1 }, to: { x: 2, y: 3 } })
    expect(builds).toBe(1)
    const bad = Schema.decodeUnknownEither(Point)({ x: "0", y: 1 })
    expect(Either.isLeft(bad)).toBe(true)
    expect(builds).toBe(1)

    expect(Schema.isSchema(Point)).toBe(true)
    expect(Object.keys(Point.fields)).toEqual(["x", "y"])
    expect("fields" in Point).toBe(true)
    const Named = Point.annotations({ identifier: "Point" })
    expect(String(Named.ast)).toBe("Point")
    const Positive = Schema.Number.pipe(Schema.filter((n) => n > 0))
    const Coord = Lazy.schema(() => Positive)
    const Doubled = Coord.pipe(Schema.transform(Schema.Number, { decode: (n) => n * 2, encode: (n) => n / 2 }))
    expect(Schema.decodeUnknownSync(Doubled)(2)).toBe(4)
    expect(Either.isLeft(Schema.decodeUnknownEither(Doubled)(-1))).toBe(true)
  })

  it("a schema whose construction throws throws on every read, and is not memoised as built", () => {
    let attempts = 0
    const Broken = Lazy.schema((): Schema.Schema<number> => {
      attempts++
      throw new Error("no")
    })
    expect(() => Broken.ast).toThrow("no")
    expect(() => Broken.ast).toThrow("no")
    expect(attempts).toBe(2)
  })
})
