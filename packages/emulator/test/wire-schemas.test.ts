/**
 * The emulator's durable-workflow, chat-run, LoRA and saved-upload bodies are exactly the shapes core's
 * `Protocol` declares:
 * every record and event it serves decodes with `onExcessProperty: "error"` (no field the schema does
 * not name, none missing, every value of the declared type). The emulator encodes with these schemas;
 * this keeps the schemas and what really goes on the wire from drifting apart.
 */
import { Protocol } from "@effect-sogni/core"
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { Emulator } from "../src/Emulator.js"
import * as Samples from "../src/Samples.js"
import { emulatorTest, http, json } from "./helpers.js"

const strictly = <A, I>(schema: Schema.Schema<A, I>, value: unknown, what: string) => {
  const decoded = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })(value)
  assert.isTrue(Either.isRight(decoded), `${what}: ${Either.isLeft(decoded) ? decoded.left.message : ""}`)
}

const call = (emulator: Emulator["Type"], path: string, body?: unknown, method = body === undefined ? "GET" : "POST") =>
  Effect.flatMap(
    http(`${emulator.url}${path}`, {
      method,
      headers: { "content-type": "application/json", "api-key": emulator.apiKey },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    }),
    json
  )

describe("wire schemas", () => {
  emulatorTest("workflow records, steps, artifacts and events decode strictly with Protocol", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const base = "/v1/creative-agent/workflows"
      const started = yield* call(emulator, base, {
        input: {
          title: "wire",
          steps: [
            { id: "a", toolName: "generate_image", arguments: { prompt: "a pear" } },
            {
              id: "b",
              toolName: "upscale_image",
              arguments: { scale: 2 },
              dependsOn: [{ sourceStepId: "a", targetArgument: "sourceImageIndex", transform: "image_index", mediaType: "image" }]
            },
            { id: "c", toolName: "analyze_image", arguments: { query: "[[fail]] what is it" } }
          ]
        },
        token_type: "spark",
        confirm_cost: true
      })
      const id = started.data.workflow.workflowId as string
      strictly(Protocol.CreativeWorkflowRecord, started.data.workflow, "queued record")
      const stream = yield* http(`${emulator.url}${base}/${id}/events/stream`, { headers: { "api-key": emulator.apiKey } })
      yield* Effect.promise(() => stream.text())
      const record = (yield* call(emulator, `${base}/${id}`)).data.workflow
      assert.strictEqual(record.status, "partial_failure")
      strictly(Protocol.CreativeWorkflowRecord, record, "finished record")
      assert.isAbove(record.artifacts.length, 0)
      assert.isDefined(record.steps.find((s: { error?: unknown }) => s.error !== undefined), "a failed step carries its error")
      for (const event of (yield* call(emulator, `${base}/${id}/events`)).data.events) {
        strictly(Protocol.CreativeWorkflowEvent, event, `event ${event.type}`)
      }
    }))

  emulatorTest("chat run records and events decode strictly with Protocol", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const created = yield* call(emulator, "/v1/chat/runs", { messages: [{ role: "user", content: "hello there" }], session_id: "s" })
      const runId = created.data.run.runId as string
      strictly(Protocol.ChatRunRecord, created.data.run, "created run")
      const stream = yield* http(`${emulator.url}/v1/chat/runs/${runId}/events/stream`, { headers: { "api-key": emulator.apiKey } })
      yield* Effect.promise(() => stream.text())
      const record = (yield* call(emulator, `/v1/chat/runs/${runId}`)).data.run
      assert.strictEqual(record.status, "completed")
      strictly(Protocol.ChatRunRecord, record, "completed run")
      for (const event of record.events) strictly(Protocol.ChatRunEvent, event, `event ${event.type}`)
    }))

  emulatorTest("LoRA catalog, personal library and import bodies decode strictly with Protocol", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const catalog = (yield* call(emulator, "/v1/loras/comfy")).data
      strictly(Protocol.LoraCatalogResponse, catalog, "catalog")
      assert.isAbove(catalog.loras.length, 0)
      const request: Protocol.LoraImportRequest = {
        url: "https://example.test/my-lora.safetensors",
        name: "mine",
        modelId: catalog.loras[0].modelIds[0],
        rightsConfirmed: true
      }
      const imported = (yield* call(emulator, "/v1/loras/personal", request)).data
      strictly(Protocol.PersonalLora, imported, "imported LoRA")
      strictly(Protocol.PersonalLora, (yield* call(emulator, `/v1/loras/personal/${imported.id}`)).data, "one LoRA")
      const library = (yield* call(emulator, "/v1/loras/personal")).data
      strictly(Protocol.PersonalLoraLibrary, library, "library")
      assert.deepStrictEqual(library.loras.map((l: { id: string }) => l.id), [imported.id])
      strictly(Protocol.PersonalLoraCatalog, (yield* call(emulator, "/v1/loras/personal/catalog")).data, "personal catalog")
    }))

  emulatorTest("saved-upload records, library and prepare answers decode strictly with Protocol", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      strictly(Protocol.SavedUploadCapabilities, (yield* call(emulator, "/v1/assets/capabilities")).data, "capabilities")
      const png = Samples.png({ width: 64, height: 64, prompt: "wire" })
      const request: Protocol.SavedUploadPrepareRequest = {
        sha256: createHash("sha256").update(png).digest("hex"),
        bytes: png.length,
        contentType: "image/png",
        name: "wire.png"
      }
      const prepared = (yield* call(emulator, "/v1/assets/prepare", request)).data
      strictly(Protocol.SavedUploadPrepared, prepared, "prepared")
      assert.strictEqual(prepared.state, "uploading")
      const put = yield* http(prepared.uploadUrl, { method: "PUT", body: Buffer.from(png), headers: prepared.uploadHeaders })
      assert.strictEqual(put.status, 200)
      strictly(Protocol.SavedUpload, (yield* call(emulator, `/v1/assets/${prepared.id}/finalize`, {})).data, "finalized")
      const again = (yield* call(emulator, "/v1/assets/prepare", request)).data
      strictly(Protocol.SavedUploadPrepared, again, "reused")
      assert.isTrue(again.reused)
      const library = (yield* call(emulator, "/v1/assets")).data
      strictly(Protocol.SavedUploadLibrary, library, "library")
      assert.strictEqual(library.assets.length, 1)
    }), { savedUploads: true })
})
