/**
 * The bounded per-subscriber buffer of a project's events, with a written overflow policy (replacing an
 * unbounded queue per subscriber).
 *
 * Policy, when `capacity` events are already waiting and another arrives:
 * 1. the oldest waiting *supersedable* event (one a later event of the same job makes stale:
 *    `JobProgress`, `JobEta`, `Preview`) is dropped, and the new event is appended;
 * 2. when none is waiting, the new event is appended anyway: every other event is a lifecycle event, of
 *    which a project emits a bounded number (a handful per job and attempt), so the buffer stays bounded
 *    by `capacity` plus the project's lifecycle, never by how fast the server sends progress.
 *
 * Drops are counted (`dropped`). The producer side (`offer`) is synchronous and allocation-free beyond
 * the array slot: it runs on the socket's turn, inside the project's reducer. The consumer pulls the whole
 * backlog as one chunk, so a slow consumer wakes once per batch, not once per event.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as ProjectState from "../ProjectState.js"

/**
 * Whether a later event of the same job makes `event` stale (what the overflow policy may drop): the
 * events a server may send without bound (a progress, an ETA, a preview per frame), never a lifecycle one.
 */
export function supersedable(event: ProjectState.ProjectEvent): boolean {
  return event._tag === "JobProgress" || event._tag === "JobEta" || event._tag === "Preview"
}

/** @internal */
export class EventBuffer {
  private items: Array<ProjectState.ProjectEvent> = []
  private head = 0
  private ended = false
  private waiter: ((wake: Effect.Effect<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>>) => void) | undefined
  /** Events dropped by the overflow policy so far. */
  dropped = 0

  constructor(readonly capacity: number) {}

  /** Events waiting. */
  get size(): number {
    return this.items.length - this.head
  }

  /** Appends `event` under the overflow policy; wakes a waiting consumer. */
  offer(event: ProjectState.ProjectEvent): void {
    if (this.ended) return
    if (this.size >= this.capacity) {
      for (let i = this.head; i < this.items.length; i++) {
        if (supersedable(this.items[i]!)) {
          this.items.splice(i, 1)
          this.dropped++
          break
        }
      }
    }
    this.items.push(event)
    this.wake()
  }

  /** No more events: the consumer drains what is waiting, then its stream ends. */
  end(): void {
    this.ended = true
    this.wake()
  }

  /** Everything waiting, taken at once (empty when nothing is). */
  takeAll(): Chunk.Chunk<ProjectState.ProjectEvent> {
    if (this.size === 0) return Chunk.empty()
    const taken = this.head === 0 ? this.items : this.items.slice(this.head)
    this.items = []
    this.head = 0
    return Chunk.unsafeFromArray(taken)
  }

  /**
   * One pull: the waiting events as a chunk, waiting for the next when none is; fails with `None` (the
   * end of a `Stream.repeatEffectChunkOption`) once ended and drained.
   */
  readonly pull: Effect.Effect<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>> = Effect.suspend(() => {
    if (this.size > 0) return Effect.succeed(this.takeAll())
    if (this.ended) return Effect.fail(Option.none())
    return Effect.async<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        if (this.waiter === resume) this.waiter = undefined
      })
    })
  })

  private wake(): void {
    const resume = this.waiter
    if (resume === undefined) return
    this.waiter = undefined
    resume(this.pull)
  }
}
