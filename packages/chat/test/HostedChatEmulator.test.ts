/**
 * HostedChat and ChatRuns against the emulator over real loopback sockets: hosted completions (plain,
 * streamed, with server-side platform tools), direct tool execution, typed errors, and durable runs
 * (create → events → terminal, resume through a proxy that cuts the event stream at random points,
 * cancel, cost confirmation, heartbeats).
 */
import { SogniAuth, SogniConfig, SogniError, SogniRest } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ChatRuns, HostedChat, HostedChatError } from "../src/index.js"
import { makeDropProxy } from "./util/DropProxy.js"

const model = "qwen3.6-35b-a3b-gguf-iq4xs"

const clientsFor = (restEndpoint?: string, apiKey?: string) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const ctx = yield* Layer.build(
      Layer.mergeAll(HostedChat.layer, ChatRuns.layer).pipe(
        Layer.provideMerge(SogniRest.layerFetch),
        Layer.provideMerge(SogniConfig.layer({
          appId: "hosted-chat-tests",
          apiKey: Redacted.make(apiKey ?? emulator.apiKey),
          restEndpoint: restEndpoint ?? emulator.url,
          socketEndpoint: emulator.wsUrl,
          restRetryBase: "10 millis",
          restRetryCap: "40 millis"
        }))
      )
    )
    return {
      hosted: Context.get(ctx, HostedChat.HostedChat),
      runs: Context.get(ctx, ChatRuns.ChatRuns),
      auth: Context.get(ctx, SogniAuth.SogniAuth),
      emulator
    }
  })

const live = (
  name: string,
  body: () => Effect.Effect<void, unknown, Emulator.Emulator | Scope.Scope>,
  speed = 20,
  timeout?: number
) => it.scopedLive(name, () => Effect.scoped(body()).pipe(Effect.provide(Emulator.layer({ port: 0, speed }))), timeout)

const download = (url: string) => Effect.promise(() => fetch(url).then(async (r) => new Uint8Array(await r.arrayBuffer())))
const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47

describe("HostedChat", () => {
  live("complete returns the typed completion; stream yields the same text as chunks ending in Finish", () =>
    Effect.gen(function*() {
      const { hosted } = yield* clientsFor()
      const request: HostedChat.HostedChatRequest = {
        model,
        messages: [{ role: "user", content: "Write one short caption" }],
        sogniTools: false,
        maxTokens: 200
      }
      const completion = yield* hosted.complete(request)
      assert.match(completion.text, /^You said: "Write one short caption"\./)
      assert.strictEqual(completion.finishReason, "stop")
      assert.strictEqual(completion.role, "assistant")
      assert.match(completion.id, /^chatcmpl-/)
      assert.isAbove(completion.usage.completion_tokens, 0)
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      const text = chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")
      assert.strictEqual(text, completion.text)
      const finish = chunks[chunks.length - 1]!
      assert.strictEqual(finish._tag, "Finish")
      if (finish._tag === "Finish") {
        assert.strictEqual(finish.finishReason, "stop")
        assert.strictEqual(finish.usage.completion_tokens, completion.usage.completion_tokens)
      }
      assert.isTrue(chunks.some((c) => c._tag === "Usage"))
    }))

  live("thinking output is split into reasoning, on both paths", () =>
    Effect.gen(function*() {
      const { hosted } = yield* clientsFor()
      const request: HostedChat.HostedChatRequest = { model, messages: [{ role: "user", content: "think first" }], sogniTools: false, think: true }
      const completion = yield* hosted.complete(request)
      assert.include(completion.reasoning, "think first")
      assert.notInclude(completion.text, "<think>")
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      assert.strictEqual(chunks.flatMap((c) => (c._tag === "ReasoningDelta" ? [c.text] : [])).join(""), completion.reasoning)
      assert.strictEqual(chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join(""), completion.text)
    }))

  live("a platform-tool turn runs server side: generate_image returns a real PNG and the model answers from it", () =>
    Effect.gen(function*() {
      const { hosted } = yield* clientsFor()
      const request: HostedChat.HostedChatRequest = {
        model,
        messages: [{ role: "user", content: "Please generate_image of \"a red fox in snow\"" }],
        sogniTools: "creative-tools",
        sogniToolExecution: true
      }
      const completion = yield* hosted.complete(request)
      assert.strictEqual(completion.toolResults.length, 1)
      const executed = completion.toolResults[0]! as { name: string; status: string; result: { urls: string[]; indices: number[] } }
      assert.strictEqual(executed.name, "generate_image")
      assert.strictEqual(executed.status, "ok")
      assert.deepStrictEqual(executed.result.indices, [0])
      assert.isTrue(isPng(yield* download(executed.result.urls[0]!)))
      assert.include(completion.text, executed.result.urls[0]!)
      assert.deepStrictEqual(completion.toolCalls, [])
      // streamed: the executed tool arrives as a SogniToolResult before the answer
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      const resultAt = chunks.findIndex((c) => c._tag === "SogniToolResult")
      const textAt = chunks.findIndex((c) => c._tag === "TextDelta")
      assert.isAtLeast(resultAt, 0)
      assert.isAbove(textAt, resultAt)
    }))

  live("interrupting a hosted stream closes the request and the server cancels the tool's render", () =>
    Effect.gen(function*() {
      const { emulator, hosted } = yield* clientsFor()
      const consumer = yield* Effect.fork(Stream.runDrain(hosted.stream({
        model,
        messages: [{ role: "user", content: "generate_video \"waves at night\"" }],
        sogniToolExecution: true
      })))
      let projects: ReadonlyArray<{ readonly status: string }> = []
      for (let i = 0; i < 200 && projects.length === 0; i++) {
        yield* Effect.sleep("10 millis")
        projects = yield* emulator.control.listProjects()
      }
      assert.strictEqual(projects.length, 1)
      yield* Fiber.interrupt(consumer)
      for (let i = 0; i < 200 && projects[0]!.status !== "cancelled"; i++) {
        yield* Effect.sleep("10 millis")
        projects = yield* emulator.control.listProjects()
      }
      assert.strictEqual(projects[0]!.status, "cancelled")
    }), 1)

  live("without execution the platform tool call comes back as toolCalls / ToolCallDeltas", () =>
    Effect.gen(function*() {
      const { hosted } = yield* clientsFor()
      const request: HostedChat.HostedChatRequest = {
        model,
        messages: [{ role: "user", content: "compose_script for \"a tea brand\"" }],
        sogniTools: "creative-tools"
      }
      const completion = yield* hosted.complete(request)
      assert.strictEqual(completion.finishReason, "tool_calls")
      assert.strictEqual(completion.toolCalls[0]!.function.name, "compose_script")
      assert.deepStrictEqual(JSON.parse(completion.toolCalls[0]!.function.arguments), { brief: "a tea brand" })
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(hosted.stream(request)))
      const finish = chunks.find((c) => c._tag === "Finish")
      assert.strictEqual(finish?._tag === "Finish" ? finish.toolCalls[0]!.function.name : undefined, "compose_script")
      assert.isTrue(chunks.some((c) => c._tag === "ToolCallDelta" && c.name === "compose_script"))
    }))

  live("executeTool runs a direct tool; bad arguments are a typed 400", () =>
    Effect.gen(function*() {
      const { hosted } = yield* clientsFor()
      const executed = yield* hosted.executeTool("compose_lyrics", { prompt: "rainy city at night" })
      assert.strictEqual(executed.tool, "compose_lyrics")
      assert.include(String(executed.result.lyrics), "rainy city")
      assert.strictEqual(executed.message, null)
      const refused = yield* Effect.flip(hosted.executeTool("compose_lyrics", { duration_seconds: 5000 }))
      assert.strictEqual(refused._tag, "PlatformToolArgumentError")
      if (refused._tag === "PlatformToolArgumentError") {
        assert.deepStrictEqual(refused.issues.map((i) => [i.field, i.rule]).sort(), [["duration_seconds", "maximum"], ["prompt", "required"]])
        assert.include(refused.message, "Missing required argument \"prompt\"")
      }
      // valid arguments of a tool the endpoint does not run directly: the server's typed 400
      const notDirect = yield* Effect.flip(hosted.executeTool("generate_image", { prompt: "a fox" }))
      assert.isTrue(notDirect._tag === "SogniApiError" && notDirect.status === 400)
      assert.include(notDirect.message, "cannot be executed directly")
      const local = yield* Effect.flip(hosted.executeTool("", {}))
      assert.strictEqual(local._tag, "SogniInvalidRequest")
    }))

  live("typed errors: OpenAI envelope, flat body, generic envelope, local validation, 401", () =>
    Effect.gen(function*() {
      const { emulator, hosted } = yield* clientsFor()
      const unknown = yield* Effect.flip(hosted.complete({ model: "nope", messages: [{ role: "user", content: "x" }] }))
      assert.instanceOf(unknown, HostedChatError.SogniHostedChatError)
      if (unknown._tag === "SogniHostedChatError") {
        assert.strictEqual(unknown.status, 404)
        assert.strictEqual(unknown.error, "model_unavailable")
        assert.isFalse(unknown.isRetryable)
      }
      const failed = yield* Effect.flip(hosted.complete({ model, messages: [{ role: "user", content: "[[fail]] x" }] }))
      assert.isTrue(failed._tag === "SogniHostedChatError" && failed.status === 502 && failed.isRetryable)
      const local = yield* Effect.flip(hosted.complete({ model, messages: [{ role: "user", content: "x" }], maxTokens: 0 }))
      assert.isTrue(local._tag === "SogniInvalidRequest" && local.field === "maxTokens" && local.rule === "minimum")
      const streamFailure = yield* Effect.flip(Stream.runDrain(hosted.stream({ model, messages: [{ role: "user", content: "[[fail]]" }] })))
      assert.strictEqual(streamFailure._tag, "SogniHostedChatError")
      yield* emulator.control.setBalance({ tokenType: "spark", amount: 0 })
      const broke = yield* Effect.flip(hosted.complete({ model, messages: [{ role: "user", content: "x" }], tokenType: "spark" }))
      assert.isTrue(broke._tag === "SogniHostedChatError" && broke.error === "insufficient_balance" && broke.errorCode === "4024")
      const stranger = yield* clientsFor(undefined, "not-a-key")
      const denied = yield* Effect.flip(stranger.hosted.complete({ model, messages: [{ role: "user", content: "x" }] }))
      assert.instanceOf(denied, SogniError.SogniAuthenticationError)
    }))
})

describe("shared REST policy", () => {
  live("GETs (the event stream too) retry 503s under core's policy, POSTs do not; a 401 clears the credential for hosted chat but not for runs", () =>
    Effect.gen(function*() {
      const { auth, emulator, hosted, runs } = yield* clientsFor()
      const { run } = yield* runs.create({ messages: [{ role: "user", content: "hi" }] })
      yield* emulator.control.failRest({ count: 2, status: 503, pathPrefix: "/v1/chat/runs/", retryAfterSeconds: 0 })
      assert.strictEqual((yield* runs.get(run.runId)).runId, run.runId)
      yield* emulator.control.failRest({ count: 3, status: 503, pathPrefix: `/v1/chat/runs/${run.runId}/events/stream`, retryAfterSeconds: 0 })
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(runs.events(run.runId)))
      assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1))
      assert.strictEqual(events[events.length - 1]!.type, "run_completed")
      yield* emulator.control.failRest({ count: 1, status: 503, pathPrefix: "/v1/chat/completions", retryAfterSeconds: 7 })
      const busy = yield* Effect.flip(hosted.complete({ model, messages: [{ role: "user", content: "x" }] }))
      assert.isTrue(busy._tag === "SogniApiError" && busy.status === 503 && busy.retryAfterMillis === 7000)
      yield* emulator.control.failRest({ count: 1, status: 401, pathPrefix: "/v1/chat/runs/" })
      const refusedRun = yield* Effect.flip(runs.get(run.runId))
      assert.strictEqual(refusedRun._tag, "SogniAuthenticationError")
      assert.strictEqual((yield* auth.state)._tag, "ApiKey")
      yield* emulator.control.failRest({ count: 1, status: 401, pathPrefix: "/v1/chat/completions" })
      const refusedChat = yield* Effect.flip(hosted.complete({ model, messages: [{ role: "user", content: "x" }] }))
      assert.strictEqual(refusedChat._tag, "SogniAuthenticationError")
      assert.strictEqual((yield* auth.state)._tag, "Unauthenticated")
    }))
})

describe("ChatRuns", () => {
  live("create → events → terminal, equal to the record's events; replay from lastEventId", () =>
    Effect.gen(function*() {
      const { runs } = yield* clientsFor()
      const { idempotent, run } = yield* runs.create({
        messages: [{ role: "user", content: "hello runs" }],
        sessionId: "s-1",
        clientMessageId: "m-1",
        idempotencyKey: "m-1"
      })
      assert.isFalse(idempotent)
      assert.strictEqual(run.status, "queued")
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(runs.events(run.runId)))
      assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1))
      assert.strictEqual(events[events.length - 1]!.type, "run_completed")
      const record = yield* runs.get(run.runId)
      assert.strictEqual(record.status, "completed")
      assert.deepStrictEqual(record.events, events)
      const tail = Chunk.toReadonlyArray(yield* Stream.runCollect(runs.events(run.runId, { lastEventId: 5 })))
      assert.deepStrictEqual(tail, events.slice(5))
      const again = yield* runs.create({ messages: [{ role: "user", content: "other" }], idempotencyKey: "m-1" })
      assert.isTrue(again.idempotent)
      assert.strictEqual(again.run.runId, run.runId)
    }))

  live("an event stream cut at random points several times resumes with no lost or duplicated event", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const proxy = yield* makeDropProxy(emulator.port, { drops: 6, seed: 20261122, minBytes: 150, maxBytes: 2500 })
      const { runs } = yield* clientsFor(proxy.url)
      const { run } = yield* runs.create({ messages: [{ role: "user", content: "[[long]] tell me everything" }] })
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(runs.events(run.runId)))
      assert.strictEqual(proxy.cuts(), 6)
      assert.isAtLeast(proxy.streams(), 7)
      assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1))
      const record = yield* runs.get(run.runId)
      assert.deepStrictEqual(events, record.events)
      assert.strictEqual(events[events.length - 1]!.type, "run_completed")
      assert.isAbove(events.length, 60)
    }), 20, 60_000)

  live("the reconnect budget counts drops in a row without any frame: 6 drops with maxReconnects 1 still complete", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const proxy = yield* makeDropProxy(emulator.port, { drops: 6, seed: 7, minBytes: 600, maxBytes: 2500 })
      const { runs } = yield* clientsFor(proxy.url)
      const { run } = yield* runs.create({ messages: [{ role: "user", content: "[[long]] tell me everything" }] })
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(runs.events(run.runId, { maxReconnects: 1 })))
      assert.strictEqual(proxy.cuts(), 6)
      assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1))
      assert.strictEqual(events[events.length - 1]!.type, "run_completed")
    }), 20, 60_000)

  live("cancel ends the live stream with run_cancelled; cancelling again is a typed 409", () =>
    Effect.gen(function*() {
      const { runs } = yield* clientsFor()
      const { run } = yield* runs.create({ messages: [{ role: "user", content: "[[slow]] [[long]] a long story" }] })
      const consumer = yield* Effect.fork(Stream.runCollect(runs.events(run.runId)))
      yield* Effect.sleep("150 millis")
      const cancelled = yield* runs.cancel(run.runId, "changed my mind")
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual(cancelled.cancellationReason, "changed my mind")
      const events = Chunk.toReadonlyArray(yield* Fiber.join(consumer))
      assert.strictEqual(events[events.length - 1]!.type, "run_cancelled")
      const again = yield* Effect.flip(runs.cancel(run.runId))
      assert.isTrue(again._tag === "SogniApiError" && again.status === 409 && again.reason === "Conflict")
      const missing = yield* Effect.flip(runs.get("run_missing"))
      assert.isTrue(missing._tag === "SogniApiError" && missing.status === 404)
      const missingStream = yield* Effect.flip(Stream.runDrain(runs.events("run_missing")))
      assert.isTrue(missingStream._tag === "SogniApiError" && missingStream.status === 404)
    }), 2)

  live("a cost-approval pause: confirm with the record's preview, the stream resumes to completion with an artifact", () =>
    Effect.gen(function*() {
      const { runs } = yield* clientsFor()
      const { run } = yield* runs.create({
        messages: [{ role: "user", content: "generate_image \"a paper boat\"" }],
        runtimeConfig: { qualityTier: "fast", requireJobConfirmation: true }
      })
      const untilWaiting = Chunk.toReadonlyArray(
        yield* Stream.runCollect(runs.events(run.runId).pipe(Stream.takeUntil((e) => e.type === "run_waiting_for_user")))
      )
      const paused = yield* runs.get(run.runId)
      assert.strictEqual(paused.status, "waiting_for_user")
      const details = paused.waiting!.details!
      const local = yield* Effect.flip(runs.confirmCost(run.runId, { toolCallId: details.toolCallId!, decision: "confirm" }))
      assert.isTrue(local._tag === "SogniInvalidRequest" && local.field === "acceptedCostPreview")
      const stale = yield* Effect.flip(runs.confirmCost(run.runId, {
        toolCallId: details.toolCallId!,
        decision: "confirm",
        acceptedCostPreview: { ...details.costApprovalPreview!, totalEstimatedCapacityUnits: 0.001 }
      }))
      assert.isTrue(stale._tag === "SogniApiError" && stale.status === 409)
      yield* runs.confirmCost(run.runId, {
        toolCallId: details.toolCallId!,
        decision: "confirm",
        acceptedCostPreview: details.costApprovalPreview!,
        idempotencyKey: `confirm-${details.toolCallId}`
      })
      const rest = Chunk.toReadonlyArray(
        yield* Stream.runCollect(runs.events(run.runId, { lastEventId: untilWaiting[untilWaiting.length - 1]!.sequence }))
      )
      assert.strictEqual(rest[rest.length - 1]!.type, "run_completed")
      const artifact = rest.find((e) => e.type === "artifact_created")!.payload as { url: string }
      assert.isTrue(isPng(yield* download(artifact.url)))
      const done = yield* runs.get(run.runId)
      assert.deepStrictEqual(done.mediaContext.images, [artifact.url])
      assert.deepStrictEqual(done.events, [...untilWaiting, ...rest])
    }))

  live("heartbeats keep a waiting run's stream open without events; media data URIs are refused locally", () =>
    Effect.gen(function*() {
      const { runs } = yield* clientsFor()
      const { run } = yield* runs.create({ messages: [{ role: "user", content: "ask_clarifying_question please" }] })
      // idle timeout shorter than the gap between events but longer than the heartbeat period (100 ms at speed 20)
      const consumer = yield* Effect.fork(Stream.runCollect(runs.events(run.runId, { idleTimeout: "400 millis", maxReconnects: 0 })))
      yield* Effect.sleep("1200 millis")
      yield* runs.cancel(run.runId)
      const events = Chunk.toReadonlyArray(yield* Fiber.join(consumer))
      const types = events.map((e) => e.type)
      assert.include(types, "run_waiting_for_user")
      assert.strictEqual(types[types.length - 1], "run_cancelled")
      const refused = yield* Effect.flip(runs.create({
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }],
        mediaReferences: [{ url: "ftp://x", type: "image" }]
      }))
      assert.isTrue(refused._tag === "SogniInvalidRequest" && refused.rule === "http-url")
      assert.include(refused.message, "messages[0].content[0].image_url.url, mediaReferences[0].url")
    }))
})
