/**
 * `@effect-sogni/chat`: Sogni LLM chat over the Supernet socket for Effect — token streams with
 * reasoning split out, completions, structured output from Effect Schemas, client-side tools with a
 * resolution loop (streaming too), and vision input checks.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Chat from "./Chat.js"
/** @since 0.1.0 */
export * as ChatChunk from "./ChatChunk.js"
/** @since 0.1.0 */
export * as ChatError from "./ChatError.js"
/** @since 0.1.0 */
export * as ChatJob from "./ChatJob.js"
/** @since 0.1.0 */
export * as ChatRequest from "./ChatRequest.js"
/** @since 0.1.0 */
export * as ChatRuns from "./ChatRuns.js"
/** @since 0.1.0 */
export * as ChunkAccumulator from "./ChunkAccumulator.js"
/** @since 0.1.0 */
export * as HostedChat from "./HostedChat.js"
/** @since 0.1.0 */
export * as HostedChatError from "./HostedChatError.js"
/** @since 0.1.0 */
export * as ThinkSplitter from "./ThinkSplitter.js"
/** @since 0.1.0 */
export * as Tool from "./Tool.js"
/** @since 0.1.0 */
export * as Vision from "./Vision.js"
/** @since 0.1.0 */
export * as SogniTools from "./SogniTools.js"
/** @since 0.1.0 */
export * as AiLanguageModel from "./AiLanguageModel.js"
