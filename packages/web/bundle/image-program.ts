// A minimal image program, bundled into one file by Bundle.test.ts and run from an empty folder.
import { Media, Projects } from "@effect-sogni/media"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

const program = Effect.gen(function*() {
  const projects = yield* Projects.Projects
  const results = yield* projects.run({
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a bundled lighthouse",
    numberOfMedia: 1,
    steps: 4
  })
  console.log(`RESULT ${JSON.stringify({ images: results.length, url: results[0]?.url ?? null })}`)
})

Effect.runPromise(Effect.provide(program, Media.layer({
  appId: "bundle-image-program",
  apiKey: Redacted.make(process.env.SOGNI_API_KEY ?? ""),
  restEndpoint: process.env.SOGNI_REST_ENDPOINT!,
  socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT!
}))).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
