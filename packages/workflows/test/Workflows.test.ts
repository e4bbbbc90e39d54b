/**
 * `Workflows` against the emulator over real loopback sockets: start (plan and template), list, get,
 * events, the resumable event stream (also dropped at random byte offsets many times), cancel,
 * partial_failure, failed, waiting_for_user → resume, cost approval and ceiling, the active-workflow cap,
 * reseed, templates CRUD + fork, replay records and local refusals that send nothing.
 */
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as Workflow from "../src/Workflow.js"
import type { WorkflowApiError } from "../src/WorkflowError.js"
import * as WorkflowPlan from "../src/WorkflowPlan.js"
import type * as Workflows from "../src/Workflows.js"
import { download, emulatorTest, isMp4, isPng, workflowsFor } from "./util.js"

const stillToClip = (prompt = "a lighthouse on a basalt cliff at dawn") =>
  WorkflowPlan.make("Still to clip")
    .step("still", "generate_image", { prompt, aspectRatio: "16:9" })
    .step("clip", "animate_photo", { prompt: "slow push-in", videoModel: "wan22", duration: 2 }, {
      dependsOn: [WorkflowPlan.from("still", { into: "sourceImageIndex", transform: "image_index", mediaType: "image" })]
    })

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const ids = (events: ReadonlyArray<Workflow.WorkflowEvent>) => events.map((e) => e.id)

/** Asserts the ids are exactly 1..n in order (every event once, nothing skipped). */
const assertComplete = (events: ReadonlyArray<Workflow.WorkflowEvent>) =>
  assert.deepStrictEqual(ids(events), events.map((_, i) => String(i + 1)))

const apiError = (e: unknown): WorkflowApiError => {
  assert.strictEqual((e as { _tag?: string })._tag, "WorkflowApiError", String(e))
  return e as WorkflowApiError
}

describe("Workflows against the emulator", () => {
  emulatorTest("a two-step plan: image then a video animated from it, streamed live, real PNG and MP4", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const started = yield* workflows.start({ input: stillToClip(), tokenType: "spark", idempotencyKey: "take-1" })
      assert.strictEqual(started.status, "queued")
      assert.strictEqual(started.title, "Still to clip")
      const again = yield* workflows.start({ input: stillToClip(), tokenType: "spark", idempotencyKey: "take-1" })
      assert.strictEqual(again.workflowId, started.workflowId, "the same Idempotency-Key returns the first workflow")

      const events = yield* collect(workflows.streamEvents(started.workflowId))
      assertComplete(events)
      const types = events.map((e) => e.type)
      assert.strictEqual(types[0], "workflow_started")
      assert.strictEqual(types.at(-1), "workflow_completed")
      assert.strictEqual(events.at(-1)!.status, "completed")
      assert.isTrue(events.slice(0, -1).every((e) => e.status === "running"), "only the last event is terminal")
      assert.deepStrictEqual(
        types.filter((t) => t.startsWith("step_")),
        ["step_started", "step_completed", "step_started", "step_completed"]
      )
      const progress = events.filter((e) => e.type === "workflow_progress").map((e) => (e.data as any).progress)
      assert.deepStrictEqual(progress, [0.25, 0.5, 0.75, 0.25, 0.5, 0.75], "each media step reports the same milestones")

      const record = yield* workflows.get(started.workflowId)
      assert.strictEqual(record.status, "completed")
      const history = yield* workflows.events(started.workflowId)
      assert.deepStrictEqual(ids(history), ids(events), "the stream and the history agree")
      const [image, video] = record.artifacts ?? []
      assert.strictEqual(image?.kind, "image")
      assert.strictEqual(image?.stepId, "still")
      assert.strictEqual(video?.kind, "video")
      assert.strictEqual(video?.stepId, "clip")
      const png = yield* download(image!.url!)
      assert.strictEqual(png.status, 200)
      assert.isTrue(isPng(png.bytes))
      const mp4 = yield* download(video!.url!)
      assert.strictEqual(mp4.contentType, "video/mp4")
      assert.isTrue(isMp4(mp4.bytes))
      assert.isAbove(video!.durationSeconds ?? 0, 1.5)

      const page = yield* workflows.list({ limit: 10 })
      assert.deepStrictEqual(page.workflows.map((w) => w.workflowId), [started.workflowId])
      assert.isUndefined(page.next)
      // a late subscriber after the end: nothing after the last id, the stream ends at once
      const late = yield* collect(workflows.streamEvents(started.workflowId, { after: events.at(-1)!.id }))
      assert.deepStrictEqual(late, [])
      // resuming from the middle replays exactly the rest
      const rest = yield* collect(workflows.streamEvents(started.workflowId, { after: "3" }))
      assert.deepStrictEqual(ids(rest), ids(events).slice(3))
    }), {}, 60_000)

  emulatorTest("a stream cut at random byte offsets many times resumes with no lost or duplicated event", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const workflows = yield* workflowsFor({ maxReconnects: 50 })
      let seed = 20261122
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed / 2147483648
      }
      for (let round = 0; round < 3; round++) {
        const plan = WorkflowPlan.make(`drops ${round}`)
          .step("a", "generate_image", { prompt: `[[slow]] harbour at night ${round}` })
          .step("b", "generate_image", { prompt: "harbour at noon", numberOfVariations: 2 })
          .step("c", "analyze_image", { query: "what is in the picture?" }, {
            dependsOn: [WorkflowPlan.from("b", { into: "sourceImageIndex", transform: "image_index", mediaType: "image" })]
          })
          .step("d", "generate_music", { prompt: "harbour bells", duration: 10 })
        const started = yield* workflows.start({ input: plan })
        const budgets = Array.from({ length: 30 }, () => Math.floor(random() * 600))
        const prefix = `/v1/creative-agent/workflows/${started.workflowId}`
        yield* emulator.control.dropEventStreams({ afterBytes: budgets, pathPrefix: prefix })
        const events = yield* collect(workflows.streamEvents(started.workflowId))
        const { pending } = yield* emulator.control.dropEventStreams({ afterBytes: [] })
        assert.isAtLeast(budgets.length - pending, 10, `round ${round}: the stream was cut many times (${pending} cuts left)`)
        yield* emulator.control.clearFaults
        const history = yield* workflows.events(started.workflowId)
        assertComplete(events)
        assert.deepStrictEqual(events, history, `round ${round}: the resumed stream equals the recorded history`)
        assert.strictEqual(events.at(-1)!.status, "completed")
      }
    }), {}, 120_000)

  emulatorTest("cancel stops a running workflow; the stream ends on workflow_cancelled", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const plan = WorkflowPlan.make("to cancel")
        .step("slow", "generate_image", { prompt: "[[slow]] a very slow render", numberOfVariations: 2 })
        .step("never", "generate_image", { prompt: "never rendered" })
      const started = yield* workflows.start({ input: plan })
      const fiber = yield* Effect.fork(collect(workflows.streamEvents(started.workflowId)))
      // wait for the first step to run
      yield* workflows.streamEvents(started.workflowId).pipe(
        Stream.takeUntil((e) => e.type === "step_started"),
        Stream.runDrain
      )
      const cancelled = yield* workflows.cancel(started.workflowId)
      assert.isTrue(cancelled.cancelled)
      assert.strictEqual(cancelled.workflow.status, "cancelled")
      const events = yield* Fiber.join(fiber)
      assertComplete(events)
      assert.strictEqual(events.at(-1)!.type, "workflow_cancelled")
      assert.strictEqual(events.at(-1)!.status, "cancelled")
      const failed = events.find((e) => e.type === "step_failed")
      assert.deepInclude((failed?.data as { error?: unknown }).error as object, { code: "USER_CANCELLED" })
      const record = yield* workflows.get(started.workflowId)
      assert.strictEqual(record.status, "cancelled")
      assert.deepStrictEqual(record.steps?.map((s) => s.status), ["failed", "cancelled"])
      const twice = yield* workflows.cancel(started.workflowId)
      assert.isFalse(twice.cancelled, "cancelling a finished workflow is a no-op")
    }), {}, 60_000)

  emulatorTest("some steps failing ([[fail]] in step arguments) ends in partial_failure; all failing ends in failed", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const mixed = WorkflowPlan.make("mixed")
        .step("ok", "generate_image", { prompt: "a red kite" })
        .step("broken", "generate_image", { prompt: "[[fail]] a broken kite" })
        .step("dependent", "refine_result", { prompt: "sharper" }, {
          dependsOn: [WorkflowPlan.from("broken", { into: "sourceImageIndex", transform: "image_index", mediaType: "image" })]
        })
        .step("music", "generate_music", { prompt: "kite song", duration: 10 })
      const started = yield* workflows.start({ input: mixed })
      const events = yield* collect(workflows.streamEvents(started.workflowId))
      assertComplete(events)
      assert.strictEqual(events.at(-1)!.status, "partial_failure")
      const record = yield* workflows.get(started.workflowId)
      assert.strictEqual(record.status, "partial_failure")
      assert.deepStrictEqual(record.steps?.map((s) => s.status), ["completed", "failed", "failed", "completed"])
      const codes = events.filter((e) => e.type === "step_failed").map((e) => (e.data as any).error.code)
      assert.deepStrictEqual(codes, ["GENERATION_FAILED", "DEPENDENCY_FAILED"])
      assert.deepStrictEqual(record.artifacts?.map((a) => a.kind), ["image", "audio"])

      const allBad = WorkflowPlan.make("all bad").step("x", "analyze_image", { query: "[[fail]] nothing" })
      const bad = yield* workflows.start({ input: allBad })
      const badEvents = yield* collect(workflows.streamEvents(bad.workflowId))
      assert.strictEqual(badEvents.at(-1)!.type, "workflow_failed")
      assert.strictEqual((yield* workflows.get(bad.workflowId)).status, "failed")
    }), {}, 60_000)

  emulatorTest("waiting_for_user: the stream stays open on heartbeats until resume, then completes", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const plan = WorkflowPlan.make("ask first")
        .step("ask", "ask_clarifying_question", { question: "Which colour should the boat be?" })
        .step("boat", "generate_image", { prompt: "a small boat" })
      const started = yield* workflows.start({ input: plan })
      const fiber = yield* Effect.fork(collect(workflows.streamEvents(started.workflowId)))
      const waiting = yield* workflows.streamEvents(started.workflowId).pipe(
        Stream.takeUntil((e) => e.type === "workflow_waiting_for_user"),
        Stream.runLast
      )
      assert.strictEqual(waiting._tag, "Some")
      const record = yield* workflows.get(started.workflowId)
      assert.strictEqual(record.status, "waiting_for_user")
      assert.strictEqual(record.waitingReason, "ask_clarifying_question")
      // a few heartbeat periods pass with the stream open and nothing delivered
      yield* Effect.sleep("2500 millis")
      assert.isNull(fiber.unsafePoll(), "the stream waits while the workflow waits")
      const resumed = yield* workflows.resume(started.workflowId)
      assert.isTrue(resumed.resumed)
      const events = yield* Fiber.join(fiber)
      assertComplete(events)
      assert.strictEqual(events.at(-1)!.status, "completed")
      assert.isTrue(events.some((e) => e.status === "waiting_for_user"))
      const notWaiting = yield* workflows.resume(started.workflowId).pipe(Effect.flip)
      assert.strictEqual(apiError(notWaiting).reason, "Conflict")
    }), {}, 60_000)

  emulatorTest("cost: a ceiling refuses the start; an expensive plan waits for confirm-cost", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const video = WorkflowPlan.make("pricey").step("v", "generate_video", {
        prompt: "a long pan",
        videoModel: "wan22",
        duration: 10,
        numberOfVariations: 4
      })
      const ceiling = yield* workflows.start({ input: video, maxEstimatedCapacityUnits: 5 }).pipe(Effect.flip)
      const refused = apiError(ceiling)
      assert.strictEqual(refused.reason, "CostCeilingExceeded")
      assert.strictEqual(refused.status, 400)
      assert.deepInclude(refused.details as object, { maxEstimatedCapacityUnits: 5 })

      const started = yield* workflows.start({ input: video })
      const waiting = yield* workflows.streamEvents(started.workflowId).pipe(
        Stream.takeUntil((e) => e.status === "waiting_for_user"),
        Stream.runLast
      )
      assert.strictEqual(waiting._tag === "Some" && (waiting.value.data as any).reason, "cost_approval_required")
      const record = yield* workflows.get(started.workflowId)
      assert.isTrue(record.awaitingCostApproval)
      const viaResume = yield* workflows.resume(started.workflowId).pipe(Effect.flip)
      assert.strictEqual(apiError(viaResume).status, 409, "resume is not the way past a cost gate")
      const declined = yield* workflows.confirmCost(started.workflowId, { decision: "cancel" })
      assert.strictEqual(declined.status, "cancelled")
      const events = yield* collect(workflows.streamEvents(started.workflowId))
      assert.strictEqual(events.at(-1)!.type, "workflow_cancelled")

      // four 16-image steps (64 units) wait too; confirming lets them run to completion
      const batch = WorkflowPlan.make("batch")
        .step("a", "generate_image", { prompt: "tile a", numberOfVariations: 16 })
        .step("b", "generate_image", { prompt: "tile b", numberOfVariations: 16 })
        .step("c", "generate_image", { prompt: "tile c", numberOfVariations: 16 })
        .step("d", "generate_image", { prompt: "tile d", numberOfVariations: 16 })
      const gated = yield* workflows.start({ input: batch })
      yield* workflows.streamEvents(gated.workflowId).pipe(
        Stream.takeUntil((e) => e.status === "waiting_for_user"),
        Stream.runDrain
      )
      const stale = yield* workflows.confirmCost(gated.workflowId, {
        decision: "confirm",
        acceptedCostPreview: { estimatedCapacityUnits: 10 }
      }).pipe(Effect.flip)
      assert.strictEqual(apiError(stale).reason, "Conflict", "a stale cost preview is refused")
      const approved = yield* workflows.confirmCost(gated.workflowId, {
        decision: "confirm",
        acceptedCostPreview: { estimatedCapacityUnits: 64 }
      })
      assert.strictEqual(approved.status, "running")
      assert.isFalse(approved.awaitingCostApproval)
      const batchEvents = yield* collect(workflows.streamEvents(gated.workflowId))
      assertComplete(batchEvents)
      assert.strictEqual(batchEvents.at(-1)!.status, "completed")

      const cheapEnough = yield* workflows.start({ input: stillToClip("cost gate"), confirmCost: true })
      const gate = yield* workflows.confirmCost(cheapEnough.workflowId, { decision: "confirm" }).pipe(Effect.flip)
      assert.strictEqual(apiError(gate).status, 409, "nothing to confirm when no approval is pending")
      yield* workflows.cancel(cheapEnough.workflowId)
    }), {}, 60_000)

  emulatorTest("the active-workflow cap answers 409 TooManyActiveWorkflows", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const slow = WorkflowPlan.make("slow").step("s", "analyze_image", { query: "[[slow]] look closely" })
      const running: Array<string> = []
      let refusal: WorkflowApiError | undefined
      for (let i = 0; i < 10 && refusal === undefined; i++) {
        const result = yield* Effect.either(workflows.start({ input: slow }))
        if (Either.isRight(result)) running.push(result.right.workflowId)
        else refusal = apiError(result.left)
      }
      assert.isDefined(refusal)
      assert.strictEqual(refusal!.reason, "TooManyActiveWorkflows")
      assert.deepInclude(refusal!.details as object, { activeWorkflows: running.length })
      yield* Effect.forEach(running, (id) => workflows.cancel(id), { discard: true })
      const after = yield* workflows.start({ input: slow })
      yield* workflows.cancel(after.workflowId)
    }), { speed: 0.05 }, 60_000) // a slow step takes ~19 s here: none ends while the cap fills, however loaded the machine

  emulatorTest("reseed clones a finished run with new seeds; the same key returns the same take", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const plan = WorkflowPlan.make("seeded").step("img", "generate_image", { prompt: "a pear", seed: 7 })
      const first = yield* workflows.start({ input: plan })
      yield* Stream.runDrain(workflows.streamEvents(first.workflowId))
      const take = yield* workflows.reseed(first.workflowId, { seedOverrides: { img: 42 }, idempotencyKey: "take-2" })
      assert.strictEqual(take.clonedFromRunId, first.workflowId)
      assert.notStrictEqual(take.workflow.workflowId, first.workflowId)
      assert.deepStrictEqual(take.steps.map((s) => [s["id"], s["seed"]]), [["img", 42]])
      assert.isFalse(take.idempotent)
      const same = yield* workflows.reseed(first.workflowId, { seedOverrides: { img: 42 }, idempotencyKey: "take-2" })
      assert.isTrue(same.idempotent)
      assert.strictEqual(same.workflow.workflowId, take.workflow.workflowId)
      const events = yield* collect(workflows.streamEvents(take.workflow.workflowId))
      assert.strictEqual(events.at(-1)!.status, "completed")
      const record = yield* workflows.get(take.workflow.workflowId)
      assert.strictEqual(record.steps?.[0]?.seed, 42)
      const unknown = yield* workflows.reseed(first.workflowId, { seedOverrides: { nope: 1 } }).pipe(Effect.flip)
      assert.strictEqual(apiError(unknown).reason, "InvalidRequest")
    }), {}, 60_000)

  emulatorTest("templates: list, create, get, update, fork, run with inputs, delete", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const { templates } = workflows
      const initial = yield* templates.list({ visibility: "public" })
      assert.include(initial.templates.map((t) => t.id), "tpl_still_to_clip")
      const created = yield* templates.create({
        name: "Poster",
        description: "A poster from a subject",
        inputs: [{ name: "subject", type: "text", required: true }],
        stages: [{ type: "fixed", id: "poster", tool: "generate_image", args: { prompt: "$inputs.subject" } }]
      })
      assert.strictEqual(created.name, "Poster")
      assert.strictEqual(created.visibility, "private")
      const fetched = yield* templates.get(created.id)
      assert.deepStrictEqual(fetched.stages, created.stages)
      const updated = yield* templates.update(created.id, { description: "Bold poster", tags: ["print"] })
      assert.strictEqual(updated.description, "Bold poster")
      assert.deepStrictEqual(updated.tags, ["print"])
      const own = yield* templates.list({ visibility: "own" })
      assert.deepStrictEqual(own.templates.map((t) => t.id), [created.id])
      const fork = yield* templates.fork("tpl_still_to_clip", { newName: "My clip" })
      assert.strictEqual(fork.name, "My clip")
      assert.notStrictEqual(fork.id, "tpl_still_to_clip")
      const page = yield* templates.list({ visibility: "own", limit: 1 })
      assert.strictEqual(page.templates.length, 1)
      assert.strictEqual(page.next, 1)

      const run = yield* workflows.start({ templateId: created.id, inputs: { subject: "a jazz night" } })
      const events = yield* collect(workflows.streamEvents(run.workflowId))
      assert.strictEqual(events.at(-1)!.status, "completed")
      const record = yield* workflows.get(run.workflowId)
      assert.strictEqual(record.templateId, created.id)
      assert.strictEqual(record.steps?.[0]?.arguments?.["prompt"], "a jazz night")
      const missing = yield* workflows.start({ templateId: created.id, inputs: {} }).pipe(Effect.flip)
      assert.strictEqual(apiError(missing).reason, "InvalidRequest")

      const foreign = yield* templates.update("tpl_still_to_clip", { name: "mine" }).pipe(Effect.flip)
      assert.strictEqual(apiError(foreign).reason, "Forbidden")
      yield* templates.delete(created.id)
      const gone = yield* templates.get(created.id).pipe(Effect.flip)
      assert.strictEqual(apiError(gone).reason, "NotFound")
      const noName = yield* templates.create({ name: " " }).pipe(Effect.flip)
      assert.strictEqual(noName._tag, "WorkflowInvalidRequest")
    }), {}, 60_000)

  emulatorTest("replay records: write (re-redacted), list, get; bare bodies", () =>
    Effect.gen(function*() {
      const { replay } = yield* workflowsFor()
      const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
      const written = yield* replay.write({
        run_id: "run-1",
        schema_version: 2,
        model_id: "qwen3",
        user_request: "draw a cat",
        rounds: [{ request: `token ${jwt}` }, { response: "ok" }],
        final_response: "done"
      })
      assert.strictEqual(written.runId, "run-1")
      assert.strictEqual(written.schemaVersion, 2)
      assert.isTrue(written.redacted)
      yield* replay.write({ run_id: "run-2", user_request: "draw a dog" })
      const list = yield* replay.list({ limit: 10 })
      assert.sameMembers(list.map((r) => r.runId), ["run-1", "run-2"])
      const one = list.find((r) => r.runId === "run-1")!
      assert.strictEqual(one.rounds, 2)
      assert.strictEqual(one.userRequest, "draw a cat")
      const got = yield* replay.get("run-1")
      assert.notInclude(JSON.stringify(got.record), jwt)
      assert.strictEqual(got.record.model_id, "qwen3")
      const missing = yield* replay.get("nope").pipe(Effect.flip)
      assert.strictEqual(apiError(missing).reason, "NotFound")
      const local = yield* replay.write({ run_id: "" }).pipe(Effect.flip)
      assert.strictEqual(local._tag, "WorkflowInvalidRequest")
    }), {}, 60_000)

  emulatorTest("invalid plans and requests fail locally, naming step and field, and send nothing", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      const tooMany = WorkflowPlan.make().step("img", "generate_image", { prompt: "x", numberOfVariations: 40 })
      const e1 = yield* workflows.start({ input: tooMany }).pipe(Effect.flip)
      assert.deepInclude(e1 as object, { _tag: "WorkflowInvalidRequest", stepId: "img", field: "input.steps[0].arguments.numberOfVariations", rule: "maximum" })
      const noPrompt = WorkflowPlan.make().step("img", "generate_image", {})
      const e2 = yield* workflows.start({ input: noPrompt }).pipe(Effect.flip)
      assert.deepInclude(e2 as object, { stepId: "img", rule: "required" })
      const handWritten: WorkflowPlan.Plan = {
        steps: [{
          id: "clip",
          toolName: "generate_video",
          arguments: { prompt: "x" },
          dependsOn: [{ sourceStepId: "ghost", targetArgument: "referenceImageIndices", transform: "image_index" }]
        }]
      }
      const e3 = yield* workflows.start({ input: handWritten }).pipe(Effect.flip)
      assert.deepInclude(e3 as object, { stepId: "clip", field: "input.steps[0].dependsOn[0].sourceStepId", rule: "unknownStep" })
      const dataUri = yield* workflows.start({
        input: stillToClip(),
        mediaReferences: [{ type: "image", url: "data:image/png;base64,AAAA" }]
      }).pipe(Effect.flip)
      assert.deepInclude(dataUri as object, { field: "mediaReferences[0].url", rule: "httpUrl" })
      const both = yield* workflows.start({ input: stillToClip(), templateId: "tpl_still_to_clip" } as unknown as Workflows.StartRequest)
        .pipe(Effect.flip)
      assert.deepInclude(both as object, { rule: "exactlyOne" })
      const hugePrompt = WorkflowPlan.make().step("img", "generate_image", { prompt: "x".repeat(10 * 1024 * 1024) })
      const e4 = yield* workflows.start({ input: hugePrompt }).pipe(Effect.flip)
      assert.deepInclude(e4 as object, { _tag: "WorkflowInvalidRequest", stepId: "img", field: "input.steps[0].arguments", rule: "maxLength" })
      const page = yield* workflows.list()
      assert.deepStrictEqual(page.workflows, [], "nothing reached the server")
    }), {}, 60_000)

  emulatorTest("$input_media binds an uploaded reference; unknown ids are NotFound; bad keys are 401", () =>
    Effect.gen(function*() {
      const workflows = yield* workflowsFor()
      // a first run's image becomes the media reference of the second
      const first = yield* workflows.start({ input: WorkflowPlan.make().step("p", "generate_image", { prompt: "a teapot" }) })
      yield* Stream.runDrain(workflows.streamEvents(first.workflowId))
      const url = (yield* workflows.get(first.workflowId)).artifacts![0]!.url!
      const plan = WorkflowPlan.make("from upload").step(
        "clip",
        "animate_photo",
        { prompt: "the teapot spins", videoModel: "wan22", duration: 2 },
        { dependsOn: [WorkflowPlan.inputMedia({ into: "sourceImageIndex", transform: "image_index", mediaType: "image" })] }
      )
      const noMedia = yield* workflows.start({ input: plan }).pipe(Effect.flip)
      assert.deepInclude(noMedia as object, { rule: "inputMedia", stepId: "clip" })
      const started = yield* workflows.start({ input: plan, mediaReferences: [{ type: "image", url }] })
      const events = yield* collect(workflows.streamEvents(started.workflowId))
      assert.strictEqual(events.at(-1)!.status, "completed")
      const record = yield* workflows.get(started.workflowId)
      assert.strictEqual(record.artifacts?.[0]?.kind, "video")

      const missing = yield* workflows.get("wf_missing").pipe(Effect.flip)
      assert.strictEqual(apiError(missing).reason, "NotFound")
      const streamMissing = yield* Stream.runDrain(workflows.streamEvents("wf_missing")).pipe(Effect.flip)
      assert.strictEqual(apiError(streamMissing).reason, "NotFound")
      const stranger = yield* workflowsFor({}, "not-a-key")
      const unauthorized = yield* stranger.list().pipe(Effect.flip)
      assert.strictEqual(unauthorized._tag, "SogniAuthenticationError")
    }), {}, 60_000)
})
