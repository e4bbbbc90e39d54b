/**
 * socket-fanout: 200 projects × 4 jobs × 50 progress steps, streamed round-robin by one loopback
 * server, received by the raw-`ws` floor, by `SogniSocket` with a synchronous `routeWith` reducer per
 * project ("ours", how the media package consumes frames) and by `SogniSocket` with a `route` queue and
 * a consumer fiber per project ("ours-queue"), each in its own process, alternating, several times;
 * medians compared.
 *
 * Targets: ours ≤ 3× the floor's CPU and ≤ 2× its heap.
 */
import { loadavg } from "node:os"
import { type Benchmark, gcSummary, heapLegend, mb, median, runChild, table } from "../Benchmark.js"
import type { Measurement } from "../child.js"
import { encodeFanout, startFrameServer } from "../socketFanout/frameServer.js"
import { type ContenderArgs, defaultPlan, totalFrames } from "../socketFanout/plan.js"

const contenders = {
  floor: new URL("../socketFanout/floor.ts", import.meta.url),
  ours: new URL("../socketFanout/ours.ts", import.meta.url),
  "ours-queue": new URL("../socketFanout/oursQueue.ts", import.meta.url)
} as const
type Contender = keyof typeof contenders

/** Runs per contender (alternating order); a few seconds each on a 2-core machine. */
const repetitions = Number(process.env.BENCH_REPS ?? 3)

export const socketFanout: Benchmark = {
  name: "socket-fanout",
  description: `${defaultPlan.projects} projects × ${defaultPlan.jobsPerProject} jobs × ${defaultPlan.steps} steps`,
  run: async () => {
    const plan = defaultPlan
    const frames = encodeFanout(plan)
    const server = await startFrameServer(frames)
    const runs: Record<Contender, Array<Measurement>> = { floor: [], ours: [], "ours-queue": [] }
    try {
      const args: ContenderArgs = { url: server.url, plan }
      for (let i = 0; i < repetitions; i++) {
        const order: ReadonlyArray<Contender> = i % 2 === 0
          ? ["floor", "ours", "ours-queue"]
          : ["ours-queue", "ours", "floor"]
        for (const c of order) {
          const serverCpu0 = process.cpuUsage()
          const m = await runChild(contenders[c], [JSON.stringify(args)], { timeoutMs: 60_000 })
          const serverCpu = process.cpuUsage(serverCpu0)
          runs[c].push(m)
          console.log(
            `  [${i + 1}/${repetitions}] ${c.padEnd(10)} cpu ${m.cpuMs.toFixed(0).padStart(5)} ms  ` +
              `heap ${mb(m.heapBytes).padStart(6)} MB  retained ${mb(m.retainedBytes).padStart(6)} MB  ` +
              `end ${mb(m.endBytes).padStart(5)} MB  ` +
              `gc ${gcSummary(m.gcs)}  wall ${m.wallMs.toFixed(0).padStart(5)} ms  ` +
              `loop busy ${(m.busy * 100).toFixed(0).padStart(3)}%  ` +
              `(parent/server cpu ${((serverCpu.user + serverCpu.system) / 1000).toFixed(0)} ms)`
          )
        }
      }
    } finally {
      await server.close()
    }

    const summary = (c: Contender) => {
      const rs = runs[c]
      const cpuMs = median(rs.map((r) => r.cpuMs))
      const wallMs = median(rs.map((r) => r.wallMs))
      return {
        cpuMs,
        heapBytes: median(rs.map((r) => r.heapBytes)),
        retainedBytes: median(rs.map((r) => r.retainedBytes)),
        endBytes: median(rs.map((r) => r.endBytes)),
        baselineBytes: median(rs.map((r) => r.baselineHeapBytes)),
        wallMs,
        cpuMin: Math.min(...rs.map((r) => r.cpuMs)),
        cpuMax: Math.max(...rs.map((r) => r.cpuMs)),
        framesPerSecond: totalFrames(plan) / (wallMs / 1000)
      }
    }
    const floor = summary("floor")
    const ours = summary("ours")
    const oursQueue = summary("ours-queue")
    const row = (name: string, s: ReturnType<typeof summary>) => [
      name,
      s.cpuMs.toFixed(0),
      `${s.cpuMin.toFixed(0)}–${s.cpuMax.toFixed(0)}`,
      mb(s.heapBytes),
      mb(s.retainedBytes),
      mb(s.endBytes),
      mb(s.baselineBytes),
      s.wallMs.toFixed(0),
      Math.round(s.framesPerSecond).toLocaleString("en-US")
    ]
    console.log(
      `\n  ${totalFrames(plan).toLocaleString("en-US")} frames (${mb(server.bytes)} MB), medians of ${repetitions} ` +
        `(load average ${loadavg()[0]!.toFixed(1)}; wall and frames/s suffer from load, CPU less so):\n`
    )
    console.log(
      table(
        ["contender", "cpu ms", "cpu range", "heap MB", "retained MB", "end MB", "base MB", "wall ms", "frames/s"],
        [
          row("floor (raw ws)", floor),
          row("ours (SogniSocket routeWith)", ours),
          row("ours-queue (route + fiber)", oursQueue)
        ]
      ).replace(/^/gm, "  ")
    )
    console.log(`\n  ${heapLegend()}`)
    const cpuRatio = ours.cpuMs / floor.cpuMs
    const heapRatio = ours.heapBytes / floor.heapBytes
    const retainedRatio = ours.retainedBytes / floor.retainedBytes
    console.log(
      `\n  targets: cpu ≤ 3.00× (${cpuRatio <= 3 ? "met" : "MISSED"}), heap ≤ 2.00× (${heapRatio <= 2 ? "met" : "MISSED"}; retained ${retainedRatio.toFixed(2)}×)`
    )
    return [
      `RESULT socket-fanout cpu ours/floor=${cpuRatio.toFixed(2)} heap ours/floor=${heapRatio.toFixed(2)} ` +
      `retained ours/floor=${retainedRatio.toFixed(2)}`,
      `RESULT socket-fanout cpu ours-queue/floor=${(oursQueue.cpuMs / floor.cpuMs).toFixed(2)} ` +
      `heap ours-queue/floor=${(oursQueue.heapBytes / floor.heapBytes).toFixed(2)} ` +
      `retained ours-queue/floor=${(oursQueue.retainedBytes / floor.retainedBytes).toFixed(2)}`
    ]
  }
}
