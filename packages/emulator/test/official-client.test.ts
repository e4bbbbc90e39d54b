/**
 * Fidelity check: the official `@sogni-ai/sogni-client` (5.54.0) against the emulator, with an API key:
 * connect, models, balance, a 2-image project whose URLs download as PNGs, cancellation, failure, a
 * worker retry and dropped sockets (by directive and by the control API); video, audio and
 * image-to-video projects downloading real MP4/MP3 files, an img2img upload, and cost estimates that
 * match what the projects are charged.
 */
import { SogniClient } from "@sogni-ai/sogni-client"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { encodeScene } from "../src/internal/landscape.js"
import { bytes, emulatorTest, http, mp3Info, mp4Info, officialClient, pngInfo } from "./helpers.js"

type Project = Awaited<ReturnType<SogniClient["projects"]["create"]>>


const createImages = (client: SogniClient, prompt: string, numberOfMedia = 2) =>
  Effect.promise(() =>
    client.projects.create({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: prompt,
      numberOfMedia,
      steps: 4,
      sizePreset: "square",
      tokenType: "spark"
    })
  )

/** The outcome of `waitForCompletion()` as data. */
const outcome = (project: Project) =>
  Effect.promise(() =>
    project.waitForCompletion().then(
      (urls) => ({ ok: true as const, urls }),
      (error: unknown) => ({ ok: false as const, error: error as { code?: number; message?: string } })
    )
  )

const firstProgress = (project: Project) =>
  Effect.promise(() => new Promise<void>((resolve) => project.once("progress", () => resolve())))

describe("official client", () => {
  emulatorTest("connects with an API key, sees models and balance, completes a 2-image project", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-1")
      const models = yield* Effect.promise(() => client.projects.waitForModels())
      const flux = models.find((m) => m.id === "flux1-schnell-fp8")
      assert.isDefined(flux)
      assert.strictEqual(flux!.name, "Flux.1 Schnell")
      const account = client.account.currentAccount
      assert.strictEqual(account.username, "pixelfox")
      const before = Number(account.balance.spark.net)
      assert.strictEqual(before, 1000)
      const project = yield* createImages(client, "a lighthouse on a basalt cliff at dawn")
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      const urls = result.ok ? result.urls : []
      assert.strictEqual(urls.length, 2)
      for (const url of urls) {
        const response = yield* http(url)
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(pngInfo(yield* bytes(response)), { isPng: true, width: 512, height: 512 })
      }
      // balanceUpdate follows settlement.
      for (let i = 0; i < 50 && Number(client.account.currentAccount.balance.spark.net) === before; i++) {
        yield* Effect.sleep(20)
      }
      assert.isBelow(Number(client.account.currentAccount.balance.spark.net), before)
    }))

  emulatorTest("cancels a running project", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-cancel")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[slow]] a long night")
      yield* firstProgress(project)
      yield* Effect.promise(() => project.cancel())
      const result = yield* outcome(project)
      assert.isFalse(result.ok)
      assert.strictEqual(project.status, "canceled")
      assert.strictEqual((yield* emulator.control.getProject(project.id)).status, "cancelled")
    }))

  emulatorTest("sees a project fail with [[fail]]", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-fail")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[fail]] never renders")
      const result = yield* outcome(project)
      assert.isFalse(result.ok)
      assert.strictEqual(project.status, "failed")
    }))

  emulatorTest("survives a worker retry with [[retry]]", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-retry")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[retry]] stubborn mountains")
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      assert.strictEqual(result.ok ? result.urls.length : 0, 2)
      assert.strictEqual(project.jobs.length, 2)
      const info = yield* emulator.control.getProject(project.id)
      assert.deepStrictEqual(info.jobs.map((j) => j.attempt), [2, 2])
    }))

  emulatorTest("survives a dropped socket with [[drop]]", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-drop")
      yield* Effect.promise(() => client.projects.waitForModels())
      const [before] = yield* emulator.control.listConnections
      const project = yield* createImages(client, "[[drop]] a windy ridge")
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      assert.strictEqual(result.ok ? result.urls.length : 0, 2)
      for (const url of result.ok ? result.urls : []) assert.isTrue(pngInfo(yield* bytes(yield* http(url))).isPng)
      const [after] = yield* emulator.control.listConnections
      assert.notStrictEqual(after?.connectionId, before?.connectionId, "the client reconnected")
    }))

  emulatorTest("recovers in-flight work after the control API drops the socket", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-control-drop")
      yield* Effect.promise(() => client.projects.waitForModels())
      const project = yield* createImages(client, "[[slow]] a patient harbour")
      yield* firstProgress(project)
      const { dropped } = yield* emulator.control.dropConnection({ appId: "official-control-drop", abnormal: true })
      assert.strictEqual(dropped, 1)
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      assert.strictEqual(result.ok ? result.urls.length : 0, 2)
      assert.strictEqual(project.jobs.length, 2)
    }))

  emulatorTest("completes a WAN text-to-video project and downloads a real MP4, charged as estimated", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-video")
      yield* Effect.promise(() => client.projects.waitForModels())
      const estimate = yield* Effect.promise(() =>
        client.projects.estimateVideoCost({
          tokenType: "spark",
          model: "wan_v2.2-14b-fp8_t2v_lightx2v",
          width: 832,
          height: 480,
          duration: 2,
          fps: 16,
          steps: 4,
          numberOfMedia: 1
        })
      )
      const before = Number(client.account.currentAccount.balance.spark.net)
      const project = yield* Effect.promise(() =>
        client.projects.create({
          type: "video",
          network: "fast",
          modelId: "wan_v2.2-14b-fp8_t2v_lightx2v",
          positivePrompt: "ocean waves at sunset",
          numberOfMedia: 1,
          duration: 2,
          fps: 16,
          tokenType: "spark"
        })
      )
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      const urls = result.ok ? result.urls : []
      assert.strictEqual(urls.length, 1)
      const info = mp4Info(yield* bytes(yield* http(urls[0]!)))
      assert.strictEqual(info.sampleCount, 33, "2 s at 16 fps plus one")
      assert.strictEqual(info.mvhdDuration, Math.round((33 / 16) * 1000))
      const sent = (yield* emulator.control.getProject(project.id)).request as { keyFrames: Array<Record<string, unknown>> }
      assert.strictEqual(sent.keyFrames[0]!["frames"], 33)
      assert.strictEqual(sent.keyFrames[0]!["fps"], 16)
      for (let i = 0; i < 50 && Number(client.account.currentAccount.balance.spark.net) === before; i++) {
        yield* Effect.sleep(20)
      }
      const charged = before - Number(client.account.currentAccount.balance.spark.net)
      assert.closeTo(charged, Number(estimate.spark), 1e-3)
    }))

  emulatorTest("completes an ACE-Step project and downloads a real MP3, charged as estimated", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-audio")
      yield* Effect.promise(() => client.projects.waitForModels())
      const estimate = yield* Effect.promise(() =>
        client.projects.estimateAudioCost({
          tokenType: "spark",
          model: "ace_step_1.5_turbo",
          duration: 10,
          steps: 8,
          numberOfMedia: 1
        })
      )
      const before = Number(client.account.currentAccount.balance.spark.net)
      const project = yield* Effect.promise(() =>
        client.projects.create({
          type: "audio",
          modelId: "ace_step_1.5_turbo",
          positivePrompt: "uplifting synthwave with a steady beat",
          numberOfMedia: 1,
          duration: 10,
          bpm: 110,
          steps: 8,
          outputFormat: "mp3",
          tokenType: "spark"
        })
      )
      const result = yield* outcome(project)
      assert.isTrue(result.ok, JSON.stringify(result))
      const urls = result.ok ? result.urls : []
      assert.strictEqual(urls.length, 1)
      const response = yield* http(urls[0]!)
      assert.strictEqual(response.headers.get("content-type"), "audio/mpeg")
      const mp3 = mp3Info(yield* bytes(response))
      assert.strictEqual(mp3.consumed, mp3.size)
      assert.closeTo(mp3.duration, 10, 0.2)
      for (let i = 0; i < 50 && Number(client.account.currentAccount.balance.spark.net) === before; i++) {
        yield* Effect.sleep(20)
      }
      assert.closeTo(before - Number(client.account.currentAccount.balance.spark.net), Number(estimate.spark), 1e-3)
    }), {}, 30_000)

  emulatorTest("uploads a reference image for image-to-video and a starting image for img2img", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-i2v")
      yield* Effect.promise(() => client.projects.waitForModels())
      const png = encodeScene({ prompt: "a bright red poppy field", seed: 11, width: 320, height: 192 }, "png").bytes
      const video = yield* Effect.promise(() =>
        client.projects.create({
          type: "video",
          network: "fast",
          modelId: "wan_v2.2-14b-fp8_i2v_lightx2v",
          positivePrompt: "the poppies sway in the wind",
          numberOfMedia: 1,
          duration: 1,
          fps: 16,
          referenceImage: png,
          tokenType: "spark"
        })
      )
      const videoResult = yield* outcome(video)
      assert.isTrue(videoResult.ok, JSON.stringify(videoResult))
      const info = mp4Info(yield* bytes(yield* http(videoResult.ok ? videoResult.urls[0]! : "")))
      assert.strictEqual(info.sampleCount, 17)
      const sent = (yield* emulator.control.getProject(video.id)).request as { keyFrames: Array<Record<string, unknown>> }
      assert.strictEqual(sent.keyFrames[0]!["hasReferenceImage"], true)
      assert.strictEqual(sent.keyFrames[0]!["referenceImageContentType"], "image/png")

      const image = yield* Effect.promise(() =>
        client.projects.create({
          type: "image",
          modelId: "flux1-schnell-fp8",
          positivePrompt: "the same field in winter",
          numberOfMedia: 1,
          steps: 4,
          sizePreset: "square",
          startingImage: png,
          startingImageStrength: 0.6,
          tokenType: "spark"
        })
      )
      const imageResult = yield* outcome(image)
      assert.isTrue(imageResult.ok, JSON.stringify(imageResult))
      const downloaded = yield* bytes(yield* http(imageResult.ok ? imageResult.urls[0]! : ""))
      assert.deepStrictEqual(pngInfo(downloaded), { isPng: true, width: 512, height: 512 })
      const imageSent = (yield* emulator.control.getProject(image.id)).request as { keyFrames: Array<Record<string, unknown>> }
      assert.strictEqual(imageSent.keyFrames[0]!["hasStartingImage"], true)
    }))

  emulatorTest("estimates image costs the way the emulator charges them", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-estimate")
      yield* Effect.promise(() => client.projects.waitForModels())
      const estimate = yield* Effect.promise(() =>
        client.projects.estimateCost({
          network: "fast",
          tokenType: "spark",
          model: "flux1-schnell-fp8",
          imageCount: 2,
          stepCount: 4,
          previewCount: 0,
          sizePreset: "square"
        })
      )
      const sogni = yield* Effect.promise(() =>
        client.projects.estimateCost({
          network: "fast",
          tokenType: "sogni",
          model: "flux1-schnell-fp8",
          imageCount: 2,
          stepCount: 4,
          previewCount: 0,
          sizePreset: "square"
        })
      )
      assert.strictEqual(Number(sogni.token), 2 * Number(estimate.token))
      assert.isNumber(estimate.estimatedRenderSeconds)
      const before = Number(client.account.currentAccount.balance.spark.net)
      const result = yield* outcome(yield* createImages(client, "a quiet alpine lake"))
      assert.isTrue(result.ok, JSON.stringify(result))
      for (let i = 0; i < 50 && Number(client.account.currentAccount.balance.spark.net) === before; i++) {
        yield* Effect.sleep(20)
      }
      assert.closeTo(before - Number(client.account.currentAccount.balance.spark.net), Number(estimate.spark), 1e-3)
    }))
})
