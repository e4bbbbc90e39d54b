/**
 * The rest of the mirroring of a media project into a `Project` and its `Job`s (see `Project.ts`), loaded
 * with the first event, outcome or call that needs it: the progress, ETA, preview, retry and failure
 * events, the payloads of `sogni.projects`' `"job"` events, failed and canceled outcomes, the refusal of
 * parameters before anything was sent, result downloads, cancel, and waiting with an abort signal. A
 * project that renders and
 * completes with nothing listening to its progress or to `"job"` events never loads it.
 */
import * as ProjectState from "@effect-sogni/media/ProjectState"
import * as Results from "@effect-sogni/media/Results"
import * as Effect from "effect/Effect"
import { AbortError, DisposedError, type InvalidRequestError, ProjectError } from "../errors.js"
import { errorDataOf, type Job, type JobCalls, type Project, type ProjectCalls } from "../Project.js"
import type { ErrorData } from "../types.js"
import { fromTyped } from "./errorMapping.js"
import type { CallOptions } from "./runner.js"

/** The "job" errors of a project's last failing jobs, held until its "failed" event (see `apply`). */
const failingJobErrors = new WeakMap<Project, ReadonlyArray<Parameters<Project["_context"]["emitJob"]>[0]>>()

/**
 * Applies one event to `project` (in order: `Project` holds what follows while this module loads):
 * the state and jobs first, as for every event, then the event's own emissions and, with a `"job"`
 * listener on `sogni.projects`, its payload there.
 */
export const apply = (project: Project, event: ProjectState.ProjectEvent, state: ProjectState.ProjectState): void => {
  const context = project._context
  const projectId = project.id
  // the plain part (the state and jobs of every event; all of the events it knows)
  const plain = project._applyPlain(event, state)
  switch (event._tag) {
    case "JobInitiating":
    case "JobStarted":
      if (context.wantsJob()) context.emitJob({
        type: event._tag === "JobInitiating" ? "initiating" : "started",
        projectId,
        jobId: event.imgID,
        workerName: event.workerName ?? "",
        ...(event.jobIndex !== undefined ? { jobIndex: event.jobIndex } : {}),
        ...(event._tag === "JobInitiating" && event.preparation !== undefined ? { preparation: event.preparation } : {})
      })
      break
    case "JobCompleted": {
      const r = event.result
      if (context.wantsJob()) context.emitJob({
        type: "completed",
        projectId,
        jobId: r.imgID,
        ...(plain !== undefined ? { steps: plain.step } : {}),
        ...(r.seed !== undefined ? { seed: r.seed } : {}),
        resultUrl: r.url ?? null,
        ...(r.outputFormat !== undefined ? { outputFormat: r.outputFormat } : {}),
        isNSFW: r.nsfwWithheld,
        nsfwDetected: r.nsfwDetected,
        nsfwSources: [],
        userCanceled: false
      })
      break
    }
    case "JobProgress": {
      const job = project._ensureJob(event.imgID, event.jobIndex)
      // workers send 0–0 until they have an interval
      if (event.etaMin !== undefined && event.etaMax !== undefined && event.etaMax > 0) {
        job?._setEtaRange(event.etaMin, event.etaMax)
      }
      if (job !== undefined) {
        job.emit("progress", event.percent)
        if (job.listenerCount("updated") > 0) job.emit("updated", ["step", "progress"])
      }
      // the project's progress is the "Progress" event that follows in the same step (as the official
      // client, which emits it after the job's): read here, the state could already be frames ahead
      // progress moved by an ETA frame is reported by the "jobETA" event that follows
      if (event.fromEta === true || !context.wantsJob()) break
      context.emitJob({
        type: "progress",
        projectId,
        jobId: event.imgID,
        step: event.step,
        stepCount: event.stepCount,
        ...(event.etaSeconds !== undefined ? { etaSeconds: event.etaSeconds } : {}),
        ...(event.etaMin !== undefined ? { etaMin: event.etaMin } : {}),
        ...(event.etaMax !== undefined ? { etaMax: event.etaMax } : {})
      })
      break
    }
    case "JobEta":
      project._ensureJob(event.imgID, event.jobIndex)
      if (context.wantsJob()) context.emitJob({ type: "jobETA", projectId, jobId: event.imgID, etaSeconds: event.etaSeconds })
      break
    case "Preview": {
      const job = project._ensureJob(event.imgID, event.jobIndex)
      job?._setPreview(event.url)
      job?.emit("updated", ["previewUrl"])
      context.emitJob({ type: "preview", projectId, jobId: event.imgID, url: event.url })
      break
    }
    case "JobRetrying":
      // the official client keeps a retry inside its own state and emits no job event for it
      project._jobOf(event.imgID, event.jobIndex)?.emit("updated", ["status"])
      break
    case "JobFailed": {
      const job = project._ensureJob(event.imgID, event.jobIndex)
      project._reportedEnds++
      if (job !== undefined) {
        job.emit("failed", errorDataOf(event.error))
        project.emit("jobFailed", job)
      }
      const payload = { type: "error", projectId, jobId: event.imgID, error: errorDataOf(event.error) } as const
      // the last job's failure fails the project in the same step: the official client emits the
      // project's "failed" first, then this "job" error (see "Failed")
      if (state.status === "failed") failingJobErrors.set(project, [...(failingJobErrors.get(project) ?? []), payload])
      else context.emitJob(payload)
      break
    }
    case "Failed": {
      project._settleFrom(state)
      const held = failingJobErrors.get(project)
      failingJobErrors.delete(project)
      if (held !== undefined) {
        for (const payload of held) context.emitJob(payload)
        // failed by its jobs: the project's own "error" is the server's project-level one that follows
        // the last job's failure ("Every job of this project failed."), as the official client reports
        // it, emitted when it comes (`Project._serverError`)
        project._awaitServerError()
      } else {
        context.emitProject({ type: "error", projectId, error: errorDataOf(event.error) })
      }
      break
    }
    case "Canceled":
      project._settleFrom(state)
      break
    default:
      break
  }
}

/** The `ProjectError` a failed project's `waitForCompletion` rejects with: the network's error and code. */
export const failedError = (project: Project, data: ErrorData): ProjectError =>
  new ProjectError(data.message, {
    reason: "Failed",
    tag: "SogniProjectError",
    retryable: data.code === 5001 || data.code === 5002 || data.code === 5003 || data.code === 1001,
    fields: { projectId: project.id, code: data.code, ...(data.originalCode !== undefined ? { originalCode: data.originalCode } : {}) }
  })

/** The outcome of a project that ended failed (a `ProjectError` with the network's code) or canceled. */
export const settleEnded = (project: Project, state: ProjectState.ProjectState): void => {
  if (state.status === "failed") {
    const data = state.error === undefined ? { code: 0, message: "Project failed" } : errorDataOf(state.error)
    // a refused credential (the send's 4021, 4010) rejects with the `AuthenticationError`, as every other
    // waiter's does; the `failed` event still has the project's error data
    const cause = state.error?.cause
    project._settle({
      _tag: "Error",
      error: cause !== undefined && cause._tag === "SogniAuthenticationError" ? fromTyped(cause) : failedError(project, data)
    })
    project.emit("failed", data)
    // the server's project-level error, if it came while this module loaded, is what later waits read
    project._rejectLaterWithServerError()
  } else if (state.status === "canceled") {
    project._settle({
      _tag: "Error",
      error: new ProjectError("Project canceled", {
        reason: "Canceled",
        tag: "SogniProjectError",
        fields: { projectId: project.id, code: 5004, originalCode: "artistCanceled" }
      })
    })
  }
}

/** The outcome of a project still running when the client was disposed: no longer followed. */
export const settleDisposed = (project: Project): void => {
  project._settle({
    _tag: "Error",
    error: new DisposedError(`project ${project.id} is no longer followed: the client was disposed`, {
      reason: "Disposed"
    })
  })
}

/**
 * Fails a project whose parameters were refused before anything was sent, as the official client fails
 * one the server refuses: code 4000, the `failed` event, then the `"project"` `error` event;
 * `waitForCompletion` rejects with the `InvalidRequestError`.
 */
export const refuse = (project: Project, error: InvalidRequestError): void => {
  if (project._settled) return
  const data: ErrorData = { code: 4000, message: error.message }
  project._state = {
    ...ProjectState.initial({ id: project.id, numberOfMedia: 1 }),
    status: "failed",
    error: { code: data.code, message: data.message }
  }
  project.emit("updated", ["status", "error"])
  project._reportProgress()
  project._settle({ _tag: "Error", error })
  project.emit("failed", data)
  project._context.emitProject({ type: "error", projectId: project.id, error: data })
}

/**
 * `waitForCompletion` with a signal: the result URLs, or the project's error; aborting `signal` first
 * cancels the project and rejects with an `AbortError` (an outcome already there wins).
 */
export const waitOrAbort = (project: Project, signal: AbortSignal): Promise<ReadonlyArray<string>> =>
  new Promise((resolve, reject) => {
    const aborted = () => {
      void project.cancel().catch(() => undefined)
      reject(new AbortError("The operation was aborted", { reason: "Aborted" }))
    }
    if (!project._settled && signal.aborted) return aborted()
    const onAbort = () => {
      stop()
      aborted()
    }
    const stop = project._onOutcome((o) => {
      signal.removeEventListener("abort", onAbort)
      if (o._tag === "Done") resolve(o.urls)
      else reject(o.error)
    })
    if (!project._settled) signal.addEventListener("abort", onAbort, { once: true })
  })

/** URLs minted again for results whose URL the REST host failed to mint when they arrived. */
const reminted = new WeakMap<Job, string>()

const resultUrl = async (job: Job, options?: CallOptions): Promise<string> => {
  const result = job._state.result
  const url = result?.url ?? reminted.get(job)
  if (url !== undefined) return url
  if (result === undefined || result.nsfwWithheld || job._state.status !== "completed") {
    throw new ProjectError(`job ${job.id} has no result URL`, {
      reason: "Failed",
      fields: { projectId: job.projectId, code: 0, originalCode: "noResult" }
    })
  }
  // a finished result whose URL could not be minted (the REST host failed past core's retries): asked
  // again, as the official client's getResultUrl does, and kept. Minted by media's one mint path
  // (`Results.url`: the result's project and kind, the content type of audio and 3D models)
  // work accepted before: also after the server ended the session (core kept the credential for it)
  const minted = await job._project._context.runner.runUngated(
    Effect.flatMap(Results.Results, (r) => r.url(result)),
    options?.signal
  )
  reminted.set(job, minted)
  return minted
}

const resultBytes = async (job: Job, options?: CallOptions): Promise<Uint8Array> => {
  const result = job._state.result
  const url = result?.url ?? await resultUrl(job, options)
  // a job's result, downloaded in the client's runtime
  return job._project._context.runner.runUngated(
    Effect.flatMap(Results.Results, (r) => r.download({ ...result!, url })),
    options?.signal
  )
}

/** {@link JobCalls}, each with the job first. */
export const jobCalls: { readonly [K in keyof JobCalls]: (job: Job, ...args: Parameters<JobCalls[K]>) => ReturnType<JobCalls[K]> } = {
  getResultUrl: resultUrl,
  getResultData: async (job, options) => new Blob([(await resultBytes(job, options)) as Uint8Array<ArrayBuffer>]),
  getResultBytes: resultBytes
}

/** {@link ProjectCalls}, each with the project first. */
export const projectCalls: {
  readonly [K in keyof ProjectCalls]: (project: Project, ...args: Parameters<ProjectCalls[K]>) => ReturnType<ProjectCalls[K]>
} = {
  // a project that ended has nothing to cancel (the client's disposal still rejects, as every call)
  cancel: (project, options) => project._context.runner.runUngated(project._handle?.cancel ?? Effect.void, options?.signal)
}
