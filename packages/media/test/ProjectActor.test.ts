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
        assert.strictEqual(outcome.left.originalCode, "idleTimeout")
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

  it.scoped("mailbox overflow: the oldest waiting progress frames are dropped, lifecycle inputs kept", () =>
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
      // 102 inputs beyond the capacity (100 progress frames, the result, the completion): the 102 oldest
      // progress frames made room; the rest arrived in order, and so did the lifecycle inputs
      assert.strictEqual(progressSteps[0], 103)
      assert.strictEqual(progressSteps.length, ProjectActor.mailboxCapacity - 2)
      assert.strictEqual(progressSteps.at(-1), ProjectActor.mailboxCapacity + 100)
      const out = yield* h.actor.project.await
      assert.strictEqual(out.length, 1)
      assert.strictEqual(results, 1)
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
        assert.strictEqual(outcome.left.originalCode, "projectLost")
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
