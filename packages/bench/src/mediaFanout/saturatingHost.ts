/**
 * The saturating source for media-fanout: a loopback stub that answers each `jobRequest` with the whole
 * project at once, as fast as the client's socket drains, instead of at the emulator's simulated pace.
 *
 * - Socket: every connection gets the greeting the emulator sent a recording connection (`authenticated`,
 *   balance, network, models), then, per `jobRequest`, the frames the emulator sent for one recorded
 *   project of the same plan with the project and job ids substituted. Pending projects are interleaved
 *   round-robin (frame k of every live project, then k + 1), `BURST` frames per event-loop turn, written
 *   with the TCP socket corked; when more than `HIGH_WATER` bytes are queued it waits for `drain`.
 * - REST: `GET /v1/image/downloadUrl` and `/v1/media/downloadUrl` are answered here (a signed-looking URL
 *   on this host) for every job it emitted; every other request is proxied to the emulator (login,
 *   models, tiers, balance), so all three clients run unchanged.
 *
 * The recording uses the real emulator, so the frame shapes are exactly what it sends; only the pace
 * changes.
 */
import { randomUUID } from "node:crypto"
import { createServer, type ServerResponse } from "node:http"
import { Protocol } from "@effect-sogni/core"
import WS, { WebSocketServer } from "ws"
import { BURST, closeAll, decodeRecorded, GREETING_MS, HIGH_WATER, listenLoopback, proxyTo, type Recorded, tcpOf } from "../saturatingStub.js"
import type { EmulatorHost } from "./emulatorHost.js"
import type { MediaPlan } from "./plan.js"

/** Bound on the recording of one project (the emulator runs it at its own speed). */
const RECORD_TIMEOUT_MS = 60_000

interface Recording {
  readonly greeting: ReadonlyArray<Buffer>
  readonly projectId: string
  readonly jobIds: ReadonlyArray<string>
  readonly frames: ReadonlyArray<Recorded>
}

/** Records the emulator's greeting and one whole project of `plan` over a raw socket. */
const record = (emulator: EmulatorHost, plan: MediaPlan): Promise<Recording> =>
  new Promise((resolve, reject) => {
    const ws = new WS(`${emulator.wsUrl}/?appId=bench-recording-${randomUUID()}&clientType=artist&forceWorkerId=fast`, {
      headers: { "api-key": emulator.apiKey },
      perMessageDeflate: false
    })
    const greeting: Array<Buffer> = []
    const frames: Array<Recorded> = []
    const jobIds: Array<string> = []
    const projectId = Protocol.makeId()
    let phase: "greeting" | "project" = "greeting"
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`saturating source: recording the template project took more than ${RECORD_TIMEOUT_MS} ms`))
    }, RECORD_TIMEOUT_MS)
    const sendRequest = () => {
      phase = "project"
      ws.send(
        Protocol.encodeFrame("jobRequest", {
          jobID: projectId,
          numberOfImages: plan.imagesPerProject,
          previews: 0,
          outputFormat: "png",
          tokenType: "spark",
          network: "fast",
          keyFrames: [{ modelID: plan.modelId, positivePrompt: "bench template", steps: plan.steps, guidanceScale: 1, seed: 1 }]
        })
      )
    }
    ws.on("message", (data: WS.RawData) => {
      const frame = decodeRecorded(data)
      if (frame === undefined) return
      if (phase === "greeting") {
        greeting.push(Buffer.from(Protocol.encodeFrame(frame.type, JSON.parse(frame.text)), "utf8"))
        if (frame.type === "authenticated") setTimeout(sendRequest, GREETING_MS)
        return
      }
      if (!frame.text.includes(projectId)) return
      frames.push(frame)
      const payload = JSON.parse(frame.text) as { imgID?: string; type?: string }
      if (payload.imgID !== undefined && !jobIds.includes(payload.imgID)) jobIds.push(payload.imgID)
      if (frame.type === "jobError") {
        clearTimeout(timer)
        ws.close()
        reject(new Error(`saturating source: the template project failed: ${frame.text}`))
      }
      if (frame.type === "jobState" && payload.type === "jobCompleted") {
        clearTimeout(timer)
        ws.close()
        if (jobIds.length !== plan.imagesPerProject) {
          reject(new Error(`saturating source: the template project had ${jobIds.length} jobs, not ${plan.imagesPerProject}`))
        } else {
          resolve({ greeting, projectId, jobIds, frames })
        }
      }
    })
    ws.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

/** The recorded project's frames with the ids of a new project (`jobID`) and fresh job ids. */
const instantiate = (recording: Recording, jobID: string): { readonly frames: Array<Buffer>; readonly jobIds: Array<string> } => {
  const jobIds = recording.jobIds.map(() => randomUUID().toUpperCase())
  const frames = recording.frames.map((f) => {
    let text = f.text.split(recording.projectId).join(jobID)
    recording.jobIds.forEach((id, i) => {
      text = text.split(id).join(jobIds[i]!)
    })
    return Buffer.from(Protocol.encodeFrame(f.type, JSON.parse(text)), "utf8")
  })
  return { frames, jobIds }
}

interface Live {
  readonly frames: ReadonlyArray<Buffer>
  next: number
}

export interface SaturatingHost {
  readonly url: string
  readonly wsUrl: string
  readonly apiKey: string
  /** Frames of one project as recorded (what each `jobRequest` is answered with). */
  readonly framesPerProject: number
  readonly close: () => Promise<void>
}

/** Starts the stub in front of `emulator` (which must outlive it). */
export const startSaturating = async (emulator: EmulatorHost, plan: MediaPlan): Promise<SaturatingHost> => {
  const recording = await record(emulator, plan)
  const upstream = new URL(emulator.url)
  /** jobID → its job ids, for the mint endpoint. */
  const emitted = new Map<string, ReadonlySet<string>>()
  let base = ""

  const mint = (url: URL, res: ServerResponse, idName: string) => {
    const jobId = (url.searchParams.get("jobId") ?? "").toUpperCase()
    const id = (url.searchParams.get(idName) ?? "").toUpperCase()
    const known = emitted.get(jobId)?.has(id) === true
    res.writeHead(known ? 200 : 404, { "content-type": "application/json" })
    res.end(
      known
        ? JSON.stringify({ status: "success", data: { downloadUrl: `${base}/bench-results/${jobId}/${id}.png?signature=bench` } })
        : JSON.stringify({ status: "error", errorCode: 404, message: "No such result" })
    )
  }

  const proxy = proxyTo(upstream)

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", base)
    if (req.method === "GET" && url.pathname === "/v1/image/downloadUrl") return mint(url, res, "imageId")
    if (req.method === "GET" && url.pathname === "/v1/media/downloadUrl") return mint(url, res, "id")
    proxy(req, res)
  })
  const wss = new WebSocketServer({ server, perMessageDeflate: false })

  wss.on("connection", (ws) => {
    const tcp = tcpOf(ws)
    const live: Array<Live> = []
    let cursor = 0
    let scheduled = false
    const schedule = () => {
      if (scheduled) return
      scheduled = true
      setImmediate(pump)
    }
    const pump = () => {
      scheduled = false
      if (ws.readyState !== WS.OPEN) return
      tcp.cork()
      for (let n = 0; n < BURST && live.length > 0; n++) {
        if (cursor >= live.length) cursor = 0
        const project = live[cursor]!
        ws.send(project.frames[project.next++]!, { binary: true })
        if (project.next === project.frames.length) live.splice(cursor, 1)
        else cursor++
      }
      tcp.uncork()
      if (live.length === 0) return
      if (ws.bufferedAmount > HIGH_WATER) tcp.once("drain", schedule)
      else schedule()
    }
    ws.on("message", (data: WS.RawData) => {
      const frame = Protocol.decodeEnvelope(data as Buffer)
      if (frame._tag === "Left" || frame.right.type !== "jobRequest") return
      const jobID = (frame.right.payload as { jobID?: unknown }).jobID
      if (typeof jobID !== "string") return
      const project = instantiate(recording, jobID)
      emitted.set(jobID.toUpperCase(), new Set(project.jobIds))
      live.push({ frames: project.frames, next: 0 })
      schedule()
    })
    ws.on("error", () => {})
    for (const frame of recording.greeting) ws.send(frame, { binary: true })
  })

  const port = await listenLoopback(server)
  base = `http://127.0.0.1:${port}`
  return {
    url: base,
    wsUrl: `ws://127.0.0.1:${port}`,
    apiKey: emulator.apiKey,
    framesPerProject: recording.frames.length,
    close: () => closeAll(server, wss)
  }
}
