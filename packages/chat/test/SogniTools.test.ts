/**
 * Client-executable platform tools against the emulator: the mock LLM calls `generate_image` (it calls
 * a tool when the user turn names it; `[[minimal]]` makes it send only the required arguments, as a
 * terse model does), the image project really runs on the emulated Supernet, and the result URL goes
 * back to the model. Also: the streaming loop's tool events, invalid arguments as typed failures, the
 * generated-media indices, video and music projects, and failures fed back to the model.
 */
import { PlatformTools, Sogni } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import { Media, Projects } from "@effect-sogni/media"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Chat, type ChatChunk, type ChatRequest, SogniTools, Tool } from "../src/index.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"
const ask = (content: string): ChatRequest.ChatRequest => ({ model, messages: [{ role: "user", content }] })

let apps = 0

/** Chat and media over one core connected to the emulator. */
const servicesFor = (options: SogniTools.SogniToolsOptions = { tokenType: "spark" }) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const ctx = yield* Layer.build(
      Layer.merge(Chat.layer(), Media.layerServices()).pipe(
        Layer.provideMerge(
          Sogni.layer({
            appId: `sogni-tools-${++apps}`,
            apiKey: Redacted.make(emulator.apiKey),
            restEndpoint: emulator.url,
            socketEndpoint: emulator.wsUrl
          })
        )
      )
    )
    const sogni = yield* SogniTools.make(options).pipe(Effect.provide(ctx))
    return { chat: Context.get(ctx, Chat.Chat), sogni, ctx }
  })

const emulatorTest = (name: string, body: () => Effect.Effect<void, unknown, Emulator.Emulator | Scope.Scope>) =>
  it.scopedLive(name, () => Effect.scoped(body()).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 }))), 60_000)

const getTime = Tool.make("get_time", {
  description: "The current time in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, time: "14:05" })
})

const call = (name: string, args: unknown) => ({
  id: `call_${name}`,
  type: "function" as const,
  function: { name, arguments: JSON.stringify(args) }
})

const isToolEvent = <T extends "ToolCall" | "ToolResult">(tag: T) => (c: { readonly _tag: string }) => c._tag === tag

describe("SogniTools against the emulator", () => {
  emulatorTest("a chat turn calls generate_image, the project runs and its URL goes back to the model", () =>
    Effect.gen(function*() {
      const { chat, sogni } = yield* servicesFor()
      const answer = yield* chat.completeWithTools(
        ask("Please use generate_image to draw \"a red fox in the snow\" [[minimal]]"),
        Tool.toolkit(getTime, ...sogni.all)
      )
      assert.strictEqual(answer.rounds.length, 1)
      const round = answer.rounds[0]!
      assert.deepStrictEqual(round.completion.toolCalls.map((c) => c.function.name), ["generate_image"])
      assert.deepStrictEqual(JSON.parse(round.completion.toolCalls[0]!.function.arguments), { prompt: "a red fox in the snow" })
      const result = round.toolResults[0]!
      assert.isUndefined(result.error)
      const content = JSON.parse(result.content)
      assert.strictEqual(content.success, true)
      assert.strictEqual(content.media_type, "image")
      assert.strictEqual(content.prompt, "a red fox in the snow")
      assert.lengthOf(content.urls, 1)
      assert.match(content.urls[0], /^https?:\/\//)
      // the model sees the protocol's manifest entry
      assert.deepStrictEqual(sogni.generateImage.definition.function.parameters, PlatformTools.tool("generate_image").function.parameters)
      assert.strictEqual(content.model, "flux1-schnell-fp8")
      // the session recorded the result as image index 0
      const generated = yield* sogni.generated
      assert.lengthOf(generated.image, 1)
      assert.strictEqual(generated.image[0]!.url, content.urls[0])
      // the mock model answered from the tool message, which carried the URL
      assert.include(answer.text, content.urls[0])
      const toolMessage = answer.messages.find((m) => m.role === "tool")
      assert.strictEqual(toolMessage?.content, result.content)
    }))

  emulatorTest("the streaming loop emits the tool call before the image runs, then its result", () =>
    Effect.gen(function*() {
      const { chat, sogni } = yield* servicesFor()
      const chunks = Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          chat.streamWithTools(
            ask("Call generate_image and get_time for \"Lisbon\" [[minimal]]"),
            Tool.toolkit(getTime, sogni.generateImage)
          )
        )
      )
      const calls = chunks.filter(isToolEvent("ToolCall")) as ReadonlyArray<Extract<typeof chunks[number], { _tag: "ToolCall" }>>
      const results = chunks.filter(isToolEvent("ToolResult")) as ReadonlyArray<
        Extract<typeof chunks[number], { _tag: "ToolResult" }>
      >
      assert.deepStrictEqual(calls.map((c) => c.call.function.name).sort(), ["generate_image", "get_time"])
      assert.deepStrictEqual(results.map((r) => r.name).sort(), ["generate_image", "get_time"])
      const firstResult = chunks.findIndex(isToolEvent("ToolResult"))
      const lastCall = chunks.map((c) => c._tag).lastIndexOf("ToolCall")
      assert.isBelow(lastCall, firstResult)
      const image = results.find((r) => r.name === "generate_image")!
      assert.strictEqual(JSON.parse(image.content).success, true)
      assert.deepStrictEqual(JSON.parse(results.find((r) => r.name === "get_time")!.content), { city: "Lisbon", time: "14:05" })
      // then the second round streams the answer
      const after = chunks.slice(chunks.lastIndexOf(image) + 1)
      const text = after
        .filter((c): c is Extract<ChatChunk.ChatChunk, { _tag: "TextDelta" }> => c._tag === "TextDelta")
        .map((c) => c.text)
        .join("")
      assert.include(text, JSON.parse(image.content).urls[0])
    }))

  emulatorTest("invalid arguments go back to the model as a typed failure; no project runs", () =>
    Effect.gen(function*() {
      const { chat, sogni } = yield* servicesFor()
      const kit = Tool.toolkit(sogni.generateImage)
      const bad = yield* Tool.resolve(kit, call("generate_image", { prompt: "a fox", numberOfVariations: 40, style: "x" }), "return")
      assert.strictEqual(bad.error?.reason, "InvalidArguments")
      const cause = bad.error?.cause
      assert.isTrue(PlatformTools.isPlatformToolArgumentError(cause))
      if (PlatformTools.isPlatformToolArgumentError(cause)) {
        assert.strictEqual(cause.tool, "generate_image")
        assert.deepStrictEqual(cause.issues.map((i) => `${i.field}:${i.rule}`).sort(), [
          "numberOfVariations:maximum",
          "style:additionalProperties"
        ])
      }
      assert.deepStrictEqual(JSON.parse(bad.content), {
        success: false,
        error: "Invalid generate_image arguments: Unknown argument \"style\"; Argument \"numberOfVariations\" must be at most 16"
      })
      const missing = yield* Tool.resolve(kit, call("generate_image", { prompt: "" }), "return")
      assert.strictEqual(JSON.parse(missing.content).error, "Invalid generate_image arguments: Missing required argument \"prompt\"")
      assert.lengthOf((yield* sogni.generated).image, 0)

      // through a whole chat turn: a model that sends a number as the prompt (the definition it sees
      // is bent to make the mock do so; decoding and running stay the platform tool's)
      const sloppy: Tool.Tool = {
        ...sogni.generateImage,
        definition: {
          type: "function",
          function: {
            name: "generate_image",
            parameters: { type: "object", properties: { prompt: { type: "integer", minimum: 3, maximum: 3 } }, required: ["prompt"] }
          }
        }
      }
      const answer = yield* chat.completeWithTools(ask("Use generate_image please"), Tool.toolkit(sloppy))
      const result = answer.rounds[0]!.toolResults[0]!
      assert.deepStrictEqual(JSON.parse(answer.rounds[0]!.completion.toolCalls[0]!.function.arguments), { prompt: 3 })
      assert.strictEqual(result.error?.reason, "InvalidArguments")
      assert.strictEqual(result.error?.toolName, "generate_image")
      const refusal = result.error?.cause
      assert.isTrue(PlatformTools.isPlatformToolArgumentError(refusal) && refusal.field === "prompt" && refusal.rule === "type")
      assert.strictEqual(JSON.parse(result.content).error, "Invalid generate_image arguments: Argument \"prompt\" must be string")
      // the model read the refusal
      assert.include(answer.text, "must be string")
      assert.lengthOf((yield* sogni.generated).image, 0)
    }))

  emulatorTest("later calls address generated media by index; a missing index is a failure the model reads", () =>
    Effect.gen(function*() {
      const { sogni } = yield* servicesFor()
      const kit = Tool.toolkit(...sogni.all)
      const first = yield* Tool.resolve(kit, call("generate_image", { prompt: "a lighthouse", numberOfVariations: 2, seed: 7 }), "return")
      const firstContent = JSON.parse(first.content)
      assert.lengthOf(firstContent.urls, 2)
      // img2img from result 1
      const second = yield* Tool.resolve(
        kit,
        call("generate_image", { prompt: "the lighthouse at night", sourceImageIndex: 1, starting_image_strength: 0.6 }),
        "return"
      )
      assert.isUndefined(second.error)
      assert.strictEqual(JSON.parse(second.content).success, true)
      assert.lengthOf((yield* sogni.generated).image, 3)

      const missing = yield* Tool.resolve(kit, call("generate_image", { prompt: "x", sourceImageIndex: 9 }), "return")
      assert.strictEqual(missing.error?.reason, "HandlerFailed")
      assert.instanceOf(missing.error?.cause, SogniTools.SogniPlatformToolError)
      assert.strictEqual(
        JSON.parse(missing.content).error,
        "generate_image failed: sourceImageIndex 9: only 3 image result(s) generated so far"
      )
      const noUpload = yield* Tool.resolve(kit, call("edit_image", { prompt: "x" }), "return")
      assert.strictEqual(JSON.parse(noUpload.content).error, "edit_image failed: sourceImageIndex -1: no uploaded image at that index")
      const noAudio = yield* Tool.resolve(kit, call("sound_to_video", { prompt: "x" }), "return")
      assert.strictEqual(JSON.parse(noAudio.content).error, "sound_to_video failed: sound_to_video needs audioSourceIndex")
    }))

  emulatorTest("generate_video (text and image to video) and generate_music run as projects", () =>
    Effect.gen(function*() {
      const { sogni } = yield* servicesFor()
      const kit = Tool.toolkit(...sogni.all)
      const video = JSON.parse(
        (yield* Tool.resolve(kit, call("generate_video", { prompt: "waves at sunset", videoModel: "ltx23", duration: 2 }), "return")).content
      )
      assert.strictEqual(video.success, true, JSON.stringify(video))
      assert.strictEqual(video.media_type, "video")
      assert.strictEqual(video.model, "ltx23-22b-fp8_t2v_distilled")
      yield* Tool.resolve(kit, call("generate_image", { prompt: "a boat" }), "return")
      const i2v = JSON.parse(
        (yield* Tool.resolve(
          kit,
          call("generate_video", { prompt: "the boat sails", referenceImageIndices: [0], videoModel: "wan22", duration: 2 }),
          "return"
        )).content
      )
      assert.strictEqual(i2v.success, true, JSON.stringify(i2v))
      assert.strictEqual(i2v.model, "wan_v2.2-14b-fp8_i2v_lightx2v")
      const music = JSON.parse(
        (yield* Tool.resolve(kit, call("generate_music", { prompt: "calm piano", model: "turbo", duration: 10, bpm: 90 }), "return"))
          .content
      )
      assert.strictEqual(music.success, true, JSON.stringify(music))
      assert.strictEqual(music.media_type, "audio")
      assert.strictEqual(music.model, "ace_step_1.5_turbo")
      const generated = yield* sogni.generated
      assert.deepStrictEqual([generated.image.length, generated.video.length, generated.audio.length], [1, 2, 1])
      const r2v = yield* Tool.resolve(kit, call("generate_video", { prompt: "x", videoModel: "minimax-h3-r2v" }), "return")
      assert.strictEqual(
        JSON.parse(r2v.content).error,
        "generate_video failed: videoModel 'minimax-h3-r2v' (reference-to-video) needs hosted execution (chat runs)"
      )
      // v2v from video result 0 with a canny control: LTX 2.3 v2v (ControlNet) is preferred over Seedance
      const v2v = JSON.parse(
        (yield* Tool.resolve(kit, call("video_to_video", { prompt: "restyle", videoSourceIndex: 0, controlMode: "canny", duration: 5 }), "return"))
          .content
      )
      assert.strictEqual(v2v.success, true, JSON.stringify(v2v))
      assert.strictEqual(v2v.model, "ltx23-22b-fp8_v2v_distilled")
      // WAN 2.2 animate-move is served: the image drives the motion of video result 0
      const animate = JSON.parse(
        (yield* Tool.resolve(
          kit,
          call("video_to_video", { prompt: "dance", videoSourceIndex: 0, sourceImageIndex: 0, controlMode: "animate-move" }),
          "return"
        )).content
      )
      assert.strictEqual(animate.success, true, JSON.stringify(animate))
      assert.strictEqual(animate.model, "wan_v2.2-14b-fp8_animate-move_lightx2v")
    }))
  emulatorTest("interrupting a running tool cancels its project", () =>
    Effect.gen(function*() {
      const { ctx, sogni } = yield* servicesFor()
      const projects = Context.get(ctx, Projects.Projects)
      const kit = Tool.toolkit(sogni.generateImage)
      const fiber = yield* Effect.fork(Tool.resolve(kit, call("generate_image", { prompt: "a slow fox [[slow]]" }), "return"))
      // wait until the project is running
      const id = yield* projects.active.pipe(
        Effect.flatMap((ids) => (ids.length > 0 ? Effect.succeed(ids[0]!) : Effect.fail("none yet"))),
        Effect.retry(Schedule.spaced("10 millis").pipe(Schedule.upTo("10 seconds")))
      )
      const project = Option.getOrThrow(yield* projects.get(id))
      yield* Fiber.interrupt(fiber)
      const state = yield* project.state.pipe(
        Effect.filterOrFail((s) => s.status === "canceled", () => "not canceled yet"),
        Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds")))
      )
      assert.strictEqual(state.status, "canceled")
      assert.deepStrictEqual(yield* projects.active, [])
      assert.lengthOf((yield* sogni.generated).image, 0)
    }))
})
