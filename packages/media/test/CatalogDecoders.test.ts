/**
 * The model catalog and tier decoders against the schemas' own decoders: for every input (well-formed
 * lists, extra keys, wrong types, arrays where objects belong, nothing at all) the same value or the same
 * failure, and the same key order in what they give.
 */
import { describe, expect, it } from "@effect/vitest"
import * as LeanRest from "@effect-sogni/core/LeanRest"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as FastCheck from "effect/FastCheck"
import * as CatalogDecoders from "../src/internal/catalogDecoders.js"

const modelList = CatalogDecoders.modelList()
const modelTiers = CatalogDecoders.modelTiers()
const modelListBySchema = LeanRest.decoder(Protocol.ModelList)
const modelTiersBySchema = LeanRest.decoder(Protocol.ModelTiers)

/** The value with its keys in order at every level, so a different key order shows as a difference. */
const ordered = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(ordered)
    : typeof u === "object" && u !== null
    ? Object.keys(u).map((k) => [k, ordered((u as Record<string, unknown>)[k])])
    : u

const same = <A>(fast: LeanRest.Decoder<A>, bySchema: LeanRest.Decoder<A>, data: unknown) => {
  const a = fast(data)
  const b = bySchema(data)
  expect(a._tag).toBe(b._tag)
  if (a._tag === "Right" && b._tag === "Right") expect(ordered(a.right)).toStrictEqual(ordered(b.right))
  if (a._tag === "Left" && b._tag === "Left") expect(a.left).toBe(b.left)
}

const entry = FastCheck.record({
  id: FastCheck.oneof(FastCheck.string(), FastCheck.integer()),
  name: FastCheck.oneof(FastCheck.string(), FastCheck.constant(null)),
  SID: FastCheck.oneof(FastCheck.integer(), FastCheck.string()),
  tier: FastCheck.string(),
  media: FastCheck.oneof(FastCheck.constantFrom("image", "video", "audio"), FastCheck.boolean()),
  extra: FastCheck.jsonValue()
}, { requiredKeys: ["id", "tier"] })

describe("catalog decoders", () => {
  it("model list: a well-formed list is copied as the schema copies it (declared keys first, then the rest)", () => {
    const data = JSON.parse(
      `[{"z":1,"id":"flux1-schnell-fp8","extra":[1,{"a":2}],"name":"Flux","SID":3,"tier":"flux","media":"image"},` +
        `{"id":"wan","name":"Wan","SID":7,"tier":"video-l","media":"video"}]`
    )
    same(modelList, modelListBySchema, data)
    const decoded = modelList(data)
    expect(decoded._tag).toBe("Right")
    if (decoded._tag === "Right") {
      expect(Object.keys(decoded.right[0]!)).toStrictEqual(["id", "name", "SID", "tier", "media", "z", "extra"])
      expect(decoded.right[0]).not.toBe(data[0])
    }
  })

  it("model list: anything else fails as the schema fails it", () => {
    for (const data of [undefined, null, 1, "x", {}, [1], [[]], [null], [{ id: "a", name: "n", SID: "3", tier: "t", media: "m" }], [{ id: "a" }]]) {
      same(modelList, modelListBySchema, data)
    }
  })

  it("model list: the same answer as the schema's decoder for generated lists", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(FastCheck.array(entry, { maxLength: 4 }), FastCheck.jsonValue()), (data) => {
        same(modelList, modelListBySchema, data)
      }),
      { numRuns: 300 }
    )
  })

  it("model tiers: a record of records is copied level by level; anything else fails as the schema fails it", () => {
    same(modelTiers, modelTiersBySchema, JSON.parse(`{"flux":{"steps":{"min":1,"max":8},"z":[1]},"video-l":{}}`))
    for (const data of [undefined, null, 1, "x", [], [{ a: 1 }], { a: 1 }, { a: [1] }, { a: null }, { a: {}, b: "x" }]) {
      same(modelTiers, modelTiersBySchema, data)
    }
    FastCheck.assert(
      FastCheck.property(
        FastCheck.oneof(FastCheck.dictionary(FastCheck.string(), FastCheck.oneof(FastCheck.dictionary(FastCheck.string(), FastCheck.jsonValue()), FastCheck.jsonValue())), FastCheck.jsonValue()),
        (data) => {
          same(modelTiers, modelTiersBySchema, data)
        }
      ),
      { numRuns: 300 }
    )
  })
})
