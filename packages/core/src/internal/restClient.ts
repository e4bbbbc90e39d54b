/**
 * The REST boundary shared by `SogniRest` and `SogniAuth`: one HTTP exchange with timeout, the single retry
 * policy, error mapping (rest.md §2.3) and body decoding. It knows nothing about credentials: callers pass
 * the headers to send and what to do on a 401.
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
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SogniConfig from "../SogniConfig.js"
import * as Issues from "./issues.js"
import { concatBytes, declaredLength } from "./leanTransport.js"
import {
  apiReasonFromStatus,
  SogniApiError,
  SogniAuthenticationError,
  SogniDecodeError,
  SogniInvalidRequest,
  SogniTransportError
} from "../SogniError.js"

/** Header names whose values are secrets (lower case). */
export const redactedHeaderNames: ReadonlyArray<string> = ["api-key", "authorization", "cookie", "set-cookie"]

/** Runs `effect` with the secret header names registered for logs and spans of `@effect/platform`. */
export const withRedactedHeaders = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locallyWith(effect, Headers.currentRedactedNames, (names) => {
    const missing = redactedHeaderNames.filter((n) => !names.includes(n))
    return missing.length === 0 ? names : [...names, ...missing]
  })

/** Errors of one REST exchange (declared in the public module so emitted declarations name it there). */
export type { RestError } from "../SogniRest.js"
import type { Host, RestError } from "../SogniRest.js"

/** Query parameters; `undefined`/`null` members are omitted, other values `String()`-ed (rest.md §2.1). */
export type Query = Readonly<Record<string, string | number | boolean | null | undefined>>

/** How the body of a success response is read. */
export type BodyStyle = "envelope" | "raw"

/** One exchange, fully described. */
export interface Exchange {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  /** Absolute URL without the query. */
  readonly url: string
  readonly query?: Query | undefined
  /** Secret-bearing headers (credentials); unwrapped only when the request is built. */
  readonly secretHeaders?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** A JSON body (POST/PUT); `undefined` sends `{}` on POST and nothing otherwise. */
  readonly json?: unknown
  /** Raw bytes (uploads); wins over `json`. */
  readonly bytes?: { readonly data: Uint8Array; readonly contentType?: string | undefined } | undefined
  readonly idempotencyKey?: string | undefined
  readonly timeout: Duration.Duration
  readonly retry: RetryPolicy.Options
  /** Hide the query in errors, logs and spans (signed URLs carry their signature there). */
  readonly secretQuery?: boolean | undefined
  /**
   * Largest body read into memory (`maxResponseBytes`; default `SogniConfig.defaults.maxResponseBytes`);
   * a streamed 2xx body ({@link openStream}) is not counted.
   */
  readonly maxBytes?: number | undefined
  /** The setting `maxBytes` comes from, named in the `TooLarge` error (default `maxResponseBytes`). */
  readonly maxBytesSetting?: string | undefined
  /** Largest body of an error status read into memory, when it is not `maxBytes` (a download's error page). */
  readonly maxErrorBytes?: number | undefined
}

/** A successful response, body read. */
export interface Received<B> {
  readonly status: number
  readonly body: B
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  423: "Locked",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

/** The reason phrase of a status (the platform response does not carry one). */
export const statusText = (status: number): string => STATUS_TEXT[status] ?? `HTTP ${status}`

/**
 * Both hosts' HTTP bases (the socket host's derived from its WebSocket endpoint), and for each host the
 * typed error an unusable endpoint gives every call made to it (a call fails, the layer does not die).
 */
export const hostsOf = (settings: { readonly restEndpoint: string; readonly socketEndpoint: string }): {
  readonly bases: Readonly<Record<Host, string>>
  readonly problems: Readonly<Record<Host, Option.Option<SogniInvalidRequest>>>
} => ({
  bases: { rest: settings.restEndpoint, socket: SogniConfig.socketHttpBase(settings.socketEndpoint) },
  problems: {
    rest: SogniConfig.checkEndpoint("restEndpoint", settings.restEndpoint),
    socket: SogniConfig.checkEndpoint("socketEndpoint", settings.socketEndpoint)
  }
})

/** Builds the URL with its query. */
export const buildUrl = (url: string, query: Query | undefined): string => {
  if (query === undefined) return url
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.append(k, String(v))
  const qs = params.toString()
  return qs === "" ? url : `${url}${url.includes("?") ? "&" : "?"}${qs}`
}

/** The URL as shown in errors, logs and spans. */
const shownUrl = (ex: Exchange, full: string): string => (ex.secretQuery ? stripQuery(full) : full)

/** The URL without query and fragment. */
export const stripQuery = (url: string): string => {
  const i = url.search(/[?#]/)
  return i === -1 ? url : url.slice(0, i)
}

/** The parsed pieces of an error body (rest.md §2.3). */
export interface ParsedErrorBody {
  readonly message: string
  readonly errorCode: number | undefined
  readonly retryAfter: number | undefined
  readonly details: unknown
  /** The body when it is a JSON object. */
  readonly json: Readonly<Record<string, unknown>> | undefined
}

/**
 * Reads an error body: the JSON error envelope; plain text (trimmed, ≤ 500 chars); HTML → `"<statusText>:
 * <first 200 chars>"`; empty → the status text. `errorCode` defaults to the HTTP status.
 */
export const parseErrorBody = (status: number, text: string, contentType: string | undefined): ParsedErrorBody => {
  const reason = statusText(status)
  const trimmed = text.trim()
  if (trimmed === "") return { message: reason, errorCode: status, retryAfter: undefined, details: undefined, json: undefined }
  let json: unknown = undefined
  if (trimmed.startsWith("{")) {
    try {
      json = JSON.parse(trimmed)
    } catch {
      json = undefined
    }
  }
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    const b = json as Record<string, unknown>
    const message = typeof b.message === "string" && b.message !== "" ? b.message : reason
    return {
      message,
      errorCode: typeof b.errorCode === "number" ? b.errorCode : status,
      retryAfter: typeof b.retryAfter === "number" && b.retryAfter >= 0 ? b.retryAfter : undefined,
      details: b.details,
      json: b
    }
  }
  const html = (contentType ?? "").toLowerCase().includes("html") || /^<(!doctype|html|head|body|\?xml)/i.test(trimmed)
  if (html) {
    return {
      message: `${reason}: ${trimmed.slice(0, 200)}`,
      errorCode: status,
      retryAfter: undefined,
      details: undefined,
      json: undefined
    }
  }
  return { message: trimmed.slice(0, 500), errorCode: status, retryAfter: undefined, details: undefined, json: undefined }
}

/**
 * What a failed `fetch` says, for an error message: its message and, when it wraps one (undici puts the
 * socket's error there), the underlying one's. Never the request: its headers hold the credential.
 */
export const describeFetchFailure = (cause: unknown): string | undefined =>
  cause instanceof Error
    ? (cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message)
    : undefined

/** A request that got no answer within its deadline (`within` is the formatted deadline). */
export const timeoutError = (method: string, url: string, within: string): SogniTransportError =>
  new SogniTransportError({ reason: "Timeout", message: `${method} ${url}: no response within ${within}` })

/** The one debug line of a failed request (annotated with the method and the URL as shown). */
export const logRequestFailure = (method: string, url: string, error: RestError): Effect.Effect<void> =>
  Effect.logDebug(`sogni: request failed: ${error._tag}: ${error.message}`).pipe(Effect.annotateLogs({ method, url }))

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

/**
 * Maps a non-2xx response (its body already read) to the error of the boundary. 401 becomes an
 * `InvalidCredentials` authentication error.
 */
export const errorOfResponse = (
  method: string,
  url: string,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>>,
  nowMillis: number
): SogniApiError | SogniAuthenticationError => {
  const parsed = parseErrorBody(status, text, headers["content-type"])
  if (status === 401) {
    return new SogniAuthenticationError({
      reason: "InvalidCredentials",
      message: `${method} ${url}: ${parsed.message}`
    })
  }
  const after = RetryPolicy.requestedDelayOf({ bodyRetryAfter: parsed.retryAfter, headers }, nowMillis)
  return new SogniApiError({
    reason: apiReasonFromStatus(status),
    status,
    message: parsed.message,
    method,
    url,
    ...(parsed.errorCode !== undefined ? { errorCode: parsed.errorCode } : {}),
    ...(Option.isSome(after) ? { retryAfterMillis: Duration.toMillis(after.value) } : {}),
    ...(parsed.details !== undefined ? { details: parsed.details } : {}),
    ...(parsed.json !== undefined ? { body: parsed.json } : {})
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
 * The retries after a first attempt that already failed with `first`: `RetryPolicy.retry` over `again`,
 * with `first` replayed as its first attempt, so the policy sees exactly the attempts it would have seen
 * had it run the first one itself. The retry window counts from `startedAt` (the first attempt's start).
 */
export const retryAfterFailure = <A, E, R>(
  first: E,
  again: Effect.Effect<A, E, R>,
  options: RetryPolicy.Options,
  clock: Clock.Clock,
  startedAt: number
): Effect.Effect<A, E, R> => {
  let replay = true
  return RetryPolicy.retry(
    Effect.suspend(() => {
      if (!replay) return again
      replay = false
      return Effect.fail(first)
    }),
    RetryPolicy.withinWindow(options, clock, startedAt)
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
 * A response's body as bytes, never more than `maxBytes` of it in memory: a `content-length` above the
 * limit fails before anything is read; otherwise the body is read as a stream with a running count and
 * the read is cancelled (the connection released) as soon as the count passes the limit. A body with a
 * `content-length` within the limit and no content coding (the fetch cannot deliver more than it
 * declares) is read in one go.
 */
export const readBounded = <E>(
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  tooLarge: () => E
): Effect.Effect<Uint8Array, HttpClientError.ResponseError | E> => {
  const declared = declaredLength(response.headers["content-length"])
  if (declared !== undefined && declared > maxBytes) {
    // opening the body stream and stopping it at once aborts the request (the connection is not kept)
    return Effect.zipRight(Stream.runDrain(Stream.interruptWhen(response.stream, Effect.void)), Effect.fail(tooLarge()))
  }
  const coding = response.headers["content-encoding"]
  if (declared !== undefined && (coding === undefined || coding.trim().toLowerCase() === "identity")) {
    return Effect.map(response.arrayBuffer, (buffer) => new Uint8Array(buffer))
  }
  return Effect.suspend(() => {
    const parts: Array<Uint8Array> = []
    let total = 0
    // a response without a body (204, or a fetch `Response` built with none) reads as no bytes
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
    }).pipe(Effect.map(() => {
      return parts.length === 1 ? parts[0]! : concatBytes(parts, total)
    }))
  })
}

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
      readBounded(response, limit, () => tooLargeError(method, shown, limit, setting)),
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
      const error = errorOfResponse(method, shown, response.status, text, response.headers, now)
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
  on401: Effect.Effect<void> = Effect.void
): Effect.Effect<Stream.Stream<Uint8Array, SogniTransportError>, RestError> => {
  const fullUrl = buildUrl(ex.url, ex.query)
  const shown = shownUrl(ex, fullUrl)
  const method = ex.method
  const toTransport = mapHttpError(method, shown)
  const attempt = (jsonText: string | undefined) =>
    Effect.gen(function*() {
      const response = yield* Effect.mapError(client.execute(buildRequest(ex, fullUrl, jsonText)), toTransport)
      if (response.status >= 200 && response.status < 300) {
        return Stream.mapError(response.stream, (e): SogniTransportError => {
          const mapped = toTransport(e)
          return mapped._tag === "SogniTransportError"
            ? mapped
            : new SogniTransportError({ reason: "Http", message: mapped.message })
        })
      }
      const maxBytes = ex.maxBytes ?? SogniConfig.defaults.maxResponseBytes
      const text = yield* Effect.mapError(
        Effect.map(readBounded(response, maxBytes, () => tooLargeError(method, shown, maxBytes, ex.maxBytesSetting)), (bytes) => new TextDecoder().decode(bytes)),
        (e) => e._tag === "SogniDecodeError" ? e : toTransport(e)
      )
      const now = yield* Clock.currentTimeMillis
      const error = errorOfResponse(method, shown, response.status, text, response.headers, now)
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

/**
 * A response body (or one server-sent event) past `maxResponseBytes`: never retried, since a retry would
 * read it again.
 */
export const tooLargeError = (
  method: string,
  url: string,
  limit: number,
  setting: string = "maxResponseBytes"
): SogniDecodeError =>
  new SogniDecodeError({
    reason: "TooLarge",
    message: `${method} ${url}: the response body is larger than ${setting} (${limit} bytes)`,
    source: `${method} ${url}`
  })

/** A success body the boundary cannot read (the message names only kinds and paths, never values). */
export const decodeFailure = (method: string, url: string, message: string): SogniDecodeError =>
  new SogniDecodeError({ reason: "Body", message, source: `${method} ${url}` })

/** A success body's text as JSON (empty → `undefined`); `Left` is the problem, for {@link decodeFailure}. */
export const parseJsonText = (text: string): Either.Either<unknown, string> => {
  if (text.trim() === "") return Either.right(undefined)
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch {
    return Either.left("the response body is not JSON")
  }
}

/**
 * The `data` of a `{status, data}` success envelope (no status counts as success; an empty body has no
 * data); `Left` is the problem, for {@link decodeFailure}.
 */
export const envelopeData = (json: unknown): Either.Either<unknown, string> => {
  if (json === undefined) return Either.right(undefined)
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Either.left("the response is not a {status, data} envelope")
  }
  const envelope = json as Record<string, unknown>
  if (envelope.status !== undefined && envelope.status !== "success") {
    return Either.left(`the envelope status is not "success"`)
  }
  return Either.right(envelope.data)
}

/**
 * Formats a parse error by path and kind only: bodies can hold tokens, so values never reach the message.
 */
export const formatIssues = (error: ParseResult.ParseError): string => Issues.formatIssuePaths(error.issue)

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
