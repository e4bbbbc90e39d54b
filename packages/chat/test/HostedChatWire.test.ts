/**
 * The wire of hosted chat and chat runs, as pure functions: the §13 body built from a camelCase
 * request, and the §15.1 create body with its media rule.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { ChatRuns, HostedChat } from "../src/index.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"

describe("HostedChat.toWire", () => {
  it("maps camelCase fields to chat.md §13 names, keeps billingMode camelCase and omits what is unset", () => {
    const wire = Either.getOrThrow(HostedChat.toWire({
      model,
      messages: [{ role: "user", content: "hi" }],
      maxTokens: 64,
      topP: 0.5,
      tokenType: "spark",
      billingMode: "auto",
      sogniTools: "rich",
      sogniToolExecution: true,
      taskProfile: "general",
      think: false,
      safeContentFilter: true,
      mediaReferences: [{ url: "https://x/y.png", type: "image" }]
    }, { appSource: "tests", stream: true }))
    assert.deepStrictEqual(wire, {
      model,
      messages: [{ role: "user", content: "hi" }],
      app_source: "tests",
      max_tokens: 64,
      top_p: 0.5,
      token_type: "spark",
      billingMode: "auto",
      sogni_tools: "creative-tools",
      sogni_tool_execution: true,
      task_profile: "general",
      safe_content_filter: true,
      media_references: [{ url: "https://x/y.png", type: "image" }],
      chat_template_kwargs: { enable_thinking: false },
      stream: true
    })
    const minimal = Either.getOrThrow(HostedChat.toWire({ model, messages: [{ role: "user", content: "hi" }] }))
    assert.deepStrictEqual(minimal, { model, messages: [{ role: "user", content: "hi" }] })
  })

  it("refuses what socket chat refuses, naming the field and rule", () => {
    const refused = HostedChat.toWire({ model, messages: [{ role: "user", content: "hi" }], temperature: 3 })
    assert.isTrue(Either.isLeft(refused))
    if (Either.isLeft(refused)) {
      assert.strictEqual(refused.left.field, "temperature")
      assert.strictEqual(refused.left.rule, "maximum")
    }
  })
})

describe("ChatRuns.createBody", () => {
  it("snake_cases the top level and keeps runtimeConfig/mediaContext keys camelCase", () => {
    const body = Either.getOrThrow(ChatRuns.createBody({
      messages: [{ role: "user", content: "go" }],
      toolChoice: "auto",
      sessionId: "s",
      clientMessageId: "m",
      maxEstimatedCapacityUnits: 10,
      billingMode: "tokens",
      mediaContext: { images: ["https://a/b.png"], videos: [], audio: [], uploadedImages: ["http://c/d.jpg"] },
      runtimeConfig: { qualityTier: "hq", requireJobConfirmation: true },
      idempotencyKey: "k"
    }, "app"))
    assert.deepStrictEqual(body, {
      messages: [{ role: "user", content: "go" }],
      tool_choice: "auto",
      media_context: { images: ["https://a/b.png"], videos: [], audio: [], uploadedImages: ["http://c/d.jpg"] },
      max_estimated_capacity_units: 10,
      session_id: "s",
      client_message_id: "m",
      billing_mode: "tokens",
      app_source: "app",
      runtime_config: { qualityTier: "hq", requireJobConfirmation: true }
    })
  })

  it.prop(
    "any non-http(s) media string is refused with its path listed",
    [FastCheck.oneof(
      FastCheck.string().filter((s) => !/^https?:\/\/\S+$/i.test(s)),
      FastCheck.base64String().map((b) => `data:image/png;base64,${b}`)
    ), FastCheck.nat({ max: 3 })],
    ([url, at]) => {
      const images = Array.from({ length: 4 }, (_, i) => (i === at ? url : `https://cdn.example.com/${i}.png`))
      const refused = ChatRuns.createBody({
        messages: [{ role: "user", content: "x" }],
        mediaContext: { images, videos: [], audio: [] }
      })
      return Either.isLeft(refused) && refused.left.rule === "http-url" &&
        refused.left.message.includes(`mediaContext.images[${at}]`) && refused.left.field === `mediaContext.images[${at}]`
    }
  )

  it("a reference with inline data is refused even when its url is fine", () => {
    const refused = ChatRuns.createBody({
      messages: [{ role: "user", content: "x" }],
      mediaReferences: [{ url: "https://ok/1.png", dataUri: "data:image/png;base64,AA" }]
    })
    assert.isTrue(Either.isLeft(refused) && refused.left.message.includes("mediaReferences[0].dataUri"))
  })
})
