/**
 * Signup next to the official client (5.54.0), both against one emulator over real loopback sockets:
 * `account.create` on each client, each new account then logged into by the *other* client (so the
 * wallet derivation and the EIP-712 signatures agree), the taken-username refusal, `getNonce`, typed
 * refusals of bad input; `setDeviceId` accepted and refused as on the official client. (The signature itself is checked against `ethers` in core's Signup.test.ts.)
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Wallet as CoreWallet } from "@effect-sogni/core"
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import * as Redacted from "effect/Redacted"
import { isInvalidRequestError, SogniClient } from "../src/index.js"
import { type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const config = (appId: string) => ({
  appId,
  network: "fast" as const,
  logLevel: "error" as const,
  restEndpoint: emulator.url,
  socketEndpoint: emulator.wsUrl,
  disableSocket: true as const
})

const stamp = () => Math.round(performance.now() * 1000).toString(36)

const statusOf = (e: unknown) => (e as { status?: unknown }).status

const errorCodeOf = (e: unknown) => (e as { payload?: { errorCode?: unknown } }).payload?.errorCode

describe("signup, adapter and official client side by side", () => {
  it("each client signs up an account the other can log into; taken names and bad input are refused", async () => {
    const suffix = stamp()
    const mine = { username: `ours_${suffix}`, email: `ours_${suffix}@example.test`, password: "a long passphrase 1", subscribe: false, turnstileToken: "turnstile-ok" }
    const theirs = { username: `theirs_${suffix}`, email: `theirs_${suffix}@example.test`, password: "a long passphrase 2", subscribe: true, turnstileToken: "turnstile-ok" }
    const adapter = await SogniClient.createInstance(config(`signup-adapter-${suffix}`))
    const official = await OfficialClient.createInstance(config(`signup-official-${suffix}`) as never)
    try {
      const created = await adapter.account.create(mine)
      const expectedAddress = CoreWallet.deriveWallet(mine.username, Redacted.make(mine.password)).address
      assert.deepStrictEqual(created, { username: mine.username, walletAddress: expectedAddress })
      const me = await adapter.account.me()
      assert.strictEqual(me.username, mine.username)
      assert.strictEqual(me.walletAddress, expectedAddress)
      assert.strictEqual(me.currentEmail, mine.email)
      assert.isTrue(adapter.currentAccount.isAuthenticated)

      const tokens = await official.account.create(theirs)
      assert.isString(tokens.token)
      assert.strictEqual((await official.account.me()).username, theirs.username)
      assert.strictEqual(official.account.getWallet(theirs.username, theirs.password).address, CoreWallet.deriveWallet(theirs.username, Redacted.make(theirs.password)).address)

      // each account logs in through the other client
      const officialLogin = await OfficialClient.createInstance(config(`signup-official-login-${suffix}`) as never)
      const adapterLogin = await SogniClient.createInstance(config(`signup-adapter-login-${suffix}`))
      try {
        assert.strictEqual((await officialLogin.account.login(mine.username, mine.password)).username, mine.username)
        assert.strictEqual((await officialLogin.account.me()).walletAddress, expectedAddress)
        assert.deepStrictEqual(await adapterLogin.account.login(theirs.username, theirs.password), { username: theirs.username })
        assert.strictEqual((await adapterLogin.account.me()).username, theirs.username)
      } finally {
        officialLogin.dispose()
        await adapterLogin.dispose()
      }

      // a taken name (any case) is the server's 108 on both clients (one after the other: a nonce is per
      // wallet, and the name's wallet is the same)
      const again = { ...mine, username: mine.username.toUpperCase(), email: `other_${suffix}@example.test` }
      const taken = [
        await adapter.account.create(again).catch((e: unknown) => e),
        await official.account.create(again).catch((e: unknown) => e)
      ]
      assert.deepStrictEqual(taken.map(errorCodeOf), [108, 108])
      // bad input never reaches the server
      for (const [patch, field] of [[{ email: "not-an-address" }, "email"], [{ username: " " }, "username"], [{ password: "" }, "password"], [{ turnstileToken: "" }, "turnstileToken"]] as const) {
        const refused = await adapter.account.create({ ...mine, ...patch }).catch((e: unknown) => e)
        assert.isTrue(isInvalidRequestError(refused), field)
        assert.strictEqual((refused as { field?: unknown }).field, field)
      }

      const nonces = await Promise.all([adapter.account.getNonce(expectedAddress), official.account.getNonce(expectedAddress)])
      for (const n of nonces) assert.match(n, /^[0-9a-f]{32}$/)
      assert.notStrictEqual(nonces[0], nonces[1], "a fresh nonce per request")
      const badNonce = await adapter.account.getNonce("0x12").catch((e: unknown) => e)
      assert.strictEqual((badNonce as { field?: unknown }).field, "walletAddress")
    } finally {
      await adapter.dispose()
      official.dispose()
    }
  }, 60_000)

  it("setDeviceId is accepted for a signed-in account and refused without one, on both clients", async () => {
    const suffix = stamp()
    const signedIn = { ...config(`device-${suffix}`), apiKey: emulator.apiKey }
    const adapter = await SogniClient.createInstance(signedIn)
    const official = await OfficialClient.createInstance(signedIn as never)
    const anonymous = await SogniClient.createInstance(config(`device-anon-${suffix}`))
    const officialAnonymous = await OfficialClient.createInstance(config(`device-anon-official-${suffix}`) as never)
    try {
      assert.deepStrictEqual(
        await Promise.all([adapter.account.setDeviceId(`device-${suffix}`), official.account.setDeviceId(`device-${suffix}`)]),
        [undefined, undefined]
      )
      const refused = await Promise.all([
        anonymous.account.setDeviceId("device-x").catch((e: unknown) => e),
        officialAnonymous.account.setDeviceId("device-x").catch((e: unknown) => e)
      ])
      for (const e of refused) assert.instanceOf(e, Error)
      // the official client sends an empty id and the server refuses it (400); the adapter refuses it first
      const [empty, theirEmpty] = [
        await adapter.account.setDeviceId(" ").catch((e: unknown) => e),
        await official.account.setDeviceId(" ").catch((e: unknown) => e)
      ]
      assert.isTrue(isInvalidRequestError(empty))
      assert.strictEqual((empty as { field?: unknown }).field, "deviceId")
      assert.strictEqual(statusOf(theirEmpty), 400)
    } finally {
      await adapter.dispose()
      official.dispose()
      await anonymous.dispose()
      officialAnonymous.dispose()
    }
  }, 30_000)
})
