import { assert, describe, it } from "@effect/vitest"
import type { Protocol } from "@effect-sogni/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as ProjectActor from "../src/internal/projectActor.js"
import type * as Projects from "../src/Projects.js"
import type * as ProjectState from "../src/ProjectState.js"

const P = "3F2B8C1E-7A4D-4E2B-9C61-0D5E8A7B4C21"

const prepared: Projects.Prepared = {
  request: {
    jobID: P,
    numberOfImages: 1,
    previews: 0,
    outputFormat: "png",
    tokenType: "spark",
    network: "fast",
    keyFrames: [{ modelID: "m", positivePrompt: "p", steps: 4 }]
  } as Protocol.JobRequest,
  numberOfMedia: 1,
  steps: 4,
  kind: "image",
  outputFormat: "png"
}

const progress = (step: number): Protocol.ServerEvent => ({
  type: "jobProgress",
  payload: { jobID: P, imgID: "A", step, stepCount: 4 }
})
const started: Protocol.ServerEvent = { type: "jobState", payload: { type: "jobStarted", jobID: P, imgID: "A", workerName: "w", jobIndex: 0 } }
const result: Protocol.ServerEvent = { type: "jobResult", payload: { jobID: P, imgID: "A", performedStepCount: 4, lastSeed: "7" } }
const completed: Protocol.ServerEvent = { type: "jobState", payload: { type: "jobCompleted", jobID: P } }

/**
 * An actor on fake dependencies: the route hands back its handler (and records its release), sends and
 * mints are recorded. `sharedWatchdog`: the deadlines are left to `check` calls (as `Projects` does);
 * `startInCaller`: the test runs `start` and `finish` itself (as `Projects.run` does).
 */
const harnessWith = (options: { readonly sharedWatchdog?: boolean; readonly startInCaller?: boolean }) => Effect.gen(function*() {
  const scope = yield* Effect.scope
  const route = { claimed: false, released: false }
  const clock = yield* Effect.clock
  let deliver: ((event: Protocol.ServerEvent) => void) | undefined
  const sent: Array<Protocol.ClientMessage> = []
  const mints: Array<string> = []
  const tracked = new Map<string, ProjectActor.ProjectActor>()
  const deps: ProjectActor.ActorDeps = {
    route: (_id, onEvent) => {
      route.claimed = true
      deliver = onEvent
      return () => void (route.released = true)
    },
    send: (message) => Effect.sync(() => void sent.push(message)),
    mintUrl: (_kind, projectId, imgID, format, type, done) => {
      mints.push(`${type}:${imgID}`)
      done(Either.right(`http://mint/${projectId}/${imgID}.${format ?? "bin"}`))
    },
    findProject: () => Effect.succeed(Option.none()),
    uploadAll: () => Effect.void,
    clock,
    enqueueMint: (work) => work.start(() => {}),
    fork: (effect) => void Effect.runFork(effect),
    generation: () => 1,
    nextConnection: () => Effect.void,
    track: (actor) => void tracked.set(actor.project.id, actor),
    untrack: (id) => void tracked.delete(id),
    sharedWatchdog: options.sharedWatchdog,
    timing: {
      projectTimeout: Duration.hours(1),
      idleTimeout: Duration.minutes(2),
      cancelTimeout: Duration.seconds(5),
      interruptCancelTimeout: Duration.seconds(1),
      etaTick: Duration.seconds(1),
      resubmitWait: Duration.seconds(1),
      urlLifetimeMillis: 60_000
    }
  }
  const actor = yield* ProjectActor.make(deps, scope, prepared, true, undefined, options.startInCaller === true)
  if (options.startInCaller === true) yield* actor.start
  // let the start fiber write the request
  else yield* TestClock.adjust(Duration.millis(1))
  return { actor, deliver: (e: Protocol.ServerEvent) => deliver!(e), sent, mints, tracked, route }
})
const harness = harnessWith({})

describe("projectActor", () => {
  it.scoped("folds routed frames synchronously, mints through the mint dependency, ends and untracks", () =>
    Effect.gen(function*() {
      const h = yield* harness
      assert.strictEqual(h.sent.length, 1)
      assert.strictEqual(h.sent[0]!.type, "jobRequest")
      assert.strictEqual(h.actor.sentOn, 1)
      assert.isTrue(h.tracked.has(P))
      const seen: Array<string> = []
      h.actor.project.listen((e) => void seen.push(e._tag))
      h.deliver(started)
      h.deliver(progress(2))
      // applied on the caller's turn, before anything yields
      assert.deepStrictEqual(seen, ["JobStarted", "JobProgress", "Progress"])
      h.deliver(result)
      h.deliver(completed)
      const results = yield* h.actor.project.await
      assert.deepStrictEqual(h.mints, ["complete:A"])
      assert.strictEqual(results[0]!.url, `http://mint/${P}/A.png`)
      assert.strictEqual(seen.at(-1), "Completed")
      yield* TestClock.adjust(Duration.millis(1))
      assert.isFalse(h.tracked.has(P))
    }))

  it.scoped("service watchdog: check answers the nearer deadline; a due one is handed to the actor's own fiber", () =>
    Effect.gen(function*() {
      const h = yield* harnessWith({ sharedWatchdog: true })
      const clock = yield* Effect.clock
      // the request went out at 0 (the TestClock's start); the idle deadline 2 minutes later is nearer than the hour
      assert.strictEqual(h.actor.check(clock.unsafeCurrentTimeMillis()), Duration.toMillis(Duration.minutes(2)))
      yield* TestClock.adjust(Duration.minutes(3))
      // nothing of its own waits on a timer: past the deadline, the project runs until it is checked
      assert.strictEqual(h.actor.current().status, "pending")
      assert.strictEqual(h.actor.check(clock.unsafeCurrentTimeMillis()), Infinity)
      // the server does not know it (findProject: none): it ends as an idle timeout
      const outcome = yield* Effect.either(h.actor.project.await)
      assert.isTrue(Either.isLeft(outcome))
      if (Either.isLeft(outcome)) {
        assert.strictEqual(outcome.left.reason, "Timeout")
        assert.strictEqual(outcome.left._tag === "SogniProjectError" ? outcome.left.originalCode : outcome.left._tag, "idleTimeout")
      }
      // the actor keeps its deadlines from then on; the service no longer looks
      assert.strictEqual(h.actor.check(clock.unsafeCurrentTimeMillis()), Infinity)
    }))

  it.scoped("started in the caller: the end untracks at once, and finish closes the scope in the caller's fiber", () =>
    Effect.gen(function*() {
      const h = yield* harnessWith({ startInCaller: true })
      assert.strictEqual(h.sent[0]!.type, "jobRequest")
      h.deliver(started)
      h.deliver(result)
      h.deliver(completed)
      yield* h.actor.project.await
      assert.isFalse(h.tracked.has(P))
      // no fiber was forked to close it: the route is held until the caller finishes
      yield* TestClock.adjust(Duration.millis(1))
      assert.isFalse(h.route.released)
      yield* h.actor.finish
      assert.isTrue(h.route.released)
    }))

  it.scoped("started in the caller: a project that ends after the caller stopped waiting is closed by a service fiber", () =>
    Effect.gen(function*() {
      const h = yield* harnessWith({ startInCaller: true })
      yield* h.actor.finish
      assert.isFalse(h.route.released)
      h.deliver(started)
      h.deliver(result)
      h.deliver(completed)
      yield* h.actor.project.await
      yield* TestClock.adjust(Duration.millis(1))
      assert.isTrue(h.route.released)
    }))

  it.effect("closing the parent scope releases its unfinished projects; one made in a closed scope is released at once", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const first = yield* harness.pipe(Scope.extend(scope))
      const second = yield* harnessWith({ sharedWatchdog: true }).pipe(Scope.extend(scope))
      // the first one's own watchdog fiber runs until the release
      assert.isFalse(first.route.released)
      assert.isFalse(second.route.released)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(first.route.released)
      assert.isTrue(second.route.released)
      const late = yield* harness.pipe(Scope.extend(scope))
      assert.isFalse(late.route.claimed)
      assert.isFalse(late.tracked.has(P))
      assert.strictEqual(late.sent.length, 0)
    }))

  it.scoped("mailbox: an input fed while one is applied waits and follows it, in order", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const seen: Array<string> = []
      let fedInside = false
      h.actor.project.listen((e, state) => {
        seen.push(`${e._tag}@${state.jobs[0]?.step ?? "-"}`)
        if (e._tag === "JobStarted" && !fedInside) {
          fedInside = true
          // re-entrant: must not run inside this listener call, but right after the current input
          Effect.runSync(h.actor.feed({ _tag: "Server", event: progress(3), now: 0 }))
          seen.push("fed")
        }
      })
      h.deliver(started)
      // without the mailbox the progress would have been applied inside the listener, before "fed"
      assert.isTrue(seen[0]!.startsWith("JobStarted@"))
      assert.deepStrictEqual(seen.slice(1), ["fed", "JobProgress@3", "Progress@3"])
    }))

  it.scoped("mailbox overflow: the progress frames a later one supersedes are dropped, the newest kept, lifecycle inputs kept", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const progressSteps: Array<number> = []
      let results = 0
      h.actor.project.listen((e) => {
        if (e._tag === "JobProgress") progressSteps.push(e.step)
        if (e._tag === "JobCompleted") results++
        if (e._tag === "JobStarted") {
          // a burst far beyond the mailbox, then the result, all re-entrant
          const burst = ProjectActor.mailboxCapacity + 100
          for (let i = 1; i <= burst; i++) {
            Effect.runSync(h.actor.feed({ _tag: "Server", event: { type: "jobProgress", payload: { jobID: P, imgID: "A", step: i, stepCount: burst } }, now: 0 }))
          }
          Effect.runSync(h.actor.feed({ _tag: "Server", event: result, now: 0 }))
          Effect.runSync(h.actor.feed({ _tag: "Server", event: completed, now: 0 }))
        }
      })
      h.deliver(started)
      // the mailbox filled with frames 1..1024: the pass kept the newest (1024); 1025..1124 followed it,
      // then the result and the completion, in order
      assert.deepStrictEqual(progressSteps, Array.from({ length: 101 }, (_, i) => ProjectActor.mailboxCapacity + i))
      const out = yield* h.actor.project.await
      assert.strictEqual(out.length, 1)
      assert.strictEqual(results, 1)
    }))

  it.scoped("mailbox overflow: 100,000 re-entrant retries, starts, queue positions, ETAs and ticks stay bounded; the newest of each and every end arrive, in order", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const seen: Array<string> = []
      let fed = false
      h.actor.project.listen((e) => {
        seen.push(e._tag === "JobRetrying" ? `JobRetrying#${e.attempt}` : e._tag)
        if (e._tag !== "JobStarted" || fed) return
        fed = true
        const feed = (event: Protocol.ServerEvent) => Effect.runSync(h.actor.feed({ _tag: "Server", event, now: 0 }))
        for (let i = 1; i <= 20_000; i++) {
          feed({ type: "jobRetry", payload: { jobID: P, imgID: "A", jobIndex: 0, attempt: i, maxAttempts: 1_000_000, error: 1, error_message: "lost" } } as Protocol.ServerEvent)
          feed(started)
          feed({ type: "jobState", payload: { type: "queued", jobID: P, queuePosition: i % 7 } } as Protocol.ServerEvent)
          feed({ type: "jobETA", payload: { jobID: P, imgID: "A", etaSeconds: i } } as Protocol.ServerEvent)
          Effect.runSync(h.actor.feed({ _tag: "Tick", now: i }))
        }
        // the ends, re-entrant too: never dropped, applied after what came before them
        feed(result)
        feed(completed)
      })
      h.deliver(started)
      const out = yield* h.actor.project.await
      assert.strictEqual(out.length, 1)
      // 100,002 inputs were offered: the mailbox never held more than its capacity, so far fewer were applied
      assert.isBelow(seen.length, 4 * ProjectActor.mailboxCapacity)
      const retries = seen.filter((t) => t.startsWith("JobRetrying#")).map((t) => Number(t.slice(12)))
      assert.isAbove(retries.length, 0)
      assert.isTrue(retries.every((a, i) => i === 0 || a > retries[i - 1]!), "retries in order")
      // the newest retry notice (attempt 20,000) was applied: the job is on its 20,001st attempt
      assert.strictEqual(retries.at(-1), 20_001)
      assert.deepStrictEqual(seen.slice(-2), ["JobCompleted", "Completed"])
      assert.strictEqual(seen.filter((t) => t === "JobCompleted").length, 1)
    }))

  it("compactMailbox: rule 1 keeps the newest of each kind and job, rule 2 drops the oldest progress-like then other repeatable inputs down to half, ends never", () => {
    const server = (event: unknown): ProjectState.Input => ({ _tag: "Server", event: event as Protocol.ServerEvent, now: 0 })
    const progressOf = (imgID: string, step: number) => server({ type: "jobProgress", payload: { jobID: P, imgID, step } })
    const retryOf = (imgID: string, attempt: number) => server({ type: "jobRetry", payload: { jobID: P, imgID, attempt, maxAttempts: 9 } })
    const end = (imgID: string) => server({ type: "jobResult", payload: { jobID: P, imgID } })
    // rule 1: per job, the newest progress and retry survive; the ends stay where they were
    const waiting = [progressOf("A", 1), retryOf("A", 1), progressOf("B", 1), end("A"), progressOf("A", 2), retryOf("A", 2), { _tag: "Tick", now: 1 } as const, { _tag: "Tick", now: 2 } as const]
    assert.strictEqual(ProjectActor.compactMailbox(waiting, 1024), 3)
    assert.deepStrictEqual(waiting.map((i) => i._tag === "Server" ? `${i.event.type}:${(i.event.payload as { imgID: string }).imgID}` : `${i._tag}:${i.now}`), [
      "jobProgress:B",
      "jobResult:A",
      "jobProgress:A",
      "jobRetry:A",
      "Tick:2"
    ])
    // rule 2: ever new jobs (nothing superseded) down to half of the capacity, the oldest progress first,
    // then the oldest retries; the ends are all kept
    const flood: Array<ProjectState.Input> = []
    for (let i = 0; i < 10; i++) flood.push(retryOf(`R${i}`, 1))
    for (let i = 0; i < 12; i++) flood.push(progressOf(`P${i}`, 1))
    for (let i = 0; i < 3; i++) flood.push(end(`E${i}`))
    assert.strictEqual(ProjectActor.compactMailbox(flood, 16), 25 - 8)
    const ids = flood.map((i) => (i._tag === "Server" ? (i.event.payload as { imgID: string }).imgID : "?"))
    assert.deepStrictEqual(ids, ["R5", "R6", "R7", "R8", "R9", "E0", "E1", "E2"])
    // only ends: nothing dropped
    const ends = Array.from({ length: 20 }, (_, i) => end(`E${i}`))
    assert.strictEqual(ProjectActor.compactMailbox(ends, 16), 0)
    assert.strictEqual(ends.length, 20)
  })

  it.scoped("mailbox: inputs offered after a waiting confirmed cancel are not kept; the project ends canceled once", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const seen: Array<string> = []
      let waiting: number | undefined
      const confirmed = { type: "artistCancelConfirmation", payload: { jobID: P, didCancel: true } } as Protocol.ServerEvent
      h.actor.project.listen((e) => {
        seen.push(e._tag)
        if (e._tag === "JobStarted") {
          // a listener canceling again and again, then feeding more: one cancel waits, nothing after it
          for (let i = 1; i <= 50_000; i++) {
            Effect.runSync(h.actor.feed({ _tag: "Server", event: i % 2 === 0 ? confirmed : progress(i % 4), now: 0 }))
          }
          waiting = (h.actor as unknown as { readonly mailbox?: ReadonlyArray<unknown> }).mailbox?.length
        }
      })
      h.deliver(started)
      const outcome = yield* Effect.either(h.actor.project.await)
      // the first progress frame, then the first confirmed cancel
      assert.strictEqual(waiting, 2)
      assert.isTrue(Either.isLeft(outcome))
      assert.deepStrictEqual(seen.filter((t) => t !== "Progress"), ["JobStarted", "JobProgress", "Canceled"])
    }))

  it.scoped("mailbox: inputs offered after the project ended are not kept (the reducer would ignore them)", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const seen: Array<string> = []
      let waiting: number | undefined
      h.actor.project.listen((e) => {
        seen.push(e._tag)
        if (e._tag === "Completed") {
          // still inside the input that ended the project: these arrive after the end
          const retry = { type: "jobRetry", payload: { jobID: P, imgID: "A", attempt: 1, maxAttempts: 3 } } as Protocol.ServerEvent
          for (let i = 1; i <= 50_000; i++) Effect.runSync(h.actor.feed({ _tag: "Server", event: i % 2 === 0 ? retry : result, now: 0 }))
          waiting = (h.actor as unknown as { readonly mailbox?: ReadonlyArray<unknown> }).mailbox?.length ?? 0
        }
      })
      h.deliver(started)
      h.deliver(result)
      h.deliver(completed)
      yield* h.actor.project.await
      assert.strictEqual(waiting, 0)
      assert.deepStrictEqual(seen.filter((t) => t !== "Progress"), ["JobStarted", "JobCompleted", "Completed"])
    }))
})


describe("projectActor listen options", () => {
  it.scoped("a listener whose wantsProgress answers false gets the lifecycle events only, the state moves all the same; true brings the progress events back", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const seen: Array<string> = []
      let wants = false
      h.actor.project.listen((e) => void seen.push(e._tag), { wantsProgress: () => wants })
      h.deliver(started)
      h.deliver(progress(1))
      h.deliver(progress(2))
      assert.deepStrictEqual(seen, ["JobStarted"])
      assert.strictEqual(h.actor.current().jobs[0]!.step, 2)
      assert.strictEqual(h.actor.current().percent, 50)
      wants = true
      h.deliver(progress(3))
      assert.deepStrictEqual(seen, ["JobStarted", "JobProgress", "Progress"])
      // another listener without the option wants everything
      wants = false
      const other: Array<string> = []
      h.actor.project.listen((e) => void other.push(e._tag))
      h.deliver(progress(4))
      assert.deepStrictEqual(other, ["JobProgress", "Progress"])
      h.deliver(result)
      h.deliver(completed)
      yield* h.actor.project.await
      assert.strictEqual(seen.at(-1), "Completed")
    }))

  it.scoped("the request is written again until the server admits the project; admitted, it is let go and a resend ends the project lost, writing nothing", () =>
    Effect.gen(function*() {
      const h = yield* harness
      assert.strictEqual(h.sent.length, 1)
      // not admitted yet (no jobState): a resend writes the same request again
      yield* h.actor.resend
      assert.strictEqual(h.sent.length, 2)
      assert.deepStrictEqual(h.sent[1], h.sent[0])
      // the first jobState admits it: nothing sends it again from then on (the service resends only unadmitted projects)
      h.deliver({ type: "jobState", payload: { type: "queued", jobID: P, queuePosition: 1 } })
      assert.isTrue(h.actor.current().admitted)
      yield* h.actor.resend
      assert.strictEqual(h.sent.length, 2)
      const outcome = yield* Effect.either(h.actor.project.await)
      assert.isTrue(Either.isLeft(outcome))
      if (Either.isLeft(outcome)) {
        assert.strictEqual(outcome.left.reason, "Failed")
        assert.strictEqual(outcome.left._tag === "SogniProjectError" ? outcome.left.originalCode : outcome.left._tag, "projectLost")
      }
    }))
})

describe("projectActor await and listeners", () => {
  it.scoped("await: callers waiting before the end, one interrupted meanwhile, and one after the end get the same results", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const early = yield* Effect.fork(h.actor.project.await)
      const dropped = yield* Effect.fork(h.actor.project.await)
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.interrupt(dropped)
      h.deliver(started)
      h.deliver(result)
      h.deliver(completed)
      const first = yield* Fiber.join(early)
      const late = yield* h.actor.project.await
      assert.strictEqual(first.length, 1)
      assert.strictEqual(first[0]!.url, `http://mint/${P}/A.png`)
      assert.deepStrictEqual(late, first)
      const droppedExit = yield* Fiber.await(dropped)
      assert.isTrue(Exit.isInterrupted(droppedExit))
    }))

  it.scoped("a listener added twice is called once per event and keeps its wantsProgress unless given a new one; its remover removes it", () =>
    Effect.gen(function*() {
      const h = yield* harness
      const seen: Array<string> = []
      const listener: Projects.ProjectListener = (e) => void seen.push(e._tag)
      h.actor.project.listen(listener, { wantsProgress: () => false })
      h.actor.project.listen(listener)
      h.deliver(started)
      h.deliver(progress(1))
      // still quiet: the second listen gave no wantsProgress
      assert.deepStrictEqual(seen, ["JobStarted"])
      const remove = h.actor.project.listen(listener, { wantsProgress: () => true })
      h.deliver(progress(2))
      assert.deepStrictEqual(seen, ["JobStarted", "JobProgress", "Progress"])
      remove()
      h.deliver(progress(3))
      assert.strictEqual(seen.length, 3)
      h.deliver(result)
      h.deliver(completed)
      yield* h.actor.project.await
    }))
})
