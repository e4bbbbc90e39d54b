import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"
import * as ProjectSpan from "../src/internal/projectSpan.js"
import { recordingTracer } from "./recordingTracer.js"

describe("projectSpan", () => {
  it.effect("with Effect's built-in tracer the body runs without a span and keeps its outcome", () =>
    Effect.gen(function*() {
      const seen: Array<Tracer.Span | undefined> = []
      const ok = yield* ProjectSpan.use("Projects.prepare", (span) => Effect.sync(() => (seen.push(span), 7)))
      assert.strictEqual(ok, 7)
      const failed = yield* Effect.exit(ProjectSpan.use("Projects.submit", (span) => (seen.push(span), Effect.fail("no"))))
      assert.deepStrictEqual(failed, Exit.fail("no"))
      assert.deepStrictEqual(seen, [undefined, undefined])
    }))

  it.effect("with a recording tracer the span is opened under the caller's span, handed to the body and ended with its outcome", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const handed: Array<string | undefined> = []
      yield* Effect.gen(function*() {
        yield* ProjectSpan.use("Projects.prepare", (span) => Effect.sync(() => handed.push(span?.name)))
        yield* Effect.exit(ProjectSpan.use("Projects.submit", (span) => (handed.push(span?.name), Effect.fail("no"))))
      }).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
      assert.deepStrictEqual(handed, ["Projects.prepare", "Projects.submit"])
      assert.deepStrictEqual(spans.map(({ exit, name, parent }) => ({ name, parent, exit })), [
        { name: "caller", parent: undefined, exit: "Success" },
        { name: "Projects.prepare", parent: "caller-1", exit: "Success" },
        { name: "Projects.submit", parent: "caller-1", exit: "Failure" }
      ])
    }))
})
