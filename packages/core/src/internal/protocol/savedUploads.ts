/**
 * Saved (reusable) uploads, `/v1/assets` (rest.md §5.6, media.md §9.1): what the server accepts.
 * Re-exported by `Protocol`.
 *
 * @internal
 */

/** Content types a saved upload may have (media.md §9.1). @since 0.2.0 */
export const savedUploadContentTypes: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/webp",
  "video/mp4",
  "video/quicktime",
  "video/webm",
  "audio/mp4",
  "audio/mpeg",
  "audio/flac",
  "audio/wav",
  "audio/x-wav",
  "audio/wave"
])
