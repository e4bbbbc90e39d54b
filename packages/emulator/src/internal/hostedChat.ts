/**
 * Hosted REST chat (chat.md §13, §13.1): `POST /v1/chat/completions` (a bare OpenAI `chat.completion`
 * body, or with `stream: true` OpenAI `chat.completion.chunk` SSE ending in `data: [DONE]`) and
 * `POST /v1/creative-agent/tools/execute`. Answers come from the same deterministic planner as the
 * socket's mock LLM (`planReply`); `sogni_tools` injects the platform tools, and with
 * `sogni_tool_execution` the emulator runs them itself (media through the ordinary project
 * simulation) and lets the model answer from the results, reporting them in `sogni_tool_results`.
 *
 * @internal
 */
import { PlatformTools } from "@effect-sogni/core"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { sseResponse } from "./http/eventLog.js"
import { withAccount } from "./http/guard.js"
import { errorResponse, type Handler, isRecord, type Json } from "./http/response.js"
import {
  addReferences,
  type Caller,
  checkArguments,
  DIRECT_TOOLS,
  emptyMediaContext,
  executeTool,
  mediaContextJson,
  platformArguments,
  surfaceOf,
  surfaceTools,
  type ToolDefinition
} from "./hostedTools.js"
import { estimateTokens, LLMPrice, LLMTiming, planReply } from "./llm.js"
import { hash32 } from "./llmSchema.js"
import { type AccountState, netOf, pushBalance, simMillis, type TokenType, type World } from "./state.js"
import { randomHex } from "./tokens.js"

/** OpenAI-style error body (chat.md §13, recognised shape 1). @internal */
export const openAiError = (status: number, message: string, type: string, code: string) =>
  HttpServerResponse.unsafeJson({ error: { message, type, code } }, { status })

/** Flat chat error body (chat.md §13, recognised shape 2). @internal */
export const flatError = (status: number, error: string, errorCode: string, message: string) =>
  HttpServerResponse.unsafeJson({ error, error_code: errorCode, error_message: message }, { status })

/** The JSON object body, or a 400 envelope. @internal */
export const jsonObject = (request: HttpServerRequest.HttpServerRequest) =>
  request.json.pipe(
    Effect.mapError(() => errorResponse(400, "The request body must be JSON")),
    Effect.filterOrFail(isRecord, () => errorResponse(400, "The request body must be a JSON object"))
  )

/** Reads `token_type` (`auto` → spark). @internal */
export const tokenTypeOf = (value: unknown): TokenType | { readonly problem: string } =>
  value === undefined || value === null || value === "spark" || value === "auto"
    ? "spark"
    : value === "sogni"
    ? "sogni"
    : { problem: `token_type must be sogni, spark or auto (got ${JSON.stringify(value)})` }

/** Problems of an OpenAI `messages` array (path and rule). @internal */
export const messageProblems = (messages: unknown, field = "messages"): ReadonlyArray<string> => {
  if (!Array.isArray(messages) || messages.length === 0) return [`${field} must be a non-empty array`]
  const problems: string[] = []
  messages.forEach((m, i) => {
    if (!isRecord(m)) problems.push(`${field}[${i}] must be an object`)
    else if (!["system", "developer", "user", "assistant", "tool"].includes(String(m.role))) {
      problems.push(`${field}[${i}].role must be system, developer, user, assistant or tool`)
    }
  })
  return problems
}

/** OpenAI `developer` messages become `system` (chat.md §13). @internal */
export const normalizeMessages = (messages: ReadonlyArray<Json>): Array<Json> =>
  messages.map((m) => (m.role === "developer" ? { ...m, role: "system" } : m))

/** A planned tool call with its id. @internal */
export interface PlannedCall {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

/** Stable tool-call ids per conversation position. @internal */
export const callId = (seed: string, index: number) => `call_${hash32(`${seed}#${index}`).toString(16).padStart(8, "0")}${index}`

/** Tokens an arguments string counts as. @internal */
export const argumentTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

// ---------------------------------------------------------------------------------------------------
// Completions

interface Turn {
  readonly id: string
  readonly model: string
  readonly created: number
  readonly caller: Caller
  readonly request: Json
  readonly messages: Array<Json>
  readonly callerTools: ReadonlyArray<ToolDefinition>
  readonly injected: ReadonlyMap<string, ToolDefinition>
  /** Tools the server runs itself when `sogni_tool_execution` is on: the injected ones and any platform tool the caller declares. */
  readonly executable: ReadonlySet<string>
  readonly execute: boolean
  readonly maxTokens: number | undefined
  readonly mediaReferences: ReadonlyArray<unknown>
}

/** What the turn tells a streaming response as it goes. */
type TurnEvent =
  | { readonly _tag: "Text"; readonly text: string; readonly first: boolean }
  | { readonly _tag: "ToolCalls"; readonly calls: ReadonlyArray<PlannedCall> }
  | { readonly _tag: "ToolResult"; readonly result: Json }

interface TurnResult {
  readonly content: string
  readonly toolCalls: ReadonlyArray<PlannedCall>
  readonly finishReason: string
  readonly usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
  readonly toolResults: ReadonlyArray<Json> | undefined
  readonly mediaContext: ReturnType<typeof mediaContextJson>
}

const MAX_TOOL_ROUNDS = 4

/** Runs the model (and the tools it calls, when asked to) until it answers. */
const runTurn = (world: World, turn: Turn, emit: (event: TurnEvent) => Effect.Effect<void>): Effect.Effect<TurnResult> =>
  Effect.gen(function*() {
    const ctx = emptyMediaContext()
    addReferences(ctx, turn.mediaReferences)
    const messages = [...turn.messages]
    // The full definitions: the model fills the required arguments and the optional ones the message states.
    const tools = [...turn.callerTools, ...turn.injected.values()]
    const toolResults: Json[] = []
    let promptTokens = 0
    let completionTokens = 0
    let content = ""
    let finishReason = "stop"
    let calls: ReadonlyArray<PlannedCall> = []
    const slow = planReply(turn.request, messages).directives.slow
    const pause = Effect.sleep(simMillis(world, slow ? LLMTiming.slowToken : LLMTiming.token))
    for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
      promptTokens += estimateTokens(messages)
      const { plan } = planReply({ ...turn.request, tools: tools.length > 0 ? tools : undefined }, messages)
      if (plan._tag === "Text") {
        const chunks = turn.maxTokens !== undefined && plan.chunks.length > turn.maxTokens
          ? plan.chunks.slice(0, turn.maxTokens)
          : plan.chunks
        if (chunks.length < plan.chunks.length) finishReason = "length"
        for (let i = 0; i < chunks.length; i++) {
          yield* emit({ _tag: "Text", text: chunks[i]!, first: i === 0 })
          completionTokens += 1
          yield* pause
        }
        content = chunks.join("")
        break
      }
      const planned = plan.calls.map((c, i) => ({ id: callId(`${turn.id}|${round}`, i), name: c.name, arguments: c.arguments }))
      for (const c of planned) completionTokens += argumentTokens(c.arguments)
      const serverSide = turn.execute && planned.every((c) => turn.executable.has(c.name))
      if (!serverSide) {
        calls = planned
        finishReason = "tool_calls"
        yield* emit({ _tag: "ToolCalls", calls: planned })
        break
      }
      messages.push({
        role: "assistant",
        content: null,
        tool_calls: planned.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }))
      })
      for (const c of planned) {
        let args: unknown
        try {
          args = JSON.parse(c.arguments)
        } catch {
          args = undefined
        }
        // A platform tool the caller declared under its own schema runs with the platform's argument names.
        const mapped = turn.injected.has(c.name) ? { args, ignored: [] } : platformArguments(c.name, args)
        const outcome = yield* executeTool(world, turn.caller, c.name, mapped.args, ctx)
        const result = {
          tool_call_id: c.id,
          name: c.name,
          status: outcome.ok ? "ok" : "err",
          arguments: mapped.args,
          ...(mapped.ignored.length > 0 ? { ignored_arguments: mapped.ignored } : {}),
          result: outcome.result
        }
        toolResults.push(result)
        yield* emit({ _tag: "ToolResult", result })
        messages.push({ role: "tool", tool_call_id: c.id, name: c.name, content: JSON.stringify(outcome.result) })
      }
    }
    return {
      content,
      toolCalls: calls,
      finishReason,
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      toolResults: turn.execute ? toolResults : undefined,
      mediaContext: mediaContextJson(ctx)
    }
  })

const charge = (world: World, caller: Caller, usage: TurnResult["usage"]) => {
  const cost = usage.prompt_tokens * LLMPrice.input + usage.completion_tokens * LLMPrice.output
  caller.account.balances[caller.tokenType].settled -= cost
  pushBalance(world, caller.account)
}

const wireCalls = (calls: ReadonlyArray<PlannedCall>) =>
  calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }))

/** Reads and checks a completions body; a ready error response when it is refused. */
const readTurn = (world: World, account: AccountState, body: Json, headers: Readonly<Record<string, string | undefined>>): Turn | HttpServerResponse.HttpServerResponse => {
  const model = body.model
  if (typeof model !== "string" || model.length === 0) return errorResponse(400, "model must be a non-empty string")
  const problems = [...messageProblems(body.messages)]
  const maxTokens = body.max_tokens
  if (maxTokens !== undefined && maxTokens !== null && !(typeof maxTokens === "number" && Number.isInteger(maxTokens) && maxTokens >= 1)) {
    problems.push("max_tokens must be a positive integer")
  }
  for (const key of ["temperature", "top_p", "top_k", "min_p", "repetition_penalty", "frequency_penalty", "presence_penalty"]) {
    if (body[key] !== undefined && body[key] !== null && typeof body[key] !== "number") problems.push(`${key} must be a number`)
  }
  if (body.stream !== undefined && typeof body.stream !== "boolean") problems.push("stream must be a boolean")
  if (body.sogni_tool_execution !== undefined && typeof body.sogni_tool_execution !== "boolean") {
    problems.push("sogni_tool_execution must be a boolean")
  }
  if (body.tools !== undefined && !Array.isArray(body.tools)) problems.push("tools must be an array")
  if (body.media_references !== undefined && !Array.isArray(body.media_references)) problems.push("media_references must be an array")
  const surface = surfaceOf(body.sogni_tools)
  if (typeof surface === "object") problems.push(surface.problem)
  const tokenType = tokenTypeOf(body.token_type)
  if (typeof tokenType === "object") problems.push(tokenType.problem)
  if (Array.isArray(body.media_references)) {
    problems.push(...addReferences(emptyMediaContext(), body.media_references))
  }
  if (problems.length > 0) return errorResponse(400, problems.join("; "))
  if (!(model in world.catalog.llmModels)) return openAiError(404, `Model ${model} is not available.`, "model_unavailable", "model_unavailable")
  const callerTools = (Array.isArray(body.tools) ? body.tools : []) as ReadonlyArray<ToolDefinition>
  const callerNames = new Set(callerTools.map((t) => t?.function?.name))
  const injected = new Map(
    surfaceTools(surface as Exclude<typeof surface, { problem: string }>)
      .filter((t) => !callerNames.has(t.function.name))
      .map((t) => [t.function.name, t] as const)
  )
  const messages = normalizeMessages(body.messages as ReadonlyArray<Json>)
  const appSource = typeof body.app_source === "string" ? body.app_source : headers["x-app-source"]
  return {
    id: `chatcmpl-${randomHex(12)}`,
    model,
    created: Math.floor(Date.now() / 1000),
    caller: { account, tokenType: tokenType as TokenType, appSource },
    request: body,
    messages,
    callerTools,
    injected,
    executable: new Set([...injected.keys(), ...[...callerNames].filter(PlatformTools.isHostedToolName)]),
    execute: body.sogni_tool_execution === true,
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    mediaReferences: Array.isArray(body.media_references) ? body.media_references : []
  }
}

const completionBody = (turn: Turn, result: TurnResult) => ({
  id: turn.id,
  object: "chat.completion",
  created: turn.created,
  model: turn.model,
  choices: [{
    index: 0,
    message: result.toolCalls.length > 0
      ? { role: "assistant", content: null, tool_calls: wireCalls(result.toolCalls) }
      : { role: "assistant", content: result.content },
    finish_reason: result.finishReason
  }],
  usage: result.usage,
  ...(result.toolResults !== undefined ? { sogni_tool_results: result.toolResults, sogni_media_context: result.mediaContext } : {})
})

const encoder = new TextEncoder()

const streamResponse = (world: World, turn: Turn) => {
  const chunk = (delta: Json, finishReason: string | null, extra: Json = {}) =>
    `data: ${
      JSON.stringify({
        id: turn.id,
        object: "chat.completion.chunk",
        created: turn.created,
        model: turn.model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
        ...extra
      })
    }\n\n`
  const body = Stream.unwrapScoped(Effect.gen(function*() {
    const queue = yield* Queue.unbounded<string | null>()
    const offer = (text: string) => Queue.offer(queue, text)
    yield* Effect.forkScoped(
      runTurn(world, turn, (event) => {
        switch (event._tag) {
          case "Text":
            return offer(chunk(event.first ? { role: "assistant", content: event.text } : { content: event.text }, null))
          case "ToolCalls":
            return offer(chunk({
              role: "assistant",
              content: null,
              tool_calls: event.calls.map((c, index) => ({ index, id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }))
            }, null))
          case "ToolResult":
            return offer(chunk({}, null, { sogni_tool_results: [event.result] }))
        }
      }).pipe(
        Effect.tap((result) => {
          charge(world, turn.caller, result.usage)
          return offer(chunk({}, result.finishReason, { usage: result.usage }))
        }),
        Effect.zipRight(offer("data: [DONE]\n\n")),
        Effect.ensuring(Queue.offer(queue, null))
      )
    )
    return Stream.fromQueue(queue).pipe(
      Stream.takeWhile((s): s is string => s !== null),
      Stream.map((s) => encoder.encode(s))
    )
  }))
  return sseResponse(body)
}

/** Refuses up front what the model would refuse (directives) or the balance cannot pay. */
const precheck = (turn: Turn): HttpServerResponse.HttpServerResponse | undefined => {
  const { directives } = planReply(turn.request, turn.messages)
  if (directives.fail) {
    return openAiError(502, "[[fail]] directive: the worker failed mid-generation", "worker_error", "worker_error")
  }
  const minimum = estimateTokens(turn.messages) * LLMPrice.input + LLMPrice.output
  if (netOf(turn.caller.account.balances[turn.caller.tokenType]) < minimum) {
    return flatError(402, "insufficient_balance", "4024", `Not enough ${turn.caller.tokenType} tokens for this request.`)
  }
  return undefined
}

const completions = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.gen(function*() {
      const body = yield* jsonObject(request)
      const turn = readTurn(world, account, body, request.headers)
      if (HttpServerResponse.isServerResponse(turn)) return turn
      const refused = precheck(turn)
      if (refused !== undefined) return refused
      if (body.stream === true) return streamResponse(world, turn)
      const result = yield* runTurn(world, turn, () => Effect.void)
      charge(world, turn.caller, result.usage)
      return HttpServerResponse.unsafeJson(completionBody(turn, result))
    }).pipe(Effect.merge))

// ---------------------------------------------------------------------------------------------------
// Direct tool execution

const executeDirect = (world: World): Handler =>
  withAccount(world, (account, request) =>
    Effect.gen(function*() {
      const body = yield* jsonObject(request)
      const tool = body.tool
      if (typeof tool !== "string" || tool.length === 0) return errorResponse(400, "tool must be a non-empty string")
      if (!DIRECT_TOOLS.has(tool)) {
        return errorResponse(400, `tool ${tool} cannot be executed directly (supported: ${[...DIRECT_TOOLS].join(", ")})`)
      }
      const args = body.arguments ?? {}
      const tokenType = tokenTypeOf(body.token_type)
      if (typeof tokenType === "object") return errorResponse(400, tokenType.problem)
      const problems = checkArguments(tool, args)
      if (problems.length > 0) {
        return HttpServerResponse.unsafeJson({
          status: "error",
          message: `Invalid ${tool} arguments: ${problems.join("; ")}`,
          errorCode: 400,
          details: { tool, problems }
        }, { status: 400 })
      }
      const caller: Caller = {
        account,
        tokenType,
        appSource: typeof body.app_source === "string" ? body.app_source : request.headers["x-app-source"]
      }
      const outcome = yield* executeTool(world, caller, tool, args, emptyMediaContext())
      if (!outcome.ok) return errorResponse(422, outcome.summary)
      const { success: _, ...result } = outcome.result
      return HttpServerResponse.unsafeJson({
        status: "success",
        data: { toolCallId: `call_${randomHex(8)}`, tool, result, message: null }
      })
    }).pipe(Effect.merge))

/** The hosted chat routes. @internal */
export const hostedChatRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.post("/v1/chat/completions", completions(world)),
    HttpRouter.post("/v1/creative-agent/tools/execute", executeDirect(world))
  )
