/**
 * Event logs and the one SSE responder that follows them (workflows.md §8, chat.md §15.3).
 *
 * An {@link EventLog} is an append-only list whose events carry sequences 1, 2, 3… (position + 1) and a
 * wake-up signal replaced on every append. {@link eventLogResponse} answers `text/event-stream`: a
 * preamble (a heartbeat comment or a status snapshot), then every event after the resume cursor, then
 * live events as they are appended, a `: keepalive` comment whenever a heartbeat period passes without
 * one, and the end of the body right after the first terminal event (at once when the log is finished
 * and nothing is left after the cursor). {@link lenientCursor} and {@link strictCursor} read the
 * cursor from `?after=` or `Last-Event-ID`. The control API's drop budgets ({@link dropEventStreams}) cut the next matching responses
 * abruptly after a number of body bytes. Hosted-chat streams, which are not logs, share
 * {@link sseResponse} (headers and encoding) but not the drop budgets.
 *
 * @internal
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { World } from "../state.js"
import { urlOf } from "./response.js"

// ---------------------------------------------------------------------------------------------
// Logs

/** An append-only event log and the signal its readers wait on. @internal */
export interface EventLog<E> {
  readonly events: Array<E>
  /** Completed on the next append, then replaced. */
  signal: Deferred.Deferred<void>
}

/** An empty log. @internal */
export const makeEventLog = <E>(): EventLog<E> => ({ events: [], signal: Deferred.unsafeMake<void>(FiberId.none) })

/** Appends an event and wakes every reader of the log. @internal */
export const appendEvent = <E>(log: EventLog<E>, event: E): void => {
  log.events.push(event)
  const signal = log.signal
  log.signal = Deferred.unsafeMake<void>(FiberId.none)
  Deferred.unsafeDone(signal, Effect.void)
}

// ---------------------------------------------------------------------------------------------
// Drop budgets (control API)

/** One pending cut: the next SSE response whose path starts with `pathPrefix` ends after `afterBytes`. @internal */
export interface SseDrop {
  readonly pathPrefix: string | undefined
  readonly afterBytes: number
}

/**
 * Control: cut the next SSE responses (whose path starts with `pathPrefix`, if given) abruptly after the
 * given numbers of body bytes, one budget per response, in order.
 *
 * @internal
 */
export const dropEventStreams = (
  world: World,
  afterBytes: ReadonlyArray<number>,
  pathPrefix?: string
): { readonly pending: number } => {
  for (const n of afterBytes) world.sseDrops.push({ pathPrefix, afterBytes: Math.max(0, Math.floor(n)) })
  return { pending: world.sseDrops.length }
}

/** Control: forget pending SSE drops. @internal */
export const clearEventStreamDrops = (world: World): void => {
  world.sseDrops.length = 0
}

const takeDrop = (world: World, path: string): number | undefined => {
  const i = world.sseDrops.findIndex((d) => d.pathPrefix === undefined || path.startsWith(d.pathPrefix))
  if (i === -1) return undefined
  const [drop] = world.sseDrops.splice(i, 1)
  return drop!.afterBytes
}

/** Cuts `body` after `budget` bytes, then destroys the socket (an abrupt drop, no clean end). */
const cutAfter = (
  request: HttpServerRequest.HttpServerRequest,
  budget: number,
  body: Stream.Stream<Uint8Array>
): Stream.Stream<Uint8Array> => {
  let left = budget
  const response = NodeHttpServerRequest.toServerResponse(request)
  const cut = Stream.fromEffect(
    Effect.zipRight(Effect.sleep(10), Effect.sync(() => response.destroy()))
  ).pipe(Stream.drain, Stream.concat(Stream.never))
  return body.pipe(
    Stream.map((bytes) => {
      if (bytes.length <= left) {
        left -= bytes.length
        return bytes
      }
      const part = bytes.subarray(0, left)
      left = 0
      return part
    }),
    Stream.takeUntil(() => left <= 0),
    Stream.concat(Stream.suspend(() => (left <= 0 ? cut : Stream.empty)))
  )
}

// ---------------------------------------------------------------------------------------------
// Responses

/** Headers of every event stream. @internal */
export const SSE_HEADERS = { "cache-control": "no-cache", "x-accel-buffering": "no" } as const

/** The heartbeat comment. @internal */
export const KEEPALIVE = ": keepalive\n\n"

const encoder = new TextEncoder()

/** A `text/event-stream` response of `body`. @internal */
export const sseResponse = (body: Stream.Stream<Uint8Array>): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: SSE_HEADERS })

/** `body` as bytes, cut by the next pending drop budget of the request's path (if any). */
const droppable = (
  world: World,
  request: HttpServerRequest.HttpServerRequest,
  body: Stream.Stream<string>
): Stream.Stream<Uint8Array> => {
  const bytes = Stream.map(body, (text) => encoder.encode(text))
  const budget = takeDrop(world, urlOf(request).pathname)
  return budget === undefined ? bytes : cutAfter(request, budget, bytes)
}

/** The cursor text of a request: `?after=` or `Last-Event-ID`, whichever `prefer` names winning when both are sent. */
const cursorText = (
  request: HttpServerRequest.HttpServerRequest,
  prefer: "after" | "last-event-id"
): string | undefined => {
  const header = request.headers["last-event-id"]
  const fromHeader = typeof header === "string" && header.trim().length > 0 ? header.trim() : undefined
  const fromQuery = urlOf(request).searchParams.get("after") ?? undefined
  const text = prefer === "after" ? fromQuery ?? fromHeader : fromHeader ?? fromQuery
  return text === undefined || text.length === 0 ? undefined : text
}

/**
 * The resume cursor (the last sequence the client has), read leniently: `?after=` wins over
 * `Last-Event-ID`, and a value that is not a number means "from the start" (workflows.md §8).
 *
 * @internal
 */
export const lenientCursor = (request: HttpServerRequest.HttpServerRequest): number => {
  const parsed = Number.parseInt(cursorText(request, "after") ?? "", 10)
  return Number.isFinite(parsed) ? Math.max(0, parsed) : 0
}

/**
 * The resume cursor read strictly: `Last-Event-ID` wins over `?after=`, and a value that is not a
 * non-negative integer is a problem message (chat.md §15.3).
 *
 * @internal
 */
export const strictCursor = (request: HttpServerRequest.HttpServerRequest): number | { readonly problem: string } => {
  const text = cursorText(request, "last-event-id")
  if (text === undefined) return 0
  const n = Number(text)
  return Number.isInteger(n) && n >= 0 ? n : { problem: `Last-Event-ID / after must be a non-negative integer (got ${text})` }
}

/** What {@link eventLogResponse} follows. @internal */
export interface EventLogStream<E> {
  readonly log: EventLog<E>
  /** The last sequence the client has (events after it are sent). */
  readonly after: number
  /** Sent before any event. */
  readonly preamble: string
  /** One event as an SSE block (`id:`, `event:`, `data:`, blank line). */
  readonly frame: (event: E) => string
  /** Whether an event ends the stream (it is sent, then the body ends). */
  readonly ends: (event: E) => boolean
  /** Whether the log will not grow any more. */
  readonly finished: () => boolean
  /** Milliseconds without an event after which a `: keepalive` comment is sent. */
  readonly heartbeatMillis: number
}

/** The SSE response following an event log from a cursor (see the module comment). @internal */
export const eventLogResponse = <E>(
  world: World,
  request: HttpServerRequest.HttpServerRequest,
  options: EventLogStream<E>
): HttpServerResponse.HttpServerResponse => {
  const { log } = options
  const DONE = -1
  const follow = Stream.unfoldEffect(options.after, (cursor) =>
    Effect.gen(function*() {
      if (cursor === DONE) return Option.none()
      // Taken before looking, so an event appended in between still wakes this reader.
      const signal = log.signal
      const pending = log.events.slice(cursor)
      if (pending.length > 0) {
        const ended = pending.findIndex(options.ends)
        const sent = ended === -1 ? pending : pending.slice(0, ended + 1)
        return Option.some([sent.map(options.frame).join(""), ended === -1 ? cursor + pending.length : DONE] as const)
      }
      if (options.finished()) return Option.none()
      const woke = yield* Deferred.await(signal).pipe(Effect.timeout(options.heartbeatMillis), Effect.option)
      return Option.some([Option.isNone(woke) ? KEEPALIVE : "", cursor] as const)
    }))
  const body = Stream.concat(Stream.make(options.preamble), follow).pipe(Stream.filter((text) => text.length > 0))
  return sseResponse(droppable(world, request, body))
}
