import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Sniff from "../src/Sniff.js"

const bytes = (...parts: ReadonlyArray<string | ReadonlyArray<number>>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : [...p])))

const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
const be16 = (n: number) => [(n >>> 8) & 0xff, n & 0xff]

/** PNG signature + IHDR chunk header with the given size. */
const png = (width: number, height: number) =>
  bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], be32(13), "IHDR", be32(width), be32(height), [8, 6, 0, 0, 0], be32(0))

/** SOI, an APP0 segment, a DQT-free SOF0 with the given size, EOI. */
const jpeg = (width: number, height: number) =>
  bytes(
    [0xff, 0xd8],
    [0xff, 0xe0], be16(16), "JFIF", [0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
    [0xff, 0xc0], be16(11), [8], be16(height), be16(width), [1, 1, 0x11, 0],
    [0xff, 0xd9]
  )

const wav = bytes("RIFF", be32(36), "WAVE", "fmt ", be32(16))
const mp3Id3 = bytes("ID3", [4, 0, 0, 0, 0, 0, 0])
const mp3Frame = bytes([0xff, 0xfb, 0x90, 0x64])
const mp4 = bytes(be32(24), "ftyp", "isom", be32(512), "isommp41")
const mov = bytes(be32(20), "ftyp", "qt  ", be32(0x20050300), "qt  ")
const m4a = bytes(be32(24), "ftyp", "M4A ", be32(0), "M4A mp42")
const webp = bytes("RIFF", be32(100), "WEBP", "VP8 ")
const gif = bytes("GIF89a", [1, 0, 1, 0, 0, 0])

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64")

describe("Sniff.sniff (media.md §9.4)", () => {
  it("detects each documented container from real headers", () => {
    assert.deepStrictEqual(Sniff.sniff(png(2, 3)), Option.some("image/png"))
    assert.deepStrictEqual(Sniff.sniff(jpeg(2, 3)), Option.some("image/jpeg"))
    assert.deepStrictEqual(Sniff.sniff(webp), Option.some("image/webp"))
    assert.deepStrictEqual(Sniff.sniff(gif), Option.some("image/gif"))
    assert.deepStrictEqual(Sniff.sniff(mp4), Option.some("video/mp4"))
    assert.deepStrictEqual(Sniff.sniff(mov), Option.some("video/quicktime"))
    assert.deepStrictEqual(Sniff.sniff(m4a), Option.some("audio/mp4"))
    assert.deepStrictEqual(Sniff.sniff(wav), Option.some("audio/wav"))
    assert.deepStrictEqual(Sniff.sniff(mp3Id3), Option.some("audio/mpeg"))
    assert.deepStrictEqual(Sniff.sniff(mp3Frame), Option.some("audio/mpeg"))
  })

  it("needs 12 bytes for the 12-byte signatures, 3 for ID3 and 2 for a frame sync", () => {
    assert.isTrue(Option.isNone(Sniff.sniff(png(1, 1).subarray(0, 11))))
    assert.isTrue(Option.isNone(Sniff.sniff(bytes([0xff, 0xd8, 0xff, 0xe0]))))
    assert.deepStrictEqual(Sniff.sniff(bytes("ID3")), Option.some("audio/mpeg"))
    assert.deepStrictEqual(Sniff.sniff(bytes([0xff, 0xe0])), Option.some("audio/mpeg"))
    assert.isTrue(Option.isNone(Sniff.sniff(bytes([0xff]))))
  })

  it("unknown bytes give none", () => {
    assert.isTrue(Option.isNone(Sniff.sniff(bytes("hello world, not media"))))
    assert.isTrue(Option.isNone(Sniff.sniff(new Uint8Array(0))))
  })
})

describe("Sniff: image dimensions", () => {
  it("reads PNG IHDR and JPEG SOF0", () => {
    assert.deepStrictEqual(Sniff.imageDimensions(png(640, 480)), Option.some({ width: 640, height: 480 }))
    assert.deepStrictEqual(Sniff.imageDimensions(jpeg(1024, 768)), Option.some({ width: 1024, height: 768 }))
  })

  it("refuses zero sizes, truncated headers and other formats", () => {
    assert.isTrue(Option.isNone(Sniff.imageDimensions(png(0, 10))))
    assert.isTrue(Option.isNone(Sniff.imageDimensions(png(10, 10).subarray(0, 20))))
    assert.isTrue(Option.isNone(Sniff.imageDimensions(jpeg(10, 10).subarray(0, 22))))
    assert.isTrue(Option.isNone(Sniff.imageDimensions(wav)))
  })
})

describe("Sniff.parseDataUri (media.md §13)", () => {
  const uri = (mime: string, b: Uint8Array) => `data:${mime};base64,${b64(b)}`
  const fails = (r: Either.Either<Sniff.ParsedDataUri, { field: string; rule: string }>, rule: string, field?: string) => {
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) {
      assert.strictEqual(r.left.rule, rule)
      if (field !== undefined) assert.strictEqual(r.left.field, field)
    }
  }

  it("accepts a PNG and reports its bytes and dimensions", () => {
    const image = png(32, 16)
    const r = Sniff.parseDataUri(uri("image/png", image), "image")
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) {
      assert.strictEqual(r.right.mimeType, "image/png")
      assert.strictEqual(r.right.byteLength, image.length)
      assert.deepStrictEqual([...r.right.bytes], [...image])
      assert.deepStrictEqual(r.right.imageDimensions, Option.some({ width: 32, height: 16 }))
    }
  })

  it("accepts image/jpg, audio aliases and QuickTime; MIME case-insensitive", () => {
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("IMAGE/JPG", jpeg(4, 4)), "image")))
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("audio/x-wav", wav), "audio")))
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("audio/mp3", mp3Frame), "audio")))
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("audio/x-m4a", m4a), "audio")))
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("video/quicktime", mov), "video")))
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("video/mp4", mp4), "video")))
  })

  it("tolerates missing padding unless length % 4 = 1", () => {
    const body = b64(png(1, 1)).replace(/=+$/, "")
    assert.isTrue(Either.isRight(Sniff.parseDataUri(`data:image/png;base64,${body}`, "image")))
    fails(Sniff.parseDataUri("data:audio/wav;base64,UklGR", "audio"), "base64")
  })

  it("refuses remote URLs and non-base64 forms", () => {
    fails(Sniff.parseDataUri("https://cdn.sogni.ai/a.png", "image"), "format", "image")
    fails(Sniff.parseDataUri("data:image/png,rawbytes", "image", { field: "messages[0].image" }), "format", "messages[0].image")
  })

  it("refuses non-canonical base64 and empty bodies", () => {
    fails(Sniff.parseDataUri("data:image/png;base64,=AAA", "image"), "base64")
    fails(Sniff.parseDataUri("data:image/png;base64,AB==", "image"), "base64")
  })

  it("refuses MIME types outside the allowed list", () => {
    fails(Sniff.parseDataUri(uri("image/webp", webp), "image"), "allowed-values")
    fails(Sniff.parseDataUri(uri("audio/flac", wav), "audio"), "allowed-values")
    assert.deepStrictEqual(Sniff.allowedMimeTypes.video, ["video/mp4", "video/quicktime"])
  })

  it("refuses bytes that do not match the declared type", () => {
    fails(Sniff.parseDataUri(uri("image/png", jpeg(2, 2)), "image"), "magic-bytes")
    fails(Sniff.parseDataUri(uri("video/mp4", mov), "video"), "magic-bytes")
    fails(Sniff.parseDataUri(uri("audio/mp4", mov), "audio"), "magic-bytes")
    // MPEG sync with the reserved version bits (01) is not an MP3 frame.
    fails(Sniff.parseDataUri(uri("audio/mpeg", bytes([0xff, 0xeb, 0, 0])), "audio"), "magic-bytes")
  })

  it("enforces the size cap and image dimension limits", () => {
    fails(Sniff.parseDataUri(uri("image/png", png(2, 2)), "image", { maxBytes: 10 }), "max-size")
    fails(Sniff.parseDataUri(uri("image/png", png(2000, 10)), "image", { maxImageLongestSide: Sniff.sizeCaps.visionImageLongestSide }), "dimensions")
    fails(Sniff.parseDataUri(uri("image/png", png(0, 10)), "image"), "dimensions")
    assert.isTrue(Either.isRight(Sniff.parseDataUri(uri("image/png", png(1024, 10)), "image", { maxImageLongestSide: 1024 })))
  })
})

describe("Sniff: remote media", () => {
  it("trusts only https Sogni, S3 and CloudFront hosts without credentials", () => {
    assert.isTrue(Sniff.isTrustedRemoteMediaUrl("https://cdn.sogni.ai/x.png"))
    assert.isTrue(Sniff.isTrustedRemoteMediaUrl("https://a.b.sogni.ai/x.png"))
    assert.isTrue(Sniff.isTrustedRemoteMediaUrl("https://bucket.s3.amazonaws.com/k"))
    assert.isTrue(Sniff.isTrustedRemoteMediaUrl("https://bucket.s3.us-east-1.amazonaws.com/k"))
    assert.isTrue(Sniff.isTrustedRemoteMediaUrl("https://s3.eu-west-1.amazonaws.com/b/k"))
    assert.isTrue(Sniff.isTrustedRemoteMediaUrl("https://d111.cloudfront.net/k"))
    assert.isFalse(Sniff.isTrustedRemoteMediaUrl("http://cdn.sogni.ai/x.png"))
    assert.isFalse(Sniff.isTrustedRemoteMediaUrl("https://user:pw@cdn.sogni.ai/x.png"))
    assert.isFalse(Sniff.isTrustedRemoteMediaUrl("https://evil.example/x.png"))
    assert.isFalse(Sniff.isTrustedRemoteMediaUrl("not a url"))
  })

  it("normalizes a fetched content type, sniffing when the header is not allowed", () => {
    assert.deepStrictEqual(Sniff.normalizeMimeType("image", "image/PNG; charset=x", png(1, 1)), Option.some("image/png"))
    assert.deepStrictEqual(Sniff.normalizeMimeType("image", "application/octet-stream", jpeg(1, 1)), Option.some("image/jpeg"))
    assert.deepStrictEqual(Sniff.normalizeMimeType("audio", undefined, m4a), Option.some("audio/mp4"))
    assert.isTrue(Option.isNone(Sniff.normalizeMimeType("video", "text/html", wav)))
  })
})

describe("isoBoxes", () => {
  const list = (data: Uint8Array, from?: number, to?: number) =>
    [...Sniff.isoBoxes(data, from, to)].map((b) => `${b.type}@${b.body}-${b.end}`)

  it("reads 32-bit, 64-bit and to-the-end sizes, one level deep", () => {
    const data = bytes(
      be32(12), "ftyp", "isom",
      be32(1), "moov", be32(0), be32(24), be32(8), "trak",
      be32(0), "mdat", [1, 2, 3]
    )
    assert.deepStrictEqual(list(data), ["ftyp@8-12", "moov@28-36", "mdat@44-47"])
    assert.deepStrictEqual(list(data, 28, 36), ["trak@36-36"])
  })

  it("stops at a box whose size is smaller than its header or runs past the end", () => {
    assert.deepStrictEqual(list(bytes(be32(8), "free", be32(4), "bad!", be32(8), "free")), ["free@8-8"])
    assert.deepStrictEqual(list(bytes(be32(8), "free", be32(99), "long", [0, 0])), ["free@8-8"])
    assert.deepStrictEqual(list(bytes("abc")), [])
  })
})
