/**
 * Fidelity of the newer surfaces with the official `@sogni-ai/sogni-client` (5.54.0): step previews
 * (its `job` events of type `preview`), WebP results, the vendor video families (HappyHorse, Wan 3)
 * charged as estimated, MiniMax H3 (two-stage, audio-guided, with uploads) charged as estimated, LTX
 * v2v ControlNet and a FlashVSR upscale — each completed by the official client against the emulator.
 */
import type { SogniClient } from "@sogni-ai/sogni-client"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import * as Samples from "../src/Samples.js"
import { bytes, emulatorTest, http, mp4Info, officialClient } from "./helpers.js"

type CreateParams = Parameters<SogniClient["projects"]["create"]>[0]

const complete = (client: SogniClient, params: Record<string, unknown>) =>
  Effect.gen(function*() {
    const project = yield* Effect.promise(() => client.projects.create(params as unknown as CreateParams))
    const urls = yield* Effect.promise(() => project.waitForCompletion())
    return { project, urls }
  })

/** Waits until the pushed balance moves away from `before` (settlement follows completion). */
const settled = (client: SogniClient, before: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && Number(client.account.currentAccount.balance.spark.net) === before; i++) yield* Effect.sleep(20)
    return before - Number(client.account.currentAccount.balance.spark.net)
  })

describe("official client, newer surfaces", () => {
  emulatorTest("receives preview events whose URLs are JPEGs, and WebP results", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-previews")
      yield* Effect.promise(() => client.projects.waitForModels())
      const previews: Array<{ jobId: string; url: string }> = []
      const onJob = (event: { type: string; jobId?: string; url?: string }) => {
        if (event.type === "preview" && event.url !== undefined) previews.push({ jobId: event.jobId ?? "", url: event.url })
      }
      client.projects.on("job", onJob as never)
      yield* Effect.addFinalizer(() => Effect.sync(() => client.projects.off("job", onJob as never)))
      const { urls } = yield* complete(client, {
        type: "image",
        modelId: "flux1-schnell-fp8",
        positivePrompt: "a heron in the reeds [[slow]]",
        numberOfMedia: 1,
        numberOfPreviews: 2,
        steps: 4,
        sizePreset: "square",
        outputFormat: "webp",
        tokenType: "spark"
      })
      for (let i = 0; i < 50 && previews.length < 2; i++) yield* Effect.sleep(20)
      assert.strictEqual(previews.length, 2, "steps 1 and 3 of 4")
      for (const preview of previews) {
        const data = yield* bytes(yield* http(preview.url))
        assert.deepStrictEqual([...data.subarray(0, 3)], [0xff, 0xd8, 0xff])
      }
      const result = yield* bytes(yield* http(urls[0]!))
      assert.deepStrictEqual(
        [String.fromCharCode(...result.subarray(0, 4)), String.fromCharCode(...result.subarray(8, 12))],
        ["RIFF", "WEBP"]
      )
    }), {}, 20_000)

  emulatorTest("completes HappyHorse and Wan 3 (vendor) projects with hosted MP4s, charged as estimated", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-vendor-families")
      yield* Effect.promise(() => client.projects.waitForModels())
      // Without fps the official client computes NaN frames for these families; the emulator refuses that quote.
      const unquotable = yield* Effect.promise(() =>
        client.projects.estimateVideoCost({ tokenType: "spark", model: "happyhorse-1.1-t2v", width: 1280, height: 720, duration: 3 } as never)
          .then(() => "quoted", (e: { status?: number }) => e.status)
      )
      assert.strictEqual(unquotable, 400)
      for (const [model, duration, fps, frames, extra] of [
        ["happyhorse-1.1-t2v", 3, 24, 73, {}],
        ["wan3.0-video", 2, 30, 61, { ratio: "16:9" }]
      ] as const) {
        const estimate = yield* Effect.promise(() =>
          client.projects.estimateVideoCost({ tokenType: "spark", model, width: 1280, height: 720, duration, fps, numberOfMedia: 1 } as never)
        )
        const before = Number(client.account.currentAccount.balance.spark.net)
        const { project, urls } = yield* complete(client, {
          type: "video",
          network: "fast",
          modelId: model,
          positivePrompt: "a horse on a beach at dawn",
          numberOfMedia: 1,
          duration,
          width: 1280,
          height: 720,
          tokenType: "spark",
          ...extra
        })
        assert.match(urls[0]!, /\/_media\//, `${model}: the hosted resultUrl is used as is`)
        assert.strictEqual(mp4Info(yield* bytes(yield* http(urls[0]!))).sampleCount, frames, model)
        const sent = (yield* emulator.control.getProject(project.id)).request as { keyFrames: Array<Record<string, unknown>> }
        assert.isUndefined(sent.keyFrames[0]!["negativePrompt"], `${model}: vendor video sends no negative prompt`)
        assert.closeTo(yield* settled(client, before), Number(estimate.spark), 1e-3, model)
      }
    }), {}, 30_000)

  emulatorTest("completes MiniMax H3 two-stage audio-guided, LTX v2v and FlashVSR projects with uploads", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-worker-families")
      yield* Effect.promise(() => client.projects.waitForModels())
      const estimate = yield* Effect.promise(() =>
        client.projects.estimateVideoCost({
          tokenType: "spark",
          model: "minimax-h3-fastvideo-int8_ia2v_turbo_2stage",
          width: 672,
          height: 384,
          duration: 5.2,
          numberOfMedia: 1
        } as never)
      )
      const before = Number(client.account.currentAccount.balance.spark.net)
      const h3 = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "minimax-h3-fastvideo-int8_ia2v_turbo_2stage",
        positivePrompt: "the portrait sings",
        numberOfMedia: 1,
        duration: 5.2,
        width: 672,
        height: 384,
        referenceImage: Buffer.from(Samples.png({ width: 320, height: 192 })),
        referenceAudio: Buffer.from(Samples.wav({ seconds: 6 })),
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(h3.urls[0]!))).sampleCount, 124)
      const h3Info = yield* emulator.control.getProject(h3.project.id)
      assert.deepStrictEqual([h3Info.width, h3Info.height], [1344, 768], "two-stage delivers twice the canvas")
      assert.closeTo(yield* settled(client, before), Number(estimate.spark), 1e-3)

      const v2v = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "ltx23-22b-fp8_v2v_distilled",
        positivePrompt: "the same pan, in pencil",
        numberOfMedia: 1,
        duration: 1,
        fps: 24,
        referenceVideo: Buffer.from(Samples.video({ width: 320, height: 180, frames: 25, fps: 24 })),
        controlNet: { name: "canny", strength: 0.6 },
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(v2v.urls[0]!))).sampleCount, 25)
      const v2vSent = (yield* emulator.control.getProject(v2v.project.id)).request as { keyFrames: Array<Record<string, unknown>> }
      assert.deepStrictEqual(v2vSent.keyFrames[0]!["currentControlNetsJob"], [{ name: "canny", controlStrength: 0.6 }])

      const upscale = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "flashvsr_v1.1_tiny_long_bf16",
        positivePrompt: "",
        numberOfMedia: 1,
        referenceVideo: Buffer.from(Samples.video({ width: 960, height: 540, frames: 20, fps: 20 })),
        upscaleResolution: 1080,
        tokenType: "spark"
      })
      const info = mp4Info(yield* bytes(yield* http(upscale.urls[0]!)))
      assert.strictEqual(info.sampleCount, 20, "the source's frames")
      assert.strictEqual(info.mdhdDuration / info.mdhdTimescale, 1, "the source's timing")
      const upscaled = yield* emulator.control.getProject(upscale.project.id)
      assert.deepStrictEqual([upscaled.width, upscaled.height], [1920, 1080])
    }), {}, 30_000)
})
