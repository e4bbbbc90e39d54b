/**
 * The emulator's "rendered" music: a small deterministic tune (a scale and a melody from the prompt and
 * seed, at the requested tempo and length: a plucked lead, a bass note per bar and a soft kick on each
 * beat), as mono 16-bit PCM at {@link SAMPLE_RATE} Hz, encoded as WAV, FLAC (verbatim subframes) or MP3
 * (LAME through `@breezystack/lamejs`).
 *
 * @internal
 */
import { Mp3Encoder } from "@breezystack/lamejs"
import { concatBytes } from "./bytes.js"
import { hashString, prng } from "./landscape.js"

/** Sample rate of every emulator track (MP3: MPEG-2 Layer III). @internal */
export const SAMPLE_RATE = 24_000

/** MP3 bit rate in kbit/s. @internal */
export const MP3_KBPS = 64

/** What a track depends on. @internal */
export interface AudioSpec {
  readonly prompt: string
  readonly seed: number
  /** Seconds. */
  readonly duration: number
  readonly bpm: number
  /** Beats per bar. */
  readonly beatsPerBar: number
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11]
const MINOR = [0, 2, 3, 5, 7, 8, 10]

/**
 * Synthesizes the track's samples.
 *
 * @internal
 */
export const synthesize = (spec: AudioSpec): Int16Array => {
  const total = Math.max(1, Math.round(spec.duration * SAMPLE_RATE))
  const out = new Int16Array(total)
  const palette = prng(hashString(spec.prompt.trim().toLowerCase()))
  const rand = prng(hashString(spec.prompt) ^ Math.imul(spec.seed >>> 0, 0x9e3779b1))
  const root = 48 + Math.floor(palette() * 12) // MIDI C3..B3
  const scale = palette() < 0.5 ? MAJOR : MINOR
  const beat = 60 / Math.max(1, spec.bpm)
  const bar = beat * Math.max(1, spec.beatsPerBar)
  // A 2-bar motif of eighth notes, repeated with variations.
  const motifLength = 4 * Math.max(1, spec.beatsPerBar)
  const motif = Array.from({ length: motifLength }, () => (rand() < 0.18 ? -1 : Math.floor(rand() * 10)))
  const freq = (midi: number) => 440 * Math.pow(2, (midi - 69) / 12)
  const degree = (d: number) => root + 12 + scale[d % 7]! + 12 * Math.floor(d / 7)
  const eighth = beat / 2
  const samplesPerEighth = eighth * SAMPLE_RATE
  const fadeOut = Math.min(1, spec.duration / 4)
  for (let i = 0; i < total; i++) {
    const t = i / SAMPLE_RATE
    const step = Math.floor(i / samplesPerEighth)
    const inNote = (i - step * samplesPerEighth) / SAMPLE_RATE
    const barIndex = Math.floor(t / bar)
    const note = motif[step % motifLength]!
    let s = 0
    if (note >= 0) {
      const f = freq(degree(note + (barIndex % 4 === 3 ? 2 : 0)))
      const env = Math.exp(-inNote * 7) * Math.min(1, inNote * 400)
      s += 0.32 * env * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t))
    }
    const bassDegree = [0, 5, 3, 4][barIndex % 4]!
    const bf = freq(root - 12 + scale[bassDegree % 7]!)
    s += 0.22 * Math.sin(2 * Math.PI * bf * t)
    const inBeat = t % beat
    s += 0.35 * Math.exp(-inBeat * 30) * Math.sin(2 * Math.PI * (55 + 90 * Math.exp(-inBeat * 40)) * inBeat)
    const tail = spec.duration - t
    const gain = Math.min(1, t * 20, tail / fadeOut)
    out[i] = Math.max(-32767, Math.min(32767, Math.round(s * gain * 20000)))
  }
  return out
}

/** A WAV file (RIFF, PCM, mono, 16-bit). @internal */
export const encodeWav = (samples: Int16Array): Uint8Array => {
  const dataBytes = samples.length * 2
  const out = new Uint8Array(44 + dataBytes)
  const view = new DataView(out.buffer)
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
  }
  text(0, "RIFF")
  view.setUint32(4, 36 + dataBytes, true)
  text(8, "WAVE")
  text(12, "fmt ")
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true) // PCM
  view.setUint16(22, 1, true) // channels
  view.setUint32(24, SAMPLE_RATE, true)
  view.setUint32(28, SAMPLE_RATE * 2, true) // byte rate
  view.setUint16(32, 2, true) // block align
  view.setUint16(34, 16, true) // bits per sample
  text(36, "data")
  view.setUint32(40, dataBytes, true)
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, samples[i]!, true)
  return out
}

const crc8Table = (() => {
  const table = new Uint8Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff
    table[i] = c
  }
  return table
})()
const crc16Table = (() => {
  const table = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff
    table[i] = c
  }
  return table
})()
const crc8 = (data: Uint8Array, from: number, to: number) => {
  let c = 0
  for (let i = from; i < to; i++) c = crc8Table[c ^ data[i]!]!
  return c
}
const crc16 = (data: Uint8Array, from: number, to: number) => {
  let c = 0
  for (let i = from; i < to; i++) c = ((c << 8) & 0xffff) ^ crc16Table[(c >>> 8) ^ data[i]!]!
  return c
}

/** UTF-8-style coding of a FLAC frame number. */
const utf8Number = (n: number): number[] => {
  if (n < 0x80) return [n]
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)]
  if (n < 0x10000) return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)]
  return [0xf0 | (n >> 18), 0x80 | ((n >> 12) & 0x3f), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)]
}

const FLAC_BLOCK = 4096

/**
 * A FLAC file: STREAMINFO, then fixed-size frames of 4096 samples with verbatim subframes (valid, not
 * compressed: the point is a file players and tools accept).
 *
 * @internal
 */
export const encodeFlac = (samples: Int16Array): Uint8Array => {
  const frames = Math.ceil(samples.length / FLAC_BLOCK)
  const out = new Uint8Array(4 + 4 + 34 + frames * (16 + FLAC_BLOCK * 2 + 2))
  let at = 0
  const put = (...bytes: number[]) => {
    for (const b of bytes) out[at++] = b & 0xff
  }
  put(0x66, 0x4c, 0x61, 0x43) // "fLaC"
  put(0x80, 0, 0, 34) // last metadata block, STREAMINFO, length 34
  const minBlock = frames > 1 ? FLAC_BLOCK : samples.length
  put(minBlock >> 8, minBlock, FLAC_BLOCK >> 8, FLAC_BLOCK) // min/max block size
  put(0, 0, 0, 0, 0, 0) // min/max frame size unknown
  // sample rate (20 bits), channels − 1 (3 bits), bits per sample − 1 (5 bits), total samples (36 bits)
  const total = samples.length
  put(SAMPLE_RATE >> 12, SAMPLE_RATE >> 4, ((SAMPLE_RATE & 0xf) << 4) | (0 << 1) | (15 >> 4))
  put(((15 & 0xf) << 4) | Math.floor(total / 2 ** 32) & 0xf, total >>> 24, total >>> 16, total >>> 8, total)
  at += 16 // MD5 of the samples: zero means "not computed"
  for (let f = 0; f < frames; f++) {
    const start = at
    const count = Math.min(FLAC_BLOCK, samples.length - f * FLAC_BLOCK)
    put(0xff, 0xf8) // sync, fixed block size
    const blockCode = count === FLAC_BLOCK ? 0xc : 0x7 // 4096, or "16-bit count − 1 at the end of the header"
    put((blockCode << 4) | 0x0) // sample rate from STREAMINFO
    put((0 << 4) | (4 << 1) | 0) // mono, 16 bits per sample
    put(...utf8Number(f))
    if (blockCode === 0x7) put((count - 1) >> 8, count - 1)
    put(crc8(out, start, at))
    put(0x02) // subframe: verbatim, no wasted bits
    for (let i = 0; i < count; i++) {
      const s = samples[f * FLAC_BLOCK + i]!
      put(s >> 8, s)
    }
    const crc = crc16(out, start, at)
    put(crc >> 8, crc)
  }
  return out.slice(0, at)
}

const MP3_CHUNK = 1152 * 20

/**
 * An MP3 file, encoded in chunks; `yieldEvery` is awaited between chunks so a long track does not block
 * the event loop.
 *
 * @internal
 */
export const encodeMp3 = async (samples: Int16Array, yieldEvery: () => Promise<void>): Promise<Uint8Array> => {
  const encoder = new Mp3Encoder(1, SAMPLE_RATE, MP3_KBPS)
  const parts: Uint8Array[] = []
  for (let i = 0; i < samples.length; i += MP3_CHUNK) {
    parts.push(encoder.encodeBuffer(samples.subarray(i, i + MP3_CHUNK)))
    await yieldEvery()
  }
  parts.push(encoder.flush())
  return concatBytes(parts)
}

/** Content type of each audio format. @internal */
export const AUDIO_CONTENT_TYPE: Readonly<Record<string, string>> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  flac: "audio/flac"
}

/**
 * Renders and encodes a track.
 *
 * @internal
 */
export const encodeAudio = async (
  spec: AudioSpec,
  format: "mp3" | "wav" | "flac",
  yieldEvery: () => Promise<void>
): Promise<Uint8Array> => {
  const samples = synthesize(spec)
  switch (format) {
    case "wav":
      return encodeWav(samples)
    case "flac":
      return encodeFlac(samples)
    case "mp3":
      return encodeMp3(samples, yieldEvery)
  }
}
