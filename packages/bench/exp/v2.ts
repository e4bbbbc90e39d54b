import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Layer from "effect/Layer"
export const main = () => Effect.runPromise(Stream.runDrain(Stream.make(1)).pipe(Effect.provide(Layer.empty)))
