/**
 * Which REST request mints the download URL of a result (or of a preview): one place for the live mint
 * of `Projects` (core's lean REST path), the snapshot mint of `ProjectSync.resultUrls` and the mint again
 * of `Results.url` (core's REST with its retry policy). Images (and every preview) are asked of
 * `/v1/image/downloadUrl` by `imageId`, the other media of `/v1/media/downloadUrl` by `id`.
 *
 * @internal
 */
import type { JobResult, MediaKind } from "../ProjectState.js"

/** What a result is minted as: the complete output, or a step preview. */
export type DownloadType = "complete" | "preview"

/** The path and query of one mint. */
export interface DownloadUrlRequest {
  readonly path: "/v1/image/downloadUrl" | "/v1/media/downloadUrl"
  readonly query: Readonly<Record<string, string | undefined>>
}

/** The `contentType` a mint asks for, from the media kind and output format (none: the server's default). */
export function contentTypeFor(kind: MediaKind, outputFormat: string | undefined): string | undefined {
  const f = outputFormat?.toLowerCase()
  switch (kind) {
    case "image":
      return f === "png" ? "image/png" : f === "jpg" || f === "jpeg" ? "image/jpeg" : f === "webp" ? "image/webp" : undefined
    case "audio":
      return f === "flac" ? "audio/flac" : f === "wav" ? "audio/wav" : "audio/mpeg"
    case "model":
      return "model/gltf-binary"
    case "video":
      return undefined
  }
}

/** The media kind of a project from its model type (images unless it says otherwise). */
export function kindOfModelType(type: unknown): MediaKind {
  return type === "video" ? "video" : type === "audio" || type === "music" ? "audio" : type === "model" ? "model" : "image"
}

/**
 * The mint of job `imgID` of project `projectId`. `contentType` is sent when given (see
 * {@link contentTypeFor}).
 */
export function downloadUrlRequest(
  kind: MediaKind,
  projectId: string,
  imgID: string,
  type: DownloadType,
  contentType: string | undefined
): DownloadUrlRequest {
  const imagePath = kind === "image" || type === "preview"
  const base = contentType === undefined ? { jobId: projectId, type } : { jobId: projectId, type, contentType }
  return imagePath
    ? { path: "/v1/image/downloadUrl", query: { ...base, imageId: imgID } }
    : { path: "/v1/media/downloadUrl", query: { ...base, id: imgID } }
}

/**
 * How `Results.url` gets a usable URL of a result at time `now` (ms):
 * - `own`: its URL, not past `urlExpiresAt` (a vendor's URL has none);
 * - `mint`: minted again (no URL, or an expired one, `stale`, tried when the mint fails), when the
 *   result names its project and kind;
 * - `stale`: an expired URL that cannot be minted again, tried anyway;
 * - `none`: nothing to download (`withheld` by the safety filter, or no URL and nothing to mint it from).
 */
export type UrlPlan =
  | { readonly _tag: "own"; readonly url: string }
  | { readonly _tag: "mint"; readonly request: DownloadUrlRequest; readonly stale: string | undefined }
  | { readonly _tag: "stale"; readonly url: string }
  | { readonly _tag: "none"; readonly withheld: boolean }

/** The {@link UrlPlan} of `result` at `now`. */
export function urlPlan(result: JobResult, now: number): UrlPlan {
  const own = result.url
  if (own !== undefined && (result.urlExpiresAt === undefined || now <= result.urlExpiresAt)) return { _tag: "own", url: own }
  if (own === undefined && result.nsfwWithheld) return { _tag: "none", withheld: true }
  if (result.projectId === undefined || result.kind === undefined) {
    return own === undefined ? { _tag: "none", withheld: false } : { _tag: "stale", url: own }
  }
  const contentType = contentTypeFor(result.kind, result.outputFormat)
  return {
    _tag: "mint",
    request: downloadUrlRequest(result.kind, result.projectId, result.imgID, "complete", contentType),
    stale: own
  }
}
