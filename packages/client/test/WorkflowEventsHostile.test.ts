/**
 * `sogni.workflows.streamEvents` (the adapter) against a hostile loopback server: stray events a proxy
 * injects between real ones swallow none of them, and a malformed frame with a bogus `id:` just before a
 * cut does not move the resume cursor (u40's two cases, as the official client's callers meet them).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { ServerResponse } from "node:http"
import { makeHostileHttp } from "../../chat/test/util/HostileHttp.js"
import { SogniClient } from "../src/index.js"

const event = (n: number, status = "running", type = "step_started") =>
  `id: ${n}\nevent: ${type}\ndata: ${JSON.stringify({ id: String(n), sequence: n, workflowId: "wf_1", type, status })}\n\n`
const last = (n: number) => event(n, "completed", "workflow_completed")

/** The account record the client reads once its API key is set is not this test's: refused, it only logs. */
const refuseAccount = (path: string, res: ServerResponse) => {
  if (path !== "/v1/account/me") return false
  res.writeHead(404, { "content-type": "application/json" })
  res.end(JSON.stringify({ status: "error", message: "not here", errorCode: 404 }))
  return true
}

const idsOf = (url: string) =>
  Effect.promise(async () => {
    const sogni = await SogniClient.createInstance({ apiKey: "sk-hostile-0123456789", restEndpoint: url, disableSocket: true, logLevel: "error" })
    try {
      const ids: Array<string | undefined> = []
      for await (const frame of sogni.workflows.streamEvents("wf_1")) ids.push(frame.id)
      return ids
    } finally {
      await sogni.dispose()
    }
  })

describe("sogni.workflows.streamEvents against a hostile server", () => {
  it.scopedLive("stray events among 15 real ones: all 15 arrive, in order", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (req, res) => {
        if (refuseAccount(req.path, res)) return
        res.writeHead(200, { "content-type": "text/event-stream" })
        let body = ""
        for (let n = 1; n <= 15; n++) {
          body += n === 15 ? last(15) : event(n)
          if (n === 1) body += `event: workflow_progress\ndata: ${JSON.stringify({ sequence: 99, status: "running" })}\n\n`
          if (n === 2) body += `data: ${JSON.stringify({ id: 5 })}\n\n`
        }
        res.end(body)
      }
      assert.deepStrictEqual(yield* idsOf(server.url), Array.from({ length: 15 }, (_, i) => String(i + 1)))
    }))

  it.scopedLive("id: 999 on a malformed frame, then a cut: the client resumes with ?after=3 and every event arrives", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      const afters: Array<string> = []
      server.handle = (req, res) => {
        if (refuseAccount(req.path, res)) return
        res.writeHead(200, { "content-type": "text/event-stream" })
        afters.push(req.query)
        if (afters.length === 1) {
          res.write(event(1) + event(2) + event(3) + "id: 999\nevent: workflow_progress\ndata: not json\n\n", () =>
            setTimeout(() => res.socket?.destroy(), 20))
          return
        }
        const after = Number(new URLSearchParams(req.query).get("after"))
        let body = ""
        for (let n = after + 1; n <= 9; n++) body += n === 9 ? last(9) : event(n)
        res.end(body)
      }
      assert.deepStrictEqual(yield* idsOf(server.url), ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
      assert.deepStrictEqual(afters, ["", "after=3"])
    }))
})
