/**
 * One program written against the provider-neutral services (`Generation`, `Chat`), run twice against
 * the emulator over real sockets: once with Sogni's layers, once with ZelAI's. Only the provided Layer
 * changes.
 */
import { Chat, type ChatChunk } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { Generation, Media } from "@effect-sogni/media"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Os from "node:os"
import * as Path from "node:path"
import { ZelaiChat, ZelaiClient, ZelaiGeneration } from "../src/index.js"

const Postcard = Schema.Struct({
  title: Schema.String.annotations({ description: "a short title" }),
  mood: Schema.String.annotations({ description: "one word" })
})

/** The program: nothing in it knows which platform runs it. */
const program = (dir: string) =>
  Effect.gen(function*() {
    const generation = yield* Generation.Generation
    const chat = yield* Chat.Chat
    const fs = yield* FileSystem.FileSystem

    const progress: Array<number> = []
    const events = Chunk.toArray(
      yield* generation.generate({
        type: "image",
        prompt: "a lighthouse on a basalt cliff at dusk",
        size: { width: 512, height: 512 },
        seed: 42
      }).pipe(
        Stream.tap((e) => Effect.sync(() => (e._tag === "JobProgress" ? progress.push(e.percent) : undefined))),
        Stream.runCollect
      )
    )
    const last = events[events.length - 1]!
    if (last._tag !== "Completed") return yield* Effect.dieMessage(`the project ended with ${last._tag}`)
    const path = Path.join(dir, `${generation.provider}.png`)
    const written = yield* generation.save(last.results[0]!, path)
    const saved = yield* fs.readFile(path)

    const chunks = Chunk.toArray(
      yield* chat.stream({
        model: "qwen3.6-35b-a3b-gguf-iq4xs",
        messages: [{ role: "system", content: "Answer briefly" }, { role: "user", content: "Describe a harbour at night" }]
      }).pipe(Stream.runCollect)
    )
    const text = chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")
    const finish = chunks.find((c): c is Extract<ChatChunk.ChatChunk, { _tag: "Finish" }> => c._tag === "Finish")

    const postcard = yield* chat.completeObject(
      { model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "Write a postcard about \"Lisbon\"" }] },
      Postcard
    )
    return {
      tags: events.map((e) => e._tag),
      progress,
      written,
      saved,
      deltas: chunks.filter((c) => c._tag === "TextDelta").length,
      text,
      finish,
      postcard: postcard.value
    }
  })

const sogniLayer = (emulator: Emulator.Service) =>
  Layer.mergeAll(Generation.layerSogni(), Chat.layer()).pipe(
    Layer.provideMerge(
      Media.layer({
        appId: `same-program-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })
    )
  )

const zelaiLayer = (emulator: Emulator.Service) =>
  Layer.mergeAll(ZelaiGeneration.layer, ZelaiChat.layer).pipe(
    Layer.provide(ZelaiClient.layer({ apiKey: Redacted.make(emulator.zelai.apiKey), baseUrl: emulator.url }))
  )

const PNG = [0x89, 0x50, 0x4e, 0x47]

describe("one program, two platforms", () => {
  it.scopedLive("the same program runs on Sogni and on ZelAI with only the Layer changed", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ directory: Os.tmpdir(), prefix: "same-program-" })

      const onSogni = yield* program(dir).pipe(Effect.provide(sogniLayer(emulator)))
      const onZelai = yield* program(dir).pipe(Effect.provide(zelaiLayer(emulator)))

      for (const [name, run] of [["sogni", onSogni], ["zelai", onZelai]] as const) {
        // an image with progress, saved to a file
        assert.isAbove(run.progress.length, 0, `${name}: progress`)
        assert.strictEqual(run.progress[run.progress.length - 1], 100, `${name}: progress reaches 100`)
        assert.include(run.tags, "JobCompleted", name)
        assert.strictEqual(run.tags[run.tags.length - 1], "Completed", name)
        assert.deepStrictEqual([...run.saved.slice(0, 4)], PNG, name)
        assert.strictEqual(run.saved.length, run.written, name)
        // a streamed chat
        assert.isAbove(run.deltas, 3, name)
        assert.match(run.text, /^You said: "Describe a harbour at night"\./, name)
        assert.isDefined(run.finish, name)
        assert.isAbove(run.finish!.usage.completion_tokens, 0, name)
        // a structured-output chat
        assert.strictEqual(run.postcard.title, "Lisbon", name)
        assert.isString(run.postcard.mood, name)
      }
      // each platform did the work: Sogni ran a project, ZelAI billed one image and two LLM calls
      assert.deepStrictEqual(emulator.zelai.billed().map((b) => b.operation), ["image", "llm", "llm"])
    }).pipe(
      Effect.provide(Layer.merge(Emulator.layer({ port: 0, speed: 4 }), NodeFileSystem.layer))
    ), 60_000)
})
