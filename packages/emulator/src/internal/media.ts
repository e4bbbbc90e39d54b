/**
 * Result media: signed URLs on the emulator (`/_media/<project>/<imgID>.<ext>`), and the bytes behind
 * them — landscapes for images, panning landscapes as MP4 for videos, little tunes as MP3/WAV/FLAC for
 * audio — rendered on the first request and cached per job.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { AUDIO_CONTENT_TYPE, encodeAudio } from "./audio.js"
import { encodePixels, hashString, prng, renderPixels, type SceneSpec } from "./landscape.js"
import type { EncodedMedia, JobSlot, Project, World } from "./state.js"
import { encodeVideo } from "./video.js"
import { encodeWebp } from "./webp.js"

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

/** Separates a job id from a preview step in a `/_media` file name (`<imgID>.preview-<step>.<ext>`). @internal */
export const PREVIEW_MARK = ".preview-"

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

const sceneOf = (project: Project, job: JobSlot): SceneSpec => ({
  prompt: project.prompt,
  seed: seedOf(project, job),
  width: project.width,
  height: project.height,
  tint: tintOf(project)
})

type Pixels = { readonly width: number; readonly height: number; readonly data: Buffer }

/** Encodes pixels in an image extension once per cache key: PNG/JPEG at once, WebP through the wasm codec. */
const imageBytes = (world: World, key: string, pixels: () => Pixels, extension: string): Effect.Effect<EncodedMedia> => {
  const cached = world.renderCache.get(key)
  if (cached !== undefined) return Effect.succeed(cached)
  if (extension === "webp") {
    return Effect.promise(async () => {
      const rendered = pixels()
      const bytes = await encodeWebp(rendered)
      const image = { bytes: Buffer.from(bytes), contentType: "image/webp", width: rendered.width, height: rendered.height }
      remember(world.renderCache, key, image, IMAGE_CACHE_LIMIT)
      return image
    })
  }
  return Effect.sync(() => {
    const image = encodePixels(pixels(), extension)
    remember(world.renderCache, key, image, IMAGE_CACHE_LIMIT)
    return image
  })
}

/**
 * A preview of an image job at a step (media.md §8.1 `type=preview`): the final picture seen through
 * the denoising noise that is left at that step — mostly noise early, nearly clean late.
 *
 * @internal
 */
export const previewBytes = (
  world: World,
  project: Project,
  job: JobSlot,
  step: number,
  extension: string
): Effect.Effect<EncodedMedia> =>
  imageBytes(world, `${job.imgID}.preview-${step}.${extension}`, () => {
    const clean = renderPixels({ ...sceneOf(project, job), seed: project.seed + job.jobIndex })
    const done = Math.min(1, Math.max(0, step / Math.max(1, project.stepCount)))
    const rand = prng(hashString(job.imgID) ^ step)
    const data = Buffer.alloc(clean.data.length)
    for (let i = 0; i < data.length; i += 4) {
      const noise = rand() * 255
      for (let c = 0; c < 3; c++) data[i + c] = Math.round(clean.data[i + c]! * done + noise * (1 - done))
      data[i + 3] = 255
    }
    return { width: clean.width, height: clean.height, data }
  }, extension)

/**
 * The steps whose `jobProgress` carries a preview (`hasImage: true`, media.md §4.1, §8.1): `previews`
 * evenly spaced steps before the last one (the last step's picture is the result). Fewer when the job
 * has fewer intermediate steps than requested previews.
 *
 * @internal
 */
export const previewSteps = (stepCount: number, previews: number): ReadonlySet<number> => {
  const out = new Set<number>()
  for (let k = 1; k <= previews; k++) {
    const step = Math.round((k * stepCount) / (previews + 1))
    if (step >= 1 && step < stepCount) out.add(step)
  }
  return out
}

/** The latest preview step of a job at or before the steps it has performed, if any. @internal */
export const latestPreviewStep = (previews: ReadonlySet<number>, performed: number): number | undefined => {
  let latest: number | undefined
  for (const step of previews) if (step <= performed && (latest === undefined || step > latest)) latest = step
  return latest
}

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
    return imageBytes(world, key, () => renderPixels(sceneOf(project, job)), extension)
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
  for (const key of [...world.renderCache.keys()]) if (key.startsWith(`${imgID}.`)) world.renderCache.delete(key)
  for (const extension of ["mp4", "mp3", "wav", "flac"]) world.mediaCache.delete(`${imgID}.${extension}`)
}
