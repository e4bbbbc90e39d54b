/**
 * `sogni.projects` against the embedded emulator over real loopback sockets: events, results,
 * downloads, validation, cancel, abort, estimates, presets and model options.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { isAbortError, isInvalidRequestError, isProjectError, type Job, type Project, SogniClient } from "../src/index.js"
import { getEventListeners } from "node:events"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { audioProject, endpoints, type RunningEmulator, startEmulator } from "./emulator.js"

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const withClient = async <A>(appId: string, body: (sogni: SogniClient) => Promise<A>): Promise<A> => {
  const sogni = await SogniClient.createInstance({ appId, network: "fast", logLevel: "error", ...endpoints(emulator) })
  try {
    return await body(sogni)
  } finally {
    await sogni.dispose()
  }
}

const image = {
  type: "image" as const,
  modelId: "flux1-schnell-fp8",
  positivePrompt: "A cat wearing a hat",
  steps: 4,
  guidance: 1,
  numberOfMedia: 2,
  tokenType: "spark" as const,
  network: "fast" as const
}

/**
 * Runs one single-job project while every mint of its result URL fails (503 on `pathPrefix`, no wait asked:
 * core's retries run out): it completes with no URL; its one completed job is returned for re-minting.
 */
const completedWhileMintsFail = async (
  sogni: SogniClient,
  pathPrefix: string,
  params: Parameters<SogniClient["projects"]["create"]>[0]
): Promise<Array<Job>> => {
  await Effect.runPromise(emulator.service.control.failRest({ count: 50, status: 503, pathPrefix, retryAfterSeconds: 0 }))
  const project = await sogni.projects.create(params)
  const jobs: Array<Job> = []
  project.on("jobCompleted", (job) => jobs.push(job))
  try {
    assert.deepStrictEqual(await project.waitForCompletion(), [])
  } finally {
    await Effect.runPromise(emulator.service.control.clearFaults)
  }
  assert.strictEqual(jobs.length, 1)
  return jobs
}

describe("projects", () => {
  it("waitForModels, then an image project with progress, job and project events, and downloadable results", async () => {
    await withClient("client-projects-1", async (sogni) => {
      const models = await sogni.projects.waitForModels()
      assert.isTrue(models.some((m) => m.id === "flux1-schnell-fp8" && m.workerCount > 0))
      assert.deepStrictEqual(sogni.projects.availableModels, models)
      const project: Project = await sogni.projects.create(image)
      assert.match(project.id, /^[0-9A-F-]{36}$/)
      const progress: Array<number> = []
      const started: Array<string> = []
      const completedJobs: Array<string> = []
      const jobProgress = new Map<string, number>()
      let completedUrls: ReadonlyArray<string> | undefined
      project.on("progress", (p) => progress.push(p))
      project.on("jobStarted", (job) => {
        started.push(job.id)
        job.on("progress", (p) => jobProgress.set(job.id, p))
      })
      project.on("jobCompleted", (job) => completedJobs.push(job.resultUrl!))
      project.on("completed", (urls) => (completedUrls = urls))
      const urls = await project.waitForCompletion()
      assert.strictEqual(urls.length, 2)
      assert.deepStrictEqual(completedUrls, urls)
      assert.sameMembers([...completedJobs], [...urls])
      assert.strictEqual(started.length, 2)
      assert.strictEqual(project.status, "completed")
      assert.strictEqual(project.progress, 100)
      assert.strictEqual(progress.at(-1), 100)
      for (let i = 1; i < progress.length; i++) assert.isAtLeast(progress[i]!, progress[i - 1]!)
      assert.strictEqual(project.jobs.length, 2)
      for (const job of project.jobs) {
        assert.strictEqual(job.status, "completed")
        assert.strictEqual(job.progress, 100)
        assert.isNumber(job.seed)
        assert.isString(job.workerName)
      }
      const data = await project.jobs[0]!.getResultData()
      const bytes = new Uint8Array(await data.arrayBuffer())
      assert.deepStrictEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47])
      assert.strictEqual(sogni.projects.trackedProjects.length, 0)
    })
  })

  it("a project nobody follows the progress of still ends with its jobs at their last step; a progress listener added later gets the progress from then on", async () => {
    await withClient("client-projects-quiet", async (sogni) => {
      const params = { ...image, steps: 6 }
      // nothing listens: media's reducer builds no progress events, the state moves all the same
      const quiet = await sogni.projects.create(params)
      const quietStarted: Array<string> = []
      quiet.on("jobStarted", (job) => quietStarted.push(job.id))
      const quietUrls = await quiet.waitForCompletion()
      assert.strictEqual(quietUrls.length, 2)
      assert.strictEqual(quiet.progress, 100)
      assert.strictEqual(quietStarted.length, 2)
      for (const job of quiet.jobs) {
        assert.strictEqual(job.status, "completed")
        assert.strictEqual(job.step, 6)
        assert.strictEqual(job.stepCount, 6)
        assert.strictEqual(job.progress, 100)
      }
      // the listeners come once the project runs: the progress events follow from then on
      const later = await sogni.projects.create(params)
      const progress: Array<number> = []
      const jobSteps: Array<number> = []
      later.on("jobStarted", (job) => {
        if (later.jobs.length === 1) {
          later.on("progress", (p) => progress.push(p))
          job.on("progress", () => jobSteps.push(job.step))
        }
      })
      await later.waitForCompletion()
      assert.isAbove(progress.length, 1)
      assert.strictEqual(progress.at(-1), 100)
      for (let i = 1; i < progress.length; i++) assert.isAbove(progress[i]!, progress[i - 1]!)
      assert.strictEqual(jobSteps.at(-1), 6)
      for (let i = 1; i < jobSteps.length; i++) assert.isAtLeast(jobSteps[i]!, jobSteps[i - 1]!)
    })
  })

  it("progress listeners removed (twice over, and by removeAllListeners) before one is added again: the new one still gets the progress", async () => {
    await withClient("client-projects-relisten", async (sogni) => {
      const project = await sogni.projects.create({ ...image, steps: 6, numberOfMedia: 1 })
      const jobSteps: Array<number> = []
      const projectProgress: Array<number> = []
      project.on("jobStarted", (job) => {
        // interest comes and goes before the frames arrive: nothing is counted twice
        const off = project.on("progress", () => {})
        off()
        off()
        project.removeAllListeners("progress")
        const offUpdated = job.on("updated", () => {})
        job.removeAllListeners()
        offUpdated()
        sogni.projects.off("job", () => {})
        job.on("progress", () => jobSteps.push(job.step))
        project.on("progress", (p) => projectProgress.push(p))
      })
      await project.waitForCompletion()
      assert.isAbove(jobSteps.length, 1)
      assert.strictEqual(jobSteps.at(-1), 6)
      assert.isAbove(projectProgress.length, 1)
      assert.strictEqual(projectProgress.at(-1), 100)
    })
  })

  it("a finished project the caller keeps lets go of the media project behind it", async () => {
    setFlagsFromString("--expose-gc")
    const gc = runInNewContext("gc") as () => void
    await withClient("client-projects-release", async (sogni) => {
      const project = await sogni.projects.create({ ...image, numberOfMedia: 1 })
      const handle = new WeakRef((project as unknown as { _handle: object })._handle)
      await project.waitForCompletion()
      let released = false
      // a WeakRef's target outlives the turn that read it: collect over a few turns
      for (let i = 0; i < 50 && !released; i++) {
        await new Promise((r) => setTimeout(r, 20))
        gc()
        released = handle.deref() === undefined
      }
      assert.isTrue(released, "the media project is collectable once the Project finished")
      assert.strictEqual(project.status, "completed")
      assert.strictEqual(project.jobs[0]!.status, "completed")
      await project.cancel()
    })
  })

  it("null options mean the model's default (guidance: null, seed: null), as in the official client", async () => {
    await withClient("client-projects-null", async (sogni) => {
      const project = await sogni.projects.create({ ...image, numberOfMedia: 1, guidance: null, seed: null } as never)
      const urls = await project.waitForCompletion()
      assert.strictEqual(urls.length, 1)
      const sent = await Effect.runPromise(emulator.service.control.getProject(project.id))
      const keyFrame = (sent.request as { keyFrames: ReadonlyArray<Record<string, unknown>> }).keyFrames[0]!
      assert.notStrictEqual(keyFrame.guidance, null)
    })
  })

  it("an out-of-range value fails the project through its events (as the server's refusal would), naming the field; nothing is sent or tracked", async () => {
    await withClient("client-projects-2", async (sogni) => {
      const seen: Array<string> = []
      sogni.projects.on("project", (e) => seen.push(`project:${e.type}:${e.type === "error" ? e.error.code : ""}`))
      const project = await sogni.projects.create({ ...image, startingImageStrength: 2 })
      project.on("failed", (e) => seen.push(`failed:${e.code}`))
      const error = await project.waitForCompletion().catch((e) => e)
      assert.isTrue(isInvalidRequestError(error))
      assert.strictEqual(error.name, "InvalidRequestError")
      assert.strictEqual(error.field, "startingImageStrength")
      assert.strictEqual(error.rule, "range")
      await new Promise((r) => setTimeout(r, 20))
      assert.deepStrictEqual(seen, ["failed:4000", "project:error:4000"])
      assert.strictEqual(project.status, "failed")
      assert.strictEqual(project.error?.code, 4000)
      const sent = await Effect.runPromise(Effect.either(emulator.service.control.getProject(project.id)))
      assert.isTrue(sent._tag === "Left", "nothing reached the server")
      // not a project request at all: create itself rejects, typed, instead of crashing
      for (const bad of [null, "image", { type: "image" }, { type: "gif", modelId: "m" }]) {
        const refused = await sogni.projects.create(bad as never).catch((e) => e)
        assert.isTrue(isInvalidRequestError(refused), String(bad))
      }
      const nullError = await sogni.projects.create(null as never).catch((e) => e)
      assert.strictEqual(nullError.field, "params")
      assert.strictEqual(nullError.rule, "type")
      const unknown = await sogni.projects.create({ ...image, modelId: "no-such-model" }).catch((e) => e)
      assert.isTrue(isInvalidRequestError(unknown))
      assert.strictEqual(unknown.field, "modelId")
      assert.strictEqual(sogni.projects.trackedProjects.length, 0)
    })
  })

  it("null, non-object and prototype-named parameters reject with an InvalidRequestError, never a TypeError", async () => {
    await withClient("client-projects-hostile", async (sogni) => {
      const cases: Array<[unknown, string, string]> = [
        [null, "params", "type"],
        ["an image", "params", "type"],
        [[image], "params", "type"],
        [{ ...image, toString: 1 }, "toString", "unknown-field"],
        [{ ...image, constructor: "x" }, "constructor", "unknown-field"],
        [{ ...image, numberOfMedia: 17 }, "numberOfMedia", "range"]
      ]
      for (const [params, field, rule] of cases) {
        // not a project at all: create rejects; a project the network would refuse: it resolves and
        // fails as the official client reports a server refusal (waitForCompletion rejects)
        const error = field === "params"
          ? await sogni.projects.create(params as typeof image).catch((e) => e)
          : await sogni.projects.create(params as typeof image).then((p) => p.waitForCompletion()).catch((e) => e)
        assert.isTrue(isInvalidRequestError(error), `${field}: ${String(error)}`)
        assert.strictEqual(error.field, field)
        assert.strictEqual(error.rule, rule)
      }
      assert.strictEqual(sogni.projects.trackedProjects.length, 0)
    })
  })

  it("a failing project rejects waitForCompletion with a ProjectError carrying the network's code, and emits failed", async () => {
    await withClient("client-projects-3", async (sogni) => {
      const project = await sogni.projects.create({ ...image, numberOfMedia: 1, positivePrompt: "[[fail]] nope" })
      let failed: { code: number; message: string } | undefined
      project.on("failed", (e) => (failed = e))
      const error = await project.waitForCompletion().catch((e) => e)
      assert.isTrue(isProjectError(error))
      assert.strictEqual(error.reason, "Failed")
      assert.strictEqual(error.projectId, project.id)
      assert.isDefined(failed)
      assert.strictEqual(error.code, failed!.code)
      assert.strictEqual(project.status, "failed")
    })
  })

  it("a result whose URL the REST host failed to mint (past the retries) is minted again by job.getResultUrl, as the official client does; its bytes download", async () => {
    await withClient("client-projects-remint", async (sogni) => {
      await sogni.projects.waitForModels()
      const jobs = await completedWhileMintsFail(sogni, "/v1/image/downloadUrl", { ...image, numberOfMedia: 1, positivePrompt: "a kite" })
      assert.isNull(jobs[0]!.resultUrl)
      const url = await jobs[0]!.getResultUrl()
      assert.match(url, /\/_media\//)
      assert.strictEqual(await jobs[0]!.getResultUrl(), url, "minted once, then kept")
      const bytes = await jobs[0]!.getResultBytes()
      assert.deepStrictEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG")
    })
  })

  it("an audio result whose URL failed to mint is minted again by media's mint path, with the content type the official client sends", async () => {
    // a relay in front of the emulator's REST host that records the queries of the mint requests
    const mints: Array<URLSearchParams> = []
    const relay = createServer((req, res) => {
      const url = new URL(req.url ?? "/", emulator.url)
      if (url.pathname === "/v1/media/downloadUrl") mints.push(url.searchParams)
      const headers: Record<string, string> = {}
      for (const name of ["api-key", "authorization", "content-type"]) {
        const value = req.headers[name]
        if (typeof value === "string") headers[name] = value
      }
      const parts: Array<Buffer> = []
      req.on("data", (b: Buffer) => parts.push(b))
      req.on("end", () => {
        fetch(`${emulator.url}${url.pathname}${url.search}`, {
          method: req.method ?? "GET",
          headers,
          ...(req.method === "GET" ? {} : { body: Buffer.concat(parts) })
        }).then(async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer())
          res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" })
          res.end(body)
        }, () => {
          res.writeHead(502)
          res.end()
        })
      })
    })
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()))
    const sogni = await SogniClient.createInstance({
      appId: "client-projects-remint-audio",
      network: "fast",
      logLevel: "error",
      ...endpoints(emulator),
      restEndpoint: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`
    })
    try {
      await sogni.projects.waitForModels()
      const jobs = await completedWhileMintsFail(sogni, "/v1/media/downloadUrl", audioProject as never)
      const failedMints = mints.length
      const url = await jobs[0]!.getResultUrl()
      assert.match(url, /\/_media\//)
      // one more mint, for the job's project and id, of the complete result, with the type of an mp3 (the
      // official Job.getResultUrl sends `contentType: _audioContentType`, "audio/mpeg" for mp3)
      assert.strictEqual(mints.length, failedMints + 1)
      const query = Object.fromEntries(mints.at(-1)!)
      assert.deepStrictEqual(query, { jobId: jobs[0]!.projectId, id: jobs[0]!.id, type: "complete", contentType: "audio/mpeg" })
      assert.strictEqual(await jobs[0]!.getResultUrl(), url, "minted once, then kept")
    } finally {
      await sogni.dispose()
      await new Promise<void>((resolve) => relay.close(() => resolve()))
    }
  }, 60_000)

  it("cancel() cancels upstream; waitForCompletion rejects with reason Canceled", async () => {
    await withClient("client-projects-4", async (sogni) => {
      const project = await sogni.projects.create({ ...image, positivePrompt: "[[slow]] take your time" })
      await new Promise<void>((resolve) => project.once("jobStarted", () => resolve()))
      await project.cancel()
      const error = await project.waitForCompletion().catch((e) => e)
      assert.isTrue(isProjectError(error))
      assert.strictEqual(error.reason, "Canceled")
      assert.strictEqual(project.status, "canceled")
    })
  })

  it("aborting the signal given to create cancels the project upstream", async () => {
    await withClient("client-projects-5", async (sogni) => {
      const controller = new AbortController()
      const project = await sogni.projects.create({ ...image, positivePrompt: "[[slow]] abort me" }, { signal: controller.signal })
      await new Promise<void>((resolve) => project.once("jobStarted", () => resolve()))
      controller.abort()
      const error = await project.waitForCompletion().catch((e) => e)
      assert.isTrue(isProjectError(error))
      assert.strictEqual(error.reason, "Canceled")
    })
  })

  it("a project canceled by other means releases the signal's listener", async () => {
    await withClient("client-projects-8", async (sogni) => {
      const controller = new AbortController()
      const project = await sogni.projects.create({ ...image, positivePrompt: "[[slow]] cancel me" }, { signal: controller.signal })
      assert.strictEqual(getEventListeners(controller.signal, "abort").length, 1)
      await new Promise<void>((resolve) => project.once("jobStarted", () => resolve()))
      await sogni.projects.cancel(project.id)
      const error = await project.waitForCompletion().catch((e) => e)
      assert.strictEqual(error.reason, "Canceled")
      await new Promise((r) => setTimeout(r, 0))
      assert.strictEqual(getEventListeners(controller.signal, "abort").length, 0)
    })
  })

  it("an abort landing between the create call resolving and the listener being added still cancels", async () => {
    await withClient("client-projects-9", async (sogni) => {
      const controller = new AbortController()
      const signal = controller.signal
      // the create call drops its own abort listener as it resolves: abort right then, when nothing listens
      const remove = signal.removeEventListener.bind(signal)
      let armed = true
      signal.removeEventListener = ((...args: Parameters<AbortSignal["removeEventListener"]>) => {
        remove(...args)
        if (armed && args[0] === "abort") {
          armed = false
          controller.abort()
        }
      }) as AbortSignal["removeEventListener"]
      const project = await sogni.projects.create({ ...image, positivePrompt: "[[slow]] too late to listen" }, { signal })
      assert.isFalse(armed)
      const error = await project.waitForCompletion().catch((e) => e)
      assert.isTrue(isProjectError(error))
      assert.strictEqual(error.reason, "Canceled")
      assert.strictEqual(project.status, "canceled")
      await new Promise((r) => setTimeout(r, 0))
      assert.strictEqual(getEventListeners(signal, "abort").length, 0)
    })
  })

  it("an already aborted signal rejects at once with an AbortError and sends nothing", async () => {
    await withClient("client-projects-6", async (sogni) => {
      const error = await sogni.projects.create(image, { signal: AbortSignal.abort() }).catch((e) => e)
      assert.isTrue(isAbortError(error))
      assert.strictEqual(error.name, "AbortError")
      assert.strictEqual(sogni.projects.trackedProjects.length, 0)
    })
  })

  it("estimates (image, video, audio) equal what the projects are charged; presets and model options", async () => {
    await withClient("client-projects-7", async (sogni) => {
      const presets = await sogni.projects.getSizePresets("fast", "flux1-schnell-fp8")
      assert.isTrue(presets.some((p) => p.id === "square_hd" && p.width === 1024))
      const options = await sogni.projects.getModelOptions("flux1-schnell-fp8")
      assert.strictEqual(options.type, "image")
      assert.isAbove(options.sampler.allowed.length, 0)
      const cost = await sogni.projects.estimateCost({
        model: "flux1-schnell-fp8",
        imageCount: 2,
        stepCount: 4,
        previewCount: 0,
        tokenType: "spark",
        network: "fast"
      })
      assert.isAbove(Number(cost.token), 0)
      const before = await sogni.account.refreshBalance()
      await (await sogni.projects.create(image)).waitForCompletion()
      const after = await sogni.account.refreshBalance()
      assert.closeTo(Number(before.spark.net) - Number(after.spark.net), Number(cost.token), 1e-6)
      const video = await sogni.projects.estimateVideoCost({
        tokenType: "spark",
        model: "wan_v2.2-14b-fp8_t2v_lightx2v",
        width: 512,
        height: 512,
        duration: 5,
        fps: 16,
        numberOfMedia: 1
      })
      assert.isAbove(Number(video.token), 0)
      const audio = await sogni.projects.estimateAudioCost({
        tokenType: "spark",
        model: "ace_step_1.5_turbo",
        duration: 30,
        steps: 8,
        numberOfMedia: 1
      })
      assert.isAbove(Number(audio.token), 0)
    })
  })
})
