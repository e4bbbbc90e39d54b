/**
 * The libraries the SDK is built on, without the SDK: the start-up floor of the Effect API and the
 * adapter. It loads what `programs/effect.ts` loads below `@effect-sogni/*` (the Effect runtime with
 * `Stream`, `Layer` and `Schema`, `@effect/platform`'s fetch `HttpClient` and WebSocket, `ws`) and
 * declares one tagged error and one struct, so the cost of the SDK's own modules is the difference
 * between a program's figures and this one's. Like core's socket, it loads `ws` with a dynamic import
 * when it opens its socket (in its bundle, not evaluated at import). `startup` bundles it like the
 * others; `main` is not run.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ProgramOptions } from "./options.js"

class FloorError extends Schema.TaggedError<FloorError>()("FloorError", { reason: Schema.String }) {}

const Urls = Schema.Struct({ urls: Schema.Array(Schema.String), note: Schema.optional(Schema.String) })

export const main = (options: ProgramOptions): Promise<ReadonlyArray<string>> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`${options.restEndpoint}/urls`)
      const body = yield* Schema.decodeUnknown(Urls)(yield* response.json)
      const WS = (yield* Effect.promise(() => import("ws"))).default
      const socket = yield* Socket.makeWebSocket(options.socketEndpoint).pipe(
        Effect.provideService(Socket.WebSocketConstructor, (url) => new WS(url) as unknown as globalThis.WebSocket)
      )
      yield* Stream.never.pipe(Stream.take(0), Stream.runDrain)
      void socket
      return body.urls
    }).pipe(
      Effect.scoped,
      Effect.catchAll((cause) => new FloorError({ reason: String(cause) })),
      Effect.provide(FetchHttpClient.layer)
    )
  )
