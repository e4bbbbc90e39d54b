/**
 * The rarely asked side of `Models`: cost quotes (`estimate`, image, video and audio, with the video
 * quote's extra inputs) and the REST availability of any network (`availableOn`). `Models` loads it with
 * the first such call; a program that only renders never asks either, so never loads it.
 *
 * @internal
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import * as Lazy from "@effect-sogni/core/Lazy"
import * as SogniError from "@effect-sogni/core/SogniError"
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as FrameMath from "../FrameMath.js"
import * as JobRequestBuilder from "../JobRequestBuilder.js"
import type { AvailableModel, CostEstimate, MediaKind, SizePreset, VideoEstimateInputs } from "../Models.js"
import { videoEstimateQuery } from "../Models.js"
import type * as Params from "../Params.js"

/** What the queries use of the `Models` service being built. */
export interface QueryContext {
  readonly rest: SogniRest.SogniRestService
  readonly network: SubscriptionRef.SubscriptionRef<Protocol.Network>
  readonly catalog: Effect.Effect<ReadonlyArray<Protocol.ModelListEntry>, SogniError.SogniError>
  readonly describe: (modelId: string) => Effect.Effect<JobRequestBuilder.ModelDescriptor, SogniError.SogniError>
  readonly sizePresets: (modelId: string, network?: Protocol.Network) => Effect.Effect<ReadonlyArray<SizePreset>, SogniError.SogniError>
  readonly mediaOf: (entry: Protocol.ModelListEntry | undefined, id: string) => MediaKind
  readonly fallbackName: (id: string) => string
}

const EstimateResponse = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    quote: Schema.Struct({
      project: Schema.Struct({
        costInToken: Schema.String,
        costInUSD: Schema.String,
        costInSpark: Schema.optional(Schema.String),
        costInSogni: Schema.optional(Schema.String)
      })
    }),
    benchmark: Schema.optional(
      Schema.Struct({
        estimatedRenderTimeSec: Schema.optional(Schema.Number),
        estimatedTotalTimeSec: Schema.optional(Schema.Number)
      })
    ),
    dailyFairUse: Schema.optional(Schema.Struct({ pct: Schema.optional(Schema.Number) }))
  })
)

const quote = (ctx: QueryContext, path: string, query: Record<string, string | number | undefined>) =>
  ctx.rest.get("socket", path, EstimateResponse, { query }).pipe(
    Effect.map((r): CostEstimate => ({
      token: r.quote.project.costInToken,
      usd: r.quote.project.costInUSD,
      spark: r.quote.project.costInSpark,
      sogni: r.quote.project.costInSogni,
      estimatedRenderSeconds: r.benchmark?.estimatedRenderTimeSec,
      estimatedTotalSeconds: r.benchmark?.estimatedTotalTimeSec,
      dailyFairUsePct: r.dailyFairUse?.pct
    }))
  )

/** `Models.estimate`: the cost of a project (image, video or audio) from the server's quote. */
export const estimate = (
  ctx: QueryContext,
  params: Params.ProjectParams,
  videoInputs?: VideoEstimateInputs
): Effect.Effect<CostEstimate, SogniError.SogniError> =>
  Effect.gen(function*() {
    const tokenType = params.tokenType ?? "spark"
    const network = params.network ?? (yield* SubscriptionRef.get(ctx.network))
    const count = params.numberOfMedia ?? 1
    const p = params as Record<string, unknown>
    const billing = typeof p.billingMode === "string" ? { billingMode: p.billingMode } : {}
    if (params.type === "video") {
      const defaults = Either.getOrUndefined(JobRequestBuilder.defaultsFor(yield* ctx.describe(params.modelId)))
      const fps = (p.fps as number | undefined) ?? Option.getOrUndefined(defaults?.fps ?? Option.none()) ?? 16
      const frames = (p.frames as number | undefined) ??
        (typeof p.duration === "number" ? FrameMath.framesFor(params.modelId, p.duration, fps) : FrameMath.framesFor(params.modelId, 5, fps))
      const extras = yield* videoEstimateQuery(params, videoInputs)
      // FlashVSR without a canvas: the target short edge on a 16:9 frame, as admission assumes
      const target = params.upscaleResolution
      const flash = Option.getOrUndefined(FrameMath.videoFamily(params.modelId)) === "flashvsr" && target !== undefined
      const width = params.width ?? (flash ? Math.round((target * 16) / 9 / 2) * 2 : 0)
      const height = params.height ?? (flash ? target : 0)
      const steps = p.steps as number | undefined
      const tail = steps !== undefined ? `/${steps}/${count}` : count !== 1 ? `/0/${count}` : ""
      const seg = (x: string | number) => encodeURIComponent(String(x))
      return yield* quote(ctx, 
        `/api/v1/job-video/estimate/${seg(tokenType)}/${seg(params.modelId)}/${seg(width)}/${seg(height)}/${seg(frames)}/${seg(fps)}${tail}`,
        { ...extras, network, ...billing }
      )
    }
    if (params.type === "audio") {
      const duration = (p.duration as number | undefined) ?? 30
      const steps = (p.steps as number | undefined) ??
        Option.getOrUndefined(Either.getOrUndefined(JobRequestBuilder.defaultsFor(yield* ctx.describe(params.modelId)))?.steps ?? Option.none()) ?? 8
      return yield* quote(ctx, 
        `/api/v1/job-audio/estimate/${tokenType}/${encodeURIComponent(params.modelId)}/${duration}/${steps}/${count}`,
        { network, ...billing }
      )
    }
    // image: size from the preset when one is named, else the given size, else 0/0
    let width = (p.width as number | undefined) ?? 0
    let height = (p.height as number | undefined) ?? 0
    const presetId = p.sizePreset as string | undefined
    if (presetId !== undefined && presetId !== "custom") {
      const preset = (yield* ctx.sizePresets(params.modelId, network)).find((x) => x.id === presetId)
      if (preset !== undefined) {
        width = preset.width
        height = preset.height
      }
    }
    const steps = (p.steps as number | undefined) ??
      Option.getOrUndefined(Either.getOrUndefined(JobRequestBuilder.defaultsFor(yield* ctx.describe(params.modelId)))?.steps ?? Option.none()) ?? 20
    const previews = (p.numberOfPreviews as number | undefined) ?? 0
    const cn = p.controlNet !== undefined ? 1 : 0
    const denoise = p.startingImage !== undefined ? 1 - ((p.startingImageStrength as number | undefined) || 0.5) : 0
    const guidance = (p.guidance as number | undefined) ?? 0
    const sampler = p.sampler as string | undefined
    const contextImages = Array.isArray(p.contextImages) ? p.contextImages.length : 0
    const base = `${tokenType}/${network}/${params.modelId}/${count}/${steps}/${previews}/${cn}/${denoise}/${width}/${height}`
    const query = {
      ...(typeof p.gptImageQuality === "string" ? { gptImageQuality: p.gptImageQuality } : {}),
      ...(typeof p.outputFormat === "string" ? { outputFormat: p.outputFormat } : {}),
      ...billing
    }
    return yield* (sampler !== undefined || contextImages > 0
      ? quote(ctx, `/api/v3/job/estimate/${base}/${guidance}/${sampler ?? "_"}/${contextImages}`, query)
      : quote(ctx, `/api/v2/job/estimate/${base}`, query))
  }).pipe(Effect.withSpan("Models.estimate", { attributes: { modelId: params.modelId, type: params.type } }))

/** `Models.availableOn`: the models with workers on `network`, asked over REST and named from the catalog. */
export const availableOn = (ctx: QueryContext, network: Protocol.Network) =>
  Effect.gen(function*() {
    if (network !== "fast" && network !== "relaxed") {
      return yield* Effect.fail(
        new SogniError.SogniInvalidRequest({ field: "network", rule: "one-of", message: `network must be fast or relaxed (got ${String(network)})` })
      )
    }
    const counts = yield* ctx.rest.get("socket", `/api/v1/status/network/${network}/models`, Schema.Record({ key: Schema.String, value: Schema.Number }))
    const list = yield* ctx.catalog
    const bySid = new Map(list.flatMap((m) => (m.SID !== undefined ? [[String(m.SID), m] as const] : [])))
    return Object.entries(counts).map(([sid, workerCount]): AvailableModel => {
      const entry = bySid.get(sid)
      return entry === undefined
        ? { id: sid, name: ctx.fallbackName(sid), media: "image", workerCount }
        : { id: entry.id, name: entry.name, media: ctx.mediaOf(entry, entry.id), workerCount }
    })
  }).pipe(Effect.withSpan("Models.availableOn", { attributes: { network } }))
