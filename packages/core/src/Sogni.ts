/**
 * Everything core offers, composed: settings, authentication, REST, the socket and the account.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Sogni, SogniAccount } from "@effect-sogni/core"
 *
 * const program = Effect.gen(function*() {
 *   const account = yield* SogniAccount.SogniAccount
 *   return yield* account.currentBalance
 * })
 *
 * Effect.runPromise(Effect.provide(program, Sogni.layer({ appId: "my-app", apiKey: Redacted.make("…") })))
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as PlatformHttp from "./PlatformHttp.js"
import * as SogniAccount from "./SogniAccount.js"
import * as SogniAuth from "./SogniAuth.js"
import * as SogniConfig from "./SogniConfig.js"
import * as SogniRest from "./SogniRest.js"
import * as SogniSocket from "./SogniSocket.js"

/**
 * The services {@link layer} provides.
 *
 * @since 0.1.0
 */
export type Services =
  | SogniConfig.SogniConfig
  | SogniAuth.SogniAuth
  | SogniRest.SogniRest
  | SogniSocket.SogniSocket
  | SogniAccount.SogniAccount

// the socket's credentials from auth (the layer below, and `layerServices`' own build)
function socketCredentials(auth: SogniAuth.SogniAuthService): Context.Tag.Service<SogniSocket.SocketCredentials> {
  return {
    headers: auth.headers,
    invalidate: (error) => auth.invalidate(error.reason)
  }
}

/**
 * The socket's credentials from {@link SogniAuth}: the same header as REST, and a refusal clears it.
 *
 * @since 0.1.0
 */
export const layerSocketCredentials: Layer.Layer<SogniSocket.SocketCredentials, never, SogniAuth.SogniAuth> = Layer
  .effect(SogniSocket.SocketCredentials, Effect.map(SogniAuth.SogniAuth, function(auth) {
    return socketCredentials(auth)
  }))

/**
 * When the credential is cleared (logout, a REST 401), the socket closes with 1000 and stays closed
 * until the next send, as the protocol describes: on each change of the state's kind to
 * `Unauthenticated`. Followed with `followState`'s plain callback and a one-slot queue rather than a Stream
 * of `auth.changes` (a program that never reads a Stream then never runs Effect's Stream machinery); logouts
 * that come while a disconnect runs are one more disconnect.
 */
function closeOnLogout(auth: SogniAuth.SogniAuthLive, socket: SogniSocket.SogniSocketService) {
  return Effect.gen(function*() {
    const loggedOut = yield* Queue.sliding<void>(1)
    // the kind of state last heard (undefined before the first, the current state, which is not a change)
    let last: SogniAuth.AuthState["_tag"] | undefined
    yield* auth.followState((state) => {
      if (last !== undefined && state._tag !== last && state._tag === "Unauthenticated") loggedOut.unsafeOffer(undefined)
      last = state._tag
    })
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(loggedOut), socket.disconnect)))
  })
}

/**
 * Core on a given `HttpClient`, with settings from `SogniConfig`.
 *
 * @since 0.1.0
 */
export const layerServices: Layer.Layer<
  Exclude<Services, SogniConfig.SogniConfig>,
  never,
  SogniConfig.SogniConfig | HttpClient.HttpClient
> = Layer.suspend(function() {
  return (servicesBuilt ??= buildServices())
})

// composed when a program first builds it, not at import (one object, so a graph that names it twice
// still builds it once)
let servicesBuilt: Layer.Layer<Exclude<Services, SogniConfig.SogniConfig>, never, SogniConfig.SogniConfig | HttpClient.HttpClient> | undefined
//
// One layer that makes the services in turn (auth, REST, the socket over auth's credentials, the account,
// the close-on-logout watch) in one scope, with each module's own `make`, rather than a graph of their
// layers: each node of a graph is memoised as it is built (a `Deferred`, a child scope and finalizers)
// and each merge builds its sides in forked fibers, garbage once the layer is up but allocated while the
// program starts (media's layer does the same, `Media.layerServices`).
function buildServices() {
  return Layer.scopedContext(Effect.gen(function*() {
    const auth = yield* SogniAuth.make
    const rest = yield* Effect.provideService(SogniRest.make, SogniAuth.SogniAuth, auth)
    const socket = yield* Effect.provideService(SogniSocket.make(), SogniSocket.SocketCredentials, socketCredentials(auth))
    const context = Context.make(SogniAuth.SogniAuth, auth).pipe(
      Context.add(SogniRest.SogniRest, rest),
      Context.add(SogniSocket.SogniSocket, socket)
    )
    const account = yield* Effect.provide(SogniAccount.make, context)
    yield* closeOnLogout(auth, socket)
    return Context.add(context, SogniAccount.SogniAccount, account)
  }))
}

/**
 * Core from settings given in code, over `fetch`.
 *
 * @since 0.1.0
 */
export function layer(input: SogniConfig.SogniSettingsInput = {}): Layer.Layer<Services> {
  return layerServices.pipe(Layer.provide(PlatformHttp.fetchLayer), Layer.provideMerge(SogniConfig.layer(input)))
}

/**
 * Core from the environment (see `SogniConfig`), with `overrides` on top, over `fetch`.
 *
 * @since 0.1.0
 */
export function layerConfig(
  overrides: SogniConfig.SogniSettingsInput = {}
): Layer.Layer<Services, ConfigError.ConfigError> {
  return layerServices.pipe(Layer.provide(PlatformHttp.fetchLayer), Layer.provideMerge(SogniConfig.layerConfig(overrides)))
}
