/**
 * Fidelity of hosted chat and durable chat runs with the official `@sogni-ai/sogni-client` (5.54.0):
 * `chat.hosted.create` (plain and with server-side tool execution), `chat.hosted.executeTool`, and
 * `chat.runs.create/get/streamEvents/confirmCost/cancel` (its SSE parser drops comment frames and
 * `run_status` snapshots, and its loop ends because the emulator closes the stream after the terminal
 * event). Errors come back as the client's `ChatJobError` / `Error` with `status`.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { bytes, emulatorTest, http, officialClient, pngInfo } from "./helpers.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"

const collect = <A>(iterator: AsyncIterableIterator<A>, until?: (a: A) => boolean) =>
  Effect.promise(async () => {
    const out: A[] = []
    for await (const item of iterator) {
      out.push(item)
      if (until?.(item) === true) break
    }
    return out
  })

describe("official client: hosted chat", () => {
  emulatorTest("chat.hosted.create returns the bare completion body", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-hosted-1")
      const result = yield* Effect.promise(() =>
        client.chat.hosted.create({
          model: MODEL,
          messages: [{ role: "user", content: "Write one short caption for a rainy-day coffee ad." }],
          max_tokens: 256,
          tokenType: "spark",
          sogni_tools: false,
          think: false
        })
      )
      assert.strictEqual(result.object, "chat.completion")
      assert.match(result.choices[0]!.message.content ?? "", /rainy-day coffee ad/)
      assert.strictEqual(result.choices[0]!.finish_reason, "stop")
      assert.isAbove(result.usage?.total_tokens ?? 0, 0)
    }))

  emulatorTest("chat.hosted.create with sogni_tool_execution reports the executed tool and its image", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-hosted-2")
      const result = yield* Effect.promise(() =>
        client.chat.hosted.create({
          model: MODEL,
          messages: [{ role: "user", content: "generate_image \"a lighthouse at dawn\"" }],
          sogni_tools: "creative-tools",
          sogni_tool_execution: true
        })
      )
      const executed = result.sogni_tool_results as Array<{ name: string; result: { urls: string[] } }>
      assert.strictEqual(executed[0]!.name, "generate_image")
      const png = yield* bytes(yield* http(executed[0]!.result.urls[0]!))
      assert.isTrue(pngInfo(png).isPng)
      assert.include(result.choices[0]!.message.content ?? "", executed[0]!.result.urls[0]!)
    }), { speed: 20 })

  emulatorTest("chat.hosted.executeTool and the client's error mapping", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-hosted-3")
      const executed = yield* Effect.promise(() =>
        client.chat.hosted.executeTool({ tool: "enhance_prompt", arguments: { prompt: "a cat", target_output: "image_prompt", destination_model: "z-turbo" } })
      )
      assert.strictEqual(executed.status, "success")
      assert.strictEqual(executed.data.tool, "enhance_prompt")
      assert.match(String((executed.data.result as { prompt: string }).prompt), /^a cat, /)
      const failure = yield* Effect.promise(() =>
        client.chat.hosted.create({ model: MODEL, messages: [{ role: "user", content: "[[fail]] hi" }] }).then(
          () => undefined,
          (e: unknown) => e as { status?: number; message: string; name: string }
        )
      )
      assert.strictEqual(failure?.status, 502)
      assert.include(failure?.message, "[[fail]]")
    }))
})

describe("official client: chat runs", () => {
  emulatorTest("create → streamEvents to the terminal event → get", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-runs-1")
      const run = yield* Effect.promise(() =>
        client.chat.runs.create({
          messages: [{ role: "user", content: "hello runs" }],
          model: MODEL,
          sessionId: "s-1",
          clientMessageId: "m-1",
          idempotencyKey: "m-1",
          tokenType: "spark"
        })
      )
      assert.strictEqual(run.status, "queued")
      const events = yield* collect(client.chat.runs.streamEvents(run.runId))
      assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1))
      assert.strictEqual(events[events.length - 1]!.type, "run_completed")
      const tail = yield* collect(client.chat.runs.streamEvents(run.runId, { lastEventId: 3 }))
      assert.deepStrictEqual(tail.map((e) => e.sequence), events.slice(3).map((e) => e.sequence))
      const record = yield* Effect.promise(() => client.chat.runs.get(run.runId))
      assert.strictEqual(record.status, "completed")
      assert.match(record.finalResponse?.content ?? "", /hello runs/)
      const again = yield* Effect.promise(() =>
        client.chat.runs.create({ messages: [{ role: "user", content: "other" }], idempotencyKey: "m-1" })
      )
      assert.strictEqual(again.runId, run.runId)
    }), { speed: 10 })

  emulatorTest("a cost-approval pause confirmed through confirmCost, then a cancel of another run", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-runs-2")
      const run = yield* Effect.promise(() =>
        client.chat.runs.create({
          messages: [{ role: "user", content: "generate_image \"paper boat\"" }],
          runtimeConfig: { qualityTier: "fast", requireJobConfirmation: true }
        })
      )
      const untilWaiting = yield* collect(client.chat.runs.streamEvents(run.runId), (e) => e.type === "run_waiting_for_user")
      const waiting = untilWaiting[untilWaiting.length - 1]!
      const details = (waiting.payload as { details: { toolCallId: string; costApprovalPreview: any } }).details
      const refused = yield* Effect.promise(() =>
        client.chat.runs.confirmCost(run.runId, { toolCallId: details.toolCallId, decision: "confirm" }).then(
          () => undefined,
          (e: { status?: number }) => e.status
        )
      )
      assert.strictEqual(refused, 400)
      const confirmed = yield* Effect.promise(() =>
        client.chat.runs.confirmCost(run.runId, {
          toolCallId: details.toolCallId,
          decision: "confirm",
          acceptedCostPreview: details.costApprovalPreview,
          idempotencyKey: `confirm-${details.toolCallId}`
        })
      )
      assert.notStrictEqual(confirmed.status, "waiting_for_user")
      const rest = yield* collect(client.chat.runs.streamEvents(run.runId, { lastEventId: waiting.sequence }))
      assert.strictEqual(rest[0]!.sequence, waiting.sequence + 1)
      assert.strictEqual(rest[rest.length - 1]!.type, "run_completed")
      assert.isTrue(rest.some((e) => e.type === "artifact_created"))

      const slow = yield* Effect.promise(() =>
        client.chat.runs.create({ messages: [{ role: "user", content: "[[slow]] [[long]] a long story" }] })
      )
      const cancelled = yield* Effect.promise(() => client.chat.runs.cancel(slow.runId, "no longer needed"))
      assert.strictEqual(cancelled.status, "cancelled")
      const missing = yield* Effect.promise(() =>
        client.chat.runs.get("run_missing").then(() => undefined, (e: { status?: number }) => e.status)
      )
      assert.strictEqual(missing, 404)
    }), { speed: 20 })
})
