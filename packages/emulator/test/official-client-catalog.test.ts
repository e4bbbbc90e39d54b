/**
 * The catalog against what real programs ask for: every model id the official client's own routing table
 * prefers is advertised with the right media type and a tier the client can read, and the models the
 * client's published examples default to complete through the official client (5.54.0) with real media of
 * the requested kind and size.
 */
import type { SogniClient } from "@sogni-ai/sogni-client"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import * as Emulator from "../src/Emulator.js"
import * as Samples from "../src/Samples.js"
import { bytes, emulatorTest, http, mp4Info, officialClient } from "./helpers.js"

type CreateParams = Parameters<SogniClient["projects"]["create"]>[0]

const require = createRequire(import.meta.url)
const clientDist = join(dirname(require.resolve("@sogni-ai/sogni-client/package.json")), "dist")

/** The official client's preferred model ids, by media kind (its `PREFERRED_MODEL_IDS` table). */
const preferredIds = (): ReadonlyArray<{ readonly id: string; readonly media: string }> => {
  const table = (require(join(clientDist, "Chat/modelRouting.js")) as {
    PREFERRED_MODEL_IDS: Record<string, Record<string, string>>
  }).PREFERRED_MODEL_IDS
  const seen = new Map<string, string>()
  for (const [media, ids] of Object.entries(table)) for (const id of Object.values(ids)) seen.set(id, media)
  return [...seen].map(([id, media]) => ({ id, media }))
}

/**
 * Preferred ids the emulator does not serve, and why: speech synthesis and MiniMax Music have request
 * shapes (speaker, instruct, vendor music fields) the emulator does not model.
 */
const NOT_SERVED = new Set([
  "minimax_music3",
  "qwen3_tts_1.7b_custom_voice_bf16",
  "qwen3_tts_1.7b_voice_clone_bf16",
  "qwen3_tts_1.7b_voice_design_bf16"
])

/** Model ids the official examples and seed 000 name that are not in the routing table. */
const EXAMPLE_IDS: ReadonlyArray<readonly [string, string]> = [
  ["z_image_bf16", "image"],
  ["chroma-v48-detail-svd_fp8", "image"],
  ["chroma1-hd_fp8_scaled", "image"],
  ["qwen_image_2512_fp8", "image"],
  ["qwen_image_2512_fp8_lightning", "image"],
  ["dark_beast_z_image_turbo_v9_bf16", "image"],
  ["dark_beast_krea2_fp8", "image"],
  ["one_obsession_v22_fp16", "image"],
  ["qwen_image_edit_2511_fp8", "image"],
  ["qwen_image_edit_2511_fp8_lightning", "image"],
  ["wan_v2.2-14b-fp8_t2v", "video"],
  ["wan_v2.2-14b-fp8_i2v", "video"],
  ["wan_v2.2-14b-fp8_s2v", "video"],
  ["ltx23-22b-fp8_t2v_dev", "video"],
  ["ltx23-22b-fp8_i2v_dev", "video"],
  ["ltx23-22b-fp8_a2v_dev", "video"],
  ["ltx23-22b-fp8_ia2v_dev", "video"],
  ["ltx23-22b-fp8_v2v_dev", "video"],
  ["ltx23-22b-10eros-v1.4-fp8mixed_i2v", "video"],
  ["ltx2-19b-fp8_v2v", "video"],
  ["ltx2-19b-fp8_v2v_distilled", "video"],
  ["seedance-2-0-fast", "video"]
]

const complete = (client: SogniClient, params: Record<string, unknown>) =>
  Effect.gen(function*() {
    const project = yield* Effect.promise(() => client.projects.create(params as unknown as CreateParams))
    const urls = yield* Effect.promise(() => project.waitForCompletion())
    return { project, urls }
  })

const isPng = (data: Uint8Array) => data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47
const pngSize = (data: Uint8Array) => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return [view.getUint32(16), view.getUint32(20)]
}

describe("official client, catalog coverage", () => {
  emulatorTest("advertises every model the official client prefers or its examples use, with a tier it reads", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-catalog")
      const available = yield* Effect.promise(() => client.projects.waitForModels())
      const byId = new Map(available.map((m) => [m.id, m] as const))
      const wanted = [
        ...preferredIds().filter(({ id }) => !NOT_SERVED.has(id)),
        ...EXAMPLE_IDS.map(([id, media]) => ({ id, media }))
      ]
      const missing = wanted.filter(({ id }) => !byId.has(id)).map(({ id }) => id)
      assert.deepStrictEqual(missing, [], "served on the fast network")
      for (const { id, media } of wanted) {
        assert.strictEqual(byId.get(id)!.media, media, id)
        // projects.create() reads the model's options from its tier: it must exist and map.
        const options = (yield* Effect.promise(() =>
          (client.projects as unknown as { getModelOptions(id: string): Promise<{ type: string }> }).getModelOptions(id)
        ))
        assert.strictEqual(options.type, media, `${id} tier type`)
      }
    }), {}, 30_000)

  emulatorTest("completes the examples' image defaults: Krea 2, Qwen edit with context images, RTX VSR and GPT Image 2", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-catalog-images")
      yield* Effect.promise(() => client.projects.waitForModels())

      const krea = yield* complete(client, {
        type: "image",
        modelId: "krea2_turbo_fp8_scaled",
        positivePrompt: "a lighthouse at dusk",
        numberOfMedia: 1,
        steps: 8,
        guidance: null,
        sizePreset: "custom",
        width: 768,
        height: 512,
        tokenType: "spark"
      })
      const kreaPng = yield* bytes(yield* http(krea.urls[0]!))
      assert.isTrue(isPng(kreaPng))
      assert.deepStrictEqual(pngSize(kreaPng), [768, 512])

      const edit = yield* complete(client, {
        type: "image",
        modelId: "qwen_image_edit_2511_fp8_lightning",
        positivePrompt: "put the cat from picture 2 on the sofa of picture 1",
        numberOfMedia: 1,
        steps: 4,
        contextImages: [
          Buffer.from(Samples.png({ width: 256, height: 256, prompt: "sofa" })),
          Buffer.from(Samples.png({ width: 256, height: 256, prompt: "cat" }))
        ],
        tokenType: "spark"
      })
      assert.isTrue(isPng(yield* bytes(yield* http(edit.urls[0]!))))
      const sent = (yield* emulator.control.getProject(edit.project.id)).request as { keyFrames: Array<Record<string, unknown>> }
      assert.isTrue(sent.keyFrames[0]!["hasContextImage1"] === true && sent.keyFrames[0]!["hasContextImage2"] === true)

      const upscale = yield* complete(client, {
        type: "image",
        modelId: "rtx_vsr_pro",
        positivePrompt: "",
        numberOfMedia: 1,
        steps: 1,
        startingImage: Buffer.from(Samples.png({ width: 320, height: 240 })),
        startingImageStrength: 1,
        sizePreset: "custom",
        width: 1280,
        height: 960,
        outputFormat: "png",
        tokenType: "spark"
      })
      // The emulator renders at most 1024 px on the longest edge, at the project's aspect.
      const upscaled = yield* emulator.control.getProject(upscale.project.id)
      assert.deepStrictEqual([upscaled.width, upscaled.height], [1280, 960])
      assert.deepStrictEqual(pngSize(yield* bytes(yield* http(upscale.urls[0]!))), [1024, 768])

      const gpt = yield* complete(client, {
        type: "image",
        modelId: "gpt-image-2",
        positivePrompt: "a watercolor fox",
        numberOfMedia: 1,
        sizePreset: "custom",
        width: 1024,
        height: 1536,
        tokenType: "spark"
      })
      const gptProject = yield* emulator.control.getProject(gpt.project.id)
      assert.deepStrictEqual([gptProject.width, gptProject.height], [1024, 1536])
      assert.deepStrictEqual(pngSize(yield* bytes(yield* http(gpt.urls[0]!))), [683, 1024])
    }), {}, 40_000)

  emulatorTest("completes WAN sound-to-video and animate, LTX 2.5 v2v, H3 standard and Seedance Mini with real MP4s", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-catalog-videos")
      yield* Effect.promise(() => client.projects.waitForModels())
      const portrait = Buffer.from(Samples.png({ width: 320, height: 320, prompt: "portrait" }))

      const s2v = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "wan_v2.2-14b-fp8_s2v_lightx2v",
        positivePrompt: "the portrait sings",
        numberOfMedia: 1,
        duration: 2,
        fps: 16,
        width: 832,
        height: 480,
        referenceImage: portrait,
        referenceAudio: Buffer.from(Samples.wav({ seconds: 2 })),
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(s2v.urls[0]!))).sampleCount, 33, "2 s at 16 fps, plus one")

      const animate = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "wan_v2.2-14b-fp8_animate-move_lightx2v",
        positivePrompt: "the character dances",
        numberOfMedia: 1,
        duration: 1,
        fps: 16,
        width: 832,
        height: 480,
        referenceImage: portrait,
        referenceVideo: Buffer.from(Samples.video({ width: 320, height: 180, frames: 16, fps: 16 })),
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(animate.urls[0]!))).sampleCount, 17)

      const v2v = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "ltx25-22b-int8_v2v_distilled",
        positivePrompt: "the same pan, as an oil painting",
        numberOfMedia: 1,
        duration: 1,
        fps: 24,
        width: 640,
        height: 640,
        referenceVideo: Buffer.from(Samples.video({ width: 320, height: 180, frames: 25, fps: 24 })),
        controlNet: { name: "depth", strength: 0.5 },
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(v2v.urls[0]!))).sampleCount, 25)

      const h3 = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "minimax-h3-fl2va-fp8_t2v",
        positivePrompt: "a paper boat on a river",
        numberOfMedia: 1,
        duration: 5.2,
        width: 672,
        height: 384,
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(h3.urls[0]!))).sampleCount, 124)

      const mini = yield* complete(client, {
        type: "video",
        network: "fast",
        modelId: "seedance-2-0-mini",
        positivePrompt: "a glass whale over a neon city",
        numberOfMedia: 1,
        duration: 4,
        fps: 24,
        width: 1280,
        height: 720,
        tokenType: "spark"
      })
      assert.strictEqual(mp4Info(yield* bytes(yield* http(mini.urls[0]!))).sampleCount, 97)
      // Mini caps at 720p.
      const tooBig = yield* Effect.promise(() =>
        client.projects.create({
          type: "video",
          network: "fast",
          modelId: "seedance-2-0-mini",
          positivePrompt: "too large",
          numberOfMedia: 1,
          duration: 4,
          fps: 24,
          width: 1920,
          height: 1080,
          tokenType: "spark"
        } as unknown as CreateParams).then((p) => p.waitForCompletion()).then(() => "completed", (e: Error) => e.message)
      )
      assert.match(tooBig, /width must be an integer in 480\.\.1280/)
    }), {}, 60_000)

  emulatorTest("completes ACE-Step XL turbo and SFT songs within their own step ranges", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-catalog-audio")
      yield* Effect.promise(() => client.projects.waitForModels())
      for (const [modelId, steps] of [["ace_step_1.5_xl_turbo", 8], ["ace_step_1.5_sft", 50]] as const) {
        const song = yield* complete(client, {
          type: "audio",
          modelId,
          positivePrompt: "a slow jazz ballad",
          numberOfMedia: 1,
          duration: 10,
          bpm: 90,
          steps,
          outputFormat: "mp3",
          tokenType: "spark"
        })
        const data = yield* bytes(yield* http(song.urls[0]!))
        const id3 = String.fromCharCode(...data.subarray(0, 3)) === "ID3"
        assert.isTrue(id3 || (data[0] === 0xff && (data[1]! & 0xe0) === 0xe0), `${modelId} is an MP3`)
      }
      // 60 steps is above XL turbo's 16.
      const refused = yield* Effect.promise(() =>
        client.projects.create({
          type: "audio",
          modelId: "ace_step_1.5_xl_turbo",
          positivePrompt: "too many steps",
          numberOfMedia: 1,
          duration: 10,
          steps: 60,
          tokenType: "spark"
        } as unknown as CreateParams).then((p) => p.waitForCompletion()).then(() => "completed", (e: Error) => e.message)
      )
      assert.match(refused, /steps must be|4\.\.16|Steps/)
    }), {}, 40_000)
})
