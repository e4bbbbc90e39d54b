/**
 * Projects against the emulator over real loopback sockets.
 */
import { assert, describe, layer } from "@effect/vitest"
import { SogniRest, SogniSocket } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Supervisor from "effect/Supervisor"
import { Media, Projects, ProjectState } from "../src/index.js"
import { imageProject } from "./imageProject.js"
import { recordingTracer } from "./recordingTracer.js"

const emulatorLayer = Emulator.layer({ port: 0, speed: 4 })

const connect = (
  emulator: Emulator.Service,
  appId = `media-${crypto.randomUUID()}`,
  options: Projects.ProjectsOptions = {}
) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl,
        reconnectBase: "50 millis"
      }, { interruptCancelTimeout: "5 seconds", ...options })
    ),
    (ctx) => ({
      projects: Context.get(ctx, Projects.Projects),
      rest: Context.get(ctx, SogniRest.SogniRest),
      socket: Context.get(ctx, SogniSocket.SogniSocket),
      appId
    })
  )

const image = (count: number, prompt = "a harbour at dusk", steps = 4) => imageProject(count, prompt, steps, 7)

const PNG = [0x89, 0x50, 0x4e, 0x47]

/** Counts the fibers started under it (supervisors pass to the runtimes captured below them). */
class ForkCounter extends Supervisor.AbstractSupervisor<number> {
  started = 0
  get value() {
    return Effect.sync(() => this.started)
  }
  override onStart() {
    this.started++
  }
}

describe("Projects against the emulator", () => {
  layer(emulatorLayer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("mints queue behind mintConcurrency: 5 projects × 3 images through one mint at a time all get their URLs", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, rest } = yield* connect(emulator, undefined, { mintConcurrency: 1 })
        const results = yield* Effect.forEach(
          Array.from({ length: 5 }, (_, i) => image(3, `queue ${i}`, 2)),
          (p) => projects.run(p),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(results.map((r) => r.length), [3, 3, 3, 3, 3])
        const urls = results.flat().map((r) => r.url)
        assert.isTrue(urls.every((u) => typeof u === "string" && u.startsWith(emulator.url)))
        assert.strictEqual(new Set(urls).size, 15)
        const bytes = yield* rest.getBytes(urls[14]!)
        assert.deepStrictEqual([...bytes.slice(0, 4)], PNG)
      }))

    it.scoped("run and create record a Projects.submit span under the caller's span, ended once the project is made", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const { spans, tracer } = recordingTracer()
        const callerId = yield* Effect.gen(function*() {
          const caller = yield* Effect.currentSpan
          const results = yield* projects.run(image(1, "traced run", 2))
          assert.strictEqual(results.length, 1)
          const created = yield* projects.create(image(1, "traced create", 2))
          yield* created.await
          return caller.spanId
        }).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
        const submits = spans.filter((s) => s.name === "Projects.submit")
        assert.strictEqual(submits.length, 2)
        for (const s of submits) {
          assert.strictEqual(s.parent, callerId)
          assert.isTrue(s.ended)
        }
      }))

    it.scoped("prepare records a Projects.prepare span under the caller's span, ended with its outcome; the size-preset read is its child", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const { spans, tracer } = recordingTracer()
        const params = (sizePreset: string) => ({
          type: "image",
          modelId: "flux1-schnell-fp8",
          positivePrompt: "a traced harbour",
          numberOfMedia: 1,
          steps: 2,
          tokenType: "spark",
          network: "fast",
          sizePreset
        })
        const { callerId, refused } = yield* Effect.gen(function*() {
          const caller = yield* Effect.currentSpan
          const prepared = yield* projects.prepare(params("square_hd"))
          assert.strictEqual(prepared.request.keyFrames[0]?.sizePreset, "square_hd")
          // the presets are cached by now: this one reads nothing
          const refused = yield* Effect.flip(projects.prepare(params("no_such_preset")))
          return { callerId: caller.spanId, refused }
        }).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
        assert.strictEqual(refused._tag, "SogniInvalidRequest")
        assert.strictEqual(refused._tag === "SogniInvalidRequest" ? refused.field : undefined, "sizePreset")
        const prepares = spans.filter((s) => s.name === "Projects.prepare")
        assert.deepStrictEqual(prepares.map((s) => [s.parent, s.ended, s.exit]), [
          [callerId, true, "Success"],
          [callerId, true, "Failure"]
        ])
        const children = spans.filter((s) => s.parent !== undefined && s.parent.startsWith("Projects.prepare-"))
        assert.deepStrictEqual(children.map((s) => [s.name, s.parent, s.ended]), [["SogniRest.GET", prepares[0]!.id, true]])
      }))

    // Projects.prepare decodes the usual image request without Params and loads Params (its schemas) for any
    // other input: both give what Params.decode gives
    it.scoped("prepare decodes a plain image request and, through the Params it loads, refuses or accepts the rest as Params.decode does", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const plain = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a quay at noon", numberOfMedia: 2, tokenType: "spark" }
        const prepared = yield* projects.prepare(plain)
        assert.deepStrictEqual([prepared.numberOfMedia, prepared.request.keyFrames[0]?.positivePrompt], [2, "a quay at noon"])
        const inputs: ReadonlyArray<unknown> = [
          { ...plain, startingImageStrength: 2 },
          { ...plain, colour: "red" },
          [plain],
          "an image please"
        ]
        const refusals = yield* Effect.forEach(inputs, (input) => Effect.flip(projects.prepare(input)))
        const Params = yield* Effect.promise(() => import("../src/Params.js"))
        assert.deepStrictEqual(
          refusals.map((e) => e._tag === "SogniInvalidRequest" ? [e.field, e.rule, e.message] : [e._tag]),
          inputs.map((input) => {
            const expected = Either.getLeft(Params.decode(input))
            return Option.isSome(expected) ? [expected.value.field, expected.value.rule, expected.value.message] : ["decoded"]
          })
        )
        assert.deepStrictEqual(refusals.map((e) => e._tag === "SogniInvalidRequest" ? e.field : e._tag), [
          "startingImageStrength",
          "colour",
          "params",
          "params"
        ])
        // a request the plain check leaves to the schema (a nested control net) still prepares
        const nested = yield* projects.prepare({ ...plain, numberOfMedia: 1, controlNet: { name: "canny", image: true, strength: 0.5 } })
        assert.strictEqual(nested.numberOfMedia, 1)
      }))

    // once Params is loaded, a request the plain check leaves to it is decoded on the caller's turn, as a plain
    // one is: no wait for the module again (the promise client's calls run as far as they can without waiting)
    it.scoped("after the first, a prepare of a request that needs Params (or the video and audio rules) waits for nothing a plain one does not", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const plain = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a quay at noon", numberOfMedia: 1, tokenType: "spark" }
        const nested = { ...plain, controlNet: { name: "canny", image: true, strength: 0.5 } }
        const video = { type: "video", modelId: "minimax-h3-fl2va-fp8_t2v_turbo", positivePrompt: "waves", fps: 24 }
        const audio = { type: "audio", modelId: "ace_step_1.5_turbo", positivePrompt: "a waltz", keyscale: "A minor" }
        // the first of each reads the model's description and loads Params (and the video and audio rules)
        for (const params of [plain, nested, video, audio]) yield* projects.prepare(params)
        const runtime = yield* Effect.runtime<never>()
        const now = (params: unknown) => Runtime.runSyncExit(runtime, projects.prepare(params))
        const [plainExit, nestedExit, refusedExit] = [now(plain), now(nested), now({ ...plain, colour: "red" })]
        assert.isTrue(Exit.isSuccess(plainExit), String(plainExit))
        assert.isTrue(Exit.isSuccess(nestedExit), String(nestedExit))
        for (const params of [video, audio]) {
          const exit = now(params)
          assert.isTrue(Exit.isSuccess(exit), String(exit))
        }
        assert.deepStrictEqual(
          Exit.match(refusedExit, { onFailure: (c) => Cause.failureOption(c).pipe(Option.map((e) => e._tag)), onSuccess: () => Option.none() }),
          Option.some("SogniInvalidRequest")
        )
      }))

    // Projects.prepare's decoding (the plain image check, else the Params it loads) against Params.decode, for
    // generated requests around the usual image request: a refusal names the same field, rule and message, and
    // an accepted request prepares as its decoded value does
    it.scoped("prepare decodes any input as Params.decode does (property)", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const Params = yield* Effect.promise(() => import("../src/Params.js"))
        const { plainImageFields } = yield* Effect.promise(() => import("../src/internal/plainImage.js"))
        const base = { type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a quay at noon", numberOfMedia: 1, tokenType: "spark" }
        const value = FastCheck.constantFrom<unknown>(
          undefined, null, true, "", " ", "x", "image", "video", "audio", "flux1-schnell-fp8", "fast", "spark", "png",
          -1, 0, 0.5, 1, 2, 17, 512, 1024, 2049, 700_001, Number.NaN, Infinity, new Uint8Array([1]), [], {}
        )
        const key = FastCheck.constantFrom(...plainImageFields, "controlNet", "startingImage", "bogus", "outputScale", "duration")
        const input = FastCheck.oneof(
          { arbitrary: FastCheck.dictionary(key, value, { maxKeys: 3 }).map((extra) => ({ ...base, ...extra })), weight: 9 },
          { arbitrary: FastCheck.constantFrom<unknown>(base, [base], "an image please", 7, null), weight: 1 }
        )
        const outcome = (params: unknown) =>
          Effect.runPromise(Effect.either(projects.prepare(params))).then((r) =>
            Either.isRight(r)
              ? "prepared"
              : r.left._tag === "SogniInvalidRequest"
              ? `${r.left.field} ${r.left.rule} ${r.left.message}`
              : r.left._tag
          )
        yield* Effect.promise(() =>
          FastCheck.assert(
            FastCheck.asyncProperty(input, async (params) => {
              const expected = Params.decode(params)
              const got = await outcome(params)
              if (Either.isLeft(expected)) {
                assert.strictEqual(got, `${expected.left.field} ${expected.left.rule} ${expected.left.message}`)
              } else assert.strictEqual(got, await outcome(expected.right))
            }),
            { numRuns: 150 }
          )
        )
      }))

    // Projects.prepare loads the special image models' rules (media internal/kindChecks.ts) for a project that needs them
    it.scoped("prepare checks and builds a GPT Image project with the special-model rules, and refuses their fields on another model", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const params = (modelId: string, extra: Record<string, unknown>) => ({
          type: "image",
          modelId,
          positivePrompt: "a lighthouse in fog",
          numberOfMedia: 1,
          tokenType: "spark",
          network: "fast",
          ...extra
        })
        const prepared = yield* projects.prepare(params("gpt-image-2.5-sunburst", {
          gptImageQuality: "max",
          gptImageBackground: "transparent",
          outputFormat: "webp",
          gptImageOutputCompression: 40
        }))
        const kf = prepared.request.keyFrames[0] ?? {}
        assert.deepStrictEqual(
          [kf.gptImageQuality, kf.gptImageBackground, kf.gptImageOutputCompression, prepared.request.outputFormat],
          ["max", "transparent", 40, "webp"]
        )
        const refusals = yield* Effect.forEach([
          params("gpt-image-2", { gptImageQuality: "max" }),
          params("gpt-image-2", { gptImageMaskUrl: "https://example.com/mask.png" }),
          params("flux1-schnell-fp8", { gptImageBackground: "auto" })
        ], (p) => Effect.flip(projects.prepare(p)))
        assert.deepStrictEqual(
          refusals.map((e) => e._tag === "SogniInvalidRequest" ? [e.field, e.rule, e.message] : [e._tag]),
          [
            ["gptImageQuality", "allowed-values", 'gptImageQuality must be one of "low", "medium", "high", "standard", "hd", got "max"'],
            ["contextImages", "required", "GPT Image mask requires a first reference image"],
            ["gptImageBackground", "forbidden", "gptImageBackground requires a GPT Image model"]
          ]
        )
      }))

    it.scoped("mint queue overflow: with room for one waiting mint, every result still gets its URL (the overflow runs past the limit)", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator, undefined, { mintConcurrency: 1, mintQueueCapacity: 1 })
        const results = yield* Effect.forEach(
          Array.from({ length: 5 }, (_, i) => image(3, `overflow ${i}`, 2)),
          (p) => projects.run(p),
          { concurrency: "unbounded" }
        )
        const urls = results.flat().map((r) => r.url)
        assert.strictEqual(urls.length, 15)
        assert.isTrue(urls.every((u) => typeof u === "string" && u.startsWith(emulator.url)))
        assert.strictEqual(new Set(urls).size, 15)
      }))

    it.scoped("listen: a synchronous listener gets every event since creation, each with the state right after it", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const project = yield* projects.submit(image(2))
        const seen: Array<string> = []
        const mismatches: Array<string> = []
        let finalStatus = ""
        const ended = yield* Effect.makeLatch(false)
        const stop = project.listen((event, state) => {
          seen.push(event._tag)
          if (event._tag === "JobProgress") {
            const job = state.jobs.find((j) => j.imgID === event.imgID)
            if (job?.step !== event.step) mismatches.push(`${event.imgID} step ${event.step} vs state ${job?.step}`)
          }
          if (ProjectState.isTerminal(state.status)) {
            finalStatus = state.status
            ended.unsafeOpen()
          }
        })
        yield* ended.await
        stop()
        assert.deepStrictEqual(mismatches, [])
        assert.strictEqual(finalStatus, "completed")
        assert.strictEqual(seen[seen.length - 1], "Completed")
        assert.strictEqual(seen.filter((t) => t === "JobStarted").length, 2)
        assert.strictEqual(seen.filter((t) => t === "JobCompleted").length, 2)
        assert.isAbove(seen.filter((t) => t === "JobProgress").length, 0)
        // the backlog went to this listener: a later subscriber starts from now (the project has ended)
        const later = yield* Stream.runCollect(project.events)
        assert.strictEqual(Chunk.size(later), 0)
      }))

    it.scoped("listen: a listener that throws is removed; the project and the other listeners go on", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const project = yield* projects.submit(image(1))
        let thrown = 0
        const seen: Array<string> = []
        const ended = yield* Effect.makeLatch(false)
        project.listen(() => {
          thrown++
          throw new Error("a listener's own bug")
        })
        project.listen((event) => {
          seen.push(event._tag)
          if (event._tag === "Completed") ended.unsafeOpen()
        })
        yield* ended.await
        assert.strictEqual(thrown, 1)
        assert.strictEqual(seen[seen.length - 1], "Completed")
        assert.strictEqual((yield* project.await).length, 1)
      }))

    it.scoped("events: a 2-image project streams queue, job, progress and completion events; results download as PNGs", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects, rest } = yield* connect(emulator)
        const events = Chunk.toReadonlyArray(yield* Stream.runCollect(projects.events(image(2))))
        const tags = events.map((e) => e._tag)
        assert.include(tags, "Queued")
        assert.strictEqual(tags.filter((t) => t === "JobStarted").length, 2)
        assert.strictEqual(tags.filter((t) => t === "JobCompleted").length, 2)
        assert.strictEqual(tags[tags.length - 1], "Completed")
        const percents = events.flatMap((e) => (e._tag === "Progress" ? [e.percent] : []))
        assert.deepStrictEqual(percents, [...percents].sort((a, b) => a - b))
        assert.strictEqual(percents[percents.length - 1], 100)
        const done = events[events.length - 1]!
        assert(done._tag === "Completed")
        assert.strictEqual(done.results.length, 2)
        for (const r of done.results) {
          assert.isString(r.url)
          const bytes = yield* rest.getBytes(r.url!)
          assert.deepStrictEqual([...bytes.slice(0, 4)], PNG)
        }
      }))

    it.scoped("run: waits for both results; submit returns the id before anything completes", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const prepared = image(2)
        const project = yield* projects.submit(prepared)
        assert.strictEqual(project.id, prepared.request.jobID)
        assert.isFalse(ProjectState.isTerminal((yield* project.state).status))
        const results = yield* project.await
        assert.deepStrictEqual(results.map((r) => r.jobIndex), [0, 1])
        const viaRun = yield* projects.run(image(1))
        assert.strictEqual(viaRun.length, 1)
      }))

    it.scoped("submit without uploads: no fiber per project (the caller writes the request, the end closes the project inline), and an interrupted submit leaves its project sent", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        // the service is built under the counter too: the fibers it forks for a project are counted
        const counter = new ForkCounter()
        const { projects } = yield* Effect.supervised(connect(emulator), counter)
        // warm up: the socket's connection and service fibers are not the project's
        yield* projects.run(image(1, "warm-up", 1)).pipe(Effect.supervised(counter))
        counter.started = 0
        yield* Effect.forEach(
          Array.from({ length: 5 }, (_, i) => image(1, `inline ${i}`, 2)),
          (p) => Effect.flatMap(projects.submit(p), (project) => project.await),
          { discard: true }
        ).pipe(Effect.supervised(counter))
        assert.strictEqual(counter.started, 0)
        assert.deepStrictEqual(yield* projects.active, [])
        // interrupted while submitting: the send is completed, the project stays tracked and ends
        const prepared = image(1, "interrupted submit", 2)
        const fiber = yield* Effect.fork(projects.submit(prepared))
        yield* Fiber.interrupt(fiber)
        const project = yield* projects.get(prepared.request.jobID)
        if (Option.isSome(project)) assert.strictEqual((yield* project.value.await).length, 1)
        else assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)), "an untracked project was never started")
      }))

    it.scoped("interrupting the stream cancels the project upstream and releases it", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const prepared = image(2, "a slow river [[slow]]", 8)
        const fiber = yield* projects.events(prepared).pipe(
          Stream.takeWhile((e) => e._tag !== "JobProgress"),
          Stream.runDrain,
          Effect.fork
        )
        yield* Fiber.join(fiber) // ends (and releases) on the first progress event
        const info = yield* emulator.control.getProject(prepared.request.jobID)
        assert.strictEqual(info.status, "cancelled")
        assert.deepStrictEqual(yield* projects.active, [])
      }))

    it.scoped("cancel: the project ends canceled and run fails with a Canceled error", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const project = yield* projects.submit(image(2, "a slow glacier [[slow]]", 8))
        yield* project.events.pipe(Stream.filter((e) => e._tag === "JobStarted"), Stream.take(1), Stream.runDrain)
        yield* project.cancel
        const outcome = yield* Effect.either(project.await)
        assert.isTrue(Either.isLeft(outcome) && outcome.left.reason === "Canceled")
        assert.strictEqual((yield* project.state).status, "canceled")
      }))

    it.scoped("[[fail]]: every job fails, the project fails with the network's code", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const outcome = yield* Effect.either(projects.run(image(2, "a doomed tower [[fail]]")))
        assert.isTrue(Either.isLeft(outcome))
        if (Either.isLeft(outcome)) {
          assert.strictEqual(outcome.left._tag, "SogniProjectError")
          assert.strictEqual(outcome.left.reason, "Failed")
          assert.isNumber((outcome.left as { code?: number }).code)
        }
      }))

    it.scoped("[[retry]]: worker retries keep the logical jobs; both results arrive", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const events = Chunk.toReadonlyArray(yield* Stream.runCollect(projects.events(image(2, "a stubborn kite [[retry]]"))))
        assert.isAtLeast(events.filter((e) => e._tag === "JobRetrying").length, 1)
        const done = events[events.length - 1]!
        assert(done._tag === "Completed")
        assert.strictEqual(done.results.length, 2)
      }))

    it.scoped("[[drop]]: the socket drops mid-project; the project is reconciled and completes", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const results = yield* projects.run(image(2, "a lighthouse in a storm [[drop]]", 8))
        assert.strictEqual(results.length, 2)
        assert.isTrue(results.every((r) => typeof r.url === "string"))
      }))

    it.scoped("a project that finishes while disconnected completes from the recovery snapshot", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { appId, projects } = yield* connect(emulator)
        const project = yield* projects.submit(image(1, "a quick sketch", 4))
        yield* project.events.pipe(Stream.filter((e) => e._tag === "JobStarted"), Stream.take(1), Stream.runDrain)
        // refuse the reconnects for a while by dropping repeatedly, so the project finishes in the gap
        for (let i = 0; i < 5; i++) {
          yield* emulator.control.dropConnection({ appId, abnormal: true })
          yield* Effect.sleep("60 millis")
        }
        const results = yield* project.await
        assert.strictEqual(results.length, 1)
        assert.isString(results[0]!.url)
      }))

    it.scoped("a new process adopts a project an earlier one started: progress and results arrive on the adopted project", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const appId = `media-${crypto.randomUUID()}`
        // the first process starts a slow 2-image project and goes away while it runs (nothing canceled)
        const firstScope = yield* Scope.make()
        const first = yield* connect(emulator, appId).pipe(Scope.extend(firstScope))
        const started = yield* first.projects.submit(image(2, "[[slow]] a lighthouse in fog", 8))
        yield* started.events.pipe(Stream.filter((e) => e._tag === "JobProgress"), Stream.take(1), Stream.runDrain)
        yield* Scope.close(firstScope, Exit.void)
        // a new process with the same appId: the handshake lists the project in flight and it is adopted
        const second = yield* connect(emulator, appId)
        yield* second.socket.awaitAuthenticated
        const adopted = yield* second.projects.get(started.id).pipe(
          Effect.flatMap(Effect.orElseFail(() => "not adopted yet")),
          Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds")))
        )
        assert.strictEqual(adopted.id, started.id)
        const seen: Array<string> = []
        adopted.listen((e) => void seen.push(e._tag))
        const results = yield* adopted.await
        assert.strictEqual(results.length, 2)
        for (const r of results) assert.isTrue(typeof r.url === "string" && r.url.startsWith(emulator.url))
        assert.include(seen, "JobProgress")
        assert.include(seen, "JobCompleted")
        assert.strictEqual(seen.at(-1), "Completed")
      }))

    it.scoped("adopt: a project known from a snapshot of another connection is followed to its end", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const appId = `media-${crypto.randomUUID()}`
        const firstScope = yield* Scope.make()
        const first = yield* connect(emulator, appId).pipe(Scope.extend(firstScope))
        const started = yield* first.projects.submit(image(1, "[[slow]] a kite over dunes", 8))
        yield* started.events.pipe(Stream.filter((e) => e._tag === "JobStarted"), Stream.take(1), Stream.runDrain)
        yield* Scope.close(firstScope, Exit.void)
        // automatic adoption off: the caller adopts from the handshake's snapshot itself
        const second = yield* connect(emulator, appId, { adoptRecovered: false })
        const handshake = yield* second.socket.awaitAuthenticated
        assert.isTrue(Option.isNone(yield* second.projects.get(started.id)))
        const listed = handshake.activeProjects.find((p) => p.id.toUpperCase() === started.id)
        assert.isDefined(listed)
        const adopted = yield* second.projects.adopt(listed!, true)
        assert.strictEqual(yield* second.projects.adopt(listed!, true), adopted)
        const results = yield* adopted.await
        assert.strictEqual(results.length, 1)
        assert.isString(results[0]!.url)
      }))

    it.scoped("20 concurrent projects all complete, each with its own results", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const { projects } = yield* connect(emulator)
        const all = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => image(2, `scene ${i}`)),
          (p) => Effect.map(projects.run(p), (results) => [p.request.jobID, results] as const),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(all.length, 20)
        for (const [, results] of all) assert.strictEqual(results.length, 2)
        assert.strictEqual(new Set(all.flatMap(([, rs]) => rs.map((r) => r.imgID))).size, 40)
        assert.deepStrictEqual(yield* projects.active, [])
        void Option
      }))
  })
})
