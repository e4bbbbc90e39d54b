/**
 * The durable-workflow part of the demo: a two-step workflow — a still image, then a short video animated
 * from it — started on the emulator, its events printed live as they arrive (the stream resumes by itself
 * if the connection drops), and its outputs saved under `./out/`.
 *
 * `runWorkflowDemo` needs the embedded emulator (`Emulator.Emulator`) and the platform's file system.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { SogniConfig, SogniRest } from "@effect-sogni/core"
import { Emulator } from "@effect-sogni/emulator"
import { type Workflow, WorkflowPlan, Workflows } from "@effect-sogni/workflows"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

const plan = WorkflowPlan.make("Lighthouse still to clip")
  .step("still", "generate_image", {
    prompt: "a lighthouse on a basalt cliff at dawn, volumetric fog",
    aspectRatio: "16:9",
    seed: 1234567
  })
  .step("clip", "animate_photo", { prompt: "slow push-in, fog drifting past the light", videoModel: "wan22", duration: 2 }, {
    dependsOn: [WorkflowPlan.from("still", { into: "sourceImageIndex", transform: "image_index", mediaType: "image" })]
  })

const describe = (event: Workflow.WorkflowEvent): string => {
  const data = (typeof event.data === "object" && event.data !== null ? event.data : {}) as Record<string, unknown>
  const step = typeof data["stepId"] === "string" ? `${data["stepId"]} (${String(data["toolName"])})` : ""
  switch (event.type) {
    case "workflow_progress":
      return typeof data["progress"] === "number" ? `${step} ${Math.round(data["progress"] * 100)}%` : event.message ?? ""
    case "artifact_created": {
      const a = data["artifact"] as Record<string, unknown> | undefined
      const size = a?.["width"] !== undefined ? ` ${a["width"]}x${a["height"]}` : ""
      return `${step} → ${String(a?.["kind"])}${size}`
    }
    case "step_failed":
      return `${step}: ${event.message ?? "failed"}`
    default:
      return step || (event.message ?? "")
  }
}

const program = Effect.gen(function*() {
  const workflows = yield* Workflows.Workflows
  const rest = yield* SogniRest.SogniRest
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path

  yield* Console.log("\nworkflow: an image, then a video animated from it")
  const started = yield* workflows.start({ input: plan, tokenType: "spark", confirmCost: true })
  yield* Console.log(`  started ${started.workflowId} (${started.status})`)
  yield* workflows.streamEvents(started.workflowId).pipe(
    Stream.runForEach((event) =>
      Console.log(`  [${event.id.padStart(2)}] ${event.type.padEnd(26)} ${describe(event)}`)
    )
  )

  const record = yield* workflows.get(started.workflowId)
  const outDir = path.resolve("out")
  yield* fs.makeDirectory(outDir, { recursive: true })
  yield* Console.log(`  finished: ${record.status}`)
  for (const artifact of record.artifacts ?? []) {
    if (artifact.url === undefined) continue
    const extension = artifact.mimeType === "video/mp4" ? "mp4" : artifact.mimeType === "image/jpeg" ? "jpg" : "png"
    const file = path.join(outDir, `demo-workflow-${artifact.stepId ?? "step"}.${extension}`)
    const bytes = yield* rest.getBytes(artifact.url)
    yield* fs.writeFile(file, bytes)
    yield* Console.log(`  saved ${path.relative(process.cwd(), file).padEnd(30)} ${(bytes.length / 1024).toFixed(1).padStart(8)} KiB`)
  }
  if (record.status !== "completed") return yield* Effect.dieMessage(`the demo workflow ended ${record.status}`)
})

/**
 * Runs the workflow demo against the embedded emulator.
 */
export const runWorkflowDemo: Effect.Effect<
  void,
  unknown,
  Emulator.Emulator | FileSystem.FileSystem | Path.Path
> = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* program.pipe(
    Effect.provide(
      Workflows.layer().pipe(
        Layer.provideMerge(SogniRest.layerFetch),
        Layer.provideMerge(
          SogniConfig.layer({
            appId: "effect-sogni-demo-workflow",
            apiKey: Redacted.make(emulator.apiKey),
            restEndpoint: emulator.url,
            socketEndpoint: emulator.wsUrl,
            appSource: "effect-sogni-demo"
          })
        )
      )
    )
  )
})
