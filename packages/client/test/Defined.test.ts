/**
 * `deepDefined`: a decoded record as the official types want it (optional fields left out rather than
 * set to `undefined`), at every depth of its plain objects and arrays.
 */
import { assert, describe, it } from "@effect/vitest"
import { deepDefined } from "../src/internal/defined.js"

describe("deepDefined", () => {
  it("drops undefined fields at every depth and keeps everything else", () => {
    const when = new Date(0)
    const record = {
      runId: "r1",
      failureReason: undefined,
      scope: { ownerWalletAddress: "0xabc", tokenType: undefined },
      events: [{ sequence: 1, payload: undefined }, { sequence: 2, payload: { note: undefined, n: 0 } }],
      slots: [undefined, null, ""],
      when
    }
    const out = deepDefined(record)
    assert.deepStrictEqual(out, {
      runId: "r1",
      scope: { ownerWalletAddress: "0xabc" },
      events: [{ sequence: 1 }, { sequence: 2, payload: { n: 0 } }],
      slots: [undefined, null, ""],
      when
    })
    assert.isFalse(Object.hasOwn(out, "failureReason"))
    assert.isFalse(Object.hasOwn(out.scope, "tokenType"))
    // not a plain object: the same instance
    assert.strictEqual(out.when, when)
    // a copy: the input is unchanged
    assert.isTrue(Object.hasOwn(record.scope, "tokenType"))
  })
})
