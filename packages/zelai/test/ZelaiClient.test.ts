/**
 * The ZelAI client against the emulator's ZelAI room over real loopback sockets.
 */
import { RetryPolicy } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as TestClock from "effect/TestClock"
import * as Duration from "effect/Duration"
import * as Connection from "../src/internal/connection.js"
import { ZelaiClient, type ZelaiProtocol } from "../src/index.js"

const clientFor = (emulator: Emulator.Service, options: Partial<ZelaiClient.Options> = {}) =>
  Effect.map(
    Layer.build(
      ZelaiClient.layer({
        apiKey: Redacted.make(emulator.zelai.apiKey),
        baseUrl: emulator.url,
        reconnectBase: "20 millis",
        reconnectCap: "100 millis",
        resumeGrace: "2 seconds",
        ...options
      })
    ),
    (ctx) => Context.get(ctx, ZelaiClient.ZelaiClient)
  )

const zelaiTest = (
  name: string,
  body: (emulator: Emulator.Service) => Effect.Effect<void, unknown, Scope.Scope>,
  emulatorOptions: Emulator.Options = {}
) =>
  it.scopedLive(name, () =>
    Effect.flatMap(Emulator.Emulator, (emulator) => Effect.scoped(body(emulator))).pipe(
      Effect.provide(Emulator.layer({ port: 0, speed: 4, zelai: { refusalRetryAfterSeconds: 0.2 }, ...emulatorOptions }))
    ), 30_000)

const completed = <R>(events: ReadonlyArray<ZelaiClient.GenerationEvent<R>>): R => {
  const last = events[events.length - 1]
  assert(last !== undefined && last._tag === "Completed", `the stream ends with Completed (got ${last?._tag})`)
  return last.result
}

/**
 * Polls a condition on the emulator (real time, every 20 ms, at most 10 s). The emulator shares this
 * process but not its timing: what the client sent reaches it on a later turn, later still on a loaded
 * machine, so tests wait for the state instead of sleeping a fixed time.
 */
const eventually = (check: () => boolean) =>
  Effect.repeat(Effect.sync(check), { until: (ok) => ok, schedule: Schedule.spaced("20 millis") }).pipe(
    Effect.timeout("10 seconds")
  )

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toArray)

const PNG = [0x89, 0x50, 0x4e, 0x47]
const pngSize = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

describe("ZelaiClient", () => {
  zelaiTest("a key without the zelai_pk_ prefix is refused before any I/O", (emulator) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(clientFor(emulator, { apiKey: Redacted.make("sk_live_123") }))
      assert.strictEqual(error._tag, "SogniInvalidRequest")
      assert.strictEqual(error.field, "apiKey")
      assert.strictEqual(error.rule, "prefix")
      assert.notInclude(error.message, "sk_live_123")
      const bad = yield* Effect.flip(clientFor(emulator, { baseUrl: "ftp://x" }))
      assert.strictEqual(bad.field, "baseUrl")
      assert.strictEqual(emulator.zelai.received().length, 0)
    }))

  zelaiTest("text-to-image streams progress and a result that downloads as the real PNG", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const events = yield* collect(zelai.image({ prompt: "lighthouse on a basalt cliff", style: "realistic", format: "post", seed: 4242 }))
      assert.strictEqual(events[0]!._tag, "Started")
      const percents = events.flatMap((e) => (e._tag === "Progress" ? [e.percent] : []))
      assert.isAtLeast(percents.length, 3)
      assert.deepStrictEqual([...percents].sort((a, b) => a - b), percents)
      const result = completed(events)
      assert.strictEqual(result.width, 1152)
      assert.strictEqual(result.height, 896)
      assert.strictEqual(result.seed, 4242)
      const bytes = yield* zelai.download(ZelaiClient.imageFile(result))
      assert.deepStrictEqual([...bytes.slice(0, 4)], PNG)
      assert.deepStrictEqual(pngSize(bytes), { width: 1152, height: 896 })
      // what went on the wire: auth first, then the request with the options as given
      const received = emulator.zelai.received()
      assert.strictEqual(received[0]!.type, "auth")
      assert.deepStrictEqual(received.filter((r) => r.type === "generate_image").length, 1)
      assert.strictEqual(emulator.zelai.billed().length, 1)
    }))

  zelaiTest("edit (one and two images, resizePad), video from image and 2/3/4× upscale", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const base = completed(yield* collect(zelai.image({ prompt: "a red fox", width: 320, height: 384, seed: 7 })))
      const other = completed(yield* collect(zelai.image({ prompt: "a snowy field", width: 320, height: 320 })))
      const edited = completed(yield* collect(zelai.edit({ imageId: base.imageId, prompt: "add dramatic lighting", width: 512, height: 512, resizePad: true })))
      assert.strictEqual(edited.width, 512)
      const dual = completed(yield* collect(zelai.edit({ imageId: base.imageId, imageId2: other.imageId, prompt: "put image 1 in image 2" })))
      assert.notStrictEqual(dual.imageId, base.imageId)
      for (const factor of [2, 3, 4] as const) {
        const up = completed(yield* collect(zelai.upscale({ imageId: base.imageId, factor })))
        assert.deepStrictEqual([up.width, up.height], [320 * factor, 384 * factor])
        if (factor === 2) assert.deepStrictEqual(pngSize(yield* zelai.download(ZelaiClient.imageFile(up))), { width: 640, height: 768 })
      }
      const video = completed(yield* collect(zelai.video({ imageId: base.imageId, prompt: "slow push-in", duration: 2, fps: 12 })))
      assert.deepStrictEqual([video.duration, video.fps], [2, 12])
      const mp4 = yield* zelai.download(ZelaiClient.videoFile(video))
      assert.strictEqual(new TextDecoder().decode(mp4.slice(4, 8)), "ftyp")
      const missing = yield* Effect.flip(collect(zelai.upscale({ imageId: "no-such-image" })))
      assert(missing._tag === "ZelaiRequestError")
      assert.strictEqual(missing.reason, "NotFound")
      assert.strictEqual(missing.code, "RESOURCE_NOT_FOUND")
      assert.isString(missing.requestId)
    }))

  zelaiTest("bad options fail with field and rule and send nothing", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const cases: ReadonlyArray<[Stream.Stream<unknown, unknown>, string, string]> = [
        [zelai.image({ prompt: "x", seed: 2_000_000_001 }), "seed", "range"],
        [zelai.image({ prompt: "x", width: 100 }), "width", "range"],
        [zelai.image({ prompt: "  " }), "prompt", "non-empty"],
        [zelai.image({ prompt: "x", style: "cinematic" as ZelaiProtocol.Style }), "style", "one-of"],
        [zelai.video({ imageId: "a", duration: 11 }), "duration", "range"],
        [zelai.video({ imageId: "a", fps: 7 }), "fps", "range"],
        [zelai.upscale({ imageId: "a", factor: 5 as 2 }), "factor", "one-of"],
        [zelai.llmStream({ prompt: "x", jsonFormat: true }), "jsonFormat", "not-with-streaming"],
        [zelai.llmStream({ prompt: "x", jsonTemplate: { a: "b" } }), "jsonTemplate", "not-with-streaming"]
      ]
      for (const [stream, field, rule] of cases) {
        const error = yield* Effect.flip(Stream.runDrain(stream))
        assert.deepInclude(error as object, { field, rule })
      }
      const long = yield* Effect.flip(zelai.llm({ prompt: "x".repeat(90_001) }))
      assert.deepInclude(long as object, { field: "prompt", rule: "max-length" })
      const days = yield* Effect.flip(zelai.usage(0))
      assert.deepInclude(days as object, { field: "days", rule: "range" })
      assert.strictEqual(emulator.zelai.received().length, 0)
    }))

  zelaiTest("LLM: plain, streamed, system + memory, JSON with a template, vision", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const plain = yield* zelai.llm({ prompt: "Give me two rhymes for harbor", system: "Answer in one line", memory: ["User: hi", "Assistant: hello"] })
      assert.include(plain.text, "harbor")
      assert.strictEqual(plain.tokensUsed, plain.promptTokens! + plain.completionTokens!)
      const parts = yield* collect(zelai.llmStream({ prompt: "Count to three" }))
      const deltas = parts.flatMap((p) => (p._tag === "Delta" ? [p.text] : []))
      assert.isAtLeast(deltas.length, 3)
      const done = parts[parts.length - 1]!
      assert(done._tag === "Done")
      assert.strictEqual(deltas.join(""), done.result.text)
      const json = yield* zelai.llm({ prompt: "Describe a harbor", jsonFormat: true, jsonTemplate: { title: "string: a title", rooms: "integer: how many" } })
      const value = json.json as { title: unknown; rooms: unknown }
      assert.isString(value.title)
      assert.isNumber(value.rooms)
      const image = completed(yield* collect(zelai.image({ prompt: "a cat", width: 320, height: 320 })))
      const vision = yield* zelai.llm({ prompt: "What is in this picture?", imageId: image.imageId })
      assert.include(vision.text, "I see 1 image")
    }))

  zelaiTest("settings, usage and rate limits are typed and change with use", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const before = yield* zelai.rateLimits
      const imageBefore = before.find((r) => r.operation === "image")!
      assert.strictEqual(imageBefore.remainingDaily, 100)
      yield* collect(zelai.image({ prompt: "a boat", width: 320, height: 320 }))
      yield* zelai.llm({ prompt: "hello there" })
      const after = (yield* zelai.rateLimits).find((r) => r.operation === "image")!
      assert.strictEqual(after.remainingDaily, 99)
      const usage = yield* zelai.usage(7)
      assert.strictEqual(usage.period.days, 7)
      assert.strictEqual(usage.summary.byOperation.image, 1)
      assert.strictEqual(usage.summary.byOperation.llm, 1)
      assert.isAbove(usage.summary.totalTokens, 0)
      const settings = yield* zelai.settings
      assert.strictEqual(settings.status, "active")
      assert.strictEqual(settings.rateLimits.llm!.maxPromptLength, 90_000)
      assert.strictEqual(settings.currentUsage!.image!.current!.requestsPerDay, 1)
    }))

  zelaiTest("a refused key fails every waiter at once, and later calls at once", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator, { apiKey: Redacted.make("zelai_pk_revoked") })
      const waiters = [
        Stream.runDrain(zelai.image({ prompt: "a" })),
        zelai.llm({ prompt: "b" }),
        Effect.asVoid(zelai.settings),
        Stream.runDrain(zelai.llmStream({ prompt: "c" }))
      ]
      const results = yield* Effect.all(waiters.map((w) => Effect.either(w)), { concurrency: "unbounded" }).pipe(
        Effect.timeoutFail({ duration: "1 second", onTimeout: () => "the waiters were left hanging" })
      )
      for (const r of results) {
        assert(Either.isLeft(r))
        assert.strictEqual(r.left._tag, "SogniAuthenticationError")
        assert.notInclude(r.left.message, "zelai_pk_revoked")
      }
      const later = yield* Effect.flip(zelai.llm({ prompt: "d" }))
      assert.strictEqual(later._tag, "SogniAuthenticationError")
      // one auth attempt: no reconnect loop with a bad key
      assert.strictEqual(emulator.zelai.received().filter((r) => r.type === "auth").length, 1)
    }))

  zelaiTest("a socket dropped mid-generation: the answer comes on the new socket, sent and billed once", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const progressed = yield* Deferred.make<void>()
      const fiber = yield* zelai.image({ prompt: "[[slow]] a harbour at night", width: 320, height: 320 }).pipe(
        Stream.tap((e) => (e._tag === "Progress" ? Deferred.succeed(progressed, undefined) : Effect.void)),
        Stream.runCollect,
        Effect.fork
      )
      yield* Deferred.await(progressed)
      assert.strictEqual(emulator.zelai.dropConnections({ abnormal: true }), 1)
      const events = Chunk.toArray(yield* Fiber.join(fiber))
      const result = completed(events)
      assert.isString(result.imageId)
      const sent = emulator.zelai.received().filter((r) => r.type === "generate_image")
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(emulator.zelai.billed().length, 1)
      assert.strictEqual(emulator.zelai.received().filter((r) => r.type === "auth").length, 2)
    }))

  zelaiTest("a generation whose socket died and whose answer never comes fails with its requestId, not re-sent", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator, { resumeGrace: "300 millis" })
      const progressed = yield* Deferred.make<void>()
      const fiber = yield* zelai.image({ prompt: "[[slow]] a harbour at dawn", width: 320, height: 320 }).pipe(
        Stream.tap((e) => (e._tag === "Progress" ? Deferred.succeed(progressed, undefined) : Effect.void)),
        Stream.runDrain,
        Effect.fork
      )
      yield* Deferred.await(progressed)
      emulator.zelai.dropConnections({ code: 1011 })
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert(error._tag === "ZelaiConnectionLost")
      const sent = emulator.zelai.received().filter((r) => r.type === "generate_image")
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(error.requestId, sent[0]!.requestId)
      assert.isTrue(error.mayHaveBeenBilled)
      assert.include(error.message, "may have been billed")
      assert.strictEqual(emulator.zelai.billed().length, 0)
      // the connection itself recovered
      assert.strictEqual((yield* zelai.rateLimits).length, 4)
    }), { zelai: { onDisconnect: "cancel" } })

  zelaiTest("interrupting a stream sends cancel, stops the work on the emulator and drops late frames", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const events = yield* collect(
        zelai.image({ prompt: "[[slow]] a windmill", width: 320, height: 320 }).pipe(
          Stream.takeUntil((e) => e._tag === "Progress" && e.percent > 0)
        )
      )
      const requestId = events[0]!._tag === "Started" ? events[0]!.requestId : ""
      yield* eventually(() => emulator.zelai.cancelled().length > 0)
      assert.deepStrictEqual(emulator.zelai.cancelled(), [requestId])
      assert.strictEqual(emulator.zelai.running(), 0)
      assert.strictEqual(emulator.zelai.billed().length, 0)
      assert.deepStrictEqual(emulator.zelai.received().filter((r) => r.type === "cancel").map((r) => r.requestId), [requestId])
      // an LLM stream stopped after its first delta
      const first = yield* collect(zelai.llmStream({ prompt: "[[slow]] [[long]] tell me a long story" }).pipe(Stream.take(1)))
      assert.strictEqual(first.length, 1)
      yield* eventually(() => emulator.zelai.cancelled().length === 2)
      assert.strictEqual(emulator.zelai.running(), 0)
      assert.strictEqual(emulator.zelai.billed().length, 0)
    }), { speed: 1 }) // [[slow]] at speed 1: the image runs 2 s, so the cancel reaches it however loaded the machine

  zelaiTest("rate-limit and concurrency refusals carry retryAfter; core's retry policy waits and tries again", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      const refused = yield* Effect.flip(zelai.llm({ prompt: "[[rate-limit]] hi" }))
      assert(refused._tag === "ZelaiRequestError")
      assert.strictEqual(refused.reason, "RateLimited")
      assert.strictEqual(refused.code, "RATE_LIMIT_EXCEEDED")
      assert.strictEqual(refused.retryAfterMillis, 200)
      assert.isString(refused.resetAt)
      assert.isTrue(refused.isRetryable)
      const busy = yield* Effect.flip(Stream.runDrain(zelai.image({ prompt: "[[concurrent-limit]] a dog" })))
      assert(busy._tag === "ZelaiRequestError")
      assert.strictEqual(busy.reason, "ConcurrentLimit")
      assert.strictEqual(busy.retryAfterMillis, 200)

      const attempts: Array<number> = []
      const result = yield* Effect.suspend(() => {
        attempts.push(Date.now())
        return Stream.runCollect(zelai.image({ prompt: "[[rate-limit x1]] a lighthouse", width: 320, height: 320 }))
      }).pipe(RetryPolicy.retry({ ...RetryPolicy.defaults, retries: 2 }))
      assert.strictEqual(attempts.length, 2)
      assert.strictEqual(Chunk.last(result).pipe((o) => o._tag === "Some" && o.value._tag), "Completed")
      const sent = emulator.zelai.received().filter((r) => r.type === "generate_image")
      assert.strictEqual(sent.length, 3)
      assert.strictEqual(emulator.zelai.billed().length, 1)
    }))

  zelaiTest("malformed and unknown frames are logged and skipped; the request goes on; pings keep the socket alive", (emulator) =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        logs.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      yield* Effect.gen(function*() {
        const zelai = yield* clientFor(emulator, { pingInterval: "30 millis" })
        const progressed = yield* Deferred.make<void>()
        const fiber = yield* zelai.image({ prompt: "[[slow]] a quiet bay", width: 320, height: 320 }).pipe(
          Stream.tap((e) => (e._tag === "Progress" ? Deferred.succeed(progressed, undefined) : Effect.void)),
          Stream.runCollect,
          Effect.fork
        )
        yield* Deferred.await(progressed)
        for (const kind of ["notJson", "noType", "badProgress", "unknownType"] as const) {
          assert.strictEqual(emulator.zelai.sendMalformed(kind), 1)
        }
        const events = Chunk.toArray(yield* Fiber.join(fiber))
        completed(events)
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.All))
      const warnings = logs.filter((l) => l.startsWith("WARN") && l.includes("malformed"))
      assert.strictEqual(warnings.length, 3)
      assert.isTrue(logs.some((l) => l.includes("unknown type emulator_unknown_frame")))
      assert.isAbove(emulator.zelai.received().filter((r) => r.type === "ping").length, 0)
    }))

  zelaiTest("the emulator's fault control: injected failures are typed with their code; delayed frames still arrive", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator)
      emulator.zelai.failNext({ count: 2, code: "GENERATION_FAILED", message: "GPU fell over" })
      const first = yield* Effect.flip(Stream.runDrain(zelai.image({ prompt: "a heron" })))
      assert(first._tag === "ZelaiRequestError")
      assert.deepStrictEqual([first.reason, first.code, first.isRetryable], ["GenerationFailed", "GENERATION_FAILED", true])
      const second = yield* Effect.flip(zelai.llm({ prompt: "hi" }))
      assert(second._tag === "ZelaiRequestError")
      assert.strictEqual(second.code, "GENERATION_FAILED")
      emulator.zelai.failNext({ count: 1, code: "SHINY_NEW_CODE" })
      const unknown = yield* Effect.flip(zelai.llm({ prompt: "hi" }))
      assert(unknown._tag === "ZelaiRequestError")
      assert.deepStrictEqual([unknown.reason, unknown.code, unknown.isRetryable], ["Unknown", "SHINY_NEW_CODE", false])
      emulator.zelai.delayFrames(40)
      const answer = yield* zelai.llm({ prompt: "still there?" })
      assert.include(answer.text, "still there?")
      emulator.zelai.delayFrames(0)
      assert.strictEqual(emulator.zelai.billed().length, 1)
    }))

  zelaiTest("a generation with no answer within generationTimeout fails typed and is cancelled on the emulator", (emulator) =>
    Effect.gen(function*() {
      const zelai = yield* clientFor(emulator, { generationTimeout: "300 millis" })
      const error = yield* Effect.flip(Stream.runDrain(zelai.image({ prompt: "[[slow]] a long night", width: 320, height: 320 })))
      assert(error._tag === "ZelaiRequestError")
      assert.strictEqual(error.reason, "Timeout")
      const sent = emulator.zelai.received().filter((r) => r.type === "generate_image")
      assert.strictEqual(error.requestId, sent[0]!.requestId)
      yield* eventually(() => emulator.zelai.cancelled().length > 0)
      assert.deepStrictEqual(emulator.zelai.cancelled(), [error.requestId!])
      assert.strictEqual(emulator.zelai.running(), 0)
      assert.strictEqual(emulator.zelai.billed().length, 0)
    }), { speed: 1 }) // [[slow]] at speed 1 runs 2 s: still running when the 300 ms timeout's cancel arrives

  zelaiTest("readCoalesce: a non-finite value is refused naming the field; off and on stream the same reply", (emulator) =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(clientFor(emulator, { readCoalesce: Duration.infinity }))
      assert.strictEqual(bad.field, "readCoalesce")
      assert.strictEqual(bad.rule, "finite-duration")
      const replies: Array<string> = []
      for (const readCoalesce of ["0 millis", "5 millis"] as const) {
        const zelai = yield* clientFor(emulator, { readCoalesce })
        const parts = yield* collect(zelai.llmStream({ prompt: "Count to three" }))
        const deltas = parts.flatMap((p) => (p._tag === "Delta" ? [p.text] : []))
        const done = parts[parts.length - 1]!
        assert(done._tag === "Done")
        assert.strictEqual(deltas.join(""), done.result.text)
        replies.push(done.result.text)
      }
      assert.strictEqual(replies[0], replies[1])
    }))

  zelaiTest("at most maxInFlight requests at once: one more is refused before sending, retryable", (emulator) =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(clientFor(emulator, { maxInFlight: 0 }))
      assert.strictEqual(bad.field, "maxInFlight")
      assert.strictEqual(bad.rule, "positive-integer")
      const zelai = yield* clientFor(emulator, { maxInFlight: 1 })
      const pull = yield* Stream.toPull(zelai.image({ prompt: "[[slow]] a lighthouse", width: 320, height: 320 }))
      yield* pull
      const refused = yield* Effect.flip(zelai.llm({ prompt: "hello" }))
      assert(refused._tag === "ZelaiRequestError")
      assert.strictEqual(refused.reason, "ConcurrentLimit")
      assert.strictEqual(refused.code, "CLIENT_MAX_IN_FLIGHT")
      assert.isTrue(refused.isRetryable)
      assert.strictEqual(emulator.zelai.received().filter((r) => r.type === "generate_llm").length, 0)
      const rest = yield* Effect.flip(Effect.forever(pull))
      assert(Option.isNone(rest), "the image finishes")
      const answer = yield* zelai.llm({ prompt: "hello" })
      assert.isString(answer.text)
    }))

  zelaiTest("a consumer frameBufferCapacity frames behind: progress is dropped; an LLM stream fails Overflow and is cancelled", (emulator) =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(clientFor(emulator, { frameBufferCapacity: 1.5 }))
      assert.strictEqual(bad.field, "frameBufferCapacity")
      const zelai = yield* clientFor(emulator, { frameBufferCapacity: 1 })
      // an image whose consumer reads nothing until the job is over: stale progress dropped, result kept
      const image = yield* Stream.toPull(zelai.image({ prompt: "[[slow]] a harbor", width: 320, height: 320 }))
      const started = Chunk.toArray(yield* image)
      assert.strictEqual(started[0]!._tag, "Started")
      // billed: the emulator has written every progress frame. That is the server's side only (the
      // emulator shares this process, so a loaded machine can observe it before the client has read the
      // last progress frames, which would then land in a buffer the consumer has just emptied). A
      // settings round trip on the same socket is answered after them, so once it returns the client has
      // routed every progress frame: kept or dropped while its consumer was still behind.
      yield* eventually(() => emulator.zelai.billed().length === 1)
      yield* zelai.settings
      const events: Array<ZelaiClient.GenerationEvent<unknown>> = []
      const end = yield* Effect.flip(Effect.forever(Effect.map(image, (c) => events.push(...c))))
      assert(Option.isNone(end))
      // the one buffered frame is the first (0 %); every later one arrived at a full buffer and was dropped
      assert.deepStrictEqual(events.map((e) => e._tag === "Progress" ? e.percent : e._tag), [0, "Completed"])
      // an LLM stream: a chunk cannot be dropped, so the request fails and is cancelled upstream. The reply
      // is [[long]] (400 paced chunks, seconds at this speed) so it is still running when the cancel
      // arrives however late a loaded machine sends it; 12 chunks left only a few hundred milliseconds.
      const llm = yield* Stream.toPull(zelai.llmStream({ prompt: "[[slow]] [[long]] tell me a long story" }))
      const first = Chunk.toArray(yield* llm)
      assert.strictEqual(first[0]!._tag, "Delta")
      yield* eventually(() => emulator.zelai.cancelled().length === 1)
      const failed = yield* Effect.flip(Effect.forever(llm))
      assert(Option.isSome(failed) && failed.value._tag === "ZelaiRequestError")
      assert.strictEqual(failed.value.reason, "Overflow")
      assert.strictEqual(failed.value.code, "CLIENT_BUFFER_FULL")
      assert.isFalse(failed.value.isRetryable)
      const sent = emulator.zelai.received().filter((r) => r.type === "generate_llm")
      assert.strictEqual(failed.value.requestId, sent[0]!.requestId!)
      assert.deepStrictEqual(emulator.zelai.cancelled(), [sent[0]!.requestId!])
      assert.strictEqual(emulator.zelai.billed().length, 1)
    }))

  it.effect("request ids read the fiber's Clock and Random", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1234 millis")
      const a = yield* Connection.makeRequestId
      const b = yield* Connection.makeRequestId
      assert.match(a, /^req_1234_[0-9a-z]+$/)
      assert.match(b, /^req_1234_[0-9a-z]+$/)
      assert.notStrictEqual(a, b)
      assert.isBelow(a.length, 64)
    }))

  it.scoped("reconnect delays follow core's schedule: 1 s · 2ⁿ capped at 30 s (jitter off here)", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(
        ZelaiClient.layer({
          apiKey: Redacted.make("zelai_pk_nobody_home"),
          baseUrl: "http://127.0.0.1:1",
          reconnectJitter: 0,
          settingsTimeout: "1 hour"
        })
      )
      const zelai = Context.get(ctx, ZelaiClient.ZelaiClient)
      yield* Effect.fork(zelai.settings)
      const delays: Array<number> = []
      for (let attempt = 1; attempt <= 7; attempt++) {
        const status = yield* zelai.status.changes.pipe(
          Stream.filter((s) => s._tag === "Reconnecting" && s.attempt === attempt),
          Stream.runHead,
          Effect.flatten
        )
        if (status._tag !== "Reconnecting") return assert.fail("not reconnecting")
        delays.push(Duration.toSeconds(status.delay))
        yield* TestClock.adjust(status.delay)
      }
      assert.deepStrictEqual(delays, [1, 2, 4, 8, 16, 30, 30])
      assert.strictEqual((yield* SubscriptionRef.get(zelai.status))._tag, "Reconnecting")
      assert.strictEqual(Duration.toMillis(ZelaiClient.defaults.reconnectBase), 1000)
      assert.strictEqual(Duration.toMillis(ZelaiClient.defaults.reconnectCap), 30_000)
      assert.strictEqual(Duration.toMillis(ZelaiClient.defaults.pingInterval), 30_000)
    }), 30_000)
})
