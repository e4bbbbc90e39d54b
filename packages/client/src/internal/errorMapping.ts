/**
 * From the Effect packages' typed errors and failure causes to the classes of `errors.ts`. Loaded with
 * a call's first failure (`Runner.toError`), or statically by the code that streams (chat, workflows),
 * itself loaded on first use: a program whose calls all succeed never loads it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import {
  AbortError,
  ApiError,
  AuthenticationError,
  ChatJobError,
  ChatOutputError,
  ConnectionReplacedError,
  DecodeError,
  DisposedError,
  InvalidRequestError,
  isSogniClientError,
  ProjectError,
  type SogniClientError,
  ToolCallError,
  TransportError,
  UnexpectedError,
  WorkflowError
} from "../errors.js"
import { aborted, disposed } from "./runner.js"


type Fields = Record<string, unknown>

/** The server's structured error context, when it sent an object. */
const recordOrUndefined = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

/** Copies the typed error's own data fields (not `_tag`, `message`, `cause`, `stack`). */
const fieldsOf = (error: object): Fields => {
  const out: Fields = {}
  for (const [k, v] of Object.entries(error)) {
    if (k === "_tag" || k === "message" || k === "cause" || k === "stack" || k === "name") continue
    out[k] = v
  }
  return out
}

const retryAfterSeconds = (error: object): number | undefined => {
  const ms = (error as { retryAfterMillis?: unknown }).retryAfterMillis
  if (typeof ms === "number") return ms / 1000
  let r: unknown
  try {
    r = (error as { retryAfter?: unknown }).retryAfter
  } catch {
    return undefined
  }
  if (Option.isOption(r) && Option.isSome(r) && Duration.isDuration(r.value)) return Duration.toMillis(r.value) / 1000
  return undefined
}

const retryableOf = (error: object): boolean => {
  const r = (error as { isRetryable?: unknown }).isRetryable
  return typeof r === "boolean" ? r : false
}

/**
 * Turns a typed error of the Effect packages (anything with a `_tag`) into this package's class.
 *
 * @internal
 */
export const fromTyped = (error: unknown): SogniClientError => {
  if (isSogniClientError(error)) return error
  if (typeof error !== "object" || error === null || typeof (error as { _tag?: unknown })._tag !== "string") {
    return new UnexpectedError(error instanceof Error ? error.message : String(error), {
      reason: "Unexpected",
      cause: error
    })
  }
  const e = error as { readonly _tag: string; readonly message?: unknown; readonly reason?: unknown; readonly cause?: unknown }
  const tag = e._tag
  const message = typeof e.message === "string" ? e.message : tag
  const common = {
    reason: typeof e.reason === "string" ? e.reason : tag,
    tag,
    retryable: retryableOf(e),
    retryAfter: retryAfterSeconds(e),
    ...(e.cause !== undefined ? { cause: e.cause } : {})
  }
  const fields = fieldsOf(e)
  switch (tag) {
    case "SogniTransportError":
      return new TransportError(message, { ...common, fields })
    case "SogniAuthenticationError":
      return new AuthenticationError(message, { ...common, fields })
    case "SogniConnectionReplacedError":
      return new ConnectionReplacedError(message, { ...common, reason: "ConnectionReplaced", fields })
    case "SogniApiError": {
      const f = fields as { status: number; errorCode?: number; method: string; url: string; details?: unknown }
      return new ApiError(message, {
        ...common,
        fields: {
          ...f,
          details: recordOrUndefined(f.details),
          payload: { status: "error", errorCode: f.errorCode ?? f.status, message }
        }
      })
    }
    case "SogniDecodeError":
      return new DecodeError(message, { ...common, fields })
    case "SogniInvalidRequest":
    case "WorkflowInvalidRequest":
      return new InvalidRequestError(message, { ...common, reason: "InvalidRequest", fields })
    case "PlatformToolArgumentError":
      // a platform tool's arguments refused locally, before anything was sent
      return new InvalidRequestError(message, { ...common, fields })
    case "WorkflowApiError": {
      const f = fields as { status: number; errorCode?: number; operation: string; details?: unknown }
      const [method = "", url = ""] = f.operation.split(" ")
      return new ApiError(message, {
        ...common,
        fields: {
          ...f,
          details: recordOrUndefined(f.details),
          method,
          url,
          payload: { status: "error", errorCode: f.errorCode ?? f.status, message }
        }
      })
    }
    case "SogniHostedChatError": {
      // the official client reports hosted chat and chat-run refusals as ChatJobError
      const f = fields as { status: number; error: string; errorCode?: string }
      return new ChatJobError(message, {
        ...common,
        reason: "JobFailed",
        fields: { ...f, jobID: "", errorType: f.error, ...(f.errorCode !== undefined ? { code: f.errorCode } : {}) }
      })
    }
    case "SogniProjectError": {
      const f = fields as { projectId: string; code?: number; originalCode?: string }
      return new ProjectError(message, {
        ...common,
        fields: { ...f, code: f.code ?? (common.reason === "Canceled" ? 5004 : 0) }
      })
    }
    case "SogniChatJobError": {
      const f = fields as { jobID: string; error: string; errorCode?: string }
      return new ChatJobError(message, {
        ...common,
        fields: { ...f, errorType: f.error, ...(f.errorCode !== undefined ? { code: f.errorCode } : {}) }
      })
    }
    case "SogniToolCallError":
      return new ToolCallError(message, { ...common, fields })
    case "SogniChatOutputError":
      return new ChatOutputError(message, { ...common, fields })
    default:
      if (tag.startsWith("SogniWorkflow") || tag.startsWith("Workflow")) {
        return new WorkflowError(message, { ...common, fields })
      }
      return new UnexpectedError(message, { ...common, fields })
  }
}

/**
 * Turns the cause of a failed call into the error to throw: the first typed failure, else an
 * `AbortError` when the call was interrupted, else an `UnexpectedError` around the defect.
 *
 * @internal
 */
export const fromCause = (cause: Cause.Cause<unknown>, aborted: boolean): SogniClientError => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return fromTyped(failure.value)
  if (aborted || Cause.isInterruptedOnly(cause)) {
    return aborted
      ? new AbortError("The operation was aborted", { reason: "Aborted" })
      : new DisposedError("The operation was interrupted because the client was disposed", { reason: "Disposed" })
  }
  const defect = Cause.dieOption(cause)
  const value = Option.getOrUndefined(defect)
  return new UnexpectedError(value instanceof Error ? value.message : Cause.pretty(cause), {
    reason: "Defect",
    cause: value
  })
}


/** The error of a call refused before it ran (`Runner.refuse`). */
export const refusal = (why: "disposed" | "aborted"): SogniClientError => (why === "disposed" ? disposed() : aborted())
