/**
 * `@effect-sogni/sage`: local LLMs (Ollama, LM Studio) through the Sage Utils LLM API of a ComfyUI
 * server, for Effect — a typed client (status, models, prompts, text and vision generations, whole or
 * streamed, queued one at a time) and a `Chat` layer so programs written against Sogni's chat service
 * and `@effect/ai` run on a local model by changing only the Layer.
 *
 * @since 0.2.0
 */

/** @since 0.2.0 */
export * as SageChat from "./SageChat.js"
/** @since 0.2.0 */
export * as SageClient from "./SageClient.js"
/** @since 0.2.0 */
export * as SageError from "./SageError.js"
/** @since 0.2.0 */
export * as SageWire from "./SageWire.js"
