/**
 * The mock LLM's JSON Schema instance generator (structured output and tool arguments) and its reply
 * planner: deterministic, schema-valid values, and the tool-vs-answer decision of chat.md §4.1.
 */
import { assert, describe, it } from "@effect/vitest"
import { planReply } from "../src/internal/llm.js"
import { generateInstance } from "../src/internal/llmSchema.js"

describe("generateInstance", () => {
  it("honours bounds, multipleOf, lengths, formats, enums and const", () => {
    const value = generateInstance({
      type: "object",
      properties: {
        a: { type: "integer", exclusiveMinimum: 3, exclusiveMaximum: 5 },
        b: { type: "number", minimum: 10, maximum: 10 },
        c: { type: "integer", minimum: 1, maximum: 100, multipleOf: 7 },
        d: { type: "string", minLength: 12 },
        e: { type: "string", maxLength: 2 },
        f: { type: "string", format: "date-time" },
        g: { const: "fixed" },
        h: { type: ["null", "boolean"] },
        i: { type: "array", items: { type: "integer" }, minItems: 3, maxItems: 3 }
      }
    }, "seed") as Record<string, any>
    assert.strictEqual(value.a, 4)
    assert.strictEqual(value.b, 10)
    assert.strictEqual(value.c % 7, 0)
    assert.isTrue(value.c >= 1 && value.c <= 100)
    assert.isAtLeast(value.d.length, 12)
    assert.isAtMost(value.e.length, 2)
    assert.isFalse(Number.isNaN(Date.parse(value.f)))
    assert.strictEqual(value.g, "fixed")
    assert.isBoolean(value.h)
    assert.strictEqual(value.i.length, 3)
    assert.isTrue(value.i.every(Number.isInteger))
  })

  it("follows $ref, anyOf (non-null branch) and allOf, and is deterministic", () => {
    const schema = {
      $defs: { Point: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] } },
      type: "object",
      properties: {
        p: { $ref: "#/$defs/Point" },
        q: { anyOf: [{ type: "null" }, { type: "string", enum: ["one", "two"] }] },
        r: { allOf: [{ type: "object", properties: { s: { type: "boolean" } } }, { properties: { t: { type: "integer" } }, required: ["t"] }] }
      },
      required: ["p", "q", "r"]
    }
    const value = generateInstance(schema, "same") as Record<string, any>
    assert.isNumber(value.p.x)
    assert.isNumber(value.p.y)
    assert.include(["one", "two"], value.q)
    assert.isBoolean(value.r.s)
    assert.isTrue(Number.isInteger(value.r.t))
    assert.deepStrictEqual(generateInstance(schema, "same"), value)
  })
})

describe("planReply", () => {
  it("tool arguments carry the required properties and the ones the message states; [[minimal]] only the required", () => {
    const wide = [{
      type: "function",
      function: {
        name: "draw",
        parameters: {
          type: "object",
          properties: { prompt: { type: "string" }, width: { type: "number" }, seed: { type: "integer" } },
          required: ["prompt"]
        }
      }
    }]
    const full = planReply({ tools: wide }, [{ role: "user", content: "draw \"a fox\" at 640x480" }])
    assert(full.plan._tag === "Tools")
    assert.deepStrictEqual(JSON.parse(full.plan.calls[0]!.arguments), { prompt: "a fox", width: 640 })
    const terse = planReply({ tools: wide }, [{ role: "user", content: "draw \"a fox\" at 640x480 [[minimal]]" }])
    assert(terse.plan._tag === "Tools")
    assert.deepStrictEqual(JSON.parse(terse.plan.calls[0]!.arguments), { prompt: "a fox" })
  })

  const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } } }]

  it("calls a named tool once, then answers from the results even when tool_choice still forces a call", () => {
    const user = { role: "user", content: "please lookup \"otters\"" }
    const first = planReply({ tools, tool_choice: "required" }, [user])
    assert(first.plan._tag === "Tools")
    assert.deepStrictEqual(first.plan.calls, [{ name: "lookup", arguments: "{\"q\":\"otters\"}" }])
    const second = planReply({ tools, tool_choice: "required" }, [
      user,
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_1", name: "lookup", content: "otters hold hands" }
    ])
    assert(second.plan._tag === "Text")
    assert.include(second.plan.chunks.join(""), "The lookup result is: otters hold hands.")
  })

  it("a new user turn after tool results can call tools again; unknown names are never called", () => {
    const plan = planReply({ tools }, [
      { role: "user", content: "lookup a" },
      { role: "tool", tool_call_id: "x", name: "lookup", content: "A" },
      { role: "user", content: "now lookup b and launch_rocket" }
    ])
    assert(plan.plan._tag === "Tools")
    assert.deepStrictEqual(plan.plan.calls.map((c) => c.name), ["lookup"])
  })

  it("reads text parts and counts images of the last user message; directives are stripped", () => {
    const { directives, plan } = planReply({}, [
      { role: "user", content: [{ type: "text", text: "[[slow]] what is this?" }, { type: "image_url", image_url: { url: "data:," } }] }
    ])
    assert.isTrue(directives.slow)
    assert(plan._tag === "Text")
    assert.match(plan.chunks.join(""), /^You said: "what is this\?". I see 1 image\./)
  })
})
