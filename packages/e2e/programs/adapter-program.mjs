// The promise adapter from plain ESM JavaScript: models, one image with progress, then a streamed chat.
import { SogniClient } from "@effect-sogni/client"

const sogni = await SogniClient.createInstance({
  appId: "e2e-adapter-program",
  apiKey: process.env.SOGNI_API_KEY,
  restEndpoint: process.env.SOGNI_REST_ENDPOINT,
  socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT,
  network: "fast",
  logLevel: "silent"
})
const models = await sogni.projects.waitForModels()
const project = await sogni.projects.create({
  type: "image",
  modelId: "flux1-schnell-fp8",
  positivePrompt: "a paper boat on a pond",
  numberOfMedia: 1,
  steps: 4,
  tokenType: "spark"
})
let progressEvents = 0
project.on("progress", () => progressEvents++)
const urls = await project.waitForCompletion()
const stream = await sogni.chat.completions.create({
  model: "qwen3.6-35b-a3b-gguf-iq4xs",
  messages: [{ role: "user", content: "Say hello." }],
  stream: true
})
let text = ""
for await (const chunk of stream) text += chunk.content ?? ""
console.log(`RESULT ${JSON.stringify({ models: models.length, urls: urls.length, progressEvents, textLength: text.length })}`)
await sogni.dispose()
