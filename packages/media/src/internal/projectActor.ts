/**
 * One media project as an actor: it owns the project's state, folds every input through the pure
 * {@link ProjectState.transitionInPlace}, publishes the events to its subscribers and listeners, and
 * runs the commands the machine asks for. Everything it touches outside itself comes in through
 * {@link ActorDeps}: the socket route, the send, URL minting, the REST lookup, uploads, the clock, and
 * the service's fork and mint queue. `Projects` builds one per project and keeps the map of them.
 *
 * **Mailbox.** Inputs are applied synchronously by whoever delivers them (the socket's turn for server
 * frames, a command's fiber for mint results and lookups): no queue and no fiber per frame. An input
 * that arrives while the actor is already applying one (a listener that feeds it, re-entrantly) waits in
 * a bounded mailbox and is applied, in order, right after. Overflow policy of that mailbox (at
 * {@link mailboxCapacity} inputs waiting): the oldest waiting server `jobProgress` frame is dropped (a
 * later one of the same job supersedes it); every other input is kept, as the project emits a bounded
 * number of them (a handful per job and attempt). Drops are counted and logged at the first and every
 * 100th.
 *
 * @internal
 */
import type * as Protocol from "@effect-sogni/core/Protocol"
import type * as SogniError from "@effect-sogni/core/SogniError"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { SogniProjectError } from "../MediaError.js"
import type { ListenOptions, MediaKind, Prepared, Project, ProjectListener, UploadSpec } from "../Projects.js"
import * as ProjectState from "../ProjectState.js"
import { EventBuffer } from "./eventBuffer.js"

/** Events held for a subscriber that has not arrived yet (the oldest are dropped beyond it). */
export const backlogLimit = 1024

/**
 * Events waiting in one subscriber's buffer before the overflow policy drops the oldest `JobProgress`
 * (a later progress of the same job supersedes it; lifecycle events are never dropped): see
 * `eventBuffer.ts`.
 */
export const eventBufferCapacity = 1024

/** Inputs waiting in the re-entrancy mailbox before its overflow policy applies (see the module note). */
export const mailboxCapacity = 1024

/**
 * A URL mint handed to the service's mint queue: plain callbacks, no fiber or effect per mint.
 */
export interface MintWork {
  /** False once the project was released: its queued mints are skipped and late answers dropped. */
  readonly wanted: () => boolean
  /** Starts the mint; it calls `finish` exactly once, when the answer (or the final failure) arrived. */
  readonly start: (finish: () => void) => void
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
  /** Claims the socket route of a project id for the scope: each event is handed over synchronously. */
  readonly route: (id: string, onEvent: (event: Protocol.ServerEvent) => void) => Effect.Effect<void, never, Scope.Scope>
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
  /** Called once when the project ended, before its scope closes. */
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
  /** Applies one input (through the mailbox) and runs the commands it yields. */
  readonly feed: (input: ProjectState.Input) => Effect.Effect<void>
  readonly current: () => ProjectState.ProjectState
  readonly resend: Effect.Effect<void>
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
   * callback, closes the project's scope now when it ended, else leaves that to the end (in a service
   * fiber).
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
const kindOfRecovered = (project: Protocol.RecoveredProject): MediaKind => {
  const type = typeof project.modelType === "string" ? project.modelType : project.model?.type
  return type === "video" ? "video" : type === "audio" || type === "music" ? "audio" : type === "model" ? "model" : "image"
}

/**
 * What an adopted project's actor knows of it: the id, the media count and steps of the snapshot (the
 * request itself stays on the server; the adopted actor never sends one).
 */
export const preparedOfRecovered = (project: Protocol.RecoveredProject): Prepared => {
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
export const isFinished = (project: Protocol.RecoveredProject): boolean =>
  project.status === "completed" || project.status === "errored" || project.status === "cancelled"

const cancelFrameOf = (id: string) =>
  ({
    type: "jobError",
    payload: { jobID: id, error: "artistCanceled", error_message: "artistCanceled", isFromWorker: false }
  }) as const

/** Whether a later input makes this one stale (what the mailbox's overflow policy may drop). */
const supersedableInput = (input: ProjectState.Input): boolean =>
  input._tag === "Server" && input.event.type === "jobProgress"

/**
 * Starts the actor of one project in a scope forked from `parent`: claims its route, starts the uploads
 * and the send, and its deadlines. `keepBacklog` holds the events emitted before the first subscriber (up
 * to {@link backlogLimit}); a caller that never subscribes (`run`) keeps none.
 *
 * What it keeps of `prepared` for the project's life is what a resend and the URL mints need (the request,
 * the media kind and output format): no closure refers to `prepared` itself, and the input bytes to upload
 * are let go once the uploads ran.
 *
 * `runtime` is the runtime the project's own fibers are forked with: the caller's (taken here when not
 * given).
 */
export const make = (
  deps: ActorDeps,
  parent: Scope.Scope,
  prepared: Prepared,
  keepBacklog: boolean,
  adopted?: Adopted | undefined,
  startInCaller = false,
  runtime?: Runtime.Runtime<never> | undefined
): Effect.Effect<ProjectActor> => {
  // read here, outside every closure: the closures below capture these fields, never `prepared`
  const given = prepared.request
  const { disableSafety, kind, numberOfMedia, outputFormat, steps } = prepared
  let uploads = prepared.uploads
  return Effect.gen(function*() {
    const { clock, timing } = deps
    const now = () => clock.unsafeCurrentTimeMillis()
    const id = given.jobID.toUpperCase()
    const request = id === given.jobID ? given : { ...given, jobID: id }
    const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
    // The project's own fibers (start, deadlines, ETA ticks, lookups), forked with the caller's runtime
    // (`runtime`, when the caller took it outside its per-project span: a runtime taken inside it holds a
    // copy of the context with the span, for the project's whole life) and interrupted when the scope
    // closes. Kept in a plain set with a plain scope finalizer rather
    // than a `FiberSet`: its `acquireRelease` diffs the fiber's refs (the whole context) at release, a
    // cost every project paid once more at its end.
    const fork = Runtime.runFork(runtime ?? (yield* Effect.runtime<never>()))
    // created with the first fiber: most projects never fork one (the service watches the deadlines)
    let live: Set<Fiber.RuntimeFiber<void>> | undefined
    // set when the project's scope closes: its queued mints are dropped and nothing more is forked
    let released = false
    const runFork = (effect: Effect.Effect<void>): void => {
      if (released) return
      const fiber = fork(effect)
      const fibers = (live ??= new Set())
      fibers.add(fiber)
      fiber.addObserver(() => fibers.delete(fiber))
    }
    yield* Scope.addFinalizer(
      scope,
      Effect.suspend(() => {
        released = true
        return live === undefined || live.size === 0 ? Effect.void : Fiber.interruptAll([...live])
      })
    )
    const wanted = () => !released

    let state = ProjectState.initial({
      id,
      numberOfMedia,
      steps,
      disableSafety
    })
    // The subscribers, listeners and cancel answers are created on first use: a `run` has none, an
    // adapter's project one listener, and a project is rarely canceled.
    let subscribers: Set<EventBuffer> | undefined
    /**
     * The listeners in the order they came, each with when it needs progress events
     * (`ListenOptions.wantsProgress`; undefined: always).
     */
    let listeners: Map<ProjectListener, (() => boolean) | undefined> | undefined
    /** Whether no listener needs the progress events now. */
    const listenersQuiet = (): boolean => {
      if (listeners !== undefined) {
        for (const wants of listeners.values()) if (wants === undefined || wants()) return false
      }
      return true
    }
    let backlog: Array<ProjectState.ProjectEvent> | undefined = keepBacklog ? [] : undefined
    let ticking = false
    // the callers waiting for the end (`await`): plain callbacks rather than a `Deferred` per project
    let waiters: Set<(final: ProjectState.ProjectState) => void> | undefined
    // the `startInCaller` caller's own wait (`end`): one slot, no set
    let callerWaiter: ((final: ProjectState.ProjectState) => void) | undefined
    let cancelAnswers: Set<Deferred.Deferred<void, SogniProjectError>> | undefined

    /** Calls one listener; one that throws is removed (it would throw again) and the error logged. */
    const call = (listener: ProjectListener, event: ProjectState.ProjectEvent): void => {
      try {
        listener(event, state)
      } catch (error) {
        listeners?.delete(listener)
        deps.fork(Effect.logWarning(`a listener of project ${id} threw and was removed`, error))
      }
    }

    const publish = (event: ProjectState.ProjectEvent) => {
      if (backlog !== undefined) {
        if (backlog.length >= backlogLimit) backlog.shift()
        backlog.push(event)
      }
      if (subscribers !== undefined && subscribers.size > 0) for (const b of subscribers) b.offer(event)
      if (listeners !== undefined && listeners.size > 0) for (const listener of listeners.keys()) call(listener, event)
      if (event._tag === "CancelRejected" && cancelAnswers !== undefined && cancelAnswers.size > 0) {
        for (const d of cancelAnswers) {
          Deferred.unsafeDone(d, Exit.fail(new SogniProjectError({ reason: "CancelRejected", projectId: id, message: event.message })))
        }
      }
    }

    /** The events held since creation go to the first subscriber or listener; later ones start now. */
    const takeBacklog = (): ReadonlyArray<ProjectState.ProjectEvent> => {
      const held = backlog ?? []
      backlog = undefined
      return held
    }

    // --- mailbox ---------------------------------------------------------------------------------
    let applying = false
    const mailbox: Array<ProjectState.Input> = []
    let mailboxDropped = 0

    /** Applies `input` now, or queues it when an input is being applied (re-entrancy). */
    const offer = (input: ProjectState.Input): void => {
      if (applying) {
        if (mailbox.length >= mailboxCapacity) {
          const stale = mailbox.findIndex(supersedableInput)
          if (stale >= 0) {
            mailbox.splice(stale, 1)
            mailboxDropped++
            if (mailboxDropped === 1 || mailboxDropped % 100 === 0) {
              deps.fork(
                Effect.logWarning(`project ${id}: mailbox full (${mailboxCapacity}), oldest progress dropped`).pipe(
                  Effect.annotateLogs({ dropped: mailboxDropped })
                )
              )
            }
          }
        }
        mailbox.push(input)
        return
      }
      applying = true
      try {
        apply(input)
        // inputs offered while applying, in arrival order (almost always none)
        while (mailbox.length > 0) apply(mailbox.shift()!)
      } finally {
        mailbox.length = 0
        applying = false
      }
    }

    /** Applies one input synchronously and dispatches the commands it yields. */
    const apply = (input: ProjectState.Input): void => {
      if (ProjectState.isTerminal(state.status)) return
      // the actor owns `state`: update it in place (no per-frame copies to promote and collect)
      // nobody observes progress (a `run`): the reducer builds no progress events
      const quiet = backlog === undefined && (subscribers === undefined || subscribers.size === 0) && listenersQuiet()
      const step = ProjectState.transitionInPlace(state, input, quiet)
      state = step.state
      if (!ticking && input._tag === "Server" && input.event.type === "jobETA") startTicks()
      const events = step.events
      for (let i = 0; i < events.length; i++) publish(events[i]!)
      if (ProjectState.isTerminal(state.status)) {
        if (callerWaiter !== undefined) {
          const resume = callerWaiter
          callerWaiter = undefined
          resume(state)
        }
        if (waiters !== undefined) {
          const final = state
          for (const resume of waiters) resume(final)
          waiters = undefined
        }
        if (cancelAnswers !== undefined) for (const d of cancelAnswers) Deferred.unsafeDone(d, Exit.void)
        if (subscribers !== undefined) for (const b of subscribers) b.end()
        deps.untrack(id)
        // release the route, timers and command fibers: from outside this project's scope (`releaseNow`),
        // or in the caller's own fiber when it still waits for the end (`run`, see `finish`)
        if (!closeInCaller) releaseNow()
        return
      }
      const commands = step.commands
      for (let i = 0; i < commands.length; i++) dispatch(commands[i]!)
    }

    const feed = (input: ProjectState.Input): Effect.Effect<void> => Effect.sync(() => offer(input))

    // `run` closes an ended project's scope in its own fiber after the wait (no fiber forked for it);
    // once it stopped waiting (`finish`), a later end is closed by a service fiber as for other callers
    let closeInCaller = startInCaller && adopted === undefined
    const release = (): Effect.Effect<void> => Scope.close(scope, Exit.void)
    /**
     * Closes the ended project's scope from the turn that ended it. With none of its own fibers running
     * (the usual case: the service watches deadlines, mints are callbacks) every finalizer is synchronous
     * (the route's removal, the scope's detachment), so it runs to the end right here, in a fiber of its
     * own that is not the project's; otherwise a service fiber closes it (the interruptions are waited for).
     */
    const releaseNow = (): void => {
      // (were a finalizer ever to wait, the closing fiber would go on in the background, as a fork does)
      if (live === undefined || live.size === 0) Effect.runSyncExit(release())
      else deps.fork(Effect.interruptible(release()))
    }

    // --- commands --------------------------------------------------------------------------------
    /** A URL mint as queue work: the answer is folded on the turn it arrives. */
    const mintWork = (command: ProjectState.Command & { readonly _tag: "MintUrl" | "MintPreview" }): MintWork => ({
      wanted,
      start: (finish) => {
        const preview = command._tag === "MintPreview"
        deps.mintUrl(kind, id, command.imgID, preview ? "png" : outputFormat, preview ? "preview" : "complete", (result) => {
          finish()
          if (released) return
          const at = now()
          if (Either.isRight(result)) {
            offer(
              preview
                ? { _tag: "PreviewMinted", imgID: command.imgID, url: result.right, now: at }
                : { _tag: "UrlMinted", imgID: command.imgID, url: result.right, expiresAt: at + timing.urlLifetimeMillis, now: at }
            )
            return
          }
          deps.fork(Effect.logWarning(
            `${preview ? "preview" : "result"} URL for job ${command.imgID} could not be minted: ${result.left.message}`
          ))
          // a result without its URL still ends its job (the URL stays undefined); a preview is just skipped
          if (!preview) offer({ _tag: "UrlMinted", imgID: command.imgID, url: undefined, expiresAt: undefined, now: at })
        })
      }
    })

    const runCommand = (command: ProjectState.Command & { readonly _tag: "Resubmit" | "LookUp" }): Effect.Effect<void> => {
      switch (command._tag) {
        case "Resubmit":
          // wait for the next connection (the refusing one is going away), then send the same request
          return Effect.zipRight(deps.nextConnection(timing.resubmitWait), sendRequest())
        case "LookUp":
          // "already exists": the server has it (a resend of a project it already took, maybe finished)
          return deps.findProject(id).pipe(
            Effect.flatMap(Option.match({
              onNone: () => feed({ _tag: "LocalFailure", error: command.error, now: now() }),
              onSome: (found) => feed({ _tag: "Recovered", project: found, active: true, now: now() })
            })),
            Effect.catchAll((e) =>
              Effect.zipRight(
                Effect.logWarning(`could not look up project ${id} after "already exists": ${e.message}`),
                feed({ _tag: "LocalFailure", error: command.error, now: now() })
              )
            )
          )
      }
    }

    /** Mints go to the service's mint queue; other commands run in the project's own fibers. */
    const dispatch = (command: ProjectState.Command): void => {
      if (command._tag === "Resubmit" || command._tag === "LookUp") runFork(Effect.interruptible(runCommand(command)))
      else deps.enqueueMint(mintWork(command))
    }

    // server events are folded on the socket's own turn: no queue, no fiber wake-up per frame
    // when the project was last heard of (a frame, or the request going out): the idle deadline's origin
    let lastHeard = now()
    let sent = false
    const onServerEvent = (event: Protocol.ServerEvent) => {
      const at = now()
      lastHeard = at
      offer({ _tag: "Server", event, now: at })
    }

    // the effects below are built when used, not kept per project for its whole life
    const sendRequest = (): Effect.Effect<void> => deps.send({ type: "jobRequest", payload: request }).pipe(
      Effect.tap(() =>
        Effect.sync(() => {
          actor.sentOn = deps.generation()
          sent = true
          lastHeard = now()
        })
      ),
      Effect.catchAll((e) =>
        feed({ _tag: "LocalFailure", error: { code: 0, message: `the request could not be sent: ${e.message}` }, now: now() })
      )
    )

    const start = (): Effect.Effect<void> => Effect.gen(function*() {
      // the input bytes are needed once: a resend only writes the request again
      const batches = uploads
      uploads = undefined
      if (batches !== undefined && batches.length > 0) {
        const uploaded = yield* Effect.either(deps.uploadAll(id, batches))
        if (uploaded._tag === "Left") {
          return yield* feed({
            _tag: "LocalFailure",
            error: { code: 0, message: `an input could not be uploaded: ${uploaded.left.message}` },
            now: now()
          })
        }
      }
      yield* sendRequest()
    })

    // ETA-only jobs progress with time
    // started on the first ETA: most projects report steps and never need a clock (nor the schedule built)
    const ticks = () => Effect.suspend(() =>
      state.jobs.some((j) => j.etaAt !== undefined && !ProjectState.isTerminal(j.status))
        ? feed({ _tag: "Tick", now: now() })
        : Effect.void
    ).pipe(Effect.repeat(Schedule.spaced(timing.etaTick)), Effect.delay(timing.etaTick))
    // `submit` may run inside an uninterruptible acquire (see `Projects.events`/`run`): the project's own
    // fibers must stay interruptible so that closing its scope ends them
    const startTicks = () => {
      ticking = true
      runFork(Effect.interruptible(ticks()))
    }

    const createdAt = now()
    const deadlineAt = createdAt + Duration.toMillis(timing.projectTimeout)
    const idleMillis = Duration.toMillis(timing.idleTimeout)
    const idleText = () => Duration.format(timing.idleTimeout)

    /** Ends the project with a `Timeout` failure unless a lookup shows the server finished it. */
    const expire = (originalCode: "projectTimeout" | "idleTimeout", message: string) =>
      Effect.gen(function*() {
        const found = yield* Effect.option(deps.findProject(id))
        const snapshot = Option.flatten(found)
        if (Option.isSome(snapshot) && isFinished(snapshot.value)) {
          offer({ _tag: "Recovered", project: snapshot.value, active: true, now: now() })
          // the URLs of what it finished may still be minting: the project ends when they arrive
          if (ProjectState.isTerminal(state.status) || state.jobs.some((j) => j.minting)) return
        }
        if (ProjectState.isTerminal(state.status)) return
        // tell the server too (no confirmation awaited), as the official client's watchdog does
        deps.fork(deps.send(cancelFrameOf(id)).pipe(Effect.timeout(timing.interruptCancelTimeout), Effect.ignore))
        offer({ _tag: "LocalFailure", error: { code: 0, originalCode, message }, now: now() })
      })

    /** The overall and idle deadlines of the project, in one fiber that sleeps until the nearer one. */
    const watchdog = (): Effect.Effect<void> => Effect.suspend(function loop(): Effect.Effect<void> {
      if (ProjectState.isTerminal(state.status)) return Effect.void
      const at = now()
      if (at >= deadlineAt) {
        return expire("projectTimeout", `Project ${id} did not end within ${Duration.format(timing.projectTimeout)}`)
      }
      // before the request is out (uploads) only the overall deadline counts; look again an idle period later
      const idleAt = (sent ? lastHeard : at) + idleMillis
      if (at >= idleAt) {
        return deps.findProject(id).pipe(
          Effect.flatMap(Option.match({
            onNone: () => expire("idleTimeout", `Project ${id} was silent for ${idleText()} and the server does not know it`),
            onSome: (found) =>
              isFinished(found)
                ? expire("idleTimeout", `Project ${id} was silent for ${idleText()}`)
                : Effect.sync(() => (lastHeard = now())) // alive on the server: keep waiting
          })),
          Effect.catchAll((e) =>
            expire("idleTimeout", `Project ${id} was silent for ${idleText()} and could not be looked up: ${e.message}`)
          ),
          // the next look is one idle period later (also while a finished project's URLs are minted)
          Effect.zipRight(Effect.sync(() => (lastHeard = now()))),
          Effect.zipRight(Effect.suspend(loop))
        )
      }
      return Effect.zipRight(Effect.sleep(Duration.millis(Math.max(1, Math.min(deadlineAt, idleAt) - at))), Effect.suspend(loop))
    })

    // with a service watchdog, nothing per project waits on a timer until a deadline is actually due
    let ownWatchdog = false
    const check = (at: number): number => {
      if (ownWatchdog || ProjectState.isTerminal(state.status)) return Infinity
      const idleAt = (sent ? lastHeard : at) + idleMillis
      if (at < deadlineAt && at < idleAt) return Math.min(deadlineAt, idleAt)
      // due: the lookup, the expiry and the looks after them run in this project's own watchdog fiber
      ownWatchdog = true
      runFork(Effect.interruptible(watchdog()))
      return Infinity
    }

    /** The project's final state, once it ended (at once when it already has). */
    const awaitEnd = (): Effect.Effect<ProjectState.ProjectState> => Effect.async<ProjectState.ProjectState>((resume) => {
      if (ProjectState.isTerminal(state.status)) return resume(Effect.succeed(state))
      const waiter = (final: ProjectState.ProjectState) => resume(Effect.succeed(final))
      ;(waiters ??= new Set()).add(waiter)
      return Effect.sync(() => {
        waiters?.delete(waiter)
      })
    })

    let events: Stream.Stream<ProjectState.ProjectEvent> | undefined
    let cancel: Effect.Effect<void, SogniProjectError | SogniError.SogniError> | undefined
    const project: Project = {
      id,
      get state() {
        return Effect.sync(() => ProjectState.snapshot(state))
      },
      listen: (listener, options?: ListenOptions) => {
        // (a listener added twice keeps its place and takes the later `wantsProgress`, as before)
        const current = (listeners ??= new Map())
        if (!current.has(listener) || options?.wantsProgress !== undefined) current.set(listener, options?.wantsProgress)
        for (const e of takeBacklog()) {
          if (!current.has(listener)) break
          call(listener, e)
        }
        return () => {
          current.delete(listener)
        }
      },
      get await() {
        return Effect.flatMap(awaitEnd(), outcome)
      },
      // built on first use: most projects are never subscribed to (an adapter listens) nor canceled
      // each subscriber pulls from its own bounded buffer (overflow policy: eventBuffer.ts); the reducer
      // only appends to it, and a consumer wakes once per batch it pulls
      get events() {
        return (events ??= Stream.unwrapScoped(
          Effect.map(
            Effect.acquireRelease(
              Effect.sync(() => {
                const b = new EventBuffer(eventBufferCapacity)
                for (const e of takeBacklog()) b.offer(e)
                if (ProjectState.isTerminal(state.status)) b.end()
                ;(subscribers ??= new Set()).add(b)
                return b
              }),
              (b) => Effect.sync(() => subscribers?.delete(b))
            ),
            (b) => Stream.repeatEffectChunkOption(b.pull)
          )
        ))
      },
      get cancel() {
        return (cancel ??= Effect.suspend(() => {
          if (ProjectState.isTerminal(state.status)) return Effect.void
          return Effect.gen(function*() {
            const answer = yield* Deferred.make<void, SogniProjectError>()
            ;(cancelAnswers ??= new Set()).add(answer)
            yield* deps.send(cancelFrameOf(id))
            yield* Deferred.await(answer).pipe(
              Effect.timeoutFail({
                duration: timing.cancelTimeout,
                onTimeout: () =>
                  new SogniProjectError({
                    reason: "CancelTimeout",
                    projectId: id,
                    message: `no cancel confirmation within ${Duration.format(timing.cancelTimeout)}`
                  })
              }),
              Effect.ensuring(Effect.sync(() => cancelAnswers?.delete(answer)))
            )
          })
        }).pipe(Effect.withSpan("Projects.cancel", { attributes: { projectId: id }, captureStackTrace: false })))
      }
    }

    const actor: ProjectActor = {
      project,
      createdAt,
      sentOn: undefined,
      feed,
      current: () => state,
      // an adopted project has no request here to send again: one the server no longer knows is lost
      get resend() {
        return adopted === undefined ? sendRequest() : Effect.sync(() =>
          offer({
            _tag: "LocalFailure",
            error: { code: 0, originalCode: "projectLost", message: `The server has no record of recovered project ${id}.` },
            now: now()
          })
        )
      },
      get start() {
        return adopted === undefined && startInCaller ? start() : Effect.void
      },
      check,
      get end() {
        // `resume` alone as the register's parameter and nothing returned: Effect makes a bare async
        // primitive of it, with no `onInterrupt` wrapper (see the interface note)
        return Effect.async<ProjectState.ProjectState>((resume) => {
          if (ProjectState.isTerminal(state.status)) resume(Effect.succeed(state))
          else callerWaiter = (final) => resume(Effect.succeed(final))
        })
      },
      get finish() {
        return Effect.suspend(() => {
          callerWaiter = undefined
          if (!closeInCaller) return Effect.void
          closeInCaller = false
          return ProjectState.isTerminal(state.status) ? release() : Effect.void
        })
      }
    }

    deps.track(actor)
    yield* deps.route(id, onServerEvent).pipe(Scope.extend(scope))
    if (adopted === undefined) {
      if (!startInCaller) runFork(Effect.interruptible(start()))
    } else {
      // already on the server: counted as written on this connection, brought up to date by its snapshot
      actor.sentOn = deps.generation()
      sent = true
      offer({ _tag: "Recovered", project: adopted.project, active: adopted.active, now: now() })
    }
    if (deps.sharedWatchdog !== true) {
      ownWatchdog = true
      runFork(Effect.interruptible(watchdog()))
    }
    return actor
  })
}

/** The results of a finished project, or why there are none. */
export const outcome = (
  final: ProjectState.ProjectState
): Effect.Effect<ReadonlyArray<ProjectState.JobResult>, SogniProjectError> => {
  if (final.status === "completed") {
    return Effect.succeed(
      final.jobs
        .flatMap((j) => (j.status === "completed" && j.result !== undefined ? [j.result] : []))
        .sort((a, b) => a.jobIndex - b.jobIndex)
    )
  }
  if (final.status === "canceled") {
    return Effect.fail(new SogniProjectError({ reason: "Canceled", projectId: final.id, message: "Project canceled" }))
  }
  const error = final.error ?? { code: 0, message: "Project failed" }
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
