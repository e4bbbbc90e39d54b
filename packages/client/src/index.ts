/**
 * `@effect-sogni/client`: the effect-sogni SDK for code that does not use Effect, with the official
 * `@sogni-ai/sogni-client`'s ergonomics (same class, method, option and parameter names), so code
 * written for the official client ports by changing its import line.
 *
 * It is a thin layer: every call runs the Effect packages (`@effect-sogni/core`, `media`, `chat`) in one
 * `ManagedRuntime`; promises, event emitters and async iterators are only the surface.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { ApiClient, SogniClient } from "./SogniClient.js"
/** @since 0.1.0 */
export type { ClientEvents, SogniClientConfig } from "./SogniClient.js"
/** @since 0.1.0 */
export { Job, Project } from "./Project.js"
/** @since 0.1.0 */
export type { JobEventMap, ProjectEventMap } from "./Project.js"
/** @since 0.1.0 */
export { ProjectsApi } from "./ProjectsApi.js"
/** @since 0.1.0 */
export type { ProjectsApiEvents } from "./ProjectsApi.js"
/** @since 0.1.0 */
export { ChatApi, ChatStream } from "./ChatApi.js"
/** @since 0.1.0 */
export type { ChatApiEvents } from "./ChatApi.js"
/** @since 0.1.0 */
export { CreativeWorkflowTemplatesApi, parseCreativeWorkflowSseChunk, ReplayApi, WorkflowsApi } from "./WorkflowsApi.js"
/** The official client's name of {@link WorkflowsApi}. @since 0.1.0 */
export { WorkflowsApi as CreativeWorkflowsApi } from "./WorkflowsApi.js"
/** @since 0.1.0 */
export { Assets, PersonalLoras } from "./LorasApi.js"
/** The official client's name of the emitter base of its data classes. @since 0.1.0 */
export type { Emitter as DataEntity } from "./internal/emitter.js"
/** @since 0.1.0 */
export type { TemplatesApi } from "./WorkflowsApi.js"
/** @since 0.1.0 */
export { isSogniToolCall, parseToolCallArguments, SogniTools } from "./SogniTools.js"
/** @since 0.1.0 */
export { AccountApi, CurrentAccount } from "./AccountApi.js"
/** @since 0.1.0 */
export type { AccountData, AccountEvents, CurrentAccountEvents } from "./AccountApi.js"
/** @since 0.1.0 */
export { AnnouncementsApi } from "./AnnouncementsApi.js"
export { StatsApi } from "./StatsApi.js"
export type { LeaderboardItem, LeaderboardParams, LeaderboardType } from "./StatsApi.js"
/** @since 0.1.0 */
export type { CallOptions } from "./internal/runner.js"
/** @since 0.1.0 */
export type { Listener } from "./internal/emitter.js"
/** @since 0.1.0 */
export * from "./errors.js"
/** @since 0.1.0 */
export type * from "./types.js"
/** @since 0.1.0 */
export * from "./models.js"
