/**
 * The libraries the SDK is built on, without the SDK: the start-up floor of the Effect API and the
 * adapter. It loads what `programs/effect.ts` loads below `@effect-sogni/*` (the Effect runtime with
 * `Stream`, `Layer` and `Schema`, and `ws`) and declares one tagged error and one struct, so the cost of
 * the SDK's own modules is the difference between a program's figures and this one's. Its REST call is
 * the global `fetch` with a Schema decode, as core's REST on the image program's path does (core loads
 * `@effect/platform`'s HTTP client only when a program uses it, which this one does not: until 2026-12-05
 * the floor loaded `@effect/platform`'s fetch `HttpClient`, ~14 KB minified and ~3 ms of import the SDK
 * programs do not pay, so "over floor" understated the SDK's own share). Like core's socket, it opens its
 * socket with `ws` itself inside the Effect program (`@effect/platform`'s `Socket` module is not part of
 * the floor either), loading `ws` with a dynamic import when it opens the socket (in its bundle, not
 * evaluated at import). `startup` bundles it like the others; `main` is not run.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ProgramOptions } from "./options.js"

class FloorError extends Schema.TaggedError<FloorError>()("FloorError", { reason: Schema.String }) {}

const Urls = Schema.Struct({ urls: Schema.Array(Schema.String), note: Schema.optional(Schema.String) })

export const main = (options: ProgramOptions): Promise<ReadonlyArray<string>> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const json = yield* Effect.tryPromise((signal) => fetch(`${options.restEndpoint}/urls`, { signal }).then((r) => r.json()))
      const body = yield* Schema.decodeUnknown(Urls)(json)
      const WS = (yield* Effect.promise(() => import("ws"))).default
      const socket = yield* Effect.acquireRelease(
        Effect.sync(() => new WS(options.socketEndpoint, { headers: { "api-key": options.apiKey } })),
        (ws) => Effect.sync(() => ws.close(1000))
      )
      yield* Effect.async<void, Error>((resume) => {
        socket.once("open", () => resume(Effect.void))
        socket.once("error", (error) => resume(Effect.fail(error)))
      })
      yield* Stream.never.pipe(Stream.take(0), Stream.runDrain)
      return body.urls
    }).pipe(
      Effect.scoped,
      Effect.catchAll((cause) => new FloorError({ reason: String(cause) }))
    )
  )
