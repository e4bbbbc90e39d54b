/**
 * The REST services a client loads on first use (see `lazyRuntime.ts`): leaderboards (`sogni.stats`),
 * announcements, rewards and transaction history, the LoRA catalog and personal LoRAs, wallet balances
 * and username checks. A program that only renders images never calls them, so neither their code nor
 * their services load or run at start-up.
 *
 * The facades (`StatsApi`, `AnnouncementsApi`, `AccountApi`, `ProjectsApi`, `PersonalLoras`) reach them
 * through {@link Extras}: the services, the core functions and the group's runner, all from this module,
 * so that nothing of them is imported statically.
 */
import * as AccountChecks from "@effect-sogni/core/AccountChecks"
import * as Announcements from "@effect-sogni/core/Announcements"
import * as Rewards from "@effect-sogni/core/Rewards"
import type * as SogniRest from "@effect-sogni/core/SogniRest"
import type * as SogniSocket from "@effect-sogni/core/SogniSocket"
import * as Stats from "@effect-sogni/core/Stats"
import * as Loras from "@effect-sogni/media/Loras"
import * as Layer from "effect/Layer"
import type { Runner } from "./runner.js"

/** What the group's layer needs from the client's context. */
export type ExtrasBase = SogniRest.SogniRest | SogniSocket.SogniSocket

/** The group's services on the client's REST and socket. */
export const layer: Layer.Layer<Rewards.Rewards | Announcements.Announcements | Loras.Loras, never, ExtrasBase> = Layer.mergeAll(
  Rewards.layer,
  Announcements.layer,
  Loras.layer
)

/** The loaded group as the facades use it. */
export interface Extras {
  /** Runs an effect in the group's runtime (the client's context plus the group's services). */
  readonly run: Runner<ExtrasBase | Rewards.Rewards | Announcements.Announcements | Loras.Loras>["run"]
  readonly rewards: Rewards.RewardsService
  readonly announcements: Announcements.AnnouncementsService
  readonly loras: Loras.LorasService
  readonly leaderboard: typeof Stats.leaderboard
  readonly walletBalance: typeof AccountChecks.walletBalance
  readonly validateUsername: typeof AccountChecks.validateUsername
  /** The `errorCode` of a taken username. */
  readonly usernameTaken: number
}

/** Reads the group's services out of its built runtime (`LazyRuntimes` builds it before calling this). */
export const make = (runner: Runner<ExtrasBase | Rewards.Rewards | Announcements.Announcements | Loras.Loras>): Extras => ({
  run: (effect, signal) => runner.run(effect, signal),
  rewards: runner.runtime.runSync(Rewards.Rewards),
  announcements: runner.runtime.runSync(Announcements.Announcements),
  loras: runner.runtime.runSync(Loras.Loras),
  leaderboard: Stats.leaderboard,
  walletBalance: AccountChecks.walletBalance,
  validateUsername: AccountChecks.validateUsername,
  usernameTaken: AccountChecks.USERNAME_TAKEN
})
