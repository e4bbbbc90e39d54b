/**
 * The buffer between a chat job's socket route and its stream's consumer: the route's handler offers
 * chunks synchronously on the socket's turn (it cannot wait, and the socket is shared by every job, so
 * it cannot be paused for one slow consumer); the consumer takes everything waiting in one pull.
 *
 * Overflow policy (nothing is dropped):
 *
 * 1. Up to `capacity` chunks wait as they came.
 * 2. When `capacity` chunks wait, a new chunk is merged into the newest waiting one when they carry the
 *    same kind of text — `TextDelta` + `TextDelta`, `ReasoningDelta` + `ReasoningDelta`, or argument
 *    fragments of the same tool call (`ToolCallDelta` with the same `index` and no new `id`/`name`) —
 *    so a slow consumer gets the same text in fewer, longer deltas. A `Usage` replaces a waiting newest
 *    `Usage` (the counts are cumulative: the newer one holds the older), and text that arrives after a
 *    waiting `Usage` merges into the text before it (the `Usage` stays the newest chunk, and the next
 *    `Usage` or the `Finish` carries the final counts).
 * 3. A chunk that merges with nothing (a lifecycle `JobState`, a new tool call, a switch between text
 *    and reasoning) is appended past `capacity`; at `2 × capacity` waiting chunks the stream fails with
 *    `SogniChatJobError { reason: "BufferOverflow" }` instead of growing further (and the job is
 *    cancelled upstream like any abandoned job).
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ChatChunk } from "../ChatChunk.js"
import type { ChatError } from "../ChatError.js"

/** The default number of chunks that wait before the overflow policy applies. @internal */
export const defaultCapacity = 4096

// `ChatChunk.X` builds a new constructor on every read: read each one once
const TextDelta = ChatChunk.TextDelta
const ReasoningDelta = ChatChunk.ReasoningDelta
const ToolCallDelta = ChatChunk.ToolCallDelta

/** `next` folded into `last` when rule 2 allows it, else `undefined`. @internal */
export const merge = (last: ChatChunk, next: ChatChunk): ChatChunk | undefined => {
  switch (next._tag) {
    case "TextDelta":
      return last._tag === "TextDelta" ? TextDelta({ text: last.text + next.text }) : undefined
    case "ReasoningDelta":
      return last._tag === "ReasoningDelta" ? ReasoningDelta({ text: last.text + next.text }) : undefined
    case "ToolCallDelta":
      return last._tag === "ToolCallDelta" && last.index === next.index && next.id === undefined &&
          next.name === undefined
        ? ToolCallDelta({ index: last.index, id: last.id, name: last.name, arguments: last.arguments + next.arguments })
        : undefined
    case "Usage":
      return last._tag === "Usage" ? next : undefined
    default:
      return undefined
  }
}

/** @internal */
export interface ChunkBuffer {
  /** Hands a chunk to the consumer (the socket's turn; never waits). */
  readonly offer: (chunk: ChatChunk) => void
  /** Ends the stream after the waiting chunks. Later offers and endings are ignored. */
  readonly end: () => void
  /** Fails the stream after the waiting chunks. Later offers and endings are ignored. */
  readonly fail: (error: ChatError) => void
  /** Everything waiting, in order; waits when nothing is; `None` at the end. */
  readonly take: Effect.Effect<Chunk.Chunk<ChatChunk>, Option.Option<ChatError>>
  /** Chunks waiting now. */
  readonly size: () => number
  /**
   * For a plain-JS consumer: everything waiting, in order (never empty), or `undefined` when nothing
   * waits. Never waits itself.
   */
  readonly poll: () => ReadonlyArray<ChatChunk> | undefined
  /** Whether the stream ended (chunks may still wait); with the failure, if it failed. */
  readonly ended: () => boolean
  readonly failure: () => ChatError | undefined
  /**
   * For a plain-JS consumer: `f` runs once, on the next offer or ending (at once when something waits
   * or the stream ended). One callback at a time: a new one replaces the last.
   */
  readonly onReady: (f: () => void) => void
  /** Completes once the stream ended (its chunks may still wait for the consumer). */
  readonly awaitEnd: Effect.Effect<void>
}

/**
 * A buffer with the overflow policy above; `onOverflow` builds the error of rule 3.
 *
 * @internal
 */
export const make = (
  capacity: number,
  onOverflow: (waiting: number) => ChatError,
  coalesceMillis = 0
): ChunkBuffer => {
  let waiting: Array<ChatChunk> = []
  let ended = false
  let failure: ChatError | undefined
  // the fiber waiting in `take`, the plain-JS consumer waiting in `onReady`, fibers waiting for the end
  let wake: ((effect: Effect.Effect<void>) => void) | undefined
  let ready: (() => void) | undefined
  let endWaiters: Array<(effect: Effect.Effect<void>) => void> | undefined
  // wake coalescing: when the consumer was last woken, and the timer of a deferred wake
  let lastWake = Number.NEGATIVE_INFINITY
  let timer: ReturnType<typeof setTimeout> | undefined

  const wakeNow = () => {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    if (coalesceMillis > 0) lastWake = Date.now()
    if (wake !== undefined) {
      const resume = wake
      wake = undefined
      resume(Effect.void)
    }
    if (ready !== undefined) {
      const f = ready
      ready = undefined
      f()
    }
  }

  const onTimer = () => {
    timer = undefined
    wakeNow()
  }

  // a consumer waits (or will): wake it now, unless it was woken less than `coalesceMillis` ago; then
  // once that much time has passed since, with whatever arrived meanwhile
  const notify = () => {
    if ((wake === undefined && ready === undefined) || timer !== undefined) return
    if (coalesceMillis <= 0) return wakeNow()
    const since = Date.now() - lastWake
    if (since >= coalesceMillis) return wakeNow()
    timer = setTimeout(onTimer, coalesceMillis - since)
  }

  const finish = () => {
    wakeNow()
    if (endWaiters === undefined) return
    const waiters = endWaiters
    endWaiters = undefined
    for (const resume of waiters) resume(Effect.void)
  }

  const fail = (error: ChatError) => {
    if (ended) return
    ended = true
    failure = error
    finish()
  }

  const offer = (chunk: ChatChunk) => {
    if (ended) return
    const n = waiting.length
    if (n < capacity) {
      waiting.push(chunk)
      return notify()
    }
    const last = waiting[n - 1]!
    const merged = merge(last, chunk)
    if (merged !== undefined) {
      waiting[n - 1] = merged
      return
    }
    if (last._tag === "Usage" && n >= 2) {
      const before = merge(waiting[n - 2]!, chunk)
      if (before !== undefined) {
        waiting[n - 2] = before
        return
      }
    }
    if (n >= 2 * capacity) return fail(onOverflow(n))
    waiting.push(chunk)
  }

  const poll = (): ReadonlyArray<ChatChunk> | undefined => {
    if (waiting.length === 0) return undefined
    const out = waiting
    waiting = []
    return out
  }

  const take: Effect.Effect<Chunk.Chunk<ChatChunk>, Option.Option<ChatError>> = Effect.suspend(() => {
    if (waiting.length > 0) {
      const out = waiting
      waiting = []
      return Effect.succeed(Chunk.unsafeFromArray(out))
    }
    if (ended) return Effect.fail(failure === undefined ? Option.none() : Option.some(failure))
    return Effect.zipRight(
      Effect.async<void>((resume) => {
        wake = resume
        return Effect.sync(() => {
          if (wake !== resume) return
          wake = undefined
          if (timer !== undefined && ready === undefined) {
            clearTimeout(timer)
            timer = undefined
          }
        })
      }),
      take
    )
  })

  const awaitEnd: Effect.Effect<void> = Effect.suspend(() =>
    ended ? Effect.void : Effect.async<void>((resume) => {
      ;(endWaiters ??= []).push(resume)
      return Effect.sync(() => {
        const i = endWaiters?.indexOf(resume) ?? -1
        if (i >= 0) endWaiters!.splice(i, 1)
      })
    })
  )

  return {
    offer,
    end: () => {
      if (ended) return
      ended = true
      finish()
    },
    fail,
    take,
    size: () => waiting.length,
    poll,
    ended: () => ended,
    failure: () => failure,
    onReady: (f) => {
      if (waiting.length > 0 || ended) {
        ready = undefined
        return f()
      }
      ready = f
    },
    awaitEnd
  }
}
