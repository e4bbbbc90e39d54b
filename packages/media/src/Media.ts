/**
 * The media package composed on top of core: models, projects and results.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Media, Projects } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const projects = yield* Projects.Projects
 *   return yield* projects.run({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a fox", numberOfMedia: 2 })
 * })
 *
 * Effect.runPromise(Effect.provide(program, Media.layer({ appId: "my-app", apiKey: Redacted.make("…") })))
 * ```
 *
 * @since 0.1.0
 */
import * as PlatformHttp from "@effect-sogni/core/PlatformHttp"
import * as Sogni from "@effect-sogni/core/Sogni"
import type * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Models from "./Models.js"
import * as Projects from "./Projects.js"
import * as Results from "./Results.js"
import * as SavedUploads from "./SavedUploads.js"

/** @since 0.1.0 */
export type Services = Models.Models | Projects.Projects | Results.Results | SavedUploads.SavedUploads

/**
 * Media services over core's services (which the caller provides).
 *
 * One layer that makes the four services in turn (models, then projects over them, results, saved
 * uploads) in one scope, rather than a graph of their four layers: each layer of a graph is memoised
 * when it is built (a `Deferred`, a child scope and its finalizers per layer) and each merge builds its
 * two sides in forked fibers, all of it garbage once the layer is up, but allocated while the program
 * starts and surviving into the old generation (about 40 objects per node). The services are the ones
 * each module's own layer provides, made by the same `make`.
 *
 * @since 0.1.0
 */
export function layerServices(options?: Projects.ProjectsOptions) {
  return Layer.scopedContext(Effect.gen(function*() {
    const models = yield* Models.make
    const projects = yield* Effect.provideService(Projects.make(options), Models.Models, models)
    const results = yield* Results.make
    const savedUploads = yield* Effect.flatMap(SogniRest.SogniRest, SavedUploads.fromRest)
    return Context.make(Models.Models, models).pipe(
      Context.add(Projects.Projects, projects),
      Context.add(Results.Results, results),
      Context.add(SavedUploads.SavedUploads, savedUploads)
    )
  })).pipe(Layer.provide(PlatformHttp.fetchLayer))
}

/**
 * Core and media from settings given in code.
 *
 * @since 0.1.0
 */
export function layer(
  input: SogniConfig.SogniSettingsInput = {},
  options?: Projects.ProjectsOptions
): Layer.Layer<Services | Sogni.Services> {
  return layerServices(options).pipe(Layer.provideMerge(Sogni.layer(input)))
}
