/**
 * A media project and its jobs as event-emitting objects, the official client's `Project` and `Job`.
 *
 * Each `Project` wraps a live project of `@effect-sogni/media`: a synchronous listener on the project's
 * reducer mirrors its state (status, progress, jobs, results) into plain getters as each event is
 * applied, emitting `progress`, `jobStarted`, `jobCompleted`, `jobFailed`, `completed` and
 * `failed`; each `Job` emits `progress`, `completed` and `failed`. Nothing is tracked twice: the state
 * shown is the media package's state machine's.
 *
 * What a project that renders and completes unobserved needs is here; the rest of the mirroring (the
 * progress, ETA, preview, retry and failure events, the payloads of `sogni.projects`' `"job"` events,
 * failed and canceled outcomes, refusals, downloads and cancel) is `internal/projectEvents.ts`, loaded
 * with the first event or call that needs it. Events that arrive while it loads are held and applied
 * in order once it is there, so every listener sees the same sequence as without the split.
 *
 * @example
 * ```ts
 * const project = await sogni.projects.create({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a fox", numberOfMedia: 2 })
 * project.on("progress", (percent) => console.log(`${percent}%`))
 * project.on("jobCompleted", (job) => console.log(job.id, job.resultUrl))
 * const urls = await project.waitForCompletion()
 * ```
 *
 * @since 0.1.0
 */
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import type * as Projects from "@effect-sogni/media/Projects"
import * as ProjectState from "@effect-sogni/media/ProjectState"
import type * as Results from "@effect-sogni/media/Results"
import * as Effect from "effect/Effect"
import type { InvalidRequestError, SogniClientError } from "./errors.js"
import { Emitter } from "./internal/emitter.js"
import { forwardCalls } from "./internal/forward.js"
import { loadFailure } from "./internal/lazyRuntime.js"
import type { CallOptions, Runner } from "./internal/runner.js"
import type { ErrorData, JobEvent, JobStatus, ProjectEvent, ProjectParams, ProjectStatus } from "./types.js"

/** Events of a {@link Job}. @since 0.1.0 */
export interface JobEventMap {
  /** Percent 0–100. */
  readonly progress: number
  /** The result URL. */
  readonly completed: string
  readonly failed: ErrorData
  /** Names of the fields that changed. */
  readonly updated: ReadonlyArray<string>
}

/** Events of a {@link Project}. @since 0.1.0 */
export interface ProjectEventMap {
  /** Percent 0–100, never decreasing. */
  readonly progress: number
  /** The result URLs, by job index. */
  readonly completed: ReadonlyArray<string>
  readonly failed: ErrorData
  readonly jobStarted: Job
  readonly jobCompleted: Job
  readonly jobFailed: Job
  /** Names of the fields that changed. */
  readonly updated: ReadonlyArray<string>
}

/**
 * What a project needs from the client: one object per `sogni.projects`, shared by all its projects
 * (no closures made per project). @internal
 */
export interface ProjectContext {
  readonly runner: Runner<Projects.Projects | Results.Results | SogniRest.SogniRest>
  readonly onSettled: (project: Project) => void
  /** Re-emits a project-level event on `sogni.projects` (`"project"`). */
  readonly emitProject: (event: ProjectEvent) => void
  /** Re-emits a job-level event on `sogni.projects` (`"job"`). */
  readonly emitJob: (event: JobEvent) => void
  /** Whether anything listens to `"job"` on `sogni.projects` (no payload is built otherwise). */
  readonly wantsJob: () => boolean
}

/** The official `ErrorData` of the media package's. @internal */
export function errorDataOf(e: ProjectState.ErrorData): ErrorData {
  return {
    code: e.code,
    message: e.message,
    ...(e.originalCode !== undefined ? { originalCode: e.originalCode } : {})
  }
}

function noop(): void {}

/** The wall-clock time `seconds` from now (for display, like the official client's queue estimate). */
function secondsFromNow(seconds: number): Date {
  const at = new Date()
  at.setTime(at.getTime() + seconds * 1000)
  return at
}

type More = typeof import("./internal/projectEvents.js")

/** The rest of the mirroring, once loaded (then used synchronously). */
let more: More | undefined
let loadingMore: Promise<More> | undefined

/** Loads `internal/projectEvents.ts` (once; a failed load is tried again on the next need). */
function loadMore(): Promise<More> {
  if (loadingMore === undefined) {
    loadingMore = import("./internal/projectEvents.js").then((m) => (more = m))
    loadingMore.catch(() => {
      loadingMore = undefined
    })
  }
  return loadingMore
}

/** The events a project applies without `internal/projectEvents.ts` (while nothing asks for `"job"` events). */
const plainEvents = new Set<ProjectState.ProjectEvent["_tag"]>(["Queued", "JobInitiating", "JobStarted", "JobCompleted", "Completed", "Progress", "CancelRejected"])

/**
 * One output of a project.
 *
 * @since 0.1.0
 */
export class Job extends Emitter<JobEventMap> {
  private state: ProjectState.Job
  private preview: string | undefined
  /** The worker's ETA interval (seconds), kept as two numbers: it moves with every progress frame. */
  private etaMin = 0
  private etaMax = -1

  /** @internal The project the job belongs to. */
  readonly _project: Project

  /** @internal */
  constructor(state: ProjectState.Job, project: Project) {
    super()
    this.state = state
    this._project = project
  }

  /** A `progress` or `updated` listener here makes the project follow the progress frames. */
  protected override listenersChanged(event: keyof JobEventMap, delta: number): void {
    if (event === "progress" || event === "updated") this._project._progressInterest(delta)
  }

  /** @internal */
  _sync(state: ProjectState.Job): void {
    this.state = state
  }

  /** @internal The media package's state of the job. */
  get _state(): ProjectState.Job {
    return this.state
  }

  /** @internal */
  _setEtaRange(min: number, max: number): void {
    this.etaMin = min
    this.etaMax = max
  }

  /** @internal */
  _setPreview(url: string): void {
    this.preview = url
  }

  /** The worker's id of this render (changes when the render moves to another worker). */
  get id(): string {
    return this.state.imgID
  }
  get projectId(): string {
    return this._project.id
  }
  /** This render's stable position in its project. */
  get jobIndex(): number | undefined {
    return this.state.jobIndex
  }
  get status(): JobStatus {
    return this.state.status
  }
  get finished(): boolean {
    return this.state.status === "completed" || this.state.status === "failed" || this.state.status === "canceled"
  }
  /** Progress 0–100. */
  get progress(): number {
    return this.state.percent
  }
  get step(): number {
    return this.state.step
  }
  get stepCount(): number {
    return this.state.stepCount
  }
  get seed(): number | undefined {
    return this.state.result?.seed
  }
  get workerName(): string | undefined {
    return this.state.workerName ?? this.state.result?.workerName
  }
  get previewUrl(): string | undefined {
    return this.preview
  }
  /** The result URL; `null` when the job finished without media (withheld, canceled). */
  get resultUrl(): string | null | undefined {
    if (this.state.result !== undefined) return this.state.result.url ?? null
    return this.finished ? null : undefined
  }
  /** When a signed result URL stops working (ms since the epoch), if known. */
  get resultUrlExpiresAt(): number | undefined {
    return this.state.result?.urlExpiresAt
  }
  get error(): ErrorData | undefined {
    return this.state.error === undefined ? undefined : errorDataOf(this.state.error)
  }
  /** The server withheld the media (safety filter on). */
  get isNSFW(): boolean {
    return this.state.result?.nsfwWithheld ?? false
  }
  get isWithheld(): boolean {
    return this.isNSFW
  }
  /** A safety signal fired on media that was delivered (filter off). */
  get nsfwDetected(): boolean {
    return this.state.result?.nsfwDetected ?? false
  }
  get hasResultMedia(): boolean {
    return this.state.result?.url !== undefined
  }
  get type(): "image" | "video" | "audio" {
    return this._project.type
  }
  /**
   * The worker's interval for the seconds left (`min`–`max`), once it reported one. It comes with the
   * progress frames, which the project follows once anything reads it (or listens to progress).
   */
  get etaRange(): { min: number; max: number } | undefined {
    this._project._followProgress()
    return this.etaMax < 0 ? undefined : { min: this.etaMin, max: this.etaMax }
  }
  /** The official client's older name of {@link resultUrl}. */
  get imageUrl(): string | undefined {
    return this.resultUrl ?? undefined
  }
  /** Seconds left, when the worker reported an ETA. */
  get etaSeconds(): number | undefined {
    return this.state.etaSeconds
  }
  get eta(): Date | undefined {
    return this.state.etaAt === undefined ? undefined : new Date(this.state.etaAt)
  }

  /** @internal */
  override emit<K extends keyof JobEventMap>(event: K, data: JobEventMap[K]): void {
    super.emit(event, data)
  }

  toJSON() {
    return {
      id: this.id,
      projectId: this.projectId,
      jobIndex: this.jobIndex,
      status: this.status,
      step: this.step,
      stepCount: this.stepCount,
      progress: this.progress,
      workerName: this.workerName,
      seed: this.seed,
      resultUrl: this.resultUrl,
      previewUrl: this.previewUrl,
      error: this.error
    }
  }
}

/**
 * The members of {@link Job} whose code is `internal/projectEvents.ts` (loaded with the first of them).
 *
 * @since 0.1.0
 */
export interface JobCalls {
  /** The result URL (already resolved when the job completed). */
  getResultUrl(): Promise<string>
  /** Downloads the result (no credentials are sent). */
  getResultData(options?: CallOptions): Promise<Blob>
  /** Downloads the result as bytes. */
  getResultBytes(options?: CallOptions): Promise<Uint8Array>
}

export interface Job extends JobCalls {}

forwardCalls(Job, ["getResultUrl", "getResultData", "getResultBytes"], function() {
  return loadMore().then((m) => m.jobCalls)
})

/** How a project ended, for `waitForCompletion`. @internal */
export type Outcome =
  | { readonly _tag: "Done"; readonly urls: ReadonlyArray<string> }
  | { readonly _tag: "Error"; readonly error: SogniClientError }

/**
 * A running (or finished) media project.
 *
 * @since 0.1.0
 */
export class Project extends Emitter<ProjectEventMap> {
  /** @internal The media package's state, as last applied (set by a refusal too). */
  _state: ProjectState.ProjectState | undefined
  private readonly jobList: Array<Job> = []
  private outcome: Outcome | undefined
  /** `waitForCompletion` callers, until the outcome (made on the first). */
  private waiters: Set<(o: Outcome) => void> | undefined
  private lastProgress = -1
  private readonly startedAtDate = new Date()
  private queueInfo: { readonly estimatedStartAt?: Date; readonly queueStatus?: "waiting" | "no-workers" } = {}
  /** @internal What the project needs from the client. */
  readonly _context: ProjectContext

  /** @internal */
  constructor(
    handle: Projects.Project,
    private readonly projectParams: ProjectParams,
    private readonly projectType: "image" | "video" | "audio",
    context: ProjectContext
  ) {
    super()
    this._context = context
    this._handle = handle
    this.projectId = handle.id
  }

  private readonly projectId: string
  /**
   * @internal The media project, until its terminal event (or the client's disposal): then dropped, so a
   * finished `Project` the caller keeps holds its own state only, not the actor behind it (its request,
   * scope and fibers' closures).
   */
  _handle: Projects.Project | undefined

  /** Someone read a job's `etaRange`: progress frames are followed from now on. */
  private progressRead = false

  /**
   * `progress` and `updated` listeners on this project and its jobs, counted as they are added and
   * removed (the reducer asks {@link wantsProgress} on every frame: no lookup of listener sets there).
   */
  private progressListeners = 0

  /**
   * What waits for `internal/projectEvents.ts`, in order: set while it loads for an event or an outcome
   * that needs it; every event after that one waits its turn here too.
   */
  private held: Array<(m: More) => void> | undefined

  /** @internal A job's `progress` / `updated` listeners changed by `delta`. */
  _progressInterest(delta: number): void {
    this.progressListeners += delta
  }

  protected override listenersChanged(event: keyof ProjectEventMap, delta: number): void {
    if (event === "progress" || event === "updated") this.progressListeners += delta
  }

  /** @internal A job's `etaRange` was read: it moves with the progress frames, follow them from now on. */
  _followProgress(): void {
    this.progressRead = true
  }

  /**
   * Whether anything needs the progress frames' events now: a `progress` or `updated` listener here or
   * on a job, a `"job"` listener on `sogni.projects`, or a read of a job's `etaRange`. While nothing does,
   * media's reducer builds no progress events for this project (its state moves all the same: `progress`,
   * `step` and the jobs' getters read it).
   */
  private readonly wantsProgress = (): boolean =>
    this.progressRead || this.progressListeners > 0 || this._context.wantsJob()

  /** Removes the project's listener and dispose hook once it settled. */
  private detach: () => void = noop

  /**
   * @internal Starts mirroring the media project: a synchronous listener on its reducer, called on the
   * turn each event is applied (no fiber, stream or state copy per event). The client's disposal
   * settles a project still running with a `DisposedError`.
   */
  _start(): void {
    if (this._context.runner.disposed) return this.settleDisposed()
    let ended = false
    let stopListening: () => void = () => {}
    const removeHook = this._context.runner.onDispose(() => {
      this.detach()
      this.settleDisposed()
    })
    this.detach = () => {
      // once: the closures that reach the actor (its listen's remover) are let go with the handle
      this.detach = noop
      stopListening()
      removeHook()
      this._handle = undefined
    }
    stopListening = this._handle!.listen((event, state) => {
      this.apply(event, state)
      // the terminal event is the project's last: nothing more to follow (the outcome may have been
      // settled earlier, by the last job's result, and the terminal event still reports the project)
      if (event._tag === "Completed" || event._tag === "Failed" || event._tag === "Canceled") {
        ended = true
        this.detach()
      }
    }, { wantsProgress: this.wantsProgress })
    // the events held since creation ended it already
    if (ended) return this.detach()
    // ended before this listener and its events already went to another subscriber: settle from the state
    const now = Effect.runSync(this._handle!.state)
    if (ProjectState.isTerminal(now.status)) {
      this.detach()
      if (now.status === "completed") this._settleFrom(now)
      else this.withMore(() => this._settleFrom(now))
    }
  }

  /** Settles the project with a `DisposedError` (`internal/projectEvents.ts`, after what waits for it). */
  private settleDisposed(): void {
    this.withMore((m) => m.settleDisposed(this))
  }

  /**
   * @internal Fails a project whose parameters were refused before anything was sent, as the official
   * client fails one the server refuses: code 4000, the `failed` event, then the `"project"` `error`
   * event; `waitForCompletion` rejects with the `InvalidRequestError`.
   */
  _refuse(error: InvalidRequestError): void {
    this.withMore((m) => m.refuse(this, error))
  }

  get id(): string {
    return this.projectId
  }
  get params(): ProjectParams {
    return this.projectParams
  }
  get type(): "image" | "video" | "audio" {
    return this.projectType
  }
  get startedAt(): Date {
    return this.startedAtDate
  }
  get status(): ProjectStatus {
    return this._state?.status ?? "pending"
  }
  get finished(): boolean {
    const s = this.status
    return s === "completed" || s === "failed" || s === "canceled"
  }
  /** Progress 0–100, never decreasing. */
  get progress(): number {
    return this._state?.percent ?? 0
  }
  /** When the queue expects the project to start (from the last `queued` event); cleared once a worker takes it. */
  get estimatedStartAt(): Date | undefined {
    return this.queueInfo.estimatedStartAt
  }
  /** Why the project waits (`waiting`, or `no-workers` when no worker can serve it); cleared once a worker takes it. */
  get queueStatus(): "waiting" | "no-workers" | undefined {
    return this.queueInfo.queueStatus
  }
  /** Whether this client adopted the project from the server rather than creating it: never, here (projects are this client's own). */
  get recovered(): boolean {
    return false
  }
  get queuePosition(): number {
    return this._state?.queuePosition ?? -1
  }
  /**
   * The error the project failed with: the server's project-level error once it came (the official
   * client's last word, e.g. "Every job of this project failed." after the jobs' own errors), else the
   * error that failed it. `undefined` unless the project failed.
   */
  get error(): ErrorData | undefined {
    if (this.status === "failed" && this.serverError !== undefined) return this.serverError
    return this._state?.error === undefined ? undefined : errorDataOf(this._state.error)
  }
  /** The server's project-level error (`_serverError`). */
  private serverError: ErrorData | undefined
  /**
   * @internal The server's project-level `jobError` (see `ProjectsApi._projectError`): it becomes
   * `error` (read once the project failed); an `updated` with `["error"]` tells of it when it changes
   * the error of a project that already failed.
   */
  _serverError(error: ErrorData): void {
    // a refusal the project outlives (a resubmit while the server restarts, a resend it already has)
    if (this.status !== "failed" && (error.code === 1001 || /already exists/i.test(error.message))) return
    const before = this.error
    this.serverError = error
    if (this.status === "failed") this._rejectLaterWithServerError()
    if (this.status === "failed" && JSON.stringify(before) !== JSON.stringify(error)) this.emit("updated", ["error"])
    if (this.awaitingServerError) {
      this.awaitingServerError = false
      this._context.emitProject({ type: "error", projectId: this.id, error })
    }
  }
  /**
   * @internal A failed project's `waitForCompletion` from now on rejects with the server's project-level
   * error once it came, as the official client's rejects with the project's `error` (the waiters of the
   * failure itself had the job's error, as the official `failed` event gives it). Called when that error
   * comes after the outcome, and by the outcome when it came while `internal/projectEvents.ts` loaded.
   */
  _rejectLaterWithServerError(): void {
    if (this.serverError !== undefined && this.outcome?._tag === "Error" && more !== undefined) {
      this.outcome = { _tag: "Error", error: more.failedError(this, this.serverError) }
    }
  }
  /** Whether the project failed by its jobs and its `"project"` `error` waits for the server's. */
  private awaitingServerError = false
  /**
   * @internal The project failed by its jobs: `sogni.projects`' `"project"` `error` is the server's
   * project-level error (now if it already came, else when it comes), as the official client emits it.
   */
  _awaitServerError(): void {
    if (this.serverError !== undefined) this._context.emitProject({ type: "error", projectId: this.id, error: this.serverError })
    else this.awaitingServerError = true
  }
  /** Latest ETA over the project's jobs. */
  get eta(): Date | undefined {
    const etas = this.jobList.flatMap((j) => (j.eta === undefined ? [] : [j.eta.getTime()]))
    return etas.length === 0 ? undefined : new Date(Math.max(...etas))
  }
  /** The jobs known so far (added as workers pick them up). */
  get jobs(): ReadonlyArray<Job> {
    return this.jobList
  }
  /** Result URLs of the completed jobs, by job index. */
  get resultUrls(): ReadonlyArray<string> {
    return [...this.jobList]
      .filter((j) => j.status === "completed" && typeof j.resultUrl === "string")
      .sort((a, b) => (a.jobIndex ?? 0) - (b.jobIndex ?? 0))
      .map((j) => j.resultUrl as string)
  }

  /** Finds a job by id. */
  job(id: string): Job | undefined {
    return this.jobList.find((j) => j.id === id)
  }

  /**
   * Waits for the end: the result URLs, or a `ProjectError` (`Failed` with the network's `code`, or
   * `Canceled`). Aborting `signal` cancels the project.
   */
  waitForCompletion(options?: CallOptions): Promise<ReadonlyArray<string>> {
    // with a signal, `internal/projectEvents.ts` waits (loaded for it)
    const signal = options?.signal
    if (signal !== undefined) return loadMore().then((m) => m.waitOrAbort(this, signal))
    return new Promise((resolve, reject) => {
      this._onOutcome((o) => (o._tag === "Done" ? resolve(o.urls) : reject(o.error)))
    })
  }

  /**
   * @internal Calls `waiter` with the project's outcome: at once when it has one, else when it is
   * settled. Returns a function that removes a waiter still waiting.
   */
  _onOutcome(waiter: (o: Outcome) => void): () => void {
    if (this.outcome !== undefined) {
      waiter(this.outcome)
      return noop
    }
    const waiters = (this.waiters ??= new Set())
    waiters.add(waiter)
    return () => {
      waiters.delete(waiter)
    }
  }

  /** A snapshot of the project's data. */
  toJSON() {
    return {
      id: this.id,
      type: this.type,
      status: this.status,
      progress: this.progress,
      queuePosition: this.queuePosition,
      startedAt: this.startedAt,
      error: this.error,
      jobs: this.jobList.map((j) => j.toJSON())
    }
  }

  // -------------------------------------------------------------------------------------------

  /** Mirrors the state into the jobs already known (a job appears when an event first names it). */
  private syncJobs(state: ProjectState.ProjectState): void {
    this._state = state
    const jobs = state.jobs
    for (let i = 0; i < jobs.length && i < this.jobList.length; i++) this.jobList[i]!._sync(jobs[i]!)
  }

  /**
   * @internal The job an event names, added (with the jobs before it in the project) when it is new: as
   * in the official client, a job is "started" for its project when the first frame names it.
   */
  _ensureJob(imgID: string, jobIndex: number | undefined): Job | undefined {
    const state = this._state
    if (state === undefined) return undefined
    const jobs = state.jobs
    // the job already mirrored under this id (every frame after a job's first): no search of the state
    const n = this.jobList.length
    for (let k = 0; k < n; k++) if (jobs[k]?.imgID === imgID) return this.jobList[k]
    let i = -1
    for (let k = n; k < jobs.length; k++) {
      if (jobs[k]!.imgID === imgID) {
        i = k
        break
      }
    }
    if (i < 0 && jobIndex !== undefined) i = jobs.findIndex((j) => j.jobIndex === jobIndex)
    if (i < 0) return this._jobOf(imgID, jobIndex)
    while (this.jobList.length <= i) {
      const job = new Job(state.jobs[this.jobList.length]!, this)
      this.jobList.push(job)
      this.emit("jobStarted", job)
    }
    return this.jobList[i]
  }

  /** @internal Emits the project's progress when it went up (before the event that moved it, as the official client). */
  _reportProgress(percent: number = this._state?.percent ?? 0): void {
    if (percent > this.lastProgress) {
      this.lastProgress = percent
      this.emit("progress", percent)
    }
  }

  /** @internal Jobs whose end was reported (`jobCompleted` / `jobFailed`). */
  _reportedEnds = 0

  /** Settles a finished project once every job's end was reported. */
  private settleWhenReported(state: ProjectState.ProjectState): void {
    const ends = state.jobs.filter((j) => j.status === "completed" || j.status === "failed").length
    if (state.status === "completed" && this._reportedEnds >= ends) this._settleFrom(state)
  }

  /** @internal A job already mirrored, by id or else by index. */
  _jobOf(imgID: string, jobIndex?: number | undefined): Job | undefined {
    return this.jobList.find((j) => j.id === imgID) ??
      (jobIndex === undefined ? undefined : this.jobList.find((j) => j.jobIndex === jobIndex))
  }

  /**
   * Runs `f` with `internal/projectEvents.ts`: at once when it is loaded and nothing waits, else after
   * what waits, once it is loaded. A failed load settles the project with an `UnexpectedError` (its
   * events cannot be followed) and drops what waited.
   */
  private withMore(f: (m: More) => void): void {
    if (this.held === undefined && more !== undefined) return f(more)
    if (this.held === undefined) {
      const held: Array<(m: More) => void> = (this.held = [])
      loadMore().then((m) => {
        this.held = undefined
        for (const g of held) g(m)
      }, (error: unknown) => {
        this.held = undefined
        void loadFailure(error).then((e) => this._settle({ _tag: "Error", error: e }))
      })
    }
    this.held!.push(f)
  }

  private apply(event: ProjectState.ProjectEvent, state: ProjectState.ProjectState): void {
    // the rest of the mirroring's events, the `"job"` payloads, and whatever follows an event that waits
    if (this.held !== undefined || !plainEvents.has(event._tag) || this._context.wantsJob()) {
      return this.withMore((m) => m.apply(this, event, state))
    }
    this._applyPlain(event, state)
  }

  /**
   * @internal Applies an event of {@link plainEvents}: state, jobs, the project's and jobs' own events;
   * with a `"job"` listener on `sogni.projects`, `internal/projectEvents.ts` (then loaded) adds their
   * payloads there.
   */
  _applyPlain(event: ProjectState.ProjectEvent, state: ProjectState.ProjectState): Job | undefined {
    this.syncJobs(state)
    switch (event._tag) {
      case "Queued": {
        // built field by field, not as a spread copy given one more field: V8 makes such an object a new
        // hidden class every time (no transition is kept from the copy's), in the old generation
        const estimatedStartAt = event.estimatedStartSeconds !== undefined
          ? secondsFromNow(event.estimatedStartSeconds)
          : undefined
        const queueStatus = event.queueStatus === "waiting" || event.queueStatus === "no-workers"
          ? event.queueStatus
          : undefined
        this.queueInfo = estimatedStartAt !== undefined
          ? queueStatus !== undefined ? { estimatedStartAt, queueStatus } : { estimatedStartAt }
          : queueStatus !== undefined
          ? { queueStatus }
          : {}
        this._reportProgress()
        this.emit("updated", ["queuePosition", "status"])
        this._context.emitProject({
          type: "queued",
          projectId: this.id,
          queuePosition: event.position ?? 0,
          ...(event.estimatedStartSeconds !== undefined ? { estimatedStartSeconds: event.estimatedStartSeconds } : {}),
          ...(queueStatus !== undefined ? { queueStatus } : {})
        })
        return undefined
      }
      case "JobInitiating":
      case "JobStarted": {
        // a worker took the project: the queue wait is over
        this.queueInfo = {}
        const job = this._ensureJob(event.imgID, event.jobIndex)
        if (job !== undefined && job.listenerCount("updated") > 0) job.emit("updated", ["status", "workerName"])
        if (this.listenerCount("updated") > 0) this.emit("updated", ["jobs"])
        return job
      }
      case "JobCompleted": {
        const r = event.result
        const job = this._ensureJob(r.imgID, r.jobIndex)
        this._reportedEnds++
        if (job !== undefined) {
          if (job.listenerCount("updated") > 0) job.emit("updated", ["status", "resultUrl"])
          if (r.url !== undefined) job.emit("completed", r.url)
          this.emit("jobCompleted", job)
        }
        // the last result completes the project before its "job" event, as in the official client
        this.settleWhenReported(state)
        return job
      }
      case "Completed":
        this._settleFrom(state)
        this._context.emitProject({ type: "completed", projectId: this.id })
        return undefined
      case "Progress":
        // the percent the event carries: the state handed with an event is the reducer's, updated in
        // place by the frames that followed it while this project's events waited (for the events
        // module), so it can be ahead of this event
        this._reportProgress(event.percent)
        return undefined
      default:
        return undefined
    }
  }

  /** @internal Settles the project from a terminal state (failed and canceled: `internal/projectEvents.ts`, loaded). */
  _settleFrom(state: ProjectState.ProjectState): void {
    this.syncJobs(state)
    if (this.outcome !== undefined) return
    state.jobs.forEach((j) => this._ensureJob(j.imgID, j.jobIndex))
    if (state.status === "completed") {
      if (this.lastProgress < 100) {
        this.lastProgress = 100
        this.emit("progress", 100)
      }
      const urls = this.resultUrls
      this._settle({ _tag: "Done", urls })
      this.emit("completed", urls)
    } else more!.settleEnded(this, state)
  }

  /** @internal Whether the project has its outcome. */
  get _settled(): boolean {
    return this.outcome !== undefined
  }

  /** @internal */
  _settle(outcome: Outcome): void {
    if (this.outcome !== undefined) return
    this.outcome = outcome
    const waiters = this.waiters
    this.waiters = undefined
    if (waiters !== undefined) for (const w of waiters) w(outcome)
    this._context.onSettled(this)
  }
}

/**
 * The members of {@link Project} whose code is `internal/projectEvents.ts` (loaded with the first).
 *
 * @since 0.1.0
 */
export interface ProjectCalls {
  /** Cancels every job; resolves once the server confirmed. */
  cancel(options?: CallOptions): Promise<void>
}

export interface Project extends ProjectCalls {}

forwardCalls(Project, ["cancel"], function() {
  return loadMore().then((m) => m.projectCalls)
})
