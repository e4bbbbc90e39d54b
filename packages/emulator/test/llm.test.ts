/**
 * The mock LLM over a raw `ws` client: catalog, frame order, max_tokens, thinking, structured output,
 * tool round trips, cancellation, directives and recovery.
 */
import type { Protocol } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { connect, emulatorTest, type RawClient, sleep } from "./helpers.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"

const jobFrames = (client: RawClient, jobID: string) =>
  client.events().filter((e) => String((e.payload as { jobID?: unknown }).jobID ?? "").toUpperCase() === jobID)

const label = (e: Protocol.ServerEvent) =>
  e.type === "jobState" ? `jobState:${(e.payload as { type: string }).type}` : e.type

const contentOf = (frames: ReadonlyArray<Protocol.ServerEvent>) =>
  frames.filter((e) => e.type === "jobTokens").map((e) => (e.payload as Protocol.JobTokens).content ?? "").join("")

const finishOf = (frames: ReadonlyArray<Protocol.ServerEvent>) => {
  let reason: string | undefined
  for (const e of frames) {
    if (e.type === "jobTokens") {
      const r = (e.payload as Protocol.JobTokens).finishReason
      if (typeof r === "string" && r.length > 0) reason = r
    }
  }
  return reason
}

/** Accumulates tool-call deltas as the official client does (chat.md §4). */
const toolCallsOf = (frames: ReadonlyArray<Protocol.ServerEvent>) => {
  const calls = new Map<number, { id: string; name: string; arguments: string }>()
  for (const e of frames) {
    if (e.type !== "jobTokens") continue
    for (const d of (e.payload as Protocol.JobTokens).tool_calls ?? []) {
      const c = calls.get(d.index) ?? { id: "", name: "", arguments: "" }
      if (d.id) c.id = d.id
      if (d.function?.name) c.name = d.function.name
      if (d.function?.arguments) c.arguments += d.function.arguments
      calls.set(d.index, c)
    }
  }
  return [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)
}

let serial = 0
const newJobID = () => `7C1E2A40-5B7D-4E53-9C1F-${String(++serial).padStart(12, "0")}`

const request = (jobID: string, text: string, extra: Record<string, unknown> = {}) => ({
  jobID,
  type: "llm",
  model: MODEL,
  messages: [{ role: "system", content: "You answer briefly." }, { role: "user", content: text }],
  ...extra
})

const terminal = (client: RawClient, jobID: string, timeoutMs = 10_000) =>
  Effect.raceFirst(
    Effect.map(client.next("llmJobResult", (p) => p.jobID.toUpperCase() === jobID, timeoutMs), (p) => ({ ok: true as const, p })),
    Effect.map(client.next("llmJobError", (p) => p.jobID.toUpperCase() === jobID, timeoutMs), (p) => ({ ok: false as const, p }))
  )

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        days: { type: "integer", minimum: 1, maximum: 7 }
      },
      required: ["location", "unit"]
    }
  }
}

describe("mock LLM", () => {
  emulatorTest("sends swarmLLMModels after the handshake, not with modelAvailability off", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-models" })
      const models = yield* client.next("swarmLLMModels")
      const info = models[MODEL] as { workers: number; maxContextLength: number; maxOutputTokens: { default: number } }
      assert.isAbove(info.workers, 0)
      assert.strictEqual(info.maxContextLength, 262144)
      assert.strictEqual(info.maxOutputTokens.default, 4096)
      assert.deepStrictEqual(client.events().slice(0, 5).map((e) => e.type), [
        "authenticated",
        "balanceUpdate",
        "changeNetwork",
        "swarmModels",
        "swarmLLMModels"
      ])
      const off = yield* connect(emulator, {
        appId: "llm-models-off",
        query: { socketEventSubscriptions: JSON.stringify({ modelAvailability: false }) }
      })
      yield* off.next("authenticated")
      yield* sleep(100)
      assert.isFalse(off.events().some((e) => e.type === "swarmLLMModels" || e.type === "swarmModels"))
    }))

  emulatorTest("streams jobState, jobTokens and ends with llmJobResult, then balanceUpdate", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-stream" })
      yield* client.next("authenticated")
      const before = Number((yield* client.next("balanceUpdate")).sogni.net)
      const id = newJobID()
      client.send("llmJobRequest", request(id, "Tell me about otters", { stream: true }))
      const end = yield* terminal(client, id)
      assert.isTrue(end.ok)
      const frames = jobFrames(client, id)
      const labels = frames.map(label)
      assert.deepStrictEqual(labels.slice(0, 4), [
        "jobState:pending",
        "jobState:queued",
        "jobState:assigned",
        "jobState:jobStarted"
      ])
      assert.strictEqual(labels.at(-1), "llmJobResult")
      const tokens = frames.filter((e) => e.type === "jobTokens")
      assert.isAbove(tokens.length, 3)
      assert.strictEqual((tokens[0]!.payload as Protocol.JobTokens).role, "assistant")
      const last = tokens.at(-1)!.payload as Protocol.JobTokens
      assert.strictEqual(last.finishReason, "stop")
      assert.isDefined(last.usage)
      const text = contentOf(frames)
      assert.include(text, "Tell me about otters")
      const result = end.p as Protocol.LLMJobResult
      assert.strictEqual(result.usage!.completion_tokens, tokens.length - 1)
      assert.isAbove(result.timeTaken!, 0)
      assert.isBelow(result.timeTaken!, 10)
      assert.isString(result.workerName)
      assert.isAbove(Number(result.cost!.costInSogni), 0)
      const balance = yield* client.next("balanceUpdate")
      assert.closeTo(Number(balance.sogni.net), before - Number(result.cost!.costInToken), 0.0002)

      // Deterministic: the same prompt yields the same text.
      const again = newJobID()
      client.send("llmJobRequest", request(again, "Tell me about otters"))
      yield* terminal(client, again)
      assert.strictEqual(contentOf(jobFrames(client, again)), text)
    }))

  emulatorTest("refuses unknown models, empty or missing messages and an empty balance", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-refuse" })
      yield* client.next("authenticated")
      const a = newJobID()
      client.send("llmJobRequest", { ...request(a, "hi"), model: "gpt-nothing" })
      const ea = yield* client.next("llmJobError", (p) => p.jobID === a)
      assert.strictEqual(ea.error, "model_unavailable")
      const b = newJobID()
      client.send("llmJobRequest", { jobID: b, type: "llm", model: MODEL })
      const eb = yield* client.next("llmJobError", (p) => p.jobID === b)
      assert.strictEqual(eb.error, "invalid_request")
      const c = newJobID()
      client.send("llmJobRequest", { ...request(c, "hi"), messages: [] })
      const ec = yield* client.next("llmJobError", (p) => p.jobID === c)
      assert.strictEqual(ec.error, "invalid_request")
      yield* emulator.control.setBalance({ tokenType: "spark", amount: 0 })
      const d = newJobID()
      client.send("llmJobRequest", request(d, "hi", { tokenType: "spark" }))
      const ed = yield* client.next("llmJobError", (p) => p.jobID === d)
      assert.strictEqual(ed.error, "insufficient_balance")
    }))

  emulatorTest("max_tokens stops with finishReason length and still ends with llmJobResult", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-length" })
      yield* client.next("authenticated")
      const id = newJobID()
      client.send("llmJobRequest", request(id, "[[long]] write a lot", { max_tokens: 5 }))
      const end = yield* terminal(client, id)
      assert.isTrue(end.ok)
      const frames = jobFrames(client, id)
      assert.strictEqual(finishOf(frames), "length")
      assert.strictEqual((end.p as Protocol.LLMJobResult).usage!.completion_tokens, 5)
    }))

  emulatorTest("[[long]] produces many tokens", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-long" })
      yield* client.next("authenticated")
      const id = newJobID()
      client.send("llmJobRequest", request(id, "[[long]] essay please"))
      const end = yield* terminal(client, id, 20_000)
      assert.isTrue(end.ok)
      assert.isAbove((end.p as Protocol.LLMJobResult).usage!.completion_tokens, 200)
      assert.notInclude(contentOf(jobFrames(client, id)), "[[long]]")
    }), {}, 30_000)

  emulatorTest("llmLongTokens sets the [[long]] length; llmTokensPerTick streams it in bursts, one token per frame", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-long-tokens" })
      yield* client.next("authenticated")
      const id = newJobID()
      const started = Date.now()
      client.send("llmJobRequest", request(id, "[[long]] essay please"))
      const end = yield* terminal(client, id, 20_000)
      assert.isTrue(end.ok)
      assert.strictEqual((end.p as Protocol.LLMJobResult).usage!.completion_tokens, 5000)
      const tokens = jobFrames(client, id).filter((e) => e.type === "jobTokens")
      // 5000 content frames and the final finishReason frame
      assert.strictEqual(tokens.length, 5001)
      assert.isTrue(tokens.slice(0, 5000).every((e) => /^\s*\S+$/.test((e.payload as Protocol.JobTokens).content ?? "")))
      assert.match(contentOf(tokens), /^ ?You said: "essay please"\./)
      // one wait per 500 frames: 10 waits of 6 ms at speed 2, where one wait per frame would take 30 s
      assert.isBelow(Date.now() - started, 10_000)
    }), { llmLongTokens: 5000, llmTokensPerTick: 500 }, 30_000)

  emulatorTest("enable_thinking emits a <think> block first", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-think" })
      yield* client.next("authenticated")
      const id = newJobID()
      client.send("llmJobRequest", request(id, "Why is the sky blue?", { chat_template_kwargs: { enable_thinking: true } }))
      yield* terminal(client, id)
      const text = contentOf(jobFrames(client, id))
      assert.match(text, /^<think>[\s\S]+<\/think>\n\nYou said/)
      const plain = newJobID()
      client.send("llmJobRequest", request(plain, "Why is the sky blue?", { chat_template_kwargs: { enable_thinking: false } }))
      yield* terminal(client, plain)
      assert.notInclude(contentOf(jobFrames(client, plain)), "<think>")
    }))

  emulatorTest("response_format json_schema yields JSON valid for the schema; json_object an object", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-json" })
      yield* client.next("authenticated")
      const schema = {
        type: "object",
        properties: {
          title: { type: "string", minLength: 3, maxLength: 40 },
          rating: { type: "integer", minimum: 1, maximum: 5 },
          score: { type: "number", minimum: 0, maximum: 1 },
          tags: { type: "array", items: { type: "string" }, minItems: 2 },
          mood: { enum: ["happy", "sad"] },
          done: { type: "boolean" },
          author: { type: "object", properties: { name: { type: "string" } }, required: ["name"] }
        },
        required: ["title", "rating", "tags", "mood", "done", "author"],
        additionalProperties: false
      }
      const id = newJobID()
      client.send("llmJobRequest", request(id, "Review \"Dune\"", {
        response_format: { type: "json_schema", json_schema: { name: "review", schema, strict: true } }
      }))
      yield* terminal(client, id)
      const value = JSON.parse(contentOf(jobFrames(client, id)))
      assert.strictEqual(value.title, "Dune")
      assert.isTrue(Number.isInteger(value.rating) && value.rating >= 1 && value.rating <= 5)
      assert.isTrue(value.score >= 0 && value.score <= 1)
      assert.isAtLeast(value.tags.length, 2)
      assert.include(["happy", "sad"], value.mood)
      assert.isBoolean(value.done)
      assert.isString(value.author.name)
      assert.deepStrictEqual(Object.keys(value).sort(), Object.keys(schema.properties).sort())
      const obj = newJobID()
      client.send("llmJobRequest", request(obj, "anything", { response_format: { type: "json_object" } }))
      yield* terminal(client, obj)
      const parsed = JSON.parse(contentOf(jobFrames(client, obj)))
      assert.isObject(parsed)
    }))

  emulatorTest("tool round trip: round 1 calls the named tool, round 2 answers from the tool result", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-tools" })
      yield* client.next("authenticated")
      const user = { role: "user", content: "Use get_weather for \"Austin, TX\" in celsius for the next 3 days please" }
      const a = newJobID()
      client.send("llmJobRequest", {
        jobID: a,
        type: "llm",
        model: MODEL,
        messages: [user],
        tools: [WEATHER_TOOL, { type: "function", function: { name: "get_time", parameters: { type: "object" } } }],
        tool_choice: "auto",
        stream: false
      })
      const endA = yield* terminal(client, a)
      assert.isTrue(endA.ok)
      const framesA = jobFrames(client, a)
      assert.strictEqual(finishOf(framesA), "tool_calls")
      const deltaFrames = framesA.filter((e) => e.type === "jobTokens" && (e.payload as Protocol.JobTokens).tool_calls)
      assert.isAbove(deltaFrames.length, 2)
      const calls = toolCallsOf(framesA)
      assert.strictEqual(calls.length, 1)
      assert.strictEqual(calls[0]!.name, "get_weather")
      assert.match(calls[0]!.id, /^call_/)
      const args = JSON.parse(calls[0]!.arguments)
      assert.strictEqual(args.location, "Austin, TX")
      // Optional arguments are the ones the message states, nothing invented.
      assert.deepStrictEqual(args, { location: "Austin, TX", unit: "celsius", days: 3 })

      const b = newJobID()
      client.send("llmJobRequest", {
        jobID: b,
        type: "llm",
        model: MODEL,
        messages: [
          user,
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: calls[0]!.id, type: "function", function: { name: "get_weather", arguments: calls[0]!.arguments } }]
          },
          { role: "tool", tool_call_id: calls[0]!.id, name: "get_weather", content: "31 °C and sunny" }
        ],
        tools: [WEATHER_TOOL],
        tool_choice: "required",
        stream: false
      })
      const endB = yield* terminal(client, b)
      assert.isTrue(endB.ok)
      const framesB = jobFrames(client, b)
      assert.strictEqual(finishOf(framesB), "stop")
      assert.deepStrictEqual(toolCallsOf(framesB), [])
      assert.include(contentOf(framesB), "31 °C and sunny")
    }))

  emulatorTest("tool_choice names or requires a function; unnamed tools with auto get text", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-tool-choice" })
      yield* client.next("authenticated")
      const forced = newJobID()
      client.send("llmJobRequest", request(forced, "what now?", {
        tools: [WEATHER_TOOL],
        tool_choice: { type: "function", function: { name: "get_weather" } }
      }))
      yield* terminal(client, forced)
      assert.strictEqual(toolCallsOf(jobFrames(client, forced))[0]!.name, "get_weather")
      const required = newJobID()
      client.send("llmJobRequest", request(required, "what now?", { tools: [WEATHER_TOOL], tool_choice: "required" }))
      yield* terminal(client, required)
      assert.strictEqual(finishOf(jobFrames(client, required)), "tool_calls")
      const auto = newJobID()
      client.send("llmJobRequest", request(auto, "what now?", { tools: [WEATHER_TOOL] }))
      yield* terminal(client, auto)
      assert.strictEqual(finishOf(jobFrames(client, auto)), "stop")
      const none = newJobID()
      client.send("llmJobRequest", request(none, "get_weather now", { tools: [WEATHER_TOOL], tool_choice: "none" }))
      yield* terminal(client, none)
      assert.strictEqual(finishOf(jobFrames(client, none)), "stop")
    }))

  emulatorTest("llmJobCancel stops tokens and ends with llmJobError artistCanceled", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-cancel" })
      yield* client.next("authenticated")
      const id = newJobID()
      client.send("llmJobRequest", request(id, "[[slow]] take your time"))
      yield* client.next("jobTokens", (p) => p.jobID === id)
      client.send("llmJobCancel", { jobID: id.toLowerCase() })
      const err = yield* client.next("llmJobError", (p) => p.jobID === id)
      assert.strictEqual(err.error, "artistCanceled")
      assert.strictEqual(err.error_message, "Cancelled by user")
      const count = jobFrames(client, id).length
      yield* sleep(400)
      assert.strictEqual(jobFrames(client, id).length, count)
      assert.isFalse(jobFrames(client, id).some((e) => e.type === "llmJobResult"))

      const viaJobError = newJobID()
      client.send("llmJobRequest", request(viaJobError, "[[slow]] again"))
      yield* client.next("jobTokens", (p) => p.jobID === viaJobError)
      client.send("jobError", { jobID: viaJobError, error: "artistCanceled", error_message: "artistCanceled", isFromWorker: false })
      const confirmation = yield* client.next("artistCancelConfirmation", (p) => p.jobID === viaJobError)
      assert.isTrue(confirmation.didCancel)
      const err2 = yield* client.next("llmJobError", (p) => p.jobID === viaJobError)
      assert.strictEqual(err2.error, "artistCanceled")
    }))

  emulatorTest("[[fail]] ends with llmJobError after some tokens", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "llm-fail" })
      yield* client.next("authenticated")
      const id = newJobID()
      client.send("llmJobRequest", request(id, "[[fail]] please"))
      const end = yield* terminal(client, id)
      assert.isFalse(end.ok)
      const frames = jobFrames(client, id)
      assert.isTrue(frames.some((e) => e.type === "jobTokens"))
      assert.strictEqual(label(frames.at(-1)!), "llmJobError")
      assert.notInclude(contentOf(frames), "[[fail]]")
    }))

  emulatorTest("[[drop]] drops the socket once; the job is in activeLLMJobIDs and finishes after reconnect", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const first = yield* connect(emulator, { appId: "llm-drop" })
      yield* first.next("authenticated")
      const id = newJobID()
      first.send("llmJobRequest", request(id, "[[drop]] survive this"))
      const closed = yield* Effect.promise(() => first.closed)
      assert.strictEqual(closed.code, 1006)
      const second = yield* connect(emulator, { appId: "llm-drop" })
      const auth = yield* second.next("authenticated")
      assert.deepStrictEqual(auth.activeLLMJobIDs, [id])
      const end = yield* terminal(second, id)
      assert.isTrue(end.ok)
      const text = contentOf(jobFrames(first, id)) + contentOf(jobFrames(second, id))
      assert.include(text, "survive this")
      const third = yield* connect(emulator, { appId: "llm-drop" })
      assert.deepStrictEqual((yield* third.next("authenticated")).activeLLMJobIDs, [])
    }))
})
