/**
 * The bounded per-subscriber buffer of a project's events, with a written overflow policy (replacing an
 * unbounded queue per subscriber). The same buffer holds the events of a project before its first
 * subscriber arrives (the actor's backlog).
 *
 * Which events a later one makes stale: an event *supersedes* every earlier one of the same kind and the
 * same job (`imgID`), or of the same kind for the project-wide ones: a `JobProgress`, `JobEta`, `Preview`,
 * `JobInitiating`, `JobStarted` or `JobRetrying` of a job, a `Queued`, `Progress` or `CancelRejected` of
 * the project. These are the events a server can make the reducer emit again and again (a progress per
 * frame, a retry per notice with a higher attempt, a start per `jobStarted` frame, a queue position per
 * change). The others (`JobCompleted` and `JobFailed`, once per job slot; `Completed`, `Failed`,
 * `Canceled`, once) are bounded by the project's own size and never dropped.
 *
 * Policy, when `capacity` events are waiting and another arrives, in one pass over what waits:
 * 1. every waiting event a later waiting event supersedes is dropped (so a JobRetrying is superseded by a
 *    later JobRetrying of the same job: the newest attempt is what the subscriber sees);
 * 2. if more than half of `capacity` still waits (a server naming ever new jobs), the oldest progress-like
 *    events (`JobProgress`, `JobEta`, `Preview`, `Progress`) are dropped, then the oldest of the other
 *    supersedable ones, until half of `capacity` waits or only never-dropped events remain.
 * The new event is then appended. What survives keeps its order, so the lifecycle a subscriber reads is
 * the one that happened, with steps left out, never reordered; rule 1 alone keeps the newest event of
 * each kind and job (rule 2 applies only when that is not enough). The buffer holds at most `capacity`
 * events, or twice the project's never-dropped events when those alone are more than half of it.
 *
 * Drops are counted (`dropped`). The producer side (`offer`) is synchronous and O(1) amortised: it runs on
 * the socket's turn, inside the project's reducer; a pass costs the events waiting and leaves at most half
 * of the next pass's threshold, so each pass follows at least half as many offers as it scans. The consumer pulls the
 * whole backlog as one chunk, so a slow consumer wakes once per batch, not once per event.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as ProjectState from "../ProjectState.js"

/**
 * The kinds a later event of the same kind and job (or project) supersedes, one bit each (see the module
 * note); the kinds not named here are never dropped.
 */
const kindBits: { readonly [tag: string]: number | undefined } = {
  JobProgress: 1,
  JobEta: 2,
  Preview: 4,
  Progress: 8,
  JobInitiating: 16,
  JobStarted: 32,
  JobRetrying: 64,
  Queued: 128,
  CancelRejected: 256
}

/**
 * The progress-like kinds among them (`JobProgress`, `JobEta`, `Preview`, `Progress`): dropped first. In
 * every kind table given to {@link overflowPass}, the progress-like kinds are these four low bits.
 */
const progressLike = 15

function eventKind(event: ProjectState.ProjectEvent): number {
  return kindBits[event._tag] ?? 0
}

/** Every supersedable job event names its job by `imgID`; the project-wide ones have none. */
function eventJob(event: ProjectState.ProjectEvent): string | undefined {
  return (event as { readonly imgID?: string }).imgID
}

/**
 * The overflow pass of the module note's rules 1 and 2 over `items`, in place (what survives keeps its
 * order): the number dropped. `kindOf` gives an item's kind bit (0: never dropped; the progress-like
 * kinds are the low four bits), `jobOf` its job (`undefined`: the project as a whole). The buffer's
 * events and the project actor's re-entrancy mailbox (its inputs) share it.
 *
 * @internal
 */
export function overflowPass<A>(
  items: Array<A>,
  capacity: number,
  kindOf: (item: A) => number,
  jobOf: (item: A) => string | undefined
): number {
  const n = items.length
  // rule 1, newest first: a kind already seen for the same job (or the project) supersedes this one
  const superseded = new Uint8Array(n)
  const seenByJob = new Map<string, number>()
  let seenByProject = 0
  let left = 0
  let progress = 0
  let others = 0
  for (let i = n - 1; i >= 0; i--) {
    const bit = kindOf(items[i]!)
    if (bit !== 0) {
      const job = jobOf(items[i]!)
      const seen = job === undefined ? seenByProject : (seenByJob.get(job) ?? 0)
      if ((seen & bit) !== 0) {
        superseded[i] = 1
        continue
      }
      if (job === undefined) seenByProject = seen | bit
      else seenByJob.set(job, seen | bit)
      if ((bit & progressLike) !== 0) progress++
      else others++
    }
    left++
  }
  // rule 2, oldest first: down to half of `capacity`, progress-like items before the others
  const excess = Math.max(0, left - (capacity >> 1))
  let dropProgress = Math.min(excess, progress)
  let dropOthers = Math.min(excess - dropProgress, others)
  let kept = 0
  for (let i = 0; i < n; i++) {
    if (superseded[i] === 1) continue
    const item = items[i]!
    const bit = kindOf(item)
    if (dropProgress > 0 && (bit & progressLike) !== 0) {
      dropProgress--
      continue
    }
    if (dropOthers > 0 && bit > progressLike) {
      dropOthers--
      continue
    }
    items[kept++] = item
  }
  items.length = kept
  return n - kept
}

/**
 * Whether `event` is progress-like: a later one of the same job (or project) makes it stale, and a server
 * may send it without bound (a progress, an ETA, a preview per frame). The overflow policy drops these
 * first.
 */
export function supersedable(event: ProjectState.ProjectEvent): boolean {
  return ((kindBits[event._tag] ?? 0) & progressLike) !== 0
}

/** @internal */
export class EventBuffer {
  private items: Array<ProjectState.ProjectEvent> = []
  /** The size at which the next offer runs the overflow pass: `capacity`, or more (see `compact`). */
  private limit: number
  private ended = false
  private pull_: Effect.Effect<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>> | undefined = undefined
  private waiter: ((wake: Effect.Effect<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>>) => void) | undefined
  /** Events dropped by the overflow policy so far. */
  dropped = 0

  constructor(readonly capacity: number) {
    this.limit = capacity
  }

  /** Events waiting. */
  get size(): number {
    return this.items.length
  }

  /** Appends `event` under the overflow policy; wakes a waiting consumer. */
  offer(event: ProjectState.ProjectEvent): void {
    if (this.ended) return
    if (this.items.length >= this.limit) this.compact()
    this.items.push(event)
    this.wake()
  }

  /** No more events: the consumer drains what is waiting, then its stream ends. */
  end(): void {
    this.ended = true
    this.wake()
  }

  /** Everything waiting, taken at once, in order (empty when nothing is). */
  takeArray(): Array<ProjectState.ProjectEvent> {
    const taken = this.items
    if (taken.length === 0) return taken
    this.items = []
    this.limit = this.capacity
    return taken
  }

  /** Everything waiting, taken at once (empty when nothing is). */
  takeAll(): Chunk.Chunk<ProjectState.ProjectEvent> {
    if (this.items.length === 0) return Chunk.empty()
    return Chunk.unsafeFromArray(this.takeArray())
  }

  /**
   * One pull: the waiting events as a chunk, waiting for the next when none is; fails with `None` (the
   * end of a `Stream.repeatEffectChunkOption`) once ended and drained.
   */
  get pull(): Effect.Effect<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>> {
    // made on first use: a buffer kept as a project's backlog is never pulled
    return (this.pull_ ??= Effect.suspend(() => {
      if (this.items.length > 0) return Effect.succeed(this.takeAll())
      if (this.ended) return Effect.fail(Option.none())
      return Effect.async<Chunk.Chunk<ProjectState.ProjectEvent>, Option.Option<never>>((resume) => {
        this.waiter = resume
        return Effect.sync(() => {
          if (this.waiter === resume) this.waiter = undefined
        })
      })
    }))
  }

  /**
   * The overflow pass (the module note's rules 1 and 2). Afterwards the next pass runs at `capacity`
   * events, or at twice what is left when more than half of `capacity` is left (only never-dropped events
   * can leave that much): each pass is preceded by at least half as many offers as it scans.
   */
  private compact(): void {
    this.dropped += overflowPass(this.items, this.capacity, eventKind, eventJob)
    this.limit = Math.max(this.capacity, this.items.length * 2)
  }

  private wake(): void {
    const resume = this.waiter
    if (resume === undefined) return
    this.waiter = undefined
    resume(this.pull)
  }
}
