/**
 * A program that logs out and never disposes the client exits on its own (`test/programs/logout-exit.mjs`,
 * run with plain `node` on the built package): after an image project ran to its end, after a project the
 * server refused at once (a wrong key), and with the account read the API key started still unanswered by a
 * silent REST host. Before, the first two lived on for a service fiber's sleep (the projects' idle deadline,
 * 2 min; a refused send's deadline, 30 s) and the third until the read's `requestTimeout` (30 s).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { createServer, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type RunningEmulator, startEmulator } from "./emulator.js"

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "programs")
let emulator: RunningEmulator
// a REST host that takes every request and never answers (it records their paths)
let silent: Server
const silentSeen: Array<string> = []
const held: Array<ServerResponse> = []
beforeAll(async () => {
  emulator = await startEmulator()
  silent = createServer((req, res) => {
    silentSeen.push(`${req.method} ${req.url}`)
    held.push(res)
  })
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
})
afterAll(async () => {
  silent?.closeAllConnections()
  await new Promise<void>((resolve) => silent === undefined ? resolve() : silent.close(() => resolve()))
  await emulator?.stop()
})

// The kill is only the failure path of a program that would not exit by itself (well under the 30 s it
// used to live on); the test then fails on its exit.
const KILL_AFTER = 25_000

const run = (which: string, env: Record<string, string>) =>
  new Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [path.join(programs, "logout-exit.mjs")], {
      cwd: programs,
      timeout: KILL_AFTER,
      env: { ...process.env, SOGNI_CASE: which, SOGNI_APP_ID: `logout-exit-${which}`, ...env }
    }, (_error, stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }))
  })

const resultOf = (r: { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }) => {
  assert.strictEqual(r.signal, null, `killed: it did not exit by itself\n${r.stdout}\n${r.stderr}`)
  assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr}`)
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "))
  assert.isDefined(line, r.stdout)
  return JSON.parse(line!.slice("RESULT ".length))
}

describe("a program that logs out without disposing the client", () => {
  it("exits on its own: after a project ran, after a refused key failed its project, and with an account read unanswered", async () => {
    const [ran, refused, unanswered] = await Promise.all([
      run("project", { SOGNI_API_KEY: emulator.apiKey, SOGNI_REST_ENDPOINT: emulator.url, SOGNI_SOCKET_ENDPOINT: emulator.wsUrl }),
      run("refused", { SOGNI_API_KEY: "not-a-key", SOGNI_REST_ENDPOINT: emulator.url, SOGNI_SOCKET_ENDPOINT: emulator.wsUrl }),
      run("silent", {
        SOGNI_API_KEY: "any-key",
        SOGNI_REST_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        SOGNI_SOCKET_ENDPOINT: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`
      })
    ])
    assert.deepStrictEqual(resultOf(ran), { project: "completed 1", authenticated: false, disposed: false })
    assert.deepStrictEqual(resultOf(refused), { project: "AuthenticationError", authenticated: false, disposed: false })
    assert.deepStrictEqual(resultOf(unanswered), { project: "none", authenticated: false, disposed: false })
    // the account read was on the wire when the program logged out
    assert.include(silentSeen, "GET /v1/account/me")
  }, 60_000)
})
