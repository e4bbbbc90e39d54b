/**
 * What the streaming calls need of the runner (chat streams, workflow event streams, batch sources):
 * background fibers owned by the client and streams as async iterators. Kept apart from `runner.ts` so
 * a program that never streams (an image program, whose chat and workflow code loads on first use)
 * does not carry them.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { SogniClientError } from "../errors.js"
import { fromCause, fromTyped } from "./errorMapping.js"
import { aborted, disposed, type Runner } from "./runner.js"

/** Starts a background fiber owned by the client (interrupted on dispose); reports its failure. */
export const fork = <E, R>(
  runner: Runner<R>,
  effect: Effect.Effect<void, E, R>,
  onFailure?: (error: SogniClientError) => void
): Fiber.RuntimeFiber<void, E> | undefined => {
  if (runner.disposed) return undefined
  const fiber = runner.runtime.runFork(effect)
  runner.fibers.add(fiber)
  fiber.addObserver((exit) => {
    runner.fibers.delete(fiber)
    if (Exit.isFailure(exit) && !Exit.isInterrupted(exit) && onFailure !== undefined) {
      onFailure(fromCause(exit.cause, false))
    }
  })
  return fiber
}

/**
 * A stream as an async iterator, pulled chunk by chunk (backpressure: nothing is read ahead of the
 * consumer beyond one chunk). `return()` (a `break` out of `for await`) and an abort close the
 * stream's scope, which cancels the work upstream; the client's disposal closes it too.
 */
export const iterate = <A, E, R>(
self: Runner<R>,
stream: Stream.Stream<A, E, R>,
signal?: AbortSignal | undefined
): AsyncIterableIterator<A> => {
  let scope: Scope.CloseableScope | undefined
  let pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R> | undefined
  let buffer: Array<A> = []
  let finished = false
  let closing: Promise<void> | undefined

  const close = (): Promise<void> => {
    finished = true
    buffer = []
    if (closing !== undefined) return closing
    const s = scope
    if (s !== undefined) self.openScopes.delete(s)
    // closing a scope needs no service, so it also works once the runtime is being (or was) disposed
    // (closing twice is a no-op; dispose may close the same scope)
    closing = s === undefined
      ? Promise.resolve()
      : Effect.runPromise(Scope.close(s, Exit.void)).then(() => undefined, () => undefined)
    signal?.removeEventListener("abort", onAbort)
    return closing
  }
  const onAbort = () => {
    void close()
  }
  signal?.addEventListener("abort", onAbort, { once: true })

  const iterator: AsyncIterableIterator<A> = {
    [Symbol.asyncIterator]() {
      return iterator
    },
    async next(): Promise<IteratorResult<A>> {
      for (;;) {
        if (buffer.length > 0) return { value: buffer.shift()!, done: false }
        if (signal?.aborted) {
          await close()
          throw aborted()
        }
        if (finished) return { value: undefined, done: true }
        if (self.disposed) throw disposed()
        if (scope === undefined) {
          scope = Effect.runSync(Scope.make())
          const s = scope
          self.openScopes.add(s)
          pull = await self.run(Scope.extend(Stream.toPull(stream), s), signal)
        }
        if (self.disposed) {
          await close()
          throw disposed()
        }
        // tracked like every call, so dispose() interrupts a pull that waits on the wire
        const exit = await new Promise<Exit.Exit<Chunk.Chunk<A>, Option.Option<E>>>((resolve) => {
          self._track(self.runtime.runFork(pull!), signal, resolve)
        })
        if (Exit.isSuccess(exit)) {
          buffer = Chunk.toArray(exit.value)
          continue
        }
        await close()
        if (signal?.aborted) throw aborted()
        if (self.disposed && Exit.isInterrupted(exit)) throw disposed()
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) {
          // a failure of Option.none() is the pull's way of saying the stream ended
          if (Option.isNone(failure.value)) return { value: undefined, done: true }
          throw fromTyped(failure.value.value)
        }
        throw fromCause(exit.cause, signal?.aborted === true)
      }
    },
    async return(): Promise<IteratorResult<A>> {
      await close()
      return { value: undefined, done: true }
    }
  }
  return iterator
}
