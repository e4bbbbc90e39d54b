/**
 * Vision input rules for socket chat (chat.md §10, media.md §13).
 *
 * Every `image_url` part of a request must end up as an inline data URI:
 * - at most {@link limits}`.images` (20) image parts per request, counted across all messages;
 * - `data:image/jpeg|image/jpg|image/png;base64,…` with a strict base64 body whose magic bytes match the
 *   declared type, at most 10 MiB decoded and at most 1024 px on the longest side (rejected, not resized);
 * - or an `https` URL on a trusted host (`*.sogni.ai`, S3, CloudFront; no credentials), which
 *   {@link resolveRemoteImages} downloads, checks the same way and replaces with a data URI.
 *
 * The byte-level checks are `@effect-sogni/core`'s `Sniff.parseDataUri` and
 * `Sniff.isTrustedRemoteMediaUrl`: the same validator the media package applies to inline media, so the
 * two packages cannot drift apart.
 *
 * @example
 * ```ts
 * import { Vision } from "@effect-sogni/chat"
 *
 * Vision.validateImageUrl("data:image/png;base64,iVBORw0KGgo…", "messages[0].content[1].image_url.url")
 * // Either.right(undefined), or Either.left(SogniInvalidRequest { field, rule: "magic-bytes" | "dimensions" | … })
 * ```
 *
 * @since 0.1.0
 */
import * as SogniError from "@effect-sogni/core/SogniError"
import * as Sniff from "@effect-sogni/core/Sniff"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import type { ChatMessage, ContentPart } from "./ChatRequest.js"

/** The vision caps (chat.md §10). @since 0.1.0 */
export const limits = {
  images: Sniff.sizeCaps.visionImages,
  maxBytes: Sniff.sizeCaps.visionImage,
  longestSide: Sniff.sizeCaps.visionImageLongestSide
} as const

const invalid = (field: string, rule: string, message: string) =>
  new SogniError.SogniInvalidRequest({ field, rule, message })

/**
 * Checks one `image_url.url` that must already be a data URI. Rules: `format`, `base64`, `max-size`,
 * `allowed-values` (MIME type), `magic-bytes`, `dimensions`; a remote URL fails with `data-uri`.
 *
 * @since 0.1.0
 */
export const validateImageUrl = (url: string, field: string): Either.Either<void, SogniError.SogniInvalidRequest> => {
  if (!/^\s*data:/i.test(url)) {
    return Either.left(
      invalid(
        field,
        Sniff.isTrustedRemoteMediaUrl(url) ? "data-uri" : "trusted-host",
        Sniff.isTrustedRemoteMediaUrl(url)
          ? "remote images must be resolved to data URIs before the request is built (Vision.resolveRemoteImages)"
          : "image URLs must be data:image/png|jpeg;base64 URIs or https URLs on a trusted Sogni/S3/CloudFront host"
      )
    )
  }
  return Either.map(
    Sniff.parseDataUri(url, "image", { maxBytes: limits.maxBytes, maxImageLongestSide: limits.longestSide, field }),
    () => undefined
  )
}

/** Every image part of a conversation with its field path. @since 0.1.0 */
export const imageParts = (
  messages: ReadonlyArray<ChatMessage>
): Array<{ readonly field: string; readonly message: number; readonly part: number; readonly url: string }> => {
  const out: Array<{ field: string; message: number; part: number; url: string }> = []
  // not a conversation (a caller's mistake ChatRequest.validateShape names): no image parts to find
  if (!Array.isArray(messages)) return out
  messages.forEach((m, i) => {
    if (typeof m !== "object" || m === null || !Array.isArray(m.content)) return
    ;(m.content as ReadonlyArray<ContentPart>).forEach((p, j) => {
      if (typeof p === "object" && p !== null && p.type === "image_url" && typeof p.image_url?.url === "string") {
        out.push({ field: `messages[${i}].content[${j}].image_url.url`, message: i, part: j, url: p.image_url.url })
      }
    })
  })
  return out
}

/**
 * Validates every image part of a conversation: the count cap (`field: "messages"`, `rule: "max-images"`)
 * and each URL with {@link validateImageUrl}.
 *
 * @since 0.1.0
 */
export const validateMessages = (
  messages: ReadonlyArray<ChatMessage>
): Either.Either<void, SogniError.SogniInvalidRequest> => {
  const parts = imageParts(messages)
  if (parts.length > limits.images) {
    return Either.left(
      invalid("messages", "max-images", `at most ${limits.images} images per request, got ${parts.length}`)
    )
  }
  for (const p of parts) {
    const checked = validateImageUrl(p.url, p.field)
    if (Either.isLeft(checked)) return checked
  }
  return Either.void
}

/**
 * Replaces every trusted remote image URL with a data URI built from its bytes (downloaded with
 * `fetchBytes`), then validates all images. Untrusted URLs fail with `rule: "trusted-host"` before
 * anything is downloaded; the MIME type of downloaded bytes comes from their magic bytes.
 *
 * @since 0.1.0
 */
export const resolveRemoteImages = <E, R>(
  messages: ReadonlyArray<ChatMessage>,
  fetchBytes: (url: string) => Effect.Effect<Uint8Array, E, R>
): Effect.Effect<ReadonlyArray<ChatMessage>, SogniError.SogniInvalidRequest | E, R> =>
  Effect.gen(function*() {
    const parts = imageParts(messages)
    if (parts.length > limits.images) {
      return yield* Effect.fail(
        invalid("messages", "max-images", `at most ${limits.images} images per request, got ${parts.length}`)
      )
    }
    const remote = parts.filter((p) => !/^\s*data:/i.test(p.url))
    if (remote.length === 0) {
      yield* validateMessages(messages)
      return messages
    }
    for (const p of remote) {
      if (!Sniff.isTrustedRemoteMediaUrl(p.url)) {
        return yield* Effect.fail(
          invalid(p.field, "trusted-host", "image URLs must be https URLs on a trusted Sogni/S3/CloudFront host")
        )
      }
    }
    const replaced = yield* Effect.forEach(remote, (p) =>
      Effect.flatMap(fetchBytes(p.url.trim()), (bytes) => {
        const mime = Sniff.normalizeMimeType("image", undefined, bytes)
        if (Option.isNone(mime)) {
          return Effect.fail(invalid(p.field, "magic-bytes", "the downloaded image is neither PNG nor JPEG"))
        }
        return Effect.succeed({ ...p, url: `data:${mime.value};base64,${Encoding.encodeBase64(bytes)}` })
      }), { concurrency: 4 })
    const byKey = new Map(replaced.map((p) => [`${p.message}:${p.part}`, p.url]))
    const out = messages.map((m, i): ChatMessage => {
      if (!Array.isArray(m.content)) return m
      const content = (m.content as ReadonlyArray<ContentPart>).map((part, j): ContentPart => {
        const url = byKey.get(`${i}:${j}`)
        return url === undefined || part.type !== "image_url" ? part : { ...part, image_url: { ...part.image_url, url } }
      })
      return { ...m, content }
    })
    yield* validateMessages(out)
    return out
  })
