/**
 * The official client's `SogniTools` helpers: the Sogni platform tools' OpenAI definitions (from
 * `@sogni-ai/sogni-protocol`, through core's `PlatformToolManifest`: the definitions without the
 * argument validator, which chat loads on the first hosted tool call) to pass as `tools`, and two helpers for
 * tool calls. With `autoExecuteTools: true`, calls of the client-executable ones (`generate_image`,
 * `edit_image`, `generate_video`, `sound_to_video`, `video_to_video`, `generate_music`) run as media
 * projects of this client.
 *
 * @example
 * ```ts
 * import { SogniTools } from "@effect-sogni/client"
 *
 * const result = await sogni.chat.completions.create({
 *   model: "qwen3.6-35b-a3b-gguf-iq4xs",
 *   messages: [{ role: "user", content: "generate_image of a lighthouse" }],
 *   tools: [SogniTools.generateImage],
 *   autoExecuteTools: true
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as PlatformToolManifest from "@effect-sogni/core/PlatformToolManifest"
import * as PlatformToolNames from "@effect-sogni/core/PlatformToolNames"
import type { ToolCall, ToolDefinition } from "./types.js"

const definition = (name: PlatformToolNames.HostedToolName): ToolDefinition => PlatformToolManifest.tool(name)

/**
 * The platform tool definitions.
 *
 * @since 0.1.0
 */
export const SogniTools: {
  /** Every hosted creative tool. */
  readonly all: ReadonlyArray<ToolDefinition>
  /** The tools this client can run itself when `autoExecuteTools` is on. */
  readonly clientExecutable: ReadonlyArray<ToolDefinition>
  readonly generateImage: ToolDefinition
  readonly editImage: ToolDefinition
  readonly generateVideo: ToolDefinition
  readonly soundToVideo: ToolDefinition
  readonly videoToVideo: ToolDefinition
  readonly generateMusic: ToolDefinition
} = {
  all: PlatformToolManifest.manifest,
  clientExecutable: PlatformToolNames.clientExecutableToolNames.map((n) => definition(n as PlatformToolNames.HostedToolName)),
  generateImage: definition("generate_image"),
  editImage: definition("edit_image"),
  generateVideo: definition("generate_video"),
  soundToVideo: definition("sound_to_video"),
  videoToVideo: definition("video_to_video"),
  generateMusic: definition("generate_music")
}

/** Whether a tool call names a Sogni platform tool. @since 0.1.0 */
export const isSogniToolCall = (call: ToolCall): boolean => PlatformToolNames.isHostedToolName(call.function.name)

/** The JSON arguments of a tool call (blank arguments are `{}`). @since 0.1.0 */
export const parseToolCallArguments = (call: ToolCall): Record<string, unknown> => {
  const text = call.function.arguments.trim()
  if (text.length === 0) return {}
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TypeError(`the arguments of ${call.function.name} are not a JSON object`)
  }
  return parsed as Record<string, unknown>
}
