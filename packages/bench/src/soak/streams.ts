/**
 * Server-sent-event streams cut mid-body, many times: durable workflow events and durable chat-run
 * events, each compared with the history the server recorded. The emulator's `DropEventStreams` fault
 * destroys the next responses after a random number of body bytes.
 */
import { SogniConfig, SogniRest } from "@effect-sogni/core"
import { ChatRuns } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { WorkflowPlan, Workflows } from "@effect-sogni/workflows"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { type Check, makeRandom, type Row, type ScenarioReport, secondsSince, zero } from "./report.js"

export interface StreamsOptions {
  /** Cuts per stream kind. */
  readonly cuts: number
  readonly seed: number
  readonly speed: number
  /** Bound on one stream (a stream that does not end by then counts as hung). */
  readonly streamTimeout: import("effect/Duration").DurationInput
}

interface Tally {
  streams: number
  cuts: number
  events: number
  missing: number
  duplicated: number
  outOfOrder: number
  hung: number
  failed: number
}

/** Compares what a stream delivered with the recorded history (both as keys in server order). */
const compare = (delivered: ReadonlyArray<string>, history: ReadonlyArray<string>, t: Tally) => {
  const position = new Map(history.map((k, i) => [k, i]))
  const seen = new Set<string>()
  let last = -1
  for (const k of delivered) {
    if (seen.has(k)) t.duplicated++
    seen.add(k)
    const p = position.get(k) ?? -1
    if (p < last) t.outOfOrder++
    last = Math.max(last, p)
  }
  for (const k of history) if (!seen.has(k)) t.missing++
  t.events += delivered.length
}

const empty = (): Tally => ({ streams: 0, cuts: 0, events: 0, missing: 0, duplicated: 0, outOfOrder: 0, hung: 0, failed: 0 })

export const streamsScenario = (options: StreamsOptions): Effect.Effect<ScenarioReport> =>
  Effect.scoped(Effect.gen(function*() {
    const emulator = yield* Emulator.make({ port: 0, speed: options.speed })
    const ctx = yield* Layer.build(
      // The workflow reader's reconnect pacing is set like the REST retry pacing below (which the chat-run
      // reader follows): the soak measures what arrives, not the default 100 ms → 5 s backoff.
      Layer.mergeAll(
        Workflows.layer({ maxReconnects: 1_000, reconnectDelay: "10 millis", maxReconnectDelay: "50 millis" }),
        ChatRuns.layer
      ).pipe(
        Layer.provideMerge(SogniRest.layerFetch),
        Layer.provideMerge(SogniConfig.layer({
          appId: "soak-streams",
          apiKey: Redacted.make(emulator.apiKey),
          restEndpoint: emulator.url,
          socketEndpoint: emulator.wsUrl,
          restRetryBase: "10 millis",
          restRetryCap: "50 millis"
        }))
      )
    )
    const workflows = Context.get(ctx, Workflows.Workflows)
    const runs = Context.get(ctx, ChatRuns.ChatRuns)
    const random = makeRandom(options.seed)
    const budgets = (n: number, max: number) => Array.from({ length: n }, () => Math.floor(random() * max))

    const wf = empty()
    const wfStart = performance.now()
    for (let round = 0; wf.cuts < options.cuts && round < options.cuts; round++) {
      const plan = WorkflowPlan.make(`soak ${round}`)
        .step("a", "generate_image", { prompt: `[[slow]] harbour at night ${round}` })
        .step("b", "generate_image", { prompt: "harbour at noon", numberOfVariations: 2 })
        .step("c", "generate_music", { prompt: "harbour bells", duration: 10 })
      const started = yield* Effect.orDie(workflows.start({ input: plan }))
      const wanted = Math.min(30, options.cuts - wf.cuts)
      yield* emulator.control.dropEventStreams({
        // up to 1,200 bytes: a step_completed frame with two artifacts is about 1 KB, and a cut that is always
        // shorter than the next frame can never deliver it (every later cut of the batch would be a drop
        // without progress)
        afterBytes: budgets(wanted, 1_200),
        pathPrefix: `/v1/creative-agent/workflows/${started.workflowId}`
      })
      const streamed = yield* workflows.streamEvents(started.workflowId).pipe(
        Stream.runCollect,
        Effect.disconnect,
        Effect.timeout(options.streamTimeout),
        Effect.either
      )
      const { pending } = yield* emulator.control.dropEventStreams({ afterBytes: [] })
      yield* emulator.control.clearFaults
      wf.streams++
      wf.cuts += wanted - pending
      if (streamed._tag === "Left") {
        if (streamed.left._tag === "TimeoutException") wf.hung++
        else wf.failed++
        continue
      }
      const history = yield* Effect.orDie(workflows.events(started.workflowId))
      const key = (e: { readonly id?: unknown; readonly sequence?: unknown; readonly type?: unknown }) =>
        `${String(e.id ?? e.sequence)}:${String(e.type)}`
      compare(Chunk.toArray(streamed.right).map(key), history.map(key), wf)
    }
    const wfWall = secondsSince(wfStart)

    const cr = empty()
    const crStart = performance.now()
    for (let round = 0; cr.cuts < options.cuts && round < options.cuts; round++) {
      const { run } = yield* Effect.orDie(runs.create({ messages: [{ role: "user", content: `[[long]] tell me everything ${round}` }] }))
      const wanted = Math.min(30, options.cuts - cr.cuts)
      yield* emulator.control.dropEventStreams({ afterBytes: budgets(wanted, 900), pathPrefix: `/v1/chat/runs/${run.runId}` })
      const streamed = yield* runs.events(run.runId).pipe(
        Stream.runCollect,
        Effect.disconnect,
        Effect.timeout(options.streamTimeout),
        Effect.either
      )
      const { pending } = yield* emulator.control.dropEventStreams({ afterBytes: [] })
      yield* emulator.control.clearFaults
      cr.streams++
      cr.cuts += wanted - pending
      if (streamed._tag === "Left") {
        if (streamed.left._tag === "TimeoutException") cr.hung++
        else cr.failed++
        continue
      }
      const events = Chunk.toArray(streamed.right)
      // the history is the contiguous sequence 1..last: the server numbers every event of a run
      const last = events.reduce((m, e) => Math.max(m, e.sequence), 0)
      compare(events.map((e) => String(e.sequence)), Array.from({ length: last }, (_, i) => String(i + 1)), cr)
    }
    const crWall = secondsSince(crStart)

    const row = (label: string, t: Tally, wall: string): Row => [
      label,
      t.streams,
      t.cuts,
      t.events,
      t.missing,
      t.duplicated,
      t.outOfOrder,
      t.hung,
      t.failed,
      wall
    ]
    const checks: Array<Check> = []
    for (const [label, t] of [["workflow", wf], ["chat run", cr]] as const) {
      checks.push(
        zero(`${label}: missing`, t.missing),
        zero(`${label}: duplicated`, t.duplicated),
        zero(`${label}: out of order`, t.outOfOrder),
        zero(`${label}: streams hung`, t.hung),
        zero(`${label}: streams failed`, t.failed),
        { name: `${label}: cuts made`, ok: t.cuts >= options.cuts, detail: `${t.cuts} of ${options.cuts}` }
      )
    }
    return {
      title: `SSE streams cut mid-body (${options.cuts} cuts per kind)`,
      header: ["stream", "streams", "cuts", "events", "missing", "duplicated", "out of order", "hung", "failed", "wall s"],
      rows: [row("workflow events", wf, wfWall), row("chat-run events", cr, crWall)],
      checks
    }
  }))
