/**
 * Fault control for the emulator: drop or close sockets, delay or duplicate frames, send malformed
 * frames, fail REST calls, set balances and inspect connections and projects.
 *
 * The operations are one `@effect/rpc` group ({@link EmulatorRpcs}), served over HTTP at
 * `/_emulator/rpc` (ndjson serialization) and also callable in-process through
 * `Emulator.control`. {@link client} builds a typed client for tests and scripts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EmulatorControl } from "@effect-sogni/emulator"
 *
 * const program = Effect.gen(function*() {
 *   const control = yield* EmulatorControl.client("http://127.0.0.1:8787", "sogni-dev-key")
 *   yield* control.FailRest({ count: 2, status: 503, retryAfterSeconds: 1 })
 *   const projects = yield* control.ListProjects({})
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 */
import { Protocol } from "@effect-sogni/core"
import * as Subscriptions from "@effect-sogni/core/Subscriptions"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Rpc from "@effect/rpc/Rpc"
import * as RpcClient from "@effect/rpc/RpcClient"
import type * as RpcClientError from "@effect/rpc/RpcClientError"
import * as RpcGroup from "@effect/rpc/RpcGroup"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"

/** The HTTP path the RPC group is served on. @since 0.1.0 */
export const RPC_PATH = "/_emulator/rpc"

/**
 * A control operation could not be carried out (unknown account, unknown project, bad argument).
 *
 * @since 0.1.0
 */
export class EmulatorControlError extends Schema.TaggedError<EmulatorControlError>(
  "@effect-sogni/emulator/EmulatorControlError"
)("EmulatorControlError", {
  reason: Schema.Literal("UnknownAccount", "UnknownProject", "InvalidArgument"),
  message: Schema.String
}) {}

/** The token a project is billed in (core's `Protocol.TokenType`). @since 0.1.0 */
export const TokenType = Protocol.TokenType

/** Which malformed frame to send. @since 0.1.0 */
export const MalformedKind = Schema.Literal("noData", "badBase64", "notJson", "unknownType", "invalidPayload")
/** @since 0.1.0 */
export type MalformedKind = typeof MalformedKind.Type

/** A live WebSocket connection as the emulator sees it. @since 0.1.0 */
export const ConnectionInfo = Schema.Struct({
  connectionId: Schema.String,
  appId: Schema.String,
  username: Schema.String,
  network: Protocol.Network,
  subscriptions: Schema.Record({ key: Schema.String, value: Schema.Boolean }),
  connectedAt: Schema.Number,
  /** Connection attribution the client sent (`interactionKind`, `agentFramework`…), invalid values dropped. */
  attribution: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { default: () => ({}) })
})
/** @since 0.1.0 */
export type ConnectionInfo = typeof ConnectionInfo.Type

/** One render slot of a project. @since 0.1.0 */
export const JobInfo = Schema.Struct({
  jobIndex: Schema.Number,
  imgID: Schema.String,
  status: Schema.String,
  attempt: Schema.Number,
  performedSteps: Schema.Number,
  stepCount: Schema.Number
})
/** @since 0.1.0 */
export type JobInfo = typeof JobInfo.Type

/** A project as the emulator sees it. @since 0.1.0 */
export const ProjectInfo = Schema.Struct({
  id: Schema.String,
  appId: Schema.String,
  username: Schema.String,
  modelId: Schema.String,
  status: Schema.String,
  reason: Schema.NullOr(Schema.String),
  network: Protocol.Network,
  tokenType: TokenType,
  imageCount: Schema.Number,
  /** The delivered canvas (images and videos; 0 for audio). */
  width: Schema.Number,
  height: Schema.Number,
  createTime: Schema.Number,
  endTime: Schema.NullOr(Schema.Number),
  jobs: Schema.Array(JobInfo),
  /** The decoded `jobRequest` payload exactly as the client sent it (compare what different clients send). */
  request: Schema.Unknown
})
/** @since 0.1.0 */
export type ProjectInfo = typeof ProjectInfo.Type

/** A balance as decimal strings: the four totals of the `balanceUpdate` shape. @since 0.1.0 */
export const BalanceInfo = Protocol.Balance.pick("settled", "credit", "debit", "net")

/** Both balances of an account. @since 0.1.0 */
export const BalancesInfo = Schema.Struct({ spark: BalanceInfo, sogni: BalanceInfo })
/** @since 0.1.0 */
export type BalancesInfo = typeof BalancesInfo.Type

/** Close (or, with `abnormal`, terminate without a close frame) matching connections. @since 0.1.0 */
export class DropConnection extends Rpc.make("DropConnection", {
  payload: {
    /** Only this appId; all connections when absent. */
    appId: Schema.optional(Schema.String),
    /** Close code (default 1001). Ignored when `abnormal`. */
    code: Schema.optional(Schema.Int.pipe(Schema.between(1000, 4999))),
    reason: Schema.optional(Schema.String),
    /** Drop the TCP connection without a close frame (the client sees 1006). */
    abnormal: Schema.optional(Schema.Boolean),
    /** A close frame with no status code (the client sees 1005). Ignored when `abnormal`. */
    withoutCode: Schema.optional(Schema.Boolean)
  },
  success: Schema.Struct({ dropped: Schema.Number })
}) {}

/** Delay every outgoing frame by `millis` (0 turns it off). @since 0.1.0 */
export class DelayFrames extends Rpc.make("DelayFrames", {
  payload: { millis: Schema.NonNegativeInt }
}) {}

/** Send each of the next `count` outgoing frames twice. @since 0.1.0 */
export class DuplicateFrames extends Rpc.make("DuplicateFrames", {
  payload: { count: Schema.NonNegativeInt }
}) {}

/** Send one malformed frame to matching connections. @since 0.1.0 */
export class SendMalformedFrame extends Rpc.make("SendMalformedFrame", {
  payload: { kind: MalformedKind, appId: Schema.optional(Schema.String) },
  success: Schema.Struct({ sent: Schema.Number })
}) {}

/** Fail the next `count` REST calls (optionally only those whose path starts with `pathPrefix`). @since 0.1.0 */
export class FailRest extends Rpc.make("FailRest", {
  payload: {
    count: Schema.Int.pipe(Schema.positive()),
    status: Schema.Int.pipe(Schema.between(400, 599)),
    pathPrefix: Schema.optional(Schema.String),
    retryAfterSeconds: Schema.optional(Schema.NonNegativeInt),
    errorCode: Schema.optional(Schema.Int),
    message: Schema.optional(Schema.String)
  }
}) {}

/** Set an account's balance of one token type (default account when `username` is absent). @since 0.1.0 */
export class SetBalance extends Rpc.make("SetBalance", {
  payload: {
    username: Schema.optional(Schema.String),
    tokenType: TokenType,
    amount: Schema.Number.pipe(Schema.nonNegative())
  },
  success: BalancesInfo,
  error: EmulatorControlError
}) {}

/** Live connections. @since 0.1.0 */
export class ListConnections extends Rpc.make("ListConnections", {
  success: Schema.Array(ConnectionInfo)
}) {}

/** Known projects (optionally of one appId). @since 0.1.0 */
export class ListProjects extends Rpc.make("ListProjects", {
  payload: { appId: Schema.optional(Schema.String) },
  success: Schema.Array(ProjectInfo)
}) {}

/** One project by id (case-insensitive). @since 0.1.0 */
export class GetProject extends Rpc.make("GetProject", {
  payload: { id: Schema.String },
  success: ProjectInfo,
  error: EmulatorControlError
}) {}

/**
 * Cut the next server-sent-event responses abruptly (the TCP connection is destroyed mid-body): one entry
 * of `afterBytes` per response, in order, each the number of body bytes sent before the cut (it may fall
 * inside a frame). Only responses whose path starts with `pathPrefix` count, when it is given.
 *
 * @since 0.1.0
 */
export class DropEventStreams extends Rpc.make("DropEventStreams", {
  payload: {
    afterBytes: Schema.Array(Schema.NonNegativeInt),
    pathPrefix: Schema.optional(Schema.String)
  },
  /** How many cuts are still pending (all prefixes), after adding these. */
  success: Schema.Struct({ pending: Schema.Number })
}) {}

/**
 * Set an account's subscription entitlement (socket.md §15; the default account when `username` is
 * absent), as sent, its `version` too: from then on its `authenticated` frames carry it as
 * `subscriptionEntitlement` and `GET /v1/subscriptions/status` answers it; unless `push` is false it goes
 * at once to the account's sockets as `subscriptionEntitlementUpdated`.
 *
 * @since 0.2.0
 */
export class SetEntitlement extends Rpc.make("SetEntitlement", {
  payload: {
    username: Schema.optional(Schema.String),
    entitlement: Subscriptions.Entitlement,
    push: Schema.optional(Schema.Boolean)
  },
  /** How many sockets it was pushed to. */
  success: Schema.Struct({ pushed: Schema.Number }),
  error: EmulatorControlError
}) {}

/** How many HTTP requests the emulator received for `path` (exact, no query) since it started. @since 0.2.0 */
export class RequestCount extends Rpc.make("RequestCount", {
  payload: { path: Schema.String },
  success: Schema.Struct({ count: Schema.Number })
}) {}

/** Clear every pending fault (delays, duplicates, REST failures, SSE drops). @since 0.1.0 */
export class ClearFaults extends Rpc.make("ClearFaults") {}

/**
 * The control group.
 *
 * @since 0.1.0
 */
export class EmulatorRpcs extends RpcGroup.make(
  DropConnection,
  DelayFrames,
  DuplicateFrames,
  SendMalformedFrame,
  FailRest,
  SetBalance,
  ListConnections,
  ListProjects,
  GetProject,
  ClearFaults,
  DropEventStreams,
  SetEntitlement,
  RequestCount
) {}

/**
 * The same operations, callable in-process (`Emulator.control`).
 *
 * @since 0.1.0
 */
export interface EmulatorControl {
  readonly dropConnection: (options: typeof DropConnection.payloadSchema.Type) => Effect.Effect<{ readonly dropped: number }>
  readonly delayFrames: (millis: number) => Effect.Effect<void>
  readonly duplicateFrames: (count: number) => Effect.Effect<void>
  readonly sendMalformedFrame: (
    kind: MalformedKind,
    appId?: string | undefined
  ) => Effect.Effect<{ readonly sent: number }>
  readonly failRest: (options: typeof FailRest.payloadSchema.Type) => Effect.Effect<void>
  readonly setBalance: (
    options: typeof SetBalance.payloadSchema.Type
  ) => Effect.Effect<BalancesInfo, EmulatorControlError>
  readonly listConnections: Effect.Effect<ReadonlyArray<ConnectionInfo>>
  readonly listProjects: (appId?: string | undefined) => Effect.Effect<ReadonlyArray<ProjectInfo>>
  readonly getProject: (id: string) => Effect.Effect<ProjectInfo, EmulatorControlError>
  readonly clearFaults: Effect.Effect<void>
  readonly dropEventStreams: (
    options: typeof DropEventStreams.payloadSchema.Type
  ) => Effect.Effect<{ readonly pending: number }>
  readonly setEntitlement: (
    options: typeof SetEntitlement.payloadSchema.Type
  ) => Effect.Effect<{ readonly pushed: number }, EmulatorControlError>
  readonly requestCount: (path: string) => Effect.Effect<{ readonly count: number }>
}

/**
 * The handlers layer that serves {@link EmulatorRpcs} from an in-process {@link EmulatorControl}.
 *
 * @since 0.1.0
 */
export const handlersLayer = (control: EmulatorControl) =>
  EmulatorRpcs.toLayer({
    DropConnection: (p) => control.dropConnection(p),
    DelayFrames: ({ millis }) => control.delayFrames(millis),
    DuplicateFrames: ({ count }) => control.duplicateFrames(count),
    SendMalformedFrame: ({ appId, kind }) => control.sendMalformedFrame(kind, appId),
    FailRest: (p) => control.failRest(p),
    SetBalance: (p) => control.setBalance(p),
    ListConnections: () => control.listConnections,
    ListProjects: ({ appId }) => control.listProjects(appId),
    GetProject: ({ id }) => control.getProject(id),
    ClearFaults: () => control.clearFaults,
    DropEventStreams: (p) => control.dropEventStreams(p),
    SetEntitlement: (p) => control.setEntitlement(p),
    RequestCount: ({ path }) => control.requestCount(path)
  })

/** A typed RPC client of the control group. @since 0.1.0 */
export type Client = RpcClient.RpcClient<RpcGroup.Rpcs<typeof EmulatorRpcs>, RpcClientError.RpcClientError>

/**
 * A control client for the emulator at `url` (its base URL, e.g. `Emulator.url`), over HTTP with the
 * fetch client, authenticated with one of the emulator's API keys (`Emulator.apiKey`): the RPC path
 * answers 401 without it. Scoped: the client is released with the scope.
 *
 * @since 0.1.0
 */
export const client = (url: string, apiKey: string | Redacted.Redacted<string>): Effect.Effect<Client, never, Scope.Scope> =>
  RpcClient.make(EmulatorRpcs).pipe(
    Effect.provide(
      RpcClient.layerProtocolHttp({
        url: new URL(RPC_PATH, url).toString(),
        // a refused call (401, 400) fails the call instead of leaving it waiting for an answer
        transformClient: (http) =>
          http.pipe(
            HttpClient.mapRequest(
              HttpClientRequest.setHeader("api-key", Redacted.isRedacted(apiKey) ? Redacted.value(apiKey) : apiKey)
            ),
            HttpClient.filterStatusOk
            // the protocol maps every client error to RpcClientError; its signature just keeps E as is
          ) as unknown as typeof http
      }).pipe(
        Layer.provide([FetchHttpClient.layer, RpcSerialization.layerNdjson])
      )
    )
  )
