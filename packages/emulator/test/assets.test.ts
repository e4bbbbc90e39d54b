/**
 * Saved uploads (`/v1/assets`, rest.md §5.6) over real sockets: off by default (404, as the official
 * client expects of a server without them); when on, prepare → write-once PUT with the server's headers
 * → finalize (hash and magic bytes verified) → list → bind into a project slot → a project that uses
 * it; reuse by hash, quota, refusals; and the official client completing an image-to-video project
 * whose reference image went through the library.
 */
import { Protocol } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as Emulator from "../src/Emulator.js"
import * as Samples from "../src/Samples.js"
import { connect, emulatorTest, http, json, mp4Info, bytes, officialClient } from "./helpers.js"

const call = (emulator: Emulator.Service, method: string, path: string, body?: unknown) =>
  Effect.gen(function*() {
    const response = yield* http(`${emulator.url}${path}`, {
      method,
      headers: { "api-key": emulator.apiKey, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
    return { status: response.status, body: yield* json(response) }
  })

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex")

const save = (emulator: Emulator.Service, data: Uint8Array, contentType: string, name = "input") =>
  Effect.gen(function*() {
    const prepared = yield* call(emulator, "POST", "/v1/assets/prepare", { sha256: sha256(data), bytes: data.length, contentType, name })
    assert.strictEqual(prepared.status, 200, JSON.stringify(prepared.body))
    const p = prepared.body.data
    if (p.state === "uploading") {
      const put = yield* http(p.uploadUrl, { method: "PUT", body: Buffer.from(data), headers: p.uploadHeaders })
      assert.strictEqual(put.status, 200)
      const finalized = yield* call(emulator, "POST", `/v1/assets/${p.id}/finalize`, {})
      assert.strictEqual(finalized.status, 200, JSON.stringify(finalized.body))
      return { prepared: p, saved: finalized.body.data }
    }
    return { prepared: p, saved: p }
  })

describe("saved uploads", () => {
  emulatorTest("are off by default: every /v1/assets path answers 404", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      assert.strictEqual((yield* call(emulator, "GET", "/v1/assets/capabilities")).status, 404)
      assert.strictEqual((yield* call(emulator, "GET", "/v1/assets")).status, 404)
      assert.strictEqual((yield* call(emulator, "POST", "/v1/assets/prepare", {})).status, 404)
    }))

  emulatorTest("prepare, PUT, finalize, list, reuse by hash, bind into a project and delete", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const capabilities = yield* call(emulator, "GET", "/v1/assets/capabilities")
      assert.deepStrictEqual(capabilities, { status: 200, body: { status: "success", data: { enabled: true } } })
      const unauthenticated = yield* http(`${emulator.url}/v1/assets`)
      assert.strictEqual(unauthenticated.status, 401)

      const png = Samples.png({ width: 320, height: 192, prompt: "a saved reference" })
      const first = yield* save(emulator, png, "image/png", "poppies.png")
      assert.strictEqual(first.prepared.state, "uploading")
      assert.strictEqual(first.prepared.reused, false)
      assert.deepStrictEqual(first.prepared.uploadHeaders, { "Content-Type": "image/png" })
      assert.strictEqual(first.saved.state, "ready")
      assert.deepStrictEqual(
        [first.saved.name, first.saved.bytes, first.saved.contentType],
        ["poppies.png", png.length, "image/png"]
      )
      assert.isAbove(Date.parse(first.saved.expiresAt), Date.parse(first.saved.createdAt))
      // Write-once: a second PUT to the same URL is 412.
      const again = yield* http(first.prepared.uploadUrl, { method: "PUT", body: Buffer.from(png), headers: first.prepared.uploadHeaders })
      assert.strictEqual(again.status, 412)
      // The same bytes again: ready at once, no transfer.
      const reused = yield* save(emulator, png, "image/png", "poppies again")
      assert.strictEqual(reused.prepared.state, "ready")
      assert.strictEqual(reused.prepared.reused, true)
      assert.strictEqual(reused.prepared.id, first.saved.id)
      assert.isUndefined(reused.prepared.uploadUrl)

      const listed = yield* call(emulator, "GET", "/v1/assets")
      assert.deepStrictEqual(listed.body.data.assets.map((a: { id: string }) => a.id), [first.saved.id])
      assert.deepStrictEqual(Object.keys(listed.body.data.limits).sort(), ["bindingsPerDay", "bytes", "copyBytesPerDay", "entries", "fileBytes", "idleDays"])

      // Use it as the reference image of an i2v project: bind, then send the flag only.
      const client = yield* connect(emulator, { appId: "assets-i2v" })
      yield* client.next("authenticated")
      const jobID = Protocol.makeId()
      const bound = yield* call(emulator, "POST", `/v1/assets/${first.saved.id}/bind`, { projectId: jobID, type: "referenceImage" })
      assert.strictEqual(bound.status, 200, JSON.stringify(bound.body))
      client.send("jobRequest", {
        jobID,
        keyFrames: [{ modelID: "wan_v2.2-14b-fp8_i2v_lightx2v", positivePrompt: "poppies sway", frames: 17, fps: 16, hasReferenceImage: true, referenceImageContentType: "image/png" }],
        numberOfImages: 1,
        previews: 0,
        outputFormat: "mp4",
        tokenType: "spark",
        network: "fast"
      })
      yield* client.next("jobState", (p) => p.type === "jobCompleted" && p.jobID === jobID)
      // The bound file is what the project's slot holds.
      const back = yield* json(yield* http(`${emulator.url}/v1/image/downloadUrl?jobId=${jobID}&imageId=X&type=referenceImage`, { headers: { "api-key": emulator.apiKey } }))
      assert.deepStrictEqual(new Uint8Array(yield* bytes(yield* http(back.data.downloadUrl))), new Uint8Array(png))
      const late = yield* call(emulator, "POST", `/v1/assets/${first.saved.id}/bind`, { projectId: jobID, type: "referenceImage" })
      assert.strictEqual(late.status, 409, "binding happens before the request is sent")

      const wav = Samples.wav({ seconds: 2 })
      const audio = yield* save(emulator, wav, "audio/wav", "voice.wav")
      const wrongSlot = yield* call(emulator, "POST", `/v1/assets/${audio.saved.id}/bind`, { projectId: Protocol.makeId(), type: "referenceImage" })
      assert.strictEqual(wrongSlot.status, 400)
      assert.match(wrongSlot.body.message, /cannot go to the image slot/)
      const numbered = yield* call(emulator, "POST", `/v1/assets/${audio.saved.id}/bind`, { projectId: Protocol.makeId(), type: "referenceAudio", id: "referenceAudio2" })
      assert.strictEqual(numbered.status, 200)
      const badId = yield* call(emulator, "POST", `/v1/assets/${audio.saved.id}/bind`, { projectId: Protocol.makeId(), type: "referenceAudio", id: "referenceAudio7" })
      assert.strictEqual(badId.status, 400)

      assert.strictEqual((yield* call(emulator, "DELETE", `/v1/assets/${audio.saved.id}`)).status, 200)
      assert.strictEqual((yield* call(emulator, "DELETE", `/v1/assets/${audio.saved.id}`)).status, 404)
      assert.strictEqual((yield* call(emulator, "GET", "/v1/assets")).body.data.assets.length, 1)
    }), { savedUploads: true })

  emulatorTest("refuses bad prepares, wrong headers, short bodies and files whose hash or bytes do not match", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const png = Samples.png({ width: 64, height: 64 })
      const prepare = (body: Record<string, unknown>) => call(emulator, "POST", "/v1/assets/prepare", body)
      const good = { sha256: sha256(png), bytes: png.length, contentType: "image/png", name: "x" }
      assert.strictEqual((yield* prepare({ ...good, sha256: "abc" })).status, 400)
      assert.strictEqual((yield* prepare({ ...good, bytes: 200 * 1024 * 1024 })).status, 400)
      assert.match((yield* prepare({ ...good, contentType: "image/gif" })).body.message, /cannot be saved/)
      assert.strictEqual((yield* prepare({ ...good, name: "" })).status, 400)

      const p = (yield* prepare(good)).body.data
      const noHeaders = yield* http(p.uploadUrl, { method: "PUT", body: Buffer.from(png) })
      assert.strictEqual(noHeaders.status, 400, "the prepared headers are required")
      const short = yield* http(p.uploadUrl, { method: "PUT", body: Buffer.from(png.subarray(1)), headers: p.uploadHeaders })
      assert.strictEqual(short.status, 400)
      assert.strictEqual((yield* call(emulator, "POST", `/v1/assets/${p.id}/finalize`, {})).status, 409, "nothing uploaded yet")
      assert.strictEqual((yield* call(emulator, "POST", `/v1/assets/${p.id}/bind`, { projectId: "P", type: "startingImage" })).status, 409)
      const forged = yield* http(p.uploadUrl.replace(/sig=[^&]+/, "sig=forged"), { method: "PUT", body: Buffer.from(png), headers: p.uploadHeaders })
      assert.strictEqual(forged.status, 403)

      // Same length, different bytes: the hash check at finalize discards it.
      const other = Samples.png({ width: 64, height: 64, seed: 2 })
      const lying = (yield* prepare({ ...good, sha256: sha256(other), bytes: png.length, name: "liar" })).body.data
      const tampered = new Uint8Array(png)
      tampered[tampered.length - 20] ^= 0xff
      assert.strictEqual((yield* http(lying.uploadUrl, { method: "PUT", body: Buffer.from(tampered), headers: lying.uploadHeaders })).status, 200)
      const verdict = yield* call(emulator, "POST", `/v1/assets/${lying.id}/finalize`, {})
      assert.strictEqual(verdict.status, 422)
      assert.match(verdict.body.message, /SHA-256/)
      // Audio bytes declared as an image.
      const wav = Samples.wav({ seconds: 1 })
      const mislabeled = (yield* prepare({ sha256: sha256(wav), bytes: wav.length, contentType: "image/png", name: "not an image" })).body.data
      yield* http(mislabeled.uploadUrl, { method: "PUT", body: Buffer.from(wav), headers: mislabeled.uploadHeaders })
      const refused = yield* call(emulator, "POST", `/v1/assets/${mislabeled.id}/finalize`, {})
      assert.strictEqual(refused.status, 422)
      assert.match(refused.body.message, /audio\/wav, not image\/png/)
      assert.strictEqual((yield* call(emulator, "GET", "/v1/assets")).body.data.assets.length, 0, "nothing was saved")
    }), { savedUploads: true })

  emulatorTest("official client: an image-to-video project whose reference image goes through the library", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* officialClient("official-assets")
      yield* Effect.promise(() => client.projects.waitForModels())
      const png = Samples.png({ width: 320, height: 192, prompt: "a lighthouse" })
      const create = () =>
        Effect.promise(() =>
          client.projects.create({
            type: "video",
            network: "fast",
            modelId: "wan_v2.2-14b-fp8_i2v_lightx2v",
            positivePrompt: "the beam sweeps the fog",
            numberOfMedia: 1,
            duration: 1,
            fps: 16,
            referenceImage: Buffer.from(png),
            tokenType: "spark"
          })
        )
      const project = yield* create()
      const urls = yield* Effect.promise(() => project.waitForCompletion())
      assert.strictEqual(mp4Info(yield* bytes(yield* http(urls[0]!))).sampleCount, 17)
      const library = (yield* call(emulator, "GET", "/v1/assets")).body.data.assets
      assert.strictEqual(library.length, 1, "the client saved the reference image")
      assert.strictEqual(library[0].bytes, png.length)
      assert.strictEqual(library[0].contentType, "image/png")
      // A second project with the same image reuses the saved file.
      const second = yield* create()
      yield* Effect.promise(() => second.waitForCompletion())
      assert.strictEqual((yield* call(emulator, "GET", "/v1/assets")).body.data.assets.length, 1)
      const sent = (yield* emulator.control.getProject(second.id)).request as { keyFrames: Array<Record<string, unknown>> }
      assert.strictEqual(sent.keyFrames[0]!["hasReferenceImage"], true)
    }), { savedUploads: true }, 30_000)
})
