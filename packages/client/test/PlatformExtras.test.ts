/**
 * The adapter next to the official client (5.54.0), both against one emulator over real loopback sockets,
 * on the rest of the platform surface: video quotes with their inputs (Seedance video input, FlashVSR
 * source geometry, H3 r2v reference seconds), `getAvailableModels(network)` for a network other than the
 * connection's, `setTokens` with tokens from a login, refused cookie authentication, and connection
 * attribution as the server records it.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import { isInvalidRequestError, SogniClient } from "../src/index.js"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const both = async <A>(
  appId: string,
  body: (adapter: SogniClient, official: OfficialClient) => Promise<A>,
  extra: Record<string, unknown> = {}
): Promise<A> => {
  const config = { network: "fast" as const, logLevel: "error" as const, ...endpoints(emulator), ...extra }
  const adapter = await SogniClient.createInstance({ appId: `${appId}-adapter`, ...config })
  const official = await OfficialClient.createInstance({ appId: `${appId}-official`, ...config } as never)
  try {
    return await body(adapter, official)
  } finally {
    await adapter.dispose()
    official.dispose()
  }
}

describe("platform extras, adapter and official client side by side", () => {
  it("video quotes with inputs: Seedance video input, FlashVSR source size, H3 r2v reference seconds", async () => {
    await both("extras-video-quotes", async (adapter, official) => {
      const requests = [
        { tokenType: "spark", model: "seedance-2-0-fast", width: 1280, height: 720, duration: 4, fps: 24, numberOfMedia: 1 },
        { tokenType: "spark", model: "seedance-2-0-fast", width: 1280, height: 720, duration: 4, fps: 24, numberOfMedia: 1, hasVideoInput: true },
        { tokenType: "spark", model: "seedance-2-0-fast", width: 1280, height: 720, duration: 4, fps: 24, numberOfMedia: 2, referenceVideoUrls: ["https://cdn.sogni.ai/a.mp4"], referenceImageCount: 2 },
        { tokenType: "spark", model: "flashvsr_v1.1_tiny_long_bf16", width: 1920, height: 1080, duration: 2, fps: 24, numberOfMedia: 1 },
        { tokenType: "spark", model: "flashvsr_v1.1_tiny_long_bf16", width: 1920, height: 1080, duration: 2, fps: 24, numberOfMedia: 1, sourceWidth: 544, sourceHeight: 544 },
        { tokenType: "spark", model: "minimax-h3-ref2va-fp8_r2v_turbo", width: 672, height: 384, duration: 6, fps: 24, numberOfMedia: 1, referenceVideoCount: 1, referenceVideoDurationSeconds: 3 }
      ] as const
      const quotes: Array<string> = []
      for (const request of requests) {
        const ours = await adapter.projects.estimateVideoCost(request as never)
        const theirs = await official.projects.estimateVideoCost(request as never)
        assert.deepStrictEqual([ours.token, ours.spark, ours.usd], [theirs.token, theirs.spark, theirs.usd], request.model)
        quotes.push(ours.spark!)
      }
      const [text, flagged, withVideo, flashBlind, flashSquare, h3] = quotes.map(Number)
      assert.closeTo(flagged!, text! * 1.5, 1e-3, "the video-input band")
      assert.closeTo(withVideo!, text! * 1.5 * 1.1 * 2, 1e-3, "band, two reference images, two outputs")
      assert.isBelow(flashSquare!, flashBlind!, "a square source upscales to fewer pixels than 16:9")
      assert.isAbove(h3!, 0)
      // a source outside FlashVSR's limits is refused by both, naming the fields
      const tooSmall = { ...requests[4], sourceWidth: 320, sourceHeight: 320 }
      const ours = await adapter.projects.estimateVideoCost(tooSmall as never).catch((e: Error) => e)
      const theirs = await official.projects.estimateVideoCost(tooSmall as never).catch((e: Error) => e)
      assert.instanceOf(ours, Error)
      assert.instanceOf(theirs, Error)
      assert.match(ours.message, /sourceWidth\/sourceHeight/)
    })
  }, 30_000)

  it("getAvailableModels(network) answers for the asked network, not the connection's", async () => {
    await both("extras-available", async (adapter, official) => {
      await adapter.projects.waitForModels()
      await official.projects.waitForModels()
      const ours = await adapter.projects.getAvailableModels("relaxed")
      const theirs = await official.projects.getAvailableModels("relaxed")
      const key = (list: ReadonlyArray<{ id: string; workerCount: number; media: string }>) =>
        list.map((m) => `${m.id}:${m.workerCount}:${m.media}`).sort()
      assert.deepStrictEqual(key(ours), key(theirs))
      // relaxed renders images only; the fast connection's own list has videos too
      assert.isAbove(ours.length, 0)
      assert.isTrue(ours.every((m) => m.media === "image"))
      assert.isTrue(adapter.projects.availableModels.some((m) => m.media === "video"))
      const fast = await adapter.projects.getAvailableModels("fast")
      assert.strictEqual(fast.length, adapter.projects.availableModels.length)
      await adapter.projects.getAvailableModels("slow" as never).then(
        () => assert.fail("an unknown network resolved"),
        (e) => assert.isTrue(isInvalidRequestError(e))
      )
    })
  }, 30_000)

  it("setTokens resumes a login session (tokens from the official client's login); refused with an API key", async () => {
    const loginClient = await OfficialClient.createInstance({
      appId: "extras-login-official",
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl,
      network: "fast",
      logLevel: "error",
      disableSocket: true
    } as never)
    const login = await loginClient.account.login(Emulator.DEFAULT_USERNAME, Emulator.DEFAULT_PASSWORD)
    loginClient.dispose()

    const sogni = await SogniClient.createInstance({
      appId: "extras-set-tokens",
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl,
      network: "fast",
      logLevel: "error"
    })
    try {
      await sogni.setTokens({ token: login.token, refreshToken: login.refreshToken })
      assert.strictEqual(sogni.currentAccount.username, Emulator.DEFAULT_USERNAME)
      assert.isTrue(sogni.currentAccount.isAuthenticated)
      const models = await sogni.projects.waitForModels()
      assert.isAbove(models.length, 0, "the socket connected with the token")
      const balance = await sogni.account.refreshBalance()
      assert.isAbove(Number(balance.spark.net), 0)
      await sogni.setTokens({ token: "not-a-jwt", refreshToken: "x" }).then(
        () => assert.fail("a malformed token was accepted"),
        (e: Error) => assert.match(e.message, /JWT|token/i)
      )
    } finally {
      await sogni.dispose()
    }

    const keyed = await SogniClient.createInstance({ appId: "extras-set-tokens-key", disableSocket: true, logLevel: "error", ...endpoints(emulator) })
    try {
      const refused = await keyed.setTokens({ token: login.token, refreshToken: login.refreshToken }).catch((e) => e)
      assert.isTrue(isInvalidRequestError(refused))
      assert.match((refused as Error).message, /token authentication/)
    } finally {
      await keyed.dispose()
    }
  }, 30_000)

  it("authType 'cookies' fails loudly at createInstance; checkAuth names cookie authentication", async () => {
    const refused = await SogniClient.createInstance({ appId: "extras-cookies", authType: "cookies", ...endpoints(emulator) }).catch((e) => e)
    assert.isTrue(isInvalidRequestError(refused))
    assert.strictEqual((refused as { field?: unknown }).field, "authType")
    const sogni = await SogniClient.createInstance({ appId: "extras-check-auth", disableSocket: true, logLevel: "error", ...endpoints(emulator) })
    try {
      const e = await sogni.checkAuth().catch((x) => x)
      assert.isTrue(isInvalidRequestError(e))
      assert.match((e as Error).message, /cookie/)
    } finally {
      await sogni.dispose()
    }
  })

  it("walletBalance and validateUsername answer as the official client's", async () => {
    await both("extras-account", async (adapter, official) => {
      const me = await official.account.me()
      for (const [address, provider] of [
        [me.walletAddress, "base"],
        [me.walletAddress, "etherlink"],
        ["0x000000000000000000000000000000000000dEaD", "base"]
      ] as const) {
        const ours = await adapter.account.walletBalance(address, provider)
        const theirs = await official.account.walletBalance(address, provider)
        assert.deepStrictEqual(ours, theirs, `${address} on ${provider}`)
      }
      assert.isAbove(Number((await adapter.account.walletBalance(me.walletAddress)).sogni), 0, "the account's own wallet holds SOGNI")
      const bad = await adapter.account.walletBalance("0x123").catch((e) => e)
      assert.isTrue(isInvalidRequestError(bad))
      assert.strictEqual((bad as { field?: unknown }).field, "walletAddress")

      for (const name of [Emulator.DEFAULT_USERNAME, Emulator.DEFAULT_USERNAME.toUpperCase(), "fresh_name_42"]) {
        const ours = await adapter.account.validateUsername(name)
        const theirs = await official.account.validateUsername(name) as { status: string; errorCode?: number }
        assert.strictEqual(ours.status, theirs.status, name)
        assert.strictEqual("errorCode" in ours ? ours.errorCode : undefined, theirs.errorCode, name)
      }
      assert.strictEqual((await adapter.account.validateUsername(Emulator.DEFAULT_USERNAME)).status, "error")
      assert.strictEqual((await adapter.account.validateUsername("fresh_name_42")).status, "success")
    })
  }, 30_000)

  it("listProjectsElsewhere lists a project running under another appId, as the official client does", async () => {
    await both("extras-elsewhere", async (adapter, official) => {
      await official.projects.waitForModels()
      const project = await official.projects.create({
        type: "video",
        network: "fast",
        modelId: "wan_v2.2-14b-fp8_t2v_lightx2v",
        positivePrompt: "a slow river at night",
        numberOfMedia: 1,
        duration: 5,
        tokenType: "spark"
      } as never)
      // the adapter is another installation of the same account
      const ours = await adapter.projects.listProjectsElsewhere()
      const seen = ours.find((p) => p.id === project.id)
      assert.isDefined(seen, "the official client's project is listed")
      assert.strictEqual(seen!.appId, "extras-elsewhere-official")
      // and the official client does not list its own project as elsewhere
      const theirs = await official.projects.listProjectsElsewhere()
      assert.isUndefined(theirs.find((p) => p.id === project.id))
      await project.waitForCompletion()
      const after = await adapter.projects.listProjectsElsewhere()
      assert.isUndefined(after.find((p) => p.id === project.id), "a finished project is no longer in flight")
    })
  }, 60_000)

  it("chat.tools.execute / executeAll run platform tool calls as projects, others through onToolCall", async () => {
    await both("extras-tools", async (adapter, official) => {
      await adapter.projects.waitForModels()
      await official.projects.waitForModels()
      const image = { id: "call_1", type: "function" as const, function: { name: "generate_image", arguments: JSON.stringify({ prompt: "a red kite over a beach" }) } }
      const local = { id: "call_2", type: "function" as const, function: { name: "lookup_weather", arguments: "{\"city\":\"Nice\"}" } }
      const broken = { id: "call_3", type: "function" as const, function: { name: "generate_image", arguments: "{not json" } }
      const options = { tokenType: "spark" as const, onToolCall: async () => JSON.stringify({ sunny: true }) }
      const ours = await adapter.chat.tools.executeAll([image, local, broken], options)
      const theirs = await official.chat.tools.executeAll([image, local, broken] as never, options as never)
      const shape = (r: { toolCallId: string; toolName: string; success: boolean; resultUrls: ReadonlyArray<string> }) =>
        [r.toolCallId, r.toolName, r.success, r.resultUrls.length]
      assert.deepStrictEqual(ours.map(shape), theirs.map(shape))
      assert.deepStrictEqual(ours.map((r) => r.success), [true, true, false])
      assert.strictEqual(ours[1]!.content, JSON.stringify({ sunny: true }))
      const png = new Uint8Array(await (await fetch(ours[0]!.resultUrls[0]!)).arrayBuffer())
      assert.deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG from the tool's project")
      const one = await adapter.chat.tools.execute(image, { tokenType: "spark" })
      assert.isTrue(one.success)
      assert.strictEqual(one.resultUrls.length, 1)
    })
  }, 60_000)

  it("connection attribution reaches the server as the official client sends it (invalid values dropped)", async () => {
    const attribution = {
      connection: {
        interactionKind: "external_agent",
        agentFramework: "claude-code",
        agentFrameworkVersion: "not a version",
        agentSurface: "cli",
        executionMode: "server"
      }
    }
    await both("extras-attribution", async (adapter, official) => {
      await adapter.projects.waitForModels()
      await official.projects.waitForModels()
      const connections = await Effect.runPromise(emulator.service.control.listConnections)
      const of = (appId: string) => connections.find((c) => c.appId === appId)?.attribution
      const expected = { interactionKind: "external_agent", agentFramework: "claude-code", agentSurface: "cli", executionMode: "server" }
      assert.deepStrictEqual(of("extras-attribution-official"), expected)
      assert.deepStrictEqual(of("extras-attribution-adapter"), expected)
    }, { attribution })
  }, 30_000)
})
