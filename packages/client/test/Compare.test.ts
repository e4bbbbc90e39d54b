/**
 * One scenario (examples/client/scenario.mjs), the same code, run once with the official
 * `@sogni-ai/sogni-client` 5.54.0 and once with this package's built ESM output, against one emulator.
 * The outcomes must be equal, and so must the `jobRequest`s the emulator received.
 */
import { SogniClient as OfficialClient } from "@sogni-ai/sogni-client"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type * as ClientModule from "../src/index.js"
import { type RunningEmulator, startEmulator } from "./emulator.js"

const here = path.dirname(fileURLToPath(import.meta.url))
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(async () => {
  await emulator?.stop()
})

const stripIds = (request: Record<string, unknown>) => {
  const { jobID: _id, ...rest } = request
  return rest
}

describe("the same scenario through the official client and through the adapter", () => {
  it("gives the same outcome and sends the same jobRequest", async () => {
    const { scenario } = await import(pathToFileURL(path.resolve(here, "../../../examples/client/scenario.mjs")).href)
    const ours: typeof ClientModule = await import(pathToFileURL(path.resolve(here, "../dist/index.js")).href)
    const options = (appId: string) => ({ appId, apiKey: emulator.apiKey, restEndpoint: emulator.url, socketEndpoint: emulator.wsUrl })

    const official = await scenario(OfficialClient, options("compare-official"))
    const adapter = await scenario(ours.SogniClient, options("compare-adapter"))

    assert.deepStrictEqual(adapter.outcome, official.outcome)
    // sanity: the scenario did real work
    assert.strictEqual(official.outcome.status, "completed")
    assert.strictEqual(official.outcome.resultCount, 2)
    assert.deepStrictEqual(official.outcome.files[0], { png: true, width: 1024, height: 1024 })
    assert.strictEqual(official.outcome.charged, Number(official.outcome.estimate).toFixed(4))
    assert.include(official.outcome.chat.content, "Hello from the comparison")

    const sent = async (id: string) =>
      (await Effect.runPromise(emulator.service.control.getProject(id))).request as Record<string, unknown>
    assert.deepStrictEqual(stripIds(await sent(adapter.projectId)), stripIds(await sent(official.projectId)))
  }, 90_000)

  it("gives the same outcome on the REST surfaces: hosted chat, tool execution, chat runs, workflows", async () => {
    const { scenarioRest } = await import(pathToFileURL(path.resolve(here, "../../../examples/client/scenario-rest.mjs")).href)
    const ours: typeof ClientModule = await import(pathToFileURL(path.resolve(here, "../dist/index.js")).href)
    const options = { apiKey: emulator.apiKey, restEndpoint: emulator.url }

    const official = await scenarioRest(OfficialClient, options, "official")
    const adapter = await scenarioRest(ours.SogniClient, options, "adapter")

    // the ids differ (two runs, two workflows); everything else must match
    assert.deepStrictEqual(adapter, official)
    assert.strictEqual(official.hosted.object, "chat.completion")
    assert.strictEqual(official.hostedError.status, 502)
    assert.strictEqual(official.run.final, "completed")
    assert.strictEqual(official.run.events.at(-1), "run_completed")
    assert.strictEqual(official.workflow.final, "completed")
    assert.sameMembers(official.workflow.artifacts, ["image", "video"])
    assert.strictEqual(official.workflow.resumed[0], String(Number(official.workflow.frames[2].split(" ")[0]) + 1))
  }, 120_000)
})
