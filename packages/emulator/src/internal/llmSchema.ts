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

const numberFor = (schema: Record<string, unknown>, integer: boolean, seed: string, whole = false): number => {
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
  // `whole`: a plain number that can be whole within its bounds is (counts, sizes and indexes usually are).
  const wholeFits = whole && hi - lo >= 2 && Math.floor(hi) >= Math.ceil(lo)
  if (integer || wholeFits) value = Math.min(Math.floor(hi), Math.max(Math.ceil(lo), Math.round(value)))
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
  hints: ReadonlyMap<string, string> = new Map(),
  options: { readonly wholeNumbers?: boolean } = {}
): unknown => {
  const whole = options.wholeNumbers === true
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
        return numberFor(node, false, seed + path, whole)
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

// ---------------------------------------------------------------------------------------------
// Tool-call arguments: what a model would pass, read from the message
// ---------------------------------------------------------------------------------------------

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, a: 1, an: 1
}

/** What a user message states outright, for filling tool arguments. */
interface Facts {
  readonly text: string
  readonly lower: string
  readonly prompt: string
  readonly quoted: string | undefined
  /** A JSON object the message spells out ("use these arguments: {…}"). */
  readonly embedded: Readonly<Record<string, unknown>> | undefined
  readonly size: readonly [number, number] | undefined
  readonly seconds: number | undefined
  readonly count: number | undefined
  readonly ratio: string | undefined
  readonly place: string | undefined
  readonly expression: string | undefined
  readonly conversion: { readonly value: number; readonly from: string; readonly to: string } | undefined
  readonly bpm: number | undefined
  readonly scenes: number | undefined
  readonly numbers: ReadonlyArray<number>
}

const embeddedObject = (text: string): Readonly<Record<string, unknown>> | undefined => {
  const start = text.indexOf("{")
  const end = text.lastIndexOf("}")
  if (start < 0 || end <= start) return undefined
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1))
    return isRecord(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

const factsOf = (text: string): Facts => {
  const lower = text.toLowerCase()
  const embedded = embeddedObject(text)
  const quoted = /"([^"]{1,400})"/.exec(text)?.[1]
  const size = /\b(\d{2,5})\s*[x×]\s*(\d{2,5})\b/.exec(text)
  const seconds = /\b(\d+(?:\.\d+)?)[\s-]*(?:s|sec|secs|second|seconds)\b/i.exec(text)
    ?? /\b(\d+(?:\.\d+)?)[\s-]*(?:min|minute|minutes)\b/i.exec(text)
  const isMinutes = seconds !== null && /min/i.test(seconds[0])
  const count = /\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:\w+\s+)?(?:images|pictures|photos|variations|versions|videos|clips|songs|tracks|options|takes)\b/i
    .exec(text)
  const countValue = count === null ? undefined : NUMBER_WORDS[count[1]!.toLowerCase()] ?? Number(count[1])
  const ratio = /\b(\d{1,2}:\d{1,2})\b/.exec(text)?.[1]
  // A capitalised place after "in"/"for"/"at" ("the weather in New York").
  const place = /\b(?:in|for|at)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+)*)/u.exec(text)?.[1]
  const expression = /(-?\(?\s*\d+(?:\.\d+)?(?:\s*[-+*/^%]\s*\(?\s*-?\d+(?:\.\d+)?\s*\)?)+\)?)/.exec(text)?.[1]?.trim()
  const conversion = /(-?\d+(?:\.\d+)?)\s*([a-zA-Z°]+)\s+(?:to|in|into)\s+([a-zA-Z°]+)/.exec(text)
  const bpm = /\b(\d{2,3})\s*bpm\b/i.exec(text)
  const scenes = /\b(\d{1,2})\s+scenes?\b/i.exec(text)
  return {
    text,
    lower,
    prompt: (typeof embedded?.["prompt"] === "string" ? embedded["prompt"] : quoted ?? text).trim(),
    quoted: embedded !== undefined ? undefined : quoted,
    embedded,
    size: size === null ? undefined : [Number(size[1]), Number(size[2])],
    seconds: seconds === null ? undefined : Number(seconds[1]) * (isMinutes ? 60 : 1),
    count: countValue,
    ratio,
    place,
    expression: expression !== undefined && /[-+*/^%]/.test(expression.replace(/^-/, "")) ? expression : undefined,
    conversion: conversion === null ? undefined : { value: Number(conversion[1]), from: conversion[2]!, to: conversion[3]! },
    bpm: bpm === null ? undefined : Number(bpm[1]),
    scenes: scenes === null ? undefined : Number(scenes[1]),
    numbers: [...text.matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]))
  }
}

const PROMPT_KEY = /^(prompt|description|brief|text|query|imagePrompt|image_prompt|instructions?|subject|topic|message|input|question)$/i

/** A value the message states for a property, or `undefined`. */
const statedValue = (key: string, schema: Record<string, unknown>, facts: Facts): unknown => {
  const type = firstType(schema.type)
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const strings = schema.enum.filter((v): v is string => typeof v === "string").sort((a, b) => b.length - a.length)
    const hit = strings.find((v) => v.length > 1 && new RegExp(`(^|[^\\w])${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").toLowerCase()}($|[^\\w])`).test(facts.lower))
    if (hit !== undefined) return hit
    if (/ratio$/i.test(key) && facts.ratio !== undefined && schema.enum.includes(facts.ratio)) return facts.ratio
    return undefined
  }
  if (type === "string") {
    if (PROMPT_KEY.test(key)) return facts.prompt.length > 0 ? facts.prompt : undefined
    if (/location|city|place|destination$/i.test(key) && !/model|tool/i.test(key)) return facts.quoted ?? facts.place
    if (/expression|formula|equation/i.test(key)) return facts.expression
    if (/ratio$/i.test(key)) return facts.ratio
    if (/^(from|from_?unit|source_?unit)$/i.test(key)) return facts.conversion?.from
    if (/^(to|to_?unit|target_?unit)$/i.test(key)) return facts.conversion?.to
    return undefined
  }
  if (type === "number" || type === "integer") {
    if (/^width$/i.test(key)) return facts.size?.[0]
    if (/^height$/i.test(key)) return facts.size?.[1]
    if (/duration|seconds$|^length$/i.test(key) && !/^(start|end)/i.test(key)) return facts.seconds
    if (/variations|count$|^n$|number_?of/i.test(key) && !/scene/i.test(key)) return facts.count
    if (/bpm|tempo/i.test(key)) return facts.bpm
    if (/scene_?count/i.test(key)) return facts.scenes
    if (/^(value|amount|quantity)$/i.test(key)) return facts.conversion?.value ?? facts.numbers[0]
    // "3 days" for `days`, "40 steps" for `steps`: a number written before the property's own name.
    const stem = key.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().replace(/_/g, " ").replace(/s$/, "")
    if (stem.length >= 3) {
      const escaped = stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      const written = new RegExp(`(-?\\d+(?:\\.\\d+)?)\\s*${escaped}s?\\b`).exec(facts.lower)
      if (written !== null) return Number(written[1])
    }
    return undefined
  }
  return undefined
}

/** A number held to a schema's bounds (and to whole numbers where the schema or the name asks). */
const fitNumber = (key: string, schema: Record<string, unknown>, value: number): number | undefined => {
  if (!Number.isFinite(value)) return undefined
  const integer = firstType(schema.type) === "integer" || /index$|count$|variations/i.test(key)
  let v = integer ? Math.round(value) : value
  const min = num(schema.minimum)
  const max = num(schema.maximum)
  const exMin = num(schema.exclusiveMinimum)
  const exMax = num(schema.exclusiveMaximum)
  if (min !== undefined && v < min) v = integer ? Math.ceil(min) : min
  if (max !== undefined && v > max) v = integer ? Math.floor(max) : max
  if (exMin !== undefined && v <= exMin) return undefined
  if (exMax !== undefined && v >= exMax) return undefined
  if (Array.isArray(schema.enum) && !schema.enum.includes(v)) return undefined
  return v
}

/** The value a schema's `default` or its description ("Default: 1024") names, if any. */
const defaultOf = (schema: Record<string, unknown>): unknown => {
  if ("default" in schema && schema.default !== null) return schema.default
  const type = firstType(schema.type)
  if ((type === "number" || type === "integer") && typeof schema.description === "string") {
    const stated = /\bdefault(?:s)?(?: is|:| to)?\s*(-?\d+(?:\.\d+)?)/i.exec(schema.description)
    if (stated !== null) return Number(stated[1])
  }
  return undefined
}

/**
 * Arguments a model would plausibly pass to a tool for a user message: every required property, plus the
 * optional ones the message states (a size `768x512`, `5 seconds`, `3 pictures`, an aspect ratio, an enum
 * value it names, a place, an arithmetic expression, a unit conversion); the prompt-like property gets the
 * message (or its quoted part). Values are held to the schema (integers, bounds, enums); required values
 * the message does not give come from the schema's default, then from a generated instance.
 *
 * @internal
 */
export const toolArguments = (
  schema: unknown,
  text: string,
  seed: string,
  options: { readonly requiredOnly?: boolean } = {}
): Record<string, unknown> => {
  const root = isRecord(schema) && typeof schema.$ref === "string" ? resolveRef(schema, schema.$ref) : schema
  if (!isRecord(root)) return {}
  const facts = factsOf(text)
  const properties = isRecord(root.properties) ? root.properties : {}
  const required = new Set(Array.isArray(root.required) ? root.required.filter((r): r is string => typeof r === "string") : [])
  const out: Record<string, unknown> = {}
  for (const [key, raw] of Object.entries(properties)) {
    const sub = isRecord(raw) && typeof raw.$ref === "string" ? resolveRef(schema, raw.$ref) : raw
    if (!isRecord(sub)) continue
    const must = required.has(key)
    if (!must && options.requiredOnly === true) continue
    // Arguments the message spells out as JSON are passed as given, like a model told to use them exactly.
    let value = facts.embedded !== undefined && key in facts.embedded ? facts.embedded[key] : statedValue(key, sub, facts)
    if (typeof value === "number") value = fitNumber(key, sub, value)
    if (value === undefined && must) {
      const fallback = defaultOf(sub)
      value = typeof fallback === "number" ? fitNumber(key, sub, fallback) : fallback
      // A required text the message does not name: what it quotes, else the message itself.
      if (value === undefined && firstType(sub.type) === "string" && !Array.isArray(sub.enum) && sub.format === undefined) {
        const text = facts.quoted ?? facts.prompt
        if (text.length > 0 && (num(sub.maxLength) ?? Infinity) >= text.length && (num(sub.minLength) ?? 0) <= text.length) value = text
      }
      value ??= generateInstance(sub, `${seed}|${key}`, new Map(facts.prompt.length > 0 ? [["*", facts.prompt]] : []), { wholeNumbers: true })
    }
    if (value !== undefined) out[key] = value
  }
  return out
}
