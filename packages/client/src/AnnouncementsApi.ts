/**
 * `sogni.announcements`: the platform's live announcements and their dismissal, over core's
 * `Announcements`.
 *
 * @since 0.1.0
 */
import * as Announcements from "@effect-sogni/core/Announcements"
import * as Effect from "effect/Effect"
import { defined } from "./internal/defined.js"
import { Emitter } from "./internal/emitter.js"
import type { CallOptions, Runner } from "./internal/runner.js"
import type { AppAlert } from "./types.js"

/** The wire alert as the official type (absent and `null` limits both read as "none"). @internal */
export const toAppAlert = (a: Announcements.Alert): AppAlert => {
  const { autoCloseMs, endsAt, actions, ...rest } = a
  return defined({
    ...rest,
    autoCloseMs: autoCloseMs ?? undefined,
    endsAt: endsAt ?? undefined,
    actions: actions?.map((x) => defined(x))
  })
}

/**
 * @since 0.1.0
 */
export class AnnouncementsApi extends Emitter<Record<never, never>> {
  /** @internal */
  constructor(private readonly runner: Runner<Announcements.Announcements>) {
    super()
  }

  /** Live announcements the account has not dismissed; `platform` (the app's `appSource`) adds the alerts scoped to it. */
  async active(platform?: string, options?: CallOptions): Promise<Array<AppAlert>> {
    const alerts = await this.runner.run(
      Effect.flatMap(Announcements.Announcements, (a) => a.active({ platform })),
      options?.signal
    )
    return alerts.map(toAppAlert)
  }

  /** Dismisses an announcement for this account, on every device. */
  async dismiss(id: string, options?: CallOptions): Promise<void> {
    await this.runner.run(Effect.flatMap(Announcements.Announcements, (a) => a.dismiss(id)), options?.signal)
  }
}
