import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bundle } from "../src/startup/bundle.js"
import {
  type FirstImage,
  firstImage,
  type FirstImageServer,
  type ImageProgram,
  imagePrograms,
  sameUrlCount,
  startFirstImageServer
} from "../src/startup/firstImage.js"

/** A loopback port nothing listens on (bound, then released). */
const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { readonly port: number }
      server.close(() => resolve(port))
    })
  })

// benchmarks/startup.ts's first-image figures: each program's bundle run in a fresh node against the emulator
describe("first image of the minimal image programs (startup/firstImage.ts)", () => {
  let server: FirstImageServer
  let dir: string
  const files = {} as Record<ImageProgram, string>

  beforeAll(async () => {
    server = await startFirstImageServer()
    dir = mkdtempSync(join(tmpdir(), "effect-sogni-first-image-"))
    for (const p of imagePrograms) files[p] = (await bundle(p, dir, { lazySizes: false })).file!
  })

  afterAll(async () => {
    await server?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("runs each program's main in a fresh process and returns the emulator's image URLs", async () => {
    const results = {} as Record<ImageProgram, ReadonlyArray<FirstImage>>
    for (const p of imagePrograms) {
      const run = await firstImage(p, files[p], 0, server.options(p, 0))
      results[p] = [run]
      // one image asked, one URL of the emulator's media route returned
      expect(run.urls, p).toHaveLength(1)
      expect(run.urls[0], p).toMatch(new RegExp(`^${server.url}/_media/`))
      // the split is ordered: the import ends before main resolves, and the figures are the child's own
      expect(run.importMs, p).toBeGreaterThan(0)
      expect(run.wallMs, p).toBeGreaterThan(run.importMs)
      expect(run.cpuMs, p).toBeGreaterThan(run.importCpuMs)
      expect(run.peakRssBytes, p).toBeGreaterThan(10 * 1024 * 1024)
    }
    expect(sameUrlCount(results)).toBe(1)
  })

  it("reports a failing child as a failure naming the program, with its stderr", async () => {
    const port = await closedPort()
    const options = { ...server.options("official", 1), restEndpoint: `http://127.0.0.1:${port}`, socketEndpoint: `ws://127.0.0.1:${port}` }
    await expect(firstImage("official", files.official, 1, options)).rejects.toThrow(
      /^first image of official \(.*official\.mjs\) exited with 1; its stderr:\n[\s\S]*fetch failed/
    )
  })

  it("refuses programs that returned different numbers of URLs", () => {
    const run = (n: number): FirstImage => ({
      importMs: 1,
      importCpuMs: 1,
      wallMs: 2,
      cpuMs: 2,
      peakRssBytes: 1,
      urls: Array.from({ length: n }, (_, i) => `http://127.0.0.1/${i}`)
    })
    expect(() => sameUrlCount({ official: [run(1)], effect: [run(1), run(2)], adapter: [run(1)] })).toThrow(
      /different numbers of URLs: official 1, effect 1, effect 2, adapter 1/
    )
  })
})
