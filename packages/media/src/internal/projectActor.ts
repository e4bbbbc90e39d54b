/**
 * One media project as an actor: it owns the project's state, folds every input through the pure
 * {@link ProjectState.transitionInPlace}, publishes the events to its subscribers and listeners, and
 * runs the commands the machine asks for. Everything it touches outside itself comes in through
 * {@link ActorDeps}: the socket route, the send, URL minting, the REST lookup, uploads, the clock, and
 * the service's fork and mint queue. `Projects` builds one per project and keeps the map of them.
 *
 * **Mailbox.** Inputs are applied synchronously by whoever delivers them (the socket's turn for server
 * frames, a command's fiber for mint results and lookups): no queue and no fiber per frame. An input
 * that arrives while the actor is already applying one (re-entrantly: offered by a listener, or by a
 * command that answers at once) waits in the mailbox and is applied, in order, right after.
 *
 * Nothing bounds what a listener offers while it is called, so the mailbox has a written overflow policy,
 * the one of `eventBuffer.ts` applied to inputs:
 * - an input offered once the project has ended, or while a confirmed cancel (which always ends it)
 *   waits, is not kept (the reducer ignores every input after the end, so this changes nothing);
 * - an input of a repeatable kind is *superseded* by a later one of the same kind and job (`imgID`), or
 *   of the same kind for the project-wide ones: a `jobProgress`, `jobETA`, `initiatingModel`,
 *   `jobStarted` or `jobRetry` frame and a minted preview of a job; a `queued` (or other non-final)
 *   `jobState`, a refused cancel and a clock tick of the project ({@link inputKind});
 * - when {@link mailboxCapacity} inputs wait and another arrives, one pass drops every waiting input a
 *   later waiting one supersedes, then, while more than half of the capacity still waits, the oldest
 *   progress-like ones (progress, ETA, preview, tick), then the oldest other repeatable ones;
 * - never dropped: the ends and what no later input repeats (`jobResult`, `jobError`, the final
 *   `jobState`, a confirmed cancel, a minted result URL, a local failure, a recovery snapshot). A
 *   listener cannot make the server send these (server frames come on the socket's own turn, never
 *   inside a listener call); what it can offer of them, a cancel of a request not yet sent, ends the
 *   project (the rule above: once); and each applied input answers with a bounded number of them (one
 *   per command it yields), so they stay few. The mailbox holds at most the capacity, or twice its
 *   never-dropped inputs when those alone are more than half of it.
 * What survives keeps its order. Drops are counted and logged at the first pass that drops and every
 * 100th.
 *
 * @internal
 */
import * as LeanStream from "@effect-sogni/core/LeanStream"
import type * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniError from "@effect-sogni/core/SogniError"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { SogniProjectError } from "../MediaError.js"
import type { ListenOptions, MediaKind, Prepared, Project, ProjectListener, UploadSpec } from "../Projects.js"
import * as ProjectState from "../ProjectState.js"
import * as DownloadUrls from "./downloadUrls.js"
import { EventBuffer, overflowPass } from "./eventBuffer.js"

/**
 * Events held for a subscriber that has not arrived yet, in an {@link EventBuffer} of this capacity (its
 * overflow policy: stale progress, retries, starts and queue positions are dropped, the newest kept).
 */
export const backlogLimit = 1024

/**
 * Events waiting in one subscriber's buffer before the overflow policy drops the oldest `JobProgress`,
 * `JobEta` or `Preview` (a later one of the same job supersedes it; lifecycle events are never dropped):
 * see `eventBuffer.ts`.
 */
export const eventBufferCapacity = 1024

/** Inputs waiting in the re-entrancy mailbox before its overflow policy applies (see the module note). */
export const mailboxCapacity = 1024

/**
 * Malformed frame fields (`Malformed` commands, see `ProjectState.frameRules`) logged one by one per project;
 * after these only every 1000th is, and the project's end logs how many there were in all: a server pouring
 * absurd numbers does not pour log lines (nor a fiber per frame) too.
 */
export const malformedWarnings = 5

/**
 * A URL mint handed to the service's mint queue: plain callbacks, no fiber or effect per mint (methods:
 * called on the work, never detached from it).
 */
export interface MintWork {
  /** False once the project was released: its queued mints are skipped and late answers dropped. */
  wanted(): boolean
  /** Starts the mint; it calls `finish` exactly once, when the answer (or the final failure) arrived. */
  start(finish: () => void): void
}

/** The timing bounds an actor works with (already decoded). */
export interface ActorTiming {
  readonly projectTimeout: Duration.Duration
  readonly idleTimeout: Duration.Duration
  readonly cancelTimeout: Duration.Duration
  readonly interruptCancelTimeout: Duration.Duration
  readonly etaTick: Duration.Duration
  readonly resubmitWait: Duration.Duration
  /** Milliseconds a minted result URL is taken to stay valid. */
  readonly urlLifetimeMillis: number
}

/** Everything an actor uses outside itself. */
export interface ActorDeps {
  /**
   * Claims the socket route of a project id at once (each event is handed over synchronously) and returns
   * the function that releases it; the actor calls it when it is released.
   */
  readonly route: (id: string, onEvent: (event: Protocol.ServerEvent) => void) => () => void
  readonly send: (message: Protocol.ClientMessage) => Effect.Effect<void, SogniError.SogniError>
  /**
   * Mints a result (`complete`) or preview URL of one job and calls `done` once with the URL or the
   * typed error (retries included), on the turn the answer arrives.
   */
  readonly mintUrl: (
    kind: MediaKind,
    projectId: string,
    imgID: string,
    outputFormat: string | undefined,
    type: "complete" | "preview",
    done: (result: Either.Either<string, SogniError.SogniError>) => void
  ) => void
  /** The server's view of a project as a recovery snapshot; none when it does not know it. */
  readonly findProject: (id: string) => Effect.Effect<Option.Option<Protocol.RecoveredProject>, SogniError.SogniError>
  readonly uploadAll: (
    projectId: string,
    batches: ReadonlyArray<ReadonlyArray<UploadSpec>>
  ) => Effect.Effect<void, SogniError.SogniError>
  readonly clock: Clock.Clock
  /** Queues a URL mint on the service's bounded mint queue. */
  readonly enqueueMint: (work: MintWork) => void
  /** Runs an effect in a fiber of the service (outlives the project). */
  readonly fork: (effect: Effect.Effect<void>) => void
  /** The current connection generation (counts `authenticated` frames). */
  readonly generation: () => number
  /** Waits for the next connection, at most `timeout`. */
  readonly nextConnection: (timeout: Duration.Duration) => Effect.Effect<void>
  /** Registers a new actor with the service, before its route is claimed and its request sent. */
  readonly track: (actor: ProjectActor) => void
  /**
   * Read as each actor is made, on the turn it is tracked, and kept as its {@link ProjectActor.madeUnder}:
   * the socket's status then (a value each status write makes anew). The service tells by it which projects
   * an end for good came after. Without it an actor's `madeUnder` is undefined.
   */
  readonly connectionStatus?: Effect.Effect<object> | undefined
  /** Called once when the project ended, before it is released. */
  readonly untrack: (id: string) => void
  /**
   * True when the service checks the actor's deadlines from one fiber of its own (through
   * {@link ProjectActor.check}); otherwise (or once a deadline is due) the actor runs a watchdog fiber.
   */
  readonly sharedWatchdog?: boolean | undefined
  readonly timing: ActorTiming
}

/** A running project actor, as the service tracks it. */
export interface ProjectActor {
  readonly project: Project
  readonly createdAt: number
  /** The connection generation on which the request was written (undefined until written). */
  sentOn: number | undefined
  /**
   * The socket's status when the actor was made ({@link ActorDeps.connectionStatus}, read on the turn it
   * was tracked): an end for good applies to the projects made under a status written before it.
   */
  readonly madeUnder: object | undefined
  /** Applies one input (through the mailbox) and runs the commands it yields. */
  readonly feed: (input: ProjectState.Input) => Effect.Effect<void>
  readonly current: () => ProjectState.ProjectState
  readonly resend: Effect.Effect<void>
  /**
   * Writes the cancel frame again when a `cancel` still waits for its confirmation and the project has not
   * ended (a no-op otherwise): after a reconnect whose server still runs the project, the earlier frame
   * may have died with the old socket unread. A failed send is logged; the cancel's own timeout stays the
   * backstop.
   */
  readonly resendCancel: Effect.Effect<void>
  /**
   * The uploads and the send, when the actor was made with `startInCaller` (the caller runs it in its
   * own fiber, saving a fiber per project); `Effect.void` otherwise (the actor forked it itself).
   */
  readonly start: Effect.Effect<void>
  /**
   * The service watchdog's look at the project's deadlines at `now` (milliseconds): when one is due, the
   * actor takes its deadlines over in a watchdog fiber of its own (lookups, expiry) and answers `Infinity`
   * from then on, as it does once ended; otherwise it answers when to look again.
   */
  readonly check: (now: number) => number
  /**
   * For the caller that started the actor with `startInCaller` (`run`): the project's final state, once
   * it ended. A plain `Effect.async` without a canceler (no interruption handler, so no frames held on
   * the caller's stack while it waits): an interrupted wait leaves its callback behind, inert (the fiber
   * ignores a resume after the interruption), until the caller runs {@link finish}, which drops it.
   */
  readonly end: Effect.Effect<ProjectState.ProjectState>
  /**
   * For the caller that started the actor with `startInCaller`, once it stops waiting: drops its `end`
   * callback, releases the project now when it ended, else leaves that to the end.
   */
  readonly finish: Effect.Effect<void>
}

/**
 * A project this process did not start, known from a recovery snapshot (an `authenticated` frame or the
 * sync route): its actor sends nothing, replays the snapshot and follows the project's frames from there.
 */
export interface Adopted {
  readonly project: Protocol.RecoveredProject
  /** Listed as in flight (`activeProjects`) rather than finished. */
  readonly active: boolean
}

/** The media kind of a recovered project, from its model type (images unless it says otherwise). */
function kindOfRecovered(project: Protocol.RecoveredProject): MediaKind {
  return DownloadUrls.kindOfModelType(typeof project.modelType === "string" ? project.modelType : project.model?.type)
}

/**
 * What an adopted project's actor knows of it: the id, the media count and steps of the snapshot (the
 * request itself stays on the server; the adopted actor never sends one).
 */
export function preparedOfRecovered(project: Protocol.RecoveredProject): Prepared {
  const listed = (project.workerJobs?.length ?? 0) + (project.completedWorkerJobs?.length ?? 0)
  const numberOfMedia = Math.max(1, project.imageCount ?? listed)
  return {
    request: {
      jobID: project.id.toUpperCase(),
      numberOfImages: numberOfMedia,
      keyFrames: project.model?.id !== undefined ? [{ modelID: project.model.id }] : []
    },
    numberOfMedia,
    steps: project.stepCount,
    kind: kindOfRecovered(project)
  }
}

/** A snapshot (raw statuses) of a project the server has ended. */
export function isFinished(project: Protocol.RecoveredProject): boolean {
  return project.status === "completed" || project.status === "errored" || project.status === "cancelled"
}

function cancelFrameOf(id: string) {
  return ({
    type: "jobError",
    payload: { jobID: id, error: "artistCanceled", error_message: "artistCanceled", isFromWorker: false }
  }) as const
}

/**
 * The kind of an input for the mailbox's overflow policy, one bit per kind a later input of the same kind
 * and job (or project) supersedes (the module note); 0 for the inputs never dropped. The progress-like
 * kinds (progress, ETA, preview, tick) are the low four bits, as `overflowPass` expects.
 */
function inputKind(input: ProjectState.Input): number {
  if (input._tag === "Tick") return 8
  if (input._tag === "PreviewMinted") return 4
  if (input._tag !== "Server") return 0
  const event = input.event
  if (event.type === "jobState") return jobStateKinds[event.payload.type] ?? 512
  if (event.type === "artistCancelConfirmation") return event.payload.didCancel ? 0 : 32
  return serverKinds[event.type] ?? 0
}

/** {@link inputKind} of the server frames other than `jobState` and `artistCancelConfirmation`. */
const serverKinds: { readonly [type: string]: number | undefined } = { jobProgress: 1, jobETA: 2, jobRetry: 16 }

/** {@link inputKind} of the `jobState` frames (another type: 512, one kind per project). */
const jobStateKinds: { readonly [type: string]: number | undefined } = {
  jobCompleted: 0,
  initiatingModel: 64,
  jobStarted: 128,
  queued: 256
}

/** The job a repeatable input names (`undefined`: one of the project as a whole). */
function inputJob(input: ProjectState.Input): string | undefined {
  if (input._tag === "PreviewMinted") return input.imgID
  if (input._tag !== "Server") return undefined
  return (input.event.payload as { readonly imgID?: string | undefined }).imgID
}

/**
 * The mailbox's overflow pass (the module note's policy) over `waiting`, in place: what it dropped
 * (`eventBuffer.ts`'s pass, over inputs).
 */
export function compactMailbox(waiting: Array<ProjectState.Input>, capacity: number): number {
  return overflowPass(waiting, capacity, inputKind, inputJob)
}

/**
 * One project's actor: its state in fields and its behaviour in methods on the prototype, so a project
 * costs one object (and its {@link ActorProject}) rather than a closure context and some thirty closures.
 * The only closures it keeps for its life are the ones handed to others: the route's `onServerEvent` and
 * its remover (and, while someone waits, their callbacks).
 */
class Actor implements ProjectActor {
  readonly project: ActorProject
  readonly createdAt: number
  /** The connection generation on which the request was written (undefined until written). */
  sentOn: number | undefined = undefined
  madeUnder: object | undefined = undefined
  readonly id: string
  readonly deps: ActorDeps
  // what a resend and the URL mints need of `prepared`: never `prepared` itself
  /**
   * The request, kept for a resend only while the server has not admitted it (a resend happens only
   * then: `Resubmit` and the reconnect's `lookUpOrResend` both require an unadmitted project); let go
   * at the first `jobState` (`admitted`), and never kept for an adopted project (it sends nothing).
   */
  request: Protocol.JobRequest | undefined
  readonly kind: MediaKind
  readonly outputFormat: string | undefined
  /** The input bytes to upload, let go once the uploads ran. */
  uploads: ReadonlyArray<ReadonlyArray<UploadSpec>> | undefined
  readonly adopted: Adopted | undefined
  /** The unreleased actors of the parent scope, this one among them until it is released. */
  readonly host: Host
  /**
   * The runtime the project's own fibers (start, deadlines, ETA ticks, lookups) are forked with: the
   * caller's, taken outside its per-project span (a runtime taken inside it holds a copy of the context
   * with the span, for the project's whole life). They are interrupted when the project is released.
   */
  readonly runtime: Runtime.Runtime<never>
  readonly deadlineAt: number
  /**
   * The project's own fibers, kept in a plain set interrupted by the release rather than a `FiberSet`
   * (whose `acquireRelease` diffs the fiber's refs, the whole context, at release). Created with the
   * first fiber: most projects never fork one (the service watches the deadlines).
   */
  live: Set<Fiber.RuntimeFiber<void>> | undefined = undefined
  /** Set when the project is released: its queued mints are dropped and nothing more is forked. */
  released = false
  current_: ProjectState.ProjectState
  // The subscribers, listeners and cancel answers are created on first use: a `run` has none, an
  // adapter's project one listener, and a project is rarely canceled.
  subscribers: Set<EventBuffer> | undefined = undefined
  /**
   * The listeners in the order they came, each with when it needs progress events
   * (`ListenOptions.wantsProgress`; undefined: always).
   */
  listeners: Map<ProjectListener, (() => boolean) | undefined> | undefined = undefined
  /** Events held for the first subscriber or listener (none kept for `run`). */
  backlog: EventBuffer | undefined
  ticking = false
  /** The callers waiting for the end (`await`): plain callbacks rather than a `Deferred` per project. */
  waiters: Set<(final: ProjectState.ProjectState) => void> | undefined = undefined
  /**
   * The `startInCaller` caller's own wait (`end`): one slot, no set, holding the wait's own `resume` (no
   * closure around it kept for the project's life).
   */
  callerResume: ((effect: Effect.Effect<ProjectState.ProjectState>) => void) | undefined = undefined
  cancelAnswers: Set<Deferred.Deferred<void, SogniProjectError>> | undefined = undefined
  /**
   * The jobs (by `imgID`) whose preview URL is being minted, each with whether a later frame asked for a
   * newer one meanwhile: one preview mint per job at a time, the newest asked for once it answers (a server
   * that flags `hasImage` on every progress frame would otherwise start a REST request per frame).
   */
  previewMints: Map<string, boolean> | undefined = undefined
  // mailbox
  applying = false
  /** Inputs offered while one is applied (made on the first such input: almost never). */
  mailbox: Array<ProjectState.Input> | undefined = undefined
  /** The mailbox's size at which the next offer runs the overflow pass (`mailboxCapacity`, or more). */
  mailboxLimit = mailboxCapacity
  /** A confirmed cancel waits in the mailbox: what follows it would be ignored. */
  mailboxEnded = false
  /** Inputs the mailbox's overflow policy dropped, and the passes that dropped any. */
  mailboxDropped = 0
  mailboxPasses = 0
  /** Malformed frame fields seen (`Malformed` commands); see {@link malformedWarnings}. */
  malformedSeen = 0
  /**
   * `run` releases an ended project in its own fiber after the wait (no fiber forked for it); once
   * it stopped waiting (`finish`), a later end is released from the turn that ended it, as for other callers.
   */
  closeInCaller: boolean
  readonly startInCaller: boolean
  /** When the project was last heard of (a frame, or the request going out): the idle deadline's origin. */
  lastHeard: number
  sent = false
  /** The request is being handed to the socket (it may reach the server: a cancel must go on the wire). */
  sending = false
  /** With a service watchdog, nothing per project waits on a timer until a deadline is actually due. */
  ownWatchdog = false
  /** Server events are folded on the socket's own turn: no queue, no fiber wake-up per frame. */
  readonly onServerEvent: (event: Protocol.ServerEvent) => void
  /** Releases the socket route (set once it was claimed; called once, by the release). */
  unroute: (() => void) | undefined = undefined

  constructor(
    deps: ActorDeps,
    prepared: Prepared,
    keepBacklog: boolean,
    adopted: Adopted | undefined,
    startInCaller: boolean,
    host: Host,
    runtime: Runtime.Runtime<never>
  ) {
    const given = prepared.request
    const id = given.jobID.toUpperCase()
    this.id = id
    this.deps = deps
    this.request = adopted !== undefined ? undefined : id === given.jobID ? given : { ...given, jobID: id }
    this.kind = prepared.kind
    this.outputFormat = prepared.outputFormat
    this.uploads = prepared.uploads
    this.adopted = adopted
    this.host = host
    this.runtime = runtime
    this.startInCaller = startInCaller
    this.closeInCaller = startInCaller && adopted === undefined
    this.backlog = keepBacklog ? new EventBuffer(backlogLimit) : undefined
    this.current_ = ProjectState.initial({
      id,
      numberOfMedia: prepared.numberOfMedia,
      steps: prepared.steps,
      disableSafety: prepared.disableSafety,
      kind: prepared.kind
    })
    const created = this.now()
    this.createdAt = created
    this.lastHeard = created
    this.deadlineAt = created + Duration.toMillis(deps.timing.projectTimeout)
    this.onServerEvent = (event) => {
      const at = this.now()
      this.lastHeard = at
      this.offer({ _tag: "Server", event, now: at })
    }
    this.project = new ActorProject(this)
  }

  now(): number {
    return this.deps.clock.unsafeCurrentTimeMillis()
  }

  runFork(effect: Effect.Effect<void>): void {
    if (this.released) return
    const fiber = Runtime.runFork(this.runtime, effect)
    const fibers = (this.live ??= new Set())
    fibers.add(fiber)
    fiber.addObserver(() => fibers.delete(fiber))
  }

  /**
   * The release itself (once, from {@link release}, {@link releaseNow} or the parent scope's finalizer):
   * the route is released and nothing more is forked; answers the project's own fibers still running
   * (to interrupt), if any.
   */
  detach(): ReadonlyArray<Fiber.RuntimeFiber<void>> | undefined {
    const unroute = this.unroute
    this.unroute = undefined
    if (unroute !== undefined) unroute()
    this.released = true
    const live = this.live
    return live === undefined || live.size === 0 ? undefined : [...live]
  }

  /** {@link detach}, then the project's own fibers are interrupted (and awaited). */
  onRelease(): Effect.Effect<void> {
    const live = this.detach()
    return live === undefined ? Effect.void : Fiber.interruptAll(live)
  }

  /** Whether no listener needs the progress events now. */
  listenersQuiet(): boolean {
    if (this.listeners !== undefined) {
      for (const wants of this.listeners.values()) if (wants === undefined || wants()) return false
    }
    return true
  }

  /** Calls one listener; one that throws is removed (it would throw again) and the error logged. */
  call(listener: ProjectListener, event: ProjectState.ProjectEvent): void {
    try {
      listener(event, this.current_)
    } catch (error) {
      this.listeners?.delete(listener)
      this.deps.fork(Effect.logWarning(`a listener of project ${this.id} threw and was removed`, error))
    }
  }

  publish(event: ProjectState.ProjectEvent): void {
    const backlog = this.backlog
    if (backlog !== undefined) {
      // the subscriber-buffer policy: a burst of progress or retries must not push the lifecycle out
      backlog.offer(event)
    }
    const subscribers = this.subscribers
    if (subscribers !== undefined && subscribers.size > 0) for (const b of subscribers) b.offer(event)
    const listeners = this.listeners
    if (listeners !== undefined && listeners.size > 0) for (const listener of listeners.keys()) this.call(listener, event)
    const cancelAnswers = this.cancelAnswers
    if (event._tag === "CancelRejected" && cancelAnswers !== undefined && cancelAnswers.size > 0) {
      for (const d of cancelAnswers) {
        Deferred.unsafeDone(
          d,
          Exit.fail(new SogniProjectError({ reason: "CancelRejected", projectId: this.id, message: event.message }))
        )
      }
    }
  }

  /** The events held since creation go to the first subscriber or listener; later ones start now. */
  takeBacklog(): ReadonlyArray<ProjectState.ProjectEvent> {
    const held = this.backlog
    this.backlog = undefined
    return held === undefined ? [] : held.takeArray()
  }

  // --- mailbox ---------------------------------------------------------------------------------
  /** Applies `input` now, or queues it when an input is being applied (re-entrancy). */
  offer(input: ProjectState.Input): void {
    if (this.applying) {
      // after the end (or after a waiting confirmed cancel, which ends it) the reducer ignores every
      // input: nothing to keep
      if (this.mailboxEnded || ProjectState.isTerminal(this.current_.status)) return
      const mailbox = (this.mailbox ??= [])
      if (mailbox.length >= this.mailboxLimit) this.overflow(mailbox)
      mailbox.push(input)
      if (input._tag === "Server" && input.event.type === "artistCancelConfirmation" && input.event.payload.didCancel) {
        this.mailboxEnded = true
      }
      return
    }
    this.applying = true
    try {
      this.apply(input)
      // inputs offered while applying, in arrival order (almost always none)
      const mailbox = this.mailbox
      if (mailbox !== undefined) while (mailbox.length > 0) this.apply(mailbox.shift()!)
    } finally {
      if (this.mailbox !== undefined) this.mailbox.length = 0
      this.mailboxLimit = mailboxCapacity
      this.mailboxEnded = false
      this.applying = false
    }
  }

  /**
   * The mailbox is full: its overflow pass (the module note's policy); the next pass runs at the capacity,
   * or at twice what is left when more than half of it is left (only never-dropped inputs leave that much),
   * so each pass follows at least half as many offers as it scans.
   */
  overflow(mailbox: Array<ProjectState.Input>): void {
    const dropped = compactMailbox(mailbox, mailboxCapacity)
    this.mailboxLimit = Math.max(mailboxCapacity, mailbox.length * 2)
    if (dropped === 0) return
    this.mailboxDropped += dropped
    const passes = ++this.mailboxPasses
    if (passes === 1 || passes % 100 === 0) {
      this.deps.fork(
        Effect.logWarning(`project ${this.id}: mailbox full (${mailboxCapacity}), stale inputs dropped`).pipe(
          Effect.annotateLogs({ dropped: this.mailboxDropped })
        )
      )
    }
  }

  /** Applies one input synchronously and dispatches the commands it yields. */
  apply(input: ProjectState.Input): void {
    if (ProjectState.isTerminal(this.current_.status)) return
    // the actor owns its state: updated in place (no per-frame copies to promote and collect)
    // nobody observes progress (a `run`): the reducer builds no progress events
    const quiet = this.backlog === undefined && (this.subscribers === undefined || this.subscribers.size === 0) &&
      this.listenersQuiet()
    const step = ProjectState.transitionInPlace(this.current_, input, quiet)
    const state = (this.current_ = step.state)
    // admitted: the request will not be sent again (see `request`)
    if (state.admitted && this.request !== undefined) this.request = undefined
    if (!this.ticking && input._tag === "Server" && input.event.type === "jobETA") this.startTicks()
    const events = step.events
    for (let i = 0; i < events.length; i++) this.publish(events[i]!)
    if (ProjectState.isTerminal(state.status)) {
      const callerResume = this.callerResume
      if (callerResume !== undefined) {
        this.callerResume = undefined
        callerResume(Effect.succeed(state))
      }
      const waiters = this.waiters
      if (waiters !== undefined) {
        this.waiters = undefined
        for (const resume of waiters) resume(state)
      }
      if (this.cancelAnswers !== undefined) for (const d of this.cancelAnswers) Deferred.unsafeDone(d, Exit.void)
      if (this.subscribers !== undefined) for (const b of this.subscribers) b.end()
      this.noteEndCommands(step.commands)
      this.deps.untrack(this.id)
      // release the route, timers and command fibers: from the turn that ended it (`releaseNow`),
      // or in the caller's own fiber when it still waits for the end (`run`, see `finish`)
      if (!this.closeInCaller) this.releaseNow()
      return
    }
    const commands = step.commands
    for (let i = 0; i < commands.length; i++) this.dispatch(commands[i]!)
  }

  feed(input: ProjectState.Input): Effect.Effect<void> {
    return Effect.sync(() => this.offer(input))
  }

  current(): ProjectState.ProjectState {
    return this.current_
  }

  /** Releases the project (a no-op once released, here or by the parent scope closing). */
  release(): Effect.Effect<void> {
    return Effect.suspend(() => (this.host.actors.delete(this) ? this.onRelease() : Effect.void))
  }

  /**
   * Releases the ended project from the turn that ended it. With none of its own fibers running (the
   * usual case: the service watches deadlines, mints are callbacks) that is synchronous (the route's
   * removal), done right here; otherwise a service fiber releases it (the interruptions are waited for).
   */
  releaseNow(): void {
    if (this.live === undefined || this.live.size === 0) {
      if (this.host.actors.delete(this)) this.detach()
    } else this.deps.fork(Effect.interruptible(this.release()))
  }

  // --- commands --------------------------------------------------------------------------------
  /**
   * Logs one malformed frame field (the frame, the field, its value and the rule it broke), within
   * {@link malformedWarnings}: past it, only every 1000th, with the count so far.
   */
  noteMalformed(command: ProjectState.Command & { readonly _tag: "Malformed" }): void {
    const seen = ++this.malformedSeen
    if (seen > malformedWarnings && seen % 1000 !== 0) return
    const what = command.skipped
      ? `skipped a malformed ${command.frame} frame`
      : `ignored a malformed field of a ${command.frame} frame`
    this.deps.fork(
      Effect.logWarning(
        `project ${this.id}: ${what}: ${command.field} ${String(command.value).slice(0, 40)} is not ${command.rule}`
      ).pipe(Effect.annotateLogs({ malformed: seen }))
    )
  }

  /** The commands of the input that ended the project: only its malformed fields are noted, then the count. */
  noteEndCommands(commands: ReadonlyArray<ProjectState.Command>): void {
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!
      if (command._tag === "Malformed") this.noteMalformed(command)
    }
    const seen = this.malformedSeen
    if (seen > malformedWarnings) {
      this.deps.fork(Effect.logWarning(
        `project ${this.id}: ${seen} malformed frame fields in all (${seen - malformedWarnings} of them not logged one by one)`
      ))
    }
  }

  runCommand(command: ProjectState.Command & { readonly _tag: "Resubmit" | "LookUp" }): Effect.Effect<void> {
    switch (command._tag) {
      case "Resubmit":
        // wait for the next connection (the refusing one is going away), then send the same request
        return Effect.zipRight(this.deps.nextConnection(this.deps.timing.resubmitWait), this.sendRequest())
      case "LookUp":
        // "already exists": the server has it (a resend of a project it already took, maybe finished)
        return this.deps.findProject(this.id).pipe(
          Effect.flatMap(Option.match({
            onNone: () => this.feed({ _tag: "LocalFailure", error: command.error, now: this.now() }),
            onSome: (found) => this.feed({ _tag: "Recovered", project: found, active: true, now: this.now() })
          })),
          Effect.catchAll((e) =>
            Effect.zipRight(
              Effect.logWarning(`could not look up project ${this.id} after "already exists": ${e.message}`),
              this.feed({ _tag: "LocalFailure", error: command.error, now: this.now() })
            )
          )
        )
    }
  }

  /**
   * Mints go to the service's mint queue (a preview only when none of its job is minting: else the newer
   * one waits for it, see {@link previewMints}); other commands run in the project's own fibers.
   */
  dispatch(command: ProjectState.Command): void {
    if (command._tag === "Malformed") return this.noteMalformed(command)
    if (command._tag === "Resubmit" || command._tag === "LookUp") return this.runFork(Effect.interruptible(this.runCommand(command)))
    if (command._tag === "MintPreview") {
      const previews = (this.previewMints ??= new Map())
      if (previews.has(command.imgID)) {
        previews.set(command.imgID, true)
        return
      }
      previews.set(command.imgID, false)
    }
    this.deps.enqueueMint(new ActorMint(this, command))
  }

  // the effects below are built when used, not kept per project for its whole life
  sendRequest(): Effect.Effect<void> {
    const request = this.request
    // ended before its request went out (canceled during its uploads): nothing to send
    if (ProjectState.isTerminal(this.current_.status)) return Effect.void
    // let go once admitted (or adopted): nothing to send again, the project is the server's
    if (request === undefined) return this.lost()
    this.sending = true
    return this.deps.send({ type: "jobRequest", payload: request }).pipe(
      Effect.tap(() =>
        Effect.sync(() => {
          this.sentOn = this.deps.generation()
          this.sent = true
          this.lastHeard = this.now()
        })
      ),
      Effect.ensuring(Effect.sync(() => {
        this.sending = false
      })),
      Effect.catchAll((e) =>
        this.feed({
          _tag: "LocalFailure",
          // the send's error is kept: a refused credential (4021, 4010) is the project's outcome
          error: { code: 0, message: `the request could not be sent: ${e.message}`, cause: e },
          now: this.now()
        })
      )
    )
  }

  /** The uploads (their bytes are needed once: a resend only writes the request again), then the send. */
  startNow(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const batches = this.uploads
      this.uploads = undefined
      if (batches === undefined || batches.length === 0) return this.sendRequest()
      return Effect.flatMap(Effect.either(this.deps.uploadAll(this.id, batches)), (uploaded) =>
        uploaded._tag === "Left"
          ? this.feed({
            _tag: "LocalFailure",
            error: { code: 0, message: `an input could not be uploaded: ${uploaded.left.message}` },
            now: this.now()
          })
          : this.sendRequest())
    })
  }

  /** ETA-only jobs progress with time (ticks start on the first ETA: most projects report steps). */
  ticks(): Effect.Effect<void> {
    const tick = this.deps.timing.etaTick
    // a tick every `etaTick` after the previous one ended (`Schedule.spaced`), as a plain sleep loop
    return Effect.forever(Effect.zipRight(
      Effect.sleep(tick),
      Effect.suspend(() =>
        this.current_.jobs.some((j) => j.etaAt !== undefined && !ProjectState.isTerminal(j.status))
          ? this.feed({ _tag: "Tick", now: this.now() })
          : Effect.void
      )
    ))
  }

  // `submit` may run inside an uninterruptible acquire (see `Projects.events`/`run`): the project's own
  // fibers must stay interruptible so that releasing the project ends them
  startTicks(): void {
    this.ticking = true
    this.runFork(Effect.interruptible(this.ticks()))
  }

  idleText(): string {
    return Duration.format(this.deps.timing.idleTimeout)
  }

  /**
   * Ends the project with a `Timeout` failure unless a lookup shows the server finished it. `known`: the
   * answer of a lookup just made (the idle check's), used instead of asking again (none when it failed:
   * a host that left one lookup unanswered is not given a second `requestTimeout`).
   */
  expire(
    originalCode: "projectTimeout" | "idleTimeout",
    message: string,
    known?: Option.Option<Protocol.RecoveredProject>
  ): Effect.Effect<void> {
    const lookup = known !== undefined ? Effect.succeed(known) : Effect.map(Effect.option(this.deps.findProject(this.id)), Option.flatten)
    return Effect.flatMap(lookup, (snapshot) =>
      Effect.sync(() => {
        if (Option.isSome(snapshot) && isFinished(snapshot.value)) {
          this.offer({ _tag: "Recovered", project: snapshot.value, active: true, now: this.now() })
          // the URLs of what it finished may still be minting: the project ends when they arrive
          if (ProjectState.isTerminal(this.current_.status) || this.current_.jobs.some((j) => j.minting)) return
        }
        if (ProjectState.isTerminal(this.current_.status)) return
        // tell the server too (no confirmation awaited), as the official client's watchdog does
        this.deps.fork(
          this.deps.send(cancelFrameOf(this.id)).pipe(
            Effect.timeout(this.deps.timing.interruptCancelTimeout),
            Effect.ignore
          )
        )
        this.offer({ _tag: "LocalFailure", error: { code: 0, originalCode, message }, now: this.now() })
      }))
  }

  /** The overall and idle deadlines of the project, in one fiber that sleeps until the nearer one. */
  watchdog(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (ProjectState.isTerminal(this.current_.status)) return Effect.void
      const at = this.now()
      const { id, deadlineAt } = this
      if (at >= deadlineAt) {
        return this.expire(
          "projectTimeout",
          `Project ${id} did not end within ${Duration.format(this.deps.timing.projectTimeout)}`
        )
      }
      // before the request is out (uploads) only the overall deadline counts; look again an idle period later
      const idleAt = (this.sent ? this.lastHeard : at) + Duration.toMillis(this.deps.timing.idleTimeout)
      if (at >= idleAt) {
        return this.deps.findProject(id).pipe(
          Effect.flatMap((found) =>
            Option.isNone(found)
              ? this.expire("idleTimeout", `Project ${id} was silent for ${this.idleText()} and the server does not know it`, found)
              : isFinished(found.value)
              ? this.expire("idleTimeout", `Project ${id} was silent for ${this.idleText()}`, found)
              : Effect.sync(() => (this.lastHeard = this.now())) // alive on the server: keep waiting
          ),
          Effect.catchAll((e) =>
            this.expire(
              "idleTimeout",
              `Project ${id} was silent for ${this.idleText()} and could not be looked up: ${e.message}`,
              Option.none()
            )
          ),
          // the next look is one idle period later (also while a finished project's URLs are minted)
          Effect.zipRight(Effect.sync(() => (this.lastHeard = this.now()))),
          Effect.zipRight(Effect.suspend(() => this.watchdog()))
        )
      }
      return Effect.zipRight(
        Effect.sleep(Duration.millis(Math.max(1, Math.min(deadlineAt, idleAt) - at))),
        Effect.suspend(() => this.watchdog())
      )
    })
  }

  check(at: number): number {
    if (this.ownWatchdog || ProjectState.isTerminal(this.current_.status)) return Infinity
    const idleAt = (this.sent ? this.lastHeard : at) + Duration.toMillis(this.deps.timing.idleTimeout)
    if (at < this.deadlineAt && at < idleAt) return Math.min(this.deadlineAt, idleAt)
    // due: the lookup, the expiry and the looks after them run in this project's own watchdog fiber
    this.ownWatchdog = true
    this.runFork(Effect.interruptible(this.watchdog()))
    return Infinity
  }

  /** The project's final state, once it ended (at once when it already has). */
  awaitEnd(): Effect.Effect<ProjectState.ProjectState> {
    return Effect.async<ProjectState.ProjectState>((resume) => {
      if (ProjectState.isTerminal(this.current_.status)) return resume(Effect.succeed(this.current_))
      const waiter = (final: ProjectState.ProjectState) => resume(Effect.succeed(final))
      ;(this.waiters ??= new Set()).add(waiter)
      return Effect.sync(() => {
        this.waiters?.delete(waiter)
      })
    })
  }

  /**
   * An adopted project has no request here to send again: one the server no longer knows is lost. (Nor
   * has an admitted one, whose request was let go; no caller resends an admitted project.)
   */
  lost(): Effect.Effect<void> {
    return Effect.sync(() =>
      this.offer({
        _tag: "LocalFailure",
        error: {
          code: 0,
          originalCode: "projectLost",
          message: this.adopted !== undefined
            ? `The server has no record of recovered project ${this.id}.`
            : `The server has no record of project ${this.id}, admitted earlier.`
        },
        now: this.now()
      })
    )
  }

  get resend(): Effect.Effect<void> {
    return this.sendRequest()
  }

  get resendCancel(): Effect.Effect<void> {
    return Effect.suspend(() =>
      this.cancelAnswers === undefined || this.cancelAnswers.size === 0 || ProjectState.isTerminal(this.current_.status)
        ? Effect.void
        : this.deps.send(cancelFrameOf(this.id)).pipe(
          Effect.catchAll((e) => Effect.logWarning(`the cancel of project ${this.id} could not be sent again: ${e.message}`))
        )
    )
  }

  get start(): Effect.Effect<void> {
    return this.adopted === undefined && this.startInCaller ? this.startNow() : Effect.void
  }

  get end(): Effect.Effect<ProjectState.ProjectState> {
    // `resume` alone as the register's parameter and nothing returned: Effect makes a bare async
    // primitive of it, with no `onInterrupt` wrapper (see the interface note)
    return Effect.async<ProjectState.ProjectState>((resume) => {
      if (ProjectState.isTerminal(this.current_.status)) resume(Effect.succeed(this.current_))
      else this.callerResume = resume
    })
  }

  get finish(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.callerResume = undefined
      if (!this.closeInCaller) return Effect.void
      this.closeInCaller = false
      return ProjectState.isTerminal(this.current_.status) ? this.release() : Effect.void
    })
  }
}

/**
 * A URL mint of one job as queue work, its answer folded on the turn it arrives: the actor and the
 * command in two fields, the behaviour on the prototype (a burst of results queues hundreds of these; an
 * object with two closures and their context was about four times the size).
 */
class ActorMint implements MintWork {
  constructor(
    readonly actor: Actor,
    readonly command: ProjectState.Command & { readonly _tag: "MintUrl" | "MintPreview" }
  ) {}

  wanted(): boolean {
    return !this.actor.released
  }

  start(finish: () => void): void {
    const { actor, command } = this
    const preview = command._tag === "MintPreview"
    actor.deps.mintUrl(
      actor.kind,
      actor.id,
      command.imgID,
      preview ? "png" : actor.outputFormat,
      preview ? "preview" : "complete",
      (result) => {
        finish()
        if (actor.released) return
        const at = actor.now()
        if (Either.isRight(result)) {
          actor.offer(
            preview
              ? { _tag: "PreviewMinted", imgID: command.imgID, url: result.right, now: at }
              : {
                _tag: "UrlMinted",
                imgID: command.imgID,
                url: result.right,
                expiresAt: at + actor.deps.timing.urlLifetimeMillis,
                now: at
              }
          )
        } else {
          actor.deps.fork(Effect.logWarning(
            `${preview ? "preview" : "result"} URL for job ${command.imgID} could not be minted: ${result.left.message}`
          ))
        }
        if (preview) {
          // a newer preview asked for while this one was minted is minted now, unless the job or project ended
          const again = actor.previewMints?.get(command.imgID) === true
          actor.previewMints?.delete(command.imgID)
          const job = actor.current_.jobs.find((j) => j.imgID === command.imgID)
          if (again && !actor.released && job !== undefined && !ProjectState.isTerminal(job.status)) actor.dispatch(command)
          return
        }
        if (Either.isRight(result)) return
        // a result without its URL still ends its job (the URL stays undefined); a preview is just skipped
        actor.offer({ _tag: "UrlMinted", imgID: command.imgID, url: undefined, expiresAt: undefined, now: at })
      }
    )
  }
}

/** The project handle of an {@link Actor}: its methods on the prototype, the actor its only field. */
class ActorProject implements Project {
  readonly id: string
  readonly actor: Actor
  events_: Stream.Stream<ProjectState.ProjectEvent> | undefined = undefined
  cancel_: Effect.Effect<void, SogniProjectError | SogniError.SogniError> | undefined = undefined
  constructor(actor: Actor) {
    this.id = actor.id
    this.actor = actor
  }

  get state(): Effect.Effect<ProjectState.ProjectState> {
    return Effect.sync(() => ProjectState.snapshot(this.actor.current_))
  }

  listen(listener: ProjectListener, options?: ListenOptions): () => void {
    const actor = this.actor
    // (a listener added twice keeps its place and takes the later `wantsProgress`, as before)
    const current = (actor.listeners ??= new Map())
    if (!current.has(listener) || options?.wantsProgress !== undefined) current.set(listener, options?.wantsProgress)
    for (const e of actor.takeBacklog()) {
      if (!current.has(listener)) break
      actor.call(listener, e)
    }
    return () => {
      current.delete(listener)
    }
  }

  get await(): Effect.Effect<ReadonlyArray<ProjectState.JobResult>, SogniProjectError | SogniError.SogniAuthenticationError> {
    return Effect.flatMap(this.actor.awaitEnd(), outcome)
  }

  // built on first use: most projects are never subscribed to (an adapter listens) nor canceled
  // each subscriber pulls from its own bounded buffer (overflow policy: eventBuffer.ts); the reducer
  // only appends to it, and a consumer wakes once per batch it pulls
  get events(): Stream.Stream<ProjectState.ProjectEvent> {
    const actor = this.actor
    return (this.events_ ??= LeanStream.unwrapScoped(
      Effect.map(
        Effect.acquireRelease(
          Effect.sync(() => {
            const b = new EventBuffer(eventBufferCapacity)
            for (const e of actor.takeBacklog()) b.offer(e)
            if (ProjectState.isTerminal(actor.current_.status)) b.end()
            ;(actor.subscribers ??= new Set()).add(b)
            return b
          }),
          (b) => Effect.sync(() => actor.subscribers?.delete(b))
        ),
        (b) => Stream.repeatEffectChunkOption(b.pull)
      )
    ))
  }

  get cancel(): Effect.Effect<void, SogniProjectError | SogniError.SogniError> {
    const actor = this.actor
    const { deps, id } = actor
    return (this.cancel_ ??= Effect.suspend(() => {
      if (ProjectState.isTerminal(actor.current_.status)) return Effect.void
      if (actor.adopted === undefined && !actor.sent && !actor.sending) {
        // the server never had the request (it waits for its uploads, or for a socket): canceled here, at
        // once; the release stops the uploads. A cancel frame would name a project the server cannot
        // confirm, and the wait for its answer would last the whole timeout.
        actor.offer({
          _tag: "Server",
          event: { type: "artistCancelConfirmation", payload: { jobID: id, didCancel: true } },
          now: actor.now()
        })
        return Effect.void
      }
      return Effect.gen(function*() {
        const answer = yield* Deferred.make<void, SogniProjectError>()
        ;(actor.cancelAnswers ??= new Set()).add(answer)
        yield* deps.send(cancelFrameOf(id))
        yield* Deferred.await(answer).pipe(
          Effect.timeoutFail({
            duration: deps.timing.cancelTimeout,
            onTimeout: () =>
              new SogniProjectError({
                reason: "CancelTimeout",
                projectId: id,
                message: `no cancel confirmation within ${Duration.format(deps.timing.cancelTimeout)}`
              })
          }),
          Effect.ensuring(Effect.sync(() => actor.cancelAnswers?.delete(answer)))
        )
      })
    }).pipe(Effect.withSpan("Projects.cancel", { attributes: { projectId: id }, captureStackTrace: false })))
  }
}

/**
 * Starts the actor of one project, released at the latest when `parent` closes: claims its route, starts the uploads
 * and the send, and its deadlines. `keepBacklog` holds the events emitted before the first subscriber (up
 * to {@link backlogLimit}); a caller that never subscribes (`run`) keeps none.
 *
 * What it keeps of `prepared` for the project's life is what a resend and the URL mints need (the request,
 * the media kind and output format), and the input bytes to upload until the uploads ran.
 *
 * `runtime` is the runtime the project's own fibers are forked with: the caller's (taken here when not
 * given).
 */
export function make(
  deps: ActorDeps,
  parent: Scope.Scope,
  prepared: Prepared,
  keepBacklog: boolean,
  adopted?: Adopted | undefined,
  startInCaller = false,
  runtime?: Runtime.Runtime<never> | undefined
): Effect.Effect<ProjectActor> {
  // `flatMap`s, not `Effect.gen`: a generator function made per project gets a prototype object and hidden
  // classes of its own on its first run, allocated in the old generation, where they outlive the project
  // as garbage until the next mark-compact
  // the socket's status is read on the turn the actor is tracked (`open` is synchronous)
  const status = deps.connectionStatus ?? noStatus
  return Effect.flatMap(hostOf(parent), (host) =>
    runtime !== undefined
      ? Effect.map(status, (madeUnder) => open(deps, host, prepared, keepBacklog, adopted, startInCaller, runtime, madeUnder))
      : Effect.zipWith(
        Effect.runtime<never>(),
        status,
        (caller, madeUnder) => open(deps, host, prepared, keepBacklog, adopted, startInCaller, caller, madeUnder)
      ))
}

/** What {@link make} reads as `madeUnder` when the deps give no `connectionStatus`. */
const noStatus: Effect.Effect<object | undefined> = Effect.succeed(undefined)

/** The body of {@link make}, once the host and the runtime are known: everything here is synchronous. */
function open(
  deps: ActorDeps,
  host: Host,
  prepared: Prepared,
  keepBacklog: boolean,
  adopted: Adopted | undefined,
  startInCaller: boolean,
  runtime: Runtime.Runtime<never>,
  madeUnder: object | undefined
): ProjectActor {
  const actor = new Actor(deps, prepared, keepBacklog, adopted, startInCaller, host, runtime)
  actor.madeUnder = madeUnder
  if (host.closed) {
    // made in a scope that has closed: released at once, as a scope forked from it would have been
    actor.detach()
    return actor
  }
  host.actors.add(actor)
  deps.track(actor)
  actor.unroute = deps.route(actor.id, actor.onServerEvent)
  if (adopted === undefined) {
    if (!startInCaller) actor.runFork(Effect.interruptible(actor.startNow()))
  } else {
    // already on the server: counted as written on this connection, brought up to date by its snapshot
    actor.sentOn = deps.generation()
    actor.sent = true
    actor.offer({ _tag: "Recovered", project: adopted.project, active: adopted.active, now: actor.now() })
  }
  if (deps.sharedWatchdog !== true) {
    actor.ownWatchdog = true
    actor.runFork(Effect.interruptible(actor.watchdog()))
  }
  return actor
}

/**
 * The actors of one parent scope that are not released yet. The scope gets one finalizer for all of them
 * (the latest first, as child scopes would close) instead of a child scope per project: no scope,
 * finalizer map, parent entry or closing fiber per project.
 */
interface Host {
  readonly actors: Set<Actor>
  closed: boolean
}

const hosts = new WeakMap<Scope.Scope, Host>()

function hostOf(parent: Scope.Scope): Effect.Effect<Host> {
  return Effect.suspend(() => {
    const known = hosts.get(parent)
    if (known !== undefined) return Effect.succeed(known)
    const host: Host = { actors: new Set(), closed: false }
    hosts.set(parent, host)
    return Effect.as(
      Scope.addFinalizer(
        parent,
        Effect.suspend(() => {
          host.closed = true
          hosts.delete(parent)
          const actors = [...host.actors].reverse()
          host.actors.clear()
          return Effect.forEach(actors, (actor) => actor.onRelease(), { discard: true })
        })
      ),
      host
    )
  })
}

/**
 * The results of a finished project, or why there are none: a `SogniProjectError`, or the
 * `SogniAuthenticationError` of a refused credential (4021, 4010) that failed it (`ErrorData.cause`), as
 * it fails every other waiter.
 */
export function outcome(
  final: ProjectState.ProjectState
): Effect.Effect<ReadonlyArray<ProjectState.JobResult>, SogniProjectError | SogniError.SogniAuthenticationError> {
  if (final.status === "completed") {
    return Effect.succeed(ProjectState.resultsOf(final.jobs))
  }
  if (final.status === "canceled") {
    return Effect.fail(new SogniProjectError({ reason: "Canceled", projectId: final.id, message: "Project canceled" }))
  }
  const error = final.error ?? { code: 0, message: "Project failed" }
  const cause = error.cause
  if (cause !== undefined && cause._tag === "SogniAuthenticationError") return Effect.fail(cause)
  const timedOut = error.code === 0 && (error.originalCode === "projectTimeout" || error.originalCode === "idleTimeout")
  return Effect.fail(
    new SogniProjectError({
      reason: timedOut ? "Timeout" : "Failed",
      projectId: final.id,
      code: error.code,
      message: error.message,
      ...(error.originalCode !== undefined ? { originalCode: error.originalCode } : {})
    })
  )
}
