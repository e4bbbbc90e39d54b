/**
 * The pure wire functions: request validation and body, tolerant body readers, and the stream machine
 * over constructed D / S1 / S2 streams, plus a property: however the text is cut into events, the answer
 * is the final `full_response` (or the concatenation when there is none).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { SageWire } from "../src/index.js"
import { streams } from "./fixtures/streams.js"

const run = (events: ReadonlyArray<unknown>) => {
  let state = SageWire.initialState
  const emitted: Array<SageWire.SageStreamEvent> = []
  for (const input of [...events.flatMap((e) => SageWire.parseEvent(e)), "Close" as const]) {
    const step = SageWire.step("/sage_llm/generate_stream", state, input, "fail")
    state = step.state
    emitted.push(...step.emit)
    if (step.end !== undefined) return { emitted, end: step.end }
  }
  throw new Error("the machine did not end")
}

describe("SageWire stream machine", () => {
  for (const fixture of streams) {
    it(fixture.name, () => {
      const { emitted, end } = run(fixture.events)
      if ("text" in fixture.outcome) {
        assert.strictEqual(end._tag, "Done")
        assert.strictEqual(end._tag === "Done" ? end.text : "", fixture.outcome.text)
        assert.deepStrictEqual(emitted.at(-1), SageWire.SageStreamEvent.Done({ text: fixture.outcome.text }))
        assert.isFalse(emitted.some((e) => e._tag === "TextDelta" && e.text.length === 0))
      } else {
        assert.strictEqual(end._tag, "Error")
        if (end._tag === "Error") {
          assert.strictEqual(end.error.message, fixture.outcome.error)
          assert.strictEqual(end.error.errorCode, fixture.outcome.errorCode)
        }
      }
    })
  }

  it("progress is surfaced, never appended to the text", () => {
    const { emitted } = run(streams.find((s) => s.name.startsWith("S2 LM Studio: progress"))!.events)
    assert.deepStrictEqual(emitted.filter((e) => e._tag === "Progress").map((e) => e._tag === "Progress" ? e.progress : -1), [0, 0.42, undefined])
  })

  it.prop("the answer does not depend on how the text was cut, nor on a bare done", [
    FastCheck.array(FastCheck.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 20 }),
    FastCheck.boolean(),
    FastCheck.boolean(),
    FastCheck.constantFrom("chunk", "token")
  ], ([pieces, bareDone, withFull, field]) => {
    const text = pieces.join("")
    if (text.trim().length === 0) return true
    const events: Array<unknown> = pieces.map((p) => ({ [field]: p, done: false }))
    if (bareDone) events.push({ chunk: "", done: true })
    if (withFull || !bareDone) events.push({ done: true, full_response: text.trim() })
    const { emitted, end } = run(events)
    const streamed = emitted.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")
    assert.strictEqual(streamed, text)
    assert.strictEqual(end._tag === "Done" ? end.text : undefined, withFull || !bareDone ? text.trim() : text)
    return true
  })
})

describe("SageWire bodies", () => {
  it("failureOf: HTTP status first, then the body's status (D); success:false; a bare error on a 200", () => {
    const http = SageWire.failureOf("/r", 503, { success: false, error: "LM Studio is not available" })!
    assert.deepStrictEqual([http.reason, http.status, http.message], ["Unavailable", 503, "LM Studio is not available"])
    const doc = SageWire.failureOf("/r", 200, { success: false, error: "Model 'x' not found", status: 404 })!
    assert.deepStrictEqual([doc.reason, doc.status], ["NotFound", 404])
    const s2 = SageWire.failureOf("/r", 400, {
      success: false,
      error: "Missing required fields in generation request: model",
      error_code: "LLM_VALIDATION_ERROR",
      provider: "ollama_rest",
      operation: "generate"
    })!
    assert.deepStrictEqual([s2.errorCode, s2.provider, s2.operation], ["LLM_VALIDATION_ERROR", "ollama_rest", "generate"])
    const bare = SageWire.failureOf("/r", 200, { error: "Unexpected endpoint or method. (POST /chat/completions)" })!
    assert.deepStrictEqual([bare.reason, bare.status], ["Other", 200])
    assert.isUndefined(SageWire.failureOf("/r", 200, { success: true, data: { response: "ok" } }))
  })

  it("readGenerate / readModels / readStatus read flat and wrapped bodies and normalise S2 keys", () => {
    assert.strictEqual(SageWire.readGenerate({ success: true, response: "flat" }).text, "flat")
    const wrapped = SageWire.readGenerate({ success: true, data: { response: "wrapped", provider: "lmstudio_rest", model: "m" } })
    assert.deepStrictEqual(wrapped, { text: "wrapped", provider: "lmstudio", model: "m" })
    const models = SageWire.readModels({
      success: true,
      data: {
        models: { ollama_rest: ["qwen2.5:7b", "(Ollama not available)"], native: [] },
        capabilities: { ollama_rest: { "qwen2.5:7b": { vision: false, max_output_tokens: 2048, context_window: 32768 } } }
      }
    })
    assert.deepStrictEqual(models.models, { ollama: ["qwen2.5:7b"], native: [] })
    assert.deepStrictEqual(models.capabilities.ollama?.["qwen2.5:7b"], { vision: false, maxOutputTokens: 2048, contextWindow: 32768 })
    assert.deepStrictEqual(SageWire.readModels({ success: true, models: { ollama: ["a"] } }).models, { ollama: ["a"] })
    const status = SageWire.readStatus({ success: true, ollama: { available: true, enabled: true, url: "http://gpu:11434" }, lmstudio: { available: false, enabled: true } })
    assert.deepStrictEqual(status.providers, {
      ollama: { available: true, enabled: true, url: "http://gpu:11434" },
      lmstudio: { available: false, enabled: true }
    })
  })

  it("body sends the documented and the read field names; images as raw base64 or data URLs", () => {
    const png = "data:image/png;base64,iVBORw0KGgo="
    const request = { model: "llava:7b", prompt: "What is it?", system: "Be terse.", temperature: 0.5, maxTokens: 32, topK: 40, images: [png] }
    const raw = SageWire.body(request, { provider: "ollama", images: "base64" })
    assert.deepStrictEqual(raw, {
      provider: "ollama",
      model: "llava:7b",
      prompt: "What is it?",
      system_prompt: "Be terse.",
      system: "Be terse.",
      options: { temperature: 0.5, top_k: 40, max_tokens: 32, num_predict: 32 },
      temperature: 0.5,
      top_k: 40,
      max_tokens: 32,
      images: ["iVBORw0KGgo="]
    })
    assert.deepStrictEqual(SageWire.body(request, { provider: "lmstudio", images: "dataUrl" }).images, [png])
  })

  it("validate names the field and the rule", () => {
    const cases: ReadonlyArray<readonly [SageWire.GenerateRequest, string, string]> = [
      [{ model: "", prompt: "x" }, "model", "required"],
      [{ model: "m", prompt: "" }, "prompt", "required"],
      [{ model: "m", prompt: "x", provider: "openai" as SageWire.Provider }, "provider", "allowed-values"],
      [{ model: "m", prompt: "x", temperature: -0.1 }, "temperature", "minimum"],
      [{ model: "m", prompt: "x", topP: 1.5 }, "topP", "maximum"],
      [{ model: "m", prompt: "x", maxTokens: 1.5 }, "maxTokens", "integer"],
      [{ model: "m", prompt: "x", presencePenalty: 3 }, "presencePenalty", "maximum"],
      [{ model: "m", prompt: "x", reasoning: "max" as SageWire.ReasoningLevel }, "reasoning", "allowed-values"]
    ]
    for (const [request, field, rule] of cases) {
      const result = SageWire.validate(request, false)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.deepStrictEqual([result.left.field, result.left.rule], [field, rule])
    }
    const big = `data:image/png;base64,${"A".repeat(Math.ceil((10 * 1024 * 1024 + 3) / 3) * 4)}`
    const tooBig = SageWire.validate({ model: "m", prompt: "x", images: [big] }, true)
    assert.isTrue(Either.isLeft(tooBig) && tooBig.left.rule === "max-bytes")
    assert.isTrue(Either.isRight(SageWire.validate({ model: "m", prompt: "x", images: ["data:image/jpg;base64,/9j/"] }, true)))
  })
})
