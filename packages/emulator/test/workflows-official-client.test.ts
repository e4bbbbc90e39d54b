/**
 * Fidelity: the official `@sogni-ai/sogni-client` 5.54.0 drives durable workflows on the emulator —
 * `workflows.start`, `streamEvents` (to the terminal frame, through a real mid-stream TCP cut and a resume
 * with `lastEventId`), `get`, `events` and `cancel` — and downloads the real PNG and MP4 it produced.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { bytes, emulatorTest, http, mp4Info, officialClient, pngInfo } from "./helpers.js"

interface Frame {
  readonly id?: string
  readonly event: string
  readonly data: unknown
}

const statusOf = (frame: Frame) =>
  typeof frame.data === "object" && frame.data !== null ? (frame.data as { status?: unknown }).status : undefined

const plan = {
  title: "Still to clip",
  steps: [
    { id: "still", toolName: "generate_image" as const, arguments: { prompt: "a lighthouse at dawn", aspectRatio: "16:9" } },
    {
      id: "clip",
      toolName: "animate_photo" as const,
      arguments: { prompt: "slow push-in", videoModel: "wan22", duration: 2 },
      dependsOn: [{
        sourceStepId: "still",
        targetArgument: "sourceImageIndex",
        transform: "image_index" as const,
        mediaType: "image" as const,
        sourceArtifactIndex: 0,
        required: true
      }]
    }
  ]
}

/** Reads an SDK event iterator to its end, collecting frames; a thrown read error is returned, not raised. */
const drain = (iterator: AsyncIterable<Frame>, frames: Array<Frame>) =>
  Effect.promise(async () => {
    try {
      for await (const frame of iterator) frames.push(frame)
      return undefined
    } catch (error) {
      return error
    }
  })

describe("official client: durable workflows", () => {
  emulatorTest("start, stream through a dropped connection, resume with lastEventId, get and events", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-workflows")
      const started = yield* Effect.promise(() =>
        client.workflows.start({ input: plan, tokenType: "spark", confirmCost: true, idempotencyKey: "official-1" })
      )
      assert.strictEqual(started.status, "queued")
      const again = yield* Effect.promise(() =>
        client.workflows.start({ input: plan, tokenType: "spark", confirmCost: true, idempotencyKey: "official-1" })
      )
      assert.strictEqual(again.workflowId, started.workflowId)

      // cut the first connection after ~700 bytes: the SDK's iterator throws mid-stream
      yield* emulator.control.dropEventStreams({
        afterBytes: [700],
        pathPrefix: `/v1/creative-agent/workflows/${started.workflowId}`
      })
      const first: Array<Frame> = []
      const error = yield* drain(client.workflows.streamEvents(started.workflowId) as AsyncIterable<Frame>, first)
      assert.isDefined(error, "the dropped connection surfaces as an error in the SDK")
      const delivered = first.filter((f) => f.id !== undefined)
      assert.isAbove(delivered.length, 0)
      const lastEventId = delivered.at(-1)!.id!

      const second: Array<Frame> = []
      const resumedError = yield* drain(
        client.workflows.streamEvents(started.workflowId, { lastEventId }) as AsyncIterable<Frame>,
        second
      )
      assert.isUndefined(resumedError)
      const all = [...delivered, ...second.filter((f) => f.id !== undefined)]
      assert.deepStrictEqual(all.map((f) => f.id), all.map((_, i) => String(i + 1)), "no gap, no duplicate")
      assert.strictEqual(statusOf(all.at(-1)!), "completed")
      assert.strictEqual(all.at(-1)!.event, "workflow_completed")
      // heartbeats reach the SDK as data-less frames; they carry no id
      assert.isTrue([...first, ...second].some((f) => f.id === undefined && f.data === null))

      const record = yield* Effect.promise(() => client.workflows.get(started.workflowId))
      assert.strictEqual(record.status, "completed")
      const events = yield* Effect.promise(() => client.workflows.events(started.workflowId))
      assert.strictEqual(events.length, all.length)
      const artifacts = record.artifacts as Array<{ url: string; kind: string }>
      const png = yield* bytes(yield* http(artifacts.find((a) => a.kind === "image")!.url))
      assert.isTrue(pngInfo(png).isPng)
      const mp4 = yield* bytes(yield* http(artifacts.find((a) => a.kind === "video")!.url))
      assert.isAbove(mp4Info(mp4).sampleCount, 16)
      const listed = yield* Effect.promise(() => client.workflows.list({ limit: 5 }))
      assert.include(listed.map((w) => w.workflowId), started.workflowId)
    }), { speed: 4 }, 60_000)

  emulatorTest("cancel: the stream ends on the cancelled frame and get shows cancelled", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-workflows-cancel")
      const started = yield* Effect.promise(() =>
        client.workflows.start({
          input: {
            title: "to cancel",
            steps: [
              { id: "slow", toolName: "generate_image", arguments: { prompt: "[[slow]] a slow render" } },
              { id: "next", toolName: "generate_image", arguments: { prompt: "never" } }
            ]
          }
        })
      )
      const frames: Array<Frame> = []
      const reading = yield* Effect.fork(
        Effect.promise(async () => {
          for await (const frame of client.workflows.streamEvents(started.workflowId) as AsyncIterable<Frame>) {
            frames.push(frame)
          }
        })
      )
      while (!frames.some((f) => f.event === "step_started")) yield* Effect.sleep("20 millis")
      const cancelled = yield* Effect.promise(() => client.workflows.cancel(started.workflowId))
      assert.strictEqual(cancelled.status, "cancelled")
      yield* reading.await
      const last = frames.filter((f) => f.id !== undefined).at(-1)!
      assert.strictEqual(last.event, "workflow_cancelled")
      assert.strictEqual(statusOf(last), "cancelled")
      const record = yield* Effect.promise(() => client.workflows.get(started.workflowId))
      assert.strictEqual(record.status, "cancelled")
      const missing = yield* Effect.promise(() => client.workflows.get("wf_nope").then(() => undefined, (e: unknown) => e))
      assert.strictEqual((missing as { status?: number }).status, 404)
    }), { speed: 4 }, 60_000)

  emulatorTest("resume after waiting_for_user, reseed, templates and replay records through the official client", () =>
    Effect.gen(function*() {
      const client = yield* officialClient("official-workflows-more")
      const asked = yield* Effect.promise(() =>
        client.workflows.start({
          input: {
            title: "ask first",
            steps: [
              { id: "ask", toolName: "ask_clarifying_question", arguments: { question: "Which colour?" } },
              { id: "img", toolName: "generate_image", arguments: { prompt: "a blue boat", seed: 5 } }
            ]
          }
        })
      )
      const frames: Array<Frame> = []
      const reading = yield* Effect.fork(
        Effect.promise(async () => {
          for await (const frame of client.workflows.streamEvents(asked.workflowId) as AsyncIterable<Frame>) {
            frames.push(frame)
          }
        })
      )
      while (!frames.some((f) => statusOf(f) === "waiting_for_user")) yield* Effect.sleep("20 millis")
      const waiting = yield* Effect.promise(() => client.workflows.get(asked.workflowId))
      assert.strictEqual(waiting.waitingReason, "ask_clarifying_question")
      const resumed = yield* Effect.promise(() => client.workflows.resume(asked.workflowId, { tokenType: "spark" }))
      assert.isTrue(resumed.resumed)
      yield* reading.await
      assert.strictEqual(statusOf(frames.filter((f) => f.id !== undefined).at(-1)!), "completed")

      const take = yield* Effect.promise(() =>
        client.workflows.reseed(asked.workflowId, { seedOverrides: { img: 99 }, idempotencyKey: "official-take" })
      )
      assert.strictEqual(take.reseed.clonedFromRunId, asked.workflowId)
      assert.notStrictEqual(take.workflow.workflowId, asked.workflowId)
      const same = yield* Effect.promise(() =>
        client.workflows.reseed(asked.workflowId, { seedOverrides: { img: 99 }, idempotencyKey: "official-take" })
      )
      assert.isTrue(same.idempotent)
      assert.strictEqual(same.workflow.workflowId, take.workflow.workflowId)
      yield* Effect.promise(() => client.workflows.cancel(take.workflow.workflowId))

      const templates = client.workflows.templates
      const listed = yield* Effect.promise(() => templates.list({ visibility: "public" }))
      assert.include(listed.templates.map((t) => t.id), "tpl_still_to_clip")
      const created = yield* Effect.promise(() =>
        templates.create({ id: "", name: "Poster", version: "1.0.0", description: "a poster" })
      )
      assert.strictEqual(created.name, "Poster")
      const updated = yield* Effect.promise(() => templates.update(created.id, { description: "a bold poster" }))
      assert.strictEqual(updated.description, "a bold poster")
      const fork = yield* Effect.promise(() => templates.fork("tpl_still_to_clip", { newName: "Mine" }))
      assert.strictEqual(fork.name, "Mine")
      yield* Effect.promise(() => templates.delete(created.id))
      const own = yield* Effect.promise(() => templates.list({ visibility: "own" }))
      assert.deepStrictEqual(own.templates.map((t) => t.id), [fork.id])

      const written = yield* Effect.promise(() =>
        client.replay.write({ run_id: "official-run", schema_version: 1, user_request: "hello", rounds: [{}, {}] })
      )
      assert.strictEqual(written.runId, "official-run")
      const records = yield* Effect.promise(() => client.replay.list({ limit: 5 }))
      assert.deepStrictEqual(records.records.map((r) => [r.runId, r.rounds]), [["official-run", 2]])
      const got = yield* Effect.promise(() => client.replay.get("official-run"))
      assert.strictEqual(got.record.user_request, "hello")
    }), { speed: 4 }, 60_000)
})
