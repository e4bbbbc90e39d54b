import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as RestClient from "../src/internal/restClient.js"

/** What `buildUrl` wrote before it wrote the query itself: a `URLSearchParams` of the query object. */
const viaSearchParams = (url: string, query: RestClient.Query): string => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.append(k, String(v))
  const qs = params.toString()
  return qs === "" ? url : `${url}${url.includes("?") ? "&" : "?"}${qs}`
}

describe("the REST query string", () => {
  it("queryPart writes any string as URLSearchParams does (plain, reserved, spaces, non-ASCII)", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(FastCheck.string(), FastCheck.fullUnicodeString(), FastCheck.uuid()), (s) => {
        assert.strictEqual(RestClient.queryPart(s), new URLSearchParams([["v", s]]).toString().slice(2))
        // a second time (possibly from the cache of encoded parts): the same
        assert.strictEqual(RestClient.queryPart(s), new URLSearchParams([["v", s]]).toString().slice(2))
      }),
      { numRuns: 500 }
    )
  })

  it("buildUrl gives the URL a URLSearchParams of the query gave: names, values, omitted members, a URL with a query", () => {
    const value = FastCheck.oneof(
      FastCheck.string(),
      FastCheck.uuid(),
      FastCheck.integer(),
      FastCheck.double(),
      FastCheck.boolean(),
      FastCheck.constant(null),
      FastCheck.constant(undefined),
      FastCheck.constantFrom("image/png", "image/jpeg", "audio/mpeg", "model/gltf-binary", "complete", "")
    )
    FastCheck.assert(
      FastCheck.property(
        FastCheck.constantFrom("http://h/v1/image/downloadUrl", "https://h:8443/v1/x?a=1"),
        FastCheck.dictionary(FastCheck.oneof(FastCheck.string(), FastCheck.constantFrom("jobId", "imageId", "type")), value, {
          maxKeys: 5
        }),
        (url, query) => {
          assert.strictEqual(RestClient.buildUrl(url, query), viaSearchParams(url, query))
        }
      ),
      { numRuns: 500 }
    )
    assert.strictEqual(RestClient.buildUrl("http://h/p", undefined), "http://h/p")
    assert.strictEqual(RestClient.buildUrl("http://h/p", { a: undefined, b: null }), "http://h/p")
  })
})
