/**
 * Saved (reusable) uploads, `/v1/assets` (rest.md §5.6, media.md §9.1): the content types the server
 * accepts, the library's records and limits, and the prepare and bind bodies. Re-exported by `Protocol`;
 * media's `SavedUploads` service decodes with these and the emulator encodes with them.
 *
 * @internal
 */
import * as Lazy from "../../Lazy.js"
import * as Schema from "effect/Schema"

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

/** A file in the library. @since 0.2.0 */
export const SavedUpload = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    id: Schema.String,
    name: Schema.String,
    bytes: Schema.Number,
    contentType: Schema.String,
    state: Schema.Literal("uploading", "ready"),
    createdAt: Schema.String,
    expiresAt: Schema.String
  })
})
/** @since 0.2.0 */
export type SavedUpload = typeof SavedUpload.Type

/** The library's limits. @since 0.2.0 */
export const SavedUploadLimits = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    entries: Schema.Number,
    bytes: Schema.Number,
    fileBytes: Schema.Number,
    idleDays: Schema.Number,
    copyBytesPerDay: Schema.Number,
    bindingsPerDay: Schema.Number
  })
})
/** @since 0.2.0 */
export type SavedUploadLimits = typeof SavedUploadLimits.Type

/** `GET /v1/assets`. @since 0.2.0 */
export const SavedUploadLibrary = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ assets: Schema.Array(SavedUpload), limits: SavedUploadLimits })
})
/** @since 0.2.0 */
export type SavedUploadLibrary = typeof SavedUploadLibrary.Type

/** `GET /v1/assets/capabilities`. @since 0.2.0 */
export const SavedUploadCapabilities = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({ enabled: Schema.Boolean })
})
/** @since 0.2.0 */
export type SavedUploadCapabilities = typeof SavedUploadCapabilities.Type

/** `POST /v1/assets/prepare` body: the file's digest, size, type and name. @since 0.2.0 */
export const SavedUploadPrepareRequest = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    sha256: Schema.String,
    bytes: Schema.Number,
    contentType: Schema.String,
    name: Schema.String
  })
})
/** @since 0.2.0 */
export type SavedUploadPrepareRequest = typeof SavedUploadPrepareRequest.Type

/**
 * The answer to a prepare: the record, `reused` when the library already holds the file, and where to
 * PUT the bytes (with exactly these headers) while it is `uploading`.
 *
 * @since 0.2.0
 */
export const SavedUploadPrepared = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    ...SavedUpload.fields,
    reused: Schema.optional(Schema.Boolean),
    uploadUrl: Schema.optional(Schema.String),
    uploadHeaders: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
  })
})
/** @since 0.2.0 */
export type SavedUploadPrepared = typeof SavedUploadPrepared.Type

/** `POST /v1/assets/{id}/bind` body: the project and its upload slot (`id`: a media slot id). @since 0.2.0 */
export const SavedUploadBindRequest = /* @__PURE__ */ Lazy.schema(function() {
  return Schema.Struct({
    projectId: Schema.String,
    type: Schema.String,
    id: Schema.optional(Schema.String)
  })
})
/** @since 0.2.0 */
export type SavedUploadBindRequest = typeof SavedUploadBindRequest.Type
