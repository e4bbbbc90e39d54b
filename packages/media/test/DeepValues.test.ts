/**
 * Values nested 5,000 levels deep where media decodes outside data: a projects-sync answer from a hostile
 * server (the entry is logged by field and skipped, the good one kept) and a caller's untyped params (a
 * `SogniInvalidRequest` naming the field and rule). Effect's own formatters recurse over the value while
 * describing the failure and overflow the stack; these paths describe it by kind instead.
 */
import { assert, describe, it } from "@effect/vitest"
import { Sogni } from "@effect-sogni/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Http from "node:http"
import { Params, ProjectSync } from "../src/index.js"
import { makeHostileServer } from "./hostileServer.js"

const deepText = (depth: number) => `${"[".repeat(depth)}"x"${"]".repeat(depth)}`

/** A loopback HTTP server answering every request with `body` as JSON text, as written. */
const rawJsonServer = (body: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly url: string }>((resume) => {
      const server = Http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(body)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })))
    }),
    ({ server }) => Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  )

describe("media on values nested 5,000 levels deep", () => {
  it.scopedLive("projects elsewhere: an entry with a field nested 5,000 levels deep is logged by field and skipped; the good one is kept", () =>
    Effect.gen(function*() {
      const entry = (id: string, appSource: string) =>
        `{"id":"${id}","appId":"other-app","appSource":${appSource},"model":{"id":"flux1-schnell-fp8"},"imageCount":1,"stepCount":4,` +
        `"createTime":1,"updateTime":2,"status":"progress"}`
      const body = `{"activeProjects":[${entry("DEEP", deepText(5_000))},${entry("GOOD", "\"web\"")}],"unclaimedCompletedProjects":[]}`
      const raw = yield* rawJsonServer(body)
      const server = yield* makeHostileServer()
      server.proxyTo = raw.url
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
      })
      const ctx = yield* Layer.build(Sogni.layer({
        appId: "deep-values",
        apiKey: Redacted.make("hostile-key-123"),
        restEndpoint: server.url,
        socketEndpoint: server.wsUrl
      }))
      const kept = yield* ProjectSync.elsewhere.pipe(
        Effect.provide(Layer.succeedContext(ctx)),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      assert.deepStrictEqual(kept.map((p) => p.id), ["GOOD"], `${server.restCalls.join(",")} ${warnings.join("\n")}`)
      assert.deepStrictEqual(warnings, [
        "recovery snapshot: skipped project DEEP: appSource: Expected string, actual an array of 1"
      ])
    }))

  it("Params.decode: a param nested 5,000 levels deep is a SogniInvalidRequest naming the field and rule", () => {
    const deep = JSON.parse(deepText(5_000))
    const decoded = Params.decode({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: "a cat", seed: deep })
    assert(Either.isLeft(decoded))
    assert.deepStrictEqual([decoded.left._tag, decoded.left.field, decoded.left.rule], ["SogniInvalidRequest", "seed", "type"])
    assert.match(decoded.left.message, /^seed Expected .*, actual an array of 1$/)
    const prompt = Params.decode({ type: "image", modelId: "flux1-schnell-fp8", positivePrompt: deep })
    assert(Either.isLeft(prompt))
    assert.deepStrictEqual([prompt.left.field, prompt.left.rule], ["positivePrompt", "type"])
  })
})
