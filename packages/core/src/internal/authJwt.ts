/**
 * Reading (not verifying) JWT claims, as the official client does: only `exp` matters (socket.md §3.2).
 *
 * @internal
 */
import * as Option from "effect/Option"

const decodeBase64Url = (segment: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(segment)) return undefined
  const b64 = segment.replace(/-/g, "+").replace(/_/g, "/")
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4)
  try {
    if (typeof globalThis.Buffer === "function") return Buffer.from(padded, "base64").toString("utf8")
    const binary = atob(padded)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return new TextDecoder().decode(bytes)
  } catch {
    return undefined
  }
}

/** The JSON payload of a compact JWT (three base64url segments), unverified. */
export const jwtPayload = (token: string): Option.Option<Record<string, unknown>> => {
  const parts = token.split(".")
  if (parts.length !== 3) return Option.none()
  const text = decodeBase64Url(parts[1]!)
  if (text === undefined) return Option.none()
  try {
    const payload: unknown = JSON.parse(text)
    return typeof payload === "object" && payload !== null && !Array.isArray(payload)
      ? Option.some(payload as Record<string, unknown>)
      : Option.none()
  } catch {
    return Option.none()
  }
}

/** The `exp` claim of a JWT in epoch milliseconds. */
export const jwtExpiresAt = (token: string): Option.Option<number> =>
  Option.flatMap(jwtPayload(token), (p) =>
    typeof p.exp === "number" && Number.isFinite(p.exp) ? Option.some(p.exp * 1000) : Option.none())
