/**
 * The minimal image program on the official client: connect, create one image project, wait for its URLs.
 * `startup` bundles it (size) and imports the bundle in a fresh process (cold import); `main` is not run.
 */
import { SogniClient } from "@sogni-ai/sogni-client"
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
  client.dispose()
  return urls
}
