/**
 * Username checks and on-chain wallet balances (rest.md §3.1, §3.3).
 *
 * - `POST /v1/account/username/validate {username}` (no credential): success with no data when the name
 *   is free; a name an account already has (compared case-insensitively) is refused with `errorCode`
 *   108; a name outside 3–30 letters, digits, `_`, `-` or `.` is a 400 naming the rule.
 * - `GET /v2/wallet/balance?walletAddress&provider`: the emulated chains. Every account's own wallet holds
 *   {@link SEEDED_WALLET} on each provider; any other well-formed address holds nothing.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readCredential } from "./auth.js"
import { errorResponse, ok } from "./http/response.js"
import type { World } from "./state.js"

/** On-chain holdings of an account's wallet, per provider (decimal strings). @internal */
export const SEEDED_WALLET = {
  base: { sogni: "1000.0", spark: "0.0", ether: "0.01" },
  etherlink: { sogni: "250.0", spark: "0.0", ether: "0.0" }
} as const

const EMPTY_WALLET = { sogni: "0.0", spark: "0.0", ether: "0.0" } as const
const USERNAME = /^[A-Za-z0-9_.-]{3,30}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

const ValidateBody = Schema.Struct({ username: Schema.String })

const validate = (world: World) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(ValidateBody)),
      Effect.map(({ username }) => {
        const name = username.trim()
        if (!USERNAME.test(name)) {
          return errorResponse(400, "username must be 3–30 letters, digits, '_', '-' or '.'", { errorCode: 4001 })
        }
        const taken = [...world.accountsByUsername.keys()].some((u) => u.toLowerCase() === name.toLowerCase())
        return taken ? errorResponse(400, `Username ${name} is already taken`, { errorCode: 108 }) : ok(undefined)
      }),
      Effect.catchAll(() => Effect.succeed(errorResponse(400, "Invalid request body: expected {username: string}")))
    ))

const walletBalance = (world: World) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    if (readCredential(world, request.headers)._tag !== "Valid") {
      return errorResponse(401, "Authentication required", { errorCode: 4021 })
    }
    const url = new URL(request.url, "http://emulator.invalid")
    const address = url.searchParams.get("walletAddress") ?? ""
    const provider = url.searchParams.get("provider") ?? "base"
    if (!ADDRESS.test(address)) return errorResponse(400, `walletAddress must be a 0x-prefixed 20-byte hex address (got ${address})`)
    if (provider !== "base" && provider !== "etherlink") return errorResponse(400, `provider must be base or etherlink (got ${provider})`)
    const owned = world.accountsByWallet.has(address.toLowerCase())
    return ok(owned ? SEEDED_WALLET[provider] : EMPTY_WALLET)
  })

/** The username-check and wallet-balance routes. @internal */
export const accountChecksRouter = (world: World) =>
  HttpRouter.empty.pipe(
    HttpRouter.post("/v1/account/username/validate", validate(world)),
    HttpRouter.get("/v2/wallet/balance", walletBalance(world))
  )
