/**
 * The spans `Projects` opens for every project (`Projects.prepare`, `Projects.submit`): `Effect.useSpan`
 * with no stack trace, made only when the fiber's tracer records something.
 *
 * With Effect's built-in tracer (what a program runs with until it installs a tracing backend, e.g.
 * `@effect/opentelemetry`) a span is an object nobody reads: it is not the current span of the body (see
 * `Projects`), and the built-in tracer keeps nothing. Such a span still costs its id strings (32 + 16
 * random hex characters, appended one by one), its attribute map, its status records and two clock reads,
 * ~2 KB per span; in a burst of projects (the media-fanout bench: 200 `run`s at once) the two spans per
 * project were still reachable for the young generation's collector when the burst's objects were
 * promoted, and left ~0.75 MB more in the old generation than no spans at all. So with the built-in
 * tracer the body runs without one (it is given `undefined`); with any other tracer (a backend, a test's
 * recording tracer) the span is made, parented, timed and ended as `useSpan` does.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

/** No stack trace: a captured trace is an `Error` the span holds (see `Projects`). */
const options = { captureStackTrace: false } as const

/** Effect's built-in tracer: the one every fiber has unless a program provides another. */
const builtIn: Tracer.Tracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * `Effect.useSpan(name, { captureStackTrace: false }, body)`, except that with Effect's built-in tracer
 * no span is made and `body` gets `undefined`.
 */
export function use<A, E, R>(
  name: string,
  body: (span: Tracer.Span | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> {
  return Effect.tracerWith((tracer) => tracer === builtIn ? body(undefined) : Effect.useSpan(name, options, body))
}
