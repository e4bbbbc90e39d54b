/**
 * The video and audio rule sets and those of the special image models (checks and keyframe assembly) in
 * one module, loaded by `Projects.prepare` on the first project that needs them (a dynamic import), so
 * that a program that renders other image models never carries them.
 *
 * `JobRequestBuilder` builds the same set for its synchronous `validate` / `build`. This module does not
 * import that one: a code-splitting bundler puts a module shared by the program and this chunk into a
 * chunk the program loads at start, so every rule set would travel with `JobRequestBuilder` again.
 *
 * @internal
 */
import type { KindChecks } from "../JobRequestBuilder.js"
import { annotateVideo, applyAudio, applyVideo } from "./assembleKinds.js"
import { applyGptImage, applyImageModel, validateImage } from "./imageModelRules.js"
import { validateAudio } from "./validateAudio.js"
import { validateVideo } from "./validateVideo.js"

export const kindChecks: KindChecks = {
  validateImage,
  applyImageModel,
  applyGptImage,
  validateVideo,
  validateAudio,
  applyVideo,
  applyAudio,
  annotateVideo
}
