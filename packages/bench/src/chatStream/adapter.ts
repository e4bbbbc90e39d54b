/**
 * Contender "adapter": `@effect-sogni/client` (the promise adapter), used as the official contender uses
 * `@sogni-ai/sogni-client` (with `max_tokens` set to the whole reply, as ours sets `maxTokens`), streaming it with
 * `chat.completions.create({ stream: true })` and `for await` over its chunks, counting the non-empty
 * deltas and their characters. The window opens once the client is connected and has the LLM models
 * (`chat.waitForModels()`); done when the iteration ends (after `llmJobResult`).
 *
 * argv: <json ContenderArgs>
 */
// the package exports only its built `dist/`; the bench runs its sources (as it does media's and chat's)
import { SogniClient } from "../../../client/src/index.js"
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
    network: "fast"
  })
  await client.chat.waitForModels()
  meter.start()

  const stream = await client.chat.completions.create({
    model: plan.model,
    messages: [{ role: "user", content: plan.prompt }],
    stream: true,
    // the whole reply: above the model's default output limit (raised for the bench in emulatorHost.ts)
    max_tokens: plan.tokens,
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
  const m = meter.stop("adapter", chunks, { ...detail })
  await client.dispose()
  report(m)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
