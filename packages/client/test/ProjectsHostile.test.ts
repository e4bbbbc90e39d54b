/**
 * `sogni.projects` over a hostile socket (media's `test/hostileServer.ts`, real loopback sockets; the
 * emulator answers REST, directly or through the hostile host, so the models and the validation are the
 * usual ones): garbage, absurd and
 * out-of-order frames reach the official client's listeners only as values it could have produced, and a
 * cancel swallowed by a dying socket still resolves `project.cancel()`.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type HostileServer, makeHostileServer, playInterleaved } from "../../media/test/hostileServer.js"
import { SogniClient } from "../src/index.js"
import { type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

/** A client whose socket is the hostile server's and whose REST host is the emulator. */
const withHostile = async <A>(body: (sogni: SogniClient, server: HostileServer) => Promise<A>): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(Scope.extend(makeHostileServer(), scope))
  // the socket host's REST paths (catalog, presets) are the emulator's
  server.proxyTo = emulator.url
  const sogni = await SogniClient.createInstance({
    appId: `client-hostile-${crypto.randomUUID()}`,
    network: "fast",
    logLevel: "error",
    apiKey: emulator.apiKey,
    restEndpoint: emulator.url,
    socketEndpoint: server.wsUrl
  })
  try {
    return await body(sogni, server)
  } finally {
    await sogni.dispose()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const image = {
  type: "image" as const,
  modelId: "flux1-schnell-fp8",
  positivePrompt: "A hostile harbour",
  steps: 4,
  guidance: 1,
  numberOfMedia: 2,
  tokenType: "spark" as const,
  network: "fast" as const
}

const jobIdOf = (payload: unknown): string | undefined =>
  typeof payload === "object" && payload !== null && typeof (payload as { jobID?: unknown }).jobID === "string"
    ? (payload as { jobID: string }).jobID.toUpperCase()
    : undefined

const hosted = (name: string) => `https://cdn.example.test/${name}.png`

const isValidDate = (d: Date | undefined) => d === undefined || Number.isFinite(d.getTime())

describe("projects over a hostile socket", () => {
  it("garbage, absurd and out-of-order frames: listeners see progress within 0–100 and real dates; the project completes", async () => {
    await withHostile(async (sogni, server) => {
      server.onFrame = (c, frame) => {
        if (frame.type !== "jobRequest") return
        const id = jobIdOf(frame.payload)!
        const raw = (type: string, json: string) =>
          c.sendRaw(`{"type":${JSON.stringify(type)},"data":"${Protocol.base64OfText(json)}"}`)
        c.send("jobState", { type: "queued", jobID: id, queuePosition: 2, estimatedStartSeconds: 1e308 })
        c.send("jobState", { type: "queued", jobID: id, queuePosition: 1, estimatedStartSeconds: -30 })
        c.send("jobProgress", { jobID: id, imgID: "A", step: 1, stepCount: 4, etaSeconds: -7 })
        c.send("jobProgress", { jobID: id, imgID: "A", progress: -5 })
        c.send("jobETA", { jobID: id, imgID: "A", etaSeconds: -10 })
        c.send("jobETA", { jobID: id, imgID: "A", etaSeconds: 1e308 })
        raw("jobProgress", `{"jobID":"${id}","imgID":"A","step":"three"}`)
        raw("jobResult", `{"jobID":"${id}","imgID":7}`)
        c.sendRaw(`not a frame at all`)
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
        c.send("jobState", { type: "jobStarted", jobID: id, imgID: "B", jobIndex: 1, workerName: "w2" })
        c.send("jobProgress", { jobID: id, imgID: "B", step: 2, stepCount: 4 })
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a") })
        c.send("jobResult", { jobID: id, imgID: "A", jobIndex: 0, resultUrl: hosted("a-again") })
        c.send("jobState", { type: "jobCompleted", jobID: id })
        c.send("jobResult", { jobID: id, imgID: "B", jobIndex: 1, resultUrl: hosted("b") })
      }
      const project = await sogni.projects.create(image)
      const progress: Array<number> = []
      const dates: Array<Date | undefined> = []
      project.on("progress", (p) => {
        progress.push(p)
        dates.push(project.estimatedStartAt, project.eta, ...project.jobs.map((j) => j.eta))
      })
      project.on("updated", () => dates.push(project.estimatedStartAt, project.eta))
      const urls = await project.waitForCompletion()
      assert.deepStrictEqual([...urls], [hosted("a"), hosted("b")])
      assert.strictEqual(project.status, "completed")
      assert.strictEqual(progress.at(-1), 100)
      for (let i = 0; i < progress.length; i++) {
        assert.isTrue(progress[i]! >= 0 && progress[i]! <= 100 && (i === 0 || progress[i]! >= progress[i - 1]!), `${progress}`)
      }
      assert.isTrue(dates.every(isValidDate), "every date the listeners read is a real one")
      for (const job of project.jobs) {
        assert.isTrue(job.etaSeconds === undefined || job.etaSeconds >= 0, `job eta ${job.etaSeconds}`)
        assert.isTrue(isValidDate(job.eta))
      }
      assert.strictEqual(server.connections.length, 1)
    })
  })

  it("project.cancel() whose frame died with the socket resolves once the next connection confirms it", async () => {
    await withHostile(async (sogni, server) => {
      let projectId = ""
      server.onConnection = (c) =>
        c.authenticate(c.index === 0 ? {} : {
          activeProjects: [{
            id: projectId,
            status: "progress",
            imageCount: 1,
            stepCount: 4,
            workerJobs: [{ id: "A", imgID: "A", status: "jobStarted", performedSteps: 1, jobIndex: 0 }]
          }]
        })
      server.onFrame = (c, frame) => {
        const id = jobIdOf(frame.payload)
        if (id === undefined) return
        if (frame.type === "jobRequest") {
          projectId = id
          c.send("jobState", { type: "jobStarted", jobID: id, imgID: "A", jobIndex: 0, workerName: "w1" })
          c.send("jobProgress", { jobID: id, imgID: "A", step: 1, stepCount: 4 })
        }
        if (frame.type === "jobError") {
          if (c.index === 0) c.drop()
          else c.send("artistCancelConfirmation", { jobID: id, didCancel: true })
        }
      }
      const project = await sogni.projects.create({ ...image, numberOfMedia: 1 })
      const outcome = project.waitForCompletion().then(() => "completed", (e: Error) => e.name)
      await new Promise<void>((resolve) => project.once("jobStarted", () => resolve()))
      await project.cancel()
      assert.strictEqual(project.status, "canceled")
      assert.strictEqual(await outcome, "ProjectError")
      assert.isTrue(server.connections[1]!.received.some((f) => f.type === "jobError" && jobIdOf(f.payload) === projectId))
    })
  })

  it("a burst: 20 projects × 200 interleaved progress frames written in one go reach each project's listeners in order", async () => {
    await withHostile(async (sogni, server) => {
      const steps = 200
      const ids: Array<string> = []
      server.onFrame = (_c, frame) => {
        if (frame.type === "jobRequest") ids.push(jobIdOf(frame.payload)!)
      }
      const projects = []
      for (let i = 0; i < 20; i++) projects.push(await sogni.projects.create({ ...image, numberOfMedia: 1, steps: 4 }))
      const progress = new Map<string, Array<number>>()
      const jobSteps = new Map<string, Array<number>>()
      for (const p of projects) {
        const seen: Array<number> = []
        const stepsSeen: Array<number> = []
        progress.set(p.id, seen)
        jobSteps.set(p.id, stepsSeen)
        p.on("progress", (v) => seen.push(v))
        p.on("jobStarted", (job) => job.on("progress", () => stepsSeen.push(job.step)))
      }
      while (ids.length < projects.length) await new Promise((resolve) => setTimeout(resolve, 5))
      const conn = server.connections[0]!
      playInterleaved(conn, ids, steps, hosted)
      const urls = await Promise.all(projects.map((p) => p.waitForCompletion()))
      assert.deepStrictEqual(urls.map((u) => [...u]), projects.map((p) => [hosted(p.id)]))
      for (const p of projects) {
        const seen = progress.get(p.id)!
        assert.strictEqual(seen.at(-1), 100)
        for (let i = 1; i < seen.length; i++) assert.isAtLeast(seen[i]!, seen[i - 1]!)
        const stepsSeen = jobSteps.get(p.id)!
        for (let i = 1; i < stepsSeen.length; i++) assert.isAtLeast(stepsSeen[i]!, stepsSeen[i - 1]!, `steps of ${p.id}`)
        assert.isAtLeast(stepsSeen.at(-1) ?? 0, steps - 1)
      }
      assert.strictEqual(sogni.projects.trackedProjects.length, 0)
    })
  })
})
