/**
 * The embedded emulator for the promise-client tests: started on a free loopback port in a
 * `ManagedRuntime`, stopped by `stop()`.
 */
import { assert } from "@effect/vitest"
import { Emulator } from "@effect-sogni/emulator"
import * as ManagedRuntime from "effect/ManagedRuntime"

export interface RunningEmulator {
  readonly url: string
  readonly wsUrl: string
  readonly apiKey: string
  readonly service: Emulator.Service
  readonly stop: () => Promise<void>
}

export const startEmulator = async (options: Emulator.Options = {}): Promise<RunningEmulator> => {
  const runtime = ManagedRuntime.make(Emulator.layer({ port: 0, speed: 4, ...options }))
  const service = await runtime.runPromise(Emulator.Emulator)
  return { url: service.url, wsUrl: service.wsUrl, apiKey: service.apiKey, service, stop: () => runtime.dispose() }
}

/** The client options that point at an emulator. */
export const endpoints = (emulator: RunningEmulator) => ({
  apiKey: emulator.apiKey,
  restEndpoint: emulator.url,
  socketEndpoint: emulator.wsUrl
})

/**
 * A client `logger` that records each call as one line, its level first (`"warn retrying ..."`), in
 * `lines`.
 */
export const recordingLogger = () => {
  const lines: Array<string> = []
  const line = (level: string) => (...a: Array<unknown>) => lines.push(`${level} ${a.join(" ")}`)
  return { lines, logger: { error: line("error"), warn: line("warn"), info: line("info"), debug: line("debug") } }
}

/**
 * Checks a client's logging of a retried REST call: `run` makes a client with the given `logLevel` and a
 * {@link recordingLogger}, has core retry one call, and returns the lines. Without a level the retry is
 * logged at debug level; with `"warn"` nothing below warn is.
 */
export const assertRetryLoggedAtLevel = async (run: (logLevel: "warn" | undefined) => Promise<ReadonlyArray<string>>) => {
  const all = await run(undefined)
  assert.isTrue(all.some((l) => /^debug sogni: retry 1 in /.test(l)), all.join("\n"))
  const filtered = await run("warn")
  assert.isFalse(filtered.some((l) => /^(debug|info) /.test(l)), filtered.join("\n"))
}

/** A one-result audio project on a model the emulator serves (the official client's parameter names). */
export const audioProject = {
  type: "audio",
  modelId: "ace_step_1.5_turbo",
  positivePrompt: "a calm piano loop",
  duration: 10,
  numberOfMedia: 1,
  outputFormat: "mp3",
  tokenType: "spark"
} as const
