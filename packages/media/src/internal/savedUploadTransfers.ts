/**
 * The transfers of `SavedUploads`: saving a file (hash, prepare, upload, finalize, with the busy retries),
 * binding a saved file to a project, and the automatic save-and-bind of a project's input media.
 * `SavedUploads` loads it with the first such call; a project without input media never makes one.
 *
 * @internal
 */
import * as Protocol from "@effect-sogni/core/Protocol"
import * as SogniError from "@effect-sogni/core/SogniError"
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { type Binding, contentTypes, maxBytes, SavedUpload } from "../SavedUploads.js"
import * as Sniff from "../Sniff.js"

/** What the transfers use of the service being built. */
export interface TransferContext {
  readonly rest: SogniRest.SogniRestService
  readonly enabled: Effect.Effect<boolean, SogniRest.RestError>
}

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

const toSaved = (p: Protocol.SavedUploadPrepared): SavedUpload => ({
  id: p.id,
  name: p.name,
  bytes: p.bytes,
  contentType: p.contentType,
  state: p.state,
  createdAt: p.createdAt,
  expiresAt: p.expiresAt
})

const invalid = (field: string, rule: string, message: string) =>
  new SogniError.SogniInvalidRequest({ field, rule, message })

const saveOrPrepareRefused = (
  rest: SogniRest.SogniRestService,
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

/** `SavedUploads.save`. */
export const save = (
  ctx: TransferContext,
  bytes: Uint8Array,
  options: { readonly name?: string | undefined; readonly contentType?: string | undefined } = {}
): Effect.Effect<SavedUpload, SogniRest.RestError> =>
  saveOrPrepareRefused(ctx.rest, bytes, options).pipe(
    Effect.catchAll((e) => Effect.fail(e instanceof PrepareRefused ? e.error : e)),
    Effect.withSpan("SavedUploads.save")
  )

/** `SavedUploads.bind`. */
export const bind = (ctx: TransferContext, id: string, binding: Binding): Effect.Effect<void, SogniRest.RestError> =>
  retryBusy(ctx.rest.post("rest", `/v1/assets/${encodeURIComponent(id)}/bind`, {
    projectId: binding.projectId,
    type: binding.type,
    ...(binding.id !== undefined ? { id: binding.id } : {})
  } satisfies Protocol.SavedUploadBindRequest, Ignore)).pipe(Effect.asVoid, Effect.withSpan("SavedUploads.bind"))

/** `SavedUploads.tryBind`. */
export const tryBind = (
  ctx: TransferContext,
  bytes: Uint8Array,
  contentType: string | undefined,
  binding: Binding
): Effect.Effect<boolean, SogniRest.RestError> =>
  Effect.gen(function*() {
    if (contentType === undefined || !contentTypes.has(contentType) || bytes.length < 1 || bytes.length > maxBytes) return false
    if (!(yield* ctx.enabled)) return false
    const saved = yield* saveOrPrepareRefused(ctx.rest, bytes, { contentType, name: binding.id ?? binding.type })
    yield* bind(ctx, saved.id, binding)
    return true
  }).pipe(
    Effect.catchAll((e) =>
      e instanceof PrepareRefused
        ? isApiError(e.error, [400, 403, 404, 409, 410, 503]) ? Effect.succeed(false) : Effect.fail(e.error)
        : Effect.fail(e)
    )
  )
