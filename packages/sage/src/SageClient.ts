/**
 * A client of the Sage Utils LLM API (a ComfyUI node pack that fronts local Ollama and LM Studio
 * servers): provider status, model lists, prompt presets, and text or vision generations, whole or
 * streamed (sage-llm.md Part A).
 *
 * - Base URL: `http://127.0.0.1:8188/api` by default; routes are `<base>/sage_llm/<name>`, so a base
 *   without `/api` uses ComfyUI's bare `/sage_llm` prefix.
 * - Requests are validated first (a `SogniInvalidRequest` names the field and the rule; images must be
 *   data URLs of jpeg/png/webp/gif, at most 10 of them, 10 MB each) and carry both the documented and
 *   the read field names ({@link SageWire.body}); answers are read tolerantly ({@link SageWire}).
 * - One generation at a time: the server runs them one after another (a long one even stalls the
 *   listing routes), so the client queues its own generations — `concurrency` at once (default 1), at
 *   most `queueCapacity` waiting (beyond: `SageError { reason: "QueueFull" }`), each waiting at most
 *   `queueTimeout` (`QueueTimeout`). Listing routes are not queued.
 * - Streams are `POST`s read as server-sent events. Ending or interrupting a stream closes its
 *   connection, which is the only way to stop a Sage generation: there is no cancel route, and the
 *   local model may keep computing until it finishes or times out on its side.
 * - Every wait is bounded: `requestTimeout` (listing routes), `generateTimeout` (a whole non-streaming
 *   generation, once its turn came), `firstEventTimeout` (a stream's response and first event: model
 *   loading happens here), `idleTimeout` (silence between events), `queueTimeout`.
 * - Every body is bounded: a JSON answer, or one event of a stream, larger than `maxResponseBytes`
 *   (default 32 MiB, core's) fails with `SogniDecodeError` reason `TooLarge` and its connection is closed.
 * - An answer that is empty is a failure (`EmptyResponse`): Sage answers HTTP 200 with `""` when the
 *   provider call failed. `emptyResponse: "allow"` turns that off.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { SageClient } from "@effect-sogni/sage"
 *
 * const program = Effect.gen(function*() {
 *   const { models } = yield* SageClient.models()
 *   yield* SageClient.generateStream({ model: models.ollama![0]!, prompt: "Describe a foggy harbour" }).pipe(
 *     Stream.runForEach((e) => e._tag === "TextDelta" ? Effect.sync(() => process.stdout.write(e.text)) : Effect.void)
 *   )
 * })
 *
 * program.pipe(Effect.provide(SageClient.layerFetch()), Effect.runPromise)
 * ```
 *
 * @since 0.2.0
 */
import { RetryPolicy, SogniError } from "@effect-sogni/core"
import * as Sse from "@effect-sogni/core/Sse"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SageHttp from "./internal/http.js"
import { type SageClientError, SageError } from "./SageError.js"
import * as SageWire from "./SageWire.js"

/**
 * The defaults, written once.
 *
 * @since 0.2.0
 */
export const defaults = {
  baseUrl: "http://127.0.0.1:8188/api",
  provider: "ollama" as SageWire.Provider,
  requestTimeout: Duration.seconds(15),
  generateTimeout: Duration.minutes(5),
  firstEventTimeout: Duration.minutes(5),
  idleTimeout: Duration.minutes(1),
  queueTimeout: Duration.minutes(10),
  concurrency: 1,
  queueCapacity: 32,
  emptyResponse: "fail" as "fail" | "allow",
  images: "base64" as SageWire.ImageEncoding,
  maxResponseBytes: Sse.defaultMaxEventBytes
} as const

/**
 * Options of the client.
 *
 * @since 0.2.0
 */
export interface SageClientOptions {
  /** The ComfyUI server, with or without `/api` (default `http://127.0.0.1:8188/api`). */
  readonly baseUrl?: string | undefined
  /** Provider of requests that name none (default `ollama`). */
  readonly provider?: SageWire.Provider | undefined
  /** Bound of a listing call (status, models, prompts), per attempt. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** Bound of a whole non-streaming generation once it is sent. */
  readonly generateTimeout?: Duration.DurationInput | undefined
  /** Bound of a stream's response, and then of its first event. */
  readonly firstEventTimeout?: Duration.DurationInput | undefined
  /** Longest silence between two events of a stream. */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** Longest wait for a generation slot. */
  readonly queueTimeout?: Duration.DurationInput | undefined
  /** Generations in flight at once (default 1: the server runs one at a time anyway). */
  readonly concurrency?: number | undefined
  /** Generations that may wait for a slot (default 32). */
  readonly queueCapacity?: number | undefined
  /** Whether an empty answer fails (`"fail"`, default) or is returned. */
  readonly emptyResponse?: "fail" | "allow" | undefined
  /** Image encoding on the wire: raw base64 (default, read by S1 and S2) or the data URL (D). */
  readonly images?: SageWire.ImageEncoding | undefined
  /**
   * Largest JSON answer, and largest single event of a stream, read into memory (default 32 MiB); a larger
   * one fails with `SogniDecodeError` reason `TooLarge`.
   */
  readonly maxResponseBytes?: number | undefined
  /** Retries of the listing calls (core's policy; `false`: none). Generations are never retried. */
  readonly retry?: Partial<RetryPolicy.Options> | false | undefined
}

/** The queue's counters. @since 0.2.0 */
export interface QueueState {
  readonly running: number
  readonly waiting: number
}

/**
 * The service.
 *
 * @since 0.2.0
 */
export interface SageClientService {
  /** The route prefix in use, e.g. `http://127.0.0.1:8188/api/sage_llm`. */
  readonly routeBase: string
  /** `GET /status`. */
  readonly status: Effect.Effect<SageWire.Status, SageClientError>
  /** `GET /models` (`force: true` makes the server probe its providers again). */
  readonly models: (options?: { readonly force?: boolean | undefined }) => Effect.Effect<SageWire.ModelList, SageClientError>
  /** `GET /vision_models`. */
  readonly visionModels: (options?: { readonly force?: boolean | undefined }) => Effect.Effect<SageWire.ModelList, SageClientError>
  /** `GET /prompts`. */
  readonly prompts: Effect.Effect<SageWire.Prompts, SageClientError>
  /** `POST /generate`, queued. */
  readonly generate: (request: SageWire.GenerateRequest) => Effect.Effect<SageWire.GenerateResult, SageClientError>
  /** `POST /generate_stream`, queued for as long as the stream runs. */
  readonly generateStream: (request: SageWire.GenerateRequest) => Stream.Stream<SageWire.SageStreamEvent, SageClientError>
  /** `POST /vision_generate`, queued. */
  readonly visionGenerate: (request: SageWire.VisionRequest) => Effect.Effect<SageWire.GenerateResult, SageClientError>
  /** `POST /vision_generate_stream`, queued for as long as the stream runs. */
  readonly visionGenerateStream: (request: SageWire.VisionRequest) => Stream.Stream<SageWire.SageStreamEvent, SageClientError>
  /** Generations running and waiting in this client. */
  readonly queue: Effect.Effect<QueueState>
}

/**
 * @since 0.2.0
 */
export class SageClient extends Context.Tag("@effect-sogni/sage/SageClient")<SageClient, SageClientService>() {}

/** The route prefix of a base URL: `<base>/sage_llm` (a base already ending in it is kept). @since 0.2.0 */
export const routeBaseOf = (baseUrl: string): string => {
  const trimmed = baseUrl.replace(/\/+$/, "")
  return /\/sage_llm$/.test(trimmed) ? trimmed : `${trimmed}/sage_llm`
}

const positiveInt = (name: string, value: number) =>
  Number.isInteger(value) && value >= 1 ? undefined : `${name} must be a positive integer (got ${value})`

/**
 * Builds the client. Invalid options are a defect naming them.
 *
 * @since 0.2.0
 */
export const make = (options: SageClientOptions = {}): Effect.Effect<SageClientService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const problems = [
      positiveInt("concurrency", options.concurrency ?? defaults.concurrency),
      positiveInt("queueCapacity", options.queueCapacity ?? defaults.queueCapacity),
      positiveInt("maxResponseBytes", options.maxResponseBytes ?? defaults.maxResponseBytes),
      options.provider === undefined || SageWire.providers.includes(options.provider) ? undefined : `provider must be one of ${SageWire.providers.join(", ")}`
    ].filter((p): p is string => p !== undefined)
    let routeBase = ""
    try {
      routeBase = routeBaseOf(new URL(options.baseUrl ?? defaults.baseUrl).toString())
    } catch {
      problems.push(`baseUrl is not a URL (got ${JSON.stringify(options.baseUrl)})`)
    }
    if (problems.length > 0) return yield* Effect.dieMessage(`Invalid SageClient options: ${problems.join("; ")}`)

    const http = yield* SageHttp.make
    const requestTimeout = Duration.decode(options.requestTimeout ?? defaults.requestTimeout)
    const generateTimeout = Duration.decode(options.generateTimeout ?? defaults.generateTimeout)
    const firstEvent = Duration.decode(options.firstEventTimeout ?? defaults.firstEventTimeout)
    const idle = Duration.decode(options.idleTimeout ?? defaults.idleTimeout)
    const queueTimeout = Duration.decode(options.queueTimeout ?? defaults.queueTimeout)
    const capacity = options.queueCapacity ?? defaults.queueCapacity
    const emptyResponse = options.emptyResponse ?? defaults.emptyResponse
    const maxBytes = options.maxResponseBytes ?? defaults.maxResponseBytes
    const wireDefaults = { provider: options.provider ?? defaults.provider, images: options.images ?? defaults.images }
    const retry = options.retry === false
      ? undefined
      : { ...RetryPolicy.defaults, ...options.retry }

    // ---- the queue
    const concurrency = options.concurrency ?? defaults.concurrency
    const semaphore = yield* Effect.makeSemaphore(concurrency)
    let running = 0
    let waiting = 0
    const slot = (route: string): Effect.Effect<void, SageError, Scope.Scope> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          // counted against the calls admitted so far, so a slot that is being taken is not "waiting"
          if (running + waiting >= concurrency + capacity) {
            return Effect.fail(
              new SageError({ reason: "QueueFull", route, message: `${capacity} generations are already waiting for this Sage server` })
            )
          }
          waiting++
          return restore(semaphore.take(1)).pipe(
            Effect.timeoutFail({
              duration: queueTimeout,
              onTimeout: () =>
                new SageError({ reason: "QueueTimeout", route, message: `no generation slot within ${Duration.format(queueTimeout)}` })
            }),
            Effect.ensuring(Effect.sync(() => waiting--)),
            Effect.zipRight(Effect.sync(() => running++)),
            Effect.zipRight(Effect.addFinalizer(() => Effect.zipRight(Effect.sync(() => running--), semaphore.release(1))))
          )
        })
      )

    const url = (name: string) => `${routeBase}/${name}`
    const routeOf = (name: string) => `/sage_llm/${name}`

    const get = (name: string, force: boolean | undefined) =>
      http.json("GET", `${url(name)}${force === true ? "?force=true" : ""}`, routeOf(name), undefined, { timeout: requestTimeout, retry, maxBytes }).pipe(
        Effect.withSpan(`SageClient.${name}`, { kind: "client", captureStackTrace: false })
      )

    const checked = (request: SageWire.GenerateRequest | SageWire.VisionRequest, vision: boolean) =>
      Either.match(SageWire.validate(request, vision), {
        onLeft: (e) => Effect.fail(e),
        onRight: () => Effect.succeed(SageWire.body(request, wireDefaults))
      })

    const whole = (name: string, vision: boolean) => (request: SageWire.GenerateRequest | SageWire.VisionRequest) =>
      Effect.gen(function*() {
        const body = yield* checked(request, vision)
        const route = routeOf(name)
        const answer = yield* Effect.scoped(
          Effect.zipRight(slot(route), http.json("POST", url(name), route, body, { timeout: generateTimeout, retry: undefined, maxBytes }))
        )
        const result = SageWire.readGenerate(answer)
        if (emptyResponse === "fail" && result.text.trim().length === 0) {
          return yield* Effect.fail(
            new SageError({
              reason: "EmptyResponse",
              route,
              status: 200,
              message: "the server answered with an empty response (the provider call probably failed)"
            })
          )
        }
        return result
      }).pipe(
        Effect.withSpan(`SageClient.${name}`, {
          kind: "client",
          captureStackTrace: false,
          attributes: { "sage.model": request.model, "sage.provider": request.provider ?? wireDefaults.provider }
        })
      )

    const streamed = (name: string, vision: boolean) =>
    (
      request: SageWire.GenerateRequest | SageWire.VisionRequest
    ): Stream.Stream<SageWire.SageStreamEvent, SageClientError> =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const body = yield* checked(request, vision)
        const route = routeOf(name)
        yield* slot(route)
        const payloads = yield* http.sse(url(name), route, body, { firstEvent, idle, maxBytes })
        const inputs = Stream.concat(
          Stream.mapConcat(payloads, (p): ReadonlyArray<SageWire.WireEvent | "Close"> => SageWire.parseEvent(p)),
          Stream.make("Close" as const)
        )
        return inputs.pipe(
          Stream.mapAccumEffect(SageWire.initialState, (state, input) => {
            const next = SageWire.step(route, state, input, emptyResponse)
            return next.end?._tag === "Error"
              ? Effect.fail(next.end.error)
              : Effect.succeed([next.state, { emit: next.emit, done: next.end !== undefined }] as const)
          }),
          // the final event ends the stream: the connection is closed without waiting for the server
          Stream.takeUntil((s) => s.done),
          Stream.mapConcat((s) => s.emit)
        )
      }))

    return {
      routeBase,
      status: Effect.map(get("status", undefined), SageWire.readStatus),
      models: (o) => Effect.map(get("models", o?.force), SageWire.readModels),
      visionModels: (o) => Effect.map(get("vision_models", o?.force), SageWire.readModels),
      prompts: Effect.map(get("prompts", undefined), SageWire.readPrompts),
      generate: whole("generate", false),
      generateStream: streamed("generate_stream", false),
      visionGenerate: (request) => whole("vision_generate", true)(request),
      visionGenerateStream: (request) => streamed("vision_generate_stream", true)(request),
      queue: Effect.sync(() => ({ running, waiting }))
    } satisfies SageClientService
  })

/**
 * The client on a given `HttpClient`.
 *
 * @since 0.2.0
 */
export const layer = (options?: SageClientOptions): Layer.Layer<SageClient, never, HttpClient.HttpClient> =>
  Layer.effect(SageClient, make(options))

/**
 * The client on the platform's `fetch`.
 *
 * @since 0.2.0
 */
export const layerFetch = (options?: SageClientOptions): Layer.Layer<SageClient> =>
  layer(options).pipe(Layer.provide(FetchHttpClient.layer))

// ---------------------------------------------------------------------------------------------------
// Accessors

/** @since 0.2.0 */
export const status: Effect.Effect<SageWire.Status, SageClientError, SageClient> = Effect.flatMap(SageClient, (c) => c.status)

/** @since 0.2.0 */
export const models = (options?: { readonly force?: boolean | undefined }): Effect.Effect<SageWire.ModelList, SageClientError, SageClient> =>
  Effect.flatMap(SageClient, (c) => c.models(options))

/** @since 0.2.0 */
export const visionModels = (
  options?: { readonly force?: boolean | undefined }
): Effect.Effect<SageWire.ModelList, SageClientError, SageClient> => Effect.flatMap(SageClient, (c) => c.visionModels(options))

/** @since 0.2.0 */
export const prompts: Effect.Effect<SageWire.Prompts, SageClientError, SageClient> = Effect.flatMap(SageClient, (c) => c.prompts)

/** @since 0.2.0 */
export const generate = (request: SageWire.GenerateRequest): Effect.Effect<SageWire.GenerateResult, SageClientError, SageClient> =>
  Effect.flatMap(SageClient, (c) => c.generate(request))

/** @since 0.2.0 */
export const generateStream = (
  request: SageWire.GenerateRequest
): Stream.Stream<SageWire.SageStreamEvent, SageClientError, SageClient> =>
  Stream.unwrap(Effect.map(SageClient, (c) => c.generateStream(request)))

/** @since 0.2.0 */
export const visionGenerate = (request: SageWire.VisionRequest): Effect.Effect<SageWire.GenerateResult, SageClientError, SageClient> =>
  Effect.flatMap(SageClient, (c) => c.visionGenerate(request))

/** @since 0.2.0 */
export const visionGenerateStream = (
  request: SageWire.VisionRequest
): Stream.Stream<SageWire.SageStreamEvent, SageClientError, SageClient> =>
  Stream.unwrap(Effect.map(SageClient, (c) => c.visionGenerateStream(request)))

/** A convenience for callers that build requests from untrusted input. @since 0.2.0 */
export const validate = (
  request: SageWire.GenerateRequest | SageWire.VisionRequest,
  vision: boolean
): Either.Either<void, SogniError.SogniInvalidRequest> => SageWire.validate(request, vision)
