/**
 * Socket chat against the scripted server used as a hostile one: wrong-typed and undecodable frames for
 * the running job between good ones, a whole long answer poured in one burst, and a socket that drops
 * while a tool handler runs on the client (between the rounds of a tool-calling turn).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type ChatRequest, Tool } from "../src/index.js"
import { chatFor, lastMessage, makeLLMServer, textFrames, toolCallFrames } from "./util/LLMServer.js"

const ask = (content: string): ChatRequest.ChatRequest => ({
  model: "qwen3.6-35b-a3b-gguf-iq4xs",
  messages: [{ role: "user", content }]
})


const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const textOf = (chunks: ReadonlyArray<{ readonly _tag: string }>) =>
  chunks.map((c) => (c._tag === "TextDelta" ? (c as unknown as { text: string }).text : "")).join("")

describe("socket chat against a hostile server", () => {
  it.scopedLive("wrong-typed and undecodable frames for the running job are skipped; the answer goes on to its end", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => {
        const [queued, started, ...rest] = textFrames(["Hello ", "there"])
        server.play(r, [queued!, started!])
        r.conn.send("jobTokens", { content: 42, role: ["x"] })
        r.conn.send("jobTokens", { tool_calls: "none", usage: "lots" })
        r.conn.ws.send("not a frame at all")
        r.conn.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]))
        r.conn.send("jobState", { type: 17 })
        server.play(r, rest)
      }
      const chat = yield* chatFor(server, {}, "chat-hostile-tests")
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(chat.stream(ask("Hi"))))
      assert.strictEqual(textOf(chunks), "Hello there")
      assert.strictEqual(chunks.at(-1)!._tag, "Finish")
      assert.isTrue(logs.lines.some((l) => /malformed|skipped/i.test(l)), logs.lines.join("\n"))
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("a burst: 20,000 tokens in one go come out whole and in order", () =>
    Effect.gen(function*() {
      const n = 20_000
      const server = yield* makeLLMServer
      server.script = (r) => server.play(r, textFrames(Array.from({ length: n }, (_, i) => `${i},`)))
      const chat = yield* chatFor(server, {}, "chat-hostile-tests")
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(chat.stream(ask("count"))))
      const numbers = textOf(chunks).split(",").filter((s) => s !== "").map(Number)
      assert.strictEqual(numbers.length, n)
      assert.isTrue(numbers.every((v, i) => v === i), "in order, none lost")
      assert.strictEqual(chunks.at(-1)!._tag, "Finish")
    }), 60_000)

  it.scopedLive("the socket drops while a tool handler runs: the next round goes out on the new socket and the turn completes", () =>
    Effect.gen(function*() {
      const server = yield* makeLLMServer
      server.script = (r) => {
        if (lastMessage(r).role === "tool") return server.play(r, textFrames(["It is ", lastMessage(r).content]))
        server.play(r, toolCallFrames([{ id: "call_1", name: "slow_lookup", args: ["{\"q\":\"x\"}"] }]))
      }
      const slow = Tool.make("slow_lookup", {
        description: "A lookup that takes a while",
        parameters: Schema.Struct({ q: Schema.String }),
        // the socket drops while this runs
        handler: () => Effect.as(Effect.sync(() => server.connections[0]!.ws.terminate()).pipe(Effect.zipRight(Effect.sleep("150 millis"))), "sunny")
      })
      const chat = yield* chatFor(server, {}, "chat-hostile-tests")
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(chat.streamWithTools(ask("weather?"), Tool.toolkit(slow))))
      assert.strictEqual(textOf(chunks), "It is sunny")
      assert.isAtLeast(server.connections.length, 2)
      assert.strictEqual(server.requests.length, 2, "each round sent once")
    }))
})
