// The platform tool catalog and the argument validator (ajv), bundled into one file and run from an empty
// folder: the manifest, the per-tool schemas and ajv must all be inside the bundle.
import { PlatformTools } from "@effect-sogni/core"
import * as Either from "effect/Either"

const refused = PlatformTools.validateEither("generate_image", { prompt: "x", width: "wide" })
const accepted = PlatformTools.validateEither("generate_image", { prompt: "a lighthouse" })
console.log(`RESULT ${JSON.stringify({
  tools: PlatformTools.manifest.length,
  version: PlatformTools.protocolVersion,
  refused: Either.isLeft(refused) ? refused.left.issues.map((i) => `${i.field}/${i.rule}`) : null,
  accepted: Either.isRight(accepted)
})}`)
