import { assert, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ChatRequest, Vision } from "../src/index.js"
import { dataUri, jpeg, png } from "./util/fixtures.js"

const ruleOf = (e: Either.Either<void, { readonly field: string; readonly rule: string }>) =>
  Either.match(e, { onLeft: (x) => ({ field: x.field, rule: x.rule }), onRight: () => "ok" as const })

const imageMessage = (...urls: Array<string>): ChatRequest.ChatMessage => ({
  role: "user",
  content: [{ type: "text", text: "look" }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))]
})

describe("Vision", () => {
  it("accepts PNG and JPEG data URIs within 1024 px (image/jpg too)", () => {
    assert.strictEqual(ruleOf(Vision.validateImageUrl(dataUri("image/png", png(1024, 768)), "f")), "ok")
    assert.strictEqual(ruleOf(Vision.validateImageUrl(dataUri("image/jpeg", jpeg(640, 1024)), "f")), "ok")
    assert.strictEqual(ruleOf(Vision.validateImageUrl(dataUri("image/jpg", jpeg(10, 10)), "f")), "ok")
  })

  it("refuses wrong magic bytes, oversize sides, other types, bad base64 and remote URLs, naming the field", () => {
    expect(ruleOf(Vision.validateImageUrl(dataUri("image/png", jpeg(10, 10)), "f"))).toEqual({ field: "f", rule: "magic-bytes" })
    expect(ruleOf(Vision.validateImageUrl(dataUri("image/png", png(1025, 10)), "f"))).toEqual({ field: "f", rule: "dimensions" })
    expect(ruleOf(Vision.validateImageUrl(dataUri("image/webp", png(10, 10)), "f"))).toEqual({ field: "f", rule: "allowed-values" })
    expect(ruleOf(Vision.validateImageUrl("data:image/png;base64,@@@", "f"))).toEqual({ field: "f", rule: "format" })
    expect(ruleOf(Vision.validateImageUrl("https://cdn.sogni.ai/a.png", "f"))).toEqual({ field: "f", rule: "data-uri" })
    expect(ruleOf(Vision.validateImageUrl("http://example.com/a.png", "f"))).toEqual({ field: "f", rule: "trusted-host" })
  })

  it("refuses images over 10 MiB", () => {
    const big = new Uint8Array(Vision.limits.maxBytes + 1)
    big.set(png(10, 10))
    expect(ruleOf(Vision.validateImageUrl(dataUri("image/png", big), "f"))).toEqual({ field: "f", rule: "max-size" })
  })

  it("counts images across messages (at most 20) and reports the path of a bad one", () => {
    const ok = dataUri("image/png", png(8, 8))
    const twenty = [imageMessage(...Array(10).fill(ok)), imageMessage(...Array(10).fill(ok))]
    assert.strictEqual(ruleOf(Vision.validateMessages(twenty)), "ok")
    expect(ruleOf(Vision.validateMessages([...twenty, imageMessage(ok)]))).toEqual({ field: "messages", rule: "max-images" })
    expect(ruleOf(Vision.validateMessages([{ role: "system", content: "s" }, imageMessage(ok, dataUri("image/png", png(2000, 8)))])))
      .toEqual({ field: "messages[1].content[2].image_url.url", rule: "dimensions" })
  })

  it.effect("resolves trusted remote images to data URIs (type from magic bytes) and keeps detail", () =>
    Effect.gen(function*() {
      const fetched: Array<string> = []
      const messages: ReadonlyArray<ChatRequest.ChatMessage> = [{
        role: "user",
        content: [{ type: "image_url", image_url: { url: "https://cdn.sogni.ai/x.jpg", detail: "high" } }]
      }]
      const out = yield* Vision.resolveRemoteImages(messages, (url) =>
        Effect.sync(() => {
          fetched.push(url)
          return jpeg(100, 50)
        }))
      assert.deepStrictEqual(fetched, ["https://cdn.sogni.ai/x.jpg"])
      assert.deepStrictEqual(out[0]!.content, [{ type: "image_url", image_url: { url: dataUri("image/jpeg", jpeg(100, 50)), detail: "high" } }])
    }))

  it.effect("refuses untrusted hosts before downloading, and downloads that are too large", () =>
    Effect.gen(function*() {
      let calls = 0
      const fetchBytes = () => Effect.sync(() => (calls++, png(4000, 10)))
      const untrusted = yield* Effect.flip(Vision.resolveRemoteImages([imageMessage("https://user:pw@cdn.sogni.ai/a.png")], fetchBytes))
      assert.deepStrictEqual([untrusted.field, untrusted.rule, calls], ["messages[0].content[1].image_url.url", "trusted-host", 0])
      const tooBig = yield* Effect.flip(Vision.resolveRemoteImages([imageMessage("https://bucket.s3.amazonaws.com/a.png")], fetchBytes))
      assert.deepStrictEqual([tooBig.rule, calls], ["dimensions", 1])
    }))
})
