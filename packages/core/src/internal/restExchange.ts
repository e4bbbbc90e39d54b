/**
 * One HTTP exchange over `@effect/platform`'s `HttpClient` (timeout, the single retry policy, bounded body
 * reads, error mapping) and the decoding of its body: what `SogniRest` and `SogniAuth` run for a request.
 * They load it with their first request, so a program whose requests all go elsewhere (an image program:
 * the catalog over `LeanRest`, the project over the socket) never loads it. The shared types and error
 * mapping are `restClient.ts`.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as BoundedBody from "../BoundedBody.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SogniConfig from "../SogniConfig.js"
import { type SogniDecodeError, SogniInvalidRequest, SogniTransportError } from "../SogniError.js"
import {
  type BodyStyle,
  decodeFailure,
  describeFetchFailure,
  envelopeData,
  type Exchange,
  errorOfResponse,
  formatIssues,
  parseJsonText,
  type Received,
  type RestError,
  retryAfterFailure,
  shownUrl,
  timeoutError,
  tooLargeError,
  redactedHeaderNames,
  buildUrl,
  logRequestFailure
} from "./restClient.js"

/** Runs `effect` with the secret header names registered for logs and spans of `@effect/platform`. */
export function withRedactedHeaders<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
  return Effect.locallyWith(effect, Headers.currentRedactedNames, (names) => {
    const missing = redactedHeaderNames.filter((n) => !names.includes(n))
    return missing.length === 0 ? names : [...names, ...missing]
  })
}

const transportReason = (error: HttpClientError.HttpClientError): SogniTransportError["reason"] =>
  error._tag === "RequestError" && error.reason === "Transport" ? "Connect" : "Http"

const mapHttpError = (
  method: string,
  url: string
) =>
(error: HttpClientError.HttpClientError): SogniTransportError | SogniInvalidRequest => {
  if (error._tag === "RequestError" && error.reason === "Encode") {
    return new SogniInvalidRequest({ field: "body", rule: "json", message: "the request body cannot be encoded" })
  }
  // the platform error holds the request (headers included): keep only its underlying cause
  const description = error.description ?? describeFetchFailure(error.cause) ?? error.reason
  return new SogniTransportError({
    reason: transportReason(error),
    message: `${method} ${url}: ${description}`,
    ...(error.cause !== undefined ? { cause: error.cause } : {})
  })
}

const buildRequest = (
  ex: Exchange,
  fullUrl: string,
  jsonText: string | undefined
): HttpClientRequest.HttpClientRequest => {
  const headers: Record<string, string> = { accept: "application/json", ...ex.headers }
  if (ex.secretHeaders) for (const [k, v] of Object.entries(ex.secretHeaders)) headers[k] = Redacted.value(v)
  if (ex.idempotencyKey !== undefined) headers["idempotency-key"] = ex.idempotencyKey
  const request = HttpClientRequest.make(ex.method)(fullUrl, { headers })
  if (ex.bytes !== undefined) return HttpClientRequest.bodyUint8Array(request, ex.bytes.data, ex.bytes.contentType)
  if (jsonText !== undefined) return HttpClientRequest.bodyText(request, jsonText, "application/json")
  return request
}

const notJson = () =>
  new SogniInvalidRequest({ field: "body", rule: "json", message: "the request body is not JSON-serializable" })

/** The JSON text to send: POST defaults to `{}`; PUT/PATCH/DELETE/GET send a body only when given one. */
const jsonTextOf = (ex: Exchange): Effect.Effect<string | undefined, SogniInvalidRequest> => {
  if (ex.bytes !== undefined) return Effect.succeed(undefined)
  const value = ex.json === undefined ? (ex.method === "POST" ? {} : undefined) : ex.json
  if (value === undefined) return Effect.succeed(undefined)
  return Effect.flatMap(
    // JSON.stringify throws on cycles and BigInt: catch it here instead of inside the client
    Effect.try({ try: () => JSON.stringify(value) as string | undefined, catch: notJson }),
    (text) => (text === undefined ? Effect.fail(notJson()) : Effect.succeed(text))
  )
}

/**
 * `RetryPolicy.retry`, with its schedule built only once the first attempt failed (see
 * {@link retryAfterFailure}). Most exchanges succeed at once and never pay for the schedule.
 */
const retryAfterFirstFailure = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  options: RetryPolicy.Options & { readonly idempotent?: boolean | undefined }
): Effect.Effect<A, E, R> =>
  options.idempotent === false || options.retries <= 0
    ? self
    : Effect.clockWith((clock) => {
      // the retry window counts from the first attempt, not from its failure
      const startedAt = clock.unsafeCurrentTimeMillis()
      return Effect.catchAll(self, (first) => retryAfterFailure(first, self, options, clock, startedAt))
    })

/**
 * Performs one exchange (with retries under the policy) and returns the raw response body. Non-2xx
 * statuses fail with the mapped error; a 401 runs `on401` first.
 */
const exchange = (
  client: HttpClient.HttpClient,
  ex: Exchange,
  read: "text" | "bytes",
  on401: Effect.Effect<void>
): Effect.Effect<Received<string | Uint8Array>, RestError> => {
  const fullUrl = buildUrl(ex.url, ex.query)
  const shown = shownUrl(ex, fullUrl)
  const method = ex.method
  const toTransport = mapHttpError(method, shown)

  const maxBytes = ex.maxBytes ?? SogniConfig.defaults.maxResponseBytes
  const readBody = (
    response: HttpClientResponse.HttpClientResponse
  ): Effect.Effect<string | Uint8Array, HttpClientError.ResponseError | SogniDecodeError> => {
    // an error status's body is an answer to read, never a download: bounded by `maxErrorBytes` when given
    const failed = response.status < 200 || response.status >= 300
    const limit = failed && ex.maxErrorBytes !== undefined ? ex.maxErrorBytes : maxBytes
    const setting = failed && ex.maxErrorBytes !== undefined ? "maxResponseBytes" : ex.maxBytesSetting
    return Effect.map(
      BoundedBody.bytes(response, limit, () => tooLargeError(method, shown, limit, setting)),
      (bytes) => read === "bytes" ? bytes : new TextDecoder().decode(bytes)
    )
  }

  const attempt = (jsonText: string | undefined): Effect.Effect<Received<string | Uint8Array>, RestError> =>
    Effect.gen(function*() {
      const response = yield* Effect.mapError(client.execute(buildRequest(ex, fullUrl, jsonText)), toTransport)
      const body: string | Uint8Array = yield* Effect.mapError(
        readBody(response),
        (e) => e._tag === "SogniDecodeError" ? e : toTransport(e)
      )
      if (response.status >= 200 && response.status < 300) return { status: response.status, body }
      const text = typeof body === "string" ? body : new TextDecoder().decode(body)
      const now = yield* Clock.currentTimeMillis
      const error = errorOfResponse(method, shown, response.status, text, response.headers, now, ex.secretHeaders)
      if (error._tag === "SogniAuthenticationError") yield* on401
      return yield* error
    }).pipe(
      Effect.timeoutFail({
        duration: ex.timeout,
        onTimeout: () => timeoutError(method, shown, Duration.format(ex.timeout))
      }),
      // annotated here rather than around the attempt: a FiberRef update per request costs a copy of
      // the fiber's refs, and this line is the only log of the exchange
      Effect.tapError((e) => logRequestFailure(method, shown, e))
    )

  return jsonTextOf(ex).pipe(
    Effect.flatMap((jsonText) =>
      retryAfterFirstFailure(attempt(jsonText), {
        ...ex.retry,
        idempotent: RetryPolicy.isIdempotent(method, ex.idempotencyKey)
      })
    ),
    withRedactedHeaders,
    (effect) => (ex.secretQuery ? Effect.locally(effect, HttpClient.currentTracerDisabledWhen, () => true) : effect)
  )
}

/** {@link exchange} reading the body as text. */
export const exchangeText = (
  client: HttpClient.HttpClient,
  ex: Exchange,
  on401: Effect.Effect<void> = Effect.void
): Effect.Effect<Received<string>, RestError> =>
  exchange(client, ex, "text", on401) as Effect.Effect<Received<string>, RestError>

/** {@link exchange} reading the body as bytes. */
export const exchangeBytes = (
  client: HttpClient.HttpClient,
  ex: Exchange,
  on401: Effect.Effect<void> = Effect.void
): Effect.Effect<Received<Uint8Array>, RestError> =>
  exchange(client, ex, "bytes", on401) as Effect.Effect<Received<Uint8Array>, RestError>

/**
 * Opens a streaming exchange (SSE and other long bodies): the request goes out under the timeout and the
 * retry policy like any other, a non-2xx answer fails with the mapped error (its body read in full), and a
 * 2xx answer hands back its body as a byte `Stream` that is read without any timeout. Ending or interrupting
 * that stream aborts the request, so the connection is released.
 */
export const openStream = (
  client: HttpClient.HttpClient,
  ex: Exchange,
  on401: Effect.Effect<void> = Effect.void,
  onHeaders?: (headers: Readonly<Record<string, string>>) => Effect.Effect<void>
): Effect.Effect<Stream.Stream<Uint8Array, SogniTransportError>, RestError> => {
  const fullUrl = buildUrl(ex.url, ex.query)
  const shown = shownUrl(ex, fullUrl)
  const method = ex.method
  const toTransport = mapHttpError(method, shown)
  const attempt = (jsonText: string | undefined) =>
    Effect.gen(function*() {
      const response = yield* Effect.mapError(client.execute(buildRequest(ex, fullUrl, jsonText)), toTransport)
      if (response.status >= 200 && response.status < 300) {
        if (onHeaders !== undefined) yield* onHeaders(response.headers)
        return Stream.mapError(response.stream, (e): SogniTransportError => {
          const mapped = toTransport(e)
          return mapped._tag === "SogniTransportError"
            ? mapped
            : new SogniTransportError({ reason: "Http", message: mapped.message })
        })
      }
      const maxBytes = ex.maxBytes ?? SogniConfig.defaults.maxResponseBytes
      const text = yield* Effect.mapError(
        BoundedBody.text(response, maxBytes, () => tooLargeError(method, shown, maxBytes, ex.maxBytesSetting)),
        (e) => e._tag === "SogniDecodeError" ? e : toTransport(e)
      )
      const now = yield* Clock.currentTimeMillis
      const error = errorOfResponse(method, shown, response.status, text, response.headers, now, ex.secretHeaders)
      if (error._tag === "SogniAuthenticationError") yield* on401
      return yield* error
    }).pipe(
      Effect.timeoutFail({
        duration: ex.timeout,
        onTimeout: () => timeoutError(method, shown, Duration.format(ex.timeout))
      }),
      Effect.tapError((e) => Effect.logDebug(`sogni: stream request failed: ${e._tag}: ${e.message}`)),
      Effect.annotateLogs({ method, url: shown })
    )
  return jsonTextOf(ex).pipe(
    Effect.flatMap((jsonText) =>
      attempt(jsonText).pipe(
        RetryPolicy.retry({ ...ex.retry, idempotent: RetryPolicy.isIdempotent(method, ex.idempotencyKey) })
      )
    ),
    withRedactedHeaders
  )
}

/** Parses a success body: empty → `undefined`, else JSON. */
export const parseJsonBody = (
  method: string,
  url: string,
  text: string
): Effect.Effect<unknown, SogniDecodeError> =>
  Either.match(parseJsonText(text), {
    onLeft: (problem) => Effect.fail(decodeFailure(method, url, problem)),
    onRight: Effect.succeed
  })

/** Decodes a parsed success body per host style with `schema`. */
export const decodeBody = <A, I, R>(
  method: string,
  url: string,
  style: BodyStyle,
  json: unknown,
  schema: Schema.Schema<A, I, R>
): Effect.Effect<A, SogniDecodeError, R> => {
  const data = style === "envelope" ? envelopeData(json) : Either.right(json)
  if (Either.isLeft(data)) return Effect.fail(decodeFailure(method, url, data.left))
  return Effect.mapError(
    Schema.decodeUnknown(schema)(data.right),
    (e) => decodeFailure(method, url, `unexpected response shape: ${formatIssues(e)}`)
  )
}
