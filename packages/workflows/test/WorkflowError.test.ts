/**
 * Workflows' errors take their retry advice from core's mixins; `fromApiError` keeps core's status rule.
 */
import { SogniError } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { WorkflowApiError, WorkflowInvalidRequest, WorkflowStreamError, fromApiError } from "../src/WorkflowError.js"

describe("WorkflowError advice", () => {
  it("API errors follow the status; refused input never retries; a spent stream may", () => {
    const core = new SogniError.SogniApiError({
      reason: "Conflict",
      status: 409,
      message: "too many active workflows",
      method: "POST",
      url: "/api/v1/workflows",
      retryAfterMillis: 3000
    })
    const busy = fromApiError(core, "POST /api/v1/workflows")
    assert.instanceOf(busy, WorkflowApiError)
    assert.strictEqual(busy.reason, "TooManyActiveWorkflows")
    assert.isFalse(busy.isRetryable)
    assert.deepStrictEqual(busy.retryAfter, Option.some(Duration.seconds(3)))
    const down = new WorkflowApiError({ reason: "Unavailable", status: 503, errorCode: 503, message: "m", operation: "GET /x" })
    assert.isTrue(down.isRetryable)
    assert.deepStrictEqual(down.retryAfter, Option.none())
    const refused = new WorkflowInvalidRequest({ field: "input.steps", rule: "required", message: "m" })
    assert.strictEqual(refused.reason, "InvalidRequest")
    assert.isFalse(refused.isRetryable)
    const spent = new WorkflowStreamError({ reason: "Exhausted", workflowId: "wf_1", message: "m" })
    assert.isTrue(spent.isRetryable)
    assert.deepStrictEqual(spent.retryAfter, Option.none())
  })
})
