/**
 * The decoders of the two model answers `Models` reads when it starts (`GET /api/v1/models/list`, `GET
 * /api/v2/models/tiers`). Each reads an answer of the shape its schema describes directly and gives the
 * value the schema's decoder gives for it; anything else goes to the schema's decoder, which decodes it or
 * names what is wrong, as before. The schemas' decoders (Effect's ParseResult: compiled code, and the
 * decoding's own allocations) then run only for an answer the plain check refuses: a program that reads
 * well-formed lists never runs them.
 *
 * @internal
 */
import * as LeanRest from "@effect-sogni/core/LeanRest"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as Either from "effect/Either"

/** A key `Protocol.ModelListEntry` declares (the others are kept as its index signature keeps them). */
function isEntryKey(key: string): boolean {
  return key === "id" || key === "name" || key === "SID" || key === "tier" || key === "media"
}

function isObject(u: unknown): u is Readonly<Record<string, unknown>> {
  return typeof u === "object" && u !== null && !Array.isArray(u)
}

/**
 * `Protocol.ModelList`: an array of objects whose `id`, `name`, `tier` and `media` are strings and `SID` a
 * number is copied as the schema copies it (those five first, then the entry's other keys in order).
 */
export function modelList(): LeanRest.Decoder<ReadonlyArray<Protocol.ModelListEntry>> {
  const bySchema = LeanRest.decoder(Protocol.ModelList)
  return function(data) {
    if (!Array.isArray(data)) return bySchema(data)
    const entries: Array<Protocol.ModelListEntry> = []
    for (const e of data as ReadonlyArray<unknown>) {
      if (
        !isObject(e) || typeof e.id !== "string" || typeof e.name !== "string" || typeof e.SID !== "number" ||
        typeof e.tier !== "string" || typeof e.media !== "string"
      ) return bySchema(data)
      const entry: Record<string, unknown> = { id: e.id, name: e.name, SID: e.SID, tier: e.tier, media: e.media }
      for (const key of Object.keys(e)) if (!isEntryKey(key)) entry[key] = e[key]
      entries.push(entry as Protocol.ModelListEntry)
    }
    return Either.right(entries)
  }
}

/**
 * `Protocol.ModelTiers`: an object whose values are all objects is copied as the schema copies it (each
 * level a new object with the same keys in order).
 */
export function modelTiers(): LeanRest.Decoder<typeof Protocol.ModelTiers.Type> {
  const bySchema = LeanRest.decoder(Protocol.ModelTiers)
  return function(data) {
    if (!isObject(data)) return bySchema(data)
    const tiers: Record<string, Record<string, unknown>> = {}
    for (const tier of Object.keys(data)) {
      const options = data[tier]
      if (!isObject(options)) return bySchema(data)
      const copy: Record<string, unknown> = {}
      for (const key of Object.keys(options)) copy[key] = options[key]
      tiers[tier] = copy
    }
    return Either.right(tiers)
  }
}
