// A program that uses the client's lazily loaded groups and model-list listeners, disposes the client with a
// chat stream, a chat call and an image project still in flight (twice, the second while the first runs), and must then exit on
// its own: nothing the client started may keep the process alive. Run by test/DisposeExit.test.ts.
import { SogniClient } from "../../dist/index.js"

const MODEL = "qwen3.6-35b-a3b-gguf-iq4xs"
const sogni = await SogniClient.createInstance({
  appId: process.env.SOGNI_APP_ID,
  apiKey: process.env.SOGNI_API_KEY,
  restEndpoint: process.env.SOGNI_REST_ENDPOINT,
  socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT,
  logLevel: "error"
})
const heard = { availableModels: 0, modelsUpdated: 0 }
sogni.projects.on("availableModels", () => heard.availableModels++)
sogni.chat.on("modelsUpdated", () => heard.modelsUpdated++)
await sogni.projects.waitForModels()
await sogni.chat.waitForModels()
await sogni.workflows.list({ limit: 1 })
const stream = await sogni.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[[slow]] [[long]] go on" }], stream: true })
const iterator = stream[Symbol.asyncIterator]()
await iterator.next()
// an image project rendering, followed by a listener, its wait for completion pending
const project = await sogni.projects.create({
  type: "image",
  modelId: "flux1-schnell-fp8",
  positivePrompt: "[[slow]] a long exposure",
  steps: 8,
  numberOfMedia: 2,
  tokenType: "spark"
})
await new Promise((resolve) => project.once("progress", resolve))
const waited = project.waitForCompletion().then(() => "resolved", (e) => e.name)
const call = sogni.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[[slow]] [[long]] and on" }] }).then(() => "resolved", (e) => e.name)
const first = sogni.dispose()
await sogni.dispose()
await first
console.log(`RESULT ${JSON.stringify({ call: await call, project: await waited, disposed: sogni.disposed })}`)
