/**
 * The browser example: logs in (a browser WebSocket carries the session as a cookie, not an API key),
 * generates an image with a progress bar and shows it, then streams a chat answer into the page. The
 * outcome is written to `document.body.dataset.result` (JSON) for the Chromium test.
 *
 * Built by `build.mjs` (esbuild, platform browser); served with the emulator by `server.ts`.
 */
import { Chat } from "@effect-sogni/chat"
import { Media, Projects } from "@effect-sogni/media"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

const element = <E extends HTMLElement>(id: string) => document.getElementById(id) as E
const status = (text: string) => Effect.sync(() => (element("status").textContent = text))

// the page is served from the same origin as the platform (the emulator, through server.ts)
const params = new URLSearchParams(location.search)
const restEndpoint = params.get("rest") ?? location.origin
const socketEndpoint = params.get("socket") ?? location.origin.replace(/^http/, "ws")

const program = Effect.gen(function*() {
  yield* status("generating an image…")
  const projects = yield* Projects.Projects
  let progressEvents = 0
  const image = yield* projects.events({
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a lighthouse on a basalt cliff at dawn",
    numberOfMedia: 1,
    steps: 8
  }).pipe(
    Stream.tap((event) =>
      Effect.sync(() => {
        if (event._tag === "Progress") {
          progressEvents++
          element<HTMLProgressElement>("progress").value = event.percent
        }
      })
    ),
    Stream.filterMap((event) =>
      event._tag === "Completed" ? Option.fromNullable(event.results[0]?.url) : Option.none()
    ),
    Stream.runHead,
    Effect.flatten
  )
  const img = element<HTMLImageElement>("image")
  yield* Effect.async<void, Error>((resume) => {
    img.onload = () => resume(Effect.void)
    img.onerror = () => resume(Effect.fail(new Error(`the image did not load: ${image}`)))
    img.src = image
  })
  element<HTMLProgressElement>("progress").value = 100

  yield* status("streaming a chat answer…")
  const chat = yield* Chat.Chat
  const out = element("chat")
  let chunks = 0
  yield* chat.stream({
    model: "qwen3.6-35b-a3b-gguf-iq4xs",
    messages: [{ role: "user", content: "Describe a lighthouse at dawn in two sentences." }],
    tokenType: "spark"
  }).pipe(
    Stream.runForEach((chunk) =>
      Effect.sync(() => {
        if (chunk._tag === "TextDelta") {
          chunks++
          out.textContent += chunk.text
        }
      })
    )
  )
  yield* status("done")
  return { progressEvents, imageWidth: img.naturalWidth, chatChunks: chunks, chatText: out.textContent ?? "" }
})

const live = Chat.layer().pipe(Layer.provideMerge(Media.layer({
  appId: `browser-${crypto.randomUUID()}`,
  username: params.get("username") ?? "pixelfox",
  password: Redacted.make(params.get("password") ?? "sogni-dev-password"),
  restEndpoint,
  socketEndpoint
})))

Effect.runPromise(Effect.provide(program, live)).then(
  (result) => (document.body.dataset.result = JSON.stringify({ ok: true, ...result })),
  (error: unknown) => {
    element("status").textContent = `failed: ${String(error)}`
    document.body.dataset.result = JSON.stringify({ ok: false, error: String(error) })
  }
)
