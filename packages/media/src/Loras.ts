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
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import {
  LoraCatalogResponse as CatalogResponse,
  LoraConstraints as Constraints,
  LoraEntry,
  LoraImportRequest as ImportRequest,
  LoraUi,
  PersonalLora,
  PersonalLoraLibrary as PersonalLibrary
} from "@effect-sogni/core/Protocol"

/**
 * The LoRA wire shapes, declared once in core's `Protocol` (where the emulator encodes with them):
 * `LoraUi`, `LoraEntry`, `Constraints` (`Protocol.LoraConstraints`), `CatalogResponse`
 * (`GET /v1/loras/comfy` as sent), `PersonalLora`, `PersonalLibrary` (`GET /v1/loras/personal`) and
 * `ImportRequest` (the `POST /v1/loras/personal` body).
 *
 * @since 0.1.0
 */
export { CatalogResponse, Constraints, ImportRequest, LoraEntry, LoraUi, PersonalLibrary, PersonalLora }

/** The defaults when the server sends no constraints. @since 0.1.0 */
export const defaultConstraints: Constraints = { maxPerRequest: 8, minStrength: -100, maxStrength: 100 }

/** The catalog, with the defaults filled in. @since 0.1.0 */
export interface Catalog {
  readonly lastUpdated: string | undefined
  readonly loras: ReadonlyArray<LoraEntry>
  /** Every model id that accepts at least one LoRA (whatever the filter). */
  readonly models: ReadonlyArray<string>
  readonly constraints: Constraints
}

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
    personalCatalog: rest.get("rest", "/v1/loras/personal/catalog", Protocol.PersonalLoraCatalog).pipe(Effect.map((r) => r.loras), Effect.withSpan("Loras.personalCatalog"))
  } satisfies LorasService
})

/** @since 0.1.0 */
export const layer: Layer.Layer<Loras, never, SogniRest.SogniRest> = Layer.effect(Loras, make)
