/**
 * Credentials: which one is in use, the headers that carry it, and the login/refresh/logout flows
 * (rest.md §3.1, socket.md §3).
 *
 * - **API key** (`SogniConfig.apiKey`): header `api-key: <key>` on every request; nothing to refresh.
 * - **Username/password**: a wallet is derived locally ({@link Wallet}), the server's nonce is signed
 *   (EIP-712) and exchanged for an access token and a refresh token. Requests carry
 *   `Authorization: <raw JWT>` (no `Bearer`). The access token is refreshed `tokenRefreshMargin` before it
 *   expires; concurrent refreshes are coalesced into one request; a refused refresh ends the session
 *   (`SessionExpired`). When the config holds a username and password but no key, the first call to
 *   {@link SogniAuthService.headers} logs in.
 * - A REST 401 or a socket close that refuses the credential (4021, an upgrade answered 401/403; not 4010,
 *   which blocks the `appId`, nor 4015) calls {@link SogniAuthService.invalidate}, which clears the
 *   credential for good (no automatic re-login).
 *
 * The current {@link AuthState} is observable; it never holds secrets. Tokens and keys stay `Redacted`.
 *
 * `SogniAuth` talks to the REST host through `@effect/platform`'s `HttpClient` directly (not through
 * `SogniRest`, which depends on it), sharing the REST boundary (timeouts, retry policy, error mapping)
 * with `SogniRest`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { SogniAuth } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const auth = yield* SogniAuth.SogniAuth
 *   yield* auth.login("pixelfox", Redacted.make("secret"))
 *   const me = yield* auth.me
 *   yield* Effect.log(`logged in as ${me.username}`)
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as PlainRelease from "./internal/plainRelease.js"
import type * as TokenSession from "./internal/tokenSession.js"
import type { Credential, Session } from "./internal/tokenSession.js"
import * as PlatformHttp from "./PlatformHttp.js"
import * as Protocol from "./Protocol.js"
import * as RetryPolicy from "./RetryPolicy.js"
import { SogniConfig } from "./SogniConfig.js"
import {
  type SogniApiError,
  SogniAuthenticationError,
  SogniDecodeError,
  type SogniInvalidRequest,
  type SogniTransportError
} from "./SogniError.js"
import * as SubscriptionRefs from "./SubscriptionRefs.js"

/**
 * The credential in use, without secrets.
 *
 * - `Unauthenticated`: none (never set, logged out, or cleared after a refusal).
 * - `ApiKey`: an API key.
 * - `Token`: a login session; `expiresAt` is the access token's expiry, `refreshExpiresAt` the session's.
 *
 * @since 0.1.0
 */
export type AuthState = Data.TaggedEnum<{
  Unauthenticated: {}
  ApiKey: {}
  Token: {
    readonly username: string | undefined
    readonly expiresAt: Date
    readonly refreshExpiresAt: Date | undefined
  }
}>

/**
 * Constructors and matchers of {@link AuthState}.
 *
 * @since 0.1.0
 */
export const AuthState = Data.taggedEnum<AuthState>()

/**
 * A token pair, e.g. to persist a session and resume it with {@link SogniAuthService.setTokens}.
 *
 * @since 0.1.0
 */
export interface Tokens {
  readonly token: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
}

/**
 * Everything an authenticated call can fail with.
 *
 * @since 0.1.0
 */
export type AuthError =
  | SogniAuthenticationError
  | SogniApiError
  | SogniTransportError
  | SogniDecodeError
  | SogniInvalidRequest

/**
 * The service.
 *
 * @since 0.1.0
 */
export interface SogniAuthService {
  /** The current state. */
  readonly state: Effect.Effect<AuthState>
  /** The current state, then every change. */
  readonly changes: Stream.Stream<AuthState>
  /**
   * The headers that carry the current credential (`api-key` or `authorization`), values `Redacted`.
   * Refreshes the access token first when it is within `tokenRefreshMargin` of expiry, and logs in with the
   * configured username/password when nothing is set yet. Fails with `NotAuthenticated` when there is no
   * credential, `SessionExpired` when the refresh was refused.
   */
  readonly headers: Effect.Effect<Readonly<Record<string, Redacted.Redacted<string>>>, AuthError>
  /** Logs in with a username and password (nonce → EIP-712 signature → tokens). */
  readonly login: (
    username: string,
    password: Redacted.Redacted<string>
  ) => Effect.Effect<AuthState, AuthError>
  /** Resumes a session from stored tokens. Fails when the access token is not a JWT with `exp`. */
  readonly setTokens: (tokens: Tokens, username?: string) => Effect.Effect<AuthState, SogniDecodeError>
  /** The current token pair, to persist it (none unless in a token session). */
  readonly tokens: Effect.Effect<Option.Option<Tokens>>
  /** Switches to an API key. */
  readonly setApiKey: (apiKey: Redacted.Redacted<string>) => Effect.Effect<void>
  /**
   * Ends the session: `POST /v1/account/logout` for a token session (failures, 401 included, are logged and
   * ignored), then clears the credential locally. No automatic re-login afterwards.
   */
  readonly logout: Effect.Effect<void>
  /**
   * Clears the credential because it was refused (REST 401, a socket close 4021). No automatic re-login.
   * With `ifSent` (the headers the refused request carried) a credential that has changed since — e.g. a
   * token refreshed while that request was in flight — is kept.
   */
  readonly invalidate: (
    reason: SogniAuthenticationError["reason"],
    options?: { readonly ifSent?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined }
  ) => Effect.Effect<void>
  /** `GET /v1/account/me`: the account behind the credential. */
  readonly me: Effect.Effect<Protocol.AccountMe, AuthError>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 */
export class SogniAuth extends Context.Tag("@effect-sogni/core/SogniAuth")<SogniAuth, SogniAuthService>() {}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

function stateOf(c: Credential): AuthState {
  switch (c._tag) {
    case "None":
      return AuthState.Unauthenticated()
    case "ApiKey":
      return AuthState.ApiKey()
    case "Token":
      return AuthState.Token({
        username: c.username,
        expiresAt: new Date(c.expiresAt),
        refreshExpiresAt: c.refreshExpiresAt === undefined ? undefined : new Date(c.refreshExpiresAt)
      })
  }
}

function notAuthenticated() {
  return new SogniAuthenticationError({ reason: "NotAuthenticated", message: "no credentials are configured" })
}

/**
 * The service `make` builds, with what the SDK's own followers use beside the public interface (a service
 * written outside the SDK, a test double say, implements `SogniAuthService` only).
 *
 * @internal
 */
export interface SogniAuthLive extends SogniAuthService {
  /**
   * Calls `f` with the current state at once, then with the new state after each credential change, until
   * the scope closes: what {@link SogniAuthService.changes} emits, with a plain callback instead of a Stream
   * per follower (the socket's close on logout, `Sogni.layerServices`).
   */
  readonly followState: (f: (state: AuthState) => void) => Effect.Effect<void, never, Scope.Scope>
}

/**
 * Builds the service from `SogniConfig` and an `HttpClient`.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<SogniAuthLive, never, HttpClient.HttpClient | SogniConfig> = Effect.gen(
  function*() {
    const settings = yield* SogniConfig
    const client = yield* PlatformHttp.HttpClient
    const retry = RetryPolicy.fromSettings(settings)
    const initial: Credential = Option.match(settings.apiKey, {
      onNone: () => ({ _tag: "None" }),
      onSome: (key) => ({ _tag: "ApiKey", key })
    })
    const configuredLogin = Option.all({ username: settings.username, password: settings.password })
    const ref = yield* SubscriptionRefs.make<Session>({
      credential: initial,
      state: stateOf(initial),
      generation: 0,
      autoLogin: Option.isSome(configuredLogin)
    })
    // serializes login, refresh and logout; the fast path of `headers` does not take it
    const lock = yield* Effect.makeSemaphore(1)

    // `followState`'s callbacks, and the state they last heard of with its generation (every state change
    // goes through `setCredential`)
    const stateFollowers = new Set<(state: AuthState) => void>()
    let followedState: AuthState = stateOf(initial)
    let followedGeneration = 0
    // Uninterruptible: a change written to the ref is always told to the followers (an interrupted
    // logout, one under a timeout say, would otherwise clear the credential and leave the socket open).
    // A setter that yielded between its write and its telling finds a newer change told already: its
    // older state is not told after it.
    const setCredential = (credential: Credential, autoLogin?: boolean) =>
      Effect.uninterruptible(Effect.flatMap(
        SubscriptionRefs.updateAndGet(ref, (s) => ({
          credential,
          state: stateOf(credential),
          generation: s.generation + 1,
          autoLogin: autoLogin ?? s.autoLogin
        })),
        (session) =>
          Effect.sync(() => {
            if (session.generation <= followedGeneration) return
            followedGeneration = session.generation
            followedState = session.state
            for (const f of stateFollowers) f(session.state)
          })
      ))
    // released by a plain scope finalizer (internal/plainRelease.ts)
    const followState: SogniAuthLive["followState"] = (f) =>
      PlainRelease.acquireRelease(
        Effect.sync(() => {
          stateFollowers.add(f)
          f(followedState)
        }),
        () =>
          Effect.sync(() => {
            stateFollowers.delete(f)
          })
      )

    // the exchange over the HttpClient loads with the first request (internal/restExchange.ts)
    const exchanges = Effect.promise(() => import("./internal/restExchange.js"))
    const restCall = <A, I>(
      method: "GET" | "POST",
      path: string,
      schema: Schema.Schema<A, I>,
      options: {
        readonly json?: unknown
        readonly secretHeaders?: Readonly<Record<string, Redacted.Redacted<string>>>
        readonly on401?: Effect.Effect<void>
      } = {}
    ): Effect.Effect<A, AuthError> => {
      const url = `${settings.restEndpoint}${path}`
      return Effect.flatMap(exchanges, (X) =>
        X.exchangeText(
          client,
          {
            method,
            url,
            json: options.json,
            secretHeaders: options.secretHeaders,
            timeout: settings.requestTimeout,
            retry,
            maxBytes: settings.maxResponseBytes
          },
          options.on401
        ).pipe(
          Effect.flatMap(({ body }) => X.parseJsonBody(method, url, body)),
          Effect.flatMap((json) => X.decodeBody(method, url, "envelope", json, schema))
        ))
    }

    const headersOf = (c: Credential): Readonly<Record<string, Redacted.Redacted<string>>> =>
      c._tag === "ApiKey" ? { "api-key": c.key } : c._tag === "Token" ? { authorization: c.token } : {}

    const margin = Duration.toMillis(settings.tokenRefreshMargin)

    const clear = (autoLogin: boolean) => setCredential({ _tag: "None" }, autoLogin)

    // the token side (login, refresh, stored tokens, logout of a token session) loads with its first use
    const context: TokenSession.SessionContext = { settings, ref, setCredential, clear, stateOf, headersOf, restCall }
    const tokenSession = Effect.promise(() => import("./internal/tokenSession.js"))
    const loginUnlocked = (username: string, password: Redacted.Redacted<string>) =>
      Effect.flatMap(tokenSession, (T) => T.login(context, username, password))

    /** The slow path of `headers`, under the lock: refresh or log in. */
    const ensureUnlocked: Effect.Effect<Readonly<Record<string, Redacted.Redacted<string>>>, AuthError> = Effect
      .gen(function*() {
        const session = yield* SubscriptionRefs.get(ref)
        const c = session.credential
        const now = yield* Clock.currentTimeMillis
        switch (c._tag) {
          case "ApiKey":
            return headersOf(c)
          case "Token": {
            if (now + margin < c.expiresAt) return headersOf(c)
            return yield* Effect.flatMap(tokenSession, (T) => T.refresh(context, { ...session, credential: c }))
          }
          case "None": {
            if (!session.autoLogin || Option.isNone(configuredLogin)) return yield* notAuthenticated()
            yield* loginUnlocked(configuredLogin.value.username, configuredLogin.value.password).pipe(
              // refused credentials will not get better: stop logging in on demand (transport errors may)
              Effect.tapErrorTag("SogniAuthenticationError", () =>
                SubscriptionRefs.update(ref, (s) => ({ ...s, autoLogin: false })))
            )
            const after = yield* SubscriptionRefs.get(ref)
            return headersOf(after.credential)
          }
        }
      })

    const headers: SogniAuthService["headers"] = Effect.gen(function*() {
      const { credential: c } = yield* SubscriptionRefs.get(ref)
      if (c._tag === "ApiKey") return headersOf(c)
      if (c._tag === "Token") {
        const now = yield* Clock.currentTimeMillis
        if (now + margin < c.expiresAt) return headersOf(c)
      }
      return yield* lock.withPermits(1)(ensureUnlocked)
    })

    const sameCredential = (
      current: Readonly<Record<string, Redacted.Redacted<string>>>,
      sent: Readonly<Record<string, Redacted.Redacted<string>>>
    ) => {
      const keys = Object.keys(current)
      return keys.length > 0 &&
        keys.every((k) => sent[k] !== undefined && Redacted.value(sent[k]) === Redacted.value(current[k]!))
    }

    const invalidate: SogniAuthService["invalidate"] = (reason, options) =>
      Effect.gen(function*() {
        const session = yield* SubscriptionRefs.get(ref)
        if (session.credential._tag === "None" && !session.autoLogin) return
        if (options?.ifSent !== undefined && !sameCredential(headersOf(session.credential), options.ifSent)) {
          return yield* Effect.logDebug("sogni: a refusal of an older credential was ignored").pipe(
            Effect.annotateLogs({ reason })
          )
        }
        yield* clear(false)
        yield* Effect.logWarning("sogni: credentials cleared").pipe(Effect.annotateLogs({ reason }))
      })

    const logout: SogniAuthService["logout"] = lock.withPermits(1)(
      Effect.gen(function*() {
        const { credential: c } = yield* SubscriptionRefs.get(ref)
        if (c._tag === "Token") yield* Effect.flatMap(tokenSession, (T) => T.logout(context, c))
        yield* clear(false)
      })
    ).pipe(Effect.withSpan("SogniAuth.logout"))

    const me: SogniAuthService["me"] = Effect.flatMap(headers, (h) =>
      restCall("GET", "/v1/account/me", Protocol.AccountMe, {
        secretHeaders: h,
        on401: invalidate("InvalidCredentials", { ifSent: h })
      })).pipe(Effect.withSpan("SogniAuth.me"))

    return {
      state: Effect.map(SubscriptionRefs.get(ref), (s) => s.state),
      // built when read: the service itself never builds a Stream
      get changes() {
        return Stream.map(ref.changes, (s) => s.state)
      },
      followState,
      headers,
      login: (username, password) => lock.withPermits(1)(loginUnlocked(username, password)),
      setTokens: (tokens, username) =>
        Effect.flatMap(tokenSession, (T) =>
          Effect.flatMap(T.tokenCredential(tokens.token, tokens.refreshToken, username), (c) =>
            Effect.as(setCredential(c), stateOf(c)))),
      tokens: Effect.map(SubscriptionRefs.get(ref), ({ credential: c }) =>
        c._tag === "Token" ? Option.some({ token: c.token, refreshToken: c.refreshToken }) : Option.none()),
      setApiKey: (key) => setCredential({ _tag: "ApiKey", key }),
      logout,
      invalidate,
      me
    }
  }
)

/**
 * The service on an `HttpClient` and `SogniConfig`.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<SogniAuth, never, HttpClient.HttpClient | SogniConfig> = Layer.effect(SogniAuth, make)
