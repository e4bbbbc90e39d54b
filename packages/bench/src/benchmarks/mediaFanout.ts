/**
 * media-fanout: 200 image projects × 4 images × 50 steps, result URLs included, from two sources, by five
 * contenders, each in its own process, alternating, several times; medians compared:
 *
 * - sources: `paced` (the embedded emulator at its simulated speed) and `saturating` (a stub that answers
 *   every `jobRequest` with the emulator's recorded frames as fast as the socket drains, 100 frames per
 *   turn, corked; REST proxied to the emulator, URL mints answered by the stub): see `saturatingHost.ts`;
 * - floor-decode: raw `ws`, decode every frame, a Map of jobs per project, no URL requests;
 * - floor: the same plus a plain `fetch` mint of each result URL;
 * - ours: `@effect-sogni/media` `Projects.run` × 200 (core socket + REST underneath);
 * - adapter: `@effect-sogni/client` `projects.create` × 200 + `waitForCompletion()`;
 * - official: `@sogni-ai/sogni-client` `projects.create` × 200 + `waitForCompletion()`.
 *
 * Targets (issue 15): ours ≤ 0.5× the official client's CPU and heap, the adapter ≤ 0.6×, at both sources.
 * `BENCH_MEDIA_SOURCES=paced` (or `saturating`) runs one source only, `BENCH_CONTENDERS=a,b` some contenders.
 */
import { loadavg } from "node:os"
import { type Benchmark, heapLegend, runChild, runLine, type Summary, summarize, summaryRow, table } from "../Benchmark.js"
import type { Measurement } from "../child.js"
import { type EmulatorHost, startEmulator } from "../mediaFanout/emulatorHost.js"
import { type ContenderArgs, defaultPlan, framesPerProject, totalProgressFrames } from "../mediaFanout/plan.js"
import { startSaturating } from "../mediaFanout/saturatingHost.js"

const floorScript = new URL("../mediaFanout/floor.ts", import.meta.url)
const contenders = {
  "floor-decode": floorScript,
  floor: floorScript,
  ours: new URL("../mediaFanout/ours.ts", import.meta.url),
  adapter: new URL("../mediaFanout/adapter.ts", import.meta.url),
  official: new URL("../mediaFanout/official.ts", import.meta.url)
} as const
type Contender = keyof typeof contenders
/** `BENCH_CONTENDERS=ours,official` runs some only (ratios with a missing contender print NaN). */
const picked = (process.env.BENCH_CONTENDERS ?? "").split(",").map((x) => x.trim()).filter((x) => x.length > 0)
const everyone: ReadonlyArray<Contender> = ["floor-decode", "floor", "ours", "adapter", "official"]
const order: ReadonlyArray<Contender> = everyone
  .filter((c) => picked.length === 0 || picked.includes(c))
const labels: Record<Contender, string> = {
  "floor-decode": "floor-decode (raw ws)",
  floor: "floor (raw ws + fetch)",
  ours: "ours (media Projects)",
  adapter: "adapter (effect-sogni/client)",
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

type Source = "saturating" | "paced"
const sources: ReadonlyArray<Source> = (process.env.BENCH_MEDIA_SOURCES ?? "saturating,paced")
  .split(",")
  .map((x) => x.trim())
  .filter((x): x is Source => x === "saturating" || x === "paced")

const ratio = (a: number, b: number): string => (a / b).toFixed(2)
const verdict = (value: number, bound: number): string => `${value.toFixed(2)} ≤ ${bound.toFixed(2)} ${value <= bound ? "met" : "MISSED"}`

const runSource = async (source: Source, emulator: EmulatorHost): Promise<ReadonlyArray<string>> => {
  const plan = defaultPlan
  const host = source === "paced" ? emulator : await startSaturating(emulator, plan)
  const runs = Object.fromEntries(everyone.map((c) => [c, [] as Array<Measurement>])) as Record<Contender, Array<Measurement>>
  const serverCpu = Object.fromEntries(everyone.map((c) => [c, [] as Array<number>])) as Record<Contender, Array<number>>
  const session = `${process.pid.toString(36)}${Date.now().toString(36)}`
  console.log(`\n  -- source: ${source === "paced" ? `the emulator at speed ${speed}` : "saturating stub (100 frames per turn, corked)"}`)
  try {
    for (let i = 0; i < repetitions; i++) {
      for (const c of i % 2 === 0 ? order : [...order].reverse()) {
        const args: ContenderArgs = {
          url: host.url,
          wsUrl: host.wsUrl,
          apiKey: host.apiKey,
          appId: `bench-${c}-${source}-${session}-${i}`,
          plan,
          ...(c === "floor-decode" ? { mint: false } : {})
        }
        const cpu0 = process.cpuUsage()
        const m = await runChild(contenders[c], [JSON.stringify(args)], { timeoutMs: 180_000 })
        const cpu = process.cpuUsage(cpu0)
        runs[c].push(m)
        serverCpu[c].push((cpu.user + cpu.system) / 1000)
        console.log(runLine(i, repetitions, c, m, (cpu.user + cpu.system) / 1000))
      }
    }
  } finally {
    if (host !== emulator) await host.close()
  }

  const s = Object.fromEntries(everyone.map((c) => [c, summarize(runs[c], serverCpu[c])])) as Record<Contender, Summary>
  const frames = plan.projects * framesPerProject(plan)
  console.log(
    `\n  ${source}: ${plan.projects * plan.imagesPerProject} images, ${totalProgressFrames(plan).toLocaleString("en-US")} progress ` +
      `frames (~${frames.toLocaleString("en-US")} project frames), medians of ${repetitions} ` +
      `(load average ${loadavg()[0]!.toFixed(1)}; cpu = user + system from connected to all done; ×floor = × floor-decode):\n`
  )
  console.log(
    table(
      ["contender", "cpu ms", "cpu range", "×floor", "heap MB", "×floor", "retained MB", "×floor", "end MB", "base MB", "wall ms", "source cpu ms"],
      order.map((c) => summaryRow(labels[c], s[c], s["floor-decode"]))
    ).replace(/^/gm, "  ")
  )
  console.log(`\n  ${heapLegend()}`)
  const cpu = (c: Contender, vs: Contender) => s[c].cpuMs / s[vs].cpuMs
  const heap = (c: Contender, vs: Contender) => s[c].heapBytes / s[vs].heapBytes
  console.log(
    `\n  targets (${source}): ours/official cpu ${verdict(cpu("ours", "official"), 0.5)}, heap ${verdict(heap("ours", "official"), 0.5)}; ` +
      `adapter/official cpu ${verdict(cpu("adapter", "official"), 0.6)}, heap ${verdict(heap("adapter", "official"), 0.6)}`
  )
  const name = source === "paced" ? "media-fanout" : "media-fanout-saturating"
  return [
    `RESULT ${name} cpu ours/official=${ratio(s.ours.cpuMs, s.official.cpuMs)} adapter/official=${ratio(s.adapter.cpuMs, s.official.cpuMs)} ` +
    `ours/floor=${ratio(s.ours.cpuMs, s.floor.cpuMs)} ours/floor-decode=${ratio(s.ours.cpuMs, s["floor-decode"].cpuMs)} ` +
    `adapter/floor-decode=${ratio(s.adapter.cpuMs, s["floor-decode"].cpuMs)} official/floor-decode=${ratio(s.official.cpuMs, s["floor-decode"].cpuMs)}`,
    `RESULT ${name} heap ours/official=${ratio(s.ours.heapBytes, s.official.heapBytes)} adapter/official=${ratio(s.adapter.heapBytes, s.official.heapBytes)} ` +
    `ours/floor=${ratio(s.ours.heapBytes, s.floor.heapBytes)} ours/floor-decode=${ratio(s.ours.heapBytes, s["floor-decode"].heapBytes)} ` +
    `retained ours/official=${ratio(s.ours.retainedBytes, s.official.retainedBytes)} adapter/official=${ratio(s.adapter.retainedBytes, s.official.retainedBytes)} ` +
    `sampled ours/official=${ratio(s.ours.sampledHeapBytes, s.official.sampledHeapBytes)} adapter/official=${ratio(s.adapter.sampledHeapBytes, s.official.sampledHeapBytes)}`
  ]
}

export const mediaFanout: Benchmark = {
  name: "media-fanout",
  description:
    `${defaultPlan.projects} projects × ${defaultPlan.imagesPerProject} images × ${defaultPlan.steps} steps, ` +
    `result URLs included, from ${sources.join(" and ")} (emulator speed ${speed})`,
  run: async () => {
    const emulator = await startEmulator(defaultPlan, speed)
    const results: Array<string> = []
    try {
      for (const source of sources) results.push(...(await runSource(source, emulator)))
    } finally {
      await emulator.close()
    }
    return results
  }
}
