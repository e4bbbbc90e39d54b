/**
 * `sogni.account`: login, logout, balances and the account behind the credential, over core's
 * `SogniAuth` and `SogniAccount`.
 *
 * @since 0.1.0
 */
import { AccountChecks, SogniAccount, SogniAuth, type SogniRest, SogniSocket } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { CallOptions, Runner } from "./internal/runner.js"
import { Emitter } from "./internal/emitter.js"
import type { Balances, SupernetType } from "./types.js"

/** @internal */
export type AccountRequirements = SogniAccount.SogniAccount | SogniAuth.SogniAuth | SogniSocket.SogniSocket | SogniRest.SogniRest

/** The account as last seen (the official client's `CurrentAccount` fields). @since 0.1.0 */
export interface CurrentAccount {
  readonly isAuthenticated: boolean
  readonly networkStatus: "connected" | "disconnected" | "connecting"
  readonly network: SupernetType | null
  readonly balance: Balances | undefined
  readonly username: string | undefined
  readonly walletAddress: string | undefined
}

/** Events of {@link AccountApi}. @since 0.1.0 */
export interface AccountEvents {
  readonly balance: Balances
}

const zero = { settled: "0", credit: "0", debit: "0", net: "0" }

/**
 * @since 0.1.0
 */
export class AccountApi extends Emitter<AccountEvents> {
  private current: CurrentAccount = {
    isAuthenticated: false,
    networkStatus: "disconnected",
    network: null,
    balance: undefined,
    username: undefined,
    walletAddress: undefined
  }

  /** @internal */
  constructor(private readonly runner: Runner<AccountRequirements>, private readonly onLogin: () => void) {
    super()
  }

  /** @internal */
  _update(patch: Partial<CurrentAccount>): void {
    this.current = { ...this.current, ...patch }
    if (patch.balance !== undefined) this.emit("balance", patch.balance)
  }

  /** The account as last seen: balance, identity and connection. */
  get currentAccount(): CurrentAccount {
    return { ...this.current, balance: this.current.balance ?? { sogni: zero, spark: zero } }
  }

  /** Logs in with a username and password (wallet signature), then connects the socket. */
  async login(username: string, password: string, _rememberMe?: boolean, _appSource?: string, options?: CallOptions): Promise<{ readonly username: string }> {
    await this.runner.run(
      Effect.flatMap(SogniAuth.SogniAuth, (auth) => auth.login(username, Redacted.make(password))),
      options?.signal
    )
    this._update({ isAuthenticated: true, username })
    this.onLogin()
    return { username }
  }

  /** Ends the session and closes the socket. */
  async logout(options?: CallOptions): Promise<void> {
    await this.runner.run(Effect.flatMap(SogniAuth.SogniAuth, (auth) => auth.logout), options?.signal)
    this._update({ isAuthenticated: false, username: undefined, walletAddress: undefined, balance: undefined })
  }

  /** Reads the balances now (REST) and publishes them. */
  async refreshBalance(options?: CallOptions): Promise<Balances> {
    const balance = await this.runner.run(
      Effect.flatMap(SogniAccount.SogniAccount, (a) => a.refreshBalance),
      options?.signal
    )
    this._update({ balance })
    return balance
  }

  /** The account behind the credential (`GET /v1/account/me`). */
  me(options?: CallOptions): Promise<Readonly<Record<string, unknown>>> {
    return this.runner.run(Effect.flatMap(SogniAccount.SogniAccount, (a) => a.me), options?.signal)
  }

  /**
   * A wallet's on-chain balances (`GET /v2/wallet/balance`) on `provider` (`base` by default): SOGNI,
   * Spark and ETH as decimal strings.
   */
  walletBalance(
    walletAddress: string,
    provider?: "base" | "etherlink",
    options?: CallOptions
  ): Promise<{ sogni: string; spark: string; ether: string }> {
    return this.runner.run(
      AccountChecks.walletBalance(walletAddress, provider ?? "base").pipe(Effect.map((b) => ({ ...b }))),
      options?.signal
    )
  }

  /**
   * Whether a username is free before signup, as the official client answers: the success body
   * (`{ status: "success" }`) when it is, the server's error payload (`errorCode` 108) when it is taken;
   * other refusals reject.
   */
  async validateUsername(
    username: string,
    options?: CallOptions
  ): Promise<{ status: "success"; data: undefined } | { status: "error"; message: string; errorCode: number }> {
    const check = await this.runner.run(AccountChecks.validateUsername(username), options?.signal)
    return check._tag === "Available"
      ? { status: "success", data: undefined }
      : { status: "error", message: check.message, errorCode: AccountChecks.USERNAME_TAKEN }
  }

  /** Changes the connection's network; resolves with the network the server confirmed. */
  async switchNetwork(network: SupernetType, options?: CallOptions): Promise<SupernetType> {
    const confirmed = await this.runner.run(
      Effect.flatMap(SogniSocket.SogniSocket, (s) => s.switchNetwork(network)),
      options?.signal
    )
    this._update({ network: confirmed })
    return confirmed
  }
}
