/**
 * The LoRA catalog and personal LoRAs (rest.md §5.5). The public catalog (`GET /v1/loras/comfy`, no
 * credential needed) lists a few LoRAs for the emulator's image models, filtered by `modelId`. Personal
 * imports (`/v1/loras/personal`) are kept per account: an import of an http(s) URL with the rights
 * confirmed for a model that accepts LoRAs is `ready` at once (the emulator downloads nothing); other
 * imports are refused with 400 naming the field.
 *
 * @internal
 */
import { Protocol } from "@effect-sogni/core"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import { withAccount } from "./http/guard.js"
import { encodeWire } from "./http/wire.js"
import { errorResponse, ok, schemaBody, urlOf } from "./http/response.js"
import { entryOf, type World } from "./state.js"
import { randomHex } from "./tokens.js"

const ui = (o: {
  min: number
  max: number
  default: number
  category: string
  rangeLabels?: { min: string; max: string }
}): Protocol.LoraUi => ({
  step: 0.05,
  recommendedMin: Math.max(o.min, o.default - 0.5),
  recommendedMax: Math.min(o.max, o.default + 0.5),
  nsfw: false,
  sexual: false,
  creator: "emulator",
  sourceUrl: "https://example.test/loras",
  license: "CC-BY-4.0",
  ...o
})

/** The public catalog. @internal */
export const CATALOG: ReadonlyArray<Protocol.LoraEntry> = [
  {
    loraId: "film-grain",
    slug: "film-grain",
    name: "Film Grain",
    description: "Analogue film grain and soft halation.",
    relatedLoraIds: ["warm-light"],
    modelIds: ["flux1-schnell-fp8", "z_image_turbo_bf16"],
    ui: ui({ min: 0, max: 1.5, default: 0.8, category: "style" })
  },
  {
    loraId: "warm-light",
    slug: "warm-light",
    name: "Warm Light",
    description: "A bipolar colour-temperature slider.",
    relatedLoraIds: ["film-grain"],
    modelIds: ["z_image_turbo_bf16"],
    ui: ui({
      min: -2,
      max: 2,
      default: 0,
      category: "lighting",
      rangeLabels: { min: "Cooler & Darker", max: "Warmer & Golden" }
    })
  },
  {
    loraId: "ink-sketch",
    slug: "ink-sketch",
    name: "Ink Sketch",
    description: "Pen-and-ink line art.",
    relatedLoraIds: [],
    modelIds: ["flux1-schnell-fp8"],
    ui: ui({ min: 0, max: 1, default: 1, category: "art-direction" })
  }
]

/** Models that accept LoRAs (sorted). @internal */
export const LORA_MODELS: ReadonlyArray<string> = [...new Set(CATALOG.flatMap((l) => l.modelIds))].sort()

/** The request limits the catalog advertises. @internal */
export const CONSTRAINTS: Protocol.LoraConstraints = { maxPerRequest: 4, minStrength: -4, maxStrength: 4 }

/** Personal library limits. @internal */
export const PERSONAL_LIMITS: Protocol.PersonalLoraLibrary["limits"] = { entries: 20, fileBytes: 512 * 1024 * 1024, importsPerDay: 10, perGeneration: 2 }

/** One personal LoRA. @internal */
export interface PersonalLora {
  readonly id: string
  readonly name: string
  readonly modelId: string
  readonly source: string
  readonly createdAt: number
}

const libraryOf = (world: World, username: string): Map<string, PersonalLora> =>
  entryOf(world.personalLoras, username, () => new Map())

const encodeCatalog = encodeWire(Protocol.LoraCatalogResponse, "LoRA catalog")
const encodePersonal = encodeWire(Protocol.PersonalLora, "personal LoRA")
const encodeLibrary = encodeWire(Protocol.PersonalLoraLibrary, "personal LoRA library")
const encodePersonalCatalog = encodeWire(Protocol.PersonalLoraCatalog, "personal LoRA catalog")

const view = (l: PersonalLora): Protocol.PersonalLora => encodePersonal({
  id: l.id,
  name: l.name,
  modelId: l.modelId,
  modelIds: [l.modelId],
  source: l.source,
  status: "ready",
  createdAt: l.createdAt,
  updatedAt: l.createdAt,
  requirements: []
})

const asEntry = (l: PersonalLora): Protocol.LoraEntry => ({
  loraId: l.id,
  slug: l.id,
  name: l.name,
  description: `Imported from ${new URL(l.source).host}`,
  relatedLoraIds: [],
  modelIds: [l.modelId],
  ui: ui({ min: CONSTRAINTS.minStrength, max: CONSTRAINTS.maxStrength, default: 1, category: "personal" })
})

/** The LoRA routes. @internal */
export const lorasRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v1/loras/comfy",
      Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
        const modelId = urlOf(request).searchParams.get("modelId")
        const loras = modelId === null || modelId.length === 0
          ? CATALOG
          : CATALOG.filter((l) => l.modelIds.includes(modelId))
        return ok(encodeCatalog({ lastUpdated: "2026-11-01T00:00:00.000Z", loras, models: LORA_MODELS, constraints: CONSTRAINTS }))
      })
    ),
    HttpRouter.get(
      "/v1/loras/personal",
      withAccount(world, (account) =>
        Effect.succeed(
          ok(encodeLibrary({
            loras: [...libraryOf(world, account.username).values()].map(view),
            models: LORA_MODELS,
            limits: PERSONAL_LIMITS
          }))
        ))
    ),
    HttpRouter.get(
      "/v1/loras/personal/catalog",
      withAccount(world, (account) =>
        Effect.succeed(ok(encodePersonalCatalog({ loras: [...libraryOf(world, account.username).values()].map(asEntry) }))))
    ),
    HttpRouter.get(
      "/v1/loras/personal/:id",
      withAccount(world, (account) =>
        Effect.map(HttpRouter.params, (p) => {
          const lora = libraryOf(world, account.username).get(p["id"] ?? "")
          return lora === undefined ? errorResponse(404, "No such personal LoRA") : ok(view(lora))
        }))
    ),
    HttpRouter.del(
      "/v1/loras/personal/:id",
      withAccount(world, (account) =>
        Effect.map(HttpRouter.params, (p) =>
          libraryOf(world, account.username).delete(p["id"] ?? "")
            ? ok({ deleted: true })
            : errorResponse(404, "No such personal LoRA")))
    ),
    HttpRouter.post(
      "/v1/loras/personal",
      withAccount(world, (account) =>
        schemaBody(Protocol.LoraImportRequest).pipe(
            Effect.match({
              onFailure: (response) => response,
              onSuccess: (body) => {
                if (!body.rightsConfirmed) return errorResponse(400, "rightsConfirmed must be true")
                if (!/^https?:\/\/[^/]+/i.test(body.url)) return errorResponse(400, "url must be an http(s) URL")
                if (!LORA_MODELS.includes(body.modelId)) {
                  return errorResponse(400, `modelId ${body.modelId} does not accept LoRAs`)
                }
                const library = libraryOf(world, account.username)
                if (library.size >= PERSONAL_LIMITS.entries) {
                  return errorResponse(409, "Your personal LoRA library is full")
                }
                const lora: PersonalLora = {
                  id: `personal-${randomHex(8)}`,
                  name: body.name,
                  modelId: body.modelId,
                  source: body.url,
                  createdAt: Date.now()
                }
                library.set(lora.id, lora)
                return ok(view(lora))
              }
            })
          ))
    )
  )
