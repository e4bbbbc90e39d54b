/**
 * `@effect-sogni/media`: image, video and audio projects as typed Effect Streams.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as MediaError from "./MediaError.js"
/** @since 0.1.0 */
export * as Projects from "./Projects.js"
/** @since 0.1.0 */
export * as ProjectState from "./ProjectState.js"
/** @since 0.1.0 */
export * as Params from "./Params.js"
/** @since 0.1.0 */
export * as FrameMath from "./FrameMath.js"
/** @since 0.1.0 */
export * as JobRequestBuilder from "./JobRequestBuilder.js"
/** @since 0.1.0 */
export * as Sniff from "./Sniff.js"
/** @since 0.1.0 */
export * as Models from "./Models.js"
/** @since 0.1.0 */
export * as Results from "./Results.js"
/** @since 0.1.0 */
export * as Media from "./Media.js"
/** @since 0.1.0 */
export * as SavedUploads from "./SavedUploads.js"
/** @since 0.2.0 */
export * as Generation from "./Generation.js"
/** @since 0.2.0 */
export * as Loras from "./Loras.js"
/** @since 0.1.0 */
export * as ProjectSync from "./ProjectSync.js"
