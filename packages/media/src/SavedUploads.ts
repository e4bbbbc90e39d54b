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
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import {
  SavedUpload,
  SavedUploadLibrary as Library,
  SavedUploadLimits as Limits
} from "@effect-sogni/core/Protocol"
import * as Sniff from "./Sniff.js"

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

const isApiError = (e: unknown, statuses: ReadonlyArray<number>): e is SogniError.SogniApiError =>
  e instanceof SogniError.SogniApiError && statuses.includes(e.status)

/** 423 means "busy, try shortly": up to 4 retries, 250 ms doubling. */
const retryBusy = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.retry(effect, {
    schedule: Schedule.exponential(Duration.millis(250)),
    times: 4,
    while: (e) => isApiError(e, [423])
  })

const hex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("")

/** Marks errors of the prepare step, the only ones the automatic path may fall back on. */
class PrepareRefused {
  readonly _tag = "PrepareRefused"
  constructor(readonly error: SogniRest.RestError) {}
}

/**
 * The service over a REST client.
 *
 * @since 0.1.0
 */
export const fromRest = (rest: SogniRest.SogniRestService): Effect.Effect<SavedUploadsService> =>
  Effect.gen(function*() {
    const enabled = yield* Effect.cachedWithTTL(
      rest.get("rest", "/v1/assets/capabilities", Protocol.SavedUploadCapabilities).pipe(
        Effect.map((c) => c.enabled),
        Effect.catchIf((e) => isApiError(e, [403, 404, 503]), () => Effect.succeed(false))
      ),
      Duration.seconds(60)
    )

    const invalid = (field: string, rule: string, message: string) =>
      new SogniError.SogniInvalidRequest({ field, rule, message })

    const saveOrPrepareRefused = (
      bytes: Uint8Array,
      options: { readonly name?: string | undefined; readonly contentType?: string | undefined }
    ): Effect.Effect<SavedUpload, SogniRest.RestError | PrepareRefused> =>
      Effect.gen(function*() {
        const contentType = options.contentType ?? Option.getOrUndefined(Sniff.sniff(bytes))
        if (contentType === undefined || !contentTypes.has(contentType)) {
          return yield* Effect.fail(invalid("contentType", "allowed-values", `a saved upload must be one of ${[...contentTypes].join(", ")} (got ${contentType ?? "an unrecognised format"})`))
        }
        if (bytes.length < 1 || bytes.length > maxBytes) {
          return yield* Effect.fail(invalid("bytes", "range", `a saved upload holds 1 byte to 100 MiB (got ${bytes.length})`))
        }
        const digest = yield* Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))
        const prepared = yield* retryBusy(
          rest.post("rest", "/v1/assets/prepare", {
            sha256: hex(digest),
            bytes: bytes.length,
            contentType,
            name: options.name ?? "Saved upload"
          } satisfies Protocol.SavedUploadPrepareRequest, Protocol.SavedUploadPrepared)
        ).pipe(Effect.mapError((e) => new PrepareRefused(e)))
        if (prepared.state === "ready") return toSaved(prepared)
        if (prepared.uploadUrl === undefined || prepared.uploadHeaders === undefined) {
          return yield* Effect.fail(new SogniError.SogniDecodeError({ reason: "Body", message: "a prepared saved upload has neither state ready nor an upload URL and headers" }))
        }
        // Write-once: 412 means an earlier attempt already stored the file (finalize verifies it).
        // Exactly the server's headers: the content type goes as the body's type, the others as headers.
        const headers = Object.entries(prepared.uploadHeaders)
        const typeHeader = headers.find(([k]) => k.toLowerCase() === "content-type")
        yield* rest.putBytes(prepared.uploadUrl, bytes, {
          headers: Object.fromEntries(headers.filter(([k]) => k.toLowerCase() !== "content-type")),
          contentType: typeHeader?.[1],
          timeout: Duration.minutes(5)
        }).pipe(
          Effect.catchIf((e) => isApiError(e, [412]), () => Effect.void)
        )
        return yield* retryBusy(rest.post("rest", `/v1/assets/${encodeURIComponent(prepared.id)}/finalize`, {}, SavedUpload))
      })

    const save: SavedUploadsService["save"] = (bytes, options = {}) =>
      saveOrPrepareRefused(bytes, options).pipe(
        Effect.catchAll((e) => Effect.fail(e instanceof PrepareRefused ? e.error : e)),
        Effect.withSpan("SavedUploads.save")
      )

    const bind: SavedUploadsService["bind"] = (id, binding) =>
      retryBusy(rest.post("rest", `/v1/assets/${encodeURIComponent(id)}/bind`, {
        projectId: binding.projectId,
        type: binding.type,
        ...(binding.id !== undefined ? { id: binding.id } : {})
      } satisfies Protocol.SavedUploadBindRequest, Ignore)).pipe(Effect.asVoid, Effect.withSpan("SavedUploads.bind"))

    const tryBind: SavedUploadsService["tryBind"] = (bytes, contentType, binding) =>
      Effect.gen(function*() {
        if (contentType === undefined || !contentTypes.has(contentType) || bytes.length < 1 || bytes.length > maxBytes) return false
        if (!(yield* enabled)) return false
        const saved = yield* saveOrPrepareRefused(bytes, { contentType, name: binding.id ?? binding.type })
        yield* bind(saved.id, binding)
        return true
      }).pipe(
        Effect.catchAll((e) =>
          e instanceof PrepareRefused
            ? isApiError(e.error, [400, 403, 404, 409, 410, 503]) ? Effect.succeed(false) : Effect.fail(e.error)
            : Effect.fail(e)
        )
      )

    return {
      enabled,
      list: rest.get("rest", "/v1/assets", Library),
      save,
      bind,
      remove: (id) => rest.delete("rest", `/v1/assets/${encodeURIComponent(id)}`, Ignore).pipe(Effect.asVoid),
      tryBind
    }
  })

const toSaved = (p: Protocol.SavedUploadPrepared): SavedUpload => ({
  id: p.id,
  name: p.name,
  bytes: p.bytes,
  contentType: p.contentType,
  state: p.state,
  createdAt: p.createdAt,
  expiresAt: p.expiresAt
})

/** @since 0.1.0 */
export const layer: Layer.Layer<SavedUploads, never, SogniRest.SogniRest> = Layer.effect(
  SavedUploads,
  Effect.flatMap(SogniRest.SogniRest, fromRest)
)
