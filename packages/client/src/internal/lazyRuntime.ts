/**
 * Services a client loads on first use. `sogni.chat`, `sogni.workflows` and `sogni.replay` are
 * facades: their code and their Effect services (`@effect-sogni/chat`, `@effect-sogni/workflows`)
 * come in with a dynamic `import()` on the first call, so a program that only renders images neither
 * loads nor evaluates them at start-up.
 *
 * A loaded group runs on a runtime of its own: the client's (its context: socket, REST, auth, media
 * services; its fiber refs: the logging settings) plus the group's services, so its calls share the
 * client's connection; the client's `dispose` disposes it first (its fibers, streams and services),
 * then the client's own runtime.
 */
import type * as Layer from "effect/Layer"
import type { SogniClientError } from "../errors.js"
import type { Runner } from "./runner.js"

/** What a lazily loaded group brings: its layer (on the client's services) and what it builds on it. */
export interface LazyGroup<R, ROut, A> {
  readonly layer: Layer.Layer<ROut, never, R>
  readonly make: (runner: Runner<R | ROut>) => A
}

/**
 * The client's lazily loaded groups: each is imported, built and memoised on its first `get`; `dispose`
 * releases every group built (and refuses later loads). The building itself (`groupRuntime.ts`) loads
 * with the first group.
 */
export class LazyRuntimes<R> {
  /** @internal */
  isDisposed = false
  /** @internal The runtimes of the groups built. */
  readonly runners = new Set<{ readonly dispose: () => Promise<void> }>()

  /**
   * @param base the client's runner (whose context the groups build on)
   */
  constructor(readonly base: Runner<R>) {}

  /**
   * A memoised loader: the first call imports the group, builds its runtime on the client's context and
   * makes its value; later calls get the same value. A failed load rejects with an `UnexpectedError`
   * (a packaging problem: the module could not be imported) and is tried again on the next call.
   */
  group<ROut, A>(load: () => Promise<LazyGroup<R, ROut, A>>): () => Promise<A> {
    let loading: Promise<A> | undefined
    return () => {
      if (this.isDisposed || this.base.disposed) return this.base.refuse("disposed")
      if (loading === undefined) {
        loading = buildGroup(this, load)
        loading.catch(() => {
          loading = undefined
        })
      }
      return loading
    }
  }

  /** The disposal under way or done (a later `dispose` waits for it). */
  private disposing: Promise<void> | undefined

  /**
   * Disposes every group built (their calls reject with `DisposedError`); later loads are refused. Called
   * again, it resolves when the first call's disposal has ended.
   */
  dispose(): Promise<void> {
    if (this.disposing !== undefined) return this.disposing
    this.isDisposed = true
    const runners = [...this.runners]
    this.runners.clear()
    return this.disposing = Promise.all(runners.map((r) => r.dispose())).then(() => undefined)
  }
}

/**
 * The `UnexpectedError` of a module of the client that could not be imported (a packaging problem). The
 * error classes come with their own import: the package's entry has loaded them already, and a bundle
 * whose calls never fail carries none. @internal
 */
export function loadFailure(error: unknown): Promise<SogniClientError> {
  return import("../errors.js").then((m) =>
    new m.UnexpectedError(`a part of the client could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
      reason: "Defect",
      cause: error
    })
  )
}

/** Builds a group with `groupRuntime.ts`, loaded with the first. */
function buildGroup<R, ROut, A>(lazy: LazyRuntimes<R>, load: () => Promise<LazyGroup<R, ROut, A>>): Promise<A> {
  return import("./groupRuntime.js").then((m) => m.build(lazy, load), (error: unknown) => loadFailure(error).then((e) => Promise.reject(e)))
}

/**
 * An async iterator whose source is created on its first `next()` (after a load); `return()` before
 * that ends it without loading anything.
 */
export function deferredIterator<A>(open: () => Promise<AsyncIterableIterator<A>>): AsyncIterableIterator<A> {
  let source: Promise<AsyncIterableIterator<A>> | undefined
  let ended = false
  const done = (): IteratorReturnResult<undefined> => ({ value: undefined, done: true })
  const iterator: AsyncIterableIterator<A> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => (ended ? done() : (await (source ??= open())).next()),
    return: async () => {
      ended = true
      // nothing opened yet: nothing to close (and nothing is loaded)
      const s = await source?.catch(() => undefined)
      return s?.return?.() ?? done()
    }
  }
  return iterator
}
