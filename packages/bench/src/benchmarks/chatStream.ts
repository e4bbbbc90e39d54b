/**
 * chat-stream: one 100k-token chat reply from the embedded emulator's mock LLM (`[[long]]`, one token
 * per `jobTokens` frame), consumed by three contenders, each in its own process, alternating, several
 * times; medians compared:
 *
 * - floor: raw `ws` (decode every frame, count the job's deltas and characters);
 * - ours: `@effect-sogni/chat` `Chat.stream` + `Stream.runForEach`;
 * - official: `@sogni-ai/sogni-client` `chat.completions.create({ stream: true })` + `for await`.
 *
 * Targets: ours ≤ 1.5× the floor's CPU and heap.
 */
import { loadavg } from "node:os"
import { type Benchmark, heapLegend, runChild, runLine, summarize, summaryRow, table } from "../Benchmark.js"
import type { Measurement } from "../child.js"
import { startEmulator } from "../chatStream/emulatorHost.js"
import { type ChatDetail, type ContenderArgs, defaultPlan } from "../chatStream/plan.js"

const contenders = {
  floor: new URL("../chatStream/floor.ts", import.meta.url),
  ours: new URL("../chatStream/ours.ts", import.meta.url),
  official: new URL("../chatStream/official.ts", import.meta.url)
} as const
type Contender = keyof typeof contenders
const labels: Record<Contender, string> = {
  floor: "floor (raw ws)",
  ours: "ours (Chat.stream)",
  official: "official (sogni-client)"
}

/** Runs per contender (alternating order). */
const repetitions = Number(process.env.BENCH_REPS ?? 3)

/**
 * The emulator waits 12 ms / speed between two bursts of `tokensPerTick` frames: at speed 12 and 100
 * frames per burst, 100k tokens arrive in ~1000 bursts of 100 (≈ 100k tokens/s at most; the emulator's
 * own encoding of the frames is usually slower than that). Override with `BENCH_CHAT_SPEED` and
 * `BENCH_CHAT_BURST`.
 */
const speed = Number(process.env.BENCH_CHAT_SPEED ?? 12)
const tokensPerTick = Number(process.env.BENCH_CHAT_BURST ?? 100)

export const chatStream: Benchmark = {
  name: "chat-stream",
  description: `one ${defaultPlan.tokens.toLocaleString("en-US")}-token chat stream from the emulator's mock LLM ` +
    `(bursts of ${tokensPerTick} frames, speed ${speed})`,
  run: async () => {
    const plan = defaultPlan
    const emulator = await startEmulator(plan, { speed, tokensPerTick })
    const runs: Record<Contender, Array<Measurement>> = { floor: [], ours: [], official: [] }
    const serverCpu: Record<Contender, Array<number>> = { floor: [], ours: [], official: [] }
    const session = `${process.pid.toString(36)}${Date.now().toString(36)}`
    let reference: ChatDetail | undefined
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
            appId: `bench-chat-${c}-${session}-${i}`,
            plan
          }
          const cpu0 = process.cpuUsage()
          const m = await runChild(contenders[c], [JSON.stringify(args)], { timeoutMs: 120_000 })
          const cpu = process.cpuUsage(cpu0)
          const detail = m.detail as unknown as ChatDetail
          if (detail.completionTokens !== plan.tokens || detail.deltas !== plan.tokens) {
            throw new Error(`${c}: ${detail.deltas} deltas, ${detail.completionTokens} completion tokens; expected ${plan.tokens}`)
          }
          reference ??= detail
          if (detail.chars !== reference.chars) {
            throw new Error(`${c}: ${detail.chars} characters of text where another contender got ${reference.chars}`)
          }
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
    console.log(
      `\n  ${plan.tokens.toLocaleString("en-US")} tokens (${reference?.chars.toLocaleString("en-US")} characters), ` +
        `medians of ${repetitions} (load average ${loadavg()[0]!.toFixed(1)}; cpu = user + system from ` +
        `connected to the end of the stream):\n`
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
      `\n  targets vs the floor: cpu ≤ 1.50× (${cpuVsFloor <= 1.5 ? "met" : "MISSED"}), ` +
        `heap ≤ 1.50× (${heapVsFloor <= 1.5 ? "met" : "MISSED"}; retained ${retainedVsFloor.toFixed(2)}×)`
    )
    return [
      `RESULT chat-stream cpu ours/official=${cpuVsOfficial.toFixed(2)} ours/floor=${cpuVsFloor.toFixed(2)}`,
      `RESULT chat-stream heap ours/official=${heapVsOfficial.toFixed(2)} ours/floor=${heapVsFloor.toFixed(2)} ` +
      `retained ours/official=${retainedVsOfficial.toFixed(2)} ours/floor=${retainedVsFloor.toFixed(2)}`
    ]
  }
}
