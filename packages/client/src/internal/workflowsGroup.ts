/**
 * `sogni.workflows` and `sogni.replay`: their code and the workflows service, loaded by the client on
 * the first workflow or replay call (see `lazyRuntime.ts`).
 */
import * as Workflows from "@effect-sogni/workflows/Workflows"

/** The workflows service on the client's REST and config. */
export const layer = Workflows.layer()

export { ReplayApi, WorkflowsApi } from "../WorkflowsApi.js"
