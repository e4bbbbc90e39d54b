/**
 * Test helpers: a `Workflows` service pointed at a fresh emulator, plus byte checks for the media the
 * emulator renders.
 */
import { SogniConfig, SogniRest } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Workflows from "../src/Workflows.js"

/** The service against the emulator of the test, with fast reconnects. */
export const workflowsFor = (options: Workflows.Options = {}, apiKey?: string) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    return yield* Workflows.make({ reconnectDelay: "5 millis", maxReconnectDelay: "50 millis", ...options }).pipe(
      Effect.provide(
        SogniRest.layerFetch.pipe(
          Layer.provideMerge(
            SogniConfig.layer({
              appId: `workflows-test-${Math.random().toString(36).slice(2)}`,
              apiKey: Redacted.make(apiKey ?? emulator.apiKey),
              restEndpoint: emulator.url,
              socketEndpoint: emulator.wsUrl,
              appSource: "effect-sogni-tests",
              restRetryBase: "10 millis",
              restRetryCap: "50 millis"
            })
          )
        )
      )
    )
  })

/** A live test against a fresh emulator (port 0). */
export const emulatorTest = (
  name: string,
  body: () => Effect.Effect<void, unknown, Emulator.Emulator | Scope.Scope>,
  options: Emulator.Options = {},
  timeout?: number
) =>
  it.scopedLive(
    name,
    () => Effect.scoped(body()).pipe(Effect.provide(Emulator.layer({ port: 0, speed: 4, ...options }))),
    timeout
  )

/** GETs a URL's bytes and content type. */
export const download = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      bytes: new Uint8Array(await response.arrayBuffer())
    }
  })

export const isPng = (bytes: Uint8Array) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)

/** An ISO-BMFF file whose first box is `ftyp` and which holds a `moov` and an `mdat` box. */
export const isMp4 = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const types: string[] = []
  let at = 0
  while (at + 8 <= bytes.length) {
    const size = view.getUint32(at)
    types.push(String.fromCharCode(...bytes.subarray(at + 4, at + 8)))
    if (size < 8) return false
    at += size
  }
  return at === bytes.length && types[0] === "ftyp" && types.includes("moov") && types.includes("mdat")
}
