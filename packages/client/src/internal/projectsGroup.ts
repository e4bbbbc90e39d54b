/**
 * The rarely used side of `sogni.projects`, loaded by dynamic import on its first call: the model list
 * and size-preset calls, cost estimates, model options, stored-record and status lookups,
 * `resolveMissing`, cancel by id, `sync`, the refusal of a call that is not a project request and of
 * parameters the media package rejects, the reading of media files into bytes, and the reconciliation of a snapshot that lists projects (or finds a tracked one unlisted), with the adoption
 * of the untracked ones. An image program that only creates projects never calls them: the
 * `authenticated` frame of a fresh connection, with nothing in flight and nothing listed, is reconciled
 * by `ProjectsApi` itself without loading this module.
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Models from "@effect-sogni/media/Models"
import type * as Params from "@effect-sogni/media/Params"
import * as Projects from "@effect-sogni/media/Projects"
import * as ProjectState from "@effect-sogni/media/ProjectState"
import * as ProjectSync from "@effect-sogni/media/ProjectSync"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { type InvalidRequestError, isInvalidRequestError } from "../errors.js"
import {
  badArgument,
  failOnRefusal,
  type ProjectsApi,
  type ProjectsGroupCalls,
  type ProjectsRequirements
} from "../ProjectsApi.js"
import type {
  AudioEstimateRequest,
  CompletedRecoveredProject,
  CostEstimation,
  EstimateRequest,
  ModelOptions,
  InputMedia,
  ProjectParams,
  ProjectRecoverySnapshot,
  ProjectResolution,
  ProjectStatusSnapshot,
  ProjectSyncReason,
  ProjectSyncResult,
  RawJob,
  RawProject,
  RecoveredProject,
  VideoEstimateRequest
} from "../types.js"
import type { Project } from "../Project.js"
import type { CallOptions, Runner } from "./runner.js"

type ProjectsRunner = Runner<ProjectsRequirements>

/** The named fields of `a` (as they are, `undefined` included). */
const pick = <A extends object, K extends keyof A>(a: A, keys: ReadonlyArray<K>): Pick<A, K> =>
  Object.fromEntries(keys.map((k) => [k, a[k]])) as Pick<A, K>

/** The fields every cost request shares, under the media package's names. */
const estimateBase = (r: Pick<EstimateRequest, "model" | "tokenType" | "network" | "billingMode">) => ({
  modelId: r.model,
  ...pick(r, ["tokenType", "network", "billingMode"])
})

const toCost = (e: Models.CostEstimate): CostEstimation => ({
  token: e.token,
  usd: e.usd,
  spark: e.spark,
  sogni: e.sogni,
  estimatedRenderSeconds: e.estimatedRenderSeconds,
  estimatedTotalSeconds: e.estimatedTotalSeconds,
  dailyFairUsePct: e.dailyFairUsePct
})

const copyJobs = (jobs: ReadonlyArray<ProjectSync.RecordJob>): Array<RawJob> => jobs.map((j) => ({ ...j }))

/** The media package's record as the adapter's (mutable lists, as the official type declares them). */
const toRawProject = (p: ProjectSync.ProjectRecord): RawProject => ({
  ...p,
  model: { ...p.model },
  workerJobs: copyJobs(p.workerJobs),
  completedWorkerJobs: copyJobs(p.completedWorkerJobs)
})

const toStatusSnapshot = (p: ProjectSync.StatusSnapshot): ProjectStatusSnapshot => ({
  ...p,
  workerJobs: copyJobs(p.workerJobs),
  completedWorkerJobs: copyJobs(p.completedWorkerJobs)
})

const toResolution = (r: ProjectSync.Resolution): ProjectResolution => {
  switch (r.state) {
    case "finished":
      return { state: "finished", project: toRawProject(r.project) }
    case "terminal":
      return { state: "terminal", project: { ...toStatusSnapshot(r.project), status: r.project.status, finished: true } }
    default:
      return r
  }
}

const toRecovered = (p: ProjectSync.RunningProject): RecoveredProject => ({ ...p })

/** The parameters of a recovered project, as far as its snapshot tells them (the official client's reading). */
const paramsOfRecovered = (p: ProjectSync.RunningProject): ProjectParams => {
  const modelType = typeof p.modelType === "string" ? p.modelType : p.model?.type
  const type = modelType === "video" ? "video" : modelType === "audio" || modelType === "music" ? "audio" : "image"
  const listed = (p.workerJobs?.length ?? 0) + (p.completedWorkerJobs?.length ?? 0)
  return {
    type,
    modelId: p.model?.id ?? "",
    positivePrompt: "",
    numberOfMedia: Math.max(1, p.imageCount ?? listed),
    ...(typeof p.stepCount === "number" && p.stepCount > 0 ? { steps: p.stepCount } : {}),
    ...(p.network === "fast" || p.network === "relaxed" ? { network: p.network } : {})
  }
}

/** Drops `undefined` fields (the wire and the types treat absent and undefined differently). */
const strip = <A extends Record<string, unknown>>(a: A): { [K in keyof A]: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as never


/** The cost of an image project (the official client's request shape; `tokenType` defaults to `sogni`). */
/**
 * A model the catalog lacks, refused as the official client refuses it (its `getModelOptions`, which its
 * image `estimateCost` calls first): "Model … not supported", here an `InvalidRequestError` naming
 * `field` with the rule `unknown-model`.
 */
const notSupported = (modelId: string, field: string) => (e: SogniError.SogniInvalidRequest) =>
  Effect.fail(
    e.rule === "unknown-model"
      ? new SogniError.SogniInvalidRequest({ field, rule: "unknown-model", message: `Model ${modelId} not supported` })
      : e
  )

export const estimateCost = (runner: ProjectsRunner, request: EstimateRequest, options?: CallOptions): Promise<CostEstimation> => {
  const params = strip({
    type: "image" as const,
    ...estimateBase(request),
    tokenType: request.tokenType ?? "sogni",
    numberOfMedia: request.imageCount,
    steps: request.stepCount,
    numberOfPreviews: request.previewCount,
    controlNet: request.cnEnabled === true ? { name: "canny" as const } : undefined,
    startingImage: request.startingImageStrength !== undefined ? (true as const) : undefined,
    contextImages: request.contextImages !== undefined && request.contextImages > 0
      ? Array.from({ length: request.contextImages }, () => true as const)
      : undefined,
    ...pick(request, [
      "startingImageStrength",
      "sizePreset",
      "width",
      "height",
      "guidance",
      "sampler",
      "gptImageQuality",
      "outputFormat"
    ])
  })
  // the model is looked up in the catalog first, as the official client does (an unknown one is refused
  // before the quote is asked for)
  return runner.run(
    Effect.flatMap(Models.Models, (m) =>
      m.describe(request.model).pipe(
        Effect.catchTag("SogniInvalidRequest", notSupported(request.model, "model")),
        Effect.zipRight(m.estimate(params as Params.ProjectParams)),
        Effect.map(toCost)
      )),
    options?.signal
  )
}

/** The cost of a video project. */
export const estimateVideoCost = (runner: ProjectsRunner, request: VideoEstimateRequest, options?: CallOptions): Promise<CostEstimation> => {
  const params = strip({
    type: "video" as const,
    ...estimateBase(request),
    ...pick(request, ["width", "height", "duration", "frames", "fps", "steps", "numberOfMedia"])
  })
  // as the official client: only what the request states (the estimate-only signals imply video input)
  const hasVideoInput = request.hasVideoInput === true || Boolean(request.referenceVideo) ||
    (Array.isArray(request.referenceVideoUrls) && request.referenceVideoUrls.length > 0)
  const counted = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined)
  const floored = (n: number | undefined) => (counted(n) === undefined ? undefined : Math.floor(n!))
  const inputs = strip({
    hasVideoInput,
    referenceImageCount: floored(request.referenceImageCount),
    referenceVideoCount: floored(request.referenceVideoCount),
    referenceVideoDurationSeconds: counted(request.referenceVideoDurationSeconds),
    ...(request.sourceWidth !== undefined && request.sourceHeight !== undefined
      ? { sourceWidth: request.sourceWidth, sourceHeight: request.sourceHeight }
      : {})
  }) as Models.VideoEstimateInputs
  return estimate(runner, params as Params.ProjectParams, options, inputs)
}

/** The cost of an audio project. */
export const estimateAudioCost = (runner: ProjectsRunner, request: AudioEstimateRequest, options?: CallOptions): Promise<CostEstimation> => {
  const params = strip({
    type: "audio" as const,
    ...estimateBase(request),
    ...pick(request, ["duration", "steps", "numberOfMedia"])
  })
  return estimate(runner, params as Params.ProjectParams, options)
}

const estimate = (
  runner: ProjectsRunner,
  params: Params.ProjectParams,
  options: CallOptions | undefined,
  videoInputs?: Models.VideoEstimateInputs
): Promise<CostEstimation> =>
  runner.run(
    Effect.flatMap(Models.Models, (m) => m.estimate(params, videoInputs)).pipe(Effect.map(toCost)),
    options?.signal
  )

/** The controls a model offers, under the official client's names. */
export const modelOptions = (runner: ProjectsRunner, modelId: string, options?: CallOptions): Promise<ModelOptions> =>
  runner.run(
    Effect.flatMap(Models.Models, (m) => m.options(modelId)).pipe(
      Effect.catchTag("SogniInvalidRequest", notSupported(modelId, "modelId")),
      Effect.map(({ kind, comfyImageTier: _c, frames: _f, instruct: _i, referenceText: _r, ...rest }) => ({ type: kind, ...rest }) as ModelOptions)
    ),
    options?.signal
  )

/** In-flight projects of this account under another `appId`. */
export const elsewhere = async (runner: ProjectsRunner, options?: CallOptions): Promise<Array<RecoveredProject>> =>
  [...await runner.run(ProjectSync.elsewhere, options?.signal)]

const checkProjectId = (projectId: unknown, field = "projectId"): string => {
  if (typeof projectId !== "string" || projectId.trim().length === 0) {
    throw badArgument(field, "non-empty-string", `${field} must be a non-empty string`)
  }
  return projectId
}

/** The stored record of a finished project. */
export const record = async (runner: ProjectsRunner, id: string, options?: CallOptions): Promise<RawProject> =>
  toRawProject(await runner.run(ProjectSync.record(id), options?.signal))

/** The live state of a project. */
export const status = async (runner: ProjectsRunner, id: string, options?: CallOptions): Promise<ProjectStatusSnapshot> =>
  toStatusSnapshot(await runner.run(ProjectSync.status(id), options?.signal))

/** The verdicts of projects a snapshot did not list, once the arguments are checked. */
export const resolveMissing = async (
  runner: ProjectsRunner,
  projectIds: ReadonlyArray<string>,
  resolve: { readonly attempts?: number | undefined; readonly delayMs?: number | undefined } | undefined,
  options?: CallOptions
): Promise<Record<string, ProjectResolution>> => {
  if (!Array.isArray(projectIds)) throw badArgument("projectIds", "array", "projectIds must be an array of project ids")
  projectIds.forEach((id, i) => checkProjectId(id, `projectIds[${i}]`))
  const { attempts, delayMs } = resolve ?? {}
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1)) {
    throw badArgument("attempts", "positive-integer", `attempts must be a positive integer, got ${String(attempts)}`)
  }
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw badArgument("delayMs", "non-negative-number", `delayMs must be a non-negative number, got ${String(delayMs)}`)
  }
  const verdicts = await runner.run(
    ProjectSync.resolveMissing(projectIds, { attempts, delay: delayMs === undefined ? undefined : Duration.millis(delayMs) }),
    options?.signal
  )
  return Object.fromEntries(Object.entries(verdicts).map(([id, r]) => [id, toResolution(r)]))
}

/** The server's snapshot of this appId (`GET /api/v1/artist/projects/sync`). */
export const readSnapshot = (runner: ProjectsRunner, options?: CallOptions) => runner.run(ProjectSync.snapshot, options?.signal)

/** The snapshot's two lists (and the server's clock, when the route gives it). */
export type WireSnapshot = Pick<Protocol.ProjectsSync, "activeProjects" | "unclaimedCompletedProjects"> & {
  readonly serverTime?: number | undefined
}

/**
 * Sets a snapshot against the tracked and recovered projects, looks up the tracked ones it left out,
 * adopts the untracked in-flight ones, then emits `activeProjectsRecovered`, `completedProjectsRecovered`
 * and `projectsSynced` (in that order) and answers the result.
 */
export const reconcile = async (
  api: ProjectsApi,
  reason: ProjectSyncReason,
  wire: WireSnapshot,
  options?: CallOptions
): Promise<ProjectSyncResult> => {
  const tracked = [
    ...[...api._tracked.values()].map((p) => ({ id: p.id, finished: p.finished, createdAt: p.startedAt.getTime() })),
    ...[...api._recovered.entries()].filter(([id]) => !api._tracked.has(id)).map(([id, r]) => ({ id, ...r }))
  ]
  const announced = api._announced
  const found = await api._runner.run(
    Effect.gen(function*() {
      const activeProjects = yield* ProjectSync.strictly(wire.activeProjects)
      const unclaimedCompletedProjects = yield* ProjectSync.strictly(wire.unclaimedCompletedProjects)
      const now = yield* Clock.currentTimeMillis
      const plan = ProjectSync.reconcile({ activeProjects, unclaimedCompletedProjects }, tracked, { now })
      const verdicts = plan.missing.length > 0 ? yield* ProjectSync.resolveMissing(plan.missing) : {}
      const fresh = plan.untrackedCompleted.filter((p) => !announced.has(p.id.toUpperCase()))
      const completed = yield* Effect.forEach(fresh, (p) =>
        ProjectSync.resultUrls(p).pipe(
          Effect.map((urls) => ({ project: p, urls })),
          Effect.catchAll((error) =>
            Effect.as(Effect.logWarning(`result URLs of recovered project ${p.id}`, error), { project: p, urls: [] as ReadonlyArray<string> })
          )
        ))
      return { activeProjects, unclaimedCompletedProjects, plan, verdicts, completed }
    }),
    options?.signal
  )
  const { plan, verdicts } = found
  const byVerdict = (...states: ReadonlyArray<ProjectSync.Resolution["state"]>) =>
    plan.missing.filter((id) => verdicts[id] !== undefined && states.includes(verdicts[id]!.state))
  const snapshot: ProjectRecoverySnapshot = {
    activeProjects: found.activeProjects.map(toRecovered),
    unclaimedCompletedProjects: found.unclaimedCompletedProjects.map(toRecovered),
    ...(typeof wire.serverTime === "number" ? { serverTime: wire.serverTime } : {})
  }
  const result: ProjectSyncResult = {
    reason,
    snapshot,
    active: [...plan.active, ...byVerdict("active")],
    completed: [...plan.completed, ...byVerdict("finished", "terminal")],
    lost: byVerdict("lost"),
    unverified: plan.missing.filter((id) => verdicts[id] === undefined || verdicts[id]!.state === "unknown"),
    recoveredActive: plan.untrackedActive.map(toRecovered),
    recoveredCompleted: found.completed.map(({ project, urls }): CompletedRecoveredProject => {
      announced.add(project.id.toUpperCase())
      return { ...toRecovered(project), resultUrls: [...urls] }
    })
  }
  // followed from now on, before the events that announce them (as the official client rehydrates first)
  await adopt(api, plan.untrackedActive, options)
  for (const p of result.recoveredActive) api._recovered.set(p.id.toUpperCase(), { createdAt: p.createTime, finished: false })
  for (const p of result.recoveredCompleted) api._recovered.set(p.id.toUpperCase(), { createdAt: p.createTime, finished: true })
  for (const id of [...result.completed, ...result.lost]) {
    const known = api._recovered.get(id.toUpperCase())
    if (known !== undefined) known.finished = true
  }
  if (result.recoveredActive.length > 0) api.emit("activeProjectsRecovered", result.recoveredActive)
  if (result.recoveredCompleted.length > 0) api.emit("completedProjectsRecovered", result.recoveredCompleted)
  api.emit("projectsSynced", result)
  return result
}

/**
 * Follows in-flight projects a snapshot listed that this client does not track (started by an earlier
 * process or connection of the appId): media's project actor adopts each (the same project as one
 * created here), and a `Project` mirrors it, tracked as the official client tracks a rehydrated one.
 * Needs the socket (a REST-only client reports them only).
 */
const adopt = async (api: ProjectsApi, list: ReadonlyArray<ProjectSync.RunningProject>, options?: CallOptions) => {
  if (api._socketDisabled || list.length === 0) return
  const fresh = list.filter((p) => !api._tracked.has(p.id.toUpperCase()) && !api._tracked.has(p.id))
  if (fresh.length === 0) return
  const handles = await api._runner.run(
    Effect.flatMap(Projects.Projects, (projects) => Effect.forEach(fresh, (p) => projects.adopt(p, true))),
    options?.signal
  )
  handles.forEach((handle, i) => {
    if (!api._tracked.has(handle.id)) api._adopt(handle, paramsOfRecovered(fresh[i]!))
  })
}

/** The fields without which a call is not a project request: refusing them rejects `create` itself. */
const shapeFields = new Set(["params", "type", "modelId"])

/**
 * What `projects.create` does with a failure of `prepare` or `submit`: parameters the media package
 * refused (any field but the request's shape) give the handle of a project that never runs, to be
 * failed as the official client fails a project the server refuses; anything else is rethrown.
 */
export const refusal = (error: unknown): { readonly handle: Projects.Project; readonly refuse: (project: Project) => Project } => {
  if (!isInvalidRequestError(error) || shapeFields.has(String(error.field))) throw error
  const id = crypto.randomUUID().toUpperCase()
  const state = ProjectState.initial({ id, numberOfMedia: 1 })
  return {
    handle: {
      id,
      state: Effect.succeed(state),
      events: Stream.empty,
      listen: () => () => {},
      await: Effect.succeed([]),
      cancel: Effect.void
    },
    // the caller attaches its listeners after `create` resolves: the refusal is reported after that
    refuse: (project) => {
      setTimeout(() => project._refuse(error), 0)
      return project
    }
  }
}

/** A reconciliation after an `authenticated` handshake failed: logged (nobody awaits it). */
export const syncFailed = (api: ProjectsApi, error: unknown): Promise<void> =>
  api._runner.runUngated(Effect.logWarning("project reconciliation after authenticated failed", error)).catch(() => undefined)

/** The refusal of a call that needs the socket on a client created with `disableSocket: true`. */
export const socketRequired = (call: string): InvalidRequestError =>
  badArgument("disableSocket", "socket-required", `${call} needs the socket, and this client was created with disableSocket: true`)

/** Refuses, with a typed error, a value that is not a project request at all (`null`, a string, …). */
export const shapeRefusal = (params: unknown): InvalidRequestError => {
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    return badArgument("params", "type", `projects.create expects the project parameters as an object, got ${params === null ? "null" : Array.isArray(params) ? "an array" : typeof params}`)
  }
  const p = params as { readonly type?: unknown; readonly modelId?: unknown }
  if (p.type !== "image" && p.type !== "video" && p.type !== "audio") {
    return badArgument("type", "one-of", `type must be "image", "video" or "audio", got ${JSON.stringify(p.type) ?? "undefined"}`)
  }
  return badArgument("modelId", "non-empty-string", "modelId must be a non-empty string")
}

const singleMediaFields = [
  "startingImage",
  "gptImageMask",
  "referenceImage",
  "referenceImageEnd",
  "referenceAudio",
  "referenceAudioIdentity",
  "referenceVideo",
  "referenceMask",
  "leftViewImage",
  "backViewImage",
  "rightViewImage"
] as const
const listMediaFields = ["contextImages", "referenceAudios", "referenceVideos"] as const

const toBytes = async (input: InputMedia | unknown): Promise<unknown> => {
  if (input === true || input instanceof Uint8Array) return input
  if (input instanceof ArrayBuffer) return new Uint8Array(input)
  if (typeof Blob !== "undefined" && input instanceof Blob) return new Uint8Array(await input.arrayBuffer())
  return input // anything else is left to the media package's validation (a typed error naming the field)
}

/**
 * The media of parameters `ProjectsApi` found objects or `false` in (its `null` values already
 * dropped): files read into bytes, `false` media dropped ("no media", as in the official client).
 */
export const readMedia = async (out: Record<string, unknown>): Promise<Record<string, unknown>> => {
  for (const key of singleMediaFields) {
    const value = out[key]
    if (value === undefined) continue
    if (value === false) delete out[key]
    else if (value !== true) out[key] = await toBytes(value)
  }
  for (const key of listMediaFields) {
    const list = out[key]
    if (Array.isArray(list)) out[key] = await Promise.all(list.map(toBytes))
  }
  const cn = out.controlNet as { image?: unknown } | undefined
  if (typeof cn === "object" && cn.image !== undefined) out.controlNet = { ...cn, image: await toBytes(cn.image) }
  return out
}

/**
 * Cancels `project` when `signal` aborts (a signal given to `projects.create`). Whatever ends the project
 * (completed, failed, canceled, client disposed) drops the listener, so a long-lived signal does not
 * keep the project alive; an abort that landed before the listener was added cancels at once.
 */
export const cancelOnAbort = (project: Project, signal: AbortSignal): void => {
  const onAbort = () => void project.cancel().catch(() => undefined)
  signal.addEventListener("abort", onAbort, { once: true })
  const release = () => signal.removeEventListener("abort", onAbort)
  project.waitForCompletion().then(release, release)
  if (signal.aborted) onAbort()
}

const syncReasons: ReadonlyArray<ProjectSyncReason> = ["authenticated", "connected", "manual", "recheck"]

/** `sogni.projects`' {@link ProjectsGroupCalls}, each with the facade first. */
export const calls: {
  readonly [K in keyof ProjectsGroupCalls]: (api: ProjectsApi, ...args: Parameters<ProjectsGroupCalls[K]>) => ReturnType<ProjectsGroupCalls[K]>
} = {
  waitForModels: async (api, timeout, options) => {
    if (api._socketDisabled) throw socketRequired("waitForModels")
    return api._runner.run(
      failOnRefusal(Effect.flatMap(Models.Models, (m) => m.waitForModels(timeout ?? 10_000))),
      options?.signal
    )
  },
  getAvailableModels: async (api, network, options) => {
    if (network !== undefined) {
      return api._runner.run(Effect.flatMap(Models.Models, (m) => m.availableOn(network)), options?.signal)
    }
    if (api.availableModels.length > 0) return api.availableModels
    return api.waitForModels(undefined, options)
  },
  getSizePresets: (api, network, modelId, _forceRefresh, options) =>
    api._runner.run(Effect.flatMap(Models.Models, (m) => m.sizePresets(modelId, network)), options?.signal),
  get: (api, projectId, options) => record(api._runner, checkProjectId(projectId), options),
  getStatus: (api, projectId, options) => status(api._runner, checkProjectId(projectId), options),
  resolveMissing: (api, projectIds, resolve, options) => resolveMissing(api._runner, projectIds, resolve, options),
  sync: async (api, reason = "manual", options) => {
    if (!syncReasons.includes(reason)) {
      throw badArgument("reason", "one-of", `reason must be one of ${syncReasons.join(", ")}, got ${String(reason)}`)
    }
    return api._queueSync(reason, () => readSnapshot(api._runner, options), options)
  },
  cancel: async (api, projectId, options) => {
    const project = api._tracked.get(projectId.toUpperCase()) ?? api._tracked.get(projectId)
    if (project !== undefined) await project.cancel(options)
  },
  listProjectsElsewhere: (api, options) => elsewhere(api._runner, options),
  getModelOptions: (api, modelId, options) => modelOptions(api._runner, modelId, options),
  estimateCost: (api, request, options) => estimateCost(api._runner, request, options),
  estimateVideoCost: (api, request, options) => estimateVideoCost(api._runner, request, options),
  estimateAudioCost: (api, request, options) => estimateAudioCost(api._runner, request, options)
}
