/**
 * Saved (reusable) uploads — the account's library of input files (`/v1/assets`, rest.md §5.6,
 * media.md §9.1). A file is saved once (SHA-256 → prepare → write-once PUT with the server's headers →
 * finalize; a file the library already holds is reused without a transfer) and can then be bound into
 * any number of projects' upload slots.
 *
 * Two ways to use it:
 * - explicitly: `save` a file, then for a project `prepare` its parameters with `true` for the input
 *   ("already uploaded for this project id"), `bind` the saved file to `prepared.request.jobID` and the
 *   slot, and `submit`;
 * - automatically: `Media.layer(input, { savedUploads: true })` makes every project upload go through
 *   the library when the server offers it (capabilities checked, cached 60 s), falling back to the
 *   per-project upload when it does not.
 *
 * @example
 * ```ts
 * const saved = yield* SavedUploads.SavedUploads
 * const projects = yield* Projects.Projects
 * const asset = yield* saved.save(pngBytes, { name: "poppies.png" })
 * const prepared = yield* projects.prepare({ type: "video", modelId, positivePrompt, referenceImage: true })
 * yield* saved.bind(asset.id, { projectId: prepared.request.jobID, type: "referenceImage" })
 * const results = yield* projects.run(prepared)
 * ```
 *
 * @since 0.1.0
 */
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import {
  SavedUpload,
  SavedUploadLibrary as Library,
  SavedUploadLimits as Limits
} from "@effect-sogni/core/Protocol"
import type * as SavedUploadTransfers from "./internal/savedUploadTransfers.js"

/** Content types the library takes (media.md §9.1; the protocol's list). @since 0.1.0 */
export const contentTypes: ReadonlySet<string> = Protocol.savedUploadContentTypes

/** Largest saved file: 100 MiB. @since 0.1.0 */
export const maxBytes = 100 * 1024 * 1024

/**
 * The library's wire shapes, declared once in core's `Protocol` (where the emulator encodes with them):
 * `SavedUpload` (a file in the library), `Limits` (`Protocol.SavedUploadLimits`) and `Library`
 * (`GET /v1/assets`, `Protocol.SavedUploadLibrary`).
 *
 * @since 0.1.0
 */
export { Library, Limits, SavedUpload }

/** Where a saved file goes: a project id and an upload slot (`id`: MiniMax H3 r2v media slot ids). @since 0.1.0 */
export interface Binding {
  readonly projectId: string
  readonly type: string
  readonly id?: string | undefined
}

/** @since 0.1.0 */
export interface SavedUploadsService {
  /** Whether the server offers saved uploads (`GET /v1/assets/capabilities`; 403/404/503 mean no). Cached 60 s. */
  readonly enabled: Effect.Effect<boolean, SogniRest.RestError>
  /** The saved files and the library's limits. */
  readonly list: Effect.Effect<Library, SogniRest.RestError>
  /** Saves a file (content type sniffed unless given); a file already saved is returned without a transfer. */
  readonly save: (
    bytes: Uint8Array,
    options?: { readonly name?: string | undefined; readonly contentType?: string | undefined }
  ) => Effect.Effect<SavedUpload, SogniRest.RestError>
  /** Copies a saved file into a project's upload slot (before the project's request is sent). */
  readonly bind: (id: string, binding: Binding) => Effect.Effect<void, SogniRest.RestError>
  /** Removes a saved file. */
  readonly remove: (id: string) => Effect.Effect<void, SogniRest.RestError>
  /**
   * The automatic path of a project upload: saves and binds when the library is on and the file fits
   * (`true`), or says to use the per-project upload (`false`) — when the library is off or refuses the
   * file at preparation (400/403/404/409/410/503). Failures after a transfer began are errors.
   */
  readonly tryBind: (
    bytes: Uint8Array,
    contentType: string | undefined,
    binding: Binding
  ) => Effect.Effect<boolean, SogniRest.RestError>
}

/** @since 0.1.0 */
export class SavedUploads extends Context.Tag("@effect-sogni/media/SavedUploads")<SavedUploads, SavedUploadsService>() {}

const Ignore = Schema.Unknown

function isApiError(e: unknown, statuses: ReadonlyArray<number>): e is SogniError.SogniApiError {
  return e instanceof SogniError.SogniApiError && statuses.includes(e.status)
}

/**
 * The service over a REST client.
 *
 * @since 0.1.0
 */
export function fromRest(rest: SogniRest.SogniRestService): Effect.Effect<SavedUploadsService> {
  return Effect.gen(function*() {
    const enabled = yield* Effect.cachedWithTTL(
      rest.get("rest", "/v1/assets/capabilities", Protocol.SavedUploadCapabilities).pipe(
        Effect.map((c) => c.enabled),
        Effect.catchIf((e) => isApiError(e, [403, 404, 503]), () => Effect.succeed(false))
      ),
      Duration.seconds(60)
    )

    // saving and binding (hashing, the upload and its retries) load with the first such call: a project
    // without input media never makes one
    const transfers = Effect.promise(() => import("./internal/savedUploadTransfers.js"))
    const context: SavedUploadTransfers.TransferContext = { rest, enabled }

    return {
      enabled,
      list: rest.get("rest", "/v1/assets", Library),
      save: (bytes, options) => Effect.flatMap(transfers, (t) => t.save(context, bytes, options)),
      bind: (id, binding) => Effect.flatMap(transfers, (t) => t.bind(context, id, binding)),
      remove: (id) => rest.delete("rest", `/v1/assets/${encodeURIComponent(id)}`, Ignore).pipe(Effect.asVoid),
      tryBind: (bytes, contentType, binding) => Effect.flatMap(transfers, (t) => t.tryBind(context, bytes, contentType, binding))
    }
  })
}

/** @since 0.1.0 */
export const layer: Layer.Layer<SavedUploads, never, SogniRest.SogniRest> = Layer.effect(
  SavedUploads,
  Effect.flatMap(SogniRest.SogniRest, fromRest)
)
