/**
 * Records the events a client emits, on every emitter a program can listen to (`apiClient`,
 * `projects`, `chat`, each `Project` and each `Job`), as `emitter event shape` lines. A payload's shape
 * is its kind and, for an object, its defined keys with their kinds (values are left out: ids, URLs and
 * timings differ between two runs). Used by EventParity.test.ts to run one scenario through the official
 * client and through the adapter and compare what a listener sees.
 */

/** The listener API both clients share. */
export interface Emitting {
  on(event: string, listener: (data: unknown) => void): () => void
}

/** What a scenario touches of a client: the official client and the adapter both fit. */
export interface ClientLike {
  readonly apiClient: Emitting
  readonly projects: Emitting & {
    create(params: unknown): Promise<ProjectLike>
    waitForModels(): Promise<ReadonlyArray<unknown>>
  }
  readonly chat: Emitting & {
    readonly completions: { create(params: unknown): Promise<unknown> }
  }
  readonly workflows: {
    start(params: unknown): Promise<{ readonly workflowId: string }>
    streamEvents(id: string): AsyncIterable<{ readonly event: string; readonly data?: unknown }>
  }
  dispose(): void | Promise<void>
}

export interface ProjectLike extends Emitting {
  readonly id: string
  waitForCompletion(): Promise<unknown>
}

const kind = (v: unknown): string => {
  if (v === null) return "null"
  if (Array.isArray(v)) return "array"
  if (typeof v === "object") {
    const name = (v as object).constructor?.name
    // a Job or Project instance: its class name is what a listener relies on
    if (name === "Job" || name === "Project") return name
    return "object"
  }
  return typeof v
}

/** The kind of a payload and, for a plain object, its defined keys (sorted) with their kinds. */
export const shapeOf = (v: unknown): string => {
  const k = kind(v)
  if (k !== "object") return k
  const keys = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .map(([key, x]) => `${key}:${kind(x)}`)
    .sort()
  return `{${keys.join(",")}}`
}

/** The `type` of an official project/job event (part of the event's name for comparison). */
const typeOf = (v: unknown): string | undefined =>
  typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string"
    ? (v as { type: string }).type
    : undefined

export interface Recorder {
  readonly lines: Array<string>
  /** Starts recording a project and, as they appear, its jobs. */
  readonly project: (project: ProjectLike) => void
}

const clientEvents = {
  apiClient: ["connecting", "connected", "disconnected"],
  projects: ["project", "job", "availableModels"],
  chat: ["token", "completed", "error", "jobState", "modelsUpdated"]
} as const

const projectEvents = ["progress", "completed", "failed", "jobStarted", "jobCompleted", "jobFailed"]
const jobEvents = ["progress", "completed", "failed"]

/**
 * Listens on the client's emitters. `availableModels` and `modelsUpdated` are recorded once (their
 * number depends on the emulator's timer, not on the client).
 */
export const record = (client: ClientLike): Recorder => {
  const lines: Array<string> = []
  const once = new Set<string>()
  const push = (emitter: string, event: string, data: unknown) => {
    const t = typeOf(data)
    lines.push(`${emitter} ${event}${t !== undefined ? `:${t}` : ""} ${shapeOf(data)}`)
  }
  for (const [emitter, events] of Object.entries(clientEvents)) {
    const target = client[emitter as keyof typeof clientEvents] as Emitting
    for (const event of events) {
      target.on(event, (data) => {
        if (event === "availableModels" || event === "modelsUpdated") {
          if (once.has(event)) return
          once.add(event)
        }
        push(emitter, event, data)
      })
    }
  }
  const seenJobs = new Set<unknown>()
  const project = (p: ProjectLike) => {
    for (const event of projectEvents) {
      p.on(event, (data) => {
        push("project", event, data)
        if (event === "jobStarted" && !seenJobs.has(data)) {
          seenJobs.add(data)
          const job = data as Emitting
          for (const e of jobEvents) job.on(e, (d) => push("job", e, d))
        }
      })
    }
  }
  return { lines, project }
}
