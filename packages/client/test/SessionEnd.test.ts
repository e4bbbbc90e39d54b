/**
 * The client after the server closes its socket for good, against the official client on the same
 * emulator (its control API closes the connection with the code under test):
 *
 * - 4010 (`APP_ID_BLOCKED`), another 4xxx (4003) and 4021 (`AUTH_ERROR`) end the session: the official
 *   client clears its credential, so its account signs out (one `updated` with the connection, balance,
 *   identity, subscription and free-Spark fields, the e-mail kept) before `disconnected`, and every later
 *   call fails. The adapter's account reads the same, and its later calls are refused with the close's
 *   `AuthenticationError`.
 * - 4015 (another connection took the `appId`) and 1000 keep the credential: `disconnected`, the account
 *   disconnected with no network, still signed in; REST calls still work; the next project opens a new
 *   connection (announced by `connected` alone; after 4015 it takes the `appId` back).
 * - A new sign-in (`account.login`, `setTokens`) after 4010, 4021 or another 4xxx opens the socket at once
 *   (`connecting`, `connected`) and projects render again.
 * - `disconnected` carries the close frame's reason text as it came (empty when it had none; the client's
 *   own close, "Client disconnected", after a REST 401); a network drop emits none.
 * - A close frame without a status code (seen as 1005) is a drop both clients recover from.
 * - A project in flight at a later end for good (after a sign-in reopened the socket) is ended by that end:
 *   its promise rejects with the close's `AuthenticationError` (the adapter alone, on a slow emulator of its
 *   own; the official client's stays pending).
 * - Work accepted before a 4010 is not lost here: a finished project whose result URL failed to mint is
 *   minted after the close (core kept the credential), where the official client, left without one, is
 *   refused.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { isAuthenticationError, type Job, SogniClient } from "../src/index.js"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"
import { bothClients, loginTokens, settle, until } from "./parity.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

/** What either client exposes that these tests read (the official client's shapes). */
interface AnyClient {
  readonly apiClient: {
    readonly isAuthenticated: boolean
    on(event: string, f: (data: { code: number; reason: string }) => void): unknown
  }
  readonly account: {
    readonly currentAccount: {
      readonly isAuthenicated: boolean
      readonly networkStatus: string
      readonly email?: string | undefined
      readonly subscription?: unknown
      toJSON(): object
      on(event: "updated", f: (keys: Array<string>) => void): unknown
    }
    refreshBalance(): Promise<unknown>
  }
  readonly projects: {
    readonly availableModels: ReadonlyArray<unknown>
    on(event: "availableModels", f: (list: ReadonlyArray<unknown>) => void): unknown
    waitForModels(): Promise<unknown>
    create(params: unknown): Promise<{ waitForCompletion(): Promise<Array<string>>; on(e: string, f: (job: never) => void): unknown }>
  }
  dispose(): Promise<void> | void
}

const image = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a lantern", steps: 4, numberOfMedia: 1, tokenType: "spark" }

/** A client connected, its account read in full (e-mail, subscription), before the close. */
const connected = async (make: (c: Record<string, unknown>) => Promise<unknown>, appId: string): Promise<AnyClient> => {
  const sogni = (await make({ appId, logLevel: "silent", network: "fast", ...endpoints(emulator) })) as AnyClient
  await sogni.projects.waitForModels()
  const account = sogni.account.currentAccount
  await until(
    () => account.networkStatus === "connected" && account.email !== undefined && account.subscription !== undefined,
    `${appId}: the account read`
  )
  await settle()
  return sogni
}

/** The account as JSON (fields set to `undefined` dropped, as either client's `toJSON` may keep them). */
const plain = (sogni: AnyClient): Record<string, unknown> => JSON.parse(JSON.stringify(sogni.account.currentAccount.toJSON()))

const rejection = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e)

interface Seen {
  readonly events: ReadonlyArray<string>
  readonly availableModels: number
  readonly isAuthenticated: boolean
  readonly isAuthenicated: boolean
  readonly account: Record<string, unknown>
}

/** Closes `appId`'s connection with `code` and records what the client shows. */
const closeAndWatch = async (sogni: AnyClient, appId: string, code: number): Promise<Seen> => {
  const events: Array<string> = []
  sogni.account.currentAccount.on("updated", (keys) => events.push(`updated ${keys.join(",")}`))
  sogni.apiClient.on("disconnected", ({ code }) => events.push(`disconnected ${code}`))
  sogni.projects.on("availableModels", (list) => events.push(`availableModels ${list.length}`))
  await Effect.runPromise(emulator.service.control.dropConnection({ appId, code, reason: "closed by the test" }))
  await until(() => events.some((e) => e.startsWith("disconnected")), `${appId}: disconnected`)
  await settle()
  return {
    events: [...events],
    availableModels: sogni.projects.availableModels.length,
    isAuthenticated: sogni.apiClient.isAuthenticated,
    isAuthenicated: sogni.account.currentAccount.isAuthenicated,
    account: plain(sogni)
  }
}

describe("a close that ends the session", () => {
  for (const code of [4010, 4003, 4021]) {
    it(`${code}: the account signs out before disconnected and later calls are refused, as the official client`, async () => {
      const seen: Record<string, Seen> = {}
      const later: Record<string, { balance: unknown; create: unknown }> = {}
      for (const [label, make] of bothClients) {
        const appId = `session-end-${code}-${label}`
        const sogni = await connected(make, appId)
        try {
          seen[label] = await closeAndWatch(sogni, appId, code)
          later[label] = {
            balance: await rejection(sogni.account.refreshBalance()),
            create: await rejection(sogni.projects.create(image))
          }
        } finally {
          await sogni.dispose()
        }
      }
      const signedOut = [
        "updated networkStatus,network,balance,walletAddress,username,subscription,freeSparkLocked",
        "availableModels 0",
        `disconnected ${code}`
      ]
      assert.deepStrictEqual(seen["official"]!.events, signedOut)
      assert.deepStrictEqual(seen["adapter"]!.events, seen["official"]!.events)
      for (const label of ["official", "adapter"]) {
        assert.strictEqual(seen[label]!.availableModels, 0, `${label}: projects.availableModels`)
        assert.isFalse(seen[label]!.isAuthenticated, `${label}: apiClient.isAuthenticated`)
        assert.isFalse(seen[label]!.isAuthenicated, `${label}: currentAccount.isAuthenicated`)
      }
      // balances zero, no identity, subscription or network; the e-mail kept (the official client's defaults)
      assert.deepStrictEqual(seen["adapter"]!.account, seen["official"]!.account)
      assert.strictEqual(seen["adapter"]!.account["email"], "pixelfox@example.test")
      assert.strictEqual(seen["adapter"]!.account["network"], null)
      // the official client's later calls go out without a credential (a 401; a socket the server
      // refuses); the adapter refuses them with the close's error
      assert.strictEqual((later["official"]!.balance as { status?: number }).status, 401)
      assert.instanceOf(later["official"]!.create, Error)
      for (const what of ["balance", "create"] as const) {
        const error = later["adapter"]![what]
        assert.isTrue(isAuthenticationError(error), `adapter ${what}: ${String(error)}`)
        assert.strictEqual((error as { closeCode?: number }).closeCode, code)
      }
    })
  }
})

describe("a close that keeps the session", () => {
  for (const code of [4015, 1000]) {
    it(`${code}: disconnected, the account disconnected with no network and still signed in, and the next project reopens the socket, as the official client`, async () => {
      const seen: Record<string, Seen> = {}
      const balances: Record<string, unknown> = {}
      const reopened: Record<string, ReadonlyArray<string>> = {}
      for (const [label, make] of bothClients) {
        const appId = `session-kept-${code}-${label}`
        const sogni = await connected(make, appId)
        try {
          seen[label] = await closeAndWatch(sogni, appId, code)
          balances[label] = await sogni.account.refreshBalance()
          {
            // the next project reopens the socket (announced by `connected` alone; after 4015 it takes the
            // appId back from the connection that claimed it); the new connection pushes the models again
            const events: Array<string> = []
            for (const e of ["connecting", "connected", "disconnected"]) sogni.apiClient.on(e, () => events.push(e))
            const project = await sogni.projects.create(image)
            assert.strictEqual((await project.waitForCompletion()).length, 1, `${label}: a project after 1000`)
            await until(() => sogni.projects.availableModels.length > 0, `${label}: the models after reopening`)
            reopened[label] = events
          }
        } finally {
          await sogni.dispose()
        }
      }
      assert.deepStrictEqual(seen["official"]!.events, ["updated networkStatus,network", "availableModels 0", `disconnected ${code}`])
      assert.deepStrictEqual(seen["adapter"]!.events, seen["official"]!.events)
      for (const label of ["official", "adapter"]) {
        assert.strictEqual(seen[label]!.availableModels, 0, `${label}: projects.availableModels`)
        assert.isTrue(seen[label]!.isAuthenticated, `${label}: apiClient.isAuthenticated`)
        assert.isTrue(seen[label]!.isAuthenicated, `${label}: currentAccount.isAuthenicated`)
        assert.strictEqual(seen[label]!.account["networkStatus"], "disconnected")
        assert.strictEqual(seen[label]!.account["network"], null)
        assert.match(String(seen[label]!.account["walletAddress"]), /^0x[0-9a-fA-F]{40}$/)
        assert.isDefined((balances[label] as { spark?: unknown }).spark, `${label}: refreshBalance`)
      }
      assert.deepStrictEqual(reopened["official"], ["connected"])
      assert.deepStrictEqual(reopened["adapter"], reopened["official"])
      // the same account on both sides (the balances move with the projects other tests run)
      const { balance: _a, ...official } = seen["official"]!.account
      const { balance: _b, ...adapter } = seen["adapter"]!.account
      assert.deepStrictEqual(adapter, official)
    })
  }

  it("a close frame with no status code (1005) is a drop both clients reconnect from, signed in", async () => {
    const seen: Record<string, ReadonlyArray<string>> = {}
    for (const [label, make] of bothClients) {
      const appId = `session-no-code-${label}`
      const sogni = await connected(make, appId)
      try {
        const events: Array<string> = []
        for (const e of ["connecting", "connected", "disconnected"]) sogni.apiClient.on(e, () => events.push(e))
        await Effect.runPromise(emulator.service.control.dropConnection({ appId, withoutCode: true }))
        await until(() => events.includes("connected"), `${label}: the reconnection`, 10_000)
        seen[label] = events
        assert.isTrue(sogni.apiClient.isAuthenticated, `${label}: still signed in`)
        assert.isDefined(await sogni.account.refreshBalance())
      } finally {
        await sogni.dispose()
      }
    }
    assert.deepStrictEqual(seen["official"], ["connecting", "connected"])
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })
})

describe("signing in again after the session ended", () => {
  const cases = [[4010, "login"], [4021, "login"], [4003, "setTokens"]] as const
  for (const [code, how] of cases) {
    it(`${code}, then ${how}: the socket reopens at once and the next project renders, as the official client`, async () => {
      const { username, password } = emulator.service.accounts[0]!
      const tokens = () => loginTokens(emulator, { username, password }, `session-tokens-${code}-${Math.random()}`)
      const signIn = async (sogni: AnyClient) => {
        const s = sogni as unknown as {
          account: { login(u: string, p: string): Promise<unknown> }
          setTokens(t: { token: string; refreshToken: string }): Promise<void>
        }
        if (how === "login") await s.account.login(username, password)
        else await s.setTokens(await tokens())
      }
      const seen: Record<
        string,
        { events: ReadonlyArray<string>; results: number; models: boolean; isAuthenticated: boolean; account: Record<string, unknown> }
      > = {}
      for (const [label, make] of bothClients) {
        const appId = `session-again-${code}-${how}-${label}`
        const sogni = (await make({
          appId,
          authType: "token",
          logLevel: "silent",
          network: "fast",
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl
        })) as unknown as AnyClient
        try {
          await signIn(sogni)
          await sogni.projects.waitForModels()
          await until(() => sogni.account.currentAccount.networkStatus === "connected", `${label}: connected`)
          await settle()
          await closeAndWatch(sogni, appId, code)
          const events: Array<string> = []
          for (const e of ["connecting", "connected", "disconnected"]) sogni.apiClient.on(e, () => events.push(e))
          await signIn(sogni)
          // the sign-in opens the socket by itself (no send needed); a project then renders on it
          await until(() => events.includes("connected"), `${label}: the socket reopened after the ${how}`)
          const project = await sogni.projects.create(image)
          const results = (await project.waitForCompletion()).length
          await until(() => sogni.projects.availableModels.length > 0, `${label}: the models after reopening`)
          await settle()
          seen[label] = {
            events,
            results,
            models: sogni.projects.availableModels.length > 0,
            isAuthenticated: sogni.apiClient.isAuthenticated,
            account: plain(sogni)
          }
        } finally {
          await sogni.dispose()
        }
      }
      assert.deepStrictEqual(seen["official"]!.events, ["connecting", "connected"])
      assert.strictEqual(seen["official"]!.results, 1)
      const { balance: _a, ...official } = seen["official"]!.account
      const { balance: _b, ...adapter } = seen["adapter"]!.account
      assert.deepStrictEqual({ ...seen["adapter"]!, account: adapter }, { ...seen["official"]!, account: official })
      assert.strictEqual(adapter["networkStatus"], "connected")
      assert.isTrue(seen["adapter"]!.isAuthenticated)
      assert.isTrue(seen["adapter"]!.models)
    })
  }
})

describe("disconnected's reason", () => {
  it("is the server's close reason text as it came (empty when the close had none; the client's own close's text after a REST 401 or a logout), as the official client", async () => {
    type Case = { readonly name: string; readonly close: (appId: string, sogni: AnyClient) => Promise<unknown> }
    const drop = (options: Record<string, unknown>) => (appId: string) =>
      Effect.runPromise(emulator.service.control.dropConnection({ appId, ...options }))
    const cases: ReadonlyArray<Case> = [
      { name: "4010 with a reason", close: drop({ code: 4010, reason: "app id blocked by the test" }) },
      { name: "4021 with no reason", close: drop({ code: 4021, reason: "" }) },
      { name: "another 4xxx with the emulator's default reason", close: drop({ code: 4003 }) },
      { name: "4015", close: drop({ code: 4015, reason: "switched to a newer connection" }) },
      { name: "1000 from the server", close: drop({ code: 1000, reason: "maintenance" }) },
      {
        name: "a REST 401 (the client closes the socket)",
        close: async () => {
          await Effect.runPromise(emulator.service.control.failRest({ count: 1, status: 401, pathPrefix: "/v4/account/balance" }))
          return undefined
        }
      },
      {
        name: "a logout (the client closes the socket)",
        close: (_, sogni) => (sogni as unknown as { account: { logout(): Promise<void> } }).account.logout()
      }
    ]
    const seen: Record<string, Record<string, ReadonlyArray<unknown>>> = { official: {}, adapter: {} }
    for (const [label, make] of bothClients) {
      for (const [i, c] of cases.entries()) {
        const appId = `session-reason-${i}-${label}`
        const sogni = await connected(make, appId)
        try {
          const payloads: Array<unknown> = []
          sogni.apiClient.on("disconnected", (data) => payloads.push({ ...data }))
          await c.close(appId, sogni)
          if (c.name.startsWith("a REST 401")) await sogni.account.refreshBalance().catch(() => undefined)
          await until(() => payloads.length > 0, `${label} ${c.name}: disconnected`)
          await settle()
          seen[label]![c.name] = payloads
        } finally {
          await Effect.runPromise(emulator.service.control.clearFaults)
          await sogni.dispose()
        }
      }
    }
    assert.deepStrictEqual(seen["official"], {
      "4010 with a reason": [{ code: 4010, reason: "app id blocked by the test" }],
      "4021 with no reason": [{ code: 4021, reason: "" }],
      "another 4xxx with the emulator's default reason": [{ code: 4003, reason: "Closed by the emulator control API" }],
      "4015": [{ code: 4015, reason: "switched to a newer connection" }],
      "1000 from the server": [{ code: 1000, reason: "maintenance" }],
      "a REST 401 (the client closes the socket)": [{ code: 1000, reason: "Client disconnected" }],
      "a logout (the client closes the socket)": [{ code: 1000, reason: "Client disconnected" }]
    })
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })

  it("a network drop (no close frame) emits no disconnected in either client: both reconnect", async () => {
    const seen: Record<string, ReadonlyArray<string>> = {}
    for (const [label, make] of bothClients) {
      const appId = `session-reason-drop-${label}`
      const sogni = await connected(make, appId)
      try {
        const events: Array<string> = []
        sogni.apiClient.on("connected", () => events.push("connected"))
        sogni.apiClient.on("disconnected", (data) => events.push(`disconnected ${JSON.stringify(data)}`))
        await Effect.runPromise(emulator.service.control.dropConnection({ appId, abnormal: true }))
        await until(() => events.includes("connected"), `${label}: the reconnection`, 10_000)
        seen[label] = events
      } finally {
        await sogni.dispose()
      }
    }
    assert.deepStrictEqual(seen["official"], ["connected"])
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })
})

describe("work accepted before the session ended", () => {
  it("a finished project's result URL that failed to mint is minted after a 4010 (the official client, with no credential left, is refused)", async () => {
    const outcomes: Record<string, unknown> = {}
    for (const [label, make] of bothClients) {
      const appId = `session-accepted-${label}`
      const sogni = await connected(make, appId)
      try {
        // every mint fails until the session has ended: the project completes with no URL
        await Effect.runPromise(
          emulator.service.control.failRest({ count: 100_000, status: 503, pathPrefix: "/v1/image/downloadUrl", retryAfterSeconds: 0 })
        )
        const project = await sogni.projects.create(image)
        const jobs: Array<Job> = []
        project.on("jobCompleted", (job: never) => jobs.push(job))
        await project.waitForCompletion().catch(() => undefined)
        await until(() => jobs.length === 1, `${label}: the job`)
        await closeAndWatch(sogni, appId, 4010)
        await Effect.runPromise(emulator.service.control.clearFaults)
        assert.isNotOk(jobs[0]!.resultUrl, `${label}: no URL minted while the mints failed`)
        outcomes[label] = await jobs[0]!.getResultUrl().then((url) => url, (e: unknown) => e)
        if (label === "adapter") {
          // the project's result downloads too; a new call is refused
          const bytes = await jobs[0]!.getResultBytes()
          assert.deepStrictEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG")
          assert.isTrue(isAuthenticationError(await rejection(sogni.account.refreshBalance())))
        }
      } finally {
        await Effect.runPromise(emulator.service.control.clearFaults)
        await sogni.dispose()
      }
    }
    assert.instanceOf(outcomes["official"], Error)
    assert.match(String(outcomes["adapter"]), /\/_media\//)
  })
})

describe("a REST 401", () => {
  it("signs the account out and closes the socket (1000), as the official client", async () => {
    const seen: Record<string, { events: ReadonlyArray<string>; isAuthenticated: boolean; account: Record<string, unknown> }> = {}
    for (const [label, make] of bothClients) {
      const appId = `session-rest-401-${label}`
      const sogni = await connected(make, appId)
      try {
        const events: Array<string> = []
        sogni.account.currentAccount.on("updated", (keys) => events.push(`updated ${keys.join(",")}`))
        sogni.apiClient.on("disconnected", ({ code }) => events.push(`disconnected ${code}`))
        sogni.projects.on("availableModels", (list) => events.push(`availableModels ${list.length}`))
        await Effect.runPromise(emulator.service.control.failRest({ count: 1, status: 401, pathPrefix: "/v4/account/balance" }))
        const refused = await rejection(sogni.account.refreshBalance())
        // the official client's ApiError 401; the adapter's AuthenticationError (core maps a 401 to it)
        if (label === "official") assert.strictEqual((refused as { status?: number }).status, 401, String(refused))
        else assert.isTrue(isAuthenticationError(refused), String(refused))
        await until(() => events.some((e) => e.startsWith("disconnected")), `${label}: disconnected`)
        await settle()
        seen[label] = { events: [...events], isAuthenticated: sogni.apiClient.isAuthenticated, account: plain(sogni) }
      } finally {
        await Effect.runPromise(emulator.service.control.clearFaults)
        await sogni.dispose()
      }
    }
    assert.deepStrictEqual(seen["official"]!.events, [
      "updated networkStatus,network,balance,walletAddress,username,subscription,freeSparkLocked",
      "availableModels 0",
      "disconnected 1000"
    ])
    assert.deepStrictEqual(seen["adapter"], seen["official"])
    assert.isFalse(seen["adapter"]!.isAuthenticated)
  })
})

describe("the adapter's calls once the session ended", () => {
  it("every new call is refused with the close's error (chat, streams, lazily loaded groups, a network switch); a login lifts it", async () => {
    const appId = "session-end-calls"
    const sogni = await SogniClient.createInstance({ appId, logLevel: "silent", network: "fast", ...endpoints(emulator) })
    try {
      await sogni.projects.waitForModels()
      await closeAndWatch(sogni as unknown as AnyClient, appId, 4010)
      const refusals: Record<string, unknown> = {}
      refusals["hosted chat"] = await rejection(
        sogni.chat.hosted.create({ model: "qwen3.6-35b-a3b-gguf-iq4xs", messages: [{ role: "user", content: "hi" }] })
      )
      // a streamed completion (its first pull sends it on the socket, which the close ended)
      const completion = await sogni.chat.completions.create({
        model: "qwen3.6-35b-a3b-gguf-iq4xs",
        messages: [{ role: "user", content: "hi" }],
        stream: true
      })
      refusals["completion stream"] = await (async () => {
        for await (const _ of completion) return undefined
        return undefined
      })().catch((e: unknown) => e)
      // a run's event stream
      refusals["run events"] = await (async () => {
        for await (const _ of sogni.chat.runs.streamEvents("run_before_the_close")) return undefined
        return undefined
      })().catch((e: unknown) => e)
      refusals["workflows"] = await rejection(sogni.workflows.list())
      refusals["stats"] = await rejection(sogni.stats.leaderboard({ type: "renders" } as never))
      refusals["switchNetwork"] = await rejection(sogni.account.switchNetwork("relaxed"))
      for (const [what, error] of Object.entries(refusals)) {
        assert.isTrue(isAuthenticationError(error), `${what}: ${String(error)}`)
        assert.strictEqual((error as { closeCode?: number }).closeCode, 4010, what)
      }
      assert.strictEqual(sogni.currentAccount.networkStatus, "disconnected", "a refused switch leaves the status it found")
      // a new sign-in lifts the refusal
      const { username, password } = emulator.service.accounts[0]!
      await sogni.account.login(username, password)
      assert.isTrue(sogni.apiClient.isAuthenticated)
      assert.isDefined((await sogni.account.refreshBalance()).spark)
    } finally {
      await sogni.dispose()
    }
  })

  it("logout still resolves once the session ended, as the official client's", async () => {
    for (const [label, make] of bothClients) {
      const appId = `session-end-logout-${label}`
      const sogni = await connected(make, appId)
      try {
        await closeAndWatch(sogni, appId, 4010)
        await (sogni as unknown as { account: { logout(): Promise<void> } }).account.logout()
        assert.isFalse(sogni.apiClient.isAuthenticated, label)
        if (label === "adapter") {
          // with no credential left, a call fails for want of one
          const error = await rejection(sogni.account.refreshBalance())
          assert.isTrue(isAuthenticationError(error), String(error))
          assert.strictEqual((error as { reason?: string }).reason, "NotAuthenticated")
        }
      } finally {
        await sogni.dispose()
      }
    }
  })
})

describe("a project in flight at a second end for good", () => {
  // its own emulator, so slow that a [[slow]] step takes 12 s: only the end for good can settle the project
  let slow: RunningEmulator
  beforeAll(async () => {
    slow = await startEmulator({ speed: 0.05 })
  })
  afterAll(async () => {
    await slow?.stop()
  })

  it("4010, a login, a project, then 4021: the project's promise rejects with the close's error", async () => {
    const appId = "session-end-second-end"
    const sogni = await SogniClient.createInstance({ appId, logLevel: "silent", network: "fast", ...endpoints(slow) })
    const drop = (code: number) =>
      Effect.runPromise(slow.service.control.dropConnection({ appId, code, reason: `closed ${code}` }))
    try {
      await sogni.projects.waitForModels()
      const disconnected: Array<number> = []
      sogni.apiClient.on("disconnected", ({ code }) => disconnected.push(code))
      await drop(4010)
      await until(() => disconnected.includes(4010), "disconnected 4010")
      // a new sign-in reopens the socket; a project goes out on it and the server starts rendering it
      const { username, password } = slow.service.accounts[0]!
      await sogni.account.login(username, password)
      const project = await sogni.projects.create({
        type: "image",
        modelId: "flux1-schnell-fp8",
        positivePrompt: "a lantern that stays dark [[slow]]",
        steps: 8,
        numberOfMedia: 1,
        tokenType: "spark"
      })
      const outcome = rejection(project.waitForCompletion())
      await until(
        () => Effect.runSync(Effect.either(slow.service.control.getProject(project.id)))._tag === "Right",
        "the server received the project"
      )
      await drop(4021)
      // the close's AuthenticationError itself, as a project whose send the close refused (round 40: it was a
      // ProjectError naming it); the official client's promise stays pending (its projects wait for a
      // reconnect that does not come)
      const error = await outcome
      assert.isTrue(isAuthenticationError(error), String(error))
      const { closeCode, message } = error as { closeCode?: number; message: string }
      assert.strictEqual(closeCode, 4021, message)
      assert.include(message, "4021 (closed 4021)")
      assert.strictEqual(project.status, "failed")
      // the project's own error data still names the close
      assert.strictEqual(project.error?.code, 0)
      assert.include(project.error?.message, "SogniAuthenticationError")
      assert.include(project.error?.message, "4021 (closed 4021)")
      assert.notStrictEqual(Effect.runSync(slow.service.control.getProject(project.id)).status, "completed")
    } finally {
      await sogni.dispose()
    }
  })
})
