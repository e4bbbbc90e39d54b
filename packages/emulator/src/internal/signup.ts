/**
 * Signup (rest.md §3.1): `POST /v1/account/create` with no credential.
 *
 * The body is `{appid, username, email, subscribe: 0|1, walletAddress, turnstileToken, appSource?,
 * referralCode?, signature, rememberMe}`; `signature` is the EIP-712 `Signup` struct over the same
 * fields plus the nonce issued for `walletAddress` (`POST /v1/account/nonce`), on the mainnet or the
 * testnet domain. Refusals use the error envelope: an unknown or used nonce 400 (4001), a signature that
 * does not recover to `walletAddress` 401 (4021), a malformed field 400 naming it, a username an account
 * already has (case-insensitively) 400 with `errorCode` 108, a registered wallet 400 (109). On success
 * the account exists with empty balances, the nonce is spent, and the answer is a session's
 * `{token, refreshToken}`, as a login gives.
 *
 * @internal
 */
import { Wallet } from "@effect-sogni/core"
import * as Signup from "@effect-sogni/core/Signup"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { errorResponse, ok, schemaBody } from "./http/response.js"
import type { AccountState, World } from "./state.js"

const USERNAME = /^[A-Za-z0-9_.-]{3,30}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** The server's code for a username that is already taken (as `username/validate`). */
const USERNAME_TAKEN = 108
/** The code for a wallet that already has an account. */
const WALLET_TAKEN = 109

const CreateBody = Schema.Struct({
  appid: Schema.String,
  username: Schema.String,
  email: Schema.String,
  subscribe: Schema.Literal(0, 1),
  walletAddress: Schema.String,
  turnstileToken: Schema.String,
  signature: Schema.String,
  appSource: Schema.optional(Schema.NullOr(Schema.String)),
  referralCode: Schema.optional(Schema.NullOr(Schema.String)),
  rememberMe: Schema.optional(Schema.Boolean)
})

/** A serial for new accounts, above the configured ones. */
const nextSerial = (world: World) => 48211 + world.accountsByUsername.size + 1000

/** The signup route; `issueTokens` is the login's (same token shape and lifetimes). @internal */
export const signupRouter = (
  world: World,
  issueTokens: (world: World, account: AccountState) => { readonly token: string; readonly refreshToken: string }
) =>
  HttpRouter.empty.pipe(
    HttpRouter.post(
      "/v1/account/create",
      Effect.matchEffect(schemaBody(CreateBody), {
        onFailure: Effect.succeed,
        onSuccess: (body) =>
          Effect.sync(() => {
            const username = body.username.trim()
            if (!USERNAME.test(username)) {
              return errorResponse(400, "username must be 3–30 letters, digits, '_', '-' or '.'", { errorCode: 4001 })
            }
            if (!EMAIL.test(body.email.trim())) return errorResponse(400, "email must be an e-mail address", { errorCode: 4001 })
            if (body.turnstileToken.length === 0) return errorResponse(400, "turnstileToken is required", { errorCode: 4001 })
            const address = Wallet.toChecksumAddress(body.walletAddress)
            if (Option.isNone(address)) {
              return errorResponse(400, "walletAddress must be a 0x-prefixed 20-byte hex address", { errorCode: 4001 })
            }
            const key = address.value.toLowerCase()
            const issued = world.nonces.get(key)
            if (issued === undefined) return errorResponse(400, "Request a nonce first", { errorCode: 4001 })
            const message = {
              appid: body.appid,
              username: body.username,
              email: body.email,
              subscribe: body.subscribe,
              walletAddress: address.value,
              nonce: issued
            }
            const valid = Signup.verifySignup(body.signature, message, false) ||
              Signup.verifySignup(body.signature, message, true)
            if (!valid) return errorResponse(401, "Invalid signature", { errorCode: 4021 })
            if ([...world.accountsByUsername.keys()].some((u) => u.toLowerCase() === username.toLowerCase())) {
              return errorResponse(400, `Username ${username} is already taken`, { errorCode: USERNAME_TAKEN })
            }
            if (world.accountsByWallet.has(key)) {
              return errorResponse(400, "This wallet already has an account", { errorCode: WALLET_TAKEN })
            }
            world.nonces.delete(key)
            const serial = nextSerial(world)
            const account: AccountState = {
              username,
              // the emulator never sees the password (logins prove the wallet key instead)
              password: "",
              email: body.email.trim(),
              walletAddress: address.value,
              SID: serial,
              addressSID: serial - 44834,
              balances: {
                spark: { settled: 0, credit: 0, debit: 0, premiumCredit: 0 },
                sogni: { settled: 0, credit: 0, debit: 0, premiumCredit: 0 }
              }
            }
            world.accountsByUsername.set(username, account)
            world.accountsByWallet.set(key, account)
            return ok(issueTokens(world, account))
          })
      })
    )
  )
