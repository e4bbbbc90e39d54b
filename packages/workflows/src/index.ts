/**
 * `@effect-sogni/workflows`: Sogni durable creative workflows, workflow templates and replay records as
 * typed Effects, with a resumable event `Stream`.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Workflow from "./Workflow.js"
/** @since 0.1.0 */
export * as WorkflowError from "./WorkflowError.js"
/** @since 0.1.0 */
export * as WorkflowPlan from "./WorkflowPlan.js"
/** @since 0.1.0 */
export * as Workflows from "./Workflows.js"
