/**
 * Typed HTTP calls to both Sogni hosts (rest.md).
 *
 * - `"rest"` — the REST host (`SogniConfig.restEndpoint`): bodies are `{status: "success", data}`
 *   envelopes and the given schema decodes `data` (an empty 2xx body decodes `undefined`).
 * - `"socket"` — the socket host's HTTP side (`socketHttpBase(socketEndpoint)`, `/api/...` paths): raw JSON
 *   bodies decoded whole.
 *
 * Every call attaches the current credential from {@link SogniAuth} (unless `auth: false`), is bounded by
 * `requestTimeout`, goes through the one {@link RetryPolicy} (idempotent methods or an idempotency key
 * only), and fails with core's errors only:
 *
 * - a non-2xx answer → `SogniApiError` (message, `errorCode`, `retryAfterMillis` from the body per
 *   rest.md §2.3; method and URL, never headers);
 * - **401** → `SogniAuthenticationError` `InvalidCredentials`, and the credential is cleared
 *   (`SogniAuth.invalidate`), as the official client does;
 * - no answer (refused, reset, timed out) → `SogniTransportError`;
 * - an unexpected body → `SogniDecodeError` (paths and kinds only, never values).
 *
 * `api-key` and `authorization` are registered as redacted header names, so `@effect/platform`'s spans and
 * logs show `<redacted>`. This module's spans carry the method, host and path only.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { Protocol, SogniConfig, SogniRest } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const rest = yield* SogniRest.SogniRest
 *   const balance = yield* rest.get("rest", "/v4/account/balance", Protocol.AccountBalance)
 *   const models = yield* rest.get("socket", "/api/v1/models/list", Protocol.ModelList)
 *   return { balance, models }
 * })
 *
 * program.pipe(
 *   Effect.provide(SogniRest.layerFetch.pipe(Layer.provide(SogniConfig.layer({ apiKey: Redacted.make("…") })))),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as LeanStream from "./LeanStream.js"
import * as RestClient from "./internal/restClient.js"
import * as PlatformHttp from "./PlatformHttp.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as SogniAuth from "./SogniAuth.js"
import * as SogniConfig from "./SogniConfig.js"
import type { SogniApiError, SogniAuthenticationError, SogniDecodeError, SogniInvalidRequest, SogniTransportError } from "./SogniError.js"

/**
 * Which host a path lives on.
 *
 * @since 0.1.0
 */
export type Host = "rest" | "socket"

/**
 * Everything a call can fail with.
 *
 * @since 0.1.0
 */
export type RestError =
  | SogniApiError
  | SogniTransportError
  | SogniDecodeError
  | SogniAuthenticationError
  | SogniInvalidRequest

/**
 * Query parameters: `undefined`/`null` members are omitted, other values `String()`-ed.
 *
 * @since 0.1.0
 */
export type Query = RestClient.Query

/**
 * Options of one call.
 *
 * @since 0.1.0
 */
export interface RequestOptions {
  readonly query?: Query | undefined
  /** Extra non-secret headers. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Sent as `Idempotency-Key`; makes a POST retryable. */
  readonly idempotencyKey?: string | undefined
  /** Attach the credential (default `true`). With `false` no auth header is sent and a 401 clears nothing. */
  readonly auth?: boolean | undefined
  /**
   * Clear the credential when the server answers 401 (default `true`, as the official client does). Chat
   * runs keep it (chat.md §15.5): the call still fails with `SogniAuthenticationError`.
   */
  readonly invalidateOn401?: boolean | undefined
  /** Overrides `requestTimeout` for this call. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Overrides the retry policy for this call (`false`: a single attempt). */
  readonly retry?: Partial<RetryPolicy.Options> | false | undefined
  /**
   * How a success body of the REST host is read: `"envelope"` (default) decodes its `data`, `"raw"` the
   * whole body (surfaces such as replay records answer with bare objects). The socket host is always raw.
   */
  readonly body?: "envelope" | "raw" | undefined
}

/**
 * Options of a streaming request.
 *
 * @since 0.2.0
 */
export interface StreamOptions extends RequestOptions {
  /** `GET` (default) or `POST`. */
  readonly method?: "GET" | "POST" | undefined
  /** The JSON body of a `POST` (`undefined` sends `{}`). */
  readonly json?: unknown
  /**
   * Called with the headers of the success answer (names in lower case) before its body is read: a caller
   * that must know what the body is (its `content-type`) learns it before the first byte arrives.
   */
  readonly onHeaders?: ((headers: Readonly<Record<string, string>>) => Effect.Effect<void>) | undefined
}

/**
 * Options of a request to a signed URL (no credentials are sent, the query is kept out of errors and spans).
 *
 * @since 0.1.0
 */
export interface SignedUrlOptions {
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: Partial<RetryPolicy.Options> | false | undefined
  /**
   * Largest body read into memory (default: `maxDownloadBytes` for `getBytes`, `maxResponseBytes` for the
   * answer to `putBytes`); a larger one fails with `SogniDecodeError` `TooLarge`.
   */
  readonly maxBytes?: number | undefined
}

/**
 * The service.
 *
 * @since 0.1.0
 */
export interface SogniRestService {
  /** `GET` a path of a host; the body (REST host: its `data`) decoded with `schema`. */
  readonly get: <A, I, R>(
    host: Host,
    path: string,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions
  ) => Effect.Effect<A, RestError, R>
  /** `POST` a JSON body (`undefined` sends `{}`). Not retried unless `idempotencyKey` is set. */
  readonly post: <A, I, R>(
    host: Host,
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions
  ) => Effect.Effect<A, RestError, R>
  /** `PUT` a JSON body. */
  readonly put: <A, I, R>(
    host: Host,
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions
  ) => Effect.Effect<A, RestError, R>
  /** `PATCH` a JSON body (partial update). Not retried unless `idempotencyKey` is set. */
  readonly patch: <A, I, R>(
    host: Host,
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions
  ) => Effect.Effect<A, RestError, R>
  /**
   * A streaming request (server-sent events and other long bodies), `GET` unless `options.method` says
   * `POST` (with `options.json` as its body): the response body as bytes. Opening it follows the same auth,
   * timeout, retry and error rules as {@link get} / {@link post} (failures surface as the stream's error);
   * the body itself is read without a timeout. Interrupting or ending the stream aborts the request.
   * `options.onHeaders` sees the success answer's headers before its first byte.
   */
  readonly stream: (
    host: Host,
    path: string,
    options?: StreamOptions
  ) => Stream.Stream<Uint8Array, RestError>
  /** `DELETE` (no body). */
  readonly delete: <A, I, R>(
    host: Host,
    path: string,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions
  ) => Effect.Effect<A, RestError, R>
  /** Downloads a signed or public URL (results, media): the raw bytes. */
  readonly getBytes: (url: string, options?: SignedUrlOptions) => Effect.Effect<Uint8Array, RestError>
  /** Uploads bytes to a presigned URL with `PUT` (any 2xx is success). */
  readonly putBytes: (
    url: string,
    bytes: Uint8Array,
    options?: SignedUrlOptions & { readonly contentType?: string | undefined }
  ) => Effect.Effect<void, RestError>
  /** The absolute base URL of a host. */
  readonly baseUrl: (host: Host) => string
}

/**
 * The service tag.
 *
 * @since 0.1.0
 */
export class SogniRest extends Context.Tag("@effect-sogni/core/SogniRest")<SogniRest, SogniRestService>() {}

/**
 * Header names registered as redacted while requests run (lower case).
 *
 * @since 0.1.0
 */
export const redactedHeaderNames: ReadonlyArray<string> = RestClient.redactedHeaderNames

/**
 * Builds the service.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<
  SogniRestService,
  never,
  HttpClient.HttpClient | SogniConfig.SogniConfig | SogniAuth.SogniAuth
> = Effect.gen(function*() {
  const settings = yield* SogniConfig.SogniConfig
  const client = yield* PlatformHttp.HttpClient
  const auth = yield* SogniAuth.SogniAuth
  const basePolicy = RetryPolicy.fromSettings(settings)
  // an endpoint that is not a URL fails each call with a typed error, not the layer with a defect
  const { bases, problems: endpointProblems } = RestClient.hostsOf(settings)

  const policyOf = (retry: Partial<RetryPolicy.Options> | false | undefined): RetryPolicy.Options =>
    retry === false ? { ...basePolicy, retries: 0 } : { ...basePolicy, ...retry }
  const timeoutOf = (t: Duration.DurationInput | undefined) =>
    t === undefined ? settings.requestTimeout : Duration.decode(t)

  // the exchange over the HttpClient loads with the first request (internal/restExchange.ts)
  const exchanges = Effect.promise(() => import("./internal/restExchange.js"))

  const on401 = (invalidate: boolean, sent: Readonly<Record<string, Redacted.Redacted<string>>>) =>
    invalidate ? auth.invalidate("InvalidCredentials", { ifSent: sent }) : Effect.void

  const call = <A, I, R>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    host: Host,
    path: string,
    json: unknown,
    schema: Schema.Schema<A, I, R>,
    options: RequestOptions = {}
  ): Effect.Effect<A, RestError, R> => {
    const url = `${bases[host]}${path.startsWith("/") ? path : `/${path}`}`
    const withAuth = options.auth !== false
    return Effect.gen(function*() {
      const badEndpoint = endpointProblems[host]
      if (Option.isSome(badEndpoint)) return yield* Effect.fail(badEndpoint.value)
      const secretHeaders: Readonly<Record<string, Redacted.Redacted<string>>> = withAuth ? yield* auth.headers : {}
      const X = yield* exchanges
      const { body } = yield* X.exchangeText(
        client,
        {
          method,
          url,
          query: options.query,
          headers: options.headers,
          secretHeaders,
          json,
          idempotencyKey: options.idempotencyKey,
          timeout: timeoutOf(options.timeout),
          retry: policyOf(options.retry),
          maxBytes: settings.maxResponseBytes
        },
        on401(withAuth && options.invalidateOn401 !== false, secretHeaders)
      )
      const parsed = yield* X.parseJsonBody(method, url, body)
      const style = host === "rest" && options.body !== "raw" ? "envelope" : "raw"
      return yield* X.decodeBody(method, url, style, parsed, schema)
    }).pipe(
      Effect.withSpan(`SogniRest.${method}`, {
        kind: "client",
        // a captured stack per request is most of a span's cost; the span name and path locate the call
        captureStackTrace: false,
        attributes: { "http.request.method": method, "sogni.host": host, "url.path": path.split("?")[0] }
      })
    )
  }

  const signedPath = (url: string) => {
    try {
      return new URL(url).pathname
    } catch {
      return "(invalid url)"
    }
  }

  return {
    get: (host, path, schema, options) => call("GET", host, path, undefined, schema, options),
    post: (host, path, body, schema, options) => call("POST", host, path, body, schema, options),
    put: (host, path, body, schema, options) => call("PUT", host, path, body, schema, options),
    patch: (host, path, body, schema, options) => call("PATCH", host, path, body, schema, options),
    delete: (host, path, schema, options) => call("DELETE", host, path, undefined, schema, options),
    stream: (host, path, options = {}) => {
      const url = `${bases[host]}${path.startsWith("/") ? path : `/${path}`}`
      const withAuth = options.auth !== false
      const method = options.method ?? "GET"
      return Effect.gen(function*() {
        const badEndpoint = endpointProblems[host]
        if (Option.isSome(badEndpoint)) return yield* Effect.fail(badEndpoint.value)
        const secretHeaders: Readonly<Record<string, Redacted.Redacted<string>>> = withAuth ? yield* auth.headers : {}
        const X = yield* exchanges
        return yield* X.openStream(
          client,
          {
            method,
            url,
            query: options.query,
            headers: { accept: "text/event-stream", ...options.headers },
            secretHeaders,
            json: method === "POST" ? options.json : undefined,
            idempotencyKey: options.idempotencyKey,
            timeout: timeoutOf(options.timeout),
            retry: policyOf(options.retry),
            maxBytes: settings.maxResponseBytes
          },
          on401(withAuth && options.invalidateOn401 !== false, secretHeaders),
          options.onHeaders
        )
      }).pipe(
        Effect.withSpan("SogniRest.stream", {
          kind: "client",
          attributes: { "http.request.method": method, "sogni.host": host, "url.path": path.split("?")[0] }
        }),
        LeanStream.unwrap
      )
    },
    getBytes: (url, options = {}) =>
      Effect.flatMap(exchanges, (X) => X.exchangeBytes(client, {
        method: "GET",
        url,
        headers: { accept: "*/*", ...options.headers },
        timeout: timeoutOf(options.timeout),
        retry: policyOf(options.retry),
        secretQuery: true,
        ...(options.maxBytes !== undefined
          ? { maxBytes: options.maxBytes, maxBytesSetting: "maxBytes" }
          : { maxBytes: settings.maxDownloadBytes, maxBytesSetting: "maxDownloadBytes" }),
        maxErrorBytes: settings.maxResponseBytes
      })).pipe(
        Effect.map((r) => r.body),
        Effect.withSpan("SogniRest.getBytes", {
          kind: "client",
          attributes: { "http.request.method": "GET", "url.path": signedPath(url) }
        })
      ),
    putBytes: (url, bytes, options = {}) =>
      Effect.flatMap(exchanges, (X) => X.exchangeBytes(client, {
        method: "PUT",
        url,
        headers: { accept: "*/*", ...options.headers },
        bytes: { data: bytes, contentType: options.contentType },
        timeout: timeoutOf(options.timeout),
        retry: policyOf(options.retry),
        secretQuery: true,
        maxBytes: options.maxBytes ?? settings.maxResponseBytes
      })).pipe(
        Effect.asVoid,
        Effect.withSpan("SogniRest.putBytes", {
          kind: "client",
          attributes: { "http.request.method": "PUT", "url.path": signedPath(url) }
        })
      ),
    baseUrl: (host) => bases[host]
  }
})

/**
 * The service on an `HttpClient`, `SogniConfig` and `SogniAuth`.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<SogniRest, never, HttpClient.HttpClient | SogniConfig.SogniConfig | SogniAuth.SogniAuth> =
  Layer.effect(SogniRest, make)

/**
 * `SogniRest` and `SogniAuth` over a given `HttpClient`: needs only `HttpClient` and `SogniConfig`.
 *
 * @since 0.1.0
 */
export const layerWithAuth: Layer.Layer<
  SogniRest | SogniAuth.SogniAuth,
  never,
  HttpClient.HttpClient | SogniConfig.SogniConfig
> = layer.pipe(Layer.provideMerge(SogniAuth.layer))

/**
 * The two layers a service built on `SogniRest` exports besides its `layerRest`, written once: the service
 * over a given `HttpClient` (`layerWithHttpClient`, needs `SogniAuth` and `SogniConfig`) and over the
 * platform's `fetch` (`layer`).
 *
 * @since 0.2.0
 */
export function layersOn<I, E>(layerRest: Layer.Layer<I, E, SogniRest | SogniConfig.SogniConfig>): {
  readonly layerWithHttpClient: Layer.Layer<I, E, HttpClient.HttpClient | SogniAuth.SogniAuth | SogniConfig.SogniConfig>
  readonly layer: Layer.Layer<I, E, SogniAuth.SogniAuth | SogniConfig.SogniConfig>
} {
  const layerWithHttpClient = layerRest.pipe(Layer.provide(layer))
  return { layerWithHttpClient, layer: layerWithHttpClient.pipe(Layer.provide(PlatformHttp.fetchLayer)) }
}

/**
 * `SogniRest` and `SogniAuth` over the platform's `fetch` client: needs only `SogniConfig`.
 *
 * @since 0.1.0
 */
export const layerFetch: Layer.Layer<SogniRest | SogniAuth.SogniAuth, never, SogniConfig.SogniConfig> = layerWithAuth
  .pipe(Layer.provide(PlatformHttp.fetchLayer))

/**
 * `SogniRest` and `SogniAuth` over `fetch`, with settings read from the environment (see
 * `SogniConfig.layerConfig`) plus `overrides`. Also provides `SogniConfig`.
 *
 * @since 0.1.0
 */
export function layerConfig(
  overrides: SogniConfig.SogniSettingsInput = {}
): Layer.Layer<SogniRest | SogniAuth.SogniAuth | SogniConfig.SogniConfig, ConfigError.ConfigError> {
  return layerFetch.pipe(Layer.provideMerge(SogniConfig.layerConfig(overrides)))
}
