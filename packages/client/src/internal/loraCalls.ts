/**
 * The code of `sogni.projects.personalLoras`, `sogni.projects.assets` and of `sogni.projects`' LoRA
 * catalog calls, loaded by dynamic import with the first of them: each function takes the facade first
 * (see `forward.ts`). The personal-LoRA and catalog calls load the extras group (media's `Loras`); the
 * saved-upload calls run over the client's `SavedUploads`. A program that only renders images calls none.
 */
import * as SavedUploads from "@effect-sogni/media/SavedUploads"
import * as Effect from "effect/Effect"
import type { Assets, AssetsCalls, PersonalLoras, PersonalLorasCalls } from "../LorasApi.js"
import type { ProjectsApi, ProjectsLoraCalls } from "../ProjectsApi.js"
import type { SavedUpload } from "../types.js"

/** Calls of `A` as functions of the facade `S` they run for. */
type CallsOf<S, A> = { readonly [K in keyof A]: A[K] extends (...args: infer P) => infer R ? (self: S, ...args: P) => R : never }

/** `sogni.projects.personalLoras`' calls. */
export const personalLoras: CallsOf<PersonalLoras, PersonalLorasCalls> = {
  list: async (self, options) => {
    const x = await self._extras()
    const library = await x.run(x.loras.personal, options?.signal)
    return { loras: library.loras.map(x.toPersonal), models: [...library.models], limits: { ...library.limits } }
  },
  get: async (self, id, options) => {
    const x = await self._extras()
    return x.toPersonal(await x.run(x.loras.personalLora(id), options?.signal))
  },
  import: async (self, params, options) => {
    const x = await self._extras()
    return x.toPersonal(await x.run(x.loras.importPersonal(params), options?.signal))
  },
  remove: async (self, id, options) => {
    const x = await self._extras()
    await x.run(x.loras.removePersonal(id), options?.signal)
  },
  catalog: async (self, params = {}, options) => {
    const x = await self._extras()
    const rows = await x.run(x.loras.personalCatalog, options?.signal)
    const modelId = params.modelId
    return { loras: rows.filter((r) => modelId === undefined || r.modelIds.includes(modelId)).map(x.toCatalogEntry) }
  }
}

const epochMs = (value: string | number): number => (typeof value === "number" ? value : Date.parse(value))

const toSavedUpload = (u: SavedUploads.SavedUpload): SavedUpload => ({
  ...u,
  createdAt: epochMs(u.createdAt),
  expiresAt: epochMs(u.expiresAt)
})

const bytesOf = async (file: Blob | Uint8Array): Promise<Uint8Array> =>
  file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer())

/** `sogni.projects.assets`' calls. */
export const assets: CallsOf<Assets, AssetsCalls> = {
  list: async (self, options) => {
    const library = await self._runner.run(Effect.flatMap(SavedUploads.SavedUploads, (s) => s.list), options?.signal)
    return { assets: library.assets.map(toSavedUpload), limits: { ...library.limits } }
  },
  remove: async (self, id, options) => {
    await self._runner.run(Effect.flatMap(SavedUploads.SavedUploads, (s) => s.remove(id)), options?.signal)
  },
  bind: async (self, id, binding, options) => {
    await self._runner.run(Effect.flatMap(SavedUploads.SavedUploads, (s) => s.bind(id, binding)), options?.signal)
  },
  upload: async (self, file, contentType, name, options) => {
    const bytes = await bytesOf(file)
    const saved = await self._runner.run(
      Effect.flatMap(SavedUploads.SavedUploads, (s) => s.save(bytes, { contentType, name })),
      options?.signal
    )
    return toSavedUpload(saved)
  },
  tryBindFile: async (self, file, contentType, binding, options) => {
    const bytes = await bytesOf(file)
    return self._runner.run(
      Effect.flatMap(SavedUploads.SavedUploads, (s) => s.tryBind(bytes, contentType, binding)),
      options?.signal
    )
  }
}

/** `sogni.projects`' LoRA catalog calls. */
export const projectLoras: CallsOf<ProjectsApi, ProjectsLoraCalls> = {
  availableLoras: async (self, params = {}, options) => (await self._extras()).availableLoras(params, self.personalLoras, options),
  getLora: async (self, loraId, options) => {
    const { loras } = loraId.startsWith("personal-")
      ? await self.personalLoras.catalog({}, options)
      : await self.availableLoras({}, options)
    return loras.find((l) => l.loraId === loraId)
  },
  supportsLoras: async (self, modelId, options) => (await self.availableLoras({}, options)).models.includes(modelId),
  loraConstraints: async (self, options) => (await self.availableLoras({}, options)).constraints
}
