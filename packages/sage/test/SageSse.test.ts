/**
 * The stream path below the emulator's reach, with a scripted `HttpClient`: an SSE body delivered in
 * awkward pieces (events and even UTF-8 characters split across reads), non-`data` lines, and a
 * malformed payload that is logged and skipped instead of failing the stream.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { SageClient } from "../src/index.js"

const sseClient = (body: string, cut: number) =>
  HttpClient.make((request) =>
    Effect.sync(() => {
      const bytes = new TextEncoder().encode(body)
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += cut) controller.enqueue(bytes.slice(i, i + cut))
          controller.close()
        }
      })
      return HttpClientResponse.fromWeb(request, new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } }))
    })
  )

const body = [
  ": a comment line the parser ignores",
  "data: {\"chunk\": \"Brume \", \"done\": false}",
  "",
  "data: {this is not json}",
  "",
  "event: noise",
  "data: {\"chunk\": \"sur le quai — ☂\", \"done\": false}",
  "",
  "data: {\"chunk\": \"\", \"done\": true}",
  "",
  "data: {\"chunk\": \"\", \"done\": true, \"full_response\": \"Brume sur le quai — ☂\"}",
  "",
  ""
].join("\n")

describe("SageClient SSE reading", () => {
  for (const cut of [1, 3, 7, 64]) {
    it.effect(`events split every ${cut} bytes are read whole; a malformed payload is skipped`, () =>
      Effect.gen(function*() {
        const sage = yield* SageClient.make({ retry: false }).pipe(Effect.provideService(HttpClient.HttpClient, sseClient(body, cut)))
        const events = Chunk.toReadonlyArray(yield* Stream.runCollect(sage.generateStream({ model: "m", prompt: "p" })))
        assert.deepStrictEqual(
          events.map((e) => (e._tag === "TextDelta" ? e.text : e._tag === "Done" ? `[${e.text}]` : e._tag)),
          ["Brume ", "sur le quai — ☂", "[Brume sur le quai — ☂]"]
        )
      }))
  }
})
