/**
 * The Sage part of the demo: a local model (Ollama or LM Studio behind ComfyUI's Sage Utils) answering
 * through the same `Chat` service as Sogni — only the Layer differs. It prints the providers and their
 * models, then streams an answer token by token, then asks a vision model about a picture.
 *
 * `demo.ts` runs it against the embedded emulator. On its own, `tsx examples/demo-sage.ts` starts an
 * emulator too, unless `SAGE_BASE_URL` points at a real ComfyUI (e.g. `http://127.0.0.1:8188/api`);
 * `SAGE_MODEL` then names the model (`ollama/<name>` or `lmstudio/<name>`, default: the first listed).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Chat } from "@effect-sogni/chat"
import { Emulator } from "@effect-sogni/emulator"
import { SageChat, SageClient, SageWire } from "@effect-sogni/sage"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { deflateSync } from "node:zlib"

/** A 4×4 PNG of one colour, built here (no file needed). */
const tinyPng = (): Uint8Array => {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (b: Buffer) => {
    let c = 0xffffffff
    for (const x of b) c = table[(c ^ x) & 0xff]! ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    out.write(type, 4, "latin1")
    data.copy(out, 8)
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(4, 0)
  header.writeUInt32BE(4, 4)
  header[8] = 8
  header[9] = 2
  const rows = Buffer.concat(Array.from({ length: 4 }, () => Buffer.from([0, ...Array.from({ length: 4 }, () => [0xe0, 0x7a, 0x3c]).flat()])))
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0))
  ]))
}

/**
 * Runs the Sage part against a Sage server at `baseUrl`.
 */
export const runSageDemo = (baseUrl: string, preferredModel?: string) =>
  Effect.gen(function*() {
    yield* Console.log(`\n— Sage: local models through ${baseUrl}/sage_llm —`)
    const client = yield* SageClient.SageClient
    const status = yield* client.status
    for (const [name, s] of Object.entries(status.providers)) {
      yield* Console.log(`  ${name.padEnd(9)} ${s.available ? "available" : s.enabled ? "enabled, not reachable" : "off"}`)
    }
    const chat = yield* Chat.Chat
    // the Chat service's model list, in the same shape as Sogni's (loaded in the background)
    yield* chat.models.changes.pipe(Stream.filter((list) => list.length > 0), Stream.runHead, Effect.timeout("5 seconds"), Effect.ignore)
    const models = yield* SubscriptionRef.get(chat.models)
    yield* Console.log(`  models: ${models.map((m) => m.id + (m.info.vision === true ? " (vision)" : "")).join(", ")}`)
    const textModel = preferredModel ?? models.find((m) => m.info.vision !== true)?.id ?? models[0]?.id
    if (textModel === undefined) return yield* Console.log("  no model is listed: start Ollama or LM Studio and try again")

    yield* Console.log(`\n  ${textModel} streams:`)
    yield* Console.log("  > Suggest a title for a painting of a lighthouse in fog")
    process.stdout.write("  ")
    const answer = yield* Chat.stream({
      model: textModel,
      messages: [
        { role: "system", content: "You name paintings." },
        { role: "user", content: "Suggest a title for a painting of a lighthouse in fog" }
      ],
      maxTokens: 200
    }).pipe(
      Stream.tap((c) => (c._tag === "TextDelta" ? Effect.sync(() => process.stdout.write(c.text)) : Effect.void)),
      Stream.runFold("", (text, c) => (c._tag === "TextDelta" ? text + c.text : text))
    )
    yield* Console.log(`\n  (${answer.length} characters; interrupting a stream closes its connection)`)

    const visionModel = models.find((m) => m.info.vision === true)?.id
    if (visionModel !== undefined) {
      const image = SageWire.dataUrl(tinyPng(), "image/png")
      const seen = yield* Chat.complete({
        model: visionModel,
        messages: [{ role: "user", content: [{ type: "text", text: "What colour is this picture?" }, { type: "image_url", image_url: { url: image } }] }]
      })
      yield* Console.log(`\n  ${visionModel} looks at a picture: ${seen.text}`)
    }
  }).pipe(
    Effect.provide(SageChat.layer().pipe(Layer.provideMerge(SageClient.layerFetch({ baseUrl }))))
  )

const configured = process.env.SAGE_BASE_URL
const standalone = configured !== undefined && configured.length > 0
  ? runSageDemo(configured, process.env.SAGE_MODEL)
  : Effect.flatMap(Emulator.Emulator, (emulator) => runSageDemo(`${emulator.url}/api`)).pipe(
    Effect.provide(Emulator.layer({ speed: 0.3 }))
  )

if (import.meta.url === `file://${process.argv[1]}`) NodeRuntime.runMain(standalone)
