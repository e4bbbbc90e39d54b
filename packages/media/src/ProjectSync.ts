/**
 * The server's view of this account's projects (`GET /api/v1/artist/projects/sync` on the socket host):
 * the recovery snapshot of this installation (its `appId`), and the projects running under other
 * installations — another app, device or headless client of the same account.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ProjectSync } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const others = yield* ProjectSync.elsewhere
 *   for (const p of others) console.log(p.id, p.appId, p.status)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { isLlm } from "./internal/llmProject.js"
import type { ProjectRecord, Resolution, ResolveOptions, RunningProject, StatusSnapshot } from "./internal/projectRecords.js"

/**
 * The snapshot of this installation: its in-flight projects and those that finished while nobody was
 * connected (read-only; the socket's reconnect handling already reconciles tracked projects).
 *
 * @since 0.1.0
 */
export const snapshot: Effect.Effect<Protocol.ProjectsSync, SogniRest.RestError, SogniRest.SogniRest | SogniConfig.SogniConfig> =
  Effect.gen(function*() {
    const rest = yield* SogniRest.SogniRest
    const settings = yield* SogniConfig.SogniConfig
    return yield* rest.get("socket", "/api/v1/artist/projects/sync", Protocol.ProjectsSync, { query: { appId: settings.appId } })
  }).pipe(Effect.withSpan("ProjectSync.snapshot"))

// ---------------------------------------------------------------------------------------------
// Records, lookups and verdicts (internal/projectRecords.ts, loaded on first use)
// ---------------------------------------------------------------------------------------------

export {
  defaultResolveOptions,
  LookupStatus,
  ProjectRecord,
  RecordJob,
  type Resolution,
  type ResolveOptions,
  RunningJob,
  RunningProject,
  StatusSnapshot,
  WorkerJobStatus,
  workerJobStatuses
} from "./internal/projectRecords.js"

/** The record side of this module, loaded by the first call that needs it (see the internal module). */
const records = Effect.promise(() => import("./internal/projectRecords.js"))

/**
 * The snapshot's entries read as {@link RunningProject}s; an entry that lacks a guaranteed field is
 * logged and left out rather than failing the whole listing. An empty list is answered at once, without
 * loading the record schemas.
 *
 * @since 0.1.0
 */
export const strictly = (
  projects: ReadonlyArray<Protocol.RecoveredProject>
): Effect.Effect<ReadonlyArray<RunningProject>> =>
  projects.length === 0 ? Effect.succeed([]) : Effect.flatMap(records, (m) => m.strictly(projects))

/**
 * In-flight media projects of this account started under another `appId` (the official client's
 * `listProjectsElsewhere`): read-only, untracked, LLM jobs left out, each read as a
 * {@link RunningProject} (an entry missing a guaranteed field is logged and skipped).
 *
 * @since 0.1.0
 */
export const elsewhere: Effect.Effect<
  ReadonlyArray<RunningProject>,
  SogniRest.RestError,
  SogniRest.SogniRest | SogniConfig.SogniConfig
> = Effect.flatMap(records, (m) => m.elsewhere)

/**
 * The stored record of a finished project (`GET /v1/projects/{id}`). The platform answers 404 until the
 * project has finished: that is a `SogniApiError` with `status` 404.
 *
 * @since 0.1.0
 */
export const record = (projectId: string): Effect.Effect<ProjectRecord, SogniRest.RestError, SogniRest.SogniRest> =>
  Effect.flatMap(records, (m) => m.record(projectId))

/**
 * The live state of one of this account's projects (`GET /v2/projects/{id}`): 404 for an unknown project
 * or another account's, 503 while the server cannot tell yet (retryable).
 *
 * @since 0.1.0
 */
export const status = (projectId: string): Effect.Effect<StatusSnapshot, SogniRest.RestError, SogniRest.SogniRest> =>
  Effect.flatMap(records, (m) => m.status(projectId))

/**
 * Ids of this account's projects the socket holds live, queued ones included
 * (`GET /api/v1/artist/projects/active`).
 *
 * @since 0.1.0
 */
export const liveIds: Effect.Effect<ReadonlyArray<string>, SogniRest.RestError, SogniRest.SogniRest> = Effect.flatMap(
  records,
  (m) => m.liveIds
)

/**
 * Looks up projects a snapshot did not list (socket.md §8.3): the stored record, re-read while it
 * answers 404 (the platform stores a project only after it finishes); then the socket's live list, which
 * catches a request registered after the snapshot; then the owner's live lookup. Every wait is bounded
 * by `attempts × delay` ({@link defaultResolveOptions}).
 *
 * @since 0.1.0
 */
export const resolveMissing = (
  projectIds: ReadonlyArray<string>,
  options: ResolveOptions = {}
): Effect.Effect<Readonly<Record<string, Resolution>>, never, SogniRest.SogniRest> =>
  Effect.flatMap(records, (m) => m.resolveMissing(projectIds, options))

/**
 * Download URLs of a finished snapshot project's completed, unfiltered jobs, in job order: a vendor
 * job's own URL, otherwise one minted for (project, `imgID`) on the REST host.
 *
 * @since 0.1.0
 */
export const resultUrls = (
  project: Protocol.RecoveredProject
): Effect.Effect<ReadonlyArray<string>, SogniRest.RestError, SogniRest.SogniRest> =>
  Effect.flatMap(records, (m) => m.resultUrls(project))

// ---------------------------------------------------------------------------------------------
// Reconciliation against a snapshot
// ---------------------------------------------------------------------------------------------

/** What asked for a reconciliation. @since 0.1.0 */
export type SyncReason = "authenticated" | "connected" | "manual" | "recheck"

/**
 * A snapshot set against the projects a client tracks, as the official client reads it: an entry of
 * `activeProjects` is in flight, one of `unclaimedCompletedProjects` finished (LLM jobs and repeated ids
 * skipped, the first listing wins). Tracked projects that already ended locally are left out; tracked
 * unfinished projects the snapshot does not list are `missing` (to {@link resolveMissing}) once they are
 * older than the grace, `deferred` before.
 *
 * @since 0.1.0
 */
export interface Reconciliation<P extends Protocol.RecoveredProject = Protocol.RecoveredProject> {
  readonly active: ReadonlyArray<string>
  readonly completed: ReadonlyArray<string>
  readonly missing: ReadonlyArray<string>
  readonly deferred: ReadonlyArray<string>
  readonly untrackedActive: ReadonlyArray<P>
  readonly untrackedCompleted: ReadonlyArray<P>
}

/** A project a client tracks, for {@link reconcile}. @since 0.1.0 */
export interface TrackedProject {
  readonly id: string
  readonly finished: boolean
  /** When it was sent (epoch ms). */
  readonly createdAt: number
}

/**
 * The official client's grace before an unlisted new project is judged: the server may not have
 * registered it yet (socket.md §8.3).
 *
 * @since 0.1.0
 */
export const recentlyCreatedGrace: Duration.Duration = Duration.seconds(5)

/**
 * Sets a snapshot against the tracked projects (pure; ids compared upper-case, as the platform keys
 * them).
 *
 * @since 0.1.0
 */
export const reconcile = <P extends Protocol.RecoveredProject>(
  snapshot: { readonly activeProjects: ReadonlyArray<P>; readonly unclaimedCompletedProjects: ReadonlyArray<P> },
  tracked: ReadonlyArray<TrackedProject>,
  options: { readonly now: number; readonly grace?: Duration.DurationInput | undefined }
): Reconciliation<P> => {
  const key = (id: string) => id.toUpperCase()
  const mine = new Map(tracked.map((t) => [key(t.id), t]))
  const seen = new Set<string>()
  const active: Array<string> = []
  const completed: Array<string> = []
  const untrackedActive: Array<P> = []
  const untrackedCompleted: Array<P> = []
  const visit = (list: ReadonlyArray<P>, finished: boolean) => {
    for (const p of list) {
      if (isLlm(p) || seen.has(key(p.id))) continue
      seen.add(key(p.id))
      const t = mine.get(key(p.id))
      if (t === undefined) (finished ? untrackedCompleted : untrackedActive).push(p)
      else if (!t.finished) (finished ? completed : active).push(t.id)
    }
  }
  visit(snapshot.activeProjects, false)
  visit(snapshot.unclaimedCompletedProjects, true)
  const grace = Duration.toMillis(options.grace ?? recentlyCreatedGrace)
  const unlisted = tracked.filter((t) => !t.finished && !seen.has(key(t.id)))
  return {
    active,
    completed,
    missing: unlisted.filter((t) => t.createdAt <= options.now - grace).map((t) => t.id),
    deferred: unlisted.filter((t) => t.createdAt > options.now - grace).map((t) => t.id),
    untrackedActive,
    untrackedCompleted
  }
}
