/**
 * The promise client: `SogniClient.createInstance(config)` with the official client's option names,
 * over the Effect packages composed in one runtime (`Runner`). Every method runs as a fiber of that
 * runtime; `dispose()` interrupts them and releases the socket, timers and fibers.
 *
 * @example
 * ```ts
 * import { SogniClient } from "@effect-sogni/client"
 *
 * const sogni = await SogniClient.createInstance({ appId: "my-app", apiKey: process.env.SOGNI_API_KEY, network: "fast" })
 * sogni.apiClient.on("connected", ({ network }) => console.log("connected to", network))
 * const models = await sogni.projects.waitForModels()
 * const project = await sogni.projects.create({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a fox", steps: 4 })
 * console.log(await project.waitForCompletion())
 * await sogni.dispose()
 * ```
 *
 * @since 0.1.0
 */
import * as LeanRest from "@effect-sogni/core/LeanRest"
import type * as Sogni from "@effect-sogni/core/Sogni"
import * as SogniAuth from "@effect-sogni/core/SogniAuth"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
import * as Media from "@effect-sogni/media/Media"
import * as ProjectState from "@effect-sogni/media/ProjectState"
import * as Models from "@effect-sogni/media/Models"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as EffectLogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import { AccountApi, type CurrentAccount, toBalances } from "./AccountApi.js"
import { AnnouncementsApi } from "./AnnouncementsApi.js"
import { applyEntitlement, BackgroundReads, readIdentity, readSubscription } from "./internal/accountReads.js"
import { StatsApi } from "./StatsApi.js"
import type { ChatApi, ChatRequirements } from "./ChatApi.js"
import { defined } from "./internal/defined.js"
import { Emitter } from "./internal/emitter.js"
import { followed } from "./internal/followed.js"
import { forwardCalls } from "./internal/forward.js"
import { type PublicOf, LazyChatApi, LazyReplayApi, LazyWorkflowsApi } from "./internal/lazyApis.js"
import { LazyRuntimes } from "./internal/lazyRuntime.js"
import { layerRuntime, Runner } from "./internal/runner.js"
import { errorDataOf } from "./Project.js"
import { ProjectsApi } from "./ProjectsApi.js"
import type { ReplayApi, WorkflowsApi } from "./WorkflowsApi.js"
import type {
  ConnectionAttribution,
  Logger as LoggerLike,
  LogLevel,
  SocketEventSubscriptionInput,
  SupernetType
} from "./types.js"

/**
 * Options of {@link SogniClient.createInstance}: the official client's names.
 *
 * @since 0.1.0
 */
export interface SogniClientConfig {
  /** Stable id of this installation (one live socket per id). Optional with `disableSocket`. */
  readonly appId?: string
  /** Attribution label sent on the connection and on requests. */
  readonly appSource?: string
  /** API key; without one, call `account.login(username, password)`. */
  readonly apiKey?: string
  /** `fast` (default) or `relaxed`. */
  readonly network?: SupernetType
  readonly restEndpoint?: string
  readonly socketEndpoint?: string
  /** Sign logins for the testnet. */
  readonly testnet?: boolean
  /** Initial socket event subscriptions (e.g. `{ modelAvailability: false }`). */
  readonly socketEventSubscriptions?: Readonly<Record<string, boolean | undefined>>
  /** REST only: no socket is opened; projects and socket chat are unavailable. */
  readonly disableSocket?: boolean
  /**
   * `debug`, `info`, `warn` (default), `error` or `silent` (nothing at all). With `logger` too, it filters what reaches that
   * logger; a `logger` alone receives every level, as in the official client.
   */
  readonly logLevel?: LogLevel
  /** Where log lines go (default: the console). */
  readonly logger?: LoggerLike
  /**
   * `token` (default: `account.login` or `setTokens`) or `apiKey` (with `apiKey`). `cookies` (an httpOnly
   * session cookie on a `*.sogni.ai` page) is refused by `createInstance` with an `InvalidRequestError`:
   * this client keeps the credential inside its runtime and has no cookie session.
   */
  readonly authType?: "token" | "cookies" | "apiKey"
  /**
   * Attribution defaults (the official `SogniAttributionConfig`). `connection` goes on the socket URL
   * (`interactionKind`, `agentFramework`, …; invalid values dropped, as in the official client).
   * Per-job `workload` attribution is not sent by this client; giving it logs a warning.
   */
  readonly attribution?: {
    readonly connection?: ConnectionAttribution
    readonly workload?: object
  }
  /** Accepted for compatibility (browser tab sharing); ignored. */
  readonly multiInstance?: boolean
}

/**
 * Connection events (the official `apiClient` events): `connecting` when a sign-in opens the socket
 * (before the sign-in's promise resolves) and, after a drop the socket recovers from, as soon as each
 * reconnect attempt is scheduled (before its backoff delay); `connected` once authenticated;
 * `disconnected` only when the connection ends for good (closed, disposed, refused), as the official
 * client reserves it for terminal outcomes; its `code` is the close's (1000 for a close of the client's
 * own) and its `reason` the close frame's text as the server sent it (`""` when it had none), as the
 * official client passes its close event's.
 * @since 0.1.0
 */
export interface ClientEvents {
  readonly connecting: { readonly network: SupernetType }
  readonly connected: { readonly network: SupernetType }
  readonly disconnected: { readonly code: number; readonly reason: string }
}

type Services =
  | Sogni.Services
  | Media.Services

/** The Effect log level of the official `logLevel` (`warn` by default). @internal */
export function levelOf(level: LogLevel | undefined): EffectLogLevel.LogLevel {
  switch (level) {
    case "debug":
      return EffectLogLevel.Debug
    case "info":
      return EffectLogLevel.Info
    case "error":
      return EffectLogLevel.Error
    case "silent":
      return EffectLogLevel.None
    default:
      return EffectLogLevel.Warning
  }
}

/**
 * The client's logging with a custom `logger`: set up by `internal/clientCalls.ts`, loaded for it. On the
 * default logger only the minimum level of `logLevel` is set, on the runtime's build (`layerRuntime`):
 * no layer (a layer of its own, provided and merged, cost the image program ~1,200 of its ~8,800 Effect
 * operations and 7 of its 46 fibers).
 */
async function loggerLayer(config: SogniClientConfig): Promise<Layer.Layer<never> | undefined> {
  return config.logger === undefined ? undefined : (await loadCalls()).customLogger(config.logger, config.logLevel)
}

/**
 * `sogni.apiClient`: the connection's events (`connecting`, `connected`, `disconnected`, with the
 * official payloads) and settings. The transport itself (socket, REST, credentials) stays inside the
 * runtime.
 *
 * @since 0.1.0
 */
export class ApiClient extends Emitter<ClientEvents> {
  /** @internal */
  constructor(
    private readonly owner: { readonly setSocketEventSubscriptions: (u: SocketEventSubscriptionInput) => Promise<void>; readonly dispose: () => Promise<void> },
    private readonly config: Omit<SogniClientConfig, "apiKey">,
    private readonly authenticated: () => boolean
  ) {
    super()
  }
  /** The installation id the client was created with (empty for a REST-only client without one). */
  get appId(): string {
    return this.config.appId ?? ""
  }
  /** The attribution label sent on the connection and on requests. */
  get appSource(): string | undefined {
    return this.config.appSource
  }
  /** Where log lines go. */
  get logger(): LoggerLike {
    return this.config.logger ?? console
  }
  /** Whether the client holds a working credential (the socket authenticated, or a login). */
  get isAuthenticated(): boolean {
    return this.authenticated()
  }
  /** Whether a socket is used (false with `disableSocket`). */
  get socketEnabled(): boolean {
    return this.config.disableSocket !== true
  }
  /** Changes socket event subscriptions (as `SogniClient.setSocketEventSubscriptions`). */
  setSocketEventSubscriptions(update: SocketEventSubscriptionInput): Promise<void> {
    return this.owner.setSocketEventSubscriptions(update)
  }
  /** Closes the connection and releases everything (as `SogniClient.dispose`). */
  dispose(): Promise<void> {
    return this.owner.dispose()
  }
}

/**
 * The socket after a sign-in: an end for good forgotten (a close 4010, 4021, another 4xxx or 4015 before
 * it; `SogniSocket.reopen`), then connected, as the official client connects on a new credential. When
 * that opens a connection (no socket was open or being opened: the status is `Idle`), it completes once
 * the client's connection watcher has announced it (`connecting`, from the `Connecting` status the
 * connection loop writes next; `announced` holds the waits): the official client emits `connecting`
 * from its auth manager's `updated`, before its sign-in's promise resolves. (Also `createInstance`'s
 * first connection with an API key, which the official client announces within `createInstance`.)
 */
function connectAnnounced(announced: Set<() => void>): Effect.Effect<void, never, SogniSocket.SogniSocket> {
  return Effect.flatMap(SogniSocket.SogniSocket, function(socket) {
    return Effect.flatMap(Effect.zipRight(socket.reopen, socket.status.get), function(status) {
      if (status._tag !== "Idle") return socket.connect
      return Effect.flatMap(Deferred.make<void>(), function(done) {
        const wake = function() {
          Deferred.unsafeDone(done, Exit.void)
        }
        announced.add(wake)
        return Effect.ensuring(
          Effect.zipRight(socket.connect, Deferred.await(done)),
          Effect.sync(function() {
            announced.delete(wake)
          })
        )
      })
    })
  })
}

/** The calls of `internal/clientCalls.ts` and what `createInstance` refuses or warns about, loaded on first use. */
let clientCalls: Promise<typeof import("./internal/clientCalls.js")> | undefined
function loadCalls(): Promise<typeof import("./internal/clientCalls.js")> {
  return (clientCalls ??= import("./internal/clientCalls.js"))
}

/**
 * @since 0.1.0
 */
export class SogniClient extends Emitter<ClientEvents> {
  readonly account: AccountApi
  readonly projects: ProjectsApi
  /** Chat completions, hosted chat, chat runs and tools; the chat code loads on the first call. */
  readonly chat: ChatApi
  /** Durable creative workflows and their templates (REST; no socket needed); loaded on the first call. */
  readonly workflows: WorkflowsApi
  /** Replay records (REST); loaded on the first call. */
  readonly replay: ReplayApi
  /** Platform announcements (REST). */
  readonly announcements: AnnouncementsApi
  /** Leaderboards (REST). */
  readonly stats: StatsApi
  /** The connection's events and settings. */
  readonly apiClient: ApiClient

  /**
   * The options the client was created with, without the API key: the key lives only inside the
   * runtime as a `Redacted` value, so neither this object nor `util.inspect(client)` shows it.
   */
  readonly config: Omit<SogniClientConfig, "apiKey">
  /** @internal Whether the client was created with an API key (the key itself stays in the runtime). */
  readonly _hasApiKey: boolean
  /**
   * @internal The sign-ins (and `createInstance`'s first connection) waiting for the connection watcher to
   * announce the connection they open (`connectAnnounced`); woken once it has handled the next status that
   * is not `Idle`.
   */
  readonly _announced = new Set<() => void>()
  /** `chat` as its facade. */
  private readonly lazyChat: LazyChatApi
  /** `chat`, `workflows` and `replay` load their code and services on their first call. */
  private readonly lazy: LazyRuntimes<Services>

  private constructor(
    private readonly runner: Runner<Services>,
    config: SogniClientConfig
  ) {
    super()
    const { apiKey: _secret, ...visible } = config
    this.config = Object.freeze(visible)
    this._hasApiKey = config.apiKey !== undefined
    const socketDisabled = config.disableSocket === true
    this.lazy = new LazyRuntimes(runner)
    // rewards, announcements, leaderboards, LoRAs and wallet checks: loaded on the first such call
    const extras = this.lazy.group(() => import("./internal/extrasGroup.js"))
    // a sign-in opens the socket at once, as the official client's (its auth manager's `updated`), also
    // after the server ended the session: the socket's end is forgotten first (`reopen`)
    this.account = new AccountApi(runner, extras, () =>
      socketDisabled ? Promise.resolve() : runner.run(connectAnnounced(this._announced)).catch(() => undefined))
    this.projects = new ProjectsApi(runner, extras, socketDisabled)
    // facades with the classes' public members (their private ones belong to the loaded classes)
    const chat = this.lazy.group(() =>
      import("./internal/chatGroup.js").then((m) => ({ layer: m.layer, make: (r: Runner<Services | ChatRequirements>) => new m.ChatApi(r, socketDisabled, () => this.lazyChat.models) }))
    )
    this.lazyChat = new LazyChatApi(chat)
    this.chat = this.lazyChat as PublicOf<ChatApi> as ChatApi
    const workflows = this.lazy.group(() => import("./internal/workflowsGroup.js"))
    this.workflows = new LazyWorkflowsApi(() => workflows().then((g) => g.workflows)) as PublicOf<WorkflowsApi> as WorkflowsApi
    this.replay = new LazyReplayApi(() => workflows().then((g) => g.replay)) as PublicOf<ReplayApi> as ReplayApi
    this.announcements = new AnnouncementsApi(extras)
    this.stats = new StatsApi(extras)
    // the visible settings only: the API key never leaves the runtime
    this.apiClient = new ApiClient(this, this.config, () => this.account.currentAccount.isAuthenticated)
  }

  /** @internal The client's runner, for the calls of `internal/clientCalls.ts`. */
  get _runner(): Runner<Services> {
    return this.runner
  }

  /** Alias of {@link apiClient}. */
  get client(): ApiClient {
    return this.apiClient
  }

  /** The account as last seen (balance, identity, connection, subscription). */
  get currentAccount(): CurrentAccount {
    return this.account.currentAccount
  }

  /** A connection event, on `apiClient` (as in the official client) and on the client itself. @internal */
  _connection<K extends keyof ClientEvents>(event: K, data: ClientEvents[K]): void {
    this.apiClient.emit(event, data)
    this.emit(event, data)
  }

  /**
   * Builds the client: the Effect services in one runtime, connection watchers, and (with an API key
   * and the socket enabled) the socket connection.
   */
  static async createInstance(config: SogniClientConfig): Promise<SogniClient> {
    if (config.authType === "cookies" || (config.authType === "token" && config.apiKey !== undefined)) {
      throw (await loadCalls()).authTypeRefusal(config)
    }
    // the settings given (an absent option is left to the packages' defaults)
    const settings = defined({
      connectionAttribution: config.attribution?.connection,
      appId: config.appId,
      apiKey: config.apiKey === undefined ? undefined : Redacted.make(config.apiKey),
      network: config.network,
      restEndpoint: config.restEndpoint,
      socketEndpoint: config.socketEndpoint,
      appSource: config.appSource,
      testnet: config.testnet,
      socketEventSubscriptions: config.socketEventSubscriptions === undefined
        ? undefined
        : Object.fromEntries(
          Object.entries(config.socketEventSubscriptions).filter((e): e is [string, boolean] => typeof e[1] === "boolean")
        )
    })
    let client: SogniClient | undefined
    // the account reads the official client makes by itself (`internal/accountReads.ts`), over core's lean
    // GET; one due before the client exists (the API key's, while the runtime is built) runs once it does
    let lean: BackgroundReads | undefined
    let identityDue = false
    // started in the runtime's scope once the services are built (`layerRuntime`'s `start`): as a layer
    // of their own, provided and merged, they cost the image program ~700 more Effect operations
    const watchers = Effect.gen(function*() {
        const socket = yield* SogniSocket.SogniSocket
        const auth = yield* SogniAuth.SogniAuth
        const clock = yield* Effect.clock
        const c = () => client
        const reads = new BackgroundReads(yield* LeanRest.make)
        lean = reads
        // the socket closed normally (1000) after a connection: the send that reopens it announces no
        // `connecting`, as in the official client (which announces one for a reconnection after a drop
        // and for a new credential only)
        let reopen = false
        // each credential update (an API key, a login, a signup, stored tokens, every token refresh): the
        // account record is read, as the official client reads it on its auth manager's `updated`; a
        // cleared credential (a logout, a REST 401, a close 4021) signs the account out, as there
        if ("followState" in auth) {
          yield* (auth as SogniAuth.SogniAuthLive).followState((state) => {
            const target = c()
            if (state._tag === "Unauthenticated") {
              // the account reads still in flight are given up (a logout ends what the session started)
              reads.abortAll()
              return target?.account._signOut()
            }
            reopen = false
            if (target === undefined) identityDue = true
            else readIdentity(target.account, reads)
          })
        }
        // connection events from the socket's observable status; an `Authenticated` status follows the
        // `authenticated` payload it stands for (both set on the same frame), so one watcher reads that
        // payload too: the account and the projects see it before `connected` is emitted. (One stream
        // per watched value costs tens of kB of fibers, executors and closures for the client's life.)
        // `connected`: authenticated on the current connection; `live`: connected once and not yet announced
        // `disconnected` (still true while a drop is being recovered from, so a reconnect that ends for
        // good, refused or given up, is announced too)
        let connected = false
        let live = false
        // a reconnect attempt announced when it was scheduled (`Reconnecting`): its `Connecting` is not
        // announced again
        let scheduled = false
        // (`SubscriptionRefs.forEachChange`: the same values as running `status.changes`, without loading
        // Effect's stream executor at import)
        yield* SubscriptionRefs.forEachChange(socket.status, (status) =>
            Effect.flatMap(
              Effect.all([socket.network.get, socket.authenticated.get, socket.lastClose]),
              ([network, authenticated, lastClose]) =>
                Effect.flatMap(Effect.sync((): boolean => {
                  const target = c()
                  if (target === undefined) return false
                  let replaced = false
                  const announcedAlready = scheduled
                  scheduled = false
                  switch (status._tag) {
                    case "Connecting":
                      if (reopen || announcedAlready) break
                      target.account._update({ networkStatus: "connecting" })
                      target._connection("connecting", { network })
                      break
                    case "Authenticated":
                      reopen = false
                      if (Option.isSome(authenticated)) {
                        const frame = authenticated.value
                        target.account._update({
                          isAuthenticated: true,
                          username: frame.username,
                          walletAddress: frame.address,
                          ...(frame.tokens !== undefined ? { balance: toBalances(frame.tokens) } : {}),
                          // the free-Spark lock the handshake carries (an absent value leaves it as it was)
                          ...(frame.freeSparkLocked !== undefined
                            ? {
                              freeSparkLocked: frame.freeSparkLocked,
                              freeSparkUnlockPath: frame.freeSparkUnlockPath === "trial" || frame.freeSparkUnlockPath === "purchase"
                                ? frame.freeSparkUnlockPath
                                : undefined
                            }
                            : {})
                        })
                        target.projects._authenticated(frame)
                        // the subscription: the frame's snapshot, else read over REST (in the background)
                        readSubscription(target.account, reads, frame.subscriptionEntitlement, clock.unsafeCurrentTimeMillis())
                      }
                      target.account._update({ networkStatus: "connected", network })
                      // once per connection: another `authenticated` frame on the same socket (a server
                      // that repeats it) updates the account, as the official client does, but is no
                      // new connection
                      if (!connected) {
                        connected = true
                        live = true
                        target._connection("connected", { network })
                      }
                      break
                    case "Reconnecting":
                      // a drop the socket recovers from (or an attempt that failed): as the official client,
                      // no `disconnected` (kept for terminal outcomes), `connecting` as soon as the next
                      // attempt is scheduled (core writes this status before the backoff delay, the attempt's
                      // `Connecting` after it), `connected` once back
                      connected = false
                      reopen = false
                      scheduled = true
                      target.account._update({ networkStatus: "connecting" })
                      target._connection("connecting", { network })
                      break
                    case "Closed":
                    case "Idle": {
                      const error = status._tag === "Closed" ? Option.getOrUndefined(status.error) : undefined
                      // a close with which the server ends the session (4010, 4021, any other 4xxx but
                      // 4015): the official client clears its credential, which signs its account out
                      // before `disconnected`, and fails every later call. Here too the account signs
                      // out and new calls are refused with the close's error (`Runner`'s `Session`); but
                      // core keeps a credential the close did not refuse (4010, another 4xxx), so the
                      // work accepted before is not lost: a finished project's result URLs can still be
                      // minted, where the official client, with no credential left, gets a 401.
                      if (error?._tag === "SogniAuthenticationError") {
                        target._runner.session.ended = error
                        target.account._signOut()
                      }
                      // after 4015 too the next send opens a new connection (below), as in the official
                      // client, which announces it by `connected` alone
                      replaced = error?._tag === "SogniConnectionReplacedError"
                      if (replaced) reopen = true
                      // no network once disconnected, as the official client
                      target.account._update(live ? { networkStatus: "disconnected", network: null } : { networkStatus: "disconnected" })
                      connected = false
                      if (live) {
                        live = false
                        reopen = status._tag === "Idle" || replaced
                        target.projects._disconnected()
                        // the server's close code, as the official client reports it (4015: this appId
                        // connected elsewhere; 4021, 4010, …: refused); 1000 for a close of our own
                        const code = error === undefined
                          ? 1000
                          : error._tag === "SogniConnectionReplacedError"
                          ? 4015
                          : error._tag === "SogniAuthenticationError"
                          ? error.closeCode ?? 1000
                          : 1000
                        // the close frame's reason text as it came (the official client passes its close
                        // event's); none without a close frame
                        target._connection("disconnected", { code, reason: Option.match(lastClose, { onNone: () => "", onSome: (close) => close.reason }) })
                      }
                      break
                    }
                    default:
                      break
                  }
                  // the sign-ins waiting for their connection's `connecting` (`connectAnnounced`): announced
                  // above, or not to be (a connection refused before its attempt, say)
                  if (status._tag !== "Idle" && target._announced.size > 0) {
                    for (const wake of target._announced) wake()
                    target._announced.clear()
                  }
                  return replaced
                }), (replaced) =>
                  // 4015 (another connection claimed this appId) is terminal in core; the official client
                  // opens a new connection with its next send (taking the appId back), so the socket is
                  // reopened: `Idle`, opened by the next send only, never by itself
                  replaced ? socket.reopen : Effect.void)
            )
        ).pipe(Effect.forkScoped)
        // the pushes the client reads from the socket itself, in order, through one subscription and one
        // fiber (a fiber and a queue each cost the image program ~4 M instructions, ~1 ms of its first
        // image, measured with callgrind):
        // - `balanceUpdate`: the balances, as the official client takes them from the push. The account
        //   service's balance ref is set from the same pushes and from `refreshBalance`, whose caller here
        //   (`internal/accountCalls.ts`) updates the account itself, so no watcher of the ref is needed;
        // - project-level errors (`jobError` without imgID): the server's last word on a project, which the
        //   official client sets as its error even when the project already failed by its jobs;
        // - entitlement pushes.
        const pushes = yield* socket.subscribe(["balanceUpdate", "jobError", "subscriptionEntitlementUpdated"])
        yield* Effect.forkScoped(Effect.forever(Effect.map(Queue.take(pushes), (event) => {
          if (event.type === "balanceUpdate") {
            c()?.account._update({ balance: toBalances(event.payload) })
          } else if (event.type === "jobError") {
            if (event.payload.imgID !== undefined) return
            const p = event.payload
            c()?.projects._projectError(p.jobID, errorDataOf(ProjectState.errorData(p.error, p.error_message)))
          } else if (event.type === "subscriptionEntitlementUpdated") {
            const account = c()?.account
            if (account !== undefined) {
              applyEntitlement(account, event.payload, "subscriptionEntitlementUpdated push", clock.unsafeCurrentTimeMillis())
            }
          }
        })))
      })
    // the logging settings: in the client's runtime (its fiber refs), which the lazily loaded groups
    // build on
    const logging = await loggerLayer(config)
    const services = Media.layer(settings)
    const layer = logging === undefined ? services : services.pipe(Layer.provide(logging), Layer.merge(logging))
    const runner = new Runner<Services>(
      layerRuntime<Services>(layer as Layer.Layer<Services>, logging === undefined ? levelOf(config.logLevel) : undefined, watchers)
    )
    client = new SogniClient(runner, config)
    await runner.runtime.runtime()
    // the model lists: read when asked, their changes watched once someone listens for them
    const models = runner.runtime.runSync(Models.Models)
    client.projects._modelsFrom(followed(runner, models.available))
    client.lazyChat._followModels(followed(runner, models.llmModels))
    if (identityDue && lean !== undefined) readIdentity(client.account, lean)
    // attribution the client does not send (a workload, invalid connection fields) is warned about
    if (config.attribution !== undefined) await (await loadCalls()).warnAttribution(runner, config)
    if (config.disableSocket !== true && config.apiKey !== undefined) {
      // announced before this resolves, as the official client's `connecting` (emitted within its
      // `createInstance`, where no listener of the caller's can hear it)
      await runner.run(connectAnnounced(client._announced))
    }
    return client
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.runner.disposed
  }

  /**
   * Interrupts every call in flight, closes the socket and releases everything. Projects still running
   * keep running on the network (as with the official client); their `waitForCompletion` rejects with
   * a `DisposedError`.
   */
  async dispose(): Promise<void> {
    // the loaded groups first: their fibers and streams use the client's services
    await this.lazy.dispose()
    await this.runner.dispose()
    this.removeAllListeners()
  }
}

/**
 * The members of {@link SogniClient} an image program never calls: their code is
 * `internal/clientCalls.ts`, loaded with the first of them.
 *
 * @since 0.1.0
 */
export interface ClientCalls {
  /**
   * Resumes a session from stored tokens (token authentication): the access token is checked (a JWT with
   * `exp`), the account is read (`GET /v1/account/me`) and the socket connects. Rejects with an
   * `InvalidRequestError` on a client created with an API key, as the official client refuses it.
   */
  setTokens(tokens: { readonly token: string; readonly refreshToken: string }): Promise<void>
  /**
   * The official client's cookie-session probe. Cookie authentication is refused at `createInstance`,
   * so this always rejects with an `InvalidRequestError`, as the official client does for a client
   * that does not use cookies.
   */
  checkAuth(): Promise<boolean>
  /** Changes socket event subscriptions at runtime (re-applied on every reconnect). */
  setSocketEventSubscriptions(update: SocketEventSubscriptionInput): Promise<void>
}

export interface SogniClient extends ClientCalls {}

// each of them: loads their module, then runs its code with this client
forwardCalls(SogniClient, ["setTokens", "checkAuth", "setSocketEventSubscriptions"], function() {
  return loadCalls().then((m) => m.calls)
})
