/**
 * Hosted REST chat (chat.md §13): `POST /v1/chat/completions` as a typed completion or, with
 * `stream: true`, a `Stream` of the same {@link ChatChunk} shapes as socket chat (text and `<think>`
 * reasoning split, tool-call deltas, usage, a final `Finish`) plus `SogniToolResult` elements for tools
 * the server executed and `SogniCreativeWorkflow` elements for the workflows they started (a server that
 * ignores `stream: true` and answers with one JSON completion gives the same chunks, all at once).
 * Platform tools are requested with `sogniTools` (`"creative-tools"`, `"creative-agent"`, `false`) and run
 * server side with `sogniToolExecution: true`; the completion then carries `toolResults` (the opaque
 * `sogni_tool_results`) and `creativeWorkflows`.
 * {@link HostedChatService.executeTool} is the direct synchronous endpoint (§13.1).
 *
 * Requests are the camelCase {@link ChatRequest.ChatRequest} (validated by the same rules as socket
 * chat: a bad field is a `SogniInvalidRequest` naming it and the rule) plus the hosted-only fields;
 * the wire is snake_case (`billingMode` stays camelCase, as the protocol has it). Credentials and the
 * retry policy are core's; a 401 clears the credential, as on every REST call.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted, Stream } from "effect"
 * import { Sogni } from "@effect-sogni/core"
 * import { HostedChat } from "@effect-sogni/chat"
 *
 * const program = Effect.gen(function*() {
 *   const answer = yield* HostedChat.complete({
 *     model: "qwen3.6-35b-a3b-gguf-iq4xs",
 *     messages: [{ role: "user", content: "generate_image of a lighthouse" }],
 *     sogniTools: "creative-tools",
 *     sogniToolExecution: true
 *   })
 *   console.log(answer.text, answer.toolResults)
 * })
 *
 * program.pipe(
 *   Effect.provide(HostedChat.layer.pipe(Layer.provideMerge(Sogni.layer({ apiKey: Redacted.make("…") })))),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as AnswerKind from "@effect-sogni/core/AnswerKind"
import * as PlatformToolNames from "@effect-sogni/core/PlatformToolNames"
import type * as PlatformTools from "@effect-sogni/core/PlatformTools"
import type * as SogniAuth from "@effect-sogni/core/SogniAuth"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SkipWarnings from "@effect-sogni/core/SkipWarnings"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Sse from "@effect-sogni/core/Sse"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseIssues from "@effect-sogni/core/ParseIssues"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ChatChunk, type TokenUsage, zeroUsage } from "./ChatChunk.js"
import * as ChatRequest from "./ChatRequest.js"
import * as ChunkAccumulator from "./ChunkAccumulator.js"
import { fromApiError, fromSuccessBody, type HostedError, type SogniHostedChatError } from "./HostedChatError.js"
import * as Refusal from "./internal/refusal.js"
import * as ThinkSplitter from "./ThinkSplitter.js"

/**
 * A hosted chat request: socket chat's request plus the hosted-only fields.
 *
 * @since 0.1.0
 */
export interface HostedChatRequest extends ChatRequest.ChatRequest {
  /** Uploaded media (`{url, type}` descriptors), addressable by negative indices in tool arguments. */
  readonly mediaReferences?: ReadonlyArray<unknown> | undefined
  readonly apiMediaReferences?: ReadonlyArray<unknown> | undefined
  /** Sent as is; wins over `think`. */
  readonly chatTemplateKwargs?: Readonly<Record<string, unknown>> | undefined
}

/** Everything a hosted call can fail with. @since 0.1.0 */
export type HostedChatError = HostedError

/** What {@link HostedChatService.executeTool} can fail with: arguments refused locally, too. @since 0.1.0 */
export type ExecuteToolError = HostedError | PlatformTools.PlatformToolArgumentError

/** A creative workflow a hosted tool started. @since 0.1.0 */
export interface CreativeWorkflowRef {
  readonly workflowId: string
  readonly status: string
  readonly url?: string | undefined
  readonly eventsUrl?: string | undefined
  readonly streamUrl?: string | undefined
}

/**
 * A hosted completion.
 *
 * @since 0.1.0
 */
export interface HostedCompletion {
  readonly id: string
  readonly model: string
  /** Epoch seconds. */
  readonly created: number
  /** The answer without `<think>` reasoning. */
  readonly text: string
  readonly reasoning: string
  readonly role: string
  readonly finishReason: string
  readonly usage: TokenUsage
  /** Calls handed back to the caller (tools that were not executed). */
  readonly toolCalls: ReadonlyArray<ChatRequest.ToolCall>
  /** `sogni_tool_results`: what the server executed (opaque objects). */
  readonly toolResults: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly creativeWorkflows: ReadonlyArray<CreativeWorkflowRef>
  /** The response body as received. */
  readonly body: unknown
}

/** A tool result the server reports while streaming. @since 0.1.0 */
export interface SogniToolResult {
  readonly _tag: "SogniToolResult"
  readonly result: Readonly<Record<string, unknown>>
}

/**
 * A creative workflow a hosted tool started (a `creative_workflows` entry), as the stream reports it:
 * after the executed tools' results of the same chunk, before its usage.
 *
 * @since 0.2.0
 */
export interface SogniCreativeWorkflow {
  readonly _tag: "SogniCreativeWorkflow"
  readonly workflow: CreativeWorkflowRef
}

/** An element of a hosted stream. @since 0.1.0 */
export type HostedChunk = ChatChunk | SogniToolResult | SogniCreativeWorkflow

/** Options of a direct tool execution. @since 0.1.0 */
export interface ExecuteToolOptions {
  readonly appSource?: string | undefined
  readonly tokenType?: "sogni" | "spark" | "auto" | undefined
  readonly safeContentFilter?: boolean | undefined
}

/** The `data` of a direct tool execution. @since 0.1.0 */
export interface ToolExecution {
  readonly toolCallId: string
  readonly tool: string
  readonly result: Readonly<Record<string, unknown>>
  readonly message: string | null
}

/**
 * Options of {@link HostedChatService.stream}.
 *
 * @since 0.2.0
 */
export interface HostedStreamOptions {
  /**
   * Longest silence on the stream (no byte at all, heartbeat comments included) before it fails with
   * `SogniTransportError` `Timeout` and closes the response. Default {@link defaultStreamIdleTimeout}.
   */
  readonly idleTimeout?: Duration.DurationInput | undefined
}

/**
 * The default `idleTimeout` of a hosted stream: 300 seconds, the bound of a whole non-streaming call
 * (chat.md §13), so a stream is never given up on sooner than the same answer asked for in one piece.
 *
 * @since 0.2.0
 */
export const defaultStreamIdleTimeout: Duration.Duration = Duration.seconds(300)

/**
 * The service.
 *
 * @since 0.1.0
 */
export interface HostedChatService {
  readonly complete: (request: HostedChatRequest) => Effect.Effect<HostedCompletion, HostedChatError>
  /**
   * Ends at `[DONE]` (the HTTP response is closed then, whether or not the server ends it). Interrupting
   * the stream closes the HTTP response. Fails with `SogniTransportError` `Closed` if it ends before `[DONE]`,
   * and with `SogniTransportError` `Timeout` if the server is silent for longer than `options.idleTimeout`.
   * Malformed chunks are skipped: a warning for each of the first five, then their count in one line; an
   * event that is an error body (as a refusal's, or the platform's `{status: "error"}`) fails the stream with
   * `SogniHostedChatError`, as does a JSON answer that is one.
   * A server that ignores `stream: true` and answers with one JSON completion (`application/json`, or no
   * content type and a body starting with `{`) still gives a stream: the completion's parts as chunks
   * (text and reasoning, tool calls, executed tools' results, started creative workflows, usage), then
   * `Finish`; a body of any other content type fails with `SogniDecodeError` `Body` naming it, and is not read.
   * A JSON answer (a completion or an error body) is read only as far as its value goes: a server that sends
   * it and keeps the connection open is answered at once, not after `idleTimeout`.
   */
  readonly stream: (request: HostedChatRequest, options?: HostedStreamOptions) => Stream.Stream<HostedChunk, HostedChatError>
  /**
   * `POST /v1/creative-agent/tools/execute`. Arguments of a catalog tool are validated first with core's
   * `PlatformTools` (the protocol's schemas): a refusal is a `PlatformToolArgumentError` naming the field
   * and rule, and nothing is sent. The server decides which tools it runs directly (chat.md §13.1).
   */
  readonly executeTool: (
    tool: string,
    args: Readonly<Record<string, unknown>>,
    options?: ExecuteToolOptions
  ) => Effect.Effect<ToolExecution, ExecuteToolError>
}

/** @since 0.1.0 */
export class HostedChat extends Context.Tag("@effect-sogni/chat/HostedChat")<HostedChat, HostedChatService>() {}

// ---------------------------------------------------------------------------------------------------
// Wire

/**
 * Core's `PlatformTools` (the protocol's argument schemas and ajv) loads on the first `executeTool` of a
 * hosted tool, not with this module.
 */
const loadPlatformTools: Effect.Effect<typeof import("@effect-sogni/core/PlatformTools")> = Effect.promise(() =>
  import("@effect-sogni/core/PlatformTools")
)

const defined = (o: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out
}

/**
 * The request body of chat.md §13 (snake_case, `billingMode` camelCase, absent fields omitted,
 * `stream` only when streaming), after the socket request's validation.
 *
 * @since 0.1.0
 */
export const toWire = (
  request: HostedChatRequest,
  options: { readonly appSource?: string | undefined; readonly stream?: boolean | undefined } = {}
): Either.Either<Record<string, unknown>, SogniError.SogniInvalidRequest> =>
  Either.flatMap(ChatRequest.build(request, { jobID: "hosted", appSource: options.appSource }), (payload) => {
    const { appSource, jobID: _j, safeContentFilter, taskProfile, tokenType, type: _t, ...rest } = payload as Record<string, unknown>
    for (const [field, list] of [["mediaReferences", request.mediaReferences], ["apiMediaReferences", request.apiMediaReferences]] as const) {
      if (list !== undefined && !Array.isArray(list)) {
        return Either.left(new SogniError.SogniInvalidRequest({ field, rule: "type", message: `${field} must be an array` }))
      }
    }
    return Either.right(defined({
      ...rest,
      app_source: appSource,
      token_type: tokenType,
      task_profile: taskProfile,
      safe_content_filter: safeContentFilter,
      media_references: request.mediaReferences,
      api_media_references: request.apiMediaReferences,
      chat_template_kwargs: request.chatTemplateKwargs ?? rest.chat_template_kwargs,
      stream: options.stream === true ? true : undefined
    }))
  })

const Usage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Schema.Number
})

const WireToolCall = Schema.Struct({
  id: Schema.String,
  type: Schema.optional(Schema.String),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})

const Opaque = Schema.Record({ key: Schema.String, value: Schema.Unknown })

// The optional fields a server may also send as null (chat.md: optional; their URLs inferred): null reads
// as absent, so a completion or chunk that says "none" with null is not refused whole for it.
const nullable = { nullable: true } as const

const WorkflowRefs = Schema.Array(Schema.Struct({
  workflowId: Schema.String,
  status: Schema.String,
  url: Schema.optionalWith(Schema.String, nullable),
  eventsUrl: Schema.optionalWith(Schema.String, nullable),
  streamUrl: Schema.optionalWith(Schema.String, nullable)
}))

const CompletionBody = Schema.Struct({
  id: Schema.String,
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.NonEmptyArray(Schema.Struct({
    message: Schema.Struct({
      role: Schema.String,
      content: Schema.optional(Schema.NullOr(Schema.String)),
      tool_calls: Schema.optional(Schema.Array(WireToolCall))
    }),
    finish_reason: Schema.optional(Schema.NullOr(Schema.String))
  })),
  usage: Schema.optionalWith(Usage, nullable),
  creative_workflows: Schema.optionalWith(WorkflowRefs, nullable),
  sogni_tool_results: Schema.optionalWith(Schema.Array(Opaque), nullable)
})

const ChunkBody = Schema.Struct({
  id: Schema.String,
  choices: Schema.Array(Schema.Struct({
    delta: Schema.Struct({
      role: Schema.optional(Schema.String),
      content: Schema.optional(Schema.NullOr(Schema.String)),
      tool_calls: Schema.optional(Schema.Array(Schema.Struct({
        index: Schema.Number,
        id: Schema.optional(Schema.String),
        function: Schema.optional(Schema.Struct({
          name: Schema.optional(Schema.String),
          arguments: Schema.optional(Schema.String)
        }))
      })))
    }),
    finish_reason: Schema.optional(Schema.NullOr(Schema.String))
  })),
  usage: Schema.optionalWith(Usage, nullable),
  sogni_tool_results: Schema.optionalWith(Schema.Array(Opaque), nullable),
  // a chunk that says it started no workflow with null is still a chunk (its text with it)
  creative_workflows: Schema.optionalWith(WorkflowRefs, nullable)
})

// compiled on first use, not at import
let decodeChunkCompiled: ReturnType<typeof makeDecodeChunk> | undefined
const makeDecodeChunk = () => Schema.decodeUnknownEither(Schema.parseJson(ChunkBody))
const decodeChunk = (u: unknown) => (decodeChunkCompiled ??= makeDecodeChunk())(u)

let decodeCompletionCompiled: ReturnType<typeof makeDecodeCompletion> | undefined
const makeDecodeCompletion = () => Schema.decodeUnknownEither(CompletionBody)
const decodeCompletion = (u: unknown) => (decodeCompletionCompiled ??= makeDecodeCompletion())(u)

/**
 * A completion body that is not one: paths and kinds only (a body can echo the prompt), walked without
 * recursion (effect's formatters recurse over the offending value: a body nested a few thousand levels
 * deep overflowed the stack while its error was being described).
 */
const shapeError = (e: ParseResult.ParseError) =>
  new SogniError.SogniDecodeError({
    reason: "Body",
    message: `unexpected response shape: ${ParseIssues.formatPaths(e.issue)}`,
    source: "POST /v1/chat/completions"
  })

/**
 * A whole completion as the one chunk that says the same (its first choice, as `complete` reads it): the
 * text, tool calls (indexed in order), finish reason, usage, executed tools' results and started workflows.
 */
const completionAsChunk = (completion: typeof CompletionBody.Type): typeof ChunkBody.Type => {
  const { finish_reason, message } = completion.choices[0]
  return {
    id: completion.id,
    choices: [{
      delta: {
        role: message.role,
        content: message.content,
        tool_calls: message.tool_calls?.map((call, index) => ({ index, id: call.id, function: call.function }))
      },
      finish_reason
    }],
    usage: completion.usage,
    sogni_tool_results: completion.sogni_tool_results,
    creative_workflows: completion.creative_workflows
  }
}

const ExecuteBody = Schema.Struct({
  data: Schema.Struct({
    toolCallId: Schema.String,
    tool: Schema.String,
    result: Opaque,
    message: Schema.optional(Schema.NullOr(Schema.String))
  })
})

/** A direct tool execution's answer, or (a 200 that says it failed) the error its body says. */
const ExecuteAnswer = Refusal.orRefused(ExecuteBody)

const toToolCall = (c: typeof WireToolCall.Type): ChatRequest.ToolCall => ({
  id: c.id,
  type: "function",
  function: { name: c.function.name, arguments: c.function.arguments }
})

// ---------------------------------------------------------------------------------------------------
// Service

const CHAT_TIMEOUT = "300 seconds"

/** Completions answer bare bodies; the call is never repeated (a POST without key); a 401 clears the credential. */
const chatCall = { body: "raw", retry: false, timeout: CHAT_TIMEOUT } as const

interface Hosted {
  readonly rest: SogniRest.SogniRestService
  readonly appSource: string | undefined
  /** Largest single server-sent event (core's `maxResponseBytes`). */
  readonly maxEventBytes: number
}

const streamOf = (
  { appSource, maxEventBytes, rest }: Hosted,
  request: HostedChatRequest,
  options: HostedStreamOptions
): Stream.Stream<HostedChunk, HostedChatError> =>
  Stream.unwrap(Effect.gen(function*() {
    const body = yield* toWire(request, { appSource, stream: true })
    const idle = Duration.decode(options.idleTimeout ?? defaultStreamIdleTimeout)
    const started = yield* Clock.currentTimeMillis
    let splitter = ThinkSplitter.initial
    let id = ""
    let done = false
    // malformed chunks: a warning for each of the first few; the rest are counted and reported once, at the end
    const skips = yield* SkipWarnings.make<void>({
      limit: skipWarningLimit,
      warning: () => Effect.logWarning("sogni: skipped a malformed hosted chat chunk"),
      summary: (count) =>
        Effect.logWarning(`sogni: skipped ${count} more malformed hosted chat chunks (warnings suppressed)`)
    })
    // role, finish reason, usage and tool calls fold exactly as socket chat's jobTokens do
    let acc = ChunkAccumulator.empty
    const textChunks = (out: ThinkSplitter.Output): Array<HostedChunk> => {
      splitter = out.state
      const chunks: Array<HostedChunk> = []
      if (out.reasoning.length > 0) chunks.push(ChatChunk.ReasoningDelta({ text: out.reasoning }))
      if (out.content.length > 0) chunks.push(ChatChunk.TextDelta({ text: out.content }))
      return chunks
    }
    const finish = (now: number): Array<HostedChunk> => {
      const result = ChunkAccumulator.result(acc)
      return [
        ...textChunks(ThinkSplitter.flush(splitter)),
        ChatChunk.Finish({
          jobID: id,
          role: result.role,
          finishReason: result.finishReason,
          usage: result.usage,
          timeTaken: (now - started) / 1000,
          workerName: undefined,
          cost: undefined,
          toolCalls: result.toolCalls
        })
      ]
    }
    const onChunk = (chunk: typeof ChunkBody.Type): Array<HostedChunk> => {
      id = chunk.id
      const out: Array<HostedChunk> = []
      for (const choice of chunk.choices) {
        const { content, role, tool_calls } = choice.delta
        acc = ChunkAccumulator.stepMeta(acc, {
          ...(role !== undefined ? { role } : {}),
          ...(choice.finish_reason !== undefined && choice.finish_reason !== null ? { finishReason: choice.finish_reason } : {}),
          ...(tool_calls !== undefined ? { tool_calls } : {})
        })
        if (typeof content === "string" && content.length > 0) out.push(...textChunks(ThinkSplitter.push(splitter, content)))
        for (const call of tool_calls ?? []) {
          out.push(ChatChunk.ToolCallDelta({
            index: call.index,
            id: call.id,
            name: call.function?.name,
            arguments: call.function?.arguments ?? ""
          }))
        }
      }
      for (const result of chunk.sogni_tool_results ?? []) out.push({ _tag: "SogniToolResult", result })
      for (const workflow of chunk.creative_workflows ?? []) out.push({ _tag: "SogniCreativeWorkflow", workflow })
      if (chunk.usage !== undefined && chunk.usage !== null) {
        acc = ChunkAccumulator.stepMeta(acc, { usage: chunk.usage })
        out.push(ChatChunk.Usage({ usage: chunk.usage }))
      }
      return out
    }
    // the answer's content type, seen before its first byte (core calls `onHeaders` on opening)
    let contentType: string | undefined
    const bytes = rest.stream("rest", "/v1/chat/completions", {
      ...chatCall,
      method: "POST",
      json: body,
      onHeaders: (headers) => Effect.sync(() => void (contentType = headers["content-type"]))
    }).pipe(
      // core reads a streamed body without a timeout: a server gone silent is given up on here
      Stream.timeoutFail(
        () =>
          new SogniError.SogniTransportError({
            reason: "Timeout",
            message: `the hosted chat stream was silent for ${Duration.format(idle)} (idleTimeout)`
          }),
        idle
      )
    )
    const fromEvents = <E>(answer: Stream.Stream<Uint8Array, E>) =>
      Sse.frames(answer, maxEventBytes).pipe(
        Stream.mapEffect((frame): Effect.Effect<Array<HostedChunk>, SogniHostedChatError> => {
          if (done || frame.data === undefined) return Effect.succeed([])
          if (frame.data.trim() === "[DONE]") {
            done = true
            return Effect.map(Clock.currentTimeMillis, finish)
          }
          const decoded = decodeChunk(frame.data)
          if (Either.isLeft(decoded)) {
            // not a chunk: an error the server sent in the stream ends it, anything else is skipped
            const refused = errorEvent(frame.data)
            return refused === undefined ? Effect.as(skips.report(), []) : Effect.fail(refused)
          }
          return Effect.succeed(onChunk(decoded.right))
        }),
        // [DONE] ends the stream: the response is closed without waiting for the server to end it
        Stream.takeUntil(() => done)
      )
    // a server that ignored `stream: true` answered with one completion: its parts, then the end. The
    // answer is read as far as its JSON value goes: a server that keeps the connection open after it is
    // not waited for (ending the stream lets go of the connection)
    const fromCompletion = <E>(answer: Stream.Stream<Uint8Array, E>) =>
      Stream.fromEffect(Effect.gen(function*() {
        const text = yield* AnswerKind.jsonText(answer, maxEventBytes, "the hosted chat answer", "POST /v1/chat/completions")
        const parsed = yield* decodeCompletionJson(text)
        const chunks = onChunk(completionAsChunk(parsed))
        done = true
        chunks.push(...finish(yield* Clock.currentTimeMillis))
        return chunks
      }))
    return Stream.unwrapScoped(Effect.gen(function*() {
      // the first read opens the request; the content type (or, without one, the first byte past white
      // space) tells what the answer is
      const answer = yield* AnswerKind.open(bytes, () => contentType)
      switch (answer.kind) {
        case "events":
          return fromEvents(answer.body)
        case "json":
          return fromCompletion(answer.body)
        default:
          return yield* new SogniError.SogniDecodeError({
            reason: "Body",
            message: `the hosted chat stream was answered with content-type ${
              AnswerKind.quoted(answer.contentType)
            }, neither text/event-stream nor application/json`,
            source: "POST /v1/chat/completions"
          })
      }
    })).pipe(
      Stream.mapError(fromApiError),
      Stream.mapConcat((chunks) => chunks),
      Stream.concat(Stream.suspend(() =>
        done
          ? Stream.empty
          : Stream.fail(new SogniError.SogniTransportError({ reason: "Closed", message: "the hosted chat stream ended before [DONE]" }))
      )),
      Stream.ensuring(skips.flush)
    )
  }))

/**
 * The status a success answer's error body is reported with: core hands its callers a 2xx body without
 * its status, and these endpoints answer 200.
 */
const successStatus = 200

/** A frame's data that is an error body (chat.md §13's shapes, or the platform's): the error; else `undefined`. */
const errorEvent = (data: string): SogniHostedChatError | undefined => {
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    return undefined
  }
  return fromSuccessBody(successStatus, json)
}

/**
 * Parses a completion's text: not JSON is a `SogniDecodeError` `Body` (no excerpt: it can echo the prompt);
 * an error body is the `SogniHostedChatError` it says.
 */
const decodeCompletionJson = (
  text: string
): Either.Either<typeof CompletionBody.Type, SogniError.SogniDecodeError | SogniHostedChatError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Either.left(
      new SogniError.SogniDecodeError({
        reason: "Body",
        message: "the hosted chat answer (application/json) is not JSON",
        source: "POST /v1/chat/completions"
      })
    )
  }
  return asCompletion(json)
}

/**
 * A success answer's body as a completion; one that is not a completion but an error body (a 200 that
 * says it failed) is the refusal it says, not a decode error.
 */
const asCompletion = (json: unknown): Either.Either<typeof CompletionBody.Type, SogniError.SogniDecodeError | SogniHostedChatError> =>
  Either.mapLeft(decodeCompletion(json), (e) => fromSuccessBody(successStatus, json) ?? shapeError(e))

/** Warnings about malformed chunks per stream, at most (the rest are counted in one line). */
const skipWarningLimit = 5

/**
 * Builds the service on core's `SogniRest`.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<HostedChatService, never, SogniRest.SogniRest | SogniConfig.SogniConfig> =
  Effect.gen(function*() {
    const rest = yield* SogniRest.SogniRest
    const settings = yield* SogniConfig.SogniConfig
    const appSource = Option.getOrUndefined(settings.appSource)
    const maxEventBytes = settings.maxResponseBytes
    return {
      complete: (request) =>
        Effect.gen(function*() {
          const body = yield* toWire(request, { appSource })
          const raw = yield* rest.post("rest", "/v1/chat/completions", body, Schema.Unknown, chatCall).pipe(
            Effect.mapError(fromApiError)
          )
          const parsed = yield* asCompletion(raw)
          const choice = parsed.choices[0]
          const { content, reasoning } = ThinkSplitter.split(choice.message.content ?? "")
          return {
            id: parsed.id,
            model: parsed.model,
            created: parsed.created,
            text: content,
            reasoning,
            role: choice.message.role,
            finishReason: choice.finish_reason ?? "stop",
            usage: parsed.usage ?? zeroUsage,
            toolCalls: (choice.message.tool_calls ?? []).map(toToolCall),
            toolResults: parsed.sogni_tool_results ?? [],
            creativeWorkflows: parsed.creative_workflows ?? [],
            body: raw
          }
        }),
      stream: (request, options = {}) => streamOf({ rest, appSource, maxEventBytes }, request, options),
      executeTool: (tool, args, options = {}) =>
        Effect.gen(function*() {
          if (typeof tool !== "string" || tool.trim().length === 0) {
            return yield* new SogniError.SogniInvalidRequest({ field: "tool", rule: "required", message: "tool must be a non-empty string" })
          }
          if (typeof args !== "object" || args === null || Array.isArray(args)) {
            return yield* new SogniError.SogniInvalidRequest({ field: "arguments", rule: "type", message: "arguments must be a JSON object" })
          }
          const checked = PlatformToolNames.isHostedToolName(tool)
            ? yield* Effect.flatMap(loadPlatformTools, (tools) => tools.validate(tool, args))
            : args
          const body = defined({
            tool,
            arguments: checked,
            app_source: options.appSource ?? appSource,
            token_type: options.tokenType,
            safe_content_filter: options.safeContentFilter
          })
          const { data } = yield* rest.post("rest", "/v1/creative-agent/tools/execute", body, ExecuteAnswer, chatCall).pipe(
            Effect.mapError(fromApiError),
            Effect.flatMap(Refusal.unrefused)
          )
          return { toolCallId: data.toolCallId, tool: data.tool, result: data.result, message: data.message ?? null }
        })
    }
  })

/**
 * The service on a given `SogniRest` (shares its credential and HTTP client).
 *
 * @since 0.2.0
 */
export const layerRest: Layer.Layer<HostedChat, never, SogniRest.SogniRest | SogniConfig.SogniConfig> = Layer.effect(
  HostedChat,
  make
)

const restLayers = SogniRest.layersOn(layerRest)

/**
 * The service over a given `HttpClient`.
 *
 * @since 0.1.0
 */
export const layerWithHttpClient: Layer.Layer<HostedChat, never, HttpClient.HttpClient | SogniAuth.SogniAuth | SogniConfig.SogniConfig> =
  restLayers.layerWithHttpClient

/**
 * The service over `fetch`; needs core's `SogniAuth` and `SogniConfig` (e.g. from `Sogni.layer`).
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<HostedChat, never, SogniAuth.SogniAuth | SogniConfig.SogniConfig> = restLayers.layer

/** @since 0.1.0 */
export const complete = (request: HostedChatRequest): Effect.Effect<HostedCompletion, HostedChatError, HostedChat> =>
  Effect.flatMap(HostedChat, (s) => s.complete(request))

/** @since 0.1.0 */
export const stream = (
  request: HostedChatRequest,
  options?: HostedStreamOptions
): Stream.Stream<HostedChunk, HostedChatError, HostedChat> => Stream.unwrap(Effect.map(HostedChat, (s) => s.stream(request, options)))

/** @since 0.1.0 */
export const executeTool = (
  tool: string,
  args: Readonly<Record<string, unknown>>,
  options?: ExecuteToolOptions
): Effect.Effect<ToolExecution, ExecuteToolError, HostedChat> => Effect.flatMap(HostedChat, (s) => s.executeTool(tool, args, options))
