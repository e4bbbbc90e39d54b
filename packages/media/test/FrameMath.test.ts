import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as FrameMath from "../src/FrameMath.js"

const LTX = "ltx23-22b-fp8_t2v_distilled"
const WAN = "wan_v2.2-14b-fp8_t2v_lightx2v"
const H3 = "minimax-h3-fl2va-fp8_t2v"
const FLASHVSR = "flashvsr_v1.1_tiny_long_bf16"

/** Durations in milliseconds, so ties like 2.5/16 s are generated too. */
const seconds = (min: number, max: number) =>
  FastCheck.integer({ min: Math.round(min * 1000), max: Math.round(max * 1000) }).map((ms) => ms / 1000)

describe("FrameMath: worked examples (media.md §10.2.2, §3.7, §12.1)", () => {
  it("LTX 5 s @ 24 → 121, 4 s @ 25 → 105", () => {
    assert.strictEqual(FrameMath.framesFor(LTX, 5, 24), 121)
    assert.strictEqual(FrameMath.framesFor(LTX, 4, 25), 105)
    assert.strictEqual(FrameMath.framesFor(LTX, 5), 121)
  })

  it("WAN 5 s → 81 whatever the fps (generation is always 16 fps)", () => {
    assert.strictEqual(FrameMath.framesFor(WAN, 5), 81)
    assert.strictEqual(FrameMath.framesFor(WAN, 5, 32), 81)
    // the full-step s2v id is WAN 2.2 too (it once fell through to round(d·24)+1 = 49 for 2 s)
    assert.strictEqual(FrameMath.framesFor("wan_v2.2-14b-fp8_s2v", 2), 33)
    assert.strictEqual(FrameMath.framesFor("wan_v2.2-14b-fp8_s2v", 2, 24), 33)
  })

  it("vendor models: round(d·24)+1 (Seedance, HappyHorse), Wan 3 round(d·30)+1", () => {
    assert.strictEqual(FrameMath.framesFor("seedance-2-0", 5), 121)
    assert.strictEqual(FrameMath.framesFor("happyhorse-1.1-t2v", 3), 73)
    assert.strictEqual(FrameMath.framesFor("wan3.0-video", 2), 61)
  })

  it("MiniMax H3: grid 124 + 17k, no +1, clamped", () => {
    assert.strictEqual(FrameMath.framesFor(H3, 5), 124)
    assert.strictEqual(FrameMath.framesFor(H3, 141 / 24), 141)
    assert.strictEqual(FrameMath.framesFor(H3, 100), 362)
    assert.strictEqual(FrameMath.framesFor(H3, 1), 124)
  })

  it("FlashVSR keeps the source frame count (no +1, no snapping)", () => {
    assert.strictEqual(FrameMath.framesFor(FLASHVSR, 2, 30), 60)
    assert.strictEqual(FrameMath.framesFor(FLASHVSR, 1.5), 36)
  })

  it("JS rounding: halves go up (LTX snap of 4.5 steps)", () => {
    // d·fps = 36 → f = 37 → (37−1)/8 = 4.5 → 5 → 41
    assert.strictEqual(FrameMath.ltxFrames(1.5, 24), 41)
    // WAN: 2.5/16 s · 16 = 2.5 → 3 → 4
    assert.strictEqual(FrameMath.wanFrames(2.5 / 16), 4)
  })

  it("H3 audio helper: smallest grid value covering the clip", () => {
    assert.deepStrictEqual(FrameMath.h3FramesForAudio(141 / 24), Option.some(141))
    assert.deepStrictEqual(FrameMath.h3FramesForAudio(141 / 24 + 0.01), Option.some(158))
    assert.deepStrictEqual(FrameMath.h3FramesForAudio(1), Option.some(124))
    assert.deepStrictEqual(FrameMath.h3FramesForAudio(60), Option.some(362))
    assert.isTrue(Option.isNone(FrameMath.h3FramesForAudio(0)))
  })
})

describe("FrameMath: properties", () => {
  it.prop("LTX frames ≡ 1 (mod 8) and within one step of d·fps + 1", [seconds(1, 20), FastCheck.integer({ min: 1, max: 60 })], ([d, fps]) => {
    const f = FrameMath.framesFor(LTX, d, fps)
    assert.strictEqual((f - 1) % 8, 0)
    assert.isAtMost(Math.abs(f - (d * fps + 1)), 4.5)
  })

  it.prop("H3 frames are on the grid, within 124–362", [seconds(0.1, 40)], ([d]) => {
    const f = FrameMath.framesFor(H3, d)
    assert.isTrue(FrameMath.isOnH3Grid(f))
    assert.isAtLeast(f, 124)
    assert.isAtMost(f, 362)
  })

  it.prop(
    "frames are monotonic in duration for every family",
    [
      FastCheck.constantFrom(LTX, WAN, H3, FLASHVSR, "seedance-2-5", "happyhorse-1.1-i2v", "wan3.0-video"),
      seconds(0.5, 30),
      seconds(0.5, 30),
      FastCheck.integer({ min: 1, max: 60 })
    ],
    ([model, a, b, fps]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a]
      assert.isAtMost(FrameMath.framesFor(model, lo, fps), FrameMath.framesFor(model, hi, fps))
    }
  )

  it.prop("WAN frames = round(d·16)+1 regardless of fps", [seconds(1, 20), FastCheck.constantFrom(16, 32)], ([d, fps]) => {
    assert.strictEqual(FrameMath.framesFor(WAN, d, fps), Math.round(d * 16) + 1)
  })

  it.prop("H3 audio helper covers the clip when it fits the grid", [seconds(0.1, 15)], ([s]) => {
    const f = Option.getOrThrow(FrameMath.h3FramesForAudio(s))
    assert.isTrue(FrameMath.isOnH3Grid(f))
    if (s * 24 <= 362) assert.isAtLeast(f, Math.ceil(s * 24 - 1e-6))
  })
})

describe("FrameMath: families and workflows (media.md §10.2.1)", () => {
  const cases: ReadonlyArray<readonly [string, FrameMath.VideoFamily, FrameMath.VideoWorkflow | undefined]> = [
    ["wan_v2.2-14b-fp8_i2v", "wan22", "i2v"],
    ["wan_v2.2-14b-fp8_s2v_lightx2v", "wan22", "s2v"],
    ["wan_v2.2-14b-fp8_s2v", "wan22", "s2v"],
    ["wan_v2.2-14b-fp8_animate-move_lightx2v", "wan22", "animate-move"],
    ["wan_v2.2-14b-fp8_animate-replace_lightx2v", "wan22", "animate-replace"],
    ["ltx2-19b-fp8_a2v", "ltx2", "a2v"],
    ["ltx23-22b-fp8_ia2v_distilled", "ltx2", "ia2v"],
    ["ltx25-22b-int8_v2v_dev", "ltx2", "v2v"],
    ["ltx23-22b-10eros-v1.4-fp8mixed_i2v", "ltx2", "i2v"],
    ["seedance-2-5", "seedance", undefined],
    ["happyhorse-1.1-r2v", "happyhorse", "r2v"],
    ["wan3.0-spicy-video", "wan3", "t2v"],
    ["minimax-h3-ref2va-fp8_r2v_balanced_2stage", "minimax-h3", "r2v"],
    ["minimax-h3-fastvideo-int8_flfa2v_turbo", "minimax-h3", "flfa2v"],
    ["minimax-h3-fastvideo-int8_ia2v_turbo_2stage", "minimax-h3", "ia2v"],
    ["minimax-h3-fastvideo-int8_a2v_turbo", "minimax-h3", "a2v"],
    ["minimax-h3-fl2va-fp8_flf2v_turbo", "minimax-h3", "flf2v"],
    ["minimax-h3-fl2va-fp8_i2v", "minimax-h3", "i2v"],
    [FLASHVSR, "flashvsr", "upscale"]
  ]
  it("detects family and workflow from the id", () => {
    for (const [id, family, workflow] of cases) {
      assert.deepStrictEqual(FrameMath.videoFamily(id), Option.some(family), id)
      assert.deepStrictEqual(Option.getOrUndefined(FrameMath.videoWorkflow(id)), workflow, id)
    }
  })

  it("non-video ids have no family; media kind falls back per §1", () => {
    assert.isTrue(Option.isNone(FrameMath.videoFamily("flux1-schnell-fp8")))
    assert.strictEqual(FrameMath.mediaKindFromId("flux1-schnell-fp8"), "image")
    assert.strictEqual(FrameMath.mediaKindFromId("ace_step_1.5_turbo"), "audio")
    assert.strictEqual(FrameMath.mediaKindFromId("minimax_music3"), "audio")
    assert.strictEqual(FrameMath.mediaKindFromId("pixal3d_int8_i23d"), "model")
    assert.strictEqual(FrameMath.mediaKindFromId(LTX), "video")
  })

  it("H3 step counts and audio-guide ids", () => {
    assert.strictEqual(FrameMath.h3Steps("minimax-h3-fl2va-fp8_t2v_turbo"), 4)
    assert.strictEqual(FrameMath.h3Steps("minimax-h3-ref2va-fp8_r2v_balanced"), 8)
    assert.strictEqual(FrameMath.h3Steps("minimax-h3-ref2va-fp8_r2v_2stage"), 20)
    assert.isTrue(FrameMath.isH3AudioGuide("minimax-h3-fastvideo-int8_a2v_turbo_2stage"))
    assert.isFalse(FrameMath.isH3AudioGuide("minimax-h3-fastvideo-int8_i2v_turbo"))
  })

  it("duration ranges and fps rules per family", () => {
    assert.deepStrictEqual(FrameMath.durationRange(WAN), Option.some({ min: 1, max: 10 }))
    assert.deepStrictEqual(FrameMath.durationRange("wan_v2.2-14b-fp8_animate-move_lightx2v"), Option.some({ min: 1, max: 20 }))
    assert.deepStrictEqual(FrameMath.durationRange("seedance-2-0"), Option.some({ min: 4, max: 15 }))
    assert.deepStrictEqual(FrameMath.durationRange("seedance-2-5"), Option.some({ min: 4, max: 30 }))
    assert.deepStrictEqual(FrameMath.durationRange("happyhorse-1.1-t2v"), Option.some({ min: 3, max: 15 }))
    assert.deepStrictEqual(FrameMath.durationRange("wan3.0-video"), Option.some({ min: 2, max: 30 }))
    assert.deepStrictEqual(FrameMath.durationRange(H3), Option.some({ min: 124 / 24, max: 362 / 24 }))
    assert.deepStrictEqual(FrameMath.durationRange(FLASHVSR, 30), Option.some({ min: 1 / 30, max: Infinity }))
    assert.deepStrictEqual(FrameMath.fpsRule(WAN), Option.some({ _tag: "OneOf", values: [16, 32] }))
    assert.deepStrictEqual(FrameMath.fpsRule(LTX), Option.some({ _tag: "Range", min: 1, max: 60 }))
    assert.deepStrictEqual(FrameMath.wireDefaultFps("wan3.0-video"), Option.some(30))
    assert.deepStrictEqual(FrameMath.wireDefaultFps("seedance-2-0"), Option.some(24))
    assert.deepStrictEqual(FrameMath.wireDefaultFps(H3), Option.some(24))
    assert.isTrue(Option.isNone(FrameMath.wireDefaultFps(LTX)))
  })
})
