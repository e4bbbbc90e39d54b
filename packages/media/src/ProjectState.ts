/**
 * The lifecycle of a media project as a pure state machine (media.md §4–§6, §8, §15).
 *
 * `transition(state, input)` returns the next state, the {@link ProjectEvent}s a caller sees and the
 * {@link Command}s the effectful shell must run (mint a result URL, mint a preview URL, resubmit the
 * request once after a restart refusal). Nothing here touches a socket or a clock: time arrives as
 * `now` on every input, so the machine is tested with plain values and property tests.
 *
 * Guarantees (property-tested):
 * - terminal states (`completed`, `failed`, `canceled`) absorb every later input;
 * - reported progress is finite, within 0–100 and never goes down (per job across retries too);
 * - an ETA is a number of seconds from 0 to {@link maxEtaSeconds}: a `jobETA` with any other is ignored, and a
 *   `jobProgress` (or a `queued` state's `estimatedStartSeconds`) keeps its other fields but not such a value;
 * - absurd numbers from a server never reach an event: each numeric field of a frame has a rule
 *   ({@link frameRules}); a frame whose `jobIndex`, `step`, `stepCount`, `progress` or retry `attempt` breaks
 *   its rule is skipped whole, a field that only informs (an ETA, a queue position, a result's index or step
 *   count, a seed) is ignored and the frame kept; either way the machine asks its shell to log it (a
 *   `Malformed` command naming the frame, the field and the rule). A `step` above the job's known
 *   `stepCount` is clamped to it;
 * - a worker retry or a silent reassignment keeps the same logical job (matched by `jobIndex`); once
 *   every worker slot has a job, a frame for an unknown `imgID` is a new attempt of one of them (its
 *   `jobRetry` was lost), never an extra job;
 * - a project completes only when the server said so and at least `numberOfMedia` jobs finished and
 *   every result URL is known; or when a local failure (the project lost or timed out) finds every job
 *   already ended, one with a result: only the server's end marker was missing, and the results stand.
 *
 * @since 0.1.0
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniError from "@effect-sogni/core/SogniError"
import * as Data from "effect/Data"

// ---------------------------------------------------------------------------------------------
// Errors and results
// ---------------------------------------------------------------------------------------------

/**
 * A failure reported by the network, normalized as the official client does: numeric codes kept,
 * known string tags mapped to 5001–5005, any other string to 5000 with `originalCode`; 0 for local
 * failures (timeouts, lost projects).
 *
 * @since 0.1.0
 */
export interface ErrorData {
  readonly code: number
  readonly message: string
  readonly originalCode?: string | undefined
  /**
   * The SDK's error behind a local failure (code 0), when one ended the project: the send's error (a
   * refused credential's `SogniAuthenticationError`, say). A refused credential is the project's outcome
   * (`Projects.run`, `Project.await`), as it is every other waiter's.
   */
  readonly cause?: SogniError.SogniError | undefined
}

const stringCodes: Record<string, number> = {
  serverRestarting: 5001,
  workerDisconnected: 5002,
  jobTimedOut: 5003,
  artistCanceled: 5004,
  workerCancelled: 5005
}

/**
 * Maps a wire `error` + `error_message` to {@link ErrorData} (media.md §15).
 *
 * @since 0.1.0
 */
export function errorData(error: number | string | undefined, message: string | undefined): ErrorData {
  const text = message ?? (error === undefined ? "unknown error" : String(error))
  if (typeof error === "number") return { code: error, message: text }
  if (error === undefined) return { code: 5000, message: text }
  if (/^-?\d+$/.test(error.trim())) return { code: Number(error), message: text }
  if (error === "sensitiveContent") return { code: 5000, message: "Sensitive content detected.", originalCode: error }
  return { code: stringCodes[error] ?? 5000, message: text, originalCode: error }
}

/**
 * One finished output.
 *
 * @since 0.1.0
 */
export interface JobResult {
  readonly jobIndex: number
  readonly imgID: string
  /**
   * Download URL: hosted by a vendor, or signed by the REST host (short-lived). None when withheld, or when
   * the REST host failed to mint it as the result arrived (`Results.url` mints it again).
   */
  readonly url: string | undefined
  /** When a signed URL stops working, if known. */
  readonly urlExpiresAt: number | undefined
  readonly seed: number | undefined
  readonly outputFormat: string | undefined
  /** The safety filter withheld the media. */
  readonly nsfwWithheld: boolean
  /** A safety signal fired but the media was delivered (filter off). */
  readonly nsfwDetected: boolean
  readonly workerName: string | undefined
  /**
   * The project the result belongs to: with {@link JobResult.kind} what `Results.url` needs to mint the
   * URL again (the mint failed as the result arrived, or the signed URL expired). Set on every result the
   * machine builds; a result made by hand without it can only use its `url`.
   */
  readonly projectId?: string | undefined
  /** The project's media kind: an image is minted by `/v1/image/downloadUrl`, other media by `/v1/media/downloadUrl`. */
  readonly kind?: MediaKind | undefined
}

/**
 * The media kind of a project (also `Projects.MediaKind`).
 *
 * @since 0.1.0
 */
export type MediaKind = "image" | "video" | "audio" | "model"

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export type JobStatus = "pending" | "initiating" | "processing" | "completed" | "failed" | "canceled"

/** @since 0.1.0 */
export type ProjectStatus = "pending" | "queued" | "processing" | "completed" | "failed" | "canceled"

/**
 * One logical job (one output slot). Its `imgID` changes when a render moves to another worker.
 *
 * @since 0.1.0
 */
export interface Job {
  readonly jobIndex: number | undefined
  readonly imgID: string
  readonly status: JobStatus
  readonly attempt: number
  readonly step: number
  readonly stepCount: number
  /** Reported progress 0–100: the running maximum over the job's life. */
  readonly percent: number
  readonly workerName: string | undefined
  readonly etaSeconds: number | undefined
  /** When the first ETA of the current attempt arrived (ms), for ETA-based progress. */
  readonly etaStartedAt: number | undefined
  /** Absolute ETA (ms epoch). */
  readonly etaAt: number | undefined
  /** Waiting for a worker after a retry or reassignment. */
  readonly awaitingReassignment: boolean
  readonly result: JobResult | undefined
  /** A result URL is being minted. */
  readonly minting: boolean
  readonly error: ErrorData | undefined
  /** When a frame last named this job (ms): the job that stopped hearing is the one a retry replaced. */
  readonly lastFrameAt: number
}

/**
 * @since 0.1.0
 */
export interface ProjectState {
  readonly id: string
  readonly numberOfMedia: number
  readonly stepsHint: number
  readonly disableSafety: boolean
  /** The media kind (`image` unless `initial` was told otherwise): results carry it for minting. */
  readonly kind: MediaKind
  readonly status: ProjectStatus
  readonly jobs: ReadonlyArray<Job>
  readonly queuePosition: number | undefined
  /** The server's `jobCompleted` marker arrived. */
  readonly serverCompleted: boolean
  /** Any `jobState` arrived (the request was admitted). */
  readonly admitted: boolean
  /** The request was already resubmitted once after a restart refusal. */
  readonly resubmitted: boolean
  /** An "already exists" refusal was already answered with a lookup. */
  readonly existenceChecked: boolean
  /** Reported project progress 0–100 (running maximum). */
  readonly percent: number
  readonly error: ErrorData | undefined
}

/**
 * A fresh project as `create` leaves it.
 *
 * @since 0.1.0
 */
export function initial(options: {
  readonly id: string
  readonly numberOfMedia: number
  readonly steps?: number | undefined
  readonly disableSafety?: boolean | undefined
  readonly kind?: MediaKind | undefined
}): ProjectState {
  return {
    id: options.id,
    numberOfMedia: Math.max(1, Math.floor(options.numberOfMedia)),
    stepsHint: options.steps ?? 0,
    disableSafety: options.disableSafety ?? false,
    kind: options.kind ?? "image",
    status: "pending",
    jobs: [],
    queuePosition: undefined,
    serverCompleted: false,
    admitted: false,
    resubmitted: false,
    existenceChecked: false,
    percent: 0,
    error: undefined
  }
}

/** @since 0.1.0 */
export function isTerminal(status: ProjectStatus | JobStatus): boolean {
  return status === "completed" || status === "failed" || status === "canceled"
}

// ---------------------------------------------------------------------------------------------
// Inputs, events, commands
// ---------------------------------------------------------------------------------------------

/**
 * What drives the machine: the project's server events, local requests and the shell's answers.
 *
 * @since 0.1.0
 */
export type Input =
  | { readonly _tag: "Server"; readonly event: Protocol.ServerEvent; readonly now: number }
  | { readonly _tag: "UrlMinted"; readonly imgID: string; readonly url: string | undefined; readonly expiresAt: number | undefined; readonly now: number }
  | { readonly _tag: "PreviewMinted"; readonly imgID: string; readonly url: string; readonly now: number }
  | { readonly _tag: "Tick"; readonly now: number }
  | { readonly _tag: "LocalFailure"; readonly error: ErrorData; readonly now: number }
  | { readonly _tag: "Recovered"; readonly project: Protocol.RecoveredProject; readonly active: boolean; readonly now: number }

/**
 * What a caller of `events` sees.
 *
 * @since 0.1.0
 */
export type ProjectEvent = Data.TaggedEnum<{
  Queued: {
    readonly projectId: string
    readonly position: number | undefined
    readonly estimatedStartSeconds: number | undefined
    /** `waiting`, or `no-workers` when nothing connected can run the model (as the server said). */
    readonly queueStatus?: string | undefined
  }
  JobInitiating: {
    readonly projectId: string
    readonly jobIndex: number | undefined
    readonly imgID: string
    readonly workerName: string | undefined
    /** What the worker is preparing (model download, …), as the server said. */
    readonly preparation?: Extract<Protocol.JobState, { readonly type: "initiatingModel" }>["preparation"] | undefined
  }
  JobStarted: { readonly projectId: string; readonly jobIndex: number | undefined; readonly imgID: string; readonly workerName: string | undefined }
  JobProgress: {
    readonly projectId: string
    readonly jobIndex: number | undefined
    readonly imgID: string
    readonly step: number
    readonly stepCount: number
    readonly percent: number
    readonly etaSeconds: number | undefined
    /** The worker's ETA interval in seconds, when the frame carried one. */
    readonly etaMin?: number | undefined
    readonly etaMax?: number | undefined
    /** The progress moved because of a `jobETA` frame (time-based progress), not a step. */
    readonly fromEta?: boolean | undefined
  }
  /** The worker sent a new time-remaining estimate (`jobETA`), after any progress it moved. */
  JobEta: { readonly projectId: string; readonly jobIndex: number | undefined; readonly imgID: string; readonly etaSeconds: number }
  Preview: { readonly projectId: string; readonly jobIndex: number | undefined; readonly imgID: string; readonly url: string }
  JobRetrying: {
    readonly projectId: string
    readonly jobIndex: number | undefined
    readonly imgID: string
    readonly attempt: number
    readonly maxAttempts: number | undefined
    readonly reason: ErrorData
  }
  JobCompleted: { readonly projectId: string; readonly result: JobResult }
  JobFailed: { readonly projectId: string; readonly jobIndex: number | undefined; readonly imgID: string; readonly error: ErrorData }
  Progress: { readonly projectId: string; readonly percent: number }
  CancelRejected: { readonly projectId: string; readonly message: string }
  Completed: { readonly projectId: string; readonly results: ReadonlyArray<JobResult>; readonly failed: number }
  Failed: { readonly projectId: string; readonly error: ErrorData }
  Canceled: { readonly projectId: string }
}>

/** @since 0.1.0 */
export const ProjectEvent = Data.taggedEnum<ProjectEvent>()

/**
 * The constructors, read once: each property read of the `taggedEnum` proxy builds a new constructor
 * function, which the reducer would otherwise pay for on every event.
 */
const Ev = {
  Queued: ProjectEvent.Queued,
  JobInitiating: ProjectEvent.JobInitiating,
  JobStarted: ProjectEvent.JobStarted,
  JobProgress: ProjectEvent.JobProgress,
  JobEta: ProjectEvent.JobEta,
  Preview: ProjectEvent.Preview,
  JobRetrying: ProjectEvent.JobRetrying,
  JobCompleted: ProjectEvent.JobCompleted,
  JobFailed: ProjectEvent.JobFailed,
  Progress: ProjectEvent.Progress,
  CancelRejected: ProjectEvent.CancelRejected,
  Completed: ProjectEvent.Completed,
  Failed: ProjectEvent.Failed,
  Canceled: ProjectEvent.Canceled,
} as const

/**
 * Work the shell must do on the machine's behalf.
 *
 * @since 0.1.0
 */
export type Command =
  | { readonly _tag: "MintUrl"; readonly imgID: string }
  | { readonly _tag: "MintPreview"; readonly imgID: string }
  | { readonly _tag: "Resubmit" }
  /** The server says the project already exists: look it up (REST) and fail with `error` only if it is unknown. */
  | { readonly _tag: "LookUp"; readonly error: ErrorData }
  /**
   * A field of a server frame broke its rule ({@link frameRules}): log it. `skipped`: the whole frame was
   * skipped; otherwise only the field was ignored and the rest of the frame applied.
   */
  | {
    readonly _tag: "Malformed"
    /** The frame's type (`jobProgress`, `jobState`, …). */
    readonly frame: string
    readonly field: string
    /** The rule the value broke, in words. */
    readonly rule: string
    readonly value: number | string
    readonly skipped: boolean
  }

/** @since 0.1.0 */
export interface Step {
  readonly state: ProjectState
  readonly events: ReadonlyArray<ProjectEvent>
  readonly commands: ReadonlyArray<Command>
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * The longest time-remaining estimate (seconds) taken from a server: a year. Anything longer (1e308, say)
 * is no estimate, and would not even make a date.
 *
 * @since 0.2.0
 */
export const maxEtaSeconds = 366 * 24 * 3600

/**
 * The rule of each numeric field of a server frame, in words (the `rule` of a `Malformed` command). What
 * breaks one and what happens then (the official client passes every one of these through unchanged, except
 * that it clamps `progress` to 0–100 and keeps only finite seeds and non-negative queue estimates):
 *
 * - `jobIndex` (`jobState` `initiatingModel`/`jobStarted`, `jobRetry`): {@link frameRules.count}, else the
 *   frame is skipped: a job's slot decides which job a frame moves, so a frame naming no real slot moves none.
 *   On a `jobResult` a bad `jobIndex` is ignored instead (the result is matched by its `imgID`): skipping it
 *   would lose finished work.
 * - `jobProgress` `step`: {@link frameRules.step}; `stepCount`: {@link frameRules.count} (0: not known yet, the
 *   previous count stays); `progress`: {@link frameRules.percent}. Any of them broken, the frame is skipped (the
 *   next progress frame supersedes it). A valid `step` above the job's known `stepCount` is clamped to it, and
 *   `step` never goes down.
 * - ETAs (`jobProgress` `etaSeconds`, `etaMin`, `etaMax`; `queued` `estimatedStartSeconds`):
 *   {@link frameRules.eta}, else the field is ignored; `etaMin` above `etaMax`: both are ignored
 *   ({@link frameRules.etaRange}). A `jobETA` is nothing but its `etaSeconds`: broken, the frame is skipped.
 * - `queued` `queuePosition`, `jobResult` `performedStepCount`: {@link frameRules.count}, else ignored;
 *   `jobResult` `lastSeed`: {@link frameRules.seed}, else ignored (the result has no seed).
 * - `jobRetry` `attempt`: {@link frameRules.count}, else the frame is skipped (the machine already takes a
 *   frame of a new attempt whose `jobRetry` was lost); `maxAttempts`: {@link frameRules.attempts}, else ignored.
 *
 * @since 0.2.0
 */
export const frameRules = {
  count: "a whole number from 0 to 2^53 - 1",
  step: "a number from 0 to 2^53 - 1",
  percent: "a number from 0 to 100 (0 to 1: a fraction)",
  eta: `a number of seconds from 0 to ${maxEtaSeconds}`,
  etaRange: "etaMin at most etaMax",
  seed: "digits of a whole number up to 2^53 - 1",
  attempts: "a whole number from 1 to 2^53 - 1"
} as const

/** A whole number from 0 to 2^53 - 1 ({@link frameRules}`.count`). */
function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}

/** A number from 0 to 2^53 - 1 ({@link frameRules}`.step`); NaN fails both comparisons. */
function isStep(n: number): boolean {
  return n >= 0 && n <= Number.MAX_SAFE_INTEGER
}

/** A progress percentage or fraction ({@link frameRules}`.percent`). */
function isPercent(n: number): boolean {
  return n >= 0 && n <= 100
}

/** A time-remaining estimate a server may mean ({@link frameRules}`.eta`). */
function isEtaSeconds(s: number): boolean {
  return s >= 0 && s <= maxEtaSeconds
}

/**
 * At least `numberOfMedia` jobs, all ended, one of them with a result: only the server's end marker is
 * missing. A `LocalFailure` then completes the project with its results (once the URLs still minting arrive)
 * instead of failing it.
 *
 * @since 0.2.0
 */
export function allJobsEnded(s: ProjectState): boolean {
  if (s.jobs.length < s.numberOfMedia) return false
  let completed = false
  for (const j of s.jobs) {
    if (!isTerminal(j.status)) return false
    if (j.status === "completed") completed = true
  }
  return completed
}

function clampPercent(n: number) {
  return (Number.isFinite(n) ? Math.min(100, Math.max(0, Math.round(n))) : 0)
}

/** Job progress per media.md §6 (before the running maximum). */
function rawJobPercent(job: Job, now: number, progressField: number | undefined): number {
  if (job.status === "completed") return 100
  if (progressField !== undefined && Number.isFinite(progressField)) {
    return clampPercent(progressField <= 1 && progressField >= 0 ? progressField * 100 : progressField)
  }
  if (job.stepCount > 0) return clampPercent((job.step / job.stepCount) * 100)
  if (job.etaAt !== undefined && job.etaStartedAt !== undefined && job.etaAt > job.etaStartedAt) {
    const fraction = (now - job.etaStartedAt) / (job.etaAt - job.etaStartedAt)
    return Math.min(95, Math.max(1, clampPercent(fraction * 100)))
  }
  return 0
}

function newJob(imgID: string, jobIndex: number | undefined, stepsHint: number, now: number): Job {
  return {
    jobIndex,
    imgID,
    status: "pending",
    attempt: 1,
    step: 0,
    stepCount: stepsHint,
    percent: 0,
    workerName: undefined,
    etaSeconds: undefined,
    etaStartedAt: undefined,
    etaAt: undefined,
    awaitingReassignment: false,
    result: undefined,
    minting: false,
    error: undefined,
    lastFrameAt: now
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * Accumulates one transition. Copy-on-write: the state, its job list and each touched job are copied
 * at most once per transition, then updated in place (inputs are never mutated). In `inPlace` mode (an
 * owner that holds the only reference, see {@link transitionInPlace}) nothing is copied.
 */
const noCommands: ReadonlyArray<Command> = Object.freeze([])
const noEvents: ReadonlyArray<ProjectEvent> = Object.freeze([])

class Builder {
  private draft: Mutable<ProjectState> | undefined
  private jobsCopied: boolean
  /** Jobs already copied in this transition (copy-on-write mode only: in place, none is needed). */
  private ownJobs: Set<number> | undefined
  /** The shared empty list until the first event. */
  events: ReadonlyArray<ProjectEvent> = noEvents
  /** Most transitions ask for nothing: the shared empty list until the first command. */
  commands: ReadonlyArray<Command> = noCommands
  constructor(
    private readonly original: ProjectState,
    private readonly inPlace: boolean,
    /** Nobody observes progress: `JobProgress`, `Progress` and `JobEta` events are not built. */
    readonly quiet = false
  ) {
    if (inPlace) this.draft = original as Mutable<ProjectState>
    this.jobsCopied = inPlace
  }
  get state(): ProjectState {
    return this.draft ?? this.original
  }
  private writable(): Mutable<ProjectState> {
    if (this.draft === undefined) this.draft = { ...this.original }
    return this.draft
  }
  set(patch: Partial<ProjectState>) {
    Object.assign(this.writable(), patch)
  }
  private writableJobs(): Array<Job> {
    const draft = this.writable()
    if (!this.jobsCopied) {
      draft.jobs = draft.jobs.slice()
      this.jobsCopied = true
    }
    return draft.jobs as Array<Job>
  }
  addJob(job: Job) {
    const jobs = this.writableJobs()
    if (!this.inPlace) (this.ownJobs ??= new Set()).add(jobs.length)
    jobs.push(job)
  }
  jobAt(i: number): Job {
    return this.state.jobs[i]!
  }
  /** Job `i`, writable (copied first in copy-on-write mode): updates without a patch object. */
  mutableJob(i: number): Mutable<Job> {
    const jobs = this.writableJobs()
    if (!this.inPlace) {
      const own = (this.ownJobs ??= new Set())
      if (!own.has(i)) {
        jobs[i] = { ...jobs[i]! }
        own.add(i)
      }
    }
    return jobs[i] as Mutable<Job>
  }
  setJob(i: number, patch: Partial<Job>) {
    Object.assign(this.mutableJob(i), patch)
  }
  /**
   * Finds the logical job for a frame: by `imgID`; else an unfinished job with the same `jobIndex`
   * (a reassigned render); else the single job awaiting reassignment when the frame has no index;
   * else, while a worker slot is free, a new job. Once every slot (`numberOfMedia`) has a job, the frame
   * belongs to a new attempt of one of them whose `jobRetry` was lost: the unfinished job that heard
   * nothing for longest (one awaiting reassignment first). With no unfinished job left to replace the
   * frame is stale: `undefined`, and the caller ignores it.
   */
  locate(imgID: string, jobIndex: number | undefined, now: number): number | undefined {
    const jobs = this.state.jobs
    for (let i = 0; i < jobs.length; i++) {
      if (jobs[i]!.imgID !== imgID) continue
      const job = this.mutableJob(i)
      if (jobIndex !== undefined && job.jobIndex === undefined) job.jobIndex = jobIndex
      job.lastFrameAt = now
      return i
    }
    let reclaim = -1
    if (jobIndex !== undefined) {
      reclaim = jobs.findIndex((j) => j.jobIndex === jobIndex && !isTerminal(j.status))
    } else {
      const waiting = jobs.map((j, i) => [j, i] as const).filter(([j]) => j.awaitingReassignment)
      if (waiting.length === 1) reclaim = waiting[0]![1]
    }
    if (reclaim < 0 && jobs.length >= this.state.numberOfMedia) {
      reclaim = this.replaced(jobIndex)
      if (reclaim < 0) return undefined
    }
    if (reclaim >= 0) {
      const previous = jobs[reclaim]!
      this.setJob(reclaim, {
        imgID,
        awaitingReassignment: false,
        attempt: previous.awaitingReassignment ? previous.attempt : previous.attempt + 1,
        step: 0,
        etaSeconds: undefined,
        etaStartedAt: undefined,
        etaAt: undefined,
        workerName: undefined,
        lastFrameAt: now,
        ...(jobIndex !== undefined ? { jobIndex } : {})
      })
      return reclaim
    }
    this.addJob(newJob(imgID, jobIndex, this.state.stepsHint, now))
    return this.state.jobs.length - 1
  }
  /**
   * The job a new attempt replaces when every slot is taken: an unfinished job whose index does not
   * contradict the frame's, awaiting reassignment first, then the one silent for longest; -1 if none.
   */
  private replaced(jobIndex: number | undefined): number {
    const jobs = this.state.jobs
    let best = -1
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!
      if (isTerminal(j.status)) continue
      if (jobIndex !== undefined && j.jobIndex !== undefined && j.jobIndex !== jobIndex) continue
      if (best < 0) {
        best = i
        continue
      }
      const b = jobs[best]!
      if (j.awaitingReassignment !== b.awaitingReassignment) {
        if (j.awaitingReassignment) best = i
      } else if (j.lastFrameAt < b.lastFrameAt) best = i
    }
    return best
  }
  /** A field broke its rule: the shell logs it (built only then: a frame that keeps the rules allocates nothing). */
  malformed(frame: string, field: string, rule: string, value: number | string, skipped: boolean) {
    this.command({ _tag: "Malformed", frame, field, rule, value, skipped })
  }
  /** An informing field that must be an ETA: answered when it is one, else reported as ignored (`undefined`). */
  eta(frame: string, field: string, value: number | null | undefined): number | undefined {
    if (value == null || isEtaSeconds(value)) return value ?? undefined
    this.malformed(frame, field, frameRules.eta, value, false)
  }
  /** An informing field that must be a count: answered when it is one, else reported as ignored (`undefined`). */
  count(frame: string, field: string, value: number | undefined): number | undefined {
    if (value === undefined || isCount(value)) return value
    this.malformed(frame, field, frameRules.count, value, false)
  }
  emit(event: ProjectEvent) {
    if (this.events === noEvents) this.events = [event]
    else (this.events as Array<ProjectEvent>).push(event)
  }
  command(command: Command) {
    if (this.commands === noCommands) this.commands = [command]
    else (this.commands as Array<Command>).push(command)
  }
  /** Recomputes one job's reported percent (monotonic) and the project's; emits what changed. */
  progress(
    i: number,
    now: number,
    progressField?: number,
    force = false,
    etaMin?: number,
    etaMax?: number,
    fromEta = false
  ) {
    const job = this.jobAt(i)
    const percent = Math.max(job.percent, rawJobPercent(job, now, progressField))
    if (percent !== job.percent || force) {
      const j = this.mutableJob(i)
      j.percent = percent
      if (j.status !== "completed" && !this.quiet) {
        // written out in full either way (no spread copy plus a field: see `applyServer`'s job events)
        this.emit(Ev.JobProgress(
          fromEta
            ? {
              projectId: this.state.id,
              jobIndex: j.jobIndex,
              imgID: j.imgID,
              step: j.step,
              stepCount: j.stepCount,
              percent: j.percent,
              etaSeconds: j.etaSeconds,
              etaMin,
              etaMax,
              fromEta
            }
            : {
              projectId: this.state.id,
              jobIndex: j.jobIndex,
              imgID: j.imgID,
              step: j.step,
              stepCount: j.stepCount,
              percent: j.percent,
              etaSeconds: j.etaSeconds,
              etaMin,
              etaMax
            }
        ))
      }
    }
    this.projectProgress()
  }
  projectProgress() {
    const jobs = this.state.jobs
    let sum = 0
    for (let i = 0; i < jobs.length; i++) sum += jobs[i]!.percent
    const percent = Math.max(this.state.percent, clampPercent(sum / Math.max(1, this.state.numberOfMedia)))
    if (percent !== this.state.percent) {
      this.writable().percent = percent
      if (!this.quiet) this.emit(Ev.Progress({ projectId: this.state.id, percent }))
    }
  }
  fail(error: ErrorData) {
    this.set({ status: "failed", error })
    this.emit(Ev.Failed({ projectId: this.state.id, error }))
  }
  /** Completion rule of media.md §4.1/§4.2. */
  maybeFinish() {
    const s = this.state
    if (isTerminal(s.status)) return
    // one pass over the jobs, no arrays: this runs for most frames and every minted URL of a project
    const jobs = s.jobs
    let finished = 0
    let failed = 0
    let lastFailed: Job | undefined
    let open = false
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!
      if (!isTerminal(j.status)) {
        open = true
        continue
      }
      finished++
      if (j.minting) open = true
      if (j.status === "failed") {
        failed++
        lastFailed = j
      }
    }
    // every job failed (or the only one did): the project fails at once
    if (failed > 0 && failed >= s.numberOfMedia && failed === jobs.length) {
      return this.fail(lastFailed!.error ?? { code: 5000, message: "all jobs failed" })
    }
    if (!s.serverCompleted || finished < s.numberOfMedia) return
    if (open) return
    const results = resultsOf(jobs)
    if (results.length === 0 && failed > 0) {
      return this.fail(lastFailed!.error ?? { code: 5000, message: "all jobs failed" })
    }
    if (s.percent !== 100) {
      this.set({ percent: 100 })
      if (!this.quiet) this.emit(Ev.Progress({ projectId: s.id, percent: 100 }))
    }
    this.set({ status: "completed" })
    this.emit(Ev.Completed({ projectId: s.id, results, failed }))
  }
}

/**
 * The results of the completed jobs, by `jobIndex`: one array, sorted in place by insertion (a project
 * has a handful of jobs; `Array.prototype.sort` allocated about a kilobyte of sort state per call, at
 * every project's end).
 *
 * @internal
 */
export function resultsOf(jobs: ReadonlyArray<Job>): Array<JobResult> {
  const results: Array<JobResult> = []
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!
    if (j.status !== "completed" || j.result === undefined) continue
    const r = j.result
    // stable: a result goes after those with the same index, as the sort it replaces kept them
    let at = results.length
    results.push(r)
    while (at > 0 && results[at - 1]!.jobIndex > r.jobIndex) {
      results[at] = results[at - 1]!
      at--
    }
    results[at] = r
  }
  return results
}

// ---------------------------------------------------------------------------------------------
// Transition
// ---------------------------------------------------------------------------------------------

function withheld(r: Protocol.JobResult, disableSafety: boolean) {
  return !disableSafety && r.triggeredNSFWFilter === true && r.nsfwDetected !== true
}

function applyServer(b: Builder, event: Protocol.ServerEvent, now: number): void {
  const s = b.state
  switch (event.type) {
    case "jobState": {
      const p = event.payload
      // a job's slot decides which job the frame moves: one naming no real slot is skipped, changing nothing
      if ((p.type === "initiatingModel" || p.type === "jobStarted") && p.jobIndex !== undefined && !isCount(p.jobIndex)) {
        return b.malformed("jobState", "jobIndex", frameRules.count, p.jobIndex, true)
      }
      b.set({ admitted: true })
      switch (p.type) {
        case "queued": {
          const position = b.count("jobState", "queuePosition", p.queuePosition)
          // as an ETA: a negative or endless estimate says nothing
          const start = b.eta("jobState", "estimatedStartSeconds", p.estimatedStartSeconds)
          const changed = s.status !== "queued" || s.queuePosition !== position
          b.set({ status: "queued", queuePosition: position })
          if (changed) {
            b.emit(Ev.Queued({
              projectId: s.id,
              position,
              estimatedStartSeconds: start,
              queueStatus: p.queueStatus
            }))
          }
          return
        }
        case "initiatingModel":
        case "jobStarted": {
          if (p.imgID === undefined) return
          const i = b.locate(p.imgID, p.jobIndex, now)
          if (i === undefined) return
          const job = b.jobAt(i)
          if (isTerminal(job.status)) return
          const status: JobStatus = p.type === "initiatingModel" ? "initiating" : "processing"
          b.setJob(i, { status, workerName: p.workerName ?? job.workerName, awaitingReassignment: false })
          const j = b.jobAt(i)
          // each event's fields written out: a spread copy given one more field takes a hidden class V8
          // makes anew every time (no transition is kept from the copy's), and allocates in the old
          // generation: a dead map per job until the next mark-compact
          b.emit(
            p.type === "initiatingModel"
              ? Ev.JobInitiating({
                projectId: s.id,
                jobIndex: j.jobIndex,
                imgID: j.imgID,
                workerName: j.workerName,
                preparation: p.preparation
              })
              : Ev.JobStarted({ projectId: s.id, jobIndex: j.jobIndex, imgID: j.imgID, workerName: j.workerName })
          )
          return
        }
        case "jobCompleted": {
          b.set({ serverCompleted: true })
          return b.maybeFinish()
        }
        default:
          return
      }
    }
    case "jobProgress": {
      const p = event.payload
      if (p.imgID === undefined) return
      // the fields that move the job: broken, the frame is skipped (the next one supersedes it)
      if (p.step !== undefined && !isStep(p.step)) return b.malformed("jobProgress", "step", frameRules.step, p.step, true)
      if (p.stepCount !== undefined && !isCount(p.stepCount)) {
        return b.malformed("jobProgress", "stepCount", frameRules.count, p.stepCount, true)
      }
      if (p.progress !== undefined && !isPercent(p.progress)) {
        return b.malformed("jobProgress", "progress", frameRules.percent, p.progress, true)
      }
      const i = b.locate(p.imgID, undefined, now)
      if (i === undefined) return
      if (isTerminal(b.jobAt(i).status)) return
      const job = b.mutableJob(i)
      job.status = "processing"
      job.awaitingReassignment = false
      if (p.stepCount !== undefined && p.stepCount > 0) job.stepCount = p.stepCount
      // the running maximum, clamped to the known step count
      const stepped = Math.max(job.step, p.step ?? 0)
      job.step = job.stepCount > 0 && stepped > job.stepCount ? job.stepCount : stepped
      // the estimates only inform: a broken one is ignored, the frame kept
      const eta = b.eta("jobProgress", "etaSeconds", p.etaSeconds)
      if (eta !== undefined) job.etaSeconds = eta
      let etaMin = b.eta("jobProgress", "etaMin", p.etaMin)
      let etaMax = b.eta("jobProgress", "etaMax", p.etaMax)
      if (etaMin !== undefined && etaMax !== undefined && etaMin > etaMax) {
        b.malformed("jobProgress", "etaMin", frameRules.etaRange, etaMin, false)
        etaMin = undefined
        etaMax = undefined
      }
      if (s.status === "pending" || s.status === "queued") b.set({ status: "processing" })
      b.progress(i, now, p.progress, true, etaMin, etaMax)
      if (p.hasImage === true) b.command({ _tag: "MintPreview", imgID: b.jobAt(i).imgID })
      return
    }
    case "jobETA": {
      const p = event.payload
      // an ETA that is negative or too large to be a date says nothing: the frame is skipped
      if (p.imgID === undefined) return
      if (!isEtaSeconds(p.etaSeconds)) return b.malformed("jobETA", "etaSeconds", frameRules.eta, p.etaSeconds, true)
      const i = b.locate(p.imgID, undefined, now)
      if (i === undefined) return
      const job = b.jobAt(i)
      if (isTerminal(job.status)) return
      b.setJob(i, {
        etaSeconds: p.etaSeconds,
        etaAt: now + p.etaSeconds * 1000,
        etaStartedAt: job.etaStartedAt ?? now
      })
      b.progress(i, now, undefined, false, undefined, undefined, true)
      if (b.quiet) return
      const j = b.jobAt(i)
      b.emit(Ev.JobEta({ projectId: s.id, jobIndex: j.jobIndex, imgID: j.imgID, etaSeconds: p.etaSeconds }))
      return
    }
    case "jobResult": {
      const p = event.payload
      // recovery replays carry the slot; live frames may too. A broken one is ignored, the result kept
      const i = b.locate(p.imgID, b.count("jobResult", "jobIndex", typeof p.jobIndex === "number" ? p.jobIndex : undefined), now)
      if (i === undefined) return
      const job = b.jobAt(i)
      if (isTerminal(job.status)) return
      if (p.userCanceled === true) {
        b.setJob(i, { status: "canceled" })
        return b.maybeFinish()
      }
      const hosted = p.resultUrl ?? p.videoUrl ?? p.videoFile ?? undefined
      const isWithheld = withheld(p, s.disableSafety)
      let seed = p.lastSeed !== undefined && /^\d+$/.test(p.lastSeed) ? Number(p.lastSeed) : undefined
      if (seed !== undefined && !Number.isSafeInteger(seed)) {
        b.malformed("jobResult", "lastSeed", frameRules.seed, p.lastSeed!, false)
        seed = undefined
      }
      const result: JobResult = {
        jobIndex: job.jobIndex ?? i,
        imgID: job.imgID,
        url: isWithheld ? undefined : hosted,
        urlExpiresAt: undefined,
        seed,
        outputFormat: p.outputFormat,
        nsfwWithheld: isWithheld,
        nsfwDetected: p.nsfwDetected === true,
        workerName: job.workerName,
        projectId: s.id,
        kind: s.kind
      }
      const minting = !isWithheld && hosted === undefined
      const stepCount = job.stepCount
      const performed = b.count("jobResult", "performedStepCount", p.performedStepCount) ?? (stepCount > 0 ? stepCount : job.step)
      b.setJob(i, { status: "completed", result, minting, step: performed, awaitingReassignment: false })
      if (s.status === "pending" || s.status === "queued") b.set({ status: "processing" })
      b.progress(i, now)
      if (minting) b.command({ _tag: "MintUrl", imgID: job.imgID })
      else b.emit(Ev.JobCompleted({ projectId: s.id, result }))
      return b.maybeFinish()
    }
    case "jobError": {
      const p = event.payload
      const error = errorData(p.error, p.error_message)
      if (p.imgID === undefined) {
        // refused while the server restarts, before admission: resubmit once
        if (error.code === 1001 && !s.admitted && !s.resubmitted) {
          b.set({ resubmitted: true })
          b.command({ _tag: "Resubmit" })
          return
        }
        // a resend of a project the server already has (it may even have finished it): look it up
        if (!s.existenceChecked && /already exists/i.test(error.message)) {
          b.set({ existenceChecked: true })
          b.command({ _tag: "LookUp", error })
          return
        }
        for (let i = 0; i < b.state.jobs.length; i++) {
          const job = b.jobAt(i)
          if (!isTerminal(job.status)) b.setJob(i, { status: "failed", error })
        }
        return b.fail(error)
      }
      const i = b.locate(p.imgID, undefined, now)
      if (i === undefined) return
      const job = b.jobAt(i)
      if (isTerminal(job.status)) return
      b.setJob(i, { status: "failed", error, awaitingReassignment: false })
      b.emit(Ev.JobFailed({ projectId: s.id, jobIndex: job.jobIndex, imgID: job.imgID, error }))
      const jobs = b.state.jobs
      const failed = jobs.filter((j) => j.status === "failed").length
      if (s.numberOfMedia === 1 || (jobs.length >= s.numberOfMedia && failed === jobs.length)) return b.fail(error)
      return b.maybeFinish()
    }
    case "jobRetry": {
      const p = event.payload
      if (p.jobIndex !== undefined && !isCount(p.jobIndex)) return b.malformed("jobRetry", "jobIndex", frameRules.count, p.jobIndex, true)
      if (!isCount(p.attempt)) return b.malformed("jobRetry", "attempt", frameRules.count, p.attempt, true)
      let maxAttempts: number | undefined = p.maxAttempts
      if (!(isCount(maxAttempts) && maxAttempts >= 1)) {
        b.malformed("jobRetry", "maxAttempts", frameRules.attempts, maxAttempts, false)
        maxAttempts = undefined
      }
      const i = b.locate(p.imgID, p.jobIndex, now)
      if (i === undefined) return
      const job = b.jobAt(i)
      if (isTerminal(job.status)) return
      // the same notice again (a duplicated frame): that attempt's retry was already counted
      if (job.awaitingReassignment && p.attempt < job.attempt) return
      const attempt = Math.max(job.attempt, p.attempt) + 1
      b.setJob(i, {
        status: "pending",
        awaitingReassignment: true,
        attempt,
        step: 0,
        etaSeconds: undefined,
        etaStartedAt: undefined,
        etaAt: undefined,
        workerName: undefined
      })
      b.emit(Ev.JobRetrying({
        projectId: s.id,
        jobIndex: job.jobIndex ?? p.jobIndex,
        imgID: job.imgID,
        attempt,
        maxAttempts,
        reason: errorData(p.error, p.error_message)
      }))
      return
    }
    case "artistCancelConfirmation": {
      const p = event.payload
      if (!p.didCancel) {
        b.emit(Ev.CancelRejected({ projectId: s.id, message: p.error_message ?? "the server refused to cancel" }))
        return
      }
      for (let i = 0; i < b.state.jobs.length; i++) {
        if (!isTerminal(b.jobAt(i).status)) b.setJob(i, { status: "canceled", minting: false })
      }
      b.set({ status: "canceled" })
      b.emit(Ev.Canceled({ projectId: s.id }))
      return
    }
    default:
      return
  }
}

/** Replays a recovery snapshot as the official client does (socket.md §8.3). */
function recoveredEvents(project: Protocol.RecoveredProject, active: boolean): Array<Protocol.ServerEvent> {
  const id = project.id.toUpperCase()
  const out: Array<Protocol.ServerEvent> = []
  const jobs = [...(active ? (project.workerJobs ?? []) : []), ...(project.completedWorkerJobs ?? [])]
  for (const job of jobs) {
    const imgID = (job.imgID ?? job.id ?? "").toUpperCase()
    if (imgID === "") continue
    const jobIndex = typeof job.jobIndex === "number" ? job.jobIndex : undefined
    const workerName = job.worker?.username ?? job.worker?.name ?? undefined
    switch (job.status) {
      case "jobCompleted":
        out.push({
          type: "jobResult",
          payload: {
            jobID: id,
            imgID,
            ...(jobIndex !== undefined ? { jobIndex } : {}),
            ...(job.performedSteps != null ? { performedStepCount: job.performedSteps } : {}),
            ...(job.seedUsed != null ? { lastSeed: String(job.seedUsed) } : {}),
            ...(job.triggeredNSFWFilter != null ? { triggeredNSFWFilter: job.triggeredNSFWFilter } : {}),
            userCanceled: job.reason === "artistCanceled",
            ...(job.resultUrl != null ? { resultUrl: job.resultUrl } : {}),
            ...(job.outputFormat != null ? { outputFormat: job.outputFormat } : {})
          }
        })
        break
      case "jobError":
        out.push({
          type: "jobError",
          payload: { jobID: id, imgID, isFromWorker: true, error: job.reason ?? "genfailure", error_message: job.reason ?? "genfailure" }
        })
        break
      case "assigned":
      case "initiatingModel":
        out.push({
          type: "jobState",
          payload: { type: "initiatingModel", jobID: id, imgID, ...(jobIndex !== undefined ? { jobIndex } : {}), ...(workerName ? { workerName } : {}) }
        })
        break
      case "jobStarted":
      case "jobProgress":
        out.push({
          type: "jobState",
          payload: { type: "jobStarted", jobID: id, imgID, ...(jobIndex !== undefined ? { jobIndex } : {}), ...(workerName ? { workerName } : {}) }
        })
        out.push({
          type: "jobProgress",
          payload: {
            jobID: id,
            imgID,
            step: job.performedSteps ?? 0,
            ...(project.stepCount !== undefined ? { stepCount: project.stepCount } : {})
          }
        })
        break
      default:
        break
    }
  }
  switch (project.status) {
    case "completed":
      out.push({ type: "jobState", payload: { type: "jobCompleted", jobID: id } })
      break
    case "errored": {
      const reason = project.reason && project.reason !== "allJobsCompleted" ? project.reason : "genfailure"
      out.push({ type: "jobError", payload: { jobID: id, isFromWorker: false, error: reason, error_message: reason } })
      break
    }
    case "cancelled":
      out.push({ type: "artistCancelConfirmation", payload: { jobID: id, didCancel: true } })
      break
    case "queued":
    case "active":
      out.push({ type: "jobState", payload: { type: "queued", jobID: id } })
      break
    default:
      break
  }
  return out
}

/**
 * One step of the machine.
 *
 * @since 0.1.0
 */
export function transition(state: ProjectState, input: Input): Step {
  return step(state, input, false)
}

/**
 * {@link transition} for an owner that holds the only reference to `state` (a project actor): the
 * state and its jobs are updated in place instead of copied, so per-frame updates allocate almost
 * nothing. The logic is the same function; a property test checks both give equal results. With
 * `quiet` (nobody observes the project's progress) the progress events (`JobProgress`, `Progress`,
 * `JobEta`) are not built; the state is the same.
 *
 * @since 0.1.0
 */
export function transitionInPlace(state: ProjectState, input: Input, quiet = false): Step {
  return step(state, input, true, quiet)
}

/**
 * A deep-enough copy of a state for callers outside its owner (jobs and the top level are copied).
 *
 * @since 0.1.0
 */
export function snapshot(state: ProjectState): ProjectState {
  return { ...state, jobs: state.jobs.map((j) => ({ ...j })) }
}

function step(state: ProjectState, input: Input, inPlace: boolean, quiet = false): Step {
  if (isTerminal(state.status)) return { state, events: noEvents, commands: noCommands }
  const b = new Builder(state, inPlace, quiet)
  switch (input._tag) {
    case "Server": {
      // a recovered-frame replay cannot resubmit: only live refusals count
      applyServer(b, input.event, input.now)
      break
    }
    case "UrlMinted": {
      const i = b.state.jobs.findIndex((j) => j.imgID === input.imgID)
      if (i < 0) break
      const job = b.jobAt(i)
      if (!job.minting || job.result === undefined) break
      const result: JobResult = { ...job.result, url: input.url, urlExpiresAt: input.expiresAt }
      b.setJob(i, { minting: false, result })
      b.emit(Ev.JobCompleted({ projectId: b.state.id, result }))
      b.maybeFinish()
      break
    }
    case "PreviewMinted": {
      const job = b.state.jobs.find((j) => j.imgID === input.imgID)
      if (job === undefined || isTerminal(job.status)) break
      b.emit(Ev.Preview({ projectId: b.state.id, jobIndex: job.jobIndex, imgID: job.imgID, url: input.url }))
      break
    }
    case "Tick": {
      for (let i = 0; i < b.state.jobs.length; i++) {
        const job = b.jobAt(i)
        if (!isTerminal(job.status) && job.etaAt !== undefined) b.progress(i, input.now)
      }
      break
    }
    case "LocalFailure": {
      // every job already ended with a result in hand (only the server's end marker is missing, and will
      // not come: the project is lost or timed out): what was received is the outcome, not a failure
      if (allJobsEnded(b.state)) {
        b.set({ serverCompleted: true })
        b.maybeFinish()
        // still minting a URL: the project ends when it arrives
        if (isTerminal(b.state.status) || b.state.jobs.some((j) => j.minting)) break
      }
      for (let i = 0; i < b.state.jobs.length; i++) {
        if (!isTerminal(b.jobAt(i).status)) b.setJob(i, { status: "failed", error: input.error, minting: false })
      }
      b.fail(input.error)
      break
    }
    case "Recovered": {
      let acc: Step = { state: b.state, events: [], commands: [] }
      for (const event of recoveredEvents(input.project, input.active)) {
        const next = step(acc.state, { _tag: "Server", event, now: input.now }, inPlace, quiet)
        acc = { state: next.state, events: [...acc.events, ...next.events], commands: [...acc.commands, ...next.commands] }
      }
      if (input.project.status === "completed" && !isTerminal(acc.state.status)) {
        // the server finished the project: an unfinished job it does not know is a stale identity (an
        // attempt replaced while frames were lost); it must not hold the project open
        const known = new Set(
          [...(input.project.workerJobs ?? []), ...(input.project.completedWorkerJobs ?? [])]
            .map((j) => (j.imgID ?? j.id ?? "").toUpperCase())
        )
        const settle = new Builder(acc.state, inPlace, quiet)
        for (let i = 0; i < settle.state.jobs.length; i++) {
          const job = settle.jobAt(i)
          if (!isTerminal(job.status) && !known.has(job.imgID.toUpperCase())) {
            settle.setJob(i, { status: "canceled", awaitingReassignment: false, minting: false })
          }
        }
        settle.maybeFinish()
        acc = {
          state: settle.state,
          events: [...acc.events, ...settle.events],
          commands: [...acc.commands, ...settle.commands]
        }
      }
      return acc
    }
  }
  // in place, the builder is the step (its owner reads it at once and drops it): one object less per frame
  return inPlace ? b : { state: b.state, events: b.events, commands: b.commands }
}

/**
 * Folds many inputs (handy in tests).
 *
 * @since 0.1.0
 */
export function run(state: ProjectState, inputs: Iterable<Input>): Step {
  let current = state
  const events: Array<ProjectEvent> = []
  const commands: Array<Command> = []
  for (const input of inputs) {
    const next = transition(current, input)
    current = next.state
    events.push(...next.events)
    commands.push(...next.commands)
  }
  return { state: current, events, commands }
}
