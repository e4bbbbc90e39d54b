/**
 * The shared source: one `@effect-sogni/emulator` embedded in the parent process, with an account rich
 * enough for every run (200 × 4 images × 50 steps costs thousands of Spark per run).
 *
 * The emulator bounds `steps` by the model's tier (1..8 for flux1-schnell-fp8: it refuses or clamps
 * anything above), so a 50-step request would not be 50 steps. The benchmark raises that bound with the
 * emulator's `catalog` option (`maxSteps`: the model's limit and the tier's `steps.max`, which
 * `/api/v2/models/tiers` also serves, so clients that validate against the tiers agree). Every contender
 * checks what it got, so a catalog that stops honouring it fails the run loudly.
 */
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { MediaPlan } from "./plan.js"

export interface EmulatorHost {
  readonly url: string
  readonly wsUrl: string
  readonly apiKey: string
  readonly close: () => Promise<void>
}

export const startEmulator = async (plan: MediaPlan, speed: number): Promise<EmulatorHost> => {
  const scope = Effect.runSync(Scope.make())
  const emulator = await Effect.runPromise(
    Emulator.make({
      port: 0,
      speed,
      catalog: { models: { [plan.modelId]: { maxSteps: plan.steps } } },
      accounts: [{ username: Emulator.DEFAULT_USERNAME, password: Emulator.DEFAULT_PASSWORD, spark: 1e12, sogni: 1e12 }]
    }).pipe(Scope.extend(scope))
  )
  return {
    url: emulator.url,
    wsUrl: emulator.wsUrl,
    apiKey: emulator.apiKey,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
