/**
 * Declaration parity with the official client: the public surface of `@sogni-ai/sogni-client` (the
 * pinned version's `.d.ts`) against the adapter's, compared in one TypeScript program
 * (declarations-check/parity.ts): exports, class members walked from `SogniClient`, `Project`, `Job`,
 * `ChatStream` through their API groups, method parameters (the official types must be accepted),
 * results, and every emitter's events and payloads. Every difference must be on
 * declarations-check/allow-list.json with its reason, and every entry there must still match one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { compareDeclarations, type Finding } from "../declarations-check/parity.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

interface Entry {
  readonly match: string
  readonly reason: string
}

const matches = (entry: Entry, finding: Finding) =>
  entry.match.endsWith("*") ? finding.key.startsWith(entry.match.slice(0, -1)) : finding.key === entry.match

describe("declaration parity with @sogni-ai/sogni-client", () => {
  it("every difference is on the allow-list, with a reason, and every entry is still needed", () => {
    const { entries } = JSON.parse(fs.readFileSync(path.join(root, "declarations-check/allow-list.json"), "utf8")) as {
      readonly entries: ReadonlyArray<Entry>
    }
    for (const entry of entries) assert.isAbove(entry.reason.trim().length, 10, `${entry.match} has no reason`)
    const findings = compareDeclarations(root)
    const unexplained = findings.filter((f) => !entries.some((e) => matches(e, f)))
    assert.deepStrictEqual(unexplained.map((f) => `${f.key} (${f.detail})`), [], "differences not on the allow-list")
    const stale = entries.filter((e) => !findings.some((f) => matches(e, f)))
    assert.deepStrictEqual(stale.map((e) => e.match), [], "allow-list entries that no longer match anything")
    // the walk reached the surfaces programs use (a broken walk would find nothing and pass); every event
    // of sogni.projects matches now, so the event walk is evidenced by a payload finding elsewhere
    for (const path of ["member SogniClient.projects.", "member SogniClient.account.", "payload SogniClient."]) {
      assert.isTrue(findings.some((f) => f.key.startsWith(path)), `the comparison did not reach ${path}`)
    }
  }, 180_000)
})
