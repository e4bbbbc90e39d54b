/**
 * A value the client's services keep current (a `SubscriptionRef`: the available models, the LLM
 * models), seen by the client's objects without a watcher of their own: getters read the value when
 * asked, and a stream over its changes runs only once someone listens for them (the first listener of
 * the event that announces them), until the client is disposed. A watcher per value for the client's
 * whole life costs a fiber, a stream's executors and their closures (tens of kB each) that a program
 * which never listens (most: they read the lists or wait for them) would carry for nothing.
 */
import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
import * as Effect from "effect/Effect"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import type { Runner } from "./runner.js"

/** A value kept by the client's services. @internal */
export interface Followed<A> {
  /** The value now. */
  readonly current: () => A
  /**
   * Calls `onChange` with each value set from now on, on the turn it is set, until the client is
   * disposed. Called again, it does nothing (one follower per value).
   */
  readonly follow: (onChange: (a: A) => void) => void
}

/**
 * `ref` as a {@link Followed} value of `runner`'s client. Its changes (run with
 * `SubscriptionRefs.forEachChange`, no stream executor) start with the value at hand; that first value
 * is skipped when it is the one the caller saw when it asked to follow (a value set in between is
 * delivered).
 *
 * @internal
 */
export function followed<A, R>(runner: Runner<R>, ref: SubscriptionRef.SubscriptionRef<A>): Followed<A> {
  let following = false
  const current = () => Effect.runSync(ref.get)
  return {
    current,
    follow: (onChange) => {
      if (following || runner.disposed) return
      following = true
      const seen = current()
      let first = true
      const fiber = runner.runtime.runFork(
        SubscriptionRefs.forEachChange(ref, (a) =>
          Effect.sync(() => {
            const skip = first && a === seen
            first = false
            if (!skip) onChange(a)
          }))
      )
      // interrupted with the client's calls on dispose
      runner._track(fiber, undefined, () => undefined)
    }
  }
}
