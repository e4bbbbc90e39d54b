/**
 * `@effect-sogni/zelai`: the ZelAI platform for Effect, and the layers that run the same media and chat
 * programs on it.
 *
 * @since 0.2.0
 */

/** @since 0.2.0 */
export * as ZelaiProtocol from "./ZelaiProtocol.js"
/** @since 0.2.0 */
export * as ZelaiError from "./ZelaiError.js"
/** @since 0.2.0 */
export * as ZelaiClient from "./ZelaiClient.js"
/** @since 0.2.0 */
export * as ZelaiChat from "./ZelaiChat.js"
/** @since 0.2.0 */
export * as ZelaiGeneration from "./ZelaiGeneration.js"
