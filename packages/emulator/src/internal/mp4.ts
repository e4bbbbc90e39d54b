/**
 * A minimal ISO-BMFF (MP4) writer for one H.264 video track: `ftyp`, then `moov` (so players can start
 * before the end, "fast start"), then one `mdat` holding every sample as a single chunk.
 *
 * @internal
 */
import { concatBytes } from "./bytes.js"
import type { EncodedStream } from "./h264.js"

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))

const u8 = (...values: number[]) => Uint8Array.from(values)
const u16 = (value: number) => u8((value >>> 8) & 0xff, value & 0xff)
const u32 = (value: number) => u8((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff)
const zeros = (n: number) => new Uint8Array(n)

const concat = concatBytes

const box = (type: string, ...payload: ReadonlyArray<Uint8Array>): Uint8Array => {
  const body = concat(payload)
  return concat([u32(8 + body.length), ascii(type), body])
}

const fullBox = (type: string, version: number, flags: number, ...payload: ReadonlyArray<Uint8Array>) =>
  box(type, u8(version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff), ...payload)

const MATRIX = concat([u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000)])

/** Options of {@link muxMp4}. @internal */
export interface MuxOptions {
  readonly stream: EncodedStream
  readonly fps: number
}

/**
 * Muxes an encoded stream into an MP4 file (brand `isom`, one `avc1` track, constant frame rate).
 *
 * @internal
 */
export const muxMp4 = ({ fps, stream }: MuxOptions): Uint8Array => {
  const count = stream.samples.length
  const timescale = fps * 1000
  const delta = 1000
  const mediaDuration = count * delta
  const movieTimescale = 1000
  const movieDuration = Math.round((count * 1000) / fps)
  const ftyp = box("ftyp", ascii("isom"), u32(0x200), ascii("isom"), ascii("iso2"), ascii("avc1"), ascii("mp41"))

  const avcC = box(
    "avcC",
    u8(1, stream.sps[1]!, stream.sps[2]!, stream.sps[3]!, 0xff, 0xe1),
    u16(stream.sps.length),
    stream.sps,
    u8(1),
    u16(stream.pps.length),
    stream.pps
  )
  const compressor = zeros(32)
  const name = ascii("Sogni emulator H.264")
  compressor[0] = name.length
  compressor.set(name, 1)
  const avc1 = box(
    "avc1",
    zeros(6),
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved, pre_defined[3]
    u16(stream.width),
    u16(stream.height),
    u32(0x00480000),
    u32(0x00480000),
    u32(0),
    u16(1), // frame_count
    compressor,
    u16(0x18),
    u16(0xffff),
    avcC
  )
  const syncNumbers = stream.sync.flatMap((isSync, i) => (isSync ? [i + 1] : []))
  const stblWith = (chunkOffset: number) =>
    box(
      "stbl",
      fullBox("stsd", 0, 0, u32(1), avc1),
      fullBox("stts", 0, 0, u32(1), u32(count), u32(delta)),
      fullBox("stss", 0, 0, u32(syncNumbers.length), ...syncNumbers.map(u32)),
      fullBox("stsc", 0, 0, u32(1), u32(1), u32(count), u32(1)),
      fullBox("stsz", 0, 0, u32(0), u32(count), ...stream.samples.map((s) => u32(s.length))),
      fullBox("stco", 0, 0, u32(1), u32(chunkOffset))
    )
  const moovWith = (chunkOffset: number) =>
    box(
      "moov",
      fullBox(
        "mvhd",
        0,
        0,
        u32(0),
        u32(0),
        u32(movieTimescale),
        u32(movieDuration),
        u32(0x00010000), // rate 1.0
        u16(0x0100), // volume 1.0
        zeros(10),
        MATRIX,
        zeros(24),
        u32(2) // next_track_ID
      ),
      box(
        "trak",
        fullBox(
          "tkhd",
          0,
          3, // enabled, in movie
          u32(0),
          u32(0),
          u32(1), // track_ID
          u32(0),
          u32(movieDuration),
          zeros(8),
          u16(0), // layer
          u16(0), // alternate_group
          u16(0), // volume (video)
          u16(0),
          MATRIX,
          u32(stream.width * 0x10000),
          u32(stream.height * 0x10000)
        ),
        box(
          "mdia",
          fullBox("mdhd", 0, 0, u32(0), u32(0), u32(timescale), u32(mediaDuration), u16(0x55c4), u16(0)),
          fullBox("hdlr", 0, 0, u32(0), ascii("vide"), zeros(12), ascii("VideoHandler\0")),
          box(
            "minf",
            fullBox("vmhd", 0, 1, zeros(8)),
            box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1))),
            stblWith(chunkOffset)
          )
        )
      )
    )
  // The moov's size does not depend on the offset value, so measure it once with a placeholder.
  const moovSize = moovWith(0).length
  const dataOffset = ftyp.length + moovSize + 8
  const payload = concat(stream.samples)
  return concat([ftyp, moovWith(dataOffset), u32(8 + payload.length), ascii("mdat"), payload])
}
