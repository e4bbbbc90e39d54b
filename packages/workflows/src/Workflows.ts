/**
 * Durable creative workflows, workflow templates and replay records (workflows.md) on core's
 * {@link SogniRest}: auth, timeouts and the single retry policy are core's; this module owns the wire
 * shapes (top-level snake_case bodies, `{status, data}` envelopes, bare replay bodies), local checks,
 * error classification and the resumable event stream.
 *
 * - `start` sends an inline plan (checked first with {@link WorkflowPlan.validate}) or a saved template
 *   with inputs. Every start carries an `Idempotency-Key` (yours, or a fresh one), so core may retry it
 *   without ever starting a second workflow.
 * - `streamEvents(id)` is a `Stream<WorkflowEvent>` that reconnects by itself after a dropped connection,
 *   resuming after the last delivered event (`?after=` and `Last-Event-ID`), delivers each event once and
 *   in order, absorbs heartbeats and ends after the terminal event (`completed`, `partial_failure`,
 *   `failed`, `cancelled`). Only a real event counts: one with an `id:` line, a `sequence` (integer ≥ 0)
 *   its decimal `id:` agrees with, and a type its `event:` line names; any other frame is logged and
 *   skipped and moves neither the resume point nor the replay watermark. Interrupting it closes the
 *   connection.
 * - `resume`, `reseed`, `cancel` and `confirmCost` move a workflow along; `templates.*` and `replay.*`
 *   cover the two companion surfaces.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { WorkflowPlan, Workflows } from "@effect-sogni/workflows"
 *
 * const plan = WorkflowPlan.make("Still to clip")
 *   .step("still", "generate_image", { prompt: "a lighthouse at dawn" })
 *   .step("clip", "animate_photo", { prompt: "slow push-in", videoModel: "wan22", duration: 2 }, {
 *     dependsOn: [WorkflowPlan.from("still", { into: "sourceImageIndex", transform: "image_index", mediaType: "image" })]
 *   })
 *   .build()
 *
 * const program = Effect.gen(function*() {
 *   const workflows = yield* Workflows.Workflows
 *   const started = yield* workflows.start({ input: plan })
 *   yield* workflows.streamEvents(started.workflowId).pipe(
 *     Stream.runForEach((e) => Effect.log(`${e.id} ${e.type} (${e.status})`))
 *   )
 *   return yield* workflows.get(started.workflowId)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as AnswerKind from "@effect-sogni/core/AnswerKind"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import type * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as EventStream from "./internal/eventStream.js"
import * as Workflow from "./Workflow.js"
import { fromApiError, type WorkflowError, WorkflowInvalidRequest } from "./WorkflowError.js"
import type * as WorkflowPlan from "./WorkflowPlan.js"

/**
 * The plan checker (and with it core's `PlatformTools`: the protocol's argument schemas and ajv) loads on
 * the first start from an inline plan, not with the service.
 */
const loadWorkflowPlan: Effect.Effect<typeof import("./WorkflowPlan.js")> = Effect.promise(() => import("./WorkflowPlan.js"))

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** @since 0.1.0 */
export type TokenType = "sogni" | "spark"

/** @since 0.1.0 */
export type BillingMode = "auto" | "subscription" | "tokens"

/**
 * Billing and attribution fields shared by start, resume and reseed.
 *
 * @since 0.1.0
 */
export interface BillingOptions {
  readonly tokenType?: TokenType
  readonly billingMode?: BillingMode
  /** Defaults to the configured `appSource`. */
  readonly appSource?: string
}

/**
 * A media reference for `$input_media` bindings: an http(s) URL of an uploaded asset. Extra fields are
 * passed through as they are.
 *
 * @since 0.1.0
 */
export interface MediaReference {
  readonly url: string
  readonly type: WorkflowPlan.MediaType
  readonly [key: string]: unknown
}

/**
 * Fields of every start request.
 *
 * @since 0.1.0
 */
export interface StartCommon extends BillingOptions {
  /** A cost ceiling: the server refuses a plan estimated above it. */
  readonly maxEstimatedCapacityUnits?: number
  /** Explicit billing confirmation (otherwise an expensive plan may pause for `confirmCost`). */
  readonly confirmCost?: boolean
  /** Default `true` server-side; kept on resume and reseed. */
  readonly safeContentFilter?: boolean
  readonly mediaReferences?: ReadonlyArray<MediaReference>
  /** Sent as `Idempotency-Key`; a fresh one is generated when absent. Reuse it to retry safely. */
  readonly idempotencyKey?: string
}

/**
 * Start from an inline plan, or from a saved template with its inputs.
 *
 * @since 0.1.0
 */
export type StartRequest =
  | (StartCommon & { readonly input: WorkflowPlan.Plan | WorkflowPlan.PlanBuilder<string>; readonly templateId?: never })
  | (StartCommon & {
    readonly templateId: string
    readonly inputs?: Readonly<Record<string, unknown>>
    readonly input?: never
  })

/**
 * A page of workflows; `next` is the offset of the next page, if any.
 *
 * @since 0.1.0
 */
export interface WorkflowPage {
  readonly workflows: ReadonlyArray<Workflow.WorkflowRecord>
  readonly next: number | undefined
}

/** @since 0.1.0 */
export interface ResumeResult {
  readonly workflow: Workflow.WorkflowRecord
  readonly resumed: boolean
}

/** @since 0.1.0 */
export interface ReseedRequest extends BillingOptions {
  /** Seeds per step id; other steps get fresh random seeds. */
  readonly seedOverrides?: Readonly<Record<string, number>>
  /** Use a new key per intended take; the same key returns the first take. */
  readonly idempotencyKey?: string
}

/** @since 0.1.0 */
export interface ReseedResult {
  readonly workflow: Workflow.WorkflowRecord
  readonly clonedFromRunId: string
  readonly steps: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** True when the idempotency key matched an earlier take. */
  readonly idempotent: boolean
}

/** @since 0.1.0 */
export interface CancelResult {
  readonly workflow: Workflow.WorkflowRecord
  readonly cancelled: boolean
}

/** @since 0.1.0 */
export interface ConfirmCostRequest {
  readonly decision: "confirm" | "cancel"
  /** The preview the user accepted (the server refuses a stale one with 409). */
  readonly acceptedCostPreview?: Readonly<Record<string, unknown>>
  readonly idempotencyKey?: string
}

/** @since 0.1.0 */
export interface StreamOptions {
  /** Resume after this event id (what `WorkflowEvent.id` carried). */
  readonly after?: string
}

/** @since 0.1.0 */
export interface TemplatePage {
  readonly templates: ReadonlyArray<Workflow.WorkflowTemplate>
  readonly next: number | undefined
}

/** @since 0.1.0 */
export interface TemplateListOptions {
  readonly visibility?: "own" | "public" | "all"
  readonly offset?: number
  readonly limit?: number
}

/**
 * Template calls (`/v1/creative-agent/workflows/templates`).
 *
 * @since 0.1.0
 */
export interface TemplatesService {
  readonly list: (options?: TemplateListOptions) => Effect.Effect<TemplatePage, WorkflowError>
  readonly get: (id: string) => Effect.Effect<Workflow.WorkflowTemplate, WorkflowError>
  readonly create: (template: Readonly<Record<string, unknown>> & { readonly name: string }) => Effect.Effect<
    Workflow.WorkflowTemplate,
    WorkflowError
  >
  readonly update: (id: string, changes: Readonly<Record<string, unknown>>) => Effect.Effect<Workflow.WorkflowTemplate, WorkflowError>
  readonly delete: (id: string) => Effect.Effect<void, WorkflowError>
  readonly fork: (id: string, options?: { readonly newName?: string }) => Effect.Effect<Workflow.WorkflowTemplate, WorkflowError>
}

/**
 * Replay record calls (`/v1/replay/records`).
 *
 * @since 0.1.0
 */
export interface ReplayService {
  readonly write: (record: Workflow.RunRecord) => Effect.Effect<Workflow.ReplayWriteResult, WorkflowError>
  readonly list: (options?: { readonly limit?: number }) => Effect.Effect<ReadonlyArray<Workflow.ReplaySummary>, WorkflowError>
  readonly get: (runId: string) => Effect.Effect<
    { readonly record: Workflow.RunRecord; readonly createTime: number },
    WorkflowError
  >
}

/**
 * The service.
 *
 * @since 0.1.0
 */
export interface WorkflowsService {
  readonly start: (request: StartRequest) => Effect.Effect<Workflow.WorkflowRecord, WorkflowError>
  readonly list: (options?: { readonly limit?: number; readonly offset?: number }) => Effect.Effect<WorkflowPage, WorkflowError>
  readonly get: (workflowId: string) => Effect.Effect<Workflow.WorkflowRecord, WorkflowError>
  /** The full event history. */
  readonly events: (workflowId: string) => Effect.Effect<ReadonlyArray<Workflow.WorkflowEvent>, WorkflowError>
  /**
   * Live events, resuming by itself after drops, ending after the terminal event. A frame that is not a
   * real event of this workflow (no integer `sequence` or none that agrees with its `id:` line, no type,
   * another workflow's id) is logged and skipped and moves nothing. An event without an `id:` line is
   * read (as the official client reads it) and resumed from its `sequence`.
   */
  readonly streamEvents: (
    workflowId: string,
    options?: StreamOptions
  ) => Stream.Stream<Workflow.WorkflowEvent, WorkflowError>
  /** Restarts a workflow that is `waiting_for_user` (after the user's input reached the server). */
  readonly resume: (workflowId: string, options?: BillingOptions) => Effect.Effect<ResumeResult, WorkflowError>
  /** Clones a completed or partially failed workflow with new seeds. */
  readonly reseed: (workflowId: string, request?: ReseedRequest) => Effect.Effect<ReseedResult, WorkflowError>
  readonly cancel: (workflowId: string) => Effect.Effect<CancelResult, WorkflowError>
  /** Approves (or declines) the cost of a workflow that waits for cost approval. */
  readonly confirmCost: (
    workflowId: string,
    request: ConfirmCostRequest
  ) => Effect.Effect<Workflow.WorkflowRecord, WorkflowError>
  readonly templates: TemplatesService
  readonly replay: ReplayService
}

/**
 * The service tag.
 *
 * @since 0.1.0
 */
export class Workflows extends Context.Tag("@effect-sogni/workflows/Workflows")<Workflows, WorkflowsService>() {}

/**
 * Settings of the event stream's reconnection.
 *
 * @since 0.1.0
 */
export interface Options {
  /**
   * Drops in a row before the stream fails (default 8). A connection on which any frame was heard (a
   * heartbeat too) proves the server reachable and starts the count again.
   */
  readonly maxReconnects?: number
  /** First reconnect delay (default 100 ms), doubling up to `maxReconnectDelay` (default 5 s). */
  readonly reconnectDelay?: Duration.DurationInput
  readonly maxReconnectDelay?: Duration.DurationInput
  /** Silence (not even a heartbeat) after which a connection is dropped and resumed (default 60 s). */
  readonly idleTimeout?: Duration.DurationInput
  /**
   * How long drops may keep coming without a new event before the stream fails with `WorkflowStreamError`
   * (default 10 minutes). A connection that hears a heartbeat resets the backoff but not this bound.
   */
  readonly reconnectWindow?: Duration.DurationInput
}

/**
 * The defaults of {@link Options}.
 *
 * @since 0.1.0
 */
export const defaults = {
  maxReconnects: 8,
  reconnectDelay: Duration.millis(100),
  maxReconnectDelay: Duration.seconds(5),
  idleTimeout: Duration.seconds(60),
  reconnectWindow: Duration.minutes(10)
} as const

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

const BASE = "/v1/creative-agent/workflows"
/** The event stream call, as errors name it. */
const streamOperation = `GET ${BASE}/:id/events/stream`
const TEMPLATES = `${BASE}/templates`
const REPLAY = "/v1/replay/records"

const segment = (id: string) => encodeURIComponent(id)

const invalid = (field: string, rule: string, message: string) => new WorkflowInvalidRequest({ field, rule, message })

/** Maps core's API error to the classified workflows error; everything else passes through. */
const classify = (operation: string) => (error: SogniRest.RestError): WorkflowError =>
  error._tag === "SogniApiError" ? fromApiError(error as SogniError.SogniApiError, operation) : error

const Data = <F extends Schema.Struct.Fields>(fields: F) => Schema.Struct(fields)

const RecordData = Data({ workflow: Workflow.WorkflowRecord })
const ListData = Data({
  workflows: Schema.Array(Workflow.WorkflowRecord),
  next: Schema.optional(Schema.NullOr(Schema.Number))
})
const EventsData = Data({ events: Schema.Array(Workflow.WorkflowEvent) })
const ResumeData = Data({ workflow: Workflow.WorkflowRecord, resumed: Schema.optional(Schema.Boolean) })
const CancelData = Data({ workflow: Workflow.WorkflowRecord, cancelled: Schema.optional(Schema.Boolean) })
const ReseedData = Data({
  workflow: Workflow.WorkflowRecord,
  reseed: Schema.Struct({
    cloned_from_run_id: Schema.String,
    steps: Schema.optionalWith(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })), {
      default: () => []
    })
  }),
  idempotent: Schema.optional(Schema.Boolean)
})
/** Templates answer `{status, data: {template}}` or a bare `{template}`; both decode. */
const TemplateBody = Schema.Union(
  Schema.Struct({ data: Schema.Struct({ template: Workflow.WorkflowTemplate }) }),
  Schema.Struct({ template: Workflow.WorkflowTemplate })
)
const TemplateListBody = Schema.Union(
  Schema.Struct({
    data: Schema.Struct({
      templates: Schema.Array(Schema.Unknown),
      next: Schema.optional(Schema.NullOr(Schema.Number))
    })
  }),
  Schema.Struct({ templates: Schema.Array(Schema.Unknown), next: Schema.optional(Schema.NullOr(Schema.Number)) })
)
const ReplayListBody = Schema.Struct({ records: Schema.Array(Workflow.ReplaySummary) })
const ReplayGetBody = Schema.Struct({ record: Workflow.RunRecord, createTime: Schema.optionalWith(Schema.Number, { default: () => 0 }) })

const templateOf = (body: typeof TemplateBody.Type) => ("data" in body ? body.data.template : body.template)

// compiled on first use, not at import
let isTemplateCompiled: ReturnType<typeof makeIsTemplate> | undefined
const makeIsTemplate = () => Schema.is(Workflow.WorkflowTemplate)
const isTemplate = (u: unknown): u is Workflow.WorkflowTemplate => (isTemplateCompiled ??= makeIsTemplate())(u)

/** The `Idempotency-Key` of a start: the caller's, or a fresh one. */
const keyOf = (given: string | undefined) => given ?? `effect-sogni-${crypto.randomUUID()}`

/** Checks a media reference the way the official client does before sending (workflows.md §2). */
const checkMediaReferences = (refs: ReadonlyArray<MediaReference>): Effect.Effect<void, WorkflowInvalidRequest> => {
  for (const [i, ref] of refs.entries()) {
    const at = `mediaReferences[${i}]`
    if (typeof ref !== "object" || ref === null) return Effect.fail(invalid(at, "type", `${at} must be an object`))
    if (typeof ref.url === "string" && ref.url.length > 0 && !/^https?:\/\//i.test(ref.url)) {
      return Effect.fail(invalid(`${at}.url`, "httpUrl", `${at}.url must be an http(s) URL (data: URIs are not accepted)`))
    }
    for (const key of ["dataUri", "data_uri"]) {
      const v = ref[key]
      if (typeof v === "string" && v.length > 0) {
        return Effect.fail(invalid(`${at}.${key}`, "forbidden", `${at}.${key} is not accepted: upload the media and send its URL`))
      }
    }
  }
  return Effect.void
}

const billingBody = (options: BillingOptions | undefined, appSource: string | undefined) => ({
  ...(options?.tokenType !== undefined ? { token_type: options.tokenType } : {}),
  ...(options?.billingMode !== undefined ? { billing_mode: options.billingMode } : {}),
  ...((options?.appSource ?? appSource) !== undefined ? { app_source: options?.appSource ?? appSource } : {})
})

const attributionHeaders = (appSource: string | undefined): Record<string, string> =>
  appSource !== undefined ? { "x-app-source": appSource } : {}

/** The wire body of a start request (workflows.md §2, §4). */
const startBody = (request: StartRequest, plan: WorkflowPlan.Plan | undefined, appSource: string | undefined) => ({
  ...(plan !== undefined ? { input: plan } : {}),
  ...("templateId" in request && request.templateId !== undefined
    ? { workflow_id: request.templateId, ...(request.inputs !== undefined ? { inputs: request.inputs } : {}) }
    : {}),
  ...billingBody(request, appSource),
  ...(request.maxEstimatedCapacityUnits !== undefined ? { max_estimated_capacity_units: request.maxEstimatedCapacityUnits } : {}),
  ...(request.confirmCost !== undefined ? { confirm_cost: request.confirmCost } : {}),
  ...(request.safeContentFilter !== undefined ? { safe_content_filter: request.safeContentFilter } : {}),
  ...(request.mediaReferences !== undefined ? { media_references: request.mediaReferences } : {})
})

/**
 * Builds the service on core's `SogniRest` (and `SogniConfig` for the default `appSource`).
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<WorkflowsService, never, SogniRest.SogniRest | SogniConfig.SogniConfig> =>
  Effect.gen(function*() {
    const rest = yield* SogniRest.SogniRest
    const settings = yield* SogniConfig.SogniConfig
    const appSource = Option.getOrUndefined(settings.appSource)
    const resume: EventStream.ResumeOptions = {
      maxReconnects: options.maxReconnects ?? defaults.maxReconnects,
      baseDelay: Duration.decode(options.reconnectDelay ?? defaults.reconnectDelay),
      maxDelay: Duration.decode(options.maxReconnectDelay ?? defaults.maxReconnectDelay),
      idleTimeout: Duration.decode(options.idleTimeout ?? defaults.idleTimeout),
      reconnectWindow: Duration.decode(options.reconnectWindow ?? defaults.reconnectWindow),
      maxEventBytes: settings.maxResponseBytes
    }

    const span = (name: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.withSpan(effect, `Workflows.${name}`, { kind: "client" })

    const get = (workflowId: string) =>
      rest.get("rest", `${BASE}/${segment(workflowId)}`, RecordData).pipe(
        Effect.map((d) => d.workflow),
        Effect.mapError(classify(`GET ${BASE}/:id`)),
        span("get")
      )

    const start = (request: StartRequest): Effect.Effect<Workflow.WorkflowRecord, WorkflowError> =>
      Effect.gen(function*() {
        const hasInput = "input" in request && request.input !== undefined
        const hasTemplate = "templateId" in request && request.templateId !== undefined
        if (hasInput === hasTemplate) {
          return yield* invalid("input", "exactlyOne", "Give exactly one of input (an inline plan) or templateId")
        }
        if (request.maxEstimatedCapacityUnits !== undefined && !(request.maxEstimatedCapacityUnits >= 0)) {
          return yield* invalid("maxEstimatedCapacityUnits", "minimum", "maxEstimatedCapacityUnits must be ≥ 0")
        }
        const refs = request.mediaReferences ?? []
        yield* checkMediaReferences(refs)
        let plan: WorkflowPlan.Plan | undefined
        if (hasInput) {
          const plans = yield* loadWorkflowPlan
          const raw = request.input instanceof plans.PlanBuilder ? request.input.build() : request.input
          plan = yield* plans.validate(raw, { mediaReferences: refs })
        }
        const body = startBody(request, plan, appSource)
        return yield* rest.post("rest", BASE, body, RecordData, {
          idempotencyKey: keyOf(request.idempotencyKey),
          headers: attributionHeaders(request.appSource ?? appSource)
        }).pipe(Effect.map((d) => d.workflow), Effect.mapError(classify(`POST ${BASE}`)))
      }).pipe(span("start"))

    const streamEvents = (workflowId: string, streamOptions: StreamOptions = {}) =>
      EventStream.resumableEvents({
        workflowId,
        after: streamOptions.after,
        resume,
        // one attempt per connection: the reader paces the reconnects (core's policy, never stacked); a 200
        // that is not events (a JSON refusal, a proxy's HTML page) fails at once and is not resumed
        open: (cursor) => {
          const path = `${BASE}/${segment(workflowId)}/events/stream`
          let contentType: string | undefined
          const bytes = rest.stream("rest", path, {
            retry: false,
            ...(cursor !== undefined ? { query: { after: cursor }, headers: { "last-event-id": cursor } } : {}),
            onHeaders: (headers) => Effect.sync(() => void (contentType = headers["content-type"]))
          })
          return AnswerKind.eventsOnly(bytes, () => contentType, {
            what: `the event stream of ${workflowId}`,
            source: `GET ${path}`,
            maxBytes: settings.maxResponseBytes,
            onJson: (json) => EventStream.refusalOf(json, streamOperation)
          })
        },
        status: Effect.map(get(workflowId), (w) => w.status)
      }).pipe(
        Stream.mapError((e): WorkflowError =>
          e._tag === "SogniApiError" ? fromApiError(e, streamOperation) : e
        )
      )

    const templates: TemplatesService = {
      list: (o = {}) => {
        const query = {
          ...(o.visibility !== undefined ? { visibility: o.visibility } : {}),
          ...(o.offset !== undefined && o.offset >= 0 ? { offset: Math.floor(o.offset) } : {}),
          ...(o.limit !== undefined && o.limit > 0 ? { limit: Math.min(200, Math.max(1, Math.floor(o.limit))) } : {})
        }
        return rest.get("rest", TEMPLATES, TemplateListBody, { query, body: "raw" }).pipe(
          Effect.map((b) => {
            const d = "data" in b ? b.data : b
            return { templates: d.templates.filter(isTemplate), next: d.next ?? undefined }
          }),
          Effect.mapError(classify(`GET ${TEMPLATES}`)),
          span("templates.list")
        )
      },
      get: (id) =>
        rest.get("rest", `${TEMPLATES}/${segment(id)}`, TemplateBody, { body: "raw" }).pipe(
          Effect.map(templateOf),
          Effect.mapError(classify(`GET ${TEMPLATES}/:id`)),
          span("templates.get")
        ),
      create: (template) =>
        Effect.suspend(() =>
          typeof template.name !== "string" || template.name.trim() === ""
            ? Effect.fail(invalid("name", "required", "A template needs a non-empty name"))
            : rest.post("rest", TEMPLATES, template, TemplateBody, { body: "raw" }).pipe(
              Effect.map(templateOf),
              Effect.mapError(classify(`POST ${TEMPLATES}`))
            )
        ).pipe(span("templates.create")),
      update: (id, changes) =>
        rest.patch("rest", `${TEMPLATES}/${segment(id)}`, changes, TemplateBody, { body: "raw" }).pipe(
          Effect.map(templateOf),
          Effect.mapError(classify(`PATCH ${TEMPLATES}/:id`)),
          span("templates.update")
        ),
      delete: (id) =>
        rest.delete("rest", `${TEMPLATES}/${segment(id)}`, Schema.Unknown, { body: "raw" }).pipe(
          Effect.asVoid,
          Effect.mapError(classify(`DELETE ${TEMPLATES}/:id`)),
          span("templates.delete")
        ),
      fork: (id, o = {}) =>
        rest.post("rest", `${TEMPLATES}/${segment(id)}/fork`, o.newName !== undefined ? { newName: o.newName } : {}, TemplateBody, {
          body: "raw"
        }).pipe(
          Effect.map(templateOf),
          Effect.mapError(classify(`POST ${TEMPLATES}/:id/fork`)),
          span("templates.fork")
        )
    }

    const replay: ReplayService = {
      write: (record) =>
        Effect.suspend(() =>
          typeof record.run_id !== "string" || record.run_id === ""
            ? Effect.fail(invalid("run_id", "required", "A replay record needs a run_id"))
            : rest.post("rest", REPLAY, record, Workflow.ReplayWriteResult, { body: "raw" }).pipe(
              Effect.mapError(classify(`POST ${REPLAY}`))
            )
        ).pipe(span("replay.write")),
      list: (o = {}) =>
        rest.get("rest", REPLAY, ReplayListBody, {
          body: "raw",
          ...(o.limit !== undefined && o.limit > 0 ? { query: { limit: Math.floor(o.limit) } } : {})
        }).pipe(Effect.map((b) => b.records), Effect.mapError(classify(`GET ${REPLAY}`)), span("replay.list")),
      get: (runId) =>
        rest.get("rest", `${REPLAY}/${segment(runId)}`, ReplayGetBody, { body: "raw" }).pipe(
          Effect.mapError(classify(`GET ${REPLAY}/:runId`)),
          span("replay.get")
        )
    }

    return {
      start,
      list: (o = {}) =>
        rest.get("rest", BASE, ListData, {
          query: {
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
            ...(o.offset !== undefined ? { offset: o.offset } : {})
          }
        }).pipe(
          Effect.map((d) => ({ workflows: d.workflows, next: d.next ?? undefined })),
          Effect.mapError(classify(`GET ${BASE}`)),
          span("list")
        ),
      get,
      events: (workflowId) =>
        rest.get("rest", `${BASE}/${segment(workflowId)}/events`, EventsData).pipe(
          Effect.map((d) => d.events),
          Effect.mapError(classify(`GET ${BASE}/:id/events`)),
          span("events")
        ),
      streamEvents,
      resume: (workflowId, o) =>
        rest.post("rest", `${BASE}/${segment(workflowId)}/resume`, billingBody(o, appSource), ResumeData, {
          headers: attributionHeaders(o?.appSource ?? appSource)
        }).pipe(
          Effect.map((d) => ({ workflow: d.workflow, resumed: d.resumed === true })),
          Effect.mapError(classify(`POST ${BASE}/:id/resume`)),
          span("resume")
        ),
      reseed: (workflowId, r = {}) =>
        rest.post(
          "rest",
          `${BASE}/${segment(workflowId)}/reseed`,
          { ...(r.seedOverrides !== undefined ? { seed_overrides: r.seedOverrides } : {}), ...billingBody(r, appSource) },
          ReseedData,
          {
            ...(r.idempotencyKey !== undefined ? { idempotencyKey: r.idempotencyKey } : {}),
            headers: attributionHeaders(r.appSource ?? appSource)
          }
        ).pipe(
          Effect.map((d) => ({
            workflow: d.workflow,
            clonedFromRunId: d.reseed.cloned_from_run_id,
            steps: d.reseed.steps,
            idempotent: d.idempotent === true
          })),
          Effect.mapError(classify(`POST ${BASE}/:id/reseed`)),
          span("reseed")
        ),
      cancel: (workflowId) =>
        rest.post("rest", `${BASE}/${segment(workflowId)}/cancel`, undefined, CancelData).pipe(
          Effect.map((d) => ({ workflow: d.workflow, cancelled: d.cancelled === true })),
          Effect.mapError(classify(`POST ${BASE}/:id/cancel`)),
          span("cancel")
        ),
      confirmCost: (workflowId, r) =>
        rest.post(
          "rest",
          `${BASE}/${segment(workflowId)}/confirm-cost`,
          { decision: r.decision, ...(r.acceptedCostPreview !== undefined ? { acceptedCostPreview: r.acceptedCostPreview } : {}) },
          RecordData,
          { idempotencyKey: keyOf(r.idempotencyKey) }
        ).pipe(
          Effect.map((d) => d.workflow),
          Effect.mapError(classify(`POST ${BASE}/:id/confirm-cost`)),
          span("confirmCost")
        ),
      templates,
      replay
    }
  })

/**
 * The service on `SogniRest` and `SogniConfig` (e.g. from `Sogni.layer`).
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Workflows, never, SogniRest.SogniRest | SogniConfig.SogniConfig> =>
  Layer.effect(Workflows, make(options))

/**
 * The service with its own `SogniRest` over `fetch`, from settings (API key, endpoints…).
 *
 * @since 0.1.0
 */
export const layerFetch = (
  input: SogniConfig.SogniSettingsInput,
  options: Options = {}
): Layer.Layer<Workflows> =>
  layer(options).pipe(Layer.provide(SogniRest.layerFetch), Layer.provide(SogniConfig.layer(input)))

/** Re-exported for callers that only need the terminal check. @since 0.1.0 */
export const isTerminal = Workflow.isTerminal
