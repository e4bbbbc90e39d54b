/**
 * The token side of `SogniAuth`: a username/password login (the wallet signature), the refresh of a token
 * session, stored tokens (`setTokens`) and the logout of a token session. `SogniAuth` loads it with the
 * first call that needs it (a login, `setTokens`, a login on demand with configured credentials); a
 * program that authenticates with an API key never loads it. The session state stays in `SogniAuth`,
 * which hands this module what it works on ({@link SessionContext}).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Protocol from "../Protocol.js"
import type { AuthError, AuthState } from "../SogniAuth.js"
import type { SogniSettings } from "../SogniConfig.js"
import { SogniAuthenticationError, SogniDecodeError } from "../SogniError.js"
import * as AuthJwt from "./authJwt.js"

/** What `SogniAuth` holds: nothing, an API key, or a token session. */
export type Credential =
  | { readonly _tag: "None" }
  | { readonly _tag: "ApiKey"; readonly key: Redacted.Redacted<string> }
  | TokenCredential

/** A token session. */
export interface TokenCredential {
  readonly _tag: "Token"
  readonly token: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
  readonly expiresAt: number
  readonly refreshExpiresAt: number | undefined
  readonly username: string | undefined
}

/** The session `SogniAuth` keeps: its credential, the state it shows, and a generation bumped on each change. */
export interface Session {
  readonly credential: Credential
  readonly state: AuthState
  readonly generation: number
  readonly autoLogin: boolean
}

/** What this module works on: `SogniAuth`'s session and its helpers. */
export interface SessionContext {
  readonly settings: Pick<SogniSettings, "testnet" | "appSource">
  readonly ref: SubscriptionRef.SubscriptionRef<Session>
  readonly setCredential: (credential: Credential, autoLogin?: boolean) => Effect.Effect<void>
  readonly clear: (autoLogin: boolean) => Effect.Effect<void>
  readonly stateOf: (credential: Credential) => AuthState
  readonly headersOf: (credential: Credential) => Readonly<Record<string, Redacted.Redacted<string>>>
  readonly restCall: <A, I>(
    method: "GET" | "POST",
    path: string,
    schema: Schema.Schema<A, I>,
    options?: {
      readonly json?: unknown
      readonly secretHeaders?: Readonly<Record<string, Redacted.Redacted<string>>>
    }
  ) => Effect.Effect<A, AuthError>
}

const sessionExpired = (detail: string) =>
  new SogniAuthenticationError({ reason: "SessionExpired", message: `the session has ended: ${detail}` })

/** A token session from an access token (a JWT with `exp`) and its refresh token. */
export const tokenCredential = (
  token: Redacted.Redacted<string>,
  refreshToken: Redacted.Redacted<string>,
  username: string | undefined
): Effect.Effect<TokenCredential, SogniDecodeError> =>
  Option.match(AuthJwt.jwtExpiresAt(Redacted.value(token)), {
    onNone: () =>
      Effect.fail(new SogniDecodeError({ reason: "Body", message: "the access token is not a JWT with an exp claim" })),
    onSome: (expiresAt) =>
      Effect.succeed<TokenCredential>({
        _tag: "Token",
        token,
        refreshToken,
        expiresAt,
        refreshExpiresAt: Option.getOrUndefined(AuthJwt.jwtExpiresAt(Redacted.value(refreshToken))),
        username
      })
  })

/** Logs in with a username and password (taken under `SogniAuth`'s lock): nonce, wallet signature, tokens. */
export const login = (ctx: SessionContext, username: string, password: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    // the wallet crypto (secp256k1, keccak, PBKDF2) loads on the first credential login, not at import:
    // programs that authenticate with an API key or a token never pay its start-up cost
    const WalletCrypto = yield* Effect.promise(() => import("./walletCrypto.js"))
    const wallet = yield* Effect.sync(() => {
      const key = WalletCrypto.derivePrivateKey(username, Redacted.value(password))
      return { address: WalletCrypto.addressOfPrivateKey(key), privateKey: key }
    })
    const { nonce } = yield* ctx.restCall("POST", "/v1/account/nonce", Protocol.NonceResponse, {
      json: { walletAddress: wallet.address }
    })
    const signature = WalletCrypto.signAuthentication(wallet.privateKey, wallet.address, nonce, ctx.settings.testnet)
    wallet.privateKey.fill(0)
    const response = yield* ctx.restCall("POST", "/v1/account/login", Protocol.LoginResponse, {
      json: {
        walletAddress: wallet.address,
        signature,
        ...Option.match(ctx.settings.appSource, { onNone: () => ({}), onSome: (appSource) => ({ appSource }) }),
        rememberMe: true
      }
    })
    const credential = yield* tokenCredential(
      Redacted.make(response.token),
      Redacted.make(response.refreshToken),
      response.username ?? username
    )
    yield* ctx.setCredential(credential, true)
    return ctx.stateOf(credential)
  }).pipe(Effect.withSpan("SogniAuth.login"))

/** Refreshes the token session `session` (taken under `SogniAuth`'s lock); answers the headers to use. */
export const refresh = (ctx: SessionContext, session: Session & { readonly credential: TokenCredential }) =>
  Effect.gen(function*() {
    const c = session.credential
    const now = yield* Clock.currentTimeMillis
    if (c.refreshExpiresAt !== undefined && c.refreshExpiresAt <= now) {
      yield* ctx.clear(session.autoLogin)
      return yield* sessionExpired("the refresh token has expired")
    }
    const result = yield* Effect.either(
      ctx.restCall("POST", "/v1/account/refresh-token", Protocol.RefreshResponse, {
        json: { refreshToken: Redacted.value(c.refreshToken) }
      }).pipe(
        Effect.flatMap((r) => tokenCredential(Redacted.make(r.token), Redacted.make(r.refreshToken), c.username))
      )
    )
    const current = yield* SubscriptionRef.get(ctx.ref)
    if (current.generation !== session.generation) {
      // the session changed meanwhile (logout, invalidate, login): the outcome belongs to nobody
      return ctx.headersOf(current.credential)
    }
    if (result._tag === "Right") {
      yield* ctx.setCredential(result.right)
      return ctx.headersOf(result.right)
    }
    const error = result.left
    if (error._tag === "SogniTransportError" || error._tag === "SogniInvalidRequest") {
      // no answer: the session may still be fine; use the current token while it has not expired
      if (now < c.expiresAt) {
        yield* Effect.logWarning("sogni: token refresh failed, using the current token").pipe(
          Effect.annotateLogs({ error: error.message })
        )
        return ctx.headersOf(c)
      }
      return yield* error
    }
    yield* ctx.clear(session.autoLogin)
    yield* Effect.logWarning("sogni: token refresh refused, session cleared").pipe(
      Effect.annotateLogs({ error: `${error._tag}: ${error.message}` })
    )
    return yield* sessionExpired(error.message)
  }).pipe(Effect.withSpan("SogniAuth.refresh"))

/** Tells the server a token session ends (a failure is only logged: the session is cleared locally anyway). */
export const logout = (ctx: SessionContext, c: TokenCredential): Effect.Effect<void> =>
  ctx.restCall("POST", "/v1/account/logout", Schema.Unknown, { secretHeaders: ctx.headersOf(c) }).pipe(
    Effect.catchAll((e) =>
      Effect.logDebug("sogni: logout request failed; clearing locally").pipe(
        Effect.annotateLogs({ error: `${e._tag}: ${e.message}` })
      )
    ),
    Effect.asVoid
  )
