/**
 * A service fiber's sleep until a deadline that the end of its work can cut short, without a fiber per
 * sleep (`Effect.timeout` on a wake-up would fork two each time). With Effect's own clock the sleep is
 * one timer that {@link WakeableSleep.wake} clears (so it no longer holds the process: a program that is
 * done with the SDK but did not dispose it exits); with another `Clock` (a `TestClock`, whose sleeps hold
 * no timer of the process) it is that clock's `sleep`, not woken early. Core's socket (send deadlines)
 * and media's `Projects` (project deadlines) sleep with it.
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** The prototype of Effect's own clock, to tell it from another `Clock` service. */
const liveClockPrototype: unknown = Object.getPrototypeOf(Clock.make())
/** The longest delay a JS timer takes (longer ones fire at once): a longer sleep ends there and is re-checked. */
const maxTimerMillis = 2 ** 31 - 1

/** One fiber's sleep at a time, with the wake-up that ends it early. @since 0.2.0 */
export class WakeableSleep {
  private wakeNow: (() => void) | undefined = undefined
  private readonly live: boolean

  constructor(private readonly clock: Clock.Clock) {
    this.live = Object.getPrototypeOf(clock) === liveClockPrototype
  }

  /**
   * Sleeps `millis`, or until {@link wake}; `wanted` is read once the sleep begins (the fiber may have
   * yielded after it decided to sleep): when it is false the sleep ends at once.
   */
  sleep(millis: number, wanted: () => boolean): Effect.Effect<void> {
    if (!this.live) return this.clock.sleep(Duration.millis(millis))
    return Effect.async<void>((resume) => {
      if (!wanted()) return resume(Effect.void)
      const timer = setTimeout(() => {
        this.wakeNow = undefined
        resume(Effect.void)
      }, Math.min(Math.max(1, millis), maxTimerMillis))
      this.wakeNow = () => {
        this.wakeNow = undefined
        clearTimeout(timer)
        resume(Effect.void)
      }
      return Effect.sync(() => {
        this.wakeNow = undefined
        clearTimeout(timer)
      })
    })
  }

  /** Ends the sleep under way now (its timer cleared); nothing when there is none. */
  wake(): void {
    const wakeNow = this.wakeNow
    if (wakeNow !== undefined) wakeNow()
  }
}
