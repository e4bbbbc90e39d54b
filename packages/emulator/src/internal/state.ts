/**
 * The emulator's in-memory world: accounts and balances, live connections (one per appId), projects
 * (keyed by upper-case id, O(1)), unclaimed finished projects per appId, rendered-image cache, the
 * fault switches of the control API, this emulator's model catalog, and the state of every subsystem
 * (LLM jobs, workflows, chat runs, saved uploads, LoRAs, rewards, announcements, subscriptions) as
 * explicit fields, so one emulator never shares state with another in the same process. Also the one
 * place frames leave the emulator ({@link sendTo}).
 *
 * @internal
 */
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import type * as Queue from "effect/Queue"
import type { WebSocket } from "ws"
import type { AnnouncementState } from "./announcements.js"
import type { SavedAsset } from "./assets.js"
import type { Catalog, CatalogModel } from "./catalog.js"
import type { ChatRunStore } from "./chatRuns.js"
import type { SseDrop } from "./http/eventLog.js"
import type { EncodedImage } from "./landscape.js"
import type { LLMJob } from "./llm.js"
import type { PersonalLora } from "./loras.js"
import type { RewardClaim } from "./rewards.js"
import type { SubscriptionState } from "./subscriptions.js"
import type { Signer } from "./tokens.js"
import type { Upload } from "./uploads.js"
import type { WorkflowRegistry } from "./workflows/state.js"

/** Token types. @internal */
export type TokenType = "spark" | "sogni"

/** A balance kept as numbers; rendered as decimal strings on the wire. @internal */
export interface BalanceState {
  settled: number
  credit: number
  debit: number
  premiumCredit: number
}

/** An emulator account. @internal */
export interface AccountState {
  readonly username: string
  readonly password: string
  readonly email: string
  readonly walletAddress: string
  readonly SID: number
  readonly addressSID: number
  readonly balances: { spark: BalanceState; sogni: BalanceState }
}

/** Something waiting in a connection's outbox: the exact text of one outer frame. @internal */
export interface Outgoing {
  readonly text: string
  /** When it was queued (epoch ms); frame delays count from here. */
  readonly at: number
}

/** A live, authenticated WebSocket connection. @internal */
export interface Connection {
  readonly id: string
  readonly appId: string
  readonly account: AccountState
  readonly ws: WebSocket
  readonly connectedAt: number
  readonly appSource: string | undefined
  /** Connection attribution from the query (`interactionKind`, `agentFramework`…), invalid values dropped. */
  readonly attribution?: Readonly<Record<string, string>> | undefined
  readonly clientSID: number
  network: Protocol.Network
  /** Explicit overrides from the query parameter and `setSocketEventSubscriptions`. */
  readonly subscriptions: Map<string, boolean>
  readonly outbox: Queue.Queue<Outgoing>
  readonly inbox: Queue.Queue<Uint8Array>
  fiber: Fiber.RuntimeFiber<void, never> | undefined
  closed: boolean
}

/** Raw job statuses (rest.md §5.1). @internal */
export type RawJobStatus =
  | "created"
  | "queued"
  | "assigned"
  | "initiatingModel"
  | "jobStarted"
  | "jobProgress"
  | "jobCompleted"
  | "jobError"

/** One render slot of a project. @internal */
export interface JobSlot {
  readonly jobIndex: number
  imgID: string
  status: RawJobStatus
  reason: string | null
  attempt: number
  performedSteps: number
  seedUsed: number
  workerName: string
  createTime: number
  startTime: number | null
  updateTime: number
  endTime: number | null
}

/** Prompt directives for black-box clients (README). @internal */
export interface Directives {
  readonly slow: boolean
  readonly fail: boolean
  readonly retry: boolean
  readonly drop: boolean
}

/** Video parameters of a project, as admitted. @internal */
export interface VideoPlan {
  /** Frames the model generates (`keyFrames[0].frames`). */
  readonly frames: number
  /** Requested frame rate. */
  readonly fps: number
  /** Frames in the delivered file (WAN at 32 fps interpolates: 2 × frames − 1). */
  readonly outputFrames: number
}

/** Audio parameters of a project, as admitted. @internal */
export interface AudioPlan {
  /** Seconds. */
  readonly duration: number
  readonly bpm: number
  readonly beatsPerBar: number
}

/** A media project. @internal */
export interface Project {
  readonly id: string
  readonly SID: number
  readonly appId: string
  readonly appSource: string | undefined
  readonly account: AccountState
  readonly model: CatalogModel
  readonly request: Protocol.JobRequest
  readonly clientRequestData: string
  readonly imageCount: number
  readonly stepCount: number
  readonly previewCount: number
  readonly width: number
  readonly height: number
  readonly sizePreset: string | undefined
  readonly video: VideoPlan | undefined
  readonly audio: AudioPlan | undefined
  /** Upload slots the request referenced (all verified present at admission). */
  readonly assets: ReadonlyArray<string>
  /** Mean colour of the starting/reference image, blended into renders. */
  readonly tint: readonly [number, number, number] | undefined
  readonly seed: number
  readonly prompt: string
  readonly outputFormat: string
  readonly network: Protocol.Network
  readonly tokenType: TokenType
  readonly directives: Directives
  /** Tokens reserved at admission (released on settlement). */
  readonly reserved: number
  readonly costPerMedia: number
  status: Protocol.RawProjectStatus
  reason: string | null
  readonly createTime: number
  updateTime: number
  endTime: number | null
  costActual: number
  readonly jobs: JobSlot[]
  dropped: boolean
  fiber: Fiber.RuntimeFiber<void, never> | undefined
}

/** Encoded media bytes and their content type. @internal */
export interface EncodedMedia {
  readonly bytes: Uint8Array
  readonly contentType: string
}

/** A pending REST failure injected through the control API. @internal */
export interface RestFault {
  remaining: number
  readonly status: number
  readonly pathPrefix: string | undefined
  readonly retryAfterSeconds: number | undefined
  readonly errorCode: number | undefined
  readonly message: string | undefined
}

/** Resolved emulator options. @internal */
export interface Settings {
  readonly port: number
  readonly host: string
  readonly apiKeys: ReadonlyArray<string>
  /** Simulation speed: every simulated delay is divided by it. */
  readonly speed: number
  readonly mediaUrlTtlMillis: number
  /** Whether `/v1/assets` (saved uploads) is on. */
  readonly savedUploads: boolean
  readonly accessTokenTtlSeconds: number
  readonly refreshTokenTtlSeconds: number
  /** Completion tokens of a `[[long]]` LLM reply; undefined: the built-in length. */
  readonly llmLongTokens?: number | undefined
  /** `jobTokens` frames sent back to back between two token waits. */
  readonly llmTokensPerTick?: number | undefined
}

/** Everything the emulator's parts share. @internal */
export interface World {
  readonly settings: Settings
  readonly signer: Signer
  readonly accounts: ReadonlyArray<AccountState>
  readonly accountsByUsername: Map<string, AccountState>
  readonly accountsByApiKey: Map<string, AccountState>
  readonly accountsByWallet: Map<string, AccountState>
  readonly connections: Map<string, Connection>
  readonly projects: Map<string, Project>
  readonly projectsByApp: Map<string, Set<string>>
  readonly unclaimed: Map<string, Set<string>>
  /** imgID → project id and slot, for download URLs. */
  readonly images: Map<string, { readonly projectId: string; readonly jobIndex: number }>
  readonly renderCache: Map<string, EncodedImage>
  /** Encoded videos and tracks by `imgID.ext`, shared while encoding. */
  readonly mediaCache: Map<string, Promise<EncodedMedia>>
  /** Uploaded input media: project id → slot key → upload. */
  readonly uploads: Map<string, Map<string, Upload>>
  readonly nonces: Map<string, string>
  readonly revokedTokens: Set<string>
  readonly faults: { delayMillis: number; duplicate: number; rest: RestFault[] }
  /** Pending SSE drop budgets (control API `dropEventStreams`), taken in order. */
  readonly sseDrops: Array<SseDrop>
  /** The models this emulator serves (the built-in catalog with the `catalog` option's overrides). */
  readonly catalog: Catalog
  /** Live LLM jobs by upper-case id. */
  readonly llmJobs: Map<string, LLMJob>
  /** Durable workflows, their templates, replay records and stored artifacts. */
  readonly workflows: WorkflowRegistry
  /** Durable chat runs. */
  readonly chatRuns: ChatRunStore
  /** Saved uploads (`/v1/assets`): username → asset id → asset. */
  readonly savedAssets: Map<string, Map<string, SavedAsset>>
  /** Personal LoRAs: username → LoRA id → LoRA. */
  readonly personalLoras: Map<string, Map<string, PersonalLora>>
  /** Reward claims by username. */
  readonly rewardClaims: Map<string, Array<RewardClaim>>
  readonly announcements: AnnouncementState
  readonly subscriptions: SubscriptionState
  /** HTTP requests received, by path (control API `RequestCount`). */
  readonly requestCounts: Map<string, number>
  /** Forks an effect into the emulator's scope (interrupted when the emulator shuts down). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, never>) => Fiber.RuntimeFiber<A, E>
  serial: number
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl: string
}

/** The value of `key` in `map`, created with `make` on first use. @internal */
export const entryOf = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
  let value = map.get(key)
  if (value === undefined) map.set(key, value = make())
  return value
}

/** Next server serial id. @internal */
export const nextSerial = (world: World): number => ++world.serial

/** Decimal string of an amount (at most 4 decimals, no trailing zeros, never `-0`). @internal */
export const formatAmount = (n: number): string => {
  const r = Math.round(n * 10_000) / 10_000
  return Object.is(r, -0) ? "0" : String(r)
}

/** Net spendable amount. @internal */
export const netOf = (b: BalanceState): number => b.settled + b.credit - b.debit

/** The `balanceUpdate` / `/v4/account/balance` shape. @internal */
export const balancesOf = (account: AccountState, withUnclaimed = false): Protocol.Balances => {
  const one = (b: BalanceState, premium: boolean): Protocol.Balance => ({
    settled: formatAmount(b.settled),
    credit: formatAmount(b.credit),
    debit: formatAmount(b.debit),
    net: formatAmount(netOf(b)),
    ...(withUnclaimed ? { relaxedUnclaimed: "0", fastUnclaimed: "0" } : {}),
    ...(premium ? { premiumCredit: formatAmount(b.premiumCredit) } : {})
  })
  return { sogni: one(account.balances.sogni, false), spark: one(account.balances.spark, true) }
}

/** Events a client cannot switch off (the protocol breaks without them). @internal */
const ALWAYS_ON = new Set<string>([
  "authenticated",
  "jobState",
  "jobProgress",
  "jobResult",
  "jobError",
  "jobRetry",
  "artistCancelConfirmation",
  "changeNetwork",
  "socketEventSubscriptionsUpdated",
  "jobTokens",
  "llmJobResult",
  "llmJobError"
])
const GROUPS: Record<string, string> = { swarmModels: "modelAvailability", swarmLLMModels: "modelAvailability" }
const OPT_IN = new Set<string>(["subscriptionLimitNotice", "appAlert"])

/**
 * Whether a connection receives an event: group flags dominate (socket.md §11), then the event's own
 * flag, then the default (on, except the opt-in events).
 *
 * @internal
 */
export const isSubscribed = (subscriptions: ReadonlyMap<string, boolean>, type: string): boolean => {
  if (ALWAYS_ON.has(type)) return true
  const group = GROUPS[type]
  if (group !== undefined && subscriptions.get(group) === false) return false
  const own = subscriptions.get(type)
  if (own !== undefined) return own
  return !OPT_IN.has(type)
}

/**
 * Encodes an event with core's schemas and queues it on one connection (if it is subscribed).
 * Returns whether it was queued.
 *
 * @internal
 */
export const sendTo = (conn: Connection, event: Protocol.ServerEvent): boolean => {
  if (conn.closed || !isSubscribed(conn.subscriptions, event.type)) return false
  const encoded = Protocol.encodeServerEvent(event)
  if (Either.isLeft(encoded)) {
    // A bug in the emulator: report it loudly, but never crash a simulation over it.
    Effect.runFork(Effect.logError(`emulator produced an invalid ${event.type} frame`, encoded.left.message))
    return false
  }
  return conn.outbox.unsafeOffer({ text: encoded.right, at: Date.now() })
}

/** Queues an event on the appId's current connection, if any. @internal */
export const sendToApp = (world: World, appId: string, event: Protocol.ServerEvent): boolean => {
  const conn = world.connections.get(appId)
  return conn === undefined ? false : sendTo(conn, event)
}

/** Queues a `balanceUpdate` on every connection of the account. @internal */
export const pushBalance = (world: World, account: AccountState): void => {
  const payload = balancesOf(account)
  for (const conn of world.connections.values()) {
    if (conn.account === account) sendTo(conn, { type: "balanceUpdate", payload })
  }
}

/** Terminal raw statuses. @internal */
export const isTerminal = (status: Protocol.RawProjectStatus): boolean =>
  status === "completed" || status === "errored" || status === "cancelled"

/** Scales a simulated delay by the speed factor. @internal */
export const simMillis = (world: World, millis: number): number => Math.max(0, Math.round(millis / world.settings.speed))

/**
 * Takes a connection out of routing at once (before its socket has finished closing), so frames and
 * "unclaimed" bookkeeping treat its appId as disconnected from this moment.
 *
 * @internal
 */
export const detach = (world: World, conn: Connection): void => {
  conn.closed = true
  if (world.connections.get(conn.appId) === conn) world.connections.delete(conn.appId)
}
