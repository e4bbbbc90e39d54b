/**
 * The chat service (`@effect-sogni/chat`'s {@link Chat.Chat}) on a Sage server: a program written
 * against `Chat` — or against `@effect/ai`'s `LanguageModel` through `AiLanguageModel.layer`, which is
 * built on `Chat` — runs on a local Ollama or LM Studio model by providing {@link layer} instead of
 * Sogni's chat layer.
 *
 * - Models: `models` holds the Sage model list in the shape of Sogni's (`id` is `<provider>/<name>`,
 *   e.g. `ollama/qwen2.5:7b`; `info` says `provider`, `name` and `vision`). A request may name a model
 *   by that id or by its bare name (then the layer's `provider` is used). The list is loaded once in
 *   the background; `modelInfo` waits for it at most `modelCatalogWait`.
 * - Messages: Sage takes one prompt and one system text, so system messages become the system text and
 *   the rest the prompt (a single user message as is; a longer conversation as a `User:` /
 *   `Assistant:` transcript). Image parts (data URLs, checked against Sage's limits) send the request
 *   to the vision routes.
 * - Streams: text deltas (with `<think>` blocks split into reasoning unless `splitThinking: false`),
 *   then one `Finish`. Sage reports no token counts: usage is zero. Interrupting closes the connection
 *   (the local model may keep computing: Sage has no cancel route).
 * - Not on Sage, refused with `SogniUnsupported` before any request: tools (`tools`, `toolChoice`, tool
 *   messages, `streamWithTools`, `completeWithTools`), Sogni's platform tools, and structured output
 *   (`responseFormat`, `completeObject`) — Sage forwards no output format to its providers. Sogni's
 *   billing and routing fields (`tokenType`, `billingMode`, `appSource`, `taskProfile`,
 *   `safeContentFilter`) mean nothing locally and are ignored.
 * - Errors keep the chat union: an HTTP refusal is `SogniApiError` (its `details` carry the server's
 *   `error_code`, `provider`, `operation`); an error event, an empty answer, an unfinished stream or the
 *   client's full queue is `SogniChatJobError { reason: "JobFailed" | "Incomplete" }` whose `errorCode`
 *   is the server's `error_code`; transport failures and timeouts are core's.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Stream } from "effect"
 * import { Chat } from "@effect-sogni/chat"
 * import { SageChat, SageClient } from "@effect-sogni/sage"
 *
 * const program = Chat.stream({ model: "ollama/qwen2.5:7b", messages: [{ role: "user", content: "A haiku" }] }).pipe(
 *   Stream.runForEach((c) => c._tag === "TextDelta" ? Effect.sync(() => process.stdout.write(c.text)) : Effect.void)
 * )
 *
 * program.pipe(
 *   Effect.provide(SageChat.layer().pipe(Layer.provide(SageClient.layerFetch({ baseUrl: "http://127.0.0.1:8188/api" })))),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.2.0
 */
import { SogniError } from "@effect-sogni/core"
import { Chat, type ChatChunk as ChatChunkModule, ChatError, ChatRequest, ThinkSplitter } from "@effect-sogni/chat"
import type * as Models from "@effect-sogni/media/Models"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { SageClient } from "./SageClient.js"
import type { SageClientError } from "./SageError.js"
import * as SageWire from "./SageWire.js"

type ChatChunk = ChatChunkModule.ChatChunk

/**
 * The defaults, written once.
 *
 * @since 0.2.0
 */
export const defaults = {
  provider: "ollama" as SageWire.Provider,
  modelCatalogWait: Duration.seconds(3)
} as const

/** @since 0.2.0 */
export interface SageChatOptions {
  /** Provider of model names without a `<provider>/` prefix (default `ollama`). */
  readonly provider?: SageWire.Provider | undefined
  /** How long `modelInfo` waits for the first model list (default 3 s). */
  readonly modelCatalogWait?: Duration.DurationInput | undefined
  /** Split `<think>` blocks into reasoning (default `true`). */
  readonly splitThinking?: boolean | undefined
}

const PROVIDER_PREFIX = /^(ollama|lmstudio|ollama_rest|lmstudio_rest)\/(.+)$/

/**
 * The provider and model name of a chat model id: `<provider>/<name>`, or a bare name with the default
 * provider.
 *
 * @since 0.2.0
 */
export const parseModel = (id: string, provider: SageWire.Provider): { readonly provider: SageWire.Provider; readonly model: string } => {
  const m = PROVIDER_PREFIX.exec(id.trim())
  return m === null ? { provider, model: id.trim() } : { provider: m[1] as SageWire.Provider, model: m[2]! }
}

/**
 * Sage's model lists in the shape of Sogni's LLM list.
 *
 * @since 0.2.0
 */
export const llmModelsOf = (text: SageWire.ModelList, vision: SageWire.ModelList): ReadonlyArray<Models.LlmModel> => {
  const out: Array<Models.LlmModel> = []
  for (const [provider, names] of Object.entries(text.models)) {
    const seeing = new Set(vision.models[provider] ?? [])
    for (const name of names) {
      const caps = text.capabilities[provider]?.[name]
      out.push({
        id: `${provider}/${name}`,
        workers: 1,
        maxContextLength: caps?.contextWindow,
        maxOutputTokens: undefined,
        info: {
          provider,
          name,
          vision: seeing.has(name) || caps?.vision === true,
          ...(caps?.maxOutputTokens !== undefined ? { maxOutputTokens: caps.maxOutputTokens } : {})
        }
      })
    }
  }
  return out
}

const unsupported = (feature: string, message: string) =>
  new SogniError.SogniUnsupported({ feature, provider: "sage", message })

/**
 * What Sage cannot do with a request, refused before anything is sent.
 *
 * @since 0.2.0
 */
export const unsupportedFeature = (request: ChatRequest.ChatRequest): SogniError.SogniUnsupported | undefined => {
  if ((request.tools !== undefined && request.tools.length > 0) || (request.toolChoice !== undefined && request.toolChoice !== "none")) {
    return unsupported("tools", "Sage has no tool calling for its local models")
  }
  if (request.messages.some((m) => m.role === "tool" || (m.tool_calls !== undefined && m.tool_calls.length > 0))) {
    return unsupported("tools", "Sage has no tool calling: the conversation carries tool calls or results")
  }
  if ((request.sogniTools !== undefined && request.sogniTools !== false) || request.sogniToolExecution === true) {
    return unsupported("sogniTools", "Sogni's platform tools are not available on Sage")
  }
  if (request.responseFormat !== undefined && request.responseFormat.type !== "text") {
    return unsupported("structuredOutput", "Sage forwards no output format to its providers, so structured output is not available")
  }
  return undefined
}

const textOf = (content: ChatRequest.ChatMessage["content"]): string =>
  content === null
    ? ""
    : typeof content === "string"
    ? content
    : content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n")

/**
 * The Sage request of a chat request (checked: unsupported features, chat's own rules, Sage's image
 * limits).
 *
 * @since 0.2.0
 */
export const toSageRequest = (
  request: ChatRequest.ChatRequest,
  provider: SageWire.Provider
): Either.Either<
  { readonly vision: boolean; readonly request: SageWire.VisionRequest },
  SogniError.SogniUnsupported | SogniError.SogniInvalidRequest
> => {
  const refused = unsupportedFeature(request)
  if (refused !== undefined) return Either.left(refused)
  // chat's own rules, without its image rules (Sogni's formats and caps): Sage's are checked below
  const valid = ChatRequest.validate({
    ...request,
    messages: request.messages.map((m) =>
      m.content === null || typeof m.content === "string"
        ? m
        : { ...m, content: m.content.map((p) => (p.type === "image_url" ? { type: "text" as const, text: "(image)" } : p)) }
    )
  })
  if (Either.isLeft(valid)) return Either.left(valid.left)
  const images: Array<string> = []
  for (let i = 0; i < request.messages.length; i++) {
    const content = request.messages[i]!.content
    if (content === null || typeof content === "string") continue
    for (let j = 0; j < content.length; j++) {
      const part = content[j]!
      if (part.type !== "image_url") continue
      const check = SageWire.validateImage(part.image_url.url, `messages[${i}].content[${j}].image_url.url`)
      if (Either.isLeft(check)) return Either.left(check.left)
      images.push(part.image_url.url)
    }
  }
  if (images.length > SageWire.imageLimits.maxCount) {
    return Either.left(
      new SogniError.SogniInvalidRequest({
        field: "messages",
        rule: "max-images",
        message: `Sage takes at most ${SageWire.imageLimits.maxCount} images per request (got ${images.length})`
      })
    )
  }
  const system = request.messages.filter((m) => m.role === "system").map((m) => textOf(m.content)).filter((t) => t.length > 0)
  const turns = request.messages.filter((m) => m.role !== "system")
  const prompt = turns.length === 1 && turns[0]!.role === "user"
    ? textOf(turns[0]!.content)
    : turns.map((m) => `${m.role === "assistant" ? "Assistant" : "User"}: ${textOf(m.content)}`).join("\n\n")
  const target = parseModel(request.model, provider)
  const stop = request.stop === undefined ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop
  const sage: SageWire.VisionRequest = {
    provider: target.provider,
    model: target.model,
    prompt,
    images,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
    ...(request.topP !== undefined ? { topP: request.topP } : {}),
    ...(request.topK !== undefined && request.topK >= 0 ? { topK: request.topK } : {}),
    ...(request.minP !== undefined ? { minP: request.minP } : {}),
    ...(request.repetitionPenalty !== undefined ? { repeatPenalty: request.repetitionPenalty } : {}),
    ...(request.presencePenalty !== undefined ? { presencePenalty: request.presencePenalty } : {}),
    ...(request.frequencyPenalty !== undefined ? { frequencyPenalty: request.frequencyPenalty } : {}),
    ...(stop !== undefined ? { stop } : {}),
    ...(request.think !== undefined ? { reasoning: request.think ? "on" : "off" } : {})
  }
  return Either.right({ vision: images.length > 0, request: sage })
}

/**
 * A Sage client error in the chat error union (see the module notes).
 *
 * @since 0.2.0
 */
export const toChatError = (jobID: string) => (error: SageClientError): ChatError.ChatError => {
  if (error._tag !== "SageError") return error
  if (error.status !== undefined && error.status >= 300) {
    return new SogniError.SogniApiError({
      reason: SogniError.apiReasonFromStatus(error.status),
      status: error.status,
      message: error.message,
      method: "POST",
      url: error.route,
      details: {
        ...(error.errorCode !== undefined ? { error_code: error.errorCode } : {}),
        ...(error.provider !== undefined ? { provider: error.provider } : {}),
        ...(error.operation !== undefined ? { operation: error.operation } : {})
      }
    })
  }
  const tag = error.reason.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()
  return new ChatError.SogniChatJobError({
    reason: error.reason === "Incomplete" ? "Incomplete" : "JobFailed",
    jobID,
    error: error.errorCode ?? tag,
    ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}),
    message: error.message
  })
}

/**
 * Builds the service over a {@link SageClient}.
 *
 * @since 0.2.0
 */
export const make = (options: SageChatOptions = {}): Effect.Effect<Chat.ChatService, never, SageClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* SageClient
    const provider = options.provider ?? defaults.provider
    const catalogWait = Duration.decode(options.modelCatalogWait ?? defaults.modelCatalogWait)
    const splitDefault = options.splitThinking ?? true

    const models = yield* SubscriptionRef.make<ReadonlyArray<Models.LlmModel>>([])
    let loaded = false
    yield* Effect.forkScoped(
      Effect.all([client.models(), client.visionModels()]).pipe(
        Effect.flatMap(([text, vision]) => SubscriptionRef.set(models, llmModelsOf(text, vision))),
        Effect.tap(() => Effect.sync(() => (loaded = true))),
        Effect.catchAll((e) => Effect.logDebug(`SageChat: the model list could not be loaded: ${e.message}`))
      )
    )
    const modelInfo = (id: string): Effect.Effect<Option.Option<Models.LlmModel>> =>
      Effect.gen(function*() {
        if (!loaded) {
          yield* models.changes.pipe(Stream.filter(() => loaded), Stream.runHead, Effect.timeout(catalogWait), Effect.ignore)
        }
        const target = parseModel(id, provider)
        const key = `${SageWire.normalizeProvider(target.provider)}/${target.model}`
        return Option.fromNullable((yield* SubscriptionRef.get(models)).find((m) => m.id === key))
      })

    const newJobID = Effect.map(Random.nextIntBetween(0, 0x7fffffff), (n) => `sage-${n.toString(16).padStart(8, "0")}`)

    const prepare = (request: ChatRequest.ChatRequest) =>
      Either.match(toSageRequest(request, provider), { onLeft: Effect.fail, onRight: Effect.succeed })

    const stream = (request: ChatRequest.ChatRequest, call?: Chat.CallOptions): Stream.Stream<ChatChunk, ChatError.ChatError> =>
      Stream.unwrap(Effect.gen(function*() {
        const { request: sage, vision } = yield* prepare(request)
        const jobID = yield* newJobID
        const started = yield* Clock.currentTimeMillis
        const split = call?.splitThinking ?? splitDefault
        let splitter = ThinkSplitter.initial
        let sawText = false
        const pieces = (text: string, final: boolean): Array<ChatChunk> => {
          if (!split) return text.length > 0 ? [{ _tag: "TextDelta", text }] : []
          const pushed = ThinkSplitter.push(splitter, text)
          const flushed = final ? ThinkSplitter.flush(pushed.state) : undefined
          splitter = flushed?.state ?? pushed.state
          const reasoning = pushed.reasoning + (flushed?.reasoning ?? "")
          const content = pushed.content + (flushed?.content ?? "")
          return [
            ...(reasoning.length > 0 ? [{ _tag: "ReasoningDelta", text: reasoning } as const] : []),
            ...(content.length > 0 ? [{ _tag: "TextDelta", text: content } as const] : [])
          ]
        }
        const source = vision ? client.visionGenerateStream(sage) : client.generateStream(sage)
        return source.pipe(
          Stream.mapError(toChatError(jobID)),
          Stream.mapConcatEffect((event): Effect.Effect<ReadonlyArray<ChatChunk>> => {
            switch (event._tag) {
              case "TextDelta":
                sawText = true
                return Effect.succeed(pieces(event.text, false))
              case "Progress":
                return Effect.succeed([])
              case "Done":
                return Effect.map(Clock.currentTimeMillis, (now) => [
                  // a server that sent the answer only in its final event
                  ...pieces(sawText ? "" : event.text, true),
                  {
                    _tag: "Finish",
                    jobID,
                    role: "assistant",
                    finishReason: "stop",
                    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
                    timeTaken: (now - started) / 1000,
                    workerName: SageWire.normalizeProvider(sage.provider ?? provider),
                    cost: undefined,
                    toolCalls: []
                  } as const
                ])
            }
          })
        )
      })).pipe(Stream.withSpan("SageChat.stream", { attributes: { model: request.model } }))

    const complete = (request: ChatRequest.ChatRequest, call?: Chat.CallOptions) =>
      Chat.foldCompletion(stream(request, call)).pipe(Effect.withSpan("SageChat.complete", { attributes: { model: request.model } }))

    return {
      models,
      modelInfo,
      stream,
      complete,
      completeObject: () =>
        Effect.fail(unsupported("structuredOutput", "Sage forwards no output format to its providers, so structured output is not available")),
      streamWithTools: () => Stream.fail(unsupported("tools", "Sage has no tool calling for its local models")),
      completeWithTools: () => Effect.fail(unsupported("tools", "Sage has no tool calling for its local models"))
    } satisfies Chat.ChatService
  })

/**
 * The `Chat` service on Sage (needs a {@link SageClient}).
 *
 * @since 0.2.0
 */
export const layer = (options?: SageChatOptions): Layer.Layer<Chat.Chat, never, SageClient> => Layer.scoped(Chat.Chat, make(options))
