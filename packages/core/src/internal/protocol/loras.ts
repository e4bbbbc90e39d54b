/**
 * LoRAs on the wire (rest.md §5.5): the public catalog (`GET /v1/loras/comfy`) and the account's personal
 * library (`/v1/loras/personal`). Re-exported by `Protocol`; media's `Loras` service decodes with these
 * and the emulator encodes with them.
 *
 * @internal
 */
import * as Lazy from "../../Lazy.js"
import * as Schema from "effect/Schema"

/** The artist-facing strength contract and presentation of one LoRA. @since 0.2.0 */
export const LoraUi = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct(
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
)
/** @since 0.2.0 */
export type LoraUi = typeof LoraUi.Type

/** One catalog row: the id to pass in `loras`, and the models that accept it. @since 0.2.0 */
export const LoraEntry = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    loraId: Schema.String,
    slug: Schema.String,
    name: Schema.String,
    description: Schema.String,
    relatedLoraIds: Schema.Array(Schema.String),
    modelIds: Schema.Array(Schema.String),
    ui: LoraUi
  })
)
/** @since 0.2.0 */
export type LoraEntry = typeof LoraEntry.Type

/** Limits of every LoRA request. @since 0.2.0 */
export const LoraConstraints = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    maxPerRequest: Schema.Number,
    minStrength: Schema.Number,
    maxStrength: Schema.Number
  })
)
/** @since 0.2.0 */
export type LoraConstraints = typeof LoraConstraints.Type

/** `GET /v1/loras/comfy`. @since 0.2.0 */
export const LoraCatalogResponse = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    lastUpdated: Schema.optional(Schema.String),
    loras: Schema.Array(LoraEntry),
    models: Schema.optional(Schema.Array(Schema.String)),
    constraints: Schema.optional(LoraConstraints)
  })
)
/** @since 0.2.0 */
export type LoraCatalogResponse = typeof LoraCatalogResponse.Type

/** `GET /v1/loras/personal/catalog`: the account's ready personal LoRAs as catalog rows. @since 0.2.0 */
export const PersonalLoraCatalog = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ loras: Schema.Array(LoraEntry) }))
/** @since 0.2.0 */
export type PersonalLoraCatalog = typeof PersonalLoraCatalog.Type

/** An imported LoRA of the account (ids start with `personal-`). @since 0.2.0 */
export const PersonalLora = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
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
)
/** @since 0.2.0 */
export type PersonalLora = typeof PersonalLora.Type

/** `GET /v1/loras/personal`: the imported LoRAs and the library's limits. @since 0.2.0 */
export const PersonalLoraLibrary = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    loras: Schema.Array(PersonalLora),
    models: Schema.Array(Schema.String),
    limits: Schema.Struct({
      entries: Schema.Number,
      fileBytes: Schema.NullOr(Schema.Number),
      importsPerDay: Schema.Number,
      perGeneration: Schema.Number
    })
  })
)
/** @since 0.2.0 */
export type PersonalLoraLibrary = typeof PersonalLoraLibrary.Type

/** `POST /v1/loras/personal` body. @since 0.2.0 */
export const LoraImportRequest = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    url: Schema.String,
    name: Schema.String,
    modelId: Schema.String,
    rightsConfirmed: Schema.Boolean
  })
)
/** @since 0.2.0 */
export type LoraImportRequest = typeof LoraImportRequest.Type
