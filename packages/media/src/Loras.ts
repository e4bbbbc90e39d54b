/**
 * The LoRA catalog and personal LoRAs (rest.md §5.5): which LoRA ids a model accepts, each one's strength
 * range, the per-request limits, and the account's own imported LoRAs. {@link check} tests a project's
 * `loras` / `loraStrengths` against a catalog before anything is sent.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Loras } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const loras = yield* Loras.Loras
 *   const catalog = yield* loras.catalog({ modelId: "z_image_turbo_bf16" })
 *   for (const l of catalog.loras) yield* Effect.log(`${l.loraId}: ${l.ui.min}..${l.ui.max}`)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

/** The artist-facing strength contract and presentation of one LoRA. @since 0.1.0 */
export const LoraUi = Schema.Struct(
  {
    min: Schema.Number,
    max: Schema.Number,
    default: Schema.Number,
    step: Schema.Number,
    recommendedMin: Schema.Number,
    recommendedMax: Schema.Number,
    rangeLabels: Schema.optional(Schema.Struct({ min: Schema.String, max: Schema.String })),
    category: Schema.String,
    section: Schema.optional(Schema.Struct({ id: Schema.String, label: Schema.String, order: Schema.Number })),
    nsfw: Schema.Boolean,
    sexual: Schema.Boolean,
    creator: Schema.String,
    sourceUrl: Schema.String,
    license: Schema.optional(Schema.String),
    licenseUrl: Schema.optional(Schema.String),
    examplePrompt: Schema.optional(Schema.String),
    exampleNegativePrompt: Schema.optional(Schema.String)
  },
  { key: Schema.String, value: Schema.Unknown }
)
/** @since 0.1.0 */
export type LoraUi = typeof LoraUi.Type

/** One catalog row: the id to pass in `loras`, and the models that accept it. @since 0.1.0 */
export const LoraEntry = Schema.Struct({
  loraId: Schema.String,
  slug: Schema.String,
  name: Schema.String,
  description: Schema.String,
  relatedLoraIds: Schema.Array(Schema.String),
  modelIds: Schema.Array(Schema.String),
  ui: LoraUi
})
/** @since 0.1.0 */
export type LoraEntry = typeof LoraEntry.Type

/** Limits of every LoRA request. @since 0.1.0 */
export const Constraints = Schema.Struct({
  maxPerRequest: Schema.Number,
  minStrength: Schema.Number,
  maxStrength: Schema.Number
})
/** @since 0.1.0 */
export type Constraints = typeof Constraints.Type

/** The defaults when the server sends no constraints. @since 0.1.0 */
export const defaultConstraints: Constraints = { maxPerRequest: 8, minStrength: -100, maxStrength: 100 }

/** `GET /v1/loras/comfy` as sent. @since 0.1.0 */
export const CatalogResponse = Schema.Struct({
  lastUpdated: Schema.optional(Schema.String),
  loras: Schema.Array(LoraEntry),
  models: Schema.optional(Schema.Array(Schema.String)),
  constraints: Schema.optional(Constraints)
})

/** The catalog, with the defaults filled in. @since 0.1.0 */
export interface Catalog {
  readonly lastUpdated: string | undefined
  readonly loras: ReadonlyArray<LoraEntry>
  /** Every model id that accepts at least one LoRA (whatever the filter). */
  readonly models: ReadonlyArray<string>
  readonly constraints: Constraints
}

/** An imported LoRA of the account (ids start with `personal-`). @since 0.1.0 */
export const PersonalLora = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  modelId: Schema.String,
  modelIds: Schema.Array(Schema.String),
  source: Schema.String,
  status: Schema.Literal("queued", "validating", "review", "ready", "rejected", "revoked"),
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  bytes: Schema.optional(Schema.Number),
  reason: Schema.optional(Schema.String),
  failureCode: Schema.optional(
    Schema.Literal("source_access", "subscription_required", "catalog_duplicate", "invalid_artifact")
  ),
  requirements: Schema.Array(Schema.String)
})
/** @since 0.1.0 */
export type PersonalLora = typeof PersonalLora.Type

/** `GET /v1/loras/personal`. @since 0.1.0 */
export const PersonalLibrary = Schema.Struct({
  loras: Schema.Array(PersonalLora),
  models: Schema.Array(Schema.String),
  limits: Schema.Struct({
    entries: Schema.Number,
    fileBytes: Schema.NullOr(Schema.Number),
    importsPerDay: Schema.Number,
    perGeneration: Schema.Number
  })
})
/** @since 0.1.0 */
export type PersonalLibrary = typeof PersonalLibrary.Type

/** `POST /v1/loras/personal` body. @since 0.1.0 */
export const ImportRequest = Schema.Struct({
  url: Schema.String,
  name: Schema.String,
  modelId: Schema.String,
  rightsConfirmed: Schema.Boolean
})
/** @since 0.1.0 */
export type ImportRequest = typeof ImportRequest.Type

/**
 * Checks a LoRA selection for a model against a catalog: at most `maxPerRequest` ids, each one known and
 * accepted by the model (personal ids, `personal-…`, are checked by the server), at most one strength per
 * id, each within the LoRA's `ui.min`..`ui.max` (the constraints' range for personal ids). Fails with
 * `SogniInvalidRequest` naming the first offending position.
 *
 * @since 0.1.0
 */
export const check = (
  catalog: Catalog,
  modelId: string,
  loras: ReadonlyArray<string>,
  strengths: ReadonlyArray<number> = []
): Effect.Effect<void, SogniError.SogniInvalidRequest> => {
  const fail = (field: string, rule: string) =>
    Effect.fail(new SogniError.SogniInvalidRequest({ field, rule, message: `${field}: ${rule}` }))
  const { maxPerRequest, maxStrength, minStrength } = catalog.constraints
  if (loras.length > maxPerRequest) return fail("loras", `at most ${maxPerRequest} LoRAs per request`)
  if (strengths.length > loras.length) return fail("loraStrengths", "more strengths than LoRAs")
  for (let i = 0; i < loras.length; i++) {
    const id = loras[i]!
    const personal = id.startsWith("personal-")
    const entry = catalog.loras.find((l) => l.loraId === id)
    if (!personal && entry === undefined) return fail(`loras[${i}]`, `unknown LoRA id "${id}"`)
    if (entry !== undefined && !entry.modelIds.includes(modelId)) {
      return fail(`loras[${i}]`, `LoRA "${id}" is not accepted by model ${modelId}`)
    }
    const strength = strengths[i]
    if (strength === undefined) continue
    const [min, max] = entry === undefined ? [minStrength, maxStrength] : [entry.ui.min, entry.ui.max]
    if (!Number.isFinite(strength) || strength < min || strength > max) {
      return fail(`loraStrengths[${i}]`, `must be within ${min}..${max}`)
    }
  }
  return Effect.void
}

/** @since 0.1.0 */
export interface LorasService {
  /** `GET /v1/loras/comfy`: the public catalog, optionally only what one model accepts. */
  readonly catalog: (options?: { readonly modelId?: string | undefined }) => Effect.Effect<Catalog, SogniRest.RestError>
  /** `GET /v1/loras/personal`: the account's imported LoRAs and library limits. */
  readonly personal: Effect.Effect<PersonalLibrary, SogniRest.RestError>
  /** `GET /v1/loras/personal/{id}`. */
  readonly personalLora: (id: string) => Effect.Effect<PersonalLora, SogniRest.RestError>
  /** `POST /v1/loras/personal`: imports a LoRA from a URL (`rightsConfirmed` must be `true`). */
  readonly importPersonal: (request: ImportRequest) => Effect.Effect<PersonalLora, SogniRest.RestError>
  /** `DELETE /v1/loras/personal/{id}`. */
  readonly removePersonal: (id: string) => Effect.Effect<void, SogniRest.RestError>
  /** `GET /v1/loras/personal/catalog`: the account's ready personal LoRAs as catalog rows. */
  readonly personalCatalog: Effect.Effect<ReadonlyArray<LoraEntry>, SogniRest.RestError>
}

/** @since 0.1.0 */
export class Loras extends Context.Tag("@effect-sogni/media/Loras")<Loras, LorasService>() {}

const invalid = (field: string, rule: string) =>
  new SogniError.SogniInvalidRequest({ field, rule, message: `${field}: ${rule}` })

/** @since 0.1.0 */
export const make = Effect.gen(function*() {
  const rest = yield* SogniRest.SogniRest
  const idPath = (id: string) =>
    id.trim().length === 0
      ? Effect.fail(invalid("id", "must not be empty"))
      : Effect.succeed(`/v1/loras/personal/${encodeURIComponent(id)}`)
  return {
    catalog: (options = {}) =>
      rest.get("rest", "/v1/loras/comfy", CatalogResponse, { query: { modelId: options.modelId } }).pipe(
        Effect.map((r): Catalog => ({
          lastUpdated: r.lastUpdated,
          loras: r.loras,
          models: r.models ?? [...new Set(r.loras.flatMap((l) => l.modelIds))].sort(),
          constraints: r.constraints ?? defaultConstraints
        })),
        Effect.withSpan("Loras.catalog")
      ),
    personal: rest.get("rest", "/v1/loras/personal", PersonalLibrary).pipe(Effect.withSpan("Loras.personal")),
    personalLora: (id) =>
      Effect.flatMap(idPath(id), (path) => rest.get("rest", path, PersonalLora)).pipe(
        Effect.withSpan("Loras.personalLora")
      ),
    importPersonal: (request) =>
      (request.rightsConfirmed !== true
        ? Effect.fail(invalid("rightsConfirmed", "must be true: you must hold the rights to the LoRA"))
        : !/^https?:\/\//i.test(request.url)
        ? Effect.fail(invalid("url", "must be an http(s) URL"))
        : request.name.trim().length === 0
        ? Effect.fail(invalid("name", "must not be empty"))
        : rest.post("rest", "/v1/loras/personal", request, PersonalLora)).pipe(
          Effect.withSpan("Loras.importPersonal")
        ),
    removePersonal: (id) =>
      Effect.flatMap(idPath(id), (path) => rest.delete("rest", path, Schema.Unknown)).pipe(
        Effect.asVoid,
        Effect.withSpan("Loras.removePersonal")
      ),
    personalCatalog: rest.get(
      "rest",
      "/v1/loras/personal/catalog",
      Schema.Struct({ loras: Schema.Array(LoraEntry) })
    ).pipe(Effect.map((r) => r.loras), Effect.withSpan("Loras.personalCatalog"))
  } satisfies LorasService
})

/** @since 0.1.0 */
export const layer: Layer.Layer<Loras, never, SogniRest.SogniRest> = Layer.effect(Loras, make)
