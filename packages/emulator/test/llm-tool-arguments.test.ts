/**
 * The mock model's tool calls, checked against the platform's own argument validator (core's
 * `PlatformTools.validate`, ajv over the protocol schemas): whatever the user writes, the arguments of
 * every platform tool validate, media indexes are whole numbers, and values the message states (sizes,
 * durations, counts, the prompt) are the ones used. Tools are picked by intent words as well as by name.
 */
import { PlatformTools } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { planReply } from "../src/internal/llm.js"

const callsFor = (text: string, tools: ReadonlyArray<PlatformTools.OpenAiTool>, forced?: string) => {
  const { plan } = planReply(
    {
      tools,
      ...(forced === undefined ? {} : { tool_choice: { type: "function", function: { name: forced } } })
    },
    [{ role: "user", content: text }]
  )
  return plan._tag === "Tools" ? plan.calls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as Record<string, unknown> })) : []
}

const validated = (name: string, args: unknown) => {
  const result = PlatformTools.validateEither(name, args)
  if (Either.isLeft(result)) assert.fail(`${name} ${JSON.stringify(args)}: ${result.left.message}`)
}

const words = FastCheck.constantFrom(
  "a", "cat", "draw", "video", "of", "512x768", "3", "seconds", "song", "jazz", "please", "10s", "-1", "0.5", "index",
  "\"quoted words\"", "portrait", "16:9", "four", "images", "x", "[[minimal]]", "edit", "the", "photo"
)

describe("mock LLM tool arguments", () => {
  it.prop(
    "validate against every platform tool schema, whatever the message says",
    [FastCheck.array(words, { maxLength: 14 }).map((w) => w.join(" "))],
    ([text]) => {
      for (const tool of PlatformTools.manifest) {
        const name = tool.function.name
        const calls = callsFor(text, [tool], name)
        assert.strictEqual(calls.length, 1, name)
        validated(name, calls[0]!.args)
        for (const [key, value] of Object.entries(calls[0]!.args)) {
          if (/index$/i.test(key)) assert.isTrue(Number.isInteger(value), `${name}.${key} = ${JSON.stringify(value)}`)
        }
      }
    },
    { fastCheck: { numRuns: 25 } }
  )

  it("fills generate_image from the message: the prompt, the size and the count, and nothing it was not asked for", () => {
    const [call] = callsFor("Draw me 3 pictures of a lighthouse at dusk, 768x512", PlatformTools.manifest)
    assert.strictEqual(call!.name, "generate_image")
    validated("generate_image", call!.args)
    assert.include(String(call!.args["prompt"]), "lighthouse at dusk")
    assert.strictEqual(call!.args["width"], 768)
    assert.strictEqual(call!.args["height"], 512)
    assert.strictEqual(call!.args["numberOfVariations"], 3)
    assert.notProperty(call!.args, "sourceImageIndex")
    assert.notProperty(call!.args, "seed")
  })

  it("picks tools by intent words: picture → image, animate → video, song → music; none for small talk", () => {
    const pick = (text: string) => callsFor(text, PlatformTools.manifest).map((c) => c.name)
    assert.deepStrictEqual(pick("Can you make an image of a red fox in the snow?"), ["generate_image"])
    assert.deepStrictEqual(pick("Make a short video of waves crashing on rocks"), ["generate_video"])
    assert.deepStrictEqual(pick("Write a song about the sea, upbeat jazz"), ["generate_music"])
    assert.deepStrictEqual(pick("How are you today?"), [])
    const [video] = callsFor("Make a 5 second video of a kite in the wind", PlatformTools.manifest)
    validated("generate_video", video!.args)
    assert.strictEqual(video!.args["duration"], 5)
  })

  it("picks a caller's own tool by the words of its name, and fills its arguments from the message", () => {
    const weather = {
      type: "function" as const,
      function: {
        name: "get_weather",
        description: "Current weather for a city",
        parameters: {
          type: "object",
          properties: {
            location: { type: "string", description: "City name" },
            unit: { type: "string", enum: ["celsius", "fahrenheit"] }
          },
          required: ["location"]
        }
      }
    }
    const calc = {
      type: "function" as const,
      function: {
        name: "calculate",
        description: "Evaluate a math expression",
        parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] }
      }
    }
    const calls = callsFor("What's the weather in Paris in celsius?", [weather, calc] as never)
    assert.deepStrictEqual(calls.map((c) => c.name), ["get_weather"])
    assert.strictEqual(calls[0]!.args["location"], "Paris")
    assert.strictEqual(calls[0]!.args["unit"], "celsius")
    const math = callsFor("Please calculate 12 * (3 + 4)", [weather, calc] as never)
    assert.deepStrictEqual(math, [{ name: "calculate", args: { expression: "12 * (3 + 4)" } }])
  })
})
