/**
 * Services a client loads on first use. `sogni.chat`, `sogni.workflows` and `sogni.replay` are
 * facades: their code and their Effect services (`@effect-sogni/chat`, `@effect-sogni/workflows`)
 * come in with a dynamic `import()` on the first call, so a program that only renders images neither
 * loads nor evaluates them at start-up.
 *
 * A loaded group runs in a runtime of its own whose context is the client's (socket, REST, auth,
 * media services) plus the group's layers, so its calls share the client's connection; the client's
 * `dispose` disposes it first (its fibers, streams and layers), then the client's own runtime.
 */
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { DisposedError, isSogniClientError, UnexpectedError } from "../errors.js"
import { Runner } from "./runner.js"

/** What a lazily loaded group brings: its layer (on the client's services) and what it builds on it. */
export interface LazyGroup<R, ROut, A> {
  readonly layer: Layer.Layer<ROut, never, R>
  readonly make: (runner: Runner<R | ROut>) => A
}

const disposed = () => new DisposedError("The client has been disposed", { reason: "Disposed" })

/**
 * The client's lazily loaded groups: each is imported, built and memoised on its first `get`; `dispose`
 * releases every group built (and refuses later loads).
 */
export class LazyRuntimes<R> {
  private isDisposed = false
  private readonly runners = new Set<{ readonly dispose: () => Promise<void> }>()

  /**
   * @param base the client's runner (whose context the groups build on)
   * @param shared layers every group's runtime adds too (the client's logger settings)
   */
  constructor(private readonly base: Runner<R>, private readonly shared: Layer.Layer<never>) {}

  /**
   * A memoised loader: the first call imports the group, builds its runtime on the client's context and
   * makes its value; later calls get the same value. A failed load rejects with an `UnexpectedError`
   * (a packaging problem: the module could not be imported) and is tried again on the next call.
   */
  group<ROut, A>(load: () => Promise<LazyGroup<R, ROut, A>>): () => Promise<A> {
    let loading: Promise<A> | undefined
    return () => {
      if (this.isDisposed || this.base.disposed) return Promise.reject(disposed())
      if (loading === undefined) {
        loading = this.build(load)
        loading.catch(() => {
          loading = undefined
        })
      }
      return loading
    }
  }

  private async build<ROut, A>(load: () => Promise<LazyGroup<R, ROut, A>>): Promise<A> {
    let group: LazyGroup<R, ROut, A>
    let context: Awaited<ReturnType<typeof this.base.runtime.runtime>>["context"]
    try {
      group = await load()
      context = (await this.base.runtime.runtime()).context
    } catch (error) {
      if (isSogniClientError(error)) throw error
      if (this.isDisposed || this.base.disposed) throw disposed()
      throw new UnexpectedError(`a part of the client could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
        reason: "Defect",
        cause: error
      })
    }
    if (this.isDisposed) throw disposed()
    const layer = group.layer.pipe(
      Layer.provideMerge(Layer.succeedContext(context)),
      Layer.provide(this.shared),
      Layer.merge(this.shared)
    )
    const runner = new Runner<R | ROut>(ManagedRuntime.make(layer))
    this.runners.add(runner)
    // the group's layers run their constructors here (no I/O: they read services of the client); they
    // cannot fail, so a failure is a defect
    const built = await runner.runtime.runtime().then(() => undefined, (error: unknown) => error)
    if (built !== undefined) {
      this.runners.delete(runner)
      await runner.dispose()
      throw new UnexpectedError(`a part of the client could not be started: ${built instanceof Error ? built.message : String(built)}`, {
        reason: "Defect",
        cause: built
      })
    }
    if (this.isDisposed) {
      await runner.dispose()
      throw disposed()
    }
    return group.make(runner)
  }

  /** Disposes every group built (their calls reject with `DisposedError`); later loads are refused. */
  async dispose(): Promise<void> {
    this.isDisposed = true
    const runners = [...this.runners]
    this.runners.clear()
    await Promise.all(runners.map((r) => r.dispose()))
  }
}

/**
 * An async iterator whose source is created on its first `next()` (after a load); `return()` before
 * that ends it without loading anything.
 */
export const deferredIterator = <A>(open: () => Promise<AsyncIterableIterator<A>>): AsyncIterableIterator<A> => {
  let source: Promise<AsyncIterableIterator<A>> | undefined
  let ended = false
  const iterator: AsyncIterableIterator<A> = {
    [Symbol.asyncIterator]() {
      return iterator
    },
    async next() {
      if (ended) return { value: undefined, done: true }
      source ??= open()
      return (await source).next()
    },
    async return() {
      ended = true
      if (source === undefined) return { value: undefined, done: true }
      const s = await source.catch(() => undefined)
      return s?.return !== undefined ? s.return() : { value: undefined, done: true }
    }
  }
  return iterator
}
