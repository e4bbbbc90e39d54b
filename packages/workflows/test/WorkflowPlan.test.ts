/**
 * The plan builder and local plan checks (pure): the built wire shape, the fixture's plan, refusals naming
 * the step, field and rule, compile-time dependency checks, and a property: any valid chain of steps passes
 * and breaking one step's arguments is reported on exactly that step.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { readFileSync } from "node:fs"
import * as WorkflowPlan from "../src/WorkflowPlan.js"

const fixture = JSON.parse(
  readFileSync(new URL("../../../fixtures/protocol/workflow-start-request.json", import.meta.url), "utf8")
)

const refusal = (plan: unknown, options?: WorkflowPlan.ValidateOptions) => {
  const result = WorkflowPlan.validateEither(plan, options)
  assert.isTrue(Either.isLeft(result), "expected a refusal")
  return (result as Either.Left<any, never>).left
}

describe("WorkflowPlan", () => {
  it("every step tool is a tool of the installed protocol package (no drift)", () => {
    assert.deepStrictEqual(WorkflowPlan.unknownStepTools, [])
  })

  it("builds the wire shape (camelCase, dependencies verbatim)", () => {
    const plan = WorkflowPlan.make("Still to clip")
      .step("still", "generate_image", { prompt: "a fox" })
      .step("clip", "generate_video", { prompt: "the fox runs", videoModel: "ltx23", duration: 5 }, {
        dependsOn: [WorkflowPlan.from("still", { into: "referenceImageIndices", transform: "image_index", mediaType: "image", index: 0, required: true })]
      })
      .build()
    assert.deepStrictEqual(plan, {
      title: "Still to clip",
      steps: [
        { id: "still", toolName: "generate_image", arguments: { prompt: "a fox" } },
        {
          id: "clip",
          toolName: "generate_video",
          arguments: { prompt: "the fox runs", videoModel: "ltx23", duration: 5 },
          dependsOn: [{
            sourceStepId: "still",
            targetArgument: "referenceImageIndices",
            transform: "image_index",
            sourceArtifactIndex: 0,
            mediaType: "image",
            required: true
          }]
        }
      ]
    })
    assert.isTrue(Either.isRight(WorkflowPlan.validateEither(plan)))
  })

  it("accepts the fixture's plan with its media references", () => {
    const { input, media_references } = fixture.request.body
    const result = WorkflowPlan.validateEither(input, { mediaReferences: media_references })
    assert.isTrue(Either.isRight(result), Either.isLeft(result) ? result.left.message : "")
  })

  it("refuses bad plans naming the step, the field and the rule", () => {
    const { input } = fixture.request.body
    const noMedia = refusal(input)
    assert.deepInclude(noMedia, { stepId: "keyframe", field: "input.steps[0].dependsOn[0].sourceStepId", rule: "inputMedia" })

    const badArg = refusal(WorkflowPlan.make().step("v", "generate_video", { prompt: "x", duration: 99 }).build())
    assert.deepInclude(badArg, { stepId: "v", field: "input.steps[0].arguments.duration", rule: "maximum" })
    assert.match(badArg.message, /duration/)

    const unknownArg = refusal(WorkflowPlan.make().step("i", "generate_image", { prompt: "x", colour: "red" }).build())
    assert.deepInclude(unknownArg, { stepId: "i", rule: "additionalProperties" })

    const wrongTarget = refusal(
      WorkflowPlan.make()
        .step("a", "generate_image", { prompt: "x" })
        .step("b", "generate_music", { prompt: "y" }, {
          dependsOn: [WorkflowPlan.from("a", { into: "sourceImageIndex", transform: "image_index" })]
        })
        .build()
    )
    assert.deepInclude(wrongTarget, { stepId: "b", field: "input.steps[1].dependsOn[0].targetArgument", rule: "unknownArgument" })

    const composition = refusal({ steps: [{ id: "p", toolName: "enhance_prompt", arguments: { prompt: "x" } }] })
    assert.deepInclude(composition, { stepId: "p", field: "input.steps[0].toolName", rule: "enum" })

    const duplicate = refusal({
      steps: [
        { id: "a", toolName: "generate_image", arguments: { prompt: "x" } },
        { id: "a", toolName: "generate_image", arguments: { prompt: "y" } }
      ]
    })
    assert.deepInclude(duplicate, { stepId: "a", field: "input.steps[1].id", rule: "unique" })

    const self = refusal({
      steps: [{
        id: "a",
        toolName: "refine_result",
        arguments: { prompt: "x" },
        dependsOn: [{ sourceStepId: "a", targetArgument: "sourceImageIndex", transform: "image_index" }]
      }]
    })
    assert.deepInclude(self, { rule: "selfReference" })

    const transform = refusal({
      steps: [
        { id: "a", toolName: "generate_image", arguments: { prompt: "x" } },
        { id: "b", toolName: "refine_result", arguments: { prompt: "y" }, dependsOn: [{ sourceStepId: "a", targetArgument: "sourceImageIndex", transform: "pixels" }] }
      ]
    })
    assert.deepInclude(transform, { stepId: "b", field: "input.steps[1].dependsOn[0].transform", rule: "enum" })

    assert.deepInclude(refusal({ steps: [] }), { field: "input.steps", rule: "minItems" })
    assert.deepInclude(refusal({ steps: [{ id: "$x", toolName: "generate_image", arguments: {} }] }), { field: "input.steps[0].id" })
  })

  it("refuses arguments past limits: 10 MB of text, 3,000-deep nesting, a cycle (without recursing or throwing)", () => {
    const huge = "x".repeat(10 * 1024 * 1024)
    assert.deepInclude(
      refusal(WorkflowPlan.make().step("i", "generate_image", { prompt: huge }).build()),
      { stepId: "i", field: "input.steps[0].arguments", rule: "maxLength" }
    )
    // app tools have no argument schema: the size limit still applies
    assert.deepInclude(
      refusal({ steps: [{ id: "l", toolName: "label_asset", arguments: { labels: Array.from({ length: 200 }, () => huge.slice(0, 10_000)) } }] }),
      { stepId: "l", field: "input.steps[0].arguments", rule: "maxLength" }
    )
    let deep: unknown = "leaf"
    for (let i = 0; i < 3000; i++) deep = [deep]
    assert.deepInclude(
      refusal({ steps: [{ id: "d", toolName: "label_asset", arguments: { labels: deep } }] }),
      { stepId: "d", rule: "maxDepth" }
    )
    const cyclic: Record<string, unknown> = { prompt: "x" }
    cyclic["self"] = cyclic
    assert.deepInclude(refusal({ steps: [{ id: "c", toolName: "label_asset", arguments: cyclic }] }), { stepId: "c", rule: "json" })
    // right at the limit passes
    const fits = "y".repeat(WorkflowPlan.limits.maxArgumentsLength - 100)
    assert.isTrue(Either.isRight(WorkflowPlan.validateEither({ steps: [{ id: "ok", toolName: "label_asset", arguments: { note: fits } }] })))
  })

  it("counts dependency-filled arguments as present (stitch_video needs videoIndices)", () => {
    const plan = WorkflowPlan.make()
      .step("clip", "generate_video", { prompt: "x" })
      .step("final", "stitch_video", {}, {
        dependsOn: [WorkflowPlan.from("clip", { into: "videoIndices", transform: "video_index", mediaType: "video" })]
      })
      .build()
    assert.isTrue(Either.isRight(WorkflowPlan.validateEither(plan)))
    const unbound = refusal(WorkflowPlan.make().step("final", "stitch_video", {}).build())
    assert.deepInclude(unbound, { stepId: "final", rule: "required" })
  })

  it("rejects at compile time a dependency on an unknown step and a reused id", () => {
    const builder = WorkflowPlan.make().step("a", "generate_image", { prompt: "x" })
    // @ts-expect-error "b" is not an earlier step
    builder.step("c", "refine_result", { prompt: "y" }, { dependsOn: [WorkflowPlan.from("b", { into: "sourceImageIndex", transform: "image_index" })] })
    // @ts-expect-error "a" is already used
    builder.step("a", "generate_image", { prompt: "y" })
    assert.strictEqual(builder.steps.length, 1)
  })

  it.prop(
    "any chain of valid image steps passes; breaking one step is reported on that step",
    {
      counts: FastCheck.array(FastCheck.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 8 }),
      broken: FastCheck.nat(),
      value: FastCheck.integer({ min: 17, max: 1000 })
    },
    ({ broken, counts, value }) => {
      const steps = counts.map((n, i) => ({
        id: `s${i}`,
        toolName: i === 0 ? "generate_image" as const : "refine_result" as const,
        arguments: { prompt: `step ${i}`, numberOfVariations: n },
        ...(i > 0
          ? { dependsOn: [{ sourceStepId: `s${i - 1}`, targetArgument: "sourceImageIndex", transform: "image_index" as const }] }
          : {})
      }))
      assert.isTrue(Either.isRight(WorkflowPlan.validateEither({ steps })))
      const at = broken % steps.length
      const bad = steps.map((s, i) => (i === at ? { ...s, arguments: { ...s.arguments, numberOfVariations: value } } : s))
      const left = refusal({ steps: bad })
      assert.deepInclude(left, {
        stepId: `s${at}`,
        field: `input.steps[${at}].arguments.numberOfVariations`,
        rule: "maximum"
      })
    }
  )
})
