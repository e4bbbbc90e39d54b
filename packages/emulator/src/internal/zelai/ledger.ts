/**
 * The ZelAI emulator's account ledger: per key and operation, the jobs running now, the requests and
 * tokens of the day, successes and failures — the source of `get_settings`, `get_usage`,
 * `get_rate_limits` and of the rate-limit and concurrency refusals (zelai.md §9, A11: image, video and llm
 * are concurrency caps plus daily counters; cdn is a window counter).
 *
 * @internal
 */

/** @internal */
export type Operation = "image" | "video" | "llm" | "cdn"

/** @internal */
export const OPERATIONS: ReadonlyArray<Operation> = ["image", "video", "llm", "cdn"]

/** Limits of one operation. @internal */
export interface Limit {
  readonly requestsPer15Min: number
  readonly requestsPerDay: number
  readonly tokensPer15Min?: number | undefined
  readonly tokensPerDay?: number | undefined
  readonly maxPromptLength?: number | undefined
}

/** The documented v1.12 values (zelai.md §9.4). @internal */
export const DEFAULT_LIMITS: Readonly<Record<Operation, Limit>> = {
  image: { requestsPer15Min: 15, requestsPerDay: 100 },
  video: { requestsPer15Min: 5, requestsPerDay: 30 },
  llm: { requestsPer15Min: 30, requestsPerDay: 300, tokensPer15Min: 150_000, tokensPerDay: 1_500_000, maxPromptLength: 90_000 },
  cdn: { requestsPer15Min: 200, requestsPerDay: 5000 }
}

interface Day {
  total: number
  tokens: number
  readonly byOperation: Record<Operation, number>
}

interface Counters {
  running: number
  windowRequests: number
  windowTokens: number
  dayRequests: number
  dayTokens: number
}

/** @internal */
export interface KeyLedger {
  readonly counters: Record<Operation, Counters>
  readonly days: Map<string, Day>
  succeeded: number
  failed: number
  lastUsedAt: number | undefined
}

const fresh = (): Counters => ({ running: 0, windowRequests: 0, windowTokens: 0, dayRequests: 0, dayTokens: 0 })

/** @internal */
export const makeKeyLedger = (): KeyLedger => ({
  counters: { image: fresh(), video: fresh(), llm: fresh(), cdn: fresh() },
  days: new Map(),
  succeeded: 0,
  failed: 0,
  lastUsedAt: undefined
})

const quarter = 15 * 60_000

/** The end of the current quarter-hour window and of the UTC day. @internal */
export const resetTimes = (now: number) => {
  const window15Min = new Date(Math.floor(now / quarter) * quarter + quarter).toISOString()
  const d = new Date(now)
  const daily = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString()
  return { window15Min, daily }
}

/**
 * Whether a new request of `op` may start: `undefined`, or the refusal (code, message, retry delay).
 *
 * @internal
 */
export const admit = (
  ledger: KeyLedger,
  limits: Readonly<Record<Operation, Limit>>,
  op: Operation,
  now: number,
  concurrentRetryAfterSeconds: number
): { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } | undefined => {
  const c = ledger.counters[op]
  const limit = limits[op]
  const resets = resetTimes(now)
  if (c.dayRequests >= limit.requestsPerDay) {
    return {
      code: "RATE_LIMIT_EXCEEDED",
      message: "Rate limit exceeded. Please try again later.",
      details: { operation: op, resetAt: resets.daily, retryAfter: Math.ceil((Date.parse(resets.daily) - now) / 1000) }
    }
  }
  if (op === "cdn" ? c.windowRequests >= limit.requestsPer15Min : c.running >= limit.requestsPer15Min) {
    return op === "cdn"
      ? {
        code: "RATE_LIMIT_EXCEEDED",
        message: "Rate limit exceeded. Please try again later.",
        details: { operation: op, resetAt: resets.window15Min }
      }
      : {
        code: "CONCURRENT_LIMIT_EXCEEDED",
        message: `Too many simultaneous ${op} operations (limit ${limit.requestsPer15Min})`,
        details: { operation: op, retryAfter: concurrentRetryAfterSeconds }
      }
  }
  return undefined
}

const dayKey = (now: number) => new Date(now).toISOString().slice(0, 10)

/** A request of `op` started. @internal */
export const start = (ledger: KeyLedger, op: Operation, now: number): void => {
  const c = ledger.counters[op]
  c.running++
  c.windowRequests++
  c.dayRequests++
  ledger.lastUsedAt = now
  const key = dayKey(now)
  let day = ledger.days.get(key)
  if (day === undefined) {
    day = { total: 0, tokens: 0, byOperation: { image: 0, video: 0, llm: 0, cdn: 0 } }
    ledger.days.set(key, day)
  }
  day.total++
  day.byOperation[op]++
}

/** A request of `op` ended (`tokens` for LLM calls). @internal */
export const end = (ledger: KeyLedger, op: Operation, ok: boolean, tokens: number, now: number): void => {
  const c = ledger.counters[op]
  c.running = Math.max(0, c.running - 1)
  c.windowTokens += tokens
  c.dayTokens += tokens
  if (ok) ledger.succeeded++
  else ledger.failed++
  const day = ledger.days.get(dayKey(now))
  if (day !== undefined) day.tokens += tokens
}

/** `data.settings` (§9.1). @internal */
export const settingsOf = (ledger: KeyLedger, limits: Readonly<Record<Operation, Limit>>, now: number) => {
  const resets = resetTimes(now)
  const currentUsage: Record<string, unknown> = {}
  for (const op of OPERATIONS) {
    const c = ledger.counters[op]
    const l = limits[op]
    currentUsage[op] = {
      current: {
        requestsPer15Min: op === "cdn" ? c.windowRequests : c.running,
        requestsPerDay: c.dayRequests,
        tokensPer15Min: c.windowTokens,
        tokensPerDay: c.dayTokens
      },
      remaining: {
        requestsPer15Min: Math.max(0, l.requestsPer15Min - (op === "cdn" ? c.windowRequests : c.running)),
        requestsPerDay: Math.max(0, l.requestsPerDay - c.dayRequests)
      },
      resetAt: resets
    }
  }
  return {
    status: "active",
    rateLimits: Object.fromEntries(OPERATIONS.map((op) => [op, limits[op]])),
    currentUsage,
    ...(ledger.lastUsedAt !== undefined ? { lastUsedAt: new Date(ledger.lastUsedAt).toISOString() } : {})
  }
}

/** `data.usage` (§9.2). @internal */
export const usageOf = (ledger: KeyLedger, days: number, now: number) => {
  const start = now - days * 86_400_000
  const startKey = dayKey(start)
  const daily = [...ledger.days.entries()]
    .filter(([date]) => date >= startKey)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, d]) => ({ date, total: d.total, byOperation: { ...d.byOperation }, tokens: d.tokens }))
  const byOperation: Record<string, number> = { image: 0, video: 0, llm: 0, cdn: 0 }
  let total = 0
  let totalTokens = 0
  for (const d of daily) {
    total += d.total
    totalTokens += d.tokens
    for (const [op, n] of Object.entries(d.byOperation)) byOperation[op] = (byOperation[op] ?? 0) + n
  }
  const finished = ledger.succeeded + ledger.failed
  return {
    period: { start: new Date(start).toISOString(), end: new Date(now).toISOString(), days },
    summary: {
      total,
      byOperation,
      totalTokens,
      successRate: finished === 0 ? 100 : Math.round((ledger.succeeded / finished) * 10_000) / 100
    },
    daily
  }
}

/** `data.rateLimits` (§9.3). @internal */
export const rateLimitsOf = (ledger: KeyLedger, limits: Readonly<Record<Operation, Limit>>, now: number, retryAfter: number) =>
  OPERATIONS.map((op) => {
    const c = ledger.counters[op]
    const l = limits[op]
    const used15 = op === "cdn" ? c.windowRequests : c.running
    return {
      operation: op,
      allowed: admit(ledger, limits, op, now, retryAfter) === undefined,
      remaining15min: Math.max(0, l.requestsPer15Min - used15),
      remainingDaily: Math.max(0, l.requestsPerDay - c.dayRequests),
      current: { requestsPer15Min: used15, requestsPerDay: c.dayRequests, tokensPer15Min: c.windowTokens, tokensPerDay: c.dayTokens },
      limit: {
        requestsPer15Min: l.requestsPer15Min,
        requestsPerDay: l.requestsPerDay,
        ...(op === "llm" ? { tokensPer15Min: l.tokensPer15Min, tokensPerDay: l.tokensPerDay } : {})
      },
      resetAt: resetTimes(now)
    }
  })
