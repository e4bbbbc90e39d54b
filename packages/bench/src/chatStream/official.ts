/**
 * Contender "official": `@sogni-ai/sogni-client` 5.54.0 pointed at the emulator, streaming the reply with
 * `chat.completions.create({ stream: true })` and `for await` over its chunks, counting the non-empty
 * deltas and their characters. The window opens once the client is connected and has the LLM models
 * (`chat.waitForModels()`); done when the iteration ends (after `llmJobResult`).
 *
 * argv: <json ContenderArgs>
 */
import { SogniClient } from "@sogni-ai/sogni-client"
import { makeMeter, report } from "../child.js"
import type { ChatDetail, ContenderArgs } from "./plan.js"

const args = JSON.parse(process.argv[2] ?? "{}") as ContenderArgs
const { plan } = args

const main = async () => {
  const meter = makeMeter()
  const client = await SogniClient.createInstance({
    appId: args.appId,
    apiKey: args.apiKey,
    restEndpoint: args.url,
    socketEndpoint: args.wsUrl,
    network: "fast",
    logLevel: "error"
  })
  await client.chat.waitForModels()
  meter.start()

  const stream = await client.chat.completions.create({
    model: plan.model,
    messages: [{ role: "user", content: plan.prompt }],
    stream: true,
    tokenType: "spark"
  })
  let deltas = 0
  let chars = 0
  let chunks = 0
  for await (const chunk of stream) {
    chunks++
    if (chunk.content.length > 0) {
      deltas++
      chars += chunk.content.length
    }
  }
  const detail: ChatDetail = {
    deltas,
    chars,
    completionTokens: stream.finalResult?.usage.completion_tokens ?? -1
  }
  const m = meter.stop("official", chunks, { ...detail })
  client.dispose()
  report(m)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
