/**
 * Getting finished media: bytes, a byte `Stream`, or a file.
 *
 * Result URLs are short-lived (signed by the REST host, about 30 minutes) or hosted by a vendor; each
 * {@link ProjectState.JobResult} carries `urlExpiresAt` when known. Downloads send no credentials.
 *
 * `url` gives a usable URL of a result: its own while it has not passed `urlExpiresAt`, else one minted
 * again on the REST host (with core's retry policy). A result whose URL the REST host failed to mint as it
 * arrived (the project completed with `url` undefined and a warning logged) or whose signed URL expired is
 * therefore not lost: `download`, `stream` and `save` go through `url`, and succeed once the REST host
 * answers again. A result withheld by the safety filter fails with `SogniInvalidRequest` (rule `withheld`).
 *
 * `save` needs nothing more than the layer on Node: it writes through the `FileSystem` of the caller's
 * context when there is one (`NodeContext.layer`, `BunContext.layer`, a test double), else through
 * Node's own `fs`. Missing parent directories are created.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Results } from "@effect-sogni/media"
 *
 * const save = (result) => Effect.flatMap(Results.Results, (r) => r.save(result, "out/image.png"))
 * // a URL to hand on (minted again when the result has none or it expired)
 * const link = (result) => Effect.flatMap(Results.Results, (r) => r.url(result))
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as LeanStream from "@effect-sogni/core/LeanStream"
import * as PlatformHttp from "@effect-sogni/core/PlatformHttp"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as DownloadUrls from "./internal/downloadUrls.js"
import type * as ResultFiles from "./internal/resultFiles.js"
import type * as ProjectState from "./ProjectState.js"

/**
 * @since 0.1.0
 */
export interface ResultsService {
  /**
   * A usable URL of the result: its `url` while not past `urlExpiresAt`; else, for a result that names its
   * project (every result a project builds), one minted again over REST (`/v1/image/downloadUrl` or
   * `/v1/media/downloadUrl`, retried by core's policy). An expired URL whose mint fails is returned with a
   * warning. Fails with `SogniInvalidRequest` (field `result.url`) when the result was withheld or there is
   * nothing to mint it from.
   */
  readonly url: (result: ProjectState.JobResult) => Effect.Effect<string, SogniError.SogniError>
  /** The whole file in memory (retried on transient failures). */
  readonly download: (result: ProjectState.JobResult) => Effect.Effect<Uint8Array, SogniError.SogniError>
  /** The file as it arrives, chunk by chunk (large videos). */
  readonly stream: (result: ProjectState.JobResult) => Stream.Stream<Uint8Array, SogniError.SogniError>
  /**
   * Streams the file to `path` (creating missing parent directories); returns the number of bytes
   * written. Uses the context's `FileSystem` when provided, else Node's `fs`.
   */
  readonly save: (result: ProjectState.JobResult, path: string) => Effect.Effect<number, SogniError.SogniError>
}

/**
 * @since 0.1.0
 */
export class Results extends Context.Tag("@effect-sogni/media/Results")<Results, ResultsService>() {}

function noUrl(result: ProjectState.JobResult) {
  return new SogniError.SogniInvalidRequest({
    field: "result.url",
    rule: result.nsfwWithheld ? "withheld" : "missing",
    message: result.nsfwWithheld
      ? `job ${result.imgID} was withheld by the safety filter: there is nothing to download`
      : `job ${result.imgID} has no result URL, and no projectId and kind to mint one`
  })
}

/** `Results.url` over `rest`: the result's own URL while fresh, else minted again (see {@link ResultsService}). */
function urlWith(rest: SogniRest.SogniRestService) {
  return (result: ProjectState.JobResult): Effect.Effect<string, SogniError.SogniError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const plan = DownloadUrls.urlPlan(result, now)
    switch (plan._tag) {
      case "own":
        return Effect.succeed(plan.url)
      case "none":
        return Effect.fail(noUrl(result))
      case "stale":
        return Effect.as(Effect.logWarning(`the result URL of job ${result.imgID} has probably expired; downloading anyway`), plan.url)
      case "mint": {
        const { path, query } = plan.request
        const minted = rest.get("rest", path, Protocol.DownloadUrl, { query }).pipe(
          Effect.map((r) => r.downloadUrl),
          Effect.withSpan("Results.url", { attributes: { projectId: result.projectId, imgID: result.imgID } })
        )
        const stale = plan.stale
        return stale === undefined ? minted : minted.pipe(
          // expired and the REST host cannot mint it now: the old URL is tried anyway
          Effect.catchAll((e) =>
            Effect.as(
              Effect.logWarning(
                `the result URL of job ${result.imgID} has probably expired and could not be minted again (${e.message}); downloading anyway`
              ),
              stale
            )
          )
        )
      }
    }
  })
}

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const rest = yield* SogniRest.SogniRest
  const client = yield* PlatformHttp.HttpClient

  // streaming and saving (their HTTP and file code) load with the first such call: an image program
  // that keeps its URLs, or downloads whole files, never loads them
  const files = Effect.promise(() => import("./internal/resultFiles.js"))
  const url = urlWith(rest)
  const context: ResultFiles.FilesContext = { client, url }
  const stream = (result: ProjectState.JobResult): Stream.Stream<Uint8Array, SogniError.SogniError> =>
    LeanStream.unwrap(Effect.map(files, (f) => f.stream(context, result)))

  return {
    url,
    download: (result) => Effect.flatMap(url(result), (u) => rest.getBytes(u)),
    stream,
    save: (result, path) => Effect.flatMap(files, (f) => f.save(context, result, path))
  } satisfies ResultsService
})

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<Results, never, SogniRest.SogniRest | HttpClient.HttpClient> = Layer.effect(Results, make)
