/**
 * The ZelAI client: one WebSocket to `<base>/ws/generation` carrying images, edits, video, upscales, LLM
 * calls and the account's settings, usage and rate limits.
 *
 * - The key must start with `zelai_pk_`; a key without it is refused before any I/O. It stays `Redacted`
 *   and only ever leaves in the `auth` frame and the CDN's `Authorization` header.
 * - The socket opens on the first call, authenticates with `auth` as its first frame, pings every
 *   `pingInterval`, and reconnects after a drop on core's reconnect schedule (`reconnectBase · 2ⁿ` capped
 *   at `reconnectCap`, with jitter). A socket on which nothing at all (not even the `pong`) arrives within
 *   `pongTimeout` of a ping is taken for dead (a black-holed connection) and dropped, so the calls move to
 *   the next one instead of each waiting out its own timeout on it.
 * - A generation is never sent twice: if the socket dies while it runs, it either gets its answer on the
 *   next socket or fails with `ZelaiConnectionLost` carrying its `requestId` ("may have been billed").
 * - A refused key (`AUTH_ERROR`) fails every waiting call at once and every later one immediately.
 * - Interrupting a stream sends `cancel { requestId }` and drops whatever still arrives for it.
 * - Every wait is bounded by a named `Duration` (see {@link defaults}).
 *
 * @example
 * ```ts
 * import { Effect, Redacted, Stream } from "effect"
 * import { ZelaiClient } from "@effect-sogni/zelai"
 *
 * const program = Effect.gen(function*() {
 *   const zelai = yield* ZelaiClient.ZelaiClient
 *   const done = yield* zelai.image({ prompt: "a lighthouse at dusk", format: "landscape" }).pipe(
 *     Stream.tap((e) => e._tag === "Progress" ? Effect.log(`${e.percent}%`) : Effect.void),
 *     Stream.runLast
 *   )
 * }).pipe(Effect.provide(ZelaiClient.layer({ apiKey: Redacted.make("zelai_pk_…") })))
 * ```
 *
 * @since 0.2.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as BoundedBody from "@effect-sogni/core/BoundedBody"
import { RetryPolicy, SogniError } from "@effect-sogni/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as Connection from "./internal/connection.js"
import * as ZelaiProtocol from "./ZelaiProtocol.js"
import { reasonOf, waitOf, type ZelaiError, ZelaiRequestError } from "./ZelaiError.js"

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/**
 * Every bound and delay of the client, written once.
 *
 * @since 0.2.0
 */
export const defaults = {
  baseUrl: ZelaiProtocol.DEFAULT_BASE_URL,
  /** Opening the socket. */
  connectTimeout: Duration.seconds(10),
  /**
   * Socket read coalescing (Node): while the server streams small frames less than this apart, reading
   * pauses this long so they are read in one batch (core's `WebSocketConnection`); zero reads each at once.
   */
  readCoalesce: Duration.millis(2),
  /** From the socket's open to `auth_success`. */
  authTimeout: Duration.seconds(10),
  /** A whole image, edit, video or upscale (the official SDK's 3 minutes). */
  generationTimeout: Duration.minutes(3),
  /** A whole LLM call, streamed or not (the official SDK's 5 minutes for streams). */
  streamTimeout: Duration.minutes(5),
  /** `get_settings`, `get_usage`, `get_rate_limits`. */
  settingsTimeout: Duration.seconds(30),
  /** Keepalive: a JSON `ping` this often while authenticated. */
  pingInterval: Duration.seconds(30),
  /** A socket that hears nothing within this long after a ping is dropped and replaced. */
  pongTimeout: Duration.seconds(10),
  /** First reconnect delay; doubles per failed attempt. */
  reconnectBase: Duration.seconds(1),
  /** Largest reconnect delay. */
  reconnectCap: Duration.seconds(30),
  /** Each reconnect delay is multiplied by a uniform factor in [1 − jitter, 1 + jitter]. */
  reconnectJitter: 0.2,
  /** After a reconnect, how long a generation written on the dead socket has to show a frame. */
  resumeGrace: Duration.seconds(10),
  /** Bound on writing `cancel` when a call is interrupted or times out. */
  cancelTimeout: Duration.seconds(5),
  /** A CDN download. */
  downloadTimeout: Duration.seconds(60),
  /** Longest LLM prompt accepted (characters, the documented `llm.maxPromptLength`). */
  maxPromptLength: ZelaiProtocol.LIMITS.maxPromptLength,
  /**
   * Requests in flight at once, at most; one more fails at once with `ZelaiRequestError` `ConcurrentLimit`
   * (code `CLIENT_MAX_IN_FLIGHT`, retryable). Far above the server's own concurrency limits.
   */
  maxInFlight: 1024,
  /**
   * Frames one request buffers while its consumer does not read, at most. Beyond it a `progress` frame is
   * dropped (a later one supersedes it) and any other frame fails the request with `ZelaiRequestError`
   * `Overflow` (code `CLIENT_BUFFER_FULL`) and cancels it.
   */
  frameBufferCapacity: 4096,
  /**
   * Largest file {@link ZelaiClientService.download} reads into memory (1 GiB, core's `maxDownloadBytes`);
   * a larger one fails with `SogniDecodeError` `TooLarge` and its connection is closed.
   */
  maxDownloadBytes: 1024 * 1024 * 1024
} as const

/**
 * Options of {@link layer}. Every duration defaults to {@link defaults}.
 *
 * @since 0.2.0
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The REST base; the socket is `<base with ws(s) scheme>/ws/generation`. */
  readonly baseUrl?: string | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** See {@link defaults}`.readCoalesce`; zero turns it off. */
  readonly readCoalesce?: Duration.DurationInput | undefined
  readonly authTimeout?: Duration.DurationInput | undefined
  readonly generationTimeout?: Duration.DurationInput | undefined
  readonly streamTimeout?: Duration.DurationInput | undefined
  readonly settingsTimeout?: Duration.DurationInput | undefined
  readonly pingInterval?: Duration.DurationInput | undefined
  readonly pongTimeout?: Duration.DurationInput | undefined
  readonly reconnectBase?: Duration.DurationInput | undefined
  readonly reconnectCap?: Duration.DurationInput | undefined
  readonly reconnectJitter?: number | undefined
  readonly resumeGrace?: Duration.DurationInput | undefined
  readonly cancelTimeout?: Duration.DurationInput | undefined
  readonly downloadTimeout?: Duration.DurationInput | undefined
  readonly maxPromptLength?: number | undefined
  readonly maxInFlight?: number | undefined
  readonly frameBufferCapacity?: number | undefined
  readonly maxDownloadBytes?: number | undefined
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/**
 * What a generation stream emits: `Started` once the request is queued (with its id), `Progress` as the
 * server reports it (0–100, a running maximum; may never come), and `Completed` last.
 *
 * @since 0.2.0
 */
export type GenerationEvent<R> = Data.TaggedEnum<{
  Started: { readonly requestId: string; readonly operation: string }
  Progress: { readonly requestId: string; readonly percent: number; readonly status: string | undefined }
  Completed: { readonly requestId: string; readonly result: R }
}>

interface GenerationEventDefinition extends Data.TaggedEnum.WithGenerics<1> {
  readonly taggedEnum: GenerationEvent<this["A"]>
}

/** Constructors and matchers of {@link GenerationEvent}. @since 0.2.0 */
export const GenerationEvent = Data.taggedEnum<GenerationEventDefinition>()

/**
 * What a streamed LLM call emits: text deltas as they arrive, then `Done` with the server's final text and
 * token counts (prefer its `text` to the concatenated deltas, A28).
 *
 * @since 0.2.0
 */
export type LlmPart = Data.TaggedEnum<{
  Delta: { readonly requestId: string; readonly text: string }
  Done: { readonly requestId: string; readonly result: ZelaiProtocol.LlmResult }
}>

/** @since 0.2.0 */
export const LlmPart = Data.taggedEnum<LlmPart>()

/** A non-streamed LLM answer: the result and the id of its request. @since 0.2.0 */
export interface LlmAnswer extends ZelaiProtocol.LlmResult {
  readonly requestId: string
}

/** A generated file on the CDN. @since 0.2.0 */
export interface CdnFile {
  readonly id: string
  readonly kind: "image" | "video"
}

/** The connection's state. @since 0.2.0 */
export type ConnectionStatus = Connection.Status

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * @since 0.2.0
 */
export interface ZelaiClientService {
  /** The socket's state (idle until the first call). */
  readonly status: SubscriptionRef.SubscriptionRef<ConnectionStatus>
  /** Text-to-image. */
  readonly image: (
    request: ZelaiProtocol.ImageRequest
  ) => Stream.Stream<GenerationEvent<ZelaiProtocol.ImageResult>, ZelaiError>
  /** Edits `imageId` (with `imageId2`: dual-image editing). */
  readonly edit: (
    request: ZelaiProtocol.EditRequest
  ) => Stream.Stream<GenerationEvent<ZelaiProtocol.ImageResult>, ZelaiError>
  /** A video from a still image. */
  readonly video: (
    request: ZelaiProtocol.VideoRequest
  ) => Stream.Stream<GenerationEvent<ZelaiProtocol.VideoResult>, ZelaiError>
  /** Upscales an image 2, 3 or 4 times. */
  readonly upscale: (
    request: ZelaiProtocol.UpscaleRequest
  ) => Stream.Stream<GenerationEvent<ZelaiProtocol.ImageResult>, ZelaiError>
  /** One LLM answer (with `jsonFormat`, its parsed `json`) and the id of its request. */
  readonly llm: (request: ZelaiProtocol.LlmRequest) => Effect.Effect<LlmAnswer, ZelaiError>
  /** One LLM answer as it is written. Structured output is refused here (before sending). */
  readonly llmStream: (request: ZelaiProtocol.LlmRequest) => Stream.Stream<LlmPart, ZelaiError>
  /** The key's status, limits and current usage. */
  readonly settings: Effect.Effect<ZelaiProtocol.Settings, ZelaiError>
  /** Usage over the last `days` (1–365, default 30). */
  readonly usage: (days?: number) => Effect.Effect<ZelaiProtocol.Usage, ZelaiError>
  /** Per-operation rate-limit state. */
  readonly rateLimits: Effect.Effect<ReadonlyArray<ZelaiProtocol.RateLimit>, ZelaiError>
  /** The CDN URL of a file (fetching it needs the key: use {@link download} / {@link save}). */
  readonly cdnUrl: (file: CdnFile) => string
  /** A generated file's bytes (retried on transient failures). */
  readonly download: (file: CdnFile) => Effect.Effect<Uint8Array, SogniError.SogniError>
  /** Writes a generated file to `path`; returns the number of bytes. */
  readonly save: (file: CdnFile, path: string) => Effect.Effect<number, SogniError.SogniError, FileSystem.FileSystem>
}

/**
 * @since 0.2.0
 */
export class ZelaiClient extends Context.Tag("@effect-sogni/zelai/ZelaiClient")<ZelaiClient, ZelaiClientService>() {}

/** The image of a result, as a CDN file. @since 0.2.0 */
export const imageFile = (result: ZelaiProtocol.ImageResult): CdnFile => ({ id: result.imageId, kind: "image" })

/** The video of a result, as a CDN file. @since 0.2.0 */
export const videoFile = (result: ZelaiProtocol.VideoResult): CdnFile => ({ id: result.videoId, kind: "video" })

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

const invalid = (field: string, rule: string, message: string) => new SogniError.SogniInvalidRequest({ field, rule, message })

/**
 * Checks the options: the key prefix, the base URL, every duration and number. Pure; used by
 * {@link make} before anything else.
 *
 * @since 0.2.0
 */
export const resolve = (options: Options): Either.Either<Connection.ConnectionSettings & {
  readonly baseUrl: string
  readonly generationTimeout: Duration.Duration
  readonly streamTimeout: Duration.Duration
  readonly settingsTimeout: Duration.Duration
  readonly downloadTimeout: Duration.Duration
  readonly maxPromptLength: number
  readonly maxDownloadBytes: number
}, SogniError.SogniInvalidRequest> => {
  const key = Redacted.value(options.apiKey)
  if (!key.startsWith(ZelaiProtocol.KEY_PREFIX) || key.length === ZelaiProtocol.KEY_PREFIX.length) {
    return Either.left(invalid("apiKey", "prefix", `a ZelAI API key starts with "${ZelaiProtocol.KEY_PREFIX}"`))
  }
  const baseUrl = options.baseUrl ?? defaults.baseUrl
  const url = ZelaiProtocol.socketUrl(baseUrl)
  if (Option.isNone(url)) return Either.left(invalid("baseUrl", "url", `baseUrl must be an http(s) URL (got ${baseUrl})`))
  const durations = {
    connectTimeout: options.connectTimeout ?? defaults.connectTimeout,
    authTimeout: options.authTimeout ?? defaults.authTimeout,
    generationTimeout: options.generationTimeout ?? defaults.generationTimeout,
    streamTimeout: options.streamTimeout ?? defaults.streamTimeout,
    settingsTimeout: options.settingsTimeout ?? defaults.settingsTimeout,
    pingInterval: options.pingInterval ?? defaults.pingInterval,
    pongTimeout: options.pongTimeout ?? defaults.pongTimeout,
    reconnectBase: options.reconnectBase ?? defaults.reconnectBase,
    reconnectCap: options.reconnectCap ?? defaults.reconnectCap,
    resumeGrace: options.resumeGrace ?? defaults.resumeGrace,
    cancelTimeout: options.cancelTimeout ?? defaults.cancelTimeout,
    downloadTimeout: options.downloadTimeout ?? defaults.downloadTimeout
  }
  const decoded: Record<string, Duration.Duration> = {}
  for (const [name, input] of Object.entries(durations)) {
    const d = Duration.decodeUnknown(input)
    if (Option.isNone(d) || !Duration.isFinite(d.value) || Duration.toMillis(d.value) <= 0) {
      return Either.left(invalid(name, "positive-duration", `${name} must be a finite positive duration`))
    }
    decoded[name] = d.value
  }
  const readCoalesce = Duration.decodeUnknown(options.readCoalesce ?? defaults.readCoalesce)
  if (Option.isNone(readCoalesce) || !Duration.isFinite(readCoalesce.value)) {
    return Either.left(invalid("readCoalesce", "finite-duration", "readCoalesce must be a finite duration (zero turns it off)"))
  }
  const jitter = options.reconnectJitter ?? defaults.reconnectJitter
  if (!(jitter >= 0 && jitter <= 1)) return Either.left(invalid("reconnectJitter", "range", "reconnectJitter must be in [0, 1]"))
  const counts = {
    maxPromptLength: options.maxPromptLength ?? defaults.maxPromptLength,
    maxInFlight: options.maxInFlight ?? defaults.maxInFlight,
    frameBufferCapacity: options.frameBufferCapacity ?? defaults.frameBufferCapacity,
    maxDownloadBytes: options.maxDownloadBytes ?? defaults.maxDownloadBytes
  }
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) {
      return Either.left(invalid(name, "positive-integer", `${name} must be a positive integer`))
    }
  }
  return Either.right({
    apiKey: options.apiKey,
    baseUrl: baseUrl.replace(/\/+$/, ""),
    url: url.value,
    connectTimeout: decoded.connectTimeout!,
    readCoalesce: readCoalesce.value,
    authTimeout: decoded.authTimeout!,
    generationTimeout: decoded.generationTimeout!,
    streamTimeout: decoded.streamTimeout!,
    settingsTimeout: decoded.settingsTimeout!,
    pingInterval: decoded.pingInterval!,
    pongTimeout: decoded.pongTimeout!,
    reconnectBase: decoded.reconnectBase!,
    reconnectCap: decoded.reconnectCap!,
    reconnectJitter: jitter,
    resumeGrace: decoded.resumeGrace!,
    cancelTimeout: decoded.cancelTimeout!,
    downloadTimeout: decoded.downloadTimeout!,
    ...counts
  })
}

const requestError = (operation: string, requestId: string | undefined, error: ZelaiProtocol.ErrorData, now: number) => {
  const reason = reasonOf(error.code)
  const wait = reason === "RateLimited" || reason === "ConcurrentLimit" ? waitOf(error, now) : undefined
  return new ZelaiRequestError({
    reason,
    code: error.code,
    operation,
    ...(requestId !== undefined ? { requestId } : {}),
    message: `${operation} failed: ${error.code}${error.message.length > 0 ? ` — ${error.message}` : ""}`,
    ...(wait?.retryAfterMillis !== undefined ? { retryAfterMillis: wait.retryAfterMillis } : {}),
    ...(wait?.resetAt !== undefined ? { resetAt: wait.resetAt } : {}),
    ...(error.details !== undefined ? { details: error.details } : {})
  })
}

const timeoutError = (operation: string, requestId: string, bound: Duration.Duration) =>
  new ZelaiRequestError({
    reason: "Timeout",
    code: "TIMEOUT",
    operation,
    requestId,
    message: `${operation} ${requestId} had no answer within ${Duration.format(bound)}; it was cancelled (a cancel frame goes out when the socket is up)`
  })

/**
 * Builds the client. A key without the `zelai_pk_` prefix (or any bad option) fails here, before I/O.
 *
 * @since 0.2.0
 */
export const make = (options: Options) =>
  Effect.gen(function*() {
    const settings = yield* resolve(options)
    const connection = yield* Connection.make(settings)
    const http = yield* HttpClient.HttpClient

    /**
     * Runs one request: its frames until the terminal one, as a stream of `A`. The scope of the stream owns
     * the route (and the cancel).
     */
    const run = <A>(spec: {
      readonly type: string
      readonly operation: string
      readonly data: unknown
      readonly replayable: boolean
      readonly timeout: Duration.Duration
      /** Maps a non-error frame: elements to emit, and whether it was the terminal one. */
      readonly onFrame: (
        requestId: string,
        frame: ZelaiProtocol.ServerFrame
      ) => Either.Either<{ readonly emit: ReadonlyArray<A>; readonly done: boolean }, ZelaiError>
      readonly first?: ((requestId: string) => A) | undefined
    }): Stream.Stream<A, ZelaiError> =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const handle = yield* connection.request(spec)
          const { requestId } = handle
          yield* Effect.forkScoped(
            Effect.sleep(spec.timeout).pipe(
              Effect.zipRight(Queue.offer(handle.items, { _tag: "Fail", error: timeoutError(spec.operation, requestId, spec.timeout) }))
            )
          )
          const frames = Stream.fromQueue(handle.items).pipe(
            Stream.mapEffect((item): Effect.Effect<{ readonly emit: ReadonlyArray<A>; readonly done: boolean }, ZelaiError> => {
              if (item._tag === "Fail") return Effect.fail(item.error)
              const frame = item.frame
              if (frame._tag === "Error") {
                return Effect.zipRight(
                  connection.finish(requestId),
                  Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) =>
                    Effect.fail(requestError(spec.operation, requestId, frame.error, now)))
                )
              }
              const mapped = spec.onFrame(requestId, frame)
              if (Either.isLeft(mapped)) return Effect.zipRight(connection.finish(requestId), Effect.fail(mapped.left))
              return mapped.right.done ? Effect.as(connection.finish(requestId), mapped.right) : Effect.succeed(mapped.right)
            }),
            Stream.takeUntil((m) => m.done),
            Stream.flatMap((m) => Stream.fromIterable(m.emit))
          )
          return spec.first === undefined ? frames : Stream.concat(Stream.succeed(spec.first(requestId)), frames)
        })
      ).pipe(Stream.withSpan(`ZelaiClient.${spec.operation}`))

    const generation = <R>(
      type: string,
      operation: string,
      data: Record<string, unknown>,
      schema: Schema.Schema<R, any>
    ): Stream.Stream<GenerationEvent<R>, ZelaiError> => {
      let best = 0
      return run<GenerationEvent<R>>({
        type,
        operation,
        data,
        replayable: false,
        timeout: settings.generationTimeout,
        first: (requestId) => GenerationEvent.Started({ requestId, operation }),
        onFrame: (requestId, frame) => {
          switch (frame._tag) {
            case "Progress": {
              if (frame.progress <= best && best > 0) return Either.right({ emit: [], done: false })
              best = Math.max(best, frame.progress)
              return Either.right({ emit: [GenerationEvent.Progress({ requestId, percent: best, status: frame.status })], done: false })
            }
            case "Complete":
              return Either.map(
                ZelaiProtocol.decodeResult(schema, `${operation} result`, frame.result),
                (result) => ({ emit: [GenerationEvent.Completed({ requestId, result })], done: true })
              )
            default:
              return Either.right({ emit: [], done: false })
          }
        }
      })
    }

    const checked = <A, E, R>(check: Either.Either<void, SogniError.SogniInvalidRequest>, stream: () => Stream.Stream<A, E, R>) =>
      Either.isLeft(check) ? Stream.fail(check.left) : Stream.suspend(stream)

    const llmStream = (request: ZelaiProtocol.LlmRequest, stream: boolean): Stream.Stream<LlmPart, ZelaiError> =>
      checked(ZelaiProtocol.validateLlm(request, { stream, maxPromptLength: settings.maxPromptLength }), () =>
        run<LlmPart>({
          type: "generate_llm",
          operation: "llm",
          data: { ...ZelaiProtocol.compact(request), ...(stream ? { stream: true } : {}) },
          replayable: false,
          timeout: settings.streamTimeout,
          onFrame: (requestId, frame) => {
            switch (frame._tag) {
              case "LlmChunk":
                return Either.right({ emit: frame.chunk.length > 0 ? [LlmPart.Delta({ requestId, text: frame.chunk })] : [], done: false })
              case "Complete":
                return Either.map(
                  ZelaiProtocol.decodeResult(ZelaiProtocol.LlmResult, "llm result", frame.result),
                  (result) => ({ emit: [LlmPart.Done({ requestId, result })], done: true })
                )
              default:
                return Either.right({ emit: [], done: false })
            }
          }
        }))

    const settingsCall = <A, I>(type: string, key: string, schema: Schema.Schema<A, I>, data?: unknown) =>
      run<A>({
        type,
        operation: type,
        data,
        replayable: true,
        timeout: settings.settingsTimeout,
        onFrame: (_, frame) =>
          frame._tag === "SettingsResponse"
            ? Either.map(
              ZelaiProtocol.decodeResult(schema, `${type} ${key}`, frame.data[key]),
              (value) => ({ emit: [value], done: true })
            )
            : Either.right({ emit: [], done: false })
      }).pipe(
        Stream.runHead,
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(new SogniError.SogniDecodeError({ reason: "Payload", message: `${type} ended without an answer` })),
          onSome: Effect.succeed
        }))
      )

    const lastOf = (stream: Stream.Stream<LlmPart, ZelaiError>, operation: string) =>
      Effect.flatMap(Stream.runLast(stream), (last) =>
        Option.isSome(last) && last.value._tag === "Done"
          ? Effect.succeed({ ...last.value.result, requestId: last.value.requestId })
          : Effect.fail(new SogniError.SogniDecodeError({ reason: "Payload", message: `${operation} ended without a result` })))

    const cdnUrl = (file: CdnFile) =>
      ZelaiProtocol.cdnUrl(settings.baseUrl, file.id, file.kind === "video" ? "mp4" : "png")

    const transport = (message: string, cause?: unknown) =>
      new SogniError.SogniTransportError({ reason: "Http", message, ...(cause !== undefined ? { cause } : {}) })

    const download = (file: CdnFile): Effect.Effect<Uint8Array, SogniError.SogniError> => {
      const url = cdnUrl(file)
      return Effect.scoped(
        Effect.gen(function*() {
          const response = yield* http.execute(
            HttpClientRequest.get(url).pipe(HttpClientRequest.bearerToken(Redacted.value(settings.apiKey)))
          ).pipe(Effect.mapError((e) => transport(`download of ${file.kind} ${file.id} failed: ${e.reason}`, e.cause)))
          if (response.status < 200 || response.status >= 300) {
            return yield* Effect.fail(
              new SogniError.SogniApiError({
                reason: SogniError.apiReasonFromStatus(response.status),
                status: response.status,
                message: `download of ${file.kind} ${file.id} answered ${response.status}`,
                method: "GET",
                url
              })
            )
          }
          return yield* BoundedBody.bytes(response, settings.maxDownloadBytes, () =>
            new SogniError.SogniDecodeError({
              reason: "TooLarge",
              message: `download of ${file.kind} ${file.id} is larger than maxDownloadBytes (${settings.maxDownloadBytes} bytes)`,
              source: url
            })).pipe(
              Effect.catchTag("ResponseError", (e) => Effect.fail(transport(`download of ${file.kind} ${file.id} broke off: ${e.reason}`, e.cause)))
            )
        })
      ).pipe(
        Effect.timeoutFail({
          duration: settings.downloadTimeout,
          onTimeout: () =>
            new SogniError.SogniTransportError({
              reason: "Timeout",
              message: `download of ${file.kind} ${file.id} took longer than ${Duration.format(settings.downloadTimeout)}`
            })
        }),
        RetryPolicy.retry({ ...RetryPolicy.defaults, idempotent: true })
      )
    }

    return {
      status: connection.status,
      image: (request) =>
        checked(ZelaiProtocol.validateImage(request), () =>
          generation("generate_image", "image", ZelaiProtocol.compact(request), ZelaiProtocol.ImageResult)),
      edit: (request) =>
        checked(ZelaiProtocol.validateEdit(request), () =>
          generation("generate_image", "edit", ZelaiProtocol.compact(request), ZelaiProtocol.ImageResult)),
      video: (request) =>
        checked(ZelaiProtocol.validateVideo(request), () =>
          generation("generate_video", "video", ZelaiProtocol.compact(request), ZelaiProtocol.VideoResult)),
      upscale: (request) =>
        checked(ZelaiProtocol.validateUpscale(request), () =>
          generation("generate_upscale", "upscale", ZelaiProtocol.compact(request), ZelaiProtocol.ImageResult)),
      llm: (request) => lastOf(llmStream(request, false), "llm"),
      llmStream: (request) => llmStream(request, true),
      settings: settingsCall("get_settings", "settings", ZelaiProtocol.Settings),
      usage: (days = 30) =>
        Either.match(ZelaiProtocol.validateDays(days), {
          onLeft: (e) => Effect.fail(e),
          onRight: () => settingsCall("get_usage", "usage", ZelaiProtocol.Usage, { days })
        }),
      rateLimits: settingsCall("get_rate_limits", "rateLimits", ZelaiProtocol.RateLimits),
      cdnUrl,
      download,
      save: (file, path) =>
        Effect.gen(function*() {
          const fs = yield* FileSystem.FileSystem
          const bytes = yield* download(file)
          yield* fs.writeFile(path, bytes).pipe(Effect.mapError((e) => transport(`could not write ${path}: ${e.message}`)))
          return bytes.length
        })
    } satisfies ZelaiClientService
  })

/**
 * The client as a layer (the socket closes with it). Downloads use `fetch`.
 *
 * @since 0.2.0
 */
export const layer = (options: Options): Layer.Layer<ZelaiClient, SogniError.SogniInvalidRequest> =>
  Layer.scoped(ZelaiClient, make(options)).pipe(Layer.provide(FetchHttpClient.layer))
