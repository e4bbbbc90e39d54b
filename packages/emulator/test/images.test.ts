/**
 * Image results beyond PNG/JPEG: real WebP files (decoded with libwebp's own decoder, compiled to wasm)
 * and step previews (`jobProgress.hasImage` + `type=preview` download URLs, media.md §4.1, §8.1).
 */
import { Protocol } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import decodeWebp, { init as initWebpDecoder } from "@jsquash/webp/decode.js"
import * as Effect from "effect/Effect"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { PNG } from "pngjs"
import jpeg from "jpeg-js"
import * as Emulator from "../src/Emulator.js"
import { previewSteps } from "../src/internal/media.js"
import { bytes, connect, emulatorTest, http, imageRequest, json } from "./helpers.js"

/** libwebp's decoder, loaded from the wasm the package ships. */
const webpDecoder = Effect.promise(async () => {
  const require = createRequire(import.meta.url)
  const dir = join(dirname(require.resolve("@jsquash/webp/package.json")), "codec", "dec")
  await (initWebpDecoder as unknown as (m: WebAssembly.Module) => Promise<unknown>)(
    new WebAssembly.Module(await readFile(join(dir, "webp_dec.wasm")))
  )
  return (data: Uint8Array) => decodeWebp(data.slice().buffer)
})

const get = (emulator: Emulator.Service, path: string) => http(`${emulator.url}${path}`, { headers: { "api-key": emulator.apiKey } })

const download = (url: string) =>
  Effect.gen(function*() {
    const response = yield* http(url)
    assert.strictEqual(response.status, 200, url)
    return { contentType: response.headers.get("content-type"), data: yield* bytes(response) }
  })

/** Mean absolute difference of the RGB channels of two same-sized RGBA images. */
const meanDifference = (a: Uint8Array | Uint8ClampedArray, b: Uint8Array | Uint8ClampedArray) => {
  assert.strictEqual(a.length, b.length)
  let sum = 0
  let n = 0
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) sum += Math.abs(a[i + c]! - b[i + c]!)
    n += 3
  }
  return sum / n
}

const runImage = (emulator: Emulator.Service, appId: string, options: Parameters<typeof imageRequest>[0] & { readonly previews?: number }) =>
  Effect.gen(function*() {
    const client = yield* connect(emulator, { appId })
    yield* client.next("authenticated")
    const request = { ...imageRequest(options), previews: options.previews ?? 0 }
    client.send("jobRequest", request)
    yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID)
    const frames = client.events().filter((e) => (e.payload as { jobID?: string }).jobID === request.jobID)
    const imgIDs = frames.filter((e) => e.type === "jobResult").map((e) => (e.payload as Protocol.JobResult).imgID)
    return { client, request, frames, imgIDs }
  })

describe("WebP results", () => {
  emulatorTest("encodes real WebP that libwebp decodes to the same picture as the PNG", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const decode = yield* webpDecoder
      const { imgIDs, request } = yield* runImage(emulator, "webp", {
        prompt: "a windmill on a tulip field",
        count: 1,
        width: 320,
        height: 256,
        outputFormat: "webp"
      })
      const minted = yield* json(yield* get(emulator, `/v1/image/downloadUrl?jobId=${request.jobID}&imageId=${imgIDs[0]}&type=complete`))
      const url: string = minted.data.downloadUrl
      assert.match(url, /\.webp\?/)
      const file = yield* download(url)
      assert.strictEqual(file.contentType, "image/webp")
      const ascii = (from: number, to: number) => String.fromCharCode(...file.data.subarray(from, to))
      assert.deepStrictEqual([ascii(0, 4), ascii(8, 12)], ["RIFF", "WEBP"])
      assert.strictEqual(new DataView(file.data.buffer).getUint32(4, true), file.data.length - 8, "RIFF size")
      const decoded = yield* Effect.promise(() => decode(file.data))
      assert.deepStrictEqual([decoded.width, decoded.height], [320, 256])

      // The same job as PNG: lossy WebP at quality 85 stays close to it.
      const pngUrl = (yield* json(
        yield* get(emulator, `/v1/image/downloadUrl?jobId=${request.jobID}&imageId=${imgIDs[0]}&type=complete&contentType=image/png`)
      )).data.downloadUrl
      const png = PNG.sync.read(Buffer.from((yield* download(pngUrl)).data))
      const difference = meanDifference(decoded.data, png.data)
      assert.isBelow(difference, 6, "the WebP is the PNG's picture")
      // Cached per job: a second download is byte-identical.
      assert.deepStrictEqual((yield* download(url)).data, file.data)
    }))
})

describe("previews", () => {
  emulatorTest("marks the requested preview steps with hasImage and serves previews that converge on the result", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "previews" })
      yield* client.next("authenticated")
      // [[slow]] paces steps at 300 ms (speed 2), so a preview minted on its frame is that step's.
      const request = {
        ...imageRequest({ prompt: "a glacier under the northern lights [[slow]]", count: 1, steps: 8, width: 256, height: 256 }),
        previews: 3
      }
      client.send("jobRequest", request)
      const first = yield* client.next("jobProgress", (p) => p.jobID === request.jobID && p.hasImage === true)
      assert.strictEqual(first.step, 2)
      const previewUrl = (contentType?: string) =>
        Effect.gen(function*() {
          const response = yield* get(
            emulator,
            `/v1/image/downloadUrl?jobId=${request.jobID}&imageId=${first.imgID}&type=preview${contentType === undefined ? "" : `&contentType=${contentType}`}`
          )
          assert.strictEqual(response.status, 200)
          return (yield* json(response)).data.downloadUrl as string
        })
      const earlyUrl = yield* previewUrl()
      assert.match(earlyUrl, /\.preview-2\.jpg\?/)
      yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID)
      const progress = client.events()
        .filter((e) => e.type === "jobProgress" && e.payload.jobID === request.jobID)
        .map((e) => e.payload as Protocol.JobProgress)
      assert.strictEqual(progress.length, 8)
      assert.deepStrictEqual(progress.filter((p) => p.hasImage === true).map((p) => p.step), [2, 4, 6])
      assert.deepStrictEqual([...previewSteps(8, 3)], [2, 4, 6])
      assert.deepStrictEqual([...previewSteps(4, 9)], [1, 2, 3], "never the last step, never twice the same")
      assert.strictEqual(previewSteps(8, 0).size, 0)

      // After the job finished, the latest preview is the one of step 6, as JPEG unless asked otherwise.
      const lateUrl = yield* previewUrl()
      assert.match(lateUrl, /\.preview-6\.jpg\?/)
      const late = yield* download(lateUrl)
      assert.strictEqual(late.contentType, "image/jpeg")
      const pngPreview = yield* download(yield* previewUrl("image/png"))
      assert.strictEqual(pngPreview.contentType, "image/png")
      assert.strictEqual((yield* http(lateUrl.replace(".preview-6.", ".preview-4."))).status, 403, "the step is signed into the URL")
      const finalUrl = (yield* json(
        yield* get(emulator, `/v1/image/downloadUrl?jobId=${request.jobID}&imageId=${first.imgID}&type=complete`)
      )).data.downloadUrl
      const final = PNG.sync.read(Buffer.from((yield* download(finalUrl)).data))
      const latePixels = jpeg.decode(late.data, { useTArray: true })
      const earlyPixels = jpeg.decode((yield* download(earlyUrl)).data, { useTArray: true })
      assert.deepStrictEqual([latePixels.width, latePixels.height], [final.width, final.height])
      const lateDistance = meanDifference(latePixels.data, final.data)
      const earlyDistance = meanDifference(earlyPixels.data, final.data)
      assert.isAbove(lateDistance, 2, "a preview is not the finished picture")
      assert.isAbove(earlyDistance, lateDistance * 1.5, "earlier previews are noisier")
    }), {}, 20_000)

  emulatorTest("has no previews for projects that asked for none, and refuses negative preview counts", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const { client, frames, imgIDs, request } = yield* runImage(emulator, "no-previews", { prompt: "a red door", count: 1 })
      assert.isTrue(frames.filter((e) => e.type === "jobProgress").every((e) => (e.payload as Protocol.JobProgress).hasImage !== true))
      const response = yield* get(emulator, `/v1/image/downloadUrl?jobId=${request.jobID}&imageId=${imgIDs[0]}&type=preview`)
      assert.strictEqual(response.status, 404)
      const negative = { ...imageRequest({ prompt: "x", count: 1 }), previews: -1 }
      client.send("jobRequest", negative)
      const refused = yield* client.next("jobError", (p) => p.jobID === negative.jobID)
      assert.strictEqual(refused.error, 4000)
      assert.match(refused.error_message ?? "", /previews must be a non-negative integer/)
    }))
})
