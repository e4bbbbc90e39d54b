/**
 * The HTTP side: the REST host (`/v1..v4/...`, enveloped), the socket host's `/api/...` paths (raw
 * bodies), signed media downloads (`/_media/...`) and the control RPC (`/_emulator/rpc`), as one
 * `@effect/platform` router. Errors always use the `{status:"error", message, errorCode}` envelope;
 * unknown paths are 404, never 401; injected REST faults are answered before routing.
 *
 * @internal
 */
import { Protocol, Wallet } from "@effect-sogni/core"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { RPC_PATH } from "../EmulatorControl.js"
import { accountOfSecret } from "./auth.js"
import {
  type CatalogModel,
  type CostInput,
  findModel,
  modelList,
  networkMultiplier,
  projectCost,
  sizePresets,
  statusByNetwork,
  tierRange,
  tiers,
  tokenMultiplier
} from "./catalog.js"
import { chatRunsRouter } from "./chatRuns.js"
import { hostedChatRouter } from "./hostedChat.js"
import { withAccount } from "./http/guard.js"
import { errorResponse, type Handler, notFound, ok, param, raw, schemaBody, urlOf } from "./http/response.js"
import { llmEstimate } from "./llm.js"
import {
  CONTENT_FORMAT,
  EXTENSION,
  EXTENSIONS_OF,
  latestPreviewStep,
  mediaBytes,
  mintMediaUrl,
  PREVIEW_MARK,
  previewBytes,
  previewSteps,
  verifyMediaUrl
} from "./media.js"
import { liveProjectsOf, rawProject, recoveredProject, statusSnapshot, unclaimedOf } from "./records.js"
import { type AccountState, balancesOf, formatAmount, isTerminal, type World } from "./state.js"
import { issueJwt, randomHex, verifyJwt } from "./tokens.js"
import { deviceIdRouter } from "./deviceId.js"
import { leaderboardRouter } from "./leaderboard.js"
import { signupRouter } from "./signup.js"
import { workflowsRouter } from "./workflows/router.js"
import {
  ACCEPTED,
  IMAGE_SLOTS,
  kindOfSlot,
  MEDIA_SLOTS,
  normalizeContentType,
  SIZE_CAPS,
  type SlotKind,
  slotKey,
  sniff,
  storeUpload
} from "./uploads.js"
import { assetRouter } from "./assets.js"
import { subscriptionsRouter } from "./subscriptions.js"
import { lorasRouter } from "./loras.js"
import { announcementsRouter } from "./announcements.js"
import { rewardsRouter } from "./rewards.js"
import { estimateExtras, inputFactor } from "./videoPricing.js"
import { accountChecksRouter } from "./accountChecks.js"


/** Runs `f` with the caller's account and the request URL, or answers 401. */
const authed = (
  world: World,
  f: (account: AccountState, url: URL) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpRouter.RouteContext>
): Handler => withAccount(world, (account, request) => f(account, urlOf(request)))

const withBody = <A, I>(
  schema: Schema.Schema<A, I>,
  f: (a: A) => Effect.Effect<HttpServerResponse.HttpServerResponse>
): Handler => Effect.matchEffect(schemaBody(schema), { onFailure: Effect.succeed, onSuccess: f })

// ---------------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------------

const BINARY_HEADERS = { "cache-control": "private, max-age=600" }

const downloadUrl = (world: World, kind: "image" | "media"): Handler =>
  authed(world, (account, url) =>
    Effect.sync(() => {
      const idName = kind === "image" ? "imageId" : "id"
      const projectId = (url.searchParams.get("jobId") ?? "").toUpperCase()
      const rawId = url.searchParams.get(idName) ?? ""
      const type = url.searchParams.get("type") ?? "complete"
      if (projectId.length === 0 || rawId.length === 0) return errorResponse(400, `jobId and ${idName} are required`)
      // An upload slot name as `type`: a URL for what was uploaded to that slot (rest.md §5.3).
      if (kindOfSlot(type) !== undefined) {
        const key = kind === "media" && kindOfSlot(rawId) !== undefined ? rawId : type
        const upload = world.uploads.get(projectId)?.get(key)
        if (upload === undefined || upload.owner !== account.username) return notFound(`Nothing was uploaded to ${key}`)
        return ok({ downloadUrl: mintUploadUrl(world, "GET", projectId, key, account.username, upload.imageId) })
      }
      if (type !== "complete" && type !== "preview") return errorResponse(400, `Unknown download type "${type}"`)
      const imgID = rawId.toUpperCase()
      const project = world.projects.get(projectId)
      const slot = world.images.get(imgID)
      if (project === undefined || project.account !== account || slot === undefined || slot.projectId !== projectId) {
        return notFound("No such result")
      }
      const job = project.jobs[slot.jobIndex]
      if (type === "preview") {
        // Previews exist for image jobs that asked for them, from the first preview step on (media.md §8.1).
        const step = job === undefined || job.imgID !== imgID || project.model.media !== "image"
          ? undefined
          : latestPreviewStep(previewSteps(project.stepCount, project.previewCount), job.performedSteps)
        if (step === undefined) return notFound("No preview of this job (none requested, or none rendered yet)")
        const requested = CONTENT_FORMAT[(url.searchParams.get("contentType") ?? "").toLowerCase()]
        const format = requested !== undefined && EXTENSIONS_OF.image.includes(requested) ? requested : "jpg"
        return ok({ downloadUrl: mintMediaUrl(world, projectId, `${imgID}${PREVIEW_MARK}${step}`, format, "preview") })
      }
      if (job === undefined || job.imgID !== imgID || job.status !== "jobCompleted") {
        return notFound("The result is not available")
      }
      const contentType = url.searchParams.get("contentType")
      let format = EXTENSION[project.outputFormat] ?? project.outputFormat
      if (contentType !== null && contentType.length > 0) {
        const requested = CONTENT_FORMAT[contentType.toLowerCase()]
        if (requested === undefined || !EXTENSIONS_OF[project.model.media].includes(requested)) {
          return errorResponse(400, `contentType ${contentType} is not available for a ${project.model.media} result`)
        }
        format = requested
      }
      return ok({ downloadUrl: mintMediaUrl(world, projectId, imgID, format, type) })
    }))

const media = (world: World): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = urlOf(request)
    const projectId = yield* param("projectId")
    const file = yield* param("file")
    const dot = file.lastIndexOf(".")
    const name = dot > 0 ? file.slice(0, dot) : file
    const extension = dot > 0 ? file.slice(dot + 1) : "png"
    const mark = name.lastIndexOf(PREVIEW_MARK)
    const imgID = mark > 0 ? name.slice(0, mark) : name
    const previewStep = mark > 0 ? Number(name.slice(mark + PREVIEW_MARK.length)) : undefined
    const verdict = verifyMediaUrl(world, url.pathname, Number(url.searchParams.get("exp")), url.searchParams.get("sig") ?? "")
    if (verdict === "invalid") return errorResponse(403, "Invalid signature")
    if (verdict === "expired") return errorResponse(403, "The URL has expired")
    const project = world.projects.get(projectId)
    const slot = world.images.get(imgID)
    const job = slot === undefined ? undefined : project?.jobs[slot.jobIndex]
    if (project === undefined || job === undefined || job.imgID !== imgID) return notFound("No such media")
    if (!EXTENSIONS_OF[project.model.media].includes(extension)) return notFound(`No .${extension} rendering of this result`)
    if (previewStep !== undefined && (project.model.media !== "image" || !Number.isInteger(previewStep))) {
      return notFound("No such preview")
    }
    const encoded = previewStep === undefined
      ? yield* mediaBytes(world, project, job, extension)
      : yield* previewBytes(world, project, job, previewStep, extension)
    return HttpServerResponse.uint8Array(encoded.bytes, {
      contentType: encoded.contentType,
      headers: { ...BINARY_HEADERS, "content-disposition": `inline; filename="${imgID}.${extension}"` }
    })
  })

// ---------------------------------------------------------------------------------------------
// Uploads (media.md §9, rest.md §5.2)
// ---------------------------------------------------------------------------------------------

/** Upload URLs live this long ("use immediately"). */
const UPLOAD_URL_TTL_MILLIS = 15 * 60_000

const uploadSignature = (
  world: World,
  method: "PUT" | "GET",
  path: string,
  owner: string,
  imageId: string,
  exp: number
) => world.signer.sign(`${method}|${path}|${owner}|${imageId}|${exp}`)

/** A signed URL to PUT (or GET back) one upload slot of a project. @internal */
export const mintUploadUrl = (
  world: World,
  method: "PUT" | "GET",
  projectId: string,
  slot: string,
  owner: string,
  imageId: string | undefined
): string => {
  const path = `/_uploads/${projectId}/${slot}`
  const exp = Date.now() + (method === "PUT" ? UPLOAD_URL_TTL_MILLIS : world.settings.mediaUrlTtlMillis)
  const query = new URLSearchParams({
    owner,
    ...(imageId !== undefined ? { imageId } : {}),
    exp: String(exp),
    sig: uploadSignature(world, method, path, owner, imageId ?? "", exp)
  })
  return `${world.baseUrl}${path}?${query.toString()}`
}

const checkDeclaredType = (contentType: string | null, kind: SlotKind): string | undefined => {
  if (contentType === null || contentType.length === 0) return undefined
  const normalized = normalizeContentType(contentType)
  return ACCEPTED[kind].has(normalized)
    ? undefined
    : `contentType ${contentType} cannot go to a ${kind} slot (accepted: ${[...ACCEPTED[kind]].join(", ")})`
}

const projectOwnedElsewhere = (world: World, account: AccountState, projectId: string) => {
  const project = world.projects.get(projectId)
  return project !== undefined && project.account !== account
}

const imageUploadUrl = (world: World): Handler =>
  authed(world, (account, url) =>
    Effect.sync(() => {
      const imageId = url.searchParams.get("imageId") ?? ""
      const projectId = (url.searchParams.get("jobId") ?? "").toUpperCase()
      const type = url.searchParams.get("type") ?? ""
      if (imageId.length === 0 || projectId.length === 0 || type.length === 0) {
        return errorResponse(400, "imageId, jobId and type are required")
      }
      if (!IMAGE_SLOTS.has(type)) {
        return errorResponse(
          400,
          `Unknown image upload slot "${type}" (use startingImage, cnImage, contextImage1..16, referenceImage, referenceImageEnd or referenceMask)`
        )
      }
      const typeProblem = checkDeclaredType(url.searchParams.get("contentType"), "image")
      if (typeProblem !== undefined) return errorResponse(400, typeProblem)
      if (projectOwnedElsewhere(world, account, projectId)) return errorResponse(403, "The project belongs to another account")
      return ok({ uploadUrl: mintUploadUrl(world, "PUT", projectId, type, account.username, imageId.toUpperCase()) })
    }))

const mediaUploadUrl = (world: World): Handler =>
  authed(world, (account, url) =>
    Effect.sync(() => {
      const projectId = (url.searchParams.get("jobId") ?? "").toUpperCase()
      const type = url.searchParams.get("type") ?? ""
      const id = url.searchParams.get("id") ?? undefined
      if (projectId.length === 0 || type.length === 0) return errorResponse(400, "jobId and type are required")
      const ids = MEDIA_SLOTS[type]
      if (ids === undefined) {
        return errorResponse(400, `Unknown media upload slot "${type}" (use referenceAudio or referenceVideo)`)
      }
      if (id !== undefined && id.length > 0 && !ids.includes(id)) {
        return errorResponse(400, `Unknown ${type} slot id "${id}" (use ${ids.join(", ")})`)
      }
      const kind = kindOfSlot(type)!
      const typeProblem = checkDeclaredType(url.searchParams.get("contentType"), kind)
      if (typeProblem !== undefined) return errorResponse(400, typeProblem)
      if (projectOwnedElsewhere(world, account, projectId)) return errorResponse(403, "The project belongs to another account")
      return ok({ uploadUrl: mintUploadUrl(world, "PUT", projectId, slotKey(type, id), account.username, undefined) })
    }))

/**
 * The outcome of checking an upload URL. Declared (not inferred): inferred object literals get a
 * `problem?: undefined` member added when `exactOptionalPropertyTypes` is off, which defeats the
 * `"problem" in` narrowing under a plain strict tsconfig.
 */
type UploadUrlCheck =
  | { readonly problem: HttpServerResponse.HttpServerResponse }
  | { readonly owner: string; readonly imageId: string | undefined }

/** Reads the signed parameters of an `/_uploads` URL; a response when they do not verify. */
const verifyUploadUrl = (world: World, method: "PUT" | "GET", url: URL): UploadUrlCheck => {
  const owner = url.searchParams.get("owner") ?? ""
  const imageId = url.searchParams.get("imageId") ?? ""
  const exp = Number(url.searchParams.get("exp"))
  const sig = url.searchParams.get("sig") ?? ""
  if (!Number.isFinite(exp) || !world.signer.verify(`${method}|${url.pathname}|${owner}|${imageId}|${exp}`, sig)) {
    return { problem: errorResponse(403, "Invalid signature") } as const
  }
  if (exp < Date.now()) return { problem: errorResponse(403, "The URL has expired") } as const
  return { owner, imageId: imageId.length > 0 ? imageId : undefined } as const
}

const putUpload = (world: World): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = urlOf(request)
    const projectId = yield* param("projectId")
    const slot = yield* param("slot")
    const verified = verifyUploadUrl(world, "PUT", url)
    if ("problem" in verified) return verified.problem
    const kind = kindOfSlot(slot)
    if (kind === undefined) return errorResponse(400, `Unknown upload slot "${slot}"`)
    const cap = SIZE_CAPS[kind]
    const declaredLength = Number(request.headers["content-length"] ?? "NaN")
    if (Number.isFinite(declaredLength) && declaredLength > cap) {
      return errorResponse(413, `A ${kind} upload is limited to ${cap} bytes (got ${declaredLength})`)
    }
    const body = yield* request.arrayBuffer.pipe(Effect.either)
    if (body._tag === "Left") return errorResponse(400, "Could not read the upload body")
    const bytes = new Uint8Array(body.right)
    if (bytes.length === 0) return errorResponse(400, "The upload is empty")
    if (bytes.length > cap) return errorResponse(413, `A ${kind} upload is limited to ${cap} bytes (got ${bytes.length})`)
    const sniffed = sniff(bytes)
    if (sniffed === undefined || !ACCEPTED[kind].has(sniffed)) {
      return errorResponse(
        415,
        `The bytes are ${sniffed ?? "not a recognised format"}; slot ${slot} takes ${[...ACCEPTED[kind]].join(", ")}`
      )
    }
    const declared = request.headers["content-type"]
    if (declared !== undefined && declared.length > 0) {
      const normalized = normalizeContentType(declared)
      if (normalized !== "application/octet-stream" && normalized !== sniffed) {
        return errorResponse(415, `Content-Type ${declared} does not match the bytes, which are ${sniffed}`)
      }
    }
    storeUpload(world, projectId, {
      slot,
      kind,
      contentType: sniffed,
      bytes,
      imageId: verified.imageId,
      owner: verified.owner,
      at: Date.now()
    })
    return HttpServerResponse.empty({ status: 200, headers: { etag: `"${world.signer.sign(`${projectId}|${slot}|${bytes.length}`).slice(0, 16)}"` } })
  })

const getUpload = (world: World): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const projectId = yield* param("projectId")
    const slot = yield* param("slot")
    const verified = verifyUploadUrl(world, "GET", urlOf(request))
    if ("problem" in verified) return verified.problem
    const upload = world.uploads.get(projectId)?.get(slot)
    if (upload === undefined || upload.owner !== verified.owner) return notFound("No such upload")
    return HttpServerResponse.uint8Array(upload.bytes, { contentType: upload.contentType, headers: BINARY_HEADERS })
  })

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

const issueTokens = (world: World, account: AccountState) => {
  const now = Math.floor(Date.now() / 1000)
  const common = { sub: account.username, addr: account.walletAddress, env: "emulator", iat: now }
  return {
    token: issueJwt(world.signer, {
      ...common,
      type: "access",
      exp: now + world.settings.accessTokenTtlSeconds,
      jti: randomHex(8)
    }),
    refreshToken: issueJwt(world.signer, {
      ...common,
      type: "refresh",
      exp: now + world.settings.refreshTokenTtlSeconds,
      jti: randomHex(8)
    })
  }
}

const NonceBody = Schema.Struct({ walletAddress: Schema.String })
const LoginBody = Schema.Struct({
  walletAddress: Schema.String,
  signature: Schema.String,
  appSource: Schema.optional(Schema.String),
  rememberMe: Schema.optional(Schema.Boolean)
})
const RefreshBody = Schema.Struct({ refreshToken: Schema.String })

const nonce = (world: World): Handler =>
  withBody(NonceBody, ({ walletAddress }) =>
    Effect.sync(() => {
      const value = randomHex(16)
      world.nonces.set(walletAddress.toLowerCase(), value)
      return ok({ nonce: value })
    }))

const login = (world: World): Handler =>
  withBody(LoginBody, ({ signature, walletAddress }) =>
    Effect.sync(() => {
      const key = walletAddress.toLowerCase()
      const account = world.accountsByWallet.get(key)
      const issued = world.nonces.get(key)
      if (account === undefined) return errorResponse(401, "Unknown wallet address", { errorCode: 4021 })
      if (issued === undefined) return errorResponse(400, "Request a nonce first", { errorCode: 4001 })
      const valid = Wallet.verifyAuthentication(signature, walletAddress, issued, false) ||
        Wallet.verifyAuthentication(signature, walletAddress, issued, true)
      if (!valid) return errorResponse(401, "Invalid signature", { errorCode: 4021 })
      world.nonces.delete(key)
      return ok({ ...issueTokens(world, account), username: account.username })
    }))

const refresh = (world: World): Handler =>
  withBody(RefreshBody, ({ refreshToken }) =>
    Effect.sync(() => {
      const claims = verifyJwt(world.signer, refreshToken, Date.now())
      const account = claims === undefined ? undefined : world.accountsByUsername.get(claims.sub)
      if (claims === undefined || claims.type !== "refresh" || world.revokedTokens.has(claims.jti) || !account) {
        return errorResponse(401, "Invalid or expired refresh token", { errorCode: 4021 })
      }
      world.revokedTokens.add(claims.jti)
      return ok(issueTokens(world, account))
    }))

const logout = (world: World): Handler =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.sync(() => {
      const authorization = request.headers["authorization"]?.replace(/^Bearer\s+/i, "")
      if (authorization !== undefined) {
        const claims = verifyJwt(world.signer, authorization, Date.now())
        if (claims !== undefined) world.revokedTokens.add(claims.jti)
        else if (accountOfSecret(world, authorization) === undefined) {
          return errorResponse(401, "Not logged in", { errorCode: 4021 })
        }
      }
      return ok({})
    }))

const me = (world: World): Handler =>
  authed(world, (account) =>
    Effect.succeed(ok({
      currentEmail: account.email,
      discord2FA: false,
      discordLinked: false,
      discordServerMember: false,
      discordUsername: null,
      emailVerified: true,
      requestedUpdatedEmail: null,
      username: account.username,
      walletAddress: account.walletAddress
    })))

// ---------------------------------------------------------------------------------------------
// Projects
// ---------------------------------------------------------------------------------------------

const projectRecord = (world: World, live: boolean): Handler =>
  authed(world, (account) =>
    Effect.map(param("projectId"), (rawId) => {
      const project = world.projects.get(decodeURIComponent(rawId).toUpperCase())
      if (project === undefined || project.account !== account) return notFound("Project not found")
      if (live) return ok({ project: statusSnapshot(world, project) })
      if (!isTerminal(project.status)) return notFound("Project not found")
      return ok({ project: rawProject(world, project) })
    }))

const accountProjects = (world: World, account: AccountState, appId: string | null) => {
  const appIds = appId !== null ? [appId] : [...world.projectsByApp.keys()]
  const out = []
  for (const id of appIds) {
    for (const p of liveProjectsOf(world, id)) if (p.account === account) out.push(p)
  }
  return out
}

const sync = (world: World): Handler =>
  authed(world, (account, url) =>
    Effect.sync(() => {
      const appId = url.searchParams.get("appId")
      const unclaimed = appId === null ? [] : unclaimedOf(world, appId, false).filter((p) => p.account === account)
      return raw({
        activeProjects: accountProjects(world, account, appId).map(recoveredProject),
        unclaimedCompletedProjects: unclaimed.map(recoveredProject),
        serverTime: Date.now()
      })
    }))

const active = (world: World): Handler =>
  authed(world, (account) =>
    Effect.sync(() =>
      raw({
        projects: accountProjects(world, account, null).map((p) => ({
          id: p.id,
          status: p.status,
          appId: p.appId,
          model: { id: p.model.id, name: p.model.name },
          createTime: p.createTime
        }))
      })
    ))

// ---------------------------------------------------------------------------------------------
// Catalog and estimates (socket host, raw bodies)
// ---------------------------------------------------------------------------------------------

const isNetwork = (s: string): s is Protocol.Network => s === "fast" || s === "relaxed"

const isTokenType = (s: string): s is "spark" | "sogni" => s === "spark" || s === "sogni"

/** A §12.2 estimate body whose project quote is exactly what admission reserves for the same request. */
const estimateBody = (
  model: CatalogModel,
  options: {
    readonly tokenType: "spark" | "sogni"
    readonly network: Protocol.Network
    readonly count: number
    readonly cost: Omit<CostInput, "count">
    readonly meta: Record<string, unknown>
    /** Input-dependent factor on one output's price (videoPricing.ts). */
    readonly factor?: number
  }
) => {
  const { count, network, tokenType } = options
  const perMedia = Math.round(projectCost(model, { ...options.cost, count: 1 }, network) * (options.factor ?? 1) * 10_000) / 10_000
  const total = Math.round(perMedia * count * 10_000) / 10_000
  const quote = (spark: number) => {
    const sogni = spark * tokenMultiplier("sogni")
    return {
      costInRenderSec: formatAmount(spark * 8),
      costInUSD: formatAmount(spark * 0.01),
      costInToken: formatAmount(tokenType === "sogni" ? sogni : spark),
      costInSpark: formatAmount(spark),
      costInSogni: formatAmount(sogni)
    }
  }
  const benchmarkSec = Number((tiers()[model.tier]?.["benchmark"] as { sec?: number } | undefined)?.sec ?? 1)
  const renderSeconds = Math.round(benchmarkSec * (perMedia / (model.sparkPerMedia * networkMultiplier(network))) * 10) / 10
  return {
    request: { model: model.id, name: model.name, ...options.meta, time: new Date().toISOString() },
    rate: {
      costPerBaseHQRenderInUSD: "0.0036",
      tokenMarkePriceUSD: "0.01",
      costPerRenderSecUSD: "0.0012",
      costPerRenderSecToken: "0.12",
      network,
      networkCostMultiplier: String(networkMultiplier(network))
    },
    quote: {
      model: { weight: "1", secPerStep: "0.25", secPerPreview: "0.1", secForCN: "0" },
      job: quote(perMedia),
      project: quote(total)
    },
    benchmark: {
      estimatedRenderTimeSec: renderSeconds,
      medianRenderTimeSec: renderSeconds,
      sampleCount: 120,
      confidence: 0.9,
      estimatedWaitTimeSec: 1,
      estimatedTotalTimeSec: Math.round((renderSeconds + 1) * 10) / 10
    }
  }
}

/** A path segment as a number; `undefined` for absent, empty, `undefined`/`null` or non-numeric text. */
const segment = (value: string | undefined): number | undefined => {
  if (value === undefined || value === "" || value === "undefined" || value === "null" || value === "_") return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

const estimateModel = (
  p: Readonly<Record<string, string | undefined>>,
  key: string,
  media: CatalogModel["media"]
) => {
  let id = p[key] ?? ""
  try {
    id = decodeURIComponent(id)
  } catch {
    return errorResponse(400, `Malformed model id ${id}`)
  }
  const model = findModel(id)
  if (model === undefined) return errorResponse(404, `Unknown model ${p[key]}`)
  if (model.media !== media) return errorResponse(400, `${model.id} is a ${model.media} model, not ${media}`)
  const tokenType = p["tokenType"] ?? "spark"
  if (!isTokenType(tokenType)) return errorResponse(400, `tokenType must be spark or sogni (got ${tokenType})`)
  return { model, tokenType }
}

const networkOf = (raw: string | null | undefined): Protocol.Network | undefined =>
  raw === null || raw === undefined || raw === "" ? "fast" : isNetwork(raw) ? raw : undefined

const imageEstimate: Handler = Effect.map(HttpRouter.params, (p) => {
  const found = estimateModel(p, "model", "image")
  if (!("model" in found)) return found
  const { model, tokenType } = found
  const network = networkOf(p["network"])
  if (network === undefined) return errorResponse(400, `Unknown network ${p["network"]}`)
  const count = segment(p["imageCount"])
  const steps = segment(p["stepCount"])
  if (count === undefined || !Number.isInteger(count) || count < 1 || steps === undefined || steps < 0) {
    return errorResponse(400, "imageCount must be a positive integer and stepCount a non-negative number")
  }
  let width = segment(p["width"]) ?? 0
  let height = segment(p["height"]) ?? 0
  if (!(width > 0 && height > 0)) width = height = model.defaultSize || 1024
  return raw(estimateBody(model, {
    tokenType,
    network,
    count,
    cost: { steps: steps || model.defaultSteps, width, height },
    meta: {
      imageCount: count,
      stepCount: steps,
      previewCount: segment(p["previewCount"]) ?? 0,
      cnEnabled: p["cn"] === "1",
      denoiseStrength: p["denoise"] ?? "0"
    }
  }))
})

/**
 * An estimate of a fast-network-only medium: the model, token type and network checks, then `f` (the
 * medium's own sizes, or a refusal), then `numberOfMedia`.
 */
const fastOnlyEstimate = (
  media: "video" | "audio",
  f: (
    model: CatalogModel,
    p: Readonly<Record<string, string | undefined>>,
    url: URL
  ) => HttpServerResponse.HttpServerResponse | {
    readonly cost: Omit<CostInput, "steps" | "count">
    readonly meta: Record<string, unknown>
    /** Input-dependent factor on one output's price (videoPricing.ts). */
    readonly factor?: number
  }
): Handler =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.map(HttpRouter.params, (p) => {
      const found = estimateModel(p, "model", media)
      if (!("model" in found)) return found
      const { model, tokenType } = found
      const network = networkOf(urlOf(request).searchParams.get("network"))
      if (network === undefined) return errorResponse(400, "Unknown network")
      if (network === "relaxed") {
        return errorResponse(400, `${media === "video" ? "Video" : "Audio"} model ${model.id} runs on the fast network only`)
      }
      const sized = f(model, p, urlOf(request))
      if (HttpServerResponse.isServerResponse(sized)) return sized
      const steps = segment(p["steps"]) || model.defaultSteps
      const count = segment(p["numberOfMedia"]) ?? 1
      if (!Number.isInteger(count) || count < 1) return errorResponse(400, "numberOfMedia must be a positive integer")
      return raw(estimateBody(model, {
        tokenType,
        network,
        count,
        cost: { steps, ...sized.cost },
        meta: { ...sized.meta, stepCount: steps, numberOfMedia: count },
        ...(sized.factor !== undefined ? { factor: sized.factor } : {})
      }))
    }))

const videoEstimate: Handler = fastOnlyEstimate("video", (model, p, url) => {
  const width = segment(p["width"]) || tierRange(model, "width")?.default || 1280
  const height = segment(p["height"]) || tierRange(model, "height")?.default || 720
  // A frame count the client could not compute (e.g. `NaN` from a missing fps) is refused, not defaulted.
  if (p["frames"] !== undefined && segment(p["frames"]) === undefined && /^nan$/i.test(p["frames"])) {
    return errorResponse(400, `frames must be a positive integer (got ${p["frames"]}); pass fps or frames`)
  }
  const frames = segment(p["frames"]) || tierRange(model, "frames")?.default || 81
  const fps = segment(p["fps"])
  // Video inputs (Seedance video input, reference counts and seconds, FlashVSR source size) price the job.
  const extras = estimateExtras(model, url.searchParams, { width, height })
  if (typeof extras === "string") return errorResponse(400, extras)
  const billed = extras.canvas ?? { width, height }
  return {
    cost: { width: billed.width, height: billed.height, frames },
    meta: { width, height, frames, fps: fps ?? null, ...extras.meta },
    factor: inputFactor(model, extras.inputs, frames)
  }
})

const audioEstimate: Handler = fastOnlyEstimate("audio", (model, p) => {
  const duration = segment(p["duration"]) || tierRange(model, "duration")?.default || 30
  return { cost: { width: 0, height: 0, duration }, meta: { duration } }
})

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

/**
 * The router of every HTTP path. `rpc` is the control group's HTTP app.
 *
 * @internal
 */
export const makeRouter = <E, R>(world: World, rpc: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  HttpRouter.empty.pipe(
    // REST host: accounts
    HttpRouter.post("/v1/account/nonce", nonce(world)),
    HttpRouter.post("/v1/account/login", login(world)),
    HttpRouter.post("/v1/account/refresh-token", refresh(world)),
    HttpRouter.post("/v1/account/logout", logout(world)),
    HttpRouter.get("/v1/account/me", me(world)),
    HttpRouter.get(
      "/v4/account/balance",
      authed(world, (account) => Effect.succeed(ok(balancesOf(account, true))))
    )
  ).pipe(
    // REST host: media and projects
    HttpRouter.get("/v1/image/downloadUrl", downloadUrl(world, "image")),
    HttpRouter.get("/v1/media/downloadUrl", downloadUrl(world, "media")),
    HttpRouter.get("/v1/image/uploadUrl", imageUploadUrl(world)),
    HttpRouter.get("/v1/media/uploadUrl", mediaUploadUrl(world)),
    HttpRouter.get("/v1/projects/:projectId", projectRecord(world, false)),
    HttpRouter.get("/v2/projects/:projectId", projectRecord(world, true)),
    // Socket host (raw bodies)
    HttpRouter.get("/api/v1/models/list", Effect.sync(() => raw(modelList())))
  ).pipe(
    HttpRouter.get("/api/v2/models/tiers", Effect.sync(() => raw(world.catalog.tiers))),
    HttpRouter.get(
      "/api/v1/size-presets/network/:network/model/:modelId",
      Effect.map(HttpRouter.params, (p) => {
        const model = world.catalog.findModel(p["modelId"] ?? "")
        if (model === undefined || !isNetwork(p["network"] ?? "")) return notFound("Unknown network or model")
        return raw(model.media === "image" ? sizePresets : [])
      })
    ),
    HttpRouter.get(
      "/api/v1/status/network/:network/models",
      Effect.map(param("network"), (network) => isNetwork(network) ? raw(statusByNetwork(network)) : notFound())
    ),
    HttpRouter.get(
      "/api/v2/job/estimate/:tokenType/:network/:model/:imageCount/:stepCount/:previewCount/:cn/:denoise/:width/:height",
      imageEstimate
    ),
    HttpRouter.get(
      "/api/v3/job/estimate/:tokenType/:network/:model/:imageCount/:stepCount/:previewCount/:cn/:denoise/:width/:height/:guidance/:sampler/:contextImages",
      imageEstimate
    ),
    HttpRouter.get("/api/v1/job-video/estimate/:tokenType/:model/:width/:height/:frames/:fps", videoEstimate),
    HttpRouter.get(
      "/api/v1/job-video/estimate/:tokenType/:model/:width/:height/:frames/:fps/:steps/:numberOfMedia",
      videoEstimate
    ),
    HttpRouter.get("/api/v1/job-audio/estimate/:tokenType/:model/:duration/:steps/:numberOfMedia", audioEstimate),
    HttpRouter.get(
      "/api/v1/job-llm/estimate/:tokenType/:model/:inputTokens/:maxOutputTokens",
      authed(world, () =>
        Effect.map(HttpRouter.params, (p) => {
          const decoded = (key: string) => {
            try {
              return decodeURIComponent(p[key] ?? "")
            } catch {
              return p[key]
            }
          }
          const estimate = llmEstimate(world.catalog.llmModels, {
            tokenType: decoded("tokenType"),
            model: decoded("model"),
            inputTokens: decoded("inputTokens"),
            maxOutputTokens: decoded("maxOutputTokens")
          })
          return estimate._tag === "Quote" ? raw(estimate.body) : errorResponse(estimate.status, estimate.message)
        }))
    ),
    HttpRouter.get("/api/v1/artist/projects/sync", sync(world)),
    HttpRouter.get("/api/v1/artist/projects/active", active(world)),
    // Emulator-only
    HttpRouter.get("/_media/:projectId/:file", media(world)),
    HttpRouter.put("/_uploads/:projectId/:slot", putUpload(world)),
    HttpRouter.get("/_uploads/:projectId/:slot", getUpload(world)),
    HttpRouter.post(RPC_PATH, guardRpc(world, rpc))
  ).pipe(
    // Hosted chat and durable chat runs (chat.md §13, §15)
    HttpRouter.concat(hostedChatRouter(world)),
    HttpRouter.concat(chatRunsRouter(world)),
    // Durable creative workflows, templates and replay records (workflows.md)
    HttpRouter.concat(workflowsRouter(world)),
    // Saved uploads (/v1/assets)
    HttpRouter.concat(assetRouter(world, world.settings.savedUploads)),
    // Subscriptions (/v1/subscriptions, Stripe links)
    HttpRouter.concat(subscriptionsRouter(world)),
    // LoRA catalog and personal LoRAs (/v1/loras)
    HttpRouter.concat(lorasRouter(world)),
    // Announcements (/v1/announcements)
    HttpRouter.concat(announcementsRouter(world)),
    // Rewards and transaction history
    HttpRouter.concat(rewardsRouter(world)),
    // Username checks and on-chain wallet balances
    HttpRouter.concat(accountChecksRouter(world)),
    // Signup (/v1/account/create)
    HttpRouter.concat(signupRouter(world, issueTokens)),
    // Host-application device id (/v1/account/device-id)
    HttpRouter.concat(deviceIdRouter(world)),
    // Leaderboards (/v1/leaderboard/)
    HttpRouter.concat(leaderboardRouter(world))
  )

const RPC_MESSAGE_TAGS: ReadonlySet<string> = new Set(["Request", "Ack", "Interrupt", "Ping", "Eof"])

/** The first problem of an ndjson RPC body, or `undefined` when every line is an RPC message. */
const rpcBodyProblem = (text: string): string | undefined => {
  const lines = text.split("\n").filter((l) => l.trim().length > 0)
  if (lines.length === 0) return "the body holds no RPC message (ndjson, one message per line)"
  for (const [i, line] of lines.entries()) {
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      return `line ${i + 1} is not JSON`
    }
    const tag = typeof message === "object" && message !== null ? (message as { readonly _tag?: unknown })._tag : undefined
    if (typeof tag !== "string" || !RPC_MESSAGE_TAGS.has(tag)) return `line ${i + 1} is not an RPC message (no known _tag)`
  }
  return undefined
}

/**
 * The control RPC behind the emulator's API key (`api-key` or `Authorization: Bearer`; access tokens of
 * username sessions do not count) and a well-formed ndjson body: 401 and 400 envelopes otherwise.
 */
const guardRpc = <E, R>(world: World, rpc: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const key = request.headers["api-key"] ?? request.headers["authorization"]?.replace(/^Bearer\s+/i, "")
    if (key === undefined || key.trim().length === 0) {
      return errorResponse(401, "The control RPC needs the emulator's API key (api-key header)", { errorCode: 4021 })
    }
    if (!world.accountsByApiKey.has(key.trim())) return errorResponse(401, "Invalid API key", { errorCode: 4021 })
    // read once here; the RPC server reads the same cached text
    const text = yield* Effect.either(request.text)
    if (text._tag === "Left") return errorResponse(400, "Could not read the RPC body")
    const problem = rpcBodyProblem(text.right)
    if (problem !== undefined) return errorResponse(400, `Malformed RPC body: ${problem}`)
    return yield* rpc
  })

/** Takes the next matching injected REST fault, if any. @internal */
export const takeRestFault = (world: World, path: string) => {
  if (path.startsWith("/_emulator/")) return undefined
  const faults = world.faults.rest
  for (let i = 0; i < faults.length; i++) {
    const fault = faults[i]!
    if (fault.pathPrefix === undefined || path.startsWith(fault.pathPrefix)) {
      fault.remaining -= 1
      if (fault.remaining <= 0) faults.splice(i, 1)
      return fault
    }
  }
  return undefined
}

/**
 * The whole HTTP app: injected faults first, then the router; unknown routes → 404 envelope and
 * unexpected defects → 500 envelope.
 *
 * @internal
 */
export const makeHttpApp = <E, R>(world: World, rpc: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.map(HttpRouter.toHttpApp(makeRouter(world, rpc)), (routerApp) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const fault = takeRestFault(world, urlOf(request).pathname)
      if (fault !== undefined) {
        return errorResponse(fault.status, fault.message ?? `Injected failure (${fault.status})`, {
          errorCode: fault.errorCode,
          retryAfterSeconds: fault.retryAfterSeconds
        })
      }
      return yield* routerApp
    }).pipe(
      Effect.catchTag("RouteNotFound", () => Effect.succeed(notFound())),
      Effect.catchAllCause((cause) =>
        Effect.as(Effect.logError("emulator HTTP handler failed", cause), errorResponse(500, "Internal emulator error"))
      )
    ))
