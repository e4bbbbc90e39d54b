/**
 * The one ZelAI socket: lazy connect, `auth` first, JSON pings, reconnect on core's schedule, request
 * routing by `requestId`, and the rules for what survives a dropped socket.
 *
 * - A request whose frame was never written is simply written on the next socket.
 * - A read-only settings call that was written is written again (it changes nothing, bills nothing).
 * - A generation that was written is never written again: after the next `auth_success` it has
 *   `resumeGrace` to show a frame on the new socket; otherwise it fails with `ZelaiConnectionLost`
 *   (its `requestId`, "may have been billed").
 * - `AUTH_ERROR` ends the connection for good and fails every waiter at once.
 * - A frame other than an LLM chunk or a progress report that carries the API key (a server echoing what
 *   it was sent) is read with the key replaced by `<redacted>`, so no error or log line holds it.
 *
 * - Malformed frames are skipped with a warning each, at most 5 warnings per 10 s; the rest are counted
 *   and their number logged in one line when the next 10 s start or the connection ends.
 *
 * Nothing is buffered without a bound:
 * - at most `maxInFlight` requests are registered at once; one more fails at once with
 *   `ZelaiRequestError { reason: "ConcurrentLimit", code: "CLIENT_MAX_IN_FLIGHT" }` (retryable: core's
 *   retry policy tries it again once a slot is free). The frames waiting to be written are a subset of the
 *   registered requests, so the outbox is bounded by the same number.
 * - each request buffers at most `frameBufferCapacity` frames its consumer has not read yet, plus its final
 *   item (a terminal frame or a failure). Overflow policy, when the buffer is full: a `progress` frame is
 *   dropped (progress is a running maximum; the next one, or the result, supersedes it); any other frame
 *   (an LLM chunk) cannot be dropped without corrupting the answer, so the request fails with
 *   `ZelaiRequestError { reason: "Overflow", code: "CLIENT_BUFFER_FULL" }` and is cancelled upstream.
 *
 * @internal
 */
import { SogniError, SogniSocket } from "@effect-sogni/core"
import * as SkipWarnings from "@effect-sogni/core/SkipWarnings"
import * as WebSocketConnection from "@effect-sogni/core/WebSocketConnection"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as ZelaiProtocol from "../ZelaiProtocol.js"
import { type ZelaiError, ZelaiConnectionLost, ZelaiRequestError } from "../ZelaiError.js"

/** @internal */
export interface ConnectionSettings {
  readonly apiKey: Redacted.Redacted<string>
  readonly url: string
  readonly connectTimeout: Duration.Duration
  /** Socket read coalescing (core's `WebSocketConnection`); zero reads every frame at once. */
  readonly readCoalesce: Duration.Duration
  readonly authTimeout: Duration.Duration
  readonly pingInterval: Duration.Duration
  /** After a ping, a socket that hears nothing at all within this long is dropped (taken for dead). */
  readonly pongTimeout: Duration.Duration
  readonly reconnectBase: Duration.Duration
  readonly reconnectCap: Duration.Duration
  readonly reconnectJitter: number
  readonly resumeGrace: Duration.Duration
  readonly cancelTimeout: Duration.Duration
  /** Requests registered at once, at most (the overflow policy is in the module's doc). */
  readonly maxInFlight: number
  /** Unread frames one request buffers, at most (the overflow policy is in the module's doc). */
  readonly frameBufferCapacity: number
}

/**
 * The connection's state: `Idle` until the first request, then `Connecting` / `Ready` /
 * `Reconnecting`, or `Failed` for good (refused key).
 *
 * @internal
 */
export type Status = Data.TaggedEnum<{
  Idle: {}
  Connecting: { readonly attempt: number }
  Ready: { readonly connection: number }
  Reconnecting: { readonly attempt: number; readonly delay: Duration.Duration; readonly closeCode: number | undefined }
  Failed: { readonly error: SogniError.SogniError }
}>

/** @internal */
export const Status = Data.taggedEnum<Status>()

/** What a request's subscriber receives. @internal */
export type Item =
  | { readonly _tag: "Frame"; readonly frame: ZelaiProtocol.ServerFrame }
  | { readonly _tag: "Fail"; readonly error: ZelaiError }

interface Pending {
  readonly requestId: string
  readonly operation: string
  /** Safe to write again after a reconnect (read-only settings calls). */
  readonly replayable: boolean
  readonly text: string
  readonly queue: Queue.Queue<Item>
  /** A terminal frame or a failure was queued: later frames for it are dropped. */
  ended: boolean
  /** `progress` frames dropped by the overflow policy. */
  droppedProgress: number
  /** The connection number it was written on. */
  sentOn: number | undefined
  /** Written on a connection that closed, and nothing heard of it since. */
  lost: { readonly closeCode: number | undefined } | undefined
}

/** A registered request. @internal */
export interface Handle {
  readonly requestId: string
  readonly items: Queue.Queue<Item>
}

/** @internal */
export interface Connection {
  readonly status: SubscriptionRef.SubscriptionRef<Status>
  /**
   * Registers a request and queues its frame; the scope's end (after a terminal frame, a failure or an
   * interruption) drops the route, and sends `cancel` when the request was written and not finished.
   */
  readonly request: (options: {
    readonly type: string
    readonly operation: string
    readonly data: unknown
    readonly replayable: boolean
  }) => Effect.Effect<Handle, SogniError.SogniError | ZelaiRequestError, Scope.Scope>
  /** Marks a request finished (its terminal frame arrived): later frames for it are dropped. */
  readonly finish: (requestId: string) => Effect.Effect<void>
  /** Requests registered and not finished. */
  readonly inFlight: Effect.Effect<number>
}

let counter = 0

/**
 * A fresh request id: `req_<ms>_<random>` like the official SDK's, plus a process counter so two ids
 * made in the same millisecond never collide. ASCII, under 64 characters. Time and randomness come from
 * the fiber's `Clock` and `Random` (deterministic under `TestClock` / `TestRandom`).
 *
 * @internal
 */
export const makeRequestId: Effect.Effect<string> = Effect.gen(function*() {
  const now = yield* Clock.currentTimeMillis
  const random = yield* Random.nextIntBetween(0, 36 ** 9)
  counter = (counter + 1) % 1_000_000
  return `req_${now}_${counter.toString(36)}${random.toString(36)}`
})

/** Warnings about skipped frames per interval, at most (the rest are counted). */
const skipWarningLimit = 5
const skipWarningInterval = 10_000

/** Whether a frame ends its request (nothing more comes for it). */
const isTerminal = (frame: ZelaiProtocol.ServerFrame): boolean =>
  frame._tag === "Complete" || frame._tag === "SettingsResponse" || frame._tag === "Error"

const stepper = (schedule: Schedule.Schedule<unknown>) => {
  let state: unknown = schedule.initial
  return Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.map(schedule.step(now, undefined, state), ([next, , decision]) => {
      state = next
      if (ScheduleDecision.isDone(decision)) return Option.none<Duration.Duration>()
      return Option.some(Duration.millis(Math.max(0, Math.round(ScheduleIntervals.start(decision.intervals) - now))))
    }))
}

class Closed extends Data.TaggedError("Closed")<{ readonly code: number | undefined; readonly authenticated: boolean }> {}

/** @internal */
export const make = (settings: ConnectionSettings): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function*() {
    const status = yield* SubscriptionRef.make<Status>(Status.Idle())
    const connectionScope = yield* Effect.scope
    const pending = new Map<string, Pending>()
    // Requests waiting to be written, in order: always a subset of `pending` (so bounded by
    // `maxInFlight`); a released request leaves it at once. `outboxSignal` wakes the writer: a sliding
    // queue of one, since one wake-up covers any number of additions.
    const outbox = new Set<Pending>()
    const outboxSignal = yield* Queue.sliding<void>(1)
    const enqueue = (p: Pending): void => {
      outbox.add(p)
      outboxSignal.unsafeOffer(undefined)
    }
    const nextToWrite: Effect.Effect<Pending> = Effect.suspend(() => {
      const first = outbox.values().next()
      if (first.done !== true) {
        outbox.delete(first.value)
        return Effect.succeed(first.value)
      }
      return Effect.zipRight(Queue.take(outboxSignal), nextToWrite)
    })
    const wanted = yield* Deferred.make<void>()
    let terminal: SogniError.SogniError | undefined
    let connectionNumber = 0
    let currentWrite: ((text: string) => Effect.Effect<void>) | undefined

    // skipped frames: a warning each, at most `skipWarningLimit` per `skipWarningInterval`, then their count
    // in one line (when the next interval starts, at the end of the interval in which the first warning was
    // suppressed, or when the connection ends): a server pouring garbage does not pour log lines too
    const skips = SkipWarnings.unsafeMake<{ readonly reason: string; readonly text: string }>({
      limit: skipWarningLimit,
      window: skipWarningInterval,
      flushIn: connectionScope,
      warning: ({ reason, text }) =>
        Effect.logWarning(`zelai: skipped a malformed server frame (${reason})`).pipe(
          Effect.annotateLogs({ frame: text.slice(0, 200) })
        ),
      summary: (count) => Effect.logWarning(`zelai: skipped ${count} malformed server frames (warnings suppressed)`)
    })

    const failAll = (error: SogniError.SogniError) =>
      Effect.sync(() => {
        for (const p of [...pending.values()]) {
          pending.delete(p.requestId)
          fail(p, error)
        }
        outbox.clear()
      })

    // the final item of a request: always fits (the queue keeps room for it beyond the frame buffer)
    const fail = (p: Pending, error: ZelaiError): void => {
      if (p.ended) return
      p.ended = true
      p.queue.unsafeOffer({ _tag: "Fail", error })
    }

    const deliver = (frame: ZelaiProtocol.ServerFrame, requestId: string | undefined): Effect.Effect<void> => {
      if (requestId === undefined) return Effect.void
      const p = pending.get(requestId)
      if (p === undefined) {
        return Effect.logDebug("zelai: dropped a frame for a request that is no longer waiting").pipe(
          Effect.annotateLogs({ requestId, frame: frame._tag })
        )
      }
      p.lost = undefined
      if (p.ended) return Effect.void
      if (isTerminal(frame)) {
        p.ended = true
        p.queue.unsafeOffer({ _tag: "Frame", frame })
        return Effect.void
      }
      if (p.queue.unsafeSize().pipe(Option.getOrElse(() => 0)) < settings.frameBufferCapacity) {
        p.queue.unsafeOffer({ _tag: "Frame", frame })
        return Effect.void
      }
      // the overflow policy (module doc): stale progress is dropped, anything else fails the request
      if (frame._tag === "Progress") {
        p.droppedProgress++
        return p.droppedProgress === 1
          ? Effect.logDebug("zelai: dropped progress frames for a request whose consumer is behind").pipe(
            Effect.annotateLogs({ requestId, frameBufferCapacity: settings.frameBufferCapacity })
          )
          : Effect.void
      }
      pending.delete(requestId)
      outbox.delete(p)
      fail(
        p,
        new ZelaiRequestError({
          reason: "Overflow",
          code: "CLIENT_BUFFER_FULL",
          requestId,
          operation: p.operation,
          message:
            `${p.operation} ${requestId} was cancelled: its consumer fell ${settings.frameBufferCapacity} frames behind ` +
            "(frameBufferCapacity) and the next one could not be dropped"
        })
      )
      return Effect.zipRight(
        Effect.logWarning("zelai: a request's frame buffer is full; the request is cancelled").pipe(
          Effect.annotateLogs({ requestId, frameBufferCapacity: settings.frameBufferCapacity })
        ),
        p.sentOn !== undefined ? Effect.forkIn(sendCancel(requestId), connectionScope) : Effect.void
      ).pipe(Effect.asVoid)
    }

    // One connection (core's `WebSocketConnection`: `ws` in Node, loaded with the first connection, the
    // global WebSocket in a browser): open, authenticate, route frames until it closes.
    const connectOnce = (attempt: number, authFailed: Deferred.Deferred<SogniError.SogniError>) =>
      Effect.scoped(
        Effect.gen(function*() {
          yield* SubscriptionRef.set(status, Status.Connecting({ attempt }))
          const number = ++connectionNumber
          let authenticated = false
          /** A frame arrived since the last ping. */
          let heard = false
          let rejected: SogniError.SogniError | undefined
          const authenticatedNow = yield* Deferred.make<void>()
          const scope = yield* Effect.scope
          // the socket, once open; frames (and so every use of `write`) come only after that. Once the
          // connection has ended, a write waits until interrupted: the writer then puts its frame back.
          let socket: WebSocketConnection.WebSocketConnection | undefined
          const write = (text: string): Effect.Effect<void> => Effect.suspend(() => socket!.write(text))

          const writer = Effect.forever(
            Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(restore(nextToWrite), (p) =>
                pending.get(p.requestId) !== p
                  ? Effect.void
                  : restore(write(p.text)).pipe(
                    Effect.onExit((exit) =>
                      Effect.sync(() => {
                        if (Exit.isSuccess(exit)) p.sentOn = number
                        else if (pending.get(p.requestId) === p) enqueue(p)
                      })
                    ),
                    Effect.ignore
                  ))
            )
          )
          // any frame, the pong included, proves the socket alive; one that hears nothing within
          // `pongTimeout` of a ping is black-holed: dropped, so the loop opens the next one
          const pinger = Effect.gen(function*() {
            while (true) {
              yield* Effect.sleep(settings.pingInterval)
              heard = false
              yield* Effect.ignore(write(JSON.stringify({ type: "ping" })))
              yield* Effect.sleep(settings.pongTimeout)
              if (!heard) {
                yield* Effect.logWarning(
                  `zelai: nothing heard within ${Duration.format(settings.pongTimeout)} of a ping; dropping the socket`
                )
                return socket?.terminate()
              }
            }
          })

          const onAuthenticated = Effect.gen(function*() {
            currentWrite = write
            // read-only calls written on an earlier socket go out again; generations get a grace period
            for (const p of pending.values()) {
              if (p.sentOn !== undefined && p.sentOn !== number && p.replayable) {
                p.sentOn = undefined
                p.lost = undefined
                enqueue(p)
              } else if (p.lost !== undefined) {
                yield* Effect.forkIn(expireLost(p), scope)
              }
            }
            yield* SubscriptionRef.set(status, Status.Ready({ connection: number }))
            yield* Deferred.succeed(authenticatedNow, undefined)
            yield* Effect.forkIn(writer, scope)
            yield* Effect.forkIn(pinger, scope)
          })

          const handle = (raw: string | Uint8Array): Effect.Effect<void> | undefined => {
            let text = typeof raw === "string" ? raw : new TextDecoder().decode(raw)
            let frame = ZelaiProtocol.decodeServerFrame(text)
            // a server may echo the key it was sent: an error, a log line or a skipped frame never carries it
            const apiKey = frame._tag === "LlmChunk" || frame._tag === "Progress" ? undefined : Redacted.value(settings.apiKey)
            if (apiKey !== undefined && text.includes(apiKey)) {
              text = text.split(apiKey).join("<redacted>")
              frame = ZelaiProtocol.decodeServerFrame(text)
            }
            switch (frame._tag) {
              case "Skip":
                return skips.report({ reason: frame.reason, text })
              case "AuthSuccess":
                if (authenticated) return undefined
                authenticated = true
                return onAuthenticated
              case "Pong":
                return undefined
              case "Unknown":
                return Effect.logDebug(`zelai: ignored a frame of unknown type ${frame.type}`)
              case "Error": {
                if (frame.error.code === "AUTH_ERROR" || (!authenticated && frame.requestId === undefined)) {
                  const error = new SogniError.SogniAuthenticationError({
                    reason: "InvalidCredentials",
                    message: `ZelAI refused the API key (${frame.error.code}: ${frame.error.message || "no message"})`
                  })
                  rejected = error
                  Deferred.unsafeDone(authFailed, Exit.succeed(error))
                  return undefined
                }
                if (frame.requestId === undefined) {
                  return Effect.logWarning(`zelai: the server reported an error for no request (${frame.error.code}: ${frame.error.message})`)
                }
                return deliver(frame, frame.requestId)
              }
              default:
                return deliver(frame, frame.requestId)
            }
          }

          const authTimeout = Deferred.await(authenticatedNow).pipe(
            Effect.timeoutFail({
              duration: settings.authTimeout,
              onTimeout: () => new Closed({ code: undefined, authenticated: false })
            })
          )
          // Each frame is handled on the socket's turn; what that returns (a log line, `onAuthenticated`,
          // a delivery) runs in a fiber of a set that closes with the connection. Nothing thrown escapes.
          const afterFrame = yield* FiberSet.runtime(yield* FiberSet.make<void>())<never>()
          const onFrame = (raw: string | Uint8Array): void => {
            heard = true
            let after: Effect.Effect<void> | undefined
            try {
              after = handle(raw)
            } catch (error) {
              after = Effect.logWarning("zelai: handling a server frame failed; it was skipped").pipe(
                Effect.annotateLogs({ error: error instanceof Error ? error.message : String(error) })
              )
            }
            if (after !== undefined) afterFrame(after)
          }
          // the connection's end (or a failure to open) as the loop's `Closed`: a close frame's code, 1006
          // for a connection that broke or never opened
          const run = WebSocketConnection.open({
            url: settings.url,
            connectTimeout: settings.connectTimeout,
            readCoalesce: settings.readCoalesce,
            onFrame
          }).pipe(
            Effect.flatMap((opened) => {
              socket = opened
              // written at once; a socket that has already ended instead is reported by `ended`
              opened.writeNow(JSON.stringify({ type: "auth", data: { apiKey: Redacted.value(settings.apiKey) } }))
              return opened.ended
            }),
            Effect.merge,
            Effect.flatMap((why) => Effect.fail(new Closed({ code: why._tag === "Closed" ? why.code : 1006, authenticated })))
          )
          const ended = yield* Effect.raceFirst(
            run,
            Effect.zipRight(
              Effect.raceFirst(
                Effect.zipRight(authTimeout, Effect.never),
                Effect.flatMap(Deferred.await(authFailed), (e) => Effect.fail(e))
              ),
              Effect.never
            )
          ).pipe(Effect.flip)
          if (rejected !== undefined) return rejected
          return ended._tag === "Closed" ? new Closed({ code: ended.code, authenticated }) : ended
        })
      ).pipe(
        Effect.ensuring(skips.flush),
        Effect.ensuring(Effect.sync(() => {
          currentWrite = undefined
          for (const p of pending.values()) {
            if (p.sentOn !== undefined && !p.replayable && p.lost === undefined) p.lost = { closeCode: undefined }
          }
        }))
      )

    const expireLost = (p: Pending): Effect.Effect<void> =>
      Effect.sleep(settings.resumeGrace).pipe(
        Effect.zipRight(Effect.suspend(() => {
          const lost = p.lost
          if (pending.get(p.requestId) !== p || lost === undefined) return Effect.void
          pending.delete(p.requestId)
          return Effect.sync(() =>
            fail(
              p,
              new ZelaiConnectionLost({
                requestId: p.requestId,
                operation: p.operation,
                mayHaveBeenBilled: true,
                ...(lost.closeCode !== undefined ? { closeCode: lost.closeCode } : {}),
                message:
                  `the connection dropped while ${p.operation} ${p.requestId} was running and no answer came after reconnecting; ` +
                  "it was not sent again, but the server may have run it, so it may have been billed"
              })
            )
          )
        }))
      )

    const loop = Effect.gen(function*() {
      yield* Deferred.await(wanted)
      const schedule = SogniSocket.defaultReconnectSchedule({
        reconnectBase: settings.reconnectBase,
        reconnectCap: settings.reconnectCap,
        reconnectJitter: settings.reconnectJitter
      })
      let next = stepper(schedule)
      let attempt = 0
      while (true) {
        const authFailed = yield* Deferred.make<SogniError.SogniError>()
        const outcome = yield* connectOnce(attempt, authFailed)
        if (outcome._tag !== "Closed") {
          terminal = outcome
          yield* SubscriptionRef.set(status, Status.Failed({ error: outcome }))
          yield* failAll(outcome)
          return
        }
        for (const p of pending.values()) if (p.lost !== undefined && p.lost.closeCode === undefined) p.lost = { closeCode: outcome.code }
        if (outcome.authenticated) {
          attempt = 0
          next = stepper(schedule)
        }
        const delay = Option.getOrElse(yield* next, () => settings.reconnectCap)
        yield* SubscriptionRef.set(status, Status.Reconnecting({ attempt: attempt + 1, delay, closeCode: outcome.code }))
        yield* Effect.logDebug(`zelai: socket closed (${outcome.code ?? "no close code"}); reconnecting in ${Duration.format(delay)}`)
        yield* Effect.sleep(delay)
        attempt++
      }
    })
    yield* Effect.forkScoped(loop)
    yield* Effect.addFinalizer(() =>
      failAll(new SogniError.SogniTransportError({ reason: "Closed", message: "the ZelAI client was closed" }))
    )

    const sendCancel = (requestId: string) =>
      Effect.suspend(() => {
        const write = currentWrite
        if (write === undefined) return Effect.void
        return write(JSON.stringify({ type: "cancel", requestId })).pipe(
          Effect.timeout(settings.cancelTimeout),
          Effect.ignore
        )
      })

    const request: Connection["request"] = (options) =>
      Effect.gen(function*() {
        if (terminal !== undefined) return yield* Effect.fail(terminal)
        const requestId = yield* makeRequestId
        if (pending.size >= settings.maxInFlight) {
          return yield* Effect.fail(
            new ZelaiRequestError({
              reason: "ConcurrentLimit",
              code: "CLIENT_MAX_IN_FLIGHT",
              operation: options.operation,
              message: `${options.operation} was not sent: ${settings.maxInFlight} requests are already in flight (maxInFlight)`
            })
          )
        }
        // the frame buffer, one slot for the terminal frame and one for a failure that may race it
        const queue = yield* Queue.bounded<Item>(settings.frameBufferCapacity + 2)
        const p: Pending = {
          requestId,
          operation: options.operation,
          replayable: options.replayable,
          text: JSON.stringify(
            options.data === undefined ? { type: options.type, requestId } : { type: options.type, requestId, data: options.data }
          ),
          queue,
          ended: false,
          droppedProgress: 0,
          sentOn: undefined,
          lost: undefined
        }
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            pending.set(requestId, p)
            enqueue(p)
          }),
          () =>
            Effect.suspend(() => {
              outbox.delete(p)
              if (pending.get(requestId) !== p) return Queue.shutdown(queue)
              pending.delete(requestId)
              // still running: stop it upstream (late frames for it are dropped from now on)
              return Effect.zipRight(p.sentOn !== undefined ? sendCancel(requestId) : Effect.void, Queue.shutdown(queue))
            })
        )
        yield* Deferred.succeed(wanted, undefined)
        return { requestId, items: queue }
      })

    return {
      status,
      request,
      finish: (requestId) => Effect.sync(() => void pending.delete(requestId)),
      inFlight: Effect.sync(() => pending.size)
    } satisfies Connection
  })
