/**
 * LLM chat over the Supernet socket as an Effect service: token streams, completions, structured
 * output and a client-side tool loop (chat.md §1–§8, §12).
 *
 * Each job owns the socket route of its id (core hands every frame synchronously to the job's pure
 * {@link ChatJob} machine: no queue or fiber wake-up per token) and its stream is the machine's output.
 * Every wait is bounded:
 *
 * - `idleTimeout` (default 2 minutes): no frame for the job in that long (from the request on, queueing
 *   included) fails with `SogniChatJobError { reason: "IdleTimeout" }` and cancels the job upstream;
 * - after a reconnect, a job missing from the next `authenticated.activeLLMJobIDs` fails at once with
 *   `reason: "TransportLost"` (retryable); when the server omits the list, the job must show a frame
 *   within `recoveryGrace` (default 35 s); a connection that ends for good fails it at once;
 * - interrupting a stream or a completion sends `llmJobCancel { jobID }` (in the background, bounded by
 *   `cancelTimeout`) and releases the route.
 *
 * A job that carries on after a reconnect may have lost the frames the server sent while the socket was
 * down (nothing on the wire can tell): its `Finish` and completion carry `gap` (`ChatChunk.ReplyGap`) and a
 * warning is logged once; `onReplyGap: "fail"` fails such a job instead, and the tool loop never runs the
 * calls of such a round.
 *
 * `<think>…</think>` text is split into `ReasoningDelta`s unless `splitThinking: false`.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted, Schema, Stream } from "effect"
 * import { Sogni } from "@effect-sogni/core"
 * import { Chat, Tool } from "@effect-sogni/chat"
 *
 * const model = "qwen3.6-35b-a3b-gguf-iq4xs"
 * const program = Effect.gen(function*() {
 *   // tokens as they come
 *   yield* Chat.stream({ model, messages: [{ role: "user", content: "Write a haiku" }] }).pipe(
 *     Stream.runForEach((c) => c._tag === "TextDelta" ? Effect.sync(() => process.stdout.write(c.text)) : Effect.void)
 *   )
 *   // a typed answer
 *   const { value } = yield* Chat.completeObject(
 *     { model, messages: [{ role: "user", content: "Name a city and its country" }] },
 *     Schema.Struct({ city: Schema.String, country: Schema.String })
 *   )
 *   // tools resolved locally
 *   const weather = Tool.make("get_weather", {
 *     parameters: Schema.Struct({ location: Schema.String }),
 *     handler: ({ location }) => Effect.succeed({ location, tempF: 91 })
 *   })
 *   const answer = yield* Chat.completeWithTools(
 *     { model, messages: [{ role: "user", content: "Weather in Austin?" }] },
 *     Tool.toolkit(weather)
 *   )
 *   return [value, answer.text]
 * })
 *
 * program.pipe(
 *   Effect.provide(Chat.layer().pipe(Layer.provideMerge(Sogni.layer({ apiKey: Redacted.make("…") })))),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Lazy from "@effect-sogni/core/Lazy"
import * as LlmModels from "@effect-sogni/core/LlmModels"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as Channel from "effect/Channel"
import type * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseIssues from "@effect-sogni/core/ParseIssues"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as ChatChunkNs from "./ChatChunk.js"
import {
  type ChatChunk,
  type ChatCompletion,
  collect,
  emptyCollector,
  type LlmCostEstimate as ChunkCostEstimate,
  toCompletion,
  ToolEvent,
  type ToolCompletion,
  type ToolRound,
  type ToolStreamChunk
} from "./ChatChunk.js"
import { type ChatError, SogniChatJobError, SogniChatOutputError, SogniToolCallError } from "./ChatError.js"
import * as ChatJob from "./ChatJob.js"
import * as ChatRequest from "./ChatRequest.js"
import * as Tool from "./Tool.js"
import * as ChunkBuffer from "./internal/chunkBuffer.js"
import * as Vision from "./Vision.js"

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/**
 * The defaults, written once.
 *
 * @since 0.1.0
 */
export const defaults = {
  idleTimeout: Duration.minutes(2),
  recoveryGrace: Duration.seconds(35),
  cancelTimeout: Duration.seconds(5),
  remoteImageTimeout: Duration.seconds(20),
  maxToolRounds: 5,
  toolConcurrency: 4,
  modelCatalogWait: Duration.seconds(3),
  streamBufferSize: ChunkBuffer.defaultCapacity,
  streamCoalesce: Duration.millis(4)
} as const

/** The longest `streamCoalesce` honoured. */
const maxStreamCoalesceMillis = 1000

/** Service-wide options. @since 0.1.0 */
export interface ChatOptions {
  /** Longest silence (no frame for the job) before a job fails with `IdleTimeout`. */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** After a reconnect whose `authenticated` has no `activeLLMJobIDs`: how long a job has to show a frame. */
  readonly recoveryGrace?: Duration.DurationInput | undefined
  /** Bound on sending `llmJobCancel` when a job is abandoned. */
  readonly cancelTimeout?: Duration.DurationInput | undefined
  /** Download timeout for trusted remote images (chat.md §10). */
  readonly remoteImageTimeout?: Duration.DurationInput | undefined
  /** Split `<think>` blocks into reasoning (default `true`). */
  readonly splitThinking?: boolean | undefined
  /**
   * How long a request waits for the first LLM model list (`swarmLLMModels`) to check the model and
   * default and check `maxTokens`; without it by then, requests go out unchecked and without a default
   * (default 3 s, waited once).
   */
  readonly modelCatalogWait?: Duration.DurationInput | undefined
  /**
   * Chunks of one stream that wait for its consumer before they are merged (default 4096; values below 2
   * count as 2). The socket hands every frame over at once and cannot wait for one slow consumer, so
   * once this many wait, new text is merged into the newest waiting delta of its kind (a slow consumer
   * gets the same text in fewer, longer deltas; nothing is dropped); a chunk that merges with nothing is
   * still appended, and at twice this many the stream fails with `SogniChatJobError { reason:
   * "BufferOverflow" }`.
   */
  readonly streamBufferSize?: number | undefined
  /**
   * How often, at most, a stream's consumer is woken for new chunks (default 4 ms; 0 wakes it for every
   * socket read). A chunk that arrives after a quiet spell is handed over at once; while tokens arrive
   * faster than this, those of the interval come together as one batch, no later than this after the
   * previous one. The consumer's per-batch cost (a fiber wake-up and a stream step, or a promise in the
   * promise adapter) is then paid once per interval rather than once per read. Values above 1 s count
   * as 1 s.
   */
  readonly streamCoalesce?: Duration.DurationInput | undefined
}

/**
 * An LLM cost quote (`GET /api/v1/job-llm/estimate/…`, chat.md §11); declared with the chunk types.
 *
 * @since 0.1.0
 */
export type LlmCostEstimate = ChunkCostEstimate

// built on the first quote: a program that only streams never builds it
const LlmEstimateBody = Lazy.schema(() =>
  Schema.Struct({
    quote: Schema.Struct({
      costInUSD: Schema.Number,
      costInSogni: Schema.Number,
      costInSpark: Schema.Number,
      costInToken: Schema.Number,
      inputTokens: Schema.Number,
      outputTokens: Schema.Number
    })
  })
)

/**
 * Asks the estimate endpoint for a quote of the given token counts (chat.md §11). `estimate` computes
 * the counts from a request; the promise adapter computes them from its own model list.
 *
 * @since 0.1.0
 */
export const quote = (parts: {
  readonly tokenType: Protocol.TokenType
  readonly model: string
  readonly inputTokens: number
  readonly outputTokens: number
}): Effect.Effect<LlmCostEstimate, SogniError.SogniError, SogniRest.SogniRest> =>
  Effect.flatMap(SogniRest.SogniRest, (rest) => {
    const path = [parts.tokenType, parts.model, parts.inputTokens, parts.outputTokens]
      .map((p) => encodeURIComponent(String(p)))
      .join("/")
    return rest.get("socket", `/api/v1/job-llm/estimate/${path}`, LlmEstimateBody, { body: "raw" })
  }).pipe(Effect.map((body) => body.quote))

/**
 * The input-token count an LLM quote assumes (chat.md §11): a quarter of the messages' JSON length,
 * rounded up, with every image's data replaced by `[image]` (images are not text tokens).
 *
 * @since 0.1.0
 */
export const estimatedInputTokens = (messages: ReadonlyArray<unknown>): number => {
  const shown = messages.map((m) => {
    const content = typeof m === "object" && m !== null ? (m as { readonly content?: unknown }).content : undefined
    return Array.isArray(content)
      ? {
        ...(m as object),
        content: content.map((part: { readonly type?: unknown; readonly image_url?: { readonly detail?: unknown } }) =>
          part.type === "image_url"
            ? { type: "image_url", image_url: { url: "[image]", ...(part.image_url?.detail !== undefined ? { detail: part.image_url.detail } : {}) } }
            : part
        )
      }
      : m
  })
  return Math.ceil(JSON.stringify(shown).length / 4)
}

/**
 * The output budget an LLM quote assumes (chat.md §11): `maxTokens`; else, thinking on a `coding` or
 * `reasoning` task, the model's `maxOutputTokens.thinkingComplexDefault`; else its default; else 4096.
 * `modelLimits` is the model's `maxOutputTokens` record as the network advertises it.
 *
 * @since 0.1.0
 */
export const estimatedOutputTokens = (
  request: Pick<ChatRequest.ChatRequest, "maxTokens" | "think" | "taskProfile">,
  modelLimits: unknown
): number => {
  if (typeof request.maxTokens === "number" && Number.isFinite(request.maxTokens)) return request.maxTokens
  const limits = typeof modelLimits === "object" && modelLimits !== null
    ? modelLimits as { readonly default?: unknown; readonly thinkingComplexDefault?: unknown }
    : undefined
  const complex = request.think === true && (request.taskProfile === "coding" || request.taskProfile === "reasoning")
  if (complex && typeof limits?.thinkingComplexDefault === "number") return limits.thinkingComplexDefault
  if (typeof limits?.default === "number") return limits.default
  return 4096
}

/** Per-call options. @since 0.1.0 */
export interface CallOptions {
  readonly idleTimeout?: Duration.DurationInput | undefined
  readonly splitThinking?: boolean | undefined
  /**
   * Include the job's lifecycle in the stream: one `JobState` chunk per `jobState` frame (pending,
   * queued with its position and quote, assigned, jobStarted with the worker), before the text. Off by
   * default: the stream then holds what the model produced and the `Finish`, one element per token frame
   * as the official client yields them (the worker still reaches `Finish.workerName`).
   */
  readonly jobStates?: boolean | undefined
  /**
   * A job whose socket dropped while it was unfinished and that carried on after the reconnect may have
   * lost tokens (the server buffers nothing; see `ChatChunk.ReplyGap`). `"mark"` (default): the job goes
   * on, its `Finish` and completion carry `gap`, and a warning is logged once for the job. `"fail"`: the
   * job fails as soon as the drop is noticed, with `SogniChatJobError { reason: "ReplyGap" }`
   * (retryable), and is cancelled upstream. A tool round never runs tool calls whose reply crossed a
   * reconnect, whichever is chosen (the tool loop fails with the same error).
   */
  readonly onReplyGap?: "mark" | "fail" | undefined
}

/** Options of the tool loop. @since 0.1.0 */
export interface ToolOptions extends CallOptions {
  /**
   * Model calls that may request tools (default 5, an integer ≥ 1). The tools each of them asks for are run;
   * when the last allowed call still asks for tools, those run too and the loop then fails with
   * `MaxRoundsExceeded` instead of calling the model again (as the official client's `maxToolRounds`).
   */
  readonly maxToolRounds?: number | undefined
  /** Handlers running at once within a round (default 4). */
  readonly concurrency?: number | undefined
  /** A failing handler: send the error back to the model (`"return"`, default) or fail the run (`"fail"`). */
  readonly onHandlerError?: "return" | "fail" | undefined
}

/** Options of {@link ChatService.completeObject}. @since 0.1.0 */
export interface ObjectOptions extends CallOptions {
  /** `json_schema.name` (default: the schema's identifier annotation, else `"response"`). */
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** A structured completion: the decoded value next to the completion it came from. @since 0.1.0 */
export interface ObjectCompletion<A> extends ChatCompletion {
  readonly value: A
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/** The model of a request for span attributes, safe on a request that is not an object. */
const modelOf = (request: ChatRequest.ChatRequest): string => {
  const input: unknown = request
  return typeof input === "object" && input !== null && typeof request.model === "string" ? request.model : "(invalid)"
}

/**
 * @since 0.1.0
 */
export interface ChatService {
  /**
   * The LLM models and their limits, from the network's `swarmLLMModels` pushes (empty until the first).
   * A request without `maxTokens` gets its model's `maxOutputTokens.default`; one above
   * `maxOutputTokens.max` is refused (`SogniInvalidRequest { field: "maxTokens", rule: "maximum" }`), and
   * once a list is known, a model missing from it is refused before sending (`field: "model"`, `rule: "unknown"`).
   */
  readonly models: SubscriptionRef.SubscriptionRef<ReadonlyArray<LlmModels.LlmModel>>
  /** The limits of one model, waiting (bounded by `modelCatalogWait`) for the first list. */
  readonly modelInfo: (model: string) => Effect.Effect<Option.Option<LlmModels.LlmModel>>
  /**
   * Streams one completion: text and reasoning deltas, tool-call deltas, mid-stream usage, then `Finish`
   * (finish reason, final usage, cost, worker, tool calls); with `jobStates: true`, the job's lifecycle
   * frames first.
   */
  readonly stream: (request: ChatRequest.ChatRequest, options?: CallOptions) => Stream.Stream<ChatChunk, ChatError>
  /**
   * The chunks of {@link stream} for a plain-JS consumer (the promise adapter): the job starts in the
   * current scope (closing it before the job ended cancels the job upstream) and its chunks wait in
   * the same bounded buffer, taken a batch at a time without a fiber in between. Optional: a provider
   * without it is consumed through `stream`.
   */
  readonly batches?: (request: ChatRequest.ChatRequest, options?: CallOptions) => Effect.Effect<ChunkBatches, ChatError, Scope.Scope>
  /** One completion, folded from the same stream. */
  readonly complete: (request: ChatRequest.ChatRequest, options?: CallOptions) => Effect.Effect<ChatCompletion, ChatError>
  /**
   * A completion constrained to `schema` (`response_format: json_schema`, strict) and decoded with it.
   * Fails with `SogniChatOutputError` (carrying the raw text) when the answer is not JSON or does not decode.
   */
  readonly completeObject: <A, I, R>(
    request: ChatRequest.ChatRequest,
    schema: Schema.Schema<A, I, R>,
    options?: ObjectOptions
  ) => Effect.Effect<ObjectCompletion<A>, ChatError | SogniChatOutputError, R>
  /**
   * Streams a conversation that resolves the toolkit's calls locally: each round's chunks, then its
   * `ToolCall`s (before the handlers run) and `ToolResult`s (as they complete), then the next round,
   * until the model answers without tools.
   */
  readonly streamWithTools: <R>(
    request: ChatRequest.ChatRequest,
    toolkit: Tool.Toolkit<R>,
    options?: ToolOptions
  ) => Stream.Stream<ToolStreamChunk, ChatError | SogniToolCallError, R>
  /** {@link streamWithTools} folded: the final answer, every tool round, and the whole conversation. */
  readonly completeWithTools: <R>(
    request: ChatRequest.ChatRequest,
    toolkit: Tool.Toolkit<R>,
    options?: ToolOptions
  ) => Effect.Effect<ToolCompletion, ChatError | SogniToolCallError, R>
}

/**
 * One job's chunks for a plain-JS consumer ({@link ChatService.batches}): what `stream` would emit, in the
 * same order and with the same buffer bound (`streamBufferSize`).
 *
 * @since 0.3.0
 */
export interface ChunkBatches {
  /**
   * What waits, in order (never empty; at most 1024 chunks a call, the rest at the next call), or
   * `undefined` when nothing waits; never waits.
   */
  readonly poll: () => ReadonlyArray<ChatChunk> | undefined
  /**
   * `poll` with every `TextDelta` as its text alone (a string in its place): the same order, batches
   * and bound, without building the elements a consumer would only read the text of. Optional (a
   * provider without it is read through `poll`).
   *
   * @since 0.3.0
   */
  readonly pollText?: (() => ReadonlyArray<ChatChunk | string> | undefined) | undefined
  /** Whether the job's stream ended (chunks may still wait for `poll`). */
  readonly ended: () => boolean
  /** The stream's failure, once it ended with one. */
  readonly failure: () => ChatError | undefined
  /**
   * `f` runs once, on the next chunk or the ending (at once when a chunk waits or the stream ended); one
   * callback at a time, a new one replaces the last.
   */
  readonly onReady: (f: () => void) => void
  /** Completes once the stream ended (its last chunks may still wait for `poll`). */
  readonly awaitEnd: Effect.Effect<void>
}

/**
 * @since 0.1.0
 */
export class Chat extends Context.Tag("@effect-sogni/chat/Chat")<Chat, ChatService>() {}

/**
 * What a completion would cost before sending it (`GET /api/v1/job-llm/estimate/…` on the socket host):
 * the request is validated like a completion, then quoted for {@link estimatedInputTokens} in and
 * {@link estimatedOutputTokens} out, with the model's limits from {@link ChatService.modelInfo}
 * (`tokenType` defaults to `sogni`, as in the official client).
 *
 * @example
 * ```ts
 * const quote = yield* Chat.estimate({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "Hi" }], tokenType: "spark" })
 * console.log(quote.costInSpark, quote.outputTokens)
 * ```
 *
 * @since 0.1.0
 */
export const estimate = (
  request: ChatRequest.ChatRequest
): Effect.Effect<LlmCostEstimate, SogniError.SogniError, Chat | SogniRest.SogniRest> =>
  Effect.gen(function*() {
    const checked = ChatRequest.validate(request)
    if (Either.isLeft(checked)) return yield* Effect.fail(checked.left)
    const chat = yield* Chat
    const info = yield* chat.modelInfo(request.model)
    return yield* quote({
      tokenType: request.tokenType ?? "sogni",
      model: request.model,
      inputTokens: estimatedInputTokens(request.messages),
      outputTokens: estimatedOutputTokens(request, Option.getOrUndefined(info)?.info["maxOutputTokens"])
    })
  }).pipe(Effect.withSpan("Chat.estimate", { attributes: { model: modelOf(request) } }))

const lost = (jobID: string, message: string) =>
  new SogniChatJobError({ reason: "TransportLost", jobID, error: "transport_lost", message })

const replyGap = (jobID: string, message: string) =>
  new SogniChatJobError({ reason: "ReplyGap", jobID, error: "reply_gap", message })

/** The warning logged once for a job whose reply crossed a reconnect (counts and times only). */
const gapWarning = (jobID: string, gap: ChatChunkNs.ReplyGap): string =>
  `Chat: the reply of job ${jobID} crossed ${gap.drops === 1 ? "a reconnect" : `${gap.drops} reconnects`} (first drop at ${
    new Date(gap.firstDropAt).toISOString()
  }); token frames the server sent while the socket was down are lost, so the reply may have a hole (${gap.tokenFrames} token frames arrived${
    gap.completionTokens !== undefined ? `, the server counted ${gap.completionTokens} completion tokens` : ""
  })`

/**
 * A chunk stream ended without its `Finish`: there is no completion to return.
 *
 * @since 0.1.0
 */
export const incomplete = (jobID: string | undefined, message: string): SogniChatJobError =>
  new SogniChatJobError({ reason: "Incomplete", jobID: jobID ?? "unknown", error: "incomplete_stream", message })

/** The job a chunk names, if any. */
const jobOf = (chunk: ChatChunk): string | undefined =>
  chunk._tag === "JobState" || chunk._tag === "Finish" ? chunk.jobID : undefined

/**
 * Folds a chunk stream into its completion; a stream that ends without `Finish` fails with
 * `SogniChatJobError { reason: "Incomplete" }`.
 *
 * @since 0.1.0
 */
export const foldCompletion = <E, R>(
  chunks: Stream.Stream<ChatChunk, E, R>
): Effect.Effect<ChatCompletion, E | SogniChatJobError, R> =>
  Effect.suspend(() => {
  let jobID: string | undefined
  return Effect.flatMap(
    Stream.runFold(chunks, emptyCollector, (c, chunk) => {
      jobID = jobOf(chunk) ?? jobID
      return collect(c, chunk)
    }),
    (c) => {
      const completion = toCompletion(c)
      return completion === undefined
        ? Effect.fail(incomplete(jobID, `the chat stream of job ${jobID ?? "unknown"} ended without its Finish chunk`))
        : Effect.succeed(completion)
    }
  )
  })

const stripFence = (text: string): string => {
  const m = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i.exec(text.trim())
  return m === null ? text.trim() : m[1]!.trim()
}

/**
 * Decodes a structured-output completion: the answer's text (a Markdown fence around it is tolerated) as
 * JSON, then with `schema`. Fails with `SogniChatOutputError` carrying the raw text (`InvalidJson` or
 * `SchemaMismatch`). Every provider's `completeObject` ends here.
 *
 * @since 0.2.0
 */
export const decodeObjectAnswer = <A, I, R>(
  completion: ChatCompletion,
  schema: Schema.Schema<A, I, R>
): Effect.Effect<ObjectCompletion<A>, SogniChatOutputError, R> => {
  const raw = completion.text
  return Effect.try({
    try: () => JSON.parse(stripFence(raw)) as unknown,
    catch: (e) =>
      new SogniChatOutputError({
        reason: "InvalidJson",
        jobID: completion.jobID,
        rawText: raw,
        message: `the answer is not JSON: ${e instanceof Error ? e.message : String(e)}`
      })
  }).pipe(
    Effect.flatMap((json) =>
      Schema.decodeUnknown(schema, { errors: "all" })(json).pipe(
        Effect.mapError((e) =>
          new SogniChatOutputError({
            reason: "SchemaMismatch",
            jobID: completion.jobID,
            rawText: raw,
            message: ParseIssues.format(e.issue)
          })
        )
      )
    ),
    Effect.map((value) => ({ ...completion, value }))
  )
}

const schemaName = (schema: Schema.Schema.Any, name: string | undefined): string => {
  if (name !== undefined) return name
  const id = Option.getOrUndefined(
    Option.orElse(
      SchemaAST.getIdentifierAnnotation(schema.ast),
      () => SchemaAST.getTitleAnnotation(schema.ast)
    )
  )
  const clean = id?.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64)
  return clean !== undefined && clean.length > 0 ? clean : "response"
}

/** The promise whose reactions queue a job's idle-clock stamps (see `startJob`). */
const settledPromise: Promise<void> = /* @__PURE__ */ Promise.resolve()

/**
 * A job buffer's batches as a channel: pull, write, repeat, until the buffer ends (or fails with its
 * error). Done-value `flatMap`s only, so the executor runs it as one loop.
 */
const pullLoop = (buffer: ChunkBuffer.ChunkBuffer): Channel.Channel<Chunk.Chunk<ChatChunk>, unknown, ChatError> => {
  const loop: Channel.Channel<Chunk.Chunk<ChatChunk>, unknown, ChatError> = Channel.flatMap(
    Channel.fromEffect(buffer.next),
    (batch) => batch === undefined ? Channel.void : Channel.flatMap(Channel.write(batch), () => loop)
  )
  return loop
}

/**
 * Builds the service; abandoned jobs are cancelled from the service's scope.
 *
 * @since 0.1.0
 */
export const make = (
  options: ChatOptions = {}
): Effect.Effect<
  ChatService,
  never,
  SogniSocket.SogniSocket | SogniRest.SogniRest | SogniConfig.SogniConfig | Scope.Scope
> =>
  Effect.gen(function*() {
    const socket = yield* SogniSocket.SogniSocket
    const rest = yield* SogniRest.SogniRest
    const settings = yield* SogniConfig.SogniConfig
    const background = yield* FiberSet.make()
    const runBackground = yield* FiberSet.runtime(background)<never>()
    const idleDefault = Duration.decode(options.idleTimeout ?? defaults.idleTimeout)
    const recoveryGrace = Duration.decode(options.recoveryGrace ?? defaults.recoveryGrace)
    const cancelTimeout = Duration.decode(options.cancelTimeout ?? defaults.cancelTimeout)
    const remoteImageTimeout = Duration.decode(options.remoteImageTimeout ?? defaults.remoteImageTimeout)
    const splitDefault = options.splitThinking ?? true
    const appSource = Option.getOrUndefined(settings.appSource)

    // an image for the model: bounded like any answer, not like a result download
    const fetchImage = (url: string) =>
      rest.getBytes(url, { timeout: remoteImageTimeout, maxBytes: settings.maxResponseBytes })

    // the list is the socket's latest push (core's LlmModels); `models` follows it
    const models = yield* LlmModels.follow(socket)
    const catalogWait = Duration.decode(options.modelCatalogWait ?? defaults.modelCatalogWait)
    // waited for once: a network that sends no list does not slow every request down
    let catalogWaited = false
    const modelInfo = (model: string): Effect.Effect<Option.Option<LlmModels.LlmModel>> =>
      Effect.gen(function*() {
        if (!(yield* LlmModels.known(socket)) && !catalogWaited) {
          catalogWaited = true
          yield* socket.connect
          yield* socket.latest.swarmLLMModels.changes.pipe(
            Stream.filter(Option.isSome),
            Stream.runHead,
            Effect.timeout(catalogWait),
            Effect.ignore
          )
        }
        const latest = yield* SubscriptionRef.get(socket.latest.swarmLLMModels)
        return Option.flatMap(latest, (payload) => Option.fromNullable(LlmModels.fromPayload(payload).find((m) => m.id === model)))
      })

    /**
     * Refuses a model the network's list does not hold (once a list is known), defaults `maxTokens`
     * from the model and refuses values above its maximum.
     */
    const withModelLimits = (request: ChatRequest.ChatRequest) =>
      Effect.gen(function*() {
        const info = yield* modelInfo(request.model)
        if (Option.isNone(info)) {
          const known = Option.match(yield* SubscriptionRef.get(socket.latest.swarmLLMModels), {
            onNone: () => [],
            onSome: LlmModels.fromPayload
          })
          if (known.length > 0) {
            return yield* Effect.fail(
              new SogniError.SogniInvalidRequest({
                field: "model",
                rule: "unknown",
                message: `${request.model} is not an LLM model of this network (known: ${
                  known.slice(0, 8).map((m) => m.id).join(", ")
                }${known.length > 8 ? ", …" : ""})`
              })
            )
          }
        }
        const limits = Option.isSome(info) ? info.value.maxOutputTokens : undefined
        if (limits === undefined) return request
        if (request.maxTokens === undefined) return { ...request, maxTokens: limits.default }
        if (request.maxTokens > limits.max) {
          return yield* Effect.fail(
            new SogniError.SogniInvalidRequest({
              field: "maxTokens",
              rule: "maximum",
              message: `maxTokens must be at most ${limits.max} for ${request.model} (got ${request.maxTokens})`
            })
          )
        }
        return request
      })

    /** Checks the request's shape, resolves remote images and builds the payload; nothing is sent. */
    const prepare = (request: ChatRequest.ChatRequest, stream: boolean | undefined) =>
      Effect.gen(function*() {
        // shape first: the model lookup and the image resolution below read its fields
        yield* ChatRequest.validateShape(request)
        const limited = yield* withModelLimits(request)
        const messages = yield* Vision.resolveRemoteImages(limited.messages ?? [], fetchImage)
        return yield* ChatRequest.build(
          messages === limited.messages ? limited : { ...limited, messages },
          { jobID: Protocol.makeId(), stream, appSource }
        )
      })

    /** Runs one built job as a stream of chunks. */
    const bufferSize = Math.max(2, Math.floor(options.streamBufferSize ?? defaults.streamBufferSize))
    // bounded: an infinite or huge interval would hold text back indefinitely
    const coalesceMillis = Math.min(
      maxStreamCoalesceMillis,
      Math.max(0, Duration.toMillis(Duration.decode(options.streamCoalesce ?? defaults.streamCoalesce)))
    )

    /**
     * Starts one built job in the current scope and returns its buffer: the socket's turn folds each
     * frame through the job's machine into a bounded {@link ChunkBuffer} (its overflow policy merges text
     * rather than dropping it; see `streamBufferSize`; text waits as bare strings), and the consumer
     * takes what waits (up to 1024) in one pull (a fiber through `take`, plain JS through `poll` /
     * `onReady`).
     */
    const startJob = (payload: ChatRequest.LLMJobRequestPayload, call: CallOptions | undefined) =>
      Effect.gen(function*() {
        const jobID = payload.jobID.toUpperCase()
        const clock = yield* Effect.clock
        const emit = ChunkBuffer.make(bufferSize, (waiting) =>
          new SogniChatJobError({
            reason: "BufferOverflow",
            jobID,
            error: "buffer_overflow",
            message: `the consumer of job ${jobID} fell ${waiting} chunks behind (streamBufferSize ${bufferSize})`
          }), coalesceMillis, () => clock.unsafeCurrentTimeMillis())
        // ends the buffer when the job's scope closes, which also clears a pending coalesced wake-up
        yield* Effect.addFinalizer(() => Effect.sync(emit.end))
        const idleMillis = Duration.toMillis(Duration.decode(call?.idleTimeout ?? idleDefault))
        let state = ChatJob.initial(jobID, {
          splitThinking: call?.splitThinking ?? splitDefault,
          jobStates: call?.jobStates
        })
        // set once the job needs no cancel: it ended, the server forgot it, or it was never sent
        let settled = false
        // set once the stream got its ending (end or failure); later endings are ignored
        let ended = false
        let frames = 0
        // reply gaps (`onReplyGap`): drops while the job was unfinished, the frame count at the first,
        // and the token frames with text or tool-call data (evidence for the `ReplyGap`)
        const failOnGap = call?.onReplyGap === "fail"
        let drops = 0
        let firstDropAt = 0
        let framesAtFirstDrop = 0
        let tokenFrames = 0
        let lastFrameAt = clock.unsafeCurrentTimeMillis()
        // the idle clock is read once per socket turn, not once per frame: the first frame of a turn
        // queues a microtask that stamps the time when the turn's frames are all handled (a turn of a
        // fast stream carries hundreds of token frames; the stamp is at most that turn's length late).
        // The microtask is a reaction of a settled promise: Node's `queueMicrotask` also makes an
        // `AsyncResource` and a bound function per call, and a paced stream has a turn every few frames
        let stamping = false
        const stamp = () => {
          stamping = false
          lastFrameAt = clock.unsafeCurrentTimeMillis()
        }

        const finishWith = (error: ChatError) => {
          if (ended) return
          ended = true
          emit.fail(error)
        }

        yield* socket.routeWith(jobID, (event) => {
          if (ended) return
          frames++
          if (!stamping) {
            stamping = true
            settledPromise.then(stamp)
          }
          if (event.type === "jobTokens") {
            const t = event.payload
            if ((t.content !== undefined && t.content !== null && t.content.length > 0) || t.tool_calls !== undefined) tokenFrames++
          } else if (drops > 0 && event.type === "llmJobResult") {
            state = ChatJob.withGap(state, { drops, firstDropAt, tokenFrames })
          }
          state = ChatJob.feed(state, event, emit.offer, emit.offerText)
          const ending = state.ending
          if (ending !== undefined && !ended) {
            settled = true
            ended = true
            if (ending._tag === "Completed") emit.end()
            else emit.fail(ending.error)
          }
        })

        yield* Effect.addFinalizer(() =>
          settled
            ? Effect.void
            : Effect.sync(() => {
              settled = true
              runBackground(
                socket.send({ type: "llmJobCancel", payload: { jobID } }).pipe(
                  Effect.timeout(cancelTimeout),
                  Effect.catchAllCause((cause) => Effect.logDebug("Chat: llmJobCancel not sent", cause))
                )
              )
            })
        )

        // once per job: a reply that went on after a drop may have a hole (`onReplyGap: "mark"`); a job
        // the drop failed (or that `"fail"` ended) says so in its error instead
        yield* Effect.addFinalizer(() => {
          if (drops === 0 || frames === framesAtFirstDrop || failOnGap) return Effect.void
          const gap = state.gap ?? {
            reason: "Reconnected" as const,
            drops,
            firstDropAt,
            tokenFrames,
            completionTokens: state.acc.usage?.completion_tokens
          }
          return Effect.logWarning(gapWarning(jobID, gap))
        })

        yield* socket.send({ type: "llmJobRequest", payload }).pipe(
          Effect.tapError(() => Effect.sync(() => (settled = true)))
        )

        // idle watchdog: measured from the request, reset by every frame of the job
        yield* Effect.forkScoped(Effect.gen(function*() {
          while (true) {
            const due = lastFrameAt + idleMillis - clock.unsafeCurrentTimeMillis()
            if (due <= 0) {
              if (!ended) {
                finishWith(
                  new SogniChatJobError({
                    reason: "IdleTimeout",
                    jobID,
                    error: "idle_timeout",
                    message: `no frame for job ${jobID} within ${Duration.format(Duration.millis(idleMillis))}`
                  })
                )
              }
              return
            }
            yield* Effect.sleep(Duration.millis(due))
          }
        }))

        // transport watchdog (chat.md §7)
        let dropped = false
        // the socket left `Authenticated` while the job was unfinished: frames sent meanwhile are lost
        const noteDrop = () => {
          dropped = true
          if (ended) return
          if (drops === 0) {
            firstDropAt = clock.unsafeCurrentTimeMillis()
            framesAtFirstDrop = frames
          }
          drops++
          if (failOnGap) {
            finishWith(replyGap(
              jobID,
              `the socket dropped while job ${jobID} was unfinished: frames sent before the reconnect are lost, and the call asked to fail such a job (onReplyGap: "fail")`
            ))
          }
        }
        const checkRecovered = Effect.gen(function*() {
          const auth = yield* SubscriptionRef.get(socket.authenticated)
          const ids = Option.isSome(auth) ? auth.value.activeLLMJobIDs : undefined
          if (ids === undefined) {
            const seen = frames
            yield* Effect.forkScoped(
              Effect.sleep(recoveryGrace).pipe(
                Effect.zipRight(Effect.sync(() => {
                  if (frames === seen && !ended) {
                    settled = true
                    finishWith(lost(jobID, `job ${jobID} showed no sign of life within the recovery grace after a reconnect`))
                  }
                }))
              )
            )
          } else if (!ids.some((id) => id.toUpperCase() === jobID)) {
            settled = true
            finishWith(lost(jobID, `the server no longer knows job ${jobID} after a reconnect`))
          }
        })
        yield* Effect.forkScoped(
          socket.status.changes.pipe(
            Stream.runForEach((status) => {
              switch (status._tag) {
                case "Authenticated": {
                  if (!dropped) return Effect.void
                  dropped = false
                  return checkRecovered
                }
                case "Closed":
                  return Effect.sync(() => {
                    settled = true
                    finishWith(
                      lost(
                        jobID,
                        `the connection ended for good${
                          Option.isSome(status.error) ? `: ${status.error.value.message}` : ""
                        }`
                      )
                    )
                  })
                case "Idle":
                  // a normal close: reconnect so the server can rebind the job (it waits 30 s)
                  if (!dropped) noteDrop()
                  return socket.connect
                default:
                  if (!dropped) noteDrop()
                  return Effect.void
              }
            })
          )
        )
        return emit
      })

    const open = (request: ChatRequest.ChatRequest, call: CallOptions | undefined, flag: boolean | undefined) =>
      Effect.flatMap(prepare(request, flag), (payload) => startJob(payload, call))

    // One channel: the job's scope around a loop of pulls. `Stream.unwrapScoped` (or `unwrap`) would run
    // the pull loop as a stream inside a stream (`flatMap`), and every batch would pass the outer
    // executor's sub-executor hop as well (and allocate its bookkeeping).
    const stream = (
      request: ChatRequest.ChatRequest,
      call: CallOptions | undefined,
      flag: boolean | undefined
    ): Stream.Stream<ChatChunk, ChatError> =>
      Stream.fromChannel(
        Channel.acquireUseRelease(
          Scope.make(),
          (scope) => Channel.flatMap(Channel.fromEffect(Scope.extend(open(request, call, flag), scope)), pullLoop),
          (scope, exit) => Scope.close(scope, exit)
        )
      )

    const complete = (request: ChatRequest.ChatRequest, call?: CallOptions) =>
      foldCompletion(stream(request, call, undefined)).pipe(
        Effect.withSpan("Chat.complete", { attributes: { model: modelOf(request) } })
      )

    const completeObject = <A, I, R>(
      request: ChatRequest.ChatRequest,
      schema: Schema.Schema<A, I, R>,
      call?: ObjectOptions
    ): Effect.Effect<ObjectCompletion<A>, ChatError | SogniChatOutputError, R> =>
      Effect.gen(function*() {
        yield* ChatRequest.validateShape(request)
        const jsonSchema = Tool.jsonSchemaOf(schema)
        const completion = yield* complete({
          ...request,
          responseFormat: {
            type: "json_schema",
            json_schema: {
              name: schemaName(schema, call?.name),
              schema: jsonSchema,
              strict: true,
              ...(call?.description !== undefined ? { description: call.description } : {})
            }
          }
        }, call)
        return yield* decodeObjectAnswer(completion, schema)
      }).pipe(Effect.withSpan("Chat.completeObject", { attributes: { model: modelOf(request) } }))

    const streamRounds = <R>(
      request: ChatRequest.ChatRequest,
      kit: Tool.Toolkit<R>,
      call: ToolOptions | undefined,
      streaming: boolean
    ): Stream.Stream<ToolStreamChunk, ChatError | SogniToolCallError, R> => {
      const maxRounds = call?.maxToolRounds ?? defaults.maxToolRounds
      const concurrency = call?.concurrency ?? defaults.toolConcurrency
      const onHandlerError = call?.onHandlerError ?? "return"
      const shape = ChatRequest.validateShape(request)
      if (Either.isLeft(shape)) return Stream.fail(shape.left)
      if (!Number.isInteger(maxRounds) || maxRounds < 1) {
        return Stream.fail(
          new SogniError.SogniInvalidRequest({
            field: "maxToolRounds",
            rule: "minimum",
            message: `maxToolRounds must be an integer of at least 1 (got ${maxRounds})`
          })
        )
      }
      const badNames = Tool.invalidNames(kit)
      if (badNames.length > 0) {
        return Stream.fail(
          new SogniError.SogniInvalidRequest({
            field: `toolkit.${badNames[0]}`,
            rule: "pattern",
            message: `tool names must match ${ChatRequest.toolNamePattern.source}`
          })
        )
      }
      const tools = [
        ...(request.tools ?? []).filter((t) => !kit.tools.has(t.function.name)),
        ...kit.definitions
      ]
      const round = (
        messages: ReadonlyArray<ChatRequest.ChatMessage>,
        n: number
      ): Stream.Stream<ToolStreamChunk, ChatError | SogniToolCallError, R> =>
        Stream.suspend(() => {
          let collector = emptyCollector
          const model = stream({ ...request, messages, tools }, call, streaming).pipe(
            Stream.tap((chunk) => Effect.sync(() => (collector = collect(collector, chunk))))
          )
          const next = Stream.unwrap(Effect.sync((): Stream.Stream<ToolStreamChunk, SogniToolCallError | ChatError, R> => {
            const finish = collector.finish
            if (finish === undefined || finish.finishReason !== "tool_calls" || finish.toolCalls.length === 0) {
              return Stream.empty
            }
            const calls = finish.toolCalls
            // arguments that may have a hole are never handed to a tool
            if (finish.gap !== undefined) {
              return Stream.fail(replyGap(
                finish.jobID,
                `the reply of round ${n} (job ${finish.jobID}) crossed a reconnect: its tool calls' arguments may have a hole, so its tools were not run`
              ))
            }
            const results = new Map<string, Tool.Resolution>()
            const announced = Stream.fromIterable(calls.map((c) => ToolEvent.ToolCall({ round: n, call: c })))
            const resolved = Stream.fromIterable(calls).pipe(
              Stream.mapEffect((c) => Tool.resolve(kit, c, onHandlerError), { concurrency, unordered: true }),
              Stream.map((r) => {
                results.set(r.call.id, r)
                return ToolEvent.ToolResult({
                  round: n,
                  toolCallId: r.call.id,
                  name: r.call.function.name,
                  content: r.content,
                  error: r.error
                })
              })
            )
            // like the official client: the tools of the last allowed round still run, then the loop gives up
            const continued = n + 1 >= maxRounds
              ? Stream.fail(
                new SogniToolCallError({
                  reason: "MaxRoundsExceeded",
                  message: `the model still asked for tools after ${maxRounds} rounds`
                })
              )
              : Stream.suspend(() =>
                round([
                  ...messages,
                  { role: "assistant", content: collector.text.length > 0 ? collector.text : null, tool_calls: calls },
                  ...calls.map((c): ChatRequest.ChatMessage => ({
                    role: "tool",
                    content: results.get(c.id)?.content ?? Tool.failureContent("no result"),
                    tool_call_id: c.id,
                    name: c.function.name
                  }))
                ], n + 1)
              )
            return Stream.concat(Stream.concat(announced, resolved), continued)
          }))
          return Stream.concat(model, next)
        })
      return round(request.messages, 0)
    }

    const completeWithTools = <R>(
      request: ChatRequest.ChatRequest,
      kit: Tool.Toolkit<R>,
      call?: ToolOptions
    ): Effect.Effect<ToolCompletion, ChatError | SogniToolCallError, R> =>
      Effect.gen(function*() {
        interface Fold {
          readonly current: typeof emptyCollector
          readonly rounds: ReadonlyArray<ToolRound>
          readonly pending: ToolRound | undefined
        }
        const folded = yield* Stream.runFold(
          streamRounds(request, kit, call, false),
          { current: emptyCollector, rounds: [], pending: undefined } as Fold,
          (f, chunk): Fold => {
            switch (chunk._tag) {
              case "ToolCall":
                if (f.pending !== undefined) return f
                return {
                  current: emptyCollector,
                  rounds: f.rounds,
                  pending: { round: chunk.round, completion: toCompletion(f.current)!, toolResults: [] }
                }
              case "ToolResult":
                return f.pending === undefined ? f : {
                  ...f,
                  pending: { ...f.pending, toolResults: [...f.pending.toolResults, chunk] }
                }
              default: {
                const rounds = f.pending !== undefined ? [...f.rounds, f.pending] : f.rounds
                return { current: collect(f.current, chunk), rounds, pending: undefined }
              }
            }
          }
        )
        const final = toCompletion(folded.current)
        if (final === undefined) {
          const last = folded.pending?.completion.jobID ?? folded.rounds.at(-1)?.completion.jobID
          return yield* Effect.fail(incomplete(last, "a tool run ended without a final answer"))
        }
        const messages: Array<ChatRequest.ChatMessage> = [...request.messages]
        for (const r of folded.rounds) {
          const byId = new Map(r.toolResults.map((t) => [t.toolCallId, t]))
          messages.push({
            role: "assistant",
            content: r.completion.text.length > 0 ? r.completion.text : null,
            tool_calls: r.completion.toolCalls
          })
          for (const c of r.completion.toolCalls) {
            messages.push({ role: "tool", content: byId.get(c.id)?.content ?? "", tool_call_id: c.id, name: c.function.name })
          }
        }
        messages.push({ role: "assistant", content: final.text })
        return { ...final, rounds: folded.rounds, messages }
      }).pipe(Effect.withSpan("Chat.completeWithTools", { attributes: { model: modelOf(request) } }))

    return {
      stream: (request, call) => stream(request, call, true),
      batches: (request, call) => open(request, call, true),
      complete,
      completeObject,
      streamWithTools: (request, kit, call) => streamRounds(request, kit, call, true),
      completeWithTools,
      models,
      modelInfo
    } satisfies ChatService
  })

/**
 * The chat service over core's socket, REST (remote vision images) and settings.
 *
 * @since 0.1.0
 */
export const layer = (
  options?: ChatOptions
): Layer.Layer<Chat, never, SogniSocket.SogniSocket | SogniRest.SogniRest | SogniConfig.SogniConfig> =>
  Layer.scoped(Chat, make(options))

// ---------------------------------------------------------------------------------------------
// Accessors
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export const stream = (
  request: ChatRequest.ChatRequest,
  options?: CallOptions
): Stream.Stream<ChatChunk, ChatError, Chat> =>
  // `Channel.unwrap`, not `Stream.unwrap`: the service's stream runs as this stream's own channel rather
  // than as an inner stream that every batch is forwarded from
  Stream.fromChannel(Channel.unwrap(Effect.map(Chat, (c) => Stream.toChannel(c.stream(request, options)))))

/** @since 0.1.0 */
export const complete = (
  request: ChatRequest.ChatRequest,
  options?: CallOptions
): Effect.Effect<ChatCompletion, ChatError, Chat> => Effect.flatMap(Chat, (c) => c.complete(request, options))

/** @since 0.1.0 */
export const completeObject = <A, I, R>(
  request: ChatRequest.ChatRequest,
  schema: Schema.Schema<A, I, R>,
  options?: ObjectOptions
): Effect.Effect<ObjectCompletion<A>, ChatError | SogniChatOutputError, Chat | R> =>
  Effect.flatMap(Chat, (c) => c.completeObject(request, schema, options))

/** @since 0.1.0 */
export const streamWithTools = <R>(
  request: ChatRequest.ChatRequest,
  toolkit: Tool.Toolkit<R>,
  options?: ToolOptions
): Stream.Stream<ToolStreamChunk, ChatError | SogniToolCallError, Chat | R> =>
  Stream.unwrap(Effect.map(Chat, (c) => c.streamWithTools(request, toolkit, options)))

/** @since 0.1.0 */
export const completeWithTools = <R>(
  request: ChatRequest.ChatRequest,
  toolkit: Tool.Toolkit<R>,
  options?: ToolOptions
): Effect.Effect<ToolCompletion, ChatError | SogniToolCallError, Chat | R> =>
  Effect.flatMap(Chat, (c) => c.completeWithTools(request, toolkit, options))
