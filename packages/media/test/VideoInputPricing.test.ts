/**
 * Video quotes that depend on the inputs (media.md §12.1) through the media API against the emulator,
 * over real loopback sockets: Seedance's video-input band, FlashVSR priced from its source's geometry
 * (read from the MP4 itself), MiniMax H3 r2v reference-video seconds. Each quote equals what the project
 * is then charged. The same file completes the catalog's remaining paths with real MP4s (LTX 2.3 dev,
 * Seedance 2.0 Fast, WAN animate-replace, and the full-step WAN s2v id on its 16 fps frame math).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Emulator, Samples } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Models, Sniff } from "../src/index.js"
import { connect, mp4Frames, sparkBalance } from "./videoHarness.js"

type Deps = Effect.Effect.Success<ReturnType<typeof connect>>

/** Runs a project to completion; returns the charge, the first result's bytes and the quote. */
const chargedRun = (emulator: Emulator.Service, deps: Deps, params: Record<string, unknown>) =>
  Effect.gen(function*() {
    const quote = yield* deps.models.estimate(params as never)
    const before = yield* sparkBalance(emulator)
    const events = Chunk.toReadonlyArray(yield* Stream.runCollect(deps.projects.events(params as never)))
    const done = events[events.length - 1]!
    assert(done._tag === "Completed", JSON.stringify(done))
    const charged = before - (yield* sparkBalance(emulator))
    const data = yield* deps.rest.getBytes(done.results[0]!.url!)
    return { quote, charged, data }
  })

const base = { type: "video", network: "fast", numberOfMedia: 1, tokenType: "spark" } as const

describe("video quotes that depend on the inputs", () => {
  it("reads the display size of an MP4's video track", () => {
    const mp4 = Samples.video({ width: 320, height: 240, frames: 4, fps: 8 })
    assert.deepStrictEqual(Sniff.videoDimensions(mp4), Option.some({ width: 320, height: 240 }))
    assert.isTrue(Option.isNone(Sniff.videoDimensions(Samples.png({ width: 16, height: 16 }))))
  })

  it("the estimate query: given inputs win, the rest are derived, bad ones name the field", () => {
    const q = Models.videoEstimateQuery({
      type: "video",
      modelId: "minimax-h3-ref2va-fp8_r2v_turbo",
      referenceVideo: true,
      referenceVideos: [true],
      referenceVideoDurations: [3, 4.5],
      referenceImage: true
    })
    assert.deepStrictEqual(q, Either.right({
      hasVideoInput: "1",
      referenceImageCount: "1",
      referenceVideoCount: "2",
      referenceVideoDurationSeconds: "7.5"
    }))
    const flagged = Models.videoEstimateQuery({ type: "video", modelId: "seedance-2-0" }, { hasVideoInput: true })
    assert.deepStrictEqual(flagged, Either.right({ hasVideoInput: "1" }))
    const bad = Models.videoEstimateQuery({ type: "video", modelId: "seedance-2-0" }, { referenceImageCount: 1.5 })
    assert(Either.isLeft(bad))
    assert.strictEqual(bad.left.field, "referenceImageCount")
    const half = Models.videoEstimateQuery({ type: "video", modelId: "flashvsr_v1.1_tiny_long_bf16" }, { sourceWidth: 640 })
    assert(Either.isLeft(half))
    assert.strictEqual(half.left.rule, "together")
  })
})

// a Layer-scoped emulator shared by the tests below; real sockets
describe("video input pricing against the emulator", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 90_000, excludeTestServices: true })((it) => {
    it.scoped("Seedance: the video-input band is quoted and charged", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const deps = yield* connect(emulator, "video-inputs")
        const plain = { ...base, modelId: "seedance-2-0-fast", positivePrompt: "a paper crane takes off", duration: 4 }
        const withVideo = { ...plain, referenceVideoUrls: ["https://cdn.sogni.ai/samples/crane.mp4"] }
        const textQuote = yield* deps.models.estimate(plain as never)
        const run = yield* chargedRun(emulator, deps, withVideo)
        // the band is half as much again as the text rate
        assert.closeTo(Number(run.quote.spark), Number(textQuote.spark) * 1.5, 1e-3)
        assert.closeTo(run.charged, Number(run.quote.spark), 1e-3)
        assert.strictEqual(mp4Frames(run.data), 97, "4 s at 24 fps, plus one")
        // the flag alone, as a caller quoting before it has the references
        const flagged = yield* deps.models.estimate(plain as never, { hasVideoInput: true })
        assert.strictEqual(flagged.spark, run.quote.spark)
      }))

    it.scoped("FlashVSR: the quote bills the source upscaled to the target, read from the MP4", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const deps = yield* connect(emulator, "video-inputs")
        const params = {
          ...base,
          modelId: "flashvsr_v1.1_tiny_long_bf16",
          positivePrompt: "",
          duration: 1,
          fps: 24,
          upscaleResolution: 1080,
          referenceVideo: Samples.video({ width: 544, height: 544, frames: 24, fps: 24 })
        }
        // without the bytes the quote can only assume a 16:9 canvas
        const blind = yield* deps.models.estimate({ ...params, referenceVideo: true } as never)
        const run = yield* chargedRun(emulator, deps, params)
        // 1080×1080 against 1920×1080
        assert.closeTo(Number(run.quote.spark) / Number(blind.spark), (1080 * 1080) / (1920 * 1080), 0.01)
        assert.closeTo(run.charged, Number(run.quote.spark), 1e-3)
        // a source too small for a 2× upscale is refused by the quote, naming the fields
        const refused = yield* Effect.either(
          deps.models.estimate({ ...params, referenceVideo: true } as never, { sourceWidth: 320, sourceHeight: 320 })
        )
        assert(Either.isLeft(refused))
        assert.match(refused.left.message, /sourceWidth\/sourceHeight.*2×/)
      }))

    it.scoped("MiniMax H3 r2v: reference-video seconds are billed at the output's rate", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const deps = yield* connect(emulator, "video-inputs")
        const params = {
          ...base,
          modelId: "minimax-h3-ref2va-fp8_r2v_turbo",
          positivePrompt: "the dancer from the clip, on a rooftop",
          duration: 124 / 24,
          width: 672,
          height: 384,
          referenceVideo: Samples.video({ width: 320, height: 180, frames: 48, fps: 24 }),
          referenceVideoDurations: [2.5]
        }
        const without = yield* deps.models.estimate({ ...params, referenceVideoDurations: undefined } as never)
        const run = yield* chargedRun(emulator, deps, params)
        assert.closeTo(Number(run.quote.spark), Number(without.spark) * (1 + 2.5 / (124 / 24)), 1e-3)
        assert.closeTo(run.charged, Number(run.quote.spark), 1e-3)
        assert.strictEqual(mp4Frames(run.data), 124)
      }))

    const completes: ReadonlyArray<readonly [string, () => Record<string, unknown>, number]> = [
      ["LTX 2.3 dev t2v, 2 s at 24 fps", () => ({ modelId: "ltx23-22b-fp8_t2v_dev", duration: 2, fps: 24, steps: 15 }), 49],
      ["Seedance 2.0 Fast, 4 s", () => ({ modelId: "seedance-2-0-fast", duration: 4 }), 97],
      ["WAN 2.2 s2v (full step), 2 s: 16 fps frame math, not 24", () => ({
        modelId: "wan_v2.2-14b-fp8_s2v",
        duration: 2,
        width: 832,
        height: 480,
        referenceImage: Samples.png({ width: 320, height: 320, prompt: "singer" }),
        referenceAudio: Samples.wav({ seconds: 2 })
      }), 33],
      ["WAN 2.2 animate-replace, 1 s", () => ({
        modelId: "wan_v2.2-14b-fp8_animate-replace_lightx2v",
        duration: 1,
        width: 832,
        height: 480,
        referenceImage: Samples.png({ width: 320, height: 320, prompt: "robot" }),
        referenceVideo: Samples.video({ width: 320, height: 180, frames: 16, fps: 16 }),
        sam2Coordinates: [{ x: 0.5, y: 0.5 }]
      }), 17]
    ]
    for (const [name, make, frames] of completes) {
      it.scoped(`${name}: charged as quoted, ${frames} frames`, () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator.Emulator
          const deps = yield* connect(emulator, "video-inputs")
          const run = yield* chargedRun(emulator, deps, { ...base, positivePrompt: "a kite over the dunes", ...make() })
          assert.closeTo(run.charged, Number(run.quote.spark), 1e-3)
          assert.strictEqual(mp4Frames(run.data), frames)
        }))
    }
  })
})
