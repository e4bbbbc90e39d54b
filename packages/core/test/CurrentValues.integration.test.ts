/**
 * Against the emulator over loopback: values a caller asks for "now" (the model list pushed once at the
 * handshake) are readable after the fact, a refused key fails every waiter at once with the
 * authentication error, and the layers take their endpoints by one rule (code > environment > defaults).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { Protocol, Sogni, SogniConfig, SogniRest, SogniSocket } from "../src/index.js"

const emulatorLayer = Emulator.layer({ port: 0, speed: 4 })

const envOf = (emulator: Emulator.Service) =>
  ConfigProvider.fromMap(
    new Map([["SOGNI_REST_ENDPOINT", emulator.url], ["SOGNI_SOCKET_ENDPOINT", emulator.wsUrl]])
  )

describe("SogniConfig endpoints: code, then environment, then defaults", () => {
  const settingsOf = (input: SogniConfig.SogniSettingsInput, env: Record<string, string>) =>
    Effect.runSync(
      Effect.map(Layer.build(SogniConfig.layer(input)), (ctx) => Context.get(ctx, SogniConfig.SogniConfig)).pipe(
        Effect.scoped,
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      )
    )
  const env = { SOGNI_REST_ENDPOINT: "http://10.0.0.5:9000/", SOGNI_SOCKET_ENDPOINT: "ws://10.0.0.5:9001" }

  it("no endpoint in code and none in the environment: the production hosts", () => {
    const s = settingsOf({}, {})
    assert.strictEqual(s.restEndpoint, SogniConfig.defaults.restEndpoint)
    assert.strictEqual(s.socketEndpoint, SogniConfig.defaults.socketEndpoint)
  })

  it("no endpoint in code: the environment's (an empty variable counts as unset)", () => {
    const s = settingsOf({ appId: "a" }, env)
    assert.strictEqual(s.restEndpoint, "http://10.0.0.5:9000")
    assert.strictEqual(s.socketEndpoint, "ws://10.0.0.5:9001")
    const empty = settingsOf({}, { SOGNI_REST_ENDPOINT: " ", SOGNI_SOCKET_ENDPOINT: "" })
    assert.strictEqual(empty.restEndpoint, SogniConfig.defaults.restEndpoint)
    assert.strictEqual(empty.socketEndpoint, SogniConfig.defaults.socketEndpoint)
  })

  it("an endpoint in code wins over the environment, each endpoint on its own", () => {
    const s = settingsOf({ restEndpoint: "https://rest.example" }, env)
    assert.strictEqual(s.restEndpoint, "https://rest.example")
    assert.strictEqual(s.socketEndpoint, "ws://10.0.0.5:9001")
  })

  it("layerConfig follows the same rule for endpoints", () => {
    const s = Effect.runSync(
      Effect.map(Layer.build(SogniConfig.layerConfig({ socketEndpoint: "wss://socket.example" })), (ctx) =>
        Context.get(ctx, SogniConfig.SogniConfig)).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
    )
    assert.strictEqual(s.restEndpoint, "http://10.0.0.5:9000")
    assert.strictEqual(s.socketEndpoint, "wss://socket.example")
  })

  // `config` is built on its first read (not at import); every read sees the environment of that read
  it("layerConfig reads every variable of the environment description, on each build", () => {
    const read = (vars: Record<string, string>) =>
      Effect.runSync(
        Effect.map(Layer.build(SogniConfig.layerConfig()), (ctx) => Context.get(ctx, SogniConfig.SogniConfig)).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))
        )
      )
    const first = read({
      SOGNI_APP_ID: "app-1",
      SOGNI_API_KEY: "key-1",
      SOGNI_NETWORK: "relaxed",
      SOGNI_TESTNET: "true",
      SOGNI_APP_SOURCE: "cli"
    })
    assert.strictEqual(first.appId, "app-1")
    assert.strictEqual(Option.map(first.apiKey, Redacted.value).pipe(Option.getOrUndefined), "key-1")
    assert.strictEqual(first.network, "relaxed")
    assert.isTrue(first.testnet)
    assert.strictEqual(first.restEndpoint, SogniConfig.defaults.restEndpoint)
    const second = read({ SOGNI_APP_ID: "app-2" })
    assert.strictEqual(second.appId, "app-2")
    assert.isTrue(Option.isNone(second.apiKey))
    assert.strictEqual(second.network, SogniConfig.defaults.network)
    assert.isFalse(second.testnet)
    // a malformed variable is a ConfigError naming it, as before
    const bad = Effect.runSync(
      Effect.either(Layer.build(SogniConfig.layerConfig())).pipe(
        Effect.scoped,
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SOGNI_NETWORK", "slow"]])))
      )
    )
    assert.isTrue(Either.isLeft(bad) && String(bad.left).includes("SOGNI_NETWORK"))
  })
})

describe("endpoints that are not URLs", () => {
  it.scopedLive("fail the socket and REST calls with a typed error naming the setting, not the layer with a defect", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(
        Sogni.layer({ appId: "bad-endpoints", apiKey: Redacted.make("k"), restEndpoint: "api.example" })
      ).pipe(
        // the socket endpoint comes from the environment this time
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SOGNI_SOCKET_ENDPOINT", "socket host"]])))
      )
      const socket = Context.get(ctx, SogniSocket.SogniSocket)
      const rest = Context.get(ctx, SogniRest.SogniRest)
      const connected = yield* Effect.either(socket.awaitAuthenticated.pipe(Effect.timeout("20 seconds")))
      assert.isTrue(Either.isLeft(connected))
      if (Either.isLeft(connected)) {
        assert.strictEqual(connected.left._tag, "SogniInvalidRequest")
        assert.strictEqual((connected.left as { field: string }).field, "socketEndpoint")
      }
      for (const host of ["rest", "socket"] as const) {
        const called = yield* Effect.either(rest.get(host, "/v1/account/me", Protocol.AccountMe))
        assert.isTrue(Either.isLeft(called))
        if (Either.isLeft(called)) {
          assert.strictEqual(called.left._tag, "SogniInvalidRequest")
          assert.strictEqual((called.left as { field: string }).field, `${host}Endpoint`)
        }
      }
    }))
})

describe("current values against the emulator", () => {
  layer(emulatorLayer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("Sogni.layer({ apiKey }) with the endpoints only in the environment reaches the emulator", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const ctx = yield* Layer.build(
          Sogni.layer({ appId: `env-${crypto.randomUUID()}`, apiKey: Redacted.make(emulator.apiKey) })
        ).pipe(Effect.withConfigProvider(envOf(emulator)))
        const socket = Context.get(ctx, SogniSocket.SogniSocket)
        const hello = yield* socket.awaitAuthenticated
        assert.strictEqual(hello.username, "pixelfox")
        assert.strictEqual(Context.get(ctx, SogniConfig.SogniConfig).restEndpoint, emulator.url.replace(/\/+$/, ""))
      }))

    it.scoped("the README's core program: the model list pushed at the handshake is read after the fact", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        // as in README.md "Using core", with the endpoints from the environment
        const program = Effect.gen(function*() {
          const socket = yield* SogniSocket.SogniSocket
          const hello = yield* socket.awaitAuthenticated
          yield* Effect.log(`connected as ${hello.username}`)
          const models = yield* socket.watch("swarmModels").pipe(Stream.take(1), Stream.runHead)
          yield* Effect.log(models)
          return models
        })
        const live = SogniSocket.layer().pipe(
          Layer.provide(SogniSocket.layerCredentialsApiKey),
          Layer.provide(SogniConfig.layer({ appId: `readme-${crypto.randomUUID()}`, apiKey: Redacted.make(emulator.apiKey) }))
        )
        const models = yield* Effect.provide(program, live).pipe(
          Effect.withConfigProvider(envOf(emulator)),
          Effect.timeout("20 seconds")
        )
        assert.isTrue(Option.isSome(models))
        if (Option.isSome(models)) assert.isAbove(Object.keys(models.value).length, 0)
      }))

    it.scoped("latest holds the handshake's models; watch starts with them even long after they arrived", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const ctx = yield* Layer.build(
          Sogni.layer({
            appId: `latest-${crypto.randomUUID()}`,
            apiKey: Redacted.make(emulator.apiKey),
            restEndpoint: emulator.url,
            socketEndpoint: emulator.wsUrl
          })
        )
        const socket = Context.get(ctx, SogniSocket.SogniSocket)
        yield* socket.awaitAuthenticated
        const known = yield* socket.latest.swarmModels.changes.pipe(
          Stream.filterMap((o) => o),
          Stream.runHead,
          Effect.timeout("10 seconds")
        )
        const watched = yield* socket.watch("swarmModels").pipe(Stream.runHead, Effect.timeout("10 seconds"))
        assert.deepStrictEqual(watched, known)
        assert.deepStrictEqual(yield* SubscriptionRef.get(socket.latest.swarmModels), known)
        // the handshake's balance push is kept the same way
        const balance = yield* socket.watch("balanceUpdate").pipe(Stream.runHead, Effect.timeout("10 seconds"))
        assert.isTrue(Option.isSome(balance))
      }))

    it.scoped("a refused key (close 4021) fails awaitAuthenticated, watch and send with the authentication error", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const ctx = yield* Layer.build(
          Sogni.layer({
            appId: `refused-${crypto.randomUUID()}`,
            apiKey: Redacted.make("not-a-key"),
            restEndpoint: emulator.url,
            socketEndpoint: emulator.wsUrl,
            // long transport deadlines: only the refusal itself can end these waits in time
            authenticateTimeout: "5 minutes",
            sendTimeout: "5 minutes"
          })
        )
        const socket = Context.get(ctx, SogniSocket.SogniSocket)
        const watched = yield* Effect.either(
          socket.watch("swarmModels").pipe(Stream.runHead, Effect.timeout("20 seconds"))
        )
        const sent = yield* Effect.either(
          socket.send({ type: "changeNetwork", payload: "relaxed" }).pipe(Effect.timeout("20 seconds"))
        )
        const authenticated = yield* Effect.either(socket.awaitAuthenticated.pipe(Effect.timeout("20 seconds")))
        const outcomes: ReadonlyArray<Either.Either<unknown, { readonly _tag: string; readonly reason?: string }>> = [watched, sent, authenticated]
        for (const result of outcomes) {
          assert.isTrue(Either.isLeft(result))
          if (Either.isLeft(result)) {
            assert.strictEqual(result.left._tag, "SogniAuthenticationError")
            assert.strictEqual(result.left.reason, "InvalidCredentials")
          }
        }
      }))
  })
})
