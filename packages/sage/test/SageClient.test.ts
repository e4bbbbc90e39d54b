/**
 * The Sage client against the emulator's Sage routes over real loopback sockets: the three response
 * shapes (D, S1, S2) through the same client, both route prefixes, vision, errors with their
 * `error_code`, empty answers, interruption closing the connection, and the client's own queue.
 */
import { SogniError } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { SageClient, SageWire } from "../src/index.js"
import { PNG_1X1 } from "./fixtures.js"

type Mode = "D" | "S1" | "S2"

const setup = (mode: Mode, options: SageClient.SageClientOptions = {}, prefix: "/api" | "" = "/api") =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.make({ sage: { mode, tokenMillis: 4 } })
    const client = yield* SageClient.make({ baseUrl: `${emulator.url}${prefix}`, retry: false, ...options }).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
    return { emulator, client }
  })

/** Polls a condition (real time) for up to two seconds. */
const eventually = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && !check(); i++) yield* Effect.sleep(20)
    return check()
  })

const textOf = (events: ReadonlyArray<SageWire.SageStreamEvent>) =>
  events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")

describe("SageClient: listing routes", () => {
  for (const mode of ["D", "S1", "S2"] as const) {
    it.scopedLive(`status, models, vision models and prompts read the ${mode} shapes`, () =>
      Effect.gen(function*() {
        const { client } = yield* setup(mode)
        const status = yield* client.status
        assert.deepStrictEqual(status.providers.ollama, { available: true, enabled: true })
        assert.deepStrictEqual(status.providers.lmstudio, { available: true, enabled: true })
        const models = yield* client.models()
        assert.deepStrictEqual(models.models.ollama, ["qwen2.5:7b", "llama3.2:latest", "llava:7b"])
        assert.deepStrictEqual(models.models.lmstudio, ["qwen2.5-7b-instruct", "gemma-3-4b-it"])
        const vision = yield* client.visionModels()
        assert.deepStrictEqual(vision.models.ollama, ["llava:7b"])
        if (mode === "S2") assert.strictEqual(vision.capabilities.ollama?.["llava:7b"]?.vision, true)
        const prompts = yield* client.prompts
        assert.isTrue(Object.keys(prompts.prompts).length > 0)
        assert.isTrue(mode === "D" ? "templates" in prompts.prompts : "base" in prompts.prompts)
      }))
  }

  it.scopedLive("the bare /sage_llm prefix works as well as /api/sage_llm", () =>
    Effect.gen(function*() {
      const { client } = yield* setup("S1", {}, "")
      assert.match(client.routeBase, /:\d+\/sage_llm$/)
      const models = yield* client.models()
      assert.include(models.models.ollama, "qwen2.5:7b")
      const answer = yield* client.generate({ model: "qwen2.5:7b", prompt: "Hello" })
      assert.match(answer.text, /^You said: "Hello"\./)
    }))

  it.scopedLive("a disabled provider lists no models", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      emulator.sage.setProvider("lmstudio", { enabled: false })
      const status = yield* client.status
      assert.deepStrictEqual(status.providers.lmstudio, { available: false, enabled: false })
      assert.deepStrictEqual((yield* client.models()).models.lmstudio, [])
    }))
})

describe("SageClient: generations in every shape", () => {
  for (const mode of ["D", "S1", "S2"] as const) {
    for (const provider of ["ollama", "lmstudio"] as const) {
      const model = provider === "ollama" ? "qwen2.5:7b" : "qwen2.5-7b-instruct"
      it.scopedLive(`${mode} ${provider}: generate and generate_stream give the same answer`, () =>
        Effect.gen(function*() {
          const { client, emulator } = yield* setup(mode)
          const whole = yield* client.generate({ provider, model, prompt: "Describe a foggy harbour" })
          assert.match(whole.text, /^You said: "Describe a foggy harbour"\./)
          if (mode !== "D") assert.strictEqual(whole.provider, provider)
          const events = Chunk.toReadonlyArray(
            yield* Stream.runCollect(client.generateStream({ provider, model, prompt: "Describe a foggy harbour" }))
          )
          const last = events.at(-1)!
          assert.strictEqual(last._tag, "Done")
          assert.strictEqual(last._tag === "Done" ? last.text : "", whole.text)
          assert.strictEqual(textOf(events).trim(), whole.text)
          assert.isTrue(events.filter((e) => e._tag === "TextDelta").length > 3, "the answer came in pieces")
          const progress = events.filter((e) => e._tag === "Progress")
          assert.strictEqual(progress.length, mode === "S2" && provider === "lmstudio" ? 3 : 0)
          assert.strictEqual(emulator.sage.requests().length, 2)
        }))
    }
  }

  it.scopedLive("requests carry the documented and the read field names", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      yield* client.generate({
        model: "qwen2.5:7b",
        prompt: "Name a colour",
        system: "You answer in one word.",
        temperature: 0.4,
        topP: 0.9,
        maxTokens: 64,
        presencePenalty: 0.5
      })
      const [record] = emulator.sage.requests()
      const body = record!.body
      assert.strictEqual(body.provider, "ollama")
      assert.strictEqual(body.system_prompt, "You answer in one word.")
      assert.strictEqual(body.system, "You answer in one word.")
      assert.deepStrictEqual(body.options, {
        temperature: 0.4,
        top_p: 0.9,
        presence_penalty: 0.5,
        max_tokens: 64,
        num_predict: 64
      })
      assert.strictEqual(body.temperature, 0.4)
      assert.strictEqual(body.max_tokens, 64)
      assert.strictEqual(record!.system, "You answer in one word.")
    }))

  it.scopedLive("maxTokens bounds the answer (num_predict)", () =>
    Effect.gen(function*() {
      const { client } = yield* setup("S1")
      const answer = yield* client.generate({ model: "qwen2.5:7b", prompt: "Tell me about lighthouses", maxTokens: 3 })
      assert.strictEqual(answer.text, "You said: \"Tell")
    }))

  it.scopedLive("S2 answers with canonical provider keys and the client reads them as ollama/lmstudio; ollama_rest is accepted", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S2")
      const answer = yield* client.generate({ provider: "ollama_rest", model: "qwen2.5:7b", prompt: "Hi" })
      assert.strictEqual(answer.provider, "ollama")
      assert.strictEqual(emulator.sage.requests()[0]!.provider, "ollama_rest")
    }))
})

describe("SageClient: vision", () => {
  for (const mode of ["D", "S1", "S2"] as const) {
    it.scopedLive(`${mode}: a vision request with a PNG data URL is answered`, () =>
      Effect.gen(function*() {
        // D documents data URLs; S1 reads raw base64 only; S2 takes both
        const { client, emulator } = yield* setup(mode, { images: mode === "D" ? "dataUrl" : "base64" })
        const image = SageWire.dataUrl(PNG_1X1, "image/png")
        const whole = yield* client.visionGenerate({ model: "llava:7b", prompt: "What is in the picture?", images: [image] })
        assert.match(whole.text, /I see 1 image\./)
        const streamed = yield* Stream.runCollect(
          client.visionGenerateStream({ provider: "lmstudio", model: "gemma-3-4b-it", prompt: "Caption it", images: [image, image] })
        )
        const last = Chunk.last(streamed)
        assert.isTrue(last._tag === "Some" && last.value._tag === "Done" && /I see 2 images\./.test(last.value.text))
        const sent = emulator.sage.requests()[0]!.body.images as ReadonlyArray<string>
        assert.strictEqual(sent[0], mode === "D" ? image : image.slice("data:image/png;base64,".length))
      }))
  }

  it.scopedLive("images are checked before sending: format, count, base64", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      const png = SageWire.dataUrl(PNG_1X1, "image/png")
      const refused = [
        { images: ["data:image/bmp;base64,Qk0="], field: "images[0]", rule: "format" },
        { images: ["https://example.com/cat.png"], field: "images[0]", rule: "data-url" },
        { images: ["data:image/png;base64,@@@"], field: "images[0]", rule: "base64" },
        { images: Array.from({ length: 11 }, () => png), field: "images", rule: "max-count" },
        { images: [], field: "images", rule: "required" }
      ]
      for (const { field, images, rule } of refused) {
        const error = yield* Effect.flip(client.visionGenerate({ model: "llava:7b", prompt: "What is it?", images }))
        assert.strictEqual(error._tag, "SogniInvalidRequest")
        if (error._tag === "SogniInvalidRequest") {
          assert.strictEqual(error.field, field)
          assert.strictEqual(error.rule, rule)
        }
      }
      assert.strictEqual(emulator.sage.requests().length, 0, "nothing was sent")
    }))

  it.scopedLive("a text-only model refuses images (S2 capability error code)", () =>
    Effect.gen(function*() {
      const { client } = yield* setup("S2")
      const error = yield* Effect.flip(
        client.visionGenerate({ model: "qwen2.5:7b", prompt: "What is it?", images: [SageWire.dataUrl(PNG_1X1, "image/png")] })
      )
      assert.strictEqual(error._tag, "SageError")
      if (error._tag === "SageError") {
        assert.strictEqual(error.status, 400)
        assert.strictEqual(error.errorCode, "LLM_MODEL_CAPABILITY_ERROR")
      }
    }))
})

describe("SageClient: failures", () => {
  it.scopedLive("input is validated before sending", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      const bad = yield* Effect.flip(client.generate({ model: "qwen2.5:7b", prompt: "Hi", temperature: 3 }))
      assert.strictEqual(bad._tag, "SogniInvalidRequest")
      if (bad._tag === "SogniInvalidRequest") assert.deepStrictEqual([bad.field, bad.rule], ["temperature", "maximum"])
      const empty = yield* Effect.flip(Stream.runDrain(client.generateStream({ model: "qwen2.5:7b", prompt: " " })))
      assert.strictEqual(empty._tag, "SogniInvalidRequest")
      assert.strictEqual(emulator.sage.requests().length, 0)
    }))

  it.scopedLive("unknown models and providers: typed errors with the server's status and error_code", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      const unknown = yield* Effect.flip(client.generate({ model: "llama3.2", prompt: "Hi" }))
      assert.strictEqual(unknown._tag, "SageError")
      if (unknown._tag === "SageError") {
        assert.strictEqual(unknown.reason, "BadRequest")
        assert.strictEqual(unknown.status, 400)
        assert.include(unknown.message, "Model 'llama3.2' is not available")
        assert.isUndefined(unknown.errorCode)
      }
      // ollama_rest is S2's key: an S1 server refuses it
      const s1Provider = yield* Effect.flip(client.generate({ provider: "ollama_rest", model: "qwen2.5:7b", prompt: "Hi" }))
      assert.isTrue(s1Provider._tag === "SageError" && s1Provider.status === 400)

      emulator.sage.setMode("S2")
      const s2 = yield* Effect.flip(client.generate({ model: "llama3.2", prompt: "Hi" }))
      assert.isTrue(s2._tag === "SageError" && s2.errorCode === "LLM_VALIDATION_ERROR" && s2.provider === "ollama_rest")
      // the streaming route reports it as an error event
      const streamed = yield* Effect.flip(Stream.runDrain(client.generateStream({ model: "llama3.2", prompt: "Hi" })))
      assert.isTrue(streamed._tag === "SageError" && streamed.reason === "GenerationFailed" && streamed.errorCode === "LLM_VALIDATION_ERROR")

      emulator.sage.setMode("D")
      const d = yield* Effect.flip(client.generate({ model: "llama3.2", prompt: "Hi" }))
      assert.isTrue(d._tag === "SageError" && d.status === 400)
    }))

  it.scopedLive("an unavailable provider: 503 Unavailable, or an error event on a stream", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S2")
      emulator.sage.setProvider("ollama", { available: false })
      const whole = yield* Effect.flip(client.generate({ model: "qwen2.5:7b", prompt: "Hi" }))
      assert.isTrue(whole._tag === "SageError" && whole.reason === "Unavailable" && whole.errorCode === "LLM_PROVIDER_UNAVAILABLE")
      assert.isTrue(whole._tag === "SageError" && whole.isRetryable)
      const streamed = yield* Effect.flip(Stream.runDrain(client.generateStream({ model: "qwen2.5:7b", prompt: "Hi" })))
      assert.isTrue(streamed._tag === "SageError" && streamed.errorCode === "LLM_PROVIDER_UNAVAILABLE")
    }))

  for (const mode of ["D", "S1", "S2"] as const) {
    it.scopedLive(`${mode}: [[fail]] fails a stream after its first pieces, and a whole generation with 500`, () =>
      Effect.gen(function*() {
        const { client } = yield* setup(mode)
        const seen: Array<string> = []
        const error = yield* Effect.flip(
          client.generateStream({ model: "qwen2.5:7b", prompt: "Write a line [[fail]]" }).pipe(
            Stream.runForEach((e) => Effect.sync(() => e._tag === "TextDelta" && seen.push(e.text)))
          )
        )
        assert.isTrue(seen.length > 0)
        assert.isTrue(error._tag === "SageError" && error.reason === "GenerationFailed")
        if (mode === "S2") assert.isTrue(error._tag === "SageError" && error.errorCode === "LLM_GENERATION_ERROR")
        const whole = yield* Effect.flip(client.generate({ model: "qwen2.5:7b", prompt: "Write a line [[fail]]" }))
        assert.isTrue(whole._tag === "SageError" && whole.reason === "ServerError" && whole.status === 500)
      }))

    it.scopedLive(`${mode}: a 200 with an empty answer is a failure (unless allowed)`, () =>
      Effect.gen(function*() {
        const { client } = yield* setup(mode)
        const whole = yield* Effect.flip(client.generate({ model: "qwen2.5:7b", prompt: "Hi [[empty]]" }))
        assert.isTrue(whole._tag === "SageError" && whole.reason === "EmptyResponse")
        const streamed = yield* Effect.flip(Stream.runDrain(client.generateStream({ model: "qwen2.5:7b", prompt: "Hi [[empty]]" })))
        assert.isTrue(streamed._tag === "SageError" && streamed.reason === "EmptyResponse")
        const { client: lenient } = yield* setup(mode, { emptyResponse: "allow" })
        assert.strictEqual((yield* lenient.generate({ model: "qwen2.5:7b", prompt: "Hi [[empty]]" })).text, "")
      }))
  }

  it.scopedLive("a stream the server ends without a final event fails as Incomplete", () =>
    Effect.gen(function*() {
      const { client } = yield* setup("S1")
      const seen: Array<string> = []
      const error = yield* Effect.flip(
        client.generateStream({ model: "qwen2.5:7b", prompt: "Cut me off [[drop]]" }).pipe(
          Stream.runForEach((e) => Effect.sync(() => e._tag === "TextDelta" && seen.push(e.text)))
        )
      )
      assert.isTrue(seen.length > 0)
      assert.isTrue(error._tag === "SageError" && error.reason === "Incomplete")
    }))

  it.scopedLive("a silent stream fails with a Timeout after idleTimeout", () =>
    Effect.gen(function*() {
      const { client } = yield* setup("S1", { idleTimeout: "60 millis" })
      const error = yield* Effect.flip(Stream.runDrain(client.generateStream({ model: "qwen2.5:7b", prompt: "Slowly [[slow]]" })))
      assert.isTrue(error._tag === "SogniTransportError" && error.reason === "Timeout")
    }))

  it.scopedLive("nobody listening: a transport error", () =>
    Effect.gen(function*() {
      const client = yield* SageClient.make({ baseUrl: "http://127.0.0.1:9/api", retry: false }).pipe(Effect.provide(FetchHttpClient.layer))
      const error = yield* Effect.flip(client.status)
      assert.isTrue(error._tag === "SogniTransportError" && error.reason === "Connect")
      assert.isTrue(SogniError.isSogniError(error))
    }))
})

describe("SageClient: interruption and the queue", () => {
  it.scopedLive("interrupting a stream closes its connection (the emulator records the disconnect)", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      // taking two pieces ends the stream early
      const firstTwo = yield* Stream.runCollect(
        client.generateStream({ model: "qwen2.5:7b", prompt: "A long story [[slow]]" }).pipe(Stream.take(2))
      )
      assert.strictEqual(firstTwo.length, 2)
      assert.isTrue(yield* eventually(() => emulator.sage.disconnects().length === 1))
      const [closed] = emulator.sage.disconnects()
      assert.strictEqual(closed!.route, "/generate_stream")
      assert.isTrue(closed!.chunksSent >= 2 && closed!.chunksSent < 8)

      // interrupting the consuming fiber does the same
      const fiber = yield* Effect.fork(
        Stream.runDrain(client.generateStream({ model: "qwen2.5:7b", prompt: "Another long story [[slow]]" }))
      )
      assert.isTrue(yield* eventually(() => emulator.sage.requests().length === 2))
      yield* Effect.sleep(300)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* eventually(() => emulator.sage.disconnects().length === 2))
      assert.strictEqual(emulator.sage.disconnects()[1]!.prompt, "Another long story [[slow]]")
      // the slot was given back: the next generation runs
      assert.deepStrictEqual(yield* client.queue, { running: 0, waiting: 0 })
      assert.match((yield* client.generate({ model: "qwen2.5:7b", prompt: "Done?" })).text, /^You said/)
    }))

  it.scopedLive("concurrent calls are queued by the client and all answered, one at a time on the server", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1")
      const prompts = Array.from({ length: 6 }, (_, i) => `Question number ${i}`)
      const answers = yield* Effect.forEach(
        prompts,
        (prompt, i) =>
          i % 2 === 0
            ? Effect.map(client.generate({ model: "qwen2.5:7b", prompt }), (r) => r.text)
            : Effect.map(
              Stream.runCollect(client.generateStream({ provider: "lmstudio", model: "qwen2.5-7b-instruct", prompt })),
              (events) => {
                const last = Chunk.last(events)
                return last._tag === "Some" && last.value._tag === "Done" ? last.value.text : ""
              }
            ),
        { concurrency: "unbounded" }
      )
      answers.forEach((text, i) => assert.include(text, `"Question number ${i}"`))
      const gate = emulator.sage.gate()
      assert.strictEqual(gate.maxActive, 1)
      // the next call may reach the server while the previous stream's handler is still closing: at most one waits
      assert.isAtMost(gate.maxWaiting, 1, "the client did not race its own requests to the server")
      assert.strictEqual(gate.finished, 6)

      // a client that does race them: the server still runs one at a time, the others wait there
      emulator.sage.clear()
      const racing = yield* SageClient.make({ baseUrl: `${emulator.url}/api`, concurrency: 6 }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      // the first one is slow, so the others surely arrive while it runs
      yield* Effect.forEach(
        prompts,
        (prompt, i) => racing.generate({ model: "qwen2.5:7b", prompt: i === 0 ? `${prompt} [[slow]]` : prompt }),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(emulator.sage.gate().maxActive, 1)
      assert.isAtLeast(emulator.sage.gate().maxWaiting, 2)
    }))

  it.scopedLive("the queue is bounded: beyond queueCapacity a call fails with QueueFull", () =>
    Effect.gen(function*() {
      const { client } = yield* setup("S1", { queueCapacity: 1 })
      const results = yield* Effect.forEach(
        [0, 1, 2],
        (i) => Effect.exit(client.generate({ model: "qwen2.5:7b", prompt: `Queued one ${i}` })),
        { concurrency: "unbounded" }
      )
      const full = results.filter((r) => Exit.isFailure(r))
      assert.strictEqual(full.length, 1, JSON.stringify(full))
      const failure = full[0]!
      assert.isTrue(
        Exit.isFailure(failure) && failure.cause._tag === "Fail" && failure.cause.error._tag === "SageError" &&
          failure.cause.error.reason === "QueueFull"
      )
    }))

  it.scopedLive("a wait longer than queueTimeout fails with QueueTimeout", () =>
    Effect.gen(function*() {
      const { client, emulator } = yield* setup("S1", { queueTimeout: "100 millis" })
      const slow = yield* Effect.fork(client.generate({ model: "qwen2.5:7b", prompt: "Hold the slot [[slow]]" }))
      // the slot is held once the emulator has the first request (a fixed sleep let a loaded machine send
      // the second call first, which then held the slot itself)
      assert.isTrue(yield* eventually(() => emulator.sage.requests().length === 1))
      const error = yield* Effect.flip(client.generate({ model: "qwen2.5:7b", prompt: "Me next" }))
      assert.isTrue(error._tag === "SageError" && error.reason === "QueueTimeout")
      yield* Fiber.join(slow)
    }))
})
