/**
 * Durable workflows: what every workflow route shares (the account guard with decoded path parameters,
 * the JSON object body, the caller's workflow by id, paging and attribution readers).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { withAccount as guarded } from "../http/guard.js"
import { decodedParams, errorResponse, type Handler, objectBody } from "../http/response.js"
import type { AccountState, World } from "../state.js"
import type { WorkflowState } from "./state.js"

/** Runs `f` with the caller's account, the request and the decoded path parameters, or answers 401. @internal */
export const withAccount = (
  world: World,
  f: (
    account: AccountState,
    request: HttpServerRequest.HttpServerRequest,
    params: Readonly<Record<string, string | undefined>>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse>
): Handler => guarded(world, (account, request) => Effect.flatMap(decodedParams, (params) => f(account, request, params)))

/** Runs `f` with the request's JSON object body (`{}` when empty), or answers 400. @internal */
export const withBody = (
  request: HttpServerRequest.HttpServerRequest,
  f: (body: Record<string, unknown>) => Effect.Effect<HttpServerResponse.HttpServerResponse>
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.matchEffect(objectBody(request), { onFailure: Effect.succeed, onSuccess: f })

/** The caller's workflow with this id, if any. @internal */
export const ownWorkflow = (world: World, account: AccountState, id: string | undefined): WorkflowState | undefined => {
  const wf = id === undefined ? undefined : world.workflows.workflows.get(id)
  return wf !== undefined && wf.owner === account ? wf : undefined
}

/** The 404 of an unknown (or someone else's) workflow. @internal */
export const notFoundWorkflow = (id: string | undefined): HttpServerResponse.HttpServerResponse =>
  errorResponse(404, `Workflow ${id ?? ""} not found`, { errorCode: 4004 })

/** A paging parameter as an integer, `undefined` when absent or not a number. @internal */
export const intParam = (raw: string | null): number | undefined => {
  if (raw === null || raw.trim() === "") return undefined
  const n = Number(raw)
  return Number.isFinite(n) ? Math.floor(n) : undefined
}

/** The `X-App-Source` attribution header, if any. @internal */
export const attributionOf = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const v = request.headers["x-app-source"]
  return typeof v === "string" && v.length > 0 ? v : undefined
}
