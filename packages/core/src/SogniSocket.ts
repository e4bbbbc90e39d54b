/**
 * The Supernet WebSocket as an Effect service: one long-lived connection per `appId` that
 * authenticates, keeps itself alive, reconnects on its own and routes typed server events.
 *
 * - Connects to the socket host with the query parameters of the protocol (`appId`, `clientName`,
 *   `clientType`, `forceWorkerId`, `appSource`, `socketEventSubscriptions`) and the credential headers
 *   of {@link SocketCredentials} (`api-key` or a raw-JWT `Authorization`).
 * - Holds every send until the current socket has delivered `authenticated` (or has been open for
 *   `authenticatedFallback`), with an overall `sendTimeout` per send. Sends made while disconnected
 *   wait in a bounded queue and go out after the next handshake.
 * - Reconnects after recoverable closes with a configurable `Schedule` (default: 1 s · 2ⁿ capped at
 *   15 s, ±20 % jitter; the attempt counter resets whenever a socket opens). Close 1000 stops until the
 *   next send; 4015 (this `appId` connected elsewhere) and every other 4xxx are terminal typed errors, and
 *   only a refusal of the credential itself (4021, an upgrade answered 401/403) clears it
 *   ({@link closeRefusesCredential}). A terminal end stays until its owner calls
 *   {@link SogniSocketService.reopen} (never by itself); {@link SogniSocketService.lastClose} keeps the
 *   last close's code and reason text.
 * - Server events are decoded once and routed once: events carrying a `jobID` that someone
 *   {@link SogniSocketService.route}s go only to that route, everything else to the
 *   {@link SogniSocketService.events} subscribers. Both outlive reconnects.
 * - State the server pushes (models, balances) is kept as current values
 *   ({@link SogniSocketService.latest}, {@link SogniSocketService.watch}).
 * - Hostile input is bounded: frames above `maxFrameBytes` close the connection (1009), a frame that
 *   fails to decode (however nested) is skipped with a rate-limited warning, and nothing thrown while
 *   handling a frame escapes the handler. Pings every `keepAlive`; a socket silent for
 *   `livenessTimeout` is dropped and replaced. `awaitAuthenticated`, `switchNetwork` and
 *   `setEventSubscriptions` have deadlines.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { SogniSocket } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const socket = yield* SogniSocket.SogniSocket
 *   const auth = yield* socket.awaitAuthenticated
 *   const models = yield* socket.watch("swarmModels").pipe(Stream.runHead)
 *   yield* Effect.log(auth.username, models)
 *   yield* socket.send({ type: "changeNetwork", payload: "relaxed" })
 *   yield* socket.events.pipe(Stream.take(1), Stream.runForEach(Effect.log))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as PlainRelease from "./internal/plainRelease.js"
import { WakeableSleep } from "./WakeableSleep.js"
import * as LeanStream from "./LeanStream.js"
import * as Lazy from "./Lazy.js"
import * as ParseIssues from "./ParseIssues.js"
import * as Protocol from "./Protocol.js"
import * as SkipWarnings from "./SkipWarnings.js"
import { checkEndpoint, SogniConfig, type SogniSettings, socketWsBase } from "./SogniConfig.js"
import * as WebSocketConnection from "./WebSocketConnection.js"
import {
  isSogniError,
  SogniAuthenticationError,
  SogniConnectionReplacedError,
  type SogniError,
  type SogniInvalidRequest,
  SogniTransportError
} from "./SogniError.js"
import * as SubscriptionRefs from "./SubscriptionRefs.js"

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/**
 * Where the connection is.
 *
 * - `Idle`: no socket, none wanted (before the first connect, or after a normal close 1000); the next
 *   send opens one.
 * - `Connecting`: opening attempt `attempt` (0-based since the last open).
 * - `Open`: the WebSocket is open, `authenticated` has not arrived yet.
 * - `Authenticated`: ready for work.
 * - `Reconnecting`: closed with a recoverable code; the next attempt starts after `delay`.
 * - `Closed`: terminal; `error` says why (none when the service was shut down). Only an explicit
 *   {@link SogniSocketService.reopen} turns an end with an error back into `Idle`.
 *
 * @since 0.1.0
 */
export type ConnectionStatus = Data.TaggedEnum<{
  Idle: {}
  Connecting: { readonly attempt: number }
  Open: {}
  Authenticated: {}
  Reconnecting: { readonly attempt: number; readonly delay: Duration.Duration; readonly closeCode: number | undefined }
  Closed: { readonly error: Option.Option<SogniError> }
}>

/** @since 0.1.0 */
export const ConnectionStatus = Data.taggedEnum<ConnectionStatus>()

// ---------------------------------------------------------------------------------------------
// Close classification (pure)
// ---------------------------------------------------------------------------------------------

/**
 * What a close code means for the connection loop (socket.md §7).
 *
 * @since 0.1.0
 */
export type CloseAction =
  | { readonly _tag: "Normal" }
  | { readonly _tag: "Reconnect" }
  | { readonly _tag: "Replaced" }
  | { readonly _tag: "AuthFailed"; readonly reason: SogniAuthenticationError["reason"] }

/**
 * Classifies a close code: 1000 normal; 4015 replaced; 4010 app blocked; 4021 and every other 4xxx,
 * and a missing code, terminal authentication failures; everything else (1001, 1005, 1006, 1011,
 * 1012, 1013, other 1xxx and 3xxx) recoverable.
 *
 * @since 0.1.0
 */
export function classifyClose(code: number | undefined): CloseAction {
  if (code === 1000) return { _tag: "Normal" }
  if (code === 4015) return { _tag: "Replaced" }
  if (code === 4010) return { _tag: "AuthFailed", reason: "AppIdBlocked" }
  if (code === 4021) return { _tag: "AuthFailed", reason: "InvalidCredentials" }
  if (code === undefined || code === 0) return { _tag: "AuthFailed", reason: "Rejected" }
  if (code >= 4000 && code <= 4999) return { _tag: "AuthFailed", reason: "Rejected" }
  return { _tag: "Reconnect" }
}

/**
 * Whether a terminal close refuses the credential itself, so that the socket clears it
 * ({@link SocketCredentials}' `invalidate`): only for `InvalidCredentials` (4021 `AUTH_ERROR`, or an
 * upgrade answered 401/403). The connection ends for good after every `AuthFailed` close; only these say
 * the key or token is bad. 4010 (`APP_ID_BLOCKED`) blocks this `appId` from the socket, not the
 * credential, and an unknown 4xxx or a close without a code says nothing about it: the credential is kept,
 * so REST calls made with it (a lookup of a project the server finished, its result URLs) still work. The
 * official client clears the credential on every 4xxx but 4015; this departs from it on purpose (a REST 401
 * still clears a credential that is really bad).
 *
 * @since 0.2.0
 */
export function closeRefusesCredential(reason: SogniAuthenticationError["reason"]): boolean {
  return reason === "InvalidCredentials"
}

/**
 * The default reconnect schedule: `min(base · 2ⁿ, cap)` with each delay multiplied by a uniform
 * factor in `[1 - jitter, 1 + jitter]`. It never gives up.
 *
 * @since 0.1.0
 */
export function defaultReconnectSchedule(
  settings: Pick<SogniSettings, "reconnectBase" | "reconnectCap" | "reconnectJitter">
): Schedule.Schedule<Duration.Duration> {
  const cap = Duration.toMillis(settings.reconnectCap)
  return Schedule.exponential(settings.reconnectBase, 2).pipe(
    Schedule.modifyDelay((d) => Duration.millis(Math.min(Duration.toMillis(d), cap))),
    Schedule.jitteredWith({ min: 1 - settings.reconnectJitter, max: 1 + settings.reconnectJitter })
  )
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

/**
 * Where the socket gets its upgrade headers, and whom it tells when the server refuses them.
 *
 * @since 0.1.0
 */
export class SocketCredentials extends Context.Tag("@effect-sogni/core/SocketCredentials")<
  SocketCredentials,
  {
    /**
     * Headers for the upgrade request; values are secrets and only leave as headers. An authentication
     * error ends the connection for good; any other error (a login request that could not reach the
     * host, say) counts as a failed attempt and is retried on the reconnect schedule.
     */
    readonly headers: Effect.Effect<Readonly<Record<string, Redacted.Redacted<string>>>, SogniError>
    /**
     * Called when the server refused the credential itself: a close 4021 or an upgrade answered 401/403
     * ({@link closeRefusesCredential}); not after other terminal closes (4010, 4015, unknown 4xxx).
     */
    readonly invalidate: (reason: SogniAuthenticationError) => Effect.Effect<void>
  }
>() {}

/**
 * Credentials from the configured API key (`api-key` header).
 *
 * @since 0.1.0
 */
export const layerCredentialsApiKey: Layer.Layer<SocketCredentials, never, SogniConfig> = Layer.effect(
  SocketCredentials,
  Effect.gen(function*() {
    const settings = yield* SogniConfig
    const key = yield* Ref.make(settings.apiKey)
    return {
      headers: Effect.flatMap(Ref.get(key), (k) =>
        Option.match(k, {
          onNone: () =>
            Effect.fail(
              new SogniAuthenticationError({ reason: "NotAuthenticated", message: "no API key is configured" })
            ),
          onSome: (apiKey) => Effect.succeed({ "api-key": apiKey })
        })),
      invalidate: () => Ref.set(key, Option.none())
    }
  })
)

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface SogniSocketService {
  /** Current connection status, observable. */
  readonly status: SubscriptionRef.SubscriptionRef<ConnectionStatus>
  /** The latest `authenticated` payload (recovery snapshot, account ids), if any arrived yet. */
  readonly authenticated: SubscriptionRef.SubscriptionRef<Option.Option<Protocol.Authenticated>>
  /**
   * Waits for the current connection to be authenticated (connecting if needed) and returns its
   * `authenticated` payload. Fails at once with the terminal error when the server refused the
   * connection (4021, 4010, 4015…), with a `Closed` transport error once the service is shut down (its
   * scope closed), and with a `Timeout` transport error after `authenticateTimeout` otherwise; that
   * error's `cause` is the last reason a connection attempt failed.
   */
  readonly awaitAuthenticated: Effect.Effect<Protocol.Authenticated, SogniError>
  /**
   * Completes with the terminal error once the connection ended for good (the key refused, the app
   * blocked, another connection claiming the `appId`, reconnects given up): from then on no server frame
   * can arrive (until a {@link reopen}). Waits for as long as a connection may still come, and for ever
   * after a plain shutdown (its waiter is dropped when interrupted). A waiter completes with the end that
   * came after it started waiting even when a `reopen` forgot that end before the waiter ran again; one
   * run once completes once (a program that reopens and wants the next end too runs it again once the
   * status has left `Closed`). Opens nothing, and runs no Stream.
   */
  readonly awaitTerminal: Effect.Effect<SogniError>
  /**
   * The latest payload of each server push that describes current state rather than an occurrence
   * (`swarmModels`, `swarmLLMModels`, `balanceUpdate`): `None` until the first one arrives. Kept
   * across reconnects; the pushes still reach {@link events} subscribers as well.
   */
  readonly latest: LatestRefs
  /**
   * The current value of a {@link latest} push followed by every new one, as a Stream: it starts
   * with the value already known (the model list arrives once, at the handshake, so a subscriber that
   * only listened for new pushes could wait forever). Connects if needed, and fails with the terminal
   * error when the connection ends for good.
   */
  readonly watch: <K extends LatestEventType>(type: K) => Stream.Stream<Protocol.ServerEventPayloads[K], SogniError>
  /** The connection's network as last announced by the server (or configured). */
  readonly network: SubscriptionRef.SubscriptionRef<Protocol.Network>
  /** The event-subscription flags sent on every (re)connect: configured, then the server's last snapshot. */
  readonly eventSubscriptions: Effect.Effect<Readonly<Record<string, boolean>>>
  /**
   * Sends a message once a socket is authenticated. Completes when the frame was written; fails with
   * a `Timeout` transport error after `sendTimeout`, or with the terminal error if the connection
   * ended for good. A payload that does not match its schema fails without being sent.
   */
  readonly send: (message: Protocol.ClientMessage) => Effect.Effect<void, SogniError>
  /**
   * Every server event not claimed by a route, from now on, across reconnects. Optionally only the
   * given types. Each subscriber has a bounded buffer (`eventBufferCapacity`); when a subscriber falls
   * that far behind, newer events are dropped for it and a warning is logged.
   */
  readonly subscribe: (
    types?: ReadonlyArray<Protocol.ServerEventType>
  ) => Effect.Effect<Queue.Dequeue<Protocol.ServerEvent>, never, Scope.Scope>
  /** {@link subscribe} as a Stream. */
  readonly events: Stream.Stream<Protocol.ServerEvent>
  /** {@link subscribe} for some types, as a Stream. */
  readonly eventsOf: <K extends Protocol.ServerEventType>(
    ...types: ReadonlyArray<K>
  ) => Stream.Stream<Protocol.ServerEventOf<K>>
  /**
   * Claims the events whose payload `jobID` equals `jobID` (case-insensitive) for the lifetime of the
   * scope. Routed events reach only their route. The queue holds at most `eventBufferCapacity` events;
   * beyond that the oldest waiting event is dropped for the newest (a sliding buffer: the latest frames
   * of a job, its end among them, matter most) and a warning is logged.
   */
  readonly route: (jobID: string) => Effect.Effect<Queue.Dequeue<Protocol.ServerEvent>, never, Scope.Scope>
  /**
   * Like {@link route}, but hands each event to `onEvent` synchronously, in arrival order, on the
   * socket's own turn: no queue and no fiber wake-up per event. `onEvent` must be quick and must not
   * throw; it suits pure state machines (a project's progress) that only occasionally need a fiber.
   */
  readonly routeWith: (
    jobID: string,
    onEvent: (event: Protocol.ServerEvent) => void
  ) => Effect.Effect<void, never, Scope.Scope>
  /**
   * {@link routeWith} for a caller that manages the route's lifetime itself: claims the route at once and
   * returns the function that releases it (releasing twice, or after another claim of the same id took
   * the route over, does nothing). No scope: what a per-project actor that already has its own release
   * uses, without a scope (and the context copy that providing one costs) per claim.
   */
  readonly claimRoute: (jobID: string, onEvent: (event: Protocol.ServerEvent) => void) => () => void
  /** Changes the default network and waits for the server's confirmation (at most `confirmTimeout`). */
  readonly switchNetwork: (network: Protocol.Network) => Effect.Effect<Protocol.Network, SogniError>
  /** Changes event subscriptions at runtime and waits for the server's snapshot (at most `confirmTimeout`). */
  readonly setEventSubscriptions: (
    update: Protocol.SetSocketEventSubscriptions
  ) => Effect.Effect<Readonly<Record<string, boolean>>, SogniError>
  /** Opens a socket now if none is open or pending (after a normal close, for example). */
  readonly connect: Effect.Effect<void>
  /**
   * Closes the current socket with 1000; the next send reconnects. A socket still opening is closed once
   * it opens; if its opening fails there is nothing to close and this returns.
   */
  readonly disconnect: Effect.Effect<void>
  /**
   * How the last connection (or connection attempt) ended, as the WebSocket reported it: the close
   * frame's code and reason text as they came (a close of this side's own: as the server echoed it); a
   * connection that ended without a close frame (a network drop, a refused upgrade) reads 1006 and `""`.
   * `None` before the first end, and after an attempt that opened no socket (no credential to open one
   * with). Set before the status that follows the close is written, so a watcher of {@link status} reads
   * the close that status stands for.
   *
   * @since 0.2.0
   */
  readonly lastClose: Effect.Effect<Option.Option<CloseFrame>>
  /**
   * After the connection ended for good (a `Closed` status with its error: 4015, 4010, 4021, another
   * 4xxx, reconnects given up), forgets that end: the status returns to `Idle` and the next send (or
   * {@link connect}) opens a fresh connection with the credential in use then, as after a normal close.
   * Succeeds with whether there was such an end to forget: `false` while a connection may still come, and
   * once the service is shutting down. It opens nothing itself and the service never calls it: the
   * connection stays ended until its owner decides otherwise (a new sign-in after 4010/4021, say, or a
   * program that wants this `appId` back after 4015, which takes it from the connection that claimed it;
   * calling it after every 4015 while another program does the same makes the two evict each other).
   *
   * @since 0.2.0
   */
  readonly reopen: Effect.Effect<boolean>
}

/**
 * A close as the WebSocket reported it: its code and the reason text the close frame carried.
 *
 * @since 0.2.0
 */
export interface CloseFrame {
  readonly code: number
  readonly reason: string
}

/**
 * The server pushes whose latest payload {@link SogniSocketService.latest} keeps.
 *
 * @since 0.1.0
 */
export const latestEventTypes = ["swarmModels", "swarmLLMModels", "balanceUpdate"] as const

/** @since 0.1.0 */
export type LatestEventType = (typeof latestEventTypes)[number]

/** @since 0.1.0 */
export type LatestRefs = {
  readonly [K in LatestEventType]: SubscriptionRef.SubscriptionRef<Option.Option<Protocol.ServerEventPayloads[K]>>
}

// a set, not `includes` on the list: asked for every frame
const latestTypeSet: ReadonlySet<string> = new Set(latestEventTypes)
function isLatestType(type: string): type is LatestEventType {
  return latestTypeSet.has(type)
}

/**
 * @since 0.1.0
 */
export class SogniSocket extends Context.Tag("@effect-sogni/core/SogniSocket")<SogniSocket, SogniSocketService>() {}

/**
 * Builds the connection URL (socket.md §2).
 *
 * @since 0.1.0
 */
export function connectionUrl(
  settings: Pick<SogniSettings, "socketEndpoint" | "appId" | "appSource" | "clientName" | "network"> & {
    readonly connectionAttribution?: Readonly<Record<string, string>> | undefined
  },
  eventSubscriptions: Readonly<Record<string, boolean>>
): string {
  const params = new URLSearchParams()
  params.set("appId", settings.appId)
  if (Option.isSome(settings.appSource)) params.set("appSource", settings.appSource.value)
  for (const [field, value] of Object.entries(settings.connectionAttribution ?? {})) params.set(field, value)
  const flags = Object.fromEntries(Object.entries(eventSubscriptions).filter(([, v]) => typeof v === "boolean"))
  if (Object.keys(flags).length > 0) params.set("socketEventSubscriptions", JSON.stringify(flags))
  params.set("clientName", settings.clientName)
  params.set("clientType", "artist")
  params.set("forceWorkerId", settings.network === "fast" ? "fast" : "")
  return `${socketWsBase(settings.socketEndpoint)}/?${params.toString()}`
}

/**
 * The delays of {@link defaultReconnectSchedule}, stepped without a `Schedule`: retry `n` (0-based) waits
 * `min(base · 2ⁿ, cap)` times a factor drawn from `[1 - jitter, 1 + jitter]` (Effect's `Random`, as
 * `Schedule.jitteredWith` draws it), rounded to the millisecond as {@link delayStepper} rounds. It never
 * gives up. Used when no `reconnectSchedule` is given, so a program on the defaults does not load Effect's
 * schedule combinators.
 */
function defaultDelayStepper(
  settings: Pick<SogniSettings, "reconnectBase" | "reconnectCap" | "reconnectJitter">
): Effect.Effect<Option.Option<Duration.Duration>> {
  const base = Duration.toMillis(settings.reconnectBase)
  const cap = Duration.toMillis(settings.reconnectCap)
  const min = 1 - settings.reconnectJitter
  const max = 1 + settings.reconnectJitter
  let n = 0
  return Effect.map(Random.next, function(random) {
    const d = Math.min(base * Math.pow(2, n++), cap)
    return Option.some(Duration.millis(Math.max(0, Math.round(d * min * (1 - random) + d * max * random))))
  })
}

/**
 * Steps a schedule by hand so the loop can show each delay before sleeping it. `None` = give up.
 */
function delayStepper(schedule: Schedule.Schedule<unknown>): Effect.Effect<Option.Option<Duration.Duration>> {
  let state: unknown = schedule.initial
  return Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.map(schedule.step(now, undefined, state), ([next, , decision]) => {
      state = next
      if (ScheduleDecision.isDone(decision)) return Option.none()
      return Option.some(Duration.millis(Math.max(0, Math.round(ScheduleIntervals.start(decision.intervals) - now))))
    }))
}

const loadSocketWatch = Lazy.loadOnce(function() {
  return import("./internal/socketWatch.js")
})

function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`
    return typeof error === "string" ? error : "a value that is not an Error was thrown"
  } catch {
    return "an exception"
  }
}

/** What waits on a socket service that was shut down (its scope closed) fails with. */
function shutDown(): SogniTransportError {
  return new SogniTransportError({ reason: "Closed", message: "the socket service was shut down" })
}

/** Why a connection attempt or a connection ended, in words fit for a log line or an error (no secrets). */
function describeClose(closed: CloseOutcome): string {
  const cause = closed.cause
  if (WebSocketConnection.isEnded(cause)) {
    if (cause._tag === "Closed") return `closed with ${cause.code}${cause.reason ? ` (${cause.reason.slice(0, 200)})` : ""}`
    const inner = (cause.cause as { message?: unknown } | undefined)?.message
    const what = cause.stage === "OpenTimeout"
      ? "opening timed out"
      : cause.stage === "Open"
      ? "could not open the socket"
      : "the connection broke"
    return typeof inner === "string" && inner.length > 0 ? `${what}: ${inner.slice(0, 200)}` : what
  }
  if (isSogniError(cause)) return cause.message
  return `closed with ${closed.code ?? "no code"}`
}

/**
 * A send waiting for its frame to be written: the frame, when it gives up (clock milliseconds), and how
 * its caller is resumed. One plain record per send, settled once: by the sender (written), by its
 * deadline, by a terminal error, or abandoned by the caller's interruption (`settled` with no resume).
 */
interface Outgoing {
  readonly text: string
  /** set when it enters the outbox */
  at: number
  readonly type: string
  settled: boolean
  /** the outcome when it was settled before its caller started waiting */
  early: Exit.Exit<void, SogniError> | undefined
  resume: ((exit: Exit.Exit<void, SogniError>) => void) | undefined
  /** still counted in `outstanding` (see `release`) */
  counted: boolean
}

class CloseOutcome extends Data.TaggedClass("CloseOutcome")<{
  readonly code: number | undefined
  /** the close frame's reason text ("" without a close frame) */
  readonly reason: string
  readonly opened: boolean
  readonly cause: unknown
}> {}

/**
 * Builds the service in a scope; closing the scope closes the socket and stops every fiber.
 *
 * @since 0.1.0
 */
export function make(options?: {
  readonly reconnectSchedule?: Schedule.Schedule<unknown> | undefined
}): Effect.Effect<SogniSocketService, never, SogniConfig | SocketCredentials | Scope.Scope> {
  return Effect.gen(function*() {
    const settings = yield* SogniConfig
    const credentials = yield* SocketCredentials
    const reconnectSchedule = options?.reconnectSchedule
    // the reconnect delays from the start of the schedule (again after each connection that opened)
    const reconnectDelays = (): Effect.Effect<Option.Option<Duration.Duration>> =>
      reconnectSchedule === undefined ? defaultDelayStepper(settings) : delayStepper(reconnectSchedule)

    const status = yield* SubscriptionRefs.make<ConnectionStatus>(ConnectionStatus.Idle())
    // `awaitAuthenticated` waits for the status to turn `Authenticated` or `Closed` through these plain
    // callbacks, woken by every status write made here (`setStatus`), rather than by a Stream of
    // `status.changes` per wait: a program that only connects then never runs Effect's Stream, Channel and
    // PubSub machinery, whose compiled code and executors otherwise stay in its heap
    let statusWrites = 0
    const statusWaiters = new Set<() => void>()
    const setStatus = (next: ConnectionStatus): Effect.Effect<void> =>
      Effect.zipRight(
        SubscriptionRefs.set(status, next),
        Effect.sync(() => {
          statusWrites++
          if (next._tag === "Authenticated" || next._tag === "Closed") for (const wake of statusWaiters) wake()
        })
      )
    const authenticated = yield* SubscriptionRefs.make<Option.Option<Protocol.Authenticated>>(Option.none())
    const network = yield* SubscriptionRefs.make<Protocol.Network>(settings.network)
    const flags = yield* Ref.make<Readonly<Record<string, boolean>>>(settings.socketEventSubscriptions)
    const latest: LatestRefs = {
      swarmModels: yield* SubscriptionRefs.make<Option.Option<Protocol.ServerEventPayloads["swarmModels"]>>(Option.none()),
      swarmLLMModels: yield* SubscriptionRefs.make<Option.Option<Protocol.ServerEventPayloads["swarmLLMModels"]>>(
        Option.none()
      ),
      balanceUpdate: yield* SubscriptionRefs.make<Option.Option<Protocol.ServerEventPayloads["balanceUpdate"]>>(
        Option.none()
      )
    }
    // why the last connection attempt (or connection) ended, for the error of a wait that gives up
    let lastFailure: Option.Option<SogniTransportError> = Option.none()
    const serviceScope = yield* Effect.scope
    // the deadlines of the sends still waiting, in the order they were made: every send has the same
    // `sendTimeout`, so that is also the order they fall due in (see `send` and `sendDeadlines` below)
    const pendingSends = new Set<Outgoing>()
    // Sends written on the caller's turn: set by a connection's sender once it is authenticated, has
    // flushed `retryFirst` and waits for the outbox; cleared when that sender stops. Used only while no
    // queued send is outstanding (`outstanding`: made through the outbox and not yet finished with by the
    // sender or failed), so a frame never overtakes an earlier one.
    let writeNow: ((text: string) => boolean) | undefined = undefined
    let outstanding = 0
    // the open connection's own `writeNow` from its open on (before its first frame is read), for
    // `flushHeld`; cleared when that connection ends
    let openWrite: ((text: string) => boolean) | undefined = undefined
    // set by the first `authenticated` of a connection, read once that event was delivered
    let flushAfterDelivery = false
    // the connection's sender has begun writing (after the handshake, or after `authenticatedFallback`
    // without one): from then on it alone writes what is queued, in order
    let senderWriting = false
    // the connection's first `authenticated` has come
    let handshakeSeen = false
    // the sender (or a failure, or the caller's interruption) is done with a queued send
    const release = (item: Outgoing): void => {
      if (item.counted) {
        item.counted = false
        outstanding--
      }
    }
    // settles a waiting send once; later outcomes (a deadline after the write, ...) are ignored
    const settle = (item: Outgoing, exit: Exit.Exit<void, SogniError>): void => {
      if (item.settled) return
      item.settled = true
      forgetSend(item)
      const resume = item.resume
      if (resume === undefined) {
        item.early = exit
      } else {
        item.resume = undefined
        resume(exit)
      }
    }
    const clock = yield* Effect.clock
    // the send deadlines' fiber's sleep (`sendDeadlines`): the last send to leave the set ends it
    const deadlinesSleep = new WakeableSleep(clock)
    const forgetSend = (item: Outgoing): void => {
      if (pendingSends.delete(item) && pendingSends.size === 0) deadlinesSleep.wake()
    }
    const outbox = yield* Queue.bounded<Outgoing>(settings.sendQueueCapacity)
    /**
     * On the turn of a connection's first `authenticated` frame (after the event was delivered, so that
     * whoever counts handshakes hears of it before a send written here completes): writes what waits,
     * the frames put back first, then the outbox, in order, straight into the socket. The server then has
     * the requests while the frames that came with the handshake are still being read, instead of once
     * the sender's fiber wakes after them. Only while the connection's sender has not begun writing (it
     * waits for this very handshake, unless `authenticatedFallback` let it go first): nothing is overtaken,
     * and the sender goes on with whatever is left or comes later.
     * A write the socket refuses (closing) is put back for the next connection and ends the flush.
     */
    const flushHeld = (): void => {
      const write = openWrite
      if (write === undefined || senderWriting) return
      while (retryFirst.length > 0) {
        const item = retryFirst[0]!
        if (!item.settled) {
          if (!write(item.text)) return
          settle(item, Exit.void)
        }
        retryFirst.shift()
      }
      // (a poll is a fiber of its own: none when the outbox holds nothing)
      while (Option.getOrElse(outbox.unsafeSize(), () => 0) > 0) {
        const next = Effect.runSync(Queue.poll(outbox))
        if (Option.isNone(next)) return
        const item = next.value
        release(item)
        if (item.settled) continue
        if (!write(item.text)) {
          retryFirst.push(item)
          return
        }
        settle(item, Exit.void)
      }
    }
    // frames taken from the outbox whose write failed; sent first on the next connection
    const retryFirst: Array<Outgoing> = []
    // completed for each connection once `authenticated` arrived (or the fallback elapsed)
    let ready = yield* Deferred.make<void, SogniError>()
    let terminal: Option.Option<SogniError> = Option.none()
    // the ends for good so far and the last one's error (`awaitTerminal`, across `reopen`s)
    let terminalEnds = 0
    let lastTerminal: SogniError | undefined
    // how the last connection (or attempt) ended, as the WebSocket reported it (`lastClose`)
    let lastClose: Option.Option<CloseFrame> = Option.none()

    // --- event fan-out -------------------------------------------------------------------------
    interface Subscriber {
      readonly queue: Queue.Queue<Protocol.ServerEvent>
      readonly types: ReadonlySet<string> | undefined
      dropped: number
    }
    const subscribers = new Set<Subscriber>()
    /** A route's handler; it may return a warning to log (a queued route that dropped events). */
    type RouteHandler = (event: Protocol.ServerEvent) => Effect.Effect<void> | undefined
    const routes = new Map<string, RouteHandler>()
    // the route the last routed frame went to, by its key: a stream's frames come in runs of one job
    // (a chat reply is one job throughout), and comparing the id with the last key is cheaper than the
    // map's lookup, which hashes all of the id's characters (a fresh string per frame, its hash not yet
    // computed; a UUID has 36); forgotten whenever a route is claimed or released
    let lastKey: string | undefined
    let lastRoute: RouteHandler | undefined
    const forgetLastRoute = () => {
      lastKey = undefined
      lastRoute = undefined
    }

    /**
     * The route of an event's `jobID`, if one is claimed. The decoder leaves `jobID` as the server wrote
     * it (`decodeServerFrameUnrouted`): found as written, it is in canonical upper-case form already (the
     * route keys are); not found, the payload is upper-cased here (`normalizeIds`, as the decoder would
     * have) and looked up again. Either way every consumer sees the upper-case id.
     */
    const routeOf = (event: Protocol.ServerEvent): RouteHandler | undefined => {
      let jobID = (event.payload as { jobID?: unknown }).jobID
      if (typeof jobID !== "string") return undefined
      if (jobID === lastKey) return lastRoute
      let route = routes.get(jobID)
      if (route === undefined) {
        const payload = Protocol.normalizeIds(event.payload)
        if (payload === event.payload) return undefined
        ;(event as { payload: unknown }).payload = payload
        jobID = (payload as { jobID?: unknown }).jobID
        if (typeof jobID !== "string") return undefined
        route = routes.get(jobID)
        if (route === undefined) return undefined
      }
      lastKey = jobID
      lastRoute = route
      return route
    }

    /** Hands an event to its route (`routeOf`), or else to the subscribers that want its type. */
    const deliver = (event: Protocol.ServerEvent, route: RouteHandler | undefined): Effect.Effect<void> | undefined => {
      if (route !== undefined) return route(event)
      let warn: Effect.Effect<void> | undefined
      for (const sub of subscribers) {
        if (sub.types !== undefined && !sub.types.has(event.type)) continue
        if (!sub.queue.unsafeOffer(event)) {
          sub.dropped++
          if (sub.dropped === 1 || sub.dropped % 1000 === 0) {
            warn = Effect.logWarning("SogniSocket: slow event subscriber, events dropped").pipe(
              Effect.annotateLogs({ dropped: sub.dropped, type: event.type })
            )
          }
        }
      }
      return warn
    }

    // released by a plain scope finalizer (internal/plainRelease.ts): a service's subscriptions live in
    // its layer's scope, and each `acquireRelease` release re-applied the whole context at the program's end
    const subscribe = (types?: ReadonlyArray<Protocol.ServerEventType>) =>
      PlainRelease.acquireRelease(
        Effect.map(Queue.bounded<Protocol.ServerEvent>(settings.eventBufferCapacity), (queue) => {
          const sub: Subscriber = { queue, types: types && types.length > 0 ? new Set(types) : undefined, dropped: 0 }
          subscribers.add(sub)
          return sub
        }),
        (sub) => Effect.zipRight(Effect.sync(() => subscribers.delete(sub)), Queue.shutdown(sub.queue))
      ).pipe(Effect.map((sub): Queue.Dequeue<Protocol.ServerEvent> => sub.queue))

    // claims the route of `jobID` for `handler` now; the remover releases it unless a later claim of the
    // same id took it over
    const claim = (jobID: string, handler: RouteHandler): () => void => {
      const key = jobID.toUpperCase()
      routes.set(key, handler)
      forgetLastRoute()
      return () => {
        if (routes.get(key) === handler) {
          routes.delete(key)
          forgetLastRoute()
        }
      }
    }

    // released by a plain scope finalizer (internal/plainRelease.ts), which every project route pays at its end
    const addRoute = (jobID: string, handler: RouteHandler) =>
      Effect.asVoid(PlainRelease.acquireRelease(Effect.sync(() => claim(jobID, handler)), (remove) => Effect.sync(remove)))

    const eventsTo = (onEvent: (event: Protocol.ServerEvent) => void): RouteHandler => (event) => {
      onEvent(event)
      return undefined
    }

    const routeWith = (jobID: string, onEvent: (event: Protocol.ServerEvent) => void) =>
      addRoute(jobID, eventsTo(onEvent))

    const claimRoute = (jobID: string, onEvent: (event: Protocol.ServerEvent) => void) =>
      claim(jobID, eventsTo(onEvent))

    // Overflow policy of a queued route (`eventBufferCapacity` events waiting): the OLDEST waiting
    // event is dropped to make room (a sliding buffer), counted, with a warning at the first drop and
    // every 1000th. A route carries one job's frames, whose latest ones (the current step, the end)
    // matter more than stale progress; the producer is the socket's turn, which never waits.
    const route = (jobID: string) =>
      Effect.gen(function*() {
        const capacity = Math.max(1, settings.eventBufferCapacity)
        const queue = yield* Effect.acquireRelease(Queue.bounded<Protocol.ServerEvent>(capacity), Queue.shutdown)
        let dropped = 0
        yield* addRoute(jobID, (event) => {
          if (queue.unsafeOffer(event)) return undefined
          // full (or shut down, when the poll finds nothing to drop): make room at the old end, once
          if (Option.isNone(Effect.runSync(Queue.poll(queue))) || !queue.unsafeOffer(event)) return undefined
          dropped++
          return dropped === 1 || dropped % 1000 === 0
            ? Effect.logWarning("SogniSocket: slow route consumer, oldest events dropped").pipe(
              Effect.annotateLogs({ dropped, jobID, type: event.type })
            )
            : undefined
        })
        return queue as Queue.Dequeue<Protocol.ServerEvent>
      })

    // Frames are handled synchronously in arrival order; the few state updates they cause are
    // applied at once so that no later frame can overtake them. `runSyncExit` never throws: should a
    // ref be busy in another fiber, the update simply completes a moment later.
    const applyNow = (effect: Effect.Effect<void>) => {
      Effect.runSyncExit(effect)
    }
    const onEvent = (event: Protocol.ServerEvent): Effect.Effect<void> | undefined => {
      // the route first: its lookup upper-cases a `jobID` the decoder left as written
      const route = routeOf(event)
      switch (event.type) {
        case "authenticated": {
          applyNow(
            Effect.zipRight(
              SubscriptionRefs.set(authenticated, Option.some(event.payload)),
              setStatus(ConnectionStatus.Authenticated())
            )
          )
          // the first `authenticated` of this connection: what waits for it goes out on this frame's turn
          // (below, once the event is delivered), not once the sender's fiber wakes
          if (!handshakeSeen) {
            handshakeSeen = true
            flushAfterDelivery = true
          }
          Deferred.unsafeDone(ready, Exit.void)
          break
        }
        case "changeNetwork": {
          applyNow(SubscriptionRefs.set(network, event.payload.network))
          break
        }
        case "socketEventSubscriptionsUpdated": {
          const snapshot = Object.fromEntries(
            Object.entries(event.payload.socketEventSubscriptions).filter(([, v]) => typeof v === "boolean")
          )
          applyNow(Ref.set(flags, snapshot))
          break
        }
        default: {
          if (isLatestType(event.type)) {
            const ref = latest[event.type] as SubscriptionRef.SubscriptionRef<Option.Option<unknown>>
            applyNow(SubscriptionRefs.set(ref, Option.some(event.payload)))
          }
        }
      }
      const after = deliver(event, route)
      if (flushAfterDelivery) {
        flushAfterDelivery = false
        flushHeld()
      }
      return after
    }

    // --- skipped frames: a warning each, at most `decodeWarningLimit` per interval, then a count (logged
    // when the next interval starts, or at the end of the interval of the first suppressed warning) ---
    const skips = SkipWarnings.unsafeMake<{ readonly reason: string; readonly type?: string | undefined; readonly message: string }>({
      limit: settings.decodeWarningLimit,
      window: settings.decodeWarningInterval,
      flushIn: serviceScope,
      warning: ({ message, reason, type }) =>
        Effect.logWarning(`SogniSocket: skipped a server frame (${reason})`).pipe(
          Effect.annotateLogs({ type: type ?? "?", detail: message.slice(0, 500) })
        ),
      summary: (count) =>
        Effect.logWarning(`SogniSocket: skipped ${count} malformed frames (warnings suppressed)`).pipe(
          Effect.annotateLogs({ skipped: count, interval: Duration.format(settings.decodeWarningInterval) })
        )
    })

    // Total: whatever a frame holds, and whatever a route does with it, ends here as a log line at
    // worst. An exception must never reach ws's listener (it would end the process or stall the socket).
    const onFrame = (raw: string | Uint8Array): Effect.Effect<void> | undefined => {
      try {
        const decoded = Protocol.decodeServerFrameUnrouted(raw)
        if (Protocol.isFrameSkip(decoded)) return skips.report(decoded)
        return onEvent(decoded)
      } catch (error) {
        return skips.report({ reason: "Exception", message: describeThrown(error) })
      }
    }

    const endpointProblem = checkEndpoint("socketEndpoint", settings.socketEndpoint)

    const connectOnce = (
      attempt: number
    ): Effect.Effect<CloseOutcome, SogniAuthenticationError | SogniInvalidRequest | CloseOutcome> =>
      Effect.scoped(
        Effect.gen(function*() {
          // an endpoint that is not a URL can never connect: a terminal typed error, not a defect
          if (Option.isSome(endpointProblem)) return yield* Effect.fail(endpointProblem.value)
          yield* setStatus(ConnectionStatus.Connecting({ attempt }))
          const headers = yield* credentials.headers.pipe(
            Effect.catchIf(
              (e): e is Exclude<SogniError, SogniAuthenticationError> => e._tag !== "SogniAuthenticationError",
              (cause) => Effect.fail(new CloseOutcome({ code: 1006, reason: "", opened: false, cause }))
            )
          )
          const url = connectionUrl({ ...settings, network: yield* SubscriptionRefs.get(network) }, yield* Ref.get(flags))
          // liveness: set by every frame, pong or ping from the server; read and reset by the keepalive
          let heard = false
          let livenessFailure: SogniTransportError | undefined
          const heardOnce = yield* Deferred.make<void>()
          let heardYet = false
          const markHeard = () => {
            heard = true
            if (heardYet) return
            heardYet = true
            Deferred.unsafeDone(heardOnce, Exit.void)
          }
          // Each frame goes to `receive` on the socket's turn (in Node straight from `ws`: no event, none of
          // a reader's per-message checks; see `WebSocketConnection`). What handling a frame returns (a
          // warning to log) runs in a fiber of a set that closes with the connection (nothing runs after that).
          const afterFrame = yield* FiberSet.runtime(yield* FiberSet.make<void>())<never>()
          const receive = (raw: string | Uint8Array): void => {
            markHeard()
            const after = onFrame(raw)
            if (after !== undefined) afterFrame(after)
          }
          // `disconnect` waits for the open, then closes with 1000; an attempt that ends without opening
          // leaves no socket to close, and lets a `disconnect` waiting for it return
          const openConnection = yield* Deferred.make<WebSocketConnection.WebSocketConnection, void>()
          currentClose = Effect.ignore(
            Effect.flatMap(Deferred.await(openConnection), (c) => c.close(1000, "Client disconnected"))
          )
          // (a plain scope finalizer: see internal/plainRelease.ts)
          yield* Scope.addFinalizer(
            yield* Effect.scope,
            Effect.sync(() => {
              currentClose = Effect.void
              openWrite = undefined
              Deferred.unsafeDone(openConnection, Exit.fail(undefined))
            })
          )
          let opened = false
          ready = yield* Deferred.make<void, SogniError>()
          senderWriting = false
          handshakeSeen = false
          const connectionReady = ready

          // Once the connection has ended, its writes wait (until interrupted) instead of going into a
          // closed socket: a frame the sender took from the outbox is then put back for the next connection.
          const sender = (socket: WebSocketConnection.WebSocketConnection) => Effect.gen(function*() {
            // hold sends until `authenticated`, or go ahead after the fallback (older servers) once
            // the server has shown it is there: a frame or an answer to a ping. Nothing is written
            // into a socket that has never answered.
            const authenticatedInTime = yield* Deferred.await(connectionReady).pipe(
              Effect.timeout(settings.authenticatedFallback),
              Effect.option,
              Effect.map(Option.isSome)
            )
            if (!authenticatedInTime && !(yield* Deferred.isDone(heardOnce))) {
              socket.ping()
              yield* Deferred.await(heardOnce)
            }
            senderWriting = true
            while (retryFirst.length > 0) {
              const item = retryFirst[0]!
              if (item.settled) {
                retryFirst.shift()
                continue
              }
              yield* socket.write(item.text)
              retryFirst.shift()
              settle(item, Exit.void)
            }
            // a frame taken from the outbox is either written or put back for the next connection,
            // even if this connection is interrupted in between
            const sendNext = Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(restore(Queue.take(outbox)), (item) =>
                item.settled ? Effect.sync(() => release(item)) : restore(socket.write(item.text)).pipe(
                  Effect.onExit((exit) =>
                    Effect.sync(() => {
                      release(item)
                      if (Exit.isSuccess(exit)) settle(item, Exit.void)
                      else retryFirst.push(item)
                    })
                  )
                ))
            )
            // straight into the socket while it is open; `false` sends the frame through the outbox
            writeNow = socket.writeNow
            yield* Effect.forever(sendNext)
          }).pipe(Effect.ensuring(Effect.sync(() => (writeNow = undefined))))

          // pings every `keepAlive`; a socket silent (no frame, no pong) for `livenessTimeout` is
          // taken for black-holed: it is dropped (1006) and the loop reconnects
          const keepAliveMillis = Duration.toMillis(settings.keepAlive)
          const livenessMillis = Duration.toMillis(settings.livenessTimeout)
          const keepAlive = (socket: WebSocketConnection.WebSocketConnection) => Effect.gen(function*() {
            const ping = Effect.sync(socket.ping)
            let silentMillis = 0
            // a first ping at open, so that every liveness period has asked the server something
            yield* ping
            while (true) {
              yield* Effect.sleep(settings.keepAlive)
              silentMillis = heard ? 0 : silentMillis + keepAliveMillis
              heard = false
              // a browser socket cannot ping, so its silence may be an idle line: no liveness verdict there
              if (silentMillis >= livenessMillis && socket.canPing) {
                const message = `no frame or pong from the server for ${Duration.format(Duration.millis(silentMillis))}`
                livenessFailure = new SogniTransportError({ reason: "Timeout", message })
                yield* Effect.logWarning(`SogniSocket: ${message}; dropping the connection`)
                yield* Effect.sync(socket.terminate)
                return
              }
              yield* ping
            }
          })

          const connectionScope = yield* Effect.scope
          const onOpen = (socket: WebSocketConnection.WebSocketConnection) => Effect.gen(function*() {
            opened = true
            // `authenticated` may already have been handled if it arrived with the upgrade
            if (!(yield* Deferred.isDone(connectionReady))) yield* setStatus(ConnectionStatus.Open())
            yield* Effect.forkIn(sender(socket), connectionScope)
            yield* Effect.forkIn(keepAlive(socket), connectionScope)
          })

          // One connection: the socket opens (within `connectTimeout`), `onOpen` starts the sender and
          // the keepalive, and it runs until the socket closes or fails. Closing its scope (the end, or an
          // interruption) closes the socket (1000) and stops handling its frames.
          const connection = Effect.scoped(Effect.gen(function*() {
            const socket = yield* WebSocketConnection.open({
              url,
              headers,
              maxFrameBytes: settings.maxFrameBytes,
              connectTimeout: settings.connectTimeout,
              onFrame: receive,
              onHeard: markHeard,
              onOpen: (write) => {
                openWrite = write
              },
              readCoalesce: settings.readCoalesce
            })
            Deferred.unsafeDone(openConnection, Exit.succeed(socket))
            yield* onOpen(socket)
            // a normal close (1000) ends the connection without an error (with its reason text)
            const why = yield* socket.ended
            if (why._tag === "Closed" && why.code === 1000) return why.reason
            return yield* Effect.fail(why)
          }))

          const exit = yield* Effect.exit(connection)
          return Exit.match(exit, {
            onSuccess: (reason) => new CloseOutcome({ code: 1000, reason, opened, cause: undefined }),
            onFailure: (cause) => {
              if (livenessFailure !== undefined) return new CloseOutcome({ code: 1006, reason: "", opened, cause: livenessFailure })
              const error = cause._tag === "Fail" ? cause.error : undefined
              if (error?._tag === "Closed") return new CloseOutcome({ code: error.code, reason: error.reason, opened, cause: error })
              // transport failures without a close frame (refused, reset, open timeout) count as 1006
              return new CloseOutcome({ code: 1006, reason: "", opened, cause: error ?? cause })
            }
          })
        })
      )

    const unexpectedStatus = (cause: unknown): number | undefined => {
      const message = WebSocketConnection.isEnded(cause) && cause._tag === "Broken" ? String((cause.cause as any)?.message ?? "") : ""
      const match = /Unexpected server response: (\d+)/.exec(message)
      return match ? Number(match[1]) : undefined
    }

    const failPending = (error: SogniError) =>
      Effect.gen(function*() {
        yield* Deferred.fail(ready, error)
        const failed = Exit.fail(error)
        for (const item of retryFirst.splice(0)) settle(item, failed)
        const rest = yield* Queue.takeAll(outbox)
        for (const item of rest) {
          release(item)
          settle(item, failed)
        }
      })

    // The status last: what waited has failed with the error before a watcher of the status hears of the
    // end (and may `reopen`, after which new sends must not be failed with it).
    const endTerminally = (error: SogniError) =>
      Effect.gen(function*() {
        terminal = Option.some(error)
        terminalEnds++
        lastTerminal = error
        yield* failPending(error)
        yield* setStatus(ConnectionStatus.Closed({ error: Option.some(error) }))
      })

    // --- the loop ------------------------------------------------------------------------------
    let currentClose: Effect.Effect<void> = Effect.void
    let wantedNow = yield* Deferred.make<void>()

    const authError = (reason: SogniAuthenticationError["reason"], detail: string, code: number | undefined) =>
      new SogniAuthenticationError({
        reason,
        message: `the server refused the connection: ${detail}`,
        ...(code !== undefined ? { closeCode: code } : {})
      })

    // Connections, one after another, until one ends for good (returns after `endTerminally`).
    const untilTerminal = Effect.gen(function*() {
      let attempt = 0
      let nextDelay = reconnectDelays()
      // connect on demand: the first send (or `connect`) opens the socket
      yield* Deferred.await(wantedNow)
      while (true) {
        const outcome = yield* Effect.either(connectOnce(attempt))
        let closed: CloseOutcome
        if (Either.isLeft(outcome)) {
          const failure = outcome.left
          // no socket was opened: no close frame to tell of
          lastClose = Option.none()
          if (failure._tag === "SogniAuthenticationError" && failure.reason === "NotAuthenticated") {
            // nothing to connect with yet (logged out, say): fail what waits, connect again on demand. The
            // new wait is in place before the status says `Idle`, so a send or `connect` made once a
            // watcher sees `Idle` is not lost (it would complete the spent wait)
            wantedNow = yield* Deferred.make<void>()
            yield* failPending(failure)
            yield* setStatus(ConnectionStatus.Idle())
            yield* Deferred.await(wantedNow)
            continue
          }
          if (failure._tag === "SogniAuthenticationError" || failure._tag === "SogniInvalidRequest") {
            return yield* endTerminally(failure)
          }
          closed = failure
        } else {
          closed = outcome.right
        }
        const { cause, code, opened } = closed
        // before the status that follows the close, so that its watchers read this close
        lastClose = Option.some({ code: code ?? 1005, reason: closed.reason })
        lastFailure = Option.some(
          new SogniTransportError({
            reason: opened ? "Closed" : "Connect",
            message: describeClose(closed),
            ...(code !== undefined ? { closeCode: code } : {})
          })
        )
        if (opened) {
          attempt = 0
          nextDelay = reconnectDelays()
        }
        const httpStatus = unexpectedStatus(cause)
        const action: CloseAction = httpStatus === 401 || httpStatus === 403
          ? { _tag: "AuthFailed", reason: "InvalidCredentials" }
          : classifyClose(code)
        switch (action._tag) {
          case "Normal": {
            // the next wait first, as above: a `connect` made once a watcher sees `Idle` (the adapter's
            // sign-in, which waits for the connection it opens to be announced) completes it
            wantedNow = yield* Deferred.make<void>()
            yield* setStatus(ConnectionStatus.Idle())
            if ((yield* Queue.size(outbox)) === 0 && retryFirst.length === 0) {
              yield* Deferred.await(wantedNow)
            }
            attempt = 0
            nextDelay = reconnectDelays()
            break
          }
          case "Replaced":
            return yield* endTerminally(
              new SogniConnectionReplacedError({
                appId: settings.appId,
                message: `another connection claimed appId ${settings.appId} (close 4015)`
              })
            )
          case "AuthFailed": {
            const error = authError(action.reason, httpStatus !== undefined ? `HTTP ${httpStatus}` : describeClose(closed), code)
            if (closeRefusesCredential(action.reason)) yield* credentials.invalidate(error)
            return yield* endTerminally(error)
          }
          case "Reconnect": {
            const delay = yield* nextDelay
            if (Option.isNone(delay)) {
              return yield* endTerminally(
                new SogniTransportError({
                  reason: "Closed",
                  message: `gave up reconnecting after close ${code}`,
                  ...(code !== undefined ? { closeCode: code } : {})
                })
              )
            }
            yield* SubscriptionRefs.set(
              status,
              ConnectionStatus.Reconnecting({ attempt: attempt + 1, delay: delay.value, closeCode: code })
            )
            yield* Effect.logInfo(
              `SogniSocket: reconnect attempt ${attempt + 1} in ${Duration.format(delay.value)} (${describeClose(closed)})`
            ).pipe(Effect.annotateLogs({ attempt: attempt + 1, delay: Duration.format(delay.value) }))
            yield* Effect.sleep(delay.value)
            attempt++
            break
          }
        }
      }
    })

    // after an end for good, a connection comes again only once `reopen` asks for it (at once when it
    // already has: a watcher of the status may call it before the loop gets here)
    let reopenAsked = yield* Deferred.make<void>()
    const connectionLoop = Effect.forever(Effect.zipRight(
      untilTerminal,
      Effect.suspend(() => Option.isSome(terminal) ? Deferred.await(reopenAsked) : Effect.void)
    ))
    const loopFiber = yield* Effect.forkScoped(connectionLoop)
    // set when the service's scope starts closing: nothing reopens after that
    let shuttingDown = false

    yield* Scope.addFinalizer(
      serviceScope,
      Effect.gen(function*() {
        shuttingDown = true
        yield* Fiber.interrupt(loopFiber)
        if (Option.isNone(terminal)) {
          yield* setStatus(ConnectionStatus.Closed({ error: Option.none() }))
          // the error only when a send waits for it: its class is built on first use (a Schema class,
          // some milliseconds), which a program that closes its socket with nothing pending need not pay.
          // (`ready` is awaited by a connection's sender alone, which ended with the loop just above.)
          if (retryFirst.length > 0 || (yield* Queue.size(outbox)) > 0) yield* failPending(shutDown())
        }
        yield* Queue.shutdown(outbox)
        routes.clear()
        forgetLastRoute()
        for (const s of subscribers) yield* Queue.shutdown(s.queue)
      })
    )

    const ensureWanted = Effect.suspend(() => Deferred.succeed(wantedNow, undefined))

    // Forgets an end for good: the status returns to `Idle` and the loop waits for the next send (or
    // `connect`). Everything is swapped on one turn, so a send made right after it goes to the new wait.
    const reopen: Effect.Effect<boolean> = Effect.flatMap(
      Effect.zip(Deferred.make<void>(), Deferred.make<void>()),
      ([wanted, nextReopen]) =>
        Effect.suspend(() => {
          if (shuttingDown || Option.isNone(terminal)) return Effect.succeed(false)
          terminal = Option.none()
          wantedNow = wanted
          return Effect.zipRight(
            setStatus(ConnectionStatus.Idle()),
            Effect.sync(() => {
              const asked = reopenAsked
              reopenAsked = nextReopen
              Deferred.unsafeDone(asked, Exit.void)
              return true
            })
          )
        })
    )

    // --- send deadlines ------------------------------------------------------------------------
    // One fiber sleeps until the oldest waiting send falls due and fails every send past its deadline
    // (`sendTimeout` after it was made); with none waiting it waits for the next send. A send that ends
    // first just leaves the set, so the fiber may wake for nothing once and sleep again; the last one to
    // leave ends its sleep (`forgetSend`, `WakeableSleep.ts`) so that it goes idle and its timer
    // is cleared, which would otherwise keep a process done with the SDK (a send refused at once, then a
    // logout) alive until that send's deadline.
    const sendTimeoutMillis = Duration.toMillis(settings.sendTimeout)
    const sendTimeoutText = Duration.format(settings.sendTimeout)
    let deadlinesIdle = false
    const deadlinesWake = yield* Queue.sliding<void>(1)
    const sendDeadlines = Effect.forever(Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      for (const pending of pendingSends) {
        if (pending.at > now) return deadlinesSleep.sleep(pending.at - now, () => pendingSends.size > 0)
        settle(
          pending,
          Exit.fail(
            new SogniTransportError({
              reason: "Timeout",
              message: `no authenticated socket within ${sendTimeoutText} to send ${pending.type}`
            })
          )
        )
      }
      deadlinesIdle = true
      return Queue.take(deadlinesWake)
    }))
    yield* Effect.forkScoped(sendDeadlines)

    // The wait of one send: resumed by `settle`. Interrupted, the send is abandoned: settled with no
    // outcome, so the sender skips its frame and the deadline watcher forgets it.
    const awaitSent = (item: Outgoing): Effect.Effect<void, SogniError> =>
      Effect.async<void, SogniError>((resume) => {
        if (item.early !== undefined) return resume(item.early)
        item.resume = resume
        return Effect.sync(() => {
          item.resume = undefined
          item.settled = true
          forgetSend(item)
        })
      })

    // The deadline starts once the frame is in the outbox (after a wait for room when it was full), as before.
    const watchDeadline = (item: Outgoing): void => {
      // a frame queued after a wait for room may already have been written (or failed) meanwhile
      if (item.settled) return
      pendingSends.add(item)
      if (deadlinesIdle) {
        deadlinesIdle = false
        deadlinesWake.unsafeOffer(undefined)
      }
    }

    // No generator, Deferred or fiber per message: a plain record in the outbox and one callback-based wait.
    // The deadline fails the record itself (the sender then skips the abandoned frame); one service fiber
    // watches every waiting send's deadline (`sendDeadlines`) instead of a timer fiber per send.
    const send = (message: Protocol.ClientMessage): Effect.Effect<void, SogniError> =>
      Effect.suspend(() => {
        if (Option.isSome(terminal)) return Effect.fail(terminal.value)
        const encoded = Protocol.encodeClientMessage(message)
        if (Either.isLeft(encoded)) {
          return Effect.fail(
            new SogniTransportError({
              reason: "Write",
              message: `refused to send an invalid ${message.type}: ${ParseIssues.format(encoded.left.issue)}`
            })
          )
        }
        // connected and nothing queued before it: written on this turn, no record and no wait
        if (writeNow !== undefined && outstanding === 0 && retryFirst.length === 0 && writeNow(encoded.right)) {
          return Effect.void
        }
        const item: Outgoing = {
          text: encoded.right,
          at: 0,
          type: message.type,
          settled: false,
          early: undefined,
          resume: undefined,
          counted: true
        }
        const queued = () => {
          item.at = clock.unsafeCurrentTimeMillis() + sendTimeoutMillis
          Deferred.unsafeDone(wantedNow, Exit.void)
          watchDeadline(item)
          return awaitSent(item)
        }
        // the outbox has room (the usual case): queued on this turn; full, the caller waits for room
        outstanding++
        if (outbox.unsafeOffer(item)) return queued()
        return Effect.flatMap(
          // interrupted while waiting for room: abandoned (skipped if it did get in) and no longer counted
          Queue.offer(outbox, item).pipe(Effect.onInterrupt(() =>
            Effect.sync(() => {
              item.settled = true
              release(item)
            })
          )),
          queued
        )
      })

    /**
     * Completes once the status is `Authenticated` or `Closed` (at once when it is already), as the first
     * such element of `status.changes` would: woken by `setStatus`. A status written since `seen` (between
     * the caller's read and this wait) completes it too, so the caller reads the status again.
     */
    const statusSettled = (seen: number): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (statusWrites !== seen) return resume(Effect.void)
        const wake = () => {
          statusWaiters.delete(wake)
          resume(Effect.void)
        }
        statusWaiters.add(wake)
        return Effect.sync(() => {
          statusWaiters.delete(wake)
        })
      })

    const untilAuthenticated = Effect.gen(function*() {
      yield* ensureWanted
      while (true) {
        if (Option.isSome(terminal)) return yield* Effect.fail(terminal.value)
        const seen = statusWrites
        const s = yield* SubscriptionRefs.get(status)
        const auth = yield* SubscriptionRefs.get(authenticated)
        if (s._tag === "Authenticated" && Option.isSome(auth)) return auth.value
        // `Closed` without a terminal error: the service was shut down and no connection will come (the
        // loop would read the same status again and again, a busy loop until `authenticateTimeout`)
        if (s._tag === "Closed") return yield* Effect.fail(shutDown())
        if (s._tag !== "Authenticated") yield* statusSettled(seen)
      }
    })

    const awaitAuthenticated: Effect.Effect<Protocol.Authenticated, SogniError> = untilAuthenticated.pipe(
      Effect.timeout(settings.authenticateTimeout),
      Effect.catchTag("TimeoutException", () =>
        Effect.flatMap(SubscriptionRefs.get(status), (s) => {
          const last = s._tag === "Open"
            ? Option.some(
              new SogniTransportError({ reason: "Timeout", message: "the socket is open but the server sent no authenticated" })
            )
            : lastFailure
          return Effect.fail(
            new SogniTransportError({
              reason: "Timeout",
              message: `not connected within ${Duration.format(settings.authenticateTimeout)}${
                Option.match(last, { onNone: () => "", onSome: (e) => `; last: ${e.message}` })
              }`,
              ...Option.match(last, { onNone: () => ({}), onSome: (e) => ({ cause: e }) })
            })
          )
        }))
    )

    // woken by each `Authenticated` or `Closed` status write (the same waiters as `awaitAuthenticated`)
    // (by the count of ends, not by `terminal` alone: an end that a `reopen` forgot before this waiter
    // was resumed still completes it)
    const awaitTerminal: Effect.Effect<SogniError> = Effect.suspend(() => {
      if (Option.isSome(terminal)) return Effect.succeed(terminal.value)
      const seen = terminalEnds
      return Effect.suspend(function untilEnd(): Effect.Effect<SogniError> {
        return terminalEnds !== seen ? Effect.succeed(lastTerminal!) : Effect.flatMap(statusSettled(statusWrites), untilEnd)
      })
    })

    // the stream is built by internal/socketWatch.ts, loaded with the first `watch` run (it merges two
    // streams: Effect's channel merge machinery, which nothing else here needs)
    const watch = <K extends LatestEventType>(type: K): Stream.Stream<Protocol.ServerEventPayloads[K], SogniError> => {
      const ref = latest[type] as SubscriptionRef.SubscriptionRef<Option.Option<Protocol.ServerEventPayloads[K]>>
      return LeanStream.unwrap(Effect.map(loadSocketWatch, (m) => m.watch(ref, status, ensureWanted)))
    }

    /** Bounds a wait for a server confirmation by `confirmTimeout`. */
    const confirmed = <A>(what: string, wait: Effect.Effect<A, SogniError>) =>
      Effect.timeoutFail(wait, {
        duration: settings.confirmTimeout,
        onTimeout: () =>
          new SogniTransportError({
            reason: "Timeout",
            message: `the server did not confirm ${what} within ${Duration.format(settings.confirmTimeout)}`
          })
      })

    const eventsOf = <K extends Protocol.ServerEventType>(...types: ReadonlyArray<K>) =>
      LeanStream.unwrapScoped(Effect.map(subscribe(types), (q) => Stream.fromQueue(q))) as Stream.Stream<
        Protocol.ServerEventOf<K>
      >

    const switchNetwork = (target: Protocol.Network) =>
      confirmed(`the network change to ${target}`, Effect.scoped(
        Effect.gen(function*() {
          const confirmations = yield* subscribe(["changeNetwork"])
          yield* send({ type: "changeNetwork", payload: target })
          while (true) {
            const event = yield* Queue.take(confirmations)
            if (event.type === "changeNetwork") return event.payload.network
          }
        })
      ))

    const setEventSubscriptions = (update: Protocol.SetSocketEventSubscriptions) =>
      confirmed("the event-subscription change", Effect.scoped(
        Effect.gen(function*() {
          const snapshots = yield* subscribe(["socketEventSubscriptionsUpdated"])
          yield* send({ type: "setSocketEventSubscriptions", payload: update })
          yield* Queue.take(snapshots)
          return yield* Ref.get(flags)
        })
      ))

    return {
      status,
      authenticated,
      awaitAuthenticated,
      awaitTerminal,
      latest,
      watch,
      network,
      eventSubscriptions: Ref.get(flags),
      send,
      subscribe,
      // built when read (a Stream is a description: the same one each time)
      get events() {
        return LeanStream.unwrapScoped(Effect.map(subscribe(), (q) => Stream.fromQueue(q)))
      },
      eventsOf,
      route,
      routeWith,
      claimRoute,
      switchNetwork,
      setEventSubscriptions,
      connect: Effect.asVoid(ensureWanted),
      disconnect: Effect.suspend(() => currentClose),
      lastClose: Effect.sync(() => lastClose),
      reopen
    } satisfies SogniSocketService
  })
}

/**
 * The socket service; needs settings and a credential source.
 *
 * @since 0.1.0
 */
export function layer(options?: {
  readonly reconnectSchedule?: Schedule.Schedule<unknown> | undefined
}): Layer.Layer<SogniSocket, never, SogniConfig | SocketCredentials> {
  return Layer.scoped(SogniSocket, make(options))
}
