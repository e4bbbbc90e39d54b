/**
 * Contender "floor": a raw `ws` client that only decodes frames (outer JSON, base64 → UTF-8 via
 * Buffer, inner JSON) and counts them. Plain Node on purpose.
 *
 * argv: <json ContenderArgs>
 */
import WS from "ws"
import { makeMeter, report } from "../child.js"
import { type ContenderArgs, sentinelType, triggerPayload, triggerType, totalFrames } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const meter = makeMeter()

const ws = new WS(`${args.url}/?appId=bench-floor&clientType=artist`, {
  headers: { "api-key": "bench" },
  perMessageDeflate: false
})

let frames = 0
let authenticated = false

ws.on("message", (data: Buffer) => {
  const outer = JSON.parse(data.toString("utf8")) as { type: string; data: string }
  const payload = JSON.parse(Buffer.from(outer.data, "base64").toString("utf8")) as unknown
  if (!authenticated) {
    if (outer.type !== "authenticated" || payload === null) throw new Error(`expected authenticated, got ${outer.type}`)
    authenticated = true
    meter.start()
    ws.send(
      JSON.stringify({ type: triggerType, data: Buffer.from(JSON.stringify(triggerPayload)).toString("base64") })
    )
    return
  }
  if (outer.type === sentinelType) {
    const m = meter.stop("floor", frames)
    ws.close(1000)
    if (frames !== totalFrames(args.plan)) {
      console.error(`floor: received ${frames} frames, expected ${totalFrames(args.plan)}`)
      process.exitCode = 1
    }
    report(m)
    return
  }
  if (payload !== null) frames++
})
ws.on("error", (error) => {
  console.error("floor:", error)
  process.exit(1)
})
