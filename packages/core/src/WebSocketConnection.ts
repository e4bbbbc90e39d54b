/**
 * One WebSocket connection, from opening to its end, as the SDK's sockets use it (core's
 * `SogniSocket`, ZelAI's connection): what is written once here is the transport and the lifecycle;
 * the protocol spoken over it (authentication, pings, reconnecting) stays with each socket.
 *
 * - Transport: `ws` in Node, loaded with a dynamic import when the first connection opens (not at
 *   import), the upgrade carrying the given headers; in a browser page the global `WebSocket` (a login
 *   token travels as a cookie there, and an API key header cannot be sent at all).
 * - {@link open} opens it in the caller's scope and succeeds once it is open, within `connectTimeout`;
 *   it fails with how it {@link Ended} when it ended first or took too long. Closing the scope closes
 *   the socket (1000) and stops handing frames to `onFrame`.
 * - Frames go to `onFrame` in arrival order, text as a string, binary as bytes.
 * - The socket's `close` or `error` event is heard once and ends the connection:
 *   {@link WebSocketConnection.ended} then succeeds with the outcome.
 * - {@link WebSocketConnection.write} waits while the socket cannot take a frame: once the connection
 *   has ended (or its scope closed) a write waits until it is interrupted instead of going into a
 *   closed socket, so a caller that took a frame from a queue can put it back for the next connection.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import * as WebSocketConnection from "@effect-sogni/core/WebSocketConnection"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const connection = yield* WebSocketConnection.open({
 *     url: "wss://example.com/socket",
 *     connectTimeout: Duration.seconds(10),
 *     onFrame: (data) => console.log(data)
 *   })
 *   yield* connection.write(JSON.stringify({ type: "hello" }))
 *   const end = yield* connection.ended
 *   yield* Effect.log(end._tag === "Closed" ? `closed with ${end.code}` : `broke while ${end.stage}`)
 * }))
 * ```
 *
 * @since 0.2.0
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as PlainRelease from "./internal/plainRelease.js"
import * as WebSocketTransport from "./internal/webSocketTransport.js"

/**
 * How a connection ended: its close (the code and reason of the close frame, or the code the WebSocket
 * reports without one), or its error event (`stage`: while opening, opening too slowly, or once open;
 * `cause`: the event or error, whose `message` says what the transport saw).
 *
 * @since 0.2.0
 */
export type Ended =
  | { readonly _tag: "Closed"; readonly code: number; readonly reason: string }
  | { readonly _tag: "Broken"; readonly stage: "Open" | "OpenTimeout" | "Read"; readonly cause: unknown }

/**
 * Whether a value is an {@link Ended}.
 *
 * @since 0.2.0
 */
export function isEnded(u: unknown): u is Ended {
  return typeof u === "object" && u !== null && ((u as Ended)._tag === "Closed" || (u as Ended)._tag === "Broken")
}

/**
 * What {@link open} needs.
 *
 * @since 0.2.0
 */
export interface Options {
  readonly url: string
  /** Upgrade headers (Node only; in a browser only an `authorization` token, as a cookie). */
  readonly headers?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
  /** The largest inbound frame (Node: `ws` closes with 1009 above it); unbounded by this module when absent. */
  readonly maxFrameBytes?: number | undefined
  /** How long the socket may take to open. */
  readonly connectTimeout: Duration.DurationInput
  /**
   * Each frame, in arrival order, while the connection lives. Called on the socket's own turn: it must
   * not throw, and should hand anything slow to a fiber.
   */
  readonly onFrame: (data: string | Uint8Array) => void
  /** Called for every protocol ping or pong heard from the server (Node only; liveness checks). */
  readonly onHeard?: (() => void) | undefined
  /**
   * Called on the socket's own turn as it opens, before any frame is handed to `onFrame` (frames that
   * came with the upgrade response included), with the connection's `writeNow`: for a caller that must
   * answer a frame on the frame's own turn. Must not throw.
   */
  readonly onOpen?: ((writeNow: (text: string) => boolean) => void) | undefined
  /**
   * Read coalescing (Node only; none when absent or zero): while small reads come less than this apart,
   * reading pauses for this long so the frames arriving meanwhile are read together. It lowers the CPU
   * a fast stream of small frames costs (one TCP read per batch, not per frame; over TLS each record still
   * comes on its own); a frame waits at most this much longer, and a frame after a quiet spell not at all.
   * A negative or infinite duration counts as none.
   */
  readonly readCoalesce?: Duration.DurationInput | undefined
}

/** The read-coalescing pause in milliseconds: 0 (none) unless a finite positive duration is given. */
function coalesceMillis(input: Duration.DurationInput | undefined): number {
  if (input === undefined) return 0
  const millis = Duration.toMillis(input)
  return Number.isFinite(millis) && millis > 0 ? millis : 0
}

/**
 * An open connection.
 *
 * @since 0.2.0
 */
export interface WebSocketConnection {
  /**
   * Writes a text frame. Once the connection has ended it waits until interrupted (the frame was not
   * written), so the caller can keep the frame for the next connection.
   */
  readonly write: (text: string) => Effect.Effect<void>
  /** Writes a text frame at once if the socket is open: `false` when it is not (nothing was written). */
  readonly writeNow: (text: string) => boolean
  /** Starts the closing handshake with `code` (default 1000); {@link ended} tells when it is over. */
  readonly close: (code?: number, reason?: string) => Effect.Effect<void>
  /** Succeeds with how the connection ended, once its close or error event has come. */
  readonly ended: Effect.Effect<Ended>
  /** True when the transport can send protocol pings (`ws`); a browser cannot. */
  readonly canPing: boolean
  /** Sends a protocol ping where the transport can (see {@link canPing}) and the socket is open. */
  readonly ping: () => void
  /** Drops the connection at once: no closing handshake where the transport allows it (`ws`). */
  readonly terminate: () => void
}

/**
 * Opens a connection in the current scope (see the module's description): succeeds once the socket is
 * open, fails with how it ended when it ended first or did not open within `connectTimeout`. A socket
 * the transport refuses to create (an API key in a browser) is a defect.
 *
 * @since 0.2.0
 */
export function open(options: Options): Effect.Effect<WebSocketConnection, Ended, Scope.Scope> {
  return Effect.gen(function*() {
    // Node's `ws` loads with the first connection (not at import); later ones find it loaded
    const loading = WebSocketTransport.load()
    if (loading !== undefined) yield* Effect.promise(() => loading)
    // how the connection ends: the socket's close (its code and reason) or its error event
    const ended = yield* Deferred.make<Ended>()
    // open, or ended before it opened
    const opening = yield* Deferred.make<void, Ended>()
    // writes go through from the open to the end (or the scope's)
    const writable = Effect.unsafeMakeLatch(false)
    let isOpen = false
    const { onFrame } = options
    // In Node this listener is never called: registering it connects `onFrame` to the frames
    // (`WebSocketTransport.open`), removing it disconnects them. A browser's binary frames come as
    // `ArrayBuffer`s (the transport sets `binaryType`), so every frame is handed on in arrival order.
    const onMessage = (event: { readonly data: unknown }): void => {
      const data = event.data
      onFrame(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer))
    }
    // closed by a plain scope finalizer (internal/plainRelease.ts)
    const ws = yield* PlainRelease.acquireRelease(
      Effect.sync(() => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(options.headers ?? {})) headers[k] = Redacted.value(v)
        return WebSocketTransport.open(options.url, headers, {
          maxPayload: options.maxFrameBytes,
          onHeard: options.onHeard,
          onFrame,
          readCoalesceMillis: coalesceMillis(options.readCoalesce)
        })
      }),
      (ws) =>
        Effect.sync(() => {
          writable.unsafeClose()
          ws.removeEventListener("message", onMessage)
          ws.close(1000)
        })
    )
    const end = (why: Ended) => {
      writable.unsafeClose()
      Deferred.unsafeDone(opening, Exit.fail(why))
      Deferred.unsafeDone(ended, Exit.succeed(why))
    }
    const onError = (cause: unknown) => {
      ws.removeEventListener("message", onMessage)
      ws.removeEventListener("close", onClose)
      end({ _tag: "Broken", stage: isOpen ? "Read" : "Open", cause })
    }
    const onClose = (event: { readonly code: number; readonly reason: string }) => {
      ws.removeEventListener("message", onMessage)
      ws.removeEventListener("error", onError)
      end({ _tag: "Closed", code: event.code, reason: event.reason })
    }
    // `send` throws only while the socket is still connecting
    const writeNow = (text: string): boolean => ws.readyState === 1 && (ws.send(text), true)
    const onOpen = () => {
      isOpen = true
      writable.unsafeOpen()
      options.onOpen?.(writeNow)
      Deferred.unsafeDone(opening, Exit.void)
    }
    ws.addEventListener("close", onClose, { once: true })
    ws.addEventListener("error", onError, { once: true })
    ws.addEventListener("message", onMessage)
    if (ws.readyState === 1) onOpen()
    else {
      ws.addEventListener("open", onOpen, { once: true })
      yield* Deferred.await(opening).pipe(Effect.timeoutFail({
        duration: options.connectTimeout,
        onTimeout: (): Ended => ({ _tag: "Broken", stage: "OpenTimeout", cause: "timeout waiting for \"open\"" })
      }))
    }
    return {
      write: (text) => writable.whenOpen(Effect.sync(() => ws.send(text))),
      writeNow,
      close: (code = 1000, reason) => Effect.sync(() => ws.close(code, reason)),
      ended: Deferred.await(ended),
      canPing: WebSocketTransport.canPing(ws),
      ping: () => WebSocketTransport.ping(ws),
      terminate: () => WebSocketTransport.terminate(ws)
    } satisfies WebSocketConnection
  })
}
