/**
 * The prepared image project the Projects tests submit, to the emulator or to the hostile server alike.
 */
import { Protocol } from "@effect-sogni/core"
import type { Projects } from "../src/index.js"

/**
 * `count` PNG images of `flux1-schnell-fp8` (spark, no previews), `steps` steps each, with `prompt` (the
 * emulator reads directives such as `[[slow]]` or `[[fail]]` in it) and `seed`; a fresh project id.
 */
export const imageProject = (count: number, prompt: string, steps = 4, seed = 11): Projects.Prepared => ({
  request: {
    jobID: Protocol.makeId(),
    numberOfImages: count,
    previews: 0,
    outputFormat: "png",
    tokenType: "spark",
    keyFrames: [{ modelID: "flux1-schnell-fp8", positivePrompt: prompt, steps, guidanceScale: 1, seed }]
  },
  numberOfMedia: count,
  steps,
  kind: "image",
  outputFormat: "png"
})
