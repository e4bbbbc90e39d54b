/**
 * The emulator's hosted tool definitions and argument mapping come from core: the manifests
 * (`PlatformTools.manifest`, client patches applied, and `PlatformTools.appManifest`) and the model
 * selector tables (`PlatformTools.textToVideoSelectors`…), so what the emulator injects, accepts and
 * maps is what the SDK validates.
 */
import { PlatformTools } from "@effect-sogni/core"
import { assert, describe, it } from "@effect/vitest"
import { checkArguments, platformArguments, platformForm, surfaceTools, toolDefinition } from "../src/internal/hostedTools.js"

describe("emulator hosted tools", () => {
  it("injects core's manifests: hosted tools (patched) then app tools", () => {
    const agent = surfaceTools("creative-agent")
    assert.deepStrictEqual(agent, [...PlatformTools.manifest, ...PlatformTools.appManifest])
    assert.strictEqual(toolDefinition("generate_video"), PlatformTools.tool("generate_video"))
    // the creative-tools surface keeps the analysis app tools and drops the agent-only ones
    const names = surfaceTools("creative-tools").map((t) => t.function.name)
    assert.include(names, "analyze_image")
    assert.notInclude(names, "ask_clarifying_question")
    assert.notInclude(names, "compose_workflow")
    assert.deepStrictEqual(surfaceTools("none"), [])
  })

  it("checks app tools against core's app manifest", () => {
    assert.deepStrictEqual(checkArguments("analyze_image", {}), ["Missing required argument \"query\""])
    assert.deepStrictEqual(checkArguments("analyze_image", { query: "what is it?" }), [])
    assert.deepStrictEqual(checkArguments("no_such_tool", {}), ["Unknown hosted Sogni tool \"no_such_tool\""])
  })

  it("maps a canonical model id to the protocol's selector before the client's alias", () => {
    const mapped = platformArguments("generate_video", { prompt: "a tide", model: "minimax-h3-fl2va-fp8_t2v_turbo" })
    assert.deepStrictEqual(mapped, { args: { prompt: "a tide", videoModel: "minimax-h3-t2v-turbo" }, ignored: [] })
    const form = platformForm("generate_video", { prompt: "a tide", model: "seedance-2-0-mini" })
    assert.deepStrictEqual(form.args, { prompt: "a tide", videoModel: "seedance2-mini" })
    assert.deepStrictEqual(platformArguments("generate_video", { prompt: "a tide", model: 7 }).ignored, ["model"])
  })

  it("accepts the client-patched selectors the SDK's validator accepts", () => {
    // `minimax-h3-balanced` is the official client's addition to the protocol's enum (tools.md §1.2)
    const mapped = platformArguments("generate_video", { prompt: "a tide", model: "minimax-h3-fl2va-fp8_t2v_balanced" })
    assert.deepStrictEqual(mapped.args, { prompt: "a tide", videoModel: "minimax-h3-balanced" })
    assert.deepStrictEqual(checkArguments("generate_video", mapped.args), [])
  })
})
