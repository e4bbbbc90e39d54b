/**
 * Result media: signed URLs on the emulator (`/_media/<project>/<imgID>.<ext>`), and the bytes behind
 * them — landscapes for images, panning landscapes as MP4 for videos, little tunes as MP3/WAV/FLAC for
 * audio — rendered on the first request and cached per job.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { AUDIO_CONTENT_TYPE, encodeAudio } from "./audio.js"
import { encodeScene } from "./landscape.js"
import type { EncodedMedia, JobSlot, Project, World } from "./state.js"
import { encodeVideo } from "./video.js"

/** File extension per output format. @internal */
export const EXTENSION: Readonly<Record<string, string>> = {
  png: "png",
  jpg: "jpg",
  jpeg: "jpg",
  webp: "webp",
  mp4: "mp4",
  mp3: "mp3",
  wav: "wav",
  flac: "flac"
}

/** Output format per `contentType` query value of the download-URL endpoints. @internal */
export const CONTENT_FORMAT: Readonly<Record<string, string>> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "video/mp4": "mp4",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/flac": "flac"
}

/** Which extensions each media kind can be served as. @internal */
export const EXTENSIONS_OF: Readonly<Record<Project["model"]["media"], ReadonlyArray<string>>> = {
  image: ["png", "jpg", "webp"],
  video: ["mp4"],
  audio: ["mp3", "wav", "flac"]
}

const signedPath = (world: World, path: string, exp: number) => world.signer.sign(`${path}|${exp}`)

/** Mints a signed URL for a job's result on this emulator. @internal */
export const mintMediaUrl = (world: World, projectId: string, imgID: string, format: string, type: string): string => {
  const path = `/_media/${projectId}/${imgID}.${EXTENSION[format] ?? "png"}`
  const exp = Date.now() + world.settings.mediaUrlTtlMillis
  const query = new URLSearchParams({ type, exp: String(exp), sig: signedPath(world, path, exp) })
  return `${world.baseUrl}${path}?${query.toString()}`
}

/** Whether a `/_media` path carries a valid, unexpired signature. @internal */
export const verifyMediaUrl = (world: World, pathname: string, exp: number, sig: string): "ok" | "invalid" | "expired" => {
  if (!Number.isFinite(exp) || !world.signer.verify(`${pathname}|${exp}`, sig)) return "invalid"
  return exp < Date.now() ? "expired" : "ok"
}

const MEDIA_CACHE_LIMIT = 24
const IMAGE_CACHE_LIMIT = 48

const remember = <V>(cache: Map<string, V>, key: string, value: V, limit: number) => {
  cache.set(key, value)
  while (cache.size > limit) {
    const oldest = cache.keys().next()
    if (oldest.done === true) break
    cache.delete(oldest.value)
  }
}

const tintOf = (project: Project) => project.tint === undefined ? undefined : { rgb: project.tint, amount: 0.3 }

/** The seed a job's media is rendered with. */
const seedOf = (project: Project, job: JobSlot) =>
  job.status === "jobCompleted" ? job.seedUsed : project.seed + job.jobIndex

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * The encoded bytes of a job's result in the given extension, rendered once and cached.
 *
 * @internal
 */
export const mediaBytes = (
  world: World,
  project: Project,
  job: JobSlot,
  extension: string
): Effect.Effect<EncodedMedia> => {
  const key = `${job.imgID}.${extension}`
  if (project.model.media === "image") {
    return Effect.sync(() => {
      const cached = world.renderCache.get(key)
      if (cached !== undefined) return cached
      const image = encodeScene({
        prompt: project.prompt,
        seed: seedOf(project, job),
        width: project.width,
        height: project.height,
        tint: tintOf(project)
      }, extension)
      remember(world.renderCache, key, image, IMAGE_CACHE_LIMIT)
      return image
    })
  }
  return Effect.promise(() => {
    const cached = world.mediaCache.get(key)
    if (cached !== undefined) return cached
    const pending = project.model.media === "video"
      ? yieldToLoop().then((): EncodedMedia => ({
        bytes: encodeVideo({
          prompt: project.prompt,
          seed: seedOf(project, job),
          width: project.width,
          height: project.height,
          frames: project.video?.outputFrames ?? 81,
          fps: project.video?.fps ?? 16,
          tint: tintOf(project)
        }),
        contentType: "video/mp4"
      }))
      : encodeAudio(
        {
          prompt: project.prompt,
          seed: seedOf(project, job),
          duration: project.audio?.duration ?? 30,
          bpm: project.audio?.bpm ?? 120,
          beatsPerBar: project.audio?.beatsPerBar ?? 4
        },
        extension === "wav" || extension === "flac" ? extension : "mp3",
        yieldToLoop
      ).then((bytes): EncodedMedia => ({ bytes, contentType: AUDIO_CONTENT_TYPE[extension] ?? "audio/mpeg" }))
    // A failed encoding must not stay cached: the next request tries again.
    pending.catch(() => world.mediaCache.delete(key))
    remember(world.mediaCache, key, pending, MEDIA_CACHE_LIMIT)
    return pending
  })
}

/** Forgets every cached rendering of a job. @internal */
export const forgetMedia = (world: World, imgID: string): void => {
  for (const extension of ["png", "jpg", "webp"]) world.renderCache.delete(`${imgID}.${extension}`)
  for (const extension of ["mp4", "mp3", "wav", "flac"]) world.mediaCache.delete(`${imgID}.${extension}`)
}
