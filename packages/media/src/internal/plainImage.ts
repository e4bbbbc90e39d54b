/**
 * The usual image request, checked without the `ImageParams` schema.
 *
 * Building `ImageParams` (on the first decode that reads it) constructs the whole image schema through its
 * lazy pieces: some two hundred schema classes and their hidden classes, most of them garbage at once but
 * allocated during the first prepare, among the projects in flight. A request made of plain values (the
 * prompt, a model id, a few numbers and choices) needs none of it: {@link decodePlainImage} checks such a
 * request field by field with the same rules, written out, and builds the value the schema's parser
 * builds. It accepts exactly a subset of what the schema accepts: anything it does not know (a key
 * outside {@link plainImageFields}, media bytes, nested objects, a value its rule refuses) gives
 * `undefined`, and `Params.decode` hands the input to the schema, which decodes it or names the failure.
 * `test/Params.test.ts` checks that the two agree.
 *
 * @internal
 */
import type { ImageParams } from "../Params.js"

type Check = (u: unknown) => boolean

const string: Check = function(u) {
  return typeof u === "string"
}
const boolean: Check = function(u) {
  return typeof u === "boolean"
}
/** `NonBlank`: a string with visible content. */
const nonBlank: Check = function(u) {
  return typeof u === "string" && u.trim().length > 0
}
/** `between(min, max)` (finite), and `atLeast(min)` / `Positive`-like bounds with `max` infinite. */
function numberIn(min: number, max: number): Check {
  return (u) =>
    typeof u === "number" && Number.isFinite(u) && u >= min && u <= max
}
/** `intBetween(min, max)` and `intAtLeast(min)`: a safe integer within the bounds. */
function intIn(min: number, max: number): Check {
  return (u) =>
    typeof u === "number" && Number.isSafeInteger(u) && u >= min && u <= max
}
function oneOf(...literals: ReadonlyArray<string>): Check {
  return (u) => typeof u === "string" && literals.includes(u)
}

/**
 * The `PromptText` rule: a string of at most `Params.limits.maxPromptLength` characters (the limit is
 * repeated here rather than imported, so this module does not load `Params`; a test checks they agree).
 */
const prompt: Check = function(u) {
  return typeof u === "string" && u.length <= 20_000
}

/**
 * The image fields the plain path decodes, in the order `ImageParams` declares them (the decoded value
 * keeps that order, as the schema's parser writes it), each with its schema's rule. All are optional but
 * `type` and `modelId`; an optional one may also hold `undefined`, kept in the value as the schema keeps it.
 */
const fields: ReadonlyArray<readonly [name: string, check: Check]> = [
  ["type", function(u) {
    return u === "image"
  }],
  ["modelId", nonBlank],
  ["numberOfMedia", intIn(1, 16)],
  ["positivePrompt", prompt],
  ["negativePrompt", prompt],
  ["stylePrompt", prompt],
  ["steps", intIn(1, Infinity)],
  ["guidance", numberIn(0, Infinity)],
  ["network", oneOf("fast", "relaxed")],
  ["tokenType", oneOf("sogni", "spark")],
  ["billingMode", oneOf("auto", "subscription", "tokens")],
  ["disableNSFWFilter", boolean],
  ["appSource", string],
  ["seed", intIn(0, 4_294_967_295)],
  ["numberOfPreviews", intIn(0, Infinity)],
  ["startingImageStrength", numberIn(0, 1)],
  ["sampler", string],
  ["scheduler", string],
  ["vae", string],
  ["sizePreset", nonBlank],
  ["width", intIn(1, Infinity)],
  ["height", intIn(1, Infinity)],
  ["outputFormat", oneOf("png", "jpg", "webp")],
  ["gptImageQuality", oneOf("low", "medium", "high", "standard", "hd", "xhigh", "max")],
  ["gptImageBackground", oneOf("opaque", "auto", "transparent")],
  ["gptImageOutputCompression", intIn(0, 100)],
  ["gptImageMaskUrl", string],
  ["applyMask", boolean],
  ["templateVariant", oneOf("i23d-birefnet")],
  ["textureSize", intIn(1024, 4096)],
  ["meshTargetFaces", intIn(5000, 700_000)],
  ["normalMapSize", intIn(512, 2048)],
  ["ambientOcclusionSize", intIn(256, 1024)],
  ["shapeResolution", intIn(1024, 1536)]
]

/** The names of the fields the plain path decodes, in the schema's order (for tests). @internal */
export const plainImageFields: ReadonlyArray<string> = fields.map(function([name]) {
  return name
})

/** `type` and `modelId`: the only fields that must be present (and not `undefined`). */
const required = 2

/**
 * The decoded value of an image request whose own keys are all {@link plainImageFields} with values their
 * rules accept (`type` and `modelId` present): a new object of the present keys in the schema's order, the
 * values as given. `undefined` for any other input (the schema's decoder then judges it).
 *
 * @internal
 */
export function decodePlainImage(input: object): ImageParams | undefined {
  const record = input as Record<string, unknown>
  const output: Record<string, unknown> = {}
  let present = 0
  for (let i = 0; i < fields.length; i++) {
    const [name, check] = fields[i]!
    if (!Object.prototype.hasOwnProperty.call(record, name)) {
      if (i < required) return undefined
      continue
    }
    const value = record[name]
    if (!(i >= required && value === undefined) && !check(value)) return undefined
    output[name] = value
    present++
  }
  // every own key (symbols and non-enumerable ones included) was one of the fields
  return Reflect.ownKeys(record).length === present ? output as unknown as ImageParams : undefined
}
