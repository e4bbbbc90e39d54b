import { assert, describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { ChatRequest } from "../src/index.js"
import { dataUri, fixture, png } from "./util/fixtures.js"

const attributionKeys = new Set([
  "workloadKind",
  "agentFramework",
  "agentFrameworkVersion",
  "agentSurface",
  "agentSurfaceVersion",
  "executionMode",
  "operationScope",
  "operationId",
  "rootOperationId",
  "parentOperationId"
])

const withoutAttribution = (payload: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(payload).filter(([k]) => !attributionKeys.has(k)))

const weatherTool: ChatRequest.ToolDefinition = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { location: { type: "string", description: "City and region" }, unit: { type: "string", enum: ["C", "F"] } },
      required: ["location"]
    }
  }
}

const toolsRequest: ChatRequest.ChatRequest = {
  model: "qwen3.6-35b-a3b-gguf-iq4xs",
  messages: [
    { role: "system", content: "You are a concise assistant. Use tools when they help." },
    { role: "user", content: "What's the weather in Austin right now?" }
  ],
  appSource: "emulator-demo",
  maxTokens: 1024,
  temperature: 0.7,
  topP: 0.8,
  tokenType: "spark",
  billingMode: "tokens",
  tools: [weatherTool],
  toolChoice: "auto",
  taskProfile: "reasoning",
  think: false
}

const invalid = (request: ChatRequest.ChatRequest) => {
  const r = ChatRequest.build(request, { jobID: "J" })
  if (Either.isRight(r)) throw new Error("expected a refusal")
  return { field: r.left.field, rule: r.left.rule }
}

describe("ChatRequest.build", () => {
  it("builds the tools fixture payload field for field and in the documented order", () => {
    const expected = withoutAttribution(fixture("chat-llmJobRequest-tools.json").payload)
    const built = Either.getOrThrow(ChatRequest.build(toolsRequest, { jobID: expected.jobID as string }))
    assert.deepStrictEqual(built, expected)
    assert.strictEqual(JSON.stringify(built), JSON.stringify(expected))
  })

  it("builds the round-2 fixture (assistant tool-call turn with null content, tool message, stream:false)", () => {
    const expected = fixture("chat-tool-roundtrip-request2.json").payload
    const built = Either.getOrThrow(ChatRequest.build({
      ...toolsRequest,
      messages: expected.messages,
      tools: expected.tools
    }, { jobID: expected.jobID, stream: false }))
    assert.strictEqual(JSON.stringify(built), JSON.stringify(expected))
  })

  it("maps the fixture variants: forced tool, json_schema, sogni tool injection, streaming flag", () => {
    const variants = fixture("chat-llmJobRequest-tools.json").variants
    const built = Either.getOrThrow(ChatRequest.build({
      ...toolsRequest,
      toolChoice: variants.tool_choice_forced,
      responseFormat: variants.response_format_json_schema,
      sogniTools: "creative-tools",
      sogniToolExecution: true
    }, { jobID: "J", stream: true }))
    assert.deepStrictEqual(built.tool_choice, variants.tool_choice_forced)
    assert.deepStrictEqual(built.response_format, variants.response_format_json_schema)
    assert.strictEqual(built.sogni_tools, "creative-tools")
    assert.strictEqual(built.sogni_tool_execution, true)
    assert.strictEqual(built.stream, true)
  })

  it("maps think to chat_template_kwargs and omits it when think is absent", () => {
    const base = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }
    assert.deepStrictEqual(Either.getOrThrow(ChatRequest.build({ ...base, think: true }, { jobID: "J" })).chat_template_kwargs, {
      enable_thinking: true
    })
    const none = Either.getOrThrow(ChatRequest.build(base, { jobID: "J" }))
    assert.deepStrictEqual(none, { jobID: "J", type: "llm", model: "m", messages: [{ role: "user", content: "hi" }] })
  })

  it("rewrites sogniTools \"rich\" (any case and spacing) to creative-tools", () => {
    for (const rich of ["rich", " RICH ", "Rich"]) {
      const built = Either.getOrThrow(ChatRequest.build(
        { model: "m", messages: [{ role: "user", content: "x" }], sogniTools: rich as "rich" },
        { jobID: "J" }
      ))
      assert.strictEqual(built.sogni_tools, "creative-tools")
    }
  })

  it("uses the configured appSource when the request has none, trimmed; drops blank ones", () => {
    const base = { model: "m", messages: [{ role: "user" as const, content: "x" }] }
    assert.strictEqual(Either.getOrThrow(ChatRequest.build(base, { jobID: "J", appSource: " app " })).appSource, "app")
    assert.strictEqual(Either.getOrThrow(ChatRequest.build({ ...base, appSource: "mine" }, { jobID: "J", appSource: "app" })).appSource, "mine")
    assert.isFalse("appSource" in Either.getOrThrow(ChatRequest.build({ ...base, appSource: "  " }, { jobID: "J" })))
  })

  it("keeps multimodal parts and their detail, dropping undefined keys inside messages", () => {
    const url = dataUri("image/png", png(64, 32))
    const built = Either.getOrThrow(ChatRequest.build({
      model: "m",
      messages: [{
        role: "user",
        content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url, detail: "low" } }],
        name: undefined
      }]
    }, { jobID: "J" }))
    assert.deepStrictEqual(built.messages, [{
      role: "user",
      content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url, detail: "low" } }]
    }])
  })

  it("names the field and the rule of every refusal", () => {
    const base: ChatRequest.ChatRequest = { model: "m", messages: [{ role: "user", content: "x" }] }
    expect(invalid({ ...base, model: " " })).toEqual({ field: "model", rule: "required" })
    expect(invalid({ ...base, messages: [] })).toEqual({ field: "messages", rule: "min-items" })
    expect(invalid({ ...base, messages: [{ role: "bot" as "user", content: "x" }] })).toEqual({ field: "messages[0].role", rule: "allowed-values" })
    expect(invalid({ ...base, messages: [{ role: "user", content: null }] })).toEqual({ field: "messages[0].content", rule: "required" })
    expect(invalid({ ...base, messages: [{ role: "tool", content: "r" }] })).toEqual({ field: "messages[0].tool_call_id", rule: "required" })
    expect(invalid({ ...base, messages: [{ role: "user", content: [{ type: "video" as "text", text: "" }] }] })).toEqual({
      field: "messages[0].content[0].type",
      rule: "allowed-values"
    })
    expect(invalid({ ...base, maxTokens: 0 })).toEqual({ field: "maxTokens", rule: "minimum" })
    expect(invalid({ ...base, maxTokens: 1.5 })).toEqual({ field: "maxTokens", rule: "integer" })
    expect(invalid({ ...base, temperature: 2.5 })).toEqual({ field: "temperature", rule: "maximum" })
    expect(invalid({ ...base, temperature: Number.NaN })).toEqual({ field: "temperature", rule: "finite" })
    expect(invalid({ ...base, topP: -0.1 })).toEqual({ field: "topP", rule: "minimum" })
    expect(invalid({ ...base, presencePenalty: 3 })).toEqual({ field: "presencePenalty", rule: "maximum" })
    expect(invalid({ ...base, repetitionPenalty: 0 })).toEqual({ field: "repetitionPenalty", rule: "minimum" })
    expect(invalid({ ...base, tokenType: "eth" as "spark" })).toEqual({ field: "tokenType", rule: "allowed-values" })
    expect(invalid({ ...base, tools: [{ type: "function", function: { name: "bad name" } }] })).toEqual({
      field: "tools[0].function.name",
      rule: "pattern"
    })
    expect(invalid({ ...base, tools: [weatherTool, weatherTool] })).toEqual({ field: "tools[1].function.name", rule: "unique" })
    expect(invalid({ ...base, tools: [weatherTool], toolChoice: { type: "function", function: { name: "other" } } })).toEqual({
      field: "toolChoice.function.name",
      rule: "exists"
    })
    expect(invalid({ ...base, responseFormat: { type: "json_schema", json_schema: { name: "a b", schema: {} } } })).toEqual({
      field: "responseFormat.json_schema.name",
      rule: "pattern"
    })
    expect(invalid({ ...base, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://evil.example/x.png" } }] }] }))
      .toEqual({ field: "messages[0].content[0].image_url.url", rule: "trusted-host" })
  })

  it("refuses a request that is not an object, or whose messages are not an array, typed and without throwing", () => {
    const asRequest = (value: unknown) => value as ChatRequest.ChatRequest
    expect(invalid(asRequest(null))).toEqual({ field: "request", rule: "type" })
    expect(invalid(asRequest("hi"))).toEqual({ field: "request", rule: "type" })
    expect(invalid(asRequest([]))).toEqual({ field: "request", rule: "type" })
    expect(invalid(asRequest({ model: "m", messages: "hi" }))).toEqual({ field: "messages", rule: "type" })
    expect(invalid(asRequest({ model: "m" }))).toEqual({ field: "messages", rule: "type" })
    expect(invalid(asRequest({ model: "m", messages: [null] }))).toEqual({ field: "messages[0]", rule: "type" })
    expect(invalid(asRequest({ model: "m", messages: [{ role: "user", content: [null] }] }))).toEqual({
      field: "messages[0].content[0].type",
      rule: "allowed-values"
    })
    expect(invalid(asRequest({ model: 7, messages: [{ role: "user", content: "x" }] }))).toEqual({ field: "model", rule: "required" })
  })

  it("refuses more text than limits.maxTextLength across the conversation, counted over strings, parts and tool arguments", () => {
    const max = ChatRequest.limits.maxTextLength
    const at = (n: number): ChatRequest.ChatRequest => ({ model: "m", messages: [{ role: "user", content: "x".repeat(n) }] })
    assert.isTrue(Either.isRight(ChatRequest.validate(at(max))))
    expect(invalid(at(max + 1))).toEqual({ field: "messages", rule: "max-length" })
    expect(invalid(at(10 * 1024 * 1024))).toEqual({ field: "messages", rule: "max-length" })
    const split: ChatRequest.ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: [{ type: "text", text: "a".repeat(max / 2) }] },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "b".repeat(max / 2) } }]
        },
        { role: "tool", tool_call_id: "c1", content: "c" }
      ]
    }
    expect(invalid(split)).toEqual({ field: "messages", rule: "max-length" })
  })

  const optionalNumber = (min: number, max: number) =>
    FastCheck.option(FastCheck.double({ min, max, noNaN: true }), { nil: undefined })

  it.prop(
    "never puts an undefined value on the wire, and maps every given option",
    [
      FastCheck.record({
        maxTokens: FastCheck.option(FastCheck.integer({ min: 1, max: 100_000 }), { nil: undefined }),
        temperature: optionalNumber(0, 2),
        topP: optionalNumber(0, 1),
        minP: optionalNumber(0, 1),
        frequencyPenalty: optionalNumber(-2, 2),
        presencePenalty: optionalNumber(-2, 2),
        topK: FastCheck.option(FastCheck.integer({ min: -1, max: 200 }), { nil: undefined }),
        think: FastCheck.option(FastCheck.boolean(), { nil: undefined }),
        tokenType: FastCheck.option(FastCheck.constantFrom("sogni" as const, "spark" as const), { nil: undefined }),
        taskProfile: FastCheck.option(FastCheck.constantFrom("general" as const, "coding" as const, "reasoning" as const), {
          nil: undefined
        }),
        stop: FastCheck.option(FastCheck.oneof(FastCheck.string(), FastCheck.array(FastCheck.string(), { maxLength: 3 })), {
          nil: undefined
        })
      }),
      FastCheck.option(FastCheck.boolean(), { nil: undefined })
    ],
    ([options, stream]) => {
      const built = Either.getOrThrow(ChatRequest.build(
        { model: "m", messages: [{ role: "user", content: "x", name: undefined }], ...options },
        { jobID: "J", stream }
      ))
      const walk = (u: unknown): boolean =>
        u === undefined ? false : Array.isArray(u) ? u.every(walk) : typeof u === "object" && u !== null ? Object.values(u).every(walk) : true
      assert.isTrue(walk(built))
      assert.strictEqual(built.max_tokens, options.maxTokens)
      assert.strictEqual(built.temperature, options.temperature)
      assert.strictEqual(built.top_p, options.topP)
      assert.strictEqual(built.top_k, options.topK)
      assert.strictEqual(built.stream, stream)
      assert.deepStrictEqual(built.stop, options.stop)
      assert.deepStrictEqual(
        built.chat_template_kwargs,
        options.think === undefined ? undefined : { enable_thinking: options.think }
      )
      // the wire text keeps every key (nothing is dropped by JSON.stringify)
      assert.deepStrictEqual(Object.keys(JSON.parse(JSON.stringify(built))), Object.keys(built))
    }
  )
})
