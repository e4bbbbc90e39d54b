/**
 * Durable workflows: what goes on the wire, encoded with the protocol's schemas (`Protocol` in core):
 * the `CreativeWorkflowRecord`, its steps and artifacts, and the events {@link record} appends to a
 * workflow's log.
 *
 * @internal
 */
import { Protocol } from "@effect-sogni/core"
import { appendEvent } from "../http/eventLog.js"
import { encodeWire } from "../http/wire.js"
import { mintMediaUrl } from "../media.js"
import type { World } from "../state.js"
import type { Artifact, StepState, WorkflowEvent, WorkflowState } from "./state.js"
import { TERMINAL, type WorkflowStatus } from "./vocabulary.js"

const encodeArtifact = encodeWire(Protocol.CreativeWorkflowArtifact, "workflow artifact")
const encodeRecord = encodeWire(Protocol.CreativeWorkflowRecord, "workflow record")
const encodeEvent = encodeWire(Protocol.CreativeWorkflowEvent, "workflow event")

/** Epoch milliseconds as an ISO string. @internal */
export const iso = (millis: number) => new Date(millis).toISOString()

/** MIME types of the media extensions a step produces. @internal */
export const EXT_MIME: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  webp: "image/webp",
  mp4: "video/mp4",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  flac: "audio/flac"
}

/** The URL an artifact is fetched from. @internal */
export const artifactUrl = (world: World, artifact: Artifact): string =>
  artifact.source._tag === "Project"
    ? mintMediaUrl(world, artifact.source.projectId, artifact.source.imgID, artifact.source.format, "complete")
    : `${world.baseUrl}/_workflows/blobs/${artifact.source.blobId}`

/** An artifact on the wire. @internal */
export const renderArtifact = (world: World, artifact: Artifact): Protocol.CreativeWorkflowArtifact => encodeArtifact({
  id: artifact.id,
  kind: artifact.kind,
  type: artifact.kind,
  mediaType: artifact.kind,
  url: artifactUrl(world, artifact),
  mimeType: artifact.mimeType,
  ...(artifact.width !== undefined ? { width: artifact.width, height: artifact.height } : {}),
  ...(artifact.durationSeconds !== undefined
    ? { durationSeconds: artifact.durationSeconds, duration: artifact.durationSeconds }
    : {}),
  toolName: artifact.toolName,
  stepId: artifact.stepId
})

const renderStep = (world: World, step: StepState): Protocol.CreativeWorkflowStep => ({
  id: step.id,
  sequence: step.sequence,
  toolName: step.toolName,
  status: step.status,
  arguments: step.arguments,
  ...(step.dependsOn.length > 0 ? { dependsOn: step.dependsOn } : {}),
  ...(step.boundArguments !== undefined ? { resolvedArguments: step.boundArguments } : {}),
  ...(typeof step.arguments["seed"] === "number" ? { seed: step.arguments["seed"] } : {}),
  artifacts: step.artifacts.map((a) => renderArtifact(world, a)),
  ...(step.projectId !== undefined ? { projectId: step.projectId } : {}),
  ...(step.error !== undefined ? { error: { ...step.error, stepId: step.id, toolName: step.toolName } } : {}),
  ...(step.startedAt !== undefined ? { startedAt: iso(step.startedAt) } : {}),
  ...(step.endedAt !== undefined ? { endedAt: iso(step.endedAt) } : {})
})

/** The `CreativeWorkflowRecord` of a workflow (workflows.md §5). @internal */
export const renderWorkflow = (world: World, wf: WorkflowState): Protocol.CreativeWorkflowRecord => encodeRecord({
  workflowId: wf.workflowId,
  status: wf.status,
  ...(wf.title !== undefined ? { title: wf.title } : {}),
  safeContentFilter: wf.safeContentFilter,
  ...(wf.waitingReason !== undefined ? { waitingReason: wf.waitingReason } : {}),
  awaitingCostApproval: wf.awaitingCostApproval,
  input: wf.input,
  ...(wf.templateId !== undefined ? { templateId: wf.templateId, inputs: wf.inputs } : {}),
  ...(wf.clonedFromRunId !== undefined ? { clonedFromRunId: wf.clonedFromRunId } : {}),
  steps: wf.steps.map((s) => renderStep(world, s)),
  events: wf.log.events,
  artifacts: wf.artifacts.map((a) => renderArtifact(world, a)),
  tokenType: wf.tokenType,
  ...(wf.billingMode !== undefined ? { billingMode: wf.billingMode } : {}),
  ...(wf.appSource !== undefined ? { appSource: wf.appSource } : {}),
  billingPreview: {
    estimatedCapacityUnits: wf.estimatedCapacityUnits,
    ...(wf.maxEstimatedCapacityUnits !== undefined ? { maxEstimatedCapacityUnits: wf.maxEstimatedCapacityUnits } : {}),
    tokenType: wf.tokenType
  },
  recovery: { resumeCount: wf.resumeCount },
  ...(wf.error !== undefined ? { error: wf.error } : {}),
  createTime: wf.createTime,
  updateTime: wf.updateTime,
  createdAt: iso(wf.createTime),
  updatedAt: iso(wf.updateTime),
  ...(wf.completedAt !== undefined ? { completedAt: iso(wf.completedAt) } : {})
})


/** Sets the status (when given), then records an event stamped with it and wakes live streams. @internal */
export const record = (
  wf: WorkflowState,
  type: string,
  options: { readonly status?: WorkflowStatus; readonly message?: string; readonly data?: Record<string, unknown> } = {}
): WorkflowEvent => {
  const now = Date.now()
  if (options.status !== undefined) wf.status = options.status
  wf.updateTime = now
  if (TERMINAL.has(wf.status)) wf.completedAt ??= now
  const sequence = wf.log.events.length + 1
  const event = encodeEvent({
    id: String(sequence),
    sequence,
    workflowId: wf.workflowId,
    type,
    event: type,
    status: wf.status,
    timestamp: iso(now),
    ...(options.message !== undefined ? { message: options.message } : {}),
    ...(options.data !== undefined ? { data: options.data } : {})
  })
  appendEvent(wf.log, event)
  return event
}
