/**
 * The code of `sogni.account`'s {@link AccountCalls}, loaded by dynamic import with the first of them:
 * login and logout, balances and the account record over the client's own services, and the calls of
 * the extras group (signup, nonces, device ids, wallet and username checks, transaction history,
 * rewards, subscriptions), which load that group as before. A program that only renders images calls
 * none of them: `AccountApi` keeps their names, each forwarding to the function of that name here with
 * the facade as first argument. `SogniClient.setTokens` resumes its session here too; the network
 * switch runs here as well.
 */
import * as SogniAccount from "@effect-sogni/core/SogniAccount"
import * as SogniAuth from "@effect-sogni/core/SogniAuth"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type AccountApi, type AccountCalls, toBalances, zeroBalances } from "../AccountApi.js"
import type { BalanceData, SubscriptionPlanId, SupernetType } from "../types.js"
import type { CallOptions } from "./runner.js"
import { applySubscription, snapshotOfStatus, versionOf } from "./accountReads.js"
import { defined } from "./defined.js"

/** {@link AccountCalls} as functions of the `AccountApi` they run for. */
export type AccountCallsCode = {
  readonly [K in keyof AccountCalls]: (api: AccountApi, ...args: Parameters<AccountCalls[K]>) => ReturnType<AccountCalls[K]>
}

const fullBalance = (d: BalanceData) => ({
  settled: d.settled,
  credit: d.credit,
  debit: d.debit,
  net: d.net,
  relaxedUnclaimed: d.relaxedUnclaimed ?? "0",
  fastUnclaimed: d.fastUnclaimed ?? "0"
})

/** The calls, each with the facade first. */
export const calls: AccountCallsCode = {
  login: async (api, username, password, _rememberMe, _appSource, options) => {
    // a sign-in, also after the server ended the session (whose refusal of new calls it lifts)
    await api._runner.runUngated(
      Effect.flatMap(SogniAuth.SogniAuth, (auth) => auth.login(username, Redacted.make(password))),
      options?.signal
    )
    api._runner.session.ended = undefined
    api._update({ isAuthenticated: true, username })
    await api._onLogin()
    return { username }
  },
  logout: async (api, options) => {
    // also after the server ended the session, as the official client's logout (which tolerates the 401
    // it then gets); later calls fail for want of a credential
    await api._runner.runUngated(Effect.flatMap(SogniAuth.SogniAuth, (auth) => auth.logout), options?.signal)
    api._runner.session.ended = undefined
    api._update({
      isAuthenticated: false,
      balance: zeroBalances,
      walletAddress: undefined,
      username: undefined,
      email: undefined,
      subscription: undefined,
      freeSparkLocked: undefined,
      freeSparkUnlockPath: undefined
    })
  },
  refreshBalance: async (api, options) => {
    const balance = toBalances(
      await api._runner.run(Effect.flatMap(SogniAccount.SogniAccount, (a) => a.refreshBalance), options?.signal)
    )
    api._update({ balance })
    return balance
  },
  accountBalance: async (api, options) => {
    const b = await api.refreshBalance(options)
    return { sogni: fullBalance(b.sogni), spark: { ...fullBalance(b.spark), premiumCredit: b.spark.premiumCredit } }
  },
  me: async (api, options) => {
    const me = await api._runner.run(Effect.flatMap(SogniAccount.SogniAccount, (a) => a.me), options?.signal)
    api._update({ username: me.username, email: me.currentEmail === "" ? undefined : me.currentEmail, walletAddress: me.walletAddress })
    return { ...me }
  },
  create: async (api, params, rememberMe, options) => {
    const password = typeof params === "object" && params !== null && typeof params.password === "string" ? params.password : ""
    const x = await api._extras()
    // a sign-in, also after the server ended the session (whose refusal of new calls it lifts)
    const created = await x.runUngated(x.signup({ ...params, password: Redacted.make(password), rememberMe }), options?.signal)
    api._runner.session.ended = undefined
    api._update({ isAuthenticated: true, username: created.username, walletAddress: created.walletAddress })
    await api._onLogin()
    return created
  },
  getNonce: async (api, walletAddress, options) => {
    const x = await api._extras()
    return x.run(x.nonce(walletAddress), options?.signal)
  },
  setDeviceId: async (api, deviceId, options) => {
    const x = await api._extras()
    await x.run(x.setDeviceId(deviceId), options?.signal)
  },
  walletBalance: async (api, walletAddress, provider, options) => {
    const x = await api._extras()
    return { ...await x.run(x.walletBalance(walletAddress, provider ?? "base"), options?.signal) }
  },
  validateUsername: async (api, username, options) => {
    const x = await api._extras()
    const check = await x.run(x.validateUsername(username), options?.signal)
    return check._tag === "Available"
      ? { status: "success", data: undefined }
      : { status: "error", message: check.message, errorCode: x.usernameTaken }
  },
  transactionHistory: async (api, params, options) => {
    const x = await api._extras()
    return x.transactionHistory(params, options?.signal)
  },
  rewards: async (api, query = {}, options) => {
    const x = await api._extras()
    return x.rewardList(query, options?.signal)
  },
  claimRewards: async (api, rewardIds, claim = {}, options) => {
    const x = await api._extras()
    await x.run(x.rewards.claim(rewardIds, { provider: claim.provider, turnstileToken: claim.turnstileToken }), options?.signal)
  },
  refreshSubscription: (api, options) => api.getSubscriptionStatus(options),
  getSubscriptionStatus: async (api, options) => {
    const x = await api._extras()
    const socketWrites = api._subscriptionGate.socketWrites
    const status = await x.subscriptionStatus(options?.signal)
    const subscription = snapshotOfStatus(status)
    // as the official client: a socket snapshot applied while this read was in flight is fresher
    const applied = applySubscription(api, subscription, "rest", versionOf(status["version"]), socketWrites)
    return !applied && api.currentAccount.subscription !== undefined ? api.currentAccount.subscription : subscription
  },
  getSubscriptionUsage: async (api, options) => {
    const x = await api._extras()
    return x.subscriptionUsage(options?.signal)
  },
  getTrialEligibility: async (api, options) => {
    const x = await api._extras()
    const t = await x.run(x.subscriptions.trialEligibility, options?.signal)
    return { eligible: t.eligible, reasonCode: t.reasonCode }
  },
  getSubscriptionPlans: async (api, options) => {
    const x = await api._extras()
    const plans = await x.run(x.subscriptions.plans, options?.signal)
    const planIds = x.planIds
    return plans.map((p) => ({ ...p, tier: planIds.includes(p.tier) ? p.tier as SubscriptionPlanId : p.planId }))
  },
  createSubscriptionCheckout: async (api, planId, term, checkout = {}, options) => {
    const x = await api._extras()
    const link = await x.run(x.subscriptions.checkout({ planId, term, ...checkout }), options?.signal)
    return defined({ url: link.url, message: link.message })
  },
  createSubscriptionPortalSession: async (api, options) => {
    const x = await api._extras()
    const link = await x.run(x.subscriptions.portal, options?.signal)
    return { url: link.url }
  }
}

/**
 * `SogniClient.setTokens` once its arguments are checked: the tokens are handed to the session, the
 * socket connects (unless it is disabled) and its `connecting` is emitted, then the account is read (and
 * becomes `currentAccount`'s), in the official client's order.
 */
export const resumeSession = async (
  api: AccountApi,
  tokens: { readonly token: string; readonly refreshToken: string }
): Promise<void> => {
  // a sign-in, also after the server ended the session (whose refusal of new calls it lifts)
  await api._runner.runUngated(
    Effect.flatMap(SogniAuth.SogniAuth, (auth) =>
      auth.setTokens({ token: Redacted.make(tokens.token), refreshToken: Redacted.make(tokens.refreshToken) }))
  )
  api._runner.session.ended = undefined
  // the socket opens with the new credential, also after the server ended the session (its end
  // forgotten), and is announced before the account is read, as the official client's
  await api._onLogin()
  const me = await api.me()
  api._update({
    isAuthenticated: true,
    ...(typeof me["username"] === "string" ? { username: me["username"] } : {}),
    ...(typeof me["walletAddress"] === "string" ? { walletAddress: me["walletAddress"] } : {})
  })
}

/**
 * `AccountApi.switchNetwork` once the account is marked `switching`: the switch, then the network
 * confirmed. A switch that fails (refused once the session ended, say) leaves the status it found
 * (`before`): a disconnected account does not read `connected`.
 */
export const switchNetwork = async (
  api: AccountApi,
  network: SupernetType,
  options?: CallOptions,
  before: AccountApi["currentAccount"]["networkStatus"] = "connected"
): Promise<SupernetType> => {
  const settled = (status: typeof before) => {
    if (api.currentAccount.networkStatus === "switching") api._update({ networkStatus: status })
  }
  const confirmed = await api._runner.run(
    Effect.flatMap(SogniSocket.SogniSocket, (s) => s.switchNetwork(network)),
    options?.signal
  ).catch((error: unknown) => {
    settled(before === "switching" ? "connected" : before)
    throw error
  })
  settled("connected")
  api._update({ network: confirmed })
  return confirmed
}
