/**
 * One provider-neutral media request, and the `Generation` service that runs it on whichever platform is
 * provided.
 *
 * A {@link GenerationRequest} names what to make (`image`, `video` or `upscale`), a prompt, a negative
 * prompt, a size, a seed, a count and reference images. Every provider answers it with the same
 * {@link ProjectState.ProjectEvent} stream that `Projects.events` yields on Sogni (progress, `JobCompleted`
 * per output, then `Completed`, `Failed` or `Canceled`), and its results download through the same
 * service. Each platform keeps its full native parameters in its own module (`Projects`/`Params` here,
 * `ZelaiClient` in `@effect-sogni/zelai`); this is the common ground.
 *
 * What a provider cannot do fails with `SogniUnsupported` naming the feature and the provider, before
 * anything is sent: on Sogni, `upscale` of a still image; on ZelAI, text-to-video, reference images given
 * as bytes (ZelAI has no upload on its socket), more than two references.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Generation } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const generation = yield* Generation.Generation
 *   const done = yield* generation.generate({ type: "image", prompt: "a lighthouse at dusk", size: { width: 768, height: 512 } }).pipe(
 *     Stream.runLast
 *   )
 * })
 * // provide Generation.layerSogni (over Media.layer) or ZelaiGeneration.layer (over ZelaiClient.layer)
 * ```
 *
 * @since 0.2.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type * as Params from "./Params.js"
import * as Projects from "./Projects.js"
import type * as ProjectState from "./ProjectState.js"
import * as Results from "./Results.js"

/**
 * A reference image: bytes, or a result of an earlier generation on the same provider.
 *
 * @since 0.2.0
 */
export type ReferenceImage =
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array }
  | { readonly _tag: "Result"; readonly result: ProjectState.JobResult }

/** A reference image from bytes. @since 0.2.0 */
export const bytes = (data: Uint8Array): ReferenceImage => ({ _tag: "Bytes", bytes: data })

/** A reference image from an earlier result. @since 0.2.0 */
export const fromResult = (result: ProjectState.JobResult): ReferenceImage => ({ _tag: "Result", result })

/**
 * The provider-neutral request.
 *
 * - `image`: text-to-image; with reference images, an edit of the first (a second one is blended in
 *   where the provider can).
 * - `video`: from the first reference image; without one, text-to-video where the provider has it.
 * - `upscale`: the first reference image, made larger (`size` is ignored; providers pick their factor
 *   from `scale`, default 2).
 *
 * @since 0.2.0
 */
export interface GenerationRequest {
  readonly type: "image" | "video" | "upscale"
  readonly prompt?: string | undefined
  readonly negativePrompt?: string | undefined
  readonly size?: { readonly width: number; readonly height: number } | undefined
  readonly seed?: number | undefined
  /** Outputs (default 1). */
  readonly count?: number | undefined
  readonly referenceImages?: ReadonlyArray<ReferenceImage> | undefined
  /** Upscale factor (default 2). */
  readonly scale?: number | undefined
  /** Video length in seconds. */
  readonly duration?: number | undefined
}

/**
 * @since 0.2.0
 */
export interface GenerationService {
  /** The platform (`"sogni"`, `"zelai"`). */
  readonly provider: string
  /**
   * Runs a request: its project events, ending after the terminal one. Interrupting the stream cancels the
   * work upstream. Bad input (`SogniInvalidRequest`) and missing features (`SogniUnsupported`) fail the
   * stream before anything is sent.
   */
  readonly generate: (request: GenerationRequest) => Stream.Stream<ProjectState.ProjectEvent, SogniError.SogniError>
  /** A result's bytes. */
  readonly download: (result: ProjectState.JobResult) => Effect.Effect<Uint8Array, SogniError.SogniError>
  /** Writes a result to `path`; returns the number of bytes. */
  readonly save: (
    result: ProjectState.JobResult,
    path: string
  ) => Effect.Effect<number, SogniError.SogniError, FileSystem.FileSystem>
}

/**
 * @since 0.2.0
 */
export class Generation extends Context.Tag("@effect-sogni/media/Generation")<Generation, GenerationService>() {}

const invalid = (field: string, rule: string, message: string) =>
  Either.left(new SogniError.SogniInvalidRequest({ field, rule, message }))

/**
 * Checks a request the same way for every provider: `type`, a non-empty prompt for images, `count`
 * 1–16, `seed` a non-negative integer, `size` positive integers, a reference image for `upscale`.
 *
 * @since 0.2.0
 */
export const validate = (request: GenerationRequest): Either.Either<GenerationRequest, SogniError.SogniInvalidRequest> => {
  if (!["image", "video", "upscale"].includes(request.type)) {
    return invalid("type", "one-of", `type must be image, video or upscale (got ${String(request.type)})`)
  }
  if (request.type === "image" && (request.prompt === undefined || request.prompt.trim().length === 0)) {
    return invalid("prompt", "non-empty", "an image needs a prompt")
  }
  const count = request.count ?? 1
  if (!Number.isInteger(count) || count < 1 || count > 16) return invalid("count", "range", "count must be an integer from 1 to 16")
  if (request.seed !== undefined && !(Number.isInteger(request.seed) && request.seed >= 0)) {
    return invalid("seed", "non-negative-integer", "seed must be a non-negative integer")
  }
  if (request.size !== undefined) {
    for (const edge of ["width", "height"] as const) {
      const v = request.size[edge]
      if (!Number.isInteger(v) || v < 1) return invalid(`size.${edge}`, "positive-integer", `size.${edge} must be a positive integer`)
    }
  }
  if (request.type === "upscale" && (request.referenceImages?.length ?? 0) === 0) {
    return invalid("referenceImages", "required", "upscale needs the image to upscale as its first reference image")
  }
  if (request.scale !== undefined && !(request.scale > 1)) return invalid("scale", "range", "scale must be greater than 1")
  if (request.duration !== undefined && !(request.duration > 0)) return invalid("duration", "positive", "duration must be positive")
  return Either.right(request)
}

/**
 * The refusal of a feature `provider` lacks.
 *
 * @since 0.2.0
 */
export const unsupported = (provider: string, feature: string, message: string): SogniError.SogniUnsupported =>
  new SogniError.SogniUnsupported({ feature, provider, message: `${provider}: ${message}` })

// ---------------------------------------------------------------------------------------------
// Sogni
// ---------------------------------------------------------------------------------------------

/** Models the Sogni implementation uses. @since 0.2.0 */
export interface SogniOptions {
  /** Text-to-image and edits (default `flux1-schnell-fp8`). */
  readonly imageModel?: string | undefined
  /** Video from an image (default `wan_v2.2-14b-fp8_i2v_lightx2v`). */
  readonly videoModel?: string | undefined
  /** Text-to-video (default `wan_v2.2-14b-fp8_t2v_lightx2v`). */
  readonly textToVideoModel?: string | undefined
}

/** The Sogni defaults. @since 0.2.0 */
export const sogniDefaults = {
  imageModel: "flux1-schnell-fp8",
  videoModel: "wan_v2.2-14b-fp8_i2v_lightx2v",
  textToVideoModel: "wan_v2.2-14b-fp8_t2v_lightx2v"
} as const

/**
 * The request as Sogni project parameters (pure; reference images already as bytes).
 *
 * @since 0.2.0
 */
export const toSogniParams = (
  request: GenerationRequest,
  references: ReadonlyArray<Uint8Array>,
  options: SogniOptions = {}
): Either.Either<Params.ProjectParams, SogniError.SogniUnsupported> => {
  const common = {
    numberOfMedia: request.count ?? 1,
    ...(request.prompt !== undefined ? { positivePrompt: request.prompt } : {}),
    ...(request.negativePrompt !== undefined && request.negativePrompt.length > 0 ? { negativePrompt: request.negativePrompt } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.size !== undefined ? { width: request.size.width, height: request.size.height } : {})
  }
  switch (request.type) {
    case "upscale":
      return Either.left(unsupported("sogni", "upscale", "Sogni has no still-image upscale; use an image project at a larger size"))
    case "image":
      return Either.right({
        type: "image",
        modelId: options.imageModel ?? sogniDefaults.imageModel,
        ...common,
        ...(references.length > 0 ? { startingImage: references[0]! } : {}),
        ...(references.length > 1 ? { contextImages: references.slice(1) } : {})
      })
    case "video":
      if (references.length > 1) return Either.left(unsupported("sogni", "multiple reference images", "a video starts from one image"))
      return Either.right({
        type: "video",
        modelId: references.length > 0
          ? options.videoModel ?? sogniDefaults.videoModel
          : options.textToVideoModel ?? sogniDefaults.textToVideoModel,
        ...common,
        ...(request.duration !== undefined ? { duration: request.duration } : {}),
        ...(references.length > 0 ? { referenceImage: references[0]! } : {})
      })
  }
}

/**
 * `Generation` on Sogni, over the media services (`Projects` and `Results`).
 *
 * @since 0.2.0
 */
export const makeSogni = (options: SogniOptions = {}) =>
  Effect.gen(function*() {
    const projects = yield* Projects.Projects
    const results = yield* Results.Results
    const referenceBytes = (refs: ReadonlyArray<ReferenceImage>) =>
      Effect.forEach(refs, (r) => (r._tag === "Bytes" ? Effect.succeed(r.bytes) : results.download(r.result)))
    return {
      provider: "sogni",
      generate: (request) =>
        Stream.unwrap(
          Effect.gen(function*() {
            const checked = yield* validate(request)
            if (checked.type === "upscale") {
              return yield* Effect.fail(unsupported("sogni", "upscale", "Sogni has no still-image upscale; use an image project at a larger size"))
            }
            const refs = yield* referenceBytes(checked.referenceImages ?? [])
            const params = yield* toSogniParams(checked, refs, options)
            return projects.events(params)
          })
        ),
      download: results.download,
      save: results.save
    } satisfies GenerationService
  })

/**
 * `Generation` on Sogni (needs `Projects` and `Results`, e.g. from `Media.layer`).
 *
 * @since 0.2.0
 */
export const layerSogni = (
  options: SogniOptions = {}
): Layer.Layer<Generation, never, Projects.Projects | Results.Results> => Layer.effect(Generation, makeSogni(options))
