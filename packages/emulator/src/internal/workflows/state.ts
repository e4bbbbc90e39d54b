/**
 * Durable workflows: the state one emulator keeps (workflows with their steps, events and artifacts;
 * idempotency keys; templates; replay records; stored blobs), held by the world as `world.workflows`.
 *
 * @internal
 */
import type { Protocol } from "@effect-sogni/core"
import type * as Deferred from "effect/Deferred"
import type * as Fiber from "effect/Fiber"
import type { EventLog } from "../http/eventLog.js"
import type { AccountState } from "../state.js"
import type { WorkflowStatus } from "./vocabulary.js"

/** One recorded event; `status` is the workflow's status when it was recorded. @internal */
export type WorkflowEvent = Protocol.CreativeWorkflowEvent

/** Where an artifact's bytes come from. @internal */
export type ArtifactSource =
  | { readonly _tag: "Project"; readonly projectId: string; readonly imgID: string; readonly format: string }
  | { readonly _tag: "Blob"; readonly blobId: string }

/** A produced artifact and where its bytes are. @internal */
export interface Artifact {
  readonly id: string
  readonly kind: Protocol.CreativeWorkflowArtifactKind
  readonly mimeType: string
  readonly stepId: string
  readonly toolName: string
  readonly width?: number | undefined
  readonly height?: number | undefined
  readonly durationSeconds?: number | undefined
  readonly source: ArtifactSource
}

/** A dependency of a step, as planned. @internal */
export type Dependency = Protocol.CreativeWorkflowDependency

/** Step statuses. @internal */
export type StepStatus = Protocol.CreativeWorkflowStepStatus

/** Why a step (or the workflow) failed. @internal */
export interface StepError {
  readonly code: string
  readonly message: string
  readonly classification: string
  readonly retryable: boolean
}

/** One step of a running workflow. @internal */
export interface StepState {
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

/** A pause: what the workflow waits for and the decision that ends the wait. @internal */
export interface Gate {
  readonly reason: string
  readonly deferred: Deferred.Deferred<"resume" | "cancel">
}

/** One workflow. @internal */
export interface WorkflowState {
  readonly workflowId: string
  readonly owner: AccountState
  status: WorkflowStatus
  readonly title: string | undefined
  readonly input: unknown
  readonly steps: StepState[]
  /** Recorded events (sequences 1, 2, 3…) and the signal SSE readers wait on. */
  readonly log: EventLog<WorkflowEvent>
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
  fiber: Fiber.RuntimeFiber<void, never> | undefined
}

/** A saved template. @internal */
export interface Template {
  readonly id: string
  readonly owner: string
  body: Record<string, unknown>
  readonly createdAt: number
  updatedAt: number
}

/** A stored replay record. @internal */
export interface ReplayEntry {
  readonly runId: string
  readonly owner: string
  readonly record: Record<string, unknown>
  readonly redacted: boolean
  readonly createTime: number
  updateTime: number
}

/** Stored bytes and their content type. @internal */
export interface Blob {
  readonly bytes: Uint8Array
  readonly contentType: string
}

/** The workflows side of one emulator. @internal */
export interface WorkflowRegistry {
  readonly workflows: Map<string, WorkflowState>
  readonly idempotency: Map<string, { readonly workflowId: string; readonly fingerprint: string }>
  readonly reseeds: Map<string, { readonly workflowId: string; readonly sourceId: string }>
  readonly templates: Map<string, Template>
  readonly replay: Map<string, ReplayEntry>
  readonly blobs: Map<string, Blob>
  serial: number
}


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

/** A fresh registry holding the system templates. @internal */
export const makeWorkflowRegistry = (): WorkflowRegistry => ({
  workflows: new Map(),
  idempotency: new Map(),
  reseeds: new Map(),
  templates: systemTemplates(),
  replay: new Map(),
  blobs: new Map(),
  serial: 0
})
