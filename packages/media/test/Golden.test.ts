/**
 * Golden test: the same parameters, sent once by the official `@sogni-ai/sogni-client` and once by our
 * media API, reach the emulator as the same `jobRequest` (apart from the client-minted project id).
 */
import { assert, describe, layer } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
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
        assert.deepStrictEqual(b, a)
      }))

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
          assert.deepStrictEqual(b, a)
        }))
    }
  })
})
