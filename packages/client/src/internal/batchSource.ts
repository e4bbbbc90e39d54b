/**
 * A stream as batches for a plain-JS consumer, driven by one fiber for the stream's whole life (the
 * `iterate` of streams.ts forks a fiber per pull): the fiber runs `Stream.runForEachChunk` and hands each
 * chunk over as an array, then waits until the consumer asks for the next one. So a consumer pays one
 * promise per batch, not per element, and nothing is read ahead of it beyond the batch it holds
 * (backpressure as in `iterate`).
 *
 * Ending: `pull` resolves `undefined` once the stream ended; rejects with the stream's failure as a
 * `SogniClientError`, with `AbortError` once `signal` aborted, or `DisposedError` once the client was
 * disposed. `close` interrupts the fiber (its stream's finalizers cancel the work upstream) and resolves
 * once it is released; the client's `dispose` interrupts it too (the runner tracks it).
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { AbortError, DisposedError, type SogniClientError } from "../errors.js"
import { fromCause } from "./errorMapping.js"
import type { Runner } from "./runner.js"
import { fork } from "./streams.js"

/** Batches of a stream; see the module comment. */
export interface BatchSource<A> {
  /** The next batch (never empty), or `undefined` at the end. One pull at a time. */
  readonly pull: () => Promise<ReadonlyArray<A> | undefined>
  /** Stops the stream and releases it; later pulls resolve `undefined`. */
  readonly close: () => Promise<void>
}

const aborted = () => new AbortError("The operation was aborted", { reason: "Aborted" })
const disposed = () => new DisposedError("The client has been disposed", { reason: "Disposed" })

/**
 * What one kind of source adds to the shared lifecycle of {@link drive}: the effect its fiber runs, the
 * batch to hand over at once when there is one (`take`), how the fiber learns that the consumer waits
 * again (`wake`), and what to let go of on `close` (`drop`).
 */
interface Driver<A, E, R> {
  readonly run: Effect.Effect<void, E, R>
  readonly take: () => ReadonlyArray<A> | undefined
  readonly wake: () => void
  readonly drop: () => void
}

/** The consumer's side the driver sees: whether a pull waits, and handing it a batch. */
interface Consumer<A> {
  readonly waiting: () => boolean
  /** Resolves the waiting pull with `batch`; `false` (and nothing done) when no pull waits. */
  readonly hand: (batch: ReadonlyArray<A>) => boolean
}

/**
 * The lifecycle both sources share: one fiber started by the first `pull`, one waiting pull at a time,
 * ending (the fiber's exit, an abort, the client's disposal) settled once, and `close` interrupting the
 * fiber.
 */
const drive = <A, E, R>(
  runner: Runner<R>,
  signal: AbortSignal | undefined,
  make: (consumer: Consumer<A>) => Driver<A, E, R>
): BatchSource<A> => {
  let fiber: Fiber.RuntimeFiber<void, E> | undefined
  // the consumer waiting for a batch
  let waiter: { readonly resolve: (batch: ReadonlyArray<A> | undefined) => void; readonly reject: (e: SogniClientError) => void } | undefined
  let ended = false
  let failure: SogniClientError | undefined
  let closing: Promise<void> | undefined

  const driver = make({
    waiting: () => waiter !== undefined,
    hand: (batch) => {
      const w = waiter
      if (w === undefined) return false
      waiter = undefined
      w.resolve(batch)
      return true
    }
  })

  const settle = (error: SogniClientError | undefined) => {
    if (ended) return
    ended = true
    failure = error
    signal?.removeEventListener("abort", onAbort)
    const w = waiter
    waiter = undefined
    if (w === undefined) return
    if (error === undefined) w.resolve(undefined)
    else w.reject(error)
  }

  const start = (): void => {
    const forked = fork(runner, driver.run)
    if (forked === undefined) return settle(disposed())
    fiber = forked
    forked.addObserver((exit) => {
      if (Exit.isSuccess(exit)) return settle(undefined)
      if (signal?.aborted === true) return settle(aborted())
      if (runner.disposed && Exit.isInterrupted(exit)) return settle(disposed())
      settle(fromCause(exit.cause, false))
    })
  }

  const close = (): Promise<void> => {
    if (closing !== undefined) return closing
    const f = fiber
    driver.drop()
    settle(signal?.aborted === true ? aborted() : undefined)
    closing = f === undefined ? Promise.resolve() : Effect.runPromise(Fiber.interrupt(f)).then(() => undefined, () => undefined)
    return closing
  }
  const onAbort = () => {
    void close()
  }
  signal?.addEventListener("abort", onAbort, { once: true })

  const pull = (): Promise<ReadonlyArray<A> | undefined> => {
    const batch = driver.take()
    if (batch !== undefined) return Promise.resolve(batch)
    if (ended) return failure === undefined ? Promise.resolve(undefined) : Promise.reject(failure)
    if (signal?.aborted === true) {
      void close()
      return Promise.reject(aborted())
    }
    if (runner.disposed) {
      settle(disposed())
      return Promise.reject(failure)
    }
    return new Promise((resolve, reject) => {
      waiter = { resolve, reject }
      if (fiber === undefined) return start()
      driver.wake()
    })
  }

  return { pull, close }
}

/** Runs `stream` on `runner` lazily (from the first `pull`) as a {@link BatchSource}. */
export const batches = <A, E, R>(
  runner: Runner<R>,
  stream: Stream.Stream<A, E, R>,
  signal?: AbortSignal | undefined
): BatchSource<A> =>
  drive<A, E, R>(runner, signal, (consumer) => {
    // a batch handed over before the consumer asked (the first one, while nobody waits)
    let ready: ReadonlyArray<A> | undefined
    // the fiber waiting for demand, once it handed a batch over
    let demand: ((effect: Effect.Effect<void>) => void) | undefined
    const handOver = (chunk: Chunk.Chunk<A>): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (Chunk.isEmpty(chunk)) return resume(Effect.void)
        const batch = Chunk.toReadonlyArray(chunk)
        demand = resume
        if (!consumer.hand(batch)) ready = batch
        return Effect.sync(() => {
          if (demand === resume) demand = undefined
        })
      })
    return {
      run: Stream.runForEachChunk(stream, handOver),
      take: () => {
        const batch = ready
        ready = undefined
        return batch
      },
      wake: () => {
        const resume = demand
        demand = undefined
        resume?.(Effect.void)
      },
      drop: () => {
        ready = undefined
      }
    }
  })

/**
 * What {@link scopedBatches} reads: a producer's buffer a plain-JS consumer polls (chat's `ChunkBatches`).
 */
export interface Polled<A, E> {
  /** Everything waiting (never empty), or `undefined` when nothing waits. */
  readonly poll: () => ReadonlyArray<A> | undefined
  /** The producer's failure, once it ended with one. */
  readonly failure: () => E | undefined
  /** `f` runs once, on the next item or the ending (at once when something waits or it ended). */
  readonly onReady: (f: () => void) => void
  /** Completes once the producer ended (its last items may still wait). */
  readonly awaitEnd: Effect.Effect<void>
}

/**
 * A {@link BatchSource} read straight from a producer's buffer: one fiber opens it (`open`, in a scope
 * the fiber holds until the producer ended) and waits for its end; the consumer polls the buffer and
 * waits for it with one promise per batch, with no fiber, channel or `Effect` in between. Nothing is
 * read ahead beyond what the producer's own (bounded) buffer holds.
 *
 * Ending as in {@link batches}: the producer's failure comes after the items before it; `close`
 * interrupts the fiber, whose scope's finalizers cancel the work upstream.
 */
export const scopedBatches = <A, E, E2, R>(
  runner: Runner<R>,
  open: Effect.Effect<Polled<A, E2>, E, R | Scope.Scope>,
  signal?: AbortSignal | undefined
): BatchSource<A> =>
  drive<A, E | E2, R>(runner, signal, (consumer) => {
    let buffer: Polled<A, E2> | undefined
    // the buffer's readiness callback: hands the waiting items over; at the end (nothing waits) the
    // fiber's exit settles the waiter
    const onReady = () => {
      if (!consumer.waiting() || buffer === undefined) return
      const batch = buffer.poll()
      if (batch !== undefined) consumer.hand(batch)
    }
    return {
      run: Effect.scoped(Effect.flatMap(open, (b) => {
        buffer = b
        if (consumer.waiting()) b.onReady(onReady)
        return Effect.flatMap(b.awaitEnd, () => {
          const error = b.failure()
          return error === undefined ? Effect.void : Effect.fail(error)
        })
      })),
      take: () => buffer?.poll(),
      wake: () => buffer?.onReady(onReady),
      drop: () => {
        buffer = undefined
      }
    }
  })
