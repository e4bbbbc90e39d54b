/**
 * The ZelAI room with a raw `ws` client: auth first and its failure (error, then close 1008), requests
 * before auth, ping/pong, malformed frames, option validation, progress then completion, streaming LLM and
 * the JSON-with-stream refusal, cancel, the ledger's concurrency cap, and the CDN's bearer check.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import WebSocket from "ws"
import * as Emulator from "../src/Emulator.js"

interface Raw {
  readonly send: (frame: unknown) => void
  readonly sendText: (text: string) => void
  /** Waits for the next frame matching `pred` (frames seen earlier count too). */
  readonly next: (pred: (f: Record<string, any>) => boolean) => Effect.Effect<Record<string, any>>
  readonly frames: Array<Record<string, any>>
  readonly closed: Effect.Effect<number>
}

const open = (emulator: Emulator.Service): Effect.Effect<Raw, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Raw>((resume) => {
      const ws = new WebSocket(`${emulator.wsUrl}/ws/generation`)
      const frames: Array<Record<string, any>> = []
      const waiters = new Set<() => void>()
      let closeCode: number | undefined
      ws.on("message", (raw) => {
        frames.push(JSON.parse(raw.toString()))
        for (const w of [...waiters]) w()
      })
      ws.on("close", (code) => {
        closeCode = code
        for (const w of [...waiters]) w()
      })
      ws.on("open", () =>
        resume(Effect.succeed({
          frames,
          send: (frame) => ws.send(JSON.stringify(frame)),
          sendText: (text) => ws.send(text),
          next: (pred) =>
            Effect.async<Record<string, any>>((done) => {
              const check = () => {
                const found = frames.find(pred)
                if (found !== undefined) {
                  waiters.delete(check)
                  done(Effect.succeed(found))
                }
              }
              waiters.add(check)
              check()
            }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "no such frame" }), Effect.orDie),
          closed: Effect.async<number>((done) => {
            const check = () => {
              if (closeCode !== undefined) {
                waiters.delete(check)
                done(Effect.succeed(closeCode))
              }
            }
            waiters.add(check)
            check()
          }),
          close: () => ws.terminate()
        } as Raw & { close: () => void }))
      )
    }),
    (raw) => Effect.sync(() => (raw as Raw & { close: () => void }).close())
  )

const authed = (emulator: Emulator.Service) =>
  Effect.gen(function*() {
    const raw = yield* open(emulator)
    raw.send({ type: "auth", data: { apiKey: emulator.zelai.apiKey } })
    yield* raw.next((f) => f.type === "auth_success")
    return raw
  })

const roomTest = (name: string, body: (emulator: Emulator.Service) => Effect.Effect<void, never, Scope.Scope>, options: Emulator.Options = {}) =>
  it.scopedLive(name, () =>
    Effect.flatMap(Emulator.Emulator, body).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4, ...options }))), 30_000)

const byId = (id: string, type: string) => (f: Record<string, any>) => f.requestId === id && f.type === type

describe("ZelAI room", () => {
  roomTest("a wrong key gets error AUTH_ERROR then close 1008; requests before auth get AUTH_REQUIRED", (emulator) =>
    Effect.gen(function*() {
      assert.strictEqual(emulator.zelai.apiKey, Emulator.DEFAULT_ZELAI_KEY)
      assert.isTrue(emulator.zelai.apiKey.startsWith("zelai_pk_"))
      const early = yield* open(emulator)
      early.send({ type: "get_settings", requestId: "r-early" })
      const required = yield* early.next(byId("r-early", "error"))
      assert.strictEqual(required.data.code, "AUTH_REQUIRED")
      early.send({ type: "auth", data: { apiKey: "zelai_pk_wrong" } })
      const refused = yield* early.next((f) => f.type === "error" && f.requestId === undefined)
      assert.strictEqual(refused.data.code, "AUTH_ERROR")
      assert.strictEqual(yield* early.closed, 1008)
    }))

  roomTest("ping/pong, malformed frames answered without a request id, validation errors with it", (emulator) =>
    Effect.gen(function*() {
      const raw = yield* authed(emulator)
      raw.send({ type: "ping" })
      yield* raw.next((f) => f.type === "pong")
      raw.sendText("{ nope")
      const bad = yield* raw.next((f) => f.type === "error" && f.data.message === "Malformed JSON")
      assert.isUndefined(bad.requestId)
      raw.send({ type: "generate_image", requestId: "r1", data: { prompt: "x", width: 100 } })
      assert.strictEqual((yield* raw.next(byId("r1", "error"))).data.code, "INVALID_REQUEST")
      raw.send({ type: "generate_llm", requestId: "r2", data: { prompt: "x", stream: true, jsonFormat: true } })
      assert.strictEqual((yield* raw.next(byId("r2", "error"))).data.code, "INVALID_REQUEST")
      raw.send({ type: "generate_upscale", requestId: "r3", data: { imageId: "missing" } })
      assert.strictEqual((yield* raw.next(byId("r3", "error"))).data.code, "RESOURCE_NOT_FOUND")
      raw.send({ type: "cancel", requestId: "never-started" })
      raw.send({ type: "ping" })
      yield* raw.next((f) => f.type === "pong" && raw.frames.filter((g) => g.type === "pong").length === 2)
    }))

  roomTest("an image: progress 0→100 then generation_complete with data.result; a streamed LLM; cancel stops a job", (emulator) =>
    Effect.gen(function*() {
      const raw = yield* authed(emulator)
      raw.send({ type: "generate_image", requestId: "img", data: { prompt: "a bay", format: "landscape", seed: 9 } })
      const done = yield* raw.next(byId("img", "generation_complete"))
      assert.deepInclude(done.data.result, { width: 1344, height: 768, seed: 9 })
      const progress = raw.frames.filter(byId("img", "progress")).map((f) => f.data.progress)
      assert.deepStrictEqual(progress, [0, 20, 40, 60, 80, 100])
      raw.send({ type: "generate_llm", requestId: "llm", data: { prompt: "Count to three", stream: true } })
      const text = yield* raw.next(byId("llm", "generation_complete"))
      const chunks = raw.frames.filter(byId("llm", "llm_chunk")).map((f) => f.data.chunk).join("")
      assert.strictEqual(chunks, text.data.result.text)
      assert.strictEqual(text.data.result.tokensUsed, text.data.result.promptTokens + text.data.result.completionTokens)
      raw.send({ type: "generate_image", requestId: "slow", data: { prompt: "[[slow]] a bay" } })
      yield* raw.next(byId("slow", "progress"))
      raw.send({ type: "cancel", requestId: "slow" })
      yield* Effect.sleep("300 millis")
      assert.isUndefined(raw.frames.find(byId("slow", "generation_complete")))
      assert.deepStrictEqual(emulator.zelai.cancelled(), ["slow"])
      assert.deepStrictEqual(emulator.zelai.billed().map((b) => b.requestId), ["img", "llm"])
    }))

  roomTest("the concurrency cap refuses with CONCURRENT_LIMIT_EXCEEDED and frees its slot when a job ends", (emulator) =>
    Effect.gen(function*() {
      const raw = yield* authed(emulator)
      raw.send({ type: "generate_image", requestId: "a", data: { prompt: "[[slow]] one" } })
      raw.send({ type: "generate_image", requestId: "b", data: { prompt: "two" } })
      const refused = yield* raw.next(byId("b", "error"))
      assert.strictEqual(refused.data.code, "CONCURRENT_LIMIT_EXCEEDED")
      assert.strictEqual(refused.data.details.retryAfter, 1)
      raw.send({ type: "get_rate_limits", requestId: "rl" })
      const limits = yield* raw.next(byId("rl", "settings_response"))
      assert.isFalse(limits.data.rateLimits.find((l: { operation: string }) => l.operation === "image").allowed)
      raw.send({ type: "cancel", requestId: "a" })
      raw.send({ type: "generate_image", requestId: "c", data: { prompt: "three" } })
      yield* raw.next(byId("c", "generation_complete"))
    }), { zelai: { limits: { image: { requestsPer15Min: 1, requestsPerDay: 10 } } } })

  roomTest("the CDN serves results to the key's bearer only", (emulator) =>
    Effect.gen(function*() {
      const raw = yield* authed(emulator)
      raw.send({ type: "generate_image", requestId: "img", data: { prompt: "a bay", width: 320, height: 320 } })
      const done = yield* raw.next(byId("img", "generation_complete"))
      const url = `${emulator.url}/api/v1/cdn/${done.data.result.imageId}.png`
      const anonymous = yield* Effect.promise(() => fetch(url))
      assert.strictEqual(anonymous.status, 401)
      const ok = yield* Effect.promise(() => fetch(url, { headers: { authorization: `Bearer ${emulator.zelai.apiKey}` } }))
      assert.strictEqual(ok.headers.get("content-type"), "image/png")
      assert.isAbove((yield* Effect.promise(() => ok.arrayBuffer())).byteLength, 1000)
      const missing = yield* Effect.promise(() => fetch(`${emulator.url}/api/v1/cdn/nope.png`, { headers: { authorization: `Bearer ${emulator.zelai.apiKey}` } }))
      assert.strictEqual(missing.status, 404)
    }))
})
