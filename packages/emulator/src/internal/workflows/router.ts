/**
 * Durable creative workflows (workflows.md): start from an inline plan or a saved template, a small engine
 * that runs the steps in order as hosted tools (media steps are real emulator projects), the event log
 * with its SSE stream, resume / reseed / cancel / confirm-cost, templates and replay records. State lives
 * in the world (`world.workflows`).
 *
 * Emulator rules (documented here because the protocol leaves them open):
 * - a plan whose estimate exceeds `COST_APPROVAL_THRESHOLD` capacity units and that was started without
 *   `confirm_cost: true` pauses in `waiting_for_user` (`cost_approval_required`) until
 *   `POST /confirm-cost`; an estimate above `max_estimated_capacity_units` is refused with 400;
 * - an account runs at most `MAX_ACTIVE_WORKFLOWS` unfinished workflows (409 beyond, `details` carries
 *   the counts);
 * - `ask_clarifying_question` steps pause in `waiting_for_user` until `POST /resume`;
 * - some steps failing while others produce → `partial_failure`; every step failing → `failed`; a step
 *   whose required dependency failed fails with `DEPENDENCY_FAILED`;
 * - `[[slow]]` / `[[fail]]` in any string argument slow down or fail that step.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import type { World } from "../state.js"
import { blob, getReplay, listReplay, writeReplay } from "./replay.js"
import { cancel, confirmCost, events, get, list, reseed, resume, start, streamEvents } from "./runs.js"
import {
  createTemplate,
  deleteTemplate,
  forkTemplate,
  getTemplate,
  listTemplates,
  updateTemplate
} from "./templates.js"

/**
 * The workflow, template and replay routes (templates before `:workflowId`, as workflows.md §1 requires).
 *
 * @internal
 */
export const workflowsRouter = (world: World) => {
  const base = "/v1/creative-agent/workflows"
  return HttpRouter.empty.pipe(
    HttpRouter.get(`${base}/templates`, listTemplates(world)),
    HttpRouter.post(`${base}/templates`, createTemplate(world)),
    HttpRouter.get(`${base}/templates/:templateId`, getTemplate(world)),
    HttpRouter.patch(`${base}/templates/:templateId`, updateTemplate(world)),
    HttpRouter.del(`${base}/templates/:templateId`, deleteTemplate(world)),
    HttpRouter.post(`${base}/templates/:templateId/fork`, forkTemplate(world)),
    HttpRouter.post(base, start(world)),
    HttpRouter.get(base, list(world)),
    HttpRouter.get(`${base}/:workflowId`, get(world)),
    HttpRouter.get(`${base}/:workflowId/events`, events(world)),
    HttpRouter.get(`${base}/:workflowId/events/stream`, streamEvents(world)),
    HttpRouter.post(`${base}/:workflowId/resume`, resume(world)),
    HttpRouter.post(`${base}/:workflowId/reseed`, reseed(world)),
    HttpRouter.post(`${base}/:workflowId/cancel`, cancel(world)),
    HttpRouter.post(`${base}/:workflowId/confirm-cost`, confirmCost(world))
  ).pipe(
    HttpRouter.post("/v1/replay/records", writeReplay(world)),
    HttpRouter.get("/v1/replay/records", listReplay(world)),
    HttpRouter.get("/v1/replay/records/:runId", getReplay(world)),
    HttpRouter.get("/_workflows/blobs/:blobId", blob(world))
  )
}
