/**
 * The shared source: one `@effect-sogni/emulator` embedded in the parent process, with an account rich
 * enough for every run (200 × 4 images × 50 steps costs thousands of Spark per run).
 *
 * The emulator bounds `steps` by the model's tier (1..8 for flux1-schnell-fp8: it refuses or clamps
 * anything above), so a 50-step request would not be 50 steps. The benchmark raises that bound in this
 * process's copy of the emulator's catalog (the tier's `steps.max`, which `/api/v2/models/tiers` also
 * serves, so clients that validate against the tiers agree; and the model's `maxSteps` where the
 * catalog has one). It is an in-memory tweak of an internal table, no emulator source is changed, and
 * every contender checks what it got, so a catalog that stops honouring it fails the run loudly.
 */
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
// not exported by the package (`./internal/*` is closed); imported by path on purpose, see above
import { findModel, tiers } from "../../../emulator/src/internal/catalog.js"
import type { MediaPlan } from "./plan.js"

export interface EmulatorHost {
  readonly url: string
  readonly wsUrl: string
  readonly apiKey: string
  readonly close: () => Promise<void>
}

export const startEmulator = async (plan: MediaPlan, speed: number): Promise<EmulatorHost> => {
  const model = findModel(plan.modelId) as { tier: string; maxSteps?: number } | undefined
  if (model === undefined) throw new Error(`the emulator has no model ${plan.modelId}`)
  if (model.maxSteps !== undefined && model.maxSteps < plan.steps) model.maxSteps = plan.steps
  const range = tiers()[model.tier]?.["steps"] as { max?: number } | undefined
  if (range !== undefined && range.max !== undefined && range.max < plan.steps) range.max = plan.steps

  const scope = Effect.runSync(Scope.make())
  const emulator = await Effect.runPromise(
    Emulator.make({
      port: 0,
      speed,
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
