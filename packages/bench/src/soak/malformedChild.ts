/**
 * The client side of the malformed-frame scenario, in its own process: core's `SogniSocket` connects to
 * the raw server, sends the trigger and counts the numbered `toastMessage` events until the end marker
 * or the deadline. Uncaught exceptions and unhandled rejections are counted (the process keeps going, so
 * the other figures still come out); the report is the last stdout line.
 *
 * argv: <json { url, expected, timeoutMs }>
 */
import { SogniConfig, SogniSocket } from "@effect-sogni/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { type ChildReport, END_MARK, REPORT_PREFIX, TRIGGER } from "./malformed.js"

const args = JSON.parse(process.argv[2] ?? "{}") as { url: string; expected: number; timeoutMs: number }

/** How long without a valid event before the child stops waiting. */
const IDLE_MS = 15_000

let uncaught = 0
let unhandled = 0
process.on("uncaughtException", () => void uncaught++)
process.on("unhandledRejection", () => void unhandled++)

const mb = (n: number) => Math.round(n / 1024 / 1024)
const rssStart = process.memoryUsage().rss
let rssPeak = rssStart
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50)

const program = Effect.gen(function*() {
  const socket = yield* SogniSocket.SogniSocket
  const toasts = yield* socket.subscribe(["toastMessage"])
  yield* socket.awaitAuthenticated
  yield* socket.send({ type: TRIGGER, payload: "fast" })
  let delivered = 0
  let outOfOrder = 0
  let endSeen = false
  yield* Effect.gen(function*() {
    while (true) {
      // a stream that stalls (no valid event for IDLE_MS) will not recover: stop waiting
      const next = yield* Queue.take(toasts).pipe(Effect.timeout(Duration.millis(IDLE_MS)), Effect.option)
      if (next._tag === "None") return
      const event = next.value
      if (event.type !== "toastMessage") continue
      const message = (event.payload as { message?: unknown }).message
      if (message === END_MARK) {
        endSeen = true
        return
      }
      const n = typeof message === "string" ? Number(/^soak #(\d+)$/.exec(message)?.[1]) : NaN
      if (!Number.isFinite(n)) continue
      delivered++
      if (n !== delivered) outOfOrder++
    }
  }).pipe(Effect.timeout(Duration.millis(args.timeoutMs)), Effect.ignore)
  const status = (yield* SubscriptionRef.get(socket.status))._tag
  return { delivered, outOfOrder, endSeen, status }
})

const layer = SogniSocket.layer().pipe(
  Layer.provideMerge(SogniSocket.layerCredentialsApiKey),
  Layer.provideMerge(SogniConfig.layer({ appId: "soak-malformed", socketEndpoint: args.url, apiKey: Redacted.make("soak") }))
)

const finish = (r: { delivered: number; outOfOrder: number; endSeen: boolean; status: string }) => {
  clearInterval(sampler)
  if (typeof global.gc === "function") global.gc()
  const report: ChildReport = {
    ...r,
    uncaught,
    unhandled,
    rssStartMb: mb(rssStart),
    rssPeakMb: mb(rssPeak),
    rssEndMb: mb(process.memoryUsage().rss)
  }
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(report)}\n`)
  process.exit(0)
}

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer))).then(finish, (error: unknown) => {
  console.error(error)
  finish({ delivered: -1, outOfOrder: 0, endSeen: false, status: "failed" })
})
