/**
 * The platform tools' OpenAI definitions without their validator: the hosted tools' manifest (client
 * enum patches applied), the chat-app tools' manifest, the protocol and manifest versions. Everything here
 * is also in `PlatformTools`; import this module instead when a program only sends tool definitions to a
 * model, so that it does not load ajv and the 33 argument schemas (the adapter's `SogniTools` does).
 *
 * @example
 * ```ts
 * import * as PlatformToolManifest from "@effect-sogni/core/PlatformToolManifest"
 *
 * const tools = [PlatformToolManifest.tool("generate_image")] // `tools` of a chat request
 * ```
 *
 * @since 0.2.0
 */
export {
  appManifest,
  type EnumPatch,
  enumPatches,
  type JsonSchemaObject,
  manifest,
  manifestVersion,
  type OpenAiTool,
  protocolDrift,
  protocolVersion,
  tool,
  tools
} from "./internal/toolManifest.js"
