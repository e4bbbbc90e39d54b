/**
 * The ZelAI part of the demo: the same provider-neutral services as the Sogni part, provided by ZelAI's
 * layers over the embedded emulator's `/ws/generation`.
 *
 * 1. An image through `Generation` (progress shown as it comes), saved under `./out/`.
 * 2. That image upscaled 2× (the earlier result is the reference image), saved too.
 * 3. A chat answer through `Chat`, streamed token by token.
 * 4. The key's rate limits and usage afterwards, as typed values.
 *
 * `runZelaiDemo` needs the emulator (for its URL and dev key) and a file system; `demo.ts` provides them.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Chat } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { Generation, type ProjectState } from "@effect-sogni/media"
import { ZelaiChat, ZelaiClient, ZelaiGeneration } from "@effect-sogni/zelai"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

const bar = (percent: number) => {
  const filled = Math.round(percent / 5)
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}] ${String(Math.round(percent)).padStart(3)}%`
}

/** Runs one generation, printing its progress, and returns its results. */
const generate = (label: string, request: Generation.GenerationRequest) =>
  Effect.gen(function*() {
    const generation = yield* Generation.Generation
    let last = -1
    const events = yield* generation.generate(request).pipe(
      Stream.tap((e) => {
        if (e._tag !== "Progress" || e.percent === last) return Effect.void
        last = e.percent
        return Console.log(`  ${label.padEnd(12)} ${bar(e.percent)}`)
      }),
      Stream.runLast
    )
    if (events._tag === "None" || events.value._tag !== "Completed") {
      const why = events._tag === "Some" && events.value._tag === "Failed" ? events.value.error.message : "no result"
      return yield* Effect.dieMessage(`${label} did not complete: ${why}`)
    }
    return events.value.results as ReadonlyArray<ProjectState.JobResult>
  })

const save = (result: ProjectState.JobResult, name: string) =>
  Effect.gen(function*() {
    const generation = yield* Generation.Generation
    const path = yield* Path.Path
    const fs = yield* FileSystem.FileSystem
    const outDir = path.resolve("out")
    yield* fs.makeDirectory(outDir, { recursive: true })
    const file = path.join(outDir, name)
    const bytes = yield* generation.save(result, file)
    yield* Console.log(`  ${path.relative(process.cwd(), file).padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`)
  })

const program = Effect.gen(function*() {
  yield* Console.log("\n--- ZelAI: the same services, another platform ---")
  const [image] = yield* generate("image", {
    type: "image",
    prompt: "a lighthouse on a basalt cliff at dusk, watercolor",
    size: { width: 768, height: 512 },
    seed: 4242
  })
  yield* save(image!, "zelai-image.png")
  const [upscaled] = yield* generate("upscale 2×", { type: "upscale", scale: 2, referenceImages: [Generation.fromResult(image!)] })
  yield* save(upscaled!, "zelai-upscale-2x.png")

  const chat = yield* Chat.Chat
  yield* Console.log("\n  chat (streamed):")
  process.stdout.write("  ")
  yield* chat.stream({
    model: "zelai",
    messages: [{ role: "system", content: "Answer in two sentences" }, { role: "user", content: "What makes a harbour feel calm at night?" }]
  }).pipe(
    Stream.runForEach((chunk) => Effect.sync(() => (chunk._tag === "TextDelta" ? process.stdout.write(chunk.text) : undefined)))
  )
  process.stdout.write("\n")

  const zelai = yield* ZelaiClient.ZelaiClient
  const limits = yield* zelai.rateLimits
  const usage = yield* zelai.usage(1)
  yield* Console.log(
    `\n  rate limits: ${limits.map((l) => `${l.operation} ${l.remainingDaily ?? "?"} left today`).join(", ")}`
  )
  yield* Console.log(`  usage today: ${usage.summary.total} requests, ${usage.summary.totalTokens} LLM tokens`)
})

/**
 * The ZelAI demo over the embedded emulator.
 */
export const runZelaiDemo = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const client = ZelaiClient.layer({ apiKey: Redacted.make(emulator.zelai.apiKey), baseUrl: emulator.url })
  yield* program.pipe(
    Effect.provide(Layer.mergeAll(ZelaiGeneration.layer, ZelaiChat.layer).pipe(Layer.provideMerge(client)))
  )
})
