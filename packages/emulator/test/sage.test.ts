/**
 * The Sage LLM routes of the emulator over raw `fetch`: both prefixes, the D / S1 / S2 bodies and
 * stream events byte for byte, errors in each shape, the document's image limits (D only), the
 * one-at-a-time gate, and the record of streams the client closed.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as EmulatorModule from "../src/Emulator.js"
import { Emulator } from "../src/Emulator.js"
import { emulatorTest, http, json } from "./helpers.js"

const post = (url: string, body: unknown) =>
  http(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

/** The `data:` payloads of an SSE body. */
const events = (text: string) =>
  text.split("\n\n").filter((f) => f.startsWith("data: ")).map((f) => JSON.parse(f.slice("data: ".length)))

const PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGOQ+8kFAAL9AcZtaSzHAAAAAElFTkSuQmCC"

describe("Sage routes", () => {
  emulatorTest("both prefixes reach the same handlers; other Sage paths are 404; Sogni paths are untouched", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const bare = yield* json(yield* http(`${emulator.url}/sage_llm/models`))
      const api = yield* json(yield* http(`${emulator.url}/api/sage_llm/models`))
      assert.deepStrictEqual(bare, api)
      assert.deepStrictEqual(bare.data.models.ollama, ["qwen2.5:7b", "llama3.2:latest", "llava:7b"])
      const missing = yield* http(`${emulator.url}/api/sage_llm/nothing`)
      assert.strictEqual(missing.status, 404)
      assert.strictEqual((yield* json(missing)).success, false)
      assert.strictEqual((yield* http(`${emulator.url}/api/v1/models/list`)).status, 200)
    }))

  emulatorTest("S1: data envelope, chunk events with the double done on Ollama, 5-character slices on LM Studio", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const whole = yield* json(yield* post(`${emulator.url}/api/sage_llm/generate`, { provider: "ollama", model: "qwen2.5:7b", prompt: "Hi" }))
      assert.deepStrictEqual(Object.keys(whole.data).sort(), ["model", "provider", "response"])
      const response = yield* post(`${emulator.url}/api/sage_llm/generate_stream`, { provider: "OLLAMA", model: "qwen2.5:7b", prompt: "Hi" })
      assert.strictEqual(response.headers.get("content-type"), "text/event-stream")
      const ollama = events(yield* Effect.promise(() => response.text()))
      assert.deepStrictEqual(ollama.at(-2), { chunk: "", done: true })
      assert.deepStrictEqual(ollama.at(-1), { chunk: "", done: true, full_response: whole.data.response })
      assert.isTrue(ollama.slice(0, -2).every((e) => typeof e.chunk === "string" && e.done === false))
      const lm = events(yield* Effect.promise(async () =>
        (await fetch(`${emulator.url}/sage_llm/generate_stream`, {
          method: "POST",
          body: JSON.stringify({ provider: "lmstudio", model: "qwen2.5-7b-instruct", prompt: "Hi" })
        })).text()
      ))
      assert.isTrue(lm.slice(0, -1).every((e) => e.chunk.length <= 5))
      assert.strictEqual(lm.slice(0, -1).map((e) => e.chunk).join(""), lm.at(-1).full_response)
    }))

  emulatorTest("D: flat bodies, token events, status in error bodies, the document's image limits", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const whole = yield* json(yield* post(`${emulator.url}/api/sage_llm/generate`, { provider: "ollama", model: "qwen2.5:7b", prompt: "Hi" }))
      assert.strictEqual(whole.success, true)
      assert.isString(whole.response)
      const stream = events(yield* Effect.promise(async () =>
        (await fetch(`${emulator.url}/api/sage_llm/generate_stream`, {
          method: "POST",
          body: JSON.stringify({ provider: "ollama", model: "qwen2.5:7b", prompt: "Hi" })
        })).text()
      ))
      assert.isTrue(stream.slice(0, -1).every((e) => typeof e.token === "string"))
      assert.deepStrictEqual(stream.at(-1), { done: true, full_response: whole.response })
      const unknown = yield* post(`${emulator.url}/api/sage_llm/generate`, { provider: "ollama", model: "nope", prompt: "Hi" })
      assert.strictEqual(unknown.status, 400)
      assert.deepStrictEqual(Object.keys(yield* json(unknown)).sort(), ["error", "status", "success"])
      const dataUrl = `data:image/png;base64,${PNG_B64}`
      const tooMany = yield* post(`${emulator.url}/api/sage_llm/vision_generate`, {
        provider: "ollama",
        model: "llava:7b",
        prompt: "What?",
        images: Array.from({ length: 11 }, () => dataUrl)
      })
      assert.strictEqual(tooMany.status, 400)
      const rawB64 = yield* post(`${emulator.url}/api/sage_llm/vision_generate`, { provider: "ollama", model: "llava:7b", prompt: "What?", images: [PNG_B64] })
      assert.strictEqual(rawB64.status, 400)
      const fine = yield* post(`${emulator.url}/api/sage_llm/vision_generate`, { provider: "ollama", model: "llava:7b", prompt: "What?", images: [dataUrl] })
      assert.strictEqual(fine.status, 200)
    }), { sage: { mode: "D" } })

  emulatorTest("S2: canonical keys, capability maps, error_code, LM Studio progress events", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const status = yield* json(yield* http(`${emulator.url}/api/sage_llm/status`))
      assert.deepStrictEqual(Object.keys(status.data).sort(), ["lmstudio_rest", "native", "ollama_rest", "openai"])
      const models = yield* json(yield* http(`${emulator.url}/api/sage_llm/vision_models`))
      assert.strictEqual(models.data.capabilities.ollama_rest["llava:7b"].vision, true)
      const bad = yield* json(yield* post(`${emulator.url}/api/sage_llm/generate`, { provider: "cohere", model: "m", prompt: "Hi" }))
      assert.strictEqual(bad.error_code, "LLM_VALIDATION_ERROR")
      const lm = events(yield* Effect.promise(async () =>
        (await fetch(`${emulator.url}/api/sage_llm/generate_stream`, {
          method: "POST",
          body: JSON.stringify({ provider: "lmstudio_rest", model: "qwen2.5-7b-instruct", prompt: "Hi" })
        })).text()
      ))
      assert.deepStrictEqual(lm.slice(0, 3).map((e) => e.event), ["model_load.start", "model_load.progress", "model_load.end"])
      emulator.sage.setProvider("ollama", { enabled: false })
      const off = events(yield* Effect.promise(async () =>
        (await fetch(`${emulator.url}/api/sage_llm/generate_stream`, {
          method: "POST",
          body: JSON.stringify({ provider: "ollama", model: "qwen2.5:7b", prompt: "Hi" })
        })).text()
      ))
      assert.deepStrictEqual(off, [{
        error: "Provider ollama_rest is not available",
        error_code: "LLM_PROVIDER_UNAVAILABLE",
        done: true,
        provider: "ollama_rest",
        operation: "generate_stream"
      }])
    }), { sage: { mode: "S2" } })

  emulatorTest("S1 reads raw base64 images and refuses data URLs; malformed stream bodies are 500", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const ok = yield* post(`${emulator.url}/api/sage_llm/vision_generate`, { provider: "lmstudio", model: "gemma-3-4b-it", prompt: "What?", images: [PNG_B64] })
      assert.strictEqual(ok.status, 200)
      const dataUrl = yield* post(`${emulator.url}/api/sage_llm/vision_generate`, {
        provider: "lmstudio",
        model: "gemma-3-4b-it",
        prompt: "What?",
        images: [`data:image/png;base64,${PNG_B64}`]
      })
      assert.strictEqual(dataUrl.status, 500)
      const empty = yield* post(`${emulator.url}/api/sage_llm/vision_generate`, { provider: "lmstudio", model: "gemma-3-4b-it", prompt: "What?", images: [] })
      assert.strictEqual(empty.status, 400)
      const malformed = yield* http(`${emulator.url}/api/sage_llm/generate_stream`, { method: "POST", body: "{nope" })
      assert.strictEqual(malformed.status, 500)
      const missing = yield* json(yield* post(`${emulator.url}/api/sage_llm/generate`, { provider: "ollama" }))
      assert.strictEqual(missing.error, "Missing required fields: model, prompt")
    }))

  emulatorTest("one generation at a time: raced requests wait at the gate and are all answered", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const answers = yield* Effect.forEach(
        [0, 1, 2, 3],
        (i) =>
          Effect.flatMap(
            // the first one is slow, so the others surely arrive while it runs
            post(`${emulator.url}/api/sage_llm/generate`, { provider: "ollama", model: "qwen2.5:7b", prompt: `Q${i}${i === 0 ? " [[slow]]" : ""}` }),
            json
          ),
        { concurrency: "unbounded" }
      )
      answers.forEach((a, i) => assert.include(a.data.response, `"Q${i}"`))
      const gate = emulator.sage.gate()
      assert.strictEqual(gate.maxActive, 1)
      assert.isAtLeast(gate.maxWaiting, 2)
      assert.strictEqual(gate.finished, 4)
    }))

  emulatorTest("a stream the client aborts is recorded as a disconnect", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* Effect.promise(async () => {
        const controller = new AbortController()
        const response = await fetch(`${emulator.url}/api/sage_llm/generate_stream`, {
          method: "POST",
          body: JSON.stringify({ provider: "ollama", model: "qwen2.5:7b", prompt: "Long [[slow]]" }),
          signal: controller.signal
        })
        const reader = response.body!.getReader()
        await reader.read()
        controller.abort()
        await reader.read().catch(() => undefined)
      })
      for (let i = 0; i < 100 && emulator.sage.disconnects().length === 0; i++) yield* Effect.sleep(20)
      const [closed] = emulator.sage.disconnects()
      assert.strictEqual(closed?.prompt, "Long [[slow]]")
      assert.strictEqual(emulator.sage.gate().finished, 0)
    }))

  emulatorTest("invalid Sage options are refused when the emulator starts", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(EmulatorModule.make({ sage: { mode: "S3" as never } })))
      assert.isTrue(Exit.isFailure(exit))
    }))
})
