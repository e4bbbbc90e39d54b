import { readFileSync } from "node:fs"
import { Emulator } from "@effect-sogni/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { describe, expect, it } from "vitest"
import { bundle, loadedByMain, type Program } from "../src/startup/bundle.js"
import { dynamicImportsRun } from "../src/startup/loadedAtRun.js"

const budget = JSON.parse(readFileSync(new URL("../bundle-budget.json", import.meta.url), "utf8")) as {
  readonly gzipBytes: Readonly<Record<string, number>>
}

// sizes are deterministic for fixed sources and dependencies (times are not, and are never asserted)
describe("minimal image program bundle (esbuild min + gzip)", () => {
  for (const program of ["effect", "adapter"] as const satisfies ReadonlyArray<Program>) {
    it(`${program} stays within bundle-budget.json`, async () => {
      const limit = budget.gzipBytes[program]
      expect(limit, `bundle-budget.json has no gzipBytes.${program}`).toBeTypeOf("number")
      const figures = await bundle(program)
      // a bundle that failed to pull in its client would be tiny: the program must really be in it
      expect(figures.bytes).toBeGreaterThan(100_000)
      expect(figures.gzipBytes, `${program}: ${figures.gzipBytes} gzip bytes, budget ${limit}`).toBeLessThanOrEqual(limit!)
    })
  }

  // the protocol's tool manifest, argument schemas and ajv load on the first platform-tool call only
  it("the adapter's program leaves the tool catalog and its validator to dynamic imports", async () => {
    const figures = await bundle("adapter")
    const lazy = new Set(figures.lazy.map((l) => l.specifier))
    expect(lazy).toContain("@effect-sogni/chat/SogniTools")
    // hosted chat's tool-argument check imports PlatformTools itself; hosted chat loads with the first
    // hosted or chat-run call (client internal/chatRest.ts), so PlatformTools is behind that import
    expect(lazy).toContain("./internal/chatRest.js")
    // PlatformTools' own ajv keyword, and an error message of ajv itself
    expect(figures.contains("sogniRequired")).toBe(false)
    expect(figures.contains("schema with key or id")).toBe(false)
    // the catalog, schemas and ajv travel with the first platform-tool call
    const tools = figures.lazy.find((l) => l.specifier === "@effect-sogni/chat/SogniTools")!
    expect(tools.bytes).toBeGreaterThan(500_000)
  })

  // a barrel import (`import { Protocol } from "@effect-sogni/core"`) makes esbuild keep the whole
  // namespace object, so every schema re-exported by Protocol landed in image-only programs
  it("the Effect API's image program carries no chat-run or workflow protocol schemas", async () => {
    const figures = await bundle("effect")
    // field names of internal/protocol/chatRuns.ts and workflows.ts
    expect(figures.contains("maxEstimatedCapacityUnits")).toBe(false)
    expect(figures.contains("ownerWalletAddress")).toBe(false)
  })

  // Projects.prepare loads the video and audio rule sets (media internal/kindChecks) on the first video or
  // audio project; JobRequestBuilder.validate keeps them static for direct callers, which these programs are not
  it("the image programs leave the video and audio validation to a dynamic import", async () => {
    for (const program of ["effect", "adapter"] as const) {
      const figures = await bundle(program)
      expect(figures.lazy.map((l) => l.specifier)).toContain("./internal/kindChecks.js")
      // messages of media internal/validateVideo.ts and validateAudio.ts
      expect(figures.contains("upload the files instead"), program).toBe(false)
      expect(figures.contains("Video upscaling preserves the complete source video"), program).toBe(false)
      expect(figures.contains("keyscale must look like"), program).toBe(false)
      // the video and audio keyframe assembly travels with those rules (media internal/assembleKinds.ts)
      expect(figures.contains("referenceAudioIdentityContentType"), program).toBe(false)
    }
  })

  // the rules of the special image models (SAM 3, BiRefNet, Pixal3D, GPT Image: media internal/imageModelRules.ts)
  // travel with the video and audio ones, loaded by Projects.prepare only for a project that needs them;
  // these programs render flux1-schnell-fp8 (the emulator run below checks they load none of it)
  it("the image programs leave the special image models' rules to the same dynamic import", async () => {
    for (const program of ["effect", "adapter"] as const) {
      const figures = await bundle(program)
      expect(figures.lazy.map((l) => l.specifier)).toContain("./internal/kindChecks.js")
      // messages of the SAM 3, Pixal3D and GPT Image rules
      expect(figures.contains("sam3Prompt requires at least one point, box, or text prompt"), program).toBe(false)
      expect(figures.contains("reconstructs from startingImage alone"), program).toBe(false)
      expect(figures.contains("GPT Image output compression requires outputFormat jpg or webp"), program).toBe(false)
      // the GPT Image mask's keyframe annotation travels with them
      expect(figures.contains("referenceMaskContentType"), program).toBe(false)
    }
  })

  // media ProjectSync's record side (schemas, lookups, verdicts) loads with the first non-empty snapshot
  // or lookup; the adapter syncs at every authentication, and an empty snapshot never loads it. The
  // adapter reaches ProjectSync only from its projects group (client internal/projectsGroup.ts), itself
  // loaded on first use, so the record side is not even a dynamic import of its image program
  it("the adapter's program leaves ProjectSync's record schemas and lookups to a dynamic import", async () => {
    const figures = await bundle("adapter")
    expect(figures.lazy.map((l) => l.specifier)).toContain("./internal/projectsGroup.js")
    expect(figures.contains("ProjectSync.resolveMissing")).toBe(false)
    expect(figures.contains("initiatingModel\",\"jobStarted\",\"jobProgress")).toBe(false)
  })

  // media Models builds its size-preset cache on the first lookup, loading effect/Cache then
  it("the image programs load effect/Cache with the first size-preset lookup", async () => {
    for (const program of ["effect", "adapter"] as const) {
      const figures = await bundle(program)
      expect(figures.lazy.map((l) => l.specifier), program).toContain("effect/Cache")
    }
  })

  // core SogniUnsupported is built only when referenced (a Schema.TaggedError class costs ~70 KB of
  // allocation at import); image programs never refuse a feature
  it("the image programs leave out the SogniUnsupported error class", async () => {
    for (const program of ["effect", "adapter"] as const) {
      expect((await bundle(program)).contains("SogniUnsupported"), program).toBe(false)
    }
  })

  // Projects decodes the usual image request with the plain check (media internal/plainImage.ts) and loads
  // Params (the three media types' schemas, the decode plan, the failure's field and rule) for any other input
  it("the image programs leave the params schemas to a dynamic import", async () => {
    for (const program of ["effect", "adapter"] as const) {
      const figures = await bundle(program)
      expect(figures.lazy.map((l) => l.specifier), program).toContain("./Params.js")
      for (const identifier of ["ImageParams", "VideoParams", "MediaInput"]) {
        expect(figures.contains(`"${identifier}"`), `${program}: ${identifier}`).toBe(false)
      }
    }
  })

  // the wallet checksum (keccak) behind AccountChecks.walletBalance loads on its first call
  it("the adapter's program leaves the wallet hash code to a dynamic import", async () => {
    const figures = await bundle("adapter")
    expect(figures.lazy.map((l) => l.specifier)).toContain("./Wallet.js")
    // the method name of @noble/hashes' Keccak class (survives minification)
    expect(figures.contains("keccak(){")).toBe(false)
  })

  // leaderboards, announcements, rewards, LoRAs, subscriptions and wallet checks load with the first such
  // call (client internal/extrasGroup.ts): an image program never calls them
  it("the adapter's program leaves stats, announcements, rewards, LoRAs and subscriptions to a dynamic import", async () => {
    const figures = await bundle("adapter")
    expect(figures.lazy.map((l) => l.specifier)).toContain("./internal/extrasGroup.js")
    // REST paths of core Stats, Announcements, Rewards, Subscriptions and media Loras (not
    // `/v1/subscriptions/status`: the client reads it at connection over core's lean GET, as the official
    // client does, with the schemas of core Subscriptions but not its service)
    const paths = ["/v1/leaderboard/", "/v1/announcements/active", "/v4/account/rewards", "/v1/loras/comfy", "/v1/subscriptions/usage"]
    for (const path of paths) {
      expect(figures.contains(path), path).toBe(false)
    }
    // the adapter's shaping of transactions, rewards and subscription usage travels with the group
    expect(figures.contains("subscriptionThrottled")).toBe(false)
    expect(figures.contains("trialCreditsUsed")).toBe(false)
  })

  // sogni.projects' cost estimates, model options, record/status lookups and the reconciliation of a
  // non-empty snapshot load on first use (client internal/projectsGroup.ts); an image program's handshake,
  // with nothing listed and nothing in flight, is answered without them
  it("the adapter's program leaves projects' estimates, lookups and reconciliation to a dynamic import", async () => {
    const figures = await bundle("adapter")
    expect(figures.lazy.map((l) => l.specifier)).toContain("./internal/projectsGroup.js")
    // a field of the official image estimate request, and a log message of the reconciliation
    expect(figures.contains("cnEnabled")).toBe(false)
    expect(figures.contains("result URLs of recovered project")).toBe(false)
  })

  // sogni.chat, sogni.workflows and sogni.replay are facades that import their code and services on the
  // first call (client internal/lazyApis.ts): an image program carries neither
  it("the adapter's program leaves chat, workflows and replay to dynamic imports", async () => {
    const figures = await bundle("adapter")
    const lazy = figures.lazy.map((l) => l.specifier)
    expect(lazy).toContain("./internal/chatGroup.js")
    expect(lazy).toContain("./internal/workflowsGroup.js")
    // REST paths of @effect-sogni/chat (HostedChat, ChatRuns) and @effect-sogni/workflows
    expect(figures.contains("/v1/chat/completions")).toBe(false)
    expect(figures.contains("/v1/chat/runs")).toBe(false)
    expect(figures.contains("/v1/creative-agent")).toBe(false)
    expect(figures.contains("/v1/replay")).toBe(false)
    // a message of the adapter's ChatApi
    expect(figures.contains("the chat stream ended without a result")).toBe(false)
  })

  // the floor bundles the libraries alone; it must stay well below the SDK programs it bounds
  it("the floor program bundles without the SDK", async () => {
    const floor = await bundle("floor")
    const effect = await bundle("effect")
    expect(floor.bytes).toBeGreaterThan(100_000)
    expect(floor.contains("@effect-sogni")).toBe(false)
    expect(floor.gzipBytes).toBeLessThan(effect.gzipBytes)
  })

  // the figures leave out every dynamic import except those listed in loadedByMain: that list must be what
  // the program really loads, or code moved behind an import() it runs anyway would drop out of its figure
  it("each SDK program, run against the emulator, loads exactly the dynamic imports its figures count", async () => {
    const scope = Effect.runSync(Scope.make())
    try {
      const emulator = await Effect.runPromise(Emulator.make({ port: 0 }).pipe(Scope.extend(scope)))
      const options = { appId: "startup-loads", apiKey: emulator.apiKey, restEndpoint: emulator.url, socketEndpoint: emulator.wsUrl }
      for (const program of ["effect", "adapter"] as const) {
        expect(await dynamicImportsRun(program, options), program).toEqual([...loadedByMain[program]].sort())
      }
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 240_000)
})
