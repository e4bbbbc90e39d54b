/**
 * The HTTP side shared by hosted chat and chat runs: JSON exchanges on the REST host with core's
 * credentials (`SogniAuth.headers`, secrets `Redacted` until the request is built) and retry policy
 * (`RetryPolicy`), the error mapping of chat.md §13/§15.5, and SSE responses parsed by
 * `@effect/experimental`'s `Sse` channel (an adaptation of `eventsource-parser`).
 *
 * SogniRest is not used directly because these endpoints answer bare bodies on the REST host (no
 * `{status, data}` envelope for completions), recognise chat-specific error bodies, and stream.
 *
 * @internal
 */
import { RetryPolicy, SogniAuth, SogniConfig, SogniError } from "@effect-sogni/core"
import * as Sse from "@effect/experimental/Sse"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { SogniHostedChatError } from "../HostedChatError.js"

/** Everything an exchange can fail with. @internal */
export type HostedError = SogniError.SogniError | SogniHostedChatError

type Json = Record<string, unknown>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const SECRET_HEADERS = ["api-key", "authorization", "cookie", "set-cookie"]

const withRedactedHeaders = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locallyWith(effect, Headers.currentRedactedNames, (names) => [
    ...names,
    ...SECRET_HEADERS.filter((n) => !names.includes(n))
  ])

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

const statusText = (status: number) => STATUS_TEXT[status] ?? `HTTP ${status}`

const str = (u: unknown): string | undefined => (typeof u === "string" && u.length > 0 ? u : undefined)

/**
 * Maps a non-2xx answer (chat.md §13, §15.5): the OpenAI envelope `{error:{message,type,code,
 * subscription?}}` and the flat `{error, error_code, error_message}` become {@link SogniHostedChatError};
 * a 401 is `SogniAuthenticationError`; anything else `SogniApiError` (message, `errorCode`, `retryAfter`
 * from the body or the `Retry-After` header, `details`). Plain text is the message; HTML is excerpted.
 *
 * @internal
 */
export const errorOf = (
  method: string,
  url: string,
  status: number,
  text: string,
  headers: Readonly<Record<string, string | undefined>>,
  nowMillis: number
): HostedError => {
  const trimmed = text.trim()
  let body: unknown = undefined
  try {
    body = trimmed.length > 0 ? JSON.parse(trimmed) : undefined
  } catch {
    body = undefined
  }
  const bodyRetryAfter = isRecord(body) && typeof body.retryAfter === "number" ? body.retryAfter : undefined
  const after = RetryPolicy.requestedDelayOf({ bodyRetryAfter, headers }, nowMillis)
  const retryAfterMillis = Option.isSome(after) ? Duration.toMillis(after.value) : undefined
  if (isRecord(body)) {
    const nested = body.error
    if (isRecord(nested) && typeof nested.message === "string") {
      const sub = isRecord(nested.subscription) ? nested.subscription : {}
      return new SogniHostedChatError({
        status,
        error: str(nested.type) ?? "error",
        ...(nested.code !== undefined && nested.code !== null ? { errorCode: String(nested.code) } : {}),
        message: nested.message,
        ...(typeof sub.subscriptionLimit === "boolean" ? { subscriptionLimit: sub.subscriptionLimit } : {}),
        ...(Array.isArray(sub.requiredPlans) ? { requiredPlans: sub.requiredPlans.map(String) } : {}),
        ...(typeof sub.feature === "string" ? { feature: sub.feature } : {}),
        ...(typeof sub.limitation === "string" ? { limitation: sub.limitation } : {}),
        ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {})
      })
    }
    if (typeof nested === "string" && (body.error_code !== undefined || body.error_message !== undefined)) {
      return new SogniHostedChatError({
        status,
        error: nested,
        ...(body.error_code !== undefined && body.error_code !== null ? { errorCode: String(body.error_code) } : {}),
        message: str(body.error_message) ?? nested,
        ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {})
      })
    }
  }
  const message = isRecord(body)
    ? str(body.message) ?? statusText(status)
    : trimmed.length === 0
    ? statusText(status)
    : /^<(!doctype|html|head|body)/i.test(trimmed)
    ? `${statusText(status)}: ${trimmed.slice(0, 200)}`
    : trimmed.slice(0, 500)
  if (status === 401) {
    return new SogniError.SogniAuthenticationError({ reason: "InvalidCredentials", message: `${method} ${url}: ${message}` })
  }
  return new SogniError.SogniApiError({
    reason: SogniError.apiReasonFromStatus(status),
    status,
    message,
    method,
    url,
    errorCode: isRecord(body) && typeof body.errorCode === "number" ? body.errorCode : status,
    ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {}),
    ...(isRecord(body) && body.details !== undefined ? { details: body.details } : {})
  })
}

const transport = (method: string, url: string) => (error: HttpClientError.HttpClientError) =>
  new SogniError.SogniTransportError({
    reason: error._tag === "RequestError" ? "Connect" : "Http",
    message: `${method} ${url}: ${error.description ?? error.reason}`
  })

/** Options of one exchange. @internal */
export interface CallOptions {
  readonly idempotencyKey?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Clear the credential on a 401 (hosted chat does, chat runs do not: chat.md §15.5). */
  readonly invalidateOn401: boolean
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry retryable failures (GET, or a POST with an idempotency key). */
  readonly retry: boolean
}

/** The client: builds requests with credentials and maps answers. @internal */
export interface HostedHttp {
  readonly baseUrl: string
  readonly appSource: string | undefined
  /** One JSON exchange: the parsed 2xx body (`undefined` when empty). */
  readonly json: (method: "GET" | "POST", path: string, body: unknown, options: CallOptions) => Effect.Effect<unknown, HostedError>
  /**
   * Opens an SSE response (the status checked) and returns its events; the body stream fails with a
   * transport error when the connection breaks, and with `idle` when no bytes (heartbeats included)
   * arrive for that long.
   */
  readonly sse: (
    method: "GET" | "POST",
    path: string,
    body: unknown,
    options: CallOptions & { readonly idle?: Duration.DurationInput | undefined }
  ) => Stream.Stream<Sse.Event, HostedError>
}

/** @internal */
export const make: Effect.Effect<HostedHttp, never, HttpClient.HttpClient | SogniAuth.SogniAuth | SogniConfig.SogniConfig> = Effect.gen(function*() {
  const settings = yield* SogniConfig.SogniConfig
  const client = yield* HttpClient.HttpClient
  const auth = yield* SogniAuth.SogniAuth
  const policy = RetryPolicy.fromSettings(settings)
  const baseUrl = settings.restEndpoint.replace(/\/+$/, "")

  const build = (
    method: "GET" | "POST",
    url: string,
    body: unknown,
    secrets: Readonly<Record<string, Redacted.Redacted<string>>>,
    options: CallOptions,
    accept: string
  ) => {
    const headers: Record<string, string> = { accept, ...options.headers }
    for (const [k, v] of Object.entries(secrets)) headers[k] = Redacted.value(v)
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey
    const request = HttpClientRequest.make(method)(url, { headers })
    return method === "POST" ? HttpClientRequest.bodyUnsafeJson(request, body ?? {}) : request
  }

  /** Sends and checks the status; the response for a 2xx, else the mapped error (after reading the body). */
  const exchange = (
    method: "GET" | "POST",
    path: string,
    body: unknown,
    options: CallOptions,
    accept: string
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HostedError, import("effect/Scope").Scope> =>
    Effect.gen(function*() {
      const url = `${baseUrl}${path}`
      const secrets = yield* auth.headers
      const response = yield* Effect.mapError(
        client.execute(build(method, url, body, secrets, options, accept)),
        transport(method, url)
      )
      if (response.status >= 200 && response.status < 300) return response
      const text = yield* Effect.orElseSucceed(response.text, () => "")
      const error = errorOf(method, url, response.status, text, response.headers, yield* Clock.currentTimeMillis)
      if (error._tag === "SogniAuthenticationError" && options.invalidateOn401) {
        yield* auth.invalidate("InvalidCredentials", { ifSent: secrets })
      }
      return yield* Effect.fail(error)
    })

  const retried = <A, R>(effect: Effect.Effect<A, HostedError, R>, options: CallOptions, method: string) =>
    options.retry
      ? RetryPolicy.retry(effect, { ...policy, idempotent: RetryPolicy.isIdempotent(method, options.idempotencyKey) })
      : effect

  const json: HostedHttp["json"] = (method, path, body, options) =>
    retried(
      Effect.scoped(Effect.gen(function*() {
        const response = yield* exchange(method, path, body, options, "application/json")
        const text = yield* Effect.mapError(response.text, transport(method, `${baseUrl}${path}`))
        if (text.trim().length === 0) return undefined
        return yield* Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: () =>
            new SogniError.SogniDecodeError({
              reason: "Body",
              message: "the response body is not JSON",
              source: `${method} ${baseUrl}${path}`
            })
        })
      })).pipe(Effect.timeoutFail({
        duration: options.timeout ?? settings.requestTimeout,
        onTimeout: () =>
          new SogniError.SogniTransportError({ reason: "Timeout", message: `${method} ${baseUrl}${path}: no response in time` })
      })),
      options,
      method
    ).pipe(withRedactedHeaders)

  const sse: HostedHttp["sse"] = (method, path, body, options) =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const response = yield* retried(exchange(method, path, body, options, "text/event-stream"), options, method).pipe(
        Effect.timeoutFail({
          duration: options.timeout ?? settings.requestTimeout,
          onTimeout: () =>
            new SogniError.SogniTransportError({ reason: "Timeout", message: `${method} ${baseUrl}${path}: no response in time` })
        }),
        withRedactedHeaders
      )
      const idle = options.idle
      const bytes = Stream.mapError(response.stream, transport(method, `${baseUrl}${path}`))
      const watched = idle === undefined ? bytes : bytes.pipe(
        Stream.timeoutFail(
          () => new SogniError.SogniTransportError({ reason: "Timeout", message: `${method} ${baseUrl}${path}: the event stream went silent` }),
          idle
        )
      )
      return watched.pipe(Stream.decodeText(), Stream.pipeThroughChannel(Sse.makeChannel()))
    }))

  return {
    baseUrl,
    appSource: Option.getOrUndefined(settings.appSource),
    json,
    sse
  }
})

/** Decodes a body with a schema into a `SogniDecodeError` naming paths (never values). @internal */
export const decode = <A, I>(schema: Schema.Schema<A, I>, source: string) => (body: unknown) =>
  Effect.mapError(
    Schema.decodeUnknown(schema)(body),
    (e) =>
      new SogniError.SogniDecodeError({
        reason: "Body",
        message: `unexpected response shape: ${
          ParseResult.ArrayFormatter.formatErrorSync(e)
            .slice(0, 8)
            .map((i) => `${i.path.length === 0 ? "(root)" : i.path.map(String).join(".")}: ${i._tag}`)
            .join("; ")
        }`,
        source
      })
  )
