/**
 * The bridge from the Effect services to promises: every call runs as a fiber of the client's
 * `ManagedRuntime`; an `AbortSignal` interrupts that fiber (whose finalizers cancel the work upstream);
 * failures become the classes of `errors.ts`. Streams as async iterators and background fibers are in
 * `streams.ts`.
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import * as Runtime from "effect/Runtime"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import { AbortError, DisposedError, type SogniClientError } from "../errors.js"

/** Options every call accepts. */
export interface CallOptions {
  /** Aborting interrupts the call; the work it started is cancelled upstream. */
  readonly signal?: AbortSignal | undefined
}

/** @internal */
export function aborted(): AbortError {
  return new AbortError("The operation was aborted", { reason: "Aborted" })
}
/** @internal */
export function disposed(): DisposedError {
  return new DisposedError("The client has been disposed", { reason: "Disposed" })
}

/** The mapping of failures to the client's errors (`errorMapping.ts`), loaded with the first failure. */
let mapping: Promise<typeof import("./errorMapping.js")> | undefined

/**
 * What a runner runs its effects on: the part of a `ManagedRuntime` it uses (a `ManagedRuntime` is
 * one), as {@link layerRuntime} makes it for the client.
 */
export interface RunnerRuntime<R> {
  /** Forks an effect on the built runtime (called once {@link runtime} resolved). */
  readonly runFork: <A, E>(effect: Effect.Effect<A, E, R>, options?: Runtime.RunForkOptions) => Fiber.RuntimeFiber<A, E>
  /** Runs an effect that does not wait to its value (reading a service of the built runtime). */
  readonly runSync: <A, E>(effect: Effect.Effect<A, E, R>) => A
  /** The runtime, once the layer is built. */
  readonly runtime: () => Promise<Runtime.Runtime<R>>
  /** Releases the layer's resources (closes its scope). */
  readonly dispose: () => Promise<void>
}

/**
 * Builds `layer` into a runtime in a scope of its own (at once), as `ManagedRuntime.make` does but with
 * only what a runner uses: the client's calls start once `runtime()` resolved (`createInstance` and a
 * group's load wait for it), so no call has to wait for the build itself. A build that fails closes
 * the scope (releasing what the layer acquired) and `runtime()` rejects with its cause's error.
 *
 * `minimumLogLevel`, when given, is the runtime's minimum log level, set on the fiber that builds it: the
 * layer's constructors and the fibers they fork log at that level, and the runtime keeps it, as with
 * `Logger.minimumLogLevel` merged into the layer, without the layers (and their fibers) that costs.
 * `start`, when given, runs on the built services in the same scope before `runtime()` resolves (what
 * it forks or acquires lives until `dispose`): a `Layer.scopedDiscard` provided and merged with `layer`,
 * without the layer graph.
 */
export function layerRuntime<R>(
  layer: Layer.Layer<R>,
  minimumLogLevel?: LogLevel.LogLevel,
  start?: Effect.Effect<void, never, R | Scope.Scope>
): RunnerRuntime<R> {
  const scope = Effect.runSync(Scope.make())
  let built: Runtime.Runtime<R> | undefined
  const runtime = Layer.toRuntime(layer)
  const build = Scope.extend(
    start === undefined ? runtime : Effect.flatMap(runtime, (rt) => Effect.as(Effect.provide(start, rt.context), rt)),
    scope
  )
  const building = Effect.runPromise(
    Effect.tapErrorCause(
      minimumLogLevel === undefined ? build : Effect.locally(build, FiberRef.currentMinimumLogLevel, minimumLogLevel),
      (cause) => Scope.close(scope, Exit.failCause(cause))
    )
  ).then((runtime) => (built = runtime))
  return {
    runFork: (effect, options) => Runtime.runFork(built!, effect, options),
    runSync: (effect) => Runtime.runSync(built!, effect),
    runtime: () => building,
    dispose: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/**
 * The client's session as its calls see it. `ended`: the error of the socket's close with which the
 * server ended the session (4010 `APP_ID_BLOCKED`, 4021 `AUTH_ERROR`, another 4xxx but 4015), set by the
 * client's connection watcher. The official client signs out on those closes (it clears its credential),
 * so every later call of it fails; this client refuses its new calls with that error the same way, but
 * core keeps the credential after a close that does not refuse it (`SogniSocket.closeRefusesCredential`),
 * so the work accepted before (a finished project's result URLs, minted again when they failed) is not
 * lost ({@link Runner.runUngated}). Cleared by a new sign-in (`account.login`, `account.create`,
 * `setTokens`), which also reopens the socket (`SogniSocket.reopen`), and by `account.logout`.
 *
 * @internal
 */
export interface Session {
  ended: unknown
}

/** Runs the client's effects. */
export class Runner<R> {
  private isDisposed = false
  /** Fibers of calls, pulls and background work: interrupted on dispose. @internal (`streams.ts` adds its own) */
  readonly fibers = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  /** Scopes of iterators still open: closed on dispose, so an abandoned loop releases its stream too. @internal */
  readonly openScopes = new Set<Scope.CloseableScope>()
  /** Called once when the client is disposed (objects that follow work without a fiber of their own). */
  private readonly disposeHooks = new Set<() => void>()

  /**
   * @param session the client's session, shared by its runner and those of its lazily loaded groups
   */
  constructor(readonly runtime: RunnerRuntime<R>, readonly session: Session = { ended: undefined }) {}

  get disposed(): boolean {
    return this.isDisposed
  }

  /**
   * Runs an effect to a promise; rejects with a `SogniClientError`. Refused, as every new call, once the
   * server ended the session ({@link Session}).
   */
  run<A, E>(effect: Effect.Effect<A, E, R>, signal?: AbortSignal | undefined): Promise<A> {
    return this.session.ended !== undefined && !this.isDisposed ? this.refuse("ended") : this.runUngated(effect, signal)
  }

  /**
   * As {@link run}, also after the server ended the session: for work the client accepted before (a
   * project's result URLs and bytes, its cancel), the client's own log lines, and the calls that sign
   * in again.
   */
  runUngated<A, E>(effect: Effect.Effect<A, E, R>, signal?: AbortSignal | undefined): Promise<A> {
    if (this.isDisposed) return this.refuse("disposed")
    if (signal?.aborted) return this.refuse("aborted")
    return this.settle(() => this.runtime.runFork(effect), signal)
  }

  /**
   * As {@link run}, but the effect starts on the caller's turn and runs as far as it can without waiting
   * (its fibers' first steps too, on a synchronous scheduler, as `Effect.runSync` does): an effect that
   * never waits settles before this returns, and its short-lived fiber and intermediate values die young
   * instead of outliving many calls started together (`projects.create` × N). What waits (a socket
   * write, a REST answer) goes on on the default scheduler; the promise settles when it ends.
   */
  runNow<A, E>(effect: Effect.Effect<A, E, R>, signal?: AbortSignal | undefined): Promise<A> {
    if (this.isDisposed) return this.refuse("disposed")
    if (signal?.aborted) return this.refuse("aborted")
    if (this.session.ended !== undefined) return this.refuse("ended")
    const scheduler = new Scheduler.SyncScheduler()
    const fiber = this.runtime.runFork(effect, { scheduler })
    scheduler.flush()
    const exit = fiber.unsafePoll()
    if (exit !== null) return Exit.isSuccess(exit) ? Promise.resolve(exit.value) : this.toError(exit.cause, signal).then((e) => Promise.reject(e))
    return this.settle(() => fiber, signal)
  }

  /** The promise of a running fiber: tracked (dispose interrupts it), interrupted when `signal` aborts. */
  private settle<A, E>(start: () => Fiber.RuntimeFiber<A, E>, signal: AbortSignal | undefined): Promise<A> {
    return new Promise<A>((resolve, reject) => {
      this._track(start(), signal, (exit) => {
        if (Exit.isSuccess(exit)) resolve(exit.value)
        else this.toError(exit.cause, signal).then(reject, reject)
      })
    })
  }

  /**
   * @internal Tracks a running fiber until it ends (dispose interrupts it), interrupts it when `signal`
   * aborts, and calls `onExit` with its exit on the turn it ends (calls and iterator pulls share this).
   */
  _track<A, E>(fiber: Fiber.RuntimeFiber<A, E>, signal: AbortSignal | undefined, onExit: (exit: Exit.Exit<A, E>) => void): void {
    this.fibers.add(fiber)
    const onAbort = () => {
      this.runtime.runFork(Fiber.interrupt(fiber))
    }
    signal?.addEventListener("abort", onAbort, { once: true })
    fiber.addObserver((exit) => {
      this.fibers.delete(fiber)
      signal?.removeEventListener("abort", onAbort)
      onExit(exit)
    })
  }

  /**
   * Registers `hook` to run once when the client is disposed (before the runtime goes); returns a
   * function that removes it. A hook that throws does not stop the others.
   */
  onDispose(hook: () => void): () => void {
    this.disposeHooks.add(hook)
    return () => {
      this.disposeHooks.delete(hook)
    }
  }

  /**
   * Interrupts every call, background fiber and pending iterator pull, closes the scopes of the
   * iterators still open (their finalizers cancel the work upstream), then disposes the runtime. A
   * pending `next()` settles: with the end of its stream or a `DisposedError`. Called again, it resolves
   * when the first call's disposal has ended.
   */
  dispose(): Promise<void> {
    return this.disposing ??= this.release()
  }

  /** The disposal {@link dispose} runs once (a later call waits for it). */
  private disposing: Promise<void> | undefined

  private async release(): Promise<void> {
    this.isDisposed = true
    const fibers = [...this.fibers]
    this.fibers.clear()
    const scopes = [...this.openScopes]
    this.openScopes.clear()
    const hooks = [...this.disposeHooks]
    this.disposeHooks.clear()
    for (const hook of hooks) {
      try {
        hook()
      } catch {
        // a hook only settles its own object; one failing must not keep the client alive
      }
    }
    // interrupt the pulls and close the scopes together: a pull blocked on the stream's producer is
    // released either by its own interruption or by the producer's, whichever comes first (nothing to
    // interrupt or close, the usual end of a program whose calls all settled: no fibers started for it)
    if (fibers.length > 0 || scopes.length > 0) {
      await Effect.runPromise(
        Effect.all([
          Fiber.interruptAll(fibers),
          Effect.forEach(scopes, (s) => Scope.close(s, Exit.void), { discard: true, concurrency: "unbounded" })
        ], { concurrency: "unbounded", discard: true })
      ).catch(() => undefined)
    }
    await this.runtime.dispose()
  }

  /**
   * @internal Rejects a call refused before it ran: the client was disposed (`DisposedError`), the
   * call's signal had aborted (`AbortError`), or the server ended the session (its close's error); the
   * error is made by the error mapping, loaded for it.
   */
  refuse(why: "disposed" | "aborted" | "ended"): Promise<never> {
    // the close's error as it is now (a sign-in may clear it before the mapping has loaded)
    const ended = this.session.ended
    return (mapping ??= import("./errorMapping.js")).then((m) =>
      Promise.reject(why === "ended" ? m.fromTyped(ended) : m.refusal(why))
    )
  }

  /** The error a failed call rejects with (the mapping loads with the first failure). */
  private toError(cause: Cause.Cause<unknown>, signal: AbortSignal | undefined): Promise<SogniClientError> {
    const aborted = signal?.aborted === true
    return (mapping ??= import("./errorMapping.js")).then((m) => m.fromCause(cause, aborted))
  }
}

