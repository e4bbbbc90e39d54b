/**
 * The chat part of the demo: a streamed answer printed token by token, then one tool-calling turn in
 * which the model calls a local tool (`get_local_time`, defined with Effect Schema) and the
 * `generate_image` platform tool. The image project really runs; its file is saved under `./out/`.
 *
 * `runChatDemo` needs the chat and media services (and a file system); `demo.ts` provides them over
 * the embedded emulator. Against the emulator's mock LLM, `[[minimal]]` in the prompt makes the model
 * send only the required tool arguments, as a terse real model would.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Chat, SogniTools, Tool } from "@effect-sogni/chat"
import { Models, Projects, Results } from "@effect-sogni/media"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"

/** The LLM used when the network lists none (the emulator's default). */
const fallbackModel = "qwen3.6-35b-a3b-gguf-iq4xs"

const zones: Readonly<Record<string, string>> = {
  lisbon: "Europe/Lisbon",
  london: "Europe/London",
  paris: "Europe/Paris",
  "new york": "America/New_York",
  austin: "America/Chicago",
  tokyo: "Asia/Tokyo",
  sydney: "Australia/Sydney"
}

class UnknownCity extends Data.TaggedError("UnknownCity")<{ readonly message: string }> {}

/** A local tool: the wall-clock time in a known city, read from the system clock. */
const getLocalTime = Tool.make("get_local_time", {
  description: "The current local time in a city",
  parameters: Schema.Struct({ city: Schema.String.annotations({ description: "City name, e.g. Lisbon" }) }),
  handler: ({ city }) =>
    Effect.gen(function*() {
      const zone = zones[city.trim().toLowerCase()]
      if (zone === undefined) {
        return yield* new UnknownCity({ message: `no time zone known for ${city}; try one of ${Object.keys(zones).join(", ")}` })
      }
      const now = new Date(yield* Effect.clockWith((clock) => clock.currentTimeMillis))
      const time = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(now)
      return { city, timeZone: zone, time }
    })
})

const write = (text: string) => Effect.sync(() => process.stdout.write(text))

/**
 * Streams a chat answer, then runs a turn with a local tool and `generate_image`, saving the image.
 *
 * @since 0.1.0
 */
export const runChatDemo = Effect.gen(function*() {
  const chat = yield* Chat.Chat
  const models = yield* Models.Models
  const results = yield* Results.Results
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path

  const llms = yield* SubscriptionRef.get(models.llmModels)
  const model = [...llms].sort((a, b) => b.workers - a.workers)[0]?.id ?? fallbackModel
  yield* Console.log(`\nchat with ${model}`)

  // 1. a streamed answer, token by token
  yield* write("  > ")
  const question = "In one paragraph, what is a decentralized GPU network good for?"
  yield* Console.log(question)
  yield* write("  < ")
  const tokens = yield* chat.stream({ model, messages: [{ role: "user", content: question }], tokenType: "spark" }).pipe(
    Stream.runFoldEffect(0, (n, chunk) => chunk._tag === "TextDelta" ? Effect.as(write(chunk.text), n + 1) : Effect.succeed(n))
  )
  yield* Console.log(`\n  (${tokens} tokens streamed)`)

  // 2. a turn with a local tool and a platform tool
  const sogni = yield* SogniTools.make({ tokenType: "spark" })
  const request = "What time is it in \"Lisbon\"? Use get_local_time, then draw the city with generate_image. [[minimal]]"
  yield* Console.log(`\n  > ${request.replace(" [[minimal]]", "")}`)
  let answering = false
  // Result URLs are signed: show them without their query string.
  const unsigned = (text: string) => text.replace(/(https?:\/\/[^"\s?]+)\?[^"\s]*/g, "$1?…")
  yield* chat.streamWithTools(
    { model, messages: [{ role: "user", content: request }], tokenType: "spark" },
    Tool.toolkit(getLocalTime, sogni.generateImage)
  ).pipe(
    Stream.runForEach((chunk) => {
      switch (chunk._tag) {
        case "ToolCall":
          return Console.log(`  → ${chunk.call.function.name}(${chunk.call.function.arguments})`)
        case "ToolResult":
          return Console.log(`  ← ${chunk.name}: ${unsigned(chunk.content)}${chunk.error === undefined ? "" : ` [${chunk.error.reason}]`}`)
        case "TextDelta":
          return Effect.zipRight(answering ? Effect.void : write("  < "), Effect.sync(() => (answering = true))).pipe(
            Effect.zipRight(write(unsigned(chunk.text)))
          )
        default:
          return Effect.void
      }
    })
  )
  yield* Console.log("")

  const generated = yield* sogni.generated
  const outDir = path.resolve("out")
  yield* fs.makeDirectory(outDir, { recursive: true })
  let n = 0
  for (const image of generated.image) {
    const file = path.join(outDir, `demo-chat-image-${++n}.${image.outputFormat ?? "png"}`)
    const bytes = yield* results.save(image, file)
    yield* Console.log(`  saved ${path.relative(process.cwd(), file)} (${(bytes / 1024).toFixed(1)} KiB)`)
  }
  if (n === 0) yield* Console.log("  (the model did not generate an image)")
})

/** What {@link runChatDemo} needs. @since 0.1.0 */
export type ChatDemoServices =
  | Chat.Chat
  | Models.Models
  | Projects.Projects
  | Results.Results
  | FileSystem.FileSystem
  | Path.Path
