/**
 * `sogni.workflows` and `sogni.replay`: their code and the workflows service, loaded by the client on
 * the first workflow or replay call (see `lazyRuntime.ts`).
 */
import * as Workflows from "@effect-sogni/workflows/Workflows"
import { ReplayApi, type WorkflowsRequirements, WorkflowsApi } from "../WorkflowsApi.js"
import type { Runner } from "./runner.js"

/** The workflows service on the client's REST and config. */
export const layer = Workflows.layer()

/** `sogni.workflows` and `sogni.replay` on the group's runner. */
export const make = <R>(runner: Runner<R | WorkflowsRequirements>) => ({ workflows: new WorkflowsApi(runner), replay: new ReplayApi(runner) })

export { ReplayApi, WorkflowsApi }
