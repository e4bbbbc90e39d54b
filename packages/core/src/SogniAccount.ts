/**
 * The account behind the credential: who it is and what it can spend.
 *
 * Balances are an observable value: seeded and refreshed over REST (`GET /v4/account/balance`) and
 * replaced wholesale by every `balanceUpdate` the socket delivers, so a caller can render them live.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { SogniAccount } from "@effect-sogni/core"
 *
 * const watch = Effect.gen(function*() {
 *   const account = yield* SogniAccount.SogniAccount
 *   yield* account.balanceChanges.pipe(Stream.runForEach((b) => Effect.log(`spark ${b.spark.net}`)))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseIssues from "./ParseIssues.js"
import type * as ParseResult from "effect/ParseResult"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as Protocol from "./Protocol.js"
import { SogniAuth } from "./SogniAuth.js"
import { SogniConfig } from "./SogniConfig.js"
import { SogniDecodeError, type SogniError, SogniInvalidRequest } from "./SogniError.js"
import { SogniRest } from "./SogniRest.js"
import { SogniSocket } from "./SogniSocket.js"
import * as SubscriptionRefs from "./SubscriptionRefs.js"

/**
 * Who is signed in, as the socket handshake reports it.
 *
 * @since 0.1.0
 */
export interface Identity {
  readonly username: string | undefined
  readonly address: string | undefined
}

/** Text the server may leave out or send as `null`: read as empty text. */
const Text = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.optionalWith(Schema.String, { nullable: true, default: () => "" })
})
/** A flag the server may leave out or send as `null`: read as not set. */
const Flag = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false })
})

/**
 * `GET /v1/account/me` decoded (rest.md §3): who the credential belongs to, its e-mail and its Discord
 * link. `username` and `walletAddress` are required; the other text fields read as `""` and the flags
 * as `false` when the server leaves them out or sends `null` (no e-mail change pending, no Discord
 * account linked).
 *
 * @since 0.1.0
 */
export const MeData = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    username: Schema.String,
    walletAddress: Schema.String,
    currentEmail: Text,
    emailVerified: Flag,
    requestedUpdatedEmail: Text,
    discord2FA: Flag,
    discordLinked: Flag,
    discordServerMember: Flag,
    discordUsername: Text
  })
})
/** @since 0.1.0 */
export type MeData = typeof MeData.Type

// compiled on first use: a module-level decoder compiles its parser at import
let decodeMeCompiled: ((u: unknown) => Effect.Effect<MeData, ParseResult.ParseError>) | undefined
function decodeMe(u: unknown): Effect.Effect<MeData, ParseResult.ParseError> {
  return (decodeMeCompiled ??= Schema.decodeUnknown(MeData))(u)
}

/**
 * @since 0.1.0
 */
export interface SogniAccountService {
  /** The latest known balances (none until the first REST read or `balanceUpdate`). */
  readonly balance: SubscriptionRef.SubscriptionRef<Option.Option<Protocol.Balances>>
  /** Every known balance from now on (the current one first, when there is one). */
  readonly balanceChanges: Stream.Stream<Protocol.Balances>
  /** Reads the balances over REST and publishes them. */
  readonly refreshBalance: Effect.Effect<Protocol.Balances, SogniError>
  /** The current balances: the known value, or a REST read when none is known yet. */
  readonly currentBalance: Effect.Effect<Protocol.Balances, SogniError>
  /** `GET /v1/account/me`, decoded as {@link MeData}. */
  readonly me: Effect.Effect<MeData, SogniError>
  /** The identity from the latest `authenticated` frame. */
  readonly identity: Effect.Effect<Option.Option<Identity>>
}

/**
 * @since 0.1.0
 */
export class SogniAccount extends Context.Tag("@effect-sogni/core/SogniAccount")<SogniAccount, SogniAccountService>() {}

/**
 * Builds the service; its `balanceUpdate` listener lives as long as the scope.
 *
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const socket = yield* SogniSocket
  const rest = yield* SogniRest
  const auth = yield* SogniAuth
  const balance = yield* SubscriptionRefs.make<Option.Option<Protocol.Balances>>(Option.none())

  // subscribe before any connection exists so the first push is never missed
  const updates = yield* socket.subscribe(["balanceUpdate"])
  yield* Effect.forkScoped(
    Effect.forever(
      Effect.flatMap(Queue.take(updates), (event) =>
        event.type === "balanceUpdate" ? SubscriptionRefs.set(balance, Option.some(event.payload)) : Effect.void)
    )
  )

  const refreshBalance = rest.get("rest", "/v4/account/balance", Protocol.AccountBalance).pipe(
    Effect.tap((b) => SubscriptionRefs.set(balance, Option.some(b))),
    Effect.withSpan("SogniAccount.refreshBalance")
  )

  return {
    balance,
    balanceChanges: balance.changes.pipe(Stream.filterMap((o) => o)),
    refreshBalance,
    currentBalance: Effect.flatMap(SubscriptionRefs.get(balance), Option.match({
      onNone: () => refreshBalance,
      onSome: Effect.succeed
    })),
    me: auth.me.pipe(
      Effect.flatMap((raw) =>
        Effect.mapError(decodeMe(raw), (e) =>
          new SogniDecodeError({
            reason: "Body",
            message: `GET /v1/account/me: ${ParseIssues.format(e.issue)}`,
            source: "/v1/account/me"
          }))
      ),
      Effect.withSpan("SogniAccount.me")
    ),
    identity: Effect.map(
      SubscriptionRefs.get(socket.authenticated),
      Option.map((a): Identity => ({ username: a.username, address: a.address }))
    )
  } satisfies SogniAccountService
})

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<SogniAccount, never, SogniSocket | SogniRest | SogniAuth> = Layer.scoped(
  SogniAccount,
  make
)

// ---------------------------------------------------------------------------------------------
// Signup
// ---------------------------------------------------------------------------------------------

/**
 * What a signup needs (the official client's `AccountCreateParams`): the turnstile token is the
 * anti-bot proof the platform's signup form collects.
 *
 * @since 0.1.0
 */
export interface SignupParams {
  readonly username: string
  readonly email: string
  readonly password: Redacted.Redacted<string>
  /** Receive the newsletter. */
  readonly subscribe: boolean
  readonly turnstileToken: string
  readonly referralCode?: string | undefined
  /** Attribution label; defaults to the configured `appSource`. */
  readonly appSource?: string | undefined
  /** Ask for a long-lived session (cookie sessions only). */
  readonly rememberMe?: boolean | undefined
}

/**
 * The account a signup created.
 *
 * @since 0.1.0
 */
export interface CreatedAccount {
  readonly username: string
  readonly walletAddress: string
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

function invalid(field: string, rule: string, message: string) {
  return new SogniInvalidRequest({ field, rule, message })
}

function checkSignup(params: SignupParams): Effect.Effect<SignupParams, SogniInvalidRequest> {
  if (typeof params !== "object" || params === null) {
    return Effect.fail(invalid("params", "type", "signup needs { username, email, password, subscribe, turnstileToken }"))
  }
  if (typeof params.username !== "string" || params.username.trim().length === 0) {
    return Effect.fail(invalid("username", "non-empty", "username must be a non-empty string"))
  }
  if (typeof params.email !== "string" || !EMAIL.test(params.email.trim())) {
    return Effect.fail(invalid("email", "email", "email must be an e-mail address"))
  }
  if (!Redacted.isRedacted(params.password) || Redacted.value(params.password).length === 0) {
    return Effect.fail(invalid("password", "non-empty", "password must be a non-empty Redacted string"))
  }
  if (typeof params.turnstileToken !== "string" || params.turnstileToken.length === 0) {
    return Effect.fail(invalid("turnstileToken", "non-empty", "turnstileToken must be a non-empty string"))
  }
  return Effect.succeed(params)
}

const CreateResponse = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ token: Schema.String, refreshToken: Schema.String })
})

/**
 * Signs up a new account (rest.md §3.1) and starts its session, as a login would: the wallet is derived
 * from the username and password, `POST /v1/account/nonce` gives the nonce, the signup fields are signed
 * (EIP-712 `Signup`, see {@link Signup}) and `POST /v1/account/create` answers with the session's
 * tokens, which go straight to `SogniAuth` (they are never returned). A taken username is the server's
 * refusal (`SogniApiError`, `errorCode` 108).
 *
 * @since 0.1.0
 */
export function signup(
  params: SignupParams
): Effect.Effect<CreatedAccount, SogniError, SogniRest | SogniAuth | SogniConfig> {
  return Effect.gen(function*() {
    const checked = yield* checkSignup(params)
    const rest = yield* SogniRest
    const auth = yield* SogniAuth
    const settings = yield* SogniConfig
    // the curve and hash tables are loaded on the first signup only, as for logins
    const [Signup, Wallet] = yield* Effect.promise(() => Promise.all([import("./Signup.js"), import("./Wallet.js")]))
    const username = checked.username.trim()
    const wallet = Wallet.deriveWallet(username, checked.password)
    const { nonce } = yield* rest.post("rest", "/v1/account/nonce", { walletAddress: wallet.address }, Protocol.NonceResponse, {
      auth: false
    })
    const message = {
      appid: settings.appId,
      username,
      email: checked.email.trim(),
      subscribe: checked.subscribe ? 1 : 0,
      walletAddress: wallet.address,
      nonce
    } as const
    const signature = Signup.signSignup(wallet.privateKey, message, settings.testnet)
    const appSource = checked.appSource?.trim() || Option.getOrUndefined(settings.appSource)
    const { nonce: _signedNonce, ...fields } = message
    const tokens = yield* rest.post(
      "rest",
      "/v1/account/create",
      {
        ...fields,
        turnstileToken: checked.turnstileToken,
        ...(appSource !== undefined ? { appSource } : {}),
        ...(checked.referralCode !== undefined ? { referralCode: checked.referralCode } : {}),
        signature,
        rememberMe: checked.rememberMe ?? false
      },
      CreateResponse,
      { auth: false }
    )
    yield* auth.setTokens({ token: Redacted.make(tokens.token), refreshToken: Redacted.make(tokens.refreshToken) }, username)
    return { username, walletAddress: wallet.address }
  }).pipe(Effect.withSpan("SogniAccount.signup"))
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/**
 * The nonce the server issues for a wallet address (`POST /v1/account/nonce`, no credential): step one
 * of a login or a signup.
 *
 * @since 0.1.0
 */
export function nonce(walletAddress: string): Effect.Effect<string, SogniError, SogniRest> {
  return typeof walletAddress !== "string" || !ADDRESS.test(walletAddress)
    ? Effect.fail(invalid("walletAddress", "address", "walletAddress must be a 0x-prefixed 20-byte hex address"))
    : Effect.flatMap(SogniRest, (rest) =>
      rest.post("rest", "/v1/account/nonce", { walletAddress }, Protocol.NonceResponse, { auth: false })).pipe(
        Effect.map((body) => body.nonce),
        Effect.withSpan("SogniAccount.nonce")
      )
}

/**
 * Associates an opaque host-application device id with the signed-in account
 * (`POST /v1/account/device-id`).
 *
 * @since 0.1.0
 */
export function setDeviceId(deviceId: string): Effect.Effect<void, SogniError, SogniRest> {
  return typeof deviceId !== "string" || deviceId.trim().length === 0
    ? Effect.fail(invalid("deviceId", "non-empty", "deviceId must be a non-empty string"))
    : Effect.flatMap(SogniRest, (rest) => rest.post("rest", "/v1/account/device-id", { deviceId }, Schema.Unknown)).pipe(
      Effect.asVoid,
      Effect.withSpan("SogniAccount.setDeviceId")
    )
}
