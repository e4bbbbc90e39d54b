/**
 * `sogni.projects.personalLoras` and `sogni.projects.assets`: the account's imported LoRAs and its
 * saved-upload library, over media's `Loras` and `SavedUploads`, with the official client's names.
 *
 * @since 0.1.0
 */
import * as SavedUploads from "@effect-sogni/media/SavedUploads"
import * as Effect from "effect/Effect"
import type { Extras } from "./internal/extrasGroup.js"
import type { CallOptions, Runner } from "./internal/runner.js"
import type {
  ImportPersonalLoraParams,
  LoraCatalogEntry,
  PersonalLora,
  PersonalLoraLibrary,
  SavedUpload,
  SavedUploadBinding,
  SavedUploadLimits
} from "./types.js"

/**
 * The account's imported (personal) LoRAs.
 *
 * @since 0.1.0
 */
export class PersonalLoras {
  /** @internal @param extras loads the LoRA code and service on the first call */
  constructor(private readonly extras: () => Promise<Extras>) {}

  /** The library: every imported LoRA, the models they serve and the library's limits. */
  async list(options?: CallOptions): Promise<PersonalLoraLibrary> {
    const x = await this.extras()
    const library = await x.run(x.loras.personal, options?.signal)
    return { loras: library.loras.map(x.toPersonal), models: [...library.models], limits: { ...library.limits } }
  }

  /** One imported LoRA. */
  async get(id: string, options?: CallOptions): Promise<PersonalLora> {
    const x = await this.extras()
    return x.toPersonal(await x.run(x.loras.personalLora(id), options?.signal))
  }

  /** Imports a LoRA from a URL (`rightsConfirmed` must be `true`). */
  async import(params: ImportPersonalLoraParams, options?: CallOptions): Promise<PersonalLora> {
    const x = await this.extras()
    return x.toPersonal(await x.run(x.loras.importPersonal(params), options?.signal))
  }

  /** Removes an imported LoRA. */
  async remove(id: string, options?: CallOptions): Promise<void> {
    const x = await this.extras()
    await x.run(x.loras.removePersonal(id), options?.signal)
  }

  /** The ready imported LoRAs as catalog rows, optionally only those a model accepts. */
  async catalog(params: { readonly modelId?: string } = {}, options?: CallOptions): Promise<{ loras: Array<LoraCatalogEntry> }> {
    const x = await this.extras()
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

/**
 * The saved-upload library: files kept on the server and copied into projects without a new transfer.
 *
 * @since 0.1.0
 */
export class Assets {
  /** @internal */
  constructor(private readonly runner: Runner<SavedUploads.SavedUploads>) {}

  /** The saved files and the library's limits. */
  async list(options?: CallOptions): Promise<{ assets: Array<SavedUpload>; limits: SavedUploadLimits }> {
    const library = await this.runner.run(Effect.flatMap(SavedUploads.SavedUploads, (s) => s.list), options?.signal)
    return { assets: library.assets.map(toSavedUpload), limits: { ...library.limits } }
  }

  /** Removes a saved file. */
  async remove(id: string, options?: CallOptions): Promise<void> {
    await this.runner.run(Effect.flatMap(SavedUploads.SavedUploads, (s) => s.remove(id)), options?.signal)
  }

  /** Copies a saved file into a project's upload slot (before the project's request is sent). */
  async bind(id: string, binding: SavedUploadBinding, options?: CallOptions): Promise<void> {
    await this.runner.run(Effect.flatMap(SavedUploads.SavedUploads, (s) => s.bind(id, binding)), options?.signal)
  }

  /** Saves a file; one already saved is returned without a transfer. */
  async upload(file: Blob | Uint8Array, contentType: string, name?: string, options?: CallOptions): Promise<SavedUpload> {
    const bytes = await bytesOf(file)
    const saved = await this.runner.run(
      Effect.flatMap(SavedUploads.SavedUploads, (s) => s.save(bytes, { contentType, name })),
      options?.signal
    )
    return toSavedUpload(saved)
  }

  /**
   * Saves and binds a project's file when the library is on and takes it (`true`), or says to use the
   * ordinary per-project upload (`false`).
   */
  async tryBindFile(
    file: Blob | Uint8Array,
    contentType: string | undefined,
    binding: SavedUploadBinding,
    options?: CallOptions
  ): Promise<boolean> {
    const bytes = await bytesOf(file)
    return this.runner.run(
      Effect.flatMap(SavedUploads.SavedUploads, (s) => s.tryBind(bytes, contentType, binding)),
      options?.signal
    )
  }
}
