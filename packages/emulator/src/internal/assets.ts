/**
 * Saved (reusable) uploads, `/v1/assets` (rest.md §5.6, media.md §9.1): a per-account library of input
 * files. A file is prepared by its SHA-256 (a known file is `ready` at once and reused), PUT once to a
 * signed write-once URL with exactly the headers the server chose, verified (size, hash, magic bytes)
 * at finalize, then bound into a project's upload slot as many times as wanted. Off unless the emulator
 * is started with `savedUploads: true`: then `GET /v1/assets/capabilities` says `{enabled: true}` and
 * the official client uses this path for every supported input; otherwise it answers 404.
 *
 * @internal
 */
import { Protocol } from "@effect-sogni/core"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { createHash, randomUUID } from "node:crypto"
import { withAccount } from "./http/guard.js"
import { encodeWire } from "./http/wire.js"
import { errorResponse, type Handler, ok, schemaBody, urlOf } from "./http/response.js"
import { type AccountState, entryOf, type World } from "./state.js"
import { ACCEPTED, IMAGE_SLOTS, kindOfSlot, MEDIA_SLOTS, normalizeContentType, sniff, storeUpload } from "./uploads.js"

/** Content types a saved upload may have (media.md §9.1): the protocol's list. @internal */
export const SAVED_CONTENT_TYPES: ReadonlySet<string> = Protocol.savedUploadContentTypes

/** Library limits of every account (advertised by `GET /v1/assets`). @internal */
export const LIMITS: Protocol.SavedUploadLimits = {
  entries: 50,
  bytes: 1024 * 1024 * 1024,
  fileBytes: 100 * 1024 * 1024,
  idleDays: 30,
  copyBytesPerDay: 10 * 1024 * 1024 * 1024,
  bindingsPerDay: 1000
}

/** The library's message when full; the official client keys its fallback on this prefix. @internal */
export const QUOTA_MESSAGE = "Your saved upload library is full."

const DAY = 24 * 60 * 60_000
const PUT_URL_TTL_MILLIS = 15 * 60_000

/** One saved upload. @internal */
export interface SavedAsset {
  readonly id: string
  readonly owner: string
  readonly name: string
  readonly bytes: number
  readonly sha256: string
  readonly contentType: string
  state: "uploading" | "ready"
  readonly createdAt: number
  lastUsedAt: number
  data: Uint8Array | undefined
}

const libraryOf = (world: World, username: string): Map<string, SavedAsset> =>
  entryOf(world.savedAssets, username, () => new Map())

const iso = (millis: number) => new Date(millis).toISOString()

const encodeUpload = encodeWire(Protocol.SavedUpload, "saved upload")
const encodePrepared = encodeWire(Protocol.SavedUploadPrepared, "prepared saved upload")
const encodeLibrary = encodeWire(Protocol.SavedUploadLibrary, "saved upload library")

const view = (asset: SavedAsset): Protocol.SavedUpload => encodeUpload({
  id: asset.id,
  name: asset.name,
  bytes: asset.bytes,
  contentType: asset.contentType,
  state: asset.state,
  createdAt: iso(asset.createdAt),
  expiresAt: iso(asset.lastUsedAt + LIMITS.idleDays * DAY)
})

/** Forgets assets idle for longer than the library keeps them. */
const sweep = (library: Map<string, SavedAsset>, now: number) => {
  for (const [id, asset] of library) if (asset.lastUsedAt + LIMITS.idleDays * DAY < now) library.delete(id)
}


/** Runs `f` for the caller's account when saved uploads are on; 404 when off, else 401 without credentials. */
const withLibrary = (
  world: World,
  enabled: boolean,
  f: (
    account: AccountState,
    library: Map<string, SavedAsset>,
    request: HttpServerRequest.HttpServerRequest
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext>
): Handler =>
  // Off: every path 404s, as before this feature existed (the official client then uploads per project).
  !enabled
    ? Effect.succeed(errorResponse(404, "Saved uploads are not available"))
    : withAccount(world, (account, request) => {
      const library = libraryOf(world, account.username)
      sweep(library, Date.now())
      return f(account, library, request)
    })

const assetParam = Effect.map(HttpRouter.params, (p) => p["assetId"] ?? "")

const jsonBody = <A, I>(schema: Schema.Schema<A, I>) => Effect.either(schemaBody(schema))


const putSignature = (world: World, id: string, exp: number) => world.signer.sign(`asset|${id}|${exp}`)

const prepare = (world: World, enabled: boolean): Handler =>
  withLibrary(world, enabled, (account, library) =>
    Effect.gen(function*() {
      const decoded = yield* jsonBody(Protocol.SavedUploadPrepareRequest)
      if (decoded._tag === "Left") return decoded.left
      const { bytes, contentType, name, sha256 } = decoded.right
      if (!/^[0-9a-f]{64}$/.test(sha256)) return errorResponse(400, "sha256 must be 64 lower-case hex digits")
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > LIMITS.fileBytes) {
        return errorResponse(400, `bytes must be an integer in 1..${LIMITS.fileBytes} (got ${bytes})`)
      }
      if (!SAVED_CONTENT_TYPES.has(contentType)) {
        return errorResponse(400, `contentType ${contentType} cannot be saved (use one of ${[...SAVED_CONTENT_TYPES].join(", ")})`)
      }
      const trimmed = name.trim()
      if (trimmed.length === 0 || trimmed.length > 200) return errorResponse(400, "name must be 1–200 characters")
      const now = Date.now()
      const known = [...library.values()].find((a) => a.sha256 === sha256 && a.bytes === bytes && a.contentType === contentType)
      if (known !== undefined && known.state === "ready") {
        known.lastUsedAt = now
        return ok(encodePrepared({ ...view(known), reused: true }))
      }
      if (known !== undefined) {
        return ok(encodePrepared({ ...view(known), reused: true, ...uploadTarget(world, known.id) }))
      }
      const used = [...library.values()].reduce((n, a) => n + a.bytes, 0)
      if (library.size >= LIMITS.entries || used + bytes > LIMITS.bytes) {
        return errorResponse(409, `${QUOTA_MESSAGE} Remove saved uploads to make room (${library.size} of ${LIMITS.entries} entries, ${used} of ${LIMITS.bytes} bytes).`)
      }
      const asset: SavedAsset = {
        id: `asset-${randomUUID()}`,
        owner: account.username,
        name: trimmed,
        bytes,
        sha256,
        contentType,
        state: "uploading",
        createdAt: now,
        lastUsedAt: now,
        data: undefined
      }
      library.set(asset.id, asset)
      return ok(encodePrepared({ ...view(asset), reused: false, ...uploadTarget(world, asset.id) }))
    }))

/** The signed write-once PUT target of an asset and the exact headers to send with it. */
const uploadTarget = (world: World, id: string) => {
  const exp = Date.now() + PUT_URL_TTL_MILLIS
  const asset = findAsset(world, id)
  const query = new URLSearchParams({ exp: String(exp), sig: putSignature(world, id, exp) })
  return {
    uploadUrl: `${world.baseUrl}/_assets/${id}?${query}`,
    uploadHeaders: { "Content-Type": asset?.contentType ?? "application/octet-stream" }
  }
}

const findAsset = (world: World, id: string): SavedAsset | undefined => {
  for (const library of world.savedAssets.values()) {
    const asset = library.get(id)
    if (asset !== undefined) return asset
  }
  return undefined
}

/** `PUT /_assets/:id`: write-once; 412 once bytes are stored. Verified at finalize. */
const putAsset = (world: World): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = urlOf(request)
    const id = yield* assetParam
    const exp = Number(url.searchParams.get("exp"))
    const sig = url.searchParams.get("sig") ?? ""
    if (!Number.isFinite(exp) || !world.signer.verify(`asset|${id}|${exp}`, sig)) return errorResponse(403, "Invalid signature")
    if (exp < Date.now()) return errorResponse(403, "The URL has expired")
    const asset = findAsset(world, id)
    if (asset === undefined) return errorResponse(404, "No such saved upload")
    if (asset.data !== undefined) return errorResponse(412, "The file was already uploaded")
    const declared = request.headers["content-type"]
    if (declared === undefined || normalizeContentType(declared) !== normalizeContentType(asset.contentType)) {
      return errorResponse(400, `Send exactly the prepared upload headers (Content-Type: ${asset.contentType})`)
    }
    const body = yield* request.arrayBuffer.pipe(Effect.either)
    if (body._tag === "Left") return errorResponse(400, "Could not read the upload body")
    const data = new Uint8Array(body.right)
    if (data.length !== asset.bytes) return errorResponse(400, `Expected ${asset.bytes} bytes, got ${data.length}`)
    asset.data = data
    return HttpServerResponse.empty({ status: 200 })
  })

const finalize = (world: World, enabled: boolean): Handler =>
  withLibrary(world, enabled, (_account, library) =>
    Effect.gen(function*() {
      const asset = library.get(yield* assetParam)
      if (asset === undefined) return errorResponse(404, "No such saved upload")
      if (asset.state === "ready") return ok(view(asset))
      const data = asset.data
      if (data === undefined) return errorResponse(409, "Nothing was uploaded yet: PUT the file to its uploadUrl first")
      const problem = verify(asset, data)
      if (problem !== undefined) {
        // A bad transfer is discarded; the caller prepares again.
        library.delete(asset.id)
        return errorResponse(422, problem)
      }
      asset.state = "ready"
      asset.lastUsedAt = Date.now()
      return ok(view(asset))
    }))

/** Checks stored bytes against what was prepared: hash, and magic bytes of the declared family. */
const verify = (asset: SavedAsset, data: Uint8Array): string | undefined => {
  const digest = createHash("sha256").update(data).digest("hex")
  if (digest !== asset.sha256) return `The file's SHA-256 is ${digest}, not the prepared ${asset.sha256}`
  const sniffed = sniff(data)
  const declared = normalizeContentType(asset.contentType)
  const family = declared.split("/")[0]
  // WebM and some containers are not sniffed; a sniffed type must at least be of the declared family.
  if (sniffed !== undefined && sniffed.split("/")[0] !== family && !(declared === "audio/mp4" && sniffed === "video/mp4")) {
    return `The bytes are ${sniffed}, not ${asset.contentType}`
  }
  if (sniffed === undefined && family === "image") return `The bytes are not a recognised ${asset.contentType} image`
  return undefined
}

const bind = (world: World, enabled: boolean): Handler =>
  withLibrary(world, enabled, (account, library) =>
    Effect.gen(function*() {
      const asset = library.get(yield* assetParam)
      if (asset === undefined) return errorResponse(404, "No such saved upload")
      if (asset.state !== "ready" || asset.data === undefined) return errorResponse(409, "The saved upload is not ready: finalize it first")
      const decoded = yield* jsonBody(Protocol.SavedUploadBindRequest)
      if (decoded._tag === "Left") return decoded.left
      const { id, type } = decoded.right
      const projectId = decoded.right.projectId.toUpperCase()
      if (projectId.length === 0) return errorResponse(400, "projectId is required")
      const kind = IMAGE_SLOTS.has(type) || MEDIA_SLOTS[type] !== undefined ? kindOfSlot(type) : undefined
      if (kind === undefined) return errorResponse(400, `Unknown upload slot "${type}"`)
      if (kind === "image" && id !== undefined) return errorResponse(400, `Image slot ${type} takes no id`)
      if (id !== undefined && id.length > 0 && !(MEDIA_SLOTS[type] ?? []).includes(id)) {
        return errorResponse(400, `Unknown ${type} slot id "${id}"`)
      }
      const contentType = sniff(asset.data) ?? normalizeContentType(asset.contentType)
      if (!ACCEPTED[kind].has(contentType)) {
        return errorResponse(400, `A ${asset.contentType} file cannot go to the ${kind} slot ${type} (it takes ${[...ACCEPTED[kind]].join(", ")})`)
      }
      const project = world.projects.get(projectId)
      if (project !== undefined && project.account !== account) return errorResponse(403, "The project belongs to another account")
      if (project !== undefined) return errorResponse(409, `Project ${projectId} was already submitted; bind before sending jobRequest`)
      const slot = id !== undefined && id.length > 0 ? id : type
      storeUpload(world, projectId, {
        slot,
        kind,
        contentType,
        bytes: asset.data,
        imageId: kind === "image" ? randomUUID().toUpperCase() : undefined,
        owner: account.username,
        at: Date.now()
      })
      asset.lastUsedAt = Date.now()
      return ok({ id: asset.id, projectId, type, ...(id !== undefined ? { slotId: id } : {}) })
    }))

/**
 * The `/v1/assets` routes and the `/_assets` PUT target.
 *
 * @internal
 */
export const assetRouter = (world: World, enabled: boolean) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v1/assets/capabilities",
      withLibrary(world, enabled, () => Effect.succeed(ok({ enabled: true } satisfies Protocol.SavedUploadCapabilities)))
    ),
    HttpRouter.get(
      "/v1/assets",
      withLibrary(world, enabled, (_account, library) =>
        Effect.succeed(ok(encodeLibrary({
          assets: [...library.values()].filter((a) => a.state === "ready").map(view),
          limits: LIMITS
        }))))
    ),
    HttpRouter.post("/v1/assets/prepare", prepare(world, enabled)),
    HttpRouter.post("/v1/assets/:assetId/finalize", finalize(world, enabled)),
    HttpRouter.post("/v1/assets/:assetId/bind", bind(world, enabled)),
    HttpRouter.del(
      "/v1/assets/:assetId",
      withLibrary(world, enabled, (_account, library) =>
        Effect.map(assetParam, (id) => (library.delete(id) ? ok({ id, deleted: true }) : errorResponse(404, "No such saved upload"))))
    ),
    HttpRouter.put("/_assets/:assetId", putAsset(world))
  )
