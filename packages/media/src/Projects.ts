/**
 * Media projects as live, typed values: submit one and get its id at once, then follow it as a
 * `Stream` of {@link ProjectState.ProjectEvent}s, wait for its results, or cancel it.
 *
 * Each project is a small actor (`internal/projectActor.ts`, built on explicit dependencies: the socket
 * route, the send, URL minting, the REST lookup, uploads and the `Clock`): it owns the socket route of
 * its id (events arrive already routed by core, one `Map` lookup per frame), folds them on the socket's
 * turn through the pure {@link ProjectState.transition} (no queue, fiber or stream per frame; an input
 * fed re-entrantly waits in a bounded mailbox whose overflow drops the oldest progress frame), and runs
 * the commands the machine asks for (mint result and preview URLs over REST, through one bounded queue
 * for the whole service; resubmit after a restart refusal). Reconnects lose nothing: when a new `authenticated` frame arrives, every unfinished
 * project is reconciled with its recovery snapshot (or, when absent, with the REST project lookup) and
 * its stream just continues.
 *
 * Interrupting {@link ProjectsService.events} or {@link ProjectsService.run} cancels the project upstream
 * (cancel frame, confirmation awaited within `interruptCancelTimeout`, also when the server is silent)
 * and releases the route, the fibers and the timers.
 *
 * Every project ends: completed, failed, canceled, or failed with a `Timeout` {@link SogniProjectError}
 * when it outlives `projectTimeout`, or when nothing was heard of it for `idleTimeout` and the REST
 * lookup (`GET /v2/projects/{id}`) cannot show it alive. A lookup that finds it finished ends it with
 * the server's outcome instead.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Projects } from "@effect-sogni/media"
 *
 * const program = Effect.gen(function*() {
 *   const projects = yield* Projects.Projects
 *   yield* projects.events(prepared).pipe(Stream.runForEach(Effect.log))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as LeanRest from "@effect-sogni/core/LeanRest"
import * as LeanStream from "@effect-sogni/core/LeanStream"
import * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniAuth from "@effect-sogni/core/SogniAuth"
import * as SogniConfig from "@effect-sogni/core/SogniConfig"
import * as SogniError from "@effect-sogni/core/SogniError"
import * as SogniRest from "@effect-sogni/core/SogniRest"
import * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as SubscriptionRefs from "@effect-sogni/core/SubscriptionRefs"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as MutableQueue from "effect/MutableQueue"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Runtime from "effect/Runtime"
import * as Lazy from "@effect-sogni/core/Lazy"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import * as JobRequestBuilder from "./internal/jobRequests.js"
import { SogniProjectError } from "./MediaError.js"
import * as Models from "./Models.js"
import type * as Params from "./Params.js"
import * as ProjectState from "./ProjectState.js"
import * as SavedUploads from "./SavedUploads.js"
import * as DownloadUrls from "./internal/downloadUrls.js"
import { decodePlainImage } from "./internal/plainImage.js"
import * as ProjectActor from "./internal/projectActor.js"
import * as ProjectSpan from "./internal/projectSpan.js"
import { WakeableSleep } from "@effect-sogni/core/WakeableSleep"
import * as Sniff from "./Sniff.js"

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** Where an input asset goes (media.md §9.2). @since 0.1.0 */
export interface UploadSpec {
  readonly slot: string
  readonly endpoint: "image" | "media"
  readonly id?: string | undefined
  readonly bytes: Uint8Array
  readonly contentType?: string | undefined
}

/** @since 0.1.0 */
export type MediaKind = ProjectState.MediaKind

/**
 * A validated request ready to go: the `jobRequest` payload and what the project needs to know about it.
 *
 * @since 0.1.0
 */
export interface Prepared {
  readonly request: Protocol.JobRequest
  readonly numberOfMedia: number
  readonly steps?: number | undefined
  readonly disableSafety?: boolean | undefined
  readonly kind: MediaKind
  readonly outputFormat?: string | undefined
  /** Uploaded before the request is sent: batch after batch, the uploads of one batch in parallel. */
  readonly uploads?: ReadonlyArray<ReadonlyArray<UploadSpec>> | undefined
}

/**
 * What project-starting calls accept: parameters (validated and built) or an already prepared request.
 *
 * @since 0.1.0
 */
export type Input = Params.ProjectParams | Prepared

function isPrepared(u: Input): u is Prepared {
  return typeof u === "object" && u !== null && Object.hasOwn(u, "request") && Object.hasOwn(u, "kind")
}

/** Timing bounds, written once. @since 0.1.0 */
export const defaults = {
  /**
   * The longest a project may run from `create` to its end, uploads included; then it is looked up,
   * and unless the server finished it, canceled upstream and failed with reason `Timeout`. The
   * protocol's job runtime budgets reach 90 min for videos on the fast network.
   */
  projectTimeout: Duration.hours(3),
  /**
   * Silence (no frame for the project) after which it is looked up over REST: finished → its outcome;
   * still listed → waiting goes on; unknown or unreadable → failed with reason `Timeout`. The protocol's
   * own staleness check uses 2 minutes.
   */
  idleTimeout: Duration.minutes(2),
  /** How long `cancel` waits for the server's confirmation (the server's own deadline is 105 s). */
  cancelTimeout: Duration.seconds(120),
  /** How long an interrupted `events`/`run` waits for the cancel confirmation before releasing. */
  interruptCancelTimeout: Duration.seconds(10),
  /** How often ETA-only jobs (external APIs) refresh their progress. */
  etaTick: Duration.seconds(1),
  /** How long a restart refusal waits for the next connection before resubmitting anyway. */
  resubmitWait: Duration.seconds(60),
  /**
   * After a reconnect, every unfinished project is looked up once more this long later: frames lost
   * around a reconnect (a project the handshake listed as running, then finished while its frames
   * died) would otherwise hold it open until the idle deadline.
   */
  reconnectCheck: Duration.seconds(5),
  /** Signed result URLs are treated as valid for this long (the protocol documents 30–60 minutes). */
  urlLifetime: Duration.minutes(30),
  /** URL mints (REST) in flight at once across all projects; the others wait in a queue. */
  mintConcurrency: 16,
  /**
   * Mints waiting for a free slot, at most. Overflow policy: a mint that finds the queue full starts at
   * once in its own fiber, past `mintConcurrency` (a result is never lost for want of room), and a
   * warning is logged at the first overflow and every 100th. A queue this long means thousands of jobs
   * ended within one mint's time.
   */
  mintQueueCapacity: 4096
} as const

/** @since 0.1.0 */
export interface ProjectsOptions {
  /** Overall deadline of a project (default {@link defaults}`.projectTimeout`). */
  readonly projectTimeout?: Duration.DurationInput | undefined
  /** Silence before a project is looked up, and failed if the lookup cannot show it alive (default {@link defaults}`.idleTimeout`). */
  readonly idleTimeout?: Duration.DurationInput | undefined
  readonly cancelTimeout?: Duration.DurationInput | undefined
  readonly interruptCancelTimeout?: Duration.DurationInput | undefined
  readonly etaTick?: Duration.DurationInput | undefined
  readonly resubmitWait?: Duration.DurationInput | undefined
  /** Delay of the lookup that follows each reconnect for unfinished projects (default {@link defaults}`.reconnectCheck`). */
  readonly reconnectCheck?: Duration.DurationInput | undefined
  readonly urlLifetime?: Duration.DurationInput | undefined
  /**
   * Upload inputs through the account's saved-upload library when the server offers it (saved once,
   * bound to each project; media.md §9.1), falling back to the per-project upload. Default false.
   */
  readonly savedUploads?: boolean | undefined
  /**
   * URL mints in flight at once across all projects (default 16): a burst of results (hundreds of jobs
   * ending together) queues its mints instead of starting hundreds of requests, fibers and
   * connections in one go.
   */
  readonly mintConcurrency?: number | undefined
  /** Mints waiting for a slot before the overflow policy applies (default {@link defaults}`.mintQueueCapacity`). */
  readonly mintQueueCapacity?: number | undefined
  /**
   * Adopt the in-flight projects of this appId that an `authenticated` frame lists and this client does
   * not track (started by an earlier process or connection): see {@link ProjectsService.adopt}.
   * Default true.
   */
  readonly adoptRecovered?: boolean | undefined
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * A running (or finished) project.
 *
 * @since 0.1.0
 */
export interface Project {
  readonly id: string
  /** The current state (status, jobs, progress, results). */
  readonly state: Effect.Effect<ProjectState.ProjectState>
  /**
   * The project's events, ending after the terminal one (`Completed`, `Failed` or `Canceled`). The first
   * subscriber sees the events since the project was created (1024 of them at most: beyond that the
   * oldest progress, ETA and preview events are dropped before any other); later ones see events from
   * when they subscribe (the current `state` tells them the rest).
   */
  readonly events: Stream.Stream<ProjectState.ProjectEvent>
  /**
   * Calls `listener` with each event and the project's live state, synchronously, on the turn the
   * project's reducer applies the event: no fiber, queue or stream per event (what an adapter that
   * mirrors a project into plain objects needs). The first listener or {@link events} subscriber
   * receives the events held since the project was created, as `events` does. Returns the function
   * that removes the listener. `listener` must be quick; it must not keep `state` (it keeps changing:
   * use {@link state} for a snapshot); a listener that throws is removed and the error logged.
   */
  readonly listen: (listener: ProjectListener, options?: ListenOptions) => () => void
  /**
   * Waits for the end: the results, or why there are none (a `SogniProjectError`; the
   * `SogniAuthenticationError` when the project failed because the credential or the app was refused:
   * its send refused, or the socket ending for good with 4021, 4010 or another 4xxx while it was in flight).
   */
  readonly await: Effect.Effect<ReadonlyArray<ProjectState.JobResult>, SogniProjectError | SogniError.SogniAuthenticationError>
  /** Asks the server to cancel and waits for its answer (a no-op once finished). */
  readonly cancel: Effect.Effect<void, SogniProjectError | SogniError.SogniError>
}

/**
 * A synchronous observer of one project: each event with the state right after it (see
 * {@link Project.listen}).
 *
 * @since 0.1.0
 */
export type ProjectListener = (event: ProjectState.ProjectEvent, state: ProjectState.ProjectState) => void

/**
 * How a {@link Project.listen} listener follows its project.
 *
 * @since 0.1.0
 */
export interface ListenOptions {
  /**
   * Asked as each input is applied: while it answers `false` the listener does not need the progress
   * events (`JobProgress`, `Progress`, `JobEta`), and when nothing else observes the project the reducer
   * does not build them (the state's progress moves either way); when something else does, this listener
   * receives them too. Without it the listener needs them all.
   */
  readonly wantsProgress?: (() => boolean) | undefined
}

/**
 * @since 0.1.0
 */
export interface ProjectsService {
  /**
   * Validates the parameters against the model (nothing is sent when they are invalid: a
   * `SogniInvalidRequest` names the field and the rule) and builds the `jobRequest`.
   */
  readonly prepare: (params: Params.ProjectParams | unknown) => Effect.Effect<Prepared, SogniError.SogniError>
  /**
   * Validates, then starts the project and returns it with its id once its request was handed to the
   * socket (at once when it has inputs to upload: the uploads and the send then happen in the
   * background). A failed upload or send ends the project (`Failed`, code 0) rather than losing it; a send
   * refused with the credential (4021, 4010) makes that `SogniAuthenticationError` the project's outcome
   * (`run`, `await`), the failure's `ErrorData.cause`, and so does such an end for good while the project
   * is in flight. An end for good ends only the projects made before it: one made after it (the socket
   * reopened) goes out on the new connection.
   *
   * Once the parameters decode, the socket starts connecting (when it is not connected yet) while the
   * model's description is read, so the first project does not wait for the REST reads and then for the
   * socket; {@link run} and {@link events} do the same. Parameters that do not decode open nothing; a
   * refusal found against the model (an unknown model, say) may leave the socket opened, as a later send
   * would. {@link prepare} alone never connects.
   */
  readonly create: (input: Input) => Effect.Effect<Project, SogniError.SogniError>
  /** Starts an already prepared project and returns it, as {@link create} does. */
  readonly submit: (prepared: Prepared) => Effect.Effect<Project>
  /** Creates and follows: interrupting the stream cancels the project. */
  readonly events: (input: Input) => Stream.Stream<ProjectState.ProjectEvent, SogniError.SogniError>
  /** Creates and waits for the results: interrupting the fiber cancels the project. */
  readonly run: (
    input: Input
  ) => Effect.Effect<ReadonlyArray<ProjectState.JobResult>, SogniProjectError | SogniError.SogniError>
  /**
   * Follows a project this process did not start, from its recovery snapshot (an `authenticated`
   * frame's `activeProjects` / `unclaimedCompletedProjects`, or the sync route's): the same kind of
   * {@link Project}, with the same events, as one started here. Nothing is sent; the snapshot is
   * replayed and the project's frames followed from there (result URLs minted as usual). A project
   * already tracked is returned as it is. With `adoptRecovered` (the default) the projects an
   * `authenticated` frame lists as in flight are adopted as the handshake arrives.
   */
  readonly adopt: (project: Protocol.RecoveredProject, active: boolean) => Effect.Effect<Project>
  /** A project this client is tracking. */
  readonly get: (id: string) => Effect.Effect<Option.Option<Project>>
  /** The ids of unfinished projects this client tracks. */
  readonly active: Effect.Effect<ReadonlyArray<string>>
}

/**
 * @since 0.1.0
 */
export class Projects extends Context.Tag("@effect-sogni/media/Projects")<Projects, ProjectsService>() {}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

/**
 * The spans opened for every project (`Projects.prepare`, `Projects.submit`) are opened by
 * `internal/projectSpan.ts`: with `Effect.useSpan`, without a stack trace (a captured trace is an `Error`
 * held by the span, and the span by every fiber the project forks, so each project in flight would keep
 * one alive; the span names the call site already), and only when the fiber's tracer records spans (with
 * Effect's built-in tracer nobody can read them, and they cost ~2 KB each).
 *
 * Neither is provided as the current span of the whole body, as `withSpan` would (at the cost of a copy of
 * the caller's context and two fiber-ref map copies per project, ~15 KB of start-burst garbage each); what
 * needs the span as its parent gets it explicitly (the size-preset read in `prepare`).
 */

/**
 * Runs `f` with the caller's runtime, taken before the per-project span opens: the project's own fibers
 * are forked with it for the project's whole life, and a runtime taken inside the span would keep a copy
 * of the caller's context (with the span added) and the span itself alive that long, per project. (Those
 * fibers' spans then have the caller's span as parent rather than the `Projects.submit` span, which has
 * ended by the time they run.)
 */
function withCallerRuntime<A, E>(f: (runtime: Runtime.Runtime<never>) => Effect.Effect<A, E>): Effect.Effect<A, E> {
  return Effect.flatMap(Effect.runtime<never>(), f)
}

function isLlmProject(p: Protocol.RecoveredProject): boolean {
  return p.jobType === "llm" || p.modelType === "llm" || p.model?.type === "llm"
}

/** Normalized `/v2/projects/{id}` statuses back to the raw ones a recovery replay understands. */
function rawStatus(status: string): string {
  return status === "processing" ? "progress" : status === "failed" ? "errored" : status === "canceled" ? "cancelled" : status
}

const ProjectSnapshot = Lazy.schema(function() {
  return Schema.Struct({ project: Protocol.RecoveredProject })
})

const downloadUrlBody = LeanRest.decoder(Protocol.DownloadUrl)
/**
 * The `downloadUrl` of a mint answer: read directly when the answer is an object whose own `downloadUrl`
 * is a string (all the schema asks), the schema's decoder otherwise (it names what is wrong). One per
 * result: a burst of results decoded hundreds of answers through the schema's parser on one turn.
 */
const decodeDownloadUrl: LeanRest.Decoder<string> = function(data) {
  if (typeof data === "object" && data !== null && !Array.isArray(data) && Object.hasOwn(data, "downloadUrl")) {
    const url: unknown = (data as { readonly downloadUrl: unknown }).downloadUrl
    if (typeof url === "string") return Either.right(url)
  }
  return Either.map(downloadUrlBody(data), (body) => body.downloadUrl)
}

/** Upload formats the platform documents per kind (media.md §9.3), by detected content type. */
/**
 * The video, audio and special image-model rules, loaded on the first project that needs them (a program
 * that renders other image models never carries them).
 */
const loadKindChecks: Effect.Effect<JobRequestBuilder.KindChecks> = Effect.map(
  Lazy.loadOnce(function() {
    return import("./internal/kindChecks.js")
  }),
  function(m) {
    return m.kindChecks
  })

/**
 * What `Projects` does once its socket ended for good (internal/connectionEnded.ts), loaded on the first
 * such end: a program whose connection never ends for good does not carry it.
 */
const loadConnectionEnded: Effect.Effect<typeof import("./internal/connectionEnded.js")> = Lazy.loadOnce(function() {
  return import("./internal/connectionEnded.js")
})

/**
 * `Params`, loaded on the first input that the plain image check does not decode (later inputs are decoded
 * on the caller's turn, as with a static import).
 */
const loadParams: Effect.Effect<typeof Params> = Lazy.loadOnce(function() {
  return import("./Params.js")
})

/**
 * `Params.decode` as an effect, with `Params` (its schemas for the three media types, the plan that checks
 * a record against them, the failure's field and rule) loaded on the first input that needs it. The usual
 * image request, plain values only, is the one `Params.decode` itself accepts first without any schema
 * (`internal/plainImage.ts`), so it is decoded here the same way and gives the same value; any other input
 * (another type, media bytes, nested objects, a value the plain check refuses, not an object) goes to
 * `Params.decode`, which decodes it or names the failure as before (waiting for the module only until it
 * has loaded once).
 */
function decodeParams(params: unknown): Effect.Effect<Params.ProjectParams, SogniError.SogniInvalidRequest> {
  if (typeof params === "object" && params !== null && !Array.isArray(params)) {
    const image = decodePlainImage(params)
    if (image !== undefined) return Effect.succeed(image)
  }
  return Effect.flatMap(loadParams, (P) => P.decode(params))
}

const formatKinds: Readonly<Record<string, "image" | "audio" | "video">> = {
  "image/png": "image",
  "image/jpeg": "image",
  "image/webp": "image",
  "audio/mpeg": "audio",
  "audio/wav": "audio",
  "audio/mp4": "audio",
  "audio/flac": "audio",
  "video/mp4": "video",
  "video/quicktime": "video"
}
const uploadFormats = { image: "PNG, JPEG or WebP", audio: "MP3, M4A, WAV or FLAC", video: "MP4 or MOV" } as const

/** The content type of input bytes by their magic numbers: the upload sniffer's, plus FLAC. */
function detectFormat(bytes: Uint8Array): string | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x66 && bytes[1] === 0x4c && bytes[2] === 0x61 && bytes[3] === 0x43) return "audio/flac"
  return Option.getOrUndefined(Sniff.sniff(bytes))
}

/** Runs `f` on a later turn of the event loop: `setImmediate` where there is one (Node), else a 0 ms timer. */
function nextMacrotask(f: () => void): void {
  if (typeof globalThis.setImmediate === "function") globalThis.setImmediate(f)
  else globalThis.setTimeout(f, 0)
}

/**
 * Builds the service; its project actors live at most as long as the scope.
 *
 * @since 0.1.0
 */
export function make(options: ProjectsOptions = {}) {
  return Effect.gen(function*() {
    const socket = yield* SogniSocket.SogniSocket
    const rest = yield* SogniRest.SogniRest
    const models = yield* Models.Models
    const settings = yield* SogniConfig.SogniConfig
    const serviceScope = yield* Effect.scope
    const clock = yield* Effect.clock
    /** Milliseconds from the Effect `Clock` (synchronous: frames are folded on the socket's turn). */
    const now = () => clock.unsafeCurrentTimeMillis()
    const projectTimeout = Duration.decode(options.projectTimeout ?? defaults.projectTimeout)
    const idleTimeout = Duration.decode(options.idleTimeout ?? defaults.idleTimeout)
    const cancelTimeout = Duration.decode(options.cancelTimeout ?? defaults.cancelTimeout)
    const interruptCancelTimeout = Duration.decode(options.interruptCancelTimeout ?? defaults.interruptCancelTimeout)
    const etaTick = Duration.decode(options.etaTick ?? defaults.etaTick)
    const resubmitWait = Duration.decode(options.resubmitWait ?? defaults.resubmitWait)
    const reconnectCheck = Duration.decode(options.reconnectCheck ?? defaults.reconnectCheck)
    const urlLifetime = Duration.toMillis(Duration.decode(options.urlLifetime ?? defaults.urlLifetime))

    const tracked = new Map<string, ProjectActor.ProjectActor>()
    /**
     * The projects an end for good took over, until its lookups ended them: a reconnect's handshake leaves
     * them alone (see "a connection that ended for good" below).
     */
    const ending = new Set<ProjectActor.ProjectActor>()
    const serviceFibers = yield* FiberSet.make()
    const serviceFork = yield* FiberSet.runtime(serviceFibers)<never>()

    // --- mint work -----------------------------------------------------------------------------
    // Result and preview URLs are minted over core's lean REST path (one plain request with callbacks, the
    // retry policy, timeout and typed errors of `SogniRest`), fed by a bounded queue: a `jobResult` only
    // enqueues (on the socket's turn), at most `mintConcurrency` requests are in flight, and each answer
    // is folded into its project on the turn it arrives. No fiber, `Deferred` or HttpClient pipeline per
    // mint.
    const mintConcurrency = Math.max(1, Math.floor(options.mintConcurrency ?? defaults.mintConcurrency))
    const mintQueueCapacity = Math.max(1, Math.floor(options.mintQueueCapacity ?? defaults.mintQueueCapacity))
    const mintQueue = MutableQueue.bounded<ProjectActor.MintWork>(mintQueueCapacity)
    let overflowed = 0
    let minting = 0
    const startMint = (work: ProjectActor.MintWork): void => {
      minting++
      let finished = false
      work.start(() => {
        if (finished) return
        finished = true
        minting--
        pumpMints()
      })
    }
    /** Starts queued mints while fewer than `mintConcurrency` are in flight (skipping released projects'). */
    const pumpMints = (): void => {
      while (minting < mintConcurrency) {
        const work = MutableQueue.poll(mintQueue, undefined)
        if (work === undefined) return
        if (work.wanted()) startMint(work)
      }
    }
    /** Starts a mint now when a slot is free, else queues it. */
    const enqueueMint = (work: ProjectActor.MintWork): void => {
      if (minting < mintConcurrency && MutableQueue.isEmpty(mintQueue)) return startMint(work)
      if (!MutableQueue.offer(mintQueue, work)) {
        // full: the overflow policy (see `defaults.mintQueueCapacity`) starts it now, past the limit
        overflowed++
        if (overflowed === 1 || overflowed % 100 === 0) {
          serviceFork(
            Effect.logWarning(`URL mint queue full (${mintQueueCapacity}): a mint started past the concurrency limit`).pipe(
              Effect.annotateLogs({ overflowed })
            )
          )
        }
        startMint(work)
      }
    }

    // counts `authenticated` frames: a request written on generation g is known to a snapshot of g + 1 on
    let generation = 0
    const generationChanged = yield* Queue.sliding<number>(1)

    // --- deadlines ------------------------------------------------------------------------------
    // One fiber watches every project's overall and idle deadlines instead of a fiber and a timer per
    // project: it sleeps until the nearest one, asks each tracked actor (`check`), and a project whose
    // deadline is due takes it over in a watchdog fiber of its own (lookup, expiry). A project tracked
    // while the fiber sleeps never needs waking it: its first deadline is at least min(projectTimeout,
    // idleTimeout) away, and the fiber's wake-up is no later than that from when it went to sleep. With
    // nothing to watch, the fiber waits for the next `track`. The last `untrack` ends its sleep
    // (core's `WakeableSleep`) so that it goes idle and its timer is cleared, which would otherwise
    // keep a process that is done with the SDK (no `dispose`, a logout) alive until the last project's
    // idle deadline.
    let watchIdle = false
    const watchWake = yield* Queue.sliding<void>(1)
    const watchSleep = new WakeableSleep(clock)
    yield* Effect.forkScoped(Effect.forever(Effect.suspend(() => {
      const at = now()
      let next = Infinity
      for (const t of tracked.values()) {
        const due = t.check(at)
        if (due < next) next = due
      }
      if (next === Infinity) {
        watchIdle = true
        return Queue.take(watchWake)
      }
      return watchSleep.sleep(Math.max(1, next - at), () => tracked.size > 0)
    })))

    const lean = yield* LeanRest.make
    const mint: ProjectActor.ActorDeps["mintUrl"] = (kind, projectId, imgID, outputFormat, type, done) => {
      const contentType = DownloadUrls.contentTypeFor(type === "preview" ? "image" : kind, outputFormat)
      const { path, query } = DownloadUrls.downloadUrlRequest(kind, projectId, imgID, type, contentType)
      lean.get(path, query, decodeDownloadUrl, done)
    }

    const library = options.savedUploads === true ? yield* SavedUploads.fromRest(rest) : undefined

    const upload = (projectId: string, spec: UploadSpec) =>
      Effect.gen(function*() {
        if (
          library !== undefined &&
          (yield* library.tryBind(spec.bytes, spec.contentType, { projectId, type: spec.slot, id: spec.id }))
        ) return
        const query = spec.endpoint === "image"
          ? { imageId: Protocol.makeId(), jobId: projectId, type: spec.slot, ...(spec.contentType ? { contentType: spec.contentType } : {}) }
          : { jobId: projectId, type: spec.slot, ...(spec.id ? { id: spec.id } : {}), ...(spec.contentType ? { contentType: spec.contentType } : {}) }
        const { uploadUrl } = yield* rest.get(
          "rest",
          spec.endpoint === "image" ? "/v1/image/uploadUrl" : "/v1/media/uploadUrl",
          Protocol.UploadUrl,
          { query }
        )
        yield* rest.putBytes(uploadUrl, spec.bytes, { contentType: spec.contentType })
      }).pipe(Effect.withSpan("Projects.upload", { attributes: { slot: spec.slot }, captureStackTrace: false }))

    const uploadAll = (projectId: string, batches: ReadonlyArray<ReadonlyArray<UploadSpec>>) =>
      Effect.forEach(
        batches,
        (batch) => Effect.forEach(batch, (u) => upload(projectId, u), { discard: true, concurrency: 4 }),
        { discard: true }
      )

    /** The server's view of a project (`GET /v2/projects/{id}`) as a recovery snapshot; none when it is unknown (404). */
    const findProject = (id: string): Effect.Effect<Option.Option<Protocol.RecoveredProject>, SogniError.SogniError> =>
      rest.get("rest", `/v2/projects/${encodeURIComponent(id)}`, ProjectSnapshot).pipe(
        Effect.map(({ project }) => Option.some({ ...project, status: rawStatus(project.status) })),
        Effect.catchIf(
          (e): e is SogniError.SogniApiError => e._tag === "SogniApiError" && e.status === 404,
          () => Effect.succeed(Option.none())
        )
      )

    /**
     * A named `sizePreset` must be one the model offers on the project's network (`custom` always is).
     * `span` (the project's `Projects.prepare` span) is the parent of the presets' read and of the debug
     * line; without one (Effect's built-in tracer: see `internal/projectSpan.ts`) they have the caller's.
     */
    const checkSizePreset = (params: Params.ImageParams, modelId: string, span: Tracer.Span | undefined) => {
      const preset = params.sizePreset
      if (preset === undefined || preset === "custom") return Effect.void
      const check = models.sizePresets(modelId, params.network).pipe(
        Effect.matchEffect({
          // the list could not be read: the server stays the judge of the preset
          onFailure: (e) => Effect.logDebug(`size presets of ${modelId} unavailable, ${preset} not checked: ${e.message}`),
          onSuccess: (presets) =>
            presets.some((p) => p.id === preset)
              ? Effect.void
              : Effect.fail(
                new SogniError.SogniInvalidRequest({
                  field: "sizePreset",
                  rule: "allowed-values",
                  message: `sizePreset ${JSON.stringify(preset)} is not offered by ${modelId}; use one of ${
                    presets.map((p) => p.id).join(", ")
                  } or "custom" with width and height`
                })
              )
        })
      )
      return span === undefined ? check : Effect.withParentSpan(check, span)
    }

    /**
     * Input bytes must be a file of the slot's kind (by magic bytes) before anything is uploaded: the
     * refusal of the first upload that is not, or none.
     */
    const uploadFormatError = (
      plan: ReadonlyArray<ReadonlyArray<JobRequestBuilder.Upload>>
    ): SogniError.SogniInvalidRequest | undefined => {
      for (const batch of plan) {
        for (const u of batch) {
          const expected = u.endpoint === "image" ? "image" : u.slot === "referenceVideo" ? "video" : "audio"
          const found = detectFormat(u.bytes)
          if (found !== undefined && Object.hasOwn(formatKinds, found) && formatKinds[found] === expected) continue
          return new SogniError.SogniInvalidRequest({
            field: u.key,
            rule: "format",
            message: found === undefined
              ? `${u.key} is not a recognised ${expected} file (${uploadFormats[expected]})`
              : `${u.key} must be ${expected === "image" ? "an" : "a"} ${expected} file (${uploadFormats[expected]}), got ${found}`
          })
        }
      }
      return undefined
    }

    /**
     * Asks the socket to connect on the next macrotask (a no-op on a socket already open or opening): by
     * then the reads this turn started (the model's description) are on the wire, so the socket's first
     * connection (the `ws` module loaded, the upgrade) runs while they are answered instead of before they
     * are sent. Woken at once, the loop would load `ws` ahead of them (its import settles before the
     * fibers that issue the reads run). Not on the Effect `Clock`: there is no delay to wait, only a turn
     * to let pass, and the send connects anyway if this never runs. Only while the socket is idle or
     * closed: a project sent over a connection already there or on its way schedules nothing.
     */
    const connectSoon: Effect.Effect<void> = Effect.flatMap(socket.status.get, (status) =>
      status._tag === "Idle" || status._tag === "Closed"
        ? Effect.sync(() => {
          nextMacrotask(() => {
            serviceFork(socket.connect)
          })
        })
        : Effect.void)

    /**
     * Validates parameters against the model and builds the request (nothing is sent).
     *
     * The `Projects.prepare` span is opened as `useSpan` opens it (only when the tracer records spans:
     * `internal/projectSpan.ts`), not made the current span of the whole body (as `withSpan` would, at the
     * cost of a copy of the caller's context and two of its fiber-ref map per create): nothing in the body
     * opens a span or logs except the size-preset check (its REST read, `SogniRest.GET`, and its debug
     * line), which alone runs with the span as its parent. The model's description, when not cached, goes
     * over the lean GET, which records no span. (A refusal's error then names the caller's span, not this
     * one, in the trace lines `Cause.pretty` prints; the span itself still ends failed.)
     */
    const prepare = (params: unknown): Effect.Effect<Prepared, SogniError.SogniError> =>
      ProjectSpan.use("Projects.prepare", (span) => prepareIn(params, span, false))

    /** As {@link prepare}, for a project about to be sent: the socket connects while the model is described. */
    const prepareToSend = (params: unknown): Effect.Effect<Prepared, SogniError.SogniError> =>
      ProjectSpan.use("Projects.prepare", (span) => prepareIn(params, span, true))

    /**
     * The validation and the build, in the order they always ran: decode, the model's description, the id,
     * the video/audio rules when needed, the request, the size preset, the upload formats. With `connect`
     * (the project is to be sent) the socket is asked to connect once the parameters decoded, as the
     * model's description is read: its upgrade and the REST reads then overlap (see `connectSoon`).
     *
     * Written with `flatMap` rather than `Effect.gen`: a generator function made per call gets a prototype
     * object of its own, and hidden classes for it and its generator, on its first run. V8 allocates
     * those in the old generation, where no scavenge frees them, so every prepared project left dead
     * prototypes and maps there until the next mark-compact (`--log-maps` on the paced fan-out: one
     * initial map and one prototype normalization per prepare).
     */
    const prepareIn = (
      params: unknown,
      span: Tracer.Span | undefined,
      connect: boolean
    ): Effect.Effect<Prepared, SogniError.SogniError> =>
      Effect.flatMap(decodeParams(params), (decoded) =>
        Effect.flatMap(connect ? Effect.zipRight(connectSoon, models.describe(decoded.modelId)) : models.describe(decoded.modelId), (model) => {
          const projectId = Protocol.makeId()
          const appSource = Option.getOrUndefined(settings.appSource)
          const build = (kinds: JobRequestBuilder.KindChecks | undefined) =>
            Effect.flatMap(
              JobRequestBuilder.buildWith(decoded, {
                projectId,
                model,
                ...(appSource !== undefined ? { appSource } : {})
              }, kinds),
              (request) => {
                const finish = (): Effect.Effect<Prepared, SogniError.SogniInvalidRequest> => {
                  const plan = JobRequestBuilder.uploadPlan(JobRequestBuilder.normalize(decoded))
                  const refused = uploadFormatError(plan)
                  if (refused !== undefined) return Effect.fail(refused)
                  const keyFrame = request.keyFrames[0] ?? {}
                  const steps = typeof keyFrame.steps === "number" ? keyFrame.steps : undefined
                  return Effect.succeed({
                    request,
                    numberOfMedia: request.numberOfImages,
                    steps,
                    disableSafety: request.disableSafety ?? false,
                    kind: model.media,
                    outputFormat: request.outputFormat,
                    uploads: plan.map((batch) =>
                      batch.map((u): UploadSpec => ({
                        slot: u.slot,
                        endpoint: u.endpoint,
                        id: u.id,
                        bytes: u.bytes,
                        contentType: Option.getOrUndefined(u.contentType)
                      }))
                    )
                  } satisfies Prepared)
                }
                return decoded.type === "image" && model.media === "image"
                  ? Effect.flatMap(checkSizePreset(decoded, model.id, span), finish)
                  : Effect.suspend(finish)
              }
            )
          return JobRequestBuilder.needsKindChecks(decoded) ? Effect.flatMap(loadKindChecks, build) : build(undefined)
        }))

    const prepared = (input: Input): Effect.Effect<Prepared, SogniError.SogniError> =>
      isPrepared(input) ? Effect.succeed(input) : prepareToSend(input)

    const actorDeps: ProjectActor.ActorDeps = {
      route: socket.claimRoute,
      send: socket.send,
      mintUrl: mint,
      findProject,
      uploadAll,
      clock,
      enqueueMint,
      fork: serviceFork,
      generation: () => generation,
      nextConnection: (timeout) => Queue.take(generationChanged).pipe(Effect.timeout(timeout), Effect.ignore),
      connectionStatus: socket.status.get,
      track: (actor) => {
        tracked.set(actor.project.id, actor)
        if (watchIdle) {
          watchIdle = false
          watchWake.unsafeOffer(undefined)
        }
      },
      sharedWatchdog: true,
      untrack: (id) => {
        // the last one: a sleeping watcher goes idle
        if (tracked.delete(id) && tracked.size === 0) watchSleep.wake()
      },
      timing: {
        projectTimeout,
        idleTimeout,
        cancelTimeout,
        interruptCancelTimeout,
        etaTick,
        resubmitWait,
        urlLifetimeMillis: urlLifetime
      }
    }

    /**
     * `keepBacklog`: hold the events emitted before the first subscriber (up to `backlogLimit`), for
     * callers that subscribe later; `run` never subscribes, so it keeps none.
     */
    const launch = (prepared: Prepared, keepBacklog: boolean): Effect.Effect<Project> =>
      withCallerRuntime((runtime) =>
        Effect.map(
          ProjectSpan.use("Projects.submit", () =>
            ProjectActor.make(actorDeps, serviceScope, prepared, keepBacklog, undefined, false, runtime)),
          (actor) => actor.project
        )
      )

    /**
     * Starts a project and returns it once its request was handed to the socket (bounded by the socket's
     * `sendTimeout`; a failed send ends the project `Failed` rather than failing `submit`). Without
     * uploads the caller's fiber writes the request itself, as `run` does, instead of a start fiber per
     * project; the send is uninterruptible, so a project returned or left behind by an interrupted caller
     * never stays unsent. With uploads (possibly long) the uploads and the send run in the project's own
     * fiber and `submit` returns at once.
     */
    const submit = (prepared: Prepared): Effect.Effect<Project> => {
      const uploads = prepared.uploads
      if (uploads !== undefined && uploads.some((batch) => batch.length > 0)) return launch(prepared, true)
      // the span covers the actor's making, as in `run`: one held open through the send would keep the
      // span and the context copy it brings alive while the socket writes the requests of a burst
      return withCallerRuntime((runtime) =>
        Effect.uninterruptible(
          Effect.flatMap(
            ProjectSpan.use("Projects.submit", () =>
              ProjectActor.make(actorDeps, serviceScope, prepared, true, undefined, true, runtime)),
            (actor) =>
              // `finish`: this caller does not wait for the end; a project that already ended is closed here
              Effect.as(Effect.zipRight(actor.start, actor.finish), actor.project)
          )
        )
      )
    }

    /** Adopts a project known from a recovery snapshot, unless it is tracked already. */
    const adopt = (recovered: Protocol.RecoveredProject, active: boolean): Effect.Effect<Project> =>
      Effect.suspend(() => {
        const known = tracked.get(recovered.id.toUpperCase())
        if (known !== undefined) return Effect.succeed(known.project)
        return Effect.map(
          ProjectActor.make(actorDeps, serviceScope, ProjectActor.preparedOfRecovered(recovered), true, { project: recovered, active }),
          (actor) => actor.project
        )
      }).pipe(Effect.withSpan("Projects.adopt", { attributes: { projectId: recovered.id }, captureStackTrace: false }))
    const adoptRecovered = options.adoptRecovered !== false

    /**
     * Cancels when the consumer goes away before the end; bounded so release never hangs. A release runs
     * uninterruptibly, and `timeout` runs its effect in a child fiber with the caller's interruptibility:
     * the cancel is marked interruptible there, else the timeout could not stop it. (The child is a fresh
     * fiber, so the interruption that triggered the release does not reach it; the timeout's does.)
     */
    const cancelOnInterrupt = (project: Project) =>
      Effect.flatMap(project.state, (s) =>
        ProjectState.isTerminal(s.status)
          ? Effect.void
          : Effect.interruptible(project.cancel).pipe(
            Effect.timeoutFail({
              duration: interruptCancelTimeout,
              onTimeout: () =>
                new SogniProjectError({
                  reason: "CancelTimeout",
                  projectId: project.id,
                  message: `no cancel confirmation within ${Duration.format(interruptCancelTimeout)}`
                })
            }),
            Effect.catchAll((e) => Effect.logWarning(`cancel of ${project.id} on interrupt did not complete: ${e.message}`))
          ))

    // --- reconnect reconciliation --------------------------------------------------------------
    /** When each project's pending post-reconnect check is due (ms); an id is here while its check waits. */
    const checkDue = new Map<string, number>()
    const reconcile = (snapshot: Protocol.Authenticated) =>
      Effect.gen(function*() {
        const active = new Map(snapshot.activeProjects.map((p) => [p.id.toUpperCase(), p]))
        const finished = new Map(snapshot.unclaimedCompletedProjects.map((p) => [p.id.toUpperCase(), p]))
        for (const [id, t] of tracked) {
          if (ProjectState.isTerminal(t.current().status)) continue
          // an end for good came after it: that end's lookup ends it (it may still be under way)
          if (ending.has(t)) continue
          // the service's first handshake, and this project not written yet: it goes out on this connection,
          // the first, so none of its frames can have died with an earlier one (nothing to look up later)
          if (generation === 1 && t.sentOn === undefined) continue
          // whatever the handshake says, frames may have died around it: look once more a little later (one
          // check per project, pushed back by each later handshake: a server repeating its handshake must not
          // start a lookup per frame)
          const pending = checkDue.has(id)
          checkDue.set(id, now() + Duration.toMillis(reconnectCheck))
          if (!pending) yield* Effect.forkIn(checkAfterReconnect(id, t), serviceScope)
          if (t.sentOn === undefined || t.sentOn >= generation) continue // not written before this connection
          const found = active.get(id) ?? finished.get(id)
          if (found !== undefined) {
            yield* t.feed({ _tag: "Recovered", project: found, active: active.has(id), now: now() })
            // still running on the server: a cancel waiting for its answer may have died with the old socket
            yield* t.resendCancel
            continue
          }
          if (!t.current().admitted) {
            // nothing heard of it: the socket may have died before the server read it, or after the server
            // took (and maybe finished) it and before its frames arrived; only the lookup tells
            t.sentOn = undefined
            yield* Effect.forkIn(lookUpOrResend(id, t), serviceScope)
            continue
          }
          yield* Effect.forkIn(lookUp(id, t), serviceScope)
        }
        if (!adoptRecovered) return
        // in flight under this appId but not tracked here (an earlier process or connection started it)
        for (const [id, p] of active) {
          if (tracked.has(id) || isLlmProject(p)) continue
          yield* adopt(p, true)
        }
      })

    /**
     * A project still open `reconnectCheck` after the latest reconnect is looked up; when the server
     * finished it (its end was lost with a socket), the server's record ends it now rather than at the idle
     * deadline.
     */
    const checkAfterReconnect = (id: string, t: ProjectActor.ProjectActor): Effect.Effect<void> =>
      Effect.zipRight(
        Effect.onInterrupt(untilCheckDue(id), () => Effect.sync(() => checkDue.delete(id))),
        lookUpAfterReconnect(id, t)
      )

    /** Sleeps until the project's check is due (a later handshake moves it on), then clears it. */
    const untilCheckDue = (id: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const wait = (checkDue.get(id) ?? 0) - now()
        if (wait > 0) return Effect.zipRight(Effect.sleep(Duration.millis(wait)), untilCheckDue(id))
        checkDue.delete(id)
        return Effect.void
      })

    const lookUpAfterReconnect = (id: string, t: ProjectActor.ProjectActor) =>
      Effect.suspend(() =>
        ProjectState.isTerminal(t.current().status) || t.sentOn === undefined
          ? Effect.void
          : findProject(id).pipe(
            Effect.flatMap((found) =>
              Option.isSome(found) && ProjectActor.isFinished(found.value) && !ProjectState.isTerminal(t.current().status)
                ? t.feed({ _tag: "Recovered", project: found.value, active: true, now: now() })
                : Effect.void
            ),
            // unreadable: the idle deadline stays the backstop
            Effect.catchAll((e) => Effect.logDebug(`could not check project ${id} after a reconnect: ${e.message}`))
          )
      )

    /**
     * Resends a project the server does not know; feeds the server's snapshot of one it knows. Either
     * way the project counts as written again (`sentOn`): a found project that stayed unmarked would be
     * skipped by every later reconcile and reconnect check, so an end lost with a later socket could
     * only be found by the idle deadline.
     */
    const lookUpOrResend = (id: string, t: ProjectActor.ProjectActor) =>
      findProject(id).pipe(
        Effect.flatMap(Option.match({
          onNone: () => t.resend,
          onSome: (found) =>
            Effect.zipRight(
              Effect.sync(() => {
                if (t.sentOn === undefined) t.sentOn = generation
              }),
              t.feed({ _tag: "Recovered", project: found, active: true, now: now() })
            )
        })),
        // unreadable: resend; an "already exists" refusal then asks for the lookup again
        Effect.catchAll((e) => Effect.zipRight(Effect.logWarning(`could not look up project ${id} before resending it: ${e.message}`), t.resend))
      )

    const lookUp = (id: string, t: ProjectActor.ProjectActor) =>
      findProject(id).pipe(
        Effect.flatMap(Option.match({
          onSome: (found) => Effect.zipRight(t.feed({ _tag: "Recovered", project: found, active: true, now: now() }), t.resendCancel),
          onNone: () =>
            t.feed({
              _tag: "LocalFailure",
              error: {
                code: 0,
                originalCode: "projectLost",
                message: "The server has no record of this project after the reconnect; submit it again."
              },
              now: now()
            })
        })),
        Effect.catchAll((e) => Effect.logWarning(`could not look up project ${id} after a reconnect: ${e.message}`))
      )

    const handshakes = yield* socket.subscribe(["authenticated"])
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.flatMap(Queue.take(handshakes), (event) =>
          event.type === "authenticated"
            ? Effect.suspend(() => {
              generation++
              generationChanged.unsafeOffer(generation)
              return reconcile(event.payload)
            })
            : Effect.void)
      )
    )

    // --- a connection that ended for good ------------------------------------------------------
    // After a refused key (4021), a blocked app (4010), any other refusal or reconnects given up, every
    // unfinished project made before that end is looked up once and ended (internal/connectionEnded.ts,
    // loaded then), a failure carrying the end's error. After 4015 (another connection took this appId over)
    // the projects' frames go there and the idle lookups still follow each to its end; only a project whose
    // jobs all ended (its end marker missing) completes now.
    // Every such end, each once: the socket's owner may `reopen` it (a sign-in after 4010/4021, this appId
    // taken back after 4015), and the projects in flight at a later end are ended by that end. Each end for
    // good writes one `Closed` status with its error, and the status watcher reads every write in order
    // (`SubscriptionRefs.forEachChange`: no Stream, woken only by status writes), so an end that a quick
    // `reopen` followed is still read; a run of `awaitTerminal` would complete once and, run again while
    // the status stays `Closed`, at once with the end already handled.
    //
    // An end applies only to the projects made before it. The watcher runs after the status write (and a
    // program that learns of the end first, its send refused, say, may `reopen` and start a project before
    // then), so it cannot take the tracked projects as they are when it runs: each actor keeps the status it
    // was made under (`madeUnder`, read on the turn it was tracked), and the watcher, which reads every
    // status in the order written, ends the projects made under a status it read before this end. A project
    // made under this end's status or a later one (not read yet) was started after the end. (The watcher's
    // queue drops its oldest unread status after 1024 unread writes: a project made under a dropped status
    // would be left to its idle deadline; a backlog of 1024 status writes does not happen.) The projects an
    // end takes over are chosen on the watcher's turn and marked `ending` until their lookups ended them, so
    // that the handshake of a connection opened meanwhile (after a `reopen`) does not look them up or
    // resend them; the work runs in a fiber of its own, leaving the watcher free to read the next status.
    /** The statuses the watcher has read (each status write is a new value). */
    const readStatuses = new WeakSet<object>()
    /** The watcher's reading of one status write, on its turn (see above). */
    const onStatus = (status: SogniSocket.ConnectionStatus): Effect.Effect<void> => {
      if (status._tag !== "Closed" || Option.isNone(status.error)) {
        readStatuses.add(status)
        return Effect.void
      }
      const error = status.error.value
      const before = new Map<string, ProjectActor.ProjectActor>()
      for (const [id, t] of tracked) {
        if (ProjectState.isTerminal(t.current().status)) continue
        if (t.madeUnder === undefined || readStatuses.has(t.madeUnder)) before.set(id, t)
      }
      readStatuses.add(status)
      if (before.size === 0) return Effect.void
      if (error._tag === "SogniConnectionReplacedError") {
        return Effect.sync(() => {
          serviceFork(Effect.flatMap(loadConnectionEnded, (m) => m.endFinished(before, now, error)))
        })
      }
      for (const t of before.values()) ending.add(t)
      return Effect.sync(() => {
        serviceFork(Effect.ensuring(
          Effect.flatMap(loadConnectionEnded, (m) => m.endAll(before, findProject, now, error)),
          Effect.sync(() => {
            for (const t of before.values()) ending.delete(t)
          })
        ))
      })
    }
    // the service is ready once the watcher has subscribed (and read the status then): a project made
    // before that could be made under a status the watcher never reads
    const watching = yield* Deferred.make<void>()
    let subscribed = false
    yield* Effect.forkScoped(
      SubscriptionRefs.forEachChange(socket.status, (status) => {
        if (subscribed) return onStatus(status)
        subscribed = true
        return Effect.zipRight(Deferred.succeed(watching, undefined), onStatus(status))
      })
    )
    yield* Deferred.await(watching)

    /**
     * `run` once validated: as `acquireRelease` in a scope, without the scope and the fiber-refs diff its
     * release costs per project: started uninterruptibly, awaited interruptibly, canceled when the wait ends
     * unfinished. The caller's fiber sends the request itself (no start fiber per project) and, once the
     * project ended, releases it (no closing fiber per project).
     *
     * The mask's function stays on the caller's stack (its interruptibility frame) for as long as the
     * project runs, so it reaches the prepared request only through `held`, emptied once the actor is
     * made: the actor keeps what it needs (the request only until the server admits it).
     */
    const runPrepared = (p: Prepared) => {
      let held: Prepared | undefined = p
      return Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(
          withCallerRuntime((runtime) =>
            ProjectSpan.use("Projects.submit", () => {
              const prepared = held!
              held = undefined
              return ProjectActor.make(actorDeps, serviceScope, prepared, false, undefined, true, runtime)
            })
          ),
          // one handler frame and the two interruptibility frames are all this holds on the caller's
          // stack while the project runs (`ensuring` around `await` held about nine)
          (actor) =>
            Effect.matchCauseEffect(restore(Effect.zipRight(actor.start, actor.end)), {
              // ended (the usual case): release it here, then answer
              onSuccess: (final) => Effect.zipRight(actor.finish, ProjectActor.outcome(final)),
              // interrupted (or a defect): cancel it first unless it ended meanwhile
              onFailure: (cause) =>
                Effect.zipRight(
                  Effect.suspend(() =>
                    ProjectState.isTerminal(actor.current().status)
                      ? actor.finish
                      : Effect.zipRight(cancelOnInterrupt(actor.project), actor.finish)
                  ),
                  Effect.failCause(cause)
                )
            })
        )
      )
    }

    return {
      prepare,
      create: (input) => Effect.flatMap(prepared(input), submit),
      submit,
      events: (input) =>
        LeanStream.unwrapScoped(
          Effect.flatMap(prepared(input), (p) =>
            Effect.map(Effect.acquireRelease(submit(p), cancelOnInterrupt), (project) => project.events))
        ),
      // suspended: the caller's stack keeps the effect it was handed for as long as the project runs (its
      // `flatMap` frames hold their source effect), so the validation's effect tree (the span's tracer
      // lookups, their closures and contexts: ~0.7 KB) is built inside and let go once it ran
      run: (input) => Effect.suspend(() => Effect.flatMap(prepared(input), runPrepared)),
      adopt,
      get: (id) => Effect.sync(() => Option.map(Option.fromNullable(tracked.get(id.toUpperCase())), (t) => t.project)),
      active: Effect.sync(() => [...tracked.keys()])
    } satisfies ProjectsService

  })
}

/**
 * @since 0.1.0
 */
export function layer(
  options?: ProjectsOptions
): Layer.Layer<
  Projects,
  never,
  SogniSocket.SogniSocket | SogniRest.SogniRest | SogniAuth.SogniAuth | SogniConfig.SogniConfig | Models.Models
> {
  return Layer.scoped(Projects, make(options))
}
