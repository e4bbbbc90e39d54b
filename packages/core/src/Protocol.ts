/**
 * The Sogni Supernet wire protocol as Effect Schemas: the socket frame envelope, every server → client
 * event and every client → server message, plus the REST bodies core and the emulator exchange.
 *
 * A socket frame is `{"type": <name>, "data": <base64 of the UTF-8 JSON payload>}`. Decoding is
 * tolerant the way the official client is: a frame without `data`, with undecodable JSON or of an
 * unknown type is reported as a {@link FrameSkip} (for a log line), never thrown; top-level `jobID` and
 * `imgID` are upper-cased.
 *
 * @example
 * ```ts
 * import { Protocol } from "@effect-sogni/core"
 *
 * const wire = Protocol.encodeFrame("changeNetwork", "fast")
 * const decoded = Protocol.decodeServerFrame('{"type":"changeNetwork","data":"eyJuZXR3b3JrIjoiZmFzdCJ9"}')
 * ```
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import * as ParseIssues from "./ParseIssues.js"
import { TokenType } from "./internal/protocol/billing.js"

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export const Network = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal("fast", "relaxed")
})
/** @since 0.1.0 */
export type Network = typeof Network.Type

/** A decimal amount as the server writes it (`"125.5"`). @since 0.1.0 */
export const DecimalString = Schema.String

/** @since 0.1.0 */
export const Balance = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    settled: DecimalString,
    credit: DecimalString,
    debit: DecimalString,
    net: DecimalString,
    relaxedUnclaimed: Schema.optional(DecimalString),
    fastUnclaimed: Schema.optional(DecimalString),
    premiumCredit: Schema.optional(DecimalString)
  })
})
/** @since 0.1.0 */
export type Balance = typeof Balance.Type

/** @since 0.1.0 */
export const Balances = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ sogni: Balance, spark: Balance })
})
/** @since 0.1.0 */
export type Balances = typeof Balances.Type

const OptionalNullableNumber = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.optional(Schema.NullOr(Schema.Number))
})
const OptionalNullableString = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.optional(Schema.NullOr(Schema.String))
})

/** A job inside a recovery snapshot or a project record (socket.md §8.2, rest.md §5.1). @since 0.1.0 */
export const RecoveredWorkerJob = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      imgID: Schema.optional(Schema.String),
      id: Schema.optional(Schema.String),
      status: Schema.String,
      reason: OptionalNullableString,
      performedSteps: OptionalNullableNumber,
      seedUsed: OptionalNullableNumber,
      triggeredNSFWFilter: Schema.optional(Schema.NullOr(Schema.Boolean)),
      worker: Schema.optional(
        Schema.NullOr(
          Schema.Struct({ username: Schema.optional(Schema.String), name: Schema.optional(Schema.String) }, {
            key: Schema.String,
            value: Schema.Unknown
          })
        )
      ),
      resultUrl: OptionalNullableString,
      resultKey: OptionalNullableString,
      outputFormat: OptionalNullableString,
      jobIndex: OptionalNullableNumber
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type RecoveredWorkerJob = typeof RecoveredWorkerJob.Type

/** Raw project statuses used by recovery snapshots and project records. @since 0.1.0 */
export const RawProjectStatus = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Literal(
    "pending",
    "authorized",
    "active",
    "queued",
    "assigned",
    "progress",
    "completed",
    "errored",
    "cancelled"
  )
})
/** @since 0.1.0 */
export type RawProjectStatus = typeof RawProjectStatus.Type

/** A project in `authenticated.activeProjects` / `unclaimedCompletedProjects` (socket.md §8.2). @since 0.1.0 */
export const RecoveredProject = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      id: Schema.String,
      appId: Schema.optional(Schema.String),
      jobType: Schema.optional(Schema.String),
      model: Schema.optional(
        Schema.Struct({ id: Schema.String, name: Schema.optional(Schema.String), type: Schema.optional(Schema.String) }, {
          key: Schema.String,
          value: Schema.Unknown
        })
      ),
      imageCount: Schema.optional(Schema.Number),
      stepCount: Schema.optional(Schema.Number),
      createTime: Schema.optional(Schema.Number),
      updateTime: Schema.optional(Schema.Number),
      endTime: OptionalNullableNumber,
      status: Schema.String,
      reason: OptionalNullableString,
      network: Schema.optional(Schema.String),
      clientRequestData: Schema.optional(Schema.String),
      workerJobs: Schema.optional(Schema.Array(RecoveredWorkerJob)),
      completedWorkerJobs: Schema.optional(Schema.Array(RecoveredWorkerJob)),
      modelType: Schema.optional(Schema.String)
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type RecoveredProject = typeof RecoveredProject.Type

/**
 * Arrays that are not arrays count as empty, as in the official client, and entries that are not
 * projects are skipped: one malformed entry must not cost the whole frame (an `authenticated` skipped
 * for it leaves the connection unauthenticated and recovers nothing).
 */
const LenientProjectArray = /* @__PURE__ */ Lazy.schema(function() {
  const decodeEntry = Schema.decodeUnknownEither(RecoveredProject)
  const kept = Schema.transform(Schema.Unknown, Schema.Array(Schema.typeSchema(RecoveredProject)), {
    strict: true,
    decode: (u) =>
      Array.isArray(u)
        ? u.flatMap((entry) => {
          const decoded = decodeEntry(entry)
          return Either.isRight(decoded) ? [decoded.right] : []
        })
        : [],
    encode: (projects) => projects
  })
  return Schema.optionalWith(kept, { default: () => [] })
})

// ---------------------------------------------------------------------------------------------
// Server → client events (socket.md §10)
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export const Authenticated = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    id: Schema.optional(Schema.String),
    clientType: Schema.optional(Schema.String),
    username: Schema.optional(Schema.String),
    address: Schema.optional(Schema.String),
    SID: Schema.optional(Schema.Number),
    clientSID: Schema.optional(Schema.Number),
    addressSID: Schema.optional(Schema.Number),
    balanceVersion: Schema.optional(Schema.Number),
    tokens: Schema.optional(Balances),
    subscriptionEntitlement: Schema.optional(Schema.Unknown),
    activeProjects: LenientProjectArray,
    unclaimedCompletedProjects: LenientProjectArray,
    activeLLMJobIDs: Schema.optional(Schema.Array(Schema.String)),
    isMainnet: Schema.optional(Schema.Boolean),
    accountWasMigrated: Schema.optional(Schema.Boolean),
    hasUnclaimedAirdrop: Schema.optional(Schema.Boolean),
    firstLoginAfterMigration: Schema.optional(Schema.Boolean),
    freeSparkLocked: Schema.optional(Schema.Boolean),
    freeSparkUnlockPath: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export type Authenticated = typeof Authenticated.Type

/** @since 0.1.0 */
export const BalanceUpdate = Balances
/** @since 0.1.0 */
export type BalanceUpdate = Balances

/** `{modelId: workerCount}` for the connection's network. @since 0.1.0 */
export const SwarmModels = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Record({ key: Schema.String, value: Schema.Number })
})
/** @since 0.1.0 */
export type SwarmModels = typeof SwarmModels.Type

/** LLM catalog: a worker count (legacy) or a model-info object per id. @since 0.1.0 */
export const SwarmLLMModels = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Record({
    key: Schema.String,
    value: Schema.Union(
      Schema.Number,
      Schema.Struct({ workers: Schema.Number }, { key: Schema.String, value: Schema.Unknown })
    )
  })
})
/** @since 0.1.0 */
export type SwarmLLMModels = typeof SwarmLLMModels.Type

/** @since 0.1.0 */
export const ChangeNetworkEvent = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ network: Network })
})
/** @since 0.1.0 */
export type ChangeNetworkEvent = typeof ChangeNetworkEvent.Type

const Preparation = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ phase: Schema.String }, { key: Schema.String, value: Schema.Unknown })
})

/** @since 0.1.0 */
export const JobStateQueued = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.Literal("queued"),
    jobID: Schema.String,
    queuePosition: Schema.optional(Schema.Number),
    estimatedStartSeconds: OptionalNullableNumber,
    queueStatus: Schema.optional(Schema.String),
    modelId: Schema.optional(Schema.String),
    estimatedCost: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export const JobStatePending = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.Literal("pending"),
    jobID: Schema.String,
    modelId: Schema.optional(Schema.String),
    estimatedCost: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export const JobStateAssigned = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.Literal("assigned"),
    jobID: Schema.String,
    workerName: Schema.optional(Schema.String)
  })
})
/**
 * Fields a worker reports when it takes a job (both `initiatingModel` and `jobStarted`), built with the
 * first of those schemas (not at import).
 */
const workerJobFields = /* @__PURE__ */ Lazy.memo(function() {
  return {
    jobID: Schema.String,
    imgID: Schema.optional(Schema.String),
    workerName: Schema.optional(Schema.String),
    positivePrompt: Schema.optional(Schema.String),
    negativePrompt: Schema.optional(Schema.String),
    jobIndex: Schema.optional(Schema.Number)
  }
})
/** @since 0.1.0 */
export const JobStateInitiatingModel = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.Literal("initiatingModel"),
    ...workerJobFields(),
    preparation: Schema.optional(Preparation)
  })
})
/** @since 0.1.0 */
export const JobStateJobStarted = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.Literal("jobStarted"),
    ...workerJobFields()
  })
})
/** @since 0.1.0 */
export const JobStateJobCompleted = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.Literal("jobCompleted"),
    jobID: Schema.String
  })
})

/** `jobState`, discriminated by `type` (socket.md §10.4). @since 0.1.0 */
export const JobState = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Union(
    JobStateQueued,
    JobStatePending,
    JobStateAssigned,
    JobStateInitiatingModel,
    JobStateJobStarted,
    JobStateJobCompleted
  )
})
/** @since 0.1.0 */
export type JobState = typeof JobState.Type

/** @since 0.1.0 */
export const JobProgress = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    imgID: Schema.optional(Schema.String),
    step: Schema.optional(Schema.Number),
    stepCount: Schema.optional(Schema.Number),
    progress: Schema.optional(Schema.Number),
    hasImage: Schema.optional(Schema.Boolean),
    etaSeconds: Schema.optional(Schema.Number),
    etaMin: Schema.optional(Schema.Number),
    etaMax: Schema.optional(Schema.Number)
  })
})
/** @since 0.1.0 */
export type JobProgress = typeof JobProgress.Type

/** @since 0.1.0 */
export const JobETA = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    imgID: Schema.optional(Schema.String),
    etaSeconds: Schema.Number
  })
})
/** @since 0.1.0 */
export type JobETA = typeof JobETA.Type

/** @since 0.1.0 */
export const JobResult = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      jobID: Schema.String,
      imgID: Schema.String,
      performedStepCount: Schema.optional(Schema.Number),
      lastSeed: Schema.optional(Schema.String),
      userCanceled: Schema.optional(Schema.Boolean),
      triggeredNSFWFilter: Schema.optional(Schema.Boolean),
      nsfwDetected: Schema.optional(Schema.Boolean),
      nsfwSources: Schema.optional(Schema.Array(Schema.String)),
      resultUrl: OptionalNullableString,
      resultKey: OptionalNullableString,
      lastFrameUrl: OptionalNullableString,
      lastFrameKey: OptionalNullableString,
      outputFormat: Schema.optional(Schema.String),
      videoUrl: OptionalNullableString,
      videoFile: OptionalNullableString,
      sha256: Schema.optional(Schema.String)
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type JobResult = typeof JobResult.Type

/** A failure code: numeric or a string tag. @since 0.1.0 */
export const ErrorCode = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Union(Schema.Number, Schema.String)
})

/**
 * What a refusal adds when the account's plan is the reason (socket.md §10.8, chat.md §3): whether a
 * feature gate refused it (`subscriptionLimit`), the plans that would allow it, the feature and a
 * sentence for the user. Socket and chat job errors carry these fields.
 *
 * @since 0.2.0
 */
export const PlanLimit = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    subscriptionLimit: Schema.optional(Schema.Boolean),
    requiredPlans: Schema.optional(Schema.Array(Schema.String)),
    feature: Schema.optional(Schema.String),
    limitation: Schema.optional(Schema.String)
  })
})
/** @since 0.2.0 */
export type PlanLimit = typeof PlanLimit.Type

/** `jobError` from the server: with `imgID` a job failed, without it the whole project did. @since 0.1.0 */
export const JobError = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    imgID: Schema.optional(Schema.String),
    isFromWorker: Schema.optional(Schema.Boolean),
    error: ErrorCode,
    error_message: Schema.optional(Schema.String),
    ...PlanLimit.fields,
    // socket.md leaves its type open: read whatever the server sends
    subscriptionLimit: Schema.optional(Schema.Unknown)
  })
})
/** @since 0.1.0 */
export type JobError = typeof JobError.Type

/** @since 0.1.0 */
export const JobRetry = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    imgID: Schema.String,
    jobIndex: Schema.optional(Schema.Number),
    attempt: Schema.Number,
    maxAttempts: Schema.Number,
    isFromWorker: Schema.optional(Schema.Boolean),
    error: Schema.optional(ErrorCode),
    error_message: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export type JobRetry = typeof JobRetry.Type

/** @since 0.1.0 */
export const ArtistCancelConfirmation = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    didCancel: Schema.Boolean,
    error_message: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export type ArtistCancelConfirmation = typeof ArtistCancelConfirmation.Type

/** @since 0.1.0 */
export const Usage = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    prompt_tokens: Schema.Number,
    completion_tokens: Schema.Number,
    total_tokens: Schema.optional(Schema.Number)
  })
})
/** @since 0.1.0 */
export type Usage = typeof Usage.Type

/** @since 0.1.0 */
export const ToolCallDelta = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    index: Schema.Number,
    id: Schema.optional(Schema.String),
    type: Schema.optional(Schema.String),
    function: Schema.optional(
      Schema.Struct({ name: Schema.optional(Schema.String), arguments: Schema.optional(Schema.String) })
    )
  })
})
/** @since 0.1.0 */
export type ToolCallDelta = typeof ToolCallDelta.Type

/** @since 0.1.0 */
export const JobTokens = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    content: Schema.optional(Schema.NullOr(Schema.String)),
    role: Schema.optional(Schema.NullOr(Schema.String)),
    finishReason: Schema.optional(Schema.NullOr(Schema.String)),
    usage: Schema.optional(Usage),
    tool_calls: Schema.optional(Schema.Array(ToolCallDelta))
  })
})
/** @since 0.1.0 */
export type JobTokens = typeof JobTokens.Type

/** @since 0.1.0 */
export const LLMJobCost = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    costInUSD: Schema.optional(Schema.String),
    costInToken: Schema.optional(Schema.String),
    costInSogni: Schema.optional(Schema.String),
    costInSpark: Schema.optional(Schema.String),
    inputTokens: Schema.optional(Schema.Number),
    outputTokens: Schema.optional(Schema.Number)
  })
})

/** @since 0.1.0 */
export const LLMJobResult = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    usage: Schema.optional(Usage),
    timeTaken: Schema.optional(Schema.Number),
    cost: Schema.optional(LLMJobCost),
    workerName: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export type LLMJobResult = typeof LLMJobResult.Type

/** @since 0.1.0 */
export const LLMJobError = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    error: Schema.String,
    error_code: Schema.optional(Schema.String),
    error_message: Schema.optional(Schema.String),
    workerName: Schema.optional(Schema.String),
    ...PlanLimit.fields
  })
})
/** @since 0.1.0 */
export type LLMJobError = typeof LLMJobError.Type

/** @since 0.1.0 */
export const SubscriptionFlags = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Record({ key: Schema.String, value: Schema.Boolean })
})

/** @since 0.1.0 */
export const SocketEventSubscriptionsUpdated = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    socketEventSubscriptions: Schema.Record({ key: Schema.String, value: Schema.Boolean })
  })
})
/** @since 0.1.0 */
export type SocketEventSubscriptionsUpdated = typeof SocketEventSubscriptionsUpdated.Type

/** @since 0.1.0 */
export const ToastMessage = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    type: Schema.String,
    message: Schema.String,
    autoClose: Schema.optional(Schema.Number),
    stickyID: Schema.optional(Schema.Unknown)
  })
})

/** @since 0.1.0 */
export const AppAlert = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    { id: Schema.String, kind: Schema.String, severity: Schema.String, title: Schema.String },
    { key: Schema.String, value: Schema.Unknown }
  )
})

/** Open-ended account pushes, kept as records. */
const Opaque = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/**
 * Every server → client event, by frame `type`.
 *
 * @since 0.1.0
 */
export const ServerEventSchemas = {
  authenticated: Authenticated,
  balanceUpdate: BalanceUpdate,
  swarmModels: SwarmModels,
  swarmLLMModels: SwarmLLMModels,
  changeNetwork: ChangeNetworkEvent,
  jobState: JobState,
  jobProgress: JobProgress,
  jobETA: JobETA,
  jobResult: JobResult,
  jobError: JobError,
  jobRetry: JobRetry,
  artistCancelConfirmation: ArtistCancelConfirmation,
  jobTokens: JobTokens,
  llmJobResult: LLMJobResult,
  llmJobError: LLMJobError,
  socketEventSubscriptionsUpdated: SocketEventSubscriptionsUpdated,
  subscriptionEntitlementUpdated: Opaque,
  subscriptionLimitNotice: Opaque,
  toastMessage: ToastMessage,
  appAlert: AppAlert
} as const

/**
 * The decoded payload of each frame type of a table of schemas (`ServerEventSchemas`,
 * `ClientMessageSchemas`).
 *
 * @since 0.2.0
 */
export type PayloadsOf<T extends Readonly<Record<string, Schema.Schema.Any>>> = { readonly [K in keyof T]: T[K]["Type"] }

/**
 * The `{ type, payload }` frames of a table of schemas, discriminated by `type`.
 *
 * @since 0.2.0
 */
export type FramesOf<T extends Readonly<Record<string, Schema.Schema.Any>>> = {
  readonly [K in keyof T]: { readonly type: K; readonly payload: PayloadsOf<T>[K] }
}[keyof T]

/** @since 0.1.0 */
export type ServerEventType = keyof typeof ServerEventSchemas

/** @since 0.1.0 */
export type ServerEventPayloads = PayloadsOf<typeof ServerEventSchemas>

/**
 * A decoded server event: `{ type, payload }`, discriminated by `type`.
 *
 * @since 0.1.0
 */
export type ServerEvent = FramesOf<typeof ServerEventSchemas>

/** @since 0.1.0 */
export type ServerEventOf<K extends ServerEventType> = Extract<ServerEvent, { readonly type: K }>

// ---------------------------------------------------------------------------------------------
// Client → server messages (socket.md §9)
// ---------------------------------------------------------------------------------------------

/**
 * `jobRequest`: the envelope fields core relies on; everything else of media.md §3 passes through.
 *
 * @since 0.1.0
 */
export const JobRequest = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      jobID: Schema.String,
      keyFrames: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
      numberOfImages: Schema.Number,
      previews: Schema.optional(Schema.Number),
      outputFormat: Schema.optional(Schema.String),
      disableSafety: Schema.optional(Schema.Boolean),
      tokenType: Schema.optional(TokenType),
      network: Schema.optional(Network),
      appSource: Schema.optional(Schema.String)
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type JobRequest = typeof JobRequest.Type

/** The cancel message (a client `jobError`). @since 0.1.0 */
export const CancelProject = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    jobID: Schema.String,
    error: Schema.Literal("artistCanceled"),
    error_message: Schema.String,
    isFromWorker: Schema.Literal(false)
  })
})
/** @since 0.1.0 */
export type CancelProject = typeof CancelProject.Type

/** @since 0.1.0 */
export const NameOrNames = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Union(Schema.String, Schema.Array(Schema.String))
})

/** @since 0.1.0 */
export const SetSocketEventSubscriptions = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    subscriptions: Schema.optional(SubscriptionFlags),
    subscribe: Schema.optional(NameOrNames),
    unsubscribe: Schema.optional(NameOrNames),
    reset: Schema.optional(Schema.Boolean),
    event: Schema.optional(Schema.String),
    enabled: Schema.optional(Schema.Boolean)
  })
})
/** @since 0.1.0 */
export type SetSocketEventSubscriptions = typeof SetSocketEventSubscriptions.Type

/** `llmJobRequest` (chat.md §2): core checks the envelope; chat owns the rest. @since 0.1.0 */
export const LLMJobRequest = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      jobID: Schema.String,
      type: Schema.Literal("llm"),
      model: Schema.String,
      messages: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type LLMJobRequest = typeof LLMJobRequest.Type

/** @since 0.1.0 */
export const LLMJobCancel = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ jobID: Schema.String })
})
/** @since 0.1.0 */
export type LLMJobCancel = typeof LLMJobCancel.Type

/**
 * Every client → server message, by frame `type`.
 *
 * @since 0.1.0
 */
export const ClientMessageSchemas = {
  jobRequest: JobRequest,
  jobError: CancelProject,
  changeNetwork: Network,
  setSocketEventSubscriptions: SetSocketEventSubscriptions,
  llmJobRequest: LLMJobRequest,
  llmJobCancel: LLMJobCancel
} as const

/** @since 0.1.0 */
export type ClientMessageType = keyof typeof ClientMessageSchemas

/** @since 0.1.0 */
export type ClientMessagePayloads = PayloadsOf<typeof ClientMessageSchemas>

/** @since 0.1.0 */
export type ClientMessage = FramesOf<typeof ClientMessageSchemas>

// ---------------------------------------------------------------------------------------------
// Envelope codec
// ---------------------------------------------------------------------------------------------

/**
 * Why an incoming frame was skipped. Frames are never fatal: the socket logs these and moves on.
 *
 * @since 0.1.0
 */
export interface FrameSkip {
  readonly _tag: "FrameSkip"
  readonly reason: "NotJson" | "NoType" | "NoData" | "BadBase64" | "UnknownType" | "InvalidPayload"
  readonly type?: string | undefined
  readonly message: string
}

function skip(reason: FrameSkip["reason"], message: string, type?: string): FrameSkip {
  return {
    _tag: "FrameSkip",
    reason,
    type,
    message
  }
}

const hasBuffer = typeof globalThis.Buffer === "function"
const textDecoder = new TextDecoder()
const textEncoder = new TextEncoder()

/** base64 of the UTF-8 bytes of `text`. @since 0.1.0 */
export function base64OfText(text: string): string {
  if (hasBuffer) return Buffer.from(text, "utf8").toString("base64")
  const bytes = textEncoder.encode(text)
  let binary = ""
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary)
}

/** UTF-8 text of base64 `data` (standard alphabet, padding optional). @since 0.1.0 */
export function textOfBase64(data: string): string {
  if (hasBuffer) return Buffer.from(data, "base64").toString("utf8")
  const binary = atob(data)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return textDecoder.decode(bytes)
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const LOWER = /[a-z]/

/**
 * The outer frame text for a payload. Keys whose value is `undefined` are dropped by `JSON.stringify`,
 * exactly as the protocol expects.
 *
 * @since 0.1.0
 */
export function encodeFrame(type: string, payload: unknown): string {
  return `{"type":${JSON.stringify(type)},"data":"${base64OfText(JSON.stringify(payload))}"}`
}

/**
 * Parses the outer frame and its inner JSON, without checking the payload's shape. Top-level `jobID` and
 * `imgID` strings are upper-cased.
 *
 * @since 0.1.0
 */
export function decodeEnvelope(
  raw: string | Uint8Array
): Either.Either<{ readonly type: string; readonly payload: unknown }, FrameSkip> {
  const result = parseEnvelope(raw, true)
  return isFrameSkip(result) ? Either.left(result) : Either.right(result)
}

function isFrameSkip(u: unknown): u is FrameSkip {
  return (u as { _tag?: unknown })._tag === "FrameSkip"
}

/** UTF-8 text of a binary frame: Node's `Buffer` decodes its own bytes without `TextDecoder`'s per-call setup. */
function textOfBytes(bytes: Uint8Array): string {
  return hasBuffer && Buffer.isBuffer(bytes) ? bytes.toString("utf8") : textDecoder.decode(bytes)
}

// The envelope as the server writes it, around its type and its data: `{"type":"` type `","data":"` data `"}`.
const ENVELOPE_HEAD = "{\"type\":\""
const ENVELOPE_DATA = "\",\"data\":\""
const TYPE_START = ENVELOPE_HEAD.length
const DATA_KEY_LENGTH = ENVELOPE_DATA.length

/**
 * Where a server-form envelope's data is decoded (Node): a buffer kept for the process, so that decoding
 * makes no `Buffer` (an object and a slice of the pool) per frame. Data that would not fit goes through
 * `Buffer.from`. Made on first use.
 */
const SCRATCH_BYTES = 16 * 1024
let scratch: Buffer | undefined

/** A type as JSON would read it: no escape and no control character (the closing quote ends it). */
function isPlainType(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x5c) return false
  }
  return true
}

/** The type of the last {@link serverForm} that matched; set with its result. */
let serverFormType = ""

/**
 * The payload text of an envelope in the server's own form (Node), without parsing the envelope as JSON:
 * `undefined` when `text` is in any other form, or its data is not plain padded base64, and the frame
 * goes through `JSON.parse` instead (see {@link parseEnvelope}). A frame taken here reads exactly as
 * `JSON.parse` would have read it: the type and the data are the characters between their quotes, which
 * is what JSON makes of a string with no escape (`\\`) and no control character; a data string with
 * either, or with any other character outside the base64 alphabet, decodes to fewer bytes than its
 * length promises (the decoder skips such characters), which is checked, so such data goes the JSON way.
 */
function serverForm(text: string): string | undefined {
  if (!text.startsWith(ENVELOPE_HEAD)) return undefined
  const typeEnd = text.indexOf("\"", TYPE_START)
  const dataStart = typeEnd + DATA_KEY_LENGTH
  const dataEnd = text.length - 2
  // a type, the data key, and data up to the frame's closing `"}`, with no other quote in it
  if (
    typeEnd <= TYPE_START || !text.startsWith(ENVELOPE_DATA, typeEnd) || dataEnd <= dataStart ||
    text.charCodeAt(dataEnd + 1) !== 0x7d || text.indexOf("\"", dataStart) !== dataEnd ||
    !isPlainType(text, TYPE_START, typeEnd)
  ) return undefined
  const length = dataEnd - dataStart
  // padded base64: 3 bytes per 4 characters, less one per `=`
  if ((length & 3) !== 0) return undefined
  const pad = text.charCodeAt(dataEnd - 1) !== 0x3d ? 0 : text.charCodeAt(dataEnd - 2) !== 0x3d ? 1 : 2
  const bytes = (length >> 2) * 3 - pad
  const data = text.slice(dataStart, dataEnd)
  let decoded: string
  if (bytes <= SCRATCH_BYTES) {
    scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES)
    if (scratch.write(data, 0, bytes, "base64") !== bytes) return undefined
    decoded = scratch.toString("utf8", 0, bytes)
  } else {
    const buffer = Buffer.from(data, "base64")
    if (buffer.length !== bytes) return undefined
    decoded = buffer.toString("utf8")
  }
  serverFormType = text.slice(TYPE_START, typeEnd)
  return decoded
}

/**
 * The envelope parse without `Either` wrappers: one result object per frame on the hot path. `jobIDs`
 * false leaves a top-level `jobID` as written (see {@link decodeServerFrameUnrouted}); `imgID` is always
 * upper-cased. An envelope in the server's own form is read without `JSON.parse` (see {@link serverForm});
 * any other goes through it.
 */
function parseEnvelope(raw: string | Uint8Array, jobIDs: boolean): { type: string; payload: unknown } | FrameSkip {
  const text = typeof raw === "string" ? raw : textOfBytes(raw)
  let type: string
  let data: string | undefined
  let inner = hasBuffer ? serverForm(text) : undefined
  if (inner !== undefined) {
    type = serverFormType
  } else {
    let outer: unknown
    try {
      outer = JSON.parse(text)
    } catch {
      return skip("NotJson", "frame is not JSON")
    }
    if (typeof outer !== "object" || outer === null) return skip("NotJson", "frame is not an object")
    const outerType = (outer as { type?: unknown }).type
    if (typeof outerType !== "string" || outerType.length === 0) return skip("NoType", "frame has no type")
    type = outerType
    const outerData = (outer as { data?: unknown }).data
    if (typeof outerData !== "string" || outerData.length === 0) return skip("NoData", "frame has no data", type)
    data = outerData
  }
  // Buffer's decoder skips characters outside the alphabet; only check the alphabet when parsing fails
  let payload: unknown
  try {
    inner ??= textOfBase64(data!)
    payload = JSON.parse(inner)
  } catch {
    // data taken by `serverForm` is the text between the frame's last quotes; it may be in the url-safe
    // alphabet, which the decoder also reads but which is not plain base64
    data ??= text.slice(TYPE_START + type.length + DATA_KEY_LENGTH, text.length - 2)
    return BASE64.test(data)
      ? skip("NotJson", "data is not base64 of JSON", type)
      : skip("BadBase64", "data is not base64", type)
  }
  if (payload === null) return skip("NoData", "data is JSON null", type)
  return { type, payload: upperCaseIds(payload, jobIDs) }
}

/**
 * Upper-cases top-level `jobID` / `imgID` strings, as the protocol requires of live frames.
 *
 * @since 0.1.0
 */
export function normalizeIds(payload: unknown): unknown {
  return upperCaseIds(payload, true)
}

/** Upper-cases a top-level `imgID` string, and `jobID` too when `jobID` is true (a copy when one changes). */
function upperCaseIds(payload: unknown, jobID: boolean): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload
  const p = payload as Record<string, unknown>
  const job = p.jobID
  const img = p.imgID
  const upJob = jobID && typeof job === "string" && LOWER.test(job)
  const upImg = typeof img === "string" && LOWER.test(img)
  if (!upJob && !upImg) return payload
  const out = { ...p }
  if (upJob) out.jobID = (job as string).toUpperCase()
  if (upImg) out.imgID = (img as string).toUpperCase()
  return out
}

// iterative and bounded: a deeply nested payload must not overflow the stack while it is described
function formatIssue(e: ParseResult.ParseError) {
  return ParseIssues.format(e.issue)
}

/** A message type's payload decoder. */
type PayloadDecoder = (u: unknown) => Either.Either<unknown, ParseResult.ParseError>

/**
 * Decodes `u` with the schema of `type` in `schemas`, its decoder compiled on first use and kept in
 * `compiled`: building the parsers of the whole protocol at import would cost every program the start-up
 * time of message types it never sees (and a closure per type made at import, ~100 of them, its memory).
 */
function decodeAs(
  schemas: { readonly [type: string]: Schema.Schema<any, any> },
  compiled: Map<string, PayloadDecoder>,
  type: string,
  u: unknown
): Either.Either<unknown, ParseResult.ParseError> {
  let decode = compiled.get(type)
  if (decode === undefined) {
    decode = Schema.decodeUnknownEither(schemas[type]!)
    compiled.set(type, decode)
  }
  return decode(u)
}

const serverDecoders = /* @__PURE__ */ new Map<string, PayloadDecoder>()

const clientDecoders = /* @__PURE__ */ new Map<string, PayloadDecoder>()

function isServerType(t: string): t is ServerEventType {
  return Object.prototype.hasOwnProperty.call(ServerEventSchemas, t)
}
function isClientType(t: string): t is ClientMessageType {
  return Object.prototype.hasOwnProperty.call(ClientMessageSchemas, t)
}

// Hot event types get a hand-written shape check that accepts exactly a subset of what their
// schema accepts (property-tested against the schema); anything it does not accept goes through the
// schema, which also produces the error message. This keeps per-frame decoding close to a bare
// `JSON.parse` for the frames that dominate traffic (progress, job states, results, tokens).
function isObject(u: unknown): u is Record<string, unknown> {
  return typeof u === "object" && u !== null && !Array.isArray(u)
}
function optString(u: unknown) {
  return u === undefined || typeof u === "string"
}
function optNullString(u: unknown) {
  return u === undefined || u === null || typeof u === "string"
}
function optNumber(u: unknown) {
  return u === undefined || typeof u === "number"
}
function optBoolean(u: unknown) {
  return u === undefined || typeof u === "boolean"
}
const jobStateTypes = new Set(["queued", "pending", "assigned", "initiatingModel", "jobStarted", "jobCompleted"])
function isUsage(u: unknown) {
  return isObject(u) && typeof u.prompt_tokens === "number" && typeof u.completion_tokens === "number" &&
    optNumber(u.total_tokens)
}
function isToolCallDelta(u: unknown) {
  return isObject(u) && typeof u.index === "number" && optString(u.id) && optString(u.type) &&
    (u.function === undefined ||
      (isObject(u.function) && optString(u.function.name) && optString(u.function.arguments)))
}

function isBalance(u: unknown) {
  return isObject(u) && typeof u.settled === "string" && typeof u.credit === "string" && typeof u.debit === "string" &&
    typeof u.net === "string" && optString(u.relaxedUnclaimed) && optString(u.fastUnclaimed) && optString(u.premiumCredit)
}
function isBalances(u: unknown) {
  return isObject(u) && isBalance(u.sogni) && isBalance(u.spark)
}
function isEmptyArray(u: unknown) {
  return Array.isArray(u) && u.length === 0
}
/** Every own value of a plain record passes `check` (what `Schema.Record` with string keys checks). */
function everyValue(u: unknown, check: (v: unknown) => boolean): boolean {
  if (!isObject(u)) return false
  for (const key in u) {
    if (Object.prototype.hasOwnProperty.call(u, key) && !check(u[key])) return false
  }
  return true
}
function isLLMModelEntry(v: unknown) {
  return typeof v === "number" || (isObject(v) && typeof v.workers === "number")
}

/**
 * Hand-written shape checks by event type (see above). Besides the hot per-frame types, the frames every
 * connection receives once at its start (`authenticated`, `balanceUpdate`, `changeNetwork`, the model
 * catalogs) have one too: building a type's schema decoder on its first use costs far more than decoding
 * (the `authenticated` one allocates ~0.9 MB and takes ~3 ms), which every connection paid before its first
 * project or chat; frames these checks do not accept (an `authenticated` listing projects to recover, a
 * missing project list that the schema defaults to empty) still go through the schema.
 *
 * @internal
 */
export const fastChecks: { readonly [K in ServerEventType]?: (u: unknown) => boolean } = {
  authenticated: function(u) {
    return isObject(u) && optString(u.id) && optString(u.clientType) && optString(u.username) && optString(u.address) &&
      optNumber(u.SID) && optNumber(u.clientSID) && optNumber(u.addressSID) && optNumber(u.balanceVersion) &&
      (u.tokens === undefined || isBalances(u.tokens)) &&
      // recovered projects (rare, and large schemas) go through the schema; so does a missing list, which it
      // defaults to []
      isEmptyArray(u.activeProjects) && isEmptyArray(u.unclaimedCompletedProjects) &&
      (u.activeLLMJobIDs === undefined ||
        (Array.isArray(u.activeLLMJobIDs) && u.activeLLMJobIDs.every((x) => typeof x === "string"))) &&
      optBoolean(u.isMainnet) && optBoolean(u.accountWasMigrated) && optBoolean(u.hasUnclaimedAirdrop) &&
      optBoolean(u.firstLoginAfterMigration) && optBoolean(u.freeSparkLocked) && optString(u.freeSparkUnlockPath)
  },
  balanceUpdate: isBalances,
  changeNetwork: function(u) {
    return isObject(u) && (u.network === "fast" || u.network === "relaxed")
  },
  swarmModels: function(u) {
    return everyValue(u, (v) => typeof v === "number")
  },
  swarmLLMModels: function(u) {
    return everyValue(u, isLLMModelEntry)
  },
  jobProgress: function(u) {
    return isObject(u) && typeof u.jobID === "string" && optString(u.imgID) && optNumber(u.step) &&
      optNumber(u.stepCount) && optNumber(u.progress) && optBoolean(u.hasImage) && optNumber(u.etaSeconds) &&
      optNumber(u.etaMin) && optNumber(u.etaMax)
  },
  jobETA: function(u) {
    return isObject(u) && typeof u.jobID === "string" && optString(u.imgID) && typeof u.etaSeconds === "number"
  },
  jobState: function(u) {
    return isObject(u) && typeof u.type === "string" && jobStateTypes.has(u.type) && typeof u.jobID === "string" &&
      optString(u.imgID) && optString(u.workerName) && optString(u.positivePrompt) && optString(u.negativePrompt) &&
      optNumber(u.jobIndex) && optNumber(u.queuePosition) &&
      (u.estimatedStartSeconds === undefined || u.estimatedStartSeconds === null ||
        typeof u.estimatedStartSeconds === "number") &&
      optString(u.queueStatus) && optString(u.modelId) && optString(u.estimatedCost) &&
      (u.preparation === undefined || (isObject(u.preparation) && typeof u.preparation.phase === "string"))
  },
  jobResult: function(u) {
    return isObject(u) && typeof u.jobID === "string" && typeof u.imgID === "string" && optNumber(u.performedStepCount) &&
      optString(u.lastSeed) && optBoolean(u.userCanceled) && optBoolean(u.triggeredNSFWFilter) &&
      optBoolean(u.nsfwDetected) &&
      (u.nsfwSources === undefined || (Array.isArray(u.nsfwSources) && u.nsfwSources.every((x) => typeof x === "string"))) &&
      optNullString(u.resultUrl) && optNullString(u.resultKey) && optNullString(u.lastFrameUrl) &&
      optNullString(u.lastFrameKey) && optString(u.outputFormat) && optNullString(u.videoUrl) &&
      optNullString(u.videoFile) && optString(u.sha256)
  },
  jobTokens: function(u) {
    return isObject(u) && typeof u.jobID === "string" && optNullString(u.content) && optNullString(u.role) &&
      optNullString(u.finishReason) && (u.usage === undefined || isUsage(u.usage)) &&
      (u.tool_calls === undefined || (Array.isArray(u.tool_calls) && u.tool_calls.every(isToolCallDelta)))
  }
}

/**
 * Decodes the payload of a known server event type.
 *
 * @since 0.1.0
 */
export function decodeServerPayload<K extends ServerEventType>(
  type: K,
  payload: unknown
): Either.Either<ServerEventPayloads[K], FrameSkip> {
  const fast = fastChecks[type]
  if (fast !== undefined && fast(payload)) return Either.right(payload as ServerEventPayloads[K])
  return Either.mapLeft(
    decodeAs(ServerEventSchemas, serverDecoders, type, payload) as Either.Either<ServerEventPayloads[K], ParseResult.ParseError>,
    (e) => skip("InvalidPayload", formatIssue(e), type)
  )
}

/**
 * Decodes one server → client frame.
 *
 * @since 0.1.0
 */
export function decodeServerFrame(raw: string | Uint8Array): Either.Either<ServerEvent, FrameSkip> {
  const result = decodeServerFrameRaw(raw)
  return isFrameSkip(result) ? Either.left(result) : Either.right(result)
}

/**
 * {@link decodeServerFrame} for hot paths: the event or the reason it was skipped, with no wrapper
 * allocations (the parsed envelope object becomes the event when its payload passes the fast check).
 *
 * @since 0.1.0
 */
export function decodeServerFrameRaw(raw: string | Uint8Array): ServerEvent | FrameSkip {
  return checkEnvelope(parseEnvelope(raw, true))
}

/**
 * {@link decodeServerFrameRaw} with the top-level `jobID` left as the server wrote it (`imgID` is still
 * upper-cased): for the socket, which looks the id up among its routes first (route keys are upper-case,
 * so a hit is an id already in canonical form) and upper-cases it with {@link normalizeIds} only when
 * that lookup misses. Everything else (skips, checks, the event object) is {@link decodeServerFrameRaw}'s.
 *
 * @internal
 */
export function decodeServerFrameUnrouted(raw: string | Uint8Array): ServerEvent | FrameSkip {
  return checkEnvelope(parseEnvelope(raw, false))
}

// the fast checks by type in a Map: one lookup per frame, and no inherited property ("constructor",
// "toString") can pass for a check
const fastCheckOf: ReadonlyMap<string, (u: unknown) => boolean> = /* @__PURE__ */ new Map(
  Object.entries(fastChecks) as Array<[string, (u: unknown) => boolean]>
)

/** The payload check of a parsed envelope: the fast check of its type, else the type's schema. */
function checkEnvelope(envelope: { type: string; payload: unknown } | FrameSkip): ServerEvent | FrameSkip {
  if (isFrameSkip(envelope)) return envelope
  const type = envelope.type
  const fast = fastCheckOf.get(type)
  if (fast === undefined) {
    if (!isServerType(type)) return skip("UnknownType", `unknown event type ${type}`, type)
  } else if (fast(envelope.payload)) {
    return envelope as ServerEvent
  }
  const decoded = decodeAs(ServerEventSchemas, serverDecoders, type, envelope.payload)
  if (Either.isLeft(decoded)) return skip("InvalidPayload", formatIssue(decoded.left), type)
  envelope.payload = decoded.right
  return envelope as ServerEvent
}

/** @since 0.1.0 */
export { isFrameSkip }

/**
 * Decodes one client → server frame (used by the emulator).
 *
 * @since 0.1.0
 */
export function decodeClientFrame(raw: string | Uint8Array): Either.Either<ClientMessage, FrameSkip> {
  return Either.flatMap(decodeEnvelope(raw), ({ payload, type }) => {
    if (!isClientType(type)) return Either.left(skip("UnknownType", `unknown message type ${type}`, type))
    const decoded = decodeAs(ClientMessageSchemas, clientDecoders, type, payload)
    return Either.mapBoth(decoded, {
      onLeft: (e) => skip("InvalidPayload", formatIssue(e), type),
      onRight: (p) => ({ type, payload: p }) as ClientMessage
    })
  })
}

/**
 * Encodes a client message to its wire text. The payload is checked against its schema first.
 *
 * @since 0.1.0
 */
export function encodeClientMessage(message: ClientMessage): Either.Either<string, ParseResult.ParseError> {
  const fast = fastClientEncoders[message.type]
  const encoded = fast === undefined ? undefined : fast(message.payload)
  if (encoded !== undefined) return Either.right(encodeFrame(message.type, encoded))
  return Either.map(
    Schema.encodeUnknownEither(ClientMessageSchemas[message.type] as Schema.Schema<any, any>)(message.payload),
    (encoded) => encodeFrame(message.type, encoded)
  )
}

/** The declared keys of {@link JobRequest}. */
const jobRequestKeys: ReadonlyArray<string> = [
  "jobID",
  "keyFrames",
  "numberOfImages",
  "previews",
  "outputFormat",
  "disableSafety",
  "tokenType",
  "network",
  "appSource"
]
function optTokenType(u: unknown) {
  return u === undefined || u === "spark" || u === "sogni"
}
function optNetwork(u: unknown) {
  return u === undefined || u === "fast" || u === "relaxed"
}

/**
 * Client messages sent once per project or job get a hand-written encoder that accepts a subset of what
 * their schema accepts and writes the keys and values the schema's encoder writes, property-tested
 * against it. Anything it does not accept (`undefined`) goes through the schema, which also explains the
 * refusal.
 *
 * A `jobRequest` is already in wire form and is written as it is, keys in its own order: the schema's
 * encoder rebuilt it key by key (and every key frame) only to produce the same JSON with its declared
 * keys moved first, and a copy in that order (~20 keys added by computed name, which V8 keeps as a hash
 * table) cost ~3 KB per send. The request `JobRequestBuilder` builds is in the official client's order,
 * so the frame now carries the official client's bytes. Accepted only as a plain object (no `toJSON`, no
 * own `__proto__` key, declared keys enumerable), so that `JSON.stringify` of it writes exactly the keys
 * and values the copy did.
 *
 * @internal
 */
export const fastClientEncoders: { readonly [K in ClientMessageType]?: (u: unknown) => object | undefined } = {
  jobRequest: function(u) {
    if (!isObject(u)) return undefined
    const keyFrames = u.keyFrames
    if (
      typeof u.jobID !== "string" || !Array.isArray(keyFrames) || !keyFrames.every(isObject) ||
      typeof u.numberOfImages !== "number" || !optNumber(u.previews) || !optString(u.outputFormat) ||
      !optBoolean(u.disableSafety) || !optTokenType(u.tokenType) || !optNetwork(u.network) || !optString(u.appSource)
    ) return undefined
    return writtenAsIs(u) ? u : undefined
  }
}

/**
 * Whether `JSON.stringify(u)` writes the own enumerable keys of `u` with the values a plain copy of them
 * (declared keys included when own, as the schema's encoder reads them) would hold.
 */
function writtenAsIs(u: Record<string, unknown>): boolean {
  const proto = Object.getPrototypeOf(u)
  if (proto !== Object.prototype && proto !== null) return false
  if (Object.prototype.hasOwnProperty.call(u, "toJSON") || Object.prototype.hasOwnProperty.call(u, "__proto__")) {
    return false
  }
  for (const key of jobRequestKeys) {
    if (Object.prototype.hasOwnProperty.call(u, key) && !Object.prototype.propertyIsEnumerable.call(u, key)) return false
  }
  return true
}

/**
 * Encodes a server event to its wire text (used by the emulator).
 *
 * @since 0.1.0
 */
export function encodeServerEvent(event: ServerEvent): Either.Either<string, ParseResult.ParseError> {
  return Either.map(
    Schema.encodeUnknownEither(ServerEventSchemas[event.type] as Schema.Schema<any, any>)(event.payload),
    (encoded) => encodeFrame(event.type, encoded)
  )
}

/**
 * Upper-case random UUIDv4, the form the protocol uses for client-minted ids.
 *
 * @since 0.1.0
 */
export function makeId(): string {
  return crypto.randomUUID().toUpperCase()
}

// ---------------------------------------------------------------------------------------------
// REST bodies (rest.md)
// ---------------------------------------------------------------------------------------------

/** Error body on both hosts (rest.md §2.3). @since 0.1.0 */
export const ErrorBody = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    status: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String),
    errorCode: Schema.optional(Schema.Number),
    retryAfter: Schema.optional(Schema.Number),
    details: Schema.optional(Schema.Unknown)
  })
})
/** @since 0.1.0 */
export type ErrorBody = typeof ErrorBody.Type

/** The REST host's success envelope around `data`. @since 0.1.0 */
export function Envelope<A, I, R>(data: Schema.Schema<A, I, R>) {
  return Schema.Struct({ status: Schema.Literal("success"), data })
}

/** `GET /v1/account/me`. @since 0.1.0 */
export const AccountMe = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      username: Schema.String,
      walletAddress: Schema.String,
      currentEmail: Schema.optional(Schema.NullOr(Schema.String))
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type AccountMe = typeof AccountMe.Type

/** `POST /v1/account/nonce`. @since 0.1.0 */
export const NonceResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ nonce: Schema.String })
})

/** `POST /v1/account/login`. @since 0.1.0 */
export const LoginResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    token: Schema.String,
    refreshToken: Schema.String,
    username: Schema.optional(Schema.String)
  })
})
/** @since 0.1.0 */
export type LoginResponse = typeof LoginResponse.Type

/** `POST /v1/account/refresh-token`. @since 0.1.0 */
export const RefreshResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ token: Schema.String, refreshToken: Schema.String })
})

/** `GET /v4/account/balance`. @since 0.1.0 */
export const AccountBalance = Balances

/** `GET /v1/subscriptions/status`. @since 0.1.0 */
export const SubscriptionStatus = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    subscription: Schema.Struct(
      { active: Schema.Boolean, status: Schema.String },
      { key: Schema.String, value: Schema.Unknown }
    )
  })
})

/** `GET /v1/image/downloadUrl`, `GET /v1/media/downloadUrl`. @since 0.1.0 */
export const DownloadUrl = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ downloadUrl: Schema.String })
})

/** `GET /v1/image/uploadUrl`, `GET /v1/media/uploadUrl`. @since 0.1.0 */
export const UploadUrl = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ uploadUrl: Schema.String })
})

/** One entry of `GET /api/v1/models/list` (socket host, raw). @since 0.1.0 */
export const ModelListEntry = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct(
    {
      id: Schema.String,
      name: Schema.String,
      SID: Schema.Number,
      tier: Schema.String,
      media: Schema.String
    },
    { key: Schema.String, value: Schema.Unknown }
  )
})
/** @since 0.1.0 */
export type ModelListEntry = typeof ModelListEntry.Type

/** `GET /api/v1/models/list`. @since 0.1.0 */
export const ModelList = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Array(ModelListEntry)
})

/** `GET /api/v2/models/tiers`: per-tier options, kept open (media.md §11.1). @since 0.1.0 */
export const ModelTiers = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Record({
    key: Schema.String,
    value: Schema.Record({ key: Schema.String, value: Schema.Unknown })
  })
})

/** `GET /api/v1/artist/projects/sync`. @since 0.1.0 */
export const ProjectsSync = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    activeProjects: LenientProjectArray,
    unclaimedCompletedProjects: LenientProjectArray,
    serverTime: Schema.optional(Schema.Number)
  })
})
/** @since 0.1.0 */
export type ProjectsSync = typeof ProjectsSync.Type

/** `GET /api/v1/artist/projects/active`. @since 0.1.0 */
export const ActiveProjects = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    projects: Schema.Array(Schema.Struct({ id: Schema.String }, { key: Schema.String, value: Schema.Unknown }))
  })
})

// ---------------------------------------------------------------------------------------------
// Durable workflows, chat runs, LoRAs and saved uploads (REST bodies and SSE events)
// ---------------------------------------------------------------------------------------------

export * from "./internal/protocol/billing.js"
export * from "./internal/protocol/chatRuns.js"
export * from "./internal/protocol/loras.js"
export * from "./internal/protocol/runStatus.js"
export * from "./internal/protocol/workflows.js"
export * from "./internal/protocol/savedUploads.js"
