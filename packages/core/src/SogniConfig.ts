/**
 * Connection settings shared by every core service.
 *
 * Build it in code with {@link layer}, or from the environment with {@link layerConfig}. Endpoints follow
 * one rule in both: an endpoint given in code wins, else `SOGNI_REST_ENDPOINT` / `SOGNI_SOCKET_ENDPOINT`,
 * else the production hosts. {@link layerConfig} reads every variable below; {@link layer} only the two
 * endpoint variables ({@link make} reads none).
 *
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `SOGNI_APP_ID` | installation id (one live socket per id) | a random UUID |
 * | `SOGNI_API_KEY` | API key (secret) | none |
 * | `SOGNI_USERNAME` / `SOGNI_PASSWORD` | account login instead of a key (password is secret) | none |
 * | `SOGNI_NETWORK` | `fast` or `relaxed` | `fast` |
 * | `SOGNI_REST_ENDPOINT` | REST host | `https://api.sogni.ai` |
 * | `SOGNI_SOCKET_ENDPOINT` | socket host | `wss://socket.sogni.ai` |
 * | `SOGNI_APP_SOURCE` | attribution label | none |
 * | `SOGNI_TESTNET` | sign logins for the testnet domain | `false` |
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { SogniConfig } from "@effect-sogni/core"
 *
 * const layer = SogniConfig.layer({ appId: "my-app", apiKey: Redacted.make(process.env.KEY!) })
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Attribution from "./Attribution.js"
import { SogniInvalidRequest } from "./SogniError.js"

/** @since 0.1.0 */
export type Network = "fast" | "relaxed"

/** Production defaults, written once. @since 0.1.0 */
export const defaults = {
  restEndpoint: "https://api.sogni.ai",
  socketEndpoint: "wss://socket.sogni.ai",
  network: "fast" as Network,
  /** Opening the WebSocket (TCP + upgrade). */
  connectTimeout: Duration.seconds(10),
  /** How long sends wait for `authenticated` after open before going out anyway (older servers). */
  authenticatedFallback: Duration.seconds(10),
  /** Overall deadline of one `send` waiting for a usable socket. */
  sendTimeout: Duration.seconds(30),
  /** Protocol-level ping period. */
  keepAlive: Duration.seconds(15),
  /**
   * Liveness window: a socket that has delivered no frame and no pong for this long is taken for
   * black-holed, closed and reconnected. Checked on every keepalive tick.
   */
  livenessTimeout: Duration.seconds(30),
  /** Overall deadline of `awaitAuthenticated`: connecting (every attempt) until `authenticated` arrives. */
  authenticateTimeout: Duration.seconds(30),
  /** How long a change the server confirms (`switchNetwork`, `setEventSubscriptions`) may take. */
  confirmTimeout: Duration.seconds(15),
  /** Largest inbound socket frame; a larger one closes the connection (1009) and it reconnects. */
  maxFrameBytes: 8 * 1024 * 1024,
  /**
   * Socket read coalescing (Node): while the server streams small frames less than this apart, reading
   * pauses this long so they are read in one batch (far less CPU per frame in a fast stream); a frame
   * waits at most this much longer, one after a quiet spell not at all. Zero reads every frame at once.
   */
  readCoalesce: Duration.millis(2),
  /**
   * Largest HTTP response body read into memory (REST answers, result-URL mints, the model catalog) and
   * largest single server-sent event; a larger one fails with `SogniDecodeError` reason `TooLarge` and the
   * connection is released. Streamed bodies handed to the caller (downloads) are not counted.
   */
  maxResponseBytes: 32 * 1024 * 1024,
  /**
   * Largest download read whole into memory (`SogniRest.getBytes`: media `Results.download`); a larger one
   * fails with `SogniDecodeError` reason `TooLarge`. Results can be long videos, so this is far above
   * `maxResponseBytes`; read a result as a stream (media `Results.stream`) to keep it out of memory.
   */
  maxDownloadBytes: 1024 * 1024 * 1024,
  /** At most this many "skipped a server frame" warnings per `decodeWarningInterval`… */
  decodeWarningLimit: 10,
  /** …after which a single line per interval counts the frames skipped without a warning. */
  decodeWarningInterval: Duration.seconds(10),
  /** First reconnect delay; doubles each attempt. */
  reconnectBase: Duration.seconds(1),
  /** Largest reconnect delay. */
  reconnectCap: Duration.seconds(15),
  /** Jitter factor: each delay is multiplied by a uniform value in [1 - j, 1 + j]. */
  reconnectJitter: 0.2,
  /** Frames held while no socket is usable; a send beyond it waits for room. */
  sendQueueCapacity: 1024,
  /**
   * Server events buffered per `subscribe`r (beyond it the newest are dropped for that subscriber) and
   * per queued `route` (beyond it the oldest are dropped), with a warning either way.
   */
  eventBufferCapacity: 4096,
  /** One REST request. */
  requestTimeout: Duration.seconds(30),
  /** REST retries after the first attempt. */
  restRetries: 4,
  restRetryBase: Duration.millis(250),
  restRetryCap: Duration.seconds(10),
  /**
   * No retry is started for a failure that arrives later than this after the request's first attempt
   * began: a host that left a whole `requestTimeout` unanswered is not asked four more times (a REST
   * call against a black-holed host ends in about `requestTimeout`, not five of them).
   */
  restRetryWindow: Duration.seconds(30),
  /** A server-sent `Retry-After` is honoured up to this bound. */
  retryAfterCap: Duration.seconds(60),
  /** Refresh a JWT this long before it expires. */
  tokenRefreshMargin: Duration.seconds(60),
  clientName: "Sogni/3.0.0 (effect-sogni) 0.1.0"
} as const

/**
 * The resolved settings.
 *
 * @since 0.1.0
 */
export interface SogniSettings {
  readonly appId: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly username: Option.Option<string>
  readonly password: Option.Option<Redacted.Redacted<string>>
  readonly network: Network
  readonly restEndpoint: string
  readonly socketEndpoint: string
  readonly appSource: Option.Option<string>
  /** Connection attribution query fields, already normalised (Attribution.ts); empty when none. */
  readonly connectionAttribution: Readonly<Record<string, string>>
  readonly testnet: boolean
  readonly socketEventSubscriptions: Readonly<Record<string, boolean>>
  readonly clientName: string
  readonly connectTimeout: Duration.Duration
  readonly authenticatedFallback: Duration.Duration
  readonly sendTimeout: Duration.Duration
  readonly keepAlive: Duration.Duration
  readonly livenessTimeout: Duration.Duration
  readonly authenticateTimeout: Duration.Duration
  readonly confirmTimeout: Duration.Duration
  readonly maxFrameBytes: number
  readonly readCoalesce: Duration.Duration
  readonly maxResponseBytes: number
  readonly maxDownloadBytes: number
  readonly decodeWarningLimit: number
  readonly decodeWarningInterval: Duration.Duration
  readonly reconnectBase: Duration.Duration
  readonly reconnectCap: Duration.Duration
  readonly reconnectJitter: number
  readonly sendQueueCapacity: number
  readonly eventBufferCapacity: number
  readonly requestTimeout: Duration.Duration
  readonly restRetries: number
  readonly restRetryBase: Duration.Duration
  readonly restRetryCap: Duration.Duration
  readonly restRetryWindow: Duration.Duration
  readonly retryAfterCap: Duration.Duration
  readonly tokenRefreshMargin: Duration.Duration
}

/**
 * What a caller may set; everything else takes {@link defaults}.
 *
 * @since 0.1.0
 */
export interface SogniSettingsInput {
  readonly appId?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly network?: Network | undefined
  readonly restEndpoint?: string | undefined
  readonly socketEndpoint?: string | undefined
  readonly appSource?: string | undefined
  /** How this connection reaches Sogni (`interactionKind`, agent framework/surface…); invalid values are dropped. */
  readonly connectionAttribution?: Attribution.ConnectionAttribution | undefined
  readonly testnet?: boolean | undefined
  readonly socketEventSubscriptions?: Readonly<Record<string, boolean>> | undefined
  readonly clientName?: string | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  readonly authenticatedFallback?: Duration.DurationInput | undefined
  readonly sendTimeout?: Duration.DurationInput | undefined
  readonly keepAlive?: Duration.DurationInput | undefined
  readonly livenessTimeout?: Duration.DurationInput | undefined
  readonly authenticateTimeout?: Duration.DurationInput | undefined
  readonly confirmTimeout?: Duration.DurationInput | undefined
  readonly maxFrameBytes?: number | undefined
  /** See {@link defaults}`.readCoalesce`. */
  readonly readCoalesce?: Duration.DurationInput | undefined
  readonly maxResponseBytes?: number | undefined
  readonly maxDownloadBytes?: number | undefined
  readonly decodeWarningLimit?: number | undefined
  readonly decodeWarningInterval?: Duration.DurationInput | undefined
  readonly reconnectBase?: Duration.DurationInput | undefined
  readonly reconnectCap?: Duration.DurationInput | undefined
  readonly reconnectJitter?: number | undefined
  readonly sendQueueCapacity?: number | undefined
  readonly eventBufferCapacity?: number | undefined
  readonly requestTimeout?: Duration.DurationInput | undefined
  readonly restRetries?: number | undefined
  readonly restRetryBase?: Duration.DurationInput | undefined
  readonly restRetryCap?: Duration.DurationInput | undefined
  /** See {@link defaults}`.restRetryWindow`. */
  readonly restRetryWindow?: Duration.DurationInput | undefined
  readonly retryAfterCap?: Duration.DurationInput | undefined
  readonly tokenRefreshMargin?: Duration.DurationInput | undefined
}

/**
 * The settings service.
 *
 * @since 0.1.0
 */
export class SogniConfig extends Context.Tag("@effect-sogni/core/SogniConfig")<SogniConfig, SogniSettings>() {}

function trimSlash(s: string) {
  return s.replace(/\/+$/, "")
}
function dur(d: Duration.DurationInput | undefined, fallback: Duration.Duration) {
  return d === undefined ? fallback : Duration.decode(d)
}

/**
 * Resolves caller input against the defaults.
 *
 * @since 0.1.0
 */
export function make(input: SogniSettingsInput = {}): SogniSettings {
  return {
    appId: (input.appId ?? crypto.randomUUID()).trim(),
    apiKey: Option.fromNullable(input.apiKey),
    username: Option.fromNullable(input.username),
    password: Option.fromNullable(input.password),
    network: input.network ?? defaults.network,
    restEndpoint: trimSlash(input.restEndpoint ?? defaults.restEndpoint),
    socketEndpoint: trimSlash(input.socketEndpoint ?? defaults.socketEndpoint),
    appSource: Option.fromNullable(input.appSource?.trim() || undefined),
    connectionAttribution: Attribution.normalizeConnection(input.connectionAttribution),
    testnet: input.testnet ?? false,
    socketEventSubscriptions: input.socketEventSubscriptions ?? {},
    clientName: input.clientName ?? defaults.clientName,
    connectTimeout: dur(input.connectTimeout, defaults.connectTimeout),
    authenticatedFallback: dur(input.authenticatedFallback, defaults.authenticatedFallback),
    sendTimeout: dur(input.sendTimeout, defaults.sendTimeout),
    keepAlive: dur(input.keepAlive, defaults.keepAlive),
    livenessTimeout: dur(input.livenessTimeout, defaults.livenessTimeout),
    authenticateTimeout: dur(input.authenticateTimeout, defaults.authenticateTimeout),
    confirmTimeout: dur(input.confirmTimeout, defaults.confirmTimeout),
    maxFrameBytes: input.maxFrameBytes ?? defaults.maxFrameBytes,
    readCoalesce: dur(input.readCoalesce, defaults.readCoalesce),
    maxResponseBytes: input.maxResponseBytes ?? defaults.maxResponseBytes,
    maxDownloadBytes: input.maxDownloadBytes ?? defaults.maxDownloadBytes,
    decodeWarningLimit: input.decodeWarningLimit ?? defaults.decodeWarningLimit,
    decodeWarningInterval: dur(input.decodeWarningInterval, defaults.decodeWarningInterval),
    reconnectBase: dur(input.reconnectBase, defaults.reconnectBase),
    reconnectCap: dur(input.reconnectCap, defaults.reconnectCap),
    reconnectJitter: input.reconnectJitter ?? defaults.reconnectJitter,
    sendQueueCapacity: input.sendQueueCapacity ?? defaults.sendQueueCapacity,
    eventBufferCapacity: input.eventBufferCapacity ?? defaults.eventBufferCapacity,
    requestTimeout: dur(input.requestTimeout, defaults.requestTimeout),
    restRetries: input.restRetries ?? defaults.restRetries,
    restRetryBase: dur(input.restRetryBase, defaults.restRetryBase),
    restRetryCap: dur(input.restRetryCap, defaults.restRetryCap),
    restRetryWindow: dur(input.restRetryWindow, defaults.restRetryWindow),
    retryAfterCap: dur(input.retryAfterCap, defaults.retryAfterCap),
    tokenRefreshMargin: dur(input.tokenRefreshMargin, defaults.tokenRefreshMargin)
  }
}

/**
 * The endpoint variables alone (`SOGNI_REST_ENDPOINT`, `SOGNI_SOCKET_ENDPOINT`); an empty value counts
 * as unset.
 *
 * @since 0.1.0
 */
export const endpointsConfig: Config.Config<Pick<SogniSettingsInput, "restEndpoint" | "socketEndpoint">> = /* @__PURE__ */ Config.suspend(
  function() {
    return (endpointsBuilt ??= buildEndpoints())
  })

// built when a layer first reads it, not at import (as {@link config} below)
let endpointsBuilt: Config.Config<Pick<SogniSettingsInput, "restEndpoint" | "socketEndpoint">> | undefined
function buildEndpoints(): Config.Config<Pick<SogniSettingsInput, "restEndpoint" | "socketEndpoint">> {
  return Config
    .all({
      restEndpoint: Config.option(Config.string("SOGNI_REST_ENDPOINT")),
      socketEndpoint: Config.option(Config.string("SOGNI_SOCKET_ENDPOINT"))
    }).pipe(
      Config.map((c) => ({
        restEndpoint: Option.getOrUndefined(Option.filter(c.restEndpoint, (s) => s.trim().length > 0)),
        socketEndpoint: Option.getOrUndefined(Option.filter(c.socketEndpoint, (s) => s.trim().length > 0))
      }))
    )
}

/**
 * A layer from settings given in code. Endpoints follow the one rule every layer follows: an endpoint
 * given here wins, else `SOGNI_REST_ENDPOINT` / `SOGNI_SOCKET_ENDPOINT` from the environment (the
 * current `ConfigProvider`), else the production host in {@link defaults}. No other variable is read.
 *
 * @since 0.1.0
 */
export function layer(input: SogniSettingsInput = {}): Layer.Layer<SogniConfig> {
  return Layer.effect(
    SogniConfig,
    endpointsConfig.pipe(
      // a plain string variable cannot be malformed; only a failing custom provider lands here
      Effect.catchAll((error) =>
        Effect.as(
          Effect.logWarning(`SogniConfig: could not read the endpoint variables (${error}); using the defaults`),
          {}
        )
      ),
      Effect.map((fromEnv) => make({ ...stripUndefined(fromEnv), ...stripUndefined(input) }))
    )
  )
}

/**
 * The `Config` description of the environment variables listed in the module doc.
 *
 * @since 0.1.0
 */
export const config: Config.Config<SogniSettingsInput> = /* @__PURE__ */ Config.suspend(function() {
  return (configBuilt ??= buildConfig())
})

// built when a layer first reads it (`Config.suspend`), not at import: programs given their settings in
// code never build the environment description
let configBuilt: Config.Config<SogniSettingsInput> | undefined
function buildConfig(): Config.Config<SogniSettingsInput> {
  return Config.all({
    appId: Config.option(Config.string("SOGNI_APP_ID")),
    apiKey: Config.option(Config.redacted("SOGNI_API_KEY")),
    username: Config.option(Config.string("SOGNI_USERNAME")),
    password: Config.option(Config.redacted("SOGNI_PASSWORD")),
    network: Config.literal("fast", "relaxed")("SOGNI_NETWORK").pipe(Config.withDefault(defaults.network)),
    restEndpoint: Config.string("SOGNI_REST_ENDPOINT").pipe(Config.withDefault(defaults.restEndpoint)),
    socketEndpoint: Config.string("SOGNI_SOCKET_ENDPOINT").pipe(Config.withDefault(defaults.socketEndpoint)),
    appSource: Config.option(Config.string("SOGNI_APP_SOURCE")),
    testnet: Config.boolean("SOGNI_TESTNET").pipe(Config.withDefault(false))
  }).pipe(
    Config.map((c) => ({
      appId: Option.getOrUndefined(c.appId),
      apiKey: Option.getOrUndefined(c.apiKey),
      username: Option.getOrUndefined(c.username),
      password: Option.getOrUndefined(c.password),
      network: c.network,
      restEndpoint: c.restEndpoint,
      socketEndpoint: c.socketEndpoint,
      appSource: Option.getOrUndefined(c.appSource),
      testnet: c.testnet
    }))
  )
}

/**
 * A layer that reads the environment (see the module doc), with `overrides` applied on top.
 *
 * @since 0.1.0
 */
export function layerConfig(overrides: SogniSettingsInput = {}): Layer.Layer<SogniConfig, ConfigError.ConfigError> {
  return Layer.effect(
    SogniConfig,
    Effect.map(config, (fromEnv) => make({ ...fromEnv, ...stripUndefined(overrides) }))
  )
}

function stripUndefined<A extends object>(a: A): Partial<A> {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Partial<A>
}

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s)
  } catch {
    return undefined
  }
}

/**
 * Checks an endpoint setting: an absolute `http:`, `https:`, `ws:` or `wss:` URL with a host. Returns
 * a typed error naming the setting and the rule, or `None` when the endpoint is usable.
 *
 * @since 0.1.0
 */
export function checkEndpoint(
  field: "restEndpoint" | "socketEndpoint",
  value: string
): Option.Option<SogniInvalidRequest> {
  const url = parseUrl(value)
  const ok = url !== undefined && url.host.length > 0 &&
    ["http:", "https:", "ws:", "wss:"].includes(url.protocol)
  return ok ? Option.none() : Option.some(
    new SogniInvalidRequest({
      field,
      rule: "url",
      message: `${field} must be an absolute http(s):// or ws(s):// URL with a host, got ${
        JSON.stringify(value.slice(0, 200))
      }`
    })
  )
}

/**
 * The HTTP base of the socket host: `wss:` → `https:`, `ws:` → `http:`, anything else → `https:`.
 * An endpoint that is not a URL is returned as it is ({@link checkEndpoint} reports it).
 *
 * @since 0.1.0
 */
export function socketHttpBase(socketEndpoint: string): string {
  const url = parseUrl(socketEndpoint)
  if (url === undefined) return socketEndpoint
  const scheme = url.protocol === "ws:" || url.protocol === "http:" ? "http:" : "https:"
  return `${scheme}//${url.host}`
}

/**
 * The WebSocket base of the socket host (`http:` endpoints become `ws:`). An endpoint that is not a
 * URL is returned as it is ({@link checkEndpoint} reports it).
 *
 * @since 0.1.0
 */
export function socketWsBase(socketEndpoint: string): string {
  const url = parseUrl(socketEndpoint)
  if (url === undefined) return socketEndpoint
  const scheme = url.protocol === "ws:" || url.protocol === "http:" ? "ws:" : "wss:"
  return `${scheme}//${url.host}`
}
