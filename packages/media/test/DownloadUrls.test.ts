/**
 * Which request mints a result's URL, and how `Results.url` chooses between a result's own URL, a mint and a
 * clear refusal: pure, no I/O.
 */
import { assert, describe, it } from "@effect/vitest"
import * as DownloadUrls from "../src/internal/downloadUrls.js"
import type * as ProjectState from "../src/ProjectState.js"

const result = (more: Partial<ProjectState.JobResult> = {}): ProjectState.JobResult => ({
  jobIndex: 0,
  imgID: "JOB-1",
  url: "https://media.example/a.png",
  urlExpiresAt: 1_000,
  seed: undefined,
  outputFormat: "png",
  nsfwWithheld: false,
  nsfwDetected: false,
  workerName: undefined,
  projectId: "PROJ-1",
  kind: "image",
  ...more
})

describe("downloadUrlRequest", () => {
  it("images and previews ask /v1/image/downloadUrl by imageId, other media /v1/media/downloadUrl by id", () => {
    assert.deepStrictEqual(DownloadUrls.downloadUrlRequest("image", "P", "J", "complete", "image/png"), {
      path: "/v1/image/downloadUrl",
      query: { jobId: "P", type: "complete", contentType: "image/png", imageId: "J" }
    })
    assert.deepStrictEqual(DownloadUrls.downloadUrlRequest("video", "P", "J", "complete", undefined), {
      path: "/v1/media/downloadUrl",
      query: { jobId: "P", type: "complete", id: "J" }
    })
    assert.strictEqual(DownloadUrls.downloadUrlRequest("audio", "P", "J", "preview", "image/png").path, "/v1/image/downloadUrl")
    assert.strictEqual(DownloadUrls.downloadUrlRequest("model", "P", "J", "complete", undefined).path, "/v1/media/downloadUrl")
  })

  it("the media kind of a snapshot's model type", () => {
    assert.deepStrictEqual(
      ["video", "audio", "music", "model", "image", undefined, 3].map(DownloadUrls.kindOfModelType),
      ["video", "audio", "audio", "model", "image", "image", "image"]
    )
  })
})

describe("urlPlan (Results.url's choice)", () => {
  it("a URL not past urlExpiresAt, or without one (a vendor's), is used as it is", () => {
    assert.deepStrictEqual(DownloadUrls.urlPlan(result(), 1_000), { _tag: "own", url: "https://media.example/a.png" })
    assert.deepStrictEqual(DownloadUrls.urlPlan(result({ urlExpiresAt: undefined }), 9e12), { _tag: "own", url: "https://media.example/a.png" })
  })

  it("no URL, or an expired one, is minted again with the project's kind and the output format's contentType", () => {
    const request: DownloadUrls.DownloadUrlRequest = {
      path: "/v1/image/downloadUrl",
      query: { jobId: "PROJ-1", type: "complete", contentType: "image/png", imageId: "JOB-1" }
    }
    assert.deepStrictEqual(DownloadUrls.urlPlan(result({ url: undefined, urlExpiresAt: undefined }), 0), { _tag: "mint", request, stale: undefined })
    assert.deepStrictEqual(DownloadUrls.urlPlan(result(), 1_001), { _tag: "mint", request, stale: "https://media.example/a.png" })
    const video = DownloadUrls.urlPlan(result({ url: undefined, kind: "video", outputFormat: "mp4" }), 0)
    assert.deepStrictEqual(video, {
      _tag: "mint",
      request: { path: "/v1/media/downloadUrl", query: { jobId: "PROJ-1", type: "complete", id: "JOB-1" } },
      stale: undefined
    })
  })

  it("a withheld result is refused, even when it names its project", () => {
    assert.deepStrictEqual(DownloadUrls.urlPlan(result({ url: undefined, nsfwWithheld: true }), 0), { _tag: "none", withheld: true })
  })

  it("without projectId or kind nothing can be minted: no URL is refused, an expired one is tried anyway", () => {
    assert.deepStrictEqual(DownloadUrls.urlPlan(result({ url: undefined, projectId: undefined }), 0), { _tag: "none", withheld: false })
    assert.deepStrictEqual(DownloadUrls.urlPlan(result({ url: undefined, kind: undefined }), 0), { _tag: "none", withheld: false })
    assert.deepStrictEqual(DownloadUrls.urlPlan(result({ projectId: undefined }), 5_000), { _tag: "stale", url: "https://media.example/a.png" })
  })
})
