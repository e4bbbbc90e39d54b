/**
 * Hosted REST chat and durable chat runs on the emulator, over raw `fetch` (chat.md §13–§15).
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "../src/Emulator.js"
import { bytes, emulatorTest, http, json, pngInfo, sleep } from "./helpers.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"

const post = (url: string, apiKey: string, body: unknown, headers: Record<string, string> = {}) =>
  http(url, {
    method: "POST",
    headers: { "content-type": "application/json", "api-key": apiKey, ...headers },
    body: JSON.stringify(body)
  })

const get = (url: string, apiKey: string, headers: Record<string, string> = {}) =>
  http(url, { headers: { "api-key": apiKey, ...headers } })

/** Parses an SSE body into frames (comment frames kept as `{comment}`). */
const sseFrames = (text: string) =>
  text.split("\n\n").filter((f) => f.length > 0).map((f) => {
    if (f.startsWith(":")) return { comment: f.slice(1).trim() }
    const out: Record<string, string> = {}
    for (const line of f.split("\n")) {
      const i = line.indexOf(":")
      const key = line.slice(0, i)
      out[key] = (out[key] !== undefined ? out[key] + "\n" : "") + line.slice(i + 1).trim()
    }
    return out
  })

describe("hosted chat", () => {
  emulatorTest("POST /v1/chat/completions answers with a bare chat.completion body", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const before = Number((yield* json(yield* get(`${emulator.url}/v4/account/balance`, emulator.apiKey))).data.spark.net)
      const response = yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
        model: MODEL,
        messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: "Write one short caption" }],
        sogni_tools: false,
        max_tokens: 256
      })
      assert.strictEqual(response.status, 200)
      const body = yield* json(response)
      assert.strictEqual(body.object, "chat.completion")
      assert.strictEqual(body.model, MODEL)
      assert.match(body.id, /^chatcmpl-/)
      assert.strictEqual(body.choices[0].message.role, "assistant")
      assert.match(body.choices[0].message.content, /^You said: "Write one short caption"\./)
      assert.strictEqual(body.choices[0].finish_reason, "stop")
      assert.strictEqual(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens)
      assert.isUndefined(body.status)
      const balance = yield* json(yield* get(`${emulator.url}/v4/account/balance`, emulator.apiKey))
      assert.isTrue(Number(balance.data.spark.net) < before, "the answer was charged")
    }))

  emulatorTest("stream: true sends chat.completion.chunk SSE ending with [DONE]", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const response = yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
        model: MODEL,
        messages: [{ role: "user", content: "stream please" }],
        sogni_tools: false,
        stream: true
      })
      assert.strictEqual(response.status, 200)
      assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/)
      const frames = sseFrames(yield* Effect.promise(() => response.text()))
      assert.strictEqual(frames[frames.length - 1]!.data, "[DONE]")
      const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data!))
      assert.isTrue(chunks.length > 2)
      assert.strictEqual(chunks[0].choices[0].delta.role, "assistant")
      const text = chunks.map((c) => c.choices[0].delta.content ?? "").join("")
      assert.match(text, /^You said: "stream please"\./)
      const last = chunks[chunks.length - 1]
      assert.strictEqual(last.choices[0].finish_reason, "stop")
      assert.isAbove(last.usage.completion_tokens, 2)
    }))

  emulatorTest("sogni_tool_execution runs generate_image server side with a real image", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const response = yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
        model: MODEL,
        messages: [{ role: "user", content: "Please generate_image of \"a red fox in snow\"" }],
        sogni_tools: "creative-tools",
        sogni_tool_execution: true
      })
      assert.strictEqual(response.status, 200)
      const body = yield* json(response)
      const results = body.sogni_tool_results as Array<any>
      assert.strictEqual(results.length, 1)
      assert.strictEqual(results[0].name, "generate_image")
      assert.strictEqual(results[0].status, "ok")
      assert.strictEqual(results[0].arguments.prompt, "a red fox in snow")
      const result = results[0].result
      assert.strictEqual(result.media_type, "image")
      assert.deepStrictEqual(result.indices, [0])
      assert.strictEqual(result.startIndex, 0)
      const image = yield* bytes(yield* http(result.urls[0]))
      assert.isTrue(pngInfo(image).isPng)
      assert.include(body.choices[0].message.content, "The generate_image result is:")
      assert.include(body.choices[0].message.content, `[image 1](${result.urls[0]})`, "a Markdown link per result")
      assert.deepStrictEqual(body.sogni_media_context.images, result.urls)
    }), { speed: 20 })

  emulatorTest("picks tools by intent words and fills their arguments from the message, then renders them", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const ask = (content: string, extra: Record<string, unknown> = {}) =>
        Effect.flatMap(
          post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
            model: MODEL,
            messages: [{ role: "user", content }],
            sogni_tool_execution: true,
            ...extra
          }),
          json
        )
      const picture = yield* ask("Can you draw me 2 pictures of a lighthouse at dusk, 640x480?")
      const [image] = picture.sogni_tool_results as Array<any>
      assert.strictEqual(image.name, "generate_image")
      assert.strictEqual(image.status, "ok")
      assert.deepStrictEqual(
        [image.arguments.width, image.arguments.height, image.arguments.numberOfVariations],
        [640, 480, 2]
      )
      assert.include(image.arguments.prompt, "lighthouse at dusk")
      assert.strictEqual(image.result.urls.length, 2)
      const png = pngInfo(yield* bytes(yield* http(image.result.urls[0])))
      assert.deepStrictEqual([png.isPng, png.width, png.height], [true, 640, 480])

      const clip = yield* ask("Make a 3 second video of a paper boat on a river")
      const [video] = clip.sogni_tool_results as Array<any>
      assert.strictEqual(video.name, "generate_video")
      assert.strictEqual(video.status, "ok")
      assert.strictEqual(video.arguments.duration, 3)
      assert.strictEqual(video.result.media_type, "video")

      const song = yield* ask("Write a short song about autumn leaves, 20 seconds, 90 bpm")
      const [music] = song.sogni_tool_results as Array<any>
      assert.strictEqual(music.name, "generate_music")
      assert.strictEqual(music.status, "ok")
      assert.deepStrictEqual([music.arguments.duration, music.arguments.bpm], [20, 90])

      const chat = yield* ask("How are you today?")
      assert.deepStrictEqual(chat.sogni_tool_results, [])
      assert.isString(chat.choices[0].message.content)
    }), { speed: 20 })

  emulatorTest("runs a platform tool the request declares itself when sogni_tool_execution is on", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const declared = {
        type: "function",
        function: {
          name: "generate_image",
          description: "Make a picture",
          parameters: { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] }
        }
      }
      const run = (execute: boolean) =>
        Effect.flatMap(
          post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
            model: MODEL,
            messages: [{ role: "user", content: "A picture of \"a green parrot\", please" }],
            tools: [declared],
            sogni_tools: false,
            sogni_tool_execution: execute
          }),
          json
        )
      const executed = yield* run(true)
      const [result] = executed.sogni_tool_results as Array<any>
      assert.strictEqual(result.name, "generate_image")
      assert.strictEqual(result.status, "ok")
      assert.strictEqual(result.arguments.prompt, "a green parrot")
      assert.isTrue(pngInfo(yield* bytes(yield* http(result.result.urls[0]))).isPng)
      assert.strictEqual(executed.choices[0].finish_reason, "stop")
      // A caller schema in snake_case, arguments spelled out as JSON: run with the platform's names.
      const snake = {
        type: "function",
        function: {
          name: "generate_video",
          parameters: {
            type: "object",
            properties: {
              prompt: { type: "string" },
              model: { type: "string" },
              duration: { type: "number" },
              number_of_variations: { type: "integer" },
              expand_prompt: { type: "boolean" }
            },
            required: ["prompt"]
          }
        }
      }
      const spelled = yield* json(
        yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
          model: MODEL,
          messages: [{
            role: "user",
            content: `Call the tool with exactly these arguments: ${
              JSON.stringify({ prompt: "a glass whale", model: "seedance-2-0-mini", duration: 4, number_of_variations: 1, expand_prompt: true })
            }`
          }],
          tools: [snake],
          tool_choice: { type: "function", function: { name: "generate_video" } },
          sogni_tool_execution: true
        })
      )
      const [video] = spelled.sogni_tool_results as Array<any>
      assert.strictEqual(video.status, "ok")
      assert.deepStrictEqual(video.arguments, {
        prompt: "a glass whale",
        videoModel: "seedance2-mini",
        duration: 4,
        numberOfVariations: 1,
        expandPrompt: true
      })
      assert.strictEqual(video.result.model, "seedance-2-0-mini")
      // Without server execution the call comes back to the caller.
      const returned = yield* run(false)
      assert.strictEqual(returned.choices[0].finish_reason, "tool_calls")
      assert.strictEqual(returned.choices[0].message.tool_calls[0].function.name, "generate_image")
    }), { speed: 20 })

  emulatorTest("media context: tools of one turn address earlier results by index, uploads by negative index", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const body = yield* json(
        yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
          model: MODEL,
          messages: [{ role: "user", content: "generate_image then analyze_image of \"a blue heron\"" }],
          sogni_tool_execution: true
        })
      )
      const [generated, analysed] = body.sogni_tool_results as Array<any>
      assert.strictEqual(generated.name, "generate_image")
      assert.strictEqual(analysed.name, "analyze_image")
      assert.strictEqual(analysed.result.url, generated.result.urls[0])
      assert.include(analysed.result.answer, "a blue heron")
      const uploaded = yield* json(
        yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
          model: MODEL,
          messages: [{ role: "user", content: "analyze_image \"what is this\"" }],
          media_references: [{ url: "https://cdn.example.com/u/1.png", type: "image/png" }],
          sogni_tool_execution: true
        })
      )
      const upload = (uploaded.sogni_tool_results as Array<any>)[0]
      assert.strictEqual(upload.status, "ok")
      assert.strictEqual(upload.result.url, "https://cdn.example.com/u/1.png")
      assert.deepStrictEqual(uploaded.sogni_media_context.uploadedImages, ["https://cdn.example.com/u/1.png"])
      const nothing = yield* json(
        yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
          model: MODEL,
          messages: [{ role: "user", content: "analyze_image \"what is this\"" }],
          sogni_tool_execution: true
        })
      )
      const missing = (nothing.sogni_tool_results as Array<any>)[0]
      assert.strictEqual(missing.status, "err")
      assert.strictEqual(missing.result.error_type, "ASSET_NOT_FOUND")
    }), { speed: 20 })

  emulatorTest("closing the request mid-tool cancels the render and releases the reservation", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const controller = new AbortController()
      const pending = fetch(`${emulator.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "api-key": emulator.apiKey },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: "user", content: "generate_video \"waves at night\"" }],
          sogni_tool_execution: true,
          stream: true
        }),
        signal: controller.signal
      }).then((r) => r.text()).catch((e: Error) => e.name)
      let projects: ReadonlyArray<{ status: string; modelId: string }> = []
      for (let i = 0; i < 100 && projects.length === 0; i++) {
        yield* sleep(20)
        projects = yield* emulator.control.listProjects()
      }
      assert.strictEqual(projects[0]!.modelId, "ltx23-22b-fp8_t2v_distilled")
      controller.abort()
      assert.strictEqual(yield* Effect.promise(() => pending), "AbortError")
      for (let i = 0; i < 100 && projects[0]!.status !== "cancelled"; i++) {
        yield* sleep(20)
        projects = yield* emulator.control.listProjects()
      }
      assert.strictEqual(projects[0]!.status, "cancelled")
      const balance = yield* json(yield* get(`${emulator.url}/v4/account/balance`, emulator.apiKey))
      assert.strictEqual(balance.data.spark.debit, "0")
    }), { speed: 1 })

  emulatorTest("without sogni_tool_execution the platform tool call comes back to the caller", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const body = yield* json(
        yield* post(`${emulator.url}/v1/chat/completions`, emulator.apiKey, {
          model: MODEL,
          messages: [{ role: "user", content: "compose_script for \"a tea brand\"" }]
        })
      )
      assert.strictEqual(body.choices[0].finish_reason, "tool_calls")
      const call = body.choices[0].message.tool_calls[0]
      assert.strictEqual(call.function.name, "compose_script")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { brief: "a tea brand" })
      assert.isUndefined(body.sogni_tool_results)
    }))

  emulatorTest("errors: 400 envelope, 404 OpenAI shape, 402 flat shape, 502 worker failure, 401", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const url = `${emulator.url}/v1/chat/completions`
      const bad = yield* post(url, emulator.apiKey, { model: MODEL, messages: [] })
      assert.strictEqual(bad.status, 400)
      assert.deepInclude(yield* json(bad), { status: "error", message: "messages must be a non-empty array" })
      const unknown = yield* post(url, emulator.apiKey, { model: "nope", messages: [{ role: "user", content: "x" }] })
      assert.strictEqual(unknown.status, 404)
      assert.strictEqual((yield* json(unknown)).error.type, "model_unavailable")
      const failing = yield* post(url, emulator.apiKey, { model: MODEL, messages: [{ role: "user", content: "[[fail]] hi" }] })
      assert.strictEqual(failing.status, 502)
      assert.strictEqual((yield* json(failing)).error.code, "worker_error")
      const noAuth = yield* http(url, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })
      assert.strictEqual(noAuth.status, 401)
      yield* emulator.control.setBalance({ tokenType: "spark", amount: 0 })
      const broke = yield* post(url, emulator.apiKey, { model: MODEL, messages: [{ role: "user", content: "x" }] })
      assert.strictEqual(broke.status, 402)
      assert.deepStrictEqual(yield* json(broke), {
        error: "insufficient_balance",
        error_code: "4024",
        error_message: "Not enough spark tokens for this request."
      })
    }))

  emulatorTest("POST /v1/creative-agent/tools/execute runs a composition tool", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const url = `${emulator.url}/v1/creative-agent/tools/execute`
      const body = yield* json(
        yield* post(url, emulator.apiKey, { tool: "compose_script", arguments: { brief: "a paper boat", scene_count: 2 } })
      )
      assert.strictEqual(body.status, "success")
      assert.strictEqual(body.data.tool, "compose_script")
      assert.strictEqual(body.data.message, null)
      assert.strictEqual(body.data.result.scenes.length, 2)
      const invalid = yield* post(url, emulator.apiKey, { tool: "compose_script", arguments: { scene_count: 40 } })
      assert.strictEqual(invalid.status, 400)
      const problem = yield* json(invalid)
      assert.include(problem.message, "Missing required argument \"brief\"")
      assert.include(problem.message, "Argument \"scene_count\" must be at most 12")
      const notDirect = yield* post(url, emulator.apiKey, { tool: "generate_image", arguments: { prompt: "x" } })
      assert.strictEqual(notDirect.status, 400)
    }))
})

describe("chat runs", () => {
  emulatorTest("create → SSE events → completed; replay from any event id", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const created = yield* post(`${emulator.url}/v1/chat/runs`, emulator.apiKey, {
        messages: [{ role: "user", content: "hello there" }],
        session_id: "s-1",
        client_message_id: "m-1"
      }, { "idempotency-key": "m-1" })
      assert.strictEqual(created.status, 202)
      const run = (yield* json(created)).data.run
      assert.match(run.runId, /^run_/)
      assert.strictEqual(run.schemaVersion, "2026-05-14.1")
      assert.strictEqual(run.request.sessionId, "s-1")
      const again = yield* json(
        yield* post(`${emulator.url}/v1/chat/runs`, emulator.apiKey, { messages: [{ role: "user", content: "x" }] }, {
          "idempotency-key": "m-1"
        })
      )
      assert.strictEqual(again.data.run.runId, run.runId)
      assert.isTrue(again.data.idempotent)
      const stream = yield* get(`${emulator.url}/v1/chat/runs/${run.runId}/events/stream`, emulator.apiKey, {
        accept: "text/event-stream"
      })
      const frames = sseFrames(yield* Effect.promise(() => stream.text()))
      const events = frames.filter((f) => f.id !== undefined).map((f) => JSON.parse(f.data!))
      assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1))
      frames.filter((f) => f.id !== undefined).forEach((f, i) => {
        assert.strictEqual(f.id, String(i + 1))
        assert.strictEqual(f.event, events[i].type)
      })
      assert.strictEqual(events[0].type, "run_created")
      assert.strictEqual(events[events.length - 1].type, "run_completed")
      const text = events.filter((e) => e.type === "assistant_message_delta").map((e) => e.payload.delta).join("")
      assert.match(text, /^You said: "hello there"\./)
      const record = (yield* json(yield* get(`${emulator.url}/v1/chat/runs/${run.runId}`, emulator.apiKey))).data.run
      assert.strictEqual(record.status, "completed")
      assert.strictEqual(record.finalResponse.content, text)
      assert.strictEqual(record.events.length, events.length)
      for (const from of [1, 4, events.length - 1, events.length]) {
        const resumed = yield* get(`${emulator.url}/v1/chat/runs/${run.runId}/events/stream`, emulator.apiKey, {
          "last-event-id": String(from)
        })
        const replay = sseFrames(yield* Effect.promise(() => resumed.text())).filter((f) => f.id !== undefined)
        assert.deepStrictEqual(replay.map((f) => Number(f.id)), events.slice(from).map((e) => e.sequence))
      }
      const viaQuery = yield* get(`${emulator.url}/v1/chat/runs/${run.runId}/events/stream?after=3`, emulator.apiKey)
      assert.strictEqual(sseFrames(yield* Effect.promise(() => viaQuery.text())).filter((f) => f.id !== undefined)[0]!.id, "4")
    }), { speed: 10 })

  emulatorTest("a cost-approval pause: 400 without preview, 409 for a changed one, confirm runs the tool", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const base = `${emulator.url}/v1/chat/runs`
      const run = (yield* json(
        yield* post(base, emulator.apiKey, {
          messages: [{ role: "user", content: "generate_image \"a paper boat in rain\"" }],
          runtime_config: { requireJobConfirmation: true }
        })
      )).data.run
      let record: any
      for (let i = 0; i < 100; i++) {
        record = (yield* json(yield* get(`${base}/${run.runId}`, emulator.apiKey))).data.run
        if (record.status === "waiting_for_user") break
        yield* sleep(20)
      }
      assert.strictEqual(record.waiting.reason, "cost_approval_required")
      const preview = record.waiting.details.costApprovalPreview
      const toolCallId = record.waiting.details.toolCallId
      assert.isAbove(preview.totalEstimatedCapacityUnits, 0)
      const noPreview = yield* post(`${base}/${run.runId}/confirm-cost`, emulator.apiKey, { tool_call_id: toolCallId, decision: "confirm" })
      assert.strictEqual(noPreview.status, 400)
      const changed = yield* post(`${base}/${run.runId}/confirm-cost`, emulator.apiKey, {
        tool_call_id: toolCallId,
        decision: "confirm",
        acceptedCostPreview: { ...preview, totalEstimatedCapacityUnits: 0.01 }
      })
      assert.strictEqual(changed.status, 409)
      const confirmed = yield* post(`${base}/${run.runId}/confirm-cost`, emulator.apiKey, {
        tool_call_id: toolCallId,
        decision: "confirm",
        acceptedCostPreview: preview
      }, { "idempotency-key": "c-1" })
      assert.strictEqual(confirmed.status, 200)
      const duplicate = yield* post(`${base}/${run.runId}/confirm-cost`, emulator.apiKey, {
        tool_call_id: toolCallId,
        decision: "confirm",
        acceptedCostPreview: preview
      }, { "idempotency-key": "c-1" })
      assert.strictEqual(duplicate.status, 200)
      const stream = yield* get(`${base}/${run.runId}/events/stream`, emulator.apiKey)
      const events = sseFrames(yield* Effect.promise(() => stream.text())).filter((f) => f.id !== undefined).map((f) => JSON.parse(f.data!))
      const types = events.map((e) => e.type)
      for (const t of ["tool_call_proposed", "run_awaiting_cost_confirmation", "run_waiting_for_user", "run_cost_confirmation_resolved", "tool_call_dispatched", "artifact_created", "tool_call_resolved", "run_completed"]) {
        assert.include(types, t)
      }
      const artifact = events.find((e) => e.type === "artifact_created")!.payload
      assert.isTrue(pngInfo(yield* bytes(yield* http(artifact.url))).isPng)
      const final = (yield* json(yield* get(`${base}/${run.runId}`, emulator.apiKey))).data.run
      assert.deepStrictEqual(final.mediaContext.images, [artifact.url])
      assert.strictEqual(final.toolResults[0].status, "ok")
    }), { speed: 20 })

  emulatorTest("a budget below the tool's cost pauses the run; declining resolves the call as cancelled", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const base = `${emulator.url}/v1/chat/runs`
      const run = (yield* json(
        yield* post(base, emulator.apiKey, {
          messages: [{ role: "user", content: "generate_image \"a kite\"" }],
          max_estimated_capacity_units: 0.01
        })
      )).data.run
      let record: any
      for (let i = 0; i < 100; i++) {
        record = (yield* json(yield* get(`${base}/${run.runId}`, emulator.apiKey))).data.run
        if (record.status === "waiting_for_user") break
        yield* sleep(20)
      }
      const toolCallId = record.waiting.details.toolCallId
      const wrong = yield* post(`${base}/${run.runId}/confirm-cost`, emulator.apiKey, { tool_call_id: "call_other", decision: "cancel" })
      assert.strictEqual(wrong.status, 409)
      const declined = yield* post(`${base}/${run.runId}/confirm-cost`, emulator.apiKey, { tool_call_id: toolCallId, decision: "rejected" })
      assert.strictEqual(declined.status, 200)
      const stream = yield* get(`${base}/${run.runId}/events/stream?after=${record.events.length}`, emulator.apiKey)
      const events = sseFrames(yield* Effect.promise(() => stream.text())).filter((f) => f.id !== undefined).map((f) => JSON.parse(f.data!))
      assert.deepStrictEqual(events[0].payload, { toolCallId, decision: "cancel" })
      assert.strictEqual(events.find((e) => e.type === "tool_call_resolved").payload.status, "cancelled")
      assert.notInclude(events.map((e) => e.type), "tool_call_dispatched")
      assert.strictEqual(events[events.length - 1].type, "run_completed")
      const final = (yield* json(yield* get(`${base}/${run.runId}`, emulator.apiKey))).data.run
      assert.strictEqual(final.toolResults[0].status, "cancelled")
      assert.deepStrictEqual(final.mediaContext.images, [])
      assert.strictEqual((yield* emulator.control.listProjects()).length, 0)
    }), { speed: 20 })

  emulatorTest("cancel ends a run with run_cancelled; cancelling again is a 409; unknown runs are 404", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const base = `${emulator.url}/v1/chat/runs`
      const run = (yield* json(
        yield* post(base, emulator.apiKey, { messages: [{ role: "user", content: "[[slow]] [[long]] tell me a story" }] })
      )).data.run
      yield* sleep(150)
      const cancelled = yield* post(`${base}/${run.runId}/cancel`, emulator.apiKey, { reason: "changed my mind" })
      assert.strictEqual(cancelled.status, 200)
      const record = (yield* json(cancelled)).data.run
      assert.strictEqual(record.status, "cancelled")
      assert.strictEqual(record.cancellationReason, "changed my mind")
      assert.strictEqual(record.events[record.events.length - 1].type, "run_cancelled")
      assert.strictEqual((yield* post(`${base}/${run.runId}/cancel`, emulator.apiKey, {})).status, 409)
      assert.strictEqual((yield* get(`${base}/run_nope`, emulator.apiKey)).status, 404)
      const dataUri = yield* post(base, emulator.apiKey, {
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }]
      })
      assert.strictEqual(dataUri.status, 400)
      assert.include((yield* json(dataUri)).message, "messages[0].content[0].image_url.url")
    }))

  emulatorTest("cancelling a run while its tool renders cancels the project", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const base = `${emulator.url}/v1/chat/runs`
      const run = (yield* json(
        yield* post(base, emulator.apiKey, { messages: [{ role: "user", content: "generate_video \"a slow tide\"" }] })
      )).data.run
      let projects: ReadonlyArray<{ status: string }> = []
      for (let i = 0; i < 100 && projects.length === 0; i++) {
        yield* sleep(20)
        projects = yield* emulator.control.listProjects()
      }
      const cancelled = (yield* json(yield* post(`${base}/${run.runId}/cancel`, emulator.apiKey, {}))).data.run
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual((yield* emulator.control.listProjects())[0]!.status, "cancelled")
      const types = cancelled.events.map((e: { type: string }) => e.type)
      assert.include(types, "tool_call_dispatched")
      assert.notInclude(types, "tool_call_resolved")
    }), { speed: 1 })

  emulatorTest("an idle stream carries heartbeat comment frames", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const base = `${emulator.url}/v1/chat/runs`
      const run = (yield* json(
        yield* post(base, emulator.apiKey, {
          messages: [{ role: "user", content: "ask_clarifying_question please" }]
        })
      )).data.run
      const controller = new AbortController()
      const response = yield* http(`${base}/${run.runId}/events/stream`, { headers: { "api-key": emulator.apiKey }, signal: controller.signal })
      const reader = response.body!.getReader()
      let text = ""
      while (!text.includes(": keepalive")) {
        const { value } = yield* Effect.promise(() => reader.read())
        text += new TextDecoder().decode(value)
      }
      controller.abort()
      assert.include(text, "event: run_waiting_for_user")
      assert.include(text, "\"reason\":\"ask_clarifying_question\"")
      assert.strictEqual((yield* post(`${base}/${run.runId}/cancel`, emulator.apiKey, {})).status, 200)
    }), { speed: 20 })
})
