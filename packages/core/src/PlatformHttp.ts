/**
 * `@effect/platform`'s HTTP client as the SDK's layers use it, without importing the platform's client
 * modules: the service tags by the keys the platform gives them, and a `fetch` client that imports the
 * platform's `FetchHttpClient` on its first request.
 *
 * The platform's `HttpClient` and `FetchHttpClient` modules (with `HttpClientError`, `Cookies`, the request
 * and response models) are ~15 KB of minified code and a few milliseconds of a cold import, for a client
 * that a program on the SDK's default layers may never send through: its REST calls go through the
 * SDK's own transports (`LeanRest`; `SogniRest`'s exchange over the client loads on its first call) and
 * result downloads go over `SogniRest`. So:
 *
 * - {@link HttpClient}, {@link Fetch} and {@link RequestInit} are the platform's own tags (a tag is its key:
 *   `Context` finds a service by it, as the platform's fetch client itself reads `Fetch` and `RequestInit`
 *   from the context by key); a client or `fetch` given by the caller is found under them as before;
 * - {@link fetchLayer} provides a client that, on its first request, imports the platform's `FetchHttpClient`
 *   and builds its client in the context the layer was built in, then sends every request through it:
 *   the same client, requests and errors as `FetchHttpClient.layer`, built later.
 *
 * @since 0.2.0
 */
import type * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as PlatformHttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import { pipeArguments } from "effect/Pipeable"

/**
 * The platform's `HttpClient.HttpClient` (the same tag: key `@effect/platform/HttpClient`).
 *
 * @since 0.2.0
 */
export const HttpClient: Context.Tag<PlatformHttpClient.HttpClient, PlatformHttpClient.HttpClient> = /* @__PURE__ */ Context
  .GenericTag<PlatformHttpClient.HttpClient>("@effect/platform/HttpClient")

/**
 * The platform's `FetchHttpClient.Fetch`: a `fetch` to use instead of the global one.
 *
 * @since 0.2.0
 */
export const Fetch: Context.Tag<FetchHttpClient.Fetch, typeof globalThis.fetch> = /* @__PURE__ */ Context.GenericTag<
  FetchHttpClient.Fetch,
  typeof globalThis.fetch
>("@effect/platform/FetchHttpClient/Fetch")

/**
 * The platform's `FetchHttpClient.RequestInit`: options every `fetch` is given.
 *
 * @since 0.2.0
 */
export const RequestInit: Context.Tag<FetchHttpClient.RequestInit, globalThis.RequestInit> = /* @__PURE__ */ Context
  .GenericTag<FetchHttpClient.RequestInit, globalThis.RequestInit>("@effect/platform/FetchHttpClient/FetchOptions")

type Response = Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
type Request = HttpClientRequest.HttpClientRequest

/**
 * The fields the platform's client combinators (`HttpClient.mapRequest`, `filterStatusOk`, …) build a
 * derived client from: a request is `postprocess(preprocess(request))`.
 */
interface ClientParts {
  readonly preprocess: (request: Request) => Effect.Effect<Request, HttpClientError.HttpClientError>
  readonly postprocess: (request: Effect.Effect<Request, HttpClientError.HttpClientError>) => Response
}

/**
 * A client that builds the platform's fetch client (in `context`) on its first request and sends through it.
 * It carries the platform client's `preprocess`/`postprocess`, so the platform's combinators accept it.
 */
function fetchOnFirstRequest(context: Context.Context<never>): PlatformHttpClient.HttpClient {
  let built: (PlatformHttpClient.HttpClient & ClientParts) | undefined
  const client = Effect.suspend(() =>
    built !== undefined ? Effect.succeed(built) : Effect.flatMap(
      Effect.promise(() => import("@effect/platform/FetchHttpClient")),
      (module) =>
        Effect.map(
          Effect.provide(Effect.provide(HttpClient, module.layer), context),
          // concurrent first requests may each build one; the first kept serves every later request
          (made) => (built ??= made as PlatformHttpClient.HttpClient & ClientParts)
        )
    )
  )
  const parts: ClientParts = {
    preprocess: Effect.succeed,
    postprocess: (request) => Effect.flatMap(client, (c) => c.postprocess(Effect.flatMap(request, c.preprocess)))
  }
  const send = (method: "get" | "head" | "post" | "patch" | "put" | "del" | "options") =>
  (url: string | URL, options?: HttpClientRequest.Options.NoUrl): Response =>
    Effect.flatMap(client, (c) => c[method](url, options))
  const self = Object.assign(Object.create(Inspectable.BaseProto) as object, {
    [Symbol.for("@effect/platform/HttpClient")]: Symbol.for("@effect/platform/HttpClient"),
    ...parts,
    execute: (request: Request): Response => parts.postprocess(Effect.succeed(request)),
    get: send("get"),
    head: send("head"),
    post: send("post"),
    patch: send("patch"),
    put: send("put"),
    del: send("del"),
    options: send("options"),
    pipe() {
      return pipeArguments(this, arguments)
    },
    toJSON: () => ({ _id: "@effect/platform/HttpClient" })
  })
  return self as unknown as PlatformHttpClient.HttpClient
}

/**
 * The platform's `fetch` client (`FetchHttpClient.layer`), its module imported on the client's first
 * request. One value, so a layer graph that provides it in several places builds it once.
 *
 * @since 0.2.0
 */
export const fetchLayer: Layer.Layer<PlatformHttpClient.HttpClient> = /* @__PURE__ */ Layer.effect(
  HttpClient,
  Effect.map(Effect.context<never>(), fetchOnFirstRequest)
)
