/**
 * `sogni.projects`: image, video and audio projects, models, size presets, model options and cost
 * estimates, with the official client's method names, over `@effect-sogni/media`.
 *
 * @since 0.1.0
 */
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import type * as Models from "@effect-sogni/media/Models"
import * as Projects from "@effect-sogni/media/Projects"
import type * as Results from "@effect-sogni/media/Results"
import type * as SavedUploads from "@effect-sogni/media/SavedUploads"
import * as Effect from "effect/Effect"
import { InvalidRequestError } from "./errors.js"
import { Emitter } from "./internal/emitter.js"
import type { Extras } from "./internal/extrasGroup.js"
import type { Followed } from "./internal/followed.js"
import type { WireSnapshot } from "./internal/projectsGroup.js"
import type { CallOptions, Runner } from "./internal/runner.js"
import { forwardCalls } from "./internal/forward.js"
import { Assets, loadLoraCalls, PersonalLoras } from "./LorasApi.js"
import { isAudioModel, isModelArtifactModel, isVideoModel } from "./models.js"
import { Project, type ProjectContext } from "./Project.js"
import type {
  ErrorData,
  CompletedRecoveredProject,
  ProjectResolution,
  ProjectStatusSnapshot,
  ProjectSyncReason,
  ProjectSyncResult,
  RawProject,
  AvailableLorasParams,
  LoraCatalog,
  LoraCatalogEntry,
  LoraConstraints,
  AudioEstimateRequest,
  RecoveredProject,
  AvailableModel,
  CostEstimation,
  EstimateRequest,
  JobEvent,
  ProjectEvent,
  ModelOptions,
  ProjectParams,
  SizePreset,
  SupernetType,
  VideoEstimateRequest
} from "./types.js"

/** Events of {@link ProjectsApi}. @since 0.1.0 */
export interface ProjectsApiEvents {
  /** The models with workers online changed. */
  readonly availableModels: ReadonlyArray<AvailableModel>
  /** A project of this client was queued, completed or failed (after the project's own events). */
  readonly project: ProjectEvent
  /** A job of one of this client's projects changed (after the project's and the job's own events). */
  readonly job: JobEvent
  /** After every reconciliation with the server: each `authenticated` handshake and each `sync()`. */
  readonly projectsSynced: ProjectSyncResult
  /** In-flight projects of this appId the server listed that this client does not track. */
  readonly activeProjectsRecovered: Array<RecoveredProject>
  /** Projects of this appId that finished while no client was connected (each announced once). */
  readonly completedProjectsRecovered: Array<CompletedRecoveredProject>
}

/** @internal */
export type ProjectsRequirements =
  | Projects.Projects
  | Models.Models
  | Results.Results
  | SogniSocket.SogniSocket
  | SogniRest.SogniRest
  | SogniConfig.SogniConfig
  | SavedUploads.SavedUploads

/**
 * The official parameters under the media package's names, not yet checked: the v3 name
 * `numberOfImages` accepted for `numberOfMedia`, `null` values dropped (`null` means "the model's
 * default", as in the official client, e.g. `guidance: null`). Objects and `false` may be media (files
 * to read into bytes, `false` for none): parameters with any are finished by the projects group's
 * `readMedia`, loaded for them. The media package's `Params.decode` (run by `Projects.prepare`) then
 * checks every value and names the offending field in its `SogniInvalidRequest`.
 */
async function toMediaInput(params: ProjectParams): Promise<unknown> {
  const out: Record<string, unknown> = { ...params }
  const legacy = (params as { numberOfImages?: unknown }).numberOfImages
  if (out.numberOfMedia === undefined && legacy !== undefined) out.numberOfMedia = legacy
  delete out.numberOfImages
  let media = false
  for (const k in out) {
    const value = out[k]
    if (value === undefined || value === null) delete out[k]
    else if (value === false || typeof value === "object") media = true
  }
  return media ? (await loadGroup()).readMedia(out) : out
}

/**
 * Fails `wait` as soon as the connection is refused for good (a refused API key: the
 * `AuthenticationError`), instead of letting it run to its own timeout.
 *
 * @internal
 */
export function failOnRefusal<A, E, R>(wait: Effect.Effect<A, E, R>) {
  return Effect.raceFirst(
    wait,
    Effect.flatMap(SogniSocket.SogniSocket, (socket) => Effect.zipRight(socket.awaitAuthenticated, Effect.never))
  )
}

/** The typed refusal of a bad argument, naming the field and the rule. @internal */
export function badArgument(field: string, rule: string, message: string): InvalidRequestError {
  return new InvalidRequestError(message, { reason: "InvalidRequest", fields: { field, rule } })
}

/**
 * Whether `params` is a project request at all: an object with a media `type` and a `modelId` (the
 * projects group's `shapeRefusal` names what is wrong with one that is not).
 */
function shaped(params: unknown): params is ProjectParams {
  if (params === null || typeof params !== "object" || Array.isArray(params)) return false
  const p = params as { readonly type?: unknown; readonly modelId?: unknown }
  return (p.type === "image" || p.type === "video" || p.type === "audio") && typeof p.modelId === "string" && p.modelId.length > 0
}

/**
 * The rarely used side of `sogni.projects` (lookups, estimates, model lists and options, cancel by id,
 * reconciliation, refused parameters), loaded on first use.
 */
let group: Promise<typeof import("./internal/projectsGroup.js")> | undefined
function loadGroup(): Promise<typeof import("./internal/projectsGroup.js")> {
  return (group ??= import("./internal/projectsGroup.js"))
}

function someUnfinished(entries: Iterable<{ readonly finished: boolean }>): boolean {
  for (const e of entries) if (!e.finished) return true
  return false
}

/**
 * @since 0.1.0
 */
export class ProjectsApi extends Emitter<ProjectsApiEvents> {
  /** The media service's list of available models (set once the client's services are up). */
  private models: Followed<ReadonlyArray<AvailableModel>> | undefined
  private readonly tracked = new Map<string, Project>()
  /** Projects that failed lately (at most 64, oldest dropped), until the server's project-level error. */
  private readonly failed = new Map<string, Project>()
  /** When each tracked project was sent (a sync judges an unlisted project only after a grace). */
  /** Finished projects already announced by `completedProjectsRecovered` (once per client). */
  private readonly announced = new Set<string>()
  /**
   * Projects a sync found that this client did not create: later syncs report them under
   * `active`/`completed`/`lost` as the official client does for the projects it rehydrates (upper-case ids).
   */
  private readonly recovered = new Map<string, { readonly createdAt: number; finished: boolean }>()
  /** Reconciliations run one at a time, in order. */
  private syncChain: Promise<unknown> = Promise.resolve()
  /** The account's imported LoRAs. */
  readonly personalLoras: PersonalLoras
  /** The saved-upload library. */
  readonly assets: Assets

  /** `"job"` listeners, counted as they come and go (each frame of each project asks). */
  private jobListeners = 0
  /** What every `Project` of this client shares: one object, not closures per project. */
  private readonly projectContext: ProjectContext
  /** @internal Loads the extras group (the LoRA catalog) on the first LoRA call. */
  readonly _extras: () => Promise<Extras>

  /** @internal */
  constructor(
    private readonly runner: Runner<ProjectsRequirements>,
    /** Loads the LoRA code and service on the first LoRA call. */
    extras: () => Promise<Extras>,
    private readonly socketDisabled: boolean
  ) {
    super()
    this._extras = extras
    this.personalLoras = new PersonalLoras(extras)
    this.assets = new Assets(runner)
    this.projectContext = {
      runner,
      onSettled: (p) => {
        this.tracked.delete(p.id)
        // a failed project: the server's project-level error may still follow (see `_projectError`)
        if (p.status === "failed") {
          this.failed.set(p.id, p)
          if (this.failed.size > 64) this.failed.delete(this.failed.keys().next().value!)
        }
      },
      emitProject: (event) => this.emit("project", event),
      emitJob: (event) => this.emit("job", event),
      wantsJob: () => this.jobListeners > 0
    }
  }

  /** @internal The client's runner, for the calls of `internal/projectsGroup.ts`. */
  get _runner(): Runner<ProjectsRequirements> {
    return this.runner
  }

  /** @internal The projects this client follows, by id, for the calls of `internal/projectsGroup.ts`. */
  get _tracked(): Map<string, Project> {
    return this.tracked
  }

  protected override listenersChanged(event: keyof ProjectsApiEvents, delta: number): void {
    if (event === "job") this.jobListeners += delta
    // the list's changes are watched from the first `availableModels` listener on
    else if (event === "availableModels" && delta > 0) this.followModels()
  }

  /** Whether the id is a video model. */
  isVideoModelId(modelId: string): boolean {
    return isVideoModel(modelId)
  }

  /** Whether the id is an audio model. */
  isAudioModelId(modelId: string): boolean {
    return isAudioModel(modelId)
  }

  /** Whether the model's result is a 3D model file. */
  isModelArtifactModelId(modelId: string): boolean {
    return isModelArtifactModel(modelId)
  }





  /** @internal The media service's list, once the client's services are up. */
  _modelsFrom(models: Followed<ReadonlyArray<AvailableModel>>): void {
    this.models = models
    if (this.listenerCount("availableModels") > 0) this.followModels()
  }

  /** Announces each new list of available models (`availableModels`), from now on. */
  private followModels(): void {
    this.models?.follow((list) => this.emit("availableModels", list))
  }

  /** The list when the connection ended for good: read as none until the server pushes a new one. */
  private ended: ReadonlyArray<AvailableModel> | undefined

  /**
   * @internal The connection ended for good (before `disconnected`): as the official client, the list is
   * empty (announced) until the next connection pushes one.
   */
  _disconnected(): void {
    this.ended = this.models?.current()
    this.emit("availableModels", [])
  }

  /** Models with workers online on the connection's network, as last pushed by the server. */
  get availableModels(): ReadonlyArray<AvailableModel> {
    const list = this.models?.current() ?? []
    return list === this.ended ? [] : list
  }

  /** Projects created by this client that have not finished yet. */
  /**
   * @internal A project-level `jobError` frame (no `imgID`): the server's own error of the project. The
   * official client sets it as the project's `error` also when the project already failed by its jobs
   * (the server follows the last job's failure with "Every job of this project failed."), so a failed
   * project's `error` reads it from then on. Projects not followed here are ignored.
   */
  _projectError(projectId: string, error: ErrorData): void {
    const id = projectId.toUpperCase()
    const project = this.tracked.get(id) ?? this.tracked.get(projectId) ?? this.failed.get(id) ?? this.failed.get(projectId)
    if (project === undefined) return
    this.failed.delete(project.id)
    project._serverError(error)
  }

  get trackedProjects(): ReadonlyArray<Project> {
    return [...this.tracked.values()]
  }

  /**
   * Starts a project and returns it at once (its id is known before anything is sent). Parameters the
   * network would refuse (a value out of the model's range, an unknown option) are reported as the
   * official client reports the server's refusal: the returned project fails with code 4000 (its
   * `failed` event, a `"project"` `error` event here, and `waitForCompletion` rejecting with an
   * `InvalidRequestError` naming the field and the rule); nothing is sent. A call that is not a
   * project at all (`null`, no `type` or `modelId`) rejects with an `InvalidRequestError`. Aborting
   * `signal` later cancels the project.
   */
  async create(params: ProjectParams, options?: CallOptions): Promise<Project> {
    if (this._socketDisabled) throw (await loadGroup()).socketRequired("projects.create")
    if (!shaped(params)) throw (await loadGroup()).shapeRefusal(params)
    const input = await toMediaInput(params)
    // `prepare` decodes the parameters once (a typed error naming the field), then the project starts
    const created = await this.runner
      .runNow(Effect.flatMap(Projects.Projects, (p) => Effect.flatMap(p.prepare(input), p.submit)), options?.signal)
      .then((handle) => ({ handle, refuse: undefined }), (error: unknown) => loadGroup().then((g) => g.refusal(error)))
    const project = this.mirror(created.handle, params)
    // refused parameters: the project fails through its events, once the caller attached its listeners
    if (created.refuse !== undefined) return created.refuse(project)
    this.follow(project)
    // aborting `signal` later cancels the project (wired by the projects group, loaded for it)
    if (options?.signal !== undefined) (await loadGroup()).cancelOnAbort(project, options.signal)
    return project
  }


  /** @internal The `authenticated` frame carries the same snapshot: reconcile against it. */
  _authenticated(frame: WireSnapshot & { readonly clientType?: string | undefined }): void {
    // a frame for another kind of client carries no projects of this one (socket.md §5.1)
    if (frame.clientType !== undefined && frame.clientType !== "artist") return
    const snapshot: WireSnapshot = {
      activeProjects: frame.activeProjects,
      unclaimedCompletedProjects: frame.unclaimedCompletedProjects
    }
    this._queueSync("authenticated", () => Promise.resolve(snapshot)).catch((error: unknown) =>
      loadGroup().then((g) => g.syncFailed(this, error))
    )
  }

  /** @internal Runs a reconciliation after those queued before it (`sync` queues its own from the projects group). */
  _queueSync(
    reason: ProjectSyncReason,
    read: () => Promise<WireSnapshot>,
    options?: CallOptions
  ): Promise<ProjectSyncResult> {
    const next = this.syncChain.then(async () => {
      const snapshot = await read()
      return this.reconcile(reason, snapshot, options)
    })
    this.syncChain = next.catch(() => undefined)
    return next
  }

  private async reconcile(reason: ProjectSyncReason, wire: WireSnapshot, options?: CallOptions): Promise<ProjectSyncResult> {
    // a fresh connection's snapshot, with nothing listed and nothing of this client in flight, changes
    // nothing: answered here, without loading the reconciliation (the image program's every handshake)
    if (
      wire.activeProjects.length === 0 && wire.unclaimedCompletedProjects.length === 0 &&
      !someUnfinished(this.tracked.values()) && !someUnfinished(this.recovered.values())
    ) {
      const result: ProjectSyncResult = {
        reason,
        snapshot: {
          activeProjects: [],
          unclaimedCompletedProjects: [],
          ...(typeof wire.serverTime === "number" ? { serverTime: wire.serverTime } : {})
        },
        active: [],
        completed: [],
        lost: [],
        unverified: [],
        recoveredActive: [],
        recoveredCompleted: []
      }
      this.emit("projectsSynced", result)
      return result
    }
    return (await loadGroup()).reconcile(this, reason, wire, options)
  }

  /** @internal Projects a sync found that this client did not create (for `internal/projectsGroup.ts`). */
  get _recovered(): Map<string, { readonly createdAt: number; finished: boolean }> {
    return this.recovered
  }

  /** @internal Finished projects already announced (for `internal/projectsGroup.ts`). */
  get _announced(): Set<string> {
    return this.announced
  }

  /** @internal Tracks an adopted media project under a new `Project` and starts mirroring it. */
  _adopt(handle: Projects.Project, params: ProjectParams): void {
    this.follow(this.mirror(handle, params))
  }

  /** The adapter's `Project` over a media project (its events re-emitted on `"project"` / `"job"`). */
  private mirror(handle: Projects.Project, params: ProjectParams): Project {
    return new Project(handle, params, params.type, this.projectContext)
  }

  /** Tracks a project and starts mirroring its media project. */
  private follow(project: Project): void {
    this.tracked.set(project.id, project)
    project._start()
  }

  /** @internal Whether the client was created with `disableSocket: true` (no projects then). */
  get _socketDisabled(): boolean {
    return this.socketDisabled
  }
}

/**
 * The members of {@link ProjectsApi} whose code is `internal/projectsGroup.ts` (model lists and options,
 * size presets, stored records and live status, lookups of projects elsewhere, cost estimates, cancel by
 * id): each loads the group with its first call and runs there.
 *
 * @since 0.1.0
 */
export interface ProjectsGroupCalls {
  /** Waits for the first list of available models (connecting if needed). `timeout` in ms (default 10 s). */
  waitForModels(timeout?: number, options?: CallOptions): Promise<ReadonlyArray<AvailableModel>>
  /**
   * The models with workers on `network` now, asked over REST (any network, whichever the connection is
   * on; no socket needed). Without a network: the connection's list, waiting for the first one.
   */
  getAvailableModels(network?: SupernetType, options?: CallOptions): Promise<ReadonlyArray<AvailableModel>>
  /** Size presets of a model on a network. */
  getSizePresets(network: SupernetType, modelId: string, _forceRefresh?: boolean, options?: CallOptions): Promise<ReadonlyArray<SizePreset>>
  /**
   * The stored record of a finished project (`GET /v1/projects/{id}`). The platform stores a project only
   * once it has finished: before that this rejects with an `ApiError` of status 404 (use
   * {@link getStatus} for a project still queued or rendering).
   */
  get(projectId: string, options?: CallOptions): Promise<RawProject>
  /**
   * The live state of one of this account's projects (`GET /v2/projects/{id}`), also while it is queued or
   * rendering. An unknown project or another account's rejects with status 404; 503 means the server
   * cannot tell yet and the call can be retried.
   */
  getStatus(projectId: string, options?: CallOptions): Promise<ProjectStatusSnapshot>
  /**
   * Looks up projects a snapshot did not list: the stored record, re-read `attempts` times (default 4)
   * `delayMs` apart (default 2500) while it answers 404; then the socket's live list; then the owner's
   * live lookup. Each id gets a verdict: `finished`, `terminal`, `active`, `lost` or `unknown`.
   */
  resolveMissing(
    projectIds: ReadonlyArray<string>,
    resolve?: { readonly attempts?: number | undefined; readonly delayMs?: number | undefined },
    options?: CallOptions
  ): Promise<Record<string, ProjectResolution>>
  /** Cancels a project this client created. */
  cancel(projectId: string, options?: CallOptions): Promise<void>
  /**
   * Reconciles this client's projects with the server's snapshot of this appId
   * (`GET /api/v1/artist/projects/sync`) and reports it; the result is also the `projectsSynced` event,
   * preceded by `activeProjectsRecovered` / `completedProjectsRecovered` when the server lists projects
   * this client does not track. Tracked projects missing from the snapshot (and older than 5 s) are
   * looked up as {@link resolveMissing} does. The tracked projects themselves are brought up to date by
   * the media package's own reconnect handling. Projects found here that this client did not create are
   * remembered, so later syncs report them under `active` / `completed` / `lost` as the official client
   * does, but no `Project` object is built for them and no `project` / `job` events follow.
   */
  sync(reason?: ProjectSyncReason, options?: CallOptions): Promise<ProjectSyncResult>
  /**
   * In-flight projects of this account running under another `appId` (another app, device or headless
   * client): read-only and untracked, as in the official client. Needs no socket.
   */
  listProjectsElsewhere(options?: CallOptions): Promise<Array<RecoveredProject>>
  /** The controls a model offers (steps, guidance, samplers, schedulers, sizes, fps, …). */
  getModelOptions(modelId: string, options?: CallOptions): Promise<ModelOptions>
  /** The cost of an image project (the official client's request shape; `tokenType` defaults to `sogni`). */
  estimateCost(request: EstimateRequest, options?: CallOptions): Promise<CostEstimation>
  /** The cost of a video project. */
  estimateVideoCost(request: VideoEstimateRequest, options?: CallOptions): Promise<CostEstimation>
  /** The cost of an audio project. */
  estimateAudioCost(request: AudioEstimateRequest, options?: CallOptions): Promise<CostEstimation>
}

export interface ProjectsApi extends ProjectsGroupCalls {}

// each of them: loads the group, then runs its code with this facade
forwardCalls(
  ProjectsApi,
  [
    "waitForModels",
    "getAvailableModels",
    "getSizePresets",
    "get",
    "getStatus",
    "resolveMissing",
    "cancel",
    "sync",
    "listProjectsElsewhere",
    "getModelOptions",
    "estimateCost",
    "estimateVideoCost",
    "estimateAudioCost"
  ],
  function() {
    return loadGroup().then((m) => m.calls)
  }
)

/** The LoRA catalog members of {@link ProjectsApi} (their code: `internal/loraCalls.ts`). @since 0.1.0 */
export interface ProjectsLoraCalls {
  /**
   * The LoRA catalog, optionally only what one model accepts; `includePersonal` adds the account's
   * ready imported LoRAs (and the models they serve).
   */
  availableLoras(params?: AvailableLorasParams, options?: CallOptions): Promise<LoraCatalog>
  /** One LoRA by id (a `personal-…` id is looked up in the account's library); `undefined` when unknown. */
  getLora(loraId: string, options?: CallOptions): Promise<LoraCatalogEntry | undefined>
  /** Whether the model accepts LoRAs. */
  supportsLoras(modelId: string, options?: CallOptions): Promise<boolean>
  /** How many LoRAs a request may carry and the strength bounds. */
  loraConstraints(options?: CallOptions): Promise<LoraConstraints>
}

export interface ProjectsApi extends ProjectsLoraCalls {}

forwardCalls(ProjectsApi, ["availableLoras", "getLora", "supportsLoras", "loraConstraints"], function() {
  return loadLoraCalls().then((m) => m.projectLoras)
})
