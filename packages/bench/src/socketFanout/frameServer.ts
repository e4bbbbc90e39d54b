/**
 * The frame source: a loopback `ws` server that authenticates each connection, waits for the client's
 * trigger frame, then streams the pre-encoded fan-out (binary frames, round-robin across projects)
 * followed by the sentinel, respecting backpressure (`bufferedAmount`).
 */
import { Protocol } from "@effect-sogni/core"
import WS, { WebSocketServer } from "ws"
import {
  type FanoutPlan,
  jobId,
  projectId,
  sentinelPayload,
  sentinelType,
  triggerType
} from "./plan.js"

/** Pause writing once this much is queued on the socket; resume when that frame has flushed. */
const HIGH_WATER = 1 << 20

const authenticatedPayload = {
  id: "bench-connection",
  clientType: "artist",
  username: "bench",
  address: "0x8Fa3C1d2E4b5A6978c0D1e2F3a4B5c6D7e8F9a0B",
  activeProjects: [],
  unclaimedCompletedProjects: [],
  activeLLMJobIDs: []
}

/** Every frame of the fan-out, in wire order, pre-encoded once. */
export const encodeFanout = (plan: FanoutPlan): ReadonlyArray<Buffer> => {
  const perProject: Array<Array<string>> = []
  for (let p = 0; p < plan.projects; p++) {
    const P = projectId(p)
    const frames: Array<string> = []
    for (let j = 0; j < plan.jobsPerProject; j++) {
      frames.push(
        Protocol.encodeFrame("jobState", {
          type: "jobStarted",
          jobID: P,
          imgID: jobId(p, j),
          workerName: `gpu-owl-${(p * 7 + j) % 97}`,
          jobIndex: j
        })
      )
    }
    for (let step = 1; step <= plan.steps; step++) {
      for (let j = 0; j < plan.jobsPerProject; j++) {
        const eta = (plan.steps - step) * 0.05
        frames.push(
          Protocol.encodeFrame("jobProgress", {
            jobID: P,
            imgID: jobId(p, j),
            step,
            stepCount: plan.steps,
            etaSeconds: Math.ceil(eta),
            etaMin: Math.round(eta * 80) / 100,
            etaMax: Math.round(eta * 160) / 100
          })
        )
      }
    }
    for (let j = 0; j < plan.jobsPerProject; j++) {
      frames.push(
        Protocol.encodeFrame("jobResult", {
          jobID: P,
          imgID: jobId(p, j),
          performedStepCount: plan.steps,
          lastSeed: String(1234567 + p * 10 + j),
          triggeredNSFWFilter: false,
          nsfwDetected: false,
          nsfwSources: [],
          userCanceled: false,
          outputFormat: "png"
        })
      )
    }
    frames.push(Protocol.encodeFrame("jobState", { type: "jobCompleted", jobID: P }))
    perProject.push(frames)
  }
  // a busy server interleaves its projects: frame k of every project, then frame k + 1, ...
  const out: Array<Buffer> = []
  const length = perProject[0]?.length ?? 0
  for (let k = 0; k < length; k++) {
    for (const frames of perProject) out.push(Buffer.from(frames[k]!, "utf8"))
  }
  out.push(Buffer.from(Protocol.encodeFrame(sentinelType, sentinelPayload), "utf8"))
  return out
}

export interface FrameServer {
  readonly url: string
  readonly bytes: number
  readonly close: () => Promise<void>
}

export const startFrameServer = (frames: ReadonlyArray<Buffer>): Promise<FrameServer> =>
  new Promise((resolve, reject) => {
    const authenticated = Buffer.from(Protocol.encodeFrame("authenticated", authenticatedPayload), "utf8")
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false })
    wss.on("connection", (ws) => {
      let started = false
      const stream = () => {
        let i = 0
        const pump = () => {
          while (i < frames.length) {
            if (ws.readyState !== WS.OPEN) return
            const frame = frames[i++]!
            if (ws.bufferedAmount >= HIGH_WATER) {
              // resumes once this frame (queued behind the backlog) has been flushed to the kernel
              ws.send(frame, (error) => {
                if (error === undefined || error === null) pump()
              })
              return
            }
            ws.send(frame)
          }
        }
        pump()
      }
      ws.on("message", (data) => {
        if (started) return
        const envelope = Protocol.decodeEnvelope(data as Buffer)
        if (envelope._tag === "Right" && envelope.right.type === triggerType) {
          started = true
          stream()
        }
      })
      ws.on("error", () => {})
      ws.send(authenticated)
    })
    wss.on("error", reject)
    wss.on("listening", () => {
      const address = wss.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resolve({
        url: `ws://127.0.0.1:${port}`,
        bytes: frames.reduce((n, f) => n + f.length, 0),
        close: () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate()
            wss.close(() => done())
          })
      })
    })
  })
