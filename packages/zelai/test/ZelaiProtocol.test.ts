/**
 * The protocol module against the recorded reference frames (`fixtures/frames.json`): every server frame
 * decodes to what it is, results and refusals read as the reference documents them (both completion
 * shapes, A2), and the client writes exactly the reference's client frames for the same options (checked
 * on the emulator's receive log, over a real socket). Plus URL derivation and validation rules.
 */
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { ZelaiClient, ZelaiError, ZelaiProtocol } from "../src/index.js"

interface Fixture {
  readonly name: string
  readonly direction: "in" | "out"
  readonly expect?: ZelaiProtocol.ServerFrame["_tag"]
  readonly frame: { readonly type: string; readonly requestId?: string; readonly data?: Record<string, unknown> }
}

const fixtures: ReadonlyArray<Fixture> = JSON.parse(
  Fs.readFileSync(Path.join(Path.dirname(fileURLToPath(import.meta.url)), "fixtures", "frames.json"), "utf8")
).frames
const fixture = (name: string) => fixtures.find((f) => f.name === name)!
const decode = (name: string) => ZelaiProtocol.decodeServerFrame(JSON.stringify(fixture(name).frame))

describe("ZelaiProtocol", () => {
  it("every recorded server frame decodes to its kind", () => {
    const incoming = fixtures.filter((f) => f.direction === "in")
    assert.isAbove(incoming.length, 10)
    for (const f of incoming) assert.strictEqual(ZelaiProtocol.decodeServerFrame(JSON.stringify(f.frame))._tag, f.expect, f.name)
    assert.strictEqual(ZelaiProtocol.decodeServerFrame("{ nope")._tag, "Skip")
    assert.strictEqual(ZelaiProtocol.decodeServerFrame(JSON.stringify({ requestId: "r" }))._tag, "Skip")
  })

  it("results read in both completion shapes; refusals give their wait", () => {
    const nested = decode("complete_image")
    const flat = decode("complete_image_flat_seed_doc")
    assert(nested._tag === "Complete" && flat._tag === "Complete")
    const a = ZelaiProtocol.decodeResult(ZelaiProtocol.ImageResult, "image", nested.result)
    const b = ZelaiProtocol.decodeResult(ZelaiProtocol.ImageResult, "image", flat.result)
    assert(Either.isRight(a) && Either.isRight(b))
    assert.deepStrictEqual([a.right.width, a.right.height], [1344, 768])
    assert.strictEqual(b.right.imageId, "6f1c2d3e-0000-4000-8000-00000000a004")
    const llm = decode("complete_llm")
    assert(llm._tag === "Complete")
    const text = ZelaiProtocol.decodeResult(ZelaiProtocol.LlmResult, "llm", llm.result)
    assert(Either.isRight(text))
    assert.strictEqual(text.right.tokensUsed, text.right.promptTokens! + text.right.completionTokens!)
    const limits = decode("settings_response_rate_limits")
    assert(limits._tag === "SettingsResponse")
    assert(Either.isRight(ZelaiProtocol.decodeResult(ZelaiProtocol.RateLimits, "rateLimits", limits.data.rateLimits)))

    const rate = decode("rate_limited")
    assert(rate._tag === "Error")
    const now = Date.parse("2026-06-01T10:10:00.000Z")
    assert.deepStrictEqual(ZelaiError.waitOf(rate.error, now), { retryAfterMillis: 300_000, resetAt: "2026-06-01T10:15:00.000Z" })
    const busy = decode("concurrent_limited")
    assert(busy._tag === "Error")
    assert.strictEqual(ZelaiError.waitOf(busy.error, now).retryAfterMillis, 30_000)
    assert.strictEqual(ZelaiError.reasonOf("SOMETHING_NEW"), "Unknown")
  })

  it("the socket URL is the base with its scheme swapped and /ws/generation appended", () => {
    assert.deepStrictEqual(ZelaiProtocol.socketUrl("https://api.zelstudio.com:800"), Option.some("wss://api.zelstudio.com:800/ws/generation"))
    assert.deepStrictEqual(ZelaiProtocol.socketUrl("http://127.0.0.1:4000/"), Option.some("ws://127.0.0.1:4000/ws/generation"))
    assert.deepStrictEqual(ZelaiProtocol.socketUrl("ftp://x"), Option.none())
  })

  it("option rules name the field and the rule", () => {
    const rule = (e: Either.Either<void, { field: string; rule: string }>) => Either.isLeft(e) ? [e.left.field, e.left.rule] : []
    assert.deepStrictEqual(rule(ZelaiProtocol.validateImage({ prompt: "x", seed: -1 })), ["seed", "range"])
    assert.deepStrictEqual(rule(ZelaiProtocol.validateImage({ prompt: "x", height: 1.5 })), ["height", "integer"])
    assert.deepStrictEqual(rule(ZelaiProtocol.validateVideo({ imageId: "a", duration: 6.5 })), [])
    assert.deepStrictEqual(rule(ZelaiProtocol.validateEdit({ imageId: "", prompt: "x" })), ["imageId", "non-empty"])
    assert.deepStrictEqual(rule(ZelaiProtocol.validateLlm({ prompt: "x", memory: [1 as never] }, { stream: false, maxPromptLength: 10 })), ["memory", "type"])
    assert.deepStrictEqual(rule(ZelaiProtocol.validateImage({ prompt: "x", format: "banner" })), [])
    const key = ZelaiClient.resolve({ apiKey: Redacted.make("zelai_pk_x"), authTimeout: "0 millis" })
    assert(Either.isLeft(key))
    assert.deepStrictEqual([key.left.field, key.left.rule], ["authTimeout", "positive-duration"])
  })

  it.scopedLive("the client writes the reference's client frames", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const ctx = yield* Layer.build(ZelaiClient.layer({ apiKey: Redacted.make(emulator.zelai.apiKey), baseUrl: emulator.url }))
      const zelai = Context.get(ctx, ZelaiClient.ZelaiClient)
      const data = (name: string) => fixture(name).frame.data as never
      yield* Effect.all([
        Stream.runDrain(zelai.image(data("generate_image"))),
        Stream.runDrain(zelai.edit(data("generate_image_edit_dual"))),
        Stream.runDrain(zelai.video(data("generate_video"))),
        Stream.runDrain(zelai.upscale(data("generate_upscale"))),
        zelai.usage(14)
      ].map(Effect.either), { concurrency: "unbounded" })
      const { stream: _, ...llm } = fixture("generate_llm_stream").frame.data!
      yield* Stream.runDrain(zelai.llmStream(llm as never).pipe(Stream.take(1)))
      // the cancel the early end sends reaches the emulator on a later turn (later still under load)
      yield* Effect.repeat(Effect.sync(() => emulator.zelai.received().some((r) => r.type === "cancel")), {
        until: (seen) => seen,
        schedule: Schedule.spaced("20 millis")
      }).pipe(Effect.timeout("10 seconds"))
      const received = emulator.zelai.received()
      assert.deepStrictEqual(received[0], { type: "auth", requestId: undefined, data: { apiKey: "<redacted>" } })
      for (const name of ["generate_image", "generate_image_edit_dual", "generate_video", "generate_upscale", "generate_llm_stream", "get_usage"]) {
        const f = fixture(name).frame
        const sent = received.filter((r) => r.type === f.type && JSON.stringify(r.data) === JSON.stringify(f.data))
        assert.strictEqual(sent.length, 1, name)
        assert.match(sent[0]!.requestId!, /^req_\d+_[a-z0-9]+$/)
        assert.isAtMost(sent[0]!.requestId!.length, ZelaiProtocol.LIMITS.requestIdLength)
      }
      const llmId = received.find((r) => r.type === "generate_llm")!.requestId
      assert.deepStrictEqual(received.filter((r) => r.type === "cancel"), [{ type: "cancel", requestId: llmId, data: undefined }])
      assert.strictEqual(new Set(received.flatMap((r) => (r.requestId === undefined ? [] : [r.requestId]))).size, received.filter((r) => r.requestId !== undefined && r.type !== "cancel").length)
    }).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 }))), 30_000)
})
