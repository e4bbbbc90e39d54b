/**
 * Reading an HTTP answer's body (an `@effect/platform` `HttpClientResponse`) with a bound on how much of it
 * is held in memory: what core's REST exchange, the Sage client and ZelAI's downloads read bodies with, so
 * that a server answering with an endless or huge body costs at most the bound.
 *
 * - a `content-length` above the bound fails before anything is read (the body stream is opened and
 *   stopped at once, which aborts the request: the connection is not kept);
 * - otherwise the body is read as a stream with a running count, cancelled (the connection released) as
 *   soon as the count passes the bound;
 * - a body with a `content-length` within the bound and no content coding is read in one go (the fetch
 *   cannot deliver more than it declares);
 * - a response without a body (204, or a `Response` built with none) reads as no bytes.
 *
 * The error past the bound is the caller's (`tooLarge`): each names its own setting (`maxResponseBytes`,
 * `maxDownloadBytes`) and route.
 *
 * @since 0.2.0
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { concatBytes, declaredLength } from "./internal/leanTransport.js"

/**
 * The body as bytes, never more than `maxBytes` of it in memory; past the bound it fails with `tooLarge()`.
 *
 * @since 0.2.0
 */
export function bytes<E>(
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  tooLarge: () => E
): Effect.Effect<Uint8Array, HttpClientError.ResponseError | E> {
  const declared = declaredLength(response.headers["content-length"])
  if (declared !== undefined && declared > maxBytes) {
    return Effect.zipRight(Stream.runDrain(Stream.interruptWhen(response.stream, Effect.void)), Effect.fail(tooLarge()))
  }
  const coding = response.headers["content-encoding"]
  if (declared !== undefined && (coding === undefined || coding.trim().toLowerCase() === "identity")) {
    return Effect.map(response.arrayBuffer, (buffer) => new Uint8Array(buffer))
  }
  return Effect.suspend(() => {
    const parts: Array<Uint8Array> = []
    let total = 0
    const body = Stream.catchAll(response.stream, (e) => e.reason === "EmptyBody" ? Stream.empty : Stream.fail(e))
    return Stream.runForEachChunk(body, (chunk) => {
      for (const part of chunk) {
        total += part.byteLength
        if (total > maxBytes) {
          parts.length = 0
          return Effect.fail(tooLarge())
        }
        parts.push(part)
      }
      return Effect.void
    }).pipe(Effect.map(() => parts.length === 1 ? parts[0]! : concatBytes(parts, total)))
  })
}

/**
 * The body as UTF-8 text, reading at most `maxBytes` bytes of it ({@link bytes}).
 *
 * @since 0.2.0
 */
export function text<E>(
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  tooLarge: () => E
): Effect.Effect<string, HttpClientError.ResponseError | E> {
  return Effect.map(bytes(response, maxBytes, tooLarge), (body) => new TextDecoder().decode(body))
}
