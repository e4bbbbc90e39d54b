import { assert, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
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

  it.live("loadOnce imports on the first run only; a run after the load succeeds on the caller's turn", () =>
    Effect.gen(function*() {
      let imports = 0
      const module = { answer: 42 }
      const load = Lazy.loadOnce(() => {
        imports += 1
        return Promise.resolve(module)
      })
      assert.strictEqual(imports, 0)
      assert.strictEqual(yield* load, module)
      assert.strictEqual(imports, 1)
      // loaded: a synchronous run finishes where it is made, and nothing is imported again
      assert.deepStrictEqual(Effect.runSyncExit(load), Exit.succeed(module))
      assert.deepStrictEqual(Effect.runSyncExit(load), Exit.succeed(module))
      assert.strictEqual(imports, 1)
    }))

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

  describe("schemaClass", () => {
    const fields = { reason: Schema.Literal("Quota", "Closed"), message: Schema.String, code: Schema.optional(Schema.Number) }
    const mixin = <C extends new(...args: Array<any>) => object>(Base: C) =>
      class extends Base {
        get isRetryable(): boolean {
          return false
        }
      }
    class Eager extends mixin(Schema.TaggedError<Eager>("test/Eager")("Refused", fields)) {
      readonly brand = "refused"
    }
    let builds = 0
    class Refused extends mixin(Lazy.schemaClass(() => {
      builds++
      return Schema.TaggedError<Refused>("test/Refused")("Refused", fields)
    })) {
      readonly brand = "refused"
    }

    it("builds nothing at declaration; its instances are those of the built class, for the subclass", () => {
      expect(builds).toBe(0)
      const e = new Refused({ reason: "Quota", message: "over quota", code: 7 })
      expect(builds).toBe(1)
      const eager = new Eager({ reason: "Quota", message: "over quota", code: 7 })
      expect(e).toBeInstanceOf(Refused)
      expect(e).toBeInstanceOf(Error)
      expect(e.constructor).toBe(Refused)
      expect(Object.getPrototypeOf(e)).toBe(Refused.prototype)
      expect({ ...e }).toEqual({ ...eager })
      expect(e._tag).toBe("Refused")
      expect(e.message).toBe("over quota")
      expect(e.name).toBe(eager.name)
      expect(e.brand).toBe("refused")
      expect(e.isRetryable).toBe(false)
      expect(e.toJSON()).toEqual(eager.toJSON())
      expect(String(e)).toBe(String(eager))
      expect(Equal.equals(e, new Refused({ reason: "Quota", message: "over quota", code: 7 }))).toBe(true)
      expect(Equal.equals(e, new Refused({ reason: "Closed", message: "over quota", code: 7 }))).toBe(false)
      expect(typeof e.stack).toBe("string")
      expect(builds).toBe(1)
    })

    it("validates its props as the built class does", () => {
      expect(() => new Refused({ reason: "Nope" as "Quota", message: "m" })).toThrow(/reason/)
      expect(() => new Refused({ reason: "Nope" as "Quota", message: "m" }, true)).not.toThrow()
    })

    it("is the schema of its instances: statics are forwarded with the subclass as receiver", () => {
      expect(Schema.isSchema(Refused)).toBe(true)
      expect(Refused._tag).toBe("Refused")
      expect(Refused.identifier).toBe("test/Refused")
      expect(Object.keys(Refused.fields)).toEqual(Object.keys(Eager.fields))
      const made = Refused.make({ reason: "Closed", message: "closed" })
      expect(made).toBeInstanceOf(Refused)
      const decoded = Schema.decodeUnknownSync(Refused)({ _tag: "Refused", reason: "Closed", message: "closed" })
      expect(decoded).toBeInstanceOf(Refused)
      expect(decoded.isRetryable).toBe(false)
      expect(Schema.encodeSync(Refused)(decoded)).toEqual({ _tag: "Refused", reason: "Closed", message: "closed" })
      expect(Schema.is(Refused)(decoded)).toBe(true)
      expect(Schema.is(Refused)(new Eager({ reason: "Closed", message: "closed" }))).toBe(false)
      const Either_ = Schema.Union(Refused, Schema.String)
      expect(Schema.decodeUnknownSync(Either_)({ _tag: "Refused", reason: "Quota", message: "q" })).toBeInstanceOf(Refused)
      expect(String(Refused.ast)).toBe(String(Eager.ast).replaceAll("test/Eager", "test/Refused"))
    })

    it("fails, is caught by its tag and yields in Effect code as the built class", () => {
      const caught = Effect.runSync(
        Effect.fail(new Refused({ reason: "Closed", message: "gone" })).pipe(
          Effect.catchTag("Refused", (e) => Effect.succeed(e.reason))
        )
      )
      expect(caught).toBe("Closed")
      const exit = Effect.runSyncExit(Effect.gen(function*() {
        return yield* new Refused({ reason: "Quota", message: "q" })
      }))
      expect(Exit.isFailure(exit)).toBe(true)
    })
  })
})
