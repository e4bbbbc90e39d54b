/**
 * What a soak scenario returns and how it is printed: a titled table of figures, plus the figures that
 * must be zero (or equal), so the runner can say which promises held.
 */

/** One printed row: a label and its cells. */
export type Row = ReadonlyArray<string | number>

/** A figure that must hold, with what was measured. */
export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/** A scenario's result. */
export interface ScenarioReport {
  readonly title: string
  readonly header: Row
  readonly rows: ReadonlyArray<Row>
  readonly checks: ReadonlyArray<Check>
  readonly notes?: ReadonlyArray<string> | undefined
}

/** A check that `value` is zero. */
export const zero = (name: string, value: number): Check => ({ name, ok: value === 0, detail: `${value}` })

/** A check that `actual` equals `expected`. */
export const equal = (name: string, actual: number, expected: number): Check => ({
  name,
  ok: actual === expected,
  detail: `${actual} of ${expected}`
})

/** Prints a report as an aligned text table, its notes and its checks. */
export const format = (report: ScenarioReport): string => {
  const cells = [report.header, ...report.rows].map((r) => r.map((c) => String(c)))
  const widths = report.header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)))
  // numbers right-aligned, text left-aligned
  const line = (r: ReadonlyArray<string>) =>
    r.map((c, i) => (/^[-\d.>]+$/.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd()
  const out = [
    `== ${report.title}`,
    line(cells[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line)
  ]
  for (const n of report.notes ?? []) out.push(`   ${n}`)
  for (const c of report.checks) out.push(`   [${c.ok ? "ok" : "FAIL"}] ${c.name}: ${c.detail}`)
  return out.join("\n")
}

/** Seconds since `start` (a `performance.now()` value), one decimal. */
export const secondsSince = (start: number): string => ((performance.now() - start) / 1000).toFixed(1)

/** A small deterministic random source (an LCG), so a run can be repeated with `--seed`. */
export const makeRandom = (seed: number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}
