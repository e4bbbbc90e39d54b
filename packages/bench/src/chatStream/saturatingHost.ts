/**
 * The saturating source for chat-stream: a loopback stub that answers each `llmJobRequest` with the whole
 * reply at once, as fast as the client's socket drains, instead of at the emulator's token pace.
 *
 * - Recording (once per run): a raw socket to the emulator keeps its greeting (`authenticated`, balance,
 *   `swarmLLMModels`, ...) and every frame of one real `[[long]]` reply of the plan (`jobState`s, the
 *   `plan.tokens` `jobTokens`, `llmJobResult`), as the emulator's own encoder wrote them.
 * - Socket: every connection gets the recorded greeting; each `llmJobRequest` is answered with the recorded
 *   reply, its job id replaced by the request's (re-encoded with core's `Protocol.encodeFrame`, the
 *   emulator's encoder), `BURST` frames per event-loop turn, written with the TCP socket corked; when more
 *   than `HIGH_WATER` bytes are queued it waits for `drain`.
 * - REST: every request is proxied to the emulator (login, models, balance), so all clients run unchanged.
 *
 * Only the pace changes: the frames are the emulator's, byte for byte apart from the job id.
 */
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import { Protocol } from "@effect-sogni/core"
import WS, { WebSocketServer } from "ws"
import { BURST, closeAll, decodeRecorded, GREETING_MS, HIGH_WATER, listenLoopback, proxyTo, type Recorded, tcpOf } from "../saturatingStub.js"
import type { EmulatorHost } from "./emulatorHost.js"
import type { ChatPlan } from "./plan.js"

/** Bound on the recording of the reply (the emulator streams it at its own pace). */
const RECORD_TIMEOUT_MS = 120_000

interface Recording {
  readonly greeting: ReadonlyArray<Buffer>
  readonly jobID: string
  readonly frames: ReadonlyArray<Recorded>
}

/** Records the emulator's greeting and one whole reply to `plan.prompt` over a raw socket. */
const record = (emulator: EmulatorHost, plan: ChatPlan): Promise<Recording> =>
  new Promise((resolve, reject) => {
    const ws = new WS(`${emulator.wsUrl}/?appId=bench-chat-recording-${randomUUID()}&clientType=artist&forceWorkerId=fast`, {
      headers: { "api-key": emulator.apiKey },
      perMessageDeflate: false
    })
    const greeting: Array<Buffer> = []
    const frames: Array<Recorded> = []
    const jobID = randomUUID().toUpperCase()
    let phase: "greeting" | "reply" = "greeting"
    let tokens = 0
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`chat saturating source: recording the reply took more than ${RECORD_TIMEOUT_MS} ms`))
    }, RECORD_TIMEOUT_MS)
    const sendRequest = () => {
      phase = "reply"
      ws.send(
        Protocol.encodeFrame("llmJobRequest", {
          jobID,
          type: "llm",
          model: plan.model,
          messages: [{ role: "user", content: plan.prompt }],
          stream: true,
          tokenType: "spark"
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
      if (!frame.text.includes(jobID)) return
      frames.push(frame)
      if (frame.type === "jobTokens") tokens++
      if (frame.type === "llmJobError") {
        clearTimeout(timer)
        ws.close()
        reject(new Error(`chat saturating source: the recorded reply failed: ${frame.text}`))
      }
      if (frame.type === "llmJobResult") {
        clearTimeout(timer)
        ws.close()
        if (tokens < plan.tokens) {
          reject(new Error(`chat saturating source: the recorded reply had ${tokens} jobTokens frames, fewer than ${plan.tokens}`))
        } else {
          resolve({ greeting, jobID, frames })
        }
      }
    })
    ws.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

/** The recorded reply's frames for the job `jobID`, encoded as the emulator encodes them. */
const instantiate = (recording: Recording, jobID: string): Array<Buffer> =>
  recording.frames.map((f) =>
    Buffer.from(Protocol.encodeFrame(f.type, JSON.parse(f.text.split(recording.jobID).join(jobID))), "utf8")
  )

export interface SaturatingHost {
  readonly url: string
  readonly wsUrl: string
  readonly apiKey: string
  /** Frames of the reply as recorded (what each `llmJobRequest` is answered with). */
  readonly framesPerReply: number
  readonly close: () => Promise<void>
}

/** Starts the stub in front of `emulator` (which must outlive it). */
export const startSaturating = async (emulator: EmulatorHost, plan: ChatPlan): Promise<SaturatingHost> => {
  const recording = await record(emulator, plan)
  const upstream = new URL(emulator.url)

  const proxy = proxyTo(upstream)

  const server = createServer(proxy)
  const wss = new WebSocketServer({ server, perMessageDeflate: false })

  wss.on("connection", (ws) => {
    const tcp = tcpOf(ws)
    /** Replies still being written, in request order. */
    const live: Array<{ readonly frames: ReadonlyArray<Buffer>; next: number }> = []
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
        const reply = live[0]!
        ws.send(reply.frames[reply.next++]!, { binary: true })
        if (reply.next === reply.frames.length) live.shift()
      }
      tcp.uncork()
      if (live.length === 0) return
      if (ws.bufferedAmount > HIGH_WATER) tcp.once("drain", schedule)
      else schedule()
    }
    ws.on("message", (data: WS.RawData) => {
      const frame = Protocol.decodeEnvelope(data as Buffer)
      if (frame._tag === "Left" || frame.right.type !== "llmJobRequest") return
      const jobID = (frame.right.payload as { jobID?: unknown }).jobID
      if (typeof jobID !== "string") return
      live.push({ frames: instantiate(recording, jobID), next: 0 })
      schedule()
    })
    ws.on("error", () => {})
    for (const frame of recording.greeting) ws.send(frame, { binary: true })
  })

  const port = await listenLoopback(server)
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    apiKey: emulator.apiKey,
    framesPerReply: recording.frames.length,
    close: () => closeAll(server, wss)
  }
}
