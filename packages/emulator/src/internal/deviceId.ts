/**
 * `POST /v1/account/device-id {deviceId}` (rest.md §3): associates an opaque host-application device id
 * with the signed-in account. A credential is required (401, 4021); `deviceId` must be a non-empty string
 * of at most 256 characters (400 naming the field). The latest id per account is kept and can be read
 * back with {@link deviceIdOf}.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readCredential } from "./auth.js"
import { errorResponse, ok, schemaBody } from "./http/response.js"
import type { World } from "./state.js"

const MAX_LENGTH = 256

const Body = Schema.Struct({ deviceId: Schema.String })

/** Device ids per world, by username. */
const stored = new WeakMap<World, Map<string, string>>()

/** The device id an account last set, if any. @internal */
export const deviceIdOf = (world: World, username: string): string | undefined => stored.get(world)?.get(username)

/** The device-id route. @internal */
export const deviceIdRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.post(
      "/v1/account/device-id",
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const credential = readCredential(world, request.headers)
        if (credential._tag !== "Valid") return errorResponse(401, "Authentication required", { errorCode: 4021 })
        const body = yield* Effect.either(schemaBody(Body, "Invalid request body (expected {deviceId: string})"))
        if (body._tag === "Left") return body.left
        const deviceId = body.right.deviceId.trim()
        if (deviceId.length === 0 || deviceId.length > MAX_LENGTH) {
          return errorResponse(400, `deviceId must be 1–${MAX_LENGTH} characters`, { errorCode: 4001 })
        }
        const byUser = stored.get(world) ?? new Map<string, string>()
        stored.set(world, byUser)
        byUser.set(credential.account.username, deviceId)
        return ok({})
      })
    )
  )
