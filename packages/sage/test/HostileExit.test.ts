/**
 * A fresh process that streams hosted chat and Sage against a hostile server and lets the streams end
 * (two by their idle timeouts on a silent server, two by taking three elements of an endless answer)
 * exits on its own (`test/programs/hostile-exit.ts`, run with `node --import tsx`): the streams leave no
 * socket, timer or fiber behind. The hostile server runs here, in the test's process.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import type { ServerResponse } from "node:http"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { makeHostileHttp } from "../../chat/test/util/HostileHttp.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")

const sse = (res: ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" })

describe("a program streaming against a hostile server", () => {
  it.scopedLive("exits on its own after silent streams time out and endless ones are left after three elements", () =>
    Effect.gen(function*() {
      const server = yield* makeHostileHttp
      server.handle = (req, res) => {
        sse(res)
        const hosted = req.path === "/v1/chat/completions"
        const line = hosted
          ? `data: ${JSON.stringify({ id: "c1", choices: [{ index: 0, delta: { content: "tick " } }] })}\n\n`
          : `data: ${JSON.stringify({ chunk: "tick ", done: false })}\n\n`
        const sameKind = server.requests.filter((r) => (r.path === "/v1/chat/completions") === hosted)
        res.write(line)
        // the first of each kind goes silent; the second never ends
        if (sameKind.length === 1) return
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(line)), 10)
      }
      const result = yield* Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
        // the timeout only stops a program that would never exit (then the test fails on its exit code)
        const child = execFile(process.execPath, ["--import", "tsx", path.join(here, "programs", "hostile-exit.ts")], {
          cwd: root,
          timeout: 60_000,
          env: { ...process.env, HOSTILE_URL: server.url }
        }, (_error, stdout, stderr) => resume(Effect.succeed({ code: child.exitCode, stdout, stderr })))
      })
      assert.strictEqual(result.code, 0, `${result.stdout}\n${result.stderr}`)
      const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "))
      assert.isDefined(line, result.stdout)
      assert.deepStrictEqual(JSON.parse(line!.slice("RESULT ".length)), {
        silentHosted: "SogniTransportError:Timeout",
        firstHosted: 3,
        silentSage: "SogniTransportError:Timeout",
        firstSage: 3
      })
      assert.strictEqual(server.requests.length, 4)
    }), 70_000)
})
