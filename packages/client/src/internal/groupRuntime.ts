/**
 * The building of a lazily loaded group's runtime (see `lazyRuntime.ts`), loaded with the first group a
 * client loads: a program that only renders images loads none, so it carries none of this.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { isSogniClientError, UnexpectedError } from "../errors.js"
import { type LazyGroup, type LazyRuntimes, loadFailure } from "./lazyRuntime.js"
import { disposed, Runner } from "./runner.js"

/**
 * Imports a group, builds its services on the client's runtime (in a scope of the group's) and makes its
 * value on a runtime that is the client's plus those services; the group's runner is registered with
 * `lazy`, which disposes it (closing that scope) with the client.
 */
export const build = async <R, ROut, A>(lazy: LazyRuntimes<R>, load: () => Promise<LazyGroup<R, ROut, A>>): Promise<A> => {
  let group: LazyGroup<R, ROut, A>
  let base: Runtime.Runtime<R>
  try {
    group = await load()
    base = await lazy.base.runtime.runtime()
  } catch (error) {
    if (isSogniClientError(error)) throw error
    if (lazy.isDisposed || lazy.base.disposed) throw disposed()
    throw await loadFailure(error)
  }
  if (lazy.isDisposed) throw disposed()
  // the group's layers run their constructors here (no I/O: they read services of the client); they
  // cannot fail, so a failure is a defect. They are built on the client's runtime, in a scope of the
  // group's: its context and fiber refs (the logging settings among them) are the client's, so the
  // group's runtime is the client's plus the group's services, with no layer graph of its own.
  const scope = Effect.runSync(Scope.make())
  const release = () => Effect.runPromise(Scope.close(scope, Exit.void))
  const built = await Runtime.runPromiseExit(base, Layer.buildWithScope(group.layer, scope))
  if (Exit.isFailure(built)) {
    await release()
    const error = Cause.squash(built.cause)
    throw new UnexpectedError(`a part of the client could not be started: ${error instanceof Error ? error.message : String(error)}`, {
      reason: "Defect",
      cause: error
    })
  }
  const runtime = Runtime.make({
    context: Context.merge(base.context, built.value),
    runtimeFlags: base.runtimeFlags,
    fiberRefs: base.fiberRefs
  })
  const runner = new Runner<R | ROut>({
    runFork: (effect, options) => Runtime.runFork(runtime, effect, options),
    runSync: (effect) => Runtime.runSync(runtime, effect),
    runtime: () => Promise.resolve(runtime),
    dispose: release
  }, lazy.base.session)
  if (lazy.isDisposed) {
    await runner.dispose()
    throw disposed()
  }
  lazy.runners.add(runner)
  return group.make(runner)
}
