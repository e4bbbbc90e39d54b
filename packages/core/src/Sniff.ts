/**
 * Content types from magic bytes, and strict inline data-URI validation.
 *
 * - {@link sniff} is the upload-side detector (media.md §9.4): the MIME type the official client puts in
 *   the `Content-Type` header of an upload and in the `…ContentType` keyframe annotations. Unknown bytes
 *   give `Option.none()` (no header, no annotation).
 * - {@link parseDataUri} is the inline-media validator (media.md §13): `data:<mime>;base64,<body>` with a
 *   strict base64 body, an allowed MIME type, magic bytes that match it, a size cap and, for images,
 *   dimensions read from the PNG `IHDR` chunk or the JPEG `SOFn` marker.
 *
 * @example
 * ```ts
 * import { Sniff } from "@effect-sogni/core"
 *
 * Sniff.sniff(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))
 * // Option.some("image/png")
 *
 * Sniff.parseDataUri("data:image/png;base64,iVBORw0KGgo…", "image", { maxBytes: Sniff.sizeCaps.toolImage })
 * // Either.right({ mimeType: "image/png", bytes, byteLength, imageDimensions: Option.some({ width, height }) })
 * ```
 *
 * @since 0.1.0
 */
import { SogniInvalidRequest } from "./SogniError.js"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"

// ---------------------------------------------------------------------------------------------
// Upload sniffing (media.md §9.4)
// ---------------------------------------------------------------------------------------------

/**
 * Node's `Buffer#toString("ascii")` clears the high bit of every byte; the official client compares
 * those strings, so the same bytes must compare equal here.
 */
function ascii7(bytes: Uint8Array, start: number, end: number): string {
  let out = ""
  for (let i = start; i < end && i < bytes.length; i++) out += String.fromCharCode(bytes[i]! & 0x7f)
  return out
}

/**
 * The content type of upload bytes, exactly as the official client detects it (media.md §9.4):
 * JPEG, PNG, WebP, GIF, ISO-BMFF (`audio/mp4` for `m4a`/`m4b` brands, `video/quicktime` for `qt`, else
 * `video/mp4`) and WAV need at least 12 bytes; `ID3` (3 bytes) and an MPEG frame sync (2 bytes) give
 * `audio/mpeg`.
 *
 * @since 0.1.0
 */
export function sniff(bytes: Uint8Array): Option.Option<string> {
  if (bytes.length >= 12) {
    if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return Option.some("image/jpeg")
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return Option.some("image/png")
    if (ascii7(bytes, 0, 4) === "RIFF" && ascii7(bytes, 8, 12) === "WEBP") return Option.some("image/webp")
    if (ascii7(bytes, 0, 3) === "GIF") return Option.some("image/gif")
    if (ascii7(bytes, 4, 8) === "ftyp") {
      const brand = ascii7(bytes, 8, 12).toLowerCase()
      if (brand.includes("m4a") || brand.includes("m4b")) return Option.some("audio/mp4")
      if (brand.includes("qt")) return Option.some("video/quicktime")
      return Option.some("video/mp4")
    }
    if (ascii7(bytes, 0, 4) === "RIFF" && ascii7(bytes, 8, 12) === "WAVE") return Option.some("audio/wav")
  }
  if (bytes.length >= 3 && ascii7(bytes, 0, 3) === "ID3") return Option.some("audio/mpeg")
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) return Option.some("audio/mpeg")
  return Option.none()
}

// ---------------------------------------------------------------------------------------------
// Inline media (media.md §13)
// ---------------------------------------------------------------------------------------------

/** The kinds of inline media a data URI may carry. @since 0.1.0 */
export type InlineMediaType = "image" | "audio" | "video"

type Format = "png" | "jpeg" | "mpeg" | "mp4" | "wav" | "quicktime"

const imageFormats: Readonly<Record<string, Format>> = { "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/png": "png" }
const audioFormats: Readonly<Record<string, Format>> = {
  "audio/m4a": "mp4",
  "audio/mp3": "mpeg",
  "audio/mp4": "mp4",
  "audio/mpeg": "mpeg",
  "audio/wav": "wav",
  "audio/wave": "wav",
  "audio/x-m4a": "mp4",
  "audio/x-wav": "wav"
}
const videoFormats: Readonly<Record<string, Format>> = { "video/mp4": "mp4", "video/quicktime": "quicktime" }
function formatsFor(mediaType: InlineMediaType) {
  return mediaType === "image" ? imageFormats : mediaType === "audio" ? audioFormats : videoFormats
}

/**
 * MIME types accepted in inline data URIs, per media kind (media.md §13).
 *
 * @since 0.1.0
 */
export const allowedMimeTypes: { readonly [K in InlineMediaType]: ReadonlyArray<string> } = {
  image: Object.keys(imageFormats),
  audio: Object.keys(audioFormats),
  video: Object.keys(videoFormats)
}

const MiB = 1024 * 1024

/**
 * Size caps for inline media (media.md §13): tool inputs (image 20 MiB, audio 50 MiB, video 100 MiB) and
 * vision chat (≤ 20 images, each ≤ 10 MiB and ≤ 1024 px on the longest side).
 *
 * @since 0.1.0
 */
export const sizeCaps = {
  toolImage: 20 * MiB,
  toolAudio: 50 * MiB,
  toolVideo: 100 * MiB,
  visionImage: 10 * MiB,
  visionImageLongestSide: 1024,
  visionImages: 20
} as const

/** Width and height of an image, in pixels. @since 0.1.0 */
export interface ImageDimensions {
  readonly width: number
  readonly height: number
}

function hasPrefix(bytes: Uint8Array, prefix: ReadonlyArray<number>, offset = 0): boolean {
  return offset + prefix.length <= bytes.length && prefix.every((b, i) => bytes[offset + i] === b)
}

/** Exact-range ASCII read; `""` when the range runs past the end (as the official validator does). */
function asciiAt(bytes: Uint8Array, start: number, length: number): string {
  return start + length > bytes.length ? "" : String.fromCharCode(...bytes.subarray(start, start + length))
}

function detectImage(bytes: Uint8Array): Format | undefined {
  return hasPrefix(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    ? "png"
    : hasPrefix(bytes, [0xff, 0xd8, 0xff])
    ? "jpeg"
    : undefined
}

function detectIsoBmff(bytes: Uint8Array): Format | undefined {
  return bytes.length < 12 || asciiAt(bytes, 4, 4) !== "ftyp" ? undefined : asciiAt(bytes, 8, 4) === "qt  " ? "quicktime" : "mp4"
}

/** An MPEG audio frame header: sync, version ≠ reserved (01), layer ≠ reserved (00). */
function isMp3Frame(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false
  const b1 = bytes[1]!
  return bytes[0] === 0xff && (b1 & 0xe0) === 0xe0 && ((b1 >> 3) & 0x03) !== 0x01 && ((b1 >> 1) & 0x03) !== 0x00
}

function detectAudio(bytes: Uint8Array): Format | undefined {
  if (asciiAt(bytes, 0, 4) === "RIFF" && asciiAt(bytes, 8, 4) === "WAVE") return "wav"
  if (asciiAt(bytes, 0, 3) === "ID3" || isMp3Frame(bytes)) return "mpeg"
  return detectIsoBmff(bytes) === "mp4" ? "mp4" : undefined
}

function detect(mediaType: InlineMediaType, bytes: Uint8Array): Format | undefined {
  return mediaType === "image" ? detectImage(bytes) : mediaType === "audio" ? detectAudio(bytes) : detectIsoBmff(bytes)
}

/**
 * PNG dimensions from the `IHDR` chunk (bytes 16–23); none when the chunk is missing or a side is 0.
 *
 * @since 0.1.0
 */
export function pngDimensions(bytes: Uint8Array): Option.Option<ImageDimensions> {
  if (bytes.length < 24 || asciiAt(bytes, 12, 4) !== "IHDR") return Option.none()
  const width = (bytes[16]! << 24) | (bytes[17]! << 16) | (bytes[18]! << 8) | bytes[19]!
  const height = (bytes[20]! << 24) | (bytes[21]! << 16) | (bytes[22]! << 8) | bytes[23]!
  return width > 0 && height > 0 ? Option.some({ width, height }) : Option.none()
}

/**
 * JPEG dimensions from the first start-of-frame marker (`SOF0`–`SOF15` except `DHT`, `JPG`, `DAC`),
 * walking the marker segments from the start of the file.
 *
 * @since 0.1.0
 */
export function jpegDimensions(bytes: Uint8Array): Option.Option<ImageDimensions> {
  let offset = 2
  while (offset + 1 < bytes.length) {
    while (offset < bytes.length && bytes[offset] !== 0xff) offset += 1
    while (offset < bytes.length && bytes[offset] === 0xff) offset += 1
    if (offset >= bytes.length) break
    const marker = bytes[offset]!
    offset += 1
    if (marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue
    if (offset + 1 >= bytes.length) break
    const segmentLength = (bytes[offset]! << 8) | bytes[offset + 1]!
    if (segmentLength < 2 || offset + segmentLength > bytes.length) break
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
    if (isStartOfFrame) {
      if (offset + 6 >= bytes.length) break
      const height = (bytes[offset + 3]! << 8) | bytes[offset + 4]!
      const width = (bytes[offset + 5]! << 8) | bytes[offset + 6]!
      return width > 0 && height > 0 ? Option.some({ width, height }) : Option.none()
    }
    offset += segmentLength
  }
  return Option.none()
}

/**
 * Dimensions of a PNG or JPEG image; none for other formats or unreadable headers.
 *
 * @since 0.1.0
 */
export function imageDimensions(bytes: Uint8Array): Option.Option<ImageDimensions> {
  const format = detectImage(bytes)
  return format === "png" ? pngDimensions(bytes) : format === "jpeg" ? jpegDimensions(bytes) : Option.none()
}

/**
 * One box of an ISO-BMFF (MP4/MOV) file: its four-character type, where its body starts and where it ends.
 *
 * @since 0.2.0
 */
export interface IsoBox {
  readonly type: string
  readonly body: number
  readonly end: number
}

/**
 * The boxes between `from` and `to`, one level deep (walk into a container by calling again with its
 * `body` and `end`). 64-bit sizes and a last box sized 0 ("to the end") are read; the walk stops at the
 * first box whose size does not fit.
 *
 * @since 0.2.0
 */
export function* isoBoxes(bytes: Uint8Array, from = 0, to = bytes.length): Generator<IsoBox> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = from
  while (at + 8 <= to) {
    let size = view.getUint32(at)
    let header = 8
    if (size === 1 && at + 16 <= to) {
      size = Number(view.getBigUint64(at + 8))
      header = 16
    } else if (size === 0) {
      size = to - at
    }
    if (size < header || at + size > to) return
    yield { type: asciiAt(bytes, at + 4, 4), body: at + header, end: at + size }
    at += size
  }
}

const ISO_CONTAINERS: ReadonlySet<string> = new Set(["moov", "trak"])

/**
 * The display size of an MP4/MOV's first visual track, from its `tkhd` box (16.16 fixed-point width and
 * height at the box's end); audio tracks (0×0) are skipped. Only box headers are walked. None when the
 * file has no readable visual track.
 *
 * @since 0.1.0
 */
export function videoDimensions(bytes: Uint8Array): Option.Option<ImageDimensions> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const walk = (from: number, to: number): ImageDimensions | undefined => {
    for (const box of isoBoxes(bytes, from, to)) {
      if (ISO_CONTAINERS.has(box.type)) {
        const found = walk(box.body, box.end)
        if (found !== undefined) return found
      } else if (box.type === "tkhd" && box.end - box.body >= 80) {
        const width = Math.round(view.getUint32(box.end - 8) / 0x10000)
        const height = Math.round(view.getUint32(box.end - 4) / 0x10000)
        if (width > 0 && height > 0) return { width, height }
      }
    }
    return undefined
  }
  return detectIsoBmff(bytes) === undefined ? Option.none() : Option.fromNullable(walk(0, bytes.length))
}

/** A validated inline data URI. @since 0.1.0 */
export interface ParsedDataUri {
  /** Declared MIME type, lower-cased. */
  readonly mimeType: string
  readonly bytes: Uint8Array
  readonly byteLength: number
  /** Present for images. */
  readonly imageDimensions: Option.Option<ImageDimensions>
}

/** Limits for {@link parseDataUri}. @since 0.1.0 */
export interface DataUriOptions {
  /** Byte cap of the decoded body (see {@link sizeCaps}). */
  readonly maxBytes?: number
  /** Longest image side in pixels (vision inputs: 1024). */
  readonly maxImageLongestSide?: number
  /** The field named in errors (default: the media type). */
  readonly field?: string
}

function decodeStrictBase64(body: string): Option.Option<Uint8Array> {
  const sanitized = body.replace(/\s+/g, "")
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(sanitized)) return Option.none()
  const remainder = sanitized.length % 4
  if (remainder === 1) return Option.none()
  const padded = remainder === 0 ? sanitized : sanitized.padEnd(sanitized.length + 4 - remainder, "=")
  return Either.getRight(Encoding.decodeBase64(padded)).pipe(
    Option.filter((bytes) => bytes.length > 0 && Encoding.encodeBase64(bytes) === padded)
  )
}

/**
 * Validates an inline `data:<mime>;base64,<body>` URI (media.md §13) and returns its bytes.
 *
 * Fails with a `SogniInvalidRequest` whose `rule` is one of `format` (not a base64 data URI),
 * `base64` (body not strict base64 or empty), `max-size`, `allowed-values` (MIME type not allowed for
 * the media kind), `magic-bytes` (bytes do not match the declared type) or `dimensions` (image size
 * unreadable or over `maxImageLongestSide`).
 *
 * @since 0.1.0
 */
export function parseDataUri(
  input: string,
  mediaType: InlineMediaType,
  options: DataUriOptions = {}
): Either.Either<ParsedDataUri, SogniInvalidRequest> {
  const field = options.field ?? mediaType
  const fail = (rule: string, message: string) => Either.left(new SogniInvalidRequest({ field, rule, message }))
  const match = /^data:([^;,]+);base64,([A-Za-z0-9+/=\s]+)$/i.exec(input.trim())
  if (match === null) {
    return fail("format", `Only inline base64-encoded data URIs are supported for ${mediaType} inputs`)
  }
  const mimeType = match[1]!.toLowerCase()
  const decoded = decodeStrictBase64(match[2]!)
  if (Option.isNone(decoded)) return fail("base64", `The ${mediaType} data URI body is not valid base64`)
  const bytes = decoded.value
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    return fail("max-size", `${mediaType} input exceeds ${Math.round(options.maxBytes / MiB)}MB limit`)
  }
  const expected = formatsFor(mediaType)[mimeType]
  if (expected === undefined) {
    return fail(
      "allowed-values",
      `Unsupported inline ${mediaType} MIME type ${mimeType}. Allowed types: ${allowedMimeTypes[mediaType].join(", ")}`
    )
  }
  if (detect(mediaType, bytes) !== expected) {
    return fail("magic-bytes", `Inline ${mediaType} data does not match declared MIME type ${mimeType}`)
  }
  let dimensions: Option.Option<ImageDimensions> = Option.none()
  if (mediaType === "image") {
    dimensions = expected === "png" ? pngDimensions(bytes) : jpegDimensions(bytes)
    if (Option.isNone(dimensions)) return fail("dimensions", "Unable to determine inline image dimensions")
    const { height, width } = dimensions.value
    if (options.maxImageLongestSide !== undefined && Math.max(width, height) > options.maxImageLongestSide) {
      return fail(
        "dimensions",
        `Inline image exceeds maximum dimensions of ${options.maxImageLongestSide}px on its longest side`
      )
    }
  }
  return Either.right({ mimeType, bytes, byteLength: bytes.length, imageDimensions: dimensions })
}

/**
 * The MIME type inline-media validation assigns to fetched bytes whose `Content-Type` header is not an
 * allowed one (media.md §13): detected from magic bytes within the media kind, none when unsupported.
 *
 * @since 0.1.0
 */
export function normalizeMimeType(
  mediaType: InlineMediaType,
  contentType: string | undefined,
  bytes: Uint8Array
): Option.Option<string> {
  const declared = (contentType?.split(";")[0] ?? "").trim().toLowerCase()
  if (allowedMimeTypes[mediaType].includes(declared)) return Option.some(declared)
  const format = detect(mediaType, bytes)
  switch (format) {
    case "png":
      return Option.some("image/png")
    case "jpeg":
      return Option.some("image/jpeg")
    case "wav":
      return Option.some("audio/wav")
    case "mpeg":
      return Option.some("audio/mpeg")
    case "mp4":
      return Option.some(mediaType === "audio" ? "audio/mp4" : "video/mp4")
    case "quicktime":
      return Option.some("video/quicktime")
    default:
      return Option.none()
  }
}

/**
 * Whether a remote media URL may be fetched (media.md §13): `https:` only, no credentials, hosts
 * `cdn.sogni.ai`, `*.sogni.ai`, S3 (`*.s3.amazonaws.com`, `*.s3.<region>.amazonaws.com`,
 * `s3.<region>.amazonaws.com`) and `*.cloudfront.net`.
 *
 * @since 0.1.0
 */
export function isTrustedRemoteMediaUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    return false
  }
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "") return false
  const host = url.hostname.toLowerCase()
  return (
    host === "cdn.sogni.ai" ||
    host.endsWith(".sogni.ai") ||
    /^[a-z0-9.-]+\.s3\.amazonaws\.com$/.test(host) ||
    /^[a-z0-9.-]+\.s3\.[a-z0-9-]+\.amazonaws\.com$/.test(host) ||
    /^s3\.[a-z0-9-]+\.amazonaws\.com$/.test(host) ||
    host.endsWith(".cloudfront.net")
  )
}
