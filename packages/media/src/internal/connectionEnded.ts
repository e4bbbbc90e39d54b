/**
 * What `Projects` does once its socket ended for good (a refused key, a blocked app, any other refusal,
 * reconnects given up): no frame of any project can arrive any more, so each unfinished project is looked
 * up once; finished → its outcome (URLs minted as usual, the project ending when they arrive); otherwise it
 * fails now (`Failed`, code 0, `connectionClosed`, naming the socket's error) instead of waiting out its idle
 * deadline (minutes) for a lookup that ends it the same way or as a bare `Timeout`. Loaded with a dynamic
 * import when that happens: a program whose connection never ends for good does not carry it.
 *
 * @internal
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniError from "@effect-sogni/core/SogniError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ProjectState from "../ProjectState.js"
import * as ProjectActor from "./projectActor.js"

/** Ends every unfinished project of `tracked` after the socket's terminal `error`. */
export function endAll(
  tracked: ReadonlyMap<string, ProjectActor.ProjectActor>,
  findProject: (id: string) => Effect.Effect<Option.Option<Protocol.RecoveredProject>, SogniError.SogniError>,
  now: () => number,
  error: SogniError.SogniError
): Effect.Effect<void> {
  return Effect.forEach(
    [...tracked.entries()],
    ([id, t]) =>
      ProjectState.isTerminal(t.current().status) ? Effect.void : findProject(id).pipe(
        Effect.option,
        Effect.map(Option.flatten),
        Effect.flatMap((found) =>
          Option.isSome(found) && ProjectActor.isFinished(found.value) && !ProjectState.isTerminal(t.current().status)
            ? t.feed({ _tag: "Recovered", project: found.value, active: true, now: now() })
            : Effect.void
        ),
        Effect.zipRight(Effect.suspend(() => {
          const state = t.current()
          // ended by the lookup, or its finished jobs' URLs are still minting (it ends when they arrive)
          if (ProjectState.isTerminal(state.status) || state.jobs.some((j) => j.minting)) return Effect.void
          return t.feed({
            _tag: "LocalFailure",
            error: {
              code: 0,
              originalCode: "connectionClosed",
              message: `Project ${id} can no longer be followed: the connection ended for good (${error._tag}: ${error.message}).`
            },
            now: now()
          })
        }))
      ),
    { concurrency: "unbounded", discard: true }
  )
}
