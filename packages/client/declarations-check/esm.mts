// Type-checked by test/Build.test.ts against dist/index.d.ts only: code written for the official
// client, with the import line changed, compiles against the published declarations.
import {
  type ChatCompletionChunk,
  isApiError,
  isInvalidRequestError,
  type Project,
  type ProjectParams,
  SogniClient
} from "../dist/index.js"

export async function main(apiKey: string): Promise<ReadonlyArray<string>> {
  const sogni = await SogniClient.createInstance({ appId: "check", apiKey, network: "fast", logLevel: "warn" })
  sogni.apiClient.on("connected", ({ network }) => console.log(network))
  sogni.apiClient.on("disconnected", ({ code, reason }) => console.log(code, reason))
  const models = await sogni.projects.waitForModels()
  const params: ProjectParams = {
    type: "image",
    modelId: models[0]!.id,
    positivePrompt: "A cat wearing a hat",
    steps: 4,
    numberOfMedia: 2,
    tokenType: "spark"
  }
  const project: Project = await sogni.projects.create(params, { signal: AbortSignal.timeout(60_000) })
  project.on("progress", (p: number) => console.log(p))
  project.on("jobCompleted", (job) => console.log(job.id, job.resultUrl))
  project.on("failed", (e) => console.log(e.code, e.message))
  const stream = await sogni.chat.completions.create({
    model: "qwen3.6-35b-a3b-gguf-iq4xs",
    messages: [{ role: "user", content: "hi" }],
    stream: true
  })
  for await (const chunk of stream) {
    const c: ChatCompletionChunk = chunk
    console.log(c.content)
  }
  const result = await sogni.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })
  console.log(result.content, result.usage.completion_tokens)
  try {
    return await project.waitForCompletion()
  } catch (error) {
    if (isInvalidRequestError(error)) console.log(error.field, error.rule)
    if (isApiError(error)) console.log(error.status, error.retryAfter)
    throw error
  } finally {
    await sogni.dispose()
  }
}
