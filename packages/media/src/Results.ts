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
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as NodeFile from "./internal/nodeFile.js"
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

const urlOf = (result: ProjectState.JobResult): Effect.Effect<string, SogniError.SogniInvalidRequest> => {
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

/** The URL without query and fragment: signed result URLs carry their signature in the query. */
const withoutQuery = (url: string): string => {
  const i = url.search(/[?#]/)
  return i === -1 ? url : url.slice(0, i)
}

/**
 * What went wrong, without the platform error's own message: that message quotes the request URL with its
 * query (the signature of a signed URL). Only the underlying cause is kept.
 */
const describeHttpError = (e: HttpClientError.HttpClientError): { readonly text: string; readonly cause: unknown } => {
  const cause: unknown = e.cause
  const underlying = cause instanceof Error
    ? (cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message)
    : undefined
  return { text: e.description ?? underlying ?? e.reason, cause }
}

const expired = (result: ProjectState.JobResult) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    result.urlExpiresAt !== undefined && now > result.urlExpiresAt
      ? Effect.logWarning(`the result URL of job ${result.imgID} has probably expired; downloading anyway`)
      : Effect.void)

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const rest = yield* SogniRest.SogniRest
  const client = yield* HttpClient.HttpClient

  const transport = (message: string, cause?: unknown) =>
    new SogniError.SogniTransportError({ reason: "Http", message, ...(cause !== undefined ? { cause } : {}) })
  const httpFailure = (what: string, url: string, e: HttpClientError.HttpClientError) => {
    const { cause, text } = describeHttpError(e)
    return transport(`${what} (GET ${withoutQuery(url)}): ${text}`, cause)
  }

  const stream = (result: ProjectState.JobResult): Stream.Stream<Uint8Array, SogniError.SogniError> =>
    Stream.unwrapScoped(
      Effect.gen(function*() {
        const url = yield* urlOf(result)
        yield* expired(result)
        const response = yield* client.execute(HttpClientRequest.get(url)).pipe(
          Effect.mapError((e) => httpFailure(`download of job ${result.imgID} failed`, url, e))
        )
        if (response.status < 200 || response.status >= 300) {
          return yield* Effect.fail(
            new SogniError.SogniApiError({
              reason: SogniError.apiReasonFromStatus(response.status),
              status: response.status,
              message: `download of job ${result.imgID} answered ${response.status}`,
              method: "GET",
              url: withoutQuery(url)
            })
          )
        }
        return response.stream.pipe(
          Stream.mapError((e) => httpFailure(`download of job ${result.imgID} broke off`, url, e))
        )
      })
    )

  return {
    download: (result) => Effect.flatMap(urlOf(result), (url) => Effect.zipRight(expired(result), rest.getBytes(url))),
    stream,
    save: (result, path) =>
      Effect.gen(function*() {
        // check the URL before touching the disk: a withheld result creates no empty file
        yield* urlOf(result)
        const provided = yield* Effect.serviceOption(FileSystem.FileSystem)
        if (Option.isNone(provided)) {
          return yield* NodeFile.writeStream(path, stream(result), (message, cause) => transport(message, cause))
        }
        const fs = provided.value
        const parent = NodeFile.parentOf(path)
        let written = 0
        yield* (parent === undefined ? Effect.void : fs.makeDirectory(parent, { recursive: true })).pipe(
          Effect.zipRight(
            stream(result).pipe(
              Stream.tap((chunk) => Effect.sync(() => (written += chunk.length))),
              Stream.run(fs.sink(path))
            )
          ),
          Effect.mapError((e) => (e._tag === "SystemError" || e._tag === "BadArgument" ? transport(`could not write ${path}: ${e.message}`) : e))
        )
        return written
      }).pipe(Effect.withSpan("Results.save"))
  } satisfies ResultsService
})

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<Results, never, SogniRest.SogniRest | HttpClient.HttpClient> = Layer.effect(Results, make)
