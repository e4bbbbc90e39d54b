/**
 * The minimal image program on the promise adapter (`@effect-sogni/client`): the official program with the
 * import changed. `startup` bundles it (size) and imports the bundle in a fresh process; `main` is not run.
 */
// the package exports only its built `dist/`; bundled from its sources
import { SogniClient } from "../../../../client/src/index.js"
import type { ProgramOptions } from "./options.js"

export const main = async (options: ProgramOptions): Promise<ReadonlyArray<string>> => {
  const client = await SogniClient.createInstance({ ...options, network: "fast" })
  const project = await client.projects.create({
    type: "image",
    modelId: "flux1-schnell-fp8",
    positivePrompt: "a lighthouse at dawn",
    numberOfMedia: 1,
    tokenType: "spark"
  })
  const urls = await project.waitForCompletion()
  await client.dispose()
  return urls
}
