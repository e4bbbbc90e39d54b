/**
 * The building of a lazily loaded group's runtime (see `lazyRuntime.ts`), loaded with the first group a
 * client loads: a program that only renders images loads none, so it carries none of this.
 */
import * as Layer from "effect/Layer"
import { isSogniClientError, UnexpectedError } from "../errors.js"
import { type LazyGroup, type LazyRuntimes, loadFailure } from "./lazyRuntime.js"
import { disposed, layerRuntime, Runner } from "./runner.js"

/**
 * Imports a group, builds its runtime on the client's context (plus the shared layers) and makes its
 * value; the runtime is registered with `lazy`, which disposes it with the client.
 */
export const build = async <R, ROut, A>(lazy: LazyRuntimes<R>, load: () => Promise<LazyGroup<R, ROut, A>>): Promise<A> => {
  let group: LazyGroup<R, ROut, A>
  let context: Awaited<ReturnType<typeof lazy.base.runtime.runtime>>["context"]
  try {
    group = await load()
    context = (await lazy.base.runtime.runtime()).context
  } catch (error) {
    if (isSogniClientError(error)) throw error
    if (lazy.isDisposed || lazy.base.disposed) throw disposed()
    throw await loadFailure(error)
  }
  if (lazy.isDisposed) throw disposed()
  const layer = group.layer.pipe(
    Layer.provideMerge(Layer.succeedContext(context)),
    Layer.provide(lazy.shared),
    Layer.merge(lazy.shared)
  )
  const runner = new Runner<R | ROut>(layerRuntime(layer))
  lazy.runners.add(runner)
  // the group's layers run their constructors here (no I/O: they read services of the client); they
  // cannot fail, so a failure is a defect
  const built = await runner.runtime.runtime().then(() => undefined, (error: unknown) => error)
  if (built !== undefined) {
    lazy.runners.delete(runner)
    await runner.dispose()
    throw new UnexpectedError(`a part of the client could not be started: ${built instanceof Error ? built.message : String(built)}`, {
      reason: "Defect",
      cause: built
    })
  }
  if (lazy.isDisposed) {
    await runner.dispose()
    throw disposed()
  }
  return group.make(runner)
}
