/**
 * Contender "floor": a raw `ws` client that sends the `llmJobRequest` and decodes every frame (outer
 * JSON, base64 → UTF-8 via Buffer, inner JSON); for the job's `jobTokens` it only counts the deltas and
 * their characters. Done at `llmJobResult`. Plain Node on purpose.
 *
 * argv: <json ContenderArgs>
 */
import { randomUUID } from "node:crypto"
import WS from "ws"
import { makeMeter, report } from "../child.js"
import type { ChatDetail, ContenderArgs } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args
const meter = makeMeter()

const frame = (type: string, payload: unknown): string =>
  `{"type":${JSON.stringify(type)},"data":"${Buffer.from(JSON.stringify(payload), "utf8").toString("base64")}"}`

const fail = (message: string): never => {
  console.error(`floor: ${message}`)
  process.exit(1)
}

const jobID = randomUUID().toUpperCase()
let started = false
let frames = 0
let deltas = 0
let chars = 0

const ws = new WS(`${args.wsUrl}/?appId=${encodeURIComponent(args.appId)}&clientType=artist&forceWorkerId=fast`, {
  headers: { "api-key": args.apiKey },
  perMessageDeflate: false
})

ws.on("message", (data: Buffer) => {
  const outer = JSON.parse(data.toString("utf8")) as { type: string; data: string }
  const payload = JSON.parse(Buffer.from(outer.data, "base64").toString("utf8")) as {
    jobID?: string
    content?: string | null
    usage?: { completion_tokens: number }
    error_message?: string
  }
  if (!started) {
    if (outer.type !== "authenticated") return
    started = true
    meter.start()
    ws.send(frame("llmJobRequest", {
      jobID,
      type: "llm",
      model: plan.model,
      messages: [{ role: "user", content: plan.prompt }],
      stream: true,
      tokenType: "spark"
    }))
    return
  }
  frames++
  if (payload.jobID !== jobID) return
  switch (outer.type) {
    case "jobTokens": {
      const content = payload.content
      if (typeof content === "string" && content.length > 0) {
        deltas++
        chars += content.length
      }
      break
    }
    case "llmJobResult": {
      const detail: ChatDetail = { deltas, chars, completionTokens: payload.usage?.completion_tokens ?? -1 }
      const m = meter.stop("floor", frames, { ...detail })
      ws.close(1000)
      report(m)
      break
    }
    case "llmJobError":
      fail(`the job failed: ${payload.error_message}`)
  }
})
ws.on("error", (error) => fail(String(error)))
