/**
 * Protocol-level tests of the WebSocket host with a raw `ws` client: authentication and close codes,
 * handshake order, project event sequences, cancellation, directives, recovery, subscriptions, network
 * switching, malformed frames and frame faults.
 */
import { Protocol } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Emulator from "../src/Emulator.js"
import { isSubscribed } from "../src/internal/state.js"
import { connect, emulatorTest, imageRequest, sleep } from "./helpers.js"

const projectFrames = (events: ReadonlyArray<Protocol.ServerEvent>, jobID: string) =>
  events.filter((e) => (e.payload as { jobID?: string }).jobID === jobID)

const label = (e: Protocol.ServerEvent) => {
  const p = e.payload as Record<string, unknown>
  return e.type === "jobState" ? `jobState:${p.type}` : e.type
}

describe("WebSocket host", () => {
  describe("authentication", () => {
    emulatorTest("sends authenticated, balanceUpdate, changeNetwork, swarmModels as binary frames", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "handshake-1" })
        const auth = yield* client.next("authenticated")
        yield* client.next("swarmModels")
        assert.deepStrictEqual(client.events().slice(0, 4).map((e) => e.type), [
          "authenticated",
          "balanceUpdate",
          "changeNetwork",
          "swarmModels"
        ])
        assert.isTrue(client.received.every((r) => r.binary))
        assert.strictEqual(auth.username, "pixelfox")
        assert.strictEqual(auth.address, emulator.accounts[0]!.walletAddress)
        assert.strictEqual(auth.clientType, "artist")
        assert.deepStrictEqual(auth.activeProjects, [])
        assert.deepStrictEqual(auth.unclaimedCompletedProjects, [])
        assert.deepStrictEqual(auth.activeLLMJobIDs, [])
        const network = client.events()[2]!
        assert.deepStrictEqual(network.payload, { network: "fast" })
        const models = client.events()[3]!.payload as Record<string, number>
        assert.isAbove(models["flux1-schnell-fp8"]!, 0)
        assert.isAbove(models["ltx23-22b-fp8_t2v_distilled"]!, 0)
      }))

    emulatorTest("accepts Bearer keys and the authorization cookie", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const bearer = yield* connect(emulator, {
          appId: "auth-bearer",
          headers: { authorization: `Bearer ${emulator.apiKey}` }
        })
        yield* bearer.next("authenticated")
        const cookie = yield* connect(emulator, {
          appId: "auth-cookie",
          headers: { cookie: `theme=dark; authorization=${emulator.apiKey}` }
        })
        yield* cookie.next("authenticated")
      }))

    emulatorTest("accepts the upgrade and closes with 4021 on a wrong key", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "bad-key", headers: { "api-key": "not-a-key" } })
        const closed = yield* Effect.promise(() => client.closed)
        assert.isTrue(client.opened(), "the upgrade is accepted, never refused with HTTP 401")
        assert.strictEqual(closed.code, 4021)
        assert.strictEqual(client.received.length, 0)
        const anonymous = yield* connect(emulator, { appId: "no-key", headers: {} })
        assert.strictEqual((yield* Effect.promise(() => anonymous.closed)).code, 4021)
      }))

    emulatorTest("a newer connection with the same appId evicts the older with 4015", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const first = yield* connect(emulator, { appId: "evict-1" })
        yield* first.next("authenticated")
        const second = yield* connect(emulator, { appId: "evict-1" })
        yield* second.next("authenticated")
        const closed = yield* Effect.promise(() => first.closed)
        assert.strictEqual(closed.code, 4015)
        const connections = yield* emulator.control.listConnections
        assert.strictEqual(connections.filter((c) => c.appId === "evict-1").length, 1)
        // The survivor still works.
        second.send("changeNetwork", "relaxed")
        assert.deepStrictEqual(yield* second.next("changeNetwork", (p) => p.network === "relaxed"), {
          network: "relaxed"
        })
      }))
  })

  describe("projects", () => {
    emulatorTest("runs a 2-image project in protocol order and charges the balance", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "project-2img" })
        const initial = yield* client.next("balanceUpdate")
        const request = imageRequest({ prompt: "a lighthouse on a basalt cliff", count: 2, steps: 4 })
        client.send("jobRequest", request)
        yield* client.next("jobState", (p) => p.type === "jobCompleted")
        const settled = yield* client.next("balanceUpdate")
        const frames = projectFrames(client.events(), request.jobID)
        assert.strictEqual(label(frames[0]!), "jobState:queued")
        assert.strictEqual(label(frames[frames.length - 1]!), "jobState:jobCompleted")
        const imgIDs = new Set<string>()
        for (const jobIndex of [0, 1]) {
          const init = frames.find((e) =>
            label(e) === "jobState:initiatingModel" && (e.payload as { jobIndex?: number }).jobIndex === jobIndex
          )!
          const imgID = (init.payload as { imgID: string }).imgID
          imgIDs.add(imgID)
          assert.strictEqual(imgID, imgID.toUpperCase())
          const job = frames.filter((e) => (e.payload as { imgID?: string }).imgID === imgID).map(label)
          assert.deepStrictEqual(job, [
            "jobState:initiatingModel",
            "jobState:jobStarted",
            "jobProgress",
            "jobProgress",
            "jobProgress",
            "jobProgress",
            "jobResult"
          ])
          const started = frames.find((e) =>
            label(e) === "jobState:jobStarted" && (e.payload as { imgID?: string }).imgID === imgID
          )!
          assert.strictEqual((started.payload as { jobIndex?: number }).jobIndex, jobIndex)
          const steps = frames.filter((e) => e.type === "jobProgress" && e.payload.imgID === imgID)
            .map((e) => (e.payload as Protocol.JobProgress).step)
          assert.deepStrictEqual(steps, [1, 2, 3, 4])
          const result = frames.find((e) => e.type === "jobResult" && e.payload.imgID === imgID)!
            .payload as Protocol.JobResult
          assert.strictEqual(typeof result.lastSeed, "string")
          assert.strictEqual(result.outputFormat, "png")
          assert.isUndefined(result.resultUrl)
          assert.strictEqual(result.performedStepCount, 4)
        }
        assert.strictEqual(imgIDs.size, 2)
        // Slot 0 renders with the requested seed.
        const slot0 = frames.find((e) =>
          label(e) === "jobState:initiatingModel" && (e.payload as { jobIndex?: number }).jobIndex === 0
        )!.payload as { imgID: string }
        const slot0Result = frames.find((e) => e.type === "jobResult" && e.payload.imgID === slot0.imgID)!
        assert.strictEqual((slot0Result.payload as Protocol.JobResult).lastSeed, "1234567")
        assert.isBelow(Number(settled.spark.net), Number(initial.spark.net))
        const info = yield* emulator.control.getProject(request.jobID.toLowerCase())
        assert.strictEqual(info.status, "completed")
        assert.deepStrictEqual(info.jobs.map((j) => j.status), ["jobCompleted", "jobCompleted"])
      }))

    emulatorTest("refuses unknown models and insufficient balance with project-level jobError", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "refusals" })
        yield* client.next("authenticated")
        const unknown = imageRequest({ prompt: "x", modelId: "no-such-model" })
        client.send("jobRequest", unknown)
        const e1 = yield* client.next("jobError", (p) => p.jobID === unknown.jobID)
        assert.isUndefined(e1.imgID)
        assert.match(e1.error_message ?? "", /no-such-model/)
        yield* emulator.control.setBalance({ tokenType: "sogni", amount: 0 })
        const poor = imageRequest({ prompt: "x", tokenType: "sogni" })
        client.send("jobRequest", poor)
        const e2 = yield* client.next("jobError", (p) => p.jobID === poor.jobID)
        assert.strictEqual(e2.error, 4024)
        assert.isUndefined(e2.imgID)
        yield* emulator.control.setBalance({ tokenType: "sogni", amount: 500 })
      }))

    emulatorTest("cancels a running project and refuses to cancel a finished or unknown one", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "cancel-1" })
        const request = imageRequest({ prompt: "[[slow]] a slow valley", count: 2 })
        client.send("jobRequest", request)
        yield* client.next("jobState", (p) => p.type === "jobStarted" && p.jobID === request.jobID)
        client.send("jobError", {
          jobID: request.jobID,
          error: "artistCanceled",
          error_message: "artistCanceled",
          isFromWorker: false
        })
        const confirmation = yield* client.next("artistCancelConfirmation")
        assert.deepStrictEqual(confirmation, { jobID: request.jobID, didCancel: true })
        const countAfter = client.received.length
        yield* sleep(500)
        const late = projectFrames(client.events().slice(countAfter), request.jobID)
        assert.deepStrictEqual(late.map(label), [])
        const info = yield* emulator.control.getProject(request.jobID)
        assert.strictEqual(info.status, "cancelled")
        client.send("jobError", {
          jobID: request.jobID,
          error: "artistCanceled",
          error_message: "artistCanceled",
          isFromWorker: false
        })
        const again = yield* client.next("artistCancelConfirmation")
        assert.isFalse(again.didCancel)
        assert.match(again.error_message ?? "", /already finished/)
        const unknownId = Protocol.makeId()
        client.send("jobError", {
          jobID: unknownId,
          error: "artistCanceled",
          error_message: "artistCanceled",
          isFromWorker: false
        })
        const unknown = yield* client.next("artistCancelConfirmation")
        assert.isFalse(unknown.didCancel)
        assert.match(unknown.error_message ?? "", /unknown/)
      }))

    emulatorTest("[[fail]]: every job fails, then the project fails", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "fail-1" })
        const request = imageRequest({ prompt: "[[fail]] doomed", count: 2 })
        client.send("jobRequest", request)
        const projectError = yield* client.next("jobError", (p) => p.jobID === request.jobID && p.imgID === undefined)
        const jobErrors = projectFrames(client.events(), request.jobID).filter((e) =>
          e.type === "jobError" && e.payload.imgID !== undefined
        )
        assert.strictEqual(jobErrors.length, 2)
        assert.isTrue(jobErrors.every((e) => (e.payload as Protocol.JobError).isFromWorker === true))
        assert.strictEqual(projectError.isFromWorker, false)
        assert.isFalse(projectFrames(client.events(), request.jobID).some((e) => e.type === "jobResult"))
        assert.strictEqual((yield* emulator.control.getProject(request.jobID)).status, "errored")
      }))

    emulatorTest("[[retry]]: jobRetry with the old imgID, then a new imgID on the same jobIndex", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "retry-1" })
        const request = imageRequest({ prompt: "[[retry]] persistent", count: 1 })
        client.send("jobRequest", request)
        const first = yield* client.next("jobState", (p) => p.type === "initiatingModel")
        const retry = yield* client.next("jobRetry")
        assert.strictEqual(retry.imgID, (first as { imgID: string }).imgID)
        assert.strictEqual(retry.jobIndex, 0)
        assert.strictEqual(retry.attempt, 1)
        assert.isAbove(retry.maxAttempts, 1)
        const second = yield* client.next("jobState", (p) => p.type === "initiatingModel")
        const secondImg = (second as { imgID: string }).imgID
        assert.notStrictEqual(secondImg, retry.imgID)
        assert.strictEqual((second as { jobIndex: number }).jobIndex, 0)
        const result = yield* client.next("jobResult")
        assert.strictEqual(result.imgID, secondImg)
        yield* client.next("jobState", (p) => p.type === "jobCompleted")
        const info = yield* emulator.control.getProject(request.jobID)
        assert.strictEqual(info.jobs[0]!.attempt, 2)
      }))
  })

  describe("recovery", () => {
    emulatorTest("lists in-flight projects in authenticated.activeProjects after a drop, then continues", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const first = yield* connect(emulator, { appId: "recover-1" })
        const request = imageRequest({ prompt: "[[slow]] long render", count: 2, steps: 4 })
        client_send(first, request)
        yield* first.next("jobProgress", (p) => p.jobID === request.jobID)
        const dropped = yield* emulator.control.dropConnection({ appId: "recover-1", abnormal: true })
        assert.strictEqual(dropped.dropped, 1)
        assert.strictEqual((yield* Effect.promise(() => first.closed)).code, 1006)
        const second = yield* connect(emulator, { appId: "recover-1" })
        const auth = yield* second.next("authenticated")
        assert.strictEqual(auth.activeProjects.length, 1)
        const snapshot = auth.activeProjects[0]!
        assert.strictEqual(snapshot.id, request.jobID)
        assert.strictEqual(snapshot.status, "progress")
        assert.strictEqual(snapshot.appId, "recover-1")
        const jobs = [...(snapshot.workerJobs ?? []), ...(snapshot.completedWorkerJobs ?? [])]
        assert.isAbove(jobs.length, 0)
        for (const job of jobs) {
          assert.strictEqual(job.imgID, job.imgID!.toUpperCase())
          assert.isNumber(job.performedSteps)
        }
        assert.strictEqual(
          JSON.parse(Protocol.textOfBase64(snapshot.clientRequestData!)).jobID,
          request.jobID
        )
        yield* second.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID, 10_000)
        const results = second.events().filter((e) => e.type === "jobResult")
        const known = new Set(jobs.map((j) => j.imgID))
        assert.isTrue(results.every((r) => known.has((r.payload as Protocol.JobResult).imgID)))
      }))

    emulatorTest("delivers projects that finished during the gap once in unclaimedCompletedProjects", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const first = yield* connect(emulator, { appId: "recover-2" })
        const request = imageRequest({ prompt: "quick one", count: 1 })
        client_send(first, request)
        yield* first.next("jobState", (p) => p.type === "initiatingModel")
        yield* emulator.control.dropConnection({ appId: "recover-2", code: 1001 })
        assert.strictEqual((yield* Effect.promise(() => first.closed)).code, 1001)
        for (let i = 0; i < 100; i++) {
          if ((yield* emulator.control.getProject(request.jobID)).status === "completed") break
          yield* sleep(20)
        }
        const second = yield* connect(emulator, { appId: "recover-2" })
        const auth = yield* second.next("authenticated")
        assert.deepStrictEqual(auth.activeProjects, [])
        assert.strictEqual(auth.unclaimedCompletedProjects.length, 1)
        const done = auth.unclaimedCompletedProjects[0]!
        assert.strictEqual(done.id, request.jobID)
        assert.strictEqual(done.status, "completed")
        assert.strictEqual(done.completedWorkerJobs![0]!.status, "jobCompleted")
        assert.isNumber(done.completedWorkerJobs![0]!.seedUsed)
        const third = yield* connect(emulator, { appId: "recover-2" })
        const again = yield* third.next("authenticated")
        assert.deepStrictEqual(again.unclaimedCompletedProjects, [])
      }))
  })

  describe("subscriptions and networks", () => {
    emulatorTest("honours socketEventSubscriptions and setSocketEventSubscriptions", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, {
          appId: "subs-1",
          query: { socketEventSubscriptions: JSON.stringify({ modelAvailability: false, swarmModels: true }) }
        })
        yield* client.next("changeNetwork")
        yield* sleep(100)
        assert.isFalse(client.events().some((e) => e.type === "swarmModels"))
        const [connection] = (yield* emulator.control.listConnections).filter((c) => c.appId === "subs-1")
        assert.deepStrictEqual(connection!.subscriptions, { modelAvailability: false, swarmModels: true })
        client.send("setSocketEventSubscriptions", { subscriptions: { modelAvailability: true, appAlert: true } })
        const snapshot = yield* client.next("socketEventSubscriptionsUpdated")
        assert.deepStrictEqual(snapshot.socketEventSubscriptions, {
          modelAvailability: true,
          swarmModels: true,
          appAlert: true
        })
        yield* client.next("swarmModels")
        client.send("setSocketEventSubscriptions", { reset: true, unsubscribe: ["balanceUpdate"] })
        const reset = yield* client.next("socketEventSubscriptionsUpdated")
        assert.deepStrictEqual(reset.socketEventSubscriptions, { balanceUpdate: false })
      }))

    it.effect("group flags dominate event flags", () =>
      Effect.sync(() => {
        assert.isFalse(isSubscribed(new Map([["modelAvailability", false], ["swarmModels", true]]), "swarmModels"))
        assert.isFalse(isSubscribed(new Map([["swarmModels", false]]), "swarmModels"))
        assert.isTrue(isSubscribed(new Map(), "swarmLLMModels"))
        assert.isFalse(isSubscribed(new Map(), "appAlert"))
        assert.isTrue(isSubscribed(new Map([["appAlert", true]]), "appAlert"))
        assert.isTrue(isSubscribed(new Map([["jobState", false]]), "jobState"))
      }))

    emulatorTest("announces relaxed for an empty forceWorkerId and switches on changeNetwork", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "net-1", network: "relaxed" })
        assert.deepStrictEqual(yield* client.next("changeNetwork"), { network: "relaxed" })
        const relaxedModels = yield* client.next("swarmModels")
        assert.isUndefined(relaxedModels["ltx23-22b-fp8_t2v_distilled"])
        assert.isAbove(relaxedModels["flux1-schnell-fp8"]!, 0)
        client.send("changeNetwork", "fast")
        assert.deepStrictEqual(yield* client.next("changeNetwork"), { network: "fast" })
        const fastModels = yield* client.next("swarmModels")
        assert.isAbove(fastModels["ltx23-22b-fp8_t2v_distilled"]!, 0)
        const [connection] = (yield* emulator.control.listConnections).filter((c) => c.appId === "net-1")
        assert.strictEqual(connection!.network, "fast")
      }))
  })

  describe("robustness and faults", () => {
    emulatorTest("skips malformed client frames and keeps the connection", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "malformed-in" })
        yield* client.next("swarmModels")
        client.sendText("{not json")
        client.sendText(JSON.stringify({ type: "jobRequest" }))
        client.sendText(JSON.stringify({ type: "jobRequest", data: "***" }))
        client.send("bogusMessage", { a: 1 })
        client.send("jobRequest", { jobID: 7 })
        client.send("changeNetwork", "warp-speed")
        client.send("llmJobRequest", { jobID: "LLM-1", type: "llm", model: "qwen", messages: [] })
        const llm = yield* client.next("llmJobError")
        assert.strictEqual(llm.error, "model_unavailable")
        client.send("changeNetwork", "relaxed")
        assert.deepStrictEqual(yield* client.next("changeNetwork", (p) => p.network === "relaxed"), {
          network: "relaxed"
        })
        assert.strictEqual(client.ws.readyState, client.ws.OPEN)
      }))

    emulatorTest("sends malformed frames, duplicates and delays on request", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const client = yield* connect(emulator, { appId: "faults-out" })
        yield* client.next("changeNetwork")
        yield* client.next("swarmModels")
        const before = client.received.length
        for (const kind of ["noData", "badBase64", "notJson", "unknownType", "invalidPayload"] as const) {
          const { sent } = yield* emulator.control.sendMalformedFrame(kind, "faults-out")
          assert.strictEqual(sent, 1)
        }
        for (let i = 0; i < 100 && client.received.length < before + 5; i++) yield* sleep(10)
        yield* emulator.control.duplicateFrames(1)
        client.send("changeNetwork", "relaxed")
        yield* client.next("changeNetwork", (p) => p.network === "relaxed")
        yield* client.next("changeNetwork", (p) => p.network === "relaxed")
        const bad = client.received.slice(before, before + 5)
        assert.deepStrictEqual(
          bad.map((r) => Either.isLeft(r.decoded) ? r.decoded.left.reason : "decoded"),
          ["NoData", "BadBase64", "NotJson", "UnknownType", "InvalidPayload"]
        )
        yield* emulator.control.delayFrames(250)
        const sentAt = Date.now()
        client.send("changeNetwork", "fast")
        yield* client.next("changeNetwork", (p) => p.network === "fast")
        assert.isAtLeast(Date.now() - sentAt, 240)
        yield* emulator.control.clearFaults
        assert.strictEqual(client.ws.readyState, client.ws.OPEN)
      }))
  })
})

const client_send = (client: { readonly send: (type: string, payload: unknown) => void }, request: unknown) =>
  client.send("jobRequest", request)

describe("lifecycle", () => {
  it.live("shutting the layer down mid-project leaves no sockets, servers or timers behind", () =>
    Effect.gen(function*() {
      // Sockets, servers and timers all show up here (Node ≥ 17).
      const handles = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length
      const baseline = handles()
      for (let i = 0; i < 10; i++) {
        yield* Effect.gen(function*() {
          const emulator = yield* Emulator.Emulator
          const client = yield* connect(emulator, { appId: `lifecycle-${i}` })
          client.send("jobRequest", imageRequest({ prompt: "[[slow]] interrupted", count: 2 }))
          yield* client.next("jobState", (p) => p.type === "initiatingModel")
          const [project] = yield* emulator.control.listProjects(`lifecycle-${i}`)
          assert.strictEqual(project!.status, "progress")
        }).pipe(Effect.scoped, Effect.provide(Emulator.layer({ port: 0 })))
      }
      yield* sleep(100)
      assert.isAtMost(handles(), baseline + 1)
    }))
})
