/**
 * The HTTP side of the Sage client: JSON exchanges and SSE responses over `@effect/platform`'s
 * `HttpClient`, with core's retry policy for the idempotent calls, core's transport and decode errors,
 * and core's SSE frame parser. Core's `SogniRest` is not used: it is bound to Sogni's two hosts and
 * credentials and streams only `GET`s, while Sage is another server, has no credentials, and streams the
 * answer of a `POST`.
 *
 * Nothing a server sends is held without a bound: a JSON body, or one server-sent event, larger than
 * `maxBytes` fails with `SogniDecodeError` reason `TooLarge` and the read stops there (the connection is
 * released). Nor does it pour log lines: a malformed event is skipped with a warning for each of the
 * first {@link skipWarningLimit} of a stream, and the rest are counted in one line at its end (core's
 * `SkipWarnings`, the limiter of every other transport).
 *
 * @internal
 */
import { RetryPolicy, SogniError } from "@effect-sogni/core"
import * as BoundedBody from "@effect-sogni/core/BoundedBody"
import * as SkipWarnings from "@effect-sogni/core/SkipWarnings"
import * as Sse from "@effect-sogni/core/Sse"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { isSageError, type SageClientError, SageError } from "../SageError.js"
import { failureOf } from "../SageWire.js"

const transport = (method: string, url: string) => (error: HttpClientError.HttpClientError) =>
  new SogniError.SogniTransportError({
    reason: error._tag === "RequestError" ? "Connect" : "Http",
    message: `${method} ${url}: ${error.description ?? error.reason}`
  })

const timeout = (what: string, url: string, duration: Duration.Duration) =>
  new SogniError.SogniTransportError({
    reason: "Timeout",
    message: `${what} ${url}: nothing within ${Duration.format(duration)}`
  })

/** Retryable for GETs: transport failures and the statuses core retries (408, 429, 5xx). @internal */
export const retryable = (error: unknown): boolean =>
  RetryPolicy.isRetryable(error) || (isSageError(error) && error.status !== undefined && RetryPolicy.isRetryableStatus(error.status))

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

const tooLarge = (method: string, route: string, maxBytes: number) =>
  new SogniError.SogniDecodeError({
    reason: "TooLarge",
    message: `the answer to ${method} ${route} is larger than maxResponseBytes (${maxBytes} bytes)`,
    source: `${method} ${route}`
  })

/** A failing answer whose body is not JSON: its status and a short excerpt. */
const plainFailure = (route: string, status: number, text: string) =>
  failureOf(route, status, { success: false, error: text.trim().slice(0, 300) || `HTTP ${status}` })!

/** Warnings about malformed events per stream, at most (the rest are counted in one line at its end). @internal */
export const skipWarningLimit = 5

/** @internal */
export interface SageHttp {
  /** One JSON exchange: the body of a success (a failure body becomes its `SageError`). */
  readonly json: (
    method: "GET" | "POST",
    url: string,
    route: string,
    body: unknown,
    options: { readonly timeout: Duration.Duration; readonly retry: RetryPolicy.Options | undefined; readonly maxBytes: number }
  ) => Effect.Effect<unknown, SageClientError>
  /**
   * Opens an SSE answer to a POST within the current scope (closing the scope aborts the request and
   * closes the connection): the `data` payloads, JSON-parsed (malformed ones are logged and skipped).
   * `firstEvent` bounds the wait for the response and its first payload, `idle` every later silence,
   * `maxBytes` one event (and an error answer's body).
   */
  readonly sse: (
    url: string,
    route: string,
    body: unknown,
    options: { readonly firstEvent: Duration.Duration; readonly idle: Duration.Duration; readonly maxBytes: number }
  ) => Effect.Effect<Stream.Stream<unknown, SageClientError>, SageClientError, Scope.Scope>
}

/**
 * Bounds the wait for each pull of a stream: `first` until the first element, `idle` afterwards.
 *
 * @internal
 */
export const withPullTimeouts = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  first: Duration.Duration,
  idle: Duration.Duration,
  onTimeout: (which: "first" | "idle", duration: Duration.Duration) => E
): Stream.Stream<A, E, R> =>
  Stream.fromPull(Effect.map(Stream.toPull(stream), (pull) => {
    let seen = false
    return Effect.suspend(() => {
      const duration = seen ? idle : first
      return pull.pipe(
        Effect.timeoutFail({ duration, onTimeout: () => Option.some(onTimeout(seen ? "idle" : "first", duration)) }),
        Effect.tap((chunk) => Effect.sync(() => (seen = seen || Chunk.isNonEmpty(chunk))))
      )
    })
  }))

/** @internal */
export const make: Effect.Effect<SageHttp, never, HttpClient.HttpClient> = Effect.gen(function*() {
  const client = yield* HttpClient.HttpClient

  const request = (method: "GET" | "POST", url: string, body: unknown, accept: string) => {
    const r = HttpClientRequest.make(method)(url, { headers: { accept } })
    return method === "POST" ? HttpClientRequest.bodyUnsafeJson(r, body ?? {}) : r
  }

  const json: SageHttp["json"] = (method, url, route, body, options) => {
    const once = Effect.scoped(Effect.gen(function*() {
      const response = yield* Effect.mapError(client.execute(request(method, url, body, "application/json")), transport(method, url))
      const text = yield* BoundedBody.text(response, options.maxBytes, () => tooLarge(method, route, options.maxBytes)).pipe(
        Effect.catchTag("ResponseError", (e) => Effect.fail(transport(method, url)(e)))
      )
      const parsed = parseJson(text)
      if (Option.isNone(parsed)) {
        if (response.status >= 400) return yield* Effect.fail(plainFailure(route, response.status, text))
        return yield* Effect.fail(
          new SogniError.SogniDecodeError({ reason: "Body", message: "the response body is not JSON", source: `${method} ${route}` })
        )
      }
      const failure = failureOf(route, response.status, parsed.value)
      if (failure !== undefined) return yield* Effect.fail(failure)
      return parsed.value
    })).pipe(Effect.timeoutFail({ duration: options.timeout, onTimeout: () => timeout(method, url, options.timeout) }))
    return options.retry === undefined
      ? once
      : RetryPolicy.retry(once, { ...options.retry, idempotent: method === "GET", while: retryable })
  }

  const scoped = HttpClient.withScope(client)

  const sse: SageHttp["sse"] = (url, route, body, options) =>
    Effect.gen(function*() {
      const response = yield* scoped.execute(request("POST", url, body, "text/event-stream")).pipe(
        Effect.mapError(transport("POST", url)),
        Effect.timeoutFail({ duration: options.firstEvent, onTimeout: () => timeout("POST", url, options.firstEvent) })
      )
      const contentType = (response.headers["content-type"] ?? "").toLowerCase()
      if (response.status >= 300 || !contentType.includes("text/event-stream")) {
        const text = yield* Effect.orElseSucceed(BoundedBody.text(response, options.maxBytes, () => tooLarge("POST", route, options.maxBytes)), () => "")
        const parsed = parseJson(text)
        const failure = Option.isSome(parsed) ? failureOf(route, response.status, parsed.value) : undefined
        return yield* Effect.fail(
          failure ?? (response.status >= 300
            ? plainFailure(route, response.status, text)
            : new SageError({ reason: "Other", route, status: response.status, message: `expected an event stream, got ${contentType || "no content type"}` }))
        )
      }
      // malformed events: a warning for each of the first few; the rest are counted and reported once, at the end
      const skips = yield* SkipWarnings.make<void>({
        limit: skipWarningLimit,
        warning: () => Effect.logWarning(`Sage: skipped a malformed event on ${route}`),
        summary: (count) => Effect.logWarning(`Sage: skipped ${count} more malformed events on ${route} (warnings suppressed)`)
      })
      const events = Sse.frames(Stream.mapError(response.stream, transport("POST", url)), options.maxBytes).pipe(
        Stream.filter((frame) => frame.data !== undefined),
        Stream.mapEffect((frame): Effect.Effect<Option.Option<unknown>> => {
          const parsed = parseJson(frame.data!)
          return Option.isSome(parsed) ? Effect.succeed(parsed) : Effect.as(skips.report(), Option.none())
        }),
        Stream.filterMap((o: Option.Option<unknown>) => o),
        Stream.ensuring(skips.flush)
      )
      return withPullTimeouts(events, options.firstEvent, options.idle, (which, d) =>
        timeout(which === "first" ? "first event of" : "silence on", url, d))
    })

  return { json, sse }
})
