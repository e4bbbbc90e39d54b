/**
 * `sogni.projects.personalLoras` and `sogni.projects.assets`: the account's imported LoRAs and its
 * saved-upload library, over media's `Loras` and `SavedUploads`, with the official client's names.
 * Their code is `internal/loraCalls.ts`, loaded with the first call (an image program makes none).
 *
 * @since 0.1.0
 */
import type * as SavedUploads from "@effect-sogni/media/SavedUploads"
import type { Extras } from "./internal/extrasGroup.js"
import { forwardCalls } from "./internal/forward.js"
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

let calls: Promise<typeof import("./internal/loraCalls.js")> | undefined
/** @internal Loads the code of the LoRA and saved-upload calls (once). */
export function loadLoraCalls(): Promise<typeof import("./internal/loraCalls.js")> {
  return (calls ??= import("./internal/loraCalls.js"))
}

/**
 * The account's imported (personal) LoRAs.
 *
 * @since 0.1.0
 */
export class PersonalLoras {
  /** @internal Loads the LoRA code and service on the first call. */
  readonly _extras: () => Promise<Extras>

  /** @internal */
  constructor(extras: () => Promise<Extras>) {
    this._extras = extras
  }
}

/** The members of {@link PersonalLoras}. @since 0.1.0 */
export interface PersonalLorasCalls {
  /** The library: every imported LoRA, the models they serve and the library's limits. */
  list(options?: CallOptions): Promise<PersonalLoraLibrary>
  /** One imported LoRA. */
  get(id: string, options?: CallOptions): Promise<PersonalLora>
  /** Imports a LoRA from a URL (`rightsConfirmed` must be `true`). */
  import(params: ImportPersonalLoraParams, options?: CallOptions): Promise<PersonalLora>
  /** Removes an imported LoRA. */
  remove(id: string, options?: CallOptions): Promise<void>
  /** The ready imported LoRAs as catalog rows, optionally only those a model accepts. */
  catalog(params?: { readonly modelId?: string }, options?: CallOptions): Promise<{ loras: Array<LoraCatalogEntry> }>
}

export interface PersonalLoras extends PersonalLorasCalls {}

forwardCalls(PersonalLoras, ["list", "get", "import", "remove", "catalog"], function() {
  return loadLoraCalls().then((m) => m.personalLoras)
})

/**
 * The saved-upload library: files kept on the server and copied into projects without a new transfer.
 *
 * @since 0.1.0
 */
export class Assets {
  /** @internal */
  readonly _runner: Runner<SavedUploads.SavedUploads>

  /** @internal */
  constructor(runner: Runner<SavedUploads.SavedUploads>) {
    this._runner = runner
  }
}

/** The members of {@link Assets}. @since 0.1.0 */
export interface AssetsCalls {
  /** The saved files and the library's limits. */
  list(options?: CallOptions): Promise<{ assets: Array<SavedUpload>; limits: SavedUploadLimits }>
  /** Removes a saved file. */
  remove(id: string, options?: CallOptions): Promise<void>
  /** Copies a saved file into a project's upload slot (before the project's request is sent). */
  bind(id: string, binding: SavedUploadBinding, options?: CallOptions): Promise<void>
  /** Saves a file; one already saved is returned without a transfer. */
  upload(file: Blob | Uint8Array, contentType: string, name?: string, options?: CallOptions): Promise<SavedUpload>
  /**
   * Saves and binds a project's file when the library is on and takes it (`true`), or says to use the
   * ordinary per-project upload (`false`).
   */
  tryBindFile(
    file: Blob | Uint8Array,
    contentType: string | undefined,
    binding: SavedUploadBinding,
    options?: CallOptions
  ): Promise<boolean>
}

export interface Assets extends AssetsCalls {}

forwardCalls(Assets, ["list", "remove", "bind", "upload", "tryBindFile"], function() {
  return loadLoraCalls().then((m) => m.assets)
})
