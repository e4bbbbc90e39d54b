/**
 * Getting finished media: bytes, a byte `Stream`, or a file.
 *
 * Result URLs are short-lived (signed by the REST host, about 30 minutes) or hosted by a vendor; each
 * {@link ProjectState.JobResult} carries `urlExpiresAt` when known. Downloads send no credentials.
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
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as PlatformHttp from "@effect-sogni/core/PlatformHttp"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type * as ResultFiles from "./internal/resultFiles.js"
import type * as ProjectState from "./ProjectState.js"

/**
 * @since 0.1.0
 */
export interface ResultsService {
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

function urlOf(result: ProjectState.JobResult): Effect.Effect<string, SogniError.SogniInvalidRequest> {
  if (result.url !== undefined) return Effect.succeed(result.url)
  return Effect.fail(
    new SogniError.SogniInvalidRequest({
      field: "result.url",
      rule: result.nsfwWithheld ? "withheld" : "missing",
      message: result.nsfwWithheld
        ? `job ${result.imgID} was withheld by the safety filter: there is nothing to download`
        : `job ${result.imgID} has no result URL`
    })
  )
}

/** Warns when a signed result URL has probably expired (the download is tried anyway). */
function expired(result: ProjectState.JobResult) {
  return Effect.flatMap(Clock.currentTimeMillis, (now) =>
    result.urlExpiresAt !== undefined && now > result.urlExpiresAt
      ? Effect.logWarning(`the result URL of job ${result.imgID} has probably expired; downloading anyway`)
      : Effect.void)
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
  const context: ResultFiles.FilesContext = { client, urlOf, expired }
  const stream = (result: ProjectState.JobResult): Stream.Stream<Uint8Array, SogniError.SogniError> =>
    Stream.unwrap(Effect.map(files, (f) => f.stream(context, result)))

  return {
    download: (result) => Effect.flatMap(urlOf(result), (url) => Effect.zipRight(expired(result), rest.getBytes(url))),
    stream,
    save: (result, path) => Effect.flatMap(files, (f) => f.save(context, result, path))
  } satisfies ResultsService
})

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<Results, never, SogniRest.SogniRest | HttpClient.HttpClient> = Layer.effect(Results, make)
