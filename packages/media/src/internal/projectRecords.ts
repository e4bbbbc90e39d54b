/**
 * The record side of `ProjectSync`: the schemas of recovered projects, stored records and live lookups,
 * the strict reading of snapshot entries, the lookups of single projects, the verdict on missing ones and
 * the result URLs of recovered ones. `ProjectSync` re-exports the schemas and calls the effects through
 * a dynamic import: a snapshot with no project in it (every sync of a client that has nothing in flight,
 * the adapter's sync at each authentication) never loads this module, so programs that only ever see
 * empty snapshots do not carry it.
 *
 * @internal
 */
import * as Lazy from "@effect-sogni/core/Lazy"
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseIssues from "@effect-sogni/core/ParseIssues"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as DownloadUrls from "./downloadUrls.js"
import { isLlm } from "./llmProject.js"

const open = { key: Schema.String, value: Schema.Unknown } as const
/** Optional on the wire, and `null` read as absent. */
const optionalText = /* @__PURE__ */ Lazy.schema(() => Schema.optionalWith(Schema.String, { nullable: true, exact: true }))

/**
 * Statuses of a worker job in a recovery snapshot (socket.md §8.2), as a plain list (the promise
 * client's declarations inline its type without Effect's).
 *
 * @since 0.1.0
 */
export const workerJobStatuses = [
  "created",
  "queued",
  "assigned",
  "initiatingModel",
  "jobStarted",
  "jobProgress",
  "jobCompleted",
  "jobError"
] as const

/** Statuses of a worker job in a recovery snapshot (socket.md §8.2). @since 0.1.0 */
export const WorkerJobStatus: Schema.Literal<typeof workerJobStatuses> = /* @__PURE__ */ Lazy.schema(() => Schema.Literal(...workerJobStatuses))
/** @since 0.1.0 */
export type WorkerJobStatus = (typeof workerJobStatuses)[number]

/**
 * A worker job of a {@link RunningProject}, with the fields socket.md §8.2 guarantees (`id`, `imgID`,
 * `status`) required and the rest kept.
 *
 * @since 0.1.0
 */
export const RunningJob = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    imgID: Schema.String,
    status: WorkerJobStatus,
    reason: optionalText,
    performedSteps: Schema.optionalWith(Schema.Number, { exact: true }),
    seedUsed: Schema.optionalWith(Schema.Number, { exact: true }),
    triggeredNSFWFilter: Schema.optionalWith(Schema.Boolean, { exact: true }),
    createTime: Schema.optionalWith(Schema.Number, { exact: true }),
    updateTime: Schema.optionalWith(Schema.Number, { exact: true }),
    network: Schema.optionalWith(Schema.String, { exact: true })
  }, open)
)
/** @since 0.1.0 */
export type RunningJob = typeof RunningJob.Type

/** The model fields both project shapes carry (built with the first of them, not at import). */
const modelFields = /* @__PURE__ */ Lazy.memo(() => ({
  id: Schema.String,
  SID: Schema.optionalWith(Schema.Number, { exact: true }),
  name: Schema.optionalWith(Schema.String, { exact: true })
}))

/** Counts, times, status and network, as both the live list and the stored record carry them. */
const projectFields = /* @__PURE__ */ Lazy.memo(() => ({
  imageCount: Schema.Number,
  stepCount: Schema.Number,
  createTime: Schema.Number,
  updateTime: Schema.Number,
  endTime: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true }),
  status: Protocol.RawProjectStatus,
  reason: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  network: Schema.optionalWith(Schema.String, { exact: true })
}))

/**
 * A project of a recovery snapshot read strictly: the fields socket.md §8.2 guarantees (`id`, `model`,
 * `imageCount`, `stepCount`, `createTime`, `updateTime`, `status`) are required, so a caller can rely on
 * them; the rest of the record is kept as sent.
 *
 * @since 0.1.0
 */
export const RunningProject = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    appId: Schema.optionalWith(Schema.String, { exact: true }),
    appSource: Schema.optionalWith(Schema.String, { exact: true }),
    jobType: Schema.optionalWith(Schema.String, { exact: true }),
    model: Schema.Struct({
      ...modelFields(),
      type: Schema.optionalWith(Schema.String, { exact: true })
    }, open),
    ...projectFields(),
    clientRequestData: Schema.optionalWith(Schema.String, { exact: true }),
    workerJobs: Schema.optionalWith(Schema.Array(RunningJob), { exact: true }),
    completedWorkerJobs: Schema.optionalWith(Schema.Array(RunningJob), { exact: true })
  }, open)
)
/** @since 0.1.0 */
export type RunningProject = typeof RunningProject.Type

// compiled on first use, not at import
let decodeRunningCompiled: ((u: unknown) => Either.Either<RunningProject, ParseResult.ParseError>) | undefined
const decodeRunning = (u: unknown): Either.Either<RunningProject, ParseResult.ParseError> =>
  (decodeRunningCompiled ??= Schema.decodeUnknownEither(RunningProject))(u)

/**
 * The snapshot's entries read as {@link RunningProject}s; an entry that lacks a guaranteed field is
 * logged and left out rather than failing the whole listing.
 *
 * @since 0.1.0
 */
export const strictly = (
  projects: ReadonlyArray<Protocol.RecoveredProject>
): Effect.Effect<ReadonlyArray<RunningProject>> =>
  Effect.gen(function*() {
    const out: Array<RunningProject> = []
    for (const raw of projects) {
      const decoded = decodeRunning(raw)
      if (Either.isRight(decoded)) out.push(decoded.right)
      else {
        yield* Effect.logWarning(
          `recovery snapshot: skipped project ${raw.id}: ${
            ParseIssues.leaves(decoded.left.issue, 3).leaves
              .map((leaf) => `${leaf.path.map(String).join(".") || "(entry)"}: ${ParseIssues.message(leaf.issue)}`)
              .join("; ")
          }`
        )
      }
    }
    return out
  })

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
> = Effect.gen(function*() {
  const rest = yield* SogniRest.SogniRest
  const settings = yield* SogniConfig.SogniConfig
  const body = yield* rest.get("socket", "/api/v1/artist/projects/sync", Protocol.ProjectsSync)
  return yield* strictly(
    body.activeProjects.filter((p) => typeof p.appId === "string" && p.appId !== settings.appId && !isLlm(p))
  )
}).pipe(Effect.withSpan("ProjectSync.elsewhere"))

// ---------------------------------------------------------------------------------------------
// Lookups of single projects, and the verdict on projects a snapshot left out
// ---------------------------------------------------------------------------------------------

/**
 * A worker job of a stored project record.
 *
 * @since 0.1.0
 */
export const RecordJob = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    imgID: Schema.optionalWith(Schema.String, { exact: true }),
    status: WorkerJobStatus,
    reason: optionalText,
    performedSteps: Schema.optionalWith(Schema.Number, { exact: true }),
    seedUsed: Schema.optionalWith(Schema.Number, { exact: true }),
    triggeredNSFWFilter: Schema.optionalWith(Schema.Boolean, { exact: true }),
    resultUrl: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
    createTime: Schema.optionalWith(Schema.Number, { exact: true }),
    updateTime: Schema.optionalWith(Schema.Number, { exact: true }),
    endTime: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true })
  }, open)
)
/** @since 0.1.0 */
export type RecordJob = typeof RecordJob.Type

/**
 * A finished project as the REST host stores it (`GET /v1/projects/{id}`, rest.md §5.1): identity, model,
 * counts, times, status and both job lists are required; the rest of the record is kept as sent.
 *
 * @since 0.1.0
 */
export const ProjectRecord = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    SID: Schema.optionalWith(Schema.Number, { exact: true }),
    model: Schema.Struct({
      ...modelFields()
    }, open),
    ...projectFields(),
    workerJobs: Schema.Array(RecordJob),
    completedWorkerJobs: Schema.Array(RecordJob)
  }, open)
)
/** @since 0.1.0 */
export type ProjectRecord = typeof ProjectRecord.Type

/** The normalized statuses of the owner's live lookup (media.md §8). @since 0.1.0 */
export const LookupStatus = /* @__PURE__ */ Lazy.schema(() => Schema.Literal("pending", "queued", "processing", "completed", "failed", "canceled"))
/** @since 0.1.0 */
export type LookupStatus = typeof LookupStatus.Type

/**
 * One of the account's projects as the live lookup (`GET /v2/projects/{id}`) reports it, also while it is
 * queued or rendering: `id`, `status`, `finished` and the job lists are guaranteed, the rest is kept.
 *
 * @since 0.1.0
 */
export const StatusSnapshot = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Struct({
    id: Schema.String,
    status: LookupStatus,
    finished: Schema.Boolean,
    workerJobs: Schema.Array(RecordJob),
    completedWorkerJobs: Schema.Array(RecordJob)
  }, open)
)
/** @since 0.1.0 */
export type StatusSnapshot = typeof StatusSnapshot.Type

const projectPath = (prefix: "/v1/projects/" | "/v2/projects/", projectId: string) =>
  `${prefix}${encodeURIComponent(projectId)}`

/**
 * The stored record of a finished project (`GET /v1/projects/{id}`). The platform answers 404 until the
 * project has finished: that is a `SogniApiError` with `status` 404.
 *
 * @since 0.1.0
 */
export const record = (projectId: string): Effect.Effect<ProjectRecord, SogniRest.RestError, SogniRest.SogniRest> =>
  Effect.flatMap(SogniRest.SogniRest, (rest) =>
    rest.get("rest", projectPath("/v1/projects/", projectId), Schema.Struct({ project: ProjectRecord }))).pipe(
      Effect.map((body) => body.project),
      Effect.withSpan("ProjectSync.record", { attributes: { projectId } })
    )

/**
 * The live state of one of this account's projects (`GET /v2/projects/{id}`): 404 for an unknown project
 * or another account's, 503 while the server cannot tell yet (retryable).
 *
 * @since 0.1.0
 */
export const status = (projectId: string): Effect.Effect<StatusSnapshot, SogniRest.RestError, SogniRest.SogniRest> =>
  Effect.flatMap(SogniRest.SogniRest, (rest) =>
    rest.get("rest", projectPath("/v2/projects/", projectId), Schema.Struct({ project: StatusSnapshot }))).pipe(
      Effect.map((body) => body.project),
      Effect.withSpan("ProjectSync.status", { attributes: { projectId } })
    )

/**
 * Ids of this account's projects the socket holds live, queued ones included
 * (`GET /api/v1/artist/projects/active`).
 *
 * @since 0.1.0
 */
export const liveIds: Effect.Effect<ReadonlyArray<string>, SogniRest.RestError, SogniRest.SogniRest> = Effect.flatMap(
  SogniRest.SogniRest,
  (rest) => rest.get("socket", "/api/v1/artist/projects/active", Protocol.ActiveProjects)
).pipe(Effect.map((body) => body.projects.map((p) => p.id)), Effect.withSpan("ProjectSync.liveIds"))

/**
 * The verdict on a project a snapshot did not list:
 *
 * - `finished`: the stored record;
 * - `terminal`: the live lookup confirms it failed or was canceled (no record needed);
 * - `active`: the socket or the live lookup still has it in flight;
 * - `lost`: nothing knows it;
 * - `unknown`: a transport error, or a completion whose record is not stored yet; nothing is concluded.
 *
 * @since 0.1.0
 */
export type Resolution =
  | { readonly state: "finished"; readonly project: ProjectRecord }
  | { readonly state: "terminal"; readonly project: StatusSnapshot & { readonly status: "failed" | "canceled"; readonly finished: true } }
  | { readonly state: "active" }
  | { readonly state: "lost" }
  | { readonly state: "unknown"; readonly error: unknown }

/**
 * How {@link resolveMissing} retries: `attempts` reads of the record while it answers 404, `delay` apart.
 *
 * @since 0.1.0
 */
export interface ResolveOptions {
  readonly attempts?: number | undefined
  readonly delay?: Duration.DurationInput | undefined
}

/** The official client's defaults: 4 reads, 2.5 s apart (socket.md §8.3). @since 0.1.0 */
export const defaultResolveOptions = { attempts: 4, delay: Duration.millis(2500) } as const

const isNotFound = (e: SogniRest.RestError) => e._tag === "SogniApiError" && e.status === 404

/**
 * Looks up projects a snapshot did not list (socket.md §8.3): the stored record, re-read while it
 * answers 404 (the platform stores a project only after it finishes); then the socket's live list, which
 * catches a request registered after the snapshot; then the owner's live lookup. Every wait is bounded
 * by `attempts × delay`.
 *
 * @since 0.1.0
 */
export const resolveMissing = (
  projectIds: ReadonlyArray<string>,
  options: ResolveOptions = {}
): Effect.Effect<Readonly<Record<string, Resolution>>, never, SogniRest.SogniRest> =>
  Effect.gen(function*() {
    const attempts = Math.max(1, Math.floor(options.attempts ?? defaultResolveOptions.attempts))
    const delay = options.delay ?? defaultResolveOptions.delay
    const out: Record<string, Resolution> = {}
    let pending = [...new Set(projectIds)]
    for (let attempt = 0; attempt < attempts && pending.length > 0; attempt++) {
      if (attempt > 0) yield* Effect.sleep(delay)
      const still: Array<string> = []
      for (const id of pending) {
        const found = yield* Effect.either(record(id))
        if (Either.isRight(found)) out[id] = { state: "finished", project: found.right }
        else if (isNotFound(found.left)) still.push(id)
        else out[id] = { state: "unknown", error: found.left }
      }
      pending = still
    }
    if (pending.length === 0) return out
    const live = yield* Effect.option(liveIds)
    for (const id of pending) {
      if (live._tag === "Some" && live.value.includes(id)) {
        out[id] = { state: "active" }
        continue
      }
      const looked = yield* Effect.either(status(id))
      if (Either.isLeft(looked) || looked.right.id !== id) {
        out[id] = { state: "lost" }
        continue
      }
      const snapshot = looked.right
      if (!snapshot.finished) out[id] = { state: "active" }
      else if (snapshot.status === "failed" || snapshot.status === "canceled") {
        out[id] = { state: "terminal", project: { ...snapshot, status: snapshot.status, finished: true } }
      } else out[id] = { state: "unknown", error: new Error(`project ${id} finished but its record is not stored yet`) }
    }
    return out
  }).pipe(Effect.withSpan("ProjectSync.resolveMissing", { attributes: { count: projectIds.length } }))

/**
 * Download URLs of a finished snapshot project's completed, unfiltered jobs, in job order: a vendor
 * job's own URL, otherwise one minted for (project, `imgID`) on the REST host (the request of
 * `internal/downloadUrls.ts`, shared with the live mint and `Results.url`).
 *
 * @since 0.1.0
 */
export const resultUrls = (
  project: Protocol.RecoveredProject
): Effect.Effect<ReadonlyArray<string>, SogniRest.RestError, SogniRest.SogniRest> =>
  Effect.gen(function*() {
    const rest = yield* SogniRest.SogniRest
    const kind = DownloadUrls.kindOfModelType(typeof project.modelType === "string" ? project.modelType : project.model?.type)
    const jobs = (project.completedWorkerJobs ?? []).filter((j) =>
      j.status === "jobCompleted" && j.triggeredNSFWFilter !== true && j.reason !== "artistCanceled"
    )
    return yield* Effect.forEach(jobs, (job) => {
      if (typeof job.resultUrl === "string" && job.resultUrl.length > 0) return Effect.succeed(job.resultUrl)
      const imgID = job.imgID ?? job.id ?? ""
      // no contentType: the server's default format of the project
      const { path, query } = DownloadUrls.downloadUrlRequest(kind, project.id, imgID, "complete", undefined)
      return rest.get("rest", path, Protocol.DownloadUrl, { query }).pipe(Effect.map((r) => r.downloadUrl))
    })
  }).pipe(Effect.withSpan("ProjectSync.resultUrls", { attributes: { projectId: project.id } }))
