/**
 * REST host and socket-host HTTP tests: credentials and error envelopes, catalog endpoints, project
 * records, signed media downloads (real PNGs, expiry and forgery), username/password login with an
 * EIP-712 signature, and REST fault injection through the RPC control client.
 */
import { Protocol, Wallet } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Emulator from "../src/Emulator.js"
import * as EmulatorControl from "../src/EmulatorControl.js"
import { bytes, connect, emulatorTest, http, imageRequest, json, pngInfo, sleep } from "./helpers.js"

const get = (emulator: Emulator.Service, path: string, headers: Record<string, string> = { "api-key": emulator.apiKey }) =>
  http(`${emulator.url}${path}`, { headers })

const post = (emulator: Emulator.Service, path: string, body: unknown, headers: Record<string, string> = {}) =>
  http(`${emulator.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })

/** Runs one image project to completion on a raw socket and returns its id and imgIDs. */
const completeProject = (
  emulator: Emulator.Service,
  appId: string,
  options: Partial<Parameters<typeof imageRequest>[0]> = {}
) =>
  Effect.gen(function*() {
    const client = yield* connect(emulator, { appId })
    const request = imageRequest({ prompt: "a quiet forest lake", count: 2, ...options })
    client.send("jobRequest", request)
    yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID)
    const imgIDs = client.events().filter((e) => e.type === "jobResult").map((e) => (e.payload as Protocol.JobResult).imgID)
    return { jobID: request.jobID, imgIDs }
  })

describe("REST host", () => {
  emulatorTest("answers account calls for valid credentials and 401 envelopes for invalid ones", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const me = yield* json(yield* get(emulator, "/v1/account/me"))
      assert.strictEqual(me.status, "success")
      assert.strictEqual(me.data.username, "pixelfox")
      assert.strictEqual(me.data.walletAddress, emulator.accounts[0]!.walletAddress)
      const bearer = yield* get(emulator, "/v1/subscriptions/status", { authorization: `Bearer ${emulator.apiKey}` })
      assert.deepStrictEqual((yield* json(bearer)).data, { subscription: { active: false, status: "none" } })
      const balance = yield* json(yield* get(emulator, "/v4/account/balance"))
      assert.strictEqual(balance.data.spark.net, "1000")
      assert.strictEqual(balance.data.spark.fastUnclaimed, "0")
      const wrong = yield* get(emulator, "/v1/account/me", { "api-key": "nope" })
      assert.strictEqual(wrong.status, 401)
      const body = yield* json(wrong)
      assert.strictEqual(body.status, "error")
      assert.isString(body.message)
      assert.isNumber(body.errorCode)
      const unknown = yield* get(emulator, "/v9/whatever", { "api-key": "nope" })
      assert.strictEqual(unknown.status, 404)
      assert.strictEqual((yield* json(unknown)).status, "error")
      assert.strictEqual((yield* get(emulator, "/v1/assets/capabilities")).status, 404)
    }))

  emulatorTest("serves the catalog, tiers, presets, network status and estimates raw", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const list = yield* json(yield* get(emulator, "/api/v1/models/list"))
      const ids = list.map((m: Protocol.ModelListEntry) => m.id)
      for (
        const id of [
          "flux1-schnell-fp8",
          "z_image_turbo_bf16",
          "wan_v2.2-14b-fp8_t2v_lightx2v",
          "ltx23-22b-fp8_t2v_distilled",
          "ace_step_1.5_turbo"
        ]
      ) assert.include(ids, id)
      const tiers = yield* json(yield* get(emulator, "/api/v2/models/tiers"))
      for (const entry of list as Array<Protocol.ModelListEntry>) assert.isDefined(tiers[entry.tier], entry.tier)
      assert.include(tiers.flux.sampler.allowed, "Euler")
      assert.include(tiers.z_image_turbo.comfyScheduler.allowed, "simple")
      const presets = yield* json(yield* get(emulator, "/api/v1/size-presets/network/fast/model/flux1-schnell-fp8"))
      assert.deepInclude(presets, { label: "Square HD", id: "square_hd", width: 1024, height: 1024, ratio: "1:1", aspect: "1.00" })
      const status = yield* json(yield* get(emulator, "/api/v1/status/network/relaxed/models"))
      const flux = list.find((m: Protocol.ModelListEntry) => m.id === "flux1-schnell-fp8")
      assert.isAbove(status[String(flux.SID)], 0)
      const estimate = yield* json(
        yield* get(emulator, "/api/v2/job/estimate/spark/fast/flux1-schnell-fp8/2/4/0/0/0/1024/1024")
      )
      assert.isString(estimate.quote.project.costInSpark)
      assert.isAbove(Number(estimate.quote.project.costInToken), 0)
    }))

  emulatorTest("answers project records: 404 while running, a complete RawProject when finished", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "records" })
      const request = imageRequest({ prompt: "[[slow]] record me", count: 1 })
      client.send("jobRequest", request)
      yield* client.next("jobProgress")
      assert.strictEqual((yield* get(emulator, `/v1/projects/${request.jobID}`)).status, 404)
      const live = yield* json(yield* get(emulator, `/v2/projects/${encodeURIComponent(request.jobID)}`))
      assert.strictEqual(live.data.project.status, "processing")
      assert.isFalse(live.data.project.finished)
      const active = yield* json(yield* get(emulator, "/api/v1/artist/projects/active"))
      assert.deepInclude(active.projects.map((p: { id: string }) => p.id), request.jobID)
      const sync = yield* json(yield* get(emulator, "/api/v1/artist/projects/sync?appId=records"))
      assert.strictEqual(sync.activeProjects[0].id, request.jobID)
      assert.deepStrictEqual(sync.unclaimedCompletedProjects, [])
      yield* client.next("jobState", (p) => p.type === "jobCompleted", 10_000)
      const done = yield* json(yield* get(emulator, `/v1/projects/${request.jobID}`))
      const project = done.data.project
      assert.strictEqual(project.id, request.jobID)
      assert.strictEqual(project.status, "completed")
      assert.strictEqual(project.reason, "allJobsCompleted")
      for (
        const key of [
          "SID",
          "artist",
          "model",
          "imageCount",
          "stepCount",
          "previewCount",
          "hasGuideImage",
          "denoiseStrength",
          "costEstimate",
          "costActual",
          "createTime",
          "updateTime",
          "endTime",
          "network",
          "txId",
          "workerJobs",
          "completedWorkerJobs"
        ]
      ) assert.property(project, key)
      assert.strictEqual(project.completedWorkerJobs.length, 1)
      assert.strictEqual(project.completedWorkerJobs[0].status, "jobCompleted")
      assert.strictEqual(project.completedWorkerJobs[0].worker.name.length > 0, true)
      const other = yield* get(emulator, `/v1/projects/${Protocol.makeId()}`)
      assert.strictEqual(other.status, 404)
    }))

  emulatorTest("mints signed download URLs that serve real PNGs at the requested size", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const { imgIDs, jobID } = yield* completeProject(emulator, "downloads", { width: 640, height: 384 })
      assert.strictEqual(imgIDs.length, 2)
      const minted = yield* json(
        yield* get(emulator, `/v1/image/downloadUrl?jobId=${jobID}&imageId=${imgIDs[0]}&type=complete`)
      )
      const url: string = minted.data.downloadUrl
      assert.isTrue(url.startsWith(`${emulator.url}/_media/${jobID}/${imgIDs[0]}.png?`))
      const response = yield* http(url)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("content-type"), "image/png")
      const png = pngInfo(yield* bytes(response))
      assert.deepStrictEqual(png, { isPng: true, width: 640, height: 384 })
      // Same picture twice (deterministic), a different one for the other job.
      const again = yield* bytes(yield* http(url))
      const first = yield* bytes(yield* http(url))
      assert.deepStrictEqual(again, first)
      const media = yield* json(yield* get(emulator, `/v1/media/downloadUrl?jobId=${jobID}&id=${imgIDs[1]}&type=complete`))
      const other = yield* bytes(yield* http(media.data.downloadUrl))
      assert.isTrue(pngInfo(other).isPng)
      assert.notDeepEqual(other, first)
      // Forged signature, tampered path, missing signature.
      const forged = url.replace(/sig=[^&]+/, "sig=AAAA")
      assert.strictEqual((yield* http(forged)).status, 403)
      const tampered = url.replace(imgIDs[0]!, imgIDs[1]!)
      assert.strictEqual((yield* http(tampered)).status, 403)
      assert.strictEqual((yield* http(url.split("?")[0]!)).status, 403)
      const later = new URL(url)
      later.searchParams.set("exp", String(Number(later.searchParams.get("exp")) + 60_000))
      assert.strictEqual((yield* http(later.toString())).status, 403)
      // Unknown job → 404 envelope.
      const missing = yield* get(emulator, `/v1/image/downloadUrl?jobId=${jobID}&imageId=${Protocol.makeId()}&type=complete`)
      assert.strictEqual(missing.status, 404)
    }))

  emulatorTest(
    "refuses expired media URLs and encodes JPEG when asked",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { imgIDs, jobID } = yield* completeProject(emulator, "expiry", {
          count: 1,
          outputFormat: "jpg",
          width: 320,
          height: 256
        })
        const minted = yield* json(
          yield* get(emulator, `/v1/image/downloadUrl?jobId=${jobID}&imageId=${imgIDs[0]}&type=complete`)
        )
        const url: string = minted.data.downloadUrl
        assert.match(url, /\.jpg\?/)
        const fresh = yield* http(url)
        assert.strictEqual(fresh.status, 200)
        assert.strictEqual(fresh.headers.get("content-type"), "image/jpeg")
        const data = yield* bytes(fresh)
        assert.deepStrictEqual([...data.slice(0, 3)], [0xff, 0xd8, 0xff])
        yield* sleep(400)
        const expired = yield* http(url)
        assert.strictEqual(expired.status, 403)
        assert.match((yield* json(expired)).message, /expired/)
      }),
    { mediaUrlTtlMillis: 300 }
  )

  emulatorTest("logs in with an EIP-712 signature, refreshes and logs out", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const wallet = Wallet.deriveWallet(Emulator.DEFAULT_USERNAME, Redacted.make(Emulator.DEFAULT_PASSWORD))
      assert.strictEqual(wallet.address, emulator.accounts[0]!.walletAddress)
      const nonce = (yield* json(yield* post(emulator, "/v1/account/nonce", { walletAddress: wallet.address }))).data
        .nonce
      const bad = yield* post(emulator, "/v1/account/login", {
        walletAddress: wallet.address,
        signature: `0x${"11".repeat(65)}`,
        rememberMe: false
      })
      assert.strictEqual(bad.status, 401)
      const signature = Wallet.signAuthentication(wallet.privateKey, wallet.address, nonce, false)
      const login = yield* json(
        yield* post(emulator, "/v1/account/login", { walletAddress: wallet.address, signature, rememberMe: true })
      )
      assert.strictEqual(login.status, "success")
      assert.strictEqual(login.data.username, "pixelfox")
      const token: string = login.data.token
      const segments = token.split(".")
      assert.strictEqual(segments.length, 3)
      const claims = JSON.parse(Buffer.from(segments[1]!, "base64url").toString("utf8"))
      assert.isAbove(claims.exp, Date.now() / 1000)
      // The nonce is single-use.
      const replay = yield* post(emulator, "/v1/account/login", { walletAddress: wallet.address, signature })
      assert.strictEqual(replay.status, 400)
      // The raw JWT works on REST, on the socket upgrade and as a cookie.
      const me = yield* json(yield* get(emulator, "/v1/account/me", { authorization: token }))
      assert.strictEqual(me.data.username, "pixelfox")
      const socket = yield* connect(emulator, { appId: "jwt-socket", headers: { authorization: token } })
      assert.strictEqual((yield* socket.next("authenticated")).username, "pixelfox")
      const cookie = yield* connect(emulator, { appId: "jwt-cookie", headers: { cookie: `authorization=${token}` } })
      yield* cookie.next("authenticated")
      const refreshed = yield* json(
        yield* post(emulator, "/v1/account/refresh-token", { refreshToken: login.data.refreshToken })
      )
      assert.isString(refreshed.data.token)
      assert.isString(refreshed.data.refreshToken)
      const reused = yield* post(emulator, "/v1/account/refresh-token", { refreshToken: login.data.refreshToken })
      assert.strictEqual(reused.status, 401)
      const malformed = yield* post(emulator, "/v1/account/refresh-token", { nope: true })
      assert.strictEqual(malformed.status, 400)
      assert.strictEqual((yield* post(emulator, "/v1/account/logout", {}, { authorization: token })).status, 200)
      assert.strictEqual((yield* get(emulator, "/v1/account/me", { authorization: token })).status, 401)
    }))

  emulatorTest("injects REST failures with Retry-After through the RPC control client", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const control = yield* EmulatorControl.client(emulator.url, emulator.apiKey)
      yield* control.FailRest({ count: 2, status: 503, retryAfterSeconds: 3, pathPrefix: "/v1/account" })
      // Other paths are untouched.
      assert.strictEqual((yield* get(emulator, "/v4/account/balance")).status, 200)
      for (let i = 0; i < 2; i++) {
        const failed = yield* get(emulator, "/v1/account/me")
        assert.strictEqual(failed.status, 503)
        assert.strictEqual(failed.headers.get("retry-after"), "3")
        const body = yield* json(failed)
        assert.strictEqual(body.status, "error")
        assert.strictEqual(body.retryAfter, 3)
      }
      assert.strictEqual((yield* get(emulator, "/v1/account/me")).status, 200)
      yield* control.FailRest({ count: 1, status: 429, errorCode: 4290, message: "slow down" })
      const limited = yield* json(yield* get(emulator, "/api/v1/models/list"))
      assert.deepStrictEqual(limited, { status: "error", message: "slow down", errorCode: 4290 })
      // Inspection and balances over RPC.
      const socket = yield* connect(emulator, { appId: "rpc-inspect" })
      yield* socket.next("authenticated")
      const connections = yield* control.ListConnections()
      assert.deepInclude(connections.map((c) => [c.appId, c.network]), ["rpc-inspect", "fast"])
      const balances = yield* control.SetBalance({ tokenType: "spark", amount: 42 })
      assert.strictEqual(balances.spark.net, "42")
      const pushed = yield* socket.next("balanceUpdate", (b) => b.spark.net === "42")
      assert.strictEqual(pushed.spark.settled, "42")
      const unknownAccount = yield* Effect.flip(control.SetBalance({ username: "nobody", tokenType: "spark", amount: 1 }))
      assert.strictEqual(unknownAccount._tag, "EmulatorControlError")
      const missing = yield* Effect.flip(control.GetProject({ id: "nope" }))
      assert.strictEqual(missing._tag, "EmulatorControlError")
      const { dropped } = yield* control.DropConnection({ appId: "rpc-inspect", code: 4010 })
      assert.strictEqual(dropped, 1)
      assert.strictEqual((yield* Effect.promise(() => socket.closed)).code, 4010)
    }))
})
