/**
 * Chat's errors take their retry advice from core's mixins, and read subscription codes one way.
 */
import { SogniError } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { SogniChatJobError, SogniChatOutputError, SogniToolCallError } from "../src/ChatError.js"
import { fromApiError, fromSuccessBody, SogniHostedChatError } from "../src/HostedChatError.js"

describe("ChatError advice", () => {
  it("hosted chat refusals follow the status and name their subscription code", () => {
    const body = { error: "subscription_unavailable", error_code: 4079, error_message: "upgrade your plan" }
    const core = new SogniError.SogniApiError({ reason: "Forbidden", status: 403, message: "m", method: "POST", url: "/v1/chat", body })
    const refusal = fromApiError(core)
    assert(refusal instanceof SogniHostedChatError)
    assert.isFalse(refusal.isRetryable)
    assert.deepStrictEqual(refusal.subscriptionErrorCode, Option.some(4079))
    const busy = new SogniHostedChatError({ status: 429, error: "rate_limited", message: "m", retryAfterMillis: 800 })
    assert.isTrue(busy.isRetryable)
    assert.deepStrictEqual(busy.retryAfter, Option.some(Duration.millis(800)))
    assert.deepStrictEqual(busy.subscriptionErrorCode, Option.none())
  })

  it("a success body is an error only in a chat error shape (the OpenAI envelope with a message, type or code; the flat body) or the platform's error envelope", () => {
    for (const body of [
      { id: "c", choices: [], error: null },
      { status: "success", data: { message: "fine" } },
      { error: {} },
      { error: { type: "" } },
      { error: "tag only" },
      [{ status: "error" }],
      "error",
      null
    ]) {
      assert.isUndefined(fromSuccessBody(200, body), JSON.stringify(body))
    }
    const flat = fromSuccessBody(200, { error: "subscription_unavailable", error_code: 4080, error_message: "renewal retry" })
    assert.deepStrictEqual([flat?.error, flat?.errorCode, flat?.message], ["subscription_unavailable", "4080", "renewal retry"])
    assert.deepStrictEqual(flat?.subscriptionErrorCode, Option.some(4080))
    // the OpenAI envelope without a message (as the official client reads it): its type, else its code, says it
    const typed = fromSuccessBody(200, { error: { type: "x" } })
    assert.deepStrictEqual([typed?.error, typed?.errorCode, typed?.message], ["x", undefined, "x"])
    const coded = fromSuccessBody(200, { error: { code: 4024 } })
    assert.deepStrictEqual([coded?.error, coded?.errorCode, coded?.message], ["error", "4024", "error 4024"])
    const bare = fromSuccessBody(200, { status: "error" })
    assert.deepStrictEqual([bare?.status, bare?.error, bare?.errorCode, bare?.message], [200, "error", undefined, "the server answered with an error"])
  })

  it("job, tool and output errors keep their rules", () => {
    const lost = new SogniChatJobError({ reason: "TransportLost", jobID: "j", error: "transport_lost", message: "m", errorCode: "4081" })
    assert.isTrue(lost.isRetryable)
    assert.deepStrictEqual(lost.subscriptionErrorCode, Option.some(4081))
    const failed = new SogniChatJobError({ reason: "JobFailed", jobID: "j", error: "insufficient_balance", message: "m" })
    assert.isFalse(failed.isRetryable)
    assert.isFalse(new SogniToolCallError({ reason: "UnknownTool", message: "m" }).isRetryable)
    const output = new SogniChatOutputError({ reason: "InvalidJson", jobID: "j", rawText: "{", message: "m" })
    assert.isTrue(output.isRetryable)
    assert.deepStrictEqual(output.retryAfter, Option.none())
  })
})
