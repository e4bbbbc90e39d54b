/**
 * The SDK in a browser: examples/browser is bundled by esbuild for the browser platform (no Node
 * built-ins allowed), served in front of the emulator, and driven in headless Chromium (Debian's
 * `chromium`; `.ci/run` installs it). The page logs in, generates an image with a progress bar, shows it,
 * streams a chat answer, and reports the outcome; the test checks it and saves docs/browser.png.
 */
import { Emulator } from "@effect-sogni/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"
import { serve } from "../../../examples/browser/server.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
/** Where Chromium is looked for: `CHROMIUM_PATH`, else Debian's package. */
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const screenshot = path.join(root, "docs/browser.png")

interface PageResult {
  readonly ok: boolean
  readonly error?: string
  readonly progressEvents: number
  readonly imageWidth: number
  readonly chatChunks: number
  readonly chatText: string
}

describe("browser (headless Chromium)", () => {
  it.scopedLive("the example page connects, generates an image with progress and streams a chat", () =>
    Effect.gen(function*() {
      assert.isTrue(
        fs.existsSync(chromiumPath),
        `Chromium not found at ${chromiumPath}: install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`
      )
      const { build } = (yield* Effect.promise(() => import(path.join(root, "examples/browser/build.mjs")))) as {
        build: () => Promise<{ metafile: { inputs: Record<string, unknown> } }>
      }
      const { metafile } = yield* Effect.promise(build)
      const inputs = Object.keys(metafile.inputs)
      assert.deepStrictEqual(inputs.filter((i) => i.includes("/ws/lib/")), [], "ws's Node implementation stays out")

      const emulator = yield* Emulator.make({ port: 0, speed: 4 })
      const site = yield* Effect.acquireRelease(Effect.promise(() => serve(emulator.url)), (s) => Effect.promise(s.close))
      const browser = yield* Effect.acquireRelease(
        Effect.promise(() => chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"], headless: true })),
        (b) => Effect.promise(() => b.close())
      )
      const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 800, height: 620 } }))
      const errors: Array<string> = []
      page.on("pageerror", (e) => errors.push(e.message))
      const sockets: Array<string> = []
      page.on("websocket", (ws) => sockets.push(ws.url()))

      yield* Effect.promise(() => page.goto(`${site.url}/`))
      yield* Effect.promise(() => page.waitForFunction(() => document.body.dataset.result !== undefined, null, { timeout: 90_000 }))
      const result = JSON.parse((yield* Effect.promise(() => page.evaluate(() => document.body.dataset.result!)))) as PageResult
      fs.mkdirSync(path.dirname(screenshot), { recursive: true })
      yield* Effect.promise(() => page.screenshot({ path: screenshot }))

      assert.isTrue(result.ok, result.error)
      assert.deepStrictEqual(errors, [])
      assert.isAbove(result.progressEvents, 0)
      assert.strictEqual(result.imageWidth, 1024)
      assert.isAbove(result.chatChunks, 1)
      assert.include(result.chatText, "lighthouse at dawn")
      // the browser's own WebSocket, authenticated by the session cookie (no API key in a page)
      assert.isAtLeast(sockets.length, 1)
      assert.match(sockets[0]!, /^ws:\/\/127\.0\.0\.1:\d+\//)
      assert.strictEqual(yield* Effect.promise(() => page.evaluate(() => (document.getElementById("progress") as HTMLProgressElement).value)), 100)
    }), 180_000)
})
