/**
 * `@effect-sogni/emulator`: a local Sogni Supernet for tests, demos and black-box clients.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Emulator from "./Emulator.js"
/** @since 0.1.0 */
export * as EmulatorControl from "./EmulatorControl.js"
/** @since 0.1.0 */
export * as Samples from "./Samples.js"
