/**
 * Unit tests of the pure-TS media writers: Exp-Golomb bits, NAL emulation prevention, the H.264 stream
 * inside the MP4 (SPS fields and slice headers read back with an independent bit reader), determinism
 * of videos and tunes, and the WAV/FLAC writers.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { encodeFlac, encodeWav, SAMPLE_RATE, synthesize } from "../src/internal/audio.js"
import { BitWriter, nalUnit } from "../src/internal/h264.js"
import { encodeVideo, videoFrameSize } from "../src/internal/video.js"
import { findBox, flacInfo, mp4Boxes, mp4Info, wavInfo } from "./helpers.js"

const bits = (data: Uint8Array, count: number) =>
  [...data].map((b) => b.toString(2).padStart(8, "0")).join("").slice(0, count)

/** Removes emulation-prevention bytes (00 00 03 → 00 00). */
const unescape = (nal: Uint8Array): Uint8Array => {
  const out: number[] = []
  let zeros = 0
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0
      continue
    }
    out.push(b)
    zeros = b === 0 ? zeros + 1 : 0
  }
  return Uint8Array.from(out)
}

/** An independent Exp-Golomb reader. */
const reader = (data: Uint8Array) => {
  let pos = 0
  const u = (n: number) => {
    let v = 0
    for (let i = 0; i < n; i++) {
      v = v * 2 + ((data[pos >> 3]! >> (7 - (pos & 7))) & 1)
      pos++
    }
    return v
  }
  const ue = () => {
    let zeros = 0
    while (u(1) === 0) zeros++
    return 2 ** zeros - 1 + u(zeros)
  }
  return { u, ue }
}

/** The NAL units of one length-prefixed sample. */
const nals = (sample: Uint8Array) => {
  const view = new DataView(sample.buffer, sample.byteOffset, sample.byteLength)
  const out: Uint8Array[] = []
  for (let at = 0; at < sample.length;) {
    const length = view.getUint32(at)
    out.push(sample.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return out
}

describe("H.264 writer", () => {
  it.effect("writes Exp-Golomb codes and inserts emulation-prevention bytes", () =>
    Effect.sync(() => {
      const w = new BitWriter().ue(0).ue(1).ue(2).ue(3).se(1).se(-1).se(2).trailing()
      assert.strictEqual(bits(w.finish(), 26), "1" + "010" + "011" + "00100" + "010" + "011" + "00100" + "1")
      assert.deepStrictEqual([...nalUnit(5, 3, Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0, 4]))], [
        0x65, 0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 4
      ])
    }))

  it.effect("produces an MP4 whose SPS, slices and sync samples read back as written", () =>
    Effect.sync(() => {
      const mp4 = encodeVideo({ prompt: "a windmill on a hill", seed: 5, width: 832, height: 480, frames: 50, fps: 24 })
      const info = mp4Info(mp4)
      const { height, width } = videoFrameSize(832, 480)
      assert.deepStrictEqual([info.width, info.height, info.sampleCount], [width, height, 50])
      const boxes = mp4Boxes(mp4)
      const avcC = findBox(boxes, "moov/trak/mdia/minf/stbl/stsd/avc1/avcC")!
      const spsLength = (mp4[avcC.start + 6]! << 8) | mp4[avcC.start + 7]!
      const sps = unescape(mp4.subarray(avcC.start + 8, avcC.start + 8 + spsLength))
      assert.strictEqual(sps[0]! & 31, 7)
      const r = reader(sps.subarray(1))
      assert.deepStrictEqual([r.u(8), r.u(8), r.u(8)], [66, 0xc0, 30])
      assert.strictEqual(r.ue(), 0) // sps id
      const log2MaxFrameNum = r.ue() + 4
      assert.strictEqual(r.ue(), 2) // picture order count type
      assert.strictEqual(r.ue(), 1) // reference frames
      r.u(1)
      const codedWidth = (r.ue() + 1) * 16
      const codedHeight = (r.ue() + 1) * 16
      assert.deepStrictEqual([r.u(1), r.u(1)], [1, 1]) // frame_mbs_only, direct_8x8_inference
      const cropped = r.u(1) === 1
      const crop = cropped ? [r.ue(), r.ue(), r.ue(), r.ue()] : [0, 0, 0, 0]
      assert.strictEqual(codedWidth - 2 * (crop[0]! + crop[1]!), width)
      assert.strictEqual(codedHeight - 2 * (crop[2]! + crop[3]!), height)

      // Samples: IDR at 0 and 48 (every 2 s at 24 fps), P slices between; no start-code emulation inside NALs.
      const view = new DataView(mp4.buffer, mp4.byteOffset, mp4.byteLength)
      const stsz = findBox(boxes, "moov/trak/mdia/minf/stbl/stsz")!
      let at = info.chunkOffset
      const types: number[] = []
      for (let i = 0; i < info.sampleCount; i++) {
        const size = view.getUint32(stsz.start + 12 + i * 4)
        const [nal] = nals(mp4.subarray(at, at + size))
        types.push(nal![0]! & 31)
        let emulated = -1
        for (let k = 2; k < nal!.length && emulated < 0; k++) {
          if (nal![k - 2] === 0 && nal![k - 1] === 0 && nal![k]! <= 2) emulated = k
        }
        assert.strictEqual(emulated, -1, `start-code emulation in sample ${i}`)
        const slice = reader(unescape(nal!).subarray(1))
        assert.strictEqual(slice.ue(), 0, "first_mb_in_slice")
        assert.strictEqual(slice.ue(), i % 48 === 0 ? 7 : 5, `slice_type of sample ${i}`)
        assert.strictEqual(slice.ue(), 0, "pps id")
        assert.strictEqual(slice.u(log2MaxFrameNum), i % 48, `frame_num of sample ${i}`)
        at += size
      }
      assert.deepStrictEqual(types.flatMap((t, i) => (t === 5 ? [i] : [])), [0, 48])
      assert.isTrue(types.every((t) => t === 5 || t === 1))
      assert.strictEqual(info.syncSamples, 2)
    }))

  it.effect("is deterministic in prompt and seed, and keeps files small", () =>
    Effect.sync(() => {
      const spec = { prompt: "a red desert", seed: 9, width: 1280, height: 720, frames: 121, fps: 24 }
      const a = encodeVideo(spec)
      assert.deepStrictEqual(encodeVideo(spec), a)
      assert.notDeepEqual(encodeVideo({ ...spec, seed: 10 }), a)
      assert.notDeepEqual(encodeVideo({ ...spec, prompt: "a blue glacier" }), a)
      assert.isBelow(a.length, 1_000_000, "5 s at 256x144 stays well under a megabyte")
      assert.deepStrictEqual(videoFrameSize(720, 1280), { width: 144, height: 256 })
    }))
})

describe("audio writers", () => {
  it.effect("synthesize deterministic tunes and write consistent WAV and FLAC headers", () =>
    Effect.sync(() => {
      const spec = { prompt: "a waltz", seed: 1, duration: 3, bpm: 90, beatsPerBar: 3 }
      const samples = synthesize(spec)
      assert.strictEqual(samples.length, 3 * SAMPLE_RATE)
      assert.deepStrictEqual(synthesize(spec), samples)
      assert.notDeepEqual(synthesize({ ...spec, seed: 2 }), samples)
      assert.isAbove(samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0), 3000, "audible")
      const wav = wavInfo(encodeWav(samples))
      assert.deepStrictEqual([wav.sampleRate, wav.dataBytes, wav.riffSize], [SAMPLE_RATE, samples.length * 2, wav.fileSize - 8])
      const flac = encodeFlac(samples)
      assert.deepStrictEqual(flacInfo(flac), {
        marker: "fLaC",
        sampleRate: SAMPLE_RATE,
        channels: 1,
        bitsPerSample: 16,
        totalSamples: samples.length
      })
      // First frame header: sync code, then verbatim samples of the first block.
      assert.deepStrictEqual([flac[42], flac[43]], [0xff, 0xf8])
    }))
})
