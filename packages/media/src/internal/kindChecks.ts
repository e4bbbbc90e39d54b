/**
 * The video and audio rule sets (checks and keyframe assembly) in one module, loaded by `Projects.prepare` on the first video or audio
 * project (a dynamic import), so that an image-only program never carries them.
 *
 * @internal
 */
import type { KindChecks } from "../JobRequestBuilder.js"
import { annotateVideo, applyAudio, applyVideo } from "./assembleKinds.js"
import { validateAudio } from "./validateAudio.js"
import { validateVideo } from "./validateVideo.js"

export const kindChecks: KindChecks = { validateVideo, validateAudio, applyVideo, applyAudio, annotateVideo }
