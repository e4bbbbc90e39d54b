/**
 * A scripted Supernet socket for chat tests that need exact frames (fixture replays, chosen text, worker
 * names and ids, arbitrary error payloads, malformed or missing terminals, custom handshakes); the
 * emulator's mock LLM covers the rest (`ChatEmulator.test.ts`). A `ws` server on
 * 127.0.0.1:0 that sends `authenticated`, hands every `llmJobRequest` to a replaceable script, records
 * requests and `llmJobCancel`s, and stops a job's timers when it is cancelled (answering with
 * `llmJobError { error: "artistCanceled" }`, as chat.md §8 recommends).
 */
import { Protocol, Sogni } from "@effect-sogni/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import WS, { WebSocketServer } from "ws"
import { Chat } from "../../src/index.js"

export interface Connection {
  readonly ws: WS
  readonly send: (type: string, payload: unknown) => void
}

export interface LLMRequest {
  readonly jobID: string
  readonly payload: Record<string, any>
  readonly conn: Connection
}

export type Frame = { readonly frame: string; readonly payload: Record<string, unknown> }

export interface LLMServer {
  readonly url: string
  readonly requests: Array<Record<string, any>>
  readonly cancels: Array<string>
  readonly connections: Array<Connection>
  /** What each new connection receives as `authenticated` extras (e.g. `activeLLMJobIDs`). */
  authenticated: (connectionIndex: number) => Record<string, unknown>
  /** The model: called for every `llmJobRequest`. */
  script: (request: LLMRequest) => void
  /** Sends frames for a job, `delayMs` apart (0: all at once); stopped by a cancel. */
  readonly play: (request: LLMRequest, frames: ReadonlyArray<Frame>, delayMs?: number) => void
}

/** Text tokens, the last with `finishReason` and usage, then `llmJobResult`. */
export const textFrames = (pieces: ReadonlyArray<string>, finishReason = "stop"): Array<Frame> => [
  { frame: "jobState", payload: { type: "queued", queuePosition: 0, modelId: "m", estimatedCost: "0.01" } },
  { frame: "jobState", payload: { type: "jobStarted", workerName: "worker-test" } },
  ...pieces.map((content, i): Frame => ({
    frame: "jobTokens",
    payload: {
      content,
      ...(i === 0 ? { role: "assistant" } : {}),
      ...(i === pieces.length - 1 ? { finishReason, usage: { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length } } : {})
    }
  })),
  {
    frame: "llmJobResult",
    payload: {
      usage: { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length },
      timeTaken: 0.5,
      workerName: "worker-test",
      cost: { costInUSD: "0.0001", costInToken: "0.02", costInSogni: "0.04", costInSpark: "0.02", inputTokens: 10, outputTokens: pieces.length }
    }
  }
]

/** One round of tool calls: heads, argument fragments, `finishReason: "tool_calls"`, result. */
export const toolCallFrames = (
  calls: ReadonlyArray<{ readonly id: string; readonly name: string; readonly args: ReadonlyArray<string> }>
): Array<Frame> => [
  {
    frame: "jobTokens",
    payload: {
      content: "",
      role: "assistant",
      tool_calls: calls.map((c, index) => ({ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }))
    }
  },
  ...calls.flatMap((c, index) => c.args.map((a): Frame => ({ frame: "jobTokens", payload: { tool_calls: [{ index, function: { arguments: a } }] } }))),
  { frame: "jobTokens", payload: { content: "", finishReason: "tool_calls", usage: { prompt_tokens: 20, completion_tokens: 5 } } },
  { frame: "llmJobResult", payload: { usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }, timeTaken: 0.2 } }
]

/** The last message of a request. */
export const lastMessage = (r: LLMRequest): Record<string, any> => r.payload.messages[r.payload.messages.length - 1]

export const makeLLMServer: Effect.Effect<LLMServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<LLMServer & { readonly wss: WebSocketServer; readonly timers: Map<string, Array<NodeJS.Timeout>> }>((resume) => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    const timers = new Map<string, Array<NodeJS.Timeout>>()
    const server = {
      wss,
      timers,
      url: "",
      requests: [] as Array<Record<string, any>>,
      cancels: [] as Array<string>,
      connections: [] as Array<Connection>,
      authenticated: (_: number): Record<string, unknown> => ({}),
      script: (_: LLMRequest): void => {},
      play: (request: LLMRequest, frames: ReadonlyArray<Frame>, delayMs = 0) => {
        const list = timers.get(request.jobID) ?? []
        timers.set(request.jobID, list)
        frames.forEach((f, i) => {
          const send = () => request.conn.send(f.frame, { jobID: request.jobID, ...f.payload })
          if (delayMs === 0) send()
          else list.push(setTimeout(send, delayMs * (i + 1)))
        })
      }
    }
    wss.on("connection", (ws) => {
      const conn: Connection = {
        ws,
        send: (type, payload) => {
          if (ws.readyState === WS.OPEN) ws.send(Buffer.from(Protocol.encodeFrame(type, payload)))
        }
      }
      const index = server.connections.length
      server.connections.push(conn)
      ws.on("message", (data) => {
        const env = Protocol.decodeEnvelope(data.toString())
        if (env._tag !== "Right") return
        const { payload, type } = env.right as { type: string; payload: Record<string, any> }
        if (type === "llmJobRequest") {
          server.requests.push(payload)
          server.script({ jobID: payload.jobID, payload, conn })
        } else if (type === "llmJobCancel") {
          server.cancels.push(payload.jobID)
          for (const t of timers.get(payload.jobID) ?? []) clearTimeout(t)
          conn.send("llmJobError", { jobID: payload.jobID, error: "artistCanceled", error_message: "Cancelled by user" })
        }
      })
      conn.send("authenticated", {
        id: `conn-${index}`,
        clientType: "artist",
        username: "pixelfox",
        activeProjects: [],
        unclaimedCompletedProjects: [],
        ...server.authenticated(index)
      })
    })
    wss.on("listening", () => {
      const address = wss.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.url = `ws://127.0.0.1:${port}`
      resume(Effect.succeed(server))
    })
  }),
  (server) =>
    Effect.async<void>((resume) => {
      for (const list of server.timers.values()) for (const t of list) clearTimeout(t)
      for (const client of server.wss.clients) client.terminate()
      server.wss.close(() => resume(Effect.void))
    })
)

/** Waits in real time until `predicate` holds, or dies after `ms`. */
export const eventually = (predicate: () => boolean, ms = 5_000, what = "condition"): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now()
        const tick = () => {
          if (predicate()) return resolve()
          if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`))
          setTimeout(tick, 5)
        }
        tick()
      })
  )

/**
 * Core pointed at the scripted server, with the chat service on top, built in the test's scope. The
 * scripted server pushes no LLM model list, so the wait for it is off unless a test sets it.
 */
export const chatFor = (server: LLMServer, options: Chat.ChatOptions = {}, appId = "chat-tests") =>
  Effect.map(
    Layer.build(
      Chat.layer({ modelCatalogWait: 0, ...options }).pipe(
        Layer.provideMerge(
          Sogni.layer({
            appId,
            apiKey: Redacted.make("test-key"),
            restEndpoint: "http://127.0.0.1:9",
            socketEndpoint: server.url,
            reconnectBase: "20 millis",
            reconnectCap: "50 millis",
            reconnectJitter: 0
          })
        )
      )
    ),
    (ctx) => Context.get(ctx, Chat.Chat)
  )
