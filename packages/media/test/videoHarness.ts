/**
 * Shared by the video tests against the emulator: a media connection with its services, the account's
 * Spark balance read over REST, and the frame count of a result MP4.
 */
import { SogniRest } from "@effect-sogni/core"
import type { Emulator } from "@effect-sogni/emulator"
import { assert } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Media, Models, Projects } from "../src/index.js"

/** Builds the media layer against `emulator` under a fresh app id starting with `appPrefix`. */
export const connect = (emulator: Emulator.Service, appPrefix: string) =>
  Effect.map(
    Layer.build(
      Media.layer({
        appId: `${appPrefix}-${crypto.randomUUID()}`,
        apiKey: Redacted.make(emulator.apiKey),
        restEndpoint: emulator.url,
        socketEndpoint: emulator.wsUrl
      })
    ),
    (ctx) => ({
      projects: Context.get(ctx, Projects.Projects),
      models: Context.get(ctx, Models.Models),
      rest: Context.get(ctx, SogniRest.SogniRest)
    })
  )

/** The account's net Spark balance. */
export const sparkBalance = (emulator: Emulator.Service) =>
  Effect.promise(async () => {
    const body = await fetch(`${emulator.url}/v4/account/balance`, { headers: { "api-key": emulator.apiKey } })
      .then((r) => r.json() as Promise<{ data: { spark: { net: string } } }>)
    return Number(body.data.spark.net)
  })

/** The sample count of an MP4's first track (`stsz`). */
export const mp4Frames = (data: Uint8Array): number => {
  const text = String.fromCharCode(...data.subarray(0, Math.min(data.length, 64 * 1024)))
  const at = text.indexOf("stsz")
  assert.isAbove(at, 0, "an stsz box")
  return new DataView(data.buffer, data.byteOffset).getUint32(at + 12)
}
