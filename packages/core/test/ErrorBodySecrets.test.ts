/**
 * An error body that echoes the credentials it was sent (a server or a proxy's error page printing the
 * request's headers) loses them before it becomes an error: message, `body` and `details` alike.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Redacted from "effect/Redacted"
import * as RestClient from "../src/internal/restClient.js"

const KEY = "sk-live-echo-0123456789abcdef"
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
const secrets = { "api-key": Redacted.make(KEY), authorization: Redacted.make(`Bearer ${JWT}`) }

describe("error bodies and credentials", () => {
  it("withoutSecrets replaces each credential (and a bearer's token alone) everywhere; other text is kept", () => {
    const text = `key ${KEY} twice ${KEY}, header "Bearer ${JWT}", token ${JWT}, short abc`
    const out = RestClient.withoutSecrets(text, { ...secrets, short: Redacted.make("abc") })
    assert.notInclude(out, KEY)
    assert.notInclude(out, JWT)
    assert.strictEqual(out, `key <redacted> twice <redacted>, header "<redacted>", token <redacted>, short abc`)
    assert.strictEqual(RestClient.withoutSecrets(text, undefined), text)
  })

  it("errorOfResponse takes the credentials out of a JSON body before reading it", () => {
    for (const status of [400, 401, 500]) {
      const body = JSON.stringify({ message: `refused ${KEY}`, errorCode: 9, details: { sent: { authorization: `Bearer ${JWT}` } } })
      const error = RestClient.errorOfResponse("POST", "http://h.test/v1/x", status, body, { "content-type": "application/json" }, 0, secrets)
      assert.include(error.message, "refused <redacted>")
      for (const rendered of [String(error), JSON.stringify(error)]) {
        assert.notInclude(rendered, KEY)
        assert.notInclude(rendered, JWT)
      }
    }
  })
})
