/**
 * `sogni.account`: login, logout, balances and the account behind the credential, over core's
 * `SogniAuth` and `SogniAccount`.
 *
 * @since 0.1.0
 */
import type * as SogniAccount from "@effect-sogni/core/SogniAccount"
import type * as SogniAuth from "@effect-sogni/core/SogniAuth"
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import type * as SogniSocket from "@effect-sogni/core/SogniSocket"
import type { CallOptions, Runner } from "./internal/runner.js"
import { Emitter } from "./internal/emitter.js"
import { forwardCalls } from "./internal/forward.js"
import type { Extras } from "./internal/extrasGroup.js"
import type {
  AccountCreateParams,
  BalanceData,
  Balances,
  ClaimOptions,
  CreateSubscriptionCheckoutOptions,
  FullBalances,
  MeData,
  Reward,
  RewardsQuery,
  SubscriptionCheckoutResult,
  SubscriptionEntitlementSnapshot,
  SubscriptionPlan,
  SubscriptionPlanId,
  SubscriptionPortalSession,
  SubscriptionTerm,
  SubscriptionUsage,
  SupernetType,
  TrialEligibility,
  TxHistoryEntry,
  TxHistoryParams
} from "./types.js"

/** @internal */
export type AccountRequirements =
  | SogniAccount.SogniAccount
  | SogniAuth.SogniAuth
  | SogniSocket.SogniSocket
  | SogniRest.SogniRest
  | SogniConfig.SogniConfig

/** What {@link CurrentAccount} holds (the official client's `AccountData`). @since 0.1.0 */
export interface AccountData {
  readonly networkStatus: "connected" | "disconnected" | "connecting" | "switching"
  readonly network: SupernetType | null
  readonly balance: Balances
  readonly walletAddress?: string | undefined
  readonly username?: string | undefined
  readonly email?: string | undefined
  readonly subscription?: SubscriptionEntitlementSnapshot | undefined
  readonly freeSparkLocked?: boolean | undefined
  readonly freeSparkUnlockPath?: "trial" | "purchase" | undefined
}

/** Events of {@link CurrentAccount}: `updated` lists the fields that changed. @since 0.1.0 */
export interface CurrentAccountEvents {
  readonly updated: Array<string>
}

const zero: BalanceData = { settled: "0", credit: "0", debit: "0", net: "0" }
/** @internal */
export const zeroBalances: Balances = { sogni: zero, spark: { ...zero, premiumCredit: "0" } }

/** Reads the wire balances as the official type (a Spark balance without premium credit has none). @internal */
export function toBalances(b: { readonly sogni: BalanceData; readonly spark: BalanceData }): Balances {
  return {
    sogni: b.sogni,
    spark: { ...b.spark, premiumCredit: b.spark.premiumCredit ?? "0" }
  }
}

/**
 * The account as last seen: balance, identity, connection and subscription, kept up to date from the
 * socket; `updated` fires with the names of the fields that changed.
 *
 * @since 0.1.0
 */
export class CurrentAccount extends Emitter<CurrentAccountEvents> {
  private data: AccountData = { networkStatus: "disconnected", network: null, balance: zeroBalances }
  private authenticated = false

  /** @internal */
  _update(delta: Partial<AccountData> & { readonly isAuthenticated?: boolean }): ReadonlyArray<string> {
    const { isAuthenticated, ...fields } = delta
    // objects (balance, subscription) compare by value: the same balance read twice is no change
    const same = (a: unknown, b: unknown) =>
      a === b || (typeof a === "object" && typeof b === "object" && JSON.stringify(a) === JSON.stringify(b))
    const before = new Map<string, unknown>(Object.entries(this.data))
    const changed = Object.entries(fields).filter(([k, v]) => !same(before.get(k), v)).map(([k]) => k)
    if (isAuthenticated !== undefined) this.authenticated = isAuthenticated
    if (changed.length === 0) return changed
    this.data = { ...this.data, ...fields }
    this.emit("updated", changed)
    return changed
  }

  /** Whether the client is logged in (an API key counts once the socket authenticated). */
  get isAuthenticated(): boolean {
    return this.authenticated || this.data.walletAddress !== undefined
  }

  /** The official client's (misspelt) name of {@link isAuthenticated}. */
  get isAuthenicated(): boolean {
    return this.isAuthenticated
  }
  get networkStatus(): AccountData["networkStatus"] {
    return this.data.networkStatus
  }
  get network(): SupernetType | null {
    return this.data.network
  }
  /** The balances (zeros until the first balance is known). */
  get balance(): Balances {
    return this.data.balance
  }
  get walletAddress(): string | undefined {
    return this.data.walletAddress
  }
  get username(): string | undefined {
    return this.data.username
  }
  get email(): string | undefined {
    return this.data.email
  }
  get subscription(): SubscriptionEntitlementSnapshot | undefined {
    return this.data.subscription
  }
  get freeSparkLocked(): boolean | undefined {
    return this.data.freeSparkLocked
  }
  get freeSparkUnlockPath(): "trial" | "purchase" | undefined {
    return this.data.freeSparkUnlockPath
  }
  /** Whether an unlimited plan is active. */
  get isUnlimited(): boolean {
    const sub = this.data.subscription
    return sub !== undefined && sub.active && (sub.tier === "unlimited" || sub.tier === "unlimited_pro")
  }
  /** A copy of the account's data. */
  toJSON(): AccountData {
    return structuredClone(this.data)
  }
}

/** Events of {@link AccountApi}. @since 0.1.0 */
export interface AccountEvents {
  readonly balance: Balances
}

/**
 * @since 0.1.0
 */
export class AccountApi extends Emitter<AccountEvents> {
  /** The account as last seen: balance, identity, connection and subscription. */
  readonly currentAccount = new CurrentAccount()

  /**
   * @internal
   * @param extras loads the rewards, transaction-history, subscription, signup and wallet-check code on
   * the first such call
   */
  constructor(
    private readonly runner: Runner<AccountRequirements>,
    private readonly extras: () => Promise<Extras>,
    /**
     * @internal After a sign-in: opens the socket (unless it is disabled); resolves once the connection
     * it opens is announced (`connecting`), as the official client's sign-in resolves after that event.
     */
    readonly _onLogin: () => Promise<void>
  ) {
    super()
  }

  /** @internal The client's runner, for the calls of `internal/accountCalls.ts`. */
  get _runner(): Runner<AccountRequirements> {
    return this.runner
  }

  /** @internal Loads the extras group, for the calls of `internal/accountCalls.ts`. */
  _extras(): Promise<Extras> {
    return this.extras()
  }

  /**
   * @internal The recency gate of subscription snapshots (`internal/accountReads.ts`, as the official
   * `applySubscriptionSnapshot`): the newest `version` applied and how many socket snapshots were.
   */
  readonly _subscriptionGate: { version: number | undefined; socketWrites: number } = { version: undefined, socketWrites: 0 }

  /**
   * @internal Signs the account out as the official client does once its credential is cleared (its
   * `CurrentAccount._clear()`): the connection, balance, identity, subscription and free-Spark fields go
   * back to their defaults in one `updated` (the e-mail stays, as there), and the subscription snapshots'
   * gate starts afresh.
   */
  _signOut(): void {
    this._subscriptionGate.version = undefined
    this._subscriptionGate.socketWrites = 0
    this._update({
      isAuthenticated: false,
      networkStatus: "disconnected",
      network: null,
      balance: zeroBalances,
      walletAddress: undefined,
      username: undefined,
      subscription: undefined,
      freeSparkLocked: undefined,
      freeSparkUnlockPath: undefined
    })
  }

  /** @internal */
  _update(patch: Partial<AccountData> & { readonly isAuthenticated?: boolean }): void {
    const changed = this.currentAccount._update(patch)
    if (patch.balance !== undefined && changed.includes("balance")) this.emit("balance", patch.balance)
  }

  /**
   * Changes the connection's network; resolves with the network the server confirmed. The account is
   * `switching` from this call's turn; the switch itself runs in `internal/accountCalls.ts`.
   */
  switchNetwork(network: SupernetType, options?: CallOptions): Promise<SupernetType> {
    const before = this.currentAccount.networkStatus
    this._update({ networkStatus: "switching" })
    return loadCalls().then((m) => m.switchNetwork(this, network, options, before))
  }
}

/**
 * The members of {@link AccountApi} an image program never calls (login and logout, balances and the
 * account record, signup, nonces, device ids, wallet and username checks, transaction history, rewards,
 * subscriptions): their code is `internal/accountCalls.ts`, loaded with the first of them (those of the
 * extras group then load that group too), so the image program carries their names only.
 *
 * @since 0.1.0
 */
export interface AccountCalls {
  /** Logs in with a username and password (wallet signature), then connects the socket. */
  login(username: string, password: string, rememberMe?: boolean, appSource?: string, options?: CallOptions): Promise<{ readonly username: string }>
  /** Ends the session and closes the socket. */
  logout(options?: CallOptions): Promise<void>
  /** Reads the balances now (REST) and publishes them. */
  refreshBalance(options?: CallOptions): Promise<Balances>
  /** The balances with every amount present (the unclaimed worker earnings read as zero when not sent). */
  accountBalance(options?: CallOptions): Promise<FullBalances>
  /**
   * The account behind the credential (`GET /v1/account/me`); its username, e-mail and wallet also
   * become `currentAccount`'s, as in the official client.
   */
  me(options?: CallOptions): Promise<MeData>
  /**
   * Signs up a new account and logs it in (the session's tokens stay inside the client, as with
   * {@link AccountApi.login}); then connects the socket. The password never leaves the process: the signup is signed
   * with the wallet derived from it. A taken username rejects with the server's `ApiError` (`errorCode`
   * 108); a missing or malformed field with an `InvalidRequestError` naming it.
   */
  create(params: AccountCreateParams, rememberMe?: boolean, options?: CallOptions): Promise<{ readonly username: string; readonly walletAddress: string }>
  /** The nonce the server issues for a wallet address (step one of a login or signup). */
  getNonce(walletAddress: string, options?: CallOptions): Promise<string>
  /** Associates an opaque host-application device id with the signed-in account. */
  setDeviceId(deviceId: string, options?: CallOptions): Promise<void>
  /**
   * A wallet's on-chain balances (`GET /v2/wallet/balance`) on `provider` (`base` by default): SOGNI,
   * Spark and ETH as decimal strings.
   */
  walletBalance(
    walletAddress: string,
    provider?: "base" | "etherlink",
    options?: CallOptions
  ): Promise<{ sogni: string; spark: string; ether: string }>
  /**
   * Whether a username is free before signup, as the official client answers: the success body
   * (`{ status: "success" }`) when it is, the server's error payload (`errorCode` 108) when it is taken;
   * other refusals reject.
   */
  validateUsername(
    username: string,
    options?: CallOptions
  ): Promise<{ status: "success"; data: undefined } | { status: "error"; message: string; errorCode: number }>
  /** One page of the account's completed transactions; `next` asks for the following page. */
  transactionHistory(
    params: TxHistoryParams,
    options?: CallOptions
  ): Promise<{ entries: Array<TxHistoryEntry>; next: TxHistoryParams }>
  /** The rewards the account can claim or has claimed. */
  rewards(query?: RewardsQuery, options?: CallOptions): Promise<Array<Reward>>
  /** Claims rewards by id. */
  claimRewards(rewardIds: ReadonlyArray<string>, claim?: ClaimOptions, options?: CallOptions): Promise<void>
  /** Same as {@link getSubscriptionStatus}. */
  refreshSubscription(options?: CallOptions): Promise<SubscriptionEntitlementSnapshot>
  /** The subscription now (REST); it also becomes `currentAccount.subscription`. */
  getSubscriptionStatus(options?: CallOptions): Promise<SubscriptionEntitlementSnapshot>
  /** This period's renders and trial credits. */
  getSubscriptionUsage(options?: CallOptions): Promise<SubscriptionUsage>
  /** Whether the account may start a free trial. */
  getTrialEligibility(options?: CallOptions): Promise<TrialEligibility>
  /** The plans on sale. */
  getSubscriptionPlans(options?: CallOptions): Promise<Array<SubscriptionPlan>>
  /** A checkout page for a plan (login sessions only: the platform refuses API keys here). */
  createSubscriptionCheckout(
    planId: SubscriptionPlanId,
    term: SubscriptionTerm,
    checkout?: CreateSubscriptionCheckoutOptions,
    options?: CallOptions
  ): Promise<SubscriptionCheckoutResult>
  /** The billing portal page (login sessions only). */
  createSubscriptionPortalSession(options?: CallOptions): Promise<SubscriptionPortalSession>
}

export interface AccountApi extends AccountCalls {}

let calls: Promise<typeof import("./internal/accountCalls.js")> | undefined
/** Loads `internal/accountCalls.ts` (the calls, the network switch, entitlement pushes). @internal */
export function loadCalls(): Promise<typeof import("./internal/accountCalls.js")> {
  return (calls ??= import("./internal/accountCalls.js"))
}

// each of them: loads their module, then runs its code with this facade
forwardCalls(
  AccountApi,
  [
    "login",
    "logout",
    "refreshBalance",
    "accountBalance",
    "me",
    "create",
    "getNonce",
    "setDeviceId",
    "walletBalance",
    "validateUsername",
    "transactionHistory",
    "rewards",
    "claimRewards",
    "refreshSubscription",
    "getSubscriptionStatus",
    "getSubscriptionUsage",
    "getTrialEligibility",
    "getSubscriptionPlans",
    "createSubscriptionCheckout",
    "createSubscriptionPortalSession"
  ],
  function() {
    return loadCalls().then((m) => m.calls)
  }
)
