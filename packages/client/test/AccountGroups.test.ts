/**
 * The account, subscription, reward, announcement and LoRA calls the adapter added for drop-in parity:
 * each is made once through `@sogni-ai/sogni-client` and once through the adapter against one
 * emulator, over real loopback sockets, and the two results must be the same data.
 */
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Ours from "../src/index.js"
import { isSubscriptionLimitError, parseCreativeWorkflowSseChunk, SogniClient, SUBSCRIPTION_ERROR_CODES } from "../src/index.js"
import { type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator({ speed: 10 })
})
afterAll(async () => {
  await emulator?.stop()
})

const config = () => ({
  appId: `groups-${Math.round(performance.now() * 1000)}`,
  apiKey: emulator.apiKey,
  restEndpoint: emulator.url,
  disableSocket: true as const,
  logLevel: "error" as const
})

/** JSON round trip: Dates become ISO strings, absent and undefined fields agree. */
const plain = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))

describe("account groups, same data as the official client", () => {
  it("rewards, transactions, subscription status/usage/trial/plans, balances, announcements, LoRAs", async () => {
    const theirs = await OfficialClient.createInstance(config())
    const ours = await SogniClient.createInstance(config())
    try {
      type Either = Pick<typeof theirs, "account" | "projects" | "announcements"> | SogniClient
      const both = async (name: string, call: (c: Either) => Promise<unknown>) => {
        const [a, b] = await Promise.all([call(theirs), call(ours)])
        assert.deepStrictEqual(plain(b), plain(a), name)
        return b
      }
      const rewards = await both("rewards", (c) => c.account.rewards())
      assert.isAbove((rewards as ReadonlyArray<unknown>).length, 0, "the emulator lists rewards")
      await both("subscription status", (c) => c.account.getSubscriptionStatus())
      await both("subscription usage", (c) => c.account.getSubscriptionUsage())
      await both("trial eligibility", (c) => c.account.getTrialEligibility())
      await both("plans", (c) => c.account.getSubscriptionPlans())
      const balance = await both("balance", (c) => c.account.refreshBalance())
      assert.isString((balance as { spark: { premiumCredit: unknown } }).spark.premiumCredit)
      await both("announcements", (c) => c.announcements.active())
      await both("announcements for a platform", (c) => c.announcements.active("web"))
      const catalog = await both("LoRA catalog", (c) => c.projects.availableLoras())
      const first = (catalog as { loras: ReadonlyArray<{ loraId: string; modelIds: ReadonlyArray<string> }> }).loras[0]
      assert.isDefined(first, "the emulator's catalog has LoRAs")
      await both("LoRA catalog for a model", (c) => c.projects.availableLoras({ modelId: first!.modelIds[0]! }))
      await both("getLora", (c) => c.projects.getLora(first!.loraId))
      await both("getLora unknown", (c) => c.projects.getLora("no-such-lora"))
      await both("supportsLoras", (c) => c.projects.supportsLoras(first!.modelIds[0]!))
      await both("supportsLoras (not)", (c) => c.projects.supportsLoras("no-such-model"))
      await both("loraConstraints", (c) => c.projects.loraConstraints())
      await both("personal LoRAs", (c) => c.projects.personalLoras.list())
      await both("model predicates", async (c) =>
        ["wan_v2.2-14b-fp8_t2v_lightx2v", "ace_step_1.5_xl_turbo", "pixal3d_int8_i23d", "z_image_turbo_bf16"].map((id) => [
          c.projects.isVideoModelId(id),
          c.projects.isAudioModelId(id),
          c.projects.isModelArtifactModelId(id)
        ]))
      const me = await ours.account.me()
      const address = typeof me["walletAddress"] === "string" ? me["walletAddress"] : ""
      await both("transaction history", (c) => c.account.transactionHistory({ status: "completed", address, limit: 5 }))
    } finally {
      theirs.apiClient.removeAllListeners()
      theirs.dispose()
      await ours.dispose()
    }
  }, 120_000)

  it("currentAccount emits 'updated' with the changed fields, as the official DataEntity does", async () => {
    const ours = await SogniClient.createInstance(config())
    try {
      // the account record read once the API key is set (GET /v1/account/me, as the official client reads
      // it) updates the account first (REST only: no connection, so no subscription read at connection)
      for (let i = 0; i < 200 && ours.currentAccount.email === undefined; i++) await new Promise((r) => setTimeout(r, 25))
      assert.isString(ours.currentAccount.email)
      assert.strictEqual(ours.currentAccount.subscription, undefined)
      const changes: Array<ReadonlyArray<string>> = []
      ours.currentAccount.on("updated", (keys) => changes.push(keys))
      await ours.account.refreshBalance()
      assert.deepStrictEqual(changes, [["balance"]])
      // the same balance again changes nothing
      await ours.account.refreshBalance()
      assert.strictEqual(changes.length, 1)
      await ours.account.getSubscriptionStatus()
      assert.deepStrictEqual(changes.at(-1), ["subscription"])
      // the same subscription read again changes nothing (deep-equal snapshots, as the official gate)
      await ours.account.getSubscriptionStatus()
      assert.strictEqual(changes.length, 2)
      assert.strictEqual(ours.currentAccount.toJSON().subscription?.status, ours.currentAccount.subscription?.status)
    } finally {
      await ours.dispose()
    }
  }, 60_000)

  it("pure helpers answer as the official ones", async () => {
    const official = await import("@sogni-ai/sogni-client")
    // (the official predicate's declared parameter type is narrower than what it accepts at run time)
    for (const input of [4081, "4081", 4078, { code: 4081 }, { code: "4079" }, { subscriptionLimit: true }, null, undefined, "x"]) {
      assert.strictEqual(isSubscriptionLimitError(input), official.isSubscriptionLimitError(input as never), String(input))
    }
    assert.deepStrictEqual({ ...SUBSCRIPTION_ERROR_CODES }, { ...official.SUBSCRIPTION_ERROR_CODES })
    const ids = [
      "wan_v2.2-14b-fp8_t2v_lightx2v",
      "ltx2-19b-fp8_t2v_distilled",
      "seedance-2-0-mini",
      "minimax-h3-fastvideo-int8_ia2v_turbo",
      "minimax-h3-fastvideo-int8_a2v_turbo_2stage",
      "flashvsr_v1.1_tiny_long_bf16",
      "ace_step_1.5_xl_turbo",
      "minimax_music3",
      "pixal3d_int8_i23d",
      "pixal3d_multiview_int8_i23d",
      "sam3_image_segment_bf16",
      "birefnet_image_background_removal_fp16",
      "z_image_turbo_bf16",
      "flux1-schnell-fp8"
    ]
    const predicates = [
      "isVideoModel",
      "isVideoUpscaleModel",
      "isAudioModel",
      "isPixal3dModel",
      "isPixal3dMultiViewModel",
      "isModelArtifactModel",
      "isSegmentationModel",
      "requiresStartingImage",
      "isMinimaxH3AudioGuideModel"
    ] as const
    for (const name of predicates) {
      for (const id of ids) assert.strictEqual(Ours[name](id), official[name](id), `${name}(${id})`)
    }
    for (const seconds of [0.5, 5, 141 / 24, 6, 15, 30]) {
      assert.strictEqual(Ours.getMinimaxH3FramesForAudioDuration(seconds), official.getMinimaxH3FramesForAudioDuration(seconds))
    }
    assert.throws(() => Ours.getMinimaxH3FramesForAudioDuration(0), RangeError)
    const views = { backViewImage: Buffer.from([1]), leftViewImage: Buffer.from([2]), rightViewImage: false as const }
    assert.deepStrictEqual(Ours.getPixal3dOrbitViewSlots(views), official.getPixal3dOrbitViewSlots(views))
    for (const name of ["FLASHVSR_VIDEO_UPSCALE_MODEL_ID", "PIXAL3D_IMAGE_TO_3D_MODEL_ID", "SAM3_IMAGE_SEGMENT_MODEL_ID", "MINIMAX_H3_FASTH3_A2V_MODEL_ID"] as const) {
      assert.strictEqual(Ours[name], official[name])
    }
    const chunk = "id: 1\nevent: step\ndata: {\"a\":1}\n\n: comment\n\ndata: plain\ndata: text\n\nevent:\ndata: \n\n"
    assert.deepStrictEqual(parseCreativeWorkflowSseChunk(chunk), official.parseCreativeWorkflowSseChunk(chunk))
  })
})
