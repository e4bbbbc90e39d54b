/**
 * The ZelAI client against a hostile `ws` server of its own (the emulator's room paces its frames and
 * always answers): a server that pours a whole long answer in one burst, echoes the API key back in its
 * refusals and malformed frames, accepts the key and then never answers, or cuts the socket in the middle
 * of a streamed answer and never finishes it.
 */
import { SogniError } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { eventually, makeHostileHttp, pour } from "../../chat/test/util/HostileHttp.js"
import { hostileWs } from "../../chat/test/util/HostileWs.js"
import { ZelaiClient } from "../src/index.js"

const API_KEY = "zelai_pk_hostile_0123456789abcdef"

const clientOn = (url: string, options: Partial<ZelaiClient.Options> = {}) =>
  Effect.map(
    Layer.build(ZelaiClient.layer({
      apiKey: Redacted.make(API_KEY),
      baseUrl: url,
      reconnectBase: "20 millis",
      reconnectCap: "100 millis",
      resumeGrace: "300 millis",
      ...options
    })),
    (ctx) => Context.get(ctx, ZelaiClient.ZelaiClient)
  )

const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)} ${JSON.stringify([...annotations])}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const chunk = (requestId: string, text: string) => JSON.stringify({ type: "llm_chunk", requestId, data: { chunk: text } })
const complete = (requestId: string, text: string) =>
  JSON.stringify({ type: "generation_complete", requestId, data: { result: { text, tokensUsed: 1 } } })

describe("ZelAI client against a hostile server", () => {
  it.scopedLive("a burst: 10,000 LLM chunks in one write to a reading consumer arrive whole and in order", () =>
    Effect.gen(function*() {
      const n = 10_000
      const server = yield* hostileWs
      server.onFrame = (ws, frame) => {
        if (frame.type !== "generate_llm") return
        let text = ""
        for (let i = 0; i < n; i++) {
          ws.send(chunk(frame.requestId!, `${i},`))
          text += `${i},`
        }
        ws.send(complete(frame.requestId!, text))
      }
      const zelai = yield* clientOn(server.url)
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(zelai.llmStream({ prompt: "count" })))
      const numbers = parts.flatMap((p) => (p._tag === "Delta" ? [p.text] : [])).join("").split(",").filter((s) => s !== "").map(Number)
      assert.strictEqual(numbers.length, n)
      assert.isTrue(numbers.every((v, i) => v === i), "in order, none lost")
      assert.strictEqual(parts.at(-1)!._tag, "Done")
    }), 60_000)

  it.scopedLive("the API key stays out of errors and logs when the server echoes it in a refusal or a malformed frame", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* hostileWs
      server.onAuth = (ws, frame) => {
        const echoed = JSON.stringify(frame)
        ws.send(`{"type": "progress", "requestId": "x", "data": ${echoed}, broken`)
        ws.send(JSON.stringify({ type: "mystery", data: frame.data }))
        ws.send(JSON.stringify({ type: "error", data: { code: "AUTH_ERROR", message: `invalid key in ${echoed}` } }))
      }
      const zelai = yield* clientOn(server.url)
      const error = yield* Effect.flip(zelai.settings)
      assert.isTrue(server.received.some((f) => f.type === "auth" && JSON.stringify(f).includes(API_KEY)), "the key went out")
      assert.instanceOf(error, SogniError.SogniAuthenticationError)
      assert.notInclude(String(error), API_KEY)
      assert.notInclude(JSON.stringify(error), API_KEY)
      assert.notInclude(Cause.pretty(Cause.fail(error)), API_KEY)
      assert.isTrue(logs.lines.some((l) => l.includes("malformed server frame")), logs.lines.join("\n"))
      for (const line of logs.lines) assert.notInclude(line, API_KEY)
    }).pipe(Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("a socket cut mid-answer that never resumes: the chunks that came, then ZelaiConnectionLost naming the request; not sent again", () =>
    Effect.gen(function*() {
      const server = yield* hostileWs
      server.onFrame = (ws, frame) => {
        if (frame.type !== "generate_llm") return
        ws.send(chunk(frame.requestId!, "a "))
        ws.send(chunk(frame.requestId!, "partial"), () => setTimeout(() => ws.terminate(), 20))
      }
      const zelai = yield* clientOn(server.url)
      const texts: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(zelai.llmStream({ prompt: "go" }), (p) => Effect.sync(() => void (p._tag === "Delta" && texts.push(p.text))))
      )
      assert.strictEqual(texts.join(""), "a partial")
      assert.strictEqual(error._tag, "ZelaiConnectionLost", String(error))
      const sent = server.received.filter((f) => f.type === "generate_llm")
      assert.strictEqual(sent.length, 1)
      assert.strictEqual((error as { requestId?: string }).requestId, sent[0]!.requestId)
    }))

  it.scopedLive("a server that accepts the socket and never authenticates: the call fails typed at its timeout, never sent", () =>
    Effect.gen(function*() {
      const server = yield* hostileWs
      server.onAuth = () => {}
      const zelai = yield* clientOn(server.url, { authTimeout: "100 millis", settingsTimeout: "700 millis" })
      const error = yield* Effect.flip(zelai.settings)
      assert.strictEqual(error._tag, "ZelaiRequestError", String(error))
      assert.strictEqual((error as { reason?: string }).reason, "Timeout")
      assert.isAtLeast(server.sockets.length, 2, "the client gave up on a silent handshake and tried again")
      assert.isFalse(server.received.some((f) => f.type === "get_settings"), "nothing was sent before auth_success")
    }))

  it.scopedLive("a CDN answer larger than maxDownloadBytes fails with TooLarge, declared or not, and is not fetched again", () =>
    Effect.gen(function*() {
      const limit = 64 * 1024
      const cdn = yield* makeHostileHttp
      cdn.handle = (req, res) => {
        if (req.path.endsWith("declared.png")) {
          res.writeHead(200, { "content-type": "image/png", "content-length": String(limit * 4) })
          res.end(Buffer.alloc(limit * 4, 1))
        } else {
          res.writeHead(200, { "content-type": "video/mp4" })
          pour(res, Buffer.alloc(16 * 1024, 2), 32 * 1024 * 1024)
        }
      }
      const zelai = yield* clientOn(cdn.url, { maxDownloadBytes: limit })
      for (const file of [{ kind: "image", id: "declared" }, { kind: "video", id: "endless" }] as const) {
        const before = cdn.requests.length
        const error = yield* Effect.flip(zelai.download(file))
        assert.instanceOf(error, SogniError.SogniDecodeError, String(error).slice(0, 300))
        assert.strictEqual((error as SogniError.SogniDecodeError).reason, "TooLarge")
        assert.include(error.message, String(limit))
        assert.strictEqual(cdn.requests.length, before + 1, "not retried")
      }
      assert.isTrue(yield* eventually(() => cdn.requests.every((r) => r.closed)), "every download's connection was closed")
    }), 30_000)

  it.scopedLive("a connection gone silent after auth (no pong, no answer) is dropped after pongTimeout; the call is answered on the next one", () =>
    Effect.gen(function*() {
      const server = yield* hostileWs
      // the first socket black-holes everything after auth_success, pings included; the next ones answer
      server.onFrame = (ws, frame) => {
        if (ws === server.sockets[0] || frame.type !== "get_settings") return
        ws.send(JSON.stringify({ type: "settings_response", requestId: frame.requestId, data: { settings: { status: "active", rateLimits: {} } } }))
      }
      const answerPings = server.onPing
      server.onPing = (ws) => (ws === server.sockets[0] ? undefined : answerPings(ws))
      const zelai = yield* clientOn(server.url, { pingInterval: "100 millis", pongTimeout: "200 millis", settingsTimeout: "5 seconds" })
      const settings = yield* zelai.settings
      assert.strictEqual(settings.status, "active")
      assert.isAtLeast(server.sockets.length, 2)
      assert.strictEqual(server.received.filter((f) => f.type === "get_settings").length, 2, "written on each socket")
    }))

  it.scopedLive("frames nested 5,000 levels deep are logged and skipped by path, not a crash; the call on the same socket is answered", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const deep = `${"[".repeat(5_000)}1${"]".repeat(5_000)}`
      const server = yield* hostileWs
      server.onFrame = (ws, frame) => {
        if (frame.type !== "get_settings") return
        ws.send(`{"type":${deep}}`)
        ws.send(`{"type":"progress","requestId":${JSON.stringify(frame.requestId)},"data":{"progress":${deep}}}`)
        ws.send(`{"type":"error","data":{"code":${deep},"message":"m"}}`)
        ws.send(JSON.stringify({ type: "settings_response", requestId: frame.requestId, data: { settings: { status: "active", rateLimits: {} } } }))
      }
      const zelai = yield* clientOn(server.url)
      assert.strictEqual((yield* zelai.settings).status, "active")
      const warnings = logs.lines.filter((l) => l.startsWith("WARN") && l.includes("malformed server frame"))
      assert.deepStrictEqual(warnings.map((w) => /(not a frame|progress|error frame)[^"]*?got an array of 1/.exec(w)?.[0]), [
        "not a frame: type: expected string, got an array of 1",
        "progress: progress: expected number, got an array of 1",
        "error frame without code/message: code: expected string, got an array of 1"
      ])
    }).pipe(Effect.scoped, Effect.provide(logs.layer), Logger.withMinimumLogLevel(LogLevel.All))
  })

  it.scopedLive("a flood of malformed frames: a few warnings, then their count in one line; the call on the same socket is answered", () => {
    const logs = capture()
    return Effect.gen(function*() {
      const server = yield* hostileWs
      server.onFrame = (ws, frame) => {
        if (frame.type !== "get_settings") return
        for (let i = 0; i < 5_000; i++) ws.send(i % 2 === 0 ? `{"type": "progress", broken ${i}` : JSON.stringify({ type: "llm_chunk", data: {} }))
        ws.send(JSON.stringify({ type: "settings_response", requestId: frame.requestId, data: { settings: { status: "active", rateLimits: {} } } }))
      }
      const zelai = yield* clientOn(server.url)
      assert.strictEqual((yield* zelai.settings).status, "active")
      const warnings = logs.lines.filter((l) => l.startsWith("WARN") && l.includes("malformed server frame"))
      assert.isAtLeast(warnings.length, 1)
      assert.isAtMost(warnings.length, 10)
    }).pipe(
      Effect.scoped,
      Effect.zipRight(Effect.sync(() => {
        // the client's scope has closed: the count of the suppressed ones was written
        const summary = logs.lines.find((l) => /skipped \d+ malformed server frames/.test(l))
        assert.isDefined(summary, logs.lines.slice(0, 20).join("\n"))
        const counted = Number(/skipped (\d+) malformed/.exec(summary!)![1])
        const warned = logs.lines.filter((l) => l.includes("skipped a malformed server frame")).length
        assert.strictEqual(counted + warned, 5_000)
      })),
      Effect.provide(logs.layer),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
  })
})
