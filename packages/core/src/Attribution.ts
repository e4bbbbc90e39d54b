/**
 * Connection attribution (socket.md §2): how a caller reaches Sogni — a person in an app, an external
 * agent, a service — and, for agents, which framework and surface. It travels as flat query parameters
 * on the WebSocket URL (`interactionKind`, `agentFramework`, `agentFrameworkVersion`, `agentSurface`,
 * `agentSurfaceVersion`, `executionMode`). As in the official client, values that break a rule are
 * dropped rather than failing the connection; {@link connectionProblems} names them for callers that
 * want to know.
 *
 * @example
 * ```ts
 * import { Sogni } from "@effect-sogni/core"
 *
 * const layer = Sogni.layer({
 *   appId: "my-agent",
 *   connectionAttribution: { interactionKind: "external_agent", agentFramework: "claude-code", agentSurface: "cli" }
 * })
 * ```
 *
 * @since 0.1.0
 */

/** One of `human_ui`, `external_agent`, `service`, `unknown`. @since 0.1.0 */
export type InteractionKind = "human_ui" | "external_agent" | "service" | "unknown"

/** The integration surface used to reach Sogni. @since 0.1.0 */
export type AgentSurface =
  | "native_web"
  | "native_mobile"
  | "native_desktop"
  | "plugin"
  | "personal_skill"
  | "mcp"
  | "cli"
  | "sdk"
  | "openai_compatible"
  | "direct_api"
  | "unknown"

/** Where an agent product executes. @since 0.1.0 */
export type ExecutionMode = "browser" | "durable" | "server" | "unknown"

/** Attribution sent when the socket connects (the official `ConnectionAttribution`). @since 0.1.0 */
export interface ConnectionAttribution {
  readonly interactionKind?: InteractionKind | undefined
  /** Canonical agent host, e.g. `codex`, `claude-code`; ≤ 128 chars, no control characters. */
  readonly agentFramework?: string | undefined
  /** Starts with a digit, `[0-9A-Za-z.+_-]`, ≤ 32 chars. */
  readonly agentFrameworkVersion?: string | undefined
  readonly agentSurface?: AgentSurface | undefined
  /** Same rule as `agentFrameworkVersion`. */
  readonly agentSurfaceVersion?: string | undefined
  readonly executionMode?: ExecutionMode | undefined
}

const INTERACTION_KINDS: ReadonlySet<string> = new Set(["human_ui", "external_agent", "service", "unknown"])
const AGENT_SURFACES: ReadonlySet<string> = new Set([
  "native_web",
  "native_mobile",
  "native_desktop",
  "plugin",
  "personal_skill",
  "mcp",
  "cli",
  "sdk",
  "openai_compatible",
  "direct_api",
  "unknown"
])
const EXECUTION_MODES: ReadonlySet<string> = new Set(["browser", "durable", "server", "unknown"])
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const VERSION = /^[0-9][0-9A-Za-z.+_-]*$/

type Rule = (value: string) => string | undefined

function oneOf(allowed: ReadonlySet<string>): Rule {
  return (v) => allowed.has(v) ? undefined : `one of ${[...allowed].join(", ")}`
}
function bounded(max: number): Rule {
  return (v) =>
    v.length === 0 ? "non-empty" : v.length > max ? `at most ${max} characters` : CONTROL.test(v) ? "no control characters" : undefined
}
const version: Rule = function(v) {
  return bounded(32)(v) ?? (VERSION.test(v) ? undefined : "starts with a digit, then [0-9A-Za-z.+_-]")
}

/** The wire fields in the official client's order, each with its rule. @since 0.1.0 */
export const connectionFields: ReadonlyArray<readonly [keyof ConnectionAttribution, Rule]> = [
  ["interactionKind", oneOf(INTERACTION_KINDS)],
  ["agentFramework", bounded(128)],
  ["agentFrameworkVersion", version],
  ["agentSurface", oneOf(AGENT_SURFACES)],
  ["agentSurfaceVersion", version],
  ["executionMode", oneOf(EXECUTION_MODES)]
]

/**
 * The fields a connection sends: trimmed, those that break their rule dropped (the official client's
 * normalisation). Empty when nothing valid is left.
 *
 * @since 0.1.0
 */
export function normalizeConnection(input: unknown): Readonly<Record<string, string>> {
  if (typeof input !== "object" || input === null) return {}
  const out: Record<string, string> = {}
  for (const [field, rule] of connectionFields) {
    const raw = (input as Record<string, unknown>)[field]
    if (typeof raw !== "string") continue
    const value = raw.trim()
    if (rule(value) === undefined) out[field] = value
  }
  return out
}

/**
 * The fields {@link normalizeConnection} would drop, each with the rule it breaks (for a warning).
 *
 * @since 0.1.0
 */
export function connectionProblems(input: unknown): ReadonlyArray<{ readonly field: string; readonly rule: string }> {
  if (typeof input !== "object" || input === null) return []
  const problems: Array<{ field: string; rule: string }> = []
  for (const [field, rule] of connectionFields) {
    const raw = (input as Record<string, unknown>)[field]
    if (raw === undefined) continue
    const broken = typeof raw === "string" ? rule(raw.trim()) : "a string"
    if (broken !== undefined) problems.push({ field, rule: broken })
  }
  return problems
}
