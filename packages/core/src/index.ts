/**
 * `@effect-sogni/core`: the Sogni Supernet protocol, socket and REST services for Effect.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Protocol from "./Protocol.js"
/** @since 0.1.0 */
export * as SogniConfig from "./SogniConfig.js"
/** @since 0.1.0 */
export * as SogniError from "./SogniError.js"
/** @since 0.1.0 */
export * as Wallet from "./Wallet.js"
/** @since 0.1.0 */
export * as SogniSocket from "./SogniSocket.js"
/** @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"
/** @since 0.1.0 */
export * as SogniAuth from "./SogniAuth.js"
/** @since 0.1.0 */
export * as SogniRest from "./SogniRest.js"
/** @since 0.1.0 */
export * as SogniAccount from "./SogniAccount.js"
/** @since 0.1.0 */
export * as Sogni from "./Sogni.js"
/** @since 0.1.0 */
export * as PlatformTools from "./PlatformTools.js"
/** @since 0.2.0 */
export * as PlatformToolNames from "./PlatformToolNames.js"
/** @since 0.1.0 */
export * as Subscriptions from "./Subscriptions.js"
/** @since 0.1.0 */
export * as Announcements from "./Announcements.js"
/** @since 0.1.0 */
export * as Rewards from "./Rewards.js"
/** @since 0.2.0 */
export * as Sniff from "./Sniff.js"
/** @since 0.2.0 */
export * as LlmModels from "./LlmModels.js"
/** @since 0.2.0 */
export * as Sse from "./Sse.js"
/** @since 0.2.0 */
export * as BoundedBody from "./BoundedBody.js"
/** @since 0.1.0 */
export * as Attribution from "./Attribution.js"
/** @since 0.1.0 */
export * as AccountChecks from "./AccountChecks.js"
/** @since 0.1.0 */
export * as Stats from "./Stats.js"
/** @since 0.2.0 */
export * as SkipWarnings from "./SkipWarnings.js"
/** @since 0.2.0 */
export * as ParseIssues from "./ParseIssues.js"
/** @since 0.2.0 */
export * as AnswerKind from "./AnswerKind.js"
/** @since 0.2.0 */
export * as SubscriptionRefs from "./SubscriptionRefs.js"
