/**
 * Malformed frames: a raw `ws` server (it sends `authenticated`, waits for the client's trigger, then
 * streams) sends N malformed frames of many kinds interleaved with numbered valid `toastMessage` events,
 * then an end marker. The client is core's `SogniSocket` in a child process (`malformedChild.ts`), so a
 * crash is a figure, not the end of the soak.
 */
import { Protocol } from "@effect-sogni/core"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import WS, { WebSocketServer } from "ws"
import { type Check, equal, makeRandom, type ScenarioReport, zero } from "./report.js"

export interface MalformedOptions {
  readonly frames: number
  /** One valid event after every `validEvery` malformed frames. */
  readonly validEvery: number
  readonly seed: number
  /** Bound on the whole scenario (the child is killed past it). */
  readonly timeoutMs: number
}

const HIGH_WATER = 1 << 20
export const TRIGGER = "changeNetwork"
export const END_MARK = "soak: end"

const nested = (depth: number, leaf: unknown): unknown => {
  let v: unknown = leaf
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

// the expensive frames, built once and sent many times
const deepPayload = Protocol.encodeFrame("jobProgress", { jobID: "A", step: nested(3000, 1) })
const deepEnvelope = `{"type":"jobState","data":${JSON.stringify(nested(3000, 0))}}`
const hugeString = Protocol.encodeFrame("jobProgress", { jobID: "x".repeat(256 * 1024) })

/** The kinds, each a builder of one frame. Weighted: huge frames are rarer. */
export const kinds: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly make: (i: number) => string | Buffer }> = [
  { name: "not JSON", weight: 10, make: (i) => `not json ${i}` },
  { name: "empty", weight: 5, make: () => "" },
  { name: "JSON null / number / string", weight: 5, make: (i) => ["null", "42", "\"x\""][i % 3]! },
  { name: "JSON array", weight: 5, make: () => "[1,2,3]" },
  { name: "no type", weight: 5, make: () => JSON.stringify({ data: b64("{}") }) },
  { name: "type not a string", weight: 5, make: () => JSON.stringify({ type: 7, data: b64("{}") }) },
  { name: "no data", weight: 5, make: () => JSON.stringify({ type: "jobState" }) },
  { name: "invalid base64", weight: 10, make: () => JSON.stringify({ type: "jobState", data: "%%%not*base64%%%" }) },
  { name: "base64 of not JSON", weight: 5, make: () => JSON.stringify({ type: "jobProgress", data: b64("{oops") }) },
  { name: "unknown event", weight: 10, make: (i) => Protocol.encodeFrame(`soakMystery${i % 7}`, { hello: "world" }) },
  { name: "wrong payload types", weight: 10, make: () => Protocol.encodeFrame("jobProgress", { jobID: 42, step: "three" }) },
  { name: "payload null", weight: 5, make: () => Protocol.encodeFrame("jobState", null) },
  { name: "toastMessage wrong shape", weight: 5, make: () => Protocol.encodeFrame("toastMessage", { type: 1, message: [] }) },
  { name: "prototype keys", weight: 5, make: () => `{"type":"__proto__","data":"${b64("{\"__proto__\":{\"polluted\":1}}")}"}` },
  { name: "nested 3,000 deep (payload)", weight: 2, make: () => deepPayload },
  { name: "nested 3,000 deep (envelope)", weight: 2, make: () => deepEnvelope },
  { name: "huge string (256 KiB)", weight: 0.2, make: () => hugeString },
  { name: "binary garbage", weight: 5, make: (i) => Buffer.from([0xff, 0xfe, 0x00, i & 0xff, 0x80, 0x81]) }
]

const pick = (random: () => number) => {
  const total = kinds.reduce((n, k) => n + k.weight, 0)
  let r = random() * total
  for (const k of kinds) {
    r -= k.weight
    if (r <= 0) return k
  }
  return kinds[0]!
}

/** What the child reports (its last stdout line, prefixed). */
export interface ChildReport {
  readonly delivered: number
  readonly outOfOrder: number
  readonly uncaught: number
  readonly unhandled: number
  readonly endSeen: boolean
  readonly status: string
  readonly rssStartMb: number
  readonly rssPeakMb: number
  readonly rssEndMb: number
}

export const REPORT_PREFIX = "SOAK_MALFORMED "

interface Plan {
  readonly frames: ReadonlyArray<string | Buffer>
  readonly valid: number
  readonly byKind: Map<string, number>
}

const makePlan = (options: MalformedOptions): Plan => {
  const random = makeRandom(options.seed)
  const frames: Array<string | Buffer> = []
  const byKind = new Map<string, number>()
  let valid = 0
  for (let i = 0; i < options.frames; i++) {
    const k = pick(random)
    byKind.set(k.name, (byKind.get(k.name) ?? 0) + 1)
    frames.push(k.make(i))
    if ((i + 1) % options.validEvery === 0) {
      frames.push(Protocol.encodeFrame("toastMessage", { type: "info", message: `soak #${++valid}` }))
    }
  }
  frames.push(Protocol.encodeFrame("toastMessage", { type: "info", message: END_MARK }))
  return { frames, valid, byKind }
}

const startServer = (plan: Plan) =>
  new Promise<{ readonly url: string; readonly close: () => Promise<void> }>((resolve) => {
    const authenticated = Protocol.encodeFrame("authenticated", {
      id: "soak-connection",
      clientType: "artist",
      username: "soak",
      address: "0x8Fa3C1d2E4b5A6978c0D1e2F3a4B5c6D7e8F9a0B",
      activeProjects: [],
      unclaimedCompletedProjects: [],
      activeLLMJobIDs: []
    })
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false })
    wss.on("connection", (ws) => {
      let started = false
      ws.on("error", () => {})
      ws.on("message", (data) => {
        if (started) return
        const env = Protocol.decodeEnvelope(data as Buffer)
        if (env._tag !== "Right" || env.right.type !== TRIGGER) return
        started = true
        let i = 0
        const pump = () => {
          while (i < plan.frames.length) {
            if (ws.readyState !== WS.OPEN) return
            const frame = plan.frames[i++]!
            if (ws.bufferedAmount >= HIGH_WATER) {
              ws.send(frame, (error) => {
                if (error === undefined || error === null) pump()
              })
              return
            }
            ws.send(frame)
          }
        }
        pump()
      })
      ws.send(authenticated)
    })
    wss.on("listening", () => {
      const address = wss.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resolve({
        url: `ws://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate()
            wss.close(() => done())
          })
      })
    })
  })

const runChild = (url: string, expected: number, timeoutMs: number) =>
  new Promise<{ readonly code: number | null; readonly signal: string | null; readonly report: ChildReport | undefined; readonly stderr: string }>(
    (resolve) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", fileURLToPath(new URL("./malformedChild.ts", import.meta.url)), JSON.stringify({ url, expected, timeoutMs: Math.max(5_000, timeoutMs - 30_000) })],
        // from the repository root, where `tsx` resolves
        { stdio: ["ignore", "pipe", "pipe"], cwd: fileURLToPath(new URL("../../../../", import.meta.url)) }
      )
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d) => (stdout += d))
      child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)))
      const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
      child.on("exit", (code, signal) => {
        clearTimeout(kill)
        const line = stdout.split("\n").find((l) => l.startsWith(REPORT_PREFIX))
        resolve({ code, signal, report: line === undefined ? undefined : JSON.parse(line.slice(REPORT_PREFIX.length)), stderr })
      })
    }
  )

export const malformedScenario = async (options: MalformedOptions): Promise<ScenarioReport> => {
  const plan = makePlan(options)
  const server = await startServer(plan)
  const start = performance.now()
  try {
    const child = await runChild(server.url, plan.valid, options.timeoutMs)
    const wall = ((performance.now() - start) / 1000).toFixed(1)
    const r = child.report
    const crashed = child.code !== 0 || r === undefined
    const checks: Array<Check> = [
      zero("process crashes (nonzero exit or no report)", crashed ? 1 : 0),
      zero("uncaught exceptions", r?.uncaught ?? 0),
      zero("unhandled rejections", r?.unhandled ?? 0),
      equal("valid events delivered", r?.delivered ?? 0, plan.valid),
      zero("valid events out of order", r?.outOfOrder ?? 0)
    ]
    const notes = [
      `kinds: ${[...plan.byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`,
      `child exit ${child.code ?? child.signal}; socket status at the end: ${r?.status ?? "?"}; end marker seen: ${r?.endSeen ?? false}`
    ]
    if (crashed && child.stderr.trim() !== "") notes.push(`child stderr (tail): ${child.stderr.trim().split("\n").slice(-3).join(" | ")}`)
    return {
      title: `malformed frames to a client socket (${options.frames} malformed of ${plan.byKind.size} kinds, ${plan.valid} valid interleaved)`,
      header: ["malformed", "valid sent", "delivered", "out of order", "uncaught", "unhandled", "RSS start MB", "RSS peak MB", "RSS end MB", "wall s"],
      rows: [[
        options.frames,
        plan.valid,
        r?.delivered ?? "-",
        r?.outOfOrder ?? "-",
        r?.uncaught ?? "-",
        r?.unhandled ?? "-",
        r?.rssStartMb ?? "-",
        r?.rssPeakMb ?? "-",
        r?.rssEndMb ?? "-",
        wall
      ]],
      checks,
      notes
    }
  } finally {
    await server.close()
  }
}
