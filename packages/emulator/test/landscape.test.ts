/**
 * Pure tests of the renderer, the directive parser and size resolution.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { findModel } from "../src/internal/catalog.js"
import { encodeScene, renderSize } from "../src/internal/landscape.js"
import { parseDirectives, resolveSize } from "../src/internal/simulation.js"
import { pngInfo } from "./helpers.js"

describe("landscape renderer", () => {
  it.effect("is deterministic in prompt and seed and differs across them", () =>
    Effect.sync(() => {
      const a = encodeScene({ prompt: "a lighthouse", seed: 1, width: 96, height: 64 }, "png")
      const b = encodeScene({ prompt: "a lighthouse", seed: 1, width: 96, height: 64 }, "png")
      const c = encodeScene({ prompt: "a lighthouse", seed: 2, width: 96, height: 64 }, "png")
      const d = encodeScene({ prompt: "a desert", seed: 1, width: 96, height: 64 }, "png")
      assert.deepStrictEqual(a.bytes, b.bytes)
      assert.notDeepEqual(a.bytes, c.bytes)
      assert.notDeepEqual(a.bytes, d.bytes)
      assert.deepStrictEqual(pngInfo(a.bytes), { isPng: true, width: 96, height: 64 })
    }))

  it.effect("caps the longest edge at 1024, keeping the aspect ratio", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(renderSize(896, 1152), { width: 796, height: 1024 })
      assert.deepStrictEqual(renderSize(2048, 1024), { width: 1024, height: 512 })
      assert.deepStrictEqual(renderSize(512, 512), { width: 512, height: 512 })
    }))
})

describe("request parsing", () => {
  it.effect("extracts directives and strips them from the prompt", () =>
    Effect.sync(() => {
      const parsed = parseDirectives("[[slow]] a castle [[RETRY]] at dusk [[fail]][[drop]]")
      assert.deepStrictEqual(parsed.directives, { slow: true, fail: true, retry: true, drop: true })
      assert.strictEqual(parsed.clean, "a castle at dusk")
      assert.deepStrictEqual(parseDirectives("plain").directives, { slow: false, fail: false, retry: false, drop: false })
    }))

  it.effect("resolves presets, custom sizes and defaults, and rejects bad ones", () =>
    Effect.sync(() => {
      const flux = findModel("flux1-schnell-fp8")!
      assert.deepStrictEqual(resolveSize({ sizePreset: "landscape_7_4" }, flux), {
        width: 1344,
        height: 768,
        sizePreset: "landscape_7_4"
      })
      assert.deepStrictEqual(resolveSize({ sizePreset: "custom", width: 640, height: 480 }, flux), {
        width: 640,
        height: 480,
        sizePreset: "custom"
      })
      assert.deepStrictEqual(resolveSize({}, flux), { width: 1024, height: 1024, sizePreset: undefined })
      assert.isString(resolveSize({ sizePreset: "nope" }, flux))
      assert.isString(resolveSize({ sizePreset: "custom", width: 10, height: 10 }, flux))
    }))
})
