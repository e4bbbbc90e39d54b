/**
 * The chat service (`@effect-sogni/chat`'s `Chat` tag) on ZelAI: a program written against `Chat` — or
 * against `@effect/ai`'s `LanguageModel` through `AiLanguageModel.layer`, which is built on `Chat` — runs on
 * ZelAI by providing {@link layer} instead of Sogni's chat layer.
 *
 * How a conversation maps onto ZelAI's `generate_llm`: system messages become `system`, the last user
 * message the `prompt`, the turns before it `memory` (`"User: …"` / `"Assistant: …"`). A JSON response
 * format becomes `jsonFormat` plus a `jsonTemplate` derived from the schema's properties (each described as
 * `"<type>: <description>"`), and is answered without streaming (ZelAI cannot stream JSON). An image part
 * whose URL is a ZelAI CDN file (`zelai:<imageId>` or the client's `cdnUrl`) becomes `imageId`.
 *
 * What ZelAI lacks fails with `SogniUnsupported` (`provider: "zelai"`) before anything is sent: tool
 * calling, thinking, streamed structured output, images that are not ZelAI CDN files, and the sampling
 * controls ZelAI does not take (`maxTokens`, `temperature`, `topP`, `topK`, `minP`, penalties, `stop`).
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { Chat } from "@effect-sogni/chat"
 * import { ZelaiChat, ZelaiClient } from "@effect-sogni/zelai"
 *
 * const program = Effect.flatMap(Chat.Chat, (chat) =>
 *   chat.complete({ model: "zelai", messages: [{ role: "user", content: "Hello" }] }))
 *
 * program.pipe(Effect.provide(ZelaiChat.layer.pipe(Layer.provide(ZelaiClient.layer({ apiKey: Redacted.make("zelai_pk_…") })))))
 * ```
 *
 * @since 0.2.0
 */
import { type ChatChunk as ChatChunkNs, type ChatRequest, Tool } from "@effect-sogni/chat"
import * as Chat from "@effect-sogni/chat/Chat"
import { ChatChunk } from "@effect-sogni/chat/ChatChunk"
import { type ChatError, SogniChatJobError, SogniChatOutputError } from "@effect-sogni/chat/ChatError"
import { SogniError } from "@effect-sogni/core"
import type * as Models from "@effect-sogni/media/Models"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as ZelaiClient from "./ZelaiClient.js"
import type * as ZelaiProtocol from "./ZelaiProtocol.js"
import type { ZelaiError } from "./ZelaiError.js"

const PROVIDER = "zelai"

const unsupported = (feature: string, message: string) =>
  new SogniError.SogniUnsupported({ feature, provider: PROVIDER, message: `ZelAI: ${message}` })

const statusOf: Readonly<Record<string, readonly [SogniError.SogniApiError["reason"], number]>> = {
  RateLimited: ["RateLimited", 429],
  ConcurrentLimit: ["RateLimited", 429],
  InvalidRequest: ["BadRequest", 400],
  NotFound: ["NotFound", 404],
  GenerationFailed: ["ServerError", 500],
  Internal: ["ServerError", 500],
  AuthRequired: ["Other", 401],
  Timeout: ["Timeout", 408],
  Unknown: ["Other", 0]
}

/**
 * A ZelAI failure as one of the chat service's errors: refusals become `SogniApiError` (status 429 with
 * `retryAfterMillis` for rate and concurrency limits; the wire code, request id and `resetAt` in
 * `details`); a lost connection becomes `SogniChatJobError` (`error: "zelai_connection_lost"`, not
 * retryable: the call may have been billed).
 *
 * @since 0.2.0
 */
export const toChatError = (error: ZelaiError): ChatError => {
  switch (error._tag) {
    case "ZelaiRequestError": {
      const [reason, status] = statusOf[error.reason] ?? ["Other", 0]
      return new SogniError.SogniApiError({
        reason,
        status,
        message: error.message,
        method: "WS",
        url: error.operation,
        ...(error.retryAfterMillis !== undefined ? { retryAfterMillis: error.retryAfterMillis } : {}),
        details: { code: error.code, requestId: error.requestId, resetAt: error.resetAt, details: error.details }
      })
    }
    case "ZelaiConnectionLost":
      return new SogniChatJobError({
        reason: "TransportLost",
        jobID: error.requestId,
        error: "zelai_connection_lost",
        message: error.message
      })
    default:
      return error
  }
}

const textOf = (content: ChatRequest.ChatMessage["content"]): string =>
  content === null ? "" : typeof content === "string" ? content : content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n")

const typeOf = (node: unknown): string => {
  if (typeof node !== "object" || node === null) return "string"
  const n = node as { type?: unknown; items?: unknown; anyOf?: unknown; enum?: unknown }
  if (Array.isArray(n.enum)) return `one of ${n.enum.map((v) => JSON.stringify(v)).join(", ")}`
  if (typeof n.type === "string") return n.type === "array" ? `array of ${typeOf(n.items)}` : n.type
  if (Array.isArray(n.anyOf)) return n.anyOf.map(typeOf).join(" or ")
  return "string"
}

/**
 * The `jsonTemplate` for a JSON schema: one entry per top-level property, `"<type>: <description>"`.
 * `undefined` when the schema has no properties (then only `jsonFormat` is sent).
 *
 * @since 0.2.0
 */
export const templateOf = (schema: unknown): Record<string, string> | undefined => {
  const properties = (schema as { properties?: unknown } | null)?.properties
  if (typeof properties !== "object" || properties === null) return undefined
  const out: Record<string, string> = {}
  for (const [key, node] of Object.entries(properties)) {
    const description = (node as { description?: unknown } | null)?.description
    out[key] = `${typeOf(node)}: ${typeof description === "string" ? description : key}`
  }
  return Object.keys(out).length === 0 ? undefined : out
}

const SAMPLING = ["maxTokens", "temperature", "topP", "topK", "minP", "repetitionPenalty", "frequencyPenalty", "presencePenalty", "stop"] as const

/**
 * Maps a chat request to ZelAI's LLM options, or the feature ZelAI lacks. Pure.
 *
 * @since 0.2.0
 */
export const toLlmRequest = (
  request: ChatRequest.ChatRequest,
  options: { readonly stream: boolean }
): Either.Either<ZelaiProtocol.LlmRequest, SogniError.SogniUnsupported | SogniError.SogniInvalidRequest> => {
  if ((request.tools?.length ?? 0) > 0 || request.sogniTools !== undefined || request.sogniToolExecution === true) {
    return Either.left(unsupported("tools", "tool calling is not offered by ZelAI's LLM"))
  }
  if (request.think === true) return Either.left(unsupported("think", "there is no thinking mode"))
  for (const name of SAMPLING) {
    if (request[name] !== undefined) return Either.left(unsupported(name, `${name} is not a ZelAI LLM option`))
  }
  const format = request.responseFormat
  const json = format !== undefined && format.type !== "text"
  if (json && options.stream) {
    return Either.left(unsupported("streamed structured output", "JSON output cannot be streamed; use complete or completeObject"))
  }
  const system: string[] = []
  const turns: Array<{ role: "user" | "assistant"; text: string }> = []
  let imageId: string | undefined
  for (const [i, m] of request.messages.entries()) {
    if (m.role === "system") {
      system.push(textOf(m.content))
      continue
    }
    if (m.role === "tool" || (m.tool_calls?.length ?? 0) > 0) {
      return Either.left(unsupported("tools", "tool messages cannot be sent to ZelAI"))
    }
    if (Array.isArray(m.content)) {
      for (const part of m.content) {
        if (part.type !== "image_url") continue
        const url = part.image_url.url
        const id = /^zelai:(.+)$/.exec(url)?.[1] ?? /\/api\/v1\/cdn\/([^/.?]+)\.[a-z0-9]+$/i.exec(url)?.[1]
        if (id === undefined) {
          return Either.left(unsupported("image input", "images must be ZelAI CDN files (zelai:<imageId>); uploads are not offered"))
        }
        if (imageId !== undefined || i !== request.messages.length - 1) {
          return Either.left(unsupported("multiple images", "one image, in the last message, is all ZelAI takes"))
        }
        imageId = decodeURIComponent(id)
      }
    }
    turns.push({ role: m.role === "assistant" ? "assistant" : "user", text: textOf(m.content) })
  }
  const last = turns.pop()
  if (last === undefined || last.role !== "user") {
    return Either.left(
      new SogniError.SogniInvalidRequest({ field: "messages", rule: "last-user", message: "the conversation must end with a user message" })
    )
  }
  const template = format?.type === "json_schema" ? templateOf(format.json_schema.schema) : undefined
  return Either.right({
    prompt: last.text,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
    ...(turns.length > 0 ? { memory: turns.map((t) => `${t.role === "user" ? "User" : "Assistant"}: ${t.text}`) } : {}),
    ...(json ? { jsonFormat: true } : {}),
    ...(template !== undefined ? { jsonTemplate: template } : {}),
    ...(imageId !== undefined ? { imageId } : {})
  })
}

const usageOf = (result: ZelaiProtocol.LlmResult): ChatChunkNs.TokenUsage => {
  const prompt = result.promptTokens ?? 0
  const completion = result.completionTokens ?? Math.max(0, result.tokensUsed - prompt)
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: result.tokensUsed }
}

const finish = (requestId: string, result: ZelaiProtocol.LlmResult, seconds: number) =>
  ChatChunk.Finish({
    jobID: requestId,
    role: "assistant",
    finishReason: "stop",
    usage: usageOf(result),
    timeTaken: seconds,
    workerName: undefined,
    cost: undefined,
    toolCalls: []
  })

/**
 * The chat service over the ZelAI client.
 *
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const zelai = yield* ZelaiClient.ZelaiClient
  // ZelAI publishes no model catalog: the list stays empty and `model` is not sent
  const models = yield* SubscriptionRef.make<ReadonlyArray<Models.LlmModel>>([])

  const stream = (request: ChatRequest.ChatRequest): Stream.Stream<ChatChunkNs.ChatChunk, ChatError> =>
    Either.match(toLlmRequest(request, { stream: true }), {
      onLeft: (e) => Stream.fail(e),
      onRight: (llm) =>
        Stream.unwrap(Effect.map(Effect.clock, (clock) => {
          // the fiber's clock, read synchronously per frame (TestClock in tests)
          const startedAt = clock.unsafeCurrentTimeMillis()
          let started = false
          return zelai.llmStream(llm).pipe(
            Stream.mapError(toChatError),
            Stream.mapConcat((part): ReadonlyArray<ChatChunkNs.ChatChunk> => {
              const head = started ? [] : [
                ChatChunk.JobState({
                  jobID: part.requestId,
                  state: "jobStarted",
                  queuePosition: undefined,
                  workerName: undefined,
                  modelId: request.model,
                  estimatedCost: undefined
                })
              ]
              started = true
              return part._tag === "Delta"
                ? [...head, ChatChunk.TextDelta({ text: part.text })]
                : [
                  ...head,
                  ChatChunk.Usage({ usage: usageOf(part.result) }),
                  finish(part.requestId, part.result, (clock.unsafeCurrentTimeMillis() - startedAt) / 1000)
                ]
            })
          )
        }))
    })

  const complete = (request: ChatRequest.ChatRequest): Effect.Effect<ChatChunkNs.ChatCompletion, ChatError> => {
    const format = request.responseFormat
    if (format === undefined || format.type === "text") return Chat.foldCompletion(stream(request))
    return Effect.gen(function*() {
      const llm = yield* toLlmRequest(request, { stream: false })
      const startedAt = yield* Clock.currentTimeMillis
      const result = yield* zelai.llm(llm).pipe(Effect.mapError(toChatError))
      const endedAt = yield* Clock.currentTimeMillis
      // prefer the parsed `json` (the text may be empty or hold the same JSON)
      const text = result.json !== undefined ? JSON.stringify(result.json) : result.text
      return {
        jobID: result.requestId,
        text,
        reasoning: "",
        role: "assistant",
        finishReason: "stop",
        usage: usageOf(result),
        timeTaken: (endedAt - startedAt) / 1000,
        workerName: undefined,
        cost: undefined,
        toolCalls: []
      } satisfies ChatChunkNs.ChatCompletion
    })
  }

  const completeObject = <A, I, R>(
    request: ChatRequest.ChatRequest,
    schema: Schema.Schema<A, I, R>,
    call?: Chat.ObjectOptions
  ): Effect.Effect<Chat.ObjectCompletion<A>, ChatError | SogniChatOutputError, R> =>
    Effect.gen(function*() {
      const completion = yield* complete({
        ...request,
        responseFormat: {
          type: "json_schema",
          json_schema: { name: call?.name ?? "response", schema: Tool.jsonSchemaOf(schema), strict: true }
        }
      })
      return yield* Chat.decodeObjectAnswer(completion, schema)
    })

  const noTools = unsupported("tools", "tool calling is not offered by ZelAI's LLM")

  return {
    models,
    modelInfo: () => Effect.succeed(Option.none()),
    stream: (request) => stream(request),
    complete: (request) => complete(request),
    completeObject,
    streamWithTools: () => Stream.fail(noTools),
    completeWithTools: () => Effect.fail(noTools)
  } satisfies Chat.ChatService
})

/**
 * `Chat` on ZelAI (needs a {@link ZelaiClient.ZelaiClient}).
 *
 * @since 0.2.0
 */
export const layer: Layer.Layer<Chat.Chat, never, ZelaiClient.ZelaiClient> = Layer.effect(Chat.Chat, make)
