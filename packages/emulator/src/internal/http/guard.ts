/**
 * The one account guard of the HTTP side: a route that needs a caller runs with the account its
 * credentials name (`api-key`, `Authorization`, the `authorization` cookie; see `auth.ts`), or answers
 * the 401 envelope (`errorCode` 4021): "Authentication required" without credentials, "Invalid API key
 * or token" with credentials that name nobody.
 *
 * @internal
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { readCredential } from "../auth.js"
import type { AccountState, World } from "../state.js"
import { errorResponse } from "./response.js"

/** The 401 envelope of a request without valid credentials. @internal */
export const unauthorized = (reason: "None" | "Invalid"): HttpServerResponse.HttpServerResponse =>
  errorResponse(401, reason === "None" ? "Authentication required" : "Invalid API key or token", { errorCode: 4021 })

/** Runs `f` with the caller's account and the request, or answers 401. @internal */
export const withAccount = <R = never>(
  world: World,
  f: (
    account: AccountState,
    request: HttpServerRequest.HttpServerRequest
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const credential = readCredential(world, request.headers)
    return credential._tag === "Valid"
      ? f(credential.account, request)
      : Effect.succeed(unauthorized(credential._tag))
  })
