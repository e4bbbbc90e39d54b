/**
 * Contender "ours": `@effect-sogni/chat`'s `Chat.stream` on `Sogni.layer` (core's socket underneath),
 * consumed with `Stream.runForEach`, counting the `TextDelta`s and their characters. Done at `Finish`.
 *
 * argv: <json ContenderArgs>
 */
import { Chat } from "@effect-sogni/chat"
import { Sogni, SogniSocket } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { makeMeter, report } from "../child.js"
import type { ChatDetail, ContenderArgs } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args

const program = (meter: ReturnType<typeof makeMeter>) => Effect.gen(function*() {
  const socket = yield* SogniSocket.SogniSocket
  yield* socket.awaitAuthenticated
  meter.start()

  let deltas = 0
  let chars = 0
  let completionTokens = -1
  let chunks = 0
  // by tag: the official client yields one chunk per jobTokens frame, the last carrying the finish reason
  // and usage; this stream (the default: no `jobStates`) yields a TextDelta per text frame and, for the
  // closing frame with `llmJobResult`, one Finish (finish reason, usage, cost, worker)
  const byTag: Record<string, number> = {}
  yield* Chat.stream({
    model: plan.model,
    messages: [{ role: "user", content: plan.prompt }],
    // the whole reply: above the model's default output limit (raised for the bench in emulatorHost.ts)
    maxTokens: plan.tokens,
    tokenType: "spark"
  }).pipe(
    Stream.runForEach((chunk) =>
      Effect.sync(() => {
        chunks++
        byTag[chunk._tag] = (byTag[chunk._tag] ?? 0) + 1
        if (chunk._tag === "TextDelta") {
          deltas++
          chars += chunk.text.length
        } else if (chunk._tag === "Finish") {
          completionTokens = chunk.usage.completion_tokens
        }
      })
    )
  )
  const detail: ChatDetail = { deltas, chars, completionTokens }
  report(meter.stop("ours", chunks, { ...detail, byTag }))
})

const layer = Chat.layer().pipe(
  Layer.provideMerge(
    Sogni.layer({
      appId: args.appId,
      apiKey: Redacted.make(args.apiKey),
      restEndpoint: args.url,
      socketEndpoint: args.wsUrl,
      network: "fast"
    })
  )
)

// the meter (its baseline and heap watch) opens before the layer is built, as the official contender's opens
// before `createInstance`
Effect.runPromise(Effect.suspend(() => program(makeMeter()).pipe(Effect.provide(layer)))).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
