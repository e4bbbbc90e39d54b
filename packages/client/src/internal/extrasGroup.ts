/**
 * The REST services a client loads on first use (see `lazyRuntime.ts`): leaderboards (`sogni.stats`),
 * announcements, rewards and transaction history, the LoRA catalog and personal LoRAs, wallet balances,
 * username checks, signup, nonces and device ids, and subscriptions. A program that only renders images never calls them, so neither their code
 * nor their services load or run at start-up.
 *
 * The facades (`StatsApi`, `AnnouncementsApi`, `AccountApi`, `ProjectsApi`, `PersonalLoras`) reach them
 * through {@link Extras}: the services, the core functions and the group's runner, all from this module,
 * so that nothing of them is imported statically.
 */
import * as AccountChecks from "@effect-sogni/core/AccountChecks"
import * as Announcements from "@effect-sogni/core/Announcements"
import * as Rewards from "@effect-sogni/core/Rewards"
import * as SogniAccount from "@effect-sogni/core/SogniAccount"
import type * as SogniAuth from "@effect-sogni/core/SogniAuth"
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import type * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as Stats from "@effect-sogni/core/Stats"
import * as Subscriptions from "@effect-sogni/core/Subscriptions"
import * as Loras from "@effect-sogni/media/Loras"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { PersonalLoras } from "../LorasApi.js"
import type {
  AppAlert,
  AvailableLorasParams,
  LoraCatalog,
  LoraCatalogEntry,
  PersonalLora,
  Reward,
  RewardsQuery,
  SubscriptionUsage,
  TokenType,
  TxHistoryEntry,
  TxHistoryParams
} from "../types.js"
import { defined } from "./defined.js"
import type { CallOptions, Runner } from "./runner.js"

/** What the group's layer and functions need from the client's context. */
export type ExtrasBase = SogniRest.SogniRest | SogniSocket.SogniSocket | SogniAuth.SogniAuth | SogniConfig.SogniConfig

/** The services the group adds. */
export type ExtrasServices = Rewards.Rewards | Announcements.Announcements | Loras.Loras | Subscriptions.Subscriptions

/** The group's services on the client's REST and socket. */
export const layer: Layer.Layer<ExtrasServices, never, ExtrasBase> = Layer.mergeAll(
  Rewards.layer,
  Announcements.layer,
  Loras.layer,
  Subscriptions.layer
)

const tokenTypeOf = (t: string): TokenType => (t === "sogni" ? "sogni" : "spark")

/** One transaction of a history page as the official entry (`address` defaults to the one asked for). */
const txEntryOf = (tx: Rewards.Transaction, address: string): TxHistoryEntry => {
  const at = (ms: unknown) => new Date(typeof ms === "number" ? ms : 0)
  return defined({
    id: tx.id,
    address: typeof tx["address"] === "string" ? tx["address"] : address,
    createTime: at(tx["createTime"]),
    updateTime: at(tx["updateTime"]),
    status: "completed" as const,
    role: tx.role,
    amount: tx.amount,
    tokenType: tokenTypeOf(tx.tokenType),
    description: tx.description,
    source: tx.source,
    endTime: at(tx["endTime"]),
    type: tx.type,
    billingMode: tx["billingMode"] as TxHistoryEntry["billingMode"],
    paymentModel: tx.paymentModel,
    subscriptionTier: tx["subscriptionTier"] as string | null | undefined,
    subscriptionTrialing: tx["subscriptionTrialing"] as boolean | undefined,
    subscriptionThrottled: tx["subscriptionThrottled"] as boolean | undefined
  })
}

/** One reward as the official `Reward` (`provider` is the one asked for, `base` by default). */
const rewardOf = (raw: Rewards.Reward, provider: RewardsQuery["provider"]): Reward => ({
  id: raw.id,
  type: raw.type,
  title: raw.title,
  description: raw.description,
  amount: String(raw.amount),
  tokenType: tokenTypeOf(raw.tokenType),
  claimed: raw.claimed === 1,
  canClaim: raw.canClaim === 1,
  cantClaimReason: raw.cantClaimReason ?? null,
  lastClaim: new Date(raw.lastClaimTimestamp * 1000),
  nextClaim: raw.lastClaimTimestamp > 0 && raw.claimResetFrequencySec > -1
    ? new Date((raw.lastClaimTimestamp + raw.claimResetFrequencySec) * 1000)
    : null,
  provider: provider ?? "base"
})

/** A catalog row as the official type (the wire's optional fields left out when absent). */
const toCatalogEntry = (entry: Loras.LoraEntry): LoraCatalogEntry => ({
  ...entry,
  relatedLoraIds: [...entry.relatedLoraIds],
  modelIds: [...entry.modelIds],
  ui: defined(entry.ui)
})

/** A personal LoRA as the official type. */
const toPersonal = (lora: Loras.PersonalLora): PersonalLora =>
  defined({ ...lora, modelIds: [...lora.modelIds], requirements: [...lora.requirements] })

/** The loaded group as the facades use it. */
export interface Extras {
  /** Runs an effect in the group's runtime (the client's context plus the group's services). */
  readonly run: Runner<ExtrasBase | ExtrasServices>["run"]
  /** As `run`, also after the server ended the session (a signup signs in again). */
  readonly runUngated: Runner<ExtrasBase | ExtrasServices>["runUngated"]
  readonly rewards: Rewards.RewardsService
  readonly subscriptions: Subscriptions.SubscriptionsService
  /** The plan ids the platform sells (`Subscriptions.PlanId`). */
  readonly planIds: ReadonlyArray<string>
  readonly announcements: Announcements.AnnouncementsService
  /** `sogni.announcements.active`: the live announcements as official `AppAlert`s. */
  readonly activeAlerts: (platform: string | undefined, signal?: AbortSignal) => Promise<Array<AppAlert>>
  readonly loras: Loras.LorasService
  readonly toCatalogEntry: (entry: Loras.LoraEntry) => LoraCatalogEntry
  readonly toPersonal: (lora: Loras.PersonalLora) => PersonalLora
  /**
   * `sogni.projects.availableLoras`: the catalog, optionally only what one model accepts, with the
   * account's ready imported LoRAs (and the models they serve) when `includePersonal`.
   */
  readonly availableLoras: (params: AvailableLorasParams, personal: PersonalLoras, options?: CallOptions) => Promise<LoraCatalog>
  readonly leaderboard: typeof Stats.leaderboard
  readonly walletBalance: typeof AccountChecks.walletBalance
  readonly validateUsername: typeof AccountChecks.validateUsername
  readonly signup: typeof SogniAccount.signup
  readonly nonce: typeof SogniAccount.nonce
  readonly setDeviceId: typeof SogniAccount.setDeviceId
  /** The `errorCode` of a taken username. */
  readonly usernameTaken: number
  /** One page of the account's completed transactions as official entries; `next` asks for the following page. */
  readonly transactionHistory: (
    params: TxHistoryParams,
    signal?: AbortSignal
  ) => Promise<{ entries: Array<TxHistoryEntry>; next: TxHistoryParams }>
  /** The account's rewards as official `Reward`s. */
  readonly rewardList: (query: RewardsQuery, signal?: AbortSignal) => Promise<Array<Reward>>
  /** The subscription now (REST), as the wire record (`internal/accountReads.ts` maps it). */
  readonly subscriptionStatus: (signal?: AbortSignal) => Promise<Subscriptions.SubscriptionInfo>
  /** This period's renders and trial credits. */
  readonly subscriptionUsage: (signal?: AbortSignal) => Promise<SubscriptionUsage>
}

/** The wire alert as the official type (absent and `null` limits both read as "none"). */
const toAppAlert = (a: Announcements.Alert): AppAlert => {
  const { autoCloseMs, endsAt, actions, ...rest } = a
  return defined({
    ...rest,
    autoCloseMs: autoCloseMs ?? undefined,
    endsAt: endsAt ?? undefined,
    actions: actions?.map((x) => defined(x))
  })
}

/** Reads the group's services out of its built runtime (`LazyRuntimes` builds it before calling this). */
export const make = (runner: Runner<ExtrasBase | ExtrasServices>): Extras => ({
  run: (effect, signal) => runner.run(effect, signal),
  runUngated: (effect, signal) => runner.runUngated(effect, signal),
  rewards: runner.runtime.runSync(Rewards.Rewards),
  subscriptions: runner.runtime.runSync(Subscriptions.Subscriptions),
  planIds: Subscriptions.PlanId.literals,
  announcements: runner.runtime.runSync(Announcements.Announcements),
  activeAlerts: async (platform, signal) => {
    const alerts = await runner.run(Effect.flatMap(Announcements.Announcements, (a) => a.active({ platform })), signal)
    return alerts.map(toAppAlert)
  },
  loras: runner.runtime.runSync(Loras.Loras),
  toCatalogEntry,
  toPersonal,
  availableLoras: async (params, personal, options) => {
    const modelId = params.modelId
    const loras = runner.runtime.runSync(Loras.Loras)
    const catalog = await runner.run(loras.catalog({ modelId }), options?.signal)
    const base: LoraCatalog = {
      ...(catalog.lastUpdated !== undefined ? { lastUpdated: catalog.lastUpdated } : {}),
      loras: catalog.loras.map(toCatalogEntry),
      models: [...catalog.models],
      constraints: { ...catalog.constraints }
    }
    if (params.includePersonal !== true) return base
    const mine = await personal.catalog(modelId !== undefined ? { modelId } : {}, options)
    return {
      ...base,
      loras: [...base.loras, ...mine.loras],
      models: [...new Set([...base.models, ...mine.loras.flatMap((l) => l.modelIds)])].sort()
    }
  },
  leaderboard: Stats.leaderboard,
  walletBalance: AccountChecks.walletBalance,
  validateUsername: AccountChecks.validateUsername,
  signup: SogniAccount.signup,
  nonce: SogniAccount.nonce,
  setDeviceId: SogniAccount.setDeviceId,
  usernameTaken: AccountChecks.USERNAME_TAKEN,
  transactionHistory: async (params, signal) => {
    const rewards = runner.runtime.runSync(Rewards.Rewards)
    const page = await runner.run(rewards.transactions({ address: params.address, limit: params.limit, offset: params.offset }), signal)
    return { entries: page.transactions.map((tx) => txEntryOf(tx, params.address)), next: { ...params, offset: page.next } }
  },
  rewardList: async (query, signal) => {
    const list = await runner.run(Effect.flatMap(Rewards.Rewards, (r) => r.list({ provider: query.provider })), signal)
    return list.map((raw) => rewardOf(raw, query.provider))
  },
  subscriptionStatus: async (signal) => {
    const status = await runner.run(Effect.flatMap(Subscriptions.Subscriptions, (s) => s.status), signal)
    return status.subscription
  },
  subscriptionUsage: async (signal) => {
    const u = await runner.run(Effect.flatMap(Subscriptions.Subscriptions, (s) => s.usage), signal)
    return defined({
      periodRenderSpark: u.periodRenderSpark,
      periodJobs: u.periodJobs,
      trialEndsAt: u.trialEndsAt ?? undefined,
      trialCreditsLimit: u.trialCreditsLimit ?? undefined,
      trialCreditsUsed: u.trialCreditsUsed ?? undefined
    })
  }
})
