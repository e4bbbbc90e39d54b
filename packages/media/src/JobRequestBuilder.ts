/**
 * From {@link Params.ProjectParams} to the `jobRequest` the Supernet expects (media.md §2–§3, §9–§11).
 *
 * - {@link validate} checks every rule that can be checked before anything is sent: the model's tier
 *   (sampler / scheduler lists, step and guidance ranges, video sizes and fps), size bounds, context
 *   image limits, assets per video workflow, vendor reference limits and HTTPS-only URLs, MiniMax H3's
 *   fixed rules, FlashVSR and audio ranges. A failure is a `SogniInvalidRequest` naming the field
 *   (dotted path) and the rule (`range`, `required`, `forbidden`, `allowed-values`, `https-only`,
 *   `max-count`, …).
 * - {@link build} validates, then produces the request exactly as the official client
 *   (`@sogni-ai/sogni-client` 5.54.0) does: the legacy template constants, the inverted starting-image
 *   strength, Comfy vs legacy sampler fields, `sizePreset: "custom"`, the 16 context-image flags, the
 *   per-asset content-type annotations, computed `frames`, and no key whose value is undefined.
 * - {@link uploadsFor} / {@link uploadPlan} list the input files to upload for the project id first,
 *   in the client's order (context images and H3 r2v reference sets in parallel, the rest one by one).
 *
 * @example
 * ```ts
 * import * as JobRequestBuilder from "@effect-sogni/media/JobRequestBuilder"
 * import { Protocol } from "@effect-sogni/core"
 *
 * const model = { id: "flux1-schnell-fp8", media: "image", tier: rawTiers["flux"] } as const
 * const request = JobRequestBuilder.build(
 *   { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a lighthouse", numberOfMedia: 2, steps: 4 },
 *   { projectId: Protocol.makeId(), model }
 * )
 * // Either.right({ jobID, keyFrames: [{ modelID: "flux1-schnell-fp8", steps: 4, … }], numberOfImages: 2, … })
 * ```
 *
 * @since 0.1.0
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import type { SogniInvalidRequest } from "@effect-sogni/core/SogniError"
import type * as Either from "effect/Either"
import type * as Params from "./Params.js"
import { annotateVideo, applyAudio, applyVideo } from "./internal/assembleKinds.js"
import { applyGptImage, applyImageModel, validateImage } from "./internal/imageModelRules.js"
import { type BuildContext, buildWith, type KindChecks, type ModelDescriptor, validateWith } from "./internal/jobRequests.js"
import { validateAudio } from "./internal/validateAudio.js"
import { validateVideo } from "./internal/validateVideo.js"

export {
  type BuildContext,
  buildWith,
  defaultsFor,
  type KindChecks,
  type ModelDefaults,
  type ModelDescriptor,
  type ModelOptions,
  needsKindChecks,
  normalize,
  optionsFor,
  type Upload,
  uploadPlan,
  uploadsFor
} from "./internal/jobRequests.js"

const staticKindChecks: KindChecks = {
  validateImage,
  applyImageModel,
  applyGptImage,
  validateVideo,
  validateAudio,
  applyVideo,
  applyAudio,
  annotateVideo
}

/**
 * Checks `params` against the model and its tier before anything is sent (see the module doc). The
 * params should already be decoded (`Params.decode`) or typed; the result is the normalized params.
 *
 * @since 0.1.0
 */
export function validate(
  params: Params.ProjectParams,
  model: ModelDescriptor
): Either.Either<Params.ProjectParams, SogniInvalidRequest> {
  return validateWith(params, model, staticKindChecks)
}

/**
 * Validates `params` against `context.model` and builds the `jobRequest` payload exactly as the
 * official client does (media.md §3). The `…ContentType` annotations of video and audio assets come
 * from `context.uploadedContentTypes`, else from sniffing the bytes.
 *
 * @since 0.1.0
 */
export function build(
  params: Params.ProjectParams,
  context: BuildContext
): Either.Either<Protocol.JobRequest, SogniInvalidRequest> {
  return buildWith(params, context, staticKindChecks)
}
