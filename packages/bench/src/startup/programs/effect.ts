/**
 * The minimal image program on the Effect API (deep imports of `@effect-sogni/media`): one image project
 * run on `Media.layer`, its result URLs returned. `startup` bundles it (size) and imports the bundle in a
 * fresh process (cold import); `main` is not run.
 */
import * as Media from "@effect-sogni/media/Media"
import * as Projects from "@effect-sogni/media/Projects"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { ProgramOptions } from "./options.js"

export const main = (options: ProgramOptions): Promise<ReadonlyArray<string | undefined>> =>
  Effect.runPromise(
    Effect.flatMap(Projects.Projects, (projects) =>
      projects.run({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a lighthouse at dawn", numberOfMedia: 1 })).pipe(
        Effect.map((jobs) => jobs.map((job) => job.url)),
        Effect.provide(Media.layer({ ...options, apiKey: Redacted.make(options.apiKey), network: "fast" }))
      )
  )
