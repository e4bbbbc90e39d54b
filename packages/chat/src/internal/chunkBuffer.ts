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
 * Waiting is made cheap: a `TextDelta` waits as its text alone (`offerText`, or `offer` of a
 * `TextDelta`), and its element is built when the consumer pulls. A pull takes at most
 * {@link maxPull} elements, so what one pull builds is bounded: a long backlog waits as strings rather
 * than as elements that the young generation's collections would copy and then promote to the old
 * space. A short text that came before is handed over as the element built for it then (see
 * {@link sharedTexts}).
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ChatChunk } from "../ChatChunk.js"
import type { ChatError } from "../ChatError.js"
import { textDelta as makeText } from "./textDelta.js"

/** The default number of chunks that wait before the overflow policy applies. @internal */
export const defaultCapacity = 4096

// `ChatChunk.X` builds a new constructor on every read: read each one once
const TextDelta = ChatChunk.TextDelta
const ReasoningDelta = ChatChunk.ReasoningDelta
const ToolCallDelta = ChatChunk.ToolCallDelta

const textDelta = (text: string): ChatChunk => makeText("TextDelta", text)
const element = (entry: ChatChunk | string): ChatChunk => typeof entry === "string" ? textDelta(entry) : entry

/**
 * How many distinct texts a buffer keeps the `TextDelta` of, and the longest text it keeps one for. A
 * model's deltas are mostly short and come again and again (one token each: " the", ",", " and"), so
 * a buffer builds each such element once and hands the same one over every time that text comes
 * again: the elements are immutable values (`Data`), equal and hashed by their fields, so sharing one
 * changes nothing a consumer can see but `===` between two elements of the same text. A long reply
 * then allocates an element per distinct token rather than per token, and the token's own string (the
 * frame's) is dropped once pulled instead of living as long as its element. At `sharedTexts` entries
 * the table starts over (it never grows past that).
 *
 * @internal
 */
export const sharedTexts = 2048

/** @internal */
export const sharedTextLength = 32

/**
 * The most elements one `take` or `poll` hands over (the rest wait for the next pull, which does not
 * wait for a wake-up). A saturated socket brings ~500 token frames per read: 1024 hands one read's
 * frames (and a coalescing interval's) over as one batch, so the consumer's per-batch cost (a stream
 * step, an `Effect.forEach` set-up) is paid once per read rather than two or three times. @internal
 */
export const maxPull = 1024

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
  /** `offer(TextDelta({ text }))`, keeping only the string until the consumer pulls. */
  readonly offerText: (text: string) => void
  /** Ends the stream after the waiting chunks. Later offers and endings are ignored. */
  readonly end: () => void
  /** Fails the stream after the waiting chunks. Later offers and endings are ignored. */
  readonly fail: (error: ChatError) => void
  /** Everything waiting (at most {@link maxPull}), in order; waits when nothing is; `None` at the end. */
  readonly take: Effect.Effect<Chunk.Chunk<ChatChunk>, Option.Option<ChatError>>
  /**
   * {@link take} with the end as `undefined` and the failure as itself (no `Option` around it): what a
   * channel's pull loop reads.
   */
  readonly next: Effect.Effect<Chunk.Chunk<ChatChunk> | undefined, ChatError>
  /** Chunks waiting now. */
  readonly size: () => number
  /**
   * For a plain-JS consumer: everything waiting (at most {@link maxPull}), in order (never empty), or
   * `undefined` when nothing waits. Never waits itself.
   */
  readonly poll: () => ReadonlyArray<ChatChunk> | undefined
  /**
   * {@link poll} with each `TextDelta` handed over as its text alone (a string), for a consumer that
   * only wants the text: no element is built for it.
   */
  readonly pollText: () => ReadonlyArray<ChatChunk | string> | undefined
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
  coalesceMillis = 0,
  now: () => number = () => 0
): ChunkBuffer => {
  // a backlog this long wakes the consumer at once, inside a coalescing interval too: a fast source can
  // put thousands of chunks between two timer turns, and waking early keeps them short of `capacity`
  // (where rule 2 would start merging text)
  const backlog = Math.max(1, Math.floor(capacity / 4))
  // a string is a waiting `TextDelta`'s text; the entries waiting are `waiting[head..tail)`. The array is
  // kept for the buffer's life and its slots reused (a handed-over slot is overwritten with "" at once, so
  // nothing handed over stays reachable from here): no new array, and no regrowth, per batch
  const waiting: Array<ChatChunk | string> = []
  let head = 0
  let tail = 0
  const append = (entry: ChatChunk | string) => {
    if (tail < waiting.length) waiting[tail] = entry
    else waiting.push(entry)
    tail++
  }
  // the shared text elements (see `sharedTexts`)
  const shared = new Map<string, ChatChunk>()
  const textElement = (text: string): ChatChunk => {
    if (text.length > sharedTextLength) return textDelta(text)
    let made = shared.get(text)
    if (made === undefined) {
      if (shared.size >= sharedTexts) shared.clear()
      made = textDelta(text)
      shared.set(text, made)
    }
    return made
  }
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
    if (coalesceMillis > 0) lastWake = now()
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
    if (wake === undefined && ready === undefined) return
    if (coalesceMillis <= 0 || tail - head >= backlog) return wakeNow()
    if (timer !== undefined) return
    const since = now() - lastWake
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

  const offerText = (text: string) => {
    if (ended) return
    const n = tail - head
    if (n < capacity) {
      append(text)
      return notify()
    }
    const i = tail - 1
    const last = waiting[i]!
    if (typeof last === "string") {
      waiting[i] = last + text
      return
    }
    if (last._tag === "TextDelta") {
      waiting[i] = last.text + text
      return
    }
    if (last._tag === "Usage" && n >= 2) {
      const before = waiting[i - 1]!
      if (typeof before === "string") {
        waiting[i - 1] = before + text
        return
      }
      if (before._tag === "TextDelta") {
        waiting[i - 1] = before.text + text
        return
      }
    }
    if (n >= 2 * capacity) return fail(onOverflow(n))
    append(text)
  }

  const offer = (chunk: ChatChunk) => {
    if (chunk._tag === "TextDelta") return offerText(chunk.text)
    if (ended) return
    const n = tail - head
    if (n < capacity) {
      append(chunk)
      return notify()
    }
    const i = tail - 1
    const last = element(waiting[i]!)
    const merged = merge(last, chunk)
    if (merged !== undefined) {
      waiting[i] = merged
      return
    }
    if (last._tag === "Usage" && n >= 2) {
      const before = merge(element(waiting[i - 1]!), chunk)
      if (before !== undefined) {
        waiting[i - 1] = before
        return
      }
    }
    if (n >= 2 * capacity) return fail(onOverflow(n))
    append(chunk)
  }

  // the next at most `maxPull` waiting elements, built from their waiting form (`undefined` when none);
  // with `raw`, a `TextDelta` stays its text
  const pullWith = <A>(raw: boolean): Array<A> | undefined => {
    const available = tail - head
    if (available === 0) return undefined
    const n = available < maxPull ? available : maxPull
    const out: Array<A> = new Array(n)
    for (let k = 0; k < n; k++) {
      const entry = waiting[head + k]!
      out[k] = (raw || typeof entry !== "string" ? entry : textElement(entry)) as A
      // the slot lets go of what it handed over at once
      waiting[head + k] = ""
    }
    if (n === available) {
      head = 0
      tail = 0
    } else {
      head += n
      // once half of the used slots are spent, move the rest to the front (in place)
      if (head >= 1024 && head * 2 >= tail) {
        waiting.copyWithin(0, head, tail)
        waiting.fill("", tail - head, tail)
        tail -= head
        head = 0
      }
    }
    return out
  }

  const pull = (): Array<ChatChunk> | undefined => pullWith<ChatChunk>(false)

  const poll = (): ReadonlyArray<ChatChunk> | undefined => pull()

  const pollText = (): ReadonlyArray<ChatChunk | string> | undefined => pullWith<ChatChunk | string>(true)

  // waits for the next offer or ending (coalesced, see `notify`)
  const waitReady = Effect.async<void>((resume) => {
    wake = resume
    return Effect.sync(() => {
      if (wake !== resume) return
      wake = undefined
      if (timer !== undefined && ready === undefined) {
        clearTimeout(timer)
        timer = undefined
      }
    })
  })

  const take: Effect.Effect<Chunk.Chunk<ChatChunk>, Option.Option<ChatError>> = Effect.suspend(() => {
    const out = pull()
    if (out !== undefined) return Effect.succeed(Chunk.unsafeFromArray(out))
    if (ended) return Effect.fail(failure === undefined ? Option.none() : Option.some(failure))
    return Effect.zipRight(waitReady, take)
  })

  const next: Effect.Effect<Chunk.Chunk<ChatChunk> | undefined, ChatError> = Effect.suspend(() => {
    const out = pull()
    if (out !== undefined) return Effect.succeed(Chunk.unsafeFromArray(out))
    if (ended) return failure === undefined ? Effect.succeed(undefined) : Effect.fail(failure)
    return Effect.zipRight(waitReady, next)
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
    offerText,
    take,
    next,
    size: () => tail - head,
    poll,
    pollText,
    ended: () => ended,
    failure: () => failure,
    onReady: (f) => {
      if (tail > head || ended) {
        ready = undefined
        return f()
      }
      ready = f
    },
    awaitEnd
  }
}
