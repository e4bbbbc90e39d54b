/**
 * Helpers of the tests that run one scenario through the official client and through the adapter on the
 * same emulator and compare what each shows.
 */
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { assert } from "@effect/vitest"
import { SogniClient } from "../src/index.js"

/** The two clients, each made with the same options (the adapter accepts the official ones). */
export const bothClients = [
  ["official", (c: Record<string, unknown>) => OfficialClient.createInstance(c as never)],
  ["adapter", (c: Record<string, unknown>) => SogniClient.createInstance(c as never)]
] as const

/** Polls `check` every 25 ms until it holds; fails the test naming `what` after `ms`. */
export async function until(check: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  assert.fail(`timed out waiting for ${what}`)
}

/** Lets frames in flight land (a fixed real pause, for asserting that something did not happen). */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 300))
}

/**
 * The tokens a login to `emulator` hands out, read with the official client (its login returns them), for
 * the scenarios that sign in with `setTokens`.
 */
export async function loginTokens(
  emulator: { readonly url: string; readonly wsUrl: string },
  account: { readonly username: string; readonly password: string },
  appId: string
): Promise<{ readonly token: string; readonly refreshToken: string }> {
  const official = await OfficialClient.createInstance({
    appId,
    logLevel: "silent",
    network: "fast",
    disableSocket: true,
    restEndpoint: emulator.url,
    socketEndpoint: emulator.wsUrl
  } as never)
  try {
    const login = await official.account.login(account.username, account.password)
    return { token: login.token, refreshToken: login.refreshToken }
  } finally {
    official.dispose()
  }
}
