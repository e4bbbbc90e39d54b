/**
 * Projects: admission (`jobRequest` validation, balance reservation) and the per-project simulation
 * fiber that walks every job through `initiatingModel` → `jobStarted` → `jobProgress`× → `jobResult`
 * (media.md §4), honouring the prompt directives `[[slow]]`, `[[fail]]`, `[[retry]]` and `[[drop]]`.
 * Frames go to the appId's current connection; without one they are not sent, but the state advances.
 *
 * @internal
 */
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { type CatalogModel, findModel, findPreset, projectCost, tokenMultiplier } from "./catalog.js"
import { hashString, prng } from "./landscape.js"
import {
  type Connection,
  detach,
  type Directives,
  isTerminal,
  type JobSlot,
  netOf,
  nextSerial,
  type Project,
  pushBalance,
  sendTo,
  sendToApp,
  simMillis,
  type TokenType,
  type World
} from "./state.js"

/** Timings at speed 1, in milliseconds. Every one is divided by the speed factor. @internal */
export const Timing = {
  queue: 40,
  stagger: 10,
  initiate: 30,
  step: 25,
  requeue: 30,
  slowInitiate: 400,
  slowStep: 600
} as const

/** Emulator-chosen numeric error codes for project-level refusals. @internal */
export const ErrorCodes = {
  invalidRequest: 4000,
  unknownModel: 4004,
  modelUnavailable: 4007,
  insufficientBalance: 4024
} as const

const DIRECTIVE = /\[\[\s*(slow|fail|retry|drop)\s*\]\]/gi

/** Reads the directives out of a prompt and returns the prompt without them. @internal */
export const parseDirectives = (prompt: string): { readonly directives: Directives; readonly clean: string } => {
  const found = new Set<string>()
  const clean = prompt.replace(DIRECTIVE, (_, name: string) => {
    found.add(name.toLowerCase())
    return ""
  }).replace(/\s{2,}/g, " ").trim()
  return {
    directives: { slow: found.has("slow"), fail: found.has("fail"), retry: found.has("retry"), drop: found.has("drop") },
    clean
  }
}

const WORKERS = ["gpu-owl-17", "gpu-kite-03", "gpu-lynx-22", "gpu-heron-08", "mac-otter-41", "mac-wren-12"]

const refuse = (conn: Connection, jobID: string, error: number | string, message: string) =>
  Effect.sync(() => {
    sendTo(conn, { type: "jobError", payload: { jobID, isFromWorker: false, error, error_message: message } })
  }).pipe(Effect.zipRight(Effect.logDebug(`project ${jobID} refused: ${message}`)))

const numberField = (record: Readonly<Record<string, unknown>>, key: string): number | undefined => {
  const v = record[key]
  return typeof v === "number" && Number.isFinite(v) ? v : undefined
}
const stringField = (record: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const v = record[key]
  return typeof v === "string" ? v : undefined
}

/** Resolves the output size of an image request (media.md §3.4, §11.3). @internal */
export const resolveSize = (
  keyFrame: Readonly<Record<string, unknown>>,
  model: CatalogModel
): { readonly width: number; readonly height: number; readonly sizePreset: string | undefined } | string => {
  const presetId = stringField(keyFrame, "sizePreset")
  const width = numberField(keyFrame, "width")
  const height = numberField(keyFrame, "height")
  if (presetId !== undefined && presetId !== "custom") {
    const preset = findPreset(presetId)
    if (preset === undefined) return `Unknown size preset "${presetId}".`
    return { width: preset.width, height: preset.height, sizePreset: preset.id }
  }
  if (width !== undefined && height !== undefined) {
    if (width < 256 || height < 256 || width > 2560 || height > 2560) {
      return `Custom size ${width}x${height} is outside 256..2560.`
    }
    return { width: Math.round(width), height: Math.round(height), sizePreset: "custom" }
  }
  const side = model.defaultSize || 1024
  return { width: side, height: side, sizePreset: undefined }
}

/**
 * Handles a `jobRequest`: validates it, reserves the cost and starts the simulation fiber.
 *
 * @internal
 */
export const admitProject = (world: World, conn: Connection, request: Protocol.JobRequest): Effect.Effect<void> =>
  Effect.suspend(() => {
    const id = request.jobID.toUpperCase()
    const existing = world.projects.get(id)
    if (existing !== undefined) {
      return isTerminal(existing.status)
        ? refuse(conn, id, ErrorCodes.invalidRequest, `Project ${id} already exists.`)
        : Effect.logDebug(`duplicate jobRequest for live project ${id} ignored`)
    }
    const keyFrame = request.keyFrames[0]
    if (keyFrame === undefined) return refuse(conn, id, ErrorCodes.invalidRequest, "jobRequest has no keyFrames.")
    const modelId = stringField(keyFrame, "modelID")
    if (modelId === undefined) return refuse(conn, id, ErrorCodes.invalidRequest, "keyFrames[0].modelID is missing.")
    const model = findModel(modelId)
    if (model === undefined) return refuse(conn, id, ErrorCodes.unknownModel, `Model ${modelId} is not available.`)
    const network = request.network ?? conn.network
    if ((model.workers[network] ?? 0) === 0) {
      return refuse(conn, id, ErrorCodes.modelUnavailable, `Model ${modelId} is not served on the ${network} network.`)
    }
    if (model.media !== "image") {
      return refuse(
        conn,
        id,
        ErrorCodes.modelUnavailable,
        `The emulator renders images only; ${model.media} model ${modelId} cannot run here.`
      )
    }
    const count = request.numberOfImages
    if (!Number.isInteger(count) || count < 1 || count > 16) {
      return refuse(conn, id, ErrorCodes.invalidRequest, `numberOfImages must be an integer in 1..16 (got ${count}).`)
    }
    const size = resolveSize(keyFrame, model)
    if (typeof size === "string") return refuse(conn, id, ErrorCodes.invalidRequest, size)
    const requestedSteps = numberField(keyFrame, "steps")
    const stepCount = requestedSteps === undefined
      ? model.defaultSteps
      : Math.min(model.maxSteps, Math.max(1, Math.round(requestedSteps)))
    const tokenType: TokenType = request.tokenType ?? "sogni"
    const perMedia = projectCost(model, { count: 1, steps: stepCount, width: size.width, height: size.height }) *
      tokenMultiplier(tokenType)
    const cost = perMedia * count
    const balance = conn.account.balances[tokenType]
    if (netOf(balance) < cost) {
      return refuse(
        conn,
        id,
        ErrorCodes.insufficientBalance,
        `Insufficient ${tokenType} balance: the project costs ${cost} and ${netOf(balance)} is available.`
      )
    }
    const rawSeed = numberField(keyFrame, "seed")
    const { clean, directives } = parseDirectives(stringField(keyFrame, "positivePrompt") ?? "")
    const now = Date.now()
    balance.debit += cost
    const project: Project = {
      id,
      SID: nextSerial(world),
      appId: conn.appId,
      appSource: request.appSource ?? conn.appSource,
      account: conn.account,
      model,
      request,
      clientRequestData: Protocol.base64OfText(JSON.stringify(request)),
      imageCount: count,
      stepCount,
      previewCount: request.previews ?? 0,
      width: size.width,
      height: size.height,
      sizePreset: size.sizePreset,
      seed: rawSeed === undefined ? (Math.random() * 0xffffffff) >>> 0 : rawSeed >>> 0,
      prompt: clean,
      outputFormat: request.outputFormat ?? "png",
      network,
      tokenType,
      directives,
      reserved: cost,
      costPerMedia: perMedia,
      status: "pending",
      reason: null,
      createTime: now,
      updateTime: now,
      endTime: null,
      costActual: 0,
      jobs: Array.from({ length: count }, (_, jobIndex): JobSlot => ({
        jobIndex,
        imgID: "",
        status: "created",
        reason: null,
        attempt: 1,
        performedSteps: 0,
        seedUsed: 0,
        workerName: "",
        createTime: now,
        startTime: null,
        updateTime: now,
        endTime: null
      })),
      dropped: false,
      fiber: undefined
    }
    world.projects.set(id, project)
    let ids = world.projectsByApp.get(conn.appId)
    if (ids === undefined) world.projectsByApp.set(conn.appId, ids = new Set())
    ids.add(id)
    project.fiber = world.run(
      simulate(world, project).pipe(
        Effect.catchAllCause((cause) => Effect.logError(`project ${id} simulation failed`, cause))
      )
    )
    return Effect.logDebug(`project ${id} admitted: ${count} × ${modelId} ${size.width}x${size.height}`)
  })

const sleep = (world: World, millis: number) => Effect.sleep(simMillis(world, millis))

const touch = (project: Project, job?: JobSlot) => {
  const now = Date.now()
  project.updateTime = now
  if (job !== undefined) job.updateTime = now
  return now
}

/** The whole life of one project. @internal */
const simulate = (world: World, project: Project): Effect.Effect<void> =>
  Effect.gen(function*() {
    const { id } = project
    project.status = "queued"
    touch(project)
    sendToApp(world, project.appId, {
      type: "jobState",
      payload: {
        type: "queued",
        jobID: id,
        queuePosition: 1,
        estimatedStartSeconds: Math.max(0, Math.round(simMillis(world, Timing.queue) / 100) / 10),
        queueStatus: "waiting"
      }
    })
    yield* sleep(world, Timing.queue)
    project.status = "progress"
    touch(project)
    yield* Effect.forEach(project.jobs, (job) => runJob(world, project, job), {
      concurrency: "unbounded",
      discard: true
    })
    finishProject(world, project)
  })

const runJob = (world: World, project: Project, job: JobSlot): Effect.Effect<void> =>
  Effect.gen(function*() {
    const { directives, id, stepCount } = project
    const stepMillis = directives.slow ? Timing.slowStep : Timing.step
    const rand = prng(hashString(id) + job.jobIndex)
    yield* sleep(world, Timing.stagger * job.jobIndex)
    while (true) {
      const imgID = Protocol.makeId()
      job.imgID = imgID
      world.images.set(imgID, { projectId: id, jobIndex: job.jobIndex })
      job.workerName = WORKERS[Math.floor(rand() * WORKERS.length)]!
      job.status = "initiatingModel"
      job.performedSteps = 0
      job.startTime = touch(project, job)
      sendToApp(world, project.appId, {
        type: "jobState",
        payload: {
          type: "initiatingModel",
          jobID: id,
          imgID,
          workerName: job.workerName,
          jobIndex: job.jobIndex,
          preparation: { phase: "loadingModel", model: project.model.modelClass, step: "start" }
        }
      })
      yield* sleep(world, directives.slow ? Timing.slowInitiate : Timing.initiate)
      job.status = "jobStarted"
      touch(project, job)
      sendToApp(world, project.appId, {
        type: "jobState",
        payload: { type: "jobStarted", jobID: id, imgID, workerName: job.workerName, jobIndex: job.jobIndex }
      })
      const breakAt = Math.ceil(stepCount / 2)
      const retryThisAttempt = directives.retry && job.attempt === 1
      let broken = false
      for (let step = 1; step <= stepCount; step++) {
        yield* sleep(world, stepMillis)
        job.performedSteps = step
        job.status = "jobProgress"
        touch(project, job)
        const remaining = (stepCount - step) * simMillis(world, stepMillis) / 1000
        sendToApp(world, project.appId, {
          type: "jobProgress",
          payload: {
            jobID: id,
            imgID,
            step,
            stepCount,
            etaSeconds: Math.round(remaining * 10) / 10,
            etaMin: Math.round(remaining * 8) / 10,
            etaMax: Math.round(remaining * 12) / 10
          }
        })
        if (directives.drop && !project.dropped && job.jobIndex === 0 && step === breakAt) {
          project.dropped = true
          const conn = world.connections.get(project.appId)
          if (conn !== undefined) {
            yield* Effect.logDebug(`[[drop]]: terminating the socket of ${project.appId}`)
            detach(world, conn)
            conn.ws.terminate()
          }
        }
        if ((directives.fail || retryThisAttempt) && step === breakAt) {
          broken = true
          break
        }
      }
      if (broken && directives.fail) {
        job.status = "jobError"
        job.reason = "genfailure"
        job.endTime = touch(project, job)
        sendToApp(world, project.appId, {
          type: "jobError",
          payload: {
            jobID: id,
            imgID,
            isFromWorker: true,
            error: "genfailure",
            error_message: "The worker failed to render this image (requested by [[fail]])."
          }
        })
        return
      }
      if (broken) {
        sendToApp(world, project.appId, {
          type: "jobRetry",
          payload: {
            jobID: id,
            imgID,
            jobIndex: job.jobIndex,
            attempt: job.attempt,
            maxAttempts: 3,
            isFromWorker: true,
            error: "workerCancelled",
            error_message: "Worker aborted the render (requested by [[retry]]); the job was re-queued."
          }
        })
        world.images.delete(imgID)
        job.attempt += 1
        job.status = "queued"
        job.performedSteps = 0
        touch(project, job)
        yield* sleep(world, Timing.requeue)
        continue
      }
      job.status = "jobCompleted"
      job.reason = "jobCompleted"
      job.seedUsed = job.jobIndex === 0 ? project.seed : (project.seed + Math.floor(rand() * 0xffffff)) >>> 0
      job.endTime = touch(project, job)
      sendToApp(world, project.appId, {
        type: "jobResult",
        payload: {
          jobID: id,
          imgID,
          performedStepCount: stepCount,
          lastSeed: String(job.seedUsed),
          triggeredNSFWFilter: false,
          nsfwDetected: false,
          nsfwSources: [],
          userCanceled: false,
          outputFormat: project.outputFormat
        }
      })
      return
    }
  })

/** Charges the completed jobs, releases the reservation and pushes the new balance. @internal */
const settle = (world: World, project: Project) => {
  const completed = project.jobs.filter((j) => j.status === "jobCompleted").length
  const balance = project.account.balances[project.tokenType]
  project.costActual = project.costPerMedia * completed
  balance.debit = Math.max(0, balance.debit - project.reserved)
  balance.settled -= project.costActual
  pushBalance(world, project.account)
}

/** How long finished projects (records, recovery entries, media) are kept: the protocol's one hour. @internal */
export const RETENTION_MILLIS = 60 * 60_000

/** Forgets a finished project and everything keyed by it. @internal */
const forget = (world: World, project: Project) => {
  world.projects.delete(project.id)
  const ids = world.projectsByApp.get(project.appId)
  ids?.delete(project.id)
  if (ids !== undefined && ids.size === 0) world.projectsByApp.delete(project.appId)
  const unclaimed = world.unclaimed.get(project.appId)
  unclaimed?.delete(project.id)
  if (unclaimed !== undefined && unclaimed.size === 0) world.unclaimed.delete(project.appId)
  for (const job of project.jobs) {
    world.images.delete(job.imgID)
    for (const extension of ["png", "jpg", "webp"]) world.renderCache.delete(`${job.imgID}.${extension}`)
  }
}

/**
 * Marks a project terminal; remembers it as unclaimed when no socket of its appId saw the end, and
 * schedules it to be forgotten after {@link RETENTION_MILLIS}.
 *
 * @internal
 */
const markFinished = (world: World, project: Project) => {
  project.endTime = touch(project)
  if (!world.connections.has(project.appId)) {
    let set = world.unclaimed.get(project.appId)
    if (set === undefined) world.unclaimed.set(project.appId, set = new Set())
    set.add(project.id)
  }
  world.run(Effect.sleep(RETENTION_MILLIS).pipe(Effect.andThen(Effect.sync(() => forget(world, project)))))
}

const finishProject = (world: World, project: Project) => {
  const succeeded = project.jobs.some((j) => j.status === "jobCompleted")
  if (succeeded) {
    project.status = "completed"
    project.reason = "allJobsCompleted"
    sendToApp(world, project.appId, { type: "jobState", payload: { type: "jobCompleted", jobID: project.id } })
  } else {
    project.status = "errored"
    project.reason = "genfailure"
    sendToApp(world, project.appId, {
      type: "jobError",
      payload: {
        jobID: project.id,
        isFromWorker: false,
        error: "genfailure",
        error_message: "Every job of this project failed."
      }
    })
  }
  markFinished(world, project)
  settle(world, project)
}

/**
 * Handles a client cancel: stops the simulation and confirms, or refuses for unknown/finished projects.
 *
 * @internal
 */
export const cancelProject = (world: World, conn: Connection, rawId: string): Effect.Effect<void> =>
  Effect.gen(function*() {
    const id = rawId.toUpperCase()
    const project = world.projects.get(id)
    const refuseCancel = (message: string) =>
      sendTo(conn, { type: "artistCancelConfirmation", payload: { jobID: id, didCancel: false, error_message: message } })
    if (project === undefined || project.account !== conn.account) {
      refuseCancel(`Project ${id} is unknown.`)
      return
    }
    if (isTerminal(project.status)) {
      refuseCancel(`Project ${id} already finished (${project.status}).`)
      return
    }
    if (project.fiber !== undefined) yield* Fiber.interrupt(project.fiber)
    if (isTerminal(project.status)) {
      refuseCancel(`Project ${id} finished before the cancel arrived (${project.status}).`)
      return
    }
    for (const job of project.jobs) {
      if (job.status !== "jobCompleted" && job.status !== "jobError") {
        job.status = "jobError"
        job.reason = "artistCanceled"
        job.endTime = touch(project, job)
      }
    }
    project.status = "cancelled"
    project.reason = "artistCanceled"
    sendTo(conn, { type: "artistCancelConfirmation", payload: { jobID: id, didCancel: true } })
    markFinished(world, project)
    settle(world, project)
  })
