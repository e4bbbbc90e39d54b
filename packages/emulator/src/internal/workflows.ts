/**
 * Durable creative workflows (workflows.md): start from an inline plan or a saved template, a small engine
 * that runs the steps in order as hosted tools (media steps are real emulator projects, so an image step
 * yields a real PNG and a video step a real MP4), the event log with its SSE stream (ids, heartbeats,
 * terminal frames, resume from any id), resume / reseed / cancel / confirm-cost, templates and replay
 * records. State lives in a registry keyed by the {@link World}, so the shared world stays untouched.
 *
 * Emulator rules (documented here because the protocol leaves them open):
 * - a plan whose estimate exceeds {@link COST_APPROVAL_THRESHOLD} capacity units and that was started
 *   without `confirm_cost: true` pauses in `waiting_for_user` (`cost_approval_required`) until
 *   `POST /confirm-cost`; an estimate above `max_estimated_capacity_units` is refused with 400;
 * - an account runs at most {@link MAX_ACTIVE_WORKFLOWS} unfinished workflows (409 beyond, `details`
 *   carries the counts);
 * - `ask_clarifying_question` steps pause in `waiting_for_user` until `POST /resume`;
 * - some steps failing while others produce → `partial_failure`; every step failing → `failed`;
 *   a step whose required dependency failed fails with `DEPENDENCY_FAILED`;
 * - `[[slow]]` / `[[fail]]` in any string argument slow down or fail that step.
 *
 * @internal
 */
import { PlatformTools, Protocol } from "@effect-sogni/core"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { WebSocket } from "ws"
import { readCredential } from "./auth.js"
import { mediaBytes, mintMediaUrl } from "./media.js"
import { admitProject, cancelProject, parseDirectives } from "./simulation.js"
import { type AccountState, type Connection, type Outgoing, type Project, simMillis, type World } from "./state.js"
import { randomHex } from "./tokens.js"

// ---------------------------------------------------------------------------------------------
// Constants and vocabularies
// ---------------------------------------------------------------------------------------------

/** Unfinished workflows one account may have at once. @internal */
export const MAX_ACTIVE_WORKFLOWS = 6

/** Estimates above this many capacity units need `confirm_cost: true` or a `confirm-cost` call. @internal */
export const COST_APPROVAL_THRESHOLD = 60

/** Simulated milliseconds between SSE heartbeats (divided by the speed factor). @internal */
export const HEARTBEAT_MILLIS = 4000

/** Simulated milliseconds a text/analysis step takes. */
const TEXT_STEP_MILLIS = 120

/** How often a running media step's progress is polled (simulated milliseconds). */
const PROGRESS_POLL_MILLIS = 80

/** The 34 tools allowed as durable workflow steps (protocol `durable-workflow-run.schema.json`). @internal */
export const STEP_TOOL_NAMES: ReadonlySet<string> = new Set([
  "generate_image",
  "generate_video",
  "generate_music",
  "generate_speech",
  "edit_image",
  "apply_style",
  "restore_photo",
  "upscale_image",
  "image_to_3d",
  "remove_background",
  "segment_image",
  "upscale_video",
  "refine_result",
  "animate_photo",
  "change_angle",
  "video_to_video",
  "stitch_video",
  "orbit_video",
  "dance_montage",
  "sound_to_video",
  "extend_video",
  "replace_video_segment",
  "overlay_video",
  "add_subtitles",
  "analyze_image",
  "analyze_video",
  "extract_metadata",
  "ask_clarifying_question",
  "finalize_response",
  "create_asset_manifest",
  "inspect_asset",
  "label_asset",
  "map_assets_for_model",
  "validate_asset_references"
])

const TRANSFORMS: ReadonlySet<string> = new Set([
  "artifact_url",
  "artifact_data_uri",
  "image_url",
  "video_url",
  "audio_url",
  "image_index",
  "video_index",
  "audio_index",
  "subtitle_cues",
  "subtitle_srt",
  "overlay_items",
  "asset_ref"
])

const IMAGE_TOOLS = new Set([
  "generate_image",
  "edit_image",
  "apply_style",
  "restore_photo",
  "upscale_image",
  "remove_background",
  "segment_image",
  "refine_result",
  "change_angle"
])
const VIDEO_TOOLS = new Set([
  "generate_video",
  "upscale_video",
  "animate_photo",
  "video_to_video",
  "stitch_video",
  "orbit_video",
  "dance_montage",
  "sound_to_video",
  "extend_video",
  "replace_video_segment",
  "overlay_video",
  "add_subtitles"
])
const AUDIO_TOOLS = new Set(["generate_music", "generate_speech"])

type MediaKind = "image" | "video" | "audio"
type ArtifactKind = MediaKind | "model" | "json" | "text"

/** Workflow statuses (workflows.md §6). @internal */
export type WorkflowStatus =
  | "queued"
  | "running"
  | "completed"
  | "partial_failure"
  | "waiting_for_user"
  | "failed"
  | "cancelled"

const TERMINAL: ReadonlySet<WorkflowStatus> = new Set(["completed", "partial_failure", "failed", "cancelled"])

/** Whether a workflow status is final. @internal */
export const isTerminalStatus = (status: string): boolean => TERMINAL.has(status as WorkflowStatus)

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** One recorded event; `status` is the workflow's status when it was recorded. @internal */
export interface WorkflowEvent {
  readonly id: string
  readonly sequence: number
  readonly workflowId: string
  readonly type: string
  readonly event: string
  readonly status: WorkflowStatus
  readonly timestamp: string
  readonly message?: string
  readonly data?: Record<string, unknown>
}

/** Where an artifact's bytes come from. */
type ArtifactSource =
  | { readonly _tag: "Project"; readonly projectId: string; readonly imgID: string; readonly format: string }
  | { readonly _tag: "Blob"; readonly blobId: string }

interface Artifact {
  readonly id: string
  readonly kind: ArtifactKind
  readonly mimeType: string
  readonly stepId: string
  readonly toolName: string
  readonly width?: number | undefined
  readonly height?: number | undefined
  readonly durationSeconds?: number | undefined
  readonly source: ArtifactSource
}

interface Dependency {
  readonly sourceStepId: string
  readonly targetArgument: string
  readonly transform: string
  readonly sourceArtifactId?: string | undefined
  readonly sourceArtifactIndex?: number | undefined
  readonly mediaType?: MediaKind | undefined
  readonly required?: boolean | undefined
}

type StepStatus = "queued" | "running" | "completed" | "failed" | "waiting_for_user" | "cancelled"

interface StepError {
  readonly code: string
  readonly message: string
  readonly classification: string
  readonly retryable: boolean
}

interface StepState {
  readonly id: string
  readonly sequence: number
  readonly toolName: string
  readonly arguments: Record<string, unknown>
  readonly dependsOn: ReadonlyArray<Dependency>
  status: StepStatus
  artifacts: Artifact[]
  projectId: string | undefined
  boundArguments: Record<string, unknown> | undefined
  error: StepError | undefined
  startedAt: number | undefined
  endedAt: number | undefined
}

interface Gate {
  readonly reason: string
  readonly deferred: Deferred.Deferred<"resume" | "cancel">
}

interface WorkflowState {
  readonly workflowId: string
  readonly owner: AccountState
  status: WorkflowStatus
  readonly title: string | undefined
  readonly input: unknown
  readonly steps: StepState[]
  readonly events: WorkflowEvent[]
  readonly artifacts: Artifact[]
  readonly mediaReferences: ReadonlyArray<Record<string, unknown>>
  readonly tokenType: "spark" | "sogni"
  readonly billingMode: string | undefined
  readonly appSource: string | undefined
  readonly safeContentFilter: boolean
  readonly estimatedCapacityUnits: number
  readonly maxEstimatedCapacityUnits: number | undefined
  readonly templateId: string | undefined
  readonly inputs: unknown
  readonly clonedFromRunId: string | undefined
  readonly seeds: Record<string, number>
  awaitingCostApproval: boolean
  waitingReason: string | undefined
  gate: Gate | undefined
  error: StepError | undefined
  resumeCount: number
  readonly createTime: number
  updateTime: number
  completedAt: number | undefined
  readonly subscribers: Set<Queue.Queue<WorkflowEvent>>
  fiber: Fiber.RuntimeFiber<void, never> | undefined
}

interface Template {
  readonly id: string
  readonly owner: string
  body: Record<string, unknown>
  readonly createdAt: number
  updatedAt: number
}

interface ReplayEntry {
  readonly runId: string
  readonly owner: string
  readonly record: Record<string, unknown>
  readonly redacted: boolean
  readonly createTime: number
  updateTime: number
}

interface Blob {
  readonly bytes: Uint8Array
  readonly contentType: string
}

/** The registry of one emulator. @internal */
interface Registry {
  readonly workflows: Map<string, WorkflowState>
  readonly idempotency: Map<string, { readonly workflowId: string; readonly fingerprint: string }>
  readonly reseeds: Map<string, { readonly workflowId: string; readonly sourceId: string }>
  readonly templates: Map<string, Template>
  readonly replay: Map<string, ReplayEntry>
  readonly blobs: Map<string, Blob>
  /** Byte budgets of the next SSE responses: each one is cut abruptly after that many body bytes. */
  readonly sseDrops: Array<{ readonly pathPrefix: string | undefined; readonly afterBytes: number }>
  serial: number
}

const registries = new WeakMap<World, Registry>()

const systemTemplates = (): Map<string, Template> => {
  const now = Date.UTC(2026, 0, 1)
  const template: Template = {
    id: "tpl_still_to_clip",
    owner: "system",
    createdAt: now,
    updatedAt: now,
    body: {
      id: "tpl_still_to_clip",
      name: "Still to clip",
      version: "1.0.0",
      description: "Generate a still from a prompt, then animate it into a short clip.",
      category: "video-social",
      stability: "production",
      author: "system",
      visibility: "public",
      inputs: [
        { name: "subject", type: "text", required: true, description: "What the still shows" },
        { name: "motion", type: "text", required: false, default: "slow push-in", description: "Camera motion" }
      ],
      stages: [
        { type: "fixed", id: "still", tool: "generate_image", args: { prompt: "$inputs.subject", aspectRatio: "16:9" } },
        {
          type: "fixed",
          id: "clip",
          tool: "animate_photo",
          args: { prompt: "$inputs.motion", videoModel: "wan22", duration: 2 },
          dependsOn: [{
            sourceStepId: "still",
            targetArgument: "sourceImageIndex",
            transform: "image_index",
            mediaType: "image",
            sourceArtifactIndex: 0,
            required: true
          }]
        }
      ],
      exposeToLLM: true,
      llmPriority: 100,
      estimatedCapacityUnits: { min: 5, max: 8 },
      tags: ["image", "video"],
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString()
    }
  }
  return new Map([[template.id, template]])
}

/** The registry of `world` (created on first use). @internal */
export const registryOf = (world: World): Registry => {
  let registry = registries.get(world)
  if (registry === undefined) {
    registry = {
      workflows: new Map(),
      idempotency: new Map(),
      reseeds: new Map(),
      templates: systemTemplates(),
      replay: new Map(),
      blobs: new Map(),
      sseDrops: [],
      serial: 0
    }
    registries.set(world, registry)
  }
  return registry
}

/**
 * Control: cut the next SSE responses (whose path starts with `pathPrefix`, if given) abruptly after the
 * given numbers of body bytes, one budget per response, in order.
 *
 * @internal
 */
export const dropEventStreams = (
  world: World,
  afterBytes: ReadonlyArray<number>,
  pathPrefix?: string
): { readonly pending: number } => {
  const registry = registryOf(world)
  for (const n of afterBytes) registry.sseDrops.push({ pathPrefix, afterBytes: Math.max(0, Math.floor(n)) })
  return { pending: registry.sseDrops.length }
}

/** Control: forget pending SSE drops. @internal */
export const clearEventStreamDrops = (world: World): void => {
  registryOf(world).sseDrops.length = 0
}

const takeDrop = (world: World, path: string): number | undefined => {
  const drops = registryOf(world).sseDrops
  const i = drops.findIndex((d) => d.pathPrefix === undefined || path.startsWith(d.pathPrefix))
  if (i === -1) return undefined
  const [drop] = drops.splice(i, 1)
  return drop!.afterBytes
}

/**
 * Applies the next pending SSE drop for `path` (if any) to an event-stream body: the response is cut
 * abruptly after the drop's byte budget. Shared by the other SSE routes (chat runs).
 *
 * @internal
 */
export const withEventStreamDrop = (
  world: World,
  request: HttpServerRequest.HttpServerRequest,
  path: string,
  body: Stream.Stream<Uint8Array>
): Stream.Stream<Uint8Array> => {
  const budget = takeDrop(world, path)
  if (budget === undefined) return body
  let left = budget
  const response = NodeHttpServerRequest.toServerResponse(request)
  const cut = Stream.fromEffect(
    Effect.zipRight(Effect.sleep(10), Effect.sync(() => response.destroy()))
  ).pipe(Stream.drain, Stream.concat(Stream.never))
  return body.pipe(
    Stream.map((bytes) => {
      if (bytes.length <= left) {
        left -= bytes.length
        return bytes
      }
      const part = bytes.subarray(0, left)
      left = 0
      return part
    }),
    Stream.takeUntil(() => left <= 0),
    Stream.concat(Stream.suspend(() => (left <= 0 ? cut : Stream.empty)))
  )
}

// ---------------------------------------------------------------------------------------------
// Rendering records
// ---------------------------------------------------------------------------------------------

const iso = (millis: number) => new Date(millis).toISOString()

const EXT_MIME: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  webp: "image/webp",
  mp4: "video/mp4",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  flac: "audio/flac"
}

const artifactUrl = (world: World, artifact: Artifact): string =>
  artifact.source._tag === "Project"
    ? mintMediaUrl(world, artifact.source.projectId, artifact.source.imgID, artifact.source.format, "complete")
    : `${world.baseUrl}/_workflows/blobs/${artifact.source.blobId}`

const renderArtifact = (world: World, artifact: Artifact) => ({
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

const renderStep = (world: World, step: StepState) => ({
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
const renderWorkflow = (world: World, wf: WorkflowState) => ({
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
  events: wf.events,
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

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** Sets the status (when given), then records an event stamped with it and pushes it to live streams. */
const record = (
  wf: WorkflowState,
  type: string,
  options: { readonly status?: WorkflowStatus; readonly message?: string; readonly data?: Record<string, unknown> } = {}
): WorkflowEvent => {
  const now = Date.now()
  if (options.status !== undefined) wf.status = options.status
  wf.updateTime = now
  if (TERMINAL.has(wf.status)) wf.completedAt ??= now
  const sequence = wf.events.length + 1
  const event: WorkflowEvent = {
    id: String(sequence),
    sequence,
    workflowId: wf.workflowId,
    type,
    event: type,
    status: wf.status,
    timestamp: iso(now),
    ...(options.message !== undefined ? { message: options.message } : {}),
    ...(options.data !== undefined ? { data: options.data } : {})
  }
  wf.events.push(event)
  for (const q of wf.subscribers) q.unsafeOffer(event)
  return event
}

// ---------------------------------------------------------------------------------------------
// Plan validation (server side, 400 before anything is billed)
// ---------------------------------------------------------------------------------------------

interface PlanProblem {
  readonly message: string
  readonly details: Record<string, unknown>
}

interface PlannedStep {
  readonly id: string
  readonly toolName: string
  readonly arguments: Record<string, unknown>
  readonly dependsOn: ReadonlyArray<Dependency>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const problem = (message: string, details: Record<string, unknown> = {}): PlanProblem => ({ message, details })

const validatePlan = (
  rawSteps: unknown,
  mediaReferences: ReadonlyArray<Record<string, unknown>>
): PlanProblem | ReadonlyArray<PlannedStep> => {
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) {
    return problem("input.steps must be a non-empty array", { field: "input.steps" })
  }
  const seen = new Set<string>()
  const out: PlannedStep[] = []
  for (let i = 0; i < rawSteps.length; i++) {
    const raw = rawSteps[i]
    const at = `input.steps[${i}]`
    if (!isRecord(raw)) return problem(`${at} must be an object`, { field: at })
    const id = raw["id"] === undefined ? `step_${i + 1}` : raw["id"]
    if (typeof id !== "string" || id.length === 0 || id.startsWith("$")) {
      return problem(`${at}.id must be a non-empty string not starting with $`, { field: `${at}.id` })
    }
    if (seen.has(id)) return problem(`${at}.id "${id}" is used by an earlier step`, { field: `${at}.id` })
    const toolName = raw["toolName"]
    if (typeof toolName !== "string" || !STEP_TOOL_NAMES.has(toolName)) {
      return problem(`${at}.toolName ${JSON.stringify(toolName)} is not a durable workflow step tool`, {
        field: `${at}.toolName`,
        stepId: id
      })
    }
    const args = raw["arguments"] ?? {}
    if (!isRecord(args)) return problem(`${at}.arguments must be an object`, { field: `${at}.arguments`, stepId: id })
    const rawDeps = raw["dependsOn"] ?? []
    if (!Array.isArray(rawDeps)) return problem(`${at}.dependsOn must be an array`, { field: `${at}.dependsOn` })
    const deps: Dependency[] = []
    for (let j = 0; j < rawDeps.length; j++) {
      const d = rawDeps[j]
      const dat = `${at}.dependsOn[${j}]`
      if (!isRecord(d)) return problem(`${dat} must be an object`, { field: dat, stepId: id })
      const source = d["sourceStepId"]
      if (typeof source !== "string" || (source !== "$input_media" && !seen.has(source))) {
        return problem(`${dat}.sourceStepId must name an earlier step or "$input_media" (got ${JSON.stringify(source)})`, {
          field: `${dat}.sourceStepId`,
          stepId: id
        })
      }
      const target = d["targetArgument"]
      if (typeof target !== "string" || target.length === 0) {
        return problem(`${dat}.targetArgument must be a non-empty string`, { field: `${dat}.targetArgument`, stepId: id })
      }
      const transform = d["transform"]
      if (typeof transform !== "string" || !TRANSFORMS.has(transform)) {
        return problem(`${dat}.transform ${JSON.stringify(transform)} is not a known transform`, {
          field: `${dat}.transform`,
          stepId: id
        })
      }
      const mediaType = d["mediaType"]
      if (mediaType !== undefined && mediaType !== "image" && mediaType !== "video" && mediaType !== "audio") {
        return problem(`${dat}.mediaType must be image, video or audio`, { field: `${dat}.mediaType`, stepId: id })
      }
      const index = d["sourceArtifactIndex"]
      if (index !== undefined && !(typeof index === "number" && Number.isInteger(index) && index >= 0)) {
        return problem(`${dat}.sourceArtifactIndex must be a non-negative integer`, {
          field: `${dat}.sourceArtifactIndex`,
          stepId: id
        })
      }
      if (source === "$input_media") {
        const candidates = mediaReferences.filter((m) => mediaType === undefined || m["type"] === mediaType)
        if (candidates.length <= (typeof index === "number" ? index : 0) && d["required"] !== false) {
          return problem(`${dat} binds $input_media but media_references has no matching ${mediaType ?? "media"} entry`, {
            field: `${dat}.sourceStepId`,
            stepId: id
          })
        }
      }
      deps.push({
        sourceStepId: source,
        targetArgument: target,
        transform,
        ...(typeof d["sourceArtifactId"] === "string" ? { sourceArtifactId: d["sourceArtifactId"] } : {}),
        ...(typeof index === "number" ? { sourceArtifactIndex: index } : {}),
        ...(mediaType !== undefined ? { mediaType: mediaType as MediaKind } : {}),
        ...(typeof d["required"] === "boolean" ? { required: d["required"] } : {})
      })
    }
    const bound = new Set(deps.map((d) => d.targetArgument))
    if (PlatformTools.isHostedToolName(toolName)) {
      const properties = PlatformTools.argumentsSchema(toolName)["properties"]
      for (const target of bound) {
        if (!isRecord(properties) || !(target in properties)) {
          return problem(`Invalid ${toolName} arguments: dependsOn targets "${target}", which ${toolName} does not take`, {
            field: `${at}.dependsOn`,
            stepId: id
          })
        }
      }
      // Dependencies are bound before the required check: issues on bound arguments do not count.
      const checked = PlatformTools.validateEither(toolName, args)
      if (Either.isLeft(checked)) {
        const issues = checked.left.issues.filter((i) => !bound.has(i.field.split(/[.[]/)[0]!))
        if (issues.length > 0) {
          return problem(`Invalid ${toolName} arguments: ${issues.map((i) => i.message).join("; ")}`, {
            field: `${at}.arguments${issues[0]!.field === "" ? "" : `.${issues[0]!.field}`}`,
            rule: issues[0]!.rule,
            stepId: id
          })
        }
      }
    }
    if (toolName === "ask_clarifying_question" && typeof args["question"] !== "string") {
      return problem(`Invalid ask_clarifying_question arguments: Missing required argument "question"`, {
        field: `${at}.arguments.question`,
        stepId: id
      })
    }
    seen.add(id)
    out.push({ id, toolName, arguments: args, dependsOn: deps })
  }
  return out
}

/** Capacity units of one step (a coarse, documented estimate). */
const unitsOf = (step: PlannedStep): number => {
  const n = typeof step.arguments["numberOfVariations"] === "number" ? step.arguments["numberOfVariations"] : 1
  if (IMAGE_TOOLS.has(step.toolName)) return n
  if (VIDEO_TOOLS.has(step.toolName)) {
    const d = typeof step.arguments["duration"] === "number" ? step.arguments["duration"] : 5
    return 2 * d * n
  }
  if (AUDIO_TOOLS.has(step.toolName)) return 2 * n
  if (step.toolName === "image_to_3d") return 10
  return 0
}

// ---------------------------------------------------------------------------------------------
// Step execution
// ---------------------------------------------------------------------------------------------

class StepFailure {
  readonly _tag = "StepFailure"
  constructor(readonly error: StepError) {}
}

const stepError = (code: string, message: string, classification: string, retryable = false): StepError => ({
  code,
  message,
  classification,
  retryable
})

const directivesOf = (args: Record<string, unknown>) => {
  let slow = false
  let fail = false
  const visit = (v: unknown) => {
    if (typeof v === "string") {
      const { directives } = parseDirectives(v)
      slow ||= directives.slow
      fail ||= directives.fail
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (isRecord(v)) Object.values(v).forEach(visit)
  }
  visit(args)
  return { slow, fail }
}

/** An artifact's bytes (real media of emulator projects, or stored blobs). */
const artifactBytes = (world: World, artifact: Artifact): Effect.Effect<Blob | undefined> => {
  const source = artifact.source
  if (source._tag === "Blob") return Effect.succeed(registryOf(world).blobs.get(source.blobId))
  const project = world.projects.get(source.projectId)
  const slot = world.images.get(source.imgID)
  const job = slot === undefined ? undefined : project?.jobs[slot.jobIndex]
  if (project === undefined || job === undefined) return Effect.succeed(undefined)
  return Effect.map(mediaBytes(world, project, job, source.format), (m) => ({ bytes: m.bytes, contentType: m.contentType }))
}

/** Resolves an emulator media URL (`/_media/<project>/<imgID>.<ext>`) back to its bytes. */
const localMediaBytes = (world: World, url: string): Effect.Effect<Blob | undefined> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Effect.succeed(undefined)
  }
  if (`${parsed.protocol}//${parsed.host}` !== world.baseUrl) return Effect.succeed(undefined)
  const blob = /^\/_workflows\/blobs\/([^/]+)$/.exec(parsed.pathname)
  if (blob !== null) return Effect.succeed(registryOf(world).blobs.get(blob[1]!))
  const m = /^\/_media\/([^/]+)\/([^/.]+)\.(\w+)$/.exec(parsed.pathname)
  if (m === null) return Effect.succeed(undefined)
  return artifactBytes(world, {
    id: "",
    kind: "image",
    mimeType: "",
    stepId: "",
    toolName: "",
    source: { _tag: "Project", projectId: m[1]!, imgID: m[2]!, format: m[3]! }
  })
}

/** Fetches the bytes behind a media reference URL (emulator URLs locally, others over HTTP). */
const referenceBytes = (world: World, url: string): Effect.Effect<Blob | undefined> =>
  Effect.flatMap(localMediaBytes(world, url), (local) =>
    local !== undefined ? Effect.succeed(local) : Effect.tryPromise(async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      if (!response.ok) return undefined
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        contentType: (response.headers.get("content-type") ?? "application/octet-stream").split(";")[0]!
      }
    }).pipe(Effect.orElseSucceed(() => undefined)))

/** A value bound into a step argument, and the media it carries for execution. */
interface Binding {
  readonly value: unknown
  readonly media?: { readonly kind: MediaKind; readonly bytes: Effect.Effect<Blob | undefined> } | undefined
}

const kindOfMime = (mime: string): MediaKind | undefined =>
  mime.startsWith("image/") ? "image" : mime.startsWith("video/") ? "video" : mime.startsWith("audio/") ? "audio" : undefined

const resolveDependency = (
  world: World,
  wf: WorkflowState,
  dep: Dependency
): Either.Either<Binding | undefined, StepError> => {
  const required = dep.required !== false
  const index = dep.sourceArtifactIndex ?? 0
  const missing = (message: string) =>
    required ? Either.left(stepError("DEPENDENCY_FAILED", message, "validation")) : Either.right(undefined)
  if (dep.sourceStepId === "$input_media") {
    const candidates = wf.mediaReferences
      .map((m, i) => ({ m, i }))
      .filter(({ m }) => dep.mediaType === undefined || m["type"] === dep.mediaType)
    const hit = candidates[index]
    if (hit === undefined) return missing(`No ${dep.mediaType ?? "media"} reference #${index} to bind`)
    const url = typeof hit.m["url"] === "string" ? hit.m["url"] : ""
    const kind = (hit.m["type"] as MediaKind | undefined) ?? dep.mediaType ?? "image"
    const value = dep.transform.endsWith("_index") ? -(hit.i + 1) : url
    return Either.right({ value, media: { kind, bytes: referenceBytes(world, url) } })
  }
  const source = wf.steps.find((s) => s.id === dep.sourceStepId)
  if (source === undefined || source.status !== "completed") {
    return missing(`Step ${dep.sourceStepId} did not complete`)
  }
  const pool = source.artifacts.filter((a) =>
    (dep.sourceArtifactId === undefined || a.id === dep.sourceArtifactId) &&
    (dep.mediaType === undefined || a.kind === dep.mediaType)
  )
  const artifact = pool[index]
  if (artifact === undefined) {
    return missing(`Step ${dep.sourceStepId} has no ${dep.mediaType ?? "artifact"} #${index}`)
  }
  const media = artifact.kind === "image" || artifact.kind === "video" || artifact.kind === "audio"
    ? { kind: artifact.kind, bytes: artifactBytes(world, artifact) }
    : undefined
  switch (dep.transform) {
    case "image_index":
    case "video_index":
    case "audio_index":
      return Either.right({ value: wf.artifacts.filter((a) => a.kind === artifact.kind).indexOf(artifact), media })
    case "artifact_data_uri":
      return Either.right({ value: artifactUrl(world, artifact), media })
    case "subtitle_cues":
      return Either.right({ value: [{ startSeconds: 0, endSeconds: 2, text: `From ${source.id}` }] })
    case "subtitle_srt":
      return Either.right({ value: `1\n00:00:00,000 --> 00:00:02,000\nFrom ${source.id}\n` })
    case "overlay_items":
      return Either.right({ value: [{ kind: "text", text: `From ${source.id}`, position: "bottom" }] })
    case "asset_ref":
      return Either.right({ value: artifact.id })
    default:
      return Either.right({ value: artifactUrl(world, artifact), media })
  }
}

const bindArgument = (args: Record<string, unknown>, target: string, value: unknown) => {
  if (/Indices$|Urls$|urls$/.test(target)) {
    const existing = args[target]
    args[target] = [...(Array.isArray(existing) ? existing : []), value]
  } else {
    args[target] = value
  }
}

const IMAGE_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  "1:1": [768, 768],
  "16:9": [1024, 576],
  "9:16": [576, 1024],
  "4:3": [896, 672],
  "3:4": [672, 896],
  "3:2": [960, 640],
  "2:3": [640, 960]
}

const numberArg = (args: Record<string, unknown>, key: string): number | undefined => {
  const v = args[key]
  return typeof v === "number" && Number.isFinite(v) ? v : undefined
}

const stringArg = (args: Record<string, unknown>, key: string): string | undefined => {
  const v = args[key]
  return typeof v === "string" && v.length > 0 ? v : undefined
}

/** The `jobRequest` a hosted media step becomes. */
const jobRequestOf = (
  wf: WorkflowState,
  toolName: string,
  args: Record<string, unknown>,
  projectId: string,
  reference: Blob | undefined
): { readonly request: Protocol.JobRequest; readonly kind: MediaKind } => {
  const prompt = stringArg(args, "prompt") ?? stringArg(args, "description") ?? stringArg(args, "imagePrompt") ??
    `${toolName.replace(/_/g, " ")} result`
  const count = Math.max(1, Math.min(4, Math.floor(numberArg(args, "numberOfVariations") ?? 1)))
  const seed = numberArg(args, "seed")
  const base = {
    positivePrompt: prompt,
    negativePrompt: stringArg(args, "negativePrompt") ?? "",
    ...(seed !== undefined && seed >= 0 ? { seed: Math.floor(seed) >>> 0 } : {})
  }
  const common = { jobID: projectId, previews: 0, tokenType: wf.tokenType, network: "fast" as const }
  if (IMAGE_TOOLS.has(toolName)) {
    const model = (stringArg(args, "model") ?? "").startsWith("z-") ? "z_image_turbo_bf16" : "flux1-schnell-fp8"
    const [w, h] = numberArg(args, "width") !== undefined && numberArg(args, "height") !== undefined
      ? [numberArg(args, "width")!, numberArg(args, "height")!]
      : IMAGE_SIZES[stringArg(args, "aspectRatio") ?? "1:1"] ?? IMAGE_SIZES["1:1"]!
    const format = stringArg(args, "outputFormat") === "jpg" || stringArg(args, "outputFormat") === "jpeg" ? "jpg" : "png"
    return {
      kind: "image",
      request: {
        ...common,
        keyFrames: [{
          ...base,
          modelID: model,
          steps: model === "flux1-schnell-fp8" ? 4 : 8,
          guidanceScale: 1,
          sizePreset: "custom",
          width: w,
          height: h,
          ...(reference !== undefined ? { hasStartingImage: true, startingImageStrength: 0.5 } : {})
        }],
        numberOfImages: count,
        outputFormat: format
      }
    }
  }
  if (AUDIO_TOOLS.has(toolName)) {
    const duration = Math.max(10, Math.min(600, numberArg(args, "duration") ?? 10))
    return {
      kind: "audio",
      request: {
        ...common,
        keyFrames: [{
          ...base,
          modelID: "ace_step_1.5_turbo",
          steps: 8,
          duration,
          ...(numberArg(args, "bpm") !== undefined ? { bpm: numberArg(args, "bpm") } : {})
        }],
        numberOfImages: count,
        outputFormat: stringArg(args, "outputFormat") === "wav" ? "wav" : "mp3"
      }
    }
  }
  const selector = (stringArg(args, "videoModel") ?? "").toLowerCase()
  const withImage = reference !== undefined && kindOfMime(reference.contentType) === "image"
  const duration = Math.max(1, Math.min(10, numberArg(args, "duration") ?? 2))
  let keyFrame: Record<string, unknown>
  if (selector.startsWith("seedance")) {
    keyFrame = { modelID: "seedance-2-0", steps: 1, fps: 24, duration: Math.max(4, duration) }
  } else if (selector.startsWith("ltx")) {
    keyFrame = {
      modelID: withImage ? "ltx23-22b-fp8_i2v_distilled" : "ltx23-22b-fp8_t2v_distilled",
      steps: 8,
      fps: 24,
      duration
    }
  } else {
    keyFrame = {
      modelID: withImage ? "wan_v2.2-14b-fp8_i2v_lightx2v" : "wan_v2.2-14b-fp8_t2v_lightx2v",
      steps: 4,
      fps: 16,
      duration
    }
  }
  if (withImage) keyFrame["hasReferenceImage"] = true
  return {
    kind: "video",
    request: { ...common, keyFrames: [{ ...base, ...keyFrame }], numberOfImages: count, outputFormat: "mp4" }
  }
}

/** A connection object that is never registered in `world.connections`: admission refusals land in its outbox. */
const virtualConnection = (wf: WorkflowState, outbox: Queue.Queue<Outgoing>, inbox: Queue.Queue<Uint8Array>): Connection => ({
  id: `workflow-${wf.workflowId}`,
  appId: `creative-workflow-${wf.workflowId}`,
  account: wf.owner,
  // Nothing reaches for the socket of a connection that is not in `world.connections`.
  ws: undefined as unknown as WebSocket,
  connectedAt: wf.createTime,
  appSource: wf.appSource,
  clientSID: wf.owner.SID,
  network: "fast",
  subscriptions: new Map(),
  outbox,
  inbox,
  fiber: undefined,
  closed: false
})

const refusalOf = (outbox: Queue.Queue<Outgoing>): Effect.Effect<StepError> =>
  Effect.map(Queue.takeAll(outbox), (items) => {
    for (const item of items) {
      const decoded = Protocol.decodeServerFrame(item.text)
      if (Either.isRight(decoded) && decoded.right.type === "jobError") {
        const payload = decoded.right.payload as { readonly error?: unknown; readonly error_message?: unknown }
        const message = typeof payload.error_message === "string" ? payload.error_message : "The step was refused"
        return payload.error === 4024
          ? stepError("INSUFFICIENT_CREDIT", message, "billing")
          : stepError("INVALID_ARGUMENTS", message, "validation")
      }
    }
    return stepError("STEP_REFUSED", "The step's media job was refused", "unknown")
  })

/** Runs a media step as an emulator project and returns its artifacts. */
const runMediaStep = (
  world: World,
  wf: WorkflowState,
  step: StepState,
  args: Record<string, unknown>,
  reference: Blob | undefined
): Effect.Effect<Artifact[], StepFailure> =>
  Effect.gen(function*() {
    const projectId = Protocol.makeId()
    const { kind, request } = jobRequestOf(wf, step.toolName, args, projectId, reference)
    if (reference !== undefined && kindOfMime(reference.contentType) === "image") {
      const slot = kind === "image" ? "startingImage" : "referenceImage"
      world.uploads.set(
        projectId,
        new Map([[slot, {
          slot,
          kind: "image",
          contentType: reference.contentType,
          bytes: reference.bytes,
          imageId: undefined,
          owner: wf.owner.username,
          at: Date.now()
        }]])
      )
    }
    const outbox = yield* Queue.unbounded<Outgoing>()
    const inbox = yield* Queue.unbounded<Uint8Array>()
    const conn = virtualConnection(wf, outbox, inbox)
    yield* admitProject(world, conn, request)
    const project = world.projects.get(projectId)
    if (project === undefined) {
      world.uploads.delete(projectId)
      return yield* Effect.fail(new StepFailure(yield* refusalOf(outbox)))
    }
    step.projectId = projectId
    const progress = watchProgress(world, wf, step, project)
    yield* Effect.raceFirst(
      Fiber.await(project.fiber!),
      Effect.forever(progress.tick).pipe(Effect.as(undefined as never))
    ).pipe(
      Effect.onInterrupt(() => cancelProject(world, conn, projectId))
    )
    progress.settle()
    const done = project.jobs.filter((j) => j.status === "jobCompleted")
    if (done.length === 0) {
      const reason = project.jobs.find((j) => j.reason !== null)?.reason ?? "genfailure"
      return yield* Effect.fail(
        new StepFailure(stepError("GENERATION_FAILED", `The ${kind} render failed (${reason})`, "provider", true))
      )
    }
    return done.map((job): Artifact => {
      const format = project.outputFormat === "jpeg" ? "jpg" : project.outputFormat
      return {
        id: nextArtifactId(world),
        kind,
        mimeType: EXT_MIME[format] ?? "application/octet-stream",
        stepId: step.id,
        toolName: step.toolName,
        ...(kind !== "audio" ? { width: project.width, height: project.height } : {}),
        ...(kind === "video" && project.video !== undefined
          ? { durationSeconds: Math.round((project.video.outputFrames - 1) / project.video.fps * 100) / 100 }
          : {}),
        ...(kind === "audio" && project.audio !== undefined ? { durationSeconds: project.audio.duration } : {}),
        source: { _tag: "Project", projectId, imgID: job.imgID, format }
      }
    })
  })

const nextArtifactId = (world: World) => `art_${(++registryOf(world).serial).toString(36)}_${randomHex(3)}`

/** The progress fractions a media step reports, each exactly once: the event count never depends on timing. */
const PROGRESS_MILESTONES: ReadonlyArray<number> = [0.25, 0.5, 0.75]

/**
 * Progress of a media step: `tick` records a `workflow_progress` event for every milestone the project has
 * reached (polled, so several may be recorded at once); `settle` runs once the project is over, so a
 * completed step reports every milestone however the polls fell.
 */
const watchProgress = (world: World, wf: WorkflowState, step: StepState, project: Project) => {
  let next = 0
  const reach = (fraction: number) => {
    while (next < PROGRESS_MILESTONES.length && fraction >= PROGRESS_MILESTONES[next]!) {
      record(wf, "workflow_progress", {
        data: { stepId: step.id, toolName: step.toolName, progress: PROGRESS_MILESTONES[next]! }
      })
      next++
    }
  }
  const fraction = () => {
    const total = project.jobs.length * Math.max(1, project.stepCount)
    const performed = project.jobs.reduce(
      (n, j) => n + (j.status === "jobCompleted" ? project.stepCount : Math.min(project.stepCount, j.performedSteps)),
      0
    )
    return performed / total
  }
  return {
    tick: Effect.zipRight(Effect.sleep(simMillis(world, PROGRESS_POLL_MILLIS)), Effect.sync(() => reach(fraction()))),
    settle: () => reach(fraction())
  }
}

const storeBlob = (world: World, value: unknown, contentType: string): string => {
  const blobId = `blob_${randomHex(8)}`
  const bytes = contentType.startsWith("model/")
    ? value as Uint8Array
    : new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value, null, 2))
  registryOf(world).blobs.set(blobId, { bytes, contentType })
  return blobId
}

/** A minimal valid binary glTF (one triangle): what `image_to_3d` returns. */
const tinyGlb = (): Uint8Array => {
  const positions = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0])
  const bin = new Uint8Array(positions.buffer)
  const gltf = {
    asset: { version: "2.0", generator: "effect-sogni emulator" },
    buffers: [{ byteLength: bin.length }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: bin.length }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: "VEC3", min: [0, 0, 0], max: [1, 1, 0] }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    nodes: [{ mesh: 0 }],
    scenes: [{ nodes: [0] }],
    scene: 0
  }
  let json = new TextEncoder().encode(JSON.stringify(gltf))
  const jsonPadded = new Uint8Array(Math.ceil(json.length / 4) * 4).fill(0x20)
  jsonPadded.set(json)
  json = jsonPadded
  const total = 12 + 8 + json.length + 8 + bin.length
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  view.setUint32(0, 0x46546c67, true)
  view.setUint32(4, 2, true)
  view.setUint32(8, total, true)
  view.setUint32(12, json.length, true)
  view.setUint32(16, 0x4e4f534a, true)
  out.set(json, 20)
  view.setUint32(20 + json.length, bin.length, true)
  view.setUint32(24 + json.length, 0x004e4942, true)
  out.set(bin, 28 + json.length)
  return out
}

/** Runs a non-media step (analysis, asset bookkeeping, 3D, finalize) and returns its artifacts. */
const runTextStep = (
  world: World,
  step: StepState,
  args: Record<string, unknown>,
  slow: boolean
): Effect.Effect<Artifact[]> =>
  Effect.gen(function*() {
    yield* Effect.sleep(simMillis(world, slow ? TEXT_STEP_MILLIS * 8 : TEXT_STEP_MILLIS))
    if (step.toolName === "image_to_3d") {
      const blobId = storeBlob(world, tinyGlb(), "model/gltf-binary")
      return [{
        id: nextArtifactId(world),
        kind: "model",
        mimeType: "model/gltf-binary",
        stepId: step.id,
        toolName: step.toolName,
        source: { _tag: "Blob", blobId }
      }]
    }
    const result = step.toolName === "finalize_response"
      ? { outcome: args["outcome"] ?? "success", summary: args["summary"] ?? "" }
      : { tool: step.toolName, arguments: args, summary: `${step.toolName.replace(/_/g, " ")} done` }
    const blobId = storeBlob(world, result, "application/json")
    return [{
      id: nextArtifactId(world),
      kind: "json",
      mimeType: "application/json",
      stepId: step.id,
      toolName: step.toolName,
      source: { _tag: "Blob", blobId }
    }]
  })

/** Pauses the workflow in `waiting_for_user` until resume (or cancel). */
const waitForUser = (
  wf: WorkflowState,
  reason: string,
  data: Record<string, unknown>,
  options: { readonly costApproval: boolean }
): Effect.Effect<"resume" | "cancel"> =>
  Effect.gen(function*() {
    const deferred = yield* Deferred.make<"resume" | "cancel">()
    wf.gate = { reason, deferred }
    wf.waitingReason = reason
    wf.awaitingCostApproval = options.costApproval
    record(wf, "workflow_waiting_for_user", {
      status: "waiting_for_user",
      message: options.costApproval ? "Waiting for cost approval" : "Waiting for the user",
      data: { reason, ...data }
    })
    const decision = yield* Deferred.await(deferred)
    wf.gate = undefined
    wf.waitingReason = undefined
    wf.awaitingCostApproval = false
    return decision
  })

const failStep = (wf: WorkflowState, step: StepState, error: StepError) => {
  step.status = "failed"
  step.error = error
  step.endedAt = Date.now()
  record(wf, "step_failed", {
    message: error.message,
    data: { stepId: step.id, toolName: step.toolName, error: { ...error, stepId: step.id, toolName: step.toolName } }
  })
}

/** Executes one step: binds its dependencies, then runs it. */
const runStep = (world: World, wf: WorkflowState, step: StepState): Effect.Effect<"ok" | "cancelled"> =>
  Effect.gen(function*() {
    step.status = "running"
    step.startedAt = Date.now()
    record(wf, "step_started", { data: { stepId: step.id, toolName: step.toolName, sequence: step.sequence } })
    const args: Record<string, unknown> = structuredClone(step.arguments)
    let reference: Effect.Effect<Blob | undefined> | undefined
    for (const dep of step.dependsOn) {
      const bound = resolveDependency(world, wf, dep)
      if (Either.isLeft(bound)) {
        failStep(wf, step, bound.left)
        return "ok"
      }
      if (bound.right === undefined) continue
      bindArgument(args, dep.targetArgument, bound.right.value)
      if (bound.right.media !== undefined && reference === undefined && bound.right.media.kind === "image") {
        reference = bound.right.media.bytes
      }
    }
    step.boundArguments = args
    const { fail, slow } = directivesOf(args)
    if (step.toolName === "ask_clarifying_question") {
      step.status = "waiting_for_user"
      record(wf, "step_waiting_for_user", {
        message: String(args["question"]),
        data: { stepId: step.id, toolName: step.toolName, question: args["question"] }
      })
      const decision = yield* waitForUser(wf, "ask_clarifying_question", {
        stepId: step.id,
        question: args["question"]
      }, { costApproval: false })
      if (decision === "cancel") return "cancelled"
      record(wf, "workflow_progress", { status: "running", message: "Workflow resumed", data: { resumed: true } })
    }
    const referenceBlob = reference === undefined ? undefined : yield* reference
    if (reference !== undefined && referenceBlob === undefined) {
      failStep(wf, step, stepError("MEDIA_NOT_RETRIEVABLE", "The bound input media could not be retrieved", "validation"))
      return "ok"
    }
    const isMedia = IMAGE_TOOLS.has(step.toolName) || VIDEO_TOOLS.has(step.toolName) || AUDIO_TOOLS.has(step.toolName)
    const outcome = yield* Effect.either(
      isMedia
        ? runMediaStep(world, wf, step, args, referenceBlob)
        : fail
        ? Effect.zipRight(
          Effect.sleep(simMillis(world, TEXT_STEP_MILLIS)),
          Effect.fail(
            new StepFailure(stepError("TOOL_FAILED", `${step.toolName} failed (requested by [[fail]])`, "provider", true))
          )
        )
        : runTextStep(world, step, args, slow)
    )
    if (Either.isLeft(outcome)) {
      failStep(wf, step, outcome.left.error)
      return "ok"
    }
    step.artifacts = outcome.right
    for (const artifact of outcome.right) {
      wf.artifacts.push(artifact)
      record(wf, "artifact_created", {
        data: { stepId: step.id, toolName: step.toolName, artifact: renderArtifact(world, artifact) }
      })
    }
    step.status = "completed"
    step.endedAt = Date.now()
    record(wf, "step_completed", {
      message: `${step.id} done`,
      data: {
        stepId: step.id,
        toolName: step.toolName,
        artifacts: outcome.right.map((a) => renderArtifact(world, a))
      }
    })
    return "ok"
  })

/** The whole life of a workflow. */
const execute = (world: World, wf: WorkflowState): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Effect.sleep(simMillis(world, 20))
    record(wf, "workflow_started", { status: "running", message: "Workflow started" })
    if (wf.awaitingCostApproval) {
      const decision = yield* waitForUser(wf, "cost_approval_required", {
        estimatedCapacityUnits: wf.estimatedCapacityUnits,
        tokenType: wf.tokenType
      }, { costApproval: true })
      if (decision === "cancel") {
        record(wf, "workflow_cancelled", { status: "cancelled", message: "Cost declined; workflow cancelled" })
        return
      }
      record(wf, "workflow_progress", { status: "running", message: "Cost approved", data: { costApproved: true } })
    }
    for (const step of wf.steps) {
      const result = yield* runStep(world, wf, step)
      if (result === "cancelled") return
    }
    const failed = wf.steps.filter((s) => s.status === "failed")
    const completed = wf.steps.filter((s) => s.status === "completed")
    if (failed.length === 0) {
      record(wf, "workflow_completed", {
        status: "completed",
        message: "Workflow completed",
        data: { artifactCount: wf.artifacts.length }
      })
    } else if (completed.length > 0) {
      wf.error = stepError("PARTIAL_FAILURE", `${failed.length} of ${wf.steps.length} steps failed`, "provider")
      record(wf, "workflow_completed", {
        status: "partial_failure",
        message: `Workflow finished with ${failed.length} failed step(s)`,
        data: { failedSteps: failed.map((s) => s.id), artifactCount: wf.artifacts.length }
      })
    } else {
      wf.error = failed[0]!.error
      record(wf, "workflow_failed", {
        status: "failed",
        message: "Every step failed",
        data: { error: failed[0]!.error, failedSteps: failed.map((s) => s.id) }
      })
    }
  })

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

type Handler = Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext
>

const errorBody = (
  status: number,
  message: string,
  options: { readonly errorCode?: number; readonly details?: Record<string, unknown> } = {}
) =>
  HttpServerResponse.unsafeJson(
    {
      status: "error",
      message,
      errorCode: options.errorCode ?? status,
      ...(options.details !== undefined ? { details: options.details } : {})
    },
    { status }
  )

const success = (data: unknown, status = 200) => HttpServerResponse.unsafeJson({ status: "success", data }, { status })
const bare = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

const urlOf = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, "http://emulator.invalid")

const withAccount = (
  world: World,
  f: (
    account: AccountState,
    request: HttpServerRequest.HttpServerRequest,
    params: Readonly<Record<string, string | undefined>>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse>
): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpRouter.params
    const credential = readCredential(world, request.headers)
    if (credential._tag === "None") return errorBody(401, "Authentication required", { errorCode: 4021 })
    if (credential._tag === "Invalid") return errorBody(401, "Invalid API key or token", { errorCode: 4021 })
    const decoded: Record<string, string | undefined> = {}
    for (const [k, v] of Object.entries(params)) {
      try {
        decoded[k] = v === undefined ? undefined : decodeURIComponent(v)
      } catch {
        decoded[k] = v
      }
    }
    return yield* f(credential.account, request, decoded)
  })

/** A JSON object body (`{}` when empty), or a 400 response. */
const objectBody = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.flatMap(Effect.either(request.text), (text) => {
    if (Either.isLeft(text)) return Effect.fail(errorBody(400, "Could not read the request body"))
    if (text.right.trim() === "") return Effect.succeed({} as Record<string, unknown>)
    try {
      const parsed: unknown = JSON.parse(text.right)
      return isRecord(parsed) ? Effect.succeed(parsed) : Effect.fail(errorBody(400, "The request body must be a JSON object"))
    } catch {
      return Effect.fail(errorBody(400, "The request body is not JSON"))
    }
  })

const withBody = (
  request: HttpServerRequest.HttpServerRequest,
  f: (body: Record<string, unknown>) => Effect.Effect<HttpServerResponse.HttpServerResponse>
) => Effect.matchEffect(objectBody(request), { onFailure: Effect.succeed, onSuccess: f })

const ownWorkflow = (world: World, account: AccountState, id: string | undefined) => {
  const wf = id === undefined ? undefined : registryOf(world).workflows.get(id)
  return wf !== undefined && wf.owner === account ? wf : undefined
}

const notFoundWorkflow = (id: string | undefined) => errorBody(404, `Workflow ${id ?? ""} not found`, { errorCode: 4004 })

const activeCount = (world: World, account: AccountState) => {
  let n = 0
  for (const wf of registryOf(world).workflows.values()) if (wf.owner === account && !TERMINAL.has(wf.status)) n++
  return n
}

const TEMPLATE_INPUT = /^\$inputs\.([A-Za-z0-9_-]{1,64})$/

/** Substitutes `$inputs.<name>` placeholders (whole-string values) with the resolved inputs. */
const substitute = (value: unknown, inputs: Readonly<Record<string, unknown>>): unknown => {
  if (typeof value === "string") {
    const m = TEMPLATE_INPUT.exec(value)
    return m === null ? value : inputs[m[1]!]
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, inputs))
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, inputs)]))
  return value
}

/** Turns a template and its inputs into an inline plan, or a 400 message. */
const planOfTemplate = (template: Template, rawInputs: unknown): { readonly title: string; readonly steps: unknown[] } | string => {
  const inputs = isRecord(rawInputs) ? rawInputs : {}
  const declared = Array.isArray(template.body["inputs"]) ? template.body["inputs"] as unknown[] : []
  const resolved: Record<string, unknown> = {}
  for (const d of declared) {
    if (!isRecord(d) || typeof d["name"] !== "string") continue
    const name = d["name"]
    const value = inputs[name] ?? d["default"]
    if (value === undefined && d["required"] === true) return `Missing required template input "${name}"`
    if (value !== undefined) resolved[name] = value
  }
  for (const name of Object.keys(inputs)) {
    if (!declared.some((d) => isRecord(d) && d["name"] === name)) return `Unknown template input "${name}"`
  }
  const stages = Array.isArray(template.body["stages"]) ? template.body["stages"] as unknown[] : []
  const steps: unknown[] = []
  for (const stage of stages) {
    if (!isRecord(stage)) continue
    if (stage["type"] !== undefined && stage["type"] !== "fixed") {
      return `Template stage ${String(stage["id"])} of type ${String(stage["type"])} cannot run as a durable step in the emulator`
    }
    steps.push({
      id: stage["id"],
      toolName: stage["tool"],
      arguments: substitute(stage["args"] ?? {}, resolved),
      ...(Array.isArray(stage["dependsOn"]) ? { dependsOn: stage["dependsOn"] } : {})
    })
  }
  if (steps.length === 0) return `Template ${template.id} has no runnable stages`
  return { title: String(template.body["name"] ?? template.id), steps }
}

const optionalString = (body: Record<string, unknown>, key: string) =>
  typeof body[key] === "string" ? body[key] as string : undefined

/** Creates and launches a workflow; a 4xx response when the request is refused. */
const launch = (
  world: World,
  account: AccountState,
  body: Record<string, unknown>,
  extra: {
    readonly clonedFromRunId?: string
    readonly seeds?: Record<string, number>
    readonly attributionAppSource?: string | undefined
  } = {}
): Either.Either<WorkflowState, HttpServerResponse.HttpServerResponse> => {
  const registry = registryOf(world)
  const hasInput = body["input"] !== undefined && body["input"] !== null
  const hasTemplate = body["workflow_id"] !== undefined && body["workflow_id"] !== null
  if (hasInput === hasTemplate) {
    return Either.left(errorBody(400, "Send exactly one of input (an inline plan) or workflow_id (a saved template)", {
      errorCode: 4000
    }))
  }
  const rawRefs = body["media_references"] ?? []
  if (!Array.isArray(rawRefs)) return Either.left(errorBody(400, "media_references must be an array"))
  const mediaReferences = rawRefs.filter(isRecord)
  for (let i = 0; i < mediaReferences.length; i++) {
    const url = mediaReferences[i]!["url"]
    if (typeof url === "string" && url.length > 0 && !/^https?:\/\//i.test(url)) {
      return Either.left(errorBody(400, `media_references[${i}].url must be an http(s) URL`, { errorCode: 4000 }))
    }
  }
  let title: string | undefined
  let input: unknown
  let rawSteps: unknown
  let templateId: string | undefined
  if (hasTemplate) {
    templateId = String(body["workflow_id"])
    const template = registry.templates.get(templateId)
    if (template === undefined || (template.owner !== account.username && template.body["visibility"] !== "public")) {
      return Either.left(errorBody(404, `Workflow template ${templateId} not found`, { errorCode: 4004 }))
    }
    const plan = planOfTemplate(template, body["inputs"])
    if (typeof plan === "string") return Either.left(errorBody(400, plan, { errorCode: 4000 }))
    title = plan.title
    input = { title: plan.title, steps: plan.steps }
    rawSteps = plan.steps
  } else {
    if (!isRecord(body["input"])) return Either.left(errorBody(400, "input must be an object"))
    input = body["input"]
    title = optionalString(body["input"], "title")
    rawSteps = body["input"]["steps"]
  }
  const planned = validatePlan(rawSteps, mediaReferences)
  if (!Array.isArray(planned)) {
    const p = planned as PlanProblem
    return Either.left(errorBody(400, p.message, { errorCode: 4000, details: p.details }))
  }
  const estimate = planned.reduce((n, s) => n + unitsOf(s), 0)
  const max = body["max_estimated_capacity_units"]
  if (max !== undefined && (typeof max !== "number" || !(max >= 0))) {
    return Either.left(errorBody(400, "max_estimated_capacity_units must be a non-negative number"))
  }
  if (typeof max === "number" && estimate > max) {
    return Either.left(errorBody(400, `The plan is estimated at ${estimate} capacity units, above the ceiling of ${max}`, {
      errorCode: 4002,
      details: { estimatedCapacityUnits: estimate, maxEstimatedCapacityUnits: max }
    }))
  }
  const active = activeCount(world, account)
  if (active >= MAX_ACTIVE_WORKFLOWS) {
    return Either.left(
      errorBody(409, `Too many active workflows (${active} of ${MAX_ACTIVE_WORKFLOWS}); wait for one to finish`, {
        errorCode: 4009,
        details: { activeWorkflows: active, limit: MAX_ACTIVE_WORKFLOWS }
      })
    )
  }
  const tokenType = body["token_type"] === "sogni" ? "sogni" : "spark"
  const seeds = extra.seeds ?? {}
  const now = Date.now()
  const workflowId = `wf_${randomHex(6)}`
  const wf: WorkflowState = {
    workflowId,
    owner: account,
    status: "queued",
    title,
    input,
    steps: planned.map((s, sequence): StepState => ({
      id: s.id,
      sequence,
      toolName: s.toolName,
      arguments: seeds[s.id] !== undefined ? { ...s.arguments, seed: seeds[s.id] } : s.arguments,
      dependsOn: s.dependsOn,
      status: "queued",
      artifacts: [],
      projectId: undefined,
      boundArguments: undefined,
      error: undefined,
      startedAt: undefined,
      endedAt: undefined
    })),
    events: [],
    artifacts: [],
    mediaReferences,
    tokenType,
    billingMode: optionalString(body, "billing_mode"),
    appSource: optionalString(body, "app_source") ?? extra.attributionAppSource,
    safeContentFilter: body["safe_content_filter"] !== false,
    estimatedCapacityUnits: estimate,
    maxEstimatedCapacityUnits: typeof max === "number" ? max : undefined,
    templateId,
    inputs: hasTemplate ? body["inputs"] ?? {} : undefined,
    clonedFromRunId: extra.clonedFromRunId,
    seeds,
    awaitingCostApproval: estimate > COST_APPROVAL_THRESHOLD && body["confirm_cost"] !== true,
    waitingReason: undefined,
    gate: undefined,
    error: undefined,
    resumeCount: 0,
    createTime: now,
    updateTime: now,
    completedAt: undefined,
    subscribers: new Set(),
    fiber: undefined
  }
  registry.workflows.set(workflowId, wf)
  wf.fiber = world.run(
    execute(world, wf).pipe(Effect.catchAllCause((cause) => Effect.logError(`workflow ${workflowId} failed`, cause)))
  )
  return Either.right(wf)
}

const fingerprint = (body: unknown) => JSON.stringify(body)

const attributionOf = (request: HttpServerRequest.HttpServerRequest) => {
  const v = request.headers["x-app-source"]
  return typeof v === "string" && v.length > 0 ? v : undefined
}

const start = (world: World): Handler =>
  withAccount(world, (account, request) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const registry = registryOf(world)
        const key = request.headers["idempotency-key"]
        const scopedKey = typeof key === "string" && key.length > 0 ? `${account.username}|${key}` : undefined
        if (scopedKey !== undefined) {
          const seen = registry.idempotency.get(scopedKey)
          if (seen !== undefined) {
            if (seen.fingerprint !== fingerprint(body)) {
              return errorBody(409, "This Idempotency-Key was already used with a different request", {
                errorCode: 4009,
                details: { workflowId: seen.workflowId }
              })
            }
            const wf = registry.workflows.get(seen.workflowId)
            if (wf !== undefined) return success({ workflow: renderWorkflow(world, wf), idempotent: true })
          }
        }
        const launched = launch(world, account, body, { attributionAppSource: attributionOf(request) })
        if (Either.isLeft(launched)) return launched.left
        if (scopedKey !== undefined) {
          registry.idempotency.set(scopedKey, { workflowId: launched.right.workflowId, fingerprint: fingerprint(body) })
        }
        return success({ workflow: renderWorkflow(world, launched.right) }, 201)
      })))

const intParam = (raw: string | null): number | undefined => {
  if (raw === null || raw.trim() === "") return undefined
  const n = Number(raw)
  return Number.isFinite(n) ? Math.floor(n) : undefined
}

const list = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.sync(() => {
      const url = urlOf(request)
      const limit = Math.max(1, Math.min(100, intParam(url.searchParams.get("limit")) ?? 20))
      const offset = Math.max(0, intParam(url.searchParams.get("offset")) ?? 0)
      const own = [...registryOf(world).workflows.values()]
        .filter((wf) => wf.owner === account)
        .sort((a, b) => b.createTime - a.createTime || b.workflowId.localeCompare(a.workflowId))
      const page = own.slice(offset, offset + limit)
      return success({
        workflows: page.map((wf) => renderWorkflow(world, wf)),
        next: offset + limit < own.length ? offset + limit : null
      })
    }))

const get = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const wf = ownWorkflow(world, account, params["workflowId"])
      return wf === undefined ? notFoundWorkflow(params["workflowId"]) : success({ workflow: renderWorkflow(world, wf) })
    }))

const events = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const wf = ownWorkflow(world, account, params["workflowId"])
      return wf === undefined ? notFoundWorkflow(params["workflowId"]) : success({ events: wf.events })
    }))

const encoder = new TextEncoder()

const frameOf = (event: WorkflowEvent): Uint8Array =>
  encoder.encode(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)

const HEARTBEAT = encoder.encode(": keepalive\n\n")

const streamEvents = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    Effect.sync(() => {
      const wf = ownWorkflow(world, account, params["workflowId"])
      if (wf === undefined) return notFoundWorkflow(params["workflowId"])
      const url = urlOf(request)
      const header = request.headers["last-event-id"]
      const rawCursor = url.searchParams.get("after") ?? (typeof header === "string" ? header : null)
      const parsed = rawCursor === null ? NaN : Number.parseInt(rawCursor, 10)
      const cursor = Number.isFinite(parsed) ? parsed : 0
      const budget = takeDrop(world, url.pathname)

      const events = Stream.unwrapScoped(Effect.gen(function*() {
        const queue = yield* Queue.unbounded<WorkflowEvent>()
        // Snapshot and subscribe in one synchronous step: no event can fall between them.
        const backlog = wf.events.filter((e) => e.sequence > cursor)
        const finished = TERMINAL.has(wf.status)
        if (!finished) {
          wf.subscribers.add(queue)
          yield* Effect.addFinalizer(() => Effect.sync(() => wf.subscribers.delete(queue)))
        }
        const last = backlog.length > 0 ? backlog[backlog.length - 1]!.sequence : cursor
        const live = finished
          ? Stream.empty
          : Stream.fromQueue(queue).pipe(Stream.filter((e) => e.sequence > last))
        return Stream.concat(Stream.fromIterable(backlog), live).pipe(
          Stream.takeUntil((e) => TERMINAL.has(e.status))
        )
      }))
      const heartbeats = Stream.repeatEffect(
        Effect.as(Effect.sleep(Math.max(20, simMillis(world, HEARTBEAT_MILLIS))), HEARTBEAT)
      )
      let body: Stream.Stream<Uint8Array> = Stream.merge(
        Stream.concat(Stream.make(HEARTBEAT), Stream.map(events, frameOf)),
        heartbeats,
        { haltStrategy: "left" }
      )
      if (budget !== undefined) {
        let left = budget
        const response = NodeHttpServerRequest.toServerResponse(request)
        const cut = Stream.fromEffect(
          Effect.zipRight(Effect.sleep(10), Effect.sync(() => response.destroy()))
        ).pipe(Stream.drain, Stream.concat(Stream.never))
        body = body.pipe(
          Stream.map((bytes) => {
            if (bytes.length <= left) {
              left -= bytes.length
              return bytes
            }
            const part = bytes.subarray(0, left)
            left = 0
            return part
          }),
          Stream.takeUntil(() => left <= 0),
          Stream.concat(Stream.suspend(() => (left <= 0 ? cut : Stream.empty)))
        )
      }
      return HttpServerResponse.stream(body, {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" }
      })
    }))

const resume = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, () =>
      Effect.gen(function*() {
        const wf = ownWorkflow(world, account, params["workflowId"])
        if (wf === undefined) return notFoundWorkflow(params["workflowId"])
        if (TERMINAL.has(wf.status)) {
          return errorBody(409, `Workflow ${wf.workflowId} is ${wf.status}; it cannot be resumed`, { errorCode: 4009 })
        }
        if (wf.awaitingCostApproval) {
          return errorBody(409, "This workflow is waiting for cost approval: use confirm-cost", { errorCode: 4009 })
        }
        const gate = wf.gate
        if (wf.status !== "waiting_for_user" || gate === undefined) {
          return success({ workflow: renderWorkflow(world, wf), resumed: false }, 202)
        }
        wf.resumeCount += 1
        yield* Deferred.succeed(gate.deferred, "resume")
        // Let the engine record the resume before answering, so the record shows `running`.
        yield* Effect.yieldNow()
        return success({ workflow: renderWorkflow(world, wf), resumed: true }, 202)
      })))

const cancel = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.gen(function*() {
      const wf = ownWorkflow(world, account, params["workflowId"])
      if (wf === undefined) return notFoundWorkflow(params["workflowId"])
      if (TERMINAL.has(wf.status)) return success({ workflow: renderWorkflow(world, wf), cancelled: false })
      if (wf.fiber !== undefined) yield* Fiber.interrupt(wf.fiber)
      if (TERMINAL.has(wf.status)) return success({ workflow: renderWorkflow(world, wf), cancelled: false })
      for (const step of wf.steps) {
        if (step.status === "running" || step.status === "waiting_for_user") {
          failStep(wf, step, stepError("USER_CANCELLED", "Cancelled by user", "cancelled"))
        } else if (step.status === "queued") {
          step.status = "cancelled"
        }
      }
      wf.gate = undefined
      wf.waitingReason = undefined
      wf.awaitingCostApproval = false
      record(wf, "workflow_cancelled", { status: "cancelled", message: "Workflow cancelled" })
      return success({ workflow: renderWorkflow(world, wf), cancelled: true })
    }))

const confirmCost = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.gen(function*() {
        const wf = ownWorkflow(world, account, params["workflowId"])
        if (wf === undefined) return notFoundWorkflow(params["workflowId"])
        const decision = body["decision"] ?? "confirm"
        if (decision !== "confirm" && decision !== "cancel") {
          return errorBody(400, `decision must be "confirm" or "cancel" (got ${JSON.stringify(decision)})`)
        }
        const gate = wf.gate
        if (!wf.awaitingCostApproval || gate === undefined) {
          return errorBody(409, `Workflow ${wf.workflowId} is not waiting for cost approval`, { errorCode: 4009 })
        }
        const accepted = body["acceptedCostPreview"]
        if (
          isRecord(accepted) && typeof accepted["estimatedCapacityUnits"] === "number" &&
          accepted["estimatedCapacityUnits"] !== wf.estimatedCapacityUnits
        ) {
          return errorBody(409, "The accepted cost preview is stale", {
            errorCode: 4009,
            details: { estimatedCapacityUnits: wf.estimatedCapacityUnits }
          })
        }
        yield* Deferred.succeed(gate.deferred, decision === "confirm" ? "resume" : "cancel")
        if (wf.fiber !== undefined && decision === "cancel") yield* Fiber.await(wf.fiber)
        yield* Effect.yieldNow()
        return success({ workflow: renderWorkflow(world, wf), confirmed: decision === "confirm" })
      })))

const reseed = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const registry = registryOf(world)
        const source = ownWorkflow(world, account, params["workflowId"])
        if (source === undefined) return notFoundWorkflow(params["workflowId"])
        if (source.status !== "completed" && source.status !== "partial_failure") {
          return errorBody(409, `Only completed or partial_failure workflows can be reseeded (this one is ${source.status})`, {
            errorCode: 4009
          })
        }
        const key = request.headers["idempotency-key"]
        const scopedKey = typeof key === "string" && key.length > 0 ? `${account.username}|${key}` : undefined
        const overrides = isRecord(body["seed_overrides"]) ? body["seed_overrides"] : {}
        for (const [stepId, seed] of Object.entries(overrides)) {
          if (!source.steps.some((s) => s.id === stepId)) {
            return errorBody(400, `seed_overrides names unknown step ${stepId}`, { errorCode: 4000 })
          }
          if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) {
            return errorBody(400, `seed_overrides.${stepId} must be a non-negative integer`, { errorCode: 4000 })
          }
        }
        const stepsOf = (wf: WorkflowState) =>
          wf.steps.map((s) => ({ id: s.id, toolName: s.toolName, seed: wf.seeds[s.id] }))
        if (scopedKey !== undefined) {
          const seen = registry.reseeds.get(scopedKey)
          const clone = seen === undefined ? undefined : registry.workflows.get(seen.workflowId)
          if (clone !== undefined) {
            return success({
              workflow: renderWorkflow(world, clone),
              reseed: { cloned_from_run_id: source.workflowId, steps: stepsOf(clone) },
              idempotent: true
            })
          }
        }
        const seeds: Record<string, number> = {}
        for (const step of source.steps) {
          seeds[step.id] = typeof overrides[step.id] === "number"
            ? overrides[step.id] as number
            : (Math.random() * 0xffffffff) >>> 0
        }
        const launched = launch(world, account, {
          input: source.input,
          token_type: body["token_type"] ?? source.tokenType,
          ...(body["billing_mode"] !== undefined ? { billing_mode: body["billing_mode"] } : {}),
          app_source: body["app_source"] ?? source.appSource,
          safe_content_filter: source.safeContentFilter,
          confirm_cost: true,
          media_references: source.mediaReferences
        }, { clonedFromRunId: source.workflowId, seeds, attributionAppSource: attributionOf(request) })
        if (Either.isLeft(launched)) return launched.left
        if (scopedKey !== undefined) {
          registry.reseeds.set(scopedKey, { workflowId: launched.right.workflowId, sourceId: source.workflowId })
        }
        return success({
          workflow: renderWorkflow(world, launched.right),
          reseed: { cloned_from_run_id: source.workflowId, steps: stepsOf(launched.right) }
        }, 201)
      })))

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

const visibleTemplate = (template: Template, account: AccountState) =>
  template.owner === account.username || template.body["visibility"] === "public"

const renderTemplate = (template: Template) => ({
  ...template.body,
  id: template.id,
  createdAt: template.body["createdAt"] ?? iso(template.createdAt),
  updatedAt: iso(template.updatedAt)
})

const templateProblem = (body: Record<string, unknown>, partial: boolean): string | undefined => {
  const name = body["name"]
  if ((!partial || name !== undefined) && (typeof name !== "string" || name.trim().length === 0)) {
    return "name must be a non-empty string"
  }
  const visibility = body["visibility"]
  if (visibility !== undefined && visibility !== "private" && visibility !== "public" && visibility !== "team") {
    return "visibility must be private, public or team"
  }
  const inputs = body["inputs"]
  if (inputs !== undefined) {
    if (!Array.isArray(inputs)) return "inputs must be an array"
    for (const [i, input] of inputs.entries()) {
      if (!isRecord(input) || typeof input["name"] !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(input["name"])) {
        return `inputs[${i}].name must be 1-64 letters, digits, _ or -`
      }
      const types = ["image", "audio", "video", "text", "number", "select", "boolean"]
      if (!types.includes(String(input["type"]))) return `inputs[${i}].type must be one of ${types.join(", ")}`
    }
  }
  if (body["stages"] !== undefined && !Array.isArray(body["stages"])) return "stages must be an array"
  return undefined
}

const listTemplates = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.sync(() => {
      const url = urlOf(request)
      const visibility = url.searchParams.get("visibility") ?? "all"
      if (!["own", "public", "all"].includes(visibility)) {
        return errorBody(400, "visibility must be own, public or all")
      }
      const limit = Math.max(1, Math.min(200, intParam(url.searchParams.get("limit")) ?? 50))
      const offset = Math.max(0, intParam(url.searchParams.get("offset")) ?? 0)
      const all = [...registryOf(world).templates.values()]
        .filter((t) =>
          visibility === "own"
            ? t.owner === account.username
            : visibility === "public"
            ? t.body["visibility"] === "public"
            : visibleTemplate(t, account)
        )
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      return success({
        templates: all.slice(offset, offset + limit).map(renderTemplate),
        next: offset + limit < all.length ? offset + limit : null
      })
    }))

const getTemplate = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const template = registryOf(world).templates.get(params["templateId"] ?? "")
      return template === undefined || !visibleTemplate(template, account)
        ? errorBody(404, `Workflow template ${params["templateId"]} not found`, { errorCode: 4004 })
        : success({ template: renderTemplate(template) })
    }))

const createTemplate = (world: World): Handler =>
  withAccount(world, (account, request) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const invalid = templateProblem(body, false)
        if (invalid !== undefined) return errorBody(400, invalid, { errorCode: 4000 })
        const now = Date.now()
        const id = `tpl_${randomHex(6)}`
        const template: Template = {
          id,
          owner: account.username,
          createdAt: now,
          updatedAt: now,
          body: {
            version: "1.0.0",
            description: "",
            visibility: "private",
            ...body,
            id,
            author: { userId: account.username, displayName: account.username },
            createdAt: iso(now)
          }
        }
        registryOf(world).templates.set(id, template)
        return success({ template: renderTemplate(template) }, 201)
      })))

const ownTemplate = (world: World, account: AccountState, id: string | undefined) => {
  const template = id === undefined ? undefined : registryOf(world).templates.get(id)
  if (template === undefined || !visibleTemplate(template, account)) {
    return errorBody(404, `Workflow template ${id} not found`, { errorCode: 4004 })
  }
  if (template.owner !== account.username) {
    return errorBody(403, `Workflow template ${id} belongs to someone else; fork it to change it`, { errorCode: 4003 })
  }
  return template
}

const updateTemplate = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const template = ownTemplate(world, account, params["templateId"])
        if (!("id" in template && "owner" in template)) return template
        const invalid = templateProblem(body, true)
        if (invalid !== undefined) return errorBody(400, invalid, { errorCode: 4000 })
        const { author: _author, createdAt: _createdAt, id: _id, ...changes } = body
        template.body = { ...template.body, ...changes }
        template.updatedAt = Date.now()
        return success({ template: renderTemplate(template) })
      })))

const deleteTemplate = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const template = ownTemplate(world, account, params["templateId"])
      if (!("id" in template && "owner" in template)) return template
      registryOf(world).templates.delete(template.id)
      return success({ deleted: true, id: template.id })
    }))

const forkTemplate = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const source = registryOf(world).templates.get(params["templateId"] ?? "")
        if (source === undefined || !visibleTemplate(source, account)) {
          return errorBody(404, `Workflow template ${params["templateId"]} not found`, { errorCode: 4004 })
        }
        const newName = body["newName"]
        if (newName !== undefined && (typeof newName !== "string" || newName.trim().length === 0)) {
          return errorBody(400, "newName must be a non-empty string", { errorCode: 4000 })
        }
        const now = Date.now()
        const id = `tpl_${randomHex(6)}`
        const template: Template = {
          id,
          owner: account.username,
          createdAt: now,
          updatedAt: now,
          body: {
            ...structuredClone(source.body),
            id,
            name: typeof newName === "string" ? newName : `${String(source.body["name"])} (fork)`,
            visibility: "private",
            author: { userId: account.username, displayName: account.username },
            forkedFrom: source.id,
            createdAt: iso(now)
          }
        }
        registryOf(world).templates.set(id, template)
        return success({ template: renderTemplate(template) }, 201)
      })))

// ---------------------------------------------------------------------------------------------
// Replay records (bare bodies)
// ---------------------------------------------------------------------------------------------

const SECRET_PATTERNS: ReadonlyArray<RegExp> = [
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
  /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g,
  /([?&](?:sig|signature|X-Amz-Signature|token|exp)=)[^&\s"]+/gi
]

/** Re-runs redaction over a record: JWTs, PEM blocks and URL signatures are replaced. */
const redact = (value: unknown): { readonly value: unknown; readonly changed: boolean } => {
  let changed = false
  const visit = (v: unknown): unknown => {
    if (typeof v === "string") {
      let out = v
      for (const pattern of SECRET_PATTERNS) {
        out = out.replace(pattern, (match, prefix?: string) =>
          typeof prefix === "string" && match.startsWith(prefix) ? `${prefix}[redacted]` : "[redacted]")
      }
      if (out !== v) changed = true
      return out
    }
    if (Array.isArray(v)) return v.map(visit)
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]))
    return v
  }
  return { value: visit(value), changed }
}

const writeReplay = (world: World): Handler =>
  withAccount(world, (account, request) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const runId = body["run_id"]
        if (typeof runId !== "string" || runId.length === 0 || runId.length > 200) {
          return errorBody(400, "run_id must be a non-empty string (at most 200 characters)", { errorCode: 4000 })
        }
        const schemaVersion = body["schema_version"]
        if (schemaVersion !== undefined && typeof schemaVersion !== "number" && typeof schemaVersion !== "string") {
          return errorBody(400, "schema_version must be a number or a string", { errorCode: 4000 })
        }
        if (body["rounds"] !== undefined && !Array.isArray(body["rounds"])) {
          return errorBody(400, "rounds must be an array", { errorCode: 4000 })
        }
        const replay = registryOf(world).replay
        const existing = replay.get(runId)
        if (existing !== undefined && existing.owner !== account.walletAddress) {
          return errorBody(403, `Replay record ${runId} belongs to someone else`, { errorCode: 4003 })
        }
        const { changed, value } = redact(body)
        const now = Date.now()
        const entry: ReplayEntry = {
          runId,
          owner: account.walletAddress,
          record: value as Record<string, unknown>,
          redacted: changed,
          createTime: existing?.createTime ?? now,
          updateTime: now
        }
        replay.set(runId, entry)
        return bare({
          runId,
          schemaVersion: schemaVersion ?? 0,
          redacted: entry.redacted,
          createTime: entry.createTime,
          updateTime: entry.updateTime
        }, existing === undefined ? 201 : 200)
      })))

const listReplay = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.sync(() => {
      const limit = Math.max(1, Math.min(200, intParam(urlOf(request).searchParams.get("limit")) ?? 50))
      const records = [...registryOf(world).replay.values()]
        .filter((r) => r.owner === account.walletAddress)
        .sort((a, b) => b.updateTime - a.updateTime || a.runId.localeCompare(b.runId))
        .slice(0, limit)
        .map((r) => ({
          runId: r.runId,
          schemaVersion: r.record["schema_version"] ?? 0,
          createTime: r.createTime,
          updateTime: r.updateTime,
          ...(r.record["user_request"] !== undefined ? { userRequest: r.record["user_request"] } : {}),
          ...(r.record["final_response"] !== undefined ? { finalResponse: r.record["final_response"] } : {}),
          ...(r.record["model_id"] !== undefined ? { modelId: r.record["model_id"] } : {}),
          rounds: Array.isArray(r.record["rounds"]) ? r.record["rounds"].length : 0
        }))
      return bare({ records })
    }))

const getReplay = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const entry = registryOf(world).replay.get(params["runId"] ?? "")
      if (entry === undefined || entry.owner !== account.walletAddress) {
        return errorBody(404, `Replay record ${params["runId"]} not found`, { errorCode: 4004 })
      }
      return bare({ record: entry.record, createTime: entry.createTime })
    }))

const blob = (world: World): Handler =>
  Effect.map(HttpRouter.params, (params) => {
    const found = registryOf(world).blobs.get(params["blobId"] ?? "")
    return found === undefined
      ? errorBody(404, "No such artifact")
      : HttpServerResponse.uint8Array(found.bytes, { contentType: found.contentType })
  })

/**
 * The routes of this module (templates before `:workflowId`, as workflows.md §1 requires).
 *
 * @internal
 */
export const workflowsRouter = (world: World) => {
  const base = "/v1/creative-agent/workflows"
  return HttpRouter.empty.pipe(
    HttpRouter.get(`${base}/templates`, listTemplates(world)),
    HttpRouter.post(`${base}/templates`, createTemplate(world)),
    HttpRouter.get(`${base}/templates/:templateId`, getTemplate(world)),
    HttpRouter.patch(`${base}/templates/:templateId`, updateTemplate(world)),
    HttpRouter.del(`${base}/templates/:templateId`, deleteTemplate(world)),
    HttpRouter.post(`${base}/templates/:templateId/fork`, forkTemplate(world)),
    HttpRouter.post(base, start(world)),
    HttpRouter.get(base, list(world)),
    HttpRouter.get(`${base}/:workflowId`, get(world)),
    HttpRouter.get(`${base}/:workflowId/events`, events(world)),
    HttpRouter.get(`${base}/:workflowId/events/stream`, streamEvents(world)),
    HttpRouter.post(`${base}/:workflowId/resume`, resume(world)),
    HttpRouter.post(`${base}/:workflowId/reseed`, reseed(world)),
    HttpRouter.post(`${base}/:workflowId/cancel`, cancel(world)),
    HttpRouter.post(`${base}/:workflowId/confirm-cost`, confirmCost(world))
  ).pipe(
    HttpRouter.post("/v1/replay/records", writeReplay(world)),
    HttpRouter.get("/v1/replay/records", listReplay(world)),
    HttpRouter.get("/v1/replay/records/:runId", getReplay(world)),
    HttpRouter.get("/_workflows/blobs/:blobId", blob(world))
  )
}
