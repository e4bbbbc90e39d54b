/**
 * The client itself against the emulator: connection events across a drop, dispose releasing the
 * socket and failing followed projects, REST-only mode, username/password login and logout, API
 * errors with retryAfter in seconds, and a custom logger.
 */
import { Emulator } from "@effect-sogni/emulator"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import { inspect } from "node:util"
import { WebSocket, WebSocketServer } from "ws"
import {
  isApiError,
  isAuthenticationError,
  isDisposedError,
  isInvalidRequestError,
  isSogniClientError,
  SogniClient
} from "../src/index.js"
import { assertRetryLoggedAtLevel, endpoints, recordingLogger, type RunningEmulator, startEmulator } from "./emulator.js"
import { bothClients, until } from "./parity.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const control = () => emulator.service.control
const connectionsOf = async (appId: string) =>
  (await Effect.runPromise(control().listConnections)).filter((c) => c.appId === appId).length

describe("client", () => {
  it("emits connected, then connecting and connected again when the server drops the socket (no disconnected: the drop is not terminal)", async () => {
    const sogni = await SogniClient.createInstance({ appId: "client-conn-1", logLevel: "error", network: "fast", ...endpoints(emulator) })
    try {
      const events: Array<string> = []
      sogni.apiClient.on("connected", ({ network }) => events.push(`connected:${network}`))
      sogni.apiClient.on("connecting", ({ network }) => events.push(`connecting:${network}`))
      sogni.client.on("disconnected", ({ code }) => events.push(`disconnected:${code}`))
      await sogni.projects.waitForModels()
      await until(() => sogni.currentAccount.networkStatus === "connected", "the first connection")
      events.length = 0
      await Effect.runPromise(control().dropConnection({ appId: "client-conn-1", code: 1001, reason: "restart" }))
      await until(() => events.includes("connected:fast"), "the reconnection", 10_000)
      assert.deepStrictEqual(events.slice(0, 2), ["connecting:fast", "connected:fast"])
      assert.strictEqual(sogni.currentAccount.network, "fast")
      assert.isDefined(sogni.currentAccount.balance)
    } finally {
      await sogni.dispose()
    }
  })

  it("a connection ended for good emits disconnected with the server's close code, as the official client: 4015 (replaced), 4021 (refused)", async () => {
    for (const code of [4015, 4021]) {
      const seen: Record<string, Array<number>> = {}
      for (const [label, make] of bothClients) {
        const appId = `client-conn-end-${code}-${label}`
        const sogni = await make({ appId, logLevel: "silent", network: "fast", ...endpoints(emulator) })
        try {
          const codes: Array<number> = (seen[label] = [])
          sogni.apiClient.on("disconnected", ({ code }: { code: number }) => codes.push(code))
          await sogni.projects.waitForModels()
          await Effect.runPromise(control().dropConnection({ appId, code, reason: "ended" }))
          await until(() => codes.length > 0, `${label}'s disconnected`)
        } finally {
          await sogni.dispose()
        }
      }
      assert.deepStrictEqual(seen["adapter"], seen["official"])
      assert.deepStrictEqual(seen["official"], [code])
    }
  })

  it("the account reads freeSparkLocked from the handshake, as the official client", async () => {
    const seen: Record<string, unknown> = {}
    for (const [label, make] of bothClients) {
      const sogni = await make({ appId: `client-free-spark-${label}`, logLevel: "silent", network: "fast", ...endpoints(emulator) })
      try {
        await sogni.projects.waitForModels()
        seen[label] = sogni.account.currentAccount.freeSparkLocked
      } finally {
        await sogni.dispose()
      }
    }
    assert.strictEqual(seen["official"], false, "the emulator's handshake says false")
    assert.strictEqual(seen["adapter"], seen["official"])
  })

  it("a project failed by its jobs reads the server's project-level error afterwards, as the official client", async () => {
    const seen: Record<string, unknown> = {}
    for (const [label, make] of bothClients) {
      const sogni = await make({ appId: `client-all-failed-${label}`, logLevel: "silent", network: "fast", ...endpoints(emulator) })
      const projectErrors: Array<string> = []
      sogni.projects.on("project", (e: { type: string; error?: { message: string } }) => {
        if (e.type === "error") projectErrors.push(e.error!.message)
      })
      try {
        await sogni.projects.waitForModels()
        for (const numberOfMedia of [1, 2]) {
          const project = await sogni.projects.create({
            type: "image",
            modelId: "flux1-schnell-fp8",
            positivePrompt: "a lighthouse [[fail]]",
            steps: 4,
            numberOfMedia,
            tokenType: "spark"
          } as never)
          const failed = new Promise<{ message: string }>((resolve) => project.on("failed", (e: { message: string }) => resolve(e)))
          const rejected = await project.waitForCompletion().then(() => undefined, (e: { message: string }) => e.message)
          const onFailed = await failed
          // the server's project-level jobError follows the last job's
          await until(() => project.error?.message !== onFailed.message && projectErrors.length > 0, `${label}: the project-level error`)
          // a waitForCompletion called now rejects with the project's error, the project-level one
          const after = await project.waitForCompletion().then(
            () => undefined,
            (e: { message: string; code: unknown }) => ({ message: e.message, code: e.code })
          )
          seen[`${label} ${numberOfMedia}`] = { failed: onFailed.message, rejected, after, error: project.error?.message, projectErrors: projectErrors.splice(0) }
        }
      } finally {
        await sogni.dispose()
      }
    }
    assert.strictEqual((seen["official 1"] as { error: string }).error, "Every job of this project failed.")
    assert.strictEqual((seen["official 1"] as { after: { message: string } }).after.message, "Every job of this project failed.")
    for (const n of [1, 2]) assert.deepStrictEqual(seen[`adapter ${n}`], seen[`official ${n}`], `numberOfMedia ${n}`)
  })

  it("estimateCost and getModelOptions refuse a model the catalog lacks as the official client: an Error 'Model … not supported'", async () => {
    const seen: Record<string, unknown> = {}
    for (const [label, make] of bothClients) {
      const sogni = await make({ appId: `client-unknown-model-${label}`, logLevel: "silent", network: "fast", ...endpoints(emulator) })
      try {
        await sogni.projects.waitForModels()
        const outcome = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => ({ isError: e instanceof Error, message: (e as Error).message }))
        seen[label] = [
          await outcome(sogni.projects.estimateCost({ model: "no-such-model", imageCount: 1, stepCount: 4, previewCount: 0, tokenType: "spark" } as never)),
          await outcome(sogni.projects.getModelOptions("no-such-model"))
        ]
      } finally {
        await sogni.dispose()
      }
    }
    assert.deepStrictEqual(seen["official"], [0, 1].map(() => ({ isError: true, message: "Model no-such-model not supported" })))
    assert.deepStrictEqual(seen["adapter"], seen["official"])
  })

  it("an unknown model's refusal names the field and the rule", async () => {
    const sogni = await SogniClient.createInstance({ appId: "client-unknown-model-fields", logLevel: "silent", ...endpoints(emulator) })
    try {
      const e = await sogni.projects.estimateCost({ model: "no-such-model", imageCount: 1, stepCount: 4, previewCount: 0 } as never).catch((x: unknown) => x)
      assert.isTrue(isInvalidRequestError(e), String(e))
      assert.strictEqual((e as { field: string }).field, "model")
      assert.strictEqual((e as { rule: string }).rule, "unknown-model")
      // a known model is still quoted
      const quote = await sogni.projects.estimateCost({ model: "flux1-schnell-fp8", imageCount: 1, stepCount: 4, previewCount: 0, tokenType: "spark" } as never)
      assert.isAbove(Number(quote.token), 0)
    } finally {
      await sogni.dispose()
    }
  })

  it("a drop the socket cannot recover from (the reconnect is refused 4021) still ends in disconnected with that code, as the official client", async () => {
    // a loopback proxy in front of the emulator: it relays the first connection, then cuts it (an abnormal
    // drop, 1006) and refuses every later one with 4021, so the drop becomes terminal during the reconnect
    const upstream = emulator.wsUrl
    const seen: Record<string, Array<string>> = {}
    for (const [label, make] of bothClients) {
      let refusing = false
      const relayed: Array<WebSocket> = []
      const proxy = new WebSocketServer({ host: "127.0.0.1", port: 0 })
      proxy.on("connection", (downstream, request) => {
        if (refusing) return downstream.close(4021, "refused")
        const headers: Record<string, string> = {}
        for (const name of ["api-key", "authorization", "cookie", "user-agent"]) {
          const value = request.headers[name]
          if (typeof value === "string") headers[name] = value
        }
        const up = new WebSocket(`${upstream}${new URL(request.url ?? "/", "ws://x").search}`, { headers })
        const pending: Array<[WebSocket.RawData, boolean]> = []
        downstream.on("message", (data, isBinary) => up.readyState === WebSocket.OPEN ? up.send(data, { binary: isBinary }) : pending.push([data, isBinary]))
        up.on("open", () => pending.splice(0).forEach(([data, isBinary]) => up.send(data, { binary: isBinary })))
        up.on("message", (data, isBinary) => downstream.send(data, { binary: isBinary }))
        up.on("close", () => downstream.terminate())
        up.on("error", () => downstream.terminate())
        downstream.on("close", () => up.terminate())
        relayed.push(downstream, up)
      })
      await new Promise<void>((resolve) => proxy.once("listening", () => resolve()))
      const port = (proxy.address() as { port: number }).port
      const sogni = await make({
        appId: `client-conn-refused-${label}`,
        logLevel: "silent",
        network: "fast",
        ...endpoints(emulator),
        socketEndpoint: `ws://127.0.0.1:${port}`
      })
      try {
        const events: Array<string> = (seen[label] = [])
        sogni.apiClient.on("disconnected", ({ code }: { code: number }) => events.push(`disconnected:${code}`))
        await sogni.projects.waitForModels()
        refusing = true
        for (const socket of relayed) socket.terminate()
        await until(() => events.length > 0, `${label}'s disconnected`, 20_000)
      } finally {
        await sogni.dispose()
        for (const client of proxy.clients) client.terminate()
        await new Promise<void>((resolve) => proxy.close(() => resolve()))
      }
    }
    assert.deepStrictEqual(seen["adapter"], seen["official"])
    assert.deepStrictEqual(seen["official"], ["disconnected:4021"])
  }, 60_000)

  it("on a reconnect, the account shows the new authenticated frame's fields before connected is emitted", async () => {
    const appId = "client-conn-auth"
    let before: number | undefined
    const sogni = await SogniClient.createInstance({ appId, logLevel: "error", ...endpoints(emulator) })
    try {
      await until(() => sogni.currentAccount.networkStatus === "connected", "the first connection")
      before = Number(sogni.currentAccount.balance?.spark.net)
      const atConnected: Array<string> = []
      const events: Array<string> = []
      sogni.apiClient.on("connected", () => {
        const a = sogni.currentAccount
        atConnected.push(`${a.isAuthenticated} ${a.username} ${a.balance?.spark.net} ${a.networkStatus}`)
        events.push("connected")
      })
      sogni.apiClient.on("disconnected", () => events.push("disconnected"))
      await Effect.runPromise(control().dropConnection({ appId, code: 1001, reason: "restart" }))
      // the balance changes while the client is away: the next authenticated frame carries it
      await Effect.runPromise(control().setBalance({ tokenType: "spark", amount: 4321 }))
      await until(() => events.includes("connected"), "the reconnection", 10_000)
      assert.deepStrictEqual(events, ["connected"])
      assert.deepStrictEqual(atConnected, [`true ${sogni.currentAccount.username} 4321 connected`])
      assert.isString(sogni.currentAccount.username)
    } finally {
      await sogni.dispose()
      // the emulator's account as the other tests find it
      if (before !== undefined) await Effect.runPromise(control().setBalance({ tokenType: "spark", amount: before }))
    }
  })

  it("a duplicated authenticated frame updates the account but emits connected once per connection (as the official client)", async () => {
    const appId = "client-conn-dup"
    const sogni = await SogniClient.createInstance({ appId, logLevel: "error", ...endpoints(emulator) })
    try {
      await until(() => sogni.currentAccount.networkStatus === "connected", "the first connection")
      const events: Array<string> = []
      sogni.apiClient.on("connected", () => events.push("connected"))
      sogni.apiClient.on("disconnected", () => events.push("disconnected"))
      await Effect.runPromise(control().dropConnection({ appId, code: 1001, reason: "restart" }))
      // the next frame the server writes (the new connection's authenticated) is written twice
      await Effect.runPromise(control().duplicateFrames(1))
      await until(() => events.includes("connected"), "the reconnection", 10_000)
      // a round trip on the socket: its answer comes after both copies
      await sogni.setSocketEventSubscriptions({ modelAvailability: true })
      assert.deepStrictEqual(events, ["connected"])
      assert.strictEqual(sogni.currentAccount.networkStatus, "connected")
      assert.isTrue(sogni.currentAccount.isAuthenticated)
    } finally {
      await Effect.runPromise(control().clearFaults)
      await sogni.dispose()
    }
  })

  it("dispose closes the socket and fails followed projects with DisposedError; later calls reject", async () => {
    const sogni = await SogniClient.createInstance({ appId: "client-conn-2", logLevel: "error", ...endpoints(emulator) })
    await sogni.projects.waitForModels()
    assert.strictEqual(await connectionsOf("client-conn-2"), 1)
    const project = await sogni.projects.create({
      type: "image",
      modelId: "flux1-schnell-fp8",
      positivePrompt: "[[slow]] long",
      steps: 4
    })
    const waiting = project.waitForCompletion().catch((e) => e)
    await sogni.dispose()
    assert.isTrue(sogni.disposed)
    assert.isTrue(isDisposedError(await waiting))
    await until(async () => (await connectionsOf("client-conn-2")) === 0, "the socket to close")
    const after = await sogni.account.refreshBalance().catch((e) => e)
    assert.isTrue(isDisposedError(after))
  })

  it("disableSocket: REST works, no socket is opened, socket calls reject naming disableSocket", async () => {
    const sogni = await SogniClient.createInstance({ disableSocket: true, logLevel: "error", ...endpoints(emulator) })
    try {
      const balance = await sogni.account.refreshBalance()
      assert.isAbove(Number(balance.spark.net), 0)
      const presets = await sogni.projects.getSizePresets("fast", "flux1-schnell-fp8")
      assert.isAbove(presets.length, 0)
      const error = await sogni.projects
        .create({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "x" })
        .catch((e) => e)
      assert.isTrue(isInvalidRequestError(error))
      assert.strictEqual(error.field, "disableSocket")
      const chat = await sogni.chat.completions.create({ model: "m", messages: [] }).catch((e) => e)
      assert.isTrue(isInvalidRequestError(chat))
      const connections = await Effect.runPromise(control().listConnections)
      assert.isFalse(connections.some((c) => c.appId === sogni.config.appId))
    } finally {
      await sogni.dispose()
    }
  })

  it("username/password: login connects and reads the account; logout ends it; bad passwords are AuthenticationErrors", async () => {
    const sogni = await SogniClient.createInstance({
      appId: "client-login-1",
      logLevel: "error",
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl
    })
    try {
      const refused = await sogni.account.login(Emulator.DEFAULT_USERNAME, "wrong").catch((e) => e)
      assert.isTrue(isAuthenticationError(refused))
      const login = await sogni.account.login(Emulator.DEFAULT_USERNAME, Emulator.DEFAULT_PASSWORD)
      assert.strictEqual(login.username, Emulator.DEFAULT_USERNAME)
      const models = await sogni.projects.waitForModels()
      assert.isAbove(models.length, 0)
      await until(() => sogni.currentAccount.username === Emulator.DEFAULT_USERNAME, "the identity")
      assert.isTrue(sogni.currentAccount.isAuthenticated)
      await sogni.account.logout()
      assert.isFalse(sogni.currentAccount.isAuthenticated)
      const after = await sogni.account.refreshBalance().catch((e) => e)
      assert.isTrue(isAuthenticationError(after))
      assert.strictEqual(after.reason, "NotAuthenticated")
    } finally {
      await sogni.dispose()
    }
  })

  it("REST failures are ApiErrors with status, retryable and retryAfter in seconds; the logger receives warnings", async () => {
    const { lines, logger } = recordingLogger()
    const sogni = await SogniClient.createInstance({ disableSocket: true, logger, ...endpoints(emulator) })
    try {
      await Effect.runPromise(
        control().failRest({ count: 1, status: 400, pathPrefix: "/v4/account/balance", errorCode: 123, message: "nope" })
      )
      const bad = await sogni.account.refreshBalance().catch((e) => e)
      assert.isTrue(isApiError(bad))
      assert.isTrue(isSogniClientError(bad))
      assert.strictEqual(bad.name, "ApiError")
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.errorCode, 123)
      assert.strictEqual(bad.payload.errorCode, 123)
      assert.isFalse(bad.retryable)
      assert.instanceOf(bad, Error)
      // 429 with Retry-After: core retries it (the single retry policy); with one failure the call succeeds
      await Effect.runPromise(control().failRest({ count: 1, status: 429, pathPrefix: "/v4/account/balance", retryAfterSeconds: 1 }))
      const started = Date.now()
      const balance = await sogni.account.refreshBalance()
      assert.isAbove(Number(balance.spark.net), 0)
      assert.isAtLeast(Date.now() - started, 900)
      // five 503s exhaust the retries: the error says how long the server asked to wait
      await Effect.runPromise(control().failRest({ count: 5, status: 503, pathPrefix: "/v4/account/balance", retryAfterSeconds: 0 }))
      const unavailable = await sogni.account.refreshBalance().catch((e) => e)
      assert.isTrue(isApiError(unavailable))
      assert.strictEqual(unavailable.status, 503)
      assert.isTrue(unavailable.retryable)
      assert.strictEqual(unavailable.retryAfter, 0)
      // the runtime's log lines went to the given logger (debug included, as a logger was given)
      assert.isTrue(lines.some((l) => /^debug sogni: retry 1 in /.test(l)), lines.join("\n"))
      assert.isFalse(lines.some((l) => l.includes(emulator.apiKey)))
    } finally {
      await sogni.dispose()
    }
  })

  it("a logger with a logLevel gets only that level and above; a logger alone gets debug too", async () => {
    const run = async (logLevel: "warn" | undefined) => {
      const { lines, logger } = recordingLogger()
      const sogni = await SogniClient.createInstance({
        disableSocket: true,
        logger,
        ...(logLevel !== undefined ? { logLevel } : {}),
        ...endpoints(emulator)
      })
      try {
        // a 429 is retried by core, which logs the retry at debug level
        await Effect.runPromise(control().failRest({ count: 1, status: 429, pathPrefix: "/v4/account/balance", retryAfterSeconds: 0 }))
        const balance = await sogni.account.refreshBalance()
        assert.isAbove(Number(balance.spark.net), 0)
      } finally {
        await sogni.dispose()
      }
      return lines
    }
    await assertRetryLoggedAtLevel(run)
  })

  it("the API key is not readable on the client: not in util.inspect, not on client.config", async () => {
    const sogni = await SogniClient.createInstance({ appId: "client-secret", logLevel: "error", ...endpoints(emulator) })
    try {
      await sogni.projects.waitForModels()
      const shown = inspect(sogni, { depth: 8, showHidden: false })
      assert.notInclude(shown, emulator.apiKey)
      assert.notInclude(JSON.stringify(sogni.config), emulator.apiKey)
      assert.isUndefined((sogni.config as { apiKey?: unknown }).apiKey)
      // the rest of the configuration is still there
      assert.strictEqual(sogni.config.appId, "client-secret")
    } finally {
      await sogni.dispose()
    }
  })

  it("logLevel 'silent' prints nothing, not even the warning of a refused key", async () => {
    const printed: Array<string> = []
    const original = { log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug }
    const capture = (...a: Array<unknown>) => void printed.push(a.map(String).join(" "))
    const out = process.stdout.write.bind(process.stdout)
    const err = process.stderr.write.bind(process.stderr)
    Object.assign(console, { log: capture, warn: capture, error: capture, info: capture, debug: capture })
    process.stdout.write = ((chunk: string | Uint8Array) => (printed.push(String(chunk)), true)) as typeof process.stdout.write
    process.stderr.write = ((chunk: string | Uint8Array) => (printed.push(String(chunk)), true)) as typeof process.stderr.write
    try {
      const sogni = await SogniClient.createInstance({
        appId: "client-silent",
        logLevel: "silent",
        ...endpoints(emulator),
        apiKey: "refused-key"
      }).catch((e) => e)
      if (sogni instanceof SogniClient) {
        await sogni.projects.waitForModels().catch(() => undefined)
        await sogni.dispose()
      }
    } finally {
      Object.assign(console, original)
      process.stdout.write = out
      process.stderr.write = err
    }
    assert.deepStrictEqual(printed, [])
  })

  it("a refused API key (4021) or a blocked appId (4010): a project's waitForCompletion rejects with the AuthenticationError; the project's error keeps its data", async () => {
    // 4010: a loopback socket host whose WebSocket closes every connection as blocked; its plain HTTP (the
    // model catalog) is relayed to the emulator
    const upstream = new URL(emulator.url)
    const host = http.createServer((req, res) => {
      const relay = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      relay.on("error", () => res.destroy())
      req.pipe(relay)
    })
    const blocking = new WebSocketServer({ server: host })
    blocking.on("connection", (socket) => socket.close(4010, "app blocked"))
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", () => resolve()))
    try {
      const cases = [
        { code: 4021, reason: "InvalidCredentials", options: { apiKey: "refused-key" } },
        { code: 4010, reason: "AppIdBlocked", options: { socketEndpoint: `ws://127.0.0.1:${(host.address() as { port: number }).port}` } }
      ] as const
      for (const { code, reason, options } of cases) {
        const sogni = await SogniClient.createInstance({ appId: `client-refused-project-${code}`, logLevel: "error", ...endpoints(emulator), ...options })
        try {
          const project = await sogni.projects.create({
            type: "image",
            modelId: "flux1-schnell-fp8",
            positivePrompt: "a refused key",
            steps: 4,
            numberOfMedia: 1,
            tokenType: "spark"
          })
          const error = await project.waitForCompletion().catch((e) => e)
          assert.isTrue(isAuthenticationError(error), `${code}: ${String(error)}`)
          assert.strictEqual(error.reason, reason)
          assert.strictEqual(error.closeCode, code)
          // the project itself failed as before: code 0, naming the refusal
          assert.strictEqual(project.status, "failed")
          assert.strictEqual(project.error?.code, 0)
          assert.include(project.error?.message, String(code))
          // a later wait rejects the same way
          assert.isTrue(isAuthenticationError(await project.waitForCompletion().catch((e) => e)))
        } finally {
          await sogni.dispose()
        }
      }
    } finally {
      blocking.close()
      host.closeAllConnections()
      await new Promise<void>((resolve) => host.close(() => resolve()))
    }
  })

  it("a refused API key: waitForModels rejects at once with the AuthenticationError, and no rejection goes unhandled", async () => {
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)
    try {
      const sogni = await SogniClient.createInstance({
        appId: "client-refused",
        logLevel: "error",
        ...endpoints(emulator),
        apiKey: "refused-key"
      }).catch((e) => e)
      // like the official client, createInstance resolves: the refusal surfaces on the calls that need the socket
      assert.isTrue(sogni instanceof SogniClient, String(sogni))
      const client = sogni as SogniClient
      try {
        const started = Date.now()
        const error = await client.projects.waitForModels().catch((e) => e)
        const elapsed = Date.now() - started
        assert.isTrue(isAuthenticationError(error), String(error))
        assert.isBelow(elapsed, 1000, "rejected within a second")
        const again = await client.chat.waitForModels().catch((e) => e)
        assert.isTrue(isAuthenticationError(again), String(again))
      } finally {
        await client.dispose()
      }
      await new Promise((r) => setTimeout(r, 100))
      assert.deepStrictEqual(unhandled, [])
    } finally {
      process.off("unhandledRejection", onUnhandled)
    }
  })
})
