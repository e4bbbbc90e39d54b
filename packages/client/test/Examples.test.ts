/**
 * The examples in examples/client, run with plain `node` against the built package (dist/, built by
 * the global setup): ESM scripts through `import`, the CommonJS one through `require`. Each points at
 * an emulator started by this file and prints a `RESULT {json}` line that is checked here.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type RunningEmulator, startEmulator } from "./emulator.js"

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/client")
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const run = (file: string): Promise<any> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(examples, file)],
      {
        cwd: examples,
        timeout: 60_000,
        env: {
          ...process.env,
          SOGNI_APP_ID: `example-${file}`,
          SOGNI_API_KEY: emulator.apiKey,
          SOGNI_REST_ENDPOINT: emulator.url,
          SOGNI_SOCKET_ENDPOINT: emulator.wsUrl
        }
      },
      (error, stdout, stderr) => {
        if (error !== null) return reject(new Error(`${file} failed: ${error.message}\n${stdout}\n${stderr}`))
        const line = stdout.split("\n").find((l) => l.startsWith("RESULT "))
        if (line === undefined) return reject(new Error(`${file} printed no RESULT line:\n${stdout}\n${stderr}`))
        resolve(JSON.parse(line.slice("RESULT ".length)))
      }
    )
  })

const download = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer())

// the scripts are independent (own appId each): run them side by side
describe.concurrent("examples (plain node, built package)", () => {
  it("image-promise.mjs: waitForModels, create, progress, waitForCompletion", async () => {
    const r = await run("image-promise.mjs")
    assert.strictEqual(r.status, "completed")
    assert.strictEqual(r.imageUrls.length, 4)
    assert.strictEqual(r.lastProgress, 100)
    const png = await download(r.imageUrls[0])
    assert.deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47])
  }, 60_000)

  it("image-events.mjs: jobCompleted for every job, then completed with the same URLs", async () => {
    const r = await run("image-events.mjs")
    assert.strictEqual(r.images.length, 4)
    assert.sameMembers(r.jobCompleted, r.images)
    assert.strictEqual(r.jobFailed, 0)
    assert.strictEqual(r.progress, 100)
  }, 60_000)

  it("video.mjs: an estimate, then a WAN text-to-video MP4", async () => {
    const r = await run("video.mjs")
    assert.isAbove(Number(r.estimate), 0)
    const mp4 = await download(r.videoUrls[0])
    assert.strictEqual(new TextDecoder().decode(mp4.subarray(4, 8)), "ftyp")
  }, 60_000)

  it("audio.mjs: model options, an ACE-Step MP3 downloaded through job.getResultData()", async () => {
    const r = await run("audio.mjs")
    assert.isAbove(r.bytes, 1000)
    assert.strictEqual(r.head[0], 0xff)
    assert.strictEqual(r.head[1] & 0xe0, 0xe0)
  }, 60_000)

  it("chat-stream.mjs: tokens streamed, then the final result", async () => {
    const r = await run("chat-stream.mjs")
    assert.isAbove(r.chunks, 3)
    assert.include(r.content, "What is the Sogni Supernet?")
    assert.strictEqual(r.finishReason, "stop")
    assert.isAbove(r.usage.completion_tokens, 0)
    assert.isAbove(Number(r.cost.costInToken), 0)
  }, 60_000)

  it("workflows.mjs (REST only): start, streamEvents to the terminal event, get; a PNG then an MP4", async () => {
    const r = await run("workflows.mjs")
    assert.strictEqual(r.status, "completed")
    assert.strictEqual(r.events.at(-1).event, "workflow_completed")
    assert.deepStrictEqual(r.events.map((e: { id: string }) => e.id), r.events.map((_: unknown, i: number) => String(i + 1)))
    const image = r.artifacts.find((a: { kind: string }) => a.kind === "image")
    const video = r.artifacts.find((a: { kind: string }) => a.kind === "video")
    assert.deepStrictEqual([...(await download(image.url)).subarray(1, 4)], [0x50, 0x4e, 0x47])
    assert.strictEqual(new TextDecoder().decode((await download(video.url)).subarray(4, 8)), "ftyp")
  }, 60_000)

  it("chat-tools.cjs (require): the model calls get_weather, the handler runs, the answer quotes it", async () => {
    const r = await run("chat-tools.cjs")
    assert.deepStrictEqual(r.calls, [{ location: "Austin" }])
    assert.include(r.content, "31 °C")
    assert.strictEqual(r.rounds, 1)
  }, 60_000)
})
