import * as Effect from "effect/Effect"
export const main = () => Effect.runPromise(Effect.succeed(1))
