import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as MintPath from "../src/internal/mintPath.js"

/** The path `LeanRest` built from the query object before (`restClient.buildUrl`'s `URLSearchParams`). */
const viaSearchParams = (
  imagePath: boolean,
  projectId: string,
  imgID: string,
  type: "complete" | "preview",
  contentType: string | undefined
) => {
  const query = imagePath
    ? { jobId: projectId, imageId: imgID, type, ...(contentType ? { contentType } : {}) }
    : { jobId: projectId, id: imgID, type, ...(contentType ? { contentType } : {}) }
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) params.append(k, v)
  return `${imagePath ? "/v1/image/downloadUrl" : "/v1/media/downloadUrl"}?${params.toString()}`
}

describe("mintPath", () => {
  it("queryValue writes any string as URLSearchParams does (plain, reserved, spaces, non-ASCII)", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(FastCheck.string(), FastCheck.fullUnicodeString(), FastCheck.uuid()), (s) => {
        assert.strictEqual(MintPath.queryValue(s), new URLSearchParams([["v", s]]).toString().slice(2))
        // a second time (possibly from the cache of encoded values): the same
        assert.strictEqual(MintPath.queryValue(s), new URLSearchParams([["v", s]]).toString().slice(2))
      }),
      { numRuns: 500 }
    )
  })

  it("is the path and query the query object gave, for both endpoints, with and without a content type", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.boolean(),
        FastCheck.uuid(),
        FastCheck.oneof(FastCheck.uuid(), FastCheck.string()),
        FastCheck.constantFrom("complete" as const, "preview" as const),
        FastCheck.constantFrom(undefined, "", "image/png", "image/jpeg", "audio/mpeg", "model/gltf-binary"),
        (imagePath, projectId, imgID, type, contentType) => {
          assert.strictEqual(
            MintPath.mintPath(imagePath, projectId, imgID, type, contentType),
            viaSearchParams(imagePath, projectId, imgID, type, contentType)
          )
        }
      ),
      { numRuns: 500 }
    )
  })
})
