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
 * @since 0.1.0
 */
export const layerServices = (options?: Projects.ProjectsOptions) =>
  Projects.layer(options).pipe(
    Layer.provideMerge(Models.layer),
    Layer.merge(Results.layer.pipe(Layer.provide(PlatformHttp.fetchLayer))),
    Layer.merge(SavedUploads.layer)
  )

/**
 * Core and media from settings given in code.
 *
 * @since 0.1.0
 */
export const layer = (
  input: SogniConfig.SogniSettingsInput = {},
  options?: Projects.ProjectsOptions
): Layer.Layer<Services | Sogni.Services> => layerServices(options).pipe(Layer.provideMerge(Sogni.layer(input)))
