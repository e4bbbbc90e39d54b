/**
 * Video, audio and upload projects over the raw protocol: event order (with `jobETA` carrying `imgID`),
 * real MP4 / WAV / MP3 / FLAC downloads checked field by field, vendor `resultUrl`s, signed upload URLs
 * with magic-byte checks, missing uploads, every admission refusal, estimates that match the charge, and
 * the captured `jobRequest` in the control API.
 */
import { Protocol } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { encodeScene } from "../src/internal/landscape.js"
import {
  bytes,
  connect,
  emulatorTest,
  flacInfo,
  http,
  json,
  mp3Info,
  mp4Info,
  type RawClient,
  wavInfo
} from "./helpers.js"

const videoRequest = (options: {
  readonly modelId?: string
  readonly prompt?: string
  readonly frames?: number
  readonly fps?: number
  readonly steps?: number
  readonly width?: number
  readonly height?: number
  readonly count?: number
  readonly network?: "fast" | "relaxed"
  readonly outputFormat?: string
  readonly tokenType?: "spark" | "sogni"
  readonly extra?: Record<string, unknown>
}) => ({
  jobID: Protocol.makeId(),
  keyFrames: [{
    modelID: options.modelId ?? "wan_v2.2-14b-fp8_t2v_lightx2v",
    positivePrompt: options.prompt ?? "waves rolling onto a pebble beach",
    negativePrompt: "",
    seed: 4242,
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.fps !== undefined ? { fps: options.fps } : {}),
    ...(options.frames !== undefined ? { frames: options.frames } : {}),
    ...(options.width !== undefined ? { width: options.width, height: options.height } : {}),
    comfySampler: null,
    comfyScheduler: null,
    ...options.extra
  }],
  numberOfImages: options.count ?? 1,
  previews: 0,
  outputFormat: options.outputFormat ?? "mp4",
  tokenType: options.tokenType ?? "spark",
  network: options.network ?? "fast"
})

const audioRequest = (options: {
  readonly duration?: number
  readonly bpm?: number
  readonly outputFormat?: string
  readonly extra?: Record<string, unknown>
}) => ({
  jobID: Protocol.makeId(),
  keyFrames: [{
    modelID: "ace_step_1.5_turbo",
    positivePrompt: "mellow lo-fi piano",
    seed: 99,
    steps: 8,
    duration: options.duration ?? 10,
    bpm: options.bpm ?? 100,
    timesignature: "4",
    comfySampler: null,
    comfyScheduler: null,
    ...options.extra
  }],
  numberOfImages: 1,
  previews: 0,
  ...(options.outputFormat !== undefined ? { outputFormat: options.outputFormat } : {}),
  tokenType: "spark",
  network: "fast"
})

const label = (e: Protocol.ServerEvent) => {
  const p = e.payload as Record<string, unknown>
  return e.type === "jobState" ? `jobState:${p.type}` : e.type
}

/** Sends a request and waits for its end; returns its frames. */
const runProject = (client: RawClient, request: { readonly jobID: string }, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    client.send("jobRequest", request)
    yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID, timeoutMs)
    return client.events().filter((e) => (e.payload as { jobID?: string }).jobID === request.jobID)
  })

/** The refusal of a request: the project-level jobError it gets. */
const refusalOf = (client: RawClient, request: { readonly jobID: string }) =>
  Effect.gen(function*() {
    client.send("jobRequest", request)
    const error = yield* client.next("jobError", (p) => p.jobID === request.jobID.toUpperCase())
    assert.isUndefined(error.imgID, "a refusal is project-level")
    return error
  })

const results = (frames: ReadonlyArray<Protocol.ServerEvent>) =>
  frames.filter((e) => e.type === "jobResult").map((e) => e.payload as Protocol.JobResult)

const mediaUrl = (emulator: Emulator.Service, jobID: string, imgID: string, contentType?: string) =>
  Effect.gen(function*() {
    const query = new URLSearchParams({ jobId: jobID, id: imgID, type: "complete" })
    if (contentType !== undefined) query.set("contentType", contentType)
    const response = yield* http(`${emulator.url}/v1/media/downloadUrl?${query}`, {
      headers: { "api-key": emulator.apiKey }
    })
    assert.strictEqual(response.status, 200)
    return (yield* json(response)).data.downloadUrl as string
  })

const download = (url: string) =>
  Effect.gen(function*() {
    const response = yield* http(url)
    assert.strictEqual(response.status, 200, url)
    return { contentType: response.headers.get("content-type"), data: yield* bytes(response) }
  })

const pngBytes = () => encodeScene({ prompt: "a red barn", seed: 3, width: 64, height: 64 }, "png").bytes

const uploadUrl = (
  emulator: Emulator.Service,
  kind: "image" | "media",
  query: Record<string, string>
) =>
  Effect.gen(function*() {
    const response = yield* http(`${emulator.url}/v1/${kind}/uploadUrl?${new URLSearchParams(query)}`, {
      headers: { "api-key": emulator.apiKey }
    })
    return { status: response.status, body: yield* json(response) }
  })

const put = (url: string, data: Uint8Array, contentType?: string) =>
  http(url, { method: "PUT", body: Buffer.from(data), ...(contentType !== undefined ? { headers: { "content-type": contentType } } : {}) })

const sparkNet = (client: RawClient) =>
  Effect.map(client.next("balanceUpdate"), (b) => Number(b.spark.net))

describe("video projects", () => {
  emulatorTest("run WAN t2v with jobETA ticks carrying imgID and serve a real MP4", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "video-wan" })
      yield* client.next("authenticated")
      const request = videoRequest({ frames: 33, fps: 16, steps: 4 })
      const started = Date.now()
      const frames = yield* runProject(client, request)
      const elapsed = Date.now() - started
      assert.strictEqual(label(frames[0]!), "jobState:queued")
      assert.strictEqual(label(frames[frames.length - 1]!), "jobState:jobCompleted")
      const [result] = results(frames)
      assert.isDefined(result)
      const job = frames.filter((e) => (e.payload as { imgID?: string }).imgID === result!.imgID).map(label)
      assert.deepStrictEqual(job.slice(0, 3), ["jobState:initiatingModel", "jobState:jobStarted", "jobETA"])
      assert.strictEqual(job[job.length - 1], "jobResult")
      assert.deepStrictEqual(job.filter((l) => l === "jobProgress").length, 4)
      const etas = frames.filter((e) => e.type === "jobETA").map((e) => e.payload as Protocol.JobETA)
      assert.isAtLeast(etas.length, 2, "an initial ETA and at least one tick per simulated second")
      for (const eta of etas) assert.strictEqual(eta.imgID, result!.imgID)
      assert.isTrue(etas.every((e, i) => i === 0 || e.etaSeconds <= etas[i - 1]!.etaSeconds), "ETAs count down")
      const started0 = frames.find((e) => label(e) === "jobState:jobStarted")!.payload as { jobIndex?: number }
      assert.strictEqual(started0.jobIndex, 0)
      assert.strictEqual(result!.outputFormat, "mp4")
      assert.strictEqual(result!.performedStepCount, 4)
      assert.isUndefined(result!.resultUrl)
      assert.isBelow(elapsed, 3000, "a 2 s video at speed 2 finishes quickly")

      const url = yield* mediaUrl(emulator, request.jobID, result!.imgID)
      const file = yield* download(url)
      assert.strictEqual(file.contentType, "video/mp4")
      const info = mp4Info(file.data)
      assert.deepStrictEqual(info.topLevel, ["ftyp", "moov", "mdat"])
      assert.strictEqual(info.majorBrand, "isom")
      assert.strictEqual(info.avcProfile, 66, "H.264 Baseline")
      assert.strictEqual(info.sampleCount, 33)
      assert.strictEqual(info.mvhdTimescale, 1000)
      assert.strictEqual(info.mvhdDuration, Math.round((33 / 16) * 1000))
      assert.strictEqual(info.tkhdDuration, info.mvhdDuration)
      assert.strictEqual(info.mdhdDuration / info.mdhdTimescale, 33 / 16)
      assert.strictEqual(info.chunkOffset, info.mdatStart, "the chunk starts the mdat payload")
      assert.strictEqual(info.sampleBytes, info.mdatSize, "the samples fill the mdat")
      assert.strictEqual(info.syncSamples, 2, "an IDR picture every 2 s: frames 0 and 32")
      // WAN's default canvas is 832x480: the emulator renders 256 px wide at that aspect.
      assert.deepStrictEqual([info.width, info.height], [256, 148])
      assert.deepStrictEqual([info.avc1Width, info.avc1Height], [256, 148])
      // Deterministic per job, cached: a second download is byte-identical.
      const again = yield* download(url)
      assert.deepStrictEqual(again.data, file.data)
    }))

  emulatorTest("renders LTX at the requested aspect and WAN at 32 fps with interpolated frames", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "video-ltx" })
      yield* client.next("authenticated")
      const ltx = videoRequest({ modelId: "ltx23-22b-fp8_t2v_distilled", frames: 49, fps: 24, width: 1280, height: 720 })
      const wan32 = videoRequest({ frames: 17, fps: 32 })
      client.send("jobRequest", wan32)
      const ltxFrames = yield* runProject(client, ltx)
      yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === wan32.jobID)
      const ltxInfo = mp4Info((yield* download(yield* mediaUrl(emulator, ltx.jobID, results(ltxFrames)[0]!.imgID))).data)
      assert.deepStrictEqual([ltxInfo.width, ltxInfo.height, ltxInfo.sampleCount], [256, 144, 49])
      assert.strictEqual(ltxInfo.mdhdDuration / ltxInfo.mdhdTimescale, 49 / 24)
      const wanResult = client.events().find((e) => e.type === "jobResult" && e.payload.jobID === wan32.jobID)!
      const wanInfo = mp4Info(
        (yield* download(yield* mediaUrl(emulator, wan32.jobID, (wanResult.payload as Protocol.JobResult).imgID))).data
      )
      assert.strictEqual(wanInfo.sampleCount, 33, "17 generated frames interpolated to 33 at 32 fps")
      assert.strictEqual(wanInfo.mdhdDuration / wanInfo.mdhdTimescale, 33 / 32)
    }))

  emulatorTest("hosts vendor (Seedance) results at a signed resultUrl", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "video-vendor" })
      yield* client.next("authenticated")
      const request = videoRequest({ modelId: "seedance-2-0", frames: 97, fps: 24 })
      const frames = yield* runProject(client, request)
      const labels = frames.map(label)
      assert.notInclude(labels, "jobState:initiatingModel", "vendor renders do not load worker models")
      assert.include(labels, "jobETA")
      const progress = frames.filter((e) => e.type === "jobProgress").map((e) => e.payload as Protocol.JobProgress)
      assert.isTrue(progress.every((p) => p.step === undefined && typeof p.progress === "number"))
      assert.strictEqual(progress[progress.length - 1]!.progress, 1)
      const [result] = results(frames)
      assert.isString(result!.resultUrl)
      assert.isTrue(result!.resultUrl!.startsWith(`${emulator.url}/_media/${request.jobID}/`))
      assert.include(result!.resultUrl!, "sig=")
      const info = mp4Info((yield* download(result!.resultUrl!)).data)
      assert.strictEqual(info.sampleCount, 97)
      const record = yield* json(
        yield* http(`${emulator.url}/v1/projects/${request.jobID}`, { headers: { "api-key": emulator.apiKey } })
      )
      assert.match(record.data.project.completedWorkerJobs[0].resultUrl, /\/_media\//)
      const forged = result!.resultUrl!.replace(/sig=[^&]+/, "sig=forged")
      assert.strictEqual((yield* http(forged)).status, 403)
      // Vendor models are Spark-only.
      const sogni = yield* refusalOf(client, videoRequest({ modelId: "seedance-2-0", frames: 97, tokenType: "sogni" }))
      assert.match(sogni.error_message ?? "", /Spark only/)
    }))
})

describe("audio projects", () => {
  emulatorTest("serve WAV, MP3 and FLAC at the requested duration", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "audio-1" })
      yield* client.next("authenticated")
      const mp3 = audioRequest({ duration: 10 })
      const wav = audioRequest({ duration: 12, outputFormat: "wav" })
      const flac = audioRequest({ duration: 11, outputFormat: "flac" })
      client.send("jobRequest", wav)
      client.send("jobRequest", flac)
      const frames = yield* runProject(client, mp3)
      const [mp3Result] = results(frames)
      const labels = frames.filter((e) => (e.payload as { imgID?: string }).imgID === mp3Result!.imgID).map(label)
      assert.deepStrictEqual(labels, [
        "jobState:initiatingModel",
        "jobState:jobStarted",
        ...Array.from({ length: 8 }, () => "jobProgress"),
        "jobResult"
      ])
      assert.strictEqual(mp3Result!.outputFormat, "mp3", "mp3 is the default")
      const mp3File = yield* download(yield* mediaUrl(emulator, mp3.jobID, mp3Result!.imgID, "audio/mpeg"))
      assert.strictEqual(mp3File.contentType, "audio/mpeg")
      const mp3Stats = mp3Info(mp3File.data)
      assert.isAbove(mp3Stats.frames, 300)
      assert.strictEqual(mp3Stats.consumed, mp3Stats.size, "the file is nothing but MPEG audio frames")
      assert.closeTo(mp3Stats.duration, 10, 0.2)

      for (const request of [wav, flac]) {
        yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID)
      }
      const resultOf = (jobID: string) =>
        (client.events().find((e) => e.type === "jobResult" && e.payload.jobID === jobID)!.payload as Protocol.JobResult)
      assert.strictEqual(resultOf(wav.jobID).outputFormat, "wav")
      const wavFile = yield* download(yield* mediaUrl(emulator, wav.jobID, resultOf(wav.jobID).imgID, "audio/wav"))
      assert.strictEqual(wavFile.contentType, "audio/wav")
      const header = wavInfo(wavFile.data)
      assert.deepStrictEqual(
        [header.riff, header.wave, header.fmt, header.data, header.format, header.channels, header.bitsPerSample],
        ["RIFF", "WAVE", "fmt ", "data", 1, 1, 16]
      )
      assert.strictEqual(header.dataBytes, header.sampleRate * 2 * 12)
      assert.strictEqual(header.riffSize, header.fileSize - 8)
      const flacFile = yield* download(yield* mediaUrl(emulator, flac.jobID, resultOf(flac.jobID).imgID))
      assert.strictEqual(flacFile.contentType, "audio/flac")
      const streamInfo = flacInfo(flacFile.data)
      assert.strictEqual(streamInfo.marker, "fLaC")
      assert.strictEqual(streamInfo.totalSamples / streamInfo.sampleRate, 11)
      assert.deepStrictEqual([streamInfo.channels, streamInfo.bitsPerSample], [1, 16])
      // A video contentType for an audio result is refused.
      const wrong = yield* http(
        `${emulator.url}/v1/media/downloadUrl?jobId=${mp3.jobID}&id=${mp3Result!.imgID}&type=complete&contentType=image/png`,
        { headers: { "api-key": emulator.apiKey } }
      )
      assert.strictEqual(wrong.status, 400)
    }), {}, 20_000)
})

describe("uploads", () => {
  emulatorTest("accept PUTs checked by magic bytes and refuse unknown slots, wrong bytes and forged URLs", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const jobId = Protocol.makeId()
      const minted = yield* uploadUrl(emulator, "image", {
        imageId: Protocol.makeId(),
        jobId,
        type: "referenceImage",
        contentType: "image/png"
      })
      assert.strictEqual(minted.status, 200)
      const url = minted.body.data.uploadUrl as string
      assert.isTrue(url.startsWith(`${emulator.url}/_uploads/${jobId}/referenceImage?`))
      const text = new TextEncoder().encode("definitely not an image, just some text")
      const wrongBytes = yield* put(url, text, "image/png")
      assert.strictEqual(wrongBytes.status, 415)
      assert.match((yield* json(wrongBytes)).message, /not a recognised format/)
      const wav = new Uint8Array(64)
      wav.set(new TextEncoder().encode("RIFF"), 0)
      wav.set(new TextEncoder().encode("WAVE"), 8)
      assert.strictEqual((yield* put(url, wav)).status, 415, "audio bytes cannot go to an image slot")
      assert.strictEqual((yield* put(url, pngBytes(), "image/jpeg")).status, 415, "declared type must match the bytes")
      assert.strictEqual((yield* put(url, new Uint8Array(0))).status, 400)
      const forged = url.replace(/sig=[^&]+/, "sig=forged")
      assert.strictEqual((yield* put(forged, pngBytes(), "image/png")).status, 403)
      const accepted = yield* put(url, pngBytes(), "image/png")
      assert.strictEqual(accepted.status, 200)

      const unknownSlot = yield* uploadUrl(emulator, "image", { imageId: "X", jobId, type: "thumbnail" })
      assert.strictEqual(unknownSlot.status, 400)
      assert.match(unknownSlot.body.message, /Unknown image upload slot "thumbnail"/)
      const badId = yield* uploadUrl(emulator, "media", { jobId, type: "referenceAudio", id: "referenceAudio9" })
      assert.strictEqual(badId.status, 400)
      const badMedia = yield* uploadUrl(emulator, "media", { jobId, type: "referenceImage" })
      assert.strictEqual(badMedia.status, 400)
      const badType = yield* uploadUrl(emulator, "media", { jobId, type: "referenceAudio", contentType: "image/png" })
      assert.strictEqual(badType.status, 400)
      const unauthenticated = yield* http(`${emulator.url}/v1/image/uploadUrl?imageId=X&jobId=${jobId}&type=startingImage`)
      assert.strictEqual(unauthenticated.status, 401)

      const maskUrl = (yield* uploadUrl(emulator, "image", { imageId: "M", jobId, type: "referenceMask" })).body.data.uploadUrl
      const oversized = new Uint8Array(20 * 1024 * 1024 + 1)
      oversized.set(pngBytes())
      const tooBig = yield* http(maskUrl, { method: "PUT", body: Buffer.from(oversized), headers: { "content-type": "image/png" } })
      assert.strictEqual(tooBig.status, 413, "images are capped at 20 MiB")
      const audioUrl = (yield* uploadUrl(emulator, "media", { jobId, type: "referenceAudio" })).body.data.uploadUrl
      assert.strictEqual((yield* put(audioUrl, wav, "audio/wav")).status, 200)
      // Uploaded bytes can be fetched back through a download URL naming the slot.
      const back = yield* http(
        `${emulator.url}/v1/image/downloadUrl?jobId=${jobId}&imageId=X&type=referenceImage`,
        { headers: { "api-key": emulator.apiKey } }
      )
      const backFile = yield* download((yield* json(back)).data.downloadUrl)
      assert.strictEqual(backFile.contentType, "image/png")
      assert.deepStrictEqual(backFile.data, new Uint8Array(pngBytes()))
    }))

  emulatorTest("run i2v with an uploaded reference image and refuse a project whose upload is missing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "uploads-i2v" })
      yield* client.next("authenticated")
      const withImage = videoRequest({
        modelId: "wan_v2.2-14b-fp8_i2v_lightx2v",
        frames: 17,
        extra: { hasReferenceImage: true, referenceImageContentType: "image/png" }
      })
      const minted = yield* uploadUrl(emulator, "image", {
        imageId: Protocol.makeId(),
        jobId: withImage.jobID,
        type: "referenceImage"
      })
      assert.strictEqual((yield* put(minted.body.data.uploadUrl, pngBytes(), "image/png")).status, 200)
      const frames = yield* runProject(client, withImage)
      assert.strictEqual(results(frames).length, 1)

      const missing = videoRequest({ modelId: "wan_v2.2-14b-fp8_i2v_lightx2v", frames: 17, extra: { hasReferenceImage: true } })
      const refused = yield* refusalOf(client, missing)
      assert.strictEqual(refused.error, 4000)
      assert.match(refused.error_message ?? "", /hasReferenceImage.*referenceImage was uploaded/)
      const noAnchor = yield* refusalOf(client, videoRequest({ modelId: "wan_v2.2-14b-fp8_i2v_lightx2v", frames: 17 }))
      assert.match(noAnchor.error_message ?? "", /image-to-video/)
      const imageWithStart = {
        jobID: Protocol.makeId(),
        keyFrames: [{ modelID: "flux1-schnell-fp8", positivePrompt: "x", steps: 4, hasStartingImage: true }],
        numberOfImages: 1,
        tokenType: "spark"
      }
      const noStart = yield* refusalOf(client, imageWithStart)
      assert.match(noStart.error_message ?? "", /startingImage/)
      const audioClone = audioRequest({ extra: { hasReferenceAudio: true } })
      const noAudio = yield* refusalOf(client, audioClone)
      assert.match(noAudio.error_message ?? "", /referenceAudio.*\/v1\/media\/uploadUrl/)
    }))
})

describe("admission", () => {
  emulatorTest("refuses bad requests with a numeric code and a clear message, never crashing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "admission" })
      yield* client.next("authenticated")
      const cases: ReadonlyArray<readonly [string, unknown, number, RegExp]> = [
        ["unknown model", videoRequest({ modelId: "no-such-model" }), 4004, /no-such-model/],
        ["image format for a video model", videoRequest({ outputFormat: "png" }), 4000, /makes video.*asks for image/],
        ["video fields on an image model", {
          jobID: Protocol.makeId(),
          keyFrames: [{ modelID: "flux1-schnell-fp8", positivePrompt: "x", fps: 16, frames: 33 }],
          numberOfImages: 1,
          tokenType: "spark"
        }, 4000, /video parameter/],
        ["audio model asked for mp4", { ...audioRequest({}), outputFormat: "mp4" }, 4000, /makes audio/],
        ["video on relaxed", videoRequest({ network: "relaxed" }), 4007, /fast network only/],
        ["no keyFrames", { jobID: Protocol.makeId(), keyFrames: [], numberOfImages: 1 }, 4000, /no keyFrames/],
        ["keyFrames missing", { jobID: Protocol.makeId(), numberOfImages: 1 }, 4000, /Invalid jobRequest.*keyFrames/],
        ["zero outputs", videoRequest({ count: 0 }), 4000, /numberOfImages/],
        ["negative outputs", videoRequest({ count: -2 }), 4000, /numberOfImages/],
        ["steps above the tier", videoRequest({ steps: 40 }), 4000, /steps must be an integer in 2\.\.8/],
        ["steps as text", videoRequest({ extra: { steps: "many" } }), 4000, /steps must be a number/],
        ["WAN fps", videoRequest({ fps: 24 }), 4000, /WAN 2\.2 fps must be 16 or 32/],
        ["WAN frames", videoRequest({ frames: 400 }), 4000, /WAN 2\.2 frames/],
        ["LTX frames not 8n+1", videoRequest({ modelId: "ltx23-22b-fp8_t2v_distilled", frames: 120 }), 4000, /8n\+1/],
        ["LTX too long", videoRequest({ modelId: "ltx23-22b-fp8_t2v_distilled", frames: 1201, fps: 24 }), 4000, /1–20 s/],
        ["video too small", videoRequest({ width: 320, height: 240 }), 4000, /width must be an integer in 480/],
        ["mov output", videoRequest({ outputFormat: "mov" }), 4000, /not available/],
        ["t2v with an image", videoRequest({ extra: { hasReferenceImage: true } }), 4000, /text-to-video/],
        ["audio too short", audioRequest({ duration: 3 }), 4000, /duration must be 10–600/],
        ["audio bpm", audioRequest({ bpm: 900 }), 4000, /bpm/],
        ["audio format", audioRequest({ outputFormat: "ogg" }), 4000, /Unknown outputFormat "ogg"/],
        ["too many context images", {
          jobID: Protocol.makeId(),
          keyFrames: [{
            modelID: "qwen_image_edit_2511_fp8_lightning",
            positivePrompt: "merge",
            ...Object.fromEntries([1, 2, 3, 4].map((i) => [`hasContextImage${i}`, true]))
          }],
          numberOfImages: 1,
          tokenType: "spark"
        }, 4000, /at most 3 context images/],
        ["upscaler without a starting image", {
          jobID: Protocol.makeId(),
          keyFrames: [{ modelID: "rtx_vsr_pro", positivePrompt: "", steps: 1 }],
          numberOfImages: 1,
          tokenType: "spark"
        }, 4000, /rtx_vsr_pro transforms a starting image/],
        ["custom size beyond the model", {
          jobID: Protocol.makeId(),
          keyFrames: [{ modelID: "krea2_identity_edit_v1_2", positivePrompt: "x", sizePreset: "custom", width: 2560, height: 1024 }],
          numberOfImages: 1,
          tokenType: "spark"
        }, 4000, /outside 512\.\.2048/],
        ["WAN s2v without audio", videoRequest({ modelId: "wan_v2.2-14b-fp8_s2v_lightx2v", frames: 33, extra: { hasReferenceImage: true } }), 4000, /sound-to-video: it requires a referenceAudio/],
        ["WAN animate past 321 frames", videoRequest({ modelId: "wan_v2.2-14b-fp8_animate-move_lightx2v", frames: 337 }), 4000, /17\.\.321/],
        ["LTX 2.5 distilled steps are fixed", videoRequest({ modelId: "ltx25-22b-int8_t2v_distilled", steps: 12, width: 1920, height: 1088 }), 4000, /steps must be an integer in 8\.\.8/],
        ["H3 standard steps are fixed", videoRequest({ modelId: "minimax-h3-fl2va-fp8_t2v", steps: 4, frames: 124, fps: 24, width: 672, height: 384 }), 4000, /fixed 20 steps|8\.\.|20\.\.20/]
      ]
      for (const [name, request, code, message] of cases) {
        const refused = yield* refusalOf(client, request as { jobID: string })
        assert.strictEqual(refused.error, code, name)
        assert.match(refused.error_message ?? "", message, name)
      }
      yield* emulator.control.setBalance({ tokenType: "spark", amount: 1 })
      const poor = yield* refusalOf(client, videoRequest({}))
      assert.strictEqual(poor.error, 4024)
      assert.match(poor.error_message ?? "", /Insufficient spark balance/)
      // The connection still works after all of that.
      yield* emulator.control.setBalance({ tokenType: "spark", amount: 1000 })
      const ok = yield* runProject(client, videoRequest({ frames: 17 }))
      assert.strictEqual(results(ok).length, 1)
      assert.deepStrictEqual((yield* emulator.control.listProjects("admission")).map((p) => p.status), ["completed"])
    }))
})

describe("estimates", () => {
  emulatorTest("quote what admission charges for images, videos and audio", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "estimates" })
      yield* client.next("authenticated")
      const get = (path: string) =>
        Effect.flatMap(http(`${emulator.url}${path}`, { headers: { "api-key": emulator.apiKey } }), json)
      const image = yield* get("/api/v2/job/estimate/spark/fast/flux1-schnell-fp8/2/4/0/0/0/1024/1024")
      const imageSogni = yield* get("/api/v2/job/estimate/sogni/fast/flux1-schnell-fp8/2/4/0/0/0/1024/1024")
      assert.strictEqual(Number(imageSogni.quote.project.costInToken), 2 * Number(image.quote.project.costInToken))
      const doubleSteps = yield* get("/api/v2/job/estimate/spark/fast/flux1-schnell-fp8/2/8/0/0/0/1024/1024")
      assert.closeTo(Number(doubleSteps.quote.project.costInSpark), 2 * Number(image.quote.project.costInSpark), 1e-3)
      const relaxed = yield* get("/api/v2/job/estimate/spark/relaxed/flux1-schnell-fp8/2/4/0/0/0/1024/1024")
      assert.closeTo(Number(relaxed.quote.project.costInSpark), Number(image.quote.project.costInSpark) / 2, 1e-3)
      assert.strictEqual(relaxed.rate.networkCostMultiplier, "0.5")

      const video = yield* get("/api/v1/job-video/estimate/spark/wan_v2.2-14b-fp8_t2v_lightx2v/832/480/33/16/4/2?network=fast")
      const longer = yield* get("/api/v1/job-video/estimate/spark/wan_v2.2-14b-fp8_t2v_lightx2v/832/480/66/16/4/2")
      const bigger = yield* get("/api/v1/job-video/estimate/spark/wan_v2.2-14b-fp8_t2v_lightx2v/1280/960/33/16/4/2")
      assert.closeTo(Number(longer.quote.project.costInSpark), 2 * Number(video.quote.project.costInSpark), 1e-3)
      assert.isAbove(Number(bigger.quote.project.costInSpark), Number(video.quote.project.costInSpark))
      assert.isNumber(video.benchmark.estimatedRenderTimeSec)
      const audio = yield* get("/api/v1/job-audio/estimate/spark/ace_step_1.5_turbo/20/8/1?network=fast")
      const audio2 = yield* get("/api/v1/job-audio/estimate/spark/ace_step_1.5_turbo/40/8/1")
      assert.closeTo(Number(audio2.quote.project.costInSpark), 2 * Number(audio.quote.project.costInSpark), 1e-3)
      assert.strictEqual(
        (yield* http(`${emulator.url}/api/v1/job-audio/estimate/spark/flux1-schnell-fp8/20/8/1`)).status,
        400,
        "an image model has no audio estimate"
      )

      // Charged exactly as quoted: run the same requests and compare settled balances.
      let before = yield* sparkNet(client)
      for (const [request, quoted] of [
        [videoRequest({ frames: 33, fps: 16, steps: 4, count: 2, width: 832, height: 480 }), video],
        [audioRequest({ duration: 20 }), audio]
      ] as const) {
        client.send("jobRequest", request)
        yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === request.jobID)
        const after = yield* sparkNet(client)
        assert.closeTo(before - after, Number(quoted.quote.project.costInSpark), 1e-3)
        before = after
      }
      const charged = (yield* emulator.control.listProjects("estimates")).length
      assert.strictEqual(charged, 2)
    }))
})

describe("control API", () => {
  emulatorTest("captures each project's jobRequest as received", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "capture" })
      yield* client.next("authenticated")
      const request = { ...audioRequest({ duration: 10 }), customField: { nested: [1, 2, 3] } }
      yield* runProject(client, request)
      const info = yield* emulator.control.getProject(request.jobID)
      assert.deepStrictEqual(info.request, request)
      const listed = yield* emulator.control.listProjects("capture")
      assert.deepStrictEqual(listed[0]!.request, request)
    }))
})
