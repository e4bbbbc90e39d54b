/**
 * Durable chat runs (chat.md §15): `POST /v1/chat/runs` (202, `Idempotency-Key` replays), `GET
 * /v1/chat/runs/:runId`, `POST …/cancel`, `POST …/confirm-cost`, `GET …/events` (JSON) and `GET
 * …/events/stream` (SSE with `id:` lines, heartbeat comment frames, a `run_status` snapshot, the stream
 * closed after the terminal event; resume with `Last-Event-ID` or `?after=` from any sequence).
 *
 * Each run is a fiber in the emulator's scope: the full creative-agent surface with server-side tool
 * execution, decided by the same deterministic planner as every other emulated model. Media tools
 * render through the project simulation; with `runtime_config.requireJobConfirmation` (or a
 * `max_estimated_capacity_units` the call exceeds) a paid tool waits for `confirm-cost` with the exact
 * preview it was shown (§15.4). `ask_clarifying_question` pauses the run until it is cancelled.
 *
 * @internal
 */
import { Protocol } from "@effect-sogni/core"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { argumentTokens, callId, jsonObject, messageProblems, normalizeMessages, tokenTypeOf } from "./hostedChat.js"
import {
  addReferences,
  type Caller,
  emptyMediaContext,
  estimateToolCost,
  executeTool,
  type MediaContext,
  mediaContextJson,
  minimalDefinition,
  surfaceTools,
  type ToolDefinition
} from "./hostedTools.js"
import { estimateTokens, LLMPrice, LLMTiming, planReply } from "./llm.js"
import { appendEvent, type EventLog, eventLogResponse, makeEventLog, strictCursor } from "./http/eventLog.js"
import { withAccount } from "./http/guard.js"
import { errorResponse, isRecord, type Json, ok } from "./http/response.js"
import { encodeWire } from "./http/wire.js"
import { type AccountState, netOf, pushBalance, simMillis, type TokenType, type World } from "./state.js"
import { randomHex } from "./tokens.js"

/** The sibling schema version constant. @internal */
export const SCHEMA_VERSION = "2026-05-14.1"

type RunStatus = Protocol.ChatRunStatus

type RunEvent = Protocol.ChatRunEvent

const TERMINAL_STATUS = Protocol.chatRunTerminalStatuses

const TERMINAL_EVENTS = Protocol.chatRunTerminalEvents

const encodeEvent = encodeWire(Protocol.ChatRunEvent, "chat run event")

const encodeRecord = encodeWire(Protocol.ChatRunRecord, "chat run record")

interface CostGate {
  readonly toolCallId: string
  readonly preview: Json
  readonly validUntil: number
  readonly decision: Deferred.Deferred<"confirm" | "cancel">
}

interface Run {
  readonly runId: string
  readonly account: AccountState
  readonly caller: Caller
  readonly request: Json
  readonly model: string
  readonly runtimeConfig: Json
  readonly maxUnits: number | undefined
  readonly messages: Array<Json>
  readonly ctx: MediaContext
  readonly toolCalls: Array<Json>
  readonly toolResults: Array<Json>
  readonly artifacts: Array<Json>
  readonly billingPreviews: Array<Json>
  /** The run's events (sequences 1, 2, 3…) and the signal its streams wait on. */
  readonly log: EventLog<RunEvent>
  readonly confirmKeys: Set<string>
  status: RunStatus
  waiting: Json | undefined
  finalResponse: Json | undefined
  failureReason: string | undefined
  cancellationReason: string | undefined
  gate: CostGate | undefined
  fiber: Fiber.RuntimeFiber<void, never> | undefined
  readonly createdAt: number
  updatedAt: number
  completedAt: number | undefined
}

/** The chat runs of one emulator. @internal */
export interface ChatRunStore {
  readonly runs: Map<string, Run>
  /** `username|Idempotency-Key` → runId. */
  readonly idempotency: Map<string, string>
}

/** No runs yet. @internal */
export const makeChatRunStore = (): ChatRunStore => ({ runs: new Map(), idempotency: new Map() })

const storeOf = (world: World): ChatRunStore => world.chatRuns

const iso = (millis: number) => new Date(millis).toISOString()

/** Appends an event and wakes every stream of the run. */
const emit = (run: Run, type: string, payload: Json = {}): RunEvent => {
  const now = Date.now()
  const event = encodeEvent({ sequence: run.log.events.length + 1, type, at: iso(now), payload })
  run.updatedAt = now
  appendEvent(run.log, event)
  return event
}

const finish = (run: Run, status: RunStatus, type: string, payload: Json) => {
  run.status = status
  run.waiting = undefined
  run.gate = undefined
  run.completedAt = Date.now()
  emit(run, type, payload)
}

/** The run record (chat.md §15.2). @internal */
const recordOf = (run: Run): Protocol.ChatRunRecord => encodeRecord({
  runId: run.runId,
  status: run.status,
  schemaVersion: SCHEMA_VERSION,
  scope: {
    ownerWalletAddress: run.account.walletAddress,
    tokenType: run.caller.tokenType,
    ...(run.caller.appSource !== undefined ? { appSource: run.caller.appSource } : {})
  },
  request: {
    ...(typeof run.request.session_id === "string" ? { sessionId: run.request.session_id } : {}),
    ...(typeof run.request.client_message_id === "string" ? { clientMessageId: run.request.client_message_id } : {}),
    model: run.model,
    messages: run.request.messages,
    ...(run.request.tools !== undefined ? { tools: run.request.tools } : {}),
    ...(Object.keys(run.runtimeConfig).length > 0 ? { runtimeConfig: run.runtimeConfig } : {}),
    ...(run.maxUnits !== undefined ? { maxEstimatedCapacityUnits: run.maxUnits } : {})
  },
  messages: run.messages,
  toolCalls: run.toolCalls,
  toolResults: run.toolResults,
  mediaContext: mediaContextJson(run.ctx),
  artifacts: run.artifacts,
  events: run.log.events,
  ...(run.finalResponse !== undefined ? { finalResponse: run.finalResponse } : {}),
  ...(run.waiting !== undefined ? { waiting: run.waiting } : {}),
  ...(run.billingPreviews.length > 0
    ? { billingPreview: run.billingPreviews[run.billingPreviews.length - 1], billingPreviews: run.billingPreviews }
    : {}),
  ...(run.failureReason !== undefined ? { failureReason: run.failureReason } : {}),
  ...(run.cancellationReason !== undefined ? { cancellationReason: run.cancellationReason } : {}),
  timestamps: {
    createdAt: iso(run.createdAt),
    updatedAt: iso(run.updatedAt),
    ...(run.completedAt !== undefined ? { completedAt: iso(run.completedAt) } : {})
  }
})

// ---------------------------------------------------------------------------------------------------
// The run fiber

const MAX_ROUNDS = 4

const drive = (world: World, run: Run): Effect.Effect<void> =>
  Effect.gen(function*() {
    const sleep = (ms: number) => Effect.sleep(simMillis(world, ms))
    yield* sleep(LLMTiming.queue)
    run.status = "running"
    emit(run, "run_started", {})
    const callerTools = (Array.isArray(run.request.tools) ? run.request.tools : []) as ReadonlyArray<ToolDefinition>
    const callerNames = new Set(callerTools.map((t) => t?.function?.name))
    const injected = new Map(
      surfaceTools("creative-agent").filter((t) => !callerNames.has(t.function.name)).map((t) => [t.function.name, t] as const)
    )
    const tools = [...callerTools, ...[...injected.values()].map(minimalDefinition)]
    const sampling = isRecord(run.request.sampling) ? run.request.sampling : {}
    const planRequest = { ...sampling, tools, tool_choice: run.request.tool_choice }
    const { directives } = planReply(planRequest, run.messages)
    const pause = sleep(directives.slow ? LLMTiming.slowToken : LLMTiming.token)
    let promptTokens = 0
    let completionTokens = 0
    let failedTools = 0
    const chargeTokens = () => {
      const cost = promptTokens * LLMPrice.input + completionTokens * LLMPrice.output
      run.account.balances[run.caller.tokenType].settled -= cost
      pushBalance(world, run.account)
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      emit(run, "llm_round_started", { round })
      promptTokens += estimateTokens(run.messages)
      yield* sleep(LLMTiming.start)
      const { plan } = planReply(planRequest, run.messages)
      if (directives.fail) {
        chargeTokens()
        run.failureReason = "[[fail]] directive: the model worker failed"
        run.finalResponse = { finishReason: "stop" }
        finish(run, "failed", "run_failed", { reason: run.failureReason, errorCode: "GPU_WORKER_FAILED" })
        return
      }
      if (plan._tag === "Text") {
        let content = ""
        for (const delta of plan.chunks) {
          content += delta
          completionTokens += 1
          emit(run, "assistant_message_delta", { delta })
          yield* pause
        }
        emit(run, "assistant_message_completed", { content })
        emit(run, "llm_round_completed", { round, finishReason: "stop" })
        run.messages.push({ role: "assistant", content })
        chargeTokens()
        const partial = failedTools > 0
        run.finalResponse = { content, finishReason: partial ? "partial_failure" : "stop" }
        finish(run, partial ? "partial_failure" : "completed", partial ? "run_partial_failure" : "run_completed", {
          finishReason: run.finalResponse.finishReason
        })
        return
      }
      const planned = plan.calls.map((c, i) => ({ id: callId(`${run.runId}|${round}`, i), name: c.name, arguments: c.arguments }))
      for (const c of planned) completionTokens += argumentTokens(c.arguments)
      emit(run, "llm_round_completed", { round, finishReason: "tool_calls" })
      run.messages.push({
        role: "assistant",
        content: null,
        tool_calls: planned.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }))
      })
      for (const call of planned) {
        const args = JSON.parse(call.arguments) as Json
        run.toolCalls.push({ toolCallId: call.id, toolName: call.name, arguments: args, sequence: run.toolCalls.length + 1 })
        emit(run, "tool_call_proposed", { toolCallId: call.id, toolName: call.name, arguments: args })
        const resolve = (status: "ok" | "err" | "cancelled", summary: string, content: Json, errorCode?: string) => {
          run.toolResults.push({
            toolCallId: call.id,
            status,
            summary,
            ...(errorCode !== undefined ? { errorCode } : {}),
            sequence: run.toolResults.length + 1
          })
          emit(run, "tool_call_resolved", { toolCallId: call.id, toolName: call.name, status, summary })
          run.messages.push({ role: "tool", tool_call_id: call.id, name: call.name, content: JSON.stringify(content) })
        }
        if (!injected.has(call.name)) {
          // A caller-defined function: runs cannot hand it back, so it resolves as an error result.
          failedTools += 1
          resolve("err", `${call.name} is not a hosted tool`, { success: false, error: `${call.name} is not a hosted tool` }, "PARAMETER_INVALID")
          continue
        }
        if (call.name === "ask_clarifying_question") {
          run.status = "waiting_for_user"
          run.waiting = { reason: "ask_clarifying_question", message: String(args.question ?? ""), details: { toolCallId: call.id } }
          run.toolResults.push({ toolCallId: call.id, status: "waiting_for_user", sequence: run.toolResults.length + 1 })
          emit(run, "run_waiting_for_user", { reason: "ask_clarifying_question", message: run.waiting.message, details: { toolCallId: call.id } })
          chargeTokens()
          return yield* Effect.never
        }
        const cost = estimateToolCost(world, run.caller, call.name, args)
        const confirmation = run.runtimeConfig.requireJobConfirmation === true
        const threshold = typeof run.runtimeConfig.jobConfirmationThresholdUsd === "number"
          ? run.runtimeConfig.jobConfirmationThresholdUsd
          : undefined
        const overBudget = run.maxUnits !== undefined && cost > run.maxUnits
        const gated = cost > 0 && (overBudget || (confirmation && (threshold === undefined || cost * 0.01 > threshold)))
        if (gated) {
          const validUntil = Date.now() + 10 * 60_000
          const preview = {
            totalEstimatedCapacityUnits: cost,
            tokenType: run.caller.tokenType,
            validityUntil: iso(validUntil),
            perToolBreakdown: [{ toolCallId: call.id, toolName: call.name, capacityUnits: cost }]
          }
          run.billingPreviews.push(preview)
          emit(run, "billing_preview_updated", { toolCallId: call.id, billingPreview: preview })
          emit(run, "run_awaiting_cost_confirmation", {
            toolCallId: call.id,
            toolName: call.name,
            estimatedCost: cost,
            tokenType: run.caller.tokenType
          })
          const decision = yield* Deferred.make<"confirm" | "cancel">()
          run.gate = { toolCallId: call.id, preview, validUntil, decision }
          run.status = "waiting_for_user"
          const details = { toolCallId: call.id, pendingToolCallIds: [call.id], costApprovalPreview: preview }
          run.waiting = { reason: "cost_approval_required", details }
          emit(run, "run_waiting_for_user", { reason: "cost_approval_required", details })
          const chosen = yield* Deferred.await(decision)
          run.gate = undefined
          run.waiting = undefined
          run.status = "running"
          emit(run, "run_cost_confirmation_resolved", { toolCallId: call.id, decision: chosen })
          emit(run, "run_resumed", {})
          if (chosen === "cancel") {
            emit(run, "spend_cancelled", { gateId: `gate_${call.id}`, scope: "tool_call", toolCallId: call.id })
            resolve("cancelled", "cancelled by the user", { success: false, error: "The user declined the cost." })
            continue
          }
          emit(run, "spend_confirmed", { gateId: `gate_${call.id}`, scope: "tool_call", toolCallId: call.id })
        }
        emit(run, "tool_call_dispatched", { toolCallId: call.id, toolName: call.name })
        const outcome = yield* executeTool(world, run.caller, call.name, args, run.ctx)
        for (const url of outcome.urls) {
          const artifact = {
            artifactId: `art_${randomHex(6)}`,
            type: outcome.mediaType,
            url,
            toolCallId: call.id,
            index: run.ctx[outcome.mediaType === "video" ? "videos" : outcome.mediaType === "audio" ? "audio" : "images"].indexOf(url)
          }
          run.artifacts.push(artifact)
          emit(run, "artifact_created", artifact)
        }
        if (outcome.urls.length > 0) emit(run, "media_context_updated", { mediaContext: mediaContextJson(run.ctx) })
        if (!outcome.ok) failedTools += 1
        const errorType = outcome.result.error_type
        resolve(
          outcome.ok ? "ok" : "err",
          outcome.summary,
          outcome.result,
          outcome.ok || typeof errorType !== "string" ? undefined : errorType
        )
      }
    }
    chargeTokens()
    run.failureReason = "the model kept calling tools"
    finish(run, "failed", "run_failed", { reason: run.failureReason })
  })

// ---------------------------------------------------------------------------------------------------
// HTTP

const MEDIA_URL = /^https?:\/\/\S+$/i

/** The media rule of §15.1: every media URL is http(s); offending paths listed. */
const mediaProblems = (body: Json): ReadonlyArray<string> => {
  const bad: string[] = []
  const check = (path: string, url: unknown) => {
    if (typeof url !== "string" || !MEDIA_URL.test(url)) bad.push(path)
  }
  if (Array.isArray(body.messages)) {
    body.messages.forEach((m, i) => {
      const content = isRecord(m) ? m.content : undefined
      if (!Array.isArray(content)) return
      content.forEach((part, j) => {
        if (isRecord(part) && part.type === "image_url") {
          const image = part.image_url
          check(`messages[${i}].content[${j}].image_url.url`, isRecord(image) ? image.url : image)
        }
      })
    })
  }
  if (Array.isArray(body.media_references)) {
    body.media_references.forEach((r, i) => {
      check(`media_references[${i}].url`, isRecord(r) ? r.url : undefined)
      if (isRecord(r) && ((typeof r.dataUri === "string" && r.dataUri.length > 0) || (typeof r.data_uri === "string" && r.data_uri.length > 0))) {
        bad.push(`media_references[${i}].dataUri`)
      }
    })
  }
  if (isRecord(body.media_context)) {
    for (const [key, list] of Object.entries(body.media_context)) {
      if (Array.isArray(list)) list.forEach((u, i) => check(`media_context.${key}[${i}]`, u))
    }
  }
  return bad.length === 0 ? [] : [`media must be http(s) URLs, not data URIs or other strings: ${bad.join(", ")}`]
}

const QUALITY = new Set(["fast", "hq", "pro"])

const createProblems = (body: Json): ReadonlyArray<string> => {
  const problems = [...messageProblems(body.messages)]
  problems.push(...mediaProblems(body))
  if (body.tools !== undefined && !Array.isArray(body.tools)) problems.push("tools must be an array")
  if (body.model !== undefined && typeof body.model !== "string") problems.push("model must be a string")
  if (body.sampling !== undefined && !isRecord(body.sampling)) problems.push("sampling must be an object")
  if (body.media_references !== undefined && !Array.isArray(body.media_references)) problems.push("media_references must be an array")
  if (body.media_context !== undefined && !isRecord(body.media_context)) problems.push("media_context must be an object")
  const units = body.max_estimated_capacity_units
  if (units !== undefined && !(typeof units === "number" && units >= 0)) {
    problems.push("max_estimated_capacity_units must be a non-negative number")
  }
  for (const key of ["session_id", "client_message_id", "app_source", "billing_mode"]) {
    if (body[key] !== undefined && typeof body[key] !== "string") problems.push(`${key} must be a string`)
  }
  const tokenType = tokenTypeOf(body.token_type)
  if (typeof tokenType === "object") problems.push(tokenType.problem)
  const rc = body.runtime_config
  if (rc !== undefined) {
    if (!isRecord(rc)) problems.push("runtime_config must be an object")
    else {
      if (rc.qualityTier !== undefined && !QUALITY.has(String(rc.qualityTier))) {
        problems.push("runtime_config.qualityTier must be fast, hq or pro")
      }
      if (rc.requireJobConfirmation !== undefined && typeof rc.requireJobConfirmation !== "boolean") {
        problems.push("runtime_config.requireJobConfirmation must be a boolean")
      }
      if (rc.jobConfirmationThresholdUsd !== undefined && typeof rc.jobConfirmationThresholdUsd !== "number") {
        problems.push("runtime_config.jobConfirmationThresholdUsd must be a number")
      }
      if (rc.personaNames !== undefined && !(Array.isArray(rc.personaNames) && rc.personaNames.every((n) => typeof n === "string"))) {
        problems.push("runtime_config.personaNames must be an array of strings")
      }
    }
  }
  return problems
}

const DEFAULT_MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"

const create = (world: World) =>
  withAccount(world, (account, request) =>
    Effect.gen(function*() {
      const body = yield* jsonObject(request)
      const problems = createProblems(body)
      if (problems.length > 0) return errorResponse(400, problems.join("; "))
      const model = typeof body.model === "string" ? body.model : DEFAULT_MODEL
      if (!(model in world.catalog.llmModels)) return errorResponse(404, `Model ${model} is not available.`)
      const store = storeOf(world)
      const key = request.headers["idempotency-key"]
      const idemKey = key !== undefined && key.length > 0 ? `${account.username}|${key}` : undefined
      if (idemKey !== undefined) {
        const existing = store.runs.get(store.idempotency.get(idemKey) ?? "")
        if (existing !== undefined) return ok({ run: recordOf(existing), idempotent: true })
      }
      const tokenType = tokenTypeOf(body.token_type) as TokenType
      const messages = normalizeMessages(body.messages as ReadonlyArray<Json>)
      const minimum = estimateTokens(messages) * LLMPrice.input + LLMPrice.output
      if (netOf(account.balances[tokenType]) < minimum) {
        return errorResponse(402, `Not enough ${tokenType} tokens to start a run.`, { errorCode: 4024 })
      }
      const ctx = emptyMediaContext()
      if (Array.isArray(body.media_references)) addReferences(ctx, body.media_references)
      if (isRecord(body.media_context)) {
        for (const k of ["images", "videos", "audio", "uploadedImages", "uploadedVideos", "uploadedAudio"] as const) {
          const list = body.media_context[k]
          if (Array.isArray(list)) ctx[k].push(...list.filter((u): u is string => typeof u === "string"))
        }
      }
      const now = Date.now()
      const appSource = typeof body.app_source === "string" ? body.app_source : request.headers["x-app-source"]
      const run: Run = {
        runId: `run_${randomHex(8)}`,
        account,
        caller: { account, tokenType, appSource },
        request: body,
        model,
        runtimeConfig: isRecord(body.runtime_config) ? body.runtime_config : {},
        maxUnits: typeof body.max_estimated_capacity_units === "number" ? body.max_estimated_capacity_units : undefined,
        messages: [...messages],
        ctx,
        toolCalls: [],
        toolResults: [],
        artifacts: [],
        billingPreviews: [],
        log: makeEventLog(),
        confirmKeys: new Set(),
        status: "queued",
        waiting: undefined,
        finalResponse: undefined,
        failureReason: undefined,
        cancellationReason: undefined,
        gate: undefined,
        fiber: undefined,
        createdAt: now,
        updatedAt: now,
        completedAt: undefined
      }
      store.runs.set(run.runId, run)
      if (idemKey !== undefined) store.idempotency.set(idemKey, run.runId)
      emit(run, "run_created", { model })
      emit(run, "run_queued", {})
      const created = recordOf(run)
      run.fiber = world.run(
        drive(world, run).pipe(
          Effect.catchAllCause((cause) =>
            Effect.suspend(() => {
              if (TERMINAL_STATUS.has(run.status)) return Effect.void
              run.failureReason = "emulator run failed"
              finish(run, "failed", "run_failed", { reason: run.failureReason })
              return Effect.logError(`chat run ${run.runId} failed`, cause)
            })
          )
        )
      )
      return ok({ run: created, idempotent: false }, 202)
    }).pipe(Effect.merge))

/** The caller's run named by the path, or a 404. */
const withRun = (
  world: World,
  f: (run: Run, request: HttpServerRequest.HttpServerRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse>
) =>
  withAccount(world, (account, request) =>
    Effect.flatMap(HttpRouter.params, (params) => {
      let id = params["runId"] ?? ""
      try {
        id = decodeURIComponent(id)
      } catch {
        return Effect.succeed(errorResponse(400, "Malformed run id"))
      }
      const run = storeOf(world).runs.get(id)
      if (run === undefined || run.account !== account) return Effect.succeed(errorResponse(404, `No chat run ${id}`))
      return f(run, request)
    }))

const cancel = (world: World) =>
  withRun(world, (run, request) =>
    Effect.gen(function*() {
      const body = yield* request.json.pipe(Effect.orElseSucceed(() => ({})))
      if (TERMINAL_STATUS.has(run.status)) {
        return errorResponse(409, `Run ${run.runId} already ended (${run.status})`)
      }
      if (run.fiber !== undefined) yield* Fiber.interrupt(run.fiber)
      if (TERMINAL_STATUS.has(run.status)) return errorResponse(409, `Run ${run.runId} already ended (${run.status})`)
      const reason = isRecord(body) && typeof body.reason === "string" ? body.reason : "cancelled by the user"
      run.cancellationReason = reason
      run.finalResponse = { finishReason: "cancelled" }
      finish(run, "cancelled", "run_cancelled", { reason })
      return ok({ run: recordOf(run) })
    }))

const DECISIONS: Readonly<Record<string, "confirm" | "cancel">> = {
  confirm: "confirm",
  approved: "confirm",
  cancel: "cancel",
  rejected: "cancel",
  cancelled: "cancel"
}

const confirmCost = (world: World) =>
  withRun(world, (run, request) =>
    Effect.gen(function*() {
      const key = request.headers["idempotency-key"]
      if (key !== undefined && key.length > 0 && run.confirmKeys.has(key)) return ok({ run: recordOf(run) })
      const body = yield* jsonObject(request)
      const toolCallId = body.tool_call_id
      const decision = DECISIONS[String(body.decision)]
      if (typeof toolCallId !== "string" || toolCallId.length === 0) {
        return errorResponse(400, "tool_call_id must be a non-empty string")
      }
      if (decision === undefined) return errorResponse(400, "decision must be confirm or cancel")
      const gate = run.gate
      if (gate === undefined || run.status !== "waiting_for_user") {
        return errorResponse(409, `Run ${run.runId} is not waiting for a cost confirmation`)
      }
      if (gate.toolCallId !== toolCallId) {
        return errorResponse(409, `Run ${run.runId} waits for ${gate.toolCallId}, not ${toolCallId}`)
      }
      if (decision === "confirm") {
        const accepted = body.acceptedCostPreview
        if (!isRecord(accepted)) return errorResponse(400, "acceptedCostPreview is required to confirm")
        if (Date.now() > gate.validUntil) return errorResponse(409, "The cost preview has expired")
        if (canonicalText(accepted) !== canonicalText(gate.preview)) {
          return errorResponse(409, "acceptedCostPreview does not match the current preview")
        }
      }
      if (key !== undefined && key.length > 0) run.confirmKeys.add(key)
      yield* Deferred.succeed(gate.decision, decision)
      // Let the run fiber record the decision before answering.
      yield* Effect.yieldNow()
      return ok({ run: recordOf(run) })
    }).pipe(Effect.merge))

/** JSON text with sorted keys, to compare previews structurally. */
const canonicalText = (value: unknown): string => JSON.stringify(canonical(value))

const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : isRecord(value)
    ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]))
    : value

/** `Last-Event-ID` header, else `?after=`; a problem message when not a non-negative integer. */
const resumePoint = strictCursor

const frame = (event: RunEvent) => `id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`

/** Heartbeat period: two simulated seconds, at least 50 ms. @internal */
export const heartbeatMillis = (world: World) => Math.max(50, simMillis(world, 2000))

const eventsStream = (world: World) =>
  withRun(world, (run, request) =>
    Effect.sync(() => {
      const after = resumePoint(request)
      if (typeof after === "object") return errorResponse(400, after.problem)
      // the DropEventStreams fault cuts these streams too
      return eventLogResponse(world, request, {
        log: run.log,
        after,
        preamble: `event: run_status\ndata: ${JSON.stringify({ status: run.status })}\n\n`,
        frame,
        ends: (e) => TERMINAL_EVENTS.has(e.type),
        finished: () => TERMINAL_STATUS.has(run.status),
        heartbeatMillis: heartbeatMillis(world)
      })
    }))

const eventsJson = (world: World) =>
  withRun(world, (run, request) =>
    Effect.sync(() => {
      const after = resumePoint(request)
      if (typeof after === "object") return errorResponse(400, after.problem)
      return ok({ events: run.log.events.filter((e) => e.sequence > after), status: run.status })
    }))

/** The chat-run routes. @internal */
export const chatRunsRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.post("/v1/chat/runs", create(world)),
    HttpRouter.get("/v1/chat/runs/:runId", withRun(world, (run) => Effect.succeed(ok({ run: recordOf(run) })))),
    HttpRouter.post("/v1/chat/runs/:runId/cancel", cancel(world)),
    HttpRouter.post("/v1/chat/runs/:runId/confirm-cost", confirmCost(world)),
    HttpRouter.get("/v1/chat/runs/:runId/events", eventsJson(world)),
    HttpRouter.get("/v1/chat/runs/:runId/events/stream", eventsStream(world))
  )
