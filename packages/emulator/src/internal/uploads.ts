/**
 * Input media uploads (media.md §9, rest.md §5.2): the slots a project can upload to, the content
 * types each accepts (checked by magic bytes, media.md §9.4), size caps, and the `has…` keyframe flags
 * that name the slot a worker will fetch.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { World } from "./state.js"

/** What a slot holds. @internal */
export type SlotKind = "image" | "audio" | "video"

/** Image slots of `GET /v1/image/uploadUrl`. @internal */
export const IMAGE_SLOTS: ReadonlySet<string> = new Set([
  "startingImage",
  "cnImage",
  "referenceImage",
  "referenceImageEnd",
  "referenceMask",
  ...Array.from({ length: 16 }, (_, i) => `contextImage${i + 1}`)
])

/** Media slot types of `GET /v1/media/uploadUrl`, with their optional ids. @internal */
export const MEDIA_SLOTS: Readonly<Record<string, ReadonlyArray<string>>> = {
  referenceAudio: ["referenceAudio1", "referenceAudio2", "referenceAudio3"],
  referenceVideo: ["referenceVideo1", "referenceVideo2", "referenceVideo3"]
}

/** Byte caps per kind (media.md §9.3, §13). @internal */
export const SIZE_CAPS: Readonly<Record<SlotKind, number>> = {
  image: 20 * 1024 * 1024,
  audio: 50 * 1024 * 1024,
  video: 100 * 1024 * 1024
}

/** Content types accepted per kind. @internal */
export const ACCEPTED: Readonly<Record<SlotKind, ReadonlySet<string>>> = {
  image: new Set(["image/png", "image/jpeg", "image/webp"]),
  audio: new Set(["audio/mpeg", "audio/wav", "audio/mp4", "audio/flac"]),
  video: new Set(["video/mp4", "video/quicktime"])
}

/** The storage key of a slot: the slot type, or the media slot id when one is given. @internal */
export const slotKey = (type: string, id?: string | undefined): string => (id !== undefined && id.length > 0 ? id : type)

/** One stored upload. @internal */
export interface Upload {
  readonly slot: string
  readonly kind: SlotKind
  readonly contentType: string
  readonly bytes: Uint8Array
  /** The client's `imageId` for image slots. */
  readonly imageId: string | undefined
  /** Username of the account that minted the upload URL. */
  readonly owner: string
  readonly at: number
}

const startsWith = (data: Uint8Array, bytes: ReadonlyArray<number>, offset = 0) =>
  data.length >= offset + bytes.length && bytes.every((b, i) => data[offset + i] === b)
const ascii = (data: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...data.subarray(from, Math.min(to, data.length)))

/**
 * The content type of some bytes by their magic numbers (media.md §9.4 and §13), or `undefined`.
 *
 * @internal
 */
export const sniff = (data: Uint8Array): string | undefined => {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png"
  if (startsWith(data, [0xff, 0xd8, 0xff])) return "image/jpeg"
  if (data.length >= 12 && ascii(data, 0, 4) === "RIFF") {
    const form = ascii(data, 8, 12)
    if (form === "WEBP") return "image/webp"
    if (form === "WAVE") return "audio/wav"
    return undefined
  }
  if (startsWith(data, [0x47, 0x49, 0x46])) return "image/gif"
  if (data.length >= 12 && ascii(data, 4, 8) === "ftyp") {
    const brand = ascii(data, 8, 12).toLowerCase()
    if (brand.includes("m4a") || brand.includes("m4b")) return "audio/mp4"
    if (brand.includes("qt")) return "video/quicktime"
    return "video/mp4"
  }
  if (ascii(data, 0, 4) === "fLaC") return "audio/flac"
  if (ascii(data, 0, 3) === "ID3") return "audio/mpeg"
  if (data.length >= 2 && data[0] === 0xff && (data[1]! & 0xe0) === 0xe0) {
    const version = (data[1]! >> 3) & 3
    const layer = (data[1]! >> 1) & 3
    if (version !== 1 && layer !== 0) return "audio/mpeg"
  }
  return undefined
}

const ALIASES: Readonly<Record<string, string>> = {
  "image/jpg": "image/jpeg",
  "audio/mp3": "audio/mpeg",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "audio/x-m4a": "audio/mp4",
  "audio/m4a": "audio/mp4",
  "audio/x-flac": "audio/flac"
}

/** A declared content type without parameters, lower-cased, aliases resolved. @internal */
export const normalizeContentType = (value: string): string => {
  const base = value.split(";")[0]!.trim().toLowerCase()
  return ALIASES[base] ?? base
}

/** The kind of an upload slot key, or `undefined` for unknown slots. @internal */
export const kindOfSlot = (key: string): SlotKind | undefined => {
  if (IMAGE_SLOTS.has(key)) return "image"
  if (key === "referenceAudio" || MEDIA_SLOTS.referenceAudio!.includes(key)) return "audio"
  if (key === "referenceVideo" || MEDIA_SLOTS.referenceVideo!.includes(key)) return "video"
  return undefined
}

/**
 * The slots a `jobRequest` keyframe says were uploaded: every `has…` flag that is `true`, mapped to the
 * slot the worker fetches (media.md §9.2). ControlNet images are flagged inside `currentControlNetsJob`.
 *
 * @internal
 */
export const flaggedSlots = (keyFrame: Readonly<Record<string, unknown>>): ReadonlyArray<{ readonly flag: string; readonly slot: string }> => {
  const out: Array<{ flag: string; slot: string }> = []
  const flag = (name: string, slot: string) => {
    if (keyFrame[name] === true) out.push({ flag: name, slot })
  }
  flag("hasStartingImage", "startingImage")
  for (let i = 1; i <= 16; i++) flag(`hasContextImage${i}`, `contextImage${i}`)
  flag("hasReferenceImage", "referenceImage")
  flag("hasReferenceImageEnd", "referenceImageEnd")
  flag("hasReferenceMask", "referenceMask")
  flag("hasReferenceAudio", "referenceAudio")
  // The voice-identity reference shares the plain referenceAudio slot (media.md §9.2).
  if (keyFrame["hasReferenceAudioIdentity"] === true && keyFrame["hasReferenceAudio"] !== true) {
    out.push({ flag: "hasReferenceAudioIdentity", slot: "referenceAudio" })
  }
  flag("hasReferenceVideo", "referenceVideo")
  for (let i = 1; i <= 3; i++) {
    flag(`hasReferenceAudio${i}`, `referenceAudio${i}`)
    flag(`hasReferenceVideo${i}`, `referenceVideo${i}`)
  }
  const controlNets = keyFrame["currentControlNetsJob"]
  if (Array.isArray(controlNets) && controlNets.some((cn) => typeof cn === "object" && cn !== null && (cn as Record<string, unknown>)["hasImage"] === true)) {
    out.push({ flag: "currentControlNetsJob[0].hasImage", slot: "cnImage" })
  }
  return out
}

/**
 * The mean colour of an uploaded PNG or JPEG, used to tint renders that were given a starting or
 * reference image. `undefined` when the image cannot be decoded.
 *
 * @internal
 */
export const meanColor = (
  upload: Upload,
  decode: (upload: Upload) => { readonly data: Uint8Array; readonly width: number; readonly height: number } | undefined
): readonly [number, number, number] | undefined => {
  const image = decode(upload)
  if (image === undefined || image.width * image.height === 0) return undefined
  let r = 0
  let g = 0
  let b = 0
  const pixels = image.width * image.height
  const stride = Math.max(1, Math.floor(pixels / 4096))
  let n = 0
  for (let p = 0; p < pixels; p += stride) {
    r += image.data[p * 4]!
    g += image.data[p * 4 + 1]!
    b += image.data[p * 4 + 2]!
    n++
  }
  return [r / n, g / n, b / n]
}

/** Uploads of projects that were never submitted are dropped after this long. */
const UPLOAD_RETENTION_MILLIS = 60 * 60_000

/** Stores an upload in a project's slot (PUT, or a saved upload bound to it). @internal */
export const storeUpload = (world: World, projectId: string, upload: Upload): void => {
  let slots = world.uploads.get(projectId)
  if (slots === undefined) {
    world.uploads.set(projectId, slots = new Map())
    // Forget uploads of projects that never arrive (submitted projects are forgotten with the project).
    world.run(
      Effect.sleep(UPLOAD_RETENTION_MILLIS).pipe(Effect.andThen(Effect.sync(() => {
        if (!world.projects.has(projectId)) world.uploads.delete(projectId)
      })))
    )
  }
  slots.set(upload.slot, upload)
}
