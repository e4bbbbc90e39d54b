/**
 * Durable workflows: the emulator's rules and vocabularies (limits, timings, which tools render what).
 * The step-tool list and the statuses come from core (`PlatformTools`, `Protocol`).
 *
 * @internal
 */
import { PlatformTools, Protocol } from "@effect-sogni/core"

/** Unfinished workflows one account may have at once. @internal */
export const MAX_ACTIVE_WORKFLOWS = 6

/** Estimates above this many capacity units need `confirm_cost: true` or a `confirm-cost` call. @internal */
export const COST_APPROVAL_THRESHOLD = 60

/** Simulated milliseconds between SSE heartbeats (divided by the speed factor). @internal */
export const HEARTBEAT_MILLIS = 4000

/** Simulated milliseconds a text/analysis step takes. @internal */
export const TEXT_STEP_MILLIS = 120

/** How often a running media step's progress is polled (simulated milliseconds). @internal */
export const PROGRESS_POLL_MILLIS = 80

/** The tools allowed as durable workflow steps (protocol `durable-workflow-run.schema.json`). @internal */
export const STEP_TOOL_NAMES: ReadonlySet<string> = new Set(PlatformTools.stepToolNames)

/** Dependency transforms (workflows.md §4). @internal */
export const TRANSFORMS: ReadonlySet<string> = new Set(Protocol.creativeWorkflowTransforms)

/** Step tools that render images (one emulator image project each). @internal */
export const IMAGE_TOOLS: ReadonlySet<string> = new Set([
  "generate_image",
  "edit_image",
  "apply_style",
  "restore_photo",
  "upscale_image",
  "remove_background",
  "segment_image",
  "refine_result",
  "change_angle"
])
/** Step tools that render video. @internal */
export const VIDEO_TOOLS: ReadonlySet<string> = new Set([
  "generate_video",
  "upscale_video",
  "animate_photo",
  "video_to_video",
  "stitch_video",
  "orbit_video",
  "dance_montage",
  "sound_to_video",
  "extend_video",
  "replace_video_segment",
  "overlay_video",
  "add_subtitles"
])
/** Step tools that render audio. @internal */
export const AUDIO_TOOLS: ReadonlySet<string> = new Set(["generate_music", "generate_speech"])

/** What a media artifact or reference is. @internal */
export type MediaKind = "image" | "video" | "audio"

/** Workflow statuses (workflows.md §6). @internal */
export type WorkflowStatus = Protocol.CreativeWorkflowStatus

/** Statuses a workflow never leaves. @internal */
export const TERMINAL: ReadonlySet<WorkflowStatus> = Protocol.creativeWorkflowTerminalStatuses

/** Whether a workflow status is final. @internal */
export const isTerminalStatus = (status: string): boolean => TERMINAL.has(status as WorkflowStatus)

/** Whether a value is a plain JSON object. @internal */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
