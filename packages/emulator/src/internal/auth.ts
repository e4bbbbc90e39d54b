/**
 * Credentials: an `api-key` header, a raw-JWT `Authorization` header, `Authorization: Bearer <key|jwt>`
 * or a cookie `authorization=<jwt>` (socket.md §3, §3.3a). Shared by the REST host and the WebSocket
 * upgrade.
 *
 * @internal
 */
import type { AccountState, World } from "./state.js"
import { verifyJwt } from "./tokens.js"

/** The outcome of reading a request's credentials. @internal */
export type Credential =
  | { readonly _tag: "None" }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "Valid"; readonly account: AccountState }

const header = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>, name: string) => {
  const v = headers[name]
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === "string" && s.trim().length > 0 ? s.trim() : undefined
}

const cookie = (cookieHeader: string | undefined, name: string): string | undefined => {
  if (cookieHeader === undefined) return undefined
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim()
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return undefined
}

/** Resolves a key or an access token to an account. @internal */
export const accountOfSecret = (world: World, secret: string): AccountState | undefined => {
  const byKey = world.accountsByApiKey.get(secret)
  if (byKey !== undefined) return byKey
  const claims = verifyJwt(world.signer, secret, Date.now())
  if (claims === undefined || claims.type !== "access" || world.revokedTokens.has(claims.jti)) return undefined
  return world.accountsByUsername.get(claims.sub)
}

/** Reads the credentials of a request (lower-case header names, as Node gives them). @internal */
export const readCredential = (
  world: World,
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
): Credential => {
  const apiKey = header(headers, "api-key")
  const authorization = header(headers, "authorization")
  const fromCookie = cookie(header(headers, "cookie"), "authorization")
  const secret = apiKey ?? (authorization?.replace(/^Bearer\s+/i, "")) ?? fromCookie
  if (secret === undefined || secret.length === 0) return { _tag: "None" }
  const account = accountOfSecret(world, secret)
  return account === undefined ? { _tag: "Invalid" } : { _tag: "Valid", account }
}
