import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Tool } from "../src/index.js"

const getWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: Schema.Struct({
    location: Schema.String.annotations({ description: "City and region" }),
    unit: Schema.optional(Schema.Literal("C", "F"))
  }),
  handler: ({ location, unit }) => Effect.succeed({ location, temp: unit === "C" ? 33 : 91 })
})

const failing = Tool.make("flaky", {
  parameters: Schema.Struct({}),
  handler: () => Effect.fail(new Error("backend down"))
})

const echo = Tool.make("echo", {
  parameters: Schema.Struct({ text: Schema.String }),
  success: Schema.Struct({ at: Schema.DateFromString }),
  handler: () => Effect.succeed({ at: new Date("2026-01-01T00:00:00.000Z") })
})

const kit = Tool.toolkit(getWeather, failing, echo)
const call = (name: string, args: string) => ({ id: `call_${name}`, type: "function" as const, function: { name, arguments: args } })

class Weather extends Context.Tag("test/Weather")<Weather, { readonly tempF: number }>() {}

describe("Tool", () => {
  it("invalidNames takes a toolkit with any requirements (typed, no any) and lists refused names", () => {
    const needsWeather = Tool.make("today's weather", {
      parameters: Schema.Struct({}),
      handler: () => Effect.map(Weather, (w) => w.tempF)
    })
    const withWeather = Tool.toolkit(needsWeather, getWeather)
    expectTypeOf(withWeather).toEqualTypeOf<Tool.Toolkit<Weather>>()
    expectTypeOf(kit).toEqualTypeOf<Tool.Toolkit<never>>()
    expectTypeOf(Tool.invalidNames<Weather>).parameter(0).toEqualTypeOf<Tool.Toolkit<Weather>>()
    assert.deepStrictEqual(Tool.invalidNames(withWeather), ["today's weather"])
    assert.deepStrictEqual(Tool.invalidNames(kit), [])
  })

  it("derives the OpenAI definition from the parameters schema", () => {
    assert.deepStrictEqual(getWeather.definition, {
      type: "function",
      function: {
        name: "get_weather",
        description: "Current weather for a city",
        parameters: {
          type: "object",
          required: ["location"],
          properties: {
            location: { type: "string", description: "City and region" },
            unit: { type: "string", enum: ["C", "F"] }
          },
          additionalProperties: false
        }
      }
    })
    assert.deepStrictEqual(kit.definitions.map((d) => d.function.name), ["get_weather", "flaky", "echo"])
  })

  it.effect("runs a handler on decoded arguments; objects go back as JSON, encoded with the success schema", () =>
    Effect.gen(function*() {
      const r = yield* Tool.resolve(kit, call("get_weather", "{\"location\": \"Austin, TX\", \"unit\": \"C\"}"), "return")
      assert.deepStrictEqual([r.content, r.error], [JSON.stringify({ location: "Austin, TX", temp: 33 }), undefined])
      const e = yield* Tool.resolve(kit, call("echo", "{\"text\":\"x\"}"), "return")
      assert.strictEqual(e.content, JSON.stringify({ at: "2026-01-01T00:00:00.000Z" }))
    }))

  it.effect("returns unknown tools and invalid arguments to the model as typed failures", () =>
    Effect.gen(function*() {
      const unknown = yield* Tool.resolve(kit, call("nope", "{}"), "fail")
      assert.strictEqual(unknown.error?.reason, "UnknownTool")
      assert.strictEqual(unknown.error?.toolCallId, "call_nope")
      assert.deepStrictEqual(JSON.parse(unknown.content), { success: false, error: "Unknown tool \"nope\"" })
      for (const args of ["{\"location\": 3}", "{not json", "[1]", "{}"]) {
        const bad = yield* Tool.resolve(kit, call("get_weather", args), "fail")
        assert.strictEqual(bad.error?.reason, "InvalidArguments", args)
        assert.strictEqual(JSON.parse(bad.content).success, false)
      }
      // blank arguments count as {}
      const blank = yield* Tool.resolve(kit, call("flaky", "  "), "return")
      assert.strictEqual(blank.error?.reason, "HandlerFailed")
    }))

  it.effect("a failing handler is either a failed result or a HandlerFailed error with the cause", () =>
    Effect.gen(function*() {
      const returned = yield* Tool.resolve(kit, call("flaky", "{}"), "return")
      assert.deepStrictEqual(JSON.parse(returned.content), { success: false, error: "flaky failed: backend down" })
      const failed = yield* Effect.flip(Tool.resolve(kit, call("flaky", "{}"), "fail"))
      assert.strictEqual(failed.reason, "HandlerFailed")
      assert.strictEqual((failed.cause as Error).message, "backend down")
    }))
})
