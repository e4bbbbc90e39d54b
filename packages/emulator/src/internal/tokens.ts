/**
 * Secrets the emulator mints and checks: HMAC-signed media URLs and HS256 JWTs (rest.md §3.1). The
 * signing key is random per emulator instance, so URLs and tokens from one run never work in another.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Crypto from "node:crypto"

/** A per-instance signer. @internal */
export interface Signer {
  readonly sign: (text: string) => string
  readonly verify: (text: string, signature: string) => boolean
}

/** @internal */
export const makeSigner = (key: Buffer = Crypto.randomBytes(32)): Signer => {
  const sign = (text: string) => Crypto.createHmac("sha256", key).update(text).digest("base64url")
  return {
    sign,
    verify: (text, signature) => {
      const expected = Buffer.from(sign(text))
      const given = Buffer.from(signature)
      return expected.length === given.length && Crypto.timingSafeEqual(expected, given)
    }
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")
const HEADER = b64url({ alg: "HS256", typ: "JWT" })

/** Claims the emulator writes into its tokens. @internal */
export interface TokenClaims {
  readonly sub: string
  readonly type: "access" | "refresh"
  readonly addr: string
  readonly env: string
  readonly iat: number
  readonly exp: number
  readonly jti: string
}

/** Issues a structurally valid JWT (three base64url segments, JSON payload with `exp`). @internal */
export const issueJwt = (signer: Signer, claims: TokenClaims): string => {
  const body = `${HEADER}.${b64url(claims)}`
  return `${body}.${signer.sign(body)}`
}

/** Verifies signature, shape and expiry; `undefined` when any check fails. @internal */
export const verifyJwt = (signer: Signer, token: string, nowMillis: number): TokenClaims | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  const [header, payload, signature] = parts as [string, string, string]
  if (!signer.verify(`${header}.${payload}`, signature)) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<TokenClaims>
    if (
      typeof claims.sub !== "string" || typeof claims.exp !== "number" ||
      (claims.type !== "access" && claims.type !== "refresh")
    ) return undefined
    if (claims.exp * 1000 <= nowMillis) return undefined
    return claims as TokenClaims
  } catch {
    return undefined
  }
}

/** Whether a string looks like a JWT at all (three dot-separated segments). @internal */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)

/** A random hex id. @internal */
export const randomHex = (bytes: number): string => Crypto.randomBytes(bytes).toString("hex")

/** A random 32-bit render seed, from the fiber's `Random` service (tests may provide a seeded one). @internal */
export const randomSeed: Effect.Effect<number> = Effect.map(Random.next, (n) => (n * 0xffffffff) >>> 0)
