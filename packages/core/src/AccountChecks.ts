/**
 * Account look-ups around signup and wallets (rest.md §3.1, §3.3): whether a username is still free
 * (`POST /v1/account/username/validate`, no credential) and a wallet's on-chain balances
 * (`GET /v2/wallet/balance`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AccountChecks } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const check = yield* AccountChecks.validateUsername("pixelfox")
 *   if (check._tag === "Taken") console.log("pick another name")
 *   const onChain = yield* AccountChecks.walletBalance("0x8Fa3…", "base")
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import { SogniInvalidRequest } from "./SogniError.js"
import { type RestError, SogniRest } from "./SogniRest.js"

/** The server's code for a username that is already taken. @since 0.1.0 */
export const USERNAME_TAKEN = 108

/**
 * The answer of a username check: free, or taken (error code 108, with the server's message).
 *
 * @since 0.1.0
 */
export type UsernameCheck =
  | { readonly _tag: "Available"; readonly username: string }
  | { readonly _tag: "Taken"; readonly username: string; readonly message: string }

/**
 * Asks whether `username` is free. A taken name is an answer (`Taken`), not a failure; an empty name
 * fails with `SogniInvalidRequest` before anything is sent; other refusals fail as `SogniApiError`.
 *
 * @since 0.1.0
 */
export const validateUsername = (
  username: string
): Effect.Effect<UsernameCheck, RestError | SogniInvalidRequest, SogniRest> =>
  Effect.gen(function*() {
    const name = typeof username === "string" ? username.trim() : ""
    if (name.length === 0) {
      return yield* Effect.fail(
        new SogniInvalidRequest({ field: "username", rule: "non-empty", message: "username must be a non-empty string" })
      )
    }
    const rest = yield* SogniRest
    return yield* rest.post("rest", "/v1/account/username/validate", { username: name }, Schema.Unknown, { auth: false }).pipe(
      Effect.as<UsernameCheck>({ _tag: "Available", username: name }),
      Effect.catchIf(
        (e): e is Extract<RestError, { readonly _tag: "SogniApiError" }> => e._tag === "SogniApiError" && e.errorCode === USERNAME_TAKEN,
        (e) => Effect.succeed<UsernameCheck>({ _tag: "Taken", username: name, message: e.message })
      )
    )
  }).pipe(Effect.withSpan("AccountChecks.validateUsername"))

/** On-chain balances of a wallet, decimal strings. @since 0.1.0 */
export const WalletBalance = /* @__PURE__ */ Lazy.schema(() => Schema.Struct({ sogni: Schema.String, spark: Schema.String, ether: Schema.String }))
/** @since 0.1.0 */
export type WalletBalance = typeof WalletBalance.Type

/** The chains a wallet balance can be read on. @since 0.1.0 */
export type Provider = "base" | "etherlink"

/**
 * The SOGNI, Spark and ETH a wallet holds on `provider` (default `base`). The address must be a
 * 0x-prefixed 20-byte hex address (`SogniInvalidRequest` otherwise, nothing sent).
 *
 * @since 0.1.0
 */
export const walletBalance = (
  walletAddress: string,
  provider: Provider = "base"
): Effect.Effect<WalletBalance, RestError | SogniInvalidRequest, SogniRest> =>
  Effect.gen(function*() {
    // the checksum code (keccak) loads on the first call, not with every program that imports this module
    const wallet = typeof walletAddress === "string" ? yield* Effect.promise(() => import("./Wallet.js")) : undefined
    if (wallet === undefined || Option.isNone(wallet.toChecksumAddress(walletAddress))) {
      return yield* Effect.fail(
        new SogniInvalidRequest({ field: "walletAddress", rule: "address", message: `walletAddress must be a 0x-prefixed 20-byte hex address (got ${String(walletAddress)})` })
      )
    }
    if (provider !== "base" && provider !== "etherlink") {
      return yield* Effect.fail(
        new SogniInvalidRequest({ field: "provider", rule: "one-of", message: `provider must be base or etherlink (got ${String(provider)})` })
      )
    }
    const rest = yield* SogniRest
    return yield* rest.get("rest", "/v2/wallet/balance", WalletBalance, { query: { walletAddress, provider } })
  }).pipe(Effect.withSpan("AccountChecks.walletBalance", { attributes: { provider } }))
