// The same kind of program through the packages' deep imports (one module per concept, as the bench's
// start-up programs and the style guide use them): `@effect-sogni/media/Projects` rather than the index.
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as Media from "@effect-sogni/media/Media"
import * as Projects from "@effect-sogni/media/Projects"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

const setting = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value.length === 0) throw new Error(`${name} is not set`)
  return value
}

const options: SogniConfig.SogniSettingsInput = {
  appId: "e2e-deep-imports",
  apiKey: Redacted.make(setting("SOGNI_API_KEY")),
  restEndpoint: setting("SOGNI_REST_ENDPOINT"),
  socketEndpoint: setting("SOGNI_SOCKET_ENDPOINT")
}

const program = Effect.flatMap(Projects.Projects, (projects) =>
  projects.run({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a kite", numberOfMedia: 1, steps: 4 })).pipe(
    Effect.flatMap((jobs) => Console.log(`RESULT ${JSON.stringify({ urls: jobs.filter((job) => job.url !== undefined).length })}`)),
    Effect.provide(Media.layer(options))
  )

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
