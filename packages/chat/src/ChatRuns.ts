/**
 * Durable chat runs (chat.md §15): `create`, `get`, `cancel`, `confirmCost`, and {@link ChatRunsService.events},
 * a `Stream` of the run's events over SSE that survives dropped connections (core's `Sse.resumable`: it
 * reconnects with `Last-Event-ID` set to the last sequence it delivered, core's retry policy paces the
 * attempts and any frame heard renews the budget), drops anything it already delivered, absorbs
 * heartbeats and `run_status` snapshots, and ends after the terminal event (`run_completed`,
 * `run_partial_failure`, `run_failed`, `run_cancelled`). Every event arrives exactly once, in order. An
 * answer that is not events (a 200 with a JSON error body, a proxy's HTML page) fails the stream at once
 * with the error it says (`SogniHostedChatError`) or a `SogniDecodeError` naming its content type; a call
 * answered 200 with an error body instead of the run fails with that `SogniHostedChatError` too.
 * Requests go through core's `SogniRest` (credentials, timeouts, retries, error mapping); chat error
 * bodies become `SogniHostedChatError`.
 *
 * Requests are camelCase and go out snake_case as §15.1 lists (the inner keys of `mediaContext` and
 * `runtimeConfig` stay camelCase, as on the wire). Media must be `http(s)` URLs; anything else is a
 * `SogniInvalidRequest` naming every offending path. A 401 here does not clear the credential.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { ChatRuns } from "@effect-sogni/chat"
 *
 * const program = Effect.gen(function*() {
 *   const { run } = yield* ChatRuns.create({ messages: [{ role: "user", content: "Make a poster" }] })
 *   yield* ChatRuns.events(run.runId).pipe(Stream.runForEach((e) => Effect.log(e.sequence, e.type)))
 *   return yield* ChatRuns.get(run.runId)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as AnswerKind from "@effect-sogni/core/AnswerKind"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as RetryPolicy from "@effect-sogni/core/RetryPolicy"
import type * as SogniAuth from "@effect-sogni/core/SogniAuth"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Sse from "@effect-sogni/core/Sse"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ChatMessage, ToolChoice, ToolDefinition } from "./ChatRequest.js"
import { fromApiError, fromSuccessBody, type HostedError } from "./HostedChatError.js"
import * as Refusal from "./internal/refusal.js"

// ---------------------------------------------------------------------------------------------------
// Model

/** @since 0.1.0 */
export const ChatRunStatus = Protocol.ChatRunStatus
/** @since 0.1.0 */
export type ChatRunStatus = Protocol.ChatRunStatus

/** Statuses a run never leaves. @since 0.1.0 */
export const terminalStatuses: ReadonlySet<ChatRunStatus> = Protocol.chatRunTerminalStatuses

/** Event types that end a run's stream. @since 0.1.0 */
export const terminalEventTypes: ReadonlySet<string> = Protocol.chatRunTerminalEvents

const Opaque = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** One run event (`sequence` strictly increasing per run). @since 0.1.0 */
export const ChatRunEvent = Schema.Struct({
  sequence: Schema.Int,
  type: Schema.String,
  at: Schema.String,
  payload: Schema.optional(Opaque)
})
/** @since 0.1.0 */
export type ChatRunEvent = typeof ChatRunEvent.Type

/** The cost preview to show the user and hand back unchanged to confirm. @since 0.1.0 */
export const CostApprovalPreview = Schema.Struct(
  {
    totalEstimatedCapacityUnits: Schema.Number,
    tokenType: Schema.String,
    validityUntil: Schema.String,
    perToolBreakdown: Schema.optional(Schema.Array(Schema.Struct({
      toolCallId: Schema.String,
      toolName: Schema.String,
      capacityUnits: Schema.Number
    })))
  },
  { key: Schema.String, value: Schema.Unknown }
)
/** @since 0.1.0 */
export type CostApprovalPreview = typeof CostApprovalPreview.Type

const MediaList = Schema.Array(Schema.String)

/** The run record (chat.md §15.2); fields beyond these are kept. @since 0.1.0 */
export const ChatRunRecord = Schema.Struct(
  {
    runId: Schema.String,
    status: ChatRunStatus,
    schemaVersion: Schema.String,
    scope: Schema.Struct(
      { ownerWalletAddress: Schema.String, tokenType: Schema.optional(Schema.String), appSource: Schema.optional(Schema.String) },
      { key: Schema.String, value: Schema.Unknown }
    ),
    request: Opaque,
    messages: Schema.Array(Schema.Unknown),
    toolCalls: Schema.Array(Opaque),
    toolResults: Schema.Array(Opaque),
    mediaContext: Schema.Struct(
      { images: MediaList, videos: MediaList, audio: MediaList },
      { key: Schema.String, value: Schema.Unknown }
    ),
    artifacts: Schema.Array(Schema.Unknown),
    events: Schema.optional(Schema.Array(ChatRunEvent)),
    finalResponse: Schema.optional(Schema.Struct({
      content: Schema.optional(Schema.String),
      finishReason: Schema.optional(Schema.String)
    })),
    waiting: Schema.optional(Schema.Struct({
      reason: Schema.String,
      message: Schema.optional(Schema.String),
      details: Schema.optional(Schema.Struct(
        {
          toolCallId: Schema.optional(Schema.String),
          pendingToolCallIds: Schema.optional(Schema.Array(Schema.String)),
          costApprovalPreview: Schema.optional(CostApprovalPreview)
        },
        { key: Schema.String, value: Schema.Unknown }
      ))
    })),
    failureReason: Schema.optional(Schema.String),
    cancellationReason: Schema.optional(Schema.String),
    timestamps: Protocol.ChatRunTimestamps
  },
  { key: Schema.String, value: Schema.Unknown }
)
/** @since 0.1.0 */
export type ChatRunRecord = typeof ChatRunRecord.Type

/** Media context of a run (inner keys camelCase on the wire). @since 0.1.0 */
export interface MediaContextInput {
  readonly images: ReadonlyArray<string>
  readonly videos: ReadonlyArray<string>
  readonly audio: ReadonlyArray<string>
  readonly uploadedImages?: ReadonlyArray<string> | undefined
  readonly uploadedVideos?: ReadonlyArray<string> | undefined
  readonly uploadedAudio?: ReadonlyArray<string> | undefined
}

/** A media reference: an uploaded `http(s)` URL and its type. @since 0.1.0 */
export interface MediaReference {
  readonly url: string
  readonly type?: string | undefined
  readonly [k: string]: unknown
}

/**
 * What `create` sends (chat.md §15.1).
 *
 * @since 0.1.0
 */
export interface CreateRunRequest {
  readonly messages: ReadonlyArray<ChatMessage>
  readonly tools?: ReadonlyArray<ToolDefinition> | undefined
  readonly toolChoice?: ToolChoice | undefined
  readonly model?: string | undefined
  readonly sampling?: Readonly<Record<string, unknown>> | undefined
  readonly mediaReferences?: ReadonlyArray<MediaReference> | undefined
  readonly mediaContext?: MediaContextInput | undefined
  readonly maxEstimatedCapacityUnits?: number | undefined
  readonly confirmCost?: boolean | undefined
  readonly sessionId?: string | undefined
  readonly clientMessageId?: string | undefined
  readonly tokenType?: "sogni" | "spark" | undefined
  readonly billingMode?: "auto" | "subscription" | "tokens" | undefined
  readonly appSource?: string | undefined
  readonly runtimeConfig?: {
    readonly qualityTier?: "fast" | "hq" | "pro" | undefined
    readonly safeContentFilter?: boolean | undefined
    readonly personaNames?: ReadonlyArray<string> | undefined
    readonly requireJobConfirmation?: boolean | undefined
    readonly jobConfirmationThresholdUsd?: number | undefined
  } | undefined
  /** Sent as `Idempotency-Key`: the same key returns the same run (`idempotent: true`). */
  readonly idempotencyKey?: string | undefined
}

/** A created run. @since 0.1.0 */
export interface CreatedRun {
  readonly run: ChatRunRecord
  /** The key named a run that already existed. */
  readonly idempotent: boolean
}

/** A cost decision (chat.md §15.4). @since 0.1.0 */
export interface ConfirmCostRequest {
  readonly toolCallId: string
  readonly decision: "confirm" | "cancel"
  /** Required to confirm: the preview the user approved, unchanged. */
  readonly acceptedCostPreview?: CostApprovalPreview | undefined
  readonly overrides?: Readonly<Record<string, unknown>> | undefined
  readonly reason?: string | undefined
  readonly idempotencyKey?: string | undefined
}

/** Options of {@link ChatRunsService.events}. @since 0.1.0 */
export interface EventsOptions {
  /** Deliver only events after this sequence (a resume point from an earlier stream). */
  readonly lastEventId?: number | undefined
  /** A connection that sends nothing (not even a heartbeat) for this long counts as dropped (default 60 s). */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /**
   * Drops in a row before failing (default: core's `restRetries`, at least 5); a connection on which any
   * frame arrived (a heartbeat too) starts the count again.
   */
  readonly maxReconnects?: number | undefined
  /** Drops that keep coming without a new event fail the stream after this long (default 10 minutes). */
  readonly reconnectWindow?: Duration.DurationInput | undefined
}

/** Everything a run call can fail with. @since 0.1.0 */
export type ChatRunsError = HostedError

/** @since 0.1.0 */
export interface ChatRunsService {
  readonly create: (request: CreateRunRequest) => Effect.Effect<CreatedRun, ChatRunsError>
  readonly get: (runId: string) => Effect.Effect<ChatRunRecord, ChatRunsError>
  readonly cancel: (runId: string, reason?: string) => Effect.Effect<ChatRunRecord, ChatRunsError>
  readonly confirmCost: (runId: string, request: ConfirmCostRequest) => Effect.Effect<ChatRunRecord, ChatRunsError>
  /** The run's events from `lastEventId` (default: the start) to the terminal event, resuming across drops. */
  readonly events: (runId: string, options?: EventsOptions) => Stream.Stream<ChatRunEvent, ChatRunsError>
}

/** @since 0.1.0 */
export class ChatRuns extends Context.Tag("@effect-sogni/chat/ChatRuns")<ChatRuns, ChatRunsService>() {}

// ---------------------------------------------------------------------------------------------------
// Wire

const defined = (o: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out
}

const HTTP_URL = /^https?:\/\/[^\s]+$/i

const invalid = (field: string, rule: string, message: string) => new SogniError.SogniInvalidRequest({ field, rule, message })

/**
 * The media rule of §15.1: every `image_url.url` of the messages, every media reference URL and every
 * media context entry is an `http(s)` URL, and no reference carries inline data. The error lists every
 * offending path.
 *
 * @since 0.1.0
 */
export const checkMedia = (request: CreateRunRequest): Either.Either<void, SogniError.SogniInvalidRequest> => {
  const bad: string[] = []
  const check = (path: string, url: unknown) => {
    if (typeof url !== "string" || !HTTP_URL.test(url)) bad.push(path)
  }
  request.messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return
    ;(m.content as ReadonlyArray<{ type: string; image_url?: { url?: unknown } }>).forEach((p, j) => {
      if (p.type === "image_url") check(`messages[${i}].content[${j}].image_url.url`, p.image_url?.url)
    })
  })
  ;(request.mediaReferences ?? []).forEach((r, i) => {
    check(`mediaReferences[${i}].url`, r.url)
    for (const key of ["dataUri", "data_uri"]) {
      const v = r[key]
      if (typeof v === "string" && v.length > 0) bad.push(`mediaReferences[${i}].${key}`)
    }
  })
  const ctx = request.mediaContext
  if (ctx !== undefined) {
    for (const key of ["images", "videos", "audio", "uploadedImages", "uploadedVideos", "uploadedAudio"] as const) {
      ;(ctx[key] ?? []).forEach((u, i) => check(`mediaContext.${key}[${i}]`, u))
    }
  }
  return bad.length === 0
    ? Either.void
    : Either.left(invalid(bad[0]!, "http-url", `media must be uploaded http(s) URLs; offending paths: ${bad.join(", ")}`))
}

/**
 * The create body of §15.1 (validated: messages, media rule, numbers).
 *
 * @since 0.1.0
 */
export const createBody = (
  request: CreateRunRequest,
  appSource?: string | undefined
): Either.Either<Record<string, unknown>, SogniError.SogniInvalidRequest> => {
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    return Either.left(invalid("messages", "min-items", "messages must hold at least one message"))
  }
  const units = request.maxEstimatedCapacityUnits
  if (units !== undefined && !(Number.isFinite(units) && units >= 0)) {
    return Either.left(invalid("maxEstimatedCapacityUnits", "minimum", "maxEstimatedCapacityUnits must be a finite number ≥ 0"))
  }
  const threshold = request.runtimeConfig?.jobConfirmationThresholdUsd
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold >= 0)) {
    return Either.left(invalid("runtimeConfig.jobConfirmationThresholdUsd", "minimum", "jobConfirmationThresholdUsd must be a finite number ≥ 0"))
  }
  return Either.map(checkMedia(request), () =>
    defined({
      messages: request.messages,
      tools: request.tools,
      tool_choice: request.toolChoice,
      model: request.model,
      sampling: request.sampling,
      media_references: request.mediaReferences,
      media_context: request.mediaContext,
      max_estimated_capacity_units: units,
      confirm_cost: request.confirmCost,
      session_id: request.sessionId,
      client_message_id: request.clientMessageId,
      token_type: request.tokenType,
      billing_mode: request.billingMode,
      app_source: request.appSource ?? appSource,
      runtime_config: request.runtimeConfig === undefined ? undefined : defined({ ...request.runtimeConfig })
    }))
}

const RunData = Schema.Struct({ data: Schema.Struct({ run: ChatRunRecord, idempotent: Schema.optional(Schema.Boolean) }) })

/** The run, or (a 200 that says it failed) the error its body says. */
const RunAnswer = Refusal.orRefused(RunData)

const runPath = (runId: string) => `/v1/chat/runs/${encodeURIComponent(runId)}`

const checkRunId = (runId: string) =>
  typeof runId === "string" && runId.length > 0
    ? Effect.void
    : Effect.fail(invalid("runId", "required", "runId must be a non-empty string"))

/** Frames that carry run events: not a comment-led block (chat.md §15.3), not a `run_status` snapshot. */
const isRunEvent = (frame: Sse.Frame): boolean =>
  frame.data !== undefined && !frame.leadingComment && frame.event !== "run_status"

/**
 * Builds the service on core's `SogniRest`.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<ChatRunsService, never, SogniRest.SogniRest | SogniConfig.SogniConfig> =
  Effect.gen(function*() {
    const rest = yield* SogniRest.SogniRest
    const settings = yield* SogniConfig.SogniConfig
    const policy = RetryPolicy.fromSettings(settings)
    const appSource = Option.getOrUndefined(settings.appSource)
    // a 401 here leaves the credential alone (chat.md §15.5)
    const keep = { body: "raw", invalidateOn401: false } as const
    const record = (call: Effect.Effect<typeof RunAnswer.Type, SogniRest.RestError>) =>
      call.pipe(Effect.mapError(fromApiError), Effect.flatMap(Refusal.unrefused), Effect.map((b) => b.data.run))

    /**
     * One connection of a run's event stream: its bytes when the answer is events. A 200 that is not (a
     * JSON error body, a proxy's HTML page) fails at once and is not resumed: a JSON error is the
     * `SogniHostedChatError` it says, anything else a `SogniDecodeError` naming what came.
     */
    const connect = (runId: string, after: number): Stream.Stream<Uint8Array, ChatRunsError> => {
      const path = `${runPath(runId)}/events/stream`
      let contentType: string | undefined
      const bytes = rest.stream("rest", path, {
        ...keep,
        retry: false,
        headers: after > 0 ? { "last-event-id": String(after) } : {},
        onHeaders: (headers) => Effect.sync(() => void (contentType = headers["content-type"]))
      })
      return AnswerKind.eventsOnly(bytes, () => contentType, {
        what: `the event stream of ${runId}`,
        source: `GET ${path}`,
        maxBytes: settings.maxResponseBytes,
        onJson: (json) => fromSuccessBody(200, json)
      }).pipe(Stream.mapError(fromApiError))
    }

    const events = (runId: string, options: EventsOptions): Stream.Stream<ChatRunEvent, ChatRunsError> =>
      Sse.resumable({
        label: `chat run ${runId}`,
        cursor: options.lastEventId ?? 0,
        open: (after) => connect(runId, after),
        schema: ChatRunEvent,
        accept: isRunEvent,
        advance: (after, event) => (event.sequence > after ? Option.some(event.sequence) : Option.none()),
        isTerminal: (event) => terminalEventTypes.has(event.type),
        giveUp: ({ cause, message }): ChatRunsError =>
          cause._tag !== "Dropped" ? cause : cause.kind === "TooLarge"
          ? new SogniError.SogniDecodeError({ reason: "TooLarge", message })
          : cause.kind === "Idle"
          ? new SogniError.SogniTransportError({ reason: "Timeout", message: `the event stream of ${runId} went silent` })
          : new SogniError.SogniTransportError({
            reason: "Closed",
            message: `the event stream of ${runId} ended before its terminal event`
          }),
        settings: Sse.settings(
          { ...policy, retries: options.maxReconnects ?? Math.max(5, settings.restRetries) },
          { idleTimeout: options.idleTimeout, reconnectWindow: options.reconnectWindow, maxEventBytes: settings.maxResponseBytes }
        )
      })

    return {
      create: (request) =>
        Effect.gen(function*() {
          const body = yield* createBody(request, appSource)
          const { data } = yield* rest.post("rest", "/v1/chat/runs", body, RunAnswer, {
            ...keep,
            idempotencyKey: request.idempotencyKey
          }).pipe(Effect.mapError(fromApiError), Effect.flatMap(Refusal.unrefused))
          return { run: data.run, idempotent: data.idempotent === true }
        }),
      get: (runId) => Effect.zipRight(checkRunId(runId), record(rest.get("rest", runPath(runId), RunAnswer, keep))),
      cancel: (runId, reason) =>
        Effect.zipRight(
          checkRunId(runId),
          record(rest.post("rest", `${runPath(runId)}/cancel`, reason === undefined ? {} : { reason }, RunAnswer, keep))
        ),
      confirmCost: (runId, request) =>
        Effect.gen(function*() {
          yield* checkRunId(runId)
          if (typeof request.toolCallId !== "string" || request.toolCallId.length === 0) {
            return yield* invalid("toolCallId", "required", "toolCallId must be a non-empty string")
          }
          if (request.decision !== "confirm" && request.decision !== "cancel") {
            return yield* invalid("decision", "allowed-values", "decision must be confirm or cancel")
          }
          if (request.decision === "confirm" && request.acceptedCostPreview === undefined) {
            return yield* invalid("acceptedCostPreview", "required", "confirming needs the preview the user accepted")
          }
          const body = defined({
            tool_call_id: request.toolCallId,
            decision: request.decision,
            acceptedCostPreview: request.acceptedCostPreview,
            overrides: request.overrides,
            reason: request.reason
          })
          return yield* record(rest.post("rest", `${runPath(runId)}/confirm-cost`, body, RunAnswer, {
            ...keep,
            idempotencyKey: request.idempotencyKey
          }))
        }),
      events: (runId, options = {}) => {
        const last = options.lastEventId
        if (last !== undefined && !(Number.isInteger(last) && last >= 0)) {
          return Stream.fail(invalid("lastEventId", "integer", "lastEventId must be a non-negative integer"))
        }
        if (typeof runId !== "string" || runId.length === 0) return Stream.fail(invalid("runId", "required", "runId must be a non-empty string"))
        return events(runId, options)
      }
    }
  })

/**
 * The service on a given `SogniRest` (shares its credential and HTTP client).
 *
 * @since 0.2.0
 */
export const layerRest: Layer.Layer<ChatRuns, never, SogniRest.SogniRest | SogniConfig.SogniConfig> = Layer.effect(ChatRuns, make)

const restLayers = SogniRest.layersOn(layerRest)

/**
 * The service over a given `HttpClient`.
 *
 * @since 0.1.0
 */
export const layerWithHttpClient: Layer.Layer<ChatRuns, never, HttpClient.HttpClient | SogniAuth.SogniAuth | SogniConfig.SogniConfig> =
  restLayers.layerWithHttpClient

/**
 * The service over `fetch`; needs core's `SogniAuth` and `SogniConfig` (e.g. from `Sogni.layer`).
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<ChatRuns, never, SogniAuth.SogniAuth | SogniConfig.SogniConfig> = restLayers.layer

/** @since 0.1.0 */
export const create = (request: CreateRunRequest): Effect.Effect<CreatedRun, ChatRunsError, ChatRuns> =>
  Effect.flatMap(ChatRuns, (s) => s.create(request))

/** @since 0.1.0 */
export const get = (runId: string): Effect.Effect<ChatRunRecord, ChatRunsError, ChatRuns> => Effect.flatMap(ChatRuns, (s) => s.get(runId))

/** @since 0.1.0 */
export const cancel = (runId: string, reason?: string): Effect.Effect<ChatRunRecord, ChatRunsError, ChatRuns> =>
  Effect.flatMap(ChatRuns, (s) => s.cancel(runId, reason))

/** @since 0.1.0 */
export const confirmCost = (runId: string, request: ConfirmCostRequest): Effect.Effect<ChatRunRecord, ChatRunsError, ChatRuns> =>
  Effect.flatMap(ChatRuns, (s) => s.confirmCost(runId, request))

/** @since 0.1.0 */
export const events = (runId: string, options?: EventsOptions): Stream.Stream<ChatRunEvent, ChatRunsError, ChatRuns> =>
  Stream.unwrap(Effect.map(ChatRuns, (s) => s.events(runId, options)))
