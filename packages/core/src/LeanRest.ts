/**
 * A lean `GET` path to the REST host for many small requests (signed URL mints): one plain request per
 * call with callbacks, no fiber and no `HttpClient` pipeline per request. It keeps the semantics of
 * {@link SogniRest.SogniRestService.get}:
 *
 * - the session's credential headers (`SogniAuth.headers`, read once and reused for
 *   {@link headersReuseMillis}; a 401 drops them and invalidates the credential as `SogniRest` does);
 * - the request deadline `requestTimeout` (the request is aborted; `SogniTransportError` reason `Timeout`);
 * - the body limit `maxResponseBytes`, counted while the body arrives (the request is aborted;
 *   `SogniDecodeError` reason `TooLarge`, never retried);
 * - the one retry policy (`RetryPolicy`, from `SogniConfig`): the first attempt runs lean, a retryable
 *   failure hands the request to `RetryPolicy.retry` with that failure replayed into it, so the policy sees
 *   exactly the attempts it would have seen (retries are rare; they run in a fiber);
 * - the same typed errors (`SogniApiError` with the parsed error body, `SogniTransportError`,
 *   `SogniDecodeError` naming only paths, `SogniAuthenticationError`, `SogniInvalidRequest` for a bad
 *   endpoint); secrets never reach an error or a log line (headers are not shown, values of the body
 *   are not quoted).
 *
 * The transport is the `fetch` of `FetchHttpClient.Fetch` (with its `RequestInit`) when the context holds
 * either; otherwise Node's own `http`/`https` with keep-alive connections (released when the scope of
 * the last service using them closes) where Node is the runtime (about a third of a `fetch`'s CPU per
 * request), and the global `fetch` elsewhere. Services made over the same settings (one `SogniConfig`:
 * media's catalog reads and its result-URL mints, say) share Node's transport, so a mint reuses the
 * connection a catalog read left open instead of opening one of its own. No span is recorded per request; a failure is logged at debug level as
 * `SogniRest` logs it.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import * as LeanRest from "@effect-sogni/core/LeanRest"
 *
 * const program = Effect.gen(function*() {
 *   const lean = yield* LeanRest.make
 *   const decode = LeanRest.decoder(Schema.Struct({ downloadUrl: Schema.String }))
 *   lean.get("/v1/image/downloadUrl", { jobId, imageId, type: "complete" }, decode, (result) => console.log(result))
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as LeanTransport from "./internal/leanTransport.js"
import * as RestClient from "./internal/restClient.js"
import * as PlatformHttp from "./PlatformHttp.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as SogniAuth from "./SogniAuth.js"
import * as SogniConfig from "./SogniConfig.js"
import { SogniTransportError } from "./SogniError.js"
import type { Host, Query, RestError } from "./SogniRest.js"

/**
 * How long credential headers read from `SogniAuth` are reused for further requests (a token is
 * refreshed `tokenRefreshMargin` before it expires, so a reused header is never a stale one).
 *
 * @since 0.2.0
 */
export const headersReuseMillis = 1000

/**
 * Reads the `data` of a success envelope into `A`, or says why it cannot (paths and kinds only).
 *
 * @since 0.2.0
 */
export type Decoder<A> = (data: unknown) => Either.Either<A, string>

/**
 * A {@link Decoder} from a schema (decoded synchronously; the schema must need no services).
 *
 * @since 0.2.0
 */
export function decoder<A, I>(schema: Schema.Schema<A, I, never>): Decoder<A> {
  // compiled on the first answer, not where the decoder is declared (often at a module's top level)
  let decode: ((u: unknown) => Either.Either<A, ParseResult.ParseError>) | undefined
  return (data) => Either.mapLeft((decode ??= Schema.decodeUnknownEither(schema))(data), RestClient.formatIssues)
}

/**
 * The service.
 *
 * @since 0.2.0
 */
export interface LeanRestService {
  /**
   * `GET`s `path` of the REST host with `query` and the session's credential, and calls `done` exactly
   * once with the envelope's `data` read by `decode`, or the typed error (after the retry policy gave
   * up). `done` runs on the turn the answer arrives and must not throw. Nothing is called once the
   * scope that built the service closed (its requests are aborted).
   *
   * Returns the request's abort: called before `done` ran, it aborts the request (its attempt, its
   * deadline, a retry under way) and `done` is never called; afterwards it does nothing. For requests a
   * caller started in the background and gives up on (a logout gives up the account reads it made).
   */
  readonly get: <A>(
    path: string,
    query: Query,
    decode: Decoder<A>,
    done: (result: Either.Either<A, RestError>) => void
  ) => () => void
  /**
   * {@link get} on either host: `rest` answers in the `{status, data}` envelope, the socket host's HTTP
   * paths (`/api/...`, e.g. the model catalog) answer with the bare JSON that `decode` reads.
   */
  readonly getFrom: <A>(
    host: Host,
    path: string,
    query: Query | undefined,
    decode: Decoder<A>,
    done: (result: Either.Either<A, RestError>) => void
  ) => () => void
}

type Headers = Readonly<Record<string, Redacted.Redacted<string>>>

/** Node's transport of each settings object, and how many services in use hold it. */
const sharedNode = new WeakMap<SogniConfig.SogniSettings, { readonly transport: LeanTransport.Transport; users: number }>()

/**
 * Node's transport for `settings`, shared by the services made over them (see the module's description),
 * with its release: the last service to let go closes it. `undefined` where Node's `http` is not available.
 */
function acquireNodeTransport(
  settings: SogniConfig.SogniSettings
): { readonly transport: LeanTransport.Transport; readonly release: () => void } | undefined {
  let entry = sharedNode.get(settings)
  if (entry === undefined) {
    const transport = LeanTransport.nodeTransport(settings.maxResponseBytes)
    if (transport === undefined) return undefined
    entry = { transport, users: 0 }
    sharedNode.set(settings, entry)
  }
  const held = entry
  held.users++
  let released = false
  return {
    transport: held.transport,
    release: () => {
      if (released) return
      released = true
      held.users--
      if (held.users > 0) return
      if (sharedNode.get(settings) === held) sharedNode.delete(settings)
      held.transport.close()
    }
  }
}

/**
 * Builds the service; requests still running when the scope closes are aborted.
 *
 * @since 0.2.0
 */
export const make: Effect.Effect<
  LeanRestService,
  never,
  SogniConfig.SogniConfig | SogniAuth.SogniAuth | Scope.Scope
> = Effect.gen(function*() {
  const settings = yield* SogniConfig.SogniConfig
  const auth = yield* SogniAuth.SogniAuth
  const runtime = yield* Effect.runtime<never>()
  const clock = yield* Effect.clock
  const givenFetch = Option.getOrUndefined(yield* Effect.serviceOption(PlatformHttp.Fetch))
  const init = Option.getOrUndefined(yield* Effect.serviceOption(PlatformHttp.RequestInit))
  // a caller's fetch or RequestInit is honoured; otherwise Node's own http where there is one (shared)
  const maxBytes = settings.maxResponseBytes
  const node = givenFetch === undefined && init === undefined ? acquireNodeTransport(settings) : undefined
  const transport = node?.transport ?? LeanTransport.fetchTransport(givenFetch ?? globalThis.fetch, init, maxBytes)
  const policy = RetryPolicy.fromSettings(settings)
  const timeoutMillis = Duration.toMillis(settings.requestTimeout)
  const timeoutText = Duration.format(settings.requestTimeout)
  const { bases, problems: badEndpoints } = RestClient.hostsOf(settings)
  const runFork = Runtime.runFork(runtime)

  // everything alive, for the scope's end
  let closed = false
  const running = new Set<() => void>()
  const fibers = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  // a plain scope finalizer, not `Effect.addFinalizer` (see internal/plainRelease.ts)
  yield* Scope.addFinalizer(
    yield* Effect.scope,
    Effect.suspend(() => {
      closed = true
      for (const abort of running) abort()
      running.clear()
      if (node !== undefined) node.release()
      else transport.close()
      return fibers.size === 0 ? Effect.void : Fiber.interruptAll([...fibers])
    })
  )
  const track = <A, E>(
    effect: Effect.Effect<A, E>,
    onExit: (exit: Exit.Exit<A, E>) => void
  ): Fiber.RuntimeFiber<A, E> | undefined => {
    if (closed) return undefined
    const fiber = runFork(effect)
    fibers.add(fiber)
    fiber.addObserver((exit) => {
      fibers.delete(fiber)
      if (!closed) onExit(exit)
    })
    return fiber
  }

  // --- credential headers, read once per `headersReuseMillis` ------------------------------------
  let cached: { readonly headers: Headers; readonly at: number } | undefined
  let waiting: Array<(result: Either.Either<Headers, RestError>) => void> | undefined
  const withHeaders = (k: (result: Either.Either<Headers, RestError>) => void): void => {
    const now = clock.unsafeCurrentTimeMillis()
    if (cached !== undefined && now - cached.at < headersReuseMillis) return k(Either.right(cached.headers))
    if (waiting !== undefined) {
      waiting.push(k)
      return
    }
    const ks = [k]
    waiting = ks
    track(auth.headers, (exit) => {
      waiting = undefined
      const result: Either.Either<Headers, RestError> = Exit.isSuccess(exit)
        ? Either.right(exit.value)
        : Either.left(
          Option.getOrElse(
            Cause.failureOption(exit.cause),
            () => new SogniTransportError({ reason: "Http", message: "the credential could not be read" })
          )
        )
      if (Either.isRight(result)) cached = { headers: result.right, at: clock.unsafeCurrentTimeMillis() }
      for (const each of ks) each(result)
    })
  }

  // --- one attempt, with callbacks ----------------------------------------------------------------
  const attempt = <A>(
    url: string,
    enveloped: boolean,
    headers: Headers,
    decode: Decoder<A>,
    k: (result: Either.Either<A, RestError>) => void
  ): () => void => {
    let settled = false
    let abort: (() => void) | undefined
    const settle = (result: Either.Either<A, RestError>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      running.delete(cancel)
      if (closed) return
      try {
        k(result)
      } catch (defect) {
        // a throwing callback must not escape into the transport's own callbacks
        runFork(Effect.logError("sogni: a REST answer's callback threw", defect))
      }
    }
    const timer = setTimeout(() => {
      settle(Either.left(RestClient.timeoutError("GET", url, timeoutText)))
      abort?.()
    }, timeoutMillis)
    // the scope's end: the request aborted and its deadline cleared (an aborted transport calls neither
    // callback, so `settle` never runs; the timer alone would hold the process up to `requestTimeout`)
    const cancel = () => {
      settled = true
      clearTimeout(timer)
      abort?.()
    }
    const plain: Record<string, string> = { accept: "application/json" }
    for (const name in headers) plain[name] = Redacted.value(headers[name]!)
    const requestHeaders = init?.headers === undefined ? plain : mergeHeaders(init.headers, plain)
    abort = transport.get(
      url,
      requestHeaders,
      (answer) => {
        if (settled) return
        const status = answer.status
        if (status >= 200 && status < 300) return settle(readBody(url, enveloped, answer.text, decode))
        const error = RestClient.errorOfResponse("GET", url, status, answer.text, answer.headers(), clock.unsafeCurrentTimeMillis(), headers)
        if (error._tag === "SogniAuthenticationError") {
          cached = undefined
          track(auth.invalidate("InvalidCredentials", { ifSent: headers }), () => {})
        }
        settle(Either.left(error))
      },
      (cause) => {
        if (settled) return
        settle(Either.left(
          cause instanceof LeanTransport.TooLarge
            ? RestClient.tooLargeError("GET", url, cause.limit)
            : transportError(url, cause)
        ))
      }
    )
    if (!settled) running.add(cancel)
    return () => {
      if (settled) return
      running.delete(cancel)
      cancel()
    }
  }

  const attemptEffect = <A>(url: string, enveloped: boolean, headers: Headers, decode: Decoder<A>): Effect.Effect<A, RestError> =>
    Effect.async<A, RestError>((resume) => {
      // interrupted (an aborted request's retry): the attempt is aborted too
      const abort = attempt(url, enveloped, headers, decode, (result) => resume(Either.isRight(result) ? Effect.succeed(result.right) : Effect.fail(result.left)))
      return Effect.sync(abort)
    })

  const logFailure = (url: string, error: RestError) => runFork(RestClient.logRequestFailure("GET", url, error))

  const getFrom: LeanRestService["getFrom"] = (host, path, query, decode, done) => {
    if (closed) return doNothing
    const badEndpoint = badEndpoints[host]
    if (Option.isSome(badEndpoint)) {
      done(Either.left(badEndpoint.value))
      return doNothing
    }
    const enveloped = host === "rest"
    const url = RestClient.buildUrl(`${bases[host]}${path.startsWith("/") ? path : `/${path}`}`, query)
    // the abort: `finished` once `done` ran or the caller gave up; `stop` ends what runs now (the
    // attempt, or the retry's fiber); a wait for the headers is only left to run out
    let finished = false
    let stop: (() => void) | undefined
    const finish = (result: Parameters<typeof done>[0]): void => {
      if (finished) return
      finished = true
      stop = undefined
      done(result)
    }
    withHeaders((headersResult) => {
      if (finished) return
      if (Either.isLeft(headersResult)) return finish(Either.left(headersResult.left))
      const headers = headersResult.right
      const startedAt = clock.unsafeCurrentTimeMillis()
      stop = attempt(url, enveloped, headers, decode, (first) => {
        if (Either.isRight(first)) return finish(first)
        logFailure(url, first.left)
        if (policy.retries <= 0 || !(policy.while ?? RetryPolicy.isRetryable)(first.left)) return finish(first)
        // the rare path: the policy's schedule with the first failure replayed into it
        const again = Effect.tapError(attemptEffect(url, enveloped, headers, decode), (e) => Effect.sync(() => logFailure(url, e)))
        const fiber = track(
          RestClient.retryAfterFailure(first.left, again, policy, clock, startedAt),
          (exit) => finish(Exit.isSuccess(exit) ? Either.right(exit.value) : Either.left(failureOf(exit, first.left)))
        )
        stop = fiber === undefined ? undefined : () => {
          fibers.delete(fiber)
          fiber.unsafeInterruptAsFork(fiber.id())
        }
      })
    })
    return () => {
      if (finished) return
      finished = true
      const current = stop
      stop = undefined
      current?.()
    }
  }

  return {
    get: (path, query, decode, done) => getFrom("rest", path, query, decode, done),
    getFrom
  } satisfies LeanRestService
})

/** The abort of a request that is not running (refused at once, or made after the scope closed). */
function doNothing(): void {}

function failureOf<A>(exit: Exit.Exit<A, RestError>, fallback: RestError): RestError {
  return Exit.isFailure(exit) ? Option.getOrElse(Cause.failureOption(exit.cause), () => fallback) : fallback
}

function mergeHeaders(extra: HeadersInit, own: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {}
  new globalThis.Headers(extra).forEach((value, name) => (merged[name] = value))
  for (const name in own) merged[name.toLowerCase()] = own[name]!
  return merged
}

/** A fetch rejection as the REST boundary reports it (the underlying cause's message, never the request). */
function transportError(url: string, cause: unknown): SogniTransportError {
  return new SogniTransportError({
    reason: "Connect",
    message: `GET ${url}: ${RestClient.describeFetchFailure(cause) ?? "Transport"}`,
    ...(cause !== undefined ? { cause } : {})
  })
}

/** A success body: JSON, a `{status: "success", data}` envelope (`enveloped`) or bare JSON, read by `decode`. */
function readBody<A>(url: string, enveloped: boolean, text: string, decode: Decoder<A>): Either.Either<A, RestError> {
  return RestClient.parseJsonText(text).pipe(
    Either.flatMap((json) => enveloped ? RestClient.envelopeData(json) : Either.right(json)),
    Either.flatMap((data) => Either.mapLeft(decode(data), (shape) => `unexpected response shape: ${shape}`)),
    Either.mapLeft((problem) => RestClient.decodeFailure("GET", url, problem))
  )
}
