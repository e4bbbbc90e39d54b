/**
 * The names of the Sogni platform tools (tools.md §1–§2) and their predicates, without the protocol's
 * manifest, argument schemas or validator: code that only needs to tell tool names apart (the promise
 * adapter's chat, durable workflow plans, hosted chat) imports this module and loads nothing heavy.
 * {@link PlatformTools} re-exports all of it and checks these lists against `@sogni-ai/sogni-protocol`
 * when it loads.
 *
 * @example
 * ```ts
 * import * as PlatformToolNames from "@effect-sogni/core/PlatformToolNames"
 *
 * PlatformToolNames.isClientExecutableToolName("generate_image") // true
 * PlatformToolNames.isHostedToolName("analyze_image") // false: an app tool
 * ```
 *
 * @since 0.2.0
 */
import * as Lazy from "./Lazy.js"
import * as Schema from "effect/Schema"
// ---------------------------------------------------------------------------------------------------
// Names

/**
 * The 30 hosted creative tools (`enums/tool-names.json#hosted`). The list is checked against the
 * package when this module loads.
 *
 * @since 0.1.0
 */
export const hostedToolNames = [
  "add_subtitles", "animate_photo", "apply_style", "change_angle", "compose_instrumental", "compose_lyrics",
  "compose_script", "compose_workflow", "compose_workflow_template", "dance_montage", "edit_image",
  "enhance_prompt", "extend_video", "generate_image", "generate_music", "generate_speech", "generate_video",
  "image_to_3d", "orbit_video", "overlay_video", "refine_result", "remove_background", "replace_video_segment",
  "restore_photo", "segment_image", "sound_to_video", "stitch_video", "upscale_image", "upscale_video",
  "video_to_video"
] as const

/** @since 0.1.0 */
export type HostedToolName = typeof hostedToolNames[number]

/** @since 0.1.0 */
export const HostedToolName: Schema.Literal<typeof hostedToolNames> = /* @__PURE__ */ Lazy.schema(() => Schema.Literal(...hostedToolNames))

/**
 * The 10 chat-app tools (`enums/tool-names.json#app`): manifest only, never executed by the SDK.
 *
 * @since 0.1.0
 */
export const appToolNames = [
  "analyze_image", "analyze_video", "ask_clarifying_question", "create_asset_manifest", "extract_metadata",
  "finalize_response", "inspect_asset", "label_asset", "map_assets_for_model", "validate_asset_references"
] as const

/** @since 0.1.0 */
export type AppToolName = typeof appToolNames[number]

/** @since 0.1.0 */
export const AppToolName: Schema.Literal<typeof appToolNames> = /* @__PURE__ */ Lazy.schema(() => Schema.Literal(...appToolNames))

/**
 * The 3 tools executed inside the Sogni chat app (`enums/tool-names.json#chatLocal`); they have schema
 * files but no manifest entry.
 *
 * @since 0.1.0
 */
export const chatLocalToolNames = ["manage_memory", "resolve_personas", "set_content_filter"] as const

/** @since 0.1.0 */
export type ChatLocalToolName = typeof chatLocalToolNames[number]

/** @since 0.1.0 */
export const ChatLocalToolName: Schema.Literal<typeof chatLocalToolNames> = /* @__PURE__ */ Lazy.schema(() => Schema.Literal(...chatLocalToolNames))

/**
 * The hosted tools a client can run itself by dispatching media projects (column L of tools.md §2).
 *
 * @since 0.1.0
 */
export const clientExecutableToolNames = [
  "generate_image", "edit_image", "generate_video", "sound_to_video", "video_to_video", "generate_music"
] as const satisfies ReadonlyArray<HostedToolName>

/** @since 0.1.0 */
export type ClientExecutableToolName = typeof clientExecutableToolNames[number]

/** @since 0.1.0 */
export const ClientExecutableToolName: Schema.Literal<typeof clientExecutableToolNames> = /* @__PURE__ */ Lazy.schema(() =>
  Schema.Literal(
    ...clientExecutableToolNames
  )
)

/** Tools that have an argument schema file. @since 0.1.0 */
export type SchemaToolName = HostedToolName | ChatLocalToolName

/**
 * The hosted tools that write text (prompts, scripts, lyrics, workflow plans) rather than render media:
 * run directly (`/v1/creative-agent/tools/execute`), never as durable workflow steps.
 *
 * @since 0.2.0
 */
export const compositionToolNames = [
  "compose_instrumental", "compose_lyrics", "compose_script", "compose_workflow", "compose_workflow_template",
  "enhance_prompt"
] as const satisfies ReadonlyArray<HostedToolName>

/** @since 0.2.0 */
export type CompositionToolName = typeof compositionToolNames[number]

/** @since 0.2.0 */
export type StepToolName = Exclude<HostedToolName, CompositionToolName> | AppToolName

const compositionSet: ReadonlySet<string> = new Set(compositionToolNames)

/**
 * The tools allowed as durable workflow steps (protocol `durable-workflow-run.schema.json`): every app
 * tool, then every hosted tool except the {@link compositionToolNames}.
 *
 * @since 0.2.0
 */
export const stepToolNames: readonly [StepToolName, ...Array<StepToolName>] = [
  ...appToolNames,
  ...hostedToolNames.filter((name): name is Exclude<HostedToolName, CompositionToolName> => !compositionSet.has(name))
]

const stepSet: ReadonlySet<string> = new Set(stepToolNames)

/** Whether a name is a durable workflow step tool. @since 0.2.0 */
export const isStepToolName = (u: unknown): u is StepToolName => typeof u === "string" && stepSet.has(u)

const hostedSet: ReadonlySet<string> = new Set(hostedToolNames)
const chatLocalSet: ReadonlySet<string> = new Set(chatLocalToolNames)
const clientExecutableSet: ReadonlySet<string> = new Set(clientExecutableToolNames)

/** @since 0.1.0 */
export const isHostedToolName = (u: unknown): u is HostedToolName => typeof u === "string" && hostedSet.has(u)

/** Whether a name has an argument schema file: a hosted or a chat-local tool. @since 0.2.0 */
export const isSchemaToolName = (u: unknown): u is SchemaToolName =>
  typeof u === "string" && (hostedSet.has(u) || chatLocalSet.has(u))

/** @since 0.1.0 */
export const isClientExecutableToolName = (u: unknown): u is ClientExecutableToolName =>
  typeof u === "string" && clientExecutableSet.has(u)
