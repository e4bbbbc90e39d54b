/**
 * Errors of the promise client: plain `Error` subclasses with stable `name`s, one per typed error of
 * the Effect packages, each carrying that error's fields (`reason`, `status`, `field`, `rule`, `jobID`,
 * `projectId`, …) plus `retryable` and, when the server asked for a delay, `retryAfter` in seconds
 * (the official client's unit).
 *
 * Use the `isX` guards rather than `instanceof`: they also recognise errors thrown by another copy of
 * the package (the ESM and the CommonJS builds loaded side by side, for example).
 *
 * @example
 * ```ts
 * import { isApiError, isInvalidRequestError } from "@effect-sogni/client"
 *
 * try {
 *   const project = await sogni.projects.create({ type: "image", modelId: "flux1-schnell-fp8", steps: -1 })
 *   await project.waitForCompletion()
 * } catch (error) {
 *   if (isInvalidRequestError(error)) console.error(`${error.field}: ${error.rule}`)
 *   else if (isApiError(error) && error.retryAfter !== undefined) setTimeout(retry, error.retryAfter * 1000)
 *   else throw error
 * }
 * ```
 *
 * @since 0.1.0
 */
import * as ChatError from "@effect-sogni/chat/ChatError"

const brand: unique symbol = Symbol.for("@effect-sogni/client/SogniClientError") as never

/**
 * The stable names of the client's errors.
 *
 * @since 0.1.0
 */
export type ErrorName =
  | "TransportError"
  | "AuthenticationError"
  | "ConnectionReplacedError"
  | "ApiError"
  | "DecodeError"
  | "InvalidRequestError"
  | "ProjectError"
  | "ChatJobError"
  | "ToolCallError"
  | "ChatOutputError"
  | "WorkflowError"
  | "AbortError"
  | "DisposedError"
  | "UnexpectedError"

/**
 * The base of every error this package throws.
 *
 * @since 0.1.0
 */
export class SogniClientError extends Error {
  /** @internal */
  readonly [brand]: true = true
  /** The `_tag` of the Effect error this one was made from (e.g. `SogniApiError`), when there was one. */
  readonly tag: string | undefined
  /** What went wrong, within the error's kind (e.g. `RateLimited`, `Failed`, `TransportLost`). */
  readonly reason: string
  /** Whether the same request may succeed when sent again. */
  readonly retryable: boolean
  /** Seconds the server asked to wait before trying again, when it said. */
  readonly retryAfter: number | undefined

  constructor(name: ErrorName, message: string, options: ClientErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    Object.defineProperty(this, "name", { value: name, enumerable: false, configurable: true, writable: false })
    this.tag = options.tag
    this.reason = options.reason
    this.retryable = options.retryable ?? false
    this.retryAfter = options.retryAfter
    if (options.fields !== undefined) Object.assign(this, options.fields)
  }
}

/** What an error is made with: the common fields, and `fields`, the data fields of its kind (copied onto it). */
interface ClientErrorOptions {
  readonly reason: string
  readonly tag?: string | undefined
  readonly retryable?: boolean | undefined
  readonly retryAfter?: number | undefined
  readonly cause?: unknown
  readonly fields?: object | undefined
}

/** The constructor of one error kind (its statics are not part of the declarations). */
interface ErrorKind<N extends ErrorName> {
  new(message: string, options: ClientErrorOptions): SogniClientError & { readonly name: N }
  readonly prototype: SogniClientError
}

/**
 * The base class of one error kind, named `N`: each kind's class extends it, and an interface of the
 * same name declares the kind's data fields (copied from `fields` onto the error). Its calls (and the
 * guards' below) are marked pure: they touch nothing but the class they make, so a bundle keeps only
 * the kinds its code can throw (an image program throws no chat, tool or workflow error).
 */
const define = <const N extends ErrorName>(name: N): ErrorKind<N> => {
  class Named extends SogniClientError {
    declare readonly name: N
    constructor(message: string, options: ClientErrorOptions) {
      super(name, message, options)
    }
  }
  Object.defineProperty(Named, "name", { value: name })
  return Named
}

const guard = <N extends ErrorName, E>(name: N) => (u: unknown): u is E =>
  typeof u === "object" && u !== null && (u as { [brand]?: unknown })[brand] === true && (u as Error).name === name

/** The connection to a host failed or broke. Always retryable. @since 0.1.0 */
export interface TransportError { readonly closeCode?: number }
export class TransportError extends /* @__PURE__ */ define("TransportError") {}
/** @since 0.1.0 */
export const isTransportError = /* @__PURE__ */ guard<"TransportError", TransportError>("TransportError")

/** Credentials were refused or are missing (`InvalidCredentials`, `SessionExpired`, `NotAuthenticated`, …). @since 0.1.0 */
export interface AuthenticationError { readonly closeCode?: number }
export class AuthenticationError extends /* @__PURE__ */ define("AuthenticationError") {}
/** @since 0.1.0 */
export const isAuthenticationError = /* @__PURE__ */ guard<"AuthenticationError", AuthenticationError>("AuthenticationError")

/** Another connection took over this `appId` (socket close 4015). @since 0.1.0 */
export interface ConnectionReplacedError { readonly appId: string }
export class ConnectionReplacedError extends /* @__PURE__ */ define("ConnectionReplacedError") {}
/** @since 0.1.0 */
export const isConnectionReplacedError = /* @__PURE__ */ guard<"ConnectionReplacedError", ConnectionReplacedError>(
  "ConnectionReplacedError"
)

/**
 * The server answered with an error status. `status`, `errorCode`, `details` and `retryAfter` (seconds)
 * as the server sent them; `payload` mirrors the official client's field of the same name.
 *
 * @since 0.1.0
 */
export interface ApiError {
  readonly status: number
  readonly errorCode?: number
  readonly method: string
  readonly url: string
  readonly details?: Record<string, unknown> | undefined
  readonly payload: { readonly status: "error"; readonly errorCode: number; readonly message: string }
}
export class ApiError extends /* @__PURE__ */ define("ApiError") {}
/** @since 0.1.0 */
export const isApiError = /* @__PURE__ */ guard<"ApiError", ApiError>("ApiError")

/** A response or frame did not have the documented shape. @since 0.1.0 */
export interface DecodeError { readonly source?: string }
export class DecodeError extends /* @__PURE__ */ define("DecodeError") {}
/** @since 0.1.0 */
export const isDecodeError = /* @__PURE__ */ guard<"DecodeError", DecodeError>("DecodeError")

/** Input refused before anything was sent: `field` names the field (dotted path), `rule` the rule. @since 0.1.0 */
export interface InvalidRequestError {
  readonly field: string
  readonly rule: string
  /** The workflow step, for plans refused locally. */
  readonly stepId?: string
  /** The platform tool, for tool arguments refused locally. */
  readonly tool?: string
}
export class InvalidRequestError extends /* @__PURE__ */ define("InvalidRequestError") {}
/** @since 0.1.0 */
export const isInvalidRequestError = /* @__PURE__ */ guard<"InvalidRequestError", InvalidRequestError>("InvalidRequestError")

/**
 * A project did not end with results (`reason` `Failed`, `Canceled`, `CancelRejected`, `CancelTimeout`,
 * `Timeout`).
 * `code`, `originalCode` and `message` are the official client's `ErrorData` fields, so code that reads
 * `error.code` keeps working.
 *
 * @since 0.1.0
 */
export interface ProjectError {
  readonly projectId: string
  readonly code: number
  readonly originalCode?: string
}
export class ProjectError extends /* @__PURE__ */ define("ProjectError") {}
/** @since 0.1.0 */
export const isProjectError = /* @__PURE__ */ guard<"ProjectError", ProjectError>("ProjectError")

/**
 * A chat job ended without a result (`JobFailed`, `TransportLost`, `IdleTimeout`, `ReplyGap`: a tool round
 * whose reply crossed a reconnect, see `ChatCompletionResult.gap`). As in the official
 * client, `errorType` is the server's tag, `code`/`errorCode` the wire code string.
 *
 * @since 0.1.0
 */
export interface ChatJobError {
  readonly jobID: string
  /** The HTTP status, for hosted chat and chat runs. */
  readonly status?: number
  readonly errorType: string
  readonly error: string
  readonly errorCode?: string
  readonly code?: string
  readonly workerName?: string
  readonly subscriptionLimit?: boolean
  readonly requiredPlans?: ReadonlyArray<string>
  readonly feature?: string
  readonly limitation?: string
}
export class ChatJobError extends /* @__PURE__ */ define("ChatJobError") {}
/** @since 0.1.0 */
export const isChatJobError = /* @__PURE__ */ guard<"ChatJobError", ChatJobError>("ChatJobError")
/** Whether a chat failure may succeed when the request is sent again (the official helper's name). @since 0.1.0 */
export const isRetryableChatError = (u: unknown): boolean => isChatJobError(u) && u.retryable

/** A tool call could not be resolved, or the tool loop gave up. @since 0.1.0 */
export interface ToolCallError { readonly toolName?: string; readonly toolCallId?: string }
export class ToolCallError extends /* @__PURE__ */ define("ToolCallError") {}
/** @since 0.1.0 */
export const isToolCallError = /* @__PURE__ */ guard<"ToolCallError", ToolCallError>("ToolCallError")

/** A structured answer was not JSON or did not match its schema; `rawText` is the answer. @since 0.1.0 */
export interface ChatOutputError { readonly jobID: string; readonly rawText: string }
export class ChatOutputError extends /* @__PURE__ */ define("ChatOutputError") {}
/** @since 0.1.0 */
export const isChatOutputError = /* @__PURE__ */ guard<"ChatOutputError", ChatOutputError>("ChatOutputError")

/** A workflow, template or replay call failed. @since 0.1.0 */
export interface WorkflowError {
  readonly [field: string]: unknown
}
export class WorkflowError extends /* @__PURE__ */ define("WorkflowError") {}
/** @since 0.1.0 */
export const isWorkflowError = /* @__PURE__ */ guard<"WorkflowError", WorkflowError>("WorkflowError")

/** The call's `AbortSignal` fired; the work was interrupted and cancelled upstream. @since 0.1.0 */
export class AbortError extends /* @__PURE__ */ define("AbortError") {}
/** @since 0.1.0 */
export const isAbortError = /* @__PURE__ */ guard<"AbortError", AbortError>("AbortError")

/** The client was disposed before or while the call ran. @since 0.1.0 */
export class DisposedError extends /* @__PURE__ */ define("DisposedError") {}
/** @since 0.1.0 */
export const isDisposedError = /* @__PURE__ */ guard<"DisposedError", DisposedError>("DisposedError")

/** A bug: something failed in a way no typed error describes (the defect is the `cause`). @since 0.1.0 */
export class UnexpectedError extends /* @__PURE__ */ define("UnexpectedError") {}
/** @since 0.1.0 */
export const isUnexpectedError = /* @__PURE__ */ guard<"UnexpectedError", UnexpectedError>("UnexpectedError")

/** True for every error this package throws. @since 0.1.0 */
export const isSogniClientError = (u: unknown): u is SogniClientError =>
  typeof u === "object" && u !== null && (u as { [brand]?: unknown })[brand] === true

/**
 * The mapping from the Effect packages' typed errors (and failure causes) to these classes lives in
 * `internal/errorMapping.ts`: calls load it with their first failure, so a program whose calls succeed
 * does not carry it. Re-exported here for code that maps errors itself.
 *
 * @internal
 */
export { fromCause, fromTyped } from "./internal/errorMapping.js"

/**
 * The chat error types that may succeed when the request is sent again (the connection was lost or
 * the server restarted, or the job went silent); `isRetryableChatError` answers the same for an error.
 *
 * @since 0.1.0
 */
export const RETRYABLE_CHAT_ERROR_TYPES: ReadonlyArray<string> = /* @__PURE__ */ Object.freeze(
  // pure (no spread: it would call the set's iterator), so a program that never reads this constant (an
  // image program) drops it and, with it, the chat error module (its error classes are built at import)
  /* @__PURE__ */ Array.from(ChatError.retryableErrorTags)
)

/**
 * Socket error codes of subscription billing: no entitlement covers the job (4078), the plan's queue
 * cap (4079), the billing-grace window (4080), and a feature the plan does not include (4081).
 *
 * @since 0.1.0
 */
export const SUBSCRIPTION_ERROR_CODES = {
  NOT_ENTITLED: 4078,
  QUEUE_CAP: 4079,
  GRACE_RETRY: 4080,
  SUBSCRIPTION_FEATURE_REQUIRES_UPGRADE: 4081
} as const

/** @since 0.1.0 */
export type SubscriptionErrorCode = (typeof SUBSCRIPTION_ERROR_CODES)[keyof typeof SUBSCRIPTION_ERROR_CODES]

/**
 * Whether a code, or an error carrying one (`code`, or `subscriptionLimit: true`), says the account's
 * plan does not include the feature (4081): the caller should offer an upgrade rather than retry.
 *
 * @since 0.1.0
 */
export const isSubscriptionLimitError = (codeOrError: unknown): boolean => {
  const isFeatureCode = (code: unknown) =>
    (typeof code === "number" || typeof code === "string") &&
    Number(code) === SUBSCRIPTION_ERROR_CODES.SUBSCRIPTION_FEATURE_REQUIRES_UPGRADE
  if (typeof codeOrError === "object" && codeOrError !== null) {
    const record = codeOrError as { readonly subscriptionLimit?: unknown; readonly code?: unknown }
    return record.subscriptionLimit === true || isFeatureCode(record.code)
  }
  return isFeatureCode(codeOrError)
}
