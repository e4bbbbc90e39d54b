/**
 * Chat requests: the typed input of a completion and the pure builder of the `llmJobRequest` payload
 * (chat.md §2).
 *
 * Messages keep the OpenAI wire shape (`role`, `content`, `tool_calls`, `tool_call_id`, `name`) because
 * they travel unchanged; request options are camelCase and are mapped to the wire names the socket
 * expects (`max_tokens`, `top_p`, `tokenType`, `taskProfile`, `tool_choice`, `response_format`, …).
 * {@link build} validates everything first and fails with a `SogniInvalidRequest` naming the field and
 * the rule; nothing undefined reaches the wire.
 *
 * - `think: true | false` becomes `chat_template_kwargs: { enable_thinking }`; omitted, it is omitted.
 * - `sogniTools: "rich"` (any case, surrounding spaces) is rewritten to `"creative-tools"`.
 * - `appSource` falls back to the configured one; both are trimmed and dropped when empty.
 * - Image parts must be data URIs that pass the vision rules ({@link Vision}).
 * - The text of a conversation (string contents, text parts and tool-call arguments, summed) is at most
 *   {@link limits}`.maxTextLength` characters (`field: "messages"`, `rule: "max-length"`): more than any
 *   model's context window, so a runaway prompt fails here instead of travelling to the network.
 *
 * @example
 * ```ts
 * import { ChatRequest } from "@effect-sogni/chat"
 *
 * const payload = ChatRequest.build(
 *   { model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "Hello" }], temperature: 0.6, think: false },
 *   { jobID: "7C1E2A40-5B7D-4E53-9C1F-0D1A2B3C4D5E", stream: true }
 * )
 * // Either.right({ jobID, type: "llm", model, messages, temperature: 0.6, stream: true,
 * //                chat_template_kwargs: { enable_thinking: false } })
 * ```
 *
 * @since 0.1.0
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Either from "effect/Either"
import * as Vision from "./Vision.js"

// ---------------------------------------------------------------------------------------------
// Messages (chat.md §2.1)
// ---------------------------------------------------------------------------------------------

/** A text part of a multimodal message. @since 0.1.0 */
export interface TextPart {
  readonly type: "text"
  readonly text: string
}

/** An image part; `url` is a data URI (or a trusted https URL resolved before sending). @since 0.1.0 */
export interface ImagePart {
  readonly type: "image_url"
  readonly image_url: { readonly url: string; readonly detail?: "auto" | "low" | "high" | undefined }
}

/** @since 0.1.0 */
export type ContentPart = TextPart | ImagePart

/** A complete tool call, as the assistant turn carries it back to the model. @since 0.1.0 */
export interface ToolCall {
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
}

/** @since 0.1.0 */
export type Role = "system" | "user" | "assistant" | "tool"

/** One conversation turn. @since 0.1.0 */
export interface ChatMessage {
  readonly role: Role
  readonly content: string | ReadonlyArray<ContentPart> | null
  /** Assistant turns that called tools. */
  readonly tool_calls?: ReadonlyArray<ToolCall> | undefined
  /** Role `tool`: the id of the call this answers. */
  readonly tool_call_id?: string | undefined
  /** Role `tool`: the function name. */
  readonly name?: string | undefined
}

/** An OpenAI function tool definition (chat.md §2.1). @since 0.1.0 */
export interface ToolDefinition {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description?: string | undefined
    readonly parameters?: object | undefined
  }
}

/** @since 0.1.0 */
export type ToolChoice = "auto" | "none" | "required" | {
  readonly type: "function"
  readonly function: { readonly name: string }
}

/** @since 0.1.0 */
export type ResponseFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | {
    readonly type: "json_schema"
    readonly json_schema: {
      readonly name: string
      readonly schema: object
      readonly strict?: boolean | undefined
      readonly description?: string | undefined
    }
  }

/** @since 0.1.0 */
export type SogniToolsSurface = boolean | "creative-tools" | "creative-agent" | "rich"

/**
 * The input of a completion. Everything but `model` and `messages` is optional and omitted from the
 * wire when absent (the server then applies its defaults: `max_tokens` 4096, `tokenType` `sogni`, …).
 *
 * @since 0.1.0
 */
export interface ChatRequest {
  readonly model: string
  readonly messages: ReadonlyArray<ChatMessage>
  readonly appSource?: string | undefined
  /** `max_tokens`: a positive integer. The Chat service defaults it to the model's `maxOutputTokens.default` and refuses values above its `max` (from `swarmLLMModels`). */
  readonly maxTokens?: number | undefined
  /** 0–2. */
  readonly temperature?: number | undefined
  /** `top_p`: 0–1. */
  readonly topP?: number | undefined
  /** `top_k`: an integer ≥ -1. */
  readonly topK?: number | undefined
  /** `min_p`: 0–1. */
  readonly minP?: number | undefined
  /** `repetition_penalty`: > 0. */
  readonly repetitionPenalty?: number | undefined
  /** `frequency_penalty`: −2–2. */
  readonly frequencyPenalty?: number | undefined
  /** `presence_penalty`: −2–2. */
  readonly presencePenalty?: number | undefined
  readonly stop?: string | ReadonlyArray<string> | undefined
  readonly tokenType?: "sogni" | "spark" | undefined
  readonly safeContentFilter?: boolean | undefined
  readonly billingMode?: "auto" | "subscription" | "tokens" | undefined
  readonly tools?: ReadonlyArray<ToolDefinition> | undefined
  readonly toolChoice?: ToolChoice | undefined
  /** Server-injected Sogni tools; `"rich"` is sent as `"creative-tools"`. */
  readonly sogniTools?: SogniToolsSurface | undefined
  /** Ask the server to execute the injected Sogni tools. */
  readonly sogniToolExecution?: boolean | undefined
  readonly taskProfile?: "general" | "coding" | "reasoning" | undefined
  /** Thinking on or off (`chat_template_kwargs.enable_thinking`); omitted = model default. */
  readonly think?: boolean | undefined
  readonly responseFormat?: ResponseFormat | undefined
}

/** The wire payload of `llmJobRequest`. @since 0.1.0 */
export type LLMJobRequestPayload = Protocol.LLMJobRequest

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

type Check = Either.Either<void, SogniError.SogniInvalidRequest>

/**
 * Request-wide limits checked before anything is sent. `maxTextLength` counts characters of message text
 * (string contents, text parts and tool-call arguments) across the whole conversation: 1 MiCharacters,
 * above the largest context window of the network's models (about 262k tokens).
 *
 * @since 0.1.0
 */
export const limits = {
  maxTextLength: 1_048_576
} as const

const ok: Check = Either.void
const fail = (field: string, rule: string, message: string): Check =>
  Either.left(new SogniError.SogniInvalidRequest({ field, rule, message }))

/** Function names the OpenAI tool format accepts. @since 0.1.0 */
export const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/

const roles: ReadonlySet<string> = new Set(["system", "user", "assistant", "tool"])

const checkNumber = (
  field: string,
  value: number | undefined,
  rule: { readonly min?: number; readonly max?: number; readonly exclusiveMin?: number; readonly integer?: boolean }
): Check => {
  if (value === undefined) return ok
  if (typeof value !== "number" || !Number.isFinite(value)) return fail(field, "finite", `${field} must be a finite number`)
  if (rule.integer === true && !Number.isInteger(value)) return fail(field, "integer", `${field} must be an integer`)
  if (rule.min !== undefined && value < rule.min) return fail(field, "minimum", `${field} must be at least ${rule.min}`)
  if (rule.exclusiveMin !== undefined && value <= rule.exclusiveMin) {
    return fail(field, "minimum", `${field} must be greater than ${rule.exclusiveMin}`)
  }
  if (rule.max !== undefined && value > rule.max) return fail(field, "maximum", `${field} must be at most ${rule.max}`)
  return ok
}

const checkOneOf = (field: string, value: unknown, allowed: ReadonlyArray<unknown>): Check =>
  value === undefined || allowed.includes(value)
    ? ok
    : fail(field, "allowed-values", `${field} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`)

const checkMessage = (m: ChatMessage, i: number): Check => {
  const at = `messages[${i}]`
  if (typeof m !== "object" || m === null) return fail(at, "type", `${at} must be an object`)
  if (!roles.has(m.role)) return fail(`${at}.role`, "allowed-values", `${at}.role must be system, user, assistant or tool`)
  const content = m.content
  if (content === null) {
    if (m.role !== "assistant" || m.tool_calls === undefined || m.tool_calls.length === 0) {
      return fail(`${at}.content`, "required", `${at}.content may be null only on an assistant turn with tool_calls`)
    }
  } else if (Array.isArray(content)) {
    for (let j = 0; j < content.length; j++) {
      const part = content[j] as ContentPart
      const pf = `${at}.content[${j}]`
      if (part?.type === "text") {
        if (typeof part.text !== "string") return fail(`${pf}.text`, "type", `${pf}.text must be a string`)
      } else if (part?.type === "image_url") {
        if (typeof part.image_url?.url !== "string") return fail(`${pf}.image_url.url`, "type", `${pf}.image_url.url must be a string`)
        const detail = checkOneOf(`${pf}.image_url.detail`, part.image_url.detail, ["auto", "low", "high"])
        if (Either.isLeft(detail)) return detail
      } else {
        return fail(`${pf}.type`, "allowed-values", `${pf}.type must be "text" or "image_url"`)
      }
    }
  } else if (typeof content !== "string") {
    return fail(`${at}.content`, "type", `${at}.content must be a string, an array of parts or null`)
  }
  if (m.role === "tool" && (typeof m.tool_call_id !== "string" || m.tool_call_id.length === 0)) {
    return fail(`${at}.tool_call_id`, "required", `${at}.tool_call_id is required on a tool message`)
  }
  if (m.tool_calls !== undefined) {
    if (m.role !== "assistant") return fail(`${at}.tool_calls`, "role", `${at}.tool_calls only belong on assistant turns`)
    for (let j = 0; j < m.tool_calls.length; j++) {
      const c = m.tool_calls[j]!
      if (typeof c.id !== "string" || c.id.length === 0) {
        return fail(`${at}.tool_calls[${j}].id`, "required", `${at}.tool_calls[${j}].id must be a non-empty string`)
      }
      if (typeof c.function?.name !== "string" || c.function.name.length === 0) {
        return fail(`${at}.tool_calls[${j}].function.name`, "required", "a tool call needs a function name")
      }
      if (typeof c.function.arguments !== "string") {
        return fail(`${at}.tool_calls[${j}].function.arguments`, "type", "tool call arguments are JSON text")
      }
    }
  }
  return ok
}

const normalizeSogniTools = (value: SogniToolsSurface | undefined): SogniToolsSurface | undefined =>
  typeof value === "string" && value.trim().toLowerCase() === "rich" ? "creative-tools" : value

const all = (checks: ReadonlyArray<() => Check>): Check => {
  for (const c of checks) {
    const r = c()
    if (Either.isLeft(r)) return r
  }
  return ok
}

/** Characters of text in a conversation, counting stops once `budget` is passed. */
const textLength = (messages: ReadonlyArray<ChatMessage>, budget: number): number => {
  let n = 0
  for (const m of messages) {
    if (typeof m.content === "string") n += m.content.length
    else if (Array.isArray(m.content)) {
      for (const part of m.content as ReadonlyArray<ContentPart>) if (part.type === "text") n += part.text.length
    }
    for (const c of m.tool_calls ?? []) n += c.function.arguments.length
    if (n > budget) return n
  }
  return n
}

/**
 * Checks everything {@link validate} checks except the bytes of image parts (remote images are not
 * resolved yet): that the request is an object, `model`, the shape of every message, the text length
 * ({@link limits}) and every option. Safe on any input (`null`, wrong types): it never throws.
 *
 * @since 0.1.0
 */
export const validateShape = (request: ChatRequest): Check => {
  const input: unknown = request
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail("request", "type", `the request must be an object with model and messages (got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input})`)
  }
  return all([
    () => typeof request.model === "string" && request.model.trim().length > 0
      ? ok
      : fail("model", "required", "model must be a non-empty string"),
    () => Array.isArray(request.messages)
      ? ok
      : fail("messages", "type", `messages must be an array of messages (got ${request.messages === null ? "null" : typeof request.messages})`),
    () => request.messages.length > 0 ? ok : fail("messages", "min-items", "messages must hold at least one message"),
    () => all(request.messages.map((m, i) => () => checkMessage(m, i))),
    () => {
      const length = textLength(request.messages, limits.maxTextLength)
      return length <= limits.maxTextLength
        ? ok
        : fail("messages", "max-length", `the conversation's text must be at most ${limits.maxTextLength} characters (got more than ${limits.maxTextLength})`)
    },
    () => options(request)
  ])
}

/**
 * Validates a request without building it. Rules named in errors: `type` (also `field: "request"` when
 * the request is not an object), `required`, `min-items`, `max-length`, `allowed-values`, `finite`,
 * `integer`, `minimum`, `maximum`, `pattern`, `unique`, `exists`, `role`, and the vision rules of
 * {@link Vision.validateMessages}. Shape first: the image checks run only on a well-formed conversation.
 *
 * @since 0.1.0
 */
export const validate = (request: ChatRequest): Check =>
  all([
    () => validateShape(request),
    () => Vision.validateMessages(request.messages)
  ])

const options = (request: ChatRequest): Check =>
  all([
    () => checkNumber("maxTokens", request.maxTokens, { integer: true, min: 1 }),
    () => checkNumber("temperature", request.temperature, { min: 0, max: 2 }),
    () => checkNumber("topP", request.topP, { min: 0, max: 1 }),
    () => checkNumber("topK", request.topK, { integer: true, min: -1 }),
    () => checkNumber("minP", request.minP, { min: 0, max: 1 }),
    () => checkNumber("repetitionPenalty", request.repetitionPenalty, { exclusiveMin: 0 }),
    () => checkNumber("frequencyPenalty", request.frequencyPenalty, { min: -2, max: 2 }),
    () => checkNumber("presencePenalty", request.presencePenalty, { min: -2, max: 2 }),
    () => {
      const stop = request.stop
      if (stop === undefined || typeof stop === "string") return ok
      return Array.isArray(stop) && stop.every((s) => typeof s === "string")
        ? ok
        : fail("stop", "type", "stop must be a string or an array of strings")
    },
    () => checkOneOf("tokenType", request.tokenType, ["sogni", "spark"]),
    () => checkOneOf("billingMode", request.billingMode, ["auto", "subscription", "tokens"]),
    () => checkOneOf("taskProfile", request.taskProfile, ["general", "coding", "reasoning"]),
    () => checkOneOf("sogniTools", normalizeSogniTools(request.sogniTools), [true, false, "creative-tools", "creative-agent"]),
    () => {
      const names = new Set<string>()
      const tools = request.tools ?? []
      for (let i = 0; i < tools.length; i++) {
        const name = tools[i]?.function?.name
        const field = `tools[${i}].function.name`
        if (tools[i]?.type !== "function") return fail(`tools[${i}].type`, "allowed-values", `tools[${i}].type must be "function"`)
        if (typeof name !== "string" || !toolNamePattern.test(name)) {
          return fail(field, "pattern", `${field} must match ${toolNamePattern.source}`)
        }
        if (names.has(name)) return fail(field, "unique", `tool ${name} is defined twice`)
        names.add(name)
      }
      const choice = request.toolChoice
      if (choice === undefined) return ok
      if (typeof choice === "string") return checkOneOf("toolChoice", choice, ["auto", "none", "required"])
      if (choice.type !== "function" || typeof choice.function?.name !== "string") {
        return fail("toolChoice", "type", `toolChoice must be "auto", "none", "required" or { type: "function", function: { name } }`)
      }
      const injected = request.sogniTools !== undefined && request.sogniTools !== false
      return names.has(choice.function.name) || injected
        ? ok
        : fail("toolChoice.function.name", "exists", `toolChoice names ${choice.function.name}, which is not in tools`)
    },
    () => {
      const format = request.responseFormat
      if (format === undefined) return ok
      if (format.type === "text" || format.type === "json_object") return ok
      if (format.type !== "json_schema") {
        return fail("responseFormat.type", "allowed-values", `responseFormat.type must be "text", "json_object" or "json_schema"`)
      }
      if (typeof format.json_schema?.name !== "string" || !toolNamePattern.test(format.json_schema.name)) {
        return fail("responseFormat.json_schema.name", "pattern", `the schema name must match ${toolNamePattern.source}`)
      }
      return typeof format.json_schema.schema === "object" && format.json_schema.schema !== null
        ? ok
        : fail("responseFormat.json_schema.schema", "type", "the schema must be a JSON Schema object")
    }
  ])

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

/** Copies an object without its `undefined` properties. */
const defined = <T extends object>(o: T): T => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out as T
}

const wireMessage = (m: ChatMessage): Record<string, unknown> =>
  defined({
    role: m.role,
    content: Array.isArray(m.content)
      ? (m.content as ReadonlyArray<ContentPart>).map((p) =>
        p.type === "text"
          ? { type: "text", text: p.text }
          : { type: "image_url", image_url: defined({ url: p.image_url.url, detail: p.image_url.detail }) }
      )
      : m.content,
    tool_calls: m.tool_calls?.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.function.name, arguments: c.function.arguments }
    })),
    tool_call_id: m.tool_call_id,
    name: m.name
  })

const wireTool = (t: ToolDefinition) => ({
  type: "function",
  function: defined({ name: t.function.name, description: t.function.description, parameters: t.function.parameters })
})

/** What the builder needs besides the request. @since 0.1.0 */
export interface BuildOptions {
  /** The job id (upper-case UUID, see `Protocol.makeId`). */
  readonly jobID: string
  /** Sent only when given (chat.md §2: streaming calls send `true`, the tool loop `false`). */
  readonly stream?: boolean | undefined
  /** The configured app source, used when the request has none. */
  readonly appSource?: string | undefined
}

/**
 * Validates a request and builds its `llmJobRequest` payload, field by field as chat.md §2 lists them
 * (in that order), with every absent option omitted.
 *
 * @since 0.1.0
 */
export const build = (
  request: ChatRequest,
  options: BuildOptions
): Either.Either<LLMJobRequestPayload, SogniError.SogniInvalidRequest> =>
  Either.map(validate(request), () => {
    const appSource = (request.appSource ?? options.appSource)?.trim() || undefined
    const format = request.responseFormat
    return defined({
      jobID: options.jobID,
      type: "llm" as const,
      model: request.model.trim(),
      messages: request.messages.map(wireMessage),
      appSource,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      top_p: request.topP,
      top_k: request.topK,
      min_p: request.minP,
      repetition_penalty: request.repetitionPenalty,
      frequency_penalty: request.frequencyPenalty,
      presence_penalty: request.presencePenalty,
      stop: typeof request.stop === "string" || request.stop === undefined ? request.stop : [...request.stop],
      stream: options.stream,
      tokenType: request.tokenType,
      safeContentFilter: request.safeContentFilter,
      billingMode: request.billingMode || undefined,
      tools: request.tools === undefined || request.tools.length === 0 ? undefined : request.tools.map(wireTool),
      tool_choice: request.toolChoice,
      sogni_tools: normalizeSogniTools(request.sogniTools),
      sogni_tool_execution: request.sogniToolExecution,
      taskProfile: request.taskProfile,
      chat_template_kwargs: request.think === undefined ? undefined : { enable_thinking: request.think },
      response_format: format === undefined || format.type !== "json_schema"
        ? format
        : { type: "json_schema", json_schema: defined({ ...format.json_schema }) }
    })
  })
