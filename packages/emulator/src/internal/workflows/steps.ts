/**
 * Durable workflows: running one step. Dependencies bind earlier artifacts (or the request's media
 * references) into the arguments; media steps run as real emulator projects (an image step yields a real
 * PNG, a video step a real MP4) watched for progress milestones; the other steps produce JSON (or a
 * tiny glTF for `image_to_3d`) stored as blobs.
 *
 * @internal
 */
import { PlatformTools, Protocol } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type { WebSocket } from "ws"
import { mediaBytes } from "../media.js"
import { admitProject, cancelProject, parseDirectives } from "../simulation.js"
import { type Connection, type Outgoing, type Project, simMillis, type World } from "../state.js"
import { randomHex } from "../tokens.js"
import { artifactUrl, EXT_MIME, record } from "./records.js"
import type { Artifact, Blob, Dependency, StepError, StepState, WorkflowState } from "./state.js"
import {
  AUDIO_TOOLS,
  IMAGE_TOOLS,
  isRecord,
  type MediaKind,
  PROGRESS_POLL_MILLIS,
  TEXT_STEP_MILLIS
} from "./vocabulary.js"

/** A step that failed, with why. @internal */
export class StepFailure {
  readonly _tag = "StepFailure"
  constructor(readonly error: StepError) {}
}

/** A step error. @internal */
export const stepError = (code: string, message: string, classification: string, retryable = false): StepError => ({
  code,
  message,
  classification,
  retryable
})

/** `[[slow]]` / `[[fail]]` anywhere in a step's string arguments. @internal */
export const directivesOf = (args: Record<string, unknown>) => {
  let slow = false
  let fail = false
  const visit = (v: unknown) => {
    if (typeof v === "string") {
      const { directives } = parseDirectives(v)
      slow ||= directives.slow
      fail ||= directives.fail
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (isRecord(v)) Object.values(v).forEach(visit)
  }
  visit(args)
  return { slow, fail }
}

/** An artifact's bytes (real media of emulator projects, or stored blobs). */
const artifactBytes = (world: World, artifact: Artifact): Effect.Effect<Blob | undefined> => {
  const source = artifact.source
  if (source._tag === "Blob") return Effect.succeed(world.workflows.blobs.get(source.blobId))
  const project = world.projects.get(source.projectId)
  const slot = world.images.get(source.imgID)
  const job = slot === undefined ? undefined : project?.jobs[slot.jobIndex]
  if (project === undefined || job === undefined) return Effect.succeed(undefined)
  return Effect.map(mediaBytes(world, project, job, source.format), (m) => ({ bytes: m.bytes, contentType: m.contentType }))
}

/** Resolves an emulator media URL (`/_media/<project>/<imgID>.<ext>`) back to its bytes. */
const localMediaBytes = (world: World, url: string): Effect.Effect<Blob | undefined> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Effect.succeed(undefined)
  }
  if (`${parsed.protocol}//${parsed.host}` !== world.baseUrl) return Effect.succeed(undefined)
  const blob = /^\/_workflows\/blobs\/([^/]+)$/.exec(parsed.pathname)
  if (blob !== null) return Effect.succeed(world.workflows.blobs.get(blob[1]!))
  const m = /^\/_media\/([^/]+)\/([^/.]+)\.(\w+)$/.exec(parsed.pathname)
  if (m === null) return Effect.succeed(undefined)
  return artifactBytes(world, {
    id: "",
    kind: "image",
    mimeType: "",
    stepId: "",
    toolName: "",
    source: { _tag: "Project", projectId: m[1]!, imgID: m[2]!, format: m[3]! }
  })
}

/** Fetches the bytes behind a media reference URL (emulator URLs locally, others over HTTP). */
const referenceBytes = (world: World, url: string): Effect.Effect<Blob | undefined> =>
  Effect.flatMap(localMediaBytes(world, url), (local) =>
    local !== undefined ? Effect.succeed(local) : Effect.tryPromise(async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      if (!response.ok) return undefined
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        contentType: (response.headers.get("content-type") ?? "application/octet-stream").split(";")[0]!
      }
    }).pipe(Effect.orElseSucceed(() => undefined)))

/**
 * The reference image a partner-video step names by URL (`reference_image_url`, else the first of
 * `reference_image_urls`), fetched like a bound `$input_media` reference; `undefined` when it names none.
 *
 * @internal
 */
export const legacyReference = (world: World, args: Record<string, unknown>): Effect.Effect<Blob | undefined> | undefined => {
  const list = args["reference_image_urls"]
  const url = typeof args["reference_image_url"] === "string"
    ? args["reference_image_url"]
    : Array.isArray(list) && typeof list[0] === "string"
    ? list[0]
    : undefined
  return url === undefined ? undefined : referenceBytes(world, url)
}

/** A value bound into a step argument, and the media it carries for execution. @internal */
export interface Binding {
  readonly value: unknown
  readonly media?: { readonly kind: MediaKind; readonly bytes: Effect.Effect<Blob | undefined> } | undefined
}

const kindOfMime = (mime: string): MediaKind | undefined =>
  mime.startsWith("image/") ? "image" : mime.startsWith("video/") ? "video" : mime.startsWith("audio/") ? "audio" : undefined

/** The value a dependency binds (and the media it carries), or why the step cannot run. @internal */
export const resolveDependency = (
  world: World,
  wf: WorkflowState,
  dep: Dependency
): Either.Either<Binding | undefined, StepError> => {
  const required = dep.required !== false
  const index = dep.sourceArtifactIndex ?? 0
  const missing = (message: string) =>
    required ? Either.left(stepError("DEPENDENCY_FAILED", message, "validation")) : Either.right(undefined)
  if (dep.sourceStepId === "$input_media") {
    const candidates = wf.mediaReferences
      .map((m, i) => ({ m, i }))
      .filter(({ m }) => dep.mediaType === undefined || m["type"] === dep.mediaType)
    const hit = candidates[index]
    if (hit === undefined) return missing(`No ${dep.mediaType ?? "media"} reference #${index} to bind`)
    const url = typeof hit.m["url"] === "string" ? hit.m["url"] : ""
    const kind = (hit.m["type"] as MediaKind | undefined) ?? dep.mediaType ?? "image"
    const value = dep.transform.endsWith("_index") ? -(hit.i + 1) : url
    return Either.right({ value, media: { kind, bytes: referenceBytes(world, url) } })
  }
  const source = wf.steps.find((s) => s.id === dep.sourceStepId)
  if (source === undefined || source.status !== "completed") {
    return missing(`Step ${dep.sourceStepId} did not complete`)
  }
  const pool = source.artifacts.filter((a) =>
    (dep.sourceArtifactId === undefined || a.id === dep.sourceArtifactId) &&
    (dep.mediaType === undefined || a.kind === dep.mediaType)
  )
  const artifact = pool[index]
  if (artifact === undefined) {
    return missing(`Step ${dep.sourceStepId} has no ${dep.mediaType ?? "artifact"} #${index}`)
  }
  const media = artifact.kind === "image" || artifact.kind === "video" || artifact.kind === "audio"
    ? { kind: artifact.kind, bytes: artifactBytes(world, artifact) }
    : undefined
  switch (dep.transform) {
    case "image_index":
    case "video_index":
    case "audio_index":
      return Either.right({ value: wf.artifacts.filter((a) => a.kind === artifact.kind).indexOf(artifact), media })
    case "artifact_data_uri":
      return Either.right({ value: artifactUrl(world, artifact), media })
    case "subtitle_cues":
      return Either.right({ value: [{ startSeconds: 0, endSeconds: 2, text: `From ${source.id}` }] })
    case "subtitle_srt":
      return Either.right({ value: `1\n00:00:00,000 --> 00:00:02,000\nFrom ${source.id}\n` })
    case "overlay_items":
      return Either.right({ value: [{ kind: "text", text: `From ${source.id}`, position: "bottom" }] })
    case "asset_ref":
      return Either.right({ value: artifact.id })
    default:
      return Either.right({ value: artifactUrl(world, artifact), media })
  }
}

/** Writes a bound value into a step's arguments (list-valued targets collect). @internal */
export const bindArgument = (args: Record<string, unknown>, target: string, value: unknown) => {
  if (/Indices$|Urls$|urls$/.test(target)) {
    const existing = args[target]
    args[target] = [...(Array.isArray(existing) ? existing : []), value]
  } else {
    args[target] = value
  }
}

const IMAGE_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  "1:1": [768, 768],
  "16:9": [1024, 576],
  "9:16": [576, 1024],
  "4:3": [896, 672],
  "3:4": [672, 896],
  "3:2": [960, 640],
  "2:3": [640, 960]
}

const numberArg = (args: Record<string, unknown>, key: string): number | undefined => {
  const v = args[key]
  return typeof v === "number" && Number.isFinite(v) ? v : undefined
}

const stringArg = (args: Record<string, unknown>, key: string): string | undefined => {
  const v = args[key]
  return typeof v === "string" && v.length > 0 ? v : undefined
}

/** The `jobRequest` a hosted media step becomes. */
const jobRequestOf = (
  wf: WorkflowState,
  toolName: string,
  args: Record<string, unknown>,
  projectId: string,
  reference: Blob | undefined
): { readonly request: Protocol.JobRequest; readonly kind: MediaKind } => {
  const prompt = stringArg(args, "prompt") ?? stringArg(args, "description") ?? stringArg(args, "imagePrompt") ??
    `${toolName.replace(/_/g, " ")} result`
  const count = Math.max(1, Math.min(4, Math.floor(numberArg(args, "numberOfVariations") ?? 1)))
  const seed = numberArg(args, "seed")
  const base = {
    positivePrompt: prompt,
    negativePrompt: stringArg(args, "negativePrompt") ?? "",
    ...(seed !== undefined && seed >= 0 ? { seed: Math.floor(seed) >>> 0 } : {})
  }
  const common = { jobID: projectId, previews: 0, tokenType: wf.tokenType, network: "fast" as const }
  if (IMAGE_TOOLS.has(toolName)) {
    const model = (stringArg(args, "model") ?? "").startsWith("z-") ? "z_image_turbo_bf16" : "flux1-schnell-fp8"
    const [w, h] = numberArg(args, "width") !== undefined && numberArg(args, "height") !== undefined
      ? [numberArg(args, "width")!, numberArg(args, "height")!]
      : IMAGE_SIZES[stringArg(args, "aspectRatio") ?? "1:1"] ?? IMAGE_SIZES["1:1"]!
    const format = stringArg(args, "outputFormat") === "jpg" || stringArg(args, "outputFormat") === "jpeg" ? "jpg" : "png"
    return {
      kind: "image",
      request: {
        ...common,
        keyFrames: [{
          ...base,
          modelID: model,
          steps: model === "flux1-schnell-fp8" ? 4 : 8,
          guidanceScale: 1,
          sizePreset: "custom",
          width: w,
          height: h,
          ...(reference !== undefined ? { hasStartingImage: true, startingImageStrength: 0.5 } : {})
        }],
        numberOfImages: count,
        outputFormat: format
      }
    }
  }
  if (AUDIO_TOOLS.has(toolName)) {
    const duration = Math.max(10, Math.min(600, numberArg(args, "duration") ?? 10))
    return {
      kind: "audio",
      request: {
        ...common,
        keyFrames: [{
          ...base,
          modelID: "ace_step_1.5_turbo",
          steps: 8,
          duration,
          ...(numberArg(args, "bpm") !== undefined ? { bpm: numberArg(args, "bpm") } : {})
        }],
        numberOfImages: count,
        outputFormat: stringArg(args, "outputFormat") === "wav" ? "wav" : "mp3"
      }
    }
  }
  const selector = (stringArg(args, "videoModel") ?? "").toLowerCase()
  const withImage = reference !== undefined && kindOfMime(reference.contentType) === "image"
  const duration = Math.max(1, Math.min(10, numberArg(args, "duration") ?? 2))
  let keyFrame: Record<string, unknown>
  const legacyModel = stringArg(args, "model") ?? ""
  if (selector.startsWith("seedance") || legacyModel.startsWith("seedance")) {
    // the Seedance selectors name one model id whatever the workflow (core's selector tables)
    const modelID = PlatformTools.textToVideoSelectors[selector] ??
      (legacyModel.startsWith("seedance") ? legacyModel : "seedance-2-0")
    keyFrame = { modelID, steps: 1, fps: 24, duration: Math.max(4, duration) }
  } else if (selector.startsWith("ltx")) {
    keyFrame = {
      modelID: withImage ? "ltx23-22b-fp8_i2v_distilled" : "ltx23-22b-fp8_t2v_distilled",
      steps: 8,
      fps: 24,
      duration
    }
  } else {
    keyFrame = {
      modelID: withImage ? "wan_v2.2-14b-fp8_i2v_lightx2v" : "wan_v2.2-14b-fp8_t2v_lightx2v",
      steps: 4,
      fps: 16,
      duration
    }
  }
  if (withImage) keyFrame["hasReferenceImage"] = true
  return {
    kind: "video",
    request: { ...common, keyFrames: [{ ...base, ...keyFrame }], numberOfImages: count, outputFormat: "mp4" }
  }
}

/** A connection object that is never registered in `world.connections`: admission refusals land in its outbox. */
const virtualConnection = (wf: WorkflowState, outbox: Queue.Queue<Outgoing>, inbox: Queue.Queue<Uint8Array>): Connection => ({
  id: `workflow-${wf.workflowId}`,
  appId: `creative-workflow-${wf.workflowId}`,
  account: wf.owner,
  // Nothing reaches for the socket of a connection that is not in `world.connections`.
  ws: undefined as unknown as WebSocket,
  connectedAt: wf.createTime,
  appSource: wf.appSource,
  clientSID: wf.owner.SID,
  network: "fast",
  subscriptions: new Map(),
  outbox,
  inbox,
  fiber: undefined,
  closed: false
})

const refusalOf = (outbox: Queue.Queue<Outgoing>): Effect.Effect<StepError> =>
  Effect.map(Queue.takeAll(outbox), (items) => {
    for (const item of items) {
      const decoded = Protocol.decodeServerFrame(item.text)
      if (Either.isRight(decoded) && decoded.right.type === "jobError") {
        const payload = decoded.right.payload as { readonly error?: unknown; readonly error_message?: unknown }
        const message = typeof payload.error_message === "string" ? payload.error_message : "The step was refused"
        return payload.error === 4024
          ? stepError("INSUFFICIENT_CREDIT", message, "billing")
          : stepError("INVALID_ARGUMENTS", message, "validation")
      }
    }
    return stepError("STEP_REFUSED", "The step's media job was refused", "unknown")
  })

/** Runs a media step as an emulator project and returns its artifacts. @internal */
export const runMediaStep = (
  world: World,
  wf: WorkflowState,
  step: StepState,
  args: Record<string, unknown>,
  reference: Blob | undefined
): Effect.Effect<Artifact[], StepFailure> =>
  Effect.gen(function*() {
    const projectId = Protocol.makeId()
    const { kind, request } = jobRequestOf(wf, step.toolName, args, projectId, reference)
    if (reference !== undefined && kindOfMime(reference.contentType) === "image") {
      const slot = kind === "image" ? "startingImage" : "referenceImage"
      world.uploads.set(
        projectId,
        new Map([[slot, {
          slot,
          kind: "image",
          contentType: reference.contentType,
          bytes: reference.bytes,
          imageId: undefined,
          owner: wf.owner.username,
          at: Date.now()
        }]])
      )
    }
    const outbox = yield* Queue.unbounded<Outgoing>()
    const inbox = yield* Queue.unbounded<Uint8Array>()
    const conn = virtualConnection(wf, outbox, inbox)
    yield* admitProject(world, conn, request)
    const project = world.projects.get(projectId)
    if (project === undefined) {
      world.uploads.delete(projectId)
      return yield* Effect.fail(new StepFailure(yield* refusalOf(outbox)))
    }
    step.projectId = projectId
    const progress = watchProgress(world, wf, step, project)
    yield* Effect.raceFirst(
      Fiber.await(project.fiber!),
      Effect.forever(progress.tick).pipe(Effect.as(undefined as never))
    ).pipe(
      Effect.onInterrupt(() => cancelProject(world, conn, projectId))
    )
    progress.settle()
    const done = project.jobs.filter((j) => j.status === "jobCompleted")
    if (done.length === 0) {
      const reason = project.jobs.find((j) => j.reason !== null)?.reason ?? "genfailure"
      return yield* Effect.fail(
        new StepFailure(stepError("GENERATION_FAILED", `The ${kind} render failed (${reason})`, "provider", true))
      )
    }
    return done.map((job): Artifact => {
      const format = project.outputFormat === "jpeg" ? "jpg" : project.outputFormat
      return {
        id: nextArtifactId(world),
        kind,
        mimeType: EXT_MIME[format] ?? "application/octet-stream",
        stepId: step.id,
        toolName: step.toolName,
        ...(kind !== "audio" ? { width: project.width, height: project.height } : {}),
        ...(kind === "video" && project.video !== undefined
          ? { durationSeconds: Math.round((project.video.outputFrames - 1) / project.video.fps * 100) / 100 }
          : {}),
        ...(kind === "audio" && project.audio !== undefined ? { durationSeconds: project.audio.duration } : {}),
        source: { _tag: "Project", projectId, imgID: job.imgID, format }
      }
    })
  })

const nextArtifactId = (world: World) => `art_${(++world.workflows.serial).toString(36)}_${randomHex(3)}`

/** The progress fractions a media step reports, each exactly once: the event count never depends on timing. */
const PROGRESS_MILESTONES: ReadonlyArray<number> = [0.25, 0.5, 0.75]

/**
 * Progress of a media step: `tick` records a `workflow_progress` event for every milestone the project has
 * reached (polled, so several may be recorded at once); `settle` runs once the project is over, so a
 * completed step reports every milestone however the polls fell.
 */
const watchProgress = (world: World, wf: WorkflowState, step: StepState, project: Project) => {
  let next = 0
  const reach = (fraction: number) => {
    while (next < PROGRESS_MILESTONES.length && fraction >= PROGRESS_MILESTONES[next]!) {
      record(wf, "workflow_progress", {
        data: { stepId: step.id, toolName: step.toolName, progress: PROGRESS_MILESTONES[next]! }
      })
      next++
    }
  }
  const fraction = () => {
    const total = project.jobs.length * Math.max(1, project.stepCount)
    const performed = project.jobs.reduce(
      (n, j) => n + (j.status === "jobCompleted" ? project.stepCount : Math.min(project.stepCount, j.performedSteps)),
      0
    )
    return performed / total
  }
  return {
    tick: Effect.zipRight(Effect.sleep(simMillis(world, PROGRESS_POLL_MILLIS)), Effect.sync(() => reach(fraction()))),
    settle: () => reach(fraction())
  }
}

const storeBlob = (world: World, value: unknown, contentType: string): string => {
  const blobId = `blob_${randomHex(8)}`
  const bytes = contentType.startsWith("model/")
    ? value as Uint8Array
    : new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value, null, 2))
  world.workflows.blobs.set(blobId, { bytes, contentType })
  return blobId
}

/** A minimal valid binary glTF (one triangle): what `image_to_3d` returns. */
const tinyGlb = (): Uint8Array => {
  const positions = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0])
  const bin = new Uint8Array(positions.buffer)
  const gltf = {
    asset: { version: "2.0", generator: "effect-sogni emulator" },
    buffers: [{ byteLength: bin.length }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: bin.length }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: "VEC3", min: [0, 0, 0], max: [1, 1, 0] }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    nodes: [{ mesh: 0 }],
    scenes: [{ nodes: [0] }],
    scene: 0
  }
  let json = new TextEncoder().encode(JSON.stringify(gltf))
  const jsonPadded = new Uint8Array(Math.ceil(json.length / 4) * 4).fill(0x20)
  jsonPadded.set(json)
  json = jsonPadded
  const total = 12 + 8 + json.length + 8 + bin.length
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  view.setUint32(0, 0x46546c67, true)
  view.setUint32(4, 2, true)
  view.setUint32(8, total, true)
  view.setUint32(12, json.length, true)
  view.setUint32(16, 0x4e4f534a, true)
  out.set(json, 20)
  view.setUint32(20 + json.length, bin.length, true)
  view.setUint32(24 + json.length, 0x004e4942, true)
  out.set(bin, 28 + json.length)
  return out
}

/** Runs a non-media step (analysis, asset bookkeeping, 3D, finalize) and returns its artifacts. @internal */
export const runTextStep = (
  world: World,
  step: StepState,
  args: Record<string, unknown>,
  slow: boolean
): Effect.Effect<Artifact[]> =>
  Effect.gen(function*() {
    yield* Effect.sleep(simMillis(world, slow ? TEXT_STEP_MILLIS * 8 : TEXT_STEP_MILLIS))
    if (step.toolName === "image_to_3d") {
      const blobId = storeBlob(world, tinyGlb(), "model/gltf-binary")
      return [{
        id: nextArtifactId(world),
        kind: "model",
        mimeType: "model/gltf-binary",
        stepId: step.id,
        toolName: step.toolName,
        source: { _tag: "Blob", blobId }
      }]
    }
    const result = step.toolName === "finalize_response"
      ? { outcome: args["outcome"] ?? "success", summary: args["summary"] ?? "" }
      : { tool: step.toolName, arguments: args, summary: `${step.toolName.replace(/_/g, " ")} done` }
    const blobId = storeBlob(world, result, "application/json")
    return [{
      id: nextArtifactId(world),
      kind: "json",
      mimeType: "application/json",
      stepId: step.id,
      toolName: step.toolName,
      source: { _tag: "Blob", blobId }
    }]
  })
