/**
 * media-fanout: 200 image projects × 4 images × 50 steps against ONE local emulator (embedded in this
 * process), result URLs included, by three contenders, each in its own process, alternating, several
 * times; medians compared:
 *
 * - floor: raw `ws` + plain `fetch` (decode every frame, a Map of jobs per project, mint each URL);
 * - ours: `@effect-sogni/media` `Projects.run` × 200 (core socket + REST underneath);
 * - official: `@sogni-ai/sogni-client` `projects.create` × 200 + `waitForCompletion()`.
 *
 * Targets: ours ≤ 3× the floor's CPU and ≤ 2× its heap.
 */
import { loadavg } from "node:os"
import { type Benchmark, heapLegend, runChild, runLine, summarize, summaryRow, table } from "../Benchmark.js"
import type { Measurement } from "../child.js"
import { startEmulator } from "../mediaFanout/emulatorHost.js"
import { type ContenderArgs, defaultPlan, framesPerProject, totalProgressFrames } from "../mediaFanout/plan.js"

const contenders = {
  floor: new URL("../mediaFanout/floor.ts", import.meta.url),
  ours: new URL("../mediaFanout/ours.ts", import.meta.url),
  official: new URL("../mediaFanout/official.ts", import.meta.url)
} as const
type Contender = keyof typeof contenders
const labels: Record<Contender, string> = {
  floor: "floor (raw ws + fetch)",
  ours: "ours (media Projects)",
  official: "official (sogni-client)"
}

/** Runs per contender (alternating order). */
const repetitions = Number(process.env.BENCH_REPS ?? 3)

/**
 * Emulator speed: 1 ≈ 25 ms per step. The emulator spends ~6–8 CPU-seconds producing one run's ~43k
 * frames and serving its 800 URL mints, so at speed 1 it, not the client, sets the pace (a 1.4 s
 * simulation takes 6–9 s). At 0.25 a step lasts 100 ms, the 50 steps 5 s, a run ~8–10 s, and the
 * emulator's core stays partly idle (its CPU per run is printed next to the wall time; slower speeds
 * such as 0.15 give the same client CPU figures and take longer). Override with `BENCH_EMULATOR_SPEED`.
 */
const speed = Number(process.env.BENCH_EMULATOR_SPEED ?? 0.25)

export const mediaFanout: Benchmark = {
  name: "media-fanout",
  description:
    `${defaultPlan.projects} projects × ${defaultPlan.imagesPerProject} images × ${defaultPlan.steps} steps ` +
    `against the emulator (speed ${speed}), result URLs included`,
  run: async () => {
    const plan = defaultPlan
    const emulator = await startEmulator(plan, speed)
    const runs: Record<Contender, Array<Measurement>> = { floor: [], ours: [], official: [] }
    const serverCpu: Record<Contender, Array<number>> = { floor: [], ours: [], official: [] }
    const session = `${process.pid.toString(36)}${Date.now().toString(36)}`
    try {
      for (let i = 0; i < repetitions; i++) {
        const order: ReadonlyArray<Contender> = i % 2 === 0
          ? ["floor", "ours", "official"]
          : ["official", "ours", "floor"]
        for (const c of order) {
          const args: ContenderArgs = {
            url: emulator.url,
            wsUrl: emulator.wsUrl,
            apiKey: emulator.apiKey,
            appId: `bench-${c}-${session}-${i}`,
            plan
          }
          const cpu0 = process.cpuUsage()
          const m = await runChild(contenders[c], [JSON.stringify(args)], { timeoutMs: 120_000 })
          const cpu = process.cpuUsage(cpu0)
          runs[c].push(m)
          serverCpu[c].push((cpu.user + cpu.system) / 1000)
          console.log(runLine(i, repetitions, c, m, (cpu.user + cpu.system) / 1000))
        }
      }
    } finally {
      await emulator.close()
    }

    const summary = (c: Contender) => summarize(runs[c], serverCpu[c])
    const s = { floor: summary("floor"), ours: summary("ours"), official: summary("official") }
    const row = (c: Contender) => summaryRow(labels[c], s[c], s.floor)
    const frames = plan.projects * framesPerProject(plan)
    console.log(
      `\n  ${plan.projects * plan.imagesPerProject} images, ${totalProgressFrames(plan).toLocaleString("en-US")} progress ` +
        `frames (~${frames.toLocaleString("en-US")} project frames), medians of ${repetitions} ` +
        `(load average ${loadavg()[0]!.toFixed(1)}; cpu = user + system from connected to all done):\n`
    )
    console.log(
      table(
        ["contender", "cpu ms", "cpu range", "×floor", "heap MB", "×floor", "retained MB", "×floor", "end MB", "base MB", "wall ms", "emulator cpu ms"],
        (["floor", "ours", "official"] as const).map(row)
      ).replace(/^/gm, "  ")
    )
    console.log(`\n  ${heapLegend()}`)
    const cpuVsOfficial = s.ours.cpuMs / s.official.cpuMs
    const cpuVsFloor = s.ours.cpuMs / s.floor.cpuMs
    const heapVsOfficial = s.ours.heapBytes / s.official.heapBytes
    const heapVsFloor = s.ours.heapBytes / s.floor.heapBytes
    const retainedVsOfficial = s.ours.retainedBytes / s.official.retainedBytes
    const retainedVsFloor = s.ours.retainedBytes / s.floor.retainedBytes
    console.log(
      `\n  targets vs the floor: cpu ≤ 3.00× (${cpuVsFloor <= 3 ? "met" : "MISSED"}), ` +
        `heap ≤ 2.00× (${heapVsFloor <= 2 ? "met" : "MISSED"}; retained ${retainedVsFloor.toFixed(2)}×)`
    )
    return [
      `RESULT media-fanout cpu ours/official=${cpuVsOfficial.toFixed(2)} ours/floor=${cpuVsFloor.toFixed(2)} ` +
      `heap ours/official=${heapVsOfficial.toFixed(2)} retained ours/official=${retainedVsOfficial.toFixed(2)}`,
      `RESULT media-fanout heap ours/floor=${heapVsFloor.toFixed(2)} retained ours/floor=${retainedVsFloor.toFixed(2)}`
    ]
  }
}
