import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
class FloorError extends Schema.TaggedError<FloorError>()("FloorError", { reason: Schema.String }) {}
const Urls = Schema.Struct({ urls: Schema.Array(Schema.String), note: Schema.optional(Schema.String) })
export const main = (u: unknown) => Effect.runPromise(Stream.runDrain(Stream.make(1)).pipe(Effect.provide(Layer.empty), Effect.zipRight(Schema.decodeUnknown(Urls)(u)), Effect.catchAll(() => new FloorError({reason: ""}))))
