/**
 * `sogni.chat`: socket chat completions with the official client's parameter names, over
 * `@effect-sogni/chat`.
 *
 * - `completions.create(params)` resolves with the completion;
 * - `completions.create({ ...params, stream: true })` resolves with a {@link ChatStream}, an async
 *   iterable of chunks whose `finalResult` is set once the stream ended;
 * - with `autoExecuteTools: true` and an `onToolCall` handler, the model's tool calls run locally and
 *   their results go back to the model until it answers, streaming included (the chat package's tool
 *   loop; the official client refuses to auto-execute while streaming).
 *
 * The content is the model's text as sent (`<think>` blocks included), as in the official client.
 *
 * @since 0.1.0
 */
import * as Chat from "@effect-sogni/chat/Chat"
import type * as ChatChunk from "@effect-sogni/chat/ChatChunk"
import * as ChatRequest from "@effect-sogni/chat/ChatRequest"
import type * as ChatRuns from "@effect-sogni/chat/ChatRuns"
import type * as HostedChat from "@effect-sogni/chat/HostedChat"
import * as Tool from "@effect-sogni/chat/Tool"
import * as Lazy from "@effect-sogni/core/Lazy"
import * as PlatformToolNames from "@effect-sogni/core/PlatformToolNames"
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Models from "@effect-sogni/media/Models"
import type * as Projects from "@effect-sogni/media/Projects"
import type * as Results from "@effect-sogni/media/Results"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import { InvalidRequestError, isChatJobError } from "./errors.js"
import { fromTyped } from "./internal/errorMapping.js"
import { type BatchSource, batches, type Polled, scopedBatches } from "./internal/batchSource.js"
import { deepDefined } from "./internal/defined.js"
import { Emitter } from "./internal/emitter.js"
import { llmModelsById } from "./internal/lazyApis.js"
import type { CallOptions, Runner } from "./internal/runner.js"
import { iterate } from "./internal/streams.js"
import { failOnRefusal } from "./ProjectsApi.js"
import type {
  ChatCompletionChunk,
  ChatRunEvent,
  ChatRunRecord,
  ConfirmChatRunCostParams,
  HostedChatCompletionParams,
  HostedChatCompletionResult,
  HostedToolExecutionParams,
  HostedToolExecutionResult,
  StartChatRunParams,
  StreamChatRunEventsOptions,
  ChatCompletionParams,
  ChatCompletionResult,
  ChatJobStateEvent,
  LLMCostEstimation,
  LLMJobCost,
  LLMModelInfo,
  TokenUsage,
  ToolCall,
  ToolExecutionOptions,
  ToolExecutionProgress,
  ToolExecutionResult
} from "./types.js"

/**
 * Events of `sogni.chat`, as the official client emits them: `jobState` for each lifecycle frame,
 * `token` for each streamed piece, `completed` with the result, `error` when a job fails, and
 * `modelsUpdated` with the LLM list.
 *
 * @since 0.1.0
 */
export interface ChatApiEvents {
  readonly token: ChatCompletionChunk
  readonly completed: ChatCompletionResult
  readonly error: {
    readonly jobID: string
    readonly error: string
    readonly errorCode?: string
    readonly message: string
    readonly workerName?: string
  }
  readonly jobState: ChatJobStateEvent
  readonly modelsUpdated: Readonly<Record<string, LLMModelInfo>>
}

/** Where a fold reports what the official client emits on `sogni.chat`. @internal */
type ChatEmit = <K extends keyof ChatApiEvents>(event: K, data: ChatApiEvents[K]) => void

/** Reports a failed chat job as the official `error` event. */
const emitFailure = (emit: ChatEmit, error: unknown): void => {
  if (!isChatJobError(error)) return
  emit("error", strip({
    jobID: error.jobID,
    error: error.error ?? error.errorType,
    errorCode: error.errorCode ?? error.code,
    message: error.message,
    workerName: error.workerName
  }))
}

/** @internal */
export type ChatRequirements =
  | Chat.Chat
  | Models.Models
  | SogniSocket.SogniSocket
  | SogniRest.SogniRest
  | SogniConfig.SogniConfig
  | Projects.Projects
  | Results.Results

/** Drops `undefined` fields (the wire and the types treat absent and undefined differently). */
const strip = <A extends Record<string, unknown>>(a: A): { [K in keyof A]: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as never

/** The official parameters as the chat package's request (validated there). */
export const toChatRequest = (p: ChatCompletionParams): ChatRequest.ChatRequest =>
  strip({
    model: p.model,
    messages: p.messages,
    appSource: p.appSource,
    maxTokens: p.max_tokens,
    temperature: p.temperature,
    topP: p.top_p,
    topK: p.top_k,
    minP: p.min_p,
    repetitionPenalty: p.repetition_penalty,
    frequencyPenalty: p.frequency_penalty,
    presencePenalty: p.presence_penalty,
    stop: p.stop,
    tokenType: p.tokenType,
    safeContentFilter: p.safeContentFilter,
    billingMode: p.billingMode,
    tools: p.tools,
    toolChoice: p.tool_choice,
    sogniTools: p.sogni_tools,
    sogniToolExecution: p.sogni_tool_execution,
    taskProfile: p.taskProfile,
    think: p.think,
    responseFormat: p.response_format
  })

/** The official hosted parameters (snake_case or camelCase aliases) as the chat package's hosted request. */
export const toHostedRequest = (p: HostedChatCompletionParams): HostedChat.HostedChatRequest => {
  const base = toChatRequest({
    ...p,
    ...(p.tokenType ?? p.token_type) !== undefined ? { tokenType: p.tokenType ?? p.token_type } : {},
    ...(p.taskProfile ?? p.task_profile) !== undefined ? { taskProfile: p.taskProfile ?? p.task_profile } : {},
    ...(p.appSource ?? p.app_source) !== undefined ? { appSource: p.appSource ?? p.app_source } : {},
    ...(p.safeContentFilter ?? p.safe_content_filter) !== undefined
      ? { safeContentFilter: p.safeContentFilter ?? p.safe_content_filter }
      : {},
    stream: false
  } as ChatCompletionParams)
  return strip({
    ...base,
    mediaReferences: p.mediaReferences ?? p.media_references,
    apiMediaReferences: p.apiMediaReferences ?? p.api_media_references,
    chatTemplateKwargs: p.chat_template_kwargs
  })
}

/**
 * The chat package's `SogniTools` (and with it the protocol's tool manifest, argument schemas and ajv) is
 * loaded on the first auto-executed platform tool, not when the client loads: a program that never runs
 * a platform tool never loads them.
 */
const loadSogniTools: Effect.Effect<typeof import("@effect-sogni/chat/SogniTools")> = Effect.promise(() =>
  import("@effect-sogni/chat/SogniTools")
)

/**
 * Hosted chat and chat runs (`HostedChat`, `ChatRuns` and their wire schemas) load on the first
 * `hosted` or `runs` call: a program that only uses socket chat never builds them.
 */
const loadChatRest: Effect.Effect<typeof import("./internal/chatRest.js")> = Effect.promise(() =>
  import("./internal/chatRest.js")
)

/** The hosted-chat service, on the client's REST service. */
const hostedChat = Effect.flatMap(loadChatRest, (m) => m.hostedChat)

/** The chat-runs service, on the client's REST service. */
const chatRuns = Effect.flatMap(loadChatRest, (m) => m.chatRuns)

/** Whether the completion runs tools itself (the chat package's tool loop) rather than a single job. */
const executesTools = (p: ChatCompletionParams): boolean =>
  p.autoExecuteTools === true && p.tools !== undefined && p.tools.length > 0

/**
 * The toolkit of an auto-executed completion: the client-executable Sogni platform tools among the
 * request's `tools` (`generate_image`, `edit_image`, `generate_video`, `sound_to_video`,
 * `video_to_video`, `generate_music`) run as media projects through the chat package's `SogniTools`, as
 * the official client runs its platform tools itself; every other declared function runs the caller's
 * `onToolCall`. None when nothing is to be executed.
 */
const toolkitOf = (
  p: ChatCompletionParams
): Effect.Effect<Tool.Toolkit | undefined, never, Projects.Projects | Models.Models | Results.Results> =>
  Effect.gen(function*() {
    const handler = p.onToolCall
    if (!executesTools(p) || p.tools === undefined) return undefined
    const platform = p.tools.filter((t) => PlatformToolNames.isClientExecutableToolName(t.function.name))
    const session = platform.length > 0
      ? yield* Effect.flatMap(loadSogniTools, (SogniTools) => SogniTools.make(strip({ tokenType: p.tokenType })))
      : undefined
    const byName = new Map((session?.all ?? []).map((t) => [t.name, t] as const))
    const tools = new Map<string, Tool.Tool>()
    for (const definition of p.tools) {
      const name = definition.function.name
      const builtIn = byName.get(name)
      if (builtIn !== undefined) {
        // the caller's definition is what the model sees; the platform tool runs the call
        tools.set(name, { ...builtIn, definition })
        continue
      }
      if (handler === undefined) continue
      tools.set(name, {
        name,
        description: definition.function.description,
        definition,
        // the JSON arguments go to the handler as the model sent them (the official client's contract)
        decode: (args) => Either.right(args),
        run: (_params, call) =>
          Effect.tryPromise({
            try: async () => {
              p.onToolProgress?.(call, { status: "processing", percent: 0 })
              const out = await handler(call)
              p.onToolProgress?.(call, { status: "completed", percent: 100 })
              return typeof out === "string" ? out : JSON.stringify(out)
            },
            catch: (error) => {
              p.onToolProgress?.(call, { status: "failed", percent: 100 })
              return error
            }
          })
      })
    }
    if (tools.size === 0) return undefined
    return { tools, definitions: p.tools }
  })

/** Streams a completion: with the tool loop when something is to be executed, else a single job. */
const chatStream = (
  p: ChatCompletionParams,
  request: ChatRequest.ChatRequest
): Stream.Stream<AnyChunk, unknown, ChatRequirements> =>
  Stream.unwrap(
    Effect.gen(function*() {
      const chat = yield* Chat.Chat
      const kit = yield* toolkitOf(p)
      return kit === undefined
        ? chat.stream(request, callOptions) as Stream.Stream<AnyChunk, unknown>
        : chat.streamWithTools(request, kit, toolOptions(p)) as Stream.Stream<AnyChunk, unknown>
    })
  )

/**
 * One job's chunks as batches; the client's chat service (the chat package's) always offers them. Text
 * deltas come as their bare text where the service can hand them over so (`pollText`): the stream
 * builds its own piece from the text, so the element would only be read once and dropped.
 */
const singleJob = (chat: Chat.ChatService, request: ChatRequest.ChatRequest) =>
  chat.batches !== undefined
    ? Effect.map(chat.batches(request, callOptions), (b): Polled<AnyChunk | string, unknown> => {
      const pollText = b.pollText
      return pollText === undefined ? b : { poll: pollText, failure: b.failure, onReady: b.onReady, awaitEnd: b.awaitEnd }
    })
    : Effect.dieMessage("the chat service offers no ChunkBatches (the client runs on the chat package's Chat)")

// the content as sent (`<think>` included); the job states feed the `jobState` events and name the job early
const callOptions = { splitThinking: false, jobStates: true } as const

const toolOptions = (p: ChatCompletionParams) =>
  strip({ ...callOptions, maxToolRounds: p.maxToolRounds }) as typeof callOptions & { maxToolRounds?: number }

type AnyChunk = ChatChunk.ToolStreamChunk

/** The names of the request's tools that run as Sogni media projects when auto-executed. */
const platformToolNames = (p: ChatCompletionParams): ReadonlySet<string> =>
  new Set(
    p.autoExecuteTools === true
      ? (p.tools ?? []).map((t) => t.function.name).filter((name) => PlatformToolNames.isClientExecutableToolName(name))
      : []
  )

/** A media tool's JSON result (`{"success":true,"media_type":…,"urls":[…],…}`) as its URLs. */
// built, and its decoder compiled, on first use (a platform tool's result), not at import
const ToolOutputUrls = Lazy.schema(() => Schema.parseJson(Schema.Struct({ urls: Schema.Array(Schema.String) })))
let decodeToolOutputUrlsCompiled: ReturnType<typeof makeDecodeToolOutputUrls> | undefined
const makeDecodeToolOutputUrls = () => Schema.decodeUnknownOption(ToolOutputUrls)
const decodeToolOutputUrls = (u: unknown) => (decodeToolOutputUrlsCompiled ??= makeDecodeToolOutputUrls())(u)
const urlsOf = (content: string): ReadonlyArray<string> =>
  Option.match(decodeToolOutputUrls(content), { onNone: () => [], onSome: (o) => o.urls })

/**
 * Folds chunks into official-shaped pieces and the final result; shared by `create` with and without
 * `stream: true`, so both give the same answer.
 */
class Folder {
  /**
   * @param platformTools the names of the calls run as media projects (their results carry `urls`)
   * @param emit where the official `sogni.chat` events go
   */
  constructor(
    private readonly platformTools: ReadonlySet<string> = new Set(),
    private readonly emit: ChatEmit = () => undefined
  ) {}

  /** Whether the current job's first piece went out (it carries the `role`, as the first token frame). */
  private roleSent = false

  /** Folds one chunk and emits the official events it stands for. */
  /**
   * Folds one text or reasoning delta (the hot path: one chunk per token) into its piece, with no event
   * but `token`.
   */
  pushText(text: string): ChatCompletionChunk {
    this.parts.push(text)
    let piece: ChatCompletionChunk
    if (this.roleSent) {
      piece = { jobID: this.jobID, content: text }
    } else {
      this.roleSent = true
      piece = { jobID: this.jobID, content: text, role: "assistant" }
    }
    this.emit("token", piece)
    return piece
  }

  push(chunk: AnyChunk): ReadonlyArray<ChatCompletionChunk> {
    if (chunk._tag === "TextDelta" || chunk._tag === "ReasoningDelta") return [this.pushText(chunk.text)]
    const folded = this.fold(chunk)
    const pieces = folded.map((piece) => {
      if (this.roleSent || piece.toolCall !== undefined || piece.toolResult !== undefined || piece.finishReason !== undefined) {
        return piece
      }
      this.roleSent = true
      return { ...piece, role: "assistant" }
    })
    if (chunk._tag === "Finish") this.roleSent = false
    if (chunk._tag === "JobState") {
      this.emit("jobState", strip({
        jobID: chunk.jobID,
        type: chunk.state,
        workerName: chunk.workerName,
        queuePosition: chunk.queuePosition,
        modelId: chunk.modelId,
        estimatedCost: chunk.estimatedCost
      }))
    }
    for (const piece of pieces) if (piece.toolCall === undefined && piece.toolResult === undefined) this.emit("token", piece)
    if (chunk._tag === "Finish") {
      const result = this.roundResult(chunk)
      this.emit("completed", result)
    }
    return pieces
  }

  jobID = ""
  /**
   * The text so far: {@link flat} followed by the pieces of the current batch, joined into it once per
   * batch ({@link flush}) rather than one string concatenation per token (each token would stay
   * reachable as a node of the concatenated string).
   */
  private flat = ""
  private readonly parts: Array<string> = []
  /** Joins the current batch's pieces into the text; the stream calls it once per batch. */
  flush(): void {
    if (this.parts.length === 0) return
    this.flat += this.parts.length === 1 ? this.parts[0]! : this.parts.join("")
    // one array for the stream's life, not one per batch
    this.parts.length = 0
  }
  /** All text so far. */
  get content(): string {
    this.flush()
    return this.flat
  }
  /** Where the current tool round's text starts in {@link content} (one copy of the text, not two). */
  private roundStart = 0
  /** The text of the current tool round. */
  get roundText(): string {
    return this.roundStart === 0 ? this.content : this.content.slice(this.roundStart)
  }
  workerName: string | undefined
  cost: LLMJobCost | undefined
  toolCalls: ReadonlyArray<ToolCall> = []
  finish: Extract<ChatChunk.ChatChunk, { _tag: "Finish" }> | undefined
  readonly history: Array<{ round: number; toolCalls: Array<ToolCall>; toolResults: Array<ToolExecutionResult> }> = []

  private fold(chunk: AnyChunk): ReadonlyArray<ChatCompletionChunk> {
    switch (chunk._tag) {
      case "JobState":
        this.jobID = chunk.jobID
        return []
      case "TextDelta":
      case "ReasoningDelta":
        this.parts.push(chunk.text)
        return [{ jobID: this.jobID, content: chunk.text }]
      case "ToolCallDelta":
        return [{
          jobID: this.jobID,
          content: "",
          tool_calls: [
            strip({
              index: chunk.index,
              id: chunk.id,
              type: "function",
              function: strip({ name: chunk.name, arguments: chunk.arguments })
            })
          ]
        }]
      case "Usage":
        return []
      case "Finish":
        this.finish = chunk
        this.jobID = chunk.jobID
        this.workerName = chunk.workerName
        this.cost = chunk.cost
        this.toolCalls = chunk.toolCalls
        return [{ jobID: chunk.jobID, content: "", finishReason: chunk.finishReason, usage: chunk.usage }]
      case "ToolCall": {
        const entry = this.entry(chunk.round)
        entry.toolCalls.push(chunk.call)
        this.roundStart = this.content.length
        return [{ jobID: this.jobID, content: "", toolCall: chunk.call }]
      }
      case "ToolResult": {
        const result: ToolExecutionResult = strip({
          toolCallId: chunk.toolCallId,
          toolName: chunk.name,
          success: chunk.error === undefined,
          resultUrls: chunk.error === undefined && this.platformTools.has(chunk.name) ? urlsOf(chunk.content) : [],
          content: chunk.content,
          error: chunk.error?.message
        })
        this.entry(chunk.round).toolResults.push(result)
        return [{ jobID: this.jobID, content: "", toolResult: result }]
      }
    }
  }

  private entry(round: number) {
    let e = this.history.find((h) => h.round === round)
    if (e === undefined) {
      e = { round, toolCalls: [], toolResults: [] }
      this.history.push(e)
    }
    return e
  }

  /** One job's result, as the official client's `completed` event carries it. */
  private roundResult(f: Extract<ChatChunk.ChatChunk, { _tag: "Finish" }>): ChatCompletionResult {
    return strip({
      jobID: f.jobID,
      content: this.history.length > 0 ? this.roundText : this.content,
      role: f.role,
      finishReason: f.finishReason,
      usage: f.usage as TokenUsage,
      timeTaken: f.timeTaken,
      workerName: f.workerName,
      cost: f.cost,
      tool_calls: f.toolCalls.length > 0 ? f.toolCalls : undefined,
      // the adapter's extra: the reply crossed a reconnect (the chat package logged the warning)
      gap: f.gap
    })
  }

  result(): ChatCompletionResult | null {
    const f = this.finish
    if (f === undefined) return null
    const result = this.roundResult(f)
    return this.history.length > 0 ? { ...result, toolHistory: this.history } : result
  }
}

/**
 * A streamed completion: iterate it with `for await`; `content`, `finalResult`, `toolCalls`,
 * `workerName` and `cost` are filled in as it goes. Leaving the loop early (`break`) or aborting the
 * call's signal cancels the job upstream.
 *
 * @since 0.1.0
 */
export class ChatStream implements AsyncIterable<ChatCompletionChunk> {
  private readonly folder: Folder
  /** The batch being handed out (a string is a text delta's text), and where in it. */
  private batch: ReadonlyArray<AnyChunk | string> = []
  private index = 0
  /** Pieces of a chunk that folds into more than one, still to hand out. */
  private pending: ReadonlyArray<ChatCompletionChunk> = []
  private pendingIndex = 0
  private started = false
  private first: Promise<ReadonlyArray<AnyChunk | string> | undefined> | undefined

  /** @internal */
  constructor(
    private readonly source: BatchSource<AnyChunk | string>,
    platformTools?: ReadonlySet<string>,
    private readonly emit: ChatEmit = () => undefined
  ) {
    this.folder = new Folder(platformTools, emit)
    // the job starts now, as in the official client, not when the caller begins to iterate
    this.first = source.pull()
    // its failure is delivered by the first `next()`; until then it must not count as unhandled
    this.first.catch(() => undefined)
  }

  /** The job id (of the latest round, with tools), once the server named it. */
  get jobID(): string {
    return this.folder.jobID
  }
  /** All text received so far. */
  get content(): string {
    return this.folder.content
  }
  get workerName(): string | undefined {
    return this.folder.workerName
  }
  get cost(): LLMJobCost | undefined {
    return this.folder.cost
  }
  get toolCalls(): ReadonlyArray<ToolCall> {
    return this.folder.toolCalls
  }
  /** The completion, once the stream ended (null before). */
  get finalResult(): ChatCompletionResult | null {
    return this.folder.result()
  }

  /**
   * The next piece, from the batch at hand when there is one (a resolved promise, no wait), else after
   * pulling the next batch: one wait per batch of chunks, however many pieces it holds.
   */
  private next(): Promise<IteratorResult<ChatCompletionChunk>> {
    for (;;) {
      if (this.pendingIndex < this.pending.length) {
        return Promise.resolve({ value: this.pending[this.pendingIndex++]!, done: false })
      }
      if (this.index < this.batch.length) {
        const chunk = this.batch[this.index++]!
        // the hot path (one chunk per token): one piece, no array
        if (typeof chunk === "string") return Promise.resolve({ value: this.folder.pushText(chunk), done: false })
        if (chunk._tag === "TextDelta" || chunk._tag === "ReasoningDelta") {
          return Promise.resolve({ value: this.folder.pushText(chunk.text), done: false })
        }
        this.pending = this.folder.push(chunk)
        this.pendingIndex = 0
        continue
      }
      return this.nextBatch()
    }
  }

  /**
   * The batch is used up: its text joins the content in one piece, and the next batch is pulled. A
   * method of its own so that `next` (called once per piece) creates no closure: the callbacks here
   * capture `this`, which would make V8 allocate a context on every call of `next`, used or not.
   */
  private nextBatch(): Promise<IteratorResult<ChatCompletionChunk>> {
    this.folder.flush()
    const first = this.first
    this.first = undefined
    return (first ?? this.source.pull()).then(
      (batch): Promise<IteratorResult<ChatCompletionChunk>> | IteratorResult<ChatCompletionChunk> => {
        if (batch === undefined) return { value: undefined, done: true }
        this.batch = batch
        this.index = 0
        return this.next()
      },
      (error: unknown) => {
        emitFailure(this.emit, error)
        throw error
      }
    )
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.started) throw new Error("a ChatStream can be iterated only once")
    this.started = true
    return {
      next: () => this.next(),
      return: async () => {
        this.batch = []
        this.pending = []
        this.first = undefined
        await this.source.close()
        return { value: undefined, done: true }
      }
    }
  }
}

/**
 * @since 0.1.0
 */
export class ChatApi extends Emitter<ChatApiEvents> {
  /** Chat completions over the socket. */
  readonly completions: {
    create(params: ChatCompletionParams & { readonly stream: true }, options?: CallOptions): Promise<ChatStream>
    create(params: ChatCompletionParams & { readonly stream?: false | undefined }, options?: CallOptions): Promise<ChatCompletionResult>
    create(params: ChatCompletionParams, options?: CallOptions): Promise<ChatStream | ChatCompletionResult>
  }
  /** Hosted REST chat (`POST /v1/chat/completions`) and the direct tool endpoint; no socket needed. */
  readonly hosted: {
    /** A hosted completion; the result is the server's OpenAI-shaped body. */
    create(params: HostedChatCompletionParams, options?: CallOptions): Promise<HostedChatCompletionResult>
    /** Runs one hosted tool directly (its arguments are checked against the platform schemas first). */
    executeTool(params: HostedToolExecutionParams, options?: CallOptions): Promise<HostedToolExecutionResult>
  }
  /** Durable chat runs (`/v1/chat/runs`): the server drives the model and tools; reattach any time. */
  readonly runs: {
    create(params: StartChatRunParams, options?: CallOptions): Promise<ChatRunRecord>
    get(runId: string, options?: CallOptions): Promise<ChatRunRecord>
    cancel(runId: string, reason?: string, options?: CallOptions): Promise<ChatRunRecord>
    confirmCost(runId: string, params: ConfirmChatRunCostParams, options?: CallOptions): Promise<ChatRunRecord>
    /** The run's events to the terminal one, resuming across dropped connections; `break` closes it. */
    streamEvents(runId: string, options?: StreamChatRunEventsOptions): AsyncIterableIterator<ChatRunEvent>
  }
  /**
   * Runs Sogni platform tool calls (`generate_image`, `edit_image`, `generate_video`, `sound_to_video`,
   * `video_to_video`, `generate_music`) as media projects of this client, as the official
   * `chat.tools` does. A call that fails (unknown tool, bad arguments, a failed project) resolves with
   * `success: false` and its `error`; it never rejects. `executeAll` runs the calls one after another in
   * one session (so media indices refer to what earlier calls generated) and hands calls of other
   * functions to `onToolCall`.
   */
  readonly tools: {
    execute(toolCall: ToolCall, options?: ToolExecutionOptions): Promise<ToolExecutionResult>
    executeAll(
      toolCalls: ReadonlyArray<ToolCall>,
      options?: ToolExecutionOptions & {
        readonly onToolCall?: (toolCall: ToolCall) => Promise<string>
        readonly onToolProgress?: (toolCall: ToolCall, progress: ToolExecutionProgress) => void
      }
    ): Promise<Array<ToolExecutionResult>>
  }
  private llm: Readonly<Record<string, LLMModelInfo>> = {}

  /** @internal */
  /**
   * @param llmSource the client's LLM list (`sogni.chat`'s facade follows the server's pushes), read when
   * asked; without one, the last list waited for
   */
  constructor(
    private readonly runner: Runner<ChatRequirements>,
    private readonly socketDisabled: boolean,
    private readonly llmSource?: () => Readonly<Record<string, LLMModelInfo>>
  ) {
    super()
    const api = this
    const resultOf = (call: ToolCall, content: string, error: string | undefined, platform: boolean): ToolExecutionResult =>
      strip({
        toolCallId: call.id,
        toolName: call.function.name,
        success: error === undefined,
        resultUrls: error === undefined && platform ? [...urlsOf(content)] : [],
        content,
        error
      })
    const runAll = (
      calls: ReadonlyArray<ToolCall>,
      options: ToolExecutionOptions & {
        readonly onToolCall?: (toolCall: ToolCall) => Promise<string>
        readonly onToolProgress?: (toolCall: ToolCall, progress: ToolExecutionProgress) => void
      }
    ) =>
      Effect.gen(function*() {
        const session = yield* Effect.flatMap(loadSogniTools, (SogniTools) => SogniTools.make(strip({ tokenType: options.tokenType, network: options.network, numberOfMedia: options.numberOfMedia })))
        const kit = Tool.toolkit(...session.all)
        const out: Array<ToolExecutionResult> = []
        for (const call of calls) {
          const platform = PlatformToolNames.isClientExecutableToolName(call.function.name)
          if (!platform && options.onToolCall !== undefined) {
            const handler = options.onToolCall
            options.onToolProgress?.(call, { status: "processing", percent: 0 })
            const handled = yield* Effect.either(Effect.tryPromise(() => handler(call)))
            // the handler's answer is the tool message content as is
            const result = handled._tag === "Right"
              ? resultOf(call, handled.right, undefined, false)
              : resultOf(call, Tool.failureContent(String(handled.left.error)), `${call.function.name} failed: ${String(handled.left.error)}`, false)
            options.onToolProgress?.(call, { status: result.success ? "completed" : "failed", percent: 100 })
            out.push(result)
            continue
          }
          const resolution = yield* Tool.resolve(kit, call, "return")
          out.push(resultOf(call, resolution.content, resolution.error?.message, platform))
        }
        return out
      })
    function create(params: ChatCompletionParams & { readonly stream: true }, options?: CallOptions): Promise<ChatStream>
    function create(
      params: ChatCompletionParams & { readonly stream?: false | undefined },
      options?: CallOptions
    ): Promise<ChatCompletionResult>
    function create(params: ChatCompletionParams, options?: CallOptions): Promise<ChatStream | ChatCompletionResult>
    function create(params: ChatCompletionParams, options?: CallOptions): Promise<ChatStream | ChatCompletionResult> {
      return params.stream === true ? api.createStream(params, options) : api.createCompletion(params, options)
    }
    this.completions = { create }
    this.hosted = {
      create: (params, options) =>
        runner.run(
          Effect.flatMap(hostedChat, (h) => h.complete(toHostedRequest(params))).pipe(
            Effect.map((c) => c.body as HostedChatCompletionResult)
          ),
          options?.signal
        ),
      executeTool: (params, options) =>
        runner.run(
          Effect.flatMap(hostedChat, (h) =>
            h.executeTool(params.tool, params.arguments, strip({
              appSource: params.appSource ?? params.app_source,
              tokenType: params.tokenType ?? params.token_type,
              safeContentFilter: params.safeContentFilter ?? params.safe_content_filter
            }))).pipe(Effect.map((data): HostedToolExecutionResult => ({ status: "success", data }))),
          options?.signal
        )
    }
    const runs = (
      f: (r: ChatRuns.ChatRunsService) => Effect.Effect<ChatRuns.ChatRunRecord, unknown>,
      signal?: AbortSignal
    ): Promise<ChatRunRecord> => runner.run(Effect.map(Effect.flatMap(chatRuns, f), deepDefined), signal)
    this.tools = {
      execute: (toolCall, options) =>
        runner.run(runAll([toolCall], options ?? {})).then((results) => results[0]!),
      executeAll: (toolCalls, options) => runner.run(runAll(toolCalls, options ?? {}))
    }
    this.runs = {
      create: (params, options) => runs((r) => Effect.map(r.create(params), (created) => created.run), options?.signal),
      get: (runId, options) => runs((r) => r.get(runId), options?.signal),
      cancel: (runId, reason, options) => runs((r) => r.cancel(runId, reason), options?.signal),
      confirmCost: (runId, params, options) =>
        runs((r) => r.confirmCost(runId, params), options?.signal),
      streamEvents: (runId, options) =>
        iterate(runner, 
          Stream.unwrap(Effect.map(chatRuns, (r) =>
            r.events(runId, strip({ lastEventId: options?.lastEventId })))) as Stream.Stream<ChatRunEvent, unknown, ChatRequirements>,
          options?.signal
        )
    }
  }


  /**
   * The cost of a completion before sending it (the official client's estimate): the input tokens are
   * counted as a quarter of the messages' JSON length (image data replaced by `[image]`), the output
   * as `max_tokens`, else the model's thinking or default output limit, else 4096.
   */
  async estimateCost(params: ChatCompletionParams, options?: CallOptions): Promise<LLMCostEstimation> {
    const request = toChatRequest(params)
    const checked = ChatRequest.validate(request)
    if (Either.isLeft(checked)) throw fromTyped(checked.left)
    // the chat package's rules; the limits from the models this client has seen (no socket needed)
    const inputTokens = Chat.estimatedInputTokens(params.messages)
    const outputTokens = Chat.estimatedOutputTokens(
      strip({ maxTokens: params.max_tokens, think: params.think, taskProfile: params.taskProfile }),
      this.models[params.model]?.maxOutputTokens
    )
    return this.runner.run(
      Chat.quote({ tokenType: params.tokenType ?? "sogni", model: params.model, inputTokens, outputTokens }),
      options?.signal
    )
  }

  /** LLM models as last pushed by the server, by id. */
  get models(): Readonly<Record<string, LLMModelInfo>> {
    return this.llmSource?.() ?? this.llm
  }

  /**
   * Waits for the first non-empty LLM model list (connecting if needed). `timeout` in ms (default
   * 10 s); when no model shows up in time it rejects with a `TransportError` (reason `Timeout`), as
   * `projects.waitForModels` does and as the official client rejects.
   */
  async waitForModels(wait?: number | undefined, options?: CallOptions): Promise<Readonly<Record<string, LLMModelInfo>>> {
    this.requireSocket("chat.waitForModels")
    const timeout = wait ?? 10_000
    const program = failOnRefusal(Effect.gen(function*() {
      const socket = yield* SogniSocket.SogniSocket
      const models = yield* Models.Models
      yield* socket.connect
      const list = yield* models.llmModels.changes.pipe(
        Stream.filter((l) => l.length > 0),
        Stream.runHead,
        Effect.flatMap(Option.match({
          // the list stream only ends when the client goes away
          onNone: () => Effect.interrupt,
          onSome: Effect.succeed
        })),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new SogniError.SogniTransportError({
              reason: "Timeout",
              message: `no LLM model availability within ${timeout} ms`
            })
        })
      )
      return llmModelsById(list)
    }))
    const models = await this.runner.run(program, options?.signal)
    if (Object.keys(models).length > 0) this.llm = models
    return models
  }

  private async createCompletion(params: ChatCompletionParams, options?: CallOptions): Promise<ChatCompletionResult> {
    this.requireSocket("chat.completions.create")
    const request = toChatRequest(params)
    const folder = new Folder(platformToolNames(params), (event, data) => this.emit(event, data))
    await this.runner.run(
      Stream.runForEachChunk(chatStream(params, request), (chunk) =>
        Effect.sync(() => {
          for (const c of chunk) folder.push(c)
          folder.flush()
        })),
      options?.signal
    ).catch((error: unknown) => {
      emitFailure((event, data) => this.emit(event, data), error)
      throw error
    })
    const result = folder.result()
    if (result === null) throw new InvalidRequestError("the chat stream ended without a result", { reason: "Unexpected", fields: { field: "stream", rule: "no-result" } })
    return result
  }

  private async createStream(params: ChatCompletionParams, options?: CallOptions): Promise<ChatStream> {
    this.requireSocket("chat.completions.create")
    const request = toChatRequest(params)
    // refuse invalid requests here, as the official client does, rather than on the first chunk
    const checked = ChatRequest.validate(request)
    if (Either.isLeft(checked)) throw fromTyped(checked.left)
    // a single job (the usual case) is read straight from its buffer: one promise per batch and no
    // fiber or stream step in between; the tool loop runs as a stream
    const source = executesTools(params)
      ? batches(this.runner, chatStream(params, request), options?.signal)
      : scopedBatches(this.runner, Effect.flatMap(Chat.Chat, (chat) => singleJob(chat, request)), options?.signal)
    return new ChatStream(
      source,
      platformToolNames(params),
      (event, data) => this.emit(event, data)
    )
  }

  private requireSocket(call: string): void {
    if (this.socketDisabled) {
      throw new InvalidRequestError(`${call} needs the socket, and this client was created with disableSocket: true`, {
        reason: "InvalidRequest",
        fields: { field: "disableSocket", rule: "socket-required" }
      })
    }
  }
}
