/**
 * The REST boundary shared by `SogniRest`, `SogniAuth` and `LeanRest`: the exchange's types, error mapping
 * (rest.md §2.3), retries after a failure and body checks. The exchange itself over `@effect/platform`'s
 * `HttpClient` (and its reading and decoding of bodies) is `restExchange.ts`, which `SogniRest` and
 * `SogniAuth` load with their first request. It knows nothing about credentials: callers pass the headers
 * to send and what to do on a 401.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SogniConfig from "../SogniConfig.js"
import * as ParseIssues from "../ParseIssues.js"
import {
  apiReasonFromStatus,
  SogniApiError,
  SogniAuthenticationError,
  SogniDecodeError,
  SogniInvalidRequest,
  SogniTransportError
} from "../SogniError.js"

/**
 * Header names whose values are secrets (lower case). `restExchange.ts` registers them with
 * `@effect/platform`'s `Headers` for its logs and spans; this module does not import `Headers` itself, so
 * a program that never runs an `HttpClient` exchange (an image program) does not load `@effect/platform`.
 */
export const redactedHeaderNames: ReadonlyArray<string> = ["api-key", "authorization", "cookie", "set-cookie"]


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
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? `HTTP ${status}`
}

/**
 * Both hosts' HTTP bases (the socket host's derived from its WebSocket endpoint), and for each host the
 * typed error an unusable endpoint gives every call made to it (a call fails, the layer does not die).
 */
export function hostsOf(settings: { readonly restEndpoint: string; readonly socketEndpoint: string }): {
  readonly bases: Readonly<Record<Host, string>>
  readonly problems: Readonly<Record<Host, Option.Option<SogniInvalidRequest>>>
} {
  return {
    bases: { rest: settings.restEndpoint, socket: SogniConfig.socketHttpBase(settings.socketEndpoint) },
    problems: {
      rest: SogniConfig.checkEndpoint("restEndpoint", settings.restEndpoint),
      socket: SogniConfig.checkEndpoint("socketEndpoint", settings.socketEndpoint)
    }
  }
}

/** Builds the URL with its query. */
export function buildUrl(url: string, query: Query | undefined): string {
  if (query === undefined) return url
  let qs = ""
  for (const k in query) {
    const v = query[k]
    if (v === undefined || v === null) continue
    qs += (qs === "" ? "" : "&") + queryPart(k) + "=" + queryPart(String(v))
  }
  return qs === "" ? url : `${url}${url.includes("?") ? "&" : "?"}${qs}`
}

/** Characters `URLSearchParams` writes as they are (application/x-www-form-urlencoded). */
const plainQueryPart = /^[A-Za-z0-9*._-]*$/

/** Encoded parts other than plain ones (content types, the odd id), by text: a few, bounded. */
const encodedQueryParts = new Map<string, string>()
const encodedQueryPartsLimit = 64

/**
 * A query name or value as `URLSearchParams` writes it. Plain ones (ids, `complete`) go as they are; others
 * through `URLSearchParams` itself, so the encoding is the same, remembered while they are few. A
 * `URLSearchParams` per request was about 1.6 KB of allocation: 800 of them in a burst when 200 projects
 * mint their result URLs together.
 *
 * @internal
 */
export function queryPart(text: string): string {
  if (plainQueryPart.test(text)) return text
  const known = encodedQueryParts.get(text)
  if (known !== undefined) return known
  const encoded = new URLSearchParams([["", text]]).toString().slice(1)
  if (encodedQueryParts.size < encodedQueryPartsLimit) encodedQueryParts.set(text, encoded)
  return encoded
}

/** The URL as shown in errors, logs and spans. */
/** The URL as shown in errors and logs (its query dropped when it carries a secret). */
export function shownUrl(ex: Exchange, full: string): string {
  return (ex.secretQuery ? stripQuery(full) : full)
}

/** The URL without query and fragment. */
export function stripQuery(url: string): string {
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
export function parseErrorBody(status: number, text: string, contentType: string | undefined): ParsedErrorBody {
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
export function describeFetchFailure(cause: unknown): string | undefined {
  return cause instanceof Error
    ? (cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message)
    : undefined
}

/** A request that got no answer within its deadline (`within` is the formatted deadline). */
export function timeoutError(method: string, url: string, within: string): SogniTransportError {
  return new SogniTransportError({ reason: "Timeout", message: `${method} ${url}: no response within ${within}` })
}

/** The one debug line of a failed request (annotated with the method and the URL as shown). */
export function logRequestFailure(method: string, url: string, error: RestError): Effect.Effect<void> {
  return Effect.logDebug(`sogni: request failed: ${error._tag}: ${error.message}`).pipe(Effect.annotateLogs({ method, url }))
}

/**
 * `text` with every credential it carries replaced by `<redacted>`: a server (or a proxy's error page)
 * may echo the headers it was sent, and an error body ends up in the error's message, `body` and logs.
 * For a header value `Bearer <token>` the token alone is replaced as well; values under 8 characters are
 * left alone (too short to be a credential, and replacing them would mangle ordinary text).
 */
export function withoutSecrets(
  text: string,
  secretHeaders: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
): string {
  if (secretHeaders === undefined) return text
  let out = text
  for (const name in secretHeaders) {
    const value = Redacted.value(secretHeaders[name]!)
    for (const secret of [value, value.replace(/^bearer\s+/i, "")]) {
      if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join("<redacted>")
    }
  }
  return out
}

/**
 * Maps a non-2xx response (its body already read) to the error of the boundary. 401 becomes an
 * `InvalidCredentials` authentication error. The credentials in `secretHeaders` are taken out of the
 * body first ({@link withoutSecrets}).
 */
export function errorOfResponse(
  method: string,
  url: string,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>>,
  nowMillis: number,
  secretHeaders?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
): SogniApiError | SogniAuthenticationError {
  const text = withoutSecrets(body, secretHeaders)
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

/**
 * The retries after a first attempt that already failed with `first`: `RetryPolicy.retry` over `again`,
 * with `first` replayed as its first attempt, so the policy sees exactly the attempts it would have seen
 * had it run the first one itself. The retry window counts from `startedAt` (the first attempt's start).
 */
export function retryAfterFailure<A, E, R>(
  first: E,
  again: Effect.Effect<A, E, R>,
  options: RetryPolicy.Options,
  clock: Clock.Clock,
  startedAt: number
): Effect.Effect<A, E, R> {
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
 * A response body (or one server-sent event) past `maxResponseBytes`: never retried, since a retry would
 * read it again.
 */
export function tooLargeError(
  method: string,
  url: string,
  limit: number,
  setting: string = "maxResponseBytes"
): SogniDecodeError {
  return new SogniDecodeError({
    reason: "TooLarge",
    message: `${method} ${url}: the response body is larger than ${setting} (${limit} bytes)`,
    source: `${method} ${url}`
  })
}

/** A success body the boundary cannot read (the message names only kinds and paths, never values). */
export function decodeFailure(method: string, url: string, message: string): SogniDecodeError {
  return new SogniDecodeError({ reason: "Body", message, source: `${method} ${url}` })
}

/** A success body's text as JSON (empty → `undefined`); `Left` is the problem, for {@link decodeFailure}. */
export function parseJsonText(text: string): Either.Either<unknown, string> {
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
export function envelopeData(json: unknown): Either.Either<unknown, string> {
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
export function formatIssues(error: ParseResult.ParseError): string {
  return ParseIssues.formatPaths(error.issue)
}
