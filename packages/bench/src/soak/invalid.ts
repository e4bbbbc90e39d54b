/**
 * Invalid inputs: each must fail with a typed error before any work frame (`jobRequest`,
 * `llmJobRequest`) or writing request (POST/PUT/PATCH/DELETE) reaches the server. The SDK talks to the
 * emulator through a counting proxy ({@link startTap}); a row passes when the error is typed and both
 * counts stayed put.
 */
import { Chat, type ChatRequest } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { Media, Projects } from "@effect-sogni/media"
import type * as MediaParams from "@effect-sogni/media/Params"
import { WorkflowPlan, Workflows } from "@effect-sogni/workflows"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { SogniClient } from "../../../client/src/index.js"
import type { Check, Row, ScenarioReport } from "./report.js"
import { startTap } from "./tap.js"

const CASE_TIMEOUT_MS = 15_000

const image = {
  type: "image" as const,
  modelId: "flux1-schnell-fp8",
  positivePrompt: "a lighthouse",
  steps: 2,
  guidance: 1,
  numberOfMedia: 1,
  tokenType: "spark" as const,
  network: "fast" as const
}
const model = "qwen3.6-35b-a3b-gguf-iq4xs"
const huge = "x".repeat(10 * 1024 * 1024)
const cyclic: Record<string, unknown> = { prompt: "x" }
cyclic["self"] = cyclic

interface Outcome {
  readonly result: string
  readonly typed: boolean
}

/** Runs one case with a deadline; a thrown or died case is not typed. */
const settle = (attempt: () => Promise<unknown>): Promise<Outcome> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ result: "hung", typed: false }), CASE_TIMEOUT_MS)))
  const run = (async () => {
    try {
      await attempt()
      return { result: "accepted (no error)", typed: false }
    } catch (error) {
      const e = error as { _tag?: string; name?: string; field?: string; rule?: string; message?: string }
      if (typeof e?._tag === "string") {
        const typed = !e._tag.startsWith("Die") && e._tag !== "UnknownException"
        return { result: `${e._tag}${e.field !== undefined ? ` ${e.field}/${e.rule}` : ""}`, typed }
      }
      const name = e?.name ?? "Error"
      const typed = name !== "TypeError" && name !== "RangeError" && name !== "Error"
      return { result: `${name}: ${String(e?.message ?? error).slice(0, 60)}`, typed }
    }
  })()
  return Promise.race([run, hung]).finally(() => clearTimeout(timer))
}

/** An Effect case: its failure is the error; a defect (a crash inside the SDK) is reported as `Die`. */
const effectCase = <A, E>(effect: Effect.Effect<A, E>) => async () => {
  const exit = await Effect.runPromiseExit(Effect.suspend(() => effect))
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") throw failure.value
  throw { _tag: `Die (${Cause.pretty(exit.cause).split("\n")[0]!.slice(0, 60)})` }
}

export const invalidScenario: Effect.Effect<ScenarioReport> = Effect.scoped(Effect.gen(function*() {
  const emulator = yield* Emulator.make({ port: 0, speed: 10 })
  const tap = yield* Effect.acquireRelease(Effect.promise(() => startTap(emulator.url)), (t) => Effect.promise(() => t.close()))
  const settings = {
    appId: "soak-invalid",
    apiKey: Redacted.make(emulator.apiKey),
    restEndpoint: tap.url,
    socketEndpoint: tap.wsUrl,
    network: "fast" as const
  }
  const ctx = yield* Layer.build(
    Layer.mergeAll(Chat.layer(), Workflows.layer()).pipe(Layer.provideMerge(Media.layer(settings)))
  )
  const projects = Context.get(ctx, Projects.Projects)
  const chat = Context.get(ctx, Chat.Chat)
  const workflows = Context.get(ctx, Workflows.Workflows)
  const sogni = yield* Effect.acquireRelease(
    Effect.promise(() =>
      SogniClient.createInstance({
        appId: "soak-invalid-adapter",
        network: "fast",
        logLevel: "error",
        apiKey: emulator.apiKey,
        restEndpoint: tap.url,
        socketEndpoint: tap.wsUrl
      })
    ),
    (c) => Effect.promise(() => Promise.race([c.dispose(), new Promise((r) => setTimeout(r, 5_000))]))
  )
  // warm both: connected and the catalogs known, so a refusal is not a connection artefact
  yield* Effect.orDie(projects.run(image))
  yield* Effect.promise(() => sogni.projects.waitForModels())

  const asParams = (p: unknown) => p as MediaParams.ProjectParams
  const asChat = (r: unknown) => r as ChatRequest.ChatRequest
  const cases: ReadonlyArray<readonly [string, string, () => Promise<unknown>]> = [
    ["media", "numberOfMedia 17", effectCase(projects.run({ ...image, numberOfMedia: 17 }))],
    ["media", "numberOfMedia 1e9", effectCase(projects.run({ ...image, numberOfMedia: 1e9 }))],
    ["media", "unknown sizePreset", effectCase(projects.run(asParams({ ...image, sizePreset: "no-such-preset" })))],
    ["media", "10 MB prompt", effectCase(projects.run({ ...image, positivePrompt: huge }))],
    ["media", "parameter named toString", effectCase(projects.run(asParams({ ...image, toString: 1 })))],
    ["media", "parameter named __proto__", effectCase(projects.run(asParams(JSON.parse(`{"type":"image","modelId":"flux1-schnell-fp8","positivePrompt":"x","__proto__":{"a":1}}`))))],
    ["media", "null parameters", effectCase(projects.run(asParams(null)))],
    ["media", "unknown model", effectCase(projects.run({ ...image, modelId: "no-such-model" }))],
    ["chat", "null request", effectCase(chat.complete(asChat(null)))],
    ["chat", "messages: \"hi\"", effectCase(chat.complete(asChat({ model, messages: "hi" })))],
    ["chat", "10 MB prompt", effectCase(chat.complete({ model, messages: [{ role: "user", content: huge }] }))],
    ["chat", "unknown model", effectCase(chat.complete({ model: "no-such-llm", messages: [{ role: "user", content: "hi" }] }))],
    ["chat", "temperature 5", effectCase(chat.complete({ model, messages: [{ role: "user", content: "hi" }], temperature: 5 }))],
    ["workflows", "10 MB prompt", effectCase(workflows.start({ input: WorkflowPlan.make().step("i", "generate_image", { prompt: huge }) }))],
    ["workflows", "step tool not allowed", effectCase(workflows.start({ input: { steps: [{ id: "p", toolName: "enhance_prompt", arguments: {} }] } as unknown as WorkflowPlan.Plan }))],
    ["workflows", "arguments refer to themselves", effectCase(workflows.start({ input: { steps: [{ id: "c", toolName: "label_asset", arguments: cyclic }] } as unknown as WorkflowPlan.Plan }))],
    ["workflows", "null plan", effectCase(workflows.start({ input: null as unknown as WorkflowPlan.Plan }))],
    ["adapter", "projects.create(null)", () => sogni.projects.create(null as never)],
    // like the official client, the adapter reports a refused value through the project (its 'error' event
    // and waitForCompletion's rejection), not by throwing from create
    ["adapter", "numberOfMedia 17", () => sogni.projects.create({ ...image, numberOfMedia: 17 }).then((p) => p.waitForCompletion())],
    ["adapter", "10 MB prompt", () => sogni.projects.create({ ...image, positivePrompt: huge }).then((p) => p.waitForCompletion())],
    ["adapter", "chat messages: \"hi\"", () => sogni.chat.completions.create({ model, messages: "hi" } as never)]
  ]

  const rows: Array<Row> = []
  let passed = 0
  for (const [surface, input, attempt] of cases) {
    const framesBefore = tap.workFrames()
    const writesBefore = tap.writes()
    const outcome = yield* Effect.promise(() => settle(attempt))
    // let anything the call queued reach the proxy before counting
    yield* Effect.sleep("400 millis")
    const sent = tap.workFrames() - framesBefore + (tap.writes() - writesBefore)
    const ok = outcome.typed && sent === 0
    if (ok) passed++
    rows.push([surface, input, outcome.result, sent, ok ? "yes" : "NO"])
  }
  const checks: Array<Check> = [{ name: "typed error before any frame or request", ok: passed === cases.length, detail: `${passed} of ${cases.length}` }]
  return {
    title: "invalid inputs: a typed error before any work frame or writing request",
    header: ["surface", "input", "result", "sent", "pass"],
    rows,
    checks
  }
}))
