/**
 * The adapter's event emitter: listener bookkeeping (the counts `listenersChanged` reports, which the
 * projects use to decide whether to follow progress frames) and the calling rules.
 */
import { assert, describe, it } from "@effect/vitest"
import { Emitter } from "../src/internal/emitter.js"

interface Events {
  readonly a: number
  readonly b: string
}

/** An emitter that keeps the running total `listenersChanged` reports, per event. */
class Counting extends Emitter<Events> {
  readonly counted = new Map<keyof Events, number>()
  protected override listenersChanged(event: keyof Events, delta: number): void {
    this.counted.set(event, (this.counted.get(event) ?? 0) + delta)
  }
  /** The reported totals equal the real listener counts. */
  agrees(): boolean {
    return (["a", "b"] as const).every((e) => (this.counted.get(e) ?? 0) === this.listenerCount(e))
  }
}

describe("Emitter", () => {
  it("reports every add and removal once: a repeated add, a repeated off and an unknown listener change nothing", () => {
    const emitter = new Counting()
    const one = () => {}
    const two = () => {}
    const offOne = emitter.on("a", one)
    emitter.on("a", one)
    assert.strictEqual(emitter.listenerCount("a"), 1)
    emitter.on("a", two)
    emitter.on("b", one)
    assert.isTrue(emitter.agrees())
    offOne()
    offOne()
    emitter.off("a", one)
    emitter.off("b", two)
    assert.strictEqual(emitter.listenerCount("a"), 1)
    assert.isTrue(emitter.agrees())
    emitter.removeAllListeners("a")
    emitter.removeAllListeners("a")
    assert.strictEqual(emitter.counted.get("a"), 0)
    assert.isTrue(emitter.agrees())
    emitter.on("a", one)
    emitter.removeAllListeners()
    assert.strictEqual(emitter.counted.get("a"), 0)
    assert.strictEqual(emitter.counted.get("b"), 0)
    assert.isTrue(emitter.agrees())
  })

  it("a once listener is called once and counted out after its call", () => {
    const emitter = new Counting()
    const seen: Array<number> = []
    emitter.once("a", (n) => seen.push(n))
    assert.strictEqual(emitter.counted.get("a"), 1)
    emitter.emit("a", 1)
    emitter.emit("a", 2)
    assert.deepStrictEqual(seen, [1])
    assert.strictEqual(emitter.counted.get("a"), 0)
  })

  it("an emitter nobody listened to emits to no one and removes nothing", () => {
    const emitter = new Counting()
    emitter.emit("b", "x")
    emitter.removeAllListeners()
    emitter.off("b", () => {})
    assert.strictEqual(emitter.listenerCount("b"), 0)
    assert.strictEqual(emitter.counted.size, 0)
  })

  it("a throwing listener is reported and does not stop the others; one added during a call waits for the next emit", () => {
    const errors: Array<string> = []
    const emitter = new Emitter<Events>((_, event) => errors.push(event))
    const seen: Array<string> = []
    emitter.on("b", () => {
      throw new Error("boom")
    })
    emitter.on("b", (s) => {
      seen.push(`second ${s}`)
      emitter.on("b", (t) => seen.push(`added ${t}`))
    })
    emitter.emit("b", "x")
    assert.deepStrictEqual(errors, ["b"])
    assert.deepStrictEqual(seen, ["second x"])
  })
})
