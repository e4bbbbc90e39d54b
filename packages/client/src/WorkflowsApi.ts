/**
 * `sogni.workflows` (durable creative workflows and their templates) and `sogni.replay` (replay
 * records), with the official client's method names and parameter spellings, over
 * `@effect-sogni/workflows`. `streamEvents` is an async iterator that resumes by itself after a dropped
 * connection and ends after the terminal event; leaving the loop (or aborting) closes the connection.
 *
 * @since 0.1.0
 */
import * as Workflow from "@effect-sogni/workflows/Workflow"
import type * as WorkflowError from "@effect-sogni/workflows/WorkflowError"
import * as Workflows from "@effect-sogni/workflows/Workflows"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { defined } from "./internal/defined.js"
import { Emitter } from "./internal/emitter.js"
import type { CallOptions, Runner } from "./internal/runner.js"
import { iterate } from "./internal/streams.js"
import type {
  CreativeWorkflowEvent,
  CreativeWorkflowRecord,
  CreativeWorkflowStatus,
  CreativeWorkflowSseEvent,
  ListWorkflowTemplatesOptions,
  ReplayRecordSummary,
  ReplayWriteResult,
  ReseedCreativeWorkflowParams,
  ReseedCreativeWorkflowResult,
  ResumeCreativeWorkflowParams,
  ResumeCreativeWorkflowResult,
  RunRecord,
  StartCreativeWorkflowParams,
  StreamCreativeWorkflowEventsOptions,
  WorkflowTemplate
} from "./types.js"

/** @internal */
export type WorkflowsRequirements = Workflows.Workflows

const strip = <A extends Record<string, unknown>>(a: A): { [K in keyof A]: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as never

// compiled on first use, not at import
let encodeEventCompiled: ReturnType<typeof makeEncodeEvent> | undefined
const makeEncodeEvent = () => Schema.encodeSync(Workflow.WorkflowEvent)
const encodeEvent = (event: Workflow.WorkflowEvent) => (encodeEventCompiled ??= makeEncodeEvent())(event)

/** A decoded event as the official client's SSE event: `event` is its type, `data` its wire body. */
const toSseEvent = (e: Workflow.WorkflowEvent): CreativeWorkflowSseEvent => {
  const data = encodeEvent(e)
  return { id: e.id, event: e.type, data, raw: `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(data)}` }
}

const billing = (p: ResumeCreativeWorkflowParams | undefined) =>
  strip({
    tokenType: p?.tokenType ?? p?.token_type,
    billingMode: p?.billingMode ?? p?.billing_mode,
    appSource: p?.appSource ?? p?.app_source
  })

/**
 * The plan checker is loaded with the first inline plan, as the workflows package loads it (it brings
 * the platform's tool schemas).
 */
const loadWorkflowPlan: Effect.Effect<typeof import("@effect-sogni/workflows/WorkflowPlan")> = Effect.promise(() =>
  import("@effect-sogni/workflows/WorkflowPlan")
)

/**
 * The official start parameters (either spelling; `workflowId` names a saved template) as the package's
 * request. An inline plan is checked with the package's `WorkflowPlan.validate` (the official type leaves
 * step ids and tool names open; the package's plan does not), which fails with a
 * `WorkflowInvalidRequest` naming the step field and the rule.
 */
export const toStartRequest = (
  p: StartCreativeWorkflowParams
): Effect.Effect<Workflows.StartRequest, WorkflowError.WorkflowInvalidRequest> => {
  const common = strip({
    ...billing(p),
    idempotencyKey: p.idempotencyKey ?? p.idempotency_key,
    mediaReferences: p.mediaReferences ?? p.media_references,
    maxEstimatedCapacityUnits: p.maxEstimatedCapacityUnits ?? p.max_estimated_capacity_units,
    confirmCost: p.confirmCost ?? p.confirm_cost,
    safeContentFilter: p.safeContentFilter ?? p.safe_content_filter
  })
  const templateId = p.workflowId ?? p.workflow_id
  if (templateId !== undefined && p.input === undefined) {
    return Effect.succeed({ ...common, templateId, ...(p.inputs !== undefined ? { inputs: p.inputs } : {}) })
  }
  return Effect.map(
    Effect.flatMap(loadWorkflowPlan, (plans) => plans.validate(p.input, { mediaReferences: common.mediaReferences ?? [] })),
    (input) => ({ ...common, input })
  )
}

/** A template as the official type: `version` and `description` are always there (empty when not sent). */
const toTemplate = (t: Workflow.WorkflowTemplate): WorkflowTemplate =>
  defined({ ...t, version: t.version ?? "", description: t.description ?? "" })

// compiled on first use, not at import
let waitingReasonGuard: ((u: unknown) => u is Workflow.WaitingReason) | undefined
const isWaitingReason = (u: unknown): u is Workflow.WaitingReason => (waitingReasonGuard ??= Schema.is(Workflow.WaitingReason))(u)

/**
 * A record as the official type: a waiting reason this SDK does not know reads as `other`; a status it
 * does not know is passed on as sent (the official type names the known statuses, its code passes any).
 */
const record = (r: Workflow.WorkflowRecord): CreativeWorkflowRecord => {
  const { waitingReason, ...rest } = r as Omit<Workflow.WorkflowRecord, "status"> & { readonly status?: CreativeWorkflowStatus }
  return waitingReason === undefined ? rest : { ...rest, waitingReason: isWaitingReason(waitingReason) ? waitingReason : "other" }
}

/**
 * Splits a chunk of a server-sent event stream into its events (blank-line separated blocks); `data`
 * is parsed as JSON when it is JSON, else kept as text. Comments and unknown fields are skipped.
 *
 * @since 0.1.0
 */
export const parseCreativeWorkflowSseChunk = (chunk: string): Array<CreativeWorkflowSseEvent> =>
  chunk.split(/\r?\n\r?\n/).map((block) => block.trim()).filter((block) => block.length > 0).map((raw) => {
    let id: string | undefined
    let event = "message"
    const data: Array<string> = []
    for (const line of raw.split(/\r?\n/)) {
      if (line === "" || line.startsWith(":")) continue
      const colon = line.indexOf(":")
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "")
      if (field === "id") id = value
      else if (field === "event") event = value === "" ? "message" : value
      else if (field === "data") data.push(value)
    }
    const text = data.join("\n")
    let parsed: unknown = null
    if (text !== "") {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = text
      }
    }
    return { ...(id !== undefined ? { id } : {}), event, data: parsed, raw }
  })

/**
 * The official client's REST groups are event emitters without events; these keep the same listener API.
 *
 * @since 0.1.0
 */
export type NoEvents = Record<never, never>

/**
 * Saved workflow templates (`sogni.workflows.templates`).
 *
 * @since 0.1.0
 */
export class CreativeWorkflowTemplatesApi extends Emitter<NoEvents> {
  /** @internal */
  constructor(private readonly runner: Runner<WorkflowsRequirements>) {
    super()
  }

  private run<A>(f: (s: Workflows.TemplatesService) => Effect.Effect<A, unknown>, signal: AbortSignal | undefined): Promise<A> {
    return this.runner.run(Effect.flatMap(Workflows.Workflows, (w) => f(w.templates)), signal)
  }

  /** One page of templates (`visibility`: own, public or all). */
  async list(options?: ListWorkflowTemplatesOptions): Promise<{ templates: Array<WorkflowTemplate>; nextCursor: number | null }> {
    const page = await this.run(
      (s) => s.list(strip({ visibility: options?.visibility, offset: options?.offset, limit: options?.limit })),
      options?.signal
    )
    return { templates: page.templates.map(toTemplate), nextCursor: page.next ?? null }
  }

  get(id: string, options?: CallOptions): Promise<WorkflowTemplate> {
    return this.run((s) => s.get(id), options?.signal).then(toTemplate)
  }

  create(template: WorkflowTemplate, options?: CallOptions): Promise<WorkflowTemplate> {
    return this.run((s) => s.create(template), options?.signal).then(toTemplate)
  }

  update(id: string, patch: Partial<WorkflowTemplate>, options?: CallOptions): Promise<WorkflowTemplate> {
    return this.run((s) => s.update(id, patch), options?.signal).then(toTemplate)
  }

  async delete(id: string, options?: CallOptions): Promise<void> {
    await this.run((s) => s.delete(id), options?.signal)
  }

  /** Copies a template into the account's own (optionally renamed). */
  fork(id: string, body?: { readonly newName?: string }, options?: CallOptions): Promise<WorkflowTemplate> {
    return this.run((s) => s.fork(id, strip({ newName: body?.newName })), options?.signal).then(toTemplate)
  }
}

/** The template calls (the class's shape). @since 0.1.0 */
export type TemplatesApi = Pick<CreativeWorkflowTemplatesApi, "list" | "get" | "create" | "update" | "delete" | "fork">

/**
 * @since 0.1.0
 */
export class WorkflowsApi extends Emitter<NoEvents> {
  readonly templates: CreativeWorkflowTemplatesApi

  /** @internal */
  constructor(private readonly runner: Runner<WorkflowsRequirements>) {
    super()
    this.templates = new CreativeWorkflowTemplatesApi(runner)
  }

  private run<A>(f: (w: Workflows.WorkflowsService) => Effect.Effect<A, unknown>, signal: AbortSignal | undefined): Promise<A> {
    return this.runner.run(Effect.flatMap(Workflows.Workflows, f), signal)
  }

  /** Starts a workflow from an inline plan (`input`) or a saved template (`workflowId` + `inputs`). Plans are checked locally first. */
  async start(params: StartCreativeWorkflowParams, options?: CallOptions): Promise<CreativeWorkflowRecord> {
    return record(await this.run((w) => Effect.flatMap(toStartRequest(params), w.start), options?.signal))
  }

  async list(options?: { readonly limit?: number; readonly offset?: number } & CallOptions): Promise<ReadonlyArray<CreativeWorkflowRecord>> {
    const page = await this.run((w) => w.list(strip({ limit: options?.limit, offset: options?.offset })), options?.signal)
    return page.workflows.map(record)
  }

  async get(workflowId: string, options?: CallOptions): Promise<CreativeWorkflowRecord> {
    return record(await this.run((w) => w.get(workflowId), options?.signal))
  }

  /** The event history. */
  async events(workflowId: string, options?: CallOptions): Promise<ReadonlyArray<CreativeWorkflowEvent>> {
    const events = await this.run((w) => w.events(workflowId), options?.signal)
    // a status this SDK does not know is passed on as sent, as the official client does
    return events.map((e) => encodeEvent(e) as CreativeWorkflowEvent)
  }

  /**
   * Live events to the terminal one, resuming by itself after a drop (each event once, in order).
   * `after` / `lastEventId` resume after a known event id.
   */
  streamEvents(workflowId: string, options?: StreamCreativeWorkflowEventsOptions): AsyncIterableIterator<CreativeWorkflowSseEvent> {
    const after = options?.after ?? options?.lastEventId
    const stream = Stream.unwrap(
      Effect.map(Workflows.Workflows, (w) =>
        w.streamEvents(workflowId, after !== undefined ? { after: String(after) } : {}))
    ).pipe(Stream.map(toSseEvent))
    return iterate(this.runner, stream, options?.signal)
  }

  async resume(workflowId: string, params?: ResumeCreativeWorkflowParams, options?: CallOptions): Promise<ResumeCreativeWorkflowResult> {
    const r = await this.run((w) => w.resume(workflowId, billing(params)), options?.signal)
    return { workflow: record(r.workflow), resumed: r.resumed }
  }

  async reseed(workflowId: string, params?: ReseedCreativeWorkflowParams, options?: CallOptions): Promise<ReseedCreativeWorkflowResult> {
    const r = await this.run(
      (w) =>
        w.reseed(workflowId, strip({
          ...billing(params),
          seedOverrides: params?.seedOverrides ?? params?.seed_overrides,
          idempotencyKey: params?.idempotencyKey
        })),
      options?.signal
    )
    return { workflow: record(r.workflow), idempotent: r.idempotent, reseed: { clonedFromRunId: r.clonedFromRunId, steps: r.steps } }
  }

  /** Asks the server to stop the workflow (cooperative); resolves with the record. */
  async cancel(workflowId: string, options?: CallOptions): Promise<CreativeWorkflowRecord> {
    return record((await this.run((w) => w.cancel(workflowId), options?.signal)).workflow)
  }

  /** Approves or declines the cost of a workflow paused for cost approval. */
  async confirmCost(
    workflowId: string,
    params: { readonly decision: "confirm" | "cancel"; readonly acceptedCostPreview?: Record<string, unknown>; readonly idempotencyKey?: string },
    options?: CallOptions
  ): Promise<CreativeWorkflowRecord> {
    return record(await this.run((w) => w.confirmCost(workflowId, params), options?.signal))
  }
}

/**
 * Replay records (`/v1/replay/records`).
 *
 * @since 0.1.0
 */
export class ReplayApi extends Emitter<NoEvents> {
  /** @internal */
  constructor(private readonly runner: Runner<WorkflowsRequirements>) {
    super()
  }

  private run<A>(f: (r: Workflows.ReplayService) => Effect.Effect<A, unknown>, signal: AbortSignal | undefined): Promise<A> {
    return this.runner.run(Effect.flatMap(Workflows.Workflows, (w) => f(w.replay)), signal)
  }

  write(record: RunRecord, options?: CallOptions): Promise<ReplayWriteResult> {
    return this.run((r) => r.write(record), options?.signal)
  }

  async list(options?: { readonly limit?: number } & CallOptions): Promise<{ readonly records: ReadonlyArray<ReplayRecordSummary> }> {
    const records = await this.run((r) => r.list(strip({ limit: options?.limit })), options?.signal)
    return { records }
  }

  get(runId: string, options?: CallOptions): Promise<{ readonly record: RunRecord; readonly createTime: number }> {
    return this.run((r) => r.get(runId), options?.signal)
  }
}
