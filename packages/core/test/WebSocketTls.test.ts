/**
 * Read coalescing and the data-frame read over TLS (`wss:`), where the socket `ws` reads is a
 * `TLSSocket` whose handle is a TLS wrap over the TCP handle, against a `ws` server on a loopback
 * `https` server with a fixed self-signed certificate (made for these tests with openssl; it guards
 * nothing).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createServer as createPlainServer } from "node:http"
import { createServer } from "node:https"
import type { AddressInfo } from "node:net"
import WS, { WebSocketServer } from "ws"
import * as WebSocketConnection from "../src/WebSocketConnection.js"

const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgP/yLU59UC9SKQWyF
pYMhWaMvNcfAEPZcBKANxrv3Yi+hRANCAAT+dxYusxZkIlF2z/9WWiq5FqTiNw/i
xhSQBdjwSdu7IefvVeh/AAStt1TdJew3dE9jb5MWhVBfyLMLGnJ4fB9L
-----END PRIVATE KEY-----
`
const cert = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUC6s5u1DUC8QkdgKg7JNzFhI+6CcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNTAyMjQxMVoYDzIxMjYxMTEx
MDIyNDExWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAT+dxYusxZkIlF2z/9WWiq5FqTiNw/ixhSQBdjwSdu7IefvVeh/AASt
t1TdJew3dE9jb5MWhVBfyLMLGnJ4fB9Lo28wbTAdBgNVHQ4EFgQUjeKJabYXZ79c
uRq+DLV4QaY4xj8wHwYDVR0jBBgwFoAUjeKJabYXZ79cuRq+DLV4QaY4xj8wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAPSm7cRDmRNGUM0vQZgfnZ5LyfYVIpPadaz6vUY1IbR8AiBp
vclhTXwxf2cuDRN22RAmTlgxzl86q0VDw17VTLDRjA==
-----END CERTIFICATE-----
`

/**
 * A `wss:` server on a loopback port whose connections run `script`; the client trusts any certificate
 * meanwhile. With `secure` false, the same over plain `ws:`.
 */
const tlsServer = (script: (ws: WS) => void, secure = true) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly close: () => Promise<void> }>((resume) => {
      const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"
      const https = secure ? createServer({ key, cert }) : createPlainServer()
      const wss = new WebSocketServer({ server: https })
      wss.on("connection", script)
      https.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `${secure ? "wss" : "ws"}://127.0.0.1:${(https.address() as AddressInfo).port}/`,
          close: () =>
            new Promise<void>((resolve) => {
              if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
              else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous
              for (const c of wss.clients) c.terminate()
              wss.close()
              https.close(() => resolve())
            })
        })))
    }),
    (server) => Effect.promise(server.close)
  )

describe("WebSocketConnection over TLS (wss:; plain ws: alongside where said)", () => {
  const texts = (n: number) => Array.from({ length: n }, (_, i) => `frame ${i}`)

  it.scopedLive.each([true, false])("a fast stream of small frames is read in paused batches, the handle (TLS when %s) stopped and started again, never stopped before it read; every frame, then the close", (secure) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        // each coalescing pause (ws's own pause), each stop of the socket's handle that follows it and each
        // start, and the stops of a handle that has read nothing since it was last started (counted from
        // the first pause, which a read starts)
        const original = WS.prototype.pause
        const seen = { pauses: 0, stops: 0, starts: 0, idleStops: 0, handles: new Set<string>() }
        let readsSinceStart = 1
        WS.prototype.pause = function(this: WS) {
          seen.pauses++
          const handle = (this as unknown as { readonly _socket: { _handle: Record<string, unknown> } })._socket._handle
          if (handle !== null && handle.counted === undefined) {
            handle.counted = true
            seen.handles.add((handle.constructor as { readonly name: string }).name)
            const stop = handle.readStop as () => number
            const start = handle.readStart as () => number
            const onread = handle.onread as (...args: Array<unknown>) => unknown
            handle.onread = function(this: unknown, ...args: Array<unknown>) {
              readsSinceStart++
              return onread.apply(this, args)
            }
            handle.readStop = function(this: unknown) {
              seen.stops++
              if (readsSinceStart === 0) seen.idleStops++
              return stop.call(this)
            }
            handle.readStart = function(this: unknown) {
              seen.starts++
              readsSinceStart = 0
              return start.call(this)
            }
          }
          return original.call(this)
        }
        return { original, seen }
      }),
      ({ seen }) =>
        Effect.gen(function*() {
          const n = 3_000
          const server = yield* tlsServer((ws) => {
            let i = 0
            const burst = () => {
              for (let k = 0; k < 10 && i < n; k++) ws.send(`frame ${i++}`)
              if (i < n) setImmediate(burst)
              else ws.close(4002, "all sent")
            }
            burst()
          }, secure)
          const frames: Array<string | Uint8Array> = []
          const connection = yield* WebSocketConnection.open({
            url: server.url,
            connectTimeout: Duration.seconds(5),
            readCoalesce: Duration.millis(2),
            onFrame: (data) => frames.push(data)
          })
          const ended = yield* connection.ended.pipe(
            Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "stalled" })
          )
          assert.deepStrictEqual(frames, texts(n))
          assert.deepStrictEqual(ended, { _tag: "Closed", code: 4002, reason: "all sent" })
          // reading did pause, and each pause stopped the socket's handle (the TLS wrap) and started it again
          assert.isAbove(seen.pauses, 0)
          assert.isAbove(seen.stops, 0)
          assert.isAbove(seen.starts, 0)
          assert.deepStrictEqual([...seen.handles], [secure ? "TLSWrap" : "TCP"])
          // a TLS read hands on one record (one frame here) at a time: the rest of a read comes from the
          // stream's buffer when the pause ends, and a pause started on the last of those would stop the
          // handle again before it read anything, holding what the kernel has for another pause
          assert.strictEqual(seen.idleStops, 0)
        }),
      ({ original }) =>
        Effect.sync(() => {
          WS.prototype.pause = original
        })
    ))

  // a server frame as written on the wire (unmasked, payloads under 126 bytes)
  const frame = (first: number, payload: string | Buffer) =>
    Buffer.concat([Buffer.from([first, Buffer.byteLength(payload)]), Buffer.from(payload)])

  it.scopedLive("frames written raw over TLS in small pieces (text, pings, a fragmented message, binary) read as ws reads them, past its parser", () =>
    Effect.gen(function*() {
      const n = 1_000
      const bytes = Buffer.concat([
        ...texts(n).map((t, i) => i % 100 === 50 ? Buffer.concat([frame(0x89, `ping ${i}`), frame(0x81, t)]) : frame(0x81, t)),
        frame(0x01, "frag"),
        frame(0x89, "between"),
        frame(0x80, "mented"),
        Buffer.from([0x82, 3, 1, 2, 3]),
        frame(0x88, Buffer.concat([Buffer.from([0x0f, 0xa2]), Buffer.from("bye")]))
      ])
      const pongs: Array<string> = []
      const server = yield* tlsServer((ws) => {
        ws.on("pong", (data) => pongs.push(data.toString()))
        // the server's own TLS socket, written to as it likes: pieces of 7 bytes, 20 a turn
        const socket = (ws as unknown as { readonly _socket: { write: (b: Buffer) => boolean; destroyed: boolean } })._socket
        let at = 0
        const turn = () => {
          if (socket.destroyed) return
          for (let k = 0; k < 20 && at < bytes.length; k++, at += 7) socket.write(bytes.subarray(at, at + 7))
          if (at < bytes.length) setImmediate(turn)
        }
        turn()
      })
      const frames: Array<string | Array<number>> = []
      let heard = 0
      const connection = yield* WebSocketConnection.open({
        url: server.url,
        connectTimeout: Duration.seconds(5),
        readCoalesce: Duration.millis(2),
        onHeard: () => heard++,
        onFrame: (data) => frames.push(typeof data === "string" ? data : [...data])
      })
      const ended = yield* connection.ended.pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "stalled" })
      )
      assert.deepStrictEqual(frames, [...texts(n), "fragmented", [1, 2, 3]])
      assert.deepStrictEqual(ended, { _tag: "Closed", code: 4002, reason: "bye" })
      assert.strictEqual(heard, 11)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
      assert.deepStrictEqual(pongs, [...Array.from({ length: 10 }, (_, k) => `ping ${k * 100 + 50}`), "between"])
    }))
})
