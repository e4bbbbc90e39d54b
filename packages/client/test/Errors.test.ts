/**
 * The error classes: every typed error of the Effect packages maps to a class with a stable name, its
 * fields and `retryable` / `retryAfter` (seconds); causes map interruptions to AbortError or
 * DisposedError; and the guards recognise errors thrown by the other build (ESM vs CommonJS).
 */
import { SogniChatJobError, SogniToolCallError } from "@effect-sogni/chat/ChatError"
import { SogniHostedChatError } from "@effect-sogni/chat/HostedChatError"
import { SogniError } from "@effect-sogni/core"
import { SogniProjectError } from "@effect-sogni/media/MediaError"
import { WorkflowApiError, WorkflowInvalidRequest } from "@effect-sogni/workflows/WorkflowError"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { fromCause, fromTyped } from "../src/errors.js"
import * as Client from "../src/index.js"

describe("errors", () => {
  it("maps each typed error to its class, keeping its fields", () => {
    const api = fromTyped(
      new SogniError.SogniApiError({
        reason: "RateLimited",
        status: 429,
        errorCode: 4290,
        message: "slow down",
        method: "GET",
        url: "https://api.sogni.ai/v4/account/balance",
        retryAfterMillis: 2500
      })
    )
    assert.isTrue(Client.isApiError(api))
    assert.strictEqual(api.name, "ApiError")
    assert.strictEqual(api.tag, "SogniApiError")
    assert.strictEqual(api.reason, "RateLimited")
    assert.isTrue(api.retryable)
    assert.strictEqual(api.retryAfter, 2.5)
    assert.strictEqual((api as Client.ApiError).payload.errorCode, 4290)

    const invalid = fromTyped(new SogniError.SogniInvalidRequest({ field: "steps", rule: "range", message: "steps 0" }))
    assert.isTrue(Client.isInvalidRequestError(invalid))
    assert.strictEqual((invalid as Client.InvalidRequestError).field, "steps")
    assert.isFalse(invalid.retryable)

    const transport = fromTyped(new SogniError.SogniTransportError({ reason: "Closed", message: "gone", closeCode: 1006 }))
    assert.isTrue(Client.isTransportError(transport))
    assert.isTrue(transport.retryable)

    const auth = fromTyped(new SogniError.SogniAuthenticationError({ reason: "InvalidCredentials", message: "no" }))
    assert.isTrue(Client.isAuthenticationError(auth))

    const replaced = fromTyped(new SogniError.SogniConnectionReplacedError({ appId: "a", message: "taken" }))
    assert.isTrue(Client.isConnectionReplacedError(replaced))
    assert.strictEqual((replaced as Client.ConnectionReplacedError).appId, "a")

    const project = fromTyped(new SogniProjectError({ reason: "Failed", projectId: "P", code: 5002, message: "worker lost" }))
    assert.isTrue(Client.isProjectError(project))
    assert.strictEqual((project as Client.ProjectError).code, 5002)
    assert.isTrue(project.retryable)
    const canceled = fromTyped(new SogniProjectError({ reason: "Canceled", projectId: "P", message: "canceled" }))
    assert.strictEqual((canceled as Client.ProjectError).code, 5004)

    const chat = fromTyped(
      new SogniChatJobError({ reason: "TransportLost", jobID: "J", error: "transport_lost", message: "lost" })
    )
    assert.isTrue(Client.isChatJobError(chat))
    assert.isTrue(Client.isRetryableChatError(chat))
    assert.strictEqual((chat as Client.ChatJobError).errorType, "transport_lost")

    const hosted = fromTyped(
      new SogniHostedChatError({ status: 402, error: "insufficient_balance", errorCode: "4024", message: "broke" })
    )
    assert.isTrue(Client.isChatJobError(hosted))
    assert.strictEqual((hosted as Client.ChatJobError).status, 402)
    assert.strictEqual((hosted as Client.ChatJobError).code, "4024")

    const tool = fromTyped(new SogniToolCallError({ reason: "MaxRoundsExceeded", message: "too many rounds" }))
    assert.isTrue(Client.isToolCallError(tool))

    const plan = fromTyped(new WorkflowInvalidRequest({ stepId: "b", field: "steps[1].arguments.prompt", rule: "required", message: "x" }))
    assert.isTrue(Client.isInvalidRequestError(plan))
    assert.strictEqual((plan as Client.InvalidRequestError).stepId, "b")

    const workflowApi = fromTyped(
      new WorkflowApiError({
        reason: "TooManyActiveWorkflows",
        status: 409,
        errorCode: 409,
        message: "too many",
        operation: "POST /v1/creative-agent/workflows",
        details: { activeWorkflows: 5 }
      } as never)
    )
    assert.isTrue(Client.isApiError(workflowApi))
    assert.strictEqual((workflowApi as Client.ApiError).method, "POST")
    assert.deepStrictEqual((workflowApi as Client.ApiError).details, { activeWorkflows: 5 })
  })

  it("causes: interruption is AbortError when the caller aborted, DisposedError otherwise; defects are UnexpectedError", () => {
    const interrupted = Cause.interrupt("fiber" as never)
    assert.isTrue(Client.isAbortError(fromCause(interrupted, true)))
    assert.isTrue(Client.isDisposedError(fromCause(interrupted, false)))
    const defect = fromCause(Cause.die(new Error("boom")), false)
    assert.isTrue(Client.isUnexpectedError(defect))
    assert.strictEqual(defect.message, "boom")
    assert.isTrue(Client.isSogniClientError(defect))
    assert.isFalse(Client.isSogniClientError(new Error("plain")))
  })

  it("guards recognise errors from the other build (the ESM and CommonJS bundles loaded side by side)", async () => {
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist")
    const esm: typeof Client = await import(pathToFileURL(path.join(dist, "index.js")).href)
    const cjs: typeof Client = createRequire(import.meta.url)(path.join(dist, "index.cjs"))
    assert.notStrictEqual(esm.ApiError, cjs.ApiError)
    const fromCjs = new cjs.InvalidRequestError("bad", { reason: "InvalidRequest", fields: { field: "f", rule: "r" } })
    assert.isTrue(esm.isInvalidRequestError(fromCjs))
    assert.isTrue(Client.isInvalidRequestError(fromCjs))
    assert.isFalse(esm.isApiError(fromCjs))
  })
})
