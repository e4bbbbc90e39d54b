/**
 * Durable workflows: plan validation on the server side (400 before anything is billed) and the coarse
 * capacity estimate of a plan.
 *
 * @internal
 */
import { PlatformTools } from "@effect-sogni/core"
import * as Either from "effect/Either"
import { isLegacyArgument, platformForm } from "../hostedTools.js"
import type { Dependency } from "./state.js"
import { AUDIO_TOOLS, IMAGE_TOOLS, isRecord, STEP_TOOL_NAMES, TRANSFORMS, VIDEO_TOOLS } from "./vocabulary.js"

/** Why a plan is refused (400): the message and structured details (field, rule, step). @internal */
export interface PlanProblem {
  readonly message: string
  readonly details: Record<string, unknown>
}

/** A checked step of a plan. @internal */
export interface PlannedStep {
  readonly id: string
  readonly toolName: string
  readonly arguments: Record<string, unknown>
  readonly dependsOn: ReadonlyArray<Dependency>
}

const problem = (message: string, details: Record<string, unknown> = {}): PlanProblem => ({ message, details })

/** Checks an inline plan's steps against the step tools, the transforms and the tool schemas. @internal */
export const validatePlan = (
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
        ...(mediaType !== undefined ? { mediaType } : {}),
        ...(typeof d["required"] === "boolean" ? { required: d["required"] } : {})
      })
    }
    const bound = new Set(deps.map((d) => d.targetArgument))
    if (PlatformTools.isHostedToolName(toolName)) {
      const properties = PlatformTools.argumentsSchema(toolName)["properties"]
      for (const target of bound) {
        if (!(isRecord(properties) && target in properties) && !isLegacyArgument(toolName, target)) {
          return problem(`Invalid ${toolName} arguments: dependsOn targets "${target}", which ${toolName} does not take`, {
            field: `${at}.dependsOn`,
            stepId: id
          })
        }
      }
      // The platform also reads the partner-video tools' legacy argument names (hostedTools.platformForm).
      const form = platformForm(toolName, args)
      // Dependencies are bound before the required check: issues on bound arguments do not count.
      const checked = PlatformTools.validateEither(toolName, form.args)
      const issues = [...(Either.isLeft(checked) ? checked.left.issues : []), ...form.problems.map((p) => ({ ...p, rule: "type" }))]
        .filter((i) => !bound.has(i.field.split(/[.[]/)[0]!))
      if (issues.length > 0) {
        return problem(`Invalid ${toolName} arguments: ${issues.map((i) => i.message).join("; ")}`, {
          field: `${at}.arguments${issues[0]!.field === "" ? "" : `.${issues[0]!.field}`}`,
          rule: issues[0]!.rule,
          stepId: id
        })
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

/** Capacity units of one step (a coarse, documented estimate). @internal */
export const unitsOf = (step: PlannedStep): number => {
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
