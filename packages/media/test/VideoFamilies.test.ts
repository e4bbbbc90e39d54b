/**
 * The newer video families through our media API against the emulator, over real loopback sockets:
 * each estimate equals what the project is charged, the results are MP4s with the frame counts the
 * family's frame math implies (media.md §10.2.2), and vendor jobs without steps still report rising
 * progress up to 100.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Emulator, Samples } from "@effect-sogni/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Projects } from "../src/index.js"
import { connect, mp4Frames, sparkBalance } from "./videoHarness.js"

const cases: ReadonlyArray<readonly [string, () => Record<string, unknown>, number]> = [
  ["HappyHorse t2v, 3 s at 24 fps", () => ({ modelId: "happyhorse-1.1-t2v", duration: 3 }), 73],
  ["Wan 3 t2v, 2 s at 30 fps", () => ({ modelId: "wan3.0-video", duration: 2, ratio: "16:9" }), 61],
  ["MiniMax H3 t2v Turbo, 6 s on the 124 + 17k grid", () => ({ modelId: "minimax-h3-fl2va-fp8_t2v_turbo", duration: 6, width: 672, height: 384 }), 141],
  ["LTX 2.3 a2v, 2 s at 24 fps with a WAV", () => ({
    modelId: "ltx23-22b-fp8_a2v_distilled",
    duration: 2,
    fps: 24,
    referenceAudio: Samples.wav({ seconds: 3 })
  }), 49]
]

describe("video families through the media API", () => {
  layer(Emulator.layer({ port: 0, speed: 4 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    for (const [name, make, frames] of cases) {
      it.scoped(`${name}: charged as estimated, ${frames} frames`, () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator.Emulator
          const { models, projects, rest } = yield* connect(emulator, "families")
          const params = {
            type: "video",
            network: "fast",
            positivePrompt: "a kite over the dunes",
            numberOfMedia: 1,
            tokenType: "spark",
            ...make()
          } as Projects.Input & Record<string, unknown>
          const quote = yield* models.estimate(params as never)
          const before = yield* sparkBalance(emulator)
          const events = Chunk.toReadonlyArray(yield* Stream.runCollect(projects.events(params)))
          const done = events[events.length - 1]!
          assert(done._tag === "Completed")
          const percents = events.flatMap((e) => (e._tag === "Progress" ? [e.percent] : []))
          assert.isAbove(percents.length, 1, "progress is reported")
          assert.deepStrictEqual(percents, [...percents].sort((a, b) => a - b))
          assert.strictEqual(percents[percents.length - 1], 100)
          const charged = before - (yield* sparkBalance(emulator))
          assert.closeTo(charged, Number(quote.spark), 1e-3)
          const data = yield* rest.getBytes(done.results[0]!.url!)
          assert.strictEqual(mp4Frames(data), frames)
        }))
    }
  })
})
