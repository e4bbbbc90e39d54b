/**
 * `sogni.announcements`: the platform's live announcements and their dismissal, over core's
 * `Announcements`.
 *
 * @since 0.1.0
 */
import { Emitter } from "./internal/emitter.js"
import type { Extras } from "./internal/extrasGroup.js"
import type { CallOptions } from "./internal/runner.js"
import type { AppAlert } from "./types.js"

/**
 * @since 0.1.0
 */
export class AnnouncementsApi extends Emitter<Record<never, never>> {
  /** @internal @param extras loads the announcements code and service on the first call */
  constructor(private readonly extras: () => Promise<Extras>) {
    super()
  }

  /** Live announcements the account has not dismissed; `platform` (the app's `appSource`) adds the alerts scoped to it. */
  async active(platform?: string, options?: CallOptions): Promise<Array<AppAlert>> {
    const x = await this.extras()
    return x.activeAlerts(platform, options?.signal)
  }

  /** Dismisses an announcement for this account, on every device. */
  async dismiss(id: string, options?: CallOptions): Promise<void> {
    const x = await this.extras()
    await x.run(x.announcements.dismiss(id), options?.signal)
  }
}
