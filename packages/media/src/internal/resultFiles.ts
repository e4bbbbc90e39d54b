/**
 * The streaming side of `Results`: a result as a byte stream (`stream`) and written to a file (`save`,
 * through the context's `FileSystem` or Node's `fs`). `Results` loads it with the first such call; a
 * program that keeps its result URLs, or downloads whole files, never loads it.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as ProjectState from "../ProjectState.js"
import * as NodeFile from "./nodeFile.js"

/** What the streaming side uses of the `Results` service being built. */
export interface FilesContext {
  readonly client: HttpClient.HttpClient
  /** `Results.url`: the result's URL, minted again when it has none or it expired. */
  readonly url: (result: ProjectState.JobResult) => Effect.Effect<string, SogniError.SogniError>
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

const transport = (message: string, cause?: unknown) =>
  new SogniError.SogniTransportError({ reason: "Http", message, ...(cause !== undefined ? { cause } : {}) })
const httpFailure = (what: string, url: string, e: HttpClientError.HttpClientError) => {
  const { cause, text } = describeHttpError(e)
  return transport(`${what} (GET ${withoutQuery(url)}): ${text}`, cause)
}

/** `Results.stream`: the file as it arrives. */
export const stream = (ctx: FilesContext, result: ProjectState.JobResult): Stream.Stream<Uint8Array, SogniError.SogniError> =>
  Stream.unwrap(Effect.map(ctx.url(result), (url) => streamFrom(ctx, result, url)))

/** The file at `url` (the result's usable URL) as it arrives. */
const streamFrom = (ctx: FilesContext, result: ProjectState.JobResult, url: string): Stream.Stream<Uint8Array, SogniError.SogniError> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const response = yield* ctx.client.execute(HttpClientRequest.get(url)).pipe(
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

/** `Results.save`: streams the file to `path`; the byte count. */
export const save = (ctx: FilesContext, result: ProjectState.JobResult, path: string): Effect.Effect<number, SogniError.SogniError> =>
  Effect.gen(function*() {
    // the URL before touching the disk: a withheld result creates no empty file
    const url = yield* ctx.url(result)
    const provided = yield* Effect.serviceOption(FileSystem.FileSystem)
    if (Option.isNone(provided)) {
      return yield* NodeFile.writeStream(path, streamFrom(ctx, result, url), (message, cause) => transport(message, cause))
    }
    const fs = provided.value
    const parent = NodeFile.parentOf(path)
    let written = 0
    yield* (parent === undefined ? Effect.void : fs.makeDirectory(parent, { recursive: true })).pipe(
      Effect.zipRight(
        streamFrom(ctx, result, url).pipe(
          Stream.tap((chunk) => Effect.sync(() => (written += chunk.length))),
          Stream.run(fs.sink(path))
        )
      ),
      Effect.mapError((e) => (e._tag === "SystemError" || e._tag === "BadArgument" ? transport(`could not write ${path}: ${e.message}`) : e))
    )
    return written
  }).pipe(Effect.withSpan("Results.save"))
