/**
 * The light half of the platform tool catalog: the OpenAI tool manifests (`manifests/openai-tools.json`,
 * `manifests/app-tools.json`) with the official client's enum patches, read and checked once at import.
 * `PlatformTools` re-exports all of it beside the argument validator; this module loads neither the
 * validator (ajv) nor the per-tool argument schemas, so a program that only sends the tool definitions
 * (the adapter's `SogniTools`) does not pay for them at start-up.
 */
import * as Schema from "effect/Schema"
import toolNamesJson from "@sogni-ai/sogni-protocol/enums/tool-names.json" with { type: "json" }
import appToolsFile from "@sogni-ai/sogni-protocol/manifests/app-tools.json" with { type: "json" }
import openAiToolsFile from "@sogni-ai/sogni-protocol/manifests/openai-tools.json" with { type: "json" }
import versionFile from "@sogni-ai/sogni-protocol/version.json" with { type: "json" }
import { appToolNames, chatLocalToolNames, type HostedToolName, hostedToolNames } from "../PlatformToolNames.js"


/** A JSON Schema object as the protocol package ships it. @since 0.1.0 */
export interface JsonSchemaObject {
  readonly [key: string]: unknown
}

/** One OpenAI function tool of the manifest. @since 0.1.0 */
export interface OpenAiTool {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description: string
    readonly parameters: JsonSchemaObject
  }
}

export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const ManifestFile = Schema.Struct({
  version: Schema.String,
  tools: Schema.Array(Schema.Struct({
    type: Schema.Literal("function"),
    function: Schema.Struct({ name: Schema.String, description: Schema.String, parameters: JsonObject })
  }))
})

const ToolNamesFile = Schema.Struct({
  hosted: Schema.Array(Schema.String),
  app: Schema.Array(Schema.String),
  chatLocal: Schema.Array(Schema.String)
})

const VersionFile = Schema.Struct({ protocolVersion: Schema.String })

/** Differences between the installed protocol package and this SDK, found while loading this module. */
const drift: Array<string> = []

const sameSet = (label: string, actual: ReadonlyArray<string>, expected: ReadonlyArray<string>): void => {
  const a = [...actual].sort().join(",")
  const e = [...expected].sort().join(",")
  if (a !== e) drift.push(`@sogni-ai/sogni-protocol ${label} tool names differ from this SDK's: ${a}`)
}

/**
 * How the installed `@sogni-ai/sogni-protocol` differs from what this SDK was written against (tool-name
 * sets, enums the client patches extend); empty when they agree. Importing never throws on drift: the
 * test suite asserts this is empty, and a patch that cannot apply leaves the protocol's schema as is.
 *
 * @since 0.1.0
 */
export const protocolDrift: ReadonlyArray<string> = drift

/**
 * A client-side compatibility patch: values appended to a property's `enum` (tools.md §1.2).
 *
 * @since 0.1.0
 */
export interface EnumPatch {
  readonly tool: HostedToolName
  readonly property: string
  readonly values: ReadonlyArray<string>
}

/**
 * The official client's (v5.54.0) additions to the protocol manifest, applied to both the manifest and
 * the argument schemas. Protocol values stay valid, so both vocabularies are accepted.
 *
 * @since 0.1.0
 */
export const enumPatches: ReadonlyArray<EnumPatch> = [
  {
    tool: "generate_video",
    property: "videoModel",
    values: [
      "minimax-h3-turbo",
      "minimax-h3-fasth3-turbo",
      "minimax-h3-fasth3-turbo-2stage",
      "minimax-h3-balanced",
      "minimax-h3-t2v-balanced",
      "minimax-h3-r2v-balanced"
    ]
  },
  {
    tool: "animate_photo",
    property: "videoModel",
    values: ["minimax-h3-i2v-balanced", "minimax-h3-flf2v-balanced"]
  },
  {
    tool: "generate_music",
    property: "model",
    values: ["ace_step_1.5_xl_turbo", "ace_step_1.5_xl_sft", "ace_step_1.5_turbo", "ace_step_1.5_sft", "minimax_music3"]
  }
]

export const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Applies the patches of `tool` to an arguments schema (returns a patched copy). */
export const patchSchema = (tool: string, schema: JsonSchemaObject): JsonSchemaObject => {
  const patches = enumPatches.filter((p) => p.tool === tool)
  if (patches.length === 0) return schema
  const properties = isObject(schema.properties) ? { ...schema.properties } : {}
  for (const patch of patches) {
    const property = properties[patch.property]
    if (!isObject(property) || !Array.isArray(property.enum)) {
      const message = `@sogni-ai/sogni-protocol: ${tool}.${patch.property} has no enum to patch`
      if (!drift.includes(message)) drift.push(message)
      continue
    }
    const known: ReadonlyArray<unknown> = property.enum
    const values = [...known, ...patch.values.filter((v) => !known.includes(v))]
    properties[patch.property] = { ...property, enum: values }
  }
  return { ...schema, properties }
}

const manifestFile = Schema.decodeUnknownSync(ManifestFile)(openAiToolsFile as unknown)
const appManifestFile = Schema.decodeUnknownSync(ManifestFile)(appToolsFile as unknown)
const toolNamesFile = Schema.decodeUnknownSync(ToolNamesFile)(toolNamesJson as unknown)
sameSet("hosted", toolNamesFile.hosted, hostedToolNames)
sameSet("app", toolNamesFile.app, appToolNames)
sameSet("chatLocal", toolNamesFile.chatLocal, chatLocalToolNames)
sameSet("manifest", manifestFile.tools.map((t) => t.function.name), hostedToolNames)
sameSet("app manifest", appManifestFile.tools.map((t) => t.function.name), appToolNames)

/**
 * `version.json#protocolVersion` of the installed protocol package.
 *
 * @since 0.1.0
 */
export const protocolVersion: string = Schema.decodeUnknownSync(VersionFile)(versionFile as unknown)
  .protocolVersion

/**
 * The manifest's own version (e.g. `2026-08-24.1`).
 *
 * @since 0.1.0
 */
export const manifestVersion: string = manifestFile.version

/**
 * The 30 hosted creative tools as OpenAI function tools, client patches applied. Send them as a chat
 * request's `tools` (what the official client calls `SogniTools.all`).
 *
 * @since 0.1.0
 */
export const manifest: ReadonlyArray<OpenAiTool> = manifestFile.tools.map((t) => ({
  type: "function",
  function: {
    name: t.function.name,
    description: t.function.description,
    parameters: patchSchema(t.function.name, t.function.parameters)
  }
}))

/**
 * The 10 chat-app tools (`manifests/app-tools.json`) as OpenAI function tools, for a server or a chat
 * app that offers them; the SDK never executes them.
 *
 * @since 0.2.0
 */
export const appManifest: ReadonlyArray<OpenAiTool> = appManifestFile.tools

const manifestByName: ReadonlyMap<string, OpenAiTool> = new Map(manifest.map((t) => [t.function.name, t]))

/**
 * The manifest entry of a hosted tool.
 *
 * @since 0.1.0
 */
export const tool = (name: HostedToolName): OpenAiTool => manifestByName.get(name)!

/**
 * The manifest entries of some hosted tools, in the given order.
 *
 * @since 0.1.0
 */
export const tools = (...names: ReadonlyArray<HostedToolName>): ReadonlyArray<OpenAiTool> => names.map(tool)
