/**
 * `Effect.acquireRelease` for long-lived resources, with the release registered as a plain scope
 * finalizer.
 *
 * Effect's own `acquireRelease` (and `Effect.addFinalizer`) runs the release with the acquiring fiber's
 * refs restored: it diffs them against the closing fiber's, patches, runs the release, and patches back.
 * Those refs hold the whole context of the layer that built the service, so every release at a program's
 * end walked every service twice (the first-image program's teardown profile was mostly `Chunk` appends
 * and context patches). A release that neither logs nor reads the context does the same work without
 * that, which is what the services' subscriptions, sockets and followers register here.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"

/**
 * Acquires uninterruptibly and registers `release` on the current scope, as `Effect.acquireRelease` does;
 * `release` runs with the closing fiber's refs, so it must not log or read services.
 */
export function acquireRelease<A, E, R>(
  acquire: Effect.Effect<A, E, R>,
  release: (a: A) => Effect.Effect<void>
): Effect.Effect<A, E, R | Scope.Scope> {
  return Effect.uninterruptible(
    Effect.flatMap(Effect.scope, (scope) => Effect.tap(acquire, (a) => Scope.addFinalizer(scope, release(a))))
  )
}
