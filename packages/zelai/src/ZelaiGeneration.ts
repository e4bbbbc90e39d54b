/**
 * The provider-neutral `Generation` service (`@effect-sogni/media`) on ZelAI: the same request, the same
 * project event stream as on Sogni.
 *
 * How a request maps: `image` → text-to-image (`width`/`height` from `size`), or an edit of the first
 * reference image (a second one becomes `imageId2`); `video` → video from the first reference image
 * (`duration` in seconds); `upscale` → upscale of the first reference by `scale` (2, 3 or 4). A `count`
 * above 1 runs that many requests at once (seeds `seed`, `seed + 1`, …). Each request is one job of the
 * project: `JobStarted`, `JobProgress` as the server reports it, `JobCompleted` with a result whose `imgID` is
 * the CDN id (usable as a reference image for the next request), then `Completed`. A refusal or failure
 * of the server ends the project with `Failed` (its wire code in `error.originalCode`); a dropped socket
 * with `Failed` code `ZELAI_CONNECTION_LOST` (the job may have been billed).
 *
 * Refused before sending, with `SogniUnsupported { provider: "zelai" }`: reference images given as bytes
 * (the socket has no upload: pass an earlier ZelAI result), more than two references, text-to-video,
 * a negative prompt on video or upscale, a scale other than 2, 3 or 4.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { ZelaiClient, ZelaiGeneration } from "@effect-sogni/zelai"
 *
 * const GenerationOnZelai = ZelaiGeneration.layer.pipe(Layer.provide(ZelaiClient.layer({ apiKey: Redacted.make("zelai_pk_…") })))
 * ```
 *
 * @since 0.2.0
 */
import * as Generation from "@effect-sogni/media/Generation"
import { ProjectEvent } from "@effect-sogni/media/ProjectState"
import type * as ProjectState from "@effect-sogni/media/ProjectState"
import { SogniError } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ZelaiClient from "./ZelaiClient.js"
import type { ZelaiError } from "./ZelaiError.js"

const PROVIDER = "zelai"

type Plan =
  | { readonly _tag: "image"; readonly request: Parameters<ZelaiClient.ZelaiClientService["image"]>[0] }
  | { readonly _tag: "edit"; readonly request: Parameters<ZelaiClient.ZelaiClientService["edit"]>[0] }
  | { readonly _tag: "video"; readonly request: Parameters<ZelaiClient.ZelaiClientService["video"]>[0] }
  | { readonly _tag: "upscale"; readonly request: Parameters<ZelaiClient.ZelaiClientService["upscale"]>[0] }

/**
 * The ZelAI requests for a neutral request (one per output), or why ZelAI cannot run it. Pure.
 *
 * @since 0.2.0
 */
export const plan = (
  request: Generation.GenerationRequest
): Either.Either<ReadonlyArray<Plan>, SogniError.SogniUnsupported | SogniError.SogniInvalidRequest> =>
  Either.flatMap(Generation.validate(request), (r) => {
    const refs = r.referenceImages ?? []
    const ids: string[] = []
    for (const ref of refs) {
      if (ref._tag === "Bytes") {
        return Either.left(Generation.unsupported(PROVIDER, "reference image bytes", "the socket has no upload; pass an earlier ZelAI result"))
      }
      ids.push(ref.result.imgID)
    }
    if (ids.length > 2) return Either.left(Generation.unsupported(PROVIDER, "more than two reference images", "edits take at most two images"))
    const count = r.count ?? 1
    const seedAt = (i: number) => (r.seed === undefined ? {} : { seed: r.seed + i })
    const size = r.size === undefined ? {} : { width: r.size.width, height: r.size.height }
    const negative = r.negativePrompt !== undefined && r.negativePrompt.length > 0 ? { negativePrompt: r.negativePrompt } : {}
    const out: Plan[] = []
    for (let i = 0; i < count; i++) {
      switch (r.type) {
        case "image":
          out.push(
            ids.length === 0
              ? { _tag: "image", request: { prompt: r.prompt ?? "", ...negative, ...seedAt(i), ...size } }
              : {
                _tag: "edit",
                request: {
                  imageId: ids[0]!,
                  ...(ids[1] !== undefined ? { imageId2: ids[1] } : {}),
                  prompt: r.prompt ?? "",
                  ...negative,
                  ...seedAt(i),
                  ...size
                }
              }
          )
          break
        case "video":
          if (ids.length === 0) return Either.left(Generation.unsupported(PROVIDER, "text-to-video", "a ZelAI video starts from an image"))
          if (ids.length > 1) return Either.left(Generation.unsupported(PROVIDER, "multiple reference images", "a video starts from one image"))
          if (r.negativePrompt !== undefined) return Either.left(Generation.unsupported(PROVIDER, "negative prompt on video", "video takes no negative prompt"))
          out.push({
            _tag: "video",
            request: {
              imageId: ids[0]!,
              ...(r.prompt !== undefined ? { prompt: r.prompt } : {}),
              ...(r.duration !== undefined ? { duration: r.duration } : {})
            }
          })
          break
        case "upscale": {
          const factor = r.scale ?? 2
          if (factor !== 2 && factor !== 3 && factor !== 4) {
            return Either.left(Generation.unsupported(PROVIDER, `upscale ×${factor}`, "upscale factors are 2, 3 and 4"))
          }
          if (r.negativePrompt !== undefined || r.prompt !== undefined) {
            return Either.left(Generation.unsupported(PROVIDER, "prompt on upscale", "upscale derives its own prompt"))
          }
          out.push({ _tag: "upscale", request: { imageId: ids[0]!, factor, ...seedAt(i) } })
          break
        }
      }
    }
    return Either.right(out)
  })

type JobOutcome =
  | { readonly _tag: "Event"; readonly event: ProjectState.ProjectEvent }
  | { readonly _tag: "Done"; readonly result: ProjectState.JobResult }
  | { readonly _tag: "Error"; readonly jobIndex: number; readonly imgID: string; readonly error: ProjectState.ErrorData }

const errorData = (error: ZelaiError): ProjectState.ErrorData => {
  switch (error._tag) {
    case "ZelaiRequestError":
      return { code: 0, message: error.message, originalCode: error.code }
    case "ZelaiConnectionLost":
      return { code: 0, message: error.message, originalCode: "ZELAI_CONNECTION_LOST" }
    default:
      return { code: 0, message: error.message, originalCode: error._tag }
  }
}

/**
 * `Generation` on ZelAI.
 *
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const zelai = yield* ZelaiClient.ZelaiClient

  const resultOf = (jobIndex: number, kind: "image" | "video", id: string, seed: number | undefined): ProjectState.JobResult => ({
    jobIndex,
    imgID: id,
    url: zelai.cdnUrl({ id, kind }),
    urlExpiresAt: undefined,
    seed,
    outputFormat: kind === "video" ? "mp4" : "png",
    nsfwWithheld: false,
    nsfwDetected: false,
    workerName: undefined
  })

  const runJob = (projectId: string, jobIndex: number, p: Plan): Stream.Stream<JobOutcome> => {
    type Any = ZelaiClient.GenerationEvent<{ readonly imageId?: string; readonly videoId?: string; readonly seed?: number | undefined }>
    const tagged = (stream: Stream.Stream<Any, ZelaiError>, kind: "image" | "video") => Stream.map(stream, (e) => ({ e, kind }))
    const events = p._tag === "video"
      ? tagged(zelai.video(p.request), "video")
      : tagged(p._tag === "image" ? zelai.image(p.request) : p._tag === "edit" ? zelai.edit(p.request) : zelai.upscale(p.request), "image")
    let imgID = `${projectId}-${jobIndex}`
    return events.pipe(
      Stream.map(({ e, kind }): JobOutcome => {
        switch (e._tag) {
          case "Started":
            imgID = e.requestId
            return { _tag: "Event", event: ProjectEvent.JobStarted({ projectId, jobIndex, imgID, workerName: undefined }) }
          case "Progress":
            return {
              _tag: "Event",
              event: ProjectEvent.JobProgress({ projectId, jobIndex, imgID, step: e.percent, stepCount: 100, percent: e.percent, etaSeconds: undefined })
            }
          case "Completed": {
            const r = e.result
            return { _tag: "Done", result: resultOf(jobIndex, kind, (kind === "video" ? r.videoId : r.imageId) ?? "", r.seed) }
          }
        }
      }),
      Stream.catchAll((error) => Stream.succeed<JobOutcome>({ _tag: "Error", jobIndex, imgID, error: errorData(error) }))
    )
  }

  const generate = (request: Generation.GenerationRequest): Stream.Stream<ProjectState.ProjectEvent, SogniError.SogniError> =>
    Either.match(plan(request), {
      onLeft: (e) => Stream.fail(e),
      onRight: (plans) =>
        Stream.suspend(() => {
          const projectId = `zelai-${crypto.randomUUID()}`
          const percents = plans.map(() => 0)
          const results: Array<ProjectState.JobResult> = []
          const errors: Array<ProjectState.ErrorData> = []
          const jobs = Stream.mergeAll(plans.map((p, i) => runJob(projectId, i, p)), { concurrency: "unbounded" }).pipe(
            Stream.mapConcat((o): ReadonlyArray<ProjectState.ProjectEvent> => {
              switch (o._tag) {
                case "Event": {
                  if (o.event._tag !== "JobProgress") return [o.event]
                  percents[o.event.jobIndex ?? 0] = o.event.percent
                  const overall = Math.round(percents.reduce((a, b) => a + b, 0) / percents.length)
                  return [o.event, ProjectEvent.Progress({ projectId, percent: overall })]
                }
                case "Done":
                  results.push(o.result)
                  percents[o.result.jobIndex] = 100
                  return [ProjectEvent.JobCompleted({ projectId, result: o.result })]
                case "Error":
                  errors.push(o.error)
                  return [ProjectEvent.JobFailed({ projectId, jobIndex: o.jobIndex, imgID: o.imgID, error: o.error })]
              }
            })
          )
          const end = Stream.sync((): ProjectState.ProjectEvent =>
            results.length === 0
              ? ProjectEvent.Failed({ projectId, error: errors[0] ?? { code: 0, message: "no output" } })
              : ProjectEvent.Completed({
                projectId,
                results: [...results].sort((a, b) => a.jobIndex - b.jobIndex),
                failed: errors.length
              })
          )
          return Stream.concat(
            Stream.concat(Stream.succeed(ProjectEvent.Queued({ projectId, position: undefined, estimatedStartSeconds: undefined })), jobs),
            end
          )
        })
    })

  const fileOf = (result: ProjectState.JobResult): ZelaiClient.CdnFile => ({
    id: result.imgID,
    kind: result.outputFormat === "mp4" ? "video" : "image"
  })

  return {
    provider: PROVIDER,
    generate,
    download: (result) => zelai.download(fileOf(result)),
    save: (result, path) => zelai.save(fileOf(result), path)
  } satisfies Generation.GenerationService
})

/**
 * `Generation` on ZelAI (needs a {@link ZelaiClient.ZelaiClient}).
 *
 * @since 0.2.0
 */
export const layer: Layer.Layer<Generation.Generation, never, ZelaiClient.ZelaiClient> = Layer.effect(Generation.Generation, make)
