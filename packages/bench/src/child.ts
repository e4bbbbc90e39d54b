/**
 * The child-side measurement kit (plain Node, no Effect, so the floor's process stays lean):
 * a post-GC heap baseline, a ~10 ms heap sampler, and a CPU / wall-clock window.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics } from "node:v8"

/** Marker line a child prints (last) on stdout with its JSON measurement. */
export const REPORT_PREFIX = "BENCH_REPORT "

/** What a contender process reports to the parent. */
export interface Measurement {
  readonly contender: string
  /** user + system CPU over the measured window, in ms. */
  readonly cpuMs: number
  /** wall-clock length of the measured window, in ms. */
  readonly wallMs: number
  /** share of the window the event loop was busy (`performance.eventLoopUtilization`). */
  readonly busy: number
  /**
   * peak `heapUsed` minus the post-GC baseline, in bytes: the larger of the ~10 ms samples and V8's own
   * figure right before each collection in the window (where the peak is: the young generation is
   * full then). Includes the young generation's garbage, so it grows with the semi-space size.
   */
  readonly heapBytes: number
  /**
   * the peak of the ~10 ms samples alone (the figure `heapBytes` was before it read the before-GC
   * statistics): how full the young generation happened to be when a timer ran, so it varies with
   * how often a contender scavenges relative to the sampler.
   */
  readonly sampledHeapBytes: number
  /**
   * peak `heapUsed` right after a garbage collection (scavenge or mark-compact; not after an
   * incremental-marking step, which frees nothing) during the window, minus the baseline, in bytes: what survived the collection (live objects, plus objects already
   * promoted to the old space that died there and wait for the next mark-compact), without the
   * young generation's dead objects. 0 when no such collection ran in the window.
   */
  readonly retainedBytes: number
  /**
   * `heapUsed` after a full GC right after the window closed (outside the CPU figures), minus the
   * baseline, in bytes: what the contender still holds at the end (old-space garbage included in
   * `retainedBytes` is gone here).
   */
  readonly endBytes: number
  /** collections during the window, by V8 type (`Scavenge`, `MarkSweepCompact`, ...). */
  readonly gcs: Record<string, number>
  readonly baselineHeapBytes: number
  /** frames (or events, or tokens) handled in the window. */
  readonly count: number
  /** free-form checks (e.g. per-type counts) shown when something looks off. */
  readonly detail?: Record<string, unknown>
}

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g === undefined) throw new Error("run with --expose-gc")
  g()
  g()
}

/**
 * `BENCH_CPU_PROF=<dir>`: each child also records a V8 CPU profile of its measured window (from
 * `start()` to `stop()`, nothing of the start-up) into `<dir>/<contender>-<pid>.cpuprofile`.
 */
const profileDir = process.env.BENCH_CPU_PROF !== undefined && process.env.BENCH_CPU_PROF.length > 0
  ? process.env.BENCH_CPU_PROF
  : undefined

/**
 * `BENCH_HEAP_PROF=<dir>`: each child also records a V8 sampling heap profile of its measured window into
 * `<dir>/<contender>-<pid>.heapprofile` (Chrome DevTools, Memory tab). `BENCH_HEAP_PROF_KEEP` picks which
 * allocations it keeps: `live` (default: still alive at the end), `major` (also those a full GC
 * collected: objects that were promoted to the old space and died there), `all` (also those a
 * scavenge collected: every allocation, sampled).
 */
const heapProfileDir = process.env.BENCH_HEAP_PROF !== undefined && process.env.BENCH_HEAP_PROF.length > 0
  ? process.env.BENCH_HEAP_PROF
  : undefined
const heapProfileKeep = process.env.BENCH_HEAP_PROF_KEEP ?? "live"

const startProfiler = (): Session | undefined => {
  if (profileDir === undefined && heapProfileDir === undefined) return undefined
  const session = new Session()
  session.connect()
  if (profileDir !== undefined) {
    session.post("Profiler.enable")
    session.post("Profiler.start")
  }
  if (heapProfileDir !== undefined) {
    session.post("HeapProfiler.enable")
    session.post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: heapProfileKeep !== "live",
      includeObjectsCollectedByMinorGC: heapProfileKeep === "all"
    } as object)
  }
  return session
}

const stopProfiler = (session: Session | undefined, contender: string): void => {
  if (session === undefined) return
  if (profileDir !== undefined) {
    session.post("Profiler.stop", (error, result) => {
      if (error === null) writeFileSync(join(profileDir, `${contender}-${process.pid}.cpuprofile`), JSON.stringify(result.profile))
    })
  }
  if (heapProfileDir !== undefined) {
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (error === null) {
        writeFileSync(join(heapProfileDir, `${contender}-${process.pid}.heapprofile`), JSON.stringify(result.profile))
      }
    })
  }
  session.disconnect()
}

/**
 * `BENCH_GC_SPACES=1`: each child also prints to stderr its baseline's heap spaces and, for every collection
 * in the measured window, the new / old / code / large-object space sizes (used, in MB) before and after it,
 * with the heap total: where the peak is (the young generation at a scavenge) and what the old space grew by.
 */
const gcSpaces = process.env.BENCH_GC_SPACES !== undefined && process.env.BENCH_GC_SPACES.length > 0 &&
  process.env.BENCH_GC_SPACES !== "0"

interface SpaceSizes {
  readonly new: number
  readonly old: number
  readonly code: number
  readonly lo: number
}

const spaceSizes = (
  spaces: ReadonlyArray<{ readonly spaceName?: string; readonly space_name?: string; readonly spaceUsedSize?: number; readonly space_used_size?: number }>
): SpaceSizes => {
  const out = { new: 0, old: 0, code: 0, lo: 0 }
  for (const s of spaces) {
    const name = s.spaceName ?? s.space_name ?? ""
    const used = s.spaceUsedSize ?? s.space_used_size ?? 0
    if (name === "new_space") out.new += used
    else if (name === "old_space") out.old += used
    else if (name === "code_space") out.code += used
    else if (name.endsWith("large_object_space")) out.lo += used
  }
  return out
}

const mb = (bytes: number): string => (bytes / 1048576).toFixed(2)

const showSpaces = (s: SpaceSizes, total: number): string =>
  `new ${mb(s.new)} old ${mb(s.old)} code ${mb(s.code)} lo ${mb(s.lo)} (used ${mb(total)})`

/** `GCProfiler` types of the collections after which `retainedBytes` looks at `heapUsed`. */
const collecting: ReadonlySet<string> = new Set(["Scavenge", "MinorMarkSweep", "MinorMarkCompact", "MarkSweepCompact"])

/**
 * Takes the post-GC baseline now and starts sampling `heapUsed` every `intervalMs`; call `start`
 * right before the work (CPU / wall window) and `stop` right after it.
 */
export const makeMeter = (intervalMs = 10) => {
  gc()
  // `used_heap_size` is `process.memoryUsage().heapUsed` without the RSS read: ~7× cheaper per sample
  const baseline = getHeapStatistics().used_heap_size
  if (gcSpaces) process.stderr.write(`[gc-spaces ${process.pid}] baseline ${showSpaces(spaceSizes(getHeapSpaceStatistics()), baseline)}\n`)
  let peak = baseline
  const sample = () => {
    const h = getHeapStatistics().used_heap_size
    if (h > peak) peak = h
  }
  const timer = setInterval(sample, intervalMs)
  let cpu0: NodeJS.CpuUsage | undefined
  let t0 = 0
  let elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined
  let profiler: Session | undefined
  // V8 records the heap statistics before and after every collection from inside the GC epilogue,
  // so the "after" figure is exact, not delayed to whenever a callback next runs
  const gcProfiler = new GCProfiler()
  return {
    baseline,
    /** Opens the CPU / wall window. */
    start: () => {
      profiler = startProfiler()
      sample()
      gcProfiler.start()
      cpu0 = process.cpuUsage()
      t0 = performance.now()
      elu0 = performance.eventLoopUtilization()
    },
    /** Samples once more as well, for callers that can cheaply sample from the hot path. */
    sample,
    /** Closes the window and stops sampling. */
    stop: (contender: string, count: number, detail?: Record<string, unknown>): Measurement => {
      const cpu = process.cpuUsage(cpu0)
      const wallMs = performance.now() - t0
      const busy = performance.eventLoopUtilization(elu0).utilization
      sample()
      clearInterval(timer)
      const collections = gcProfiler.stop()?.statistics ?? []
      stopProfiler(profiler, contender)
      let retainedPeak = baseline
      // the heap is at its largest right before a collection: V8 records that figure too, exactly
      let beforePeak = peak
      const gcs: Record<string, number> = {}
      for (const c of collections) {
        if (gcSpaces) {
          process.stderr.write(
            `[gc-spaces ${process.pid}] ${contender} ${c.gcType} ${(c.cost / 1000).toFixed(2)} ms: before ${
              showSpaces(spaceSizes(c.beforeGC.heapSpaceStatistics), c.beforeGC.heapStatistics.usedHeapSize)
            } after ${showSpaces(spaceSizes(c.afterGC.heapSpaceStatistics), c.afterGC.heapStatistics.usedHeapSize)}\n`
          )
        }
        gcs[c.gcType] = (gcs[c.gcType] ?? 0) + 1
        if (c.beforeGC.heapStatistics.usedHeapSize > beforePeak) beforePeak = c.beforeGC.heapStatistics.usedHeapSize
        // only the types that free memory: an incremental-marking step or weak-callback pass does not
        if (!collecting.has(c.gcType)) continue
        if (c.afterGC.heapStatistics.usedHeapSize > retainedPeak) retainedPeak = c.afterGC.heapStatistics.usedHeapSize
      }
      gc()
      const end = getHeapStatistics().used_heap_size
      return {
        contender,
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs,
        busy,
        heapBytes: beforePeak - baseline,
        sampledHeapBytes: peak - baseline,
        retainedBytes: collections.length === 0 ? 0 : retainedPeak - baseline,
        endBytes: end - baseline,
        gcs,
        baselineHeapBytes: baseline,
        count,
        ...(detail !== undefined ? { detail } : {})
      }
    }
  }
}

/** Prints the report line the parent looks for. */
export const report = (m: Measurement): void => {
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(m)}\n`)
}
