/**
 * What `Projects` does once its socket ended for good (a refused key, a blocked app, any other refusal,
 * reconnects given up): no frame of any project can arrive any more, so each unfinished project is looked
 * up once; finished → its outcome (URLs minted as usual, the project ending when they arrive). Otherwise it
 * gets a local failure (`Failed`, code 0, `connectionClosed`, naming the socket's error: its close code and
 * reason; with that error as its `cause`, so that `run` and `await` fail with a refused credential's
 * `SogniAuthenticationError` as they do when the send itself was refused) now, instead of waiting out its
 * idle deadline (minutes) for a lookup that ends it the same way or as a bare `Timeout`; and the state
 * machine keeps finished work: a project whose jobs all ended, one with a
 * result, completes with what it received (only the server's end marker is missing), once the URLs still
 * being minted arrive. So only a project with a job still unfinished fails. Loaded with a dynamic import
 * when that happens: a program whose connection never ends for good does not carry it.
 *
 * @internal
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniError from "@effect-sogni/core/SogniError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ProjectState from "../ProjectState.js"
import * as ProjectActor from "./projectActor.js"

/**
 * After a 4015 (another connection took this `appId` over): the projects' frames now go to that connection,
 * so an unfinished project is left to its idle deadline and lookups; but one whose jobs all ended, one with a
 * result, waits only for the end marker, which will not come here: it completes now with what it received.
 */
export function endFinished(tracked: ReadonlyMap<string, ProjectActor.ProjectActor>, now: () => number, error: SogniError.SogniError): Effect.Effect<void> {
  return Effect.forEach(
    [...tracked.values()],
    (t) => {
      const state = t.current()
      return ProjectState.isTerminal(state.status) || !ProjectState.allJobsEnded(state) ? Effect.void : t.feed({
        _tag: "LocalFailure",
        error: {
          code: 0,
          originalCode: "connectionClosed",
          message: `Project ${state.id} can no longer be followed here: ${error.message}.`
        },
        now: now()
      })
    },
    { discard: true }
  )
}

/**
 * Ends every unfinished project of `tracked` (the projects made before the end: `Projects` chooses them)
 * after the socket's terminal `error`.
 */
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
          // ended by the lookup. Otherwise the failure is fed even while result URLs are minting: the machine
          // completes a project whose jobs all ended (when the mints arrive) and fails only an unfinished one.
          // (Waiting for the mints instead left a project whose end marker never came open until its idle
          // deadline: the mints' answers end a project only once the server, or a failure, said it ended.)
          if (ProjectState.isTerminal(t.current().status)) return Effect.void
          return t.feed({
            _tag: "LocalFailure",
            error: {
              code: 0,
              originalCode: "connectionClosed",
              message: `Project ${id} can no longer be followed: the connection ended for good (${error._tag}: ${error.message}).`,
              // the end's own error, as a send that the end refused carries it: a refused credential's
              // `SogniAuthenticationError` (4021, 4010, another 4xxx) is then the project's outcome
              cause: error
            },
            now: now()
          })
        }))
      ),
    { concurrency: "unbounded", discard: true }
  )
}
