/**
 * Durable workflows: the engine. A workflow's fiber runs its steps in order (a step whose required
 * dependency failed fails with `DEPENDENCY_FAILED`), pauses in `waiting_for_user` for cost approval and
 * `ask_clarifying_question` steps, and ends `completed`, `partial_failure` (some steps failed) or
 * `failed` (every step failed).
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { platformForm } from "../hostedTools.js"
import { simMillis, type World } from "../state.js"
import { record, renderArtifact } from "./records.js"
import type { Blob, StepError, StepState, WorkflowState } from "./state.js"
import {
  bindArgument,
  directivesOf,
  legacyReference,
  resolveDependency,
  runMediaStep,
  runTextStep,
  StepFailure,
  stepError
} from "./steps.js"
import { AUDIO_TOOLS, IMAGE_TOOLS, TEXT_STEP_MILLIS, VIDEO_TOOLS } from "./vocabulary.js"

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

/** Marks a step failed and records `step_failed`. @internal */
export const failStep = (wf: WorkflowState, step: StepState, error: StepError) => {
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
    // Legacy inline-media arguments (`reference_image_url`…) are read like the schema's own.
    const form = platformForm(step.toolName, args)
    const execArgs = { ...form.args, ...form.legacy }
    reference ??= legacyReference(world, execArgs)
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
        ? runMediaStep(world, wf, step, execArgs, referenceBlob)
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

/** The whole life of a workflow. @internal */
export const execute = (world: World, wf: WorkflowState): Effect.Effect<void> =>
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
