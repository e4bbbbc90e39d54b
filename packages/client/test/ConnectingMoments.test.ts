/**
 * When `connecting` fires, against the official client on the same emulator over real loopback sockets:
 *
 * - A sign-in that opens the socket (`account.login`, `account.create`, `setTokens`; the first one, one
 *   after the server ended the session with 4010, 4021 or another 4xxx, one after a logout): the official
 *   client emits `connecting` from its auth manager's `updated`, before the sign-in's promise resolves,
 *   then `connected`. Recorded here: both clients' events with the promise's resolution among them.
 * - A drop the client recovers from (no close frame, a close 1001, a close frame without a code): the
 *   official client emits `connecting` as soon as it schedules the reconnect attempt, in the turn in
 *   which its account turns `connecting` and a backoff delay (~1 s) before the attempt starts. Recorded
 *   here: both clients' events, and those already emitted one event-loop turn after the account turned
 *   `connecting` (no clock is read: the attempt comes a backoff delay later, long after that turn).
 *   Neither client emits `disconnected` for such a drop.
 * - A reconnect attempt that fails (the upgrade refused with a 503 by a relay in front of the emulator):
 *   one more `connecting` as the next attempt is scheduled, then `connected`, in both clients.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createServer, type IncomingMessage } from "node:http"
import { type AddressInfo, connect, type Socket } from "node:net"
import type { Duplex } from "node:stream"
import { endpoints, type RunningEmulator, startEmulator } from "./emulator.js"
import { bothClients, loginTokens, settle, until } from "./parity.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

/** What either client exposes that these tests use (the official client's shapes). */
interface AnyClient {
  readonly apiClient: { on(event: string, f: (data: unknown) => void): unknown }
  readonly account: {
    readonly currentAccount: { readonly networkStatus: string; on(event: "updated", f: (keys: Array<string>) => void): unknown }
    login(username: string, password: string): Promise<unknown>
    create(params: Record<string, unknown>): Promise<unknown>
  }
  readonly projects: { waitForModels(): Promise<unknown> }
  setTokens(tokens: { token: string; refreshToken: string }): Promise<void>
  dispose(): Promise<void> | void
}

/** Records the connection events of `sogni`, in order, into the returned list. */
const connectionEvents = (sogni: AnyClient): Array<string> => {
  const events: Array<string> = []
  for (const e of ["connecting", "connected", "disconnected"]) sogni.apiClient.on(e, () => events.push(e))
  return events
}

const stamp = () => Math.round(performance.now() * 1000).toString(36)

describe("connecting after a sign-in", () => {
  type How = "login" | "create" | "setTokens"
  // [how the session before the sign-in ended (a server's close code, a logout; none: the first
  // sign-in), how it signs in]
  const cases: ReadonlyArray<readonly [number | "logout" | undefined, How]> = [
    [undefined, "login"],
    [4010, "login"],
    [4021, "create"],
    [4003, "setTokens"],
    ["logout", "login"]
  ]
  for (const [code, how] of cases) {
    const name = code === undefined ? `the first ${how}` : `${code === "logout" ? "a logout" : code}, then ${how}`
    it(`${name}: connecting before the promise resolves, then connected, as the official client`, async () => {
      const { username, password } = emulator.service.accounts[0]!
      const tokens = () => loginTokens(emulator, { username, password }, `moments-tokens-${stamp()}`)
      const signIn = async (sogni: AnyClient, label: string): Promise<unknown> => {
        if (how === "login") return sogni.account.login(username, password)
        if (how === "setTokens") {
          const t = await tokens()
          return sogni.setTokens(t)
        }
        const suffix = `${label.slice(0, 3)}_${stamp()}`
        return sogni.account.create({
          username: `moment_${suffix}`,
          email: `moment_${suffix}@example.test`,
          password: "a long passphrase 3",
          subscribe: false,
          turnstileToken: "turnstile-ok"
        })
      }
      const seen: Record<string, ReadonlyArray<string>> = {}
      for (const [label, make] of bothClients) {
        const appId = `moments-${code ?? "first"}-${how}-${label}`
        const sogni = (await make({
          appId,
          authType: "token",
          logLevel: "silent",
          network: "fast",
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl
        })) as unknown as AnyClient
        try {
          if (code !== undefined) {
            // signed in and connected, then the server ends the session
            await sogni.account.login(username, password)
            await sogni.projects.waitForModels()
            await until(() => sogni.account.currentAccount.networkStatus === "connected", `${label}: connected`)
            const ended = connectionEvents(sogni)
            if (code === "logout") await (sogni as unknown as { account: { logout(): Promise<void> } }).account.logout()
            else await Effect.runPromise(emulator.service.control.dropConnection({ appId, code, reason: "closed by the test" }))
            await until(() => ended.includes("disconnected"), `${label}: disconnected after ${code}`)
            await settle()
          }
          const events = connectionEvents(sogni)
          // pushed where the sign-in's promise resolves (a `then` of its own, ahead of any later turn)
          await signIn(sogni, label).then(() => {
            events.push("resolved")
          })
          await until(() => events.includes("connected"), `${label}: connected after the ${how}`)
          await settle()
          seen[label] = events
        } finally {
          await sogni.dispose()
        }
      }
      const official = seen["official"]!
      // the official client's order; where `connected` falls next to the resolution is a race between its
      // socket's handshake and the sign-in's last REST call (`setTokens` reads the account after
      // connecting), so the comparison leaves it out
      assert.deepStrictEqual(official.filter((e) => e !== "resolved"), ["connecting", "connected"])
      assert.deepStrictEqual(official.filter((e) => e !== "connected"), ["connecting", "resolved"])
      assert.deepStrictEqual(seen["adapter"]!.filter((e) => e !== "resolved"), ["connecting", "connected"])
      assert.deepStrictEqual(seen["adapter"]!.filter((e) => e !== "connected"), ["connecting", "resolved"])
    })
  }
})

describe("connecting after a drop the client recovers from", () => {
  const drops: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ["no close frame (a network drop)", { abnormal: true }],
    ["a close 1001", { code: 1001, reason: "restart" }],
    ["a close frame without a code (1005)", { withoutCode: true }]
  ]
  for (const [name, drop] of drops) {
    it(`${name}: connecting as the reconnect is scheduled (before its backoff delay), connected once back, no disconnected, as the official client`, async () => {
      const seen: Record<string, { readonly all: ReadonlyArray<string>; readonly whenScheduled: ReadonlyArray<string> }> = {}
      for (const [label, make] of bothClients) {
        const appId = `moments-drop-${Object.keys(drop)[0]}-${label}`
        const sogni = (await make({ appId, logLevel: "silent", network: "fast", ...endpoints(emulator) })) as unknown as AnyClient
        try {
          await sogni.projects.waitForModels()
          await until(() => sogni.account.currentAccount.networkStatus === "connected", `${label}: connected`)
          await settle()
          const events = connectionEvents(sogni)
          // the events emitted by one event-loop turn after the account turned `connecting` (the turn
          // in which both clients learn of the drop and schedule the next attempt)
          let whenScheduled: ReadonlyArray<string> | undefined
          sogni.account.currentAccount.on("updated", (keys) => {
            if (whenScheduled === undefined && keys.includes("networkStatus") && sogni.account.currentAccount.networkStatus === "connecting") {
              whenScheduled = []
              setImmediate(() => {
                whenScheduled = [...events]
              })
            }
          })
          await Effect.runPromise(emulator.service.control.dropConnection({ appId, ...drop }))
          await until(() => events.includes("connected"), `${label}: the reconnection`, 10_000)
          await settle()
          assert.isDefined(whenScheduled, `${label}: the account turned connecting`)
          seen[label] = { all: events, whenScheduled: whenScheduled! }
        } finally {
          await sogni.dispose()
        }
      }
      assert.deepStrictEqual(seen["official"], { all: ["connecting", "connected"], whenScheduled: ["connecting"] })
      assert.deepStrictEqual(seen["adapter"], seen["official"])
    })
  }
})

/**
 * A relay in front of the emulator's socket host: each WebSocket upgrade is piped to the emulator, or,
 * while `refuse` is above zero, answered with a 503 (counted down). `upgrades` counts the requests.
 */
const socketRelay = async (target: URL) => {
  const state = { refuse: 0, upgrades: 0 }
  const open = new Set<Duplex | Socket>()
  const server = createServer((_req, res) => {
    res.writeHead(404)
    res.end()
  })
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    state.upgrades++
    open.add(socket)
    socket.on("close", () => open.delete(socket))
    socket.on("error", () => socket.destroy())
    if (state.refuse > 0) {
      state.refuse--
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      return
    }
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`]
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`)
      if (head.length > 0) upstream.write(head)
      socket.pipe(upstream).pipe(socket)
    })
    open.add(upstream)
    upstream.on("close", () => {
      open.delete(upstream)
      socket.destroy()
    })
    upstream.on("error", () => upstream.destroy())
    socket.on("close", () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    state,
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of open) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

describe("connecting after a reconnect attempt that fails", () => {
  it("one more connecting as the next attempt is scheduled, then connected, as the official client", async () => {
    const seen: Record<string, { readonly events: ReadonlyArray<string>; readonly upgrades: number }> = {}
    for (const [label, make] of bothClients) {
      const relay = await socketRelay(new URL(emulator.wsUrl))
      const appId = `moments-refused-${label}`
      const sogni = (await make({ appId, logLevel: "silent", network: "fast", ...endpoints(emulator), socketEndpoint: relay.url })) as unknown as AnyClient
      try {
        await sogni.projects.waitForModels()
        await until(() => sogni.account.currentAccount.networkStatus === "connected", `${label}: connected`)
        await settle()
        const events = connectionEvents(sogni)
        const before = relay.state.upgrades
        // the first attempt after the drop is refused, the next one goes through
        relay.state.refuse = 1
        await Effect.runPromise(emulator.service.control.dropConnection({ appId, abnormal: true }))
        await until(() => events.includes("connected"), `${label}: the reconnection`, 15_000)
        await settle()
        seen[label] = { events, upgrades: relay.state.upgrades - before }
      } finally {
        await sogni.dispose()
        await relay.close()
      }
    }
    assert.deepStrictEqual(seen["official"], { events: ["connecting", "connecting", "connected"], upgrades: 2 })
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })
})
