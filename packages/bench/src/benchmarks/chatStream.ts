/**
 * chat-stream: one 100k-token chat reply from the embedded emulator's mock LLM (`[[long]]`, one token
 * per `jobTokens` frame), consumed by three contenders, each in its own process, alternating, several
 * times; medians compared:
 *
 * - floor: raw `ws` (decode every frame, count the job's deltas and characters);
 * - ours: `@effect-sogni/chat` `Chat.stream` + `Stream.runForEach`;
 * - adapter: `@effect-sogni/client` `chat.completions.create({ stream: true })` + `for await`;
 * - official: `@sogni-ai/sogni-client` `chat.completions.create({ stream: true })` + `for await`.
 *
 * Two sources: `paced` (the emulator itself, at the pace below) and `saturating` (a stub that answers the
 * `llmJobRequest` with the emulator's recorded reply as fast as the socket drains, 100 frames per turn,
 * corked; REST proxied to the emulator): see `chatStream/saturatingHost.ts`. `BENCH_CHAT_SOURCES=paced` (or
 * `saturating`) runs one source only.
 *
 * Targets (issue 15): ours and the adapter ≤ 0.6× the official client's CPU, ≤ 1.0× its heap, ≤ 1.5× the
 * floor's CPU, and the same chunk count as the official client.
 */
import { loadavg } from "node:os"
import { type Benchmark, heapLegend, median, runChild, runLine, summarize, summaryRow, table } from "../Benchmark.js"
import type { Measurement } from "../child.js"
import { type EmulatorHost, startEmulator } from "../chatStream/emulatorHost.js"
import { type ChatDetail, type ContenderArgs, defaultPlan } from "../chatStream/plan.js"
import { startSaturating } from "../chatStream/saturatingHost.js"

const contenders = {
  floor: new URL("../chatStream/floor.ts", import.meta.url),
  ours: new URL("../chatStream/ours.ts", import.meta.url),
  adapter: new URL("../chatStream/adapter.ts", import.meta.url),
  official: new URL("../chatStream/official.ts", import.meta.url)
} as const
type Contender = keyof typeof contenders
const labels: Record<Contender, string> = {
  floor: "floor (raw ws)",
  ours: "ours (Chat.stream)",
  adapter: "adapter (effect-sogni/client)",
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

type Source = "saturating" | "paced"
const sources: ReadonlyArray<Source> = (process.env.BENCH_CHAT_SOURCES ?? "saturating,paced")
  .split(",")
  .map((x) => x.trim())
  .filter((x): x is Source => x === "saturating" || x === "paced")

/**
 * Runs every contender against one source. `reference.chars` is the reply's length in characters: the
 * first run sets it, every later run (of either source) must match it.
 */
const runSource = async (
  source: Source,
  emulator: EmulatorHost,
  reference: { chars?: number }
): Promise<ReadonlyArray<string>> => {
  const plan = defaultPlan
  const host = source === "paced" ? emulator : await startSaturating(emulator, plan)
  const runs: Record<Contender, Array<Measurement>> = { floor: [], ours: [], adapter: [], official: [] }
  const serverCpu: Record<Contender, Array<number>> = { floor: [], ours: [], adapter: [], official: [] }
  const session = `${process.pid.toString(36)}${Date.now().toString(36)}`
  const deltas: Record<Contender, Array<number>> = { floor: [], ours: [], adapter: [], official: [] }
  console.log(
    `\n  -- source: ${
      source === "paced"
        ? `the emulator (bursts of ${tokensPerTick} frames, speed ${speed})`
        : "saturating stub (the emulator's recorded reply, 100 frames per turn, corked)"
    }`
  )
  try {
    for (let i = 0; i < repetitions; i++) {
      const order: ReadonlyArray<Contender> = i % 2 === 0
        ? ["floor", "ours", "adapter", "official"]
        : ["official", "adapter", "ours", "floor"]
      for (const c of order) {
        const args: ContenderArgs = {
          url: host.url,
          wsUrl: host.wsUrl,
          apiKey: host.apiKey,
          appId: `bench-chat-${c}-${source}-${session}-${i}`,
          plan
        }
        const cpu0 = process.cpuUsage()
        const m = await runChild(contenders[c], [JSON.stringify(args)], { timeoutMs: 120_000 })
        const cpu = process.cpuUsage(cpu0)
        const detail = m.detail as unknown as ChatDetail
        // the text and the token count must be the same everywhere (hard check); the number of deltas
        // may be smaller only for ours and the adapter, whose chat buffer merges text deltas once the
        // consumer falls `streamBufferSize` chunks behind (packages/chat/src/internal/chunkBuffer.ts):
        // that is reported (`deltas`, the chunk-count target), not thrown
        const mayMerge = c === "ours" || c === "adapter"
        if (detail.completionTokens !== plan.tokens || (mayMerge ? detail.deltas > plan.tokens : detail.deltas !== plan.tokens)) {
          throw new Error(`${source} ${c}: ${detail.deltas} deltas, ${detail.completionTokens} completion tokens; expected ${plan.tokens}`)
        }
        if (detail.deltas !== plan.tokens) {
          console.log(`  ${source} ${c}: ${detail.deltas} text deltas for ${plan.tokens} tokens (the chat buffer merged deltas: its consumer fell behind)`)
        }
        reference.chars ??= detail.chars
        if (detail.chars !== reference.chars) {
          throw new Error(`${source} ${c}: ${detail.chars} characters of text where another run got ${reference.chars}`)
        }
        deltas[c].push(detail.deltas)
        runs[c].push(m)
        serverCpu[c].push((cpu.user + cpu.system) / 1000)
        console.log(runLine(i, repetitions, c, m, (cpu.user + cpu.system) / 1000))
      }
    }
  } finally {
    if (host !== emulator) await host.close()
  }

  const summary = (c: Contender) => summarize(runs[c], serverCpu[c])
  const s = { floor: summary("floor"), ours: summary("ours"), adapter: summary("adapter"), official: summary("official") }
  const row = (c: Contender) => summaryRow(labels[c], s[c], s.floor)
  console.log(
    `\n  ${source}: ${plan.tokens.toLocaleString("en-US")} tokens (${reference.chars?.toLocaleString("en-US")} characters), ` +
      `medians of ${repetitions} (load average ${loadavg()[0]!.toFixed(1)}; cpu = user + system from ` +
      `connected to the end of the stream):\n`
  )
  console.log(
    table(
      ["contender", "cpu ms", "cpu range", "×floor", "heap MB", "×floor", "retained MB", "×floor", "end MB", "base MB", "wall ms", "source cpu ms"],
      (["floor", "ours", "adapter", "official"] as const).map(row)
    ).replace(/^/gm, "  ")
  )
  console.log(`\n  ${heapLegend()}`)
  const r = (a: number, b: number) => (a / b).toFixed(2)
  const verdict = (value: number, bound: number) => `${value.toFixed(2)} ≤ ${bound.toFixed(2)} ${value <= bound ? "met" : "MISSED"}`
  const chunks = (c: Contender) => median(runs[c].map((m) => m.count))
  for (const c of ["ours", "adapter"] as const) {
    console.log(
      `\n  targets (${source}, ${c}): cpu/official ${verdict(s[c].cpuMs / s.official.cpuMs, 0.6)}, ` +
        `heap/official ${verdict(s[c].heapBytes / s.official.heapBytes, 1)}, cpu/floor ${verdict(s[c].cpuMs / s.floor.cpuMs, 1.5)}, ` +
        `chunks ${chunks(c)} vs official ${chunks("official")} (${chunks(c) === chunks("official") ? "met" : "MISSED"})`
    )
  }
  const name = source === "paced" ? "chat-stream" : "chat-stream-saturating"
  return [
    `RESULT ${name} cpu ours/official=${r(s.ours.cpuMs, s.official.cpuMs)} ours/floor=${r(s.ours.cpuMs, s.floor.cpuMs)} ` +
    `adapter/official=${r(s.adapter.cpuMs, s.official.cpuMs)} adapter/floor=${r(s.adapter.cpuMs, s.floor.cpuMs)}`,
    `RESULT ${name} heap ours/official=${r(s.ours.heapBytes, s.official.heapBytes)} ours/floor=${r(s.ours.heapBytes, s.floor.heapBytes)} ` +
    `adapter/official=${r(s.adapter.heapBytes, s.official.heapBytes)} ` +
    `retained ours/official=${r(s.ours.retainedBytes, s.official.retainedBytes)} ours/floor=${r(s.ours.retainedBytes, s.floor.retainedBytes)} ` +
    `adapter/official=${r(s.adapter.retainedBytes, s.official.retainedBytes)} ` +
    `sampled ours/official=${r(s.ours.sampledHeapBytes, s.official.sampledHeapBytes)} adapter/official=${r(s.adapter.sampledHeapBytes, s.official.sampledHeapBytes)}`,
    `RESULT ${name} chunks official=${chunks("official")} ours=${chunks("ours")} adapter=${chunks("adapter")} ` +
    `ours-adapter-match=${chunks("ours") === chunks("official") && chunks("adapter") === chunks("official")} ` +
    `deltas official=${median(deltas.official)} ours=${median(deltas.ours)} adapter=${median(deltas.adapter)} ` +
    `ours-by-tag=${JSON.stringify((runs.ours.at(-1)?.detail as { byTag?: unknown } | undefined)?.byTag ?? {})}`
  ]
}

export const chatStream: Benchmark = {
  name: "chat-stream",
  description: `one ${defaultPlan.tokens.toLocaleString("en-US")}-token chat stream from the emulator's mock LLM, ` +
    `from ${sources.join(" and ")} (paced: bursts of ${tokensPerTick} frames, speed ${speed})`,
  run: async () => {
    const emulator = await startEmulator(defaultPlan, { speed, tokensPerTick })
    const results: Array<string> = []
    const reference: { chars?: number } = {}
    try {
      for (const source of sources) results.push(...(await runSource(source, emulator, reference)))
    } finally {
      await emulator.close()
    }
    return results
  }
}
