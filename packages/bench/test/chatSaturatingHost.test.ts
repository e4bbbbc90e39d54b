/**
 * chat-stream's saturating source against the embedded emulator over loopback: the stub answers an
 * `llmJobRequest` with the emulator's own reply (same token frames, in order, under the request's job id)
 * and proxies REST to the emulator.
 */
import { randomUUID } from "node:crypto"
import { Protocol } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import WS from "ws"
import { startEmulator } from "../src/chatStream/emulatorHost.js"
import type { ChatPlan } from "../src/chatStream/plan.js"
import { startSaturating } from "../src/chatStream/saturatingHost.js"

const plan: ChatPlan = { tokens: 3_000, model: "qwen3.6-35b-a3b-gguf-iq4xs", prompt: "[[long]] a test reply" }
/** Bound on one reply in this test. */
const REPLY_TIMEOUT_MS = 30_000

interface Frame {
  readonly type: string
  readonly payload: { readonly jobID?: string; readonly content?: string | null }
}

/** Connects a raw socket, sends one `llmJobRequest` per id (in turn) and collects every frame until each job's result. */
const ask = (host: { readonly wsUrl: string; readonly apiKey: string }, jobIDs: ReadonlyArray<string>) =>
  new Promise<Array<Frame>>((resolve, reject) => {
    const ws = new WS(`${host.wsUrl}/?appId=test-chat-saturating-${randomUUID()}&clientType=artist&forceWorkerId=fast`, {
      headers: { "api-key": host.apiKey },
      perMessageDeflate: false
    })
    const frames: Array<Frame> = []
    let results = 0
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`no reply within ${REPLY_TIMEOUT_MS} ms (${frames.length} frames so far)`))
    }, REPLY_TIMEOUT_MS)
    ws.on("message", (data: Buffer) => {
      const envelope = Protocol.decodeEnvelope(data)
      if (envelope._tag === "Left") return
      const frame: Frame = { type: envelope.right.type, payload: envelope.right.payload as Frame["payload"] }
      if (frame.type === "authenticated") {
        for (const jobID of jobIDs) {
          ws.send(Protocol.encodeFrame("llmJobRequest", {
            jobID,
            type: "llm",
            model: plan.model,
            messages: [{ role: "user", content: plan.prompt }],
            stream: true,
            tokenType: "spark"
          }))
        }
        return
      }
      if (frame.payload.jobID === undefined || !jobIDs.includes(frame.payload.jobID)) return
      frames.push(frame)
      if (frame.type === "llmJobResult" && ++results === jobIDs.length) {
        clearTimeout(timer)
        ws.close()
        resolve(frames)
      }
    })
    ws.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

const contents = (frames: ReadonlyArray<Frame>, jobID: string) =>
  frames.filter((f) => f.type === "jobTokens" && f.payload.jobID === jobID).map((f) => f.payload.content)

describe("chat-stream saturating source", () => {
  it.live("answers each llmJobRequest with the emulator's reply under the request's job id, REST proxied", () =>
    Effect.promise(async () => {
      const emulator = await startEmulator(plan, { speed: 50, tokensPerTick: 100 })
      try {
        const direct = randomUUID().toUpperCase()
        const expected = contents(await ask(emulator, [direct]), direct)
        assert.isAtLeast(expected.filter((c) => typeof c === "string" && c.length > 0).length, plan.tokens)

        const stub = await startSaturating(emulator, plan)
        try {
          // two jobs on one connection: each gets the whole reply, in order, under its own id
          const first = randomUUID().toUpperCase()
          const second = randomUUID().toUpperCase()
          const frames = await ask(stub, [first, second])
          assert.deepStrictEqual(contents(frames, first), expected)
          assert.deepStrictEqual(contents(frames, second), expected)
          for (const jobID of [first, second]) {
            const own = frames.filter((f) => f.payload.jobID === jobID)
            assert.strictEqual(own.at(-1)?.type, "llmJobResult")
            assert.strictEqual(own.length, stub.framesPerReply)
          }

          // REST goes to the emulator: the same answer from either port
          const path = "/v1/account/me"
          const viaStub = await fetch(`${stub.url}${path}`, { headers: { "api-key": stub.apiKey } })
          const viaEmulator = await fetch(`${emulator.url}${path}`, { headers: { "api-key": emulator.apiKey } })
          assert.strictEqual(viaEmulator.status, 200)
          assert.strictEqual(viaStub.status, 200)
          assert.strictEqual(await viaStub.text(), await viaEmulator.text())
        } finally {
          await stub.close()
        }
      } finally {
        await emulator.close()
      }
    }), 120_000)
})
