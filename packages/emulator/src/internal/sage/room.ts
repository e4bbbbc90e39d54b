/**
 * The Sage room of the emulator: its explicit state (response-shape mode, mock providers, the
 * one-generation-at-a-time gate, what was asked and which streams the client closed) and the in-process
 * controls tests use. The routes are in `./router.ts`.
 *
 * Three response shapes (sage-llm.md §A.0): `"D"` (the handed document: flat bodies, `token` events,
 * `status` in error bodies, data-URL images with the documented limits), `"S1"` (default: `data`
 * envelope, `chunk`/`done`/`full_response` events with the double `done` on Ollama, raw base64 images)
 * and `"S2"` (canonical `*_rest` provider keys, capability maps, `error_code` on errors, LM Studio
 * progress events).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/** The response shape the routes answer with. @internal */
export type SageMode = "D" | "S1" | "S2"

/** A mock provider (the models it lists and whether it is switched on and reachable). @internal */
export interface SageProviderOptions {
  readonly enabled?: boolean | undefined
  readonly available?: boolean | undefined
  /** Text models, in list order (vision models are added to the list too). */
  readonly models?: ReadonlyArray<string> | undefined
  readonly visionModels?: ReadonlyArray<string> | undefined
}

/**
 * Options of the Sage routes.
 *
 * @since 0.2.0
 */
export interface SageOptions {
  /** Response shape (default `"S1"`). */
  readonly mode?: SageMode | undefined
  readonly ollama?: SageProviderOptions | undefined
  readonly lmstudio?: SageProviderOptions | undefined
  /** Milliseconds between two stream events at speed 1 (default 12; `[[slow]]` prompts wait 250). */
  readonly tokenMillis?: number | undefined
}

/** The two mock providers (their S1 keys). @internal */
export type SageProviderName = "ollama" | "lmstudio"

/** Live state of one provider. @internal */
export interface SageProvider {
  enabled: boolean
  available: boolean
  models: Array<string>
  visionModels: Array<string>
}

/** One generation request as the emulator understood it. @since 0.2.0 */
export interface SageRequestRecord {
  readonly route: string
  readonly provider: string
  readonly model: string
  readonly prompt: string
  /** The system text used (`system_prompt`, else `system`). */
  readonly system: string
  /** The sampling values used (`options[k]`, else top-level `k`). */
  readonly sampling: Readonly<Record<string, unknown>>
  readonly images: number
  /** The raw JSON body. */
  readonly body: Readonly<Record<string, unknown>>
}

/** A stream the client closed before its terminal event. @since 0.2.0 */
export interface SageDisconnect {
  readonly route: string
  readonly provider: string
  readonly model: string
  readonly prompt: string
  /** Text events written before the connection closed. */
  readonly chunksSent: number
}

/** Counters of the one-at-a-time gate. @since 0.2.0 */
export interface SageGateStats {
  /** Most generations that ever ran at once (the gate keeps it at 1). */
  readonly maxActive: number
  /** Most requests that ever waited at the gate at once (0 when the client queues its own calls). */
  readonly maxWaiting: number
  /** Generations that ran to their end (success or error event). */
  readonly finished: number
}

/**
 * In-process controls of the Sage routes.
 *
 * @since 0.2.0
 */
export interface SageControl {
  readonly mode: () => SageMode
  readonly setMode: (mode: SageMode) => void
  /** Switches a provider on/off or makes it unreachable. */
  readonly setProvider: (name: SageProviderName, patch: { readonly enabled?: boolean; readonly available?: boolean }) => void
  /** Generation requests that passed the body checks, in arrival order. */
  readonly requests: () => ReadonlyArray<SageRequestRecord>
  /** Streams closed by the client before their terminal event. */
  readonly disconnects: () => ReadonlyArray<SageDisconnect>
  readonly gate: () => SageGateStats
  /** Forgets the records and counters (mode and providers stay). */
  readonly clear: () => void
}

/** The room: state plus the gate. @internal */
export interface SageRoom {
  mode: SageMode
  readonly speed: number
  readonly tokenMillis: number
  readonly providers: Record<SageProviderName, SageProvider>
  readonly requests: Array<SageRequestRecord>
  readonly disconnects: Array<SageDisconnect>
  readonly stats: { active: number; waiting: number; maxActive: number; maxWaiting: number; finished: number }
  readonly gate: Effect.Semaphore
  readonly control: SageControl
}

/** The default mock models (invented names, in the style the providers list them). @internal */
export const DEFAULT_MODELS: Record<SageProviderName, { readonly models: ReadonlyArray<string>; readonly vision: ReadonlyArray<string> }> = {
  ollama: { models: ["qwen2.5:7b", "llama3.2:latest"], vision: ["llava:7b"] },
  lmstudio: { models: ["qwen2.5-7b-instruct"], vision: ["gemma-3-4b-it"] }
}

const provider = (name: SageProviderName, options: SageProviderOptions | undefined): SageProvider => {
  const vision = [...(options?.visionModels ?? DEFAULT_MODELS[name].vision)]
  const text = [...(options?.models ?? DEFAULT_MODELS[name].models)]
  return {
    enabled: options?.enabled ?? true,
    available: options?.available ?? true,
    models: [...text, ...vision.filter((v) => !text.includes(v))],
    visionModels: vision
  }
}

/** Builds the room. Invalid options are reported as problems by the caller. @internal */
export const makeSageRoom = (options: SageOptions | undefined, speed: number): SageRoom => {
  const room: SageRoom = {
    mode: options?.mode ?? "S1",
    speed,
    tokenMillis: options?.tokenMillis ?? 12,
    providers: { ollama: provider("ollama", options?.ollama), lmstudio: provider("lmstudio", options?.lmstudio) },
    requests: [],
    disconnects: [],
    stats: { active: 0, waiting: 0, maxActive: 0, maxWaiting: 0, finished: 0 },
    gate: Effect.unsafeMakeSemaphore(1),
    control: undefined as unknown as SageControl
  }
  const control: SageControl = {
    mode: () => room.mode,
    setMode: (mode) => {
      room.mode = mode
    },
    setProvider: (name, patch) => {
      const p = room.providers[name]
      if (patch.enabled !== undefined) p.enabled = patch.enabled
      if (patch.available !== undefined) p.available = patch.available
    },
    requests: () => [...room.requests],
    disconnects: () => [...room.disconnects],
    gate: () => ({ maxActive: room.stats.maxActive, maxWaiting: room.stats.maxWaiting, finished: room.stats.finished }),
    clear: () => {
      room.requests.length = 0
      room.disconnects.length = 0
      room.stats.maxActive = room.stats.active
      room.stats.maxWaiting = room.stats.waiting
      room.stats.finished = 0
    }
  }
  ;(room as { control: SageControl }).control = control
  return room
}

/** Problems with the options (empty when fine). @internal */
export const sageOptionProblems = (options: SageOptions | undefined): ReadonlyArray<string> => {
  const problems: string[] = []
  if (options === undefined) return problems
  if (options.mode !== undefined && !["D", "S1", "S2"].includes(options.mode)) {
    problems.push(`sage.mode must be "D", "S1" or "S2" (got ${JSON.stringify(options.mode)})`)
  }
  if (options.tokenMillis !== undefined && !(Number.isFinite(options.tokenMillis) && options.tokenMillis >= 0)) {
    problems.push(`sage.tokenMillis must be a non-negative number (got ${options.tokenMillis})`)
  }
  return problems
}

/**
 * Enters the room's one-generation gate for the current scope: waits (counted as waiting), then holds
 * the gate (counted as active) until the scope closes.
 *
 * @internal
 */
export const enterGate = (room: SageRoom): Effect.Effect<void, never, Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      room.stats.waiting++
      room.stats.maxWaiting = Math.max(room.stats.maxWaiting, room.stats.waiting)
      return restore(room.gate.take(1)).pipe(
        Effect.ensuring(Effect.sync(() => room.stats.waiting--)),
        Effect.zipRight(Effect.sync(() => {
          room.stats.active++
          room.stats.maxActive = Math.max(room.stats.maxActive, room.stats.active)
        })),
        Effect.zipRight(Effect.addFinalizer(() =>
          Effect.zipRight(Effect.sync(() => room.stats.active--), room.gate.release(1))
        ))
      )
    })
  )
