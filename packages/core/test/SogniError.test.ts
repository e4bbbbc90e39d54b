/**
 * The error classes' retry advice comes from core's mixins (`neverRetried`, `alwaysRetried`,
 * `retriedByStatus`, `refusedAs`): the getters answer as before, stay off the error's own fields, and
 * survive a Schema round trip.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Equal from "effect/Equal"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { RetryPolicy, SogniError } from "../src/index.js"

const api = (status: number, retryAfterMillis?: number) =>
  new SogniError.SogniApiError({
    reason: SogniError.apiReasonFromStatus(status),
    status,
    message: `status ${status}`,
    method: "GET",
    url: "https://api.example/v1/x",
    ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {})
  })

describe("SogniError advice", () => {
  it("each class answers isRetryable, retryAfter and its constant reason", () => {
    const cases: ReadonlyArray<readonly [SogniError.SogniError, boolean, string]> = [
      [new SogniError.SogniTransportError({ reason: "Closed", message: "x" }), true, "Closed"],
      [new SogniError.SogniAuthenticationError({ reason: "SessionExpired", message: "x" }), false, "SessionExpired"],
      [new SogniError.SogniConnectionReplacedError({ appId: "a", message: "x" }), false, "ConnectionReplaced"],
      [new SogniError.SogniDecodeError({ reason: "Body", message: "x" }), false, "Body"],
      [new SogniError.SogniInvalidRequest({ field: "f", rule: "r", message: "x" }), false, "InvalidRequest"],
      [new SogniError.SogniUnsupported({ feature: "tools", provider: "sage", message: "x" }), false, "Unsupported"],
      [api(404), false, "NotFound"],
      [api(503), true, "Unavailable"]
    ]
    for (const [error, retryable, reason] of cases) {
      assert.strictEqual(error.isRetryable, retryable, error._tag)
      assert.strictEqual(error.reason, reason, error._tag)
      assert.strictEqual(RetryPolicy.isRetryable(error), retryable, error._tag)
      assert.isTrue(SogniError.isSogniError(error))
      assert.instanceOf(error, Error)
    }
    assert.deepStrictEqual(api(429, 1500).retryAfter, Option.some(Duration.millis(1500)))
    assert.deepStrictEqual(api(429).retryAfter, Option.none())
    assert.deepStrictEqual(new SogniError.SogniTransportError({ reason: "Connect", message: "x" }).retryAfter, Option.none())
  })

  it("the getters are not fields: not own properties, not in JSON, not in equality", () => {
    const error = new SogniError.SogniInvalidRequest({ field: "steps", rule: "max", message: "too many" })
    for (const getter of ["isRetryable", "retryAfter", "reason"]) {
      assert.isFalse(Object.prototype.hasOwnProperty.call(error, getter), getter)
    }
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>
    assert.notProperty(json, "isRetryable")
    assert.isTrue(Equal.equals(error, new SogniError.SogniInvalidRequest({ field: "steps", rule: "max", message: "too many" })))
  })

  it("a Schema round trip gives back the class with its advice", () => {
    const original = api(429, 250)
    const encoded = Schema.encodeSync(SogniError.SogniApiError)(original)
    const decoded = Schema.decodeUnknownSync(SogniError.SogniApiError)(encoded)
    assert.instanceOf(decoded, SogniError.SogniApiError)
    assert.isTrue(decoded.isRetryable)
    assert.deepStrictEqual(decoded.retryAfter, Option.some(Duration.millis(250)))
    const refused = Schema.decodeUnknownSync(SogniError.SogniUnsupported)({ _tag: "SogniUnsupported", feature: "f", provider: "p", message: "m" })
    assert.strictEqual(refused.reason, "Unsupported")
    assert.isFalse(refused.isRetryable)
  })
})
