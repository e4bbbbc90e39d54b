/**
 * Golden test: the same parameters, sent once by the official `@sogni-ai/sogni-client` and once by our
 * media API, reach the emulator as the same `jobRequest` (apart from the client-minted project id).
 */
import { assert, describe, layer } from "@effect/vitest"
import { Emulator, Samples } from "@effect-sogni/emulator"
import { SogniClient } from "@sogni-ai/sogni-client"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Media, Projects } from "../src/index.js"

/** The official client connected to the emulator, disposed with the scope. */
const official = (emulator: Emulator.Service) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      SogniClient.createInstance({
        appId: `golden-official-${crypto.randomUUID()}`,
        apiKey: emulator.apiKey,
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl,
        network: "fast",
        logLevel: "error"
      })
    ),
    (client) => Effect.sync(() => client.dispose())
  )

const ours = (emulator: Emulator.Service) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId: `golden-ours-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })
    ),
    (ctx) => Context.get(ctx, Projects.Projects)
  )

/** The request the emulator received for a project, without its id. */
const received = (emulator: Emulator.Service, id: string) =>
  Effect.map(emulator.control.getProject(id), (info) => {
    const { jobID, ...rest } = (info as unknown as { request: Record<string, unknown> }).request
    assert.strictEqual(String(jobID).toUpperCase(), id.toUpperCase())
    return rest
  })

/** The same request, and in the same key order: what each client wrote is the same JSON text. */
const assertSameWire = (ours: Record<string, unknown>, theirs: Record<string, unknown>) => {
  assert.deepStrictEqual(ours, theirs)
  assert.strictEqual(JSON.stringify(ours), JSON.stringify(theirs))
}

const cases: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["image, 2 outputs, preset, seed", {
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a lighthouse on a basalt cliff at dawn, volumetric fog",
    numberOfMedia: 2,
    steps: 4,
    guidance: 1,
    seed: 1234567,
    sizePreset: "square_hd",
    tokenType: "spark"
  }],
  ["image, custom size, negative prompt, jpg", {
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a red kite over dunes",
    negativePrompt: "blurry",
    numberOfMedia: 1,
    steps: 4,
    width: 768,
    height: 512,
    outputFormat: "jpg",
    tokenType: "spark"
  }],
  ["video, WAN t2v, 2 s at 16 fps", {
    type: "video",
    network: "fast",
    modelId: "wan_v2.2-14b-fp8_t2v_lightx2v",
    positivePrompt: "ocean waves at sunset",
    numberOfMedia: 1,
    duration: 2,
    fps: 16,
    tokenType: "spark"
  }],
  ["video, HappyHorse t2v (vendor, progress without steps), 3 s", {
    type: "video",
    network: "fast",
    modelId: "happyhorse-1.1-t2v",
    positivePrompt: "a horse gallops along a misty shoreline",
    numberOfMedia: 1,
    duration: 3,
    tokenType: "spark"
  }],
  ["video, Wan 3 t2v (vendor), 2 s, ratio and seed", {
    type: "video",
    network: "fast",
    modelId: "wan3.0-video",
    positivePrompt: "a paper crane unfolds in slow motion",
    numberOfMedia: 1,
    duration: 2,
    ratio: "16:9",
    seed: 77,
    tokenType: "spark"
  }],
  ["video, MiniMax H3 t2v Turbo, grid frames, custom canvas", {
    type: "video",
    network: "fast",
    modelId: "minimax-h3-fl2va-fp8_t2v_turbo",
    positivePrompt: "a lantern festival over a river",
    numberOfMedia: 1,
    duration: 6,
    width: 672,
    height: 384,
    tokenType: "spark"
  }],
  ["audio, ACE-Step, mp3", {
    type: "audio",
    modelId: "ace_step_1.5_turbo",
    positivePrompt: "a calm lo-fi piano loop",
    numberOfMedia: 1,
    duration: 10,
    bpm: 90,
    outputFormat: "mp3",
    tokenType: "spark"
  }]
]

/** A real PNG to use as an input: the emulator renders one for a small project. */
const referencePng = (emulator: Emulator.Service) =>
  Effect.gen(function*() {
    const projects = yield* ours(emulator)
    const [result] = yield* projects.run({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a reference", steps: 4, width: 512, height: 512 })
    const response = yield* Effect.promise(() => fetch(result!.url!))
    return new Uint8Array(yield* Effect.promise(() => response.arrayBuffer()))
  })

describe("golden: official client and our media API send the same jobRequest", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("video, LTX i2v with an uploaded reference image (upload, flags and content-type annotation)", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const png = yield* referencePng(emulator)
        const params = {
          type: "video",
          network: "fast",
          modelId: "ltx23-22b-fp8_i2v_distilled",
          positivePrompt: "the lighthouse beam sweeps the fog",
          numberOfMedia: 1,
          duration: 2,
          fps: 24,
          referenceImage: png,
          tokenType: "spark"
        }
        const client = yield* official(emulator)
        yield* Effect.promise(() => client.projects.waitForModels())
        const theirs = yield* Effect.promise(() => client.projects.create({ ...params, referenceImage: Buffer.from(png) } as never))
        yield* Effect.promise(() => theirs.waitForCompletion())
        const projects = yield* ours(emulator)
        const mine = yield* projects.create(params as Projects.Input)
        yield* mine.await
        const a = yield* received(emulator, theirs.id)
        const b = yield* received(emulator, mine.id)
        assert.strictEqual((b.keyFrames as Array<Record<string, unknown>>)[0]!.referenceImageContentType, "image/png")
        assertSameWire(b, a)
      }))

    /** Cases with uploaded inputs: the official client gets Buffers, ours the same bytes. */
    const uploadCases: ReadonlyArray<readonly [string, () => Record<string, unknown>]> = [
      ["video, LTX a2v with an uploaded WAV", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "ltx23-22b-fp8_a2v_distilled",
        positivePrompt: "a singer on a rooftop at night",
        duration: 2,
        fps: 24,
        referenceAudio: Samples.wav({ seconds: 3 }),
        tokenType: "spark"
      })],
      ["video, LTX ia2v with an uploaded image and WAV", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "ltx23-22b-fp8_ia2v_distilled",
        positivePrompt: "the portrait starts to talk",
        duration: 2,
        fps: 24,
        referenceImage: Samples.png({ width: 320, height: 192 }),
        referenceAudio: Samples.wav({ seconds: 3 }),
        tokenType: "spark"
      })],
      ["video, LTX v2v canny ControlNet with an uploaded MP4", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "ltx23-22b-fp8_v2v_distilled",
        positivePrompt: "the same pan, as a watercolour",
        duration: 1,
        fps: 24,
        referenceVideo: Samples.video({ width: 320, height: 180, frames: 25, fps: 24 }),
        controlNet: { name: "canny", strength: 0.6 },
        tokenType: "spark"
      })],
      ["video, MiniMax H3 i2v Turbo with an uploaded image", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "minimax-h3-fl2va-fp8_i2v_turbo",
        positivePrompt: "the lighthouse beam sweeps the fog",
        duration: 5.2,
        referenceImage: Samples.png({ width: 320, height: 192 }),
        tokenType: "spark"
      })],
      ["video, MiniMax H3 r2v Turbo with a reference set (images, a video, an audio; numbered slots)", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "minimax-h3-ref2va-fp8_r2v_turbo",
        positivePrompt: "the two characters meet on the pier",
        duration: 5.2,
        referenceImage: Samples.png({ width: 320, height: 192, prompt: "a sailor" }),
        contextImages: [Samples.png({ width: 320, height: 192, prompt: "a fisherwoman" })],
        referenceVideo: Samples.video({ width: 320, height: 180, frames: 48, fps: 24 }),
        referenceAudio: Samples.wav({ seconds: 3 }),
        tokenType: "spark"
      })],
      ["video, HappyHorse i2v with an uploaded image (vendor)", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "happyhorse-1.1-i2v",
        positivePrompt: "the horse turns its head",
        duration: 3,
        referenceImage: Samples.png({ width: 320, height: 192, prompt: "a horse" }),
        tokenType: "spark"
      })],
      ["video, Wan 3 with https reference image URLs (vendor)", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "wan3.0-video",
        positivePrompt: "a city street at night",
        duration: 2,
        referenceImageUrls: ["https://cdn.sogni.ai/examples/a.png", "https://cdn.sogni.ai/examples/b.png"],
        tokenType: "spark"
      })],
      ["video, FlashVSR 1080p upscale of an uploaded 960x540 MP4", () => ({
        type: "video",
        network: "fast",
        numberOfMedia: 1,
        modelId: "flashvsr_v1.1_tiny_long_bf16",
        positivePrompt: "",
        referenceVideo: Samples.video({ width: 960, height: 540, frames: 25, fps: 24 }),
        upscaleResolution: 1080,
        tokenType: "spark"
      })]
    ]

    for (const [name, make] of uploadCases) {
      it.scoped(name, () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator.Emulator
          const params = make()
          const forOfficial = Object.fromEntries(
            Object.entries(params).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v) : v])
          )
          const client = yield* official(emulator)
          yield* Effect.promise(() => client.projects.waitForModels())
          const theirs = yield* Effect.promise(() => client.projects.create(forOfficial as never))
          yield* Effect.promise(() => theirs.waitForCompletion())
          const projects = yield* ours(emulator)
          const mine = yield* projects.create(params as Projects.Input)
          yield* mine.await
          const a = yield* received(emulator, theirs.id)
          const b = yield* received(emulator, mine.id)
          assertSameWire(b, a)
        }))
    }

    for (const [name, params] of cases) {
      it.scoped(name, () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator.Emulator
          const client = yield* official(emulator)
          yield* Effect.promise(() => client.projects.waitForModels())
          const theirs = yield* Effect.promise(() => client.projects.create(params as never))
          yield* Effect.promise(() => theirs.waitForCompletion())
          const projects = yield* ours(emulator)
          const mine = yield* projects.create(params as Projects.Input)
          yield* mine.await
          const a = yield* received(emulator, theirs.id)
          const b = yield* received(emulator, mine.id)
          assertSameWire(b, a)
        }))
    }
  })
})
