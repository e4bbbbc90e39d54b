/**
 * The shared source: one `@effect-sogni/emulator` embedded in the parent process whose mock LLM answers
 * `[[long]]` with exactly `plan.tokens` word tokens (`llmLongTokens`), sent `tokensPerTick` frames back
 * to back between two token waits (`llmTokensPerTick`), so a 100k-token reply streams in seconds while
 * each token still travels in its own `jobTokens` frame.
 *
 * A 100k-token reply is longer than the model's output limit (32k), which our SDK enforces, so the
 * emulator's `catalog` option raises that limit to `plan.tokens` (as media-fanout does for steps; every
 * contender checks the token count it got).
 */
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { ChatPlan } from "./plan.js"

export interface EmulatorHost {
  readonly url: string
  readonly wsUrl: string
  readonly apiKey: string
  readonly close: () => Promise<void>
}

export const startEmulator = async (
  plan: ChatPlan,
  options: { readonly speed: number; readonly tokensPerTick: number }
): Promise<EmulatorHost> => {
  const scope = Effect.runSync(Scope.make())
  const emulator = await Effect.runPromise(
    Emulator.make({
      port: 0,
      speed: options.speed,
      llmLongTokens: plan.tokens,
      llmTokensPerTick: options.tokensPerTick,
      catalog: { llmModels: { [plan.model]: { maxOutputTokens: plan.tokens } } },
      accounts: [{ username: Emulator.DEFAULT_USERNAME, password: Emulator.DEFAULT_PASSWORD, spark: 1e9, sogni: 1e9 }]
    }).pipe(Scope.extend(scope))
  )
  return {
    url: emulator.url,
    wsUrl: emulator.wsUrl,
    apiKey: emulator.apiKey,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
