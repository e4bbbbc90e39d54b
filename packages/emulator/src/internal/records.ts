/**
 * Projects rendered for the outside: recovery snapshots (socket.md §8.2), finished-project records
 * (`GET /v1/projects/{id}`, rest.md §5.1), live status snapshots (`GET /v2/projects/{id}`) and the control
 * API's `ProjectInfo`. Ids are upper-case everywhere (socket.md §8.5).
 *
 * @internal
 */
import type { Protocol } from "@effect-sogni/core"
import type { ProjectInfo } from "../EmulatorControl.js"
import { mintMediaUrl } from "./media.js"
import { formatAmount, isTerminal, type JobSlot, type Project, type World } from "./state.js"

const shownInRecovery = (job: JobSlot) => job.status !== "created" && job.status !== "queued"
const isFinishedJob = (job: JobSlot) => job.status === "jobCompleted" || job.status === "jobError"

const recoveredJob = (project: Project, job: JobSlot): Protocol.RecoveredWorkerJob => ({
  id: project.id,
  imgID: job.imgID,
  status: job.status,
  reason: job.reason,
  performedSteps: job.performedSteps,
  ...(job.status === "jobCompleted" ? { seedUsed: job.seedUsed } : {}),
  triggeredNSFWFilter: false,
  worker: { username: job.workerName, name: job.workerName },
  outputFormat: project.outputFormat,
  jobIndex: job.jobIndex,
  createTime: job.createTime,
  startTime: job.startTime,
  updateTime: job.updateTime,
  endTime: job.endTime,
  network: project.network,
  tokenType: project.tokenType
})

/** A project as it appears in `authenticated` and `/api/v1/artist/projects/sync`. @internal */
export const recoveredProject = (project: Project): Protocol.RecoveredProject => ({
  id: project.id,
  SID: project.SID,
  appId: project.appId,
  ...(project.appSource !== undefined ? { appSource: project.appSource } : {}),
  jobType: project.model.media,
  model: { id: project.model.id, SID: project.model.SID, name: project.model.name, type: project.model.media },
  imageCount: project.imageCount,
  stepCount: project.stepCount,
  previewCount: project.previewCount,
  createTime: project.createTime,
  updateTime: project.updateTime,
  endTime: project.endTime,
  status: project.status,
  reason: project.reason,
  network: project.network,
  tokenType: project.tokenType,
  ...(project.sizePreset !== undefined ? { sizePreset: project.sizePreset } : {}),
  width: project.width,
  height: project.height,
  clientRequestData: project.clientRequestData,
  workerJobs: project.jobs.filter((j) => shownInRecovery(j) && !isFinishedJob(j)).map((j) => recoveredJob(project, j)),
  completedWorkerJobs: project.jobs.filter(isFinishedJob).map((j) => recoveredJob(project, j))
})

const costActual = (project: Project, media: number) => ({
  costInRenderSec: formatAmount(media * project.stepCount * 0.3),
  costInUSD: formatAmount(project.costPerMedia * media * 0.01),
  costInToken: formatAmount(project.costPerMedia * media),
  calculatedStepCount: media * project.stepCount
})

const rawJob = (project: Project, job: JobSlot, world: World) => ({
  id: project.id,
  SID: world.serial + job.jobIndex + 1,
  imgID: job.imgID,
  worker: { name: job.workerName, username: job.workerName },
  createTime: job.createTime,
  startTime: job.startTime,
  updateTime: job.updateTime,
  endTime: job.endTime,
  status: job.status,
  reason: job.reason ?? "",
  performedSteps: job.performedSteps,
  triggeredNSFWFilter: false,
  nsfwDetected: false,
  nsfwSources: [],
  seedUsed: job.seedUsed,
  costActual: costActual(project, job.status === "jobCompleted" ? 1 : 0),
  network: project.network,
  txId: `emu-tx-${project.SID}-${job.jobIndex}`,
  // Vendor renders are hosted: their record carries the URL (media.md §8.1); worker results are minted.
  resultUrl: project.model.vendor && job.status === "jobCompleted"
    ? mintMediaUrl(world, project.id, job.imgID, project.outputFormat, "complete")
    : null,
  outputFormat: project.outputFormat
})

/** The complete `RawProject` (rest.md §5.1). @internal */
export const rawProject = (world: World, project: Project) => {
  const completed = project.jobs.filter((j) => j.status === "jobCompleted").length
  return {
    id: project.id,
    SID: project.SID,
    artist: {
      id: project.account.username,
      clientSID: project.account.SID,
      address: project.account.walletAddress,
      addressSID: project.account.addressSID,
      name: project.account.username,
      username: project.account.username
    },
    model: { id: project.model.id, SID: project.model.SID, name: project.model.name },
    imageCount: project.imageCount,
    stepCount: project.stepCount,
    previewCount: project.previewCount,
    hasGuideImage: false,
    denoiseStrength: "0",
    costEstimate: {
      rate: { costPerRenderSecToken: "0.1", network: project.network },
      quote: { project: { costInToken: formatAmount(project.reserved) } }
    },
    costActual: costActual(project, completed),
    createTime: project.createTime,
    updateTime: project.updateTime,
    endTime: project.endTime,
    status: project.status,
    reason: project.reason ?? "",
    network: project.network,
    txId: `emu-tx-${project.SID}`,
    workerJobs: project.jobs.filter((j) => !isFinishedJob(j)).map((j) => rawJob(project, j, world)),
    completedWorkerJobs: project.jobs.filter(isFinishedJob).map((j) => rawJob(project, j, world))
  }
}

const normalizedStatus = (status: Protocol.RawProjectStatus) => {
  switch (status) {
    case "pending":
    case "authorized":
      return "pending"
    case "active":
    case "queued":
      return "queued"
    case "assigned":
    case "progress":
      return "processing"
    case "completed":
      return "completed"
    case "errored":
      return "failed"
    case "cancelled":
      return "canceled"
  }
}

/** `ProjectStatusSnapshot` for `GET /v2/projects/{id}`. @internal */
export const statusSnapshot = (world: World, project: Project) => ({
  ...rawProject(world, project),
  status: normalizedStatus(project.status),
  finished: isTerminal(project.status)
})

/** The control API's view of a project. @internal */
export const projectInfo = (project: Project): ProjectInfo => ({
  id: project.id,
  appId: project.appId,
  username: project.account.username,
  modelId: project.model.id,
  status: project.status,
  reason: project.reason,
  network: project.network,
  tokenType: project.tokenType,
  imageCount: project.imageCount,
  width: project.width,
  height: project.height,
  createTime: project.createTime,
  endTime: project.endTime,
  jobs: project.jobs.map((j) => ({
    jobIndex: j.jobIndex,
    imgID: j.imgID,
    status: j.status,
    attempt: j.attempt,
    performedSteps: j.performedSteps,
    stepCount: project.stepCount
  })),
  request: project.request
})

/** Live (non-terminal) projects of an appId. @internal */
export const liveProjectsOf = (world: World, appId: string): Project[] => {
  const out: Project[] = []
  for (const id of world.projectsByApp.get(appId) ?? []) {
    const p = world.projects.get(id)
    if (p !== undefined && !isTerminal(p.status)) out.push(p)
  }
  return out
}

/** Unclaimed finished projects of an appId; `consume` delivers them once. @internal */
export const unclaimedOf = (world: World, appId: string, consume: boolean): Project[] => {
  const ids = world.unclaimed.get(appId)
  if (ids === undefined) return []
  if (consume) world.unclaimed.delete(appId)
  const out: Project[] = []
  for (const id of ids) {
    const p = world.projects.get(id)
    if (p !== undefined) out.push(p)
  }
  return out
}
