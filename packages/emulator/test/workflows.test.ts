/**
 * The emulator's workflow surface over raw HTTP: the fixture start request and its 201 record, SSE framing
 * (ids, event names, one-line JSON data stamped with the workflow status recorded at the time, heartbeat
 * comment blocks, close after the terminal frame), resume cursors (`after`, `Last-Event-ID`, unparsable),
 * server-side plan validation, template routing, owner scoping and the balance a workflow is charged.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import * as Emulator from "../src/Emulator.js"
import * as Samples from "../src/Samples.js"
import { emulatorTest, http, json } from "./helpers.js"

const BASE = "/v1/creative-agent/workflows"

const fixture = JSON.parse(
  readFileSync(new URL("../../../fixtures/protocol/workflow-start-request.json", import.meta.url), "utf8")
)

const post = (emulator: Emulator.Service, path: string, body: unknown, headers: Record<string, string> = {}) =>
  http(`${emulator.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "api-key": emulator.apiKey, ...headers },
    body: JSON.stringify(body)
  })

const get = (emulator: Emulator.Service, path: string, headers: Record<string, string> = {}) =>
  http(`${emulator.url}${path}`, { headers: { "api-key": emulator.apiKey, ...headers } })

/** Reads a whole SSE response (the emulator closes it after the terminal frame). */
const sse = (emulator: Emulator.Service, id: string, query = "", headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const response = yield* get(emulator, `${BASE}/${id}/events/stream${query}`, headers)
    assert.strictEqual(response.headers.get("content-type"), "text/event-stream")
    assert.strictEqual(response.headers.get("cache-control"), "no-cache")
    const text = yield* Effect.promise(() => response.text())
    const blocks = text.split("\n\n").filter((b) => b.length > 0)
    const frames = blocks.filter((b) => !b.startsWith(":")).map((b) => {
      const lines = b.split("\n")
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2)
      assert.strictEqual(lines.length, 3, `one id, one event and one data line: ${b}`)
      return { id: field("id")!, event: field("event")!, data: JSON.parse(field("data")!) }
    })
    return { text, frames, heartbeats: blocks.filter((b) => b === ": keepalive").length }
  })

const simplePlan = (prompt: string) => ({
  input: {
    title: "two images",
    steps: [
      { id: "a", toolName: "generate_image", arguments: { prompt } },
      { id: "b", toolName: "upscale_image", arguments: { scale: 2 }, dependsOn: [{ sourceStepId: "a", targetArgument: "sourceImageIndex", transform: "image_index", mediaType: "image" }] }
    ]
  },
  token_type: "spark",
  confirm_cost: true
})

describe("emulator: durable workflows over HTTP", () => {
  emulatorTest("accepts the fixture start request: 201, queued record, idempotent on its key", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const { body, headers } = fixture.request
      const response = yield* post(emulator, BASE, body, { "idempotency-key": headers["Idempotency-Key"], "x-app-source": "emulator-demo" })
      assert.strictEqual(response.status, 201)
      const created = yield* json(response)
      assert.strictEqual(created.status, "success")
      const wf = created.data.workflow
      assert.match(wf.workflowId, /^wf_/)
      assert.strictEqual(wf.status, "queued")
      assert.strictEqual(wf.title, "Poster to narrated teaser")
      assert.isTrue(wf.safeContentFilter)
      assert.deepStrictEqual(wf.input, body.input, "input is kept verbatim")
      assert.deepStrictEqual(wf.steps.map((s: any) => [s.id, s.sequence, s.toolName, s.status]), [
        ["keyframe", 0, "edit_image", "queued"],
        ["clip", 1, "generate_video", "queued"],
        ["score", 2, "generate_music", "queued"],
        ["final", 3, "stitch_video", "queued"]
      ])
      assert.deepStrictEqual([wf.events, wf.artifacts], [[], []])
      assert.isNumber(wf.createTime)
      assert.isString(wf.createdAt)
      const again = yield* json(yield* post(emulator, BASE, body, { "idempotency-key": headers["Idempotency-Key"] }))
      assert.strictEqual(again.data.workflow.workflowId, wf.workflowId)
      const conflict = yield* post(emulator, BASE, { ...body, token_type: "sogni" }, { "idempotency-key": headers["Idempotency-Key"] })
      assert.strictEqual(conflict.status, 409)
      const cancelled = yield* json(yield* post(emulator, `${BASE}/${wf.workflowId}/cancel`, undefined))
      assert.strictEqual(cancelled.data.workflow.status, "cancelled")
      assert.isTrue(cancelled.data.cancelled)

      const template = yield* post(emulator, BASE, fixture.alternative_body_saved_template)
      assert.strictEqual(template.status, 404, "an unknown template id is 404")
      const both = yield* post(emulator, BASE, { ...body, workflow_id: "tpl_still_to_clip" })
      assert.strictEqual(both.status, 400)
      assert.strictEqual((yield* json(both)).status, "error")
    }))

  emulatorTest("SSE: ids, event names, one-line JSON with the recorded workflow status, heartbeats, close after terminal", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const created = yield* json(yield* post(emulator, BASE, simplePlan("a quiet harbour")))
      const id = created.data.workflow.workflowId
      const live = yield* sse(emulator, id)
      assert.isAtLeast(live.heartbeats, 1)
      assert.deepStrictEqual(live.frames.map((f) => f.id), live.frames.map((_, i) => String(i + 1)))
      for (const f of live.frames) {
        assert.strictEqual(f.data.id, f.id)
        assert.strictEqual(f.data.sequence, Number(f.id))
        assert.strictEqual(f.data.type, f.event)
        assert.strictEqual(f.data.workflowId, id)
      }
      const last = live.frames.at(-1)!
      assert.deepStrictEqual([last.event, last.data.status], ["workflow_completed", "completed"])
      assert.isTrue(live.frames.slice(0, -1).every((f) => f.data.status === "running"), "step events never carry a step status")
      const stepDone = live.frames.find((f) => f.event === "step_completed")!
      assert.strictEqual(stepDone.data.data.stepId, "a")

      // replay after the end keeps the recorded statuses (the first frame is still "running")
      const replay = yield* sse(emulator, id)
      assert.deepStrictEqual(replay.frames.map((f) => [f.id, f.data.status]), live.frames.map((f) => [f.id, f.data.status]))
      // cursors: after= wins over Last-Event-ID; the header alone works; garbage means no cursor
      const afterQuery = yield* sse(emulator, id, "?after=3", { "last-event-id": "1" })
      assert.strictEqual(afterQuery.frames[0]!.id, "4")
      const afterHeader = yield* sse(emulator, id, "", { "last-event-id": "5" })
      assert.strictEqual(afterHeader.frames[0]!.id, "6")
      const garbage = yield* sse(emulator, id, "?after=abc")
      assert.strictEqual(garbage.frames[0]!.id, "1")
      const nothingLeft = yield* sse(emulator, id, `?after=${last.id}`)
      assert.deepStrictEqual(nothingLeft.frames, [], "terminal and nothing after the cursor: closed at once")

      const record = yield* json(yield* get(emulator, `${BASE}/${id}`))
      const events = yield* json(yield* get(emulator, `${BASE}/${id}/events`))
      assert.deepStrictEqual(events.data.events, live.frames.map((f) => f.data))
      assert.deepStrictEqual(record.data.workflow.events, events.data.events)
      const [image, upscaled] = record.data.workflow.artifacts
      assert.deepStrictEqual([image.kind, image.type, image.mediaType, image.mimeType], ["image", "image", "image", "image/png"])
      assert.strictEqual(upscaled.stepId, "b")
      const bound = record.data.workflow.steps[1].resolvedArguments
      assert.strictEqual(bound.sourceImageIndex, 0, "image_index binds the run's first image")
    }))

  emulatorTest("server-side plan validation: tool schemas, step tools, dependency order, ownership", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const refuse = (steps: unknown) =>
        Effect.flatMap(post(emulator, BASE, { input: { steps } }), (r) =>
          Effect.map(json(r), (b) => ({ status: r.status, body: b })))
      const tooMany = yield* refuse([{ id: "x", toolName: "generate_image", arguments: { prompt: "p", numberOfVariations: 99 } }])
      assert.strictEqual(tooMany.status, 400)
      assert.strictEqual(tooMany.body.details.field, "input.steps[0].arguments.numberOfVariations")
      assert.match(tooMany.body.message, /numberOfVariations/)
      const composition = yield* refuse([{ id: "x", toolName: "enhance_prompt", arguments: {} }])
      assert.strictEqual(composition.status, 400)
      const forward = yield* refuse([
        { id: "x", toolName: "refine_result", arguments: { prompt: "p" }, dependsOn: [{ sourceStepId: "y", targetArgument: "sourceImageIndex", transform: "image_index" }] },
        { id: "y", toolName: "generate_image", arguments: { prompt: "p" } }
      ])
      assert.strictEqual(forward.status, 400)
      assert.strictEqual(forward.body.details.field, "input.steps[0].dependsOn[0].sourceStepId")
      const noPrompt = yield* refuse([{ id: "x", toolName: "generate_video", arguments: { duration: 4 } }])
      assert.strictEqual(noPrompt.status, 400)
      assert.strictEqual(noPrompt.body.details.field, "input.steps[0].arguments.prompt")
      const empty = yield* refuse([])
      assert.strictEqual(empty.status, 400)

      const listed = yield* json(yield* get(emulator, `${BASE}/templates`))
      assert.include(listed.data.templates.map((t: any) => t.id), "tpl_still_to_clip", "templates are matched before :workflowId")
      assert.strictEqual((yield* get(emulator, BASE, { "api-key": "wrong" })).status, 401)

      const created = yield* json(yield* post(emulator, BASE, simplePlan("owned")))
      const id = created.data.workflow.workflowId
      const stranger = yield* get(emulator, `${BASE}/${id}`, { "api-key": "second-key" })
      assert.strictEqual(stranger.status, 404, "another account does not see the workflow")
      const strangerList = yield* json(yield* get(emulator, BASE, { "api-key": "second-key" }))
      assert.deepStrictEqual(strangerList.data.workflows, [])
      yield* post(emulator, `${BASE}/${id}/cancel`, undefined)
    }), { accounts: [{ username: "pixelfox", password: "pw-1" }, { username: "otter", password: "pw-2", apiKeys: ["second-key"] }] })

  emulatorTest("partner-video steps in the platform's legacy argument form (the official Seedance example's i2v request)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      // the example uploads its images through the presigned image slots and passes the download URLs
      const upload = (type: string) =>
        Effect.gen(function*() {
          const query = `jobId=seedance-example-${type}&type=${type}&contentType=image/png&imageId=${type}-1`
          const slot = yield* json(yield* get(emulator, `/v1/image/uploadUrl?${query}`))
          const put = yield* http(slot.data.uploadUrl, {
            method: "PUT",
            headers: { "content-type": "image/png" },
            body: Buffer.from(Samples.png({ width: 512, height: 512, prompt: type }))
          })
          assert.strictEqual(put.status, 200)
          return (yield* json(yield* get(emulator, `/v1/image/downloadUrl?${query}`))).data.downloadUrl as string
        })
      const first = yield* upload("referenceImage")
      const last = yield* upload("referenceImageEnd")
      const args = {
        prompt: "slow cinematic reveal",
        expand_prompt: true,
        model: "seedance-2-0",
        duration: 4,
        width: 1280,
        height: 720,
        number_of_variations: 1,
        fps: 24,
        reference_image_url: first,
        reference_image_end_url: last,
        first_frame_strength: 1,
        last_frame_strength: 1
      }
      const started = (a: Record<string, unknown>) =>
        post(emulator, BASE, {
          token_type: "spark",
          input: { title: "Seedance I2V example", steps: [{ id: "seedance_i2v", toolName: "generate_video", arguments: a }] }
        })
      const response = yield* started(args)
      const created = yield* json(response)
      assert.strictEqual(response.status, 201, JSON.stringify(created))
      const wf = created.data.workflow
      assert.deepStrictEqual(wf.steps[0].arguments, args, "the arguments are recorded as sent")
      const live = yield* sse(emulator, wf.workflowId)
      assert.strictEqual(live.frames.at(-1)!.event, "workflow_completed")
      const record = yield* json(yield* get(emulator, `${BASE}/${wf.workflowId}`))
      assert.strictEqual(record.data.workflow.status, "completed")
      const [artifact] = record.data.workflow.artifacts
      assert.strictEqual(artifact.kind, "video")
      assert.isAtLeast(artifact.durationSeconds, 4, "the Seedance floor of 4 seconds")

      // a name neither the schema nor the legacy form knows is still refused, and so is a legacy field of the wrong type
      const typo = yield* started({ ...args, expand_promt: true })
      assert.strictEqual(typo.status, 400)
      const typoBody = yield* json(typo)
      assert.strictEqual(typoBody.details.field, "input.steps[0].arguments.expand_promt")
      assert.match(typoBody.message, /Unknown argument "expand_promt"/)
      const notUrl = yield* started({ ...args, reference_image_url: "placeholder.jpg" })
      assert.strictEqual(notUrl.status, 400)
      assert.strictEqual((yield* json(notUrl)).details.field, "input.steps[0].arguments.reference_image_url")
      // the schema's own rules still apply to a snake_case spelling
      const tooMany = yield* started({ ...args, number_of_variations: 40 })
      assert.strictEqual(tooMany.status, 400)
      assert.match((yield* json(tooMany)).message, /numberOfVariations/)
    }))

  emulatorTest("media steps are charged like the projects they run", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const before = yield* json(yield* get(emulator, "/v4/account/balance"))
      const created = yield* json(yield* post(emulator, BASE, simplePlan("billing")))
      yield* sse(emulator, created.data.workflow.workflowId)
      const after = yield* json(yield* get(emulator, "/v4/account/balance"))
      assert.isBelow(Number(after.data.spark.net), Number(before.data.spark.net))
    }))
})
