/**
 * A small deterministic JSON Schema instance generator for the mock LLM: structured output
 * (`response_format` `json_schema`) and tool-call arguments. Covers object (all properties, so every
 * `required` one is present), string (enum/const/format/minLength/maxLength), number, integer
 * (minimum/maximum/exclusive bounds/multipleOf), boolean, null, array (items, minItems/maxItems),
 * enum/const and the first branch of anyOf/oneOf/allOf. Local `$ref`s (`#/$defs/…`, `#/definitions/…`)
 * are followed.
 *
 * @internal
 */

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

/** Deterministic 32-bit FNV-1a hash. @internal */
export const hash32 = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const WORDS = ["amber", "river", "falcon", "harbor", "meadow", "copper", "lantern", "willow", "summit", "echo"]

const resolveRef = (root: unknown, ref: string): unknown => {
  if (!ref.startsWith("#/")) return undefined
  let node: unknown = root
  for (const part of ref.slice(2).split("/")) {
    if (!isRecord(node)) return undefined
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")]
  }
  return node
}

const stringFor = (schema: Record<string, unknown>, seed: string, hint: string | undefined): string => {
  const format = typeof schema.format === "string" ? schema.format : undefined
  const h = hash32(seed)
  let value: string
  switch (format) {
    case "date-time":
      value = "2026-01-01T00:00:00Z"
      break
    case "date":
      value = "2026-01-01"
      break
    case "time":
      value = "12:00:00"
      break
    case "email":
      value = "user@example.com"
      break
    case "uri":
    case "url":
      value = "https://example.com/"
      break
    case "uuid":
      value = "00000000-0000-4000-8000-000000000000"
      break
    default:
      value = hint ?? WORDS[h % WORDS.length]!
  }
  const min = num(schema.minLength) ?? 0
  const max = num(schema.maxLength)
  while (value.length < min) value += "x"
  if (max !== undefined && value.length > max) value = value.slice(0, Math.max(0, max))
  return value
}

const numberFor = (schema: Record<string, unknown>, integer: boolean, seed: string): number => {
  let min = num(schema.minimum)
  let max = num(schema.maximum)
  const exMin = num(schema.exclusiveMinimum)
  const exMax = num(schema.exclusiveMaximum)
  if (exMin !== undefined) min = integer ? Math.floor(exMin) + 1 : exMin + 0.5
  if (exMax !== undefined) max = integer ? Math.ceil(exMax) - 1 : exMax - 0.5
  const lo = min ?? (max !== undefined ? max - 10 : 0)
  const hi = max ?? lo + 10
  const span = Math.max(0, hi - lo)
  let value = lo + (hash32(seed) % 1000) / 1000 * span
  if (integer) value = Math.min(hi, Math.max(lo, Math.round(value)))
  else value = Math.round(value * 100) / 100
  const step = num(schema.multipleOf)
  if (step !== undefined && step > 0) {
    const k = Math.ceil(lo / step)
    value = k * step
    if (max !== undefined && value > max) value = Math.floor(max / step) * step
  }
  if (integer && !Number.isInteger(value)) value = Math.ceil(value)
  return value
}

const firstType = (t: unknown): string | undefined => {
  if (typeof t === "string") return t
  if (Array.isArray(t)) {
    const named = t.filter((x): x is string => typeof x === "string")
    return named.find((x) => x !== "null") ?? named[0]
  }
  return undefined
}

/**
 * An instance valid for `schema`. `seed` makes the choice deterministic; `hints` supplies values for
 * string properties by name (e.g. text quoted in the user message).
 *
 * @internal
 */
export const generateInstance = (
  schema: unknown,
  seed: string,
  hints: ReadonlyMap<string, string> = new Map()
): unknown => {
  const root = schema
  const go = (node: unknown, path: string, depth: number, key: string | undefined): Json => {
    if (depth > 12) return null
    if (node === true || node === undefined) return `${WORDS[hash32(path) % WORDS.length]}`
    if (!isRecord(node)) return null
    if (typeof node.$ref === "string") {
      const target = resolveRef(root, node.$ref)
      if (target !== undefined) return go(target, path, depth + 1, key)
    }
    if ("const" in node) return node.const as Json
    if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[hash32(seed + path) % node.enum.length] as Json
    for (const combinator of ["allOf", "anyOf", "oneOf"] as const) {
      const branches = node[combinator]
      if (Array.isArray(branches) && branches.length > 0) {
        if (combinator === "allOf") {
          const merged: Record<string, unknown> = {}
          const properties: Record<string, unknown> = {}
          const required: unknown[] = []
          for (const b of branches) {
            if (!isRecord(b)) continue
            Object.assign(merged, b)
            if (isRecord(b.properties)) Object.assign(properties, b.properties)
            if (Array.isArray(b.required)) required.push(...b.required)
          }
          const { allOf: _ignored, ...rest } = node
          return go({ ...merged, ...rest, properties, required }, path, depth + 1, key)
        }
        const nonNull = branches.find((b) => !(isRecord(b) && b.type === "null")) ?? branches[0]
        return go(nonNull, path, depth + 1, key)
      }
    }
    const type = firstType(node.type) ??
      (isRecord(node.properties) ? "object" : node.items !== undefined ? "array" : "string")
    switch (type) {
      case "object": {
        const out: Record<string, Json> = {}
        const props = isRecord(node.properties) ? node.properties : {}
        for (const [name, sub] of Object.entries(props)) out[name] = go(sub, `${path}.${name}`, depth + 1, name)
        if (Array.isArray(node.required)) {
          for (const name of node.required) {
            if (typeof name === "string" && !(name in out)) out[name] = `${WORDS[hash32(path + name) % WORDS.length]}`
          }
        }
        return out
      }
      case "array": {
        const min = num(node.minItems) ?? 1
        const max = num(node.maxItems)
        const count = Math.max(min, max !== undefined ? Math.min(max, Math.max(min, 1)) : Math.max(min, 1))
        const items = Array.isArray(node.prefixItems) ? node.prefixItems : undefined
        return Array.from(
          { length: Math.max(count, items?.length ?? 0) },
          (_, i) => go(items?.[i] ?? node.items, `${path}[${i}]`, depth + 1, undefined)
        )
      }
      case "integer":
        return numberFor(node, true, seed + path)
      case "number":
        return numberFor(node, false, seed + path)
      case "boolean":
        return hash32(seed + path) % 2 === 0
      case "null":
        return null
      default:
        return stringFor(node, seed + path, key === undefined ? undefined : hints.get(key) ?? hints.get("*"))
    }
  }
  return go(schema, "$", 0, undefined)
}
