/**
 * The video families beyond WAN 2.2, LTX t2v/i2v and Seedance (media.md §10.2): MiniMax H3, HappyHorse,
 * Wan 3, FlashVSR and LTX a2v / ia2v / v2v, over the raw protocol — what each renders (real MP4 at the
 * delivered canvas and frame count), how vendor jobs progress without steps, and the admission rules
 * the server applies per family, each refused with a message naming the field and the rule.
 */
import { Protocol } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Emulator from "../src/Emulator.js"
import { probeMp4 } from "../src/internal/mp4probe.js"
import * as Samples from "../src/Samples.js"
import { bytes, connect, emulatorTest, http, json, mp4Info, type RawClient } from "./helpers.js"

const request = (modelID: string, keyFrame: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  jobID: Protocol.makeId(),
  keyFrames: [{ modelID, positivePrompt: "a kite over the dunes", seed: 5, comfySampler: null, comfyScheduler: null, ...keyFrame }],
  numberOfImages: 1,
  previews: 0,
  outputFormat: "mp4",
  tokenType: "spark",
  network: "fast",
  ...envelope
})

const run = (client: RawClient, req: { readonly jobID: string }) =>
  Effect.gen(function*() {
    client.send("jobRequest", req)
    yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === req.jobID, 20_000)
    return client.events().filter((e) => (e.payload as { jobID?: string }).jobID === req.jobID)
  })

const refusal = (client: RawClient, req: { readonly jobID: string }) =>
  Effect.gen(function*() {
    client.send("jobRequest", req)
    const error = yield* client.next("jobError", (p) => p.jobID === req.jobID.toUpperCase())
    assert.isUndefined(error.imgID)
    return error
  })

/** Uploads bytes to a slot of a project id. */
const upload = (emulator: Emulator.Service, jobId: string, slot: string, data: Uint8Array, contentType: string) =>
  Effect.gen(function*() {
    const media = slot.startsWith("referenceAudio") || slot.startsWith("referenceVideo")
    const type = slot.replace(/\d$/, "")
    const query = new URLSearchParams(
      media
        ? { jobId, type, ...(type !== slot ? { id: slot } : {}) }
        : { jobId, type: slot, imageId: Protocol.makeId() }
    )
    const minted = yield* json(yield* http(`${emulator.url}/v1/${media ? "media" : "image"}/uploadUrl?${query}`, {
      headers: { "api-key": emulator.apiKey }
    }))
    const put = yield* http(minted.data.uploadUrl, { method: "PUT", body: Buffer.from(data), headers: { "content-type": contentType } })
    assert.strictEqual(put.status, 200, `${slot} upload`)
  })

const resultFile = (emulator: Emulator.Service, frames: ReadonlyArray<Protocol.ServerEvent>, jobID: string) =>
  Effect.gen(function*() {
    const result = frames.find((e) => e.type === "jobResult")!.payload as Protocol.JobResult
    const url = result.resultUrl ?? (yield* json(yield* http(
      `${emulator.url}/v1/media/downloadUrl?jobId=${jobID}&id=${result.imgID}&type=complete`,
      { headers: { "api-key": emulator.apiKey } }
    ))).data.downloadUrl
    const response = yield* http(url)
    assert.strictEqual(response.status, 200)
    assert.strictEqual(response.headers.get("content-type"), "video/mp4")
    return { result, data: yield* bytes(response) }
  })

const png = () => Samples.png({ width: 320, height: 192 })
const wav = () => Samples.wav({ seconds: 3 })

describe("video families", () => {
  emulatorTest("vendor HappyHorse and Wan 3 jobs progress by fraction, without steps, and deliver hosted MP4s", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "families-vendor" })
      yield* client.next("authenticated")
      for (const [model, frames, fps] of [["happyhorse-1.1-t2v", 73, 24], ["wan3.0-video", 61, 30]] as const) {
        const req = request(model, { frames, fps })
        const events = yield* run(client, req)
        const progress = events.filter((e) => e.type === "jobProgress").map((e) => e.payload as Protocol.JobProgress)
        assert.isAbove(progress.length, 1, model)
        assert.isTrue(progress.every((p) => p.step === undefined && typeof p.progress === "number"), model)
        assert.isTrue(progress.every((p, i) => i === 0 || p.progress! > progress[i - 1]!.progress!), `${model} progress grows`)
        assert.strictEqual(progress[progress.length - 1]!.progress, 1)
        const { data, result } = yield* resultFile(emulator, events, req.jobID)
        assert.isString(result.resultUrl, "vendor results are hosted")
        const info = mp4Info(data)
        assert.strictEqual(info.sampleCount, frames, model)
        assert.strictEqual(info.mdhdDuration / info.mdhdTimescale, frames / fps, model)
      }
    }), {}, 30_000)

  emulatorTest("MiniMax H3: grid frames at 24 fps, two-stage ids deliver twice the canvas, audio-guided ids need audio", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "families-h3" })
      yield* client.next("authenticated")
      const t2v = request("minimax-h3-fl2va-fp8_t2v_turbo", { frames: 141, fps: 24, width: 672, height: 384 })
      const events = yield* run(client, t2v)
      assert.strictEqual(events.filter((e) => e.type === "jobProgress").length, 4, "Turbo runs 4 steps")
      const t2vInfo = mp4Info((yield* resultFile(emulator, events, t2v.jobID)).data)
      assert.strictEqual(t2vInfo.sampleCount, 141)
      assert.deepStrictEqual([t2vInfo.width, t2vInfo.height], [256, 146], "672x384 at the render scale")

      const ia2v = request("minimax-h3-fastvideo-int8_ia2v_turbo_2stage", {
        frames: 124,
        fps: 24,
        width: 672,
        height: 384,
        audioStart: 0.5,
        hasReferenceImage: true,
        hasReferenceAudio: true
      })
      yield* upload(emulator, ia2v.jobID, "referenceImage", png(), "image/png")
      yield* upload(emulator, ia2v.jobID, "referenceAudio", wav(), "audio/wav")
      const staged = yield* run(client, ia2v)
      const record = yield* emulator.control.getProject(ia2v.jobID)
      assert.deepStrictEqual([record.width, record.height], [1344, 768], "two-stage doubles 672x384")
      assert.strictEqual(mp4Info((yield* resultFile(emulator, staged, ia2v.jobID)).data).sampleCount, 124)

      const cases: ReadonlyArray<readonly [string, ReturnType<typeof request>, RegExp]> = [
        ["fps", request("minimax-h3-fl2va-fp8_t2v_turbo", { frames: 124, fps: 30 }), /fps is fixed at 24/],
        ["off-grid frames", request("minimax-h3-fl2va-fp8_t2v_turbo", { frames: 125 }), /grid 124 \+ 17k/],
        ["canvas grid", request("minimax-h3-fl2va-fp8_t2v_turbo", { width: 680, height: 384 }), /multiples of 32/],
        ["pixel budget", request("minimax-h3-fl2va-fp8_t2v_turbo", { width: 1344, height: 1344 }), /exceeds 1032192 pixels/],
        ["fixed steps", request("minimax-h3-fl2va-fp8_flf2v", { steps: 8 }), /steps must be an integer in 20\.\.20/],
        ["guidance", request("minimax-h3-fl2va-fp8_t2v_turbo", { guidanceScale: 3 }), /guidance is fixed at 1/],
        ["negative prompt", request("minimax-h3-fl2va-fp8_t2v_turbo", { negativePrompt: "blur" }), /no negativePrompt/],
        ["audioDuration", request("minimax-h3-fl2va-fp8_t2v_turbo", { audioDuration: 5 }), /audioDuration is not accepted/],
        ["audioStart off audio-guided ids", request("minimax-h3-fl2va-fp8_t2v_turbo", { audioStart: 1 }), /only accepted by the audio-guided/],
        ["outputScale", request("minimax-h3-fl2va-fp8_t2v_turbo", { outputScale: 2 }), /outputScale is retired/],
        ["generateAudio false on audio guide", request("minimax-h3-fastvideo-int8_a2v_turbo", { generateAudio: false, hasReferenceAudio: true }), /generateAudio:false/],
        ["a2v without audio", request("minimax-h3-fastvideo-int8_a2v_turbo"), /requires a referenceAudio upload/],
        ["flf2v without end frame", request("minimax-h3-fl2va-fp8_flf2v", { hasReferenceImage: true }), /requires a referenceImage upload|requires a referenceImageEnd upload/],
        ["i2v with identity", request("minimax-h3-fl2va-fp8_i2v_turbo", { hasReferenceImage: true, hasReferenceAudioIdentity: true }), /no referenceAudioIdentity/],
        ["r2v without visuals", request("minimax-h3-ref2va-fp8_r2v_turbo", { hasReferenceAudio1: true }), /at least one visual reference/],
        ["r2v plain slots", request("minimax-h3-ref2va-fp8_r2v_turbo", { hasReferenceVideo: true }), /numbered slots/],
        ["r2v video durations", request("minimax-h3-ref2va-fp8_r2v_turbo", { hasReferenceVideo1: true, referenceVideo1DurationSeconds: 20 }), /referenceVideo1DurationSeconds must be in 2\.\.15/],
        ["URL references", request("minimax-h3-ref2va-fp8_r2v_turbo", { referenceImageURLs: ["https://cdn.example.test/a.png"] }), /does not take URL references/]
      ]
      for (const [name, req, message] of cases) {
        const refused = yield* refusal(client, req)
        assert.strictEqual(refused.error, 4000, name)
        assert.match(refused.error_message ?? "", message, name)
      }
    }), {}, 30_000)

  emulatorTest("LTX a2v / ia2v / v2v: required assets, ControlNet names and masks", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "families-ltx" })
      yield* client.next("authenticated")
      const v2v = request("ltx23-22b-fp8_v2v_distilled", {
        frames: 25,
        fps: 24,
        width: 640,
        height: 480,
        hasReferenceVideo: true,
        currentControlNetsJob: [{ name: "depth", controlStrength: 0.6 }]
      })
      yield* upload(emulator, v2v.jobID, "referenceVideo", Samples.video({ width: 320, height: 240, frames: 25, fps: 24 }), "video/mp4")
      const events = yield* run(client, v2v)
      const info = mp4Info((yield* resultFile(emulator, events, v2v.jobID)).data)
      assert.deepStrictEqual([info.width, info.height, info.sampleCount], [256, 192, 25])

      const cases: ReadonlyArray<readonly [string, ReturnType<typeof request>, RegExp]> = [
        ["a2v without audio", request("ltx23-22b-fp8_a2v_distilled", { frames: 49 }), /audio-to-video: it requires a referenceAudio upload/],
        ["a2v with an image", request("ltx23-22b-fp8_a2v_distilled", { frames: 49, hasReferenceImage: true, hasReferenceAudio: true }), /referenceImage is not accepted/],
        ["ia2v without image", request("ltx23-22b-fp8_ia2v_distilled", { frames: 49, hasReferenceAudio: true }), /requires a referenceImage upload/],
        ["v2v without video", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, currentControlNetsJob: [{ name: "canny" }] }), /requires a referenceVideo upload/],
        ["v2v with two ControlNets", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, currentControlNetsJob: [{ name: "canny" }, { name: "depth" }] }), /must be \[\{name, controlStrength\?\}\]/],
        ["v2v mask without inpaint", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, hasReferenceMask: true }), /only used by the inpaint ControlNet/],
        ["unknown ControlNet", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, currentControlNetsJob: [{ name: "sketch" }] }), /name must be one of canny, pose/],
        ["strength", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, currentControlNetsJob: [{ name: "canny", controlStrength: 1.5 }] }), /controlStrength must be in 0\.\.1/],
        ["inpaint without mask", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, currentControlNetsJob: [{ name: "inpaint" }] }), /inpaint ControlNet needs a referenceMask/],
        ["inpaint on LTX 2.3 distilled", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, hasReferenceMask: true, currentControlNetsJob: [{ name: "inpaint" }] }), /only on LTX 2\.5/],
        ["pose without image", request("ltx23-22b-fp8_v2v_distilled", { frames: 49, hasReferenceVideo: true, currentControlNetsJob: [{ name: "pose" }] }), /pose ControlNet needs a referenceImage/],
        ["ControlNet off v2v", request("ltx23-22b-fp8_t2v_distilled", { frames: 49, currentControlNetsJob: [{ name: "canny" }] }), /for LTX v2v only/],
        ["detailer strength", request("ltx23-22b-fp8_t2v_distilled", { frames: 49, detailerStrength: 2 }), /detailerStrength must be in 0\.\.1/],
        ["sam2Coordinates", request("ltx23-22b-fp8_t2v_distilled", { frames: 49, sam2Coordinates: "[]" }), /animate-replace only/]
      ]
      for (const [name, req, message] of cases) {
        const refused = yield* refusal(client, req)
        assert.strictEqual(refused.error, 4000, name)
        assert.match(refused.error_message ?? "", message, name)
      }
      // The asset rules look at the flags first; a flagged slot must also have been uploaded.
      const noUpload = yield* refusal(client, request("ltx23-22b-fp8_a2v_distilled", { frames: 49, hasReferenceAudio: true }))
      assert.match(noUpload.error_message ?? "", /no referenceAudio was uploaded/)
    }), {}, 30_000)

  emulatorTest("FlashVSR upscales the uploaded source to 1080p, keeping its timing, within the documented limits", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "families-flashvsr" })
      yield* client.next("authenticated")
      const source = Samples.video({ width: 960, height: 540, frames: 30, fps: 25 })
      assert.deepStrictEqual(probeMp4(source), { width: 960, height: 540, frames: 30, seconds: 30 / 25, fps: 25 })
      const req = request("flashvsr_v1.1_tiny_long_bf16", {
        positivePrompt: "",
        steps: 1,
        seed: 0,
        upscaleResolution: 1080,
        detailPreference: "stable",
        processingSpeed: "stable",
        hasReferenceVideo: true,
        referenceVideoContentType: "video/mp4"
      })
      yield* upload(emulator, req.jobID, "referenceVideo", source, "video/mp4")
      const events = yield* run(client, req)
      assert.strictEqual(events.filter((e) => e.type === "jobProgress").length, 1, "one step")
      const record = yield* emulator.control.getProject(req.jobID)
      assert.deepStrictEqual([record.width, record.height], [1920, 1080])
      const info = mp4Info((yield* resultFile(emulator, events, req.jobID)).data)
      assert.strictEqual(info.sampleCount, 30, "the source's frames")
      assert.strictEqual(info.mdhdDuration / info.mdhdTimescale, 30 / 25, "the source's timing")

      const small = request("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", upscaleResolution: 1440, hasReferenceVideo: true })
      yield* upload(emulator, small.jobID, "referenceVideo", source, "video/mp4")
      const cases: ReadonlyArray<readonly [string, ReturnType<typeof request>, RegExp]> = [
        ["more than 2x", small, /at most 2×: 1440p needs a source of at least 720 px/],
        ["a prompt", request("flashvsr_v1.1_tiny_long_bf16", { upscaleResolution: 1080, hasReferenceVideo: true }), /promptless/],
        ["two outputs", request("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", upscaleResolution: 1080 }, { numberOfImages: 2 }), /exactly one output/],
        ["resolution", request("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", upscaleResolution: 720 }), /upscaleResolution must be 1080 or 1440/],
        ["detail", request("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", upscaleResolution: 1080, detailPreference: "crisp" }), /detailPreference must be one of stable, sharper/],
        ["no source", request("flashvsr_v1.1_tiny_long_bf16", { positivePrompt: "", upscaleResolution: 1080 }), /requires a referenceVideo upload/]
      ]
      for (const [name, r, message] of cases) {
        const refused = yield* refusal(client, r)
        assert.strictEqual(refused.error, 4000, name)
        assert.match(refused.error_message ?? "", message, name)
      }
    }), {}, 30_000)

  emulatorTest("HappyHorse and Wan 3 reference rules: counts, https only, anchors, ratio, retired fields", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* connect(emulator, { appId: "families-vendor-rules" })
      yield* client.next("authenticated")
      const url = (n: number) => Array.from({ length: n }, (_, i) => `https://cdn.example.test/${i}.png`)
      const cases: ReadonlyArray<readonly [string, ReturnType<typeof request>, RegExp]> = [
        ["HappyHorse i2v two images", request("happyhorse-1.1-i2v", { frames: 73, referenceImageURLs: url(2) }), /exactly 1 reference image/],
        ["HappyHorse r2v none", request("happyhorse-1.1-r2v", { frames: 73 }), /1–9 reference images/],
        ["HappyHorse r2v ten", request("happyhorse-1.1-r2v", { frames: 73, referenceImageURLs: url(10) }), /1–9 reference images/],
        ["HappyHorse video", request("happyhorse-1.1-r2v", { frames: 73, referenceImageURLs: url(1), referenceVideoURLs: ["https://cdn.example.test/v.mp4"] }), /image references only/],
        ["HappyHorse fps", request("happyhorse-1.1-t2v", { frames: 73, fps: 30 }), /fps is fixed at 24/],
        ["HappyHorse too short", request("happyhorse-1.1-t2v", { frames: 49 }), /73\.\.361/],
        ["http URL", request("happyhorse-1.1-i2v", { frames: 73, referenceImageURLs: ["http://cdn.example.test/a.png"] }), /must be https/],
        ["Wan 3 fps", request("wan3.0-video", { frames: 61, fps: 24 }), /fixed at 30/],
        ["Wan 3 eleven images", request("wan3.0-video", { frames: 61, referenceImageURLs: url(11) }), /at most 10 reference image URLs/],
        ["Wan 3 ratio", request("wan3.0-video", { frames: 61, ratio: "2:1" }), /ratio must be one of adaptive/],
        ["Wan 3 seed", request("wan3.0-video", { frames: 61, seed: 4_000_000_000 }), /seed must be in 0\.\.2147483647/],
        ["Wan 3 smartDuration", request("wan3.0-video", { frames: 61, smartDuration: true }), /smartDuration is retired/],
        ["Wan 3 file and link", request("wan3.0-video", { frames: 61, referenceFileURL: "https://a.test/f.pdf", referenceLinkURL: "https://a.test" }), /not both/],
        ["Wan 3 Enhanced link", request("wan3.0-spicy-video", { frames: 61, referenceLinkURL: "https://a.test" }), /Enhanced does not accept referenceLinkURL/],
        ["Wan 3 end frame alone", request("wan3.0-video", { frames: 61, hasReferenceImageEnd: true }), /needs a start frame/],
        ["Wan 3 mask", request("wan3.0-video", { frames: 61, hasReferenceMask: true }), /no referenceMask/]
      ]
      for (const [name, req, message] of cases) {
        const refused = yield* refusal(client, req)
        assert.strictEqual(refused.error, 4000, name)
        assert.match(refused.error_message ?? "", message, name)
      }
      const anchored = request("wan3.0-video", { frames: 61, hasReferenceImage: true, referenceImageURLs: url(1) })
      yield* upload(emulator, anchored.jobID, "referenceImage", png(), "image/png")
      assert.match((yield* refusal(client, anchored)).error_message ?? "", /frame anchors .* cannot be combined/)
      const r2v = request("happyhorse-1.1-r2v", { frames: 73, referenceImageURLs: url(3) })
      const done = yield* run(client, r2v)
      assert.strictEqual(done.filter((e) => e.type === "jobResult").length, 1, "URL references need no upload")
    }), {}, 30_000)
})
