/**
 * Which Sage calls core's retry policy repeats, with a scripted `HttpClient` counting attempts: listing
 * routes (GET) are retried on 503 and transport errors, with the policy's backoff on the TestClock;
 * generations (POST) are sent once.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { SageClient } from "../src/index.js"

const scripted = (answers: ReadonlyArray<{ readonly status: number; readonly body: string } | "reset">) => {
  const seen = { attempts: 0 }
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      const answer = answers[Math.min(seen.attempts, answers.length - 1)]!
      seen.attempts++
      if (answer === "reset") {
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("ECONNRESET") }))
      }
      return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(answer.body, { status: answer.status })))
    })
  )
  return { seen, client }
}

const unavailable = { status: 503, body: JSON.stringify({ success: false, error: "Failed to get models: busy" }) }
const listed = { status: 200, body: JSON.stringify({ success: true, data: { models: { ollama: ["qwen2.5:7b"] } } }) }

describe("SageClient retries", () => {
  it.effect("a GET is retried on 503 and on a reset connection, after the policy's backoff", () =>
    Effect.gen(function*() {
      const { client, seen } = scripted([unavailable, "reset", listed])
      const sage = yield* SageClient.make({ retry: { retries: 3, base: Duration.seconds(1), cap: Duration.seconds(8), jitter: 0 } }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const fiber = yield* Effect.fork(sage.models())
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(seen.attempts, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(seen.attempts, 2)
      yield* TestClock.adjust("2 seconds")
      const models = yield* Fiber.join(fiber)
      assert.strictEqual(seen.attempts, 3)
      assert.deepStrictEqual(models.models, { ollama: ["qwen2.5:7b"] })
    }))

  it.effect("a generation (POST) is sent once", () =>
    Effect.gen(function*() {
      const { client, seen } = scripted([unavailable, { status: 200, body: JSON.stringify({ success: true, data: { response: "late" } }) }])
      const sage = yield* SageClient.make({ retry: { retries: 3, jitter: 0 } }).pipe(Effect.provideService(HttpClient.HttpClient, client))
      const error = yield* Effect.flip(sage.generate({ model: "qwen2.5:7b", prompt: "Hi" }))
      assert.isTrue(error._tag === "SageError" && error.reason === "Unavailable")
      assert.strictEqual(seen.attempts, 1)
    }))
})
