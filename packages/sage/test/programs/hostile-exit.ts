// Streams against a hostile server (HOSTILE_URL, started by test/HostileExit.test.ts), then returns: a hosted
// chat stream and a Sage stream that go silent (each fails with its idle timeout) and one of each that the
// program stops reading after three elements. Run with `node --import tsx`; it must exit on its own, which
// it cannot while a socket, timer or fiber of those streams is left behind.
import { HostedChat } from "@effect-sogni/chat"
import { SogniConfig, SogniRest } from "@effect-sogni/core"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { SageClient } from "../../src/index.js"

const url = process.env.HOSTILE_URL!
const ask = { model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user" as const, content: "hi" }] }

const program = Effect.gen(function*() {
  const hosted = yield* HostedChat.HostedChat
  const sage = yield* SageClient.make({ baseUrl: `${url}/api`, retry: false, idleTimeout: "200 millis" })
  const silentHosted = yield* Effect.flip(Stream.runDrain(hosted.stream(ask, { idleTimeout: "200 millis" })))
  const firstHosted = yield* Stream.runCollect(Stream.take(hosted.stream(ask), 3))
  const silentSage = yield* Effect.flip(Stream.runDrain(sage.generateStream({ model: "m", prompt: "p" })))
  const firstSage = yield* Stream.runCollect(Stream.take(sage.generateStream({ model: "m", prompt: "p" }), 3))
  console.log(`RESULT ${
    JSON.stringify({
      silentHosted: `${silentHosted._tag}:${"reason" in silentHosted ? silentHosted.reason : ""}`,
      firstHosted: firstHosted.length,
      silentSage: `${silentSage._tag}:${"reason" in silentSage ? silentSage.reason : ""}`,
      firstSage: firstSage.length
    })
  }`)
})

const layer = HostedChat.layer.pipe(
  Layer.provideMerge(SogniRest.layerFetch),
  Layer.provideMerge(SogniConfig.layer({
    appId: "hostile-exit",
    apiKey: Redacted.make("sk-live-hostile-exit-0123456789"),
    restEndpoint: url,
    socketEndpoint: "ws://socket.test:9000"
  })),
  Layer.merge(FetchHttpClient.layer)
)

Effect.runPromise(program.pipe(Effect.provide(layer)))
