/**
 * Client-side tools defined with Effect Schema and run by Effect handlers (chat.md §12).
 *
 * A tool's `parameters` schema is both the contract sent to the model (as JSON Schema, via
 * `JSONSchema.make`) and the decoder of the arguments the model sends back. {@link resolve} turns one
 * model tool call into the string fed back as the `tool` message:
 *
 * - unknown name → `SogniToolCallError { reason: "UnknownTool" }`;
 * - arguments that are not a JSON object, or do not decode → `reason: "InvalidArguments"` (blank
 *   arguments count as `{}`, as in the official client);
 * - a failing handler → `reason: "HandlerFailed"`, its error as `cause`.
 *
 * Failed calls become `{"success":false,"error":"<message>"}` results so the model can correct itself;
 * with `onHandlerError: "fail"` a failing handler fails the run instead. A handler's value is sent as is
 * when it is a string, else as JSON (encoded with the tool's `success` schema when one is given).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@effect-sogni/chat"
 *
 * const getWeather = Tool.make("get_weather", {
 *   description: "Current weather for a city",
 *   parameters: Schema.Struct({ location: Schema.String, unit: Schema.optional(Schema.Literal("C", "F")) }),
 *   handler: ({ location }) => Effect.succeed({ location, tempF: 91, sky: "clear" })
 * })
 * const toolkit = Tool.toolkit(getWeather)
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseIssues from "@effect-sogni/core/ParseIssues"
import * as Schema from "effect/Schema"
import { SogniToolCallError } from "./ChatError.js"
import { type ToolCall, type ToolDefinition, toolNamePattern } from "./ChatRequest.js"

/**
 * A tool whose handler needs the services `R`.
 *
 * @since 0.1.0
 */
export interface Tool<out R = never> {
  readonly name: string
  readonly description: string | undefined
  /** The OpenAI function definition sent to the model. */
  readonly definition: ToolDefinition
  /**
   * Decodes the arguments of a call (already parsed JSON). A refusal is its message, or the message
   * with the typed error behind it (kept as the `cause` of the `InvalidArguments` error).
   */
  readonly decode: (args: unknown) => Either.Either<unknown, string | DecodeFailure>
  /** Runs the handler on decoded arguments and renders its value as the `tool` message content. */
  readonly run: (params: unknown, call: ToolCall) => Effect.Effect<string, unknown, R>
}

/**
 * Arguments refused with a typed error (e.g. a platform tool's `PlatformToolArgumentError`).
 *
 * @since 0.1.0
 */
export interface DecodeFailure {
  readonly message: string
  readonly cause: unknown
}

/**
 * The JSON Schema of an Effect Schema as a tool or response format expects it (no `$schema` key).
 *
 * @since 0.1.0
 */
export const jsonSchemaOf = <A, I, R>(schema: Schema.Schema<A, I, R>): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = JSONSchema.make(schema) as unknown as Record<string, unknown>
  return rest
}

/**
 * Defines a tool. `name` must match `^[a-zA-Z0-9_-]{1,64}$` (checked when the toolkit is used).
 *
 * @since 0.1.0
 */
export const make = <A, I, X, E, R, XI = X>(
  name: string,
  options: {
    readonly description?: string | undefined
    readonly parameters: Schema.Schema<A, I, never>
    /** Encodes the handler's value before it is sent as JSON. */
    readonly success?: Schema.Schema<X, XI, never> | undefined
    readonly handler: (params: A, call: ToolCall) => Effect.Effect<X, E, R>
  }
): Tool<R> => {
  const decodeParams = Schema.decodeUnknownEither(options.parameters, { errors: "all", onExcessProperty: "ignore" })
  const encodeSuccess = options.success === undefined ? undefined : Schema.encodeEither(options.success)
  const render = (value: X): Effect.Effect<string, unknown> => {
    if (encodeSuccess !== undefined) {
      return Either.match(encodeSuccess(value), {
        onLeft: (e) => Effect.fail(e),
        onRight: (encoded) => Effect.succeed(typeof encoded === "string" ? encoded : JSON.stringify(encoded))
      })
    }
    return Effect.succeed(typeof value === "string" ? value : JSON.stringify(value ?? null))
  }
  return {
    name,
    description: options.description,
    definition: {
      type: "function",
      function: {
        name,
        ...(options.description !== undefined ? { description: options.description } : {}),
        parameters: jsonSchemaOf(options.parameters)
      }
    },
    decode: (args) => Either.mapLeft(decodeParams(args), (e) => ParseIssues.format(e.issue)),
    run: (params, call) => Effect.flatMap(options.handler(params as A, call), render)
  }
}

/**
 * A set of tools, by name.
 *
 * @since 0.1.0
 */
export interface Toolkit<out R = never> {
  readonly tools: ReadonlyMap<string, Tool<R>>
  readonly definitions: ReadonlyArray<ToolDefinition>
}

/** The handler requirements of a list of tools. @since 0.1.0 */
export type Requirements<T extends ReadonlyArray<Tool<unknown>>> = T[number] extends Tool<infer R> ? R : never

/**
 * Groups tools. A later tool with the same name replaces an earlier one.
 *
 * @since 0.1.0
 */
export const toolkit = <const T extends ReadonlyArray<Tool<unknown>>>(...tools: T): Toolkit<Requirements<T>> => {
  const map = new Map<string, Tool<Requirements<T>>>()
  // each tool needs a part of Requirements<T>, which TypeScript cannot see through the generic
  for (const t of tools) map.set(t.name, t as Tool<Requirements<T>>)
  return { tools: map, definitions: [...map.values()].map((t) => t.definition) }
}

/**
 * Names in a toolkit that the OpenAI tool format would refuse.
 *
 * @since 0.1.0
 */
export const invalidNames = <R>(kit: Toolkit<R>): ReadonlyArray<string> =>
  [...kit.tools.keys()].filter((n) => !toolNamePattern.test(n))

/**
 * Parses a call's argument text: blank → `{}`; otherwise it must be a JSON object.
 *
 * @since 0.1.0
 */
export const parseArguments = (text: string): Either.Either<unknown, string> => {
  if (text.trim().length === 0) return Either.right({})
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return Either.left(`arguments are not valid JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? Either.right(parsed)
    : Either.left("arguments must be a JSON object")
}

/** The outcome of one call. @since 0.1.0 */
export interface Resolution {
  readonly call: ToolCall
  /** The `tool` message content. */
  readonly content: string
  readonly error: SogniToolCallError | undefined
}

/** The content fed back for a failed call (the official client's shape, chat.md §12.2). @since 0.1.0 */
export const failureContent = (message: string): string => JSON.stringify({ success: false, error: message })

const messageOf = (u: unknown): string =>
  typeof u === "object" && u !== null && "message" in u && typeof (u as { message: unknown }).message === "string"
    ? (u as { message: string }).message
    : String(u)

/**
 * Resolves one call against a toolkit. Unknown tools and invalid arguments always come back as failed
 * results; a failing handler does too with `onHandlerError: "return"`, and fails with a `HandlerFailed`
 * error with `"fail"`.
 *
 * @since 0.1.0
 */
export const resolve = <R>(
  kit: Toolkit<R>,
  call: ToolCall,
  onHandlerError: "return" | "fail"
): Effect.Effect<Resolution, SogniToolCallError, R> => {
  const failed = (reason: SogniToolCallError["reason"], message: string, cause?: unknown): Resolution => {
    const error = new SogniToolCallError({
      reason,
      toolName: call.function.name,
      toolCallId: call.id,
      message,
      ...(cause !== undefined ? { cause } : {})
    })
    return { call, content: failureContent(message), error }
  }
  const tool = kit.tools.get(call.function.name)
  if (tool === undefined) {
    return Effect.succeed(failed("UnknownTool", `Unknown tool "${call.function.name}"`))
  }
  const args = Either.flatMap(parseArguments(call.function.arguments), tool.decode)
  if (Either.isLeft(args)) {
    const refusal = args.left
    return Effect.succeed(
      typeof refusal === "string"
        ? failed("InvalidArguments", `Invalid ${call.function.name} arguments: ${refusal}`)
        : failed("InvalidArguments", `Invalid ${call.function.name} arguments: ${refusal.message}`, refusal.cause)
    )
  }
  return tool.run(args.right, call).pipe(
    Effect.map((content): Resolution => ({ call, content, error: undefined })),
    Effect.catchAll((cause) => {
      const result = failed("HandlerFailed", `${call.function.name} failed: ${messageOf(cause)}`, cause)
      return onHandlerError === "fail" ? Effect.fail(result.error!) : Effect.succeed(result)
    })
  )
}
