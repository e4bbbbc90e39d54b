/**
 * Core against the local emulator over real loopback sockets: the composed `Sogni` layer, API-key and
 * login authentication, refusals, 4015 eviction, REST retries driven by the emulator's fault control,
 * reconnect with routes intact, and resource release across many clients.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { Protocol, Sogni, SogniAccount, SogniAuth, SogniRest, SogniSocket } from "../src/index.js"
import type { SogniSettingsInput } from "../src/SogniConfig.js"
import { realSleep } from "./util/ScriptedServer.js"

const emulatorLayer = Emulator.layer({ port: 0, speed: 4 })

/** Core services pointed at the running emulator, built in the current scope. */
const connect = (emulator: Emulator.Service, overrides: SogniSettingsInput = {}) =>
  Effect.map(Layer.build(
    Sogni.layer({
      appId: `it-${crypto.randomUUID()}`,
      apiKey: Redacted.make(emulator.apiKey),
      restEndpoint: emulator.url,
      socketEndpoint: emulator.wsUrl,
      restRetryBase: "20 millis",
      ...overrides
    })
  ), (ctx) => ({
    socket: Context.get(ctx, SogniSocket.SogniSocket),
    rest: Context.get(ctx, SogniRest.SogniRest),
    auth: Context.get(ctx, SogniAuth.SogniAuth),
    account: Context.get(ctx, SogniAccount.SogniAccount)
  }))

const imageRequest = (jobID: string, count: number, prompt = "a quiet harbour"): Protocol.JobRequest => ({
  jobID,
  numberOfImages: count,
  previews: 0,
  outputFormat: "png",
  tokenType: "spark",
  keyFrames: [{ modelID: "flux1-schnell-fp8", positivePrompt: prompt, steps: 4, guidanceScale: 1, seed: 42 }]
})

/** Drains a project route until it completes or fails. */
const followProject = (events: Queue.Dequeue<Protocol.ServerEvent>) =>
  Effect.gen(function*() {
    const seen: Array<Protocol.ServerEvent> = []
    while (true) {
      const event = yield* Queue.take(events)
      seen.push(event)
      if (event.type === "jobState" && event.payload.type === "jobCompleted") return seen
      if (event.type === "jobError" && event.payload.imgID === undefined) return seen
    }
  })

describe("core against the emulator", () => {
  layer(emulatorLayer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("connects with an API key: authenticated, me, balance, live balanceUpdate after a project", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { account, socket } = yield* connect(emulator)
        const hello = yield* socket.awaitAuthenticated
        assert.strictEqual(hello.username, "pixelfox")
        const me = yield* account.me
        assert.strictEqual(me.username, "pixelfox")
        assert.strictEqual(me.walletAddress, hello.address)
        const before = yield* account.refreshBalance

        const jobID = Protocol.makeId()
        const events = yield* socket.route(jobID)
        yield* socket.send({ type: "jobRequest", payload: imageRequest(jobID, 2) })
        const seen = yield* followProject(events)
        assert.strictEqual(seen.filter((e) => e.type === "jobResult").length, 2)
        // the balanceUpdate after settlement reaches the account's observable balance
        const after = yield* account.balanceChanges.pipe(
          Stream.filter((b) => Number(b.spark.net) < Number(before.spark.net)),
          Stream.runHead,
          Effect.map(Option.getOrThrow)
        )
        assert.isBelow(Number(after.spark.net), Number(before.spark.net))
      }))

    it.scoped("a wrong API key: the socket is refused with a typed error, REST answers a typed 401", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { socket } = yield* connect(emulator, { apiKey: Redacted.make("not-a-key") })
        const failed = yield* Effect.either(socket.awaitAuthenticated)
        assert.isTrue(Either.isLeft(failed))
        if (Either.isLeft(failed)) {
          assert.strictEqual(failed.left._tag, "SogniAuthenticationError")
          assert.strictEqual((failed.left as { reason: string }).reason, "InvalidCredentials")
          assert.notInclude(String(failed.left), "not-a-key")
        }
        const { rest: rest2 } = yield* connect(emulator, { apiKey: Redacted.make("still-not-a-key") })
        const me = yield* Effect.either(rest2.get("rest", "/v1/account/me", Protocol.AccountMe))
        assert.isTrue(Either.isLeft(me) && me.left._tag === "SogniAuthenticationError")
        if (Either.isLeft(me)) assert.notInclude(JSON.stringify(me.left), "still-not-a-key")
      }))

    it.scoped("a second connection with the same appId evicts the first with a typed 4015 error", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const appId = `dup-${crypto.randomUUID()}`
        const first = (yield* connect(emulator, { appId })).socket
        yield* first.awaitAuthenticated
        const second = (yield* connect(emulator, { appId })).socket
        yield* second.awaitAuthenticated
        const status = yield* first.status.changes.pipe(
          Stream.filter((s) => s._tag === "Closed"),
          Stream.runHead,
          Effect.map(Option.getOrThrow)
        )
        assert(status._tag === "Closed" && Option.isSome(status.error))
        assert.strictEqual((status.error as Option.Some<{ _tag: string }>).value._tag, "SogniConnectionReplacedError")
        assert.strictEqual((yield* SubscriptionRef.get(second.status))._tag, "Authenticated")
      }))

    it.scoped("a logout closes the socket (Idle); a new API key reconnects it, and changes of the same kind close nothing", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { auth, socket } = yield* connect(emulator)
        yield* socket.awaitAuthenticated
        // the auth state moves to Unauthenticated: the socket is closed and stays closed
        yield* auth.logout
        const closed = yield* socket.status.changes.pipe(
          Stream.filter((s) => s._tag === "Idle"),
          Stream.runHead,
          Effect.map(Option.getOrThrow)
        )
        assert.strictEqual(closed._tag, "Idle")
        assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
        // a second logout is no change of kind: nothing to close, the socket stays as it is
        yield* auth.logout
        assert.strictEqual((yield* SubscriptionRef.get(socket.status))._tag, "Idle")
        // a credential again: the next wait connects and authenticates, and a key replaced by another
        // (Authenticated to Authenticated) does not close it
        yield* auth.setApiKey(Redacted.make(emulator.apiKey))
        const hello = yield* socket.awaitAuthenticated
        assert.strictEqual(hello.username, "pixelfox")
        yield* auth.setApiKey(Redacted.make(emulator.apiKey))
        const me = yield* auth.me
        assert.strictEqual(me.username, "pixelfox")
        assert.strictEqual((yield* SubscriptionRef.get(socket.status))._tag, "Authenticated")
      }))

    it.scoped("REST retries 503 with Retry-After on idempotent calls, not on plain POSTs", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { rest } = yield* connect(emulator)
        yield* emulator.control.failRest({ count: 2, status: 503, pathPrefix: "/v4/account/balance", retryAfterSeconds: 1 })
        const started = Date.now()
        const balance = yield* rest.get("rest", "/v4/account/balance", Protocol.AccountBalance)
        const elapsed = Date.now() - started
        assert.isString(balance.spark.net)
        assert.isAtLeast(elapsed, 1900) // two Retry-After: 1 waits

        yield* emulator.control.failRest({ count: 1, status: 503, pathPrefix: "/v1/account/device-id" })
        const post = yield* Effect.either(
          rest.post("rest", "/v1/account/device-id", { deviceId: "d-1" }, Schema.Unknown)
        )
        assert.isTrue(Either.isLeft(post))
        if (Either.isLeft(post)) {
          assert.strictEqual(post.left._tag, "SogniApiError")
          assert.strictEqual((post.left as { status: number }).status, 503)
        }

        yield* emulator.control.failRest({ count: 1, status: 404, pathPrefix: "/v4/account/balance" })
        const notFound = yield* Effect.either(rest.get("rest", "/v4/account/balance", Protocol.AccountBalance))
        assert.isTrue(Either.isLeft(notFound) && (notFound.left as { reason?: string }).reason === "NotFound")
      }))

    it.scoped("username/password login: PBKDF2 wallet, EIP-712 signature, JWT on REST and socket", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const [account] = emulator.accounts
        const { auth, socket } = yield* connect(emulator, {
          apiKey: undefined,
          username: account!.username,
          password: Redacted.make(account!.password)
        })
        const hello = yield* socket.awaitAuthenticated
        assert.strictEqual(hello.username, account!.username)
        const state = yield* auth.state
        assert.strictEqual(state._tag, "Token")
        const me = yield* auth.me
        assert.strictEqual(me.walletAddress, account!.walletAddress)
      }))

    it.scoped("a dropped socket reconnects; the project's route keeps receiving until completion", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const appId = `drop-${crypto.randomUUID()}`
        const { socket } = yield* connect(emulator, { appId, reconnectBase: "50 millis" })
        yield* socket.awaitAuthenticated
        const jobID = Protocol.makeId()
        const events = yield* socket.route(jobID)
        yield* socket.send({ type: "jobRequest", payload: imageRequest(jobID, 2, "a slow lighthouse [[slow]]") })
        yield* Queue.take(events) // something started
        const { dropped } = yield* emulator.control.dropConnection({ appId, abnormal: true })
        assert.strictEqual(dropped, 1)
        const seen = yield* followProject(events)
        const last = seen[seen.length - 1]!
        assert.isTrue(last.type === "jobState" && last.payload.type === "jobCompleted")
        const recovered = Option.getOrThrow(yield* SubscriptionRef.get(socket.authenticated))
        // the second handshake listed the in-flight project, upper-case, for recovery
        assert.isTrue(
          recovered.activeProjects.some((p) => p.id === jobID) ||
            recovered.unclaimedCompletedProjects.some((p) => p.id === jobID)
        )
      }))

    it.scoped("100 scoped clients opened and closed leave no connection behind on the server", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) =>
            Effect.scoped(
              Effect.gen(function*() {
                const { socket } = yield* connect(emulator, { appId: `many-${i}` })
                yield* socket.awaitAuthenticated
              })
            ),
          { concurrency: 10 }
        )
        for (let i = 0; i < 200; i++) {
          const open = (yield* emulator.control.listConnections).filter((c) => c.appId.startsWith("many-"))
          if (open.length === 0) return
          yield* realSleep(10)
        }
        assert.fail("connections left open on the emulator")
      }))
  })
})
