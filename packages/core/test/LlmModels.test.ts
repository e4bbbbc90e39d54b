/**
 * The LLM model list's one home: `fromPayload` reads both entry shapes of `swarmLLMModels` (chat.md §9),
 * and `follow` mirrors the socket's latest push against the emulator over loopback, including a list that
 * arrived before anyone followed it (the list comes once, at the handshake).
 */
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { LlmModels, Sogni, SogniSocket } from "../src/index.js"

describe("LlmModels.fromPayload", () => {
  it("a legacy number is the worker count; an object keeps its limits and the whole entry as info", () => {
    const models = LlmModels.fromPayload({
      "old-model": 3,
      "qwen-x": { workers: 2, maxContextLength: 32768, maxOutputTokens: { min: 1, max: 8192, default: 2048 }, note: "n" }
    })
    assert.deepStrictEqual(models, [
      { id: "old-model", workers: 3, maxContextLength: undefined, maxOutputTokens: undefined, info: { workers: 3 } },
      {
        id: "qwen-x",
        workers: 2,
        maxContextLength: 32768,
        maxOutputTokens: { min: 1, max: 8192, default: 2048 },
        info: { workers: 2, maxContextLength: 32768, maxOutputTokens: { min: 1, max: 8192, default: 2048 }, note: "n" }
      }
    ])
  })
})

describe("LlmModels.follow against the emulator", () => {
  it.scopedLive("a list pushed at the handshake, before following began, is there at once", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const ctx = yield* Layer.build(Sogni.layer({
        appId: `llm-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      }))
      const socket = Context.get(ctx, SogniSocket.SogniSocket)
      assert.isFalse(yield* LlmModels.known(socket))
      yield* socket.awaitAuthenticated
      // the handshake's push lands in the socket's state
      yield* socket.latest.swarmLLMModels.changes.pipe(Stream.filter(Option.isSome), Stream.runHead, Effect.timeout("10 seconds"))
      assert.isTrue(yield* LlmModels.known(socket))
      const models = yield* LlmModels.follow(socket)
      const ids = (yield* SubscriptionRef.get(models)).map((m) => m.id)
      const latest = Option.getOrThrow(yield* SubscriptionRef.get(socket.latest.swarmLLMModels))
      assert.isAbove(ids.length, 0)
      assert.deepStrictEqual(ids, Object.keys(latest))
    }).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4 }))), 60_000)
})
