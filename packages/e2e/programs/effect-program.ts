// An Effect program as a user writes it against the published packages: one image, then a streamed chat.
import { Chat } from "@effect-sogni/chat"
import { Media, Projects } from "@effect-sogni/media"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

const setting = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value.length === 0) throw new Error(`${name} is not set`)
  return value
}

const program = Effect.gen(function*() {
  const projects = yield* Projects.Projects
  const images = yield* projects.run({
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a red kite over a green hill",
    numberOfMedia: 1,
    steps: 4
  })
  const image = images[0]?.url === undefined ? undefined : yield* Effect.promise(() => fetch(images[0]!.url!))
  const bytes = image === undefined ? 0 : (yield* Effect.promise(() => image.arrayBuffer())).byteLength

  const chat = yield* Chat.Chat
  const tokens = yield* chat.stream({
    model: "qwen3.6-35b-a3b-gguf-iq4xs",
    messages: [{ role: "user", content: "Name three kinds of kite." }],
    tokenType: "spark"
  }).pipe(Stream.runFold("", (text, chunk) => chunk._tag === "TextDelta" ? text + chunk.text : text))
  yield* Console.log(`RESULT ${JSON.stringify({ images: images.length, bytes, textLength: tokens.length })}`)
})

const live = Chat.layer().pipe(Layer.provideMerge(Media.layer({
  appId: "e2e-effect-program",
  apiKey: Redacted.make(setting("SOGNI_API_KEY")),
  restEndpoint: setting("SOGNI_REST_ENDPOINT"),
  socketEndpoint: setting("SOGNI_SOCKET_ENDPOINT")
})))

Effect.runPromise(Effect.provide(program, live)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
