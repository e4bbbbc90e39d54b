/**
 * An `@effect/ai` provider backed by Sogni socket chat: a `LanguageModel` layer so that
 * `LanguageModel.generateText`, `streamText` and `generateObject` (with `@effect/ai` `Toolkit`s) run on
 * the Supernet through the {@link Chat.Chat} service.
 *
 * - The `@effect/ai` prompt becomes chat messages (system, user text and images, assistant text and
 *   tool calls, tool results); user-defined tools become OpenAI function tools (their JSON Schema from
 *   `@effect/ai`), the tool choice maps onto `tool_choice`, and `generateObject`'s schema onto
 *   `response_format: json_schema` (strict).
 * - Answers come back as `@effect/ai` response parts: reasoning (`<think>` text), text, tool calls with
 *   parsed parameters, a `response-metadata` part carrying the Sogni job id, and `finish` with usage.
 *   Streams are incremental (`text-start`/`text-delta`/`text-end`, reasoning likewise,
 *   `tool-params-*` as the arguments arrive, then `tool-call` and `finish`).
 * - Tool handlers are run by `@effect/ai` itself (one step per call, as with any provider).
 * - A reply that crossed a reconnect (`ChatChunk.ReplyGap`) has its `finish` part's metadata carry
 *   `{ sogni: { gap } }`; when such a reply asks for tools, the call fails instead (`AiError.UnknownError`
 *   whose cause is `SogniChatJobError { reason: "ReplyGap" }`): arguments that may have a hole never
 *   reach a handler.
 * - Sogni errors become `AiError.UnknownError` with the original error as `cause`; arguments that are not
 *   JSON become `AiError.MalformedOutput`, and unsupported prompt parts `AiError.MalformedInput`.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@effect/ai"
 * import { Effect, Layer, Redacted } from "effect"
 * import { Sogni } from "@effect-sogni/core"
 * import { AiLanguageModel, Chat } from "@effect-sogni/chat"
 *
 * const program = LanguageModel.generateText({ prompt: "Write a haiku about otters" })
 *
 * program.pipe(
 *   Effect.provide(AiLanguageModel.layer({ model: "qwen3.6-35b-a3b-gguf-iq4xs", config: { temperature: 0.6 } })),
 *   Effect.provide(Chat.layer().pipe(Layer.provideMerge(Sogni.layer({ apiKey: Redacted.make("…") })))),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as AiTool from "@effect/ai/Tool"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Chat, type ChatService } from "./Chat.js"
import type { ChatChunk, ChatCompletion, ReplyGap, TokenUsage } from "./ChatChunk.js"
import { type ChatError, SogniChatJobError } from "./ChatError.js"
import type * as ChatRequest from "./ChatRequest.js"
import { finishReason, initialState, step, usageOf } from "./internal/aiParts.js"

const MODULE = "@effect-sogni/chat/AiLanguageModel"

// ---------------------------------------------------------------------------------------------------
// Configuration

/**
 * Request settings applied to every call (override per call with {@link withConfigOverride}).
 *
 * @since 0.1.0
 */
export type ConfigService = Partial<
  Omit<ChatRequest.ChatRequest, "model" | "messages" | "tools" | "toolChoice" | "responseFormat">
>

/**
 * @since 0.1.0
 */
export class Config extends Context.Tag("@effect-sogni/chat/AiLanguageModel/Config")<Config, ConfigService>() {}

/**
 * Runs `self` with extra request settings (merged over the layer's and any outer override).
 *
 * @since 0.1.0
 */
export const withConfigOverride = (overrides: ConfigService) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    Effect.serviceOption(Config),
    (outer) => Effect.provideService(self, Config, { ...(outer._tag === "Some" ? outer.value : {}), ...overrides })
  )

/** @since 0.1.0 */
export interface Options {
  /** The Sogni LLM id (e.g. `qwen3.6-35b-a3b-gguf-iq4xs`). */
  readonly model: string
  readonly config?: ConfigService | undefined
}

// ---------------------------------------------------------------------------------------------------
// Prompt → chat request

const malformedInput = (method: string, description: string) =>
  new AiError.MalformedInput({ module: MODULE, method, description })

const imageUrl = (part: Prompt.FilePart): string => {
  const mediaType = part.mediaType === "image/*" ? "image/png" : part.mediaType
  if (part.data instanceof URL) return part.data.toString()
  if (part.data instanceof Uint8Array) return `data:${mediaType};base64,${Encoding.encodeBase64(part.data)}`
  return part.data.startsWith("data:") || /^https?:\/\//.test(part.data) ? part.data : `data:${mediaType};base64,${part.data}`
}

const resultText = (result: unknown): string => (typeof result === "string" ? result : JSON.stringify(result ?? null))

const toMessages = (prompt: Prompt.Prompt): Effect.Effect<Array<ChatRequest.ChatMessage>, AiError.MalformedInput> =>
  Effect.gen(function*() {
    const messages: Array<ChatRequest.ChatMessage> = []
    for (const message of prompt.content) {
      switch (message.role) {
        case "system":
          messages.push({ role: "system", content: message.content })
          break
        case "user": {
          const parts: Array<ChatRequest.ContentPart> = []
          for (const part of message.content) {
            if (part.type === "text") parts.push({ type: "text", text: part.text })
            else if (part.mediaType.startsWith("image/")) parts.push({ type: "image_url", image_url: { url: imageUrl(part) } })
            else return yield* malformedInput("prepareMessages", `unsupported file media type '${part.mediaType}' (images only)`)
          }
          const onlyText = parts.every((p) => p.type === "text")
          messages.push({
            role: "user",
            content: onlyText ? parts.map((p) => (p as ChatRequest.TextPart).text).join("\n") : parts
          })
          break
        }
        case "assistant": {
          let text = ""
          const calls: Array<ChatRequest.ToolCall> = []
          const results: Array<ChatRequest.ChatMessage> = []
          for (const part of message.content) {
            switch (part.type) {
              case "text":
                text += part.text
                break
              case "tool-call":
                calls.push({ id: part.id, type: "function", function: { name: part.name, arguments: JSON.stringify(part.params ?? {}) } })
                break
              case "tool-result":
                results.push({ role: "tool", tool_call_id: part.id, name: part.name, content: resultText(part.result) })
                break
              // reasoning is not sent back; files from the assistant have no chat-message form
              default:
                break
            }
          }
          messages.push({
            role: "assistant",
            content: text.length > 0 ? text : null,
            ...(calls.length > 0 ? { tool_calls: calls } : {})
          })
          messages.push(...results)
          break
        }
        case "tool":
          for (const part of message.content) {
            messages.push({ role: "tool", tool_call_id: part.id, name: part.name, content: resultText(part.result) })
          }
          break
      }
    }
    return messages
  })

const toTools = (options: LanguageModel.ProviderOptions) =>
  Effect.gen(function*() {
    let tools = options.tools
    let choice: ChatRequest.ToolChoice | undefined
    const tc = options.toolChoice
    if (tc === "auto" || tc === "none" || tc === "required") choice = tc
    else if ("tool" in tc) choice = { type: "function", function: { name: tc.tool } }
    else {
      const allowed = new Set(tc.oneOf)
      tools = tools.filter((t) => allowed.has(t.name))
      choice = tc.mode ?? "auto"
    }
    const definitions: Array<ChatRequest.ToolDefinition> = []
    for (const tool of tools) {
      if (!AiTool.isUserDefined(tool)) {
        return yield* malformedInput("prepareTools", `provider-defined tool '${tool.name}' is not supported by Sogni`)
      }
      const description = tool.description ?? AiTool.getDescriptionFromSchemaAst(tool.parametersSchema.ast)
      definitions.push({
        type: "function",
        function: {
          name: tool.name,
          ...(description !== undefined ? { description } : {}),
          parameters: AiTool.getJsonSchemaFromSchemaAst(tool.parametersSchema.ast)
        }
      })
    }
    return definitions.length === 0 ? {} : { tools: definitions, toolChoice: choice }
  })

const toResponseFormat = (options: LanguageModel.ProviderOptions): ChatRequest.ResponseFormat | undefined =>
  options.responseFormat.type === "json"
    ? {
      type: "json_schema",
      json_schema: {
        name: options.responseFormat.objectName,
        schema: AiTool.getJsonSchemaFromSchemaAst(options.responseFormat.schema.ast),
        strict: true
      }
    }
    : undefined

// ---------------------------------------------------------------------------------------------------
// Chat → response parts

const toolCallPart = (call: ChatRequest.ToolCall, method: string) =>
  Effect.try({
    try: (): Response.ToolCallPartEncoded => ({
      type: "tool-call",
      id: call.id,
      name: call.function.name,
      params: call.function.arguments.trim().length === 0 ? {} : JSON.parse(call.function.arguments)
    }),
    catch: (cause) =>
      new AiError.MalformedOutput({
        module: MODULE,
        method,
        description: `the arguments of tool call '${call.function.name}' are not JSON`,
        cause
      })
  })

const fromChatError = (method: string) => (error: ChatError): AiError.AiError =>
  new AiError.UnknownError({ module: MODULE, method, description: error.message, cause: error })

/**
 * Tool calls of a reply that crossed a reconnect may have a hole: they are refused before `@effect/ai`
 * could run them.
 */
const refuseGappedCalls = (
  finish: { readonly jobID: string; readonly gap?: ReplyGap | undefined; readonly toolCalls: ReadonlyArray<unknown> },
  method: string
): Effect.Effect<void, AiError.AiError> =>
  finish.gap === undefined || finish.toolCalls.length === 0 ? Effect.void : Effect.fail(
    fromChatError(method)(
      new SogniChatJobError({
        reason: "ReplyGap",
        jobID: finish.jobID,
        error: "reply_gap",
        message: `the reply of job ${finish.jobID} crossed a reconnect: its tool calls' arguments may have a hole, so they are not run`
      })
    )
  )

/** The `finish` part: with the reply's gap, if it had one, as Sogni metadata. */
const finishPart = (
  reason: string,
  usage: TokenUsage,
  gap: ReplyGap | undefined
): Response.FinishPartEncoded => ({
  type: "finish",
  reason: finishReason(reason),
  usage: usageOf(usage),
  ...(gap !== undefined ? { metadata: { sogni: { gap } } } : {})
})

const completionParts = (completion: ChatCompletion, model: string) =>
  Effect.gen(function*() {
    yield* refuseGappedCalls(completion, "generateText")
    const parts: Array<Response.PartEncoded> = [{ type: "response-metadata", id: completion.jobID, modelId: model }]
    if (completion.reasoning.length > 0) parts.push({ type: "reasoning", text: completion.reasoning })
    if (completion.text.length > 0) parts.push({ type: "text", text: completion.text })
    for (const call of completion.toolCalls) parts.push(yield* toolCallPart(call, "generateText"))
    parts.push(finishPart(completion.finishReason, completion.usage, completion.gap))
    return parts
  })

// ---------------------------------------------------------------------------------------------------
// The provider

/**
 * The `LanguageModel` service over a {@link Chat.Chat}.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<LanguageModel.Service, never, Chat> =>
  Effect.gen(function*() {
    const chat: ChatService = yield* Chat

    const request = (provider: LanguageModel.ProviderOptions) =>
      Effect.gen(function*() {
        const override = yield* Effect.serviceOption(Config)
        const messages = yield* toMessages(provider.prompt)
        const tools = yield* toTools(provider)
        const responseFormat = toResponseFormat(provider)
        const built: ChatRequest.ChatRequest = {
          ...options.config,
          ...(override._tag === "Some" ? override.value : {}),
          model: options.model,
          messages,
          ...tools,
          ...(responseFormat !== undefined ? { responseFormat } : {})
        }
        provider.span.attribute("gen_ai.system", "sogni")
        provider.span.attribute("gen_ai.request.model", options.model)
        return built
      })

    return yield* LanguageModel.make({
      generateText: (provider) =>
        Effect.gen(function*() {
          const req = yield* request(provider)
          const completion = yield* chat.complete(req).pipe(Effect.mapError(fromChatError("generateText")))
          provider.span.attribute("sogni.job_id", completion.jobID)
          return yield* completionParts(completion, options.model)
        }),
      streamText: (provider) =>
        Stream.unwrap(
          Effect.map(request(provider), (req) =>
            // the job states give the response metadata (the job id) before the first text
            chat.stream(req, { jobStates: true }).pipe(
              Stream.mapError(fromChatError("streamText")),
              Stream.mapAccum(initialState, (s, chunk) => {
                const [next, parts, calls] = step(options.model, s, chunk)
                const finish: ReadonlyArray<ChatChunk> = chunk._tag === "Finish" ? [chunk] : []
                return [next, { parts, calls, finish }] as const
              }),
              Stream.mapEffect(({ calls, finish, parts }) =>
                Effect.gen(function*() {
                  for (const f of finish) if (f._tag === "Finish") yield* refuseGappedCalls(f, "streamText")
                  const out: Array<Response.StreamPartEncoded> = [...parts]
                  for (const call of calls) out.push(yield* toolCallPart(call, "streamText"))
                  for (const f of finish) {
                    if (f._tag === "Finish") out.push(finishPart(f.finishReason, f.usage, f.gap))
                  }
                  return out
                })
              ),
              Stream.flattenIterables
            ))
        )
    })
  })

/**
 * A `LanguageModel` layer over the chat service.
 *
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, never, Chat> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * The provider as an `@effect/ai` `Model` (named `"sogni"`), for `Effect.provide(model)` and
 * `AiModel` composition.
 *
 * @since 0.1.0
 */
export const model = (
  modelId: string,
  config?: ConfigService
): AiModel.Model<"sogni", LanguageModel.LanguageModel, Chat> =>
  AiModel.make("sogni", layer({ model: modelId, config }))
