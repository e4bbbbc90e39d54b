/**
 * A program that disposes the client exits on its own (`test/programs/dispose-exit.mjs`, run with plain
 * `node` on the built package against the emulator started here): the lazily loaded groups' services, the
 * model-list watchers, a chat call, a stream and an image project in flight, and a second `dispose` leave nothing
 * running.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type RunningEmulator, startEmulator } from "./emulator.js"

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "programs")
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

describe("a program that disposes the client", () => {
  it("exits on its own after dispose, with a chat call and an image project in flight rejected as disposed", async () => {
    const result = await new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
      // the timeout only stops a program that would never exit (then the test fails on its exit)
      const child = execFile(process.execPath, [path.join(programs, "dispose-exit.mjs")], {
        cwd: programs,
        timeout: 60_000,
        env: {
          ...process.env,
          SOGNI_APP_ID: "dispose-exit",
          SOGNI_API_KEY: emulator.apiKey,
          SOGNI_REST_ENDPOINT: emulator.url,
          SOGNI_SOCKET_ENDPOINT: emulator.wsUrl
        }
      }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }))
    })
    assert.strictEqual(result.code, 0, `${result.stdout}\n${result.stderr}`)
    const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "))
    assert.isDefined(line, result.stdout)
    assert.deepStrictEqual(JSON.parse(line!.slice("RESULT ".length)), { call: "DisposedError", project: "DisposedError", disposed: true })
  }, 70_000)
})
