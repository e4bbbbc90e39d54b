/**
 * Contender "floor": a raw `ws` client that sends the 200 `jobRequest` frames, decodes every frame
 * (outer JSON, base64 → UTF-8 via Buffer, inner JSON), tracks each project's jobs in a Map and, for every
 * `jobResult`, mints the signed result URL with a plain `fetch` of `GET /v1/image/downloadUrl`. Done when
 * every project got `jobState jobCompleted` and every URL arrived. Plain Node on purpose.
 *
 * With `mint: false` in its arguments it is the decode-only floor: every `jobResult` counts as done
 * without a request, so the figure is the socket and decoding alone.
 *
 * argv: <json ContenderArgs>
 */
import { randomUUID } from "node:crypto"
import WS from "ws"
import { makeMeter, report } from "../child.js"
import { type ContenderArgs, promptOf } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args
const mintUrls = args.mint !== false
const contender = mintUrls ? "floor" : "floor-decode"
const meter = makeMeter()

interface ProjectTally {
  readonly jobs: Map<string, number>
  readonly urls: Map<string, string>
  events: number
  completed: boolean
}
const projects = new Map<string, ProjectTally>()
let completedProjects = 0
let urlsMinted = 0
let frames = 0
let finished = false
const expectedUrls = plan.projects * plan.imagesPerProject

const frame = (type: string, payload: unknown): string =>
  `{"type":${JSON.stringify(type)},"data":"${Buffer.from(JSON.stringify(payload), "utf8").toString("base64")}"}`

const fail = (message: string): never => {
  console.error(`${contender}: ${message}`)
  process.exit(1)
}

const finishIfDone = () => {
  if (finished || completedProjects < plan.projects || urlsMinted < expectedUrls) return
  finished = true
  const m = meter.stop(contender, frames)
  let short = 0
  for (const t of projects.values()) {
    if (t.jobs.size !== plan.imagesPerProject || [...t.jobs.values()].some((s) => s !== plan.steps)) short++
  }
  if (short > 0) fail(`${short} projects did not see ${plan.imagesPerProject} jobs at step ${plan.steps}`)
  ws.close(1000)
  report(m)
}

const mint = (projectId: string, imgID: string, tally: ProjectTally) => {
  const query = new URLSearchParams({ jobId: projectId, imageId: imgID, type: "complete" })
  fetch(`${args.url}/v1/image/downloadUrl?${query}`, { headers: { "api-key": args.apiKey } })
    .then((response) => {
      if (!response.ok) throw new Error(`downloadUrl: HTTP ${response.status}`)
      return response.json() as Promise<{ data?: { downloadUrl?: string } }>
    })
    .then((body) => {
      const url = body.data?.downloadUrl
      if (typeof url !== "string") throw new Error("downloadUrl: no URL in the body")
      tally.urls.set(imgID, url)
      urlsMinted++
      finishIfDone()
    })
    .catch((error: unknown) => fail(String(error)))
}

const ws = new WS(`${args.wsUrl}/?appId=${encodeURIComponent(args.appId)}&clientType=artist&forceWorkerId=fast`, {
  headers: { "api-key": args.apiKey },
  perMessageDeflate: false
})

let started = false
ws.on("message", (data: Buffer) => {
  const outer = JSON.parse(data.toString("utf8")) as { type: string; data: string }
  const payload = JSON.parse(Buffer.from(outer.data, "base64").toString("utf8")) as {
    jobID?: string
    imgID?: string
    type?: string
    step?: number
  }
  if (!started) {
    if (outer.type !== "authenticated") return
    started = true
    meter.start()
    for (let p = 0; p < plan.projects; p++) {
      const jobID = randomUUID().toUpperCase()
      projects.set(jobID, { jobs: new Map(), urls: new Map(), events: 0, completed: false })
      ws.send(
        frame("jobRequest", {
          jobID,
          numberOfImages: plan.imagesPerProject,
          previews: 0,
          outputFormat: "png",
          tokenType: "spark",
          network: "fast",
          keyFrames: [
            { modelID: plan.modelId, positivePrompt: promptOf(p), steps: plan.steps, guidanceScale: 1, seed: 1000 + p }
          ]
        })
      )
    }
    return
  }
  frames++
  const jobID = payload.jobID
  if (jobID === undefined) return
  const tally = projects.get(jobID)
  if (tally === undefined) return
  tally.events++
  switch (outer.type) {
    case "jobProgress":
      if (payload.imgID !== undefined && payload.step !== undefined) tally.jobs.set(payload.imgID, payload.step)
      break
    case "jobResult":
      if (payload.imgID === undefined) break
      if (mintUrls) {
        mint(jobID, payload.imgID, tally)
      } else {
        urlsMinted++
        finishIfDone()
      }
      break
    case "jobState":
      if (payload.type === "jobCompleted" && !tally.completed) {
        tally.completed = true
        completedProjects++
        finishIfDone()
      }
      break
    case "jobError":
      fail(`project ${jobID} failed: ${JSON.stringify(payload)}`)
  }
})
ws.on("error", (error) => fail(String(error)))
