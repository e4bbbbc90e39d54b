/**
 * Emulator options that change what one emulator serves without touching any other in the process:
 * catalog overrides (a media model's step limit with its tier, an LLM model's output-token ceiling),
 * refused overrides, and render seeds drawn from the fiber's `Random` service (no `Math.random`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Random from "effect/Random"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Emulator from "../src/Emulator.js"
import { connect, http, imageRequest, json } from "./helpers.js"

const LLM = "qwen3.6-35b-a3b-gguf-iq4xs"

const tierStepsMax = (emulator: Emulator.Service) =>
  Effect.map(
    Effect.flatMap(http(`${emulator.url}/api/v2/models/tiers`), json),
    (tiers) => tiers["flux"]["steps"]["max"] as number
  )

/** The first seed an emulator draws for a project that names none (`lastSeed` of its first job). */
const drawnSeed = (emulator: Emulator.Service, appId: string) =>
  Effect.gen(function*() {
    const client = yield* connect(emulator, { appId })
    yield* client.next("authenticated")
    const request = imageRequest({ prompt: "a lighthouse", count: 1 })
    const { seed: _seed, ...keyFrame } = request.keyFrames[0]!
    client.send("jobRequest", { ...request, keyFrames: [keyFrame] })
    const result = yield* client.next("jobResult", (p) => p.jobID === request.jobID.toUpperCase(), 20_000)
    return result.lastSeed
  })

describe("emulator options", () => {
  it.scopedLive("catalog.models raises a model's step limit and its tier, in this emulator only", () =>
    Effect.gen(function*() {
      const raised = yield* Emulator.make({ port: 0, speed: 4, catalog: { models: { "flux1-schnell-fp8": { maxSteps: 50 } } } })
      const plain = yield* Emulator.make({ port: 0, speed: 4 })
      assert.strictEqual(yield* tierStepsMax(raised), 50)
      assert.strictEqual(yield* tierStepsMax(plain), 8, "the built-in table is untouched")

      const fast = yield* connect(raised, { appId: "raised-app" })
      yield* fast.next("authenticated")
      const long = imageRequest({ prompt: "fifty steps", count: 1, steps: 50 })
      fast.send("jobRequest", long)
      const done = yield* fast.next("jobResult", (p) => p.jobID === long.jobID.toUpperCase(), 30_000)
      assert.strictEqual(done.performedStepCount, 50)

      const bounded = yield* connect(plain, { appId: "plain-app" })
      yield* bounded.next("authenticated")
      const refused = imageRequest({ prompt: "fifty steps", count: 1, steps: 50 })
      bounded.send("jobRequest", refused)
      const error = yield* bounded.next("jobError", (p) => p.jobID === refused.jobID.toUpperCase())
      assert.match(String(error.error_message), /steps must be an integer in 1\.\.8/)
    }), 60_000)

  it.scopedLive("catalog.llmModels raises an LLM model's output ceiling (swarmLLMModels and estimates)", () =>
    Effect.gen(function*() {
      const raised = yield* Emulator.make({ port: 0, catalog: { llmModels: { [LLM]: { maxOutputTokens: 100_000 } } } })
      const plain = yield* Emulator.make({ port: 0 })
      const ceiling = (emulator: Emulator.Service) =>
        Effect.gen(function*() {
          const client = yield* connect(emulator, { appId: `llm-${emulator.port}` })
          const info = (yield* client.next("swarmLLMModels"))[LLM]
          return typeof info === "object" ? (info["maxOutputTokens"] as { readonly max: number }).max : undefined
        })
      assert.strictEqual(yield* ceiling(raised), 100_000)
      assert.strictEqual(yield* ceiling(plain), 32_768)
      const estimate = (emulator: Emulator.Service) =>
        http(`${emulator.url}/api/v1/job-llm/estimate/spark/${LLM}/10/100000`, { headers: { "api-key": emulator.apiKey } })
      assert.strictEqual((yield* estimate(raised)).status, 200)
      assert.strictEqual((yield* estimate(plain)).status, 400)
    }))

  it.effect("an override naming an unknown model or a bad limit is a defect naming the field", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Emulator.make({
        port: 0,
        catalog: { models: { "no-such-model": { maxSteps: 5 } }, llmModels: { [LLM]: { maxOutputTokens: 0 } } }
      })))
      assert.isTrue(Exit.isFailure(exit))
      const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      assert.include(message, "catalog.models.no-such-model names no model")
      assert.include(message, `catalog.llmModels.${LLM}.maxOutputTokens must be a positive integer (got 0)`)
    }))

  it.scopedLive("render seeds come from the Random service: the same seed draws the same numbers", () =>
    Effect.gen(function*() {
      const seeded = (seed: string) => Effect.withRandom(Emulator.make({ port: 0, speed: 4 }), Random.make(seed))
      const first = yield* seeded("emulator-seed")
      const second = yield* seeded("emulator-seed")
      const other = yield* seeded("another-seed")
      const a = yield* drawnSeed(first, "seed-a")
      const b = yield* drawnSeed(second, "seed-b")
      const c = yield* drawnSeed(other, "seed-c")
      assert.strictEqual(a, b)
      assert.notStrictEqual(a, c)
    }), 60_000)

  it("no Math.random in the emulator's sources (randomness is the Random service or node:crypto)", () => {
    const root = fileURLToPath(new URL("../src", import.meta.url))
    const files = (dir: string): Array<string> =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name)
        return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : []
      })
    const offenders = files(root).filter((path) => readFileSync(path, "utf8").includes("Math.random"))
    assert.deepStrictEqual(offenders, [])
  })
})
