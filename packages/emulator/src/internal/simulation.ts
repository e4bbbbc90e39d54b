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
import jpeg from "jpeg-js"
import { PNG } from "pngjs"
import { ErrorCodes, numberField, planRequest, stringField } from "./admission.js"
import { hashString, prng } from "./landscape.js"
import { forgetMedia, mintMediaUrl, previewSteps } from "./media.js"
import {
  type Connection,
  detach,
  type Directives,
  isTerminal,
  type JobSlot,
  nextSerial,
  type Project,
  pushBalance,
  sendTo,
  sendToApp,
  simMillis,
  type World
} from "./state.js"
import { meanColor, type Upload } from "./uploads.js"
import { randomSeed } from "./tokens.js"

/** Timings at speed 1, in milliseconds. Every one is divided by the speed factor. @internal */
export const Timing = {
  queue: 40,
  stagger: 10,
  initiate: 30,
  step: 25,
  requeue: 30,
  slowInitiate: 400,
  slowStep: 600,
  videoInitiate: 150,
  /** Per step of an 81-frame video; longer videos (up to 3×) take longer per step. */
  videoStep: 300,
  /** Progress ticks of vendor (external API) videos. */
  vendorTicks: 6,
  /** `jobETA` period while a video renders: one simulated second. */
  etaTick: 1000,
  audioInitiate: 60,
  /** Per step of a 30-second track (0.5× to 4× with the duration). */
  audioStep: 40
} as const

export { ErrorCodes, resolveSize } from "./admission.js"

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


/** Decodes an uploaded PNG or JPEG to RGBA (for tinting), or `undefined`. */
const decodeUpload = (upload: Upload) => {
  try {
    if (upload.contentType === "image/png") {
      const png = PNG.sync.read(Buffer.from(upload.bytes))
      return { data: png.data, width: png.width, height: png.height }
    }
    if (upload.contentType === "image/jpeg") {
      const image = jpeg.decode(upload.bytes, { useTArray: true, maxMemoryUsageInMB: 256 })
      return { data: image.data, width: image.width, height: image.height }
    }
  } catch {
    // An undecodable image still counts as uploaded; it just does not tint anything.
  }
  return undefined
}

const TINT_SLOTS = ["startingImage", "referenceImage", "referenceImageEnd", "contextImage1"]

/**
 * Handles a `jobRequest`: validates it, reserves the cost and starts the simulation fiber.
 *
 * @internal
 */
export const admitProject = (world: World, conn: Connection, request: Protocol.JobRequest): Effect.Effect<void> =>
  Effect.flatMap(randomSeed, (drawnSeed) => {
    const id = request.jobID.toUpperCase()
    const existing = world.projects.get(id)
    if (existing !== undefined) {
      return isTerminal(existing.status)
        ? refuse(conn, id, ErrorCodes.invalidRequest, `Project ${id} already exists.`)
        : Effect.logDebug(`duplicate jobRequest for live project ${id} ignored`)
    }
    const plan = planRequest(world, conn.account, conn.network, request)
    if (plan._tag === "Refusal") return refuse(conn, id, plan.code, plan.message)
    const keyFrame = request.keyFrames[0]!
    const { count, model, network, tokenType } = plan
    const balance = conn.account.balances[tokenType]
    const cost = plan.cost
    const uploads = world.uploads.get(id)
    const tintSource = TINT_SLOTS.map((slot) => uploads?.get(slot)).find((u) => u !== undefined)
    const tint = tintSource === undefined ? undefined : meanColor(tintSource, decodeUpload)
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
      stepCount: plan.stepCount,
      previewCount: model.media === "image" ? request.previews ?? 0 : 0,
      width: plan.width,
      height: plan.height,
      sizePreset: plan.sizePreset,
      video: plan.video,
      audio: plan.audio,
      assets: plan.assets,
      tint,
      seed: rawSeed === undefined ? drawnSeed : rawSeed >>> 0,
      prompt: clean,
      outputFormat: plan.outputFormat,
      network,
      tokenType,
      directives,
      reserved: cost,
      costPerMedia: plan.perMedia,
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
    return Effect.logDebug(`project ${id} admitted: ${count} × ${model.id} ${plan.width}x${plan.height}`)
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

/** How one job of a project is paced (simulated milliseconds). */
interface Pace {
  readonly initiate: number
  readonly step: number
  /** Steps the job goes through (vendor jobs report progress fractions, not steps). */
  readonly steps: number
  /** `jobETA` ticks (video). */
  readonly eta: boolean
}

const paceOf = (project: Project): Pace => {
  const { directives, model, stepCount } = project
  if (model.media === "video") {
    const length = Math.min(3, Math.max(1, (project.video?.frames ?? 81) / 81))
    return {
      initiate: directives.slow ? Timing.slowInitiate : Timing.videoInitiate,
      step: directives.slow ? Timing.slowStep : Timing.videoStep * length,
      steps: model.vendor ? Timing.vendorTicks : stepCount,
      eta: true
    }
  }
  if (model.media === "audio") {
    const length = Math.min(4, Math.max(0.5, (project.audio?.duration ?? 30) / 30))
    return {
      initiate: directives.slow ? Timing.slowInitiate : Timing.audioInitiate,
      step: directives.slow ? Timing.slowStep : Timing.audioStep * length,
      steps: stepCount,
      eta: false
    }
  }
  return {
    initiate: directives.slow ? Timing.slowInitiate : Timing.initiate,
    step: directives.slow ? Timing.slowStep : Timing.step,
    steps: stepCount,
    eta: false
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10


const runJob = (world: World, project: Project, job: JobSlot): Effect.Effect<void> =>
  Effect.gen(function*() {
    const { directives, id, model } = project
    const pace = paceOf(project)
    const stepCount = pace.steps
    const rand = prng(hashString(id) + job.jobIndex)
    yield* sleep(world, Timing.stagger * job.jobIndex)
    while (true) {
      const imgID = Protocol.makeId()
      job.imgID = imgID
      world.images.set(imgID, { projectId: id, jobIndex: job.jobIndex })
      job.workerName = model.vendor ? `${model.family}-api` : WORKERS[Math.floor(rand() * WORKERS.length)]!
      job.performedSteps = 0
      job.startTime = touch(project, job)
      if (!model.vendor) {
        job.status = "initiatingModel"
        sendToApp(world, project.appId, {
          type: "jobState",
          payload: {
            type: "initiatingModel",
            jobID: id,
            imgID,
            workerName: job.workerName,
            jobIndex: job.jobIndex,
            preparation: { phase: "loadingModel", model: model.modelClass, step: "start" }
          }
        })
        yield* sleep(world, pace.initiate)
      }
      job.status = "jobStarted"
      touch(project, job)
      sendToApp(world, project.appId, {
        type: "jobState",
        payload: { type: "jobStarted", jobID: id, imgID, workerName: job.workerName, jobIndex: job.jobIndex }
      })
      const total = stepCount * pace.step
      const remainingSeconds = (elapsed: number) => round1(simMillis(world, total - elapsed) / 1000)
      const sendEta = (elapsed: number) =>
        sendToApp(world, project.appId, {
          type: "jobETA",
          payload: { jobID: id, imgID, etaSeconds: remainingSeconds(elapsed) }
        })
      if (pace.eta) sendEta(0)
      const previews = previewSteps(stepCount, project.previewCount)
      const breakAt = Math.ceil(stepCount / 2)
      const retryThisAttempt = directives.retry && job.attempt === 1
      let broken = false
      let elapsed = 0
      let nextTick = Timing.etaTick
      for (let step = 1; step <= stepCount; step++) {
        const stepEnd = step * pace.step
        while (pace.eta && nextTick < stepEnd) {
          yield* sleep(world, nextTick - elapsed)
          elapsed = nextTick
          nextTick += Timing.etaTick
          sendEta(elapsed)
        }
        yield* sleep(world, stepEnd - elapsed)
        elapsed = stepEnd
        job.performedSteps = step
        job.status = "jobProgress"
        touch(project, job)
        const remaining = remainingSeconds(elapsed)
        sendToApp(world, project.appId, {
          type: "jobProgress",
          payload: model.vendor
            ? { jobID: id, imgID, progress: Math.round((step / stepCount) * 1000) / 1000, etaSeconds: remaining }
            : {
              jobID: id,
              imgID,
              step,
              stepCount,
              etaSeconds: remaining,
              etaMin: round1(remaining * 0.8),
              etaMax: round1(remaining * 1.2),
              ...(previews.has(step) ? { hasImage: true } : {})
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
            error_message: `The worker failed to render this ${model.media} (requested by [[fail]]).`
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
          ...(model.vendor ? {} : { performedStepCount: stepCount }),
          lastSeed: String(job.seedUsed),
          triggeredNSFWFilter: false,
          nsfwDetected: false,
          nsfwSources: [],
          userCanceled: false,
          outputFormat: project.outputFormat,
          ...(model.vendor
            ? { resultUrl: mintMediaUrl(world, id, imgID, project.outputFormat, "complete") }
            : {})
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
    forgetMedia(world, job.imgID)
  }
  world.uploads.delete(project.id)
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
