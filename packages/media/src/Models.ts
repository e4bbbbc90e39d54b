/**
 * What can be generated and what it costs: the model catalog and tiers, live worker counts, LLM model
 * info, size presets, model options and cost estimates (media.md §11–§12, chat.md §9).
 *
 * The catalog (`/api/v1/models/list`) and tiers (`/api/v2/models/tiers`) are read once and cached for
 * `catalogTtl`; size presets for `presetTtl`. Availability is pushed by the socket (`swarmModels`,
 * `swarmLLMModels`) and exposed as observable values.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Models } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const models = yield* Models.Models
 *   const available = yield* models.waitForModels()
 *   const quote = yield* models.estimate({ type: "image", modelId: "flux1-schnell-fp8", numberOfMedia: 2, steps: 4 })
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as LeanRest from "@effect-sogni/core/LeanRest"
import * as LlmModels from "@effect-sogni/core/LlmModels"
import * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniAuth from "@effect-sogni/core/SogniAuth"
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Lazy from "@effect-sogni/core/Lazy"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as FrameMath from "./FrameMath.js"
import * as CatalogDecoders from "./internal/catalogDecoders.js"
import * as JobRequestBuilder from "./internal/jobRequests.js"
import type * as Params from "./Params.js"
import type * as ModelQueries from "./internal/modelQueries.js"
import * as Sniff from "./Sniff.js"

/** @since 0.1.0 */
export type MediaKind = "image" | "video" | "audio" | "model"

/**
 * A model with workers online now.
 *
 * @since 0.1.0
 */
export interface AvailableModel {
  readonly id: string
  readonly name: string
  readonly media: MediaKind
  readonly workerCount: number
}

/**
 * An LLM and its limits (chat.md §9); the type lives in core's `LlmModels`.
 *
 * @since 0.1.0
 */
export type LlmModel = LlmModels.LlmModel

/**
 * The models of a `swarmLLMModels` push (chat.md §9): core's `LlmModels.fromPayload`.
 *
 * @since 0.1.0
 */
export const llmModelsOf: (payload: Protocol.SwarmLLMModels) => ReadonlyArray<LlmModel> = LlmModels.fromPayload

/**
 * A size preset (media.md §11.3).
 *
 * @since 0.1.0
 */
export const SizePreset = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    label: Schema.String,
    id: Schema.String,
    width: Schema.Number,
    height: Schema.Number,
    ratio: Schema.optional(Schema.String),
    aspect: Schema.optional(Schema.Union(Schema.String, Schema.Number))
  })
})
/** @since 0.1.0 */
export type SizePreset = typeof SizePreset.Type

/**
 * A cost quote: decimal strings as the server writes them.
 *
 * @since 0.1.0
 */
export interface CostEstimate {
  readonly token: string
  readonly usd: string
  readonly spark: string | undefined
  readonly sogni: string | undefined
  readonly estimatedRenderSeconds: number | undefined
  readonly estimatedTotalSeconds: number | undefined
  readonly dailyFairUsePct: number | undefined
}

/**
 * Estimate-only facts of a video quote (media.md §12.1), each derived from the project parameters when
 * not given: `hasVideoInput` from `referenceVideo`/`referenceVideos`/`referenceVideoUrls` (Seedance's
 * video-input band), `referenceImageCount` from the image references, `referenceVideoCount` and
 * `referenceVideoDurationSeconds` from MiniMax H3 r2v's reference videos and their duration hints, and
 * `sourceWidth`/`sourceHeight` from the `referenceVideo` bytes (FlashVSR bills the upscaled source).
 *
 * @since 0.1.0
 */
export interface VideoEstimateInputs {
  readonly hasVideoInput?: boolean | undefined
  readonly referenceImageCount?: number | undefined
  readonly referenceVideoCount?: number | undefined
  readonly referenceVideoDurationSeconds?: number | undefined
  readonly sourceWidth?: number | undefined
  readonly sourceHeight?: number | undefined
}

/**
 * The query of a video estimate: the given inputs, else those derived from the parameters; fails with
 * `SogniInvalidRequest` naming the field for a negative or fractional count, a negative duration, or a
 * source size given on one side only.
 *
 * @since 0.1.0
 */
export function videoEstimateQuery(
  params: Params.VideoParams,
  given: VideoEstimateInputs = {}
): Either.Either<Readonly<Record<string, string>>, SogniError.SogniInvalidRequest> {
  const invalid = (field: string, rule: string, message: string) =>
    Either.left(new SogniError.SogniInvalidRequest({ field, rule, message }))
  const length = (xs: ReadonlyArray<unknown> | undefined) => xs?.length ?? 0
  const videos = (params.referenceVideo !== undefined ? 1 : 0) + length(params.referenceVideos) + length(params.referenceVideoUrls)
  const images = (params.referenceImage !== undefined ? 1 : 0) + (params.referenceImageEnd !== undefined ? 1 : 0) +
    length(params.contextImages) + length(params.referenceImageUrls)
  const durations = params.referenceVideoDurations?.reduce((a, b) => a + b, 0)
  const source = params.referenceVideo instanceof Uint8Array
    ? Option.getOrUndefined(Sniff.videoDimensions(params.referenceVideo))
    : undefined
  const hasVideoInput = given.hasVideoInput ?? videos > 0
  const referenceImageCount = given.referenceImageCount ?? (images > 0 ? images : undefined)
  const referenceVideoCount = given.referenceVideoCount ?? (videos > 0 ? videos : undefined)
  const referenceVideoDurationSeconds = given.referenceVideoDurationSeconds ?? durations
  const sourceWidth = given.sourceWidth ?? (given.sourceHeight === undefined ? source?.width : undefined)
  const sourceHeight = given.sourceHeight ?? (given.sourceWidth === undefined ? source?.height : undefined)
  for (const [field, value] of [["referenceImageCount", referenceImageCount], ["referenceVideoCount", referenceVideoCount]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      return invalid(field, "non-negative-integer", `${field} must be a non-negative integer (got ${value})`)
    }
  }
  if (referenceVideoDurationSeconds !== undefined && !(Number.isFinite(referenceVideoDurationSeconds) && referenceVideoDurationSeconds >= 0)) {
    return invalid("referenceVideoDurationSeconds", "non-negative", `referenceVideoDurationSeconds must be a non-negative number (got ${referenceVideoDurationSeconds})`)
  }
  if ((sourceWidth === undefined) !== (sourceHeight === undefined)) {
    return invalid("sourceWidth", "together", "sourceWidth and sourceHeight are given together or not at all")
  }
  for (const [field, value] of [["sourceWidth", sourceWidth], ["sourceHeight", sourceHeight]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      return invalid(field, "positive-integer", `${field} must be a positive integer (got ${value})`)
    }
  }
  return Either.right({
    ...(sourceWidth !== undefined && sourceHeight !== undefined
      ? { sourceWidth: String(sourceWidth), sourceHeight: String(sourceHeight) }
      : {}),
    ...(hasVideoInput ? { hasVideoInput: "1" } : {}),
    ...(referenceImageCount !== undefined ? { referenceImageCount: String(referenceImageCount) } : {}),
    ...(referenceVideoCount !== undefined ? { referenceVideoCount: String(referenceVideoCount) } : {}),
    ...(referenceVideoDurationSeconds !== undefined ? { referenceVideoDurationSeconds: String(referenceVideoDurationSeconds) } : {})
  })
}

/** Cache lifetimes, written once. @since 0.1.0 */
export const defaults = {
  catalogTtl: Duration.hours(24),
  presetTtl: Duration.minutes(10),
  waitForModels: Duration.seconds(10),
  /**
   * How long `describe` reuses a descriptor it built before reading the TTL caches again: every project's
   * `prepare` describes its model, and a read of the two caches (their lock, deferred and clock) cost
   * ~60 KB and ~0.7 ms per call in a burst of creates; a catalog change shows at most this much later.
   */
  describeReuse: Duration.seconds(1)
} as const

/**
 * @since 0.1.0
 */
export interface ModelsService {
  /** `GET /api/v1/models/list` (cached). */
  readonly catalog: Effect.Effect<ReadonlyArray<Protocol.ModelListEntry>, SogniError.SogniError>
  /** The catalog entry and raw tier of a model; `SogniInvalidRequest` (`modelId`, `unknown-model`) when absent. */
  readonly describe: (modelId: string) => Effect.Effect<JobRequestBuilder.ModelDescriptor, SogniError.SogniError>
  /** The controls a model offers (steps, guidance, samplers, schedulers, fps, …). */
  readonly options: (modelId: string) => Effect.Effect<JobRequestBuilder.ModelOptions, SogniError.SogniError>
  /** Models with workers on the connection's network, as last pushed by the server. */
  readonly available: SubscriptionRef.SubscriptionRef<ReadonlyArray<AvailableModel>>
  /** Every availability change from now on (the current list first). */
  readonly availableChanges: Stream.Stream<ReadonlyArray<AvailableModel>>
  /**
   * The models with workers on `network` now, asked over REST (`GET /api/v1/status/network/{network}/models`,
   * worker counts by model SID, named from the catalog): any network, no socket needed.
   */
  readonly availableOn: (network: Protocol.Network) => Effect.Effect<ReadonlyArray<AvailableModel>, SogniError.SogniError>
  /** Waits for the first non-empty availability list (connecting if needed). */
  readonly waitForModels: (
    timeout?: Duration.DurationInput
  ) => Effect.Effect<ReadonlyArray<AvailableModel>, SogniError.SogniError>
  /** LLM models as last pushed by the server. */
  readonly llmModels: SubscriptionRef.SubscriptionRef<ReadonlyArray<LlmModel>>
  /** `GET /api/v1/size-presets/network/{network}/model/{modelId}` (cached). */
  readonly sizePresets: (
    modelId: string,
    network?: Protocol.Network
  ) => Effect.Effect<ReadonlyArray<SizePreset>, SogniError.SogniError>
  /**
   * A cost quote for the parameters of a project (image, video or audio). Video quotes carry the
   * estimate-only inputs of {@link VideoEstimateInputs} (given, else derived from the parameters).
   */
  readonly estimate: (
    params: Params.ProjectParams,
    videoInputs?: VideoEstimateInputs
  ) => Effect.Effect<CostEstimate, SogniError.SogniError>
}

/**
 * @since 0.1.0
 */
export class Models extends Context.Tag("@effect-sogni/media/Models")<Models, ModelsService>() {}

function mediaOf(entry: Protocol.ModelListEntry | undefined, id: string): MediaKind {
  if (id.startsWith("pixal3d_")) return "model"
  const media = entry?.media
  if (media === "image" || media === "video" || media === "audio" || media === "model") return media
  return FrameMath.mediaKindFromId(id)
}

function fallbackName(id: string) {
  return id.replace(/-/g, " ")
}

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const rest = yield* SogniRest.SogniRest
  const socket = yield* SogniSocket.SogniSocket

  // The catalog and tiers go over core's lean GET (Node's own http where there is one; the same
  // credential, retry policy, timeout and typed errors as `SogniRest`): the first `swarmModels` push
  // reads the catalog right after connecting, and a `fetch` there loaded and warmed a whole second HTTP
  // stack (undici) in programs that otherwise never use it.
  const lean = yield* LeanRest.make
  const leanGet = <A>(path: string, decode: LeanRest.Decoder<A>): Effect.Effect<A, SogniRest.RestError> =>
    // not abortable: an interrupted read completes in the background and its answer is dropped
    Effect.async<A, SogniRest.RestError>((resume) => {
      lean.getFrom("socket", path, undefined, decode, (result) =>
        resume(Either.isRight(result) ? Effect.succeed(result.right) : Effect.fail(result.left)))
    })
  const [catalog, dropCatalog] = yield* Effect.cachedInvalidateWithTTL(
    leanGet("/api/v1/models/list", CatalogDecoders.modelList()),
    defaults.catalogTtl
  )
  const [tiers, dropTiers] = yield* Effect.cachedInvalidateWithTTL(
    leanGet("/api/v2/models/tiers", CatalogDecoders.modelTiers()),
    defaults.catalogTtl
  )
  // failures are not cached: the next call reads again. (Not this call: the read already went through
  // the REST retry policy, and reading again at once doubled the wait on a silent host.)
  const catalogFresh = Effect.tapError(catalog, () => dropCatalog)
  const tiersFresh = Effect.tapError(tiers, () => dropTiers)

  // the descriptors `describe` built lately, by model id, with when (reused for `describeReuse`)
  const clock = yield* Effect.clock
  const reuseMillis = Duration.toMillis(defaults.describeReuse)
  const described = new Map<string, { readonly descriptor: JobRequestBuilder.ModelDescriptor; readonly at: number }>()
  const describe = (modelId: string) =>
    Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      const recent = described.get(modelId)
      if (recent !== undefined && now >= recent.at && now - recent.at < reuseMillis) return Effect.succeed(recent.descriptor)
      return Effect.tap(describeFresh(modelId), (descriptor) => {
        described.set(modelId, { descriptor, at: now })
      })
    })

  // The catalog and the tiers are read together (two round trips at once, not one after the other: a
  // cold `describe` is on the way of every first project); the catalog's verdict comes first, so an
  // unknown model is refused as `unknown-model` whatever the tiers' read did, and a failed catalog read
  // is the error even when the tiers' read failed too.
  const describeFresh = (modelId: string) =>
    Effect.gen(function*() {
      const [listRead, tiersRead] = yield* Effect.all([Effect.either(catalogFresh), Effect.either(tiersFresh)], {
        concurrency: 2
      })
      if (Either.isLeft(listRead)) return yield* Effect.fail(listRead.left)
      const list = listRead.right
      const entry = list.find((m) => m.id === modelId)
      if (entry === undefined) {
        return yield* Effect.fail(
          new SogniError.SogniInvalidRequest({
            field: "modelId",
            rule: "unknown-model",
            message: `Model ${modelId} is not in the catalog`
          })
        )
      }
      if (Either.isLeft(tiersRead)) return yield* Effect.fail(tiersRead.left)
      const tier = tiersRead.right[entry.tier]
      if (tier === undefined) {
        return yield* Effect.fail(
          new SogniError.SogniInvalidRequest({
            field: "modelId",
            rule: "unsupported-tier",
            message: `Model ${modelId} has no tier ${entry.tier}`
          })
        )
      }
      return { id: entry.id, media: mediaOf(entry, entry.id), tier } satisfies JobRequestBuilder.ModelDescriptor
    })

  const available = yield* SubscriptionRefs.make<ReadonlyArray<AvailableModel>>([])
  // `waitForModels` callers waiting for a non-empty list, resumed by the pushes below (`publishAvailable`)
  // with plain callbacks rather than a Stream of `available.changes` per wait: a program that only waits
  // for the models then never runs Effect's Stream, Channel and PubSub machinery (compiled code and
  // executors its heap would keep)
  let availableWrites = 0
  const availableWaiters = new Set<(list: ReadonlyArray<AvailableModel>) => void>()
  const publishAvailable = (list: ReadonlyArray<AvailableModel>): Effect.Effect<void> =>
    Effect.zipRight(
      SubscriptionRefs.set(available, list),
      Effect.sync(() => {
        availableWrites++
        if (list.length > 0) for (const wake of availableWaiters) wake(list)
      })
    )
  /**
   * The first non-empty availability list: the current one when it is, else the next the server pushes
   * (the first non-empty element of `available.changes`). A list pushed since `seen` (between the read
   * and this wait) is read again.
   */
  const nonEmptyAvailable: Effect.Effect<ReadonlyArray<AvailableModel>> = Effect.suspend(() => {
    const seen = availableWrites
    return Effect.flatMap(SubscriptionRefs.get(available), (now) =>
      now.length > 0
        ? Effect.succeed(now)
        : Effect.async<ReadonlyArray<AvailableModel>>((resume) => {
          if (availableWrites !== seen) return resume(nonEmptyAvailable)
          const wake = (list: ReadonlyArray<AvailableModel>) => {
            availableWaiters.delete(wake)
            resume(Effect.succeed(list))
          }
          availableWaiters.add(wake)
          return Effect.sync(() => {
            availableWaiters.delete(wake)
          })
        }))
  })
  // the LLM list is the socket's latest push, followed (not re-tracked) here
  const llmModels = yield* LlmModels.follow(socket)

  const pushes = yield* socket.subscribe(["swarmModels", "changeNetwork"])
  yield* Effect.forkScoped(
    Effect.forever(
      Effect.flatMap(Queue.take(pushes), (event) => {
        switch (event.type) {
          case "swarmModels":
            return Effect.flatMap(Effect.either(catalogFresh), (list) => {
              const byId = new Map(Either.getOrElse(list, () => []).map((m) => [m.id, m] as const))
              const models = Object.entries(event.payload).map(([id, workerCount]): AvailableModel => {
                const entry = byId.get(id)
                return { id, name: entry?.name ?? fallbackName(id), media: mediaOf(entry, id), workerCount }
              })
              return publishAvailable(models)
            })
          case "changeNetwork":
            // a network change clears availability until the next push
            return publishAvailable([])
          default:
            return Effect.void
        }
      })
    )
  )

  // effect/Cache (its code is as large as this module's) loads with the first size-preset lookup, which
  // most programs never make; later lookups reuse the one cache
  const presetCache = yield* Effect.cached(
    Effect.flatMap(Effect.promise(() => import("effect/Cache")), (Cache) =>
      Cache.make({
        capacity: 256,
        timeToLive: defaults.presetTtl,
        lookup: (key: string) => {
          const [network, modelId] = key.split("\u0000") as [string, string]
          return rest.get(
            "socket",
            `/api/v1/size-presets/network/${encodeURIComponent(network)}/model/${encodeURIComponent(modelId)}`,
            Schema.Array(SizePreset)
          )
        }
      }))
  )

  const sizePresets = (modelId: string, network?: Protocol.Network) =>
    Effect.gen(function*() {
      const net = network ?? (yield* SubscriptionRefs.get(socket.network))
      const key = `${net}\u0000${modelId}`
      const cache = yield* presetCache
      return yield* cache.get(key).pipe(Effect.tapError(() => cache.invalidate(key)))
    })

  // cost quotes and the REST availability of another network load with their first call
  // (internal/modelQueries.ts): an image program never asks either
  const queries = Effect.promise(() => import("./internal/modelQueries.js"))
  const context: ModelQueries.QueryContext = { rest, network: socket.network, catalog: catalogFresh, describe, sizePresets, mediaOf, fallbackName }
  const estimate = (params: Params.ProjectParams, videoInputs?: VideoEstimateInputs) =>
    Effect.flatMap(queries, (q) => q.estimate(context, params, videoInputs))
  const availableOn = (network: Protocol.Network) => Effect.flatMap(queries, (q) => q.availableOn(context, network))

  return {
    catalog: catalogFresh,
    availableOn,
    describe,
    options: (modelId) =>
      Effect.flatMap(describe(modelId), (d) => JobRequestBuilder.optionsFor(d)),
    available,
    // built when read: the service itself never builds a Stream
    get availableChanges() {
      return available.changes
    },
    waitForModels: (timeout = defaults.waitForModels) =>
      Effect.zipRight(
        socket.connect,
        nonEmptyAvailable.pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new SogniError.SogniTransportError({
                reason: "Timeout",
                message: `no model availability within ${Duration.format(Duration.decode(timeout))}`
              })
          })
        )
      ),
    llmModels,
    sizePresets,
    estimate
  } satisfies ModelsService
})

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<
  Models,
  never,
  SogniRest.SogniRest | SogniSocket.SogniSocket | SogniConfig.SogniConfig | SogniAuth.SogniAuth
> = Layer.scoped(
  Models,
  make
)
