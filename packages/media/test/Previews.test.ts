/**
 * Previews and WebP results through the media API against the emulator, over real loopback sockets:
 * `numberOfPreviews` turns into `Preview` events whose URLs download real images, and `outputFormat:
 * "webp"` yields real WebP bytes that our sniffer recognises.
 */
import { assert, describe, layer } from "@effect/vitest"
import { SogniRest } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Media, Projects, Sniff } from "../src/index.js"

const connect = (emulator: Emulator.Service) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId: `previews-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })
    ),
    (ctx) => ({ projects: Context.get(ctx, Projects.Projects), rest: Context.get(ctx, SogniRest.SogniRest) })
  )

describe("previews and WebP through the media API", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("numberOfPreviews: each job emits Preview events before its result, and their URLs are images", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, rest } = yield* connect(emulator)
        const events = Chunk.toReadonlyArray(
          yield* Stream.runCollect(projects.events({
            type: "image",
            modelId: "flux1-schnell-fp8",
            // [[slow]] paces the steps so each preview URL is minted before the next step lands.
            positivePrompt: "a paper boat on a puddle [[slow]]",
            numberOfMedia: 2,
            numberOfPreviews: 2,
            steps: 4,
            width: 256,
            height: 256,
            tokenType: "spark"
          }))
        )
        const previews = events.filter((e) => e._tag === "Preview")
        assert.strictEqual(previews.length, 4, "2 previews (steps 1 and 3 of 4) for each of 2 jobs")
        for (const jobIndex of [0, 1]) {
          const own = previews.filter((p) => p.jobIndex === jobIndex)
          assert.strictEqual(own.length, 2)
          assert.match(own[0]!.url, /\.preview-1\.png\?/)
          assert.match(own[1]!.url, /\.preview-3\.png\?/)
          const completedAt = events.findIndex((e) => e._tag === "JobCompleted" && e.result.jobIndex === jobIndex)
          assert.isTrue(own.every((p) => events.indexOf(p) < completedAt), "previews precede the job's result")
          for (const preview of own) {
            const bytes = yield* rest.getBytes(preview.url)
            assert.deepStrictEqual(Sniff.sniff(bytes), Option.some("image/png"))
          }
        }
        assert.strictEqual(events[events.length - 1]!._tag, "Completed")
      }))

    it.scoped("outputFormat webp: results are real WebP files", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, rest } = yield* connect(emulator)
        const [result] = yield* projects.run({
          type: "image",
          modelId: "flux1-schnell-fp8",
          positivePrompt: "a lantern in the snow",
          steps: 4,
          width: 320,
          height: 320,
          outputFormat: "webp",
          tokenType: "spark"
        })
        assert.match(result!.url!, /\.webp\?/)
        const bytes = yield* rest.getBytes(result!.url!)
        assert.deepStrictEqual(Sniff.sniff(bytes), Option.some("image/webp"))
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        assert.strictEqual(view.getUint32(4, true), bytes.length - 8, "the RIFF size covers the file")
        assert.include(["VP8 ", "VP8L", "VP8X"], String.fromCharCode(...bytes.subarray(12, 16)))
      }))
  })
})
