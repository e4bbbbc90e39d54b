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
import { accountOfSecret, readCredential } from "./auth.js"
import {
  findModel,
  modelList,
  projectCost,
  sizePresets,
  statusByNetwork,
  tiers,
  tokenMultiplier
} from "./catalog.js"
import { encodeScene, type EncodedImage } from "./landscape.js"
import { liveProjectsOf, rawProject, recoveredProject, statusSnapshot, unclaimedOf } from "./records.js"
import { type AccountState, balancesOf, formatAmount, isTerminal, type World } from "./state.js"
import { issueJwt, randomHex, verifyJwt } from "./tokens.js"

type Handler = Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext
>

/** The error envelope (rest.md §2.3). @internal */
export const errorResponse = (
  status: number,
  message: string,
  options?: { readonly errorCode?: number | undefined; readonly retryAfterSeconds?: number | undefined }
): HttpServerResponse.HttpServerResponse => {
  const retryAfter = options?.retryAfterSeconds
  return HttpServerResponse.unsafeJson(
    {
      status: "error",
      message,
      errorCode: options?.errorCode ?? status,
      ...(retryAfter !== undefined ? { retryAfter } : {})
    },
    { status, ...(retryAfter !== undefined ? { headers: { "retry-after": String(retryAfter) } } : {}) }
  )
}

const ok = (data: unknown) => HttpServerResponse.unsafeJson({ status: "success", data })
const raw = (body: unknown) => HttpServerResponse.unsafeJson(body)
const notFound = (what = "Not found") => errorResponse(404, what)

const urlOf = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, "http://emulator.invalid")

/** Runs `f` with the caller's account, or answers 401 for missing/invalid credentials. */
const authed = (
  world: World,
  f: (account: AccountState, url: URL) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpRouter.RouteContext>
): Handler =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const credential = readCredential(world, request.headers)
    switch (credential._tag) {
      case "None":
        return Effect.succeed(errorResponse(401, "Authentication required", { errorCode: 4021 }))
      case "Invalid":
        return Effect.succeed(errorResponse(401, "Invalid API key or token", { errorCode: 4021 }))
      case "Valid":
        return f(credential.account, urlOf(request))
    }
  })

const param = (name: string) => Effect.map(HttpRouter.params, (p) => p[name] ?? "")

/** A JSON body decoded with a schema, or a 400 envelope. */
const body = <A, I>(schema: Schema.Schema<A, I>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(schema)),
      Effect.mapError((e) => errorResponse(400, `Invalid request body: ${e.message.split("\n")[0]}`))
    ))

const withBody = <A, I>(
  schema: Schema.Schema<A, I>,
  f: (a: A) => Effect.Effect<HttpServerResponse.HttpServerResponse>
): Handler => Effect.matchEffect(body(schema), { onFailure: Effect.succeed, onSuccess: f })

// ---------------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------------

const EXTENSION: Record<string, string> = { png: "png", jpg: "jpg", jpeg: "jpg", webp: "webp" }
const CONTENT_FORMAT: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" }

const RENDER_CACHE_LIMIT = 48

const signedPath = (world: World, path: string, exp: number) => world.signer.sign(`${path}|${exp}`)

/** Mints a signed URL for a job's result on this emulator. @internal */
export const mintMediaUrl = (
  world: World,
  baseUrl: string,
  projectId: string,
  imgID: string,
  format: string,
  type: string
): string => {
  const path = `/_media/${projectId}/${imgID}.${EXTENSION[format] ?? "png"}`
  const exp = Date.now() + world.settings.mediaUrlTtlMillis
  const query = new URLSearchParams({ type, exp: String(exp), sig: signedPath(world, path, exp) })
  return `${baseUrl}${path}?${query.toString()}`
}

const downloadUrl = (world: World, kind: "image" | "media"): Handler =>
  authed(world, (account, url) =>
    Effect.sync(() => {
      const projectId = (url.searchParams.get("jobId") ?? "").toUpperCase()
      const imgID = (url.searchParams.get(kind === "image" ? "imageId" : "id") ?? "").toUpperCase()
      const type = url.searchParams.get("type") ?? "complete"
      if (projectId.length === 0 || imgID.length === 0) {
        return errorResponse(400, `jobId and ${kind === "image" ? "imageId" : "id"} are required`)
      }
      const project = world.projects.get(projectId)
      const slot = world.images.get(imgID)
      if (project === undefined || project.account !== account || slot === undefined || slot.projectId !== projectId) {
        return notFound("No such result")
      }
      const job = project.jobs[slot.jobIndex]
      if (job === undefined || job.imgID !== imgID || (type === "complete" && job.status !== "jobCompleted")) {
        return notFound("The result is not available")
      }
      const contentType = url.searchParams.get("contentType")
      const format = (contentType !== null ? CONTENT_FORMAT[contentType] : undefined) ?? project.outputFormat
      return ok({ downloadUrl: mintMediaUrl(world, world.baseUrl, projectId, imgID, format, type) })
    }))

const media = (world: World): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = urlOf(request)
    const projectId = yield* param("projectId")
    const file = yield* param("file")
    const dot = file.lastIndexOf(".")
    const imgID = dot > 0 ? file.slice(0, dot) : file
    const extension = dot > 0 ? file.slice(dot + 1) : "png"
    const exp = Number(url.searchParams.get("exp"))
    const sig = url.searchParams.get("sig") ?? ""
    if (!Number.isFinite(exp) || !world.signer.verify(`${url.pathname}|${exp}`, sig)) {
      return errorResponse(403, "Invalid signature")
    }
    if (exp < Date.now()) return errorResponse(403, "The URL has expired")
    const project = world.projects.get(projectId)
    const slot = world.images.get(imgID)
    const job = slot === undefined ? undefined : project?.jobs[slot.jobIndex]
    if (project === undefined || job === undefined || job.imgID !== imgID) return notFound("No such media")
    const key = `${imgID}.${extension}`
    let image: EncodedImage | undefined = world.renderCache.get(key)
    if (image === undefined) {
      image = yield* Effect.sync(() =>
        encodeScene({
          prompt: project.prompt,
          seed: job.status === "jobCompleted" ? job.seedUsed : project.seed + job.jobIndex,
          width: project.width,
          height: project.height
        }, extension)
      )
      world.renderCache.set(key, image)
      if (world.renderCache.size > RENDER_CACHE_LIMIT) {
        const oldest = world.renderCache.keys().next()
        if (oldest.done !== true) world.renderCache.delete(oldest.value)
      }
    }
    return HttpServerResponse.uint8Array(image.bytes, {
      contentType: image.contentType,
      headers: { "cache-control": "private, max-age=600", "content-disposition": `inline; filename="${key}"` }
    })
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

const estimateBody = (
  model: { readonly id: string; readonly name: string },
  spark: number,
  meta: Record<string, unknown>,
  network: string
) => ({
  request: { model: model.id, name: model.name, ...meta, time: new Date().toISOString() },
  rate: {
    costPerBaseHQRenderInUSD: "0.0036",
    tokenMarkePriceUSD: "0.01",
    costPerRenderSecUSD: "0.0012",
    costPerRenderSecToken: "0.12",
    network,
    networkCostMultiplier: network === "relaxed" ? "0.5" : "1"
  },
  quote: {
    model: { weight: "1", secPerStep: "0.25", secPerPreview: "0.1", secForCN: "0" },
    job: {},
    project: {
      costInRenderSec: formatAmount(spark * 8),
      costInUSD: formatAmount(spark * 0.01),
      costInToken: formatAmount(spark),
      costInSpark: formatAmount(spark),
      costInSogni: formatAmount(spark * tokenMultiplier("sogni"))
    }
  }
})

const imageEstimate: Handler = Effect.map(HttpRouter.params, (p) => {
  const model = findModel(p["model"] ?? "")
  if (model === undefined) return notFound(`Unknown model ${p["model"]}`)
  const count = Number(p["imageCount"])
  const steps = Number(p["stepCount"])
  let width = Number(p["width"])
  let height = Number(p["height"])
  if (!Number.isFinite(count) || !Number.isFinite(steps) || count < 1 || steps < 0) {
    return errorResponse(400, "imageCount and stepCount must be numbers")
  }
  if (!(width > 0 && height > 0)) width = height = model.defaultSize || 1024
  const spark = projectCost(model, { count, steps: steps || model.defaultSteps, width, height })
  return raw(estimateBody(model, spark, { imageCount: count, stepCount: steps }, p["network"] ?? "fast"))
})

const mediaEstimate = (kind: "video" | "audio"): Handler =>
  Effect.map(HttpRouter.params, (p) => {
    const model = findModel(p["model"] ?? "")
    if (model === undefined || model.media !== kind) return notFound(`Unknown ${kind} model ${p["model"]}`)
    const count = Number(p["numberOfMedia"] ?? "1") || 1
    const spark = projectCost(model, { count, steps: model.defaultSteps, width: 1, height: 1 })
    return raw(estimateBody(model, spark, { numberOfMedia: count }, "fast"))
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
    ),
    HttpRouter.get(
      "/v1/subscriptions/status",
      authed(world, () => Effect.succeed(ok({ subscription: { active: false, status: "none" } })))
    )
  ).pipe(
    // REST host: media and projects
    HttpRouter.get("/v1/image/downloadUrl", downloadUrl(world, "image")),
    HttpRouter.get("/v1/media/downloadUrl", downloadUrl(world, "media")),
    HttpRouter.get("/v1/projects/:projectId", projectRecord(world, false)),
    HttpRouter.get("/v2/projects/:projectId", projectRecord(world, true)),
    HttpRouter.get("/v1/assets/capabilities", Effect.succeed(notFound("Saved uploads are not available"))),
    // Socket host (raw bodies)
    HttpRouter.get("/api/v1/models/list", Effect.sync(() => raw(modelList())))
  ).pipe(
    HttpRouter.get("/api/v2/models/tiers", Effect.sync(() => raw(tiers()))),
    HttpRouter.get(
      "/api/v1/size-presets/network/:network/model/:modelId",
      Effect.map(HttpRouter.params, (p) => {
        const model = findModel(p["modelId"] ?? "")
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
    HttpRouter.get("/api/v1/job-video/estimate/:tokenType/:model/:width/:height/:frames/:fps", mediaEstimate("video")),
    HttpRouter.get(
      "/api/v1/job-video/estimate/:tokenType/:model/:width/:height/:frames/:fps/:steps/:numberOfMedia",
      mediaEstimate("video")
    ),
    HttpRouter.get("/api/v1/job-audio/estimate/:tokenType/:model/:duration/:steps/:numberOfMedia", mediaEstimate("audio")),
    HttpRouter.get("/api/v1/artist/projects/sync", sync(world)),
    HttpRouter.get("/api/v1/artist/projects/active", active(world)),
    // Emulator-only
    HttpRouter.get("/_media/:projectId/:file", media(world)),
    HttpRouter.post(RPC_PATH, rpc)
  )

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
