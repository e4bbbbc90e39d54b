/**
 * Durable workflows: the run routes. Start from an inline plan or a saved template (idempotent on
 * `Idempotency-Key`), list, get, the event log as JSON and as SSE (resume with `?after=` or
 * `Last-Event-ID`), resume, cancel, confirm-cost and reseed.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { eventLogResponse, KEEPALIVE, lenientCursor, makeEventLog } from "../http/eventLog.js"
import { errorResponse, type Handler, ok, urlOf } from "../http/response.js"
import { type AccountState, simMillis, type World } from "../state.js"
import { randomHex, randomSeed } from "../tokens.js"
import { execute, failStep } from "./engine.js"
import { attributionOf, intParam, notFoundWorkflow, ownWorkflow, withAccount, withBody } from "./http.js"
import { type PlanProblem, unitsOf, validatePlan } from "./plan.js"
import { record, renderWorkflow } from "./records.js"
import type { StepState, WorkflowEvent, WorkflowState } from "./state.js"
import { stepError } from "./steps.js"
import { planOfTemplate } from "./templates.js"
import {
  COST_APPROVAL_THRESHOLD,
  HEARTBEAT_MILLIS,
  isRecord,
  MAX_ACTIVE_WORKFLOWS,
  TERMINAL
} from "./vocabulary.js"

const activeCount = (world: World, account: AccountState) => {
  let n = 0
  for (const wf of world.workflows.workflows.values()) if (wf.owner === account && !TERMINAL.has(wf.status)) n++
  return n
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
  const registry = world.workflows
  const hasInput = body["input"] !== undefined && body["input"] !== null
  const hasTemplate = body["workflow_id"] !== undefined && body["workflow_id"] !== null
  if (hasInput === hasTemplate) {
    return Either.left(errorResponse(400, "Send exactly one of input (an inline plan) or workflow_id (a saved template)", {
      errorCode: 4000
    }))
  }
  const rawRefs = body["media_references"] ?? []
  if (!Array.isArray(rawRefs)) return Either.left(errorResponse(400, "media_references must be an array"))
  const mediaReferences = rawRefs.filter(isRecord)
  for (let i = 0; i < mediaReferences.length; i++) {
    const url = mediaReferences[i]!["url"]
    if (typeof url === "string" && url.length > 0 && !/^https?:\/\//i.test(url)) {
      return Either.left(errorResponse(400, `media_references[${i}].url must be an http(s) URL`, { errorCode: 4000 }))
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
      return Either.left(errorResponse(404, `Workflow template ${templateId} not found`, { errorCode: 4004 }))
    }
    const plan = planOfTemplate(template, body["inputs"])
    if (typeof plan === "string") return Either.left(errorResponse(400, plan, { errorCode: 4000 }))
    title = plan.title
    input = { title: plan.title, steps: plan.steps }
    rawSteps = plan.steps
  } else {
    if (!isRecord(body["input"])) return Either.left(errorResponse(400, "input must be an object"))
    input = body["input"]
    title = optionalString(body["input"], "title")
    rawSteps = body["input"]["steps"]
  }
  const planned = validatePlan(rawSteps, mediaReferences)
  if (!Array.isArray(planned)) {
    const p = planned as PlanProblem
    return Either.left(errorResponse(400, p.message, { errorCode: 4000, details: p.details }))
  }
  const estimate = planned.reduce((n, s) => n + unitsOf(s), 0)
  const max = body["max_estimated_capacity_units"]
  if (max !== undefined && (typeof max !== "number" || !(max >= 0))) {
    return Either.left(errorResponse(400, "max_estimated_capacity_units must be a non-negative number"))
  }
  if (typeof max === "number" && estimate > max) {
    return Either.left(errorResponse(400, `The plan is estimated at ${estimate} capacity units, above the ceiling of ${max}`, {
      errorCode: 4002,
      details: { estimatedCapacityUnits: estimate, maxEstimatedCapacityUnits: max }
    }))
  }
  const active = activeCount(world, account)
  if (active >= MAX_ACTIVE_WORKFLOWS) {
    return Either.left(
      errorResponse(409, `Too many active workflows (${active} of ${MAX_ACTIVE_WORKFLOWS}); wait for one to finish`, {
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
    log: makeEventLog(),
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
    fiber: undefined
  }
  registry.workflows.set(workflowId, wf)
  wf.fiber = world.run(
    execute(world, wf).pipe(Effect.catchAllCause((cause) => Effect.logError(`workflow ${workflowId} failed`, cause)))
  )
  return Either.right(wf)
}


const fingerprint = (body: unknown) => JSON.stringify(body)

/** @internal */
export const start = (world: World): Handler =>
  withAccount(world, (account, request) =>
    withBody(request, (body) =>
      Effect.sync(() => {
        const registry = world.workflows
        const key = request.headers["idempotency-key"]
        const scopedKey = typeof key === "string" && key.length > 0 ? `${account.username}|${key}` : undefined
        if (scopedKey !== undefined) {
          const seen = registry.idempotency.get(scopedKey)
          if (seen !== undefined) {
            if (seen.fingerprint !== fingerprint(body)) {
              return errorResponse(409, "This Idempotency-Key was already used with a different request", {
                errorCode: 4009,
                details: { workflowId: seen.workflowId }
              })
            }
            const wf = registry.workflows.get(seen.workflowId)
            if (wf !== undefined) return ok({ workflow: renderWorkflow(world, wf), idempotent: true })
          }
        }
        const launched = launch(world, account, body, { attributionAppSource: attributionOf(request) })
        if (Either.isLeft(launched)) return launched.left
        if (scopedKey !== undefined) {
          registry.idempotency.set(scopedKey, { workflowId: launched.right.workflowId, fingerprint: fingerprint(body) })
        }
        return ok({ workflow: renderWorkflow(world, launched.right) }, 201)
      })))


/** @internal */
export const list = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.sync(() => {
      const url = urlOf(request)
      const limit = Math.max(1, Math.min(100, intParam(url.searchParams.get("limit")) ?? 20))
      const offset = Math.max(0, intParam(url.searchParams.get("offset")) ?? 0)
      const own = [...world.workflows.workflows.values()]
        .filter((wf) => wf.owner === account)
        .sort((a, b) => b.createTime - a.createTime || b.workflowId.localeCompare(a.workflowId))
      const page = own.slice(offset, offset + limit)
      return ok({
        workflows: page.map((wf) => renderWorkflow(world, wf)),
        next: offset + limit < own.length ? offset + limit : null
      })
    }))

/** @internal */
export const get = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const wf = ownWorkflow(world, account, params["workflowId"])
      return wf === undefined ? notFoundWorkflow(params["workflowId"]) : ok({ workflow: renderWorkflow(world, wf) })
    }))

/** @internal */
export const events = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.sync(() => {
      const wf = ownWorkflow(world, account, params["workflowId"])
      return wf === undefined ? notFoundWorkflow(params["workflowId"]) : ok({ events: wf.log.events })
    }))

const frameOf = (event: WorkflowEvent): string =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`

/** @internal */
export const streamEvents = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    Effect.sync(() => {
      const wf = ownWorkflow(world, account, params["workflowId"])
      if (wf === undefined) return notFoundWorkflow(params["workflowId"])
      return eventLogResponse(world, request, {
        log: wf.log,
        after: lenientCursor(request),
        preamble: KEEPALIVE,
        frame: frameOf,
        ends: (e) => TERMINAL.has(e.status),
        finished: () => TERMINAL.has(wf.status),
        heartbeatMillis: Math.max(20, simMillis(world, HEARTBEAT_MILLIS))
      })
    }))

/** @internal */
export const resume = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, () =>
      Effect.gen(function*() {
        const wf = ownWorkflow(world, account, params["workflowId"])
        if (wf === undefined) return notFoundWorkflow(params["workflowId"])
        if (TERMINAL.has(wf.status)) {
          return errorResponse(409, `Workflow ${wf.workflowId} is ${wf.status}; it cannot be resumed`, { errorCode: 4009 })
        }
        if (wf.awaitingCostApproval) {
          return errorResponse(409, "This workflow is waiting for cost approval: use confirm-cost", { errorCode: 4009 })
        }
        const gate = wf.gate
        if (wf.status !== "waiting_for_user" || gate === undefined) {
          return ok({ workflow: renderWorkflow(world, wf), resumed: false }, 202)
        }
        wf.resumeCount += 1
        yield* Deferred.succeed(gate.deferred, "resume")
        // Let the engine record the resume before answering, so the record shows `running`.
        yield* Effect.yieldNow()
        return ok({ workflow: renderWorkflow(world, wf), resumed: true }, 202)
      })))

/** @internal */
export const cancel = (world: World): Handler =>
  withAccount(world, (account, _request, params) =>
    Effect.gen(function*() {
      const wf = ownWorkflow(world, account, params["workflowId"])
      if (wf === undefined) return notFoundWorkflow(params["workflowId"])
      if (TERMINAL.has(wf.status)) return ok({ workflow: renderWorkflow(world, wf), cancelled: false })
      if (wf.fiber !== undefined) yield* Fiber.interrupt(wf.fiber)
      if (TERMINAL.has(wf.status)) return ok({ workflow: renderWorkflow(world, wf), cancelled: false })
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
      return ok({ workflow: renderWorkflow(world, wf), cancelled: true })
    }))

/** @internal */
export const confirmCost = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.gen(function*() {
        const wf = ownWorkflow(world, account, params["workflowId"])
        if (wf === undefined) return notFoundWorkflow(params["workflowId"])
        const decision = body["decision"] ?? "confirm"
        if (decision !== "confirm" && decision !== "cancel") {
          return errorResponse(400, `decision must be "confirm" or "cancel" (got ${JSON.stringify(decision)})`)
        }
        const gate = wf.gate
        if (!wf.awaitingCostApproval || gate === undefined) {
          return errorResponse(409, `Workflow ${wf.workflowId} is not waiting for cost approval`, { errorCode: 4009 })
        }
        const accepted = body["acceptedCostPreview"]
        if (
          isRecord(accepted) && typeof accepted["estimatedCapacityUnits"] === "number" &&
          accepted["estimatedCapacityUnits"] !== wf.estimatedCapacityUnits
        ) {
          return errorResponse(409, "The accepted cost preview is stale", {
            errorCode: 4009,
            details: { estimatedCapacityUnits: wf.estimatedCapacityUnits }
          })
        }
        yield* Deferred.succeed(gate.deferred, decision === "confirm" ? "resume" : "cancel")
        if (wf.fiber !== undefined && decision === "cancel") yield* Fiber.await(wf.fiber)
        yield* Effect.yieldNow()
        return ok({ workflow: renderWorkflow(world, wf), confirmed: decision === "confirm" })
      })))

/** @internal */
export const reseed = (world: World): Handler =>
  withAccount(world, (account, request, params) =>
    withBody(request, (body) =>
      Effect.gen(function*() {
        const registry = world.workflows
        const source = ownWorkflow(world, account, params["workflowId"])
        if (source === undefined) return notFoundWorkflow(params["workflowId"])
        if (source.status !== "completed" && source.status !== "partial_failure") {
          return errorResponse(409, `Only completed or partial_failure workflows can be reseeded (this one is ${source.status})`, {
            errorCode: 4009
          })
        }
        const key = request.headers["idempotency-key"]
        const scopedKey = typeof key === "string" && key.length > 0 ? `${account.username}|${key}` : undefined
        const overrides = isRecord(body["seed_overrides"]) ? body["seed_overrides"] : {}
        for (const [stepId, seed] of Object.entries(overrides)) {
          if (!source.steps.some((s) => s.id === stepId)) {
            return errorResponse(400, `seed_overrides names unknown step ${stepId}`, { errorCode: 4000 })
          }
          if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) {
            return errorResponse(400, `seed_overrides.${stepId} must be a non-negative integer`, { errorCode: 4000 })
          }
        }
        const stepsOf = (wf: WorkflowState) =>
          wf.steps.map((s) => ({ id: s.id, toolName: s.toolName, seed: wf.seeds[s.id] }))
        if (scopedKey !== undefined) {
          const seen = registry.reseeds.get(scopedKey)
          const clone = seen === undefined ? undefined : registry.workflows.get(seen.workflowId)
          if (clone !== undefined) {
            return ok({
              workflow: renderWorkflow(world, clone),
              reseed: { cloned_from_run_id: source.workflowId, steps: stepsOf(clone) },
              idempotent: true
            })
          }
        }
        const seeds: Record<string, number> = {}
        for (const step of source.steps) {
          seeds[step.id] = typeof overrides[step.id] === "number" ? overrides[step.id] as number : yield* randomSeed
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
        return ok({
          workflow: renderWorkflow(world, launched.right),
          reseed: { cloned_from_run_id: source.workflowId, steps: stepsOf(launched.right) }
        }, 201)
      })))
